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
		for cmd in check code; do
			rm -rf "$work/run" "$work/ledger.sqlite"*
			/usr/bin/time -f "%M %e" -o "$work/time" "$dc" $cmd -q --ledger "$work/ledger.sqlite" \
				--now 2026-03-25T02:00 -o "$work/run" "$input" || true
			read -r kb secs <<EOT
$(tail -1 "$work/time")
EOT
			rows=$(grep -o '"rows": [0-9]*' "$work/run/summary.json" | tail -1 | cut -d' ' -f2)
			enc=$(grep -o '"encounters": [0-9]*' "$work/run/summary.json" | tail -1 | cut -d' ' -f2)
			printf '%-5s %-24s %10s bytes %8s rows %8s encounters  peak RSS %7s KiB  %7s s\n' \
				$cmd "$(basename "$input")" "$(stat -c %s "$input")" "$rows" "$enc" "$kb" "$secs"
		done
	done
done
