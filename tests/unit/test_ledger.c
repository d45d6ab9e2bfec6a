#include "tests/unit/unit.h"
#include "engine/dc_status.h"
#include "engine/buf.h"
#include "engine/ledger.h"

#include <sqlite3.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static char dir[64];

static void path(char *out, size_t n, const char *name)
{
	snprintf(out, n, "%s/%s", dir, name);
}

/* A US claim of |l|'s open file with one line (|code| NULL: none). */
static int add_claim(struct dc_ledger *l, const char *claim, const char *enc, int64_t charge,
		     const char *code, const char *mods, const char *units,
		     int64_t line_charge, const char *ctl)
{
	struct dc_buf b;
	dc_buf_init(&b);
	dc_buf_addc(&b, '[');
	if (code)
		dc_ledger_line_json(&b, 1, code, mods, units, line_charge, ctl);
	dc_buf_addc(&b, ']');
	int rc = dc_ledger_add_claim(l, claim, "1999999992", "US", enc, "MEDICARE", "2026-03-02",
				     charge, "1", b.p, b.len);
	dc_buf_release(&b);
	return rc;
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
	CU_ASSERT_EQUAL(add_claim(l, "LONGENC-0123456789ab", "LONG-ENCOUNTER-ID-NUMBER-ONE", 12345,
				  "96413", "", "1", 45000, "LONGENC-0123456789ab-1"), 0);
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
	CU_ASSERT_FALSE(dc_ledger_claim_taken(l, "LONGENC-0123456789ab", "1234567893",
					      "LONG-ENCOUNTER-ID-NUMBER-TWO"));
	/* a claim id that is its encounter's own: found through the encounter */
	int64_t file2;
	CU_ASSERT_EQUAL(dc_ledger_file_begin(l), 0);
	CU_ASSERT_EQUAL(add_claim(l, "ENC7-2", "ENC7-2", 100, "96372", "", "1", 100, "ENC7-2-1"),
			0);
	CU_ASSERT_EQUAL(dc_ledger_file_commit(l, "837P", "/x/837p-2.x12", "/x/.tmp2", 2, &file2),
			0);
	CU_ASSERT_TRUE(dc_ledger_claim_taken(l, "ENC7-2", "1999999992", "ENC7"));
	CU_ASSERT_FALSE(dc_ledger_claim_taken(l, "ENC7-2", "1999999992", "ENC7-2"));
	CU_ASSERT_FALSE(dc_ledger_claim_taken(l, "ENC7-3", "1999999992", "ENC7"));
	/* a file forgotten takes its claims' ids with it, unless a claim left holds one */
	int64_t file3;
	CU_ASSERT_EQUAL(dc_ledger_file_begin(l), 0);
	CU_ASSERT_EQUAL(add_claim(l, "LONGENC-0123456789ab", "LONG-ENCOUNTER-ID-NUMBER-ONE", 12345,
				  "96413", "", "1", 45000, "LONGENC-0123456789ab-1"), 0);
	CU_ASSERT_EQUAL(dc_ledger_file_commit(l, "837P", "/x/837p-3.x12", "/x/.tmp3", 3, &file3),
			0);
	CU_ASSERT_EQUAL(dc_ledger_file_forget(l, file3), 0);
	CU_ASSERT_TRUE(dc_ledger_claim_taken(l, "LONGENC-0123456789ab", "1999999992",
					     "LONG-ENCOUNTER-ID-NUMBER-TWO"));
	CU_ASSERT_EQUAL(dc_ledger_file_forget(l, file), 0);
	CU_ASSERT_FALSE(dc_ledger_claim_taken(l, "LONGENC-0123456789ab", "1999999992",
					      "LONG-ENCOUNTER-ID-NUMBER-TWO"));
	CU_ASSERT_EQUAL(dc_ledger_file_forget(l, file2), 0);
	CU_ASSERT_FALSE(dc_ledger_claim_taken(l, "ENC7-2", "1999999992", "ENC7"));
	dc_ledger_close(l);
	unlink(p);
	char x[160];
	snprintf(x, sizeof x, "%s.lock", p);
	unlink(x);
	snprintf(x, sizeof x, "%s-wal", p);
	unlink(x);
	snprintf(x, sizeof x, "%s-shm", p);
	unlink(x);
	snprintf(x, sizeof x, "%s-journal", p);
	unlink(x);
}

static void remove_ledger(const char *p)
{
	char x[160];
	unlink(p);
	const char *suffix[] = { ".lock", "-wal", "-shm", "-journal" };
	for (int i = 0; i < 4; i++) {
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
		CU_ASSERT_EQUAL(add_claim(l, claim[i], claim[i], 100, "96365", "", "1", 100, "x-1"), 0);
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

/* The first text column of |sql|'s first row, copied into |out|. */
static void query_text(sqlite3 *db, const char *sql, char *out, size_t n)
{
	sqlite3_stmt *st;
	out[0] = '\0';
	CU_ASSERT_EQUAL_FATAL(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
	if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0))
		snprintf(out, n, "%s", (const char *)sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
}

/* A claim's lines are kept in its row, in order, with every value as given. */
static void test_lines_in_claim_row(void)
{
	char p[128], got[512];
	path(p, sizeof p, "packed.sqlite");
	struct dc_ledger *l;
	long isa, gs;
	int64_t file;
	CU_ASSERT_EQUAL_FATAL(dc_ledger_open(&l, p, 0, 0600, NULL), 0);
	CU_ASSERT_EQUAL(dc_ledger_file_begin(l), 0);
	CU_ASSERT_EQUAL(dc_ledger_next_control(l, "J", 0, 1, &isa, &gs), 0);
	struct dc_buf b;
	dc_buf_init(&b);
	dc_buf_addc(&b, '[');
	dc_ledger_line_json(&b, 1, "96413", "25", "1", 45000, "C1-1");
	dc_ledger_line_json(&b, 2, "J9035", "JW", "2.5", 7500, "say \"x\"\\y\n");
	dc_buf_addc(&b, ']');
	CU_ASSERT_EQUAL(dc_ledger_add_claim(l, "C1", "1999999992", "US", "E1", "MEDICARE",
					    "2026-03-02", 52500, "1", b.p, b.len), 0);
	CU_ASSERT_EQUAL(add_claim(l, "C2", "E2", 0, NULL, NULL, NULL, 0, NULL), 0);
	dc_buf_reset(&b);
	dc_buf_addc(&b, '[');
	dc_ledger_line_json(&b, 1, "X3590", "", "1", 12000, "U1\t1");
	dc_ledger_line_json(&b, 2, "J9035", "", "0.5", 300, "U1-2");
	dc_buf_addc(&b, ']');
	CU_ASSERT_EQUAL(dc_ledger_add_claim(l, "U1", "1999999992", "UK", "E4", "BUPA",
					    "2026-03-02", 12300, "1", b.p, b.len), 0);
	dc_buf_release(&b);
	/* a claim dropped with its rolled-back file leaves nothing behind */
	CU_ASSERT_EQUAL(dc_ledger_file_commit(l, "837P", "/x/j.x12", "/x/.j", isa, &file), 0);
	CU_ASSERT_EQUAL(dc_ledger_file_begin(l), 0);
	CU_ASSERT_EQUAL(add_claim(l, "C3", "E3", 1, "96365", "", "1", 1, "C3-1"), 0);
	dc_ledger_file_rollback(l);
	sqlite3 *db = dc_ledger_db(l);
	query_text(db, "SELECT lines FROM claims WHERE claim_id = 'C1'", got, sizeof got);
	CU_ASSERT_STRING_EQUAL(got, "[[1,\"96413\",\"25\",\"1\",45000,\"C1-1\"],"
				    "[2,\"J9035\",\"JW\",\"2.5\",7500,\"say \\\"x\\\"\\\\y\\n\"]]");
	query_text(db, "SELECT lines FROM claims WHERE claim_id = 'C2'", got, sizeof got);
	CU_ASSERT_STRING_EQUAL(got, "[]");
	query_text(db, "SELECT group_concat(j.value->>5, '|') FROM claims c, json_each(c.lines) j"
		       " WHERE c.claim_id = 'C1'", got, sizeof got);
	CU_ASSERT_STRING_EQUAL(got, "C1-1|say \"x\"\\y\n");
	query_text(db, "SELECT lines FROM claims WHERE claim_id = 'U1'", got, sizeof got);
	CU_ASSERT_STRING_EQUAL(got, "[[1,\"X3590\",\"\",\"1\",12000,\"U1\\t1\"],"
				    "[2,\"J9035\",\"\",\"0.5\",300,\"U1-2\"]]");
	query_text(db, "SELECT scheme || encounter_id || payer || charge_cents || file_id"
		       " FROM claims WHERE claim_id = 'U1'", got, sizeof got);
	CU_ASSERT_STRING_EQUAL(got, "UKE4BUPA12300" "1");
	query_text(db, "SELECT claim_id FROM encounters WHERE scheme = 'UK' AND encounter_id = 'E4'",
		   got, sizeof got);
	CU_ASSERT_STRING_EQUAL(got, "U1");
	query_text(db, "SELECT count(*) FROM claims", got, sizeof got);
	CU_ASSERT_STRING_EQUAL(got, "3");
	query_text(db, "SELECT count(*) FROM encounters", got, sizeof got);
	CU_ASSERT_STRING_EQUAL(got, "3");
	dc_ledger_close(l);
	remove_ledger(p);
}

/* A ledger written with a row per line (schema 1) is brought to schema 2. */
static void test_schema_1_migrated(void)
{
	char p[128], got[512];
	path(p, sizeof p, "old.sqlite");
	sqlite3 *db;
	CU_ASSERT_EQUAL_FATAL(sqlite3_open(p, &db), SQLITE_OK);
	CU_ASSERT_EQUAL_FATAL(sqlite3_exec(db,
		"CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT);"
		"CREATE TABLE control(key TEXT PRIMARY KEY, next_isa13 INTEGER NOT NULL,"
		"  next_gs06 INTEGER NOT NULL);"
		"CREATE TABLE runs(id INTEGER PRIMARY KEY, out_dir TEXT, now TEXT,"
		"  pid INTEGER, state TEXT NOT NULL, exit_status INTEGER);"
		"CREATE TABLE files(id INTEGER PRIMARY KEY, run_id INTEGER, kind TEXT,"
		"  path TEXT NOT NULL, tmp_path TEXT, isa13 INTEGER, state TEXT NOT NULL);"
		"CREATE TABLE encounters(provider TEXT NOT NULL, scheme TEXT NOT NULL,"
		"  encounter_id TEXT NOT NULL, claim_id TEXT NOT NULL, file_id INTEGER NOT NULL,"
		"  PRIMARY KEY(provider, scheme, encounter_id));"
		"CREATE TABLE claims(id INTEGER PRIMARY KEY, claim_id TEXT NOT NULL,"
		"  provider TEXT, scheme TEXT, encounter_id TEXT, payer TEXT, service_date TEXT,"
		"  charge_cents INTEGER, frequency TEXT, file_id INTEGER NOT NULL);"
		"CREATE INDEX claims_by_id ON claims(claim_id);"
		"CREATE TABLE lines(claim_row INTEGER NOT NULL, line_no INTEGER,"
		"  code TEXT, modifiers TEXT, units TEXT, charge_cents INTEGER, line_control TEXT);"
		"CREATE INDEX lines_by_claim ON lines(claim_row);"
		"CREATE TABLE inputs(id INTEGER PRIMARY KEY, run_id INTEGER, path TEXT,"
		"  bytes INTEGER, sha256 TEXT, now TEXT, rows INTEGER, coded INTEGER, held INTEGER,"
		"  rejected INTEGER);"
		"INSERT INTO meta VALUES('schema', '1');"
		"INSERT INTO control VALUES('K', 8, 8);"
		"INSERT INTO files VALUES(1, 1, '837P', '/x/a.x12', NULL, 7, 'complete');"
		"INSERT INTO claims VALUES(5, 'C9', '1999999992', 'US', 'E9', 'MEDICARE',"
		"  '2026-03-02', 300, '1', 1);"
		"INSERT INTO lines VALUES(5, 2, 'J1100', '', '4', 100, 'C9-2');"
		"INSERT INTO lines VALUES(5, 1, '96374', '', '1', 200, 'C9-1');"
		"INSERT INTO encounters VALUES('1999999992', 'US', 'E9', 'C9', 1);",
		NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	struct dc_ledger *l;
	CU_ASSERT_EQUAL_FATAL(dc_ledger_open(&l, p, 0, 0600, NULL), 0);
	db = dc_ledger_db(l);
	query_text(db, "SELECT value FROM meta WHERE key = 'schema'", got, sizeof got);
	CU_ASSERT_STRING_EQUAL(got, "3");
	/* schema 3: no index on every claim's id, a table of those not their encounter's */
	query_text(db, "SELECT count(*) FROM sqlite_schema WHERE name = 'claims_by_id'", got,
		   sizeof got);
	CU_ASSERT_STRING_EQUAL(got, "0");
	query_text(db, "SELECT group_concat(claim_id || '/' || encounter_id) FROM claim_ids", got,
		   sizeof got);
	CU_ASSERT_STRING_EQUAL(got, "C9/E9");
	CU_ASSERT_EQUAL(dc_ledger_claim_taken(l, "C9", "1999999992", "E10"), 1);
	CU_ASSERT_EQUAL(dc_ledger_claim_taken(l, "C9", "1999999992", "E9"), 0);
	CU_ASSERT_EQUAL(dc_ledger_claim_taken(l, "C9", "1234567893", "E10"), 0);
	query_text(db, "SELECT lines FROM claims WHERE id = 5", got, sizeof got);
	CU_ASSERT_STRING_EQUAL(got, "[[1,\"96374\",\"\",\"1\",200,\"C9-1\"],"
				    "[2,\"J1100\",\"\",\"4\",100,\"C9-2\"]]");
	query_text(db, "SELECT count(*) FROM sqlite_schema WHERE name = 'lines'", got, sizeof got);
	CU_ASSERT_STRING_EQUAL(got, "0");
	CU_ASSERT_EQUAL(dc_ledger_billed(l, "1999999992", "US", "E9"), 1);
	long isa, gs;
	CU_ASSERT_EQUAL(dc_ledger_file_begin(l), 0);
	CU_ASSERT_EQUAL(dc_ledger_next_control(l, "K", 0, 1, &isa, &gs), 0);
	CU_ASSERT_EQUAL(isa, 8);
	dc_ledger_file_rollback(l);
	dc_ledger_close(l);
	/* opened again: nothing left to do */
	CU_ASSERT_EQUAL_FATAL(dc_ledger_open(&l, p, 0, 0600, NULL), 0);
	dc_ledger_close(l);
	remove_ledger(p);
}

/*
 * A ledger an older dripcode kept with a write-ahead log, its last
 * transaction still only in the log (the run was killed): opened, the
 * transaction is there and the ledger keeps a rollback journal from then on.
 */
static void test_wal_ledger_recovered(void)
{
	char p[128], x[160], got[64];
	path(p, sizeof p, "wal.sqlite");
	struct dc_ledger *l;
	CU_ASSERT_EQUAL_FATAL(dc_ledger_open(&l, p, 0, 0600, NULL), 0);
	dc_ledger_close(l);
	fflush(NULL);
	pid_t pid = fork();
	CU_ASSERT_FATAL(pid >= 0);
	if (pid == 0) {
		sqlite3 *db;
		if (sqlite3_open(p, &db) != SQLITE_OK ||
		    sqlite3_exec(db, "PRAGMA journal_mode=WAL; PRAGMA wal_autocheckpoint=0;"
				     "INSERT INTO encounters VALUES('1999999992', 'US', 'EW', 'EW', 1);",
				     NULL, NULL, NULL) != SQLITE_OK)
			_exit(1);
		_exit(0); /* no close: nothing checkpointed */
	}
	int st;
	CU_ASSERT_FATAL(waitpid(pid, &st, 0) == pid && WIFEXITED(st) && WEXITSTATUS(st) == 0);
	snprintf(x, sizeof x, "%s-wal", p);
	CU_ASSERT_EQUAL_FATAL(access(x, F_OK), 0);
	CU_ASSERT_EQUAL_FATAL(dc_ledger_open(&l, p, 0, 0600, NULL), 0);
	CU_ASSERT_EQUAL(dc_ledger_billed(l, "1999999992", "US", "EW"), 1);
	query_text(dc_ledger_db(l), "PRAGMA journal_mode", got, sizeof got);
	CU_ASSERT_STRING_EQUAL(got, "persist");
	dc_ledger_close(l);
	CU_ASSERT_NOT_EQUAL(access(x, F_OK), 0);
	/* and again, from its rollback journal */
	CU_ASSERT_EQUAL_FATAL(dc_ledger_open(&l, p, 0, 0600, NULL), 0);
	CU_ASSERT_EQUAL(dc_ledger_billed(l, "1999999992", "US", "EW"), 1);
	dc_ledger_close(l);
	remove_ledger(p);
}

/* --rebill's REF*F8: the payer's claim number reconcile kept, when there is one */
static void test_payer_claim_number(void)
{
	char p[128], buf[16];
	path(p, sizeof p, "pcn.sqlite");
	struct dc_ledger *l;
	CU_ASSERT_EQUAL_FATAL(dc_ledger_open(&l, p, 0, 0600, NULL), 0);
	/* nothing reconciled yet: no table, no number, no error */
	CU_ASSERT_EQUAL(dc_ledger_payer_claim_number(l, "C1", "US", buf, sizeof buf), 0);
	CU_ASSERT_STRING_EQUAL(buf, "");
	dc_ledger_close(l);
	sqlite3 *db;
	CU_ASSERT_EQUAL_FATAL(sqlite3_open(p, &db), SQLITE_OK);
	CU_ASSERT_EQUAL(sqlite3_exec(db,
		"CREATE TABLE recon_status(claim_id TEXT NOT NULL, scheme TEXT NOT NULL,"
		" status TEXT, paid_cents INTEGER, payer_claim_no TEXT, payment_date TEXT,"
		" PRIMARY KEY(claim_id, scheme));"
		"INSERT INTO recon_status VALUES('C1','US','paid',100,'PCN-0001-LONGER-THAN-BUF','2026-03-01');"
		"INSERT INTO recon_status VALUES('C2','US','denied',0,'','2026-03-01');"
		"INSERT INTO recon_status VALUES('C3','UK','paid',100,'UK-PCN','2026-03-01');",
		NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	CU_ASSERT_EQUAL_FATAL(dc_ledger_open(&l, p, 0, 0600, NULL), 0);
	CU_ASSERT_EQUAL(dc_ledger_payer_claim_number(l, "C1", "US", buf, sizeof buf), 1);
	CU_ASSERT_STRING_EQUAL(buf, "PCN-0001-LONGER");   /* cut to the buffer */
	CU_ASSERT_EQUAL(dc_ledger_payer_claim_number(l, "C2", "US", buf, sizeof buf), 0);
	CU_ASSERT_EQUAL(dc_ledger_payer_claim_number(l, "C3", "US", buf, sizeof buf), 0);
	CU_ASSERT_EQUAL(dc_ledger_payer_claim_number(l, "C3", "UK", buf, sizeof buf), 1);
	CU_ASSERT_STRING_EQUAL(buf, "UK-PCN");
	/* the lookups do not stand in the way of a file's transaction */
	long isa, gs;
	CU_ASSERT_EQUAL(dc_ledger_file_begin(l), 0);
	CU_ASSERT_EQUAL(dc_ledger_next_control(l, "K", 0, 1, &isa, &gs), 0);
	dc_ledger_file_rollback(l);
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
	snprintf(cmd, sizeof cmd, "rm -f %s %s.lock %s-wal %s-shm %s-journal", p, p, p, p, p);
	CU_ASSERT_EQUAL(system(cmd), 0);
}

/*
 * The run's marks: every id marked is found billed by this run (2), under
 * its own provider and scheme only, and ids never marked are not; the
 * filter in front of the lookup may let a stranger through, never drop a
 * mark. Written at once, or by the marks' thread in batches (more marks
 * than one batch holds, the last handed over unfinished by the flush).
 */
static void check_marks(int background, int n)
{
	char p[128], id[48], cmd[600];
	path(p, sizeof p, "m.sqlite");
	struct dc_ledger *l;
	CU_ASSERT_EQUAL_FATAL(dc_ledger_open(&l, p, 0, 0600, NULL), 0);
	if (background)
		dc_ledger_marks_in_background(l);
	CU_ASSERT_EQUAL(dc_ledger_billed(l, "1999999992", "US", "M0"), 0);
	int marked = 0, found = 0, strangers = 0, other_key = 0;
	for (int i = 0; i < n; i += 2) {
		snprintf(id, sizeof id, "MARKED-ENCOUNTER-%d", i);
		marked += dc_ledger_mark(l, "1999999992", i % 4 ? "US" : "UK", id) == 0;
	}
	if (background)
		dc_ledger_marks_flush(l);
	for (int i = 0; i < n; i++) {
		snprintf(id, sizeof id, "MARKED-ENCOUNTER-%d", i);
		const char *scheme = i % 4 ? "US" : "UK";
		int rc = dc_ledger_billed(l, "1999999992", scheme, id);
		if (i % 2 == 0) {
			found += rc == 2;
			other_key += dc_ledger_billed(l, "1999999992", i % 4 ? "UK" : "US", id) != 0;
			other_key += dc_ledger_billed(l, "1234567893", scheme, id) != 0;
		} else {
			strangers += rc != 0;
		}
	}
	CU_ASSERT_EQUAL(marked, n / 2);
	CU_ASSERT_EQUAL(found, n / 2);
	CU_ASSERT_EQUAL(strangers, 0);
	CU_ASSERT_EQUAL(other_key, 0);
	/* marks made once lookups have needed them: written as they are handed over */
	marked = found = strangers = 0;
	for (int i = 0; i < n; i += 2) {
		snprintf(id, sizeof id, "LATER-ENCOUNTER-%d", i);
		marked += dc_ledger_mark(l, "1999999992", "US", id) == 0;
	}
	if (background)
		dc_ledger_marks_flush(l);
	for (int i = 0; i < n; i++) {
		snprintf(id, sizeof id, "LATER-ENCOUNTER-%d", i);
		int rc = dc_ledger_billed(l, "1999999992", "US", id);
		if (i % 2 == 0)
			found += rc == 2;
		else
			strangers += rc != 0;
	}
	CU_ASSERT_EQUAL(marked, n / 2);
	CU_ASSERT_EQUAL(found, n / 2);
	CU_ASSERT_EQUAL(strangers, 0);
	CU_ASSERT_EQUAL(dc_ledger_marks_wait(l), 0);
	dc_ledger_close(l);
	snprintf(cmd, sizeof cmd, "rm -f %s %s.lock %s-wal %s-shm %s-journal", p, p, p, p, p);
	CU_ASSERT_EQUAL(system(cmd), 0);
}

static void test_marks(void)
{
	check_marks(0, 20000);
}

/* 100,000 marks of 38 bytes: three batches handed over as they fill, then the rest */
static void test_marks_background(void)
{
	check_marks(1, 200000);
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
	DC_ADD_TEST(s, test_marks);
	DC_ADD_TEST(s, test_marks_background);
	DC_ADD_TEST(s, test_peek_control);
	DC_ADD_TEST(s, test_claims_name_their_file);
	DC_ADD_TEST(s, test_lines_in_claim_row);
	DC_ADD_TEST(s, test_schema_1_migrated);
	DC_ADD_TEST(s, test_wal_ledger_recovered);
	DC_ADD_TEST(s, test_payer_claim_number);
	return 0;
}
