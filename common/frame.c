/* SPDX-License-Identifier: MIT */
/* frame.c - splits a byte stream into NDJSON records; see frame.h. */
#include <string.h>

#include "frame.h"

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

/* Is the line only JSON white space (after the CR was removed)? */
static int
blank(const char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] != ' ' && p[i] != '\t' && p[i] != '\r')
			return 0;
	return 1;
}

/*
 * Turn the line p[0..n) (terminator removed) that starts at line `line`
 * into a record, dropping a CR and a BOM. Returns 1 for a record, 0 for a
 * line to skip, SZ_FR_TOOLONG if it is too long.
 */
static int
make(sz_framer *f, const char *p, size_t n, unsigned long line, sz_rec *r)
{
	if (n > 0 && p[n - 1] == '\r')
		n--;
	if (line == 1 && n >= 3 && memcmp(p, "\xef\xbb\xbf", 3) == 0) {
		p += 3;
		n -= 3;
	}
	r->file = f->file;
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
				/* The whole chunk continues the line. Keep at
				 * most max + 4 bytes (CR and BOM may go). */
				if (f->part.len + avail > f->max + 4) {
					r->file = f->file;
					r->line = f->line;
					r->p = f->part.p;
					r->n = f->part.len + avail;
					return SZ_FR_TOOLONG;
				}
				if (avail && sz_buf_add(&f->part, f->p, avail))
					return -3;
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
			if (f->part.len + (size_t)(nl - f->p) > f->max + 4) {
				r->file = f->file;
				r->line = f->line;
				r->p = f->part.p;
				r->n = f->part.len + (size_t)(nl - f->p);
				return SZ_FR_TOOLONG;
			}
			if (sz_buf_add(&f->part, f->p, (size_t)(nl - f->p)))
				return -3;
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
			f->carrying = 1;
			continue;
		}
		k = make(f, f->p, (size_t)(nl - f->p), f->line++, r);
		f->p = nl + 1;
		if (k != 0)
			return k;
	}
}
