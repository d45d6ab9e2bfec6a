#!/bin/sh
# Reconciliation tests (`dripcode reconcile`):
# 1. golden cases: every testdata/cases/recon-*/ holding a case.recon (the
#    dripcode arguments; @IN@ the case's input/, @OUT@ a fresh output directory,
#    @TMP@ a scratch directory, @REMIT@ testdata/remit), optionally preceded by
#    the dripcode commands of case.setup (one per line: claims coded into the
#    ledger first). Expectations as in golden.sh: expected/, expected.err,
#    expected.exit. They are not named case.golden because golden.sh checks
#    every summary.json against the `code` accounting invariant.
# 2. idempotence: every 835 of the cases applied twice to one ledger leaves
#    every output unchanged (summary.json apart from its per-input lines);
#    applied in another order to a fresh ledger gives the same reports.
# 3. the same for the UK remittance.
# GOLDEN_UPDATE=1 rewrites the expectations of part 1.
set -u
: "${DRIPCODE:?set DRIPCODE to the dripcode binary}"
: "${TOP_SRCDIR:=$(cd "$(dirname "$0")/.." && pwd)}"
if ! "$DRIPCODE" reconcile --help >/dev/null 2>&1; then
	echo "SKIP: this dripcode has no reconcile command yet"
	exit 77
fi
REMIT="$TOP_SRCDIR/testdata/remit"
work=$(mktemp -d "${TMPDIR:-/tmp}/dc-recon.XXXXXX")
trap 'rm -rf "$work"' EXIT INT TERM
pass=0
fail=0
failed=

normalise() { # file case-dir out-dir tmp-dir
	sed -e "s#$2/input#@IN@#g" -e "s#$REMIT#@REMIT@#g" -e "s#$3#@OUT@#g" -e "s#$4#@TMP@#g" \
	    -e 's#"dripcode": "[^"]*"#"dripcode": "VERSION"#' "$1"
}

subst() { # line case-dir out-dir tmp-dir
	printf '%s\n' "$1" | sed -e "s#@IN@#$2/input#g" -e "s#@OUT@#$3#g" -e "s#@TMP@#$4#g" \
	    -e "s#@REMIT@#$REMIT#g"
}

result() { # name ok why
	if [ "$2" = 1 ]; then
		pass=$((pass + 1)); echo "PASS: $1"
	else
		fail=$((fail + 1)); failed="$failed $1"; echo "FAIL: $1:$3"
	fi
}

# ---- 1. golden cases ----
for c in "$TOP_SRCDIR"/testdata/cases/recon-*/; do
	[ -f "$c/case.recon" ] || continue
	c=$(cd "$c" && pwd)
	name=$(basename "$c")
	t="$work/$name"
	mkdir -p "$t/tmp"
	out="$t/out"
	ok=1
	why=
	if [ -f "$c/case.setup" ]; then
		while IFS= read -r line; do
			[ -n "$line" ] || continue
			args=$(subst "$line" "$c" "$out" "$t/tmp")
			(cd "$t" && eval "\"\$DRIPCODE\" $args" >/dev/null 2>"$t/setup.err" </dev/null)
			st=$?
			if [ $st -gt 1 ]; then ok=0; why="$why setup exit $st;"; cat "$t/setup.err"; fi
		done <"$c/case.setup"
	fi
	args=$(subst "$(cat "$c/case.recon")" "$c" "$out" "$t/tmp")
	(cd "$t" && eval "${DC_WRAP:-} \"\$DRIPCODE\" $args" >"$t/stdout" 2>"$t/stderr" </dev/null)
	status=$?
	normalise "$t/stderr" "$c" "$out" "$t/tmp" >"$t/stderr.n"
	mkdir -p "$t/got"
	for f in "$out"/*; do
		[ -e "$f" ] || continue
		normalise "$f" "$c" "$out" "$t/tmp" >"$t/got/$(basename "$f")"
		# outputs hold health information: private by default
		case "$(ls -l "$f")" in -rw-------*) ;; *) ok=0; why="$why $(basename "$f") not 0600;" ;; esac
	done
	if [ "${GOLDEN_UPDATE:-}" = 1 ]; then
		rm -rf "$c/expected"
		mkdir -p "$c/expected"
		cp "$t/got/"* "$c/expected/" 2>/dev/null
		if [ -s "$t/stderr.n" ]; then cp "$t/stderr.n" "$c/expected.err"; else rm -f "$c/expected.err"; fi
		if [ "$status" -ne 0 ]; then echo "$status" >"$c/expected.exit"; else rm -f "$c/expected.exit"; fi
		echo "UPDATED: $name"
		continue
	fi
	want_exit=0
	[ -f "$c/expected.exit" ] && want_exit=$(cat "$c/expected.exit")
	[ "$status" = "$want_exit" ] || { ok=0; why="$why exit $status (want $want_exit);"; }
	if [ -f "$c/expected.err" ]; then
		cmp -s "$t/stderr.n" "$c/expected.err" || { ok=0; why="$why stderr differs;"; }
	elif [ -s "$t/stderr.n" ]; then ok=0; why="$why unexpected stderr;"; fi
	[ -s "$t/stdout" ] && { ok=0; why="$why unexpected stdout;"; }
	for f in "$c"/expected/*; do
		[ -e "$f" ] || continue
		b=$(basename "$f")
		if [ ! -f "$t/got/$b" ]; then ok=0; why="$why $b missing;"
		elif ! cmp -s "$t/got/$b" "$f"; then ok=0; why="$why $b differs;"; diff -u "$f" "$t/got/$b" | head -30; fi
	done
	for f in "$t"/got/*; do
		[ -e "$f" ] || continue
		[ -f "$c/expected/$(basename "$f")" ] || { ok=0; why="$why unexpected output $(basename "$f");"; }
	done
	[ $ok = 1 ] || { [ -f "$c/expected.err" ] && diff -u "$c/expected.err" "$t/stderr.n" | head -20; }
	result "$name" "$ok" "$why"
done
[ "${GOLDEN_UPDATE:-}" = 1 ] && exit 0

# ---- 2. idempotence and order (US) ----
same_reports() { # dir1 dir2: every file equal; summary.json without what is about the run
	# itself (its per-input lines, and its exit status: a second run has nothing new
	# for a person to look at)
	r=0
	for f in "$1"/*; do
		b=$(basename "$f")
		if [ "$b" = summary.json ]; then
			grep -v -e '"path":' -e '"exit_status":' "$f" >"$work/s1"
			grep -v -e '"path":' -e '"exit_status":' "$2/$b" >"$work/s2"
			cmp -s "$work/s1" "$work/s2" || { echo "  $b differs"; diff "$work/s1" "$work/s2" | head; r=1; }
		else
			cmp -s "$f" "$2/$b" || { echo "  $b differs"; diff "$f" "$2/$b" | head; r=1; }
		fi
	done
	return $r
}
set --
for f in "$TOP_SRCDIR"/testdata/cases/recon-*/input/*.835; do
	case "$f" in */recon-not-x12/*) ;; *) set -- "$@" "$f" ;; esac
done
i=$work/idem
mkdir -p "$i"
"$DRIPCODE" reconcile -q --ledger "$i/l.sqlite" --claims "$REMIT/claims.837" --remit "$@" \
	-o "$i/out1" --now 2026-03-10T08:00
s1=$?
"$DRIPCODE" reconcile -q --ledger "$i/l.sqlite" --claims "$REMIT/claims.837" --remit "$@" \
	-o "$i/out2" --now 2026-03-10T08:00
s2=$?
ok=1; why=
[ $s1 = 1 ] || { ok=0; why="$why first run exit $s1 (want 1: unmatched and unbalanced);"; }
[ $s2 = 0 ] || { ok=0; why="$why second run exit $s2 (want 0: nothing new);"; }
same_reports "$i/out1" "$i/out2" || { ok=0; why="$why reports changed;"; }
grep '"kind": "835"' "$i/out2/summary.json" | grep -q -v '"remittances": 0,' &&
	{ ok=0; why="$why second run applied something;"; }
grep '"kind": "835"' "$i/out2/summary.json" | grep -q '"already_applied": 0,' &&
	{ ok=0; why="$why second run did not skip every remittance;"; }
# every claim of the fixture set has its expected status
for want in C1001,paid C1002,denied C1003,partial C1004,paid C1005,paid C1006,paid C1007,paid \
	    C1008,partial C1009,reversed C1010,paid C1011,pending ENC-2026-0000000001234,paid; do
	id=${want%,*}; st=${want#*,}
	got=$(awk -F, -v id="$id" '$1 == id { print $10 }' "$i/out1/reconciliation.csv")
	[ "$got" = "$st" ] || { ok=0; why="$why $id is '$got' (want $st);"; }
done
result recon-idempotent-us "$ok" "$why"

# reversed file order, fresh ledger: the same reports (payment-date order wins)
rev=
for f in "$@"; do rev="$f $rev"; done
# shellcheck disable=SC2086
"$DRIPCODE" reconcile -q --ledger "$i/l2.sqlite" --claims "$REMIT/claims.837" --remit $rev \
	-o "$i/out3" --now 2026-03-10T08:00
ok=1; why=
for b in reconciliation.csv reconciliation-lines.csv unmatched-remittances.csv audit.csv; do
	cmp -s "$i/out1/$b" "$i/out3/$b" || { ok=0; why="$why $b depends on file order;"; diff "$i/out1/$b" "$i/out3/$b" | head; }
done
result recon-order-independent "$ok" "$why"

# ---- 3. idempotence (UK) ----
u=$work/uk
mkdir -p "$u"
"$DRIPCODE" code -q --ledger "$u/l.sqlite" --now 2026-03-07T02:00 -o "$u/code" "$REMIT/uk-extract.csv"
"$DRIPCODE" reconcile -q --ledger "$u/l.sqlite" --remit "$REMIT/uk-remittance.csv" -o "$u/out1" --now 2026-03-25T09:00
"$DRIPCODE" reconcile -q --ledger "$u/l.sqlite" --remit "$REMIT/uk-remittance.csv" "$REMIT/uk-remittance.csv" \
	-o "$u/out2" --now 2026-03-25T09:00
ok=1; why=
same_reports "$u/out1" "$u/out2" || { ok=0; why="$why reports changed;"; }
result recon-idempotent-uk "$ok" "$why"

echo "reconcile: $pass passed, $fail failed"
[ $fail -eq 0 ] || { echo "failed:$failed"; exit 1; }
