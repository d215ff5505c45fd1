/* SPDX-License-Identifier: MIT */
/*
 * csvin.c - CSV rows from a byte stream with libcsv; see csvin.h.
 *
 * How line numbers and row texts are kept: every chunk is cut after each
 * CR and LF, and libcsv is fed one piece at a time. libcsv ends a row only
 * at a CR or LF, so a row always ends at the end of a piece: the pieces
 * fed since the row began are its text, and the line count kept between
 * pieces says where it began. A piece that is a whole line without a quote,
 * at the start of a row, is split here instead (see csvin.h).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "csv/csvin.h"

static const unsigned char bom[3] = { 0xef, 0xbb, 0xbf };

/* Spaces are data: libcsv trims none when this says no space is one. */
static int
no_space(unsigned char ch)
{
	(void)ch;
	return 0;
}

int
sz_csvin_init(sz_csvin *c, unsigned char delim, size_t max, int want_quoted,
    sz_csv_fn fn, void *ud)
{
	memset(c, 0, sizeof(*c));
	if (csv_init(&c->p, 0) != 0)
		return -1;
	csv_set_delim(&c->p, delim);
	csv_set_space_func(&c->p, no_space);
	/* Grow the field buffer in large steps, not libcsv's 128 bytes. */
	csv_set_blk_size(&c->p, 64 * 1024);
	c->fn = fn;
	c->ud = ud;
	c->max = max;
	c->want_quoted = want_quoted;
	sz_csvin_file(c, "<stdin>");
	return 0;
}

void
sz_csvin_file(sz_csvin *c, const char *file)
{
	/* Forget a row left unfinished by an error or a stop. */
	csv_fini(&c->p, NULL, NULL, NULL);
	c->file = file;
	c->line = 1;
	c->bom = 0;
	c->cr = 0;
	c->in_row = 0;
	c->nomem = 0;
	c->stop = 0;
	c->open_line = 0;
	c->nf = 0;
	sz_buf_reset(&c->raw);
	sz_buf_reset(&c->fields);
}

void
sz_csvin_free(sz_csvin *c)
{
	csv_free(&c->p);
	sz_buf_free(&c->raw);
	sz_buf_free(&c->fields);
	free(c->beg);
	free(c->end);
	free(c->quoted);
	c->beg = c->end = NULL;
	c->quoted = NULL;
	c->nf = c->af = 0;
}

/* Room for one more field. 0, or -1 when memory ran out. */
static int
more_fields(sz_csvin *c)
{
	size_t na = c->af ? 2 * c->af : 64, *nb, *ne;
	unsigned char *nq;

	if (c->nf < c->af)
		return 0;
	if ((nb = realloc(c->beg, na * sizeof(*nb))) == NULL)
		return -1;
	c->beg = nb;
	if ((ne = realloc(c->end, na * sizeof(*ne))) == NULL)
		return -1;
	c->end = ne;
	if (c->want_quoted) {
		if ((nq = realloc(c->quoted, na)) == NULL)
			return -1;
		c->quoted = nq;
	}
	c->af = na;
	return 0;
}

/* libcsv: a field ended. Keep a copy (libcsv reuses its buffer). */
static void
on_field(void *s, size_t n, void *ud)
{
	sz_csvin *c = ud;

	if (c->nomem)
		return;
	if (more_fields(c) != 0) {
		c->nomem = 1;
		return;
	}
	/* sz_buf_add's work, with the room checked here: this runs for
	 * every field. */
	if (c->fields.alloc - c->fields.len <= n &&
	    sz_buf_reserve(&c->fields, n) != 0) {
		c->nomem = 1;
		return;
	}
	memcpy(c->fields.p + c->fields.len, s, n);
	c->beg[c->nf] = c->fields.len;
	c->fields.len += n;
	c->end[c->nf++] = c->fields.len;
}

/*
 * The end of the quoted field whose opening quote is r[s], by libcsv's
 * rules (a quote closes the field when a delimiter, the end of the row or
 * nothing follows; two quotes are one): the offset of the delimiter after
 * it, n when it closes at the end of r, SIZE_MAX when it is still open.
 */
static size_t
quoted_end(const char *r, size_t n, size_t s, unsigned char quote,
    unsigned char delim)
{
	size_t i = s + 1;

	for (;;) {
		const char *e = memchr(r + i, quote, n - i);

		if (e == NULL)
			return SIZE_MAX;
		i = (size_t)(e - r) + 1;
		if (i == n)
			return n;
		if ((unsigned char)r[i] == delim)
			return i;
		if ((unsigned char)r[i] == quote)
			i++;
	}
}

/*
 * Which fields of the row text r[0..n) were quoted, exactly as libcsv
 * decides it: a field is quoted when its first byte is the quote. A quoted
 * field goes on until a quote that is followed by the delimiter (or ends
 * the text); a doubled quote, or a quote followed by anything else, is
 * data. An unquoted field ends at the next delimiter.
 */
static void
find_quoted(const sz_csvin *c, const char *r, size_t n, unsigned char *q,
    size_t nf)
{
	unsigned char delim = c->p.delim_char, quote = c->p.quote_char;
	size_t s = 0, f = 0;

	memset(q, 0, nf);
	while (f < nf && s <= n) {
		const char *e;

		if (s < n && (unsigned char)r[s] == quote) {
			size_t end = quoted_end(r, n, s, quote, delim);

			q[f] = 1;
			if (end >= n)
				return;	/* the last field */
			s = end + 1;
		} else {
			e = memchr(r + s, delim, n - s);
			if (e == NULL)
				return;
			s = (size_t)(e - r) + 1;
		}
		f++;
	}
}

/*
 * Where the quoted field that an unfinished row r[0..n) leaves open
 * begins, as libcsv reads it (the rules of find_quoted): the offset of its
 * opening quote, or n when the row's last field is closed or unquoted.
 * Such a row has no CR or LF outside quotes.
 */
static size_t
open_quote(const sz_csvin *c, const char *r, size_t n)
{
	unsigned char delim = c->p.delim_char, quote = c->p.quote_char;
	size_t s = 0;

	for (;;) {
		const char *e;

		if (s < n && (unsigned char)r[s] == quote) {
			size_t end = quoted_end(r, n, s, quote, delim);

			if (end == SIZE_MAX)
				return s;
			if (end == n)
				return n;	/* closed at the end */
			s = end + 1;
		} else {
			e = memchr(r + s, delim, n - s);
			if (e == NULL)
				return n;
			s = (size_t)(e - r) + 1;
		}
	}
}

/* The line and the column (from 1) of byte `off` of a row text r whose
 * first byte is on line `line`. Lines end at LF, CRLF or a lone CR. */
static void
position(const char *r, size_t off, unsigned long line, unsigned long *l,
    size_t *col)
{
	size_t bol = 0;

	for (size_t i = 0; i < off; i++)
		if (r[i] == '\n' || (r[i] == '\r' && r[i + 1] != '\n')) {
			line++;
			bol = i + 1;
		}
	*l = line;
	*col = off - bol + 1;
}

/* libcsv: a row ended at byte `ch` (CR or LF), or at the end of the file
 * (-1). Hand it on. */
static void
on_row(int ch, void *ud)
{
	sz_csvin *c = ud;
	sz_csvrow row;

	c->in_row = 0;
	if (c->nomem || c->stop) {
		c->nf = 0;
		return;
	}
	row.n = c->nf;
	row.buf = c->fields.p ? c->fields.p : "";
	row.beg = c->beg;
	row.end = c->end;
	row.raw = c->raw.p ? c->raw.p : "";
	row.rawlen = c->raw.len - (ch >= 0 && c->raw.len > 0);
	row.file = c->file;
	row.line = c->row_line;
	row.open_line = ch < 0 ? c->open_line : 0;
	row.open_col = row.open_line ? c->open_col : 0;
	row.end_line = row.open_line ? c->end_line : 0;
	row.quoted = NULL;
	if (c->want_quoted) {
		find_quoted(c, row.raw, row.rawlen, c->quoted, c->nf);
		row.quoted = c->quoted;
	}
	if (c->fn(c->ud, &row) != 0)
		c->stop = 1;
	c->nf = 0;
	sz_buf_reset(&c->fields);
}

/* A whole line p[0..n) (its terminator not included) without a quote, at
 * the start of a row: its fields are split at the delimiter, in place. */
static int
plain_row(sz_csvin *c, const char *p, size_t n)
{
	unsigned char delim = c->p.delim_char;
	size_t s = 0;
	sz_csvrow row;

	if (n > c->max) {
		c->line_err = c->line;
		return SZ_CSV_TOOLONG;
	}
	c->nf = 0;
	for (;;) {
		const char *e = memchr(p + s, delim, n - s);

		if (more_fields(c) != 0)
			return SZ_CSV_NOMEM;
		c->beg[c->nf] = s;
		c->end[c->nf++] = e ? (size_t)(e - p) : n;
		if (e == NULL)
			break;
		s = (size_t)(e - p) + 1;
	}
	row.n = c->nf;
	row.buf = p;
	row.beg = c->beg;
	row.end = c->end;
	row.raw = p;
	row.rawlen = n;
	row.file = c->file;
	row.line = c->line;
	row.open_line = row.end_line = 0;
	row.open_col = 0;
	row.quoted = NULL;
	if (c->want_quoted) {
		memset(c->quoted, 0, c->nf);
		row.quoted = c->quoted;
	}
	c->nf = 0;
	if (c->fn(c->ud, &row) != 0) {
		c->stop = 1;
		return SZ_CSV_STOP;
	}
	return SZ_CSV_OK;
}

/* The state after a call: what feed/finish answer. */
static int
status(sz_csvin *c)
{
	if (c->nomem || csv_error(&c->p) == CSV_ENOMEM ||
	    csv_error(&c->p) == CSV_ETOOBIG)
		return SZ_CSV_NOMEM;
	return c->stop ? SZ_CSV_STOP : SZ_CSV_OK;
}

/* Feed bytes that are past the BOM. */
static int
feed(sz_csvin *c, const char *p, size_t n)
{
	while (n > 0) {
		const char *e = memchr(p, '\n', n), *cr;
		size_t k;
		int term;

		/* The first CR or LF (two fast scans, not a loop per byte). */
		cr = memchr(p, '\r', e ? (size_t)(e - p) : n);
		if (cr != NULL)
			e = cr;
		term = e != NULL;
		if (e == NULL)
			e = p + n;
		k = (size_t)(e - p) + term;
		if (c->cr) {
			/* A CR ended a line unless this LF completes it. */
			c->cr = 0;
			if (*p != '\n')
				c->line++;
		}
		if (!c->in_row && term && k > 1 &&
		    memchr(p, c->p.quote_char, k - 1) == NULL) {
			int rc = plain_row(c, p, k - 1);

			if (rc != SZ_CSV_OK)
				return rc;
		} else if (!c->in_row && !(term && k == 1)) {
			c->in_row = 1;
			c->row_line = c->line;
			sz_buf_reset(&c->raw);
		}
		if (c->in_row) {
			if (c->raw.len + k - term > c->max) {
				c->line_err = c->row_line;
				return SZ_CSV_TOOLONG;
			}
			if (sz_buf_add(&c->raw, p, k) != 0)
				return SZ_CSV_NOMEM;
			if (csv_parse(&c->p, p, k, on_field, on_row, c) != k)
				return SZ_CSV_NOMEM;
			if (c->nomem || c->stop)
				return status(c);
		}
		if (term) {
			if (*e == '\n')
				c->line++;
			else
				c->cr = 1;
		}
		p += k;
		n -= k;
	}
	return SZ_CSV_OK;
}

int
sz_csvin_feed(sz_csvin *c, const char *p, size_t n)
{
	if (c->bom >= 0) {
		/* Match a BOM at the start of the file, byte by byte. */
		while (n > 0 && (unsigned char)*p == bom[c->bom]) {
			p++;
			n--;
			if (++c->bom == 3) {
				c->bom = -1;
				break;
			}
		}
		if (n == 0)
			return SZ_CSV_OK;
		if (c->bom > 0) {
			/* Not a BOM after all: its first bytes are data. */
			int k = c->bom, rc;

			c->bom = -1;
			if ((rc = feed(c, (const char *)bom, (size_t)k)) != 0)
				return rc;
		}
		c->bom = -1;
	}
	return feed(c, p, n);
}

int
sz_csvin_finish(sz_csvin *c)
{
	int rc = SZ_CSV_OK;

	if (c->bom > 0) {
		int k = c->bom;

		c->bom = -1;
		rc = feed(c, (const char *)bom, (size_t)k);
	}
	if (rc == SZ_CSV_OK && c->in_row && c->raw.len > c->max) {
		/* A row still open at the end of the file: its text runs
		 * to the end, the last line's terminator included, which
		 * feed() counted only as ending a line. */
		c->line_err = c->row_line;
		return SZ_CSV_TOOLONG;
	}
	if (rc == SZ_CSV_OK) {
		c->open_line = 0;
		if (c->in_row && c->raw.len > 0) {
			/* A row without a line terminator: a last line, or
			 * a quoted field that is never closed. */
			size_t q = open_quote(c, c->raw.p, c->raw.len);

			if (q < c->raw.len) {
				position(c->raw.p, q, c->row_line,
				    &c->open_line, &c->open_col);
				position(c->raw.p, c->raw.len - 1, c->row_line,
				    &c->end_line, &q);
			}
		}
		if (csv_fini(&c->p, on_field, on_row, c) != 0)
			return SZ_CSV_NOMEM;
		c->open_line = 0;
		rc = status(c);
	}
	return rc;
}
