/*
 * The run's report files: lines.csv rows, held.csv, summary.json.
 * Formatters append to a dc_buf owned by the caller; nothing here opens files
 * except through a dc_out handed in.
 */
#ifndef DC_EMIT_H
#define DC_EMIT_H

#include <stdint.h>

#include "engine/buf.h"
#include "engine/coded.h"
#include "engine/encounter.h"
#include "engine/output.h"
#include "rulesets/dc_rules.h"

struct dc_input_stats {
	char *path;
	const char *format;          /* "csv", "hl7xml" */
	uint64_t bytes;
	char sha256[65];
	const char *status;          /* ok, partial, failed */
	char *error;
	unsigned long rows, encounters, coded, held, rejected_rows, already_billed,
		      not_administered, no_claim, claims, lines;
	unsigned long rows_coded, rows_held, rows_already;
	int64_t charge;              /* cents */
};

struct dc_rule_count {
	char *rule;
	unsigned long count;
};

struct dc_output_info {
	const char *path;
	unsigned long claims;
	uint64_t bytes;
};

extern const char dc_lines_header[];
/* Appends the lines.csv rows of one coded encounter. */
void dc_lines_format(struct dc_buf *b, const struct dc_encounter *enc,
		     const struct dc_coded *c);

/* uk-line-items.csv: its header, and the rows of one invoice. */
extern const char dc_uk_items_header[];
void dc_uk_items_format(struct dc_buf *b, const struct dc_encounter *enc,
			const struct dc_coded *c, const struct dc_rules *rules);

struct dc_summary {
	const char *version, *command, *now;
	const struct dc_input_stats *inputs;
	size_t ninputs;
	const struct dc_input_stats *totals;
	const unsigned long *holds;           /* [DC_HOLD_COUNT] */
	char *const *unknown;
	size_t nunknown;
	const struct dc_rule_count *warnings;
	size_t nwarnings;
	const struct dc_output_info *outputs;
	size_t noutputs;
	double elapsed_s;
	int exit_status;
};

/* Writes summary.json. */
void dc_summary_format(struct dc_buf *b, const struct dc_summary *s);

#endif
