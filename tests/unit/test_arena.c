#include "tests/unit/unit.h"
#include "engine/arena.h"

#include <stdint.h>
#include <string.h>

static void test_alloc_aligned_zeroed(void)
{
	struct dc_arena a;
	dc_arena_init(&a, 1024);
	for (int i = 0; i < 100; i++) {
		unsigned char *p = dc_arena_alloc(&a, (size_t)i + 1);
		CU_ASSERT_EQUAL((uintptr_t)p % 16, 0);
		for (int k = 0; k <= i; k++)
			CU_ASSERT_EQUAL(p[k], 0);
		memset(p, 0xAB, (size_t)i + 1);
	}
	char *big = dc_arena_alloc(&a, 100000);   /* larger than a block */
	memset(big, 1, 100000);
	CU_ASSERT_STRING_EQUAL(dc_arena_printf(&a, "%s-%d", "x", 7), "x-7");
	CU_ASSERT_STRING_EQUAL(dc_arena_strndup(&a, "abcdef", 3), "abc");
	dc_arena_release(&a);
}

static void test_reset_keeps_one_block(void)
{
	struct dc_arena a;
	dc_arena_init(&a, 4096);
	for (int round = 0; round < 50; round++) {
		for (int i = 0; i < 100; i++)
			dc_arena_alloc(&a, 200);
		dc_arena_reset(&a);
		CU_ASSERT_EQUAL(a.used_total, 0);
		CU_ASSERT_EQUAL(dc_arena_blocks(&a), 1);
	}
	CU_ASSERT(a.peak >= 100 * 208);
	dc_arena_release(&a);
}

int register_arena_tests(void)
{
	CU_pSuite s = CU_add_suite("arena", NULL, NULL);
	if (!s)
		return -1;
	DC_ADD_TEST(s, test_alloc_aligned_zeroed);
	DC_ADD_TEST(s, test_reset_keeps_one_block);
	return 0;
}
