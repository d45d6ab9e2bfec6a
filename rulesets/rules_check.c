/*
 * `dripcode rules check` and `rules show`: every table's columns, key forms,
 * duplicate keys and value forms, reported by file, line and column.
 */
#include "rulesets/dc_rules.h"
#include "engine/value.h"

#include <ctype.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

enum kind { K_ANY, K_HCPCS, K_CODE, K_NDC11, K_DEC, K_DEC_OPT, K_MONEY, K_YN, K_INT_OPT,
	    K_CATEGORY, K_UNIT_OPT, K_NDC_UNIT, K_MOD, K_NONEMPTY, K_CCSD, K_DIGITS, K_CODES };

struct colspec { const char *name; enum kind kind; };

struct tablespec {
	const char *name;
	size_t off;                 /* offset of the table in struct dc_rules */
	struct colspec cols[12];
};

#define T(field) offsetof(struct dc_rules, field)

static const struct tablespec specs[] = {
	{ "us/drugs.csv", T(us_drugs), { { "hcpcs", K_HCPCS }, { "label", K_NONEMPTY },
	  { "billing_unit_amount", K_DEC_OPT }, { "billing_unit", K_UNIT_OPT },
	  { "category", K_CATEGORY }, { "single_dose", K_YN }, { "opps_si", K_ANY },
	  { "noc", K_YN }, { "bag_ml", K_DEC_OPT }, { "generic_names", K_ANY } } },
	{ "us/ndc.csv", T(us_ndc), { { "ndc11", K_NDC11 }, { "hcpcs", K_HCPCS },
	  { "label", K_ANY }, { "package_size", K_DEC_OPT }, { "package_qty", K_DEC_OPT },
	  { "ndc_unit", K_NDC_UNIT }, { "billunits_per_package", K_DEC } } },
	{ "us/admin-codes.csv", T(us_admin), { { "code", K_CODE }, { "kind", K_NONEMPTY },
	  { "label", K_NONEMPTY }, { "addon_parents", K_CODES }, { "revenue_code", K_DIGITS },
	  { "mue_prac", K_INT_OPT }, { "mue_mai", K_INT_OPT }, { "mue_oph", K_INT_OPT },
	  { "mue_oph_mai", K_INT_OPT } } },
	{ "us/charges.csv", T(us_charges), { { "code", K_CODE }, { "unit_charge", K_MONEY } } },
	{ "us/payers.csv", T(us_payers), { { "payer_id", K_NONEMPTY }, { "name", K_NONEMPTY },
	  { "filing_indicator", K_NONEMPTY }, { "payer_id_2010bb", K_NONEMPTY },
	  { "distinct_modifier", K_MOD }, { "bills_waste_jw", K_YN }, { "requires_jz", K_YN },
	  { "ndc_required", K_YN }, { "timely_filing_days", K_INT_OPT },
	  { "prior_auth_codes", K_CODES } } },
	{ "us/carc-categories.csv", T(us_carc), { { "carc", K_NONEMPTY },
	  { "category", K_NONEMPTY } } },
	{ "uk/insurers.csv", T(uk_insurers), { { "insurer_code", K_NONEMPTY },
	  { "name", K_NONEMPTY }, { "requires_preauth", K_YN }, { "requires_diagnosis", K_YN },
	  { "itemises_drugs", K_YN } } },
	{ "uk/procedures.csv", T(uk_procedures), { { "code", K_CCSD },
	  { "description", K_NONEMPTY }, { "kind", K_NONEMPTY }, { "fee", K_MONEY } } },
	{ "uk/drugs.csv", T(uk_drugs), { { "dmd_code", K_DIGITS },
	  { "generic_name", K_NONEMPTY }, { "unit", K_NONEMPTY }, { "price", K_DEC } } },
	{ "uk/remittance-reasons.csv", T(uk_reasons), { { "reason_code", K_NONEMPTY },
	  { "category", K_NONEMPTY } } },
	{ "uk/providers.csv", T(uk_providers), { { "insurer_code", K_NONEMPTY },
	  { "registration", K_NONEMPTY } } },
};

static int digits(const char *s, size_t n)
{
	if (strlen(s) != n)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!isdigit((unsigned char)s[i]))
			return 0;
	return 1;
}

static int is_hcpcs(const char *s)
{
	return strlen(s) == 5 && isupper((unsigned char)s[0]) && digits(s + 1, 4);
}

static int is_cpt(const char *s)
{
	/* 5 digits (CPT), 4 digits and a letter (category II/III), or HCPCS */
	if (strlen(s) != 5)
		return 0;
	for (int i = 0; i < 4; i++)
		if (!isdigit((unsigned char)s[i]))
			return is_hcpcs(s);
	return isdigit((unsigned char)s[4]) || isupper((unsigned char)s[4]);
}

static const char *check_value(enum kind k, const char *v)
{
	struct dc_dec d;
	int64_t cents;
	switch (k) {
	case K_ANY:
		return NULL;
	case K_NONEMPTY:
		return *v ? NULL : "is empty";
	case K_HCPCS:
		return is_hcpcs(v) ? NULL : "is not a HCPCS code (letter and 4 digits)";
	case K_CODE:
		return is_cpt(v) ? NULL : "is not a CPT or HCPCS code";
	case K_NDC11:
		return digits(v, 11) ? NULL : "is not an 11-digit NDC";
	case K_DEC:
		return dc_dec_parse(v, &d) == 0 && d.v > 0 ? NULL : "is not a positive number";
	case K_DEC_OPT:
		return !*v || (dc_dec_parse(v, &d) == 0 && d.v > 0) ? NULL
								    : "is not a positive number";
	case K_INT_OPT:
		return !*v || (dc_dec_parse(v, &d) == 0 && d.v >= 0 && d.v % DC_DEC_SCALE == 0)
			? NULL : "is not a whole number";
	case K_MONEY:
		return dc_money_parse(v, &cents) == 0 && cents >= 0 ? NULL : "is not an amount";
	case K_YN:
		return !strcmp(v, "Y") || !strcmp(v, "N") ? NULL : "is not Y or N";
	case K_CATEGORY:
		return !strcmp(v, "chemo") || !strcmp(v, "hormonal_antineoplastic") ||
		       !strcmp(v, "therapeutic") || !strcmp(v, "hydration_fluid") ||
		       !strcmp(v, "electrolyte") ? NULL : "is not a drug category";
	case K_UNIT_OPT:
		return !*v || !strcmp(v, "mg") || !strcmp(v, "g") || !strcmp(v, "mcg") ||
		       !strcmp(v, "mL") || !strcmp(v, "units") || !strcmp(v, "mEq")
			? NULL : "is not mg, g, mcg, mL, units or mEq";
	case K_NDC_UNIT:
		return !strcmp(v, "UN") || !strcmp(v, "ML") || !strcmp(v, "GR") ||
		       !strcmp(v, "ME") || !strcmp(v, "F2") ? NULL : "is not UN, ML, GR, ME or F2";
	case K_MOD:
		return strlen(v) == 2 ? NULL : "is not a 2-character modifier";
	case K_CCSD:
		return dc_ccsd_form(v) ? NULL : "is not a CCSD code (letter and 4 digits)";
	case K_DIGITS:
		for (const char *p = v; *p; p++)
			if (!isdigit((unsigned char)*p))
				return "is not all digits";
		return *v ? NULL : "is empty";
	case K_CODES:
		for (const char *p = v; *p;) {
			const char *e = strchr(p, ';');
			size_t n = e ? (size_t)(e - p) : strlen(p);
			char code[16];
			if (n == 0 || n >= sizeof code)
				return "is not a ';'-separated list of codes";
			memcpy(code, p, n);
			code[n] = '\0';
			if (!is_cpt(code))
				return "is not a ';'-separated list of codes";
			p += n + (e ? 1 : 0);
		}
		return NULL;
	}
	return NULL;
}

int dc_rules_check(const struct dc_rules *r, struct dc_diag_sink *ds)
{
	int problems = 0;
	for (size_t s = 0; s < sizeof specs / sizeof *specs; s++) {
		const struct tablespec *sp = &specs[s];
		const struct dc_table *t = (const struct dc_table *)((const char *)r + sp->off);
		if (!t->present)
			continue;
		int colidx[12];
		for (int c = 0; c < 12 && sp->cols[c].name; c++) {
			colidx[c] = dc_table_col(t, sp->cols[c].name);
			if (colidx[c] < 0) {
				problems++;
				dc_diag_report(ds, DC_SEV_ERROR, 0, t->path, 0,
					       "column '%s' is missing", sp->cols[c].name);
			}
		}
		for (size_t i = 0; i < t->nrows; i++) {
			const char *src = t->srcs[i] ? t->srcs[i] : t->path;
			long first = dc_table_find(t, t->rows[i][0]);
			if (t->keycols > 1 && first >= 0) {
				/* a two-column key: the first earlier row with both equal */
				long same = -1;
				for (size_t k = (size_t)first; k < i && same < 0; k++)
					if (!strcmp(t->rows[k][0], t->rows[i][0]) &&
					    !strcmp(t->rows[k][1], t->rows[i][1]))
						same = (long)k;
				first = same < 0 ? (long)i : same;
			}
			if (first >= 0 && (size_t)first != i) {
				problems++;
				dc_diag_report(ds, DC_SEV_ERROR, 0, src, t->lines[i],
					       "column 1 (%s): duplicate key '%s', first on line %lu",
					       t->cols[0], t->rows[i][0], t->lines[first]);
			}
			for (int c = 0; c < 12 && sp->cols[c].name; c++) {
				if (colidx[c] < 0)
					continue;
				const char *v = t->rows[i][colidx[c]];
				const char *why = check_value(sp->cols[c].kind, v);
				if (why) {
					problems++;
					dc_diag_report(ds, DC_SEV_ERROR, 0, src, t->lines[i],
						       "column %d (%s): '%s' %s", colidx[c] + 1,
						       sp->cols[c].name, v, why);
				}
			}
		}
	}
	return problems;
}

static void show_row(const struct dc_table *t, long row, FILE *out)
{
	fprintf(out, "%s (line %lu):\n", t->name, t->lines[row]);
	for (size_t c = 0; c < t->ncols; c++)
		if (t->rows[row][c][0])
			fprintf(out, "  %s: %s\n", t->cols[c], t->rows[row][c]);
}

int dc_rules_show(const struct dc_rules *r, const char *code, FILE *out)
{
	const struct dc_table *tables[] = { &r->us_drugs, &r->us_admin, &r->us_charges,
		&r->us_payers, &r->uk_insurers, &r->uk_procedures, &r->uk_drugs };
	int found = 0;
	for (size_t i = 0; i < sizeof tables / sizeof *tables; i++) {
		long row = dc_table_find(tables[i], code);
		if (row >= 0) {
			show_row(tables[i], row, out);
			found = 1;
		}
	}
	/* NDCs of a HCPCS code: listed by count, not one by one */
	int hc = dc_table_col(&r->us_ndc, "hcpcs");
	unsigned long n = 0;
	for (size_t i = 0; hc >= 0 && i < r->us_ndc.nrows; i++)
		if (!strcmp(r->us_ndc.rows[i][hc], code))
			n++;
	if (n)
		fprintf(out, "us/ndc.csv: %lu NDCs map to %s\n", n, code);
	char ndc[12];
	if (dc_ndc_normalise(code, ndc) == 0) {
		long row = dc_table_find(&r->us_ndc, ndc);
		if (row >= 0) {
			show_row(&r->us_ndc, row, out);
			found = 1;
		}
	}
	return found || n;
}
