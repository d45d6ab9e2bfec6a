/*
 * Build without the US coding engine: every valid US encounter is accepted
 * with no claim lines. Replaced by rulesets/us_coder.c.
 */
#include "rulesets/dc_coder.h"

int dc_us_code(const struct dc_rules *rules, struct dc_encounter *enc,
	       struct dc_coded *out, struct dc_arena *a)
{
	(void)rules; (void)enc; (void)out; (void)a;
	return 0;
}
