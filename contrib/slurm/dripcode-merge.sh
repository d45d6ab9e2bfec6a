#!/bin/sh
# Slurm job: merge the ledgers of a dripcode-array.sh split into the main
# ledger, once the array has ended, whatever its tasks' exit status:
#
#   jid=$(sbatch --parsable --array=1-4 contrib/slurm/dripcode-array.sh \
#         /data/dump.csv.gz /srv/claims/run1 /srv/ledger.sqlite)
#   sbatch --dependency=afterany:$jid contrib/slurm/dripcode-merge.sh \
#         /srv/claims/run1 /srv/ledger.sqlite
#
# It can also run by hand, outside Slurm. `dripcode ledger merge` refuses a
# ledger with conflicting entries (an encounter billed by both in different
# files, an interchange control number used by both for different files): it
# exits 1, having merged the ledgers before that one and nothing after.
# Merging the same shards again adds no claim.
#
# Environment: DRIPCODE, the dripcode binary (default: dripcode on the PATH);
# DRIPCODE_WAIT, seconds to wait for another run's lock on the main ledger
# (default 600).
#
#SBATCH --job-name=dripcode-merge
#SBATCH --output=dripcode-merge-%j.log
set -eu
usage="usage: dripcode-merge.sh OUTDIR MAIN_LEDGER"
outdir=${1:?$usage}
main=${2:?$usage}
dripcode=${DRIPCODE:-dripcode}

set -- "$outdir"/shard-*/ledger.sqlite
if [ ! -f "$1" ]; then
	echo "dripcode-merge: no shard ledger in $outdir" >&2
	exit 2
fi
if [ -f "$outdir/shards" ] && [ "$#" -ne "$(cat "$outdir/shards")" ]; then
	echo "dripcode-merge: warning: $# shard ledgers in $outdir, for $(cat "$outdir/shards") shards" >&2
fi
st=0
"$dripcode" ledger merge --wait "${DRIPCODE_WAIT:-600}" --ledger "$main" "$@" || st=$?
echo "dripcode-merge: $# shard ledgers into $main: exit status $st" >&2
exit "$st"
