/* SPDX-License-Identifier: MIT */
/*
 * buf.h - a growable byte buffer with a hard cap.
 *
 * Every append checks its allocation; a buffer never grows beyond its cap
 * (0 means the default cap, SZ_BUF_DEFAULT_CAP). Functions return 0 on
 * success and -1 when memory is exhausted or the cap would be exceeded,
 * leaving the buffer unchanged.
 */
#ifndef SZ_BUF_H
#define SZ_BUF_H

#include <stddef.h>
#include <string.h>

#define SZ_BUF_DEFAULT_CAP ((size_t)1 << 32)

typedef struct sz_buf {
	char *p;	/* bytes; p[len] is always '\0' once allocated */
	size_t len;
	size_t alloc;
	size_t cap;	/* hard upper bound on len; 0: SZ_BUF_DEFAULT_CAP */
} sz_buf;

#define SZ_BUF_INIT { NULL, 0, 0, 0 }

/* Make room for at least `extra` more bytes (plus the trailing NUL). */
int sz_buf_reserve(sz_buf *b, size_t extra);
int sz_buf_add_slow(sz_buf *b, const void *p, size_t n);
int sz_buf_addc_slow(sz_buf *b, char c);

/* Is there room for n more bytes and the NUL, within the cap? (The
 * appends below are inline for this case, the common one.) */
static inline int
sz_buf_room(const sz_buf *b, size_t n)
{
	return b->p != NULL && n < b->alloc - b->len &&
	    (b->cap == 0 || (b->len <= b->cap && n <= b->cap - b->len));
}

static inline int
sz_buf_add(sz_buf *b, const void *p, size_t n)
{
	if (!sz_buf_room(b, n))
		return sz_buf_add_slow(b, p, n);
	if (n > 0)
		memcpy(b->p + b->len, p, n);
	b->len += n;
	b->p[b->len] = '\0';
	return 0;
}

static inline int
sz_buf_addc(sz_buf *b, char c)
{
	if (!sz_buf_room(b, 1))
		return sz_buf_addc_slow(b, c);
	b->p[b->len++] = c;
	b->p[b->len] = '\0';
	return 0;
}
int sz_buf_adds(sz_buf *b, const char *s);
/* printf-style append. */
int sz_buf_printf(sz_buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void sz_buf_reset(sz_buf *b);	/* len = 0, memory kept */
void sz_buf_free(sz_buf *b);	/* memory released, buffer reusable */

/* Bytes the heap takes for an allocation of n bytes (glibc malloc: its
 * 8-byte header, rounded up to 16, at least 32), for a bound that counts
 * memory (keymap.c, window.c). */
size_t sz_alloc_size(size_t n);

#endif
