/*
 * Build without coding engines: every valid encounter is accepted with no
 * claim lines, so that reading, validation, holds and accounting can run on
 * their own. Replaced by rulesets/us_coder.c, rulesets/uk_coder.c and
 * emitters/uk_items.c.
 */
#include "rulesets/dc_coder.h"
#include "emitters/dc_emit.h"

int dc_us_code(const struct dc_rules *rules, struct dc_encounter *enc,
	       struct dc_coded *out, struct dc_arena *a)
{
	(void)rules; (void)enc; (void)out; (void)a;
	return 0;
}

int dc_uk_code(const struct dc_rules *rules, struct dc_encounter *enc,
	       struct dc_coded *out, struct dc_arena *a)
{
	(void)rules; (void)enc; (void)out; (void)a;
	return 0;
}

const char dc_uk_items_header[] = "";

void dc_uk_items_format(struct dc_buf *b, const struct dc_encounter *enc,
			const struct dc_coded *c, const struct dc_rules *rules)
{
	(void)b; (void)enc; (void)c; (void)rules;
}
