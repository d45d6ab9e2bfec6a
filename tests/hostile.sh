#!/bin/sh
# Hostile input, generated at test time: a 10 MB field, 100,000 columns, NUL
# bytes, invalid UTF-8, 10-digit times, negative and enormous doses, years 0
# and 9999, and a small gzip file that inflates to gigabytes of one unending
# line. Each run must end within bounded memory (ulimit -v) and time, with a
# clear message, the exit status batch.md gives, and the accounting invariant.
set -u
: "${DRIPCODE:?}" "${TOP_SRCDIR:?}"
pass=0
fail=0
work=$(mktemp -d "${TMPDIR:-/tmp}/dc-hostile.XXXXXX")
trap 'rm -rf "$work"' EXIT INT TERM
H="encounter_id,service_date,patient_id,patient_last_name,patient_first_name,patient_dob,patient_address,patient_city,patient_state,patient_postcode,payer_id,member_id,diagnosis_codes,rendering_provider_id,rendering_provider_name,item_type,code,dose,dose_unit,start_time,stop_time,route,access_site"
row() { # id date dose start stop [dob]
	printf '%s,%s,P1,TEST,PAT,%s,1 MAIN ST,SPRINGFIELD,IL,62701,MEDICARE,M1,K50.90,1234567893,"SMITH, ANNA",drug,J0696,%s,g,%s,%s,IV,L arm\n' \
		"$1" "$2" "${6:-1960-01-01}" "$3" "$4" "$5"
}
run() { # name want-status grep-pattern input
	name=$1 want=$2 pattern=$3 input=$4
	rm -rf "$work/out"
	# (sanitizers reserve terabytes of address space: no ulimit for them)
	( [ -n "${DC_SANITIZED:-}" ] || ulimit -v 1048576; timeout 300 "$DRIPCODE" check -q -o "$work/out" "$input" ) \
		>/dev/null 2>"$work/err"
	st=$?
	ok=1
	[ "$st" = "$want" ] || ok=0
	[ -z "$pattern" ] || grep -q -- "$pattern" "$work/err" "$work/out/held.csv" \
		"$work/out/rejects.csv" 2>/dev/null || ok=0
	[ -f "$work/out/summary.json" ] && awk -f "$TOP_SRCDIR/tests/invariant.awk" \
		"$work/out/summary.json" >/dev/null || ok=0
	if [ $ok = 1 ]; then
		pass=$((pass + 1)); echo "PASS: $name"
	else
		fail=$((fail + 1)); echo "FAIL: $name (exit $st, want $want)"; head -3 "$work/err"
	fi
}

# a 10 MB field: over the 1 MiB record limit, rejected; the next row is read
{ echo "$H"; printf 'E1,2026-03-02,P1,'; head -c 10485760 /dev/zero | tr '\0' x; printf ',x\n'
  row E2 2026-03-02 1 10:00 10:14; } >"$work/huge-field.csv"
run "10 MB field" 1 "record longer than the limit" "$work/huge-field.csv"

# 100,000 columns in the header: the header cannot be read
{ i=0; printf 'encounter_id'; awk 'BEGIN { for (i = 0; i < 100000; i++) printf ",c%d", i; print "" }'
  row E1 2026-03-02 1 10:00 10:14; } >"$work/wide.csv"
run "100,000 columns" 3 "more than 2048 fields" "$work/wide.csv"

# NUL bytes and invalid UTF-8 in used fields: those rows are rejected
{ echo "$H"; row E1 2026-03-02 1 10:00 10:14; printf 'E2,2026-03-02,P\0002,'; row X 2026-03-02 1 10:00 10:14 | cut -d, -f4-
  printf 'E3,2026-03-02,P\3773,'; row X 2026-03-02 1 10:00 10:14 | cut -d, -f4-; } >"$work/bytes.csv"
run "NUL bytes and invalid UTF-8" 1 "NUL byte" "$work/bytes.csv"
grep -q "invalid UTF-8" "$work/out/rejects.csv" && { pass=$((pass + 1)); echo "PASS: invalid UTF-8 named"; } ||
	{ fail=$((fail + 1)); echo "FAIL: invalid UTF-8 named"; }

# values readable but wrong: held invalid_field, naming column and value
{ echo "$H"; row E1 2026-03-02 1 1000000000 10:14; row E2 2026-03-02 -5 10:00 10:14
  row E3 2026-03-02 99999999999999999999 10:00 10:14; row E4 0000-03-02 1 10:00 10:14
  row E5 9999-03-02 1 10:00 10:14; } >"$work/values.csv"
run "10-digit time" 1 "start_time '1000000000'" "$work/values.csv"
grep -q "dose '-5'" "$work/out/held.csv" && grep -q "dose '99999999999999999999'" "$work/out/held.csv" &&
	grep -q "service_date '0000-03-02'" "$work/out/held.csv" && grep -q "service_date '9999-03-02'" "$work/out/held.csv" &&
	{ pass=$((pass + 1)); echo "PASS: negative, enormous doses and years 0, 9999 held and named"; } ||
	{ fail=$((fail + 1)); echo "FAIL: negative, enormous doses and years 0, 9999 held and named"; }

# a gzip bomb: 2 GiB of one unending line from a small file
head -c 2147483648 /dev/zero | tr '\0' a | gzip -1 >"$work/bomb.csv.gz"
{ echo "$H"; } | gzip -1 >"$work/head.gz"
cat "$work/head.gz" "$work/bomb.csv.gz" >"$work/bomb-with-header.csv.gz"
run "gzip bomb: one 2 GiB line" 1 "record longer than the limit" "$work/bomb-with-header.csv.gz"

# XML nested 100,000 deep: refused past 64 levels, in bounded memory
{ echo '<?xml version="1.0"?><BATCH>'
  awk 'BEGIN { for (i = 0; i < 100000; i++) printf "<a>"; for (i = 0; i < 100000; i++) printf "</a>"; print "</BATCH>" }'
} >"$work/deep.xml"
run "XML nested 100,000 deep" 1 "nesting deeper than 64 levels" "$work/deep.xml"

# an entity bomb: refused at its first declaration
{ echo '<?xml version="1.0"?>'; echo '<!DOCTYPE lolz [<!ENTITY lol "lol">'
  i=1; prev=lol
  while [ $i -le 9 ]; do
	printf '<!ENTITY lol%d "&%s;&%s;&%s;&%s;&%s;&%s;&%s;&%s;&%s;&%s;">\n' $i $prev $prev $prev $prev $prev $prev $prev $prev $prev $prev
	prev=lol$i; i=$((i + 1))
  done
  echo ']><BATCH><RAS_O17>&lol9;</RAS_O17></BATCH>'; } >"$work/bomb.xml"
run "XML entity bomb" 3 "entity declarations" "$work/bomb.xml"

echo "hostile: $pass passed, $fail failed"
[ $fail -eq 0 ]
