#include "tests/unit/unit.h"
#include "engine/value.h"

#include <string.h>

static void test_dec_parse(void)
{
	struct dc_dec d;
	CU_ASSERT_EQUAL(dc_dec_parse("12", &d), 0);
	CU_ASSERT_EQUAL(d.v, 12 * DC_DEC_SCALE);
	CU_ASSERT_EQUAL(dc_dec_parse("0.25", &d), 0);
	CU_ASSERT_EQUAL(d.v, 250000);
	CU_ASSERT_EQUAL(dc_dec_parse("-1.5", &d), 0);
	CU_ASSERT_EQUAL(d.v, -1500000);
	CU_ASSERT_EQUAL(dc_dec_parse("1.2500000", &d), 0);   /* trailing zeros beyond 6 places */
	CU_ASSERT_EQUAL(dc_dec_parse("1.0000001", &d), -2);
	CU_ASSERT_EQUAL(dc_dec_parse("1e3", &d), -1);
	CU_ASSERT_EQUAL(dc_dec_parse("", &d), -1);
	CU_ASSERT_EQUAL(dc_dec_parse(".", &d), -1);
	CU_ASSERT_EQUAL(dc_dec_parse("99999999999999999999999", &d), -2);
	char buf[32];
	d.v = 250000;
	CU_ASSERT_STRING_EQUAL(dc_dec_format(d, buf, sizeof buf), "0.25");
	d.v = 35 * DC_DEC_SCALE;
	CU_ASSERT_STRING_EQUAL(dc_dec_format(d, buf, sizeof buf), "35");
}

static void test_exact_division(void)
{
	/* 0.25 mg / 25 mcg is exactly 10 */
	struct dc_dec mg, unit;
	dc_dec_parse("0.25", &mg);
	dc_dec_parse("0.025", &unit);   /* 25 mcg in mg */
	CU_ASSERT_EQUAL(dc_dec_ceil_div(mg, unit), 10);
	dc_dec_parse("350", &mg);
	dc_dec_parse("10", &unit);
	CU_ASSERT_EQUAL(dc_dec_ceil_div(mg, unit), 35);
	dc_dec_parse("351", &mg);
	CU_ASSERT_EQUAL(dc_dec_ceil_div(mg, unit), 36);
}

static void test_money(void)
{
	int64_t c;
	char buf[32];
	CU_ASSERT_EQUAL(dc_money_parse("12.5", &c), 0);
	CU_ASSERT_EQUAL(c, 1250);
	CU_ASSERT_EQUAL(dc_money_parse("12.505", &c), -1);
	CU_ASSERT_STRING_EQUAL(dc_money_format(123450, buf, sizeof buf), "1234.50");
	CU_ASSERT_STRING_EQUAL(dc_money_format(5, buf, sizeof buf), "0.05");
}

static void test_dates(void)
{
	int32_t d;
	char buf[16];
	CU_ASSERT_EQUAL(dc_date_parse("2026-03-02", &d), 0);
	CU_ASSERT_STRING_EQUAL(dc_date_format(d, buf, sizeof buf), "2026-03-02");
	CU_ASSERT_EQUAL(dc_date_parse("20260302", &d), 0);
	CU_ASSERT_STRING_EQUAL(dc_date_format(d, buf, sizeof buf), "2026-03-02");
	CU_ASSERT_EQUAL(dc_date_parse("2026-13-40", &d), -1);
	CU_ASSERT_EQUAL(dc_date_parse("2026-02-29", &d), -1);
	CU_ASSERT_EQUAL(dc_date_parse("2024-02-29", &d), 0);
	CU_ASSERT_EQUAL(dc_date_parse("0000-01-01", &d), -1);
	CU_ASSERT_EQUAL(dc_date_parse("9999-12-31", &d), -1);
	CU_ASSERT_EQUAL(dc_date_parse("2026-03-02x", &d), -1);
	CU_ASSERT_EQUAL(dc_date_parse("2026-3-2", &d), -1);
	CU_ASSERT_EQUAL(dc_days_from_civil(1970, 1, 1), 0);
}

static void test_times(void)
{
	struct dc_when w;
	int32_t day = dc_days_from_civil(2026, 3, 2);
	CU_ASSERT_EQUAL(dc_when_parse("09:05", day, &w), 0);
	CU_ASSERT_EQUAL(w.t, (int64_t)day * 86400 + 9 * 3600 + 5 * 60);
	CU_ASSERT(w.time_only);
	CU_ASSERT_EQUAL(dc_when_parse("09:05:30", day, &w), 0);
	CU_ASSERT_EQUAL(w.t % 60, 30);
	CU_ASSERT_EQUAL(dc_when_parse("2026-03-02T23:30", day, &w), 0);
	CU_ASSERT(!w.time_only);
	struct dc_when z;
	CU_ASSERT_EQUAL(dc_when_parse("2026-03-02T23:30+01:00", day, &z), 0);
	CU_ASSERT_EQUAL(w.t - z.t, 3600);
	CU_ASSERT_EQUAL(dc_when_parse("2026-03-02T22:30Z", day, &z), 0);
	CU_ASSERT_EQUAL(w.t - z.t, 3600);
	CU_ASSERT_EQUAL(dc_when_parse("24:00", day, &w), -1);
	CU_ASSERT_EQUAL(dc_when_parse("1234567890", day, &w), -1);
	CU_ASSERT_EQUAL(dc_when_parse("", day, &w), -1);
	CU_ASSERT_EQUAL(dc_when_parse("9:05", day, &w), -1);
}

static void test_identifiers(void)
{
	CU_ASSERT(dc_npi_valid("1234567893"));
	CU_ASSERT(!dc_npi_valid("1234567890"));
	CU_ASSERT(!dc_npi_valid("123456789"));
	CU_ASSERT(!dc_npi_valid("12345678931"));
	CU_ASSERT(dc_icd10_form("K50.90"));
	CU_ASSERT(dc_icd10_form("K5090"));
	CU_ASSERT(dc_icd10_form("C83.30"));
	CU_ASSERT(dc_icd10_form("E86"));
	CU_ASSERT(!dc_icd10_form("K5"));
	CU_ASSERT(!dc_icd10_form("50.90"));
	CU_ASSERT(!dc_icd10_form("K50.9012345"));
	CU_ASSERT(!dc_icd10_form("K5.090"));
	char out[12];
	CU_ASSERT_EQUAL(dc_ndc_normalise("57894-0030-01", out), 0);
	CU_ASSERT_STRING_EQUAL(out, "57894003001");
	CU_ASSERT_EQUAL(dc_ndc_normalise("1234-5678-90", out), 0);   /* 4-4-2 */
	CU_ASSERT_STRING_EQUAL(out, "01234567890");
	CU_ASSERT_EQUAL(dc_ndc_normalise("12345-678-90", out), 0);   /* 5-3-2 */
	CU_ASSERT_STRING_EQUAL(out, "12345067890");
	CU_ASSERT_EQUAL(dc_ndc_normalise("12345-6789-0", out), 0);   /* 5-4-1 */
	CU_ASSERT_STRING_EQUAL(out, "12345678900");
	CU_ASSERT_EQUAL(dc_ndc_normalise("57894003001", out), 0);
	CU_ASSERT_EQUAL(dc_ndc_normalise("578940030", out), -1);      /* 9 digits */
	CU_ASSERT_EQUAL(dc_ndc_normalise("5789400300", out), -1);     /* 10 digits: ambiguous */
	CU_ASSERT_EQUAL(dc_ndc_normalise("123-4567-89", out), -1);
	CU_ASSERT(dc_gmc_form("1234567"));
	CU_ASSERT(!dc_gmc_form("123456"));
	CU_ASSERT(dc_nmc_form("12A3456E"));
	CU_ASSERT(!dc_nmc_form("12A3456"));
	CU_ASSERT(dc_ccsd_form("X3590"));
	CU_ASSERT(!dc_ccsd_form("3590X"));
}

int register_value_tests(void)
{
	CU_pSuite s = CU_add_suite("value", NULL, NULL);
	if (!s)
		return -1;
	DC_ADD_TEST(s, test_dec_parse);
	DC_ADD_TEST(s, test_exact_division);
	DC_ADD_TEST(s, test_money);
	DC_ADD_TEST(s, test_dates);
	DC_ADD_TEST(s, test_times);
	DC_ADD_TEST(s, test_identifiers);
	return 0;
}
