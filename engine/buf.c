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

void dc_buf_adds(struct dc_buf *b, const char *s)
{
	/*
	 * Most strings appended are codes and short values: their first 32
	 * bytes are copied as they are read (no strlen, no memcpy call), the
	 * rest of a longer one as a block.
	 */
	if (b->cap - b->len > 33) {
		char *d = b->p + b->len;
		for (int i = 0; i < 32; i++) {
			if (!s[i]) {
				d[i] = '\0';
				b->len += (size_t)i;
				return;
			}
			d[i] = s[i];
		}
		b->len += 32;
		s += 32;
	}
	dc_buf_add(b, s, strlen(s));
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

/* Appends |s| (|n| bytes) at dst[*at]; 0 when it does not fit with a NUL. */
static int put(char *dst, size_t cap, size_t *at, const char *s, size_t n)
{
	if (*at + n >= cap)
		return 0;
	memcpy(dst + *at, s, n);
	*at += n;
	return 1;
}

/* The digits of |v|, at least |width| of them (zero-padded), ending at |end|. */
static char *digits(char *end, unsigned long v, int width)
{
	char *q = end;
	do {
		*--q = (char)('0' + v % 10);
		v /= 10;
		width--;
	} while (v);
	while (width-- > 0)
		*--q = '0';
	return q;
}

/* dc_vformat's own formatting: the length, or -1 for vsnprintf to do it. */
static int quick_format(char *dst, size_t cap, const char *fmt, va_list ap)
{
	size_t at = 0;
	for (const char *f = fmt; *f; f++) {
		const char *lit = f;
		while (*f && *f != '%')
			f++;
		if (f > lit && !put(dst, cap, &at, lit, (size_t)(f - lit)))
			return -1;
		if (!*f)
			break;
		f++;
		char num[24], *end = num + sizeof num, *q;
		const char *s;
		size_t n;
		int width = 0;
		if (*f == '0' && f[1] >= '1' && f[1] <= '9' && f[2] == 'd') {
			width = f[1] - '0';
			f += 2;
		}
		switch (*f) {
		case '%':
			s = "%";
			n = 1;
			break;
		case 'c':
			num[0] = (char)va_arg(ap, int);
			s = num;
			n = 1;
			break;
		case 's':
			s = va_arg(ap, const char *);
			if (!s)
				return -1;
			n = strlen(s);
			break;
		case '.': {
			if (f[1] != '*' || f[2] != 's')
				return -1;
			f += 2;
			int prec = va_arg(ap, int);
			s = va_arg(ap, const char *);
			if (!s)
				return -1;
			n = prec < 0 ? strlen(s) : strnlen(s, (size_t)prec);
			break;
		}
		case 'd': {
			int v = va_arg(ap, int);
			if (v < 0 && width)
				return -1;
			q = digits(end, v < 0 ? 0UL - (unsigned long)v : (unsigned long)v, width);
			if (v < 0)
				*--q = '-';
			s = q;
			n = (size_t)(end - q);
			break;
		}
		case 'l':
			if (f[1] == 'd') {
				long v = va_arg(ap, long);
				q = digits(end, v < 0 ? 0UL - (unsigned long)v : (unsigned long)v, 0);
				if (v < 0)
					*--q = '-';
			} else if (f[1] == 'u') {
				q = digits(end, va_arg(ap, unsigned long), 0);
			} else {
				return -1;
			}
			f++;
			s = q;
			n = (size_t)(end - q);
			break;
		default:
			return -1;
		}
		if (!put(dst, cap, &at, s, n))
			return -1;
	}
	if (at >= cap)
		return -1;
	dst[at] = '\0';
	return (int)at;
}

int dc_vformat(char *dst, size_t cap, const char *fmt, va_list ap)
{
	va_list aq;
	va_copy(aq, ap);
	int n = quick_format(dst, cap, fmt, aq);
	va_end(aq);
	return n >= 0 ? n : vsnprintf(dst, cap, fmt, ap);
}

int dc_format(char *dst, size_t cap, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = dc_vformat(dst, cap, fmt, ap);
	va_end(ap);
	return n;
}

void dc_buf_printf(struct dc_buf *b, const char *fmt, ...)
{
	va_list ap;
	if (b->cap - b->len < 64)
		dc_buf_grow(b, 64);
	/* most records fit the room already there: format once */
	va_start(ap, fmt);
	int n = dc_vformat(b->p + b->len, b->cap - b->len, fmt, ap);
	va_end(ap);
	if (n <= 0) {
		b->p[b->len] = '\0';
		return;
	}
	if ((size_t)n >= b->cap - b->len) {
		dc_buf_grow(b, (size_t)n);
		va_start(ap, fmt);
		dc_vformat(b->p + b->len, (size_t)n + 1, fmt, ap);
		va_end(ap);
	}
	b->len += (size_t)n;
}

void dc_buf_csv(struct dc_buf *b, const char *s)
{
	if (!s)
		return;
	/* one pass finds both the length and whether quoting is needed */
	static const unsigned char stop[256] = { [0] = 1, [','] = 1, ['"'] = 1, ['\r'] = 1,
						 ['\n'] = 1 };
	size_t n = 0;
	if (b->cap - b->len > 64) {
		/* a short field is copied as it is scanned */
		char *d = b->p + b->len;
		while (n < 63 && !stop[(unsigned char)s[n]]) {
			d[n] = s[n];
			n++;
		}
		if (!s[n]) {
			d[n] = '\0';
			b->len += n;
			return;
		}
	}
	while (!stop[(unsigned char)s[n]])
		n++;
	if (!s[n]) {
		dc_buf_add(b, s, n);
		return;
	}
	if (b->len < b->cap)
		b->p[b->len] = '\0';   /* what the scan copied is dropped */
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
	/* the bytes that are escaped (and the NUL that ends the string) */
	static const unsigned char esc[256] = {
		1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
		1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
		['"'] = 1, ['\\'] = 1,
	};
	dc_buf_addc(b, '"');
	for (const unsigned char *p = (const unsigned char *)s;; p++) {
		const unsigned char *run = p;
		while (!esc[*p])
			p++;
		if (p > run)
			dc_buf_add(b, run, (size_t)(p - run));
		if (!*p)
			break;
		switch (*p) {
		case '"': dc_buf_adds(b, "\\\""); break;
		case '\\': dc_buf_adds(b, "\\\\"); break;
		case '\n': dc_buf_adds(b, "\\n"); break;
		case '\r': dc_buf_adds(b, "\\r"); break;
		case '\t': dc_buf_adds(b, "\\t"); break;
		default: dc_buf_printf(b, "\\u%04x", *p);
		}
	}
	dc_buf_addc(b, '"');
}
