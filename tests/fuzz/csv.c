/* SPDX-License-Identifier: MIT */
/*
 * csv.c - fuzz target of the CSV reader (common/csv/csvin.c).
 *
 * Input: one byte choosing the delimiter and the maximum row size, then
 * the file. It is read whole and in chunks of 1, 2, 3 and 7 bytes and of
 * sizes drawn from the input; every reading must give the same rows
 * (fields, which were quoted, the row's text, its line, where an
 * unterminated quote opened) and the same final answer. Each row has a
 * field, fields lie inside the row's bytes, and no row's text passes the
 * maximum.
 */
#include <string.h>

#include "csv/csvin.h"
#include "fuzz.h"

/* Everything a reading gave, as one text to compare. */
typedef struct seen {
	sz_buf log;
	size_t max;
} seen;

static void
put_num(sz_buf *b, unsigned long long v)
{
	FUZZ_MEM(sz_buf_printf(b, "%llu,", v) == 0);
}

static int
row(void *ud, const sz_csvrow *r)
{
	seen *s = ud;
	size_t i;

	FUZZ_CHECK(r->n >= 1);
	FUZZ_CHECK(r->rawlen <= s->max);
	FUZZ_CHECK(strcmp(r->file, "<fuzz>") == 0);
	put_num(&s->log, r->line);
	put_num(&s->log, r->n);
	for (i = 0; i < r->n; i++) {
		size_t n;
		const char *f = sz_csvrow_field(r, i, &n);

		FUZZ_CHECK(r->beg[i] <= r->end[i]);
		put_num(&s->log, n);
		put_num(&s->log, r->quoted[i]);
		FUZZ_MEM(sz_buf_add(&s->log, f, n) == 0);
	}
	put_num(&s->log, r->rawlen);
	FUZZ_MEM(sz_buf_add(&s->log, r->raw, r->rawlen) == 0);
	put_num(&s->log, r->open_line);
	put_num(&s->log, r->end_line);
	put_num(&s->log, r->open_col);
	return 0;
}

static void
read_csv(const char *p, size_t n, unsigned char delim, size_t max,
    const uint8_t *sz, size_t nsz, size_t fixed, seen *s)
{
	sz_csvin c;
	size_t off = 0, i = 0;
	int rc = SZ_CSV_OK;

	s->max = max;
	sz_buf_reset(&s->log);
	FUZZ_MEM(sz_csvin_init(&c, delim, max, 1, row, s) == 0);
	sz_csvin_file(&c, "<fuzz>");
	while (off < n && rc == SZ_CSV_OK) {
		size_t k = fixed ? fixed : nsz ? (size_t)(1 + sz[i++ % nsz] % 16) : n;

		if (k > n - off)
			k = n - off;
		rc = sz_csvin_feed(&c, p + off, k);
		off += k;
	}
	if (rc == SZ_CSV_OK)
		rc = sz_csvin_finish(&c);
	FUZZ_MEM(rc != SZ_CSV_NOMEM);
	FUZZ_CHECK(rc == SZ_CSV_OK || rc == SZ_CSV_TOOLONG);
	put_num(&s->log, (unsigned long long)(rc + 10));
	if (rc == SZ_CSV_TOOLONG)
		put_num(&s->log, c.line_err);
	sz_csvin_free(&c);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const unsigned char delims[] = { ',', ';', '\t', '|' };
	static const size_t fixed[] = { 1, 2, 3, 7 };
	seen want = { { 0 }, 0 }, got = { { 0 }, 0 };
	unsigned char delim;
	size_t max, i;
	const char *p = (const char *)data + 1;

	if (size < 1 || size > 1 << 16)
		return 0;
	delim = delims[data[0] & 3];
	max = data[0] & 4 ? 1 + (data[0] >> 3) : 1 << 20;
	read_csv(p, size - 1, delim, max, NULL, 0, size, &want);
	for (i = 0; i <= sizeof(fixed) / sizeof(fixed[0]); i++) {
		if (i < sizeof(fixed) / sizeof(fixed[0]))
			read_csv(p, size - 1, delim, max, NULL, 0, fixed[i],
			    &got);
		else
			read_csv(p, size - 1, delim, max, data, size, 0, &got);
		FUZZ_CHECK(got.log.len == want.log.len &&
		    memcmp(got.log.p, want.log.p, want.log.len) == 0);
	}
	sz_buf_free(&want.log);
	sz_buf_free(&got.log);
	return 0;
}
