/*
 * The 837 writer's check of its own output (outputs.md: "the writer checks
 * its own output before renaming it into place"). It is deliberately an
 * independent re-reading of the bytes: delimiters come from the ISA, not
 * from the profile, and nothing is shared with the formatter but the
 * version strings, so a formatter bug cannot hide itself.
 *
 * It checks only what dc_x12_file_write() produces (the loops listed in
 * x12_837.c); it is not a general 837 validator. Diagnostics name the
 * segment number and id, never element values (they may be patient data).
 */
#include "emitters/x12_837.h"
#include "engine/dc_status.h"

#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAXEL 48            /* more elements than any 837 segment has */
#define MAXREPORT 20        /* diagnostics reported per check; all are counted */

struct tok {
	const char *s;
	size_t n;
};

struct sg {
	struct tok id;
	uint32_t key;               /* the id's bytes packed (SEG_KEY) */
	struct tok el[MAXEL + 1];   /* el[1] .. el[nel] */
	int nel;
	unsigned long no;           /* 1-based segment number in the interchange */
};

struct hl {
	int level;                  /* 20, 22, 23 */
	int child_code;             /* HL04 */
	int has_child;
};

enum loop { L_NONE, L_ST, L_BHT, L_1000A, L_1000B, L_2000A, L_2000B, L_2000C, L_2300,
	    L_2400 };

struct ck {
	struct dc_diag_sink *ds;
	int errors;
	char es, cs, rs, term;
	/* envelope */
	int in_gs, in_st;
	struct tok isa13, gs06, gs08, st02;
	long ngs, nst_in_gs;
	unsigned long st_first;     /* segment number of the ST */
	/* transaction */
	int inst;
	enum loop loop;
	struct hl *hls;
	size_t nhl, caphl;
	int cur_level;              /* level of the current HL */
	int hl_claims;              /* claims under the current HL */
	int seen_il, seen_pr, seen_qc;
	const char *prev_id;        /* id of the previous segment in the ST */
	char prev[4];
	/* claim */
	int clm_open;
	unsigned long clm_no;
	int64_t clm_total, line_sum;
	int has_hi, has_434, has_cl1;
	int lx;
	struct tok *refs;
	size_t nrefs, caprefs;
	/* service line */
	int lx_open;
	unsigned long lx_no;
	int sv_seen, ref6r, dtp472, drug, lin, expect_ctp;
};

static void bad(struct ck *k, const struct sg *s, const char *what)
{
	k->errors++;
	if (k->errors > MAXREPORT)
		return;
	char id[4] = "";
	if (s)
		snprintf(id, sizeof id, "%.*s", (int)(s->id.n < 3 ? s->id.n : 3), s->id.s);
	if (s)
		dc_diag_report(k->ds, DC_SEV_ERROR, DC_ERR_BUG, NULL, 0,
			       "837 self-check: segment %lu: %s '%s'", s->no, what, id);
	else
		dc_diag_report(k->ds, DC_SEV_ERROR, DC_ERR_BUG, NULL, 0,
			       "837 self-check: %s '%s'", what, "interchange");
}

static struct tok E(const struct sg *s, int i)
{
	struct tok t = { "", 0 };
	return i >= 1 && i <= s->nel ? s->el[i] : t;
}

static inline int eq(struct tok t, const char *v)
{
	return t.n == strlen(v) && !memcmp(t.s, v, t.n);
}

static int teq(struct tok a, struct tok b)
{
	return a.n == b.n && !memcmp(a.s, b.s, a.n);
}

/* A segment id of two or three characters as one number. */
static inline uint32_t seg_key(const char *id, size_t n)
{
	return (uint32_t)(unsigned char)id[0] | (uint32_t)(unsigned char)id[1] << 8 |
	       (n > 2 ? (uint32_t)(unsigned char)id[2] << 16 : 0);
}

/* |s| is the segment named by the string literal |lit| */
#define is(s, lit) \
	((s)->key == ((uint32_t)(unsigned char)(lit)[0] | (uint32_t)(unsigned char)(lit)[1] << 8 | \
		      (sizeof(lit) > 3 ? (uint32_t)(unsigned char)(lit)[2] << 16 : 0)))

/* Component |i| (1-based) of element |t|. */
static struct tok C(struct tok t, int i, char cs)
{
	const char *p = t.s, *e = t.s + t.n;
	for (int k = 1; k < i; k++) {
		const char *q = memchr(p, cs, (size_t)(e - p));
		if (!q) {
			struct tok z = { "", 0 };
			return z;
		}
		p = q + 1;
	}
	const char *q = memchr(p, cs, (size_t)(e - p));
	struct tok r = { p, (size_t)((q ? q : e) - p) };
	return r;
}

static long num(struct tok t)
{
	if (t.n == 0 || t.n > 9)
		return -1;
	long v = 0;
	for (size_t i = 0; i < t.n; i++) {
		if (!isdigit((unsigned char)t.s[i]))
			return -1;
		v = v * 10 + (t.s[i] - '0');
	}
	return v;
}

/* An X12 R amount as cents: "120", "120.5", "0.05"; -1 when not one. */
static int amount_cents(struct tok t, int64_t *out)
{
	size_t i = 0;
	int neg = 0;
	if (t.n && t.s[0] == '-') {
		neg = 1;
		i = 1;
	}
	int64_t whole = 0, frac = 0;
	int nd = 0, nf = 0, dot = 0;
	for (; i < t.n; i++) {
		char c = t.s[i];
		if (c == '.' && !dot) {
			dot = 1;
		} else if (isdigit((unsigned char)c)) {
			if (dot) {
				if (++nf > 2)
					return -1;
				frac = frac * 10 + (c - '0');
			} else {
				if (++nd > 12)
					return -1;
				whole = whole * 10 + (c - '0');
			}
		} else {
			return -1;
		}
	}
	if (!nd && !nf)
		return -1;
	if (nf == 1)
		frac *= 10;
	*out = (whole * 100 + frac) * (neg ? -1 : 1);
	return 0;
}

/* Elements that must not be empty, per segment (and qualifier). */
static void required(struct ck *k, const struct sg *s, const int *idx)
{
	for (; *idx; idx++)
		if (E(s, *idx).n == 0) {
			char what[64];
			snprintf(what, sizeof what, "required element %02d is empty", *idx);
			bad(k, s, what);
		}
}

static void req_for(struct ck *k, const struct sg *s)
{
	static const struct { const char *id; int el[10]; } t[] = {
		{ "GS", { 1, 2, 3, 4, 5, 6, 7, 8 } }, { "ST", { 1, 2, 3 } },
		{ "BHT", { 1, 2, 3, 4, 5, 6 } }, { "NM1", { 1, 2 } }, { "PER", { 1, 3, 4 } },
		{ "HL", { 1, 3, 4 } }, { "SBR", { 1, 9 } }, { "N3", { 1 } },
		{ "N4", { 1, 2, 3 } }, { "DMG", { 1, 2, 3 } }, { "PAT", { 1 } },
		{ "CLM", { 1, 2, 5, 7, 8, 9 } }, { "DTP", { 1, 2, 3 } }, { "CL1", { 1 } },
		{ "REF", { 1, 2 } }, { "HI", { 1 } }, { "LX", { 1 } },
		{ "SV1", { 1, 2, 3, 4, 7 } }, { "SV2", { 1, 2, 3, 4, 5 } },
		{ "LIN", { 2, 3 } }, { "CTP", { 4, 5 } }, { "PRV", { 1, 2, 3 } },
		{ "SE", { 1, 2 } }, { "GE", { 1, 2 } }, { "IEA", { 1, 2 } },
	};
	for (size_t i = 0; i < sizeof t / sizeof *t; i++)
		if (t[i].id[0] == s->id.s[0] && s->key == seg_key(t[i].id, strlen(t[i].id))) {
			required(k, s, t[i].el);
			break;
		}
	if (is(s, "NM1")) {
		/* names and ids of the entities this writer uses */
		if (!eq(E(s, 1), "87") && E(s, 3).n == 0)
			bad(k, s, "NM103 name is empty");
		if ((E(s, 8).n == 0) != (E(s, 9).n == 0))
			bad(k, s, "NM108 and NM109 go together");
		static const char *const needs_id[] = { "41", "40", "85", "IL", "PR", "82", "71",
							NULL };
		for (size_t i = 0; needs_id[i]; i++)
			if (eq(E(s, 1), needs_id[i]) && E(s, 9).n == 0)
				bad(k, s, "NM109 identifier is empty");
	}
	if (is(s, "CLM")) {
		struct tok c5 = E(s, 5);
		if (!C(c5, 1, k->cs).n || !C(c5, 2, k->cs).n || !C(c5, 3, k->cs).n)
			bad(k, s, "CLM05 needs facility code, qualifier and frequency");
	}
	if ((is(s, "SV1") && (!C(E(s, 1), 1, k->cs).n || !C(E(s, 1), 2, k->cs).n)) ||
	    (is(s, "SV2") && (!C(E(s, 2), 1, k->cs).n || !C(E(s, 2), 2, k->cs).n)))
		bad(k, s, "procedure composite needs qualifier and code");
	if (is(s, "HI") && (!C(E(s, 1), 1, k->cs).n || !C(E(s, 1), 2, k->cs).n))
		bad(k, s, "diagnosis composite needs qualifier and code");
}

static void push_hl(struct ck *k, int level, int child)
{
	if (k->nhl == k->caphl) {
		k->caphl = k->caphl ? 2 * k->caphl : 64;
		k->hls = realloc(k->hls, k->caphl * sizeof *k->hls);
		if (!k->hls)
			abort();
	}
	k->hls[k->nhl].level = level;
	k->hls[k->nhl].child_code = child;
	k->hls[k->nhl].has_child = 0;
	k->nhl++;
}

static void close_lx(struct ck *k, const struct sg *s)
{
	if (!k->lx_open)
		return;
	k->lx_open = 0;
	if (!k->sv_seen)
		bad(k, s, "service line without SV1/SV2 before this segment");
	if (k->ref6r != 1)
		bad(k, s, "service line without exactly one REF*6R before this segment");
	if (!k->inst && !k->dtp472)
		bad(k, s, "837P service line without DTP*472 before this segment");
	if (k->expect_ctp)
		bad(k, s, "LIN without CTP before this segment");
}

static void close_claim(struct ck *k, const struct sg *s)
{
	close_lx(k, s);
	if (!k->clm_open)
		return;
	k->clm_open = 0;
	if (k->lx == 0)
		bad(k, s, "claim without service lines before this segment");
	if (k->line_sum != k->clm_total) {
		struct sg at = { { "CLM", 3 }, 0, { { 0, 0 } }, 0, k->clm_no };
		bad(k, &at, "CLM02 is not the sum of its line charges");
	}
	k->nrefs = 0;
}

static void close_hl(struct ck *k, const struct sg *s)
{
	close_claim(k, s);
	if (k->nhl == 0)
		return;
	const struct hl *h = &k->hls[k->nhl - 1];
	if ((h->level == 22 && h->child_code == 0) || h->level == 23) {
		if (!k->hl_claims)
			bad(k, s, "subscriber or patient loop without a claim before this segment");
	}
	if (h->level == 22 && (!k->seen_il || !k->seen_pr))
		bad(k, s, "2000B without NM1*IL and NM1*PR before this segment");
}

static void on_hl(struct ck *k, const struct sg *s)
{
	close_hl(k, s);
	long id = num(E(s, 1));
	long level = num(E(s, 3));
	long child = num(E(s, 4));
	if (id != (long)k->nhl + 1)
		bad(k, s, "HL01 is not the next HL id");
	if (child != 0 && child != 1)
		bad(k, s, "HL04 must be 0 or 1");
	if (level == 20) {
		if (E(s, 2).n)
			bad(k, s, "2000A HL has a parent");
		if (k->nhl != 0)
			bad(k, s, "2000A is not the first HL");
		if (k->loop != L_1000B)
			bad(k, s, "2000A does not follow 1000B");
		k->loop = L_2000A;
	} else if (level == 22 || level == 23) {
		long par = num(E(s, 2));
		int want = level == 22 ? 20 : 22;
		if (par < 1 || par >= id || par > (long)k->nhl || k->hls[par - 1].level != want)
			bad(k, s, level == 22 ? "2000B parent is not a 2000A HL"
					      : "2000C parent is not a 2000B HL");
		else
			k->hls[par - 1].has_child = 1;
		if (level == 23 && par != (long)k->nhl)
			bad(k, s, "2000C does not follow its 2000B");
		if (k->loop < L_2000A)
			bad(k, s, "HL before 2000A");
		k->loop = level == 22 ? L_2000B : L_2000C;
		if (level == 22)
			k->seen_il = k->seen_pr = 0;
		k->seen_qc = 0;
	} else {
		bad(k, s, "HL03 level is not 20, 22 or 23");
	}
	k->cur_level = (int)level;
	k->hl_claims = 0;
	push_hl(k, (int)level, (int)child);
}

static void on_clm(struct ck *k, const struct sg *s)
{
	close_claim(k, s);
	int ok = 0;
	if (k->cur_level == 22 && k->loop >= L_2000B && k->nhl &&
	    k->hls[k->nhl - 1].child_code == 0)
		ok = k->seen_il && k->seen_pr;
	else if (k->cur_level == 23)
		ok = k->seen_qc;
	if (!ok)
		bad(k, s, "CLM outside a complete 2000B (HL04 0) or 2000C loop");
	if (E(s, 1).n > 20)
		bad(k, s, "CLM01 longer than 20 characters");
	if (amount_cents(E(s, 2), &k->clm_total) != 0)
		bad(k, s, "CLM02 is not an amount");
	struct tok q = C(E(s, 5), 2, k->cs);
	if (!eq(q, k->inst ? "A" : "B"))
		bad(k, s, "CLM05-2 qualifier is wrong for this version");
	struct tok fq = C(E(s, 5), 3, k->cs);
	if (!eq(fq, "1") && !eq(fq, "7") && !eq(fq, "8"))
		bad(k, s, "CLM05-3 frequency is not 1, 7 or 8");
	if (k->inst && !eq(C(E(s, 5), 1, k->cs), "13"))
		bad(k, s, "837I CLM05-1 is not 13 (type of bill 0131)");
	if (!k->inst && !eq(E(s, 6), "Y") && !eq(E(s, 6), "N"))
		bad(k, s, "837P CLM06 must be Y or N");
	k->clm_open = 1;
	k->clm_no = s->no;
	k->line_sum = 0;
	k->has_hi = k->has_434 = k->has_cl1 = 0;
	k->lx = 0;
	k->nrefs = 0;
	k->hl_claims++;
	k->loop = L_2300;
}

static int drug_code(struct tok code)
{
	return code.n == 5 && (code.s[0] == 'J' || code.s[0] == 'Q' || code.s[0] == 'S');
}

static void on_st_segment(struct ck *k, const struct sg *s)
{
	if (is(s, "BHT")) {
		if (k->loop != L_ST)
			bad(k, s, "BHT does not follow ST");
		k->loop = L_BHT;
	} else if (is(s, "NM1") && eq(E(s, 1), "41")) {
		if (k->loop != L_BHT)
			bad(k, s, "1000A does not follow BHT");
		k->loop = L_1000A;
	} else if (is(s, "PER") && k->loop == L_1000A) {
		/* submitter contact */
	} else if (is(s, "NM1") && eq(E(s, 1), "40")) {
		if (k->loop != L_1000A)
			bad(k, s, "1000B does not follow 1000A");
		k->loop = L_1000B;
	} else if (is(s, "HL")) {
		on_hl(k, s);
	} else if (k->loop < L_2000A) {
		bad(k, s, "segment out of place before 2000A");
	} else if (is(s, "SBR")) {
		if (strcmp(k->prev, "HL") || k->cur_level != 22)
			bad(k, s, "SBR does not follow a 2000B HL");
	} else if (is(s, "NM1") && eq(E(s, 1), "IL")) {
		if (k->loop != L_2000B || strcmp(k->prev, "SBR"))
			bad(k, s, "NM1*IL does not follow SBR");
		k->seen_il = 1;
	} else if (is(s, "NM1") && eq(E(s, 1), "PR")) {
		if (k->loop != L_2000B || !k->seen_il)
			bad(k, s, "NM1*PR out of place");
		k->seen_pr = 1;
	} else if (is(s, "PAT")) {
		if (strcmp(k->prev, "HL") || k->cur_level != 23)
			bad(k, s, "PAT does not follow a 2000C HL");
	} else if (is(s, "NM1") && eq(E(s, 1), "QC")) {
		if (k->loop != L_2000C || strcmp(k->prev, "PAT"))
			bad(k, s, "NM1*QC does not follow PAT");
		k->seen_qc = 1;
	} else if (is(s, "CLM")) {
		on_clm(k, s);
	} else if (is(s, "HI")) {
		if (k->loop != L_2300)
			bad(k, s, "HI outside 2300");
		k->has_hi = 1;
	} else if (is(s, "CL1")) {
		if (k->loop != L_2300 || !k->inst)
			bad(k, s, "CL1 outside an 837I 2300");
		k->has_cl1 = 1;
	} else if (is(s, "LX")) {
		close_lx(k, s);
		if (!k->clm_open)
			bad(k, s, "LX outside a claim");
		if (!k->has_hi)
			bad(k, s, "claim without HI before its first LX");
		if (k->inst && k->lx == 0 && (!k->has_434 || !k->has_cl1))
			bad(k, s, "837I claim without DTP*434 and CL1 before its first LX");
		if (num(E(s, 1)) != k->lx + 1)
			bad(k, s, "LX01 is not the next line number");
		k->lx++;
		k->loop = L_2400;
		k->lx_open = 1;
		k->lx_no = s->no;
		k->sv_seen = k->ref6r = k->dtp472 = k->drug = k->lin = k->expect_ctp = 0;
	} else if (is(s, "SV1") || is(s, "SV2")) {
		if (strcmp(k->prev, "LX"))
			bad(k, s, "service segment does not follow LX");
		if (k->inst ? is(s, "SV1") : is(s, "SV2"))
			bad(k, s, "service segment of the other 837 version");
		struct tok proc = E(s, k->inst ? 2 : 1);
		if (!eq(C(proc, 1, k->cs), "HC"))
			bad(k, s, "procedure qualifier is not HC");
		k->drug = drug_code(C(proc, 2, k->cs));
		int64_t ch;
		if (amount_cents(E(s, k->inst ? 3 : 2), &ch) != 0)
			bad(k, s, "line charge is not an amount");
		else
			k->line_sum += ch;
		if (k->inst && E(s, 1).n != 4)
			bad(k, s, "SV201 revenue code is not 4 characters");
		k->sv_seen = 1;
	} else if (is(s, "DTP")) {
		if (k->loop == L_2400) {
			if (eq(E(s, 1), "472"))
				k->dtp472++;
		} else if (k->loop == L_2300) {
			if (eq(E(s, 1), "434"))
				k->has_434 = 1;
		} else {
			bad(k, s, "DTP out of place");
		}
	} else if (is(s, "REF")) {
		if (eq(E(s, 1), "F8") && k->loop != L_2300)
			bad(k, s, "REF*F8 outside 2300");
		if (eq(E(s, 1), "6R")) {
			if (k->loop != L_2400 || k->lin)
				bad(k, s, "REF*6R outside a service line");
			k->ref6r++;
			for (size_t i = 0; i < k->nrefs; i++)
				if (teq(k->refs[i], E(s, 2)))
					bad(k, s, "REF*6R repeated within the claim");
			if (k->nrefs == k->caprefs) {
				k->caprefs = k->caprefs ? 2 * k->caprefs : 64;
				k->refs = realloc(k->refs, k->caprefs * sizeof *k->refs);
				if (!k->refs)
					abort();
			}
			k->refs[k->nrefs++] = E(s, 2);
		} else if (k->loop == L_2400) {
			bad(k, s, "unexpected REF in a service line");
		}
	} else if (is(s, "LIN")) {
		if (k->loop != L_2400 || !k->sv_seen || k->lin)
			bad(k, s, "LIN out of place");
		if (!k->drug)
			bad(k, s, "LIN on a line that is not a drug (J, Q or S code)");
		if (!eq(E(s, 2), "N4") || E(s, 3).n != 11 || num((struct tok){ E(s, 3).s, 9 }) < 0 ||
		    num((struct tok){ E(s, 3).s + 9, 2 }) < 0)
			bad(k, s, "LIN is not N4 with an 11-digit NDC");
		k->lin = 1;
		k->expect_ctp = 1;
	} else if (is(s, "CTP")) {
		if (strcmp(k->prev, "LIN"))
			bad(k, s, "CTP does not follow LIN");
		k->expect_ctp = 0;
	} else if (is(s, "NM1")) {
		if (k->loop != L_2000A && k->loop != L_2300)
			bad(k, s, "NM1 out of place");
	} else if (is(s, "PER") || is(s, "PRV") || is(s, "N3") || is(s, "N4") || is(s, "DMG")) {
		if (k->loop >= L_2300)
			bad(k, s, "segment out of place in a claim");
	} else {
		bad(k, s, "unexpected segment");
	}
}

static void on_segment(struct ck *k, const struct sg *s)
{
	req_for(k, s);
	if (is(s, "GS")) {
		if (k->in_gs || k->in_st)
			bad(k, s, "GS inside a functional group");
		k->in_gs = 1;
		k->ngs++;
		k->nst_in_gs = 0;
		k->gs06 = E(s, 6);
		k->gs08 = E(s, 8);
		if (!eq(E(s, 1), "HC"))
			bad(k, s, "GS01 is not HC");
		if (!eq(k->gs08, DC_X12_837P_VERSION) && !eq(k->gs08, DC_X12_837I_VERSION))
			bad(k, s, "GS08 is not a supported 837 version");
		return;
	}
	if (is(s, "ST")) {
		if (!k->in_gs || k->in_st)
			bad(k, s, "ST outside a functional group");
		k->in_st = 1;
		k->nst_in_gs++;
		k->st_first = s->no;
		k->st02 = E(s, 2);
		if (!eq(E(s, 1), "837"))
			bad(k, s, "ST01 is not 837");
		if (!teq(E(s, 3), k->gs08))
			bad(k, s, "ST03 differs from GS08");
		k->inst = eq(E(s, 3), DC_X12_837I_VERSION);
		k->loop = L_ST;
		k->nhl = 0;
		k->cur_level = 0;
		k->clm_open = k->lx_open = 0;
		memcpy(k->prev, "ST", 3);
		return;
	}
	if (is(s, "SE")) {
		if (!k->in_st) {
			bad(k, s, "SE without ST");
			return;
		}
		close_hl(k, s);
		if (num(E(s, 1)) != (long)(s->no - k->st_first + 1))
			bad(k, s, "SE01 is not the transaction's segment count");
		if (!teq(E(s, 2), k->st02))
			bad(k, s, "SE02 differs from ST02");
		if (k->nhl == 0)
			bad(k, s, "transaction without HL");
		for (size_t i = 0; i < k->nhl; i++)
			if (k->hls[i].child_code != k->hls[i].has_child) {
				bad(k, s, "an HL04 child code does not match its children");
				break;
			}
		k->in_st = 0;
		return;
	}
	if (is(s, "GE")) {
		if (!k->in_gs || k->in_st)
			bad(k, s, "GE out of place");
		if (num(E(s, 1)) != k->nst_in_gs)
			bad(k, s, "GE01 is not the number of transactions");
		if (!teq(E(s, 2), k->gs06))
			bad(k, s, "GE02 differs from GS06");
		k->in_gs = 0;
		return;
	}
	if (is(s, "IEA")) {
		if (k->in_gs || k->in_st)
			bad(k, s, "IEA inside a functional group");
		if (num(E(s, 1)) != k->ngs)
			bad(k, s, "IEA01 is not the number of functional groups");
		if (!teq(E(s, 2), k->isa13))
			bad(k, s, "IEA02 differs from ISA13");
		return;
	}
	if (!k->in_st) {
		bad(k, s, "segment outside a transaction");
		return;
	}
	on_st_segment(k, s);
	size_t idn = s->id.n < 3 ? s->id.n : 3;
	memcpy(k->prev, s->id.s, idn);
	k->prev[idn] = '\0';
}

int dc_x12_self_check(const char *data, size_t len, struct dc_diag_sink *ds)
{
	struct ck k;
	memset(&k, 0, sizeof k);
	k.ds = ds;
	if (len < 106 || memcmp(data, "ISA", 3) != 0) {
		bad(&k, NULL, "no ISA segment of 106 characters");
		return DC_ERR_BUG;
	}
	k.es = data[3];
	k.rs = data[82];
	k.cs = data[104];
	k.term = data[105];
	/* ISA: 16 elements at fixed offsets */
	static const int at[] = { 3, 6, 17, 20, 31, 34, 50, 53, 69, 76, 81, 83, 89, 99, 101, 103 };
	for (size_t i = 0; i < sizeof at / sizeof *at; i++)
		if (data[at[i]] != k.es)
			bad(&k, NULL, "ISA is not fixed width");
	for (int i = 4; i < 105; i++)
		if (data[i] == k.term || (data[i] == k.cs && i != 104))
			bad(&k, NULL, "ISA contains a delimiter inside an element");
	if (k.es == k.cs || k.es == k.term || k.cs == k.term || k.rs == k.es || k.rs == k.cs ||
	    k.rs == k.term)
		bad(&k, NULL, "ISA delimiters are not distinct");
	if (memcmp(data + 84, "00501", 5) != 0)
		bad(&k, NULL, "ISA12 is not 00501");
	if (data[102] != 'T' && data[102] != 'P')
		bad(&k, NULL, "ISA15 is not T or P");
	k.isa13.s = data + 90;
	k.isa13.n = 9;
	if (num(k.isa13) < 0)
		bad(&k, NULL, "ISA13 is not 9 digits");

	size_t pos = 106;
	unsigned long no = 1;
	int done = 0;
	struct sg s;
	while (pos < len) {
		while (pos < len && (data[pos] == '\n' || data[pos] == '\r'))
			pos++;
		if (pos >= len)
			break;
		if (done) {
			bad(&k, NULL, "data after IEA");
			break;
		}
		/*
		 * One pass over the segment: its id, its elements (at most
		 * MAXEL kept), and whether any byte is not printable ASCII.
		 * Segments are short: a call per delimiter would cost more
		 * than the bytes.
		 */
		const char *p = data + pos, *e = p, *lim = data + len, *tok = p;
		int ntok = 0, toomany = 0, ctrl = 0;
		s.nel = 0;   /* E() reads only el[1..nel] */
		for (; e < lim; e++) {
			unsigned char ch = (unsigned char)*e;
			if (ch != (unsigned char)k.term) {
				ctrl |= ch < 0x20 || ch > 0x7e;
				if (ch != (unsigned char)k.es)
					continue;
			}
			if (ntok++ == 0) {
				s.id.s = tok;
				s.id.n = (size_t)(e - tok);
			} else if (s.nel == MAXEL) {
				toomany = 1;
			} else if (!toomany) {
				s.nel++;
				s.el[s.nel].s = tok;
				s.el[s.nel].n = (size_t)(e - tok);
			}
			if (ch == (unsigned char)k.term)
				break;
			tok = e + 1;
		}
		if (e == lim) {
			bad(&k, NULL, "last segment has no terminator");
			break;
		}
		pos = (size_t)(e - data) + 1;
		s.no = ++no;
		int idok = s.id.n >= 2 && s.id.n <= 3;
		for (size_t i = 0; i < s.id.n && idok; i++)
			idok = isupper((unsigned char)p[i]) || isdigit((unsigned char)p[i]);
		s.key = idok ? seg_key(p, s.id.n) : 0;
		if (!idok) {
			s.nel = 0;
			bad(&k, &s, "not a segment id");
			continue;
		}
		if (toomany)
			bad(&k, &s, "too many elements");
		if (e > p && (e[-1] == k.es || e[-1] == k.cs))
			bad(&k, &s, "trailing empty element or component");
		for (int i = 1; i <= s.nel; i++)
			if (s.el[i].n && s.el[i].s[s.el[i].n - 1] == k.cs)
				bad(&k, &s, "trailing empty component");
		if (ctrl)
			bad(&k, &s, "control or non-ASCII character");
		if (is(&s, "IEA"))
			done = 1;
		on_segment(&k, &s);
	}
	if (!done)
		bad(&k, NULL, "no IEA segment");
	if (k.in_gs || k.in_st)
		bad(&k, NULL, "unclosed functional group or transaction");
	if (k.ngs == 0)
		bad(&k, NULL, "no functional group");
	free(k.hls);
	free(k.refs);
	return k.errors ? DC_ERR_BUG : 0;
}
