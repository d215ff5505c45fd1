/* SPDX-License-Identifier: MIT */
/* etime.c - event times from records; see etime.h. */
#include <string.h>
#include <time.h>

#include "core/buf.h"
#include "json/etime.h"
#include "json/json.h"

#define NS 1000000000LL

static int
digits(const char *s, int n, int *v)
{
	*v = 0;
	for (int i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		*v = *v * 10 + (s[i] - '0');
	}
	return 0;
}

static int
leap(int y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

long long
sz_days_from_civil(long long y, int m, int d)
{
	long long era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

void
sz_civil_from_days(long long z, long long *y, int *m, int *d)
{
	long long era, doe, yoe, doy, mp;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y = yoe + era * 400 + (*m <= 2);
}

static int
etime_rfc3339(const char *s, size_t n, int64_t *ns, const char **reason)
{
	static const int mdays[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31,
	    30, 31 };
	int y, mo, d, h, mi, sec, oh = 0, om = 0, sign = 0;
	long long frac = 0, scale = NS / 10;
	size_t i = 19;
	time_t tt;

	*reason = "not an RFC 3339 time (YYYY-MM-DDTHH:MM:SS[.F](Z|+HH:MM))";
	if (n < 20 || s[4] != '-' || s[7] != '-' || s[13] != ':' ||
	    s[16] != ':' || (s[10] != 'T' && s[10] != 't' && s[10] != ' '))
		return -1;
	if (digits(s, 4, &y) || digits(s + 5, 2, &mo) ||
	    digits(s + 8, 2, &d) || digits(s + 11, 2, &h) ||
	    digits(s + 14, 2, &mi) || digits(s + 17, 2, &sec))
		return -1;
	if (i < n && s[i] == '.') {
		size_t f0 = ++i;

		for (; i < n && s[i] >= '0' && s[i] <= '9'; i++) {
			frac += (s[i] - '0') * scale;
			scale /= 10;
		}
		if (i == f0)
			return -1;
	}
	if (i < n && (s[i] == 'Z' || s[i] == 'z'))
		i++;
	else if (i < n && (s[i] == '+' || s[i] == '-')) {
		sign = s[i] == '-' ? -1 : 1;
		if (n - i < 6 || s[i + 3] != ':' || digits(s + i + 1, 2, &oh) ||
		    digits(s + i + 4, 2, &om))
			return -1;
		i += 6;
	} else
		return -1;
	if (i != n)
		return -1;
	*reason = "invalid date or time in an RFC 3339 time";
	if (mo < 1 || mo > 12 || d < 1 ||
	    d > mdays[mo - 1] + (mo == 2 && leap(y)) || h > 23 || mi > 59 ||
	    sec > 60 || oh > 23 || om > 59)
		return -1;
	tt = (time_t)(sz_days_from_civil(y, mo, d) * 86400 + h * 3600 +
	    mi * 60 + sec);
	tt -= (time_t)sign * (oh * 3600 + om * 60);
	/* The whole range of int64_t nanoseconds, to its last one:
	 * 1677-09-21T00:12:43.145224192Z to 2262-04-11T23:47:16.854775807Z
	 * (frac is 0 to NS - 1). */
	*reason = "time out of range (1677 to 2262)";
	if ((long long)tt > INT64_MAX / NS ||
	    ((long long)tt == INT64_MAX / NS && frac > INT64_MAX % NS) ||
	    (long long)tt < INT64_MIN / NS - 1 ||
	    ((long long)tt == INT64_MIN / NS - 1 &&
	    frac < NS + INT64_MIN % NS))
		return -1;
	*ns = (long long)tt < 0 ? ((int64_t)tt + 1) * NS + (frac - NS) :
	    (int64_t)tt * NS + frac;
	return 0;
}

/* Seconds (scale 9) or milliseconds (scale 6) from a JSON number's
 * digits, exactly, truncated toward zero at the nanosecond. */
static int
number(const char *s, size_t n, int64_t *ns, const char **reason)
{
	const char *p = s, *e = s + n, *ip, *fp = NULL;
	size_t ni = 0, nf = 0;
	long long ex = 0, x;
	int neg = 0, exneg = 0;
	unsigned long long acc = 0, lim;
	double v = sz_json_num(s, n);

	*reason = "time out of range (1677 to 2262)";
	if (*p == '-') {
		neg = 1;
		p++;
	}
	/* |ns| at most 2^63 - 1, or 2^63 for a negative time */
	lim = (unsigned long long)INT64_MAX + (unsigned long long)neg;
	ip = p;
	while (p < e && *p >= '0' && *p <= '9')
		p++, ni++;
	if (p < e && *p == '.') {
		fp = ++p;
		while (p < e && *p >= '0' && *p <= '9')
			p++, nf++;
	}
	if (p < e && (*p == 'e' || *p == 'E')) {
		p++;
		if (*p == '+' || *p == '-')
			exneg = *p++ == '-';
		for (; p < e; p++) {
			if (ex < 100000)
				ex = ex * 10 + (*p - '0');
		}
		if (exneg)
			ex = -ex;
	}
	/* value = DIGITS * 10^x, DIGITS the integer and fraction digits */
	x = ex - (long long)nf + (v >= 1e11 ? 6 : 9);
	for (size_t k = 0; k < ni + nf; k++) {
		int dgt = k < ni ? ip[k] - '0' : fp[k - ni] - '0';

		if ((long long)(ni + nf - k) + x <= 0)
			break;	/* below a nanosecond: truncated */
		if (acc > lim / 10)
			return -1;
		acc = acc * 10 + (unsigned)dgt;
		if (acc > lim)
			return -1;
	}
	for (; x > 0 && acc != 0; x--) {
		if (acc > lim / 10)
			return -1;
		acc *= 10;
	}
	if (acc > lim)
		return -1;
	/* -acc without overflow, INT64_MIN included */
	*ns = neg && acc > 0 ? -(int64_t)(acc - 1) - 1 : (int64_t)acc;
	return 0;
}

int
sz_etime_parse(const char *v, size_t n, int64_t *ns, const char **reason)
{
	sz_json_trim(&v, &n);
	if (n > 0 && v[0] == '"') {
		sz_buf b = SZ_BUF_INIT;
		int rc;

		if (memchr(v, '\\', n) == NULL)
			return etime_rfc3339(v + 1, n - 2, ns, reason);
		b.cap = 64;	/* longer is no RFC 3339 time */
		if (sz_json_unescape(v, n, &b) < 0) {
			*reason = "not an RFC 3339 time";
			rc = -1;
		} else
			rc = etime_rfc3339(b.p, b.len, ns, reason);
		sz_buf_free(&b);
		return rc;
	}
	if (n > 0 && (v[0] == '-' || (v[0] >= '0' && v[0] <= '9')))
		return number(v, n, ns, reason);
	*reason = "not a time (an RFC 3339 string or a number)";
	return -1;
}

int
sz_etime_rfc3339(const char *v, size_t n, int64_t *ns, const char **reason)
{
	sz_json_trim(&v, &n);
	if (n == 0 || v[0] != '"') {
		*reason = "not an RFC 3339 time";
		return -1;
	}
	return sz_etime_parse(v, n, ns, reason);
}
