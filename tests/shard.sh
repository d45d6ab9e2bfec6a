#!/bin/sh
# Sharding: N workers over one extract (--shard K/N, each with its own
# ledger) together code exactly what one run codes: their summaries add up,
# their lines are the single run's lines, no interchange control number is
# used twice, and after `ledger merge` every encounter is already billed.
set -u
: "${DRIPCODE:?}" "${TOP_SRCDIR:?}"
pass=0
fail=0
work=$(mktemp -d "${TMPDIR:-/tmp}/dc-shard.XXXXXX")
trap 'rm -rf "$work"' EXIT INT TERM
. "$TOP_SRCDIR/tests/lib.sh"
demo="$TOP_SRCDIR/testdata/demo/extract.csv"
N=3

check() {
	if [ "$2" = 0 ]; then pass=$((pass + 1)); echo "PASS: $1"
	else fail=$((fail + 1)); echo "FAIL: $1"; fi
}

"$DRIPCODE" code -q --ledger "$work/single.sqlite" --now 2026-03-14T02:00 -o "$work/single" "$demo"
k=1
while [ $k -le $N ]; do
	"$DRIPCODE" code -q --shard $k/$N --ledger "$work/l$k.sqlite" --now 2026-03-14T02:00 \
		-o "$work/s$k" "$demo"
	k=$((k + 1))
done

# shard_sum PREFIX KEY: KEY of the totals, summed over $work/PREFIX1 .. PREFIXN
shard_sum() {
	sum=0
	k=1
	while [ $k -le $N ]; do
		sum=$((sum + $(dc_total "$work/$1$k/summary.json" $2)))
		k=$((k + 1))
	done
	echo $sum
}
for key in rows encounters coded held rejected_rows lines claims; do
	[ "$(shard_sum s $key)" = "$(dc_total "$work/single/summary.json" $key)" ]
	check "shards' $key add up to the single run's" $?
done

# HL7 v2.xml with messages whose administrations were all not given (RXA-20
# NA): counted once, by the shard their encounter falls to
xml="$work/na.xml"
awk '/<PV1.19>/ { na = /DEMO-US03|DEMO-US09|DEMO-UK04/ }
	na { gsub(/<RXA.20>CP</, "<RXA.20>NA<") } { print }' \
	"$TOP_SRCDIR/testdata/cases/xml-pair-demo/input/extract.xml" >"$xml"
"$DRIPCODE" code -q --dry-run --now 2026-03-14T02:00 -o "$work/xsingle" "$xml"
k=1
while [ $k -le $N ]; do
	"$DRIPCODE" code -q --dry-run --shard $k/$N --now 2026-03-14T02:00 -o "$work/x$k" "$xml"
	k=$((k + 1))
done
for key in rows encounters not_administered rejected_rows; do
	[ "$(shard_sum x $key)" = "$(dc_total "$work/xsingle/summary.json" $key)" ] &&
		[ "$(dc_total "$work/xsingle/summary.json" not_administered)" -ge 3 ]
	check "HL7 v2.xml: shards' $key add up to the single run's" $?
done

sort_lines() { [ -f "$1" ] && tail -n +2 "$1"; }
{ k=1; while [ $k -le $N ]; do sort_lines "$work/s$k/lines.csv"; k=$((k + 1)); done; } | sort >"$work/shards.lines"
sort_lines "$work/single/lines.csv" | sort >"$work/single.lines"
cmp -s "$work/shards.lines" "$work/single.lines"; check "shards' lines are the single run's lines" $?

ls "$work"/s[0-9]*/837*.x12 2>/dev/null | sed 's/.*-\([0-9]*\)\.x12/\1/' | sort | uniq -d >"$work/dup"
[ ! -s "$work/dup" ] && [ -n "$(ls "$work"/s[0-9]*/837*.x12 2>/dev/null)" ]
check "no ISA13 used by two shards" $?

"$DRIPCODE" ledger merge --ledger "$work/merged.sqlite" "$work"/l*.sqlite
check "ledger merge" $?
"$DRIPCODE" code -q --ledger "$work/merged.sqlite" --now 2026-03-15T02:00 -o "$work/after" "$demo"
billed=$(( $(dc_total "$work/single/summary.json" coded) - $(dc_total "$work/single/summary.json" no_claim) ))
[ "$billed" -gt 0 ] && [ "$(dc_total "$work/after/summary.json" already_billed)" = "$billed" ]
check "after the merge, everything the shards billed is already billed" $?

"$DRIPCODE" ledger merge --ledger "$work/single.sqlite" "$work/l1.sqlite" 2>"$work/err"
st=$?
[ $st != 0 ] && grep -q "billed in both" "$work/err"
check "merging a ledger that billed the same encounters elsewhere is refused" $?

echo "shard: $pass passed, $fail failed"
[ $fail -eq 0 ]
