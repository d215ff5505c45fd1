/* SPDX-License-Identifier: MIT */
/* check_wq.c - unit tests of common/io/wq.c (the queue before a pipe):
 * records written whole and in order, dropped ones leaving holes that the
 * writes skip, the buffer packed and grown, dead letters taken out; TAP
 * on stdout. */
#include <check.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "io/wq.h"
#include "tap.h"

struct fix {
	sz_loop loop;
	sz_wq w;
	int fd[2];
	uint32_t tags[100000];
	size_t ntags;
};

static void
on_writable(sz_loop *l, int fd, short revents, void *ud)
{
	(void)l;
	(void)fd;
	(void)revents;
	(void)ud;
}

static void
delivered(void *ud, uint32_t tag)
{
	struct fix *f = ud;

	f->tags[f->ntags++] = tag;
}

static struct fix *
setup(size_t max_count, size_t max_bytes)
{
	struct fix *f = calloc(1, sizeof(*f));

	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(sz_loop_init(&f->loop), 0);
	ck_assert_int_eq(pipe(f->fd), 0);
	ck_assert_int_eq(sz_fd_nonblock(f->fd[1], NULL), 0);
	ck_assert_int_eq(sz_fd_nonblock(f->fd[0], NULL), 0);
	sz_wq_init(&f->w, &f->loop, f->fd[1], max_count, max_bytes,
	    on_writable, delivered, f);
	return f;
}

static void
teardown(struct fix *f)
{
	sz_wq_free(&f->w);
	close(f->fd[0]);
	close(f->fd[1]);
	sz_loop_free(&f->loop);
	free(f);
}

/* Record i: "r<i>" and i % 300 'x's. */
static size_t
rec(char *b, unsigned i)
{
	int n = sprintf(b, "r%u", i);

	memset(b + n, 'x', i % 300);
	return (size_t)n + i % 300;
}

static void
push(struct fix *f, unsigned i)
{
	char b[512];
	size_t n = rec(b, i);

	ck_assert_int_eq(sz_wq_push(&f->w, b, n, "f", i + 1, i), 0);
}

/* Read what the pipe holds, appended to *out. */
static void
drain(struct fix *f, char **out, size_t *len, size_t *cap)
{
	for (;;) {
		ssize_t k;

		if (*cap - *len < 65536) {
			*cap = *cap * 2 + 65536;
			*out = realloc(*out, *cap);
			ck_assert_ptr_nonnull(*out);
		}
		k = read(f->fd[0], *out + *len, *cap - *len);
		if (k <= 0)
			return;
		*len += (size_t)k;
	}
}

/*
 * 3,000 records through a 64 KiB pipe read a little at a time, the
 * oldest not begun dropped every seventh push: what comes out is every
 * record not dropped, whole, in order, each delivered once.
 */
START_TEST(test_drops_and_holes)
{
	struct fix *f = setup(100000, (size_t)64 << 20);
	char *out = NULL, b[512];
	size_t len = 0, cap = 0, at = 0, nd = 0;
	unsigned char dropped[3000] = { 0 };
	uint32_t tag;

	for (unsigned i = 0; i < 3000; i++) {
		push(f, i);
		if (i % 7 == 6 && sz_wq_drop_oldest(&f->w, &tag) == 0)
			dropped[tag] = 1;
		if (i % 5 == 0)
			ck_assert_int_ge(sz_wq_write(&f->w), 0);
		if (i % 50 == 0)
			drain(f, &out, &len, &cap);
	}
	while (sz_wq_pending(&f->w)) {
		ck_assert_int_ge(sz_wq_write(&f->w), 0);
		drain(f, &out, &len, &cap);
	}
	drain(f, &out, &len, &cap);
	ck_assert_uint_eq(f->w.count, 0);
	for (unsigned i = 0, d = 0; i < 3000; i++) {
		size_t n;

		if (dropped[i]) {
			d++;
			continue;
		}
		n = rec(b, i);
		ck_assert_uint_le(at + n + 1, len);
		ck_assert_mem_eq(out + at, b, n);
		ck_assert_int_eq(out[at + n], '\n');
		at += n + 1;
		ck_assert_uint_eq(f->tags[i - d], i);
	}
	ck_assert_uint_eq(at, len);
	for (unsigned i = 0; i < 3000; i++)
		nd += dropped[i];
	ck_assert_uint_gt(nd, 300);
	ck_assert_uint_eq(f->ntags + nd, 3000);
	free(out);
	teardown(f);
}
END_TEST

/* Dead letters: with a read end known, records written but not read
 * stay queued and are taken out whole, NUL-terminated, in order, the
 * one half written too. */
START_TEST(test_take_unread)
{
	struct fix *f = setup(100000, (size_t)64 << 20);
	sz_wqrec r;
	const char *p;
	char b[512];
	unsigned i, n = 0;

	f->w.rfd = f->fd[0];
	for (i = 0; i < 1000; i++)
		push(f, i);
	ck_assert_int_eq(sz_wq_write(&f->w), 1);	/* the pipe is full */
	ck_assert_uint_eq(f->ntags, 0);			/* nothing read */
	ck_assert_uint_gt(f->w.sent, 0);
	sz_wq_stop(&f->w);
	while (sz_wq_take(&f->w, &r, &p) == 0) {
		size_t k = rec(b, n);

		ck_assert_uint_eq(r.n, k);
		ck_assert_mem_eq(p, b, k);
		ck_assert_int_eq(p[k], '\0');
		ck_assert_uint_eq(r.tag, n);
		ck_assert_uint_eq(r.line, n + 1);
		n++;
	}
	ck_assert_uint_eq(n, 1000);
	ck_assert(!sz_wq_pending(&f->w));
	teardown(f);
}
END_TEST

/* The bounds count the records not written yet. */
START_TEST(test_bounds)
{
	struct fix *f = setup(3, 1000);

	push(f, 0);
	push(f, 1);
	ck_assert(!sz_wq_full(&f->w));
	push(f, 2);
	ck_assert(sz_wq_full(&f->w));
	ck_assert_int_eq(sz_wq_write(&f->w), 0);
	ck_assert(!sz_wq_full(&f->w));
	ck_assert_uint_eq(sz_wq_unsent(&f->w), 0);
	ck_assert_uint_eq(f->ntags, 3);
	teardown(f);
}
END_TEST

static Suite *
wq_suite(void)
{
	Suite *s = suite_create("wq");
	TCase *tc = tcase_create("wq");

	tcase_add_test(tc, test_drops_and_holes);
	tcase_add_test(tc, test_take_unread);
	tcase_add_test(tc, test_bounds);
	suite_add_tcase(s, tc);
	return s;
}

SZ_CHECK_MAIN(wq_suite)
