/* SPDX-License-Identifier: MIT */
/*
 * types.c - the values that ClickHouse 18.16 would store otherwise than
 * sent, by the column's type as DESCRIBE TABLE writes it: integers that
 * do not fit (they wrap), null into a column that is not Nullable (0 or
 * ''), a number too large for a Float (inf), a fraction of a second into
 * DateTime, more than 3 digits of a second into DateTime64(3), a
 * 36-character string that is not a UUID, a label an Enum does not have
 * (refused for the whole request, without its row); through Nullable(T),
 * LowCardinality(T) and Array(T). What the server refuses itself (4.7 or
 * "x" into an integer, a number into String) is left to it.
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
	if (jt == SZ_JNULL) {
		snprintf(why, whysize, "null into %s (not Nullable)", type);
		return -1;
	}
	if (jt == SZ_JNUMBER && (strcmp(type, "Float64") == 0 ||
	    strcmp(type, "Float32") == 0)) {
		double d = sz_json_num(v, n);

		if (d - d != 0) {
			snprintf(why, whysize, "%.*s does not fit in %s",
			    (int)n, v, type);
			return -1;
		}
		return 0;
	}
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
