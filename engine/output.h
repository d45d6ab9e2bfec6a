/*
 * Atomic output files: written under a temporary name in the destination
 * directory (".NAME.tmp-PID"), then flushed, fsynced and renamed into place by
 * dc_out_commit(). A reader never sees half a file; a run that dies leaves
 * only temporary names, which the next run reports and removes.
 *
 * Writes are buffered by the dc_out; a write error is remembered and returned
 * by every later call, so callers may check only at commit.
 */
#ifndef DC_OUTPUT_H
#define DC_OUTPUT_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "engine/diag.h"

struct dc_out {
	char *dir, *name;        /* final path is dir/name */
	char *tmp;               /* temporary path */
	int fd;
	int err;                 /* first errno seen, 0 when none */
	unsigned char *buf;
	size_t len, cap;
	uint64_t bytes;          /* bytes written so far */
	int to_stdout;
	struct dc_diag_sink *ds;
};

/*
 * Creates the temporary file for dir/name with |mode|. Returns 0 or DC_ERR_IO.
 * |dir| NULL with name "-" writes to standard output (no atomicity).
 */
int dc_out_open(struct dc_out *o, const char *dir, const char *name, mode_t mode,
		struct dc_diag_sink *ds);
int dc_out_write(struct dc_out *o, const void *p, size_t n);
int dc_out_puts(struct dc_out *o, const char *s);
int dc_out_putc(struct dc_out *o, int c);
int dc_out_printf(struct dc_out *o, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
int dc_out_flush(struct dc_out *o);
/* Flushes and fsyncs (the content is on disk under the temporary name). */
int dc_out_sync(struct dc_out *o);
/* Flushes, fsyncs, renames into place and fsyncs the directory. */
int dc_out_commit(struct dc_out *o);
/* Removes the temporary file (nothing reaches the final name). */
void dc_out_abort(struct dc_out *o);
/* Truncates the file to |off| bytes (used to take back staged records). */
int dc_out_truncate(struct dc_out *o, uint64_t off);

/* Test hook: when set, called before each write/fsync/rename; a nonzero return
 * is taken as the errno of a failure at that point. */
extern int (*dc_out_fail_hook)(const char *op, const char *path);

/* Temporary-name test used to find a dead run's leftovers. */
int dc_out_is_temp_name(const char *name);

#endif
