/*
 * The UK coding engine (rulesets/uk_coder.c, spec/coding-uk.md) and the
 * uk-line-items.csv formatter: encounters are parsed from small CSV strings
 * through the real reader and validation, then coded against the shipped
 * rulesets, and the exact lines, amounts and holds are checked.
 */
#include <CUnit/CUnit.h>

#include "tests/unit/unit.h"
#include "emitters/uk_items.h"
#include "engine/buf.h"
#include "engine/validate.h"
#include "parsers/dc_reader.h"
#include "rulesets/dc_coder.h"
#include "rulesets/uk_coder.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int register_uk_coder_tests(void);

static const char hdr[] =
	"encounter_id,scheme,service_date,patient_id,patient_last_name,patient_first_name,"
	"patient_dob,patient_postcode,payer_id,member_id,auth_ref,diagnosis_codes,"
	"rendering_provider_id,rendering_provider_name,indication,consent,visit_type,"
	"item_type,code,drug_name,dmd_code,dose,dose_unit,concentration,volume_ml,route,"
	"method,access_site,admin_id,start_time,stop_time,separately_identifiable,charge,"
	"units\n";

/* Encounter-level values; NULL members take the U1 defaults. */
struct encp {
	const char *id, *payer, *auth, *dx, *reg, *name, *indication, *consent, *visit;
};

static const char *dflt(const char *v, const char *d) { return v ? v : d; }

/* Appends one extract row: the encounter columns of |e|, then |item| (17
 * item columns from item_type to units). */
static void row(struct dc_buf *b, const struct encp *e, const char *item)
{
	dc_buf_printf(b, "%s,UK,2026-03-03,UKP1,Testperson,Imogen,1984-06-12,SW1A 1AA,%s,"
		      "71230045,%s,%s,%s,\"%s\",%s,%s,%s,%s\n",
		      dflt(e->id, "U1"), dflt(e->payer, "bup"), dflt(e->auth, "BUP-PA-1"),
		      dflt(e->dx, "D50.9"), dflt(e->reg, "9900201"), dflt(e->name, "Lantern, Priya"),
		      dflt(e->indication, "Iron deficiency anaemia; oral iron not tolerated"),
		      dflt(e->consent, "Y"), dflt(e->visit, "outpatient"), item);
}

/* the drug item of worked example U1 */
#define FCM_ITEM "drug,,ferric carboxymaltose,999900011000001108,1000,mg,50 mg/mL,250,IV,," \
	"L antecubital fossa,,10:00,10:20,,,"

struct run {
	struct dc_buf csv;
	struct dc_input in;
	struct dc_arena a;
	struct dc_reader *r;
	struct dc_encounter enc;
	struct dc_coded c;
	int rc;
};

static struct dc_rules *rules(void)
{
	static struct dc_rules r;
	static int loaded;
	if (!loaded) {
		CU_ASSERT_EQUAL_FATAL(dc_rules_load(&r, dc_test_rules_dir(), NULL, NULL), 0);
		loaded = 1;
	}
	return &r;
}

/* Reads, validates and codes the first encounter of hdr + |b|'s rows with |R|. */
static void code_with(struct run *t, struct dc_rules *R)
{
	struct dc_reject_sink rs = { NULL, NULL };
	dc_input_open_mem(&t->in, "t.csv", t->csv.p, t->csv.len, 0, NULL);
	dc_arena_init(&t->a, 0);
	t->r = dc_csv_reader_new(&t->in, ',', NULL, NULL, rs);
	CU_ASSERT_PTR_NOT_NULL_FATAL(t->r);
	CU_ASSERT_EQUAL_FATAL(t->r->ops->next(t->r, &t->enc, &t->a), 1);
	memset(&t->c, 0, sizeof t->c);
	t->c.explain = 1;   /* the warnings' text, as explain shows it */
	dc_encounter_validate(&t->enc, R, DC_SCHEME_UK, &t->a);
	CU_ASSERT_EQUAL(t->enc.scheme, DC_SCHEME_UK);
	if (t->enc.hold != DC_HOLD_NONE) {
		/* a validation hold: the coder is never called */
		t->rc = 1;
		return;
	}
	t->rc = dc_uk_code(R, &t->enc, &t->c, &t->a);
	CU_ASSERT_EQUAL(t->rc, 0);
}

static void code(struct run *t)
{
	code_with(t, rules());
}

static void start(struct run *t)
{
	memset(t, 0, sizeof *t);
	dc_buf_init(&t->csv);
	dc_buf_adds(&t->csv, hdr);
}

static void finish(struct run *t)
{
	if (t->r)
		t->r->ops->free(t->r);
	dc_arena_release(&t->a);
	dc_input_close(&t->in);
	dc_buf_release(&t->csv);
}

static int has_warning(const struct dc_coded *c, const char *rule, const char *text)
{
	for (size_t i = 0; i < c->nwarnings; i++)
		if (!strcmp(c->warnings[i].rule, rule) && strstr(c->warnings[i].msg, text))
			return 1;
	return 0;
}

static const char *money(int64_t pence)
{
	static char b[4][32];
	static int k;
	k = (k + 1) % 4;
	return dc_money_format(pence, b[k], sizeof b[k]);
}

static const char *qty(struct dc_dec d)
{
	static char b[4][48];
	static int k;
	k = (k + 1) % 4;
	return dc_dec_format(d, b[k], sizeof b[k]);
}

/* ------------------------------------------------------------------ */

static void test_money_helpers(void)
{
	int64_t p, pence;
	CU_ASSERT_EQUAL(dc_uk_price_parse("0.31", &p), 0);
	CU_ASSERT_EQUAL(p, 3100);
	CU_ASSERT_EQUAL(dc_uk_price_parse("0.0030", &p), 0);
	CU_ASSERT_EQUAL(p, 30);
	CU_ASSERT_EQUAL(dc_uk_price_parse("120", &p), 0);
	CU_ASSERT_EQUAL(p, 1200000);
	CU_ASSERT_EQUAL(dc_uk_price_parse("0.00301", &p), -1);   /* five places */
	CU_ASSERT_EQUAL(dc_uk_price_parse("-1", &p), -1);
	CU_ASSERT_EQUAL(dc_uk_price_parse("", &p), -1);
	CU_ASSERT_EQUAL(dc_uk_price_parse("abc", &p), -1);

	char b[32];
	CU_ASSERT_STRING_EQUAL(dc_uk_price_format(3100, b, sizeof b), "0.31");
	CU_ASSERT_STRING_EQUAL(dc_uk_price_format(30, b, sizeof b), "0.003");
	CU_ASSERT_STRING_EQUAL(dc_uk_price_format(35, b, sizeof b), "0.0035");
	CU_ASSERT_STRING_EQUAL(dc_uk_price_format(1200000, b, sizeof b), "120.00");
	CU_ASSERT_STRING_EQUAL(dc_uk_price_format(0, b, sizeof b), "0.00");

	/* 1000 mg x 0.31 = 310.00 */
	struct dc_dec q = { 1000 * DC_DEC_SCALE };
	CU_ASSERT_EQUAL(dc_uk_line_amount(q, 3100, &pence), 0);
	CU_ASSERT_EQUAL(pence, 31000);
	/* half up: 5 mL x 0.0030 = 0.015 -> 0.02; 4.9 mL x 0.0030 = 0.0147 -> 0.01 */
	q.v = 5 * DC_DEC_SCALE;
	CU_ASSERT_EQUAL(dc_uk_line_amount(q, 30, &pence), 0);
	CU_ASSERT_EQUAL(pence, 2);
	q.v = 4900000;
	CU_ASSERT_EQUAL(dc_uk_line_amount(q, 30, &pence), 0);
	CU_ASSERT_EQUAL(pence, 1);
	/* 1.5 g x 6.40 = 9.60; 0.333333 x 0.01 = 0.00333 -> 0.00 */
	q.v = 1500000;
	CU_ASSERT_EQUAL(dc_uk_line_amount(q, 64000, &pence), 0);
	CU_ASSERT_EQUAL(pence, 960);
	q.v = 333333;
	CU_ASSERT_EQUAL(dc_uk_line_amount(q, 100, &pence), 0);
	CU_ASSERT_EQUAL(pence, 0);
	/* the largest quantity the parser accepts at a large price: exact, no overflow */
	q.v = 1000000000000LL * DC_DEC_SCALE;   /* 10^12 units */
	CU_ASSERT_EQUAL(dc_uk_line_amount(q, 12345, &pence), 0);   /* x 1.2345 */
	CU_ASSERT_EQUAL(pence, 123450000000000LL);
	q.v = 123456789;   /* 123.456789 x 99.9999 = 12345.6665... -> 12345.67 */
	CU_ASSERT_EQUAL(dc_uk_line_amount(q, 999999, &pence), 0);
	CU_ASSERT_EQUAL(pence, 1234567);
	q.v = INT64_MAX;
	CU_ASSERT_EQUAL(dc_uk_line_amount(q, 9999999999999LL, &pence), -1);
}

/* U1: Bupa, ferric carboxymaltose 1000 mg IV 10:00-10:20, fully documented. */
static void test_u1_sole_x3590(void)
{
	struct run t;
	struct encp e = { 0 };
	start(&t);
	row(&t.csv, &e, FCM_ITEM);
	code(&t);
	CU_ASSERT_EQUAL_FATAL(t.enc.hold, DC_HOLD_NONE);
	CU_ASSERT_EQUAL_FATAL(t.c.nlines, 2);
	struct dc_line *l = &t.c.lines[0];
	CU_ASSERT_STRING_EQUAL(l->claim_id, "U1");
	CU_ASSERT_STRING_EQUAL(l->claim_type, "UK");
	CU_ASSERT_EQUAL(l->line_no, 1);
	CU_ASSERT_STRING_EQUAL(l->line_control, "");
	CU_ASSERT_STRING_EQUAL(l->kind, "procedure");
	CU_ASSERT_STRING_EQUAL(l->code, "X3590");
	CU_ASSERT_STRING_EQUAL(qty(l->units), "1");
	CU_ASSERT_EQUAL(l->unit_price, 1200000);
	CU_ASSERT_STRING_EQUAL(money(l->charge), "120.00");
	CU_ASSERT_STRING_EQUAL(l->rule, "UK-X3590-SOLE;UK-PRICE");
	CU_ASSERT_STRING_EQUAL(l->source_lines, "2");
	CU_ASSERT_STRING_EQUAL(l->arith, "1 x 120.00 = 120.00");
	l = &t.c.lines[1];
	CU_ASSERT_EQUAL(l->line_no, 2);
	CU_ASSERT_STRING_EQUAL(l->kind, "drug");
	CU_ASSERT_STRING_EQUAL(l->code, "999900011000001108");
	CU_ASSERT_STRING_EQUAL(l->dmd_code, "999900011000001108");
	CU_ASSERT_STRING_EQUAL(l->description, "ferric carboxymaltose 500 mg/10 mL");
	CU_ASSERT_STRING_EQUAL(qty(l->units), "1000");
	CU_ASSERT_STRING_EQUAL(l->unit, "mg");
	CU_ASSERT_EQUAL(l->unit_price, 3100);
	CU_ASSERT_STRING_EQUAL(money(l->charge), "310.00");
	CU_ASSERT_STRING_EQUAL(l->rule, "UK-DRUG-ITEM;UK-PRICE");
	CU_ASSERT_STRING_EQUAL(l->arith, "1000 mg x 0.31 = 310.00");
	CU_ASSERT_EQUAL(t.c.nclaims, 1);
	CU_ASSERT_STRING_EQUAL(money(t.c.charge), "430.00");
	CU_ASSERT_EQUAL(t.c.nwarnings, 0);

	/* uk-line-items.csv */
	struct dc_buf b;
	dc_buf_init(&b);
	dc_uk_items_format(&b, &t.enc, &t.c, rules());
	CU_ASSERT_STRING_EQUAL(b.p,
		"U1,2026-03-03,bup,Bupa,71230045,BUP-PA-1,Testperson,Imogen,1984-06-12,SW1A 1AA,"
		"\"Lantern, Priya\",9900201,outpatient,2026-03-03,D50.9,1,procedure,X3590,CCSD,"
		"Intravenous infusion given as the only procedure of the session,1,,120.00,120.00,"
		"UK-X3590-SOLE;UK-PRICE\n"
		"U1,2026-03-03,bup,Bupa,71230045,BUP-PA-1,Testperson,Imogen,1984-06-12,SW1A 1AA,"
		"\"Lantern, Priya\",9900201,outpatient,2026-03-03,D50.9,2,drug,999900011000001108,"
		"DMD,ferric carboxymaltose 500 mg/10 mL,1000,mg,0.31,310.00,UK-DRUG-ITEM;UK-PRICE\n");
	dc_buf_release(&b);
	CU_ASSERT_STRING_EQUAL(dc_uk_items_header,
		"invoice_number,invoice_date,insurer_code,insurer_name,membership_number,auth_ref,"
		"patient_last_name,patient_first_name,patient_dob,patient_postcode,clinician_name,"
		"clinician_registration,type_of_care,treatment_date,diagnosis_codes,line_no,"
		"item_type,code,code_scheme,description,quantity,unit,unit_price,amount,rule\n");
	finish(&t);
}

/* One X3590 per session, whatever the number of drugs and bags. */
static void test_one_x3590_per_session(void)
{
	struct run t;
	struct encp e = { .payer = "alz", .dx = "M05.9" };
	start(&t);
	/* rituximab first in the file but given last: lines in order of
	 * administration */
	row(&t.csv, &e, "drug,,rituximab,,1000,mg,10 mg/mL,500,IV,,R forearm,,09:30,13:45,,,");
	row(&t.csv, &e, "drug,,Solu-Medrone,,100,mg,62.5 mg/mL,,IV,push,R forearm,,09:00,,,,");
	row(&t.csv, &e, "drug,,paracetamol,,1000,mg,10 mg/mL,100,IV,,R forearm,,09:05,09:20,,,");
	code(&t);
	CU_ASSERT_EQUAL_FATAL(t.enc.hold, DC_HOLD_NONE);
	CU_ASSERT_EQUAL_FATAL(t.c.nlines, 4);
	CU_ASSERT_STRING_EQUAL(t.c.lines[0].code, "X3590");
	CU_ASSERT_STRING_EQUAL(t.c.lines[0].source_lines, "2;3;4");
	/* found by name (brand and generic names), dose converted mg -> g */
	CU_ASSERT_STRING_EQUAL(t.c.lines[1].code, "999900101000001107");
	CU_ASSERT_STRING_EQUAL(money(t.c.lines[1].charge), "4.00");
	CU_ASSERT_STRING_EQUAL(t.c.lines[2].code, "999900171000001101");
	CU_ASSERT_STRING_EQUAL(qty(t.c.lines[2].units), "1");
	CU_ASSERT_STRING_EQUAL(t.c.lines[2].unit, "g");
	CU_ASSERT_STRING_EQUAL(t.c.lines[2].arith, "1000 mg = 1 g x 1.25 = 1.25");
	CU_ASSERT_STRING_EQUAL(t.c.lines[3].code, "999900031000001102");
	CU_ASSERT_STRING_EQUAL(money(t.c.lines[3].charge), "3490.00");
	CU_ASSERT_STRING_EQUAL(money(t.c.charge), "3615.25");
	for (size_t i = 0; i < t.c.nlines; i++)
		CU_ASSERT_EQUAL(t.c.lines[i].line_no, (int)i + 1);
	finish(&t);
}

/* U2: AXA Health, no auth_ref. */
static void test_u2_preauth(void)
{
	struct run t;
	struct encp e = { .id = "U2", .payer = "ppp", .auth = "" };
	start(&t);
	row(&t.csv, &e, FCM_ITEM);
	code(&t);
	CU_ASSERT_EQUAL(t.enc.hold, DC_HOLD_PREAUTH);
	CU_ASSERT_PTR_NOT_NULL(strstr(t.enc.hold_reason, "auth_ref is missing"));
	CU_ASSERT_PTR_NOT_NULL(strstr(t.enc.hold_reason, "AXA Health"));
	CU_ASSERT_PTR_NOT_NULL(strstr(t.enc.hold_reason, "UK-PREAUTH"));
	CU_ASSERT_EQUAL(t.c.nlines, 0);
	finish(&t);
}

/* U3: Aviva; prophylactic antibiotic IV during a surgical procedure. */
static void test_u3_concurrent(void)
{
	struct run t;
	struct encp e = { .id = "U3", .payer = "nuh", .auth = "AV-PA-1", .dx = "K40.9",
			  .visit = "day_case" };
	start(&t);
	row(&t.csv, &e, "procedure,T2000,,,,,,,,,,,,,,,1");
	row(&t.csv, &e, "drug,,cefuroxime,999900061000001105,1.5,g,90 mg/mL,16,IV,,"
	    "R dorsum of hand,,08:40,08:44,,,");
	code(&t);
	CU_ASSERT_EQUAL_FATAL(t.enc.hold, DC_HOLD_NONE);
	CU_ASSERT_EQUAL_FATAL(t.c.nlines, 2);
	CU_ASSERT_STRING_EQUAL(t.c.lines[0].code, "T2000");
	CU_ASSERT_STRING_EQUAL(t.c.lines[0].kind, "procedure");
	CU_ASSERT_STRING_EQUAL(money(t.c.lines[0].charge), "750.00");
	CU_ASSERT_STRING_EQUAL(t.c.lines[0].rule, "UK-PROCEDURE;UK-X3590-CONCURRENT;UK-PRICE");
	CU_ASSERT_STRING_EQUAL(t.c.lines[1].code, "999900061000001105");
	CU_ASSERT_STRING_EQUAL(qty(t.c.lines[1].units), "1.5");
	CU_ASSERT_STRING_EQUAL(money(t.c.lines[1].charge), "9.60");
	for (size_t i = 0; i < t.c.nlines; i++)
		CU_ASSERT_STRING_NOT_EQUAL(t.c.lines[i].code, "X3590");
	CU_ASSERT(has_warning(&t.c, "UK-X3590-CONCURRENT", "T2000"));
	CU_ASSERT_STRING_EQUAL(money(t.c.charge), "759.60");

	struct dc_buf b;
	dc_buf_init(&b);
	dc_uk_items_format(&b, &t.enc, &t.c, rules());
	CU_ASSERT_PTR_NOT_NULL(strstr(b.p, ",day_case,2026-03-03,K40.9,1,procedure,T2000,CCSD,"));
	CU_ASSERT_PTR_NOT_NULL(strstr(b.p, ",2,drug,999900061000001105,DMD,cefuroxime 1.5 g,1.5,g,"
				      "6.40,9.60,"));
	dc_buf_release(&b);
	finish(&t);
}

/* U4: Vitality IVIG, consent not recorded and no cannula site. */
static void test_u4_documentation(void)
{
	struct run t;
	struct encp e = { .id = "U4", .payer = "slh", .auth = "VH-PA-1", .dx = "D83.9",
			  .reg = "99B2001C", .consent = "" };
	start(&t);
	row(&t.csv, &e, "drug,,human normal immunoglobulin,999900081000001103,30,g,100 mg/mL,"
	    "300,IV,,,,10:00,13:30,,,");
	code(&t);
	CU_ASSERT_EQUAL(t.enc.hold, DC_HOLD_DOCUMENTATION);
	CU_ASSERT_PTR_NOT_NULL(strstr(t.enc.hold_reason, "consent"));
	CU_ASSERT_PTR_NOT_NULL(strstr(t.enc.hold_reason, "access (cannula) site"));
	CU_ASSERT_PTR_NOT_NULL(strstr(t.enc.hold_reason, "access_site missing on line 2"));
	CU_ASSERT_PTR_NULL(strstr(t.enc.hold_reason, "indication"));
	CU_ASSERT_PTR_NULL(strstr(t.enc.hold_reason, "duration"));
	CU_ASSERT_EQUAL(t.c.nlines, 0);
	finish(&t);
}

/* Every missing documentation element is named. */
static void test_docs_every_element(void)
{
	struct run t;
	struct encp e = { .indication = "", .consent = "N" };
	start(&t);
	row(&t.csv, &e, "drug,,iron sucrose,,200,mg,,,IV,,,,11:00,,,,");
	row(&t.csv, &e, "drug,,ondansetron,,4,mg,2 mg/mL,,,,,,,,,,");
	code(&t);
	CU_ASSERT_EQUAL(t.enc.hold, DC_HOLD_DOCUMENTATION);
	const char *r = t.enc.hold_reason;
	CU_ASSERT_PTR_NOT_NULL(strstr(r, "clinical indication is missing"));
	CU_ASSERT_PTR_NOT_NULL(strstr(r, "drug identity is incomplete: concentration missing on line 2"));
	CU_ASSERT_PTR_NOT_NULL(strstr(r, "route missing on line 3"));
	CU_ASSERT_PTR_NOT_NULL(strstr(r, "access_site missing on line 2"));
	CU_ASSERT_PTR_NOT_NULL(strstr(r, "duration is not documented"));
	CU_ASSERT_PTR_NOT_NULL(strstr(r, "consent must be Y, it is 'N'"));
	finish(&t);

	/* X3590 in the extract with no drug item: the substance is undocumented */
	start(&t);
	struct encp e2 = { 0 };
	row(&t.csv, &e2, "procedure,X3590,,,,,,,,,,,,,,,");
	code(&t);
	CU_ASSERT_EQUAL(t.enc.hold, DC_HOLD_DOCUMENTATION);
	CU_ASSERT_PTR_NOT_NULL(strstr(t.enc.hold_reason, "drug identity is missing"));
	finish(&t);
}

/* UK-DIAGNOSIS: Bupa requires an ICD-10 code; Aviva does not. */
static void test_diagnosis(void)
{
	struct run t;
	struct encp e = { .dx = "" };
	start(&t);
	row(&t.csv, &e, FCM_ITEM);
	code(&t);
	CU_ASSERT_EQUAL(t.enc.hold, DC_HOLD_DOCUMENTATION);
	CU_ASSERT_PTR_NOT_NULL(strstr(t.enc.hold_reason, "ICD-10"));
	CU_ASSERT_PTR_NOT_NULL(strstr(t.enc.hold_reason, "UK-DIAGNOSIS"));
	finish(&t);

	struct encp e2 = { .payer = "nuh", .dx = "" };
	start(&t);
	row(&t.csv, &e2, FCM_ITEM);
	code(&t);
	CU_ASSERT_EQUAL(t.enc.hold, DC_HOLD_NONE);
	CU_ASSERT_EQUAL(t.c.nlines, 2);
	finish(&t);
}

/* The extract pairs X3590 with another procedure: upcoding. */
static void test_sole_procedure_hold(void)
{
	struct run t;
	struct encp e = { 0 };
	start(&t);
	row(&t.csv, &e, "procedure,X3590,,,,,,,,,,,,,,,");
	row(&t.csv, &e, "procedure,W9030,,,,,,,,,,,,,,,");
	row(&t.csv, &e, FCM_ITEM);
	code(&t);
	CU_ASSERT_EQUAL(t.enc.hold, DC_HOLD_SOLE_PROCEDURE);
	CU_ASSERT_PTR_NOT_NULL(strstr(t.enc.hold_reason, "X3590 is billed with procedure W9030"));
	CU_ASSERT_EQUAL(t.c.nlines, 0);
	finish(&t);

	/* X3590 given by the extract alone: one line, not two */
	start(&t);
	row(&t.csv, &e, "procedure,x3590,,,,,,,,,,,,,,,");
	row(&t.csv, &e, FCM_ITEM);
	code(&t);
	CU_ASSERT_EQUAL_FATAL(t.c.nlines, 2);
	CU_ASSERT_STRING_EQUAL(t.c.lines[0].code, "X3590");
	CU_ASSERT_STRING_EQUAL(t.c.lines[0].source_lines, "2;3");
	finish(&t);
}

static void test_drug_coding(void)
{
	struct run t;
	struct encp e = { 0 };
	start(&t);
	row(&t.csv, &e, "drug,,Myers cocktail,,1,mL,1 mL/mL,,IV,,L forearm,,10:00,10:30,,,");
	code(&t);
	CU_ASSERT_EQUAL(t.enc.hold, DC_HOLD_DRUG_CODING);
	CU_ASSERT_PTR_NOT_NULL(strstr(t.enc.hold_reason, "drug 'Myers cocktail' (line 2) has no "
				      "dmd_code and matches no name"));
	finish(&t);

	/* a dose in mL for a drug priced per mg */
	start(&t);
	row(&t.csv, &e, "drug,,ferinject,,20,mL,50 mg/mL,,IV,,L forearm,,10:00,10:30,,,");
	code(&t);
	CU_ASSERT_EQUAL(t.enc.hold, DC_HOLD_DRUG_CODING);
	CU_ASSERT_PTR_NOT_NULL(strstr(t.enc.hold_reason, "cannot be converted to mg"));
	finish(&t);

	/* dm+d code not in the table: billed from the charge column */
	start(&t);
	row(&t.csv, &e, "drug,,magnesium sulfate,123456789012,2,g,50%,,IV,,L forearm,,10:00,10:30,,"
	    "14.50,");
	code(&t);
	CU_ASSERT_EQUAL_FATAL(t.enc.hold, DC_HOLD_NONE);
	CU_ASSERT_EQUAL_FATAL(t.c.nlines, 2);
	CU_ASSERT_STRING_EQUAL(t.c.lines[1].code, "123456789012");
	CU_ASSERT_STRING_EQUAL(t.c.lines[1].description, "magnesium sulfate 50%");
	CU_ASSERT_STRING_EQUAL(money(t.c.lines[1].charge), "14.50");
	CU_ASSERT_EQUAL(t.c.lines[1].unit_price, 72500);
	finish(&t);

	/* ... and without a charge it cannot be priced */
	start(&t);
	row(&t.csv, &e, "drug,,magnesium sulfate,123456789012,2,g,50%,,IV,,L forearm,,10:00,10:30,,,");
	code(&t);
	CU_ASSERT_EQUAL(t.enc.hold, DC_HOLD_DRUG_CODING);
	CU_ASSERT_PTR_NOT_NULL(strstr(t.enc.hold_reason, "not in uk/drugs.csv"));
	finish(&t);
}

/* Fluids: names pick the bag; a fluid priced per mL may give only volume_ml. */
static void test_fluid_names(void)
{
	struct run t;
	struct encp e = { 0 };
	start(&t);
	row(&t.csv, &e, "drug,,Normal  Saline,,,,0.9%,250,IV,,L forearm,,10:00,10:40,,,");
	row(&t.csv, &e, "drug,,normal saline 1000 ml,,1000,mL,0.9%,,IV,,L forearm,,10:40,12:40,,,");
	row(&t.csv, &e, "drug,,glucose 5%,,5,mL,5%,,IV,,L forearm,,12:40,12:45,,,");
	code(&t);
	CU_ASSERT_EQUAL_FATAL(t.enc.hold, DC_HOLD_NONE);
	CU_ASSERT_EQUAL_FATAL(t.c.nlines, 4);
	CU_ASSERT_STRING_EQUAL(t.c.lines[1].code, "999900121000001100");
	CU_ASSERT_STRING_EQUAL(qty(t.c.lines[1].units), "250");
	CU_ASSERT_STRING_EQUAL(t.c.lines[1].unit, "mL");
	CU_ASSERT_STRING_EQUAL(t.c.lines[1].arith, "250 mL x 0.003 = 0.75");
	CU_ASSERT_STRING_EQUAL(t.c.lines[2].code, "999900131000001103");
	CU_ASSERT_STRING_EQUAL(money(t.c.lines[2].charge), "2.00");
	/* 5 mL x 0.0040 = 0.02 exactly; the per-line rounding shows with 0.0030 */
	CU_ASSERT_STRING_EQUAL(money(t.c.lines[3].charge), "0.02");
	CU_ASSERT_STRING_EQUAL(money(t.c.charge), "122.77");
	finish(&t);
}

static void test_provider(void)
{
	struct run t;
	/* neither GMC nor NMC form */
	struct encp e = { .reg = "GMC123" };
	start(&t);
	row(&t.csv, &e, FCM_ITEM);
	code(&t);
	CU_ASSERT_EQUAL(t.enc.hold, DC_HOLD_PROVIDER);
	CU_ASSERT_PTR_NOT_NULL(strstr(t.enc.hold_reason, "rendering_provider_id 'GMC123'"));
	finish(&t);

	/* provider wins over invalid_field (a US procedure code) */
	start(&t);
	row(&t.csv, &e, "procedure,96413,,,,,,,,,,,,,,,");
	row(&t.csv, &e, FCM_ITEM);
	code(&t);
	CU_ASSERT_EQUAL(t.enc.hold, DC_HOLD_PROVIDER);
	CU_ASSERT_PTR_NOT_NULL(strstr(t.enc.hold_reason, "code '96413' is not a CCSD code"));
	finish(&t);

	/* Healix has a recognised-provider list */
	struct encp h = { .payer = "hlx", .reg = "9900999" };
	start(&t);
	row(&t.csv, &h, FCM_ITEM);
	code(&t);
	CU_ASSERT_EQUAL(t.enc.hold, DC_HOLD_PROVIDER);
	CU_ASSERT_PTR_NOT_NULL(strstr(t.enc.hold_reason, "not a recognised provider for Healix"));
	finish(&t);

	struct encp h2 = { .payer = "hlx", .reg = "9900102", .name = "Sampleton, Rupert" };
	start(&t);
	row(&t.csv, &h2, FCM_ITEM);
	code(&t);
	CU_ASSERT_EQUAL(t.enc.hold, DC_HOLD_NONE);
	finish(&t);

	/* an NMC PIN, no list for Bupa */
	struct encp n = { .reg = "99B2001C" };
	start(&t);
	row(&t.csv, &n, FCM_ITEM);
	code(&t);
	CU_ASSERT_EQUAL(t.enc.hold, DC_HOLD_NONE);
	finish(&t);
}

static void test_procedure_form(void)
{
	struct run t;
	struct encp e = { 0 };
	start(&t);
	row(&t.csv, &e, "procedure,W903,,,,,,,,,,,,,,,");
	code(&t);
	CU_ASSERT_EQUAL(t.enc.hold, DC_HOLD_INVALID_FIELD);
	CU_ASSERT_PTR_NOT_NULL(strstr(t.enc.hold_reason, "code 'W903' is not a CCSD code"));
	finish(&t);

	/* a CCSD-form code the table does not know is taken as it is, priced by
	 * its charge */
	start(&t);
	row(&t.csv, &e, "procedure,B1234,,,,,,,,,,,,,,99.99,");
	code(&t);
	CU_ASSERT_EQUAL_FATAL(t.enc.hold, DC_HOLD_NONE);
	CU_ASSERT_EQUAL_FATAL(t.c.nlines, 1);
	CU_ASSERT_STRING_EQUAL(t.c.lines[0].code, "B1234");
	CU_ASSERT_STRING_EQUAL(money(t.c.lines[0].charge), "99.99");
	finish(&t);

	/* ... and without a charge, nothing prices it */
	start(&t);
	row(&t.csv, &e, "procedure,B1234,,,,,,,,,,,,,,,");
	code(&t);
	CU_ASSERT_EQUAL(t.enc.hold, DC_HOLD_INVALID_FIELD);
	CU_ASSERT_PTR_NOT_NULL(strstr(t.enc.hold_reason, "no fee for procedure code B1234"));
	finish(&t);
}

/* UK-CONSULT */
static void test_consultation(void)
{
	struct run t;
	struct encp e = { .payer = "cin", .dx = "K50.9" };
	start(&t);
	row(&t.csv, &e, "visit,Z9101,,,,,,,,,,,,,Y,,1");
	row(&t.csv, &e, "drug,,infliximab,999900021000001104,400,mg,10 mg/mL,250,IV,,R forearm,,"
	    "14:00,16:00,,,");
	code(&t);
	CU_ASSERT_EQUAL_FATAL(t.enc.hold, DC_HOLD_NONE);
	CU_ASSERT_EQUAL_FATAL(t.c.nlines, 3);
	CU_ASSERT_STRING_EQUAL(t.c.lines[0].code, "X3590");
	CU_ASSERT_STRING_EQUAL(t.c.lines[1].code, "Z9101");
	CU_ASSERT_STRING_EQUAL(t.c.lines[1].kind, "visit");
	CU_ASSERT_STRING_EQUAL(t.c.lines[1].rule, "UK-CONSULT;UK-PRICE");
	CU_ASSERT_STRING_EQUAL(money(t.c.lines[1].charge), "200.00");
	CU_ASSERT_STRING_EQUAL(money(t.c.lines[2].charge), "1680.00");
	CU_ASSERT_STRING_EQUAL(money(t.c.charge), "2000.00");
	struct dc_buf b;
	dc_buf_init(&b);
	dc_uk_items_format(&b, &t.enc, &t.c, rules());
	CU_ASSERT_PTR_NOT_NULL(strstr(b.p, ",2,consultation,Z9101,CCSD,"));
	dc_buf_release(&b);
	finish(&t);

	/* not separately identifiable: no line, an unbundling-risk warning */
	start(&t);
	row(&t.csv, &e, "visit,Z9101,,,,,,,,,,,,,,,");
	row(&t.csv, &e, "drug,,infliximab,999900021000001104,400,mg,10 mg/mL,250,IV,,R forearm,,"
	    "14:00,16:00,,,");
	code(&t);
	CU_ASSERT_EQUAL_FATAL(t.c.nlines, 2);
	CU_ASSERT_STRING_EQUAL(t.c.lines[0].code, "X3590");
	CU_ASSERT_STRING_EQUAL(t.c.lines[1].kind, "drug");
	CU_ASSERT(has_warning(&t.c, "UK-CONSULT", "unbundling risk"));
	finish(&t);
}

/* WPA does not itemise drugs: the drug line stays at 0.00 and is left out of
 * uk-line-items.csv. */
static void test_bundled_drugs(void)
{
	struct run t;
	struct encp e = { .id = "U5", .payer = "wpa", .reg = "99C3002A" };
	start(&t);
	row(&t.csv, &e, "drug,,iron sucrose,36049811000001107,200,mg,20 mg/mL,100,IV,,L forearm,,"
	    "11:00,11:30,,,");
	code(&t);
	CU_ASSERT_EQUAL_FATAL(t.enc.hold, DC_HOLD_NONE);
	CU_ASSERT_EQUAL_FATAL(t.c.nlines, 2);
	CU_ASSERT_STRING_EQUAL(t.c.lines[1].rule, "UK-DRUG-ITEM;UK-DRUG-BUNDLED");
	CU_ASSERT_EQUAL(t.c.lines[1].charge, 0);
	CU_ASSERT_STRING_EQUAL(qty(t.c.lines[1].units), "200");
	CU_ASSERT_STRING_EQUAL(money(t.c.charge), "120.00");
	CU_ASSERT(has_warning(&t.c, "UK-DRUG-BUNDLED", "iron sucrose"));
	struct dc_buf b;
	dc_buf_init(&b);
	dc_uk_items_format(&b, &t.enc, &t.c, rules());
	CU_ASSERT_PTR_NULL(strstr(b.p, "iron sucrose"));
	CU_ASSERT_PTR_NOT_NULL(strstr(b.p, ",1,procedure,X3590,"));
	size_t rows = 0;
	for (const char *p = b.p; *p; p++)
		rows += *p == '\n';
	CU_ASSERT_EQUAL(rows, 1);
	dc_buf_release(&b);
	finish(&t);
}

/* Segments of one administration (same admin_id) are one line. */
static void test_segments(void)
{
	struct run t;
	struct encp e = { 0 };
	start(&t);
	row(&t.csv, &e, "drug,,methylprednisolone,,250,mg,62.5 mg/mL,,IV,,R forearm,A1,09:00,09:25,,,");
	row(&t.csv, &e, "drug,,methylprednisolone,,0.25,g,62.5 mg/mL,,IV,,R forearm,A1,09:40,10:15,,,");
	code(&t);
	CU_ASSERT_EQUAL_FATAL(t.enc.hold, DC_HOLD_NONE);
	CU_ASSERT_EQUAL_FATAL(t.c.nlines, 2);
	CU_ASSERT_STRING_EQUAL(qty(t.c.lines[1].units), "500");
	CU_ASSERT_STRING_EQUAL(t.c.lines[1].source_lines, "2;3");
	CU_ASSERT_STRING_EQUAL(money(t.c.lines[1].charge), "20.00");
	finish(&t);
}

/* mcg converts to the table's mg; a drug_name naming another product warns. */
static void test_units_and_names(void)
{
	struct run t;
	struct encp e = { 0 };
	start(&t);
	row(&t.csv, &e, "drug,,zofran,999900111000001109,3300,mcg,3.3 mg/mL,,IV,push,L forearm,,"
	    "09:00,,,,");
	code(&t);
	CU_ASSERT_EQUAL_FATAL(t.enc.hold, DC_HOLD_NONE);
	CU_ASSERT_EQUAL_FATAL(t.c.nlines, 2);
	CU_ASSERT_STRING_EQUAL(t.c.lines[1].description, "dexamethasone 3.3 mg/1 mL");
	CU_ASSERT_STRING_EQUAL(qty(t.c.lines[1].units), "3.3");
	CU_ASSERT_STRING_EQUAL(t.c.lines[1].arith, "3300 mcg = 3.3 mg x 0.40 = 1.32");
	CU_ASSERT(has_warning(&t.c, "UK-DRUG-ITEM", "drug_name 'zofran' names dm+d "
			      "999900041000001109"));
	finish(&t);
}

/*
 * A drug found by its generic name when no `names` list holds it (a local
 * row without names), and a name in a `names` list before another row's
 * generic name.
 */
static void test_generic_names(void)
{
	char dir[] = "/tmp/dc-uk-overlay-XXXXXX", sub[128], file[160];
	CU_ASSERT_PTR_NOT_NULL_FATAL(mkdtemp(dir));
	snprintf(sub, sizeof sub, "%s/uk", dir);
	CU_ASSERT_EQUAL_FATAL(mkdir(sub, 0700), 0);
	snprintf(file, sizeof file, "%s/drugs.csv", sub);
	FILE *f = fopen(file, "w");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	fputs("dmd_code,generic_name,strength,form,unit,price,names\n"
	      "999900991000001100,testamab,100 mg,vial,mg,1.00,\n"
	      "999900981000001102,venofer,100 mg,vial,mg,2.00,\n", f);
	fclose(f);
	struct dc_rules R;
	CU_ASSERT_EQUAL_FATAL(dc_rules_load(&R, dc_test_rules_dir(), dir, NULL), 0);
	const char *drug[] = { "drug,,  TESTAMAB ,,100,mg,10 mg/mL,,IV,,L forearm,,10:00,10:30,,,",
			       "drug,,Venofer,,100,mg,20 mg/mL,,IV,,L forearm,,10:00,10:30,,," };
	const char *want[] = { "999900991000001100", "36049811000001107" };
	for (int i = 0; i < 2; i++) {
		struct run t;
		struct encp e = { 0 };
		start(&t);
		row(&t.csv, &e, drug[i]);
		code_with(&t, &R);
		CU_ASSERT_EQUAL(t.enc.hold, DC_HOLD_NONE);
		CU_ASSERT_EQUAL(t.c.nlines, 2);
		if (t.c.nlines == 2)
			CU_ASSERT_STRING_EQUAL(t.c.lines[1].code, want[i]);
		finish(&t);
	}
	dc_rules_release(&R);
	unlink(file);
	rmdir(sub);
	rmdir(dir);
}

/* Several problems: every reason is kept, the category is the first in the
 * order preauth, sole_procedure, drug_coding, provider, invalid_field,
 * documentation. */
static void test_hold_order(void)
{
	struct run t;
	struct encp e = { .auth = "", .reg = "123", .consent = "" };
	start(&t);
	row(&t.csv, &e, "procedure,9999,,,,,,,,,,,,,,,");
	row(&t.csv, &e, "drug,,unobtainium,,5,mg,1 mg/mL,,IV,,L forearm,,09:00,09:30,,,");
	code(&t);
	CU_ASSERT_EQUAL(t.enc.hold, DC_HOLD_PREAUTH);
	const char *r = t.enc.hold_reason;
	const char *p1 = strstr(r, "UK-PREAUTH"), *p2 = strstr(r, "unobtainium"),
		   *p3 = strstr(r, "rendering_provider_id '123'"), *p4 = strstr(r, "code '9999'"),
		   *p5 = strstr(r, "consent is not recorded");
	CU_ASSERT(p1 && p2 && p3 && p4 && p5);
	CU_ASSERT(p1 < p2 && p2 < p3 && p3 < p4 && p4 < p5);
	finish(&t);

	/* without the authorisation and drug problems, provider comes first */
	struct encp e2 = { .reg = "123", .consent = "" };
	start(&t);
	row(&t.csv, &e2, "procedure,9999,,,,,,,,,,,,,,,");
	code(&t);
	CU_ASSERT_EQUAL(t.enc.hold, DC_HOLD_PROVIDER);
	finish(&t);
}

/*
 * A thousand line items: the invoice total is the exact sum of the rounded
 * line amounts, and the amounts printed in uk-line-items.csv add up to it.
 * 0.31 has no exact binary form, so a float sum of a thousand of them drifts;
 * 5 mL x 0.0030 = 0.015 rounds half up to 0.02 on every line, so per-line
 * rounding makes 20.00, not 15.00.
 */
static void test_thousand_lines(void)
{
	struct run t;
	struct encp e = { 0 };
	start(&t);
	char item[200];
	for (int i = 0; i < 500; i++) {
		snprintf(item, sizeof item, "drug,,ferric carboxymaltose,,1,mg,50 mg/mL,,IV,,"
			 "L forearm,,%02d:%02d,%02d:%02d,,,", 8 + i / 60, i % 60, 8 + i / 60, i % 60);
		row(&t.csv, &e, item);
		snprintf(item, sizeof item, "drug,,saline,,5,mL,0.9%%,,IV,,L forearm,,%02d:%02d,"
			 "%02d:%02d,,,", 8 + i / 60, i % 60, 8 + i / 60, i % 60);
		row(&t.csv, &e, item);
	}
	code(&t);
	CU_ASSERT_EQUAL_FATAL(t.enc.hold, DC_HOLD_NONE);
	CU_ASSERT_EQUAL_FATAL(t.c.nlines, 1001);
	/* 120.00 + 500 x 0.31 + 500 x 0.02 */
	CU_ASSERT_EQUAL(t.c.charge, 12000 + 500 * 31 + 500 * 2);
	CU_ASSERT_STRING_EQUAL(money(t.c.charge), "285.00");
	int64_t sum = 0;
	for (size_t i = 0; i < t.c.nlines; i++)
		sum += t.c.lines[i].charge;
	CU_ASSERT_EQUAL(sum, t.c.charge);

	/* the amount column of the CSV, parsed back exactly */
	struct dc_buf b;
	dc_buf_init(&b);
	dc_uk_items_format(&b, &t.enc, &t.c, rules());
	int64_t csv_sum = 0;
	size_t rows = 0;
	for (char *p = b.p; *p;) {
		char *nl = strchr(p, '\n');
		CU_ASSERT_PTR_NOT_NULL_FATAL(nl);
		*nl = '\0';
		/* amount is the next-to-last field: rule has no comma */
		char *last = strrchr(p, ',');
		*last = '\0';
		char *amt = strrchr(p, ',') + 1;
		int64_t cents;
		CU_ASSERT_EQUAL(dc_money_parse(amt, &cents), 0);
		csv_sum += cents;
		rows++;
		p = nl + 1;
	}
	CU_ASSERT_EQUAL(rows, 1001);
	CU_ASSERT_EQUAL(csv_sum, t.c.charge);
	dc_buf_release(&b);
	finish(&t);
}

int register_uk_coder_tests(void)
{
	CU_pSuite s = CU_add_suite("uk_coder", NULL, NULL);
	if (!s)
		return -1;
	DC_ADD_TEST(s, test_money_helpers);
	DC_ADD_TEST(s, test_u1_sole_x3590);
	DC_ADD_TEST(s, test_one_x3590_per_session);
	DC_ADD_TEST(s, test_u2_preauth);
	DC_ADD_TEST(s, test_u3_concurrent);
	DC_ADD_TEST(s, test_u4_documentation);
	DC_ADD_TEST(s, test_docs_every_element);
	DC_ADD_TEST(s, test_diagnosis);
	DC_ADD_TEST(s, test_sole_procedure_hold);
	DC_ADD_TEST(s, test_drug_coding);
	DC_ADD_TEST(s, test_fluid_names);
	DC_ADD_TEST(s, test_provider);
	DC_ADD_TEST(s, test_procedure_form);
	DC_ADD_TEST(s, test_consultation);
	DC_ADD_TEST(s, test_bundled_drugs);
	DC_ADD_TEST(s, test_segments);
	DC_ADD_TEST(s, test_units_and_names);
	DC_ADD_TEST(s, test_generic_names);
	DC_ADD_TEST(s, test_hold_order);
	DC_ADD_TEST(s, test_thousand_lines);
	return 0;
}
