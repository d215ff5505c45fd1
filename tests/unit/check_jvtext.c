/* SPDX-License-Identifier: MIT */
/*
 * check_jvtext.c - unit tests of common/jq/jvtext.c, as TAP on stdout.
 *
 * The reference is libjq itself: every value built from text must print
 * (through jv_dump_string) exactly as the value jv_parse_sized builds, and
 * every value sz_jv_dump prints must be byte for byte jv_dump_string's
 * text. Random inputs come from a fixed-seed generator, so a failure
 * repeats.
 */
#include <check.h>
#include <dirent.h>
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json/json.h"
#include "jq/jvtext.h"
#include "tap.h"

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

static uint64_t rng = 0x9E3779B97F4A7C15ull;

static uint64_t
rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

/* jq's text of v (consumed), in a static buffer. */
static const char *
jq_text(jv v, char *out, size_t cap)
{
	jv s = jv_dump_string(v, 0);

	snprintf(out, cap, "%s", jv_string_value(s));
	jv_free(s);
	return out;
}

/* ---- numbers ------------------------------------------------------------ */

static int
num_same(double d)
{
	char mine[SZ_JV_NUMBUF], ref[64];

	sz_jv_fmt_number(d, mine);
	jq_text(jv_number(d), ref, sizeof(ref));
	if (strcmp(mine, ref) != 0) {
		fprintf(stderr, "# %.17g: jq %s, sz %s\n", d, ref, mine);
		return 0;
	}
	return 1;
}

static const double num_cases[] = {
	0.0, 1.0, -1.0, 0.5, 0.1, 0.2, 0.3, 1.5, 12.02, 14.37, 100, 1e15,
	1e16, 1e17, 1e18, 1e21, 1e22, 1e23, 1e-4, 1e-5, 1e-7, 0.0001,
	0.00012, 123456789012345678.0, 12345678901234567890.0,
	999999999999999.0, 9999999999999998.0, 4503599627370496.5,
	9007199254740992.0, 9007199254740993.0, 1.7976931348623157e308,
	5e-324, 2.2250738585072014e-308, 2.225073858507201e-308,
	3.141592653589793, 2.718281828459045, 1.0 / 3, 2.0 / 3, 1e100,
	1.5e300, 123.456, 0.000999, 0.001, 1234567.125, 0.30000000000000004,
};

START_TEST(test_num_table)
{
	ck_assert(num_same(num_cases[_i]));
	ck_assert(num_same(-num_cases[_i]));
}
END_TEST

START_TEST(test_num_special)
{
	char b[SZ_JV_NUMBUF];

	ck_assert_str_eq((sz_jv_fmt_number(NAN, b), b), "null");
	ck_assert_str_eq((sz_jv_fmt_number(INFINITY, b), b),
	    "1.7976931348623157e+308");
	ck_assert_str_eq((sz_jv_fmt_number(-INFINITY, b), b),
	    "-1.7976931348623157e+308");
	ck_assert_str_eq((sz_jv_fmt_number(-0.0, b), b), "-0");
	ck_assert_str_eq((sz_jv_fmt_number(1e-5, b), b), "1e-05");
	ck_assert_str_eq((sz_jv_fmt_number(1e17, b), b), "1e+17");
	ck_assert_str_eq((sz_jv_fmt_number(1e15, b), b), "1000000000000000");
	ck_assert_str_eq((sz_jv_fmt_number(12.02, b), b), "12.02");
	ck_assert(num_same(INFINITY) && num_same(-INFINITY) && num_same(NAN));
}
END_TEST

/* Every power of two, the edges of the binary exponents. */
START_TEST(test_num_powers_of_two)
{
	int bad = 0;

	for (int e = -1074; e <= 1023; e++) {
		double d = ldexp(1.0, e);

		bad += !num_same(d) + !num_same(nextafter(d, 0)) +
		    !num_same(nextafter(d, INFINITY));
	}
	ck_assert_int_eq(bad, 0);
}
END_TEST

/* Random bit patterns: every exponent, 17-digit mantissas. */
START_TEST(test_num_random_bits)
{
	int bad = 0;

	for (int i = 0; i < 300000 && bad < 10; i++) {
		uint64_t u = rnd();
		double d;

		memcpy(&d, &u, sizeof(d));
		if (isnan(d))
			continue;
		bad += !num_same(d);
	}
	ck_assert_int_eq(bad, 0);
}
END_TEST

/* Decimals as data has them: M / 10^k, M * 10^k, integers. */
START_TEST(test_num_random_decimals)
{
	int bad = 0;

	for (int i = 0; i < 300000 && bad < 10; i++) {
		uint64_t m = rnd() % (1ull << (rnd() % 60 + 1));
		int k = (int)(rnd() % 40) - 20;
		double d = k < 0 ? (double)m / pow(10, -k) :
		    (double)m * pow(10, k);

		bad += !num_same(d);
		bad += !num_same((double)m);
	}
	ck_assert_int_eq(bad, 0);
}
END_TEST

/* ---- building ------------------------------------------------------------- */

/* Does sz_jv_from_json(text) give jq's value (or jq's error)? */
static int
build_same(const char *p, size_t n)
{
	sz_buf tmp = { 0 };
	jv a = sz_jv_from_json(p, n, &tmp);
	jv b = jv_parse_sized(p, (int)n);
	int ok;

	if (jv_is_valid(a) != jv_is_valid(b)) {
		ok = 0;
		jv_free(a);
		jv_free(b);
	} else if (!jv_is_valid(a)) {
		jv ma = jv_invalid_get_msg(a), mb = jv_invalid_get_msg(b);

		ok = jv_equal(ma, mb);
	} else {
		jv sa = jv_dump_string(a, 0), sb = jv_dump_string(b, 0);

		ok = strcmp(jv_string_value(sa), jv_string_value(sb)) == 0;
		jv_free(sa);
		jv_free(sb);
	}
	if (!ok)
		fprintf(stderr, "# differs from jq: %.*s\n", (int)n, p);
	sz_buf_free(&tmp);
	return ok;
}

static const char *build_cases[] = {
	"null", "true", "false", "0", "-0", "-0.0", "1", "1.0", "1e0",
	"1E+2", "1e-2", "12.02", "123456789012345678901234567890",
	"1e400", "-1e400", "1e-400", "4.9e-324", "2.4703282292062328e-324",
	"0.1e1", "100e-2", "1.7976931348623157e308", "1.7976931348623159e308",
	"0.00000000000000000000000000000000001234",
	"123456789012345.6", "1234567890123456.7", "9007199254740993",
	"\"\"", "\"abc\"", "\"a\\\"b\\\\c\\/d\\b\\f\\n\\r\\t\"",
	"\"\\u0041\\u00e9\\u20AC\\uD83D\\uDE00\"", "\"\\u0000x\"",
	"\"lone low \\uDC00 here\"", "\"\\n\xeb\xeb\"", "\"\xe2\\u0041\"",
	"{\"\xf0\\n\\n\":\"\xf0\\u00e9\",\"\\n\xeb\xeb\":1}",
	"\"raw \xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\"",
	"\"bad utf8 \xff \xc3 \xed\xa0\x80 \xf4\x90\x80\x80\"",
	"[]", "{}", "[1,[2,[3]],{\"a\":[]}]", " \t\r\n[ 1 , 2 ]\n ",
	"{\"a\":1,\"a\":2}", "{\"a\":1,\"\\u0061\":2,\"b\":3}",
	"{\"b\":1,\"a\":2,\"c\":{\"z\":1,\"y\":2}}",
	"{\"k\\u00e9y\":\"v\",\"\":null}",
	"{\"id\":\"u0000001-f8d7bb\",\"type\":\"click\",\"amount\":12.02,"
	    "\"user\":{\"name\":\"Grace Wirth\",\"country\":\"US\"},"
	    "\"tags\":[\"north-am\",\"retry\",\"gift\"],"
	    "\"ts\":\"2024-01-01T00:00:54.038Z\",\"ok\":false}",
};

START_TEST(test_build_table)
{
	const char *p = build_cases[_i];
	const char *reason;

	ck_assert_msg(sz_json_validate(p, strlen(p), &reason, NULL) == 0,
	    "not valid: %s", p);
	ck_assert(build_same(p, strlen(p)));
}
END_TEST

/* Does jq's parser reject p[0..n)? */
static int
jq_rejects(const char *p, size_t n)
{
	jv v = jv_parse_sized(p, (int)n);
	int bad = !jv_is_valid(v);

	jv_free(v);
	return bad;
}

/*
 * Nesting up to the scanner's bound, which jq's parser accepts whatever
 * the containers, and just past it, which jq rejects for objects (and
 * for arrays only at 257).
 */
START_TEST(test_build_deep)
{
	static const int depths[] = { 1, 99, 100, 101, 127, 128, 129, 256,
	    257 };

	for (size_t i = 0; i < NELEM(depths); i++) {
		int d = depths[i];
		char *p = malloc((size_t)d * 2 + 1);

		ck_assert_ptr_nonnull(p);
		for (int k = 0; k < d; k++) {
			p[k] = '[';
			p[2 * d - 1 - k] = ']';
		}
		p[2 * d] = '\0';
		ck_assert_int_eq(sz_json_validate(p, (size_t)d * 2, NULL,
		    NULL), d <= SZ_JSON_MAX_DEPTH ? 0 : -1);
		if (d <= SZ_JSON_MAX_DEPTH)
			ck_assert(build_same(p, (size_t)d * 2));
		ck_assert_int_eq(jq_rejects(p, (size_t)d * 2), d > 256);
		free(p);
	}
	/* Objects too: {"a":{"a":...1...}} */
	for (size_t i = 0; i < NELEM(depths); i++) {
		sz_buf b = { 0 };
		int d = depths[i];

		for (int k = 0; k < d; k++)
			ck_assert_int_eq(sz_buf_adds(&b, "{\"a\":"), 0);
		ck_assert_int_eq(sz_buf_addc(&b, '1'), 0);
		for (int k = 0; k < d; k++)
			ck_assert_int_eq(sz_buf_addc(&b, '}'), 0);
		ck_assert_int_eq(sz_json_validate(b.p, b.len, NULL, NULL),
		    d <= SZ_JSON_MAX_DEPTH ? 0 : -1);
		if (d <= SZ_JSON_MAX_DEPTH)
			ck_assert(build_same(b.p, b.len));
		ck_assert_int_eq(jq_rejects(b.p, b.len), d > 128);
		sz_buf_free(&b);
	}
}
END_TEST

/* Random JSON text with every spelling the builder must handle. */
static void
gen_string(sz_buf *b)
{
	static const char *pieces[] = {
		"a", "Z", " ", "\\\"", "\\\\", "\\/", "\\b", "\\f", "\\n",
		"\\r", "\\t", "\\u0041", "\\u00e9", "\\u001f", "\\u007F",
		"\\uD83D\\uDE00", "\\uDC00", "\xc3\xa9", "\xe2\x82\xac",
		"\xf0\x9f\x98\x80", "\xff", "\xc3", "\x7f", "key", "\\u0000",
		"\xe2", "\xe2\x82", "\xf0\x9f", "\xed\xa0\x80", "\xc0\x80",
		"\x80", "\xf4\x90\x80\x80", "\xe0\x80\x80", "\xf5",
	};
	int n = (int)(rnd() % 6);

	sz_buf_addc(b, '"');
	while (n-- > 0)
		sz_buf_adds(b, pieces[rnd() % NELEM(pieces)]);
	sz_buf_addc(b, '"');
}

static void
gen_number(sz_buf *b)
{
	if (rnd() % 2)
		sz_buf_addc(b, '-');
	if (rnd() % 5 == 0)
		sz_buf_addc(b, '0');
	else {
		int n = (int)(rnd() % 20) + 1;

		sz_buf_addc(b, (char)('1' + rnd() % 9));
		while (--n > 0)
			sz_buf_addc(b, (char)('0' + rnd() % 10));
	}
	if (rnd() % 2) {
		int n = (int)(rnd() % 20) + 1;

		sz_buf_addc(b, '.');
		while (n-- > 0)
			sz_buf_addc(b, (char)('0' + rnd() % 10));
	}
	if (rnd() % 3 == 0)
		sz_buf_printf(b, "%c%s%d", rnd() % 2 ? 'e' : 'E',
		    rnd() % 3 == 0 ? "+" : rnd() % 2 ? "-" : "",
		    (int)(rnd() % 400));
}

static void
gen_value(sz_buf *b, int depth)
{
	int k = (int)(rnd() % (depth > 4 ? 6 : 8));
	int n;

	switch (k) {
	case 0: sz_buf_adds(b, "null"); break;
	case 1: sz_buf_adds(b, rnd() % 2 ? "true" : "false"); break;
	case 2: case 3: gen_number(b); break;
	case 4: case 5: gen_string(b); break;
	case 6:
		sz_buf_adds(b, rnd() % 2 ? "[" : "[ ");
		for (n = (int)(rnd() % 5); n > 0; n--) {
			gen_value(b, depth + 1);
			if (n > 1)
				sz_buf_adds(b, rnd() % 2 ? "," : " ,\n");
		}
		sz_buf_addc(b, ']');
		break;
	default:
		sz_buf_addc(b, '{');
		for (n = (int)(rnd() % 6); n > 0; n--) {
			gen_string(b);
			sz_buf_adds(b, rnd() % 2 ? ":" : " : ");
			gen_value(b, depth + 1);
			if (n > 1)
				sz_buf_addc(b, ',');
		}
		sz_buf_addc(b, '}');
		break;
	}
}

START_TEST(test_build_random)
{
	sz_buf b = { 0 };
	int bad = 0, valid = 0;

	for (int i = 0; i < 20000 && bad < 10; i++) {
		sz_buf_reset(&b);
		gen_value(&b, 0);
		if (sz_json_validate(b.p, b.len, NULL, NULL) != 0)
			continue;
		valid++;
		bad += !build_same(b.p, b.len);
	}
	sz_buf_free(&b);
	ck_assert_int_eq(bad, 0);
	ck_assert_int_gt(valid, 15000);
}
END_TEST

/* ---- printing ----------------------------------------------------------- */

/* Does sz_jv_dump(v) write jq's text? v is consumed. */
static int
dump_same(jv v)
{
	sz_buf b = { 0 };
	jv s = jv_dump_string(jv_copy(v), 0);
	int ok;

	ok = sz_jv_dump(v, &b) == 0 &&
	    (size_t)jv_string_length_bytes(jv_copy(s)) == b.len &&
	    memcmp(jv_string_value(s), b.p, b.len) == 0;
	if (!ok)
		fprintf(stderr, "# jq %s, sz %.*s\n", jv_string_value(s),
		    (int)b.len, b.p);
	jv_free(s);
	jv_free(v);
	sz_buf_free(&b);
	return ok;
}

START_TEST(test_dump_table)
{
	const char *p = build_cases[_i];
	jv v = jv_parse(p);

	if (jv_is_valid(v))
		ck_assert(dump_same(v));
	else
		jv_free(v);
}
END_TEST

/* Every byte value, alone and around text, in a string. */
START_TEST(test_dump_bytes)
{
	for (int c = 0; c < 256; c++) {
		char s[5] = { 'a', (char)c, 'b', (char)c, '\0' };

		ck_assert(dump_same(jv_string_sized(s, 4)));
		ck_assert(dump_same(jv_string_sized(s + 1, 1)));
	}
	ck_assert(dump_same(jv_string_sized("\0\0x", 3)));
}
END_TEST

START_TEST(test_dump_random)
{
	sz_buf b = { 0 };
	int bad = 0;

	for (int i = 0; i < 20000 && bad < 10; i++) {
		jv v;

		sz_buf_reset(&b);
		gen_value(&b, 0);
		v = jv_parse_sized(b.p, (int)b.len);
		if (!jv_is_valid(v)) {
			jv_free(v);
			continue;
		}
		bad += !dump_same(v);
	}
	sz_buf_free(&b);
	ck_assert_int_eq(bad, 0);
}
END_TEST

/* Values built by a program, not parsed: deep nesting goes to jq. */
START_TEST(test_dump_deep)
{
	jv v = jv_number(1);

	for (int i = 0; i < 3000; i++)
		v = jv_array_append(jv_array(), v);
	ck_assert(dump_same(v));
}
END_TEST

/* ---- strings: every decoder of str.c and json.c against jq's parser ------ */

/*
 * Pieces of string bodies: a byte of each UTF-8 class (ASCII, continuation
 * bytes at the edges that overlong, surrogate and out-of-range forms turn
 * on, every kind of lead byte, bytes that never occur) and escapes whose
 * bytes a raw lead byte may take.
 */
static const char *const upieces[] = {
	"a", "\x7f", "\x80", "\x8f", "\x90", "\x9f", "\xa0", "\xbf", "\xc0",
	"\xc1", "\xc2", "\xdf", "\xe0", "\xe1", "\xed", "\xef", "\xf0", "\xf1",
	"\xf4", "\xf5", "\xff",
	/* escapes from here */
	"\\n", "\\u0041", "\\u00e9", "\\u20ac", "\\udc00", "\\ud83d\\ude00",
	"\\u0000",
};
#define UPIECES_RAW 21

static int
sign(int x)
{
	return (x > 0) - (x < 0);
}

/*
 * For the literal lit[0..n), which jq reads as the string ref: decoding,
 * equality, canonical text, compact text, the jq value built from it and,
 * as an object's name, lookup. prev (or NULL) is another literal, whose
 * order against this one must be jq's. Returns 1 when all agree.
 */
static int
string_same(const char *lit, size_t n, const char *prev, size_t pn)
{
	sz_buf a = { 0 }, b = { 0 };
	jv ref = jv_parse_sized(lit, (int)n), v;
	const char *r, *got;
	size_t rn, gn;
	int ok = 1;

	if (sz_json_validate(lit, n, NULL, NULL) != 0 ||
	    jv_get_kind(ref) != JV_KIND_STRING) {
		fprintf(stderr, "# not a string for sz or jq: %.*s\n", (int)n,
		    lit);
		jv_free(ref);
		return 0;
	}
	r = jv_string_value(ref);
	rn = (size_t)jv_string_length_bytes(jv_copy(ref));
#define FAIL(what) do { ok = 0; fprintf(stderr, "# %s differs: %.*s\n", \
	(what), (int)n, lit); } while (0)
	if (sz_json_unescape(lit, n, &a) != 0 || a.len != rn ||
	    memcmp(a.p, r, rn) != 0)
		FAIL("sz_json_unescape");
	if (!sz_json_str_eq(lit, n, r, rn))
		FAIL("sz_json_str_eq");
	got = sz_jstr_decode(lit, n, &a, &gn);
	if (got == NULL || gn != rn || memcmp(got, r, rn) != 0)
		FAIL("sz_jstr_decode");
	/* the canonical text of a string: its jq contents, quoted */
	sz_buf_reset(&a);
	sz_buf_reset(&b);
	if (sz_json_canon(lit, n, &a) != 0 || sz_buf_add_jstr(&b, r, rn) ||
	    a.len != b.len || memcmp(a.p, b.p, a.len) != 0)
		FAIL("sz_json_canon");
	/* compact text: the literal itself, or jq's text of the value */
	sz_buf_reset(&a);
	sz_buf_reset(&b);
	if (sz_json_compact(lit, n, &a) != 0 || sz_jv_dump(ref, &b) != 0)
		FAIL("sz_json_compact");
	else if (!(a.len == n && memcmp(a.p, lit, n) == 0) &&
	    !(a.len == b.len && memcmp(a.p, b.p, a.len) == 0))
		FAIL("sz_json_compact");
	else {
		v = jv_parse_sized(a.p, (int)a.len);
		if (!jv_equal(v, jv_copy(ref)))
			FAIL("sz_json_compact's value");
	}
	/* the jq value */
	sz_buf_reset(&a);
	v = sz_jv_from_json(lit, n, &a);
	if (!jv_equal(v, jv_copy(ref)))
		FAIL("sz_jv_from_json");
	/* as the name of a member */
	sz_buf_reset(&b);
	sz_buf_addc(&b, '{');
	sz_buf_add(&b, lit, n);
	sz_buf_adds(&b, ":1}");
	{
		sz_step st = { SZ_STEP_KEY, r, rn, 0 };
		const char *o;
		size_t on;

		sz_jmembers it;

		if (sz_json_get(b.p, b.len, &st, &o, &on, NULL) !=
		    SZ_GET_FOUND)
			FAIL("sz_json_get");
		sz_json_members(&it, b.p, b.len, NULL);
		if (!sz_json_members_next(&it) ||
		    (got = sz_jmember_name(&it.m, &a, &gn)) == NULL ||
		    gn != rn || memcmp(got, r, rn) != 0 ||
		    sz_json_members_next(&it))
			FAIL("sz_jmember_name");
	}
	if (!build_same(b.p, b.len))
		FAIL("sz_jv_from_json of an object");
	/* order against another string */
	if (prev != NULL) {
		jv pv = jv_parse_sized(prev, (int)pn);

		if (sign(sz_json_str_cmp(prev, pn, lit, n)) !=
		    sign(jv_cmp(pv, jv_copy(ref))))
			FAIL("sz_json_str_cmp");
	}
	/* raw bytes, not a literal: as the runtime writes a CSV field or a
	 * line that is not JSON */
	got = lit + 1;
	gn = n - 2;
	if (memchr(got, '\\', gn) == NULL) {
		sz_buf_reset(&a);
		sz_buf_reset(&b);
		if (sz_buf_add_jqstr(&a, got, gn) != 0 ||
		    sz_jv_dump(ref, &b) != 0 || a.len != b.len ||
		    memcmp(a.p, b.p, a.len) != 0)
			FAIL("sz_buf_add_jqstr");
	}
#undef FAIL
	jv_free(ref);
	sz_buf_free(&a);
	sz_buf_free(&b);
	return ok;
}

/* The literal of pre, the pieces idx[0..k) (of upieces) and post. */
static void
pieces_lit(sz_buf *b, const char *pre, const int *idx, int k,
    const char *post)
{
	sz_buf_reset(b);
	sz_buf_addc(b, '"');
	sz_buf_adds(b, pre);
	for (int i = 0; i < k; i++)
		sz_buf_adds(b, upieces[idx[i]]);
	sz_buf_adds(b, post);
	sz_buf_addc(b, '"');
}

/* Every sequence of one to three pieces, and of four raw bytes. */
START_TEST(test_strings_all)
{
	sz_buf b = { 0 }, prev = { 0 };
	int idx[4], bad = 0, count = 0;

	for (int k = 1; k <= 4; k++) {
		int np = k < 4 ? (int)NELEM(upieces) : UPIECES_RAW;
		long total = 1;

		for (int i = 0; i < k; i++)
			total *= np;
		for (long c = 0; c < total && bad < 10; c++) {
			long x = c;

			for (int i = 0; i < k; i++, x /= np)
				idx[i] = (int)(x % np);
			pieces_lit(&b, "", idx, k, "");
			bad += !string_same(b.p, b.len, prev.len ? prev.p :
			    NULL, prev.len);
			sz_buf_reset(&prev);
			sz_buf_add(&prev, b.p, b.len);
			count++;
		}
	}
	sz_buf_free(&b);
	sz_buf_free(&prev);
	ck_assert_int_eq(bad, 0);
	ck_assert_int_gt(count, 200000);
}
END_TEST

/* Random sequences of up to 16 pieces, after and before text. */
START_TEST(test_strings_random)
{
	sz_buf b = { 0 }, prev = { 0 };
	int idx[16], bad = 0;

	for (int i = 0; i < 50000 && bad < 10; i++) {
		int k = (int)(rnd() % 16) + 1;

		for (int j = 0; j < k; j++)
			idx[j] = (int)(rnd() % NELEM(upieces));
		pieces_lit(&b, rnd() % 2 ? "text " : "", idx, k,
		    rnd() % 2 ? " text" : "");
		bad += !string_same(b.p, b.len, prev.len ? prev.p : NULL,
		    prev.len);
		sz_buf_reset(&prev);
		sz_buf_add(&prev, b.p, b.len);
	}
	sz_buf_free(&b);
	sz_buf_free(&prev);
	ck_assert_int_eq(bad, 0);
}
END_TEST

/* ---- JSONTestSuite: every text the scanner accepts -------------------------- */

START_TEST(test_suite_texts)
{
	const char *data = getenv("SZ_DATA");
	char dir[4096], path[8192];
	DIR *d;
	struct dirent *de;
	int seen = 0, bad = 0;

	snprintf(dir, sizeof(dir), "%s/JSONTestSuite",
	    data && *data ? data : "tests/data");
	d = opendir(dir);
	ck_assert_msg(d != NULL, "no %s", dir);
	while ((de = readdir(d)) != NULL) {
		FILE *f;
		char buf[1 << 16];
		size_t n;

		if (de->d_name[0] == '.' || de->d_name[1] != '_')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		if ((f = fopen(path, "rb")) == NULL)
			continue;
		n = fread(buf, 1, sizeof(buf), f);
		fclose(f);
		if (n == sizeof(buf) ||
		    sz_json_validate(buf, n, NULL, NULL) != 0)
			continue;
		seen++;
		bad += !build_same(buf, n);
	}
	closedir(d);
	ck_assert_int_gt(seen, 90);
	ck_assert_int_eq(bad, 0);
}
END_TEST

/* sz_jv_num_kept: literals whose value jq 1.6 keeps or changes, each
 * checked against libjq's own parse and print too. */
static const struct {
	const char *s;
	int kept;
} kept_cases[] = {
	{ "0", 1 }, { "-0", 1 }, { "0.000", 1 }, { "0e99999999999999999999", 1 },
	{ "1.50", 1 }, { "1E+5", 1 }, { "-1.25e-3", 1 }, { "0.1", 1 },
	{ "100", 1 }, { "123456789012345", 1 }, { "999999999999999", 1 },
	{ "9007199254740992", 1 }, { "1000000000000000000000000", 1 },
	{ "1.7976931348623157e308", 1 }, { "5e-324", 1 },
	{ "2.2250738585072014e-308", 1 }, { "3.141592653589793", 1 },
	{ "12345678901234567890", 0 }, { "9007199254740993", 0 },
	{ "0.30000000000000001", 0 }, { "1e400", 0 }, { "-1e400", 0 },
	{ "1e-400", 0 }, { "1.8e308", 0 }, { "3e-324", 0 },
	{ "1e99999999999999999999", 0 }, { "1.00000000000000000001", 0 },
};

START_TEST(test_num_kept)
{
	const char *s = kept_cases[_i].s;
	jv v = jv_parse(s);
	jv d;

	ck_assert_int_eq(sz_jv_num_kept(s, strlen(s)), kept_cases[_i].kept);
	ck_assert(jv_get_kind(v) == JV_KIND_NUMBER);
	d = jv_dump_string(v, 0);
	ck_assert_int_eq(sz_json_num_eq(s, strlen(s), jv_string_value(d),
	    (size_t)jv_string_length_bytes(jv_copy(d))), kept_cases[_i].kept);
	jv_free(d);
}
END_TEST

/* Random literals (1 to 20 digits, a dot anywhere, exponents around the
 * edges of the range): sz_jv_num_kept agrees with libjq's parse and print. */
START_TEST(test_num_kept_random)
{
	int bad = 0;

	for (int i = 0; i < 200000 && bad < 10; i++) {
		char lit[64], ref[64];
		int nd = (int)(rnd() % 20) + 1;
		int dot = nd > 1 ? (int)(rnd() % (size_t)nd) : 0;
		size_t n = 0;

		/* digits without a leading zero (0 alone, or 0.ddd), a dot
		 * after digit dot (none when 0) */
		if (rnd() % 2)
			lit[n++] = '-';
		for (int k = 0; k < nd; k++) {
			if (k == dot && k > 0)
				lit[n++] = '.';
			lit[n++] = (char)('0' + (k == 0 && dot != 1 ?
			    rnd() % 9 + 1 : rnd() % 10));
		}
		if (rnd() % 2)
			n += (size_t)snprintf(lit + n, 16, "e%d",
			    (int)(rnd() % 700) - 350);
		lit[n] = '\0';
		jq_text(jv_parse(lit), ref, sizeof(ref));
		if (sz_jv_num_kept(lit, n) !=
		    sz_json_num_eq(lit, n, ref, strlen(ref))) {
			fprintf(stderr, "# %s: jq %s, kept %d\n", lit, ref,
			    sz_jv_num_kept(lit, n));
			bad++;
		}
	}
	ck_assert_int_eq(bad, 0);
}
END_TEST

START_TEST(test_num_eq)
{
	ck_assert(sz_json_num_eq("1.50", 4, "15e-1", 5));
	ck_assert(sz_json_num_eq("-0", 2, "0.0", 3));
	ck_assert(sz_json_num_eq("100", 3, "1e2", 3));
	ck_assert(!sz_json_num_eq("100", 3, "10", 2));
	ck_assert(!sz_json_num_eq("-1", 2, "1", 1));
	ck_assert(!sz_json_num_eq("0", 1, "1e-400", 6));
	ck_assert(!sz_json_num_eq("12", 2, "123", 3));
}
END_TEST

static Suite *
jvtext_suite(void)
{
	Suite *s = suite_create("jvtext");
	TCase *tc;

	tc = tcase_create("numbers");
	tcase_set_timeout(tc, 120);
	tcase_add_loop_test(tc, test_num_table, 0, NELEM(num_cases));
	tcase_add_test(tc, test_num_special);
	tcase_add_test(tc, test_num_powers_of_two);
	tcase_add_test(tc, test_num_random_bits);
	tcase_add_test(tc, test_num_random_decimals);
	tcase_add_loop_test(tc, test_num_kept, 0, NELEM(kept_cases));
	tcase_add_test(tc, test_num_eq);
	tcase_add_test(tc, test_num_kept_random);
	suite_add_tcase(s, tc);

	tc = tcase_create("build");
	tcase_set_timeout(tc, 120);
	tcase_add_loop_test(tc, test_build_table, 0, NELEM(build_cases));
	tcase_add_test(tc, test_build_deep);
	tcase_add_test(tc, test_build_random);
	tcase_add_test(tc, test_suite_texts);
	suite_add_tcase(s, tc);

	tc = tcase_create("strings");
	tcase_set_timeout(tc, 300);
	tcase_add_test(tc, test_strings_all);
	tcase_add_test(tc, test_strings_random);
	suite_add_tcase(s, tc);

	tc = tcase_create("dump");
	tcase_set_timeout(tc, 120);
	tcase_add_loop_test(tc, test_dump_table, 0, NELEM(build_cases));
	tcase_add_test(tc, test_dump_bytes);
	tcase_add_test(tc, test_dump_random);
	tcase_add_test(tc, test_dump_deep);
	suite_add_tcase(s, tc);
	return s;
}

SZ_CHECK_MAIN(jvtext_suite)
