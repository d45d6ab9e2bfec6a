#include "emitters/dc_emit.h"

#include <stdio.h>

static void counts(struct dc_buf *b, const struct dc_input_stats *s, int totals)
{
	char money[48];
	dc_buf_printf(b, "\"rows\": %lu, \"encounters\": %lu, \"coded\": %lu, \"held\": %lu, "
		      "\"rejected_rows\": %lu, \"already_billed\": %lu, \"not_administered\": %lu",
		      s->rows, s->encounters, s->coded, s->held, s->rejected_rows,
		      s->already_billed, s->not_administered);
	dc_buf_printf(b, ", \"no_claim\": %lu, \"claims\": %lu, \"lines\": %lu, \"charge\": \"%s\"",
		      s->no_claim, s->claims, s->lines,
		      dc_money_format(s->charge, money, sizeof money));
	/* the rows behind each outcome, so the accounting can be checked */
	dc_buf_printf(b, ", \"rows_coded\": %lu, \"rows_held\": %lu, \"rows_already_billed\": %lu",
		      s->rows_coded, s->rows_held, s->rows_already);
	(void)totals;
}

void dc_summary_format(struct dc_buf *b, const struct dc_summary *s)
{
	dc_buf_adds(b, "{\n  \"dripcode\": ");
	dc_buf_json(b, s->version);
	dc_buf_adds(b, ", \"command\": ");
	dc_buf_json(b, s->command);
	dc_buf_adds(b, ", \"now\": ");
	dc_buf_json(b, s->now);
	dc_buf_adds(b, ",\n  \"inputs\": [");
	for (size_t i = 0; i < s->ninputs; i++) {
		const struct dc_input_stats *in = &s->inputs[i];
		dc_buf_adds(b, i ? ",\n    { \"path\": " : "\n    { \"path\": ");
		dc_buf_json(b, in->path);
		dc_buf_adds(b, ", \"format\": ");
		dc_buf_json(b, in->format);
		dc_buf_printf(b, ", \"bytes\": %llu, \"sha256\": ", (unsigned long long)in->bytes);
		dc_buf_json(b, in->sha256);
		dc_buf_adds(b, ",\n      \"status\": ");
		dc_buf_json(b, in->status);
		dc_buf_adds(b, ", ");
		counts(b, in, 0);
		dc_buf_adds(b, ",\n      \"error\": ");
		dc_buf_json(b, in->error);
		dc_buf_adds(b, " }");
	}
	dc_buf_adds(b, s->ninputs ? "\n  ],\n" : "],\n");
	dc_buf_adds(b, "  \"totals\": { ");
	counts(b, s->totals, 1);
	dc_buf_adds(b, " },\n  \"holds_by_category\": {");
	int first = 1;
	for (int k = 1; k < DC_HOLD_COUNT; k++) {
		if (!s->holds[k])
			continue;
		dc_buf_adds(b, first ? " " : ", ");
		dc_buf_json(b, dc_hold_names[k]);
		dc_buf_printf(b, ": %lu", s->holds[k]);
		first = 0;
	}
	dc_buf_adds(b, first ? "},\n" : " },\n");
	dc_buf_adds(b, "  \"unknown_columns\": [");
	for (size_t i = 0; i < s->nunknown; i++) {
		dc_buf_adds(b, i ? ", " : " ");
		dc_buf_json(b, s->unknown[i]);
	}
	dc_buf_adds(b, s->nunknown ? " ],\n" : "],\n");
	dc_buf_adds(b, "  \"warnings_by_rule\": {");
	for (size_t i = 0; i < s->nwarnings; i++) {
		dc_buf_adds(b, i ? ", " : " ");
		dc_buf_json(b, s->warnings[i].rule);
		dc_buf_printf(b, ": %lu", s->warnings[i].count);
	}
	dc_buf_adds(b, s->nwarnings ? " },\n" : "},\n");
	dc_buf_adds(b, "  \"outputs\": [");
	for (size_t i = 0; i < s->noutputs; i++) {
		dc_buf_adds(b, i ? ",\n    { \"path\": " : "\n    { \"path\": ");
		dc_buf_json(b, s->outputs[i].path);
		dc_buf_printf(b, ", \"claims\": %lu, \"bytes\": %llu }", s->outputs[i].claims,
			      (unsigned long long)s->outputs[i].bytes);
	}
	dc_buf_adds(b, s->noutputs ? "\n  ],\n" : "],\n");
	dc_buf_printf(b, "  \"elapsed_s\": %.2f,\n  \"exit_status\": %d\n}\n", s->elapsed_s,
		      s->exit_status);
}
