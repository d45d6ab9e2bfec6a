#include "tests/unit/unit.h"
#include "engine/dc_status.h"
#include "parsers/dc_reader.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct rejects { int n; unsigned long lines[16]; };

static void on_reject(void *ctx, const char *source, unsigned long line, const char *error,
		      const char *raw, size_t rawlen)
{
	struct rejects *r = ctx;
	(void)source; (void)error; (void)raw; (void)rawlen;
	if (r->n < 16)
		r->lines[r->n] = line;
	r->n++;
}

/* Reads |src| at |chunk|; writes "id[nitems,hold];" per encounter into |out|. */
static int read_encounters(const char *src, size_t chunk, char *out, size_t cap,
			   struct rejects *rj, unsigned long *rows)
{
	struct dc_input in;
	struct dc_arena a;
	struct dc_encounter enc;
	struct dc_reject_sink rs = { on_reject, rj };
	dc_input_open_mem(&in, "t.csv", src, strlen(src), chunk, NULL);
	dc_arena_init(&a, 0);
	memset(rj, 0, sizeof *rj);
	struct dc_reader *r = dc_csv_reader_new(&in, ',', NULL, NULL, rs);
	out[0] = '\0';
	if (!r) {
		dc_arena_release(&a);
		dc_input_close(&in);
		return -1;
	}
	int rc;
	while ((rc = r->ops->next(r, &enc, &a)) == 1) {
		size_t n = strlen(out);
		snprintf(out + n, cap - n, "%s[%zu,%s];", enc.f[DC_E_ENCOUNTER_ID], enc.nitems,
			 enc.hold ? dc_hold_names[enc.hold] : "-");
		dc_arena_reset(&a);
	}
	*rows = r->rows;
	r->ops->free(r);
	dc_arena_release(&a);
	dc_input_close(&in);
	return rc;
}

static const char extract[] =
	"Encounter_ID , SERVICE_DATE,item_type,patient_id,payer_id,member_id,clinic_note,code\n"
	"E1,2026-03-02,drug,P1,MEDICARE,M1,\"note, with comma\",J1745\n"
	"E1,20260302,drug,P1,MEDICARE,M1,,J2405\n"
	"E2,2026-03-02,drug,P2,MEDICARE,M2,,J1745\n"
	"E2,2026-03-03,visit,P2,MEDICARE,M2,,99213\n"
	"E3,2026-03-02,drug,P3,MEDICARE,M3,,J1745,extra\n"
	"E3,2026-03-02,drug,P3,MEDICARE,M3,,J1745\n";

static void test_grouping_every_chunk(void)
{
	char got[1024];
	struct rejects rj;
	unsigned long rows;
	for (size_t chunk = 1; chunk <= sizeof extract; chunk++) {
		int rc = read_encounters(extract, chunk, got, sizeof got, &rj, &rows);
		CU_ASSERT_EQUAL(rc, 0);
		/* E1: dates equal after normalising; E2: service_date conflicts */
		CU_ASSERT_STRING_EQUAL(got, "E1[2,-];E2[2,conflicting_fields];E3[1,-];");
		CU_ASSERT_EQUAL(rj.n, 1);
		CU_ASSERT_EQUAL(rj.lines[0], 6);
		CU_ASSERT_EQUAL(rows, 6);
		if (strcmp(got, "E1[2,-];E2[2,conflicting_fields];E3[1,-];") != 0)
			break;
	}
}

/*
 * A row with more fields than the header is rejected even when the extra
 * fields are empty: an unquoted comma in a name shifts a visit row's values
 * one column on, and its empty last column becomes an extra field.
 */
static void test_extra_empty_fields(void)
{
	static const char src[] =
		"encounter_id,service_date,item_type,patient_id,payer_id,member_id,doctor,code,dose\n"
		"E1,2026-03-02,drug,P1,MEDICARE,M1,\"SMITH, ANNA\",J1745,350\n"
		"E1,2026-03-02,drug,P1,MEDICARE,M1,\"SMITH, ANNA\",J2405,4,\n"
		"E1,2026-03-02,visit,P1,MEDICARE,M1,SMITH, ANNA,99213,\n"
		"E2,2026-03-02,visit,P2,MEDICARE,M2,\"SMITH, ANNA\",99213,\n";
	char got[256];
	struct rejects rj;
	unsigned long rows;
	CU_ASSERT_EQUAL(read_encounters(src, sizeof src, got, sizeof got, &rj, &rows), 0);
	CU_ASSERT_STRING_EQUAL(got, "E1[1,-];E2[1,-];");
	CU_ASSERT_EQUAL(rj.n, 2);
	CU_ASSERT_EQUAL(rj.lines[0], 3);
	CU_ASSERT_EQUAL(rj.lines[1], 4);
}

/* A conflict names the line the kept value came from, not the encounter's first. */
static void test_conflict_lines(void)
{
	static const char src[] =
		"encounter_id,service_date,item_type,patient_id,payer_id,member_id,code\n"
		"E1,2026-03-02,drug,P1,,M1,J1745\n"
		"E1,2026-03-02,drug,P1,MEDICARE,M1,J2405\n"
		"E1,2026-03-02,drug,P1,BCBS,M1,J2405\n";
	struct dc_input in;
	struct dc_arena a;
	struct dc_encounter enc;
	struct dc_reject_sink rs = { NULL, NULL };
	dc_input_open_mem(&in, "t.csv", src, sizeof src - 1, sizeof src, NULL);
	dc_arena_init(&a, 0);
	struct dc_reader *r = dc_csv_reader_new(&in, ',', NULL, NULL, rs);
	CU_ASSERT_PTR_NOT_NULL_FATAL(r);
	CU_ASSERT_EQUAL(r->ops->next(r, &enc, &a), 1);
	CU_ASSERT_EQUAL(enc.hold, DC_HOLD_CONFLICTING_FIELDS);
	CU_ASSERT_STRING_EQUAL(enc.hold_reason ? enc.hold_reason : "",
			       "column 'payer_id' is 'MEDICARE' on line 3 and 'BCBS' on line 4");
	r->ops->free(r);
	dc_arena_release(&a);
	dc_input_close(&in);
}

static void test_unknown_and_map(void)
{
	struct dc_input in;
	dc_input_open_mem(&in, "t.csv", extract, strlen(extract), 0, NULL);
	struct dc_reject_sink rs = { NULL, NULL };
	struct dc_reader *r = dc_csv_reader_new(&in, ',', NULL, NULL, rs);
	CU_ASSERT_PTR_NOT_NULL_FATAL(r);
	CU_ASSERT_EQUAL(r->ncols, 8);
	CU_ASSERT_EQUAL(r->canon[0], DC_E_ENCOUNTER_ID);
	CU_ASSERT_EQUAL(r->canon[6], -1);   /* clinic_note is unknown */
	CU_ASSERT_STRING_EQUAL(r->colnames[6], "clinic_note");
	r->ops->free(r);
	dc_input_close(&in);

	/* an alias maps a client's column name onto a canonical one */
	struct dc_colmap m;
	FILE *f = fopen("test-map.txt", "w");
	fputs("# client X\nencounter_id = Visit Number\n", f);
	fclose(f);
	CU_ASSERT_EQUAL(dc_colmap_load(&m, "test-map.txt", NULL), 0);
	remove("test-map.txt");
	const char *src = "visit number,service_date,item_type,patient_id,payer_id,member_id\n"
			  "V1,2026-03-02,drug,P,MEDICARE,M\n";
	dc_input_open_mem(&in, "t.csv", src, strlen(src), 0, NULL);
	r = dc_csv_reader_new(&in, ',', &m, NULL, rs);
	CU_ASSERT_PTR_NOT_NULL_FATAL(r);
	CU_ASSERT_EQUAL(r->canon[0], DC_E_ENCOUNTER_ID);
	r->ops->free(r);
	dc_input_close(&in);
	dc_colmap_release(&m);
}

static void count_errors(void *ctx, const struct dc_diag *d)
{
	char *msg = ctx;
	snprintf(msg, 512, "%s", d->msg);
}

static void test_missing_columns(void)
{
	char msg[512] = "";
	struct dc_diag_sink ds = { count_errors, msg, 0, 0 };
	struct dc_input in;
	const char *src = "encounter_id,item_type,patient_id\nE1,drug,P\n";
	dc_input_open_mem(&in, "t.csv", src, strlen(src), 0, &ds);
	struct dc_reject_sink rs = { NULL, NULL };
	CU_ASSERT_PTR_NULL(dc_csv_reader_new(&in, ',', NULL, &ds, rs));
	CU_ASSERT_EQUAL(ds.nerrors, 1);
	CU_ASSERT_PTR_NOT_NULL(strstr(msg, "'service_date'"));
	CU_ASSERT_PTR_NOT_NULL(strstr(msg, "'payer_id'"));
	CU_ASSERT_PTR_NOT_NULL(strstr(msg, "'member_id'"));
	CU_ASSERT_PTR_NULL(strstr(msg, "'patient_id'"));
	dc_input_close(&in);
}

int register_csv_reader_tests(void)
{
	CU_pSuite s = CU_add_suite("csv_reader", NULL, NULL);
	if (!s)
		return -1;
	DC_ADD_TEST(s, test_grouping_every_chunk);
	DC_ADD_TEST(s, test_conflict_lines);
	DC_ADD_TEST(s, test_extra_empty_fields);
	DC_ADD_TEST(s, test_unknown_and_map);
	DC_ADD_TEST(s, test_missing_columns);
	return 0;
}
