#include "emitters/dc_emit.h"

#include <stdio.h>

const char dc_lines_header[] =
	"encounter_id,claim_id,scheme,claim_type,line_no,line_control,kind,code,modifiers,"
	"units,charge,ndc,ndc_quantity,ndc_unit,dmd_code,description,diagnosis_pointers,"
	"rule,source_lines\n";

void dc_lines_format(struct dc_buf *b, const struct dc_encounter *enc,
		     const struct dc_coded *c)
{
	char num[48];
	const char *scheme = enc->scheme == DC_SCHEME_UK ? "UK" : "US";
	for (size_t i = 0; i < c->nlines; i++) {
		const struct dc_line *l = &c->lines[i];
		dc_buf_csv(b, enc->f[DC_E_ENCOUNTER_ID]);
		dc_buf_addc(b, ',');
		dc_buf_csv(b, l->claim_id);
		dc_buf_addc(b, ',');
		dc_buf_adds(b, scheme);
		dc_buf_addc(b, ',');
		dc_buf_adds(b, l->claim_type);
		dc_buf_addc(b, ',');
		dc_buf_adds(b, dc_dec_format((struct dc_dec){ (int64_t)l->line_no * DC_DEC_SCALE },
					     num, sizeof num));
		dc_buf_addc(b, ',');
		dc_buf_csv(b, l->line_control);
		dc_buf_addc(b, ',');
		dc_buf_csv(b, l->kind);
		dc_buf_addc(b, ',');
		dc_buf_csv(b, l->code);
		dc_buf_addc(b, ',');
		dc_buf_csv(b, l->modifiers);
		dc_buf_addc(b, ',');
		dc_buf_adds(b, dc_dec_format(l->units, num, sizeof num));
		dc_buf_addc(b, ',');
		dc_buf_adds(b, dc_money_format(l->charge, num, sizeof num));
		dc_buf_addc(b, ',');
		dc_buf_csv(b, l->ndc);
		dc_buf_addc(b, ',');
		if (l->ndc[0])
			dc_buf_adds(b, dc_dec_format(l->ndc_quantity, num, sizeof num));
		dc_buf_addc(b, ',');
		dc_buf_csv(b, l->ndc_unit);
		dc_buf_addc(b, ',');
		dc_buf_csv(b, l->dmd_code);
		dc_buf_addc(b, ',');
		dc_buf_csv(b, l->description);
		dc_buf_addc(b, ',');
		dc_buf_csv(b, l->dx_pointers);
		dc_buf_addc(b, ',');
		dc_buf_csv(b, l->rule);
		dc_buf_addc(b, ',');
		dc_buf_csv(b, l->source_lines);
		dc_buf_addc(b, '\n');
	}
}
