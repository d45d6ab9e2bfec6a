/*
 * `dripcode rules import-asp`: rewrites us/drugs.csv billing units and
 * us/ndc.csv from the CMS ASP pricing file and NDC-HCPCS crosswalk.
 *
 * The CMS files are read whole into memory (the crosswalk is a few MB),
 * transcoded to UTF-8, then tokenised with the RFC 4180 reader. The header
 * row is found by its content, the columns by name patterns, and the code
 * column by the values it holds, so the yearly renames ("_2025_CODE",
 * "_2026_CODE", "HCPCS Code") need no change here.
 *
 * The rules reproduce tools/build-us-rulesets.py for the codes of drugs.csv:
 * the same dosage parsing, NDC normalisation, ndc_unit derivation, package
 * size corrections of fixed-volume fluids and choice of code for an NDC listed
 * under several codes. Where the generator uses curated lists (which codes
 * are fluids, their bag sizes), this reads them from drugs.csv.
 */
#include "rulesets/import_asp.h"
#include "engine/arena.h"
#include "engine/buf.h"
#include "engine/dc_status.h"
#include "engine/input.h"
#include "engine/output.h"
#include "engine/value.h"
#include "parsers/csv.h"

#include <ctype.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* ------------------------------------------------------------------------ */
/* small string helpers                                                      */

static char *xstrndup(const char *s, size_t n)
{
	char *p = dc_xmalloc(n + 1);
	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

static int is_space(unsigned char c)
{
	/* ASCII whitespace and the separators Python's str.split() also breaks on */
	return c == ' ' || (c >= '\t' && c <= '\r') || (c >= 0x1c && c <= 0x1f);
}

/* A trimmed copy of |s|. */
static char *trim_dup(const char *s)
{
	size_t n = strlen(s);
	while (n && is_space((unsigned char)*s)) {
		s++;
		n--;
	}
	while (n && is_space((unsigned char)s[n - 1]))
		n--;
	return xstrndup(s, n);
}

/* Words of |s| joined by one space (Python's " ".join(s.split())). */
static char *collapse_ws(const char *s)
{
	struct dc_buf b;
	dc_buf_init(&b);
	for (const char *p = s; *p;) {
		while (*p && is_space((unsigned char)*p))
			p++;
		if (!*p)
			break;
		if (b.len)
			dc_buf_addc(&b, ' ');
		const char *q = p;
		while (*q && !is_space((unsigned char)*q))
			q++;
		dc_buf_add(&b, p, (size_t)(q - p));
		p = q;
	}
	return b.p;
}

/* Lowercase letters and digits only: "HCPCS Code Dosage" -> "hcpcscodedosage". */
static void norm_name(const char *s, char *out, size_t n)
{
	size_t k = 0;
	for (; *s && k + 1 < n; s++)
		if (isalnum((unsigned char)*s))
			out[k++] = (char)tolower((unsigned char)*s);
	out[k] = '\0';
}

static int ci_prefix(const char *s, const char *prefix)
{
	for (; *prefix; s++, prefix++)
		if (tolower((unsigned char)*s) != tolower((unsigned char)*prefix))
			return 0;
	return 1;
}

static const char *ci_strstr(const char *s, const char *needle)
{
	for (; *s; s++)
		if (ci_prefix(s, needle))
			return s;
	return NULL;
}

/* A HCPCS/CPT-shaped code: 5 letters or digits with digits in the middle. */
static int hcpcs_form(const char *s)
{
	if (strlen(s) != 5)
		return 0;
	for (int i = 0; i < 5; i++)
		if (!isalnum((unsigned char)s[i]))
			return 0;
	for (int i = 1; i < 4; i++)
		if (!isdigit((unsigned char)s[i]))
			return 0;
	return 1;
}

/*
 * Canonical text of a plain decimal, as Python's Decimal gives it in the
 * generator: "1000.0" -> "1000", "0.50" -> "0.5", ".5" -> "0.5". Done on
 * the digits, so any precision is exact. Returns 0, or -1 when |s| is not
 * [digits][.digits].
 */
static int dec_text(const char *s, char *out, size_t n)
{
	const char *p = s, *dot = NULL;
	size_t digits = 0;
	for (; *p; p++) {
		if (*p == '.' && !dot)
			dot = p;
		else if (isdigit((unsigned char)*p))
			digits++;
		else
			return -1;
	}
	if (!digits)
		return -1;
	const char *ie = dot ? dot : p;
	const char *i0 = s;
	while (i0 < ie - 1 && *i0 == '0')
		i0++;
	size_t ilen = (size_t)(ie - i0);
	const char *f0 = dot ? dot + 1 : p, *fe = p;
	while (fe > f0 && fe[-1] == '0')
		fe--;
	size_t flen = (size_t)(fe - f0);
	if (ilen + flen + 3 > n)
		return -1;
	size_t k = 0;
	if (ilen == 0)
		out[k++] = '0';
	memcpy(out + k, i0, ilen);
	k += ilen;
	if (flen) {
		out[k++] = '.';
		memcpy(out + k, f0, flen);
		k += flen;
	}
	out[k] = '\0';
	return 0;
}

/* ------------------------------------------------------------------------ */
/* reading files                                                             */

/* All of |path| (gunzipped when gzip) in a NUL-terminated heap buffer. */
static int slurp(const char *path, struct dc_buf *b, struct dc_diag_sink *ds)
{
	struct dc_input in;
	dc_buf_init(b);
	if (dc_input_open_file(&in, path, ds) < 0) {
		dc_input_close(&in);
		return DC_ERR_USAGE;
	}
	for (;;) {
		long n = dc_input_more(&in);
		size_t len;
		const unsigned char *p = dc_input_data(&in, &len);
		if (len) {
			dc_buf_add(b, p, len);
			dc_input_consume(&in, len);
		}
		if (n < 0) {
			dc_input_close(&in);
			return DC_ERR_USAGE;   /* reported by the input */
		}
		if (n == 0)
			break;
	}
	dc_input_close(&in);
	return DC_OK;
}

static int utf8_valid(const unsigned char *p, size_t n)
{
	size_t i = 0;
	while (i < n) {
		unsigned char c = p[i];
		size_t k;
		uint32_t cp;
		if (c < 0x80) {
			i++;
			continue;
		}
		if (c >= 0xC2 && c <= 0xDF) {
			k = 1;
			cp = c & 0x1F;
		} else if (c >= 0xE0 && c <= 0xEF) {
			k = 2;
			cp = c & 0x0F;
		} else if (c >= 0xF0 && c <= 0xF4) {
			k = 3;
			cp = c & 0x07;
		} else {
			return 0;
		}
		if (n - i <= k)
			return 0;
		for (size_t j = 1; j <= k; j++) {
			if ((p[i + j] & 0xC0) != 0x80)
				return 0;
			cp = cp << 6 | (p[i + j] & 0x3F);
		}
		if ((k == 2 && (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF))) ||
		    (k == 3 && (cp < 0x10000 || cp > 0x10FFFF)))
			return 0;
		i += k + 1;
	}
	return 1;
}

/* Windows-1252 0x80-0x9F; the five undefined bytes become U+FFFD. */
static const uint16_t cp1252_c1[32] = {
	0x20AC, 0xFFFD, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021,
	0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, 0xFFFD, 0x017D, 0xFFFD,
	0xFFFD, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014,
	0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0xFFFD, 0x017E, 0x0178,
};

static void put_utf8(struct dc_buf *b, uint32_t cp)
{
	char u[3];
	if (cp < 0x800) {
		u[0] = (char)(0xC0 | cp >> 6);
		u[1] = (char)(0x80 | (cp & 0x3F));
		dc_buf_add(b, u, 2);
	} else {
		u[0] = (char)(0xE0 | cp >> 12);
		u[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
		u[2] = (char)(0x80 | (cp & 0x3F));
		dc_buf_add(b, u, 3);
	}
}

/*
 * The input layer does not transcode, so it is done here, before tokenising:
 * a file with a UTF-8 byte-order mark or that is valid UTF-8 throughout is
 * taken as UTF-8, anything else as Windows-1252 (what CMS publishes; the
 * generator decides the same way). The separators and quotes are ASCII in
 * both, so the CSV structure is unchanged. A no-break space (0xA0, which CMS
 * leaves after names and inside "1 million PFU") becomes a plain space, as in
 * the generator. Returns 1 when the bytes were Windows-1252.
 */
static int to_utf8(const struct dc_buf *raw, struct dc_buf *out)
{
	const unsigned char *p = (const unsigned char *)raw->p;
	size_t n = raw->len;
	if (n >= 3 && p[0] == 0xEF && p[1] == 0xBB && p[2] == 0xBF) {
		p += 3;
		n -= 3;
	}
	int utf8 = utf8_valid(p, n);
	dc_buf_init(out);
	for (size_t i = 0; i < n; i++) {
		unsigned char c = p[i];
		if (c < 0x80)
			dc_buf_addc(out, (char)c);
		else if (utf8) {
			if (c == 0xC2 && i + 1 < n && p[i + 1] == 0xA0) {
				dc_buf_addc(out, ' ');
				i++;
			} else {
				dc_buf_addc(out, (char)c);
			}
		} else if (c == 0xA0)
			dc_buf_addc(out, ' ');
		else if (c < 0xA0)
			put_utf8(out, cp1252_c1[c - 0x80]);
		else
			put_utf8(out, c);
	}
	return !utf8;
}

/* ------------------------------------------------------------------------ */
/* a rules table kept as written: comment lines, header, rows                */

struct trow {
	char **f;                  /* fields as read (owned) */
	size_t nf;
	char *comment;             /* a '#' line after the header, verbatim; f is NULL */
	unsigned long line;
};

struct table {
	const char *path;
	int present;
	char **pre;                /* lines before the header (comments), without '\n' */
	size_t npre;
	char **hdr;                /* trimmed column names */
	size_t nhdr;
	unsigned long hdr_line;
	struct trow *rows;
	size_t nrows, cap;
};

static void push_str(char ***v, size_t *n, char *s)
{
	*v = dc_xrealloc(*v, (*n + 1) * sizeof **v);
	(*v)[(*n)++] = s;
}

static void table_release(struct table *t)
{
	for (size_t i = 0; i < t->npre; i++)
		free(t->pre[i]);
	free(t->pre);
	for (size_t i = 0; i < t->nhdr; i++)
		free(t->hdr[i]);
	free(t->hdr);
	for (size_t i = 0; i < t->nrows; i++) {
		for (size_t j = 0; j < t->rows[i].nf; j++)
			free(t->rows[i].f[j]);
		free(t->rows[i].f);
		free(t->rows[i].comment);
	}
	free(t->rows);
	memset(t, 0, sizeof *t);
}

static int table_col(const struct table *t, const char *name)
{
	for (size_t i = 0; i < t->nhdr; i++)
		if (!strcmp(t->hdr[i], name))
			return (int)i;
	return -1;
}

static const char *row_get(const struct trow *r, int col)
{
	return col >= 0 && (size_t)col < r->nf ? r->f[col] : "";
}

/* Sets a field, growing the row to |col| + 1 fields when needed. */
static void row_set(struct trow *r, int col, const char *v)
{
	if ((size_t)col >= r->nf) {
		r->f = dc_xrealloc(r->f, ((size_t)col + 1) * sizeof *r->f);
		while (r->nf <= (size_t)col)
			r->f[r->nf++] = dc_xstrdup("");
	}
	free(r->f[col]);
	r->f[col] = dc_xstrdup(v);
}

/*
 * Reads a rules table as the loader does (rules.c), but keeps what the loader
 * throws away so it can be written back: the comment lines before the header
 * are split off by hand, byte for byte (a comment may hold quotes, which the
 * CSV reader would take as quoting); later comment lines are kept from the
 * record's raw text. Returns 0, 1 when the file does not exist, or
 * DC_ERR_USAGE.
 */
static int table_read(struct table *t, const char *path, struct dc_diag_sink *ds)
{
	memset(t, 0, sizeof *t);
	t->path = path;
	struct stat st;
	if (stat(path, &st) != 0 && errno == ENOENT)
		return 1;
	struct dc_buf raw;
	if (slurp(path, &raw, ds) < 0) {
		dc_buf_release(&raw);
		return DC_ERR_USAGE;
	}
	t->present = 1;
	const char *p = raw.p, *end = raw.p + raw.len;
	if (raw.len >= 3 && !memcmp(p, "\xEF\xBB\xBF", 3))
		p += 3;
	unsigned long lines = 0;
	while (p < end && *p == '#') {
		const char *e = p;
		while (e < end && *e != '\n' && *e != '\r')
			e++;
		push_str(&t->pre, &t->npre, xstrndup(p, (size_t)(e - p)));
		lines++;
		if (e < end && *e == '\r') {
			e++;
			if (e < end && *e == '\n')
				e++;
		} else if (e < end && *e == '\n') {
			e++;
		}
		p = e;
	}
	struct dc_input in;
	dc_input_open_mem(&in, path, p, (size_t)(end - p), 0, ds);
	struct dc_csv csv;
	struct dc_csv_record rec;
	dc_csv_init(&csv, &in, ',');
	int rc = DC_OK, have_header = 0;
	for (;;) {
		int r = dc_csv_next(&csv, &rec);
		if (r == 0)
			break;
		if (r < 0) {
			rc = dc_diag_report(ds, DC_SEV_ERROR, DC_ERR_USAGE, path, rec.line + lines,
					    "cannot read table row: %s",
					    rec.error ? rec.error : "input error");
			break;
		}
		unsigned long line = rec.line + lines;
		if (rec.nfields >= 1 && rec.fields[0][0] == '#') {
			if (!have_header) {
				/* a comment after blank lines: still before the header */
				push_str(&t->pre, &t->npre, xstrndup(rec.raw, rec.rawlen));
				continue;
			}
			struct dc_buf c;
			dc_buf_init(&c);
			if (rec.rawlen < DC_CSV_RAW_KEEP) {
				dc_buf_add(&c, rec.raw, rec.rawlen);
			} else {
				/* too long to have been kept raw: rebuild it */
				for (size_t i = 0; i < rec.nfields; i++) {
					if (i)
						dc_buf_addc(&c, ',');
					dc_buf_csv(&c, rec.fields[i]);
				}
			}
			if (t->nrows == t->cap) {
				t->cap = t->cap ? t->cap * 2 : 128;
				t->rows = dc_xrealloc(t->rows, t->cap * sizeof *t->rows);
			}
			t->rows[t->nrows++] = (struct trow){ NULL, 0, c.p, line };
			continue;
		}
		if (!have_header) {
			have_header = 1;
			t->hdr_line = line;
			for (size_t i = 0; i < rec.nfields; i++)
				push_str(&t->hdr, &t->nhdr, trim_dup(rec.fields[i]));
			continue;
		}
		if (t->nrows == t->cap) {
			t->cap = t->cap ? t->cap * 2 : 128;
			t->rows = dc_xrealloc(t->rows, t->cap * sizeof *t->rows);
		}
		struct trow *row = &t->rows[t->nrows++];
		row->comment = NULL;
		row->line = line;
		row->nf = rec.nfields;
		row->f = dc_xmalloc((rec.nfields ? rec.nfields : 1) * sizeof *row->f);
		for (size_t i = 0; i < rec.nfields; i++)
			row->f[i] = xstrndup(rec.fields[i], rec.lens[i]);
	}
	dc_csv_release(&csv);
	dc_input_close(&in);
	dc_buf_release(&raw);
	if (rc == DC_OK && !have_header)
		rc = dc_diag_report(ds, DC_SEV_ERROR, DC_ERR_USAGE, path, 0,
				    "table has no header row");
	return rc;
}

/* Comment text without the '#' and one space: "# source: x" -> "source: x". */
static const char *comment_text(const char *line)
{
	if (*line == '#')
		line++;
	if (*line == ' ')
		line++;
	return line;
}

static char *comment_line(const char *text)
{
	size_t n = strlen(text) + 3;
	char *s = dc_xmalloc(n);
	snprintf(s, n, "# %s", text);
	return s;
}

static void table_write(const struct table *t, struct dc_out *o)
{
	struct dc_buf b;
	dc_buf_init(&b);
	for (size_t i = 0; i < t->npre; i++) {
		dc_out_puts(o, t->pre[i]);
		dc_out_putc(o, '\n');
	}
	for (size_t i = 0; i < t->nhdr; i++) {
		if (i)
			dc_buf_addc(&b, ',');
		dc_buf_csv(&b, t->hdr[i]);
	}
	dc_buf_addc(&b, '\n');
	dc_out_write(o, b.p, b.len);
	for (size_t r = 0; r < t->nrows; r++) {
		dc_buf_reset(&b);
		const struct trow *row = &t->rows[r];
		if (row->comment) {
			dc_buf_adds(&b, row->comment);
		} else {
			for (size_t i = 0; i < row->nf; i++) {
				if (i)
					dc_buf_addc(&b, ',');
				dc_buf_csv(&b, row->f[i]);
			}
		}
		dc_buf_addc(&b, '\n');
		dc_out_write(o, b.p, b.len);
	}
	dc_buf_release(&b);
}

/* ------------------------------------------------------------------------ */
/* the CMS files                                                             */

enum { X_DOSAGE, X_NDC, X_NAME, X_SIZE, X_QTY, X_BU, X_NCOLS };
#define MAX_CAND 4

struct cms_row {
	unsigned long line;
	char *cand[MAX_CAND];      /* values of the code column candidates (trimmed, upper) */
	char *v[X_NCOLS];          /* trimmed values, NULL when the column is absent */
};

struct cms {
	const char *path;
	int cp1252;
	unsigned long hdr_line;
	char *effective, *title;   /* metadata above the header, collapsed; may be NULL */
	char *cand_name[MAX_CAND];
	int cand_col[MAX_CAND], ncand, code;   /* code: the chosen candidate */
	char *col_name[X_NCOLS];
	int col[X_NCOLS];
	struct cms_row *rows;
	size_t nrows, cap;
};

static void cms_release(struct cms *c)
{
	free(c->effective);
	free(c->title);
	for (int i = 0; i < MAX_CAND; i++)
		free(c->cand_name[i]);
	for (int i = 0; i < X_NCOLS; i++)
		free(c->col_name[i]);
	for (size_t r = 0; r < c->nrows; r++) {
		for (int i = 0; i < MAX_CAND; i++)
			free(c->rows[r].cand[i]);
		for (int i = 0; i < X_NCOLS; i++)
			free(c->rows[r].v[i]);
	}
	free(c->rows);
	memset(c, 0, sizeof *c);
}

/*
 * Column name patterns, on the name reduced to lowercase letters and digits.
 * The code column is any name with "code" in it that is not the dosage, NDC
 * or description column ("HCPCS Code", "_2025_CODE", "_2026_CODE"); which of
 * several such columns holds the codes is decided by their values.
 */
static int name_is_code(const char *n)
{
	return strstr(n, "code") && !strstr(n, "dosage") && !strstr(n, "ndc") &&
	       !strstr(n, "desc");
}

static int name_match(int col, const char *n)
{
	switch (col) {
	case X_DOSAGE:
		return strstr(n, "dosage") != NULL;
	case X_NDC:
		return !strcmp(n, "ndc2") || !strcmp(n, "ndc") || !strcmp(n, "ndc11") ||
		       !strcmp(n, "ndc10");
	case X_NAME:
		return !strcmp(n, "drugname") || !strcmp(n, "productname");
	case X_SIZE:
		return !strcmp(n, "pkgsize") || !strcmp(n, "packagesize");
	case X_QTY:
		return !strcmp(n, "pkgqty") || !strcmp(n, "packageqty") ||
		       !strcmp(n, "packagequantity") || !strcmp(n, "pkgquantity");
	case X_BU:
		/* billable units per item; BILLUNITSPKG (per NDC) is another column */
		return !strcmp(n, "billunits") || !strcmp(n, "billableunits") ||
		       !strcmp(n, "billunitsperitem") || !strcmp(n, "billableunitsperitem");
	}
	return 0;
}

static const char *const col_what[X_NCOLS] = {
	"a dosage column ('HCPCS Code Dosage')", "an NDC column ('NDC2')",
	"a 'Drug Name' column", "a 'PKG SIZE' column", "a 'PKG QTY' column",
	"a 'BILLUNITS' column",
};

/* Longer cells are titles and notes, never column names. */
#define MAX_NAME_LEN 64

/*
 * Whether |rec| is the header: it names a code column and every column in
 * |need| (a bit set over X_*). Fills the column indexes when it is.
 */
static int is_header(struct cms *c, const struct dc_csv_record *rec, unsigned need)
{
	int cand[MAX_CAND], ncand = 0, col[X_NCOLS];
	for (int i = 0; i < X_NCOLS; i++)
		col[i] = -1;
	for (size_t f = 0; f < rec->nfields; f++) {
		if (rec->lens[f] == 0 || rec->lens[f] > MAX_NAME_LEN)
			continue;
		char n[MAX_NAME_LEN + 1];
		norm_name(rec->fields[f], n, sizeof n);
		if (!*n)
			continue;
		if (name_is_code(n) && ncand < MAX_CAND)
			cand[ncand++] = (int)f;
		for (int i = 0; i < X_NCOLS; i++)
			if (col[i] < 0 && name_match(i, n))
				col[i] = (int)f;
	}
	/* the first two wanted columns of the file identify its header row */
	unsigned key = need & ((1u << X_DOSAGE) | (1u << X_NDC) | (1u << X_BU));
	if (!ncand)
		return 0;
	for (int i = 0; i < X_NCOLS; i++)
		if ((key >> i & 1) && col[i] < 0)
			return 0;
	c->ncand = ncand;
	for (int i = 0; i < ncand; i++) {
		c->cand_col[i] = cand[i];
		c->cand_name[i] = trim_dup(rec->fields[cand[i]]);
	}
	for (int i = 0; i < X_NCOLS; i++) {
		c->col[i] = col[i];
		c->col_name[i] = col[i] >= 0 ? trim_dup(rec->fields[col[i]]) : NULL;
	}
	return 1;
}

static char *field_dup(const struct dc_csv_record *rec, int col, int upper)
{
	if (col < 0 || (size_t)col >= rec->nfields)
		return dc_xstrdup("");
	char *s = trim_dup(rec->fields[col]);
	if (upper)
		for (char *p = s; *p; p++)
			*p = (char)toupper((unsigned char)*p);
	return s;
}

/*
 * Reads a CMS file: |need| are the columns it must have (X_* bits), |what| the
 * file's kind for messages. Returns 0 or DC_ERR_USAGE (reported).
 */
static int cms_read(struct cms *c, const char *path, const char *what, unsigned need,
		    struct dc_diag_sink *ds)
{
	memset(c, 0, sizeof *c);
	c->path = path;
	c->code = -1;
	struct dc_buf raw, text;
	if (slurp(path, &raw, ds) < 0) {
		dc_buf_release(&raw);
		return DC_ERR_USAGE;
	}
	c->cp1252 = to_utf8(&raw, &text);
	dc_buf_release(&raw);

	struct dc_input in;
	dc_input_open_mem(&in, path, text.p, text.len, 0, ds);
	struct dc_csv csv;
	struct dc_csv_record rec;
	dc_csv_init(&csv, &in, ',');
	int rc = DC_OK, have_header = 0;
	for (;;) {
		int r = dc_csv_next(&csv, &rec);
		if (r == 0)
			break;
		if (r == DC_ERR_RECORD) {
			dc_diag_report(ds, DC_SEV_WARNING, 0, path, rec.line, "row skipped: %s",
				       rec.error);
			continue;
		}
		if (r < 0) {
			rc = DC_ERR_USAGE;
			break;
		}
		if (!have_header) {
			if (is_header(c, &rec, need)) {
				have_header = 1;
				c->hdr_line = rec.line;
				continue;
			}
			/* metadata above the header: the effective dates and the title */
			for (size_t f = 0; f < rec.nfields; f++) {
				if (!c->effective && ci_strstr(rec.fields[f], "effective"))
					c->effective = collapse_ws(rec.fields[f]);
				if (!c->title && ci_strstr(rec.fields[f], "crosswalk"))
					c->title = collapse_ws(rec.fields[f]);
			}
			continue;
		}
		if (c->nrows == c->cap) {
			c->cap = c->cap ? c->cap * 2 : 1024;
			c->rows = dc_xrealloc(c->rows, c->cap * sizeof *c->rows);
		}
		struct cms_row *row = &c->rows[c->nrows++];
		memset(row, 0, sizeof *row);
		row->line = rec.line;
		for (int i = 0; i < c->ncand; i++)
			row->cand[i] = field_dup(&rec, c->cand_col[i], 1);
		for (int i = 0; i < X_NCOLS; i++)
			if (c->col[i] >= 0)
				row->v[i] = field_dup(&rec, c->col[i], 0);
	}
	dc_csv_release(&csv);
	dc_input_close(&in);
	dc_buf_release(&text);
	if (rc < 0)
		return rc;
	if (!have_header) {
		struct dc_buf w;
		dc_buf_init(&w);
		dc_buf_adds(&w, "a column named like 'HCPCS Code'");
		for (int i = 0; i < X_NCOLS; i++)
			if ((need >> i & 1) && (i == X_DOSAGE || i == X_NDC || i == X_BU)) {
				dc_buf_adds(&w, " and ");
				dc_buf_adds(&w, col_what[i]);
			}
		rc = dc_diag_report(ds, DC_SEV_ERROR, DC_ERR_USAGE, path, 0,
				    "no header row found in the %s: no row names %s", what, w.p);
		dc_buf_release(&w);
		return rc;
	}
	for (int i = 0; i < X_NCOLS; i++)
		if ((need >> i & 1) && c->col[i] < 0)
			return dc_diag_report(ds, DC_SEV_ERROR, DC_ERR_USAGE, path, c->hdr_line,
					      "the %s's header has no %s", what, col_what[i]);
	/* the code column: the candidate holding the most HCPCS-shaped values */
	size_t best = 0;
	for (int i = 0; i < c->ncand; i++) {
		size_t k = 0;
		for (size_t r = 0; r < c->nrows; r++)
			k += hcpcs_form(c->rows[r].cand[i]);
		if (k > best) {
			best = k;
			c->code = i;
		}
	}
	if (c->code < 0)
		return dc_diag_report(ds, DC_SEV_ERROR, DC_ERR_USAGE, path, c->hdr_line,
				      "the %s has no column of HCPCS codes (a column named like "
				      "'HCPCS Code' or '_2025_CODE' holding codes such as J1745)",
				      what);
	return DC_OK;
}

static const char *cms_code(const struct cms *c, size_t r)
{
	return c->rows[r].cand[c->code];
}

/*
 * "Effective October 1, 2025 through December 31, 2025" -> "October 2025
 * (October 1 2025 to December 31 2025)", as the generator's tidy_effective().
 */
static int match_date(const char *s, const char **month, size_t *mlen, const char **day,
		      size_t *dlen, const char **year, const char **end)
{
	const char *p = s;
	while (isalnum((unsigned char)*p) || *p == '_')
		p++;
	if (p == s || *p != ' ')
		return 0;
	*month = s;
	*mlen = (size_t)(p - s);
	p++;
	const char *d = p;
	while (isdigit((unsigned char)*p))
		p++;
	if (p == d || p[0] != ',' || p[1] != ' ')
		return 0;
	*day = d;
	*dlen = (size_t)(p - d);
	p += 2;
	for (int i = 0; i < 4; i++)
		if (!isdigit((unsigned char)p[i]))
			return 0;
	*year = p;
	*end = p + 4;
	return 1;
}

static char *tidy_effective(const char *s)
{
	if (!s)
		return NULL;
	for (const char *p = s; *p; p++) {
		if (p > s && (isalnum((unsigned char)p[-1]) || p[-1] == '_'))
			continue;   /* a word starts here (the regex's leftmost match) */
		const char *m1, *d1, *y1, *e1, *m2, *d2, *y2, *e2;
		size_t ml1, dl1, ml2, dl2;
		if (!match_date(p, &m1, &ml1, &d1, &dl1, &y1, &e1))
			continue;
		if (strncmp(e1, " through ", 9))
			continue;
		if (!match_date(e1 + 9, &m2, &ml2, &d2, &dl2, &y2, &e2))
			continue;
		struct dc_buf b;
		dc_buf_init(&b);
		dc_buf_printf(&b, "%.*s %.4s (%.*s %.*s %.4s to %.*s %.*s %.4s)", (int)ml1, m1, y1,
			      (int)ml1, m1, (int)dl1, d1, y1, (int)ml2, m2, (int)dl2, d2, y2);
		return b.p;
	}
	struct dc_buf b;
	dc_buf_init(&b);
	for (const char *p = s; *p; p++)
		if (*p != ',')
			dc_buf_addc(&b, *p);
	return b.p;
}

/* ------------------------------------------------------------------------ */
/* dosage: "10 MG" -> 10 mg                                                  */

static const struct { const char *cms, *unit; } unit_map[] = {
	{ "MG", "mg" }, { "G", "g" }, { "GM", "g" }, { "GRAM", "g" }, { "MCG", "mcg" },
	{ "ML", "mL" }, { "CC", "mL" }, { "UNIT", "units" }, { "UNITS", "units" },
	{ "U", "units" }, { "IU", "units" }, { "MEQ", "mEq" },
};

/*
 * Parses an ASP dosage ("10 MG", "0.5 MG", "UP TO 1000 CC") into an amount
 * in canonical decimal text and a drugs.csv unit. Returns 0, or -1 for a
 * dosage whose unit is not one drugs.csv allows ("1 EACH", "1 million PFU").
 */
static int parse_dosage(const char *s, char amt[32], const char **unit, int *up_to)
{
	const char *p = s;
	while (is_space((unsigned char)*p))
		p++;
	*up_to = 0;
	if (ci_prefix(p, "up to") && is_space((unsigned char)p[5])) {
		*up_to = 1;
		p += 5;
		while (is_space((unsigned char)*p))
			p++;
	}
	const char *n0 = p;
	while (isdigit((unsigned char)*p) || *p == '.')
		p++;
	char num[32];
	if (p == n0 || (size_t)(p - n0) >= sizeof num)
		return -1;
	memcpy(num, n0, (size_t)(p - n0));
	num[p - n0] = '\0';
	if (num[strlen(num) - 1] == '.' || dec_text(num, amt, 32) < 0)
		return -1;   /* the generator's [0-9]*\.?[0-9]+ */
	while (is_space((unsigned char)*p))
		p++;
	const char *u0 = p;
	while (isalpha((unsigned char)*p))
		p++;
	size_t ulen = (size_t)(p - u0);
	while (is_space((unsigned char)*p))
		p++;
	if (!ulen || *p)
		return -1;
	for (size_t i = 0; i < sizeof unit_map / sizeof *unit_map; i++)
		if (strlen(unit_map[i].cms) == ulen && ci_prefix(u0, unit_map[i].cms)) {
			*unit = unit_map[i].unit;
			return 0;
		}
	return -1;
}

/* ------------------------------------------------------------------------ */
/* the codes of drugs.csv                                                    */

struct code {
	char *code;
	int noc, fluid;            /* noc = Y; category hydration_fluid */
	char *old_amt, *old_unit, *label;
	int priced;                /* in the pricing file */
	unsigned long pline;
	char *dosage;
	int parsed, up_to;         /* dosage understood; "UP TO" in a CMS dosage */
	char amt[32];
	const char *unit;
	int before_unpriced;       /* named as not in the ASP file by the old table */
	struct dc_dec vol;         /* mL of one billing unit, for fixed-volume fluids */
	int fixed;                 /* a fixed-volume fluid (J7030..J7060, not J7120) */
};

static int code_cmp(const void *a, const void *b)
{
	return strcmp(((const struct code *)a)->code, ((const struct code *)b)->code);
}

static struct code *code_find(struct code *v, size_t n, const char *s)
{
	struct code key = { 0 };
	key.code = (char *)s;
	return bsearch(&key, v, n, sizeof *v, code_cmp);
}

/* ------------------------------------------------------------------------ */
/* comment lines the import maintains                                        */

/* Splits at "; " outside parentheses. */
static size_t split_segments(const char *s, char ***out)
{
	size_t n = 0;
	*out = NULL;
	int depth = 0;
	const char *start = s;
	for (const char *p = s;; p++) {
		if (*p == '(')
			depth++;
		else if (*p == ')' && depth)
			depth--;
		if (!*p || (depth == 0 && p[0] == ';' && p[1] == ' ')) {
			push_str(out, &n, xstrndup(start, (size_t)(p - start)));
			if (!*p)
				break;
			start = p + 2;
			p++;
		}
	}
	return n;
}

static void free_segments(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

/* The first HCPCS-shaped word of |s| into |out|; 0 when there is none. */
static int first_code(const char *s, char out[6])
{
	for (const char *p = s; *p; p++) {
		if (p > s && isalnum((unsigned char)p[-1]))
			continue;
		size_t k = 0;
		while (isalnum((unsigned char)p[k]))
			k++;
		if (k == 5 && isupper((unsigned char)p[0])) {
			memcpy(out, p, 5);
			out[5] = '\0';
			if (hcpcs_form(out))
				return 1;
		}
	}
	return 0;
}

#define UNPRICED_PREFIX "not in the ASP file"

/* ------------------------------------------------------------------------ */
/* NDC rows                                                                  */

struct xrow {                  /* a crosswalk row of a code of drugs.csv */
	struct code *code;
	char ndc11[12];
	size_t order;              /* row number in the crosswalk */
	const struct cms_row *src;
};

static int xrow_cmp(const void *a, const void *b)
{
	const struct xrow *x = a, *y = b;
	int c = strcmp(x->ndc11, y->ndc11);
	if (c)
		return c;
	return x->order < y->order ? -1 : x->order > y->order;
}

static const char *const ndc_std[] = {
	"ndc11", "hcpcs", "label", "package_size", "package_qty", "ndc_unit",
	"billunits_per_package",
};
#define NDC_NSTD 7

static const char *const ndc_default_comments[] = {
	"built by dripcode rules import-asp; ndc11 = 5-4-2 without hyphens (4-4-2, 5-3-2 and 5-4-1 get a 0 in front of the short segment)",
	"package_size = PKG SIZE (amount in one item), package_qty = PKG QTY (items in the NDC), billunits_per_package = BILLUNITS (CMS: billable units per package, i.e. per item; per 11-digit NDC it is x package_qty)",
	"ndc_unit rule: hydration fluids ML; other drugs UN when PKG SIZE is 1 (one vial, syringe, kit or implant) and ML otherwise (the crosswalk gives liquid items in mL); GR ME F2 are never derived (set them in a local overlay)",
	"NDC quantity in ndc_unit = HCPCS units / billunits_per_package, times package_size when ndc_unit is ML",
	"label: the crosswalk's product name and pack",
};

struct ndc_old {               /* a row of the old ndc.csv, by ndc11 */
	const char *ndc11;
	const struct trow *row;
};

static int ndc_old_cmp(const void *a, const void *b)
{
	return strcmp(((const struct ndc_old *)a)->ndc11, ((const struct ndc_old *)b)->ndc11);
}

/* bu x vol exactly, when both fit six places; 0 on success. */
static int dec_mul(struct dc_dec a, struct dc_dec b, struct dc_dec *out)
{
	if (a.v < 0 || b.v < 0 || (b.v && a.v > INT64_MAX / b.v))
		return -1;
	int64_t p = a.v * b.v;
	if (p % DC_DEC_SCALE)
		return -1;
	out->v = p / DC_DEC_SCALE;
	return 0;
}

/* ------------------------------------------------------------------------ */

static int make_dir(const char *path, struct dc_diag_sink *ds)
{
	if (mkdir(path, 0755) == 0 || errno == EEXIST)
		return DC_OK;
	return dc_diag_syserr(ds, DC_ERR_IO, path, errno, "cannot create directory");
}

static mode_t file_mode(const char *a, const char *b)
{
	struct stat st;
	if (a && stat(a, &st) == 0)
		return st.st_mode & 0777;
	if (b && stat(b, &st) == 0)
		return st.st_mode & 0777;
	return 0644;
}

static const char *base_name(const char *p)
{
	const char *s = strrchr(p, '/');
	return s ? s + 1 : p;
}

struct ctx {
	FILE *rep;
	struct code *codes;
	size_t ncodes;
};

#define REPORT(cx, ...) do { if ((cx)->rep) fprintf((cx)->rep, __VA_ARGS__); } while (0)

int dc_rules_import_asp(const char *rules_dir, const char *pricing, const char *crosswalk,
			const char *out_dir, FILE *report, struct dc_diag_sink *ds)
{
	struct ctx cx = { report, NULL, 0 };
	struct table drugs, ndc;
	struct cms pr, xw;
	memset(&pr, 0, sizeof pr);
	memset(&xw, 0, sizeof xw);
	memset(&ndc, 0, sizeof ndc);
	struct xrow *xr = NULL;
	size_t nxr = 0;
	struct ndc_old *old = NULL;
	size_t nold = 0;
	char **fixes = NULL, **multi = NULL;
	size_t nfixes = 0, nmulti = 0;
	char *asp_eff = NULL, *xw_eff = NULL, *asp_src = NULL, *xw_src = NULL;
	char drugs_path[4096], ndc_path[4096], out_us[4096];
	int rc;
	if (!out_dir)
		out_dir = rules_dir;

	/* ---- inputs: every one is read before anything is written */
	snprintf(drugs_path, sizeof drugs_path, "%s/us/drugs.csv", rules_dir);
	snprintf(ndc_path, sizeof ndc_path, "%s/us/ndc.csv", rules_dir);
	rc = table_read(&drugs, drugs_path, ds);
	if (rc == 1)
		rc = dc_diag_report(ds, DC_SEV_ERROR, DC_ERR_USAGE, drugs_path, 0,
				    "rules table is missing");
	if (rc < 0)
		goto out;
	int c_code = table_col(&drugs, "hcpcs"), c_amt = table_col(&drugs, "billing_unit_amount");
	int c_unit = table_col(&drugs, "billing_unit"), c_noc = table_col(&drugs, "noc");
	int c_cat = table_col(&drugs, "category"), c_label = table_col(&drugs, "label");
	const char *missing = c_code < 0 ? "hcpcs" : c_amt < 0 ? "billing_unit_amount"
				: c_unit < 0 ? "billing_unit" : NULL;
	if (missing) {
		rc = dc_diag_report(ds, DC_SEV_ERROR, DC_ERR_USAGE, drugs_path, drugs.hdr_line,
				    "column '%s' is missing", missing);
		goto out;
	}
	rc = table_read(&ndc, ndc_path, ds);
	if (rc < 0)
		goto out;
	if ((rc = cms_read(&pr, pricing, "pricing file", 1u << X_DOSAGE, ds)) < 0)
		goto out;
	if ((rc = cms_read(&xw, crosswalk, "crosswalk",
			   (1u << X_NDC) | (1u << X_NAME) | (1u << X_SIZE) | (1u << X_QTY) |
			   (1u << X_BU), ds)) < 0)
		goto out;

	/* ---- the codes of drugs.csv (a code on several rows is one code) */
	for (size_t r = 0; r < drugs.nrows; r++) {
		const struct trow *row = &drugs.rows[r];
		if (row->comment)
			continue;
		char *code = trim_dup(row_get(row, c_code));
		int seen = 0;
		for (size_t i = 0; i < cx.ncodes && !seen; i++)
			seen = !strcmp(cx.codes[i].code, code);
		if (seen || !*code) {
			free(code);
			continue;
		}
		cx.codes = dc_xrealloc(cx.codes, (cx.ncodes + 1) * sizeof *cx.codes);
		struct code *c = &cx.codes[cx.ncodes++];
		memset(c, 0, sizeof *c);
		c->code = code;
		char *v = trim_dup(row_get(row, c_noc));
		c->noc = !strcmp(v, "Y");
		free(v);
		v = trim_dup(row_get(row, c_cat));
		c->fluid = !strcmp(v, "hydration_fluid");
		free(v);
		c->old_amt = trim_dup(row_get(row, c_amt));
		c->old_unit = trim_dup(row_get(row, c_unit));
		c->label = trim_dup(row_get(row, c_label));
	}
	qsort(cx.codes, cx.ncodes, sizeof *cx.codes, code_cmp);

	/* the codes the old table names as not in the ASP file (see below) */
	for (size_t i = 0; i < drugs.npre; i++) {
		const char *t = comment_text(drugs.pre[i]);
		if (strncmp(t, UNPRICED_PREFIX, strlen(UNPRICED_PREFIX)))
			continue;
		char **seg;
		size_t nseg = split_segments(t, &seg);
		for (size_t s = 0; s < nseg; s++) {
			char code[6];
			const char *body = s == 0 && strchr(seg[0], ':') ? strchr(seg[0], ':') : seg[s];
			if (first_code(body, code)) {
				struct code *c = code_find(cx.codes, cx.ncodes, code);
				if (c)
					c->before_unpriced = 1;
			}
		}
		free_segments(seg, nseg);
	}

	/* ---- pricing: the dosage of each code (a repeated code: the last row, as the generator) */
	size_t pr_codes = 0;
	for (size_t r = 0; r < pr.nrows; r++) {
		const char *code = cms_code(&pr, r);
		if (!*code)
			continue;
		pr_codes += hcpcs_form(code);
		struct code *c = code_find(cx.codes, cx.ncodes, code);
		if (!c)
			continue;
		c->priced = 1;
		c->pline = pr.rows[r].line;
		free(c->dosage);
		c->dosage = dc_xstrdup(pr.rows[r].v[X_DOSAGE]);
	}
	for (size_t i = 0; i < cx.ncodes; i++) {
		struct code *c = &cx.codes[i];
		if (c->priced)
			c->parsed = parse_dosage(c->dosage, c->amt, &c->unit, &c->up_to) == 0;
	}

	/* ---- crosswalk rows of our codes */
	size_t xw_skipped = 0, xw_rows = 0;
	for (size_t r = 0; r < xw.nrows; r++) {
		xw_rows += *cms_code(&xw, r) != '\0';
		struct code *c = code_find(cx.codes, cx.ncodes, cms_code(&xw, r));
		if (!c)
			continue;
		const struct cms_row *row = &xw.rows[r];
		char t[32];
		if (dc_ndc_normalise(row->v[X_NDC], (char[12]){ 0 }) < 0) {
			dc_diag_report(ds, DC_SEV_WARNING, 0, crosswalk, row->line,
				       "row skipped: NDC '%s' is not 5-4-2, 4-4-2, 5-3-2, 5-4-1 "
				       "or 11 digits", row->v[X_NDC]);
			xw_skipped++;
			continue;
		}
		if (dec_text(row->v[X_SIZE], t, sizeof t) < 0 ||
		    dec_text(row->v[X_QTY], t, sizeof t) < 0 ||
		    dec_text(row->v[X_BU], t, sizeof t) < 0) {
			dc_diag_report(ds, DC_SEV_WARNING, 0, crosswalk, row->line,
				       "row skipped: PKG SIZE '%s', PKG QTY '%s' or BILLUNITS '%s' "
				       "is not a number", row->v[X_SIZE], row->v[X_QTY],
				       row->v[X_BU]);
			xw_skipped++;
			continue;
		}
		xr = dc_xrealloc(xr, (nxr + 1) * sizeof *xr);
		struct xrow *x = &xr[nxr++];
		x->code = c;
		dc_ndc_normalise(row->v[X_NDC], x->ndc11);
		x->order = r;
		x->src = row;
		if (row->v[X_DOSAGE] && ci_prefix(row->v[X_DOSAGE], "up to"))
			c->up_to = 1;
	}
	qsort(xr, nxr, sizeof *xr, xrow_cmp);

	/*
	 * Fixed-volume fluids: hydration fluids whose billing unit is a volume
	 * of mL that no CMS dosage calls "UP TO". Their bag volume follows from
	 * the billing units (J7050 x 2 is a 500 mL bag), which settles both the
	 * code of a saline NDC listed under J7030, J7040 and J7050 and a PKG
	 * SIZE that disagrees with the billing units. Lactated Ringer's (J7120,
	 * "UP TO 1000 CC") is billed per bag whatever its size, so it is not one.
	 */
	for (size_t i = 0; i < cx.ncodes; i++) {
		struct code *c = &cx.codes[i];
		const char *amt = c->parsed ? c->amt : c->old_amt;
		const char *unit = c->parsed ? c->unit : c->old_unit;
		c->fixed = c->fluid && !c->up_to && !strcmp(unit, "mL") &&
			   dc_dec_parse(amt, &c->vol) == 0 && c->vol.v > 0;
	}

	/* ---- the old ndc.csv, by NDC */
	int oc[NDC_NSTD];
	for (int i = 0; i < NDC_NSTD; i++)
		oc[i] = ndc.present ? table_col(&ndc, ndc_std[i]) : -1;
	if (ndc.present && oc[0] >= 0) {
		for (size_t r = 0; r < ndc.nrows; r++) {
			if (ndc.rows[r].comment)
				continue;
			old = dc_xrealloc(old, (nold + 1) * sizeof *old);
			old[nold].ndc11 = row_get(&ndc.rows[r], oc[0]);
			old[nold].row = &ndc.rows[r];
			nold++;
		}
		qsort(old, nold, sizeof *old, ndc_old_cmp);
	}

	/* ---- new ndc.csv rows: one per NDC */
	struct table nn;
	memset(&nn, 0, sizeof nn);
	if (ndc.present && ndc.nhdr) {
		for (size_t i = 0; i < ndc.nhdr; i++)
			push_str(&nn.hdr, &nn.nhdr, dc_xstrdup(ndc.hdr[i]));
	}
	int nc[NDC_NSTD];
	for (int i = 0; i < NDC_NSTD; i++) {
		nc[i] = table_col(&nn, ndc_std[i]);
		if (nc[i] < 0) {
			push_str(&nn.hdr, &nn.nhdr, dc_xstrdup(ndc_std[i]));
			nc[i] = (int)nn.nhdr - 1;
		}
	}
	size_t n_added = 0, n_changed = 0, n_kept = 0;
	for (size_t g = 0; g < nxr;) {
		size_t ge = g;
		while (ge < nxr && !strcmp(xr[ge].ndc11, xr[g].ndc11))
			ge++;
		/* the distinct codes of this NDC, and the first row of each */
		struct code *chosen = NULL;
		int ncodes = 0;
		struct code *lowest = NULL, *ref = NULL;
		for (size_t k = g; k < ge; k++) {
			int first = 1;
			for (size_t j = g; j < k; j++)
				if (xr[j].code == xr[k].code)
					first = 0;
			if (!first)
				continue;
			ncodes++;
			struct code *c = xr[k].code;
			if (!lowest || strcmp(c->code, lowest->code) < 0)
				lowest = c;
			if (c->fixed) {
				/* the smallest bag (J7050 250 mL) measures the NDC, as in the generator */
				if (!ref || c->vol.v < ref->vol.v ||
				    (c->vol.v == ref->vol.v && strcmp(c->code, ref->code) < 0))
					ref = c;
			}
		}
		const struct xrow *pick = NULL;
		if (ref && ncodes > 1) {
			/* saline: the code whose bag is the NDC's volume, else the smallest bag */
			struct dc_dec bu, bag;
			const struct xrow *rr = NULL;
			struct code *match = NULL;
			for (size_t k = g; k < ge && !rr; k++)
				if (xr[k].code == ref)
					rr = &xr[k];
			if (dc_dec_parse(rr->src->v[X_BU], &bu) == 0 && dec_mul(bu, ref->vol, &bag) == 0)
				for (size_t k = g; k < ge; k++) {
					struct code *c = xr[k].code;
					if (c->fixed && c->vol.v == bag.v &&
					    (!match || strcmp(c->code, match->code) < 0))
						match = c;
				}
			chosen = match ? match : ref;
		} else if (ncodes > 1) {
			/* the code the table already gives it, else the lowest (Q0138 over Q0139) */
			struct ndc_old key = { xr[g].ndc11, NULL };
			struct ndc_old *o = nold ? bsearch(&key, old, nold, sizeof *old, ndc_old_cmp) : NULL;
			chosen = lowest;
			if (o) {
				char *oc1 = trim_dup(row_get(o->row, oc[1]));
				for (size_t k = g; k < ge; k++)
					if (!strcmp(xr[k].code->code, oc1))
						chosen = xr[k].code;
				free(oc1);
			}
			struct dc_buf m;
			dc_buf_init(&m);
			dc_buf_printf(&m, "%s listed under", xr[g].ndc11);
			for (size_t k = g; k < ge; k++) {
				int first = 1;
				for (size_t j = g; j < k; j++)
					if (xr[j].code == xr[k].code)
						first = 0;
				if (first)
					dc_buf_printf(&m, " %s", xr[k].code->code);
			}
			dc_buf_printf(&m, ": kept %s", chosen->code);
			push_str(&multi, &nmulti, m.p);
		}
		for (size_t k = g; k < ge && !pick; k++)
			if (!chosen || xr[k].code == chosen)
				pick = &xr[k];
		struct code *c = pick->code;
		const struct cms_row *src = pick->src;
		char size[48], qty[48], bu[48];
		dec_text(src->v[X_SIZE], size, sizeof size);
		dec_text(src->v[X_QTY], qty, sizeof qty);
		dec_text(src->v[X_BU], bu, sizeof bu);
		if (c->fixed) {
			struct dc_dec b, bag;
			char bagtxt[48];
			if (dc_dec_parse(bu, &b) == 0 && dec_mul(b, c->vol, &bag) == 0) {
				dc_dec_format(bag, bagtxt, sizeof bagtxt);
				if (strcmp(bagtxt, size)) {
					char fix[160];
					snprintf(fix, sizeof fix, "%.5s-%.4s-%.2s PKG SIZE %s -> %s mL",
						 pick->ndc11, pick->ndc11 + 5, pick->ndc11 + 9, size, bagtxt);
					push_str(&fixes, &nfixes, dc_xstrdup(fix));
					snprintf(size, sizeof size, "%s", bagtxt);
				}
			}
		}
		const char *unit = c->fluid ? "ML" : !strcmp(size, "1") ? "UN" : "ML";
		char *name = collapse_ws(src->v[X_NAME]);
		struct dc_buf label;
		dc_buf_init(&label);
		if (!strcmp(unit, "ML"))
			dc_buf_printf(&label, "%s %s mL x %s", name, size, qty);
		else
			dc_buf_printf(&label, "%s x %s", name, qty);
		free(name);
		const char *val[NDC_NSTD] = { pick->ndc11, c->code, label.p, size, qty, unit, bu };

		if (nn.nrows == nn.cap) {
			nn.cap = nn.cap ? nn.cap * 2 : 1024;
			nn.rows = dc_xrealloc(nn.rows, nn.cap * sizeof *nn.rows);
		}
		struct trow *row = &nn.rows[nn.nrows++];
		memset(row, 0, sizeof *row);
		struct ndc_old key = { pick->ndc11, NULL };
		struct ndc_old *o = nold ? bsearch(&key, old, nold, sizeof *old, ndc_old_cmp) : NULL;
		/* local columns of the old row come along */
		for (size_t i = 0; o && i < o->row->nf && i < nn.nhdr; i++)
			row_set(row, (int)i, o->row->f[i]);
		int differs = 0;
		for (int i = 0; i < NDC_NSTD; i++) {
			if (o) {
				char *ov = trim_dup(row_get(o->row, oc[i]));
				differs |= strcmp(ov, val[i]) != 0;
				free(ov);
			}
			row_set(row, nc[i], val[i]);
		}
		if (row->nf < nn.nhdr)
			row_set(row, (int)nn.nhdr - 1, "");   /* every row as wide as the header */
		if (!o)
			n_added++;
		else if (differs)
			n_changed++;
		else
			n_kept++;
		dc_buf_release(&label);
		g = ge;
	}
	size_t n_removed = nold - n_kept - n_changed;

	/* ---- sources of the comment lines */
	asp_eff = tidy_effective(pr.effective);
	xw_eff = tidy_effective(xw.effective ? xw.effective : pr.effective);
	{
		struct dc_buf b;
		dc_buf_init(&b);
		dc_buf_printf(&b, "CMS ASP pricing file (Medicare Part B payment limits), %s",
			      asp_eff ? asp_eff : base_name(pricing));
		asp_src = b.p;
		dc_buf_init(&b);
		if (xw.title) {
			const char *f = strstr(xw.title, " for ");
			dc_buf_printf(&b, "CMS %.*s", (int)(f ? (size_t)(f - xw.title) : strlen(xw.title)),
				      xw.title);
		} else {
			dc_buf_printf(&b, "CMS ASP NDC-HCPCS crosswalk %s", base_name(crosswalk));
		}
		const char *paren = xw_eff ? strchr(xw_eff, '(') : NULL;
		if (paren)
			dc_buf_printf(&b, " %s", paren);
		xw_src = b.p;
	}
	/* "October 2025" of "October 2025 (October 1 2025 to ...)" */
	char quarter[64];
	snprintf(quarter, sizeof quarter, "%s", asp_eff ? asp_eff : base_name(pricing));
	if (strstr(quarter, " ("))
		*strstr(quarter, " (") = '\0';

	/* ---- drugs.csv: the billing units, and what changed */
	REPORT(&cx, "pricing file %s: header on line %lu, code column '%s', dosage column '%s'%s; "
	       "%zu codes; %s\n", pricing, pr.hdr_line, pr.cand_name[pr.code],
	       pr.col_name[X_DOSAGE], pr.cp1252 ? ", Windows-1252" : "", pr_codes,
	       asp_eff ? asp_eff : "no effective dates found");
	REPORT(&cx, "crosswalk %s: header on line %lu, code column '%s', NDC column '%s'%s; "
	       "%zu rows, %zu of them for codes of drugs.csv\n", crosswalk, xw.hdr_line,
	       xw.cand_name[xw.code], xw.col_name[X_NDC], xw.cp1252 ? ", Windows-1252" : "",
	       xw_rows, nxr + xw_skipped);
	size_t n_priced = 0, n_noc = 0, n_unpriced = 0, n_units = 0, n_new = 0, n_retired = 0,
	       n_bad = 0;
	for (size_t i = 0; i < cx.ncodes; i++) {
		struct code *c = &cx.codes[i];
		if (c->noc) {
			n_noc++;   /* never priced by ASP; no unit */
			continue;
		}
		if (!c->priced) {
			if (c->before_unpriced) {
				n_unpriced++;
			} else {
				n_retired++;
				REPORT(&cx, "retired: %s %s %s (not in the pricing file; row kept, "
				       "unit unchanged)\n", c->code, c->old_amt, c->old_unit);
			}
			continue;
		}
		n_priced++;
		if (c->before_unpriced || !*c->old_unit) {
			n_new++;
			REPORT(&cx, "added: %s %s %s (newly in the pricing file, line %lu)\n", c->code,
			       c->parsed ? c->amt : "?", c->parsed ? c->unit : c->dosage, c->pline);
		}
		if (!c->parsed) {
			n_bad++;
			REPORT(&cx, "not understood: %s dosage '%s' (pricing file line %lu; unit kept)\n",
			       c->code, c->dosage, c->pline);
			dc_diag_report(ds, DC_SEV_WARNING, 0, pricing, c->pline,
				       "%s: dosage '%s' is not an amount in mg, g, mcg, mL, units or mEq; "
				       "unit of drugs.csv kept", c->code, c->dosage);
			continue;
		}
		struct dc_dec a, b;
		int same = !strcmp(c->unit, c->old_unit) && dc_dec_parse(c->old_amt, &a) == 0 &&
			   dc_dec_parse(c->amt, &b) == 0 && a.v == b.v;
		if (same) {
			c->parsed = 2;   /* numerically equal: keep the table's text */
			continue;
		}
		if (*c->old_unit) {
			n_units++;
			char was[80];
			snprintf(was, sizeof was, "%s %s", c->old_amt, c->old_unit);
			REPORT(&cx, "unit changed: %s %s -> %s %s%s%s%s\n", c->code, was, c->amt,
			       c->unit, strstr(c->label, was) ? " (label '" : "",
			       strstr(c->label, was) ? c->label : "",
			       strstr(c->label, was) ? "' still names the old unit)" : "");
		}
	}
	for (size_t r = 0; r < drugs.nrows; r++) {
		struct trow *row = &drugs.rows[r];
		if (row->comment)
			continue;
		char *code = trim_dup(row_get(row, c_code));
		struct code *c = code_find(cx.codes, cx.ncodes, code);
		free(code);
		if (c && !c->noc && c->priced && c->parsed == 1) {
			row_set(row, c_amt, c->amt);
			row_set(row, c_unit, c->unit);
		}
	}

	/*
	 * The comment lines: the source line names the new files; the line
	 * starting "not in the ASP file" lists the codes of the table the
	 * pricing file lacks, so that the next import can tell a code newly
	 * priced ("added") from one that dropped out ("retired"). Its entries
	 * for codes still missing are kept word for word.
	 */
	int have_source = 0, have_unpriced = 0;
	size_t src_idx = 0;
	for (size_t i = 0; i < drugs.npre; i++) {
		const char *t = comment_text(drugs.pre[i]);
		if (!strncmp(t, "source:", 7)) {
			char **seg;
			size_t nseg = split_segments(t + 7 + (t[7] == ' '), &seg);
			struct dc_buf b;
			dc_buf_init(&b);
			dc_buf_adds(&b, "source: ");
			int put_asp = 0, put_xw = 0;
			for (size_t s = 0; s < nseg; s++) {
				const char *v = seg[s];
				char *alloc = NULL;
				if (!strncmp(v, "CMS ASP pricing file", 20)) {
					v = asp_src;
					put_asp = 1;
				} else if (ci_strstr(v, "crosswalk")) {
					size_t n = strlen(xw_src) + 16;
					alloc = dc_xmalloc(n);
					snprintf(alloc, n, "%s (codes)", xw_src);
					v = alloc;
					put_xw = 1;
				}
				if (s == 0 && !put_asp) {
					dc_buf_printf(&b, "%s; ", asp_src);
					put_asp = 1;
				}
				dc_buf_printf(&b, "%s%s", s ? "; " : "", v);
				free(alloc);
			}
			if (!put_xw)
				dc_buf_printf(&b, "; %s (codes)", xw_src);
			free_segments(seg, nseg);
			free(drugs.pre[i]);
			drugs.pre[i] = comment_line(b.p);
			dc_buf_release(&b);
			have_source = 1;
			src_idx = i;
		} else if (!strncmp(t, UNPRICED_PREFIX, strlen(UNPRICED_PREFIX))) {
			const char *colon = strchr(t, ':');
			struct dc_buf b;
			dc_buf_init(&b);
			dc_buf_add(&b, t, colon ? (size_t)(colon - t + 1) : strlen(t));
			if (!colon)
				dc_buf_addc(&b, ':');
			size_t kept = 0;
			char **seg;
			size_t nseg = split_segments(colon ? colon + 1 + (colon[1] == ' ') : "", &seg);
			for (size_t s = 0; s < nseg; s++) {
				char code[6];
				struct code *c = first_code(seg[s], code) ?
					code_find(cx.codes, cx.ncodes, code) : NULL;
				if (!c || c->priced || c->noc)
					continue;
				dc_buf_printf(&b, "%s%s", kept++ ? "; " : " ", seg[s]);
				c->before_unpriced = 2;   /* listed */
			}
			free_segments(seg, nseg);
			for (size_t k = 0; k < cx.ncodes; k++) {
				struct code *c = &cx.codes[k];
				if (c->noc || c->priced || c->before_unpriced == 2)
					continue;
				dc_buf_printf(&b, "%s%s %s %s (missing from the %s ASP file; unit kept, "
					      "check whether the code was retired)", kept++ ? "; " : " ",
					      c->code, c->old_amt, c->old_unit, quarter);
				c->before_unpriced = 2;
			}
			if (!kept)
				dc_buf_adds(&b, " none");
			free(drugs.pre[i]);
			drugs.pre[i] = comment_line(b.p);
			dc_buf_release(&b);
			have_unpriced = 1;
		}
	}
	if (!have_source) {
		size_t n = strlen(asp_src) + strlen(xw_src) + 32;
		char *line = dc_xmalloc(n);
		snprintf(line, n, "# source: %s; %s (codes)", asp_src, xw_src);
		drugs.pre = dc_xrealloc(drugs.pre, (drugs.npre + 1) * sizeof *drugs.pre);
		memmove(drugs.pre + 1, drugs.pre, drugs.npre * sizeof *drugs.pre);
		drugs.pre[0] = line;
		drugs.npre++;
	}
	if (!have_unpriced) {
		struct dc_buf b;
		dc_buf_init(&b);
		size_t kept = 0;
		for (size_t k = 0; k < cx.ncodes; k++) {
			struct code *c = &cx.codes[k];
			if (c->noc || c->priced)
				continue;
			dc_buf_printf(&b, "%s%s %s %s (missing from the %s ASP file; unit kept)",
				      kept++ ? "; " : "# " UNPRICED_PREFIX ": ", c->code, c->old_amt,
				      c->old_unit, quarter);
		}
		if (kept) {
			/* after the source line */
			size_t at = src_idx + 1;
			drugs.pre = dc_xrealloc(drugs.pre, (drugs.npre + 1) * sizeof *drugs.pre);
			memmove(drugs.pre + at + 1, drugs.pre + at, (drugs.npre - at) * sizeof *drugs.pre);
			drugs.pre[at] = b.p;
			drugs.npre++;
		} else {
			dc_buf_release(&b);
		}
	}

	/* ndc.csv comment lines: the old ones, with the source and corrections renewed */
	{
		struct dc_buf src, fx;
		dc_buf_init(&src);
		dc_buf_printf(&src, "source: %s, the rows whose HCPCS code is in drugs.csv", xw_src);
		dc_buf_init(&fx);
		dc_buf_adds(&fx, "corrected from the billing units (CMS package size inconsistent): ");
		for (size_t i = 0; i < nfixes; i++)
			dc_buf_printf(&fx, "%s%s", i ? "; " : "", fixes[i]);
		if (!nfixes)
			dc_buf_adds(&fx, "none");
		int put_src = 0, put_fx = 0;
		for (size_t i = 0; ndc.present && i < ndc.npre; i++) {
			const char *t = comment_text(ndc.pre[i]);
			char *line = NULL;
			if (!strncmp(t, "source:", 7)) {
				line = comment_line(src.p);
				put_src = 1;
			} else if (!strncmp(t, "corrected from the billing units", 32)) {
				line = comment_line(fx.p);
				put_fx = 1;
			} else {
				line = dc_xstrdup(ndc.pre[i]);
			}
			push_str(&nn.pre, &nn.npre, line);
		}
		if (!put_src) {
			push_str(&nn.pre, &nn.npre, NULL);
			memmove(nn.pre + 1, nn.pre, (nn.npre - 1) * sizeof *nn.pre);
			nn.pre[0] = comment_line(src.p);
		}
		if (!ndc.present)
			for (size_t i = 0; i < sizeof ndc_default_comments / sizeof *ndc_default_comments; i++)
				push_str(&nn.pre, &nn.npre, comment_line(ndc_default_comments[i]));
		if (!put_fx)
			push_str(&nn.pre, &nn.npre, comment_line(fx.p));
		dc_buf_release(&src);
		dc_buf_release(&fx);
	}

	for (size_t i = 0; i < nmulti; i++)
		REPORT(&cx, "ndc under several codes: %s\n", multi[i]);
	for (size_t i = 0; i < nfixes; i++)
		REPORT(&cx, "ndc size corrected: %s\n", fixes[i]);
	REPORT(&cx, "drugs.csv: %zu codes: %zu in the pricing file, %zu still not in it, %zu NOC; "
	       "%zu units changed, %zu added, %zu retired, %zu not understood\n", cx.ncodes,
	       n_priced, n_unpriced, n_noc, n_units, n_new, n_retired, n_bad);
	REPORT(&cx, "ndc.csv: %zu rows (before %zu): %zu added, %zu removed, %zu changed; "
	       "%zu crosswalk rows skipped\n", nn.nrows, nold, n_added, n_removed, n_changed,
	       xw_skipped);

	/* ---- write both files, then put both in place */
	snprintf(out_us, sizeof out_us, "%s/us", out_dir);
	if ((rc = make_dir(out_dir, ds)) < 0 || (rc = make_dir(out_us, ds)) < 0) {
		table_release(&nn);
		goto out;
	}
	{
		char dst_drugs[4200], dst_ndc[4200];
		snprintf(dst_drugs, sizeof dst_drugs, "%s/drugs.csv", out_us);
		snprintf(dst_ndc, sizeof dst_ndc, "%s/ndc.csv", out_us);
		struct dc_out od, on;
		int od_open = 1, on_open = 0;   /* a dc_out needs abort even when open failed */
		rc = dc_out_open(&od, out_us, "drugs.csv", file_mode(dst_drugs, drugs_path), ds);
		if (rc == DC_OK) {
			rc = dc_out_open(&on, out_us, "ndc.csv", file_mode(dst_ndc, ndc_path), ds);
			on_open = 1;
		}
		if (rc == DC_OK) {
			table_write(&drugs, &od);
			table_write(&nn, &on);
			/* both on disk under their temporary names before either is renamed */
			rc = dc_out_sync(&od);
			if (rc == DC_OK)
				rc = dc_out_sync(&on);
		}
		if (rc == DC_OK) {
			rc = dc_out_commit(&od);
			od_open = 0;
			if (rc == DC_OK) {
				rc = dc_out_commit(&on);
				on_open = 0;
			}
		}
		if (od_open)
			dc_out_abort(&od);
		if (on_open)
			dc_out_abort(&on);
		if (rc < 0)
			rc = DC_ERR_IO;
		else
			REPORT(&cx, "wrote %s and %s\n", dst_drugs, dst_ndc);
	}
	table_release(&nn);

out:
	for (size_t i = 0; i < cx.ncodes; i++) {
		free(cx.codes[i].code);
		free(cx.codes[i].old_amt);
		free(cx.codes[i].old_unit);
		free(cx.codes[i].label);
		free(cx.codes[i].dosage);
	}
	free(cx.codes);
	free(xr);
	free(old);
	free_segments(fixes, nfixes);
	free_segments(multi, nmulti);
	free(asp_eff);
	free(xw_eff);
	free(asp_src);
	free(xw_src);
	cms_release(&pr);
	cms_release(&xw);
	table_release(&drugs);
	table_release(&ndc);
	return rc < 0 ? rc : DC_OK;
}
