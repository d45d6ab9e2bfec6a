#!/bin/sh
# Failure injection: the N-th write, fsync, rename and ledger commit fail in
# turn (DRIPCODE_TEST_FAIL, as a full disk would). Every such run must end with
# exit status 4 and a message, leave no temporary file in the output
# directory, and leave a ledger that agrees with it: each claim file in the
# directory is recorded complete, each complete file recorded is there.
set -u
: "${DRIPCODE:?}" "${TOP_SRCDIR:?}"
pass=0
fail=0
work=$(mktemp -d "${TMPDIR:-/tmp}/dc-fail.XXXXXX")
trap 'rm -rf "$work"' EXIT INT TERM
. "$TOP_SRCDIR/tests/lib.sh"
demo="$TOP_SRCDIR/testdata/demo/extract.csv"


for op in write fsync rename commit; do
	n=1
	while [ $n -le 40 ]; do
		out="$work/out-$op-$n"
		led="$work/l-$op-$n.sqlite"
		DRIPCODE_TEST_FAIL="$op:$n" "$DRIPCODE" code -q --ledger "$led" \
			--now 2026-03-14T02:00 -o "$out" "$demo" 2>"$work/err"
		st=$?
		if [ $st = 1 ] || [ $st = 0 ]; then
			break   # the N-th call of this kind never came: every site was hit
		fi
		if [ $st = 4 ] && [ -s "$work/err" ] && dc_agree "$out" "$led"; then
			pass=$((pass + 1))
		else
			fail=$((fail + 1))
			echo "FAIL: $op #$n: exit $st"; cat "$work/err"
		fi
		n=$((n + 1))
	done
	echo "$op: $((n - 1)) failure points"
	[ $n -gt 1 ] || { fail=$((fail + 1)); echo "FAIL: no $op was ever attempted"; }
done
# claims in the claim files a run's summary.json lists
sent() {
	grep -o '"path": "[^"]*", "claims": [0-9]*' "$1/summary.json" |
	awk -F'[",: ]+' '$3 ~ /^(837|uk-line-items)/ {n += $5} END {print n + 0}'
}

# The N-th ledger lookup (of an encounter or of a claim id), mark, or batch
# of marks written (by the marks' own thread) fails, as an unreadable ledger
# would. The run cannot tell an encounter billed before
# from a new one, so it writes no claim file and records none (exit 4), and
# the next run bills every encounter, as if the failed one had never been.
cp "$demo" "$work/again.csv"
"$DRIPCODE" code -q --ledger "$work/clean.sqlite" --now 2026-03-14T02:00 -o "$work/clean" \
	"$demo" "$work/again.csv" 2>/dev/null
want=$(sent "$work/clean")
for op in lookup mark marks; do
	n=1
	while [ $n -le 100 ]; do
		out="$work/out-$op-$n"
		led="$work/l-$op-$n.sqlite"
		DRIPCODE_TEST_FAIL="$op:$n" "$DRIPCODE" code -q --ledger "$led" \
			--now 2026-03-14T02:00 -o "$out" "$demo" "$work/again.csv" 2>"$work/err"
		st=$?
		# the N-th call never came: every site was hit
		[ $st = 1 ] && ! grep -q "injected failure" "$work/err" && break
		"$DRIPCODE" code -q --ledger "$led" --now 2026-03-14T02:00 -o "$out.next" \
			"$demo" "$work/again.csv" 2>/dev/null
		if [ $st = 4 ] && grep -q "no claim file written" "$work/err" &&
		   ! ls "$out" | grep -q -e '^837' -e '^uk-line-items' && dc_agree "$out" "$led" &&
		   [ "$(sent "$out.next")" = "$want" ]; then
			pass=$((pass + 1))
		else
			fail=$((fail + 1))
			echo "FAIL: $op #$n: exit $st; next run sent $(sent "$out.next") claims of $want"
			cat "$work/err"; ls "$out"
		fi
		n=$((n + 1))
	done
	echo "$op: $((n - 1)) failure points"
	[ $n -gt 1 ] || { fail=$((fail + 1)); echo "FAIL: no $op was ever attempted"; }
done
echo "failures: $pass passed, $fail failed"
[ $fail -eq 0 ]
