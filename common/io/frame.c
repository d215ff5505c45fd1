/* SPDX-License-Identifier: MIT */
/* frame.c - splits a byte stream into NDJSON records; see frame.h. */
#include <string.h>

#include "io/frame.h"

void
sz_framer_init(sz_framer *f, const char *file, size_t max)
{
	sz_buf keep = f->part;

	memset(f, 0, sizeof(*f));
	f->part = keep;
	sz_buf_reset(&f->part);
	f->file = file;
	f->max = max;
	f->line = 1;
}

void
sz_framer_feed(sz_framer *f, const char *buf, size_t n)
{
	f->p = buf;
	f->end = buf + n;
}

void
sz_framer_finish(sz_framer *f)
{
	f->finished = 1;
}

void
sz_framer_free(sz_framer *f)
{
	sz_buf_free(&f->part);
	f->carrying = 0;
}

/* Is the line only JSON white space (its final CRs already removed)? */
static int
blank(const char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] != ' ' && p[i] != '\t' && p[i] != '\r')
			return 0;
	return 1;
}

/*
 * Turn the line p[0..n) (newline removed) that starts at line `line` into
 * a record, dropping the CRs at its end and a BOM. Returns 1 for a record,
 * 0 for a line to skip, SZ_FR_TOOLONG if it is too long.
 */
static int
make(sz_framer *f, const char *p, size_t n, unsigned long line, sz_rec *r)
{
	while (n > 0 && p[n - 1] == '\r')
		n--;
	if (line == 1 && n >= 3 && memcmp(p, "\xef\xbb\xbf", 3) == 0) {
		p += 3;
		n -= 3;
	}
	r->file = f->file;
	r->ix = NULL;
	r->line = line;
	if (n > f->max) {
		r->p = p;
		r->n = n;
		return SZ_FR_TOOLONG;
	}
	if (n == 0 || ((*p == ' ' || *p == '\t' || *p == '\r') && blank(p, n)))
		return 0;
	r->p = p;
	r->n = n;
	return 1;
}

/*
 * p[0..n) continues the line being carried. The CRs at its end are only
 * counted (they go if the line ends there); those counted before are
 * added first when more of the line follows them. At most max + 3 bytes
 * are kept (a BOM may go). Returns 0, SZ_FR_TOOLONG or SZ_FR_NOMEM.
 */
static int
carry(sz_framer *f, const char *p, size_t n, sz_rec *r)
{
	size_t k = n, room = f->max + 3 - f->part.len;

	while (k > 0 && p[k - 1] == '\r')
		k--;
	if (k == 0) {
		f->crs += n;
		return 0;
	}
	if (f->crs > room || k > room - f->crs) {
		r->file = f->file;
		r->ix = NULL;
		r->line = f->line;
		r->p = f->part.p;
		r->n = f->part.len;
		return SZ_FR_TOOLONG;
	}
	if (f->crs > 0) {
		if (sz_buf_reserve(&f->part, f->crs) != 0)
			return SZ_FR_NOMEM;
		memset(f->part.p + f->part.len, '\r', f->crs);
		f->part.len += f->crs;
	}
	if (sz_buf_add(&f->part, p, k) != 0)
		return SZ_FR_NOMEM;
	f->crs = n - k;
	return 0;
}

int
sz_framer_next(sz_framer *f, sz_rec *r)
{
	const char *nl;
	int k;

	for (;;) {
		if (f->carrying) {
			size_t avail = (size_t)(f->end - f->p);

			nl = avail ? memchr(f->p, '\n', avail) : NULL;
			if (nl == NULL) {
				/* The whole chunk continues the line. */
				if ((k = carry(f, f->p, avail, r)) != 0)
					return k;
				f->p = f->end;
				if (!f->finished)
					return SZ_FR_NEED;
				f->carrying = 0;
				k = make(f, f->part.p, f->part.len, f->line, r);
				f->line++;
				if (k != 0)
					return k;
				return SZ_FR_END;
			}
			if ((k = carry(f, f->p, (size_t)(nl - f->p), r)) != 0)
				return k;
			f->p = nl + 1;
			f->carrying = 0;
			k = make(f, f->part.p, f->part.len, f->line++, r);
			if (k != 0)
				return k;
			continue;
		}
		if (f->p == f->end) {
			if (!f->finished)
				return SZ_FR_NEED;
			return SZ_FR_END;
		}
		nl = memchr(f->p, '\n', (size_t)(f->end - f->p));
		if (nl == NULL) {
			/* A line begins here and goes on in the next chunk. */
			sz_buf_reset(&f->part);
			f->crs = 0;
			f->carrying = 1;
			continue;
		}
		k = make(f, f->p, (size_t)(nl - f->p), f->line++, r);
		f->p = nl + 1;
		if (k != 0)
			return k;
	}
}
