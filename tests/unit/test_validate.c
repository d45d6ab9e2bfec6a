#include "tests/unit/unit.h"
#include "engine/validate.h"
#include "parsers/dc_reader.h"

#include <string.h>

static const char header[] =
	"encounter_id,service_date,patient_id,patient_last_name,patient_first_name,patient_dob,"
	"patient_address,patient_city,patient_state,patient_postcode,payer_id,member_id,"
	"diagnosis_codes,rendering_provider_id,rendering_provider_name,item_type,code,ndc,dose,"
	"dose_unit,start_time,stop_time\n";

/* Validates the first encounter of header + |rows|; returns its hold. */
static enum dc_hold validate(const char *rows, char *reason, size_t cap)
{
	static struct dc_rules rules;
	static int loaded;
	if (!loaded) {
		CU_ASSERT_EQUAL_FATAL(dc_rules_load(&rules, dc_test_rules_dir(), NULL, NULL), 0);
		loaded = 1;
	}
	char src[4096];
	snprintf(src, sizeof src, "%s%s", header, rows);
	struct dc_input in;
	struct dc_arena a;
	struct dc_encounter enc;
	struct dc_reject_sink rs = { NULL, NULL };
	dc_input_open_mem(&in, "t.csv", src, strlen(src), 0, NULL);
	dc_arena_init(&a, 0);
	struct dc_reader *r = dc_csv_reader_new(&in, ',', NULL, NULL, rs);
	CU_ASSERT_PTR_NOT_NULL_FATAL(r);
	CU_ASSERT_EQUAL_FATAL(r->ops->next(r, &enc, &a), 1);
	dc_encounter_validate(&enc, &rules, DC_SCHEME_US, &a);
	snprintf(reason, cap, "%s", enc.hold_reason ? enc.hold_reason : "");
	enum dc_hold h = enc.hold;
	r->ops->free(r);
	dc_arena_release(&a);
	dc_input_close(&in);
	return h;
}

#define GOOD_ENC "E1,2026-03-02,P1,DOE,JANE,1961-04-09,1 MAIN ST,SPRINGFIELD,IL,62701,MEDICARE,M1,"

static void test_valid(void)
{
	char why[1024];
	CU_ASSERT_EQUAL(validate(GOOD_ENC "K50.90,1234567893,\"SMITH, ANNA\",drug,J1745,"
				 "57894-0030-01,350,mg,09:00,11:10\n", why, sizeof why),
			DC_HOLD_NONE);
	CU_ASSERT_STRING_EQUAL(why, "");
}

static void test_invalid_fields_named(void)
{
	char why[1024];
	CU_ASSERT_EQUAL(validate("E1,2026-13-40,P1,DOE,JANE,1961-04-09,1 MAIN ST,SPRINGFIELD,IL,"
				 "62701,MEDICARE,M1,K50.90,1234567893,\"SMITH, ANNA\",drug,J1745,,"
				 "350,mg,09:00,11:10\n", why, sizeof why),
			DC_HOLD_INVALID_FIELD);
	CU_ASSERT_PTR_NOT_NULL(strstr(why, "service_date '2026-13-40'"));
	CU_ASSERT_EQUAL(validate(GOOD_ENC "K50.90,1234567890,\"SMITH, ANNA\",drug,J1745,,350,mg,"
				 "09:00,11:10\n", why, sizeof why),
			DC_HOLD_INVALID_FIELD);
	CU_ASSERT_PTR_NOT_NULL(strstr(why, "rendering_provider_id '1234567890'"));
	CU_ASSERT_EQUAL(validate(GOOD_ENC "K50.90,1234567893,\"SMITH, ANNA\",drug,J1745,"
				 "578940030,350,mg,09:00,11:10\n", why, sizeof why),
			DC_HOLD_INVALID_FIELD);
	CU_ASSERT_PTR_NOT_NULL(strstr(why, "ndc '578940030'"));
	CU_ASSERT_EQUAL(validate(GOOD_ENC "K50.90,1234567893,\"SMITH, ANNA\",drug,J1745,,-5,mg,"
				 "09:00,11:10\n", why, sizeof why),
			DC_HOLD_INVALID_FIELD);
	CU_ASSERT_PTR_NOT_NULL(strstr(why, "dose '-5'"));
	CU_ASSERT_EQUAL(validate(GOOD_ENC "5090,1234567893,\"SMITH, ANNA\",drug,J1745,,5,mg,"
				 "09:00,11:10\n", why, sizeof why),
			DC_HOLD_INVALID_FIELD);
	CU_ASSERT_PTR_NOT_NULL(strstr(why, "diagnosis_codes '5090'"));
	CU_ASSERT_EQUAL(validate(GOOD_ENC "K50.90,1234567893,\"SMITH, ANNA\",drug,J1745,,5,mg,"
				 "9:00,11:10\n", why, sizeof why),
			DC_HOLD_INVALID_FIELD);
	CU_ASSERT_PTR_NOT_NULL(strstr(why, "start_time '9:00'"));
}

static void test_phi_withheld(void)
{
	char why[1024];
	CU_ASSERT_EQUAL(validate("E1,2026-03-02,P1,DOE,JANE,1961-02-30,1 MAIN ST,SPRINGFIELD,IL,"
				 "62701,MEDICARE,M1,K50.90,1234567893,\"SMITH, ANNA\",drug,J1745,,"
				 "350,mg,09:00,11:10\n", why, sizeof why),
			DC_HOLD_INVALID_FIELD);
	CU_ASSERT_PTR_NOT_NULL(strstr(why, "patient_dob"));
	CU_ASSERT_PTR_NULL(strstr(why, "1961"));
}

static void test_documentation_and_eligibility(void)
{
	char why[1024];
	CU_ASSERT_EQUAL(validate("E1,2026-03-02,P1,DOE,JANE,1961-04-09,1 MAIN ST,SPRINGFIELD,,"
				 "62701,MEDICARE,M1,K50.90,1234567893,\"SMITH, ANNA\",drug,J1745,,"
				 "350,mg,09:00,11:10\n", why, sizeof why),
			DC_HOLD_DOCUMENTATION);
	CU_ASSERT_PTR_NOT_NULL(strstr(why, "patient_state is missing"));
	CU_ASSERT_EQUAL(validate("E1,2026-03-02,P1,DOE,JANE,1961-04-09,1 MAIN ST,SPRINGFIELD,IL,"
				 "62701,MCR-XX,M1,K50.90,1234567893,\"SMITH, ANNA\",drug,J1745,,"
				 "350,mg,09:00,11:10\n", why, sizeof why),
			DC_HOLD_ELIGIBILITY);
	CU_ASSERT_PTR_NOT_NULL(strstr(why, "'MCR-XX'"));
}

int register_validate_tests(void)
{
	CU_pSuite s = CU_add_suite("validate", NULL, NULL);
	if (!s)
		return -1;
	DC_ADD_TEST(s, test_valid);
	DC_ADD_TEST(s, test_invalid_fields_named);
	DC_ADD_TEST(s, test_phi_withheld);
	DC_ADD_TEST(s, test_documentation_and_eligibility);
	return 0;
}
