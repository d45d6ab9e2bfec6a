/*
 * X12 835 (health care claim payment/advice, 005010X221A1) reader: pulls one
 * event at a time — the start of a transaction (its BPR/TRN/payer header
 * complete), one remitted claim (CLP with its CAS, SVC lines, line CAS,
 * REF*6R, DTM*472, LQ), one PLB adjustment, the end of a transaction — so
 * memory holds one claim whatever the file size.
 *
 * Balancing is checked as the 835 guide defines it and every mismatch is a
 * warning, counted in the claim and the transaction:
 *   line         SVC02 - sum(line CAS) = SVC03
 *   claim        CLP03 - sum(claim CAS + line CAS) = CLP04
 *   transaction  sum(CLP04) - sum(PLB) = BPR02
 * Amounts are integer cents; an amount that is not a valid decimal (or has
 * fractions of a cent) is a warning and counts as 0.
 *
 * Memory: the reader owns every string and array of the event; they are
 * valid until the next dc_x835_next() or dc_x835_release().
 */
#ifndef DC_X835_H
#define DC_X835_H

#include <stddef.h>
#include <stdint.h>

#include "engine/diag.h"
#include "engine/input.h"
#include "parsers/x12.h"

#define DC_X835_MAX_LINES 10000     /* SVC per claim kept; more are dropped (warned) */
#define DC_X835_MAX_CAS 60000       /* adjustments per claim kept */

/* One CAS reason/amount/quantity triplet. |line| 0 = claim level, k = SVC k. */
struct dc_cas {
	char grp[3];                /* CO PR OA PI (CR in old files) */
	char reason[8];             /* CARC */
	int64_t amount;             /* cents; positive reduces payment */
	char qty[16];
	size_t line;
};

struct dc_remit_line {
	char qual[3];               /* SVC01-1: HC AD ER HP IV N4 NU WK ... */
	char code[49];              /* SVC01-2 */
	char mods[24];              /* SVC01-3..6 joined with ';' */
	int64_t charge, paid;       /* SVC02, SVC03 */
	char revenue[9];            /* SVC04 */
	char units[16];             /* SVC05 paid units ("1" when absent, per the guide) */
	char orig_qual[3], orig_code[49], orig_mods[24];   /* SVC06: code as submitted */
	char orig_units[16];        /* SVC07: units as submitted */
	char line_control[51];      /* REF*6R */
	char date[11];              /* DTM*472 (or 150), YYYY-MM-DD */
	char remarks[64];           /* LQ*HE remark codes joined with ';' */
	unsigned long src_line;
	int unbalanced;
};

struct dc_remit_claim {
	char clp01[51];
	char status[4];             /* CLP02 */
	int64_t charge, paid, patient_resp;   /* CLP03, CLP04, CLP05 */
	char payer_claim_no[51];    /* CLP07 */
	char date[11];              /* DTM*232 statement start, YYYY-MM-DD */
	char remarks[64];           /* MOA/MIA remark codes joined with ';' */
	struct dc_remit_line *lines;
	size_t nlines;
	struct dc_cas *cas;
	size_t ncas;
	unsigned long src_line;
	int unbalanced;             /* claim-level balancing failed */
	int unbalanced_lines;       /* lines that failed theirs */
};

struct dc_plb {
	char provider[51];          /* PLB01 */
	char fiscal_date[11];       /* PLB02, YYYY-MM-DD */
	char reason[8];             /* PLBxx-1 */
	char ref[51];               /* PLBxx-2 */
	int64_t amount;             /* positive reduces the payment */
	unsigned long src_line;
};

struct dc_x835_tx {
	char isa13[16], st02[16];
	char method[4];             /* BPR04: ACH CHK NON ... */
	int64_t bpr02;
	char pay_date[11];          /* BPR16, else DTM*405; YYYY-MM-DD */
	char trn02[51], trn03[11];
	char payer_name[61], payer_id[81];   /* N1*PR N102, N104 (else REF*2U) */
	char payee_id[81];          /* N1*PE N104 */
	int64_t sum_paid, sum_plb;
	unsigned long nclaims, nplb, balance_errors, src_line;
	int unbalanced;             /* transaction-level balancing failed */
};

enum dc_x835_kind {
	DC_X835_TX_BEGIN = 1,       /* |tx| header complete (before its first claim) */
	DC_X835_CLAIM,              /* |claim| */
	DC_X835_PLB,                /* |plb| */
	DC_X835_TX_END              /* |tx| totals and balancing final */
};

struct dc_x835_event {
	enum dc_x835_kind kind;
	const struct dc_x835_tx *tx;
	const struct dc_remit_claim *claim;
	const struct dc_plb *plb;
};

struct dc_x835 {
	struct dc_x12 x;
	struct dc_diag_sink *ds;
	struct dc_x12_seg seg;
	int pending;                /* seg holds a segment not yet handled */
	int in_tx, tx_begun, in_claim, n1;
	struct dc_x835_tx tx;
	struct dc_remit_claim claim;
	size_t lcap, ccap;
	struct dc_plb plb[6];
	size_t nplb_q, plb_pos;     /* PLB entries queued from one segment */
	int end_queued;
	unsigned long skipped_tx;   /* transactions that were not 835 */
	unsigned long nclaims, balance_errors, bad_amounts;
	char isa13[16];
};

/* Starts reading |in| (borrowed). */
void dc_x835_init(struct dc_x835 *r, struct dc_input *in, struct dc_diag_sink *ds);
void dc_x835_release(struct dc_x835 *r);
/*
 * Next event into |ev|. Returns 1, 0 at the end, or a negative status from
 * the tokenizer (the rest of the input cannot be read).
 */
int dc_x835_next(struct dc_x835 *r, struct dc_x835_event *ev);

/* X12 date CCYYMMDD to YYYY-MM-DD in |out| (11 bytes); "" when malformed. */
void dc_x12_date(const char *s, char out[11]);
/* An X12 amount to cents: 0 or -1 (malformed; *cents is then 0). */
int dc_x12_amount(const char *s, int64_t *cents);

#endif
