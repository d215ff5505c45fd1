/* SPDX-License-Identifier: MIT */
/* buf.c - a growable byte buffer with a hard cap; see buf.h. */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"

#define BUF_MIN_ALLOC 64

static size_t
buf_cap(const sz_buf *b)
{
	return b->cap ? b->cap : SZ_BUF_DEFAULT_CAP;
}

/*
 * Make room for len + extra bytes plus the NUL. Fails, changing nothing,
 * when that would pass the cap or memory is exhausted. The allocation
 * doubles (bounded by cap + 1) so that appends are amortised O(1).
 */
int
sz_buf_reserve(sz_buf *b, size_t extra)
{
	size_t cap = buf_cap(b), need, want;
	char *np;

	if (extra > cap || b->len > cap - extra)
		return -1;
	need = b->len + extra + 1;	/* cap < SIZE_MAX, so no overflow */
	if (b->p != NULL && need <= b->alloc)
		return 0;
	want = b->alloc < BUF_MIN_ALLOC ? BUF_MIN_ALLOC : b->alloc;
	while (want < need && want <= SIZE_MAX / 2)
		want *= 2;
	if (want < need)
		want = need;
	if (want > cap + 1)
		want = cap + 1;
	np = realloc(b->p, want);
	if (np == NULL) {
		if (want == need)
			return -1;
		/* The generous size failed; try the exact one. */
		want = need;
		np = realloc(b->p, want);
		if (np == NULL)
			return -1;
	}
	if (b->p == NULL)
		np[0] = '\0';
	b->p = np;
	b->alloc = want;
	return 0;
}

int
sz_buf_add_slow(sz_buf *b, const void *p, size_t n)
{
	if (sz_buf_reserve(b, n) != 0)
		return -1;
	if (n > 0)
		memcpy(b->p + b->len, p, n);
	b->len += n;
	b->p[b->len] = '\0';
	return 0;
}

int
sz_buf_addc_slow(sz_buf *b, char c)
{
	if (sz_buf_reserve(b, 1) != 0)
		return -1;
	b->p[b->len++] = c;
	b->p[b->len] = '\0';
	return 0;
}

int
sz_buf_adds(sz_buf *b, const char *s)
{
	return sz_buf_add(b, s, strlen(s));
}

/* Formats once into the spare room, and again after growing if needed. */
int
sz_buf_printf(sz_buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;
	size_t room;

	if (sz_buf_reserve(b, 0) != 0)
		return -1;
	room = b->alloc - b->len;
	va_start(ap, fmt);
	n = vsnprintf(b->p + b->len, room, fmt, ap);
	va_end(ap);
	if (n < 0)
		goto fail;
	if ((size_t)n >= room) {
		if (sz_buf_reserve(b, (size_t)n) != 0)
			goto fail;
		va_start(ap, fmt);
		n = vsnprintf(b->p + b->len, (size_t)n + 1, fmt, ap);
		va_end(ap);
		if (n < 0)
			goto fail;
	}
	b->len += (size_t)n;
	return 0;
fail:
	b->p[b->len] = '\0';
	return -1;
}

void
sz_buf_reset(sz_buf *b)
{
	b->len = 0;
	if (b->p != NULL)
		b->p[0] = '\0';
}

void
sz_buf_free(sz_buf *b)
{
	free(b->p);
	b->p = NULL;
	b->len = 0;
	b->alloc = 0;
}

size_t
sz_alloc_size(size_t n)
{
	size_t s = (n + 8 + 15) & ~(size_t)15;

	return s < 32 ? 32 : s;
}
