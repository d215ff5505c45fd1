/* SPDX-License-Identifier: MIT */
/* check_buf.c - unit tests of common/core/buf.c, written as TAP on stdout. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "tap.h"

/* Is b exactly the n bytes s (and NUL-terminated)? */
static int
buf_is(const sz_buf *b, const char *s, size_t n)
{
	return b->len == n && b->p != NULL && memcmp(b->p, s, n) == 0 &&
	    b->p[n] == '\0';
}

#define ck_assert_buf(b, lit) \
	ck_assert_msg(buf_is((b), (lit), sizeof(lit) - 1), \
	    "buffer holds \"%.*s\" (%zu bytes), expected \"%s\"", \
	    (int)(b)->len, (b)->p ? (b)->p : "", (b)->len, (lit))

START_TEST(test_append)
{
	sz_buf b = SZ_BUF_INIT;

	ck_assert_int_eq(sz_buf_add(&b, "ab", 2), 0);
	ck_assert_int_eq(sz_buf_addc(&b, 'c'), 0);
	ck_assert_int_eq(sz_buf_adds(&b, "def"), 0);
	ck_assert_int_eq(sz_buf_add(&b, NULL, 0), 0);
	ck_assert_buf(&b, "abcdef");
	ck_assert_int_eq(sz_buf_printf(&b, "-%d-%s", 42, "x"), 0);
	ck_assert_buf(&b, "abcdef-42-x");
	sz_buf_free(&b);
}
END_TEST

START_TEST(test_empty_reserve)
{
	sz_buf b = SZ_BUF_INIT;

	ck_assert_int_eq(sz_buf_reserve(&b, 0), 0);
	ck_assert_ptr_nonnull(b.p);
	ck_assert_buf(&b, "");
	ck_assert_int_eq(sz_buf_reserve(&b, 1000), 0);
	ck_assert_uint_ge(b.alloc, 1001);
	ck_assert_buf(&b, "");
	sz_buf_free(&b);
}
END_TEST

START_TEST(test_printf_grows)
{
	sz_buf b = SZ_BUF_INIT;
	char big[5000];
	size_t i;

	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	ck_assert_int_eq(sz_buf_adds(&b, "<"), 0);
	ck_assert_int_eq(sz_buf_printf(&b, "%s>%05d", big, 7), 0);
	ck_assert_uint_eq(b.len, 1 + 4999 + 1 + 5);
	ck_assert_int_eq(b.p[0], '<');
	for (i = 1; i < 5000 && b.p[i] == 'x'; i++)
		;
	ck_assert_uint_eq(i, 5000);
	ck_assert_str_eq(b.p + 5000, ">00007");
	ck_assert_int_eq(sz_buf_printf(&b, "%s", ""), 0);
	ck_assert_uint_eq(b.len, 5006);
	sz_buf_free(&b);
}
END_TEST

START_TEST(test_many_appends)
{
	sz_buf b = SZ_BUF_INIT;
	size_t i, bad = 0;

	for (i = 0; i < 100000; i++)
		bad += sz_buf_addc(&b, (char)('a' + i % 26)) != 0;
	ck_assert_uint_eq(bad, 0);
	ck_assert_uint_eq(b.len, 100000);
	for (i = 0; i < 100000; i++)
		bad += b.p[i] != 'a' + (int)(i % 26);
	ck_assert_uint_eq(bad, 0);
	ck_assert_int_eq(b.p[b.len], '\0');
	sz_buf_free(&b);
}
END_TEST

START_TEST(test_cap)
{
	sz_buf b = SZ_BUF_INIT;

	b.cap = 10;
	ck_assert_int_eq(sz_buf_adds(&b, "0123456789"), 0);
	ck_assert_int_eq(sz_buf_addc(&b, 'x'), -1);
	ck_assert_int_eq(sz_buf_add(&b, "xy", 2), -1);
	ck_assert_int_eq(sz_buf_printf(&b, "%d", 1), -1);
	ck_assert_int_eq(sz_buf_reserve(&b, 1), -1);
	ck_assert_int_eq(sz_buf_reserve(&b, (size_t)-1), -1);
	ck_assert_int_eq(sz_buf_add(&b, "", 0), 0);
	ck_assert_buf(&b, "0123456789");
	ck_assert_uint_le(b.alloc, 11);
	sz_buf_reset(&b);
	ck_assert_buf(&b, "");
	ck_assert_int_eq(sz_buf_printf(&b, "%s", "abcdefghijk"), -1);
	ck_assert_buf(&b, "");
	ck_assert_int_eq(sz_buf_printf(&b, "%s", "abcdefghij"), 0);
	ck_assert_buf(&b, "abcdefghij");
	sz_buf_free(&b);
	ck_assert_uint_eq(b.cap, 10);
}
END_TEST

START_TEST(test_reset_free)
{
	sz_buf b = SZ_BUF_INIT;
	size_t alloc;

	ck_assert_int_eq(sz_buf_adds(&b, "hello"), 0);
	alloc = b.alloc;
	sz_buf_reset(&b);
	ck_assert_buf(&b, "");
	ck_assert_uint_eq(b.alloc, alloc);
	sz_buf_free(&b);
	ck_assert_ptr_null(b.p);
	ck_assert_uint_eq(b.len, 0);
	sz_buf_free(&b);
	sz_buf_reset(&b);
	ck_assert_int_eq(sz_buf_adds(&b, "again"), 0);
	ck_assert_buf(&b, "again");
	sz_buf_free(&b);
}
END_TEST

static Suite *
buf_suite(void)
{
	Suite *s = suite_create("buf");
	TCase *tc = tcase_create("buf");

	tcase_add_test(tc, test_append);
	tcase_add_test(tc, test_empty_reserve);
	tcase_add_test(tc, test_printf_grows);
	tcase_add_test(tc, test_many_appends);
	tcase_add_test(tc, test_cap);
	tcase_add_test(tc, test_reset_free);
	suite_add_tcase(s, tc);
	return s;
}

SZ_CHECK_MAIN(buf_suite)
