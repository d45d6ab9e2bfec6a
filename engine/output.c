#include "engine/output.h"
#include "engine/arena.h"
#include "engine/dc_status.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int (*dc_out_fail_hook)(const char *op, const char *path);

static int injected(const char *op, const char *path)
{
	return dc_out_fail_hook ? dc_out_fail_hook(op, path) : 0;
}

int dc_out_is_temp_name(const char *name)
{
	return name[0] == '.' && strstr(name, ".tmp-") != NULL;
}

int dc_out_open(struct dc_out *o, const char *dir, const char *name, mode_t mode,
		struct dc_diag_sink *ds)
{
	memset(o, 0, sizeof *o);
	o->ds = ds;
	o->cap = 256 * 1024;
	o->buf = dc_xmalloc(o->cap);
	o->name = dc_xstrdup(name);
	if (!dir && strcmp(name, "-") == 0) {
		o->fd = 1;
		o->to_stdout = 1;
		return DC_OK;
	}
	o->dir = dc_xstrdup(dir);
	size_t n = strlen(dir) + strlen(name) + 64;
	o->tmp = dc_xmalloc(n);
	snprintf(o->tmp, n, "%s/.%s.tmp-%ld", dir, name, (long)getpid());
	o->fd = open(o->tmp, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, mode);   /* read back by filter_tail */
	if (o->fd < 0) {
		o->err = errno;
		return dc_diag_syserr(ds, DC_ERR_IO, o->tmp, o->err, "cannot create output");
	}
	/* the umask must not narrow or widen what --mode asked for */
	if (fchmod(o->fd, mode) != 0) {
		o->err = errno;
		return dc_diag_syserr(ds, DC_ERR_IO, o->tmp, o->err, "cannot set output mode");
	}
	return DC_OK;
}

static int fail(struct dc_out *o, const char *what, int e)
{
	if (!o->err) {
		o->err = e;
		char path[4096];
		snprintf(path, sizeof path, "%s/%s", o->dir ? o->dir : ".", o->name);
		dc_diag_syserr(o->ds, DC_ERR_IO, path, e, "%s", what);
	}
	return DC_ERR_IO;
}

int dc_out_flush(struct dc_out *o)
{
	if (o->err)
		return DC_ERR_IO;
	size_t off = 0;
	while (off < o->len) {
		int e = injected("write", o->tmp ? o->tmp : "-");
		if (e)
			return fail(o, "cannot write output", e);
		ssize_t w = write(o->fd, o->buf + off, o->len - off);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return fail(o, "cannot write output", errno);
		}
		off += (size_t)w;
	}
	o->len = 0;
	return DC_OK;
}

int dc_out_write(struct dc_out *o, const void *p, size_t n)
{
	if (o->err)
		return DC_ERR_IO;
	o->bytes += n;
	if (o->len + n > o->cap) {
		if (dc_out_flush(o) < 0)
			return DC_ERR_IO;
		if (n > o->cap) {
			/* large block: write through */
			const unsigned char *q = p;
			while (n) {
				size_t k = n < o->cap ? n : o->cap;
				memcpy(o->buf, q, k);
				o->len = k;
				if (dc_out_flush(o) < 0)
					return DC_ERR_IO;
				q += k;
				n -= k;
			}
			return DC_OK;
		}
	}
	memcpy(o->buf + o->len, p, n);
	o->len += n;
	return DC_OK;
}

int dc_out_puts(struct dc_out *o, const char *s)
{
	return dc_out_write(o, s, strlen(s));
}

int dc_out_putc(struct dc_out *o, int c)
{
	unsigned char ch = (unsigned char)c;
	if (o->len < o->cap && !o->err) {
		o->buf[o->len++] = ch;
		o->bytes++;
		return DC_OK;
	}
	return dc_out_write(o, &ch, 1);
}

int dc_out_printf(struct dc_out *o, const char *fmt, ...)
{
	char small[512];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(small, sizeof small, fmt, ap);
	va_end(ap);
	if (n < 0)
		return DC_OK;
	if ((size_t)n < sizeof small)
		return dc_out_write(o, small, (size_t)n);
	char *big = dc_xmalloc((size_t)n + 1);
	va_start(ap, fmt);
	vsnprintf(big, (size_t)n + 1, fmt, ap);
	va_end(ap);
	int r = dc_out_write(o, big, (size_t)n);
	free(big);
	return r;
}

int dc_out_truncate(struct dc_out *o, uint64_t off)
{
	if (dc_out_flush(o) < 0)
		return DC_ERR_IO;
	if (ftruncate(o->fd, (off_t)off) != 0 || lseek(o->fd, (off_t)off, SEEK_SET) < 0)
		return fail(o, "cannot truncate output", errno);
	o->bytes = off;
	return DC_OK;
}

int dc_out_sync(struct dc_out *o)
{
	if (dc_out_flush(o) < 0)
		return DC_ERR_IO;
	if (o->to_stdout)
		return DC_OK;
	int e = injected("fsync", o->tmp);
	if (e || fsync(o->fd) != 0)
		return fail(o, "cannot sync output", e ? e : errno);
	return DC_OK;
}

static void release(struct dc_out *o)
{
	free(o->buf);
	free(o->dir);
	free(o->name);
	free(o->tmp);
	o->buf = NULL;
	o->dir = o->name = o->tmp = NULL;
}

int dc_out_commit(struct dc_out *o)
{
	int rc = dc_out_flush(o);
	if (o->to_stdout) {
		release(o);
		return rc;
	}
	if (rc == DC_OK) {
		int e = injected("fsync", o->tmp);
		if (e || fsync(o->fd) != 0)
			rc = fail(o, "cannot sync output", e ? e : errno);
	}
	if (o->fd >= 0 && close(o->fd) != 0 && rc == DC_OK)
		rc = fail(o, "cannot close output", errno);
	o->fd = -1;
	if (rc == DC_OK) {
		size_t n = strlen(o->dir) + strlen(o->name) + 2;
		char *final = dc_xmalloc(n);
		snprintf(final, n, "%s/%s", o->dir, o->name);
		int e = injected("rename", final);
		if (e || rename(o->tmp, final) != 0)
			rc = fail(o, "cannot rename output into place", e ? e : errno);
		free(final);
		if (rc == DC_OK) {
			int dfd = open(o->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
			if (dfd >= 0) {
				fsync(dfd);
				close(dfd);
			}
		}
	}
	if (rc != DC_OK)
		unlink(o->tmp);
	release(o);
	return rc;
}

void dc_out_abort(struct dc_out *o)
{
	if (!o->buf)
		return;
	if (!o->to_stdout) {
		if (o->fd >= 0)
			close(o->fd);
		if (o->tmp)
			unlink(o->tmp);
	}
	o->fd = -1;
	release(o);
}
