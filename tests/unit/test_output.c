#include "tests/unit/unit.h"
#include "engine/dc_status.h"
#include "engine/output.h"
#include "engine/stage.h"

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

/* ids of a stage's records, in order, as "a b c" */
static void stage_ids(struct dc_stage *st, char *out, size_t n)
{
	struct dc_stage_iter it;
	const char *id, *p;
	size_t len;
	out[0] = '\0';
	CU_ASSERT_EQUAL_FATAL(dc_stage_rewind(st, &it), 0);
	while (dc_stage_read(st, &it, &id, &p, &len) == 1) {
		CU_ASSERT_EQUAL(len, strlen(id) + 1);   /* each record is its id and '!' */
		size_t k = strlen(out);
		snprintf(out + k, n - k, "%s%s", k ? " " : "", id);
	}
	dc_stage_iter_release(&it);
}

static int not_e(void *ctx, const char *id)
{
	(void)ctx;
	return strcmp(id, "e") != 0;
}

static int seen(void *ctx, const char *id, const char *p, size_t n)
{
	(void)p;
	(void)n;
	char *got = ctx;
	size_t k = strlen(got);
	snprintf(got + k, 16 - k, "%s", id);
	return 0;
}

static void put(struct dc_stage *st, const char *id)
{
	char rec[16];
	snprintf(rec, sizeof rec, "%s!", id);
	CU_ASSERT_EQUAL(dc_stage_put(st, id, rec, strlen(rec)), 0);
}

/* Records after a mark are filtered in place; those before stay; more can follow. */
static void test_stage_filter_since(void)
{
	struct dc_stage st;
	char ids[64], got[16] = "";
	CU_ASSERT_EQUAL_FATAL(dc_stage_open(&st), 0);
	put(&st, "a");
	put(&st, "e");
	struct dc_stage_mark m = dc_stage_tell(&st);
	CU_ASSERT_EQUAL(m.records, 2);
	put(&st, "d");
	put(&st, "e");
	put(&st, "f");
	CU_ASSERT_EQUAL(dc_stage_filter_since(&st, m, not_e, NULL, seen, got), 0);
	CU_ASSERT_STRING_EQUAL(got, "df");
	CU_ASSERT_EQUAL(st.records, 4);
	put(&st, "g");
	stage_ids(&st, ids, sizeof ids);
	CU_ASSERT_STRING_EQUAL(ids, "a e d f g");
	/* no filter: every record seen, nothing moved */
	got[0] = '\0';
	CU_ASSERT_EQUAL(dc_stage_filter_since(&st, m, NULL, NULL, seen, got), 0);
	CU_ASSERT_STRING_EQUAL(got, "dfg");
	put(&st, "h");
	stage_ids(&st, ids, sizeof ids);
	CU_ASSERT_STRING_EQUAL(ids, "a e d f g h");
	dc_stage_close(&st);
}

/*
 * A second reader of a written stage sees every record, whole, in order,
 * while dc_stage_read goes through the same stage: records of 1 byte to
 * 300 KiB, so that its buffer is refilled, compacted and grown.
 */
static void test_stage_second_reader(void)
{
	struct dc_stage st;
	CU_ASSERT_EQUAL_FATAL(dc_stage_open(&st), 0);
	enum { N = 400 };
	char *rec = malloc(300 * 1024 + 1);
	CU_ASSERT_PTR_NOT_NULL_FATAL(rec);
	char id[16];
	for (int i = 0; i < N; i++) {
		size_t n = i % 50 == 49 ? 300 * 1024 : (size_t)(i * 37 % 3000) + 1;
		memset(rec, 'a' + i % 26, n);
		snprintf(id, sizeof id, "E%d", i);
		CU_ASSERT_EQUAL(dc_stage_put(&st, id, rec, n), 0);
	}
	struct dc_stage_iter it;
	CU_ASSERT_EQUAL_FATAL(dc_stage_rewind(&st, &it), 0);
	struct dc_stage_reader rd;
	dc_stage_reader_init(&rd, &st);
	int good = 0, same = 0;
	for (int i = 0; i < N; i++) {
		size_t want = i % 50 == 49 ? 300 * 1024 : (size_t)(i * 37 % 3000) + 1;
		char *p;
		size_t n;
		const char *sid, *sp;
		size_t sn;
		/* the two readers alternate: neither moves the other */
		if (dc_stage_reader_next(&rd, &p, &n) != 1 ||
		    dc_stage_read(&st, &it, &sid, &sp, &sn) != 1)
			break;
		int ok = n == want;
		for (size_t k = 0; ok && k < n; k++)
			ok = p[k] == 'a' + i % 26;
		good += ok;
		same += sn == n && memcmp(sp, p, n) == 0;
	}
	CU_ASSERT_EQUAL(good, N);
	CU_ASSERT_EQUAL(same, N);
	char *p;
	size_t n;
	CU_ASSERT_EQUAL(dc_stage_reader_next(&rd, &p, &n), 0);
	dc_stage_reader_release(&rd);
	/* a stage shorter than its records: an error, not a record */
	dc_stage_reader_init(&rd, &st);
	rd.records++;
	int got = 0, rc;
	while ((rc = dc_stage_reader_next(&rd, &p, &n)) == 1)
		got++;
	CU_ASSERT_EQUAL(got, N);
	CU_ASSERT(rc < 0);
	dc_stage_reader_release(&rd);
	dc_stage_iter_release(&it);
	dc_stage_close(&st);
	free(rec);
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
	DC_ADD_TEST(s, test_stage_filter_since);
	DC_ADD_TEST(s, test_stage_second_reader);
	return 0;
}
