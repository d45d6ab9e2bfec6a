#!/bin/sh
# Peak memory of `dripcode check` on HL7 v2.xml extracts of about 5 MB
# and LARGE_MB: the generated CSV extract (bench/gen-extract.sh) turned into
# HL7 v2.xml by tools/csv2hl7xml.py once, then its messages repeated with
# fresh encounter ids up to the size asked. Needs python3 and GNU time.
# Usage: bench/memory-xml.sh [LARGE_MB]
set -eu
large=${1:-1024}
top=$(cd "$(dirname "$0")/.." && pwd)
dc=${DRIPCODE:-$top/dripcode}
work=${BENCH_DIR:-$top/bench/out}
mkdir -p "$work"
[ -x /usr/bin/time ] || { echo "bench: /usr/bin/time is missing (apt-get install time)" >&2; exit 2; }
small="$work/extract-1mb.xml"
if [ ! -f "$small" ]; then
	sh "$top/bench/gen-extract.sh" 1 >"$work/x.csv"
	python3 "$top/tools/csv2hl7xml.py" "$work/x.csv" >"$small"
fi
big="$work/extract-${large}mb.xml"
if [ ! -f "$big" ]; then
	# the messages between the batch header and trailer, repeated with new ids
	awk -v limit=$((large * 1024 * 1024)) '
		NR == FNR { lines[++n] = $0; next }
		END {
			for (i = 1; i <= n && lines[i] !~ /<RAS_O17>/; i++) print lines[i]
			first = i
			for (last = n; last > first && lines[last] !~ /<\/RAS_O17>/; last--) ;
			bytes = 0
			for (k = 1; bytes < limit; k++) {
				for (i = first; i <= last; i++) {
					l = lines[i]
					gsub(/ENC0/, "E" k "X", l)
					print l
					bytes += length(l) + 1
				}
			}
			for (i = last + 1; i <= n; i++) print lines[i]
		}' "$small" /dev/null >"$big"
fi
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
