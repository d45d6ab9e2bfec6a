/*
 * `dripcode rules import-asp PRICING.csv CROSSWALK.csv [-o DIR]`: the
 * quarterly update of us/drugs.csv and us/ndc.csv from the CMS ASP pricing
 * file and the ASP NDC-HCPCS crosswalk, read as CMS publishes them
 * (rulesets.md, "Updating from CMS every quarter"): Windows-1252 or UTF-8,
 * metadata rows above the header, the code column renamed every year,
 * trailing empty columns, CRLF or LF, gzip or plain.
 *
 * drugs.csv keeps its rows, its order, its comment lines and every column but
 * billing_unit_amount and billing_unit, which come from the pricing file's
 * dosage for each code already in the table. No code is added or removed:
 * a code missing from the pricing file keeps its row and unit and is
 * reported. ndc.csv is rebuilt from the crosswalk rows of the codes of
 * drugs.csv with the rules of tools/build-us-rulesets.py (rulesets/us/README.md),
 * taking the code-specific facts (hydration fluid, bag size) from drugs.csv
 * instead of the generator's curated lists; columns of the old ndc.csv beyond
 * the standard seven are carried over by NDC.
 */
#ifndef DC_IMPORT_ASP_H
#define DC_IMPORT_ASP_H

#include <stdio.h>

#include "engine/diag.h"

/*
 * Reads |rules_dir|/us/drugs.csv (required) and us/ndc.csv (optional), the
 * CMS files |pricing| and |crosswalk|, and writes us/drugs.csv and us/ndc.csv
 * under |out_dir| (NULL: |rules_dir| itself; created with its us/ directory
 * when missing), each atomically. What changed is printed to |report| (may be
 * NULL): lines "unit changed: ", "added: ", "retired: ", "not understood: ",
 * then the "drugs.csv: " and "ndc.csv: " totals.
 *
 * Returns 0; DC_ERR_USAGE when an input cannot be read, has no header row or
 * lacks a needed column (reported to |ds| naming the file and what was not
 * found; nothing is written); DC_ERR_IO when an output could not be written.
 */
int dc_rules_import_asp(const char *rules_dir, const char *pricing, const char *crosswalk,
			const char *out_dir, FILE *report, struct dc_diag_sink *ds);

#endif
