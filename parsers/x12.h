/*
 * A streaming X12 tokenizer over a dc_input: one segment per call, shared by
 * the 835 and 837 readers.
 *
 * Delimiters come from each ISA: the element separator is the ISA's fourth
 * byte, the component separator is ISA16, the repetition separator is ISA11
 * (only when it is punctuation: in 4010 ISA11 is the letter U), and the
 * segment terminator is the byte after ISA16. They are read again at every
 * ISA, so a file may hold several interchanges with different delimiters.
 *
 * Tolerated, as real files need (x12-notes.md): a UTF-8 byte-order mark,
 * CR/LF/spaces/tabs between segments (so "~\r\n", indented segments, and a
 * newline used as the segment terminator all work), an empty segment ("~~"),
 * a last segment without its terminator, wrong SE/GE/IEA counts and control
 * numbers, missing trailers. Those are warnings reported to the sink and
 * counted in |nwarnings|; reading goes on.
 *
 * Fatal (DC_ERR_PARSE): the input does not start with an ISA (after the BOM
 * and white space) or the ISA's delimiters are unusable — "not X12 at all";
 * and DC_ERR_LIMIT: a segment longer than DC_X12_MAX_SEGMENT bytes (memory
 * stays bounded whatever the input; such a file is almost always one whose
 * terminator is not what its ISA says).
 *
 * Memory: the tokenizer owns the segment buffer; the element pointers of a
 * dc_x12_seg are valid until the next dc_x12_next() or dc_x12_release().
 */
#ifndef DC_X12_H
#define DC_X12_H

#include <stddef.h>

#include "engine/diag.h"
#include "engine/input.h"

#define DC_X12_MAX_SEGMENT (64 * 1024)  /* bytes in one segment */
#define DC_X12_MAX_ELEMENTS 512         /* elements in one segment */
#define DC_X12_MAX_BAD_SEGMENTS 100     /* malformed segments in a row: not X12 */

struct dc_x12_seg {
	const char *id;            /* "CLP"; same as el[0] */
	char **el;                 /* el[0] the id, el[1] the first element, NUL-terminated */
	size_t nel;                /* elements including the id */
	unsigned long line;        /* physical line where the segment starts (1-based) */
	unsigned long index;       /* segment number in the file (1-based) */
	char comp, rep;            /* component and repetition separators (rep 0: none) */
};

struct dc_x12 {
	struct dc_input *in;
	struct dc_diag_sink *ds;
	const char *name;          /* input name for diagnostics (borrowed) */
	char elem, comp, rep, term;
	int have_isa;              /* an ISA has been read: delimiters known */
	int started;               /* some byte other than BOM/space seen */
	int in_isa_seg;            /* reading an ISA: counting separators */
	int isa_seps;
	int at_eof;
	unsigned long line, seg_line, nseg, bad_run;
	size_t bom;                /* BOM bytes matched at the start */
	char *buf;                 /* current segment bytes */
	size_t len, cap;
	char **el;
	size_t elcap;
	/* envelope bookkeeping (warnings only) */
	int in_ic, in_gs, in_st;
	unsigned long ic_gs, gs_st, st_segs, ic_line, gs_line, st_line;
	char ic_ctl[16], gs_ctl[16], st_ctl[16];
	unsigned long nwarnings;   /* warnings this tokenizer reported */
	unsigned long ninterchanges, ntransactions;
};

/* Starts reading |in| (borrowed, left open). |ds| may be NULL. */
void dc_x12_init(struct dc_x12 *x, struct dc_input *in, struct dc_diag_sink *ds);
void dc_x12_release(struct dc_x12 *x);

/*
 * Reads the next segment into |seg|. Returns 1, 0 at the end of the input
 * (after the missing-trailer warnings), or a negative status: DC_ERR_PARSE
 * (not X12), DC_ERR_LIMIT (segment too long), or the input's DC_ERR_IO /
 * DC_ERR_PARSE (corrupt gzip). Errors are reported to the sink; after one,
 * further calls return the same status.
 */
int dc_x12_next(struct dc_x12 *x, struct dc_x12_seg *seg);

/* Element |i| (1-based) of |seg|, or "" when absent. */
const char *dc_x12_el(const struct dc_x12_seg *seg, size_t i);
/* 1 when element |i| is present and not empty. */
int dc_x12_has(const struct dc_x12_seg *seg, size_t i);
/*
 * Copies component |j| (1-based) of element |i| into |buf| (size |n|, cut
 * when longer), "" when absent. Returns |buf|.
 */
char *dc_x12_comp(const struct dc_x12_seg *seg, size_t i, size_t j, char *buf, size_t n);
/* 1 when the segment id is |id|. */
int dc_x12_is(const struct dc_x12_seg *seg, const char *id);

/*
 * 1 when |p| (|n| bytes, the start of an input) looks like X12: an optional
 * BOM and white space, then "ISA" and a punctuation separator.
 */
int dc_x12_sniff(const void *p, size_t n);

/* Copies |s| without its leading and trailing blanks into |dst| (|n| bytes,
 * cut to fit, always terminated). */
void dc_x12_copy(char *dst, size_t n, const char *s);

#endif
