#include "engine/ledger.h"
#include "engine/arena.h"
#include "engine/bloom.h"
#include "engine/buf.h"
#include "engine/dc_status.h"
#include "engine/output.h"
#include "engine/value.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

int (*dc_ledger_fail_hook)(const char *op);

struct dc_ledger {
	sqlite3 *db;
	char *path;
	int lockfd;
	int64_t run_id;
	struct dc_diag_sink *ds;
	sqlite3_stmt *billed, *add_claim, *add_claim_id, *taken, *add_enc;
	struct marks *marks;     /* the run's marks: none until the first */
	int marks_bg;            /* marks are written by a thread of their own */
	sqlite3_stmt *pcn;       /* the payer's claim numbers (prepared when first wanted) */
	int pcn_none;            /* the ledger has no reconciliation results */
	int in_tx;               /* a file's transaction is open */
	int bg;                  /* the lookups' own transaction is open */
	int64_t file_row;        /* the files row of the open file transaction */
};

/*
 * Schema 3. A claim's lines are one JSON array in its row,
 * [[line_no, code, modifiers, units, charge_cents, line_control], ...],
 * read back with json_each (reconcile.c); the encounters billed are a
 * table without rowid, keyed as they are looked up. The claims have no
 * index on their ids (a second B-tree to write for every claim): most
 * claim ids are their encounter's id, found through the encounters, and
 * claim_ids keeps the others (a long encounter id shortened, the second
 * and later claims of an encounter), for the check that no two
 * encounters share a claim id (dc_ledger_claim_taken).
 */
/* the claim ids that are not their encounter's (schema 3) */
#define CLAIM_IDS_TABLE \
	"CREATE TABLE claim_ids(provider TEXT NOT NULL, claim_id TEXT NOT NULL," \
	"  encounter_id TEXT NOT NULL, PRIMARY KEY(provider, claim_id, encounter_id))" \
	"  WITHOUT ROWID;"

static const char pragmas[] =
	/*
	 * 16 KiB pages for a new ledger (an existing one keeps its own): a
	 * file's claims are a few hundred bytes each and go in together, so
	 * a quarter of the page writes, and a shallower tree of encounters.
	 */
	"PRAGMA page_size=16384;"
	"PRAGMA locking_mode=EXCLUSIVE;"
	/*
	 * A rollback journal, kept between transactions: a new page (most of
	 * what a run adds) is written once, where a write-ahead log writes
	 * every page twice (the log, then the checkpoint). A ledger left in
	 * WAL mode by an older dripcode is recovered and switched here.
	 */
	"PRAGMA journal_mode=PERSIST;"
	"PRAGMA synchronous=FULL;"
	/* 8 MiB of pages (2 by default): claims and encounters go in by random keys */
	"PRAGMA cache_size=-8192;"
	"CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT);";

static const char schema[] =
	"CREATE TABLE control(key TEXT PRIMARY KEY, next_isa13 INTEGER NOT NULL,"
	"  next_gs06 INTEGER NOT NULL);"
	"CREATE TABLE runs(id INTEGER PRIMARY KEY, out_dir TEXT, now TEXT,"
	"  pid INTEGER, state TEXT NOT NULL, exit_status INTEGER);"
	"CREATE TABLE files(id INTEGER PRIMARY KEY, run_id INTEGER, kind TEXT,"
	"  path TEXT NOT NULL, tmp_path TEXT, isa13 INTEGER, state TEXT NOT NULL);"
	"CREATE TABLE encounters(provider TEXT NOT NULL, scheme TEXT NOT NULL,"
	"  encounter_id TEXT NOT NULL, claim_id TEXT NOT NULL, file_id INTEGER NOT NULL,"
	"  PRIMARY KEY(provider, scheme, encounter_id)) WITHOUT ROWID;"
	"CREATE TABLE claims(id INTEGER PRIMARY KEY, claim_id TEXT NOT NULL,"
	"  provider TEXT, scheme TEXT, encounter_id TEXT, payer TEXT, service_date TEXT,"
	"  charge_cents INTEGER, frequency TEXT, file_id INTEGER NOT NULL, lines TEXT);"
	CLAIM_IDS_TABLE
	"CREATE TABLE inputs(id INTEGER PRIMARY KEY, run_id INTEGER, path TEXT,"
	"  bytes INTEGER, sha256 TEXT, now TEXT, rows INTEGER, coded INTEGER, held INTEGER,"
	"  rejected INTEGER);"
	"INSERT INTO meta VALUES('schema', '3');";

/* Schema 1 kept a row per claim line and a rowid table of encounters. */
static const char migrate_1_2[] =
	"ALTER TABLE claims ADD COLUMN lines TEXT;"
	"UPDATE claims SET lines = (SELECT json_group_array(json_array(line_no, code, modifiers,"
	"  units, charge_cents, line_control)) FROM (SELECT * FROM lines"
	"  WHERE claim_row = claims.id ORDER BY line_no, rowid));"
	"DROP TABLE lines;"
	"CREATE TABLE encounters_2(provider TEXT NOT NULL, scheme TEXT NOT NULL,"
	"  encounter_id TEXT NOT NULL, claim_id TEXT NOT NULL, file_id INTEGER NOT NULL,"
	"  PRIMARY KEY(provider, scheme, encounter_id)) WITHOUT ROWID;"
	"INSERT INTO encounters_2 SELECT provider, scheme, encounter_id, claim_id, file_id"
	"  FROM encounters;"
	"DROP TABLE encounters;"
	"ALTER TABLE encounters_2 RENAME TO encounters;"
	"UPDATE meta SET value = '2' WHERE key = 'schema';";

/* Schema 2 indexed every claim's id. */
static const char migrate_2_3[] =
	"DROP INDEX IF EXISTS claims_by_id;"
	CLAIM_IDS_TABLE
	"INSERT OR IGNORE INTO claim_ids SELECT provider, claim_id, encounter_id FROM claims"
	"  WHERE claim_id <> encounter_id AND provider IS NOT NULL;"
	"UPDATE meta SET value = '3' WHERE key = 'schema';";

static void marks_close(struct dc_ledger *l);

static int db_error(struct dc_ledger *l, const char *what)
{
	return dc_diag_report(l->ds, DC_SEV_ERROR, DC_ERR_IO, l->path, 0, "ledger: %s: %s", what,
			      sqlite3_errmsg(l->db));
}

/*
 * Lookups run inside one long deferred transaction of their own, so that a
 * hundred thousand of them are not a hundred thousand transactions begun
 * and ended; anything else ends it first (bg_end in exec and prepare), and
 * it holds nothing that must be durable.
 */
static void bg_begin(struct dc_ledger *l)
{
	if (l->in_tx || l->bg || !sqlite3_get_autocommit(l->db))
		return;
	if (sqlite3_exec(l->db, "BEGIN", NULL, NULL, NULL) == SQLITE_OK)
		l->bg = 1;
}

static void bg_end(struct dc_ledger *l)
{
	if (!l->bg)
		return;
	l->bg = 0;
	if (sqlite3_exec(l->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
		sqlite3_exec(l->db, "ROLLBACK", NULL, NULL, NULL);
}

static int exec(struct dc_ledger *l, const char *sql)
{
	char *err = NULL;
	bg_end(l);
	if (sqlite3_exec(l->db, sql, NULL, NULL, &err) != SQLITE_OK) {
		dc_diag_report(l->ds, DC_SEV_ERROR, DC_ERR_IO, l->path, 0, "ledger: %s",
			       err ? err : "error");
		sqlite3_free(err);
		return DC_ERR_IO;
	}
	return DC_OK;
}

static int prepare(struct dc_ledger *l, sqlite3_stmt **st, const char *sql)
{
	bg_end(l);
	if (sqlite3_prepare_v2(l->db, sql, -1, st, NULL) != SQLITE_OK)
		return db_error(l, "cannot prepare a statement");
	return DC_OK;
}

char *dc_ledger_default_path(void)
{
	const char *env = getenv("DRIPCODE_LEDGER");
	char buf[4096];
	if (env && *env)
		return dc_xstrdup(env);
	const char *xdg = getenv("XDG_DATA_HOME");
	if (xdg && *xdg)
		snprintf(buf, sizeof buf, "%s/dripcode/ledger.sqlite", xdg);
	else
		snprintf(buf, sizeof buf, "%s/.local/share/dripcode/ledger.sqlite",
			 getenv("HOME") ? getenv("HOME") : ".");
	return dc_xstrdup(buf);
}

static void mkdirs_for(const char *path)
{
	char *p = dc_xstrdup(path);
	for (char *s = p + 1; *s; s++) {
		if (*s != '/')
			continue;
		*s = '\0';
		mkdir(p, 0700);
		*s = '/';
	}
	free(p);
}

static void sqlite_setup(void)
{
	sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);   /* before SQLite initialises */
}

/* The schema version of an open database (0: none yet), or -1. */
static int schema_version(struct dc_ledger *l, const char *db)
{
	char sql[128];
	sqlite3_stmt *st;
	snprintf(sql, sizeof sql, "SELECT value FROM %s.meta WHERE key = 'schema'", db);
	if (prepare(l, &st, sql) < 0)
		return -1;
	int v = 0;
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	return v;
}

/* Creates the tables of a new ledger, or brings an older one to the current schema. */
static int setup_schema(struct dc_ledger *l)
{
	if (exec(l, pragmas) < 0)
		return DC_ERR_IO;
	int v = schema_version(l, "main");
	if (v < 0)
		return DC_ERR_IO;
	if (v == DC_LEDGER_SCHEMA)
		return DC_OK;
	if (v > DC_LEDGER_SCHEMA)
		return dc_diag_report(l->ds, DC_SEV_ERROR, DC_ERR_IO, l->path, 0,
				      "ledger: schema %d is newer than this dripcode knows (%d)",
				      v, DC_LEDGER_SCHEMA);
	if (exec(l, "BEGIN IMMEDIATE") < 0)
		return DC_ERR_IO;
	if ((v == 0 && exec(l, schema) < 0) || (v == 1 && exec(l, migrate_1_2) < 0) ||
	    (v >= 1 && v <= 2 && exec(l, migrate_2_3) < 0)) {
		sqlite3_exec(l->db, "ROLLBACK", NULL, NULL, NULL);
		return DC_ERR_IO;
	}
	if (exec(l, "COMMIT") < 0) {
		sqlite3_exec(l->db, "ROLLBACK", NULL, NULL, NULL);
		return DC_ERR_IO;
	}
	if (v)
		dc_diag_report(l->ds, DC_SEV_NOTE, 0, l->path, 0,
			       "ledger: schema %d brought to %d", v, DC_LEDGER_SCHEMA);
	return DC_OK;
}

int dc_ledger_open(struct dc_ledger **lp, const char *path, int wait_s, unsigned mode,
		   struct dc_diag_sink *ds)
{
	struct dc_ledger *l = dc_xcalloc(1, sizeof *l);
	l->path = dc_xstrdup(path);
	l->ds = ds;
	l->lockfd = -1;
	*lp = NULL;
	mkdirs_for(path);

	/* the lock first: a second run must not touch anything */
	size_t n = strlen(path) + 8;
	char *lockpath = dc_xmalloc(n);
	snprintf(lockpath, n, "%s.lock", path);
	l->lockfd = open(lockpath, O_RDWR | O_CREAT | O_CLOEXEC, mode ? mode : 0600);
	free(lockpath);
	if (l->lockfd < 0) {
		int e = errno;
		dc_diag_syserr(ds, DC_ERR_IO, path, e, "cannot open the ledger lock");
		dc_ledger_close(l);
		return DC_ERR_IO;
	}
	for (int waited = 0;; waited++) {
		if (flock(l->lockfd, LOCK_EX | LOCK_NB) == 0)
			break;
		if (errno != EWOULDBLOCK && errno != EINTR) {
			int e = errno;
			dc_diag_syserr(ds, DC_ERR_IO, path, e, "cannot lock the ledger");
			dc_ledger_close(l);
			return DC_ERR_IO;
		}
		if (waited >= wait_s * 10) {
			dc_diag_report(ds, DC_SEV_ERROR, DC_ERR_BUSY, path, 0,
				       "ledger is in use by another run (waited %d s)", wait_s);
			dc_ledger_close(l);
			return DC_ERR_BUSY;
		}
		struct timespec ts = { 0, 100 * 1000 * 1000 };
		nanosleep(&ts, NULL);
	}
	struct stat st;
	int fresh = stat(path, &st) != 0;
	/*
	 * One thread at a time uses the connection (the coder thread during
	 * reading, the ledger thread while claim files are written, else the
	 * run's thread; run.c), so SQLite need not lock it for every call; and
	 * SQLite's memory statistics, which take a lock on every allocation,
	 * are not wanted.
	 */
	static pthread_once_t once = PTHREAD_ONCE_INIT;
	pthread_once(&once, sqlite_setup);
	if (sqlite3_open_v2(path, &l->db,
			    SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL) !=
	    SQLITE_OK) {
		db_error(l, "cannot open");
		dc_ledger_close(l);
		return DC_ERR_IO;
	}
	if (fresh)
		chmod(path, mode ? mode : 0600);
	sqlite3_busy_timeout(l->db, 5000);
	if (setup_schema(l) < 0 ||
	    prepare(l, &l->billed,
		    "SELECT 1 FROM encounters WHERE provider=?1 AND scheme=?2 AND encounter_id=?3")
	    < 0 ||
	    prepare(l, &l->add_claim,
		    "INSERT INTO claims(claim_id, provider, scheme, encounter_id, payer,"
		    " service_date, charge_cents, frequency, file_id, lines)"
		    " VALUES(?,?,?,?,?,?,?,?,?,?)") < 0 ||
	    prepare(l, &l->add_enc,
		    "INSERT OR REPLACE INTO encounters VALUES(?1, ?2, ?3, ?4, ?5)") < 0 ||
	    prepare(l, &l->add_claim_id, "INSERT OR IGNORE INTO claim_ids VALUES(?1, ?2, ?3)")
	    < 0 ||
	    /* an encounter billed under its own id had a first claim of that id */
	    prepare(l, &l->taken,
		    "SELECT 1 FROM claim_ids WHERE provider=?2 AND claim_id=?1 AND encounter_id<>?3"
		    " UNION ALL SELECT 1 FROM encounters WHERE provider=?2 AND scheme IN ('US', 'UK')"
		    " AND encounter_id=?1 AND ?1<>?3 LIMIT 1") < 0) {
		dc_ledger_close(l);
		return DC_ERR_IO;
	}
	*lp = l;
	return DC_OK;
}

void dc_ledger_close(struct dc_ledger *l)
{
	if (!l)
		return;
	marks_close(l);
	sqlite3_stmt *sts[] = { l->billed, l->add_claim, l->add_claim_id, l->taken, l->add_enc,
				l->pcn };
	for (size_t i = 0; i < sizeof sts / sizeof *sts; i++)
		sqlite3_finalize(sts[i]);
	if (l->db)
		bg_end(l);
	if (l->db)
		sqlite3_close(l->db);
	if (l->lockfd >= 0)
		close(l->lockfd);   /* releases the lock */
	free(l->path);
	free(l);
}

/* ---- recovery ---- */

static void remove_temps(struct dc_ledger *l, const char *dir, struct dc_diag_sink *ds, int *n)
{
	DIR *d = opendir(dir);
	if (!d)
		return;
	struct dirent *e;
	while ((e = readdir(d))) {
		if (!dc_out_is_temp_name(e->d_name))
			continue;
		char p[4096];
		snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
		if (unlink(p) == 0) {
			(*n)++;
			dc_diag_report(ds, DC_SEV_WARNING, 0, p, 0,
				       "removed a temporary file left by a run that did not finish");
		}
	}
	closedir(d);
	(void)l;
}

/* Syncs the directory holding |path|, so that a rename into it is on disk. */
static int sync_parent(const char *path)
{
	char dir[4096];
	const char *slash = strrchr(path, '/');
	if (!slash)
		snprintf(dir, sizeof dir, ".");
	else if (slash == path)
		snprintf(dir, sizeof dir, "/");
	else
		snprintf(dir, sizeof dir, "%.*s", (int)(slash - path), path);
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	int rc = fsync(fd);
	close(fd);
	return rc;
}

struct pending { int64_t id; char *path, *tmp; };

int dc_ledger_recover(struct dc_ledger *l, struct dc_diag_sink *ds)
{
	int reported = 0, rc = DC_OK;
	sqlite3_stmt *st;
	/*
	 * Pending files: complete the rename, or forget what never reached
	 * disk. Read first, then changed, not while the query is open.
	 */
	if (prepare(l, &st, "SELECT id, path, tmp_path FROM files WHERE state='pending'") < 0)
		return DC_ERR_IO;
	struct pending *pf = NULL;
	size_t n = 0;
	int step;
	while ((step = sqlite3_step(st)) == SQLITE_ROW) {
		const char *path = (const char *)sqlite3_column_text(st, 1);
		const char *tmp = (const char *)sqlite3_column_text(st, 2);
		pf = dc_xrealloc(pf, (n + 1) * sizeof *pf);
		pf[n].id = sqlite3_column_int64(st, 0);
		pf[n].path = path ? dc_xstrdup(path) : NULL;
		pf[n].tmp = tmp ? dc_xstrdup(tmp) : NULL;
		n++;
	}
	if (step != SQLITE_DONE)
		rc = db_error(l, "cannot read the files of a run that did not finish");
	sqlite3_finalize(st);
	for (size_t i = 0; i < n; i++) {
		const char *path = pf[i].path, *tmp = pf[i].tmp;
		struct stat sb;
		int done = 0;
		if (path && stat(path, &sb) == 0) {
			done = 1;
		} else if (path && tmp && stat(tmp, &sb) == 0 && rename(tmp, path) == 0) {
			dc_diag_report(ds, DC_SEV_WARNING, 0, path, 0,
				       "completed a claim file a run that did not finish had recorded");
			reported++;
			/* the rename on disk before the ledger says complete; else the
			 * next run finds the file there and completes it then */
			if (sync_parent(path) == 0)
				done = 1;
			else
				rc = dc_diag_syserr(ds, DC_ERR_IO, path, errno,
						    "cannot sync the directory of a completed claim file");
		} else {
			dc_diag_report(ds, DC_SEV_WARNING, 0, path ? path : "?", 0,
				       "forgot the claims of a file that was never written whole");
			reported++;
			if (dc_ledger_file_forget(l, pf[i].id) < 0)
				rc = DC_ERR_IO;
		}
		if (done) {
			char sql[128];
			snprintf(sql, sizeof sql, "UPDATE files SET state='complete' WHERE id=%lld",
				 (long long)pf[i].id);
			if (exec(l, sql) < 0)
				rc = DC_ERR_IO;
		}
		free(pf[i].path);
		free(pf[i].tmp);
	}
	free(pf);
	/* runs that did not end: their temporary files */
	if (prepare(l, &st, "SELECT id, out_dir FROM runs WHERE state='running'") < 0)
		return DC_ERR_IO;
	while (sqlite3_step(st) == SQLITE_ROW) {
		const char *dir = (const char *)sqlite3_column_text(st, 1);
		if (dir)
			remove_temps(l, dir, ds, &reported);
	}
	sqlite3_finalize(st);
	if (exec(l, "UPDATE runs SET state='died' WHERE state='running'") < 0)
		rc = DC_ERR_IO;
	return rc < 0 ? rc : reported;
}

int dc_ledger_begin_run(struct dc_ledger *l, const char *out_dir, const char *now)
{
	sqlite3_stmt *st;
	if (prepare(l, &st, "INSERT INTO runs(out_dir, now, pid, state) VALUES(?,?,?,'running')") < 0)
		return DC_ERR_IO;
	char *abs = realpath(out_dir, NULL);
	sqlite3_bind_text(st, 1, abs ? abs : out_dir, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 2, now, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, (sqlite3_int64)getpid());
	int rc = sqlite3_step(st) == SQLITE_DONE ? DC_OK : db_error(l, "cannot record the run");
	sqlite3_finalize(st);
	free(abs);
	l->run_id = sqlite3_last_insert_rowid(l->db);
	return rc;
}

int dc_ledger_end_run(struct dc_ledger *l, int exit_status)
{
	char sql[128];
	snprintf(sql, sizeof sql, "UPDATE runs SET state='done', exit_status=%d WHERE id=%lld",
		 exit_status, (long long)l->run_id);
	return exec(l, sql);
}

static int step_done(struct dc_ledger *l, sqlite3_stmt *st, const char *what)
{
	int rc = sqlite3_step(st);
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	if (rc != SQLITE_DONE)
		return db_error(l, what);
	return DC_OK;
}

static int lookup(struct dc_ledger *l, sqlite3_stmt *st, const char *provider, const char *scheme,
		  const char *encounter_id)
{
	if (dc_ledger_fail_hook && dc_ledger_fail_hook("lookup"))
		return dc_diag_report(l->ds, DC_SEV_ERROR, DC_ERR_IO, l->path, 0,
				      "ledger: cannot look up an encounter: injected failure");
	sqlite3_bind_text(st, 1, provider, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, scheme, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, encounter_id, -1, SQLITE_STATIC);
	int rc = sqlite3_step(st);
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	if (rc == SQLITE_ROW)
		return 1;
	if (rc != SQLITE_DONE)
		return db_error(l, "cannot look up an encounter");
	return 0;
}


/* ---- the run's marks ---- */

/*
 * What this run billed from an input read to the end, so that a later
 * input's copy of an encounter is found billed (dc_ledger_mark). They live
 * in a temporary database of their own, not in the ledger, so that a
 * thread can write them while the next input is read and looked up in the
 * ledger: an input's marks cost the run's thread only reading them back
 * and setting their bits in the filter.
 *
 * A mark goes into the filter (its hash with up to 63 others, in one go)
 * and into |fill| (provider, scheme and id, each ended by a NUL). A full
 * |fill|, and what is left at the end of the input
 * (dc_ledger_marks_flush), is handed over. Until a lookup
 * needs the marks, the batches handed over only go to |spool|, a
 * temporary file: in most runs the filter answers every lookup and the
 * marks are never written. The first lookup the filter lets through
 * writes the spooled batches (in the caller's thread) and from then on a
 * batch handed over becomes |todo|: the thread writes it, or the caller at
 * once when marks are not written in the background. A lookup that the
 * filter lets through first waits until every mark handed over is
 * written. |fill| belongs to the thread that marks; marks and lookups
 * never run at the same time (run.c marks between inputs).
 */
struct marks {
	sqlite3 *db;                /* a private temporary database */
	sqlite3_stmt *ins, *look;
	struct dc_bloom filter;
	uint64_t pend[64];          /* hashes not yet in the filter (marks_filter) */
	unsigned npend;
	struct dc_buf fill;
	struct dc_buf todo;         /* handed over and not yet written */
	FILE *spool;                /* batches handed over while no lookup needed them */
	int live;                   /* a lookup needed them: batches are written */
	pthread_mutex_t mu;
	pthread_cond_t cv;
	pthread_t th;
	int thread;                 /* started */
	int busy;                   /* |todo| waits for the thread */
	int stop;
	char *err;                  /* the first failure to write marks */
	int err_told;
};

/* 4 MiB: a false positive (a needless lookup) in about 150,000 lookups with
 * a million marks, in 150 with three million */
#define MARK_BITS (1ULL << 25)
/* marks handed to the thread at a time: the memory they hold is twice this */
#define MARK_BATCH (1u << 20)

static int marks_open(struct dc_ledger *l)
{
	struct marks *m = dc_xcalloc(1, sizeof *m);
	dc_buf_init(&m->fill);
	dc_buf_init(&m->todo);
	pthread_mutex_init(&m->mu, NULL);
	pthread_cond_init(&m->cv, NULL);
	l->marks = m;
	/* the empty name: a database of this connection alone, removed when closed */
	if (sqlite3_open_v2("", &m->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
			    SQLITE_OPEN_FULLMUTEX, NULL) != SQLITE_OK ||
	    sqlite3_exec(m->db, "PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF;"
			 "PRAGMA cache_size=-2048;"
			 "CREATE TABLE run_billed(provider TEXT, scheme TEXT, encounter_id TEXT,"
			 " PRIMARY KEY(provider, scheme, encounter_id)) WITHOUT ROWID;",
			 NULL, NULL, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(m->db, "INSERT OR IGNORE INTO run_billed VALUES(?1, ?2, ?3)", -1,
			       &m->ins, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(m->db, "SELECT 1 FROM run_billed WHERE provider=?1 AND scheme=?2"
			       " AND encounter_id=?3", -1, &m->look, NULL) != SQLITE_OK)
		return dc_diag_report(l->ds, DC_SEV_ERROR, DC_ERR_IO, l->path, 0,
				      "ledger: cannot make the table of this run's marks: %s",
				      m->db ? sqlite3_errmsg(m->db) : "out of memory");
	dc_bloom_init(&m->filter, MARK_BITS);
	return DC_OK;
}

/* Keeps the first failure to write marks (|why|, or the marks database's error). */
static void marks_failed(struct marks *m, const char *why)
{
	pthread_mutex_lock(&m->mu);
	if (!m->err)
		m->err = dc_xstrdup(why ? why : sqlite3_errmsg(m->db));
	pthread_mutex_unlock(&m->mu);
}

/* Writes a batch of marks in one transaction; on failure keeps the first error. */
static void marks_write(struct marks *m, const char *p, size_t n)
{
	const char *end = p + n;
	const char *why = NULL;
	if (dc_ledger_fail_hook && dc_ledger_fail_hook("marks"))
		why = "injected failure";
	int ok = !why && sqlite3_exec(m->db, "BEGIN", NULL, NULL, NULL) == SQLITE_OK;
	while (ok && p < end) {
		const char *f[3];
		for (int i = 0; i < 3; i++) {
			f[i] = p;
			p += strlen(p) + 1;
		}
		for (int i = 0; i < 3; i++)
			sqlite3_bind_text(m->ins, i + 1, f[i], -1, SQLITE_STATIC);
		ok = sqlite3_step(m->ins) == SQLITE_DONE;
		sqlite3_reset(m->ins);
	}
	sqlite3_clear_bindings(m->ins);
	if (ok)
		ok = sqlite3_exec(m->db, "COMMIT", NULL, NULL, NULL) == SQLITE_OK;
	if (!ok) {
		marks_failed(m, why);
		sqlite3_exec(m->db, "ROLLBACK", NULL, NULL, NULL);
	}
}

/* Appends |fill| to the spool: its length, then the batch. */
static void marks_spool(struct marks *m)
{
	uint64_t n = m->fill.len;
	errno = 0;
	if (dc_ledger_fail_hook && dc_ledger_fail_hook("marks"))
		marks_failed(m, "injected failure");
	else if ((!m->spool && !(m->spool = tmpfile())) ||
		 fwrite(&n, sizeof n, 1, m->spool) != 1 ||
		 fwrite(m->fill.p, 1, m->fill.len, m->spool) != m->fill.len)
		marks_failed(m, errno ? strerror(errno) : "cannot write a temporary file");
	dc_buf_reset(&m->fill);
}

/* The first lookup that needs the marks: the spooled batches written, here. */
static void marks_go_live(struct marks *m)
{
	m->live = 1;
	if (!m->spool)
		return;
	struct dc_buf b;
	dc_buf_init(&b);
	uint64_t n;
	if (fflush(m->spool) != 0 || fseek(m->spool, 0, SEEK_SET) != 0)
		marks_failed(m, strerror(errno));
	else
		while (fread(&n, sizeof n, 1, m->spool) == 1) {
			dc_buf_reset(&b);
			dc_buf_grow(&b, n);
			if (fread(b.p, 1, n, m->spool) != n) {
				marks_failed(m, "the spooled marks are cut short");
				break;
			}
			marks_write(m, b.p, n);
		}
	if (ferror(m->spool))
		marks_failed(m, "cannot read the spooled marks back");
	dc_buf_release(&b);
	fclose(m->spool);
	m->spool = NULL;
}

static void *marks_main(void *arg)
{
	struct marks *m = arg;
	pthread_mutex_lock(&m->mu);
	for (;;) {
		while (!m->busy && !m->stop)
			pthread_cond_wait(&m->cv, &m->mu);
		if (!m->busy)
			break;
		pthread_mutex_unlock(&m->mu);
		marks_write(m, m->todo.p, m->todo.len);
		pthread_mutex_lock(&m->mu);
		dc_buf_reset(&m->todo);
		m->busy = 0;
		pthread_cond_broadcast(&m->cv);
	}
	pthread_mutex_unlock(&m->mu);
	return NULL;
}

/* Hands |fill| over: to the thread, or written here and now. */
static void marks_hand_over(struct dc_ledger *l)
{
	struct marks *m = l->marks;
	if (!m->fill.len)
		return;
	if (!m->live) {
		marks_spool(m);
		return;
	}
	if (l->marks_bg && !m->thread)
		m->thread = pthread_create(&m->th, NULL, marks_main, m) == 0;
	if (!m->thread) {
		marks_write(m, m->fill.p, m->fill.len);
		dc_buf_reset(&m->fill);
		return;
	}
	pthread_mutex_lock(&m->mu);
	while (m->busy)
		pthread_cond_wait(&m->cv, &m->mu);
	struct dc_buf t = m->todo;
	m->todo = m->fill;
	m->fill = t;
	dc_buf_reset(&m->fill);
	m->busy = 1;
	pthread_cond_broadcast(&m->cv);
	pthread_mutex_unlock(&m->mu);
}

/* Waits until every mark made is written; the status of all of them. */
static int marks_settle(struct dc_ledger *l)
{
	struct marks *m = l->marks;
	if (!m)
		return DC_OK;
	if (m->fill.len)
		marks_hand_over(l);
	pthread_mutex_lock(&m->mu);
	while (m->busy)
		pthread_cond_wait(&m->cv, &m->mu);
	int failed = m->err != NULL, tell = failed && !m->err_told;
	m->err_told |= failed;
	pthread_mutex_unlock(&m->mu);
	if (tell)
		dc_diag_report(l->ds, DC_SEV_ERROR, DC_ERR_IO, l->path, 0,
			       "ledger: cannot mark an encounter: %s", m->err);
	return failed ? DC_ERR_IO : DC_OK;
}

static void marks_close(struct dc_ledger *l)
{
	struct marks *m = l->marks;
	if (!m)
		return;
	if (m->thread) {
		pthread_mutex_lock(&m->mu);
		m->stop = 1;
		pthread_cond_broadcast(&m->cv);
		pthread_mutex_unlock(&m->mu);
		pthread_join(m->th, NULL);
	}
	if (m->spool)
		fclose(m->spool);
	sqlite3_finalize(m->ins);
	sqlite3_finalize(m->look);
	sqlite3_close(m->db);
	dc_bloom_release(&m->filter);
	dc_buf_release(&m->fill);
	dc_buf_release(&m->todo);
	pthread_mutex_destroy(&m->mu);
	pthread_cond_destroy(&m->cv);
	free(m->err);
	free(m);
	l->marks = NULL;
}

/* Puts the hashes of the marks made lately into the filter. */
static void marks_filter(struct marks *m)
{
	dc_bloom_add_many(&m->filter, m->pend, m->npend);
	m->npend = 0;
}

/* An encounter's key, hashed for the filter of the run's marks. */
static uint64_t mark_hash(const char *provider, const char *scheme, const char *encounter_id)
{
	const char *parts[] = { encounter_id, scheme, provider };
	uint64_t h = DC_FNV1A64_BASIS;
	for (int i = 0; i < 3; i++) {
		/* a unit separator after each part */
		h = dc_fnv1a64_more(h, parts[i], strlen(parts[i]));
		h = dc_fnv1a64_more(h, "\x1f", 1);
	}
	return h;
}

/* 1 when this run marked the encounter, 0 when not, or a negative status. */
static int marks_lookup(struct dc_ledger *l, const char *provider, const char *scheme,
			const char *encounter_id)
{
	struct marks *m = l->marks;
	if (!m)
		return 0;
	if (m->npend)
		marks_filter(m);
	if (!dc_bloom_maybe(&m->filter, mark_hash(provider, scheme, encounter_id)))
		return 0;
	if (!m->live)
		marks_go_live(m);
	if (marks_settle(l) < 0)
		return DC_ERR_IO;
	if (dc_ledger_fail_hook && dc_ledger_fail_hook("lookup"))
		return dc_diag_report(l->ds, DC_SEV_ERROR, DC_ERR_IO, l->path, 0,
				      "ledger: cannot look up an encounter: injected failure");
	sqlite3_bind_text(m->look, 1, provider, -1, SQLITE_STATIC);
	sqlite3_bind_text(m->look, 2, scheme, -1, SQLITE_STATIC);
	sqlite3_bind_text(m->look, 3, encounter_id, -1, SQLITE_STATIC);
	int rc = sqlite3_step(m->look);
	sqlite3_reset(m->look);
	sqlite3_clear_bindings(m->look);
	if (rc == SQLITE_ROW)
		return 1;
	if (rc != SQLITE_DONE)
		return dc_diag_report(l->ds, DC_SEV_ERROR, DC_ERR_IO, l->path, 0,
				      "ledger: cannot look up an encounter: %s",
				      sqlite3_errmsg(m->db));
	return 0;
}

int dc_ledger_billed(struct dc_ledger *l, const char *provider, const char *scheme,
		     const char *encounter_id)
{
	bg_begin(l);
	int rc = lookup(l, l->billed, provider, scheme, encounter_id);
	/*
	 * The run's own marks: none until an input of a run of several is
	 * done; the filter spares most encounters a second lookup.
	 */
	if (rc == 0) {
		rc = marks_lookup(l, provider, scheme, encounter_id);
		if (rc == 1)
			rc = 2;
	}
	return rc;
}

int dc_ledger_payer_claim_number(struct dc_ledger *l, const char *claim_id, const char *scheme,
				 char *buf, size_t n)
{
	buf[0] = '\0';
	if (l->pcn_none)
		return 0;
	if (!l->pcn) {
		/* reconcile.c's table: absent until a remittance was reconciled */
		sqlite3_stmt *t;
		if (prepare(l, &t, "SELECT 1 FROM sqlite_master WHERE type='table'"
			    " AND name='recon_status'") < 0)
			return DC_ERR_IO;
		int rc = sqlite3_step(t);
		sqlite3_finalize(t);
		if (rc != SQLITE_ROW) {
			l->pcn_none = 1;
			return 0;
		}
		if (prepare(l, &l->pcn, "SELECT payer_claim_no FROM recon_status"
			    " WHERE claim_id=?1 AND scheme=?2") < 0)
			return DC_ERR_IO;
	}
	bg_begin(l);
	sqlite3_bind_text(l->pcn, 1, claim_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(l->pcn, 2, scheme, -1, SQLITE_STATIC);
	int rc = sqlite3_step(l->pcn), found = 0;
	if (rc == SQLITE_ROW) {
		const char *v = (const char *)sqlite3_column_text(l->pcn, 0);
		if (v && *v) {
			snprintf(buf, n, "%s", v);
			found = 1;
		}
	}
	sqlite3_reset(l->pcn);
	sqlite3_clear_bindings(l->pcn);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return db_error(l, "cannot look up a payer's claim number");
	return found;
}

int dc_ledger_mark(struct dc_ledger *l, const char *provider, const char *scheme,
		   const char *encounter_id)
{
	if (dc_ledger_fail_hook && dc_ledger_fail_hook("mark"))
		return dc_diag_report(l->ds, DC_SEV_ERROR, DC_ERR_IO, l->path, 0,
				      "ledger: cannot mark an encounter: injected failure");
	if (!l->marks && marks_open(l) < 0) {
		marks_close(l);
		return DC_ERR_IO;
	}
	struct marks *m = l->marks;
	m->pend[m->npend++] = mark_hash(provider, scheme, encounter_id);
	if (m->npend == sizeof m->pend / sizeof *m->pend)
		marks_filter(m);
	dc_buf_add(&m->fill, provider, strlen(provider) + 1);
	dc_buf_add(&m->fill, scheme, strlen(scheme) + 1);
	dc_buf_add(&m->fill, encounter_id, strlen(encounter_id) + 1);
	if (m->fill.len >= MARK_BATCH)
		marks_hand_over(l);
	return DC_OK;
}

void dc_ledger_marks_in_background(struct dc_ledger *l)
{
	l->marks_bg = 1;
}

void dc_ledger_marks_flush(struct dc_ledger *l)
{
	if (l->marks) {
		marks_filter(l->marks);
		marks_hand_over(l);
	}
}

int dc_ledger_marks_wait(struct dc_ledger *l)
{
	int rc = marks_settle(l);
	marks_close(l);
	return rc;
}

int dc_ledger_claim_taken(struct dc_ledger *l, const char *claim_id, const char *provider,
			  const char *encounter_id)
{
	bg_begin(l);
	sqlite3_bind_text(l->taken, 1, claim_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(l->taken, 2, provider, -1, SQLITE_STATIC);
	sqlite3_bind_text(l->taken, 3, encounter_id, -1, SQLITE_STATIC);
	int injected = dc_ledger_fail_hook && dc_ledger_fail_hook("lookup");
	int rc = injected ? SQLITE_IOERR : sqlite3_step(l->taken);
	sqlite3_reset(l->taken);
	sqlite3_clear_bindings(l->taken);
	if (rc == SQLITE_ROW)
		return 1;
	if (rc == SQLITE_DONE)
		return 0;
	return dc_diag_report(l->ds, DC_SEV_ERROR, DC_ERR_IO, l->path, 0,
			      "ledger: cannot look up a claim id: %s",
			      injected ? "injected failure" : sqlite3_errmsg(l->db));
}

int dc_ledger_file_begin(struct dc_ledger *l)
{
	if (exec(l, "BEGIN IMMEDIATE") < 0)
		return DC_ERR_IO;
	l->in_tx = 1;
	/*
	 * The file's row first, so that its claims name it as they are added
	 * (not found afterwards by a search of every claim the ledger holds);
	 * it becomes 'pending' at dc_ledger_file_commit, in the same transaction.
	 */
	sqlite3_stmt *st;
	if (prepare(l, &st, "INSERT INTO files(run_id, kind, path, state) VALUES(?, '', '', 'writing')")
	    < 0) {
		dc_ledger_file_rollback(l);
		return DC_ERR_IO;
	}
	sqlite3_bind_int64(st, 1, l->run_id);
	int rc = step_done(l, st, "cannot record a file");
	sqlite3_finalize(st);
	if (rc < 0) {
		dc_ledger_file_rollback(l);
		return DC_ERR_IO;
	}
	l->file_row = sqlite3_last_insert_rowid(l->db);
	return DC_OK;
}

/* The first number at or after |v| that shard k of n may use. */
static long shard_number(long v, int shard_k, int shard_n)
{
	if (shard_n > 1)
		while (v % shard_n != shard_k % shard_n)
			v++;
	return v;
}

int dc_ledger_peek_control(struct dc_ledger *l, const char *key, int shard_k, int shard_n,
			   long after_isa13, long after_gs06, long *isa13, long *gs06)
{
	if (after_isa13 > 0) {
		*isa13 = shard_number(after_isa13 + 1, shard_k, shard_n);
		*gs06 = shard_number(after_gs06 + 1, shard_k, shard_n);
		return DC_OK;
	}
	sqlite3_stmt *st;
	if (prepare(l, &st, "SELECT next_isa13, next_gs06 FROM control WHERE key=?1") < 0)
		return DC_ERR_IO;
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	int rc = sqlite3_step(st);
	*isa13 = rc == SQLITE_ROW ? (long)sqlite3_column_int64(st, 0) : 1;
	*gs06 = rc == SQLITE_ROW ? (long)sqlite3_column_int64(st, 1) : 1;
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return db_error(l, "cannot read the control numbers");
	*isa13 = shard_number(*isa13, shard_k, shard_n);
	*gs06 = shard_number(*gs06, shard_k, shard_n);
	return DC_OK;
}

int dc_ledger_next_control(struct dc_ledger *l, const char *key, int shard_k, int shard_n,
			   long *isa13, long *gs06)
{
	sqlite3_stmt *st;
	if (prepare(l, &st, "INSERT OR IGNORE INTO control VALUES(?1, 1, 1)") < 0)
		return DC_ERR_IO;
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	int rc = step_done(l, st, "cannot reserve a control number");
	sqlite3_finalize(st);
	if (rc < 0)
		return rc;
	if (prepare(l, &st, "SELECT next_isa13, next_gs06 FROM control WHERE key=?1") < 0)
		return DC_ERR_IO;
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_ROW) {
		sqlite3_finalize(st);
		return db_error(l, "cannot read the control numbers");
	}
	*isa13 = (long)sqlite3_column_int64(st, 0);
	*gs06 = (long)sqlite3_column_int64(st, 1);
	sqlite3_finalize(st);
	*isa13 = shard_number(*isa13, shard_k, shard_n);
	*gs06 = shard_number(*gs06, shard_k, shard_n);
	if (*isa13 > 999999999)
		return dc_diag_report(l->ds, DC_SEV_ERROR, DC_ERR_IO, l->path, 0,
				      "ledger: interchange control numbers are exhausted for '%s'", key);
	if (prepare(l, &st, "UPDATE control SET next_isa13=?2, next_gs06=?3 WHERE key=?1") < 0)
		return DC_ERR_IO;
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, *isa13 + 1);
	sqlite3_bind_int64(st, 3, *gs06 + 1);
	rc = step_done(l, st, "cannot advance the control numbers");
	sqlite3_finalize(st);
	return rc;
}

void dc_ledger_line_json(struct dc_buf *b, int line_no, const char *code,
			 const char *modifiers, const char *units, int64_t charge_cents,
			 const char *line_control)
{
	if (b->len && b->p[b->len - 1] != '[')
		dc_buf_addc(b, ',');
	dc_buf_addc(b, '[');
	dc_buf_int(b, line_no);
	dc_buf_addc(b, ',');
	dc_buf_json(b, code);
	dc_buf_addc(b, ',');
	dc_buf_json(b, modifiers);
	dc_buf_addc(b, ',');
	dc_buf_json(b, units);
	dc_buf_addc(b, ',');
	dc_buf_int(b, charge_cents);
	dc_buf_addc(b, ',');
	dc_buf_json(b, line_control);
	dc_buf_addc(b, ']');
}

int dc_ledger_add_claim(struct dc_ledger *l, const char *claim_id, const char *provider,
			const char *scheme, const char *encounter_id, const char *payer,
			const char *service_date, int64_t charge_cents, const char *frequency,
			const char *lines, size_t lines_len)
{
	sqlite3_stmt *st = l->add_claim;
	sqlite3_bind_text(st, 1, claim_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, provider, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, scheme, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, encounter_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, payer, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 6, service_date, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 7, charge_cents);
	sqlite3_bind_text(st, 8, frequency, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 9, l->file_row);
	sqlite3_bind_text(st, 10, lines, (int)lines_len, SQLITE_STATIC);
	if (step_done(l, st, "cannot record a claim") < 0)
		return DC_ERR_IO;
	if (strcmp(claim_id, encounter_id) != 0) {
		st = l->add_claim_id;
		sqlite3_bind_text(st, 1, provider, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, claim_id, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 3, encounter_id, -1, SQLITE_STATIC);
		if (step_done(l, st, "cannot record a claim id") < 0)
			return DC_ERR_IO;
	}
	st = l->add_enc;
	sqlite3_bind_text(st, 1, provider, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, scheme, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, encounter_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, claim_id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 5, l->file_row);
	return step_done(l, st, "cannot record an encounter");
}

int dc_ledger_file_commit(struct dc_ledger *l, const char *kind, const char *final_path,
			  const char *tmp_path, long isa13, int64_t *file_id)
{
	sqlite3_stmt *st;
	if (prepare(l, &st, "UPDATE files SET kind=?2, path=?3, tmp_path=?4, isa13=?5,"
			    " state='pending' WHERE id=?1") < 0)
		goto fail;
	sqlite3_bind_int64(st, 1, l->file_row);
	sqlite3_bind_text(st, 2, kind, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, final_path, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, tmp_path, -1, SQLITE_STATIC);
	if (isa13 >= 0)
		sqlite3_bind_int64(st, 5, isa13);
	if (step_done(l, st, "cannot record a file") < 0) {
		sqlite3_finalize(st);
		goto fail;
	}
	sqlite3_finalize(st);
	*file_id = l->file_row;
	if (dc_ledger_fail_hook && dc_ledger_fail_hook("commit")) {
		dc_diag_report(l->ds, DC_SEV_ERROR, DC_ERR_IO, l->path, 0,
			       "ledger: cannot commit: injected failure");
		goto fail;
	}
	if (exec(l, "COMMIT") < 0)
		goto fail;
	l->in_tx = 0;
	return DC_OK;
fail:
	dc_ledger_file_rollback(l);
	return DC_ERR_IO;
}

void dc_ledger_file_rollback(struct dc_ledger *l)
{
	if (l->in_tx)
		sqlite3_exec(l->db, "ROLLBACK", NULL, NULL, NULL);
	l->in_tx = 0;
}

int dc_ledger_file_complete(struct dc_ledger *l, int64_t file_id)
{
	char sql[128];
	snprintf(sql, sizeof sql, "UPDATE files SET state='complete' WHERE id=%lld",
		 (long long)file_id);
	return exec(l, sql);
}

int dc_ledger_file_forget(struct dc_ledger *l, int64_t file_id)
{
	char sql[2560];
	long long id = (long long)file_id;
	/*
	 * An encounter the file billed again (--rebill) stays billed by the
	 * claim before: its row goes back to its latest claim that is left.
	 * A claim id the file's claims held goes unless a claim left holds it.
	 */
	snprintf(sql, sizeof sql,
		 "BEGIN;"
		 " CREATE TEMP TABLE IF NOT EXISTS forgotten(provider TEXT, scheme TEXT,"
		 "  encounter_id TEXT, PRIMARY KEY(provider, scheme, encounter_id)) WITHOUT ROWID;"
		 " CREATE TEMP TABLE IF NOT EXISTS forgotten_ids(provider TEXT, claim_id TEXT,"
		 "  encounter_id TEXT, PRIMARY KEY(provider, claim_id, encounter_id)) WITHOUT ROWID;"
		 " DELETE FROM forgotten; DELETE FROM forgotten_ids;"
		 " INSERT INTO forgotten SELECT provider, scheme, encounter_id FROM encounters"
		 "  WHERE file_id=%lld;"
		 " INSERT OR IGNORE INTO forgotten_ids SELECT provider, claim_id, encounter_id"
		 "  FROM claims WHERE file_id=%lld AND claim_id <> encounter_id;"
		 " DELETE FROM claims WHERE file_id=%lld;"
		 " DELETE FROM encounters WHERE file_id=%lld;"
		 " INSERT OR IGNORE INTO encounters SELECT provider, scheme, encounter_id, claim_id,"
		 "  file_id FROM claims WHERE (provider, scheme, encounter_id) IN"
		 "  (SELECT provider, scheme, encounter_id FROM forgotten) ORDER BY id DESC;"
		 " DELETE FROM forgotten_ids WHERE (provider, claim_id, encounter_id) IN"
		 "  (SELECT provider, claim_id, encounter_id FROM claims WHERE claim_id <> encounter_id);"
		 " DELETE FROM claim_ids WHERE (provider, claim_id, encounter_id) IN"
		 "  (SELECT provider, claim_id, encounter_id FROM forgotten_ids);"
		 " UPDATE files SET state='lost' WHERE id=%lld; COMMIT;", id, id, id, id, id);
	int rc = exec(l, sql);
	if (rc < 0)
		sqlite3_exec(l->db, "ROLLBACK", NULL, NULL, NULL);
	return rc;
}

int dc_ledger_add_input(struct dc_ledger *l, const char *path, uint64_t bytes,
			const char *sha256, const char *now, unsigned long rows,
			unsigned long coded, unsigned long held, unsigned long rejected)
{
	sqlite3_stmt *st;
	if (prepare(l, &st, "INSERT INTO inputs(run_id, path, bytes, sha256, now, rows, coded,"
			    " held, rejected) VALUES(?,?,?,?,?,?,?,?,?)") < 0)
		return DC_ERR_IO;
	sqlite3_bind_int64(st, 1, l->run_id);
	sqlite3_bind_text(st, 2, path, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, (sqlite3_int64)bytes);
	sqlite3_bind_text(st, 4, sha256, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, now, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 6, (sqlite3_int64)rows);
	sqlite3_bind_int64(st, 7, (sqlite3_int64)coded);
	sqlite3_bind_int64(st, 8, (sqlite3_int64)held);
	sqlite3_bind_int64(st, 9, (sqlite3_int64)rejected);
	int rc = step_done(l, st, "cannot record an input");
	sqlite3_finalize(st);
	return rc;
}

int dc_ledger_show(struct dc_ledger *l, void *outp)
{
	FILE *out = outp;
	static const char *const queries[][2] = {
		{ "runs", "SELECT id, now, state, exit_status, out_dir FROM runs ORDER BY id" },
		{ "control numbers", "SELECT key, next_isa13 - 1 AS last_isa13 FROM control" },
		{ "files", "SELECT id, kind, isa13, state, path FROM files ORDER BY id" },
		{ "claims by scheme", "SELECT scheme, count(*), printf('%.2f', sum(charge_cents)/100.0)"
		  " FROM claims GROUP BY scheme" },
		{ "inputs", "SELECT id, path, bytes, rows, coded, held, rejected FROM inputs ORDER BY id" },
	};
	for (size_t q = 0; q < sizeof queries / sizeof *queries; q++) {
		sqlite3_stmt *st;
		if (prepare(l, &st, queries[q][1]) < 0)
			return DC_ERR_IO;
		fprintf(out, "%s:\n", queries[q][0]);
		int cols = sqlite3_column_count(st);
		while (sqlite3_step(st) == SQLITE_ROW) {
			fputs(" ", out);
			for (int c = 0; c < cols; c++) {
				const unsigned char *v = sqlite3_column_text(st, c);
				fprintf(out, " %s", v ? (const char *)v : "-");
			}
			fputc('\n', out);
		}
		sqlite3_finalize(st);
	}
	return DC_OK;
}

const char *dc_ledger_path(const struct dc_ledger *l)
{
	return l->path;
}

struct sqlite3 *dc_ledger_db(struct dc_ledger *l)
{
	bg_end(l);
	return l->db;
}

int dc_ledger_merge(struct dc_ledger *l, const char *other, struct dc_diag_sink *ds)
{
	sqlite3_stmt *st;
	int conflicts = 0;
	struct stat sb;
	/* ATTACH would create a missing file: a typo must not merge "nothing" */
	if (stat(other, &sb) != 0 || !S_ISREG(sb.st_mode))
		return dc_diag_report(ds, DC_SEV_ERROR, DC_ERR_IO, other, 0,
				      "ledger to merge not found");
	if (prepare(l, &st, "ATTACH DATABASE ?1 AS shard") < 0)
		return DC_ERR_IO;
	sqlite3_bind_text(st, 1, other, -1, SQLITE_STATIC);
	int rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return db_error(l, "cannot open the ledger to merge");
	/* the same encounter billed by both under different claims */
	rc = DC_ERR_IO;
	if (prepare(l, &st, "SELECT s.provider, s.scheme, s.encounter_id, s.claim_id, m.claim_id"
			    " FROM shard.encounters s JOIN main.encounters m USING(provider, scheme,"
			    " encounter_id) WHERE s.claim_id <> m.claim_id"
			    " OR (SELECT path FROM shard.files WHERE id = s.file_id) <>"
			    "    (SELECT path FROM main.files WHERE id = m.file_id)") < 0)
		goto detach;
	while (sqlite3_step(st) == SQLITE_ROW) {
		conflicts++;
		dc_diag_report(ds, DC_SEV_ERROR, 0, other, 0,
			       "encounter '%s' (%s) is billed in both ledgers, in different files",
			       (const char *)sqlite3_column_text(st, 2),
			       (const char *)sqlite3_column_text(st, 1));
	}
	sqlite3_finalize(st);
	/* an ISA13 used by both for different files */
	if (prepare(l, &st, "SELECT s.isa13 FROM shard.files s JOIN main.files m USING(isa13)"
			    " WHERE s.isa13 IS NOT NULL AND s.path <> m.path") < 0)
		goto detach;
	while (sqlite3_step(st) == SQLITE_ROW) {
		conflicts++;
		dc_diag_report(ds, DC_SEV_ERROR, 0, other, 0,
			       "interchange control number %lld is used by both ledgers",
			       (long long)sqlite3_column_int64(st, 0));
	}
	sqlite3_finalize(st);
	if (conflicts)
		goto detach;
	/* a shard's ledger of schema 1 keeps its lines in a table of their own */
	int shard_v = schema_version(l, "shard");
	if (shard_v < 1 || shard_v > DC_LEDGER_SCHEMA) {
		dc_diag_report(ds, DC_SEV_ERROR, DC_ERR_IO, other, 0,
			       "not a ledger this dripcode can merge (schema %d)", shard_v);
		goto detach;
	}
	const char *lines = shard_v >= 2 ? "c.lines" :
		"(SELECT json_group_array(json_array(line_no, code, modifiers, units,"
		" charge_cents, line_control)) FROM (SELECT * FROM shard.lines"
		" WHERE claim_row = c.id ORDER BY line_no, rowid))";
	struct dc_buf sql;
	dc_buf_init(&sql);
	/* files the main ledger already has (a shard copied from it) are skipped */
	dc_buf_printf(&sql,
		"BEGIN;"
		"CREATE TEMP TABLE fmap AS SELECT s.id AS old, NULL AS new, s.path FROM shard.files s"
		"  WHERE s.path NOT IN (SELECT path FROM main.files);"
		"INSERT INTO main.files(run_id, kind, path, tmp_path, isa13, state)"
		"  SELECT NULL, kind, path, tmp_path, isa13, state FROM shard.files"
		"  WHERE id IN (SELECT old FROM fmap) ORDER BY id;"
		"UPDATE fmap SET new = (SELECT id FROM main.files f WHERE f.path = fmap.path);"
		"INSERT INTO main.claims(claim_id, provider, scheme, encounter_id, payer, service_date,"
		"  charge_cents, frequency, file_id, lines)"
		"  SELECT claim_id, provider, scheme, encounter_id, payer, service_date, charge_cents,"
		"  frequency, (SELECT new FROM fmap WHERE old = c.file_id), %s FROM shard.claims c"
		"  WHERE c.file_id IN (SELECT old FROM fmap) ORDER BY c.id;"
		"INSERT OR IGNORE INTO main.claim_ids SELECT provider, claim_id, encounter_id"
		"  FROM shard.claims c WHERE c.file_id IN (SELECT old FROM fmap)"
		"  AND claim_id <> encounter_id AND provider IS NOT NULL;"
		"INSERT OR IGNORE INTO main.encounters SELECT provider, scheme, encounter_id, claim_id,"
		"  (SELECT new FROM fmap WHERE old = e.file_id) FROM shard.encounters e"
		"  WHERE e.file_id IN (SELECT old FROM fmap);"
		"INSERT INTO main.inputs(run_id, path, bytes, sha256, now, rows, coded, held, rejected)"
		"  SELECT NULL, path, bytes, sha256, now, rows, coded, held, rejected FROM shard.inputs s"
		"  WHERE NOT EXISTS (SELECT 1 FROM main.inputs m WHERE m.path IS s.path"
		"  AND m.sha256 IS s.sha256 AND m.now IS s.now AND m.rows IS s.rows"
		"  AND m.coded IS s.coded AND m.held IS s.held);"
		"INSERT OR IGNORE INTO main.control SELECT * FROM shard.control;"
		"UPDATE main.control SET"
		"  next_isa13 = max(next_isa13, coalesce((SELECT next_isa13 FROM shard.control s"
		"    WHERE s.key = control.key), 0)),"
		"  next_gs06 = max(next_gs06, coalesce((SELECT next_gs06 FROM shard.control s"
		"    WHERE s.key = control.key), 0));"
		"DROP TABLE temp.fmap;"
		"COMMIT;", lines);
	rc = exec(l, sql.p);
	dc_buf_release(&sql);
	if (rc < 0)
		sqlite3_exec(l->db, "ROLLBACK", NULL, NULL, NULL);
detach:
	sqlite3_exec(l->db, "DETACH DATABASE shard", NULL, NULL, NULL);
	if (conflicts)
		return DC_ERR_USAGE;
	return rc;
}
