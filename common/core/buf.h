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
int sz_buf_add(sz_buf *b, const void *p, size_t n);
int sz_buf_addc(sz_buf *b, char c);
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
