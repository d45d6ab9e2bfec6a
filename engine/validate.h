/*
 * Encounter validation: parses the values every reader hands over as text
 * (dates, times, decimals, codes) and holds the encounter when one is wrong
 * (invalid_field), missing (documentation), or its payer unknown
 * (eligibility). Runs before any coding rule.
 */
#ifndef DC_VALIDATE_H
#define DC_VALIDATE_H

#include "engine/arena.h"
#include "engine/encounter.h"
#include "rulesets/dc_rules.h"

/*
 * Fills the parsed fields of |enc| and its items. On a problem sets
 * enc->hold and enc->hold_reason (every problem found, '; '-separated; the
 * category of the first). Returns 0 when the encounter may be coded, 1 when it
 * is held.
 */
int dc_encounter_validate(struct dc_encounter *enc, const struct dc_rules *rules,
			  enum dc_scheme default_scheme, struct dc_arena *a);

/* Adds a hold reason (keeping the first category). */
void dc_encounter_hold(struct dc_encounter *enc, enum dc_hold cat, struct dc_arena *a,
		       const char *fmt, ...) __attribute__((format(printf, 4, 5)));

#endif
