/* SPDX-License-Identifier: MIT */
/*
 * types.c - a first version of the value checks (chd's types.c replaces
 * it): the values that ClickHouse 18.16 would store otherwise than sent.
 */
#include <stdio.h>
#include <string.h>

#include "ch.h"
#include "json/json.h"

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

int
ch_value_check(const char *type, const char *v, size_t n, char *why,
    size_t whysize)
{
	sz_jtype jt = sz_json_type(v, v + n);

	if (strncmp(type, "Nullable(", 9) == 0) {
		char inner[128];
		size_t k = strlen(type + 9);

		if (jt == SZ_JNULL)
			return 0;
		if (k == 0 || k >= sizeof(inner))
			return 0;
		memcpy(inner, type + 9, k - 1);
		inner[k - 1] = '\0';
		return ch_value_check(inner, v, n, why, whysize);
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
