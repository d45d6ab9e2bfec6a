#!/bin/sh
# Golden tests: each directory of testdata/cases/ holds
#   case.golden     the dripcode arguments; @IN@ is the case's input/ directory,
#                   @OUT@ a fresh output directory (not created beforehand), @TMP@
#                   an empty scratch directory (for a ledger, say)
#   input/          the inputs
#   expected/       every file the run must leave in @OUT@ (.gz outputs unzipped),
#                   compared byte for byte; summary.json with elapsed_s, the
#                   version and output sizes (which depend on the paths) blanked
#   expected.out    standard output (absent: empty)
#   expected.err    standard error, paths shown as @IN@ and @OUT@ (absent: empty)
#   expected.exit   the exit status (absent: 0)
#   case.env        optional: environment assignments for the run (one line)
#   case.pre        optional: a command started in the background before the
#                   run and stopped after it (to hold a lock, say)
# Usage: golden.sh [CASE_DIR...]; GOLDEN_UPDATE=1 rewrites the expectations.
set -u
: "${DRIPCODE:?set DRIPCODE to the dripcode binary}"
: "${TOP_SRCDIR:=$(cd "$(dirname "$0")/.." && pwd)}"
if [ $# -eq 0 ]; then
	set -- "$TOP_SRCDIR"/testdata/cases/*/
fi
pass=0
fail=0
failed=
work=$(mktemp -d "${TMPDIR:-/tmp}/dc-golden.XXXXXX")
trap 'rm -rf "$work"' EXIT INT TERM

normalise() { # file case-dir out-dir
	sed -e "s#$2/input#@IN@#g" -e "s#$3#@OUT@#g" -e "s#$(dirname "$3")/tmp#@TMP@#g" \
	    -e 's#"elapsed_s": [0-9.]*#"elapsed_s": 0#' \
	    -e 's#"dripcode": "[^"]*"#"dripcode": "VERSION"#' \
	    -e 's#\("claims": [0-9]*, "bytes": \)[0-9]*#\10#' "$1"
}

for c in "$@"; do
	[ -f "$c/case.golden" ] || continue
	c=$(cd "$c" && pwd)
	name=$(basename "$c")
	t="$work/$name"
	mkdir -p "$t"
	out="$t/out"
	mkdir -p "$t/tmp"
	args=$(sed -e "s#@IN@#$c/input#g" -e "s#@OUT@#$out#g" -e "s#@TMP@#$t/tmp#g" "$c/case.golden")
	envs=
	[ -f "$c/case.env" ] && envs=$(cat "$c/case.env")
	prepid=
	if [ -f "$c/case.pre" ]; then
		pre=$(sed -e "s#@TMP@#$t/tmp#g" "$c/case.pre")
		(cd "$t" && exec sh -c "$pre") &
		prepid=$!
		sleep 1
	fi
	(cd "$t" && eval "$envs ${DC_WRAP:-} \"\$DRIPCODE\" $args" >"$t/stdout" 2>"$t/stderr" </dev/null)
	status=$?
	if [ -n "$prepid" ]; then
		kill "$prepid" 2>/dev/null
		wait "$prepid" 2>/dev/null
	fi
	want_exit=0
	[ -f "$c/expected.exit" ] && want_exit=$(cat "$c/expected.exit")
	normalise "$t/stderr" "$c" "$out" >"$t/stderr.n"
	normalise "$t/stdout" "$c" "$out" >"$t/stdout.n"
	mkdir -p "$t/got"
	if [ -d "$out" ]; then
		for f in "$out"/* "$out"/.[!.]*; do
			[ -e "$f" ] || continue
			b=$(basename "$f")
			case "$b" in
			*.gz) gzip -dc "$f" >"$t/raw"; b=${b%.gz} ;;
			*) cp "$f" "$t/raw" ;;
			esac
			normalise "$t/raw" "$c" "$out" >"$t/got/$b"
		done
	fi
	if [ "${GOLDEN_UPDATE:-}" = 1 ]; then
		rm -rf "$c/expected"
		mkdir -p "$c/expected"
		cp "$t/got/"* "$c/expected/" 2>/dev/null
		if [ -s "$t/stderr.n" ]; then cp "$t/stderr.n" "$c/expected.err"; else rm -f "$c/expected.err"; fi
		if [ -s "$t/stdout.n" ]; then cp "$t/stdout.n" "$c/expected.out"; else rm -f "$c/expected.out"; fi
		if [ "$status" -ne 0 ]; then echo "$status" >"$c/expected.exit"; else rm -f "$c/expected.exit"; fi
		echo "UPDATED: $name"
		continue
	fi
	ok=1
	why=
	if [ "$status" != "$want_exit" ]; then ok=0; why="$why exit $status (want $want_exit);"; fi
	if [ -f "$c/expected.err" ]; then
		cmp -s "$t/stderr.n" "$c/expected.err" || { ok=0; why="$why stderr differs;"; }
	elif [ -s "$t/stderr.n" ]; then ok=0; why="$why unexpected stderr;"; fi
	if [ -f "$c/expected.out" ]; then
		cmp -s "$t/stdout.n" "$c/expected.out" || { ok=0; why="$why stdout differs;"; }
	elif [ -s "$t/stdout.n" ]; then ok=0; why="$why unexpected stdout;"; fi
	if [ -f "$t/got/summary.json" ] &&
	   ! awk -f "$TOP_SRCDIR/tests/invariant.awk" "$t/got/summary.json" >"$t/inv"; then
		ok=0; why="$why $(cat "$t/inv");"
	fi
	for f in "$c"/expected/*; do
		[ -e "$f" ] || continue
		b=$(basename "$f")
		if [ ! -f "$t/got/$b" ]; then ok=0; why="$why $b missing;"
		elif ! cmp -s "$t/got/$b" "$f"; then ok=0; why="$why $b differs;"; fi
	done
	for f in "$t"/got/*; do
		[ -e "$f" ] || continue
		b=$(basename "$f")
		[ -f "$c/expected/$b" ] || { ok=0; why="$why unexpected output $b;"; }
	done
	if [ $ok = 1 ]; then
		pass=$((pass + 1))
		echo "PASS: $name"
	else
		fail=$((fail + 1))
		failed="$failed $name"
		echo "FAIL: $name:$why"
		for f in "$c"/expected/*; do
			b=$(basename "$f")
			[ -f "$t/got/$b" ] && diff -u "$f" "$t/got/$b" | head -40
		done
		[ -f "$c/expected.err" ] && diff -u "$c/expected.err" "$t/stderr.n" | head -20
		[ ! -f "$c/expected.err" ] && head -5 "$t/stderr.n"
	fi
done
echo "golden: $pass passed, $fail failed"
[ $fail -eq 0 ] || { echo "failed:$failed"; exit 1; }
