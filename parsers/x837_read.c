/*
 * 837P/837I claim reader (see x837_read.h).
 *
 * Design: like the 835 reader, a pull parser with one pending segment: a
 * 2300 claim has no trailer and ends at the next CLM, HL or envelope
 * segment. Loops are told by segment id alone (no guide map), so files
 * with misplaced segments still give their claims.
 */
#include "parsers/x837_read.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/arena.h"
#include "engine/dc_status.h"
#include "engine/value.h"
#include "parsers/x835.h"


static void join(char *dst, size_t n, const char *v)
{
	if (!*v)
		return;
	size_t k = strlen(dst);
	if (k && k + 1 < n)
		dst[k++] = ';', dst[k] = '\0';
	dc_x12_copy(dst + k, n - k, v);
}

void dc_x837r_init(struct dc_x837r *r, struct dc_input *in, struct dc_diag_sink *ds)
{
	memset(r, 0, sizeof *r);
	dc_x12_init(&r->x, in, ds);
	r->ds = ds;
}

void dc_x837r_release(struct dc_x837r *r)
{
	dc_x12_release(&r->x);
	free(r->claim.lines);
	r->claim.lines = NULL;
}

static int64_t amount(struct dc_x837r *r, const struct dc_x12_seg *s, size_t i)
{
	int64_t c;
	if (dc_x12_amount(dc_x12_el(s, i), &c) < 0)
		dc_diag_report(r->ds, DC_SEV_WARNING, 0, r->x.name, s->line,
			       "%s%02zu '%.30s' is not an amount in cents; taken as 0", s->id, i,
			       dc_x12_el(s, i));
	return c;
}

/* A DTP date: D8 CCYYMMDD or RD8 CCYYMMDD-CCYYMMDD (the start is taken). */
static void dtp_date(const struct dc_x12_seg *s, char out[11])
{
	char d[9];
	dc_x12_copy(d, sizeof d, dc_x12_el(s, 3));
	dc_x12_date(d, out);
}

static void end_claim(struct dc_x837r *r)
{
	struct dc_x837_claim *c = &r->claim;
	int64_t sum = 0;
	for (size_t i = 0; i < c->nlines; i++)
		sum += c->lines[i].charge;
	if (c->nlines && sum != c->charge) {
		char a[32], b[32];
		dc_diag_report(r->ds, DC_SEV_WARNING, 0, r->x.name, c->src_line,
			       "claim '%s': CLM02 '%s' is not the sum of its lines '%s'", c->claim_id,
			       dc_money_format(c->charge, a, sizeof a),
			       dc_money_format(sum, b, sizeof b));
	}
	if (!c->service_date[0]) {
		for (size_t i = 0; i < c->nlines && !c->service_date[0]; i++)
			snprintf(c->service_date, sizeof c->service_date, "%s", c->lines[i].date);
		if (!c->service_date[0])
			snprintf(c->service_date, sizeof c->service_date, "%s", r->claim_date);
	}
	if (!c->kind)
		c->kind = 'P';
	r->in_claim = 0;
	r->nclaims++;
}

static void start_claim(struct dc_x837r *r, const struct dc_x12_seg *s)
{
	struct dc_x837_claim *c = &r->claim;
	struct dc_x837_line *lines = c->lines;
	memset(c, 0, sizeof *c);
	c->lines = lines;
	char b[8];
	c->kind = r->kind;
	dc_x12_copy(c->claim_id, sizeof c->claim_id, dc_x12_el(s, 1));
	c->charge = amount(r, s, 2);
	dc_x12_copy(c->frequency, sizeof c->frequency, dc_x12_comp(s, 5, 3, b, sizeof b));
	snprintf(c->payer_id, sizeof c->payer_id, "%s", r->payer_id);
	snprintf(c->payer_name, sizeof c->payer_name, "%s", r->payer_name);
	snprintf(c->provider, sizeof c->provider, "%s", r->provider);
	c->src_line = s->line;
	r->claim_date[0] = '\0';
	r->in_claim = 1;
}

static struct dc_x837_line *add_line(struct dc_x837r *r, const struct dc_x12_seg *s)
{
	struct dc_x837_claim *c = &r->claim;
	if (c->nlines == DC_X837_MAX_LINES) {
		dc_diag_report(r->ds, DC_SEV_WARNING, 0, r->x.name, s->line,
			       "claim '%s' has more than %d lines; the rest are dropped", c->claim_id,
			       DC_X837_MAX_LINES);
		return NULL;
	}
	if (c->nlines == r->lcap) {
		r->lcap = r->lcap ? r->lcap * 2 : 8;
		c->lines = dc_xrealloc(c->lines, r->lcap * sizeof *c->lines);
	}
	struct dc_x837_line *l = &c->lines[c->nlines++];
	memset(l, 0, sizeof *l);
	l->line_no = atoi(dc_x12_el(s, 1));
	if (l->line_no <= 0)
		l->line_no = (int)c->nlines;
	snprintf(l->units, sizeof l->units, "%s", "1");
	return l;
}

static void service(struct dc_x837r *r, const struct dc_x12_seg *s, int inst)
{
	struct dc_x837_claim *c = &r->claim;
	struct dc_x837_line *l = c->nlines ? &c->lines[c->nlines - 1] : NULL;
	if (!l || l->code[0]) {
		/* SV1/SV2 without its LX: a line of its own */
		l = add_line(r, s);
		if (!l)
			return;
		l->line_no = (int)c->nlines;
	}
	size_t e = inst ? 2 : 1;
	char b[64];
	dc_x12_copy(l->code, sizeof l->code, dc_x12_comp(s, e, 2, b, sizeof b));
	for (size_t j = 3; j <= 6; j++)
		join(l->mods, sizeof l->mods, dc_x12_comp(s, e, j, b, sizeof b));
	if (inst)
		dc_x12_copy(l->revenue, sizeof l->revenue, dc_x12_el(s, 1));
	l->charge = amount(r, s, e + 1);
	if (dc_x12_has(s, e + 3))
		dc_x12_copy(l->units, sizeof l->units, dc_x12_el(s, e + 3));
	if (!c->kind)
		c->kind = inst ? 'I' : 'P';
}

int dc_x837r_next(struct dc_x837r *r, const struct dc_x837_claim **out)
{
	*out = NULL;
	for (;;) {
		if (!r->pending) {
			int rc = dc_x12_next(&r->x, &r->seg);
			if (rc <= 0) {
				if (r->in_claim) {
					end_claim(r);
					*out = &r->claim;
					return 1;
				}
				return rc;
			}
			r->pending = 1;
		}
		const struct dc_x12_seg *s = &r->seg;
		const char *id = s->id;
		if (r->in_claim && (!strcmp(id, "CLM") || !strcmp(id, "HL") || !strcmp(id, "SE") ||
				    !strcmp(id, "ST") || !strcmp(id, "GE") || !strcmp(id, "IEA") ||
				    !strcmp(id, "ISA"))) {
			end_claim(r);
			*out = &r->claim;
			return 1;
		}
		r->pending = 0;
		if (!strcmp(id, "GS")) {
			const char *v = dc_x12_el(s, 8);
			r->kind = strstr(v, "X222") ? 'P' : strstr(v, "X223") ? 'I' : 0;
			continue;
		}
		if (!strcmp(id, "ST")) {
			r->in_tx = !strcmp(dc_x12_el(s, 1), "837");
			if (!r->in_tx) {
				r->skipped_tx++;
				dc_diag_report(r->ds, DC_SEV_WARNING, 0, r->x.name, s->line,
					       "transaction set '%.6s' is not an 837: skipped",
					       dc_x12_el(s, 1));
			}
			const char *v = dc_x12_el(s, 3);
			if (strstr(v, "X222"))
				r->kind = 'P';
			else if (strstr(v, "X223"))
				r->kind = 'I';
			r->payer_id[0] = r->payer_name[0] = r->provider[0] = '\0';
			continue;
		}
		if (!strcmp(id, "SE")) {
			r->in_tx = 0;
			continue;
		}
		if (!r->in_tx)
			continue;
		if (!r->in_claim) {
			if (!strcmp(id, "NM1")) {
				const char *q = dc_x12_el(s, 1);
				if (!strcmp(q, "85")) {
					dc_x12_copy(r->provider, sizeof r->provider, dc_x12_el(s, 9));
				} else if (!strcmp(q, "PR")) {
					dc_x12_copy(r->payer_name, sizeof r->payer_name, dc_x12_el(s, 3));
					dc_x12_copy(r->payer_id, sizeof r->payer_id, dc_x12_el(s, 9));
				}
			} else if (!strcmp(id, "CLM")) {
				start_claim(r, s);
			}
			continue;
		}
		struct dc_x837_claim *c = &r->claim;
		struct dc_x837_line *l = c->nlines ? &c->lines[c->nlines - 1] : NULL;
		if (!strcmp(id, "LX")) {
			add_line(r, s);
		} else if (!strcmp(id, "SV1") || !strcmp(id, "SV2")) {
			service(r, s, id[2] == '2');
		} else if (!strcmp(id, "DTP")) {
			const char *q = dc_x12_el(s, 1);
			if (l && !strcmp(q, "472"))
				dtp_date(s, l->date);
			else if (!l && (!strcmp(q, "472") || !strcmp(q, "434")))
				dtp_date(s, r->claim_date);
		} else if (!strcmp(id, "REF")) {
			const char *q = dc_x12_el(s, 1);
			if (l && !strcmp(q, "6R"))
				dc_x12_copy(l->line_control, sizeof l->line_control, dc_x12_el(s, 2));
			else if (!l && !strcmp(q, "EA"))
				dc_x12_copy(c->encounter_id, sizeof c->encounter_id, dc_x12_el(s, 2));
		}
	}
}
