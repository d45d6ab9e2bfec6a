/*
 * Reconciliation (see reconcile.h for the contract and the two phases).
 *
 * Design choices, each against the obvious alternative:
 * - Remittances are stored as read and matched at report time, rather than
 *   matched at ingest with the match stored: a claim that becomes known
 *   later (a later `code` run, another --claims file) picks up remittances
 *   already received, and idempotence is by construction (same stored
 *   rows, same report).
 * - Every report is computed from the whole ledger, not this run's inputs:
 *   applying an 835 twice leaves every figure unchanged, and a status is
 *   always the result of all remittances in payment-date order, whichever
 *   order the files arrived in.
 * - The claim set lives in SQLite (a TEMP table joining the ledger's
 *   claims and the 837-imported ones, indexed on the id and its first 20
 *   characters), not in a RAM hash: memory holds one claim and its
 *   remittances whatever the ledger size.
 * - Money is int64 cents end to end; rates are integer basis points.
 */
#include "engine/reconcile.h"

#include <errno.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <dirent.h>
#include <time.h>

#include "engine/arena.h"
#include "engine/buf.h"
#include "engine/dc_status.h"
#include "engine/input.h"
#include "engine/ledger.h"
#include "engine/output.h"
#include "engine/value.h"
#include "parsers/remit_uk.h"
#include "parsers/x12.h"
#include "parsers/x835.h"
#include "parsers/x837_read.h"
#include "rulesets/dc_rules.h"

/* ---- the rules ------------------------------------------------------------ */

const char *dc_recon_status_name(enum dc_recon_status s)
{
	static const char *const names[] = { "pending", "paid", "partial", "denied", "reversed" };
	return (unsigned)s < 5 ? names[s] : "pending";
}

static int has_token(const char *list, const char *tok)
{
	size_t n = strlen(tok);
	if (!n)
		return 0;
	for (const char *p = list; p && *p;) {
		const char *e = strchr(p, ';');
		size_t k = e ? (size_t)(e - p) : strlen(p);
		if (k == n && !memcmp(p, tok, n))
			return 1;
		p = e ? e + 1 : NULL;
	}
	return 0;
}

/* Categories that are not denials (reconcile.md: CO-45-like and PR). */
static int not_denial(const char *cat)
{
	return !strcmp(cat, "contractual") || !strcmp(cat, "patient_responsibility") ||
	       !strcmp(cat, "none");
}

const char *dc_recon_category(const struct dc_rules *rules, char kind, const char *group,
			      const char *reason, const char *rarcs, int uk_status,
			      int *denial)
{
	const char *cat = NULL;
	if (kind == 'U') {
		if (rules && *reason) {
			long row = dc_table_find(&rules->uk_reasons, reason);
			if (row >= 0)
				cat = dc_table_value(&rules->uk_reasons, row, "category");
		}
		/* no reason code: a paid line's difference is not a denial */
		if (!cat || !*cat)
			cat = (!*reason && uk_status == 1) ? "none" : "other";
		*denial = !not_denial(cat);
		return cat;
	}
	if (!strcmp(group, "PR")) {
		/* whatever the CARC, what the patient owes is not a denial */
		*denial = 0;
		return "patient_responsibility";
	}
	if (rules && rules->us_carc.nrows) {
		const struct dc_table *t = &rules->us_carc;
		/* a row with a RARC refines the CARC's row; scan, the table is small */
		long plain = -1, refined = -1;
		for (size_t i = 0; i < t->nrows; i++) {
			if (strcmp(t->rows[i][0], reason) != 0)
				continue;
			const char *rarc = t->keycols > 1 ? t->rows[i][1] : "";
			if (!*rarc) {
				if (plain < 0)
					plain = (long)i;
			} else if (refined < 0 && has_token(rarcs, rarc)) {
				refined = (long)i;
			}
		}
		long row = refined >= 0 ? refined : plain;
		if (row >= 0)
			cat = dc_table_value(t, row, "category");
	}
	if (!cat || !*cat)
		cat = "other";
	*denial = !not_denial(cat);
	return cat;
}

enum dc_recon_status dc_recon_status_of(struct dc_recon_verdict *v, size_t n)
{
	if (n == 0)
		return DC_RECON_PENDING;
	for (size_t i = 0; i < n; i++) {
		v[i].active = !v[i].reversal;
		if (!v[i].reversal)
			continue;
		/* the payment this reversal cancels: same payer claim number, else
		 * the amount it negates, else the latest one still active */
		long pick = -1;
		for (size_t k = i; k-- > 0 && pick < 0;)
			if (v[k].active && v[i].payer_claim_no && *v[i].payer_claim_no &&
			    v[k].payer_claim_no && !strcmp(v[k].payer_claim_no, v[i].payer_claim_no))
				pick = (long)k;
		for (size_t k = i; k-- > 0 && pick < 0;)
			if (v[k].active && v[k].paid == -v[i].paid)
				pick = (long)k;
		for (size_t k = i; k-- > 0 && pick < 0;)
			if (v[k].active)
				pick = (long)k;
		if (pick >= 0)
			v[pick].active = 0;
	}
	int64_t paid = 0;
	int any = 0, denial = 0, all_denied = 1;
	for (size_t i = 0; i < n; i++) {
		if (!v[i].active)
			continue;
		any = 1;
		paid += v[i].paid;
		if (v[i].any_denial || v[i].claim_denied)
			denial = 1;
		int whole = v[i].claim_denied || (v[i].nlines && v[i].nlines_denied == v[i].nlines);
		if (!whole)
			all_denied = 0;
	}
	if (!any)
		return DC_RECON_REVERSED;   /* the last word was a reversal */
	if (paid <= 0 && denial && all_denied)
		return DC_RECON_DENIED;
	if (denial)
		return DC_RECON_PARTIAL;
	return DC_RECON_PAID;
}

/* ---- SQLite helpers ------------------------------------------------------- */

struct rc {
	const struct dc_reconcile_opts *o;
	struct dc_diag_sink *ds;
	struct dc_reconcile_result *res;
	struct dc_rules rules;
	struct dc_ledger *ledger;
	sqlite3 *db;
	const char *ledger_name;
	char now[32];
	int64_t run_id;
	int64_t thr;                    /* audit threshold, DC_DEC_SCALE units of percent */
	char thr_text[32];
	struct dc_buf inputs_json;      /* summary.json "inputs" entries */
	int db_failed;
};

static int db_err(struct rc *r, const char *what)
{
	r->db_failed = 1;
	r->res->output_failed = 1;
	return dc_diag_report(r->ds, DC_SEV_ERROR, DC_ERR_IO, r->ledger_name, 0,
			      "ledger: %s: %s", what, sqlite3_errmsg(r->db));
}

static int exec(struct rc *r, const char *sql)
{
	char *err = NULL;
	if (sqlite3_exec(r->db, sql, NULL, NULL, &err) != SQLITE_OK) {
		sqlite3_free(err);
		return db_err(r, "cannot update the reconciliation tables");
	}
	return 0;
}

static sqlite3_stmt *prep(struct rc *r, const char *sql)
{
	sqlite3_stmt *st = NULL;
	if (sqlite3_prepare_v2(r->db, sql, -1, &st, NULL) != SQLITE_OK) {
		db_err(r, "cannot prepare a statement");
		return NULL;
	}
	return st;
}

static void bt(sqlite3_stmt *st, int i, const char *s)
{
	sqlite3_bind_text(st, i, s ? s : "", -1, SQLITE_TRANSIENT);
}

static void bi(sqlite3_stmt *st, int i, int64_t v)
{
	sqlite3_bind_int64(st, i, v);
}

static const char *ct(sqlite3_stmt *st, int i)
{
	const char *s = (const char *)sqlite3_column_text(st, i);
	return s ? s : "";
}

/* Steps a statement that returns no row; resets it. */
static int step_done(struct rc *r, sqlite3_stmt *st)
{
	int rc = sqlite3_step(st);
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	if (rc != SQLITE_DONE)
		return db_err(r, "cannot write");
	return 0;
}

static const char schema[] =
	"CREATE TABLE IF NOT EXISTS recon_runs(id INTEGER PRIMARY KEY, now TEXT, out_dir TEXT);"
	"CREATE TABLE IF NOT EXISTS recon_ext_claims(id INTEGER PRIMARY KEY,"
	"  claim_id TEXT NOT NULL UNIQUE, encounter_id TEXT, scheme TEXT, payer TEXT,"
	"  payer_name TEXT, provider TEXT, service_date TEXT, charge_cents INTEGER,"
	"  frequency TEXT, source TEXT);"
	"CREATE TABLE IF NOT EXISTS recon_ext_lines(ext_id INTEGER NOT NULL, line_no INTEGER,"
	"  code TEXT, modifiers TEXT, units TEXT, charge_cents INTEGER, line_control TEXT);"
	"CREATE INDEX IF NOT EXISTS recon_ext_lines_by_claim ON recon_ext_lines(ext_id);"
	"CREATE TABLE IF NOT EXISTS recon_remits(id INTEGER PRIMARY KEY, kind TEXT NOT NULL,"
	"  payer TEXT NOT NULL, ref TEXT NOT NULL, payer_name TEXT, payment_date TEXT,"
	"  total_cents INTEGER, plb_cents INTEGER DEFAULT 0, balance_errors INTEGER DEFAULT 0,"
	"  source TEXT, applied TEXT, run_key INTEGER, UNIQUE(kind, payer, ref));"
	"CREATE TABLE IF NOT EXISTS recon_pays(id INTEGER PRIMARY KEY, remit_id INTEGER NOT NULL,"
	"  seq INTEGER, clp01 TEXT, status TEXT, charge INTEGER, paid INTEGER,"
	"  patient_resp INTEGER, payer_claim_no TEXT, claim_date TEXT, remarks TEXT,"
	"  unbalanced INTEGER, src_line INTEGER);"
	"CREATE INDEX IF NOT EXISTS recon_pays_by_clp01 ON recon_pays(clp01);"
	"CREATE TABLE IF NOT EXISTS recon_svcs(pay_id INTEGER NOT NULL, seq INTEGER, qual TEXT,"
	"  code TEXT, mods TEXT, units TEXT, orig_code TEXT, orig_mods TEXT, orig_units TEXT,"
	"  charge INTEGER, paid INTEGER, line_control TEXT, line_date TEXT, remarks TEXT,"
	"  uk_line_no INTEGER, uk_status INTEGER, unbalanced INTEGER);"
	"CREATE INDEX IF NOT EXISTS recon_svcs_by_pay ON recon_svcs(pay_id);"
	"CREATE TABLE IF NOT EXISTS recon_cas(pay_id INTEGER NOT NULL, svc_seq INTEGER,"
	"  grp TEXT, reason TEXT, amount INTEGER, qty TEXT);"
	"CREATE INDEX IF NOT EXISTS recon_cas_by_pay ON recon_cas(pay_id);"
	"CREATE TABLE IF NOT EXISTS recon_plb(remit_id INTEGER NOT NULL, seq INTEGER,"
	"  provider TEXT, fiscal_date TEXT, reason TEXT, ref TEXT, amount INTEGER);"
	"CREATE TABLE IF NOT EXISTS recon_status(claim_id TEXT NOT NULL, scheme TEXT NOT NULL,"
	"  status TEXT, paid_cents INTEGER, payer_claim_no TEXT, payment_date TEXT,"
	"  PRIMARY KEY(claim_id, scheme));"
	"INSERT OR IGNORE INTO meta VALUES('recon_schema', '1');";

/* The layout of the tables above, kept in the ledger's meta table as recon_schema. */
#define RECON_SCHEMA 1

/* 0, or an error when the ledger's reconciliation tables are of a later layout. */
static int check_schema(struct rc *r)
{
	sqlite3_stmt *q = prep(r, "SELECT value FROM meta WHERE key = 'recon_schema'");
	if (!q)
		return DC_ERR_IO;
	int rc = sqlite3_step(q), v = 0;
	if (rc == SQLITE_ROW)
		v = atoi(ct(q, 0));
	sqlite3_finalize(q);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return db_err(r, "cannot read the reconciliation tables' schema");
	if (v > RECON_SCHEMA) {
		r->res->output_failed = 1;
		return dc_diag_report(r->ds, DC_SEV_ERROR, DC_ERR_IO, r->ledger_name, 0,
				      "ledger: reconciliation tables of schema %d, newer than this"
				      " dripcode knows (%d)", v, RECON_SCHEMA);
	}
	return 0;
}

/* ---- output directory ----------------------------------------------------- */

/* Created if missing (mkdir -p, private), and it must be empty (batch.md). */
static int prepare_out_dir(const char *dir, mode_t mode, struct dc_diag_sink *ds)
{
	DIR *d = opendir(dir);
	if (d) {
		struct dirent *e;
		int empty = 1;
		while ((e = readdir(d)))
			if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
				empty = 0;
		closedir(d);
		if (!empty)
			return dc_diag_report(ds, DC_SEV_ERROR, DC_ERR_USAGE, dir, 0,
					      "output directory is not empty: a run never writes"
					      " over another run's files%s", "");
		return 0;
	}
	mode_t dmode = 0700 | (mode & 0077 ? (mode & 0055) | 0100 : 0);
	char *p = dc_xstrdup(dir);
	for (char *s = p + 1; *s; s++)
		if (*s == '/') {
			*s = '\0';
			if (mkdir(p, dmode) != 0 && errno != EEXIST) {
				dc_diag_syserr(ds, DC_ERR_USAGE, p, errno, "cannot create the directory");
				free(p);
				return DC_ERR_USAGE;
			}
			*s = '/';
		}
	free(p);
	if (mkdir(dir, dmode) != 0 && errno != EEXIST)
		return dc_diag_syserr(ds, DC_ERR_USAGE, dir, errno, "cannot create the directory");
	return 0;
}

/* ---- ingest: inputs ------------------------------------------------------- */

struct input_stats {
	const char *kind;
	unsigned long remits, skipped, claims, plb, balance_errors, bad_rows;
	int failed;
};

static void input_json(struct rc *r, const char *path, const struct input_stats *s)
{
	struct dc_buf *b = &r->inputs_json;
	if (b->len)
		dc_buf_adds(b, ",\n");
	dc_buf_adds(b, "    { \"path\": ");
	dc_buf_json(b, path);
	dc_buf_printf(b, ", \"kind\": \"%s\", \"status\": \"%s\", \"remittances\": %lu, "
		      "\"already_applied\": %lu, \"claims\": %lu, \"plb\": %lu, "
		      "\"balancing_errors\": %lu, \"skipped_rows\": %lu }",
		      s->kind, s->failed ? "failed" : "ok", s->remits, s->skipped, s->claims,
		      s->plb, s->balance_errors, s->bad_rows);
}

/* Reads the start of |in| so it can be sniffed; returns bytes available or < 0. */
static long peek(struct dc_input *in)
{
	while (dc_input_avail(in) < 512) {
		long m = dc_input_more(in);
		if (m < 0)
			return m;
		if (m == 0)
			break;
	}
	return (long)dc_input_avail(in);
}

static int64_t run_key(struct rc *r, int input_no)
{
	return r->run_id * 100000 + input_no;
}

/* ---- ingest: 837 ---------------------------------------------------------- */

static int ingest_837(struct rc *r, struct dc_input *in, struct input_stats *s)
{
	struct dc_x837r rd;
	const struct dc_x837_claim *c;
	sqlite3_stmt *find = prep(r, "SELECT id FROM recon_ext_claims WHERE claim_id=?");
	sqlite3_stmt *ins = prep(r, "INSERT INTO recon_ext_claims(claim_id, encounter_id, scheme,"
				 " payer, payer_name, provider, service_date, charge_cents, frequency,"
				 " source) VALUES(?,?,'US',?,?,?,?,?,?,?)");
	sqlite3_stmt *upd = prep(r, "UPDATE recon_ext_claims SET encounter_id=?, payer=?,"
				 " payer_name=?, provider=?, service_date=?, charge_cents=?,"
				 " frequency=?, source=? WHERE id=?");
	sqlite3_stmt *del = prep(r, "DELETE FROM recon_ext_lines WHERE ext_id=?");
	sqlite3_stmt *line = prep(r, "INSERT INTO recon_ext_lines(ext_id, line_no, code, modifiers,"
				  " units, charge_cents, line_control) VALUES(?,?,?,?,?,?,?)");
	int rc = 0;
	if (!find || !ins || !upd || !del || !line)
		rc = DC_ERR_IO;
	dc_x837r_init(&rd, in, r->ds);
	while (rc == 0 && (rc = dc_x837r_next(&rd, &c)) == 1) {
		rc = 0;
		if (!c->claim_id[0])
			continue;
		const char *enc = c->encounter_id[0] ? c->encounter_id : c->claim_id;
		const char *payer = c->payer_id[0] ? c->payer_id : c->payer_name;
		int64_t id = -1;
		bt(find, 1, c->claim_id);
		if (sqlite3_step(find) == SQLITE_ROW)
			id = sqlite3_column_int64(find, 0);
		sqlite3_reset(find);
		if (id >= 0) {
			bt(upd, 1, enc), bt(upd, 2, payer), bt(upd, 3, c->payer_name);
			bt(upd, 4, c->provider), bt(upd, 5, c->service_date), bi(upd, 6, c->charge);
			bt(upd, 7, c->frequency), bt(upd, 8, in->name), bi(upd, 9, id);
			rc = step_done(r, upd);
			bi(del, 1, id);
			if (rc == 0)
				rc = step_done(r, del);
		} else {
			bt(ins, 1, c->claim_id), bt(ins, 2, enc), bt(ins, 3, payer);
			bt(ins, 4, c->payer_name), bt(ins, 5, c->provider), bt(ins, 6, c->service_date);
			bi(ins, 7, c->charge), bt(ins, 8, c->frequency), bt(ins, 9, in->name);
			rc = step_done(r, ins);
			id = sqlite3_last_insert_rowid(r->db);
		}
		for (size_t i = 0; rc == 0 && i < c->nlines; i++) {
			const struct dc_x837_line *l = &c->lines[i];
			bi(line, 1, id), bi(line, 2, l->line_no), bt(line, 3, l->code);
			bt(line, 4, l->mods), bt(line, 5, l->units), bi(line, 6, l->charge);
			bt(line, 7, l->line_control);
			rc = step_done(r, line);
		}
		s->claims++;
	}
	if (rc == 0 && rd.nclaims == 0 && rd.x.ntransactions > rd.skipped_tx)
		dc_diag_report(r->ds, DC_SEV_WARNING, 0, in->name, 0, "no claim found in the 837%s", "");
	if (rc == 0 && rd.x.ntransactions == rd.skipped_tx) {
		rc = dc_diag_report(r->ds, DC_SEV_ERROR, DC_ERR_PARSE, in->name, 0,
				    "no 837 transaction in the file%s", "");
	}
	dc_x837r_release(&rd);
	sqlite3_finalize(find), sqlite3_finalize(ins), sqlite3_finalize(upd);
	sqlite3_finalize(del), sqlite3_finalize(line);
	return rc;
}

/* ---- ingest: 835 ---------------------------------------------------------- */

struct ins {
	sqlite3_stmt *find, *remit, *pay, *svc, *cas, *plb, *fin;
};

static int ins_prepare(struct rc *r, struct ins *q)
{
	q->find = prep(r, "SELECT id, run_key FROM recon_remits WHERE kind=? AND payer=? AND ref=?");
	q->remit = prep(r, "INSERT INTO recon_remits(kind, payer, ref, payer_name, payment_date,"
			" total_cents, source, applied, run_key) VALUES(?,?,?,?,?,?,?,?,?)");
	q->pay = prep(r, "INSERT INTO recon_pays(remit_id, seq, clp01, status, charge, paid,"
		      " patient_resp, payer_claim_no, claim_date, remarks, unbalanced, src_line)"
		      " VALUES(?,?,?,?,?,?,?,?,?,?,?,?)");
	q->svc = prep(r, "INSERT INTO recon_svcs(pay_id, seq, qual, code, mods, units, orig_code,"
		      " orig_mods, orig_units, charge, paid, line_control, line_date, remarks,"
		      " uk_line_no, uk_status, unbalanced) VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)");
	q->cas = prep(r, "INSERT INTO recon_cas(pay_id, svc_seq, grp, reason, amount, qty)"
		      " VALUES(?,?,?,?,?,?)");
	q->plb = prep(r, "INSERT INTO recon_plb(remit_id, seq, provider, fiscal_date, reason, ref,"
		      " amount) VALUES(?,?,?,?,?,?,?)");
	q->fin = prep(r, "UPDATE recon_remits SET plb_cents=?, balance_errors=? WHERE id=?");
	return q->find && q->remit && q->pay && q->svc && q->cas && q->plb && q->fin ? 0 : DC_ERR_IO;
}

static void ins_release(struct ins *q)
{
	sqlite3_finalize(q->find), sqlite3_finalize(q->remit), sqlite3_finalize(q->pay);
	sqlite3_finalize(q->svc), sqlite3_finalize(q->cas), sqlite3_finalize(q->plb);
	sqlite3_finalize(q->fin);
}

/*
 * Looks a remittance up: returns 1 with *id when it is new (inserted) or was
 * started by this same input (UK rows of one remittance that are not
 * consecutive), 0 when an earlier input or run applied it, or negative.
 */
static int remit_open(struct rc *r, struct ins *q, const char *kind, const char *payer,
		      const char *ref, const char *payer_name, const char *date, int64_t total,
		      const char *source, int64_t key, int64_t *id)
{
	bt(q->find, 1, kind), bt(q->find, 2, payer), bt(q->find, 3, ref);
	int st = sqlite3_step(q->find);
	if (st == SQLITE_ROW) {
		*id = sqlite3_column_int64(q->find, 0);
		int64_t k = sqlite3_column_int64(q->find, 1);
		sqlite3_reset(q->find);
		return k == key ? 1 : 0;
	}
	sqlite3_reset(q->find);
	if (st != SQLITE_DONE)
		return db_err(r, "cannot read");
	bt(q->remit, 1, kind), bt(q->remit, 2, payer), bt(q->remit, 3, ref);
	bt(q->remit, 4, payer_name), bt(q->remit, 5, date), bi(q->remit, 6, total);
	bt(q->remit, 7, source), bt(q->remit, 8, r->now), bi(q->remit, 9, key);
	if (step_done(r, q->remit) < 0)
		return DC_ERR_IO;
	*id = sqlite3_last_insert_rowid(r->db);
	return 2;
}

static int store_claim(struct rc *r, struct ins *q, int64_t remit_id, long seq,
		       const struct dc_remit_claim *c)
{
	bi(q->pay, 1, remit_id), bi(q->pay, 2, seq), bt(q->pay, 3, c->clp01);
	bt(q->pay, 4, c->status), bi(q->pay, 5, c->charge), bi(q->pay, 6, c->paid);
	bi(q->pay, 7, c->patient_resp), bt(q->pay, 8, c->payer_claim_no), bt(q->pay, 9, c->date);
	bt(q->pay, 10, c->remarks), bi(q->pay, 11, c->unbalanced);
	bi(q->pay, 12, (int64_t)c->src_line);
	if (step_done(r, q->pay) < 0)
		return DC_ERR_IO;
	int64_t pay = sqlite3_last_insert_rowid(r->db);
	for (size_t k = 0; k < c->nlines; k++) {
		const struct dc_remit_line *l = &c->lines[k];
		sqlite3_stmt *s = q->svc;
		bi(s, 1, pay), bi(s, 2, (int64_t)k + 1), bt(s, 3, l->qual), bt(s, 4, l->code);
		bt(s, 5, l->mods), bt(s, 6, l->units), bt(s, 7, l->orig_code), bt(s, 8, l->orig_mods);
		bt(s, 9, l->orig_units), bi(s, 10, l->charge), bi(s, 11, l->paid);
		bt(s, 12, l->line_control), bt(s, 13, l->date), bt(s, 14, l->remarks);
		sqlite3_bind_null(s, 15), bi(s, 16, 0), bi(s, 17, l->unbalanced);
		if (step_done(r, s) < 0)
			return DC_ERR_IO;
	}
	for (size_t k = 0; k < c->ncas; k++) {
		const struct dc_cas *a = &c->cas[k];
		bi(q->cas, 1, pay), bi(q->cas, 2, (int64_t)a->line), bt(q->cas, 3, a->grp);
		bt(q->cas, 4, a->reason), bi(q->cas, 5, a->amount), bt(q->cas, 6, a->qty);
		if (step_done(r, q->cas) < 0)
			return DC_ERR_IO;
	}
	return 0;
}

static int ingest_835(struct rc *r, struct dc_input *in, int input_no, struct input_stats *s)
{
	struct ins q;
	struct dc_x835 rd;
	struct dc_x835_event ev;
	int rc = ins_prepare(r, &q);
	int64_t remit = -1;
	int skip = 0;
	long seq = 0, pseq = 0;
	unsigned long ntx = 0;
	dc_x835_init(&rd, in, r->ds);
	while (rc == 0 && (rc = dc_x835_next(&rd, &ev)) == 1) {
		rc = 0;
		const struct dc_x835_tx *t = ev.tx;
		if (ev.kind == DC_X835_TX_BEGIN) {
			char ref[80];
			const char *payer = t->trn03[0] ? t->trn03 : t->payer_id[0] ? t->payer_id
										 : t->payer_name;
			if (t->trn02[0])
				snprintf(ref, sizeof ref, "%s", t->trn02);
			else
				snprintf(ref, sizeof ref, "ISA%s/ST%s", t->isa13, t->st02);
			ntx++;
			seq = pseq = 0;
			int k = remit_open(r, &q, "835", payer, ref, t->payer_name, t->pay_date, t->bpr02,
					   in->name, run_key(r, input_no), &remit);
			if (k < 0) {
				rc = k;
				break;
			}
			/* an 835 transaction is whole: seen before, even in this input, it is skipped */
			skip = k != 2;
			if (skip) {
				s->skipped++;
				r->res->remittances_skipped++;
				dc_diag_report(r->ds, DC_SEV_NOTE, 0, in->name, t->src_line,
					       "remittance '%s' of payer '%s' was already applied; skipped",
					       ref, payer);
			} else {
				s->remits++;
				r->res->remittances_applied++;
			}
		} else if (skip) {
			continue;
		} else if (ev.kind == DC_X835_CLAIM) {
			rc = store_claim(r, &q, remit, ++seq, ev.claim);
			s->claims++;
			r->res->claims_read++;
		} else if (ev.kind == DC_X835_PLB) {
			const struct dc_plb *p = ev.plb;
			bi(q.plb, 1, remit), bi(q.plb, 2, ++pseq), bt(q.plb, 3, p->provider);
			bt(q.plb, 4, p->fiscal_date), bt(q.plb, 5, p->reason), bt(q.plb, 6, p->ref);
			bi(q.plb, 7, p->amount);
			rc = step_done(r, q.plb);
			s->plb++;
			r->res->plb_read++;
		} else if (ev.kind == DC_X835_TX_END) {
			bi(q.fin, 1, t->sum_plb), bi(q.fin, 2, (int64_t)t->balance_errors);
			bi(q.fin, 3, remit);
			rc = step_done(r, q.fin);
			s->balance_errors += t->balance_errors;
			r->res->balance_errors += t->balance_errors;
		}
	}
	if (rc == 0 && ntx == 0)
		rc = dc_diag_report(r->ds, DC_SEV_ERROR, DC_ERR_PARSE, in->name, 0,
				    "no 835 transaction in the file%s", "");
	s->bad_rows = rd.bad_amounts;
	if (rd.bad_amounts)
		r->res->attention = 1;
	dc_x835_release(&rd);
	ins_release(&q);
	return rc;
}

/* ---- ingest: UK remittance CSV -------------------------------------------- */

static int ingest_uk(struct rc *r, struct dc_input *in, int input_no, struct input_stats *s)
{
	struct ins q;
	struct dc_uk_remit_reader rd;
	const struct dc_uk_remit *v;
	int rc = ins_prepare(r, &q);
	char last_skipped[128] = "";
	dc_uk_remit_init(&rd, in, r->ds);
	while (rc == 0 && (rc = dc_uk_remit_next(&rd, &v)) == 1) {
		rc = 0;
		int64_t remit;
		int k = remit_open(r, &q, "UK", v->insurer, v->ref, v->insurer, v->payment_date, 0,
				   in->name, run_key(r, input_no), &remit);
		if (k < 0) {
			rc = k;
			break;
		}
		if (k == 0) {
			char key[128];
			snprintf(key, sizeof key, "%s\t%s", v->insurer, v->ref);
			if (strcmp(key, last_skipped)) {
				snprintf(last_skipped, sizeof last_skipped, "%s", key);
				s->skipped++;
				r->res->remittances_skipped++;
				dc_diag_report(r->ds, DC_SEV_NOTE, 0, in->name, v->src_line,
					       "remittance '%s' of insurer '%s' was already applied; "
					       "skipped", v->ref, v->insurer);
			}
			continue;
		}
		if (k == 2) {
			s->remits++;
			r->res->remittances_applied++;
		}
		/* the claim record of one invoice of this remittance */
		struct dc_remit_claim c;
		memset(&c, 0, sizeof c);
		snprintf(c.clp01, sizeof c.clp01, "%s", v->invoice);
		c.src_line = v->src_line;
		for (size_t i = 0; i < v->nlines; i++) {
			c.charge += v->lines[i].billed;
			c.paid += v->lines[i].paid;
		}
		sqlite3_stmt *cnt = prep(r, "SELECT count(*) FROM recon_pays WHERE remit_id=?");
		long seq = 1;
		if (cnt) {
			bi(cnt, 1, remit);
			if (sqlite3_step(cnt) == SQLITE_ROW)
				seq = (long)sqlite3_column_int64(cnt, 0) + 1;
			sqlite3_finalize(cnt);
		}
		rc = store_claim(r, &q, remit, seq, &c);
		int64_t pay = sqlite3_last_insert_rowid(r->db);
		for (size_t i = 0; rc == 0 && i < v->nlines; i++) {
			const struct dc_uk_remit_line *l = &v->lines[i];
			sqlite3_stmt *st = q.svc;
			bi(st, 1, pay), bi(st, 2, (int64_t)i + 1), bt(st, 3, ""), bt(st, 4, l->code);
			bt(st, 5, ""), bt(st, 6, ""), bt(st, 7, ""), bt(st, 8, ""), bt(st, 9, "");
			bi(st, 10, l->billed), bi(st, 11, l->paid), bt(st, 12, ""), bt(st, 13, "");
			bt(st, 14, ""), bi(st, 15, l->line_no), bi(st, 16, l->status), bi(st, 17, 0);
			rc = step_done(r, st);
			if (rc == 0 && (l->billed != l->paid || l->status == DC_UK_REJECTED)) {
				bi(q.cas, 1, pay), bi(q.cas, 2, (int64_t)i + 1), bt(q.cas, 3, "UK");
				bt(q.cas, 4, l->reason), bi(q.cas, 5, l->billed - l->paid), bt(q.cas, 6, "");
				rc = step_done(r, q.cas);
			}
		}
		s->claims++;
		r->res->claims_read++;
	}
	if (rc == 0)
		rc = exec(r, "UPDATE recon_remits SET total_cents = (SELECT coalesce(sum(paid), 0)"
			  " FROM recon_pays WHERE remit_id = recon_remits.id) WHERE kind = 'UK'");
	s->bad_rows = rd.bad_rows;
	if (rd.bad_rows)
		r->res->attention = 1;
	dc_uk_remit_release(&rd);
	ins_release(&q);
	return rc;
}

/* One input, in its own transaction: all of it is stored, or none. */
static void ingest(struct rc *r, const char *path, int input_no, int is_claims)
{
	struct input_stats s;
	memset(&s, 0, sizeof s);
	s.kind = is_claims ? "837" : "unknown";
	struct dc_input in;
	if (dc_input_open_file(&in, path, r->ds) < 0) {
		s.failed = 1;
		r->res->input_failed = 1;
		input_json(r, path, &s);
		return;
	}
	int rc = 0;
	long n = peek(&in);
	if (n < 0) {
		rc = (int)n;
	} else {
		size_t len;
		const unsigned char *p = dc_input_data(&in, &len);
		int x12 = dc_x12_sniff(p, len), uk = !x12 && dc_uk_remit_sniff(p, len);
		if (is_claims && !x12)
			rc = dc_diag_report(r->ds, DC_SEV_ERROR, DC_ERR_PARSE, in.name, 1,
					    "not an X12 837 file: no ISA segment%s", "");
		else if (!is_claims && !x12 && !uk)
			rc = dc_diag_report(r->ds, DC_SEV_ERROR, DC_ERR_PARSE, in.name, 1,
					    "not a remittance: neither an X12 835 (ISA) nor a CSV"
					    " with a remittance_ref column%s", "");
		if (rc == 0 && exec(r, "BEGIN IMMEDIATE") < 0)
			rc = DC_ERR_IO;
		if (rc == 0) {
			if (is_claims)
				rc = ingest_837(r, &in, &s);
			else if (x12)
				s.kind = "835", rc = ingest_835(r, &in, input_no, &s);
			else
				s.kind = "uk", rc = ingest_uk(r, &in, input_no, &s);
			if (rc == 0 && exec(r, "COMMIT") < 0)
				rc = DC_ERR_IO;
			if (rc < 0) {
				sqlite3_exec(r->db, "ROLLBACK", NULL, NULL, NULL);
				if (!r->db_failed)
					dc_diag_report(r->ds, DC_SEV_ERROR, rc, in.name, 0,
						       "nothing of this input was applied%s", "");
			}
		}
	}
	if (rc < 0) {
		s.failed = 1;
		if (!r->db_failed)
			r->res->input_failed = 1;
		/* the counts of a rolled-back input are not this run's */
		if (!is_claims) {
			r->res->remittances_applied -= s.remits;
			r->res->claims_read -= s.claims;
			r->res->plb_read -= s.plb;
			r->res->balance_errors -= s.balance_errors;
		}
	}
	if (s.balance_errors)
		r->res->attention = 1;
	input_json(r, in.name, &s);
	dc_input_close(&in);
}

/* ---- report --------------------------------------------------------------- */

struct oline {
	int line_no;
	const char *code, *mods, *units, *ctl;
	int64_t charge;
};

struct rline {
	int64_t seq;
	const char *code, *mods, *units, *ctl, *remarks;
	int64_t charge, paid;
	int uk_line_no, uk_status;
	long match;                 /* index into the claim's lines, -1 none */
	const char *method;
	struct dc_buf adj;          /* "CO-45 10.00;PR-2 5.00" */
	int denial;
	size_t pay;                 /* index of its remittance */
};

struct pay {
	int64_t id;
	char kind;                  /* 'U' UK, 'X' 835 */
	const char *ref, *payer, *date, *status, *payer_claim_no, *remarks;
	int64_t paid, pr, adjusted;
	int this_run;
	struct dc_recon_verdict v;
	const char *cats[16];
	size_t ncats;
	struct dc_buf reasons;
};

struct rep {
	struct rc *r;
	struct dc_arena a;
	struct oline *ol;
	size_t nol, olcap;
	struct rline *rl;
	size_t nrl, rlcap;
	struct pay *py;
	size_t npy, pycap;
	sqlite3_stmt *lines_l, *lines_x, *pays, *svcs, *cas, *status_ins, *cat_ins, *save;
	struct dc_out rec, lin;
	struct dc_buf b;
	int64_t billed, paid, pr, adjusted;
	unsigned long counts[5];
};

static void grow(void **p, size_t *cap, size_t n, size_t size)
{
	if (n < *cap)
		return;
	*cap = *cap ? *cap * 2 : 16;
	*p = dc_xrealloc(*p, *cap * size);
}

static const char *sdup(struct rep *p, const char *s)
{
	return dc_arena_strdup(&p->a, s);
}

/* Modifier lists equal as sets ("25;59" = "59;25"). */
static int mods_equal(const char *a, const char *b)
{
	size_t na = 0, nb = 0;
	for (const char *s = a; *s; s++)
		na += *s == ';';
	for (const char *s = b; *s; s++)
		nb += *s == ';';
	if ((*a ? na + 1 : 0) != (*b ? nb + 1 : 0))
		return 0;
	for (const char *p = a; p && *p;) {
		const char *e = strchr(p, ';');
		char tok[16];
		size_t k = e ? (size_t)(e - p) : strlen(p);
		snprintf(tok, sizeof tok, "%.*s", (int)(k < 15 ? k : 15), p);
		if (!has_token(b, tok))
			return 0;
		p = e ? e + 1 : NULL;
	}
	return 1;
}

/* Units equal as decimals, whatever the sign (a reversal negates them). */
static int units_equal(const char *a, const char *b)
{
	struct dc_dec x, y;
	if (dc_dec_parse(a, &x) || dc_dec_parse(b, &y))
		return !strcmp(a, b);
	return (x.v < 0 ? -x.v : x.v) == (y.v < 0 ? -y.v : y.v);
}

static void add_cat(struct pay *p, const char *cat)
{
	for (size_t i = 0; i < p->ncats; i++)
		if (!strcmp(p->cats[i], cat))
			return;
	if (p->ncats < 16)
		p->cats[p->ncats++] = cat;
}

static void add_reason(struct dc_buf *b, const char *code)
{
	if (b->len && has_token(b->p, code))
		return;
	if (b->len)
		dc_buf_addc(b, ';');
	dc_buf_adds(b, code);
}

/* Matches the remitted lines of pay |pi| to our lines (each once per pay). */
static void match_lines(struct rep *p, size_t first, size_t n)
{
	char *used = dc_arena_alloc(&p->a, p->nol + 1);
	/* pass 1: REF*6R or UK line number; pass 2: code+mods+units; pass 3: code+mods */
	for (int pass = 1; pass <= 3; pass++)
		for (size_t i = first; i < first + n; i++) {
			struct rline *l = &p->rl[i];
			if (l->match >= 0)
				continue;
			for (size_t k = 0; k < p->nol; k++) {
				const struct oline *o = &p->ol[k];
				if (used[k])
					continue;
				int ok = 0;
				if (pass == 1 && l->uk_line_no)
					ok = o->line_no == l->uk_line_no;
				else if (pass == 1)
					ok = *l->ctl && !strcmp(l->ctl, o->ctl);
				else if (pass == 2)
					ok = !strcmp(l->code, o->code) && mods_equal(l->mods, o->mods) &&
					     units_equal(l->units, o->units);
				else
					ok = !strcmp(l->code, o->code) && mods_equal(l->mods, o->mods);
				if (ok) {
					used[k] = 1;
					l->match = (long)k;
					l->method = pass == 1 ? (l->uk_line_no ? "line_no" : "ref_6r")
							      : pass == 2 ? "code_modifiers_units"
									  : "code_modifiers";
					break;
				}
			}
		}
}

/* Loads and judges the remittances of one claim. */
static int load_pays(struct rep *p, const char *claim_id, const char *scheme)
{
	struct rc *r = p->r;
	p->npy = 0;
	p->nrl = 0;
	sqlite3_stmt *q = p->pays;
	bt(q, 1, claim_id), bt(q, 2, scheme);
	int st;
	while ((st = sqlite3_step(q)) == SQLITE_ROW) {
		grow((void **)&p->py, &p->pycap, p->npy, sizeof *p->py);
		struct pay *y = &p->py[p->npy++];
		memset(y, 0, sizeof *y);
		dc_buf_init(&y->reasons);
		y->id = sqlite3_column_int64(q, 0);
		y->kind = !strcmp(ct(q, 1), "UK") ? 'U' : 'X';
		y->ref = sdup(p, ct(q, 2));
		y->payer = sdup(p, ct(q, 3));
		y->date = sdup(p, ct(q, 4));
		y->status = sdup(p, ct(q, 5));
		y->paid = sqlite3_column_int64(q, 7);
		y->pr = sqlite3_column_int64(q, 8);
		y->payer_claim_no = sdup(p, ct(q, 9));
		y->remarks = sdup(p, ct(q, 10));
		y->this_run = sqlite3_column_int64(q, 11) / 100000 == r->run_id;
		y->v.reversal = y->kind == 'X' && !strcmp(y->status, "22");
		y->v.claim_denied = y->kind == 'X' && !strcmp(y->status, "4");
		y->v.paid = y->paid;
		y->v.payer_claim_no = y->payer_claim_no;
	}
	sqlite3_reset(q);
	if (st != SQLITE_DONE)
		return db_err(r, "cannot read the remittances");
	for (size_t i = 0; i < p->npy; i++) {
		struct pay *y = &p->py[i];
		size_t first = p->nrl;
		bi(p->svcs, 1, y->id);
		while (sqlite3_step(p->svcs) == SQLITE_ROW) {
			sqlite3_stmt *s = p->svcs;
			grow((void **)&p->rl, &p->rlcap, p->nrl, sizeof *p->rl);
			struct rline *l = &p->rl[p->nrl++];
			memset(l, 0, sizeof *l);
			dc_buf_init(&l->adj);
			l->seq = sqlite3_column_int64(s, 0);
			/* SVC06 holds the code as we sent it when the payer changed it */
			int orig = *ct(s, 5) != '\0';
			l->code = sdup(p, ct(s, orig ? 5 : 2));
			l->mods = sdup(p, ct(s, orig ? 6 : 3));
			l->units = sdup(p, *ct(s, 7) ? ct(s, 7) : ct(s, 4));
			l->charge = sqlite3_column_int64(s, 8);
			l->paid = sqlite3_column_int64(s, 9);
			l->ctl = sdup(p, ct(s, 10));
			l->remarks = sdup(p, ct(s, 11));
			l->uk_line_no = sqlite3_column_int(s, 12);
			l->uk_status = sqlite3_column_int(s, 13);
			l->match = -1;
			l->method = "unmatched";
			l->pay = i;
		}
		sqlite3_reset(p->svcs);
		size_t n = p->nrl - first;
		y->v.nlines = n;
		match_lines(p, first, n);
		/* adjustments: category, denial, text */
		bi(p->cas, 1, y->id);
		int claim_denial = 0;
		while (sqlite3_step(p->cas) == SQLITE_ROW) {
			sqlite3_stmt *s = p->cas;
			int64_t line = sqlite3_column_int64(s, 0), amt = sqlite3_column_int64(s, 3);
			const char *grp = ct(s, 1), *reason = ct(s, 2);
			struct rline *l = line > 0 && (size_t)line <= n ? &p->rl[first + line - 1] : NULL;
			char rarcs[160];
			snprintf(rarcs, sizeof rarcs, "%s;%s", l ? l->remarks : "", y->remarks);
			int denial;
			const char *cat = dc_recon_category(&r->rules, y->kind, grp, reason, rarcs,
							    l ? l->uk_status : 0, &denial);
			char code[32], money[32];
			if (y->kind == 'U')
				snprintf(code, sizeof code, "%s", *reason ? reason : "none");
			else
				snprintf(code, sizeof code, "%s-%s", grp, reason);
			if (amt == 0)
				continue;       /* a zero adjustment says nothing */
			add_reason(&y->reasons, code);
			if (strcmp(grp, "PR") != 0)
				y->adjusted += amt;
			if (denial) {
				y->v.any_denial = 1;
				add_cat(y, cat);
				if (l)
					l->denial = 1;
				else
					claim_denial = 1;
			}
			if (l) {
				if (l->adj.len)
					dc_buf_addc(&l->adj, ';');
				dc_buf_printf(&l->adj, "%s %s", code,
					      dc_money_format(amt, money, sizeof money));
			}
		}
		sqlite3_reset(p->cas);
		for (size_t k = first; k < p->nrl; k++)
			if (p->rl[k].denial && p->rl[k].paid <= 0)
				y->v.nlines_denied++;
		if (claim_denial && n == 0)
			y->v.claim_denied = 1;
		/* a claim denied with no denial reason given is still denied */
		if (y->v.claim_denied && !y->ncats)
			add_cat(y, "other");
		if (y->v.claim_denied)
			y->v.any_denial = 1;
	}
	return 0;
}

static void csv_money(struct dc_buf *b, int64_t v)
{
	char m[32];
	dc_buf_adds(b, dc_money_format(v, m, sizeof m));
}

static int report_claim(struct rep *p, sqlite3_stmt *c)
{
	struct rc *r = p->r;
	int64_t k = sqlite3_column_int64(c, 0);
	const char *claim_id = sdup(p, ct(c, 1)), *enc = sdup(p, ct(c, 2));
	const char *scheme = sdup(p, ct(c, 3)), *payer = sdup(p, ct(c, 4));
	const char *date = sdup(p, ct(c, 5));
	int64_t billed = sqlite3_column_int64(c, 6);
	char src = ct(c, 7)[0];
	int64_t src_id = sqlite3_column_int64(c, 8);

	/* our lines */
	p->nol = 0;
	sqlite3_stmt *lq = src == 'L' ? p->lines_l : p->lines_x;
	bi(lq, 1, src_id);
	while (sqlite3_step(lq) == SQLITE_ROW) {
		grow((void **)&p->ol, &p->olcap, p->nol, sizeof *p->ol);
		struct oline *o = &p->ol[p->nol++];
		o->line_no = sqlite3_column_int(lq, 0);
		o->code = sdup(p, ct(lq, 1));
		o->mods = sdup(p, ct(lq, 2));
		o->units = sdup(p, ct(lq, 3));
		o->charge = sqlite3_column_int64(lq, 4);
		o->ctl = sdup(p, ct(lq, 5));
	}
	sqlite3_reset(lq);
	if (load_pays(p, claim_id, scheme) < 0)
		return DC_ERR_IO;

	struct dc_recon_verdict *v = dc_arena_alloc(&p->a, (p->npy + 1) * sizeof *v);
	for (size_t i = 0; i < p->npy; i++)
		v[i] = p->py[i].v;
	enum dc_recon_status status = dc_recon_status_of(v, p->npy);
	int64_t paid = 0, pr = 0, adjusted = 0;
	struct dc_buf cats, reasons, refs;
	dc_buf_init(&cats), dc_buf_init(&reasons), dc_buf_init(&refs);
	const char *last_date = "", *last_pcn = "";
	for (size_t i = 0; i < p->npy; i++) {
		struct pay *y = &p->py[i];
		y->v.active = v[i].active;
		paid += y->paid;            /* cash: reversals are negative */
		add_reason(&refs, y->ref);
		last_date = y->date;
		if (*y->payer_claim_no)
			last_pcn = y->payer_claim_no;
		if (!v[i].active)
			continue;
		pr += y->pr;
		adjusted += y->adjusted;
		if (status == DC_RECON_PARTIAL || status == DC_RECON_DENIED)
			for (size_t j = 0; j < y->ncats; j++)
				add_reason(&cats, y->cats[j]);
		if (y->reasons.len)
			for (const char *s = y->reasons.p; s && *s;) {
				const char *e = strchr(s, ';');
				char tok[40];
				snprintf(tok, sizeof tok, "%.*s", (int)(e ? e - s : (long)strlen(s)), s);
				add_reason(&reasons, tok);
				s = e ? e + 1 : NULL;
			}
	}
	p->counts[status]++;
	p->billed += billed;
	p->paid += paid;
	p->pr += pr;
	p->adjusted += adjusted;

	struct dc_buf *b = &p->b;
	dc_buf_reset(b);
	dc_buf_csv(b, claim_id), dc_buf_addc(b, ',');
	dc_buf_csv(b, enc), dc_buf_addc(b, ',');
	dc_buf_csv(b, scheme), dc_buf_addc(b, ',');
	dc_buf_csv(b, payer), dc_buf_addc(b, ',');
	dc_buf_csv(b, date), dc_buf_addc(b, ',');
	csv_money(b, billed), dc_buf_addc(b, ',');
	csv_money(b, paid), dc_buf_addc(b, ',');
	csv_money(b, pr), dc_buf_addc(b, ',');
	csv_money(b, adjusted), dc_buf_addc(b, ',');
	dc_buf_adds(b, dc_recon_status_name(status)), dc_buf_addc(b, ',');
	dc_buf_csv(b, cats.p ? cats.p : ""), dc_buf_addc(b, ',');
	dc_buf_csv(b, reasons.p ? reasons.p : ""), dc_buf_addc(b, ',');
	dc_buf_csv(b, refs.p ? refs.p : ""), dc_buf_addc(b, ',');
	dc_buf_csv(b, last_date), dc_buf_addc(b, '\n');
	dc_out_write(&p->rec, b->p, b->len);

	/* lines: each of ours with what was remitted for it, then the unmatched */
	for (size_t k2 = 0; k2 <= p->nol; k2++) {
		int any = 0;
		for (size_t i = 0; i < p->nrl; i++) {
			struct rline *l = &p->rl[i];
			if (k2 < p->nol ? l->match != (long)k2 : l->match >= 0)
				continue;
			const struct oline *o = k2 < p->nol ? &p->ol[k2] : NULL;
			const struct pay *y = &p->py[l->pay];
			any = 1;
			dc_buf_reset(b);
			dc_buf_csv(b, claim_id), dc_buf_addc(b, ',');
			if (o) {
				dc_buf_printf(b, "%d,", o->line_no);
				dc_buf_csv(b, o->code), dc_buf_addc(b, ',');
				dc_buf_csv(b, o->mods), dc_buf_addc(b, ',');
				dc_buf_csv(b, o->units), dc_buf_addc(b, ',');
				csv_money(b, o->charge), dc_buf_addc(b, ',');
			} else {
				dc_buf_adds(b, ",,,,,");
			}
			dc_buf_csv(b, y->ref), dc_buf_addc(b, ',');
			dc_buf_csv(b, y->date), dc_buf_addc(b, ',');
			dc_buf_printf(b, "%lld,", (long long)l->seq);
			dc_buf_csv(b, l->code), dc_buf_addc(b, ',');
			dc_buf_csv(b, l->mods), dc_buf_addc(b, ',');
			dc_buf_csv(b, l->units), dc_buf_addc(b, ',');
			csv_money(b, l->charge), dc_buf_addc(b, ',');
			csv_money(b, l->paid), dc_buf_addc(b, ',');
			dc_buf_csv(b, l->adj.p ? l->adj.p : ""), dc_buf_addc(b, ',');
			dc_buf_adds(b, l->method);
			dc_buf_addc(b, '\n');
			dc_out_write(&p->lin, b->p, b->len);
		}
		if (!any && k2 < p->nol) {
			const struct oline *o = &p->ol[k2];
			dc_buf_reset(b);
			dc_buf_csv(b, claim_id), dc_buf_addc(b, ',');
			dc_buf_printf(b, "%d,", o->line_no);
			dc_buf_csv(b, o->code), dc_buf_addc(b, ',');
			dc_buf_csv(b, o->mods), dc_buf_addc(b, ',');
			dc_buf_csv(b, o->units), dc_buf_addc(b, ',');
			csv_money(b, o->charge);
			dc_buf_adds(b, ",,,,,,,,,,,none\n");
			dc_out_write(&p->lin, b->p, b->len);
		}
	}

	/* the audit's view, and the status kept in the ledger for later runs */
	char month[8];
	snprintf(month, sizeof month, "%.7s", date);
	sqlite3_stmt *s = p->status_ins;
	bi(s, 1, k), bt(s, 2, month), bt(s, 3, scheme), bt(s, 4, payer);
	bt(s, 5, dc_recon_status_name(status));
	int rc = step_done(r, s);
	if (rc == 0 && cats.len)
		for (const char *t = cats.p; t && *t && rc == 0;) {
			const char *e = strchr(t, ';');
			char tok[40];
			snprintf(tok, sizeof tok, "%.*s", (int)(e ? e - t : (long)strlen(t)), t);
			s = p->cat_ins;
			bt(s, 1, month), bt(s, 2, scheme), bt(s, 3, payer), bt(s, 4, tok);
			rc = step_done(r, s);
			t = e ? e + 1 : NULL;
		}
	if (rc == 0) {
		s = p->save;
		bt(s, 1, claim_id), bt(s, 2, scheme), bt(s, 3, dc_recon_status_name(status));
		bi(s, 4, paid), bt(s, 5, last_pcn), bt(s, 6, last_date);
		rc = step_done(r, s);
	}
	dc_buf_release(&cats), dc_buf_release(&reasons), dc_buf_release(&refs);
	for (size_t i = 0; i < p->npy; i++)
		dc_buf_release(&p->py[i].reasons);
	for (size_t i = 0; i < p->nrl; i++)
		dc_buf_release(&p->rl[i].adj);
	dc_arena_reset(&p->a);
	return rc;
}

static const char match_sql[] =
	/* remitted claims of claim ?1 (scheme ?2): same id, or our id cut to 20
	 * characters when no claim has exactly that id; UK only with UK */
	"SELECT p.id, r.kind, r.ref, r.payer, r.payment_date, p.status, p.charge, p.paid,"
	" p.patient_resp, p.payer_claim_no, p.remarks, r.run_key"
	" FROM recon_pays p JOIN recon_remits r ON r.id = p.remit_id"
	" WHERE (p.clp01 = ?1 OR (length(?1) > 20 AND p.clp01 = substr(?1, 1, 20)"
	"   AND NOT EXISTS (SELECT 1 FROM temp.rc_all a WHERE a.claim_id = p.clp01"
	"   AND (a.scheme = 'UK') = (?2 = 'UK'))))"
	" AND (r.kind = 'UK') = (?2 = 'UK')"
	" ORDER BY r.payment_date, r.payer, r.ref, p.seq";

static int open_out(struct rc *r, struct dc_out *o, const char *name, const char *header)
{
	mode_t mode = r->o->mode ? r->o->mode : 0600;
	if (dc_out_open(o, r->o->out_dir ? r->o->out_dir : "dripcode-out", name, mode, r->ds) < 0) {
		dc_out_abort(o);
		r->res->output_failed = 1;
		return DC_ERR_IO;
	}
	dc_out_puts(o, header);
	return 0;
}

static int commit_out(struct rc *r, struct dc_out *o)
{
	if (dc_out_commit(o) < 0) {
		dc_out_abort(o);
		r->res->output_failed = 1;
		return DC_ERR_IO;
	}
	return 0;
}

/*
 * The end of a report written row by row from the query |q|: |st| is the
 * last sqlite3_step's result, so a query that failed part way leaves no
 * file that looks whole. Releases |q| and |b|.
 */
static int end_report(struct rc *r, struct dc_out *o, sqlite3_stmt *q, int st, int rc,
		      struct dc_buf *b)
{
	if (rc == 0 && st != SQLITE_DONE)
		rc = db_err(r, "cannot read a report's rows");
	sqlite3_finalize(q);
	dc_buf_release(b);
	if (rc < 0) {
		dc_out_abort(o);
		return rc;
	}
	return commit_out(r, o);
}

static int build_claim_set(struct rc *r)
{
	return exec(r,
		"DROP TABLE IF EXISTS temp.rc_all; DROP TABLE IF EXISTS temp.rc_status;"
		"DROP TABLE IF EXISTS temp.rc_cat;"
		"CREATE TEMP TABLE rc_all(k INTEGER PRIMARY KEY, claim_id TEXT NOT NULL,"
		"  encounter_id TEXT, scheme TEXT, payer TEXT, service_date TEXT, charge INTEGER,"
		"  src TEXT, src_id INTEGER);"
		/* the ledger's claims of complete files; a rebilled claim id: the latest */
		"INSERT INTO rc_all(claim_id, encounter_id, scheme, payer, service_date, charge,"
		"  src, src_id)"
		"  SELECT c.claim_id, c.encounter_id, c.scheme, c.payer, c.service_date,"
		"   c.charge_cents, 'L', c.id FROM main.claims c WHERE c.id IN"
		"   (SELECT max(c2.id) FROM main.claims c2 JOIN main.files f2 ON f2.id = c2.file_id"
		"    WHERE f2.state = 'complete' GROUP BY c2.claim_id, c2.scheme);"
		/* claims read from 837 files, unless the ledger has them */
		"INSERT INTO rc_all(claim_id, encounter_id, scheme, payer, service_date, charge,"
		"  src, src_id)"
		"  SELECT e.claim_id, e.encounter_id, e.scheme, e.payer, e.service_date,"
		"   e.charge_cents, 'X', e.id FROM recon_ext_claims e WHERE NOT EXISTS"
		"   (SELECT 1 FROM rc_all a WHERE a.claim_id = e.claim_id AND a.scheme IS e.scheme);"
		"CREATE INDEX temp.rc_all_id ON rc_all(claim_id);"
		"CREATE INDEX temp.rc_all_20 ON rc_all(substr(claim_id, 1, 20));"
		"CREATE TEMP TABLE rc_status(k INTEGER, month TEXT, scheme TEXT, payer TEXT,"
		"  status TEXT);"
		"CREATE TEMP TABLE rc_cat(month TEXT, scheme TEXT, payer TEXT, category TEXT);");
}

static int report_claims(struct rc *r, struct rep *p)
{
	int rc = 0;
	p->r = r;
	dc_arena_init(&p->a, 0);
	dc_buf_init(&p->b);
	/* a claim's lines are a JSON array in its row (ledger.c) */
	p->lines_l = prep(r, "SELECT j.value->>0, j.value->>1, j.value->>2, j.value->>3,"
			  " j.value->>4, j.value->>5 FROM main.claims c, json_each(c.lines) j"
			  " WHERE c.id = ? ORDER BY j.value->>0, j.key");
	p->lines_x = prep(r, "SELECT line_no, code, modifiers, units, charge_cents, line_control"
			  " FROM recon_ext_lines WHERE ext_id = ? ORDER BY line_no, rowid");
	p->pays = prep(r, match_sql);
	p->svcs = prep(r, "SELECT seq, qual, code, mods, units, orig_code, orig_mods, orig_units,"
		       " charge, paid, line_control, remarks, uk_line_no, uk_status FROM recon_svcs"
		       " WHERE pay_id = ? ORDER BY seq");
	p->cas = prep(r, "SELECT svc_seq, grp, reason, amount FROM recon_cas WHERE pay_id = ?"
		      " ORDER BY rowid");
	p->status_ins = prep(r, "INSERT INTO rc_status VALUES(?,?,?,?,?)");
	p->cat_ins = prep(r, "INSERT INTO rc_cat VALUES(?,?,?,?)");
	p->save = prep(r, "INSERT OR REPLACE INTO recon_status(claim_id, scheme, status,"
		       " paid_cents, payer_claim_no, payment_date) VALUES(?,?,?,?,?,?)");
	sqlite3_stmt *c = prep(r, "SELECT k, claim_id, encounter_id, scheme, payer, service_date,"
			       " charge, src, src_id FROM rc_all ORDER BY claim_id, scheme, k");
	if (!p->lines_l || !p->lines_x || !p->pays || !p->svcs || !p->cas || !p->status_ins ||
	    !p->cat_ins || !p->save || !c)
		rc = DC_ERR_IO;
	if (rc == 0)
		rc = open_out(r, &p->rec, "reconciliation.csv",
			      "claim_id,encounter_id,scheme,payer,service_date,billed,paid,"
			      "patient_responsibility,adjusted,status,categories,reason_codes,"
			      "remittance_refs,payment_date\n");
	if (rc == 0 && open_out(r, &p->lin, "reconciliation-lines.csv",
				"claim_id,line_no,code,modifiers,units,billed,remittance_ref,"
				"payment_date,remit_line,remit_code,remit_modifiers,remit_units,"
				"remit_billed,paid,adjustments,match_method\n") < 0) {
		dc_out_abort(&p->rec);
		rc = DC_ERR_IO;
	}
	if (rc == 0) {
		int st;
		while (rc == 0 && (st = sqlite3_step(c)) == SQLITE_ROW)
			rc = report_claim(p, c);
		if (rc == 0 && st != SQLITE_DONE)
			rc = db_err(r, "cannot read the claims");
		if (rc == 0) {
			rc = commit_out(r, &p->rec);
			if (commit_out(r, &p->lin) < 0)
				rc = DC_ERR_IO;
		} else {
			dc_out_abort(&p->rec);
			dc_out_abort(&p->lin);
		}
	}
	sqlite3_finalize(c);
	sqlite3_finalize(p->lines_l), sqlite3_finalize(p->lines_x), sqlite3_finalize(p->pays);
	sqlite3_finalize(p->svcs), sqlite3_finalize(p->cas), sqlite3_finalize(p->status_ins);
	sqlite3_finalize(p->cat_ins), sqlite3_finalize(p->save);
	free(p->ol), free(p->rl), free(p->py);
	dc_buf_release(&p->b);
	dc_arena_release(&p->a);
	return rc;
}

struct totals {
	unsigned long unmatched, unmatched_run, audit_rows, flagged, balance_errors;
	int64_t unmatched_paid, plb;
};

static int report_unmatched(struct rc *r, struct totals *t)
{
	struct dc_out o;
	if (open_out(r, &o, "unmatched-remittances.csv",
		     "kind,payer,payer_name,remittance_ref,payment_date,remit_claim_id,status_code,"
		     "billed,paid,patient_responsibility,payer_claim_number\n") < 0)
		return DC_ERR_IO;
	sqlite3_stmt *q = prep(r,
		"SELECT r.kind, r.payer, r.payer_name, r.ref, r.payment_date, p.clp01, p.status,"
		" p.charge, p.paid, p.patient_resp, p.payer_claim_no, r.run_key, r.source, p.src_line"
		" FROM recon_pays p JOIN recon_remits r ON r.id = p.remit_id"
		/* two NOT EXISTS, not one with OR: each can use its index */
		" WHERE NOT EXISTS (SELECT 1 FROM temp.rc_all a WHERE a.claim_id = p.clp01"
		"  AND (a.scheme = 'UK') = (r.kind = 'UK'))"
		" AND NOT EXISTS (SELECT 1 FROM temp.rc_all a WHERE substr(a.claim_id, 1, 20) = p.clp01"
		"  AND length(a.claim_id) > 20 AND (a.scheme = 'UK') = (r.kind = 'UK'))"
		" ORDER BY r.payment_date, r.payer, r.ref, p.seq");
	struct dc_buf b;
	dc_buf_init(&b);
	int rc = q ? 0 : DC_ERR_IO, st = SQLITE_DONE;
	while (rc == 0 && (st = sqlite3_step(q)) == SQLITE_ROW) {
		dc_buf_reset(&b);
		dc_buf_adds(&b, !strcmp(ct(q, 0), "UK") ? "uk" : "835");
		for (int i = 1; i <= 6; i++) {
			dc_buf_addc(&b, ',');
			dc_buf_csv(&b, ct(q, i));
		}
		for (int i = 7; i <= 9; i++) {
			dc_buf_addc(&b, ',');
			csv_money(&b, sqlite3_column_int64(q, i));
		}
		dc_buf_addc(&b, ',');
		dc_buf_csv(&b, ct(q, 10));
		dc_buf_addc(&b, '\n');
		dc_out_write(&o, b.p, b.len);
		t->unmatched++;
		t->unmatched_paid += sqlite3_column_int64(q, 8);
		if (sqlite3_column_int64(q, 11) / 100000 == r->run_id) {
			t->unmatched_run++;
			dc_diag_report(r->ds, DC_SEV_WARNING, 0, ct(q, 12),
				       (unsigned long)sqlite3_column_int64(q, 13),
				       "remitted claim '%s' of remittance '%s' matches no claim we sent",
				       ct(q, 5), ct(q, 3));
		}
	}
	return end_report(r, &o, q, st, rc, &b);
}

static int report_plb(struct rc *r, struct totals *t)
{
	struct dc_out o;
	if (open_out(r, &o, "provider-adjustments.csv",
		     "payer,payer_name,remittance_ref,payment_date,provider,fiscal_date,reason,"
		     "reference,amount\n") < 0)
		return DC_ERR_IO;
	sqlite3_stmt *q = prep(r,
		"SELECT r.payer, r.payer_name, r.ref, r.payment_date, b.provider, b.fiscal_date,"
		" b.reason, b.ref, b.amount FROM recon_plb b JOIN recon_remits r ON r.id = b.remit_id"
		" ORDER BY r.payment_date, r.payer, r.ref, b.seq");
	struct dc_buf b;
	dc_buf_init(&b);
	int rc = q ? 0 : DC_ERR_IO, st = SQLITE_DONE;
	while (rc == 0 && (st = sqlite3_step(q)) == SQLITE_ROW) {
		dc_buf_reset(&b);
		for (int i = 0; i <= 7; i++) {
			dc_buf_csv(&b, ct(q, i));
			dc_buf_addc(&b, ',');
		}
		csv_money(&b, sqlite3_column_int64(q, 8));
		dc_buf_addc(&b, '\n');
		dc_out_write(&o, b.p, b.len);
		t->plb += sqlite3_column_int64(q, 8);
	}
	return end_report(r, &o, q, st, rc, &b);
}

static int report_audit(struct rc *r, struct totals *t)
{
	struct dc_out o;
	if (open_out(r, &o, "audit.csv",
		     "month,scheme,payer,category,adjudicated,denied,rate,flag\n") < 0)
		return DC_ERR_IO;
	/* adjudicated: claims with a standing decision (paid, partial, denied) */
	sqlite3_stmt *q = prep(r,
		"SELECT c.month, c.scheme, c.payer, c.category, count(*),"
		" (SELECT count(*) FROM rc_status s WHERE s.month = c.month AND s.scheme = c.scheme"
		"  AND s.payer = c.payer AND s.status IN ('paid', 'partial', 'denied'))"
		" FROM rc_cat c GROUP BY c.month, c.scheme, c.payer, c.category"
		" ORDER BY c.month, c.scheme, c.payer, c.category");
	struct dc_buf b;
	dc_buf_init(&b);
	int rc = q ? 0 : DC_ERR_IO, st = SQLITE_DONE;
	while (rc == 0 && (st = sqlite3_step(q)) == SQLITE_ROW) {
		int64_t denied = sqlite3_column_int64(q, 4), adj = sqlite3_column_int64(q, 5);
		/* rate in basis points, rounded half up: integers only */
		int64_t bp = adj ? (denied * 10000 * 2 + adj) / (2 * adj) : 0;
		/* rate > threshold  <=>  denied * 100 * SCALE > thr * adjudicated */
		int flag = adj && denied * 100 * DC_DEC_SCALE > r->thr * adj;
		dc_buf_reset(&b);
		for (int i = 0; i <= 3; i++) {
			dc_buf_csv(&b, ct(q, i));
			dc_buf_addc(&b, ',');
		}
		dc_buf_printf(&b, "%lld,%lld,%lld.%02lld,%s\n", (long long)adj, (long long)denied,
			      (long long)(bp / 100), (long long)(bp % 100), flag ? "yes" : "");
		dc_out_write(&o, b.p, b.len);
		t->audit_rows++;
		t->flagged += flag;
	}
	return end_report(r, &o, q, st, rc, &b);
}

static int exit_status_of(const struct dc_reconcile_result *s)
{
	return s->config_error ? 2 : s->locked ? 5 : s->bug ? 6 : s->output_failed ? 4
	       : s->input_failed ? 3 : s->attention ? 1 : 0;
}

static int report_summary(struct rc *r, const struct rep *p, const struct totals *t)
{
	struct dc_out o;
	struct dc_buf b;
	char m[5][32];
	if (open_out(r, &o, "summary.json", "") < 0)
		return DC_ERR_IO;
	dc_buf_init(&b);
	dc_buf_adds(&b, "{\n  \"dripcode\": ");
	dc_buf_json(&b, r->o->version ? r->o->version : "");
	dc_buf_adds(&b, ", \"command\": \"reconcile\", \"now\": ");
	dc_buf_json(&b, r->now);
	dc_buf_adds(&b, ",\n  \"inputs\": [\n");
	if (r->inputs_json.len)
		dc_buf_add(&b, r->inputs_json.p, r->inputs_json.len);
	unsigned long total = 0;
	for (int i = 0; i < 5; i++)
		total += p->counts[i];
	dc_buf_printf(&b, "\n  ],\n  \"claims\": { \"total\": %lu, \"paid\": %lu, \"partial\": %lu,"
		      " \"denied\": %lu, \"reversed\": %lu, \"pending\": %lu },\n", total,
		      p->counts[DC_RECON_PAID], p->counts[DC_RECON_PARTIAL],
		      p->counts[DC_RECON_DENIED], p->counts[DC_RECON_REVERSED],
		      p->counts[DC_RECON_PENDING]);
	dc_buf_printf(&b, "  \"money\": { \"billed\": \"%s\", \"paid\": \"%s\", \"adjusted\": \"%s\","
		      " \"patient_responsibility\": \"%s\", \"plb\": \"%s\" },\n",
		      dc_money_format(p->billed, m[0], 32), dc_money_format(p->paid, m[1], 32),
		      dc_money_format(p->adjusted, m[2], 32), dc_money_format(p->pr, m[3], 32),
		      dc_money_format(t->plb, m[4], 32));
	dc_buf_printf(&b, "  \"unmatched\": { \"remitted_claims\": %lu, \"paid\": \"%s\" },\n",
		      t->unmatched, dc_money_format(t->unmatched_paid, m[0], 32));
	dc_buf_printf(&b, "  \"balancing_errors\": %lu,\n", t->balance_errors);
	dc_buf_printf(&b, "  \"audit\": { \"threshold\": \"%s\", \"rows\": %lu, \"flagged\": %lu },\n",
		      r->thr_text, t->audit_rows, t->flagged);
	dc_buf_printf(&b, "  \"exit_status\": %d\n}\n", exit_status_of(r->res));
	dc_out_write(&o, b.p, b.len);
	dc_buf_release(&b);
	return commit_out(r, &o);
}

static int report(struct rc *r)
{
	struct rep p;
	struct totals t;
	memset(&p, 0, sizeof p);
	memset(&t, 0, sizeof t);
	/* one read transaction: every output sees the same ledger state */
	if (exec(r, "BEGIN") < 0)
		return DC_ERR_IO;
	int rc = build_claim_set(r);
	if (rc == 0)
		rc = report_claims(r, &p);
	if (rc == 0)
		rc = report_unmatched(r, &t);
	if (rc == 0)
		rc = report_plb(r, &t);
	if (rc == 0)
		rc = report_audit(r, &t);
	if (rc == 0) {
		sqlite3_stmt *q = prep(r, "SELECT coalesce(sum(balance_errors), 0) FROM recon_remits");
		if (q && sqlite3_step(q) == SQLITE_ROW)
			t.balance_errors = (unsigned long)sqlite3_column_int64(q, 0);
		sqlite3_finalize(q);
	}
	if (rc == 0 && exec(r, "COMMIT") < 0)
		rc = DC_ERR_IO;
	if (rc < 0)
		sqlite3_exec(r->db, "ROLLBACK", NULL, NULL, NULL);
	struct dc_reconcile_result *res = r->res;
	res->claims = 0;
	for (int i = 0; i < 5; i++)
		res->claims += p.counts[i];
	res->paid = p.counts[DC_RECON_PAID];
	res->partial = p.counts[DC_RECON_PARTIAL];
	res->denied = p.counts[DC_RECON_DENIED];
	res->reversed = p.counts[DC_RECON_REVERSED];
	res->pending = p.counts[DC_RECON_PENDING];
	res->unmatched = t.unmatched;
	res->unmatched_read = t.unmatched_run;
	res->audit_rows = t.audit_rows;
	res->audit_flagged = t.flagged;
	if (t.unmatched_run)
		res->attention = 1;
	/* summary.json last: it states the outcome of everything before it */
	if (rc == 0)
		rc = report_summary(r, &p, &t);
	return rc;
}

/* ---- the run -------------------------------------------------------------- */

static int parse_threshold(struct rc *r, const char *s)
{
	struct dc_dec d;
	if (!s)
		s = "10";
	if (dc_dec_parse(s, &d) != 0 || d.v < 0 || d.v > 100 * DC_DEC_SCALE)
		return dc_diag_report(r->ds, DC_SEV_ERROR, DC_ERR_USAGE, NULL, 0,
				      "audit threshold '%.20s' is not a percentage from 0 to 100", s);
	r->thr = d.v;
	dc_dec_format(d, r->thr_text, sizeof r->thr_text);
	return 0;
}

int dc_reconcile(const struct dc_reconcile_opts *o, struct dc_diag_sink *ds,
		 struct dc_reconcile_result *res)
{
	struct rc r;
	memset(&r, 0, sizeof r);
	memset(res, 0, sizeof *res);
	r.o = o;
	r.ds = ds;
	r.res = res;
	dc_buf_init(&r.inputs_json);
	int rc = 0;
	if (o->now) {
		snprintf(r.now, sizeof r.now, "%s", o->now);
	} else {
		time_t now = time(NULL);
		struct tm tm;
		localtime_r(&now, &tm);
		strftime(r.now, sizeof r.now, "%Y-%m-%dT%H:%M", &tm);
	}
	if (o->nremits <= 0) {
		res->config_error = 1;
		dc_buf_release(&r.inputs_json);
		return dc_diag_report(ds, DC_SEV_ERROR, DC_ERR_USAGE, NULL, 0,
				      "reconcile needs at least one --remit file%s", "");
	}
	if (parse_threshold(&r, o->audit_threshold) < 0) {
		res->config_error = 1;
		dc_buf_release(&r.inputs_json);
		return DC_ERR_USAGE;
	}
	const char *rules_dir = o->rules_dir ? o->rules_dir : dc_rules_default_dir();
	if (dc_rules_load(&r.rules, rules_dir, o->overlay, ds) < 0) {
		res->config_error = 1;
		dc_rules_release(&r.rules);
		dc_buf_release(&r.inputs_json);
		return DC_ERR_RULE;
	}
	const char *out_dir = o->out_dir ? o->out_dir : "dripcode-out";
	mode_t mode = o->mode ? o->mode : 0600;
	if (prepare_out_dir(out_dir, mode, ds) < 0) {
		res->config_error = 1;
		rc = DC_ERR_USAGE;
		goto cleanup;
	}
	char *path = o->ledger_path ? dc_xstrdup(o->ledger_path) : dc_ledger_default_path();
	rc = dc_ledger_open(&r.ledger, path, o->wait_s, 0600, ds);
	free(path);
	if (rc == DC_ERR_BUSY) {
		res->locked = 1;
		goto cleanup;
	}
	if (rc < 0) {
		res->output_failed = 1;
		goto cleanup;
	}
	r.db = (sqlite3 *)dc_ledger_db(r.ledger);
	r.ledger_name = o->ledger_path ? o->ledger_path : "ledger";
	if (check_schema(&r) < 0 || exec(&r, schema) < 0) {
		rc = DC_ERR_IO;
		goto cleanup;
	}
	{
		sqlite3_stmt *q = prep(&r, "INSERT INTO recon_runs(now, out_dir) VALUES(?,?)");
		if (!q) {
			rc = DC_ERR_IO;
			goto cleanup;
		}
		bt(q, 1, r.now), bt(q, 2, out_dir);
		rc = step_done(&r, q);
		sqlite3_finalize(q);
		if (rc < 0)
			goto cleanup;
		r.run_id = sqlite3_last_insert_rowid(r.db);
	}
	for (int i = 0; i < o->nclaims && !r.db_failed; i++)
		ingest(&r, o->claims[i], i + 1, 1);
	for (int i = 0; i < o->nremits && !r.db_failed; i++)
		ingest(&r, o->remits[i], o->nclaims + i + 1, 0);
	if (!r.db_failed)
		rc = report(&r);
	else
		rc = DC_ERR_IO;
cleanup:
	if (r.ledger)
		dc_ledger_close(r.ledger);
	dc_rules_release(&r.rules);
	dc_buf_release(&r.inputs_json);
	return rc < 0 ? rc : 0;
}
