/*
 * Streaming X12 tokenizer (see x12.h).
 *
 * Design: a byte-at-a-time state machine over the input window, rather than
 * reading whole lines or the whole file. Lines do not exist in X12 (a file
 * may be one 77 MB line), and a byte machine splits identically at every
 * chunk boundary, which the unit tests check at every chunk size.
 */
#include "parsers/x12.h"

#include <stdlib.h>
#include <string.h>

#include "engine/arena.h"
#include "engine/dc_status.h"

static int is_space(int c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' || c == '\v';
}

static int is_alnum(int c)
{
	return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

void dc_x12_init(struct dc_x12 *x, struct dc_input *in, struct dc_diag_sink *ds)
{
	memset(x, 0, sizeof *x);
	x->in = in;
	x->ds = ds;
	x->name = in->name;
	x->line = 1;
}

void dc_x12_release(struct dc_x12 *x)
{
	free(x->buf);
	free(x->el);
	x->buf = NULL;
	x->el = NULL;
}

/* Warnings go through here so that they are counted per tokenizer. */
static void warn(struct dc_x12 *x, unsigned long line, const char *fmt, const char *a,
		 const char *b)
{
	x->nwarnings++;
	dc_diag_report(x->ds, DC_SEV_WARNING, 0, x->name, line, fmt, a, b);
}

/*
 * A value shown in a diagnostic: at most 24 printable characters. Segment
 * contents may be patient data, so only ids and control numbers are shown.
 */
static const char *shown(const char *s, char *buf, size_t n)
{
	size_t k = 0;
	for (; *s && k + 1 < n && k < 24; s++)
		buf[k++] = (*s >= 0x20 && *s < 0x7f) ? *s : '?';
	buf[k] = '\0';
	return buf;
}

static void copy_ctl(char *dst, const char *s)
{
	/* control numbers are at most 9 digits; keep a bounded, trimmed copy */
	while (*s == ' ')
		s++;
	size_t n = strlen(s);
	while (n && s[n - 1] == ' ')
		n--;
	if (n > 15)
		n = 15;
	memcpy(dst, s, n);
	dst[n] = '\0';
}

static unsigned long count_value(const char *s)
{
	char *end;
	while (*s == ' ')
		s++;
	unsigned long v = strtoul(s, &end, 10);
	return (end == s) ? (unsigned long)-1 : v;
}

static void check_count(struct dc_x12 *x, const struct dc_x12_seg *s, const char *what,
			unsigned long counted)
{
	unsigned long v = count_value(dc_x12_el(s, 1));
	if (v != counted) {
		char a[48], b[64];
		snprintf(a, sizeof a, "%s01 '%.20s'", s->id, dc_x12_el(s, 1));
		snprintf(b, sizeof b, "%s '%lu'", what, counted);
		warn(x, s->line, "%s does not match the %s", a, b);
	}
}

static void check_ctl(struct dc_x12 *x, const struct dc_x12_seg *s, const char *want,
		      const char *opener)
{
	char got[16], a[48];
	copy_ctl(got, dc_x12_el(s, 2));
	if (strcmp(got, want) != 0) {
		snprintf(a, sizeof a, "%s02 '%s'", s->id, got);
		warn(x, s->line, "%s does not match the control number of its %s", a, opener);
	}
}

/* Envelope bookkeeping: wrong or missing trailers are warnings only. */
static void envelope(struct dc_x12 *x, const struct dc_x12_seg *s)
{
	const char *id = s->id;
	if (x->in_st)
		x->st_segs++;
	if (!strcmp(id, "ISA")) {
		if (x->in_ic)
			warn(x, s->line, "interchange '%s' has no IEA%s", x->ic_ctl, "");
		x->in_ic = 1;
		x->in_gs = x->in_st = 0;
		x->ic_gs = 0;
		x->ic_line = s->line;
		copy_ctl(x->ic_ctl, dc_x12_el(s, 13));
		x->ninterchanges++;
	} else if (!strcmp(id, "GS")) {
		if (x->in_gs)
			warn(x, s->line, "functional group '%s' has no GE%s", x->gs_ctl, "");
		x->in_gs = 1;
		x->gs_st = 0;
		x->ic_gs++;
		copy_ctl(x->gs_ctl, dc_x12_el(s, 6));
	} else if (!strcmp(id, "ST")) {
		if (x->in_st)
			warn(x, s->line, "transaction '%s' has no SE%s", x->st_ctl, "");
		x->in_st = 1;
		x->st_segs = 1;
		x->gs_st++;
		x->ntransactions++;
		copy_ctl(x->st_ctl, dc_x12_el(s, 2));
	} else if (!strcmp(id, "SE")) {
		if (!x->in_st) {
			warn(x, s->line, "SE without ST%s%s", "", "");
			return;
		}
		check_count(x, s, "segment count", x->st_segs);
		check_ctl(x, s, x->st_ctl, "ST");
		x->in_st = 0;
	} else if (!strcmp(id, "GE")) {
		if (x->in_st)
			warn(x, s->line, "transaction '%s' has no SE%s", x->st_ctl, "");
		x->in_st = 0;
		if (!x->in_gs) {
			warn(x, s->line, "GE without GS%s%s", "", "");
			return;
		}
		check_count(x, s, "transaction count", x->gs_st);
		check_ctl(x, s, x->gs_ctl, "GS");
		x->in_gs = 0;
	} else if (!strcmp(id, "IEA")) {
		if (x->in_gs)
			warn(x, s->line, "functional group '%s' has no GE%s", x->gs_ctl, "");
		x->in_gs = x->in_st = 0;
		if (!x->in_ic) {
			warn(x, s->line, "IEA without ISA%s%s", "", "");
			return;
		}
		check_count(x, s, "group count", x->ic_gs);
		check_ctl(x, s, x->ic_ctl, "ISA");
		x->in_ic = 0;
	} else if (!x->in_ic) {
		char b[32];
		warn(x, s->line, "segment '%s' outside an interchange%s", shown(id, b, sizeof b), "");
	}
}

static int fail(struct dc_x12 *x, int code, unsigned long line, const char *msg, const char *v)
{
	x->at_eof = code;
	return dc_diag_report(x->ds, DC_SEV_ERROR, code, x->name, line, msg, v);
}

static void push_byte(struct dc_x12 *x, char c)
{
	if (x->len + 2 > x->cap) {
		x->cap = x->cap ? x->cap * 2 : 256;
		x->buf = dc_xrealloc(x->buf, x->cap);
	}
	x->buf[x->len++] = c;
}

/* Reads the delimiters of the ISA in buf (ISA16 is its last byte). */
static int take_isa(struct dc_x12 *x, char term)
{
	char elem = x->buf[3], comp = x->buf[x->len - 1];
	/* NUL would end every element early: C strings cannot carry it. */
	if (is_alnum((unsigned char)term) || term == elem || term == comp || elem == comp ||
	    is_alnum((unsigned char)comp) || comp == ' ' || !term || !elem || !comp)
		return fail(x, DC_ERR_PARSE, x->seg_line,
			    "ISA delimiters are unusable: not an X12 interchange%s", "");
	x->elem = elem;
	x->comp = comp;
	x->term = term;
	/*
	 * ISA11 is the repetition separator from 5010 on; in 4010 it is the
	 * standards id 'U'. Punctuation distinct from the others is taken as
	 * the separator, anything else as none.
	 */
	x->rep = 0;
	size_t n = 0, i;
	for (i = 0; i < x->len && n < 11; i++)
		if (x->buf[i] == elem)
			n++;
	if (n == 11 && i < x->len) {
		char r = x->buf[i];
		if (!is_alnum((unsigned char)r) && !is_space((unsigned char)r) && r != elem &&
		    r != comp && r != term && (i + 1 >= x->len || x->buf[i + 1] == elem))
			x->rep = r;
	}
	x->have_isa = 1;
	return 0;
}

/* Splits buf into elements; fills |seg|. Returns 1, or 0 for a malformed segment. */
static int split(struct dc_x12 *x, struct dc_x12_seg *seg)
{
	/* trailing CR/LF belong to the line structure, never to the data */
	while (x->len && (x->buf[x->len - 1] == '\r' || x->buf[x->len - 1] == '\n'))
		x->len--;
	x->buf[x->len] = '\0';
	if (!x->elcap) {
		x->elcap = 32;
		x->el = dc_xcalloc(x->elcap, sizeof *x->el);
	}
	size_t n = 0;
	x->el[n++] = x->buf;
	for (size_t i = 0; i < x->len; i++)
		if (x->buf[i] == x->elem) {
			x->buf[i] = '\0';
			if (n == DC_X12_MAX_ELEMENTS)
				return 0;
			if (n == x->elcap) {
				x->elcap *= 2;
				x->el = dc_xrealloc(x->el, x->elcap * sizeof *x->el);
			}
			x->el[n++] = x->buf + i + 1;
		}
	const char *id = x->el[0];
	size_t idn = strlen(id);
	if (idn < 2 || idn > 3 || !(id[0] >= 'A' && id[0] <= 'Z'))
		return 0;
	for (size_t i = 1; i < idn; i++)
		if (!((id[i] >= 'A' && id[i] <= 'Z') || (id[i] >= '0' && id[i] <= '9')))
			return 0;
	seg->id = id;
	seg->el = x->el;
	seg->nel = n;
	seg->line = x->seg_line;
	seg->index = ++x->nseg;
	seg->comp = x->comp;
	seg->rep = x->rep;
	return 1;
}

/*
 * Feeds one byte. Returns 1 when a segment is complete (the byte was its
 * terminator), 0 to go on, or a negative status.
 */
static int feed(struct dc_x12 *x, unsigned char c)
{
	if (x->len == 0) {
		/* between segments: byte-order mark (file start only) and white space */
		if (!x->started && x->bom < 3 && c == (unsigned char)"\xEF\xBB\xBF"[x->bom]) {
			x->bom++;
			return 0;
		}
		if (c == '\n')
			x->line++;
		if (is_space(c) || c == '\0' || c == 0x1a)   /* NUL padding, DOS end-of-file */
			return 0;
		if (!x->started && x->bom && x->bom < 3)
			return fail(x, DC_ERR_PARSE, x->line,
				    "not an X12 interchange: no ISA segment%s", "");
		x->started = 1;
		x->seg_line = x->line;
		x->in_isa_seg = 0;
		x->isa_seps = 0;
	} else if (c == '\n') {
		x->line++;
	}
	if (x->in_isa_seg) {
		if (x->isa_seps == 17)        /* the byte after ISA16: the terminator */
			return take_isa(x, (char)c) < 0 ? x->at_eof : 1;
		push_byte(x, (char)c);
		if (x->isa_seps == 16)
			x->isa_seps = 17;     /* that was ISA16 */
		else if ((char)c == x->buf[3])
			x->isa_seps++;
		if (x->len > 512)
			return fail(x, DC_ERR_PARSE, x->seg_line,
				    "ISA segment is malformed: not an X12 interchange%s", "");
		return 0;
	}
	if (x->have_isa && (char)c == x->term && x->len > 0)
		return 1;
	if (x->have_isa && (char)c == x->term)
		return 0;                     /* empty segment ("~~") */
	push_byte(x, (char)c);
	if (x->len <= 4) {
		int isa_prefix = x->len < 4 ? !memcmp(x->buf, "ISA", x->len)
					    : !memcmp(x->buf, "ISA", 3) && !is_alnum(c) && !is_space(c);
		if (isa_prefix && x->len == 4) {
			x->in_isa_seg = 1;
			x->isa_seps = 1;
		} else if (!isa_prefix && !x->have_isa) {
			return fail(x, DC_ERR_PARSE, x->seg_line,
				    "not an X12 interchange: no ISA segment%s", "");
		}
	}
	if (x->len > DC_X12_MAX_SEGMENT) {
		char b[16];
		snprintf(b, sizeof b, "%d", DC_X12_MAX_SEGMENT);
		return fail(x, DC_ERR_LIMIT, x->seg_line,
			    "segment longer than %s bytes: wrong segment terminator?", b);
	}
	return 0;
}

/* A complete segment in buf: split, check, bookkeeping. 1 when returned. */
static int finish(struct dc_x12 *x, struct dc_x12_seg *seg)
{
	int ok = split(x, seg);
	x->len = 0;
	if (!ok) {
		char b[32];
		warn(x, x->seg_line, "malformed segment '%s' skipped%s", shown(x->buf, b, sizeof b), "");
		if (++x->bad_run >= DC_X12_MAX_BAD_SEGMENTS)
			return fail(x, DC_ERR_PARSE, x->seg_line,
				    "too many malformed segments: not X12%s", "");
		return 0;
	}
	x->bad_run = 0;
	envelope(x, seg);
	return 1;
}

int dc_x12_next(struct dc_x12 *x, struct dc_x12_seg *seg)
{
	if (x->at_eof)
		return x->at_eof < 0 ? x->at_eof : 0;
	for (;;) {
		size_t n;
		const unsigned char *p = dc_input_data(x->in, &n);
		for (size_t i = 0; i < n; i++) {
			int r = feed(x, p[i]);
			if (r == 0)
				continue;
			dc_input_consume(x->in, i + 1);
			if (r < 0)
				return r;
			r = finish(x, seg);
			if (r != 0)
				return r;
			/* a skipped segment: go on with the rest of the window */
			p = dc_input_data(x->in, &n);
			i = (size_t)-1;
		}
		dc_input_consume(x->in, n);
		long m = dc_input_more(x->in);
		if (m < 0) {
			x->at_eof = (int)m;
			return (int)m;
		}
		if (m > 0)
			continue;
		/* end of input */
		if (x->len > 0) {
			if (x->in_isa_seg || !x->have_isa)
				return fail(x, DC_ERR_PARSE, x->seg_line,
					    "not an X12 interchange: incomplete ISA segment%s", "");
			int r = finish(x, seg);     /* a last segment without terminator */
			if (r != 0)
				return r;
		}
		if (!x->have_isa)
			return fail(x, DC_ERR_PARSE, x->line,
				    "not an X12 interchange: no ISA segment%s", "");
		if (x->in_st)
			warn(x, x->line, "transaction '%s' has no SE%s", x->st_ctl, "");
		if (x->in_gs)
			warn(x, x->line, "functional group '%s' has no GE%s", x->gs_ctl, "");
		if (x->in_ic)
			warn(x, x->line, "interchange '%s' has no IEA%s", x->ic_ctl, "");
		x->in_st = x->in_gs = x->in_ic = 0;
		x->at_eof = 1;
		return 0;
	}
}

const char *dc_x12_el(const struct dc_x12_seg *seg, size_t i)
{
	return i < seg->nel ? seg->el[i] : "";
}

int dc_x12_has(const struct dc_x12_seg *seg, size_t i)
{
	return i < seg->nel && seg->el[i][0] != '\0';
}

char *dc_x12_comp(const struct dc_x12_seg *seg, size_t i, size_t j, char *buf, size_t n)
{
	const char *s = dc_x12_el(seg, i);
	buf[0] = '\0';
	for (size_t k = 1; k < j; k++) {
		s = seg->comp ? strchr(s, seg->comp) : NULL;
		if (!s)
			return buf;
		s++;
	}
	size_t len = 0;
	while (s[len] && s[len] != seg->comp && (!seg->rep || s[len] != seg->rep))
		len++;
	if (len >= n)
		len = n - 1;
	memcpy(buf, s, len);
	buf[len] = '\0';
	return buf;
}

int dc_x12_is(const struct dc_x12_seg *seg, const char *id)
{
	return strcmp(seg->id, id) == 0;
}

int dc_x12_sniff(const void *p, size_t n)
{
	const unsigned char *s = p;
	size_t i = 0;
	if (n >= 3 && s[0] == 0xEF && s[1] == 0xBB && s[2] == 0xBF)
		i = 3;
	while (i < n && is_space(s[i]))
		i++;
	return n - i >= 4 && !memcmp(s + i, "ISA", 3) && !is_alnum(s[i + 3]) && !is_space(s[i + 3]);
}

void dc_x12_copy(char *dst, size_t n, const char *s)
{
	while (*s == ' ')
		s++;
	size_t k = strlen(s);
	while (k && s[k - 1] == ' ')
		k--;
	if (k >= n)
		k = n - 1;
	memcpy(dst, s, k);
	dst[k] = '\0';
}
