#include "tests/unit/unit.h"
#include "engine/dc_status.h"
#include "engine/ledger.h"

#include <sqlite3.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char dir[64];

static void path(char *out, size_t n, const char *name)
{
	snprintf(out, n, "%s/%s", dir, name);
}

static void test_control_numbers_and_claims(void)
{
	char p[128];
	path(p, sizeof p, "a.sqlite");
	struct dc_ledger *l;
	CU_ASSERT_EQUAL_FATAL(dc_ledger_open(&l, p, 0, 0600, NULL), 0);
	long isa, gs;
	int64_t file;
	/* numbers advance and shard 2 of 3 takes only numbers congruent to 2 */
	CU_ASSERT_EQUAL(dc_ledger_file_begin(l), 0);
	CU_ASSERT_EQUAL(dc_ledger_next_control(l, "K", 0, 1, &isa, &gs), 0);
	CU_ASSERT_EQUAL(isa, 1);
	CU_ASSERT_EQUAL(dc_ledger_add_claim(l, "LONGENC-0123456789ab", "1999999992", "US",
					    "LONG-ENCOUNTER-ID-NUMBER-ONE", "MEDICARE", "2026-03-02",
					    12345, "1"), 0);
	CU_ASSERT_EQUAL(dc_ledger_add_line(l, "LONGENC-0123456789ab", 1, "96413", "", "1", 45000,
					   "LONGENC-0123456789ab-1"), 0);
	CU_ASSERT_EQUAL(dc_ledger_file_commit(l, "837P", "/x/837p-1.x12", "/x/.tmp", isa, &file), 0);
	CU_ASSERT_EQUAL(dc_ledger_file_begin(l), 0);
	CU_ASSERT_EQUAL(dc_ledger_next_control(l, "K", 2, 3, &isa, &gs), 0);
	CU_ASSERT_EQUAL(isa % 3, 2);
	CU_ASSERT(isa > 1);
	dc_ledger_file_rollback(l);
	/* the encounter is known; a derived id taken by another encounter is found */
	CU_ASSERT_EQUAL(dc_ledger_billed(l, "1999999992", "US", "LONG-ENCOUNTER-ID-NUMBER-ONE"), 1);
	CU_ASSERT_EQUAL(dc_ledger_billed(l, "1999999992", "UK", "LONG-ENCOUNTER-ID-NUMBER-ONE"), 0);
	CU_ASSERT_TRUE(dc_ledger_claim_taken(l, "LONGENC-0123456789ab", "1999999992",
					     "LONG-ENCOUNTER-ID-NUMBER-TWO"));
	CU_ASSERT_FALSE(dc_ledger_claim_taken(l, "LONGENC-0123456789ab", "1999999992",
					      "LONG-ENCOUNTER-ID-NUMBER-ONE"));
	dc_ledger_close(l);
	unlink(p);
	char x[160];
	snprintf(x, sizeof x, "%s.lock", p);
	unlink(x);
	snprintf(x, sizeof x, "%s-wal", p);
	unlink(x);
	snprintf(x, sizeof x, "%s-shm", p);
	unlink(x);
}

static void remove_ledger(const char *p)
{
	char x[160];
	unlink(p);
	const char *suffix[] = { ".lock", "-wal", "-shm" };
	for (int i = 0; i < 3; i++) {
		snprintf(x, sizeof x, "%s%s", p, suffix[i]);
		unlink(x);
	}
}

/* Each claim and encounter names the file it went out in. */
static void test_claims_name_their_file(void)
{
	char p[128];
	path(p, sizeof p, "files.sqlite");
	struct dc_ledger *l;
	CU_ASSERT_EQUAL_FATAL(dc_ledger_open(&l, p, 0, 0600, NULL), 0);
	int64_t file[2];
	const char *claim[2] = { "CLAIM-A", "CLAIM-B" };
	for (int i = 0; i < 2; i++) {
		long isa, gs;
		CU_ASSERT_EQUAL(dc_ledger_file_begin(l), 0);
		CU_ASSERT_EQUAL(dc_ledger_next_control(l, "F", 0, 1, &isa, &gs), 0);
		CU_ASSERT_EQUAL(dc_ledger_add_claim(l, claim[i], "1999999992", "US", claim[i],
						    "MEDICARE", "2026-03-02", 100, "1"), 0);
		CU_ASSERT_EQUAL(dc_ledger_add_line(l, claim[i], 1, "96365", "", "1", 100, "x-1"), 0);
		CU_ASSERT_EQUAL(dc_ledger_file_commit(l, "837P", i ? "/x/b.x12" : "/x/a.x12", "/x/.t",
						      isa, &file[i]), 0);
	}
	CU_ASSERT_NOT_EQUAL(file[0], file[1]);
	sqlite3_stmt *st;
	CU_ASSERT_EQUAL_FATAL(sqlite3_prepare_v2(dc_ledger_db(l),
		"SELECT c.file_id, e.file_id, f.state, f.path FROM claims c"
		" JOIN encounters e ON e.encounter_id = c.encounter_id"
		" JOIN files f ON f.id = c.file_id WHERE c.claim_id = ?", -1, &st, NULL), SQLITE_OK);
	for (int i = 0; i < 2; i++) {
		sqlite3_bind_text(st, 1, claim[i], -1, SQLITE_STATIC);
		CU_ASSERT_EQUAL_FATAL(sqlite3_step(st), SQLITE_ROW);
		CU_ASSERT_EQUAL(sqlite3_column_int64(st, 0), file[i]);
		CU_ASSERT_EQUAL(sqlite3_column_int64(st, 1), file[i]);
		CU_ASSERT_STRING_EQUAL((const char *)sqlite3_column_text(st, 2), "pending");
		CU_ASSERT_STRING_EQUAL((const char *)sqlite3_column_text(st, 3),
				       i ? "/x/b.x12" : "/x/a.x12");
		sqlite3_reset(st);
	}
	sqlite3_finalize(st);
	dc_ledger_close(l);
	remove_ledger(p);
}

/* The numbers a writer works out ahead are those the ledger then reserves. */
static void test_peek_control(void)
{
	char p[128];
	path(p, sizeof p, "peek.sqlite");
	struct dc_ledger *l;
	CU_ASSERT_EQUAL_FATAL(dc_ledger_open(&l, p, 0, 0600, NULL), 0);
	const int shards[][2] = { { 0, 1 }, { 2, 3 }, { 3, 3 } };
	for (size_t s = 0; s < 3; s++) {
		long want_isa = 0, want_gs = 0;
		for (int file = 0; file < 4; file++) {
			long isa, gs;
			CU_ASSERT_EQUAL(dc_ledger_peek_control(l, "P", shards[s][0], shards[s][1],
							       want_isa, want_gs, &want_isa,
							       &want_gs), 0);
			CU_ASSERT_EQUAL(dc_ledger_file_begin(l), 0);
			CU_ASSERT_EQUAL(dc_ledger_next_control(l, "P", shards[s][0], shards[s][1],
							       &isa, &gs), 0);
			CU_ASSERT_EQUAL(isa, want_isa);
			CU_ASSERT_EQUAL(gs, want_gs);
			int64_t id;
			CU_ASSERT_EQUAL(dc_ledger_file_commit(l, "837P", "/x/p.x12", "/x/.p", isa, &id),
					0);
		}
	}
	dc_ledger_close(l);
	remove_ledger(p);
}

/* reconcile reads a claim's lines by claim row: that must not scan them all */
static void test_lines_by_claim_indexed(void)
{
	char p[128];
	path(p, sizeof p, "plan.sqlite");
	struct dc_ledger *l;
	CU_ASSERT_EQUAL_FATAL(dc_ledger_open(&l, p, 0, 0600, NULL), 0);
	sqlite3_stmt *st;
	CU_ASSERT_EQUAL_FATAL(sqlite3_prepare_v2(dc_ledger_db(l),
		"EXPLAIN QUERY PLAN SELECT line_no FROM lines WHERE claim_row = ?", -1, &st,
		NULL), SQLITE_OK);
	int indexed = 0, rows = 0;
	while (sqlite3_step(st) == SQLITE_ROW) {
		const char *d = (const char *)sqlite3_column_text(st, 3);
		rows++;
		if (d && strstr(d, "USING") && strstr(d, "INDEX"))
			indexed = 1;
	}
	sqlite3_finalize(st);
	CU_ASSERT(rows > 0);
	CU_ASSERT_TRUE(indexed);
	dc_ledger_close(l);
	remove_ledger(p);
}

static void test_lock(void)
{
	char p[128];
	path(p, sizeof p, "b.sqlite");
	struct dc_ledger *a, *b;
	CU_ASSERT_EQUAL_FATAL(dc_ledger_open(&a, p, 0, 0600, NULL), 0);
	CU_ASSERT_EQUAL(dc_ledger_open(&b, p, 0, 0600, NULL), DC_ERR_BUSY);
	dc_ledger_close(a);
	CU_ASSERT_EQUAL_FATAL(dc_ledger_open(&b, p, 0, 0600, NULL), 0);
	dc_ledger_close(b);
	char cmd[600];
	snprintf(cmd, sizeof cmd, "rm -f %s %s.lock %s-wal %s-shm", p, p, p, p);
	CU_ASSERT_EQUAL(system(cmd), 0);
}

static int setup(void)
{
	snprintf(dir, sizeof dir, "/tmp/dc-ledger-test-XXXXXX");
	return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void)
{
	return rmdir(dir);
}

int register_ledger_tests(void)
{
	CU_pSuite s = CU_add_suite("ledger", setup, teardown);
	if (!s)
		return -1;
	DC_ADD_TEST(s, test_control_numbers_and_claims);
	DC_ADD_TEST(s, test_lock);
	DC_ADD_TEST(s, test_peek_control);
	DC_ADD_TEST(s, test_claims_name_their_file);
	DC_ADD_TEST(s, test_lines_by_claim_indexed);
	return 0;
}
