/*
 * Fuzz target: the X12 tokenizer with the 835 and 837 readers over
 * arbitrary bytes, and the UK remittance reader. The first byte picks the
 * chunk size, so segments are cut at every point. Prints nothing.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "engine/input.h"
#include "parsers/remit_uk.h"
#include "parsers/x835.h"
#include "parsers/x837_read.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	size_t chunk = data[0] ? data[0] : 1;
	struct dc_diag_sink ds = { NULL, NULL, 0, 0 };
	struct dc_input in;

	struct dc_x835 r;
	struct dc_x835_event ev;
	dc_input_open_mem(&in, "fuzz.835", data + 1, size - 1, chunk, &ds);
	dc_x835_init(&r, &in, &ds);
	while (dc_x835_next(&r, &ev) == 1)
		;
	dc_x835_release(&r);
	dc_input_close(&in);

	struct dc_x837r c;
	const struct dc_x837_claim *cl;
	dc_input_open_mem(&in, "fuzz.837", data + 1, size - 1, chunk, &ds);
	dc_x837r_init(&c, &in, &ds);
	while (dc_x837r_next(&c, &cl) == 1)
		;
	dc_x837r_release(&c);
	dc_input_close(&in);

	struct dc_uk_remit_reader u;
	const struct dc_uk_remit *v;
	dc_input_open_mem(&in, "fuzz.csv", data + 1, size - 1, chunk, &ds);
	dc_uk_remit_init(&u, &in, &ds);
	while (dc_uk_remit_next(&u, &v) == 1)
		;
	dc_uk_remit_release(&u);
	dc_input_close(&in);
	return 0;
}
