/* SPDX-License-Identifier: MIT */
/* check_str.c - unit tests of common/json/str.c (JSON string text),
 * written as TAP on stdout. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "json/json.h"
#include "json/str.h"
#include "tap.h"

#define NELEM(a) ((int)(sizeof(a) / sizeof((a)[0])))
#define FFFD "\xef\xbf\xbd"

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

/* ---- UTF-8 ----------------------------------------------------------- */

/* Bytes, and the units sz_utf8_unit cuts them into ('+' valid, '-' one
 * U+FFFD), each unit's length after its sign. */
static const struct {
	const char *in;
	size_t n;
	const char *units;
} utf8_cases[] = {
#define U(in, units) { in, sizeof(in) - 1, units }
	U("a", "+1"),
	U("\xc3\xa9", "+2"),
	U("\xe2\x82\xac", "+3"),
	U("\xf0\x9f\x98\x80", "+4"),
	U("\xf4\x8f\xbf\xbf", "+4"),
	U("\x80", "-1"),
	U("\xc0\xaf", "-1-1"),
	U("\xc1\xbf", "-1-1"),
	U("\xf5\x80", "-1-1"),
	U("\xff", "-1"),
	U("\xe0\x80\x80", "-3"),		/* overlong */
	U("\xf0\x8f\xbf\xbf", "-4"),		/* overlong */
	U("\xed\xa0\x80", "-3"),		/* surrogate */
	U("\xf4\x90\x80\x80", "-4"),		/* above U+10FFFF */
	U("\xe2\x82x", "-2+1"),		/* cut short by 'x' */
	U("\xe2x", "-2"),			/* cut short by the end */
	U("\xf0\x9fxy", "-2+1+1"),
	U("\xf0\x9fx", "-3"),
#undef U
};

START_TEST(test_utf8_unit)
{
	const char *p = utf8_cases[_i].in, *e = p + utf8_cases[_i].n;
	const char *u = utf8_cases[_i].units;
	int ok, valid = 1;

	while (p < e) {
		size_t n = sz_utf8_unit(p, e, &ok);

		ck_assert_msg(*u != '\0', "case %d: more units", _i);
		ck_assert_int_eq(ok, u[0] == '+');
		ck_assert_uint_eq(n, (size_t)(u[1] - '0'));
		valid &= ok;
		p += n;
		u += 2;
	}
	ck_assert_msg(*u == '\0', "case %d: fewer units", _i);
	ck_assert_int_eq(sz_utf8_valid(utf8_cases[_i].in, utf8_cases[_i].n),
	    valid);
}
END_TEST

/* Long ASCII runs (read eight bytes at a time) around a bad byte. */
START_TEST(test_utf8_valid_runs)
{
	char s[40];

	memset(s, 'a', sizeof(s));
	ck_assert(sz_utf8_valid(s, sizeof(s)));
	ck_assert(sz_utf8_valid(s, 0));
	for (size_t i = 0; i < sizeof(s); i++) {
		s[i] = (char)0x80;
		ck_assert_msg(!sz_utf8_valid(s, sizeof(s)), "bad at %zu", i);
		ck_assert(sz_utf8_valid(s, i));
		s[i] = 'a';
	}
	memcpy(s + 30, "\xf0\x9f\x98\x80", 4);
	ck_assert(sz_utf8_valid(s, sizeof(s)));
	ck_assert(!sz_utf8_valid(s, 33));
}
END_TEST

START_TEST(test_escapes)
{
	static const char pair[] = "\\ude00";

	ck_assert_uint_eq(sz_jstr_hex4("00e9"), 0xe9);
	ck_assert_uint_eq(sz_jstr_hex4("D83d"), 0xd83d);
	ck_assert_uint_eq(sz_jstr_hex4("ffFF"), 0xffff);
	ck_assert_uint_eq(sz_jstr_low_at(pair, pair + 6), 0xde00);
	ck_assert_uint_eq(sz_jstr_low_at(pair, pair + 5), 0);
	ck_assert_uint_eq(sz_jstr_low_at("\\udbff", "\\udbff" + 6), 0);
	ck_assert_uint_eq(sz_jstr_low_at("\\u0041", "\\u0041" + 6), 0);
	ck_assert_uint_eq(sz_jstr_low_at("\\udcxx", "\\udcxx" + 6), 0);
	ck_assert_uint_eq(sz_jstr_low_at("\\n\\udc00", "\\n\\udc00" + 8), 0);
	ck_assert_uint_eq(sz_jstr_low_at("\\uDFFF", "\\uDFFF" + 6), 0xdfff);
	ck_assert(SZ_UTF16_HIGH(0xd800) && SZ_UTF16_HIGH(0xdbff));
	ck_assert(!SZ_UTF16_HIGH(0xdc00) && SZ_UTF16_LOW(0xdc00));
	ck_assert(!SZ_UTF16_LOW(0xe000) && !SZ_UTF16_LOW(0xd7ff));
}
END_TEST

/* ---- reading literals ------------------------------------------------ */

static const struct {
	const char *lit;	/* a JSON string literal */
	const char *dec;	/* its decoded bytes */
	size_t decn;
} str_cases[] = {
#define S(lit, dec) { lit, dec, sizeof(dec) - 1 }
	S("\"\"", ""),
	S("\"abc\"", "abc"),
	S("\"\\\"\\\\\\/\\b\\f\\n\\r\\t\"", "\"\\/\b\f\n\r\t"),
	S("\"\\u0041\\u00e9\\u20AC\"", "A\xc3\xa9\xe2\x82\xac"),
	S("\"\\u0000\"", "\0"),
	S("\"\\ud83d\\ude00\"", "\xf0\x9f\x98\x80"),
	S("\"\\uD834\\uDD1E\"", "\xf0\x9d\x84\x9e"),
	S("\"\\udc00\"", "\xef\xbf\xbd"),
	S("\"\\udfff\\ud83d\\ude00\"", "\xef\xbf\xbd\xf0\x9f\x98\x80"),
	S("\"\\udc00x\"", "\xef\xbf\xbdx"),
	S("\"caf\xc3\xa9\"", "caf\xc3\xa9"),
	S("\"\xff\"", "\xef\xbf\xbd"),
	S("\"a\xc0\xaf" "b\"", "a\xef\xbf\xbd\xef\xbf\xbd" "b"),
	S("\"\xed\xa0\x80\"", "\xef\xbf\xbd"),
	S("\"\xe2\x82\"", "\xef\xbf\xbd"),
	/* jq 1.6 reads the bytes after the escapes are resolved, and a
	 * sequence that the end cuts short takes all that is left. */
	S("\"\xeb\xeb\"", FFFD),
	S("\"\\n\xeb\xeb\"", "\n" FFFD),
	S("\"\xe2x\"", FFFD),
	S("\"\xe2xy\"", FFFD "xy"),
	S("\"\xe2\x82x\"", FFFD "x"),
	S("\"\xe2\\u0041\"", FFFD),
	S("\"\xe2\\u0041\\u0041\"", FFFD "AA"),
	S("\"\xf0\\u00e9\"", FFFD),
	S("\"\xf0\x9f\\u00e9\"", FFFD "\xc3\xa9"),
	S("\"\xf0\\udc00\"", FFFD FFFD),
	S("\"\xf0\\n\\n\\n\"", FFFD "\n\n\n"),
	S("\"\xf0\\n\\n\"", FFFD),
	S("\"\xc3\\u00a9\"", FFFD "\xc2\xa9"),
	S("\"\xc0\x80\"", FFFD FFFD),
	S("\"\xe0\x80\x80\"", FFFD),
	S("\"\xe0\x9f\xbf\"", FFFD),
	S("\"\xf0\x8f\xbf\xbf\"", FFFD),
	S("\"\xf4\x90\x80\x80\"", FFFD),
	S("\"\xf5\x80\"", FFFD FFFD),
	S("\"\x80\xbf\"", FFFD FFFD),
	S("\"\xef\xbf\xbd\xf4\x8f\xbf\xbf\"", FFFD "\xf4\x8f\xbf\xbf"),
	S("\"\x7f\"", "\x7f"),
#undef S
};

START_TEST(test_unescape)
{
	sz_buf b = SZ_BUF_INIT;
	const char *lit = str_cases[_i].lit;

	ck_assert_int_eq(sz_json_validate(lit, strlen(lit), NULL, NULL), 0);
	ck_assert_int_eq(sz_buf_adds(&b, "pre"), 0);
	ck_assert_int_eq(sz_json_unescape(lit, strlen(lit), &b), 0);
	ck_assert_msg(b.len == 3 + str_cases[_i].decn &&
	    memcmp(b.p, "pre", 3) == 0 &&
	    memcmp(b.p + 3, str_cases[_i].dec, str_cases[_i].decn) == 0 &&
	    b.p[b.len] == '\0', "%s: decoded wrongly", lit);
	sz_buf_free(&b);
	ck_assert_int_eq(sz_json_unescape(lit, strlen(lit), &b), 0);
	ck_assert_ptr_nonnull(b.p);
	ck_assert_int_eq(b.p[b.len], '\0');
	sz_buf_free(&b);
}
END_TEST

START_TEST(test_str_eq)
{
	const char *lit = str_cases[_i].lit, *dec = str_cases[_i].dec;
	size_t n = strlen(lit), dn = str_cases[_i].decn;

	ck_assert_msg(sz_json_str_eq(lit, n, dec, dn), "%s: not equal", lit);
	if (dn > 0) {
		ck_assert_msg(!sz_json_str_eq(lit, n, dec, dn - 1),
		    "%s: equal to a prefix", lit);
	}
	ck_assert_msg(!sz_json_str_eq(lit, n, "zzzzzzzzzzzz", dn + 1),
	    "%s: equal to a longer key", lit);
	ck_assert_msg(sz_json_str_cmp(lit, n, lit, n) == 0, "%s: cmp", lit);
}
END_TEST

START_TEST(test_str_cmp)
{
#define CMP(a, b) sz_json_str_cmp(a, strlen(a), b, strlen(b))
	ck_assert_int_lt(CMP("\"a\"", "\"b\""), 0);
	ck_assert_int_gt(CMP("\"b\"", "\"a\""), 0);
	ck_assert_int_lt(CMP("\"a\"", "\"ab\""), 0);
	ck_assert_int_gt(CMP("\"ab\"", "\"a\""), 0);
	ck_assert_int_lt(CMP("\"\"", "\"a\""), 0);
	ck_assert_int_eq(CMP("\"\"", "\"\""), 0);
	ck_assert_int_eq(CMP("\"\\u00e9\"", "\"\xc3\xa9\""), 0);
	ck_assert_int_eq(CMP("\"\\u0041b\"", "\"Ab\""), 0);
	/* bytes compare unsigned: U+00E9 (C3 A9) after "z" */
	ck_assert_int_gt(CMP("\"\\u00e9\"", "\"z\""), 0);
	/* U+FFFF (EF BF BF) before U+1F600 (F0 9F 98 80) */
	ck_assert_int_lt(CMP("\"\\uffff\"", "\"\\ud83d\\ude00\""), 0);
	ck_assert_int_eq(CMP("\"\xff\"", "\"\\ufffd\""), 0);
	ck_assert_int_lt(CMP("\"a\\u0000\"", "\"a\\u0001\""), 0);
	ck_assert_int_gt(CMP("\"a\\u0000\"", "\"a\""), 0);
#undef CMP
}
END_TEST

/* sz_jstr_decode: in place exactly when the literal is its own decoded
 * form, else decoded into scratch; the bytes are sz_json_unescape's. */
START_TEST(test_decode)
{
	const char *lit = str_cases[_i].lit, *got;
	size_t n = strlen(lit), len = 99;
	sz_buf scratch = SZ_BUF_INIT;
	int plain = sz_jstr_plain(lit + 1, n - 2);

	ck_assert_int_eq(sz_buf_adds(&scratch, "old"), 0);
	got = sz_jstr_decode(lit, n, &scratch, &len);
	ck_assert_ptr_nonnull(got);
	ck_assert_msg(len == str_cases[_i].decn &&
	    memcmp(got, str_cases[_i].dec, len) == 0, "%s: decoded wrongly",
	    lit);
	if (plain)
		ck_assert_ptr_eq(got, lit + 1);
	else
		ck_assert_ptr_eq(got, scratch.p);
	/* plain: no backslash and valid UTF-8 */
	ck_assert_int_eq(plain, memchr(lit + 1, '\\', n - 2) == NULL &&
	    sz_utf8_valid(lit + 1, n - 2));
	/* clean (jq reads it as written) when no U+FFFD came from bad
	 * bytes: none of these cases holds a literal U+FFFD but one */
	if (plain)
		ck_assert(sz_jstr_clean(lit + 1, n - 2));
	sz_buf_free(&scratch);
}
END_TEST

START_TEST(test_clean)
{
#define CLEAN(lit) sz_jstr_clean(lit, sizeof(lit) - 1)
	ck_assert(CLEAN(""));
	ck_assert(CLEAN("abc\\n\\u0041"));
	ck_assert(CLEAN("caf\xc3\xa9 \\u00e9"));
	ck_assert(CLEAN("\\ud83d\\ude00"));
	ck_assert(CLEAN("\\\\udc00"));		/* an escaped backslash */
	ck_assert(CLEAN("\xef\xbf\xbd"));	/* U+FFFD written as such */
	ck_assert(!CLEAN("\\udc00"));
	ck_assert(!CLEAN("\\ud83dx"));
	ck_assert(!CLEAN("\\ud83d\\u0041"));
	ck_assert(!CLEAN("a\xff"));
	ck_assert(!CLEAN("\xe2\x82"));
	ck_assert(!CLEAN("\xed\xa0\x80"));
#undef CLEAN
}
END_TEST

/* ---- writing --------------------------------------------------------- */

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

START_TEST(test_visible)
{
	sz_buf b = SZ_BUF_INIT;

	ck_assert_int_eq(sz_buf_add_visible(&b, "a\nb\r\tc", 6), 0);
	ck_assert_buf(&b, "a\\nb\\r\\tc");
	sz_buf_reset(&b);
	ck_assert_int_eq(sz_buf_add_visible(&b, "\x01\x7f\x1b[0m\0", 7), 0);
	ck_assert_buf(&b, "\\x01\\x7f\\x1b[0m\\x00");
	sz_buf_reset(&b);
	/* other bytes, quotes and backslashes as they are */
	ck_assert_int_eq(sz_buf_add_visible(&b, "\"\\\xc3\xa9\xff", 5), 0);
	ck_assert_buf(&b, "\"\\\xc3\xa9\xff");
	sz_buf_free(&b);
}
END_TEST

/* Bytes that are not UTF-8 as \udcXX: the literal is valid JSON, jq's
 * reading gives what sz_buf_add_jstr writes, and sz_json_unescape_bytes
 * gives the bytes back, for every byte alone and for random strings. */
static void
check_bytes_roundtrip(const char *in, size_t n)
{
	sz_buf lit = SZ_BUF_INIT, back = SZ_BUF_INIT, jq = SZ_BUF_INIT;
	sz_buf plain = SZ_BUF_INIT;

	ck_assert_int_eq(sz_buf_add_jstr_bytes(&lit, in, n), 0);
	ck_assert_int_eq(sz_json_validate(lit.p, lit.len, NULL, NULL), 0);
	ck_assert_int_eq(sz_json_unescape_bytes(lit.p, lit.len, &back), 0);
	ck_assert_msg(back.len == n && memcmp(back.p, in, n) == 0,
	    "round trip of %zu bytes: got %zu", n, back.len);
	ck_assert_int_eq(back.p[back.len], '\0');
	/* jq reads each \udcXX as U+FFFD: valid UTF-8 text; valid UTF-8
	 * input is written as sz_buf_add_jstr writes it. */
	ck_assert_int_eq(sz_buf_add_jstr(&plain, in, n), 0);
	ck_assert_int_eq(sz_json_unescape(lit.p, lit.len, &jq), 0);
	ck_assert_int_eq(sz_utf8_valid(jq.p, jq.len), 1);
	if (sz_utf8_valid(in, n))
		ck_assert(lit.len == plain.len &&
		    memcmp(lit.p, plain.p, lit.len) == 0);
	sz_buf_free(&lit);
	sz_buf_free(&back);
	sz_buf_free(&jq);
	sz_buf_free(&plain);
}

START_TEST(test_jstr_bytes)
{
	sz_buf b = SZ_BUF_INIT;
	char one[3];
	unsigned seed = 16;

	ck_assert_int_eq(sz_buf_add_jstr_bytes(&b, "a\xff\xc3\x28\xe2\x82"
	    "\x01\"\\\xc3\xa9", 11), 0);
	ck_assert_buf(&b, "\"a\\udcff\\udcc3(\\udce2\\udc82\\u0001\\\"\\\\"
	    "\xc3\xa9\"");
	sz_buf_reset(&b);
	ck_assert_int_eq(sz_json_unescape_bytes("\"\\ud83d\\ude00\\udc7f"
	    "\\n\"", 22, &b), 0);
	ck_assert_buf(&b, "\xf0\x9f\x98\x80\xef\xbf\xbd\n");
	sz_buf_reset(&b);
	ck_assert_int_eq(sz_json_unescape_bytes("\"\"", 2, &b), 0);
	ck_assert_uint_eq(b.len, 0);
	ck_assert_int_eq(b.p[0], '\0');
	sz_buf_free(&b);
	for (int c = 0; c < 256; c++) {
		one[0] = (char)c;
		one[1] = 'x';
		one[2] = (char)(c ^ 0x80);
		check_bytes_roundtrip(one, 1);
		check_bytes_roundtrip(one, 3);
	}
	for (int i = 0; i < 2000; i++) {
		char r[40];
		size_t n = (size_t)(rand_r(&seed) % sizeof(r));

		for (size_t j = 0; j < n; j++)
			r[j] = (char)(rand_r(&seed) % 4 == 0 ? 0x80 +
			    rand_r(&seed) % 0x80 : rand_r(&seed) % 256);
		check_bytes_roundtrip(r, n);
	}
}
END_TEST

static Suite *
str_suite(void)
{
	Suite *s = suite_create("str");
	TCase *tc;

	tc = tcase_create("utf8");
	tcase_add_loop_test(tc, test_utf8_unit, 0, NELEM(utf8_cases));
	tcase_add_test(tc, test_utf8_valid_runs);
	tcase_add_test(tc, test_escapes);
	suite_add_tcase(s, tc);

	tc = tcase_create("read");
	tcase_add_loop_test(tc, test_unescape, 0, NELEM(str_cases));
	tcase_add_loop_test(tc, test_str_eq, 0, NELEM(str_cases));
	tcase_add_loop_test(tc, test_decode, 0, NELEM(str_cases));
	tcase_add_test(tc, test_str_cmp);
	tcase_add_test(tc, test_clean);
	suite_add_tcase(s, tc);

	tc = tcase_create("write");
	tcase_add_test(tc, test_cap_jstr);
	tcase_add_loop_test(tc, test_jstr, 0, NELEM(jstr_cases));
	tcase_add_test(tc, test_jstr_appends);
	tcase_add_test(tc, test_jqstr);
	tcase_add_test(tc, test_visible);
	tcase_add_test(tc, test_jstr_bytes);
	suite_add_tcase(s, tc);
	return s;
}

SZ_CHECK_MAIN(str_suite)
