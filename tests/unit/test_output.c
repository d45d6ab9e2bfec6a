#include "tests/unit/unit.h"
#include "engine/dc_status.h"
#include "engine/output.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char dir[64];

static int exists(const char *name)
{
	char p[256];
	snprintf(p, sizeof p, "%s/%s", dir, name);
	return access(p, F_OK) == 0;
}

static int count_entries(void)
{
	char cmd[128];
	snprintf(cmd, sizeof cmd, "test $(ls -A %s | wc -l) -eq 0", dir);
	return system(cmd) == 0 ? 0 : 1;
}

static void test_commit_renames(void)
{
	struct dc_out o;
	CU_ASSERT_EQUAL_FATAL(dc_out_open(&o, dir, "a.csv", 0600, NULL), 0);
	dc_out_puts(&o, "hello\n");
	CU_ASSERT_FALSE(exists("a.csv"));     /* only the temporary name so far */
	CU_ASSERT_EQUAL(dc_out_commit(&o), 0);
	CU_ASSERT_TRUE(exists("a.csv"));
	char p[256];
	struct stat st;
	snprintf(p, sizeof p, "%s/a.csv", dir);
	CU_ASSERT_EQUAL(stat(p, &st), 0);
	CU_ASSERT_EQUAL(st.st_mode & 0777, 0600);
	CU_ASSERT_EQUAL(st.st_size, 6);
	unlink(p);
}

static void test_abort_leaves_nothing(void)
{
	struct dc_out o;
	CU_ASSERT_EQUAL_FATAL(dc_out_open(&o, dir, "b.csv", 0600, NULL), 0);
	dc_out_puts(&o, "x");
	dc_out_abort(&o);
	CU_ASSERT_EQUAL(count_entries(), 0);
}

static const char *fail_op;
static int fail_at(const char *op, const char *path)
{
	(void)path;
	return fail_op && !strcmp(op, fail_op) ? ENOSPC : 0;
}

static void test_failures_leave_nothing(void)
{
	const char *ops[] = { "write", "fsync", "rename" };
	dc_out_fail_hook = fail_at;
	for (size_t i = 0; i < 3; i++) {
		fail_op = ops[i];
		struct dc_out o;
		struct dc_diag_sink ds = { NULL, NULL, 0, 0 };
		CU_ASSERT_EQUAL_FATAL(dc_out_open(&o, dir, "c.csv", 0600, &ds), 0);
		dc_out_puts(&o, "data\n");
		CU_ASSERT_EQUAL(dc_out_commit(&o), DC_ERR_IO);
		CU_ASSERT_EQUAL(ds.nerrors, 1);
		CU_ASSERT_EQUAL(count_entries(), 0);
	}
	dc_out_fail_hook = NULL;
	fail_op = NULL;
}

static int setup(void)
{
	snprintf(dir, sizeof dir, "/tmp/dc-out-test-XXXXXX");
	return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void)
{
	return rmdir(dir);
}

int register_output_tests(void)
{
	CU_pSuite s = CU_add_suite("output", setup, teardown);
	if (!s)
		return -1;
	DC_ADD_TEST(s, test_commit_renames);
	DC_ADD_TEST(s, test_abort_leaves_nothing);
	DC_ADD_TEST(s, test_failures_leave_nothing);
	return 0;
}
