#!/bin/sh
# Slurm job array: one extract split over the array's tasks with --shard K/N.
# Task K codes the encounters of shard K into OUTDIR/shard-K/out, with a ledger
# of its own, OUTDIR/shard-K/ledger.sqlite, copied from the main ledger: what is
# already billed stays billed, and its interchange control numbers start past
# every one used so far and are congruent to K mod N, so no two tasks ever use
# the same one. Once the whole array has ended, whatever its tasks' exit status
# (a task that held some encounters exits 1 but has billed the others), merge
# the shards' ledgers into the main one; dripcode-merge.sh does it as a job:
#
#   jid=$(sbatch --parsable --array=1-4 contrib/slurm/dripcode-array.sh \
#         /data/dump.csv.gz /srv/claims/run1 /srv/ledger.sqlite)
#   sbatch --dependency=afterany:$jid contrib/slurm/dripcode-merge.sh \
#         /srv/claims/run1 /srv/ledger.sqlite
#
# N is the array's task count and K counts from 1 at its lowest index
# (--array=1-4 and --array=0-3 both make 4 shards); the indices must be
# contiguous. To run one shard again, give N: --array=3 with
# --export=ALL,DRIPCODE_SHARDS=4 (then K is the index itself). A shard run again
# keeps its own ledger and writes to a new out.2, out.3... beside out.
#
# Environment: DRIPCODE, the dripcode binary (default: dripcode on the PATH);
# DRIPCODE_OPTS, more options for `dripcode code` (--rules, --profile, --now...;
# split on blanks). The task's exit status is dripcode's.
#
#SBATCH --job-name=dripcode
#SBATCH --output=dripcode-%A_%a.log
set -eu
usage="usage: dripcode-array.sh INPUT OUTDIR MAIN_LEDGER"
input=${1:?$usage}
outdir=${2:?$usage}
main=${3:?$usage}
id=${SLURM_ARRAY_TASK_ID:?not a Slurm array task (sbatch --array=1-N)}
dripcode=${DRIPCODE:-dripcode}
die() {
	echo "dripcode-array: $*" >&2
	exit 2
}

if [ -n "${DRIPCODE_SHARDS:-}" ]; then
	n=$DRIPCODE_SHARDS
	k=$id
else
	n=${SLURM_ARRAY_TASK_COUNT:?not a Slurm array task}
	min=${SLURM_ARRAY_TASK_MIN:?not a Slurm array task}
	max=${SLURM_ARRAY_TASK_MAX:?not a Slurm array task}
	[ $((max - min + 1)) -eq "$n" ] ||
		die "array indices $min-$max are not contiguous ($n tasks): use --array=1-N, or set DRIPCODE_SHARDS=N"
	k=$((id - min + 1))
fi
[ "$k" -ge 1 ] && [ "$k" -le "$n" ] || die "shard $k/$n: K must be from 1 to N"

mkdir -p "$outdir"
# every task of a split must agree on N, or shards would overlap
if [ ! -f "$outdir/shards" ]; then
	echo "$n" >"$outdir/.shards.$id"
	mv -f "$outdir/.shards.$id" "$outdir/shards"
fi
[ "$(cat "$outdir/shards")" = "$n" ] ||
	die "$outdir was split in $(cat "$outdir/shards") shards, not $n: set DRIPCODE_SHARDS"

shard="$outdir/shard-$k"
mkdir -p "$shard"
# A private copy of the main ledger, taken under dripcode's own lock so that
# no run is writing it meanwhile, with its journal (the rollback journal of a
# run that crashed, or the write-ahead log of an older dripcode's ledger).
# A shard run again keeps the ledger it has.
if [ -f "$main" ] && [ ! -f "$shard/ledger.sqlite" ]; then
	copy() {
		cp "$main" "$shard/ledger.sqlite.tmp"
		for j in journal wal; do
			rm -f "$shard/ledger.sqlite.tmp-$j"
			if [ -s "$main-$j" ]; then
				cp "$main-$j" "$shard/ledger.sqlite.tmp-$j"
				mv "$shard/ledger.sqlite.tmp-$j" "$shard/ledger.sqlite-$j"
			fi
		done
		mv "$shard/ledger.sqlite.tmp" "$shard/ledger.sqlite"
	}
	if command -v flock >/dev/null 2>&1; then
		exec 9>>"$main.lock"
		flock -w "${DRIPCODE_WAIT:-600}" 9 || die "$main: another run holds the ledger"
		copy
		exec 9>&-
	else
		copy
	fi
fi

out="$shard/out"
i=1
while [ -e "$out" ]; do
	i=$((i + 1))
	out="$shard/out.$i"
done

st=0
# shellcheck disable=SC2086 # DRIPCODE_OPTS is a list of options
"$dripcode" code -q ${DRIPCODE_OPTS:-} --shard "$k/$n" --ledger "$shard/ledger.sqlite" \
	-o "$out" "$input" || st=$?
echo "dripcode-array: shard $k/$n: exit status $st, output in $out" >&2
exit "$st"
