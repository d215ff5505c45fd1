/* SPDX-License-Identifier: MIT */
/* check_xsort.c - unit tests of common/io/xsort.c against a stable sort
 * in memory, written as TAP on stdout. */
#include <check.h>
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "io/xsort.h"

struct pair {
	char k[32], r[64];
	size_t kn, rn;
	size_t seq;
};

static int
pcmp(const void *a, const void *b)
{
	const struct pair *x = a, *y = b;
	size_t n = x->kn < y->kn ? x->kn : y->kn;
	int c = memcmp(x->k, y->k, n);

	if (c != 0)
		return c;
	if (x->kn != y->kn)
		return x->kn < y->kn ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* Files left in dir (none may be). */
static int
entries(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	ck_assert_ptr_nonnull(d);
	while ((e = readdir(d)) != NULL)
		if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
			n++;
	closedir(d);
	return n;
}

/* Keys of up to 3 bytes, or (long) of 12 to 27 bytes that mostly share
 * their first 14: the order past the 16 bytes an entry holds. */
static int long_keys;

static void
run(size_t n, size_t mem, unsigned seed, size_t *runs)
{
	char dir[] = "/tmp/check_xsort.XXXXXX";
	struct pair *p = calloc(n + 1, sizeof(*p));
	sz_xsort *x;
	const char *k, *r;
	size_t kn, rn, i;
	int got;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	ck_assert_ptr_nonnull(p);
	srand(seed);
	for (i = 0; i < n; i++) {
		/* Short keys over a small alphabet: prefixes and ties. */
		p[i].kn = long_keys == 2 ? (size_t)(rand() % 21) : long_keys ?
		    (size_t)(12 + rand() % 16) : (size_t)(rand() % 4);
		for (size_t j = 0; j < p[i].kn; j++)
			p[i].k[j] = long_keys == 2 ? (char)(j < 3 ? 'k' :
			    j < 9 ? '0' + rand() % 3 : rand() % 256) :
			    long_keys && j < 14 && rand() % 8 ? 'a' :
			    "ab\0\377"[rand() % 4];
		p[i].rn = (size_t)snprintf(p[i].r, sizeof(p[i].r),
		    "{\"i\":%zu}", i);
		p[i].seq = i;
	}
	x = sz_xsort_new(dir, mem);
	ck_assert_ptr_nonnull(x);
	for (i = 0; i < n; i++)
		ck_assert_int_eq(sz_xsort_add(x, p[i].k, p[i].kn, p[i].r,
		    p[i].rn), 0);
	ck_assert_int_eq(entries(dir), 0);	/* runs are unlinked */
	ck_assert_int_eq(sz_xsort_finish(x), 0);
	qsort(p, n, sizeof(*p), pcmp);
	for (i = 0; (got = sz_xsort_next(x, &k, &kn, &r, &rn)) == 1; i++) {
		ck_assert_uint_lt(i, n);
		ck_assert_uint_eq(kn, p[i].kn);
		ck_assert(memcmp(k, p[i].k, kn) == 0);
		ck_assert_uint_eq(rn, p[i].rn);
		ck_assert(memcmp(r, p[i].r, rn) == 0);
	}
	ck_assert_int_eq(got, 0);
	ck_assert_uint_eq(i, n);
	ck_assert_int_eq(sz_xsort_next(x, &k, &kn, &r, &rn), 0);
	ck_assert_ptr_null(sz_xsort_error(x));
	*runs = sz_xsort_runs(x);
	sz_xsort_free(x);
	ck_assert_int_eq(rmdir(dir), 0);
	free(p);
}

START_TEST(test_memory_only)
{
	size_t runs;

	run(0, 1 << 20, 1, &runs);
	ck_assert_uint_eq(runs, 0);
	run(1, 1 << 20, 2, &runs);
	run(5000, 1 << 20, 3, &runs);
	ck_assert_uint_eq(runs, 0);
}
END_TEST

/* Far more data than memory: many runs, merged more than once (more
 * than 64), still a stable sort. */
START_TEST(test_runs)
{
	size_t runs;

	run(20000, 1 << 16, 4, &runs);
	ck_assert_uint_gt(runs, 3);
	run(60000, 4096, 5, &runs);
	ck_assert_uint_gt(runs, 64);
}
END_TEST

START_TEST(test_long_keys)
{
	size_t runs;

	long_keys = 1;
	run(5000, 1 << 20, 6, &runs);
	ck_assert_uint_eq(runs, 0);
	run(20000, 1 << 16, 7, &runs);
	ck_assert_uint_gt(runs, 3);
	/* A common prefix, then bytes of every value: the radix passes,
	 * short and long runs of equal first bytes. */
	long_keys = 2;
	run(30000, 16 << 20, 8, &runs);
	ck_assert_uint_eq(runs, 0);
	run(30000, 1 << 18, 9, &runs);
	ck_assert_uint_gt(runs, 3);
	long_keys = 0;
}
END_TEST

START_TEST(test_bad_dir)
{
	sz_xsort *x = sz_xsort_new("/nonexistent/dir", 4096);
	char big[3000];
	int rc = 0;

	memset(big, 'x', sizeof(big));
	ck_assert_ptr_nonnull(x);
	for (int i = 0; i < 10 && rc == 0; i++)
		rc = sz_xsort_add(x, "k", 1, big, sizeof(big));
	ck_assert_int_eq(rc, -1);
	ck_assert_ptr_nonnull(sz_xsort_error(x));
	ck_assert(strstr(sz_xsort_error(x), "/nonexistent/dir") != NULL);
	ck_assert_int_eq(sz_xsort_finish(x), -1);
	sz_xsort_free(x);
}
END_TEST

static Suite *
xsort_suite(void)
{
	Suite *s = suite_create("xsort");
	TCase *tc = tcase_create("xsort");

	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_memory_only);
	tcase_add_test(tc, test_runs);
	tcase_add_test(tc, test_long_keys);
	tcase_add_test(tc, test_bad_dir);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(xsort_suite());
	int failed;

	srunner_set_tap(sr, "-");
	srunner_run_all(sr, CK_SILENT);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
