#include "engine/arena.h"
#include "engine/buf.h"
#include "engine/dc_status.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct dc_arena_block {
	struct dc_arena_block *next;
	size_t size, used;
	_Alignas(16) unsigned char data[];
};

void dc_bug(const char *file, int line, const char *msg)
{
	fprintf(stderr, "dripcode: %s:%d: bug: %s\n", file, line, msg);
	abort();
}

void *dc_xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);
	if (!p) {
		fputs("dripcode: error: out of memory\n", stderr);
		abort();
	}
	return p;
}

void *dc_xcalloc(size_t n, size_t m)
{
	void *p = calloc(n ? n : 1, m ? m : 1);
	if (!p) {
		fputs("dripcode: error: out of memory\n", stderr);
		abort();
	}
	return p;
}

void *dc_xrealloc(void *p, size_t n)
{
	void *q = realloc(p, n ? n : 1);
	if (!q) {
		fputs("dripcode: error: out of memory\n", stderr);
		abort();
	}
	return q;
}

char *dc_xstrdup(const char *s)
{
	size_t n = strlen(s) + 1;
	char *p = dc_xmalloc(n);
	memcpy(p, s, n);
	return p;
}

static struct dc_arena_block *block_new(size_t size)
{
	struct dc_arena_block *b = dc_xmalloc(sizeof *b + size);
	b->next = NULL;
	b->size = size;
	b->used = 0;
	return b;
}

void dc_arena_init(struct dc_arena *a, size_t block_size)
{
	a->block_size = block_size ? block_size : 64 * 1024;
	a->head = block_new(a->block_size);
	a->used_total = 0;
	a->peak = 0;
}

void dc_arena_reset(struct dc_arena *a)
{
	struct dc_arena_block *b = a->head, *keep = NULL;
	/* keep the oldest block of the default size; free the others */
	while (b) {
		struct dc_arena_block *next = b->next;
		if (!next && b->size == a->block_size)
			keep = b;
		else
			free(b);
		b = next;
	}
	if (!keep)
		keep = block_new(a->block_size);
	keep->used = 0;
	keep->next = NULL;
	a->head = keep;
	a->used_total = 0;
}

void dc_arena_release(struct dc_arena *a)
{
	struct dc_arena_block *b = a->head;
	while (b) {
		struct dc_arena_block *next = b->next;
		free(b);
		b = next;
	}
	a->head = NULL;
}

static void *alloc(struct dc_arena *a, size_t n);

void *dc_arena_alloc(struct dc_arena *a, size_t n)
{
	void *p = alloc(a, n);
	memset(p, 0, n);
	return p;
}

/* Memory that is about to be filled (strings): no zeroing. */
static void *alloc(struct dc_arena *a, size_t n)
{
	struct dc_arena_block *b = a->head;
	size_t need = (n + 15) & ~(size_t)15;
	if (need < n)
		DC_BUG("arena size overflow");
	if (!b || b->size - b->used < need) {
		size_t size = need > a->block_size ? need : a->block_size;
		struct dc_arena_block *nb = block_new(size);
		/*
		 * An oversized block goes behind the head so the head's free
		 * space is not wasted on the next small allocation.
		 */
		if (b && size > a->block_size) {
			nb->next = b->next;
			b->next = nb;
		} else {
			nb->next = b;
			a->head = nb;
		}
		b = nb;
	}
	void *p = b->data + b->used;
	b->used += need;
	a->used_total += need;
	if (a->used_total > a->peak)
		a->peak = a->used_total;
	return p;
}

void *dc_arena_alloc_raw(struct dc_arena *a, size_t n)
{
	return alloc(a, n);
}

char *dc_arena_strndup(struct dc_arena *a, const char *s, size_t n)
{
	char *p = alloc(a, n + 1);
	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

char *dc_arena_strdup(struct dc_arena *a, const char *s)
{
	return dc_arena_strndup(a, s, strlen(s));
}

char *dc_arena_join_num(struct dc_arena *a, const char *s, size_t max, char sep, long v)
{
	char digits[24], *q = digits + sizeof digits;
	unsigned long u = v < 0 ? 0UL - (unsigned long)v : (unsigned long)v;
	do {
		*--q = (char)('0' + u % 10);
		u /= 10;
	} while (u);
	if (v < 0)
		*--q = '-';
	size_t nd = (size_t)(digits + sizeof digits - q);
	size_t ns = strnlen(s, max), k = sep ? 1 : 0;
	char *p = alloc(a, ns + k + nd + 1);
	memcpy(p, s, ns);
	if (sep)
		p[ns] = sep;
	memcpy(p + ns + k, q, nd);
	p[ns + k + nd] = '\0';
	return p;
}

char *dc_arena_printf(struct dc_arena *a, const char *fmt, ...)
{
	va_list ap;
	char small[256];
	va_start(ap, fmt);
	int n = dc_vformat(small, sizeof small, fmt, ap);
	va_end(ap);
	if (n < 0)
		return dc_arena_strdup(a, "");
	if ((size_t)n < sizeof small)
		return dc_arena_strndup(a, small, (size_t)n);
	char *p = alloc(a, (size_t)n + 1);
	va_start(ap, fmt);
	dc_vformat(p, (size_t)n + 1, fmt, ap);
	va_end(ap);
	return p;
}

size_t dc_arena_blocks(const struct dc_arena *a)
{
	size_t n = 0;
	for (const struct dc_arena_block *b = a->head; b; b = b->next)
		n++;
	return n;
}
