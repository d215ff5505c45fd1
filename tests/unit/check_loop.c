/* SPDX-License-Identifier: MIT */
/* check_loop.c - unit tests of common/io/loop.c: descriptors, timers in
 * order, the before-sleep hook, signals through the self-pipe. TAP. */
#include <check.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "io/loop.h"
#include "tap.h"

static char order[64];
static int hooks, sigs, lastsig;

static void
mark(sz_loop *l, void *ud)
{
	(void)l;
	strncat(order, ud, sizeof(order) - strlen(order) - 1);
}

static void
hook(sz_loop *l, void *ud)
{
	(void)l;
	(void)ud;
	hooks++;
}

START_TEST(test_timers_in_order)
{
	sz_loop l;
	uint64_t now = sz_now(), t0, id;

	order[0] = '\0';
	sz_loop_init(&l);
	sz_loop_timer(&l, now + 60000000, mark, "c");
	sz_loop_timer(&l, now + 20000000, mark, "a");
	id = sz_loop_timer(&l, now + 40000000, mark, "x");
	sz_loop_timer(&l, now + 40000000, mark, "b");
	sz_loop_cancel(&l, id);
	sz_loop_before_sleep(&l, hook, NULL);
	hooks = 0;
	t0 = sz_now();
	while (strlen(order) < 3)
		ck_assert_int_eq(sz_loop_once(&l, 1), 0);
	ck_assert_str_eq(order, "abc");
	/* the loop slept (no busy wait): few iterations, each with a hook */
	ck_assert_int_ge(hooks, 1);
	ck_assert_int_le(hooks, 10);
	ck_assert_uint_ge(sz_now() - t0, 55000000);
	sz_loop_free(&l);
}
END_TEST

static void
readable(sz_loop *l, int fd, short revents, void *ud)
{
	char c;

	(void)l;
	(void)ud;
	ck_assert(revents & POLLIN);
	ck_assert_int_eq(read(fd, &c, 1), 1);
	strncat(order, &c, 1);
}

START_TEST(test_descriptors)
{
	sz_loop l;
	int p[2];

	order[0] = '\0';
	ck_assert_int_eq(pipe(p), 0);
	sz_loop_init(&l);
	ck_assert_int_eq(sz_loop_watch(&l, p[0], POLLIN, readable, NULL), 0);
	ck_assert_int_eq(write(p[1], "xy", 2), 2);
	ck_assert_int_eq(sz_loop_once(&l, 1), 0);
	ck_assert_int_eq(sz_loop_once(&l, 1), 0);
	ck_assert_str_eq(order, "xy");
	/* events 0: not polled, the byte stays */
	sz_loop_events(&l, p[0], 0);
	ck_assert_int_eq(write(p[1], "z", 1), 1);
	ck_assert_int_eq(sz_loop_once(&l, 0), 0);
	ck_assert_str_eq(order, "xy");
	sz_loop_events(&l, p[0], POLLIN);
	ck_assert_int_eq(sz_loop_once(&l, 0), 0);
	ck_assert_str_eq(order, "xyz");
	sz_loop_unwatch(&l, p[0]);
	sz_loop_free(&l);
	close(p[0]);
	close(p[1]);
}
END_TEST

static void
on_sig(sz_loop *l, int s, void *ud)
{
	(void)l;
	(void)ud;
	sigs++;
	lastsig = s;
}

START_TEST(test_signals)
{
	sz_loop l;
	uint64_t t0;

	sz_loop_init(&l);
	ck_assert_int_eq(sz_loop_signals(&l, on_sig, NULL), 0);
	/* a far timer: the signal must wake the sleeping loop at once */
	sz_loop_timer(&l, sz_now() + 10000000000ull, mark, "late");
	sigs = 0;
	ck_assert_int_eq(raise(SIGUSR1), 0);
	t0 = sz_now();
	ck_assert_int_eq(sz_loop_once(&l, 1), 0);
	ck_assert_uint_lt(sz_now() - t0, 2000000000ull);
	ck_assert_int_eq(sigs, 1);
	ck_assert_int_eq(lastsig, SIGUSR1);
	ck_assert_int_eq(sz_signal_stop(), 0);
	ck_assert_int_eq(raise(SIGTERM), 0);
	ck_assert_int_eq(sz_loop_once(&l, 1), 0);
	ck_assert_int_eq(lastsig, SIGTERM);
	ck_assert_int_eq(sz_signal_stop(), SIGTERM);
	/* SIGPIPE is ignored */
	ck_assert_int_eq(raise(SIGPIPE), 0);
	sz_loop_free(&l);
}
END_TEST

/* In a child of its own (the look at inherited dispositions is made once
 * per process): SIGINT and SIGHUP ignored before sz_loop_signals stay
 * ignored; SIGTERM gets the handler; SIGCHLD is caught even if ignored.
 * Exit status: 0, or the number of the check that failed. */
static int
ignored_child(void)
{
	struct sigaction sa;
	sz_loop l;

	signal(SIGINT, SIG_IGN);
	signal(SIGHUP, SIG_IGN);
	signal(SIGCHLD, SIG_IGN);
	sz_loop_init(&l);
	if (sz_loop_signals(&l, on_sig, NULL) != 0)
		return 1;
	if (sigaction(SIGINT, NULL, &sa) != 0 || sa.sa_handler != SIG_IGN)
		return 2;
	if (sigaction(SIGHUP, NULL, &sa) != 0 || sa.sa_handler != SIG_IGN)
		return 3;
	if (sigaction(SIGTERM, NULL, &sa) != 0 || sa.sa_handler == SIG_IGN ||
	    sa.sa_handler == SIG_DFL)
		return 4;
	if (sigaction(SIGCHLD, NULL, &sa) != 0 || sa.sa_handler == SIG_IGN)
		return 5;
	if (!sz_signal_ignored(SIGINT) || !sz_signal_ignored(SIGHUP) ||
	    sz_signal_ignored(SIGTERM) || sz_signal_ignored(SIGCHLD))
		return 6;
	/* an ignored SIGINT changes nothing */
	raise(SIGINT);
	if (sz_loop_once(&l, 0) != 0 || sz_signal_stop() != 0)
		return 7;
	sz_loop_free(&l);
	return 0;
}

START_TEST(test_signals_ignored_at_start)
{
	int st;
	pid_t pid = fork();

	ck_assert_int_ge(pid, 0);
	if (pid == 0)
		_exit(ignored_child());
	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	ck_assert(WIFEXITED(st));
	ck_assert_int_eq(WEXITSTATUS(st), 0);
}
END_TEST

static void
waker(sz_loop *l, void *ud)
{
	(void)ud;
	hooks++;
	sz_loop_wake(l);
}

/* A hook that finds work to do keeps the loop from sleeping. */
START_TEST(test_wake_from_hook)
{
	sz_loop l;
	uint64_t t0;

	sz_loop_init(&l);
	sz_loop_timer(&l, sz_now() + 10000000000ull, mark, "late");
	sz_loop_before_sleep(&l, waker, NULL);
	hooks = 0;
	t0 = sz_now();
	ck_assert_int_eq(sz_loop_once(&l, 1), 0);
	ck_assert_int_eq(hooks, 1);
	ck_assert_uint_lt(sz_now() - t0, 2000000000ull);
	sz_loop_free(&l);
}
END_TEST

START_TEST(test_rfc3339)
{
	char buf[40];

	sz_rfc3339(buf, sizeof(buf));
	ck_assert_uint_eq(strlen(buf), 24);
	ck_assert(buf[4] == '-' && buf[10] == 'T' && buf[19] == '.' &&
	    buf[23] == 'Z');
}
END_TEST

static Suite *
loop_suite(void)
{
	Suite *s = suite_create("loop");
	TCase *tc = tcase_create("loop");

	tcase_set_timeout(tc, 20);
	tcase_add_test(tc, test_timers_in_order);
	tcase_add_test(tc, test_descriptors);
	tcase_add_test(tc, test_signals);
	tcase_add_test(tc, test_signals_ignored_at_start);
	tcase_add_test(tc, test_wake_from_hook);
	tcase_add_test(tc, test_rfc3339);
	suite_add_tcase(s, tc);
	return s;
}

SZ_CHECK_MAIN(loop_suite)
