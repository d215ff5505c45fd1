/* SPDX-License-Identifier: MIT */
/* check_redis.c - unit tests of connect/redis.c that need no server: the
 * --url parser, the _redis envelope, outage replies; TAP on stdout. */
#include <check.h>
#include <stdio.h>
#include <string.h>

#include "connect/redis.h"
#include "tap.h"

START_TEST(test_url)
{
	szr_url u;
	char err[512];

	ck_assert_int_eq(szr_url_parse("redis://127.0.0.1:6380/2", &u, err,
	    sizeof(err)), 0);
	ck_assert_str_eq(u.host, "127.0.0.1");
	ck_assert_int_eq(u.port, 6380);
	ck_assert_int_eq(u.db, 2);
	ck_assert_str_eq(u.pass, "");
	ck_assert_int_eq(szr_url_parse("redis://bob:s3:cr@h", &u, err,
	    sizeof(err)), 0);
	ck_assert_str_eq(u.user, "bob");
	ck_assert_str_eq(u.pass, "s3:cr");
	ck_assert_str_eq(u.host, "h");
	ck_assert_int_eq(u.port, 6379);
	ck_assert_int_eq(u.db, 0);
	ck_assert_int_eq(szr_url_parse("redis://:pw@h:1/", &u, err,
	    sizeof(err)), 0);
	ck_assert_str_eq(u.user, "");
	ck_assert_str_eq(u.pass, "pw");
	ck_assert_int_eq(szr_url_parse("unix:///run/r.sock?db=3", &u, err,
	    sizeof(err)), 0);
	ck_assert_str_eq(u.path, "/run/r.sock");
	ck_assert_int_eq(u.db, 3);
	ck_assert_int_eq(szr_url_parse("http://h", &u, err, sizeof(err)),
	    -1);
	ck_assert_str_eq(err, "'http://h' is not redis://[USER:PASS@]HOST"
	    "[:PORT][/DB] or unix:///PATH");
	ck_assert_int_eq(szr_url_parse("redis://h:0", &u, err, sizeof(err)),
	    -1);
	ck_assert_int_eq(szr_url_parse("redis://h:99999", &u, err,
	    sizeof(err)), -1);
	ck_assert_int_eq(szr_url_parse("redis://h/x", &u, err, sizeof(err)),
	    -1);
	ck_assert_int_eq(szr_url_parse("redis://", &u, err, sizeof(err)),
	    -1);
	ck_assert_int_eq(szr_url_parse("unix://", &u, err, sizeof(err)), -1);
}
END_TEST

static void
env_is(const char *meta, const char *rec, long long del, int want_rc,
    const char *want)
{
	sz_buf b = SZ_BUF_INIT;

	ck_assert_int_eq(szr_envelope(&b, meta, rec, strlen(rec), "s\"k", 3,
	    "1-0", 3, del), want_rc);
	ck_assert_uint_eq(b.len, strlen(want));
	ck_assert_int_eq(memcmp(b.p, want, b.len), 0);
	sz_buf_free(&b);
}

START_TEST(test_envelope)
{
	env_is("_redis", "{\"a\":1}", 2, 0,
	    "{\"_redis\":{\"stream\":\"s\\\"k\",\"id\":\"1-0\","
	    "\"deliveries\":2},\"a\":1}");
	/* the rest byte for byte, white space and all */
	env_is("_redis", " { \"a\" : 1.50 } ", -1, 0,
	    "{\"_redis\":{\"stream\":\"s\\\"k\",\"id\":\"1-0\"},\"a\" : 1.50 } ");
	env_is("_redis", "{}", 1, 0,
	    "{\"_redis\":{\"stream\":\"s\\\"k\",\"id\":\"1-0\","
	    "\"deliveries\":1}}");
	env_is("_redis", "{ }", -1, 0,
	    "{\"_redis\":{\"stream\":\"s\\\"k\",\"id\":\"1-0\"}}");
	env_is("m", "[1]", 1, 1, "[1]");
	env_is("", "{\"a\":1}", 1, 1, "{\"a\":1}");
}
END_TEST

START_TEST(test_outage)
{
	redisReply r = { 0 };
	char s[64];

	r.type = REDIS_REPLY_ERROR;
	r.str = s;
	strcpy(s, "LOADING Redis is loading the dataset in memory");
	ck_assert_int_eq(szr_is_outage(&r), 1);
	strcpy(s, "BUSY Redis is busy running a script.");
	ck_assert_int_eq(szr_is_outage(&r), 1);
	strcpy(s, "TRYAGAIN Multiple keys request during rehashing");
	ck_assert_int_eq(szr_is_outage(&r), 1);
	strcpy(s, "BUSYGROUP Consumer Group name already exists");
	ck_assert_int_eq(szr_is_outage(&r), 0);
	strcpy(s, "WRONGTYPE Operation against a key");
	ck_assert_int_eq(szr_is_outage(&r), 0);
	r.type = REDIS_REPLY_STATUS;
	strcpy(s, "LOADING");
	ck_assert_int_eq(szr_is_outage(&r), 0);
}
END_TEST

static Suite *
redis_suite(void)
{
	Suite *s = suite_create("redis");
	TCase *tc = tcase_create("redis");

	tcase_add_test(tc, test_url);
	tcase_add_test(tc, test_envelope);
	tcase_add_test(tc, test_outage);
	suite_add_tcase(s, tc);
	return s;
}

SZ_CHECK_MAIN(redis_suite)
