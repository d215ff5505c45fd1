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
sz_buf_add(sz_buf *b, const void *p, size_t n)
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
sz_buf_addc(sz_buf *b, char c)
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

/*
 * Length of the UTF-8 unit at p[0..end) (p < end), read exactly as jq
 * 1.6's decoder (jvp_utf8_next) reads it; *ok is 1 for a valid character,
 * 0 for a unit that stands for one U+FFFD. A unit is:
 * - an ASCII byte;
 * - a stray byte: a continuation byte (80-BF), C0, C1 or F5-FF;
 * - a lead byte (C2-DF, E0-EF, F0-F4: 2, 3, 4 bytes) whose sequence does
 *   not fit before end: then all the bytes up to end, whatever they are;
 * - else the lead byte and the continuation bytes after it up to the
 *   first byte that is not one (a sequence cut short), or its whole
 *   length: valid unless overlong, a surrogate (U+D800-U+DFFF) or above
 *   U+10FFFF.
 */
size_t
sz_utf8_unit(const char *p, const char *end, int *ok)
{
	static const uint32_t least[5] = { 0, 0, 0x80, 0x800, 0x10000 };
	const unsigned char *s = (const unsigned char *)p;
	const unsigned char *e = (const unsigned char *)end;
	unsigned c = s[0];
	size_t len, i;
	uint32_t cp;

	*ok = 0;
	if (c < 0x80) {
		*ok = 1;
		return 1;
	}
	if (c < 0xC2 || c > 0xF4)
		return 1;
	len = c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
	if ((size_t)(e - s) < len)
		return (size_t)(e - s);
	cp = c & (0x7Fu >> len);
	for (i = 1; i < len; i++) {
		if ((s[i] & 0xC0) != 0x80)
			return i;
		cp = cp << 6 | (s[i] & 0x3F);
	}
	*ok = cp >= least[len] && cp <= 0x10FFFF &&
	    (cp < 0xD800 || cp > 0xDFFF);
	return len;
}

/*
 * Appends s[0..n) as a JSON string literal, DEL (0x7F) escaped too when
 * del is set. Runs of bytes that need no escape are copied in one go; on
 * failure the buffer's contents are as they were before the call.
 */
static int
add_jstr(sz_buf *b, const char *s, size_t n, int del)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *p = (const unsigned char *)s, *e = p + n, *run;
	size_t len0 = b->len, u;
	char esc[6];
	int ok;

	/* Most strings need no escapes: ask for their room at once (a
	 * failure here is not final: the output may be shorter). */
	if (n <= SIZE_MAX - 2)
		(void)sz_buf_reserve(b, n + 2);
	if (sz_buf_addc(b, '"') != 0)
		goto fail;
	while (p < e) {
		run = p;
		while (p < e && *p >= 0x20 && *p < 0x80 && *p != '"' &&
		    *p != '\\' && (*p != 0x7F || !del))
			p++;
		if (p > run && sz_buf_add(b, run, (size_t)(p - run)) != 0)
			goto fail;
		if (p == e)
			break;
		if (*p >= 0x80) {
			u = sz_utf8_unit((const char *)p, (const char *)e, &ok);
			if (ok ? sz_buf_add(b, p, u) :
			    sz_buf_add(b, "\xEF\xBF\xBD", 3))
				goto fail;
			p += u;
			continue;
		}
		esc[0] = '\\';
		u = 2;
		switch (*p) {
		case '"': esc[1] = '"'; break;
		case '\\': esc[1] = '\\'; break;
		case '\b': esc[1] = 'b'; break;
		case '\t': esc[1] = 't'; break;
		case '\n': esc[1] = 'n'; break;
		case '\f': esc[1] = 'f'; break;
		case '\r': esc[1] = 'r'; break;
		default:
			memcpy(esc + 1, "u00", 3);
			esc[4] = hex[*p >> 4];
			esc[5] = hex[*p & 15];
			u = 6;
		}
		if (sz_buf_add(b, esc, u) != 0)
			goto fail;
		p++;
	}
	if (sz_buf_addc(b, '"') != 0)
		goto fail;
	return 0;
fail:
	b->len = len0;
	if (b->p != NULL)
		b->p[len0] = '\0';
	return -1;
}

int
sz_buf_add_jstr(sz_buf *b, const char *s, size_t n)
{
	return add_jstr(b, s, n, 0);
}

int
sz_buf_add_jqstr(sz_buf *b, const char *s, size_t n)
{
	return add_jstr(b, s, n, 1);
}

int
sz_buf_add_visible(sz_buf *b, const char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	int rc = 0;

	for (size_t i = 0; i < n && rc == 0; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c >= 0x20 && c != 0x7f)
			rc = sz_buf_addc(b, (char)c);
		else if (c == '\n')
			rc = sz_buf_adds(b, "\\n");
		else if (c == '\r')
			rc = sz_buf_adds(b, "\\r");
		else if (c == '\t')
			rc = sz_buf_adds(b, "\\t");
		else {
			char e[4] = { '\\', 'x', hex[c >> 4], hex[c & 15] };

			rc = sz_buf_add(b, e, 4);
		}
	}
	return rc;
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
