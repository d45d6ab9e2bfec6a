/*
 * The encounter ids seen in one input, with what became of each fragment
 * (a run of contiguous rows sharing an id).
 *
 * Memory is fixed: a Bloom filter answers "never seen" at once; a possible
 * match is confirmed by scanning a spool file of fragments, so a false
 * positive costs time, never a wrong answer. The spool also lets the engine
 * take back the fragments of an id that turned out to be split
 * (input_order) once the whole input has been read.
 */
#ifndef DC_IDSET_H
#define DC_IDSET_H

#include <stdint.h>
#include <stdio.h>

#include "engine/bloom.h"

struct dc_fragment {
	unsigned long first_line, last_line, rows;
	char outcome;               /* 'C' coded, 'H' held, 'A' already billed */
	int hold;                   /* enum dc_hold when held */
	unsigned long not_administered, lines, claims;
	int no_claim;
	int64_t charge;             /* cents */
};

struct dc_idset {
	struct dc_bloom bloom;
	FILE *spool;
	char *vbuf;                  /* spool's buffer, freed after it is closed */
	unsigned long count;
};

int dc_idset_init(struct dc_idset *s);       /* 0 or DC_ERR_IO */
/* Empties an initialised |s| for another input: 0 or DC_ERR_IO. */
int dc_idset_clear(struct dc_idset *s);
void dc_idset_release(struct dc_idset *s);
/* 1 when |id| was added before, else 0. */
int dc_idset_contains(struct dc_idset *s, const char *id);
int dc_idset_add(struct dc_idset *s, const char *id, const struct dc_fragment *f);
/*
 * Calls |fn| for every fragment whose id |want| accepts, in input order.
 */
int dc_idset_scan(struct dc_idset *s, int (*want)(void *ctx, const char *id),
		  void (*fn)(void *ctx, const char *id, const struct dc_fragment *f),
		  void *ctx);

#endif
