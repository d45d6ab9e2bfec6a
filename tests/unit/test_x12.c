/*
 * The X12 tokenizer, the 835 and 837 readers and the UK remittance reader,
 * each input run at every chunk size from 1 to its length (records cut at
 * every point must read the same).
 */
#include "tests/unit/unit.h"

#include <stdio.h>
#include <string.h>

#include "engine/dc_status.h"
#include "engine/input.h"
#include "parsers/remit_uk.h"
#include "parsers/x12.h"
#include "parsers/x835.h"
#include "parsers/x837_read.h"

int register_x12_tests(void);

/* Reads every segment of |s| at chunk |chunk|: ids joined by ' ' into |ids|. */
static int read_all(const char *s, size_t len, size_t chunk, char *ids, size_t n,
		    unsigned long *warnings, char *probe, size_t pn)
{
	struct dc_diag_sink ds = { NULL, NULL, 0, 0 };
	struct dc_input in;
	struct dc_x12 x;
	struct dc_x12_seg seg;
	int rc;
	dc_input_open_mem(&in, "t.x12", s, len, chunk, &ds);
	dc_x12_init(&x, &in, &ds);
	ids[0] = '\0';
	if (probe)
		probe[0] = '\0';
	while ((rc = dc_x12_next(&x, &seg)) == 1) {
		if (ids[0])
			strncat(ids, " ", n - strlen(ids) - 1);
		strncat(ids, seg.id, n - strlen(ids) - 1);
		/* the first SVC's composite and units: component access */
		if (probe && !probe[0] && dc_x12_is(&seg, "SVC")) {
			char a[16], b[16], c[16];
			snprintf(probe, pn, "%s|%s|%s|%s|%s", dc_x12_comp(&seg, 1, 1, a, sizeof a),
				 dc_x12_comp(&seg, 1, 2, b, sizeof b), dc_x12_comp(&seg, 1, 3, c, sizeof c),
				 dc_x12_el(&seg, 5), dc_x12_el(&seg, 9));
		}
	}
	*warnings = ds.nwarnings;
	dc_x12_release(&x);
	dc_input_close(&in);
	return rc;
}

/*
 * Two interchanges: the first with a BOM, CRLF, indentation, an empty
 * segment and a wrong SE count; the second with other delimiters and a
 * newline as its segment terminator.
 */
static const char tolerant[] =
	"\xEF\xBB\xBF"
	"ISA*00*          *00*          *ZZ*A              *ZZ*B              *260301*0200*^*00501*000000001*0*T*:~\r\n"
	"  GS*HP*A*B*20260301*0200*1*X*005010X221A1~\r\n"
	"    ST*835*0001~~\r\n"
	"    SVC*HC:96365:59*250*200**1~\r\n"
	"    SE*9*0001~\r\n"
	"  GE*1*1~\r\n"
	"IEA*1*000000001~\r\n"
	"ISA|00|          |00|          |ZZ|A              |ZZ|B              |260301|0200|U|00401|000000002|0|T|>\n"
	"GS|HP|A|B|20260301|0200|2|X|004010X091A1\n"
	"ST|835|0002\n"
	"SE|2|0002\n"
	"GE|1|2\n"
	"IEA|1|000000002\n";

static void test_tolerant_every_chunk(void)
{
	size_t len = sizeof tolerant - 1;
	for (size_t chunk = 1; chunk <= len; chunk++) {
		char ids[256], probe[64];
		unsigned long w;
		int rc = read_all(tolerant, len, chunk, ids, sizeof ids, &w, probe, sizeof probe);
		CU_ASSERT_EQUAL_FATAL(rc, 0);
		CU_ASSERT_STRING_EQUAL(ids, "ISA GS ST SVC SE GE IEA ISA GS ST SE GE IEA");
		CU_ASSERT_STRING_EQUAL(probe, "HC|96365|59|1|");
		CU_ASSERT_EQUAL(w, 1);   /* SE01 9 for 3 segments */
	}
}

static void test_not_x12(void)
{
	static const char *const bad[] = {
		"", "   \n", "claim_id,amount\nC1,10\n", "\xEF\xBB", "ISA", "ISA*00*short~",
		"ISAXX*00", "\xEF\xBB\xBFhello"
	};
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		char ids[64];
		unsigned long w;
		for (size_t chunk = 1; chunk <= strlen(bad[i]) + 1; chunk++)
			CU_ASSERT_EQUAL(read_all(bad[i], strlen(bad[i]), chunk, ids, sizeof ids, &w,
						 NULL, 0), DC_ERR_PARSE);
	}
	/* a NUL delimiter (ISA16, element, terminator) is refused, not used */
	static const char isa[] =
		"ISA*00*          *00*          *ZZ*A              *ZZ*B              *260301*0200*^*00501*000000001*0*T*:~"
		"ST*835*1~SVC*HC~";
	static const size_t at[] = { 104, 3, 105 };
	for (size_t i = 0; i < sizeof at / sizeof *at; i++) {
		char nul[sizeof isa], ids[64];
		unsigned long w;
		memcpy(nul, isa, sizeof isa);
		nul[at[i]] = '\0';
		CU_ASSERT_EQUAL(read_all(nul, sizeof isa - 1, 7, ids, sizeof ids, &w, NULL, 0),
				DC_ERR_PARSE);
		CU_ASSERT_STRING_EQUAL(ids, "");
	}
	/* with no component separator, only the first component exists */
	char e0[] = "SVC", e1[] = "HC", out[8] = "x";
	char *el[] = { e0, e1 };
	struct dc_x12_seg seg = { e0, el, 2, 1, 1, '\0', '\0' };
	CU_ASSERT_STRING_EQUAL(dc_x12_comp(&seg, 1, 1, out, sizeof out), "HC");
	CU_ASSERT_STRING_EQUAL(dc_x12_comp(&seg, 1, 2, out, sizeof out), "");
	CU_ASSERT_TRUE(dc_x12_sniff("\xEF\xBB\xBF  ISA*00", 11));
	CU_ASSERT_FALSE(dc_x12_sniff("remittance_ref,insurer_code", 27));
}

/* A terminator that never comes: memory is bounded, the error is clear. */
static void test_segment_limit(void)
{
	static char big[DC_X12_MAX_SEGMENT + 256];
	const char *isa =
		"ISA*00*          *00*          *ZZ*A              *ZZ*B              *260301*0200*^*00501*000000001*0*T*:~";
	size_t n = strlen(isa);
	memcpy(big, isa, n);
	memset(big + n, 'A', sizeof big - n);
	char ids[64];
	unsigned long w;
	CU_ASSERT_EQUAL(read_all(big, sizeof big, 4096, ids, sizeof ids, &w, NULL, 0), DC_ERR_LIMIT);
	CU_ASSERT_STRING_EQUAL(ids, "ISA");
}

/* Malformed segments are skipped with a warning; too many in a row: not X12. */
static void test_bad_segments(void)
{
	char buf[4096];
	int k = snprintf(buf, sizeof buf, "%s",
		"ISA*00*          *00*          *ZZ*A              *ZZ*B              *260301*0200*^*00501*000000001*0*T*:~"
		"GS*HP*A*B*20260301*0200*1*X*005010X221A1~ST*835*0001~PLXX*1~se*3*0001~SE*2*0001~GE*1*1~IEA*1*000000001~");
	char ids[256];
	unsigned long w;
	CU_ASSERT_EQUAL(read_all(buf, (size_t)k, 7, ids, sizeof ids, &w, NULL, 0), 0);
	CU_ASSERT_STRING_EQUAL(ids, "ISA GS ST SE GE IEA");
	CU_ASSERT_EQUAL(w, 2);
	k = snprintf(buf, sizeof buf, "%s",
		"ISA*00*          *00*          *ZZ*A              *ZZ*B              *260301*0200*^*00501*000000001*0*T*:~");
	for (int i = 0; i < DC_X12_MAX_BAD_SEGMENTS + 1; i++)
		k += snprintf(buf + k, sizeof buf - (size_t)k, "??~");
	CU_ASSERT_EQUAL(read_all(buf, (size_t)k, 64, ids, sizeof ids, &w, NULL, 0), DC_ERR_PARSE);
}

static const char era[] =
	"ISA*00*          *00*          *ZZ*87726          *ZZ*B              *260301*0200*^*00501*000000101*0*T*:~\n"
	"GS*HP*87726*B*20260220*0200*101*X*005010X221A1~\n"
	"ST*835*0001~\n"
	"BPR*I*316.25*C*ACH*CCP*01*1*DA*1*1**01*1*DA*1*20260220~\n"
	"TRN*1*EFT-1*1870000001~\n"
	"N1*PR*PAYER~\n"
	"LX*1~\n"
	"CLP*C1*1*400*340**12*PCN1~\n"
	"SVC*HC:96365*250*200**1~\nDTM*472*20260202~\nCAS*CO*45*50~\nREF*6R*C1-1~\n"
	"SVC*HC:J1756*150*140**100~\nCAS*CO*45*10~\nLQ*HE*M119~\nREF*6R*C1-2~\n"
	"CLP*C2*4*50*0**12*PCN2~\nCAS*CO*197*40~\n"
	"CLP*C3*22*-20*-20**12*PCN3~\n"
	"PLB*123*20261231*WO:X1*2.5*L6:X2*-1.25~\n"
	"SE*19*0001~\nGE*1*101~\nIEA*1*000000101~\n";

static void test_835_every_chunk(void)
{
	size_t len = sizeof era - 1;
	for (size_t chunk = 1; chunk <= len; chunk++) {
		struct dc_diag_sink ds = { NULL, NULL, 0, 0 };
		struct dc_input in;
		struct dc_x835 r;
		struct dc_x835_event ev;
		int rc, n[5] = { 0 };
		char got[256] = "";
		dc_input_open_mem(&in, "e.835", era, len, chunk, &ds);
		dc_x835_init(&r, &in, &ds);
		while ((rc = dc_x835_next(&r, &ev)) == 1) {
			n[ev.kind]++;
			char b[512];
			if (ev.kind == DC_X835_CLAIM) {
				const struct dc_remit_claim *c = ev.claim;
				snprintf(b, sizeof b, "%s/%s/%lld/%zu/%zu/%s/%s;", c->clp01, c->status,
					 (long long)c->paid, c->nlines, c->ncas,
					 c->nlines ? c->lines[1].line_control : "",
					 c->nlines ? c->lines[1].remarks : "");
				strncat(got, b, sizeof got - strlen(got) - 1);
			} else if (ev.kind == DC_X835_PLB) {
				snprintf(b, sizeof b, "%s:%lld;", ev.plb->reason, (long long)ev.plb->amount);
				strncat(got, b, sizeof got - strlen(got) - 1);
			} else if (ev.kind == DC_X835_TX_END) {
				CU_ASSERT_EQUAL(ev.tx->bpr02, 31625);
				CU_ASSERT_EQUAL(ev.tx->sum_plb, 125);
				CU_ASSERT_STRING_EQUAL(ev.tx->trn03, "1870000001");
				CU_ASSERT_STRING_EQUAL(ev.tx->pay_date, "2026-02-20");
			}
		}
		CU_ASSERT_EQUAL(rc, 0);
		CU_ASSERT_STRING_EQUAL(got, "C1/1/34000/2/2/C1-2/M119;C2/4/0/0/1//;C3/22/-2000/0/0//;"
					    "WO:250;L6:-125;");
		CU_ASSERT_EQUAL(n[DC_X835_TX_BEGIN], 1);
		CU_ASSERT_EQUAL(n[DC_X835_TX_END], 1);
		/* C2: 50 - 40 != 0; transaction: 340 + 0 - 20 - 1.25 = 318.75 != 316.25 */
		CU_ASSERT_EQUAL(r.balance_errors, 2);
		CU_ASSERT_EQUAL(ds.nwarnings, 2);
		dc_x835_release(&r);
		dc_input_close(&in);
	}
}

static const char claims837[] =
	"ISA*00*          *00*          *ZZ*A              *ZZ*B              *260301*0200*^*00501*000000042*0*T*:~"
	"GS*HC*A*B*20260301*0200*42*X*005010X222A1~ST*837*0001*005010X222A1~"
	"NM1*85*2*CLINIC*****XX*1234567893~HL*2*1*22*0~NM1*IL*1*DOE*J****MI*M1~"
	"NM1*PR*2*PAYER*****PI*87726~CLM*C1*310***11:B:1*Y*A*Y*Y~DTP*472*D8*20260202~"
	"LX*1~SV1*HC:96365:59:XU*250*UN*1***1~REF*6R*C1-1~LX*2~SV1*HC:J1756*60*UN*100***1~"
	"HL*3*1*22*0~NM1*PR*2*OTHER*****PI*60054~CLM*C2*99***11:B:7*Y*A*Y*Y~"
	"LX*1~SV1*HC:96372*80*UN*1***1~DTP*472*D8*20260203~SE*19*0001~GE*1*42~IEA*1*000000042~";

static void test_837_every_chunk(void)
{
	size_t len = sizeof claims837 - 1;
	for (size_t chunk = 1; chunk <= len; chunk++) {
		struct dc_diag_sink ds = { NULL, NULL, 0, 0 };
		struct dc_input in;
		struct dc_x837r r;
		const struct dc_x837_claim *c;
		char got[256] = "";
		int rc;
		dc_input_open_mem(&in, "c.837", claims837, len, chunk, &ds);
		dc_x837r_init(&r, &in, &ds);
		while ((rc = dc_x837r_next(&r, &c)) == 1) {
			char b[512];
			snprintf(b, sizeof b, "%c %s %lld %s %s %s %s %zu %s %s %s %s;", c->kind, c->claim_id,
				 (long long)c->charge, c->frequency, c->payer_id, c->provider,
				 c->service_date, c->nlines, c->lines[0].code, c->lines[0].mods,
				 c->lines[0].line_control, c->lines[c->nlines - 1].units);
			strncat(got, b, sizeof got - strlen(got) - 1);
		}
		CU_ASSERT_EQUAL(rc, 0);
		CU_ASSERT_STRING_EQUAL(got, "P C1 31000 1 87726 1234567893 2026-02-02 2 96365 59;XU C1-1 100;"
					    "P C2 9900 7 60054 1234567893 2026-02-03 1 96372   1;");
		CU_ASSERT_EQUAL(ds.nwarnings, 1);   /* C2: CLM02 99 is not the sum 80 */
		dc_x837r_release(&r);
		dc_input_close(&in);
	}
}

static const char ukcsv[] =
	"\xEF\xBB\xBFremittance_ref,insurer_code,payment_date,invoice_number,line_no,code,billed,paid,status,reason_code,reason_text\r\n"
	"RA1,bup,2026-03-20,INV1,1,X3590,120.00,120.00,paid,,\r\n"
	"RA1,bup,2026-03-20,INV1,2,D1,310,0,rejected,DC02,\"no product, no qty\"\r\n"
	"RA1,bup,2026-03-20,INV2,1,X3590,120.00,100.00,maybe,SF01,\r\n"
	"RA1,bup,2026-03-20,INV2,1,X3590,120.00,100.00,part_paid,SF01,\r\n"
	"RA2,nuh,2026-03-22,INV1,1,T2000,750,0,rejected,PA01,\r\n";

static void test_uk_every_chunk(void)
{
	size_t len = sizeof ukcsv - 1;
	CU_ASSERT_TRUE(dc_uk_remit_sniff(ukcsv, len));
	for (size_t chunk = 1; chunk <= len; chunk++) {
		struct dc_diag_sink ds = { NULL, NULL, 0, 0 };
		struct dc_input in;
		struct dc_uk_remit_reader r;
		const struct dc_uk_remit *v;
		char got[256] = "";
		int rc;
		dc_input_open_mem(&in, "r.csv", ukcsv, len, chunk, &ds);
		dc_uk_remit_init(&r, &in, &ds);
		while ((rc = dc_uk_remit_next(&r, &v)) == 1) {
			char b[512];
			snprintf(b, sizeof b, "%s/%s/%s/%zu/%lld/%d;", v->ref, v->insurer, v->invoice,
				 v->nlines, (long long)v->lines[v->nlines - 1].paid,
				 (int)v->lines[v->nlines - 1].status);
			strncat(got, b, sizeof got - strlen(got) - 1);
		}
		CU_ASSERT_EQUAL(rc, 0);
		CU_ASSERT_STRING_EQUAL(got, "RA1/bup/INV1/2/0/3;RA1/bup/INV2/1/10000/2;RA2/nuh/INV1/1/0/3;");
		CU_ASSERT_EQUAL(r.bad_rows, 1);
		dc_uk_remit_release(&r);
		dc_input_close(&in);
	}
}

static void test_uk_missing_column(void)
{
	static const char s[] = "remittance_ref,insurer_code,invoice_number\nRA1,bup,INV1\n";
	struct dc_diag_sink ds = { NULL, NULL, 0, 0 };
	struct dc_input in;
	struct dc_uk_remit_reader r;
	const struct dc_uk_remit *v;
	dc_input_open_mem(&in, "r.csv", s, sizeof s - 1, 0, &ds);
	dc_uk_remit_init(&r, &in, &ds);
	CU_ASSERT_EQUAL(dc_uk_remit_next(&r, &v), DC_ERR_PARSE);
	CU_ASSERT_EQUAL(ds.nerrors, 1);
	dc_uk_remit_release(&r);
	dc_input_close(&in);
}

static void test_amounts(void)
{
	int64_t c;
	char d[11];
	CU_ASSERT_EQUAL(dc_x12_amount("-1.08", &c), 0);
	CU_ASSERT_EQUAL(c, -108);
	CU_ASSERT_EQUAL(dc_x12_amount(".5", &c), 0);
	CU_ASSERT_EQUAL(c, 50);
	CU_ASSERT_EQUAL(dc_x12_amount("", &c), 0);
	CU_ASSERT_EQUAL(c, 0);
	CU_ASSERT_EQUAL(dc_x12_amount("9.999", &c), -1);   /* fractions of a cent */
	CU_ASSERT_EQUAL(dc_x12_amount("12A", &c), -1);
	dc_x12_date("20260229", d);
	CU_ASSERT_STRING_EQUAL(d, "");
	dc_x12_date("20240229", d);
	CU_ASSERT_STRING_EQUAL(d, "2024-02-29");
}

int register_x12_tests(void)
{
	CU_pSuite s = CU_add_suite("x12", NULL, NULL);
	if (!s)
		return -1;
	DC_ADD_TEST(s, test_tolerant_every_chunk);
	DC_ADD_TEST(s, test_not_x12);
	DC_ADD_TEST(s, test_segment_limit);
	DC_ADD_TEST(s, test_bad_segments);
	DC_ADD_TEST(s, test_835_every_chunk);
	DC_ADD_TEST(s, test_837_every_chunk);
	DC_ADD_TEST(s, test_uk_every_chunk);
	DC_ADD_TEST(s, test_uk_missing_column);
	DC_ADD_TEST(s, test_amounts);
	return 0;
}
