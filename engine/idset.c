#include "engine/idset.h"
#include "engine/arena.h"
#include "engine/dc_status.h"
#include "engine/value.h"

#include <stdlib.h>
#include <string.h>

#define NBITS (1ULL << 27)   /* 16 MiB: with 3 million ids, about 1 false positive in a few million */
#define SPOOL_BUFFER (64 * 1024)

/* A new, empty spool (the last one closed), with the set's buffer. */
static int open_spool(struct dc_idset *s)
{
	if (s->spool)
		fclose(s->spool);
	s->spool = tmpfile();
	if (!s->spool)
		return DC_ERR_IO;
	/* glibc takes a buffer size only with the buffer */
	setvbuf(s->spool, s->vbuf, _IOFBF, SPOOL_BUFFER);
	return DC_OK;
}

int dc_idset_init(struct dc_idset *s)
{
	memset(s, 0, sizeof *s);
	s->vbuf = dc_xmalloc(SPOOL_BUFFER);
	if (open_spool(s) < 0) {
		dc_idset_release(s);
		return DC_ERR_IO;
	}
	dc_bloom_init(&s->bloom, NBITS);
	return DC_OK;
}

int dc_idset_clear(struct dc_idset *s)
{
	/* the filter's memory is kept: made again, it would be zeroed page by page */
	dc_bloom_clear(&s->bloom);
	s->count = 0;
	return open_spool(s);
}

void dc_idset_release(struct dc_idset *s)
{
	dc_bloom_release(&s->bloom);
	if (s->spool)
		fclose(s->spool);
	free(s->vbuf);
	memset(s, 0, sizeof *s);
}

static uint64_t hash_id(const char *id)
{
	return dc_fnv1a64(id, strlen(id));
}

/* Spool line: id TAB first TAB last TAB rows TAB outcome TAB na TAB lines TAB claims TAB noclaim TAB charge */
static int parse_line(char *line, char **id, struct dc_fragment *f)
{
	char *tab = strchr(line, '\t');
	if (!tab)
		return -1;
	*tab = '\0';
	*id = line;
	char outcome;
	long long charge;
	if (sscanf(tab + 1, "%lu\t%lu\t%lu\t%c\t%d\t%lu\t%lu\t%lu\t%d\t%lld",
		   &f->first_line, &f->last_line, &f->rows, &outcome, &f->hold,
		   &f->not_administered, &f->lines, &f->claims, &f->no_claim, &charge) != 10)
		return -1;
	f->outcome = outcome;
	f->charge = charge;
	return 0;
}

struct find_ctx { const char *id; int found; };
static int want_id(void *ctx, const char *id)
{
	struct find_ctx *fc = ctx;
	return strcmp(fc->id, id) == 0;
}
static void found_id(void *ctx, const char *id, const struct dc_fragment *f)
{
	(void)id;
	(void)f;
	((struct find_ctx *)ctx)->found = 1;
}

int dc_idset_contains(struct dc_idset *s, const char *id)
{
	if (!dc_bloom_maybe(&s->bloom, hash_id(id)))
		return 0;
	struct find_ctx fc = { id, 0 };
	dc_idset_scan(s, want_id, found_id, &fc);
	return fc.found;
}

/* Appends TAB and the decimal digits of |v| at |p|. */
static char *put_num(char *p, char *end, unsigned long v)
{
	char tmp[24], *q = tmp + sizeof tmp;
	do {
		*--q = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	size_t n = (size_t)(tmp + sizeof tmp - q);
	if (p + n + 1 < end) {
		*p++ = '\t';
		memcpy(p, q, n);
		p += n;
	}
	return p;
}

int dc_idset_add(struct dc_idset *s, const char *id, const struct dc_fragment *f)
{
	dc_bloom_add(&s->bloom, hash_id(id));
	/* ids never hold tabs or newlines: the reader rejects such ids */
	char line[512], *p = line, *end = line + sizeof line;
	size_t idn = strlen(id);
	if (idn > 256)
		idn = 256;
	memcpy(p, id, idn);
	p += idn;
	/* by hand, not fprintf: this runs once per encounter */
	const unsigned long nums[] = { f->first_line, f->last_line, f->rows };
	for (int i = 0; i < 3; i++)
		p = put_num(p, end, nums[i]);
	*p++ = '\t';
	*p++ = f->outcome;
	p = put_num(p, end, (unsigned long)f->hold);
	const unsigned long more[] = { f->not_administered, f->lines, f->claims,
				       (unsigned long)f->no_claim };
	for (int i = 0; i < 4; i++)
		p = put_num(p, end, more[i]);
	p = put_num(p, end, (unsigned long)(f->charge < 0 ? -f->charge : f->charge));
	if (f->charge < 0) {
		/* "TAB-digits": move the digits one place right for the sign */
		char *tab = p;
		while (tab[-1] != '\t')
			tab--;
		memmove(tab + 1, tab, (size_t)(p - tab));
		*tab = '-';
		p++;
	}
	*p++ = '\n';
	if (fwrite(line, 1, (size_t)(p - line), s->spool) != (size_t)(p - line))
		return DC_ERR_IO;
	s->count++;
	return DC_OK;
}

int dc_idset_scan(struct dc_idset *s, int (*want)(void *ctx, const char *id),
		  void (*fn)(void *ctx, const char *id, const struct dc_fragment *f),
		  void *ctx)
{
	if (fflush(s->spool) != 0)
		return DC_ERR_IO;
	long end = ftell(s->spool);
	rewind(s->spool);
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	long pos = 0;
	while (pos < end && (n = getline(&line, &cap, s->spool)) > 0) {
		pos += n;
		if (line[n - 1] == '\n')
			line[n - 1] = '\0';
		char *id;
		struct dc_fragment f;
		if (parse_line(line, &id, &f) == 0 && want(ctx, id))
			fn(ctx, id, &f);
	}
	free(line);
	fseek(s->spool, 0, SEEK_END);
	return DC_OK;
}
