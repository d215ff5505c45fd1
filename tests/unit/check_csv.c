/* SPDX-License-Identifier: MIT */
/*
 * check_csv.c - unit tests of common/csv/csvin.c, written as TAP on stdout.
 * Every input is fed in every chunk size from 1 byte to its length, so
 * that every place where a read can cut the data is tried.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "csv/csvin.h"
#include "tap.h"

static int
no_space(unsigned char ch)
{
	(void)ch;
	return 0;
}

/* What the rows looked like, as text: one line per row,
 * "LINE <field><field>... {raw}", a quoted field as q<...>, and for a row
 * whose quoted field the end of the file left open " open@L:C-E" (the
 * line and column of the quote, the row's last line). */
struct seen {
	sz_buf b;
	int stop_at;		/* answer 1 at this row (from 1), 0: never */
	int rows;
};

static int
collect(void *ud, const sz_csvrow *r)
{
	struct seen *s = ud;

	ck_assert_uint_ge(r->n, 1);
	ck_assert_int_eq(sz_buf_printf(&s->b, "%lu ", r->line), 0);
	for (size_t i = 0; i < r->n; i++) {
		size_t n;
		const char *f = sz_csvrow_field(r, i, &n);

		if (r->quoted && r->quoted[i])
			ck_assert_int_eq(sz_buf_addc(&s->b, 'q'), 0);
		ck_assert_int_eq(sz_buf_addc(&s->b, '<'), 0);
		ck_assert_int_eq(sz_buf_add(&s->b, f, n), 0);
		ck_assert_int_eq(sz_buf_addc(&s->b, '>'), 0);
	}
	ck_assert_int_eq(sz_buf_printf(&s->b, " {%.*s}", (int)r->rawlen,
	    r->raw), 0);
	if (r->open_line != 0)
		ck_assert_int_eq(sz_buf_printf(&s->b, " open@%lu:%zu-%lu",
		    r->open_line, r->open_col, r->end_line), 0);
	ck_assert_int_eq(sz_buf_addc(&s->b, '\n'), 0);
	return ++s->rows == s->stop_at;
}

/*
 * Read `in` (n bytes) fed in chunks of k bytes; returns what feed/finish
 * answered last and leaves the rows in s.
 */
static int
run(sz_csvin *c, struct seen *s, const char *in, size_t n, size_t k)
{
	int rc = SZ_CSV_OK;

	sz_buf_reset(&s->b);
	ck_assert_int_eq(sz_buf_reserve(&s->b, 0), 0);
	s->rows = 0;
	sz_csvin_file(c, "t.csv");
	for (size_t off = 0; off < n && rc == SZ_CSV_OK; off += k)
		rc = sz_csvin_feed(c, in + off, off + k <= n ? k : n - off);
	if (rc == SZ_CSV_OK)
		rc = sz_csvin_finish(c);
	return rc;
}

struct ccase {
	const char *name;
	const char *in;		/* NULL-free input (n = strlen) */
	char delim;
	size_t max;		/* 0: 1 MiB */
	int stop_at;
	int rc;			/* expected answer */
	const char *rows;	/* expected rows */
};

static const struct ccase cases[] = {
	{ "simple", "a,b,c\n1,2,3\n", ',', 0, 0, SZ_CSV_OK,
	  "1 <a><b><c> {a,b,c}\n2 <1><2><3> {1,2,3}\n" },
	{ "no final newline", "a,b\n1,2", ',', 0, 0, SZ_CSV_OK,
	  "1 <a><b> {a,b}\n2 <1><2> {1,2}\n" },
	{ "empty", "", ',', 0, 0, SZ_CSV_OK, "" },
	{ "only blank lines", "\n\r\n\r\n", ',', 0, 0, SZ_CSV_OK, "" },
	{ "crlf", "a,b\r\n\"x\r\ny\",2\r\n3,4", ',', 0, 0, SZ_CSV_OK,
	  "1 <a><b> {a,b}\n2 q<x\r\ny><2> {\"x\r\ny\",2}\n4 <3><4> {3,4}\n" },
	{ "blank lines skipped, counted", "\n\na\n\n\nb\n", ',', 0, 0,
	  SZ_CSV_OK, "3 <a> {a}\n6 <b> {b}\n" },
	{ "blank lines inside quotes", "\"a\n\n\nb\",c\nd,e\n", ',', 0, 0,
	  SZ_CSV_OK, "1 q<a\n\n\nb><c> {\"a\n\n\nb\",c}\n5 <d><e> {d,e}\n" },
	{ "crlf blank lines inside quotes", "\"a\r\n\r\nb\"\r\nc\r\n", ',',
	  0, 0, SZ_CSV_OK, "1 q<a\r\n\r\nb> {\"a\r\n\r\nb\"}\n4 <c> {c}\n" },
	{ "bom", "\xef\xbb\xbf" "a,b\n1,2\n", ',', 0, 0, SZ_CSV_OK,
	  "1 <a><b> {a,b}\n2 <1><2> {1,2}\n" },
	{ "bom only", "\xef\xbb\xbf", ',', 0, 0, SZ_CSV_OK, "" },
	{ "not a bom", "\xef\xbbx,\xef\n", ',', 0, 0, SZ_CSV_OK,
	  "1 <\xef\xbbx><\xef> {\xef\xbbx,\xef}\n" },
	{ "half a bom at the end", "\xef\xbb", ',', 0, 0, SZ_CSV_OK,
	  "1 <\xef\xbb> {\xef\xbb}\n" },
	{ "second bom is data", "\xef\xbb\xbf\xef\xbb\xbf" "a\n", ',', 0, 0,
	  SZ_CSV_OK, "1 <\xef\xbb\xbf" "a> {\xef\xbb\xbf" "a}\n" },
	{ "lone cr", "a\rb\r\rc", ',', 0, 0, SZ_CSV_OK,
	  "1 <a> {a}\n2 <b> {b}\n4 <c> {c}\n" },
	{ "lone cr inside quotes", "\"a\rb\",c\rd\n", ',', 0, 0, SZ_CSV_OK,
	  "1 q<a\rb><c> {\"a\rb\",c}\n3 <d> {d}\n" },
	{ "empty fields", "a,\n,b\n,\n", ',', 0, 0, SZ_CSV_OK,
	  "1 <a><> {a,}\n2 <><b> {,b}\n3 <><> {,}\n" },
	{ "spaces are data", " a , \"b\" ,\" c \"\n", ',', 0, 0, SZ_CSV_OK,
	  "1 < a >< \"b\" >q< c > { a , \"b\" ,\" c \"}\n" },
	{ "doubled quotes", "\"a\"\"b\",\"\",x\"y,\"\"\"\"\n", ',', 0, 0,
	  SZ_CSV_OK,
	  "1 q<a\"b>q<><x\"y>q<\"> {\"a\"\"b\",\"\",x\"y,\"\"\"\"}\n" },
	{ "quoted delimiter", "\"1,2\",3\n", ',', 0, 0, SZ_CSV_OK,
	  "1 q<1,2><3> {\"1,2\",3}\n" },
	{ "lenient stray quote", "\"ab\"c,d\ne\n", ',', 0, 0, SZ_CSV_OK,
	  "1 q<ab\"c,d\ne\n> {\"ab\"c,d\ne\n} open@1:1-2\n" },
	{ "stray quote closed before a delimiter", "\"ab\"c\",d\ne\n", ',', 0,
	  0, SZ_CSV_OK, "1 q<ab\"c><d> {\"ab\"c\",d}\n2 <e> {e}\n" },
	/* A quoted field that is never closed runs to the end of the file;
	 * its row says where the quote is. */
	{ "unterminated quote at the end", "a,\"b\nc", ',', 0, 0, SZ_CSV_OK,
	  "1 <a>q<b\nc> {a,\"b\nc} open@1:3-2\n" },
	{ "unterminated quote takes the rows after it",
	  "a,b\n1,2\n3,\"x\n5,6\n\n7,8\n", ',', 0, 0, SZ_CSV_OK,
	  "1 <a><b> {a,b}\n2 <1><2> {1,2}\n"
	  "3 <3>q<x\n5,6\n\n7,8\n> {3,\"x\n5,6\n\n7,8\n} open@3:3-6\n" },
	{ "unterminated lone quote", "a,\"", ',', 0, 0, SZ_CSV_OK,
	  "1 <a>q<> {a,\"} open@1:3-1\n" },
	{ "doubled quote at the end does not close", "a,\"b\"\"", ',', 0, 0,
	  SZ_CSV_OK, "1 <a>q<b\"> {a,\"b\"\"} open@1:3-1\n" },
	{ "closing quote at the end", "a,\"b\"\"\"\n\"c\nd\"", ',', 0, 0,
	  SZ_CSV_OK, "1 <a>q<b\"> {a,\"b\"\"\"}\n2 q<c\nd> {\"c\nd\"}\n" },
	{ "unterminated quote on a later line of its row",
	  "\"a\r\nb\",\"c\r\nd", ',', 0, 0, SZ_CSV_OK,
	  "1 q<a\r\nb>q<c\r\nd> {\"a\r\nb\",\"c\r\nd} open@2:4-3\n" },
	{ "unterminated quote, lone crs", "x\r\"a\rb\r", ',', 0, 0, SZ_CSV_OK,
	  "1 <x> {x}\n2 q<a\rb\r> {\"a\rb\r} open@2:1-3\n" },
	{ "unterminated quote after a bom", "\xef\xbb\xbf\"a;b", ';', 0, 0,
	  SZ_CSV_OK, "1 q<a;b> {\"a;b} open@1:1-1\n" },
	{ "unterminated quote longer than max", "a\n\"b\nccc\ndddd\n", ',', 8,
	  0, SZ_CSV_TOOLONG, "1 <a> {a}\n" },
	{ "tab delimiter", "a\tb c\t\"d\te\"\n1\t2\t3\n", '\t', 0, 0,
	  SZ_CSV_OK,
	  "1 <a><b c>q<d\te> {a\tb c\t\"d\te\"}\n2 <1><2><3> {1\t2\t3}\n" },
	{ "semicolon delimiter", "a;\"b;c\";d,e\n", ';', 0, 0, SZ_CSV_OK,
	  "1 <a>q<b;c><d,e> {a;\"b;c\";d,e}\n" },
	{ "invalid utf-8 passed on", "\xff\xfe,\xc3\n", ',', 0, 0, SZ_CSV_OK,
	  "1 <\xff\xfe><\xc3> {\xff\xfe,\xc3}\n" },
	{ "row too long", "ab\nabcdefgh\nx\n", ',', 5, 0, SZ_CSV_TOOLONG,
	  "1 <ab> {ab}\n" },
	{ "multi-line row too long", "ab\n\"a\nb\nc\"\n", ',', 5, 0,
	  SZ_CSV_TOOLONG, "1 <ab> {ab}\n" },
	{ "row of exactly max", "abcde\r\n\"a\nb\"\n", ',', 5, 0, SZ_CSV_OK,
	  "1 <abcde> {abcde}\n2 q<a\nb> {\"a\nb\"}\n" },
	{ "stop", "a\nb\nc\n", ',', 0, 2, SZ_CSV_STOP,
	  "1 <a> {a}\n2 <b> {b}\n" },
};

START_TEST(test_chunks)
{
	const struct ccase *cc = &cases[_i];
	size_t n = strlen(cc->in);
	struct seen s = { SZ_BUF_INIT, cc->stop_at, 0 };
	sz_csvin c;

	ck_assert_int_eq(sz_csvin_init(&c, (unsigned char)cc->delim,
	    cc->max ? cc->max : 1 << 20, 1, collect, &s), 0);
	for (size_t k = 1; k <= (n ? n : 1); k++) {
		int rc = run(&c, &s, cc->in, n, k);

		ck_assert_msg(rc == cc->rc, "%s, chunks of %zu: answer %d, "
		    "want %d", cc->name, k, rc, cc->rc);
		ck_assert_msg(strcmp(s.b.p, cc->rows) == 0,
		    "%s, chunks of %zu:\n%s\nwant:\n%s", cc->name, k, s.b.p,
		    cc->rows);
		if (rc == SZ_CSV_TOOLONG)
			ck_assert_uint_eq(c.line_err, 2);
	}
	sz_csvin_free(&c);
	sz_buf_free(&s.b);
}
END_TEST

/* A reader goes on with the next file after an error or a stop, and
 * counts its lines from 1 again. */
START_TEST(test_next_file)
{
	struct seen s = { SZ_BUF_INIT, 0, 0 };
	sz_csvin c;

	ck_assert_int_eq(sz_csvin_init(&c, ',', 6, 0, collect, &s), 0);
	ck_assert_int_eq(run(&c, &s, "a\n\"bbbbbbbb", 11, 3),
	    SZ_CSV_TOOLONG);
	ck_assert_int_eq(run(&c, &s, "\n\nc,\"d\"\n", 8, 8), SZ_CSV_OK);
	ck_assert_str_eq(s.b.p, "3 <c><d> {c,\"d\"}\n");
	s.stop_at = 1;
	ck_assert_int_eq(run(&c, &s, "\"x\ny\nz", 6, 2), SZ_CSV_STOP);
	ck_assert_str_eq(s.b.p, "1 <x\ny\nz> {\"x\ny\nz} open@1:1-3\n");
	/* The next file does not go on inside the quote. */
	s.stop_at = 0;
	ck_assert_int_eq(run(&c, &s, "a,\"b\n", 5, 1), SZ_CSV_OK);
	ck_assert_int_eq(run(&c, &s, "c\"\n", 3, 1), SZ_CSV_OK);
	ck_assert_str_eq(s.b.p, "1 <c\"> {c\"}\n");
	sz_csvin_free(&c);
	sz_buf_free(&s.b);
}
END_TEST

/* Rows of many fields and long fields grow the buffers. */
START_TEST(test_big)
{
	struct seen s = { SZ_BUF_INIT, 0, 0 };
	sz_buf in = SZ_BUF_INIT, want = SZ_BUF_INIT;
	sz_csvin c;

	for (int i = 0; i < 3000; i++)
		ck_assert_int_eq(sz_buf_printf(&in, "%s%d", i ? "," : "", i),
		    0);
	ck_assert_int_eq(sz_buf_adds(&in, "\n\""), 0);
	for (int i = 0; i < 200000; i++)
		ck_assert_int_eq(sz_buf_addc(&in, "ab\"\"\n,"[i % 6]), 0);
	ck_assert_int_eq(sz_buf_adds(&in, "\"\n"), 0);
	ck_assert_int_eq(sz_csvin_init(&c, ',', 1 << 20, 1, collect, &s), 0);
	for (size_t k = 1; k <= in.len; k = k * 3 + 1) {
		ck_assert_int_eq(run(&c, &s, in.p, in.len, k), SZ_CSV_OK);
		ck_assert_int_eq(s.rows, 2);
		if (want.p == NULL)
			ck_assert_int_eq(sz_buf_add(&want, s.b.p, s.b.len), 0);
		else
			ck_assert_msg(s.b.len == want.len &&
			    memcmp(s.b.p, want.p, want.len) == 0,
			    "chunks of %zu differ", k);
	}
	sz_csvin_free(&c);
	sz_buf_free(&s.b);
	sz_buf_free(&in);
	sz_buf_free(&want);
}
END_TEST

/*
 * libcsv's own answer to "does the end of the file leave a quoted field
 * open?" for in[0..n): its state before csv_fini, the state of a quoted
 * field being read (learnt from a parser fed one quote and a byte).
 */
static int
libcsv_open(const char *in, size_t n, unsigned char delim)
{
	struct csv_parser p;
	int begun, open;

	ck_assert_int_eq(csv_init(&p, 0), 0);
	ck_assert_uint_eq(csv_parse(&p, "\"a", 2, NULL, NULL, NULL), 2);
	begun = p.pstate;
	csv_free(&p);
	ck_assert_int_eq(csv_init(&p, 0), 0);
	csv_set_delim(&p, delim);
	csv_set_space_func(&p, no_space);
	ck_assert_uint_eq(csv_parse(&p, in, n, NULL, NULL, NULL), n);
	open = p.quoted && p.pstate == begun;
	csv_free(&p);
	return open;
}

/*
 * Random inputs: fed a byte at a time, every row goes through libcsv;
 * fed whole, lines without quotes are split without it. Both must give
 * the same rows, quoted flags and line numbers. The last row is open
 * exactly when libcsv is inside a quoted field at the end.
 */
START_TEST(test_random)
{
	static const char alphabet[] = "ab,;\"\"\n\r \t\xef\xbb\xbf";
	struct seen s = { SZ_BUF_INIT, 0, 0 };
	sz_buf want = SZ_BUF_INIT;
	char in[300];
	unsigned seed = 12345;
	size_t skip;
	sz_csvin c;

	for (int round = 0; round < 3000; round++) {
		size_t n = (size_t)(seed = seed * 1103515245 + 12345) % 300;
		unsigned char delim = round % 3 ? ',' : ';';

		for (size_t i = 0; i < n; i++) {
			seed = seed * 1103515245 + 12345;
			in[i] = alphabet[(seed >> 16) % (sizeof(alphabet) - 1)];
		}
		ck_assert_int_eq(sz_csvin_init(&c, delim, 1 << 20, 1, collect,
		    &s), 0);
		ck_assert_int_eq(run(&c, &s, in, n, 1), SZ_CSV_OK);
		sz_buf_reset(&want);
		ck_assert_int_eq(sz_buf_add(&want, s.b.p, s.b.len), 0);
		for (size_t k = 2; k <= n; k += k < 8 ? 1 : n) {
			ck_assert_int_eq(run(&c, &s, in, n, k), SZ_CSV_OK);
			ck_assert_msg(s.b.len == want.len &&
			    memcmp(s.b.p, want.p, want.len) == 0,
			    "round %d, chunks of %zu:\n%s\nwant:\n%s", round,
			    k, s.b.p, want.p);
		}
		ck_assert_int_eq(run(&c, &s, in, n, n ? n : 1), SZ_CSV_OK);
		ck_assert_msg(s.b.len == want.len &&
		    memcmp(s.b.p, want.p, want.len) == 0,
		    "round %d, whole:\n%s\nwant:\n%s", round, s.b.p, want.p);
		/* A BOM is dropped before libcsv sees the bytes. */
		skip = n >= 3 && memcmp(in, "\xef\xbb\xbf", 3) == 0 ? 3 : 0;
		ck_assert_msg((strstr(s.b.p, " open@") != NULL) ==
		    libcsv_open(in + skip, n - skip, delim),
		    "round %d: open quote not as libcsv says:\n%s", round,
		    s.b.p);
		sz_csvin_free(&c);
	}
	sz_buf_free(&s.b);
	sz_buf_free(&want);
}
END_TEST

static Suite *
csv_suite(void)
{
	Suite *s = suite_create("csv");
	TCase *tc = tcase_create("csvin");

	tcase_set_timeout(tc, 60);
	tcase_add_loop_test(tc, test_chunks, 0,
	    (int)(sizeof(cases) / sizeof(cases[0])));
	tcase_add_test(tc, test_next_file);
	tcase_add_test(tc, test_big);
	tcase_add_test(tc, test_random);
	suite_add_tcase(s, tc);
	return s;
}

SZ_CHECK_MAIN(csv_suite)
