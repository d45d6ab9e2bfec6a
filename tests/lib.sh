# Shell helpers shared by the shell tests (sourced; needs DRIPCODE and $work).

# dc_total SUMMARY KEY: a number (or an amount) from the "totals" object of a
# summary.json.
dc_total() {
	grep -o "\"totals\": {[^}]*" "$1" | grep -o "\"$2\": \"*[0-9.]*" | grep -o '[0-9.]*$'
}

# dc_agree OUT LEDGER: the ledger and a run's output directory agree: every
# claim file recorded complete exists, every claim file there is recorded
# complete, and no temporary file is left.
dc_agree() {
	"$DRIPCODE" ledger show --ledger "$2" >"$work/show" 2>/dev/null || return 1
	awk '/^files:/ {f=1; next} /^[a-z]/ {f=0} f && $4 == "complete" {print $5}' "$work/show" |
	while read -r p; do [ -f "$p" ] || { echo "recorded but missing: $p"; exit 1; }; done || return 1
	for f in "$1"/837*.x12 "$1"/uk-line-items.csv; do
		[ -e "$f" ] || continue
		grep -q " complete $(cd "$1" && pwd)/$(basename "$f")\$" "$work/show" ||
			{ echo "present but not recorded: $f"; return 1; }
	done
	[ -z "$(ls -A "$1" 2>/dev/null | grep '^\.')" ] || { echo "temporary files left in $1"; return 1; }
}
