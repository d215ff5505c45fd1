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

START_TEST(test_cap_jstr)
{
	sz_buf b = SZ_BUF_INIT;

	b.cap = 8;
	ck_assert_int_eq(sz_buf_adds(&b, "ab"), 0);
	/* "\"\u0001\"" needs 8 more bytes: over the cap; nothing changes */
	ck_assert_int_eq(sz_buf_add_jstr(&b, "\x01", 1), -1);
	ck_assert_buf(&b, "ab");
	ck_assert_int_eq(sz_buf_add_jstr(&b, "xyz", 3), 0);
	ck_assert_buf(&b, "ab\"xyz\"");
	ck_assert_int_eq(sz_buf_add_jstr(&b, "", 0), -1);
	ck_assert_buf(&b, "ab\"xyz\"");
	sz_buf_free(&b);
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

/* Input bytes and the JSON string literal add_jstr must write for them. */
static const struct {
	const char *in;
	size_t n;
	const char *out;
} jstr_cases[] = {
#define J(in, out) { in, sizeof(in) - 1, out }
	J("", "\"\""),
	J("plain text/with slash", "\"plain text/with slash\""),
	J("a\"b\\c", "\"a\\\"b\\\\c\""),
	J("\b\t\n\f\r", "\"\\b\\t\\n\\f\\r\""),
	J("\x01\x1f\x0b", "\"\\u0001\\u001f\\u000b\""),
	J("a\0b", "\"a\\u0000b\""),
	J("\x7f", "\"\x7f\""),
	J(" ~", "\" ~\""),
	J("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80",
	    "\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\""),
	J("\xef\xbf\xbf\xf4\x8f\xbf\xbf", "\"\xef\xbf\xbf\xf4\x8f\xbf\xbf\""),
	/* invalid UTF-8: one U+FFFD per unit, as jq 1.6 reads it */
	J("\xff", "\"\xef\xbf\xbd\""),
	J("a\x80" "b", "\"a\xef\xbf\xbd" "b\""),
	J("\x80\x80", "\"\xef\xbf\xbd\xef\xbf\xbd\""),
	J("\xc0\xaf", "\"\xef\xbf\xbd\xef\xbf\xbd\""),
	J("\xe2\x82", "\"\xef\xbf\xbd\""),
	J("\xe2\x82x", "\"\xef\xbf\xbdx\""),
	/* as jq 1.6: a sequence that the end cuts short takes the rest */
	J("\xe2x", "\"\xef\xbf\xbd\""),
	J("\xe2\"", "\"\xef\xbf\xbd\""),
	J("\xe2xy", "\"\xef\xbf\xbdxy\""),
	J("\xf0\x9fx", "\"\xef\xbf\xbd\""),
	J("\xf0\x9fxy", "\"\xef\xbf\xbdxy\""),
	J("\xed\xa0\x80", "\"\xef\xbf\xbd\""),
	J("\xf0\x80\x80\x80", "\"\xef\xbf\xbd\""),
	J("\xe0\x80\x80", "\"\xef\xbf\xbd\""),
	J("\xf4\x90\x80\x80", "\"\xef\xbf\xbd\""),
	J("\xf5\x80", "\"\xef\xbf\xbd\xef\xbf\xbd\""),
	J("\xf0\x9f\x98", "\"\xef\xbf\xbd\""),
#undef J
};

START_TEST(test_jstr)
{
	sz_buf b = SZ_BUF_INIT;
	const char *want = jstr_cases[_i].out;

	ck_assert_int_eq(sz_buf_add_jstr(&b, jstr_cases[_i].in,
	    jstr_cases[_i].n), 0);
	ck_assert_msg(b.len == strlen(want) && memcmp(b.p, want, b.len) == 0,
	    "case %d: got %s, expected %s", _i, b.p, want);
	ck_assert_int_eq(b.p[b.len], '\0');
	sz_buf_free(&b);
}
END_TEST

/* jq's form: DEL escaped too; the rest as sz_buf_add_jstr. */
START_TEST(test_jqstr)
{
	sz_buf b = SZ_BUF_INIT;

	ck_assert_int_eq(sz_buf_add_jqstr(&b, "a\x7f\x01\"\xc3\xa9", 6), 0);
	ck_assert_buf(&b, "\"a\\u007f\\u0001\\\"\xc3\xa9\"");
	sz_buf_reset(&b);
	ck_assert_int_eq(sz_buf_add_jstr(&b, "a\x7f", 2), 0);
	ck_assert_buf(&b, "\"a\x7f\"");
	sz_buf_free(&b);
}
END_TEST

START_TEST(test_jstr_appends)
{
	sz_buf b = SZ_BUF_INIT;
	char big[3000];
	size_t i;

	ck_assert_int_eq(sz_buf_adds(&b, "k:"), 0);
	ck_assert_int_eq(sz_buf_add_jstr(&b, "v", 1), 0);
	ck_assert_buf(&b, "k:\"v\"");
	/* Long runs, with escapes at the ends, grow the buffer correctly. */
	for (i = 0; i < sizeof(big); i++)
		big[i] = (char)(i % 3 == 0 ? '\n' : 'a' + i % 26);
	sz_buf_reset(&b);
	ck_assert_int_eq(sz_buf_add_jstr(&b, big, sizeof(big)), 0);
	ck_assert_uint_eq(b.len, 2 + sizeof(big) + sizeof(big) / 3);
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
	tcase_add_test(tc, test_cap_jstr);
	tcase_add_test(tc, test_reset_free);
	tcase_add_loop_test(tc, test_jstr, 0,
	    (int)(sizeof(jstr_cases) / sizeof(jstr_cases[0])));
	tcase_add_test(tc, test_jstr_appends);
	tcase_add_test(tc, test_jqstr);
	suite_add_tcase(s, tc);
	return s;
}

SZ_CHECK_MAIN(buf_suite)
