#!/bin/sh
# The ledger across runs: re-running an extract bills nothing twice, the same
# encounter in two inputs of one run is billed once (with --rebill too), a
# second run waits for the lock and then exits 5 touching nothing, --dry-run
# leaves the ledger alone, --rebill replaces only what an earlier run billed,
# and every claim of a run of several 837P files is recorded.
set -u
: "${DRIPCODE:?}" "${TOP_SRCDIR:?}"
pass=0
fail=0
work=$(mktemp -d "${TMPDIR:-/tmp}/dc-ledger.XXXXXX")
trap 'rm -rf "$work"' EXIT INT TERM
. "$TOP_SRCDIR/tests/lib.sh"
demo="$TOP_SRCDIR/testdata/demo/extract.csv"
L="$work/ledger.sqlite"

check() { # name condition-status
	if [ "$2" = 0 ]; then pass=$((pass + 1)); echo "PASS: $1"
	else fail=$((fail + 1)); echo "FAIL: $1"; fi
}

"$DRIPCODE" code -q --ledger "$L" --now 2026-03-14T02:00 -o "$work/r1" "$demo"
first_coded=$(dc_total "$work/r1/summary.json" coded)
first_held=$(dc_total "$work/r1/summary.json" held)
[ "$(dc_total "$work/r1/summary.json" already_billed)" = 0 ]; check "first run bills everything new" $?

"$DRIPCODE" code -q --ledger "$L" --now 2026-03-15T02:00 -o "$work/r2" "$demo"
uk_first=$(grep -c '^DEMO-UK' "$work/r1/uk-line-items.csv" | tr -d ' ')
again=$(dc_total "$work/r2/summary.json" already_billed)
billed=$(( first_coded - $(dc_total "$work/r1/summary.json" no_claim) ))
[ "$again" = "$billed" ] && [ ! -e "$work/r2/uk-line-items.csv" ] &&
	[ -z "$(ls "$work/r2" | grep '^837')" ] && [ -n "$(ls "$work/r1" | grep '^837')" ]
check "a re-run bills nothing already billed ($again already billed, $billed billed before)" $?
# no interchange control number is ever used twice
"$DRIPCODE" code -q --ledger "$L" --now 2026-03-15T03:00 -o "$work/r2b" \
	"$TOP_SRCDIR/testdata/cases/csv-clean/input/extract.csv" --rebill
ls "$work"/r1/837* "$work"/r2b/837* | sed 's/.*-\([0-9]*\)\.x12/\1/' | sort | uniq -d >"$work/dup"
[ ! -s "$work/dup" ] && [ -n "$(ls "$work"/r2b | grep '^837')" ]
check "a later run on the same ledger never reuses an ISA13" $?
[ "$(dc_total "$work/r2/summary.json" held)" = "$first_held" ]
check "held encounters are held again, not counted as billed" $?

"$DRIPCODE" code -q --ledger "$work/l2.sqlite" --now 2026-03-14T02:00 -o "$work/r3" "$demo" "$demo"
twice=$(grep -o '"already_billed": [0-9]*' "$work/r3/summary.json" | sed -n 2p | cut -d' ' -f2)
[ "$twice" = "$billed" ]; check "the same encounter in two inputs of one run is billed once" $?

"$DRIPCODE" code -q --dry-run --ledger "$work/l3.sqlite" -o "$work/r4" "$demo"
[ ! -e "$work/l3.sqlite" ] && [ ! -e "$work/r4/uk-line-items.csv" ]
check "--dry-run touches no ledger and writes no claims" $?

if command -v flock >/dev/null 2>&1; then
	flock "$L.lock" sleep 3 &
	holder=$!
	sleep 0.5
	"$DRIPCODE" code -q --ledger "$L" -o "$work/r5" "$demo" 2>"$work/err5"
	st=$?
	[ $st = 5 ] && [ ! -e "$work/r5" ] && grep -q "in use" "$work/err5"
	check "a second run exits 5 without touching anything" $?
	"$DRIPCODE" code -q --wait 10 --ledger "$L" --now 2026-03-16T02:00 -o "$work/r6" "$demo"
	st=$?
	[ $st = 1 ]; check "--wait waits for the lock" $?
	wait $holder
fi
[ -n "$first_coded" ] && [ "$uk_first" -gt 0 ]; check "the demo has UK invoices to bill" $?

# --rebill: replacement claims, REF*F8 where reconciliation knows the payer's number
L4="$work/l4.sqlite"
"$DRIPCODE" code -q --ledger "$L4" --now 2026-03-14T02:00 -o "$work/r7" "$demo"
clm=$(grep -h '^CLM\*' "$work"/r7/837p-*.x12 | head -1)
cid=$(echo "$clm" | cut -d'*' -f2)
amt=$(echo "$clm" | cut -d'*' -f3)
cat >"$work/paid.835" <<EOF
ISA*00*          *00*          *ZZ*87726          *ZZ*DRIPCODEDEMO   *260320*0200*^*00501*000000301*0*T*:~
GS*HP*87726*DRIPCODEDEMO*20260320*0200*301*X*005010X221A1~
ST*835*0001~
BPR*I*$amt*C*ACH*CCP*01*999999999*DA*123456*1512345678**01*999988880*DA*98765*20260320~
TRN*1*EFT-REBILL*1870000001~
DTM*405*20260320~
N1*PR*UNITEDHEALTHCARE~
N1*PE*DRIPCODE DEMO INFUSION*XX*1234567893~
LX*1~
CLP*$cid*1*$amt*$amt**12*PCN-REBILL-1~
SE*10*0001~
GE*1*301~
IEA*1*000000301~
EOF
"$DRIPCODE" reconcile -q --ledger "$L4" --remit "$work/paid.835" -o "$work/rc7" --now 2026-03-21T08:00
"$DRIPCODE" code -q --ledger "$L4" --now 2026-03-22T02:00 --rebill -o "$work/r8" "$demo"
# the claim's own loop carries REF*F8; no other claim does; every claim is a replacement
f8=$(awk -F'*' '$1 == "CLM" { cur = $2 } /^REF\*F8\*/ { print cur ":" $3 }' "$work"/r8/837*.x12)
[ -n "$cid" ] && [ "$f8" = "$cid:PCN-REBILL-1~" ] &&
	[ -z "$(grep -h '^CLM\*' "$work"/r8/837*.x12 | grep -v ':7\*')" ] &&
	[ "$(grep -c '^CLM\*' "$work"/r8/837p-*.x12)" = "$(grep -c '^CLM\*' "$work"/r7/837p-*.x12)" ]
check "--rebill writes replacement claims, REF*F8 the payer's number where reconcile has it" $?

# --rebill replaces only what an earlier run billed: an encounter the ledger
# does not know is an original, and one of an earlier input of the same run
# is already billed there, not billed a second time
L5="$work/l5.sqlite"
"$DRIPCODE" code -q --ledger "$L5" --now 2026-03-14T02:00 --rebill -o "$work/r9" "$demo" "$demo"
[ -n "$(grep -h '^CLM\*' "$work"/r9/837*.x12)" ] &&
	[ -z "$(grep -h '^CLM\*' "$work"/r9/837*.x12 | grep -v ':1\*')" ] &&
	[ "$(grep -h '^CLM\*' "$work"/r9/837*.x12 | cut -d'*' -f2 | sort | uniq -d)" = "" ] &&
	[ "$(grep -o '"already_billed": [0-9]*' "$work/r9/summary.json" | sed -n 2p | cut -d' ' -f2)" = "$billed" ]
check "--rebill on encounters never billed: originals, each once in a run of two copies" $?

# a replacement file that is lost (its rename failed) leaves the encounters
# billed by their earlier claims
L6="$work/l6.sqlite"
"$DRIPCODE" code -q --ledger "$L6" --now 2026-03-14T02:00 -o "$work/r10" "$demo"
DRIPCODE_TEST_FAIL=rename:1 "$DRIPCODE" code -q --ledger "$L6" --now 2026-03-15T02:00 \
	--rebill -o "$work/r11" "$demo" 2>/dev/null
st=$?
"$DRIPCODE" code -q --ledger "$L6" --now 2026-03-16T02:00 -o "$work/r12" "$demo"
[ $st = 4 ] && [ "$(dc_total "$work/r12/summary.json" already_billed)" = "$billed" ] &&
	[ -z "$(ls "$work/r12" | grep -e '^837' -e '^uk-line-items')" ]
check "a lost replacement file leaves its encounters billed" $?

# An encounter_id over 20 characters is billed under a shortened claim id
# (7 characters, '-', 12 hex digits of its FNV-1a hash). When an earlier
# claim already uses that id for another encounter, the encounter is held,
# never billed under a claim id that would merge it with the other one.
long=E100200300400500600700
short=E100200-f0611f917740    # the shortened form of $long
for id in "$short" "$long"; do
	awk -F, -v id="$id" 'NR == 1 {print; next} $1 == "DEMO-US01" {sub(/^[^,]*/, id); print}' \
		"$demo" >"$work/id-$id.csv"
done
L7="$work/l7.sqlite"
"$DRIPCODE" code -q --ledger "$L7" --now 2026-03-14T02:00 -o "$work/r13" "$work/id-$short.csv"
"$DRIPCODE" code -q --ledger "$L7" --now 2026-03-14T03:00 -o "$work/r14" "$work/id-$long.csv" \
	2>/dev/null
"$DRIPCODE" code -q --ledger "$work/l8.sqlite" --now 2026-03-14T03:00 -o "$work/r15" \
	"$work/id-$long.csv"
grep -q "^CLM\*$short\*" "$work"/r13/837*.x12 &&
	[ -z "$(ls "$work/r14" | grep '^837')" ] &&
	grep -q "invalid_field,claim id '$short' derived from encounter_id is already used" \
		"$work/r14/held.csv" &&
	grep -q "^CLM\*$short\*" "$work"/r15/837*.x12
check "a shortened claim id another encounter's claim uses holds the encounter" $?

# Enough claims for several 837P files: the ledger thread reads the
# claims of each file from the stage itself, cut into files by the same
# rule as the files (a file whose counts disagree is not sent). Every
# claim sent is recorded, with one job or two, and a re-run bills none.
sh "$TOP_SRCDIR/bench/gen-extract.sh" 30 >"$work/big.csv"
for j in 1 2; do
	"$DRIPCODE" code -q -j $j --ledger "$work/big$j.sqlite" --now 2026-03-14T02:00 \
		-o "$work/big$j" "$work/big.csv" 2>"$work/big$j.err"
done
clms=$(cat "$work"/big2/837*.x12 | grep -c '^CLM\*')
"$DRIPCODE" ledger show --ledger "$work/big2.sqlite" >"$work/big2.show"
us=$(awk '$1 == "US" {print $2}' "$work/big2.show")
uk=$(awk '$1 == "UK" {print $2}' "$work/big2.show")
"$DRIPCODE" code -q --ledger "$work/big2.sqlite" --now 2026-03-15T02:00 -o "$work/big3" \
	"$work/big.csv"
[ "$(ls "$work/big2" | grep -c '^837p')" -ge 3 ] && [ ! -s "$work/big2.err" ] &&
	[ "$clms" = "$us" ] && [ "$((clms + uk))" = "$(dc_total "$work/big2/summary.json" claims)" ] &&
	[ -z "$(ls "$work/big3" | grep -e '^837' -e '^uk-line-items')" ] &&
	(cd "$work/big1" && cat 837*.x12 uk-line-items.csv) | cmp -s - \
		"$(cd "$work/big2" && cat 837*.x12 uk-line-items.csv >"$work/big2.all"; echo "$work/big2.all")"
check "every claim of several 837P files is recorded, once ($clms claims)" $?

echo "ledger: $pass passed, $fail failed"
[ $fail -eq 0 ]
