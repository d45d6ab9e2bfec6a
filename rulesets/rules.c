#include "rulesets/dc_rules.h"
#include "engine/arena.h"
#include "engine/dc_status.h"
#include "engine/input.h"
#include "engine/value.h"
#include "parsers/csv.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <stdatomic.h>
#include <stdint.h>
#include <string.h>
#include <sys/stat.h>

#ifndef DC_RULES_INSTALLED
#define DC_RULES_INSTALLED "/usr/local/share/dripcode/rulesets"
#endif
#ifndef DC_RULES_SOURCE
#define DC_RULES_SOURCE "rulesets"
#endif

static int is_dir(const char *p)
{
	struct stat st;
	return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

const char *dc_rules_default_dir(void)
{
	const char *env = getenv("DRIPCODE_RULES");
	if (env && *env)
		return env;
	/* an installed copy wins; a build tree falls back on its sources */
	char probe[4096];
	snprintf(probe, sizeof probe, "%s/us", DC_RULES_INSTALLED);
	if (is_dir(probe))
		return DC_RULES_INSTALLED;
	return DC_RULES_SOURCE;
}

static size_t hash_key(const char *s)
{
	return (size_t)dc_fnv1a64(s, strlen(s));
}

static void index_rebuild(struct dc_table *t)
{
	free(t->slots);
	t->nslots = 16;
	while (t->nslots < t->nrows * 2 + 1)
		t->nslots *= 2;
	t->slots = dc_xcalloc(t->nslots, sizeof *t->slots);
	for (size_t i = 0; i < t->nrows; i++) {
		size_t h = hash_key(t->rows[i][0]) & (t->nslots - 1);
		while (t->slots[h])
			h = (h + 1) & (t->nslots - 1);
		t->slots[h] = i + 1;
	}
}

long dc_table_find(const struct dc_table *t, const char *key)
{
	if (!t->nslots)
		return -1;
	size_t h = hash_key(key) & (t->nslots - 1);
	while (t->slots[h]) {
		size_t i = t->slots[h] - 1;
		if (strcmp(t->rows[i][0], key) == 0)
			return (long)i;
		h = (h + 1) & (t->nslots - 1);
	}
	return -1;
}

int dc_table_col(const struct dc_table *t, const char *name)
{
	/* the coders ask millions of times for a few names: remember them */
	size_t h = ((uintptr_t)name >> 3) & 31;
	struct dc_table *w = (struct dc_table *)t;
	/* the address is a hint: a buffer may hold another name next time */
	if (atomic_load_explicit(&w->memo_name[h], memory_order_relaxed) == name) {
		int c = atomic_load_explicit(&w->memo_col[h], memory_order_relaxed);
		if (c >= 0 && (size_t)c < t->ncols && strcmp(t->cols[c], name) == 0)
			return c;
	}
	for (size_t i = 0; i < t->ncols; i++)
		if (t->cols[i][0] == name[0] && strcmp(t->cols[i], name) == 0) {
			atomic_store_explicit(&w->memo_col[h], (int)i, memory_order_relaxed);
			atomic_store_explicit(&w->memo_name[h], name, memory_order_relaxed);
			return (int)i;
		}
	return -1;
}

const char *dc_table_get(const struct dc_table *t, long row, int col)
{
	if (row < 0 || (size_t)row >= t->nrows || col < 0 || (size_t)col >= t->ncols)
		return "";
	return t->rows[row][col];
}

const char *dc_table_value(const struct dc_table *t, long row, const char *name)
{
	return dc_table_get(t, row, dc_table_col(t, name));
}

static char *trim_dup(const char *s, size_t n)
{
	while (n && isspace((unsigned char)*s)) {
		s++;
		n--;
	}
	while (n && isspace((unsigned char)s[n - 1]))
		n--;
	char *p = dc_xmalloc(n + 1);
	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

/* The row with the same key as |row| (one or two columns), or -1. */
static long find_key(const struct dc_table *t, char **row)
{
	long i = dc_table_find(t, row[0]);
	if (i < 0 || t->keycols < 2)
		return i;
	for (size_t k = (size_t)i; k < t->nrows; k++)
		if (!strcmp(t->rows[k][0], row[0]) && !strcmp(t->rows[k][1], row[1]))
			return (long)k;
	return -1;
}

/*
 * Reads one table file into |t|. Comment lines (#...) before the header are
 * skipped. Returns 0, 1 when the file does not exist, or DC_ERR_RULE.
 */
static int load_file(struct dc_table *t, const char *path, int overlay,
		     struct dc_diag_sink *ds)
{
	struct stat st;
	if (stat(path, &st) != 0)
		return 1;
	struct dc_input in;
	int rc = dc_input_open_file(&in, path, ds);
	if (rc < 0) {
		dc_input_close(&in);
		return DC_ERR_RULE;
	}
	struct dc_csv csv;
	struct dc_csv_record rec;
	dc_csv_init(&csv, &in, ',');
	char *src = dc_xstrdup(path);
	int have_header = 0;
	int *map = NULL;   /* file column -> table column (overlay) */
	size_t nmap = 0;
	rc = DC_OK;
	for (;;) {
		int r = dc_csv_next(&csv, &rec);
		if (r == 0)
			break;
		if (r < 0) {
			rc = dc_diag_report(ds, DC_SEV_ERROR, DC_ERR_RULE, path, rec.line,
					    "cannot read table row: %s",
					    rec.error ? rec.error : "input error");
			break;
		}
		if (rec.nfields >= 1 && rec.fields[0][0] == '#')
			continue;   /* comment line */
		if (!have_header) {
			have_header = 1;
			nmap = rec.nfields;
			map = dc_xcalloc(nmap, sizeof *map);
			if (!t->present || !overlay) {
				t->ncols = rec.nfields;
				t->cols = dc_xcalloc(t->ncols, sizeof *t->cols);
				for (size_t i = 0; i < rec.nfields; i++) {
					t->cols[i] = trim_dup(rec.fields[i], rec.lens[i]);
					map[i] = (int)i;
				}
			} else {
				for (size_t i = 0; i < rec.nfields; i++) {
					char *name = trim_dup(rec.fields[i], rec.lens[i]);
					map[i] = dc_table_col(t, name);
					if (map[i] < 0)
						dc_diag_report(ds, DC_SEV_WARNING, 0, path, rec.line,
							"overlay column '%s' is not in the shipped table", name);
					free(name);
				}
				if (map[0] != 0) {
					rc = dc_diag_report(ds, DC_SEV_ERROR, DC_ERR_RULE, path, rec.line,
						"overlay's first column must be the key '%s'", t->cols[0]);
					break;
				}
			}
			t->present = 1;
			continue;
		}
		char **row = dc_xcalloc(t->ncols, sizeof *row);
		for (size_t i = 0; i < t->ncols; i++)
			row[i] = NULL;
		for (size_t i = 0; i < rec.nfields && i < nmap; i++)
			if (map[i] >= 0)
				row[map[i]] = trim_dup(rec.fields[i], rec.lens[i]);
		for (size_t i = 0; i < t->ncols; i++)
			if (!row[i])
				row[i] = dc_xstrdup("");
		long existing = overlay ? find_key(t, row) : -1;
		if (existing >= 0) {
			/* replace the shipped row; empty overlay cells keep the shipped value */
			for (size_t i = 0; i < t->ncols; i++) {
				if (row[i][0] || i == 0) {
					free(t->rows[existing][i]);
					t->rows[existing][i] = row[i];
				} else {
					free(row[i]);
				}
			}
			free(row);
			t->lines[existing] = rec.line;
			t->srcs[existing] = src;
			continue;
		}
		if (t->nrows == t->cap) {
			t->cap = t->cap ? t->cap * 2 : 64;
			t->rows = dc_xrealloc(t->rows, t->cap * sizeof *t->rows);
			t->lines = dc_xrealloc(t->lines, t->cap * sizeof *t->lines);
			t->srcs = dc_xrealloc(t->srcs, t->cap * sizeof *t->srcs);
		}
		t->rows[t->nrows] = row;
		t->lines[t->nrows] = rec.line;
		t->srcs[t->nrows] = src;
		t->nrows++;
		if (overlay)
			index_rebuild(t);
	}
	free(map);
	dc_csv_release(&csv);
	dc_input_close(&in);
	/*
	 * The strings in srcs point here or at earlier files' names. An earlier
	 * name still named by a row stays (table_release frees each distinct
	 * one); one no row names any more is freed now.
	 */
	int named = 0;
	for (size_t i = 0; t->path && i < t->nrows && !named; i++)
		named = t->srcs[i] == t->path;
	if (!named)
		free(t->path);
	t->path = src;
	if (!have_header && rc == DC_OK)
		rc = dc_diag_report(ds, DC_SEV_ERROR, DC_ERR_RULE, path, 0, "table has no header row");
	index_rebuild(t);
	return rc;
}

static int load_table(struct dc_table *t, const char *name, int required, int keycols,
		      const char *dir, const char *overlay, struct dc_diag_sink *ds)
{
	char path[4096];
	memset(t, 0, sizeof *t);
	t->name = dc_xstrdup(name);
	t->keycols = keycols;
	snprintf(path, sizeof path, "%s/%s", dir, name);
	int rc = load_file(t, path, 0, ds);
	if (rc == 1) {
		if (required)
			return dc_diag_report(ds, DC_SEV_ERROR, DC_ERR_RULE, path, 0,
					      "rules table is missing");
		rc = DC_OK;
	}
	if (rc < 0)
		return rc;
	if (overlay) {
		snprintf(path, sizeof path, "%s/%s", overlay, name);
		rc = load_file(t, path, 1, ds);
		if (rc == 1)
			rc = DC_OK;
	}
	return rc;
}

static void table_release(struct dc_table *t)
{
	for (size_t i = 0; i < t->nrows; i++) {
		for (size_t j = 0; j < t->ncols; j++)
			free(t->rows[i][j]);
		free(t->rows[i]);
	}
	/* row sources: each distinct file string once */
	for (size_t i = 0; i < t->nrows; i++) {
		char *s = t->srcs[i];
		if (!s || s == t->path)
			continue;
		for (size_t j = i; j < t->nrows; j++)
			if (t->srcs[j] == s)
				t->srcs[j] = NULL;
		free(s);
	}
	for (size_t j = 0; j < t->ncols; j++)
		free(t->cols[j]);
	free(t->cols);
	free(t->rows);
	free(t->lines);
	free(t->srcs);
	free(t->slots);
	free(t->name);
	free(t->path);
	memset(t, 0, sizeof *t);
}

/* field, file, required, key columns */
#define TABLES(X) \
	X(us_drugs, "us/drugs.csv", 1, 1) X(us_ndc, "us/ndc.csv", 1, 1) \
	X(us_admin, "us/admin-codes.csv", 1, 1) X(us_charges, "us/charges.csv", 1, 1) \
	X(us_payers, "us/payers.csv", 1, 1) X(us_carc, "us/carc-categories.csv", 0, 2) \
	X(uk_insurers, "uk/insurers.csv", 1, 1) X(uk_procedures, "uk/procedures.csv", 1, 1) \
	X(uk_drugs, "uk/drugs.csv", 1, 1) X(uk_reasons, "uk/remittance-reasons.csv", 0, 1) \
	X(uk_providers, "uk/providers.csv", 0, 2)

int dc_rules_load(struct dc_rules *r, const char *dir, const char *overlay,
		  struct dc_diag_sink *ds)
{
	memset(r, 0, sizeof *r);
	r->dir = dc_xstrdup(dir);
	r->overlay = overlay ? dc_xstrdup(overlay) : NULL;
	if (!is_dir(dir))
		return dc_diag_report(ds, DC_SEV_ERROR, DC_ERR_RULE, dir, 0,
				      "rulesets directory not found");
	int rc = DC_OK;
#define LOAD(field, name, req, keys) \
	if (rc == DC_OK) rc = load_table(&r->field, name, req, keys, dir, overlay, ds);
	TABLES(LOAD)
#undef LOAD
	if (rc == DC_OK)
		dc_uk_drug_index_build(r);
	return rc;
}

void dc_rules_release(struct dc_rules *r)
{
#define REL(field, name, req, keys) table_release(&r->field);
	TABLES(REL)
#undef REL
	dc_uk_drug_index_release(r);
	free(r->dir);
	free(r->overlay);
	memset(r, 0, sizeof *r);
}
