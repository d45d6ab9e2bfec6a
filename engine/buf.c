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

static void grow(struct dc_buf *b, size_t n)
{
	if (b->len + n + 1 <= b->cap)
		return;
	while (b->len + n + 1 > b->cap)
		b->cap = b->cap ? b->cap * 2 : 256;
	b->p = dc_xrealloc(b->p, b->cap);
}

void dc_buf_add(struct dc_buf *b, const void *p, size_t n)
{
	grow(b, n);
	memcpy(b->p + b->len, p, n);
	b->len += n;
	b->p[b->len] = '\0';
}

void dc_buf_adds(struct dc_buf *b, const char *s)
{
	dc_buf_add(b, s, strlen(s));
}

void dc_buf_addc(struct dc_buf *b, char c)
{
	grow(b, 1);
	b->p[b->len++] = c;
	b->p[b->len] = '\0';
}

void dc_buf_printf(struct dc_buf *b, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n <= 0)
		return;
	grow(b, (size_t)n);
	va_start(ap, fmt);
	vsnprintf(b->p + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
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
	for (const char *p = s; *p; p++) {
		if (*p == '"')
			dc_buf_addc(b, '"');
		dc_buf_addc(b, *p);
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
