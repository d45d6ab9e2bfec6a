/*
 * Values of the extract: exact decimals, dates, times, and the form checks of
 * codes and identifiers. Pure functions; nothing allocates.
 *
 * Decimals are scaled integers (micro-units): 0.25 mg and 250 mcg compare
 * equal after conversion, and no binary floating point is involved anywhere
 * in coding or money.
 */
#ifndef DC_VALUE_H
#define DC_VALUE_H

#include <stddef.h>
#include <stdint.h>

#define DC_DEC_SCALE 1000000LL          /* six decimal places */
#define DC_DEC_MAX   1000000000000LL    /* 10^12 whole units: larger is rejected */

struct dc_dec { int64_t v; };          /* value * DC_DEC_SCALE */

struct dc_when {
	int64_t t;          /* seconds since 1970-01-01T00:00Z (local time when no offset) */
	int present;
	int time_only;      /* HH:MM given: placed on the service date */
};

/*
 * Parses a plain decimal ("12", "-0.5", "1.250"). Returns 0, -1 when
 * malformed, -2 when larger than DC_DEC_MAX or finer than six places.
 */
int dc_dec_parse(const char *s, struct dc_dec *out);
/* Writes the shortest exact form ("12", "0.25") into |buf|. */
char *dc_dec_format(struct dc_dec d, char *buf, size_t n);
/* ceil(a / b) for positive b; a and b in the same scale. */
int64_t dc_dec_ceil_div(struct dc_dec a, struct dc_dec b);

/* Money in cents. Parses "12", "12.5", "12.50"; -1 malformed, -2 out of range. */
int dc_money_parse(const char *s, int64_t *cents);
char *dc_money_format(int64_t cents, char *buf, size_t n);

/* Days since 1970-01-01 for a civil date; and back. */
int32_t dc_days_from_civil(int y, int m, int d);
void dc_civil_from_days(int32_t z, int *y, int *m, int *d);
/*
 * Parses YYYY-MM-DD or YYYYMMDD with a year from 1900 to 2100. Returns 0 or
 * -1.
 */
int dc_date_parse(const char *s, int32_t *days);
/* Writes YYYY-MM-DD. */
char *dc_date_format(int32_t days, char *buf, size_t n);
/* The same with another separator between the parts, or none ('\0'): CCYYMMDD. */
char *dc_date_format_sep(int32_t days, char sep, char *buf, size_t n);

/*
 * Parses HH:MM[:SS] (placed on |service_day|) or YYYY-MM-DDTHH:MM[:SS] with an
 * optional Z or +HH:MM / -HHMM offset (converted to UTC). Returns 0 or -1.
 */
int dc_when_parse(const char *s, int32_t service_day, struct dc_when *out);

/* Form checks: 1 when well formed. */
int dc_npi_valid(const char *s);             /* 10 digits, Luhn with prefix 80840 */
int dc_icd10_form(const char *s);            /* A00, A00.0 ... A00.0000 forms */
/* Copies an ICD-10 code without its dot into |out| (at most 8 bytes). */
void dc_icd10_strip(const char *s, char out[9]);
/*
 * Normalises an NDC to 11 digits (5-4-2): 11 plain digits, or hyphenated
 * 4-4-2, 5-3-2, 5-4-1, 5-4-2. Returns 0, or -1 for any other form.
 */
int dc_ndc_normalise(const char *s, char out[12]);
int dc_gmc_form(const char *s);              /* 7 digits */
int dc_nmc_form(const char *s);              /* 2 digits, letter, 4 digits, letter */
int dc_ccsd_form(const char *s);             /* letter and four digits */

/* FNV-1a 64-bit of a string (shards, id sets). */
uint64_t dc_fnv1a64(const char *s, size_t n);
/* The same, going on from the hash |h| of what came before (the first part
 * starts from DC_FNV1A64_BASIS). */
#define DC_FNV1A64_BASIS 0xcbf29ce484222325ULL
uint64_t dc_fnv1a64_more(uint64_t h, const char *s, size_t n);
/* 1 when --shard k/n is in force (n > 1) and encounter |id| is another shard's. */
int dc_shard_other(const char *id, int k, int n);

#endif
