/*
 * CSV extract reader: header mapping, rows grouped into encounters by
 * contiguous encounter_id, conflicting encounter-level values.
 *
 * Value checks (dates, codes, numbers) are not done here but in
 * dc_encounter_validate(), so that every reader gets the same ones.
 */
#include "parsers/dc_reader.h"
#include "parsers/csv.h"
#include "engine/dc_status.h"

#include <ctype.h>
#include <stdint.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct csv_reader {
	struct dc_reader base;           /* first member */
	struct dc_csv tok;
	struct dc_csv_record rec;
	int pending;                     /* rec holds the first row of the next encounter */
	int done;
	int status;                      /* a negative status to return after the last encounter */
	int id_col;                      /* input column of encounter_id */
	int colidx[DC_COL_COUNT];        /* canonical -> input column, or -1 */
	int used[DC_CSV_MAX_FIELDS];     /* input column is canonical (UTF-8 checked) */
	unsigned long from[DC_E_COUNT];  /* line each encounter-level value was taken from */
};

static const struct dc_reader_ops csv_ops;

static struct csv_reader *csv_downcast(struct dc_reader *r)
{
	if (r->ops != &csv_ops)
		DC_BUG("not a csv reader");
	return (struct csv_reader *)r;
}

char *dc_header_normalise(char *s)
{
	char *p = s;
	while (isspace((unsigned char)*p))
		p++;
	size_t n = strlen(p);
	while (n && isspace((unsigned char)p[n - 1]))
		n--;
	memmove(s, p, n);
	s[n] = '\0';
	for (char *q = s; *q; q++)
		*q = (char)tolower((unsigned char)*q);
	return s;
}

static int utf8_valid(const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s, *e = p + n;
	while (p < e) {
		/* ASCII runs eight bytes at a time */
		while (e - p >= 8) {
			uint64_t w;
			memcpy(&w, p, 8);
			if (w & 0x8080808080808080ULL)
				break;
			p += 8;
		}
		if (p == e)
			break;
		unsigned c = *p;
		if (c < 0x80) {
			p++;
			continue;
		}
		int k;
		unsigned min;
		if ((c & 0xE0) == 0xC0) { k = 1; min = 0x80; c &= 0x1F; }
		else if ((c & 0xF0) == 0xE0) { k = 2; min = 0x800; c &= 0x0F; }
		else if ((c & 0xF8) == 0xF0) { k = 3; min = 0x10000; c &= 0x07; }
		else return 0;
		if (e - p <= k)
			return 0;
		for (int i = 1; i <= k; i++) {
			if ((p[i] & 0xC0) != 0x80)
				return 0;
			c = c << 6 | (p[i] & 0x3F);
		}
		if (c < min || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF))
			return 0;
		p += k + 1;
	}
	return 1;
}

static void reject(struct csv_reader *cr, unsigned long line, const char *error,
		   const char *raw, size_t rawlen)
{
	struct dc_reader *r = &cr->base;
	r->rows++;
	r->rejected_rows++;
	if (r->rejects.reject)
		r->rejects.reject(r->rejects.ctx, r->in->name, line, error, raw, rawlen);
}

/* isspace() in the C locale, the program's, without a call per byte */
static inline int blank(unsigned char c)
{
	return c == ' ' || (c >= '\t' && c <= '\r');
}

/* Trimmed copy (or the same pointer when nothing to trim). */
static const char *trimmed(struct dc_arena *a, const char *s, size_t n)
{
	size_t b = 0, e = n;
	while (b < e && blank((unsigned char)s[b]))
		b++;
	while (e > b && blank((unsigned char)s[e - 1]))
		e--;
	if (b == 0 && e == n)
		return s;
	return dc_arena_strndup(a, s + b, e - b);
}

/* Normalised form for the conflicting-value check. */
static void norm(int col, const char *s, char *out, size_t cap)
{
	size_t o = 0;
	int32_t days;
	if ((col == DC_E_SERVICE_DATE || col == DC_E_PATIENT_DOB || col == DC_E_SUBSCRIBER_DOB) &&
	    dc_date_parse(s, &days) == 0) {
		dc_date_format(days, out, cap);
		return;
	}
	int code = col == DC_E_DIAGNOSIS_CODES;
	int space = 0;
	for (; *s && o + 1 < cap; s++) {
		unsigned char c = (unsigned char)*s;
		if (code && (c == '.' || c == ' '))
			continue;
		if (code && c == '|')
			c = ';';
		if (isspace(c)) {
			space = 1;
			continue;
		}
		if (space && o) {
			out[o++] = ' ';
			if (o + 1 >= cap)
				break;
		}
		space = 0;
		out[o++] = (char)tolower(c);
	}
	out[o] = '\0';
}

static int same_value(int col, const char *a, const char *b)
{
	char na[512], nb[512];
	if (strcmp(a, b) == 0)
		return 1;
	norm(col, a, na, sizeof na);
	norm(col, b, nb, sizeof nb);
	return strcmp(na, nb) == 0;
}

/* Checks the row's shape; returns an error text or NULL. */
static const char *row_problem(struct csv_reader *cr, const struct dc_csv_record *rec,
			       char *buf, size_t cap)
{
	struct dc_reader *r = &cr->base;
	/*
	 * More fields than the header, even empty ones: an unquoted comma
	 * shifts every value after it into the next column's name.
	 */
	if (rec->nfields > r->ncols) {
		snprintf(buf, cap, "row has %zu fields, the header has %zu", rec->nfields, r->ncols);
		return buf;
	}
	size_t n = rec->nfields < r->ncols ? rec->nfields : r->ncols;
	for (size_t i = 0; i < n; i++)
		if (cr->used[i] && !utf8_valid(rec->fields[i], rec->lens[i])) {
			snprintf(buf, cap, "invalid UTF-8 in column '%s'", r->colnames[i]);
			return buf;
		}
	if ((size_t)cr->id_col >= rec->nfields)
		return "row has no encounter_id";
	const char *id = rec->fields[cr->id_col];
	size_t idlen = rec->lens[cr->id_col];
	size_t b = 0, e = idlen;
	while (b < e && isspace((unsigned char)id[b]))
		b++;
	while (e > b && isspace((unsigned char)id[e - 1]))
		e--;
	if (b == e)
		return "row has no encounter_id";
	for (size_t i = b; i < e; i++)
		if ((unsigned char)id[i] < 0x20)
			return "encounter_id has control characters";
	return NULL;
}

/* Reads the next readable row into cr->rec: 1, 0 at end, or negative. */
static int read_row(struct csv_reader *cr)
{
	for (;;) {
		int rc = dc_csv_next(&cr->tok, &cr->rec);
		if (rc == DC_ERR_RECORD) {
			reject(cr, cr->rec.line, cr->rec.error, cr->rec.raw, cr->rec.rawlen);
			continue;
		}
		if (rc < 0) {
			/* an input error: what was read of the last record is lost with it */
			if (cr->rec.rawlen)
				reject(cr, cr->rec.line, "record cut off by an unreadable input",
				       cr->rec.raw, cr->rec.rawlen);
			return rc;
		}
		if (rc == 0)
			return 0;
		char buf[256];
		const char *bad = row_problem(cr, &cr->rec, buf, sizeof buf);
		if (bad) {
			reject(cr, cr->rec.line, bad, cr->rec.raw, cr->rec.rawlen);
			continue;
		}
		return 1;
	}
}

static const char *field(const struct dc_csv_record *rec, int col, size_t *len)
{
	if (col < 0 || (size_t)col >= rec->nfields) {
		*len = 0;
		return "";
	}
	*len = rec->lens[col];
	return rec->fields[col];
}

#define MAX_ITEMS 10000

static void add_row(struct csv_reader *cr, struct dc_encounter *enc, struct dc_arena *a,
		    size_t *cap)
{
	struct dc_reader *r = &cr->base;
	const struct dc_csv_record *rec = &cr->rec;
	r->rows++;
	if (enc->nitems == MAX_ITEMS) {
		/* bounded memory: the rest of an oversized encounter is rejected row by row */
		r->rows--;
		reject(cr, rec->line, "encounter has more than 10000 rows", rec->raw, rec->rawlen);
		if (enc->hold == DC_HOLD_NONE) {
			enc->hold = DC_HOLD_INVALID_FIELD;
			enc->hold_reason = "encounter has more than 10000 rows";
		}
		return;
	}
	if (enc->nitems == *cap) {
		size_t ncap = *cap ? *cap * 2 : 8;
		/* not zeroed: each item is, as it is added */
		struct dc_item *ni = dc_arena_alloc_raw(a, ncap * sizeof *ni);
		if (enc->nitems)
			memcpy(ni, enc->items, enc->nitems * sizeof *ni);
		enc->items = ni;
		*cap = ncap;
	}
	struct dc_item *it = &enc->items[enc->nitems++];
	memset(it, 0, sizeof *it);
	it->line = rec->line;
	it->nraw = r->ncols;
	/* both filled below, every column */
	it->raw = dc_arena_alloc_raw(a, r->ncols * sizeof *it->raw);
	size_t *lens = dc_arena_alloc_raw(a, r->ncols * sizeof *lens);
	/*
	 * The tokenizer keeps a record's fields contiguous, NUL-separated: one
	 * copy of the block serves every field (rather than one per field).
	 */
	size_t nf = rec->nfields < r->ncols ? rec->nfields : r->ncols;
	if (nf) {
		const char *first = rec->fields[0];
		size_t block = (size_t)(rec->fields[nf - 1] - first) + rec->lens[nf - 1] + 1;
		char *copy = dc_arena_alloc_raw(a, block);
		memcpy(copy, first, block);
		for (size_t i = 0; i < nf; i++) {
			it->raw[i] = copy + (rec->fields[i] - first);
			lens[i] = rec->lens[i];
		}
	}
	for (size_t i = nf; i < r->ncols; i++) {
		it->raw[i] = "";
		lens[i] = 0;
	}
	for (int k = 0; k < DC_I_COUNT; k++) {
		int col = cr->colidx[DC_E_COUNT + k];
		it->f[k] = col < 0 ? "" : trimmed(a, it->raw[col], lens[col]);
	}
	if (enc->nitems == 1)
		enc->first_line = rec->line;
	enc->last_line = rec->last_line;
	for (int k = 0; k < DC_E_COUNT; k++) {
		int col = cr->colidx[k];
		if (col < 0)
			continue;
		const char *v = trimmed(a, it->raw[col], lens[col]);
		if (!*v)
			continue;
		if (!enc->f[k] || !*enc->f[k]) {
			enc->f[k] = v;
			cr->from[k] = rec->line;
		} else if (!same_value(k, enc->f[k], v) && enc->hold == DC_HOLD_NONE) {
			enc->hold = DC_HOLD_CONFLICTING_FIELDS;
			if (dc_phi_column(k))
				enc->hold_reason = dc_arena_printf(a,
					"column '%s' differs between line %lu and line %lu",
					dc_column_names[k], cr->from[k], rec->line);
			else
				enc->hold_reason = dc_arena_printf(a,
					"column '%s' is '%s' on line %lu and '%s' on line %lu",
					dc_column_names[k], enc->f[k], cr->from[k], v, rec->line);
		}
	}
}

/*
 * After an input error: does what was read of the cut-off record show the
 * id of another encounter (its encounter_id field whole, and different)?
 * If not, the encounter read last may have had more rows there.
 */
static int cut_after(const struct csv_reader *cr, const char *id)
{
	const char *p = cr->rec.raw, *end = p + cr->rec.rawlen;
	for (int col = 0; p < end; col++) {
		const char *e = memchr(p, cr->tok.delim, (size_t)(end - p));
		if (!e || memchr(p, '"', (size_t)(e - p)))
			return 0;   /* the field is cut, or quoted: not known */
		if (col == cr->id_col) {
			while (p < e && isspace((unsigned char)*p))
				p++;
			while (e > p && isspace((unsigned char)e[-1]))
				e--;
			return (size_t)(e - p) != strlen(id) || memcmp(p, id, (size_t)(e - p)) != 0;
		}
		p = e + 1;
	}
	return 0;
}

static int csv_next(struct dc_reader *r, struct dc_encounter *enc, struct dc_arena *a)
{
	struct csv_reader *cr = csv_downcast(r);
	memset(enc, 0, sizeof *enc);
	for (int k = 0; k < DC_E_COUNT; k++)
		enc->f[k] = "";
	if (cr->done)
		return cr->status;
	if (!cr->pending) {
		int rc = read_row(cr);
		if (rc <= 0) {
			cr->done = 1;
			cr->status = 0;
			return rc;
		}
	}
	cr->pending = 0;
	size_t len, cap = 0;
	const char *id0 = field(&cr->rec, cr->id_col, &len);
	const char *id = trimmed(a, dc_arena_strndup(a, id0, len), len);
	add_row(cr, enc, a, &cap);
	for (;;) {
		int rc = read_row(cr);
		if (rc <= 0) {
			cr->done = 1;
			cr->status = rc;
			break;
		}
		const char *nid = field(&cr->rec, cr->id_col, &len);
		size_t b = 0, e = len, idn = strlen(id);
		while (b < e && isspace((unsigned char)nid[b]))
			b++;
		while (e > b && isspace((unsigned char)nid[e - 1]))
			e--;
		if (e - b != idn || memcmp(nid + b, id, idn) != 0) {
			cr->pending = 1;
			break;
		}
		add_row(cr, enc, a, &cap);
	}
	enc->f[DC_E_ENCOUNTER_ID] = id;
	if (cr->status < 0 && enc->hold == DC_HOLD_NONE && !cut_after(cr, id)) {
		/* never billed from part of its rows */
		enc->hold = DC_HOLD_INPUT_ORDER;
		enc->hold_reason = dc_arena_printf(a, "the input is cut off at line %lu, where "
						   "this encounter's rows may go on", cr->rec.line);
	}
	return 1;
}

static void csv_free(struct dc_reader *r)
{
	struct csv_reader *cr = csv_downcast(r);
	dc_csv_release(&cr->tok);
	for (size_t i = 0; i < r->ncols; i++)
		free(r->colnames[i]);
	free(r->colnames);
	free(r->canon);
	free(cr);
}

static const struct dc_reader_ops csv_ops = { "csv", csv_next, csv_free };

/* Columns a held.csv fed back carries; the new held.csv writes them afresh. */
static int regenerated(const char *name)
{
	return !strcmp(name, "hold_category") || !strcmp(name, "hold_reason") ||
	       !strcmp(name, "source") || !strcmp(name, "source_line");
}

struct dc_reader *dc_csv_reader_new(struct dc_input *in, char delim,
				    const struct dc_colmap *map, struct dc_diag_sink *ds,
				    struct dc_reject_sink rejects)
{
	struct csv_reader *cr = dc_xcalloc(1, sizeof *cr);
	struct dc_reader *r = &cr->base;
	r->ops = &csv_ops;
	r->in = in;
	r->ds = ds;
	r->rejects = rejects;
	dc_csv_init(&cr->tok, in, delim);
	for (int k = 0; k < DC_COL_COUNT; k++)
		cr->colidx[k] = -1;

	/* UTF-16 text would read as NUL bytes in every field: say what it is */
	while (dc_input_avail(in) < 2 && dc_input_more(in) > 0)
		;
	size_t len;
	const unsigned char *p = dc_input_data(in, &len);
	if (dc_utf16_bom(p, len)) {
		dc_diag_report(ds, DC_SEV_ERROR, DC_ERR_PARSE, in->name, 1,
			       "the extract is UTF-16 text: save it as UTF-8 (byte order mark '%s')",
			       dc_utf16_bom(p, len) == 'L' ? "FF FE" : "FE FF");
		goto fail;
	}

	int rc = dc_csv_next(&cr->tok, &cr->rec);
	if (rc != 1) {
		if (rc == 0)
			dc_diag_report(ds, DC_SEV_ERROR, DC_ERR_PARSE, in->name, 0,
				       "input is empty: no header row");
		else if (rc == DC_ERR_RECORD)
			dc_diag_report(ds, DC_SEV_ERROR, DC_ERR_PARSE, in->name, cr->rec.line,
				       "header row cannot be read: %s", cr->rec.error);
		goto fail;
	}
	r->ncols = cr->rec.nfields;
	r->colnames = dc_xcalloc(r->ncols, sizeof *r->colnames);
	r->canon = dc_xcalloc(r->ncols, sizeof *r->canon);
	for (size_t i = 0; i < r->ncols; i++) {
		if (!utf8_valid(cr->rec.fields[i], cr->rec.lens[i])) {
			dc_diag_report(ds, DC_SEV_ERROR, DC_ERR_PARSE, in->name, cr->rec.line,
				       "header column %zu is not valid UTF-8", i + 1);
			goto fail;
		}
		r->colnames[i] = dc_xstrdup(cr->rec.fields[i]);
		char *name = dc_xstrdup(cr->rec.fields[i]);
		dc_header_normalise(name);
		int canon = -1;
		if (map)
			for (size_t k = 0; k < map->n; k++)
				if (!strcmp(map->alias[k], name))
					canon = map->canon[k];
		if (canon < 0)
			canon = dc_column_lookup(name);
		if (canon < 0 && regenerated(name))
			canon = -2;
		if (canon >= 0 && cr->colidx[canon] >= 0) {
			dc_diag_report(ds, DC_SEV_ERROR, DC_ERR_PARSE, in->name, cr->rec.line,
				       "column '%s' appears twice in the header",
				       dc_column_names[canon]);
			free(name);
			goto fail;
		}
		if (canon >= 0) {
			cr->colidx[canon] = (int)i;
			cr->used[i] = 1;
		}
		r->canon[i] = canon;
		free(name);
	}
	char missing[512] = "";
	for (size_t k = 0; k < dc_required_header_count; k++) {
		int canon = dc_required_header[k];
		if (cr->colidx[canon] < 0) {
			size_t n = strlen(missing);
			snprintf(missing + n, sizeof missing - n, "%s'%s'", n ? ", " : "",
				 dc_column_names[canon]);
		}
	}
	if (missing[0]) {
		dc_diag_report(ds, DC_SEV_ERROR, DC_ERR_PARSE, in->name, cr->rec.line,
			       "missing required columns %s", missing);
		goto fail;
	}
	cr->id_col = cr->colidx[DC_E_ENCOUNTER_ID];
	return r;
fail:
	if (r->colnames)
		for (size_t i = 0; i < r->ncols; i++)
			free(r->colnames[i]);
	free(r->colnames);
	free(r->canon);
	dc_csv_release(&cr->tok);
	free(cr);
	return NULL;
}

int dc_colmap_load(struct dc_colmap *m, const char *path, struct dc_diag_sink *ds)
{
	memset(m, 0, sizeof *m);
	FILE *f = fopen(path, "r");
	if (!f) {
		int e = errno;
		return dc_diag_syserr(ds, DC_ERR_USAGE, path, e, "cannot open column map");
	}
	char line[1024];
	unsigned long lineno = 0;
	int rc = DC_OK;
	while (fgets(line, sizeof line, f)) {
		lineno++;
		char *hash = strchr(line, '#');
		if (hash)
			*hash = '\0';
		char *eq = strchr(line, '=');
		if (eq)
			*eq = '\0';
		char *canon = dc_header_normalise(line);
		if (!canon[0] && !eq)
			continue;
		if (!eq) {
			rc = dc_diag_report(ds, DC_SEV_ERROR, DC_ERR_USAGE, path, lineno,
					    "expected 'canonical_name = their_name' '%s'", canon);
			break;
		}
		char *alias = dc_header_normalise(eq + 1);
		int k = dc_column_lookup(canon);
		if (k < 0 || !alias[0]) {
			rc = dc_diag_report(ds, DC_SEV_ERROR, DC_ERR_USAGE, path, lineno,
					    k < 0 ? "unknown canonical column '%s'"
						  : "empty alias for column '%s'", canon);
			break;
		}
		m->alias = dc_xrealloc(m->alias, (m->n + 1) * sizeof *m->alias);
		m->canon = dc_xrealloc(m->canon, (m->n + 1) * sizeof *m->canon);
		m->alias[m->n] = dc_xstrdup(alias);
		m->canon[m->n] = k;
		m->n++;
	}
	fclose(f);
	if (rc != DC_OK)
		dc_colmap_release(m);
	return rc;
}

void dc_colmap_release(struct dc_colmap *m)
{
	for (size_t i = 0; i < m->n; i++)
		free(m->alias[i]);
	free(m->alias);
	free(m->canon);
	memset(m, 0, sizeof *m);
}
