/*
 * Fuzz target: the whole coding path, from input bytes to claim lines.
 * CSV extract -> validation -> US/UK coding -> lines.csv rows, uk-line-items
 * rows and 837 claim bodies. The first byte picks the chunk size. Prints
 * nothing.
 */
#include "emitters/dc_emit.h"
#include "emitters/x12_837.h"
#include "engine/profile.h"
#include "engine/validate.h"
#include "parsers/dc_reader.h"
#include "rulesets/dc_coder.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static struct dc_rules rules;
static struct dc_profile profile;
static int ready;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	if (!ready) {
		if (dc_rules_load(&rules, dc_rules_default_dir(), NULL, NULL) < 0) {
			dc_rules_release(&rules);
			memset(&rules, 0, sizeof rules);
		}
		dc_date_parse("2026-03-14", &rules.today);
		dc_profile_demo(&profile);
		ready = 1;
	}
	if (!rules.us_drugs.present)
		return 0;   /* coding needs the rulesets */
	size_t chunk = data[0] ? data[0] : 1;
	struct dc_input in;
	struct dc_arena a;
	struct dc_encounter enc;
	struct dc_coded coded;
	struct dc_buf b;
	struct dc_reject_sink rs = { NULL, NULL };
	dc_input_open_mem(&in, "fuzz.csv", data + 1, size - 1, chunk, NULL);
	dc_arena_init(&a, 0);
	dc_buf_init(&b);
	struct dc_reader *r = dc_csv_reader_new(&in, ',', NULL, NULL, rs);
	if (r) {
		while (r->ops->next(r, &enc, &a) == 1) {
			memset(&coded, 0, sizeof coded);
			if (enc.hold == DC_HOLD_NONE &&
			    !dc_encounter_validate(&enc, &rules, DC_SCHEME_US, &a)) {
				if (enc.scheme == DC_SCHEME_UK)
					dc_uk_code(&rules, &enc, &coded, &a);
				else
					dc_us_code(&rules, &enc, &coded, &a);
			}
			if (enc.hold == DC_HOLD_NONE && coded.nlines) {
				dc_buf_reset(&b);
				dc_lines_format(&b, &enc, &coded);
				if (enc.scheme == DC_SCHEME_UK) {
					dc_uk_items_format(&b, &enc, &coded, &rules);
				} else {
					char why[256];
					if (!dc_x12_claim_missing(&enc, &coded, &rules, why, sizeof why))
						dc_x12_claim_format(&b, &enc, &coded, &profile, &rules);
				}
			}
			dc_arena_reset(&a);
		}
		r->ops->free(r);
	}
	dc_buf_release(&b);
	dc_arena_release(&a);
	dc_input_close(&in);
	return 0;
}
