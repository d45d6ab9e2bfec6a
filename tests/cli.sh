#!/bin/sh
# Command-line behaviour that golden cases cannot set up: usage errors, an
# output directory that is not empty, --quiet, --help and --version.
set -u
: "${DRIPCODE:?}" "${TOP_SRCDIR:?}"
pass=0
fail=0
work=$(mktemp -d "${TMPDIR:-/tmp}/dc-cli.XXXXXX")
trap 'rm -rf "$work"' EXIT INT TERM
demo="$TOP_SRCDIR/testdata/cases/csv-clean/input/extract.csv"

check() { # name expected-status actual-status [condition-result]
	if [ "$2" = "$3" ] && [ "${4:-0}" = 0 ]; then
		pass=$((pass + 1)); echo "PASS: $1"
	else
		fail=$((fail + 1)); echo "FAIL: $1 (exit $3, want $2)"
	fi
}

"$DRIPCODE" --help >"$work/help" 2>&1; st=$?
grep -q "exit status" "$work/help" && grep -q "explain" "$work/help"; check "--help" 0 $st $?
"$DRIPCODE" --version >"$work/v" 2>&1; st=$?
grep -q '^dripcode [0-9]' "$work/v"; check "--version" 0 $st $?
"$DRIPCODE" frobnicate >/dev/null 2>&1; check "unknown command" 2 $?
"$DRIPCODE" check --bogus x >/dev/null 2>&1; check "unknown option" 2 $?
"$DRIPCODE" check -o "$work/o1" >/dev/null 2>&1; check "no input" 2 $?
"$DRIPCODE" check --delimiter x -o "$work/o1" "$demo" >/dev/null 2>&1; check "bad delimiter" 2 $?

mkdir -p "$work/full" && echo old >"$work/full/keep.txt"
"$DRIPCODE" check -o "$work/full" "$demo" >/dev/null 2>"$work/err"; st=$?
[ "$(ls "$work/full")" = keep.txt ] && grep -q "not empty" "$work/err"
check "output directory not empty: nothing written" 2 $st $?

"$DRIPCODE" check --rules "$work/no-such-rules" -o "$work/o2" "$demo" >/dev/null 2>&1; st=$?
[ ! -e "$work/o2" ]; check "missing rulesets: nothing done" 2 $st $?

"$DRIPCODE" check -q -o "$work/o3" "$demo" >"$work/qout" 2>"$work/qerr"; st=$?
[ ! -s "$work/qout" ] && [ ! -s "$work/qerr" ]; check "--quiet is silent on success" 0 $st $?

mode=$(stat -c %a "$work/o3/summary.json")
[ "$mode" = 600 ]; check "outputs are created 0600" 0 0 $?
"$DRIPCODE" check -q --mode 0640 -o "$work/o4" "$demo" >/dev/null 2>&1
mode=$(stat -c %a "$work/o4/summary.json")
[ "$mode" = 640 ]; check "--mode widens the outputs" 0 0 $?

gzip -c "$demo" >"$work/demo.csv.data"
"$DRIPCODE" check -q -o "$work/o5" - <"$work/demo.csv.data" >/dev/null 2>&1; st=$?
cmp -s "$work/o3/lines.csv" "$work/o5/lines.csv" 2>/dev/null || [ ! -e "$work/o3/lines.csv" ]
check "gzip on standard input, detected by magic bytes" 0 $st $?

# progress: on a terminal only, or with --progress; never in redirected logs
"$DRIPCODE" check -o "$work/p1" "$demo" >/dev/null 2>"$work/p1.err"
! grep -q "encounters" "$work/p1.err"; check "no progress line when stderr is redirected" 0 0 $?
"$DRIPCODE" check --progress -o "$work/p2" "$demo" >/dev/null 2>"$work/p2.err"
grep -q "2 encounters" "$work/p2.err"; check "--progress forces the progress line" 0 0 $?
if command -v script >/dev/null 2>&1; then
	script -qc "'$DRIPCODE' check -o '$work/p3' '$demo'" /dev/null >"$work/p3.tty" 2>&1 </dev/null
	grep -q "2 encounters" "$work/p3.tty"; check "progress line on a terminal" 0 0 $?
	script -qc "'$DRIPCODE' check -q -o '$work/p4' '$TOP_SRCDIR/testdata/cases/csv-clean/input/extract.csv'" /dev/null >"$work/p4.tty" 2>&1 </dev/null
	[ ! -s "$work/p4.tty" ]; check "--quiet: no progress line even on a terminal" 0 0 $?
fi

# threads change nothing: the same files with one thread and with four
for j in 1 4; do
	"$DRIPCODE" code -q -j $j --ledger "$work/j$j.sqlite" --now 2026-03-14T02:00 \
		-o "$work/j$j" "$TOP_SRCDIR/testdata/demo/extract.csv" "$TOP_SRCDIR/testdata/cases/csv-messy/input/extract.csv" 2>/dev/null
done
ok=0
for f in "$work"/j1/*; do
	b=$(basename "$f")
	if [ "$b" = summary.json ]; then
		sed 's/"elapsed_s": [0-9.]*//' "$f" >"$work/s1"; sed 's/"elapsed_s": [0-9.]*//' "$work/j4/$b" >"$work/s4"
		cmp -s "$work/s1" "$work/s4" || ok=1
	else
		cmp -s "$f" "$work/j4/$b" || ok=1
	fi
done
[ "$(ls "$work/j1" | wc -l)" = "$(ls "$work/j4" | wc -l)" ] || ok=1
check "--jobs 1 and --jobs 4 write the same files" 0 0 $ok

# UTF-16 (either byte order, with its byte order mark): HL7 v2.xml is found
# and read as it is in UTF-8; a UTF-16 CSV is refused, saying what it is
xml="$TOP_SRCDIR/testdata/cases/xml-pair-demo/input/extract.xml"
totals() { grep -o '"totals": {[^}]*}' "$1/summary.json"; }
"$DRIPCODE" code -q --dry-run --now 2026-03-14T02:00 -o "$work/x8" "$xml"; st8=$?
for enc in UTF-16LE UTF-16BE; do
	{ if [ $enc = UTF-16LE ]; then printf '\377\376'; else printf '\376\377'; fi
	  iconv -f UTF-8 -t $enc "$xml"; } >"$work/x-$enc.xml"
	"$DRIPCODE" code -q --dry-run --now 2026-03-14T02:00 -o "$work/o-$enc" "$work/x-$enc.xml"
	st=$?
	[ -n "$(totals "$work/x8")" ] && [ "$(totals "$work/o-$enc")" = "$(totals "$work/x8")" ]
	check "$enc HL7 v2.xml reads as its UTF-8 original" $st8 $st $?
done
iconv -f UTF-8 -t UTF-16 "$demo" >"$work/u16.csv"
"$DRIPCODE" check -o "$work/o-u16" "$work/u16.csv" >/dev/null 2>"$work/err"; st=$?
grep -q "u16.csv:1: error: the extract is UTF-16 text: save it as UTF-8" "$work/err"
check "a UTF-16 CSV is refused with a message that says so" 3 $st $?

# an input read only in part (XML not well formed, 6 MB of gzip before its end):
# its SHA-256 and size in summary.json are the whole file's at any --jobs
{ sed -n '1,/<\/RAS_O17>/p' "$xml"; echo '<RAS_O17><MSH></RAS_O17>'
  echo '<!--'; head -c 6000000 /dev/urandom | base64; echo '-->'
} | gzip -1 >"$work/broken.xml.gz"
want_sha=$(sha256sum "$work/broken.xml.gz" | cut -d' ' -f1)
want_bytes=$(wc -c <"$work/broken.xml.gz" | tr -d ' ')
for j in 1 2; do
	"$DRIPCODE" code -q --dry-run -j $j --now 2026-03-14T02:00 -o "$work/b$j" \
		"$work/broken.xml.gz" 2>/dev/null
	st=$?
	grep -q "\"sha256\": \"$want_sha\"" "$work/b$j/summary.json" &&
		grep -q "\"bytes\": $want_bytes," "$work/b$j/summary.json" &&
		grep -q '"status": "partial"' "$work/b$j/summary.json"
	check "--jobs $j: a partly read input's SHA-256 and size are the file's" 3 $st $?
done

echo "cli: $pass passed, $fail failed"
[ $fail -eq 0 ]
