#!/bin/sh
# --jobs 1 against --jobs 2, on one large gzipped extract and on four smaller
# ones, side by side in one run. Usage: bench/jobs.sh [MB]
set -eu
mb=${1:-200}
top=$(cd "$(dirname "$0")/.." && pwd)
dc=${DRIPCODE:-$top/dripcode}
work=${BENCH_DIR:-$top/bench/out}
mkdir -p "$work"
big="$work/tp-${mb}mb.csv.gz"
[ -f "$big" ] || sh "$top/bench/gen-extract.sh" "$mb" | gzip -1 >"$big"
q=$((mb / 4))
small="$work/tp-${q}mb.csv.gz"
[ -f "$small" ] || sh "$top/bench/gen-extract.sh" "$q" | gzip -1 >"$small"
secs() {
	s=$(date +%s.%N)
	"$@" >/dev/null 2>&1 || true
	e=$(date +%s.%N)
	echo "$s $e" | awk '{ printf "%.2f", $2 - $1 }'
}
for set in one four; do
	if [ $set = one ]; then inputs=$big; else inputs="$small $small $small $small"; fi
	rm -rf "$work/j1" "$work/j2"
	t1=$(secs "$dc" check -q -j 1 --now 2026-03-25T02:00 -o "$work/j1" $inputs)
	t2=$(secs "$dc" check -q -j 2 --now 2026-03-25T02:00 -o "$work/j2" $inputs)
	echo "$set input(s): --jobs 1 $t1 s, --jobs 2 $t2 s, speed-up $(echo "$t1 $t2" | awk '{ printf "%.2f", $1 / $2 }')"
done
