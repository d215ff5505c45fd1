/* SPDX-License-Identifier: MIT */
/* check_out.c - unit tests of common/io/out.c: buffering, counting, and that
 * no failed write goes unnoticed (/dev/full, a closed pipe). TAP. */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "io/out.h"
#include "tap.h"

static char path[64];

static void
setup(void)
{
	int fd;

	strcpy(path, "/tmp/check_out.XXXXXX");
	fd = mkstemp(path);
	ck_assert_int_ge(fd, 0);
	close(fd);
}

static void
teardown(void)
{
	unlink(path);
}

static size_t
file_size(void)
{
	FILE *f = fopen(path, "r");
	long n;

	ck_assert_ptr_nonnull(f);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fclose(f);
	return (size_t)n;
}

START_TEST(test_buffered_then_flushed)
{
	sz_out o;

	ck_assert_int_eq(sz_out_open(&o, path, 0), 0);
	ck_assert_int_eq(sz_out_record(&o, "{\"a\":1}", 7), 0);
	ck_assert_int_eq(sz_out_record(&o, "2", 1), 0);
	ck_assert_uint_eq(file_size(), 0);	/* still buffered */
	ck_assert_uint_eq(sz_out_pending(&o), 10);
	ck_assert_int_eq(sz_out_flush(&o), 0);
	ck_assert_uint_eq(file_size(), 10);
	ck_assert_uint_eq(o.records, 2);
	ck_assert_uint_eq(o.bytes, 10);
	ck_assert_int_eq(sz_out_close(&o), 0);
}
END_TEST

START_TEST(test_unbuffered)
{
	sz_out o;

	ck_assert_int_eq(sz_out_open(&o, path, 0), 0);
	o.unbuffered = 1;
	ck_assert_int_eq(sz_out_record(&o, "x", 1), 0);
	ck_assert_uint_eq(file_size(), 2);
	ck_assert_int_eq(sz_out_close(&o), 0);
}
END_TEST

START_TEST(test_large_records)
{
	sz_out o;
	size_t big = 3 * SZ_OUT_BUFSIZE + 17;
	char *p = malloc(big);

	ck_assert_ptr_nonnull(p);
	memset(p, 'x', big);
	ck_assert_int_eq(sz_out_open(&o, path, 0), 0);
	ck_assert_int_eq(sz_out_record(&o, "a", 1), 0);
	ck_assert_int_eq(sz_out_record(&o, p, big), 0);
	ck_assert_int_eq(sz_out_record(&o, "b", 1), 0);
	ck_assert_int_eq(sz_out_close(&o), 0);
	ck_assert_uint_eq(file_size(), 2 + big + 1 + 2);
	free(p);
}
END_TEST

START_TEST(test_append_and_reopen)
{
	sz_out o;

	ck_assert_int_eq(sz_out_open(&o, path, 0), 0);
	ck_assert_int_eq(sz_out_record(&o, "one", 3), 0);
	ck_assert_int_eq(sz_out_close(&o), 0);
	ck_assert_int_eq(sz_out_open(&o, path, 1), 0);
	ck_assert_int_eq(sz_out_record(&o, "two", 3), 0);
	/* reopen flushes, then appends to the (same) path */
	ck_assert_int_eq(sz_out_reopen(&o), 0);
	ck_assert_int_eq(sz_out_record(&o, "three", 5), 0);
	ck_assert_int_eq(sz_out_close(&o), 0);
	ck_assert_uint_eq(file_size(), 4 + 4 + 6);
}
END_TEST

START_TEST(test_dev_full)
{
	sz_out o;

	ck_assert_int_eq(sz_out_open(&o, "/dev/full", 0), 0);
	ck_assert_int_eq(sz_out_record(&o, "x", 1), 0);	/* buffered */
	ck_assert_int_eq(sz_out_flush(&o), -1);
	ck_assert_int_eq(o.err, ENOSPC);
	ck_assert_int_eq(sz_out_record(&o, "y", 1), -1);	/* sticky */
	ck_assert_int_eq(sz_out_close(&o), -1);
}
END_TEST

START_TEST(test_closed_pipe)
{
	sz_out o;
	int p[2];

	signal(SIGPIPE, SIG_IGN);
	ck_assert_int_eq(pipe(p), 0);
	close(p[0]);
	ck_assert_int_eq(sz_out_fd(&o, p[1]), 0);
	ck_assert_int_eq(sz_out_record(&o, "x", 1), 0);
	ck_assert_int_eq(sz_out_flush(&o), -1);
	ck_assert_int_eq(o.err, EPIPE);
	ck_assert_int_eq(sz_out_close(&o), -1);
	close(p[1]);
}
END_TEST

START_TEST(test_nonblocking_pipe)
{
	sz_out o;
	int p[2];
	char buf[65536];
	size_t total = 0, wrote = 0;

	ck_assert_int_eq(pipe(p), 0);
	ck_assert_int_eq(fcntl(p[1], F_SETFL, O_NONBLOCK), 0);
	ck_assert_int_eq(sz_out_fd(&o, p[1]), 0);
	o.nonblock = 1;
	memset(buf, 'z', sizeof(buf) - 1);
	/* More than a pipe holds: flush keeps the rest and answers 1. */
	for (int i = 0; i < 40; i++) {
		ck_assert_int_eq(sz_out_record(&o, buf, 9999), 0);
		wrote += 10000;
	}
	ck_assert_int_eq(sz_out_flush(&o), 1);
	ck_assert_uint_gt(sz_out_pending(&o), 0);
	while (total < wrote) {
		ssize_t k = read(p[0], buf, sizeof(buf));

		ck_assert_int_gt(k, 0);
		total += (size_t)k;
		if (sz_out_pending(&o))
			ck_assert_int_ge(sz_out_flush(&o), 0);
	}
	ck_assert_uint_eq(total, wrote);
	ck_assert_uint_eq(sz_out_pending(&o), 0);
	ck_assert_int_eq(sz_out_close(&o), 0);
	close(p[0]);
	close(p[1]);
}
END_TEST

/* A watched pipe nobody reads but the wait's callback, which keeps what
 * it reads. */
static int rfd;
static char *got;
static size_t ngot, calls;

static void
drain(void *ud)
{
	ssize_t k;

	(void)ud;
	calls++;
	while ((k = read(rfd, got + ngot, 65536)) > 0)
		ngot += (size_t)k;
}

/* A big record goes out from where it lies, after what was buffered, in
 * order and whole, also in pieces through a watched pipe. */
START_TEST(test_direct_records)
{
	sz_out o;
	int fd[2];
	size_t big = 3 * SZ_PIPE_SIZE + 5, want = 2 + big + 1 + 2 + SZ_OUT_DIRECT + 1;
	char *p = malloc(big);

	ck_assert_ptr_nonnull(p);
	got = malloc(want + 65536);
	ck_assert_ptr_nonnull(got);
	for (size_t i = 0; i < big; i++)
		p[i] = (char)('a' + i % 26);
	ck_assert_int_eq(pipe(fd), 0);
	rfd = fd[0];
	ck_assert_int_eq(fcntl(rfd, F_SETFL, O_NONBLOCK), 0);
	ck_assert_int_eq(sz_out_fd(&o, fd[1]), 0);
	ck_assert_int_eq(sz_out_watch(&o, 10000000, drain, NULL), 1);
	ck_assert_int_eq(sz_out_record(&o, "a", 1), 0);
	ck_assert_int_eq(sz_out_record(&o, p, big), 0);
	ck_assert_uint_eq(sz_out_pending(&o), 0);	/* written, not kept */
	ck_assert_int_eq(sz_out_record(&o, "b", 1), 0);
	ck_assert_uint_eq(sz_out_pending(&o), 2);
	ck_assert_int_eq(sz_out_record(&o, p, SZ_OUT_DIRECT), 0);
	ck_assert_uint_eq(sz_out_pending(&o), 0);
	ck_assert_int_eq(sz_out_close(&o), 0);
	drain(NULL);
	ck_assert_uint_eq(ngot, want);
	ck_assert_int_eq(memcmp(got, "a\n", 2), 0);
	ck_assert_int_eq(memcmp(got + 2, p, big), 0);
	ck_assert_int_eq(memcmp(got + 2 + big, "\nb\n", 3), 0);
	ck_assert_int_eq(memcmp(got + 5 + big, p, SZ_OUT_DIRECT), 0);
	ck_assert_int_eq(got[ngot - 1], '\n');
	ck_assert_uint_ge(calls, 2);	/* it waited for the reader */
	ck_assert_uint_eq(o.records, 4);
	ck_assert_uint_eq(o.bytes, ngot);
	close(fd[0]);
	close(fd[1]);
	free(got);
	free(p);
}
END_TEST

static Suite *
out_suite(void)
{
	Suite *s = suite_create("out");
	TCase *tc = tcase_create("out");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_buffered_then_flushed);
	tcase_add_test(tc, test_unbuffered);
	tcase_add_test(tc, test_large_records);
	tcase_add_test(tc, test_append_and_reopen);
	tcase_add_test(tc, test_dev_full);
	tcase_add_test(tc, test_closed_pipe);
	tcase_add_test(tc, test_nonblocking_pipe);
	tcase_add_test(tc, test_direct_records);
	suite_add_tcase(s, tc);
	return s;
}

SZ_CHECK_MAIN(out_suite)
