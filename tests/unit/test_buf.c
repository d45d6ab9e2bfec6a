#include "tests/unit/unit.h"
#include "engine/buf.h"

#include <limits.h>
#include <stdio.h>
#include <string.h>

/*
 * dc_format must give what snprintf gives, byte for byte and in its
 * result, for the conversions it formats itself and for those it hands on.
 */
#define SAME(cap, ...)                                                        \
	do {                                                                  \
		char want[64], got[64];                                       \
		memset(want, 'x', sizeof want);                               \
		memset(got, 'x', sizeof got);                                 \
		int nw = snprintf(want, (cap), __VA_ARGS__);                  \
		int ng = dc_format(got, (cap), __VA_ARGS__);                  \
		CU_ASSERT_EQUAL(ng, nw);                                      \
		CU_ASSERT_EQUAL(memcmp(got, want, sizeof got), 0);            \
	} while (0)

static void test_format_as_snprintf(void)
{
	SAME(64, "plain text");
	SAME(64, "%s", "");
	SAME(64, "fee_%s", "NHS-ENGLAND");
	SAME(64, "%s x %s = %s", "2", "12.50", "25.00");
	SAME(64, "%d,", 0);
	SAME(64, "%d|%d", INT_MAX, INT_MIN);
	SAME(64, "%ld %ld", LONG_MAX, LONG_MIN);
	SAME(64, "%lu", ULONG_MAX);
	SAME(64, "HL%c%ld%c%ld", '*', 12L, '*', 1L);
	SAME(64, "%02d:%02d", 9, 5);
	SAME(64, "%02d:%02d", 23, 59);
	SAME(64, "%04d%c%02d%c%02d", 2026, '-', 3, '-', 25);
	SAME(64, "%05d", 123456);
	SAME(64, "%.*s|", 3, "abcdef");
	SAME(64, "%.*s|", 10, "abc");
	SAME(64, "%.*s|", 0, "abc");
	SAME(64, "%.*s|", -1, "abc");
	SAME(64, "100%% of %s", "it");
	/* handed on to vsnprintf */
	SAME(64, "%02d", -5);
	SAME(64, "%-4s|%5s|", "ab", "cd");
	SAME(64, "%x %.2f", 255u, 1.5);
	SAME(64, "%zu", (size_t)42);
	/* too long for |cap|: truncated as snprintf truncates */
	SAME(8, "%s", "abcdefghijkl");
	SAME(8, "1234567");
	SAME(8, "12345678");
	SAME(1, "%d", 7);
	SAME(5, "%lu", 123456UL);
}

static void test_buf_printf_grows(void)
{
	struct dc_buf b;
	dc_buf_init(&b);
	char big[1000];
	memset(big, 'q', sizeof big - 1);
	big[sizeof big - 1] = '\0';
	dc_buf_printf(&b, "%s:%lu", "a", 7UL);
	dc_buf_printf(&b, "[%s]", big);   /* more than the room there was */
	CU_ASSERT_EQUAL(b.len, 3 + 1 + 999 + 1);
	CU_ASSERT_EQUAL(strncmp(b.p, "a:7[qqq", 7), 0);
	CU_ASSERT_EQUAL(b.p[b.len - 1], ']');
	CU_ASSERT_EQUAL(b.p[b.len], '\0');
	dc_buf_release(&b);
}

struct io { const char *in, *out; };

/* Each case's input, formatted by |fmt| alone in |b|, gives its output. */
static void each_case(struct dc_buf *b, void (*fmt)(struct dc_buf *, const char *),
		      const struct io *cases, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		dc_buf_reset(b);
		fmt(b, cases[i].in);
		CU_ASSERT_STRING_EQUAL(b->p, cases[i].out);
	}
}

static void test_csv_field_quoting(void)
{
	static const struct io cases[] = {
		{ "", "" },
		{ "plain value", "plain value" },
		{ "a,b", "\"a,b\"" },
		{ "say \"hi\"", "\"say \"\"hi\"\"\"" },
		{ "cr\rhere", "\"cr\rhere\"" },
		{ "lf\nhere", "\"lf\nhere\"" },
		{ "tab\tsemi;colon", "tab\tsemi;colon" },
	};
	struct dc_buf b;
	dc_buf_init(&b);
	each_case(&b, dc_buf_csv, cases, sizeof cases / sizeof *cases);
	/* long fields, the comma early, late or absent, after a prefix */
	char in[121], want[140];
	for (int at = -1; at < 120; at += 7) {
		memset(in, 'v', 120);
		in[120] = '\0';
		if (at >= 0)
			in[at] = ',';
		snprintf(want, sizeof want, at >= 0 ? "p;\"%s\"" : "p;%s", in);
		dc_buf_reset(&b);
		dc_buf_adds(&b, "p;");
		dc_buf_csv(&b, in);
		CU_ASSERT_STRING_EQUAL(b.p, want);
		CU_ASSERT_EQUAL(b.len, strlen(want));
	}
	dc_buf_release(&b);
}

static void test_json_string(void)
{
	static const struct io cases[] = {
		{ "", "\"\"" },
		{ "J9312", "\"J9312\"" },
		{ "a\"b\\c", "\"a\\\"b\\\\c\"" },
		{ "\n\r\t", "\"\\n\\r\\t\"" },
		{ "x\x01y\x1f", "\"x\\u0001y\\u001f\"" },
		{ "caf\xc3\xa9 ~", "\"caf\xc3\xa9 ~\"" },
	};
	struct dc_buf b;
	dc_buf_init(&b);
	each_case(&b, dc_buf_json, cases, sizeof cases / sizeof *cases);
	dc_buf_reset(&b);
	dc_buf_json(&b, NULL);
	CU_ASSERT_STRING_EQUAL(b.p, "null");
	dc_buf_release(&b);
}

/* Strings of every length around the 32 bytes copied one at a time, into
 * buffers with and without room. */
static void test_adds_lengths(void)
{
	char src[101];
	for (int i = 0; i < 100; i++)
		src[i] = (char)('a' + i % 26);
	src[100] = '\0';
	for (size_t pre = 0; pre < 300; pre += 37) {
		for (size_t n = 0; n <= 100; n++) {
			struct dc_buf b = { 0 };   /* grows from nothing */
			if (n % 2)
				dc_buf_init(&b);
			for (size_t k = 0; k < pre; k++)
				dc_buf_addc(&b, '-');
			char s[101];
			memcpy(s, src, n);
			s[n] = '\0';
			dc_buf_adds(&b, s);
			CU_ASSERT_EQUAL(b.len, pre + n);
			CU_ASSERT_EQUAL(memcmp(b.p + pre, src, n), 0);
			CU_ASSERT_EQUAL(b.p[b.len], '\0');
			CU_ASSERT(b.len < b.cap);
			dc_buf_release(&b);
		}
	}
}

int register_buf_tests(void)
{
	CU_pSuite s = CU_add_suite("buf", NULL, NULL);
	if (!s)
		return -1;
	DC_ADD_TEST(s, test_format_as_snprintf);
	DC_ADD_TEST(s, test_buf_printf_grows);
	DC_ADD_TEST(s, test_csv_field_quoting);
	DC_ADD_TEST(s, test_adds_lengths);
	DC_ADD_TEST(s, test_json_string);
	return 0;
}
