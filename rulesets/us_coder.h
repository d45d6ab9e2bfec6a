/*
 * US coding engine (spec/coding-us.md): rule ids and the exact arithmetic
 * the coder (rulesets/us_coder.c, entry point dc_us_code() in
 * rulesets/dc_coder.h) shares with the unit tests and `dripcode explain`.
 *
 * Every number here is an integer: minutes are whole minutes (seconds
 * truncated), amounts are struct dc_dec (1e-6 units), money is in cents.
 * Nothing uses binary floating point; products that could pass 2^63 go
 * through a 128-bit multiply-divide (dc_us_muldiv).
 */
#ifndef DC_US_CODER_H
#define DC_US_CODER_H

#include <stdint.h>

#include "engine/value.h"

/* Rule ids of coding-us.md, as they appear in lines.csv and warnings. */
#define DC_US_CLASSIFY        "US-CLASSIFY"
#define DC_US_TIME            "US-TIME"
#define DC_US_OVERNIGHT       "US-OVERNIGHT"
#define DC_US_STOP_DERIVED    "US-STOP-DERIVED"
#define DC_US_PUSH_15         "US-PUSH-15"
#define DC_US_PUSH_NO_STOP    "US-PUSH-NO-STOP"
#define DC_US_ELECTROLYTE     "US-ELECTROLYTE"
#define DC_US_NOT_BILLED      "US-NOT-BILLED"
#define DC_US_SITE            "US-SITE"
#define DC_US_HYD_31          "US-HYD-31"
#define DC_US_HYD_NO_STOP     "US-HYD-NO-STOP"
#define DC_US_HYD_CONCURRENT  "US-HYD-CONCURRENT"
#define DC_US_HYD_ADVERSE     "US-HYD-ADVERSE"
#define DC_US_INITIAL_ONE     "US-INITIAL-ONE"
#define DC_US_HIER_FACILITY   "US-HIER-FACILITY"
#define DC_US_TIE             "US-TIE"
#define DC_US_PRIMARY_PHYS    "US-PRIMARY-PHYSICIAN"
#define DC_US_ADDON_PARENT    "US-ADDON-PARENT"
#define DC_US_PHYS_FACILITY   "US-PHYS-FACILITY"
#define DC_US_ADDL_HOUR       "US-ADDL-HOUR"
#define DC_US_SEQ             "US-SEQ"
#define DC_US_CONC            "US-CONC"
#define DC_US_OVERLAP         "US-OVERLAP"
#define DC_US_PUSH_SEQ        "US-PUSH-SEQ"
#define DC_US_PUSH_SAME       "US-PUSH-SAME"
#define DC_US_HYD_SUBSEQ      "US-HYD-SUBSEQ"
#define DC_US_INJ             "US-INJ"
#define DC_US_EM_99211        "US-EM-99211"
#define DC_US_EM_25           "US-EM-25"
#define DC_US_BUNDLED         "US-BUNDLED"
#define DC_US_DRUG_UNITS      "US-DRUG-UNITS"
#define DC_US_DRUG_JW         "US-DRUG-JW"
#define DC_US_DRUG_JZ         "US-DRUG-JZ"
#define DC_US_NDC             "US-NDC"
#define DC_US_NOC             "US-NOC"
#define DC_US_FLUID           "US-FLUID"
#define DC_US_AUTH            "US-AUTH"
#define DC_US_MUE             "US-MUE"
#define DC_US_FILING          "US-FILING"

/* 837P claims hold at most this many lines; more are split (outputs.md). */
#define DC_US_MAX_LINES_837P 50

/*
 * floor(|a| x |b| / |c|) and its remainder, exact for any non-negative int64
 * operands (128-bit intermediate). Returns 0, or -1 when an operand is
 * negative, |c| is 0 or the quotient does not fit in int64.
 */
int dc_us_muldiv(int64_t a, int64_t b, int64_t c, int64_t *q, int64_t *r);

/* US-ADDL-HOUR: (D - 31) / 60 for D >= 91 minutes, else 0 (90 -> 0, 91 -> 1,
 * 150 -> 1, 151 -> 2). */
int dc_us_addl_hours(int minutes);
/* US-HYD-SUBSEQ: (D + 29) / 60 for D >= 31 minutes, else 0 (31 -> 1,
 * 90 -> 1, 91 -> 2). */
int dc_us_hyd_subseq_units(int minutes);

/* Units an extract or a table may state (dose_unit, billing_unit). */
enum dc_us_unit { DC_US_U_NONE = 0, DC_US_U_MCG, DC_US_U_MG, DC_US_U_G, DC_US_U_ML,
		  DC_US_U_UNITS, DC_US_U_MEQ };
/* Case-insensitive "mcg", "mg", "g", "mL", "units", "mEq"; DC_US_U_NONE
 * for anything else. */
enum dc_us_unit dc_us_unit_parse(const char *s);
const char *dc_us_unit_name(enum dc_us_unit u);

/*
 * Expresses |d| (in |from|) in |to| when the two convert (g, mg and mcg into
 * each other; any other unit only into itself). Converting to a finer unit
 * is exact; to a coarser one rounds up at the sixth decimal (only ever used
 * before a ceiling). Returns 0, or -1 when the units do not convert or the
 * value does not fit.
 */
int dc_us_convert(struct dc_dec d, enum dc_us_unit from, enum dc_us_unit to,
		  struct dc_dec *out);

/*
 * ceil(|amount| / |unit|), both in the same unit and scale. Returns the
 * whole number of billing units (0 for a zero amount), or -1 on a bad unit.
 */
int64_t dc_us_ceil_units(struct dc_dec amount, struct dc_dec unit);

/*
 * US-NDC: CTP04 for |units| HCPCS units of an NDC whose ndc.csv row gives
 * |bill_per_pkg| (billunits_per_package, per item) and |pkg_size|:
 *
 *     UN:  units / billunits_per_package                   (items)
 *     ML:  units / billunits_per_package x package_size    (mL)
 *
 * rounded half up to three decimals. Example: J2405 x 4 from 00404993002
 * (2 mL vial, 4 billing units per vial) is 4 / 4 x 2 = 2 ML; J1745 x 35 from
 * 57894003001 (one 100 mg vial = 10 units) is 3.5 UN. Returns 0 or -1.
 */
int dc_us_ndc_quantity(int64_t units, struct dc_dec bill_per_pkg, struct dc_dec pkg_size,
		       int unit_is_ml, struct dc_dec *qty);

/* |unit_cents| x |units| rounded half up to the cent. Returns 0 or -1. */
int dc_us_line_charge(int64_t unit_cents, struct dc_dec units, int64_t *cents);

#endif
