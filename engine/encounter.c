#include "engine/encounter.h"

#include <string.h>

#define DC_X_NAME(id, name) name,
const char *const dc_column_names[DC_COL_COUNT] = {
	DC_ENC_FIELDS(DC_X_NAME) DC_ITEM_FIELDS(DC_X_NAME)
};

const int dc_required_header[] = {
	DC_E_ENCOUNTER_ID, DC_E_SERVICE_DATE, DC_E_COUNT + DC_I_ITEM_TYPE,
	DC_E_PATIENT_ID, DC_E_PAYER_ID, DC_E_MEMBER_ID
};
const size_t dc_required_header_count =
	sizeof dc_required_header / sizeof dc_required_header[0];

const char *const dc_hold_names[DC_HOLD_COUNT] = {
	"", "preauth", "sole_procedure", "drug_coding", "provider", "documentation",
	"eligibility", "invalid_field", "unknown_drug", "conflicting_fields",
	"input_order", "coding_limit", "timely_filing"
};

int dc_column_lookup(const char *name)
{
	for (int i = 0; i < DC_COL_COUNT; i++)
		if (strcmp(dc_column_names[i], name) == 0)
			return i;
	return -1;
}

int dc_phi_column(int canon)
{
	switch (canon) {
	case DC_E_PATIENT_LAST_NAME: case DC_E_PATIENT_FIRST_NAME: case DC_E_PATIENT_DOB:
	case DC_E_PATIENT_ADDRESS: case DC_E_PATIENT_CITY: case DC_E_PATIENT_POSTCODE:
	case DC_E_MEMBER_ID: case DC_E_SUBSCRIBER_LAST_NAME: case DC_E_SUBSCRIBER_FIRST_NAME:
	case DC_E_SUBSCRIBER_DOB: case DC_E_SUBSCRIBER_ADDRESS: case DC_E_SUBSCRIBER_CITY:
	case DC_E_SUBSCRIBER_POSTCODE: case DC_E_GROUP_NUMBER:
		return 1;
	default:
		return 0;
	}
}
