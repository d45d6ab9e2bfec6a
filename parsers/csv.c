#include "parsers/csv.h"
#include "engine/arena.h"
#include "engine/dc_status.h"

#include <stdlib.h>
#include <string.h>

enum { S_FIELD, S_UNQUOTED, S_QUOTED, S_QUOTE };

void dc_csv_init(struct dc_csv *c, struct dc_input *in, char delim)
{
	memset(c, 0, sizeof *c);
	c->in = in;
	c->delim = delim ? delim : ',';
	c->line = 1;
	c->max_record = DC_CSV_MAX_RECORD;
	c->max_fields = DC_CSV_MAX_FIELDS;
	c->reccap = 4096;
	c->rec = dc_xmalloc(c->reccap);
	c->fcap = 64;
	c->offs = dc_xmalloc(c->fcap * sizeof *c->offs);
	c->fields = dc_xmalloc(c->fcap * sizeof *c->fields);
	c->lens = dc_xmalloc(c->fcap * sizeof *c->lens);
	/* one table lookup per byte in the scanning loops, not four compares */
	memset(c->stop_plain, 0, sizeof c->stop_plain);
	memset(c->stop_quoted, 0, sizeof c->stop_quoted);
	c->stop_plain[(unsigned char)c->delim] = 1;
	c->stop_plain['\n'] = c->stop_plain['\r'] = c->stop_plain[0] = 1;
	c->stop_quoted['"'] = c->stop_quoted['\n'] = c->stop_quoted[0] = 1;
}

void dc_csv_release(struct dc_csv *c)
{
	free(c->rec);
	free(c->offs);
	free(c->fields);
	free(c->lens);
	c->rec = NULL;
	c->offs = NULL;
	c->fields = NULL;
	c->lens = NULL;
}

struct state {
	int st;
	int too_long, too_many, nul, junk;
	int nonblank;     /* the record has content (blank lines are skipped) */
};

static inline void put(struct dc_csv *c, struct state *s, const unsigned char *p, size_t n)
{
	if (s->too_long || s->too_many)
		return;
	if (c->reclen + n + 1 > c->max_record) {
		s->too_long = 1;
		return;
	}
	if (c->reclen + n + 1 > c->reccap) {
		while (c->reclen + n + 1 > c->reccap)
			c->reccap *= 2;
		c->rec = dc_xrealloc(c->rec, c->reccap);
	}
	memcpy(c->rec + c->reclen, p, n);
	c->reclen += n;
}

static inline void end_field(struct dc_csv *c, struct state *s, size_t *nf)
{
	if (s->too_long || s->too_many)
		return;
	if (*nf == c->max_fields) {
		s->too_many = 1;
		return;
	}
	if (*nf == c->fcap) {
		c->fcap *= 2;
		c->offs = dc_xrealloc(c->offs, c->fcap * sizeof *c->offs);
		c->fields = dc_xrealloc(c->fields, c->fcap * sizeof *c->fields);
		c->lens = dc_xrealloc(c->lens, c->fcap * sizeof *c->lens);
	}
	unsigned char z = 0;
	c->offs[*nf] = c->reclen;   /* where the field ends; starts are derived in finish() */
	put(c, s, &z, 1);
	(*nf)++;
}

static inline void keep_raw(struct dc_csv *c, const unsigned char *p, size_t n)
{
	if (c->rawlen < DC_CSV_RAW_KEEP) {
		size_t k = DC_CSV_RAW_KEEP - c->rawlen < n ? DC_CSV_RAW_KEEP - c->rawlen : n;
		memcpy(c->raw + c->rawlen, p, k);
		c->rawlen += k;
	}
}

static int finish(struct dc_csv *c, struct state *s, size_t nf, struct dc_csv_record *r)
{
	r->nfields = 0;
	r->raw = c->raw;
	r->rawlen = c->rawlen;
	r->last_line = c->line;
	r->error = NULL;
	if (s->too_long)
		r->error = "record longer than the limit of 1048576 bytes";
	else if (s->too_many)
		r->error = "record with more than 2048 fields";
	else if (s->nul)
		r->error = "NUL byte in record";
	else if (s->junk)
		r->error = "unexpected character after a closing quote";
	if (r->error)
		return DC_ERR_RECORD;
	size_t start = 0;
	for (size_t i = 0; i < nf; i++) {
		c->fields[i] = c->rec + start;
		c->lens[i] = c->offs[i] - start;
		start = c->offs[i] + 1;
	}
	r->fields = c->fields;
	r->lens = c->lens;
	r->nfields = nf;
	return 1;
}

int dc_csv_next(struct dc_csv *c, struct dc_csv_record *r)
{
	struct dc_input *in = c->in;
	struct state s = { S_FIELD, 0, 0, 0, 0, 0 };
	size_t nf = 0;
	const char d = c->delim;

	if (!c->started) {
		/* skip a UTF-8 byte-order mark */
		while (dc_input_avail(in) < 3) {
			long n = dc_input_more(in);
			if (n < 0)
				return (int)n;
			if (n == 0)
				break;
		}
		size_t len;
		const unsigned char *p = dc_input_data(in, &len);
		if (len >= 3 && p[0] == 0xEF && p[1] == 0xBB && p[2] == 0xBF)
			dc_input_consume(in, 3);
		c->started = 1;
	}
	c->reclen = 0;
	c->rawlen = 0;
	r->line = c->line;

	for (;;) {
		size_t len;
		const unsigned char *p = dc_input_data(in, &len);
		if (len == 0) {
			long n = dc_input_more(in);
			if (n < 0) {
				r->raw = c->raw;
				r->rawlen = c->rawlen;
				r->last_line = c->line;
				r->nfields = 0;
				return (int)n;
			}
			if (n == 0) {
				if (!s.nonblank && s.st != S_QUOTED)
					return 0;
				if (s.st == S_QUOTED) {
					r->raw = c->raw;
					r->rawlen = c->rawlen;
					r->last_line = c->line;
					r->nfields = 0;
					r->error = "unterminated quoted field at end of input";
					return DC_ERR_RECORD;
				}
				end_field(c, &s, &nf);
				return finish(c, &s, nf, r);
			}
			continue;
		}
		size_t i = 0;
		while (i < len) {
			unsigned char ch = p[i];
			switch (s.st) {
			case S_FIELD:
				if (nf == 0 && !s.nonblank && c->skip_lf) {
					/* the LF of a CRLF whose CR ended the previous line */
					c->skip_lf = 0;
					if (ch == '\n') {
						i++;
						r->line = c->line;
						continue;
					}
				}
				if (ch == '"') {
					s.st = S_QUOTED;
					s.nonblank = 1;
					keep_raw(c, p + i, 1);
					i++;
					continue;
				}
				s.st = S_UNQUOTED;
				/* fall through */
			case S_UNQUOTED: {
				size_t j = i;
				const unsigned char *stop = c->stop_plain;
				while (j < len && !stop[p[j]])
					j++;
				if (j < len && p[j] == d) {
					/* the field and its delimiter: the most common case */
					if (j > i)
						put(c, &s, p + i, j - i);
					keep_raw(c, p + i, j + 1 - i);
					end_field(c, &s, &nf);
					s.nonblank = 1;
					s.st = S_FIELD;
					i = j + 1;
					continue;
				}
				if (j > i) {
					s.nonblank = 1;
					put(c, &s, p + i, j - i);
					keep_raw(c, p + i, j - i);
				}
				i = j;
				if (i == len)
					continue;
				ch = p[i];
				if (ch == 0) {
					/* a line of NULs alone is a bad record, not a blank line */
					s.nul = 1;
					s.nonblank = 1;
					i++;
					continue;
				}
				/* a line end: CR, LF or CRLF (a delimiter is taken above) */
				c->line++;
				c->skip_lf = ch == '\r';
				i++;
				if (c->skip_lf && i < len) {
					c->skip_lf = 0;
					if (p[i] == '\n')
						i++;
				}
				if (!s.nonblank) {
					/* blank line: skip it */
					s.st = S_FIELD;
					r->line = c->line;
					continue;
				}
				end_field(c, &s, &nf);
				dc_input_consume(in, i);
				int rc = finish(c, &s, nf, r);
				r->last_line = c->line - 1;   /* the line this record's line end ends */
				return rc;
			}
			case S_QUOTED: {
				size_t j = i;
				const unsigned char *stop = c->stop_quoted;
				for (;;) {
					while (j < len && !stop[p[j]])
						j++;
					if (j < len && p[j] == '\n') {
						c->line++;
						j++;
						continue;
					}
					break;
				}
				if (j > i) {
					put(c, &s, p + i, j - i);
					keep_raw(c, p + i, j - i);
				}
				i = j;
				if (i == len)
					continue;
				if (p[i] == 0) {
					s.nul = 1;
					i++;
					continue;
				}
				keep_raw(c, p + i, 1);
				s.st = S_QUOTE;
				i++;
				continue;
			}
			case S_QUOTE:
				if (ch == '"') {
					put(c, &s, p + i, 1);
					keep_raw(c, p + i, 1);
					s.st = S_QUOTED;
					i++;
					continue;
				}
				if (ch == d || ch == '\n' || ch == '\r') {
					s.st = S_UNQUOTED;   /* handled as the end of an unquoted field */
					continue;
				}
				/* junk after a closing quote: keep it, reject the record later */
				s.junk = 1;
				s.st = S_UNQUOTED;
				continue;
			}
		}
		dc_input_consume(in, len);
	}
}
