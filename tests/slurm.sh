#!/bin/sh
# Slurm: a real single-node cluster on loopback (Debian's slurmctld, slurmd,
# slurm-client and munge, installed here if missing and apt-get can), private
# to this test: its own slurm.conf, ports, state and spool directories, and its
# own munged with its own key and socket. A 4-task job array of
# contrib/slurm/dripcode-array.sh splits the demo extract, a dependent job of
# contrib/slurm/dripcode-merge.sh merges the shards' ledgers, and together they
# must do what one run does: the same lines, summaries that add up, no ISA13
# used twice, the same claims in the merged ledger, and everything billed is
# already billed afterwards, for a single run and for a second array alike.
#
# Exit 77 (skipped) when not root, when Slurm is missing and cannot be
# installed, or when the cluster does not come up in time.
# DRIPCODE_SLURM_INSTALL=no: never install; DC_SLURM_KEEP=1: keep the work
# directory (slurm.conf, daemons' logs, jobs' logs and outputs).
# Every daemon started here is stopped on exit; every wait is bounded.
set -u
: "${DRIPCODE:?}" "${TOP_SRCDIR:?}"
PATH="$PATH:/usr/sbin:/sbin"
export PATH
pass=0
fail=0
demo="$TOP_SRCDIR/testdata/demo/extract.csv"
array="$TOP_SRCDIR/contrib/slurm/dripcode-array.sh"
merge="$TOP_SRCDIR/contrib/slurm/dripcode-merge.sh"
N=4
NOW=2026-03-14T02:00
start=$(date +%s)

check() {
	if [ "$2" = 0 ]; then pass=$((pass + 1)); echo "PASS: $1"
	else fail=$((fail + 1)); echo "FAIL: $1"; fi
}
. "$TOP_SRCDIR/tests/lib.sh"
elapsed() { echo $(($(date +%s) - start)); }

if [ "$(id -u)" != 0 ]; then
	echo "SKIP: slurm: slurmd (and this test) must run as root"
	exit 77
fi

# ---- Slurm and munge: installed, or installable ----
need="slurmctld slurmd sbatch sinfo squeue scontrol scancel munged"
missing() {
	for c in $need; do
		command -v "$c" >/dev/null 2>&1 || { echo "$c"; return 0; }
	done
	return 1
}
if m=$(missing); then
	if [ "${DRIPCODE_SLURM_INSTALL:-yes}" = no ]; then
		echo "SKIP: slurm: $m is missing (DRIPCODE_SLURM_INSTALL=no)"
		exit 77
	fi
	if ! command -v apt-get >/dev/null 2>&1; then
		echo "SKIP: slurm: $m is missing, and there is no apt-get to install slurmctld slurmd slurm-client munge"
		exit 77
	fi
	echo "installing slurmctld slurmd slurm-client munge"
	pkgs="slurmctld slurmd slurm-client munge"
	inst() {
		DEBIAN_FRONTEND=noninteractive timeout 240 apt-get install -y -qq \
			--no-install-recommends $pkgs >/dev/null 2>&1
	}
	inst || { timeout 120 apt-get update -qq >/dev/null 2>&1; inst; } || {
		echo "SKIP: slurm: $m is missing, and apt-get install $pkgs failed"
		exit 77
	}
	if m=$(missing); then
		echo "SKIP: slurm: $m is still missing after installing $pkgs"
		exit 77
	fi
fi

# ---- a private cluster ----
work=$(mktemp -d "${TMPDIR:-/tmp}/dc-slurm.XXXXXX")
chmod 700 "$work"
pids=""
jobs_submitted=""
cleanup() {
	trap - EXIT INT TERM HUP
	if [ -n "$jobs_submitted" ]; then
		timeout 10 scancel $jobs_submitted >/dev/null 2>&1
		i=0
		while [ $i -lt 20 ] && [ -n "$(timeout 5 squeue -h -o %i 2>/dev/null)" ]; do
			sleep 0.5
			i=$((i + 1))
		done
	fi
	for p in $pids; do kill "$p" 2>/dev/null; done
	i=0
	while [ $i -lt 20 ]; do
		alive=""
		for p in $pids; do kill -0 "$p" 2>/dev/null && alive="$alive $p"; done
		[ -z "$alive" ] && break
		sleep 0.5
		i=$((i + 1))
	done
	for p in $pids; do kill -9 "$p" 2>/dev/null; done
	if [ "${DC_SLURM_KEEP:-}" ]; then echo "kept $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

skip() {
	echo "SKIP: slurm: $1"
	for f in "$work"/log/*; do
		[ -s "$f" ] && { echo "--- tail of $f"; tail -n 15 "$f"; }
	done
	exit 77
}

# wait_for SECONDS COMMAND...: until COMMAND succeeds, or fail after SECONDS
wait_for() {
	w_end=$(($(date +%s) + $1))
	shift
	until "$@" >/dev/null 2>&1; do
		[ "$(date +%s)" -ge "$w_end" ] && return 1
		sleep 0.5
	done
}

# two free TCP ports for slurmctld and slurmd, away from Slurm's usual ones
# and below the ephemeral range
listening=$( (ss -Htln || netstat -tln) 2>/dev/null | awk '{ for (i = 1; i <= NF; i++) if ($i ~ /:[0-9]+$/) { sub(/.*:/, "", $i); print $i } }')
port=$((10000 + ($$ * 7) % 20000))
while echo "$listening" | grep -qx -e "$port" -e "$((port + 1))"; do
	port=$((port + 2))
done
ctld_port=$port
slurmd_port=$((port + 1))

mkdir -p "$work/munge" "$work/state" "$work/spool" "$work/log" "$work/run" "$work/jobs"
chmod 700 "$work/munge"
socket="$work/munge/munge.socket"
if command -v mungekey >/dev/null 2>&1; then
	mungekey --create --keyfile="$work/munge/munge.key" >/dev/null 2>&1
fi
[ -s "$work/munge/munge.key" ] ||
	dd if=/dev/urandom of="$work/munge/munge.key" bs=1024 count=1 2>/dev/null
chmod 400 "$work/munge/munge.key"
# Each daemon runs under timeout(1) too, so that it cannot outlive a test
# killed without its cleanup.
life=600
timeout -k 5 $life munged -F --force --socket="$socket" --key-file="$work/munge/munge.key" \
	--pid-file="$work/munge/munged.pid" --log-file="$work/log/munged.log" \
	--seed-file="$work/munge/munged.seed" </dev/null >>"$work/log/munged.out" 2>&1 &
pids="$pids $!"
wait_for 10 test -S "$socket" || skip "munged did not start"

cpus=$(nproc 2>/dev/null || echo 1)
SLURM_CONF="$work/slurm.conf"
export SLURM_CONF
cat >"$SLURM_CONF" <<EOF
ClusterName=dctest
SlurmctldHost=localhost(127.0.0.1)
SlurmctldPort=$ctld_port
SlurmdPort=$slurmd_port
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$socket
StateSaveLocation=$work/state
SlurmdSpoolDir=$work/spool
SlurmctldPidFile=$work/run/slurmctld.pid
SlurmdPidFile=$work/run/slurmd.pid
SlurmctldLogFile=$work/log/slurmctld.log
SlurmdLogFile=$work/log/slurmd.log
SlurmctldDebug=info
SlurmdDebug=info
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
MpiDefault=none
SwitchType=switch/none
MailProg=/bin/true
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
SchedulerType=sched/builtin
SlurmdParameters=config_overrides
ReturnToService=2
SlurmctldTimeout=30
SlurmdTimeout=30
InactiveLimit=0
MinJobAge=600
KillWait=5
MessageTimeout=5
NodeName=localhost NodeAddr=127.0.0.1 NodeHostname=localhost CPUs=$cpus RealMemory=500 State=UNKNOWN
PartitionName=debug Nodes=localhost Default=YES MaxTime=10 State=UP
EOF

timeout -k 5 $life slurmctld -D -i -f "$SLURM_CONF" </dev/null >>"$work/log/slurmctld.out" 2>&1 &
pids="$pids $!"
ctld_up() { scontrol ping | grep -q UP; }
wait_for 30 ctld_up || skip "slurmctld did not answer within 30 s"
timeout -k 5 $life slurmd -D -N localhost -f "$SLURM_CONF" </dev/null >>"$work/log/slurmd.out" 2>&1 &
pids="$pids $!"
node_idle() { [ "$(sinfo -h -N -n localhost -o %t)" = idle ]; }
wait_for 60 node_idle ||
	skip "the node is not idle after 60 s: $(sinfo -h -N -o '%N %t %E' 2>&1)"
echo "cluster up in $(elapsed) s: slurmctld on 127.0.0.1:$ctld_port, slurmd on :$slurmd_port, $cpus CPUs"

# ---- one run, for reference ----
"$DRIPCODE" code -q --ledger "$work/single.sqlite" --now $NOW -o "$work/single" "$demo"

# run_array OUTDIR: the array over the demo extract, then the merge job after
# it; both waited for (bounded); the merge job's id in merge_job
run_array() {
	DRIPCODE_OPTS="--now $NOW" timeout 20 sbatch --parsable --array=1-$N \
		--chdir="$work/jobs" --output="$work/jobs/array-%A_%a.log" --time=5 \
		"$array" "$demo" "$1" "$work/main.sqlite" >"$work/jobid" 2>"$work/sbatch.err"
	array_job=$(cut -d';' -f1 "$work/jobid")
	[ -n "$array_job" ] || { cat "$work/sbatch.err"; return 1; }
	jobs_submitted="$jobs_submitted $array_job"
	timeout 20 sbatch --parsable --dependency=afterany:"$array_job" \
		--chdir="$work/jobs" --output="$work/jobs/merge-%j.log" --time=5 \
		"$merge" "$1" "$work/main.sqlite" >"$work/jobid" 2>"$work/sbatch.err"
	merge_job=$(cut -d';' -f1 "$work/jobid")
	[ -n "$merge_job" ] || { cat "$work/sbatch.err"; return 1; }
	jobs_submitted="$jobs_submitted $merge_job"
	idle() { q=$(squeue -h -j "$array_job,$merge_job" -o %i) && [ -z "$q" ]; }
	wait_for 90 idle || { echo "the jobs did not end within 90 s:"; squeue; return 1; }
}

# task_status: how many array tasks ended with each exit status
task_status() {
	scontrol -o show job "$array_job" | grep -o ' ExitCode=[0-9]*' | sort | uniq -c | tr -s ' ' | tr '\n' ' '
}

sum_totals() { # d|charge OUTDIR KEY: KEY summed over the shards' summaries
	for s in "$2"/shard-*/out/summary.json; do dc_total "$s" "$3"; done |
		awk -v k="$1" '{ s += $1 } END { printf(k == "charge" ? "%.2f\n" : "%d\n", s) }'
}

# ---- the array ----
run_array "$work/run1"
check "the array and the merge job ran to their end ($(elapsed) s so far)" $?
# dripcode exits 1 when some encounters are held, as the demo's are
st=$(task_status)
echo "array tasks: $st"
n_ok=$(scontrol -o show job "$array_job" | grep -c ' ExitCode=[01]:0')
[ "$n_ok" = $N ]
check "all $N array tasks completed (exit 0 or 1: $st)" $?
n_sum=$(ls "$work"/run1/shard-*/out/summary.json 2>/dev/null | wc -l)
[ "$n_sum" = $N ]
check "each of the $N shards wrote its summary" $?

# compare RUN LEDGER: RUN's shards and the ledger they were merged into,
# against the single run; one line per point, "same WHAT" or "differs WHAT"
# (scratch files in RUN.cmp)
sort_lines() { [ -f "$1" ] && tail -n +2 "$1"; }
sort_lines "$work/single/lines.csv" | sort >"$work/single.lines"
"$DRIPCODE" ledger show --ledger "$work/single.sqlite" | sed -n '/^claims by scheme:/,/^[a-z]/p' >"$work/claims.single"
say() { if [ "$2" = 0 ]; then echo "same $1"; else echo "differs $1"; fi; }
isa13_of() { head -c 106 "$1" | awk '{ split($0, e, substr($0, 4, 1)); print e[14] }'; }
compare() {
	c_run=$1
	c_tmp=$1.cmp
	mkdir -p "$c_tmp"
	for key in rows encounters coded held rejected_rows already_billed no_claim lines claims; do
		[ "$(sum_totals d "$c_run" $key)" = "$(dc_total "$work/single/summary.json" $key)" ]
		say "shards' $key add up to the single run's" $?
	done
	[ "$(sum_totals charge "$c_run" charge)" = "$(dc_total "$work/single/summary.json" charge)" ]
	say "shards' charge adds up to the single run's" $?
	for s in "$c_run"/shard-*/out/lines.csv; do sort_lines "$s"; done | sort >"$c_tmp/lines"
	[ -s "$work/single.lines" ] && cmp -s "$c_tmp/lines" "$work/single.lines"
	say "shards' lines.csv rows are the single run's" $?
	# the interchange control numbers, by file name and by the ISA segment itself
	ls "$c_run"/shard-*/out/837[pi]-*.x12 >"$c_tmp/x12" 2>/dev/null
	[ -s "$c_tmp/x12" ] &&
		[ -z "$(sed 's/.*-\([0-9]*\)\.x12$/\1/' "$c_tmp/x12" | sort | uniq -d)" ]
	say "no ISA13 in two shards' file names" $?
	while read -r f; do isa13_of "$f"; done <"$c_tmp/x12" | sort >"$c_tmp/isa13"
	[ -s "$c_tmp/isa13" ] && [ "$(wc -l <"$c_tmp/isa13")" = "$(wc -l <"$c_tmp/x12")" ] &&
		[ -z "$(uniq -d "$c_tmp/isa13")" ] && ! grep -qvx '[0-9]\{9\}' "$c_tmp/isa13"
	say "no ISA13 in two shards' ISA segments" $?
	# each ISA13 in its shard's residue class: shard K uses K mod N
	c_bad=0
	for k in $(seq 1 $N); do
		for f in "$c_run"/shard-$k/out/837[pi]-*.x12; do
			[ -f "$f" ] || continue
			isa=$(isa13_of "$f" | awk '{ print $1 + 0 }')
			[ $((isa % N)) = $((k % N)) ] || c_bad=1
		done
	done
	say "shard K's ISA13 are K mod $N" $c_bad
	"$DRIPCODE" ledger show --ledger "$2" | sed -n '/^claims by scheme:/,/^[a-z]/p' >"$c_tmp/claims"
	[ -s "$work/claims.single" ] && cmp -s "$work/claims.single" "$c_tmp/claims"
	say "the merged ledger holds the single run's claims" $?
}
npoints=15

# the merge job
grep -q "exit status 0" "$work"/jobs/merge-"$merge_job".log 2>/dev/null
check "the merge job merged the $N shards' ledgers" $?
compare "$work/run1" "$work/main.sqlite" >"$work/verdicts"
[ "$(wc -l <"$work/verdicts")" = $npoints ]
check "the comparison with the single run made its $npoints points" $?
while read -r verdict what; do
	[ "$verdict" = same ]
	check "$what" $?
done <"$work/verdicts"
echo "the array: $(wc -l <"$work/run1.cmp/x12") interchanges, charge $(sum_totals charge "$work/run1" charge);" \
	"the merged ledger: $(sed -n 2,3p "$work/run1.cmp/claims" | tr -s ' \n' ' ')"

# ---- the comparison can fail: copies of the array's outputs, each with one
# thing broken, must differ from the single run on that point and no other ----
bad="$work/bad"
redo() { rm -rf "$bad" "$bad.cmp"; cp -R "$work/run1" "$bad"; }
# finds LEDGER POINT...: compare on $bad says "differs" for exactly the POINTs
finds() {
	f_ledger=$1
	shift
	for p in "$@"; do echo "differs $p"; done | sort >"$work/bad.want"
	compare "$bad" "$f_ledger" | grep '^differs ' | sort >"$work/bad.got"
	[ -s "$work/bad.want" ] && cmp -s "$work/bad.want" "$work/bad.got" ||
		{ echo "expected:"; cat "$work/bad.want"; echo "found:"; cat "$work/bad.got"; return 1; }
}
# the shard with the most claims
busiest=$(for k in $(seq 1 $N); do
	echo "$(dc_total "$work/run1/shard-$k/out/summary.json" claims) $k"
done | sort -n | tail -n 1 | cut -d' ' -f2)

redo
compare "$bad" "$work/main.sqlite" >"$work/bad.got"
[ "$(grep -c '^same ' "$work/bad.got")" = $npoints ]
check "an untouched copy of the array's outputs is the same as the single run" $?

redo
sed -i '$d' "$bad/shard-$busiest/out/lines.csv"
finds "$work/main.sqlite" "shards' lines.csv rows are the single run's"
check "the comparison finds a row missing from one shard's lines.csv" $?

redo
want=
for key in rows encounters coded held rejected_rows already_billed no_claim lines claims; do
	[ "$(dc_total "$bad/shard-$busiest/out/summary.json" $key)" = 0 ] || want="$want $key"
done
rm "$bad/shard-$busiest/out/summary.json"
set --
for key in $want; do set -- "$@" "shards' $key add up to the single run's"; done
finds "$work/main.sqlite" "$@" "shards' charge adds up to the single run's"
check "the comparison finds a shard's summary missing from the totals ($want )" $?

redo
# x, an 837 file of shard xk; y, one of another shard
x=$(ls "$bad"/shard-*/out/837[pi]-*.x12 | head -n 1)
xk=${x%/out/*}
xk=${xk##*/shard-}
y=$(ls "$bad"/shard-*/out/837[pi]-*.x12 | grep -v "/shard-$xk/" | head -n 1)
if [ -n "$x" ] && [ -n "$y" ]; then
	# y takes x's ISA13 in its ISA segment; the file names stay as they were
	sed -i "1s/^\(\([^*]*\*\)\{13\}\)[0-9]\{9\}/\1$(isa13_of "$x")/" "$y"
	finds "$work/main.sqlite" "no ISA13 in two shards' ISA segments" "shard K's ISA13 are K mod $N"
else
	false
fi
check "the comparison finds an ISA13 used in two shards' ISA segments" $?

redo
cp "$x" "$bad/shard-$((xk % N + 1))/out/"
finds "$work/main.sqlite" "no ISA13 in two shards' file names" \
	"no ISA13 in two shards' ISA segments" "shard K's ISA13 are K mod $N"
check "the comparison finds an 837 file in two shards" $?

redo
set --
for k in $(seq 1 $N); do
	[ $k = "$busiest" ] || set -- "$@" "$bad/shard-$k/ledger.sqlite"
done
"$DRIPCODE" ledger merge --ledger "$work/part.sqlite" "$@" >/dev/null 2>&1 &&
	finds "$work/part.sqlite" "the merged ledger holds the single run's claims"
check "the comparison finds a ledger merged without one shard's" $?

# after the merge, every encounter billed is already billed
billed=$(( $(dc_total "$work/single/summary.json" coded) - $(dc_total "$work/single/summary.json" no_claim) ))
cp "$work/main.sqlite" "$work/after.sqlite"
"$DRIPCODE" code -q --ledger "$work/after.sqlite" --now $NOW -o "$work/after" "$demo"
[ "$billed" -gt 0 ] && [ "$(dc_total "$work/after/summary.json" already_billed)" = "$billed" ] &&
	[ "$(dc_total "$work/after/summary.json" claims)" = 0 ]
check "a run with the merged ledger finds all $billed billed encounters already billed" $?

# a second array over the same extract, each task starting from a copy of
# the merged main ledger: nothing is billed twice, and merging again is fine
run_array "$work/run2"
check "a second array and merge ran to their end ($(elapsed) s so far)" $?
[ "$(sum_totals d "$work/run2" already_billed)" = "$billed" ] &&
	[ "$(sum_totals d "$work/run2" claims)" = 0 ] &&
	[ -z "$(ls "$work"/run2/shard-*/out/837* 2>/dev/null)" ]
check "the second array's shards find all $billed already billed, and bill nothing" $?
grep -q "exit status 0" "$work"/jobs/merge-"$merge_job".log 2>/dev/null &&
	"$DRIPCODE" ledger show --ledger "$work/main.sqlite" | sed -n '/^claims by scheme:/,/^[a-z]/p' |
	cmp -s - "$work/claims.single"
check "merging the second array's ledgers adds no claim" $?

# one shard run again, as the script's comment says: --array=3 with N given
# keeps shard 3's ledger and writes out.2, where all is already billed
# run_task NAME SBATCH_OPTION...: one job, waited for; its exit status
run_task() {
	name=$1
	shift
	DRIPCODE_OPTS="--now $NOW" timeout 20 sbatch --parsable --chdir="$work/jobs" \
		--output="$work/jobs/$name-%A_%a.log" --time=5 "$@" >"$work/jobid" 2>"$work/sbatch.err"
	t_job=$(cut -d';' -f1 "$work/jobid")
	[ -n "$t_job" ] || { cat "$work/sbatch.err"; return 99; }
	jobs_submitted="$jobs_submitted $t_job"
	t_done() { q=$(squeue -h -j "$t_job" -o %i) && [ -z "$q" ]; }
	wait_for 60 t_done || return 98
	t_st=$(scontrol -o show job "$t_job" | grep -o ' ExitCode=[0-9]*' | cut -d= -f2)
	return "${t_st:-97}"
}
s3_billed=$(( $(dc_total "$work/run1/shard-3/out/summary.json" coded) -
	$(dc_total "$work/run1/shard-3/out/summary.json" no_claim) ))
run_task rerun --array=3 --export=ALL,DRIPCODE_SHARDS=$N "$array" "$demo" "$work/run1" "$work/main.sqlite"
st=$?
[ $st -le 1 ] && [ -f "$work/run1/shard-3/out.2/summary.json" ] &&
	[ "$(dc_total "$work/run1/shard-3/out.2/summary.json" already_billed)" = "$s3_billed" ] &&
	[ "$(dc_total "$work/run1/shard-3/out.2/summary.json" claims)" = 0 ] &&
	[ "$(dc_total "$work/run1/shard-3/out.2/summary.json" encounters)" = \
	  "$(dc_total "$work/run1/shard-3/out/summary.json" encounters)" ]
check "shard 3/$N run again (--array=3, DRIPCODE_SHARDS=$N) finds its $s3_billed billed already billed" $?
DRIPCODE="$DRIPCODE" sh "$merge" "$work/run1" "$work/main.sqlite" 2>"$work/merge.err" &&
	"$DRIPCODE" ledger show --ledger "$work/main.sqlite" | sed -n '/^claims by scheme:/,/^[a-z]/p' |
	cmp -s - "$work/claims.single"
check "merging the first array's ledgers again, by hand, adds no claim" $?
# without N, a lone --array=3 would be shard 1/1 of a split in 4: refused
run_task lone --array=3 "$array" "$demo" "$work/run1" "$work/main.sqlite"
st=$?
[ $st = 2 ] && [ ! -e "$work/run1/shard-1/out.2" ] &&
	grep -q "split in $N shards" "$work"/jobs/lone-*.log
check "a lone --array=3 into a split in $N is refused (exit status $st)" $?

for f in "$work"/jobs/*.log; do
	[ -f "$f" ] && grep -q "dripcode-\(array\|merge\): " "$f" || continue
	grep -h "dripcode-\(array\|merge\): " "$f"
done
[ $fail -eq 0 ] || { for f in "$work"/jobs/*.log; do echo "--- $f"; cat "$f"; done; }
echo "took $(elapsed) s"
echo "slurm: $pass passed, $fail failed"
[ $fail -eq 0 ]
