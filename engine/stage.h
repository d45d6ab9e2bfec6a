/*
 * Stage: an append-only temporary file of framed records, each tagged with
 * the encounter id it belongs to. Output of one input is staged, then moved on
 * once the whole input has been read, leaving out the encounters that must be
 * taken back (input_order).
 */
#ifndef DC_STAGE_H
#define DC_STAGE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* The stdio buffer of a stage's file. */
#define DC_STAGE_BUFFER (64 * 1024)

struct dc_stage {
	FILE *f;
	char *vbuf;                      /* f's buffer, freed after f is closed */
	uint64_t records;
	uint64_t bytes;                  /* framed length of the records */
};

/* A position in a stage: the records put before it stay as they are. */
struct dc_stage_mark {
	uint64_t records, bytes;
};

int dc_stage_open(struct dc_stage *s);           /* 0 or DC_ERR_IO */
void dc_stage_close(struct dc_stage *s);
int dc_stage_put(struct dc_stage *s, const char *id, const void *p, size_t n);
/* dc_stage_put with |stage| a struct dc_stage *, as a drain's |fn|. */
int dc_stage_append(void *stage, const char *id, const char *p, size_t n);
/*
 * Calls |fn| for each record in order whose id |keep| (given |kctx|) accepts
 * (NULL: all),
 * then empties the stage. Returns 0, DC_ERR_IO, or the first negative |fn|
 * returned.
 */
int dc_stage_drain(struct dc_stage *s, int (*keep)(void *kctx, const char *id), void *kctx,
		   int (*fn)(void *ctx, const char *id, const char *p, size_t n),
		   void *ctx);

/* Where the next record will go. */
static inline struct dc_stage_mark dc_stage_tell(const struct dc_stage *s)
{
	struct dc_stage_mark m = { s->records, s->bytes };
	return m;
}
/*
 * The records put since |m|: those |keep| (given |kctx|) rejects are taken
 * out (keep NULL: none), and |fn| (may be NULL) sees each record kept, in
 * order (with keep NULL, a record's bytes are not NUL-ended). The stage
 * stays open for more records after them. Returns 0, DC_ERR_IO, or the
 * first negative |fn| returned.
 */
int dc_stage_filter_since(struct dc_stage *s, struct dc_stage_mark m,
			  int (*keep)(void *kctx, const char *id), void *kctx,
			  int (*fn)(void *ctx, const char *id, const char *p, size_t n),
			  void *ctx);

/*
 * Pull reading: dc_stage_rewind() and then dc_stage_read() until it returns 0.
 * |id| and |p| stay valid until the next read; dc_stage_clear() empties the
 * stage afterwards.
 */
struct dc_stage_iter {
	uint64_t done;
	char *id, *buf;
	size_t idcap, cap;
};
int dc_stage_rewind(struct dc_stage *s, struct dc_stage_iter *it);
/* Returns 1 with a record, 0 at the end, DC_ERR_IO. */
int dc_stage_read(struct dc_stage *s, struct dc_stage_iter *it, const char **id,
		  const char **p, size_t *n);
void dc_stage_iter_release(struct dc_stage_iter *it);
int dc_stage_clear(struct dc_stage *s);

/*
 * A second reader of a stage whose records are all written and flushed
 * (dc_stage_rewind): it reads the file with pread, at offsets of its own,
 * so that another thread can read the same stage with dc_stage_read
 * meanwhile. dc_stage_reader_next gives each record's bytes (not NUL-ended,
 * writable, valid until the next call).
 */
struct dc_stage_reader {
	int fd;
	uint64_t records, done;
	uint64_t off;                    /* the file offset of buf[have] */
	char *buf;
	size_t cap, at, have;            /* unread: buf[at] .. buf[have] */
};
void dc_stage_reader_init(struct dc_stage_reader *rd, const struct dc_stage *s);
/* Returns 1 with a record, 0 at the end, DC_ERR_IO. */
int dc_stage_reader_next(struct dc_stage_reader *rd, char **p, size_t *n);
/* The same, with the record's id (NUL-ended, valid as long as |p|). */
int dc_stage_reader_next_id(struct dc_stage_reader *rd, char **id, char **p, size_t *n);
void dc_stage_reader_release(struct dc_stage_reader *rd);

#endif
