/* SPDX-License-Identifier: MIT */
/* check_opts.c - unit tests of common/core/opts.c: value parsers and the common
 * options. TAP on stdout. */
#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/opts.h"
#include "tap.h"

static char err[256];

START_TEST(test_durations)
{
	static const struct { const char *s; uint64_t ns; } ok[] = {
		{ "250ms", 250000000ull }, { "5s", 5000000000ull },
		{ "1m", 60000000000ull }, { "2h", 7200000000000ull },
		{ "1d", 86400000000000ull }, { "1.5s", 1500000000ull },
		{ "0s", 0 }, { "10us", 10000 }, { "7ns", 7 }, { ".5s", 500000000ull },
	};
	uint64_t v;

	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		ck_assert_int_eq(sz_parse_duration("-t", ok[i].s, &v, err,
		    sizeof(err)), 0);
		ck_assert_uint_eq(v, ok[i].ns);
	}
	ck_assert_int_eq(sz_parse_duration("-t", "0", &v, err, sizeof(err)), 0);
	ck_assert_uint_eq(v, 0);
	ck_assert_int_eq(sz_parse_duration("-t", "00", &v, err, sizeof(err)), -1);
	ck_assert_int_eq(sz_parse_duration("-t", "5", &v, err, sizeof(err)), -1);
	ck_assert_str_eq(err, "-t: '5' is not a duration (e.g. 250ms, 5s, 1m, 2h, 1d)");
	ck_assert_int_eq(sz_parse_duration("-t", "-1s", &v, err, sizeof(err)), -1);
	ck_assert_int_eq(sz_parse_duration("-t", "1 s", &v, err, sizeof(err)), -1);
	ck_assert_int_eq(sz_parse_duration("-t", "1sec", &v, err, sizeof(err)), -1);
	ck_assert_int_eq(sz_parse_duration("-t", "", &v, err, sizeof(err)), -1);
	ck_assert_int_eq(sz_parse_duration("-t", "1e30d", &v, err, sizeof(err)), -1);
	ck_assert_int_eq(sz_parse_duration("-t", "infs", &v, err, sizeof(err)), -1);
}
END_TEST

/* Terms: units in decreasing size, each once (issue 12, item 11). */
START_TEST(test_duration_terms)
{
	static const struct { const char *s; uint64_t ns; } ok[] = {
		{ "1h30m", 5400000000000ull }, { "2m30s", 150000000000ull },
		{ "1m0.5s", 60500000000ull }, { "1d2h3m4s", 93784000000000ull },
		{ "1s500ms", 1500000000ull }, { "1ms1us1ns", 1001001ull },
		{ "1.5h30m", 7200000000000ull }, { "0h0m0s", 0 },
		{ "1e1m", 600000000000ull },
	};
	static const char *const bad[] = {
		"30m1h", "1m1m", "1s1m", "1h30", "1h 30m", "1h-30m", "h30m",
		"1h30m ", "1hm", "1h0x1m", "1msec", "1h1e30d", "",
	};
	uint64_t v;

	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		ck_assert_msg(sz_parse_duration("-t", ok[i].s, &v, err,
		    sizeof(err)) == 0, "%s: %s", ok[i].s, err);
		ck_assert_uint_eq(v, ok[i].ns);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(sz_parse_duration("-t", bad[i], &v, err,
		    sizeof(err)) == -1, "%s accepted", bad[i]);
	ck_assert_int_eq(sz_parse_duration("--ttl", "30m1h", &v, err,
	    sizeof(err)), -1);
	ck_assert_str_eq(err, "--ttl: '30m1h' is not a duration (e.g. 250ms, 5s, 1m, 2h, 1d)");
	ck_assert_int_eq(sz_parse_duration("-t", "213503d23h", &v, err,
	    sizeof(err)), -1);
	ck_assert_str_eq(err, "-t: '213503d23h' is not a duration that fits (at most ~580 years)");
}
END_TEST

START_TEST(test_sizes)
{
	static const struct { const char *s; uint64_t b; } ok[] = {
		{ "512", 512 }, { "64KiB", 65536 }, { "16MiB", 16777216 },
		{ "1GiB", 1073741824ull }, { "1K", 1024 }, { "2kB", 2000 },
		{ "3MB", 3000000 }, { "1.5KiB", 1536 }, { "10B", 10 },
	};
	uint64_t v;

	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		ck_assert_int_eq(sz_parse_size("--max-bytes", ok[i].s, &v, err,
		    sizeof(err)), 0);
		ck_assert_uint_eq(v, ok[i].b);
	}
	ck_assert_int_eq(sz_parse_size("--max-bytes", "12parsecs", &v, err,
	    sizeof(err)), -1);
	ck_assert_str_eq(err, "--max-bytes: '12parsecs' is not a size (e.g. 512, 64KiB, 16MiB, 1GiB)");
	ck_assert_int_eq(sz_parse_size("--max-bytes", "1.5", &v, err,
	    sizeof(err)), -1);
	ck_assert_str_eq(err, "--max-bytes: '1.5' is not a whole number of bytes");
	ck_assert_int_eq(sz_parse_size("--max-bytes", "-1", &v, err,
	    sizeof(err)), -1);
	ck_assert_int_eq(sz_parse_size("--max-bytes", "99999999TiB", &v, err,
	    sizeof(err)), -1);
}
END_TEST

START_TEST(test_rates)
{
	double v;

	ck_assert_int_eq(sz_parse_rate("RATE", "1000/s", &v, err, sizeof(err)), 0);
	ck_assert(v == 1000);
	ck_assert_int_eq(sz_parse_rate("RATE", "2.5/s", &v, err, sizeof(err)), 0);
	ck_assert(v == 2.5);
	ck_assert_int_eq(sz_parse_rate("RATE", "60/m", &v, err, sizeof(err)), 0);
	ck_assert(v == 1);
	ck_assert_int_eq(sz_parse_rate("RATE", "7200/h", &v, err, sizeof(err)), 0);
	ck_assert(v == 2);
	ck_assert_int_eq(sz_parse_rate("RATE", "1e9/s", &v, err, sizeof(err)), 0);
	ck_assert(v == 1e9);
	ck_assert_int_eq(sz_parse_rate("RATE", "0/s", &v, err, sizeof(err)), -1);
	ck_assert_str_eq(err, "RATE: '0/s' is not a rate (e.g. 1000/s, 2.5/s, 50/m, 10/h)");
	ck_assert_int_eq(sz_parse_rate("RATE", "10", &v, err, sizeof(err)), -1);
	ck_assert_int_eq(sz_parse_rate("RATE", "10/d", &v, err, sizeof(err)), -1);
	ck_assert_int_eq(sz_parse_rate("RATE", "-1/s", &v, err, sizeof(err)), -1);
	/* the long unit names (issue 12, item 11) */
	ck_assert_int_eq(sz_parse_rate("RATE", "5/sec", &v, err, sizeof(err)), 0);
	ck_assert(v == 5);
	ck_assert_int_eq(sz_parse_rate("RATE", "120/min", &v, err, sizeof(err)), 0);
	ck_assert(v == 2);
	ck_assert_int_eq(sz_parse_rate("RATE", "7200/hour", &v, err, sizeof(err)), 0);
	ck_assert(v == 2);
	ck_assert_int_eq(sz_parse_rate("RATE", "1/secs", &v, err, sizeof(err)), -1);
	ck_assert_int_eq(sz_parse_rate("RATE", "1/hours", &v, err, sizeof(err)), -1);
	ck_assert_int_eq(sz_parse_rate("RATE", "1/S", &v, err, sizeof(err)), -1);
	ck_assert_int_eq(sz_parse_rate("RATE", "1/mi", &v, err, sizeof(err)), -1);
}
END_TEST

START_TEST(test_counts)
{
	uint64_t v;
	double d;

	ck_assert_int_eq(sz_parse_count("-n", "7", 1, 10, &v, err, sizeof(err)), 0);
	ck_assert_uint_eq(v, 7);
	ck_assert_int_eq(sz_parse_count("-n", "0", 1, 10, &v, err, sizeof(err)), -1);
	ck_assert_str_eq(err, "-n: '0' is not a whole number from 1 to 10");
	ck_assert_int_eq(sz_parse_count("-n", "11", 1, 10, &v, err, sizeof(err)), -1);
	ck_assert_int_eq(sz_parse_count("-n", "3x", 1, 10, &v, err, sizeof(err)), -1);
	ck_assert_int_eq(sz_parse_count("-n", "-3", 0, 10, &v, err, sizeof(err)), -1);
	ck_assert_int_eq(sz_parse_count("-n", "99999999999999999999", 0,
	    UINT64_MAX, &v, err, sizeof(err)), -1);
	ck_assert_int_eq(sz_parse_double("-p", "0.25", 0, 1, &d, err, sizeof(err)), 0);
	ck_assert(d == 0.25);
	ck_assert_int_eq(sz_parse_double("-p", "1.5", 0, 1, &d, err, sizeof(err)), -1);
	ck_assert_str_eq(err, "-p: '1.5' is not a number from 0 to 1");
}
END_TEST

/* Run sz_opts_getopt over a command line; returns the tool options seen
 * as a string of characters, or "?" + the message. */
static char seen[1024];

static const struct option tool_long[] = {
	{ "flag", no_argument, NULL, 'f' },
	{ NULL, 0, NULL, 0 }
};

static const char *
parse(sz_opts *o, int argc, char **argv)
{
	int c;
	size_t n = 0;

	optind = 0;	/* full re-initialisation of GNU getopt */
	sz_opts_init(o, "sz-test");
	while ((c = sz_opts_getopt(o, argc, argv, "f", tool_long)) != -1) {
		if (c == '?') {
			snprintf(seen, sizeof(seen), "?%s", o->err);
			return seen;
		}
		seen[n++] = (char)c;
	}
	seen[n] = '\0';
	return seen;
}

START_TEST(test_common_options)
{
	sz_opts o;
	char *a1[] = { "sz-test", "-f", "--on-error=skip", "--name", "x",
	    "--stats=st", "--max-record=1KiB", "-u", "EXPR", "--log=json",
	    "--stats-interval=2s", "file", NULL };
	char *a2[] = { "sz-test", "--dlq=d", "--stats", NULL };
	char *a3[] = { "sz-test", "--on-error=dlq", NULL };
	char *a4[] = { "sz-test", "--bogus", NULL };
	char *a5[] = { "sz-test", "--name", NULL };
	char *a6[] = { "sz-test", "-x", NULL };
	char *a7[] = { "sz-test", "--", "--flag", NULL };
	char *a8[] = { "sz-test", "--flag=3", NULL };
	char *a9[] = { "sz-test", "--bogus=3", NULL };

	ck_assert_str_eq(parse(&o, 12, a1), "f");
	ck_assert_int_eq(o.on_error, SZ_ONERR_SKIP);
	ck_assert_str_eq(o.name, "x");
	ck_assert_int_eq(o.stats, 1);
	ck_assert_str_eq(o.stats_file, "st");
	ck_assert_uint_eq(o.max_record, 1024);
	ck_assert_int_eq(o.unbuffered, 1);
	ck_assert_int_eq(o.log_json, 1);
	ck_assert_uint_eq(o.stats_interval, 2000000000ull);
	/* permuted: the operands come last */
	ck_assert_str_eq(a1[optind], "EXPR");
	ck_assert_str_eq(a1[optind + 1], "file");

	ck_assert_str_eq(parse(&o, 3, a2), "");
	ck_assert_int_eq(o.on_error, SZ_ONERR_DLQ);	/* --dlq implies it */
	ck_assert_str_eq(o.dlq, "d");
	ck_assert_ptr_null(o.stats_file);
	ck_assert_str_eq(parse(&o, 2, a3), "?--on-error=dlq needs --dlq=FILE");
	ck_assert_str_eq(parse(&o, 2, a4), "?unrecognized option '--bogus'");
	ck_assert_str_eq(parse(&o, 2, a5), "?option '--name' requires an argument");
	ck_assert_str_eq(parse(&o, 2, a6), "?invalid option -- 'x'");
	ck_assert_str_eq(parse(&o, 3, a7), "");
	ck_assert_str_eq(parse(&o, 2, a8), "?option '--flag' does not take an argument");
	ck_assert_str_eq(parse(&o, 2, a9), "?unrecognized option '--bogus'");
	ck_assert_str_eq(a7[optind], "--flag");
}
END_TEST

/* after_dashdash: the operands after a "--" that ended the options, and
 * only such a "--" (not an option's argument, not an operand). */
START_TEST(test_dashdash)
{
	sz_opts o;
	char *a1[] = { "sz-test", "a", "-f", "b", "--", "c", "d", NULL };
	char *a2[] = { "sz-test", "--", "a", "b", NULL };
	char *a3[] = { "sz-test", "a", "b", NULL };
	char *a4[] = { "sz-test", "--name", "--", "a", NULL };
	char *a5[] = { "sz-test", "a", "--name", "--", "b", NULL };
	char *a6[] = { "sz-test", "a", "--", "--", "b", NULL };
	char *a7[] = { "sz-test", "a", "--", "b", NULL };

	ck_assert_str_eq(parse(&o, 7, a1), "f");
	ck_assert_int_eq(o.after_dashdash, 2);
	ck_assert_int_eq(7 - optind, 4);
	ck_assert_str_eq(a1[optind], "a");
	ck_assert_str_eq(a1[optind + 1], "b");
	ck_assert_str_eq(a1[optind + 2], "c");
	ck_assert_str_eq(parse(&o, 4, a2), "");
	ck_assert_int_eq(o.after_dashdash, 2);
	ck_assert_str_eq(parse(&o, 3, a3), "");
	ck_assert_int_eq(o.after_dashdash, -1);
	ck_assert_str_eq(parse(&o, 4, a4), "");
	ck_assert_int_eq(o.after_dashdash, -1);
	ck_assert_str_eq(o.name, "--");
	ck_assert_str_eq(parse(&o, 5, a5), "");
	ck_assert_int_eq(o.after_dashdash, -1);
	ck_assert_str_eq(parse(&o, 5, a6), "");
	ck_assert_int_eq(o.after_dashdash, 2);
	ck_assert_str_eq(a6[optind + 1], "--");
	/* POSIXLY_CORRECT: the options end at "a"; "--" is an operand */
	ck_assert_int_eq(setenv("POSIXLY_CORRECT", "1", 1), 0);
	ck_assert_str_eq(parse(&o, 4, a7), "");
	ck_assert_int_eq(unsetenv("POSIXLY_CORRECT"), 0);
	ck_assert_int_eq(o.after_dashdash, -1);
	ck_assert_int_eq(4 - optind, 3);
	ck_assert_str_eq(a7[optind + 1], "--");
}
END_TEST

/* shortopts starting with '+': options end at the first operand (the rest
 * is a command with options of its own, sz-exec). */
START_TEST(test_options_end_at_operand)
{
	sz_opts o;
	char *a[] = { "sz-test", "-f", "-u", "cmd", "-f", "--stats", NULL };
	size_t n = 0;
	int c;

	optind = 0;
	sz_opts_init(&o, "sz-test");
	while ((c = sz_opts_getopt(&o, 6, a, "+f", tool_long)) != -1) {
		ck_assert_int_ne(c, '?');
		seen[n++] = (char)c;
	}
	seen[n] = '\0';
	ck_assert_str_eq(seen, "f");
	ck_assert_int_eq(o.unbuffered, 1);
	ck_assert_int_eq(o.stats, 0);
	ck_assert_int_eq(optind, 3);
	ck_assert_str_eq(a[optind], "cmd");
	ck_assert_str_eq(a[optind + 1], "-f");
}
END_TEST

/* --max-errors and --fail-at-end imply skip unless --on-error or --dlq
 * chose; with an explicit fail they are usage errors (issue 12, item 6). */
START_TEST(test_error_limits)
{
	sz_opts o;
	char *a1[] = { "sz-test", "--max-errors=3", NULL };
	char *a2[] = { "sz-test", "--fail-at-end", "--dlq=d", NULL };
	char *a3[] = { "sz-test", "--on-error=fail", "--max-errors", "2", NULL };
	char *a4[] = { "sz-test", "--fail-at-end", "--on-error=fail", NULL };
	char *a5[] = { "sz-test", "--max-errors=0", NULL };
	char *a6[] = { "sz-test", "--on-error=dlq", "--dlq=d", "--max-errors=1",
	    "--fail-at-end", NULL };

	ck_assert_str_eq(parse(&o, 2, a1), "");
	ck_assert_int_eq(o.on_error, SZ_ONERR_SKIP);
	ck_assert_uint_eq(o.max_errors, 3);
	ck_assert_int_eq(o.fail_at_end, 0);
	ck_assert_str_eq(parse(&o, 3, a2), "");
	ck_assert_int_eq(o.on_error, SZ_ONERR_DLQ);
	ck_assert_int_eq(o.fail_at_end, 1);
	ck_assert_uint_eq(o.max_errors, 0);
	ck_assert_str_eq(parse(&o, 4, a3), "?--max-errors needs --on-error=skip or dlq");
	ck_assert_str_eq(parse(&o, 3, a4), "?--fail-at-end needs --on-error=skip or dlq");
	ck_assert_str_eq(parse(&o, 2, a5), "?--max-errors: '0' is not a whole number from 1 to 18446744073709551615");
	ck_assert_str_eq(parse(&o, 5, a6), "");
	ck_assert_int_eq(o.on_error, SZ_ONERR_DLQ);
	ck_assert_uint_eq(o.max_errors, 1);
	ck_assert_int_eq(o.fail_at_end, 1);
}
END_TEST

static Suite *
opts_suite(void)
{
	Suite *s = suite_create("opts");
	TCase *tc = tcase_create("opts");

	tcase_add_test(tc, test_durations);
	tcase_add_test(tc, test_duration_terms);
	tcase_add_test(tc, test_sizes);
	tcase_add_test(tc, test_rates);
	tcase_add_test(tc, test_counts);
	tcase_add_test(tc, test_common_options);
	tcase_add_test(tc, test_options_end_at_operand);
	tcase_add_test(tc, test_error_limits);
	tcase_add_test(tc, test_dashdash);
	suite_add_tcase(s, tc);
	return s;
}

SZ_CHECK_MAIN(opts_suite)
