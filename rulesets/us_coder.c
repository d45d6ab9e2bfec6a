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
	int grp, site, iv, dead, seq;
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
	return dc_arena_printf(a, "%s;%s", list, id);
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
		snprintf(buf, n, "?");
		return buf;
	}
	int64_t s = ((t % 86400) + 86400) % 86400;
	snprintf(buf, n, "%02d:%02d", (int)(s / 3600), (int)(s / 60 % 60));
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
	char b[24];
	snprintf(b, sizeof b, "%lu", line);
	return add_id(a, list, dc_arena_strdup(a, b));
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
	x->adms = dc_arena_alloc(x->a, (x->nrows ? x->nrows : 1) * sizeof *x->adms);
	for (size_t i = 0; i < x->nrows; i++) {
		struct drow *d = &x->rows[i];
		const char *id = d->it->f[DC_I_ADMIN_ID];
		struct adm *m = NULL;
		if (*id)
			for (size_t k = 0; k < x->nadm; k++)
				if (!strcmp(x->adms[k].r[0]->it->f[DC_I_ADMIN_ID], id)) {
					m = &x->adms[k];
					break;
				}
		if (!m) {
			m = &x->adms[x->nadm++];
			m->r = dc_arena_alloc(x->a, x->nrows * sizeof *m->r);
			m->line = d->it->line;
		} else if (m->r[0]->d >= 0 && d->d >= 0 && m->r[0]->d != d->d) {
			dc_encounter_hold(x->enc, DC_HOLD_CONFLICTING_FIELDS, x->a,
					  "rows with admin_id '%s' name different drugs (lines %lu "
					  "and %lu)", id, m->line, d->it->line);
		}
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

static int64_t seg_overlap(const struct seg *a, size_t na, int64_t s, int64_t e)
{
	int64_t sum = 0;
	for (size_t i = 0; i < na; i++) {
		if (!a[i].has_s || !a[i].has_e)
			continue;
		int64_t lo = a[i].s > s ? a[i].s : s, hi = a[i].e < e ? a[i].e : e;
		if (hi > lo)
			sum += hi - lo;
	}
	return sum;
}

static void build_svcs(struct ctx *x)
{
	x->svcs = dc_arena_alloc(x->a, (x->nadm ? x->nadm : 1) * sizeof *x->svcs);
	for (size_t k = 0; k < x->nadm; k++) {
		struct adm *m = &x->adms[k];
		struct svc *v = NULL;
		if (*m->bag)
			for (size_t j = 0; j < x->nsvc; j++)
				if (!strcmp(x->svcs[j].m[0]->bag, m->bag)) {
					v = &x->svcs[j];
					break;
				}
		if (!v) {
			v = &x->svcs[x->nsvc];
			v->idx = x->nsvc++;
			v->m = dc_arena_alloc(x->a, x->nadm * sizeof *v->m);
		}
		v->m[v->nm++] = m;
		m->svc = v;
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
		size_t cap = 4 * (L->nseg + 1) * (x->nsvc + 1);
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
