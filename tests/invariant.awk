# Checks the accounting invariant of a summary.json, line by line: every line
# carrying "rows" (one per input, and the totals) must satisfy
#   rows = rows_coded + rows_held + rejected_rows + rows_already_billed + not_administered
#   encounters = coded + held + already_billed
# Exits 1 naming the line when one does not.
function num(key,   m) {
	if (match($0, "\"" key "\": [0-9]+")) {
		m = substr($0, RSTART, RLENGTH)
		sub(/.*: /, "", m)
		return m + 0
	}
	return -1
}
/"rows":/ {
	n++
	rows = num("rows"); enc = num("encounters")
	sum = num("rows_coded") + num("rows_held") + num("rejected_rows") + num("rows_already_billed") + num("not_administered")
	esum = num("coded") + num("held") + num("already_billed")
	if (rows != sum) { print "invariant: line " NR ": rows " rows " != " sum; bad = 1 }
	if (enc != esum) { print "invariant: line " NR ": encounters " enc " != " esum; bad = 1 }
}
END { if (n == 0) { print "invariant: no counts found"; bad = 1 } exit bad }
