/*
 * UK coding engine: CCSD X3590 and drug line items for Healthcode-style
 * invoices (spec/coding-uk.md).
 *
 * dc_uk_code() runs on one validated UK encounter. It first runs every claim
 * check, collecting each problem with dc_encounter_hold() (which keeps the
 * category of the first reason and appends the others), and only when nothing
 * holds the encounter does it build the invoice lines:
 *
 *   1. the procedure line(s): the extract's own procedures (UK-PROCEDURE,
 *      UK-X3590-CONCURRENT), else one X3590 for intravenous administration as
 *      the sole procedure (UK-X3590-SOLE);
 *   2. consultations marked separately identifiable (UK-CONSULT);
 *   3. one line per drug administered, in order of administration
 *      (UK-DRUG-ITEM), at amount 0 for insurers that do not itemise drugs
 *      (UK-DRUG-BUNDLED).
 *
 * The order of the checks decides the hold category when several apply. It
 * follows the seed's list of rejection categories -- preauth, sole_procedure,
 * drug_coding, provider, documentation -- with invalid_field (a procedure
 * code of the wrong form, a missing fee) between provider and documentation,
 * so that `provider` wins over `invalid_field` as UK-PROVIDER requires. The
 * documentation checks come last because they are the most common and the
 * least specific: an encounter missing both its authorisation and its
 * consent is first of all a pre-authorisation problem, which is the one an
 * insurer rejects on at submission.
 *
 * Thread safety: the coder keeps no static mutable state. It reads the rules
 * (never modified after loading) and writes only to |enc|, |out| and the
 * arena, so several workers may code different encounters at once.
 */
#include "rulesets/uk_coder.h"
#include "rulesets/dc_coder.h"
#include "engine/buf.h"
#include "engine/dc_status.h"
#include "engine/validate.h"

#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ------------------------------------------------------------------ */
/* exact money                                                          */

int dc_uk_price_parse(const char *s, int64_t *price4)
{
	struct dc_dec d;
	if (!s || !*s || dc_dec_parse(s, &d) != 0 || d.v < 0)
		return -1;
	/* dc_dec has six places; a price has at most four */
	if (d.v % (DC_DEC_SCALE / DC_UK_PRICE_SCALE))
		return -1;
	*price4 = d.v / (DC_DEC_SCALE / DC_UK_PRICE_SCALE);
	return 0;
}

char *dc_uk_price_format(int64_t price4, char *buf, size_t n)
{
	uint64_t v = price4 < 0 ? 0 - (uint64_t)price4 : (uint64_t)price4;
	char tmp[40], *q = tmp + sizeof tmp;
	*--q = '\0';
	/* four decimals: keep two, drop trailing zeros beyond them */
	unsigned f = (unsigned)(v % DC_UK_PRICE_SCALE);
	int places = f % 100 == 0 ? 2 : f % 10 == 0 ? 3 : 4;
	for (int i = 4; i > 0; i--, f /= 10)
		if (i <= places)
			*--q = (char)('0' + f % 10);
	*--q = '.';
	uint64_t w = v / DC_UK_PRICE_SCALE;
	do {
		*--q = (char)('0' + w % 10);
		w /= 10;
	} while (w);
	if (price4 < 0)
		*--q = '-';
	size_t len = (size_t)(tmp + sizeof tmp - 1 - q);
	if (n) {
		if (len >= n)
			len = n - 1;
		memcpy(buf, q, len);
		buf[len] = '\0';
	}
	return buf;
}

/*
 * qty (1e-6 units) x price4 (1e-4 pounds) is in 1e-10 pounds; pence are
 * 1e-2 pounds, so the amount is round_half_up(qty * price4 / 1e8). The
 * product can pass 2^63 (a 1e12 quantity times a 1e13 price), so it is
 * split instead of relying on a 128-bit type:
 *   qty   = qh * 1e8 + ql     (ql < 1e8)
 *   price = ph * 1e4 + pl     (pl < 1e4, ph < 1e9)
 *   qty * price / 1e8 = qh * price + (ql * ph * 1e4 + ql * pl) / 1e8
 * and ql * ph = A1 * 1e4 + A0 (A0 < 1e4) gives
 *   (ql * ph * 1e4) / 1e8 = A1 + A0 * 1e4 / 1e8,
 * so every intermediate stays below 1e17.
 */
int dc_uk_line_amount(struct dc_dec qty, int64_t price4, int64_t *pence)
{
	const int64_t E8 = 100000000LL, E4 = 10000LL;
	if (qty.v < 0 || price4 < 0 || price4 >= 10000000000000LL)
		return -1;
	int64_t qh = qty.v / E8, ql = qty.v % E8;
	int64_t ph = price4 / E4, pl = price4 % E4;
	if (qh && price4 > INT64_MAX / qh)
		return -1;
	int64_t whole = qh * price4;
	int64_t A = ql * ph;
	int64_t A1 = A / E4, A0 = A % E4;
	int64_t C = A0 * E4 + ql * pl;   /* < 1e8 + 1e12 */
	int64_t add = A1 + C / E8 + ((C % E8) * 2 >= E8 ? 1 : 0);
	if (whole > INT64_MAX - add)
		return -1;
	*pence = whole + add;
	return 0;
}

int dc_uk_line_bundled(const struct dc_line *line)
{
	return line->rule && strstr(line->rule, DC_UK_DRUG_BUNDLED) != NULL;
}

/* round_half_up(num / den) for num >= 0, den > 0 */
static int64_t div_round(int64_t num, int64_t den)
{
	return num / den + ((num % den) * 2 >= den ? 1 : 0);
}

/* ------------------------------------------------------------------ */
/* the coder                                                            */

struct uk_drug {
	struct dc_item *it;
	size_t idx;             /* position in enc->items */
	long row;               /* uk/drugs.csv row, -1 when not in the table */
	const char *dmd;        /* dm+d code of the line ("" when unidentified) */
	const char *generic;    /* generic name for the description */
	const char *strength;   /* strength / concentration for the description */
	const char *unit;       /* unit the quantity and price are in */
	int64_t price4;         /* table price per unit (1/10000 pounds) */
	int has_price;
	struct dc_dec qty;      /* dose converted to |unit| */
	int has_qty;
	const char *conv;       /* "1.5 g" or "500 mcg = 0.5 mg": how qty was read */
	int identified;         /* by dm+d code, by table dm+d code or by name */
	int iv;                 /* route IV */
	int leader;             /* index in the drug array of the line it joins, or own */
};

struct uk_ctx {
	const struct dc_rules *rules;
	struct dc_encounter *enc;
	struct dc_coded *out;
	struct dc_arena *a;
	long ins_row;
	const char *ins_name;
	int itemises;               /* insurer itemises drugs */
	const char *sole_code;      /* the infusion-sole code, X3590 */
	const char *claim_id;

	struct uk_drug *drugs;
	size_t ndrugs;
	size_t *procs;              /* item indexes of procedure items */
	size_t nprocs;
	size_t *visits;
	size_t nvisits;
	const char **proc_codes;    /* upper-cased code of each procedure item */
	int nsole;                  /* procedure items with the infusion-sole code */
	int nother;                 /* procedure items with another code */
	int has_iv;                 /* at least one IV drug item */
};

static int yes(const char *v)
{
	return v && (v[0] == 'Y' || v[0] == 'y') && v[1] == '\0';
}

static const char *upper_dup(struct dc_arena *a, const char *s)
{
	char *p = dc_arena_strdup(a, s);
	for (char *q = p; *q; q++)
		*q = (char)toupper((unsigned char)*q);
	return p;
}

/* Lower-cases ASCII, trims and collapses runs of blanks (name matching). */
static void norm_name(const char *s, size_t n, char *out, size_t cap)
{
	size_t k = 0;
	int space = 0;
	for (size_t i = 0; i < n && k + 1 < cap; i++) {
		unsigned char c = (unsigned char)s[i];
		if (isspace(c)) {
			space = k > 0;
			continue;
		}
		if (space && k + 2 < cap)
			out[k++] = ' ';
		space = 0;
		out[k++] = (char)tolower(c);
	}
	out[k] = '\0';
}

static int cmp_name_row(const void *x, const void *y)
{
	const struct dc_name_row *a = x, *b = y;
	int c = strcmp(a->name, b->name);
	return c ? c : (a->row > b->row) - (a->row < b->row);
}

static void index_add(struct dc_name_index *ix, size_t *cap, const char *s, size_t n, long row)
{
	char norm[256];
	norm_name(s, n, norm, sizeof norm);
	if (!norm[0])
		return;
	if (ix->n == *cap) {
		*cap = *cap ? *cap * 2 : 64;
		ix->e = dc_xrealloc(ix->e, *cap * sizeof *ix->e);
	}
	ix->e[ix->n].name = dc_xstrdup(norm);
	ix->e[ix->n++].row = row;
}

/* Sorted by name, each name kept with its first row only. */
static void index_finish(struct dc_name_index *ix)
{
	if (!ix->n)
		return;
	qsort(ix->e, ix->n, sizeof *ix->e, cmp_name_row);
	size_t k = 1;
	for (size_t i = 1; i < ix->n; i++) {
		if (strcmp(ix->e[i].name, ix->e[k - 1].name) == 0)
			free(ix->e[i].name);
		else
			ix->e[k++] = ix->e[i];
	}
	ix->n = k;
}

void dc_uk_drug_index_build(struct dc_rules *r)
{
	const struct dc_table *t = &r->uk_drugs;
	int cn = dc_table_col(t, "names"), cg = dc_table_col(t, "generic_name");
	size_t capn = 0, capg = 0;
	for (size_t row = 0; row < t->nrows; row++) {
		const char *p = cn >= 0 ? dc_table_get(t, (long)row, cn) : "";
		while (*p) {
			const char *e = strchr(p, ';');
			size_t n = e ? (size_t)(e - p) : strlen(p);
			index_add(&r->uk_drug_names, &capn, p, n, (long)row);
			p += n + (e ? 1 : 0);
		}
		if (cg >= 0) {
			const char *g = dc_table_get(t, (long)row, cg);
			index_add(&r->uk_drug_generics, &capg, g, strlen(g), (long)row);
		}
	}
	index_finish(&r->uk_drug_names);
	index_finish(&r->uk_drug_generics);
}

static void index_release(struct dc_name_index *ix)
{
	for (size_t i = 0; i < ix->n; i++)
		free(ix->e[i].name);
	free(ix->e);
	ix->e = NULL;
	ix->n = 0;
}

void dc_uk_drug_index_release(struct dc_rules *r)
{
	index_release(&r->uk_drug_names);
	index_release(&r->uk_drug_generics);
}

static long index_find(const struct dc_name_index *ix, const char *norm)
{
	size_t lo = 0, hi = ix->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(ix->e[mid].name, norm);
		if (c == 0)
			return ix->e[mid].row;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return -1;
}

/*
 * Finds the uk/drugs.csv row whose `names` list holds |name|, else the first
 * row whose generic_name is |name|, both compared normalised (norm_name).
 * Names come first because two rows may share a generic name (sodium
 * chloride 0.9% 500 mL and 1000 mL) while each name is on one row only.
 * The indexes are built when the rules are loaded.
 */
static long drug_by_name(const struct dc_rules *rules, const char *name)
{
	char want[256];
	norm_name(name, strlen(name), want, sizeof want);
	if (!want[0])
		return -1;
	long row = index_find(&rules->uk_drug_names, want);
	return row >= 0 ? row : index_find(&rules->uk_drug_generics, want);
}

/* Mass units as powers of ten of a microgram; -1 for other units. */
static int mass_exp(const char *u)
{
	if (!strcasecmp(u, "mcg") || !strcasecmp(u, "microgram") || !strcasecmp(u, "ug"))
		return 0;
	if (!strcasecmp(u, "mg"))
		return 3;
	if (!strcasecmp(u, "g"))
		return 6;
	return -1;
}

static const int64_t pow10_tab[] = { 1, 10, 100, 1000, 10000, 100000, 1000000 };

/*
 * Converts |v| in unit |from| to unit |to|: mcg, mg and g convert into each
 * other; any other unit (mL, units, mEq) only into itself. Returns 0, 1 when
 * the result had to be rounded (half up) to six decimals, -1 when the units
 * do not convert, -2 on overflow.
 */
static int convert_units(struct dc_dec v, const char *from, const char *to,
			 struct dc_dec *out)
{
	if (!strcasecmp(from, to)) {
		*out = v;
		return 0;
	}
	int ef = mass_exp(from), et = mass_exp(to);
	if (ef < 0 || et < 0)
		return -1;
	if (ef >= et) {
		int64_t m = pow10_tab[ef - et];
		if (v.v > INT64_MAX / m)
			return -2;
		out->v = v.v * m;
		return 0;
	}
	int64_t d = pow10_tab[et - ef];
	out->v = div_round(v.v, d);
	return v.v % d ? 1 : 0;
}

/* dm+d codes are SNOMED CT concept ids: 6 to 18 digits. */
static int dmd_form(const char *s)
{
	size_t n = strlen(s);
	if (n < 6 || n > 18)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!isdigit((unsigned char)s[i]))
			return 0;
	return 1;
}

static const char *dec_str(struct dc_arena *a, struct dc_dec d)
{
	char b[48];
	return dc_arena_strdup(a, dc_dec_format(d, b, sizeof b));
}

static const char *money_str(struct dc_arena *a, int64_t pence)
{
	char b[48];
	return dc_arena_strdup(a, dc_money_format(pence, b, sizeof b));
}

static const char *price_str(struct dc_arena *a, int64_t price4)
{
	char b[48];
	return dc_arena_strdup(a, dc_uk_price_format(price4, b, sizeof b));
}

/* ------------------------------------------------------------------ */
/* classification                                                       */

static int is_sole_code(const struct uk_ctx *x, const char *code)
{
	long r = dc_table_find(&x->rules->uk_procedures, code);
	if (r >= 0)
		return strcmp(dc_table_value(&x->rules->uk_procedures, r, "kind"),
			      "infusion-sole") == 0;
	return strcmp(code, x->sole_code) == 0;
}

static void classify(struct uk_ctx *x)
{
	struct dc_encounter *enc = x->enc;
	struct dc_arena *a = x->a;
	size_t n = enc->nitems ? enc->nitems : 1;
	x->drugs = dc_arena_alloc(a, n * sizeof *x->drugs);
	x->procs = dc_arena_alloc(a, n * sizeof *x->procs);
	x->visits = dc_arena_alloc(a, n * sizeof *x->visits);
	x->proc_codes = dc_arena_alloc(a, n * sizeof *x->proc_codes);
	for (size_t i = 0; i < enc->nitems; i++) {
		struct dc_item *it = &enc->items[i];
		switch (it->type) {
		case DC_ITEM_DRUG: {
			struct uk_drug *d = &x->drugs[x->ndrugs];
			d->it = it;
			d->idx = i;
			d->row = -1;
			d->dmd = d->generic = d->strength = d->unit = d->conv = "";
			d->iv = !strcasecmp(it->f[DC_I_ROUTE], "IV");
			d->leader = (int)x->ndrugs;
			x->has_iv |= d->iv;
			x->ndrugs++;
			break;
		}
		case DC_ITEM_PROCEDURE: {
			const char *code = upper_dup(a, it->f[DC_I_CODE]);
			x->proc_codes[x->nprocs] = code;
			x->procs[x->nprocs++] = i;
			if (*code && is_sole_code(x, code))
				x->nsole++;
			else
				x->nother++;
			break;
		}
		case DC_ITEM_VISIT:
			x->visits[x->nvisits++] = i;
			break;
		case DC_ITEM_SUPPLY:
			break;
		}
	}
}

/* ------------------------------------------------------------------ */
/* checks, in hold-category order                                       */

/* UK-PREAUTH */
static void check_preauth(struct uk_ctx *x)
{
	const char *req = dc_table_value(&x->rules->uk_insurers, x->ins_row, "requires_preauth");
	if (yes(req) && !*x->enc->f[DC_E_AUTH_REF])
		dc_encounter_hold(x->enc, DC_HOLD_PREAUTH, x->a,
				  "auth_ref is missing: %s requires pre-authorisation for "
				  "infusion (%s)", x->ins_name, DC_UK_PREAUTH);
}

/* UK-X3590-CONCURRENT: the extract itself pairs X3590 with another procedure. */
static void check_sole(struct uk_ctx *x)
{
	if (!x->nsole || !x->nother)
		return;
	const char *other = "", *sole = x->sole_code;
	unsigned long line = 0;
	for (size_t k = 0; k < x->nprocs; k++) {
		const char *c = x->proc_codes[k];
		if (*c && is_sole_code(x, c))
			sole = c;
		else if (!*other) {
			other = *c ? c : "(no code)";
			line = x->enc->items[x->procs[k]].line;
		}
	}
	dc_encounter_hold(x->enc, DC_HOLD_SOLE_PROCEDURE, x->a,
			  "%s is billed with procedure %s (line %lu): %s is for intravenous "
			  "infusion as the sole procedure, and billing it with another "
			  "procedure is upcoding (%s)", sole, other, line, sole,
			  DC_UK_X3590_CONCURRENT);
}

/* UK-DRUG-ITEM: identify every drug, read its quantity and price. */
static void check_drugs(struct uk_ctx *x)
{
	const struct dc_table *t = &x->rules->uk_drugs;
	struct dc_encounter *enc = x->enc;
	struct dc_arena *a = x->a;
	for (size_t i = 0; i < x->ndrugs; i++) {
		struct uk_drug *d = &x->drugs[i];
		struct dc_item *it = d->it;
		const char *code = it->f[DC_I_DMD_CODE];
		const char *name = it->f[DC_I_DRUG_NAME];
		if (*code) {
			if (!dmd_form(code)) {
				dc_encounter_hold(enc, DC_HOLD_DRUG_CODING, a,
						  "dmd_code '%s' is not a dm+d code (6 to 18 digits) "
						  "(line %lu) (%s)", code, it->line, DC_UK_DRUG_ITEM);
				continue;
			}
			d->row = dc_table_find(t, code);
			d->dmd = code;
			d->identified = 1;
			if (d->row >= 0 && *name) {
				/* a drug_name naming another product of the table */
				long nr = drug_by_name(x->rules, name);
				if (nr >= 0 && nr != d->row)
					dc_coded_warn(x->out, a, DC_UK_DRUG_ITEM, it->line,
						      "drug_name '%s' names dm+d %s but dmd_code is %s: "
						      "billed as %s", name, dc_table_get(t, nr, 0), code,
						      code);
			}
		} else if (*name) {
			d->row = drug_by_name(x->rules, name);
			if (d->row >= 0) {
				d->dmd = dc_table_get(t, d->row, 0);
				d->identified = 1;
			}
		}
		if (!d->identified) {
			if (*name)
				dc_encounter_hold(enc, DC_HOLD_DRUG_CODING, a,
						  "drug '%s' (line %lu) has no dmd_code and matches no "
						  "name in uk/drugs.csv (%s)", name, it->line,
						  DC_UK_DRUG_ITEM);
			else
				dc_encounter_hold(enc, DC_HOLD_DRUG_CODING, a,
						  "drug item (line %lu) has neither dmd_code nor drug_name "
						  "(%s)", it->line, DC_UK_DRUG_ITEM);
			continue;
		}
		if (d->row >= 0) {
			d->generic = dc_table_value(t, d->row, "generic_name");
			d->strength = dc_table_value(t, d->row, "strength");
			d->unit = dc_table_value(t, d->row, "unit");
			const char *p = dc_table_value(t, d->row, "price");
			if (dc_uk_price_parse(p, &d->price4) == 0)
				d->has_price = 1;
			else if (!it->has_charge)
				dc_encounter_hold(enc, DC_HOLD_DRUG_CODING, a,
						  "uk/drugs.csv price '%s' of dm+d %s is not an amount "
						  "with up to four decimals (line %lu) (%s)", p, d->dmd,
						  it->line, DC_UK_PRICE);
		} else {
			/* a dm+d code the table does not know: the extract's own name,
			 * strength and charge may still make the line */
			d->generic = name;
			d->strength = it->f[DC_I_CONCENTRATION];
			d->unit = it->f[DC_I_DOSE_UNIT];
			if (!it->has_charge)
				dc_encounter_hold(enc, DC_HOLD_DRUG_CODING, a,
						  "dmd_code %s (line %lu) is not in uk/drugs.csv and the "
						  "item has no charge to price it (%s)", code, it->line,
						  DC_UK_DRUG_ITEM);
		}

		/* quantity: the dose in the table's unit; fluids priced per mL may
		 * give only volume_ml */
		struct dc_dec src;
		const char *src_unit;
		if (it->has_dose) {
			src = it->dose;
			src_unit = it->f[DC_I_DOSE_UNIT];
		} else if (it->has_volume && !strcasecmp(d->unit, "mL")) {
			src = it->volume_ml;
			src_unit = "mL";
		} else {
			continue;   /* UK-DOCS holds it: total dose missing */
		}
		if (!*d->unit)
			d->unit = src_unit;
		int r = convert_units(src, src_unit, d->unit, &d->qty);
		if (r == -1) {
			dc_encounter_hold(enc, DC_HOLD_DRUG_CODING, a,
					  "dose of %s is in %s and cannot be converted to %s, the "
					  "unit of its price in uk/drugs.csv (line %lu) (%s)",
					  *d->generic ? d->generic : d->dmd, src_unit, d->unit,
					  it->line, DC_UK_DRUG_ITEM);
			continue;
		}
		if (r == -2) {
			dc_encounter_hold(enc, DC_HOLD_INVALID_FIELD, a,
					  "dose '%s' is too large (line %lu)", it->f[DC_I_DOSE],
					  it->line);
			continue;
		}
		d->has_qty = 1;
		/* the table's spelling of the unit ("mL") */
		char b1[48], b2[48];
		if (!strcasecmp(src_unit, d->unit))
			d->conv = dc_arena_printf(a, "%s %s", dc_dec_format(d->qty, b1, sizeof b1),
						  d->unit);
		else
			d->conv = dc_arena_printf(a, "%s %s = %s%s %s",
						  dc_dec_format(src, b1, sizeof b1), src_unit,
						  r == 1 ? "~" : "",
						  dc_dec_format(d->qty, b2, sizeof b2), d->unit);
		if (r == 1)
			dc_coded_warn(x->out, a, DC_UK_DRUG_ITEM, it->line,
				      "dose %s %s converted to %s rounded to six decimals",
				      it->f[DC_I_DOSE], src_unit, d->unit);
	}
}

/* UK-PROVIDER */
static void check_provider(struct uk_ctx *x)
{
	struct dc_encounter *enc = x->enc;
	const char *reg = enc->f[DC_E_RENDERING_PROVIDER_ID];
	if (!*reg)
		return;   /* UK-DOCS: clinician registration number missing */
	if (!dc_gmc_form(reg) && !dc_nmc_form(reg)) {
		dc_encounter_hold(enc, DC_HOLD_PROVIDER, x->a,
				  "rendering_provider_id '%s' is neither a GMC number (7 digits) "
				  "nor an NMC PIN (2 digits, letter, 4 digits, letter) (%s)", reg,
				  DC_UK_PROVIDER);
		return;
	}
	/*
	 * uk/providers.csv is keyed on insurer_code + registration; its column 0
	 * index tells whether the insurer has a list at all, and the rows are
	 * scanned for the registration (a handful per insurer).
	 */
	const struct dc_table *t = &x->rules->uk_providers;
	const char *ins = enc->f[DC_E_PAYER_ID];
	if (dc_table_find(t, ins) < 0)
		return;
	int creg = dc_table_col(t, "registration");
	for (size_t r = 0; r < t->nrows; r++)
		if (!strcmp(dc_table_get(t, (long)r, 0), ins) &&
		    !strcasecmp(dc_table_get(t, (long)r, creg), reg))
			return;
	dc_encounter_hold(enc, DC_HOLD_PROVIDER, x->a,
			  "clinician %s is not a recognised provider for %s in uk/providers.csv "
			  "(%s)", reg, x->ins_name, DC_UK_PROVIDER);
}

/* 1 when the visit item |it| is billed as its own consultation line. */
static int visit_billed(const struct uk_ctx *x, const struct dc_item *it)
{
	/* a consultation that is the whole session bundles into nothing */
	return it->separately_identifiable || (x->ndrugs == 0 && x->nprocs == 0);
}

static const char *default_consult_code(const struct uk_ctx *x)
{
	const struct dc_table *t = &x->rules->uk_procedures;
	int ck = dc_table_col(t, "kind");
	for (size_t r = 0; r < t->nrows; r++)
		if (!strcmp(dc_table_get(t, (long)r, ck), "consultation"))
			return dc_table_get(t, (long)r, 0);
	return "";
}

/*
 * Fee of |code| for the insurer: a column fee_<insurer_code> of
 * uk/procedures.csv when the table has one and the cell is filled (the
 * "insurer-specific fee"), else the fee column. Returns 0 or -1.
 */
static int procedure_fee(const struct uk_ctx *x, const char *code, int64_t *price4)
{
	const struct dc_table *t = &x->rules->uk_procedures;
	long r = dc_table_find(t, code);
	if (r < 0)
		return -1;
	char col[64];
	dc_format(col, sizeof col, "fee_%s", x->enc->f[DC_E_PAYER_ID]);
	const char *v = dc_table_value(t, r, col);
	if (!*v)
		v = dc_table_value(t, r, "fee");
	return dc_uk_price_parse(v, price4);
}

/* UK-PROCEDURE form checks and UK-PRICE fee availability: invalid_field */
static void check_codes(struct uk_ctx *x)
{
	struct dc_encounter *enc = x->enc;
	for (size_t k = 0; k < x->nprocs; k++) {
		struct dc_item *it = &enc->items[x->procs[k]];
		const char *c = x->proc_codes[k];
		int64_t p;
		if (!*c)
			dc_encounter_hold(enc, DC_HOLD_INVALID_FIELD, x->a,
					  "code is missing on procedure item (line %lu) (%s)",
					  it->line, DC_UK_PROCEDURE);
		else if (!dc_ccsd_form(c))
			dc_encounter_hold(enc, DC_HOLD_INVALID_FIELD, x->a,
					  "code '%s' is not a CCSD code (a letter and four digits) "
					  "(line %lu) (%s)", it->f[DC_I_CODE], it->line,
					  DC_UK_PROCEDURE);
		else if (!it->has_charge && procedure_fee(x, c, &p) != 0)
			dc_encounter_hold(enc, DC_HOLD_INVALID_FIELD, x->a,
					  "no fee for procedure code %s: not in uk/procedures.csv "
					  "and no charge given (line %lu) (%s)", c, it->line,
					  DC_UK_PRICE);
	}
	for (size_t k = 0; k < x->nvisits; k++) {
		struct dc_item *it = &enc->items[x->visits[k]];
		if (!visit_billed(x, it))
			continue;
		const char *c = *it->f[DC_I_CODE] ? upper_dup(x->a, it->f[DC_I_CODE])
						   : default_consult_code(x);
		int64_t p;
		if (!*c)
			dc_encounter_hold(enc, DC_HOLD_INVALID_FIELD, x->a,
					  "code is missing on visit item (line %lu) and "
					  "uk/procedures.csv has no consultation code (%s)", it->line,
					  DC_UK_CONSULT);
		else if (!dc_ccsd_form(c))
			dc_encounter_hold(enc, DC_HOLD_INVALID_FIELD, x->a,
					  "code '%s' is not a CCSD code (a letter and four digits) "
					  "(line %lu) (%s)", it->f[DC_I_CODE], it->line,
					  DC_UK_PROCEDURE);
		else if (!it->has_charge && procedure_fee(x, c, &p) != 0)
			dc_encounter_hold(enc, DC_HOLD_INVALID_FIELD, x->a,
					  "no fee for consultation code %s: not in "
					  "uk/procedures.csv and no charge given (line %lu) (%s)", c,
					  it->line, DC_UK_PRICE);
	}
	/* X3590 made by the coder needs its fee too */
	int64_t p;
	if (!x->nprocs && x->has_iv && procedure_fee(x, x->sole_code, &p) != 0)
		dc_encounter_hold(enc, DC_HOLD_INVALID_FIELD, x->a,
				  "no fee for %s in uk/procedures.csv (%s)", x->sole_code,
				  DC_UK_PRICE);
}

/*
 * Input line lists ("2;3;4") are built in a heap dc_buf and copied to the
 * arena once: appending with dc_arena_printf would copy the growing string
 * for every row, quadratic arena use on an encounter with many rows.
 */
static void list_add(struct dc_buf *b, const char *sep, unsigned long line)
{
	if (b->len)
		dc_buf_adds(b, sep);
	dc_buf_printf(b, "%lu", line);
}

static const char *list_done(struct dc_arena *a, struct dc_buf *b)
{
	const char *s = dc_arena_strdup(a, b->len ? b->p : "");
	dc_buf_release(b);
	return s;
}

/* Appends to a short list of problem lines ("2, 5"): held encounters only. */
static const char *add_line(struct dc_arena *a, const char *list, unsigned long line)
{
	return *list ? dc_arena_printf(a, "%s, %lu", list, line)
		     : dc_arena_printf(a, "%lu", line);
}

/* UK-DOCS (the six elements) and UK-DIAGNOSIS: documentation */
static void check_docs(struct uk_ctx *x)
{
	struct dc_encounter *enc = x->enc;
	struct dc_arena *a = x->a;
	const char **f = enc->f;

	/* 1. clinical indication */
	if (!*f[DC_E_INDICATION])
		dc_encounter_hold(enc, DC_HOLD_DOCUMENTATION, a,
				  "clinical indication is missing: indication is empty (%s)",
				  DC_UK_DOCS);

	/* 2. drug identity: generic name, concentration and total dose of every
	 * substance. A dm+d code the table knows names the substance. */
	const char *no_name = "", *no_conc = "", *no_dose = "";
	for (size_t i = 0; i < x->ndrugs; i++) {
		struct uk_drug *d = &x->drugs[i];
		struct dc_item *it = d->it;
		if (!*it->f[DC_I_DRUG_NAME] && d->row < 0)
			no_name = add_line(a, no_name, it->line);
		if (!*it->f[DC_I_CONCENTRATION])
			no_conc = add_line(a, no_conc, it->line);
		if (!it->has_dose && !(it->has_volume && !strcasecmp(d->unit, "mL")))
			no_dose = add_line(a, no_dose, it->line);
	}
	if (*no_name || *no_conc || *no_dose) {
		const char *what = "";
		if (*no_name)
			what = dc_arena_printf(a, "generic name (drug_name) missing on line %s",
					       no_name);
		if (*no_conc)
			what = dc_arena_printf(a, "%s%sconcentration missing on line %s", what,
					       *what ? ", " : "", no_conc);
		if (*no_dose)
			what = dc_arena_printf(a, "%s%stotal dose (dose) missing on line %s", what,
					       *what ? ", " : "", no_dose);
		dc_encounter_hold(enc, DC_HOLD_DOCUMENTATION, a, "drug identity is incomplete: "
				  "%s (%s)", what, DC_UK_DOCS);
	} else if (x->ndrugs == 0 && x->nsole) {
		dc_encounter_hold(enc, DC_HOLD_DOCUMENTATION, a,
				  "drug identity is missing: %s has no drug item naming the "
				  "substance infused (%s)", x->sole_code, DC_UK_DOCS);
	}

	/* 3. route, and access (cannula) site of intravenous/intra-arterial items */
	const char *no_route = "", *no_site = "";
	for (size_t i = 0; i < x->ndrugs; i++) {
		struct dc_item *it = x->drugs[i].it;
		const char *route = it->f[DC_I_ROUTE];
		if (!*route)
			no_route = add_line(a, no_route, it->line);
		else if ((!strcasecmp(route, "IV") || !strcasecmp(route, "IA")) &&
			 !*it->f[DC_I_ACCESS_SITE])
			no_site = add_line(a, no_site, it->line);
	}
	if (*no_route || *no_site)
		dc_encounter_hold(enc, DC_HOLD_DOCUMENTATION, a,
				  "route and access (cannula) site are not documented: %s%s%s%s%s "
				  "(%s)", *no_route ? "route missing on line " : "", no_route,
				  *no_route && *no_site ? ", " : "",
				  *no_site ? "access_site missing on line " : "", no_site,
				  DC_UK_DOCS);

	/* 4. duration: start and end of every infusion (a push or injection has a
	 * start time; a method left empty is derived from the times, so it needs
	 * both) */
	const char *no_time = "";
	for (size_t i = 0; i < x->ndrugs; i++) {
		struct uk_drug *d = &x->drugs[i];
		struct dc_item *it = d->it;
		if (!d->iv && strcasecmp(it->f[DC_I_ROUTE], "IA"))
			continue;
		const char *m = it->f[DC_I_METHOD];
		int bolus = !strcasecmp(m, "push") || !strcasecmp(m, "injection");
		if (!it->start.present || (!bolus && !it->stop.present))
			no_time = add_line(a, no_time, it->line);
	}
	if (*no_time)
		dc_encounter_hold(enc, DC_HOLD_DOCUMENTATION, a,
				  "duration is not documented: start_time or stop_time missing on "
				  "line %s (%s)", no_time, DC_UK_DOCS);

	/* 5. consent=Y */
	if (!yes(f[DC_E_CONSENT]))
		dc_encounter_hold(enc, DC_HOLD_DOCUMENTATION, a,
				  "consent is not recorded: consent must be Y, it is %s%s%s (%s)",
				  *f[DC_E_CONSENT] ? "'" : "empty", f[DC_E_CONSENT],
				  *f[DC_E_CONSENT] ? "'" : "", DC_UK_DOCS);

	/* 6. clinician name and registration number (validation holds these
	 * already; kept so the coder stands on its own) */
	int no_cn = !*f[DC_E_RENDERING_PROVIDER_NAME], no_cr = !*f[DC_E_RENDERING_PROVIDER_ID];
	if (no_cn || no_cr)
		dc_encounter_hold(enc, DC_HOLD_DOCUMENTATION, a,
				  "clinician name and registration number are not documented: "
				  "%s%s%s is empty (%s)", no_cn ? "rendering_provider_name" : "",
				  no_cn && no_cr ? " and " : "",
				  no_cr ? "rendering_provider_id" : "", DC_UK_DOCS);

	/* UK-DIAGNOSIS */
	const char *rd = dc_table_value(&x->rules->uk_insurers, x->ins_row,
					"requires_diagnosis");
	if (yes(rd) && enc->ndx == 0)
		dc_encounter_hold(enc, DC_HOLD_DOCUMENTATION, a,
				  "diagnosis_codes is missing: %s requires at least one ICD-10 "
				  "diagnosis code (%s)", x->ins_name, DC_UK_DIAGNOSIS);
}

/* ------------------------------------------------------------------ */
/* lines                                                                */

static struct dc_line *new_line(struct uk_ctx *x, const char *kind)
{
	struct dc_line *l = dc_coded_add_line(x->out, x->a);
	l->claim_id = x->claim_id;
	l->claim_type = "UK";
	l->line_no = (int)x->out->nlines;
	l->line_control = "";
	l->kind = kind;
	return l;
}

/*
 * Prices a procedure or consultation line: the charge column (the whole line
 * amount) when given, else units x fee.
 */
static void price_fee_line(struct uk_ctx *x, struct dc_line *l, const struct dc_item *it,
			   const char *code)
{
	struct dc_dec units = { DC_DEC_SCALE };
	if (it && it->has_units)
		units = it->units;
	l->units = units;
	if (it && it->has_charge) {
		/* validate.c stores the charge column in cents in charge.v */
		l->charge = it->charge.v;
		l->unit_price = units.v && l->charge <= INT64_MAX / 100000000LL
			? div_round(l->charge * 100000000LL, units.v) : 0;
		l->arith = dc_arena_printf(x->a, "charge column = %s",
					   money_str(x->a, l->charge));
		return;
	}
	int64_t p = 0;
	procedure_fee(x, code, &p);   /* checked in check_codes */
	l->unit_price = p;
	if (dc_uk_line_amount(units, p, &l->charge) != 0)
		l->charge = 0;   /* unreachable for validated units and table fees */
	l->arith = dc_arena_printf(x->a, "%s x %s = %s", dec_str(x->a, units),
				   price_str(x->a, p), money_str(x->a, l->charge));
}

static const char *proc_description(const struct uk_ctx *x, const char *code)
{
	long r = dc_table_find(&x->rules->uk_procedures, code);
	return r >= 0 ? dc_table_value(&x->rules->uk_procedures, r, "description") : "";
}

static void emit_procedures(struct uk_ctx *x)
{
	struct dc_encounter *enc = x->enc;
	struct dc_arena *a = x->a;
	struct dc_buf lb;
	dc_buf_init(&lb);
	for (size_t i = 0; i < x->ndrugs; i++)
		if (x->drugs[i].iv)
			list_add(&lb, ";", x->drugs[i].it->line);
	const char *iv_lines = list_done(a, &lb);

	if (x->nother) {
		/* UK-X3590-CONCURRENT / UK-PROCEDURE: the extract's procedures, the
		 * one marked primary first, then in input order */
		size_t first = 0;
		for (size_t k = 0; k < x->nprocs; k++)
			if (enc->items[x->procs[k]].primary) {
				first = k;
				break;
			}
		const char *primary = x->proc_codes[first];
		for (size_t n = 0; n < x->nprocs; n++) {
			size_t k = n == 0 ? first : (n <= first ? n - 1 : n);
			struct dc_item *it = &enc->items[x->procs[k]];
			const char *code = x->proc_codes[k];
			struct dc_line *l = new_line(x, "procedure");
			l->code = code;
			l->description = proc_description(x, code);
			l->rule = x->has_iv ? DC_UK_PROCEDURE ";" DC_UK_X3590_CONCURRENT ";" DC_UK_PRICE
					    : DC_UK_PROCEDURE ";" DC_UK_PRICE;
			l->source_lines = dc_arena_printf(a, "%lu", it->line);
			price_fee_line(x, l, it, code);
		}
		if (x->has_iv) {
			dc_coded_warn(x->out, a, DC_UK_X3590_CONCURRENT, enc->first_line,
				      "intravenous administration (line %s) is part of primary "
				      "procedure %s: %s not billed", iv_lines, primary, x->sole_code);
			dc_coded_note(x->out, a, "%s: procedure %s is the primary procedure; the "
				      "infusion on line %s is part of it, no %s", DC_UK_X3590_CONCURRENT,
				      primary, iv_lines, x->sole_code);
		}
		return;
	}

	if (!x->nsole && !x->has_iv) {
		if (x->ndrugs)
			dc_coded_note(x->out, a, "%s: no intravenous administration and no "
				      "procedure: no %s line", DC_UK_X3590_SOLE, x->sole_code);
		return;
	}

	/* UK-X3590-SOLE: one line per session, whatever the number of drugs,
	 * bags or X3590 rows */
	const struct dc_item *src = x->nprocs ? &enc->items[x->procs[0]] : NULL;
	/* source lines: the X3590 rows and the IV rows, in input order */
	dc_buf_init(&lb);
	for (size_t i = 0; i < enc->nitems; i++) {
		const struct dc_item *it = &enc->items[i];
		if (it->type == DC_ITEM_PROCEDURE ||
		    (it->type == DC_ITEM_DRUG && !strcasecmp(it->f[DC_I_ROUTE], "IV")))
			list_add(&lb, ";", it->line);
	}
	const char *lines = list_done(a, &lb);
	if (x->nsole > 1)
		dc_coded_warn(x->out, a, DC_UK_X3590_SOLE, src->line,
			      "%d %s items in one session billed as one %s line", x->nsole,
			      x->sole_code, x->sole_code);
	const char *code = src ? x->proc_codes[0] : x->sole_code;
	struct dc_line *l = new_line(x, "procedure");
	l->code = code;
	l->description = proc_description(x, code);
	l->rule = DC_UK_X3590_SOLE ";" DC_UK_PRICE;
	l->source_lines = lines;
	/* one per session: the units column of an X3590 row does not multiply */
	struct dc_item one;
	const struct dc_item *pit = NULL;
	if (src && src->has_charge) {
		one = *src;
		one.has_units = 0;
		pit = &one;
	}
	price_fee_line(x, l, pit, code);
	dc_coded_note(x->out, a, "%s: intravenous administration (line %s) is the sole "
		      "procedure: one %s line", DC_UK_X3590_SOLE, *iv_lines ? iv_lines : "-",
		      code);
}

static void emit_visits(struct uk_ctx *x)
{
	struct dc_encounter *enc = x->enc;
	for (size_t k = 0; k < x->nvisits; k++) {
		struct dc_item *it = &enc->items[x->visits[k]];
		if (!visit_billed(x, it)) {
			dc_coded_warn(x->out, x->a, DC_UK_CONSULT, it->line,
				      "consultation %s (line %lu) not billed: it is not marked "
				      "separately_identifiable=Y, and billing it with the "
				      "treatment would be an unbundling risk",
				      *it->f[DC_I_CODE] ? it->f[DC_I_CODE] : "(no code)", it->line);
			continue;
		}
		const char *code = *it->f[DC_I_CODE] ? upper_dup(x->a, it->f[DC_I_CODE])
						      : default_consult_code(x);
		struct dc_line *l = new_line(x, "visit");
		l->code = code;
		l->description = proc_description(x, code);
		l->rule = DC_UK_CONSULT ";" DC_UK_PRICE;
		l->source_lines = dc_arena_printf(x->a, "%lu", it->line);
		price_fee_line(x, l, it, code);
	}
}

/* start time for ordering: items without one sort after those with one */
static int drug_before(const struct uk_drug *p, const struct uk_drug *q)
{
	int ps = p->it->start.present, qs = q->it->start.present;
	if (ps != qs)
		return ps;
	if (ps && p->it->start.t != q->it->start.t)
		return p->it->start.t < q->it->start.t;
	return p->idx < q->idx;
}

static void emit_drugs(struct uk_ctx *x)
{
	struct dc_arena *a = x->a;
	size_t n = x->ndrugs;
	if (!n)
		return;

	/*
	 * Segments of one administration (same admin_id, same product) are one
	 * drug administered, so one line with the doses summed; any other row is
	 * its own line (UK-DRUG-ITEM: "every drug administered is its own line
	 * item", so two separate doses of one drug stay two lines).
	 */
	for (size_t i = 0; i < n; i++) {
		struct uk_drug *d = &x->drugs[i];
		const char *aid = d->it->f[DC_I_ADMIN_ID];
		if (!*aid)
			continue;
		for (size_t j = 0; j < i; j++) {
			struct uk_drug *e = &x->drugs[j];
			if (e->leader == (int)j && !strcmp(e->it->f[DC_I_ADMIN_ID], aid) &&
			    !strcmp(e->dmd, d->dmd) && !strcasecmp(e->unit, d->unit)) {
				d->leader = (int)j;
				break;
			}
		}
	}

	/* order of administration: leaders sorted by start time (insertion
	 * sort, stable; encounters have a handful of drugs) */
	size_t *ord = dc_arena_alloc(a, n * sizeof *ord);
	size_t m = 0;
	for (size_t i = 0; i < n; i++) {
		if (x->drugs[i].leader != (int)i)
			continue;
		size_t k = m++;
		while (k > 0 && drug_before(&x->drugs[i], &x->drugs[ord[k - 1]])) {
			ord[k] = ord[k - 1];
			k--;
		}
		ord[k] = i;
	}

	for (size_t k = 0; k < m; k++) {
		struct uk_drug *d = &x->drugs[ord[k]];
		struct dc_dec qty = { 0 };
		int64_t charge = 0;
		int ncharge = 0, nseg = 0;
		const char *conv = "";
		struct dc_buf lb;
		dc_buf_init(&lb);
		for (size_t j = ord[k]; j < n; j++) {
			struct uk_drug *e = &x->drugs[j];
			if (e->leader != (int)ord[k])
				continue;
			nseg++;
			qty.v += e->qty.v;
			if (e->it->has_charge) {
				ncharge++;
				charge += e->it->charge.v;
			}
			list_add(&lb, ";", e->it->line);
			conv = *conv ? dc_arena_printf(a, "%s + %s", conv, e->conv) : e->conv;
		}
		const char *lines = list_done(a, &lb);
		struct dc_line *l = new_line(x, "drug");
		l->code = d->dmd;
		l->dmd_code = d->dmd;
		l->description = *d->strength ? dc_arena_printf(a, "%s %s", d->generic, d->strength)
					      : d->generic;
		l->units = qty;
		l->unit = d->unit;
		l->source_lines = lines;
		const char *qs = nseg > 1 ? dc_arena_printf(a, "%s = %s %s", conv,
							    dec_str(a, qty), d->unit)
					  : conv;
		if (!x->itemises) {
			l->rule = DC_UK_DRUG_ITEM ";" DC_UK_DRUG_BUNDLED;
			l->charge = 0;
			l->unit_price = 0;
			l->arith = dc_arena_printf(a, "%s: bundled, %s does not itemise drugs = 0.00",
						   qs, x->ins_name);
			dc_coded_warn(x->out, a, DC_UK_DRUG_BUNDLED, d->it->line,
				      "%s (line %s) not itemised: %s does not itemise drugs, the "
				      "line stays at 0.00 and is left out of uk-line-items.csv",
				      d->generic, lines, x->ins_name);
			continue;
		}
		l->rule = DC_UK_DRUG_ITEM ";" DC_UK_PRICE;
		if (ncharge == nseg) {
			/* the charge column is the whole line amount */
			l->charge = charge;
			l->unit_price = qty.v && charge <= INT64_MAX / 100000000LL
				? div_round(charge * 100000000LL, qty.v) : 0;
			l->arith = dc_arena_printf(a, "%s: charge column = %s", qs,
						   money_str(a, charge));
		} else {
			if (ncharge)
				dc_coded_warn(x->out, a, DC_UK_PRICE, d->it->line,
					      "only some segments of administration %s carry a "
					      "charge: priced from uk/drugs.csv",
					      d->it->f[DC_I_ADMIN_ID]);
			l->unit_price = d->price4;
			if (dc_uk_line_amount(qty, d->price4, &l->charge) != 0) {
				dc_encounter_hold(x->enc, DC_HOLD_INVALID_FIELD, a,
						  "amount of %s (line %s) is too large (%s)", d->generic,
						  lines, DC_UK_PRICE);
				l->charge = 0;
			}
			l->arith = dc_arena_printf(a, "%s x %s = %s", qs, price_str(a, d->price4),
						   money_str(a, l->charge));
		}
		dc_coded_note(x->out, a, "%s: %s, dm+d %s (%s): %s", DC_UK_DRUG_ITEM, d->generic,
			      d->dmd,
			      d->row < 0 ? "not in uk/drugs.csv, from the extract"
			      : *d->it->f[DC_I_DMD_CODE] ? "by dmd_code" : "by drug_name",
			      l->arith);
	}
}

int dc_uk_code(const struct dc_rules *rules, struct dc_encounter *enc,
	       struct dc_coded *out, struct dc_arena *a)
{
	if (!rules || !enc || !out || !a)
		return DC_ERR_BUG;
	if (enc->hold != DC_HOLD_NONE)
		return 0;   /* held by validation: the contract says we are not called */
	struct uk_ctx x;
	memset(&x, 0, sizeof x);
	x.rules = rules;
	x.enc = enc;
	x.out = out;
	x.a = a;
	x.ins_row = dc_table_find(&rules->uk_insurers, enc->f[DC_E_PAYER_ID]);
	if (x.ins_row < 0) {
		/* validation holds unknown insurers; keep the coder safe anyway */
		dc_encounter_hold(enc, DC_HOLD_ELIGIBILITY, a,
				  "payer_id '%s' is not in the uk/insurers.csv table (%s)",
				  enc->f[DC_E_PAYER_ID], DC_UK_PREAUTH);
		return 0;
	}
	x.ins_name = dc_table_value(&rules->uk_insurers, x.ins_row, "name");
	if (!*x.ins_name)
		x.ins_name = enc->f[DC_E_PAYER_ID];
	/* an insurer row without the column itemises, as most insurers do */
	const char *item = dc_table_value(&rules->uk_insurers, x.ins_row, "itemises_drugs");
	x.itemises = !(item[0] == 'N' || item[0] == 'n');

	/* the infusion-sole code: the table's infusion-sole row, X3590 shipped */
	x.sole_code = "X3590";
	const struct dc_table *pt = &rules->uk_procedures;
	int ck = dc_table_col(pt, "kind");
	for (size_t r = 0; r < pt->nrows; r++)
		if (!strcmp(dc_table_get(pt, (long)r, ck), "infusion-sole")) {
			x.sole_code = dc_table_get(pt, (long)r, 0);
			break;
		}
	x.claim_id = dc_claim_id(enc->f[DC_E_ENCOUNTER_ID], a);

	classify(&x);

	/* every check, in the order of the hold categories (file comment) */
	check_preauth(&x);
	check_sole(&x);
	check_drugs(&x);
	check_provider(&x);
	check_codes(&x);
	check_docs(&x);
	if (enc->hold != DC_HOLD_NONE)
		return 0;   /* a held encounter gets no lines */

	emit_procedures(&x);
	emit_visits(&x);
	emit_drugs(&x);
	for (size_t i = 0; i < enc->nitems; i++)
		if (enc->items[i].type == DC_ITEM_SUPPLY)
			dc_coded_warn(out, a, DC_UK_PROCEDURE, enc->items[i].line,
				      "supply %s (line %lu) not billed: consumables are part of the "
				      "procedure fee", *enc->items[i].f[DC_I_CODE]
				      ? enc->items[i].f[DC_I_CODE] : "item", enc->items[i].line);
	if (enc->hold != DC_HOLD_NONE) {
		out->nlines = 0;
		return 0;
	}

	/* UK-PRICE: the invoice total is the sum of its lines */
	out->charge = 0;
	for (size_t i = 0; i < out->nlines; i++)
		out->charge += out->lines[i].charge;
	out->nclaims = out->nlines ? 1 : 0;
	return 0;
}
