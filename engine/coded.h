/*
 * What coding produces for one encounter: claim lines, warnings (every
 * decision not to bill something, with its rule id) and explanation notes.
 * Everything lives in the encounter's arena.
 */
#ifndef DC_CODED_H
#define DC_CODED_H

#include <stddef.h>
#include <stdint.h>

#include "engine/value.h"

struct dc_line {
	const char *claim_id;
	const char *claim_type;      /* "837P", "837I" or "UK" */
	int line_no;                 /* 1-based within its claim */
	const char *line_control;    /* REF*6R value, "" for UK */
	const char *kind;            /* admin, drug, drug_waste, visit, procedure */
	const char *code;
	const char *modifiers;       /* ';'-separated, claim order */
	struct dc_dec units;
	int64_t charge;              /* cents */
	const char *ndc;             /* 11 digits or "" */
	struct dc_dec ndc_quantity;
	const char *ndc_unit;
	const char *dmd_code;
	const char *description;
	const char *dx_pointers;     /* "1;2" */
	const char *rule;            /* ';'-separated rule ids */
	const char *source_lines;    /* ';'-separated input lines */
	const char *unit;            /* UK: the quantity's unit */
	int64_t unit_price;          /* UK: price per unit, in 1/10000 of the currency */
	const char *arith;           /* explain: how the units were counted */
};

struct dc_warning {
	const char *rule;
	const char *msg;
	unsigned long line;
};

struct dc_coded {
	struct dc_line *lines;
	size_t nlines, lcap;
	struct dc_warning *warnings;
	size_t nwarnings, wcap;
	const char **notes;          /* explain: administrations and timing */
	size_t nnotes, ncap;
	int nclaims;
	int64_t charge;              /* cents, all lines */
	int explain;                 /* keep explanation notes (explain only) */
};

struct dc_arena;
/* Appends a zeroed line (strings set to "") and returns it. */
struct dc_line *dc_coded_add_line(struct dc_coded *c, struct dc_arena *a);
/* Records a "not billed" or "changed" decision under |rule|. */
void dc_coded_warn(struct dc_coded *c, struct dc_arena *a, const char *rule,
		   unsigned long line, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));
/* Adds a line of explanation for `dripcode explain`. */
void dc_coded_note(struct dc_coded *c, struct dc_arena *a, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* CLM01 / invoice number: the encounter_id when it has at most 20
 * characters, else a stable derived id of 20 characters. */
const char *dc_claim_id(const char *encounter_id, struct dc_arena *a);

#endif
