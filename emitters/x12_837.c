/*
 * The 837P / 837I writer (see x12_837.h for the body/envelope split).
 *
 * Segment layout written (5010 implementation guides):
 *
 *   ISA GS ST BHT
 *   1000A NM1*41 PER          1000B NM1*40
 *   2000A HL*1**20*1 [PRV*BI]  2010AA NM1*85 N3 N4 REF*EI
 *   per encounter (a body):
 *     2000B HL*n*1*22*c SBR    2010BA NM1*IL [N3 N4] [DMG]   2010BB NM1*PR
 *     [2000C HL*m*n*23*0 PAT   2010CA NM1*QC N3 N4 DMG]      (patient is not the subscriber)
 *     per claim:
 *       2300 CLM [DTP*434 CL1 (837I)] [REF*G1] HI (837I: HI*ABK, then HI*ABF...)
 *       837P 2310B NM1*82 (rendering, when not the billing provider)
 *       837I 2310A NM1*71 (attending: the extract's rendering provider)
 *       2400 LX SV1|SV2 DTP*472 REF*6R   [2410 LIN**N4 CTP (drug lines with an NDC)]
 *   SE GE IEA
 *
 * The 837I carries the extract's rendering_provider as the ATTENDING
 * provider (2310A, NM1*71): 2310A is required on institutional claims with
 * services, and the IG's rendering loop (2310D) is only for a provider who
 * differs from the attending one.
 */
#include "emitters/x12_837.h"
#include "engine/dc_status.h"
#include "engine/value.h"

#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- segment builder ---- */

struct w {
	struct dc_buf *b;
	const struct dc_profile *p;
	int changed;              /* values altered (separator, control, length) */
	size_t seg_start;
	unsigned long nseg;       /* segments ended */
};

static int is_sep(const struct dc_profile *p, int c)
{
	return c == p->elem_sep || c == p->comp_sep || c == p->rep_sep || c == p->seg_term;
}

static void seg(struct w *w, const char *id)
{
	w->seg_start = w->b->len;
	dc_buf_adds(w->b, id);
}

/*
 * The bytes put_val cannot copy as they are: controls, non-ASCII and the
 * profile's separators. Kept per thread for the separators seen last.
 */
static const unsigned char *stop_table(const struct dc_profile *p)
{
	static _Thread_local struct {
		int ready;
		char sep[4];
		unsigned char stop[256];
	} t;
	const char sep[4] = { p->elem_sep, p->comp_sep, p->rep_sep, p->seg_term };
	if (!t.ready || memcmp(t.sep, sep, sizeof sep) != 0) {
		for (int c = 0; c < 256; c++)
			t.stop[c] = c < 0x20 || c >= 0x7f;
		for (int i = 0; i < 4; i++)
			t.stop[(unsigned char)sep[i]] = 1;
		memcpy(t.sep, sep, sizeof sep);
		t.ready = 1;
	}
	return t.stop;
}

/*
 * Appends |v| made safe: separators, control characters and non-ASCII
 * characters (one UTF-8 sequence at a time) become a blank, blanks at the
 * ends are trimmed and the value is cut to |max| characters (0: no limit).
 */
static void put_val(struct w *w, const char *v, size_t max)
{
	char tmp[512];
	size_t n = 0, cap = max && max < sizeof tmp ? max : sizeof tmp - 1;
	int changed = 0;
	const unsigned char *s = (const unsigned char *)(v ? v : "");
	while (*s == ' ')
		s++;
	/* the common value: printable ASCII, no separator, short enough */
	const unsigned char *stop = stop_table(w->p);
	size_t k = 0;
	while (k < cap && !stop[s[k]])
		k++;
	if (!s[k]) {
		while (k && s[k - 1] == ' ')
			k--;
		dc_buf_add(w->b, s, k);
		return;
	}
	while (*s) {
		unsigned char c = *s++;
		char out = (char)c;
		if (c >= 0x80) {
			while ((*s & 0xC0) == 0x80)
				s++;
			out = ' ';
			changed = 1;
		} else if (c < 0x20 || c == 0x7f || is_sep(w->p, c)) {
			out = ' ';
			changed = 1;
		}
		if (n == cap) {
			changed = 1;
			break;
		}
		tmp[n++] = out;
	}
	size_t lead = 0;
	while (lead < n && tmp[lead] == ' ')
		lead++;
	while (n > lead && tmp[n - 1] == ' ')
		n--;
	dc_buf_add(w->b, tmp + lead, n - lead);
	w->changed += changed;
}

/* An element (sanitised value). */
static void el(struct w *w, const char *v, size_t max)
{
	dc_buf_addc(w->b, w->p->elem_sep);
	put_val(w, v, max);
}

/* An element the writer composed itself (codes, numbers, qualifiers). */
static void el_raw(struct w *w, const char *v)
{
	dc_buf_addc(w->b, w->p->elem_sep);
	dc_buf_adds(w->b, v);
}

/* The next component of a composite element. */
static void comp(struct w *w, const char *v, size_t max)
{
	dc_buf_addc(w->b, w->p->comp_sep);
	put_val(w, v, max);
}

/* Ends a segment: trailing empty elements and components are dropped, as
 * X12 requires. */
static void end(struct w *w)
{
	struct dc_buf *b = w->b;
	size_t min = w->seg_start + 2;
	while (b->len > min && (b->p[b->len - 1] == w->p->elem_sep ||
				b->p[b->len - 1] == w->p->comp_sep))
		b->len--;
	b->p[b->len] = '\0';
	dc_buf_addc(b, w->p->seg_term);
	if (w->p->line_per_segment)
		dc_buf_addc(b, '\n');
	w->nseg++;
}

/* ---- values ---- */

/* X12 R (decimal) form of an amount in cents: 120, 120.5, 120.05. */
static char *amount(int64_t cents, char *buf, size_t n)
{
	uint64_t v = cents < 0 ? (uint64_t)0 - (uint64_t)cents : (uint64_t)cents;
	unsigned f = (unsigned)(v % 100);
	char tmp[32], *q = tmp + sizeof tmp;
	*--q = '\0';
	if (f % 10)
		*--q = (char)('0' + f % 10);
	if (f)
		*--q = (char)('0' + f / 10);
	if (f)
		*--q = '.';
	uint64_t w = v / 100;
	do {
		*--q = (char)('0' + w % 10);
		w /= 10;
	} while (w);
	if (cents < 0)
		*--q = '-';
	size_t len = (size_t)(tmp + sizeof tmp - 1 - q);
	if (len >= n)
		len = n ? n - 1 : 0;
	if (n) {
		memcpy(buf, q, len);
		buf[len] = '\0';
	}
	return buf;
}

/* CCYYMMDD of a day number. */
static char *d8(int32_t day, char *buf, size_t n)
{
	return dc_date_format_sep(day, '\0', buf, n);
}

/* CCYYMMDD of an extract date (YYYY-MM-DD), or "" */
static char *d8_of(const char *s, char *buf, size_t n)
{
	int32_t day;
	if (!s || !*s || dc_date_parse(s, &day) != 0) {
		buf[0] = '\0';
		return buf;
	}
	return d8(day, buf, n);
}

/* ZIP code digits only (62701-0001 -> 627010001). */
static char *zip_digits(const char *s, char *buf, size_t n)
{
	size_t j = 0;
	for (; s && *s && j + 1 < n; s++)
		if (isdigit((unsigned char)*s))
			buf[j++] = *s;
	buf[j] = '\0';
	return buf;
}

static const char *sex_code(const char *s)
{
	if (s && (s[0] == 'M' || s[0] == 'm') && !s[1])
		return "M";
	if (s && (s[0] == 'F' || s[0] == 'f') && !s[1])
		return "F";
	return "U";
}

/* "Last, First" -> last and first (no comma: all of it is the last name). */
static void split_name(const char *s, char *last, size_t nl, char *first, size_t nf)
{
	const char *c = strchr(s, ',');
	if (!c) {
		dc_format(last, nl, "%s", s);
		first[0] = '\0';
		return;
	}
	size_t k = (size_t)(c - s);
	dc_format(last, nl, "%.*s", (int)(k < nl ? k : nl - 1), s);
	c++;
	while (*c == ' ')
		c++;
	dc_format(first, nf, "%s", c);
}

static int self_subscriber(const struct dc_encounter *enc)
{
	const char *r = enc->f[DC_E_SUBSCRIBER_RELATIONSHIP];
	return !r || !*r || !strcmp(r, "18");
}

static int is_drug_kind(const char *kind)
{
	return !strcmp(kind, "drug") || !strcmp(kind, "drug_waste");
}

/*
 * A HCPCS drug code (J, Q or S and four more characters): the only lines
 * that carry a 2410 LIN/CTP. The self-check applies the same rule; a table
 * that adds drugs under other codes (C9xxx pass-through, A9xxx) must widen
 * both.
 */
static int ndc_code(const char *code)
{
	return strlen(code) == 5 && (code[0] == 'J' || code[0] == 'Q' || code[0] == 'S');
}

/* J7030 .. J7120: IV solutions (revenue code 0258). */
static int iv_solution(const char *code)
{
	if (code[0] != 'J' || strlen(code) != 5)
		return 0;
	for (int i = 1; i < 5; i++)
		if (!isdigit((unsigned char)code[i]))
			return 0;
	int n = atoi(code + 1);
	return n >= 7030 && n <= 7120;
}

/* Unlisted codes: SV101-7 / SV202-7 carries the description. */
static int unlisted(const char *code)
{
	static const char *const u[] = { "96549", "J3490", "J3590", "J9999", "96379", NULL };
	for (size_t i = 0; u[i]; i++)
		if (!strcmp(code, u[i]))
			return 1;
	return 0;
}

/* 837I revenue code (outputs.md): drugs 0636, IV solutions 0258, admin and
 * visits from us/admin-codes.csv, else by kind. */
static const char *revenue_code(const struct dc_rules *r, const struct dc_line *l)
{
	if (is_drug_kind(l->kind))
		return iv_solution(l->code) ? "0258" : "0636";
	if (r) {
		long row = dc_table_find(&r->us_admin, l->code);
		if (row >= 0) {
			const char *v = dc_table_value(&r->us_admin, row, "revenue_code");
			if (strlen(v) == 4)
				return v;
		}
	}
	if (!strcmp(l->kind, "visit"))
		return "0510";
	return "0260";   /* IV therapy: every other service of an infusion encounter */
}

static int is_837(const struct dc_line *l)
{
	/* "837P" or "837I", asked for every line many times over: no strcmp */
	const char *t = l->claim_type;
	return t && t[0] == '8' && t[1] == '3' && t[2] == '7' && (t[3] == 'P' || t[3] == 'I') &&
	       !t[4];
}

/* ---- the body of one encounter ---- */

static void name_segment(struct w *w, const char *entity, const char *last, const char *first,
			 const char *idq, const char *id)
{
	seg(w, "NM1");
	el_raw(w, entity);
	el_raw(w, "1");
	el(w, last, 60);
	el(w, first, 35);
	if (idq && id && *id) {
		el_raw(w, "");
		el_raw(w, "");
		el_raw(w, "");
		el_raw(w, idq);
		el(w, id, 80);
	}
	end(w);
}

static int has_text(const char *s)
{
	for (; s && *s; s++)
		if (*s != ' ')
			return 1;
	return 0;
}

static void address(struct w *w, const char *addr, const char *city, const char *state,
		    const char *zip)
{
	char z[16];
	zip_digits(zip, z, sizeof z);
	if (!has_text(addr) || !has_text(city) || !has_text(state) || !z[0])
		return;
	seg(w, "N3");
	el(w, addr, 55);
	end(w);
	seg(w, "N4");
	el(w, city, 30);
	el(w, state, 2);
	el(w, z, 15);
	end(w);
}

static void demographics(struct w *w, const char *dob, const char *sex, int required)
{
	char d[12];
	d8_of(dob, d, sizeof d);
	if (!d[0] && !required)
		return;
	seg(w, "DMG");
	el_raw(w, "D8");
	el_raw(w, d);
	el_raw(w, sex_code(sex));
	end(w);
}

static void claim(struct w *w, const struct dc_encounter *enc, const struct dc_coded *c,
		  const struct dc_rules *rules, const char *cid, size_t first,
		  const struct dc_x12_claim_opts *opts)
{
	char freq[2] = { opts->frequency, '\0' };
	const struct dc_profile *p = w->p;
	const char *const *F = enc->f;
	int inst = !strcmp(c->lines[first].claim_type, "837I");
	char num[48], date[12];
	d8(enc->service_day, date, sizeof date);

	int64_t total = 0;
	for (size_t i = first; i < c->nlines; i++)
		if (!strcmp(c->lines[i].claim_id, cid) && is_837(&c->lines[i]))
			total += c->lines[i].charge;

	/* 2300 CLM: 837P POS:B:1, provider signature Y; 837I 13:A:1 (type of
	 * bill 0131, outpatient hospital), CLM06 not used */
	seg(w, "CLM");
	el(w, cid, 38);
	el_raw(w, amount(total, num, sizeof num));
	el_raw(w, "");
	el_raw(w, "");
	if (inst) {
		el_raw(w, "13");
		comp(w, "A", 0);
		comp(w, freq, 0);
		el_raw(w, "");
	} else {
		const char *pos = F[DC_E_PLACE_OF_SERVICE];
		if (!pos || strlen(pos) != 2 || !isdigit((unsigned char)pos[0]) ||
		    !isdigit((unsigned char)pos[1]))
			pos = enc->facility ? "22" : "11";
		el_raw(w, pos);
		comp(w, "B", 0);
		comp(w, freq, 0);
		el_raw(w, "Y");
	}
	el_raw(w, "A");
	el_raw(w, "Y");
	el_raw(w, "Y");
	end(w);

	if (inst) {
		/* statement covers the service day; CL1: elective (3), point of
		 * origin non-health-care facility (1), discharged home (01) */
		seg(w, "DTP");
		el_raw(w, "434");
		el_raw(w, "RD8");
		dc_buf_addc(w->b, p->elem_sep);
		dc_buf_adds(w->b, date);
		dc_buf_addc(w->b, '-');
		dc_buf_adds(w->b, date);
		end(w);
		seg(w, "CL1");
		el_raw(w, "3");
		el_raw(w, "1");
		el_raw(w, "01");
		end(w);
	}
	if (has_text(F[DC_E_AUTH_REF])) {
		seg(w, "REF");
		el_raw(w, "G1");
		el(w, F[DC_E_AUTH_REF], 50);
		end(w);
	}
	/* REF*F8 (after G1 in both guides): the claim this one replaces */
	const char *pcn = opts->frequency != '1' && opts->payer_claim_number
		? opts->payer_claim_number(opts->ctx, cid) : NULL;
	if (has_text(pcn)) {
		seg(w, "REF");
		el_raw(w, "F8");
		el(w, pcn, 50);
		end(w);
	}

	/* HI: 837P one segment, ABK then ABF, 12 codes at most (pointers only
	 * reach the first 4). 837I: HI*ABK alone, then up to two HI of 12 ABF. */
	size_t ndx = enc->ndx;
	if (!inst && ndx > 12)
		ndx = 12;
	if (inst && ndx > 25)
		ndx = 25;
	if (ndx) {
		seg(w, "HI");
		el_raw(w, "ABK");
		comp(w, enc->dx[0], 30);
		if (inst) {
			end(w);
			for (size_t i = 1; i < ndx; i += 12) {
				seg(w, "HI");
				for (size_t j = i; j < ndx && j < i + 12; j++) {
					el_raw(w, "ABF");
					comp(w, enc->dx[j], 30);
				}
				end(w);
			}
		} else {
			for (size_t i = 1; i < ndx; i++) {
				el_raw(w, "ABF");
				comp(w, enc->dx[i], 30);
			}
			end(w);
		}
	}

	/* 2310B (837P) rendering / 2310A (837I) attending */
	const char *npi = F[DC_E_RENDERING_PROVIDER_ID];
	if (has_text(npi) && (inst || strcmp(npi, p->billing_npi) != 0)) {
		char last[64], fst[64];
		split_name(F[DC_E_RENDERING_PROVIDER_NAME] ? F[DC_E_RENDERING_PROVIDER_NAME] : "",
			   last, sizeof last, fst, sizeof fst);
		name_segment(w, inst ? "71" : "82", last, fst, "XX", npi);
	}

	/* 2400 service lines, LX from 1 in claim order */
	int lx = 0;
	for (size_t i = first; i < c->nlines; i++) {
		const struct dc_line *l = &c->lines[i];
		if (strcmp(l->claim_id, cid) != 0 || !is_837(l))
			continue;
		seg(w, "LX");
		dc_buf_addc(w->b, p->elem_sep);
		dc_buf_int(w->b, ++lx);
		end(w);

		seg(w, inst ? "SV2" : "SV1");
		if (inst)
			el_raw(w, revenue_code(rules, l));
		/* procedure composite HC:code:mod1..mod4[:description] */
		el_raw(w, "HC");
		comp(w, l->code, 48);
		const char *m = l->modifiers ? l->modifiers : "";
		int nm = 0;
		while (*m && nm < 4) {
			const char *e = strchr(m, ';');
			size_t k = e ? (size_t)(e - m) : strlen(m);
			if (k) {
				char mod[8];
				size_t mk = k < 7 ? k : 7;
				memcpy(mod, m, mk);
				mod[mk] = '\0';
				comp(w, mod, 2);
				nm++;
			}
			m += k + (e != NULL);
		}
		if (unlisted(l->code) && has_text(l->description)) {
			for (; nm < 4; nm++)
				comp(w, "", 0);
			comp(w, l->description, 80);
		}
		el_raw(w, amount(l->charge, num, sizeof num));
		el_raw(w, "UN");
		el_raw(w, dc_dec_format(l->units, num, sizeof num));
		if (!inst) {
			/* SV105 place of service: only when it differs from CLM05-1
			 * (never); SV107 pointers 1..4 from "1;2" */
			el_raw(w, "");
			el_raw(w, "");
			dc_buf_addc(w->b, p->elem_sep);
			const char *d = l->dx_pointers && *l->dx_pointers ? l->dx_pointers : "1";
			int np = 0, at_start = 1;
			for (; *d && np < 4; d++) {
				if (isdigit((unsigned char)*d)) {
					if (at_start && np++)
						dc_buf_addc(w->b, p->comp_sep);
					dc_buf_addc(w->b, *d);
					at_start = 0;
				} else {
					at_start = 1;
				}
			}
		}
		end(w);

		seg(w, "DTP");
		el_raw(w, "472");
		el_raw(w, "D8");
		el_raw(w, date);
		end(w);

		if (has_text(l->line_control)) {
			seg(w, "REF");
			el_raw(w, "6R");
			el(w, l->line_control, 50);
			end(w);
		}

		/* 2410: drug lines only, and only with an NDC */
		if (is_drug_kind(l->kind) && ndc_code(l->code) && l->ndc && strlen(l->ndc) == 11) {
			seg(w, "LIN");
			el_raw(w, "");
			el_raw(w, "N4");
			el(w, l->ndc, 48);
			end(w);
			seg(w, "CTP");
			el_raw(w, "");
			el_raw(w, "");
			el_raw(w, "");
			el_raw(w, dc_dec_format(l->ndc_quantity, num, sizeof num));
			el(w, l->ndc_unit && *l->ndc_unit ? l->ndc_unit : "UN", 2);
			end(w);
		}
	}
}

int dc_x12_claim_format(struct dc_buf *b, const struct dc_encounter *enc,
			const struct dc_coded *c, const struct dc_profile *p,
			const struct dc_rules *rules)
{
	return dc_x12_claim_format_opts(b, enc, c, p, rules, NULL);
}

int dc_x12_claim_format_opts(struct dc_buf *b, const struct dc_encounter *enc,
			     const struct dc_coded *c, const struct dc_profile *p,
			     const struct dc_rules *rules, const struct dc_x12_claim_opts *opts)
{
	static const struct dc_x12_claim_opts dflt = { '1', NULL, NULL };
	struct dc_x12_claim_opts o = opts ? *opts : dflt;
	if (o.frequency != '7' && o.frequency != '8')
		o.frequency = '1';
	struct w w = { b, p, 0, 0, 0 };
	const char *const *F = enc->f;
	size_t i;
	for (i = 0; i < c->nlines && !is_837(&c->lines[i]); i++)
		;
	if (i == c->nlines)
		return 0;

	int self = self_subscriber(enc);
	/* 2000B: relative HL 1, parent left empty for the file writer */
	seg(&w, "HL");
	el_raw(&w, "1");
	el_raw(&w, "");
	el_raw(&w, "22");
	el_raw(&w, self ? "0" : "1");
	end(&w);

	long prow = rules ? dc_table_find(&rules->us_payers, F[DC_E_PAYER_ID]) : -1;
	const char *filing = prow >= 0 ? dc_table_value(&rules->us_payers, prow,
						       "filing_indicator") : "";
	seg(&w, "SBR");
	el_raw(&w, "P");
	el_raw(&w, self ? "18" : "");
	el(&w, F[DC_E_GROUP_NUMBER], 50);
	for (int k = 0; k < 5; k++)
		el_raw(&w, "");
	el(&w, *filing ? filing : "CI", 2);
	end(&w);

	/* 2010BA subscriber: the patient's own columns when self */
	if (self) {
		name_segment(&w, "IL", F[DC_E_PATIENT_LAST_NAME], F[DC_E_PATIENT_FIRST_NAME],
			     "MI", F[DC_E_MEMBER_ID]);
		address(&w, F[DC_E_PATIENT_ADDRESS], F[DC_E_PATIENT_CITY], F[DC_E_PATIENT_STATE],
			F[DC_E_PATIENT_POSTCODE]);
		demographics(&w, F[DC_E_PATIENT_DOB], F[DC_E_PATIENT_SEX], 1);
	} else {
		name_segment(&w, "IL", F[DC_E_SUBSCRIBER_LAST_NAME],
			     F[DC_E_SUBSCRIBER_FIRST_NAME], "MI", F[DC_E_MEMBER_ID]);
		address(&w, F[DC_E_SUBSCRIBER_ADDRESS], F[DC_E_SUBSCRIBER_CITY],
			F[DC_E_SUBSCRIBER_STATE], F[DC_E_SUBSCRIBER_POSTCODE]);
		demographics(&w, F[DC_E_SUBSCRIBER_DOB], F[DC_E_SUBSCRIBER_SEX], 0);
	}

	/* 2010BB payer: the extract's payer_name, else the table's; the id is
	 * the table's 2010BB payer id */
	const char *pname = has_text(F[DC_E_PAYER_NAME]) ? F[DC_E_PAYER_NAME]
		: prow >= 0 ? dc_table_value(&rules->us_payers, prow, "name") : "";
	const char *pid = prow >= 0 ? dc_table_value(&rules->us_payers, prow, "payer_id_2010bb")
				    : "";
	if (!*pname)
		pname = F[DC_E_PAYER_ID];
	if (!*pid)
		pid = F[DC_E_PAYER_ID];
	seg(&w, "NM1");
	el_raw(&w, "PR");
	el_raw(&w, "2");
	el(&w, pname, 60);
	for (int k = 0; k < 4; k++)
		el_raw(&w, "");
	el_raw(&w, "PI");
	el(&w, pid, 80);
	end(&w);

	if (!self) {
		seg(&w, "HL");
		el_raw(&w, "2");
		el_raw(&w, "1");
		el_raw(&w, "23");
		el_raw(&w, "0");
		end(&w);
		seg(&w, "PAT");
		el(&w, F[DC_E_SUBSCRIBER_RELATIONSHIP], 2);
		end(&w);
		name_segment(&w, "QC", F[DC_E_PATIENT_LAST_NAME], F[DC_E_PATIENT_FIRST_NAME],
			     NULL, NULL);
		address(&w, F[DC_E_PATIENT_ADDRESS], F[DC_E_PATIENT_CITY], F[DC_E_PATIENT_STATE],
			F[DC_E_PATIENT_POSTCODE]);
		demographics(&w, F[DC_E_PATIENT_DOB], F[DC_E_PATIENT_SEX], 1);
	}

	/* the claims, in the order of their first line */
	for (i = 0; i < c->nlines; i++) {
		const struct dc_line *l = &c->lines[i];
		if (!is_837(l))
			continue;
		size_t j;
		for (j = 0; j < i; j++)
			if (is_837(&c->lines[j]) && !strcmp(c->lines[j].claim_id, l->claim_id))
				break;
		if (j == i)
			claim(&w, enc, c, rules, l->claim_id, i, &o);
	}
	return w.changed;
}

const char *dc_x12_claim_missing(const struct dc_encounter *enc, const struct dc_coded *c,
				 const struct dc_rules *rules, char *buf, size_t n)
{
	const char *const *F = enc->f;
	int self = self_subscriber(enc);
	static const char *const rels[] = { "01", "19", "20", "21", "39", "40", "53", "G8", NULL };
	if (!self) {
		size_t k = 0;
		while (rels[k] && strcmp(rels[k], F[DC_E_SUBSCRIBER_RELATIONSHIP]))
			k++;
		if (!rels[k]) {
			snprintf(buf, n, "subscriber_relationship is not an X12 relationship code '%s'",
				 F[DC_E_SUBSCRIBER_RELATIONSHIP]);
			return buf;
		}
	}
	struct { int col; int when; } req[] = {
		{ DC_E_MEMBER_ID, 1 }, { DC_E_PAYER_ID, 1 },
		{ DC_E_PATIENT_LAST_NAME, 1 }, { DC_E_PATIENT_DOB, 1 },
		{ DC_E_SUBSCRIBER_LAST_NAME, !self },
		/* 2010BA (self) or 2010CA address: required by both guides */
		{ DC_E_PATIENT_ADDRESS, 1 }, { DC_E_PATIENT_CITY, 1 },
		{ DC_E_PATIENT_STATE, 1 }, { DC_E_PATIENT_POSTCODE, 1 },
	};
	for (size_t k = 0; k < sizeof req / sizeof *req; k++)
		if (req[k].when && !has_text(F[req[k].col])) {
			snprintf(buf, n, "%s is empty", dc_column_names[req[k].col]);
			return buf;
		}
	int32_t day;
	if (dc_date_parse(F[DC_E_PATIENT_DOB], &day) != 0) {
		snprintf(buf, n, "patient_dob is not a date");
		return buf;
	}
	if (rules && dc_table_find(&rules->us_payers, F[DC_E_PAYER_ID]) < 0) {
		snprintf(buf, n, "payer_id is not in us/payers.csv '%s'", F[DC_E_PAYER_ID]);
		return buf;
	}
	if (!enc->ndx || !enc->dx || !has_text(enc->dx[0])) {
		snprintf(buf, n, "no diagnosis code");
		return buf;
	}
	for (size_t i = 0; i < c->nlines; i++) {
		const struct dc_line *l = &c->lines[i];
		if (!is_837(l))
			continue;
		if (!has_text(l->claim_id) || strlen(l->claim_id) > 20) {
			snprintf(buf, n, "line %d has no claim id of at most 20 characters", l->line_no);
			return buf;
		}
		if (!has_text(l->line_control)) {
			snprintf(buf, n, "line %d has no line_control", l->line_no);
			return buf;
		}
		if (!has_text(l->code)) {
			snprintf(buf, n, "line %d has no code", l->line_no);
			return buf;
		}
		if (l->units.v <= 0) {
			snprintf(buf, n, "line %d has no units '%s'", l->line_no, l->code);
			return buf;
		}
		if (l->charge < 0) {
			snprintf(buf, n, "line %d has a negative charge '%s'", l->line_no, l->code);
			return buf;
		}
		if (is_drug_kind(l->kind) && l->ndc && *l->ndc && !ndc_code(l->code)) {
			snprintf(buf, n, "line %d has an NDC but is not a HCPCS J, Q or S drug '%s'",
				 l->line_no, l->code);
			return buf;
		}
		if (is_drug_kind(l->kind) && l->ndc && *l->ndc &&
		    (strlen(l->ndc) != 11 || strspn(l->ndc, "0123456789") != 11)) {
			snprintf(buf, n, "line %d has an NDC that is not 11 digits '%s'", l->line_no,
				 l->code);
			return buf;
		}
		if (is_drug_kind(l->kind) && l->ndc && *l->ndc && l->ndc_unit && *l->ndc_unit &&
		    strcmp(l->ndc_unit, "UN") && strcmp(l->ndc_unit, "ML") &&
		    strcmp(l->ndc_unit, "GR") && strcmp(l->ndc_unit, "ME") &&
		    strcmp(l->ndc_unit, "F2")) {
			snprintf(buf, n, "line %d has an NDC unit other than UN, ML, GR, ME, F2 '%s'",
				 l->line_no, l->ndc_unit);
			return buf;
		}
		if (is_drug_kind(l->kind) && l->ndc && *l->ndc && l->ndc_quantity.v <= 0) {
			snprintf(buf, n, "line %d has an NDC without a quantity '%s'", l->line_no,
				 l->code);
			return buf;
		}
		/* REF*6R unique within the claim */
		for (size_t j = 0; j < i; j++)
			if (is_837(&c->lines[j]) && !strcmp(c->lines[j].claim_id, l->claim_id) &&
			    !strcmp(c->lines[j].line_control, l->line_control)) {
				snprintf(buf, n, "line %d repeats line_control '%s'", l->line_no,
					 l->line_control);
				return buf;
			}
	}
	return NULL;
}

int dc_x12_clean(const struct dc_profile *p, const char *v, size_t max, char *out, size_t n)
{
	/* put_val writes at most 511 bytes: the stack buffer never grows */
	char room[520];
	struct dc_buf b = { room, 0, sizeof room };
	room[0] = '\0';
	struct w w = { &b, p, 0, 0, 0 };
	put_val(&w, v, max);
	if (n) {
		size_t k = b.len < n ? b.len : n - 1;
		memcpy(out, b.p, k);
		out[k] = '\0';
	}
	return w.changed;
}

/* ---- the interchange ---- */

/* Iterates the segments of a body: [*s, *e) is one segment without its
 * terminator; returns 0 at the end. */
static int next_seg(const char *body, size_t len, size_t *pos, char term,
		    const char **s, size_t *n)
{
	size_t i = *pos;
	while (i < len && (body[i] == '\n' || body[i] == '\r'))
		i++;
	if (i >= len)
		return 0;
	const char *t = memchr(body + i, term, len - i);
	size_t e = t ? (size_t)(t - body) : len;
	*s = body + i;
	*n = e - i;
	*pos = t ? e + 1 : len;
	return 1;
}

static int seg_is(const char *s, size_t n, const char *id, char sep)
{
	size_t k = strlen(id);
	return n > k && !memcmp(s, id, k) && s[k] == sep;
}

size_t dc_x12_body_claims(const char *body, size_t len, const struct dc_profile *p)
{
	size_t pos = 0, n, claims = 0;
	const char *s;
	while (next_seg(body, len, &pos, p->seg_term, &s, &n))
		claims += seg_is(s, n, "CLM", p->elem_sep);
	return claims;
}

/* Reads a positive decimal element of at most 9 digits; -1 when not one. */
static long small_num(const char *s, size_t n)
{
	if (n == 0 || n > 9)
		return -1;
	long v = 0;
	for (size_t i = 0; i < n; i++) {
		if (!isdigit((unsigned char)s[i]))
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v;
}

struct fw {
	struct w w;
	const struct dc_profile *p;
	const char *version, *now;
	long isa13;
	int nst;                  /* transactions written */
	unsigned long st_seg;     /* w.nseg at the ST */
	long hl_next;             /* next HL id in the transaction */
	size_t st_claims;
	char date8[9], time4[5];
};

static void st_open(struct fw *f)
{
	struct w *w = &f->w;
	const struct dc_profile *p = f->p;
	char ctl[12], ref[32];
	f->nst++;
	snprintf(ctl, sizeof ctl, "%04d", f->nst);
	f->st_seg = w->nseg;
	seg(w, "ST");
	el_raw(w, "837");
	el_raw(w, ctl);
	el_raw(w, f->version);
	end(w);
	/* BHT03: ISA13 and ST02, unique per transaction; CH chargeable */
	snprintf(ref, sizeof ref, "%09ld%s", f->isa13, ctl);
	seg(w, "BHT");
	el_raw(w, "0019");
	el_raw(w, "00");
	el_raw(w, ref);
	el_raw(w, f->date8);
	el_raw(w, f->time4);
	el_raw(w, "CH");
	end(w);
	/* 1000A submitter */
	seg(w, "NM1");
	el_raw(w, "41");
	el_raw(w, "2");
	el(w, p->submitter_name, 60);
	for (int k = 0; k < 4; k++)
		el_raw(w, "");
	el_raw(w, "46");
	el(w, p->submitter_id, 80);
	end(w);
	seg(w, "PER");
	el_raw(w, "IC");
	el(w, p->contact_name, 60);
	if (p->contact_phone[0]) {
		el_raw(w, "TE");
		el(w, p->contact_phone, 256);
	}
	if (p->contact_email[0]) {
		el_raw(w, "EM");
		el(w, p->contact_email, 256);
	}
	end(w);
	/* 1000B receiver */
	seg(w, "NM1");
	el_raw(w, "40");
	el_raw(w, "2");
	el(w, p->receiver_name, 60);
	for (int k = 0; k < 4; k++)
		el_raw(w, "");
	el_raw(w, "46");
	el(w, p->receiver_id, 80);
	end(w);
	/* 2000A / 2010AA billing provider */
	seg(w, "HL");
	el_raw(w, "1");
	el_raw(w, "");
	el_raw(w, "20");
	el_raw(w, "1");
	end(w);
	if (p->billing_taxonomy[0]) {
		seg(w, "PRV");
		el_raw(w, "BI");
		el_raw(w, "PXC");
		el(w, p->billing_taxonomy, 50);
		end(w);
	}
	seg(w, "NM1");
	el_raw(w, "85");
	el_raw(w, "2");
	el(w, p->billing_name, 60);
	for (int k = 0; k < 4; k++)
		el_raw(w, "");
	el_raw(w, "XX");
	el(w, p->billing_npi, 80);
	end(w);
	seg(w, "N3");
	el(w, p->billing_address, 55);
	end(w);
	seg(w, "N4");
	el(w, p->billing_city, 30);
	el(w, p->billing_state, 2);
	el(w, p->billing_zip, 15);
	end(w);
	seg(w, "REF");
	el_raw(w, "EI");
	el(w, p->billing_ein, 50);
	end(w);
	f->hl_next = 2;
	f->st_claims = 0;
}

static void st_close(struct fw *f)
{
	struct w *w = &f->w;
	char ctl[12];
	snprintf(ctl, sizeof ctl, "%04d", f->nst);
	unsigned long count = w->nseg - f->st_seg + 1;
	seg(w, "SE");
	dc_buf_printf(w->b, "%c%lu", f->p->elem_sep, count);
	el_raw(w, ctl);
	end(w);
}

/*
 * Copies one body into the transaction, HL ids made absolute: relative id k
 * becomes hl_next + k - 1, an empty parent becomes 1 (the 2000A). Returns 0
 * or DC_ERR_BUG when the body's HLs are not numbered 1, 2, ... with earlier
 * parents.
 */
static int copy_body(struct fw *f, const char *body, size_t len, struct dc_diag_sink *ds)
{
	struct w *w = &f->w;
	const struct dc_profile *p = f->p;
	size_t pos = 0, n;
	const char *s;
	long local = 0;
	while (next_seg(body, len, &pos, p->seg_term, &s, &n)) {
		if (seg_is(s, n, "HL", p->elem_sep)) {
			/* HL*id*parent*level*child */
			const char *e1 = s + 3;
			const char *e2 = memchr(e1, p->elem_sep, n - 3);
			if (!e2)
				goto bad;
			const char *e3 = memchr(e2 + 1, p->elem_sep, (size_t)(s + n - e2 - 1));
			if (!e3)
				goto bad;
			long id = small_num(e1, (size_t)(e2 - e1));
			long par = e3 == e2 + 1 ? 0 : small_num(e2 + 1, (size_t)(e3 - e2 - 1));
			if (id != local + 1 || par < 0 || par >= id)
				goto bad;
			local = id;
			w->seg_start = w->b->len;
			dc_buf_printf(w->b, "HL%c%ld%c%ld", p->elem_sep, f->hl_next + id - 1,
				      p->elem_sep, par ? f->hl_next + par - 1 : 1L);
			dc_buf_add(w->b, e3, (size_t)(s + n - e3));
		} else {
			w->seg_start = w->b->len;
			dc_buf_add(w->b, s, n);
		}
		end(w);
	}
	f->hl_next += local;
	return 0;
bad:
	return dc_diag_report(ds, DC_SEV_ERROR, DC_ERR_BUG, NULL, 0,
			      "internal error: 837 claim body with a malformed HL segment '%s'",
			      "HL");
}

static int now_parts(const char *now, struct fw *f)
{
	/* YYYY-MM-DDTHH:MM */
	static const char pat[] = "dddd-dd-ddTdd:dd";
	if (!now || strlen(now) < 16)
		return -1;
	for (int i = 0; i < 16; i++)
		if (pat[i] == 'd' ? !isdigit((unsigned char)now[i]) : now[i] != pat[i])
			return -1;
	snprintf(f->date8, sizeof f->date8, "%.4s%.2s%.2s", now, now + 5, now + 8);
	snprintf(f->time4, sizeof f->time4, "%.2s%.2s", now + 11, now + 14);
	int32_t day;
	if (dc_date_parse(f->date8, &day) != 0 || atoi(f->time4) / 100 > 23 ||
	    atoi(f->time4) % 100 > 59)
		return -1;
	return 0;
}

int dc_x12_file_write(struct dc_out *o, char kind, const struct dc_profile *p,
		      long isa13, long gs06, const char *now,
		      int (*next_body)(void *ctx, const char **body, size_t *len), void *ctx,
		      struct dc_diag_sink *ds)
{
	struct fw f;
	memset(&f, 0, sizeof f);
	if (kind != 'P' && kind != 'I')
		return dc_diag_report(ds, DC_SEV_ERROR, DC_ERR_USAGE, NULL, 0,
				      "837 kind must be P or I '%c'", kind ? kind : '?');
	if (isa13 < 1 || isa13 > 999999999 || gs06 < 1 || gs06 > 999999999)
		return dc_diag_report(ds, DC_SEV_ERROR, DC_ERR_USAGE, NULL, 0,
				      "837 control numbers must be 1 to 999999999 '%ld'",
				      isa13 < 1 || isa13 > 999999999 ? isa13 : gs06);
	if (now_parts(now, &f) != 0)
		return dc_diag_report(ds, DC_SEV_ERROR, DC_ERR_USAGE, NULL, 0,
				      "837 time must be YYYY-MM-DDTHH:MM '%s'", now ? now : "");
	struct dc_buf b;
	dc_buf_init(&b);
	f.w.b = &b;
	f.w.p = p;
	f.p = p;
	f.version = kind == 'P' ? DC_X12_837P_VERSION : DC_X12_837I_VERSION;
	f.isa13 = isa13;
	int rc = 0;

	/* ISA: fixed width, ids padded to 15, no authorisation/security info */
	dc_buf_printf(&b, "ISA%c00%c%10s%c00%c%10s%c%-2s%c%-15s%c%-2s%c%-15s%c%.6s%c%s%c%c%c"
		      "00501%c%09ld%c0%c%c%c%c",
		      p->elem_sep, p->elem_sep, "", p->elem_sep, p->elem_sep, "", p->elem_sep,
		      p->isa_sender_qual, p->elem_sep, p->isa_sender_id, p->elem_sep,
		      p->isa_receiver_qual, p->elem_sep, p->isa_receiver_id, p->elem_sep,
		      f.date8 + 2, p->elem_sep, f.time4, p->elem_sep, p->rep_sep, p->elem_sep,
		      p->elem_sep, isa13, p->elem_sep, p->elem_sep, p->production ? 'P' : 'T',
		      p->elem_sep, p->comp_sep);
	/* not end(): ISA16 is the component separator, which end() would take
	 * for an empty trailing component */
	dc_buf_addc(&b, p->seg_term);
	if (p->line_per_segment)
		dc_buf_addc(&b, '\n');
	char num[24];
	seg(&f.w, "GS");
	el_raw(&f.w, "HC");
	el(&f.w, p->gs_sender, 15);
	el(&f.w, p->gs_receiver, 15);
	el_raw(&f.w, f.date8);
	el_raw(&f.w, f.time4);
	snprintf(num, sizeof num, "%ld", gs06);
	el_raw(&f.w, num);
	el_raw(&f.w, "X");
	el_raw(&f.w, f.version);
	end(&f.w);

	size_t total_claims = 0;
	const char *body;
	size_t len;
	for (;;) {
		int r = next_body(ctx, &body, &len);
		if (r < 0) {
			rc = r;
			goto out;
		}
		if (r == 0)
			break;
		if (!body || !len)
			continue;
		size_t nc = dc_x12_body_claims(body, len, p);
		if (f.nst == 0)
			st_open(&f);
		else if (f.st_claims && f.st_claims + nc > DC_X12_MAX_CLAIMS_PER_ST) {
			st_close(&f);
			st_open(&f);
		}
		if ((rc = copy_body(&f, body, len, ds)) != 0)
			goto out;
		f.st_claims += nc;
		total_claims += nc;
		if (b.len > DC_X12_MAX_FILE_BYTES) {
			rc = dc_diag_report(ds, DC_SEV_ERROR, DC_ERR_LIMIT, o ? o->name : NULL, 0,
					    "837 file larger than %zu MB: split the run '%zu claims'",
					    DC_X12_MAX_FILE_BYTES >> 20, total_claims);
			goto out;
		}
	}
	if (!total_claims) {
		rc = dc_diag_report(ds, DC_SEV_ERROR, DC_ERR_USAGE, o ? o->name : NULL, 0,
				    "837 file without any claim%s", "");
		goto out;
	}
	st_close(&f);
	seg(&f.w, "GE");
	dc_buf_printf(&b, "%c%d", p->elem_sep, f.nst);
	el_raw(&f.w, num);
	end(&f.w);
	seg(&f.w, "IEA");
	dc_buf_printf(&b, "%c1%c%09ld", p->elem_sep, p->elem_sep, isa13);
	end(&f.w);

	/*
	 * Test hook: the failure-injection hook may ask for a damaged file here
	 * (the last segment count off by one), to prove that the check stops it.
	 */
	if (dc_out_fail_hook && dc_out_fail_hook("selfcheck", o && o->name ? o->name : "")) {
		char *ge = strstr(b.p, "GE");
		if (ge)
			ge[3] = ge[3] == '9' ? '8' : (char)(ge[3] + 1);
	}
	/* A file that fails its own check is a bug: nothing reaches |o| */
	if (dc_x12_self_check(b.p, b.len, ds) != 0) {
		rc = dc_diag_report(ds, DC_SEV_ERROR, DC_ERR_BUG, o ? o->name : NULL, 0,
				    "internal error: 837 file failed its own check, not written "
				    "'%09ld'", isa13);
		goto out;
	}
	if (dc_out_write(o, b.p, b.len) != 0)
		rc = DC_ERR_IO;
out:
	dc_buf_release(&b);
	return rc;
}
