/* SPDX-License-Identifier: MIT */
/* check_items.c - unit tests of common/core/items.c, written as TAP on stdout. */
#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/items.h"

static void
push(sz_items *l, uint64_t seq, const char *s)
{
	ck_assert_int_eq(sz_items_push(l, seq, s, strlen(s)), 0);
}

START_TEST(test_push_get)
{
	sz_items l;
	size_t n;
	const char *p;

	memset(&l, 0, sizeof(l));
	ck_assert_uint_eq(sz_items_bytes(&l), 0);
	push(&l, 1, "{\"a\":1}");
	push(&l, 2, "2");
	push(&l, 3, "\"x,y\"");
	ck_assert_str_eq(l.text.p, "{\"a\":1},2,\"x,y\"");
	ck_assert_uint_eq(l.n, 3);
	p = sz_items_get(&l, 0, &n);
	ck_assert_uint_eq(n, 7);
	ck_assert(memcmp(p, "{\"a\":1}", n) == 0);
	p = sz_items_get(&l, 2, &n);
	ck_assert_uint_eq(n, 5);
	ck_assert(memcmp(p, "\"x,y\"", n) == 0);
	ck_assert_uint_eq(sz_items_bytes(&l), l.text.len + 3 * 16);
	sz_items_free(&l);
	ck_assert_uint_eq(l.n, 0);
	ck_assert_ptr_null(l.text.p);
}
END_TEST

/* Merging gives arrival order, whichever list the items came from. */
START_TEST(test_merge_order)
{
	sz_items d, s;

	memset(&d, 0, sizeof(d));
	memset(&s, 0, sizeof(s));
	push(&d, 1, "a");
	push(&d, 4, "d");
	push(&d, 5, "e");
	push(&s, 2, "b");
	push(&s, 3, "c");
	push(&s, 9, "z");
	ck_assert_int_eq(sz_items_merge(&d, &s), 0);
	ck_assert_str_eq(d.text.p, "a,b,c,d,e,z");
	ck_assert_uint_eq(d.n, 6);
	for (size_t i = 1; i < d.n; i++)
		ck_assert(d.seq[i - 1] < d.seq[i]);
	ck_assert_uint_eq(s.n, 0);
	/* Into an empty list, and an empty source. */
	ck_assert_int_eq(sz_items_merge(&s, &d), 0);
	ck_assert_str_eq(s.text.p, "a,b,c,d,e,z");
	ck_assert_int_eq(sz_items_merge(&s, &d), 0);
	ck_assert_str_eq(s.text.p, "a,b,c,d,e,z");
	sz_items_free(&d);
	sz_items_free(&s);
}
END_TEST

/* Many items each way: the merge is the sorted union. */
START_TEST(test_merge_many)
{
	sz_items d, s;
	char b[32];
	size_t n;
	const char *p;

	memset(&d, 0, sizeof(d));
	memset(&s, 0, sizeof(s));
	for (unsigned i = 0; i < 1000; i++) {
		snprintf(b, sizeof(b), "%u", i);
		push(i % 3 == 0 ? &s : &d, i, b);
	}
	ck_assert_int_eq(sz_items_merge(&d, &s), 0);
	ck_assert_uint_eq(d.n, 1000);
	for (unsigned i = 0; i < 1000; i++) {
		p = sz_items_get(&d, i, &n);
		snprintf(b, sizeof(b), "%u", i);
		ck_assert_uint_eq(n, strlen(b));
		ck_assert(memcmp(p, b, n) == 0);
	}
	sz_items_free(&d);
}
END_TEST

/* At the buffer's cap a push fails and leaves the list as it was. */
START_TEST(test_cap)
{
	sz_items l;

	memset(&l, 0, sizeof(l));
	l.text.cap = 8;
	push(&l, 1, "1234");
	ck_assert_int_eq(sz_items_push(&l, 2, "5678", 4), -1);
	ck_assert_uint_eq(l.n, 1);
	ck_assert_str_eq(l.text.p, "1234");
	push(&l, 3, "56");
	ck_assert_str_eq(l.text.p, "1234,56");
	sz_items_free(&l);
}
END_TEST

static Suite *
items_suite(void)
{
	Suite *s = suite_create("items");
	TCase *tc = tcase_create("items");

	tcase_add_test(tc, test_push_get);
	tcase_add_test(tc, test_merge_order);
	tcase_add_test(tc, test_merge_many);
	tcase_add_test(tc, test_cap);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(items_suite());
	int failed;

	srunner_set_tap(sr, "-");
	srunner_run_all(sr, CK_SILENT);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
