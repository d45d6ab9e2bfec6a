#!/bin/sh
# Every throughput and memory measure, in one run and side by side, printed
# as the rows of the table in BENCHMARKS.md:
#   - zcat of a gzipped CSV extract vs `dripcode code` on it
#   - xmllint --stream --noout of a gzipped HL7 v2.xml extract vs
#     `dripcode code` on it
#   - `dripcode reconcile` of a large 835 against its 837
#   - peak memory of `dripcode code` on a small and a large gzipped extract
#   - --jobs 1 vs --jobs 2 on one large input and on four smaller ones
# Every `code` run writes into a fresh output directory and a fresh ledger.
# Each time is the median of five runs (BENCH_RUNS), the 2 GB run and
# reconcile excepted (one run each); --jobs 1 and --jobs 2 take turns.
# Needs GNU time (/usr/bin/time), xmllint (libxml2-utils) and python3.
#
# Usage: bench/run.sh [CSV_MB] [XML_MB] [CLAIMS] [SMALL_MB] [LARGE_MB]
#   defaults 200 200 1000000 100 2048
#   DRIPCODE   the binary (default: ./dripcode of the tree)
#   BENCH_DIR  scratch directory (default: bench/out); generated inputs are
#              kept there and reused
set -eu
csv_mb=${1:-200}
xml_mb=${2:-200}
claims=${3:-1000000}
small_mb=${4:-100}
large_mb=${5:-2048}
top=$(cd "$(dirname "$0")/.." && pwd)
dc=${DRIPCODE:-$top/dripcode}
work=${BENCH_DIR:-$top/bench/out}
now=2026-03-25T02:00
mkdir -p "$work"
for tool in /usr/bin/time xmllint python3; do
	command -v "$tool" >/dev/null 2>&1 ||
		{ echo "bench: $tool is missing (apt-get install time libxml2-utils python3)" >&2; exit 2; }
done

csv_gz() { # MB [SEED] -> path of a gzipped generated CSV extract
	f="$work/extract-$1mb${2:+-$2}.csv.gz"
	[ -f "$f" ] || sh "$top/bench/gen-extract.sh" "$1" ${2:-} | gzip -1 >"$f"
	echo "$f"
}

# once NAME COMMAND... : runs it under GNU time; sets $secs and $kib
once() {
	name=$1
	shift
	# the last run's output still being written back must not slow this one
	sync
	/usr/bin/time -f "%e %M" -o "$work/time.$name" "$@" >/dev/null 2>"$work/err.$name" || true
	# GNU time puts "Command exited with non-zero status N" first: holds exit 1
	read -r secs kib <<EOT
$(tail -1 "$work/time.$name")
EOT
}

# The median of the times and the largest peak memory of $runs runs
# (BENCH_RUNS, default 5): one run on a shared virtual machine can be
# slowed by others. Each run of `code` starts from fresh outputs and ledger.
runs=${BENCH_RUNS:-5}
# measure NAME COMMAND... : sets $secs and $kib
measure() {
	repeat "$runs" "" "$@"
}
# repeat N CLEAN NAME COMMAND... : CLEAN (a path prefix, may be empty) is removed first
repeat() {
	n=$1 clean=$2
	shift 2
	all= most=0
	i=0
	while [ $i -lt "$n" ]; do
		[ -z "$clean" ] || rm -rf "$clean".out "$clean".sqlite "$clean".sqlite-journal \
			"$clean".sqlite.lock
		once "$@"
		all="$all $secs"
		[ "$kib" -gt "$most" ] && most=$kib
		i=$((i + 1))
	done
	secs=$(median $all)
	kib=$most
}

# code NAME [OPTIONS] INPUTS... : `dripcode code` into fresh outputs and ledger
code() {
	name=$1
	shift
	n=$runs
	[ "$name" = large ] && n=1   # the 2 GB run: its memory, not its time
	repeat "$n" "$work/$name" "$name" "$dc" code -q --now "$now" \
		--ledger "$work/$name.sqlite" -o "$work/$name.out" "$@"
	enc=$(grep -o '"encounters": [0-9]*' "$work/$name.out/summary.json" 2>/dev/null | tail -1 |
	      cut -d' ' -f2)
}

ratio() { echo "$1 $2" | awk '{ printf "%.2f", $1 / $2 }'; }
median() { echo $* | tr ' ' '\n' | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

# speedup NAME INPUTS... : `code --jobs 1` and `--jobs 2` in turn, $runs
# times each, so that both meet the machine in the same state; sets $t1
# and $t2 to their medians
speedup() {
	pair=$1   # not $name: once() sets that
	shift
	a= b= i=0
	while [ $i -lt "$runs" ]; do
		for j in 1 2; do
			rm -rf "$work/$pair$j".out "$work/$pair$j".sqlite "$work/$pair$j".sqlite-journal \
				"$work/$pair$j".sqlite.lock
			once "$pair$j" "$dc" code -q --now "$now" -j $j --ledger "$work/$pair$j.sqlite" \
				-o "$work/$pair$j.out" "$@"
			if [ $j = 1 ]; then a="$a $secs"; else b="$b $secs"; fi
		done
		i=$((i + 1))
	done
	t1=$(median $a) t2=$(median $b)
}
mib() { echo "$1" | awk '{ printf "%.1f", $1 / 1024 }'; }

echo "| measure | baseline | dripcode | ratio | target |"
echo "|---|---:|---:|---:|---:|"

# CSV against zcat
csv=$(csv_gz "$csv_mb")
measure zcat sh -c "zcat '$csv'"
z=$secs
code csv "$csv"
echo "| ${csv_mb} MB CSV, gzip -1 ($(stat -c %s "$csv") bytes, $enc encounters): \`code\` vs zcat | ${z} s | ${secs} s | $(ratio "$secs" "$z") | at most 1.5 |"

# HL7 v2.xml against xmllint --stream
xml="$work/extract-${xml_mb}mb.xml.gz"
[ -f "$xml" ] || sh "$top/bench/gen-xml.sh" "$xml_mb" | gzip -1 >"$xml"
measure xmllint xmllint --stream --noout "$xml"
x=$secs
code xml "$xml"
echo "| ${xml_mb} MB HL7 v2.xml, gzip -1 ($(stat -c %s "$xml") bytes, $enc encounters): \`code\` vs \`xmllint --stream --noout\` | ${x} s | ${secs} s | $(ratio "$secs" "$x") | at most 1.3 |"

# reconcile a large 835
[ -f "$work/remit-$claims.835" ] || sh "$top/bench/gen-835.sh" "$claims" "$work" >/dev/null
repeat 1 "$work/recon" recon "$dc" reconcile -q --now 2026-04-01T00:00 \
	--ledger "$work/recon.sqlite" -o "$work/recon.out" --claims "$work/claims-$claims.837" --remit "$work/remit-$claims.835"
echo "| reconcile $claims claims ($(stat -c %s "$work/remit-$claims.835") bytes of 835) | - | ${secs} s, $(mib "$kib") MiB | $(echo "$claims $secs" | awk '{ printf "%.0f claims/s", $1 / $2 }') | - |"

# peak memory at two sizes
small=$(csv_gz "$small_mb")
code small "$small"
s_kib=$kib s_secs=$secs s_enc=$enc
large=$(csv_gz "$large_mb")
code large "$large"
echo "| peak memory, \`code\`: ${small_mb} MB ($s_enc encounters, $s_secs s) vs ${large_mb} MB ($enc encounters, $secs s) | $(mib "$s_kib") MiB | $(mib "$kib") MiB | $(ratio "$kib" "$s_kib") | at most 64 MiB, same at both |"
# its gigabytes of outputs are not left for the disk to write back under the next runs
rm -rf "$work/large.out" "$work/large.sqlite" "$work/large.sqlite-journal" "$work/large.sqlite.lock"
sync

# --jobs 1 against --jobs 2
speedup one "$csv"
echo "| one ${csv_mb} MB gzipped CSV: \`code --jobs 2\` vs \`--jobs 1\` | ${t1} s | ${t2} s | $(ratio "$t1" "$t2") (speed-up) | at least 1.7 |"
# four dumps of different encounters
q1=$(csv_gz $((csv_mb / 4)) 1) q2=$(csv_gz $((csv_mb / 4)) 2)
q3=$(csv_gz $((csv_mb / 4)) 3) q4=$(csv_gz $((csv_mb / 4)) 4)
speedup four "$q1" "$q2" "$q3" "$q4"
echo "| four $((csv_mb / 4)) MB gzipped CSVs: \`code --jobs 2\` vs \`--jobs 1\` | ${t1} s | ${t2} s | $(ratio "$t1" "$t2") (speed-up) | at least 1.7 |"
