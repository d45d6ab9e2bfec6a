#include "emitters/uk_items.h"
#include "rulesets/uk_coder.h"
#include "engine/value.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

const char dc_uk_items_header[] =
	"invoice_number,invoice_date,insurer_code,insurer_name,membership_number,auth_ref,"
	"patient_last_name,patient_first_name,patient_dob,patient_postcode,"
	"clinician_name,clinician_registration,type_of_care,treatment_date,diagnosis_codes,"
	"line_no,item_type,code,code_scheme,description,quantity,unit,unit_price,amount,rule\n";

static void field(struct dc_buf *b, const char *s)
{
	dc_buf_csv(b, s ? s : "");
	dc_buf_addc(b, ',');
}

/*
 * ICD-10 codes as insurers print them: validation keeps them without the dot
 * ("D509"), the invoice shows "D50.9". The codes are ';'-separated, principal
 * first, as in the extract.
 */
static void dx_list(struct dc_buf *b, const struct dc_encounter *enc)
{
	struct dc_buf t;
	dc_buf_init(&t);
	for (size_t i = 0; i < enc->ndx; i++) {
		const char *d = enc->dx[i];
		if (i)
			dc_buf_addc(&t, ';');
		if (strlen(d) > 3) {
			dc_buf_add(&t, d, 3);
			dc_buf_addc(&t, '.');
			dc_buf_adds(&t, d + 3);
		} else {
			dc_buf_adds(&t, d);
		}
	}
	field(b, t.p ? t.p : "");
	dc_buf_release(&t);
}

/* procedure / drug / consultation, as coding-uk.md names the item types */
static const char *item_type(const struct dc_line *l)
{
	if (!strcmp(l->kind, "drug"))
		return "drug";
	if (!strcmp(l->kind, "visit"))
		return "consultation";
	return "procedure";
}

void dc_uk_items_format(struct dc_buf *b, const struct dc_encounter *enc,
			const struct dc_coded *c, const struct dc_rules *rules)
{
	if (!c->nlines)
		return;
	const char **f = (const char **)enc->f;
	char date[16], dob[16], tmp[48];
	dc_date_format(enc->service_day, date, sizeof date);
	int32_t days;
	/* the date of birth as YYYY-MM-DD whichever form the extract used */
	const char *pdob = f[DC_E_PATIENT_DOB];
	if (*pdob && dc_date_parse(pdob, &days) == 0)
		pdob = dc_date_format(days, dob, sizeof dob);

	long ir = dc_table_find(&rules->uk_insurers, f[DC_E_PAYER_ID]);
	const char *iname = ir >= 0 ? dc_table_value(&rules->uk_insurers, ir, "name") : "";
	if (!*iname)
		iname = *f[DC_E_PAYER_NAME] ? f[DC_E_PAYER_NAME] : f[DC_E_PAYER_ID];

	char care[32];
	const char *vt = *f[DC_E_VISIT_TYPE] ? f[DC_E_VISIT_TYPE] : "outpatient";
	size_t k = 0;
	for (; vt[k] && k + 1 < sizeof care; k++)
		care[k] = (char)tolower((unsigned char)vt[k]);
	care[k] = '\0';

	for (size_t i = 0; i < c->nlines; i++) {
		const struct dc_line *l = &c->lines[i];
		if (dc_uk_line_bundled(l))
			continue;   /* UK-DRUG-BUNDLED: not itemised for this insurer */
		field(b, l->claim_id);
		field(b, date);
		field(b, f[DC_E_PAYER_ID]);
		field(b, iname);
		field(b, f[DC_E_MEMBER_ID]);
		field(b, f[DC_E_AUTH_REF]);
		field(b, f[DC_E_PATIENT_LAST_NAME]);
		field(b, f[DC_E_PATIENT_FIRST_NAME]);
		field(b, pdob);
		field(b, f[DC_E_PATIENT_POSTCODE]);
		field(b, f[DC_E_RENDERING_PROVIDER_NAME]);
		field(b, f[DC_E_RENDERING_PROVIDER_ID]);
		field(b, care);
		field(b, date);
		dx_list(b, enc);
		dc_buf_printf(b, "%d,", l->line_no);
		const char *type = item_type(l);
		field(b, type);
		field(b, l->code);
		field(b, !strcmp(type, "drug") ? "DMD" : "CCSD");
		field(b, l->description);
		field(b, dc_dec_format(l->units, tmp, sizeof tmp));
		field(b, l->unit);
		field(b, dc_uk_price_format(l->unit_price, tmp, sizeof tmp));
		field(b, dc_money_format(l->charge, tmp, sizeof tmp));
		dc_buf_csv(b, l->rule);
		dc_buf_addc(b, '\n');
	}
}
