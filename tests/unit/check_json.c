/* SPDX-License-Identifier: MIT */
/* check_json.c - unit tests of common/json/json.c, written as TAP on stdout. */
#include <check.h>
#include <dirent.h>
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json/json.h"
#include "tap.h"

/* ---- JSONTestSuite: every file of $SZ_DATA/JSONTestSuite -------------- */

static char suite_dir[4096];
static char **suite_files;
static int suite_nfiles;

static int
name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* List the y_, n_ and i_ files of the suite, sorted; 0 files if none. */
static void
suite_list(void)
{
	const char *data = getenv("SZ_DATA");
	DIR *d;
	struct dirent *de;
	int alloc = 0;

	snprintf(suite_dir, sizeof(suite_dir), "%s/JSONTestSuite",
	    data && *data ? data : "tests/data");
	if ((d = opendir(suite_dir)) == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		if (strlen(de->d_name) < 3 || de->d_name[1] != '_' ||
		    strchr("yni", de->d_name[0]) == NULL)
			continue;
		if (suite_nfiles == alloc) {
			alloc = alloc ? alloc * 2 : 512;
			suite_files = realloc(suite_files,
			    (size_t)alloc * sizeof(*suite_files));
			if (suite_files == NULL)
				abort();
		}
		if ((suite_files[suite_nfiles++] = strdup(de->d_name)) == NULL)
			abort();
	}
	closedir(d);
	if (suite_nfiles > 0)
		qsort(suite_files, (size_t)suite_nfiles, sizeof(*suite_files),
		    name_cmp);
}

static char *
read_file(const char *path, size_t *n)
{
	FILE *f = fopen(path, "rb");
	char *p = NULL;
	size_t alloc = 0, got;

	if (f == NULL)
		return NULL;
	*n = 0;
	for (;;) {
		if (alloc - *n < 4096) {
			alloc = alloc ? alloc * 2 : 8192;
			if ((p = realloc(p, alloc)) == NULL)
				abort();
		}
		got = fread(p + *n, 1, alloc - *n, f);
		*n += got;
		if (got == 0)
			break;
	}
	fclose(f);
	return p;
}

START_TEST(test_suite_found)
{
	ck_assert_msg(suite_nfiles >= 300,
	    "%s: found %d test files, expected over 300 (set SZ_DATA)",
	    suite_dir, suite_nfiles);
}
END_TEST

START_TEST(test_suite_file)
{
	const char *name = suite_files[_i];
	char path[8192];
	const char *reason = NULL;
	size_t n, off = 0;
	char *text;
	int r;

	snprintf(path, sizeof(path), "%s/%s", suite_dir, name);
	text = read_file(path, &n);
	ck_assert_msg(text != NULL, "%s: cannot read", path);
	r = sz_json_validate(text, n, &reason, &off);
	if (name[0] == 'y')
		ck_assert_msg(r == 0, "%s: rejected (%s at offset %zu)", name,
		    reason, off);
	else if (name[0] == 'n')
		ck_assert_msg(r == -1, "%s: accepted", name);
	else
		ck_assert_msg(r == 0 || r == -1, "%s: returned %d", name, r);
	if (r != 0)
		ck_assert_msg(reason != NULL && off <= n,
		    "%s: no reason or bad offset", name);
	free(text);
}
END_TEST

/* ---- validation: reasons and offsets --------------------------------- */

static const struct {
	const char *in;
	const char *reason;	/* NULL: valid */
	size_t off;
} val_cases[] = {
	{ "{\"a\":[1,2.5e-3,-0,true,false,null,\"x\\u00e9\\n\"]}", NULL, 0 },
	{ " \t\r\n[ ]\n", NULL, 0 },
	{ "\"\x7f\xff\xfe invalid UTF-8 is accepted\"", NULL, 0 },
	{ "\"\\udc00 a lone low surrogate too\"", NULL, 0 },
	{ "\"\\ud83d\\ude00\"", NULL, 0 },
	{ "\"\\ud800 but not a lone high one\"",
	    "unpaired UTF-16 high surrogate escape in string", 1 },
	{ "[\"x\\udbff\\u0041\"]",
	    "unpaired UTF-16 high surrogate escape in string", 3 },
	{ "\"\\ud800\\ud800\\udc00\"",
	    "unpaired UTF-16 high surrogate escape in string", 1 },
	{ "{\"\\ud800\":1}",
	    "unpaired UTF-16 high surrogate escape in string", 2 },
	{ "\"\\ud800\\n\"",
	    "unpaired UTF-16 high surrogate escape in string", 1 },
	{ "\"\\ud800\\udc0G\"",
	    "unpaired UTF-16 high surrogate escape in string", 1 },
	{ "\"\\ud800\"",
	    "unpaired UTF-16 high surrogate escape in string", 1 },
	{ "", "empty input", 0 },
	{ " \n\t", "empty input", 3 },
	{ "[1,]", "unexpected character ']'", 3 },
	{ "[1 2]", "expected ',' or ']' after an array element", 3 },
	{ "{\"a\" 1}", "expected ':' after object key", 5 },
	{ "{\"a\":1,}", "expected a string as object key", 7 },
	{ "{'a':1}", "expected a string as object key", 1 },
	{ "{\"a\":1 \"b\":2}", "expected ',' or '}' after an object member",
	    7 },
	{ "01", "invalid number", 1 },
	{ "-", "invalid number", 1 },
	{ "1.", "invalid number", 2 },
	{ "1e+", "invalid number", 3 },
	{ ".5", "unexpected character '.'", 0 },
	{ "\"abc", "unterminated string", 4 },
	{ "\"a\x01\"", "control character in string", 2 },
	{ "\"a\\x\"", "invalid escape in string", 2 },
	{ "\"\\u12G4\"", "invalid \\u escape in string", 1 },
	{ "tru", "invalid literal", 0 },
	{ "nul", "invalid literal", 0 },
	{ "1 2", "trailing characters after the value", 2 },
	{ "{} x", "trailing characters after the value", 3 },
	{ "[", "unexpected end of input", 1 },
	{ "{\"a\":", "unexpected end of input", 5 },
	{ "\xef\xbb\xbf{}", "unexpected byte 0xef", 0 },
	{ "\x01", "unexpected byte 0x01", 0 },
	{ "\f1", "unexpected byte 0x0c", 0 },
};

START_TEST(test_validate_reason)
{
	const char *in = val_cases[_i].in, *want = val_cases[_i].reason;
	const char *reason = NULL;
	size_t off = (size_t)-1;
	int r = sz_json_validate(in, strlen(in), &reason, &off);

	if (want == NULL) {
		ck_assert_msg(r == 0, "'%s': rejected: %s at %zu", in, reason,
		    off);
		return;
	}
	ck_assert_msg(r == -1, "'%s': accepted", in);
	ck_assert_msg(reason != NULL && strcmp(reason, want) == 0 &&
	    off == val_cases[_i].off, "'%s': got '%s' at %zu, expected '%s' at "
	    "%zu", in, reason, off, want, val_cases[_i].off);
}
END_TEST

START_TEST(test_validate_null_outputs)
{
	ck_assert_int_eq(sz_json_validate("[}", 2, NULL, NULL), -1);
	ck_assert_int_eq(sz_json_validate("[]", 2, NULL, NULL), 0);
	/* The length is honoured: no reading past n, NULs are bytes. */
	ck_assert_int_eq(sz_json_validate("[1]xyz", 3, NULL, NULL), 0);
	ck_assert_int_eq(sz_json_validate("1\0", 2, NULL, NULL), -1);
	ck_assert_int_eq(sz_json_validate("\"a\0\"", 4, NULL, NULL), -1);
}
END_TEST

/* White space after a top-level member's colon that runs to the end: the
 * byte past n (here a quote) must not be read as the value. */
START_TEST(test_validate_ws_to_end)
{
	static const char *texts[] = { "{\"a\": \"", "{\"a\":\t\n\"",
	    "{\"a\":{\"b\": \"" };
	const char *why;
	size_t off;

	for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
		size_t n = strlen(texts[i]) - 1;	/* not the last quote */
		sz_jindex ix = { 0 };

		ck_assert_int_eq(sz_json_validate_index(texts[i], n, &why, &off,
		    &ix), -1);
		ck_assert_str_eq(why, "unexpected end of input");
		ck_assert_uint_eq(off, n);
	}
}
END_TEST

/* Depth d of mixed arrays and objects: [{"a":[{"a":...1...}]}] */
static char *
nested(int d, size_t *n)
{
	char *p = malloc((size_t)d * 8 + 8), *o = p;
	int i;

	if (p == NULL)
		abort();
	for (i = 0; i < d; i++) {
		if (i % 2 == 0) {
			*o++ = '[';
		} else {
			memcpy(o, "{\"a\":", 5);
			o += 5;
		}
	}
	*o++ = '1';
	for (i = d - 1; i >= 0; i--)
		*o++ = i % 2 == 0 ? ']' : '}';
	*n = (size_t)(o - p);
	return p;
}

START_TEST(test_depth_limit)
{
	const char *reason = NULL;
	size_t n, off = 0;
	char *p;

	p = nested(SZ_JSON_MAX_DEPTH, &n);
	ck_assert_int_eq(sz_json_validate(p, n, &reason, &off), 0);
	free(p);
	p = nested(SZ_JSON_MAX_DEPTH + 1, &n);
	ck_assert_int_eq(sz_json_validate(p, n, &reason, &off), -1);
	ck_assert_str_eq(reason, "nesting deeper than 128");
	free(p);
}
END_TEST

/* Arrays alone, objects alone: the same bound, 128, whatever the kind
 * (jq 1.6's parser takes 256 arrays but only 128 objects). */
START_TEST(test_depth_kinds)
{
	sz_buf b = SZ_BUF_INIT;
	const char *reason = NULL;
	size_t off = 0;

	for (int kind = 0; kind < 2; kind++) {
		for (int d = SZ_JSON_MAX_DEPTH; d <= SZ_JSON_MAX_DEPTH + 1;
		    d++) {
			sz_buf_reset(&b);
			for (int i = 0; i < d; i++)
				ck_assert_int_eq(sz_buf_adds(&b,
				    kind ? "{\"a\":" : "["), 0);
			for (int i = 0; i < d; i++)
				ck_assert_int_eq(sz_buf_adds(&b,
				    !kind ? "]" : i == 0 ? "1}" : "}"), 0);
			ck_assert_int_eq(sz_json_validate(b.p, b.len, &reason,
			    &off), d <= SZ_JSON_MAX_DEPTH ? 0 : -1);
		}
		ck_assert_str_eq(reason, "nesting deeper than 128");
		ck_assert_uint_eq(off, kind ? 5 * SZ_JSON_MAX_DEPTH :
		    SZ_JSON_MAX_DEPTH);
	}
	sz_buf_free(&b);
}
END_TEST

START_TEST(test_hostile_nesting)
{
	size_t n = 1000000, off = 0;
	char *p = malloc(n);
	const char *reason = NULL;

	ck_assert_ptr_nonnull(p);
	memset(p, '[', n);
	ck_assert_int_eq(sz_json_validate(p, n, &reason, &off), -1);
	ck_assert_str_eq(reason, "nesting deeper than 128");
	ck_assert_uint_eq(off, SZ_JSON_MAX_DEPTH);
	memset(p, '{', n);
	ck_assert_int_eq(sz_json_validate(p, n, &reason, &off), -1);
	ck_assert_str_eq(reason, "expected a string as object key");
	memcpy(p, "{\"a\":", 5);
	for (off = 5; off + 5 <= n; off += 5)
		memcpy(p + off, "[{\"\":", 5);
	ck_assert_int_eq(sz_json_validate(p, n, &reason, &off), -1);
	ck_assert_str_eq(reason, "nesting deeper than 128");
	free(p);
}
END_TEST

/* ---- walking: ws, type, skip, trim ----------------------------------- */

START_TEST(test_walk)
{
	const char *v = " \t{\"a\":[1,{\"]\":\"}\\\"\"}],\"b\":-1.5e3} \n";
	const char *end = v + strlen(v), *p, *q;
	size_t n;

	p = sz_json_ws(v, end);
	ck_assert_int_eq(*p, '{');
	ck_assert_int_eq(sz_json_type(v, end), SZ_JOBJECT);
	q = sz_json_skip(v, end);
	ck_assert_str_eq(q, " \n");
#define TYPE(lit) sz_json_type(lit, &lit[sizeof(lit) - 1])
	ck_assert_int_eq(TYPE("[]"), SZ_JARRAY);
	ck_assert_int_eq(TYPE("\"x\""), SZ_JSTRING);
	ck_assert_int_eq(TYPE("-1"), SZ_JNUMBER);
	ck_assert_int_eq(TYPE("0"), SZ_JNUMBER);
	ck_assert_int_eq(TYPE("true"), SZ_JTRUE);
	ck_assert_int_eq(TYPE("false"), SZ_JFALSE);
	ck_assert_int_eq(TYPE(" null"), SZ_JNULL);
#undef TYPE
	p = "-1.5e3,";
	ck_assert_ptr_eq(sz_json_skip(p, p + 7), p + 6);
	p = "\"a\\\\\"]";
	ck_assert_ptr_eq(sz_json_skip(p, p + 6), p + 5);
	p = v;
	n = strlen(v);
	sz_json_trim(&p, &n);
	ck_assert_int_eq(p[0], '{');
	ck_assert_int_eq(p[n - 1], '}');
	p = "   ";
	n = 3;
	sz_json_trim(&p, &n);
	ck_assert_uint_eq(n, 0);
	ck_assert_str_eq(sz_jtype_name(SZ_JNULL), "null");
	ck_assert_str_eq(sz_jtype_name(SZ_JTRUE), "boolean");
	ck_assert_str_eq(sz_jtype_name(SZ_JFALSE), "boolean");
	ck_assert_str_eq(sz_jtype_name(SZ_JNUMBER), "number");
	ck_assert_str_eq(sz_jtype_name(SZ_JSTRING), "string");
	ck_assert_str_eq(sz_jtype_name(SZ_JARRAY), "array");
	ck_assert_str_eq(sz_jtype_name(SZ_JOBJECT), "object");
}
END_TEST

/* ---- get and path ---------------------------------------------------- */

#define KEY(k) { SZ_STEP_KEY, (k), sizeof(k) - 1, 0 }
#define IDX(i) { SZ_STEP_INDEX, NULL, 0, (i) }

/* Result of a path on v as text: the slice, "NULL", or "ERROR:type". */
static const char *
path_text(const char *v, const sz_step *steps, size_t nsteps)
{
	static char res[256];
	const char *out = NULL;
	size_t outn = 0;
	sz_jtype t = SZ_JNULL;

	ck_assert_msg(sz_json_validate(v, strlen(v), NULL, NULL) == 0,
	    "invalid test input %s", v);
	switch (sz_json_path(v, strlen(v), steps, nsteps, &out, &outn, &t)) {
	case SZ_GET_FOUND:
		snprintf(res, sizeof(res), "%.*s", (int)outn, out);
		break;
	case SZ_GET_NULL:
		return "NULL";
	case SZ_GET_ERROR:
		snprintf(res, sizeof(res), "ERROR:%s", sz_jtype_name(t));
		break;
	default:
		return "BAD RETURN";
	}
	return res;
}

#define ck_path(v, want, ...) do { \
	const sz_step st_[] = { __VA_ARGS__ }; \
	ck_assert_str_eq(path_text((v), st_, \
	    sizeof(st_) / sizeof(st_[0])), (want)); \
} while (0)

START_TEST(test_get_keys)
{
	const char *v = " {\"a\": {\"b\" : [10, {\"c\":\"deep\"} ] , \"x\":1},"
	    " \"e\":\"\", \"n\":null } ";

	ck_path(v, "{\"b\" : [10, {\"c\":\"deep\"} ] , \"x\":1}", KEY("a"));
	ck_path(v, "[10, {\"c\":\"deep\"} ]", KEY("a"), KEY("b"));
	ck_path(v, "\"deep\"", KEY("a"), KEY("b"), IDX(1), KEY("c"));
	ck_path(v, "\"deep\"", KEY("a"), KEY("b"), IDX(-1), KEY("c"));
	ck_path(v, "10", KEY("a"), KEY("b"), IDX(0));
	ck_path(v, "10", KEY("a"), KEY("b"), IDX(-2));
	ck_path(v, "1", KEY("a"), KEY("x"));
	ck_path(v, "\"\"", KEY("e"));
	ck_path(v, "null", KEY("n"));
	ck_path(v, "NULL", KEY("missing"));
	ck_path(v, "NULL", KEY("n"), KEY("x"));
	ck_path(v, "NULL", KEY("n"), IDX(3));
	ck_path(v, "NULL", KEY("missing"), KEY("x"), IDX(0));
	ck_path(v, "NULL", KEY(""));
	ck_path("{\"\":5}", "5", KEY(""));
	ck_path("{}", "NULL", KEY("a"));
	/* No steps: the value itself, trimmed. */
	ck_assert_str_eq(path_text(v, NULL, 0), "{\"a\": {\"b\" : [10, "
	    "{\"c\":\"deep\"} ] , \"x\":1}, \"e\":\"\", \"n\":null }");
}
END_TEST

START_TEST(test_get_escaped_keys)
{
	ck_path("{\"\\u0061\":1}", "1", KEY("a"));
	ck_path("{\"a\":1}", "NULL", KEY("\\u0061"));
	ck_path("{\"a\\\"b\":2}", "2", KEY("a\"b"));
	ck_path("{\"\\u00e9t\\u00E9\":3}", "3", KEY("\xc3\xa9t\xc3\xa9"));
	ck_path("{\"\\ud83d\\ude00\":4}", "4", KEY("\xf0\x9f\x98\x80"));
	ck_path("{\"a\\u0000b\":5}", "5", KEY("a\0b"));
	ck_path("{\"a\\u0000b\":5}", "NULL", KEY("a"));
	ck_path("{\"\xff\":6}", "6", KEY("\xef\xbf\xbd"));
	ck_path("{\"\xff\":6}", "NULL", KEY("\xff"));
	ck_path("{\"\xef\xbf\xbd\":6}", "6", KEY("\xef\xbf\xbd"));
	ck_path("{\"a\xe9\":6,\"b\":7}", "6", KEY("a\xef\xbf\xbd"));
	ck_path("{\"\\/\":7}", "7", KEY("/"));
}
END_TEST

START_TEST(test_get_duplicates)
{
	ck_path("{\"a\":1,\"a\":2}", "2", KEY("a"));
	ck_path("{\"a\":1,\"b\":0,\"\\u0061\":3}", "3", KEY("a"));
	ck_path("{\"a\":{\"x\":1},\"a\":{\"y\":2}}", "NULL", KEY("a"),
	    KEY("x"));
	ck_path("{\"a\":{\"x\":1},\"a\":{\"y\":2}}", "2", KEY("a"), KEY("y"));
}
END_TEST

START_TEST(test_get_index)
{
	const char *v = "[ \"a\" , [1], {\"k\":[]}, 4 ]";

	ck_path(v, "\"a\"", IDX(0));
	ck_path(v, "[1]", IDX(1));
	ck_path(v, "4", IDX(3));
	ck_path(v, "4", IDX(-1));
	ck_path(v, "\"a\"", IDX(-4));
	ck_path(v, "NULL", IDX(4));
	ck_path(v, "NULL", IDX(-5));
	ck_path(v, "NULL", IDX(1000000));
	ck_path(v, "NULL", IDX(-1000000));
	ck_path(v, "[]", IDX(2), KEY("k"));
	ck_path(v, "NULL", IDX(2), KEY("k"), IDX(0));
	ck_path(v, "NULL", IDX(2), KEY("k"), IDX(-1));
	ck_path("[]", "NULL", IDX(0));
	ck_path("[]", "NULL", IDX(-1));
}
END_TEST

START_TEST(test_get_null_input)
{
	ck_path("null", "NULL", KEY("a"));
	ck_path(" null ", "NULL", IDX(0));
	ck_path("null", "NULL", IDX(-1), KEY("a"));
}
END_TEST

START_TEST(test_get_errors)
{
	ck_path("[1,2]", "ERROR:array", KEY("a"));
	ck_path("\"str\"", "ERROR:string", KEY("a"));
	ck_path("12", "ERROR:number", KEY("a"));
	ck_path("true", "ERROR:boolean", KEY("a"));
	ck_path("false", "ERROR:boolean", IDX(0));
	ck_path("{\"a\":1}", "ERROR:object", IDX(0));
	ck_path("\"str\"", "ERROR:string", IDX(0));
	ck_path("3.5", "ERROR:number", IDX(0));
	ck_path("{\"a\":[1]}", "ERROR:array", KEY("a"), KEY("b"));
	ck_path("{\"a\":{\"b\":\"s\"}}", "ERROR:string", KEY("a"), KEY("b"),
	    KEY("c"));
	ck_path("{\"a\":{\"b\":1}}", "ERROR:object", KEY("a"), IDX(0));
}
END_TEST

/* ---- numbers --------------------------------------------------------- */

static const struct {
	const char *lit;
	double want;
} num_cases[] = {
	{ "0", 0.0 }, { "-0", -0.0 }, { "1", 1.0 }, { "-42", -42.0 },
	{ "1.5", 1.5 }, { "-0.25", -0.25 }, { "1e3", 1000.0 },
	{ "1E+3", 1000.0 }, { "25e-2", 0.25 }, { "0.1", 0.1 },
	{ "123456789012345", 123456789012345.0 },
	{ "9007199254740993", 9007199254740992.0 },
	{ "12345678901234567890", 12345678901234567890.0 },
	{ "1e308", 1e308 }, { "1.7976931348623157e308", DBL_MAX },
	{ "1e309", INFINITY }, { "-1e400", -INFINITY },
	{ "1e99999999999999999999", INFINITY },
	{ "1e-400", 0.0 }, { "1e-99999999999999999999", 0.0 },
	{ "4.9406564584124654e-324", 4.9406564584124654e-324 },
	{ "0.000000000000000000000000000001e30", 1.0 },
	{ "12.02", 12.02 }, { "-14.37", -14.37 }, { "1e22", 1e22 },
	{ "123456789012345e22", 123456789012345e22 },
	{ "1e-22", 1e-22 }, { "999999999999999e-22", 999999999999999e-22 },
	{ "1e23", 1e23 }, { "1234567890123456e-5", 1234567890123456e-5 },
};

START_TEST(test_num)
{
	const char *lit = num_cases[_i].lit;
	double d = sz_json_num(lit, strlen(lit));

	ck_assert_msg(d == num_cases[_i].want &&
	    signbit(d) == signbit(num_cases[_i].want),
	    "%s: got %.17g, expected %.17g", lit, d, num_cases[_i].want);
}
END_TEST

/* Numbers far longer than any fixed buffer still round correctly. */
START_TEST(test_num_long)
{
	size_t n = 5000;
	char *p = malloc(n + 1);

	ck_assert_ptr_nonnull(p);
	/* 2^53 + 1, then zeros, then a 1: just above the halfway point */
	memset(p, '0', n);
	memcpy(p, "9007199254740993", 16);
	p[n - 1] = '1';
	p[n] = '\0';
	/* As an integer it is huge: overflow gives infinity, as in jq. */
	ck_assert(sz_json_num(p, n) == INFINITY);
	/* 9007199254740993.000...0001 rounds up to 2^53 + 2 */
	memcpy(p, "9007199254740993.", 17);
	ck_assert(sz_json_num(p, n) == 9007199254740994.0);
	/* and without the final 1 it is a tie, rounded to even */
	p[n - 1] = '0';
	ck_assert(sz_json_num(p, n) == 9007199254740992.0);
	/* 0.000...0001e4998 */
	memset(p, '0', n);
	p[1] = '.';
	memcpy(p + n - 6, "1e4993", 6);
	ck_assert(sz_json_num(p, n) == 1.0);
	free(p);
}
END_TEST

/* ---- canonical text -------------------------------------------------- */

static char *
canon(const char *v)
{
	sz_buf b = SZ_BUF_INIT;

	ck_assert_msg(sz_json_validate(v, strlen(v), NULL, NULL) == 0,
	    "invalid test input %s", v);
	ck_assert_int_eq(sz_json_canon(v, strlen(v), &b), 0);
	ck_assert_ptr_nonnull(b.p);
	return b.p;
}

/* ---- jq order ------------------------------------------------------- */

/* Values in ascending jq order (sort_by), numbers by exact value. */
static const char *const order_chain[] = {
	"null", "false", "true", "-1e100", "-2", "-1.5", "-1", "-0.001",
	"0", "1e-100", "0.5", "1", "1.5", "2", "10",
	"123456789012345678901", "123456789012345678902", "1e100",
	"\"\"", "\"A\"", "\"a\"", "\"a\\u0000\"", "\"ab\"", "\"b\"",
	"\"\\u00e9\"", "[]", "[null]", "[1]", "[1,2]", "[2]", "[\"a\"]",
	"[[]]", "{}", "{\"a\":2}", "{\"a\":[1]}", "{\"a\":1,\"b\":0}",
	"{\"a\":3,\"b\":0}", "{\"b\":0}", "{\"b\":{\"c\":1}}"
};

/* Different texts of one value. */
static const char *const order_equal[][2] = {
	{ "1", "1.0" }, { "1e2", "100" }, { "0", "-0.0" },
	{ "0.00001", "1e-5" }, { "[1.0, 2]", "[1,2e0]" },
	{ "{\"b\":1,\"a\":2}", "{\"a\":2,\"b\":1}" },
	{ "{\"a\":1,\"a\":2}", "{\"a\":2}" }, { "\"\\u0041\"", "\"A\"" }
};

static int
order_cmp(const char *a, const char *b)
{
	char *x = canon(a), *y = canon(b);
	int k = sz_json_cmp(x, strlen(x), y, strlen(y));

	free(x);
	free(y);
	return k;
}

START_TEST(test_order_chain)
{
	const char *a = order_chain[_i];

	ck_assert_msg(order_cmp(a, a) == 0, "%s = itself", a);
	for (size_t j = (size_t)_i + 1;
	    j < sizeof(order_chain) / sizeof(order_chain[0]); j++) {
		ck_assert_msg(order_cmp(a, order_chain[j]) < 0, "%s < %s", a,
		    order_chain[j]);
		ck_assert_msg(order_cmp(order_chain[j], a) > 0, "%s > %s",
		    order_chain[j], a);
	}
}
END_TEST

START_TEST(test_order_equal)
{
	ck_assert_msg(order_cmp(order_equal[_i][0], order_equal[_i][1]) == 0,
	    "%s = %s", order_equal[_i][0], order_equal[_i][1]);
}
END_TEST

START_TEST(test_order_nothing)
{
	/* An empty text (no value) sorts first. */
	ck_assert_int_eq(sz_json_cmp("", 0, "", 0), 0);
	ck_assert_int_lt(sz_json_cmp("", 0, "null", 4), 0);
	ck_assert_int_gt(sz_json_cmp("null", 4, "", 0), 0);
	/* Raw literals, not canonical: exact, not as doubles. */
	ck_assert_int_gt(sz_json_num_cmp("9007199254740993", 16,
	    "9007199254740992.5e0", 20), 0);
	ck_assert_int_lt(sz_json_num_cmp("-0.10", 5, "-0.0999", 7), 0);
	ck_assert_int_eq(sz_json_num_cmp("2.50e1", 6, "25", 2), 0);
}
END_TEST

#define D70 "1234567890123456789012345678901234567890" \
	"123456789012345678901234567891"

/* Values and their exact canonical text. */
static const struct {
	const char *v, *want;
} canon_cases[] = {
	{ "100", "100" }, { "1.5", "15e-1" }, { "-0.25", "-25e-2" },
	{ "1e100", "1e100" }, { "123e-0", "123" }, { "-0", "0" },
	{ "0.000e-7", "0" }, { "-42", "-42" }, { "1E2", "100" },
	{ "120e-1", "12" }, { "0.001", "1e-3" }, { "-1.0e+2", "-100" },
	{ D70, D70 "e0" }, { D70 "0", D70 "e1" },
	{ "1e63", "1000000000000000000000000000000000000000000000000000000000"
	    "000000" },
	{ "1e64", "1e64" }, { "12e63", "12e63" },
	{ "1.2e63", "1200000000000000000000000000000000000000000000000000000000"
	    "000000" },
	{ "1e99999999999999999999", "1e4611686018427387904" },
	{ "1e-99999999999999999999", "1e-4611686018427387904" },
	{ "\"a\\\"b\\u0001\"", "\"a\\\"b\\u0001\"" },
	{ "\"\\u0041\\/\\u007f\\u001F\\t\"", "\"A/\x7f\\u001f\\t\"" },
	{ "\"\xff\"", "\"\xef\xbf\xbd\"" },
	{ "\"\\udc00\"", "\"\xef\xbf\xbd\"" },
	{ "\"\\n\xeb\xeb\"", "\"\\n\xef\xbf\xbd\"" },
	{ "\"\xe2\x82\"", "\"\xef\xbf\xbd\"" },
	{ "{\"\xe2\\u0041\":\"\xf0\\n\\n\"}",
	    "{\"\xef\xbf\xbd\":\"\xef\xbf\xbd\"}" },
	{ "{\"b\":[true,null],\"a\":\"x\"}",
	    "{\"a\":\"x\",\"b\":[true,null]}" },
	{ " { \"a\" : [ 1 , 2.50 ] , \"\" : { } , \"A\" : [ ] } ",
	    "{\"\":{},\"A\":[],\"a\":[1,25e-1]}" },
	{ "{\"a\":1,\"\\u0061\":2,\"b\":3,\"a\":4,\"b\":5}",
	    "{\"a\":4,\"b\":5}" },
	{ "{\"\\u00e9\":1,\"z\":2,\"\\u0000\":3,\"\\u007f\":4}",
	    "{\"\\u0000\":3,\"z\":2,\"\x7f\":4,\"\xc3\xa9\":1}" },
	{ "[false,{\"k\":\"\\n\"},\"\",[]]", "[false,{\"k\":\"\\n\"},\"\",[]]" },
};

START_TEST(test_canon_text)
{
	char *got = canon(canon_cases[_i].v);

	ck_assert_msg(strcmp(got, canon_cases[_i].want) == 0,
	    "%s: got %s, expected %s", canon_cases[_i].v, got,
	    canon_cases[_i].want);
	free(got);
}
END_TEST

/* Pairs of values that are the same JSON value, and pairs that are not. */
static const struct {
	const char *a, *b;
	int same;
} canon_pairs[] = {
	{ "1", "1.0", 1 }, { "1", "1e0", 1 }, { "1", "10e-1", 1 },
	{ "1", "0.1e1", 1 }, { "1.0", "0.1e1", 1 },
	{ "0", "-0", 1 }, { "0", "0.0", 1 }, { "0", "0e5", 1 },
	{ "-0", "-0.0e-3", 1 },
	{ "\"A\"", "\"\\u0041\"", 1 },
	{ "{\"a\":1,\"b\":2}", "{\"b\":2,\"a\":1}", 1 },
	{ "{\"a\":1,\"a\":2}", "{\"a\":2}", 1 },
	{ "\"\\ud83d\\ude00\"", "\"\xf0\x9f\x98\x80\"", 1 },
	{ "[1.50]", "[1.5]", 1 },
	{ "{\"x\":{\"b\":1,\"a\":[1e2]}}", "{\"x\":{\"a\":[100],\"b\":1.0}}",
	    1 },
	{ "\"\\/\"", "\"/\"", 1 },
	{ "\"\xff\"", "\"\\ufffd\"", 1 },
	{ "\"\xe2\x82\"", "\"\\ufffd\"", 1 },
	{ "\"\\n\xeb\xeb\"", "\"\\n\\ufffd\"", 1 },
	{ "\"\xe2\\u0041\"", "\"\\ufffd\"", 1 },
	{ "\"\xe2\\u0041\"", "\"\\ufffdA\"", 0 },
	{ "12345678901234567890", "12345678901234567891", 0 },
	{ "1", "\"1\"", 0 },
	{ "[1,2]", "[2,1]", 0 },
	{ "1e400", "1e401", 0 },
	{ "0.1", "0.10000000000000001", 0 },
	{ "{\"a\":1}", "{\"a\":1,\"b\":null}", 0 },
	{ "null", "false", 0 },
	{ "[]", "{}", 0 },
	{ "\"\"", "null", 0 },
	{ "{\"a\":1,\"a\":2}", "{\"a\":1}", 0 },
	{ "-1", "1", 0 },
};

START_TEST(test_canon_pairs)
{
	char *a = canon(canon_pairs[_i].a), *b = canon(canon_pairs[_i].b);

	if (canon_pairs[_i].same)
		ck_assert_msg(strcmp(a, b) == 0, "%s and %s differ: %s / %s",
		    canon_pairs[_i].a, canon_pairs[_i].b, a, b);
	else
		ck_assert_msg(strcmp(a, b) != 0, "%s and %s are both %s",
		    canon_pairs[_i].a, canon_pairs[_i].b, a);
	free(a);
	free(b);
}
END_TEST

/* Many escaped names in nested objects: the walk must survive its name
 * buffer moving while an outer object is being written. */
START_TEST(test_canon_nested_names)
{
	sz_buf in = SZ_BUF_INIT, want = SZ_BUF_INIT, got = SZ_BUF_INIT;
	int i, j, rc = 0;

	rc |= sz_buf_adds(&in, "{");
	rc |= sz_buf_adds(&want, "{");
	for (i = 99; i >= 0; i--) {
		rc |= sz_buf_printf(&in, "%s\"\\u006b%02d\":{",
		    i < 99 ? "," : "", i);
		for (j = 49; j >= 0; j--)
			rc |= sz_buf_printf(&in, "%s\"\\u006e%02d\":%d",
			    j < 49 ? "," : "", j, j);
		rc |= sz_buf_adds(&in, "}");
	}
	rc |= sz_buf_adds(&in, "}");
	for (i = 0; i < 100; i++) {
		rc |= sz_buf_printf(&want, "%s\"k%02d\":{", i ? "," : "", i);
		for (j = 0; j < 50; j++)
			rc |= sz_buf_printf(&want, "%s\"n%02d\":%d",
			    j ? "," : "", j, j);
		rc |= sz_buf_adds(&want, "}");
	}
	rc |= sz_buf_adds(&want, "}");
	rc |= sz_buf_adds(&got, "x");
	ck_assert_int_eq(rc, 0);
	ck_assert_int_eq(sz_json_validate(in.p, in.len, NULL, NULL), 0);
	ck_assert_int_eq(sz_json_canon(in.p, in.len, &got), 0);
	ck_assert_str_eq(got.p + 1, want.p);
	sz_buf_free(&in);
	sz_buf_free(&want);
	sz_buf_free(&got);
}
END_TEST

START_TEST(test_canon_deep)
{
	size_t n, i;
	char *p, *got;

	/* [[[...1...]]] at the depth limit */
	n = 2 * SZ_JSON_MAX_DEPTH + 1;
	p = malloc(n + 1);
	ck_assert_ptr_nonnull(p);
	for (i = 0; i < SZ_JSON_MAX_DEPTH; i++) {
		p[i] = '[';
		p[n - 1 - i] = ']';
	}
	p[SZ_JSON_MAX_DEPTH] = '1';
	p[n] = '\0';
	got = canon(p);
	ck_assert_str_eq(got, p);
	free(got);
	free(p);
}
END_TEST

START_TEST(test_canon_cap)
{
	sz_buf b = SZ_BUF_INIT;
	const char *v = "{\"b\":[1,2,3],\"a\":\"long string value\"}";

	b.cap = 10;
	ck_assert_int_eq(sz_buf_adds(&b, "keep"), 0);
	ck_assert_int_eq(sz_json_canon(v, strlen(v), &b), -1);
	ck_assert_str_eq(b.p, "keep");
	ck_assert_uint_eq(b.len, 4);
	sz_buf_free(&b);
}
END_TEST

/* ---- the runner ------------------------------------------------------ */

#define NELEM(a) ((int)(sizeof(a) / sizeof((a)[0])))

/* Validation that indexes the members of a top-level object. */
START_TEST(test_validate_index)
{
	static const char in[] = " {\"a\": 1, \"b\" : [1,{\"c\":2}] ,\"\\u0061\":\"x\" } ";
	static const char arr[] = "[ 1 ,{\"a\":[2,3]},\"x,y\" , [ ] ]";
	sz_jindex ix = { 0 };

	ck_assert_int_eq(sz_json_validate_index(in, sizeof(in) - 1, NULL, NULL,
	    &ix), 0);
	ck_assert_int_eq(ix.n, 3);
	ck_assert_uint_eq(ix.m[0].kn, 3);
	ck_assert(memcmp(ix.m[0].k, "\"a\"", 3) == 0);
	ck_assert(ix.m[0].vn == 1 && ix.m[0].v[0] == '1');
	ck_assert(ix.m[1].vn == 11 && memcmp(ix.m[1].v, "[1,{\"c\":2}]", 11) == 0);
	ck_assert(ix.m[2].kn == 8 && sz_json_str_eq(ix.m[2].k, ix.m[2].kn, "a", 1));
	ck_assert(ix.m[2].vn == 3 && memcmp(ix.m[2].v, "\"x\"", 3) == 0);
	/* not an object, or too many members: no index */
	ck_assert_int_eq(sz_json_validate_index("[1,2]", 5, NULL, NULL, &ix), 0);
	ck_assert_int_eq(ix.n, -1);
	ck_assert_int_eq(sz_json_validate_index("{}", 2, NULL, NULL, &ix), 0);
	ck_assert_int_eq(ix.n, 0);
	{
		char big[2000];
		size_t k = 0;

		big[k++] = '{';
		for (int i = 0; i < SZ_JINDEX_MAX + 1; i++)
			k += (size_t)sprintf(big + k, "%s\"k%d\":%d", i ? "," : "",
			    i, i);
		big[k++] = '}';
		ck_assert_int_eq(sz_json_validate_index(big, k, NULL, NULL,
		    &ix), 0);
		ck_assert_int_eq(ix.n, -1);
	}
	/* the elements of a top-level array, when asked for */
	ix.want_el = 1;
	ck_assert_int_eq(sz_json_validate_index(arr, sizeof(arr) - 1, NULL,
	    NULL, &ix), 0);
	ck_assert_int_eq(ix.el_ok, 1);
	ck_assert_uint_eq(ix.nel, 4);
	ck_assert(ix.el[0] == 2 && ix.el[1] == 1);
	ck_assert(memcmp(arr + ix.el[2], "{\"a\":[2,3]}", ix.el[3]) == 0 &&
	    ix.el[3] == 11);
	ck_assert(memcmp(arr + ix.el[4], "\"x,y\"", ix.el[5]) == 0 &&
	    ix.el[5] == 5);
	ck_assert(memcmp(arr + ix.el[6], "[ ]", ix.el[7]) == 0 && ix.el[7] == 3);
	ck_assert_int_eq(sz_json_validate_index("[]", 2, NULL, NULL, &ix), 0);
	ck_assert_uint_eq(ix.nel, 0);
	ck_assert_int_eq(sz_json_validate_index("{}", 2, NULL, NULL, &ix), 0);
	ck_assert_int_eq(ix.el_ok, 0);
	free(ix.el);
}
END_TEST

/* ---- members --------------------------------------------------------- */

/*
 * The members of v as "literal|decoded=value;" for each, walked from the
 * bytes, and (when idx) from the validation index too: both walks must
 * give the same text. A name that is its own decoded form must come back
 * in place (a pointer into v).
 */
static void
members_text(const char *v, int idx, sz_buf *out)
{
	sz_jindex ix = { 0 };
	sz_jmembers it;
	sz_buf scratch = SZ_BUF_INIT;
	size_t n = strlen(v), len;
	const char *name;

	ck_assert_int_eq(sz_json_validate_index(v, n, NULL, NULL, &ix), 0);
	if (idx)
		ck_assert_int_ge(ix.n, 0);
	sz_json_members(&it, v, n, idx ? &ix : NULL);
	while (sz_json_members_next(&it)) {
		ck_assert(it.m.k >= v && it.m.k + it.m.kn <= v + n);
		ck_assert(it.m.v >= v && it.m.v + it.m.vn <= v + n);
		name = sz_jmember_name(&it.m, &scratch, &len);
		ck_assert_ptr_nonnull(name);
		if (sz_jstr_plain(it.m.k + 1, it.m.kn - 2))
			ck_assert_ptr_eq(name, it.m.k + 1);
		ck_assert_int_eq(sz_buf_add(out, it.m.k, it.m.kn), 0);
		ck_assert_int_eq(sz_buf_addc(out, '|'), 0);
		ck_assert_int_eq(sz_buf_add(out, name, len), 0);
		ck_assert_int_eq(sz_buf_addc(out, '='), 0);
		ck_assert_int_eq(sz_buf_add(out, it.m.v, it.m.vn), 0);
		ck_assert_int_eq(sz_buf_addc(out, ';'), 0);
	}
	/* and after the end, still the end */
	ck_assert_int_eq(sz_json_members_next(&it), 0);
	ck_assert_int_eq(sz_json_members_next(&it), 0);
	sz_buf_free(&scratch);
	free(ix.el);
}

static const struct {
	const char *in, *want;
} member_cases[] = {
	/* empty objects */
	{ "{}", "" },
	{ " \t{ \r\n }\n", "" },
	/* duplicates, in order */
	{ "{\"a\":1,\"b\":2,\"a\":3}", "\"a\"|a=1;\"b\"|b=2;\"a\"|a=3;" },
	/* escapes in names: the literal as written, the name decoded */
	{ "{\"\\u0061\":1,\"caf\\u00e9\":2,\"x\\\"y\":3,\"a\\/b\\n\":4}",
	  "\"\\u0061\"|a=1;\"caf\\u00e9\"|caf\xc3\xa9=2;\"x\\\"y\"|x\"y=3;"
	  "\"a\\/b\\n\"|a/b\n=4;" },
	{ "{\"\xff\":1,\"\\ud83d\\ude00\":2,\"\\udc00\":3,\"caf\xc3\xa9\":4}",
	  "\"\xff\"|\xef\xbf\xbd=1;\"\\ud83d\\ude00\"|\xf0\x9f\x98\x80=2;"
	  "\"\\udc00\"|\xef\xbf\xbd=3;\"caf\xc3\xa9\"|caf\xc3\xa9=4;" },
	/* nested values skipped whole, brackets and commas in strings */
	{ "{\"a\":{\"b\":[1,{\"c\":\"}\"}]},\"d\":[[],{}],\"e\":\"x,y}\","
	  "\"f\":{\"a\":9}}",
	  "\"a\"|a={\"b\":[1,{\"c\":\"}\"}]};\"d\"|d=[[],{}];"
	  "\"e\"|e=\"x,y}\";\"f\"|f={\"a\":9};" },
	/* every kind of value */
	{ "{\"n\":null,\"t\":true,\"f\":false,\"x\":-1.5e3,\"s\":\"\"}",
	  "\"n\"|n=null;\"t\"|t=true;\"f\"|f=false;\"x\"|x=-1.5e3;"
	  "\"s\"|s=\"\";" },
	/* white space everywhere: values come without it */
	{ " \t{ \n\"a\" \r: 1 ,\n \"b\":[ 1 , 2 ] \t,\"c\"\n:\n{ \"d\" : 2 }"
	  "\n} \n",
	  "\"a\"|a=1;\"b\"|b=[ 1 , 2 ];\"c\"|c={ \"d\" : 2 };" },
};

START_TEST(test_members)
{
	sz_buf bytes = SZ_BUF_INIT, index = SZ_BUF_INIT;
	const char *want = member_cases[_i].want;

	members_text(member_cases[_i].in, 0, &bytes);
	members_text(member_cases[_i].in, 1, &index);
	ck_assert_msg(bytes.len == strlen(want) &&
	    (bytes.len == 0 || memcmp(bytes.p, want, bytes.len) == 0),
	    "case %d: got %s", _i, bytes.p ? bytes.p : "");
	ck_assert_msg(index.len == bytes.len &&
	    (index.len == 0 || memcmp(index.p, bytes.p, index.len) == 0),
	    "case %d: from the index %s", _i, index.p ? index.p : "");
	sz_buf_free(&bytes);
	sz_buf_free(&index);
}
END_TEST

/* More members than the index holds (ix->n is -1): read from the bytes;
 * a value that is not an object has none; a name decoded into scratch
 * lasts until scratch changes. */
START_TEST(test_members_big)
{
	char big[4000];
	size_t k = 0, len;
	int i = 0;
	sz_jindex ix = { 0 };
	sz_jmembers it;
	sz_buf scratch = SZ_BUF_INIT;
	const char *name;

	big[k++] = '{';
	for (i = 0; i < SZ_JINDEX_MAX + 10; i++)
		k += (size_t)sprintf(big + k, "%s \"k\\u00%02x\" : [%d] ",
		    i ? "," : "", 0x40 + i % 32, i);
	big[k++] = '}';
	ck_assert_int_eq(sz_json_validate_index(big, k, NULL, NULL, &ix), 0);
	ck_assert_int_eq(ix.n, -1);
	sz_json_members(&it, big, k, &ix);
	for (i = 0; sz_json_members_next(&it); i++) {
		char want[16];

		name = sz_jmember_name(&it.m, &scratch, &len);
		ck_assert_ptr_eq(name, scratch.p);
		ck_assert(len == 2 && name[0] == 'k' &&
		    name[1] == (char)(0x40 + i % 32));
		snprintf(want, sizeof(want), "[%d]", i);
		ck_assert_uint_eq(it.m.vn, strlen(want));
		ck_assert(memcmp(it.m.v, want, it.m.vn) == 0);
	}
	ck_assert_int_eq(i, SZ_JINDEX_MAX + 10);

	ck_assert_int_eq(sz_json_validate_index("[1,{\"a\":1}]", 11, NULL,
	    NULL, &ix), 0);
	sz_json_members(&it, "[1,{\"a\":1}]", 11, &ix);
	ck_assert_int_eq(sz_json_members_next(&it), 0);
	sz_json_members(&it, " \"a\" ", 5, NULL);
	ck_assert_int_eq(sz_json_members_next(&it), 0);
	sz_buf_free(&scratch);
	free(ix.el);
}
END_TEST

static Suite *
json_suite(void)
{
	Suite *s = suite_create("json");
	TCase *tc;

	tc = tcase_create("JSONTestSuite");
	tcase_add_test(tc, test_suite_found);
	if (suite_nfiles > 0)
		tcase_add_loop_test(tc, test_suite_file, 0, suite_nfiles);
	suite_add_tcase(s, tc);

	tc = tcase_create("validate");
	tcase_add_loop_test(tc, test_validate_reason, 0, NELEM(val_cases));
	tcase_add_test(tc, test_validate_null_outputs);
	tcase_add_test(tc, test_validate_ws_to_end);
	tcase_add_test(tc, test_depth_limit);
	tcase_add_test(tc, test_depth_kinds);
	tcase_add_test(tc, test_hostile_nesting);
	tcase_add_test(tc, test_walk);
	suite_add_tcase(s, tc);

	tc = tcase_create("get");
	tcase_add_test(tc, test_get_keys);
	tcase_add_test(tc, test_get_escaped_keys);
	tcase_add_test(tc, test_get_duplicates);
	tcase_add_test(tc, test_get_index);
	tcase_add_test(tc, test_get_null_input);
	tcase_add_test(tc, test_get_errors);
	suite_add_tcase(s, tc);

	tc = tcase_create("numbers");
	tcase_add_loop_test(tc, test_num, 0, NELEM(num_cases));
	tcase_add_test(tc, test_num_long);
	suite_add_tcase(s, tc);

	tc = tcase_create("canon");
	tcase_add_loop_test(tc, test_canon_text, 0, NELEM(canon_cases));
	tcase_add_loop_test(tc, test_canon_pairs, 0, NELEM(canon_pairs));
	tcase_add_test(tc, test_canon_nested_names);
	tcase_add_test(tc, test_canon_deep);
	tcase_add_test(tc, test_canon_cap);
	tcase_add_test(tc, test_validate_index);
	suite_add_tcase(s, tc);

	tc = tcase_create("order");
	tcase_add_loop_test(tc, test_order_chain, 0, NELEM(order_chain));
	tcase_add_loop_test(tc, test_order_equal, 0, NELEM(order_equal));
	tcase_add_test(tc, test_order_nothing);
	suite_add_tcase(s, tc);

	tc = tcase_create("members");
	tcase_add_loop_test(tc, test_members, 0, NELEM(member_cases));
	tcase_add_test(tc, test_members_big);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	int failed, i;

	suite_list();
	failed = sz_check_run(json_suite()) != EXIT_SUCCESS;
	for (i = 0; i < suite_nfiles; i++)
		free(suite_files[i]);
	free(suite_files);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
