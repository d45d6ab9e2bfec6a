/*
 * Fuzz target: the CSV extract reader and validation over arbitrary bytes.
 * The first byte picks the chunk size, so records are cut at every point.
 * Prints nothing.
 */
#include "engine/validate.h"
#include "parsers/dc_reader.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static struct dc_rules rules;
static int rules_loaded;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	if (!rules_loaded) {
		/* without rulesets validation still runs; payers are then unknown */
		if (dc_rules_load(&rules, dc_rules_default_dir(), NULL, NULL) < 0) {
			dc_rules_release(&rules);
			memset(&rules, 0, sizeof rules);
		}
		rules_loaded = 1;
	}
	size_t chunk = data[0] ? data[0] : 1;
	struct dc_input in;
	struct dc_arena a;
	struct dc_encounter enc;
	struct dc_reject_sink rs = { NULL, NULL };
	dc_input_open_mem(&in, "fuzz.csv", data + 1, size - 1, chunk, NULL);
	dc_arena_init(&a, 0);
	struct dc_reader *r = dc_csv_reader_new(&in, ',', NULL, NULL, rs);
	if (r) {
		while (r->ops->next(r, &enc, &a) == 1) {
			if (enc.hold == DC_HOLD_NONE)
				dc_encounter_validate(&enc, &rules, DC_SCHEME_US, &a);
			dc_arena_reset(&a);
		}
		r->ops->free(r);
	}
	dc_arena_release(&a);
	dc_input_close(&in);
	return 0;
}
