/* SPDX-License-Identifier: MIT */
/* check_frame.c - unit tests of common/io/frame.c: every case fed in every
 * chunk size from 1 byte to its whole length. TAP on stdout. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "io/frame.h"
#include "tap.h"

struct fcase {
	const char *name;
	const char *in;		/* input bytes */
	size_t inlen;		/* 0: strlen(in) */
	size_t max;		/* --max-record; 0: 1 MiB */
	/* expected: records as "LINE:bytes|", then "TOOLONG@LINE" if any */
	const char *want;
};

static const struct fcase cases[] = {
	{ "empty", "", 0, 0, "" },
	{ "one line", "{\"a\":1}\n", 0, 0, "1:{\"a\":1}|" },
	{ "no final newline", "{\"a\":1}\n[2]", 0, 0, "1:{\"a\":1}|2:[2]|" },
	{ "crlf", "a\r\nb\r\n", 0, 0, "1:a|2:b|" },
	{ "crlf without final newline", "a\r\nb\r", 0, 0, "1:a|2:b|" },
	{ "blank lines counted", "\n\na\n \t\r\n\nb\n\n", 0, 0, "3:a|6:b|" },
	{ "only blanks", "\n \n\t\n\r\n", 0, 0, "" },
	{ "bom", "\xef\xbb\xbf{}\n{}\n", 0, 0, "1:{}|2:{}|" },
	{ "bom then blank", "\xef\xbb\xbf\nx\n", 0, 0, "2:x|" },
	{ "bom only at start", "a\n\xef\xbb\xbf" "b\n", 0, 0,
	    "1:a|2:\xef\xbb\xbf" "b|" },
	{ "inner spaces kept", "  {\"a\": 1} \n", 0, 0, "1:  {\"a\": 1} |" },
	{ "cr inside a line kept", "a\rb\n", 0, 0, "1:a\rb|" },
	{ "nul byte kept", "a\0b\n", 4, 0, "1:a\0b|" },
	{ "exactly max", "12345\n123456\n", 0, 5, "1:12345|TOOLONG@2" },
	{ "max with crlf", "12345\r\n", 0, 5, "1:12345|" },
	{ "too long without newline", "1234567890", 0, 5, "TOOLONG@1" },
	{ "too long after records", "a\nb\n0123456789012\nc\n", 0, 8,
	    "1:a|2:b|TOOLONG@3" },
	{ "bom not counted against max", "\xef\xbb\xbf" "12345\n", 0, 5,
	    "1:12345|" },
	/* Every CR before the newline goes (\r\r\n from a file converted
	 * to CRLF twice), so that no record ends in a CR. */
	{ "cr cr lf", "{\"a\":1}\r\r\n{\"b\":2}\r\r\r\n", 0, 0,
	    "1:{\"a\":1}|2:{\"b\":2}|" },
	{ "crs ending the last line", "a\r\r", 0, 0, "1:a|" },
	{ "inner cr kept, trailing crs not", "a\rb\r\r\n", 0, 0,
	    "1:a\rb|" },
	{ "spaces before the crs kept", "{} \t\r\r\n", 0, 0, "1:{} \t|" },
	{ "line of crs is blank", "\r\r\r\nx\n", 0, 0, "2:x|" },
	{ "crs not counted against max", "12345\r\r\r\r\r\r\r\r\n6\n", 0,
	    5, "1:12345|2:6|" },
	{ "inner crs counted against max", "ab\r\r\rcd\nab\r\r\rcde\n", 0, 7,
	    "1:ab\r\r\rcd|TOOLONG@2" },
	{ "bom and crs not counted", "\xef\xbb\xbf" "12345\r\r\r\r\r\n", 0,
	    5, "1:12345|" },
};

/* Run the framer over in, fed `chunk` bytes at a time; describe what
 * came out in the form of fcase.want. */
static void
frame_all(const struct fcase *c, size_t len, size_t chunk, sz_buf *got)
{
	sz_framer f;
	sz_rec r;
	size_t off = 0;
	char *copy = NULL;

	memset(&f, 0, sizeof(f));
	sz_framer_init(&f, "F", c->max ? c->max : (1 << 20));
	for (;;) {
		int k = sz_framer_next(&f, &r);

		if (k == SZ_FR_REC) {
			ck_assert_str_eq(r.file, "F");
			sz_buf_printf(got, "%lu:", r.line);
			sz_buf_add(got, r.p, r.n);
			sz_buf_addc(got, '|');
			continue;
		}
		if (k == SZ_FR_TOOLONG) {
			sz_buf_printf(got, "TOOLONG@%lu", r.line);
			break;
		}
		if (k == SZ_FR_END)
			break;
		ck_assert_int_eq(k, SZ_FR_NEED);
		/* A fresh copy of each chunk, freed after it is consumed,
		 * so that a record pointing into an old chunk is caught by
		 * the sanitizers. */
		free(copy);
		copy = NULL;
		if (off == len) {
			sz_framer_finish(&f);
			sz_framer_feed(&f, "", 0);
			continue;
		}
		size_t n = len - off < chunk ? len - off : chunk;
		copy = malloc(n);
		ck_assert_ptr_nonnull(copy);
		memcpy(copy, c->in + off, n);
		sz_framer_feed(&f, copy, n);
		off += n;
	}
	free(copy);
	sz_framer_free(&f);
}

START_TEST(test_cases_every_chunk_size)
{
	const struct fcase *c = &cases[_i];
	size_t len = c->inlen ? c->inlen : strlen(c->in);
	size_t wantlen = c->inlen ? 6 : strlen(c->want);	/* "1:a\0b|" */

	for (size_t chunk = 1; chunk <= (len ? len : 1); chunk++) {
		sz_buf got = SZ_BUF_INIT;

		frame_all(c, len, chunk, &got);
		ck_assert_msg(got.len == wantlen &&
		    memcmp(got.p ? got.p : "", c->want, wantlen) == 0,
		    "%s, chunks of %zu: got \"%.*s\", want \"%s\"", c->name,
		    chunk, (int)got.len, got.p ? got.p : "", c->want);
		sz_buf_free(&got);
	}
}
END_TEST

/* A record wholly inside a chunk is not copied. */
START_TEST(test_zero_copy)
{
	static const char in[] = "{\"a\":1}\n{\"b\":2}\n";
	sz_framer f;
	sz_rec r;

	memset(&f, 0, sizeof(f));
	sz_framer_init(&f, "F", 100);
	sz_framer_feed(&f, in, sizeof(in) - 1);
	ck_assert_int_eq(sz_framer_next(&f, &r), SZ_FR_REC);
	ck_assert_ptr_eq(r.p, in);
	ck_assert_int_eq(sz_framer_next(&f, &r), SZ_FR_REC);
	ck_assert_ptr_eq(r.p, in + 8);
	ck_assert_int_eq(sz_framer_next(&f, &r), SZ_FR_NEED);
	sz_framer_finish(&f);
	sz_framer_feed(&f, "", 0);
	ck_assert_int_eq(sz_framer_next(&f, &r), SZ_FR_END);
	sz_framer_free(&f);
}
END_TEST

/* Large reads: 1000 records of 1 KiB fed in 64 KiB chunks. */
START_TEST(test_large_chunks)
{
	size_t rec = 1024, n = 1000, len = (rec + 1) * n, k = 0;
	char *in = malloc(len);
	sz_framer f;
	sz_rec r;

	ck_assert_ptr_nonnull(in);
	for (size_t i = 0; i < n; i++) {
		memset(in + i * (rec + 1), 'a' + (int)(i % 26), rec);
		in[i * (rec + 1) + rec] = '\n';
	}
	memset(&f, 0, sizeof(f));
	sz_framer_init(&f, "F", rec);
	for (size_t off = 0;;) {
		int rc = sz_framer_next(&f, &r);

		if (rc == SZ_FR_REC) {
			ck_assert_uint_eq(r.n, rec);
			ck_assert_int_eq(r.p[0], 'a' + (int)(k % 26));
			ck_assert_uint_eq(r.line, k + 1);
			k++;
		} else if (rc == SZ_FR_NEED) {
			size_t c = len - off < 65536 ? len - off : 65536;

			if (c == 0)
				sz_framer_finish(&f);
			sz_framer_feed(&f, in + off, c);
			off += c;
		} else {
			ck_assert_int_eq(rc, SZ_FR_END);
			break;
		}
	}
	ck_assert_uint_eq(k, n);
	sz_framer_free(&f);
	free(in);
}
END_TEST

/* A framer re-initialised for the next file starts at line 1 again. */
START_TEST(test_next_file)
{
	sz_framer f;
	sz_rec r;

	memset(&f, 0, sizeof(f));
	sz_framer_init(&f, "A", 100);
	sz_framer_feed(&f, "x\ny", 3);
	ck_assert_int_eq(sz_framer_next(&f, &r), SZ_FR_REC);
	ck_assert_int_eq(sz_framer_next(&f, &r), SZ_FR_NEED);
	sz_framer_finish(&f);
	sz_framer_feed(&f, "", 0);
	ck_assert_int_eq(sz_framer_next(&f, &r), SZ_FR_REC);
	ck_assert_uint_eq(r.line, 2);
	ck_assert_int_eq(sz_framer_next(&f, &r), SZ_FR_END);
	sz_framer_init(&f, "B", 100);
	sz_framer_feed(&f, "\xef\xbb\xbfz\n", 5);
	ck_assert_int_eq(sz_framer_next(&f, &r), SZ_FR_REC);
	ck_assert_str_eq(r.file, "B");
	ck_assert_uint_eq(r.line, 1);
	ck_assert_uint_eq(r.n, 1);
	ck_assert_int_eq(r.p[0], 'z');
	sz_framer_free(&f);
}
END_TEST

static Suite *
frame_suite(void)
{
	Suite *s = suite_create("frame");
	TCase *tc = tcase_create("frame");

	tcase_add_loop_test(tc, test_cases_every_chunk_size, 0,
	    (int)(sizeof(cases) / sizeof(cases[0])));
	tcase_add_test(tc, test_zero_copy);
	tcase_add_test(tc, test_large_chunks);
	tcase_add_test(tc, test_next_file);
	suite_add_tcase(s, tc);
	return s;
}

SZ_CHECK_MAIN(frame_suite)
