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
/* Append s[0..n) as a JSON string literal (quotes included). Bytes that are
 * not valid UTF-8 become U+FFFD; control characters are escaped. */
int sz_buf_add_jstr(sz_buf *b, const char *s, size_t n);
/* The same as jq prints a string: DEL (0x7F) is escaped as \u007f too. */
int sz_buf_add_jqstr(sz_buf *b, const char *s, size_t n);
/* The UTF-8 unit at p (p < end) as jq 1.6 reads it: its length, and
 * *ok = 1 when it is a valid character (shortest form, not a surrogate, at
 * most U+10FFFF); otherwise *ok = 0 and the length of the bytes that jq
 * replaces by one U+FFFD. A sequence that end cuts short takes all the
 * bytes up to end, so end must be the end of the whole string. */
size_t sz_utf8_unit(const char *p, const char *end, int *ok);
/* Append s[0..n) with its control bytes (below 0x20, and DEL) written as
 * \n, \r, \t or \xHH, so that text from data cannot start a line of its
 * own in a message. */
int sz_buf_add_visible(sz_buf *b, const char *s, size_t n);
void sz_buf_reset(sz_buf *b);	/* len = 0, memory kept */
void sz_buf_free(sz_buf *b);	/* memory released, buffer reusable */

#endif
