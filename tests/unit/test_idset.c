#include "tests/unit/unit.h"
#include "engine/idset.h"

#include <stdio.h>
#include <string.h>

static int want_all(void *ctx, const char *id)
{
	(void)ctx;
	(void)id;
	return 1;
}

static void collect(void *ctx, const char *id, const struct dc_fragment *f)
{
	char *out = ctx;
	size_t n = strlen(out);
	snprintf(out + n, 256 - n, "%s:%lu-%lu:%c;", id, f->first_line, f->last_line, f->outcome);
}

static void test_contains_and_scan(void)
{
	struct dc_idset s;
	CU_ASSERT_EQUAL_FATAL(dc_idset_init(&s), 0);
	char id[32];
	for (int i = 0; i < 5000; i++) {
		snprintf(id, sizeof id, "E%d", i);
		CU_ASSERT_FALSE(dc_idset_contains(&s, id));
		struct dc_fragment f = { (unsigned long)i * 2 + 2, (unsigned long)i * 2 + 3, 2,
					 'C', 0, 0, 1, 1, 0, 100 };
		CU_ASSERT_EQUAL(dc_idset_add(&s, id, &f), 0);
	}
	CU_ASSERT_TRUE(dc_idset_contains(&s, "E0"));
	CU_ASSERT_TRUE(dc_idset_contains(&s, "E4999"));
	CU_ASSERT_FALSE(dc_idset_contains(&s, "E5000"));
	dc_idset_release(&s);

	CU_ASSERT_EQUAL_FATAL(dc_idset_init(&s), 0);
	struct dc_fragment a = { 2, 3, 2, 'C', 0, 0, 1, 1, 0, 100 };
	struct dc_fragment b = { 4, 4, 1, 'H', 10, 0, 0, 0, 0, 0 };
	dc_idset_add(&s, "A", &a);
	dc_idset_add(&s, "B", &b);
	char out[256] = "";
	dc_idset_scan(&s, want_all, collect, out);
	CU_ASSERT_STRING_EQUAL(out, "A:2-3:C;B:4-4:H;");
	/* emptied for the next input: nothing of the last one is left */
	CU_ASSERT_EQUAL_FATAL(dc_idset_clear(&s), 0);
	CU_ASSERT_FALSE(dc_idset_contains(&s, "A"));
	CU_ASSERT_FALSE(dc_idset_contains(&s, "B"));
	dc_idset_add(&s, "C", &b);
	CU_ASSERT_TRUE(dc_idset_contains(&s, "C"));
	out[0] = '\0';
	dc_idset_scan(&s, want_all, collect, out);
	CU_ASSERT_STRING_EQUAL(out, "C:4-4:H;");
	dc_idset_release(&s);
}

int register_idset_tests(void)
{
	CU_pSuite s = CU_add_suite("idset", NULL, NULL);
	if (!s)
		return -1;
	DC_ADD_TEST(s, test_contains_and_scan);
	return 0;
}
