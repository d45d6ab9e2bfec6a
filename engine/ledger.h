/*
 * The ledger: one SQLite file that survives between runs and holds
 *   - control numbers per submitter/receiver (ISA13, GS06), never reused;
 *   - every encounter billed, known by (billing provider, scheme, encounter_id);
 *   - every claim and line written, with its output file and ISA13;
 *   - every input processed (path, size, SHA-256, counts);
 *   - the runs themselves, so that a run that died is found and cleaned up.
 *
 * One run at a time: dc_ledger_open() takes an exclusive lock (flock on
 * "LEDGER.lock"), waiting up to |wait_s| seconds, else DC_ERR_BUSY.
 *
 * Crash consistency. A claim file is written under a temporary name and
 * fsynced; then one transaction records it as 'pending' with its claims and
 * the control numbers it used; then it is renamed and marked 'complete'. The
 * next run completes or removes whatever a dead run left: a pending file
 * whose final name exists is marked complete; one whose temporary file
 * exists is renamed into place (its content was synced before the commit);
 * one with neither is forgotten with its claims. Temporary files of a dead
 * run that were never recorded are removed. So every recorded claim is in a
 * complete file, and every complete claim file is recorded.
 */
#ifndef DC_LEDGER_H
#define DC_LEDGER_H

#include <stddef.h>
#include <stdint.h>

#include "engine/diag.h"

struct dc_buf;

struct dc_ledger;

/* The layout of the ledger's tables; dc_ledger_open brings older ones to it. */
#define DC_LEDGER_SCHEMA 3

/* Opens (creating) the ledger at |path|, with mode |mode| for a new file. */
int dc_ledger_open(struct dc_ledger **lp, const char *path, int wait_s, unsigned mode,
		   struct dc_diag_sink *ds);
void dc_ledger_close(struct dc_ledger *l);
/* The default path: $DRIPCODE_LEDGER, else $XDG_DATA_HOME/dripcode/ledger.sqlite,
 * else ~/.local/share/dripcode/ledger.sqlite. Returns a heap string. */
char *dc_ledger_default_path(void);

/* Cleans up after dead runs (see above); reports what it did. Returns the
 * number of problems reported, or a negative status. */
int dc_ledger_recover(struct dc_ledger *l, struct dc_diag_sink *ds);
/* Records this run (output directory and timestamp). */
int dc_ledger_begin_run(struct dc_ledger *l, const char *out_dir, const char *now);
int dc_ledger_end_run(struct dc_ledger *l, int exit_status);

/*
 * 1 when an earlier run billed the encounter, 2 when an earlier input of
 * this run did (dc_ledger_mark), 0 when neither, or a negative status.
 */
int dc_ledger_billed(struct dc_ledger *l, const char *provider, const char *scheme,
		     const char *encounter_id);
/*
 * The payer's claim control number (835 CLP07, kept by reconcile) of the
 * claim |claim_id| of |scheme|, into |buf|: 1 when known, 0 when not (no
 * remittance named one, or nothing was ever reconciled), or a negative status.
 */
int dc_ledger_payer_claim_number(struct dc_ledger *l, const char *claim_id, const char *scheme,
				 char *buf, size_t n);
/* Marks an encounter as billed by this run (an input read to the end whose
 * claims are still to be written), so a later input's copy is already billed.
 * Marks are written in batches; a lookup finds every mark made before it. */
int dc_ledger_mark(struct dc_ledger *l, const char *provider, const char *scheme,
		   const char *encounter_id);
/* From now on a thread of the ledger's own writes the marks. */
void dc_ledger_marks_in_background(struct dc_ledger *l);
/* The marks made so far are to be written (an input's last). */
void dc_ledger_marks_flush(struct dc_ledger *l);
/*
 * After the last input: waits until every mark is written, then drops the
 * marks (no lookup sees them after). 0, or a negative status if any failed.
 */
int dc_ledger_marks_wait(struct dc_ledger *l);

/* Control numbers: the next ISA13/GS06 for |key|, reserved inside the current
 * file transaction (dc_ledger_file_begin). Shard k of n (n > 1) takes only
 * numbers congruent to k modulo n, so shards started from one ledger never
 * use the same number. */
int dc_ledger_next_control(struct dc_ledger *l, const char *key, int shard_k, int shard_n,
			   long *isa13, long *gs06);
/*
 * What dc_ledger_next_control would return, without a transaction: for the
 * first file (|after_isa13| 0) from the ledger, else the numbers after the
 * given ones (the run holds the ledger's lock, so nobody else takes any).
 */
int dc_ledger_peek_control(struct dc_ledger *l, const char *key, int shard_k, int shard_n,
			   long after_isa13, long after_gs06, long *isa13, long *gs06);

/*
 * `dripcode ledger merge`: adds the claims, encounters, files, inputs and
 * runs of |other| (a shard's ledger) to |l|, and moves the control numbers to
 * past the highest either used. An encounter both billed under different
 * claims is a conflict: nothing is merged and the conflicts are reported.
 */
int dc_ledger_merge(struct dc_ledger *l, const char *other, struct dc_diag_sink *ds);

/*
 * One output file: begin a transaction, add its claims, record the file as
 * pending (commit), then after the rename mark it complete.
 */
int dc_ledger_file_begin(struct dc_ledger *l);
/*
 * A claim of the open file, with its lines as one JSON array (|lines|,
 * |lines_len| bytes, built with dc_ledger_line_json), and the encounter it
 * bills. The strings are not kept after the call.
 */
int dc_ledger_add_claim(struct dc_ledger *l, const char *claim_id, const char *provider,
			const char *scheme, const char *encounter_id, const char *payer,
			const char *service_date, int64_t charge_cents, const char *frequency,
			const char *lines, size_t lines_len);
/*
 * Appends one line, [line_no, code, modifiers, units, charge_cents,
 * line_control], to the JSON array being built in |b| (opened with '[',
 * closed by the caller with ']').
 */
void dc_ledger_line_json(struct dc_buf *b, int line_no, const char *code,
			 const char *modifiers, const char *units, int64_t charge_cents,
			 const char *line_control);
/* Records the file (pending) and commits; returns its id in |file_id|. */
int dc_ledger_file_commit(struct dc_ledger *l, const char *kind, const char *final_path,
			  const char *tmp_path, long isa13, int64_t *file_id);
void dc_ledger_file_rollback(struct dc_ledger *l);
int dc_ledger_file_complete(struct dc_ledger *l, int64_t file_id);
/* The file never reached its final name: forget it and its claims. */
int dc_ledger_file_forget(struct dc_ledger *l, int64_t file_id);

/* Inputs processed. */
int dc_ledger_add_input(struct dc_ledger *l, const char *path, uint64_t bytes,
			const char *sha256, const char *now, unsigned long rows,
			unsigned long coded, unsigned long held, unsigned long rejected);

/* 1 when a claim id is already used for another encounter (derived ids that
 * collide), 0 when not, or a negative status. */
int dc_ledger_claim_taken(struct dc_ledger *l, const char *claim_id, const char *provider,
			  const char *encounter_id);

/* `dripcode ledger show`: a short report on |out|. */
int dc_ledger_show(struct dc_ledger *l, void *out /* FILE* */);

/* The SQLite handle, for modules that keep their own tables in the ledger
 * (reconciliation). Borrowed; valid until dc_ledger_close(). */
struct sqlite3;
struct sqlite3 *dc_ledger_db(struct dc_ledger *l);
/* The ledger's file name, for messages. */
const char *dc_ledger_path(const struct dc_ledger *l);

/* Test hook: when set, called before each commit ("commit"), lookup
 * ("lookup") and mark ("mark"); nonzero fails that call. */
extern int (*dc_ledger_fail_hook)(const char *op);

#endif
