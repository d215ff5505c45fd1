/* SPDX-License-Identifier: MIT */
/*
 * types.c - the values that ClickHouse 18.16 would store otherwise than
 * sent, by the column's type as DESCRIBE TABLE writes it: integers that
 * do not fit (they wrap), null into a column that is not Nullable (0 or
 * ''), a number too large for a Float (inf), a fraction of a second into
 * DateTime, more than 3 digits of a second into DateTime64(3), a
 * 36-character string that is not a UUID, a label an Enum does not have
 * (refused for the whole request, without its row); a number with more
 * digits than a Decimal(P, S) has before or after its point (refused,
 * Code 69, without the row), a string that is not exactly N bytes into
 * FixedString(N) (a shorter one is padded with NUL bytes), a Date that
 * is not a day of the calendar from 1970-01-01 to 2105-12-31 in the form
 * YYYY-MM-DD (before or after: 0000-00-00; 2020-02-30: 2020-03-01;
 * "202-01-05": 2017-01-05), a number outside Float32's range (inf) or
 * too small for it (0); through Nullable(T), LowCardinality(T) and
 * Array(T). What the server refuses itself (4.7 or "x" into an integer,
 * a number into String or Date) is left to it.
 */
#include <stdio.h>
#include <string.h>

#include "ch.h"
#include "json/json.h"
#include "json/str.h"

static int
int_check(const char *t, const char *v, size_t n, char *why, size_t ws)
{
	static const struct { const char *t; long double lo, hi; } r[] = {
		{ "Int8", -128.0L, 127.0L }, { "Int16", -32768.0L, 32767.0L },
		{ "Int32", -2147483648.0L, 2147483647.0L },
		{ "Int64", -9223372036854775808.0L, 9223372036854775807.0L },
		{ "UInt8", 0, 255.0L }, { "UInt16", 0, 65535.0L },
		{ "UInt32", 0, 4294967295.0L },
		{ "UInt64", 0, 18446744073709551615.0L },
	};
	size_t i;

	for (i = 0; i < sizeof(r) / sizeof(r[0]); i++) {
		int64_t x;
		int k;

		if (strcmp(t, r[i].t) != 0)
			continue;
		if (sz_json_type(v, v + n) != SZ_JNUMBER)
			return 0;
		k = sz_json_num_int64(v, n, &x);
		if (k == SZ_NUM_FRACTION)
			return 0;	/* refused by the server (27) */
		if (k == SZ_NUM_INT && (long double)x >= r[i].lo &&
		    (long double)x <= r[i].hi)
			return 0;
		if (k == SZ_NUM_RANGE && strcmp(t, "UInt64") == 0 &&
		    v[0] != '-' && sz_json_num_cmp(v, n,
		    "18446744073709551615", 20) <= 0)
			return 0;
		snprintf(why, ws, "%.*s does not fit in %s", (int)n, v, t);
		return -1;
	}
	return 0;
}

/* The number v[0..n) is d * 10^q with d an integer of nd digits, no
 * leading or trailing zeros (nd 0: the number is 0); q saturates. */
static void
num_digits(const char *v, size_t n, long *nd, long *q)
{
	const char *p = v, *e = v + n;
	long k = 0, ip = -1, kf = -1, kl = -1, ex = 0;
	int neg = 0;

	if (p < e && *p == '-')
		p++;
	for (; p < e && ((*p >= '0' && *p <= '9') || *p == '.'); p++) {
		if (*p == '.') {
			ip = k;
			continue;
		}
		if (*p != '0') {
			if (kf < 0)
				kf = k;
			kl = k;
		}
		k++;
	}
	if (ip < 0)
		ip = k;
	if (p < e && (*p == 'e' || *p == 'E')) {
		p++;
		if (p < e && (*p == '+' || *p == '-'))
			neg = *p++ == '-';
		for (; p < e && *p >= '0' && *p <= '9'; p++)
			if (ex < 1000000)
				ex = ex * 10 + (*p - '0');
		if (neg)
			ex = -ex;
	}
	*nd = kf < 0 ? 0 : kl - kf + 1;
	*q = kf < 0 ? 0 : ip - 1 - kl + ex;	/* the place of the last */
}

/* Decimal(P, S): more than P - S digits before the point or S after. */
static int
decimal_check(const char *t, const char *v, size_t n, char *why, size_t ws)
{
	unsigned p = 0, s = 0;
	long nd, q, before, after;
	int k = 0;

	if (sscanf(t, "Decimal(%u, %u)%n", &p, &s, &k) != 2 || t[k] != '\0') {
		k = 0;
		if (sscanf(t, "Decimal32(%u)%n", &s, &k) == 1 && t[k] == '\0')
			p = 9;
		else if (sscanf(t, "Decimal64(%u)%n", &s, &k) == 1 &&
		    t[k] == '\0')
			p = 18;
		else if (sscanf(t, "Decimal128(%u)%n", &s, &k) == 1 &&
		    t[k] == '\0')
			p = 38;
		else
			return 0;
	}
	if (s > p)
		return 0;
	num_digits(v, n, &nd, &q);
	if (nd == 0)
		return 0;
	before = nd + q > 0 ? nd + q : 0;
	after = q < 0 ? -q : 0;
	if (after > (long)s) {
		snprintf(why, ws, "%.*s does not fit in %s: more than %u "
		    "digits after the point", (int)n, v, t, s);
		return -1;
	}
	if (before > (long)(p - s)) {
		snprintf(why, ws, "%.*s does not fit in %s: more than %u "
		    "digits before the point", (int)n, v, t, p - s);
		return -1;
	}
	return 0;
}

/* FixedString(N): a string of exactly N bytes (shorter ones are padded
 * with NUL bytes, longer ones refused). */
static int
fixed_check(const char *t, const char *v, size_t n, char *why, size_t ws)
{
	unsigned len = 0;
	sz_buf s = SZ_BUF_INIT;
	int k = 0, r = 0;

	if (sscanf(t, "FixedString(%u)%n", &len, &k) != 1 || t[k] != '\0')
		return 0;
	/* the bytes the server stores: raw bytes as they are */
	if (sz_json_unescape_bytes(v, n, &s) < 0)
		return 0;	/* out of memory: leave it to the server */
	if (s.len != len) {
		snprintf(why, ws, "%.*s is %zu bytes, %s %s", (int)n, v, s.len,
		    s.len < len ? "shorter than" : "longer than", t);
		r = -1;
	}
	sz_buf_free(&s);
	return r;
}

static int
sep(char c)
{
	return !(c >= '0' && c <= '9') && c != '\\' && c != '"';
}

static int
leap(unsigned y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

/* Date: "YYYY-MM-DD" (a month or day of one digit too, any one byte
 * that is not a digit between them, as the server reads it), a day of the
 * calendar from 1970-01-01 to 2105-12-31, or 0000-00-00 (the zero date,
 * what 1970-01-01 reads back as). */
static int
date_check(const char *v, size_t n, char *why, size_t ws)
{
	static const unsigned mdays[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30,
	    31, 30, 31 };
	const char *p = v + 1, *e = v + n - 1;
	unsigned y = 0, m = 0, d = 0;
	int i, nm = 0, nday = 0;

	for (i = 0; i < 4 && p < e && *p >= '0' && *p <= '9'; i++, p++)
		y = y * 10 + (unsigned)(*p - '0');
	if (i < 4 || p >= e || !sep(*p++))
		goto form;
	for (; nm < 2 && p < e && *p >= '0' && *p <= '9'; nm++, p++)
		m = m * 10 + (unsigned)(*p - '0');
	if (nm == 0 || p >= e || !sep(*p++))
		goto form;
	for (; nday < 2 && p < e && *p >= '0' && *p <= '9'; nday++, p++)
		d = d * 10 + (unsigned)(*p - '0');
	if (nday == 0 || p != e)
		goto form;
	if (y == 0 && m == 0 && d == 0)
		return 0;
	if (m < 1 || m > 12 || d < 1 || d > mdays[m - 1] + (m == 2 &&
	    leap(y))) {
		snprintf(why, ws, "%.*s is not a day of the calendar", (int)n,
		    v);
		return -1;
	}
	if (y < 1970 || y > 2105) {
		snprintf(why, ws, "%.*s is outside Date's range (1970-01-01 to "
		    "2105-12-31)", (int)n, v);
		return -1;
	}
	return 0;
form:
	snprintf(why, ws, "%.*s is not a date (YYYY-MM-DD)", (int)n, v);
	return -1;
}

/* A number of a Float column: inf (too large) or 0 (too small, a digit
 * of its mantissa not 0) is not what was sent. */
static int
float_check(const char *t, const char *v, size_t n, char *why, size_t ws)
{
	int f32 = strcmp(t, "Float32") == 0;
	double d = sz_json_num(v, n), a = d < 0 ? -d : d;
	long nd, q;

	if (d - d != 0 || (f32 && a >= 0x1.ffffffp+127)) {
		snprintf(why, ws, "%.*s does not fit in %s", (int)n, v, t);
		return -1;
	}
	if (f32 ? a <= 0x1p-150 : d == 0) {
		num_digits(v, n, &nd, &q);
		if (nd > 0) {
			snprintf(why, ws, "%.*s is too small for %s (it would "
			    "be 0)", (int)n, v, t);
			return -1;
		}
	}
	return 0;
}

/* type is W(inner): inner into buf (0), else -1. */
static int
unwrap(const char *type, const char *w, char *buf, size_t bs)
{
	size_t wl = strlen(w), k;

	if (strncmp(type, w, wl) != 0)
		return -1;
	k = strlen(type + wl);
	if (k == 0 || type[wl + k - 1] != ')' || k > bs)
		return -1;
	memcpy(buf, type + wl, k - 1);
	buf[k - 1] = '\0';
	return 0;
}

/* Is the JSON string v[0..n) one of the labels of Enum8('a' = 1, ...)? */
static int
enum_has(const char *labels, const char *v, size_t n)
{
	sz_buf s = SZ_BUF_INIT, l = SZ_BUF_INIT;
	const char *p = labels;
	int found = 0;

	if (sz_json_unescape(v, n, &s) < 0)
		return 1;	/* out of memory: leave it to the server */
	while (!found && (p = strchr(p, '\'')) != NULL) {
		sz_buf_reset(&l);
		for (p++; *p && *p != '\''; p++) {
			if (*p == '\\' && p[1])
				p++;
			if (sz_buf_addc(&l, *p) < 0) {
				found = 1;
				break;
			}
		}
		if (*p)
			p++;
		if (l.len == s.len && (l.len == 0 || memcmp(l.p, s.p,
		    l.len) == 0))
			found = 1;
		/* skip " = N, " to the next label */
		while (*p && *p != ',' && *p != ')')
			p++;
	}
	sz_buf_free(&s);
	sz_buf_free(&l);
	return found;
}

int
ch_value_check(const char *type, const char *v, size_t n, char *why,
    size_t whysize)
{
	sz_jtype jt = sz_json_type(v, v + n);
	char inner[512];

	/* the common cases first, without looking further (one value of
	 * every column of every record comes here) */
	if (strcmp(type, "String") == 0) {
		if (jt != SZ_JNULL)
			return 0;
		snprintf(why, whysize, "null into %s (not Nullable)", type);
		return -1;
	}
	if (jt == SZ_JNUMBER && (type[0] == 'I' || type[0] == 'U') &&
	    strncmp(type, "UUID", 4) != 0)
		return int_check(type, v, n, why, whysize);
	if (type[0] != 'L' && type[0] != 'N' && type[0] != 'A')
		goto plain;
	if (unwrap(type, "LowCardinality(", inner, sizeof(inner)) == 0)
		return ch_value_check(inner, v, n, why, whysize);
	if (unwrap(type, "Nullable(", inner, sizeof(inner)) == 0) {
		if (jt == SZ_JNULL)
			return 0;
		return ch_value_check(inner, v, n, why, whysize);
	}
	if (unwrap(type, "Array(", inner, sizeof(inner)) == 0) {
		const char *p = v + 1, *e = v + n, *q;

		if (jt != SZ_JARRAY)
			return jt == SZ_JNULL ? (snprintf(why, whysize,
			    "null into %s (not Nullable)", type), -1) : 0;
		for (p = sz_json_ws(p, e); p < e && *p != ']';) {
			q = sz_json_skip(p, e);
			if (q == NULL || q <= p)
				return 0;
			if (ch_value_check(inner, p, (size_t)(q - p), why,
			    whysize) < 0)
				return -1;
			p = sz_json_ws(q, e);
			if (p < e && *p == ',')
				p = sz_json_ws(p + 1, e);
		}
		return 0;
	}
plain:
	if (jt == SZ_JNULL) {
		snprintf(why, whysize, "null into %s (not Nullable)", type);
		return -1;
	}
	if (jt == SZ_JNUMBER && (strcmp(type, "Float64") == 0 ||
	    strcmp(type, "Float32") == 0))
		return float_check(type, v, n, why, whysize);
	if (jt == SZ_JNUMBER && strncmp(type, "Decimal", 7) == 0)
		return decimal_check(type, v, n, why, whysize);
	if (jt == SZ_JSTRING && strncmp(type, "FixedString(", 12) == 0)
		return fixed_check(type, v, n, why, whysize);
	if (jt == SZ_JSTRING && strcmp(type, "Date") == 0)
		return date_check(v, n, why, whysize);
	if (strcmp(type, "DateTime") == 0 && jt == SZ_JSTRING &&
	    memchr(v, '.', n) != NULL) {
		snprintf(why, whysize, "%.*s: a fraction of a second into "
		    "DateTime", (int)n, v);
		return -1;
	}
	if (strcmp(type, "DateTime64(3)") == 0 && jt == SZ_JSTRING) {
		const char *dot = memchr(v, '.', n);
		size_t k = 0;

		while (dot != NULL && dot + 1 + k < v + n &&
		    dot[1 + k] >= '0' && dot[1 + k] <= '9')
			k++;
		if (k > 3) {
			snprintf(why, whysize, "%.*s: more than milliseconds "
			    "into DateTime64(3)", (int)n, v);
			return -1;
		}
		return 0;
	}
	if ((strncmp(type, "Enum8(", 6) == 0 ||
	    strncmp(type, "Enum16(", 7) == 0) && jt == SZ_JSTRING) {
		if (!enum_has(strchr(type, '('), v, n)) {
			snprintf(why, whysize, "%.*s is not a label of %s",
			    (int)n, v, type);
			return -1;
		}
		return 0;
	}
	if (strcmp(type, "UUID") == 0 && jt == SZ_JSTRING && n == 38) {
		size_t i;

		for (i = 1; i < 37; i++) {
			char c = v[i];
			int dash = i == 9 || i == 14 || i == 19 || i == 24;

			if (dash ? c != '-' : !((c >= '0' && c <= '9') ||
			    ((c | 32) >= 'a' && (c | 32) <= 'f'))) {
				snprintf(why, whysize, "%.*s is not a UUID",
				    (int)n, v);
				return -1;
			}
		}
		return 0;
	}
	return int_check(type, v, n, why, whysize);
}
