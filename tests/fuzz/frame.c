/* SPDX-License-Identifier: MIT */
/*
 * frame.c - fuzz target of the framer (common/io/frame.c).
 *
 * Input: one byte choosing the maximum record size, then the stream.
 * The stream is framed in many chunkings (whole, 1, 2, 3, 5, 64 bytes,
 * and sizes drawn from the input); every one must give exactly the
 * records of a model of man/sz.7's rules written here from scratch (lines
 * split at LF, CRs at a line's end dropped, a BOM at the start dropped,
 * blank lines skipped, a too long line stops the file), with the same
 * line numbers.
 */
#include <string.h>

#include "io/frame.h"
#include "fuzz.h"

#define MAXREC 4096

typedef struct ev {
	int kind;		/* SZ_FR_REC or SZ_FR_TOOLONG */
	unsigned long line;
	size_t off, n;		/* the record's copy in evs.bytes, for REC */
} ev;

typedef struct evs {
	ev *e;
	size_t n, cap;
	sz_buf bytes;
} evs;

static void
push(evs *v, int kind, unsigned long line, const char *p, size_t n)
{
	if (v->n == v->cap) {
		size_t cap = v->cap ? 2 * v->cap : 64;
		ev *e = realloc(v->e, cap * sizeof(*e));

		FUZZ_MEM(e != NULL);
		v->e = e;
		v->cap = cap;
	}
	v->e[v->n].kind = kind;
	v->e[v->n].line = line;
	v->e[v->n].off = v->bytes.len;
	v->e[v->n].n = n;
	if (n > 0)
		FUZZ_MEM(sz_buf_add(&v->bytes, p, n) == 0);
	v->n++;
}

/* The rules, line by line. */
static void
model(const char *p, size_t n, size_t max, evs *out)
{
	size_t i = 0;
	unsigned long line = 1;

	while (i < n) {
		const char *nl = memchr(p + i, '\n', n - i);
		size_t end = nl != NULL ? (size_t)(nl - p) : n;
		const char *s = p + i;
		size_t k = end - i, j;
		int blank = 1;

		while (k > 0 && s[k - 1] == '\r')
			k--;
		if (line == 1 && k >= 3 && memcmp(s, "\xef\xbb\xbf", 3) == 0) {
			s += 3;
			k -= 3;
		}
		if (k > max) {
			push(out, SZ_FR_TOOLONG, line, NULL, 0);
			return;
		}
		for (j = 0; j < k; j++)
			if (s[j] != ' ' && s[j] != '\t' && s[j] != '\r')
				blank = 0;
		if (!blank)
			push(out, SZ_FR_REC, line, s, k);
		i = end + 1;
		line++;
	}
}

/* Frame p[0..n) in chunks whose sizes come from size(i). */
static void
frame(sz_framer *f, const char *p, size_t n, size_t max,
    size_t (*size)(size_t i, const uint8_t *sz, size_t nsz),
    const uint8_t *sz, size_t nsz, evs *out)
{
	size_t off = 0, i = 0;
	sz_rec r;
	int rc;

	sz_framer_init(f, "<fuzz>", max);
	for (;;) {
		if (off < n) {
			size_t k = size(i++, sz, nsz);

			if (k == 0 || k > n - off)
				k = n - off;
			sz_framer_feed(f, p + off, k);
			off += k;
		} else
			sz_framer_finish(f);
		while ((rc = sz_framer_next(f, &r)) == SZ_FR_REC) {
			FUZZ_CHECK(r.n > 0 && r.n <= max);
			FUZZ_CHECK(memchr(r.p, '\n', r.n) == NULL);
			FUZZ_CHECK(r.p[r.n - 1] != '\r');
			FUZZ_CHECK(strcmp(r.file, "<fuzz>") == 0);
			push(out, SZ_FR_REC, r.line, r.p, r.n);
		}
		if (rc == SZ_FR_TOOLONG) {
			push(out, SZ_FR_TOOLONG, r.line, NULL, 0);
			return;
		}
		FUZZ_CHECK(rc == SZ_FR_NEED || rc == SZ_FR_END);
		FUZZ_MEM(rc != SZ_FR_NOMEM);
		if (rc == SZ_FR_END) {
			FUZZ_CHECK(off == n);
			return;
		}
	}
}

static size_t whole(size_t i, const uint8_t *s, size_t n)
{ (void)i; (void)s; (void)n; return 0; }
static size_t one(size_t i, const uint8_t *s, size_t n)
{ (void)i; (void)s; (void)n; return 1; }
static size_t two(size_t i, const uint8_t *s, size_t n)
{ (void)i; (void)s; (void)n; return 2; }
static size_t three(size_t i, const uint8_t *s, size_t n)
{ (void)i; (void)s; (void)n; return 3; }
static size_t five(size_t i, const uint8_t *s, size_t n)
{ (void)i; (void)s; (void)n; return 5; }
static size_t sixtyfour(size_t i, const uint8_t *s, size_t n)
{ (void)i; (void)s; (void)n; return 64; }
/* Sizes 1..16 read from the input's bytes in turn. */
static size_t drawn(size_t i, const uint8_t *s, size_t n)
{ return n ? 1 + s[i % n] % 16 : 1; }

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t (*const sizes[])(size_t, const uint8_t *, size_t) = {
		whole, one, two, three, five, sixtyfour, drawn
	};
	static sz_framer f;	/* zeroed once, its buffer reused */
	evs want = { 0 }, got = { 0 };
	const char *p = (const char *)data + 1;
	size_t n, max, c, i;

	if (size < 1 || size > 1 << 16)
		return 0;
	n = size - 1;
	/* Small maxima meet the too-long paths; 0 only allows nothing. */
	max = data[0] < 128 ? data[0] % 40 : MAXREC;
	model(p, n, max, &want);
	for (c = 0; c < sizeof(sizes) / sizeof(sizes[0]); c++) {
		got.n = 0;
		sz_buf_reset(&got.bytes);
		frame(&f, p, n, max, sizes[c], data, size, &got);
		FUZZ_CHECK(got.n == want.n);
		for (i = 0; i < want.n; i++) {
			FUZZ_CHECK(got.e[i].kind == want.e[i].kind);
			FUZZ_CHECK(got.e[i].line == want.e[i].line);
			if (want.e[i].kind == SZ_FR_REC) {
				FUZZ_CHECK(got.e[i].n == want.e[i].n);
				FUZZ_CHECK(memcmp(got.bytes.p + got.e[i].off,
				    want.bytes.p + want.e[i].off,
				    want.e[i].n) == 0);
			}
		}
	}
	free(want.e);
	free(got.e);
	sz_buf_free(&want.bytes);
	sz_buf_free(&got.bytes);
	return 0;
}
