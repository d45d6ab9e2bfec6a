#!/bin/sh
# Builds every fuzz target with clang's libFuzzer, AddressSanitizer and
# UndefinedBehaviorSanitizer, and runs each for SECONDS (default 60) from its
# corpus. A crash leaves its input in tests/fuzz/crashes/ and fails the run.
# Usage: tests/fuzz/run-libfuzzer.sh [SECONDS]
set -eu
secs=${1:-60}
top=$(cd "$(dirname "$0")/../.." && pwd)
out=${FUZZ_OUT:-$top/tests/fuzz/build}
mkdir -p "$out" "$top/tests/fuzz/crashes"
cd "$top"
lib=$(ls engine/*.c parsers/*.c rulesets/*.c emitters/*.c)
flags="-g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined -I. -D_DEFAULT_SOURCE -D_XOPEN_SOURCE=700 $(pkg-config --cflags libxml-2.0)"
libs="$(pkg-config --libs libxml-2.0 zlib sqlite3)"
status=0
for src in tests/fuzz/fuzz_*.c; do
	name=$(basename "$src" .c)
	clang $flags "$src" $lib $libs -o "$out/$name"
	corpus="$out/corpus-$name"
	mkdir -p "$corpus"
	# seeds: the test inputs (the target decides what it can use)
	case "$name" in
	fuzz_csv|fuzz_code) seeds="tests/fuzz/corpus testdata/cases testdata/demo" ;;
	fuzz_xml) seeds="tests/fuzz/corpus/xml" ;;
	fuzz_x12) seeds="tests/fuzz/corpus/x12" ;;
	*) seeds="tests/fuzz/corpus" ;;
	esac
	for d in $seeds; do
		[ -d "$d" ] && find "$d" -type f -size -64k -exec cp {} "$corpus/" \; 2>/dev/null || true
	done
	echo "fuzzing $name for ${secs}s"
	if ! DRIPCODE_RULES="$top/rulesets" "$out/$name" -max_total_time="$secs" -max_len=65536 \
		-rss_limit_mb=2048 -artifact_prefix="$top/tests/fuzz/crashes/$name-" \
		-print_final_stats=1 "$corpus" 2>"$out/$name.log"; then
		status=1
		tail -40 "$out/$name.log"
	else
		grep -E "stat::number_of_executed_units|Done" "$out/$name.log" | tail -2
	fi
done
exit $status
