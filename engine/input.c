#include "engine/input.h"
#include "engine/arena.h"
#include "engine/dc_status.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define RAW_SIZE (128 * 1024)

static void common_init(struct dc_input *in, const char *name, struct dc_diag_sink *ds)
{
	memset(in, 0, sizeof *in);
	in->name = dc_xstrdup(name);
	in->fd = -1;
	in->size = -1;
	in->ds = ds;
	in->raw = dc_xmalloc(RAW_SIZE);
	in->cap = DC_INPUT_WINDOW;
	in->buf = dc_xmalloc(in->cap);
	in->gz = -1;  /* undecided until the first bytes are seen */
	dc_sha256_init(&in->sha);
}

int dc_input_open_file(struct dc_input *in, const char *path, struct dc_diag_sink *ds)
{
	int is_stdin = strcmp(path, "-") == 0;
	common_init(in, is_stdin ? "<stdin>" : path, ds);
	if (is_stdin) {
		in->fd = 0;
	} else {
		in->fd = open(path, O_RDONLY | O_CLOEXEC);
		in->own_fd = in->fd >= 0;
		if (in->fd < 0) {
			int e = errno;
			return dc_diag_syserr(ds, DC_ERR_IO, path, e, "cannot open input");
		}
		struct stat st;
		if (fstat(in->fd, &st) == 0 && S_ISREG(st.st_mode))
			in->size = (int64_t)st.st_size;
		if (fstat(in->fd, &st) == 0 && S_ISDIR(st.st_mode)) {
			close(in->fd);
			in->fd = -1;
			in->own_fd = 0;
			return dc_diag_report(ds, DC_SEV_ERROR, DC_ERR_IO, path, 0,
					      "input is a directory");
		}
	}
	return DC_OK;
}

void dc_input_open_fd(struct dc_input *in, const char *name, int fd,
		      struct dc_diag_sink *ds)
{
	common_init(in, name, ds);
	in->fd = fd;
}

void dc_input_open_mem(struct dc_input *in, const char *name, const void *buf,
		       size_t len, size_t chunk, struct dc_diag_sink *ds)
{
	common_init(in, name, ds);
	in->mem = buf;
	in->memlen = len;
	in->chunk = chunk;
	in->size = (int64_t)len;
}

static void stop_thread(struct dc_input *in, int drain);

void dc_input_close(struct dc_input *in)
{
	stop_thread(in, 0);
	if (in->zinit)
		inflateEnd(&in->zs);
	if (in->own_fd)
		close(in->fd);
	free(in->raw);
	free(in->buf);
	free(in->name);
	memset(in, 0, sizeof *in);
	in->fd = -1;
}

/* Reads raw bytes into in->raw; returns count, 0 at EOF, DC_ERR_IO. */
static long raw_fill(struct dc_input *in)
{
	if (in->rawpos < in->rawlen)
		return (long)(in->rawlen - in->rawpos);
	in->rawpos = in->rawlen = 0;
	if (in->raw_eof)
		return 0;
	size_t n;
	if (in->mem) {
		size_t left = in->memlen - in->mempos;
		n = in->chunk && in->chunk < left ? in->chunk : left;
		if (n > RAW_SIZE)
			n = RAW_SIZE;
		memcpy(in->raw, in->mem + in->mempos, n);
		in->mempos += n;
	} else if (in->fd >= 0) {
		ssize_t r;
		do
			r = read(in->fd, in->raw, RAW_SIZE);
		while (r < 0 && errno == EINTR);
		if (r < 0) {
			int e = errno;
			return dc_diag_syserr(in->ds, DC_ERR_IO, in->name, e, "cannot read input");
		}
		n = (size_t)r;
	} else {
		n = 0;
	}
	if (n == 0) {
		in->raw_eof = 1;
		return 0;
	}
	dc_sha256_update(&in->sha, in->raw, n);
	if (in->tee)
		fwrite(in->raw, 1, n, in->tee);
	in->raw_bytes += n;
	in->rawlen = n;
	return (long)n;
}

static int make_room(struct dc_input *in)
{
	if (in->start > 0) {
		memmove(in->buf, in->buf + in->start, in->end - in->start);
		in->end -= in->start;
		in->start = 0;
	}
	if (in->end == in->cap) {
		/* a consumer wants more than a window: grow (it enforces its own limits) */
		in->cap *= 2;
		in->buf = dc_xrealloc(in->buf, in->cap);
	}
	return 0;
}

/* ---- reading ahead in a thread ------------------------------------------ */

#define TBLOCKS 4
#define TBLOCK (256 * 1024)

struct tblock {
	unsigned char *p;
	size_t len, off;
	uint64_t raw_bytes;             /* the inner input's count after this block */
	long status;                    /* 1 data, 0 end, < 0 the inner's error */
	int have_diag;
	struct dc_diag diag;            /* the error's diagnostic, reported in turn */
};

struct dc_input_thread {
	struct dc_input inner;          /* the real input, used by the thread alone */
	pthread_t th;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct tblock b[TBLOCKS];
	unsigned long made, taken;      /* blocks filled / emptied */
	int quit, drain, done;
	struct dc_diag_sink sink;       /* the inner's diagnostics, kept for the block */
	struct dc_diag last;
	int have_last;
};

static void keep_diag(void *ctx, const struct dc_diag *d)
{
	struct dc_input_thread *t = ctx;
	t->last = *d;
	t->have_last = 1;
}

static void *reader_main(void *arg)
{
	struct dc_input_thread *t = arg;
	struct dc_input *in = &t->inner;
	for (;;) {
		pthread_mutex_lock(&t->mu);
		while (t->made - t->taken == TBLOCKS && !t->quit && !t->drain)
			pthread_cond_wait(&t->cv, &t->mu);
		int stop = t->quit || t->drain;
		pthread_mutex_unlock(&t->mu);
		if (stop)
			break;
		struct tblock *b = &t->b[t->made % TBLOCKS];
		b->len = b->off = 0;
		b->have_diag = 0;
		long r = 1;
		/* fill the block: one or more windows of decoded bytes */
		while (b->len < TBLOCK / 2) {
			if (!dc_input_avail(in)) {
				r = dc_input_more(in);
				if (r <= 0)
					break;
			}
			size_t n;
			const unsigned char *p = dc_input_data(in, &n);
			if (n > TBLOCK - b->len)
				n = TBLOCK - b->len;
			memcpy(b->p + b->len, p, n);
			b->len += n;
			dc_input_consume(in, n);
		}
		b->status = r > 0 ? 1 : r;
		b->raw_bytes = in->raw_bytes;
		if (r < 0 && t->have_last) {
			b->diag = t->last;
			b->have_diag = 1;
		}
		pthread_mutex_lock(&t->mu);
		t->made++;
		pthread_cond_broadcast(&t->cv);
		pthread_mutex_unlock(&t->mu);
		if (r <= 0)
			break;
	}
	pthread_mutex_lock(&t->mu);
	int drain = t->drain;
	pthread_mutex_unlock(&t->mu);
	if (drain)
		dc_input_drain(in);
	pthread_mutex_lock(&t->mu);
	t->done = 1;
	pthread_cond_broadcast(&t->cv);
	pthread_mutex_unlock(&t->mu);
	return NULL;
}

int dc_input_start_thread(struct dc_input *in)
{
	struct dc_input_thread *t = dc_xcalloc(1, sizeof *t);
	t->inner = *in;   /* the descriptor, buffers and hash move to the thread */
	if (in->zinit && inflateCopy(&t->inner.zs, &in->zs) != Z_OK) {
		free(t);
		return -1;
	}
	t->inner.name = dc_xstrdup(in->name);
	t->sink.emit = keep_diag;
	t->sink.ctx = t;
	t->inner.ds = &t->sink;
	for (int i = 0; i < TBLOCKS; i++)
		t->b[i].p = dc_xmalloc(TBLOCK);
	pthread_mutex_init(&t->mu, NULL);
	pthread_cond_init(&t->cv, NULL);
	if (pthread_create(&t->th, NULL, reader_main, t) != 0) {
		if (in->zinit)
			inflateEnd(&t->inner.zs);
		free(t->inner.name);
		for (int i = 0; i < TBLOCKS; i++)
			free(t->b[i].p);
		pthread_mutex_destroy(&t->mu);
		pthread_cond_destroy(&t->cv);
		free(t);
		return -1;
	}
	/* the outer input keeps its name and gets a new, empty window */
	if (in->zinit)
		inflateEnd(&in->zs);
	in->raw = dc_xmalloc(RAW_SIZE);
	in->rawpos = in->rawlen = 0;
	in->buf = dc_xmalloc(in->cap);
	in->start = in->end = 0;
	in->own_fd = 0;
	in->zinit = 0;
	in->thr = t;
	return 0;
}

/* Stops the thread (|drain|: after reading the rest of the raw input) and
 * takes back the raw byte count and hash. */
static void stop_thread(struct dc_input *in, int drain)
{
	struct dc_input_thread *t = in->thr;
	if (!t)
		return;
	pthread_mutex_lock(&t->mu);
	if (drain)
		t->drain = 1;
	else
		t->quit = 1;
	pthread_cond_broadcast(&t->cv);
	pthread_mutex_unlock(&t->mu);
	pthread_join(t->th, NULL);
	in->raw_bytes = t->inner.raw_bytes;
	in->sha = t->inner.sha;
	dc_input_close(&t->inner);
	for (int i = 0; i < TBLOCKS; i++)
		free(t->b[i].p);
	pthread_mutex_destroy(&t->mu);
	pthread_cond_destroy(&t->cv);
	free(t);
	in->thr = NULL;
	in->raw_eof = 1;
}

/* dc_input_more for a threaded input: the next decoded bytes, in order */
static long thread_more(struct dc_input *in)
{
	struct dc_input_thread *t = in->thr;
	make_room(in);
	pthread_mutex_lock(&t->mu);
	while (t->made == t->taken && !t->done)
		pthread_cond_wait(&t->cv, &t->mu);
	int none = t->made == t->taken;
	pthread_mutex_unlock(&t->mu);
	if (none) {
		in->eof = 1;
		return 0;
	}
	struct tblock *b = &t->b[t->taken % TBLOCKS];
	size_t n = b->len - b->off;
	if (n > in->cap - in->end)
		n = in->cap - in->end;
	memcpy(in->buf + in->end, b->p + b->off, n);
	in->end += n;
	b->off += n;
	in->raw_bytes = b->raw_bytes;
	long status = b->status;
	if (b->off < b->len || (n && status < 0))
		return (long)n;   /* the rest of the block, or its error, next time */
	if (status <= 0) {
		in->eof = 1;
		if (status < 0 && b->have_diag && in->ds)
			dc_diag_forward(in->ds, &b->diag);
	}
	pthread_mutex_lock(&t->mu);
	t->taken++;
	pthread_cond_broadcast(&t->cv);
	pthread_mutex_unlock(&t->mu);
	if (n)
		return (long)n;
	return status < 0 ? status : 0;
}

long dc_input_more(struct dc_input *in)
{
	if (in->eof)
		return 0;
	if (in->thr)
		return thread_more(in);
	make_room(in);
	long r = raw_fill(in);
	if (r < 0)
		return r;
	if (in->gz < 0) {
		/* decide on the first two bytes (they may arrive one at a time) */
		if (r == 0) {
			in->eof = 1;
			return 0;
		}
		if (in->raw[in->rawpos] == 0x1f) {
			if (in->rawlen - in->rawpos < 2) {
				/* copy the lone byte aside and look at the next chunk */
				unsigned char first = in->raw[in->rawpos];
				in->rawpos = in->rawlen;
				long r2 = raw_fill(in);
				if (r2 < 0)
					return r2;
				if (r2 > 0 && in->raw[in->rawpos] == 0x8b) {
					in->gz = 1;
					/* re-prime inflate with the two magic bytes */
					if (inflateInit2(&in->zs, 16 + MAX_WBITS) != Z_OK)
						DC_BUG("inflateInit2 failed");
					in->zinit = 1;
					unsigned char magic = first;
					in->zs.next_in = &magic;
					in->zs.avail_in = 1;
					in->zs.next_out = in->buf + in->end;
					in->zs.avail_out = (uInt)(in->cap - in->end);
					int zr = inflate(&in->zs, Z_NO_FLUSH);
					if (zr != Z_OK)
						return dc_diag_report(in->ds, DC_SEV_ERROR, DC_ERR_PARSE,
							in->name, 0, "corrupt gzip data");
				} else {
					in->gz = 0;
					in->buf[in->end++] = first;
					return 1;
				}
			} else {
				in->gz = in->raw[in->rawpos + 1] == 0x8b;
			}
		} else {
			in->gz = 0;
		}
		if (in->gz && !in->zinit) {
			if (inflateInit2(&in->zs, 16 + MAX_WBITS) != Z_OK)
				DC_BUG("inflateInit2 failed");
			in->zinit = 1;
		}
	}
	if (!in->gz) {
		if (r == 0) {
			in->eof = 1;
			return 0;
		}
		size_t n = in->rawlen - in->rawpos;
		if (n > in->cap - in->end)
			n = in->cap - in->end;
		memcpy(in->buf + in->end, in->raw + in->rawpos, n);
		in->rawpos += n;
		in->end += n;
		return (long)n;
	}
	/* gzip: inflate until some output appears or the input ends */
	size_t before = in->end;
	for (;;) {
		if (in->rawpos == in->rawlen) {
			long rr = raw_fill(in);
			if (rr < 0)
				return rr;
			if (rr == 0) {
				if (in->zs.total_in == 0 && in->end == before) {
					/* a stream that ended right after a complete member */
					in->eof = 1;
					return 0;
				}
				in->eof = 1;
				return dc_diag_report(in->ds, DC_SEV_ERROR, DC_ERR_PARSE, in->name, 0,
					"truncated gzip data after %llu bytes",
					(unsigned long long)in->raw_bytes);
			}
		}
		in->zs.next_in = in->raw + in->rawpos;
		in->zs.avail_in = (uInt)(in->rawlen - in->rawpos);
		in->zs.next_out = in->buf + in->end;
		in->zs.avail_out = (uInt)(in->cap - in->end);
		int zr = inflate(&in->zs, Z_NO_FLUSH);
		in->rawpos = in->rawlen - in->zs.avail_in;
		in->end = in->cap - in->zs.avail_out;
		if (zr == Z_STREAM_END) {
			/* another member may follow (concatenated gzip files) */
			if (in->rawpos == in->rawlen && raw_fill(in) == 0) {
				in->eof = 1;   /* the window keeps what was decoded */
				if (in->end > before)
					return (long)(in->end - before);
				return 0;
			}
			if (in->rawpos < in->rawlen && in->raw[in->rawpos] != 0x1f) {
				in->eof = 1;
				return dc_diag_report(in->ds, DC_SEV_ERROR, DC_ERR_PARSE, in->name, 0,
					"trailing data after gzip stream");
			}
			inflateReset(&in->zs);
			if (in->end > before)
				return (long)(in->end - before);
			continue;
		}
		if (zr != Z_OK && zr != Z_BUF_ERROR) {
			in->eof = 1;
			return dc_diag_report(in->ds, DC_SEV_ERROR, DC_ERR_PARSE, in->name, 0,
				"corrupt gzip data near byte %llu",
				(unsigned long long)in->raw_bytes);
		}
		if (in->end > before)
			return (long)(in->end - before);
		if (in->end == in->cap)
			make_room(in);
	}
}

void dc_input_drain(struct dc_input *in)
{
	if (in->thr) {
		stop_thread(in, 1);
		return;
	}
	in->rawpos = in->rawlen;
	while (raw_fill(in) > 0)
		in->rawpos = in->rawlen;
}

void dc_input_sha256(struct dc_input *in, char hex[65])
{
	/* the hash of what was read: the thread may have read ahead of the consumer */
	stop_thread(in, 0);
	struct dc_sha256 copy = in->sha;
	dc_sha256_final_hex(&copy, hex);
}
