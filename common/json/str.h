/* SPDX-License-Identifier: MIT */
/*
 * str.h - JSON string text: UTF-8 read as jq 1.6 reads it, string
 * literals decoded and compared, bytes written as JSON string literals,
 * and bytes from data made safe to show in a message.
 *
 * jq 1.6 reads a string literal in two steps: its escapes are resolved
 * into bytes (a surrogate pair into its character, a lone surrogate escape
 * into the three bytes of its code point), then those bytes are read as
 * UTF-8, each bad unit (sz_utf8_unit) becoming one U+FFFD (EF BF BD).
 * Every function here that decodes does exactly that, and every function
 * that writes replaces bad units the same way, so that the raw-bytes path
 * and libjq agree on every string (sz.7, "Records in").
 *
 * A "literal" is a JSON string literal, quotes included, that
 * sz_json_validate (json.h) accepted, or a part of a value it accepted; a
 * "body" is a literal without its quotes. Nothing here prints. Only the
 * functions that take an sz_buf allocate (into it); they return 0, or -1
 * when memory or the buffer's cap runs out.
 */
#ifndef SZ_STR_H
#define SZ_STR_H

#include <stddef.h>

#include "core/buf.h"

/* ---- UTF-8 and UTF-16 ------------------------------------------------ */

/*
 * The UTF-8 unit at p (p < end) as jq 1.6 reads it: its length, and
 * *ok = 1 when it is a valid character (shortest form, not a surrogate, at
 * most U+10FFFF); otherwise *ok = 0 and the length of the bytes that jq
 * replaces by one U+FFFD. A sequence that end cuts short takes all the
 * bytes up to end, so end must be the end of the whole string.
 */
size_t sz_utf8_unit(const char *p, const char *end, int *ok);

/* Is s[0..n) valid UTF-8 (every unit valid for sz_utf8_unit)? */
int sz_utf8_valid(const char *s, size_t n);

/* The value of the four hex digits at s (checked by the caller). */
unsigned sz_jstr_hex4(const char *s);

/* The value of the \u escape at s[0..e) when it is a low surrogate
 * (DC00-DFFF), else 0 (no such escape there): a high surrogate escape is
 * a pair with one right after it. Safe on unvalidated text. */
unsigned sz_jstr_low_at(const char *s, const char *e);

/* UTF-16 surrogates, as a \u escape's value. */
#define SZ_UTF16_HIGH(c) ((c) >= 0xD800 && (c) <= 0xDBFF)
#define SZ_UTF16_LOW(c) ((c) >= 0xDC00 && (c) <= 0xDFFF)

/* ---- reading literals ------------------------------------------------ */

/*
 * Decode the literal s[0..n) into out (appending) exactly as jq 1.6's
 * parser does: escapes resolved, then bad UTF-8 units (which may span an
 * escape's bytes: a sequence that the end of the string cuts short takes
 * the rest) and lone surrogate escapes become U+FFFD. out is
 * NUL-terminated even when nothing was appended. On failure out is as it
 * was.
 */
int sz_json_unescape(const char *s, size_t n, sz_buf *out);

/*
 * The decoded bytes of the literal s[0..n), *len of them: the body itself
 * when it is its own decoded form (sz_jstr_plain), else decoded into
 * scratch (reset first). NULL when decoding runs out of memory. The
 * result lives as long as s, or until scratch changes.
 */
const char *sz_jstr_decode(const char *s, size_t n, sz_buf *scratch,
    size_t *len);

/* Does the literal s[0..n) decode to exactly the bytes k[0..kn)? (No
 * allocation.) */
int sz_json_str_eq(const char *s, size_t n, const char *k, size_t kn);

/* Compare the decoded contents of two literals by unsigned bytes (then
 * length), as jq orders strings: <0, 0, >0. (No allocation.) */
int sz_json_str_cmp(const char *a, size_t an, const char *b, size_t bn);

/* Is the body s[0..n) its own decoded form: no escape, valid UTF-8? */
int sz_jstr_plain(const char *s, size_t n);

/*
 * Would jq 1.6 read the body s[0..n) as written: no invalid UTF-8 in it
 * and no lone surrogate escape? (Escapes may remain: a valid sequence of
 * raw bytes is read alone, whatever escapes surround it.)
 */
int sz_jstr_clean(const char *s, size_t n);

/* ---- writing --------------------------------------------------------- */

/*
 * Append s[0..n) as a JSON string literal (quotes included): '"' and '\'
 * escaped, the controls 0x08, 0x09, 0x0A, 0x0C, 0x0D as \b \t \n \f \r,
 * other bytes below 0x20 as \u00XX (lower-case hex), each bad UTF-8 unit
 * as U+FFFD, everything else as it is. On failure b is as it was.
 */
int sz_buf_add_jstr(sz_buf *b, const char *s, size_t n);

/* The same as jq prints a string: DEL (0x7F) is escaped as \u007f too. */
int sz_buf_add_jqstr(sz_buf *b, const char *s, size_t n);

/*
 * The same as sz_buf_add_jstr, but each byte XX (80 to FF) of a bad
 * UTF-8 unit is written as the escape \udcXX (a lone low surrogate, which
 * jq reads as one U+FFFD per byte), ASCII bytes as always, so that sz_json_unescape_bytes() gives back
 * s[0..n) exactly, whatever its bytes: the text of a line that is not
 * JSON in a dead letter (sz-unwrap).
 */
int sz_buf_add_jstr_bytes(sz_buf *b, const char *s, size_t n);
/*
 * Decode the literal s[0..n) written by sz_buf_add_jstr_bytes (or any
 * valid literal) by the text of its escapes, appending to out: \udc80 to
 * \udcff alone give the byte 80 to FF, a surrogate pair its character,
 * another lone surrogate U+FFFD; raw bytes are copied as they are (no
 * UTF-8 reading: not what jq does). NUL-terminated; on failure out is as
 * it was.
 */
int sz_json_unescape_bytes(const char *s, size_t n, sz_buf *out);

/*
 * Append s[0..n) with its control bytes (below 0x20, and DEL) written as
 * \n, \r, \t or \xHH, so that text from data cannot start a line of its
 * own in a message. Other bytes are copied as they are. On failure b may
 * hold part of the text.
 */
int sz_buf_add_visible(sz_buf *b, const char *s, size_t n);

#endif
