/*
 * Fuzz target: the HL7 v2.xml extract reader and validation over arbitrary
 * bytes. The first byte picks the chunk size, so the parser is fed every
 * possible split. Prints nothing (libxml2 errors go to the reader's handler).
 */
#include "engine/validate.h"
#include "parsers/dc_reader.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* Until parsers/dc_reader.h declares it. */
struct dc_reader *dc_xml_reader_new(struct dc_input *in, struct dc_diag_sink *ds,
				    struct dc_reject_sink rejects);

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
	dc_input_open_mem(&in, "fuzz.xml", data + 1, size - 1, chunk, NULL);
	dc_arena_init(&a, 0);
	struct dc_reader *r = dc_xml_reader_new(&in, NULL, rs);
	if (r) {
		while (r->ops->next(r, &enc, &a) == 1) {
			/* the accounting the run relies on */
			if (enc.nitems > r->rows || !enc.f[DC_E_ENCOUNTER_ID][0])
				abort();
			for (size_t i = 0; i < enc.nitems; i++)
				if (enc.items[i].nraw != DC_COL_COUNT)
					abort();
			if (enc.hold == DC_HOLD_NONE)
				dc_encounter_validate(&enc, &rules, DC_SCHEME_US, &a);
			dc_arena_reset(&a);
		}
		if (r->rejected_rows > r->rows || r->not_administered > r->rows)
			abort();
		r->ops->free(r);
	}
	dc_arena_release(&a);
	dc_input_close(&in);
	return 0;
}
