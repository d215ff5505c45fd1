/* SPDX-License-Identifier: MIT */
/* check_statsdir.c - unit tests of common/run/statsdir.c (the file's
 * name, the state, the text, the atomic write) and of the watched pipe of
 * common/io/out.c it relies on (a blocked write calls back). TAP. */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "io/out.h"
#include "run/statsdir.h"
#include "tap.h"

#define S 1000000000ull

START_TEST(test_name)
{
	sz_statsdir d;
	char want[256];

	ck_assert_int_eq(sz_statsdir_init(&d, "/x", "a/b c.d", S), 0);
	snprintf(want, sizeof(want), "/x/a_b_c.d.%ld.json", (long)getpid());
	ck_assert_str_eq(d.path, want);
	snprintf(want, sizeof(want), "/x/.a_b_c.d.%ld.json.tmp",
	    (long)getpid());
	ck_assert_str_eq(d.tmp, want);
	sz_statsdir_free(&d);
	/* a name cannot make a dot file, nor leave the directory */
	ck_assert_int_eq(sz_statsdir_init(&d, "/x", "..", S), 0);
	snprintf(want, sizeof(want), "/x/_..%ld.json", (long)getpid());
	ck_assert_str_eq(d.path, want);
	sz_statsdir_free(&d);
}
END_TEST

START_TEST(test_state)
{
	sz_statsdir d;
	sz_sdtimes tm = { 0 };

	ck_assert_int_eq(sz_statsdir_init(&d, "/x", "n", S), 0);
	d.last.now = 10 * S;
	d.last.blocked = d.last.wait_in = d.last.holding = 0;
	/* over 1 s: 0.6 s waiting for input */
	tm.now = 11 * S;
	tm.wait_in = 6 * S / 10;
	ck_assert_str_eq(sz_statsdir_state(&d, &tm), "idle");
	tm.wait_in = 2 * S / 10;
	ck_assert_str_eq(sz_statsdir_state(&d, &tm), "reading");
	tm.holding = 7 * S / 10;
	ck_assert_str_eq(sz_statsdir_state(&d, &tm), "holding");
	tm.blocked = 8 * S / 10;
	tm.holding = tm.wait_in = 0;
	ck_assert_str_eq(sz_statsdir_state(&d, &tm), "blocked-out");
	/* blocked now wins whatever the past */
	tm.blocked = 0;
	tm.blocked_now = 1;
	ck_assert_str_eq(sz_statsdir_state(&d, &tm), "blocked-out");
	sz_statsdir_free(&d);
}
END_TEST

static char *
slurp(const char *path)
{
	static char buf[4096];
	FILE *f = fopen(path, "r");
	size_t n;

	if (f == NULL)
		return NULL;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

START_TEST(test_write)
{
	char dir[] = "/tmp/check_statsdir.XXXXXX";
	const char *st = "{\"tool\":\"sz-x\",\"name\":\"n\",\"in\":3}";
	sz_statsdir d;
	sz_sdtimes tm = { 2 * S, S / 2, S / 4, 0, 0 };
	char *s;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	ck_assert_int_eq(sz_statsdir_init(&d, dir, "n", S / 2), 0);
	d.in_dev = 1, d.in_ino = 2, d.out_dev = 3, d.out_ino = 4;
	ck_assert_int_eq(sz_statsdir_write(&d, st, strlen(st), &tm, 5, 9,
	    -1), 0);
	s = slurp(d.path);
	ck_assert_ptr_nonnull(s);
	ck_assert_msg(strncmp(s, "{\"tool\":\"sz-x\",\"name\":\"n\",\"in\":3,"
	    "\"pid\":", 33) == 0, "%s", s);
	ck_assert_ptr_nonnull(strstr(s, ",\"state\":\"reading\","
	    "\"blocked_out_s\":0.500,\"wait_in_s\":0.250,\"holding_s\":0.000,"
	    "\"interval_s\":0.500,\"queue\":{\"records\":5,\"bound\":9},"
	    "\"stdin\":{\"dev\":1,\"ino\":2},\"stdout\":{\"dev\":3,\"ino\":4},"
	    "\"time\":\""));
	ck_assert_msg(s[strlen(s) - 1] == '\n' && s[strlen(s) - 2] == '}',
	    "%s", s);
	ck_assert_ptr_eq(strstr(s, "exit_status"), NULL);
	ck_assert_int_eq(access(d.tmp, F_OK), -1);
	tm.now += S;
	ck_assert_int_eq(sz_statsdir_write(&d, st, strlen(st), &tm, 0, 0,
	    65), 0);
	s = slurp(d.path);
	ck_assert_ptr_nonnull(strstr(s, "\"state\":\"exited\","
	    "\"exit_status\":65,"));
	/* the directory gone: -1 and the errno, nothing half written */
	unlink(d.path);
	rmdir(dir);
	ck_assert_int_eq(sz_statsdir_write(&d, st, strlen(st), &tm, 0, 0,
	    -1), -1);
	ck_assert_int_eq(d.err, ENOENT);
	sz_statsdir_free(&d);
}
END_TEST

/* A watched pipe nobody reads: each wait calls back, which reads. */
static int rfd, calls;
static size_t got;

static void
drain(void *ud)
{
	char b[65536];
	ssize_t k;

	(void)ud;
	calls++;
	while ((k = read(rfd, b, sizeof(b))) > 0)
		got += (size_t)k;
}

START_TEST(test_watch)
{
	int fd[2];
	sz_out o;
	static char big[1 << 20];

	ck_assert_int_eq(pipe(fd), 0);
	rfd = fd[0];
	ck_assert_int_eq(fcntl(rfd, F_SETFL, O_NONBLOCK), 0);
	ck_assert_int_eq(sz_out_fd(&o, fd[1]), 0);
	ck_assert_int_eq(sz_out_watch(&o, 10000000, drain, NULL), 1);
	memset(big, 'x', sizeof(big));
	ck_assert_int_eq(sz_out_write(&o, big, sizeof(big)), 0);
	ck_assert_int_eq(sz_out_flush(&o), 0);
	drain(NULL);
	ck_assert_uint_eq(got, sizeof(big));
	ck_assert_int_ge(calls, 2);
	ck_assert_uint_gt(sz_out_blocked_ns(&o), 0);
	ck_assert_uint_eq(o.block_start, 0);
	sz_out_close(&o);
	close(fd[0]);
	close(fd[1]);
	/* not a pipe: not watched */
	ck_assert_int_eq(sz_out_fd(&o, open("/dev/null", O_WRONLY)), 0);
	ck_assert_int_eq(sz_out_watch(&o, 10000000, drain, NULL), 0);
	close(o.fd);
	sz_out_close(&o);
}
END_TEST

static Suite *
statsdir_suite(void)
{
	Suite *s = suite_create("statsdir");
	TCase *tc = tcase_create("statsdir");

	tcase_add_test(tc, test_name);
	tcase_add_test(tc, test_state);
	tcase_add_test(tc, test_write);
	tcase_add_test(tc, test_watch);
	suite_add_tcase(s, tc);
	return s;
}

SZ_CHECK_MAIN(statsdir_suite)
