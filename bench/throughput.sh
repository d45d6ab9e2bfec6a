#!/bin/sh
# Throughput against the I/O floor, in one run, side by side: zcat of a
# gzipped CSV extract vs `dripcode check` on it, and `xmllint --stream
# --noout` of a gzipped HL7 v2.xml extract vs `dripcode check` on it (xmllint
# from Debian's libxml2-utils). Prints each time and the ratio.
# Usage: bench/throughput.sh [CSV_MB] [XML_MB]
set -eu
csv_mb=${1:-200}
xml_mb=${2:-200}
top=$(cd "$(dirname "$0")/.." && pwd)
dc=${DRIPCODE:-$top/dripcode}
work=${BENCH_DIR:-$top/bench/out}
mkdir -p "$work"
secs() { # command... -> elapsed seconds on stdout
	s=$(date +%s.%N)
	"$@" >/dev/null 2>&1 || true
	e=$(date +%s.%N)
	echo "$s $e" | awk '{ printf "%.2f", $2 - $1 }'
}
csv="$work/tp-${csv_mb}mb.csv.gz"
[ -f "$csv" ] || sh "$top/bench/gen-extract.sh" "$csv_mb" | gzip -1 >"$csv"
rm -rf "$work/tp-out"
z=$(secs sh -c "zcat '$csv' >/dev/null")
d=$(secs "$dc" check -q --now 2026-03-25T02:00 -o "$work/tp-out" "$csv")
echo "csv.gz ${csv_mb} MB: zcat $z s, dripcode check $d s, ratio $(echo "$d $z" | awk '{ printf "%.2f", $1 / $2 }')"
if command -v xmllint >/dev/null 2>&1; then
	BENCH_DIR="$work" sh "$top/bench/memory-xml.sh" "$xml_mb" >/dev/null 2>&1 || true
	xml="$work/extract-${xml_mb}mb.xml.gz"
	rm -rf "$work/tp-out"
	x=$(secs xmllint --stream --noout "$xml")
	d=$(secs "$dc" check -q --now 2026-03-25T02:00 -o "$work/tp-out" "$xml")
	echo "xml.gz ${xml_mb} MB: xmllint --stream $x s, dripcode check $d s, ratio $(echo "$d $x" | awk '{ printf "%.2f", $1 / $2 }')"
else
	echo "xmllint not installed (apt-get install libxml2-utils): XML comparison skipped"
fi
