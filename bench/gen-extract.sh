#!/bin/sh
# Writes a synthetic CSV extract of about SIZE_MB megabytes to standard output.
#
# Every encounter is one of the demo extract's encounters (testdata/demo:
# US physician and facility, UK outpatient and day-case, the demo's share of
# pre-billing holds) with what differs from patient to patient drawn at
# random: service date, patient id, name, sex, date of birth, address,
# member, group and authorisation numbers, administration and bag ids, and
# the clock (all times of an encounter move together). Drug, NDC, dose,
# provider and diagnosis stay as in the template, so the coding is as
# realistic as the demo's. 4096 encounters are drawn so, then written again
# and again with fresh encounter ids; gzip -1 compresses the result about
# 6 to 1, as it would a real dump (a repeated template compresses 18 to 1
# and makes zcat look twice as fast as it is on real data).
# Deterministic for a given size and seed; a seed other than the default
# also gives other encounter ids (SEED- after the V).
# Usage: bench/gen-extract.sh SIZE_MB [SEED] > extract.csv
set -eu
size_mb=${1:?usage: gen-extract.sh SIZE_MB [SEED]}
seed=${2:-42}
top=$(cd "$(dirname "$0")/.." && pwd)
awk -v limit=$((size_mb * 1024 * 1024)) -v seed="$seed" '
# split a CSV record (no embedded newlines) into f[1..n]; returns n
function csvsplit(s, f,    n, i, c, q, v, len) {
	n = 0; v = ""; q = 0; len = length(s)
	for (i = 1; i <= len; i++) {
		c = substr(s, i, 1)
		if (q) {
			if (c == "\"") {
				if (substr(s, i + 1, 1) == "\"") { v = v "\""; i++ }
				else q = 0
			} else v = v c
		} else if (c == "\"") q = 1
		else if (c == ",") { f[++n] = v; v = "" }
		else v = v c
	}
	f[++n] = v
	return n
}
function csvfield(v) {
	if (v ~ /[",]/) { gsub(/"/, "\"\"", v); return "\"" v "\"" }
	return v
}
function pick(list, n) { return list[1 + int(rand() * n)] }
# every digit of s replaced by a random digit, letters kept
function redigit(s,    out, i, c) {
	out = ""
	for (i = 1; i <= length(s); i++) {
		c = substr(s, i, 1)
		out = out (c ~ /[0-9]/ ? int(rand() * 10) : c)
	}
	return out
}
function hhmm(m) { return sprintf("%02d:%02d", int(m / 60), m % 60) }
function mins(t) { return substr(t, 1, 2) * 60 + substr(t, 4, 2) }
BEGIN {
	srand(seed)
	tag = seed == 42 ? "" : seed "-"   # other seeds, other encounter ids
	nl = split("SMITH JOHNSON WILLIAMS BROWN JONES GARCIA MILLER DAVIS RODRIGUEZ MARTINEZ " \
		"HERNANDEZ LOPEZ GONZALEZ WILSON ANDERSON THOMAS TAYLOR MOORE JACKSON MARTIN LEE " \
		"PEREZ THOMPSON WHITE HARRIS SANCHEZ CLARK RAMIREZ LEWIS ROBINSON WALKER YOUNG " \
		"ALLEN KING WRIGHT SCOTT TORRES NGUYEN HILL FLORES GREEN ADAMS NELSON BAKER HALL " \
		"RIVERA CAMPBELL MITCHELL CARTER ROBERTS PATEL OKAFOR KOWALSKI OBRIEN MURPHY " \
		"SULLIVAN FITZGERALD NAKAMURA LINDQVIST ABERNATHY", last, " ")
	nf = split("JAMES MARY ROBERT PATRICIA JOHN JENNIFER MICHAEL LINDA DAVID ELIZABETH " \
		"WILLIAM BARBARA RICHARD SUSAN JOSEPH JESSICA THOMAS SARAH CHARLES KAREN AMINA " \
		"OLIVER AMELIA GEORGE ISLA NOAH AVA ARTHUR MIA LEO IVY HARRY FREYA PRIYA RAJ " \
		"MOHAMMED FATIMA WEI MEI SEAN AOIFE", first, " ")
	ns = split("MAIN OAK PINE MAPLE CEDAR ELM WASHINGTON LAKE HILL PARK SECOND THIRD " \
		"CHURCH MILL STATION VICTORIA QUEENS KINGS MANOR GROVE", street, " ")
	nus = split("ST AVE RD LN DR CT BLVD WAY", ussfx, " ")
	nuk = split("Street Road Lane Avenue Close Crescent Gardens Mews Way Drive", uksfx, " ")
	nc = split("SPRINGFIELD:IL:627 CHICAGO:IL:606 PEORIA:IL:616 COLUMBUS:OH:432 " \
		"DAYTON:OH:454 AUSTIN:TX:787 DALLAS:TX:752 DENVER:CO:802 PHOENIX:AZ:850 " \
		"ATLANTA:GA:303 RALEIGH:NC:276 BOSTON:MA:021 SEATTLE:WA:981 OMAHA:NE:681", city, " ")
	nt = split("London:SW London:EC Manchester:M Birmingham:B Leeds:LS Croydon:CR " \
		"Bristol:BS Leicester:LE Nottingham:NG Reading:RG Oxford:OX Cambridge:CB", town, " ")
	letters = "ABDEFGHJLNPQRSTUWXYZ"
	# the demo encounters, in order, as templates
	path = "'"$top"'/testdata/demo/extract.csv"
	while ((getline line < path) > 0) {
		sub(/\r$/, "", line)
		if (!ncol) {
			ncol = csvsplit(line, col)
			for (i = 1; i <= ncol; i++) ix[col[i]] = i
			header = line
			continue
		}
		csvsplit(line, f)
		if (f[1] != lastid) { ntpl++; tfirst[ntpl] = nrows + 1; lastid = f[1] }
		nrows++
		trow[nrows] = line
		tlast[ntpl] = nrows
	}
	close(path)
	print header; bytes = length(header) + 1
	# a pool of encounters drawn at random, written over and over with fresh
	# encounter ids: the pool (about 1 MB) is far wider than gzip'"'"'s 32 KB
	# window, so the output compresses as if every encounter were drawn anew
	npool = 0; nprow = 0
	for (n = 1; n <= 4096; n++) {
		t = 1 + (n - 1) % ntpl
		csvsplit(trow[tfirst[t]], f)
		uk = f[ix["scheme"]] == "UK"
		day = sprintf("2026-%02d-%02d", 1 + int(rand() * 3), 1 + int(rand() * 24))
		pid = (uk ? "UKP" : "P") sprintf("%07d", int(rand() * 10000000))
		ln = pick(last, nl); fn = pick(first, nf)
		if (uk) { ln = substr(ln, 1, 1) tolower(substr(ln, 2)); fn = substr(fn, 1, 1) tolower(substr(fn, 2)) }
		sex = rand() < 0.5 ? "F" : "M"
		dob = sprintf("%04d-%02d-%02d", 1935 + int(rand() * 70), 1 + int(rand() * 12), 1 + int(rand() * 28))
		if (uk) {
			split(pick(town, nt), tw, ":")
			addr = sprintf("%d %s %s", 1 + int(rand() * 200), substr(pick(street, ns), 1, 1) tolower(substr(pick(street, ns), 2)), pick(uksfx, nuk))
			cty = tw[1]; st = ""
			pc = sprintf("%s%d %d%s%s", tw[2], 1 + int(rand() * 20), int(rand() * 10),
				substr(letters, 1 + int(rand() * 20), 1), substr(letters, 1 + int(rand() * 20), 1))
		} else {
			split(pick(city, nc), cy, ":")
			addr = sprintf("%d %s %s", 1 + int(rand() * 9999), pick(street, ns), pick(ussfx, nus))
			cty = cy[1]; st = cy[2]; pc = sprintf("%s%02d", cy[3], int(rand() * 100))
		}
		member = redigit(f[ix["member_id"]]); group = redigit(f[ix["group_number"]])
		auth = redigit(f[ix["auth_ref"]])
		# move the clock of the whole encounter by up to two hours either way
		shift = 5 * (int(rand() * 49) - 24)
		for (r = tfirst[t]; r <= tlast[t]; r++) {
			csvsplit(trow[r], f)
			for (k = 0; k < 2; k++) {
				c = f[ix[k ? "stop_time" : "start_time"]]
				if (c ~ /^[0-9][0-9]:[0-9][0-9]$/ && (mins(c) + shift < 0 || mins(c) + shift >= 1440))
					shift = 0
			}
		}
		npool++
		pfirst[npool] = nprow + 1
		puk[npool] = uk
		for (r = tfirst[t]; r <= tlast[t]; r++) {
			csvsplit(trow[r], f)
			for (k = 0; k < 2; k++) {
				c = ix[k ? "stop_time" : "start_time"]
				if (f[c] ~ /^[0-9][0-9]:[0-9][0-9]$/)
					f[c] = hhmm(mins(f[c]) + shift)
			}
			f[ix["service_date"]] = day; f[ix["patient_id"]] = pid
			f[ix["patient_last_name"]] = ln; f[ix["patient_first_name"]] = fn
			f[ix["patient_sex"]] = sex; f[ix["patient_dob"]] = dob
			f[ix["patient_address"]] = addr; f[ix["patient_city"]] = cty
			f[ix["patient_state"]] = st; f[ix["patient_postcode"]] = pc
			f[ix["member_id"]] = member; f[ix["group_number"]] = group; f[ix["auth_ref"]] = auth
			if (f[ix["admin_id"]] != "") f[ix["admin_id"]] = redigit(f[ix["admin_id"]])
			if (f[ix["bag_id"]] != "") f[ix["bag_id"]] = redigit(f[ix["bag_id"]])
			out = ""
			for (k = 2; k <= ncol; k++) out = out "," csvfield(f[k])
			prow[++nprow] = out
		}
		plast[npool] = nprow
	}
	# the encounter id is the first column
	for (n = 1; bytes < limit; n++) {
		e = 1 + (n - 1) % npool
		id = sprintf("%s%s%010d", puk[e] ? "UKV" : "V", tag, n * 10 + int(rand() * 10))
		for (r = pfirst[e]; r <= plast[e]; r++) {
			print id prow[r]
			bytes += length(id) + length(prow[r]) + 1
		}
	}
}'
