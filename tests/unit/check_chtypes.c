/* SPDX-License-Identifier: MIT */
/* check_chtypes.c - unit tests of tools/clickhouse/types.c: the values
 * ClickHouse 18.16 stores otherwise than sent are caught before sending
 * (FACTS.md's table), and what the server refuses itself, or stores as
 * sent, passes. TAP on stdout; no server. */
#include <check.h>
#include <stdio.h>
#include <string.h>

#include "tools/clickhouse/ch.h"
#include "tap.h"

static const struct {
	const char *type, *v;
	int bad;		/* -1: caught here; 0: left as it is */
	const char *why;	/* the reason, when caught */
} vals[] = {
	/* silent conversions: caught */
	{ "Int64", "12345678901234567890", -1,
	  "12345678901234567890 does not fit in Int64" },
	{ "UInt8", "300", -1, "300 does not fit in UInt8" },
	{ "Int8", "-129", -1, "-129 does not fit in Int8" },
	{ "UInt32", "4294967296", -1, "4294967296 does not fit in UInt32" },
	{ "UInt64", "18446744073709551616", -1,
	  "18446744073709551616 does not fit in UInt64" },
	{ "Float64", "1e400", -1, "1e400 does not fit in Float64" },
	{ "Int64", "null", -1, "null into Int64 (not Nullable)" },
	{ "String", "null", -1, "null into String (not Nullable)" },
	{ "DateTime", "\"2020-01-01 00:00:05.123\"", -1,
	  "\"2020-01-01 00:00:05.123\": a fraction of a second into DateTime" },
	{ "DateTime64(3)", "\"2020-01-01 00:00:05.1234\"", -1,
	  "\"2020-01-01 00:00:05.1234\": more than milliseconds into "
	  "DateTime64(3)" },
	{ "UUID", "\"this-is-thirty-six-characters-long!!\"", -1,
	  "\"this-is-thirty-six-characters-long!!\" is not a UUID" },
	{ "Enum8('a' = 1, 'b' = 2)", "\"c\"", -1,
	  "\"c\" is not a label of Enum8('a' = 1, 'b' = 2)" },
	{ "Enum16('it\\'s' = 1)", "\"its\"", -1,
	  "\"its\" is not a label of Enum16('it\\'s' = 1)" },
	{ "Nullable(UInt8)", "256", -1, "256 does not fit in UInt8" },
	{ "LowCardinality(String)", "null", -1,
	  "null into String (not Nullable)" },
	{ "Array(Int8)", "[1,2,200]", -1, "200 does not fit in Int8" },
	{ "Array(Nullable(Int8))", "[null, 1000]", -1,
	  "1000 does not fit in Int8" },
	/* stored as sent */
	{ "Int64", "9223372036854775807", 0, NULL },
	{ "Int64", "-9223372036854775808", 0, NULL },
	{ "UInt64", "18446744073709551615", 0, NULL },
	{ "UInt8", "255", 0, NULL },
	{ "Float64", "1.5e300", 0, NULL },
	{ "Nullable(Int64)", "null", 0, NULL },
	{ "DateTime", "\"2020-01-01 00:00:05\"", 0, NULL },
	{ "DateTime64(3)", "\"2020-01-01 00:00:05.123\"", 0, NULL },
	{ "UUID", "\"6f1c7d7e-4c1b-4b43-9a3e-0d6c1c2a0b10\"", 0, NULL },
	{ "Enum8('a' = 1, 'b' = 2)", "\"b\"", 0, NULL },
	{ "Enum16('it\\'s' = 1)", "\"it's\"", 0, NULL },
	{ "LowCardinality(String)", "\"x\"", 0, NULL },
	{ "Array(Int8)", "[]", 0, NULL },
	{ "Array(String)", "[\"a\",\"b\"]", 0, NULL },
	/* refused by the server itself: left to it */
	{ "Int64", "4.7", 0, NULL },
	{ "Int64", "\"x\"", 0, NULL },
	{ "String", "5", 0, NULL },
	{ "UUID", "\"short\"", 0, NULL },
	/* refused by the server (Code 72), but caught here too: the record
	 * is bad input either way, and this costs no request */
	{ "UInt64", "-1", -1, "-1 does not fit in UInt64" },
};

START_TEST(test_value)
{
	char why[256] = "";
	const char *t = vals[_i].type, *v = vals[_i].v;
	int r = ch_value_check(t, v, strlen(v), why, sizeof(why));

	ck_assert_msg(r == vals[_i].bad, "%s into %s: %d (%s)", v, t, r, why);
	if (r < 0)
		ck_assert_str_eq(why, vals[_i].why);
}
END_TEST

static Suite *
chtypes_suite(void)
{
	Suite *s = suite_create("chtypes");
	TCase *tc = tcase_create("chtypes");

	tcase_add_loop_test(tc, test_value, 0,
	    (int)(sizeof(vals) / sizeof(vals[0])));
	suite_add_tcase(s, tc);
	return s;
}

SZ_CHECK_MAIN(chtypes_suite)
