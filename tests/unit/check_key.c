/* SPDX-License-Identifier: MIT */
/* check_key.c - unit tests of common/run/key.c and common/core/hash.c,
 * written as TAP on stdout. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/hash.h"
#include "run/key.h"
#include "tap.h"

static sz_rec
rec(const char *s)
{
	sz_rec r = { s, strlen(s), "<stdin>", 1, NULL };

	return r;
}

/* A key part after the options (name, value) given, compiled in tool t.
 * Returns what sz_key_compile returned; stderr goes to *msg (the caller
 * frees it). */
static int
setup(sz_key *k, sz_tool *t, const char *key, const char *time, int fast,
    char **msg)
{
	FILE *f = tmpfile();
	int saved, rc;
	long n;

	ck_assert_ptr_nonnull(f);
	sz_key_init(k);
	sz_tool_init(t, "sz-test");
	if (key != NULL) {
		optarg = (char *)key;
		ck_assert_int_eq(sz_key_opt(k, &t->o, SZ_OPT_KEY), 1);
	}
	if (time != NULL) {
		optarg = (char *)time;
		ck_assert_int_eq(sz_key_opt(k, &t->o, SZ_OPT_TIME), 1);
	}
	if (!fast)
		ck_assert_int_eq(sz_key_opt(k, &t->o, SZ_OPT_NOFAST), 1);
	fflush(stderr);
	saved = dup(2);
	ck_assert_int_ge(saved, 0);
	dup2(fileno(f), 2);
	rc = sz_key_compile(k, t);
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	n = lseek(fileno(f), 0, SEEK_END);
	ck_assert_int_ge(n, 0);
	*msg = calloc(1, (size_t)n + 1);
	ck_assert_ptr_nonnull(*msg);
	ck_assert_int_eq(pread(fileno(f), *msg, (size_t)n, 0), n);
	fclose(f);
	return rc;
}

/* The key of the record s as a C string (in k->kb), or NULL when the
 * answer is not SZ_KEY_OK (then *what holds it). */
static const char *
key_of(sz_key *k, const char *s, int *what)
{
	sz_rec r = rec(s);

	*what = sz_key_eval(k, &r);
	if (*what != SZ_KEY_OK)
		return NULL;
	if (sz_buf_addc(&k->kb, '\0') < 0)
		return NULL;
	k->kb.len--;
	return k->kb.p;
}

START_TEST(test_fnv1a_vectors)
{
	/* The published FNV-1a 64 test vectors. */
	ck_assert_uint_eq(sz_fnv1a("", 0), UINT64_C(0xcbf29ce484222325));
	ck_assert_uint_eq(sz_fnv1a("a", 1), UINT64_C(0xaf63dc4c8601ec8c));
	ck_assert_uint_eq(sz_fnv1a("foobar", 6),
	    UINT64_C(0x85944171f73967e8));
	/* Continuing a hash is hashing the concatenation. */
	ck_assert_uint_eq(sz_fnv1a_more(sz_fnv1a("foo", 3), "bar", 3),
	    sz_fnv1a("foobar", 6));
	ck_assert_uint_eq(sz_fnv1a_more(SZ_FNV1A_OFFSET, "", 0),
	    SZ_FNV1A_OFFSET);
	/* Bytes above 0x7f are hashed unsigned. */
	ck_assert_uint_eq(sz_fnv1a("\xff", 1),
	    (SZ_FNV1A_OFFSET ^ 0xff) * SZ_FNV1A_PRIME);
}
END_TEST

START_TEST(test_compile_errors)
{
	sz_key k;
	sz_tool t;
	char *msg;

	ck_assert_int_eq(setup(&k, &t, ".a ==", NULL, 1, &msg), 2);
	ck_assert_ptr_nonnull(strstr(msg,
	    "sz-test: --key: cannot compile EXPR '.a ==':\n"));
	ck_assert_int_eq(k.have_key, 0);
	free(msg);
	sz_key_free(&k);

	ck_assert_int_eq(setup(&k, &t, ".a", "[", 1, &msg), 2);
	ck_assert_ptr_nonnull(strstr(msg,
	    "sz-test: --time: cannot compile EXPR '[':\n"));
	ck_assert_int_eq(k.have_key, 1);
	ck_assert_int_eq(k.have_time, 0);
	free(msg);
	sz_key_free(&k);

	ck_assert_int_eq(setup(&k, &t, "[.a, .b]", ".t", 1, &msg), 0);
	ck_assert_str_eq(msg, "");
	ck_assert_int_eq(k.have_key, 1);
	ck_assert_int_eq(k.have_time, 1);
	free(msg);
	sz_key_free(&k);
	sz_key_free(&k);	/* twice is harmless */
}
END_TEST

START_TEST(test_options)
{
	sz_key k;
	sz_opts o;

	sz_key_init(&k);
	sz_opts_init(&o, "sz-test");
	ck_assert_uint_eq(k.max_keys, SZ_KEY_MAX_KEYS);
	ck_assert_int_eq(k.fast, 1);
	optarg = "42";
	ck_assert_int_eq(sz_key_opt(&k, &o, SZ_OPT_MAXKEYS), 1);
	ck_assert_uint_eq(k.max_keys, 42);
	ck_assert_int_eq(k.max_keys_set, 1);
	optarg = "3000000000";
	ck_assert_int_eq(sz_key_opt(&k, &o, SZ_OPT_MAXKEYS), 1);
	ck_assert_uint_eq(k.max_keys, SZ_KEY_MAX_KEYS_BOUND);
	optarg = "3000000001";
	ck_assert_int_eq(sz_key_opt(&k, &o, SZ_OPT_MAXKEYS), '?');
	ck_assert_str_eq(o.err, "--max-keys: '3000000001' is not a whole "
	    "number from 1 to 3000000000");
	optarg = "0";
	ck_assert_int_eq(sz_key_opt(&k, &o, SZ_OPT_MAXKEYS), '?');
	/* Not an option of the key part: left alone. */
	ck_assert_int_eq(sz_key_opt(&k, &o, SZ_OPT_TOOL), 0);
	ck_assert_ptr_null(k.keysrc);
	ck_assert_ptr_null(k.timesrc);
	ck_assert_int_eq(sz_key_opt(&k, &o, SZ_OPT_NOFAST), 1);
	ck_assert_int_eq(k.fast, 0);
	sz_key_free(&k);
}
END_TEST

/* Equal JSON values of different spellings are one key, through the
 * raw-bytes path and through libjq, and without --key (whole record). */
START_TEST(test_canonical)
{
	static const struct { const char *a, *b; } same[] = {
		{ "{\"k\":1}", "{\"k\":1.0}" },
		{ "{\"k\":1}", "{\"k\":10e-1}" },
		{ "{\"k\":\"a\"}", "{\"k\":\"\\u0061\"}" },
		{ "{\"k\":{\"b\":1,\"a\":[2.50]}}",
		    "{\"k\":{ \"a\" : [25e-1], \"b\" : 1 }}" },
		{ "{\"k\":-0}", "{\"k\":0.0}" },
		{ "{\"k\":null}", "{\"k\": null }" },
	};
	for (int fast = 0; fast <= 1; fast++) {
		sz_key k;
		sz_tool t;
		char *msg, a[256];
		const char *s;
		int what;

		ck_assert_int_eq(setup(&k, &t, ".k", NULL, fast, &msg), 0);
		free(msg);
		for (size_t i = 0; i < sizeof(same) / sizeof(same[0]); i++) {
			s = key_of(&k, same[i].a, &what);
			ck_assert_ptr_nonnull(s);
			snprintf(a, sizeof(a), "%s", s);
			s = key_of(&k, same[i].b, &what);
			ck_assert_ptr_nonnull(s);
			ck_assert_str_eq(a, s);
		}
		s = key_of(&k, "{\"k\":{\"b\":1,\"a\":[2.50]}}", &what);
		ck_assert_str_eq(s, "{\"a\":[25e-1],\"b\":1}");
		s = key_of(&k, "{\"k\":1}", &what);
		ck_assert_str_eq(s, "1");
		s = key_of(&k, "{\"k\":\"1\"}", &what);
		ck_assert_str_eq(s, "\"1\"");	/* a string is not a number */
		sz_key_free(&k);
	}
	{
		sz_key k;
		sz_tool t;
		char *msg;
		const char *s;
		int what;

		ck_assert_int_eq(setup(&k, &t, NULL, NULL, 1, &msg), 0);
		free(msg);
		s = key_of(&k, "{ \"b\":1.0, \"a\":\"x\" }", &what);
		ck_assert_str_eq(s, "{\"a\":\"x\",\"b\":1}");
		sz_key_free(&k);
	}
}
END_TEST

START_TEST(test_bad_keys)
{
	for (int fast = 0; fast <= 1; fast++) {
		sz_key k;
		sz_tool t;
		char *msg;
		int what;

		ck_assert_int_eq(setup(&k, &t, ".a.b", NULL, fast, &msg), 0);
		free(msg);
		ck_assert_ptr_null(key_of(&k, "{\"a\":5}", &what));
		ck_assert_int_eq(what, SZ_KEY_JQ);
		/* The same message through both paths (jq 1.6's). */
		ck_assert_str_eq(k.key.err.p,
		    "Cannot index number with string \"b\"");
		ck_assert_ptr_nonnull(key_of(&k, "{\"a\":null}", &what));
		ck_assert_str_eq(k.kb.p, "null");	/* missing: null */
		sz_key_free(&k);

		ck_assert_int_eq(setup(&k, &t, ".a[]", NULL, fast, &msg), 0);
		free(msg);
		ck_assert_ptr_null(key_of(&k, "{\"a\":[]}", &what));
		ck_assert_int_eq(what, SZ_KEY_NONE);
		ck_assert_ptr_nonnull(key_of(&k, "{\"a\":[3,4]}", &what));
		ck_assert_str_eq(k.kb.p, "3");		/* the first value */
		sz_key_free(&k);

		ck_assert_int_eq(setup(&k, &t, "empty", NULL, fast, &msg), 0);
		free(msg);
		ck_assert_ptr_null(key_of(&k, "{}", &what));
		ck_assert_int_eq(what, SZ_KEY_NONE);
		sz_key_free(&k);

		ck_assert_int_eq(setup(&k, &t, "error(\"no\")", NULL, fast,
		    &msg), 0);
		free(msg);
		ck_assert_ptr_null(key_of(&k, "{}", &what));
		ck_assert_int_eq(what, SZ_KEY_JQ);
		ck_assert_str_eq(k.key.err.p, "no");
		sz_key_free(&k);
	}
}
END_TEST

/* sz_key_value: the first value's JSON text, not its canonical text (the
 * record's bytes for a simple path, jq's text otherwise); a key part
 * given by another option names it in its messages. */
START_TEST(test_value)
{
	static const char *const want[2] = { "1", "1.0" };

	for (int fast = 0; fast <= 1; fast++) {
		sz_key k;
		sz_tool t;
		sz_rec r;
		char *msg;

		ck_assert_int_eq(setup(&k, &t, ".a", NULL, fast, &msg), 0);
		free(msg);
		r = rec("{\"a\":1.0}");
		ck_assert_int_eq(sz_key_value(&k, &r), SZ_KEY_OK);
		ck_assert_uint_eq(k.kb.len, strlen(want[fast]));
		ck_assert(memcmp(k.kb.p, want[fast], k.kb.len) == 0);
		r = rec("{\"a\":\"x\\/y\"}");
		ck_assert_int_eq(sz_key_value(&k, &r), SZ_KEY_OK);
		ck_assert_uint_eq(k.kb.len, fast ? 6 : 5);	/* "x\/y" */
		r = rec("{\"b\":1}");
		ck_assert_int_eq(sz_key_value(&k, &r), SZ_KEY_OK);
		ck_assert(k.kb.len == 4 && memcmp(k.kb.p, "null", 4) == 0);
		sz_key_free(&k);

		ck_assert_int_eq(setup(&k, &t, ".a[]", NULL, fast, &msg), 0);
		free(msg);
		r = rec("{\"a\":[]}");
		ck_assert_int_eq(sz_key_value(&k, &r), SZ_KEY_NONE);
		r = rec("{\"a\":5}");
		ck_assert_int_eq(sz_key_value(&k, &r), SZ_KEY_JQ);
		sz_key_free(&k);
	}
}
END_TEST

START_TEST(test_keyopt)
{
	sz_key k;
	sz_tool t;
	FILE *f = tmpfile();
	int saved;
	char msg[256] = "";

	ck_assert_ptr_nonnull(f);
	sz_key_init(&k);
	sz_tool_init(&t, "sz-test");
	k.keysrc = ".a ==";
	k.keyopt = "--by-value";
	fflush(stderr);
	saved = dup(2);
	ck_assert_int_ge(saved, 0);
	dup2(fileno(f), 2);
	ck_assert_int_eq(sz_key_compile(&k, &t), 2);
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	ck_assert_int_gt(pread(fileno(f), msg, sizeof(msg) - 1, 0), 0);
	fclose(f);
	ck_assert_ptr_nonnull(strstr(msg,
	    "sz-test: --by-value: cannot compile EXPR '.a ==':\n"));
	sz_key_free(&k);
}
END_TEST

/* The time of record s through --time EXPR: the answer; *ns set. */
static int
time_of(sz_key *k, const char *s, int64_t *ns)
{
	sz_rec r = rec(s);

	return sz_key_time(k, &r, ns);
}

START_TEST(test_time)
{
	sz_key k;
	sz_tool t;
	char *msg;
	int64_t ns;

	ck_assert_int_eq(setup(&k, &t, NULL, ".t", 1, &msg), 0);
	free(msg);
	ck_assert_int_eq(time_of(&k, "{\"t\":\"1970-01-01T00:00:01Z\"}", &ns),
	    SZ_KEY_OK);
	ck_assert_int_eq(ns, 1000000000);
	ck_assert_int_eq(time_of(&k,
	    "{\"t\":\"2021-01-01T00:00:00.5+01:00\"}", &ns), SZ_KEY_OK);
	ck_assert_int_eq(ns, INT64_C(1609455600500000000));
	ck_assert_int_eq(time_of(&k, "{\"t\":1609459200}", &ns), SZ_KEY_OK);
	ck_assert_int_eq(ns, INT64_C(1609459200000000000));
	ck_assert_int_eq(time_of(&k, "{\"t\":1609459200123}", &ns),
	    SZ_KEY_OK);				/* milliseconds */
	ck_assert_int_eq(ns, INT64_C(1609459200123000000));
	ck_assert_int_eq(time_of(&k, "{\"t\":\"yesterday\"}", &ns),
	    SZ_KEY_TIME_BAD);
	ck_assert_str_eq(k.tb.p, "--time: not an RFC 3339 time "
	    "(YYYY-MM-DDTHH:MM:SS[.F](Z|+HH:MM)): \"yesterday\"");
	ck_assert_int_eq(time_of(&k, "{\"t\":true}", &ns), SZ_KEY_TIME_BAD);
	ck_assert_ptr_nonnull(strstr(k.tb.p, "--time: "));
	ck_assert_int_eq(time_of(&k, "{}", &ns), SZ_KEY_TIME_BAD);
	ck_assert_ptr_nonnull(strstr(k.tb.p, ": null"));
	sz_key_free(&k);

	ck_assert_int_eq(setup(&k, &t, NULL, ".t[]", 1, &msg), 0);
	free(msg);
	ck_assert_int_eq(time_of(&k, "{\"t\":[]}", &ns), SZ_KEY_TIME_BAD);
	ck_assert_str_eq(k.tb.p, "--time yields no value");
	ck_assert_int_eq(time_of(&k, "{\"t\":5}", &ns), SZ_KEY_TIME_JQ);
	ck_assert_str_eq(k.time.err.p, "Cannot iterate over number (5)");
	sz_key_free(&k);

	/* A tool that reads the time under another option name (sz-monitor
	 * --latency) has it in the messages. */
	ck_assert_int_eq(setup(&k, &t, NULL, ".t[]", 1, &msg), 0);
	free(msg);
	k.timeopt = "--latency";
	ck_assert_int_eq(time_of(&k, "{\"t\":[]}", &ns), SZ_KEY_TIME_BAD);
	ck_assert_str_eq(k.tb.p, "--latency yields no value");
	ck_assert_int_eq(time_of(&k, "{\"t\":[\"x\"]}", &ns),
	    SZ_KEY_TIME_BAD);
	ck_assert_ptr_nonnull(strstr(k.tb.p, "--latency: not an RFC 3339"));
	sz_key_free(&k);

	/* A long bad value is cut short in the message. */
	{
		char big[400];

		ck_assert_int_eq(setup(&k, &t, NULL, ".t", 1, &msg), 0);
		free(msg);
		memset(big, 'x', sizeof(big));
		memcpy(big, "{\"t\":\"", 6);
		memcpy(big + sizeof(big) - 3, "\"}", 3);
		ck_assert_int_eq(time_of(&k, big, &ns), SZ_KEY_TIME_BAD);
		ck_assert_uint_lt(strlen(k.tb.p), 200);	/* 64 bytes of it */
		sz_key_free(&k);
	}

	/* Without --time: the monotonic clock. */
	ck_assert_int_eq(setup(&k, &t, NULL, NULL, 1, &msg), 0);
	free(msg);
	{
		int64_t before = (int64_t)sz_now();

		ck_assert_int_eq(time_of(&k, "{}", &ns), SZ_KEY_OK);
		ck_assert_int_ge(ns, before);
		ck_assert_int_le(ns, (int64_t)sz_now());
	}
	sz_key_free(&k);
}
END_TEST

static Suite *
key_suite(void)
{
	Suite *s = suite_create("key");
	TCase *tc = tcase_create("key");

	tcase_add_test(tc, test_fnv1a_vectors);
	tcase_add_test(tc, test_compile_errors);
	tcase_add_test(tc, test_options);
	tcase_add_test(tc, test_canonical);
	tcase_add_test(tc, test_bad_keys);
	tcase_add_test(tc, test_time);
	tcase_add_test(tc, test_value);
	tcase_add_test(tc, test_keyopt);
	suite_add_tcase(s, tc);
	return s;
}

SZ_CHECK_MAIN(key_suite)
