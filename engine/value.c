#include "engine/value.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

static int isdig(int c) { return c >= '0' && c <= '9'; }

int dc_dec_parse(const char *s, struct dc_dec *out)
{
	int neg = 0, ndig = 0, nfrac = 0;
	int64_t whole = 0, frac = 0;
	const char *p = s;
	if (*p == '-' || *p == '+')
		neg = *p++ == '-';
	while (isdig(*p)) {
		if (whole > DC_DEC_MAX)
			return -2;
		whole = whole * 10 + (*p++ - '0');
		ndig++;
	}
	if (*p == '.') {
		p++;
		while (isdig(*p)) {
			if (nfrac == 6) {
				if (*p != '0')
					return -2;
			} else {
				frac = frac * 10 + (*p - '0');
				nfrac++;
			}
			p++;
			ndig++;
		}
	}
	if (*p || ndig == 0)
		return -1;
	if (whole > DC_DEC_MAX)
		return -2;
	while (nfrac < 6) {
		frac *= 10;
		nfrac++;
	}
	int64_t v = whole * DC_DEC_SCALE + frac;
	out->v = neg ? -v : v;
	return 0;
}

/* Writes the decimal digits of |v| (>= 0) ending at |end|; returns the start. */
static char *digits_back(uint64_t v, char *end)
{
	do {
		*--end = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	return end;
}

/*
 * Formats by hand rather than with snprintf: it runs for every line of every
 * claim, and printf-style formatting showed in profiles.
 */
char *dc_dec_format(struct dc_dec d, char *buf, size_t n)
{
	char tmp[48], *end = tmp + sizeof tmp, *p = end;
	uint64_t v = d.v < 0 ? (uint64_t)(-(d.v + 1)) + 1 : (uint64_t)d.v;
	uint64_t whole = v / DC_DEC_SCALE, frac = v % DC_DEC_SCALE;
	if (frac) {
		int places = 6;
		while (frac % 10 == 0) {
			frac /= 10;
			places--;
		}
		for (int i = 0; i < places; i++) {
			*--p = (char)('0' + frac % 10);
			frac /= 10;
		}
		*--p = '.';
	}
	p = digits_back(whole, p);
	if (d.v < 0)
		*--p = '-';
	size_t len = (size_t)(end - p);
	if (len >= n)
		len = n - 1;
	memcpy(buf, p, len);
	buf[len] = '\0';
	return buf;
}

int64_t dc_dec_ceil_div(struct dc_dec a, struct dc_dec b)
{
	if (b.v <= 0 || a.v <= 0)
		return 0;
	return (a.v + b.v - 1) / b.v;
}

int dc_money_parse(const char *s, int64_t *cents)
{
	struct dc_dec d;
	int r = dc_dec_parse(s, &d);
	if (r)
		return r;
	if (d.v % (DC_DEC_SCALE / 100))
		return -1;   /* fractions of a cent */
	*cents = d.v / (DC_DEC_SCALE / 100);
	return 0;
}

char *dc_money_format(int64_t cents, char *buf, size_t n)
{
	char tmp[32], *end = tmp + sizeof tmp, *p = end;
	uint64_t v = cents < 0 ? (uint64_t)(-(cents + 1)) + 1 : (uint64_t)cents;
	*--p = (char)('0' + v % 10);
	*--p = (char)('0' + v / 10 % 10);
	*--p = '.';
	p = digits_back(v / 100, p);
	if (cents < 0)
		*--p = '-';
	size_t len = (size_t)(end - p);
	if (len >= n)
		len = n - 1;
	memcpy(buf, p, len);
	buf[len] = '\0';
	return buf;
}

/* H. Hinnant's days_from_civil */
int32_t dc_days_from_civil(int y, int m, int d)
{
	y -= m <= 2;
	int era = (y >= 0 ? y : y - 399) / 400;
	unsigned yoe = (unsigned)(y - era * 400);
	unsigned doy = (unsigned)((153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1);
	unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return (int32_t)(era * 146097 + (int)doe - 719468);
}

void dc_civil_from_days(int32_t z, int *y, int *m, int *d)
{
	z += 719468;
	int era = (z >= 0 ? z : z - 146096) / 146097;
	unsigned doe = (unsigned)(z - era * 146097);
	unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	int yy = (int)yoe + era * 400;
	unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	unsigned mp = (5 * doy + 2) / 153;
	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y = yy + (*m <= 2);
}

static int mdays(int y, int m)
{
	static const int md[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
		return 29;
	return md[m - 1];
}

static int num(const char *s, int n)
{
	int v = 0;
	for (int i = 0; i < n; i++) {
		if (!isdig(s[i]))
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v;
}

/* Parses the date at the start of |s|; returns its length or -1. */
static int date_prefix(const char *s, int32_t *days)
{
	int y, m, d, len;
	if (num(s, 4) >= 0 && s[4] == '-') {
		y = num(s, 4);
		m = num(s + 5, 2);
		d = s[7] == '-' ? num(s + 8, 2) : -1;
		len = 10;
	} else {
		y = num(s, 4);
		m = y >= 0 ? num(s + 4, 2) : -1;
		d = m >= 0 ? num(s + 6, 2) : -1;
		len = 8;
	}
	if (y < 1900 || y > 2100 || m < 1 || m > 12 || d < 1 || d > mdays(y, m))
		return -1;
	*days = dc_days_from_civil(y, m, d);
	return len;
}

int dc_date_parse(const char *s, int32_t *days)
{
	int len = date_prefix(s, days);
	return len > 0 && s[len] == '\0' ? 0 : -1;
}

char *dc_date_format_sep(int32_t days, char sep, char *buf, size_t n)
{
	int y, m, d;
	dc_civil_from_days(days, &y, &m, &d);
	if (n < 11 || y < 0 || y > 9999) {
		if (sep)
			snprintf(buf, n, "%04d%c%02d%c%02d", y, sep, m, sep, d);
		else
			snprintf(buf, n, "%04d%02d%02d", y, m, d);
		return buf;
	}
	/* by hand: dates are formatted for every line written */
	const int v[3] = { y, m, d }, w[3] = { 4, 2, 2 };
	char *o = buf;
	for (int i = 0; i < 3; i++) {
		int x = v[i];
		for (int k = w[i] - 1; k >= 0; k--, x /= 10)
			o[k] = (char)('0' + x % 10);
		o += w[i];
		if (i < 2 && sep)
			*o++ = sep;
	}
	*o = '\0';
	return buf;
}

char *dc_date_format(int32_t days, char *buf, size_t n)
{
	return dc_date_format_sep(days, '-', buf, n);
}

/* HH:MM[:SS] at the start of |s|; returns length or -1. */
static int clock_prefix(const char *s, int *secs)
{
	int h = num(s, 2), mi, sec = 0, len = 5;
	if (h < 0 || s[2] != ':')
		return -1;
	mi = num(s + 3, 2);
	if (mi < 0)
		return -1;
	if (s[5] == ':') {
		sec = num(s + 6, 2);
		if (sec < 0 || sec > 59)
			return -1;
		len = 8;
	}
	if (h > 23 || mi > 59)
		return -1;
	*secs = h * 3600 + mi * 60 + sec;
	return len;
}

int dc_when_parse(const char *s, int32_t service_day, struct dc_when *out)
{
	int secs;
	memset(out, 0, sizeof *out);
	int n = clock_prefix(s, &secs);
	if (n > 0 && s[n] == '\0') {
		out->t = (int64_t)service_day * 86400 + secs;
		out->present = 1;
		out->time_only = 1;
		return 0;
	}
	int32_t days;
	int dl = date_prefix(s, &days);
	if (dl != 10 || (s[dl] != 'T' && s[dl] != ' '))
		return -1;
	const char *p = s + dl + 1;
	n = clock_prefix(p, &secs);
	if (n < 0)
		return -1;
	p += n;
	int64_t t = (int64_t)days * 86400 + secs;
	if (*p == 'Z') {
		p++;
	} else if (*p == '+' || *p == '-') {
		int sign = *p == '-' ? -1 : 1, oh = num(p + 1, 2), om;
		if (oh < 0)
			return -1;
		if (p[3] == ':') {
			om = num(p + 4, 2);
			p += 6;
		} else {
			om = num(p + 3, 2);
			p += 5;
		}
		if (om < 0 || oh > 14 || om > 59)
			return -1;
		t -= sign * (oh * 3600 + om * 60);
	}
	if (*p)
		return -1;
	out->t = t;
	out->present = 1;
	return 0;
}

int dc_npi_valid(const char *s)
{
	int d[10];
	for (int i = 0; i < 10; i++) {
		if (!isdig(s[i]))
			return 0;
		d[i] = s[i] - '0';
	}
	if (s[10])
		return 0;
	/* the 80840 prefix contributes 24 to the Luhn sum */
	int sum = 24;
	for (int i = 8, dbl = 1; i >= 0; i--, dbl = !dbl) {
		int v = d[i];
		if (dbl) {
			v *= 2;
			if (v > 9)
				v -= 9;
		}
		sum += v;
	}
	return (10 - sum % 10) % 10 == d[9];
}

int dc_icd10_form(const char *s)
{
	size_t n = 0;
	const char *p = s;
	char c[8];
	for (; *p; p++) {
		if (*p == '.') {
			if (p - s != 3 || !p[1])
				return 0;
			continue;
		}
		if (n == 7)
			return 0;
		c[n++] = (char)toupper((unsigned char)*p);
	}
	if (n < 3)
		return 0;
	if (!(c[0] >= 'A' && c[0] <= 'Z') || !isdig(c[1]))
		return 0;
	for (size_t i = 2; i < n; i++)
		if (!isdig(c[i]) && !(c[i] >= 'A' && c[i] <= 'Z'))
			return 0;
	return 1;
}

void dc_icd10_strip(const char *s, char out[9])
{
	size_t n = 0;
	for (; *s && n < 8; s++)
		if (*s != '.')
			out[n++] = (char)toupper((unsigned char)*s);
	out[n] = '\0';
}

int dc_ndc_normalise(const char *s, char out[12])
{
	int seg[3] = { 0, 0, 0 }, nseg = 0, len = 0;
	char digits[12];
	for (const char *p = s; *p; p++) {
		if (*p == '-') {
			if (nseg == 2 || seg[nseg] == 0)
				return -1;
			nseg++;
			continue;
		}
		if (!isdig(*p) || len == 11)
			return -1;
		digits[len++] = *p;
		seg[nseg]++;
	}
	if (nseg == 0) {
		if (len != 11)
			return -1;
		memcpy(out, digits, 11);
		out[11] = '\0';
		return 0;
	}
	if (nseg != 2 || seg[2] == 0)
		return -1;
	int pad;   /* which segment gets a leading zero */
	if (seg[0] == 5 && seg[1] == 4 && seg[2] == 2)
		pad = -1;
	else if (seg[0] == 4 && seg[1] == 4 && seg[2] == 2)
		pad = 0;
	else if (seg[0] == 5 && seg[1] == 3 && seg[2] == 2)
		pad = 1;
	else if (seg[0] == 5 && seg[1] == 4 && seg[2] == 1)
		pad = 2;
	else
		return -1;
	int o = 0, k = 0;
	for (int i = 0; i < 3; i++) {
		if (i == pad)
			out[o++] = '0';
		for (int j = 0; j < seg[i]; j++)
			out[o++] = digits[k++];
	}
	out[11] = '\0';
	return 0;
}

int dc_gmc_form(const char *s)
{
	for (int i = 0; i < 7; i++)
		if (!isdig(s[i]))
			return 0;
	return s[7] == '\0';
}

static int isup(int c) { return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z'); }

int dc_nmc_form(const char *s)
{
	return isdig(s[0]) && isdig(s[1]) && isup(s[2]) && isdig(s[3]) && isdig(s[4]) &&
	       isdig(s[5]) && isdig(s[6]) && isup(s[7]) && s[8] == '\0';
}

int dc_ccsd_form(const char *s)
{
	return isup(s[0]) && isdig(s[1]) && isdig(s[2]) && isdig(s[3]) && isdig(s[4]) &&
	       s[5] == '\0';
}

int dc_shard_other(const char *id, int k, int n)
{
	return n > 1 && (int)(dc_fnv1a64(id, strlen(id)) % (uint64_t)n) != k - 1;
}

uint64_t dc_fnv1a64_more(uint64_t h, const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		h ^= (unsigned char)s[i];
		h *= 0x100000001b3ULL;
	}
	return h;
}

uint64_t dc_fnv1a64(const char *s, size_t n)
{
	return dc_fnv1a64_more(DC_FNV1A64_BASIS, s, n);
}
