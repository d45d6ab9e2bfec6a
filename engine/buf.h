/*
 * A growable byte buffer for formatting one record before it is staged or
 * written. The buffer owns its memory (heap); dc_buf_reset keeps it.
 */
#ifndef DC_BUF_H
#define DC_BUF_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

struct dc_buf {
	char *p;
	size_t len, cap;
};

void dc_buf_init(struct dc_buf *b);
void dc_buf_release(struct dc_buf *b);
static inline void dc_buf_reset(struct dc_buf *b) { b->len = 0; if (b->p) b->p[0] = '\0'; }
/* Makes room for n more bytes and the terminating NUL. */
void dc_buf_grow(struct dc_buf *b, size_t n);
static inline void dc_buf_add(struct dc_buf *b, const void *p, size_t n)
{
	if (b->len + n + 1 > b->cap)
		dc_buf_grow(b, n);
	memcpy(b->p + b->len, p, n);
	b->len += n;
	b->p[b->len] = '\0';
}
void dc_buf_adds(struct dc_buf *b, const char *s);
static inline void dc_buf_addc(struct dc_buf *b, char c)
{
	if (b->len + 2 > b->cap)
		dc_buf_grow(b, 1);
	b->p[b->len++] = c;
	b->p[b->len] = '\0';
}
/* The decimal digits of |v| (with a minus sign when negative). */
void dc_buf_int(struct dc_buf *b, long long v);
void dc_buf_printf(struct dc_buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/*
 * snprintf and vsnprintf, the same bytes and the same result, without
 * stdio for the conversions the coders format most: %s, %c, %d, %ld, %lu,
 * %.*s, %0Nd (N one digit) and %%. Any other conversion, a NULL string, a
 * negative zero-padded number or a result that does not fit in |cap|
 * goes to vsnprintf.
 */
int dc_format(char *dst, size_t cap, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
int dc_vformat(char *dst, size_t cap, const char *fmt, va_list ap);
/* One CSV field, quoted when it holds a comma, quote, CR or LF (RFC 4180). */
void dc_buf_csv(struct dc_buf *b, const char *s);
/* A JSON string with its quotes. */
void dc_buf_json(struct dc_buf *b, const char *s);

#endif
