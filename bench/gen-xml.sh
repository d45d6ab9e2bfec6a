#!/bin/sh
# Writes a synthetic HL7 v2.xml extract of about SIZE_MB megabytes to standard
# output: a 1 MB CSV extract from bench/gen-extract.sh (the same encounter
# mix) turned into HL7 v2.xml by tools/csv2hl7xml.py once, then its messages
# written again and again with fresh encounter ids inside one batch.
# Needs python3. Deterministic for a given size.
# Usage: bench/gen-xml.sh SIZE_MB > extract.xml
set -eu
size_mb=${1:?usage: gen-xml.sh SIZE_MB}
top=$(cd "$(dirname "$0")/.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
sh "$top/bench/gen-extract.sh" 1 >"$tmp/seed.csv"
python3 "$top/tools/csv2hl7xml.py" "$tmp/seed.csv" >"$tmp/seed.xml"
# the messages between the batch header and trailer, repeated; the seed's
# ids are V or UKV and ten digits, the first four of them zeros
awk -v limit=$((size_mb * 1024 * 1024)) '
	{ lines[++n] = $0 }
	END {
		for (i = 1; i <= n && lines[i] !~ /<RAS_O17>/; i++) print lines[i]
		first = i
		for (last = n; last > first && lines[last] !~ /<\/RAS_O17>/; last--) ;
		bytes = 0
		for (k = 1; bytes < limit; k++) {
			for (i = first; i <= last; i++) {
				l = lines[i]
				gsub(/V0000/, "V" k "Z", l)
				print l
				bytes += length(l) + 1
			}
		}
		for (i = last + 1; i <= n; i++) print lines[i]
	}' "$tmp/seed.xml"
