/*
 * Reading 837P/837I claims back (any producer's, not only ours): one claim
 * per call with what reconciliation needs — CLM01 claim id, CLM02 total,
 * CLM05-3 frequency, the payer (2010BB NM1*PR), the billing provider
 * (2010AA NM1*85 NM109), the service date, REF*EA when present, and each
 * service line's LX number, SV1/SV2 procedure code and modifiers, units,
 * charge, REF*6R line control number and DTP*472 date. Patient and
 * subscriber names, dates of birth and member ids are not kept.
 *
 * Checks: CLM02 against the sum of the line charges (a warning).
 *
 * Memory: the reader owns the claim; valid until the next call.
 */
#ifndef DC_X837_READ_H
#define DC_X837_READ_H

#include <stddef.h>
#include <stdint.h>

#include "engine/diag.h"
#include "engine/input.h"
#include "parsers/x12.h"

#define DC_X837_MAX_LINES 999       /* 837I allows 999 lines; 837P 50 */

struct dc_x837_line {
	int line_no;                /* LX01 */
	char code[49];              /* SV101-2 / SV202-2 */
	char mods[24];              /* modifiers joined with ';' */
	char revenue[9];            /* SV201 */
	char units[16];             /* SV104 / SV205 */
	int64_t charge;             /* SV102 / SV203 */
	char line_control[51];      /* REF*6R */
	char date[11];              /* DTP*472, YYYY-MM-DD */
};

struct dc_x837_claim {
	char kind;                  /* 'P' (SV1) or 'I' (SV2); from GS08/ST03 else the lines */
	char claim_id[39];          /* CLM01 */
	int64_t charge;             /* CLM02 */
	char frequency[3];          /* CLM05-3 */
	char payer_id[81], payer_name[61];
	char provider[81];          /* billing provider NPI */
	char encounter_id[51];      /* REF*EA (medical record number) when present */
	char service_date[11];      /* first line date, else DTP*434/472 of the claim */
	struct dc_x837_line *lines;
	size_t nlines;
	unsigned long src_line;
};

struct dc_x837r {
	struct dc_x12 x;
	struct dc_diag_sink *ds;
	struct dc_x12_seg seg;
	int pending, in_claim, in_tx;
	char kind;
	char payer_id[81], payer_name[61], provider[81];
	char claim_date[11];
	struct dc_x837_claim claim;
	size_t lcap;
	unsigned long nclaims, skipped_tx;
};

void dc_x837r_init(struct dc_x837r *r, struct dc_input *in, struct dc_diag_sink *ds);
void dc_x837r_release(struct dc_x837r *r);
/* Next claim into |*c| (borrowed). Returns 1, 0 at the end, or a negative status. */
int dc_x837r_next(struct dc_x837r *r, const struct dc_x837_claim **c);

#endif
