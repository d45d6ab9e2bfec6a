#!/bin/sh
# CSV / HL7 v2.xml pairs: the same encounters in both forms must be coded the
# same way. For each pair, `dripcode check` runs on both files and these must
# be equal:
#   - the exit status;
#   - lines.csv without its source_lines column (line numbers differ by form);
#   - held.csv without source and source_line, with "line N" in hold_reason
#     blanked and start_time/stop_time on the service date shown as HH:MM[:SS]
#     (a CSV may give "09:50", the XML form always has the date);
#   - uk-line-items.csv as it is;
#   - the counts of summary.json (rows, encounters, coded, held, ..., charge),
#     holds_by_category and warnings_by_rule.
# Whichever of these files exist are compared; a file present for one form
# only is a failure. When python3 is there, the XML of each pair is also
# checked to be what tools/csv2hl7xml.py makes of the CSV today (with
# --plain for a file whose name has "plain": the v2.6+ form).
# Usage: xml-pair.sh [CSV XML]...
#   default: the demo extract against xml-pair-demo's extract.xml (v2.5.1
#   component form) and extract-plain.xml (v2.6+ plain form)
set -u
: "${DRIPCODE:?set DRIPCODE to the dripcode binary}"
: "${TOP_SRCDIR:=$(cd "$(dirname "$0")/.." && pwd)}"
if [ $# -eq 0 ]; then
	demo=$TOP_SRCDIR/testdata/demo/extract.csv
	pair=$TOP_SRCDIR/testdata/cases/xml-pair-demo/input
	set -- "$demo" "$pair/extract.xml" "$demo" "$pair/extract-plain.xml"
fi
work=$(mktemp -d "${TMPDIR:-/tmp}/dc-xmlpair.XXXXXX")
trap 'rm -rf "$work"' EXIT INT TERM

# CSV-aware: prints each record with fields separated by \037, after the
# per-file normalisation ($1 = lines | held | plain).
normal() {
	awk -v kind="$1" '
	function parse(rec,    i, c, q, f, n) {
		n = 0; f = ""; q = 0
		for (i = 1; i <= length(rec); i++) {
			c = substr(rec, i, 1)
			if (q) {
				if (c == "\"") {
					if (substr(rec, i + 1, 1) == "\"") { f = f "\""; i++ }
					else q = 0
				} else f = f c
			} else if (c == "\"") q = 1
			else if (c == ",") { F[++n] = f; f = "" }
			else f = f c
		}
		F[++n] = f
		return n
	}
	{
		rec = (pending == "") ? $0 : pending "\n" $0
		tmp = rec; nq = gsub(/"/, "", tmp)
		if (nq % 2) { pending = rec; next }
		pending = ""
		n = parse(rec)
		if (NR == 1 || !hdr) {
			hdr = 1
			for (i = 1; i <= n; i++) col[F[i]] = i
		} else if (kind == "lines") {
			F[col["source_lines"]] = "-"
		} else if (kind == "held") {
			F[col["source"]] = "-"; F[col["source_line"]] = "-"
			r = F[col["hold_reason"]]
			gsub(/lines? [0-9][0-9]*(-[0-9][0-9]*)?/, "line N", r)
			F[col["hold_reason"]] = r
			d = F[col["service_date"]]
			if (d ~ /^[0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9]$/)
				d = substr(d, 1, 4) "-" substr(d, 5, 2) "-" substr(d, 7, 2)
			for (k = 1; k <= 2; k++) {
				c = col[k == 1 ? "start_time" : "stop_time"]
				if (index(F[c], d "T") == 1) F[c] = substr(F[c], 12)
			}
		}
		out = F[1]
		for (i = 2; i <= n; i++) out = out "\037" F[i]
		print out
	}' "$2"
}

counts() {
	grep -o -e '"rows": .*"rows_already_billed": [0-9]*' -e '"holds_by_category": .*' \
		-e '"warnings_by_rule": .*' -e '"exit_status": [0-9]*' "$1"
}

fail=0
while [ $# -ge 2 ]; do
	csv=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
	xml=$(cd "$(dirname "$2")" && pwd)/$(basename "$2")
	shift 2
	name="$(basename "$csv") ~ $(basename "$xml")"
	ok=1
	why=
	for form in csv xml; do
		eval "in=\$$form"
		(cd "$work" && ${DC_WRAP:-} "$DRIPCODE" check --now 2026-03-03T02:00 -o "$work/$form" \
			"$in" >"$work/$form.out" 2>"$work/$form.err" </dev/null)
		echo $? >"$work/$form.exit"
	done
	cmp -s "$work/csv.exit" "$work/xml.exit" ||
		{ ok=0; why="$why exit $(cat "$work/csv.exit") vs $(cat "$work/xml.exit");"; }
	for f in lines.csv held.csv uk-line-items.csv summary.json; do
		a="$work/csv/$f" b="$work/xml/$f"
		if [ ! -f "$a" ] && [ ! -f "$b" ]; then continue; fi
		if [ ! -f "$a" ] || [ ! -f "$b" ]; then ok=0; why="$why $f in one form only;"; continue; fi
		case $f in
		lines.csv) normal lines "$a" >"$work/a"; normal lines "$b" >"$work/b" ;;
		held.csv) normal held "$a" >"$work/a"; normal held "$b" >"$work/b" ;;
		summary.json) counts "$a" >"$work/a"; counts "$b" >"$work/b" ;;
		*) cp "$a" "$work/a"; cp "$b" "$work/b" ;;
		esac
		if ! cmp -s "$work/a" "$work/b"; then
			ok=0
			why="$why $f differs;"
			diff "$work/a" "$work/b" | tr '\037' ',' | head -20
		fi
	done
	if command -v python3 >/dev/null 2>&1; then
		plain=
		case $(basename "$xml") in *plain*) plain=--plain ;; esac
		if python3 "$TOP_SRCDIR/tools/csv2hl7xml.py" $plain "$csv" >"$work/conv.xml" 2>"$work/conv.err"; then
			cmp -s "$work/conv.xml" "$xml" ||
				{ ok=0; why="$why $xml is not what tools/csv2hl7xml.py makes of $csv;"; }
		else
			ok=0; why="$why csv2hl7xml failed: $(cat "$work/conv.err");"
		fi
	fi
	if [ $ok = 1 ]; then
		echo "PASS: $name"
	else
		echo "FAIL: $name:$why"
		fail=1
	fi
	rm -rf "$work/csv" "$work/xml"
done
exit $fail
