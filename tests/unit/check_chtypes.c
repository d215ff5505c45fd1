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
	/* Decimal(P, S): refused by the server (Code 69) without its row,
	 * so the whole request would fail */
	{ "Decimal(5, 2)", "1.234", -1,
	  "1.234 does not fit in Decimal(5, 2): more than 2 digits after "
	  "the point" },
	{ "Decimal(5, 2)", "1e-3", -1,
	  "1e-3 does not fit in Decimal(5, 2): more than 2 digits after "
	  "the point" },
	{ "Decimal(5, 2)", "1000", -1,
	  "1000 does not fit in Decimal(5, 2): more than 3 digits before "
	  "the point" },
	{ "Decimal(5, 2)", "-999.999", -1,
	  "-999.999 does not fit in Decimal(5, 2): more than 2 digits after "
	  "the point" },
	{ "Decimal(5, 2)", "0.1e4", -1,
	  "0.1e4 does not fit in Decimal(5, 2): more than 3 digits before "
	  "the point" },
	{ "Decimal32(2)", "12345678.9", -1,
	  "12345678.9 does not fit in Decimal32(2): more than 7 digits "
	  "before the point" },
	/* FixedString(N): a shorter string padded with NUL bytes, a longer
	 * one refused (131) */
	{ "FixedString(3)", "\"ab\"", -1,
	  "\"ab\" is 2 bytes, shorter than FixedString(3)" },
	{ "FixedString(3)", "\"abcd\"", -1,
	  "\"abcd\" is 4 bytes, longer than FixedString(3)" },
	{ "FixedString(3)", "\"\\u00e9\\u00e9\"", -1,
	  "\"\\u00e9\\u00e9\" is 4 bytes, longer than FixedString(3)" },
	/* Date: outside 1970-01-01..2105-12-31 stored as 0000-00-00, a day
	 * past the month's end as a day of the next month, a year of 3
	 * digits read into the month */
	{ "Date", "\"1969-12-31\"", -1,
	  "\"1969-12-31\" is outside Date's range (1970-01-01 to "
	  "2105-12-31)" },
	{ "Date", "\"2106-01-01\"", -1,
	  "\"2106-01-01\" is outside Date's range (1970-01-01 to "
	  "2105-12-31)" },
	{ "Date", "\"2020-02-30\"", -1,
	  "\"2020-02-30\" is not a day of the calendar" },
	{ "Date", "\"2019-02-29\"", -1,
	  "\"2019-02-29\" is not a day of the calendar" },
	{ "Date", "\"2020-13-01\"", -1,
	  "\"2020-13-01\" is not a day of the calendar" },
	{ "Date", "\"2020-00-00\"", -1,
	  "\"2020-00-00\" is not a day of the calendar" },
	{ "Date", "\"202-01-05\"", -1,
	  "\"202-01-05\" is not a date (YYYY-MM-DD)" },
	{ "Date", "\"2020-01-05 10:00:00\"", -1,
	  "\"2020-01-05 10:00:00\" is not a date (YYYY-MM-DD)" },
	/* Float32: too large is inf, too small 0 */
	{ "Float32", "3.5e38", -1, "3.5e38 does not fit in Float32" },
	{ "Float32", "-1e39", -1, "-1e39 does not fit in Float32" },
	{ "Float32", "3.4028236e38", -1,
	  "3.4028236e38 does not fit in Float32" },
	{ "Float32", "1e-50", -1, "1e-50 is too small for Float32 (it would "
	  "be 0)" },
	{ "Float64", "1e-400", -1, "1e-400 is too small for Float64 (it "
	  "would be 0)" },
	{ "Nullable(Float32)", "1e39", -1, "1e39 does not fit in Float32" },
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
	{ "Decimal(5, 2)", "999.99", 0, NULL },
	{ "Decimal(5, 2)", "-1.23", 0, NULL },
	{ "Decimal(5, 2)", "1.2300000", 0, NULL },
	{ "Decimal(5, 2)", "12.3e1", 0, NULL },
	{ "Decimal(5, 2)", "0.00", 0, NULL },
	{ "Decimal(5, 2)", "1E1", 0, NULL },
	{ "Decimal(5, 2)", "15e-1", 0, NULL },
	{ "Decimal(38, 10)", "1234567890123456789012345678.0123456789", 0,
	  NULL },
	{ "Decimal64(4)", "99999999999999.9999", 0, NULL },
	{ "FixedString(3)", "\"abc\"", 0, NULL },
	{ "FixedString(3)", "\"\\u00e9a\"", 0, NULL },
	{ "FixedString(2)", "\"\xc3\xa9\"", 0, NULL },
	{ "FixedString(3)", "\"a\xff\xfe\"", 0, NULL },	/* raw bytes */
	{ "Date", "\"1970-01-01\"", 0, NULL },
	{ "Date", "\"2105-12-31\"", 0, NULL },
	{ "Date", "\"2020-02-29\"", 0, NULL },
	{ "Date", "\"2020-1-5\"", 0, NULL },
	{ "Date", "\"2020/01/05\"", 0, NULL },
	{ "Date", "\"0000-00-00\"", 0, NULL },
	{ "Nullable(Date)", "null", 0, NULL },
	{ "Float32", "3.4028235e38", 0, NULL },
	{ "Float32", "1e-45", 0, NULL },
	{ "Float32", "0.0e-99", 0, NULL },
	{ "Float32", "16777217", 0, NULL },
	{ "Float64", "1e-300", 0, NULL },
	/* refused by the server itself: left to it */
	{ "Decimal(5, 2)", "\"1.239\"", 0, NULL },
	{ "Date", "17000", 0, NULL },
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
