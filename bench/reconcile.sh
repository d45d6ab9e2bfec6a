#!/bin/sh
# Peak memory and time of `dripcode reconcile` on a generated 837 + balanced
# 835 pair (bench/gen-835.sh) of two sizes, each into a fresh ledger. Checks
# that summary.json accounts for every claim (statuses, money, no unmatched
# remittance, no balancing error) and exits 1 if not. Needs GNU time
# (/usr/bin/time, Debian package "time").
# Usage: bench/reconcile.sh [SMALL_CLAIMS] [LARGE_CLAIMS]
#   DRIPCODE   the binary (default: ./dripcode of the tree)
#   BENCH_DIR  scratch directory (default: bench/out); generated files are
#              kept there and reused
set -eu
small=${1:-1000}
large=${2:-1000000}
top=$(cd "$(dirname "$0")/.." && pwd)
dc=${DRIPCODE:-$top/dripcode}
work=${BENCH_DIR:-$top/bench/out}
mkdir -p "$work"
[ -x /usr/bin/time ] || { echo "bench: /usr/bin/time is missing (apt-get install time)" >&2; exit 2; }
bad=0

# value of "key" in the first line of FILE matching PATTERN (a number or a string)
jget() { # file pattern key
	grep -e "$2" "$1" | head -1 | sed -n "s/.*\"$3\": \"\{0,1\}\([^\",}]*\).*/\1/p" | sed 's/ *$//'
}

check() { # what got want
	if [ "$2" != "$3" ]; then
		echo "  MISMATCH: $1 is '$2', expected '$3'"
		bad=1
	fi
}

for n in "$small" "$large"; do
	c837=$work/claims-$n.837
	r835=$work/remit-$n.835
	exp=$work/remit-$n.expect
	if [ ! -f "$c837" ] || [ ! -f "$r835" ] || [ ! -f "$exp" ]; then
		t0=$(date +%s)
		sh "$top/bench/gen-835.sh" "$n" "$work"
		echo "generated $n claims in $(($(date +%s) - t0)) s"
	fi
	out=$work/recon-$n
	ledger=$work/recon-$n.sqlite
	rm -rf "$out" "$ledger" "$ledger"-*
	st=0
	/usr/bin/time -f "%M %e" -o "$work/time" "$dc" reconcile --ledger "$ledger" --claims "$c837" \
		--remit "$r835" -o "$out" --now 2026-04-01T00:00 2>"$work/recon-$n.err" || st=$?
	# GNU time writes "Command exited with non-zero status N" first when st != 0
	read -r kb secs <<EOT
$(tail -1 "$work/time")
EOT
	rate=$(awk -v n="$n" -v s="$secs" 'BEGIN { if (s > 0) printf "%.0f", n / s; else print "-" }')
	printf '%9s claims  835 %12s bytes  837 %12s bytes  ledger %12s bytes  peak RSS %8s KiB  %8s s  %8s claims/s  exit %s\n' \
		"$n" "$(stat -L -c %s "$r835")" "$(stat -L -c %s "$c837")" "$(stat -L -c %s "$ledger" 2>/dev/null || echo 0)" \
		"$kb" "$secs" "$rate" "$st"
	check "exit status" "$st" 0
	if [ -s "$work/recon-$n.err" ]; then
		echo "  stderr ($work/recon-$n.err):"
		head -5 "$work/recon-$n.err" | sed 's/^/    /'
	fi
	s=$out/summary.json
	if [ ! -f "$s" ]; then
		echo "  MISMATCH: no summary.json"
		bad=1
		continue
	fi
	want() { sed -n "s/^$1=//p" "$exp"; }
	check "claims.total" "$(jget "$s" '^  "claims": {' total)" "$(want claims)"
	check "claims.paid" "$(jget "$s" '^  "claims": {' paid)" "$(want paid)"
	check "claims.partial" "$(jget "$s" '^  "claims": {' partial)" "$(want partial)"
	check "claims.denied" "$(jget "$s" '^  "claims": {' denied)" "$(want denied)"
	check "claims.reversed" "$(jget "$s" '^  "claims": {' reversed)" 0
	check "claims.pending" "$(jget "$s" '^  "claims": {' pending)" 0
	check "money.billed" "$(jget "$s" '^  "money": {' billed)" "$(want billed)"
	check "money.paid" "$(jget "$s" '^  "money": {' paid)" "$(want paid_money)"
	check "money.adjusted" "$(jget "$s" '^  "money": {' adjusted)" "$(want adjusted)"
	check "money.patient_responsibility" "$(jget "$s" '^  "money": {' patient_responsibility)" \
		"$(want patient_responsibility)"
	check "money.plb" "$(jget "$s" '^  "money": {' plb)" "$(want plb)"
	check "unmatched.remitted_claims" "$(jget "$s" '^  "unmatched": {' remitted_claims)" 0
	check "balancing_errors" "$(jget "$s" '^  "balancing_errors":' balancing_errors)" 0
	check "835 claims read" "$(jget "$s" '"kind": "835"' claims)" "$(want claims)"
	check "837 claims read" "$(jget "$s" '"kind": "837"' claims)" "$(want claims)"
	check "reconciliation.csv rows" "$(($(wc -l <"$out/reconciliation.csv") - 1))" "$(want claims)"
done
[ $bad = 0 ] && echo "summary.json: every claim matched and balanced" || echo "summary.json: MISMATCHES (see above)"
exit $bad
