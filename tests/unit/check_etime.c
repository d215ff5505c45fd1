/* SPDX-License-Identifier: MIT */
/* check_etime.c - unit tests of common/json/etime.c, written as TAP on stdout. */
#include <check.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "json/etime.h"
#include "tap.h"

static const struct {
	const char *json;
	int ok;
	int64_t ns;
} cases[] = {
	{ "\"2024-01-01T00:00:00Z\"", 1, 1704067200000000000LL },
	{ "\"2024-01-01T00:00:00.5Z\"", 1, 1704067200500000000LL },
	{ "\"2024-01-01t00:00:00.123456789999z\"", 1, 1704067200123456789LL },
	{ "\"2024-01-01 01:30:00+01:30\"", 1, 1704067200000000000LL },
	{ "\"2023-12-31T22:00:00.25-02:00\"", 1, 1704067200250000000LL },
	{ "\"2024-02-29T00:00:00Z\"", 1, 1709164800000000000LL },
	{ "\"1970-01-01T00:00:00Z\"", 1, 0 },
	{ "\"1969-12-31T23:59:59.9Z\"", 1, -100000000LL },
	{ "\"2016-12-31T23:59:60Z\"", 1, 1483228800000000000LL },
	{ "\"2024-01-01T00:00:00\\u005a\"", 1, 1704067200000000000LL },
	{ " \"2024-01-01T00:00:00Z\" ", 1, 1704067200000000000LL },
	{ "\"2023-02-29T00:00:00Z\"", 0, 0 },
	{ "\"2024-13-01T00:00:00Z\"", 0, 0 },
	{ "\"2024-01-01T24:00:00Z\"", 0, 0 },
	{ "\"2024-01-01T00:00:00\"", 0, 0 },
	{ "\"2024-01-01T00:00:00.Z\"", 0, 0 },
	{ "\"2024-01-01T00:00:00+0100\"", 0, 0 },
	{ "\"2024-01-01\"", 0, 0 },
	{ "\"2024-01-01T00:00:00Zx\"", 0, 0 },
	{ "\"1600-01-01T00:00:00Z\"", 0, 0 },
	{ "\"2300-01-01T00:00:00Z\"", 0, 0 },
	{ "\"\"", 0, 0 },
	{ "1704067200", 1, 1704067200000000000LL },
	{ "1704067200.5", 1, 1704067200500000000LL },
	{ "1704067200.0000000019", 1, 1704067200000000001LL },
	{ "1.7040672e9", 1, 1704067200000000000LL },
	{ "1704067200123", 1, 1704067200123000000LL },
	{ "1704067200123.456789", 1, 1704067200123456789LL },
	{ "1e11", 1, 100000000000000000LL },
	{ "99999999999", 0, 0 },
	{ "-1.5", 1, -1500000000LL },
	{ "0", 1, 0 },
	{ "-0.0", 1, 0 },
	{ "0.000000000999", 1, 0 },
	{ "12E-1", 1, 1200000000LL },
	{ "1e-400", 1, 0 },
	{ "1e400", 0, 0 },
	{ "true", 0, 0 },
	{ "null", 0, 0 },
	{ "{\"t\":1}", 0, 0 },
};

START_TEST(test_parse)
{
	const char *reason = NULL;
	int64_t ns = -42;
	int rc = sz_etime_parse(cases[_i].json, strlen(cases[_i].json), &ns,
	    &reason);

	if (cases[_i].ok) {
		ck_assert_msg(rc == 0, "%s: failed: %s", cases[_i].json, reason);
		ck_assert_msg(ns == cases[_i].ns, "%s: got %lld, want %lld",
		    cases[_i].json, (long long)ns, (long long)cases[_i].ns);
	} else {
		ck_assert_msg(rc == -1, "%s: accepted as %lld", cases[_i].json,
		    (long long)ns);
		ck_assert_ptr_nonnull(reason);
	}
}
END_TEST

START_TEST(test_civil)
{
	long long y;
	int m, d;

	ck_assert_int_eq(sz_days_from_civil(1970, 1, 1), 0);
	ck_assert_int_eq(sz_days_from_civil(1969, 12, 31), -1);
	ck_assert_int_eq(sz_days_from_civil(2024, 2, 29), 19782);
	ck_assert_int_eq(sz_days_from_civil(2000, 3, 1), 11017);
	ck_assert_int_eq(sz_days_from_civil(1677, 9, 21), -106752);
	for (long long z = -110000; z <= 110000; z += 7) {
		sz_civil_from_days(z, &y, &m, &d);
		ck_assert_msg(m >= 1 && m <= 12 && d >= 1 && d <= 31,
		    "%lld: %lld-%d-%d", z, y, m, d);
		ck_assert_int_eq(sz_days_from_civil(y, m, d), z);
	}
	sz_civil_from_days(19782, &y, &m, &d);
	ck_assert(y == 2024 && m == 2 && d == 29);
}
END_TEST

static Suite *
etime_suite(void)
{
	Suite *s = suite_create("etime");
	TCase *tc = tcase_create("etime");

	tcase_add_loop_test(tc, test_parse, 0,
	    (int)(sizeof(cases) / sizeof(cases[0])));
	tcase_add_test(tc, test_civil);
	suite_add_tcase(s, tc);
	return s;
}

SZ_CHECK_MAIN(etime_suite)
