#!/bin/sh
# `dripcode explain` on every demo encounter: every coded line shows its
# rule ids and the arithmetic behind its units, a held encounter its reason,
# and an unknown encounter id is an error.
set -u
: "${DRIPCODE:?}" "${TOP_SRCDIR:?}"
pass=0
fail=0
work=$(mktemp -d "${TMPDIR:-/tmp}/dc-explain.XXXXXX")
trap 'rm -rf "$work"' EXIT INT TERM
demo="$TOP_SRCDIR/testdata/demo/extract.csv"
check() {
	if [ "$2" = 0 ]; then pass=$((pass + 1)); else fail=$((fail + 1)); echo "FAIL: $1"; fi
}
lines=0
for id in $(tail -n +2 "$demo" | cut -d, -f1 | uniq); do
	"$DRIPCODE" explain --now 2026-03-14T02:00 "$demo" "$id" >"$work/out" 2>"$work/err"
	check "$id: explain exits 0" $?
	grep -q "^encounter $id:" "$work/out"; check "$id: names the encounter" $?
	if grep -q "^held:" "$work/out"; then
		grep -q "^held: [a-z_]*: ." "$work/out"; check "$id: hold with category and reason" $?
		continue
	fi
	# every line: "ID #N CODE xUNITS CHARGE: arithmetic  [RULE;...]"
	n=$(grep -c " #[0-9]* " "$work/out")
	good=$(grep -cE " #[0-9]+ [A-Z0-9]+(-[A-Z0-9;]+)? x[0-9.]+ [0-9]+\.[0-9]{2}: .+  \[[A-Z0-9-]+(;[A-Z0-9-]+)*\]" "$work/out")
	[ "$n" = "$good" ]; check "$id: all $n lines show arithmetic and rules" $?
	lines=$((lines + n))
done
[ $lines -gt 50 ]; check "the demo's lines were explained ($lines)" $?
"$DRIPCODE" explain "$demo" NO-SUCH-ID >/dev/null 2>"$work/err"
[ $? = 1 ] && grep -q "not found" "$work/err"; check "an unknown encounter is an error" $?
echo "explain: $pass passed, $fail failed"
[ $fail -eq 0 ]
