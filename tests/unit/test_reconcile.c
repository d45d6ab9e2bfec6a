/*
 * Reconciliation rules: CARC / UK reason categories, the status of a claim
 * from its remittances in payment-date order, and one whole run applied
 * twice to the same ledger (nothing changes).
 */
#include "tests/unit/unit.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "engine/dc_status.h"
#include "engine/reconcile.h"
#include "rulesets/dc_rules.h"

int register_reconcile_tests(void);

static struct dc_rules rules;
static int have_rules;

static int suite_init(void)
{
	have_rules = dc_rules_load(&rules, dc_test_rules_dir(), NULL, NULL) == 0;
	return 0;
}

static int suite_clean(void)
{
	dc_rules_release(&rules);
	return 0;
}

static void check_cat(char kind, const char *grp, const char *reason, const char *rarcs,
		      int uk_status, const char *want, int want_denial)
{
	int denial = -1;
	const char *cat = dc_recon_category(&rules, kind, grp, reason, rarcs, uk_status, &denial);
	CU_ASSERT_STRING_EQUAL(cat, want);
	CU_ASSERT_EQUAL(denial, want_denial);
}

static void test_categories(void)
{
	CU_ASSERT_TRUE_FATAL(have_rules);
	check_cat('X', "CO", "197", "", 0, "preauth", 1);
	check_cat('X', "CO", "16", "N1;M119", 0, "drug_coding", 1);
	check_cat('X', "CO", "16", "", 0, "documentation", 1);
	check_cat('X', "CO", "18", "", 0, "duplicate", 1);
	check_cat('X', "CO", "29", "", 0, "timely_filing", 1);
	check_cat('X', "CO", "50", "", 0, "medical_necessity", 1);
	check_cat('X', "CO", "97", "", 0, "bundling", 1);
	check_cat('X', "OA", "B15", "", 0, "bundling", 1);
	check_cat('X', "CO", "45", "", 0, "contractual", 0);
	check_cat('X', "OA", "23", "", 0, "contractual", 0);
	check_cat('X', "PR", "2", "", 0, "patient_responsibility", 0);
	check_cat('X', "PR", "204", "", 0, "patient_responsibility", 0);
	check_cat('X', "CO", "ZZ9", "", 0, "other", 1);
	check_cat('U', "UK", "PA01", "", 3, "preauth", 1);
	check_cat('U', "UK", "DC02", "", 3, "drug_coding", 1);
	check_cat('U', "UK", "SF01", "", 2, "none", 0);
	check_cat('U', "UK", "", "", 3, "other", 1);
	check_cat('U', "UK", "", "", 1, "none", 0);
}

static struct dc_recon_verdict V(int64_t paid, int reversal, int claim_denied, int any_denial,
				 size_t nlines, size_t ndenied, const char *pcn)
{
	struct dc_recon_verdict v = { reversal, claim_denied, any_denial, nlines, ndenied, paid,
				      pcn, 0 };
	return v;
}

static void test_status(void)
{
	struct dc_recon_verdict v[4];
	CU_ASSERT_EQUAL(dc_recon_status_of(v, 0), DC_RECON_PENDING);
	/* paid with contractual and PR adjustments only */
	v[0] = V(5000, 0, 0, 0, 1, 0, "A");
	CU_ASSERT_EQUAL(dc_recon_status_of(v, 1), DC_RECON_PAID);
	/* nothing paid, all PR (deductible): not a denial */
	v[0] = V(0, 0, 0, 0, 1, 0, "A");
	CU_ASSERT_EQUAL(dc_recon_status_of(v, 1), DC_RECON_PAID);
	/* one of two lines denied, something paid */
	v[0] = V(20000, 0, 0, 1, 2, 1, "A");
	CU_ASSERT_EQUAL(dc_recon_status_of(v, 1), DC_RECON_PARTIAL);
	/* CLP02 4 */
	v[0] = V(0, 0, 1, 1, 0, 0, "A");
	CU_ASSERT_EQUAL(dc_recon_status_of(v, 1), DC_RECON_DENIED);
	/* every line denied */
	v[0] = V(0, 0, 0, 1, 2, 2, "A");
	CU_ASSERT_EQUAL(dc_recon_status_of(v, 1), DC_RECON_DENIED);
	/* paid, then reversed */
	v[0] = V(10000, 0, 0, 0, 1, 0, "A");
	v[1] = V(-10000, 1, 0, 0, 1, 0, "A");
	CU_ASSERT_EQUAL(dc_recon_status_of(v, 2), DC_RECON_REVERSED);
	CU_ASSERT_FALSE(v[0].active);
	/* paid, reversed, paid again (corrected) */
	v[2] = V(11000, 0, 0, 0, 1, 0, "B");
	CU_ASSERT_EQUAL(dc_recon_status_of(v, 3), DC_RECON_PAID);
	CU_ASSERT_TRUE(v[2].active);
	/* two partial payments add up; the reversal cancels the one it names */
	v[0] = V(20000, 0, 0, 0, 1, 0, "A");
	v[1] = V(3000, 0, 0, 1, 1, 1, "B");
	v[2] = V(-3000, 1, 0, 0, 1, 0, "B");
	CU_ASSERT_EQUAL(dc_recon_status_of(v, 3), DC_RECON_PAID);
	CU_ASSERT_TRUE(v[0].active);
	CU_ASSERT_FALSE(v[1].active);
	CU_ASSERT_STRING_EQUAL(dc_recon_status_name(DC_RECON_PARTIAL), "partial");
}

/* ---- a whole run, twice ---- */

static void write_file(const char *path, const char *s)
{
	FILE *f = fopen(path, "w");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	fputs(s, f);
	fclose(f);
}

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	if (!f)
		return NULL;
	static char buf[8192];
	size_t n = fread(buf, 1, sizeof buf - 1, f);
	buf[n] = '\0';
	fclose(f);
	return strdup(buf);
}

static void quiet(void *ctx, const struct dc_diag *d)
{
	(void)ctx;
	(void)d;
}

static const char c837[] =
	"ISA*00*          *00*          *ZZ*A              *ZZ*B              *260301*0200*^*00501*000000042*0*T*:~"
	"GS*HC*A*B*20260301*0200*42*X*005010X222A1~ST*837*0001*005010X222A1~"
	"NM1*85*2*CLINIC*****XX*1234567893~HL*2*1*22*0~NM1*PR*2*PAYER*****PI*87726~"
	"CLM*C1*350***11:B:1*Y*A*Y*Y~LX*1~SV1*HC:96365*250*UN*1***1~DTP*472*D8*20260202~"
	"REF*6R*C1-1~LX*2~SV1*HC:96361*100*UN*1***1~DTP*472*D8*20260202~"
	"CLM*C2*80***11:B:1*Y*A*Y*Y~LX*1~SV1*HC:96372*80*UN*1***1~DTP*472*D8*20260203~"
	"SE*15*0001~GE*1*42~IEA*1*000000042~";
static const char e835[] =
	"ISA*00*          *00*          *ZZ*87726          *ZZ*B              *260301*0200*^*00501*000000101*0*T*:~"
	"GS*HP*87726*B*20260220*0200*101*X*005010X221A1~ST*835*0001~"
	"BPR*I*200*C*ACH*CCP*01*1*DA*1*1**01*1*DA*1*20260220~TRN*1*EFT-1*1870000001~"
	"LX*1~CLP*C1*1*350*200**12*PCN1~SVC*HC:96365*250*200**1~CAS*CO*45*50~REF*6R*C1-1~"
	"SVC*HC:96361*100*0**1~CAS*CO*97*100~SE*12*0001~GE*1*101~IEA*1*000000101~";

static void test_run_twice(void)
{
	char dir[] = "/tmp/dc-recon-unit.XXXXXX";
	CU_ASSERT_PTR_NOT_NULL_FATAL(mkdtemp(dir));
	char p837[256], p835[256], ledger[256], out1[256], out2[256], f[300];
	snprintf(p837, sizeof p837, "%s/c.837", dir);
	snprintf(p835, sizeof p835, "%s/e.835", dir);
	snprintf(ledger, sizeof ledger, "%s/l.sqlite", dir);
	snprintf(out1, sizeof out1, "%s/o1", dir);
	snprintf(out2, sizeof out2, "%s/o2", dir);
	write_file(p837, c837);
	write_file(p835, e835);
	char *claims[] = { p837 }, *remits[] = { p835, p835 };
	struct dc_reconcile_opts o;
	memset(&o, 0, sizeof o);
	o.ledger_path = ledger;
	o.claims = claims;
	o.nclaims = 1;
	o.remits = remits;
	o.nremits = 1;
	o.out_dir = out1;
	o.rules_dir = dc_test_rules_dir();
	o.now = "2026-03-10T08:00";
	struct dc_diag_sink ds = { quiet, NULL, 0, 0 };
	struct dc_reconcile_result res;
	CU_ASSERT_EQUAL(dc_reconcile(&o, &ds, &res), 0);
	CU_ASSERT_EQUAL(res.remittances_applied, 1);
	CU_ASSERT_EQUAL(res.partial, 1);
	CU_ASSERT_EQUAL(res.pending, 1);
	CU_ASSERT_EQUAL(res.audit_flagged, 1);   /* bundling: 1 of 1 adjudicated */
	/* again, and the file twice in one run: nothing is applied */
	o.out_dir = out2;
	o.nremits = 2;
	CU_ASSERT_EQUAL(dc_reconcile(&o, &ds, &res), 0);
	CU_ASSERT_EQUAL(res.remittances_applied, 0);
	CU_ASSERT_EQUAL(res.remittances_skipped, 2);
	static const char *const files[] = { "reconciliation.csv", "reconciliation-lines.csv",
					     "audit.csv", "unmatched-remittances.csv" };
	for (size_t i = 0; i < sizeof files / sizeof *files; i++) {
		snprintf(f, sizeof f, "%s/%s", out1, files[i]);
		char *a = slurp(f);
		snprintf(f, sizeof f, "%s/%s", out2, files[i]);
		char *b = slurp(f);
		CU_ASSERT_PTR_NOT_NULL(a);
		CU_ASSERT_PTR_NOT_NULL(b);
		if (a && b)
			CU_ASSERT_STRING_EQUAL(a, b);
		if (i == 0 && a)
			CU_ASSERT_PTR_NOT_NULL(strstr(a, "C1,C1,US,87726,2026-02-02,350.00,200.00,0.00,"
							 "150.00,partial,bundling,CO-45;CO-97,EFT-1,"));
		free(a);
		free(b);
	}
	/* the output directory must be empty: nothing done */
	CU_ASSERT_EQUAL(dc_reconcile(&o, &ds, &res), DC_ERR_USAGE);
	CU_ASSERT_TRUE(res.config_error);
	/* the tables' layout is recorded; a later one is refused, not written over */
	sqlite3 *db = NULL;
	CU_ASSERT_EQUAL_FATAL(sqlite3_open(ledger, &db), SQLITE_OK);
	CU_ASSERT_EQUAL(sqlite3_exec(db, "UPDATE meta SET value = '9' WHERE key = 'recon_schema'",
				     NULL, NULL, NULL), SQLITE_OK);
	CU_ASSERT_EQUAL(sqlite3_changes(db), 1);
	sqlite3_close(db);
	snprintf(out2, sizeof out2, "%s/o3", dir);
	o.out_dir = out2;
	CU_ASSERT_EQUAL(dc_reconcile(&o, &ds, &res), DC_ERR_IO);
	CU_ASSERT_TRUE(res.output_failed);
	CU_ASSERT_EQUAL(res.remittances_applied + res.remittances_skipped, 0);
	char cmd[600];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	CU_ASSERT_EQUAL(system(cmd), 0);
}

int register_reconcile_tests(void)
{
	CU_pSuite s = CU_add_suite("reconcile", suite_init, suite_clean);
	if (!s)
		return -1;
	DC_ADD_TEST(s, test_categories);
	DC_ADD_TEST(s, test_status);
	DC_ADD_TEST(s, test_run_twice);
	return 0;
}
