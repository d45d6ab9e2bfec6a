#include "engine/validate.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

void dc_encounter_hold(struct dc_encounter *enc, enum dc_hold cat, struct dc_arena *a,
		       const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	if (enc->hold == DC_HOLD_NONE) {
		enc->hold = cat;
		enc->hold_reason = dc_arena_strdup(a, msg);
	} else if (strlen(enc->hold_reason) < 2000) {
		enc->hold_reason = dc_arena_printf(a, "%s; %s", enc->hold_reason, msg);
	}
}

static int one_of(const char *v, const char *const *set)
{
	for (; *set; set++)
		if (strcasecmp(v, *set) == 0)
			return 1;
	return 0;
}

/* "column 'x' has invalid Y 'value' (line N)", the value withheld for PHI */
static void bad(struct dc_encounter *enc, struct dc_arena *a, int canon, const char *what,
		const char *value, unsigned long line)
{
	if (dc_phi_column(canon))
		dc_encounter_hold(enc, DC_HOLD_INVALID_FIELD, a, "%s '%s' is not %s (line %lu)",
				  dc_column_names[canon], "withheld", what, line);
	else
		dc_encounter_hold(enc, DC_HOLD_INVALID_FIELD, a, "%s '%s' is not %s (line %lu)",
				  dc_column_names[canon], value, what, line);
}

static void missing(struct dc_encounter *enc, struct dc_arena *a, int canon)
{
	dc_encounter_hold(enc, DC_HOLD_DOCUMENTATION, a, "%s is missing",
			  dc_column_names[canon]);
}

static const char *const dose_units[] = { "mg", "g", "mcg", "ml", "units", "meq", NULL };
static const char *const routes[] = { "IV", "SC", "IM", "IA", "ID", NULL };
static const char *const methods[] = { "infusion", "push", "injection", NULL };
static const char *const purposes[] = { "therapeutic", "chemotherapy", "hydration", "kvo",
	"vehicle", "flush", NULL };
static const char *const yn[] = { "Y", "N", NULL };

static int check_dec(struct dc_encounter *enc, struct dc_arena *a, const struct dc_item *it,
		     int field, struct dc_dec *out, int *has, int allow_zero)
{
	const char *v = it->f[field];
	*has = 0;
	if (!*v)
		return 0;
	int canon = DC_E_COUNT + field;
	int r = dc_dec_parse(v, out);
	if (r == -1) {
		bad(enc, a, canon, "a number", v, it->line);
		return -1;
	}
	if (r == -2) {
		bad(enc, a, canon, "a number within range", v, it->line);
		return -1;
	}
	if (out->v < 0 || (!allow_zero && out->v == 0)) {
		bad(enc, a, canon, allow_zero ? "zero or more" : "more than zero", v, it->line);
		return -1;
	}
	*has = 1;
	return 0;
}

static void check_item(struct dc_encounter *enc, struct dc_item *it, struct dc_arena *a)
{
	const char *t = it->f[DC_I_ITEM_TYPE];
	int ci = DC_E_COUNT;
	if (!strcasecmp(t, "drug"))
		it->type = DC_ITEM_DRUG;
	else if (!strcasecmp(t, "procedure"))
		it->type = DC_ITEM_PROCEDURE;
	else if (!strcasecmp(t, "visit"))
		it->type = DC_ITEM_VISIT;
	else if (!strcasecmp(t, "supply"))
		it->type = DC_ITEM_SUPPLY;
	else if (!*t)
		dc_encounter_hold(enc, DC_HOLD_DOCUMENTATION, a, "item_type is missing (line %lu)",
				  it->line);
	else
		bad(enc, a, ci + DC_I_ITEM_TYPE, "drug, procedure, visit or supply", t, it->line);

	check_dec(enc, a, it, DC_I_DOSE, &it->dose, &it->has_dose, 0);
	check_dec(enc, a, it, DC_I_WASTED, &it->wasted, &it->has_wasted, 1);
	check_dec(enc, a, it, DC_I_VOLUME_ML, &it->volume_ml, &it->has_volume, 0);
	check_dec(enc, a, it, DC_I_RATE_ML_HR, &it->rate_ml_hr, &it->has_rate, 0);
	check_dec(enc, a, it, DC_I_UNITS, &it->units, &it->has_units, 0);
	if (*it->f[DC_I_CHARGE]) {
		int64_t cents;
		int r = dc_money_parse(it->f[DC_I_CHARGE], &cents);
		if (r || cents < 0)
			bad(enc, a, ci + DC_I_CHARGE, "an amount", it->f[DC_I_CHARGE], it->line);
		else {
			it->has_charge = 1;
			it->charge.v = cents;
		}
	}
	if (*it->f[DC_I_DOSE_UNIT] && !one_of(it->f[DC_I_DOSE_UNIT], dose_units))
		bad(enc, a, ci + DC_I_DOSE_UNIT, "mg, g, mcg, mL, units or mEq",
		    it->f[DC_I_DOSE_UNIT], it->line);
	if (it->has_dose && !*it->f[DC_I_DOSE_UNIT])
		dc_encounter_hold(enc, DC_HOLD_DOCUMENTATION, a,
				  "dose_unit is missing for dose '%s' (line %lu)",
				  it->f[DC_I_DOSE], it->line);
	if (*it->f[DC_I_NDC] && dc_ndc_normalise(it->f[DC_I_NDC], it->ndc11) != 0)
		bad(enc, a, ci + DC_I_NDC, "an NDC (11 digits, or 4-4-2, 5-3-2, 5-4-1, 5-4-2)",
		    it->f[DC_I_NDC], it->line);
	if (*it->f[DC_I_ROUTE] && !one_of(it->f[DC_I_ROUTE], routes))
		bad(enc, a, ci + DC_I_ROUTE, "IV, SC, IM, IA or ID", it->f[DC_I_ROUTE], it->line);
	if (*it->f[DC_I_METHOD] && !one_of(it->f[DC_I_METHOD], methods))
		bad(enc, a, ci + DC_I_METHOD, "infusion, push or injection", it->f[DC_I_METHOD],
		    it->line);
	if (*it->f[DC_I_PURPOSE] && !one_of(it->f[DC_I_PURPOSE], purposes))
		bad(enc, a, ci + DC_I_PURPOSE,
		    "therapeutic, chemotherapy, hydration, kvo, vehicle or flush",
		    it->f[DC_I_PURPOSE], it->line);
	if (*it->f[DC_I_PRIMARY] && !one_of(it->f[DC_I_PRIMARY], yn))
		bad(enc, a, ci + DC_I_PRIMARY, "Y or N", it->f[DC_I_PRIMARY], it->line);
	if (*it->f[DC_I_SEPARATELY_IDENTIFIABLE] &&
	    !one_of(it->f[DC_I_SEPARATELY_IDENTIFIABLE], yn))
		bad(enc, a, ci + DC_I_SEPARATELY_IDENTIFIABLE, "Y or N",
		    it->f[DC_I_SEPARATELY_IDENTIFIABLE], it->line);
	it->primary = !strcasecmp(it->f[DC_I_PRIMARY], "Y");
	it->separately_identifiable = !strcasecmp(it->f[DC_I_SEPARATELY_IDENTIFIABLE], "Y");
	if (*it->f[DC_I_START_TIME] &&
	    dc_when_parse(it->f[DC_I_START_TIME], enc->service_day, &it->start) != 0)
		bad(enc, a, ci + DC_I_START_TIME, "a time (HH:MM or YYYY-MM-DDTHH:MM)",
		    it->f[DC_I_START_TIME], it->line);
	if (*it->f[DC_I_STOP_TIME] &&
	    dc_when_parse(it->f[DC_I_STOP_TIME], enc->service_day, &it->stop) != 0)
		bad(enc, a, ci + DC_I_STOP_TIME, "a time (HH:MM or YYYY-MM-DDTHH:MM)",
		    it->f[DC_I_STOP_TIME], it->line);
	if (it->stop.present && !it->start.present)
		dc_encounter_hold(enc, DC_HOLD_DOCUMENTATION, a,
				  "start_time is missing for stop_time '%s' (line %lu)",
				  it->f[DC_I_STOP_TIME], it->line);
}

static void split_dx(struct dc_encounter *enc, struct dc_arena *a)
{
	const char *s = enc->f[DC_E_DIAGNOSIS_CODES];
	size_t cap = 1;
	for (const char *p = s; *p; p++)
		if (*p == ';' || *p == '|')
			cap++;
	enc->dx = dc_arena_alloc(a, cap * sizeof *enc->dx);
	enc->ndx = 0;
	const char *p = s;
	while (*p) {
		const char *e = p;
		while (*e && *e != ';' && *e != '|')
			e++;
		const char *b = p, *t = e;
		while (b < t && isspace((unsigned char)*b))
			b++;
		while (t > b && isspace((unsigned char)t[-1]))
			t--;
		if (t > b) {
			char *code = dc_arena_strndup(a, b, (size_t)(t - b));
			if (!dc_icd10_form(code)) {
				bad(enc, a, DC_E_DIAGNOSIS_CODES, "an ICD-10 code (US-ICD10)", code,
				    enc->first_line);
			} else {
				char stripped[9];
				dc_icd10_strip(code, stripped);
				enc->dx[enc->ndx++] = dc_arena_strdup(a, stripped);
			}
		}
		p = *e ? e + 1 : e;
	}
}

int dc_encounter_validate(struct dc_encounter *enc, const struct dc_rules *rules,
			  enum dc_scheme default_scheme, struct dc_arena *a)
{
	const char **f = enc->f;
	unsigned long L = enc->first_line;

	if (strlen(f[DC_E_ENCOUNTER_ID]) > 38)
		bad(enc, a, DC_E_ENCOUNTER_ID, "at most 38 characters", f[DC_E_ENCOUNTER_ID], L);

	/* scheme: the column, else the payer's table, else --scheme */
	const char *payer = f[DC_E_PAYER_ID];
	long us_row = dc_table_find(&rules->us_payers, payer);
	long uk_row = dc_table_find(&rules->uk_insurers, payer);
	if (!strcasecmp(f[DC_E_SCHEME], "US"))
		enc->scheme = DC_SCHEME_US;
	else if (!strcasecmp(f[DC_E_SCHEME], "UK"))
		enc->scheme = DC_SCHEME_UK;
	else if (*f[DC_E_SCHEME]) {
		bad(enc, a, DC_E_SCHEME, "US or UK", f[DC_E_SCHEME], L);
		enc->scheme = default_scheme;
	} else if (us_row >= 0)
		enc->scheme = DC_SCHEME_US;
	else if (uk_row >= 0)
		enc->scheme = DC_SCHEME_UK;
	else
		enc->scheme = default_scheme;
	int us = enc->scheme == DC_SCHEME_US;

	const char *bp = f[DC_E_BILLING_PARTY];
	if (!*bp || !strcasecmp(bp, "physician"))
		enc->facility = 0;
	else if (!strcasecmp(bp, "facility"))
		enc->facility = 1;
	else
		bad(enc, a, DC_E_BILLING_PARTY, "physician or facility", bp, L);

	const char *pos = f[DC_E_PLACE_OF_SERVICE];
	if (*pos && !(strlen(pos) == 2 && isdigit((unsigned char)pos[0]) &&
		      isdigit((unsigned char)pos[1])))
		bad(enc, a, DC_E_PLACE_OF_SERVICE, "a 2-digit place of service code", pos, L);

	int32_t days;
	if (!*f[DC_E_SERVICE_DATE])
		missing(enc, a, DC_E_SERVICE_DATE);
	else if (dc_date_parse(f[DC_E_SERVICE_DATE], &enc->service_day) != 0)
		bad(enc, a, DC_E_SERVICE_DATE, "a date (YYYY-MM-DD)", f[DC_E_SERVICE_DATE], L);
	if (*f[DC_E_PATIENT_DOB] && dc_date_parse(f[DC_E_PATIENT_DOB], &days) != 0)
		bad(enc, a, DC_E_PATIENT_DOB, "a date (YYYY-MM-DD)", f[DC_E_PATIENT_DOB], L);
	if (*f[DC_E_SUBSCRIBER_DOB] && dc_date_parse(f[DC_E_SUBSCRIBER_DOB], &days) != 0)
		bad(enc, a, DC_E_SUBSCRIBER_DOB, "a date (YYYY-MM-DD)", f[DC_E_SUBSCRIBER_DOB], L);
	static const char *const sexes[] = { "M", "F", "U", NULL };
	if (*f[DC_E_PATIENT_SEX] && !one_of(f[DC_E_PATIENT_SEX], sexes))
		bad(enc, a, DC_E_PATIENT_SEX, "M, F or U", f[DC_E_PATIENT_SEX], L);
	if (*f[DC_E_SUBSCRIBER_SEX] && !one_of(f[DC_E_SUBSCRIBER_SEX], sexes))
		bad(enc, a, DC_E_SUBSCRIBER_SEX, "M, F or U", f[DC_E_SUBSCRIBER_SEX], L);
	static const char *const rels[] = { "18", "01", "19", "G8", NULL };
	const char *rel = f[DC_E_SUBSCRIBER_RELATIONSHIP];
	if (*rel && !one_of(rel, rels))
		bad(enc, a, DC_E_SUBSCRIBER_RELATIONSHIP, "18, 01, 19 or G8", rel, L);
	if (*f[DC_E_CONSENT] && !one_of(f[DC_E_CONSENT], yn))
		bad(enc, a, DC_E_CONSENT, "Y or N", f[DC_E_CONSENT], L);
	static const char *const visits[] = { "outpatient", "day_case", "inpatient",
		"consulting_room", NULL };
	if (*f[DC_E_VISIT_TYPE] && !one_of(f[DC_E_VISIT_TYPE], visits))
		bad(enc, a, DC_E_VISIT_TYPE, "outpatient, day_case, inpatient or consulting_room",
		    f[DC_E_VISIT_TYPE], L);

	const char *prov = f[DC_E_RENDERING_PROVIDER_ID];
	if (*prov) {
		if (us && !dc_npi_valid(prov))
			bad(enc, a, DC_E_RENDERING_PROVIDER_ID,
			    "an NPI (10 digits, Luhn check; US-NPI)", prov, L);
		/* UK registration form: the UK rules hold it as `provider` */
	}

	if (*f[DC_E_DIAGNOSIS_CODES])
		split_dx(enc, a);

	for (size_t i = 0; i < enc->nitems; i++)
		check_item(enc, &enc->items[i], a);

	/* values every encounter needs */
	static const int required[] = { DC_E_PATIENT_ID, DC_E_PATIENT_LAST_NAME,
		DC_E_PATIENT_FIRST_NAME, DC_E_PATIENT_DOB, DC_E_PAYER_ID, DC_E_MEMBER_ID,
		DC_E_RENDERING_PROVIDER_ID, DC_E_RENDERING_PROVIDER_NAME };
	for (size_t k = 0; k < sizeof required / sizeof *required; k++)
		if (!*f[required[k]])
			missing(enc, a, required[k]);
	if (us) {
		static const int us_required[] = { DC_E_PATIENT_ADDRESS, DC_E_PATIENT_CITY,
			DC_E_PATIENT_STATE, DC_E_PATIENT_POSTCODE };
		for (size_t k = 0; k < sizeof us_required / sizeof *us_required; k++)
			if (!*f[us_required[k]])
				missing(enc, a, us_required[k]);
		if (!*f[DC_E_DIAGNOSIS_CODES])
			dc_encounter_hold(enc, DC_HOLD_DOCUMENTATION, a,
					  "diagnosis_codes is missing (US-ICD10)");
	}
	if (*rel && strcmp(rel, "18") != 0) {
		static const int sub_required[] = { DC_E_SUBSCRIBER_LAST_NAME,
			DC_E_SUBSCRIBER_FIRST_NAME, DC_E_SUBSCRIBER_DOB };
		for (size_t k = 0; k < sizeof sub_required / sizeof *sub_required; k++)
			if (!*f[sub_required[k]])
				missing(enc, a, sub_required[k]);
		if (us && (!*f[DC_E_SUBSCRIBER_ADDRESS] || !*f[DC_E_SUBSCRIBER_CITY] ||
			   !*f[DC_E_SUBSCRIBER_STATE] || !*f[DC_E_SUBSCRIBER_POSTCODE]))
			dc_encounter_hold(enc, DC_HOLD_DOCUMENTATION, a,
					  "subscriber address is missing");
	}

	if (*payer && ((us && us_row < 0) || (!us && uk_row < 0)))
		dc_encounter_hold(enc, DC_HOLD_ELIGIBILITY, a,
				  "payer_id '%s' is not in the %s table (%s)", payer,
				  us ? "us/payers.csv" : "uk/insurers.csv",
				  us ? "US-PAYER" : "UK-PREAUTH");
	return enc->hold != DC_HOLD_NONE;
}
