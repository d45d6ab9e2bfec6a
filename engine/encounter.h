/*
 * The encounter model: one clinic visit, its items (drugs, procedures,
 * visits, supplies) and, once validated, their parsed values.
 *
 * Every string and array here is borrowed from the arena the reader filled;
 * nothing survives dc_arena_reset(). Field values are kept as the extract gave
 * them (trimmed) in f[] so that held.csv can reproduce them; parsed forms sit
 * beside them.
 */
#ifndef DC_ENCOUNTER_H
#define DC_ENCOUNTER_H

#include <stddef.h>
#include <stdint.h>

#include "engine/value.h"

/* Canonical columns, in the order of input-csv.md (held.csv uses it). */
#define DC_ENC_FIELDS(X) \
	X(ENCOUNTER_ID, "encounter_id") X(SCHEME, "scheme") \
	X(BILLING_PARTY, "billing_party") X(PLACE_OF_SERVICE, "place_of_service") \
	X(SERVICE_DATE, "service_date") X(PATIENT_ID, "patient_id") \
	X(PATIENT_LAST_NAME, "patient_last_name") X(PATIENT_FIRST_NAME, "patient_first_name") \
	X(PATIENT_DOB, "patient_dob") X(PATIENT_SEX, "patient_sex") \
	X(PATIENT_ADDRESS, "patient_address") X(PATIENT_CITY, "patient_city") \
	X(PATIENT_STATE, "patient_state") X(PATIENT_POSTCODE, "patient_postcode") \
	X(PAYER_ID, "payer_id") X(PAYER_NAME, "payer_name") X(MEMBER_ID, "member_id") \
	X(SUBSCRIBER_RELATIONSHIP, "subscriber_relationship") \
	X(SUBSCRIBER_LAST_NAME, "subscriber_last_name") \
	X(SUBSCRIBER_FIRST_NAME, "subscriber_first_name") \
	X(SUBSCRIBER_DOB, "subscriber_dob") X(SUBSCRIBER_SEX, "subscriber_sex") \
	X(SUBSCRIBER_ADDRESS, "subscriber_address") X(SUBSCRIBER_CITY, "subscriber_city") \
	X(SUBSCRIBER_STATE, "subscriber_state") X(SUBSCRIBER_POSTCODE, "subscriber_postcode") \
	X(GROUP_NUMBER, "group_number") X(AUTH_REF, "auth_ref") \
	X(DIAGNOSIS_CODES, "diagnosis_codes") \
	X(RENDERING_PROVIDER_ID, "rendering_provider_id") \
	X(RENDERING_PROVIDER_NAME, "rendering_provider_name") \
	X(INDICATION, "indication") X(CONSENT, "consent") X(VISIT_TYPE, "visit_type")

#define DC_ITEM_FIELDS(X) \
	X(ITEM_TYPE, "item_type") X(CODE, "code") X(MODIFIERS, "modifiers") \
	X(DRUG_NAME, "drug_name") X(NDC, "ndc") X(DMD_CODE, "dmd_code") \
	X(DOSE, "dose") X(DOSE_UNIT, "dose_unit") X(CONCENTRATION, "concentration") \
	X(WASTED, "wasted") X(VOLUME_ML, "volume_ml") X(RATE_ML_HR, "rate_ml_hr") \
	X(ROUTE, "route") X(METHOD, "method") X(ACCESS_SITE, "access_site") \
	X(ADMIN_ID, "admin_id") X(BAG_ID, "bag_id") X(START_TIME, "start_time") \
	X(STOP_TIME, "stop_time") X(PURPOSE, "purpose") X(REASON, "reason") \
	X(PRIMARY, "primary") X(SEPARATELY_IDENTIFIABLE, "separately_identifiable") \
	X(CHARGE, "charge") X(UNITS, "units")

#define DC_X_ENUM_E(id, name) DC_E_##id,
#define DC_X_ENUM_I(id, name) DC_I_##id,
enum dc_enc_field { DC_ENC_FIELDS(DC_X_ENUM_E) DC_E_COUNT };
enum dc_item_field { DC_ITEM_FIELDS(DC_X_ENUM_I) DC_I_COUNT };

/* A canonical column: index < DC_E_COUNT is encounter-level, else item-level
 * (index - DC_E_COUNT). */
#define DC_COL_COUNT (DC_E_COUNT + DC_I_COUNT)
extern const char *const dc_column_names[DC_COL_COUNT];
/* Returns the canonical index of |name| (exact, lowercase), or -1. */
int dc_column_lookup(const char *name);
/* 1 for columns whose values never appear in diagnostics (names, dates of
 * birth, member numbers, addresses). */
int dc_phi_column(int canon);
/* Columns every extract must have in its header. */
extern const int dc_required_header[];
extern const size_t dc_required_header_count;

enum dc_scheme { DC_SCHEME_US = 0, DC_SCHEME_UK = 1 };
enum dc_item_type { DC_ITEM_DRUG, DC_ITEM_PROCEDURE, DC_ITEM_VISIT, DC_ITEM_SUPPLY };

enum dc_hold {
	DC_HOLD_NONE = 0,
	DC_HOLD_PREAUTH, DC_HOLD_SOLE_PROCEDURE, DC_HOLD_DRUG_CODING, DC_HOLD_PROVIDER,
	DC_HOLD_DOCUMENTATION, DC_HOLD_ELIGIBILITY, DC_HOLD_INVALID_FIELD,
	DC_HOLD_UNKNOWN_DRUG, DC_HOLD_CONFLICTING_FIELDS, DC_HOLD_INPUT_ORDER,
	DC_HOLD_CODING_LIMIT, DC_HOLD_TIMELY_FILING,
	DC_HOLD_COUNT
};
extern const char *const dc_hold_names[DC_HOLD_COUNT];

/* One row of the extract. */
struct dc_item {
	unsigned long line;             /* input line where the row starts */
	const char *f[DC_I_COUNT];      /* trimmed values ("" when empty/absent) */
	/* the row exactly as read, in the input's column order (held.csv) */
	const char **raw;
	size_t nraw;

	/* parsed by dc_encounter_validate() */
	enum dc_item_type type;
	struct dc_dec dose, wasted, volume_ml, rate_ml_hr, units;
	struct dc_dec charge;           /* NB: charge.v is in cents, not the 1e6 scale */
	int has_dose, has_wasted, has_volume, has_rate, has_charge, has_units;
	struct dc_when start, stop;
	char ndc11[12];                 /* normalised NDC, "" when none */
	int primary, separately_identifiable;
};

struct dc_encounter {
	const char *f[DC_E_COUNT];      /* first non-empty value of each column */
	unsigned long first_line;       /* line of the first row */
	unsigned long last_line;
	struct dc_item *items;
	size_t nitems;
	int input_index;                /* which input of the run */
	unsigned long not_administered; /* rows of the encounter not given (XML RXA.20 NA/RE) */
	int validated;                  /* dc_encounter_validate() has run */

	/* set by the reader or by validation / coding */
	enum dc_hold hold;
	const char *hold_reason;        /* names the column and value, or what is missing */

	/* parsed by dc_encounter_validate() */
	enum dc_scheme scheme;
	int facility;                   /* billing_party=facility */
	int32_t service_day;            /* days since 1970-01-01 */
	const char **dx;                /* ICD-10 codes without dots, principal first */
	size_t ndx;
};

#endif
