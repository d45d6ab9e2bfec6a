#include "tests/unit/unit.h"
#include "engine/dc_status.h"
#include "parsers/csv.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Tokenizes |src| at |chunk| bytes per refill into "line:f1|f2|...;" text. */
static void tokenize(const char *src, size_t len, size_t chunk, char delim, char *out,
		     size_t cap)
{
	struct dc_input in;
	struct dc_csv c;
	struct dc_csv_record r;
	dc_input_open_mem(&in, "t", src, len, chunk, NULL);
	dc_csv_init(&c, &in, delim);
	out[0] = '\0';
	int rc;
	while ((rc = dc_csv_next(&c, &r)) != 0) {
		size_t n = strlen(out);
		if (rc == DC_ERR_RECORD) {
			snprintf(out + n, cap - n, "%lu:REJECT(%s);", r.line, r.error);
			continue;
		}
		if (rc < 0) {
			snprintf(out + n, cap - n, "ERR;");
			break;
		}
		n += (size_t)snprintf(out + n, cap - n, "%lu:", r.line);
		for (size_t i = 0; i < r.nfields; i++)
			n += (size_t)snprintf(out + n, cap - n, "%s%s", i ? "|" : "", r.fields[i]);
		snprintf(out + n, cap - n, ";");
	}
	dc_csv_release(&c);
	dc_input_close(&in);
}

static void check_all_chunks(const char *src, char delim, const char *want)
{
	char got[4096];
	size_t len = strlen(src);
	for (size_t chunk = 1; chunk <= len + 1; chunk++) {
		tokenize(src, len, chunk, delim, got, sizeof got);
		CU_ASSERT_STRING_EQUAL(got, want);
		if (strcmp(got, want) != 0) {
			fprintf(stderr, "\nchunk %zu:\n got  %s\n want %s\n", chunk, got, want);
			break;
		}
	}
}

static void test_basic(void)
{
	check_all_chunks("a,b,c\n1,2,3\n", ',', "1:a|b|c;2:1|2|3;");
	check_all_chunks("a,b\n1,2", ',', "1:a|b;2:1|2;");            /* no final newline */
	check_all_chunks("a,,\n", ',', "1:a||;");
}

static void test_bom_crlf_blank(void)
{
	check_all_chunks("\xEF\xBB\xBF" "a,b\r\n1,2\r\n\r\n3,4\r\n", ',', "1:a|b;2:1|2;4:3|4;");
	check_all_chunks("a\n\n\nb\n", ',', "1:a;4:b;");
	check_all_chunks("a\rb\r", ',', "1:a;2:b;");                   /* lone CR line ends */
}

static void test_quotes(void)
{
	check_all_chunks("x,\"a,b\",\"say \"\"hi\"\"\"\n", ',', "1:x|a,b|say \"hi\";");
	check_all_chunks("\"line1\nline2\",z\nnext,1\n", ',', "1:line1\nline2|z;3:next|1;");
	check_all_chunks("\"\",\"\"\n", ',', "1:|;");
}

static void test_bad_records(void)
{
	check_all_chunks("a,b\n\"open,c\nd,e\n", ',',
			 "1:a|b;2:REJECT(unterminated quoted field at end of input);");
	check_all_chunks("\"a\"x,b\nc,d\n", ',',
			 "1:REJECT(unexpected character after a closing quote);2:c|d;");
	const char nul[] = "a,b\nc\0d,e\nf,g\n";
	char got[512];
	tokenize(nul, sizeof nul - 1, 3, ',', got, sizeof got);
	CU_ASSERT_STRING_EQUAL(got, "1:a|b;2:REJECT(NUL byte in record);3:f|g;");
	/* a line of a NUL alone is that line's bad record, not the next line's */
	const char nul_line[] = "a,b\n\0\nf,g\n";
	for (size_t chunk = 1; chunk <= sizeof nul_line; chunk++) {
		tokenize(nul_line, sizeof nul_line - 1, chunk, ',', got, sizeof got);
		CU_ASSERT_STRING_EQUAL(got, "1:a|b;2:REJECT(NUL byte in record);3:f|g;");
	}
}

/* The line a record ends on: its own, whether a line end or the input ends it. */
static void test_last_line(void)
{
	static const char src[] = "a\n\"x\ny\",z\r\nb\n\nc";
	static const unsigned long want[][2] = { { 1, 1 }, { 2, 3 }, { 4, 4 }, { 6, 6 } };
	for (size_t chunk = 1; chunk <= sizeof src; chunk++) {
		struct dc_input in;
		struct dc_csv c;
		struct dc_csv_record r;
		dc_input_open_mem(&in, "t", src, sizeof src - 1, chunk, NULL);
		dc_csv_init(&c, &in, ',');
		size_t n = 0;
		while (dc_csv_next(&c, &r) == 1 && n < 4) {
			CU_ASSERT_EQUAL(r.line, want[n][0]);
			CU_ASSERT_EQUAL(r.last_line, want[n][1]);
			n++;
		}
		CU_ASSERT_EQUAL(n, 4);
		dc_csv_release(&c);
		dc_input_close(&in);
	}
}

static void test_delimiters(void)
{
	check_all_chunks("a;b\n1;\"x;y\"\n", ';', "1:a|b;2:1|x;y;");
	check_all_chunks("a\tb\n1\t2\n", '\t', "1:a|b;2:1|2;");
	check_all_chunks("a|b\n1|2\n", '|', "1:a|b;2:1|2;");
}

static void test_limits(void)
{
	/* more fields than the limit: the record is skipped whole, the next one read */
	size_t n = DC_CSV_MAX_FIELDS + 10;
	char *src = malloc(n * 2 + 16);
	size_t o = 0;
	for (size_t i = 0; i < n; i++) {
		src[o++] = 'x';
		src[o++] = i + 1 < n ? ',' : '\n';
	}
	memcpy(src + o, "ok\n", 4);
	char got[512];
	tokenize(src, strlen(src), 4096, ',', got, sizeof got);
	CU_ASSERT_STRING_EQUAL(got, "1:REJECT(record with more than 2048 fields);2:ok;");
	free(src);
	/* a record longer than the limit */
	size_t big = DC_CSV_MAX_RECORD + 100;
	src = malloc(big + 8);
	memset(src, 'y', big);
	memcpy(src + big, "\nok\n", 5);
	tokenize(src, big + 4, 65536, ',', got, sizeof got);
	CU_ASSERT_STRING_EQUAL(got,
		"1:REJECT(record longer than the limit of 1048576 bytes);2:ok;");
	free(src);
}

int register_csv_tests(void)
{
	CU_pSuite s = CU_add_suite("csv", NULL, NULL);
	if (!s)
		return -1;
	DC_ADD_TEST(s, test_basic);
	DC_ADD_TEST(s, test_bom_crlf_blank);
	DC_ADD_TEST(s, test_quotes);
	DC_ADD_TEST(s, test_bad_records);
	DC_ADD_TEST(s, test_last_line);
	DC_ADD_TEST(s, test_delimiters);
	DC_ADD_TEST(s, test_limits);
	return 0;
}
