/*
 * UK remittance CSV reader (see remit_uk.h), on the RFC 4180 tokenizer.
 *
 * Design: one row of lookahead, copied into fixed-size fields, because the
 * tokenizer's fields die at the next row and an invoice ends only when a
 * row of another invoice is read. Invoices are not sorted or collected
 * across the file: memory holds one invoice.
 */
#include "parsers/remit_uk.h"

#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include "engine/arena.h"
#include "engine/dc_status.h"
#include "engine/value.h"

static const char *const names[DC_UKR_NCOLS] = {
	"remittance_ref", "insurer_code", "payment_date", "invoice_number", "line_no", "code",
	"billed", "paid", "status", "reason_code"
};

static void cpy(char *dst, size_t n, const char *s)
{
	while (*s == ' ')
		s++;
	size_t k = strlen(s);
	while (k && s[k - 1] == ' ')
		k--;
	if (k >= n)
		k = n - 1;
	memcpy(dst, s, k);
	dst[k] = '\0';
}

void dc_uk_remit_init(struct dc_uk_remit_reader *r, struct dc_input *in,
		      struct dc_diag_sink *ds)
{
	memset(r, 0, sizeof *r);
	r->in = in;
	r->ds = ds;
	dc_csv_init(&r->csv, in, ',');
}

void dc_uk_remit_release(struct dc_uk_remit_reader *r)
{
	dc_csv_release(&r->csv);
	free(r->cur.lines);
	r->cur.lines = NULL;
}

int dc_uk_remit_sniff(const void *p, size_t n)
{
	const char *s = p;
	size_t i = 0;
	if (n >= 3 && !memcmp(s, "\xEF\xBB\xBF", 3))
		i = 3;
	size_t e = i;
	while (e < n && s[e] != '\n' && s[e] != '\r')
		e++;
	static const char key[] = "remittance_ref";
	for (size_t k = i; k + sizeof key - 1 <= e; k++)
		if (!memcmp(s + k, key, sizeof key - 1))
			return 1;
	return 0;
}

static const char *field(const struct dc_csv_record *rec, int col)
{
	return col >= 0 && (size_t)col < rec->nfields ? rec->fields[col] : "";
}

static int bad(struct dc_uk_remit_reader *r, unsigned long line, const char *what,
	       const char *v)
{
	r->bad_rows++;
	dc_diag_report(r->ds, DC_SEV_WARNING, DC_ERR_RECORD, r->in->name, line,
		       "%s '%.40s'; row skipped", what, v);
	return 0;
}

/* Parses a data row into the lookahead. Returns 1, or 0 when skipped. */
static int take_row(struct dc_uk_remit_reader *r, const struct dc_csv_record *rec)
{
	struct dc_uk_remit_line *l = &r->nline;
	memset(l, 0, sizeof *l);
	l->src_line = rec->line;
	const char *v = field(rec, r->col[DC_UKR_REF]);
	if (!*v)
		return bad(r, rec->line, "remittance_ref is empty", v);
	cpy(r->nref, sizeof r->nref, v);
	cpy(r->ninsurer, sizeof r->ninsurer, field(rec, r->col[DC_UKR_INSURER]));
	int32_t d;
	v = field(rec, r->col[DC_UKR_DATE]);
	if (dc_date_parse(v, &d) != 0)
		return bad(r, rec->line, "payment_date is not a date", v);
	dc_date_format(d, r->ndate, sizeof r->ndate);
	v = field(rec, r->col[DC_UKR_INVOICE]);
	if (!*v)
		return bad(r, rec->line, "invoice_number is empty", v);
	cpy(r->ninvoice, sizeof r->ninvoice, v);
	v = field(rec, r->col[DC_UKR_LINE]);
	char *end;
	long no = strtol(v, &end, 10);
	if (end == v || *end || no <= 0 || no > 100000)
		return bad(r, rec->line, "line_no is not a line number", v);
	l->line_no = (int)no;
	cpy(l->code, sizeof l->code, field(rec, r->col[DC_UKR_CODE]));
	v = field(rec, r->col[DC_UKR_BILLED]);
	if (dc_money_parse(v, &l->billed) != 0)
		return bad(r, rec->line, "billed is not an amount", v);
	v = field(rec, r->col[DC_UKR_PAID]);
	if (dc_money_parse(v, &l->paid) != 0)
		return bad(r, rec->line, "paid is not an amount", v);
	v = field(rec, r->col[DC_UKR_STATUS]);
	if (!strcmp(v, "paid"))
		l->status = DC_UK_PAID;
	else if (!strcmp(v, "part_paid"))
		l->status = DC_UK_PART_PAID;
	else if (!strcmp(v, "rejected"))
		l->status = DC_UK_REJECTED;
	else
		return bad(r, rec->line, "status is not paid, part_paid or rejected", v);
	cpy(l->reason, sizeof l->reason, field(rec, r->col[DC_UKR_REASON]));
	return 1;
}

static int header(struct dc_uk_remit_reader *r, const struct dc_csv_record *rec)
{
	for (int k = 0; k < DC_UKR_NCOLS; k++) {
		r->col[k] = -1;
		for (size_t i = 0; i < rec->nfields; i++)
			if (!strcmp(rec->fields[i], names[k]))
				r->col[k] = (int)i;
	}
	for (int k = 0; k < DC_UKR_NCOLS; k++)
		if (r->col[k] < 0 && k != DC_UKR_REASON && k != DC_UKR_CODE) {
			r->done = DC_ERR_PARSE;
			return dc_diag_report(r->ds, DC_SEV_ERROR, DC_ERR_PARSE, r->in->name, rec->line,
					      "remittance column '%s' is missing", names[k]);
		}
	r->header_done = 1;
	return 0;
}

/* Reads rows until one is in the lookahead. 1, 0 at the end, or negative. */
static int read_ahead(struct dc_uk_remit_reader *r)
{
	struct dc_csv_record rec;
	for (;;) {
		int rc = dc_csv_next(&r->csv, &rec);
		if (rc == DC_ERR_RECORD) {
			r->bad_rows++;
			dc_diag_report(r->ds, DC_SEV_WARNING, DC_ERR_RECORD, r->in->name, rec.line,
				       "%s; row skipped", rec.error ? rec.error : "malformed row");
			continue;
		}
		if (rc <= 0)
			return rc;
		if (!r->header_done) {
			if (header(r, &rec) < 0)
				return DC_ERR_PARSE;
			continue;
		}
		r->rows++;
		if (take_row(r, &rec))
			return 1;
	}
}

static void push(struct dc_uk_remit_reader *r)
{
	struct dc_uk_remit *c = &r->cur;
	if (c->nlines == DC_UK_REMIT_MAX_LINES) {
		r->bad_rows++;
		dc_diag_report(r->ds, DC_SEV_WARNING, DC_ERR_RECORD, r->in->name, r->nline.src_line,
			       "invoice '%s' has too many lines; row skipped", c->invoice);
		return;
	}
	if (c->nlines == r->lcap) {
		r->lcap = r->lcap ? r->lcap * 2 : 8;
		c->lines = dc_xrealloc(c->lines, r->lcap * sizeof *c->lines);
	}
	c->lines[c->nlines++] = r->nline;
}

int dc_uk_remit_next(struct dc_uk_remit_reader *r, const struct dc_uk_remit **out)
{
	*out = NULL;
	if (r->done)
		return r->done < 0 ? r->done : 0;
	if (!r->have_next) {
		int rc = read_ahead(r);
		if (rc <= 0) {
			if (rc == 0 && !r->header_done) {
				r->done = DC_ERR_PARSE;
				return dc_diag_report(r->ds, DC_SEV_ERROR, DC_ERR_PARSE, r->in->name, 0,
						      "remittance file is empty%s", "");
			}
			r->done = rc < 0 ? rc : 1;
			return rc;
		}
	}
	struct dc_uk_remit *c = &r->cur;
	struct dc_uk_remit_line *lines = c->lines;
	memset(c, 0, sizeof *c);
	c->lines = lines;
	snprintf(c->ref, sizeof c->ref, "%s", r->nref);
	snprintf(c->insurer, sizeof c->insurer, "%s", r->ninsurer);
	snprintf(c->payment_date, sizeof c->payment_date, "%s", r->ndate);
	snprintf(c->invoice, sizeof c->invoice, "%s", r->ninvoice);
	c->src_line = r->nline.src_line;
	push(r);
	r->have_next = 0;
	for (;;) {
		int rc = read_ahead(r);
		if (rc <= 0) {
			/* the invoice is complete; the status is returned on the next call */
			r->done = rc < 0 ? rc : 1;
			break;
		}
		if (strcmp(r->nref, c->ref) || strcmp(r->ninsurer, c->insurer) ||
		    strcmp(r->ninvoice, c->invoice)) {
			r->have_next = 1;
			break;
		}
		if (strcmp(r->ndate, c->payment_date))
			dc_diag_report(r->ds, DC_SEV_WARNING, 0, r->in->name, r->nline.src_line,
				       "payment_date '%s' differs within remittance '%s'; the first "
				       "is kept", r->ndate, c->ref);
		push(r);
	}
	r->ninvoices++;
	*out = c;
	return 1;
}
