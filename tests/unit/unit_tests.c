/*
 * The CUnit runner. Exits 0 when every test passed, 1 when some failed and
 * 99 on a framework error (never the failure count, which automake would
 * read as SKIP at 77).
 */
#include "tests/unit/unit.h"

#include <CUnit/Basic.h>
#include <stdlib.h>

const char *dc_test_rules_dir(void)
{
	const char *d = getenv("DRIPCODE_RULES");
	return d && *d ? d : "rulesets";
}

int main(void)
{
	if (CU_initialize_registry() != CUE_SUCCESS)
		return 99;
	int (*const suites[])(void) = {
		register_value_tests, register_arena_tests, register_buf_tests,
		register_input_tests, register_csv_tests, register_csv_reader_tests,
		register_validate_tests,
		register_idset_tests, register_output_tests, register_uk_coder_tests,
		register_us_coder_tests, register_x12_837_tests, register_profile_tests,
		register_x12_tests, register_reconcile_tests, register_import_asp_tests,
		register_xml_reader_tests, register_ledger_tests,
	};
	for (size_t i = 0; i < sizeof suites / sizeof *suites; i++)
		if (suites[i]() != 0) {
			CU_cleanup_registry();
			return 99;
		}
	CU_basic_set_mode(CU_BRM_NORMAL);
	CU_basic_run_tests();
	unsigned failed = CU_get_number_of_failures() + CU_get_number_of_tests_failed();
	CU_cleanup_registry();
	return failed ? 1 : 0;
}
