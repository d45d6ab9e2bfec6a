#!/bin/sh
# Writes a synthetic 837P of CLAIMS claims and the balanced 835 that pays them,
# for benchmarking `dripcode reconcile`. POSIX sh + awk only; deterministic.
#
#   DIR/claims-CLAIMS.837   one interchange, one ST per 5,000 claims (the 837
#                           guide's recommended maximum), payer UHC 87726,
#                           every line with REF*6R <claim>-<line>
#   DIR/remit-CLAIMS.835    one interchange, one ST (one remittance, TRN
#                           EFT-BENCH-CLAIMS) remitting every claim: BPR02 =
#                           sum(CLP04) - sum(PLB); every SVC, CLP and the
#                           transaction balance; exact SE/GE/IEA counts
#   DIR/remit-CLAIMS.expect what summary.json must then say (key=value lines)
#
# The mix, by claim number n (claim id BC%08d):
#   75%  paid: CO-45 contractual (20% of each line); one in three of them also
#        PR-2 coinsurance (20% of the allowed amount)
#    5%  paid, no REF*6R in the 835 (lines matched by code + units)
#   15%  partial: the last line denied CO-97 (bundled), the others paid
#  2.5%  denied: CLP02 4, claim-level CAS CO-197 (no SVC)
#  2.5%  denied: CLP02 4, every line CO-97
# plus two PLB entries (WO overpayment recovery 100.00, L6 interest -12.34).
#
# Usage: bench/gen-835.sh CLAIMS DIR
set -eu
n=${1:?usage: gen-835.sh CLAIMS DIR}
dir=${2:?usage: gen-835.sh CLAIMS DIR}
case $n in '' | *[!0-9]*) echo "gen-835: CLAIMS must be a number" >&2; exit 2 ;; esac
if [ "$n" -lt 1 ] || [ "$n" -gt 99999999 ]; then echo "gen-835: CLAIMS must be 1..99999999" >&2; exit 2; fi
mkdir -p "$dir"
awk -v N="$n" -v F837="$dir/claims-$n.837" -v F835="$dir/remit-$n.835" \
    -v FEXP="$dir/remit-$n.expect" '
# X12 decimal (trailing zeros suppressed) of integer cents
function amt(c,   s, d, r) {
	s = ""
	if (c < 0) { s = "-"; c = -c }
	d = sprintf("%.0f", (c - c % 100) / 100); r = c % 100
	if (r == 0) return s d
	if (r % 10 == 0) return s d "." (r / 10)
	return s d "." sprintf("%02d", r)
}
# summary.json money: always two decimals
function money(c,   s) {
	s = ""
	if (c < 0) { s = "-"; c = -c }
	return s sprintf("%.0f", (c - c % 100) / 100) "." sprintf("%02d", c % 100)
}
function s837(x) { print x "~" > F837; n837++ }
function st837_open() {
	nst++; n837 = 0; hl = 1
	s837(sprintf("ST*837*%04d*005010X222A1", nst))
	s837(sprintf("BHT*0019*00*%04d*20260315*0200*CH", nst))
	s837("NM1*41*2*DRIPCODE DEMO INFUSION*****46*DEMO01")
	s837("PER*IC*BILLING*TE*5555550100")
	s837("NM1*40*2*CLEARINGHOUSE*****46*CH01")
	s837("HL*1**20*1")
	s837("NM1*85*2*DRIPCODE DEMO INFUSION*****XX*1234567893")
	s837("N3*1 TEST WAY")
	s837("N4*SPRINGFIELD*IL*627010000")
	s837("REF*EI*990000001")
}
function st837_close() {
	s837(sprintf("SE*%d*%04d", n837 + 1, nst))
}
BEGIN {
	# line catalogue: code, charge (cents), units
	code["A"] = "96365"; chg["A"] = 25000; un["A"] = 1   # IV infusion, first hour
	code["B"] = "96366"; chg["B"] = 7500;  un["B"] = 1   # each additional hour
	code["C"] = "J1745"; chg["C"] = 42000; un["C"] = 35  # infliximab 10 mg
	code["D"] = "J2405"; chg["D"] = 1000;  un["D"] = 4   # ondansetron 1 mg
	code["E"] = "96374"; chg["E"] = 12000; un["E"] = 1   # IV push
	code["F"] = "J7050"; chg["F"] = 3000;  un["F"] = 2   # normal saline 250 cc
	layout[0] = "ACB"; layout[1] = "AD"; layout[2] = "E"; layout[3] = "AFB"

	print "ISA*00*          *00*          *ZZ*DRIPCODEDEMO   *ZZ*CLEARINGHOUSE  *260315*0200*^*00501*000000701*0*T*:~" > F837
	print "GS*HC*DRIPCODEDEMO*CLEARINGHOUSE*20260315*0200*701*X*005010X222A1~" > F837
	nst = 0

	# the BPR amount is only known at the end: the claims go to FILE.body, the
	# ISA..LX header and the SE/GE/IEA trailer to .head and .tail, and the
	# shell joins them (awk cannot seek back)
	body = F835 ".body"; head = F835 ".head"; tail = F835 ".tail"
	n835 = 0
	billed = 0; paidsum = 0; adj = 0; prsum = 0
	npaid = 0; npartial = 0; ndenied = 0

	for (i = 1; i <= N; i++) {
		if ((i - 1) % 5000 == 0) {
			if (i > 1) st837_close()
			st837_open()
		}
		id = sprintf("BC%08d", i)
		date = sprintf("2026-%02d-%02d", 1 + i % 3, 1 + int(i / 3) % 28)
		d8 = substr(date, 1, 4) substr(date, 6, 2) substr(date, 9, 2)
		lay = layout[i % 4]; nl = length(lay)
		ctot = 0
		for (k = 1; k <= nl; k++) ctot += chg[substr(lay, k, 1)]
		billed += ctot

		# ---- 837 claim ----
		hl++
		s837(sprintf("HL*%d*1*22*0", hl))
		s837("SBR*P*18*******CI")
		s837(sprintf("NM1*IL*1*BENCH*PATIENT****MI*M%08d", i))
		s837("NM1*PR*2*UNITEDHEALTHCARE*****PI*87726")
		s837(sprintf("CLM*%s*%s***11:B:1*Y*A*Y*Y", id, amt(ctot)))
		s837("HI*ABK:K5090")
		for (k = 1; k <= nl; k++) {
			l = substr(lay, k, 1)
			s837("LX*" k)
			s837(sprintf("SV1*HC:%s*%s*UN*%d***1", code[l], amt(chg[l]), un[l]))
			s837("DTP*472*D8*" d8)
			s837(sprintf("REF*6R*%s-%d", id, k))
		}

		# ---- 835 claim ----
		m = i % 20
		if (m == 18 && i % 40 == 18) {
			# denied at claim level, no lines
			ndenied++; adj += ctot
			print "CLP*" id "*4*" amt(ctot) "*0**12*UHC" i "~" > body
			print "CAS*CO*197*" amt(ctot) "~" > body
			print "DTM*232*" d8 "~" > body
			n835 += 3
			continue
		}
		denied_all = (m == 18)
		ref6r = (m != 19)
		cpaid = 0; cpr = 0
		for (k = 1; k <= nl; k++) {
			l = substr(lay, k, 1)
			c = chg[l]
			if (denied_all || (m >= 15 && m <= 17 && k == nl)) {
				lco[k] = 0; ldn[k] = c; lpr[k] = 0
			} else {
				lco[k] = c / 5; ldn[k] = 0
				lpr[k] = (m < 15 && i % 3 == 0) ? (c - lco[k]) / 5 : 0
			}
			lpaid[k] = c - lco[k] - ldn[k] - lpr[k]
			cpaid += lpaid[k]; cpr += lpr[k]
		}
		if (denied_all) ndenied++
		else if (m >= 15 && m <= 17) npartial++
		else npaid++
		paidsum += cpaid; prsum += cpr; adj += ctot - cpaid - cpr
		print "CLP*" id "*" (denied_all ? 4 : 1) "*" amt(ctot) "*" amt(cpaid) "*" \
		      (cpr ? amt(cpr) : "") "*12*UHC" i "~" > body
		print "DTM*232*" d8 "~" > body
		n835 += 2
		for (k = 1; k <= nl; k++) {
			l = substr(lay, k, 1)
			print "SVC*HC:" code[l] "*" amt(chg[l]) "*" amt(lpaid[k]) \
			      (un[l] != 1 ? "**" un[l] : "") "~" > body
			print "DTM*472*" d8 "~" > body
			n835 += 2
			if (lco[k]) { print "CAS*CO*45*" amt(lco[k]) "~" > body; n835++ }
			if (lpr[k]) { print "CAS*PR*2*" amt(lpr[k]) "~" > body; n835++ }
			if (ldn[k]) { print "CAS*CO*97*" amt(ldn[k]) "~" > body; n835++ }
			if (ref6r) { print "REF*6R*" id "-" k "~" > body; n835++ }
		}
	}
	st837_close()
	print "GE*" nst "*701~" > F837
	print "IEA*1*000000701~" > F837
	close(F837)

	plb = 10000 - 1234
	print "PLB*1234567893*20261231*WO:OVERPAY-BENCH*100~" > body
	print "PLB*1234567893*20261231*L6:INTEREST-BENCH*-12.34~" > body
	n835 += 2
	close(body)

	print "ISA*00*          *00*          *ZZ*87726          *ZZ*DRIPCODEDEMO   *260320*0200*^*00501*000000702*0*T*:~" > head
	print "GS*HP*87726*DRIPCODEDEMO*20260320*0200*702*X*005010X221A1~" > head
	print "ST*835*0001~" > head
	print "BPR*I*" amt(paidsum - plb) "*C*ACH*CCP*01*999999999*DA*123456*1512345678**01*999988880*DA*98765*20260320~" > head
	print "TRN*1*EFT-BENCH-" N "*1870000001~" > head
	print "DTM*405*20260320~" > head
	print "N1*PR*UNITEDHEALTHCARE~" > head
	print "REF*2U*87726~" > head
	print "N1*PE*DRIPCODE DEMO INFUSION*XX*1234567893~" > head
	print "LX*1~" > head
	close(head)
	n835 += 8   # ST BPR TRN DTM N1 REF N1 LX; SE counts itself
	print "SE*" (n835 + 1) "*0001~" > tail
	print "GE*1*702~" > tail
	print "IEA*1*000000702~" > tail
	close(tail)

	print "claims=" N > FEXP
	print "paid=" npaid > FEXP
	print "partial=" npartial > FEXP
	print "denied=" ndenied > FEXP
	print "billed=" money(billed) > FEXP
	print "paid_money=" money(paidsum) > FEXP
	print "adjusted=" money(adj) > FEXP
	print "patient_responsibility=" money(prsum) > FEXP
	print "plb=" money(plb) > FEXP
	close(FEXP)
}'
f=$dir/remit-$n.835
cat "$f.head" "$f.body" "$f.tail" >"$f.tmp"
rm -f "$f.head" "$f.body" "$f.tail"
mv "$f.tmp" "$f"
