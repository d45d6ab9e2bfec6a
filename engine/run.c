/*
 * The pipeline of `code` and `check`.
 *
 * Per input: read an encounter, validate, code or hold, stage its output,
 * reset the arena. Output of an input is staged and moved into the run's
 * files only when the whole input has been read, because an encounter id
 * that reappears later holds every fragment of it, the first one included
 * (input_order). Per run: held.csv is written last, since its columns are the
 * union of every input's columns.
 */
#include "engine/run.h"
#include "engine/arena.h"
#include "engine/buf.h"
#include "engine/dc_status.h"
#include "engine/idset.h"
#include "engine/input.h"
#include "engine/ledger.h"
#include "engine/output.h"
#include "engine/stage.h"
#include "engine/validate.h"
#include "emitters/dc_emit.h"
#include "emitters/x12_837.h"
#include "parsers/csv.h"
#include "rulesets/dc_coder.h"
#include "rulesets/dc_rules.h"

#include <dirent.h>
#include <pthread.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

struct input_cols {
	char **names;
	int *canon;
	long *unknown;          /* an unknown column's place in the run's list, else -1 */
	size_t n;
};

struct run;
struct copy_ctx { struct run *r; struct dc_out *out; const char *name; int *open; const char *header; };
static int copy_out(void *ctx, const char *id, const char *p, size_t n);

struct run {
	const struct dc_run_opts *o;
	struct dc_diag_sink *ds;
	struct dc_rules rules;
	struct dc_run_result *res;

	struct dc_out lines_out, rejects_out, uk_out;
	int lines_open, rejects_open, uk_open;
	uint64_t lines_mark, uk_mark;         /* where this input's rows start (0: after the header) */
	struct copy_ctx lc, uc;               /* lines.csv and uk-line-items.csv, written as coded */
	struct dc_stage held_stage, held_all;
	struct dc_stage uk_claims;            /* the run's UK invoices, for the ledger */
	struct dc_ledger *ledger;             /* NULL for check and --dry-run */
	/*
	 * 1: a lookup or mark of the ledger failed (set by the coder thread,
	 * read once reading is done), so encounters billed before may have
	 * been taken for new ones; 2: the staged claims could not be read back
	 * when an input ended. Either way no claim file of this run is written
	 * or recorded.
	 */
	int claims_unsure;
	const char *provider;                 /* the billing provider the ledger knows */
	unsigned long uk_invoices;
	struct dc_stage p_claims, i_claims;   /* the run's 837P / 837I claim records */
	unsigned long p_count, i_count;
	struct dc_output_info *info;          /* files written, for summary.json */
	size_t ninfo;
	char *abs_out;                        /* the output directory, absolute */
	unsigned long other_rows, other_rejected, other_na;   /* this input's rows of other shards */
	struct dc_buf buf;

	struct dc_input_stats *stats;     /* one per input */
	struct dc_input_stats totals;
	unsigned long holds[DC_HOLD_COUNT];
	struct dc_rule_count *warn;       /* warnings_by_rule */
	size_t nwarn;
	char **unknown;                   /* unknown columns, first appearance order */
	size_t nunknown;
	struct input_cols *cols;          /* per input, for held.csv */

	/* the current input */
	int cur;
	struct dc_idset ids;
	char **repeated;                  /* ids seen in two fragments */
	size_t nrepeated, caprepeated;
	char **rep_reason;                /* parallel to repeated after sorting */
};

/* ---- rejects -------------------------------------------------------------- */

static void on_reject(void *ctx, const char *source, unsigned long line, const char *error,
		      const char *raw, size_t rawlen)
{
	struct run *r = ctx;
	if (r->o->shard_n > 1 && (int)(line % (unsigned long)r->o->shard_n) != r->o->shard_k - 1) {
		/* another shard reports this row: rows without an id go by line number */
		r->other_rejected++;
		return;
	}
	r->res->any_held = 1;
	dc_diag_report(r->ds, DC_SEV_WARNING, 0, source, line, "row rejected: %s", error);
	if (!r->rejects_open) {
		if (dc_out_open(&r->rejects_out, r->o->out_dir, "rejects.csv", r->o->mode, r->ds) < 0) {
			r->res->output_failed = 1;
			dc_out_abort(&r->rejects_out);
			r->rejects_open = -1;
			return;
		}
		r->rejects_open = 1;
		dc_out_puts(&r->rejects_out, "source,line,error,raw\n");
	}
	if (r->rejects_open < 0)
		return;
	struct dc_buf *b = &r->buf;
	dc_buf_reset(b);
	dc_buf_csv(b, source);
	dc_buf_printf(b, ",%lu,", line);
	dc_buf_csv(b, error);
	dc_buf_addc(b, ',');
	char *rawz = dc_xmalloc(rawlen + 1);
	memcpy(rawz, raw, rawlen);
	rawz[rawlen] = '\0';
	/* NUL bytes would cut the field: show them as spaces */
	for (size_t i = 0; i < rawlen; i++)
		if (!rawz[i])
			rawz[i] = ' ';
	dc_buf_csv(b, rawz);
	free(rawz);
	dc_buf_addc(b, '\n');
	dc_out_write(&r->rejects_out, b->p, b->len);
}

/* ---- staging of one encounter --------------------------------------------- */

static void stage_held(struct run *r, const struct dc_encounter *enc, enum dc_hold cat,
		       const char *reason)
{
	struct dc_buf *b = &r->buf;
	for (size_t i = 0; i < enc->nitems; i++) {
		const struct dc_item *it = &enc->items[i];
		dc_buf_reset(b);
		dc_buf_printf(b, "%d,%lu,%s,", r->cur, it->line, dc_hold_names[cat]);
		dc_buf_csv(b, reason);
		for (size_t k = 0; k < it->nraw; k++) {
			dc_buf_addc(b, ',');
			dc_buf_csv(b, it->raw[k]);
		}
		dc_buf_addc(b, '\n');
		if (dc_stage_put(&r->held_stage, enc->f[DC_E_ENCOUNTER_ID], b->p, b->len) < 0)
			r->res->output_failed = 1;
	}
}

static void count_warning(struct run *r, const char *rule)
{
	for (size_t i = 0; i < r->nwarn; i++)
		if (!strcmp(r->warn[i].rule, rule)) {
			r->warn[i].count++;
			return;
		}
	r->warn = dc_xrealloc(r->warn, (r->nwarn + 1) * sizeof *r->warn);
	r->warn[r->nwarn].rule = dc_xstrdup(rule);
	r->warn[r->nwarn].count = 1;
	r->nwarn++;
}

static int cmp_ids(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/*
 * The repeated ids are collected while the input is read (duplicates and
 * all), then sorted once: every later question is a binary search, so an
 * input full of repeats costs n log n, not n times the repeats.
 */
static void sort_repeated(struct run *r)
{
	if (!r->nrepeated)
		return;
	qsort(r->repeated, r->nrepeated, sizeof *r->repeated, cmp_ids);
	size_t n = 1;
	for (size_t i = 1; i < r->nrepeated; i++) {
		if (strcmp(r->repeated[i], r->repeated[n - 1]) == 0)
			free(r->repeated[i]);
		else
			r->repeated[n++] = r->repeated[i];
	}
	r->nrepeated = n;
}

/* Index of |id| among the sorted repeated ids, or -1. */
static long repeated_index(const struct run *r, const char *id)
{
	char *const *hit = r->nrepeated ? bsearch(&id, r->repeated, r->nrepeated,
						  sizeof *r->repeated, cmp_ids) : NULL;
	return hit ? (long)(hit - r->repeated) : -1;
}

static int is_repeated(struct run *r, const char *id)
{
	return repeated_index(r, id) >= 0;
}

static void add_repeated(struct run *r, const char *id)
{
	if (r->nrepeated == r->caprepeated) {
		r->caprepeated = r->caprepeated ? r->caprepeated * 2 : 8;
		r->repeated = dc_xrealloc(r->repeated, r->caprepeated * sizeof *r->repeated);
	}
	r->repeated[r->nrepeated++] = dc_xstrdup(id);
}

/*
 * Validates and codes one encounter. |coded| is filled when the encounter is
 * not held. With a ledger, a valid encounter it knows is not coded again
 * (*already set), unless an earlier run billed it and --rebill asks for a
 * replacement (*replaces set); one billed by an earlier input of this run is
 * not billed twice even then. Returns 0 or a negative status (a coder's bug).
 */
static int code_one(const struct dc_rules *rules, int default_scheme, struct dc_ledger *ledger,
		    const char *provider, int rebill, struct dc_encounter *enc,
		    struct dc_coded *coded, struct dc_arena *a, int *already, int *replaces,
		    int *ledger_failed, int explain)
{
	memset(coded, 0, sizeof *coded);
	coded->explain = explain;
	*already = 0;
	*replaces = 0;
	if (enc->hold != DC_HOLD_NONE)
		return 0;
	if (!enc->validated && dc_encounter_validate(enc, rules, (enum dc_scheme)default_scheme, a))
		return 0;
	if (enc->hold != DC_HOLD_NONE)
		return 0;
	int billed = ledger ? dc_ledger_billed(ledger, provider,
					       enc->scheme == DC_SCHEME_UK ? "UK" : "US",
					       enc->f[DC_E_ENCOUNTER_ID]) : 0;
	if (billed < 0) {
		/* coded as if never billed; the run writes none of its claims */
		*ledger_failed = 1;
		billed = 0;
	}
	if (billed == 2 || (billed == 1 && !rebill)) {
		*already = 1;
		return 0;
	}
	*replaces = billed == 1;
	int rc = enc->scheme == DC_SCHEME_UK ? dc_uk_code(rules, enc, coded, a)
					     : dc_us_code(rules, enc, coded, a);
	if (enc->hold != DC_HOLD_NONE) {
		/* a claim check held it: none of its lines are written */
		coded->nlines = 0;
		coded->nclaims = 0;
		coded->charge = 0;
	}
	return rc;
}

/* A US claim's id as the 837 carries it (CLM01, 38 characters, a separator
 * a space): the ledger and reconcile know the claim by it. */
static const char *x12_claim_id(const struct dc_profile *p, const char *claim_id, char *buf,
				size_t n)
{
	dc_x12_clean(p, claim_id, 38, buf, n);
	return buf;
}

/* A field of a claim record: tabs and line ends would break the record. */
static void rec_field(struct dc_buf *b, const char *s)
{
	dc_buf_addc(b, '\t');
	for (;;) {
		size_t n = strcspn(s, "\t\n\r");
		dc_buf_add(b, s, n);
		if (!s[n])
			break;
		dc_buf_addc(b, ' ');
		s += n + 1;
	}
}

/*
 * The ledger's view of an encounter's claims: one "C" line per claim,
 * tab-separated, its last field the claim's lines as the ledger keeps them
 * (a JSON array, dc_ledger_line_json: no tab or line end in it).
 */
static void claim_record(struct dc_buf *b, const struct dc_encounter *enc,
			 const struct dc_coded *c, int rebill, const struct dc_profile *p)
{
	char id[64], ctl[64];
	char num[48];
	const char *scheme = enc->scheme == DC_SCHEME_UK ? "UK" : "US";
	for (size_t i = 0; i < c->nlines;) {
		const struct dc_line *l = &c->lines[i];
		size_t end = i;
		int64_t total = 0;
		for (; end < c->nlines && !strcmp(c->lines[end].claim_id, l->claim_id); end++)
			total += c->lines[end].charge;
		dc_buf_addc(b, 'C');
		rec_field(b, enc->scheme == DC_SCHEME_UK ? l->claim_id
			  : x12_claim_id(p, l->claim_id, id, sizeof id));
		rec_field(b, l->claim_type);
		rec_field(b, scheme);
		rec_field(b, enc->f[DC_E_ENCOUNTER_ID]);
		rec_field(b, enc->f[DC_E_PAYER_ID]);
		rec_field(b, dc_date_format(enc->service_day, num, sizeof num));
		dc_buf_addc(b, '\t');
		dc_buf_int(b, (long long)total);
		dc_buf_adds(b, rebill ? "\t7\t[" : "\t1\t[");
		for (; i < end; i++) {
			const struct dc_line *k = &c->lines[i];
			dc_x12_clean(p, k->line_control, 50, ctl, sizeof ctl);
			dc_ledger_line_json(b, k->line_no, k->code, k->modifiers,
					    dc_dec_format(k->units, num, sizeof num), k->charge,
					    enc->scheme == DC_SCHEME_UK ? k->line_control : ctl);
		}
		dc_buf_adds(b, "]\n");
	}
}

/* What coding made of an encounter, waiting for its turn to be written. */
struct coded_enc {
	struct dc_coded coded;
	int already;                    /* the ledger knows it */
	int replaces;                   /* --rebill: its claims replace those billed */
	int rc;                         /* code_one's status */
	/*
	 * The output records of a coded encounter, formatted where it was coded
	 * (with --jobs, in the coder thread): its lines.csv rows, then its
	 * uk-line-items.csv rows, then its ledger record and 837 claims. NULL
	 * when there is nothing to write.
	 */
	struct dc_buf *out;
	size_t lines_len, uk_len, rec_len;
	int x12_separator;              /* an id lost a separator character */
};

static int other_shard(const struct run *r, const char *id)
{
	return dc_shard_other(id, r->o->shard_k, r->o->shard_n);
}

/*
 * Everything that depends on the encounter alone: validation, the ledger's
 * already-billed check, coding, the 837 writer's own checks. With --jobs it
 * runs in its own thread, ahead of emit_encounter.
 */
static void code_encounter(struct run *r, struct dc_encounter *enc, struct dc_arena *a,
			   struct coded_enc *ce)
{
	memset(ce, 0, sizeof *ce);
	if (other_shard(r, enc->f[DC_E_ENCOUNTER_ID]))
		return;
	ce->rc = code_one(&r->rules, r->o->default_scheme, r->ledger, r->provider, r->o->rebill,
			  enc, &ce->coded, a, &ce->already, &ce->replaces, &r->claims_unsure, 0);
	struct dc_coded *cd = &ce->coded;
	/*
	 * A claim id derived from a long encounter_id that another encounter's
	 * claim already uses: never merged, the encounter is held and reported.
	 */
	if (r->ledger && ce->rc >= 0 && enc->hold == DC_HOLD_NONE && !ce->already) {
		const char *prev = NULL;
		for (size_t i = 0; i < cd->nlines && enc->hold == DC_HOLD_NONE; i++) {
			const char *cid = cd->lines[i].claim_id;
			if (prev && !strcmp(prev, cid))
				continue;
			prev = cid;
			int taken = strcmp(cid, enc->f[DC_E_ENCOUNTER_ID]) == 0 ? 0
				    : dc_ledger_claim_taken(r->ledger, cid, r->provider,
							    enc->f[DC_E_ENCOUNTER_ID]);
			if (taken < 0)
				r->claims_unsure = 1;
			else if (taken)
				dc_encounter_hold(enc, DC_HOLD_INVALID_FIELD, a,
						  "claim id '%s' derived from encounter_id is already used "
						  "by another encounter's claim", cid);
		}
		if (enc->hold != DC_HOLD_NONE) {
			cd->nlines = 0;
			cd->nclaims = 0;
			cd->charge = 0;
		}
	}
	if (ce->rc >= 0 && enc->hold == DC_HOLD_NONE && !ce->already &&
	    enc->scheme == DC_SCHEME_US && cd->nlines) {
		char why[256];
		const char *missing = dc_x12_claim_missing(enc, cd, &r->rules, why, sizeof why);
		if (missing) {
			dc_encounter_hold(enc, DC_HOLD_DOCUMENTATION, a,
					  "cannot be sent as an 837: %s", missing);
			cd->nlines = 0;
			cd->nclaims = 0;
			cd->charge = 0;
		}
	}
}

/* --rebill: REF*F8 of a replacement claim, from what reconcile kept */
struct pcn_ctx {
	struct dc_ledger *ledger;
	const struct dc_profile *profile;
	char buf[64];
};

static const char *payer_number(void *ctx, const char *claim_id)
{
	struct pcn_ctx *c = ctx;
	char id[64];
	x12_claim_id(c->profile, claim_id, id, sizeof id);
	return dc_ledger_payer_claim_number(c->ledger, id, "US", c->buf, sizeof c->buf) == 1
		? c->buf : NULL;
}

/* The output records of a coded encounter, into |b| (struct coded_enc). */
static void format_outputs(struct run *r, const struct dc_encounter *enc, struct coded_enc *ce,
			   struct dc_buf *b)
{
	const struct dc_coded *coded = &ce->coded;
	ce->out = NULL;
	if (ce->rc < 0 || ce->already || enc->hold != DC_HOLD_NONE || !coded->nlines)
		return;
	dc_buf_reset(b);
	dc_lines_format(b, enc, coded);
	ce->lines_len = b->len;
	if (enc->scheme == DC_SCHEME_UK && r->o->write_claims && !r->o->dry_run)
		dc_uk_items_format(b, enc, coded, &r->rules);
	ce->uk_len = b->len - ce->lines_len;
	if (r->ledger) {
		claim_record(b, enc, coded, ce->replaces, r->o->profile);
		if (enc->scheme == DC_SCHEME_US) {
			dc_buf_adds(b, "X\n");
			struct pcn_ctx pc = { r->ledger, r->o->profile, "" };
			struct dc_x12_claim_opts xo = { ce->replaces ? '7' : '1',
							ce->replaces ? payer_number : NULL, &pc };
			ce->x12_separator = dc_x12_claim_format_opts(b, enc, coded, r->o->profile,
								      &r->rules, &xo) > 0;
		}
	}
	ce->rec_len = b->len - ce->lines_len - ce->uk_len;
	ce->out = b;
}

/*
 * Where a claim record is staged: 837P, 837I, or the UK invoices that wait
 * for uk-line-items.csv to be recorded; NULL for a record that names none.
 */
static struct dc_stage *claim_stage(struct run *r, const char *p, size_t n, int *uk)
{
	/* C TAB claim_id TAB claim_type TAB scheme ... */
	const char *t1 = memchr(p, '\t', n);
	const char *t2 = t1 ? memchr(t1 + 1, '\t', n - (size_t)(t1 + 1 - p)) : NULL;
	const char *t3 = t2 ? memchr(t2 + 1, '\t', n - (size_t)(t2 + 1 - p)) : NULL;
	if (!t3)
		return NULL;
	/* the claim type sits between the second and third tabs */
	*uk = t3 - t2 - 1 == 2 && !memcmp(t2 + 1, "UK", 2);
	if (*uk)
		return &r->uk_claims;
	int inst = t3 - t2 - 1 == 4 && !memcmp(t2 + 1, "837I", 4);
	return inst ? &r->i_claims : &r->p_claims;
}

/* Everything that must happen in input order: accounting, holds, outputs. */
static void emit_encounter(struct run *r, struct dc_encounter *enc, struct coded_enc *ce,
			   struct dc_input_stats *st)
{
	struct dc_coded coded = ce->coded;
	int already = ce->already;
	const char *id = enc->f[DC_E_ENCOUNTER_ID];
	struct dc_fragment fr = { enc->first_line, enc->last_line, enc->nitems, 'C', 0, 0, 0, 0, 0, 0 };

	if (other_shard(r, id)) {
		/* another shard's encounter */
		r->other_rows += enc->nitems + enc->not_administered;
		r->other_na += enc->not_administered;
		return;
	}
	st->encounters++;
	int repeat = dc_idset_contains(&r->ids, id);
	if (repeat) {
		/* coded before it was known to be a repeat: none of that counts */
		enc->hold = DC_HOLD_INPUT_ORDER;
		enc->hold_reason = "encounter_id appears again after other encounters";
		add_repeated(r, id);
		coded.nlines = 0;
		coded.nclaims = 0;
		coded.charge = 0;
		coded.nwarnings = 0;
		already = 0;
		ce->rc = 0;
	}
	if (ce->rc < 0) {
		r->res->bug = 1;
		dc_diag_report(r->ds, DC_SEV_ERROR, DC_ERR_BUG, st->path, enc->first_line,
			       "internal error coding encounter '%s'", id);
		if (enc->hold == DC_HOLD_NONE) {
			enc->hold = DC_HOLD_DOCUMENTATION;
			enc->hold_reason = "internal error while coding: please report";
		}
	}
	for (size_t i = 0; i < coded.nwarnings; i++)
		count_warning(r, coded.warnings[i].rule);

	if (already) {
		st->already_billed++;
		st->rows_already += enc->nitems;
		fr.outcome = 'A';
	} else if (enc->hold != DC_HOLD_NONE) {
		r->res->any_held = 1;
		st->held++;
		st->rows_held += enc->nitems;
		r->holds[enc->hold]++;
		fr.outcome = 'H';
		fr.hold = enc->hold;
		if (!repeat)   /* a repeated id's holds are reported once the input is read */
			dc_diag_report(r->ds, DC_SEV_WARNING, 0, st->path, enc->first_line,
			       "encounter '%s' held: %s: %s", id, dc_hold_names[enc->hold],
			       enc->hold_reason ? enc->hold_reason : "");
		stage_held(r, enc, enc->hold, enc->hold_reason ? enc->hold_reason : "");
	} else {
		st->coded++;
		st->rows_coded += enc->nitems;
		st->claims += (unsigned long)coded.nclaims;
		st->lines += coded.nlines;
		st->charge += coded.charge;
		if (coded.nlines == 0)
			st->no_claim++;
		fr.lines = coded.nlines;
		fr.claims = (unsigned long)coded.nclaims;
		fr.no_claim = coded.nlines == 0;
		fr.charge = coded.charge;
		if (coded.nlines) {
			if (!ce->out)
				format_outputs(r, enc, ce, &r->buf);
			const char *p = ce->out->p;
			copy_out(&r->lc, id, p, ce->lines_len);
			if (ce->uk_len)
				copy_out(&r->uc, id, p + ce->lines_len, ce->uk_len);
			if (r->ledger) {
				if (ce->x12_separator)
					count_warning(r, "X12-SEPARATOR");
				const char *rec = p + ce->lines_len + ce->uk_len;
				int uk;
				struct dc_stage *cs = claim_stage(r, rec, ce->rec_len, &uk);
				if (!cs || dc_stage_put(cs, id, rec, ce->rec_len) < 0)
					r->res->output_failed = 1;
			}
		}
	}
	if (dc_idset_add(&r->ids, id, &fr) < 0)
		r->res->output_failed = 1;
}

static void process(struct run *r, struct dc_encounter *enc, struct dc_arena *a,
		    struct dc_input_stats *st)
{
	struct coded_enc ce;
	code_encounter(r, enc, a, &ce);
	emit_encounter(r, enc, &ce, st);
}

/* ---- moving staged output on ---------------------------------------------- */

static int keep_id(void *ctx, const char *id)
{
	return !is_repeated(ctx, id);
}

static int copy_out(void *ctx, const char *id, const char *p, size_t n)
{
	(void)id;
	struct copy_ctx *c = ctx;
	if (*c->open == 0) {
		if (dc_out_open(c->out, c->r->o->out_dir, c->name, c->r->o->mode, c->r->ds) < 0) {
			dc_out_abort(c->out);
			*c->open = -1;
			c->r->res->output_failed = 1;
			return 0;
		}
		*c->open = 1;
		dc_out_puts(c->out, c->header);
	}
	if (*c->open < 0)
		return 0;
	return dc_out_write(c->out, p, n) < 0 ? 0 : 0;
}

/* An input read to the end: a later input of the run finds its claims billed. */
static int mark_billed(void *ctx, const char *id, const char *p, size_t n)
{
	struct run *r = ctx;
	int uk;
	if (!claim_stage(r, p, n, &uk))
		return DC_ERR_BUG;
	int rc = dc_ledger_mark(r->ledger, r->provider, uk ? "UK" : "US", id);
	if (rc < 0)
		r->claims_unsure = 1;
	return rc;
}

/* input_order: the fragments of every repeated id become one hold each */
struct retract_ctx {
	struct run *r;
	struct dc_input_stats *st;
	struct dc_buf reason;
	const char *last;
};

static int want_repeated(void *ctx, const char *id)
{
	return is_repeated(((struct retract_ctx *)ctx)->r, id);
}

static void retract_fragment(void *ctx, const char *id, const struct dc_fragment *f)
{
	struct retract_ctx *c = ctx;
	struct dc_input_stats *st = c->st;
	(void)id;
	if (f->outcome == 'C') {
		st->coded--;
		st->rows_coded -= f->rows;
		st->claims -= f->claims;
		st->lines -= f->lines;
		st->charge -= f->charge;
		st->no_claim -= (unsigned long)f->no_claim;
	} else if (f->outcome == 'H') {
		st->held--;
		st->rows_held -= f->rows;
		c->r->holds[f->hold]--;
	} else if (f->outcome == 'A') {
		st->already_billed--;
		st->rows_already -= f->rows;
	}
	st->held++;
	st->rows_held += f->rows;
	c->r->holds[DC_HOLD_INPUT_ORDER]++;
}

struct lines_ctx { struct run *r; const char *id; struct dc_buf *b; };

static int want_one(void *ctx, const char *id)
{
	return !strcmp(((struct lines_ctx *)ctx)->id, id);
}

static void add_range(void *ctx, const char *id, const struct dc_fragment *f)
{
	struct lines_ctx *c = ctx;
	(void)id;
	if (c->b->len)
		dc_buf_adds(c->b, ", ");
	if (f->first_line == f->last_line || f->rows == 1)
		dc_buf_printf(c->b, "%lu", f->first_line);
	else
		dc_buf_printf(c->b, "%lu-%lu", f->first_line, f->last_line);
}

static struct dc_reader *open_reader(struct run *r, struct dc_input *in,
				     struct dc_reject_sink rs, enum dc_format *fmt);

/*
 * Takes back the rows of repeated ids that this input wrote to |c|'s file
 * since |mark| (0: since the header). Rows are written as they are coded (no
 * second copy on the common path); only an input with a repeated id pays for
 * reading its own rows back.
 */
static int filter_tail(struct run *r, struct copy_ctx *c, uint64_t mark, int by_claim)
{
	if (*c->open != 1)
		return DC_OK;
	if (mark == 0)
		mark = strlen(c->header);
	if (dc_out_flush(c->out) < 0)
		return DC_ERR_IO;
	uint64_t end = c->out->bytes;
	FILE *tmp = tmpfile();
	if (!tmp)
		return DC_ERR_IO;
	/*
	 * uk-line-items.csv names an encounter by its invoice number, its claim
	 * id: there the rows taken out are those of the repeated ids' claim ids.
	 */
	struct dc_arena ka;
	dc_arena_init(&ka, 0);
	char **keys = r->repeated;
	size_t nkeys = r->nrepeated;
	if (by_claim) {
		keys = dc_arena_alloc(&ka, nkeys * sizeof *keys);
		for (size_t i = 0; i < nkeys; i++)
			keys[i] = (char *)dc_claim_id(r->repeated[i], &ka);
		qsort(keys, nkeys, sizeof *keys, cmp_ids);
	}
	char *buf = dc_xmalloc(1 << 16);
	int rc = DC_OK;
	for (uint64_t off = mark; off < end && rc == DC_OK;) {
		size_t want = end - off < (1 << 16) ? (size_t)(end - off) : (1 << 16);
		ssize_t got = pread(c->out->fd, buf, want, (off_t)off);
		if (got <= 0 || fwrite(buf, 1, (size_t)got, tmp) != (size_t)got)
			rc = DC_ERR_IO;
		else
			off += (uint64_t)got;
	}
	free(buf);
	if (rc == DC_OK)
		rc = dc_out_truncate(c->out, mark);
	if (rc == DC_OK && fflush(tmp) == 0) {
		struct dc_input in;
		struct dc_csv csv;
		struct dc_csv_record rec;
		struct dc_buf b;
		rewind(tmp);
		lseek(fileno(tmp), 0, SEEK_SET);
		dc_input_open_fd(&in, "staged rows", fileno(tmp), r->ds);
		dc_csv_init(&csv, &in, ',');
		dc_buf_init(&b);
		int k;
		while ((k = dc_csv_next(&csv, &rec)) == 1) {
			if (rec.nfields && bsearch(&rec.fields[0], keys, nkeys, sizeof *keys, cmp_ids))
				continue;
			dc_buf_reset(&b);
			for (size_t i = 0; i < rec.nfields; i++) {
				if (i)
					dc_buf_addc(&b, ',');
				dc_buf_csv(&b, rec.fields[i]);
			}
			dc_buf_addc(&b, '\n');
			dc_out_write(c->out, b.p, b.len);
		}
		if (k < 0)
			rc = DC_ERR_IO;
		dc_buf_release(&b);
		dc_csv_release(&csv);
		dc_input_close(&in);
	}
	fclose(tmp);
	dc_arena_release(&ka);
	return rc;
}

static void retract(struct run *r, struct dc_input_stats *st, const char *path, FILE *tee)
{
	struct retract_ctx rc = { r, st, { 0 }, NULL };
	dc_idset_scan(&r->ids, want_repeated, retract_fragment, &rc);

	/* re-read the input for the rows of the repeated ids */
	struct dc_input in;
	if (tee) {
		fflush(tee);
		lseek(fileno(tee), 0, SEEK_SET);
		dc_input_open_fd(&in, path, fileno(tee), r->ds);
	} else if (dc_input_open_file(&in, path, r->ds) < 0) {
		dc_input_close(&in);
		r->res->input_failed = 1;
		return;
	}
	struct dc_reject_sink none = { NULL, NULL };
	enum dc_format fmt = r->o->format;
	struct dc_reader *rd = open_reader(r, &in, none, &fmt);
	if (!rd) {
		dc_input_close(&in);
		r->res->input_failed = 1;
		return;
	}
	/* one reason per repeated id, naming every fragment's lines */
	char **why = dc_xcalloc(r->nrepeated, sizeof *why);
	struct dc_buf ranges;
	dc_buf_init(&ranges);
	for (size_t i = 0; i < r->nrepeated; i++) {
		dc_buf_reset(&ranges);
		struct lines_ctx lc = { r, r->repeated[i], &ranges };
		dc_idset_scan(&r->ids, want_one, add_range, &lc);
		size_t n = strlen(r->repeated[i]) + ranges.len + 96;
		why[i] = dc_xmalloc(n);
		snprintf(why[i], n, "rows of encounter_id '%s' are not contiguous: lines %s",
			 r->repeated[i], ranges.p);
		dc_diag_report(r->ds, DC_SEV_WARNING, 0, path, 0,
			       "encounter '%s' held: input_order: %s", r->repeated[i], why[i]);
	}
	struct dc_arena a;
	dc_arena_init(&a, 0);
	struct dc_encounter enc;
	while (rd->ops->next(rd, &enc, &a) == 1) {
		long i = repeated_index(r, enc.f[DC_E_ENCOUNTER_ID]);
		if (i >= 0)
			stage_held(r, &enc, DC_HOLD_INPUT_ORDER, why[i]);
		dc_arena_reset(&a);
	}
	for (size_t i = 0; i < r->nrepeated; i++)
		free(why[i]);
	free(why);
	dc_buf_release(&ranges);
	dc_arena_release(&a);
	rd->ops->free(rd);
	dc_input_close(&in);
}

/* ---- one input ------------------------------------------------------------ */

static enum dc_format sniff(struct dc_input *in)
{
	while (dc_input_avail(in) < 64 && dc_input_more(in) > 0)
		;
	size_t len;
	const unsigned char *p = dc_input_data(in, &len);
	size_t i = 0, step = 1, lo = 0;
	if (len >= 3 && p[0] == 0xEF && p[1] == 0xBB && p[2] == 0xBF) {
		i = 3;
	} else if (dc_utf16_bom(p, len)) {
		/* UTF-16 (libxml2 reads it): characters of two bytes, the low one first in LE */
		i = 2;
		step = 2;
		lo = dc_utf16_bom(p, len) == 'B';
	}
	for (; i + step <= len; i += step) {
		unsigned c = p[i + lo];
		if (step == 2 && p[i + !lo])
			return DC_FMT_CSV;
		if (c != ' ' && c != '\t' && c != '\r' && c != '\n')
			return c == '<' ? DC_FMT_HL7XML : DC_FMT_CSV;
	}
	return DC_FMT_CSV;
}

static struct dc_reader *open_reader(struct run *r, struct dc_input *in,
				     struct dc_reject_sink rs, enum dc_format *fmt)
{
	if (*fmt == DC_FMT_AUTO)
		*fmt = sniff(in);
	struct dc_reader *rd = *fmt == DC_FMT_HL7XML
		? dc_xml_reader_new(in, r->ds, rs)
		: dc_csv_reader_new(in, r->o->delim, r->o->map, r->ds, rs);
	if (rd) {
		rd->shard_k = r->o->shard_k;
		rd->shard_n = r->o->shard_n;
	}
	return rd;
}

/* Is |name| the column |norm| (dc_header_normalise'd)? */
static int same_header(const char *name, const char *norm)
{
	char *n = dc_header_normalise(dc_xstrdup(name));
	int same = !strcmp(n, norm);
	free(n);
	return same;
}

static void note_columns(struct run *r, int idx, const struct dc_reader *rd)
{
	struct input_cols *c = &r->cols[idx];
	c->n = rd->ncols;
	c->names = dc_xcalloc(c->n ? c->n : 1, sizeof *c->names);
	c->canon = dc_xcalloc(c->n ? c->n : 1, sizeof *c->canon);
	c->unknown = dc_xcalloc(c->n ? c->n : 1, sizeof *c->unknown);
	for (size_t i = 0; i < c->n; i++) {
		c->names[i] = dc_xstrdup(rd->colnames[i]);
		c->canon[i] = rd->canon[i];
		c->unknown[i] = -1;
		if (rd->canon[i] != -1)
			continue;
		/*
		 * Names match across inputs whatever their case, but two columns
		 * of one header with the same name are two columns: the n-th such
		 * column of a header is the n-th of that name in the run's list.
		 */
		char *norm = dc_header_normalise(dc_xstrdup(rd->colnames[i]));
		size_t nth = 0;
		for (size_t j = 0; j < i; j++)
			if (c->unknown[j] >= 0 && same_header(c->names[j], norm))
				nth++;
		long pos = -1;
		for (size_t k = 0; k < r->nunknown && pos < 0; k++)
			if (same_header(r->unknown[k], norm) && nth-- == 0)
				pos = (long)k;
		if (pos < 0) {
			r->unknown = dc_xrealloc(r->unknown, (r->nunknown + 1) * sizeof *r->unknown);
			pos = (long)r->nunknown;
			r->unknown[r->nunknown++] = dc_xstrdup(rd->colnames[i]);
		}
		c->unknown[i] = pos;
		free(norm);
	}
}

static double now_s(void);

struct ticker {
	double t0, last;
	struct dc_progress pg;
};

/* The progress line, about twice a second (the clock is read every 256 encounters). */
static void tick(struct run *r, struct ticker *t, const struct dc_input_stats *st,
		 uint64_t bytes, int done)
{
	if (!r->o->progress || (!done && (st->encounters & 255) != 0))
		return;
	double now = now_s();
	if (!done && now - t->last < 0.5)
		return;
	t->last = now;
	t->pg.bytes = bytes;
	t->pg.encounters = st->encounters;
	t->pg.elapsed_s = now - t->t0;
	t->pg.done = done;
	r->o->progress(r->o->progress_ctx, &t->pg);
}

/* One thread: read an encounter, process it, reset its arena. */
static int read_serial(struct run *r, struct dc_reader *rd, struct dc_input *in, int idx,
		       struct dc_input_stats *st)
{
	struct dc_arena a;
	struct dc_encounter enc;
	struct ticker t = { now_s(), 0, { st->path, 0, in->size, 0, 0, 0 } };
	int rc;
	t.last = t.t0;
	dc_arena_init(&a, 0);
	while ((rc = rd->ops->next(rd, &enc, &a)) == 1) {
		enc.input_index = idx;
		process(r, &enc, &a, st);
		dc_arena_reset(&a);
		tick(r, &t, st, in->raw_bytes, 0);
	}
	tick(r, &t, st, in->raw_bytes, 1);
	dc_arena_release(&a);
	return rc;
}

/*
 * A pipeline of three threads (--jobs 2 or more) over a ring of slots, each
 * slot an encounter with its own arena: a reader thread decompresses, hashes,
 * tokenizes and groups rows into encounters; a coder thread validates and
 * codes them (code_encounter); this thread writes them, in input order
 * (emit_encounter). Whatever the reader would report (rejected rows,
 * diagnostics) is kept in the slot and replayed here before the slot's
 * encounter, so the outputs are byte for byte those of one thread.
 */
#define PIPE_SLOTS 256

struct held_reject { unsigned long line; char *error, *raw; size_t rawlen; };

struct slot {
	struct dc_arena arena;
	struct dc_encounter enc;
	struct coded_enc ce;            /* filled by the coder thread */
	struct dc_buf out;              /* ce.out: its output records */
	int status;                     /* what next() returned */
	uint64_t raw_bytes;
	struct held_reject *rej;
	size_t nrej, caprej;
	struct dc_diag *diag;
	size_t ndiag, capdiag;
};

/*
 * A count one thread advances and another waits on: encounters read, coded,
 * written. The waiter says how far it wants the count to go before it is
 * woken, so a thread that is ahead sleeps for a batch, not for every item.
 */
struct pipe_count {
	unsigned long n;
	int done;                       /* n is final */
	int waiting;
	unsigned long want;
	pthread_cond_t cv;
};

struct pipe {
	pthread_mutex_t mu;
	struct slot slots[PIPE_SLOTS];
	struct pipe_count produced, coded, consumed;
	struct run *r;
	struct dc_reader *rd;
	struct dc_input *in;
	struct slot *cur;               /* the slot the reader is filling */
	struct dc_diag_sink sink;       /* the reader's diagnostics, kept in slots */
};

static void pipe_reject(void *ctx, const char *source, unsigned long line, const char *error,
			const char *raw, size_t rawlen)
{
	struct pipe *p = ctx;
	struct slot *s = p->cur;
	(void)source;
	if (s->nrej == s->caprej) {
		s->caprej = s->caprej ? s->caprej * 2 : 4;
		s->rej = dc_xrealloc(s->rej, s->caprej * sizeof *s->rej);
	}
	struct held_reject *h = &s->rej[s->nrej++];
	h->line = line;
	h->error = dc_xstrdup(error);
	h->raw = dc_xmalloc(rawlen + 1);
	memcpy(h->raw, raw, rawlen);
	h->rawlen = rawlen;
}

static void pipe_diag(void *ctx, const struct dc_diag *d)
{
	struct pipe *p = ctx;
	struct slot *s = p->cur;
	if (s->ndiag == s->capdiag) {
		s->capdiag = s->capdiag ? s->capdiag * 2 : 2;
		s->diag = dc_xrealloc(s->diag, s->capdiag * sizeof *s->diag);
	}
	s->diag[s->ndiag++] = *d;   /* d->input points at the input's name: it outlives the slot */
}

/*
 * The counts are published in batches: one lock per PIPE_BATCH encounters,
 * and a wake-up only when the waiting thread has PIPE_WAKE encounters to go
 * on with (per-encounter hand-offs spent more time in futex calls than they
 * saved).
 */
#define PIPE_BATCH 16
#define PIPE_WAKE 64

static void publish(struct pipe *p, struct pipe_count *c, unsigned long n, int done)
{
	pthread_mutex_lock(&p->mu);
	c->n = n;
	c->done |= done;
	if (c->waiting && (c->done || c->n >= c->want))
		pthread_cond_signal(&c->cv);
	pthread_mutex_unlock(&p->mu);
}

/* Waits until c passes |beyond| (or is final); wakes at |want| or the end. */
static unsigned long await(struct pipe *p, struct pipe_count *c, unsigned long beyond,
			   unsigned long want)
{
	pthread_mutex_lock(&p->mu);
	while (c->n <= beyond && !c->done) {
		c->waiting = 1;
		c->want = want;
		pthread_cond_wait(&c->cv, &p->mu);
	}
	c->waiting = 0;
	unsigned long n = c->n;
	pthread_mutex_unlock(&p->mu);
	return n;
}

static void *pipe_reader(void *arg)
{
	struct pipe *p = arg;
	unsigned long mine = 0, consumed = 0;
	for (;;) {
		if (mine - consumed == PIPE_SLOTS) {
			publish(p, &p->produced, mine, 0);
			consumed = await(p, &p->consumed, mine - PIPE_SLOTS,
					 mine - PIPE_SLOTS + PIPE_WAKE);
		}
		struct slot *s = &p->slots[mine % PIPE_SLOTS];
		p->cur = s;
		dc_arena_reset(&s->arena);
		s->status = p->rd->ops->next(p->rd, &s->enc, &s->arena);
		s->raw_bytes = p->in->raw_bytes;
		/* validation here too: it balances the reader's work with the coder's */
		if (s->status == 1 && s->enc.hold == DC_HOLD_NONE &&
		    !other_shard(p->r, s->enc.f[DC_E_ENCOUNTER_ID])) {
			dc_encounter_validate(&s->enc, &p->r->rules,
					      (enum dc_scheme)p->r->o->default_scheme, &s->arena);
			s->enc.validated = 1;
		}
		mine++;
		int more = s->status == 1;
		if (!more || mine % PIPE_BATCH == 0)
			publish(p, &p->produced, mine, !more);
		if (!more)
			return NULL;
	}
}

static void *pipe_coder(void *arg)
{
	struct pipe *p = arg;
	unsigned long mine = 0, produced = 0;
	for (;;) {
		if (mine == produced) {
			publish(p, &p->coded, mine, 0);
			produced = await(p, &p->produced, mine, mine + PIPE_WAKE);
		}
		struct slot *s = &p->slots[mine % PIPE_SLOTS];
		int more = s->status == 1;
		if (more) {
			code_encounter(p->r, &s->enc, &s->arena, &s->ce);
			format_outputs(p->r, &s->enc, &s->ce, &s->out);
		}
		mine++;
		if (!more || mine % PIPE_BATCH == 0)
			publish(p, &p->coded, mine, !more);
		if (!more)
			return NULL;
	}
}

static int read_piped(struct run *r, struct dc_reader *rd, struct dc_input *in, int idx,
		      struct dc_input_stats *st)
{
	struct pipe *p = dc_xcalloc(1, sizeof *p);
	struct ticker t = { now_s(), 0, { st->path, 0, in->size, 0, 0, 0 } };
	t.last = t.t0;
	pthread_mutex_init(&p->mu, NULL);
	pthread_cond_init(&p->produced.cv, NULL);
	pthread_cond_init(&p->coded.cv, NULL);
	pthread_cond_init(&p->consumed.cv, NULL);
	for (int i = 0; i < PIPE_SLOTS; i++) {
		dc_arena_init(&p->slots[i].arena, 0);
		dc_buf_init(&p->slots[i].out);
	}
	p->r = r;
	p->rd = rd;
	p->in = in;
	p->sink.emit = pipe_diag;
	p->sink.ctx = p;
	/* the reader thread reports only into slots */
	struct dc_reject_sink saved_rejects = rd->rejects;
	struct dc_diag_sink *saved_rd_ds = rd->ds, *saved_in_ds = in->ds;
	rd->rejects.reject = pipe_reject;
	rd->rejects.ctx = p;
	rd->ds = &p->sink;
	in->ds = &p->sink;
	pthread_t th, tc;
	int rc;
	if (pthread_create(&th, NULL, pipe_reader, p) != 0) {
		rd->rejects = saved_rejects;
		rd->ds = saved_rd_ds;
		in->ds = saved_in_ds;
		for (int i = 0; i < PIPE_SLOTS; i++) {
			dc_arena_release(&p->slots[i].arena);
			dc_buf_release(&p->slots[i].out);
		}
		free(p);
		return read_serial(r, rd, in, idx, st);
	}
	int have_coder = pthread_create(&tc, NULL, pipe_coder, p) == 0;
	unsigned long mine = 0, ready = 0;
	for (;;) {
		if (mine == ready) {
			publish(p, &p->consumed, mine, 0);
			ready = await(p, have_coder ? &p->coded : &p->produced, mine,
				      mine + PIPE_WAKE);
		}
		struct slot *s = &p->slots[mine % PIPE_SLOTS];
		for (size_t i = 0; i < s->ndiag; i++) {
			/* as the reader would have reported it */
			if (saved_in_ds && saved_in_ds->emit)
				dc_diag_forward(saved_in_ds, &s->diag[i]);
		}
		s->ndiag = 0;
		for (size_t i = 0; i < s->nrej; i++) {
			struct held_reject *h = &s->rej[i];
			if (saved_rejects.reject)
				saved_rejects.reject(saved_rejects.ctx, in->name, h->line, h->error,
						     h->raw, h->rawlen);
			free(h->error);
			free(h->raw);
		}
		s->nrej = 0;
		rc = s->status;
		if (rc == 1) {
			s->enc.input_index = idx;
			if (have_coder)
				emit_encounter(r, &s->enc, &s->ce, st);
			else
				process(r, &s->enc, &s->arena, st);
			tick(r, &t, st, s->raw_bytes, 0);
		}
		mine++;
		if (rc != 1) {
			publish(p, &p->consumed, mine, 1);
			break;
		}
		if (mine % PIPE_BATCH == 0)
			publish(p, &p->consumed, mine, 0);
	}
	pthread_join(th, NULL);
	if (have_coder)
		pthread_join(tc, NULL);
	tick(r, &t, st, in->raw_bytes, 1);
	rd->rejects = saved_rejects;
	rd->ds = saved_rd_ds;
	in->ds = saved_in_ds;
	for (int i = 0; i < PIPE_SLOTS; i++) {
		dc_arena_release(&p->slots[i].arena);
		dc_buf_release(&p->slots[i].out);
		free(p->slots[i].rej);
		free(p->slots[i].diag);
	}
	pthread_mutex_destroy(&p->mu);
	pthread_cond_destroy(&p->produced.cv);
	pthread_cond_destroy(&p->coded.cv);
	pthread_cond_destroy(&p->consumed.cv);
	free(p);
	return rc;
}

static void run_input(struct run *r, int idx)
{
	const char *path = r->o->inputs[idx];
	struct dc_input_stats *st = &r->stats[idx];
	struct dc_input in;
	FILE *tee = NULL;
	r->cur = idx;
	st->path = dc_xstrdup(strcmp(path, "-") == 0 ? "<stdin>" : path);
	st->status = "ok";

	if (dc_input_open_file(&in, path, r->ds) < 0) {
		st->status = "failed";
		st->error = dc_xstrdup("cannot open input");
		r->res->input_failed = 1;
		dc_input_close(&in);
		return;
	}
	if (strcmp(path, "-") == 0) {
		/* standard input cannot be read twice: keep a copy for input_order */
		tee = tmpfile();
		in.tee = tee;
	}
	struct dc_reject_sink rs = { on_reject, r };
	enum dc_format fmt = r->o->format;
	struct dc_reader *rd = open_reader(r, &in, rs, &fmt);
	st->format = fmt == DC_FMT_HL7XML ? "hl7xml" : "csv";
	/*
	 * HL7 v2.xml: the XML parser alone keeps the reading thread busy, so
	 * decompression gets a thread of its own. (Not for CSV: there the work
	 * after reading is the larger part, and a fourth thread costs more
	 * than it gives on two cores.)
	 */
	if (rd && fmt == DC_FMT_HL7XML && r->o->jobs > 1)
		dc_input_start_thread(&in);
	if (!rd) {
		st->status = "failed";
		st->error = dc_xstrdup("input not readable; see the diagnostics");
		r->res->input_failed = 1;
		dc_input_drain(&in);
		goto done;
	}
	note_columns(r, idx, rd);
	/* the first input's set is made, a later input's emptied */
	if ((r->ids.bloom.bits ? dc_idset_clear(&r->ids) : dc_idset_init(&r->ids)) < 0) {
		dc_diag_syserr(r->ds, DC_ERR_IO, path, errno, "cannot create a temporary file");
		r->res->output_failed = 1;
		rd->ops->free(rd);
		goto done;
	}
	r->nrepeated = 0;
	struct dc_stage_mark claims_at[3] = { dc_stage_tell(&r->p_claims),
					      dc_stage_tell(&r->i_claims),
					      dc_stage_tell(&r->uk_claims) };
	r->other_rows = r->other_rejected = r->other_na = 0;
	r->lines_mark = r->lines_open == 1 ? r->lines_out.bytes : 0;
	r->uk_mark = r->uk_open == 1 ? r->uk_out.bytes : 0;

	int rc = r->o->jobs > 1 ? read_piped(r, rd, &in, idx, st) : read_serial(r, rd, &in, idx, st);
	if (rc < 0) {
		st->status = "partial";
		st->error = dc_xstrdup(rc == DC_ERR_IO ? "read error" : "input cut off or corrupt");
		r->res->input_failed = 1;
		/* the SHA-256 and size are the file's, whatever was read ahead */
		dc_input_drain(&in);
	}
	st->rows = rd->rows - r->other_rows - r->other_rejected;
	st->rejected_rows = rd->rejected_rows - r->other_rejected;
	st->not_administered = rd->not_administered - r->other_na;
	/*
	 * Move the staged output on. With repeated ids, their staged lines and
	 * holds are left out and every fragment is staged again, from a second
	 * reading of the input, as an input_order hold.
	 */
	sort_repeated(r);
	int (*keep)(void *, const char *) = r->nrepeated ? keep_id : NULL;
	if (dc_stage_drain(&r->held_stage, keep, r, dc_stage_append, &r->held_all) < 0)
		r->res->output_failed = 1;
	if (r->nrepeated) {
		dc_input_drain(&in);
		retract(r, st, path, tee);
		if (dc_stage_drain(&r->held_stage, NULL, NULL, dc_stage_append, &r->held_all) < 0)
			r->res->output_failed = 1;
	}
	rd->ops->free(rd);
	/*
	 * The input's claims were staged as the run's; those of repeated ids
	 * are taken out, and unless this is the last input they are marked.
	 */
	int last = idx + 1 == r->o->ninputs;
	for (int k = 0; r->ledger && k < 3 && (keep || !last); k++) {
		struct dc_stage *cs = k == 0 ? &r->p_claims : k == 1 ? &r->i_claims : &r->uk_claims;
		if (dc_stage_filter_since(cs, claims_at[k], keep, r, last ? NULL : mark_billed,
					  r) < 0) {
			/* the claims staged may be incomplete */
			if (!r->claims_unsure)
				r->claims_unsure = 2;
			r->res->output_failed = 1;
		}
	}
	if (r->ledger && !last)
		dc_ledger_marks_flush(r->ledger);
	if (r->nrepeated && (filter_tail(r, &r->lc, r->lines_mark, 0) < 0 ||
			     filter_tail(r, &r->uc, r->uk_mark, 1) < 0))
		r->res->output_failed = 1;
	for (size_t i = 0; i < r->nrepeated; i++)
		free(r->repeated[i]);
	r->nrepeated = 0;
done:
	dc_input_sha256(&in, st->sha256);
	st->bytes = in.raw_bytes;
	dc_input_close(&in);
	if (tee)
		fclose(tee);
}

/* ---- held.csv ------------------------------------------------------------- */

struct held_ctx {
	struct run *r;
	struct dc_out *out;
	size_t ncols;           /* canonical + unknown */
	const char **vals;
	struct dc_buf line, scratch;
	char **fields;          /* a staged row split */
	size_t maxfields;
	long **dest;            /* per input, per column: held.csv column, or -1 */
};

/*
 * Splits one staged held row (written by dc_buf_csv: quoted fields with
 * doubled quotes, ended by a newline) in place. Returns the number of fields.
 * The stage holds only what the run wrote, so this is no general CSV reader.
 */
static size_t split_row(char *s, char **fields, size_t max)
{
	size_t n = 0;
	char *w = s;
	while (n < max) {
		fields[n++] = w;
		if (*s == '"') {
			s++;
			for (;;) {
				if (*s == '"' && s[1] == '"') {
					*w++ = '"';
					s += 2;
				} else if (*s == '"' || !*s) {
					if (*s)
						s++;
					break;
				} else {
					*w++ = *s++;
				}
			}
		} else {
			while (*s && *s != ',' && *s != '\n')
				*w++ = *s++;
		}
		char end = *s;
		*w++ = '\0';
		if (end != ',')
			break;
		s++;
	}
	return n;
}

static int held_row(void *ctx, const char *id, const char *p, size_t n)
{
	struct held_ctx *h = ctx;
	struct run *r = h->r;
	(void)id;
	dc_buf_reset(&h->scratch);
	dc_buf_add(&h->scratch, p, n);
	size_t nf = split_row(h->scratch.p, h->fields, h->maxfields);
	if (nf < 4)
		return 0;
	int idx = atoi(h->fields[0]);
	const struct input_cols *c = &r->cols[idx];
	for (size_t k = 0; k < h->ncols; k++)
		h->vals[k] = "";
	for (size_t i = 4; i < nf && i - 4 < c->n; i++) {
		long dest = h->dest[idx][i - 4];
		if (dest >= 0)
			h->vals[dest] = h->fields[i];
	}
	struct dc_buf *b = &h->line;
	dc_buf_reset(b);
	for (size_t k = 0; k < h->ncols; k++) {
		dc_buf_csv(b, h->vals[k]);
		dc_buf_addc(b, ',');
	}
	dc_buf_csv(b, h->fields[2]);
	dc_buf_addc(b, ',');
	dc_buf_csv(b, h->fields[3]);
	dc_buf_addc(b, ',');
	dc_buf_csv(b, r->stats[idx].path);
	dc_buf_addc(b, ',');
	dc_buf_adds(b, h->fields[1]);
	dc_buf_addc(b, '\n');
	dc_out_write(h->out, b->p, b->len);
	return 0;
}

static int write_held(struct run *r, struct dc_out *out)
{
	if (r->held_all.records == 0)
		return 0;
	if (dc_out_open(out, r->o->out_dir, "held.csv", r->o->mode, r->ds) < 0) {
		dc_out_abort(out);
		return -1;
	}
	struct held_ctx h;
	memset(&h, 0, sizeof h);
	h.r = r;
	h.out = out;
	h.ncols = DC_COL_COUNT + r->nunknown;
	h.vals = dc_xcalloc(h.ncols, sizeof *h.vals);
	dc_buf_init(&h.line);
	dc_buf_init(&h.scratch);
	/* where each input column goes in held.csv, worked out once */
	h.dest = dc_xcalloc((size_t)r->o->ninputs, sizeof *h.dest);
	for (int i = 0; i < r->o->ninputs; i++) {
		const struct input_cols *c = &r->cols[i];
		h.dest[i] = dc_xcalloc(c->n ? c->n : 1, sizeof **h.dest);
		if (c->n + 4 > h.maxfields)
			h.maxfields = c->n + 4;
		for (size_t k = 0; k < c->n; k++)
			h.dest[i][k] = c->canon[k] >= 0 ? c->canon[k]
				     : c->unknown[k] >= 0 ? DC_COL_COUNT + c->unknown[k] : -1;
	}
	h.fields = dc_xcalloc(h.maxfields ? h.maxfields : 4, sizeof *h.fields);
	struct dc_buf *b = &h.line;
	for (int k = 0; k < DC_COL_COUNT; k++) {
		dc_buf_adds(b, dc_column_names[k]);
		dc_buf_addc(b, ',');
	}
	for (size_t k = 0; k < r->nunknown; k++) {
		dc_buf_csv(b, r->unknown[k]);
		dc_buf_addc(b, ',');
	}
	dc_buf_adds(b, "hold_category,hold_reason,source,source_line\n");
	dc_out_write(out, b->p, b->len);
	int rc = dc_stage_drain(&r->held_all, NULL, NULL, held_row, &h);
	free(h.vals);
	free(h.fields);
	for (int i = 0; i < r->o->ninputs; i++)
		free(h.dest[i]);
	free(h.dest);
	dc_buf_release(&h.line);
	dc_buf_release(&h.scratch);
	if (rc < 0)
		return -1;
	return 1;
}

/* ---- recording claim files in the ledger ---------------------------------- */

static char *next_field(char **p)
{
	char *s = *p, *t = strchr(s, '\t');
	if (t) {
		*t = '\0';
		*p = t + 1;
	} else {
		*p = s + strlen(s);
	}
	return s;
}

/* Records the claims of the records |p| (claim_record's lines) in the ledger. */
static int record_claims(struct run *r, char *p)
{
	struct dc_ledger *l = r->ledger;
	int st = DC_OK;
	for (char *line = p, *nl; *line && st == DC_OK; line = nl + 1) {
		nl = strchr(line, '\n');
		if (!nl)
			break;
		*nl = '\0';
		if (line[0] != 'C' || line[1] != '\t')
			continue;
		char *f = line + 2;
		char *claim = next_field(&f), *type = next_field(&f), *scheme = next_field(&f);
		char *enc = next_field(&f), *payer = next_field(&f), *date = next_field(&f);
		char *charge = next_field(&f), *freq = next_field(&f);
		(void)type;
		st = dc_ledger_add_claim(l, claim, r->provider, scheme, enc, payer, date,
					 strtoll(charge, NULL, 10), freq, f, (size_t)(nl - f));
	}
	return st;
}

/* ---- 837 files ------------------------------------------------------------ */

/*
 * The ledger's side of writing 837 files, as a queue of jobs done in order:
 * open a file's transaction and reserve its control numbers, record its
 * claims, and, once the file is on disk, commit it as pending, rename it
 * into place and mark it complete (ledger.h). With --jobs a thread of its
 * own does them, so the next file is built and checked while the ledger
 * records and commits this one; the writer knows the next control numbers
 * in advance (dc_ledger_peek_control: the run holds the ledger's lock) and
 * the ledger thread checks them when it reserves them. Without --jobs each
 * job is done as it is queued. Once a job fails, the jobs after it only
 * clean up (roll back, remove the temporary file).
 */
enum { LJ_BEGIN, LJ_CLAIMS, LJ_STAGE, LJ_COMMIT, LJ_ABORT, LJ_RENAME, LJ_STOP };

static void add_info(struct run *r, const char *name, unsigned long claims, uint64_t bytes);
static unsigned long count_claims(const char *p, const char *end);

/* Whether a file of |claims| claims takes a record of |k| more. */
static int file_takes(unsigned long claims, unsigned long k)
{
	return !claims || claims + k <= DC_X12_CLAIMS_PER_FILE;
}

struct ljob {
	int type;
	unsigned seq;                   /* the file sequence it belongs to */
	long isa13, gs06;               /* BEGIN: the numbers the writer used (-1: none) */
	int chained;                    /* BEGIN: numbers that follow the last sequence's files */
	struct dc_stage *stage;         /* STAGE: records read (and emptied) by the ledger thread;
					   CLAIMS: the 837 stage the next file's claims are read from */
	struct dc_out *o;               /* COMMIT, ABORT, RENAME: synced / failed / done file */
	char name[64];
	char kind;                      /* COMMIT: 'P', 'I' (837) or 'U' (uk-line-items.csv) */
	unsigned long claims;           /* COMMIT, RENAME: for summary.json */
	int why;                        /* ABORT: DC_ERR_IO, or DC_ERR_BUG (failed its check) */
};

#define LQ_SIZE 32

struct lworker {
	struct run *r;
	const char *key;
	int threaded;
	pthread_t th;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct ljob q[LQ_SIZE];
	unsigned head, tail;            /* queued: q[head % LQ_SIZE] .. */
	unsigned seq;                   /* the writer's file sequence (lw_sequence) */
	unsigned seq_done;              /* the sequence of the job done last */
	int status;                     /* first failure in that sequence, or 0 */
	int prev_failed;                /* the sequence before it failed */
	int bug;
	int in_file;                    /* a file transaction is open */
	int output_failed;
	struct dc_buf rec;              /* STAGE: the record being recorded */
	/* CLAIMS: the ledger thread's own reading of an 837 stage */
	struct dc_stage *cstage;
	struct dc_stage_reader crd;
	char *cp;                       /* a record read for the next file */
	size_t cn;
	int cpending;
	unsigned long file_claims;      /* the claims recorded for the open file */
};

static void lj_fail(struct lworker *lw, int st)
{
	if (lw->status == DC_OK)
		lw->status = st;
	if (st == DC_ERR_BUG)
		lw->bug = 1;
	else
		lw->output_failed = 1;
}

/* stage drain callback of LJ_STAGE: one record, recorded */
static int lj_record(void *ctx, const char *id, const char *p, size_t n)
{
	struct lworker *lw = ctx;
	(void)id;
	dc_buf_reset(&lw->rec);
	dc_buf_add(&lw->rec, p, n);
	return record_claims(lw->r, lw->rec.p);
}

/* Where a staged 837 record's ledger lines end: at its "\nX\n" line. */
static char *ledger_part_end(char *p, size_t n)
{
	for (char *q = p, *e = p + n; q + 3 <= e; q++) {
		q = memchr(q, '\n', (size_t)(e - q));
		if (!q || q + 3 > e)
			break;
		if (q[1] == 'X' && q[2] == '\n')
			return q;
	}
	return NULL;
}

/*
 * LJ_CLAIMS: records the claims of the next 837 file. This thread reads the
 * stage itself (the writer reads it too, for the bodies), so that the
 * writer never waits for room to hand claims over; both cut the stage into
 * files by file_takes, and the commit checks that they agree.
 */
static int lj_claims(struct lworker *lw, struct dc_stage *stage)
{
	if (lw->cstage != stage) {
		dc_stage_reader_release(&lw->crd);
		dc_stage_reader_init(&lw->crd, stage);
		lw->cstage = stage;
		lw->cpending = 0;
	}
	unsigned long claims = 0;
	lw->file_claims = 0;
	for (;;) {
		if (!lw->cpending) {
			int rc = dc_stage_reader_next(&lw->crd, &lw->cp, &lw->cn);
			if (rc <= 0)
				return rc;
			lw->cpending = 1;
		}
		char *x = ledger_part_end(lw->cp, lw->cn);
		if (!x)
			return DC_ERR_BUG;
		unsigned long k = count_claims(lw->cp, x);
		if (!file_takes(claims, k))
			return DC_OK;
		lw->cpending = 0;
		x[1] = '\0';
		int st = record_claims(lw->r, lw->cp);
		if (st < 0)
			return st;
		lw->file_claims = claims += k;
	}
}

/* Does one job; the ledger is this function's alone while it runs. */
static void lj_run(struct lworker *lw, struct ljob *j)
{
	struct run *r = lw->r;
	if (j->seq != lw->seq_done) {
		/* a new sequence: the failures of the last one do not stop it */
		lw->seq_done = j->seq;
		lw->prev_failed = lw->status < 0;
		lw->status = DC_OK;
	}
	int failed = lw->status < 0;
	switch (j->type) {
	case LJ_BEGIN: {
		long isa13 = -1, gs06 = -1;
		if (failed)
			break;
		if (j->chained && lw->prev_failed) {
			/* its numbers assumed files that were not committed: not sent */
			lj_fail(lw, DC_ERR_IO);
			break;
		}
		if (dc_ledger_file_begin(r->ledger) < 0 ||
		    (j->isa13 >= 0 &&
		     dc_ledger_next_control(r->ledger, lw->key, r->o->shard_k, r->o->shard_n,
					    &isa13, &gs06) < 0)) {
			dc_ledger_file_rollback(r->ledger);
			lj_fail(lw, DC_ERR_IO);
			break;
		}
		lw->in_file = 1;
		if (isa13 != j->isa13 || gs06 != j->gs06) {
			dc_diag_report(r->ds, DC_SEV_ERROR, DC_ERR_BUG, r->o->ledger_path, 0,
				       "ledger: control numbers moved during the run '%ld'", isa13);
			dc_ledger_file_rollback(r->ledger);
			lw->in_file = 0;
			lj_fail(lw, DC_ERR_BUG);
		}
		break;
	}
	case LJ_CLAIMS:
		if (!failed) {
			int st = lj_claims(lw, j->stage);
			if (st < 0)
				lj_fail(lw, st);
		}
		break;
	case LJ_STAGE:
		if (!failed) {
			int st = dc_stage_drain(j->stage, NULL, NULL, lj_record, lw);
			if (st < 0)
				lj_fail(lw, st);
		}
		break;
	case LJ_COMMIT: {
		char final[4096];
		int64_t file_id;
		if (failed) {
			if (lw->in_file)
				dc_ledger_file_rollback(r->ledger);
			lw->in_file = 0;
			dc_out_abort(j->o);
			break;
		}
		snprintf(final, sizeof final, "%s/%s", r->abs_out, j->name);
		lw->in_file = 0;
		if (j->kind != 'U' && lw->file_claims != j->claims) {
			/* the writer and this thread cut the stage into files differently */
			dc_diag_report(r->ds, DC_SEV_ERROR, DC_ERR_BUG, j->name, 0,
				       "ledger: %lu claims recorded for a file of %lu",
				       lw->file_claims, j->claims);
			dc_ledger_file_rollback(r->ledger);
			dc_out_abort(j->o);
			lj_fail(lw, DC_ERR_BUG);
			break;
		}
		if (j->kind == 'U' && dc_out_sync(j->o) < 0) {
			/* uk-line-items.csv is synced here, after its invoices are recorded */
			dc_ledger_file_rollback(r->ledger);
			dc_out_abort(j->o);
			lj_fail(lw, DC_ERR_IO);
			break;
		}
		const char *kind = j->kind == 'P' ? "837P" : j->kind == 'I' ? "837I" : "uk";
		/* the ledger keeps both names absolute: recovery may run from elsewhere */
		char tmp[4096];
		const char *base = strrchr(j->o->tmp, '/');
		snprintf(tmp, sizeof tmp, "%s/%s", r->abs_out, base ? base + 1 : j->o->tmp);
		if (dc_ledger_file_commit(r->ledger, kind, final, tmp, j->isa13, &file_id) !=
		    DC_OK) {
			dc_out_abort(j->o);
			lj_fail(lw, DC_ERR_IO);
			break;
		}
		uint64_t bytes = j->o->bytes;
		if (dc_out_commit(j->o) < 0) {
			/* the temporary file is gone: so are its claims */
			dc_ledger_file_forget(r->ledger, file_id);
			lj_fail(lw, DC_ERR_IO);
			break;
		}
		dc_ledger_file_complete(r->ledger, file_id);
		add_info(r, j->name, j->claims, bytes);
		break;
	}
	case LJ_ABORT:
		if (lw->in_file)
			dc_ledger_file_rollback(r->ledger);
		lw->in_file = 0;
		if (j->o)
			dc_out_abort(j->o);
		lj_fail(lw, j->why);
		break;
	case LJ_RENAME: {
		/* an output without claims, renamed in its turn whatever failed before */
		uint64_t bytes = j->o->bytes;
		if (dc_out_commit(j->o) < 0)
			lw->output_failed = 1;
		else
			add_info(r, j->name, j->claims, bytes);
		break;
	}
	}
	if (j->o) {
		free(j->o);
		j->o = NULL;
	}
}

static void *lworker_main(void *arg)
{
	struct lworker *lw = arg;
	pthread_mutex_lock(&lw->mu);
	for (;;) {
		while (lw->head == lw->tail)
			pthread_cond_wait(&lw->cv, &lw->mu);
		struct ljob *j = &lw->q[lw->head % LQ_SIZE];
		pthread_mutex_unlock(&lw->mu);
		int stop = j->type == LJ_STOP;
		if (!stop)
			lj_run(lw, j);
		pthread_mutex_lock(&lw->mu);
		lw->head++;
		pthread_cond_broadcast(&lw->cv);
		if (stop)
			break;
	}
	pthread_mutex_unlock(&lw->mu);
	return NULL;
}

/* A job slot for the writer to fill and then lw_push; waits for room. */
static struct ljob *lw_slot(struct lworker *lw)
{
	if (!lw->threaded)
		return &lw->q[0];
	pthread_mutex_lock(&lw->mu);
	while (lw->tail - lw->head == LQ_SIZE)
		pthread_cond_wait(&lw->cv, &lw->mu);
	pthread_mutex_unlock(&lw->mu);
	return &lw->q[lw->tail % LQ_SIZE];
}

static void lw_push(struct lworker *lw, struct ljob *j)
{
	if (!lw->threaded) {
		lj_run(lw, j);
		return;
	}
	pthread_mutex_lock(&lw->mu);
	lw->tail++;
	pthread_cond_broadcast(&lw->cv);
	pthread_mutex_unlock(&lw->mu);
}

static void lw_begin(struct lworker *lw, int type, long isa13, long gs06, int chained)
{
	struct ljob *j = lw_slot(lw);
	j->type = type;
	j->seq = lw->seq;
	j->isa13 = isa13;
	j->gs06 = gs06;
	j->chained = chained;
	j->o = NULL;
	lw_push(lw, j);
}

static void lw_simple(struct lworker *lw, int type, long isa13, long gs06)
{
	lw_begin(lw, type, isa13, gs06, 0);
}

/* A file on disk (COMMIT) or one given up (ABORT, |o| may be NULL). */
static void lw_file(struct lworker *lw, int type, struct dc_out *o, const char *name, char kind,
		    long isa13, unsigned long claims)
{
	struct ljob *j = lw_slot(lw);
	j->type = type;
	j->seq = lw->seq;
	j->o = NULL;
	if (o) {
		j->o = dc_xmalloc(sizeof *o);
		*j->o = *o;
	}
	snprintf(j->name, sizeof j->name, "%s", name);
	j->kind = kind;
	j->isa13 = isa13;
	j->claims = claims;
	lw_push(lw, j);
}

/* A file given up (|o| may not be open): roll back, remove it. */
static void lw_abort(struct lworker *lw, struct dc_out *o, int why)
{
	struct ljob *j = lw_slot(lw);
	j->type = LJ_ABORT;
	j->seq = lw->seq;
	j->o = dc_xmalloc(sizeof *o);
	*j->o = *o;
	j->why = why;
	lw_push(lw, j);
}

/* Has a job of the writer's current sequence failed? */
static int lw_failed(struct lworker *lw)
{
	if (lw->threaded)
		pthread_mutex_lock(&lw->mu);
	int f = lw->status < 0 && lw->seq_done == lw->seq;
	if (lw->threaded)
		pthread_mutex_unlock(&lw->mu);
	return f;
}

/* Starts a sequence of files: what failed before does not stop it. */
static void lw_sequence(struct lworker *lw)
{
	lw->seq++;
}

/* Renames an output without claims in its turn (after the claim files). */
static void lw_rename(struct lworker *lw, struct dc_out *o, int *open, unsigned long claims)
{
	if (*open != 1)
		return;
	*open = 0;
	lw_file(lw, LJ_RENAME, o, o->name ? o->name : "", 0, -1, claims);
}

/*
 * Records read from |stage| by the ledger thread: all of them (LJ_STAGE),
 * or the claims of the next 837 file (LJ_CLAIMS).
 */
static void lw_stage(struct lworker *lw, int type, struct dc_stage *stage)
{
	struct ljob *j = lw_slot(lw);
	j->type = type;
	j->seq = lw->seq;
	j->o = NULL;
	j->stage = stage;
	lw_push(lw, j);
}

static void lw_start(struct lworker *lw, struct run *r, const char *key, int threads)
{
	memset(lw, 0, sizeof *lw);
	lw->r = r;
	lw->key = key;
	dc_buf_init(&lw->rec);
	if (threads) {
		pthread_mutex_init(&lw->mu, NULL);
		pthread_cond_init(&lw->cv, NULL);
		lw->threaded = pthread_create(&lw->th, NULL, lworker_main, lw) == 0;
		if (!lw->threaded) {
			pthread_mutex_destroy(&lw->mu);
			pthread_cond_destroy(&lw->cv);
		}
	}
}

/* Waits until every job queued so far is done. */
static void lw_wait(struct lworker *lw)
{
	if (!lw->threaded)
		return;
	pthread_mutex_lock(&lw->mu);
	while (lw->head != lw->tail)
		pthread_cond_wait(&lw->cv, &lw->mu);
	pthread_mutex_unlock(&lw->mu);
}

/* Waits for every job; the ledger is the caller's again. */
static void lw_stop(struct lworker *lw)
{
	if (lw->threaded) {
		lw_simple(lw, LJ_STOP, 0, 0);
		pthread_join(lw->th, NULL);
		pthread_mutex_destroy(&lw->mu);
		pthread_cond_destroy(&lw->cv);
	}
	if (lw->in_file)
		dc_ledger_file_rollback(lw->r->ledger);
	dc_buf_release(&lw->rec);
	dc_stage_reader_release(&lw->crd);
	if (lw->output_failed)
		lw->r->res->output_failed = 1;
	if (lw->bug)
		lw->r->res->bug = 1;
}

struct w837 {
	struct run *r;
	struct lworker *lw;
	struct dc_stage *st;
	struct dc_stage_iter it;
	int pending, eof;
	const char *pid, *pp;
	size_t pn;
	unsigned long claims;          /* in the current file */
};

static unsigned long count_claims(const char *p, const char *end)
{
	unsigned long n = 0;
	for (const char *q = p; q < end; q = strchr(q, '\n') + 1) {
		if (q[0] == 'C' && q[1] == '\t')
			n++;
		if (!strchr(q, '\n'))
			break;
	}
	return n;
}

/* dc_x12_file_write's source of bodies (the ledger thread reads the ledger lines itself) */
static int next_body(void *ctx, const char **body, size_t *len)
{
	struct w837 *w = ctx;
	if (!w->pending) {
		if (w->eof)
			return 0;
		int rc = dc_stage_read(w->st, &w->it, &w->pid, &w->pp, &w->pn);
		if (rc <= 0) {
			w->eof = 1;
			return rc;
		}
		w->pending = 1;
	}
	const char *x = strstr(w->pp, "\nX\n");
	if (!x)
		return DC_ERR_BUG;
	unsigned long k = count_claims(w->pp, x);
	if (!file_takes(w->claims, k))
		return 0;   /* the record opens the next file */
	w->pending = 0;
	w->claims += k;
	*body = x + 3;
	*len = w->pn - (size_t)(x + 3 - w->pp);
	return 1;
}

static void add_info(struct run *r, const char *name, unsigned long claims, uint64_t bytes)
{
	r->info = dc_xrealloc(r->info, (r->ninfo + 1) * sizeof *r->info);
	r->info[r->ninfo].path = dc_xstrdup(name);
	r->info[r->ninfo].claims = claims;
	r->info[r->ninfo].bytes = bytes;
	r->ninfo++;
}

/*
 * Writes the staged claims of one kind as 837 files of at most
 * DC_X12_CLAIMS_PER_FILE claims, each with the next ISA13 of the profile,
 * recorded in the ledger as it is renamed into place. The first file takes
 * |first_isa13| and |first_gs06| when they are known (> 0; |chained| when
 * they follow the files of the last call), else the numbers the ledger
 * holds once every job queued before is done. Sets |*last_isa13| and
 * |*last_gs06| to the numbers of its last file (left as they are: none).
 */
static void write_837(struct run *r, char kind, struct dc_stage *claims, struct lworker *lwp,
		      long first_isa13, long first_gs06, int chained, long *last_isa13,
		      long *last_gs06)
{
	if (!claims->records)
		return;
	struct w837 w;
	memset(&w, 0, sizeof w);
	w.r = r;
	w.st = claims;
	if (dc_stage_rewind(claims, &w.it) < 0) {
		r->res->output_failed = 1;
		return;
	}
	const char *key = lwp->key;
	long isa13 = first_isa13, gs06 = first_gs06;
	/* else the numbers the ledger holds now: the files before are committed */
	if (isa13 <= 0)
		lw_wait(lwp);
	if (isa13 <= 0 && dc_ledger_peek_control(r->ledger, key, r->o->shard_k, r->o->shard_n,
						 0, 0, &isa13, &gs06) < 0) {
		r->res->output_failed = 1;
		dc_stage_iter_release(&w.it);
		return;
	}
	lw_sequence(lwp);
	w.lw = lwp;
	for (int first = 1; (!w.eof || w.pending) && !lw_failed(lwp); first = 0) {
		char name[64];
		struct dc_out o;
		if (!first)
			dc_ledger_peek_control(r->ledger, key, r->o->shard_k, r->o->shard_n, isa13,
					       gs06, &isa13, &gs06);
		lw_begin(lwp, LJ_BEGIN, isa13, gs06, first && chained);
		*last_isa13 = isa13;
		*last_gs06 = gs06;
		lw_stage(lwp, LJ_CLAIMS, claims);
		snprintf(name, sizeof name, "837%c-%09ld.x12", kind == 'P' ? 'p' : 'i', isa13);
		if (dc_out_open(&o, r->o->out_dir, name, r->o->mode, r->ds) < 0) {
			lw_abort(lwp, &o, DC_ERR_IO);
			break;
		}
		w.claims = 0;
		int rc = dc_x12_file_write(&o, kind, r->o->profile, isa13, gs06, r->o->now,
					   next_body, &w, r->ds);
		if (rc == DC_OK)
			rc = dc_out_sync(&o);
		if (rc != DC_OK) {
			if (rc == DC_ERR_BUG) {
				r->res->bug = 1;
				dc_diag_report(r->ds, DC_SEV_ERROR, DC_ERR_BUG, name, 0,
					       "the claim file failed its own check and was not written;"
					       " please report this");
			}
			lw_abort(lwp, &o, rc == DC_ERR_BUG ? DC_ERR_BUG : DC_ERR_IO);
			break;
		}
		lw_file(lwp, LJ_COMMIT, &o, name, kind, isa13, w.claims);
	}
	/* the stage is left as it is: the ledger thread may still be reading it */
	dc_stage_iter_release(&w.it);
}

/* summary.json's order of the outputs: the claim files, then the others */
static int info_rank(const char *name)
{
	static const char *const order[] = { "837p-", "837i-", "lines.csv", "uk-line-items.csv",
					     "held.csv", "rejects.csv" };
	for (int i = 0; i < (int)(sizeof order / sizeof order[0]); i++)
		if (!strncmp(name, order[i], strlen(order[i])))
			return i;
	return (int)(sizeof order / sizeof order[0]);
}

/* Puts the outputs in summary.json's order, each kind in the order written. */
static void sort_info(struct run *r)
{
	for (size_t i = 1; i < r->ninfo; i++) {
		struct dc_output_info t = r->info[i];
		size_t k = i;
		for (; k > 0 && info_rank(r->info[k - 1].path) > info_rank(t.path); k--)
			r->info[k] = r->info[k - 1];
		r->info[k] = t;
	}
}

/* ---- the run -------------------------------------------------------------- */

/* The run's date, from --now (YYYY-MM-DDTHH:MM), for timely-filing checks. */
static void set_today(struct dc_rules *rules, const char *now)
{
	char day[11];
	int32_t d;
	if (now && strlen(now) >= 10) {
		memcpy(day, now, 10);
		day[10] = '\0';
		if (dc_date_parse(day, &d) == 0)
			rules->today = d;
	}
}

static int prepare_out_dir(const char *dir, mode_t mode, struct dc_diag_sink *ds)
{
	struct stat st;
	if (stat(dir, &st) == 0) {
		if (!S_ISDIR(st.st_mode))
			return dc_diag_report(ds, DC_SEV_ERROR, DC_ERR_USAGE, dir, 0,
					      "output path is not a directory");
		DIR *d = opendir(dir);
		if (!d)
			return dc_diag_syserr(ds, DC_ERR_USAGE, dir, errno,
					      "cannot read output directory");
		struct dirent *e;
		int empty = 1;
		while ((e = readdir(d)))
			if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
				empty = 0;
		closedir(d);
		if (!empty)
			return dc_diag_report(ds, DC_SEV_ERROR, DC_ERR_USAGE, dir, 0,
				"output directory is not empty: a run never writes over another run's files");
		return DC_OK;
	}
	/* mkdir -p, with the directories as private as the files */
	char *p = dc_xstrdup(dir);
	mode_t dmode = (mode_t)(mode | ((mode & 0444) >> 2) | 0700);
	for (char *s = p + 1; *s; s++) {
		if (*s != '/')
			continue;
		*s = '\0';
		if (mkdir(p, dmode) != 0 && errno != EEXIST) {
			int e = errno;
			free(p);
			return dc_diag_syserr(ds, DC_ERR_USAGE, dir, e, "cannot create output directory");
		}
		*s = '/';
	}
	if (mkdir(p, dmode) != 0 && errno != EEXIST) {
		int e = errno;
		free(p);
		return dc_diag_syserr(ds, DC_ERR_USAGE, dir, e, "cannot create output directory");
	}
	free(p);
	return DC_OK;
}

static void add_stats(struct dc_input_stats *t, const struct dc_input_stats *s)
{
	t->rows += s->rows;
	t->encounters += s->encounters;
	t->coded += s->coded;
	t->held += s->held;
	t->rejected_rows += s->rejected_rows;
	t->already_billed += s->already_billed;
	t->not_administered += s->not_administered;
	t->no_claim += s->no_claim;
	t->claims += s->claims;
	t->lines += s->lines;
	t->charge += s->charge;
	t->rows_coded += s->rows_coded;
	t->rows_held += s->rows_held;
	t->rows_already += s->rows_already;
}

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int dc_run(const struct dc_run_opts *o, struct dc_diag_sink *ds, struct dc_run_result *res)
{
	struct run R, *r = &R;
	double t0 = now_s();
	memset(r, 0, sizeof *r);
	memset(res, 0, sizeof *res);
	r->o = o;
	r->ds = ds;
	r->res = res;

	if (dc_rules_load(&r->rules, o->rules_dir ? o->rules_dir : dc_rules_default_dir(),
			  o->overlay, ds) < 0) {
		res->config_error = 1;
		dc_rules_release(&r->rules);
		return DC_ERR_RULE;
	}
	set_today(&r->rules, o->now);
	if (o->write_claims && !o->dry_run) {
		char *path = o->ledger_path ? dc_xstrdup(o->ledger_path) : dc_ledger_default_path();
		int lrc = dc_ledger_open(&r->ledger, path, o->wait_s, 0600, ds);
		free(path);
		if (lrc == DC_ERR_BUSY) {
			res->locked = 1;
			dc_rules_release(&r->rules);
			return lrc;
		}
		if (lrc < 0) {
			res->output_failed = 1;
			dc_rules_release(&r->rules);
			return lrc;
		}
		r->provider = o->profile->billing_npi;
		/* an input's marks are written while the next input is read */
		if (o->jobs > 1)
			dc_ledger_marks_in_background(r->ledger);
	}
	if (prepare_out_dir(o->out_dir, o->mode, ds) < 0) {
		res->config_error = 1;
		dc_ledger_close(r->ledger);
		dc_rules_release(&r->rules);
		return DC_ERR_USAGE;
	}
	r->abs_out = realpath(o->out_dir, NULL);
	if (!r->abs_out)
		r->abs_out = dc_xstrdup(o->out_dir);
	if (r->ledger) {
		/* what recovery could not do is reported, and left for the next run */
		if (dc_ledger_recover(r->ledger, ds) < 0)
			res->output_failed = 1;
		if (dc_ledger_begin_run(r->ledger, o->out_dir, o->now) < 0)
			res->output_failed = 1;
	}
	if (dc_stage_open(&r->held_stage) < 0 || dc_stage_open(&r->held_all) < 0 ||
	    dc_stage_open(&r->uk_claims) < 0 ||
	    dc_stage_open(&r->p_claims) < 0 || dc_stage_open(&r->i_claims) < 0) {
		dc_diag_syserr(ds, DC_ERR_IO, o->out_dir, errno, "cannot create a temporary file");
		res->output_failed = 1;
		goto out;
	}
	dc_buf_init(&r->buf);
	r->lc = (struct copy_ctx){ r, &r->lines_out, "lines.csv", &r->lines_open, dc_lines_header };
	r->uc = (struct copy_ctx){ r, &r->uk_out, "uk-line-items.csv", &r->uk_open,
				   dc_uk_items_header };
	r->stats = dc_xcalloc((size_t)o->ninputs, sizeof *r->stats);
	r->cols = dc_xcalloc((size_t)o->ninputs, sizeof *r->cols);
	for (int i = 0; i < o->ninputs; i++) {
		run_input(r, i);
		add_stats(&r->totals, &r->stats[i]);
	}
	/* the inputs' memory is not kept for the claim files */
	dc_idset_release(&r->ids);
	/* a mark that could not be written may have let an encounter through */
	if (r->ledger && dc_ledger_marks_wait(r->ledger) < 0)
		r->claims_unsure = 1;

	/*
	 * The files, in this order: uk-line-items.csv, 837P, 837I, lines.csv,
	 * held.csv, rejects.csv. With --jobs the ledger's part and the renames
	 * run in that order on the ledger thread (lworker): it reads and
	 * records the UK invoices itself while this thread builds the 837
	 * files, then records each 837 file while this thread builds the next.
	 */
	struct lworker lw;
	lw_start(&lw, r, dc_profile_key(o->profile), o->jobs > 1 && r->ledger);
	/* a file whose rows were all taken back would be a header alone: no file */
	if (r->lines_open == 1 && r->lines_out.bytes == strlen(dc_lines_header)) {
		dc_out_abort(&r->lines_out);
		r->lines_open = 0;
	}
	if (r->uk_open == 1 && r->uk_out.bytes == strlen(dc_uk_items_header)) {
		dc_out_abort(&r->uk_out);
		r->uk_open = 0;
	}
	long isa13 = 0, gs06 = 0;
	/* the 837 files' first numbers, read before the ledger thread has work */
	if (r->ledger && (r->p_claims.records || r->i_claims.records) &&
	    dc_ledger_peek_control(r->ledger, lw.key, o->shard_k, o->shard_n, 0, 0, &isa13,
				   &gs06) < 0)
		isa13 = gs06 = 0;
	if (r->ledger && r->claims_unsure == 1)
		dc_diag_report(ds, DC_SEV_ERROR, DC_ERR_IO, dc_ledger_path(r->ledger), 0,
			       "no claim file written: the ledger could not be read, so an "
			       "encounter billed before could not be told from a new one");
	else if (r->ledger && r->claims_unsure)
		dc_diag_report(ds, DC_SEV_ERROR, DC_ERR_IO, o->out_dir, 0,
			       "no claim file written: the run's staged claims could not be "
			       "read back from their temporary file");
	if (r->ledger && r->claims_unsure) {
		res->output_failed = 1;
		if (r->uk_open == 1) {
			dc_out_abort(&r->uk_out);
			r->uk_open = 0;
		}
	}
	if (r->uk_open == 1 && r->ledger) {
		/* the UK invoices go out in uk-line-items.csv: record, sync, commit */
		r->uk_open = 0;
		lw_sequence(&lw);
		if (dc_out_flush(&r->uk_out) < 0) {
			lw_abort(&lw, &r->uk_out, DC_ERR_IO);
		} else {
			r->uk_invoices = (unsigned long)r->uk_claims.records;
			lw_simple(&lw, LJ_BEGIN, -1, -1);
			lw_stage(&lw, LJ_STAGE, &r->uk_claims);
			const char *name = r->uk_out.name ? r->uk_out.name : "";
			lw_file(&lw, LJ_COMMIT, &r->uk_out, name, 'U', -1, r->uk_invoices);
		}
	}
	if (r->ledger && !r->claims_unsure) {
		long last_isa13 = 0, last_gs06 = 0;
		write_837(r, 'P', &r->p_claims, &lw, isa13, gs06, 0, &last_isa13, &last_gs06);
		/*
		 * The 837I files' numbers follow the 837P files', known before
		 * the ledger thread has recorded them (it checks them, and sends
		 * no 837I file if an 837P file failed there); without 837P files
		 * they are the first numbers.
		 */
		int chained = last_isa13 > 0;
		if (chained && (lw_failed(&lw) ||
				dc_ledger_peek_control(r->ledger, lw.key, o->shard_k, o->shard_n,
						       last_isa13, last_gs06, &isa13, &gs06) < 0))
			isa13 = gs06 = chained = 0;
		write_837(r, 'I', &r->i_claims, &lw, isa13, gs06, chained, &last_isa13, &last_gs06);
	}
	lw_rename(&lw, &r->lines_out, &r->lines_open, 0);
	lw_rename(&lw, &r->uk_out, &r->uk_open, r->uk_invoices);
	struct dc_out held_out;
	int held_open = write_held(r, &held_out);
	if (held_open < 0)
		res->output_failed = 1;
	lw_rename(&lw, &held_out, &held_open, 0);
	lw_rename(&lw, &r->rejects_out, &r->rejects_open, 0);
	lw_stop(&lw);
	sort_info(r);

	struct dc_summary s = { o->version, o->command, o->now, r->stats, (size_t)o->ninputs,
		&r->totals, r->holds, r->unknown, r->nunknown, r->warn, r->nwarn, r->info, r->ninfo,
		now_s() - t0, 0 };
	struct dc_out sum;
	s.exit_status = o->exit_status ? o->exit_status(res) : 0;
	if (dc_out_open(&sum, o->out_dir, "summary.json", o->mode, ds) == 0) {
		dc_buf_reset(&r->buf);
		dc_summary_format(&r->buf, &s);
		dc_out_write(&sum, r->buf.p, r->buf.len);
		if (dc_out_commit(&sum) < 0)
			res->output_failed = 1;
	} else {
		dc_out_abort(&sum);
		res->output_failed = 1;
	}

out:
	if (r->lines_open == 1)
		dc_out_abort(&r->lines_out);
	if (r->uk_open == 1)
		dc_out_abort(&r->uk_out);
	if (r->rejects_open == 1)
		dc_out_abort(&r->rejects_out);
	dc_stage_close(&r->held_stage);
	dc_stage_close(&r->held_all);
	dc_stage_close(&r->uk_claims);
	dc_stage_close(&r->p_claims);
	dc_stage_close(&r->i_claims);
	dc_buf_release(&r->buf);
	if (r->ledger) {
		for (int i = 0; r->stats && i < o->ninputs; i++)
			dc_ledger_add_input(r->ledger, r->stats[i].path, r->stats[i].bytes,
					    r->stats[i].sha256, o->now, r->stats[i].rows,
					    r->stats[i].coded, r->stats[i].held,
					    r->stats[i].rejected_rows);
		dc_ledger_end_run(r->ledger, o->exit_status ? o->exit_status(res) : 0);
		dc_ledger_close(r->ledger);
	}
	free(r->abs_out);
	for (size_t i = 0; i < r->ninfo; i++)
		free((char *)r->info[i].path);
	free(r->info);
	for (int i = 0; r->stats && i < o->ninputs; i++) {
		free(r->stats[i].path);
		free(r->stats[i].error);
		for (size_t k = 0; k < r->cols[i].n; k++)
			free(r->cols[i].names[k]);
		free(r->cols[i].names);
		free(r->cols[i].canon);
		free(r->cols[i].unknown);
	}
	free(r->stats);
	free(r->cols);
	for (size_t i = 0; i < r->nwarn; i++)
		free(r->warn[i].rule);
	free(r->warn);
	for (size_t i = 0; i < r->nunknown; i++)
		free(r->unknown[i]);
	free(r->unknown);
	free(r->repeated);
	dc_idset_release(&r->ids);
	dc_rules_release(&r->rules);
	return DC_OK;
}

/* ---- explain -------------------------------------------------------------- */

int dc_run_explain(const struct dc_run_opts *o, const char *input, const char *id,
		   struct dc_diag_sink *ds,
		   void (*fn)(void *ctx, const struct dc_encounter *enc,
			      const struct dc_coded *coded),
		   void *ctx)
{
	struct run R, *r = &R;
	struct dc_run_result res;
	memset(r, 0, sizeof *r);
	memset(&res, 0, sizeof res);
	r->o = o;
	r->ds = ds;
	r->res = &res;
	if (dc_rules_load(&r->rules, o->rules_dir ? o->rules_dir : dc_rules_default_dir(),
			  o->overlay, ds) < 0) {
		dc_rules_release(&r->rules);
		return DC_ERR_RULE;
	}
	set_today(&r->rules, o->now);
	struct dc_input in;
	int found = 0;
	if (dc_input_open_file(&in, input, ds) < 0) {
		dc_input_close(&in);
		dc_rules_release(&r->rules);
		return DC_ERR_IO;
	}
	struct dc_reject_sink none = { NULL, NULL };
	enum dc_format fmt = o->format;
	struct dc_reader *rd = open_reader(r, &in, none, &fmt);
	if (!rd) {
		dc_input_close(&in);
		dc_rules_release(&r->rules);
		return DC_ERR_PARSE;
	}
	struct dc_arena a;
	dc_arena_init(&a, 0);
	struct dc_encounter enc;
	struct dc_coded coded;
	int rc;
	while ((rc = rd->ops->next(rd, &enc, &a)) == 1) {
		if (!strcmp(enc.f[DC_E_ENCOUNTER_ID], id)) {
			found++;
			if (found > 1) {
				enc.hold = DC_HOLD_INPUT_ORDER;
				enc.hold_reason = "encounter_id appears again after other encounters";
			}
			int already, replaces, unsure;
			code_one(&r->rules, o->default_scheme, NULL, NULL, 0, &enc, &coded, &a,
				 &already, &replaces, &unsure, 1);
			fn(ctx, &enc, &coded);
		}
		dc_arena_reset(&a);
	}
	dc_arena_release(&a);
	rd->ops->free(rd);
	dc_input_close(&in);
	dc_rules_release(&r->rules);
	return rc < 0 ? rc : found > 0;
}
