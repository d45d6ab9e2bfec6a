#!/bin/sh
# The ledger across runs: re-running an extract bills nothing twice, the same
# encounter in two inputs of one run is billed once, a second run waits for
# the lock and then exits 5 touching nothing, --dry-run leaves the ledger alone.
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

echo "ledger: $pass passed, $fail failed"
[ $fail -eq 0 ]
