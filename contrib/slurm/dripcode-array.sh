#!/bin/sh
# Slurm job array: N tasks split one extract with --shard, each with a ledger
# of its own (copied from the main ledger, so their interchange control
# numbers start past everything already used and stay disjoint). When every
# task is done, merge the shards' ledgers into the main one:
#
#   sbatch --array=1-4 contrib/slurm/dripcode-array.sh /data/dump.csv.gz /srv/claims/run1 /srv/ledger.sqlite
#   # then, once the array has finished (or with --dependency=afterok:JOBID):
#   dripcode ledger merge --ledger /srv/ledger.sqlite /srv/claims/run1/shard-*/ledger.sqlite
#
#SBATCH --job-name=dripcode
#SBATCH --output=dripcode-%A_%a.log
set -eu
input=${1:?usage: dripcode-array.sh INPUT OUTDIR MAIN_LEDGER}
outdir=${2:?usage: dripcode-array.sh INPUT OUTDIR MAIN_LEDGER}
main=${3:?usage: dripcode-array.sh INPUT OUTDIR MAIN_LEDGER}
k=${SLURM_ARRAY_TASK_ID:?not a Slurm array task}
n=${SLURM_ARRAY_TASK_COUNT:?not a Slurm array task}
dripcode=${DRIPCODE:-dripcode}
shard="$outdir/shard-$k"
mkdir -p "$shard"
# a private copy of the main ledger: what is already billed stays billed
if [ -f "$main" ]; then
	cp "$main" "$shard/ledger.sqlite"
fi
exec "$dripcode" code -q ${DRIPCODE_OPTS:-} --shard "$k/$n" --ledger "$shard/ledger.sqlite" \
	-o "$shard/out" "$input"
