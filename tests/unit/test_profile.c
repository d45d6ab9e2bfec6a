/* The submitter profile: loading, checks with line numbers, the demo profile. */
#include "tests/unit/unit.h"
#include "engine/dc_status.h"
#include "engine/profile.h"
#include "engine/value.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char tmpfile_path[64];

/* The diagnostics of one load: their lines and messages. */
struct seen {
	unsigned long lines[64];
	char msgs[64][512];
	size_t n;
};

static void collect(void *ctx, const struct dc_diag *d)
{
	struct seen *s = ctx;
	if (s->n < 64) {
		s->lines[s->n] = d->line;
		snprintf(s->msgs[s->n], sizeof s->msgs[0], "%s", d->msg);
		s->n++;
	}
}

static const char *profile_path(const char *name, char *buf, size_t n)
{
	const char *top = getenv("TOP_SRCDIR");
	snprintf(buf, n, "%s/testdata/profiles/%s", top && *top ? top : ".", name);
	return buf;
}

/* Loads |text| written to a temporary file. */
static int load_text(struct dc_profile *p, const char *text, struct seen *s)
{
	FILE *f = fopen(tmpfile_path, "w");
	if (!f)
		return -100;
	fputs(text, f);
	fclose(f);
	struct dc_diag_sink ds = { collect, s, 0, 0 };
	return dc_profile_load(p, tmpfile_path, &ds);
}

static const char minimal[] =
	"submitter_name = SUB\n"
	"submitter_id = SUB01\n"
	"submitter_contact_name = DESK\n"
	"submitter_contact_email = desk@example.invalid\n"
	"receiver_name = REC\n"
	"receiver_id = REC01\n"
	"billing_provider_name = CLINIC\n"
	"billing_provider_npi = 1234567893\n"
	"billing_provider_ein = 123456789\n"
	"billing_provider_address = 1 MAIN ST\n"
	"billing_provider_city = SPRINGFIELD\n"
	"billing_provider_state = IL\n"
	"billing_provider_zip = 627011234\n";

static void test_example_profile(void)
{
	char path[512];
	struct dc_profile p;
	struct seen s = { .n = 0 };
	struct dc_diag_sink ds = { collect, &s, 0, 0 };
	CU_ASSERT_EQUAL_FATAL(dc_profile_load(&p, profile_path("example.profile", path,
							       sizeof path), &ds), 0);
	CU_ASSERT_EQUAL(ds.nerrors, 0);
	CU_ASSERT_EQUAL(p.demo, 0);
	CU_ASSERT_STRING_EQUAL(p.submitter_name, "EXAMPLE BILLING SERVICES LLC");
	CU_ASSERT_STRING_EQUAL(p.contact_phone, "5555550142");       /* digits kept */
	CU_ASSERT_STRING_EQUAL(p.contact_email, "claims@example.invalid");
	CU_ASSERT_STRING_EQUAL(p.billing_ein, "123456789");           /* hyphen dropped */
	CU_ASSERT_STRING_EQUAL(p.billing_zip, "627011234");
	CU_ASSERT_STRING_EQUAL(p.billing_address, "200 SAMPLE ST SUITE #4");  /* '#' kept */
	CU_ASSERT_STRING_EQUAL(p.billing_taxonomy, "261QI0500X");
	CU_ASSERT_STRING_EQUAL(p.isa_sender_id, "EXBILL01");
	CU_ASSERT_EQUAL(p.elem_sep, '*');
	CU_ASSERT_EQUAL(p.seg_term, '~');
	CU_ASSERT_EQUAL(p.line_per_segment, 1);
	CU_ASSERT_EQUAL(p.production, 1);
	CU_ASSERT_STRING_EQUAL(dc_profile_key(&p), "ZZ:EXBILL01>ZZ:EXCH0001");
	dc_profile_release(&p);
	CU_ASSERT_EQUAL(p.submitter_name[0], '\0');
}

static void test_errors_with_lines(void)
{
	char path[512];
	struct dc_profile p;
	struct seen s = { .n = 0 };
	struct dc_diag_sink ds = { collect, &s, 0, 0 };
	CU_ASSERT_EQUAL(dc_profile_load(&p, profile_path("errors.profile", path, sizeof path),
					&ds), DC_ERR_USAGE);
	const unsigned long want[] = { 5, 6, 9, 10, 13, 14, 15, 16, 17, 18, 19 };
	CU_ASSERT_EQUAL(s.n, sizeof want / sizeof *want);
	for (size_t i = 0; i < sizeof want / sizeof *want; i++) {
		int found = 0;
		for (size_t j = 0; j < s.n; j++)
			found |= s.lines[j] == want[i];
		if (!found)
			fprintf(stderr, "\nno diagnostic on line %lu\n", want[i]);
		CU_ASSERT(found);
	}
	for (size_t j = 0; j < s.n; j++)
		if (s.lines[j] == 15)
			CU_ASSERT_STRING_EQUAL(s.msgs[j], "unknown profile key 'colour'");
	/* nothing half-loaded */
	CU_ASSERT_EQUAL(p.submitter_name[0], '\0');
}

static void test_defaults_and_minimal(void)
{
	struct dc_profile p;
	struct seen s = { .n = 0 };
	CU_ASSERT_EQUAL_FATAL(load_text(&p, minimal, &s), 0);
	CU_ASSERT_STRING_EQUAL(p.isa_sender_qual, "ZZ");
	CU_ASSERT_STRING_EQUAL(p.isa_sender_id, "SUB01");
	CU_ASSERT_STRING_EQUAL(p.isa_receiver_id, "REC01");
	CU_ASSERT_STRING_EQUAL(p.gs_sender, "SUB01");
	CU_ASSERT_STRING_EQUAL(p.gs_receiver, "REC01");
	CU_ASSERT_EQUAL(p.production, 0);
	CU_ASSERT_EQUAL(p.comp_sep, ':');
	CU_ASSERT_EQUAL(p.rep_sep, '^');
	CU_ASSERT_STRING_EQUAL(dc_profile_key(&p), "ZZ:SUB01>ZZ:REC01");
}

static void test_missing_keys(void)
{
	struct dc_profile p;
	struct seen s = { .n = 0 };
	CU_ASSERT_EQUAL(load_text(&p, "# empty\n\n", &s), DC_ERR_USAGE);
	/* every required key, plus the contact */
	CU_ASSERT_EQUAL(s.n, 13);
	CU_ASSERT_EQUAL(s.lines[0], 0);
}

static void test_separator_checks(void)
{
	struct dc_profile p;
	struct seen s = { .n = 0 };
	char text[2048];
	/* a value holding a separator chosen later in the file */
	snprintf(text, sizeof text, "%s", minimal);
	char *c = strstr(text, "CLINIC");
	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	memcpy(c, "CLIN!C", 6);
	size_t len = strlen(text);
	snprintf(text + len, sizeof text - len, "segment_terminator = !\n");
	CU_ASSERT_EQUAL(load_text(&p, text, &s), DC_ERR_USAGE);
	CU_ASSERT_EQUAL(s.n, 1);
	CU_ASSERT_EQUAL(s.lines[0], 7);
	s.n = 0;
	snprintf(text, sizeof text, "%s%s", minimal, "element_separator = |\n");
	CU_ASSERT_EQUAL(load_text(&p, text, &s), 0);
	CU_ASSERT_EQUAL(p.elem_sep, '|');
	s.n = 0;
	snprintf(text, sizeof text, "%s", minimal);
	char *m = strstr(text, "CLINIC");
	CU_ASSERT_PTR_NOT_NULL_FATAL(m);
	m[2] = '^';                     /* CL^NIC */
	CU_ASSERT_EQUAL(load_text(&p, text, &s), DC_ERR_USAGE);
	CU_ASSERT_EQUAL(s.n, 1);
	CU_ASSERT_EQUAL(s.lines[0], 7);
	/* two separators alike, a letter as separator */
	s.n = 0;
	snprintf(text, sizeof text, "%s%s", minimal, "component_separator = *\n");
	CU_ASSERT_EQUAL(load_text(&p, text, &s), DC_ERR_USAGE);
	s.n = 0;
	snprintf(text, sizeof text, "%s%s", minimal, "segment_terminator = X\n");
	CU_ASSERT_EQUAL(load_text(&p, text, &s), DC_ERR_USAGE);
	CU_ASSERT_EQUAL(s.lines[0], 14);
	/* an ISA id longer than 15 characters must be given explicitly */
	s.n = 0;
	CU_ASSERT_EQUAL(load_text(&p, "submitter_id = A_VERY_LONG_SUBMITTER_ID\n", &s),
			DC_ERR_USAGE);
	int isa = 0;
	for (size_t i = 0; i < s.n; i++)
		isa |= strstr(s.msgs[i], "isa_sender_id") != NULL;
	CU_ASSERT(isa);
}

static void test_demo_profile(void)
{
	struct dc_profile p;
	dc_profile_demo(&p);
	CU_ASSERT_EQUAL(p.demo, 1);
	CU_ASSERT_EQUAL(p.production, 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(p.submitter_name, "DEMO"));
	CU_ASSERT_PTR_NOT_NULL(strstr(p.receiver_name, "DEMO"));
	CU_ASSERT_PTR_NOT_NULL(strstr(p.billing_name, "DEMO"));
	CU_ASSERT(dc_npi_valid(p.billing_npi));
	CU_ASSERT_EQUAL(strlen(p.billing_zip), 9);
	CU_ASSERT_EQUAL(strlen(p.billing_ein), 9);
	CU_ASSERT_STRING_EQUAL(dc_profile_key(&p), "ZZ:DEMOSUBMITTER>ZZ:DEMORECEIVER");
}

static void test_unreadable(void)
{
	struct dc_profile p;
	struct seen s = { .n = 0 };
	struct dc_diag_sink ds = { collect, &s, 0, 0 };
	CU_ASSERT_EQUAL(dc_profile_load(&p, "/nonexistent/dir/x.profile", &ds), DC_ERR_USAGE);
	CU_ASSERT_EQUAL(ds.nerrors, 1);
}

static int setup(void)
{
	snprintf(tmpfile_path, sizeof tmpfile_path, "/tmp/dc-profile-test-XXXXXX");
	int fd = mkstemp(tmpfile_path);
	if (fd < 0)
		return -1;
	close(fd);
	return 0;
}

static int teardown(void)
{
	return unlink(tmpfile_path);
}

int register_profile_tests(void)
{
	CU_pSuite s = CU_add_suite("profile", setup, teardown);
	if (!s)
		return -1;
	DC_ADD_TEST(s, test_example_profile);
	DC_ADD_TEST(s, test_errors_with_lines);
	DC_ADD_TEST(s, test_defaults_and_minimal);
	DC_ADD_TEST(s, test_missing_keys);
	DC_ADD_TEST(s, test_separator_checks);
	DC_ADD_TEST(s, test_demo_profile);
	DC_ADD_TEST(s, test_unreadable);
	return 0;
}
