#!/bin/sh
# `dripcode rules import-asp` on the real CMS files, when they are next to the
# source tree (TOP_SRCDIR/../shared/data/cms; skipped otherwise): the import
# reproduces every billing unit of the shipped us/drugs.csv and every row of
# us/ndc.csv (tools/build-us-rulesets.py built them from the same files), also
# after the units of a copy were spoilt; a second import changes nothing; the
# result passes `rules check`; a missing file or one without a header exits 2.
set -u
: "${DRIPCODE:?}" "${TOP_SRCDIR:?}"
cms="$TOP_SRCDIR/../shared/data/cms"
if [ ! -f "$cms/asp_pricing.csv" ] || [ ! -f "$cms/asp_crosswalk.csv" ]; then
	echo "import-asp: SKIP: the CMS files are not in $cms"
	exit 77
fi
pricing="$cms/asp_pricing.csv"
crosswalk="$cms/asp_crosswalk.csv"
ship="$TOP_SRCDIR/rulesets"
pass=0
fail=0
work=$(mktemp -d "${TMPDIR:-/tmp}/dc-import-asp.XXXXXX")
trap 'rm -rf "$work"' EXIT INT TERM
check() {
	if [ "$2" = 0 ]; then pass=$((pass + 1)); else fail=$((fail + 1)); echo "FAIL: $1"; fi
}
rows() { grep -v '^#' "$1"; }
# every code of the shipped drugs.csv: its billing unit amount and unit in |file|
units_match() { # file
	awk -F, 'NR == FNR { if ($0 !~ /^#/) want[$1] = $3 " " $4; next }
		 $0 !~ /^#/ { got[$1] = $3 " " $4 }
		 END { bad = 0
		       for (c in want) if (got[c] != want[c]) {
			       printf "  %s: shipped \"%s\", imported \"%s\"\n", c, want[c], got[c]; bad++ }
		       exit bad != 0 }' "$ship/us/drugs.csv" "$1"
}

# 1. from the shipped rulesets into -o DIR
"$DRIPCODE" rules import-asp --rules "$ship" "$pricing" "$crosswalk" -o "$work/out" \
	>"$work/report" 2>"$work/err"
check "import exits 0 ($(head -3 "$work/err"))" $?
units_match "$work/out/us/drugs.csv"
check "every billing unit of the shipped drugs.csv reproduced" $?
rows "$ship/us/drugs.csv" >"$work/a"; rows "$work/out/us/drugs.csv" >"$work/b"
cmp -s "$work/a" "$work/b"; check "drugs.csv rows unchanged" $?
rows "$ship/us/ndc.csv" >"$work/a"; rows "$work/out/us/ndc.csv" >"$work/b"
cmp -s "$work/a" "$work/b"; check "every ndc.csv row reproduced" $?
[ $? = 0 ] || diff "$work/a" "$work/b" | head -10
grep -q "^drugs.csv: .* 0 units changed, 0 added, 0 retired" "$work/report"
check "report: nothing changed" $?
grep -q "^ndc.csv: [0-9]* rows (before [0-9]*): 0 added, 0 removed, 0 changed" "$work/report"
check "report: no NDC row changed" $?
[ ! -s "$work/err" ]; check "no warnings" $?

# 2. a copy with its billing units spoilt, imported in place
mkdir -p "$work/rules/us" "$work/rules/uk"
cp "$ship"/us/*.csv "$work/rules/us/"
cp "$ship"/uk/*.csv "$work/rules/uk/"
# (not J3376 and S0028: the ASP file lacks them, their unit is the HCPCS descriptor's)
awk -F, -v OFS=, '/^#/ || $1 == "hcpcs" || $3 == "" || $1 == "J3376" || $1 == "S0028" { print; next }
		  { $3 = $3 * 2; $4 = "g"; print }' "$ship/us/drugs.csv" >"$work/rules/us/drugs.csv"
spoilt=$(grep -v '^#' "$work/rules/us/drugs.csv" | awk -F, '$4 == "g"' | wc -l)
"$DRIPCODE" rules import-asp --rules "$work/rules" "$pricing" "$crosswalk" >"$work/report" 2>"$work/err"
check "in-place import exits 0" $?
units_match "$work/rules/us/drugs.csv"
check "spoilt units restored to the shipped ones" $?
grep -q "^drugs.csv: .* $spoilt units changed, 0 added, 0 retired" "$work/report"
check "report counts the $spoilt codes whose unit changed" $?
grep -q "^unit changed: J1745 20 g -> 10 mg$" "$work/report"
check "report: J1745 old -> new" $?
cmp -s "$ship/us/drugs.csv" "$work/rules/us/drugs.csv"
check "drugs.csv is the shipped file again, byte for byte" $?
cmp -s "$ship/us/ndc.csv" "$work/rules/us/ndc.csv"
check "ndc.csv is the shipped file, byte for byte" $?
"$DRIPCODE" rules check --rules "$work/rules" >/dev/null 2>"$work/err"
check "rules check passes on the result" $?

# 3. again: nothing changes
cp "$work/rules/us/drugs.csv" "$work/d1"; cp "$work/rules/us/ndc.csv" "$work/n1"
"$DRIPCODE" rules import-asp --rules "$work/rules" "$pricing" "$crosswalk" >"$work/report" 2>&1
check "second import exits 0" $?
cmp -s "$work/d1" "$work/rules/us/drugs.csv" && cmp -s "$work/n1" "$work/rules/us/ndc.csv"
check "second import leaves both files as they were" $?

# 4. errors: exit 2, naming the file; nothing written
"$DRIPCODE" rules import-asp --rules "$ship" "$work/no-such.csv" "$crosswalk" -o "$work/o2" \
	>/dev/null 2>"$work/err"
st=$?
[ $st = 2 ] && grep -q "no-such.csv" "$work/err" && [ ! -e "$work/o2" ]
check "missing pricing file: exit 2 ($st), file named" $?
"$DRIPCODE" rules import-asp --rules "$ship" "$TOP_SRCDIR/testdata/cms/no_header.csv" "$crosswalk" \
	-o "$work/o2" >/dev/null 2>"$work/err"
st=$?
[ $st = 2 ] && grep -q "no_header.csv: error: no header row found" "$work/err" && [ ! -e "$work/o2" ]
check "no header: exit 2 ($st), file named" $?
"$DRIPCODE" rules import-asp --rules "$ship" "$pricing" >/dev/null 2>&1
check "one file only: usage error" $(($? == 2 ? 0 : 1))

echo "import-asp: $pass passed, $fail failed"
[ $fail -eq 0 ]
