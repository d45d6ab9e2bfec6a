/*
 * Exact arithmetic of the US coder: time-unit formulas, unit conversion,
 * billing units, NDC quantities and line charges. Pure functions.
 *
 * Why a hand-written 128-bit multiply-divide rather than `unsigned __int128`
 * or long double: the project is C11 (the type is a GCC extension that
 * -pedantic rejects) and binary floating point is banned for money and
 * doses. The schoolbook product and shift-subtract division below are exact
 * and run in constant time (64 iterations).
 */
#include "rulesets/us_coder.h"

#include <stdint.h>
#include <strings.h>

int dc_us_muldiv(int64_t a, int64_t b, int64_t c, int64_t *q, int64_t *r)
{
	if (a < 0 || b < 0 || c <= 0)
		return -1;
#ifdef __SIZEOF_INT128__
	/* the compiler's 128-bit arithmetic where it has it; the loop below elsewhere */
	{
		unsigned __int128 p = (unsigned __int128)(uint64_t)a * (uint64_t)b;
		unsigned __int128 qq = p / (uint64_t)c;
		if (qq > (unsigned __int128)INT64_MAX)
			return -1;
		*q = (int64_t)qq;
		if (r)
			*r = (int64_t)(p % (uint64_t)c);
		return 0;
	}
#endif
	uint64_t ua = (uint64_t)a, ub = (uint64_t)b, uc = (uint64_t)c;
	uint64_t al = ua & 0xffffffffu, ah = ua >> 32, bl = ub & 0xffffffffu, bh = ub >> 32;
	uint64_t ll = al * bl, lh = al * bh, hl = ah * bl, hh = ah * bh;
	uint64_t mid = (ll >> 32) + (lh & 0xffffffffu) + (hl & 0xffffffffu);
	uint64_t lo = (ll & 0xffffffffu) | (mid << 32);
	uint64_t hi = hh + (lh >> 32) + (hl >> 32) + (mid >> 32);
	if (hi >= uc)
		return -1;   /* the quotient would not fit in 64 bits */
	uint64_t rem = hi, quo = 0;
	for (int i = 63; i >= 0; i--) {
		uint64_t carry = rem >> 63;
		rem = (rem << 1) | ((lo >> i) & 1u);
		quo <<= 1;
		if (carry || rem >= uc) {
			rem -= uc;
			quo |= 1u;
		}
	}
	if (quo > (uint64_t)INT64_MAX)
		return -1;
	*q = (int64_t)quo;
	if (r)
		*r = (int64_t)rem;
	return 0;
}

int dc_us_addl_hours(int minutes)
{
	return minutes >= 91 ? (minutes - 31) / 60 : 0;
}

int dc_us_hyd_subseq_units(int minutes)
{
	return minutes >= 31 ? (minutes + 29) / 60 : 0;
}

enum dc_us_unit dc_us_unit_parse(const char *s)
{
	if (!s)
		return DC_US_U_NONE;
	if (!strcasecmp(s, "mcg"))
		return DC_US_U_MCG;
	if (!strcasecmp(s, "mg"))
		return DC_US_U_MG;
	if (!strcasecmp(s, "g"))
		return DC_US_U_G;
	if (!strcasecmp(s, "ml"))
		return DC_US_U_ML;
	if (!strcasecmp(s, "units") || !strcasecmp(s, "unit"))
		return DC_US_U_UNITS;
	if (!strcasecmp(s, "meq"))
		return DC_US_U_MEQ;
	return DC_US_U_NONE;
}

const char *dc_us_unit_name(enum dc_us_unit u)
{
	switch (u) {
	case DC_US_U_MCG: return "mcg";
	case DC_US_U_MG: return "mg";
	case DC_US_U_G: return "g";
	case DC_US_U_ML: return "mL";
	case DC_US_U_UNITS: return "units";
	case DC_US_U_MEQ: return "mEq";
	default: return "";
	}
}

/* power of 1000 of a mass unit relative to mcg, or -1 */
static int mass_exp(enum dc_us_unit u)
{
	return u == DC_US_U_MCG ? 0 : u == DC_US_U_MG ? 1 : u == DC_US_U_G ? 2 : -1;
}

int dc_us_convert(struct dc_dec d, enum dc_us_unit from, enum dc_us_unit to,
		  struct dc_dec *out)
{
	if (from == DC_US_U_NONE || to == DC_US_U_NONE || d.v < 0)
		return -1;
	if (from == to) {
		*out = d;
		return 0;
	}
	int ef = mass_exp(from), et = mass_exp(to);
	if (ef < 0 || et < 0)
		return -1;
	int64_t f = 1;
	for (int k = ef > et ? ef - et : et - ef; k > 0; k--)
		f *= 1000;
	if (ef > et) {
		int64_t q;
		if (dc_us_muldiv(d.v, f, 1, &q, NULL) != 0)
			return -1;
		out->v = q;
	} else {
		out->v = d.v / f + (d.v % f != 0);
	}
	return 0;
}

int64_t dc_us_ceil_units(struct dc_dec amount, struct dc_dec unit)
{
	if (unit.v <= 0 || amount.v < 0)
		return -1;
	return amount.v / unit.v + (amount.v % unit.v != 0);
}

int dc_us_ndc_quantity(int64_t units, struct dc_dec bill_per_pkg, struct dc_dec pkg_size,
		       int unit_is_ml, struct dc_dec *qty)
{
	if (units < 0 || bill_per_pkg.v <= 0)
		return -1;
	/* numerator in 1e-6 of an item (UN) or of a mL (ML) */
	int64_t num;
	if (unit_is_ml) {
		if (pkg_size.v <= 0 || dc_us_muldiv(units, pkg_size.v, 1, &num, NULL) != 0)
			return -1;
	} else if (dc_us_muldiv(units, DC_DEC_SCALE, 1, &num, NULL) != 0) {
		return -1;
	}
	/* thousandths, rounded half up */
	int64_t milli, rem;
	if (dc_us_muldiv(num, 1000, bill_per_pkg.v, &milli, &rem) != 0)
		return -1;
	if (rem >= bill_per_pkg.v - rem)
		milli++;
	if (dc_us_muldiv(milli, DC_DEC_SCALE / 1000, 1, &qty->v, NULL) != 0)
		return -1;
	return 0;
}

int dc_us_line_charge(int64_t unit_cents, struct dc_dec units, int64_t *cents)
{
	int64_t q, r;
	if (dc_us_muldiv(unit_cents, units.v, DC_DEC_SCALE, &q, &r) != 0)
		return -1;
	if (r >= DC_DEC_SCALE - r)
		q++;
	*cents = q;
	return 0;
}
