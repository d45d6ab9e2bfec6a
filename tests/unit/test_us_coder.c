/*
 * Unit tests of the US coding engine (rulesets/us_coder.c, us_arith.c).
 *
 * Each test builds a small extract from named fields, reads it with the CSV
 * reader, validates it and codes it with dc_us_code(), then compares the
 * lines as "code[-modifiers]xunits" words in claim order. Time rules are
 * checked on both sides of each boundary.
 */
#include "tests/unit/unit.h"
#include "engine/validate.h"
#include "parsers/dc_reader.h"
#include "rulesets/dc_coder.h"
#include "rulesets/us_coder.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int register_us_coder_tests(void);

/* one encounter-level setting and one item row, by column name */
struct t_enc {
	const char *party, *pos, *payer, *auth, *dx;
};
struct t_item {
	const char *type, *code, *name, *ndc, *dose, *unit, *wasted, *vol, *rate, *route,
		*method, *site, *admin, *bag, *start, *stop, *purpose, *reason, *primary, *sep,
		*charge, *units;
};

/* a drug row: route IV and access site "L arm" unless given (site "" is empty) */
#define DRUG(...) ((struct t_item){ .type = "drug", __VA_ARGS__ })
#define VISIT(...) ((struct t_item){ .type = "visit", __VA_ARGS__ })
#define PROC(...) ((struct t_item){ .type = "procedure", __VA_ARGS__ })

static const struct t_enc OFFICE = { "physician", "11", "COMMERCIAL", "", "K50.90" };
static const struct t_enc OFFICE_MCR = { "physician", "11", "MEDICARE", "", "K50.90" };
static const struct t_enc OFFICE_AUTH = { "physician", "11", "COMMERCIAL", "PA-9", "K50.90" };
static const struct t_enc HOSPITAL = { "facility", "22", "COMMERCIAL", "PA1", "C83.30" };
static const struct t_enc HOSPITAL_MCR = { "facility", "22", "MEDICARE", "", "C83.30" };

struct t_res {
	char words[4096];       /* "96365x1 J1756x200" */
	char rules[4096];       /* each line's rule column, '|'-separated */
	char warn[4096];        /* "RULE;RULE" */
	char reason[1024];
	enum dc_hold hold;
	int nclaims;
	size_t nlines;
	int64_t charge;
	struct dc_line last;    /* a copy of the last line (strings are not kept) */
	char ndcq[64];          /* "qty unit" of the first line with an NDC */
	char claims[256];       /* distinct claim ids, ' '-separated */
};

static const struct dc_rules *rules(void)
{
	static struct dc_rules r;
	static int loaded;
	if (!loaded) {
		if (dc_rules_load(&r, dc_test_rules_dir(), NULL, NULL) != 0)
			return NULL;
		loaded = 1;
	}
	return &r;
}

static const char *v(const char *s)
{
	return s ? s : "";
}

static void csv_field(char *buf, size_t cap, const char *s, int last)
{
	size_t n = strlen(buf);
	if (strchr(s, ',') || strchr(s, '"'))
		snprintf(buf + n, cap - n, "\"%s\"%s", s, last ? "\n" : ",");
	else
		snprintf(buf + n, cap - n, "%s%s", s, last ? "\n" : ",");
}

/* Codes one encounter; returns res->words. */
static const char *code(const struct t_enc *e, const struct t_item *items, size_t n,
			struct t_res *res)
{
	static char src[32768];
	memset(res, 0, sizeof *res);
	snprintf(src, sizeof src, "encounter_id,billing_party,place_of_service,service_date,"
		 "patient_id,patient_last_name,patient_first_name,patient_dob,patient_address,"
		 "patient_city,patient_state,patient_postcode,payer_id,member_id,auth_ref,"
		 "diagnosis_codes,rendering_provider_id,rendering_provider_name,item_type,code,"
		 "drug_name,ndc,dose,dose_unit,wasted,volume_ml,rate_ml_hr,route,method,"
		 "access_site,admin_id,bag_id,start_time,stop_time,purpose,reason,primary,"
		 "separately_identifiable,charge,units\n");
	for (size_t i = 0; i < n; i++) {
		const struct t_item *it = &items[i];
		const char *f[] = { "E1", e->party, e->pos, "2026-03-02", "P1", "DOE", "JANE",
			"1961-04-09", "1 MAIN ST", "SPRINGFIELD", "IL", "62701", e->payer, "M1",
			v(e->auth), e->dx, "1234567893", "SMITH, ANNA", it->type, v(it->code),
			v(it->name), v(it->ndc), v(it->dose), v(it->unit), v(it->wasted), v(it->vol),
			v(it->rate), it->route ? it->route : !strcmp(it->type, "drug") ? "IV" : "",
			v(it->method), it->site ? it->site : !strcmp(it->type, "drug") ? "L arm" : "",
			v(it->admin),
			v(it->bag), v(it->start), v(it->stop), v(it->purpose), v(it->reason),
			v(it->primary), v(it->sep), v(it->charge), v(it->units) };
		size_t nf = sizeof f / sizeof *f;
		for (size_t k = 0; k < nf; k++)
			csv_field(src, sizeof src, f[k], k + 1 == nf);
	}
	const struct dc_rules *r = rules();
	CU_ASSERT_PTR_NOT_NULL_FATAL(r);
	struct dc_input in;
	struct dc_arena a;
	struct dc_encounter enc;
	struct dc_coded out;
	struct dc_reject_sink rs = { NULL, NULL };
	memset(&out, 0, sizeof out);
	dc_input_open_mem(&in, "t.csv", src, strlen(src), 0, NULL);
	dc_arena_init(&a, 0);
	struct dc_reader *rd = dc_csv_reader_new(&in, ',', NULL, NULL, rs);
	CU_ASSERT_PTR_NOT_NULL_FATAL(rd);
	CU_ASSERT_EQUAL_FATAL(rd->ops->next(rd, &enc, &a), 1);
	if (dc_encounter_validate(&enc, r, DC_SCHEME_US, &a) == 0)
		CU_ASSERT_EQUAL(dc_us_code(r, &enc, &out, &a), 0);
	res->hold = enc.hold;
	snprintf(res->reason, sizeof res->reason, "%s", enc.hold_reason ? enc.hold_reason : "");
	if (enc.hold != DC_HOLD_NONE)
		out.nlines = 0;
	res->nclaims = out.nclaims;
	res->nlines = out.nlines;
	res->charge = out.charge;
	for (size_t i = 0; i < out.nlines; i++) {
		const struct dc_line *l = &out.lines[i];
		char u[32];
		size_t k = strlen(res->words);
		snprintf(res->words + k, sizeof res->words - k, "%s%s%s%sx%s", i ? " " : "", l->code,
			 *l->modifiers ? "-" : "", l->modifiers, dc_dec_format(l->units, u, sizeof u));
		k = strlen(res->rules);
		snprintf(res->rules + k, sizeof res->rules - k, "%s%s", i ? "|" : "", l->rule);
		if (*l->ndc && !res->ndcq[0])
			snprintf(res->ndcq, sizeof res->ndcq, "%s %s",
				 dc_dec_format(l->ndc_quantity, u, sizeof u), l->ndc_unit);
		if (!strstr(res->claims, l->claim_id)) {
			k = strlen(res->claims);
			snprintf(res->claims + k, sizeof res->claims - k, "%s%s", k ? " " : "",
				 l->claim_id);
		}
		/* line numbers restart per claim and REF*6R is unique within it */
		CU_ASSERT(l->line_no >= 1);
		if (!strcmp(l->claim_type, "837P"))
			CU_ASSERT(l->line_no <= DC_US_MAX_LINES_837P);
		CU_ASSERT(strlen(l->line_control) <= 30);
		CU_ASSERT(strlen(l->claim_id) <= 20);
		for (size_t j = 0; j < i; j++)
			if (!strcmp(out.lines[j].claim_id, l->claim_id))
				CU_ASSERT(strcmp(out.lines[j].line_control, l->line_control) != 0);
	}
	for (size_t i = 0; i < out.nwarnings; i++) {
		size_t k = strlen(res->warn);
		snprintf(res->warn + k, sizeof res->warn - k, "%s%s", i ? ";" : "",
			 out.warnings[i].rule);
	}
	rd->ops->free(rd);
	dc_arena_release(&a);
	dc_input_close(&in);
	return res->words;
}

#define CODE(e, ...) \
	code((e), (const struct t_item[]){ __VA_ARGS__ }, \
	     sizeof((const struct t_item[]){ __VA_ARGS__ }) / sizeof(struct t_item), &res)

/* ------------------------------------------------------------------ */

static void test_arith(void)
{
	CU_ASSERT_EQUAL(dc_us_addl_hours(90), 0);
	CU_ASSERT_EQUAL(dc_us_addl_hours(91), 1);
	CU_ASSERT_EQUAL(dc_us_addl_hours(150), 1);
	CU_ASSERT_EQUAL(dc_us_addl_hours(151), 2);
	CU_ASSERT_EQUAL(dc_us_addl_hours(210), 2);
	CU_ASSERT_EQUAL(dc_us_addl_hours(211), 3);
	CU_ASSERT_EQUAL(dc_us_hyd_subseq_units(30), 0);
	CU_ASSERT_EQUAL(dc_us_hyd_subseq_units(31), 1);
	CU_ASSERT_EQUAL(dc_us_hyd_subseq_units(90), 1);
	CU_ASSERT_EQUAL(dc_us_hyd_subseq_units(91), 2);

	/* 0.25 mg / 25 mcg is exactly 10 */
	struct dc_dec d, u, out;
	dc_dec_parse("0.25", &d);
	dc_dec_parse("25", &u);
	CU_ASSERT_EQUAL(dc_us_convert(d, DC_US_U_MG, DC_US_U_MCG, &out), 0);
	CU_ASSERT_EQUAL(dc_us_ceil_units(out, u), 10);
	dc_dec_parse("1", &d);
	CU_ASSERT_EQUAL(dc_us_convert(d, DC_US_U_G, DC_US_U_MG, &out), 0);
	dc_dec_parse("250", &u);
	CU_ASSERT_EQUAL(dc_us_ceil_units(out, u), 4);
	dc_dec_parse("250.000001", &d);
	CU_ASSERT_EQUAL(dc_us_ceil_units(d, u), 2);
	CU_ASSERT_EQUAL(dc_us_convert(d, DC_US_U_ML, DC_US_U_MG, &out), -1);
	CU_ASSERT_EQUAL(dc_us_convert(d, DC_US_U_MEQ, DC_US_U_MEQ, &out), 0);

	/* 128-bit multiply-divide */
	int64_t q, r;
	CU_ASSERT_EQUAL(dc_us_muldiv(INT64_MAX, 1000000, 1000000, &q, &r), 0);
	CU_ASSERT_EQUAL(q, INT64_MAX);
	CU_ASSERT_EQUAL(r, 0);
	CU_ASSERT_EQUAL(dc_us_muldiv(INT64_MAX, 2, 1, &q, &r), -1);
	CU_ASSERT_EQUAL(dc_us_muldiv(7, 3, 2, &q, &r), 0);
	CU_ASSERT_EQUAL(q, 10);
	CU_ASSERT_EQUAL(r, 1);
	CU_ASSERT_EQUAL(dc_us_muldiv(-1, 3, 2, &q, &r), -1);

	/* US-NDC: CTP04 to three decimals */
	struct dc_dec bpp, ps, qty;
	char b[32];
	dc_dec_parse("4", &bpp);
	dc_dec_parse("2", &ps);
	CU_ASSERT_EQUAL(dc_us_ndc_quantity(4, bpp, ps, 1, &qty), 0);
	CU_ASSERT_STRING_EQUAL(dc_dec_format(qty, b, sizeof b), "2");
	dc_dec_parse("10", &bpp);
	CU_ASSERT_EQUAL(dc_us_ndc_quantity(35, bpp, ps, 0, &qty), 0);
	CU_ASSERT_STRING_EQUAL(dc_dec_format(qty, b, sizeof b), "3.5");
	dc_dec_parse("150", &bpp);
	dc_dec_parse("25", &ps);
	CU_ASSERT_EQUAL(dc_us_ndc_quantity(140, bpp, ps, 1, &qty), 0);
	CU_ASSERT_STRING_EQUAL(dc_dec_format(qty, b, sizeof b), "23.333");
	dc_dec_parse("3", &bpp);
	CU_ASSERT_EQUAL(dc_us_ndc_quantity(2, bpp, ps, 0, &qty), 0);   /* 0.6666.. */
	CU_ASSERT_STRING_EQUAL(dc_dec_format(qty, b, sizeof b), "0.667");
	bpp.v = 0;
	CU_ASSERT_EQUAL(dc_us_ndc_quantity(2, bpp, ps, 0, &qty), -1);

	int64_t cents;
	CU_ASSERT_EQUAL(dc_us_line_charge(4664, (struct dc_dec){ 35 * DC_DEC_SCALE }, &cents), 0);
	CU_ASSERT_EQUAL(cents, 163240);
}

static void test_push_15_16(void)
{
	struct t_res res;
	CU_ASSERT_STRING_EQUAL(CODE(&OFFICE, DRUG(.code = "J2405", .dose = "4", .unit = "mg",
						  .start = "10:00", .stop = "10:15")),
			       "96374x1 J2405x4");
	CU_ASSERT_STRING_EQUAL(CODE(&OFFICE, DRUG(.code = "J2405", .dose = "4", .unit = "mg",
						  .start = "10:00", .stop = "10:16")),
			       "96365x1 J2405x4");
	/* method push whatever the clock says; seconds are truncated */
	CU_ASSERT_STRING_EQUAL(CODE(&OFFICE, DRUG(.code = "J2405", .dose = "4", .unit = "mg",
						  .method = "push", .start = "10:00",
						  .stop = "10:40")),
			       "96374x1 J2405x4");
	CU_ASSERT_STRING_EQUAL(CODE(&OFFICE, DRUG(.code = "J2405", .dose = "4", .unit = "mg",
						  .start = "10:00:00", .stop = "10:15:59")),
			       "96374x1 J2405x4");
	/* US-PUSH-NO-STOP: no stop and none derivable */
	CU_ASSERT_STRING_EQUAL(CODE(&OFFICE, DRUG(.code = "J0696", .dose = "1", .unit = "g",
						  .start = "10:00")),
			       "96374x1 J0696x4");
	CU_ASSERT_PTR_NOT_NULL(strstr(res.warn, DC_US_PUSH_NO_STOP));
}

static void test_hydration_30_31(void)
{
	struct t_res res;
	CU_ASSERT_STRING_EQUAL(CODE(&OFFICE, DRUG(.code = "J7050", .vol = "250", .purpose = "hydration",
						  .start = "14:00", .stop = "14:30")), "");
	CU_ASSERT_EQUAL(res.hold, DC_HOLD_NONE);
	CU_ASSERT_EQUAL(res.nclaims, 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(res.warn, DC_US_HYD_31));
	CU_ASSERT_STRING_EQUAL(CODE(&OFFICE, DRUG(.code = "J7050", .vol = "250", .purpose = "hydration",
						  .start = "14:00", .stop = "14:31")),
			       "96360x1 J7050x1");
	/* a hydration fluid is never a push, and without a stop not reportable */
	CU_ASSERT_STRING_EQUAL(CODE(&OFFICE, DRUG(.code = "J7050", .vol = "250", .purpose = "hydration",
						  .start = "14:00")), "");
	CU_ASSERT_PTR_NOT_NULL(strstr(res.warn, DC_US_HYD_NO_STOP));
	/* example 4: 95 minutes, 1000 mL */
	CU_ASSERT_STRING_EQUAL(CODE(&OFFICE_MCR, DRUG(.code = "J7050", .vol = "1000",
						      .purpose = "hydration", .start = "13:00",
						      .stop = "14:35")),
			       "96360x1 96361x1 J7050x4");
	/* example 2: 60 min after a push: (60+29)/60 = 1 */
	CU_ASSERT_STRING_EQUAL(CODE(&HOSPITAL,
				    DRUG(.code = "J2405", .dose = "4", .unit = "mg", .method = "push",
					 .start = "09:00"),
				    DRUG(.code = "J7050", .vol = "500", .purpose = "hydration",
					 .start = "09:05", .stop = "10:05")),
			       "96374x1 96361x1 J2405x4 J7050x2");
	/* 91 minutes of hydration after a push: 2 units */
	CU_ASSERT_STRING_EQUAL(CODE(&HOSPITAL,
				    DRUG(.code = "J2405", .dose = "4", .unit = "mg", .method = "push",
					 .start = "09:00"),
				    DRUG(.code = "J7050", .vol = "500", .purpose = "hydration",
					 .start = "09:05", .stop = "10:36")),
			       "96374x1 96361x2 J2405x4 J7050x2");
}

static void test_additional_hours(void)
{
	struct t_res res;
	const char *stops[] = { "11:30", "11:31", "12:30", "12:31" };
	const char *want[] = { "96365x1 J1756x200", "96365x1 96366x1 J1756x200",
			       "96365x1 96366x1 J1756x200", "96365x1 96366x2 J1756x200" };
	for (int i = 0; i < 4; i++)
		CU_ASSERT_STRING_EQUAL(CODE(&OFFICE, DRUG(.code = "J1756", .dose = "200",
							  .unit = "mg", .start = "10:00",
							  .stop = stops[i])), want[i]);
	/* example 9: 130 minutes, 50 mg wasted from single-dose vials, Medicare */
	CU_ASSERT_STRING_EQUAL(CODE(&OFFICE_MCR, DRUG(.code = "J1745", .dose = "350", .unit = "mg",
						      .wasted = "50", .ndc = "57894-0030-01",
						      .start = "09:00", .stop = "11:10")),
			       "96413x1 96415x1 J1745x35 J1745-JWx5");
	CU_ASSERT_STRING_EQUAL(res.ndcq, "3.5 UN");
	CU_ASSERT_EQUAL(res.charge, 45000 + 11000 + 163240 + 23320);
}

static void test_sequential_not_concurrent(void)
{
	struct t_res res;
	/* the second starts exactly when the first stops: sequential */
	CU_ASSERT_STRING_EQUAL(CODE(&OFFICE,
				    DRUG(.code = "J2919", .dose = "500", .unit = "mg", .primary = "Y",
					 .start = "09:00", .stop = "10:00"),
				    DRUG(.code = "J3489", .dose = "5", .unit = "mg",
					 .start = "10:00", .stop = "10:20")),
			       "96365x1 96367x1 J2919x100 J3489x5");
	/* one minute earlier: it starts while the first runs and outlasts it */
	CU_ASSERT_STRING_EQUAL(CODE(&OFFICE,
				    DRUG(.code = "J2919", .dose = "500", .unit = "mg", .primary = "Y",
					 .start = "09:00", .stop = "10:00"),
				    DRUG(.code = "J3489", .dose = "5", .unit = "mg",
					 .start = "09:59", .stop = "10:20")),
			       "96365x1 96367x1 J2919x100 J3489x5");
	CU_ASSERT_PTR_NOT_NULL(strstr(res.rules, DC_US_OVERLAP));
	/* within the first: concurrent, 96368 once per encounter */
	CU_ASSERT_STRING_EQUAL(CODE(&OFFICE,
				    DRUG(.code = "J1756", .dose = "200", .unit = "mg", .primary = "Y",
					 .start = "09:00", .stop = "10:30"),
				    DRUG(.code = "S0028", .dose = "20", .unit = "mg",
					 .start = "09:30", .stop = "09:50"),
				    DRUG(.code = "J1200", .dose = "50", .unit = "mg",
					 .start = "09:40", .stop = "10:30")),
			       "96365x1 96368x1 J1756x200 S0028x1 J1200x1");
	CU_ASSERT_PTR_NOT_NULL(strstr(res.warn, DC_US_CONC));
	/* overlap timed from its end: 09:30-12:05 less 30 min = 125 min -> 1 hour */
	CU_ASSERT_STRING_EQUAL(CODE(&OFFICE,
				    DRUG(.code = "J1756", .dose = "200", .unit = "mg", .primary = "Y",
					 .start = "09:00", .stop = "10:00"),
				    DRUG(.code = "J2919", .dose = "125", .unit = "mg",
					 .start = "09:30", .stop = "12:05")),
			       "96365x1 96367x1 96366x1 J1756x200 J2919x25");
	/* the same infusate again is not a second 96367 */
	CU_ASSERT_STRING_EQUAL(CODE(&OFFICE,
				    DRUG(.code = "J1756", .dose = "100", .unit = "mg",
					 .start = "09:00", .stop = "09:40"),
				    DRUG(.code = "J1756", .dose = "100", .unit = "mg",
					 .start = "11:00", .stop = "11:40")),
			       "96365x1 J1756x200");
	CU_ASSERT_PTR_NOT_NULL(strstr(res.warn, DC_US_SEQ));
}

static void test_drip_to_drip(void)
{
	struct t_res res;
	/* 50 + 41 minutes of one administration: over 90, one added hour */
	CU_ASSERT_STRING_EQUAL(CODE(&OFFICE,
				    DRUG(.code = "J1756", .dose = "100", .unit = "mg", .admin = "A1",
					 .start = "09:00", .stop = "09:50"),
				    DRUG(.code = "J1756", .dose = "100", .unit = "mg", .admin = "A1",
					 .start = "10:10", .stop = "10:51")),
			       "96365x1 96366x1 J1756x200");
	/* 50 + 40: 90 minutes, no added hour */
	CU_ASSERT_STRING_EQUAL(CODE(&OFFICE,
				    DRUG(.code = "J1756", .dose = "100", .unit = "mg", .admin = "A1",
					 .start = "09:00", .stop = "09:50"),
				    DRUG(.code = "J1756", .dose = "100", .unit = "mg", .admin = "A1",
					 .start = "10:10", .stop = "10:50")),
			       "96365x1 J1756x200");
	/* two 10-minute segments are a 20-minute infusion, not two pushes */
	CU_ASSERT_STRING_EQUAL(CODE(&OFFICE,
				    DRUG(.code = "J1756", .dose = "100", .unit = "mg", .admin = "A1",
					 .start = "09:00", .stop = "09:10"),
				    DRUG(.code = "J1756", .dose = "100", .unit = "mg", .admin = "A1",
					 .start = "09:30", .stop = "09:40")),
			       "96365x1 J1756x200");
}

static void test_hydration_periods(void)
{
	struct t_res res;
	/* two 20-minute segments are not added together */
	CU_ASSERT_STRING_EQUAL(CODE(&OFFICE,
				    DRUG(.code = "J7050", .vol = "125", .purpose = "hydration",
					 .admin = "H1", .start = "10:00", .stop = "10:20"),
				    DRUG(.code = "J7050", .vol = "125", .purpose = "hydration",
					 .admin = "H1", .start = "10:30", .stop = "10:50")), "");
	/* a drug infusion cuts hydration into parts of 30 and 40 minutes */
	CU_ASSERT_STRING_EQUAL(CODE(&HOSPITAL,
				    DRUG(.code = "J7050", .vol = "1000", .purpose = "hydration",
					 .start = "09:00", .stop = "10:40"),
				    DRUG(.code = "J1756", .dose = "200", .unit = "mg",
					 .start = "09:30", .stop = "10:00")),
			       "96365x1 96361x1 J1756x200 J7050x4");
	CU_ASSERT_PTR_NOT_NULL(strstr(res.warn, DC_US_HYD_CONCURRENT));
	/* pushes do not cut hydration */
	CU_ASSERT_STRING_EQUAL(CODE(&HOSPITAL,
				    DRUG(.code = "J7050", .vol = "500", .purpose = "hydration",
					 .start = "09:00", .stop = "09:40"),
				    DRUG(.code = "J2405", .dose = "4", .unit = "mg",
					 .start = "09:20", .stop = "09:22")),
			       "96374x1 96361x1 J2405x4 J7050x2");
	/* adverse reaction hydration carries the distinct-procedure modifier */
	CU_ASSERT_STRING_EQUAL(CODE(&HOSPITAL,
				    DRUG(.code = "J1756", .dose = "200", .unit = "mg",
					 .start = "09:00", .stop = "09:40"),
				    DRUG(.code = "J7050", .vol = "500", .purpose = "hydration",
					 .reason = "adverse_reaction", .start = "09:40",
					 .stop = "10:20")),
			       "96365x1 96361-59x1 J1756x200 J7050x2");
}

static void test_overnight_and_derived(void)
{
	struct t_res res;
	CU_ASSERT_STRING_EQUAL(CODE(&OFFICE, DRUG(.code = "J1756", .dose = "200", .unit = "mg",
						  .start = "23:30", .stop = "00:40")),
			       "96365x1 J1756x200");
	CU_ASSERT_PTR_NOT_NULL(strstr(res.warn, DC_US_OVERNIGHT));
	CODE(&OFFICE, DRUG(.code = "J1756", .dose = "200", .unit = "mg", .start = "08:00",
			   .stop = "21:00"));
	CU_ASSERT_EQUAL(res.hold, DC_HOLD_INVALID_FIELD);
	CU_ASSERT_PTR_NOT_NULL(strstr(res.reason, "over 12 hours"));
	/* full timestamps may run longer */
	CU_ASSERT_STRING_EQUAL(CODE(&OFFICE, DRUG(.code = "J1756", .dose = "200", .unit = "mg",
						  .start = "2026-03-02T08:00",
						  .stop = "2026-03-02T11:01")),
			       "96365x1 96366x2 J1756x200");
	/* US-STOP-DERIVED: 100 mL at 80 mL/h = 75 min */
	CU_ASSERT_STRING_EQUAL(CODE(&OFFICE, DRUG(.code = "J1756", .dose = "200", .unit = "mg",
						  .vol = "100", .rate = "80", .start = "10:00")),
			       "96365x1 J1756x200");
	CU_ASSERT_PTR_NOT_NULL(strstr(res.warn, DC_US_STOP_DERIVED));
	/* 20 mL at 100 mL/h = 12 min: a push */
	CU_ASSERT_STRING_EQUAL(CODE(&OFFICE, DRUG(.code = "J1756", .dose = "200", .unit = "mg",
						  .vol = "20", .rate = "100", .start = "10:00")),
			       "96374x1 J1756x200");
}

static void test_initial_choice(void)
{
	struct t_res res;
	/* example 1: facility hierarchy, whatever the clock says */
	CU_ASSERT_STRING_EQUAL(CODE(&HOSPITAL,
				    DRUG(.code = "J9312", .dose = "500", .unit = "mg",
					 .ndc = "50242-0053-06", .start = "10:00", .stop = "11:00"),
				    DRUG(.code = "J2405", .dose = "4", .unit = "mg",
					 .ndc = "00404-9930-02", .start = "09:50", .stop = "09:52")),
			       "96413x1 96375x1 J9312x50 J2405x4");
	CU_ASSERT_STRING_EQUAL(res.ndcq, "50 ML");
	/* physician: primary=Y wins over the hierarchy */
	CU_ASSERT_STRING_EQUAL(CODE(&OFFICE,
				    DRUG(.code = "J1756", .dose = "200", .unit = "mg",
					 .start = "10:00", .stop = "11:00"),
				    DRUG(.code = "J2405", .dose = "4", .unit = "mg", .primary = "Y",
					 .start = "09:50", .stop = "09:52")),
			       "96374x1 96367x1 J2405x4 J1756x200");
	/* a hydration initial cannot parent a drug infusion: chosen again */
	CU_ASSERT_STRING_EQUAL(CODE(&OFFICE,
				    DRUG(.code = "J7050", .vol = "500", .purpose = "hydration",
					 .primary = "Y", .start = "09:00", .stop = "10:00"),
				    DRUG(.code = "J1756", .dose = "200", .unit = "mg",
					 .start = "10:00", .stop = "11:00")),
			       "96365x1 96361x1 J1756x200 J7050x2");
	CU_ASSERT_PTR_NOT_NULL(strstr(res.warn, DC_US_ADDON_PARENT));
	/* a second access site: its own initial with the payer's modifier */
	static const struct t_enc XU = { "physician", "11", "COMMERCIAL-XU", "", "N39.0" };
	CU_ASSERT_STRING_EQUAL(CODE(&XU,
				    DRUG(.code = "J0696", .dose = "1", .unit = "g", .primary = "Y",
					 .start = "09:00", .stop = "09:04"),
				    DRUG(.code = "J1756", .dose = "200", .unit = "mg",
					 .site = "R  ARM", .start = "09:15", .stop = "09:45"),
				    DRUG(.code = "J0885", .dose = "10000", .unit = "units",
					 .route = "SC", .site = "", .start = "09:50")),
			       "96374x1 96365-XUx1 96372-XUx1 J0696x4 J1756x200 J0885x10");
	/* same site spelled differently (US-SITE) */
	CU_ASSERT_STRING_EQUAL(CODE(&OFFICE,
				    DRUG(.code = "J0696", .dose = "1", .unit = "g", .primary = "Y",
					 .site = "l  ARM", .start = "09:00", .stop = "09:04"),
				    DRUG(.code = "J2405", .dose = "4", .unit = "mg", .site = "",
					 .start = "09:15", .stop = "09:17")),
			       "96374x1 96375x1 J0696x4 J2405x4");
	/* a first site with nothing billable leaves the next site's initial unmodified */
	CU_ASSERT_STRING_EQUAL(CODE(&OFFICE,
				    DRUG(.code = "J7050", .vol = "250", .purpose = "hydration",
					 .site = "R arm", .start = "08:00", .stop = "08:20"),
				    DRUG(.code = "J1756", .dose = "200", .unit = "mg",
					 .start = "09:00", .stop = "10:00")),
			       "96365x1 J1756x200");
	/* injections alone carry no modifier */
	CU_ASSERT_STRING_EQUAL(CODE(&OFFICE, DRUG(.code = "J9217", .dose = "7.5", .unit = "mg",
						  .route = "IM")),
			       "96402x1 J9217x1");
}

static void test_pushes(void)
{
	struct t_res res;
	/* facility: same drug again more than 30 min after the last reported push */
	CU_ASSERT_STRING_EQUAL(CODE(&HOSPITAL,
				    DRUG(.code = "J2405", .dose = "4", .unit = "mg",
					 .start = "09:00", .stop = "09:02"),
				    DRUG(.code = "J2405", .dose = "4", .unit = "mg",
					 .start = "09:30", .stop = "09:32"),
				    DRUG(.code = "J2405", .dose = "4", .unit = "mg",
					 .start = "09:31", .stop = "09:33")),
			       "96374x1 96376x1 J2405x12");
	/* physician: never 96376 */
	CU_ASSERT_STRING_EQUAL(CODE(&OFFICE,
				    DRUG(.code = "J2405", .dose = "4", .unit = "mg",
					 .start = "09:00", .stop = "09:02"),
				    DRUG(.code = "J2405", .dose = "4", .unit = "mg",
					 .start = "10:00", .stop = "10:02")),
			       "96374x1 J2405x8");
	CU_ASSERT_PTR_NOT_NULL(strstr(res.warn, DC_US_PUSH_SAME));
	/* chemo pushes after a chemo initial */
	CU_ASSERT_STRING_EQUAL(CODE(&HOSPITAL_MCR,
				    DRUG(.code = "J9263", .dose = "120", .unit = "mg",
					 .start = "09:00", .stop = "11:00"),
				    DRUG(.code = "J9190", .dose = "400", .unit = "mg",
					 .start = "11:05", .stop = "11:10")),
			       "96413x1 96415x1 96411x1 J9263x240 J9190x1");
}

static void test_jw_jz(void)
{
	struct t_res res;
	/* Medicare, nothing discarded: JZ on the single-dose drug */
	CU_ASSERT_STRING_EQUAL(CODE(&OFFICE_MCR, DRUG(.code = "J1745", .dose = "400", .unit = "mg",
						      .start = "09:00", .stop = "11:00")),
			       "96413x1 96415x1 J1745-JZx40");
	/* waste below one unit after rounding: no JW line, JZ */
	CU_ASSERT_STRING_EQUAL(CODE(&OFFICE_MCR, DRUG(.code = "J1745", .dose = "355", .unit = "mg",
						      .wasted = "5", .start = "09:00",
						      .stop = "11:00")),
			       "96413x1 96415x1 J1745-JZx36");
	CU_ASSERT_PTR_NOT_NULL(strstr(res.warn, DC_US_DRUG_JW));
	/* a commercial payer bills waste but never JZ */
	CU_ASSERT_STRING_EQUAL(CODE(&OFFICE_AUTH, DRUG(.code = "J1745", .dose = "350", .unit = "mg",
						  .wasted = "50", .start = "09:00", .stop = "11:10")),
			       "96413x1 96415x1 J1745x35 J1745-JWx5");
	/* not single-dose: neither */
	CU_ASSERT_STRING_EQUAL(CODE(&OFFICE_MCR, DRUG(.code = "J9267", .dose = "140", .unit = "mg",
						      .wasted = "10", .start = "09:00",
						      .stop = "10:05")),
			       "96413x1 J9267x140");
	/* 837I: no JZ on a drug packaged under OPPS (SI N), JZ on SI K */
	CU_ASSERT_STRING_EQUAL(CODE(&HOSPITAL_MCR,
				    DRUG(.code = "J9312", .dose = "500", .unit = "mg",
					 .start = "10:00", .stop = "11:00"),
				    DRUG(.code = "J2405", .dose = "4", .unit = "mg",
					 .start = "09:50", .stop = "09:52")),
			       "96413x1 96375x1 J9312-JZx50 J2405x4");
	/* never on fluids */
	CU_ASSERT_STRING_EQUAL(CODE(&OFFICE_MCR, DRUG(.code = "J7050", .vol = "1000",
						      .purpose = "hydration", .start = "13:00",
						      .stop = "14:35")),
			       "96360x1 96361x1 J7050x4");
}

static void test_units_and_ndc(void)
{
	struct t_res res;
	/* 0.25 mg of a 25 mcg code */
	CU_ASSERT_STRING_EQUAL(CODE(&OFFICE, DRUG(.code = "J2469", .dose = "0.25", .unit = "mg",
						  .start = "09:00", .stop = "09:01")),
			       "96374x1 J2469x10");
	/* doses of one drug add up across rows, one line per drug and NDC */
	CU_ASSERT_STRING_EQUAL(CODE(&OFFICE,
				    DRUG(.code = "J2405", .dose = "4", .unit = "mg",
					 .ndc = "00404-9930-02", .start = "09:00", .stop = "09:01"),
				    DRUG(.code = "J2405", .dose = "4", .unit = "mg",
					 .ndc = "00409-4759-01", .start = "10:00", .stop = "10:01")),
			       "96374x1 J2405x4 J2405x4");
	/* identified by NDC only, by generic name only (any case) */
	CU_ASSERT_STRING_EQUAL(CODE(&OFFICE_MCR, DRUG(.ndc = "57894-0030-01", .dose = "100",
						      .unit = "mg", .start = "09:00", .stop = "10:00")),
			       "96413x1 J1745-JZx10");
	CU_ASSERT_STRING_EQUAL(res.ndcq, "1 UN");
	CU_ASSERT_STRING_EQUAL(CODE(&OFFICE, DRUG(.name = "  Sodium   Chloride 0.9% ", .vol = "500",
						  .purpose = "hydration", .start = "09:00",
						  .stop = "10:00")),
			       "96360x1 J7050x2");
	/* the NDC picks the bag size of saline */
	CU_ASSERT_STRING_EQUAL(CODE(&OFFICE, DRUG(.code = "J7050", .ndc = "00338-0049-04",
						  .vol = "1500", .purpose = "hydration",
						  .start = "09:00", .stop = "10:00")),
			       "96360x1 J7030x2");
	CU_ASSERT_STRING_EQUAL(res.ndcq, "2000 ML");
	/* a dose in mL without a concentration does not convert to mg: held */
	CU_ASSERT_STRING_EQUAL(CODE(&OFFICE, DRUG(.code = "J2405", .dose = "2", .unit = "mL",
						  .method = "push", .start = "09:00")),
			       "");
	CU_ASSERT_EQUAL(res.hold, DC_HOLD_DRUG_CODING);
	CU_ASSERT_EQUAL(CODE(&OFFICE, DRUG(.name = "unobtainium", .dose = "1", .unit = "mg",
					   .start = "09:00"))[0], '\0');
	CU_ASSERT_EQUAL(res.hold, DC_HOLD_UNKNOWN_DRUG);
	CU_ASSERT_PTR_NOT_NULL(strstr(res.reason, "unobtainium"));
	/* NOC: one unit, the input's charge, an NDC required */
	CU_ASSERT_STRING_EQUAL(CODE(&OFFICE, DRUG(.code = "J3490", .name = "famotidine",
						  .dose = "20", .unit = "mg",
						  .ndc = "12345-6789-01", .charge = "25.00",
						  .method = "push", .start = "10:00")),
			       "96374x1 J3490x1");
	CU_ASSERT_STRING_EQUAL(res.ndcq, "20 ME");
	CODE(&OFFICE, DRUG(.code = "J3490", .name = "famotidine", .dose = "20", .unit = "mg",
			   .method = "push", .start = "10:00"));
	CU_ASSERT_EQUAL(res.hold, DC_HOLD_DRUG_CODING);
	/* Medicaid requires an NDC on every drug line */
	static const struct t_enc MCD = { "physician", "11", "MEDICAID", "", "N39.0" };
	CODE(&MCD, DRUG(.code = "J0696", .dose = "1", .unit = "g", .start = "10:00"));
	CU_ASSERT_EQUAL(res.hold, DC_HOLD_DRUG_CODING);
	CU_ASSERT_STRING_EQUAL(CODE(&MCD, DRUG(.code = "J0696", .dose = "1", .unit = "g",
					       .ndc = "00781-3208-85", .start = "10:00")),
			       "96374x1 J0696x4");
}

static void test_visits_and_bundling(void)
{
	struct t_res res;
	CU_ASSERT_STRING_EQUAL(CODE(&OFFICE,
				    DRUG(.code = "J1756", .dose = "200", .unit = "mg",
					 .start = "10:00", .stop = "11:10"),
				    VISIT(.code = "99211")),
			       "96365x1 J1756x200");
	CU_ASSERT_PTR_NOT_NULL(strstr(res.warn, DC_US_EM_99211));
	CU_ASSERT_STRING_EQUAL(CODE(&OFFICE,
				    DRUG(.code = "J1756", .dose = "200", .unit = "mg",
					 .start = "10:00", .stop = "11:10"),
				    VISIT(.code = "99213", .sep = "Y"),
				    PROC(.code = "36000"), PROC(.code = "96523")),
			       "96365x1 J1756x200 99213-25x1");
	CU_ASSERT_PTR_NOT_NULL(strstr(res.warn, DC_US_BUNDLED));
	CU_ASSERT_STRING_EQUAL(CODE(&OFFICE,
				    DRUG(.code = "J1756", .dose = "200", .unit = "mg",
					 .start = "10:00", .stop = "11:10"),
				    VISIT(.code = "99213")),
			       "96365x1 J1756x200");
	CU_ASSERT_PTR_NOT_NULL(strstr(res.warn, DC_US_EM_25));
	CU_ASSERT_STRING_EQUAL(CODE(&OFFICE, PROC(.code = "96523")), "96523x1");
	/* example 8: physician in a facility: the visit only, without 25 */
	static const struct t_enc POS22 = { "physician", "22", "COMMERCIAL", "", "K50.90" };
	CU_ASSERT_STRING_EQUAL(CODE(&POS22,
				    DRUG(.code = "J1745", .dose = "400", .unit = "mg",
					 .start = "13:00", .stop = "15:00"),
				    VISIT(.code = "99214", .sep = "Y")),
			       "99214x1");
	CU_ASSERT_PTR_NOT_NULL(strstr(res.warn, DC_US_PHYS_FACILITY));
	/* vehicle and kvo fluids are not billed; the vehicle's drug is */
	CU_ASSERT_STRING_EQUAL(CODE(&HOSPITAL,
				    DRUG(.code = "J9267", .dose = "140", .unit = "mg", .bag = "B1",
					 .start = "09:00", .stop = "10:05"),
				    DRUG(.code = "J7050", .vol = "250", .purpose = "vehicle",
					 .bag = "B1", .start = "09:00", .stop = "10:05"),
				    DRUG(.code = "J7050", .vol = "250", .purpose = "kvo",
					 .start = "08:00", .stop = "12:00")),
			       "96413x1 J9267x140");
	/* electrolyte in a hydration bag: hydration, with its own drug line */
	CU_ASSERT_STRING_EQUAL(CODE(&HOSPITAL,
				    DRUG(.code = "J7050", .vol = "1000", .purpose = "hydration",
					 .bag = "B1", .start = "09:00", .stop = "10:00"),
				    DRUG(.code = "J3480", .dose = "20", .unit = "mEq", .bag = "B1",
					 .start = "09:00", .stop = "10:00")),
			       "96360x1 J7050x4 J3480x10");
	CU_ASSERT_STRING_EQUAL(CODE(&HOSPITAL, DRUG(.code = "J3480", .dose = "20", .unit = "mEq",
						    .start = "09:00", .stop = "10:00")),
			       "96365x1 J3480x10");
}

static void test_claim_checks(void)
{
	struct t_res res;
	/* US-AUTH: J1745 needs an auth_ref with this payer */
	CODE(&OFFICE, DRUG(.code = "J1745", .dose = "400", .unit = "mg", .start = "13:00",
			   .stop = "15:00"));
	CU_ASSERT_EQUAL(res.hold, DC_HOLD_PREAUTH);
	CU_ASSERT_PTR_NOT_NULL(strstr(res.reason, "J1745"));
	static const struct t_enc AUTH = { "physician", "11", "COMMERCIAL", "PA-9", "K50.90" };
	CU_ASSERT_STRING_EQUAL(CODE(&AUTH, DRUG(.code = "J1745", .dose = "400", .unit = "mg",
						.start = "13:00", .stop = "15:00")),
			       "96413x1 96415x1 J1745x40");
	/* US-MUE: 96372 x 5 over the practitioner MUE of 4 */
	CODE(&OFFICE,
	     DRUG(.code = "J0897", .dose = "60", .unit = "mg", .route = "SC"),
	     DRUG(.code = "J0885", .dose = "10000", .unit = "units", .route = "SC"),
	     DRUG(.code = "J1100", .dose = "10", .unit = "mg", .route = "IM"),
	     DRUG(.code = "J1200", .dose = "50", .unit = "mg", .route = "IM"),
	     DRUG(.code = "J1885", .dose = "30", .unit = "mg", .route = "IM"));
	CU_ASSERT_EQUAL(res.hold, DC_HOLD_CODING_LIMIT);
	CU_ASSERT_PTR_NOT_NULL(strstr(res.reason, "96372 x 5"));
	CU_ASSERT_PTR_NOT_NULL(strstr(res.reason, "MAI 3"));
	CU_ASSERT_STRING_EQUAL(CODE(&OFFICE,
				    DRUG(.code = "J0897", .dose = "60", .unit = "mg", .route = "SC"),
				    DRUG(.code = "J0885", .dose = "10000", .unit = "units",
					 .route = "SC"),
				    DRUG(.code = "J1100", .dose = "10", .unit = "mg", .route = "IM"),
				    DRUG(.code = "J1200", .dose = "50", .unit = "mg",
					 .route = "IM")),
			       "96372x4 J0897x60 J0885x10 J1100x10 J1200x1");
	/* US-FILING: the run's date comes with the rules (from --now) */
	struct dc_rules *rw = (struct dc_rules *)rules();
	int32_t svc;
	dc_date_parse("2026-03-02", &svc);
	rw->today = svc + 181;
	CODE(&OFFICE, DRUG(.code = "J2405", .dose = "4", .unit = "mg", .method = "push",
			   .start = "10:00"));
	CU_ASSERT_EQUAL(res.hold, DC_HOLD_TIMELY_FILING);
	dc_date_parse("2026-08-20", &rw->today);
	CU_ASSERT_STRING_EQUAL(CODE(&OFFICE, DRUG(.code = "J2405", .dose = "4", .unit = "mg",
						  .method = "push", .start = "10:00")),
			       "96374x1 J2405x4");
	CU_ASSERT_PTR_NOT_NULL(strstr(res.warn, DC_US_FILING));
	rw->today = 0;
}

static void test_claim_split(void)
{
	struct t_res res;
	struct t_item items[55];
	char codes[55][16];
	for (int i = 0; i < 55; i++) {
		snprintf(codes[i], sizeof codes[i], "800%02d", i);
		items[i] = PROC(.code = codes[i], .charge = "1.00");
	}
	code(&OFFICE, items, 55, &res);
	CU_ASSERT_EQUAL(res.nlines, 55);
	CU_ASSERT_EQUAL(res.nclaims, 2);
	CU_ASSERT_STRING_EQUAL(res.claims, "E1 E1-2");
	CU_ASSERT_EQUAL(res.charge, 5500);
	/* 837I claims are not split */
	code(&HOSPITAL, items, 55, &res);
	CU_ASSERT_EQUAL(res.nclaims, 1);
}

static void test_pump(void)
{
	struct t_res res;
	CU_ASSERT_STRING_EQUAL(CODE(&HOSPITAL_MCR,
				    DRUG(.code = "J9263", .dose = "120", .unit = "mg",
					 .start = "09:00", .stop = "11:00"),
				    DRUG(.code = "J9190", .dose = "2400", .unit = "mg",
					 .reason = "home pump", .start = "2026-03-02T11:15",
					 .stop = "2026-03-04T09:15")),
			       "96413x1 96415x1 96416x1 J9263x240 J9190x5");
	/* no pump documented: an ordinary long chemo infusion */
	CU_ASSERT_STRING_EQUAL(CODE(&HOSPITAL_MCR,
				    DRUG(.code = "J9190", .dose = "2400", .unit = "mg",
					 .start = "2026-03-02T08:00", .stop = "2026-03-02T17:01")),
			       "96413x1 96415x8 J9190x5");
}

int register_us_coder_tests(void)
{
	CU_pSuite s = CU_add_suite("us_coder", NULL, NULL);
	if (!s)
		return -1;
	DC_ADD_TEST(s, test_arith);
	DC_ADD_TEST(s, test_push_15_16);
	DC_ADD_TEST(s, test_hydration_30_31);
	DC_ADD_TEST(s, test_additional_hours);
	DC_ADD_TEST(s, test_sequential_not_concurrent);
	DC_ADD_TEST(s, test_drip_to_drip);
	DC_ADD_TEST(s, test_hydration_periods);
	DC_ADD_TEST(s, test_overnight_and_derived);
	DC_ADD_TEST(s, test_initial_choice);
	DC_ADD_TEST(s, test_pushes);
	DC_ADD_TEST(s, test_jw_jz);
	DC_ADD_TEST(s, test_units_and_ndc);
	DC_ADD_TEST(s, test_visits_and_bundling);
	DC_ADD_TEST(s, test_claim_checks);
	DC_ADD_TEST(s, test_claim_split);
	DC_ADD_TEST(s, test_pump);
	return 0;
}
