/*
 * The UK remittance CSV of reconcile.md:
 *
 *   remittance_ref,insurer_code,payment_date,invoice_number,line_no,code,
 *   billed,paid,status,reason_code,reason_text
 *
 * Columns are found by header name (any order; others ignored). Rows are
 * grouped into remitted invoices: consecutive rows with the same
 * remittance_ref, insurer_code and invoice_number make one invoice (an
 * invoice whose rows are not consecutive comes out twice; both add up).
 * A malformed row (bad amount, date, line number or status) is a warning
 * and is skipped; a missing required column ends the input (DC_ERR_PARSE).
 * reason_text is free text and is not kept.
 *
 * Memory: the reader owns the invoice; valid until the next call.
 */
#ifndef DC_REMIT_UK_H
#define DC_REMIT_UK_H

#include <stddef.h>
#include <stdint.h>

#include "engine/diag.h"
#include "engine/input.h"
#include "parsers/csv.h"

#define DC_UK_REMIT_MAX_LINES 10000

enum dc_uk_status { DC_UK_PAID = 1, DC_UK_PART_PAID, DC_UK_REJECTED };

struct dc_uk_remit_line {
	int line_no;
	char code[41];
	int64_t billed, paid;
	enum dc_uk_status status;
	char reason[17];
	unsigned long src_line;
};

struct dc_uk_remit {
	char ref[51], insurer[33], payment_date[11], invoice[51];
	struct dc_uk_remit_line *lines;
	size_t nlines;
	unsigned long src_line;
};

enum { DC_UKR_REF, DC_UKR_INSURER, DC_UKR_DATE, DC_UKR_INVOICE, DC_UKR_LINE, DC_UKR_CODE,
       DC_UKR_BILLED, DC_UKR_PAID, DC_UKR_STATUS, DC_UKR_REASON, DC_UKR_NCOLS };

struct dc_uk_remit_reader {
	struct dc_csv csv;
	struct dc_input *in;
	struct dc_diag_sink *ds;
	int col[DC_UKR_NCOLS];
	int header_done, done;
	struct dc_uk_remit cur;
	size_t lcap;
	/* the row read ahead, which starts the next invoice */
	int have_next;
	char nref[51], ninsurer[33], ndate[11], ninvoice[51];
	struct dc_uk_remit_line nline;
	unsigned long rows, bad_rows, ninvoices;
};

void dc_uk_remit_init(struct dc_uk_remit_reader *r, struct dc_input *in,
		      struct dc_diag_sink *ds);
void dc_uk_remit_release(struct dc_uk_remit_reader *r);
/* Next invoice into |*out| (borrowed). Returns 1, 0 at the end, or a negative status. */
int dc_uk_remit_next(struct dc_uk_remit_reader *r, const struct dc_uk_remit **out);
/* 1 when |p| (the start of an input) is a CSV header naming remittance_ref. */
int dc_uk_remit_sniff(const void *p, size_t n);

#endif
