#!/bin/sh
# Peak memory (maximum resident set size) of `dripcode check` on generated
# extracts of two sizes, plain and gzipped. Needs GNU time (/usr/bin/time,
# Debian package "time"). Usage: bench/memory.sh [SMALL_MB] [LARGE_MB]
set -eu
small=${1:-1}
large=${2:-1024}
top=$(cd "$(dirname "$0")/.." && pwd)
dc=${DRIPCODE:-$top/dripcode}
work=${BENCH_DIR:-$top/bench/out}
mkdir -p "$work"
[ -x /usr/bin/time ] || { echo "bench: /usr/bin/time is missing (apt-get install time)" >&2; exit 2; }
for mb in "$small" "$large"; do
	f="$work/extract-${mb}mb.csv"
	[ -f "$f" ] || sh "$top/bench/gen-extract.sh" "$mb" >"$f"
	[ -f "$f.gz" ] || gzip -1 -c "$f" >"$f.gz"
	for input in "$f" "$f.gz"; do
		rm -rf "$work/run"
		/usr/bin/time -f "%M %e" -o "$work/time" "$dc" check -q -o "$work/run" "$input" || true
		read -r kb secs <"$work/time"
		rows=$(grep -o '"rows": [0-9]*' "$work/run/summary.json" | tail -1 | cut -d' ' -f2)
		printf '%-28s %10s bytes %9s rows  peak RSS %7s KiB  %6s s\n' "$(basename "$input")" \
			"$(stat -c %s "$input")" "$rows" "$kb" "$secs"
	done
done
