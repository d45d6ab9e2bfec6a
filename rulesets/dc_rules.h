/*
 * Rulesets: the CSV tables the engine reads (rulesets.md), loaded once per
 * run into memory and indexed by their key column.
 *
 * A table file starts with '#' comment lines (source and date), then a header
 * row, then data rows. An overlay directory's table adds rows or replaces
 * rows with the same key. The rules own all their memory; strings returned are
 * borrowed until dc_rules_release().
 */
#ifndef DC_RULES_H
#define DC_RULES_H

#include <stddef.h>
#include <stdint.h>

#include "engine/diag.h"

struct dc_table {
	char *name;                 /* "us/payers.csv" */
	char *path;                 /* file it came from (the last one read) */
	int present;
	int keycols;                /* 1, or 2 when the key is the first two columns */
	char **cols;
	size_t ncols;
	char ***rows;
	unsigned long *lines;       /* line of each row in its file */
	char **srcs;                /* file of each row (shared strings) */
	size_t nrows, cap;
	size_t *slots;              /* hash index on column 0: row + 1, 0 = empty */
	/* dc_table_col's memo, keyed by the name's address (callers pass string
	 * literals), filled on first use by any thread; every hit is checked
	 * against the column's name, so a stale or torn entry is never trusted */
	_Atomic(const char *) memo_name[32];
	_Atomic int memo_col[32];
	size_t nslots;
};

/* Normalised names to table rows, sorted by name: each name once, its first row. */
struct dc_name_index {
	struct dc_name_row { char *name; long row; } *e;
	size_t n;
};

struct dc_rules {
	char *dir, *overlay;
	int32_t today;              /* the run's date (days since 1970), 0 when unknown */
	struct dc_table us_drugs, us_ndc, us_admin, us_charges, us_payers, us_carc;
	struct dc_table uk_insurers, uk_procedures, uk_drugs, uk_reasons, uk_providers;
	/* uk/drugs.csv by the names in its `names` lists, and by generic_name
	 * (built by dc_rules_load; read-only afterwards, so threads share it) */
	struct dc_name_index uk_drug_names, uk_drug_generics;
};

/*
 * Loads every table from |dir| (and |overlay| when not NULL). Returns 0 or
 * DC_ERR_RULE, with each problem reported to |ds| by file, line and column.
 */
int dc_rules_load(struct dc_rules *r, const char *dir, const char *overlay,
		  struct dc_diag_sink *ds);
void dc_rules_release(struct dc_rules *r);
/*
 * Builds |r|'s indexes of UK drug names from its uk_drugs table (called by
 * dc_rules_load; uk_coder.c, which owns the normalisation of names).
 */
void dc_uk_drug_index_build(struct dc_rules *r);
void dc_uk_drug_index_release(struct dc_rules *r);
/* The rulesets directory to use when no --rules is given. */
const char *dc_rules_default_dir(void);

/* Row index of the first row whose column 0 is |key|, or -1. */
long dc_table_find(const struct dc_table *t, const char *key);
/* Column index of |name|, or -1. */
int dc_table_col(const struct dc_table *t, const char *name);
/* Value at |row|, column |col| ("" when out of range). */
const char *dc_table_get(const struct dc_table *t, long row, int col);
/* Value at |row| of the column named |name| ("" when absent). */
const char *dc_table_value(const struct dc_table *t, long row, const char *name);

#endif
