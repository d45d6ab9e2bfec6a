#!/bin/sh
# Writes a synthetic CSV extract of about SIZE_MB megabytes to standard output:
# a mix of US (physician and facility) and UK encounters, 1 to 4 rows each,
# in the canonical columns. Deterministic for a given size.
# Usage: bench/gen-extract.sh SIZE_MB > extract.csv
set -eu
size_mb=${1:?usage: gen-extract.sh SIZE_MB}
awk -v limit=$((size_mb * 1024 * 1024)) 'BEGIN {
	srand(42)
	h = "encounter_id,scheme,billing_party,place_of_service,service_date,patient_id," \
	    "patient_last_name,patient_first_name,patient_dob,patient_sex,patient_address," \
	    "patient_city,patient_state,patient_postcode,payer_id,member_id,auth_ref," \
	    "diagnosis_codes,rendering_provider_id,rendering_provider_name,indication,consent," \
	    "item_type,code,drug_name,ndc,dmd_code,dose,dose_unit,concentration,wasted,volume_ml," \
	    "route,access_site,start_time,stop_time,separately_identifiable"
	print h; bytes = length(h) + 1
	split("MEDICARE MEDICAID COMMERCIAL COMMERCIAL-XU", uspay, " ")
	split("bup ppp nuh slh wpa cin hlx alz", ukpay, " ")
	n = 0
	while (bytes < limit) {
		n++
		id = sprintf("ENC%09d", n)
		day = sprintf("2026-03-%02d", 2 + n % 20)
		uk = (n % 5 == 0)
		rows = 1 + n % 4
		if (!uk) {
			fac = n % 3 == 0
			enc = sprintf("%s,US,%s,%s,%s,P%d,PATIENT%d,TEST,1960-01-01,F,1 MAIN ST,SPRINGFIELD,IL,62701,%s,M%d,AUTH%d,K50.90,1234567893,\"SMITH, ANNA\",,,",
				id, fac ? "facility" : "physician", fac ? "22" : "11", day, n % 50000, n % 50000,
				uspay[1 + n % 4], n, n)
		} else {
			enc = sprintf("%s,UK,,,%s,P%d,PATIENT%d,TEST,1960-01-01,F,1 HIGH ST,LONDON,,SW1A 1AA,%s,M%d,PA%d,D50.9,1234567,\"JONES, BEN\",iron deficiency not tolerating oral iron,Y,",
				id, day, n % 50000, n % 50000, ukpay[1 + n % 8], n, n)
		}
		for (r = 0; r < rows; r++) {
			h0 = 8 + r
			if (!uk) {
				if (r == 0)
					item = sprintf("drug,J1745,infliximab,57894-0030-01,,350,mg,,50,250,IV,L forearm,%02d:00,%02d:10,", h0, h0 + 2)
				else if (r == 1)
					item = sprintf("drug,J2405,ondansetron,,,4,mg,,,,IV,L forearm,%02d:20,%02d:22,", h0 + 2, h0 + 2)
				else if (r == 2)
					item = sprintf("drug,J7050,sodium chloride 0.9%%,,,500,mL,,,500,IV,L forearm,%02d:30,%02d:45,", h0 + 2, h0 + 3)
				else
					item = "visit,99213,,,,,,,,,,,,,Y"
			} else {
				if (r == 0)
					item = "drug,,iron sucrose,,,200,mg,20 mg/mL,,100,IV,L antecubital,10:00,10:30,"
				else if (r == 1)
					item = "drug,,ondansetron,,,4,mg,2 mg/mL,,,IV,L antecubital,09:50,09:52,"
				else if (r == 2)
					item = "drug,,sodium chloride 0.9%,,,100,mL,0.9%,,100,IV,L antecubital,10:30,10:40,"
				else
					item = "visit,Z9101,,,,,,,,,,,,,N"
			}
			line = enc item
			print line
			bytes += length(line) + 1
		}
	}
}'
