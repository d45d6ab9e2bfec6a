/*
 * US coding engine: CPT drug administration (96360-96549), HCPCS drug lines
 * with NDC, visits and the claim checks of spec/coding-us.md.
 *
 * dc_us_code() runs on one validated US encounter, in these steps:
 *
 *   1. classify every drug row (US-CLASSIFY) and time it (US-TIME,
 *      US-OVERNIGHT, US-STOP-DERIVED); rows sharing admin_id are one
 *      administration, administrations sharing bag_id one service (one
 *      infusate, not concurrent infusions);
 *   2. give each service its kind: IV infusion, push, hydration, SC/IM
 *      injection, intra-arterial, SC infusion, prolonged pump chemo
 *      (US-PUSH-15, US-PUSH-NO-STOP, US-ELECTROLYTE, US-NOT-BILLED), its
 *      access site (US-SITE) and, for hydration, its reportable periods
 *      (US-HYD-31, US-HYD-NO-STOP, US-HYD-CONCURRENT);
 *   3. choose one initial service per access site (US-INITIAL-ONE,
 *      US-HIER-FACILITY, US-TIE, US-PRIMARY-PHYSICIAN) and code every
 *      service against it (table of coding-us.md section 4). When an add-on
 *      of a site has no parent there (US-ADDON-PARENT) the site's initial is
 *      chosen again by the facility order and everything is coded again;
 *   4. drug lines (US-DRUG-UNITS, JW, JZ, US-NDC, US-NOC, US-FLUID), visits
 *      and procedures (US-EM-*, US-BUNDLED), US-PHYS-FACILITY;
 *   5. claim checks that hold the encounter (US-NDC, US-NOC, US-AUTH,
 *      US-MUE, US-FILING); a held encounter keeps its warnings and notes but
 *      gets no lines (as the UK coder does);
 *   6. claim order, merging of equal code+modifier lines (one 96375 x 3
 *      line rather than three), 837P split at 50 lines, REF*6R values.
 *
 * Thread safety: no static mutable state. The rules are only read; the
 * generic-name index is built in the encounter's arena the first time an
 * encounter needs it (a handful of encounters in a batch identify drugs by
 * name only). A process-wide index was rejected: it would have to be keyed
 * to one struct dc_rules (tests and --rules-overlay load several) and
 * guarded by a lock or pthread_once, for a table of about 80 rows.
 */
#include "rulesets/us_coder.h"
#include "rulesets/dc_coder.h"
#include "engine/dc_status.h"
#include "engine/buf.h"
#include "engine/validate.h"

#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ------------------------------------------------------------------ */
/* model                                                               */

enum tcat { TC_THER = 0, TC_CHEMO, TC_HORMONAL, TC_FLUID, TC_ELEC };
/* effective category of an administration (purpose and bag applied) */
enum ecat { EC_NONE = 0, EC_HYD = 1, EC_THER = 2, EC_CHEMO = 3 };
enum kind { K_NONE = 0, K_INF, K_PUSH, K_HYD, K_INJ, K_IA, K_SCINF, K_PUMP };
enum route { R_IV = 0, R_SC, R_IM, R_IA, R_ID };
enum method { M_NONE = 0, M_INFUSION, M_PUSH, M_INJECTION };
enum purpose { P_NONE = 0, P_THER, P_CHEMO, P_HYD, P_KVO, P_VEHICLE, P_FLUSH };
enum why_push { WP_NONE = 0, WP_METHOD, WP_15, WP_NOSTOP };
enum line_kind { KL_ADMIN = 0, KL_DRUG, KL_WASTE, KL_VISIT, KL_PROC };

struct adm;
struct svc;

/* one drug row of the extract, classified */
struct drow {
	struct dc_item *it;
	long d;                 /* us/drugs.csv row */
	long n;                 /* us/ndc.csv row, -1 */
	const char *code;       /* HCPCS it bills under */
	const char *how;        /* "code", "ndc", "name" */
	int tcat;
	int purpose;
	struct adm *adm;
};

struct seg {
	int64_t s, e;
	int has_s, has_e;
	struct dc_item *it;
};

/* rows sharing admin_id (or one row): one administration */
struct adm {
	struct drow **r;
	size_t nr;
	int purpose, route, method, excluded, ecat, primary;
	const char *site_raw;
	int site;
	const char *bag;
	struct seg *segs;
	size_t nseg;
	int64_t run;            /* running seconds, drip to drip */
	int minutes;
	int timed;              /* every segment has a start and a stop */
	int has_start;
	int64_t start, stop;
	int derived, overnight;
	unsigned long line;
	struct svc *svc;
};

struct period {
	int64_t s, e;
	int minutes;
	int split;              /* cut by another infusion (US-HYD-CONCURRENT) */
};

/* administrations sharing bag_id (or one): one service for coding */
struct svc {
	struct adm **m;
	size_t nm;
	struct adm *lead;
	int cat, hormonal, kind, why, site, rank;
	int64_t start, stop;
	int has_start, minutes;
	struct period *per;
	size_t nper;
	const char *mix;        /* sorted codes of the infusate */
	const char *name;       /* for messages */
	const char *src;        /* source lines */
	const char *pump_how;
	int primary, adverse, reported;
	int ord;                /* position of its first line in claim order */
	unsigned long line;
	size_t idx;
};

/* a line before claim order and merging */
struct cl {
	int kind;
	const char *code, *mods, *rule, *src, *arith, *desc, *ndc, *nunit;
	struct dc_dec units, nq;
	int64_t charge;
	int has_charge;         /* charge from the extract */
	int64_t t;
	unsigned long line;
	int grp, site, iv, dead, seq, ord;
	struct svc *svc;
};

struct names {                  /* generic name -> drugs row (arena) */
	const char **key;
	long *row;
	size_t n;
};

struct ctx {
	const struct dc_rules *r;
	struct dc_encounter *enc;
	struct dc_coded *out;
	struct dc_arena *a;
	int facility, phys_fac;
	const char *pos;
	long payer;
	const char *dmod;
	int jw, jz, ndc_req;
	const char *claim_type, *dxp;
	struct drow *rows;
	size_t nrows;
	struct adm *adms;
	size_t nadm;
	struct svc *svcs;
	size_t nsvc;
	const char **sites;
	size_t nsites;
	struct cl *al;          /* administration lines of the current pass */
	size_t nal, alcap;
	struct cl *ol;          /* drug, visit and procedure lines */
	size_t nol, olcap;
	int emit;               /* final pass: warnings and notes are recorded */
	int seq;
	struct names *names;
	int *init;              /* per site: index into svcs, -1 */
	int first_site;         /* the first site that has an initial service */
	const char **init_rule; /* per site: selection rule ids */
};

#define NOTIME INT64_MAX

/* ------------------------------------------------------------------ */
/* small helpers                                                       */

static int has_id(const char *list, const char *id)
{
	size_t n = strlen(id);
	for (const char *p = list; *p;) {
		const char *e = strchr(p, ';');
		size_t k = e ? (size_t)(e - p) : strlen(p);
		if (k == n && !strncmp(p, id, n))
			return 1;
		if (!e)
			break;
		p = e + 1;
	}
	return 0;
}

/* |list| with |id| appended unless present (';'-separated) */
static const char *add_id(struct dc_arena *a, const char *list, const char *id)
{
	if (!id || !*id || has_id(list, id))
		return list;
	if (!*list)
		return id;
	size_t n = strlen(list), m = strlen(id);
	char *out = dc_arena_alloc(a, n + m + 2);
	memcpy(out, list, n);
	out[n] = ';';
	memcpy(out + n + 1, id, m + 1);
	return out;
}

static const char *add_ids(struct dc_arena *a, const char *list, const char *more)
{
	char buf[32];
	for (const char *p = more; p && *p;) {
		const char *e = strchr(p, ';');
		size_t k = e ? (size_t)(e - p) : strlen(p);
		if (k && k < sizeof buf) {
			memcpy(buf, p, k);
			buf[k] = '\0';
			if (!has_id(list, buf))
				list = add_id(a, list, dc_arena_strdup(a, buf));
		}
		if (!e)
			break;
		p = e + 1;
	}
	return list;
}

static const char *upper_dup(struct dc_arena *a, const char *s)
{
	char *p = dc_arena_strdup(a, s);
	for (char *q = p; *q; q++)
		*q = (char)toupper((unsigned char)*q);
	return p;
}

/* lowercase, trimmed, inner white space collapsed (US-SITE, name matching) */
static const char *norm_dup(struct dc_arena *a, const char *s)
{
	size_t n = strlen(s);
	char *p = dc_arena_alloc(a, n + 1), *o = p;
	int space = 0;
	for (; *s; s++) {
		if (isspace((unsigned char)*s)) {
			space = o > p;
			continue;
		}
		if (space)
			*o++ = ' ';
		space = 0;
		*o++ = (char)tolower((unsigned char)*s);
	}
	*o = '\0';
	return p;
}

static const char *hhmm(int64_t t, char *buf, size_t n)
{
	if (t == NOTIME) {
		dc_format(buf, n, "?");
		return buf;
	}
	int64_t s = ((t % 86400) + 86400) % 86400;
	dc_format(buf, n, "%02d:%02d", (int)(s / 3600), (int)(s / 60 % 60));
	return buf;
}

static const char *dec_str(struct dc_dec d, char *buf, size_t n)
{
	return dc_dec_format(d, buf, n);
}

static struct dc_dec dec_units(int64_t u)
{
	struct dc_dec d = { u * DC_DEC_SCALE };
	return d;
}

static const char *tval(const struct dc_table *t, long row, const char *col)
{
	return dc_table_value(t, row, col);
}

static int yes(const char *v)
{
	return v[0] == 'Y' || v[0] == 'y';
}

static int parse_dec(const char *s, struct dc_dec *d)
{
	return *s && dc_dec_parse(s, d) == 0 && d->v >= 0 ? 0 : -1;
}

/* the kind column of admin-codes.csv, "" when the code is not there */
static const char *admin_kind(const struct ctx *x, const char *code)
{
	long r = dc_table_find(&x->r->us_admin, code);
	return r < 0 ? "" : tval(&x->r->us_admin, r, "kind");
}

/* a drug administration code (not a visit and not a bundled code) */
static int is_admin_code(const struct ctx *x, const char *code)
{
	const char *k = admin_kind(x, code);
	return !strcmp(k, "initial") || !strcmp(k, "addon") || !strcmp(k, "injection") ||
	       !strcmp(k, "other");
}

static int64_t unit_cents(const struct ctx *x, const char *code, int *found)
{
	long r = dc_table_find(&x->r->us_charges, code);
	int64_t c = 0;
	*found = r >= 0 && dc_money_parse(tval(&x->r->us_charges, r, "unit_charge"), &c) == 0;
	return *found ? c : 0;
}

static const char *src_join(struct dc_arena *a, const char *list, unsigned long line)
{
	return add_id(a, list, dc_arena_join_num(a, "", 0, '\0', (long)line));
}

/*
 * A string -> index map in the arena (admin_id, bag_id, drug+NDC groups), so
 * that grouping stays linear in time and memory however many rows an
 * encounter has.
 */
struct smap {
	const char **k;
	size_t *v;
	size_t n;
};

static void smap_init(struct dc_arena *a, struct smap *m, size_t want)
{
	m->n = 16;
	while (m->n < want * 2 + 1)
		m->n *= 2;
	m->k = dc_arena_alloc(a, m->n * sizeof *m->k);
	m->v = dc_arena_alloc(a, m->n * sizeof *m->v);
}

/* the index of |key|, or |next| (recorded) when the key is new */
static size_t smap_get(struct smap *m, const char *key, size_t next)
{
	size_t h = (size_t)dc_fnv1a64(key, strlen(key)) & (m->n - 1);
	while (m->k[h]) {
		if (!strcmp(m->k[h], key))
			return m->v[h];
		h = (h + 1) & (m->n - 1);
	}
	m->k[h] = key;
	m->v[h] = next;
	return next;
}

/* ------------------------------------------------------------------ */
/* US-CLASSIFY                                                          */

static void names_build(struct ctx *x)
{
	const struct dc_table *t = &x->r->us_drugs;
	int col = dc_table_col(t, "generic_names");
	size_t total = 0;
	for (size_t i = 0; i < t->nrows; i++) {
		const char *s = dc_table_get(t, (long)i, col);
		if (*s)
			total++;
		for (; *s; s++)
			total += *s == ';';
	}
	struct names *nm = dc_arena_alloc(x->a, sizeof *nm);
	nm->n = 16;
	while (nm->n < total * 2 + 1)
		nm->n *= 2;
	nm->key = dc_arena_alloc(x->a, nm->n * sizeof *nm->key);
	nm->row = dc_arena_alloc(x->a, nm->n * sizeof *nm->row);
	for (size_t i = 0; i < t->nrows; i++) {
		const char *s = dc_table_get(t, (long)i, col);
		while (*s) {
			const char *e = strchr(s, ';');
			size_t k = e ? (size_t)(e - s) : strlen(s);
			const char *name = norm_dup(x->a, dc_arena_strndup(x->a, s, k));
			if (*name) {
				size_t h = (size_t)dc_fnv1a64(name, strlen(name)) & (nm->n - 1);
				while (nm->key[h] && strcmp(nm->key[h], name))
					h = (h + 1) & (nm->n - 1);
				if (!nm->key[h]) {   /* the first row naming it wins */
					nm->key[h] = name;
					nm->row[h] = (long)i;
				}
			}
			s = e ? e + 1 : s + k;
		}
	}
	x->names = nm;
}

static long name_find(struct ctx *x, const char *raw)
{
	if (!x->names)
		names_build(x);
	const char *name = norm_dup(x->a, raw);
	struct names *nm = x->names;
	size_t h = (size_t)dc_fnv1a64(name, strlen(name)) & (nm->n - 1);
	while (nm->key[h]) {
		if (!strcmp(nm->key[h], name))
			return nm->row[h];
		h = (h + 1) & (nm->n - 1);
	}
	return -1;
}

static int tcat_of(const char *c)
{
	if (!strcmp(c, "chemo"))
		return TC_CHEMO;
	if (!strcmp(c, "hormonal_antineoplastic"))
		return TC_HORMONAL;
	if (!strcmp(c, "hydration_fluid"))
		return TC_FLUID;
	if (!strcmp(c, "electrolyte"))
		return TC_ELEC;
	return TC_THER;
}

static int purpose_of(const char *p)
{
	if (!strcasecmp(p, "therapeutic"))
		return P_THER;
	if (!strcasecmp(p, "chemotherapy"))
		return P_CHEMO;
	if (!strcasecmp(p, "hydration"))
		return P_HYD;
	if (!strcasecmp(p, "kvo"))
		return P_KVO;
	if (!strcasecmp(p, "vehicle"))
		return P_VEHICLE;
	if (!strcasecmp(p, "flush"))
		return P_FLUSH;
	return P_NONE;
}

static const char *drug_display(const struct ctx *x, const struct drow *d)
{
	const char *n = d->it->f[DC_I_DRUG_NAME];
	if (*n)
		return n;
	if (d->d >= 0)
		return tval(&x->r->us_drugs, d->d, "label");
	return *d->it->f[DC_I_CODE] ? d->it->f[DC_I_CODE] : "drug";
}

/*
 * Lookup order: code, then NDC (ndc.csv), then dm+d (the US tables have
 * none), then generic name. When both the code and the NDC are known and
 * disagree, the row is held rather than guessed: a labeler-specific code
 * (J3374 for one vancomycin maker, say) must be chosen by a person. Only
 * hydration fluids take the NDC's code, which carries the bag size
 * (US-FLUID).
 */
static void classify_row(struct ctx *x, struct drow *d)
{
	const struct dc_rules *r = x->r;
	struct dc_item *it = d->it;
	const char *code = upper_dup(x->a, it->f[DC_I_CODE]);
	long row = *code ? dc_table_find(&r->us_drugs, code) : -1;
	d->n = it->ndc11[0] ? dc_table_find(&r->us_ndc, it->ndc11) : -1;
	const char *ncode = d->n >= 0 ? tval(&r->us_ndc, d->n, "hcpcs") : "";
	d->how = "code";
	if (row >= 0 && *ncode && strcmp(ncode, code)) {
		long nrow = dc_table_find(&r->us_drugs, ncode);
		int fl = !strcmp(tval(&r->us_drugs, row, "category"), "hydration_fluid") &&
			 nrow >= 0 &&
			 !strcmp(tval(&r->us_drugs, nrow, "category"), "hydration_fluid");
		if (fl) {
			row = nrow;
			d->how = "ndc";
		} else {
			dc_encounter_hold(x->enc, DC_HOLD_DRUG_CODING, x->a,
					  "ndc '%s' on line %lu bills under %s, not under code '%s' "
					  "(US-CLASSIFY)", it->f[DC_I_NDC], it->line, ncode, code);
		}
	} else if (row < 0 && *ncode) {
		row = dc_table_find(&r->us_drugs, ncode);
		d->how = "ndc";
	}
	if (row < 0 && *it->f[DC_I_DRUG_NAME]) {
		row = name_find(x, it->f[DC_I_DRUG_NAME]);
		d->how = "name";
	}
	if (row < 0) {
		dc_encounter_hold(x->enc, DC_HOLD_UNKNOWN_DRUG, x->a,
				  "drug on line %lu is not identified: code '%s', ndc '%s', "
				  "drug_name '%s' (US-CLASSIFY)", it->line, it->f[DC_I_CODE],
				  it->f[DC_I_NDC], it->f[DC_I_DRUG_NAME]);
		d->d = -1;
		d->code = code;
		return;
	}
	d->d = row;
	d->code = dc_table_get(&r->us_drugs, row, 0);
	d->tcat = tcat_of(tval(&r->us_drugs, row, "category"));
	d->purpose = purpose_of(it->f[DC_I_PURPOSE]);
	if (*code && strcmp(code, d->code) && x->emit)
		dc_coded_warn(x->out, x->a, DC_US_CLASSIFY, it->line,
			      "code %s of %s (line %lu) replaced by %s, found by %s",
			      code, drug_display(x, d), it->line, d->code,
			      !strcmp(d->how, "ndc") ? "its ndc" : "its drug name");
}

/* ------------------------------------------------------------------ */
/* US-TIME, US-OVERNIGHT, US-STOP-DERIVED                               */

static void time_row(struct ctx *x, struct adm *m, struct seg *s, struct dc_item *it)
{
	s->it = it;
	s->has_s = it->start.present;
	s->s = it->start.t;
	if (!s->has_s)
		return;
	if (it->stop.present) {
		s->e = it->stop.t;
		if (s->e < s->s && it->stop.time_only) {
			s->e += 86400;
			m->overnight = 1;
			dc_coded_warn(x->out, x->a, DC_US_OVERNIGHT, it->line,
				      "stop_time '%s' is earlier than start_time '%s' (line %lu): "
				      "taken as the next day", it->f[DC_I_STOP_TIME],
				      it->f[DC_I_START_TIME], it->line);
		}
		if (s->e < s->s) {
			dc_encounter_hold(x->enc, DC_HOLD_INVALID_FIELD, x->a,
					  "stop_time '%s' is before start_time '%s' (line %lu)",
					  it->f[DC_I_STOP_TIME], it->f[DC_I_START_TIME], it->line);
			return;
		}
		if ((it->start.time_only || it->stop.time_only) && s->e - s->s > 12 * 3600) {
			dc_encounter_hold(x->enc, DC_HOLD_INVALID_FIELD, x->a,
					  "start_time '%s' to stop_time '%s' is over 12 hours from "
					  "times without a date (line %lu); give full timestamps "
					  "(US-OVERNIGHT)", it->f[DC_I_START_TIME],
					  it->f[DC_I_STOP_TIME], it->line);
			return;
		}
		s->has_e = 1;
		return;
	}
	if (it->has_volume && it->has_rate) {
		/* stop = start + volume / rate hours, truncated to the minute */
		int64_t min;
		if (dc_us_muldiv(it->volume_ml.v, 60, it->rate_ml_hr.v, &min, NULL) == 0) {
			s->e = s->s + min * 60;
			s->has_e = 1;
			m->derived = 1;
			char b1[32], b2[32], b3[8];
			dc_coded_warn(x->out, x->a, DC_US_STOP_DERIVED, it->line,
				      "no stop_time on line %lu: %s mL at %s mL/h gives %lld min, "
				      "stop %s", it->line, dec_str(it->volume_ml, b1, sizeof b1),
				      dec_str(it->rate_ml_hr, b2, sizeof b2), (long long)min,
				      hhmm(s->e, b3, sizeof b3));
		}
	}
}

static int cmp_seg(const void *pa, const void *pb)
{
	const struct seg *a = pa, *b = pb;
	int64_t ta = a->has_s ? a->s : NOTIME, tb = b->has_s ? b->s : NOTIME;
	if (ta != tb)
		return ta < tb ? -1 : 1;
	return a->it->line < b->it->line ? -1 : a->it->line > b->it->line;
}

static void time_adm(struct ctx *x, struct adm *m)
{
	m->segs = dc_arena_alloc(x->a, m->nr * sizeof *m->segs);
	m->nseg = m->nr;
	for (size_t i = 0; i < m->nr; i++)
		time_row(x, m, &m->segs[i], m->r[i]->it);
	qsort(m->segs, m->nseg, sizeof *m->segs, cmp_seg);
	m->timed = 1;
	m->start = m->stop = NOTIME;
	m->run = 0;
	for (size_t i = 0; i < m->nseg; i++) {
		struct seg *s = &m->segs[i];
		if (!s->has_s || !s->has_e) {
			m->timed = 0;
		} else {
			m->run += s->e - s->s;
			if (m->stop == NOTIME || s->e > m->stop)
				m->stop = s->e;
		}
		if (s->has_s) {
			m->has_start = 1;
			if (m->start == NOTIME || s->s < m->start)
				m->start = s->s;
		}
	}
	m->minutes = (int)(m->run / 60);
}

/* ------------------------------------------------------------------ */
/* administrations and services                                        */

static int route_of(const char *s)
{
	if (!strcasecmp(s, "SC"))
		return R_SC;
	if (!strcasecmp(s, "IM"))
		return R_IM;
	if (!strcasecmp(s, "IA"))
		return R_IA;
	if (!strcasecmp(s, "ID"))
		return R_ID;
	return R_IV;   /* IV, or empty: drug administration extracts are IV first */
}

static int method_of(const char *s)
{
	if (!strcasecmp(s, "infusion"))
		return M_INFUSION;
	if (!strcasecmp(s, "push"))
		return M_PUSH;
	if (!strcasecmp(s, "injection"))
		return M_INJECTION;
	return M_NONE;
}

static int ci_contains(const char *hay, const char *needle)
{
	size_t n = strlen(needle);
	for (; *hay; hay++)
		if (!strncasecmp(hay, needle, n))
			return 1;
	return 0;
}

static void build_adms(struct ctx *x)
{
	size_t n = x->nrows ? x->nrows : 1;
	x->adms = dc_arena_alloc(x->a, n * sizeof *x->adms);
	size_t *of = dc_arena_alloc(x->a, n * sizeof *of);
	struct smap ids;
	smap_init(x->a, &ids, n);
	for (size_t i = 0; i < x->nrows; i++) {
		const char *id = x->rows[i].it->f[DC_I_ADMIN_ID];
		of[i] = *id ? smap_get(&ids, id, x->nadm) : x->nadm;
		if (of[i] == x->nadm)
			x->adms[x->nadm++].line = x->rows[i].it->line;
		x->adms[of[i]].nr++;
	}
	for (size_t k = 0; k < x->nadm; k++) {
		x->adms[k].r = dc_arena_alloc(x->a, x->adms[k].nr * sizeof *x->adms[k].r);
		x->adms[k].nr = 0;
	}
	for (size_t i = 0; i < x->nrows; i++) {
		struct drow *d = &x->rows[i];
		struct adm *m = &x->adms[of[i]];
		if (m->nr && m->r[0]->d >= 0 && d->d >= 0 && m->r[0]->d != d->d)
			dc_encounter_hold(x->enc, DC_HOLD_CONFLICTING_FIELDS, x->a,
					  "rows with admin_id '%s' name different drugs (lines %lu "
					  "and %lu)", d->it->f[DC_I_ADMIN_ID], m->line, d->it->line);
		m->r[m->nr++] = d;
		d->adm = m;
	}
	for (size_t k = 0; k < x->nadm; k++) {
		struct adm *m = &x->adms[k];
		struct dc_item *it = m->r[0]->it;
		m->purpose = m->r[0]->purpose;
		m->route = route_of(it->f[DC_I_ROUTE]);
		m->method = method_of(it->f[DC_I_METHOD]);
		m->excluded = m->purpose == P_KVO || m->purpose == P_VEHICLE ||
			      m->purpose == P_FLUSH;
		m->bag = "";
		m->site_raw = "";
		for (size_t i = 0; i < m->nr; i++) {
			const struct dc_item *ri = m->r[i]->it;
			if (!*m->bag)
				m->bag = ri->f[DC_I_BAG_ID];
			if (!*m->site_raw)
				m->site_raw = ri->f[DC_I_ACCESS_SITE];
			m->primary |= ri->primary;
		}
		time_adm(x, m);
	}
}

static int ecat_base(const struct adm *m)
{
	switch (m->purpose) {
	case P_THER: return EC_THER;
	case P_CHEMO: return EC_CHEMO;
	case P_HYD: return EC_HYD;
	default: break;
	}
	switch (m->r[0]->tcat) {
	case TC_CHEMO:
	case TC_HORMONAL: return EC_CHEMO;
	case TC_FLUID: return EC_HYD;
	case TC_ELEC: return EC_NONE;   /* decided by its bag (US-ELECTROLYTE) */
	default: return EC_THER;
	}
}

static void build_svcs(struct ctx *x)
{
	size_t n = x->nadm ? x->nadm : 1;
	x->svcs = dc_arena_alloc(x->a, n * sizeof *x->svcs);
	size_t *of = dc_arena_alloc(x->a, n * sizeof *of);
	struct smap bags;
	smap_init(x->a, &bags, n);
	for (size_t k = 0; k < x->nadm; k++) {
		const char *bag = x->adms[k].bag;
		of[k] = *bag ? smap_get(&bags, bag, x->nsvc) : x->nsvc;
		if (of[k] == x->nsvc) {
			x->svcs[x->nsvc].idx = x->nsvc;
			x->nsvc++;
		}
		x->svcs[of[k]].nm++;
	}
	for (size_t j = 0; j < x->nsvc; j++) {
		x->svcs[j].m = dc_arena_alloc(x->a, x->svcs[j].nm * sizeof *x->svcs[j].m);
		x->svcs[j].nm = 0;
	}
	for (size_t k = 0; k < x->nadm; k++) {
		struct svc *v = &x->svcs[of[k]];
		v->m[v->nm++] = &x->adms[k];
		x->adms[k].svc = v;
	}
	for (size_t j = 0; j < x->nsvc; j++) {
		struct svc *v = &x->svcs[j];
		int fluid = 0;
		for (size_t i = 0; i < v->nm; i++)
			if (!v->m[i]->excluded && ecat_base(v->m[i]) == EC_HYD)
				fluid = 1;
		/* US-ELECTROLYTE: in a hydration bag part of the hydration, alone a drug */
		for (size_t i = 0; i < v->nm; i++) {
			struct adm *m = v->m[i];
			m->ecat = ecat_base(m);
			if (m->ecat == EC_NONE)
				m->ecat = fluid ? EC_HYD : EC_THER;
			if (!m->excluded && m->ecat > v->cat)
				v->cat = m->ecat;
		}
		for (size_t i = 0; i < v->nm && !v->lead; i++)
			if (!v->m[i]->excluded && v->m[i]->ecat == v->cat &&
			    (v->cat != EC_HYD || v->m[i]->r[0]->tcat != TC_ELEC))
				v->lead = v->m[i];
		for (size_t i = 0; i < v->nm && !v->lead; i++)
			if (!v->m[i]->excluded && v->m[i]->ecat == v->cat)
				v->lead = v->m[i];
		if (!v->lead)
			v->lead = v->m[0];
		struct adm *L = v->lead;
		v->start = L->start;
		v->stop = L->stop;
		v->has_start = L->has_start;
		v->minutes = L->minutes;
		v->line = L->line;
		v->name = drug_display(x, L->r[0]);
		v->src = "";
		v->mix = "";
		/* mix: the sorted codes of the infusate (US-SEQ "once per mix") */
		const char *codes[16];
		size_t nc = 0;
		for (size_t i = 0; i < v->nm; i++) {
			struct adm *m = v->m[i];
			for (size_t r = 0; r < m->nr; r++) {
				v->src = src_join(x->a, v->src, m->r[r]->it->line);
				v->primary |= m->r[r]->it->primary;
				if (ci_contains(m->r[r]->it->f[DC_I_REASON], "adverse"))
					v->adverse = 1;
			}
			if (m->excluded || m->ecat < v->cat || nc == 16)
				continue;
			size_t p = nc;
			while (p > 0 && strcmp(codes[p - 1], m->r[0]->code) > 0) {
				codes[p] = codes[p - 1];
				p--;
			}
			codes[p] = m->r[0]->code;
			nc++;
		}
		for (size_t i = 0; i < nc; i++)
			v->mix = i ? dc_arena_printf(x->a, "%s+%s", v->mix, codes[i]) : codes[i];
		v->hormonal = L->r[0]->tcat == TC_HORMONAL && L->purpose != P_CHEMO;
		v->site = -1;
	}
}

/* kinds: US-PUSH-15, US-PUSH-NO-STOP, US-NOT-BILLED, 96416 pump */
static void kind_svcs(struct ctx *x)
{
	for (size_t j = 0; j < x->nsvc; j++) {
		struct svc *v = &x->svcs[j];
		struct adm *L = v->lead;
		if (L->excluded) {
			v->kind = K_NONE;
			continue;
		}
		switch (L->route) {
		case R_SC:
		case R_IM:
			v->kind = L->method == M_INFUSION && L->route == R_SC ? K_SCINF : K_INJ;
			break;
		case R_IA:
			v->kind = K_IA;
			break;
		case R_ID:
			v->kind = K_NONE;
			dc_coded_warn(x->out, x->a, DC_US_INJ, L->line,
				      "intradermal %s (line %lu) has no drug administration code",
				      v->name, L->line);
			break;
		default:
			if (v->cat == EC_HYD) {
				v->kind = K_HYD;      /* a hydration fluid is never a push */
			} else if (L->method == M_PUSH || L->method == M_INJECTION) {
				v->kind = K_PUSH;
				v->why = WP_METHOD;
			} else if (!L->timed) {
				v->kind = K_PUSH;
				v->why = WP_NOSTOP;
				dc_coded_warn(x->out, x->a, DC_US_PUSH_NO_STOP, L->line,
					      "%s (line %lu) has no stop time and none can be "
					      "derived: coded as an IV push", v->name, L->line);
			} else if (v->minutes <= 15) {
				v->kind = K_PUSH;
				v->why = WP_15;
			} else {
				v->kind = K_INF;
				/*
				 * 96416 needs a portable or implantable pump. The extract
				 * has no pump column: the pump is taken as documented when
				 * a row's reason mentions "pump", or when the row says
				 * purpose=chemotherapy for a chemo infusion of more than
				 * 8 hours (an outpatient infusion that long runs on a pump).
				 */
				if (v->cat == EC_CHEMO && v->minutes > 480) {
					for (size_t i = 0; i < v->nm && !v->pump_how; i++)
						for (size_t r = 0; r < v->m[i]->nr; r++)
							if (ci_contains(v->m[i]->r[r]->it->f[DC_I_REASON],
									"pump") ||
							    ci_contains(v->m[i]->r[r]->it->f[DC_I_METHOD],
									"pump"))
								v->pump_how = "reason mentions a pump";
					if (!v->pump_how && L->purpose == P_CHEMO)
						v->pump_how = "purpose chemotherapy over 8 hours";
					if (v->pump_how)
						v->kind = K_PUMP;
				}
			}
		}
	}
}

/* US-SITE: sites in order of first use; an empty site is the first one */
static int cmp_svc_time(const void *pa, const void *pb)
{
	const struct svc *a = *(struct svc *const *)pa, *b = *(struct svc *const *)pb;
	int64_t ta = a->has_start ? a->start : NOTIME, tb = b->has_start ? b->start : NOTIME;
	if (ta != tb)
		return ta < tb ? -1 : 1;
	return a->line < b->line ? -1 : a->line > b->line;
}

static int iv_kind(int k)
{
	return k == K_INF || k == K_PUSH || k == K_HYD || k == K_PUMP;
}

static void assign_sites(struct ctx *x)
{
	struct svc **o = dc_arena_alloc(x->a, (x->nsvc + 1) * sizeof *o);
	size_t n = 0;
	for (size_t j = 0; j < x->nsvc; j++)
		if (iv_kind(x->svcs[j].kind))
			o[n++] = &x->svcs[j];
	qsort(o, n, sizeof *o, cmp_svc_time);
	x->sites = dc_arena_alloc(x->a, (n + 1) * sizeof *x->sites);
	for (size_t i = 0; i < n; i++) {
		const char *s = norm_dup(x->a, o[i]->lead->site_raw);
		if (!*s)
			continue;
		size_t k = 0;
		while (k < x->nsites && strcmp(x->sites[k], s))
			k++;
		if (k == x->nsites)
			x->sites[x->nsites++] = s;
		o[i]->site = (int)k;
	}
	if (!x->nsites)
		x->sites[x->nsites++] = "";
	for (size_t i = 0; i < n; i++)
		if (o[i]->site < 0)
			o[i]->site = 0;
}

/*
 * Hydration periods: each running segment is its own period (US-HYD-31),
 * cut where another infusion runs on any site (US-HYD-CONCURRENT; pushes do
 * not cut, and an earlier hydration bag keeps the time it shares with a
 * later one). A period counts from 31 whole minutes.
 */
static void hyd_periods(struct ctx *x)
{
	for (size_t j = 0; j < x->nsvc; j++) {
		struct svc *v = &x->svcs[j];
		if (v->kind != K_HYD)
			continue;
		struct adm *L = v->lead;
		size_t cap = 64 * L->nseg;   /* at most 64 parts a segment (cur[] below) */
		v->per = dc_arena_alloc(x->a, cap * sizeof *v->per);
		for (size_t s = 0; s < L->nseg; s++) {
			struct seg *g = &L->segs[s];
			char b1[8], b2[8];
			if (!g->has_s || !g->has_e) {
				dc_coded_warn(x->out, x->a, DC_US_HYD_NO_STOP, g->it->line,
					      "hydration %s (line %lu) has no stop time: not reported",
					      v->name, g->it->line);
				continue;
			}
			/* cut [s,e) by every other infusion's running segments */
			int64_t cur[64][2];
			size_t nc = 1;
			cur[0][0] = g->s;
			cur[0][1] = g->e;
			int split = 0;
			for (size_t o = 0; o < x->nsvc; o++) {
				struct svc *w = &x->svcs[o];
				if (w == v)
					continue;
				int cuts = w->kind == K_INF || w->kind == K_PUMP || w->kind == K_SCINF ||
					   (w->kind == K_HYD && cmp_svc_time(&w, &v) < 0);
				if (!cuts)
					continue;
				for (size_t ws = 0; ws < w->lead->nseg; ws++) {
					const struct seg *c = &w->lead->segs[ws];
					if (!c->has_s || !c->has_e)
						continue;
					int64_t nxt[64][2];
					size_t nn = 0;
					for (size_t p = 0; p < nc; p++) {
						int64_t a0 = cur[p][0], a1 = cur[p][1];
						if (c->e <= a0 || c->s >= a1) {
							nxt[nn][0] = a0;
							nxt[nn++][1] = a1;
							continue;
						}
						split = 1;
						if (c->s > a0 && nn < 64) {
							nxt[nn][0] = a0;
							nxt[nn++][1] = c->s;
						}
						if (c->e < a1 && nn < 64) {
							nxt[nn][0] = c->e;
							nxt[nn++][1] = a1;
						}
					}
					memcpy(cur, nxt, nn * sizeof *nxt);
					nc = nn;
				}
			}
			for (size_t p = 0; p < nc; p++) {
				int min = (int)((cur[p][1] - cur[p][0]) / 60);
				if (min >= 31 && v->nper < cap) {
					struct period *pr = &v->per[v->nper++];
					pr->s = cur[p][0];
					pr->e = cur[p][1];
					pr->minutes = min;
					pr->split = split;
				} else {
					dc_coded_warn(x->out, x->a,
						      split ? DC_US_HYD_CONCURRENT : DC_US_HYD_31,
						      g->it->line,
						      "hydration %s %s-%s (line %lu) not reported: %d min%s",
						      v->name, hhmm(cur[p][0], b1, sizeof b1),
						      hhmm(cur[p][1], b2, sizeof b2), g->it->line, min,
						      split ? " once other infusions are taken out"
							    : ", 31 continuous minutes are needed");
				}
			}
			if (!nc)
				dc_coded_warn(x->out, x->a, DC_US_HYD_CONCURRENT, g->it->line,
					      "hydration %s %s-%s (line %lu) not reported: another "
					      "infusion runs the whole time", v->name,
					      hhmm(g->s, b1, sizeof b1), hhmm(g->e, b2, sizeof b2),
					      g->it->line);
		}
	}
}

static int rank_of(const struct svc *v)
{
	if (v->kind == K_INF)
		return v->cat == EC_CHEMO ? 5 : 3;
	if (v->kind == K_PUSH)
		return v->cat == EC_CHEMO ? 4 : 2;
	if (v->kind == K_HYD)
		return v->nper ? 1 : 0;
	return 0;
}

/* ------------------------------------------------------------------ */
/* administration lines                                                */

static struct cl *cl_new(struct ctx *x, struct cl **arr, size_t *n, size_t *cap)
{
	if (*n == *cap) {
		size_t nc = *cap ? *cap * 2 : 16;
		/* not zeroed: each entry is, as it is taken */
		struct cl *na = dc_arena_alloc_raw(x->a, nc * sizeof *na);
		if (*n)
			memcpy(na, *arr, *n * sizeof *na);
		*arr = na;
		*cap = nc;
	}
	struct cl *l = &(*arr)[(*n)++];
	memset(l, 0, sizeof *l);
	l->code = l->mods = l->rule = l->src = l->arith = l->desc = l->ndc = l->nunit = "";
	l->seq = x->seq++;
	l->site = -1;
	l->t = NOTIME;
	return l;
}

static int is_initial(const struct ctx *x, const struct svc *v)
{
	return v->site >= 0 && x->init[v->site] == (int)v->idx;
}

static struct cl *al_add(struct ctx *x, struct svc *v, const char *code, int64_t units,
			 const char *rule, const char *arith)
{
	struct cl *l = cl_new(x, &x->al, &x->nal, &x->alcap);
	l->kind = KL_ADMIN;
	l->code = code;
	l->units = dec_units(units);
	l->rule = rule;
	l->arith = arith;
	l->src = v->src;
	l->t = v->has_start ? v->start : NOTIME;
	l->line = v->line;
	l->site = iv_kind(v->kind) ? v->site : -1;
	l->iv = iv_kind(v->kind);
	l->svc = v;
	l->grp = v->site == x->first_site && is_initial(x, v) ? 0 : 1;
	return l;
}

/* the timing rules behind a service's minutes or its push */
static const char *time_rules(struct ctx *x, const struct svc *v)
{
	const char *r = "";
	if (v->why == WP_15 || v->why == WP_METHOD)
		r = add_id(x->a, r, DC_US_PUSH_15);
	if (v->why == WP_NOSTOP)
		r = add_id(x->a, r, DC_US_PUSH_NO_STOP);
	if (v->lead->nseg > 1 && v->kind != K_HYD)
		r = add_id(x->a, r, DC_US_TIME);
	if (v->lead->overnight)
		r = add_id(x->a, r, DC_US_OVERNIGHT);
	if (v->lead->derived)
		r = add_id(x->a, r, DC_US_STOP_DERIVED);
	return r;
}

static const char *join_rules(struct ctx *x, const char *a, const char *b)
{
	return add_ids(x->a, a, b);
}

/*
 * The arithmetic behind a line, for `dripcode explain` only: a batch run
 * does not format it (formatting every line's text showed in profiles).
 */
#define ARITH(x, ...) ((x)->out->explain ? dc_arena_printf((x)->a, __VA_ARGS__) : "")

static const char *minutes_text(struct ctx *x, const struct svc *v, int minutes)
{
	char b1[8], b2[8];
	const struct adm *L = v->lead;
	if (L->nseg > 1)
		return ARITH(x, "%d min drip to drip over %zu segments", minutes,
				       L->nseg);
	return ARITH(x, "%d min (%s-%s%s)", minutes, hhmm(v->start, b1, sizeof b1),
			       hhmm(v->stop, b2, sizeof b2), L->overnight ? " next day" : "");
}

/* initial + its additional hours (US-ADDL-HOUR) */
static void code_hours(struct ctx *x, struct svc *v, const char *addon, int minutes,
		       const char *rule_extra)
{
	int h = dc_us_addl_hours(minutes);
	if (h <= 0)
		return;
	struct cl *l = al_add(x, v, addon, h, join_rules(x, DC_US_ADDL_HOUR, rule_extra),
			      ARITH(x, "%d min, (%d-31)/60 = %d", minutes, minutes, h));
	(void)l;
}

struct pushrec {
	const char *code;
	int64_t t;
};

struct coding {
	struct pushrec *push;
	size_t npush;
	const char **mix;
	size_t nmix;
	struct svc **inf;      /* infusions coded so far */
	size_t ninf;
	int64_t (*u)[2];       /* the time they cover: sorted disjoint intervals */
	size_t nu;
	int conc, conc_chemo, scinf, scinf_extra, pump;
	const char *scinf_site;
};

static int mix_seen(struct coding *c, const char *mix)
{
	for (size_t i = 0; i < c->nmix; i++)
		if (!strcmp(c->mix[i], mix))
			return 1;
	return 0;
}

/* records |v| as coded; its running segments join the covered time */
static void inf_add(struct coding *c, struct svc *v)
{
	c->inf[c->ninf++] = v;
	for (size_t k = 0; k < v->lead->nseg; k++) {
		const struct seg *g = &v->lead->segs[k];
		if (!g->has_s || !g->has_e)
			continue;
		int64_t s = g->s, e = g->e;
		size_t i = 0, j;
		while (i < c->nu && c->u[i][1] < s)
			i++;
		for (j = i; j < c->nu && c->u[j][0] <= e; j++) {
			if (c->u[j][0] < s)
				s = c->u[j][0];
			if (c->u[j][1] > e)
				e = c->u[j][1];
		}
		/* intervals i..j-1 become one (j == i: an insertion) */
		memmove(&c->u[i + 1], &c->u[j], (c->nu - j) * sizeof *c->u);
		c->u[i][0] = s;
		c->u[i][1] = e;
		c->nu = c->nu - (j - i) + 1;
	}
}

/* seconds of |v|'s running segments during which an infusion coded before runs */
static int64_t covered(const struct coding *c, const struct svc *v)
{
	int64_t sum = 0;
	for (size_t k = 0; k < v->lead->nseg; k++) {
		const struct seg *g = &v->lead->segs[k];
		if (!g->has_s || !g->has_e)
			continue;
		for (size_t i = 0; i < c->nu; i++) {
			int64_t lo = c->u[i][0] > g->s ? c->u[i][0] : g->s;
			int64_t hi = c->u[i][1] < g->e ? c->u[i][1] : g->e;
			if (hi > lo)
				sum += hi - lo;
		}
	}
	return sum;
}

static void code_push(struct ctx *x, struct coding *c, struct svc *v, int initial)
{
	const char *drug = v->lead->r[0]->code;
	const char *tr = time_rules(x, v);
	if (initial) {
		al_add(x, v, v->cat == EC_CHEMO ? "96409" : "96374", 1,
		       join_rules(x, join_rules(x, DC_US_INITIAL_ONE, x->init_rule[v->site]), tr),
		       v->why == WP_NOSTOP ? "no stop time: push" :
		       v->why == WP_METHOD ? "method push" :
		       ARITH(x, "%d min <= 15: push", v->minutes));
	} else {
		const struct pushrec *same = NULL;
		int close = 0;
		for (size_t i = 0; i < c->npush; i++)
			if (!strcmp(c->push[i].code, drug)) {
				same = &c->push[i];
				if (!v->has_start || c->push[i].t == NOTIME ||
				    llabs(v->start - c->push[i].t) <= 30 * 60)
					close = 1;
			}
		if (same) {
			char b[8];
			if (x->facility && !close) {
				al_add(x, v, "96376", 1, join_rules(x, DC_US_PUSH_SAME, tr),
				       ARITH(x, "same drug pushed again at %s, more "
						       "than 30 min after its last reported push",
						       hhmm(v->start, b, sizeof b)));
			} else {
				if (x->emit)
					dc_coded_warn(x->out, x->a, DC_US_PUSH_SAME, v->line,
						      "push of %s again (line %lu) not reported: %s",
						      v->name, v->line,
						      !x->facility ? "96376 is reported by facilities only"
						      : !v->has_start || same->t == NOTIME
						      ? "its time is not documented"
						      : "within 30 minutes of the last reported push "
							"of the same drug");
				return;
			}
		} else {
			al_add(x, v, v->cat == EC_CHEMO ? "96411" : "96375", 1,
			       join_rules(x, DC_US_PUSH_SEQ, tr),
			       ARITH(x, "push of a new drug: %s", v->name));
		}
	}
	c->push[c->npush].code = drug;
	c->push[c->npush++].t = v->has_start ? v->start : NOTIME;
}

static void code_inf(struct ctx *x, struct coding *c, struct svc *v, int initial)
{
	const char *tr = time_rules(x, v);
	int chemo = v->cat == EC_CHEMO;
	if (initial) {
		al_add(x, v, chemo ? "96413" : "96365", 1,
		       join_rules(x, join_rules(x, DC_US_INITIAL_ONE, x->init_rule[v->site]), tr),
		       ARITH(x, "%s, first hour", minutes_text(x, v, v->minutes)));
		code_hours(x, v, chemo ? "96415" : "96366", v->minutes, tr);
		c->mix[c->nmix++] = v->mix;
		inf_add(c, v);
		return;
	}
	/* US-CONC / US-OVERLAP: does it start while an infusion coded so far runs? */
	int running = 0;
	int64_t maxstop = 0;
	const struct svc *with = NULL;
	for (size_t i = 0; i < c->ninf && v->has_start; i++) {
		const struct svc *w = c->inf[i];
		for (size_t s = 0; s < w->lead->nseg; s++) {
			const struct seg *g = &w->lead->segs[s];
			if (g->has_s && g->has_e && g->s <= v->start && v->start < g->e) {
				if (!running || w->stop > maxstop) {
					maxstop = w->stop;
					with = w;
				}
				running = 1;
			}
		}
	}
	if (running && v->stop <= maxstop) {
		char b1[8], b2[8];
		if (chemo ? c->conc_chemo : c->conc) {
			if (x->emit)
				dc_coded_warn(x->out, x->a, DC_US_CONC, v->line,
					      "concurrent infusion of %s (line %lu) not reported: %s is "
					      "reported once per encounter", v->name, v->line,
					      chemo ? "96549" : "96368");
		} else {
			struct cl *l = al_add(x, v, chemo ? "96549" : "96368", 1, DC_US_CONC,
					      dc_arena_printf(x->a, "%s-%s runs within %s",
							      hhmm(v->start, b1, sizeof b1),
							      hhmm(v->stop, b2, sizeof b2), with->name));
			if (chemo) {
				l->desc = dc_arena_printf(x->a, "concurrent chemotherapy infusion %s",
							  v->name);
				c->conc_chemo = 1;
			} else {
				c->conc = 1;
			}
		}
		inf_add(c, v);
		return;
	}
	int64_t cov = covered(c, v);
	int minutes = (int)((v->lead->run - cov) / 60);
	inf_add(c, v);
	if (mix_seen(c, v->mix)) {
		if (x->emit)
			dc_coded_warn(x->out, x->a, DC_US_SEQ, v->line,
				      "infusion of %s (line %lu) not reported again: the same "
				      "infusate was coded before", v->name, v->line);
		return;
	}
	c->mix[c->nmix++] = v->mix;
	const char *rule = join_rules(x, DC_US_SEQ, tr);
	if (cov > 0)
		rule = add_id(x->a, rule, DC_US_OVERLAP);
	const char *ar = cov > 0
		? ARITH(x, "%d min after %d min of overlap taken out, first hour",
				  minutes, v->lead->minutes - minutes)
		: ARITH(x, "%s, first hour", minutes_text(x, v, minutes));
	al_add(x, v, chemo ? "96417" : "96367", 1, rule, ar);
	code_hours(x, v, chemo ? "96415" : "96366", minutes, cov > 0 ? DC_US_OVERLAP : "");
}

static void code_hyd(struct ctx *x, struct svc *v, int initial)
{
	const char *extra = join_rules(x, v->adverse ? DC_US_HYD_ADVERSE : "", time_rules(x, v));
	for (size_t p = 0; p < v->nper; p++) {
		struct period *pr = &v->per[p];
		char b1[8], b2[8];
		const char *when = ARITH(x, "%d min (%s-%s)", pr->minutes,
						   hhmm(pr->s, b1, sizeof b1),
						   hhmm(pr->e, b2, sizeof b2));
		const char *r2 = pr->split ? join_rules(x, extra, DC_US_HYD_CONCURRENT) : extra;
		if (initial && p == 0) {
			al_add(x, v, "96360", 1,
			       join_rules(x, join_rules(x, DC_US_INITIAL_ONE,
							x->init_rule[v->site]), r2),
			       ARITH(x, "%s, first hour", when));
			code_hours(x, v, "96361", pr->minutes, r2);
		} else {
			int u = dc_us_hyd_subseq_units(pr->minutes);
			al_add(x, v, "96361", u, join_rules(x, DC_US_HYD_SUBSEQ, r2),
			       ARITH(x, "%s, (%d+29)/60 = %d", when, pr->minutes, u));
		}
	}
}

static int cmp_order(const void *pa, const void *pb)
{
	const struct svc *a = *(struct svc *const *)pa, *b = *(struct svc *const *)pb;
	return cmp_svc_time(&a, &b);
}

/*
 * Codes every service against the initials in x->init. Services are taken
 * initials first, then in time order, so that "starts while another runs"
 * and overlaps compare against what is already coded.
 */
static void code_admin(struct ctx *x)
{
	x->nal = 0;
	x->first_site = -1;
	for (size_t s = 0; s < x->nsites && x->first_site < 0; s++)
		if (x->init[s] >= 0)
			x->first_site = (int)s;
	struct coding c;
	memset(&c, 0, sizeof c);
	size_t n = x->nsvc + 1;
	c.push = dc_arena_alloc(x->a, n * sizeof *c.push);
	c.mix = dc_arena_alloc(x->a, n * sizeof *c.mix);
	c.inf = dc_arena_alloc(x->a, n * sizeof *c.inf);
	size_t nseg = 1;
	for (size_t j = 0; j < x->nsvc; j++)
		nseg += x->svcs[j].lead->nseg;
	c.u = dc_arena_alloc(x->a, nseg * sizeof *c.u);
	struct svc **o = dc_arena_alloc(x->a, n * sizeof *o);
	size_t no = 0;
	for (size_t s = 0; s < x->nsites; s++)
		if (x->init[s] >= 0)
			o[no++] = &x->svcs[x->init[s]];
	size_t first_rest = no;
	for (size_t j = 0; j < x->nsvc; j++)
		if (!is_initial(x, &x->svcs[j]))
			o[no++] = &x->svcs[j];
	qsort(o + first_rest, no - first_rest, sizeof *o, cmp_order);

	for (size_t i = 0; i < no; i++) {
		struct svc *v = o[i];
		int initial = is_initial(x, v);
		v->reported = 0;
		size_t before = x->nal;
		switch (v->kind) {
		case K_PUSH:
			code_push(x, &c, v, initial);
			break;
		case K_INF:
			code_inf(x, &c, v, initial);
			break;
		case K_HYD:
			code_hyd(x, v, initial);
			break;
		case K_INJ: {
			const char *code = v->cat == EC_CHEMO ? (v->hormonal ? "96402" : "96401")
							      : "96372";
			al_add(x, v, code, 1, DC_US_INJ,
			       ARITH(x, "%s %s injection",
					       v->lead->route == R_IM ? "IM" : "SC",
					       v->cat == EC_CHEMO ? (v->hormonal ? "hormonal anti-"
							"neoplastic" : "chemotherapy") : "therapeutic"));
			break;
		}
		case K_IA:
			al_add(x, v, "96373", 1, DC_US_INJ, "intra-arterial injection");
			break;
		case K_SCINF: {
			const char *site = norm_dup(x->a, v->lead->site_raw);
			if (!c.scinf) {
				c.scinf = 1;
				c.scinf_site = site;
				al_add(x, v, "96369", 1, join_rules(x, DC_US_INITIAL_ONE, time_rules(x, v)),
				       ARITH(x, "SC infusion %s, first hour",
						       minutes_text(x, v, v->minutes)));
				code_hours(x, v, "96370", v->minutes, "");
			} else if (!c.scinf_extra && strcmp(site, c.scinf_site)) {
				c.scinf_extra = 1;
				al_add(x, v, "96371", 1, DC_US_INITIAL_ONE,
				       "SC infusion at a new site: added pump set-up");
			} else if (x->emit) {
				dc_coded_warn(x->out, x->a, DC_US_INITIAL_ONE, v->line,
					      "subcutaneous infusion of %s (line %lu) not reported: "
					      "one 96369 per encounter", v->name, v->line);
			}
			break;
		}
		case K_PUMP:
			if (!c.pump) {
				c.pump = 1;
				al_add(x, v, "96416", 1, join_rules(x, DC_US_TIME, time_rules(x, v)),
				       ARITH(x, "%d min > 480: prolonged chemotherapy "
						       "infusion, pump: %s", v->minutes, v->pump_how));
				inf_add(&c, v);
			} else if (x->emit) {
				dc_coded_warn(x->out, x->a, DC_US_TIME, v->line,
					      "second prolonged pump infusion of %s (line %lu) not "
					      "reported: 96416 is reported once", v->name, v->line);
			}
			break;
		default:
			break;
		}
		if (x->nal > before)
			v->reported = 1;
	}
}

/* 1 unless |l| is an add-on without a parent code at its own access site */
static int parent_ok(const struct ctx *x, const struct cl *l)
{
	long r = dc_table_find(&x->r->us_admin, l->code);
	if (r < 0 || strcmp(tval(&x->r->us_admin, r, "kind"), "addon"))
		return 1;
	const char *parents = tval(&x->r->us_admin, r, "addon_parents");
	if (!*parents)
		return 1;
	for (size_t i = 0; i < x->nal; i++) {
		const struct cl *p = &x->al[i];
		if (p != l && !p->dead && p->site == l->site && has_id(parents, p->code))
			return 1;
	}
	return 0;
}

/* facility order: rank, then start time, then input line (US-HIER, US-TIE) */
static int cmp_rank(const void *pa, const void *pb)
{
	const struct svc *a = *(struct svc *const *)pa, *b = *(struct svc *const *)pb;
	if (a->rank != b->rank)
		return a->rank > b->rank ? -1 : 1;
	return cmp_svc_time(&a, &b);
}

static void choose_and_code(struct ctx *x)
{
	size_t ns = x->nsites;
	x->init = dc_arena_alloc(x->a, ns * sizeof *x->init);
	x->init_rule = dc_arena_alloc(x->a, ns * sizeof *x->init_rule);
	struct svc ***cand = dc_arena_alloc(x->a, ns * sizeof *cand);
	size_t *nc = dc_arena_alloc(x->a, ns * sizeof *nc);
	size_t *pick = dc_arena_alloc(x->a, ns * sizeof *pick);
	int *by_primary = dc_arena_alloc(x->a, ns * sizeof *by_primary);
	int any_primary = 0;
	for (size_t j = 0; j < x->nsvc; j++) {
		struct svc *v = &x->svcs[j];
		v->rank = iv_kind(v->kind) && v->kind != K_PUMP ? rank_of(v) : 0;
		if (v->rank && v->primary)
			any_primary = 1;
	}
	for (size_t j = 0; j < x->nsvc; j++)
		if (x->svcs[j].rank)
			nc[x->svcs[j].site]++;
	for (size_t s = 0; s < ns; s++) {
		cand[s] = dc_arena_alloc(x->a, (nc[s] + 1) * sizeof **cand);
		nc[s] = 0;
	}
	for (size_t j = 0; j < x->nsvc; j++)
		if (x->svcs[j].rank)
			cand[x->svcs[j].site][nc[x->svcs[j].site]++] = &x->svcs[j];
	for (size_t s = 0; s < ns; s++) {
		qsort(cand[s], nc[s], sizeof **cand, cmp_rank);
		/* physician: the highest primary=Y service goes first */
		if (!x->facility)
			for (size_t k = 0; k < nc[s]; k++)
				if (cand[s][k]->primary) {
					struct svc *p = cand[s][k];
					memmove(cand[s] + 1, cand[s], k * sizeof **cand);
					cand[s][0] = p;
					by_primary[s] = 1;
					break;
				}
		x->init[s] = nc[s] ? (int)cand[s][0]->idx : -1;
	}
	/*
	 * US-ADDON-PARENT: try the next candidate of a site whose add-ons lack a
	 * parent. Each pass moves at least one site on; the cap keeps a hostile
	 * encounter from costing more than a few passes.
	 */
	size_t budget = 16;
	int *rechosen = dc_arena_alloc(x->a, ns * sizeof *rechosen);
	x->emit = 0;
	for (;;) {
		code_admin(x);
		int changed = 0;
		for (size_t s = 0; s < ns; s++) {
			int bad = 0;
			for (size_t i = 0; i < x->nal; i++)
				if (x->al[i].site == (int)s && !parent_ok(x, &x->al[i]))
					bad = 1;
			if (bad && pick[s] + 1 < nc[s]) {
				pick[s]++;
				rechosen[s] = 1;
				x->init[s] = (int)cand[s][pick[s]]->idx;
				changed = 1;
			}
		}
		if (!changed || !budget--)
			break;
	}
	for (size_t s = 0; s < ns; s++) {
		if (!nc[s]) {
			x->init_rule[s] = "";
			continue;
		}
		struct svc *v = cand[s][pick[s]];
		const char *r;
		/* the rule that chose it; none when the site had one candidate */
		if (rechosen[s])
			r = DC_US_ADDON_PARENT ";" DC_US_HIER_FACILITY;
		else if (nc[s] == 1 && !(by_primary[s] && any_primary))
			r = "";
		else if (by_primary[s])
			r = DC_US_PRIMARY_PHYS;
		else if (x->facility)
			r = DC_US_HIER_FACILITY;
		else
			r = DC_US_PRIMARY_PHYS ";" DC_US_HIER_FACILITY;
		if (!by_primary[s] || rechosen[s])
			for (size_t k = 0; k < nc[s]; k++)
				if (cand[s][k] != v && cand[s][k]->rank == v->rank)
					r = add_id(x->a, r, DC_US_TIE);
		x->init_rule[s] = r;
		char site[64];
		snprintf(site, sizeof site, "%s", *x->sites[s] ? x->sites[s] : "(none)");
		if (rechosen[s])
			dc_coded_warn(x->out, x->a, DC_US_ADDON_PARENT, v->line,
				      "initial service at site '%s' chosen again by the facility "
				      "order: %s (line %lu), so that every add-on code has its parent",
				      site, v->name, v->line);
		else if (!x->facility && !any_primary && nc[s] > 1)
			dc_coded_warn(x->out, x->a, DC_US_PRIMARY_PHYS, v->line,
				      "no administration marked primary=Y: initial service at site "
				      "'%s' chosen by the facility order: %s (line %lu)", site,
				      v->name, v->line);
	}
	x->emit = 1;
	code_admin(x);
	/* add-ons still without a parent are not reported */
	for (size_t i = 0; i < x->nal; i++) {
		struct cl *l = &x->al[i];
		if (!parent_ok(x, l)) {
			l->dead = 1;
			dc_coded_warn(x->out, x->a, DC_US_ADDON_PARENT, l->line,
				      "%s for %s (line %lu) not reported: no parent code for it at "
				      "its access site", l->code, l->svc->name, l->line);
		}
	}
	/* a hydration is "reported" (US-FLUID) only by a line that stays */
	for (size_t j = 0; j < x->nsvc; j++)
		x->svcs[j].reported = 0;
	for (size_t i = 0; i < x->nal; i++)
		if (!x->al[i].dead)
			x->al[i].svc->reported = 1;
	/* the distinct-procedure modifier: further sites' initials, adverse hydration */
	int others = 0;
	for (size_t i = 0; i < x->nal; i++)
		if (!x->al[i].dead && x->al[i].svc && !x->al[i].svc->adverse)
			others = 1;
	for (size_t i = 0; i < x->nal; i++) {
		struct cl *l = &x->al[i];
		if (l->dead)
			continue;
		int initial = is_initial(x, l->svc) && has_id(l->rule, DC_US_INITIAL_ONE) &&
			      !strcmp(admin_kind(x, l->code), "initial");
		if (initial && l->svc->site != x->first_site)
			l->mods = x->dmod;
		if (l->svc->adverse && l->svc->kind == K_HYD && others)
			l->mods = x->dmod;
	}
}

/* ------------------------------------------------------------------ */
/* drug lines: US-DRUG-UNITS, US-DRUG-JW, US-DRUG-JZ, US-NDC, US-NOC,    */
/* US-FLUID                                                             */

struct dgrp {
	const char *code, *ndc;
	long d, n;
	struct drow **r;
	size_t nr;
	int64_t t;
	unsigned long line;
	int ord;
	int fluid, noc, elec;
};

/*
 * Saline is billed by bag size: J7030 1000 mL, J7040 500 mL, J7050 250 mL.
 * With an NDC the crosswalk row carries the bag's code; without one saline
 * is J7050 x ceil(volume / 250) (US-FLUID). The three codes are CPT/HCPCS
 * facts, not payer policy, so they are listed here rather than in a table.
 */
static int saline_code(const char *c)
{
	return !strcmp(c, "J7030") || !strcmp(c, "J7040") || !strcmp(c, "J7050");
}

/* "10 mg/mL" -> 10, mg */
static int parse_conc(const char *s, struct dc_dec *v, enum dc_us_unit *u)
{
	char num[32], unit[16];
	size_t i = 0, k = 0;
	while (*s == ' ')
		s++;
	while (*s && (isdigit((unsigned char)*s) || *s == '.') && i < sizeof num - 1)
		num[i++] = *s++;
	num[i] = '\0';
	while (*s == ' ')
		s++;
	while (*s && *s != '/' && *s != ' ' && k < sizeof unit - 1)
		unit[k++] = *s++;
	unit[k] = '\0';
	while (*s == ' ')
		s++;
	if (*s != '/' || strcasecmp(s + 1, "ml") != 0)
		return -1;
	*u = dc_us_unit_parse(unit);
	return dc_dec_parse(num, v) == 0 && v->v > 0 && *u != DC_US_U_NONE ? 0 : -1;
}

/* a row's amount (dose, or wasted) in a unit the billing unit converts with */
static int row_amount(const struct dc_item *it, struct dc_dec q,
		      enum dc_us_unit bu, struct dc_dec *amt, enum dc_us_unit *u)
{
	*u = dc_us_unit_parse(it->f[DC_I_DOSE_UNIT]);
	*amt = q;
	struct dc_dec tmp;
	if (dc_us_convert(q, *u, bu, &tmp) == 0)
		return 0;
	struct dc_dec c;
	enum dc_us_unit cu;
	if (*u == DC_US_U_ML && parse_conc(it->f[DC_I_CONCENTRATION], &c, &cu) == 0 &&
	    dc_us_convert(c, cu, bu, &tmp) == 0) {
		int64_t p, r;
		if (dc_us_muldiv(q.v, c.v, DC_DEC_SCALE, &p, &r) != 0)
			return -1;
		amt->v = p + (r > 0);
		*u = cu;
		return 0;
	}
	return -1;
}

static int finer(enum dc_us_unit a, enum dc_us_unit b)
{
	/* mcg < mg < g; other units only meet themselves */
	return a == DC_US_U_MCG || (a == DC_US_U_MG && b == DC_US_U_G);
}

static struct cl *ol_add(struct ctx *x, int kind)
{
	struct cl *l = cl_new(x, &x->ol, &x->nol, &x->olcap);
	l->kind = kind;
	return l;
}

/* CTP04 and its unit; 0 when set, -1 when no quantity can be given */
static int ndc_qty(struct ctx *x, const struct dgrp *g, int64_t units, struct dc_dec amount,
		   enum dc_us_unit au, struct cl *l)
{
	const struct dc_table *t = &x->r->us_ndc;
	if (g->n >= 0) {
		struct dc_dec bpp, ps;
		const char *nu = tval(t, g->n, "ndc_unit");
		if (parse_dec(tval(t, g->n, "billunits_per_package"), &bpp) != 0 || bpp.v == 0)
			return -1;
		if (parse_dec(tval(t, g->n, "package_size"), &ps) != 0)
			ps.v = DC_DEC_SCALE;
		if (dc_us_ndc_quantity(units, bpp, ps, strcmp(nu, "UN") != 0, &l->nq) != 0)
			return -1;
		l->nunit = nu;
		return 0;
	}
	/* NDC not in the crosswalk: the amount itself, in the X12 unit of its unit */
	const char *nu = NULL;
	struct dc_dec q = amount;
	switch (au) {
	case DC_US_U_MG: nu = "ME"; break;
	case DC_US_U_MCG: nu = "ME"; q.v = amount.v / 1000 + (amount.v % 1000 != 0); break;
	case DC_US_U_G: nu = "GR"; break;
	case DC_US_U_ML: nu = "ML"; break;
	case DC_US_U_UNITS: nu = "F2"; break;
	default: return -1;
	}
	/* three decimals, half up */
	int64_t rem = q.v % 1000;
	q.v -= rem;
	if (rem >= 500)
		q.v += 1000;
	l->nq = q;
	l->nunit = nu;
	return 0;
}

/*
 * |ours| followed by the extract's own modifiers (';'-separated, trimmed,
 * upper-cased, no duplicates). With |drug| set, JW and JZ of the extract are
 * dropped: US-DRUG-JW and US-DRUG-JZ decide them.
 */
static const char *merge_mods(struct ctx *x, const char *ours, const char *theirs, int drug)
{
	const char *m = ours;
	char buf[16];
	for (const char *p = theirs; *p;) {
		const char *e = strchr(p, ';');
		size_t k = e ? (size_t)(e - p) : strlen(p);
		while (k && isspace((unsigned char)*p)) {
			p++;
			k--;
		}
		while (k && isspace((unsigned char)p[k - 1]))
			k--;
		if (k && k < sizeof buf) {
			memcpy(buf, p, k);
			buf[k] = '\0';
			const char *u = upper_dup(x->a, buf);
			if (!drug || (strcmp(u, "JW") && strcmp(u, "JZ")))
				m = add_id(x->a, m, u);
		}
		if (!e)
			break;
		p = e + 1;
	}
	return m;
}

/* the line's NDC and CTP04, or a warning and no NDC */
static void line_ndc(struct ctx *x, const struct dgrp *g, struct cl *l, int64_t units,
		     struct dc_dec amount, enum dc_us_unit au, const char *name)
{
	l->ndc = g->ndc;
	if (!*g->ndc)
		return;
	if (ndc_qty(x, g, units, amount, au, l) == 0) {
		l->rule = add_id(x->a, l->rule, DC_US_NDC);
		return;
	}
	if (l->kind == KL_DRUG)
		dc_coded_warn(x->out, x->a, DC_US_NDC, g->line,
			      "ndc %s of %s sent without it: no quantity can be given in an NDC "
			      "unit", g->ndc, name);
	l->ndc = "";
}

/*
 * Sums the doses (and waste) of a group in the finest unit among its rows and
 * the billing unit, so that every sum is exact: 0.25 mg and 250 mcg of a
 * 25 mcg code are both 10 units. Returns 0, or -1 after holding the encounter.
 */
static int group_amounts(struct ctx *x, struct dgrp *g, const char *name, enum dc_us_unit bu,
			 struct dc_dec bua, struct dc_dec *total, struct dc_dec *waste,
			 struct dc_dec *unit, enum dc_us_unit *cu)
{
	struct dc_encounter *enc = x->enc;
	struct dc_dec *am = dc_arena_alloc(x->a, 2 * g->nr * sizeof *am);
	enum dc_us_unit *au = dc_arena_alloc(x->a, 2 * g->nr * sizeof *au);
	*cu = bu;
	for (size_t i = 0; i < g->nr; i++) {
		const struct dc_item *it = g->r[i]->it;
		if (!it->has_dose) {
			dc_encounter_hold(enc, DC_HOLD_DOCUMENTATION, x->a,
					  "dose is missing for %s (line %lu)", name, it->line);
			return -1;
		}
		if (row_amount(it, it->dose, bu, &am[2 * i], &au[2 * i]) != 0) {
			dc_encounter_hold(enc, DC_HOLD_DRUG_CODING, x->a,
					  "dose unit '%s' of %s (line %lu) does not convert to the "
					  "billing unit %s of %s (US-DRUG-UNITS)",
					  it->f[DC_I_DOSE_UNIT], name, it->line,
					  dc_us_unit_name(bu), g->code);
			return -1;
		}
		struct dc_dec w = { 0 };
		if (it->has_wasted)
			w = it->wasted;
		if (row_amount(it, w, bu, &am[2 * i + 1], &au[2 * i + 1]) != 0) {
			au[2 * i + 1] = au[2 * i];
			am[2 * i + 1].v = 0;
		}
		if (finer(au[2 * i], *cu))
			*cu = au[2 * i];
	}
	total->v = waste->v = 0;
	if (dc_us_convert(bua, bu, *cu, unit) != 0)
		goto range;
	for (size_t i = 0; i < 2 * g->nr; i++) {
		struct dc_dec d;
		struct dc_dec *sum = i % 2 ? waste : total;
		if (dc_us_convert(am[i], au[i], *cu, &d) != 0 || sum->v > INT64_MAX / 2 - d.v)
			goto range;
		sum->v += d.v;
	}
	return 0;
range:
	dc_encounter_hold(enc, DC_HOLD_INVALID_FIELD, x->a, "dose of %s is out of range "
			  "(US-DRUG-UNITS)", name);
	return -1;
}

static void drug_group_line(struct ctx *x, struct dgrp *g)
{
	const struct dc_table *dt = &x->r->us_drugs;
	const struct drow *d0 = g->r[0];
	const char *name = drug_display(x, d0);
	const char *src = "";
	for (size_t i = 0; i < g->nr; i++)
		src = src_join(x->a, src, g->r[i]->it->line);
	struct dc_dec bua;
	enum dc_us_unit bu = dc_us_unit_parse(tval(dt, g->d, "billing_unit"));
	int have_bu = parse_dec(tval(dt, g->d, "billing_unit_amount"), &bua) == 0 && bua.v > 0;
	int64_t units = 0, jwu = 0;
	struct dc_dec total = { 0 }, waste = { 0 }, unit = bua;
	enum dc_us_unit cu = bu;
	const char *arith, *rule, *desc = "";
	int jz = 0;
	char b1[32], b2[32], b3[32];

	if (g->fluid) {
		/* US-FLUID: the whole volume infused, by bag size */
		for (size_t i = 0; i < g->nr; i++) {
			const struct dc_item *it = g->r[i]->it;
			struct dc_dec vol = it->volume_ml;
			if (!it->has_volume) {
				if (!it->has_dose ||
				    dc_us_unit_parse(it->f[DC_I_DOSE_UNIT]) != DC_US_U_ML) {
					dc_coded_warn(x->out, x->a, DC_US_FLUID, it->line,
						      "%s (line %lu) has no volume_ml: no fluid line",
						      name, it->line);
					return;
				}
				vol = it->dose;
			}
			total.v += vol.v;
		}
		if (!have_bu) {
			dc_encounter_hold(x->enc, DC_HOLD_DRUG_CODING, x->a,
					  "%s has no billing unit in us/drugs.csv (US-FLUID)", g->code);
			return;
		}
		units = dc_us_ceil_units(total, bua);
		cu = DC_US_U_ML;
		arith = ARITH(x, "%s mL / %s mL = %lld", dec_str(total, b1, sizeof b1),
					dec_str(bua, b2, sizeof b2), (long long)units);
		rule = DC_US_FLUID;
	} else if (g->noc) {
		/* US-NOC: one unit; the drug and its dose go in the description */
		const char *du = d0->it->f[DC_I_DOSE_UNIT];
		for (size_t i = 0; i < g->nr; i++)
			if (g->r[i]->it->has_dose)
				total.v += g->r[i]->it->dose.v;
		cu = dc_us_unit_parse(du);
		units = 1;
		desc = total.v ? dc_arena_printf(x->a, "%s %s %s", name,
						 dec_str(total, b1, sizeof b1), du) : name;
		if (strlen(desc) > 80)   /* SV101-7 / SV202-7 hold 80 characters */
			desc = dc_arena_strndup(x->a, desc, 80);
		arith = "not otherwise classified: 1 unit";
		rule = DC_US_NOC;
	} else {
		if (!have_bu || bu == DC_US_U_NONE) {
			dc_encounter_hold(x->enc, DC_HOLD_DRUG_CODING, x->a,
					  "%s has no billing unit in us/drugs.csv (US-DRUG-UNITS)",
					  g->code);
			return;
		}
		if (group_amounts(x, g, name, bu, bua, &total, &waste, &unit, &cu) != 0)
			return;
		units = dc_us_ceil_units(total, unit);
		arith = ARITH(x, "%s %s / %s %s = %lld", dec_str(total, b1, sizeof b1),
					dc_us_unit_name(cu), dec_str(unit, b2, sizeof b2),
					dc_us_unit_name(cu), (long long)units);
		rule = DC_US_DRUG_UNITS;

		/* US-DRUG-JW: whole billing units left in the opened single-dose containers */
		int single = yes(tval(dt, g->d, "single_dose"));
		int packaged = x->facility && !strcmp(tval(dt, g->d, "opps_si"), "N");
		const char *why = NULL;
		if (waste.v > 0) {
			struct dc_dec opened = { total.v + waste.v };
			int64_t all = dc_us_ceil_units(opened, unit);
			if (!single)
				why = "not a single-dose container";
			else if (!x->jw)
				why = "the payer does not pay for discarded drug";
			else if (packaged)
				why = "packaged under OPPS (status N) on an 837I claim";
			else if (all - units < 1)
				why = dc_arena_printf(x->a, "less than one billing unit after rounding "
						      "(%lld units cover %s %s + %s %s)",
						      (long long)units, dec_str(total, b1, sizeof b1),
						      dc_us_unit_name(cu), dec_str(waste, b2, sizeof b2),
						      dc_us_unit_name(cu));
			else
				jwu = all - units;
			if (why)
				dc_coded_warn(x->out, x->a, DC_US_DRUG_JW, g->line,
					      "waste of %s not billed: %s", name, why);
		}
		/*
		 * US-DRUG-JZ: a single-dose drug with no JW line, for payers that
		 * require it; not when waste was recorded but the payer does not
		 * take JW (JZ would state that nothing was discarded).
		 */
		jz = x->jz && single && !jwu && !packaged && !(waste.v > 0 && !x->jw);
	}

	struct cl *l = ol_add(x, KL_DRUG);
	l->code = g->code;
	l->units = dec_units(units);
	l->rule = rule;
	l->arith = arith;
	l->desc = desc;
	l->src = src;
	l->t = g->t;
	l->line = g->line;
	l->ord = g->ord;
	if (g->elec)
		l->rule = add_id(x->a, l->rule, DC_US_ELECTROLYTE);
	if (jz) {
		l->mods = "JZ";
		l->rule = add_id(x->a, l->rule, DC_US_DRUG_JZ);
	}
	l->mods = merge_mods(x, l->mods, d0->it->f[DC_I_MODIFIERS], 1);
	line_ndc(x, g, l, units, total, cu, name);

	/* the extract's charge is the whole line's charge */
	for (size_t i = 0; i < g->nr; i++)
		if (g->r[i]->it->has_charge) {
			l->charge += g->r[i]->it->charge.v;
			l->has_charge = 1;
		}
	if (g->noc && !l->has_charge) {
		dc_coded_warn(x->out, x->a, DC_US_NOC, g->line,
			      "%s %s (line %lu) has no charge in the extract: charged 0.00",
			      g->code, name, g->line);
		l->has_charge = 1;
	}

	if (jwu > 0) {
		struct cl *w = ol_add(x, KL_WASTE);
		w->code = g->code;
		w->mods = "JW";
		w->units = dec_units(jwu);
		w->rule = DC_US_DRUG_JW;
		w->arith = ARITH(x, "ceil((%s + %s) %s / %s %s) = %lld, %lld - %lld = "
					   "%lld", dec_str(total, b1, sizeof b1),
					   dec_str(waste, b2, sizeof b2), dc_us_unit_name(cu),
					   dec_str(unit, b3, sizeof b3), dc_us_unit_name(cu),
					   (long long)(units + jwu), (long long)(units + jwu),
					   (long long)units, (long long)jwu);
		w->src = src;
		w->t = g->t;
		w->line = g->line;
		w->ord = g->ord;
		if (*l->ndc)
			line_ndc(x, g, w, jwu, waste, cu, name);
	}
}

/*
 * Drug lines follow their administrations in claim order (the initial's
 * drug first, as in example 1 of coding-us.md), then time, then input line.
 */
static int cmp_grp(const void *pa, const void *pb)
{
	const struct dgrp *a = pa, *b = pb;
	if (a->ord != b->ord)
		return a->ord < b->ord ? -1 : 1;
	if (a->t != b->t)
		return a->t < b->t ? -1 : 1;
	return a->line < b->line ? -1 : a->line > b->line;
}

/* the code a drug row's line is grouped under */
static const char *group_code(const struct drow *d)
{
	return d->tcat == TC_FLUID && d->n < 0 && saline_code(d->code) ? "J7050" : d->code;
}

static void drug_lines(struct ctx *x)
{
	size_t n = x->nrows + 1;
	struct dgrp *g = dc_arena_alloc(x->a, n * sizeof *g);
	size_t *gid = dc_arena_alloc(x->a, n * sizeof *gid);
	size_t *cnt = dc_arena_alloc(x->a, n * sizeof *cnt);
	struct smap keys;
	smap_init(x->a, &keys, n);
	size_t nk = 0;
	/* one group per drug and NDC; sized first, so memory stays linear */
	for (size_t i = 0; i < x->nrows; i++) {
		const struct drow *d = &x->rows[i];
		const char *code = group_code(d), *ndc = d->it->ndc11;
		size_t nc = strlen(code), nn = strlen(ndc);
		char *key = dc_arena_alloc(x->a, nc + nn + 2);
		memcpy(key, code, nc);
		key[nc] = ' ';
		memcpy(key + nc + 1, ndc, nn + 1);
		gid[i] = smap_get(&keys, key, nk);
		if (gid[i] == nk)
			nk++;
		cnt[gid[i]]++;
	}
	for (size_t k = 0; k < nk; k++)
		g[k].r = dc_arena_alloc(x->a, cnt[k] * sizeof *g[k].r);
	for (size_t i = 0; i < x->nrows; i++) {
		struct drow *d = &x->rows[i];
		struct adm *m = d->adm;
		struct svc *v = m->svc;
		const char *name = drug_display(x, d);
		int fluid = d->tcat == TC_FLUID;
		if (x->phys_fac) {
			dc_coded_warn(x->out, x->a, DC_US_PHYS_FACILITY, d->it->line,
				      "%s (line %lu) not billed by the physician at place of service "
				      "%s: the facility supplies and bills the drug", name,
				      d->it->line, x->pos);
			continue;
		}
		if (fluid && m->excluded) {
			dc_coded_warn(x->out, x->a, DC_US_NOT_BILLED, d->it->line,
				      "%s (line %lu) is a %s fluid: no fluid line", name, d->it->line,
				      m->purpose == P_KVO ? "keep-vein-open" :
				      m->purpose == P_VEHICLE ? "vehicle" : "flush");
			continue;
		}
		if (fluid && m->ecat == EC_HYD) {
			if (v->cat != EC_HYD) {
				dc_coded_warn(x->out, x->a, DC_US_FLUID, d->it->line,
					      "%s (line %lu) carries %s in the same bag: no hydration "
					      "and no fluid line", name, d->it->line, v->name);
				continue;
			}
			if (!v->reported) {
				dc_coded_warn(x->out, x->a, DC_US_FLUID, d->it->line,
					      "%s (line %lu) was not reported as hydration: no fluid "
					      "line", name, d->it->line);
				continue;
			}
		}
		struct dgrp *gr = &g[gid[i]];
		if (!gr->nr) {
			gr->code = group_code(d);
			gr->ndc = d->it->ndc11;
			gr->n = d->n;
			gr->d = dc_table_find(&x->r->us_drugs, gr->code);
			if (gr->d < 0)
				gr->d = d->d;
			gr->t = NOTIME;
			gr->ord = INT32_MAX;
			gr->line = d->it->line;
			gr->fluid = fluid;
			gr->noc = yes(tval(&x->r->us_drugs, gr->d, "noc"));
		}
		gr->r[gr->nr++] = d;
		if (v->ord < gr->ord)
			gr->ord = v->ord;
		if (d->it->start.present && d->it->start.t < gr->t)
			gr->t = d->it->start.t;
		if (d->tcat == TC_ELEC && m->ecat == EC_HYD)
			gr->elec = 1;
	}
	size_t ng = 0;
	for (size_t k = 0; k < nk; k++)
		if (g[k].nr)
			g[ng++] = g[k];
	qsort(g, ng, sizeof *g, cmp_grp);
	for (size_t k = 0; k < ng; k++)
		drug_group_line(x, &g[k]);
}

/* ------------------------------------------------------------------ */
/* visits, procedures, supplies: US-EM-99211, US-EM-25, US-BUNDLED      */

static struct cl *item_line(struct ctx *x, struct dc_item *it, int kind, const char *code)
{
	struct cl *l = ol_add(x, kind);
	l->code = code;
	l->units = it->has_units ? it->units : dec_units(1);
	l->src = src_join(x->a, "", it->line);
	l->line = it->line;
	l->mods = merge_mods(x, "", it->f[DC_I_MODIFIERS], 0);
	if (it->has_charge) {
		l->charge = it->charge.v;
		l->has_charge = 1;
	}
	return l;
}

static void other_lines(struct ctx *x)
{
	struct dc_encounter *enc = x->enc;
	int admin = 0, infinj = 0;
	for (size_t i = 0; i < x->nal; i++)
		if (!x->al[i].dead)
			admin = infinj = 1;
	/* procedures first: their administration codes count for visits */
	for (size_t i = 0; i < enc->nitems; i++) {
		struct dc_item *it = &enc->items[i];
		if (it->type != DC_ITEM_PROCEDURE)
			continue;
		const char *code = upper_dup(x->a, it->f[DC_I_CODE]);
		if (!*code)
			continue;
		const char *k = admin_kind(x, code);
		if (!strcmp(k, "other") && strcmp(code, "96523") && strcmp(code, "96416") &&
		    strcmp(code, "96549") && !x->phys_fac)
			admin = infinj = 1;
	}
	for (size_t i = 0; i < enc->nitems; i++) {
		struct dc_item *it = &enc->items[i];
		if (it->type != DC_ITEM_PROCEDURE && it->type != DC_ITEM_SUPPLY)
			continue;
		const char *code = upper_dup(x->a, it->f[DC_I_CODE]);
		const char *what = it->type == DC_ITEM_SUPPLY ? "supply" : "procedure";
		if (!*code) {
			dc_encounter_hold(enc, DC_HOLD_DOCUMENTATION, x->a,
					  "code is missing for %s (line %lu)", what, it->line);
			continue;
		}
		const char *k = admin_kind(x, code);
		if (!strcmp(k, "initial") || !strcmp(k, "addon") || !strcmp(k, "injection") ||
		    !strcmp(code, "96416") || !strcmp(code, "96549")) {
			dc_coded_warn(x->out, x->a, DC_US_BUNDLED, it->line,
				      "administration code %s on a procedure row (line %lu) not "
				      "reported: administration codes come from the drug rows", code,
				      it->line);
			continue;
		}
		if (x->phys_fac && is_admin_code(x, code)) {
			dc_coded_warn(x->out, x->a, DC_US_PHYS_FACILITY, it->line,
				      "%s (line %lu) not reported by the physician at place of "
				      "service %s", code, it->line, x->pos);
			continue;
		}
		if (!strcmp(code, "96523")) {
			int other = infinj;
			if (other) {
				dc_coded_warn(x->out, x->a, DC_US_BUNDLED, it->line,
					      "port flush 96523 (line %lu) not reported: another "
					      "injection or infusion is on the claim", it->line);
				continue;
			}
			struct cl *l = item_line(x, it, KL_PROC, code);
			l->rule = DC_US_BUNDLED;
			l->arith = "port flush alone";
			admin = 1;
			continue;
		}
		if (it->type == DC_ITEM_SUPPLY || !strcmp(k, "bundled")) {
			if (admin) {
				dc_coded_warn(x->out, x->a, DC_US_BUNDLED, it->line,
					      "%s %s (line %lu) not reported: included in the drug "
					      "administration", what, code, it->line);
				continue;
			}
		}
		item_line(x, it, KL_PROC, code);
	}
	for (size_t i = 0; i < enc->nitems; i++) {
		struct dc_item *it = &enc->items[i];
		if (it->type != DC_ITEM_VISIT)
			continue;
		const char *code = upper_dup(x->a, it->f[DC_I_CODE]);
		if (!*code) {
			dc_encounter_hold(enc, DC_HOLD_DOCUMENTATION, x->a,
					  "code is missing for visit (line %lu)", it->line);
			continue;
		}
		if (admin && !strcmp(code, "99211")) {
			dc_coded_warn(x->out, x->a, DC_US_EM_99211, it->line,
				      "visit 99211 (line %lu) not reported: never with a drug "
				      "administration code", it->line);
			continue;
		}
		if (admin && !it->separately_identifiable) {
			dc_coded_warn(x->out, x->a, DC_US_EM_25, it->line,
				      "visit %s (line %lu) not reported: not marked separately "
				      "identifiable next to drug administration", code, it->line);
			continue;
		}
		struct cl *l = item_line(x, it, KL_VISIT, code);
		l->rule = DC_US_EM_25;
		if (admin) {
			l->mods = merge_mods(x, "25", it->f[DC_I_MODIFIERS], 0);
			l->arith = "separately identifiable visit with drug administration: 25";
		} else {
			l->arith = "no drug administration code on the claim";
		}
	}
}

/* ------------------------------------------------------------------ */
/* claim checks: US-NDC, US-NOC, US-AUTH, US-MUE, US-FILING             */

static void claim_checks(struct ctx *x, struct cl **lines, size_t n)
{
	struct dc_encounter *enc = x->enc;
	const struct dc_table *pt = &x->r->us_payers, *at = &x->r->us_admin;
	const char *payer = enc->f[DC_E_PAYER_ID];
	for (size_t i = 0; i < n; i++) {
		const struct cl *l = lines[i];
		if ((l->kind == KL_DRUG || l->kind == KL_WASTE) && !*l->ndc) {
			long d = dc_table_find(&x->r->us_drugs, l->code);
			if (d >= 0 && yes(tval(&x->r->us_drugs, d, "noc")))
				dc_encounter_hold(enc, DC_HOLD_DRUG_CODING, x->a,
						  "%s '%s' (line %lu) is not otherwise classified and "
						  "needs an ndc (US-NOC)", l->code, l->desc, l->line);
			else if (x->ndc_req)
				dc_encounter_hold(enc, DC_HOLD_DRUG_CODING, x->a,
						  "drug line %s (line %lu) has no ndc; payer %s requires "
						  "one (US-NDC)", l->code, l->line, payer);
		}
	}
	/* US-AUTH */
	const char *pa = tval(pt, x->payer, "prior_auth_codes");
	if (*pa && !*enc->f[DC_E_AUTH_REF])
		for (size_t i = 0; i < n; i++) {
			int seen = 0;
			for (size_t k = 0; k < i; k++)
				seen |= !strcmp(lines[k]->code, lines[i]->code);
			if (!seen && has_id(pa, lines[i]->code))
				dc_encounter_hold(enc, DC_HOLD_PREAUTH, x->a,
						  "%s needs prior authorisation by payer %s and "
						  "auth_ref is empty (US-AUTH)", lines[i]->code, payer);
		}
	/* US-MUE: units per code over all its lines, JW included */
	const char *mcol = x->facility ? "mue_oph" : "mue_prac";
	const char *icol = x->facility ? "mue_oph_mai" : "mue_mai";
	for (size_t i = 0; i < n; i++) {
		int seen = 0;
		for (size_t k = 0; k < i; k++)
			seen |= !strcmp(lines[k]->code, lines[i]->code);
		long r = dc_table_find(at, lines[i]->code);
		struct dc_dec mue;
		if (seen || r < 0 || parse_dec(tval(at, r, mcol), &mue) != 0)
			continue;
		struct dc_dec sum = { 0 };
		for (size_t k = i; k < n; k++)
			if (!strcmp(lines[k]->code, lines[i]->code))
				sum.v += lines[k]->units.v;
		if (sum.v > mue.v) {
			char b1[32], b2[32];
			const char *mai = tval(at, r, icol);
			dc_encounter_hold(enc, DC_HOLD_CODING_LIMIT, x->a,
					  "%s x %s is over the %s MUE of %s (MAI %s%s) (US-MUE)",
					  lines[i]->code, dec_str(sum, b1, sizeof b1),
					  x->facility ? "outpatient hospital" : "practitioner",
					  dec_str(mue, b2, sizeof b2), *mai ? mai : "?",
					  !strcmp(mai, "1") ? ": line edit" :
					  !strcmp(mai, "2") ? ": date of service, policy" :
					  !strcmp(mai, "3") ? ": date of service, clinical" : "");
		}
	}
	/*
	 * US-FILING: against the run's date (--now), which the rules carry; a
	 * run without one (0) skips the check.
	 */
	struct dc_dec lim;
	int32_t today = x->r->today;
	if (n && today && parse_dec(tval(pt, x->payer, "timely_filing_days"), &lim) == 0) {
		int64_t deadline = enc->service_day + lim.v / DC_DEC_SCALE;
		char b[16];
		if (today > deadline)
			dc_encounter_hold(enc, DC_HOLD_TIMELY_FILING, x->a,
					  "service date %s is past payer %s's filing limit of %lld "
					  "days (US-FILING)", dc_date_format(enc->service_day, b, sizeof b),
					  payer, (long long)(lim.v / DC_DEC_SCALE));
		else if (deadline - today <= 30)
			dc_coded_warn(x->out, x->a, DC_US_FILING, enc->first_line,
				      "%lld days left to file with payer %s",
				      (long long)(deadline - today), payer);
	}
}

/* ------------------------------------------------------------------ */
/* claim order, merging, claims, explanation                            */

static int cmp_admin(const void *pa, const void *pb)
{
	const struct cl *a = *(struct cl *const *)pa, *b = *(struct cl *const *)pb;
	if (a->grp != b->grp)
		return a->grp < b->grp ? -1 : 1;
	if (a->t != b->t)
		return a->t < b->t ? -1 : 1;
	return a->seq < b->seq ? -1 : a->seq > b->seq;
}

static const char *cat_name(const struct svc *v)
{
	switch (v->cat) {
	case EC_CHEMO: return v->hormonal ? "hormonal anti-neoplastic" : "chemotherapy";
	case EC_THER: return "therapeutic";
	case EC_HYD: return "hydration";
	default: return "not billed";
	}
}

static const char *kind_name(int k)
{
	switch (k) {
	case K_INF: return "IV infusion";
	case K_PUSH: return "IV push";
	case K_HYD: return "IV hydration";
	case K_INJ: return "injection";
	case K_IA: return "intra-arterial injection";
	case K_SCINF: return "subcutaneous infusion";
	case K_PUMP: return "prolonged infusion by pump";
	default: return "no administration code";
	}
}

static void notes(struct ctx *x)
{
	for (size_t k = 0; k < x->nadm; k++) {
		struct adm *m = &x->adms[k];
		struct svc *v = m->svc;
		char b1[8], b2[8];
		const char *lines = "";
		for (size_t i = 0; i < m->nr; i++)
			lines = src_join(x->a, lines, m->r[i]->it->line);
		const char *timing;
		if (!m->has_start)
			timing = "no start time";
		else if (!m->timed)
			timing = dc_arena_printf(x->a, "start %s, no stop time",
						 hhmm(m->start, b1, sizeof b1));
		else
			timing = dc_arena_printf(x->a, "%d min %s%s%s", m->minutes,
						 m->nseg > 1 ? dc_arena_printf(x->a,
							"drip to drip over %zu segments", m->nseg)
						 : dc_arena_printf(x->a, "%s-%s",
							hhmm(m->start, b1, sizeof b1),
							hhmm(m->stop, b2, sizeof b2)),
						 m->overnight ? ", stop on the next day" : "",
						 m->derived ? ", stop derived from volume/rate" : "");
		const char *role = m->excluded ? dc_arena_printf(x->a, "%s, not billed",
				   m->purpose == P_KVO ? "keep vein open" :
				   m->purpose == P_VEHICLE ? "vehicle" : "flush")
			: v->lead != m ? dc_arena_printf(x->a, "in bag '%s' with %s", m->bag, v->name)
			: v->kind == K_HYD ? kind_name(v->kind)
			: dc_arena_printf(x->a, "%s %s", cat_name(v), kind_name(v->kind));
		dc_coded_note(x->out, x->a,
			      "line %s: %s (%s, by %s): %s, site '%s', route %s, %s%s%s",
			      lines, drug_display(x, m->r[0]), m->r[0]->code, m->r[0]->how, role,
			      v->site >= 0 ? x->sites[v->site] : norm_dup(x->a, m->site_raw),
			      *m->r[0]->it->f[DC_I_ROUTE] ? m->r[0]->it->f[DC_I_ROUTE] : "IV",
			      timing,
			      v->lead == m && v->kind == K_PUMP ? dc_arena_printf(x->a,
					", pump: %s", v->pump_how) : "",
			      v->lead == m && v->site >= 0 && is_initial(x, v)
			      ? ", the initial service of its site" : "");
	}
}

static void emit(struct ctx *x, struct cl **lines, size_t n)
{
	struct dc_encounter *enc = x->enc;
	const char *base = dc_claim_id(enc->f[DC_E_ENCOUNTER_ID], x->a);
	int p837 = !x->facility;
	int claim = 0, line_no = 0;
	const char *cid = base;
	int64_t total = 0;
	for (size_t i = 0; i < n; i++) {
		/*
		 * 837P: at most 50 lines a claim. A JW line stays with its drug
		 * line (a claim with only the JW line is rejected).
		 */
		int room = DC_US_MAX_LINES_837P - line_no;
		if (p837 && (room == 0 ||
			     (room == 1 && i + 1 < n && lines[i + 1]->kind == KL_WASTE))) {
			claim++;
			line_no = 0;
			cid = dc_claim_id(dc_arena_join_num(x->a, enc->f[DC_E_ENCOUNTER_ID],
							    (size_t)-1, '-', claim + 1), x->a);
		}
		const struct cl *c = lines[i];
		struct dc_line *l = dc_coded_add_line(x->out, x->a);
		l->claim_id = cid;
		l->claim_type = x->claim_type;
		l->line_no = ++line_no;
		l->line_control = dc_arena_join_num(x->a, cid, (size_t)-1, '-', line_no);
		if (strlen(l->line_control) > 30)
			l->line_control = dc_arena_join_num(x->a, cid, 26, '-', line_no);
		l->kind = c->kind == KL_ADMIN ? "admin" : c->kind == KL_DRUG ? "drug" :
			  c->kind == KL_WASTE ? "drug_waste" : c->kind == KL_VISIT ? "visit" :
			  "procedure";
		l->code = c->code;
		l->modifiers = c->mods;
		l->units = c->units;
		l->ndc = c->ndc;
		if (*c->ndc) {
			l->ndc_quantity = c->nq;
			l->ndc_unit = c->nunit;
		}
		l->description = c->desc;
		l->dx_pointers = x->dxp;
		l->rule = c->rule;
		l->source_lines = c->src;
		l->arith = c->arith;
		if (c->has_charge) {
			l->charge = c->charge;
		} else {
			int found;
			int64_t uc = unit_cents(x, c->code, &found);
			if (!found || dc_us_line_charge(uc, c->units, &l->charge) != 0)
				l->charge = 0;
			if (!found)
				dc_coded_note(x->out, x->a, "%s: no unit_charge in us/charges.csv, "
					      "charged 0.00", c->code);
		}
		total += l->charge;
	}
	x->out->nclaims = n ? claim + 1 : 0;
	x->out->charge = total;
}

int dc_us_code(const struct dc_rules *rules, struct dc_encounter *enc,
	       struct dc_coded *out, struct dc_arena *a)
{
	if (!rules || !enc || !out || !a)
		return DC_ERR_BUG;
	struct ctx x;
	memset(&x, 0, sizeof x);
	x.r = rules;
	x.enc = enc;
	x.out = out;
	x.a = a;
	x.emit = 1;
	x.facility = enc->facility;
	x.claim_type = enc->facility ? "837I" : "837P";
	x.pos = *enc->f[DC_E_PLACE_OF_SERVICE] ? enc->f[DC_E_PLACE_OF_SERVICE]
					       : enc->facility ? "22" : "11";
	/* US-PHYS-FACILITY: facility places of service */
	static const char *const fac_pos[] = { "19", "21", "22", "23", "24", "26", "31", "34",
		"41", "42", "51", "52", "53", "56", "61", NULL };
	for (size_t i = 0; fac_pos[i] && !x.facility; i++)
		if (!strcmp(x.pos, fac_pos[i]))
			x.phys_fac = 1;
	x.payer = dc_table_find(&rules->us_payers, enc->f[DC_E_PAYER_ID]);
	if (x.payer < 0) {
		/* validation holds unknown payers; stay safe anyway */
		dc_encounter_hold(enc, DC_HOLD_ELIGIBILITY, a,
				  "payer_id '%s' is not in the us/payers.csv table (US-PAYER)",
				  enc->f[DC_E_PAYER_ID]);
		return 0;
	}
	x.dmod = tval(&rules->us_payers, x.payer, "distinct_modifier");
	if (!*x.dmod)
		x.dmod = "59";
	x.jw = yes(tval(&rules->us_payers, x.payer, "bills_waste_jw"));
	x.jz = yes(tval(&rules->us_payers, x.payer, "requires_jz"));
	x.ndc_req = yes(tval(&rules->us_payers, x.payer, "ndc_required"));
	/* pointers to the principal diagnosis and up to three more */
	x.dxp = enc->ndx >= 4 ? "1;2;3;4" : enc->ndx == 3 ? "1;2;3" : enc->ndx == 2 ? "1;2" : "1";

	/* 1. classify and time the drug rows */
	size_t nd = 0;
	for (size_t i = 0; i < enc->nitems; i++)
		nd += enc->items[i].type == DC_ITEM_DRUG;
	x.rows = dc_arena_alloc(a, (nd + 1) * sizeof *x.rows);
	for (size_t i = 0; i < enc->nitems; i++)
		if (enc->items[i].type == DC_ITEM_DRUG) {
			x.rows[x.nrows].it = &enc->items[i];
			classify_row(&x, &x.rows[x.nrows++]);
		}
	if (enc->hold != DC_HOLD_NONE)
		return 0;
	build_adms(&x);
	if (enc->hold != DC_HOLD_NONE)
		return 0;

	/* 2. services, kinds, sites, hydration periods */
	build_svcs(&x);
	kind_svcs(&x);
	assign_sites(&x);
	hyd_periods(&x);
	for (size_t j = 0; j < x.nsvc; j++) {
		struct svc *v = &x.svcs[j];
		for (size_t i = 0; i < v->nm; i++)
			if (v->m[i]->excluded && v->m[i]->r[0]->tcat != TC_FLUID)
				dc_coded_warn(out, a, DC_US_NOT_BILLED, v->m[i]->line,
					      "%s (line %lu) given as %s: no administration code",
					      drug_display(&x, v->m[i]->r[0]), v->m[i]->line,
					      v->m[i]->purpose == P_KVO ? "keep vein open" :
					      v->m[i]->purpose == P_VEHICLE ? "vehicle" : "flush");
	}

	/* 3. administration codes */
	choose_and_code(&x);
	if (x.phys_fac) {
		for (size_t i = 0; i < x.nal; i++)
			if (!x.al[i].dead) {
				x.al[i].dead = 1;
				dc_coded_warn(out, a, DC_US_PHYS_FACILITY, x.al[i].line,
					      "%s for %s (line %lu) not reported by the physician at "
					      "place of service %s: the facility bills it",
					      x.al[i].code, x.al[i].svc->name, x.al[i].line, x.pos);
			}
	}
	/* US-INJ: with an IV administration code an injection is a distinct service */
	int iv = 0;
	for (size_t i = 0; i < x.nal; i++)
		if (!x.al[i].dead && x.al[i].iv)
			iv = 1;
	for (size_t i = 0; i < x.nal; i++) {
		struct cl *l = &x.al[i];
		if (!l->dead && iv && l->svc->kind == K_INJ)
			l->mods = x.dmod;
	}

	/* 4. claim order and merging of equal code+modifier administration lines */
	struct cl **o = dc_arena_alloc(a, (x.nal + 1) * sizeof *o);
	size_t n = 0;
	for (size_t i = 0; i < x.nal; i++)
		if (!x.al[i].dead)
			o[n++] = &x.al[i];
	qsort(o, n, sizeof *o, cmp_admin);
	for (size_t j = 0; j < x.nsvc; j++)
		x.svcs[j].ord = INT32_MAX;
	size_t m = 0;
	for (size_t i = 0; i < n; i++) {
		size_t k = 0;
		while (k < m && !(!strcmp(o[k]->code, o[i]->code) && !strcmp(o[k]->mods, o[i]->mods)))
			k++;
		if (o[i]->svc->ord > (int)k)
			o[i]->svc->ord = (int)k;
		if (k == m) {
			o[m++] = o[i];
			continue;
		}
		struct cl *t = o[k];
		t->units.v += o[i]->units.v;
		t->rule = add_ids(a, t->rule, o[i]->rule);
		t->src = add_ids(a, t->src, o[i]->src);
		if (out->explain)
			t->arith = dc_arena_printf(a, "%s; %s", t->arith, o[i]->arith);
	}
	n = m;

	/* 5. drug lines, then visits and procedures */
	drug_lines(&x);
	other_lines(&x);
	if (out->explain)   /* only explain shows them */
		notes(&x);
	struct cl **all = dc_arena_alloc(a, (n + x.nol + 1) * sizeof *all);
	memcpy(all, o, n * sizeof *o);
	o = all;
	static const int order[] = { KL_DRUG, KL_VISIT, KL_PROC };
	for (size_t g = 0; g < 3; g++)
		for (size_t i = 0; i < x.nol; i++)
			if (!x.ol[i].dead && (x.ol[i].kind == order[g] ||
					      (order[g] == KL_DRUG && x.ol[i].kind == KL_WASTE)))
				o[n++] = &x.ol[i];

	/* 6. claim checks, then the lines */
	claim_checks(&x, o, n);
	if (enc->hold != DC_HOLD_NONE) {
		out->nlines = 0;
		out->nclaims = 0;
		out->charge = 0;
		return 0;
	}
	emit(&x, o, n);
	return 0;
}
