/*
 * Unit tests of `rules import-asp` (rulesets/import_asp.c) on the CMS
 * fixtures of testdata/cms/ (real rows of the October 2025 files in their
 * published layout, and a made-up 2026 quarter).
 *
 * Each test builds a small rulesets directory from the shipped
 * rulesets/us/drugs.csv and ndc.csv, keeping the rows of the fixture's codes,
 * and imports into it. The acceptance point: the billing units and NDC rows
 * the import writes are those of the shipped tables, which the generator
 * (tools/build-us-rulesets.py) built from the same CMS files.
 */
#include "tests/unit/unit.h"
#include "engine/dc_status.h"
#include "engine/input.h"
#include "parsers/csv.h"
#include "rulesets/import_asp.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int register_import_asp_tests(void);

static char tmp[64];

/* the codes kept in the test rulesets: the fixture's, one not in the ASP file
 * (J3376, unit from its descriptor) and a NOC code */
static const char *const codes[] = {
	"J0696", "J1745", "J1756", "J2405", "J3373", "J3376", "J3490", "J7030", "J7040",
	"J7050", "J7060", "J7120", "J9312", "Q0138", "Q0139",
};
#define NCODES (sizeof codes / sizeof *codes)

static int is_kept(const char *code)
{
	for (size_t i = 0; i < NCODES; i++)
		if (!strcmp(codes[i], code))
			return 1;
	return 0;
}

/* ---- a CSV table in memory: the header row, then the data rows */
struct tab {
	char ***rows;
	size_t *nf;
	size_t n;
	char **comments;
	size_t ncomments;
};

static void tab_free(struct tab *t)
{
	for (size_t i = 0; i < t->n; i++) {
		for (size_t j = 0; j < t->nf[i]; j++)
			free(t->rows[i][j]);
		free(t->rows[i]);
	}
	for (size_t i = 0; i < t->ncomments; i++)
		free(t->comments[i]);
	free(t->comments);
	free(t->rows);
	free(t->nf);
	memset(t, 0, sizeof *t);
}

static int tab_load(struct tab *t, const char *path)
{
	memset(t, 0, sizeof *t);
	struct dc_input in;
	if (dc_input_open_file(&in, path, NULL) < 0) {
		dc_input_close(&in);
		return -1;
	}
	struct dc_csv csv;
	struct dc_csv_record rec;
	dc_csv_init(&csv, &in, ',');
	int r;
	while ((r = dc_csv_next(&csv, &rec)) == 1) {
		if (rec.nfields && rec.fields[0][0] == '#') {
			t->comments = realloc(t->comments, (t->ncomments + 1) * sizeof *t->comments);
			t->comments[t->ncomments++] = strndup(rec.raw, rec.rawlen);
			continue;
		}
		t->rows = realloc(t->rows, (t->n + 1) * sizeof *t->rows);
		t->nf = realloc(t->nf, (t->n + 1) * sizeof *t->nf);
		t->rows[t->n] = calloc(rec.nfields ? rec.nfields : 1, sizeof(char *));
		for (size_t i = 0; i < rec.nfields; i++)
			t->rows[t->n][i] = strdup(rec.fields[i]);
		t->nf[t->n++] = rec.nfields;
	}
	dc_csv_release(&csv);
	dc_input_close(&in);
	return r == 0 && t->n ? 0 : -1;
}

static int tab_col(const struct tab *t, const char *name)
{
	for (size_t i = 0; t->n && i < t->nf[0]; i++)
		if (!strcmp(t->rows[0][i], name))
			return (int)i;
	return -1;
}

static long tab_find(const struct tab *t, const char *key)
{
	for (size_t i = 1; i < t->n; i++)
		if (t->nf[i] && !strcmp(t->rows[i][0], key))
			return (long)i;
	return -1;
}

static const char *tab_get(const struct tab *t, long row, const char *col)
{
	int c = tab_col(t, col);
	if (row < 0 || c < 0 || (size_t)c >= t->nf[row])
		return "";
	return t->rows[row][c];
}

static int has_comment(const struct tab *t, const char *s)
{
	for (size_t i = 0; i < t->ncomments; i++)
		if (strstr(t->comments[i], s))
			return 1;
	return 0;
}

/* ---- paths and files */
static const char *fixture(const char *name)
{
	static char buf[4][1024];
	static int k;
	const char *top = getenv("TOP_SRCDIR");
	k = (k + 1) % 4;
	snprintf(buf[k], sizeof buf[k], "%s/testdata/cms/%s", top && *top ? top : ".", name);
	return buf[k];
}

static const char *shipped(const char *name)
{
	static char buf[2][1024];
	static int k;
	k = (k + 1) % 2;
	snprintf(buf[k], sizeof buf[k], "%s/us/%s", dc_test_rules_dir(), name);
	return buf[k];
}

static char *read_all(const char *path)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	long n = ftell(f);
	fseek(f, 0, SEEK_SET);
	char *s = malloc((size_t)n + 1);
	size_t got = fread(s, 1, (size_t)n, f);
	s[got] = '\0';
	fclose(f);
	return s;
}

static void write_csv_field(FILE *f, const char *s)
{
	if (strpbrk(s, ",\"\r\n")) {
		fputc('"', f);
		for (; *s; s++) {
			if (*s == '"')
				fputc('"', f);
			fputc(*s, f);
		}
		fputc('"', f);
	} else {
		fputs(s, f);
	}
}

/*
 * dir/us/drugs.csv and ndc.csv: the shipped comment lines and the rows of
 * |codes|, with a local column and a local category edit (J2405 as chemo);
 * |perturb| spoils the billing units of some codes first.
 */
static void make_rules(const char *dir, int perturb)
{
	char p[1024];
	snprintf(p, sizeof p, "%s/us", dir);
	mkdir(dir, 0755);
	mkdir(p, 0755);
	struct tab t;
	CU_ASSERT_EQUAL_FATAL(tab_load(&t, shipped("drugs.csv")), 0);
	snprintf(p, sizeof p, "%s/us/drugs.csv", dir);
	FILE *f = fopen(p, "w");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	for (size_t i = 0; i < t.ncomments; i++)
		fprintf(f, "%s\n", t.comments[i]);
	int ccat = tab_col(&t, "category"), camt = tab_col(&t, "billing_unit_amount");
	int cunit = tab_col(&t, "billing_unit");
	for (size_t r = 0; r < t.n; r++) {
		if (r && !is_kept(t.rows[r][0]))
			continue;
		const char *code = t.rows[r][0];
		for (size_t c = 0; c < t.nf[r]; c++) {
			const char *v = t.rows[r][c];
			if (r && (int)c == ccat && !strcmp(code, "J2405"))
				v = "chemo";
			if (r && perturb && ((int)c == camt || (int)c == cunit)) {
				if (!strcmp(code, "J0696"))
					v = "";   /* no unit at all: the import fills it */
				else if (!strcmp(code, "J1745") || !strcmp(code, "J9312") ||
					 !strcmp(code, "J2405") || !strcmp(code, "J1756") ||
					 !strcmp(code, "J7050"))
					v = (int)c == camt ? "999" : "g";
			}
			if (c)
				fputc(',', f);
			write_csv_field(f, v);
		}
		fputc(',', f);
		write_csv_field(f, r ? (strcmp(code, "J1745") ? "" : "our note, kept") : "local_note");
		fputc('\n', f);
	}
	fclose(f);
	tab_free(&t);

	CU_ASSERT_EQUAL_FATAL(tab_load(&t, shipped("ndc.csv")), 0);
	snprintf(p, sizeof p, "%s/us/ndc.csv", dir);
	f = fopen(p, "w");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	for (size_t i = 0; i < t.ncomments; i++)
		fprintf(f, "%s\n", t.comments[i]);
	for (size_t r = 0; r < t.n; r++) {
		if (r && !is_kept(t.rows[r][1]))
			continue;
		for (size_t c = 0; c < t.nf[r]; c++) {
			if (c)
				fputc(',', f);
			write_csv_field(f, t.rows[r][c]);
		}
		fputc('\n', f);
	}
	fclose(f);
	tab_free(&t);
}

/* ---- diagnostics and the report */
struct seen {
	int n;
	char msgs[8][600];
};

static void collect(void *ctx, const struct dc_diag *d)
{
	struct seen *s = ctx;
	if (s->n < 8)
		snprintf(s->msgs[s->n++], sizeof s->msgs[0], "%s:%lu: %s", d->input ? d->input : "",
			 d->line, d->msg);
}

static int seen_has(const struct seen *s, const char *a, const char *b)
{
	for (int i = 0; i < s->n; i++)
		if (strstr(s->msgs[i], a) && (!b || strstr(s->msgs[i], b)))
			return 1;
	return 0;
}

/* Runs the import; the report is returned in |*rep| (free it). */
static int run(const char *rules, const char *pricing, const char *xw, const char *out,
	       char **rep, struct seen *s)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	struct dc_diag_sink ds = { collect, s, 0, 0 };
	int rc = dc_rules_import_asp(rules, pricing, xw, out, f, &ds);
	fclose(f);
	*rep = buf;
	return rc;
}

static const char *subdir(const char *name)
{
	static char buf[4][256];
	static int k;
	k = (k + 1) % 4;
	snprintf(buf[k], sizeof buf[k], "%s/%s", tmp, name);
	return buf[k];
}

static const char *file_in(const char *dir, const char *name)
{
	static char buf[4][512];
	static int k;
	k = (k + 1) % 4;
	snprintf(buf[k], sizeof buf[k], "%s/us/%s", dir, name);
	return buf[k];
}

/* ---- tests */

/* The acceptance point: spoilt units come back as the shipped ones. */
static void test_reproduces_shipped_units(void)
{
	const char *dir = subdir("a");
	make_rules(dir, 1);
	struct seen s = { 0 };
	char *rep;
	int rc = run(dir, fixture("asp_pricing.csv"), fixture("asp_crosswalk.csv"), NULL, &rep, &s);
	CU_ASSERT_EQUAL_FATAL(rc, 0);
	struct tab ship, got;
	CU_ASSERT_EQUAL_FATAL(tab_load(&ship, shipped("drugs.csv")), 0);
	CU_ASSERT_EQUAL_FATAL(tab_load(&got, file_in(dir, "drugs.csv")), 0);
	CU_ASSERT_EQUAL(got.n, NCODES + 1);
	for (size_t i = 0; i < NCODES; i++) {
		long a = tab_find(&ship, codes[i]), b = tab_find(&got, codes[i]);
		CU_ASSERT_FATAL(a > 0 && b > 0);
		static const char *const cols[] = {
			"label", "billing_unit_amount", "billing_unit", "single_dose", "opps_si",
			"noc", "bag_ml", "generic_names",
		};
		for (size_t c = 0; c < sizeof cols / sizeof *cols; c++)
			if (strcmp(tab_get(&ship, a, cols[c]), tab_get(&got, b, cols[c]))) {
				CU_FAIL("a column differs from the shipped drugs.csv");
				fprintf(stderr, "\n%s %s: shipped '%s', imported '%s'\n", codes[i],
					cols[c], tab_get(&ship, a, cols[c]), tab_get(&got, b, cols[c]));
			}
		/* the local category edit is kept */
		CU_ASSERT_STRING_EQUAL(tab_get(&got, b, "category"),
				       strcmp(codes[i], "J2405") ? tab_get(&ship, a, "category")
								 : "chemo");
	}
	/* the values themselves, for a few codes */
	long r = tab_find(&got, "J1745");
	CU_ASSERT_STRING_EQUAL(tab_get(&got, r, "billing_unit_amount"), "10");
	CU_ASSERT_STRING_EQUAL(tab_get(&got, r, "billing_unit"), "mg");
	CU_ASSERT_STRING_EQUAL(tab_get(&got, r, "local_note"), "our note, kept");
	r = tab_find(&got, "J7050");
	CU_ASSERT_STRING_EQUAL(tab_get(&got, r, "billing_unit_amount"), "250");
	CU_ASSERT_STRING_EQUAL(tab_get(&got, r, "billing_unit"), "mL");
	r = tab_find(&got, "J0696");
	CU_ASSERT_STRING_EQUAL(tab_get(&got, r, "billing_unit_amount"), "250");
	/* the comment lines are kept, the source line names the files' quarter */
	CU_ASSERT_EQUAL(got.ncomments, ship.ncomments);
	CU_ASSERT_STRING_EQUAL(got.comments[0], ship.comments[0]);
	CU_ASSERT(has_comment(&got, "category rule (US-CLASSIFY)"));
	tab_free(&ship);
	tab_free(&got);

	/* the report */
	CU_ASSERT_PTR_NOT_NULL(strstr(rep, "unit changed: J1745 999 g -> 10 mg"));
	CU_ASSERT_PTR_NOT_NULL(strstr(rep, "unit changed: J7050 999 g -> 250 mL"));
	CU_ASSERT_PTR_NOT_NULL(strstr(rep, "added: J0696 250 mg"));
	CU_ASSERT_PTR_NULL(strstr(rep, "retired:"));   /* J3376 and J3490 are not retired */
	CU_ASSERT_PTR_NOT_NULL(strstr(rep, "5 units changed, 1 added, 0 retired"));
	CU_ASSERT_PTR_NOT_NULL(strstr(rep, "code column 'HCPCS Code'"));
	CU_ASSERT_PTR_NOT_NULL(strstr(rep, "code column '_2025_CODE', NDC column 'NDC2'"));
	free(rep);

	/* ndc.csv: every row as shipped */
	CU_ASSERT_EQUAL_FATAL(tab_load(&ship, shipped("ndc.csv")), 0);
	CU_ASSERT_EQUAL_FATAL(tab_load(&got, file_in(dir, "ndc.csv")), 0);
	CU_ASSERT_EQUAL(got.n, 27);   /* header + the 26 NDCs of the fixture */
	for (size_t i = 1; i < got.n; i++) {
		long a = tab_find(&ship, got.rows[i][0]);
		CU_ASSERT_FATAL(a > 0);
		CU_ASSERT_EQUAL(got.nf[i], ship.nf[a]);
		for (size_t c = 0; c < got.nf[i] && c < ship.nf[a]; c++)
			if (strcmp(got.rows[i][c], ship.rows[a][c])) {
				CU_FAIL("an NDC row differs from the shipped ndc.csv");
				fprintf(stderr, "\n%s column %zu: shipped '%s', imported '%s'\n",
					got.rows[i][0], c + 1, ship.rows[a][c], got.rows[i][c]);
			}
	}
	/* saline under J7030/J7040/J7050: the code of its bag, size corrected */
	r = tab_find(&got, "65219022225");
	CU_ASSERT_STRING_EQUAL(tab_get(&got, r, "hcpcs"), "J7050");
	CU_ASSERT_STRING_EQUAL(tab_get(&got, r, "package_size"), "250");
	CU_ASSERT_STRING_EQUAL(tab_get(&got, tab_find(&got, "00338004904"), "hcpcs"), "J7030");
	CU_ASSERT_STRING_EQUAL(tab_get(&got, tab_find(&got, "00338004903"), "hcpcs"), "J7040");
	/* lactated Ringer's is "up to 1000 cc": its 250 mL bag keeps its size */
	CU_ASSERT_STRING_EQUAL(tab_get(&got, tab_find(&got, "65219047530"), "package_size"), "250");
	CU_ASSERT_STRING_EQUAL(tab_get(&got, tab_find(&got, "00781315401"), "hcpcs"), "Q0138");
	/* the no-break space after "Remicade" is gone */
	r = tab_find(&got, "57894003001");
	CU_ASSERT_STRING_EQUAL(tab_get(&got, r, "label"), "Remicade x 1");
	CU_ASSERT_STRING_EQUAL(tab_get(&got, r, "ndc_unit"), "UN");
	CU_ASSERT_STRING_EQUAL(tab_get(&got, r, "billunits_per_package"), "10");
	CU_ASSERT(has_comment(&got, "65219-0222-25 PKG SIZE 1 -> 250 mL; 65219-0462-10 PKG SIZE "
				    "500 -> 1000 mL"));
	tab_free(&ship);
	tab_free(&got);
}

/* A second import of the same files changes nothing, byte for byte. */
static void test_idempotent(void)
{
	const char *dir = subdir("b");
	make_rules(dir, 0);
	struct seen s = { 0 };
	char *rep;
	CU_ASSERT_EQUAL_FATAL(run(dir, fixture("asp_pricing.csv"), fixture("asp_crosswalk.csv"),
				  NULL, &rep, &s), 0);
	free(rep);
	char *d1 = read_all(file_in(dir, "drugs.csv")), *n1 = read_all(file_in(dir, "ndc.csv"));
	CU_ASSERT_EQUAL_FATAL(run(dir, fixture("asp_pricing.csv"), fixture("asp_crosswalk.csv"),
				  NULL, &rep, &s), 0);
	char *d2 = read_all(file_in(dir, "drugs.csv")), *n2 = read_all(file_in(dir, "ndc.csv"));
	CU_ASSERT_PTR_NOT_NULL_FATAL(d1);
	CU_ASSERT_PTR_NOT_NULL_FATAL(d2);
	CU_ASSERT_STRING_EQUAL(d1, d2);
	CU_ASSERT_STRING_EQUAL(n1, n2);
	CU_ASSERT_PTR_NOT_NULL(strstr(rep, "0 units changed, 0 added, 0 retired"));
	CU_ASSERT_PTR_NOT_NULL(strstr(rep, "0 added, 0 removed, 0 changed"));
	free(rep);
	free(d1);
	free(d2);
	free(n1);
	free(n2);
}

/*
 * The next quarter: LF line ends, the code column renamed "_2026_CODE", an
 * extra metadata row, J1745 priced per 100 mg, J9312 gone, J3376 newly
 * priced, the retired J3370 listed again.
 */
static void test_next_year(void)
{
	const char *dir = subdir("c"), *out = subdir("c-out");
	make_rules(dir, 0);
	struct seen s = { 0 };
	char *rep;
	CU_ASSERT_EQUAL_FATAL(run(dir, fixture("asp_pricing.csv"), fixture("asp_crosswalk.csv"),
				  NULL, &rep, &s), 0);
	free(rep);
	char *before = read_all(file_in(dir, "drugs.csv"));
	CU_ASSERT_EQUAL_FATAL(run(dir, fixture("asp_pricing_2026.csv"),
				  fixture("asp_crosswalk_2026.csv"), out, &rep, &s), 0);
	/* -o: the rules directory is left alone */
	char *after = read_all(file_in(dir, "drugs.csv"));
	CU_ASSERT_STRING_EQUAL(before, after);
	free(before);
	free(after);

	CU_ASSERT_PTR_NOT_NULL(strstr(rep, "code column '_2026_CODE'"));
	CU_ASSERT_PTR_NOT_NULL(strstr(rep, "header on line 10"));
	CU_ASSERT_PTR_NOT_NULL(strstr(rep, "unit changed: J1745 10 mg -> 100 mg (label "
					   "'infliximab 10 mg' still names the old unit)"));
	CU_ASSERT_PTR_NOT_NULL(strstr(rep, "retired: J9312 10 mg"));
	CU_ASSERT_PTR_NOT_NULL(strstr(rep, "added: J3376 10 mg"));
	CU_ASSERT_PTR_NULL(strstr(rep, "J3370"));
	CU_ASSERT_PTR_NOT_NULL(strstr(rep, "1 units changed, 1 added, 1 retired"));
	CU_ASSERT_PTR_NOT_NULL(strstr(rep, "2 removed"));   /* J9312's NDCs */

	struct tab got;
	CU_ASSERT_EQUAL_FATAL(tab_load(&got, file_in(out, "drugs.csv")), 0);
	long r = tab_find(&got, "J1745");
	CU_ASSERT_STRING_EQUAL(tab_get(&got, r, "billing_unit_amount"), "100");
	CU_ASSERT_STRING_EQUAL(tab_get(&got, r, "label"), "infliximab 10 mg");   /* kept */
	r = tab_find(&got, "J9312");   /* retired: kept as it was */
	CU_ASSERT(r > 0);
	CU_ASSERT_STRING_EQUAL(tab_get(&got, r, "billing_unit_amount"), "10");
	CU_ASSERT_EQUAL(tab_find(&got, "J3370"), -1);
	CU_ASSERT(has_comment(&got, "January 2026 (January 1 2026 to March 31 2026)"));
	CU_ASSERT(has_comment(&got, "CMS January 2026 ASP NDC - HCPCS Crosswalk"));
	/* the list of unpriced codes: J9312 flagged, J3376 no longer */
	int flagged = 0;
	for (size_t i = 0; i < got.ncomments; i++)
		if (strstr(got.comments[i], "# not in the ASP file")) {
			flagged = strstr(got.comments[i], "J9312 10 mg (missing from the January "
							  "2026 ASP file") != NULL &&
				  !strstr(got.comments[i], "J3376");
		}
	CU_ASSERT(flagged);
	tab_free(&got);

	CU_ASSERT_EQUAL_FATAL(tab_load(&got, file_in(out, "ndc.csv")), 0);
	/* 4-4-2 NDC: a 0 in front of the labeler; the en dash (0x96) as UTF-8 */
	r = tab_find(&got, "05789017001");
	CU_ASSERT(r > 0);
	CU_ASSERT_STRING_EQUAL(tab_get(&got, r, "label"), "Infliximab \xE2\x80\x93 unbranded x 1");
	for (size_t i = 1; i < got.n; i++)
		CU_ASSERT(strcmp(got.rows[i][1], "J3370") && strcmp(got.rows[i][1], "J9312"));
	tab_free(&got);
	free(rep);

	/* the quarter after, from the written tables: J9312 is still missing,
	 * which is no news, and nothing else changes */
	CU_ASSERT_EQUAL_FATAL(run(out, fixture("asp_pricing_2026.csv"),
				  fixture("asp_crosswalk_2026.csv"), NULL, &rep, &s), 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(rep, "0 units changed, 0 added, 0 retired"));
	CU_ASSERT_PTR_NOT_NULL(strstr(rep, "1 still not in it"));   /* J9312 */
	CU_ASSERT_PTR_NULL(strstr(rep, "retired:"));
	free(rep);
}

/* CRLF and LF give the same tables. */
static void test_line_ends(void)
{
	const char *dir = subdir("d"), *o1 = subdir("d-crlf"), *o2 = subdir("d-lf");
	make_rules(dir, 0);
	char lfp[256], lfx[256];
	snprintf(lfp, sizeof lfp, "%s/pricing-lf.csv", tmp);
	snprintf(lfx, sizeof lfx, "%s/crosswalk-lf.csv", tmp);
	const char *src[2] = { fixture("asp_pricing.csv"), fixture("asp_crosswalk.csv") };
	const char *dst[2] = { lfp, lfx };
	for (int i = 0; i < 2; i++) {
		char *s = read_all(src[i]);
		CU_ASSERT_PTR_NOT_NULL_FATAL(s);
		CU_ASSERT_PTR_NOT_NULL(strstr(s, "\r\n"));   /* the fixture keeps CMS's CRLF */
		FILE *f = fopen(dst[i], "wb");
		for (char *p = s; *p; p++)
			if (*p != '\r')
				fputc(*p, f);
		fclose(f);
		free(s);
	}
	struct seen s = { 0 };
	char *rep;
	CU_ASSERT_EQUAL_FATAL(run(dir, src[0], src[1], o1, &rep, &s), 0);
	free(rep);
	CU_ASSERT_EQUAL_FATAL(run(dir, lfp, lfx, o2, &rep, &s), 0);
	free(rep);
	const char *names[2] = { "drugs.csv", "ndc.csv" };
	for (int i = 0; i < 2; i++) {
		char *a = read_all(file_in(o1, names[i])), *b = read_all(file_in(o2, names[i]));
		CU_ASSERT_PTR_NOT_NULL_FATAL(a);
		CU_ASSERT_PTR_NOT_NULL_FATAL(b);
		CU_ASSERT_STRING_EQUAL(a, b);
		CU_ASSERT_PTR_NULL(strchr(a, '\r'));
		free(a);
		free(b);
	}
}

/* No header, an unreadable file, files swapped: an error naming the file, nothing written. */
static void test_errors(void)
{
	const char *dir = subdir("e"), *out = subdir("e-out");
	make_rules(dir, 0);
	struct seen s = { 0 };
	char *rep;
	int rc = run(dir, fixture("no_header.csv"), fixture("asp_crosswalk.csv"), out, &rep, &s);
	free(rep);
	CU_ASSERT_EQUAL(rc, DC_ERR_USAGE);
	CU_ASSERT(seen_has(&s, "no_header.csv", "no header row found in the pricing file"));
	CU_ASSERT(access(out, F_OK) != 0);

	memset(&s, 0, sizeof s);
	rc = run(dir, fixture("asp_pricing.csv"), fixture("asp_pricing.csv"), out, &rep, &s);
	free(rep);
	CU_ASSERT_EQUAL(rc, DC_ERR_USAGE);
	CU_ASSERT(seen_has(&s, "asp_pricing.csv", "no header row found in the crosswalk"));
	CU_ASSERT(seen_has(&s, "NDC2", NULL));

	memset(&s, 0, sizeof s);
	rc = run(dir, fixture("no-such-file.csv"), fixture("asp_crosswalk.csv"), out, &rep, &s);
	free(rep);
	CU_ASSERT_EQUAL(rc, DC_ERR_USAGE);
	CU_ASSERT(seen_has(&s, "no-such-file.csv", NULL));

	memset(&s, 0, sizeof s);
	rc = run(subdir("no-rules"), fixture("asp_pricing.csv"), fixture("asp_crosswalk.csv"),
		 out, &rep, &s);
	free(rep);
	CU_ASSERT_EQUAL(rc, DC_ERR_USAGE);
	CU_ASSERT(seen_has(&s, "us/drugs.csv", "missing"));
	CU_ASSERT(access(out, F_OK) != 0);
}

static int setup(void)
{
	snprintf(tmp, sizeof tmp, "/tmp/dc-import-asp.XXXXXX");
	return mkdtemp(tmp) ? 0 : -1;
}

static int teardown(void)
{
	char cmd[128];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmp);
	return system(cmd) == 0 ? 0 : -1;
}

int register_import_asp_tests(void)
{
	CU_pSuite s = CU_add_suite("import_asp", setup, teardown);
	if (!s)
		return -1;
	DC_ADD_TEST(s, test_reproduces_shipped_units);
	DC_ADD_TEST(s, test_idempotent);
	DC_ADD_TEST(s, test_next_year);
	DC_ADD_TEST(s, test_line_ends);
	DC_ADD_TEST(s, test_errors);
	return 0;
}
