/*
 * The submitter profile: who sends the 837 files (submitter, ISA/GS sender),
 * to whom (receiver), for whom (the billing provider of loop 2010AA), and how
 * they are delimited. `--profile FILE` loads one; without it the built-in
 * demo profile is used, marked DEMO in every name and always ISA15 = T.
 *
 * File format (one setting a line):
 *
 *     # comment (a line whose first non-blank character is '#')
 *     key = value
 *
 * Blanks around key and value are trimmed; a '#' later in a line is part of
 * the value (addresses such as "SUITE #4"). Keys are listed in
 * dc_profile_load()'s table (engine/profile.c) and in testdata/profiles/.
 * Every value is checked against the X12 lengths of the element it fills
 * and must not contain any of the four separators.
 *
 * The struct owns its strings (fixed arrays sized to the X12 maxima): no
 * allocation, dc_profile_release() only clears it.
 */
#ifndef DC_PROFILE_H
#define DC_PROFILE_H

#include "engine/diag.h"

struct dc_profile {
	int demo;                       /* 1 for the built-in demo profile */
	/* 1000A submitter (NM1*41, PER*IC) */
	char submitter_name[61];
	char submitter_id[81];
	char contact_name[61];
	char contact_phone[81];         /* digits only once loaded */
	char contact_email[81];
	/* 1000B receiver (NM1*40) */
	char receiver_name[61];
	char receiver_id[81];
	/* ISA05/06, ISA07/08 (ids padded to 15 when written) */
	char isa_sender_qual[3], isa_sender_id[16];
	char isa_receiver_qual[3], isa_receiver_id[16];
	/* GS02, GS03 */
	char gs_sender[16], gs_receiver[16];
	/* 2010AA billing provider */
	char billing_name[61];
	char billing_npi[11];
	char billing_ein[10];           /* 9 digits, no hyphen */
	char billing_taxonomy[11];      /* optional PRV*BI*PXC (10 characters) */
	char billing_address[56];
	char billing_city[31];
	char billing_state[3];
	char billing_zip[10];           /* 9 digits (ZIP+4 is required in 2010AA) */
	/* delimiters */
	char elem_sep, comp_sep, rep_sep, seg_term;
	int line_per_segment;           /* newline after each segment terminator */
	int production;                 /* ISA15 = P when 1, else T */
	/* ledger identity, see dc_profile_key() */
	char key[80];
};

/*
 * Reads |path|. Returns 0, or DC_ERR_USAGE after reporting each problem to
 * |ds| as "path:line: what 'value'" (line 0 for a missing key). |p| is left
 * cleared on failure.
 */
int dc_profile_load(struct dc_profile *p, const char *path, struct dc_diag_sink *ds);
/* Fills |p| with the built-in demo profile (test usage, DEMO names). */
void dc_profile_demo(struct dc_profile *p);
void dc_profile_release(struct dc_profile *p);
/*
 * The identity the ledger keys its control numbers on: the ISA sender and
 * receiver, "ZZ:SENDERID>ZZ:RECEIVERID". Two profiles with the same key
 * share the ISA13/GS06 sequence, as the receiver sees one sender.
 */
const char *dc_profile_key(const struct dc_profile *p);

#endif
