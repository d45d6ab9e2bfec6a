#!/bin/sh
# Real public X12 files (../shared/data/x12-samples, read-only, never copied
# into the project): every 835 is reconciled into a fresh ledger with no
# claims, so every CLP (of transactions not seen before in the file) must come out in unmatched-remittances.csv; every 837
# read with --claims must give each distinct CLM01 one row of
# reconciliation.csv. Malformed parts are warnings: the exit status must be
# 0 or 1, never a crash, an input error or an internal error.
# Skipped (77) when the samples folder or `dripcode reconcile` is absent.
set -u
: "${DRIPCODE:?set DRIPCODE to the dripcode binary}"
: "${TOP_SRCDIR:=$(cd "$(dirname "$0")/.." && pwd)}"
SAMPLES=${X12_SAMPLES:-$TOP_SRCDIR/../shared/data/x12-samples}
if [ ! -d "$SAMPLES" ]; then
	echo "SKIP: no sample folder $SAMPLES"
	exit 77
fi
if ! "$DRIPCODE" reconcile --help >/dev/null 2>&1; then
	echo "SKIP: this dripcode has no reconcile command yet"
	exit 77
fi
work=$(mktemp -d "${TMPDIR:-/tmp}/dc-samples.XXXXXX")
trap 'rm -rf "$work"' EXIT INT TERM
fail=0
n=0
# segments one per line, whatever the line structure (the samples use * and ~)
segments() { tr -d '\r\n' <"$1" | tr '~' '\n' | sed 's/^[[:space:]]*//'; }
printf 'remittance_ref,insurer_code,payment_date,invoice_number,line_no,code,billed,paid,status,reason_code,reason_text\n' \
	>"$work/empty.csv"
for f in "$SAMPLES"/*; do
	[ -f "$f" ] || continue
	b=$(basename "$f")
	st=$(segments "$f" | grep -m1 '^ST\*' | cut -d'*' -f2)
	n=$((n + 1))
	d="$work/$n"
	mkdir -p "$d"
	case "$st" in
	835)
		"$DRIPCODE" reconcile --ledger "$d/l.sqlite" --remit "$f" -o "$d/out" \
			--now 2026-03-10T08:00 >/dev/null 2>"$d/err"
		status=$?
		# a transaction whose TRN03+TRN02 was seen before is a duplicate that
		# reconcile skips (one sample reuses its anonymised trace numbers)
		want=$(segments "$f" | awk -F'*' '
			$1 == "ST" { skip = 0 }
			$1 == "TRN" { k = $3 "/" $4; skip = (k in seen); seen[k] = 1 }
			$1 == "CLP" && !skip { n++ }
			END { print n + 0 }')
		got=$(($(wc -l <"$d/out/unmatched-remittances.csv" 2>/dev/null || echo 1) - 1))
		what="CLP"
		;;
	837)
		"$DRIPCODE" reconcile --ledger "$d/l.sqlite" --claims "$f" --remit "$work/empty.csv" \
			-o "$d/out" --now 2026-03-10T08:00 >/dev/null 2>"$d/err"
		status=$?
		want=$(segments "$f" | grep '^CLM\*' | cut -d'*' -f2 | sort -u | wc -l)
		got=$(($(wc -l <"$d/out/reconciliation.csv" 2>/dev/null || echo 1) - 1))
		what="CLM"
		;;
	*)
		continue
		;;
	esac
	warnings=$(grep -c 'warning' "$d/err")
	if [ "$status" -gt 1 ] || [ "$got" != "$want" ]; then
		fail=$((fail + 1))
		echo "FAIL: $b: exit $status, $got of $want $what found"
		head -5 "$d/err"
	else
		echo "PASS: $b: $got $what, $warnings warnings"
	fi
done
[ $fail -eq 0 ] || exit 1
