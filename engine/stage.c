#include "engine/stage.h"
#include "engine/arena.h"
#include "engine/dc_status.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int dc_stage_open(struct dc_stage *s)
{
	s->records = 0;
	s->bytes = 0;
	s->f = tmpfile();
	if (!s->f)
		return DC_ERR_IO;
	/* fewer, larger system calls; glibc takes a size only with a buffer */
	s->vbuf = dc_xmalloc(DC_STAGE_BUFFER);
	setvbuf(s->f, s->vbuf, _IOFBF, DC_STAGE_BUFFER);
	return DC_OK;
}

void dc_stage_close(struct dc_stage *s)
{
	if (s->f)
		fclose(s->f);
	s->f = NULL;
	free(s->vbuf);
	s->vbuf = NULL;
}

int dc_stage_put(struct dc_stage *s, const char *id, const void *p, size_t n)
{
	uint32_t idn = (uint32_t)strlen(id), len = (uint32_t)n;
	if (fwrite(&idn, sizeof idn, 1, s->f) != 1 || fwrite(id, 1, idn, s->f) != idn ||
	    fwrite(&len, sizeof len, 1, s->f) != 1 || fwrite(p, 1, n, s->f) != n)
		return DC_ERR_IO;
	s->records++;
	s->bytes += 2 * sizeof idn + idn + n;
	return DC_OK;
}

int dc_stage_append(void *stage, const char *id, const char *p, size_t n)
{
	return dc_stage_put(stage, id, p, n);
}

int dc_stage_drain(struct dc_stage *s, int (*keep)(void *kctx, const char *id), void *kctx,
		   int (*fn)(void *ctx, const char *id, const char *p, size_t n),
		   void *ctx)
{
	if (fflush(s->f) != 0)
		return DC_ERR_IO;
	rewind(s->f);
	char *id = NULL, *buf = NULL;
	size_t idcap = 0, cap = 0;
	int rc = DC_OK;
	for (uint64_t r = 0; r < s->records; r++) {
		uint32_t idn, len;
		if (fread(&idn, sizeof idn, 1, s->f) != 1) {
			rc = DC_ERR_IO;
			break;
		}
		if (idn + 1 > idcap) {
			idcap = idn + 1;
			id = dc_xrealloc(id, idcap);
		}
		if (fread(id, 1, idn, s->f) != idn || fread(&len, sizeof len, 1, s->f) != 1) {
			rc = DC_ERR_IO;
			break;
		}
		id[idn] = '\0';
		if ((size_t)len + 1 > cap) {
			cap = (size_t)len + 1;
			buf = dc_xrealloc(buf, cap);
		}
		if (fread(buf, 1, len, s->f) != len) {
			rc = DC_ERR_IO;
			break;
		}
		buf[len] = '\0';
		if (keep && !keep(kctx, id))
			continue;
		int r2 = fn(ctx, id, buf, len);
		if (r2 < 0) {
			rc = r2;
			break;
		}
	}
	free(id);
	free(buf);
	rewind(s->f);
	if (ftruncate(fileno(s->f), 0) != 0 && rc == DC_OK)
		rc = DC_ERR_IO;
	s->records = 0;
	s->bytes = 0;
	return rc;
}

int dc_stage_filter_since(struct dc_stage *s, struct dc_stage_mark m,
			  int (*keep)(void *kctx, const char *id), void *kctx,
			  int (*fn)(void *ctx, const char *id, const char *p, size_t n),
			  void *ctx)
{
	if (m.records == s->records)
		return DC_OK;
	if (!keep) {
		/* nothing taken out: read in place, with pread, past the mark */
		if (fflush(s->f) != 0)
			return DC_ERR_IO;
		struct dc_stage_reader rd;
		dc_stage_reader_init(&rd, s);
		rd.done = m.records;
		rd.off = m.bytes;
		int rc = DC_OK, got;
		char *id, *p;
		size_t n;
		while ((got = dc_stage_reader_next_id(&rd, &id, &p, &n)) == 1)
			if (fn && (rc = fn(ctx, id, p, n)) < 0)
				break;
		if (got < 0 && rc == DC_OK)
			rc = got;
		dc_stage_reader_release(&rd);
		return rc;
	}
	/* the kept records go to a second stage, then back after the mark */
	struct dc_stage kept;
	memset(&kept, 0, sizeof kept);
	if (keep && dc_stage_open(&kept) < 0)
		return DC_ERR_IO;
	struct dc_stage_iter it;
	memset(&it, 0, sizeof it);
	int rc = DC_OK;
	if (fflush(s->f) != 0 || fseeko(s->f, (off_t)m.bytes, SEEK_SET) != 0)
		rc = DC_ERR_IO;
	it.done = m.records;
	const char *id, *p;
	size_t n;
	int got = 0;
	while (rc == DC_OK && (got = dc_stage_read(s, &it, &id, &p, &n)) == 1) {
		if (keep && !keep(kctx, id))
			continue;
		if (fn && (rc = fn(ctx, id, p, n)) < 0)
			break;
		if (keep && dc_stage_put(&kept, id, p, n) < 0)
			rc = DC_ERR_IO;
	}
	if (got < 0 && rc == DC_OK)
		rc = got;
	if (keep && rc == DC_OK) {
		if (fflush(s->f) != 0 || ftruncate(fileno(s->f), (off_t)m.bytes) != 0 ||
		    fseeko(s->f, (off_t)m.bytes, SEEK_SET) != 0) {
			rc = DC_ERR_IO;
		} else {
			s->records = m.records;
			s->bytes = m.bytes;
			rc = dc_stage_drain(&kept, NULL, NULL, dc_stage_append, s);
		}
	}
	dc_stage_iter_release(&it);
	if (keep)
		dc_stage_close(&kept);
	if (rc == DC_OK && fseeko(s->f, 0, SEEK_END) != 0)
		rc = DC_ERR_IO;
	return rc;
}

int dc_stage_rewind(struct dc_stage *s, struct dc_stage_iter *it)
{
	memset(it, 0, sizeof *it);
	if (fflush(s->f) != 0)
		return DC_ERR_IO;
	rewind(s->f);
	return DC_OK;
}

int dc_stage_read(struct dc_stage *s, struct dc_stage_iter *it, const char **id,
		  const char **p, size_t *n)
{
	if (it->done == s->records)
		return 0;
	uint32_t idn, len;
	if (fread(&idn, sizeof idn, 1, s->f) != 1)
		return DC_ERR_IO;
	if (idn + 1 > it->idcap) {
		it->idcap = idn + 1;
		it->id = dc_xrealloc(it->id, it->idcap);
	}
	if (fread(it->id, 1, idn, s->f) != idn || fread(&len, sizeof len, 1, s->f) != 1)
		return DC_ERR_IO;
	it->id[idn] = '\0';
	if ((size_t)len + 1 > it->cap) {
		it->cap = (size_t)len + 1;
		it->buf = dc_xrealloc(it->buf, it->cap);
	}
	if (fread(it->buf, 1, len, s->f) != len)
		return DC_ERR_IO;
	it->buf[len] = '\0';
	it->done++;
	*id = it->id;
	*p = it->buf;
	*n = len;
	return 1;
}

void dc_stage_iter_release(struct dc_stage_iter *it)
{
	free(it->id);
	free(it->buf);
	memset(it, 0, sizeof *it);
}

int dc_stage_clear(struct dc_stage *s)
{
	rewind(s->f);
	s->records = 0;
	s->bytes = 0;
	return ftruncate(fileno(s->f), 0) == 0 ? DC_OK : DC_ERR_IO;
}

void dc_stage_reader_init(struct dc_stage_reader *rd, const struct dc_stage *s)
{
	memset(rd, 0, sizeof *rd);
	rd->fd = fileno(s->f);
	rd->records = s->records;
}

/* Makes |n| unread bytes available at buf[at]. */
static int reader_need(struct dc_stage_reader *rd, size_t n)
{
	while (rd->have - rd->at < n) {
		if (rd->at) {
			memmove(rd->buf, rd->buf + rd->at, rd->have - rd->at);
			rd->have -= rd->at;
			rd->at = 0;
		}
		if (rd->cap - rd->have < DC_STAGE_BUFFER / 2 || rd->cap < n) {
			size_t cap = rd->cap ? rd->cap : DC_STAGE_BUFFER;
			while (cap < n || cap - rd->have < DC_STAGE_BUFFER / 2)
				cap *= 2;
			rd->buf = dc_xrealloc(rd->buf, cap);
			rd->cap = cap;
		}
		ssize_t got = pread(rd->fd, rd->buf + rd->have, rd->cap - rd->have, (off_t)rd->off);
		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0)
			return DC_ERR_IO;   /* an error, or the file shorter than its records */
		rd->have += (size_t)got;
		rd->off += (uint64_t)got;
	}
	return DC_OK;
}

int dc_stage_reader_next_id(struct dc_stage_reader *rd, char **id, char **p, size_t *n)
{
	if (rd->done == rd->records)
		return 0;
	uint32_t idn, len;
	if (reader_need(rd, sizeof idn) < 0)
		return DC_ERR_IO;
	memcpy(&idn, rd->buf + rd->at, sizeof idn);
	size_t head = sizeof idn + idn + sizeof len;
	if (reader_need(rd, head) < 0)
		return DC_ERR_IO;
	memcpy(&len, rd->buf + rd->at + sizeof idn + idn, sizeof len);
	if (reader_need(rd, head + len) < 0)
		return DC_ERR_IO;
	*id = rd->buf + rd->at + sizeof idn;
	(*id)[idn] = '\0';   /* over the length, read already */
	*p = rd->buf + rd->at + head;
	*n = len;
	rd->at += head + len;
	rd->done++;
	return 1;
}

int dc_stage_reader_next(struct dc_stage_reader *rd, char **p, size_t *n)
{
	char *id;
	return dc_stage_reader_next_id(rd, &id, p, n);
}

void dc_stage_reader_release(struct dc_stage_reader *rd)
{
	free(rd->buf);
	memset(rd, 0, sizeof *rd);
}
