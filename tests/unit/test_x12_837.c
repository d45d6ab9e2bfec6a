/*
 * The 837P/837I writer: encounters and coded lines built in memory, files
 * written with dc_x12_file_write() into a temporary directory and read back.
 * Needs no outside validator: the structure is checked here
 * by simple segment scans and by dc_x12_self_check().
 */
#include "tests/unit/unit.h"
#include "emitters/x12_837.h"
#include "engine/arena.h"
#include "engine/dc_status.h"
#include "engine/profile.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char dir[64];
static struct dc_rules rules;
static int have_rules;
static struct dc_arena arena;

/* ---- building encounters ---- */

struct t_enc {
	struct dc_encounter enc;
	struct dc_coded c;
	const char *dx[16];
};

static void t_enc_init(struct t_enc *t, const char *id, int facility, const char *payer)
{
	memset(t, 0, sizeof *t);
	for (int i = 0; i < DC_E_COUNT; i++)
		t->enc.f[i] = "";
	const char **f = t->enc.f;
	f[DC_E_ENCOUNTER_ID] = id;
	f[DC_E_BILLING_PARTY] = facility ? "facility" : "physician";
	f[DC_E_PLACE_OF_SERVICE] = facility ? "22" : "11";
	f[DC_E_SERVICE_DATE] = "2026-03-02";
	f[DC_E_PATIENT_LAST_NAME] = "SAMPLE";
	f[DC_E_PATIENT_FIRST_NAME] = "JUNE";
	f[DC_E_PATIENT_DOB] = "1958-02-14";
	f[DC_E_PATIENT_SEX] = "F";
	f[DC_E_PATIENT_ADDRESS] = "101 TEST AVE";
	f[DC_E_PATIENT_CITY] = "SPRINGFIELD";
	f[DC_E_PATIENT_STATE] = "IL";
	f[DC_E_PATIENT_POSTCODE] = "62701";
	f[DC_E_PAYER_ID] = payer;
	f[DC_E_MEMBER_ID] = "XCA918273645";
	f[DC_E_GROUP_NUMBER] = "G-77120";
	f[DC_E_RENDERING_PROVIDER_ID] = "1928374655";
	f[DC_E_RENDERING_PROVIDER_NAME] = "PLACEHOLDER, RAJ";
	t->enc.facility = facility;
	t->enc.scheme = DC_SCHEME_US;
	t->enc.service_day = dc_days_from_civil(2026, 3, 2);
	t->dx[0] = "C8330";
	t->dx[1] = "R112";
	t->enc.dx = t->dx;
	t->enc.ndx = 2;
}

static struct dc_line *t_line(struct t_enc *t, const char *claim_id, const char *kind,
			      const char *code, const char *mods, int64_t units_whole,
			      int64_t cents)
{
	struct dc_line *l = dc_coded_add_line(&t->c, &arena);
	int n = 1;
	for (size_t i = 0; i + 1 < t->c.nlines; i++)
		n += !strcmp(t->c.lines[i].claim_id, claim_id);
	l->claim_id = claim_id;
	l->claim_type = t->enc.facility ? "837I" : "837P";
	l->line_no = n;
	l->line_control = dc_arena_printf(&arena, "%s-%d", claim_id, n);
	l->kind = kind;
	l->code = code;
	l->modifiers = mods;
	l->units.v = units_whole * DC_DEC_SCALE;
	l->charge = cents;
	l->dx_pointers = "1;2";
	t->c.charge += cents;
	return l;
}

static void t_ndc(struct dc_line *l, const char *ndc, int64_t qty_micro, const char *unit)
{
	l->ndc = ndc;
	l->ndc_quantity.v = qty_micro;
	l->ndc_unit = unit;
}

/* Example 9 of coding-us.md: infliximab with waste, Medicare, physician. */
static void example9(struct t_enc *t, const char *id)
{
	t_enc_init(t, id, 0, "MEDICARE");
	t_line(t, id, "admin", "96413", "", 1, 45000);
	t_line(t, id, "admin", "96415", "", 1, 11000);
	t_ndc(t_line(t, id, "drug", "J1745", "", 35, 163240), "57894003001", 3500000, "UN");
	t_ndc(t_line(t, id, "drug_waste", "J1745", "JW", 5, 23320), "57894003001", 500000,
	      "UN");
}

/* ---- writing ---- */

struct bodies {
	struct dc_buf b[8];
	size_t n, i;
	int fail_at;        /* return DC_ERR_IO at this call (1-based), 0 never */
	int calls;
};

static int next_body(void *ctx, const char **body, size_t *len)
{
	struct bodies *B = ctx;
	B->calls++;
	if (B->fail_at && B->calls == B->fail_at)
		return DC_ERR_IO;
	if (B->i == B->n)
		return 0;
	*body = B->b[B->i].p;
	*len = B->b[B->i].len;
	B->i++;
	return 1;
}

static void bodies_release(struct bodies *B)
{
	for (size_t i = 0; i < B->n; i++)
		dc_buf_release(&B->b[i]);
	memset(B, 0, sizeof *B);
}

static int add_body(struct bodies *B, struct t_enc *t, const struct dc_profile *p)
{
	dc_buf_init(&B->b[B->n]);
	return dc_x12_claim_format(&B->b[B->n++], &t->enc, &t->c, p, &rules);
}

static char *slurp(const char *name, size_t *len)
{
	char path[256];
	snprintf(path, sizeof path, "%s/%s", dir, name);
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	char *buf = malloc(1 << 22);
	*len = fread(buf, 1, (1 << 22) - 1, f);
	buf[*len] = '\0';
	fclose(f);
	return buf;
}

static void rm(const char *name)
{
	char path[256];
	snprintf(path, sizeof path, "%s/%s", dir, name);
	unlink(path);
}

static int dir_empty(void)
{
	char cmd[128];
	snprintf(cmd, sizeof cmd, "test -z \"$(ls -A %s)\"", dir);
	return system(cmd) == 0;
}

/* Writes the bodies to NAME and returns the file's content (malloc). */
static char *write_file(struct bodies *B, char kind, const struct dc_profile *p,
			const char *name, long isa13, int *rc, size_t *len)
{
	struct dc_out o;
	struct dc_diag_sink ds = { NULL, NULL, 0, 0 };
	*rc = -100;
	if (dc_out_open(&o, dir, name, 0600, &ds) != 0)
		return NULL;
	B->i = 0;
	*rc = dc_x12_file_write(&o, kind, p, isa13, isa13 + 1000, "2026-03-14T02:05", next_body,
				B, &ds);
	if (*rc != 0) {
		dc_out_abort(&o);
		return NULL;
	}
	if (dc_out_commit(&o) != 0) {
		*rc = -101;
		return NULL;
	}
	char *s = slurp(name, len);
	rm(name);
	return s;
}

/* ---- scanning the result ---- */

/* The segments of |s| (terminator '~', newline after each), in a list. */
struct segs {
	char **v;
	size_t n;
};

static void split(const char *s, struct segs *out)
{
	out->n = 0;
	out->v = NULL;
	size_t cap = 0;
	const char *p = s;
	while (*p) {
		const char *t = strchr(p, '~');
		if (!t)
			break;
		if (out->n == cap) {
			cap = cap ? 2 * cap : 256;
			out->v = realloc(out->v, cap * sizeof *out->v);
		}
		out->v[out->n++] = strndup(p, (size_t)(t - p));
		p = t + 1;
		while (*p == '\n')
			p++;
	}
}

static void segs_free(struct segs *s)
{
	for (size_t i = 0; i < s->n; i++)
		free(s->v[i]);
	free(s->v);
}

static int starts(const char *s, const char *prefix)
{
	return !strncmp(s, prefix, strlen(prefix));
}

static size_t count_prefix(const struct segs *s, const char *prefix)
{
	size_t n = 0;
	for (size_t i = 0; i < s->n; i++)
		n += starts(s->v[i], prefix);
	return n;
}

/* Element |k| of a segment (0 is the id), into |buf|. */
static const char *elem(const char *seg, int k, char *buf, size_t n)
{
	const char *p = seg;
	for (int i = 0; i < k && p; i++) {
		p = strchr(p, '*');
		if (p)
			p++;
	}
	if (!p) {
		buf[0] = '\0';
		return buf;
	}
	const char *e = strchr(p, '*');
	size_t len = e ? (size_t)(e - p) : strlen(p);
	snprintf(buf, n, "%.*s", (int)len, p);
	return buf;
}

/* cents of an R amount */
static long long cents(const char *s)
{
	long long whole = atoll(s), frac = 0;
	const char *d = strchr(s, '.');
	if (d) {
		frac = (d[1] - '0') * 10;
		if (d[2])
			frac += d[2] - '0';
	}
	return whole * 100 + frac;
}

/* ---- tests ---- */

static void test_envelope_counts(void)
{
	CU_ASSERT_FATAL(have_rules);
	struct dc_profile p;
	dc_profile_demo(&p);
	struct t_enc a, b;
	example9(&a, "ENC-A");
	example9(&b, "ENC-B");
	struct bodies B;
	memset(&B, 0, sizeof B);
	CU_ASSERT_EQUAL(add_body(&B, &a, &p), 0);
	CU_ASSERT_EQUAL(add_body(&B, &b, &p), 0);
	int rc;
	size_t len;
	char *s = write_file(&B, 'P', &p, "837p-000000042.x12", 42, &rc, &len);
	CU_ASSERT_EQUAL_FATAL(rc, 0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	/* ISA: 106 characters with its terminator, then the newline */
	CU_ASSERT_EQUAL(strchr(s, '\n') - s, 106);
	CU_ASSERT_EQUAL(s[105], '~');
	CU_ASSERT_EQUAL(s[104], ':');
	CU_ASSERT_EQUAL(s[102], 'T');
	CU_ASSERT_NSTRING_EQUAL(s + 90, "000000042", 9);
	struct segs S;
	split(s, &S);
	char e1[64], e2[64];
	CU_ASSERT_STRING_EQUAL(S.v[1], "GS*HC*DEMOSUBMITTER*DEMORECEIVER*20260314*0205*1042*X*"
				       "005010X222A1");
	CU_ASSERT_STRING_EQUAL(S.v[2], "ST*837*0001*005010X222A1");
	/* SE01 = segments from ST to SE */
	size_t st = 0, se = 0;
	for (size_t i = 0; i < S.n; i++) {
		if (starts(S.v[i], "ST*"))
			st = i;
		if (starts(S.v[i], "SE*"))
			se = i;
	}
	CU_ASSERT_EQUAL(atol(elem(S.v[se], 1, e1, sizeof e1)), (long)(se - st + 1));
	CU_ASSERT_STRING_EQUAL(elem(S.v[se], 2, e1, sizeof e1), "0001");
	CU_ASSERT_STRING_EQUAL(S.v[S.n - 2], "GE*1*1042");
	CU_ASSERT_STRING_EQUAL(S.v[S.n - 1], "IEA*1*000000042");
	CU_ASSERT_EQUAL(count_prefix(&S, "CLM*"), 2);
	CU_ASSERT_EQUAL(dc_x12_self_check(s, len, NULL), 0);
	/* the demo NPI and EIN in 2010AA */
	CU_ASSERT_EQUAL(count_prefix(&S, "NM1*85*2*DRIPCODE DEMO INFUSION CENTER*****XX*1999999992"),
			1);
	(void)e2;
	segs_free(&S);
	free(s);
	bodies_release(&B);
	CU_ASSERT_TRUE(dir_empty());
}

static void test_hl_chain(void)
{
	struct dc_profile p;
	dc_profile_demo(&p);
	struct t_enc a, b, c;
	example9(&a, "ENC-SELF");
	example9(&b, "ENC-CHILD");
	const char **f = b.enc.f;
	f[DC_E_SUBSCRIBER_RELATIONSHIP] = "19";
	f[DC_E_SUBSCRIBER_LAST_NAME] = "SAMPLE";
	f[DC_E_SUBSCRIBER_FIRST_NAME] = "PARENT";
	f[DC_E_SUBSCRIBER_DOB] = "1930-01-01";
	f[DC_E_SUBSCRIBER_SEX] = "M";
	example9(&c, "ENC-SELF2");
	char why[128];
	CU_ASSERT_PTR_NULL(dc_x12_claim_missing(&b.enc, &b.c, &rules, why, sizeof why));
	struct bodies B;
	memset(&B, 0, sizeof B);
	add_body(&B, &a, &p);
	add_body(&B, &b, &p);
	add_body(&B, &c, &p);
	int rc;
	size_t len;
	char *s = write_file(&B, 'P', &p, "837p-000000043.x12", 43, &rc, &len);
	CU_ASSERT_EQUAL_FATAL(rc, 0);
	struct segs S;
	split(s, &S);
	const char *want[] = { "HL*1**20*1", "HL*2*1*22*0", "HL*3*1*22*1", "HL*4*3*23*0",
			       "HL*5*1*22*0" };
	size_t k = 0;
	for (size_t i = 0; i < S.n; i++)
		if (starts(S.v[i], "HL*")) {
			CU_ASSERT_FATAL(k < 5);
			CU_ASSERT_STRING_EQUAL(S.v[i], want[k]);
			k++;
			if (!strcmp(S.v[i], "HL*3*1*22*1"))
				CU_ASSERT_STRING_EQUAL(S.v[i + 1], "SBR*P**G-77120******MB");
			if (!strcmp(S.v[i], "HL*4*3*23*0")) {
				CU_ASSERT_STRING_EQUAL(S.v[i + 1], "PAT*19");
				CU_ASSERT_STRING_EQUAL(S.v[i + 2], "NM1*QC*1*SAMPLE*JUNE");
			}
		}
	CU_ASSERT_EQUAL(k, 5);
	CU_ASSERT_EQUAL(count_prefix(&S, "NM1*IL*1*SAMPLE*PARENT****MI*XCA918273645"), 1);
	segs_free(&S);
	free(s);
	bodies_release(&B);
}

static void test_clm02_sum_and_amounts(void)
{
	struct dc_profile p;
	dc_profile_demo(&p);
	struct t_enc a;
	t_enc_init(&a, "ENC-SUM", 0, "COMMERCIAL");
	t_line(&a, "ENC-SUM", "admin", "96365", "", 1, 12000);     /* 120 */
	t_line(&a, "ENC-SUM", "admin", "96366", "", 2, 12050);     /* 120.5 */
	t_line(&a, "ENC-SUM", "visit", "99213", "25", 1, 5);       /* 0.05 */
	struct bodies B;
	memset(&B, 0, sizeof B);
	add_body(&B, &a, &p);
	int rc;
	size_t len;
	char *s = write_file(&B, 'P', &p, "837p-000000044.x12", 44, &rc, &len);
	CU_ASSERT_EQUAL_FATAL(rc, 0);
	struct segs S;
	split(s, &S);
	char e[64];
	long long sum = 0, clm = -1;
	for (size_t i = 0; i < S.n; i++) {
		if (starts(S.v[i], "CLM*"))
			clm = cents(elem(S.v[i], 2, e, sizeof e));
		if (starts(S.v[i], "SV1*"))
			sum += cents(elem(S.v[i], 2, e, sizeof e));
	}
	CU_ASSERT_EQUAL(clm, 24055);
	CU_ASSERT_EQUAL(sum, clm);
	CU_ASSERT_EQUAL(count_prefix(&S, "CLM*ENC-SUM*240.55***11:B:1*Y*A*Y*Y"), 1);
	CU_ASSERT_EQUAL(count_prefix(&S, "SV1*HC:96365*120*UN*1***1:2"), 1);
	CU_ASSERT_EQUAL(count_prefix(&S, "SV1*HC:96366*120.5*UN*2***1:2"), 1);
	CU_ASSERT_EQUAL(count_prefix(&S, "SV1*HC:99213:25*0.05*UN*1***1:2"), 1);
	CU_ASSERT_EQUAL(count_prefix(&S, "HI*ABK:C8330*ABF:R112"), 1);
	CU_ASSERT_EQUAL(count_prefix(&S, "DTP*472*D8*20260302"), 3);
	/* rendering provider differs from the billing provider: 2310B */
	CU_ASSERT_EQUAL(count_prefix(&S, "NM1*82*1*PLACEHOLDER*RAJ****XX*1928374655"), 1);
	CU_ASSERT_EQUAL(count_prefix(&S, "SBR*P*18*G-77120******CI"), 1);
	CU_ASSERT_EQUAL(count_prefix(&S, "NM1*PR*2*Commercial plan (demo)*****PI*99903"), 1);
	CU_ASSERT_EQUAL(count_prefix(&S, "DMG*D8*19580214*F"), 1);
	segs_free(&S);
	free(s);
	bodies_release(&B);
}

static void test_ref6r_unique_and_ndc_only_on_drugs(void)
{
	struct dc_profile p;
	dc_profile_demo(&p);
	struct t_enc a;
	example9(&a, "ENC-NDC");
	/* a fluid line without NDC and an admin line that (wrongly) carries one:
	 * only drug lines get a LIN */
	t_line(&a, "ENC-NDC", "drug", "J7050", "", 2, 196);
	struct dc_line *bad = t_line(&a, "ENC-NDC", "admin", "96361", "", 1, 7500);
	t_ndc(bad, "57894003001", 1000000, "UN");
	char why[128];
	CU_ASSERT_PTR_NULL(dc_x12_claim_missing(&a.enc, &a.c, &rules, why, sizeof why));
	struct bodies B;
	memset(&B, 0, sizeof B);
	add_body(&B, &a, &p);
	int rc;
	size_t len;
	char *s = write_file(&B, 'P', &p, "837p-000000045.x12", 45, &rc, &len);
	CU_ASSERT_EQUAL_FATAL(rc, 0);
	struct segs S;
	split(s, &S);
	char e[64];
	/* REF*6R: one per line, all distinct */
	size_t nref = 0;
	for (size_t i = 0; i < S.n; i++) {
		if (!starts(S.v[i], "REF*6R*"))
			continue;
		nref++;
		for (size_t j = i + 1; j < S.n; j++)
			CU_ASSERT(strcmp(S.v[i], S.v[j]) != 0);
	}
	CU_ASSERT_EQUAL(nref, 6);
	CU_ASSERT_EQUAL(count_prefix(&S, "LX*"), 6);
	/* LIN only after a J-code SV1 of this LX */
	size_t nlin = 0;
	const char *sv = NULL;
	for (size_t i = 0; i < S.n; i++) {
		if (starts(S.v[i], "SV1*"))
			sv = S.v[i];
		if (starts(S.v[i], "LIN*")) {
			nlin++;
			CU_ASSERT_PTR_NOT_NULL_FATAL(sv);
			CU_ASSERT(starts(sv, "SV1*HC:J1745"));
			CU_ASSERT_STRING_EQUAL(S.v[i], "LIN**N4*57894003001");
			CU_ASSERT(starts(S.v[i + 1], "CTP****"));
		}
	}
	CU_ASSERT_EQUAL(nlin, 2);
	CU_ASSERT_EQUAL(count_prefix(&S, "CTP****3.5*UN"), 1);
	CU_ASSERT_EQUAL(count_prefix(&S, "CTP****0.5*UN"), 1);
	CU_ASSERT_EQUAL(count_prefix(&S, "SV1*HC:J1745:JW*233.2*UN*5***1:2"), 1);
	(void)e;
	segs_free(&S);
	free(s);

	/* a repeated line control is refused before formatting */
	a.c.lines[1].line_control = a.c.lines[0].line_control;
	CU_ASSERT_PTR_NOT_NULL(dc_x12_claim_missing(&a.enc, &a.c, &rules, why, sizeof why));
	CU_ASSERT_PTR_NOT_NULL(strstr(why, "line_control"));
	bodies_release(&B);
}

static void test_51_lines_two_claims(void)
{
	struct dc_profile p;
	dc_profile_demo(&p);
	struct t_enc a;
	const char *enc_id = "INFUSION-CLINIC-2026-03-02-000123";   /* 33 characters */
	t_enc_init(&a, enc_id, 0, "COMMERCIAL");
	/* as the coder splits: at most 50 lines a claim, ids from dc_claim_id */
	const char *c1 = dc_claim_id(enc_id, &arena);
	const char *c2 = dc_claim_id(dc_arena_printf(&arena, "%s-2", enc_id), &arena);
	CU_ASSERT(strcmp(c1, c2) != 0);
	for (int i = 0; i < 51; i++)
		t_line(&a, i < 50 ? c1 : c2, "admin", "96375", "", 1, 7000 + i);
	char why[128];
	CU_ASSERT_PTR_NULL(dc_x12_claim_missing(&a.enc, &a.c, &rules, why, sizeof why));
	struct bodies B;
	memset(&B, 0, sizeof B);
	add_body(&B, &a, &p);
	CU_ASSERT_EQUAL(dc_x12_body_claims(B.b[0].p, B.b[0].len, &p), 2);
	int rc;
	size_t len;
	char *s = write_file(&B, 'P', &p, "837p-000000046.x12", 46, &rc, &len);
	CU_ASSERT_EQUAL_FATAL(rc, 0);
	struct segs S;
	split(s, &S);
	char e[64];
	size_t nclm = 0, lines_in[3] = { 0 };
	long long sums[3] = { 0 }, totals[3] = { 0 };
	for (size_t i = 0; i < S.n; i++) {
		if (starts(S.v[i], "CLM*")) {
			nclm++;
			CU_ASSERT_FATAL(nclm <= 2);
			CU_ASSERT(strlen(elem(S.v[i], 1, e, sizeof e)) <= 20);
			CU_ASSERT_STRING_EQUAL(e, nclm == 1 ? c1 : c2);
			totals[nclm] = cents(elem(S.v[i], 2, e, sizeof e));
		}
		if (starts(S.v[i], "SV1*")) {
			lines_in[nclm]++;
			sums[nclm] += cents(elem(S.v[i], 2, e, sizeof e));
		}
	}
	CU_ASSERT_EQUAL(nclm, 2);
	CU_ASSERT_EQUAL(lines_in[1], 50);
	CU_ASSERT_EQUAL(lines_in[2], 1);
	CU_ASSERT_EQUAL(sums[1], totals[1]);
	CU_ASSERT_EQUAL(sums[2], totals[2]);
	/* one subscriber loop holds both claims; LX restarts at 1 */
	CU_ASSERT_EQUAL(count_prefix(&S, "HL*"), 2);
	CU_ASSERT_EQUAL(count_prefix(&S, "LX*1"), 2 + 10);   /* LX*1 and LX*10..LX*19 */
	CU_ASSERT_EQUAL(count_prefix(&S, "LX*50"), 1);
	segs_free(&S);
	free(s);
	bodies_release(&B);
}

static void test_separators_replaced(void)
{
	struct dc_profile p;
	dc_profile_demo(&p);
	struct t_enc a;
	example9(&a, "ENC-SEP");
	a.enc.f[DC_E_PATIENT_LAST_NAME] = "O*BRIEN~X:Y^Z";
	a.enc.f[DC_E_PATIENT_ADDRESS] = "1 MAIN ST\nAPT 2";
	a.enc.f[DC_E_MEMBER_ID] = "*M1";
	struct bodies B;
	memset(&B, 0, sizeof B);
	CU_ASSERT_EQUAL(add_body(&B, &a, &p), 3);
	int rc;
	size_t len;
	char *s = write_file(&B, 'P', &p, "837p-000000047.x12", 47, &rc, &len);
	CU_ASSERT_EQUAL_FATAL(rc, 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(s, "NM1*IL*1*O BRIEN X Y Z*JUNE****MI*M1~"));
	CU_ASSERT_PTR_NOT_NULL(strstr(s, "N3*1 MAIN ST APT 2~"));
	free(s);
	bodies_release(&B);
	/* blanks at the ends trimmed; a value of the element's length kept, a longer one cut */
	example9(&a, "ENC-LEN");
	a.enc.f[DC_E_PATIENT_FIRST_NAME] = "  JUNE   ";
	a.enc.f[DC_E_PATIENT_ADDRESS] = "1234567890123456789012345678901234567890123456789012345 6";
	a.enc.f[DC_E_PATIENT_CITY] = "ABCDEFGHIJKLMNOPQRSTUVWXYZABCD";
	memset(&B, 0, sizeof B);
	CU_ASSERT_EQUAL(add_body(&B, &a, &p), 1);   /* the address alone was altered */
	s = write_file(&B, 'P', &p, "837p-000000047.x12", 47, &rc, &len);
	CU_ASSERT_EQUAL_FATAL(rc, 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(s, "*JUNE****MI*"));
	CU_ASSERT_PTR_NOT_NULL(strstr(s, "N3*1234567890123456789012345678901234567890123456789012345~"));
	CU_ASSERT_PTR_NOT_NULL(strstr(s, "N4*ABCDEFGHIJKLMNOPQRSTUVWXYZABCD*"));
	char out[64];
	CU_ASSERT_EQUAL(dc_x12_clean(&p, "ENC:2026*1", 38, out, sizeof out), 1);
	CU_ASSERT_STRING_EQUAL(out, "ENC 2026 1");
	CU_ASSERT_EQUAL(dc_x12_clean(&p, "ENC-1", 38, out, sizeof out), 0);
	CU_ASSERT_STRING_EQUAL(out, "ENC-1");
	CU_ASSERT_EQUAL(dc_x12_clean(&p, "ABCDEF", 4, out, sizeof out), 1);
	CU_ASSERT_STRING_EQUAL(out, "ABCD");
	free(s);
	bodies_release(&B);
}

/* Each separator of the profile in use, controls and non-ASCII become blanks. */
static void test_clean_follows_profile(void)
{
	struct dc_profile p, q;
	dc_profile_demo(&p);
	dc_profile_demo(&q);
	q.elem_sep = '|';
	q.comp_sep = '!';
	q.rep_sep = '`';
	q.seg_term = '#';
	char out[64], v[32];
	for (int round = 0; round < 2; round++) {
		/* alternating profiles: nothing kept from the other one's separators */
		const struct dc_profile *pr = round ? &q : &p;
		const char seps[] = { pr->elem_sep, pr->comp_sep, pr->rep_sep, pr->seg_term,
				      '\t', '\x7f', '\x01' };
		for (size_t i = 0; i < sizeof seps; i++) {
			snprintf(v, sizeof v, "AB%cCD", seps[i]);
			CU_ASSERT_EQUAL(dc_x12_clean(pr, v, 0, out, sizeof out), 1);
			CU_ASSERT_STRING_EQUAL(out, "AB CD");
		}
		CU_ASSERT_EQUAL(dc_x12_clean(pr, "CAF\xc3\xa9 X", 0, out, sizeof out), 1);
		CU_ASSERT_STRING_EQUAL(out, "CAF  X");
		/* the other profile's separators are plain characters here */
		const struct dc_profile *other = round ? &p : &q;
		snprintf(v, sizeof v, "A%cB", other->elem_sep);
		CU_ASSERT_EQUAL(dc_x12_clean(pr, v, 0, out, sizeof out), 0);
		CU_ASSERT_STRING_EQUAL(out, v);
	}
}

static void test_unlisted_description(void)
{
	struct dc_profile p;
	dc_profile_demo(&p);
	struct t_enc a, b;
	t_enc_init(&a, "ENC-NOC", 0, "COMMERCIAL");
	t_line(&a, "ENC-NOC", "admin", "96374", "", 1, 16500);
	struct dc_line *l = t_line(&a, "ENC-NOC", "drug", "J3490", "JZ", 1, 1000);
	t_ndc(l, "12345678901", 1000000, "UN");
	l->description = "famotidine 20 mg";
	t_enc_init(&b, "ENC-NOC-I", 1, "COMMERCIAL");
	l = t_line(&b, "ENC-NOC-I", "admin", "96549", "", 1, 30000);
	l->description = "chemo alongside";
	struct bodies B;
	memset(&B, 0, sizeof B);
	add_body(&B, &a, &p);
	int rc;
	size_t len;
	char *s = write_file(&B, 'P', &p, "837p-000000048.x12", 48, &rc, &len);
	CU_ASSERT_EQUAL_FATAL(rc, 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(s, "SV1*HC:J3490:JZ::::famotidine 20 mg*10*UN*1***1:2~"));
	free(s);
	bodies_release(&B);
	add_body(&B, &b, &p);
	s = write_file(&B, 'I', &p, "837i-000000049.x12", 49, &rc, &len);
	CU_ASSERT_EQUAL_FATAL(rc, 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(s, "SV2*0335*HC:96549:::::chemo alongside*300*UN*1~"));
	free(s);
	bodies_release(&B);
}

static void test_837i(void)
{
	struct dc_profile p;
	dc_profile_demo(&p);
	struct t_enc a;
	t_enc_init(&a, "ENC-I", 1, "MEDICARE");
	a.enc.f[DC_E_AUTH_REF] = "AUTH-1";
	t_line(&a, "ENC-I", "admin", "96413", "", 1, 45000);
	t_line(&a, "ENC-I", "admin", "96375", "", 1, 7000);
	t_ndc(t_line(&a, "ENC-I", "drug", "J9312", "", 50, 564150), "50242005306", 50000000,
	      "ML");
	t_line(&a, "ENC-I", "drug", "J7050", "", 2, 196);
	t_line(&a, "ENC-I", "visit", "G0463", "25", 1, 9000);
	struct bodies B;
	memset(&B, 0, sizeof B);
	add_body(&B, &a, &p);
	int rc;
	size_t len;
	char *s = write_file(&B, 'I', &p, "837i-000000050.x12", 50, &rc, &len);
	CU_ASSERT_EQUAL_FATAL(rc, 0);
	struct segs S;
	split(s, &S);
	CU_ASSERT_STRING_EQUAL(S.v[2], "ST*837*0001*005010X223A2");
	CU_ASSERT_EQUAL(count_prefix(&S, "CLM*ENC-I*6253.46***13:A:1**A*Y*Y"), 1);
	CU_ASSERT_EQUAL(count_prefix(&S, "DTP*434*RD8*20260302-20260302"), 1);
	CU_ASSERT_EQUAL(count_prefix(&S, "CL1*"), 1);
	CU_ASSERT_EQUAL(count_prefix(&S, "REF*G1*AUTH-1"), 1);
	CU_ASSERT_EQUAL(count_prefix(&S, "HI*ABK:C8330"), 1);
	CU_ASSERT_EQUAL(count_prefix(&S, "HI*ABF:R112"), 1);
	CU_ASSERT_EQUAL(count_prefix(&S, "NM1*71*1*PLACEHOLDER*RAJ****XX*1928374655"), 1);
	CU_ASSERT_EQUAL(count_prefix(&S, "SV2*0335*HC:96413*450*UN*1"), 1);
	CU_ASSERT_EQUAL(count_prefix(&S, "SV2*0260*HC:96375*70*UN*1"), 1);
	CU_ASSERT_EQUAL(count_prefix(&S, "SV2*0636*HC:J9312*5641.5*UN*50"), 1);
	CU_ASSERT_EQUAL(count_prefix(&S, "SV2*0258*HC:J7050*1.96*UN*2"), 1);
	CU_ASSERT_EQUAL(count_prefix(&S, "SV2*0510*HC:G0463:25*90*UN*1"), 1);
	CU_ASSERT_EQUAL(count_prefix(&S, "LIN**N4*50242005306"), 1);
	CU_ASSERT_EQUAL(count_prefix(&S, "CTP****50*ML"), 1);
	CU_ASSERT_EQUAL(count_prefix(&S, "SV1*"), 0);
	segs_free(&S);
	free(s);
	bodies_release(&B);
}

static void test_profile_separators_single_line(void)
{
	struct dc_profile p;
	dc_profile_demo(&p);
	p.elem_sep = '|';
	p.comp_sep = '>';
	p.rep_sep = '!';
	p.seg_term = '\'';
	p.line_per_segment = 0;
	p.production = 1;
	struct t_enc a;
	example9(&a, "ENC-SEP2");
	a.enc.f[DC_E_PATIENT_FIRST_NAME] = "JUNE|ANN";
	struct bodies B;
	memset(&B, 0, sizeof B);
	CU_ASSERT_EQUAL(add_body(&B, &a, &p), 1);
	int rc;
	size_t len;
	char *s = write_file(&B, 'P', &p, "837p-000000051.x12", 51, &rc, &len);
	CU_ASSERT_EQUAL_FATAL(rc, 0);
	CU_ASSERT_PTR_NULL(strchr(s, '\n'));
	CU_ASSERT_PTR_NULL(strchr(s, '*'));
	CU_ASSERT_EQUAL(s[3], '|');
	CU_ASSERT_EQUAL(s[82], '!');
	CU_ASSERT_EQUAL(s[102], 'P');
	CU_ASSERT_EQUAL(s[104], '>');
	CU_ASSERT_EQUAL(s[105], '\'');
	CU_ASSERT_PTR_NOT_NULL(strstr(s, "'SV1|HC>J1745>JW|233.2|UN|5|||1>2'"));
	CU_ASSERT_PTR_NOT_NULL(strstr(s, "NM1|IL|1|SAMPLE|JUNE ANN|"));
	CU_ASSERT_EQUAL(dc_x12_self_check(s, len, NULL), 0);
	free(s);
	bodies_release(&B);
}

/* 837I with a patient who is not the subscriber and 14 diagnoses: HI*ABK,
 * then HI segments of at most 12 ABF; 837P keeps 12 codes in one HI. */
static void test_patient_loop_many_dx(void)
{
	static const char *const codes[] = { "C8330", "R112", "E860", "D649", "I10", "E119",
		"K5090", "M069", "M810", "Z5111", "Z5112", "R5383", "D701", "T451X5A" };
	struct dc_profile p;
	dc_profile_demo(&p);
	for (int inst = 0; inst < 2; inst++) {
		struct t_enc a;
		const char *id = inst ? "ENC-DXI" : "ENC-DXP";
		t_enc_init(&a, id, inst, "COMMERCIAL");
		for (int i = 0; i < 14; i++)
			a.dx[i] = codes[i];
		a.enc.ndx = 14;
		a.enc.f[DC_E_SUBSCRIBER_RELATIONSHIP] = "01";
		a.enc.f[DC_E_SUBSCRIBER_LAST_NAME] = "SAMPLE";
		a.enc.f[DC_E_SUBSCRIBER_FIRST_NAME] = "SPOUSE";
		t_line(&a, id, "admin", "96365", "", 1, 31000);
		t_ndc(t_line(&a, id, "drug", "J1756", "", 200, 3800), "00517234001", 10000000,
		      "ML");
		struct bodies B;
		memset(&B, 0, sizeof B);
		add_body(&B, &a, &p);
		int rc;
		size_t len;
		char *s = write_file(&B, inst ? 'I' : 'P', &p, inst ? "837i-000000081.x12"
				     : "837p-000000080.x12", 80 + inst, &rc, &len);
		CU_ASSERT_EQUAL_FATAL(rc, 0);
		struct segs S;
		split(s, &S);
		CU_ASSERT_EQUAL(count_prefix(&S, "HL*2*1*22*1"), 1);
		CU_ASSERT_EQUAL(count_prefix(&S, "HL*3*2*23*0"), 1);
		CU_ASSERT_EQUAL(count_prefix(&S, "PAT*01"), 1);
		CU_ASSERT_EQUAL(count_prefix(&S, "NM1*IL*1*SAMPLE*SPOUSE****MI*XCA918273645"), 1);
		/* the subscriber's address and birth date are not known: no N3/N4/DMG in
		 * 2010BA; the patient's are in 2010CA */
		CU_ASSERT_EQUAL(count_prefix(&S, "DMG*"), 1);
		if (inst) {
			CU_ASSERT_EQUAL(count_prefix(&S, "HI*ABK:C8330~"), 0);
			CU_ASSERT_EQUAL(count_prefix(&S, "HI*ABK:C8330"), 1);
			CU_ASSERT_EQUAL(count_prefix(&S, "HI*ABF:R112*"), 1);
			CU_ASSERT_EQUAL(count_prefix(&S, "HI*ABF:T451X5A"), 1);
			CU_ASSERT_EQUAL(count_prefix(&S, "HI*"), 3);
		} else {
			CU_ASSERT_EQUAL(count_prefix(&S, "HI*"), 1);
			CU_ASSERT_PTR_NOT_NULL(strstr(s, "*ABF:R5383~"));
			CU_ASSERT_PTR_NULL(strstr(s, "D701"));
		}
		segs_free(&S);
		free(s);
		bodies_release(&B);
	}
}

/* the payer's number of one claim (ctx: its id); the others have none */
static const char *known_number(void *ctx, const char *claim_id)
{
	return !strcmp(claim_id, ctx) ? "PAYER-CCN-1" : NULL;
}

/* --rebill: frequency 7 and REF*F8 after REF*G1, for the claim whose number is known */
static void test_replacement_claim(void)
{
	struct dc_profile p;
	dc_profile_demo(&p);
	for (int inst = 0; inst < 2; inst++) {
		struct t_enc a;
		const char *id = inst ? "ENC-REBI" : "ENC-REBP";
		t_enc_init(&a, id, inst, "COMMERCIAL");
		a.enc.f[DC_E_AUTH_REF] = "AUTH-9";
		t_line(&a, id, "admin", "96365", "", 1, 31000);
		struct bodies B;
		memset(&B, 0, sizeof B);
		dc_buf_init(&B.b[0]);
		struct dc_x12_claim_opts o = { '7', known_number, (void *)id };
		dc_x12_claim_format_opts(&B.b[0], &a.enc, &a.c, &p, &rules, &o);
		/* an original never carries REF*F8; a claim with no known number neither */
		struct dc_buf orig, other;
		dc_buf_init(&orig);
		dc_buf_init(&other);
		o.frequency = '1';
		dc_x12_claim_format_opts(&orig, &a.enc, &a.c, &p, &rules, &o);
		o.frequency = '7';
		o.ctx = (void *)"ENC-OTHER";
		dc_x12_claim_format_opts(&other, &a.enc, &a.c, &p, &rules, &o);
		dc_buf_addc(&orig, '\0');
		dc_buf_addc(&other, '\0');
		CU_ASSERT_PTR_NULL(strstr(orig.p, "REF*F8"));
		CU_ASSERT_PTR_NULL(strstr(other.p, "REF*F8"));
		CU_ASSERT_PTR_NOT_NULL(strstr(other.p, inst ? "*13:A:7*" : "*11:B:7*"));
		dc_buf_release(&orig);
		dc_buf_release(&other);
		B.n = 1;
		int rc;
		size_t len;
		char *s = write_file(&B, inst ? 'I' : 'P', &p, inst ? "837i-000000091.x12"
				     : "837p-000000090.x12", 90 + inst, &rc, &len);
		CU_ASSERT_EQUAL_FATAL(rc, 0);
		CU_ASSERT_PTR_NOT_NULL(strstr(s, inst ? "*13:A:7*" : "*11:B:7*"));
		CU_ASSERT_PTR_NOT_NULL(strstr(s, "REF*G1*AUTH-9~\nREF*F8*PAYER-CCN-1~\n"));
		free(s);
		bodies_release(&B);
	}
}

/* Replaces the first occurrence of |from| by |to| (same buffer, may grow). */
static char *patch(const char *s, const char *from, const char *to)
{
	const char *at = strstr(s, from);
	if (!at)
		return NULL;
	size_t n = strlen(s) - strlen(from) + strlen(to);
	char *r = malloc(n + 1);
	size_t k = (size_t)(at - s);
	snprintf(r, n + 1, "%.*s%s%s", (int)k, s, to, at + strlen(from));
	return r;
}

static void test_self_check_catches_corruption(void)
{
	struct dc_profile p;
	dc_profile_demo(&p);
	struct t_enc a;
	example9(&a, "ENC-BAD");
	struct bodies B;
	memset(&B, 0, sizeof B);
	add_body(&B, &a, &p);
	int rc;
	size_t len;
	char *s = write_file(&B, 'P', &p, "837p-000000052.x12", 52, &rc, &len);
	CU_ASSERT_EQUAL_FATAL(rc, 0);
	CU_ASSERT_EQUAL(dc_x12_self_check(s, len, NULL), 0);
	char se[32];
	const char *at = strstr(s, "SE*");
	CU_ASSERT_PTR_NOT_NULL_FATAL(at);
	snprintf(se, sizeof se, "%.*s", (int)(strchr(at, '~') - at), at);
	long n = atol(se + 3);
	char wrong[32];
	snprintf(wrong, sizeof wrong, "SE*%ld*0001", n + 1);
	struct { const char *from, *to; } cases[] = {
		{ se, wrong },                                   /* SE01 off by one */
		{ "GE*1*", "GE*2*" },                            /* GE01 */
		{ "IEA*1*000000052", "IEA*1*000000053" },        /* IEA02 */
		{ "CLM*ENC-BAD*2425.6*", "CLM*ENC-BAD*2425.7*" },   /* CLM02 */
		{ "REF*6R*ENC-BAD-2", "REF*6R*ENC-BAD-1" },      /* REF*6R repeated */
		{ "HL*2*1*22*0", "HL*3*1*22*0" },                /* HL id */
		{ "HL*2*1*22*0", "HL*2*1*22*1" },                /* HL04 */
		{ "SV1*HC:96413*450", "SV1*HC:96413*450.5" },   /* line sum */
		{ "SV1*HC:J1745*1632.4", "SV1*HC:96366*1632.4" },  /* LIN after non-drug */
		{ "NM1*PR*2*Medicare Part B (demo)*****PI*99901~\n", "" },   /* 2010BB missing */
		{ "DTP*472*D8*20260302~\nREF*6R*ENC-BAD-1~\n", "REF*6R*ENC-BAD-1~\n" },
		{ "ISA*00*          *", "ISA*00*         *" },   /* ISA width */
		{ "N4*SPRINGFIELD*IL*627010001", "N4*SPRINGFIELD**627010001" },  /* required */
		{ "CLM*ENC-BAD*", "CLM*ENC-BAD-WITH-A-VERY-LONG-ID*" },           /* CLM01 > 20 */
		{ "HI*ABK:C8330*ABF:R112~\n", "" },                               /* no HI */
		{ "SBR*P*18*G-77120******MB", "SBR*P*18*G-77120******MB*" },     /* trailing */
		{ "Medicare Part B", "Medicare\tPart B" },                       /* control */
		{ "Medicare Part B", "Medicare Part \xc3\x89" },                  /* non-ASCII */
		{ "CLM*ENC-BAD*", "Clm*ENC-BAD*" },                               /* segment id */
		{ "SV1*HC:96413*450", "SV1*HC:96413:*450" },                      /* component */
		{ "SBR*P*18*G-77120******MB", "SBR*P*18*G-77120******MB"
		  "*1*2*3*4*5*6*7*8*9*10*11*12*13*14*15*16*17*18*19*20*21*22*23*24*25"
		  "*26*27*28*29*30*31*32*33*34*35*36*37*38*39*40*41*42*43*44*45" },  /* elements */
		{ "IEA*1*000000052~", "IEA*1*000000052" },                        /* terminator */
	};
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		char *bad = patch(s, cases[i].from, cases[i].to);
		CU_ASSERT_PTR_NOT_NULL_FATAL(bad);
		struct dc_diag_sink ds = { NULL, NULL, 0, 0 };
		int r = dc_x12_self_check(bad, strlen(bad), &ds);
		if (r != DC_ERR_BUG)
			fprintf(stderr, "\nself-check missed case %zu\n", i);
		CU_ASSERT_EQUAL(r, DC_ERR_BUG);
		CU_ASSERT(ds.nerrors >= 1);
		free(bad);
	}
	free(s);
	bodies_release(&B);
}

/* A malformed body makes the writer fail with DC_ERR_BUG and write nothing. */
static void test_failed_check_writes_nothing(void)
{
	struct dc_profile p;
	dc_profile_demo(&p);
	struct bodies B;
	memset(&B, 0, sizeof B);
	dc_buf_init(&B.b[0]);
	dc_buf_adds(&B.b[0], "HL*1**22*0~\nSBR*P*18*******CI~\nCLM*X*1***11:B:1*Y*A*Y*Y~\n");
	B.n = 1;
	struct dc_out o;
	struct dc_diag_sink ds = { NULL, NULL, 0, 0 };
	CU_ASSERT_EQUAL_FATAL(dc_out_open(&o, dir, "837p-000000060.x12", 0600, &ds), 0);
	int rc = dc_x12_file_write(&o, 'P', &p, 60, 60, "2026-03-14T02:05", next_body, &B, &ds);
	CU_ASSERT_EQUAL(rc, DC_ERR_BUG);
	CU_ASSERT_EQUAL(o.bytes, 0);
	CU_ASSERT(ds.nerrors >= 2);
	dc_out_abort(&o);
	CU_ASSERT_TRUE(dir_empty());
	/* a malformed HL numbering in a body */
	dc_buf_reset(&B.b[0]);
	dc_buf_adds(&B.b[0], "HL*2**22*0~\n");
	B.i = 0;
	CU_ASSERT_EQUAL_FATAL(dc_out_open(&o, dir, "837p-000000061.x12", 0600, &ds), 0);
	rc = dc_x12_file_write(&o, 'P', &p, 61, 61, "2026-03-14T02:05", next_body, &B, &ds);
	CU_ASSERT_EQUAL(rc, DC_ERR_BUG);
	dc_out_abort(&o);
	bodies_release(&B);
	CU_ASSERT_TRUE(dir_empty());
}

static void test_bad_arguments_and_callback_error(void)
{
	struct dc_profile p;
	dc_profile_demo(&p);
	struct t_enc a;
	example9(&a, "ENC-ARG");
	struct bodies B;
	memset(&B, 0, sizeof B);
	add_body(&B, &a, &p);
	struct dc_out o;
	struct dc_diag_sink ds = { NULL, NULL, 0, 0 };
	CU_ASSERT_EQUAL_FATAL(dc_out_open(&o, dir, "x.x12", 0600, &ds), 0);
	CU_ASSERT_EQUAL(dc_x12_file_write(&o, 'X', &p, 1, 1, "2026-03-14T02:05", next_body, &B,
					  &ds), DC_ERR_USAGE);
	CU_ASSERT_EQUAL(dc_x12_file_write(&o, 'P', &p, 0, 1, "2026-03-14T02:05", next_body, &B,
					  &ds), DC_ERR_USAGE);
	CU_ASSERT_EQUAL(dc_x12_file_write(&o, 'P', &p, 1000000000, 1, "2026-03-14T02:05",
					  next_body, &B, &ds), DC_ERR_USAGE);
	CU_ASSERT_EQUAL(dc_x12_file_write(&o, 'P', &p, 1, 1, "2026-13-14T02:05", next_body, &B,
					  &ds), DC_ERR_USAGE);
	B.fail_at = 2;
	B.i = 0;
	CU_ASSERT_EQUAL(dc_x12_file_write(&o, 'P', &p, 1, 1, "2026-03-14T02:05", next_body, &B,
					  &ds), DC_ERR_IO);
	/* no body at all: no claim, no file */
	B.fail_at = 0;
	B.i = B.n;
	CU_ASSERT_EQUAL(dc_x12_file_write(&o, 'P', &p, 1, 1, "2026-03-14T02:05", next_body, &B,
					  &ds), DC_ERR_USAGE);
	CU_ASSERT_EQUAL(o.bytes, 0);
	dc_out_abort(&o);
	bodies_release(&B);
	CU_ASSERT_TRUE(dir_empty());
}

/* Missing data is reported before formatting, naming columns, not values. */
static void test_claim_missing(void)
{
	struct t_enc a;
	char why[128];
	example9(&a, "ENC-MISS");
	CU_ASSERT_PTR_NULL(dc_x12_claim_missing(&a.enc, &a.c, &rules, why, sizeof why));
	a.enc.f[DC_E_MEMBER_ID] = "";
	CU_ASSERT_STRING_EQUAL(dc_x12_claim_missing(&a.enc, &a.c, &rules, why, sizeof why),
			       "member_id is empty");
	example9(&a, "ENC-MISS");
	a.enc.f[DC_E_PAYER_ID] = "NOPE";
	CU_ASSERT_PTR_NOT_NULL(dc_x12_claim_missing(&a.enc, &a.c, &rules, why, sizeof why));
	example9(&a, "ENC-MISS");
	a.enc.ndx = 0;
	CU_ASSERT_PTR_NOT_NULL(dc_x12_claim_missing(&a.enc, &a.c, &rules, why, sizeof why));
	example9(&a, "ENC-MISS");
	a.c.lines[2].line_control = "";
	CU_ASSERT_PTR_NOT_NULL(dc_x12_claim_missing(&a.enc, &a.c, &rules, why, sizeof why));
	example9(&a, "ENC-MISS");
	a.c.lines[2].code = "C9399";      /* an NDC on a code that gets no LIN */
	CU_ASSERT_PTR_NOT_NULL(dc_x12_claim_missing(&a.enc, &a.c, &rules, why, sizeof why));
	example9(&a, "ENC-MISS");
	a.c.lines[2].ndc = "5789400300";
	CU_ASSERT_PTR_NOT_NULL(dc_x12_claim_missing(&a.enc, &a.c, &rules, why, sizeof why));
	example9(&a, "ENC-MISS");
	a.enc.f[DC_E_PATIENT_CITY] = "";
	CU_ASSERT_STRING_EQUAL(dc_x12_claim_missing(&a.enc, &a.c, &rules, why, sizeof why),
			       "patient_city is empty");
	example9(&a, "ENC-MISS");
	a.enc.f[DC_E_SUBSCRIBER_RELATIONSHIP] = "99";
	CU_ASSERT_PTR_NOT_NULL(dc_x12_claim_missing(&a.enc, &a.c, &rules, why, sizeof why));
}

/* More claims than DC_X12_MAX_CLAIMS_PER_ST: a second ST/SE in the same
 * interchange, HL numbering restarting at 1. */
struct many {
	struct dc_buf b;
	size_t i, n;
	struct t_enc *t;
	const struct dc_profile *p;
};

static int next_many(void *ctx, const char **body, size_t *len)
{
	struct many *m = ctx;
	if (m->i == m->n)
		return 0;
	char id[24];
	snprintf(id, sizeof id, "E%zu", m->i++);
	dc_buf_reset(&m->b);
	m->t->c.lines[0].claim_id = id;
	m->t->enc.f[DC_E_ENCOUNTER_ID] = id;
	dc_x12_claim_format(&m->b, &m->t->enc, &m->t->c, m->p, &rules);
	*body = m->b.p;
	*len = m->b.len;
	return 1;
}

static void test_many_claims_split_transactions(void)
{
	struct dc_profile p;
	dc_profile_demo(&p);
	struct t_enc a;
	t_enc_init(&a, "E", 0, "COMMERCIAL");
	t_line(&a, "E", "admin", "96374", "", 1, 100);
	a.c.lines[0].line_control = "L1";
	struct many m = { { 0 }, 0, DC_X12_MAX_CLAIMS_PER_ST + 1, &a, &p };
	dc_buf_init(&m.b);
	struct dc_out o;
	struct dc_diag_sink ds = { NULL, NULL, 0, 0 };
	CU_ASSERT_EQUAL_FATAL(dc_out_open(&o, dir, "837p-000000070.x12", 0600, &ds), 0);
	int rc = dc_x12_file_write(&o, 'P', &p, 70, 70, "2026-03-14T02:05", next_many, &m, &ds);
	CU_ASSERT_EQUAL_FATAL(rc, 0);
	CU_ASSERT_EQUAL_FATAL(dc_out_commit(&o), 0);
	dc_buf_release(&m.b);
	size_t len;
	char *s = slurp("837p-000000070.x12", &len);
	rm("837p-000000070.x12");
	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	struct segs S;
	split(s, &S);
	CU_ASSERT_EQUAL(count_prefix(&S, "ST*837*0001*"), 1);
	CU_ASSERT_EQUAL(count_prefix(&S, "ST*837*0002*"), 1);
	CU_ASSERT_EQUAL(count_prefix(&S, "SE*"), 2);
	CU_ASSERT_EQUAL(count_prefix(&S, "HL*1**20*1"), 2);
	CU_ASSERT_EQUAL(count_prefix(&S, "HL*5001*1*22*0"), 1);
	CU_ASSERT_EQUAL(count_prefix(&S, "CLM*"), DC_X12_MAX_CLAIMS_PER_ST + 1);
	CU_ASSERT_STRING_EQUAL(S.v[S.n - 2], "GE*2*70");
	segs_free(&S);
	free(s);
}

static int setup(void)
{
	snprintf(dir, sizeof dir, "/tmp/dc-x12-test-XXXXXX");
	if (!mkdtemp(dir))
		return -1;
	dc_arena_init(&arena, 1 << 16);
	struct dc_diag_sink ds = { NULL, NULL, 0, 0 };
	have_rules = dc_rules_load(&rules, dc_test_rules_dir(), NULL, &ds) == 0;
	return 0;
}

static int teardown(void)
{
	if (have_rules)
		dc_rules_release(&rules);
	dc_arena_release(&arena);
	return rmdir(dir);
}

int register_x12_837_tests(void)
{
	CU_pSuite s = CU_add_suite("x12_837", setup, teardown);
	if (!s)
		return -1;
	DC_ADD_TEST(s, test_envelope_counts);
	DC_ADD_TEST(s, test_hl_chain);
	DC_ADD_TEST(s, test_clm02_sum_and_amounts);
	DC_ADD_TEST(s, test_ref6r_unique_and_ndc_only_on_drugs);
	DC_ADD_TEST(s, test_51_lines_two_claims);
	DC_ADD_TEST(s, test_separators_replaced);
	DC_ADD_TEST(s, test_clean_follows_profile);
	DC_ADD_TEST(s, test_unlisted_description);
	DC_ADD_TEST(s, test_837i);
	DC_ADD_TEST(s, test_patient_loop_many_dx);
	DC_ADD_TEST(s, test_replacement_claim);
	DC_ADD_TEST(s, test_profile_separators_single_line);
	DC_ADD_TEST(s, test_self_check_catches_corruption);
	DC_ADD_TEST(s, test_failed_check_writes_nothing);
	DC_ADD_TEST(s, test_bad_arguments_and_callback_error);
	DC_ADD_TEST(s, test_claim_missing);
	DC_ADD_TEST(s, test_many_claims_split_transactions);
	return 0;
}
