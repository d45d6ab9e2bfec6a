/*
 * `dripcode reconcile`: remittances (X12 835, UK remittance CSV) against the
 * claims we sent (the ledger, and/or 837 files given with --claims), as
 * spec/reconcile.md defines it.
 *
 * Two phases, both inside the ledger database:
 *
 * 1. Ingest. Each --claims 837 is parsed and its claims stored (table
 *    recon_ext_claims, replaced by claim id). Each --remit input is
 *    recognised by content (an ISA: 835; a CSV header naming
 *    remittance_ref: UK) and stored as read, one SQLite transaction per
 *    input: remittances (recon_remits), remitted claims (recon_pays), their
 *    service lines (recon_svcs), adjustments (recon_cas) and PLB entries
 *    (recon_plb). A remittance is known by (kind, payer, reference) — for
 *    an 835 TRN03 + TRN02, for the UK insurer_code + remittance_ref — and
 *    one already stored by an earlier input or run is skipped whole, so
 *    applying the same file twice changes nothing. An input that cannot be
 *    read to its end is rolled back whole (nothing of it is stored), so the
 *    corrected file can be applied later.
 *
 * 2. Report. Every output is computed from the whole ledger (not from this
 *    run's inputs), one claim at a time: remitted claims are matched to our
 *    claims now (CLP01 = claim id, or = its first 20 characters; UK
 *    invoice_number = claim id), lines by REF*6R, else code + modifiers +
 *    units, else code + modifiers; statuses follow reconcile.md applying the
 *    remittances in payment-date order. Because matching happens at report
 *    time, a remittance that came before its claim was known is matched as
 *    soon as the claim is.
 *
 * Outputs in |out_dir| (created, must be empty; files atomic, mode |mode|):
 * reconciliation.csv, reconciliation-lines.csv, unmatched-remittances.csv,
 * provider-adjustments.csv, audit.csv, summary.json.
 */
#ifndef DC_RECONCILE_H
#define DC_RECONCILE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "engine/diag.h"

struct dc_rules;

struct dc_reconcile_opts {
	const char *ledger_path;        /* NULL: dc_ledger_default_path() */
	int wait_s;                     /* --wait */
	char **claims;                  /* --claims 837 files */
	int nclaims;
	char **remits;                  /* --remit files (at least one) */
	int nremits;
	const char *out_dir;            /* -o; NULL: ./dripcode-out */
	const char *rules_dir, *overlay;   /* NULL: dc_rules_default_dir() */
	const char *audit_threshold;    /* percent, decimal ("10", "7.5"); NULL: 10 */
	const char *now;                /* YYYY-MM-DDTHH:MM; NULL: the clock */
	mode_t mode;                    /* 0: 0600 */
	const char *version;            /* for summary.json */
};

struct dc_reconcile_result {
	int config_error;               /* exit 2: bad option, rulesets, output dir not empty */
	int locked;                     /* exit 5: another run holds the ledger */
	int bug;                        /* exit 6 */
	int output_failed;              /* exit 4: an output or the ledger could not be written */
	int input_failed;               /* exit 3: an input not X12/CSV, unreadable or partly read */
	int attention;                  /* exit 1: this run's remittances have unmatched
					 * claims, balancing errors or skipped rows */
	/* this run */
	unsigned long remittances_applied, remittances_skipped, claims_read, plb_read;
	unsigned long unmatched_read, balance_errors;
	/* the ledger after the run */
	unsigned long claims, paid, partial, denied, reversed, pending, unmatched;
	unsigned long audit_rows, audit_flagged;
};

/*
 * Runs the reconciliation. Returns 0 or a negative status; the outcome for
 * the exit status is in |res| (cmd/ maps it: config_error 2, locked 5, bug
 * 6, output_failed 4, input_failed 3, attention 1, else 0).
 */
int dc_reconcile(const struct dc_reconcile_opts *o, struct dc_diag_sink *ds,
		 struct dc_reconcile_result *res);

/* ---- the rules, exposed for the unit tests ---- */

/* Claim statuses (reconcile.md). */
enum dc_recon_status {
	DC_RECON_PENDING = 0, DC_RECON_PAID, DC_RECON_PARTIAL, DC_RECON_DENIED, DC_RECON_REVERSED
};
const char *dc_recon_status_name(enum dc_recon_status s);

/*
 * The category of one adjustment and whether it is a denial. |kind| 'U'
 * for UK (|group| ignored, |reason| a uk/remittance-reasons.csv code,
 * |uk_status| 1 paid / 2 part_paid / 3 rejected), else 835 (|group| CO PR
 * OA PI, |reason| a CARC, |rarcs| the remark codes of the line and claim,
 * ';'-separated, which refine the CARC: 16 with M119 is drug_coding).
 * Returns the category (borrowed from |rules| or a literal): PR and
 * contractual ones (CO-45...) and UK `none` are not denials; a CARC or
 * reason missing from the tables is `other`, a denial.
 */
const char *dc_recon_category(const struct dc_rules *rules, char kind, const char *group,
			      const char *reason, const char *rarcs, int uk_status,
			      int *denial);

/* One remittance's verdict on one claim, as the status rules need it. */
struct dc_recon_verdict {
	int reversal;                   /* CLP02 22 */
	int claim_denied;               /* CLP02 4, or a claim-level denial adjustment */
	int any_denial;                 /* some denial adjustment, claim or line */
	size_t nlines, nlines_denied;   /* remitted lines; lines with nothing paid and a denial */
	int64_t paid;
	const char *payer_claim_no;
	int active;                     /* set by dc_recon_status_of: not cancelled */
};

/*
 * Applies |n| verdicts in payment-date order: a reversal cancels the latest
 * active verdict with the same payer claim number, else the one whose paid
 * amount it negates, else the latest. Sets |active| and returns the status.
 */
enum dc_recon_status dc_recon_status_of(struct dc_recon_verdict *v, size_t n);

#endif
