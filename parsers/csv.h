/*
 * RFC 4180 tokenizer over a dc_input: one record per call.
 *
 * Handles a leading byte-order mark, CRLF and LF (and a lone CR) line ends,
 * quoted fields with separators, doubled quotes and line breaks. Limits keep
 * memory bounded on hostile input: a record longer than max_record bytes or
 * with more than max_fields fields is skipped whole and reported.
 *
 * The tokenizer owns the record buffer: field pointers stay valid until the
 * next dc_csv_next() or dc_csv_release().
 */
#ifndef DC_CSV_H
#define DC_CSV_H

#include <stddef.h>

#include "engine/input.h"

#define DC_CSV_MAX_RECORD (1024 * 1024)   /* bytes in one record */
#define DC_CSV_MAX_FIELDS 2048            /* fields in one record */
#define DC_CSV_RAW_KEEP 1000              /* characters of a bad record kept */

struct dc_csv_record {
	unsigned long line;       /* line where the record starts (1-based) */
	unsigned long last_line;  /* line where it ends */
	char **fields;            /* NUL-terminated, unescaped */
	size_t *lens;             /* byte length of each field (NUL bytes are rejected) */
	size_t nfields;
	const char *raw;          /* first DC_CSV_RAW_KEEP bytes of the record as read */
	size_t rawlen;
	const char *error;        /* set with DC_ERR_RECORD */
};

struct dc_csv {
	struct dc_input *in;
	char delim;
	unsigned long line;
	int started;
	int skip_lf;              /* a CR ended the last line: swallow one LF */
	size_t max_record, max_fields;
	char *rec;                /* field bytes, NUL-separated */
	size_t reclen, reccap;
	size_t *offs;             /* start offset of each field */
	char **fields;
	size_t *lens;
	size_t fcap;
	unsigned char stop_plain[256];   /* bytes that end an unquoted run */
	unsigned char stop_quoted[256];  /* bytes that end a quoted run */
	char raw[DC_CSV_RAW_KEEP];
	size_t rawlen;
};

void dc_csv_init(struct dc_csv *c, struct dc_input *in, char delim);
void dc_csv_release(struct dc_csv *c);
/*
 * Reads the next non-blank record into |r|. Returns 1, 0 at the end of the
 * input, DC_ERR_RECORD when a malformed record was skipped (|r| has its
 * line, raw text and error; reading may go on), or a negative status from
 * the input (the input cannot be read further).
 */
int dc_csv_next(struct dc_csv *c, struct dc_csv_record *r);

#endif
