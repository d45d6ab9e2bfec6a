/*
 * ASC X12 837 writer, version 5010: 837P (005010X222A1) for physician
 * claims and 837I (005010X223A2, type of bill 0131) for hospital outpatient
 * claims. spec/outputs.md is the contract.
 *
 * The work is split in two because claims are staged per encounter and the
 * envelope is written only once a whole input has been read:
 *
 * 1. dc_x12_claim_format() turns one coded encounter into a BODY: the
 *    2000B subscriber hierarchy (2000B, 2010BA, 2010BB, the 2000C patient
 *    loop when the patient is not the subscriber) holding every 837 claim of
 *    the encounter (2300 loops with their 2310 and 2400/2410 loops). One
 *    encounter is one 2000B; an 837P encounter split at 50 lines gives
 *    several CLMs under that same 2000B.
 *
 *    Body format: segments delimited with the profile's separators, each
 *    ended by its segment terminator (plus '\n' when the profile has
 *    line_per_segment). HL ids are RELATIVE to the body: its first HL is 1
 *    and has an empty HL02 (its parent is the billing provider's 2000A), the
 *    patient's HL is "2*1". dc_x12_file_write() renumbers them; a body can
 *    thus be staged, dropped or reordered freely. A body must be written
 *    with the same profile as the file.
 *
 * 2. dc_x12_file_write() writes one interchange (ISA .. IEA) around the
 *    bodies it pulls from a callback, then checks what it wrote with
 *    dc_x12_self_check() before anything reaches the dc_out.
 *
 * Memory: the whole interchange is built in memory (one dc_buf) so that it
 * can be checked before a byte is written; a file is therefore limited to
 * DC_X12_MAX_FILE_BYTES (DC_ERR_LIMIT beyond). Callers bound it by splitting
 * large runs: DC_X12_CLAIMS_PER_FILE claims per file keeps a file near
 * 10 MB (a 50-line claim is about 3 KB, a typical infusion claim 1 KB).
 */
#ifndef DC_X12_837_H
#define DC_X12_837_H

#include <stddef.h>

#include "engine/buf.h"
#include "engine/coded.h"
#include "engine/diag.h"
#include "engine/encounter.h"
#include "engine/output.h"
#include "engine/profile.h"
#include "rulesets/dc_rules.h"

#define DC_X12_837P_VERSION "005010X222A1"
#define DC_X12_837I_VERSION "005010X223A2"

/* Claims per ST/SE transaction: a new ST (with its own BHT, 1000A/B and
 * 2000A) starts before a body that would pass this (the implementation
 * guides recommend at most 5000 CLMs a transaction). */
#define DC_X12_MAX_CLAIMS_PER_ST 5000
/* Hard limit of one interchange built in memory. */
#define DC_X12_MAX_FILE_BYTES ((size_t)256 << 20)
/* Advice to callers: start a new file (new ISA13) after this many claims. */
#define DC_X12_CLAIMS_PER_FILE 10000

/*
 * Appends to |b| the body of encounter |enc| (see above): every claim of
 * |c| whose claim_type is "837P" or "837I", lines grouped by claim_id in the
 * order of their first line. Appends nothing when |c| has no 837 line.
 *
 * Values are copied with separators, control characters and non-ASCII
 * characters replaced by a blank, and cut to the element's X12 maximum
 * length. Returns the number of values so changed (0 normally), so that the
 * caller can warn; diagnostics must name the encounter, never the value
 * (it may be a patient name).
 *
 * Lookups: us/payers.csv (2010BB name and id, SBR09) and, for 837I revenue
 * codes, us/admin-codes.csv. The data must have passed
 * dc_x12_claim_missing(); otherwise the file's self-check fails.
 */
int dc_x12_claim_format(struct dc_buf *b, const struct dc_encounter *enc,
			const struct dc_coded *c, const struct dc_profile *p,
			const struct dc_rules *rules);

/*
 * Options of a claim body. dc_x12_claim_format() uses the defaults: an
 * original claim (frequency '1'). `--rebill` writes replacement claims:
 * frequency '7' (CLM05-3) and, when reconciliation knows it, the payer's
 * claim control number in REF*F8 (batch.md).
 */
struct dc_x12_claim_opts {
	char frequency;                  /* '1' original, '7' replacement, '8' void */
	/*
	 * REF*F8 of the claim |claim_id| (as the encounter's lines name it):
	 * the payer's number, or NULL or "" when unknown. NULL: none at all.
	 */
	const char *(*payer_claim_number)(void *ctx, const char *claim_id);
	void *ctx;
};

/* dc_x12_claim_format() with options (|opts| NULL: the defaults). */
int dc_x12_claim_format_opts(struct dc_buf *b, const struct dc_encounter *enc,
			     const struct dc_coded *c, const struct dc_profile *p,
			     const struct dc_rules *rules, const struct dc_x12_claim_opts *opts);

/*
 * What dc_x12_claim_format() needs and validation does not guarantee:
 * returns NULL when the encounter can be written, else a short reason
 * naming the column or line (never a patient value), such as
 * "member_id is empty" or "line 3 has no line_control". The caller should
 * hold such an encounter rather than write it: a claim missing a required
 * element fails the file's self-check, which aborts the whole file.
 * |buf| receives the reason when it needs formatting.
 */
const char *dc_x12_claim_missing(const struct dc_encounter *enc, const struct dc_coded *c,
				 const struct dc_rules *rules, char *buf, size_t n);

/*
 * The form a value takes in the file: |v| with separators, control and
 * non-ASCII characters blanked, ends trimmed, cut to |max| characters (0:
 * no limit; CLM01 is written with max 38, REF*6R with 50), into |out|.
 * Returns 1 when it differs from |v|. The ledger should record claim ids
 * and line control numbers in this form: it is what the 835 sends back
 * (an encounter id "A:1" is written "A 1" with the default separators).
 */
int dc_x12_clean(const struct dc_profile *p, const char *v, size_t max, char *out, size_t n);

/* Number of CLM segments in a body. */
size_t dc_x12_body_claims(const char *body, size_t len, const struct dc_profile *p);

/*
 * Writes one interchange to |o|: ISA (ISA13 = |isa13|, 9 digits), GS
 * (GS06 = |gs06|, GS08 the version of |kind|: 'P' 837P, 'I' 837I), then
 * for each transaction ST (ST02 from 0001), BHT, 1000A, 1000B,
 * 2000A/2010AA and the bodies, then SE, GE and IEA with exact counts.
 * |now| is "YYYY-MM-DDTHH:MM" (ISA09/10, GS04/05, BHT04/05).
 *
 * |next_body| is called until it returns 0: it sets *body and *len to one
 * body (valid until the next call) and returns 1, or returns a negative
 * dc_status to stop (returned as is). Empty bodies are skipped.
 *
 * Nothing is written to |o| unless the whole interchange passed
 * dc_x12_self_check(). Returns 0, or:
 *   DC_ERR_USAGE  bad kind, control number or |now|, or no claim at all
 *                 (an 837 needs at least one 2000B: batch.md creates no
 *                 empty file)
 *   DC_ERR_LIMIT  the interchange would pass DC_X12_MAX_FILE_BYTES
 *   DC_ERR_BUG    a body is malformed (HL numbering) or the self-check failed
 *   DC_ERR_IO     writing to |o| failed
 * or the callback's status. On failure the caller aborts |o| (dc_out_abort).
 */
int dc_x12_file_write(struct dc_out *o, char kind, const struct dc_profile *p,
		      long isa13, long gs06, const char *now,
		      int (*next_body)(void *ctx, const char **body, size_t *len), void *ctx,
		      struct dc_diag_sink *ds);

/*
 * Re-reads an interchange written by dc_x12_file_write() (delimiters taken
 * from its ISA) and checks: ISA length 106, envelope pairs and counts (SE01,
 * ST02 = SE02, GE01, GS06 = GE02, IEA01, ISA13 = IEA02), GS08 = ST03 =
 * a supported version, HL ids sequential from 1 in each transaction with
 * parents of the right level (20 > 22 > 23) and HL04 child codes, loop
 * order, required elements present, no trailing empty elements, CLM01 of
 * at most 20 characters, CLM02 = the sum of its SV102 / SV203, LX sequential,
 * one REF*6R per service line and unique within its claim, LIN/CTP only on
 * drug lines (HCPCS J, Q or S codes). Each problem is reported to |ds|
 * (segment number and id, never element values of patients). Returns 0 or
 * DC_ERR_BUG.
 */
int dc_x12_self_check(const char *data, size_t len, struct dc_diag_sink *ds);

#endif
