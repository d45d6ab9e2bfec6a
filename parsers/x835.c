/*
 * X12 835 reader (see x835.h).
 *
 * Design: a pull parser with one segment of lookahead. A claim (2100 loop)
 * has no trailer, so it ends at the segment that starts something else
 * (CLP, LX, PLB, SE...); that segment is kept "pending" and handled on the
 * next call, which avoids copying it (its storage is the tokenizer's).
 * Loops are recognised by segment id, not by a full implementation-guide
 * map: real files put segments in the wrong place (x12-notes.md) and a
 * reader that only needs the money must not reject them for it.
 */
#include "parsers/x835.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/arena.h"
#include "engine/dc_status.h"
#include "engine/value.h"


void dc_x12_date(const char *s, char out[11])
{
	out[0] = '\0';
	int32_t d;
	if (strlen(s) == 8 && dc_date_parse(s, &d) == 0)
		dc_date_format(d, out, 11);
}

int dc_x12_amount(const char *s, int64_t *cents)
{
	char b[40];
	dc_x12_copy(b, sizeof b, s);
	*cents = 0;
	if (!b[0])
		return 0;
	if (strlen(s) > 30 || dc_money_parse(b, cents) != 0) {
		*cents = 0;
		return -1;
	}
	return 0;
}

void dc_x835_init(struct dc_x835 *r, struct dc_input *in, struct dc_diag_sink *ds)
{
	memset(r, 0, sizeof *r);
	dc_x12_init(&r->x, in, ds);
	r->ds = ds;
}

void dc_x835_release(struct dc_x835 *r)
{
	dc_x12_release(&r->x);
	free(r->claim.lines);
	free(r->claim.cas);
	r->claim.lines = NULL;
	r->claim.cas = NULL;
}

static const char *in_name(struct dc_x835 *r)
{
	return r->x.name;
}

static int64_t amount(struct dc_x835 *r, const struct dc_x12_seg *s, size_t i)
{
	int64_t c;
	if (dc_x12_amount(dc_x12_el(s, i), &c) < 0) {
		char what[16];
		snprintf(what, sizeof what, "%s%02zu", s->id, i);
		r->bad_amounts++;
		dc_diag_report(r->ds, DC_SEV_WARNING, 0, in_name(r), s->line,
			       "%s '%.30s' is not an amount in cents; taken as 0", what,
			       dc_x12_el(s, i));
	}
	return c;
}

static void join(char *dst, size_t n, const char *v)
{
	if (!*v)
		return;
	size_t k = strlen(dst);
	if (k && k + 1 < n)
		dst[k++] = ';', dst[k] = '\0';
	dc_x12_copy(dst + k, n - k, v);
}

static void add_cas(struct dc_x835 *r, const struct dc_x12_seg *s)
{
	struct dc_remit_claim *c = &r->claim;
	for (size_t i = 2; i + 1 < s->nel && i <= 17; i += 3) {
		if (!dc_x12_has(s, i) && !dc_x12_has(s, i + 1))
			continue;
		if (c->ncas == DC_X835_MAX_CAS) {
			dc_diag_report(r->ds, DC_SEV_WARNING, 0, in_name(r), s->line,
				       "claim '%s' has too many adjustments; the rest are dropped",
				       c->clp01);
			return;
		}
		if (c->ncas == r->ccap) {
			r->ccap = r->ccap ? r->ccap * 2 : 16;
			c->cas = dc_xrealloc(c->cas, r->ccap * sizeof *c->cas);
		}
		struct dc_cas *a = &c->cas[c->ncas++];
		memset(a, 0, sizeof *a);
		dc_x12_copy(a->grp, sizeof a->grp, dc_x12_el(s, 1));
		dc_x12_copy(a->reason, sizeof a->reason, dc_x12_el(s, i));
		a->amount = amount(r, s, i + 1);
		dc_x12_copy(a->qty, sizeof a->qty, dc_x12_el(s, i + 2));
		a->line = c->nlines;
	}
}

static void add_svc(struct dc_x835 *r, const struct dc_x12_seg *s)
{
	struct dc_remit_claim *c = &r->claim;
	if (c->nlines == DC_X835_MAX_LINES) {
		dc_diag_report(r->ds, DC_SEV_WARNING, 0, in_name(r), s->line,
			       "claim '%s' has too many service lines; the rest are dropped",
			       c->clp01);
		return;
	}
	if (c->nlines == r->lcap) {
		r->lcap = r->lcap ? r->lcap * 2 : 8;
		c->lines = dc_xrealloc(c->lines, r->lcap * sizeof *c->lines);
	}
	struct dc_remit_line *l = &c->lines[c->nlines++];
	memset(l, 0, sizeof *l);
	char b[64];
	dc_x12_copy(l->qual, sizeof l->qual, dc_x12_comp(s, 1, 1, b, sizeof b));
	dc_x12_copy(l->code, sizeof l->code, dc_x12_comp(s, 1, 2, b, sizeof b));
	for (size_t j = 3; j <= 6; j++)
		join(l->mods, sizeof l->mods, dc_x12_comp(s, 1, j, b, sizeof b));
	l->charge = amount(r, s, 2);
	l->paid = amount(r, s, 3);
	dc_x12_copy(l->revenue, sizeof l->revenue, dc_x12_el(s, 4));
	dc_x12_copy(l->units, sizeof l->units, dc_x12_el(s, 5));
	if (!l->units[0])
		snprintf(l->units, sizeof l->units, "%s", "1");   /* SVC05 is required only when not 1 */
	if (dc_x12_has(s, 6)) {
		dc_x12_copy(l->orig_qual, sizeof l->orig_qual, dc_x12_comp(s, 6, 1, b, sizeof b));
		dc_x12_copy(l->orig_code, sizeof l->orig_code, dc_x12_comp(s, 6, 2, b, sizeof b));
		for (size_t j = 3; j <= 6; j++)
			join(l->orig_mods, sizeof l->orig_mods, dc_x12_comp(s, 6, j, b, sizeof b));
	}
	dc_x12_copy(l->orig_units, sizeof l->orig_units, dc_x12_el(s, 7));
	l->src_line = s->line;
}

static void start_claim(struct dc_x835 *r, const struct dc_x12_seg *s)
{
	struct dc_remit_claim *c = &r->claim;
	struct dc_remit_line *lines = c->lines;
	struct dc_cas *cas = c->cas;
	memset(c, 0, sizeof *c);
	c->lines = lines;
	c->cas = cas;
	dc_x12_copy(c->clp01, sizeof c->clp01, dc_x12_el(s, 1));
	dc_x12_copy(c->status, sizeof c->status, dc_x12_el(s, 2));
	c->charge = amount(r, s, 3);
	c->paid = amount(r, s, 4);
	c->patient_resp = amount(r, s, 5);
	dc_x12_copy(c->payer_claim_no, sizeof c->payer_claim_no, dc_x12_el(s, 7));
	c->src_line = s->line;
	if (!c->clp01[0])
		dc_diag_report(r->ds, DC_SEV_WARNING, 0, in_name(r), s->line,
			       "CLP01 is empty: the claim cannot be matched%s", "");
	r->in_claim = 1;
}

static void money_str(int64_t v, char *b, size_t n)
{
	dc_money_format(v, b, n);
}

/* Balancing of the claim and its lines; the claim is complete. */
static void end_claim(struct dc_x835 *r)
{
	struct dc_remit_claim *c = &r->claim;
	int64_t all = 0;
	for (size_t i = 0; i < c->ncas; i++)
		all += c->cas[i].amount;
	for (size_t k = 0; k < c->nlines; k++) {
		struct dc_remit_line *l = &c->lines[k];
		int64_t sum = 0;
		for (size_t i = 0; i < c->ncas; i++)
			if (c->cas[i].line == k + 1)
				sum += c->cas[i].amount;
		if (l->charge - sum != l->paid) {
			char a[32], b[32];
			money_str(l->charge - sum, a, sizeof a);
			money_str(l->paid, b, sizeof b);
			l->unbalanced = 1;
			c->unbalanced_lines++;
			dc_diag_report(r->ds, DC_SEV_WARNING, 0, in_name(r), l->src_line,
				       "service line %zu of claim '%s' does not balance: "
				       "SVC02 - CAS = '%s' but SVC03 = '%s'", k + 1, c->clp01, a, b);
		}
	}
	if (c->charge - all != c->paid) {
		char a[32], b[32];
		money_str(c->charge - all, a, sizeof a);
		money_str(c->paid, b, sizeof b);
		c->unbalanced = 1;
		dc_diag_report(r->ds, DC_SEV_WARNING, 0, in_name(r), c->src_line,
			       "claim '%s' does not balance: CLP03 - CAS = '%s' but CLP04 = '%s'",
			       c->clp01, a, b);
	}
	unsigned long errs = (unsigned long)c->unbalanced + c->unbalanced_lines;
	r->tx.balance_errors += errs;
	r->balance_errors += errs;
	r->tx.sum_paid += c->paid;
	r->tx.nclaims++;
	r->nclaims++;
	r->in_claim = 0;
}

static void end_tx(struct dc_x835 *r)
{
	struct dc_x835_tx *t = &r->tx;
	if (t->sum_paid - t->sum_plb != t->bpr02) {
		char a[32], b[32];
		money_str(t->sum_paid - t->sum_plb, a, sizeof a);
		money_str(t->bpr02, b, sizeof b);
		t->unbalanced = 1;
		t->balance_errors++;
		r->balance_errors++;
		dc_diag_report(r->ds, DC_SEV_WARNING, 0, in_name(r), t->src_line,
			       "transaction '%s' does not balance: sum of CLP04 - PLB = '%s' "
			       "but BPR02 = '%s'", t->st02, a, b);
	}
	r->in_tx = 0;
}

static void queue_plb(struct dc_x835 *r, const struct dc_x12_seg *s)
{
	r->nplb_q = r->plb_pos = 0;
	for (size_t i = 3; i + 1 < s->nel && i <= 13; i += 2) {
		if (!dc_x12_has(s, i) && !dc_x12_has(s, i + 1))
			continue;
		struct dc_plb *p = &r->plb[r->nplb_q++];
		char b[64];
		memset(p, 0, sizeof *p);
		dc_x12_copy(p->provider, sizeof p->provider, dc_x12_el(s, 1));
		dc_x12_date(dc_x12_el(s, 2), p->fiscal_date);
		dc_x12_copy(p->reason, sizeof p->reason, dc_x12_comp(s, i, 1, b, sizeof b));
		dc_x12_copy(p->ref, sizeof p->ref, dc_x12_comp(s, i, 2, b, sizeof b));
		p->amount = amount(r, s, i + 1);
		p->src_line = s->line;
		r->tx.sum_plb += p->amount;
		r->tx.nplb++;
	}
}

static void header(struct dc_x835 *r, const struct dc_x12_seg *s)
{
	struct dc_x835_tx *t = &r->tx;
	if (dc_x12_is(s, "BPR")) {
		t->bpr02 = amount(r, s, 2);
		dc_x12_copy(t->method, sizeof t->method, dc_x12_el(s, 4));
		char d[11];
		dc_x12_date(dc_x12_el(s, 16), d);
		if (d[0])
			snprintf(t->pay_date, sizeof t->pay_date, "%s", d);
	} else if (dc_x12_is(s, "TRN")) {
		dc_x12_copy(t->trn02, sizeof t->trn02, dc_x12_el(s, 2));
		dc_x12_copy(t->trn03, sizeof t->trn03, dc_x12_el(s, 3));
	} else if (dc_x12_is(s, "DTM") && !strcmp(dc_x12_el(s, 1), "405")) {
		/* production date: the payment date only when BPR16 is missing */
		if (!t->pay_date[0])
			dc_x12_date(dc_x12_el(s, 2), t->pay_date);
	} else if (dc_x12_is(s, "N1")) {
		const char *q = dc_x12_el(s, 1);
		r->n1 = !strcmp(q, "PR") ? 1 : !strcmp(q, "PE") ? 2 : 0;
		if (r->n1 == 1) {
			dc_x12_copy(t->payer_name, sizeof t->payer_name, dc_x12_el(s, 2));
			dc_x12_copy(t->payer_id, sizeof t->payer_id, dc_x12_el(s, 4));
		} else if (r->n1 == 2) {
			dc_x12_copy(t->payee_id, sizeof t->payee_id, dc_x12_el(s, 4));
		}
	} else if (dc_x12_is(s, "REF") && r->n1 == 1 && !strcmp(dc_x12_el(s, 1), "2U") &&
		   !t->payer_id[0]) {
		dc_x12_copy(t->payer_id, sizeof t->payer_id, dc_x12_el(s, 2));
	}
}

static void claim_seg(struct dc_x835 *r, const struct dc_x12_seg *s)
{
	struct dc_remit_claim *c = &r->claim;
	struct dc_remit_line *l = c->nlines ? &c->lines[c->nlines - 1] : NULL;
	if (dc_x12_is(s, "CAS")) {
		add_cas(r, s);
	} else if (dc_x12_is(s, "SVC")) {
		add_svc(r, s);
	} else if (dc_x12_is(s, "DTM")) {
		const char *q = dc_x12_el(s, 1);
		if (l && (!strcmp(q, "472") || (!strcmp(q, "150") && !l->date[0])))
			dc_x12_date(dc_x12_el(s, 2), l->date);
		else if (!l && (!strcmp(q, "232") || (!strcmp(q, "050") && !c->date[0])))
			dc_x12_date(dc_x12_el(s, 2), c->date);
	} else if (dc_x12_is(s, "REF") && l && !strcmp(dc_x12_el(s, 1), "6R")) {
		dc_x12_copy(l->line_control, sizeof l->line_control, dc_x12_el(s, 2));
	} else if (dc_x12_is(s, "LQ") && l && !strcmp(dc_x12_el(s, 1), "HE")) {
		join(l->remarks, sizeof l->remarks, dc_x12_el(s, 2));
	} else if (dc_x12_is(s, "MOA")) {
		for (size_t i = 3; i <= 7; i++)
			join(c->remarks, sizeof c->remarks, dc_x12_el(s, i));
	} else if (dc_x12_is(s, "MIA")) {
		static const size_t mia[] = { 5, 20, 21, 22, 23, 24 };
		for (size_t i = 0; i < sizeof mia / sizeof *mia; i++)
			join(c->remarks, sizeof c->remarks, dc_x12_el(s, mia[i]));
	}
}

int dc_x835_next(struct dc_x835 *r, struct dc_x835_event *ev)
{
	memset(ev, 0, sizeof *ev);
	ev->tx = &r->tx;
	for (;;) {
		if (r->plb_pos < r->nplb_q) {
			ev->kind = DC_X835_PLB;
			ev->plb = &r->plb[r->plb_pos++];
			return 1;
		}
		if (r->end_queued && !r->tx_begun) {
			/* a transaction without claims still begins before it ends */
			r->tx_begun = 1;
			ev->kind = DC_X835_TX_BEGIN;
			return 1;
		}
		if (r->end_queued) {
			r->end_queued = 0;
			end_tx(r);
			ev->kind = DC_X835_TX_END;
			return 1;
		}
		if (!r->pending) {
			int rc = dc_x12_next(&r->x, &r->seg);
			if (rc <= 0) {
				/* end of input (or unreadable rest): close what is open */
				if (r->in_claim) {
					end_claim(r);
					ev->kind = DC_X835_CLAIM;
					ev->claim = &r->claim;
					return 1;
				}
				if (r->in_tx) {
					r->end_queued = 1;
					continue;
				}
				return rc;
			}
			r->pending = 1;
		}
		const struct dc_x12_seg *s = &r->seg;
		const char *id = s->id;
		int closes_claim = !strcmp(id, "CLP") || !strcmp(id, "LX") || !strcmp(id, "PLB") ||
				   !strcmp(id, "SE") || !strcmp(id, "ST") || !strcmp(id, "GE") ||
				   !strcmp(id, "IEA") || !strcmp(id, "ISA") || !strcmp(id, "TS3") ||
				   !strcmp(id, "TS2");
		if (r->in_claim && closes_claim) {
			end_claim(r);           /* s stays pending */
			ev->kind = DC_X835_CLAIM;
			ev->claim = &r->claim;
			return 1;
		}
		int closes_tx = !strcmp(id, "SE") || !strcmp(id, "ST") || !strcmp(id, "GE") ||
				!strcmp(id, "IEA") || !strcmp(id, "ISA");
		if (r->in_tx && closes_tx) {
			if (!strcmp(id, "SE"))
				r->pending = 0;
			r->end_queued = 1;
			continue;
		}
		r->pending = 0;
		if (!strcmp(id, "ISA")) {
			dc_x12_copy(r->isa13, sizeof r->isa13, dc_x12_el(s, 13));
			continue;
		}
		if (!strcmp(id, "ST")) {
			if (strcmp(dc_x12_el(s, 1), "835") != 0) {
				r->skipped_tx++;
				dc_diag_report(r->ds, DC_SEV_WARNING, 0, in_name(r), s->line,
					       "transaction set '%.6s' is not an 835: skipped",
					       dc_x12_el(s, 1));
				continue;
			}
			memset(&r->tx, 0, sizeof r->tx);
			snprintf(r->tx.isa13, sizeof r->tx.isa13, "%s", r->isa13);
			dc_x12_copy(r->tx.st02, sizeof r->tx.st02, dc_x12_el(s, 2));
			r->tx.src_line = s->line;
			r->in_tx = 1;
			r->tx_begun = 0;
			r->n1 = 0;
			continue;
		}
		if (!r->in_tx)
			continue;           /* envelope, or a non-835 transaction */
		int detail = !strcmp(id, "CLP") || !strcmp(id, "LX") || !strcmp(id, "PLB") ||
			     !strcmp(id, "TS3") || !strcmp(id, "TS2");
		if (detail && !r->tx_begun) {
			r->tx_begun = 1;
			r->pending = 1;
			if (!r->tx.trn02[0])
				dc_diag_report(r->ds, DC_SEV_WARNING, 0, in_name(r), r->tx.src_line,
					       "transaction '%s' has no TRN trace number", r->tx.st02);
			ev->kind = DC_X835_TX_BEGIN;
			return 1;
		}
		if (!r->tx_begun) {
			header(r, s);
		} else if (!strcmp(id, "CLP")) {
			start_claim(r, s);
		} else if (!strcmp(id, "PLB")) {
			queue_plb(r, s);
		} else if (r->in_claim) {
			claim_seg(r, s);
		}
	}
}
