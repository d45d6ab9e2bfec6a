#include "tests/unit/unit.h"
#include "engine/dc_status.h"
#include "engine/input.h"

#include <stdlib.h>
#include <string.h>
#include <zlib.h>

/* gzip |src| with zlib (gzip header: windowBits 16+15) */
static unsigned char *gzip_mem(const char *src, size_t n, size_t *outlen)
{
	z_stream z;
	memset(&z, 0, sizeof z);
	deflateInit2(&z, 6, Z_DEFLATED, 16 + 15, 8, Z_DEFAULT_STRATEGY);
	size_t cap = deflateBound(&z, n) + 64;
	unsigned char *out = malloc(cap);
	z.next_in = (unsigned char *)src;
	z.avail_in = (uInt)n;
	z.next_out = out;
	z.avail_out = (uInt)cap;
	deflate(&z, Z_FINISH);
	*outlen = cap - z.avail_out;
	deflateEnd(&z);
	return out;
}

/* Reads the whole input; returns the decoded text (malloc) or NULL on error. */
static char *read_all(struct dc_input *in, long *status)
{
	size_t cap = 1024, len = 0;
	char *s = malloc(cap);
	long n;
	*status = 0;
	for (;;) {
		size_t avail;
		const unsigned char *p = dc_input_data(in, &avail);
		if (avail) {
			while (len + avail + 1 > cap)
				s = realloc(s, cap *= 2);
			memcpy(s + len, p, avail);
			len += avail;
			dc_input_consume(in, avail);
		}
		n = dc_input_more(in);
		if (n <= 0)
			break;
	}
	*status = n;
	s[len] = '\0';
	return s;
}

static const char text[] = "encounter_id,service_date\nE1,2026-03-02\nE2,2026-03-03\n";

static void test_plain_every_chunk(void)
{
	for (size_t chunk = 1; chunk <= sizeof text; chunk++) {
		struct dc_input in;
		long st;
		dc_input_open_mem(&in, "t", text, strlen(text), chunk, NULL);
		char *s = read_all(&in, &st);
		CU_ASSERT_EQUAL(st, 0);
		CU_ASSERT_STRING_EQUAL(s, text);
		CU_ASSERT_EQUAL(in.raw_bytes, strlen(text));
		free(s);
		dc_input_close(&in);
	}
}

static void test_gzip_every_chunk(void)
{
	size_t glen;
	unsigned char *gz = gzip_mem(text, strlen(text), &glen);
	for (size_t chunk = 1; chunk <= glen; chunk++) {
		struct dc_input in;
		long st;
		dc_input_open_mem(&in, "t.gz", gz, glen, chunk, NULL);
		char *s = read_all(&in, &st);
		CU_ASSERT_EQUAL(st, 0);
		CU_ASSERT_STRING_EQUAL(s, text);
		CU_ASSERT_EQUAL(in.gz, 1);
		free(s);
		dc_input_close(&in);
	}
	free(gz);
}

static void test_gzip_concatenated(void)
{
	size_t l1, l2;
	unsigned char *a = gzip_mem("hello ", 6, &l1), *b = gzip_mem("world", 5, &l2);
	unsigned char *both = malloc(l1 + l2);
	memcpy(both, a, l1);
	memcpy(both + l1, b, l2);
	struct dc_input in;
	long st;
	dc_input_open_mem(&in, "cat.gz", both, l1 + l2, 7, NULL);
	char *s = read_all(&in, &st);
	CU_ASSERT_EQUAL(st, 0);
	CU_ASSERT_STRING_EQUAL(s, "hello world");
	free(s);
	dc_input_close(&in);
	free(a);
	free(b);
	free(both);
}

static void count_errors(void *ctx, const struct dc_diag *d)
{
	(void)d;
	(*(int *)ctx)++;
}

static void test_gzip_truncated(void)
{
	size_t glen;
	unsigned char *gz = gzip_mem(text, strlen(text), &glen);
	int errors = 0;
	struct dc_diag_sink ds = { count_errors, &errors, 0, 0 };
	struct dc_input in;
	long st;
	dc_input_open_mem(&in, "cut.gz", gz, glen - 6, 0, &ds);
	char *s = read_all(&in, &st);
	CU_ASSERT_EQUAL(st, DC_ERR_PARSE);
	CU_ASSERT_EQUAL(errors, 1);
	CU_ASSERT_EQUAL(ds.nerrors, 1);
	free(s);
	dc_input_close(&in);
	free(gz);
}

static void test_sha256(void)
{
	struct dc_input in;
	long st;
	char hex[65];
	dc_input_open_mem(&in, "abc", "abc", 3, 1, NULL);
	free(read_all(&in, &st));
	dc_input_sha256(&in, hex);
	CU_ASSERT_STRING_EQUAL(hex,
		"ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	dc_input_close(&in);
}

static void test_sha256_vectors(void)
{
	static const char *const want[] = {
		"ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
		"248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1",
		"cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0",
	};
	const char *t448 = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
	char *million = malloc(1000000);
	memset(million, 'a', 1000000);
	/* the processor's instructions (when present) and the portable code agree */
	for (int hw = 1; hw >= 0; hw--) {
		dc_sha256_use_hw(hw);
		struct dc_sha256 s;
		char hex[65];
		dc_sha256_init(&s);
		dc_sha256_update(&s, "abc", 3);
		dc_sha256_final_hex(&s, hex);
		CU_ASSERT_STRING_EQUAL(hex, want[0]);
		dc_sha256_init(&s);
		dc_sha256_update(&s, t448, strlen(t448));
		dc_sha256_final_hex(&s, hex);
		CU_ASSERT_STRING_EQUAL(hex, want[1]);
		dc_sha256_init(&s);
		for (size_t i = 0; i < 1000000; i += 777)
			dc_sha256_update(&s, million + i, i + 777 <= 1000000 ? 777 : 1000000 - i);
		dc_sha256_final_hex(&s, hex);
		CU_ASSERT_STRING_EQUAL(hex, want[2]);
	}
	dc_sha256_use_hw(1);
	free(million);
}

int register_input_tests(void)
{
	CU_pSuite s = CU_add_suite("input", NULL, NULL);
	if (!s)
		return -1;
	DC_ADD_TEST(s, test_plain_every_chunk);
	DC_ADD_TEST(s, test_gzip_every_chunk);
	DC_ADD_TEST(s, test_gzip_concatenated);
	DC_ADD_TEST(s, test_gzip_truncated);
	DC_ADD_TEST(s, test_sha256);
	DC_ADD_TEST(s, test_sha256_vectors);
	return 0;
}
