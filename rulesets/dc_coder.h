/*
 * Coding engines: turn one validated encounter into claim lines.
 *
 * A coder reads the encounter (borrowed), appends lines, warnings and
 * explanation notes to |out|, and may hold the encounter with
 * dc_encounter_hold() (a claim check failed). All memory comes from |a|.
 * Returns 0, or a negative status for a bug.
 */
#ifndef DC_CODER_H
#define DC_CODER_H

#include "engine/arena.h"
#include "engine/coded.h"
#include "engine/encounter.h"
#include "rulesets/dc_rules.h"

int dc_us_code(const struct dc_rules *rules, struct dc_encounter *enc,
	       struct dc_coded *out, struct dc_arena *a);
int dc_uk_code(const struct dc_rules *rules, struct dc_encounter *enc,
	       struct dc_coded *out, struct dc_arena *a);

#endif
