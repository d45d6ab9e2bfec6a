/*
 * Extract readers: pull one encounter at a time.
 *
 *     while ((rc = r->ops->next(r, &enc, &arena)) == 1) { ...; dc_arena_reset(&arena); }
 *
 * next() returns 1 when an encounter was read, 0 at the end of the input, or
 * a negative status that ends the input (DC_ERR_PARSE, DC_ERR_IO). Rows that
 * cannot be read are handed to the reject callback and reading goes on.
 * Everything an encounter points to lives in the arena passed to next().
 */
#ifndef DC_READER_H
#define DC_READER_H

#include <stddef.h>

#include "engine/arena.h"
#include "engine/diag.h"
#include "engine/encounter.h"
#include "engine/input.h"

struct dc_reader;

struct dc_reject_sink {
	void (*reject)(void *ctx, const char *source, unsigned long line,
		       const char *error, const char *raw, size_t rawlen);
	void *ctx;
};

struct dc_reader_ops {
	const char *name;   /* "csv", "hl7xml" */
	int (*next)(struct dc_reader *r, struct dc_encounter *enc, struct dc_arena *a);
	void (*free)(struct dc_reader *r);
};

/* Column aliases from --map: their_name -> canonical index. */
struct dc_colmap {
	char **alias;       /* lowercase, trimmed */
	int *canon;
	size_t n;
};

struct dc_reader {
	const struct dc_reader_ops *ops;
	struct dc_input *in;
	struct dc_diag_sink *ds;
	struct dc_reject_sink rejects;
	/* the input's columns, in its order; canon[i] is a canonical index, or -1
	 * for an unknown column, or -2 for a column held.csv regenerates */
	char **colnames;
	int *canon;
	size_t ncols;
	unsigned long rows;            /* rows read, rejected ones included */
	unsigned long rejected_rows;
	unsigned long not_administered;
	/*
	 * --shard k/n (n 0: none), set by the caller: what the reader counts
	 * without returning an encounter (a message whose administrations were
	 * all not given) it counts only for this shard's encounter ids.
	 */
	int shard_k, shard_n;
};

/*
 * Opens a CSV extract reader and reads its header. Returns the reader, or
 * NULL after reporting why (missing required columns, empty input) to |ds|.
 */
struct dc_reader *dc_csv_reader_new(struct dc_input *in, char delim,
				    const struct dc_colmap *map, struct dc_diag_sink *ds,
				    struct dc_reject_sink rejects);

/*
 * Opens an HL7 v2.xml extract reader (spec/input-hl7-xml.md): one message is
 * one encounter, parsed as it streams by and freed. Reads nothing until
 * next(); XML that is not well formed or is refused ends with one reject and
 * DC_ERR_PARSE. Its held.csv columns are the canonical ones. Returns NULL
 * (reported) only when libxml2 cannot create a parser.
 */
struct dc_reader *dc_xml_reader_new(struct dc_input *in, struct dc_diag_sink *ds,
				    struct dc_reject_sink rejects);

/* Reads a --map file. Returns 0 or DC_ERR_USAGE (reported). */
int dc_colmap_load(struct dc_colmap *m, const char *path, struct dc_diag_sink *ds);
void dc_colmap_release(struct dc_colmap *m);

/* Trims |s| in place, lowercases it; returns it. */
char *dc_header_normalise(char *s);

#endif
