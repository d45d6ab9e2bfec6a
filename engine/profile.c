#include "engine/profile.h"
#include "engine/dc_status.h"
#include "engine/value.h"

#include <ctype.h>
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

/*
 * The keys of a profile file. Each names the field it fills, its bounds in
 * characters (the X12 minimum/maximum of the element it becomes) and how its
 * value is checked. Offsets keep the table and the struct in step.
 */
enum chk { C_TEXT, C_ID, C_QUAL, C_DIGITS, C_NPI, C_EIN, C_ZIP9, C_STATE, C_PHONE,
	   C_EMAIL, C_SEP, C_BOOL, C_USAGE };

struct key {
	const char *name;
	size_t off, size;      /* field in struct dc_profile */
	int min, max;          /* length bounds of the value (strings) */
	enum chk chk;
	int required;
};

#define F(m) offsetof(struct dc_profile, m), sizeof(((struct dc_profile *)0)->m)
#define C(m) offsetof(struct dc_profile, m), 1

static const struct key keys[] = {
	{ "submitter_name", F(submitter_name), 1, 60, C_TEXT, 1 },
	{ "submitter_id", F(submitter_id), 2, 80, C_ID, 1 },
	{ "submitter_contact_name", F(contact_name), 1, 60, C_TEXT, 1 },
	{ "submitter_contact_phone", F(contact_phone), 1, 80, C_PHONE, 0 },
	{ "submitter_contact_email", F(contact_email), 3, 80, C_EMAIL, 0 },
	{ "receiver_name", F(receiver_name), 1, 60, C_TEXT, 1 },
	{ "receiver_id", F(receiver_id), 2, 80, C_ID, 1 },
	{ "isa_sender_qualifier", F(isa_sender_qual), 2, 2, C_QUAL, 0 },
	{ "isa_sender_id", F(isa_sender_id), 1, 15, C_ID, 0 },
	{ "isa_receiver_qualifier", F(isa_receiver_qual), 2, 2, C_QUAL, 0 },
	{ "isa_receiver_id", F(isa_receiver_id), 1, 15, C_ID, 0 },
	{ "gs_sender_code", F(gs_sender), 2, 15, C_ID, 0 },
	{ "gs_receiver_code", F(gs_receiver), 2, 15, C_ID, 0 },
	{ "billing_provider_name", F(billing_name), 1, 60, C_TEXT, 1 },
	{ "billing_provider_npi", F(billing_npi), 10, 10, C_NPI, 1 },
	{ "billing_provider_ein", F(billing_ein), 1, 12, C_EIN, 1 },
	{ "billing_provider_taxonomy", F(billing_taxonomy), 10, 10, C_ID, 0 },
	{ "billing_provider_address", F(billing_address), 1, 55, C_TEXT, 1 },
	{ "billing_provider_city", F(billing_city), 2, 30, C_TEXT, 1 },
	{ "billing_provider_state", F(billing_state), 2, 2, C_STATE, 1 },
	{ "billing_provider_zip", F(billing_zip), 1, 12, C_ZIP9, 1 },
	{ "element_separator", C(elem_sep), 1, 1, C_SEP, 0 },
	{ "component_separator", C(comp_sep), 1, 1, C_SEP, 0 },
	{ "repetition_separator", C(rep_sep), 1, 1, C_SEP, 0 },
	{ "segment_terminator", C(seg_term), 1, 1, C_SEP, 0 },
	{ "line_per_segment", C(line_per_segment), 2, 3, C_BOOL, 0 },
	{ "usage", C(production), 4, 10, C_USAGE, 0 },
};
#define NKEYS (sizeof keys / sizeof *keys)

static void make_key(struct dc_profile *p)
{
	snprintf(p->key, sizeof p->key, "%s:%s>%s:%s", p->isa_sender_qual, p->isa_sender_id,
		 p->isa_receiver_qual, p->isa_receiver_id);
}

void dc_profile_release(struct dc_profile *p)
{
	memset(p, 0, sizeof *p);
}

const char *dc_profile_key(const struct dc_profile *p)
{
	return p->key;
}

static void set_str(char *dst, size_t n, const char *s)
{
	snprintf(dst, n, "%s", s);
}

void dc_profile_demo(struct dc_profile *p)
{
	memset(p, 0, sizeof *p);
	p->demo = 1;
	set_str(p->submitter_name, sizeof p->submitter_name, "DRIPCODE DEMO SUBMITTER");
	set_str(p->submitter_id, sizeof p->submitter_id, "DEMOSUBMITTER");
	set_str(p->contact_name, sizeof p->contact_name, "DEMO CONTACT");
	set_str(p->contact_phone, sizeof p->contact_phone, "5555550100");
	set_str(p->receiver_name, sizeof p->receiver_name, "DRIPCODE DEMO RECEIVER");
	set_str(p->receiver_id, sizeof p->receiver_id, "DEMORECEIVER");
	set_str(p->isa_sender_qual, sizeof p->isa_sender_qual, "ZZ");
	set_str(p->isa_sender_id, sizeof p->isa_sender_id, "DEMOSUBMITTER");
	set_str(p->isa_receiver_qual, sizeof p->isa_receiver_qual, "ZZ");
	set_str(p->isa_receiver_id, sizeof p->isa_receiver_id, "DEMORECEIVER");
	set_str(p->gs_sender, sizeof p->gs_sender, "DEMOSUBMITTER");
	set_str(p->gs_receiver, sizeof p->gs_receiver, "DEMORECEIVER");
	set_str(p->billing_name, sizeof p->billing_name, "DRIPCODE DEMO INFUSION CENTER");
	/* passes the NPI Luhn check; not a real provider */
	set_str(p->billing_npi, sizeof p->billing_npi, "1999999992");
	set_str(p->billing_ein, sizeof p->billing_ein, "990000001");
	set_str(p->billing_address, sizeof p->billing_address, "1 DEMO WAY");
	set_str(p->billing_city, sizeof p->billing_city, "SPRINGFIELD");
	set_str(p->billing_state, sizeof p->billing_state, "IL");
	set_str(p->billing_zip, sizeof p->billing_zip, "627010001");
	p->elem_sep = '*';
	p->comp_sep = ':';
	p->rep_sep = '^';
	p->seg_term = '~';
	p->line_per_segment = 1;
	p->production = 0;    /* never production: the demo must not reach a payer */
	make_key(p);
}

/* ---- loading ---- */

struct loader {
	const char *path;
	struct dc_diag_sink *ds;
	int errors;
};

static void err(struct loader *L, unsigned long line, const char *fmt, const char *k,
		const char *v)
{
	dc_diag_report(L->ds, DC_SEV_ERROR, DC_ERR_USAGE, L->path, line, fmt, k, v);
	L->errors++;
}

static char *trim(char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	size_t n = strlen(s);
	while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r' || s[n - 1] == '\n'))
		s[--n] = '\0';
	return s;
}

static int all_digits(const char *s)
{
	if (!*s)
		return 0;
	for (; *s; s++)
		if (!isdigit((unsigned char)*s))
			return 0;
	return 1;
}

/* Copies |v| without hyphens (EIN 12-3456789, ZIP 62701-0001). */
static void strip_hyphens(char *dst, size_t n, const char *v)
{
	size_t j = 0;
	for (; *v && j + 1 < n; v++)
		if (*v != '-')
			dst[j++] = *v;
	dst[j] = '\0';
}

/* X12 basic and extended character set minus control characters. */
static int printable(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || (unsigned char)*s > 0x7e)
			return 0;
	return 1;
}

static void set_value(struct loader *L, struct dc_profile *p, const struct key *k,
		      const char *v, unsigned long line)
{
	char *field = (char *)p + k->off;
	size_t len = strlen(v);
	char tmp[128];
	if (k->chk == C_SEP) {
		/* one printable, non-alphanumeric, non-blank character */
		if (len != 1 || isalnum((unsigned char)v[0]) || v[0] == ' ' || !printable(v)) {
			err(L, line, "%s must be one punctuation character '%s'", k->name, v);
			return;
		}
		*field = v[0];
		return;
	}
	if (k->chk == C_BOOL) {
		if (!strcmp(v, "yes"))
			*(int *)(void *)field = 1;
		else if (!strcmp(v, "no"))
			*(int *)(void *)field = 0;
		else
			err(L, line, "%s must be yes or no '%s'", k->name, v);
		return;
	}
	if (k->chk == C_USAGE) {
		if (!strcmp(v, "production"))
			*(int *)(void *)field = 1;
		else if (!strcmp(v, "test"))
			*(int *)(void *)field = 0;
		else
			err(L, line, "%s must be test or production '%s'", k->name, v);
		return;
	}
	if (!printable(v)) {
		err(L, line, "%s has a control or non-ASCII character '%s'", k->name, v);
		return;
	}
	if ((int)len < k->min || (int)len > k->max) {
		char what[96];
		snprintf(what, sizeof what, "%%s must have %d to %d characters '%%s'", k->min,
			 k->max);
		err(L, line, what, k->name, v);
		return;
	}
	switch (k->chk) {
	case C_NPI:
		if (!dc_npi_valid(v)) {
			err(L, line, "%s is not a valid NPI (10 digits, Luhn check) '%s'", k->name, v);
			return;
		}
		break;
	case C_EIN:
		strip_hyphens(tmp, sizeof tmp, v);
		if (strlen(tmp) != 9 || !all_digits(tmp)) {
			err(L, line, "%s must be 9 digits (12-3456789) '%s'", k->name, v);
			return;
		}
		v = tmp;
		break;
	case C_ZIP9:
		strip_hyphens(tmp, sizeof tmp, v);
		if (strlen(tmp) != 9 || !all_digits(tmp)) {
			err(L, line, "%s must be a nine-digit ZIP code (ZIP+4) '%s'", k->name, v);
			return;
		}
		v = tmp;
		break;
	case C_STATE:
		if (!isupper((unsigned char)v[0]) || !isupper((unsigned char)v[1])) {
			err(L, line, "%s must be two capital letters '%s'", k->name, v);
			return;
		}
		break;
	case C_QUAL:
		if (!isalnum((unsigned char)v[0]) || !isalnum((unsigned char)v[1])) {
			err(L, line, "%s must be a two-character qualifier '%s'", k->name, v);
			return;
		}
		break;
	case C_PHONE: {
		/* keep the digits: "(555) 555-0100" becomes 5555550100 */
		size_t j = 0;
		for (const char *s = v; *s && j + 1 < sizeof tmp; s++)
			if (isdigit((unsigned char)*s))
				tmp[j++] = *s;
			else if (!strchr(" ()-.+", *s)) {
				err(L, line, "%s must be a telephone number '%s'", k->name, v);
				return;
			}
		tmp[j] = '\0';
		if (j < 10) {
			err(L, line, "%s must have at least 10 digits '%s'", k->name, v);
			return;
		}
		v = tmp;
		break;
	}
	case C_EMAIL:
		if (!strchr(v, '@') || strchr(v, ' ')) {
			err(L, line, "%s is not an email address '%s'", k->name, v);
			return;
		}
		break;
	case C_ID:
		if (strchr(v, ' ') && k->max == 15) {
			/* ISA06/ISA08 and GS02/GS03 are padded or compared blank-trimmed:
			 * an inner blank is almost certainly a typo */
			err(L, line, "%s must not contain a blank '%s'", k->name, v);
			return;
		}
		break;
	default:
		break;
	}
	set_str(field, k->size, v);
}

/* A separator inside a value would break the interchange: checked once all
 * separators are known. */
static void check_separators(struct loader *L, struct dc_profile *p,
			     const unsigned long *lines)
{
	const char seps[4] = { p->elem_sep, p->comp_sep, p->rep_sep, p->seg_term };
	const char *names[4] = { "element_separator", "component_separator",
				 "repetition_separator", "segment_terminator" };
	for (int i = 0; i < 4; i++)
		for (int j = i + 1; j < 4; j++)
			if (seps[i] == seps[j]) {
				char v[2] = { seps[i], '\0' };
				char what[128];
				snprintf(what, sizeof what, "%%s and %s are the same character '%%s'",
					 names[j]);
				err(L, 0, what, names[i], v);
			}
	for (size_t k = 0; k < NKEYS; k++) {
		if (keys[k].chk == C_SEP || keys[k].chk == C_BOOL || keys[k].chk == C_USAGE)
			continue;
		const char *v = (const char *)p + keys[k].off;
		for (int i = 0; i < 4; i++)
			if (strchr(v, seps[i])) {
				char what[128];
				snprintf(what, sizeof what, "%%s contains the %s '%%s'", names[i]);
				err(L, lines[k], what, keys[k].name, v);
				break;
			}
	}
}

int dc_profile_load(struct dc_profile *p, const char *path, struct dc_diag_sink *ds)
{
	struct loader L = { path, ds, 0 };
	memset(p, 0, sizeof *p);
	p->elem_sep = '*';
	p->comp_sep = ':';
	p->rep_sep = '^';
	p->seg_term = '~';
	p->line_per_segment = 1;
	FILE *f = fopen(path, "r");
	if (!f) {
		dc_diag_syserr(ds, DC_ERR_USAGE, path, errno, "cannot open profile");
		return DC_ERR_USAGE;
	}
	unsigned long seen_line[NKEYS] = { 0 };
	char line[1024];
	unsigned long lineno = 0;
	while (fgets(line, sizeof line, f)) {
		lineno++;
		size_t n = strlen(line);
		if (n == sizeof line - 1 && line[n - 1] != '\n') {
			err(&L, lineno, "line too long%s%s", "", "");
			int c;
			while ((c = fgetc(f)) != EOF && c != '\n')
				;
			continue;
		}
		char *s = trim(line);
		if (lineno == 1 && (unsigned char)s[0] == 0xEF && (unsigned char)s[1] == 0xBB &&
		    (unsigned char)s[2] == 0xBF)
			s += 3;     /* UTF-8 byte-order mark */
		if (!*s || *s == '#')
			continue;
		char *eq = strchr(s, '=');
		if (!eq) {
			err(&L, lineno, "expected key = value%s '%s'", "", s);
			continue;
		}
		*eq = '\0';
		char *k = trim(s), *v = trim(eq + 1);
		size_t i = 0;
		while (i < NKEYS && strcmp(keys[i].name, k))
			i++;
		if (i == NKEYS) {
			err(&L, lineno, "unknown profile key%s '%s'", "", k);
			continue;
		}
		if (seen_line[i]) {
			char first[24];
			snprintf(first, sizeof first, "%lu", seen_line[i]);
			err(&L, lineno, "%s set twice, first on line '%s'", k, first);
			continue;
		}
		seen_line[i] = lineno;
		set_value(&L, p, &keys[i], v, lineno);
	}
	if (ferror(f)) {
		dc_diag_syserr(ds, DC_ERR_USAGE, path, errno, "cannot read profile");
		L.errors++;
	}
	fclose(f);
	for (size_t i = 0; i < NKEYS; i++)
		if (keys[i].required && !seen_line[i])
			err(&L, 0, "missing profile key%s '%s'", "", keys[i].name);
	size_t kph = 0, kem = 0;
	for (size_t i = 0; i < NKEYS; i++) {
		if (!strcmp(keys[i].name, "submitter_contact_phone"))
			kph = i;
		if (!strcmp(keys[i].name, "submitter_contact_email"))
			kem = i;
	}
	if (!seen_line[kph] && !seen_line[kem])
		err(&L, 0, "missing profile key%s '%s'", "",
		    "submitter_contact_phone or submitter_contact_email");
	/* ISA and GS identities default to the submitter and receiver ids */
	if (!p->isa_sender_qual[0])
		set_str(p->isa_sender_qual, sizeof p->isa_sender_qual, "ZZ");
	if (!p->isa_receiver_qual[0])
		set_str(p->isa_receiver_qual, sizeof p->isa_receiver_qual, "ZZ");
	struct { char *dst; size_t n; const char *src; const char *key; } dflt[] = {
		{ p->isa_sender_id, sizeof p->isa_sender_id, p->submitter_id, "isa_sender_id" },
		{ p->isa_receiver_id, sizeof p->isa_receiver_id, p->receiver_id, "isa_receiver_id" },
		{ p->gs_sender, sizeof p->gs_sender, p->submitter_id, "gs_sender_code" },
		{ p->gs_receiver, sizeof p->gs_receiver, p->receiver_id, "gs_receiver_code" },
	};
	for (size_t i = 0; i < sizeof dflt / sizeof *dflt; i++) {
		if (dflt[i].dst[0] || !dflt[i].src[0])
			continue;
		if (strlen(dflt[i].src) >= dflt[i].n || strchr(dflt[i].src, ' '))
			err(&L, 0, "%s needed: the default (the id) is longer than 15 characters "
			    "or has a blank '%s'", dflt[i].key, dflt[i].src);
		else
			set_str(dflt[i].dst, dflt[i].n, dflt[i].src);
	}
	check_separators(&L, p, seen_line);
	if (L.errors) {
		memset(p, 0, sizeof *p);
		return DC_ERR_USAGE;
	}
	make_key(p);
	return DC_OK;
}
