/*
 * UK coding engine (spec/coding-uk.md): helpers shared by the coder
 * (rulesets/uk_coder.c, entry point dc_uk_code() in rulesets/dc_coder.h), the
 * uk-line-items.csv emitter and the unit tests.
 *
 * Money is exact: amounts in pence (int64), unit prices in 1/10000 of a pound
 * (the UK drug table has prices such as 0.0030 per mL), quantities as
 * struct dc_dec (1e-6 units). No floating point anywhere.
 */
#ifndef DC_UK_CODER_H
#define DC_UK_CODER_H

#include <stddef.h>
#include <stdint.h>

#include "engine/coded.h"
#include "engine/value.h"

/* Rule ids of coding-uk.md (and UK-DRUG-BUNDLED of rulesets.md). */
#define DC_UK_X3590_SOLE       "UK-X3590-SOLE"
#define DC_UK_X3590_CONCURRENT "UK-X3590-CONCURRENT"
#define DC_UK_PROCEDURE        "UK-PROCEDURE"
#define DC_UK_DRUG_ITEM        "UK-DRUG-ITEM"
#define DC_UK_DRUG_BUNDLED     "UK-DRUG-BUNDLED"
#define DC_UK_CONSULT          "UK-CONSULT"
#define DC_UK_PREAUTH          "UK-PREAUTH"
#define DC_UK_DOCS             "UK-DOCS"
#define DC_UK_PROVIDER         "UK-PROVIDER"
#define DC_UK_PRICE            "UK-PRICE"
#define DC_UK_DIAGNOSIS        "UK-DIAGNOSIS"

/* 1/10000 of a pound per pound. */
#define DC_UK_PRICE_SCALE 10000LL

/*
 * Parses a unit price with at most four decimals ("0.31", "0.0030", "120")
 * into 1/10000 units. Returns 0, or -1 when malformed, negative, finer than
 * four places or out of range.
 */
int dc_uk_price_parse(const char *s, int64_t *price4);

/*
 * Writes a unit price (1/10000 units) with at least two and at most four
 * decimals: 3100 -> "0.31", 30 -> "0.003", 1200000 -> "120.00".
 */
char *dc_uk_price_format(int64_t price4, char *buf, size_t n);

/*
 * The UK-PRICE line amount: |qty| x |price4| rounded half up to whole pence,
 * computed exactly (no intermediate overflow for any quantity dc_dec_parse
 * accepts and any price below 10^9 pounds). Returns 0, or -1 when a value is
 * negative or the amount does not fit.
 */
int dc_uk_line_amount(struct dc_dec qty, int64_t price4, int64_t *pence);

/* 1 when |line| is a drug line that the insurer does not itemise
 * (UK-DRUG-BUNDLED): it stays in lines.csv but not in uk-line-items.csv. */
int dc_uk_line_bundled(const struct dc_line *line);

#endif
