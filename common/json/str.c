/* SPDX-License-Identifier: MIT */
/* str.c - JSON string text: UTF-8, decoding, comparing, writing; see
 * str.h. */
#include <stdint.h>
#include <string.h>

#include "json/str.h"

typedef unsigned char uchar;

/* ---- UTF-8 and UTF-16 ------------------------------------------------ */

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

/* ASCII is skipped eight bytes at a time. */
int
sz_utf8_valid(const char *str, size_t n)
{
	const uchar *s = (const uchar *)str, *e = s + n;
	uint64_t x;
	size_t u;
	int ok;

	while (s < e) {
		if (e - s >= 8) {
			memcpy(&x, s, 8);
			if ((x & 0x8080808080808080ULL) == 0) {
				s += 8;
				continue;
			}
		}
		if (*s < 0x80) {
			s++;
			continue;
		}
		u = sz_utf8_unit((const char *)s, (const char *)e, &ok);
		if (!ok)
			return 0;
		s += u;
	}
	return 1;
}

unsigned
sz_jstr_hex4(const char *str)
{
	const uchar *s = (const uchar *)str;
	unsigned v = 0, i, c;

	for (i = 0; i < 4; i++) {
		c = s[i];
		v <<= 4;
		if (c <= '9')
			v |= c - '0';
		else
			v |= (c | 0x20) - 'a' + 10;
	}
	return v & 0xFFFF;
}

/* Reads no byte at or past e. */
unsigned
sz_jstr_low_at(const char *str, const char *end)
{
	const uchar *s = (const uchar *)str, *e = (const uchar *)end;
	unsigned cp;
	int i;

	if (e - s < 6 || s[0] != '\\' || s[1] != 'u')
		return 0;
	for (i = 2; i < 6; i++)
		if (!((s[i] >= '0' && s[i] <= '9') ||
		    ((s[i] | 0x20) >= 'a' && (s[i] | 0x20) <= 'f')))
			return 0;
	cp = sz_jstr_hex4((const char *)s + 2);
	return SZ_UTF16_LOW(cp) ? cp : 0;
}

/* ---- reading literals ------------------------------------------------ */

/* The UTF-8 bytes of the code point cp (at most U+10FFFF) at o. */
static size_t
put_utf8(uint32_t cp, uchar *o)
{
	if (cp < 0x80) {
		o[0] = (uchar)cp;
		return 1;
	}
	if (cp < 0x800) {
		o[0] = (uchar)(0xC0 | cp >> 6);
		o[1] = (uchar)(0x80 | (cp & 0x3F));
		return 2;
	}
	if (cp < 0x10000) {
		o[0] = (uchar)(0xE0 | cp >> 12);
		o[1] = (uchar)(0x80 | (cp >> 6 & 0x3F));
		o[2] = (uchar)(0x80 | (cp & 0x3F));
		return 3;
	}
	o[0] = (uchar)(0xF0 | cp >> 18);
	o[1] = (uchar)(0x80 | (cp >> 12 & 0x3F));
	o[2] = (uchar)(0x80 | (cp >> 6 & 0x3F));
	o[3] = (uchar)(0x80 | (cp & 0x3F));
	return 4;
}

/*
 * The bytes of the escape at *sp (a backslash, inside a body ending at e)
 * into o[0..4), as jq 1.6's parser writes them: a surrogate pair as its
 * character, a lone surrogate as the three bytes of its code point (which
 * the UTF-8 reading then replaces), a cut-off escape (only in text that
 * was not validated) as U+FFFD. Advances *sp; returns the byte count.
 */
static size_t
escape_bytes(const uchar **sp, const uchar *e, uchar *o)
{
	const uchar *s = *sp;
	uint32_t cp, lo;

	if (e - s < 2) {
		*sp = e;
		return put_utf8(0xFFFD, o);
	}
	*sp = s + 2;
	switch (s[1]) {
	case 'b': *o = '\b'; return 1;
	case 'f': *o = '\f'; return 1;
	case 'n': *o = '\n'; return 1;
	case 'r': *o = '\r'; return 1;
	case 't': *o = '\t'; return 1;
	case 'u': break;
	default: *o = s[1]; return 1;	/* '"', '\\', '/' */
	}
	if (e - s < 6) {
		*sp = e;
		return put_utf8(0xFFFD, o);
	}
	cp = sz_jstr_hex4((const char *)s + 2);
	*sp = s + 6;
	if (SZ_UTF16_HIGH(cp) && (lo = sz_jstr_low_at((const char *)s + 6,
	    (const char *)e)) != 0) {
		*sp = s + 12;
		cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
	}
	return put_utf8(cp, o);
}

/*
 * A string body read as jq 1.6 reads it: its parser first resolves the
 * escapes into bytes, then the whole result is read as UTF-8
 * (sz_utf8_unit), each bad unit becoming one U+FFFD. Both steps run here
 * at once: w holds the bytes of escapes and raw bytes that the UTF-8
 * reading has not taken yet. A unit needs at most four bytes, so the
 * window is filled to four (or to the end of the body): a sequence that
 * does not fit in it does not fit before the end, as sz_utf8_unit needs.
 */
struct sdec {
	const uchar *s, *e;	/* the body not yet read */
	uchar w[8];		/* four bytes, plus an escape's overshoot */
	size_t wn;
};

static void
sdec_init(struct sdec *d, const char *lit, size_t n)
{
	d->s = (const uchar *)lit + 1;
	d->e = n >= 2 ? (const uchar *)lit + n - 1 : d->s;
	d->wn = 0;
}

/* The next character into o[0..4): its length, or 0 at the end. */
static size_t
sdec_next(struct sdec *d, uchar *o)
{
	const uchar *s = d->s;
	size_t u, len;
	int ok;

	if (d->wn == 0) {
		if (s == d->e)
			return 0;
		if (*s < 0x80 && *s != '\\') {
			*o = *s;
			d->s = s + 1;
			return 1;
		}
		/* Raw bytes without an escape among them are read in place:
		 * the sequence at s is decided by its own bytes, or (when
		 * the body ends before its length) it takes the rest. */
		len = *s < 0xC2 || *s > 0xF4 ? 1 : *s < 0xE0 ? 2 :
		    *s < 0xF0 ? 3 : 4;
		if (*s != '\\' && ((size_t)(d->e - s) < len ||
		    memchr(s + 1, '\\', len - 1) == NULL)) {
			u = sz_utf8_unit((const char *)s, (const char *)d->e,
			    &ok);
			d->s = s + u;
			if (!ok)
				return put_utf8(0xFFFD, o);
			memcpy(o, s, u);
			return u;
		}
	}
	while (d->wn < 4 && d->s < d->e) {
		if (*d->s == '\\')
			d->wn += escape_bytes(&d->s, d->e, d->w + d->wn);
		else
			d->w[d->wn++] = *d->s++;
	}
	u = sz_utf8_unit((const char *)d->w, (const char *)d->w + d->wn, &ok);
	if (ok)
		memcpy(o, d->w, len = u);
	else
		len = put_utf8(0xFFFD, o);
	d->wn -= u;
	memmove(d->w, d->w + u, d->wn);
	return len;
}

/* Escapes are read by their text, raw bytes by sz_utf8_unit. */
int
sz_jstr_clean(const char *str, size_t n)
{
	const uchar *s = (const uchar *)str, *e = s + n;
	unsigned cp;
	size_t u;
	int ok;

	while (s < e) {
		if (*s == '\\') {
			if (s[1] != 'u') {
				s += 2;
				continue;
			}
			cp = sz_jstr_hex4((const char *)s + 2);
			if (SZ_UTF16_HIGH(cp) && sz_jstr_low_at(
			    (const char *)s + 6, (const char *)e) != 0)
				s += 12;
			else if (SZ_UTF16_HIGH(cp) || SZ_UTF16_LOW(cp))
				return 0;
			else
				s += 6;
		} else if (*s < 0x80) {
			s++;
		} else {
			u = sz_utf8_unit((const char *)s, (const char *)e, &ok);
			if (!ok)
				return 0;
			s += u;
		}
	}
	return 1;
}

/* Runs of ASCII are copied whole; on failure out is as it was. */
int
sz_json_unescape(const char *str, size_t n, sz_buf *out)
{
	struct sdec d;
	const uchar *run;
	uchar o[4];
	size_t len0 = out->len, k;

	sdec_init(&d, str, n);
	for (;;) {
		if (d.wn == 0) {
			run = d.s;
			while (d.s < d.e && *d.s < 0x80 && *d.s != '\\')
				d.s++;
			if (d.s > run &&
			    sz_buf_add(out, run, (size_t)(d.s - run)) != 0)
				goto fail;
		}
		if ((k = sdec_next(&d, o)) == 0)
			break;
		if (sz_buf_add(out, o, k) != 0)
			goto fail;
	}
	/* Make sure an empty result still has its NUL. */
	if (sz_buf_reserve(out, 0) != 0)
		goto fail;
	return 0;
fail:
	out->len = len0;
	if (out->p != NULL)
		out->p[len0] = '\0';
	return -1;
}

/* Decodes as it compares, stopping at the first difference. */
int
sz_json_str_eq(const char *str, size_t n, const char *k, size_t kn)
{
	const uchar *q = (const uchar *)k, *qe = q + kn;
	struct sdec d;
	uchar o[4];
	size_t m;

	/* A first byte that is ASCII and no escape is its own decoded
	 * byte: a different one decides (most member names). */
	if (n >= 2 && kn > 0 && (uchar)str[1] < 0x80 && str[1] != '\\' &&
	    str[1] != k[0])
		return 0;
	sdec_init(&d, str, n);
	/* The usual case: no escapes, ASCII: the bytes are the decoded
	 * text (equal or not, without decoding). */
	{
		const uchar *s = d.s;

		while (s < d.e && *s < 0x80 && *s != '\\')
			s++;
		if (s == d.e)
			return (size_t)(d.e - d.s) == kn &&
			    memcmp(d.s, k, kn) == 0;
	}
	while ((m = sdec_next(&d, o)) != 0) {
		if ((size_t)(qe - q) < m || memcmp(q, o, m) != 0)
			return 0;
		q += m;
	}
	return q == qe;
}

/* A decoded string, read one byte at a time. */
struct dec {
	struct sdec d;
	uchar o[4];
	size_t i, n;
};

static int
dec_next(struct dec *d)
{
	if (d->i < d->n)
		return d->o[d->i++];
	if ((d->n = sdec_next(&d->d, d->o)) == 0)
		return -1;
	d->i = 1;
	return d->o[0];
}

/* Both strings are decoded a byte at a time, side by side. */
int
sz_json_str_cmp(const char *a, size_t an, const char *b, size_t bn)
{
	struct dec da, db;
	int x, y;

	sdec_init(&da.d, a, an);
	sdec_init(&db.d, b, bn);
	da.i = da.n = db.i = db.n = 0;
	do {
		x = dec_next(&da);
		y = dec_next(&db);
		if (x != y)
			return x < y ? -1 : 1;
	} while (x >= 0);
	return 0;
}

int
sz_jstr_plain(const char *s, size_t n)
{
	return memchr(s, '\\', n) == NULL && sz_utf8_valid(s, n);
}

const char *
sz_jstr_decode(const char *s, size_t n, sz_buf *scratch, size_t *len)
{
	if (n >= 2 && sz_jstr_plain(s + 1, n - 2)) {
		*len = n - 2;
		return s + 1;
	}
	sz_buf_reset(scratch);
	if (sz_json_unescape(s, n, scratch) != 0)
		return NULL;
	*len = scratch->len;
	return scratch->p;
}

/* ---- writing --------------------------------------------------------- */

/*
 * Appends s[0..n) as a JSON string literal, DEL (0x7F) escaped too when
 * del is set, each byte of 80 to FF in a bad UTF-8 unit as \udcXX when
 * bytes is set (else the unit as U+FFFD). Runs of bytes that need no escape are copied
 * in one go; on failure the buffer's contents are as they were before the
 * call.
 */
static int
add_jstr(sz_buf *b, const char *s, size_t n, int del, int bytes)
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
			if (!ok && bytes) {
				/* This byte alone: the unit may have taken
				 * ASCII bytes after it (a sequence cut short
				 * by the end), which are written as such. */
				memcpy(esc, "\\udc", 4);
				esc[4] = hex[*p >> 4];
				esc[5] = hex[*p & 15];
				if (sz_buf_add(b, esc, 6) != 0)
					goto fail;
				p++;
				continue;
			}
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
	return add_jstr(b, s, n, 0, 0);
}

int
sz_buf_add_jstr_bytes(sz_buf *b, const char *s, size_t n)
{
	return add_jstr(b, s, n, 0, 1);
}

/* Escapes by their text only: the writer above made every \udcXX. */
int
sz_json_unescape_bytes(const char *str, size_t n, sz_buf *out)
{
	const uchar *s = (const uchar *)str + 1, *e, *run;
	size_t len0 = out->len, k;
	uint32_t cp, lo;
	uchar o[4];

	e = n >= 2 ? (const uchar *)str + n - 1 : s;
	while (s < e) {
		run = s;
		while (s < e && *s != '\\')
			s++;
		if (s > run && sz_buf_add(out, run, (size_t)(s - run)) != 0)
			goto fail;
		if (s == e)
			break;
		if (e - s >= 6 && s[1] == 'u') {
			cp = sz_jstr_hex4((const char *)s + 2);
			if (cp >= 0xDC80 && cp <= 0xDCFF) {
				o[0] = (uchar)(cp & 0xFF);
				if (sz_buf_add(out, o, 1) != 0)
					goto fail;
				s += 6;
				continue;
			}
			if (SZ_UTF16_HIGH(cp) && (lo = sz_jstr_low_at(
			    (const char *)s + 6, (const char *)e)) != 0) {
				cp = 0x10000 + ((cp - 0xD800) << 10) +
				    (lo - 0xDC00);
				s += 6;
			} else if (SZ_UTF16_HIGH(cp) || SZ_UTF16_LOW(cp)) {
				cp = 0xFFFD;
			}
			k = put_utf8(cp, o);
			s += 6;
		} else {
			k = escape_bytes(&s, e, o);
		}
		if (sz_buf_add(out, o, k) != 0)
			goto fail;
	}
	if (sz_buf_reserve(out, 0) != 0)
		goto fail;
	return 0;
fail:
	out->len = len0;
	if (out->p != NULL)
		out->p[len0] = '\0';
	return -1;
}

int
sz_buf_add_jqstr(sz_buf *b, const char *s, size_t n)
{
	return add_jstr(b, s, n, 1, 0);
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
