/*
 * uk-line-items.csv: UK CCSD/Healthcode-style invoice line items, one row per
 * line item (spec/coding-uk.md). The caller writes dc_uk_items_header once,
 * then dc_uk_items_format() for each coded UK encounter; this module only
 * formats (no I/O), so the batch engine may stage the rows of each invoice
 * and commit them with the rest of the run's outputs.
 */
#ifndef DC_UK_ITEMS_H
#define DC_UK_ITEMS_H

#include "engine/buf.h"
#include "engine/coded.h"
#include "engine/encounter.h"
#include "rulesets/dc_rules.h"

/* The header line of uk-line-items.csv, with its trailing "\n". */
extern const char dc_uk_items_header[];

/*
 * Appends to |b| the rows of the invoice of |enc| (a validated, coded UK
 * encounter) whose lines are in |c|: one row per line, in line order
 * (procedure line first, as the coder orders them), no header. Drug lines of
 * insurers that do not itemise drugs (rule UK-DRUG-BUNDLED) are left out.
 * Amounts have two decimals; unit prices two to four. |rules| supplies the
 * insurer name. Appends nothing when |c| has no lines.
 */
void dc_uk_items_format(struct dc_buf *b, const struct dc_encounter *enc,
			const struct dc_coded *c, const struct dc_rules *rules);

#endif
