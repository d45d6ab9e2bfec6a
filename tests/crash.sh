#!/bin/sh
# Crash consistency: `dripcode code` is killed with SIGKILL at its N-th write,
# fsync, rename or ledger commit, for every N until a run completes. After
# each, the next run (on the same ledger) completes or forgets what the dead
# one left, and then the ledger and the dead run's output directory agree:
# every claim file recorded complete is there, every claim file there is
# recorded complete, no temporary file is left, and re-coding the extract
# bills exactly what the ledger does not know; with relative paths and the
# recovering run started elsewhere, no claim file is lost. Also: two runs with fresh
# ledgers and the same --now write byte-identical files, and two concurrent
# runs on one ledger serialise (one exits 5, or waits with --wait).
set -u
: "${DRIPCODE:?}" "${TOP_SRCDIR:?}"
pass=0
fail=0
work=$(mktemp -d "${TMPDIR:-/tmp}/dc-crash.XXXXXX")
trap 'rm -rf "$work"' EXIT INT TERM
. "$TOP_SRCDIR/tests/lib.sh"
demo="$TOP_SRCDIR/testdata/demo/extract.csv"
head -1 "$demo" >"$work/empty.csv"
check() {
	if [ "$2" = 0 ]; then pass=$((pass + 1)); else fail=$((fail + 1)); echo "FAIL: $1"; fi
}


# what one undisturbed run bills
"$DRIPCODE" code -q --ledger "$work/ref.sqlite" --now 2026-03-14T02:00 -o "$work/ref" "$demo"
want=$(( $(dc_total "$work/ref/summary.json" coded) - $(dc_total "$work/ref/summary.json" no_claim) ))

n=1
kills=0
while [ $n -le 200 ]; do
	L="$work/l$n.sqlite"
	DRIPCODE_TEST_FAIL="kill:$n" "$DRIPCODE" code -q --ledger "$L" --now 2026-03-14T02:00 \
		-o "$work/o$n" "$demo" >/dev/null 2>&1
	st=$?
	if [ $st != 137 ]; then
		break   # the run got past its last write: every point was tried
	fi
	kills=$((kills + 1))
	# the next run recovers
	"$DRIPCODE" code -q --ledger "$L" --now 2026-03-14T03:00 -o "$work/r$n" "$work/empty.csv" \
		>/dev/null 2>"$work/rec.err"
	dc_agree "$work/o$n" "$L"
	check "killed at event $n: ledger and output directory agree after recovery" $?
	# what the ledger knows is billed, the rest is billed now: together the whole demo
	"$DRIPCODE" code -q --ledger "$L" --now 2026-03-14T04:00 -o "$work/c$n" "$demo" >/dev/null 2>&1
	billed=$(( $(dc_total "$work/c$n/summary.json" coded) - $(dc_total "$work/c$n/summary.json" no_claim) + \
		$(dc_total "$work/c$n/summary.json" already_billed) ))
	[ "$billed" = "$want" ]; check "killed at event $n: nothing lost, nothing billed twice ($billed)" $?
	n=$((n + 1))
done
[ $kills -gt 10 ]; check "the run was killed at $kills points" $?

# the same with an output directory and a ledger named relative to the run's
# directory, recovered by a run started from another directory
n=1
while [ $n -le 200 ]; do
	(cd "$work" && DRIPCODE_TEST_FAIL="kill:$n" "$DRIPCODE" code -q --ledger "rl$n.sqlite" \
		--now 2026-03-14T02:00 -o "ro$n" "$demo" >/dev/null 2>&1)
	[ $? != 137 ] && break
	(cd / && "$DRIPCODE" code -q --ledger "$work/rl$n.sqlite" --now 2026-03-14T03:00 \
		-o "$work/rr$n" "$work/empty.csv" >/dev/null 2>&1)
	dc_agree "$work/ro$n" "$work/rl$n.sqlite" &&
		[ -z "$(awk '/^files:/ {f=1; next} /^[a-z]/ {f=0} f && $4 == "lost"' "$work/show")" ]
	check "killed at event $n, relative paths, recovered from elsewhere: nothing lost" $?
	n=$((n + 1))
done

# reproducible: fresh ledgers, same --now, byte-identical files
"$DRIPCODE" code -q --ledger "$work/a.sqlite" --now 2026-03-14T02:00 -o "$work/a" "$demo"
"$DRIPCODE" code -q --ledger "$work/b.sqlite" --now 2026-03-14T02:00 -o "$work/b" "$demo"
ok=0
for f in "$work"/a/*; do
	b=$(basename "$f")
	[ "$b" = summary.json ] && continue
	cmp -s "$f" "$work/b/$b" || { ok=1; echo "differs: $b"; }
done
[ "$(ls "$work/a" | grep -c '^837')" = 2 ] || ok=1
check "two runs with fresh ledgers and the same --now write byte-identical files" $ok

# concurrent runs on one ledger
"$DRIPCODE" code -q --ledger "$work/c.sqlite" --now 2026-03-14T02:00 -o "$work/x1" "$demo" 2>/dev/null & p1=$!
"$DRIPCODE" code -q --ledger "$work/c.sqlite" --now 2026-03-14T02:00 -o "$work/x2" "$demo" 2>/dev/null & p2=$!
wait $p1; s1=$?
wait $p2; s2=$?
# either both ran (one after the other: the second finds everything billed) or one exited 5
if [ $s1 = 5 ] || [ $s2 = 5 ]; then ok=0; else
	ok=1
	a1=$(dc_total "$work/x1/summary.json" already_billed); a2=$(dc_total "$work/x2/summary.json" already_billed)
	[ "$a1" = 0 ] && [ "$a2" = "$want" ] && ok=0
	[ "$a2" = 0 ] && [ "$a1" = "$want" ] && ok=0
fi
check "two concurrent runs: one exits 5 or they serialise (exits $s1 $s2)" $ok
"$DRIPCODE" code -q --wait 30 --ledger "$work/d.sqlite" --now 2026-03-14T02:00 -o "$work/y1" "$demo" & p1=$!
"$DRIPCODE" code -q --wait 30 --ledger "$work/d.sqlite" --now 2026-03-14T02:00 -o "$work/y2" "$demo" & p2=$!
wait $p1; s1=$?
wait $p2; s2=$?
a=$(( $(dc_total "$work/y1/summary.json" already_billed) + $(dc_total "$work/y2/summary.json" already_billed) ))
[ $s1 = 1 ] && [ $s2 = 1 ] && [ $a = "$want" ] && dc_agree "$work/y1" "$work/d.sqlite" && dc_agree "$work/y2" "$work/d.sqlite"
check "with --wait both concurrent runs complete, the second bills nothing twice" $?

echo "crash: $pass passed, $fail failed"
[ $fail -eq 0 ]
