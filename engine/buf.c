#include "engine/buf.h"
#include "engine/arena.h"

#include <stdarg.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

void dc_buf_init(struct dc_buf *b)
{
	b->cap = 256;
	b->p = dc_xmalloc(b->cap);
	b->len = 0;
	b->p[0] = '\0';
}

void dc_buf_release(struct dc_buf *b)
{
	free(b->p);
	b->p = NULL;
	b->len = b->cap = 0;
}

void dc_buf_grow(struct dc_buf *b, size_t n)
{
	if (b->len + n + 1 <= b->cap)
		return;
	while (b->len + n + 1 > b->cap)
		b->cap = b->cap ? b->cap * 2 : 256;
	b->p = dc_xrealloc(b->p, b->cap);
}

void dc_buf_int(struct dc_buf *b, long long v)
{
	char tmp[24], *q = tmp + sizeof tmp;
	unsigned long long u = v < 0 ? 0ULL - (unsigned long long)v : (unsigned long long)v;
	do {
		*--q = (char)('0' + u % 10);
		u /= 10;
	} while (u);
	if (v < 0)
		*--q = '-';
	dc_buf_add(b, q, (size_t)(tmp + sizeof tmp - q));
}

void dc_buf_printf(struct dc_buf *b, const char *fmt, ...)
{
	va_list ap;
	if (b->cap - b->len < 64)
		dc_buf_grow(b, 64);
	/* most records fit the room already there: format once */
	va_start(ap, fmt);
	int n = vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap);
	va_end(ap);
	if (n <= 0) {
		b->p[b->len] = '\0';
		return;
	}
	if ((size_t)n >= b->cap - b->len) {
		dc_buf_grow(b, (size_t)n);
		va_start(ap, fmt);
		vsnprintf(b->p + b->len, (size_t)n + 1, fmt, ap);
		va_end(ap);
	}
	b->len += (size_t)n;
}

void dc_buf_csv(struct dc_buf *b, const char *s)
{
	if (!s)
		return;
	/* one pass finds both the length and whether quoting is needed */
	size_t n = 0;
	for (;; n++) {
		char c = s[n];
		if (!c) {
			dc_buf_add(b, s, n);
			return;
		}
		if (c == ',' || c == '"' || c == '\r' || c == '\n')
			break;
	}
	dc_buf_addc(b, '"');
	for (const char *p = s;;) {
		const char *q = strchr(p, '"');
		if (!q) {
			dc_buf_adds(b, p);
			break;
		}
		dc_buf_add(b, p, (size_t)(q + 1 - p));   /* through the quote, */
		dc_buf_addc(b, '"');                      /* which is doubled */
		p = q + 1;
	}
	dc_buf_addc(b, '"');
}

void dc_buf_json(struct dc_buf *b, const char *s)
{
	if (!s) {
		dc_buf_adds(b, "null");
		return;
	}
	dc_buf_addc(b, '"');
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		switch (*p) {
		case '"': dc_buf_adds(b, "\\\""); break;
		case '\\': dc_buf_adds(b, "\\\\"); break;
		case '\n': dc_buf_adds(b, "\\n"); break;
		case '\r': dc_buf_adds(b, "\\r"); break;
		case '\t': dc_buf_adds(b, "\\t"); break;
		default:
			if (*p < 0x20)
				dc_buf_printf(b, "\\u%04x", *p);
			else
				dc_buf_addc(b, (char)*p);
		}
	}
	dc_buf_addc(b, '"');
}
