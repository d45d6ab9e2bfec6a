/* Shared helpers of the CUnit tests: each test_<module>.c registers one suite. */
#ifndef DC_TEST_UNIT_H
#define DC_TEST_UNIT_H

#include <CUnit/CUnit.h>

#define DC_ADD_TEST(suite, fn) \
	do { if (!CU_add_test((suite), #fn, (fn))) return -1; } while (0)

int register_value_tests(void);
int register_arena_tests(void);
int register_buf_tests(void);
int register_input_tests(void);
int register_csv_tests(void);
int register_csv_reader_tests(void);
int register_validate_tests(void);
int register_idset_tests(void);
int register_output_tests(void);
int register_uk_coder_tests(void);
int register_us_coder_tests(void);
int register_x12_837_tests(void);
int register_profile_tests(void);
int register_x12_tests(void);
int register_reconcile_tests(void);
int register_import_asp_tests(void);
int register_xml_reader_tests(void);
int register_ledger_tests(void);

/* The rulesets directory of the source tree (DRIPCODE_RULES in make check). */
const char *dc_test_rules_dir(void);

#endif
