/*
 * The HL7 v2.xml reader: mapping of every segment of input-hl7-xml.md (both
 * component forms, sub-components, group wrappers), not-administered
 * counting, timestamps, message boundaries, damage, limits and entity
 * refusal. Documents are read at every chunk size from 1 to their length.
 */
#include "tests/unit/unit.h"
#include "engine/dc_status.h"
#include "parsers/dc_reader.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

/* Until parsers/dc_reader.h declares it. */
struct dc_reader *dc_xml_reader_new(struct dc_input *in, struct dc_diag_sink *ds,
				    struct dc_reject_sink rejects);

struct got {
	int rc;                     /* last next() status */
	int nenc;
	unsigned long rows, rejected_rows, not_administered;
	int nrej;
	unsigned long rej_line[8];
	char rej_error[8][640];
	char rej_raw[8][1100];
	int ndiag;
	char diag[512];
	unsigned long diag_line;
	char text[16384];           /* every encounter, dumped */
};

static void on_reject(void *ctx, const char *source, unsigned long line, const char *error,
		      const char *raw, size_t rawlen)
{
	struct got *g = ctx;
	(void)source;
	if (g->nrej < 8) {
		g->rej_line[g->nrej] = line;
		snprintf(g->rej_error[g->nrej], sizeof g->rej_error[0], "%s", error);
		snprintf(g->rej_raw[g->nrej], sizeof g->rej_raw[0], "%.*s", (int)rawlen, raw);
	}
	g->nrej++;
}

static void on_diag(void *ctx, const struct dc_diag *d)
{
	struct got *g = ctx;
	g->ndiag++;
	g->diag_line = d->line;
	snprintf(g->diag, sizeof g->diag, "%s", d->msg);
}

static void add(struct got *g, const char *fmt, const char *a, const char *b)
{
	size_t n = strlen(g->text);
	snprintf(g->text + n, sizeof g->text - n, fmt, a, b);
}

/* Non-empty fields of |e| and its items, one per line. */
static void dump(struct got *g, const struct dc_encounter *e)
{
	char num[64];
	snprintf(num, sizeof num, "%lu-%lu", e->first_line, e->last_line);
	add(g, "[%s lines %s]\n", e->f[DC_E_ENCOUNTER_ID], num);
	for (int k = 1; k < DC_E_COUNT; k++)
		if (*e->f[k])
			add(g, "%s=%s\n", dc_column_names[k], e->f[k]);
	for (size_t i = 0; i < e->nitems; i++) {
		const struct dc_item *it = &e->items[i];
		snprintf(num, sizeof num, "%lu", it->line);
		add(g, "item line %s%s\n", num, "");
		for (int k = 0; k < DC_I_COUNT; k++)
			if (*it->f[k])
				add(g, " %s=%s\n", dc_column_names[DC_E_COUNT + k], it->f[k]);
		/* held.csv: canonical columns, encounter values then the item's */
		CU_ASSERT_EQUAL(it->nraw, DC_COL_COUNT);
		for (int k = 0; k < DC_E_COUNT && it->nraw == DC_COL_COUNT; k++)
			CU_ASSERT_STRING_EQUAL(it->raw[k], e->f[k]);
		for (int k = 0; k < DC_I_COUNT && it->nraw == DC_COL_COUNT; k++)
			CU_ASSERT_STRING_EQUAL(it->raw[DC_E_COUNT + k], it->f[k]);
	}
}

static void read_all(const void *src, size_t len, size_t chunk, struct got *g)
{
	struct dc_input in;
	struct dc_arena a;
	struct dc_encounter enc;
	struct dc_diag_sink ds = { on_diag, g, 0, 0 };
	struct dc_reject_sink rs = { on_reject, g };
	memset(g, 0, sizeof *g);
	dc_input_open_mem(&in, "t.xml", src, len, chunk, &ds);
	dc_arena_init(&a, 0);
	struct dc_reader *r = dc_xml_reader_new(&in, &ds, rs);
	CU_ASSERT_PTR_NOT_NULL_FATAL(r);
	CU_ASSERT_STRING_EQUAL(r->ops->name, "hl7xml");
	while ((g->rc = r->ops->next(r, &enc, &a)) == 1) {
		g->nenc++;
		dump(g, &enc);
		dc_arena_reset(&a);
	}
	/* after the end, next() keeps saying so */
	CU_ASSERT_EQUAL(r->ops->next(r, &enc, &a), g->rc);
	g->rows = r->rows;
	g->rejected_rows = r->rejected_rows;
	g->not_administered = r->not_administered;
	r->ops->free(r);
	dc_arena_release(&a);
	dc_input_close(&in);
}

/* Reads |src| whole, then at every chunk size: same encounters, rejects and status. */
static void read_every_chunk(const char *src, struct got *g)
{
	size_t len = strlen(src);
	read_all(src, len, 0, g);
	struct got *c = malloc(sizeof *c);
	for (size_t chunk = 1; chunk <= len; chunk++) {
		read_all(src, len, chunk, c);
		int same = c->rc == g->rc && c->nrej == g->nrej && c->rows == g->rows &&
			   !strcmp(c->text, g->text) &&
			   (g->nrej == 0 || (c->rej_line[0] == g->rej_line[0] &&
					     !strcmp(c->rej_error[0], g->rej_error[0])));
		CU_ASSERT(same);
		if (!same) {
			fprintf(stderr, "\nchunk %zu differs:\n%s\n---\n%s\n", chunk, g->text, c->text);
			break;
		}
	}
	free(c);
}

/* ---- mapping: v2.5.1 component form ---------------------------------------- */

static const char full[] =
	"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	"<BATCH xmlns=\"urn:hl7-org:v2xml\">\n"
	"<BHS><BHS.1>|</BHS.1><BHS.10><PID.3>not a message</PID.3></BHS.10></BHS>\n"
	"<DFT_P03>\n"                                                           /* line 4 */
	"<MSH><MSH.9><MSG.1>DFT</MSG.1></MSH.9><MSH.10>CTL1</MSH.10></MSH>\n"
	"<PID><PID.3><CX.1></CX.1></PID.3><PID.3><CX.1> P77 </CX.1></PID.3>"
	"<PID.5><XPN.1><FN.1>DOE</FN.1></XPN.1><XPN.2>JANE</XPN.2></PID.5>"
	"<PID.7><TS.1>19610409</TS.1></PID.7><PID.8>F</PID.8>"
	"<PID.11><XAD.1><SAD.1>1 MAIN ST</SAD.1><SAD.2>ignored</SAD.2></XAD.1>"
	"<XAD.3>SPRINGFIELD</XAD.3><XAD.4>IL</XAD.4><XAD.5>62701</XAD.5></PID.11></PID>\n"
	"<PV1><PV1.7><XCN.1>1234567893</XCN.1><XCN.2><FN.1>SMITH</FN.1></XCN.2>"
	"<XCN.3>ANNA</XCN.3></PV1.7><PV1.19><CX.1>E1001</CX.1></PV1.19>"
	"<PV1.44><TS.1>202603020830</TS.1></PV1.44></PV1>\n"
	"<DG1><DG1.1>1</DG1.1><DG1.3><CE.1>Z51.11</CE.1></DG1.3><DG1.15>2</DG1.15></DG1>\n"
	"<DG1><DG1.1>2</DG1.1><DG1.3><CE.1>K50.90</CE.1></DG1.3><DG1.15>1</DG1.15></DG1>\n"
	"<DG1><DG1.1>3</DG1.1><DG1.3><CE.1>E86.0</CE.1></DG1.3><DG1.15>0</DG1.15></DG1>\n" /* line 10 */
	"<DG1><DG1.1>4</DG1.1><DG1.3><CE.1>R11.2</CE.1></DG1.3></DG1>"
	"<DFT_P03.INSURANCE><IN1><IN1.1>2</IN1.1><IN1.3><CX.1>SECONDARY</CX.1></IN1.3></IN1>\n"
	"<IN3><IN3.2><CX.1>AUTH-OF-SECONDARY</CX.1></IN3.2></IN3></DFT_P03.INSURANCE>\n"
	"<DFT_P03.INSURANCE><IN1><IN1.1>1</IN1.1><IN1.3><CX.1>MCR-IL</CX.1></IN1.3>"
	"<IN1.4><XON.1>Medicare IL</XON.1></IN1.4><IN1.8>G-1</IN1.8>"
	"<IN1.16><XPN.1><FN.1>DOE</FN.1></XPN.1><XPN.2>JOHN</XPN.2></IN1.16>"
	"<IN1.17><CE.1>SPO</CE.1></IN1.17><IN1.18><TS.1>19600101</TS.1></IN1.18>"
	"<IN1.19><XAD.1><SAD.1>2 SIDE ST</SAD.1></XAD.1><XAD.3>PEORIA</XAD.3><XAD.4>IL</XAD.4>"
	"<XAD.5>61602</XAD.5></IN1.19><IN1.43><CE.1>M</CE.1></IN1.43>"
	"<IN1.49><CX.1>ALT-77</CX.1></IN1.49></IN1>\n"
	"<IN3><IN3.2><CX.1>AUTH-9</CX.1></IN3.2></IN3></DFT_P03.INSURANCE>\n"
	"<ZBL><ZBL.1>US</ZBL.1><ZBL.2>facility</ZBL.2><ZBL.3>22</ZBL.3><ZBL.4>Y</ZBL.4>"
	"<ZBL.5>crohn&apos;s, refractory &amp; &lt;severe&gt;</ZBL.5><ZBL.6>outpatient</ZBL.6></ZBL>\n"
	"<ORDER><ORC><ORC.1>RE</ORC.1></ORC>\n"                                  /* line 16 */
	"<ORDER_DETAIL><RXR><RXR.1><CE.1>PO</CE.1></RXR.1></RXR></ORDER_DETAIL>\n"
	"<ADMINISTRATION>\n"
	"<RXA><RXA.3><TS.1>20260302090000-0500</TS.1></RXA.3><RXA.4><TS.1>202603021110</TS.1></RXA.4>"
	"<RXA.5><CE.1>J1745</CE.1><CE.2>infliximab</CE.2><CE.3>HCPCS</CE.3><CE.4>57894-0030-01</CE.4>"
	"<CE.6>NDC</CE.6></RXA.5><RXA.6>350</RXA.6><RXA.7><CE.1>mg</CE.1></RXA.7>"
	"<RXA.20>CP</RXA.20></RXA>\n"
	"<ZRX><ZRX.1>A1</ZRX.1><ZRX.2>B1</ZRX.2><ZRX.3>250</ZRX.3><ZRX.4>125</ZRX.4><ZRX.5>50</ZRX.5>"
	"<ZRX.6>therapeutic</ZRX.6><ZRX.7>Y</ZRX.7><ZRX.8>none</ZRX.8><ZRX.9>10 mg/mL</ZRX.9></ZRX>\n"
	"<RXA><RXA.3><TS.1>202603020850</TS.1></RXA.3><RXA.5><CE.1>J2405</CE.1><CE.3>HCPCS</CE.3>"
	"</RXA.5><RXA.20>NA</RXA.20></RXA>\n"
	"<ZRX><ZRX.1>NOT-FOR-INFLIXIMAB</ZRX.1></ZRX>\n"
	"<RXA><RXA.3><TS.1>202603020850</TS.1></RXA.3><RXA.4><TS.1>20260302085200</TS.1></RXA.4>"
	"<RXA.5><CE.1>J2405</CE.1><CE.2>ondansetron</CE.2><CE.3>HCPCS</CE.3></RXA.5>"
	"<RXA.6>4</RXA.6><RXA.7><CE.1>mg</CE.1></RXA.7><RXA.20>CP</RXA.20></RXA>\n"
	"<RXR><RXR.1><CE.1>IV</CE.1></RXR.1><RXR.2><CWE.1>L forearm</CWE.1></RXR.2>"
	"<RXR.4><CE.1>IVP</CE.1></RXR.4></RXR>\n"
	"</ADMINISTRATION></ORDER>\n"
	"<FINANCIAL>\n"
	"<PR1><PR1.3><CE.1>96413</CE.1><CE.3>C4</CE.3></PR1.3><PR1.5><TS.1>20260302</TS.1></PR1.5>"
	"<PR1.14>1</PR1.14><PR1.16><CE.1>25</CE.1></PR1.16><PR1.16><CE.1>59</CE.1></PR1.16></PR1>\n"
	"<FT1><FT1.4><DR.1><TS.1>20260302</TS.1></DR.1></FT1.4><FT1.6>CG</FT1.6>"
	"<FT1.7><CE.1>CHG1</CE.1></FT1.7><FT1.10>1</FT1.10><FT1.25><CE.1>99213</CE.1></FT1.25>"
	"<FT1.26><CE.1>25</CE.1></FT1.26></FT1>\n"
	"<ZFT><ZFT.1>Y</ZFT.1></ZFT>\n"
	"<FT1><FT1.6>CG</FT1.6><FT1.7><CE.1>A4221</CE.1></FT1.7><FT1.10>2</FT1.10></FT1>\n"
	"<FT1><FT1.6>CG</FT1.6><FT1.25><CE.1>J1745</CE.1></FT1.25><FT1.10>35</FT1.10></FT1>\n"
	"<FT1><FT1.6>CG</FT1.6><FT1.25><CE.1>J7050</CE.1><CE.2>saline</CE.2></FT1.25>"
	"<FT1.10>2</FT1.10><FT1.29><CE.1>00409-4888-10</CE.1></FT1.29></FT1>\n"
	"<FT1><FT1.6>CD</FT1.6><FT1.25><CE.1>99215</CE.1></FT1.25></FT1>\n"
	"<FT1><FT1.6>CG</FT1.6><FT1.25><CE.1>Z9101</CE.1></FT1.25></FT1>\n"
	"<ZFT><ZFT.2>VISIT</ZFT.2></ZFT>\n"
	"<NTE><NTE.3>unknown segments are ignored</NTE.3></NTE>\n"
	"</FINANCIAL>\n"
	"</DFT_P03>\n"                                                          /* line 38 */
	"<BTS><BTS.1>1</BTS.1></BTS>\n"
	"</BATCH>\n";

static const char full_expected[] =
	"[E1001 lines 4-38]\n"
	"scheme=US\n"
	"billing_party=facility\n"
	"place_of_service=22\n"
	"service_date=2026-03-02\n"
	"patient_id=P77\n"
	"patient_last_name=DOE\n"
	"patient_first_name=JANE\n"
	"patient_dob=1961-04-09\n"
	"patient_sex=F\n"
	"patient_address=1 MAIN ST\n"
	"patient_city=SPRINGFIELD\n"
	"patient_state=IL\n"
	"patient_postcode=62701\n"
	"payer_id=MCR-IL\n"
	"payer_name=Medicare IL\n"
	"member_id=ALT-77\n"
	"subscriber_relationship=01\n"
	"subscriber_last_name=DOE\n"
	"subscriber_first_name=JOHN\n"
	"subscriber_dob=1960-01-01\n"
	"subscriber_sex=M\n"
	"subscriber_address=2 SIDE ST\n"
	"subscriber_city=PEORIA\n"
	"subscriber_state=IL\n"
	"subscriber_postcode=61602\n"
	"group_number=G-1\n"
	"auth_ref=AUTH-9\n"
	"diagnosis_codes=K50.90;Z51.11;E86.0;R11.2\n"
	"rendering_provider_id=1234567893\n"
	"rendering_provider_name=SMITH, ANNA\n"
	"indication=crohn's, refractory & <severe>\n"
	"consent=Y\n"
	"visit_type=outpatient\n"
	"item line 19\n"
	" item_type=drug\n"
	" code=J1745\n"
	" drug_name=infliximab\n"
	" ndc=57894-0030-01\n"
	" dose=350\n"
	" dose_unit=mg\n"
	" concentration=10 mg/mL\n"
	" wasted=50\n"
	" volume_ml=250\n"
	" rate_ml_hr=125\n"
	" route=IV\n"
	" method=push\n"
	" access_site=L forearm\n"
	" admin_id=A1\n"
	" bag_id=B1\n"
	" start_time=2026-03-02T09:00:00-05:00\n"
	" stop_time=2026-03-02T11:10\n"
	" purpose=therapeutic\n"
	" reason=none\n"
	" primary=Y\n"
	"item line 23\n"
	" item_type=drug\n"
	" code=J2405\n"
	" drug_name=ondansetron\n"
	" dose=4\n"
	" dose_unit=mg\n"
	" route=IV\n"
	" method=push\n"
	" access_site=L forearm\n"
	" start_time=2026-03-02T08:50\n"
	" stop_time=2026-03-02T08:52:00\n"
	"item line 27\n"
	" item_type=procedure\n"
	" code=96413\n"
	" modifiers=25;59\n"
	" primary=Y\n"
	"item line 28\n"
	" item_type=visit\n"
	" code=99213\n"
	" modifiers=25\n"
	" separately_identifiable=Y\n"
	" units=1\n"
	"item line 30\n"
	" item_type=supply\n"
	" code=A4221\n"
	" units=2\n"
	"item line 32\n"
	" item_type=drug\n"
	" code=J7050\n"
	" drug_name=saline\n"
	" ndc=00409-4888-10\n"
	" units=2\n"
	"item line 34\n"
	" item_type=visit\n"
	" code=Z9101\n";

static void test_mapping_component_form(void)
{
	struct got g;
	read_every_chunk(full, &g);
	CU_ASSERT_EQUAL(g.rc, 0);
	CU_ASSERT_EQUAL(g.nenc, 1);
	CU_ASSERT_EQUAL(g.nrej, 0);
	CU_ASSERT_STRING_EQUAL(g.text, full_expected);
	if (strcmp(g.text, full_expected))
		fprintf(stderr, "\n%s\n", g.text);
	/* 7 items and the not-administered ondansetron; the FT1 for J1745 is the RXA's */
	CU_ASSERT_EQUAL(g.rows, 8);
	CU_ASSERT_EQUAL(g.not_administered, 1);
	CU_ASSERT_EQUAL(g.rejected_rows, 0);
}

/* ---- mapping: v2.6+ plain form, sub-components, any wrapper ---------------- */

static const char plain[] =
	"<ADT_A01 xmlns=\"urn:hl7-org:v2xml\"><MSH><MSH.10>M-9</MSH.10></MSH>\n"
	"<PATIENT><PID><PID.3><CX.1>P1</CX.1></PID.3><PID.5><XPN.1>ROE</XPN.1><XPN.2>RICHARD</XPN.2>"
	"</PID.5><PID.7>19700102</PID.7><PID.11><XAD.1>9 ELM</XAD.1></PID.11></PID></PATIENT>\n"
	"<IN3><IN3.2><CX.1>PA-1</CX.1></IN3.2></IN3>\n"
	"<IN1><IN1.3><CX.1>bup</CX.1></IN1.3>"
	"<IN1.17>CHD</IN1.17><IN1.36>M-1</IN1.36><IN1.49><CX.1>unused</CX.1></IN1.49></IN1>\n"
	"<A><B><C><RXA><RXA.3>202603051000+0100</RXA.3><RXA.4>2026030510</RXA.4>"
	"<RXA.5><CWE.1>999900011000001108</CWE.1><CWE.2>ferric carboxymaltose</CWE.2>"
	"<CWE.3>DMD</CWE.3></RXA.5><RXA.6>1000</RXA.6><RXA.7><CWE.1>mg</CWE.1></RXA.7>"
	"<RXA.20>PA</RXA.20></RXA>\n"
	"<RXR><RXR.1><CWE.1>IV</CWE.1></RXR.1><RXR.2><CWE.2>R antecubital fossa</CWE.2></RXR.2>"
	"<RXR.4><CWE.1>INF</CWE.1></RXR.4></RXR></C></B></A>\n"
	"<RXA><RXA.3>2026030511</RXA.3><RXA.5><CWE.1>X</CWE.1><CWE.3>RXNORM</CWE.3>"
	"<CWE.4>J0696</CWE.4><CWE.6>HCPCS</CWE.6><CWE.10>36049811000001107</CWE.10>"
	"<CWE.11>iron</CWE.11><CWE.12>SCT</CWE.12></RXA.5><RXA.20>RE</RXA.20></RXA>"
	"<ZRX><ZRX.1>NOT-FOR-THE-FERRIC</ZRX.1></ZRX>\n"
	"<RXA><RXA.3>20260305</RXA.3><RXA.4>2026-03-05</RXA.4><RXA.5><CWE.1>J0696</CWE.1>"
	"<CWE.3>HCPCS-II</CWE.3></RXA.5><RXA.21>A</RXA.21></RXA>\n"
	"<RXA><RXA.5><CWE.1>X9999</CWE.1><CWE.3>HPC</CWE.3></RXA.5><RXA.21>D</RXA.21></RXA>\n"
	"<FT1><FT1.6>CG</FT1.6><FT1.25>X9999</FT1.25></FT1><ZFT><ZFT.2>drug</ZFT.2></ZFT>\n"
	"</ADT_A01>\n";

static const char plain_expected[] =
	"[M-9 lines 1-11]\n"
	"service_date=2026-03-05\n"
	"patient_id=P1\n"
	"patient_last_name=ROE\n"
	"patient_first_name=RICHARD\n"
	"patient_dob=1970-01-02\n"
	"patient_address=9 ELM\n"
	"payer_id=bup\n"
	"member_id=M-1\n"
	"subscriber_relationship=19\n"
	"auth_ref=PA-1\n"
	"item line 5\n"
	" item_type=drug\n"
	" drug_name=ferric carboxymaltose\n"
	" dmd_code=999900011000001108\n"
	" dose=1000\n"
	" dose_unit=mg\n"
	" route=IV\n"
	" method=infusion\n"
	" access_site=R antecubital fossa\n"
	" start_time=2026-03-05T10:00+01:00\n"
	" stop_time=2026-03-05T10:00\n"
	"item line 8\n"
	" item_type=drug\n"
	" code=J0696\n"
	" start_time=20260305\n"
	" stop_time=2026-03-05\n";

static void test_mapping_plain_form(void)
{
	struct got g;
	read_every_chunk(plain, &g);
	CU_ASSERT_EQUAL(g.rc, 0);
	CU_ASSERT_EQUAL(g.nrej, 0);
	CU_ASSERT_STRING_EQUAL(g.text, plain_expected);
	if (strcmp(g.text, plain_expected))
		fprintf(stderr, "\n%s\n", g.text);
	/* RE (refused) and RXA.21 = D (deleted) are not administered */
	CU_ASSERT_EQUAL(g.rows, 4);
	CU_ASSERT_EQUAL(g.not_administered, 2);
}

/* ---- timestamps ------------------------------------------------------------ */

static void test_timestamps(void)
{
	static const struct { const char *in, *out; } t[] = {
		{ "202603020900", "2026-03-02T09:00" },
		{ "20260302090005", "2026-03-02T09:00:05" },
		{ "20260302090005.1234", "2026-03-02T09:00:05" },
		{ "202603020900-0500", "2026-03-02T09:00-05:00" },
		{ "20260302090005+0530", "2026-03-02T09:00:05+05:30" },
		{ "2026030209", "2026-03-02T09:00" },
		{ "20260302", "20260302" },                 /* a date is not a time: kept */
		{ "202603020900+05", "202603020900+05" },   /* malformed offset: kept */
		{ "09:00", "09:00" },                       /* already canonical: kept */
		{ "2026-03-02T09:00", "2026-03-02T09:00" },
	};
	for (size_t i = 0; i < sizeof t / sizeof *t; i++) {
		char doc[512], want[128];
		snprintf(doc, sizeof doc,
			 "<M><PV1><PV1.19>E</PV1.19><PV1.44><TS.1>%s</TS.1></PV1.44></PV1>"
			 "<RXA><RXA.3><TS.1>%s</TS.1></RXA.3><RXA.5>J1</RXA.5></RXA></M>", t[i].in, t[i].in);
		struct got g;
		read_all(doc, strlen(doc), 0, &g);
		snprintf(want, sizeof want, " start_time=%s\n", t[i].out);
		CU_ASSERT_PTR_NOT_NULL(strstr(g.text, want));
		/* a code without a coding system is taken as the HCPCS code */
		CU_ASSERT_PTR_NOT_NULL(strstr(g.text, " code=J1\n"));
		if (!strstr(g.text, want))
			fprintf(stderr, "\n%s -> %s", t[i].in, g.text);
	}
	/* dates: the day of any timestamp form */
	const char *doc = "<M><PV1><PV1.19>E</PV1.19><PV1.44>202603021130-0500</PV1.44></PV1>"
			  "<PID><PID.7><TS.1>1961040912</TS.1></PID.7></PID><PR1><PR1.3>1</PR1.3></PR1></M>";
	struct got g;
	read_all(doc, strlen(doc), 0, &g);
	CU_ASSERT_PTR_NOT_NULL(strstr(g.text, "service_date=2026-03-02\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(g.text, "patient_dob=1961-04-09\n"));
}

/* ---- message boundaries ---------------------------------------------------- */

static void test_messages_per_file(void)
{
	/* wrappers of any name, nested batches, a message without a known name,
	 * MSH.10 as the id when PV1.19 is empty, whitespace and comments */
	const char *doc =
		"<!-- batch -->\n<FILE><FHS/><BATCH><BHS/>\n"
		"<RAS_O17><MSH><MSH.10>C1</MSH.10></MSH><PV1><PV1.19><CX.1>E1</CX.1></PV1.19></PV1>"
		"<RXA><RXA.5>J1745</RXA.5></RXA></RAS_O17>\n"
		"<Message><MSH><MSH.10>C2</MSH.10></MSH><RXA><RXA.5>J2405</RXA.5></RXA></Message>\n"
		"<RAS_O17><MSH><MSH.10>C3</MSH.10></MSH><PV1><PV1.19><CX.1></CX.1></PV1.19></PV1>"
		"<FT1><FT1.6>CG</FT1.6><FT1.7>99213</FT1.7></FT1></RAS_O17>\n"
		"<BTS/></BATCH><FTS/></FILE>\n";
	struct got g;
	read_every_chunk(doc, &g);
	CU_ASSERT_EQUAL(g.rc, 0);
	CU_ASSERT_EQUAL(g.nenc, 3);
	CU_ASSERT_PTR_NOT_NULL(strstr(g.text, "[E1 lines 3-3]\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(g.text, "[C2 lines 4-4]\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(g.text, "[C3 lines 5-5]\n"));
	CU_ASSERT_EQUAL(g.rows, 3);

	/* segments directly under the root: one message per MSH */
	const char *flat =
		"<HL7>\n<MSH><MSH.10>F1</MSH.10></MSH>\n<RXA><RXA.5>J1745</RXA.5></RXA>\n"
		"<MSH><MSH.10>F2</MSH.10></MSH>\n<PR1><PR1.3>96365</PR1.3></PR1>\n</HL7>\n";
	read_every_chunk(flat, &g);
	CU_ASSERT_EQUAL(g.rc, 0);
	CU_ASSERT_EQUAL(g.nenc, 2);
	CU_ASSERT_PTR_NOT_NULL(strstr(g.text, "[F1 lines 1-4]\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(g.text, "[F2 lines 4-6]\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(g.text, "item line 5\n item_type=procedure\n code=96365\n"));

	/* a message per file: the root is the message */
	const char *one = "<DFT_P03><MSH><MSH.10>O1</MSH.10></MSH><PR1><PR1.3>96365</PR1.3></PR1>"
			  "</DFT_P03>";
	read_every_chunk(one, &g);
	CU_ASSERT_EQUAL(g.rc, 0);
	CU_ASSERT_STRING_EQUAL(g.text, "[O1 lines 1-1]\nitem line 1\n item_type=procedure\n code=96365\n");
	CU_ASSERT_EQUAL(g.rows, 1);

	/* an empty batch */
	read_every_chunk("<BATCH/>", &g);
	CU_ASSERT_EQUAL(g.rc, 0);
	CU_ASSERT_EQUAL(g.nenc, 0);
}

static void test_line_numbers_past_65535(void)
{
	/* libxml2 keeps tree line numbers in 16 bits; the push parser's are exact */
	size_t pad = 70000;
	const char *head = "<BATCH>", *msg =
		"<M><PV1><PV1.19>E</PV1.19></PV1>\n<RXA><RXA.5>J1</RXA.5></RXA></M></BATCH>\n";
	size_t size = strlen(head) + pad + strlen(msg) + 1;
	char *doc = malloc(size);
	memcpy(doc, head, strlen(head));
	memset(doc + strlen(head), '\n', pad);
	snprintf(doc + strlen(head) + pad, size - strlen(head) - pad, "%s", msg);
	struct got g;
	read_all(doc, strlen(doc), 4096, &g);
	CU_ASSERT_PTR_NOT_NULL(strstr(g.text, "[E lines 70001-70002]\nitem line 70002\n"));
	free(doc);
}

/* ---- rejects and damage ---------------------------------------------------- */

static const char damaged[] =
	"<BATCH>\n"
	"<RAS_O17><PV1><PV1.19>E1</PV1.19></PV1><RXA><RXA.5>J1745</RXA.5></RXA></RAS_O17>\n"
	"<RAS_O17><PV1><PV1.19>E2</PV1.19></PV1><RXA><RXA.5>J1745</RXA.5></RXA></RAS_O17>\n"
	"<RAS_O17><PV1><PV1.19>E3</PV1.19></PV1>\n"
	"<RXA><RXA.5>J1745</RXA.5></RXB></RAS_O17>\n"
	"<RAS_O17><PV1><PV1.19>E4</PV1.19></PV1></RAS_O17>\n"
	"</BATCH>\n";

static void test_damage_after_two(void)
{
	struct got g;
	read_every_chunk(damaged, &g);
	CU_ASSERT_EQUAL(g.rc, DC_ERR_PARSE);
	CU_ASSERT_EQUAL(g.nenc, 2);
	CU_ASSERT_PTR_NOT_NULL(strstr(g.text, "[E1 lines 2-2]"));
	CU_ASSERT_PTR_NOT_NULL(strstr(g.text, "[E2 lines 3-3]"));
	/* one reject from the damaged message's line; the error names line and column */
	CU_ASSERT_EQUAL(g.nrej, 1);
	CU_ASSERT_EQUAL(g.rej_line[0], 4);
	CU_ASSERT_PTR_NOT_NULL(strstr(g.rej_error[0], "XML not well formed at line 5, column "));
	CU_ASSERT_PTR_NOT_NULL(strstr(g.rej_error[0], "this message and the rest of the input"));
	CU_ASSERT_EQUAL(strncmp(g.rej_raw[0], "<RAS_O17><PV1><PV1.19>E3</PV1.19></PV1>", 39), 0);
	CU_ASSERT_EQUAL(g.rows, 3);
	CU_ASSERT_EQUAL(g.rejected_rows, 1);
	CU_ASSERT_EQUAL(g.ndiag, 1);
	CU_ASSERT_EQUAL(g.diag_line, 5);
	CU_ASSERT_PTR_NOT_NULL(strstr(g.diag, "XML not well formed: "));

	/* damage between messages: the reject is at the error, raw is the error */
	const char *between = "<B><M><MSH><MSH.10>X</MSH.10></MSH><PR1/><FT1><FT1.6>CG</FT1.6></FT1>"
			      "</M>\n<<M/></B>";
	read_every_chunk(between, &g);
	CU_ASSERT_EQUAL(g.rc, DC_ERR_PARSE);
	CU_ASSERT_EQUAL(g.nenc, 1);
	CU_ASSERT_EQUAL(g.nrej, 1);
	CU_ASSERT_EQUAL(g.rej_line[0], 2);
	CU_ASSERT_PTR_NOT_NULL(strstr(g.rej_error[0], "the rest of the input is not read"));
	CU_ASSERT_STRING_EQUAL(g.rej_raw[0], g.rej_error[0]);

	/* cut off in the middle of a message */
	read_every_chunk("<B><M><MSH><MSH.10>X</MSH.10></MSH><PR1/></M>\n<M><PV1>", &g);
	CU_ASSERT_EQUAL(g.rc, DC_ERR_PARSE);
	CU_ASSERT_EQUAL(g.nenc, 1);
	CU_ASSERT_EQUAL(g.nrej, 1);
	CU_ASSERT_EQUAL(g.rej_line[0], 2);

	/* not XML at all */
	read_every_chunk("encounter_id,service_date\n", &g);
	CU_ASSERT_EQUAL(g.rc, DC_ERR_PARSE);
	CU_ASSERT_EQUAL(g.nrej, 1);
	CU_ASSERT_EQUAL(g.rows, 1);
}

static unsigned char *gzip_mem(const char *src, size_t n, size_t *outlen)
{
	z_stream z;
	memset(&z, 0, sizeof z);
	deflateInit2(&z, 6, Z_DEFLATED, 16 + 15, 8, Z_DEFAULT_STRATEGY);
	size_t cap = deflateBound(&z, n) + 64;
	unsigned char *out = malloc(cap);
	z.next_in = (unsigned char *)src;
	z.avail_in = (unsigned)n;
	z.next_out = out;
	z.avail_out = (unsigned)cap;
	deflate(&z, Z_FINISH);
	*outlen = cap - z.avail_out;
	deflateEnd(&z);
	return out;
}

static void test_gzip_and_truncated_gzip(void)
{
	/* a large enough document that the cut falls after two messages */
	char *doc = malloc(200000);
	snprintf(doc, 200000, "<BATCH>\n");
	for (int i = 0; i < 400; i++) {
		size_t n = strlen(doc);
		snprintf(doc + n, 200000 - n,
			 "<RAS_O17><PV1><PV1.19>E%d</PV1.19></PV1><RXA><RXA.5>J1745</RXA.5>"
			 "<RXA.6>%d</RXA.6></RXA></RAS_O17>\n", i, i * 7919 % 1000);
	}
	size_t end = strlen(doc);
	snprintf(doc + end, 200000 - end, "</BATCH>\n");
	size_t glen;
	unsigned char *gz = gzip_mem(doc, strlen(doc), &glen);
	struct got g;
	read_all(gz, glen, 0, &g);
	CU_ASSERT_EQUAL(g.rc, 0);
	CU_ASSERT_EQUAL(g.nenc, 400);
	for (size_t chunk = 1; chunk < 64; chunk += 9) {
		read_all(gz, glen / 2, chunk, &g);
		CU_ASSERT_EQUAL(g.rc, DC_ERR_PARSE);
		CU_ASSERT(g.nenc >= 2 && g.nenc < 400);
		CU_ASSERT_EQUAL(g.nrej, 1);
		CU_ASSERT_PTR_NOT_NULL(strstr(g.rej_error[0], "input cut off or unreadable"));
		CU_ASSERT_EQUAL(g.rows, (unsigned long)g.nenc + 1);
		/* the input layer reports the gzip error, the reader adds nothing */
		CU_ASSERT_EQUAL(g.ndiag, 1);
	}
	free(gz);
	free(doc);
}

static void test_no_encounter_id(void)
{
	const char *doc =
		"<B>\n<M><PV1><PV1.2>O</PV1.2></PV1><RXA><RXA.5>J1</RXA.5></RXA><RXA><RXA.5>J2</RXA.5>"
		"</RXA></M>\n<M><MSH><MSH.10>  </MSH.10></MSH></M>\n"
		"<M><PV1><PV1.19>E&#10;X</PV1.19></PV1></M>\n"
		"<M><MSH><MSH.10>OK</MSH.10></MSH><RXA/></M>\n</B>";
	struct got g;
	read_every_chunk(doc, &g);
	CU_ASSERT_EQUAL(g.rc, 0);
	CU_ASSERT_EQUAL(g.nenc, 1);
	CU_ASSERT_EQUAL(g.nrej, 3);
	CU_ASSERT_EQUAL(g.rej_line[0], 2);
	CU_ASSERT_EQUAL(g.rej_line[1], 3);
	CU_ASSERT_EQUAL(g.rej_line[2], 4);
	CU_ASSERT_PTR_NOT_NULL(strstr(g.rej_error[0], "no encounter_id"));
	CU_ASSERT_PTR_NOT_NULL(strstr(g.rej_error[2], "control characters"));
	CU_ASSERT_STRING_EQUAL(g.rej_raw[0], "<M><PV1><PV1.2>O</PV1.2></PV1><RXA><RXA.5>J1</RXA.5>"
					     "</RXA><RXA><RXA.5>J2</RXA.5></RXA></M>");
	/* a rejected message is one rejected row, whatever it held */
	CU_ASSERT_EQUAL(g.rows, 4);
	CU_ASSERT_EQUAL(g.rejected_rows, 3);
}

static void test_nothing_to_bill(void)
{
	/* only administrations that did not happen: no encounter, rows counted as such;
	 * nothing at all to bill: rejected (a held encounter would have no row to show) */
	const char *doc =
		"<B>\n<M><PV1><PV1.19>NA-ONLY</PV1.19></PV1><RXA><RXA.20>NA</RXA.20></RXA>"
		"<RXA><RXA.20>RE</RXA.20></RXA></M>\n"
		"<M><PV1><PV1.19>EMPTY</PV1.19></PV1><FT1><FT1.6>CD</FT1.6></FT1></M>\n"
		"<M><PV1><PV1.19>FT1-OF-NA</PV1.19></PV1><RXA><RXA.5>J1745</RXA.5><RXA.20>NA</RXA.20>"
		"</RXA><FT1><FT1.6>CG</FT1.6><FT1.25>J1745</FT1.25></FT1></M>\n"
		"<M><PV1><PV1.19>OK</PV1.19></PV1><RXA/></M>\n</B>";
	struct got g;
	read_every_chunk(doc, &g);
	CU_ASSERT_EQUAL(g.rc, 0);
	CU_ASSERT_STRING_EQUAL(g.text, "[OK lines 5-5]\nitem line 5\n item_type=drug\n");
	CU_ASSERT_EQUAL(g.nrej, 1);
	CU_ASSERT_EQUAL(g.rej_line[0], 3);
	CU_ASSERT_STRING_EQUAL(g.rej_error[0], "message has nothing to bill: no RXA, PR1 or FT1 charge");
	/* 2 + 1 not administered (the FT1 of a drug not given is not billed), 1 rejected, 1 item */
	CU_ASSERT_EQUAL(g.not_administered, 3);
	CU_ASSERT_EQUAL(g.rows, 5);
	CU_ASSERT_EQUAL(g.rejected_rows, 1);
}

static void test_limits(void)
{
	/* nesting deeper than 64: that message is rejected, the next one read */
	char doc[4096] = "<B>\n<M><MSH><MSH.10>D</MSH.10></MSH>";
	size_t len = strlen(doc);
	for (int i = 0; i < 70; i++)
		len += (size_t)snprintf(doc + len, sizeof doc - len, "<G>");
	for (int i = 0; i < 70; i++)
		len += (size_t)snprintf(doc + len, sizeof doc - len, "</G>");
	snprintf(doc + len, sizeof doc - len, "</M>\n<M><MSH><MSH.10>OK</MSH.10></MSH><RXA/></M></B>");
	struct got g;
	size_t n;
	read_every_chunk(doc, &g);
	CU_ASSERT_EQUAL(g.rc, 0);
	CU_ASSERT_STRING_EQUAL(g.text, "[OK lines 3-3]\nitem line 3\n item_type=drug\n");
	CU_ASSERT_EQUAL(g.nrej, 1);
	CU_ASSERT_EQUAL(g.rej_line[0], 2);
	CU_ASSERT_STRING_EQUAL(g.rej_error[0], "element nesting deeper than 64 levels");

	/* more than 50000 distinct element names: refused before libxml2's dictionary slows down */
	size_t cap = 60000 * 12 + 256;
	char *names = malloc(cap);
	n = (size_t)snprintf(names, cap, "<B>");
	for (int i = 0; i < 60000; i++)
		n += (size_t)snprintf(names + n, cap - n, "<E%d/>", i);
	snprintf(names + n, cap - n, "%s", "<M><PV1><PV1.19>LATE</PV1.19></PV1><PR1/></M></B>");
	read_all(names, strlen(names), 0, &g);
	CU_ASSERT_EQUAL(g.rc, DC_ERR_PARSE);
	CU_ASSERT_EQUAL(g.nenc, 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(g.rej_error[0], "more than 50000 distinct element names"));
	free(names);

	/* a message over 16 MiB is rejected, the next one read; memory stays bounded */
	size_t big = 17u * 1024 * 1024;
	char *huge = malloc(big + 256);
	n = (size_t)snprintf(huge, big + 256, "<B><M><PV1><PV1.19>BIG</PV1.19></PV1><NTE><NTE.3>");
	for (size_t i = 0; i < big; i += 8) {
		/* many short text nodes: libxml2's own 10 MB text limit is not what trips */
		memcpy(huge + n, "x</NTE.3", 8);
		memcpy(huge + n + 8, "><NTE.3>", 8);
		n += 16;
		i += 8;
	}
	snprintf(huge + n, big + 256 - n, "%s", "</NTE.3></NTE></M><M><MSH><MSH.10>AFTER</MSH.10></MSH><PR1/></M></B>");
	read_all(huge, strlen(huge), 0, &g);
	CU_ASSERT_EQUAL(g.rc, 0);
	CU_ASSERT_STRING_EQUAL(g.text, "[AFTER lines 1-1]\nitem line 1\n item_type=procedure\n");
	CU_ASSERT_EQUAL(g.nrej, 1);
	CU_ASSERT_STRING_EQUAL(g.rej_error[0], "message larger than 16 MiB");
	free(huge);
}

static void test_entities_refused(void)
{
	const char *laughs =
		"<?xml version=\"1.0\"?>\n<!DOCTYPE B [\n <!ENTITY lol \"lol\">\n"
		" <!ENTITY lol1 \"&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;\">\n"
		" <!ENTITY lol2 \"&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;\">\n"
		"]>\n<B><M><MSH><MSH.10>&lol2;</MSH.10></MSH></M></B>\n";
	struct got g;
	read_every_chunk(laughs, &g);
	CU_ASSERT_EQUAL(g.rc, DC_ERR_PARSE);
	CU_ASSERT_EQUAL(g.nenc, 0);
	CU_ASSERT_EQUAL(g.nrej, 1);
	CU_ASSERT_EQUAL(g.rej_line[0], 3);
	CU_ASSERT_PTR_NOT_NULL(strstr(g.rej_error[0], "DOCTYPE with entity declarations is not accepted"));
	CU_ASSERT_PTR_NOT_NULL(strstr(g.diag, "DOCTYPE with entity declarations is not accepted"));

	/* an external entity is refused the same way, and nothing is read */
	const char *xxe = "<!DOCTYPE B [<!ENTITY x SYSTEM \"file:///etc/passwd\">]>"
			  "<B><M><MSH><MSH.10>&x;</MSH.10></MSH></M></B>";
	read_every_chunk(xxe, &g);
	CU_ASSERT_EQUAL(g.rc, DC_ERR_PARSE);
	CU_ASSERT_EQUAL(g.nenc, 0);

	/* a DOCTYPE without entities is harmless; an undeclared entity is an error */
	read_every_chunk("<!DOCTYPE B SYSTEM \"hl7.dtd\"><B><M><MSH><MSH.10>A&amp;B</MSH.10>"
			 "</MSH><PR1/></M></B>", &g);
	CU_ASSERT_EQUAL(g.rc, 0);
	CU_ASSERT_STRING_EQUAL(g.text, "[A&B lines 1-1]\nitem line 1\n item_type=procedure\n");
	read_every_chunk("<B><M><MSH><MSH.10>&nope;</MSH.10></MSH></M></B>", &g);
	CU_ASSERT_EQUAL(g.rc, DC_ERR_PARSE);
}

static void test_downcast_and_columns(void)
{
	struct dc_input in;
	dc_input_open_mem(&in, "t.xml", "<B/>", 4, 0, NULL);
	struct dc_reject_sink rs = { NULL, NULL };
	struct dc_reader *r = dc_xml_reader_new(&in, NULL, rs);
	CU_ASSERT_PTR_NOT_NULL_FATAL(r);
	CU_ASSERT_EQUAL(r->ncols, DC_COL_COUNT);
	for (int i = 0; i < DC_COL_COUNT; i++) {
		CU_ASSERT_STRING_EQUAL(r->colnames[i], dc_column_names[i]);
		CU_ASSERT_EQUAL(r->canon[i], i);
	}
	r->ops->free(r);
	dc_input_close(&in);
}

int register_xml_reader_tests(void)
{
	CU_pSuite s = CU_add_suite("xml_reader", NULL, NULL);
	if (!s)
		return -1;
	DC_ADD_TEST(s, test_mapping_component_form);
	DC_ADD_TEST(s, test_mapping_plain_form);
	DC_ADD_TEST(s, test_timestamps);
	DC_ADD_TEST(s, test_messages_per_file);
	DC_ADD_TEST(s, test_line_numbers_past_65535);
	DC_ADD_TEST(s, test_damage_after_two);
	DC_ADD_TEST(s, test_gzip_and_truncated_gzip);
	DC_ADD_TEST(s, test_no_encounter_id);
	DC_ADD_TEST(s, test_nothing_to_bill);
	DC_ADD_TEST(s, test_limits);
	DC_ADD_TEST(s, test_entities_refused);
	DC_ADD_TEST(s, test_downcast_and_columns);
	return 0;
}
