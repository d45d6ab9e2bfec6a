/*
 * Input: a byte stream from a file, standard input ("-") or memory, gunzipped
 * transparently when it starts with the gzip magic bytes (1f 8b), whatever its
 * name. Consumers read a window of decoded bytes in place:
 *
 *     while ((n = dc_input_more(in)) > 0 || dc_input_avail(in)) {
 *             p = dc_input_data(in, &len); ... dc_input_consume(in, k);
 *     }
 *
 * The input owns its buffers; pointers from dc_input_data() are valid until
 * the next dc_input_more() or dc_input_close(). The SHA-256 and byte count are
 * of the raw (possibly compressed) bytes, as the ledger records them.
 */
#ifndef DC_INPUT_H
#define DC_INPUT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <zlib.h>

#include "engine/diag.h"
#include "engine/sha256.h"

#define DC_INPUT_WINDOW (256 * 1024)

struct dc_input {
	char *name;                 /* display name: the path, or "<stdin>" */
	int fd;                     /* -1 when reading memory */
	int own_fd;                 /* close fd at dc_input_close */
	const unsigned char *mem;   /* memory source (borrowed) */
	size_t memlen, mempos, chunk;
	int gz;                     /* 1 when gunzipping */
	int zinit;
	z_stream zs;
	unsigned char *raw;         /* raw read buffer */
	size_t rawlen, rawpos;
	int raw_eof;
	unsigned char *buf;         /* decoded window */
	size_t cap, start, end;
	int eof;                    /* decoded stream ended */
	int64_t size;               /* raw size when known (regular file), else -1 */
	uint64_t raw_bytes;         /* raw bytes read so far */
	uint64_t bytes;             /* decoded bytes handed out so far */
	struct dc_sha256 sha;
	FILE *tee;                  /* when set, raw bytes are copied here */
	struct dc_diag_sink *ds;
	struct dc_input_thread *thr;   /* dc_input_start_thread: reads and decodes ahead */
};

/*
 * Opens |path| ("-" for standard input). Returns 0, or DC_ERR_IO (reported
 * to |ds|).
 */
int dc_input_open_file(struct dc_input *in, const char *path, struct dc_diag_sink *ds);
/*
 * Reads |len| bytes of |buf| (borrowed), delivering at most |chunk| raw bytes
 * per refill (0 = all at once): tests and fuzzers cut records at every point.
 */
/* Reads an already open descriptor (not closed by dc_input_close). */
void dc_input_open_fd(struct dc_input *in, const char *name, int fd,
		      struct dc_diag_sink *ds);
void dc_input_open_mem(struct dc_input *in, const char *name, const void *buf,
		       size_t len, size_t chunk, struct dc_diag_sink *ds);
void dc_input_close(struct dc_input *in);

/*
 * Decodes more bytes into the window, keeping the unconsumed ones. Returns
 * the number of bytes added, 0 at the end of the stream, or DC_ERR_IO /
 * DC_ERR_PARSE (corrupt or truncated gzip), reported to the sink.
 */
long dc_input_more(struct dc_input *in);
/*
 * Reads and decodes ahead in a thread of its own (--jobs): dc_input_more then
 * takes decoded blocks from it. Call after opening (and setting |tee|),
 * before the first dc_input_more. Diagnostics keep their order: the thread's
 * are reported when the consumer reaches them. Returns 0, or -1 when no
 * thread could be started (the input then works as before).
 */
int dc_input_start_thread(struct dc_input *in);
static inline const unsigned char *dc_input_data(const struct dc_input *in, size_t *len)
{
	*len = in->end - in->start;
	return in->buf + in->start;
}
static inline size_t dc_input_avail(const struct dc_input *in)
{
	return in->end - in->start;
}
static inline void dc_input_consume(struct dc_input *in, size_t n)
{
	in->start += n;
	in->bytes += n;
}
/* The UTF-16 byte order mark |p| (|len| bytes) starts with: 'L' (FF FE), 'B' (FE FF) or 0. */
static inline int dc_utf16_bom(const unsigned char *p, size_t len)
{
	if (len >= 2 && p[0] == 0xFF && p[1] == 0xFE)
		return 'L';
	if (len >= 2 && p[0] == 0xFE && p[1] == 0xFF)
		return 'B';
	return 0;
}
/*
 * Reads until the rest of the input has been seen (for the SHA-256 of a file
 * whose reading stopped early). Errors are ignored.
 */
void dc_input_drain(struct dc_input *in);
void dc_input_sha256(struct dc_input *in, char hex[65]);

#endif
