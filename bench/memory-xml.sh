#!/bin/sh
# Peak memory of `dripcode check` on HL7 v2.xml extracts from
# bench/gen-xml.sh, plain and gzipped: the smallest it writes (its seed's
# messages once, about 9 MB) and LARGE_MB. Needs python3 and GNU time.
# Usage: bench/memory-xml.sh [LARGE_MB]
set -eu
large=${1:-1024}
top=$(cd "$(dirname "$0")/.." && pwd)
dc=${DRIPCODE:-$top/dripcode}
work=${BENCH_DIR:-$top/bench/out}
mkdir -p "$work"
[ -x /usr/bin/time ] || { echo "bench: /usr/bin/time is missing (apt-get install time)" >&2; exit 2; }
small="$work/extract-seed.xml"
[ -f "$small" ] || sh "$top/bench/gen-xml.sh" 1 >"$small"
big="$work/extract-${large}mb.xml"
[ -f "$big" ] || sh "$top/bench/gen-xml.sh" "$large" >"$big"
for f in "$small" "$big"; do
	for input in "$f" "$f.gz"; do
		[ -f "$input" ] || gzip -1 -c "$f" >"$input"
		rm -rf "$work/run"
		/usr/bin/time -f "%M %e" -o "$work/time" "$dc" check -q --now 2026-03-25T02:00 \
			-o "$work/run" "$input" || true
		read -r kb secs <<EOT
$(tail -1 "$work/time")
EOT
		enc=$(grep -o '"encounters": [0-9]*' "$work/run/summary.json" | tail -1 | cut -d' ' -f2)
		printf '%-26s %11s bytes %9s encounters  peak RSS %7s KiB  %7s s\n' "$(basename "$input")" \
			"$(stat -c %s "$input")" "$enc" "$kb" "$secs"
	done
done
