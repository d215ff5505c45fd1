/* SPDX-License-Identifier: MIT */
/* json.c - JSON on raw bytes: validation, lookup, members, numbers,
 * canonical and compact text (string text is str.c's); see json.h. */
#include <float.h>
#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "json/json.h"
#include "json/str.h"

typedef unsigned char uchar;

/* ---- byte classes --------------------------------------------------- */

/* JSON white space. */
static const uchar is_ws[256] = {
	[' '] = 1, ['\t'] = 1, ['\n'] = 1, ['\r'] = 1
};

/* Bytes that end a run of plain string bytes: '"', '\\' and controls. */
static const uchar is_special[256] = {
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	['"'] = 1, ['\\'] = 1
};

static const uchar is_hex[256] = {
	['0'] = 1, ['1'] = 1, ['2'] = 1, ['3'] = 1, ['4'] = 1, ['5'] = 1,
	['6'] = 1, ['7'] = 1, ['8'] = 1, ['9'] = 1,
	['a'] = 1, ['b'] = 1, ['c'] = 1, ['d'] = 1, ['e'] = 1, ['f'] = 1,
	['A'] = 1, ['B'] = 1, ['C'] = 1, ['D'] = 1, ['E'] = 1, ['F'] = 1
};

#define IS_DIGIT(c) ((uchar)((c) - '0') < 10)

/*
 * "unexpected character 'x'" for printable ASCII, "unexpected byte 0xNN"
 * for any other byte: 256 static messages built at compile time.
 */
#define PRINTABLE(c) ((c) > 0x20 && (c) < 0x7f)
#define HEXDIGIT(d) ((d) < 10 ? '0' + (d) : 'a' + (d) - 10)
#define SEL(c, a, b) (PRINTABLE(c) ? (a) : (b))
#define UNEXP(c) { 'u', 'n', 'e', 'x', 'p', 'e', 'c', 't', 'e', 'd', ' ', \
	SEL(c, 'c', 'b'), SEL(c, 'h', 'y'), SEL(c, 'a', 't'), \
	SEL(c, 'r', 'e'), SEL(c, 'a', ' '), SEL(c, 'c', '0'), \
	SEL(c, 't', 'x'), SEL(c, 'e', HEXDIGIT((c) >> 4)), \
	SEL(c, 'r', HEXDIGIT((c) & 15)), SEL(c, ' ', 0), SEL(c, '\'', 0), \
	SEL(c, (c), 0), SEL(c, '\'', 0), 0 }
#define UNEXP4(c) UNEXP(c), UNEXP((c) + 1), UNEXP((c) + 2), UNEXP((c) + 3)
#define UNEXP16(c) UNEXP4(c), UNEXP4((c) + 4), UNEXP4((c) + 8), \
	UNEXP4((c) + 12)
#define UNEXP64(c) UNEXP16(c), UNEXP16((c) + 16), UNEXP16((c) + 32), \
	UNEXP16((c) + 48)
static const char unexpected[256][25] = {
	UNEXP64(0), UNEXP64(64), UNEXP64(128), UNEXP64(192)
};

/* ---- scanning helpers ----------------------------------------------- */

static inline const uchar *
skip_ws(const uchar *s, const uchar *e)
{
	while (s < e && is_ws[*s])
		s++;
	return s;
}

#if defined(__GNUC__) && defined(__BYTE_ORDER__) && \
    __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define SZ_SWAR 1
#define ALWAYS_INLINE inline __attribute__((always_inline))
#else
#define ALWAYS_INLINE inline
#endif
#if defined(SZ_SWAR) && defined(__SSE2__)
#include <emmintrin.h>
#define SZ_SSE2 1
#if defined(__x86_64__) && (defined(__clang__) || __GNUC__ >= 5)
#include <immintrin.h>
#define SZ_AVX2 1
#endif
#endif

#define ONES 0x0101010101010101ULL
#define HIGHS 0x8080808080808080ULL

#ifdef SZ_SSE2
/* Bit i set when s[i] is '"', '\\' or below 0x20, i < 16. */
static ALWAYS_INLINE unsigned
special16(const uchar *s)
{
	const __m128i q = _mm_set1_epi8('"'), b = _mm_set1_epi8('\\');
	const __m128i c = _mm_set1_epi8(0x1F);
	__m128i x = _mm_loadu_si128((const __m128i *)(const void *)s);

	return (unsigned)_mm_movemask_epi8(_mm_or_si128(_mm_or_si128(
	    _mm_cmpeq_epi8(x, q), _mm_cmpeq_epi8(x, b)),
	    _mm_cmpeq_epi8(_mm_max_epu8(x, c), c)));
}

/* Bit i set when s[i] is not an ASCII digit, i < 16. */
static ALWAYS_INLINE unsigned
nondigit16(const uchar *s)
{
	const __m128i zero = _mm_set1_epi8('0'), nine = _mm_set1_epi8(9);
	__m128i x = _mm_sub_epi8(
	    _mm_loadu_si128((const __m128i *)(const void *)s), zero);

	return ~(unsigned)_mm_movemask_epi8(
	    _mm_cmpeq_epi8(_mm_max_epu8(x, nine), nine)) & 0xFFFF;
}
#endif
/*
 * Skip plain string bytes (not '"', '\\' or below 0x20) from s; returns
 * the first other byte or e. Eight bytes at a time where words can be
 * read as little-endian: a word has a special byte iff one of the three
 * zero-byte tests fires, and the lowest flagged byte is the first special
 * one (borrows only run upwards). This is the scalar path's; it reads
 * only [s, e).
 */
static ALWAYS_INLINE const uchar *
skip_plain_swar(const uchar *s, const uchar *e)
{
#ifdef SZ_SWAR
	while (e - s >= 8) {
		uint64_t x, q, b, m;

		memcpy(&x, s, 8);
		q = x ^ (ONES * '"');
		b = x ^ (ONES * '\\');
		m = (((q - ONES) & ~q) | ((b - ONES) & ~b) |
		    ((x - ONES * 0x20) & ~x)) & HIGHS;
		if (m != 0)
			return s + (__builtin_ctzll(m) >> 3);
		s += 8;
	}
#endif
	while (s < e && !is_special[*s])
		s++;
	return s;
}

/*
 * Skip ASCII digits from s; returns the first other byte or e; like
 * skip_plain_swar: a byte is a digit iff its high nibble is 3 both as it
 * is and after adding 6; a carry out of a non-digit byte only disturbs
 * the bytes above it, so the lowest flagged byte is the first non-digit.
 */
static ALWAYS_INLINE const uchar *
skip_digits_swar(const uchar *s, const uchar *e)
{
#ifdef SZ_SWAR
	while (e - s >= 8) {
		uint64_t x, m;

		memcpy(&x, s, 8);
		m = ((x & (ONES * 0xF0)) ^ (ONES * 0x30)) |
		    (((x + ONES * 0x06) & (ONES * 0xF0)) ^ (ONES * 0x30));
		m = ((m >> 4) + ONES * 0x0F) & (ONES * 0x10);
		if (m != 0)
			return s + (__builtin_ctzll(m) >> 3);
		s += 8;
	}
#endif
	while (s < e && IS_DIGIT(*s))
		s++;
	return s;
}

/*
 * skip_plain_swar with SSE2, sixteen bytes at a time; [lo, e) must be
 * readable, lo <= s: fewer than sixteen before e are read as the last
 * sixteen of [lo, e) when there are that many.
 */
static ALWAYS_INLINE const uchar *
skip_plain(const uchar *s, const uchar *e, const uchar *lo)
{
#ifdef SZ_SSE2
	unsigned bits;

	while (e - s >= 16) {
		if ((bits = special16(s)) != 0)
			return s + __builtin_ctz(bits);
		s += 16;
	}
	if (e - lo >= 16) {
		bits = special16(e - 16) >> (16 - (e - s));
		return bits != 0 ? s + __builtin_ctz(bits) : e;
	}
	while (s < e && !is_special[*s])
		s++;
	return s;
#else
	(void)lo;
	return skip_plain_swar(s, e);
#endif
}

/* skip_digits_swar with SSE2; like skip_plain. */
static ALWAYS_INLINE const uchar *
skip_digits(const uchar *s, const uchar *e, const uchar *lo)
{
#ifdef SZ_SSE2
	unsigned bits;

	while (e - s >= 16) {
		if ((bits = nondigit16(s)) != 0)
			return s + __builtin_ctz(bits);
		s += 16;
	}
	if (e - lo >= 16) {
		bits = nondigit16(e - 16) >> (16 - (e - s));
		return bits != 0 ? s + __builtin_ctz(bits) : e;
	}
	while (s < e && IS_DIGIT(*s))
		s++;
	return s;
#else
	(void)lo;
	return skip_digits_swar(s, e);
#endif
}

/*
 * The SIMD paths' string scanning over 64-byte windows: the special bytes
 * of a window are found once (four SSE2 compares, or two AVX2 ones) and
 * each string in it then costs a shift and a count of trailing zeros,
 * where skip_plain would compare again for every string. Records hold
 * many short strings, so this made validation 13% faster on bench/gen's
 * records.
 */
typedef struct sblk {
	const uchar *b;		/* window start: bit 0 of m */
	uint64_t m;		/* bit i: b[i] is '"', '\\' or below 0x20 */
	size_t n;		/* bytes of the window, at most 64, not past e */
} sblk;

/* The window at s (s < e) from special64, which reads 64 bytes: the 64
 * at s, or the rest of [s, e) read as the last 64 bytes of [lo, e), or a
 * copy when [lo, e) is shorter. */
static ALWAYS_INLINE void
sblk_load(sblk *k, const uchar *s, const uchar *e, const uchar *lo,
    uint64_t (*special64)(const uchar *))
{
	size_t left = (size_t)(e - s);

	k->b = s;
	k->n = left < 64 ? left : 64;
	if (left >= 64) {
		k->m = special64(s);
	} else if (e - lo >= 64) {
		k->m = special64(e - 64) >> (64 - left);
	} else {
		uchar tmp[64] = { 0 };

		memcpy(tmp, s, left);
		k->m = special64(tmp) & ((1ULL << left) - 1);
	}
}

/* skip_plain through windows, loaded by load (sblk_load with a path's
 * special64, kept out of line); s never moves back between calls. */
static ALWAYS_INLINE const uchar *
skip_plain_blk(sblk *k, const uchar *s, const uchar *e, const uchar *lo,
    void (*load)(sblk *, const uchar *, const uchar *, const uchar *))
{
	for (;;) {
		size_t off = (size_t)(s - k->b);

		if (k->b != NULL && off < k->n) {
			uint64_t m = k->m >> off;

			if (m != 0)
				return s + __builtin_ctzll(m);
			s = k->b + k->n;
		}
		if (s >= e)
			return e;
		load(k, s, e, lo);
	}
}

#ifdef SZ_SSE2
static ALWAYS_INLINE uint64_t
special64_sse2(const uchar *s)
{
	return (uint64_t)special16(s) | (uint64_t)special16(s + 16) << 16 |
	    (uint64_t)special16(s + 32) << 32 |
	    (uint64_t)special16(s + 48) << 48;
}

static void
load_sse2(sblk *k, const uchar *s, const uchar *e, const uchar *lo)
{
	sblk_load(k, s, e, lo, special64_sse2);
}
#endif

/* ---- validation ----------------------------------------------------- */

#define STACK_WORDS (SZ_JSON_MAX_DEPTH / 64 + 1)
#define STR_(x) #x
#define STR(x) STR_(x)

/*
 * A state machine over three states (value, key, after a value) with the
 * open containers kept as one bit each (1: object); no recursion, so stack
 * use is fixed. Accepts exactly the RFC 8259 JSON texts that jq 1.6's
 * parser accepts too: bytes in strings need not be valid UTF-8, but an
 * escaped high surrogate needs an escaped low one after it, and nesting
 * stops at SZ_JSON_MAX_DEPTH. White space is looked for only where a token
 * did not come, so compact input costs no white-space tests. Its body is
 * json/jscan.h, compiled once for each path below.
 */
int
sz_json_validate(const char *p, size_t n, const char **reason, size_t *off)
{
	return sz_json_validate_index(p, n, reason, off, NULL);
}

/* Add an element to a top-level array's list; a failed allocation only
 * makes the list unusable. */
static void
add_element(sz_jindex *ix, size_t off, size_t len)
{
	if (!ix->el_ok)
		return;
	if (ix->nel * 2 + 2 > ix->elcap) {
		size_t cap = ix->elcap ? ix->elcap * 2 : 256;
		size_t *el = realloc(ix->el, cap * sizeof(*el));

		if (el == NULL) {
			ix->el_ok = 0;
			return;
		}
		ix->el = el;
		ix->elcap = cap;
	}
	ix->el[2 * ix->nel] = off;
	ix->el[2 * ix->nel + 1] = len;
	ix->nel++;
}

/* The scalar path: words, or bytes; no window. */
#define JS_(x) x##_scalar
#define JS_PLAIN(k, s, e, lo) ((void)(k), (void)(lo), skip_plain_swar((s), (e)))
#define JS_DIGITS(s, e, lo) ((void)(lo), skip_digits_swar((s), (e)))
#include "json/jscan.h"
#undef JS_
#undef JS_PLAIN
#undef JS_DIGITS

#ifdef SZ_SSE2
#define JS_(x) x##_sse2
#define JS_PLAIN(k, s, e, lo) skip_plain_blk((k), (s), (e), (lo), load_sse2)
#define JS_DIGITS(s, e, lo) skip_digits((s), (e), (lo))
#include "json/jscan.h"
#undef JS_
#undef JS_PLAIN
#undef JS_DIGITS
#endif

#ifdef SZ_AVX2
/* Compiled for AVX2 (these functions only: the build keeps its own target
 * flags) and run only on CPUs that have it. */
#ifdef __clang__
#pragma clang attribute push(__attribute__((target("avx2"))), \
	apply_to = function)
#else
#pragma GCC push_options
#pragma GCC target("avx2")
#endif
static ALWAYS_INLINE uint64_t
special64_avx2(const uchar *s)
{
	const __m256i q = _mm256_set1_epi8('"'), b = _mm256_set1_epi8('\\');
	const __m256i c = _mm256_set1_epi8(0x1F);
	__m256i x = _mm256_loadu_si256((const __m256i *)(const void *)s);
	__m256i y = _mm256_loadu_si256((const __m256i *)(const void *)(s +
	    32));
	uint32_t lo32, hi32;

	x = _mm256_or_si256(_mm256_or_si256(_mm256_cmpeq_epi8(x, q),
	    _mm256_cmpeq_epi8(x, b)),
	    _mm256_cmpeq_epi8(_mm256_max_epu8(x, c), c));
	y = _mm256_or_si256(_mm256_or_si256(_mm256_cmpeq_epi8(y, q),
	    _mm256_cmpeq_epi8(y, b)),
	    _mm256_cmpeq_epi8(_mm256_max_epu8(y, c), c));
	lo32 = (uint32_t)_mm256_movemask_epi8(x);
	hi32 = (uint32_t)_mm256_movemask_epi8(y);
	return (uint64_t)lo32 | (uint64_t)hi32 << 32;
}

static void
load_avx2(sblk *k, const uchar *s, const uchar *e, const uchar *lo)
{
	sblk_load(k, s, e, lo, special64_avx2);
}

#define JS_(x) x##_avx2
#define JS_PLAIN(k, s, e, lo) skip_plain_blk((k), (s), (e), (lo), load_avx2)
#define JS_DIGITS(s, e, lo) skip_digits((s), (e), (lo))
#include "json/jscan.h"
#undef JS_
#undef JS_PLAIN
#undef JS_DIGITS
#ifdef __clang__
#pragma clang attribute pop
#else
#pragma GCC pop_options
#endif
#endif

/*
 * The path in use: the best one this CPU has, or the one SZ_SIMD names
 * (scalar, sse2 or avx2) when this CPU has it; chosen once, before main.
 */
static int (*validate_fn)(const char *, size_t, const char **, size_t *,
    sz_jindex *) = validate_scalar;
static sz_jsimd simd_in_use = SZ_JSIMD_SCALAR;

int
sz_json_simd_ok(sz_jsimd path)
{
	switch (path) {
	case SZ_JSIMD_SCALAR:
		return 1;
#ifdef SZ_SSE2
	case SZ_JSIMD_SSE2:
		return 1;
#endif
#ifdef SZ_AVX2
	case SZ_JSIMD_AVX2:
		__builtin_cpu_init();
		return __builtin_cpu_supports("avx2") != 0;
#endif
	default:
		return 0;
	}
}

const char *
sz_json_simd_name(sz_jsimd path)
{
	switch (path) {
	case SZ_JSIMD_SSE2: return "sse2";
	case SZ_JSIMD_AVX2: return "avx2";
	default: return "scalar";
	}
}

sz_jsimd
sz_json_simd(void)
{
	return simd_in_use;
}

int
sz_json_validate_with(sz_jsimd path, const char *p, size_t n,
    const char **reason, size_t *off, sz_jindex *ix)
{
	switch (sz_json_simd_ok(path) ? path : SZ_JSIMD_SCALAR) {
#ifdef SZ_SSE2
	case SZ_JSIMD_SSE2:
		return validate_sse2(p, n, reason, off, ix);
#endif
#ifdef SZ_AVX2
	case SZ_JSIMD_AVX2:
		return validate_avx2(p, n, reason, off, ix);
#endif
	default:
		return validate_scalar(p, n, reason, off, ix);
	}
}

__attribute__((constructor)) static void
simd_choose(void)
{
	const char *env = getenv("SZ_SIMD");
	sz_jsimd want = SZ_JSIMD_AVX2;
	sz_jsimd path;

	if (env != NULL && strcmp(env, "scalar") == 0)
		want = SZ_JSIMD_SCALAR;
	else if (env != NULL && strcmp(env, "sse2") == 0)
		want = SZ_JSIMD_SSE2;
	for (path = want; path > SZ_JSIMD_SCALAR && !sz_json_simd_ok(path);
	    path--)
		;
	simd_in_use = path;
	switch (path) {
#ifdef SZ_SSE2
	case SZ_JSIMD_SSE2:
		validate_fn = validate_sse2;
		break;
#endif
#ifdef SZ_AVX2
	case SZ_JSIMD_AVX2:
		validate_fn = validate_avx2;
		break;
#endif
	default:
		validate_fn = validate_scalar;
		break;
	}
}

int
sz_json_validate_index(const char *p, size_t n, const char **reason,
    size_t *off, sz_jindex *ix)
{
	return validate_fn(p, n, reason, off, ix);
}


/* ---- walking valid values ------------------------------------------- */

int
sz_jindex_member(const sz_jindex *ix, const char *name, size_t len,
    const char **v, size_t *vn)
{
	for (int j = ix->n; --j >= 0;) {
		const sz_jmember *m = &ix->m[j];

		/* An escape makes a literal longer than the text it stands
		 * for: a literal of the name's length (and its quotes) is
		 * the name or not by its bytes; a longer one can be only
		 * with an escape. */
		if (m->kn == len + 2 ? memcmp(m->k + 1, name, len) == 0 :
		    m->kn > len + 2 && len > 0 &&
		    (m->k[1] == name[0] || m->k[1] == '\\') &&
		    memchr(m->k + 1, '\\', m->kn - 2) != NULL &&
		    sz_json_str_eq(m->k, m->kn, name, len)) {
			*v = m->v;
			*vn = m->vn;
			return 1;
		}
	}
	return 0;
}

const char *
sz_json_ws(const char *p, const char *end)
{
	return (const char *)skip_ws((const uchar *)p, (const uchar *)end);
}

const char *
sz_jtype_name(sz_jtype t)
{
	switch (t) {
	case SZ_JNULL: return "null";
	case SZ_JFALSE: case SZ_JTRUE: return "boolean";
	case SZ_JNUMBER: return "number";
	case SZ_JSTRING: return "string";
	case SZ_JARRAY: return "array";
	case SZ_JOBJECT: return "object";
	}
	return "unknown";
}

sz_jtype
sz_json_type(const char *p, const char *end)
{
	p = sz_json_ws(p, end);
	if (p == end)
		return SZ_JNULL;
	switch (*p) {
	case 'n': return SZ_JNULL;
	case 'f': return SZ_JFALSE;
	case 't': return SZ_JTRUE;
	case '"': return SZ_JSTRING;
	case '[': return SZ_JARRAY;
	case '{': return SZ_JOBJECT;
	default: return SZ_JNUMBER;
	}
}

/* Past the closing quote of a valid string whose body starts at s;
 * [lo, e) is readable. */
static inline const uchar *
skip_string(const uchar *s, const uchar *e, const uchar *lo)
{
	for (;;) {
		s = skip_plain(s, e, lo);
		if (s == e)
			return e;
		if (*s == '"')
			return s + 1;
		s += (*s == '\\' && e - s >= 2) ? 2 : 1;
	}
}

/*
 * The first byte from s that is '"' or a bracket, or e; may stop early at
 * 'Y', '_', 'y' or 0x7f too (the four brackets are the bytes that equal
 * 0x59 once bits 0x26 are cleared, and so are those four).
 */
static ALWAYS_INLINE const uchar *
skip_to_bracket(const uchar *s, const uchar *e, const uchar *lo)
{
#ifdef SZ_SSE2
	const __m128i q = _mm_set1_epi8('"'), k = _mm_set1_epi8(0x59);
	const __m128i mask = _mm_set1_epi8((char)0xD9);
	unsigned bits;
	__m128i x;

	while (e - s >= 16) {
		x = _mm_loadu_si128((const __m128i *)(const void *)s);
		bits = (unsigned)_mm_movemask_epi8(_mm_or_si128(
		    _mm_cmpeq_epi8(x, q),
		    _mm_cmpeq_epi8(_mm_and_si128(x, mask), k)));
		if (bits != 0)
			return s + __builtin_ctz(bits);
		s += 16;
	}
	if (e - lo >= 16) {
		x = _mm_loadu_si128((const __m128i *)(const void *)(e - 16));
		bits = (unsigned)_mm_movemask_epi8(_mm_or_si128(
		    _mm_cmpeq_epi8(x, q),
		    _mm_cmpeq_epi8(_mm_and_si128(x, mask), k))) >>
		    (16 - (e - s));
		return bits != 0 ? s + __builtin_ctz(bits) : e;
	}
#else
	(void)lo;
#endif
	while (s < e && *s != '"' && (*s & 0xD9) != 0x59)
		s++;
	return s;
}

/* Bytes that can follow the first byte of a number. */
static const uchar is_numch[256] = {
	['0'] = 1, ['1'] = 1, ['2'] = 1, ['3'] = 1, ['4'] = 1, ['5'] = 1,
	['6'] = 1, ['7'] = 1, ['8'] = 1, ['9'] = 1, ['.'] = 1, ['e'] = 1,
	['E'] = 1, ['+'] = 1, ['-'] = 1
};

/*
 * Past the valid value at s (no leading white space, s < e). Containers
 * are skipped by counting brackets outside strings: no recursion.
 */
static const uchar *
skip_value(const uchar *s, const uchar *e)
{
	const uchar *lo = s;
	size_t depth;

	switch (*s) {
	case '"':
		return skip_string(s + 1, e, lo);
	case '[':
	case '{':
		depth = 1;
		s++;
		for (;;) {
			s = skip_to_bracket(s, e, lo);
			if (s == e)
				return e;
			switch (*s++) {
			case '"':
				s = skip_string(s, e, lo);
				break;
			case '[': case '{':
				depth++;
				break;
			case ']': case '}':
				if (--depth == 0)
					return s;
				break;
			}
		}
	case 't': case 'n':
		return e - s >= 4 ? s + 4 : e;
	case 'f':
		return e - s >= 5 ? s + 5 : e;
	default:
		s++;
		while (s < e && is_numch[*s])
			s++;
		return s;
	}
}

const char *
sz_json_skip(const char *p, const char *end)
{
	const uchar *s = skip_ws((const uchar *)p, (const uchar *)end);

	if (s == (const uchar *)end)
		return end;
	return (const char *)skip_value(s, (const uchar *)end);
}

void
sz_json_trim(const char **p, size_t *n)
{
	const uchar *s = (const uchar *)*p, *e = s + *n;

	s = skip_ws(s, e);
	while (e > s && is_ws[e[-1]])
		e--;
	*p = (const char *)s;
	*n = (size_t)(e - s);
}

/* ---- lookup --------------------------------------------------------- */

/* Is every byte of s[0..n) below 0x80? */
static int
ascii_only(const uchar *s, size_t n)
{
	uint64_t x, acc = 0;

	for (; n >= 8; s += 8, n -= 8) {
		memcpy(&x, s, 8);
		acc |= x;
	}
	while (n-- > 0)
		acc |= *s++;
	return (acc & HIGHS) == 0;
}

/*
 * One pass over the members (all of them: the last equal name wins) or
 * elements (two passes for a negative index: count, then find); values
 * are skipped, not parsed. Nothing is read outside v[0..n).
 */
int
sz_json_get(const char *v, size_t n, const sz_step *step,
    const char **out, size_t *outn, sz_jtype *errtype)
{
	const uchar *s = (const uchar *)v, *e = s + n, *lo = s, *k, *ke, *q;
	const uchar *val, *ve, *found = NULL, *found_end = NULL;
	sz_jtype t = sz_json_type(v, v + n);
	long long i, count;
	int match;

	if (t == SZ_JNULL)
		return SZ_GET_NULL;
	s = skip_ws(s, e);
	if (step->kind == SZ_STEP_KEY && t == SZ_JOBJECT) {
		/* A name without escapes is its own decoded form if it is
		 * valid UTF-8, which it is when it is ASCII or equals a valid
		 * key; otherwise it is decoded. */
		int key_ok = sz_utf8_valid(step->key, step->keylen);

		s = skip_ws(s + 1, e);
		while (s < e && *s == '"') {
			k = s + 1;
			q = skip_plain(k, e, lo);
			if (q < e && *q == '"') {
				ke = q + 1;
				if ((size_t)(q - k) == step->keylen &&
				    memcmp(k, step->key, step->keylen) == 0)
					match = key_ok;
				else if (ascii_only(k, (size_t)(q - k)))
					match = 0;
				else
					match = sz_json_str_eq((const char *)s,
					    (size_t)(ke - s), step->key,
					    step->keylen);
			} else {
				ke = skip_string(q, e, lo);
				match = sz_json_str_eq((const char *)s,
				    (size_t)(ke - s), step->key, step->keylen);
			}
			s = skip_ws(ke, e);
			s = skip_ws(s + 1, e);	/* ':' */
			if (s == e)
				break;
			val = s;
			ve = skip_value(s, e);
			if (match) {
				found = val;
				found_end = ve;
			}
			s = skip_ws(ve, e);
			if (s == e || *s != ',')
				break;
			s = skip_ws(s + 1, e);
		}
	} else if (step->kind == SZ_STEP_INDEX && t == SZ_JARRAY) {
		i = step->index;
		if (i < 0) {
			count = 0;
			s = skip_ws(s + 1, e);
			while (s < e && *s != ']') {
				count++;
				s = skip_ws(skip_value(s, e), e);
				if (s < e && *s == ',')
					s = skip_ws(s + 1, e);
			}
			i += count;
			if (i < 0)
				return SZ_GET_NULL;
			s = skip_ws((const uchar *)v, e);
		}
		s = skip_ws(s + 1, e);
		while (s < e && *s != ']') {
			ve = skip_value(s, e);
			if (i-- == 0) {
				found = s;
				found_end = ve;
				break;
			}
			s = skip_ws(ve, e);
			if (s < e && *s == ',')
				s = skip_ws(s + 1, e);
		}
	} else {
		if (errtype != NULL)
			*errtype = t;
		return SZ_GET_ERROR;
	}
	if (found == NULL)
		return SZ_GET_NULL;
	*out = (const char *)found;
	*outn = (size_t)(found_end - found);
	return SZ_GET_FOUND;
}

int
sz_json_path(const char *v, size_t n, const sz_step *steps, size_t nsteps,
    const char **out, size_t *outn, sz_jtype *errtype)
{
	size_t i;
	int r;

	sz_json_trim(&v, &n);
	for (i = 0; i < nsteps; i++) {
		r = sz_json_get(v, n, &steps[i], &v, &n, errtype);
		if (r != SZ_GET_FOUND)
			return r;
	}
	*out = v;
	*outn = n;
	return SZ_GET_FOUND;
}

/* ---- members -------------------------------------------------------- */

/* Positioned at the first name (or the closing brace) of the object. */
void
sz_json_members(sz_jmembers *it, const char *v, size_t n,
    const sz_jindex *ix)
{
	const uchar *s = (const uchar *)v, *e = s + n;

	memset(&it->m, 0, sizeof(it->m));
	it->ix = ix != NULL && ix->n >= 0 ? ix : NULL;
	it->i = 0;
	s = skip_ws(s, e);
	if (s < e && *s == '{')
		s = skip_ws(s + 1, e);
	else
		s = e;		/* not an object: no members */
	it->s = (const char *)s;
	it->e = (const char *)e;
	it->lo = v;
}

/*
 * One member read from the bytes: name, ':', value, then past the ','
 * so that it->s is at the next name or at '}'. Like the other walks of
 * valid values, it reads nothing outside v[0..n).
 */
int
sz_json_members_next(sz_jmembers *it)
{
	const uchar *s = (const uchar *)it->s, *e = (const uchar *)it->e;
	const uchar *lo = (const uchar *)it->lo, *k, *v;

	if (it->ix != NULL) {
		if (it->i >= it->ix->n)
			return 0;
		it->m = it->ix->m[it->i++];
		return 1;
	}
	if (s == e || *s != '"')
		return 0;
	k = s;
	s = skip_string(s + 1, e, lo);
	it->m.k = (const char *)k;
	it->m.kn = (size_t)(s - k);
	s = skip_ws(s, e);
	v = s = skip_ws(s + 1, e);	/* past ':' */
	if (s == e) {
		it->s = it->e;
		return 0;
	}
	s = skip_value(s, e);
	it->m.v = (const char *)v;
	it->m.vn = (size_t)(s - v);
	s = skip_ws(s, e);
	if (s < e && *s == ',')
		s = skip_ws(s + 1, e);
	it->s = (const char *)s;
	return 1;
}

const char *
sz_jmember_name(const sz_jmember *m, sz_buf *scratch, size_t *len)
{
	return sz_jstr_decode(m->k, m->kn, scratch, len);
}

/* ---- numbers -------------------------------------------------------- */

/*
 * The parts of a number literal: the digits of its integer and fraction
 * parts, its sign and its exponent, saturated far beyond any exponent
 * whose value matters (sizes of real inputs stay below 2^61).
 */
struct num {
	const uchar *ip, *fp;	/* integer / fraction digits */
	size_t il, fl;
	int neg;
	int64_t exp;
};

#define EXP_SAT ((int64_t)3 << 61)

static void
num_parse(const uchar *s, const uchar *e, struct num *m)
{
	int eneg = 0;

	m->neg = s < e && *s == '-';
	s += m->neg;
	m->ip = s;
	while (s < e && IS_DIGIT(*s))
		s++;
	m->il = (size_t)(s - m->ip);
	m->fp = s;
	m->fl = 0;
	if (s < e && *s == '.') {
		m->fp = ++s;
		while (s < e && IS_DIGIT(*s))
			s++;
		m->fl = (size_t)(s - m->fp);
	}
	m->exp = 0;
	if (s < e && (*s == 'e' || *s == 'E')) {
		s++;
		if (s < e && (*s == '+' || *s == '-'))
			eneg = *s++ == '-';
		for (; s < e && IS_DIGIT(*s); s++)
			m->exp = m->exp <= (EXP_SAT - 9) / 10 ?
			    m->exp * 10 + (*s - '0') : EXP_SAT;
		if (eneg)
			m->exp = -m->exp;
	}
}

/* Digit i of the concatenated integer and fraction digits. */
static inline uchar
num_digit(const struct num *m, size_t i)
{
	return i < m->il ? m->ip[i] : m->fp[i - m->il];
}

/*
 * The significant digits of m: [*first, *last] in the concatenation, and
 * the exponent E of the value M * 10^E. Returns 0 for zero.
 */
static int
num_sig(const struct num *m, size_t *first, size_t *last, int64_t *e)
{
	size_t a = 0, b = m->il + m->fl;

	while (a < b && num_digit(m, a) == '0')
		a++;
	if (a == b)
		return 0;
	while (num_digit(m, b - 1) == '0')
		b--;
	*first = a;
	*last = b - 1;
	/* value = digits[a..b) * 10^(exp - fl + (il + fl - b)) */
	*e = m->exp - (int64_t)m->fl + (int64_t)(m->il + m->fl - b);
	return 1;
}

/* Write "e" and v in decimal at o; returns the length (at most 21). */
static size_t
put_exp(char *o, int64_t v)
{
	char t[24];
	size_t n = 0, len = 0;
	uint64_t u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;

	o[len++] = 'e';
	if (v < 0)
		o[len++] = '-';
	do {
		t[n++] = (char)('0' + u % 10);
		u /= 10;
	} while (u != 0);
	while (n > 0)
		o[len++] = t[--n];
	return len;
}

/* Enough significant digits that cutting the rest (with a sticky 1 in
 * their place) cannot change how strtod rounds. */
#define NUM_DIGITS 800

/*
 * The number is rewritten as "-"? DIGITS "e" EXP with at most
 * NUM_DIGITS + 1 digits and a bounded exponent, so a fixed buffer holds it
 * whatever the literal's length, and no radix character is involved
 * (strtod's only locale-dependent part).
 */
const double sz_json_pow10[23] = {
	1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11,
	1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22
};

double
sz_json_num(const char *str, size_t n)
{
	const uchar *s = (const uchar *)str, *e = s + n;
	char buf[NUM_DIGITS + 32], *o = buf;
	struct num m;
	size_t a, z, i, nd;
	int64_t ex;
	double d;

	/* Fast path: a short integer is exact in a double. */
	if (n > 0 && n <= 16) {
		uint64_t u = 0;
		const uchar *q = s + (*s == '-');

		for (i = 0; q + i < e && IS_DIGIT(q[i]); i++)
			u = u * 10 + (uint64_t)(q[i] - '0');
		if (i > 0 && i <= 15 && q + i == e)
			return *s == '-' ? -(double)u : (double)u;
	}
	num_parse(s, e, &m);
	if (!num_sig(&m, &a, &z, &ex))
		return m.neg ? -0.0 : 0.0;
	nd = z - a + 1;
	if (nd <= 15 && ex >= -22 && ex <= 22) {
		/* The digits and 10^|ex| are exact doubles: one correctly
		 * rounded operation gives strtod's answer (12.02, 0.5). */
		uint64_t u = 0;

		for (i = a; i <= z; i++)
			u = u * 10 + (uint64_t)(num_digit(&m, i) - '0');
		d = ex < 0 ? (double)u / sz_json_pow10[-ex] :
		    (double)u * sz_json_pow10[ex];
		return m.neg ? -d : d;
	}
	if (m.neg)
		*o++ = '-';
	if (nd > NUM_DIGITS) {
		ex += (int64_t)(nd - NUM_DIGITS - 1);
		for (i = 0; i < NUM_DIGITS; i++)
			*o++ = (char)num_digit(&m, a + i);
		*o++ = '1';	/* the last digit is not zero */
	} else {
		for (i = a; i <= z; i++)
			*o++ = (char)num_digit(&m, i);
	}
	/* Beyond +-100000 the result is infinite or zero anyway. */
	if (ex > 100000)
		ex = 100000;
	if (ex < -100000)
		ex = -100000;
	o += put_exp(o, ex);
	*o = '\0';
	return strtod(buf, NULL);
}

/* Do the valid number literals a and b denote the same decimal number
 * (1.50 and 1.5e0, -0 and -0.0)? Zeros are equal whatever their sign. */
int
sz_json_num_eq(const char *a, size_t an, const char *b, size_t bn)
{
	struct num x, y;
	size_t xa, xz, ya, yz;
	int64_t xe, ye;
	int xnz, ynz;

	num_parse((const uchar *)a, (const uchar *)a + an, &x);
	num_parse((const uchar *)b, (const uchar *)b + bn, &y);
	xnz = num_sig(&x, &xa, &xz, &xe);
	ynz = num_sig(&y, &ya, &yz, &ye);
	if (!xnz || !ynz)
		return xnz == ynz;
	if (x.neg != y.neg || xe != ye || xz - xa != yz - ya)
		return 0;
	for (size_t i = 0; i <= xz - xa; i++)
		if (num_digit(&x, xa + i) != num_digit(&y, ya + i))
			return 0;
	return 1;
}

/* jq's order of the kinds: null, false, true, numbers, strings, arrays,
 * objects. */
static int
kind_rank(uchar c)
{
	switch (c) {
	case 'n': return 0;
	case 'f': return 1;
	case 't': return 2;
	case '"': return 4;
	case '[': return 5;
	case '{': return 6;
	default: return 3;	/* '-' or a digit */
	}
}

/* The next element or member after p (at ',' or the closing bracket):
 * past the ',' or NULL at the end. */
static const uchar *
cmp_next(const uchar *p)
{
	return *p == ',' ? p + 1 : NULL;
}

/*
 * Two canonical strings a and b compared side by side while their bytes
 * are their own decoded bytes (no escape yet: canonical text is valid
 * UTF-8, whose byte order is jq's order): <0, 0 (then *ae and *be are
 * just past them), >0, or 2 when an escape comes first (decode then).
 * *ae and *be bound the texts they are in on the way in.
 */
/* Does the word v hold the byte c? */
#define HAS_BYTE(v, c) \
	((((v) ^ (ONES * (c))) - ONES) & ~((v) ^ (ONES * (c))) & HIGHS)

static int
plain_cmp(const uchar *a, const uchar *b, const uchar **ae, const uchar **be)
{
	size_t i = 1, lim = (size_t)(*ae - a) < (size_t)(*be - b) ?
	    (size_t)(*ae - a) : (size_t)(*be - b);

	/* Eight bytes at a time over the equal prefix (long shared
	 * prefixes: times, ids). */
	while (i + 8 <= lim) {
		uint64_t x, y;

		memcpy(&x, a + i, 8);
		memcpy(&y, b + i, 8);
		if (x != y || HAS_BYTE(x, '"') || HAS_BYTE(x, '\\'))
			break;
		i += 8;
	}
	for (;; i++) {
		uchar x = a[i], y = b[i];

		if (x == y) {
			if (x == '"') {
				*ae = a + i + 1;
				*be = b + i + 1;
				return 0;
			}
			if (x == '\\')
				return 2;
			continue;
		}
		if (x == '"' || y == '"')
			return x == '"' ? -1 : 1;	/* a prefix first */
		if (x == '\\' || y == '\\')
			return 2;
		return x < y ? -1 : 1;
	}
}

static int
cmp_value(const uchar *a, const uchar *ae, const uchar *b, const uchar *be)
{
	int ra = kind_rank(*a), rb = kind_rank(*b), k;
	const uchar *x, *y, *xe, *ye;

	if (ra != rb)
		return ra < rb ? -1 : 1;
	switch (ra) {
	case 3:
		return sz_json_num_cmp((const char *)a, (size_t)(ae - a),
		    (const char *)b, (size_t)(be - b));
	case 4:
		x = ae;
		y = be;
		if ((k = plain_cmp(a, b, &x, &y)) != 2)
			return k;
		return sz_json_str_cmp((const char *)a, (size_t)(ae - a),
		    (const char *)b, (size_t)(be - b));
	case 5:
		/* Element by element; a prefix sorts first. */
		x = a[1] == ']' ? NULL : a + 1;
		y = b[1] == ']' ? NULL : b + 1;
		while (x != NULL && y != NULL) {
			xe = ae;
			ye = be;
			if (*x != '"' || *y != '"' ||
			    (k = plain_cmp(x, y, &xe, &ye)) == 2) {
				xe = (const uchar *)sz_json_skip(
				    (const char *)x, (const char *)ae);
				ye = (const uchar *)sz_json_skip(
				    (const char *)y, (const char *)be);
				k = cmp_value(x, xe, y, ye);
			}
			if (k != 0)
				return k;
			x = cmp_next(xe);
			y = cmp_next(ye);
		}
		return x == NULL ? (y == NULL ? 0 : -1) : 1;
	case 6:
		/* The sorted names as arrays of strings first, then the
		 * values name by name (jq's jv_cmp). Canonical objects have
		 * their names sorted and each once. */
		for (int pass = 0; pass < 2; pass++) {
			x = a[1] == '}' ? NULL : a + 1;
			y = b[1] == '}' ? NULL : b + 1;
			while (x != NULL && y != NULL) {
				const uchar *xk = x, *yk = y;

				x = (const uchar *)sz_json_skip((const char *)x,
				    (const char *)ae);
				y = (const uchar *)sz_json_skip((const char *)y,
				    (const char *)be);
				xe = (const uchar *)sz_json_skip((const char *)
				    x + 1, (const char *)ae);
				ye = (const uchar *)sz_json_skip((const char *)
				    y + 1, (const char *)be);
				k = pass == 0 ? sz_json_str_cmp((const char *)xk,
				    (size_t)(x - xk), (const char *)yk,
				    (size_t)(y - yk)) : cmp_value(x + 1, xe,
				    y + 1, ye);
				if (k != 0)
					return k;
				x = cmp_next(xe);
				y = cmp_next(ye);
			}
			if (x != NULL || y != NULL)
				return x == NULL ? -1 : 1;
		}
		return 0;
	default:
		return 0;	/* null, false, true: one value each */
	}
}

int
sz_json_cmp(const char *a, size_t an, const char *b, size_t bn)
{
	if (an == 0 || bn == 0)
		return an == bn ? 0 : an == 0 ? -1 : 1;
	return cmp_value((const uchar *)a, (const uchar *)a + an,
	    (const uchar *)b, (const uchar *)b + bn);
}

/* ---- canonical text ------------------------------------------------- */

/* One object member while its object is being written. */
struct member {
	const char *k;		/* the decoded name (see raw) */
	size_t koff, klen;	/* unless raw: k is keys.p + koff */
	int raw;		/* the name is its literal's body */
	const uchar *v, *ve;	/* the value */
	size_t ord;		/* position in the object */
};

/*
 * State shared by the whole canonical walk. Members and decoded names of
 * the objects being written are kept as stacks in growable arrays; they
 * are addressed by index and offset because nested objects may move them.
 */
struct canon {
	sz_buf *out;
	sz_buf keys;		/* decoded names that had escapes */
	sz_buf tmp;		/* one decoded string value */
	struct member *m;
	size_t nm, am;
};

/* Records are nested at most SZ_JSON_MAX_DEPTH deep, but a key may also be
 * the text of a value that a jq program built, which jq's printer writes
 * up to 256 levels deep (and deeper ones not at all). */
#define CANON_DEPTH 1024

#define CANON_EXP_MAX ((int64_t)1 << 62)

static int
canon_number(struct canon *c, const uchar *s, const uchar *e)
{
	struct num m;
	size_t a, z, nd, tail, r;
	int64_t ex;
	char t[64];
	sz_buf *out = c->out;
	char *o;

	num_parse(s, e, &m);
	if (!num_sig(&m, &a, &z, &ex))
		return sz_buf_addc(out, '0');
	if (ex > CANON_EXP_MAX)
		ex = CANON_EXP_MAX;
	if (ex < -CANON_EXP_MAX)
		ex = -CANON_EXP_MAX;
	nd = z - a + 1;
	/* An integer of at most 64 digits, or M "e" E. */
	if (ex >= 0 && nd <= 64 && (uint64_t)ex <= 64 - nd) {
		tail = (size_t)ex;
		memset(t, '0', tail);
	} else {
		tail = put_exp(t, ex);
	}
	if (sz_buf_reserve(out, (size_t)m.neg + nd + tail) != 0)
		return -1;
	o = out->p + out->len;
	if (m.neg)
		*o++ = '-';
	/* The digits lie in at most two runs: integer and fraction part. */
	if (a < m.il) {
		r = (z < m.il ? z + 1 : m.il) - a;
		memcpy(o, m.ip + a, r);
		o += r;
	}
	if (z >= m.il) {
		r = a > m.il ? a - m.il : 0;
		memcpy(o, m.fp + r, z - m.il + 1 - r);
		o += z - m.il + 1 - r;
	}
	memcpy(o, t, tail);
	o += tail;
	*o = '\0';
	out->len = (size_t)(o - out->p);
	return 0;
}

static int
canon_string(struct canon *c, const uchar *s, const uchar *e)
{
	const uchar *q = s + 1;

	/* Printable ASCII without escapes (most keys and values): its
	 * canonical text is its own. */
	while (q < e - 1 && *q >= 0x20 && *q < 0x80 && *q != '\\')
		q++;
	if (q == e - 1)
		return sz_buf_add(c->out, s, (size_t)(e - s));
	/* Without escapes the decoded form is the body itself (add_jstr
	 * turns invalid UTF-8 into U+FFFD as decoding would). */
	if (memchr(s + 1, '\\', (size_t)(e - s - 2)) == NULL)
		return sz_buf_add_jstr(c->out, (const char *)s + 1,
		    (size_t)(e - s - 2));
	sz_buf_reset(&c->tmp);
	if (sz_json_unescape((const char *)s, (size_t)(e - s), &c->tmp) != 0)
		return -1;
	return sz_buf_add_jstr(c->out, c->tmp.p, c->tmp.len);
}

static int
member_cmp(const void *pa, const void *pb)
{
	const struct member *a = pa, *b = pb;
	size_t n = a->klen < b->klen ? a->klen : b->klen;
	int r = n ? memcmp(a->k, b->k, n) : 0;

	if (r != 0)
		return r;
	if (a->klen != b->klen)
		return a->klen < b->klen ? -1 : 1;
	return a->ord < b->ord ? -1 : a->ord > b->ord;
}

static int canon_value(struct canon *c, const uchar *s, const uchar *e,
    unsigned depth);

/*
 * Write an object: collect its members, sort them by decoded name (ties
 * by position), keep the last of each name, then write them. Only this
 * object's members are on the stack while sorting.
 */
static int
canon_object(struct canon *c, const uchar *s, const uchar *e, unsigned depth)
{
	size_t base = c->nm, keys0 = c->keys.len, i, j, ord = 0;
	const uchar *k, *ke, *lo = s;
	struct member *m;
	int r = -1;

	s = skip_ws(s + 1, e);
	while (s < e && *s == '"') {
		if (c->nm == c->am) {
			size_t na = c->am ? c->am * 2 : 16;

			m = realloc(c->m, na * sizeof(*m));
			if (m == NULL)
				goto out;
			c->m = m;
			c->am = na;
		}
		m = &c->m[c->nm];
		k = s;
		ke = skip_string(s + 1, e, lo);
		m->raw = sz_jstr_plain((const char *)k + 1,
		    (size_t)(ke - k - 2));
		if (m->raw) {
			m->k = (const char *)k + 1;
			m->klen = (size_t)(ke - k - 2);
		} else {
			m->koff = c->keys.len;
			if (sz_json_unescape((const char *)k, (size_t)(ke - k),
			    &c->keys) != 0)
				goto out;
			m->klen = c->keys.len - m->koff;
		}
		s = skip_ws(skip_ws(ke, e) + 1, e);	/* ':' */
		m->v = s;
		m->ve = skip_value(s, e);
		m->ord = ord++;
		c->nm++;
		s = skip_ws(m->ve, e);
		if (s < e && *s == ',')
			s = skip_ws(s + 1, e);
	}
	/* Decoded names stay where they are until a nested object runs. */
	for (i = base; i < c->nm; i++)
		if (!c->m[i].raw)
			c->m[i].k = c->keys.p + c->m[i].koff;
	if (c->nm - base > 1)
		qsort(c->m + base, c->nm - base, sizeof(*c->m), member_cmp);
	for (i = j = base; i < c->nm; i++) {
		if (i + 1 < c->nm && c->m[i].klen == c->m[i + 1].klen &&
		    memcmp(c->m[i].k, c->m[i + 1].k, c->m[i].klen) == 0)
			continue;	/* a later member has this name */
		c->m[j++] = c->m[i];
	}
	c->nm = j;
	if (sz_buf_addc(c->out, '{') != 0)
		goto out;
	for (i = base; i < j; i++) {
		/* Nested objects may have moved c->keys: use the offset. */
		const char *name = c->m[i].raw ? c->m[i].k :
		    c->keys.p + c->m[i].koff;

		if ((i > base && sz_buf_addc(c->out, ',') != 0) ||
		    sz_buf_add_jstr(c->out, name, c->m[i].klen) != 0 ||
		    sz_buf_addc(c->out, ':') != 0 ||
		    canon_value(c, c->m[i].v, c->m[i].ve, depth + 1) != 0)
			goto out;
	}
	r = sz_buf_addc(c->out, '}');
out:
	c->nm = base;
	c->keys.len = keys0;
	return r;
}

static int
canon_array(struct canon *c, const uchar *s, const uchar *e, unsigned depth)
{
	const uchar *ve;
	int first = 1;

	if (sz_buf_addc(c->out, '[') != 0)
		return -1;
	s = skip_ws(s + 1, e);
	while (s < e && *s != ']') {
		ve = skip_value(s, e);
		if ((!first && sz_buf_addc(c->out, ',') != 0) ||
		    canon_value(c, s, ve, depth + 1) != 0)
			return -1;
		first = 0;
		s = skip_ws(ve, e);
		if (s < e && *s == ',')
			s = skip_ws(s + 1, e);
	}
	return sz_buf_addc(c->out, ']');
}

/* The value is s[0..e) exactly (no white space around it). */
static int
canon_value(struct canon *c, const uchar *s, const uchar *e, unsigned depth)
{
	if (s == e || depth >= CANON_DEPTH)
		return -1;	/* not a valid value, or too deep */
	switch (*s) {
	case 'n': return sz_buf_add(c->out, "null", 4);
	case 't': return sz_buf_add(c->out, "true", 4);
	case 'f': return sz_buf_add(c->out, "false", 5);
	case '"': return canon_string(c, s, e);
	case '[': return canon_array(c, s, e, depth);
	case '{': return canon_object(c, s, e, depth);
	default: return canon_number(c, s, e);
	}
}

/*
 * Appends the canonical text; on failure out's contents are as before.
 * Recursion follows the nesting, bounded by CANON_DEPTH; each level's
 * frame is small.
 */
int
sz_json_canon(const char *v, size_t n, sz_buf *out)
{
	struct canon c = { out, SZ_BUF_INIT, SZ_BUF_INIT, NULL, 0, 0 };
	size_t len0 = out->len;
	int r;

	sz_json_trim(&v, &n);
	r = canon_value(&c, (const uchar *)v, (const uchar *)v + n, 0);
	if (r != 0) {
		out->len = len0;
		if (out->p != NULL)
			out->p[len0] = '\0';
	}
	sz_buf_free(&c.keys);
	sz_buf_free(&c.tmp);
	free(c.m);
	return r;
}

/* ---- compact text --------------------------------------------------- */

int
sz_json_compact(const char *v, size_t n, sz_buf *out)
{
	const uchar *s = (const uchar *)v, *e = s + n, *run = s, *q;
	sz_buf tmp = SZ_BUF_INIT;
	size_t len0 = out->len;
	int rc = 0;

	while (s < e && rc == 0) {
		if (is_ws[*s]) {
			rc = sz_buf_add(out, run, (size_t)(s - run));
			run = ++s;
			continue;
		}
		if (*s != '"') {
			s++;
			continue;
		}
		q = skip_string(s + 1, e, (const uchar *)v);
		if (!sz_jstr_clean((const char *)s + 1, (size_t)(q - s - 2))) {
			/* jq's value of the string, in jq's text */
			sz_buf_reset(&tmp);
			rc = sz_buf_add(out, run, (size_t)(s - run)) ||
			    sz_json_unescape((const char *)s, (size_t)(q - s),
			    &tmp) || sz_buf_add_jqstr(out, tmp.p, tmp.len);
			run = q;
		}
		s = q;
	}
	if (rc == 0)
		rc = sz_buf_add(out, run, (size_t)(s - run));
	sz_buf_free(&tmp);
	if (rc != 0) {
		out->len = len0;
		if (out->p != NULL)
			out->p[len0] = '\0';
		return -1;
	}
	return 0;
}

/* A valid number literal as sign, significant digits and exponent:
 * value = (-1)^neg * 0.D1D2...DL * 10^adj, the digits those of the
 * integer and fraction parts without leading and trailing zeros (L = 0:
 * the value is zero). */
typedef struct jdec {
	int neg;
	const char *ip, *fp;	/* integer and fraction digits */
	size_t ni, nf;
	size_t lo, hi;		/* significant digits: [lo, hi) of both */
	long long adj;
} jdec;

static char
jdec_digit(const jdec *d, size_t k)
{
	return k < d->ni ? d->ip[k] : d->fp[k - d->ni];
}

static void
jdec_read(jdec *d, const char *s, size_t n)
{
	const char *p = s, *e = s + n;
	long long ex = 0;
	int exneg = 0;

	memset(d, 0, sizeof(*d));
	if (p < e && *p == '-') {
		d->neg = 1;
		p++;
	}
	d->ip = p;
	while (p < e && *p >= '0' && *p <= '9')
		p++, d->ni++;
	d->fp = p;
	if (p < e && *p == '.') {
		d->fp = ++p;
		while (p < e && *p >= '0' && *p <= '9')
			p++, d->nf++;
	}
	if (p < e && (*p == 'e' || *p == 'E')) {
		p++;
		if (p < e && (*p == '+' || *p == '-'))
			exneg = *p++ == '-';
		for (; p < e && *p >= '0' && *p <= '9'; p++)
			if (ex < 1000000000000000LL)
				ex = ex * 10 + (*p - '0');
		if (exneg)
			ex = -ex;
	}
	d->lo = 0;
	d->hi = d->ni + d->nf;
	while (d->lo < d->hi && jdec_digit(d, d->lo) == '0')
		d->lo++;
	while (d->hi > d->lo && jdec_digit(d, d->hi - 1) == '0')
		d->hi--;
	d->adj = (long long)d->ni - (long long)d->lo + ex;
	if (d->lo == d->hi)
		d->neg = 0;
}

int
sz_json_num_cmp(const char *a, size_t an, const char *b, size_t bn)
{
	jdec x, y;
	int sx, sy, r = 0;

	jdec_read(&x, a, an);
	jdec_read(&y, b, bn);
	sx = x.lo == x.hi ? 0 : x.neg ? -1 : 1;
	sy = y.lo == y.hi ? 0 : y.neg ? -1 : 1;
	if (sx != sy)
		return sx < sy ? -1 : 1;
	if (sx == 0)
		return 0;
	if (x.adj != y.adj)
		r = x.adj < y.adj ? -1 : 1;
	else {
		size_t i = x.lo, j = y.lo;

		for (; r == 0 && (i < x.hi || j < y.hi); i++, j++) {
			char cx = i < x.hi ? jdec_digit(&x, i) : '0';
			char cy = j < y.hi ? jdec_digit(&y, j) : '0';

			if (cx != cy)
				r = cx < cy ? -1 : 1;
		}
	}
	return sx < 0 ? -r : r;
}

int
sz_json_num_int64(const char *s, size_t n, int64_t *v)
{
	jdec d;
	unsigned long long acc = 0;
	size_t len;

	jdec_read(&d, s, n);
	*v = 0;
	if (d.lo == d.hi)
		return SZ_NUM_INT;
	len = d.hi - d.lo;
	if (d.adj < (long long)len)
		return SZ_NUM_FRACTION;
	if (d.adj > 19)
		return SZ_NUM_RANGE;
	for (long long k = 0; k < d.adj; k++) {
		unsigned dg = (size_t)k < len ?
		    (unsigned)(jdec_digit(&d, d.lo + (size_t)k) - '0') : 0;

		if (acc > (ULLONG_MAX - dg) / 10)
			return SZ_NUM_RANGE;
		acc = acc * 10 + dg;
	}
	if (d.neg) {
		if (acc > (unsigned long long)INT64_MAX + 1)
			return SZ_NUM_RANGE;
		*v = acc == (unsigned long long)INT64_MAX + 1 ? INT64_MIN :
		    -(int64_t)acc;
	} else {
		if (acc > (unsigned long long)INT64_MAX)
			return SZ_NUM_RANGE;
		*v = (int64_t)acc;
	}
	return SZ_NUM_INT;
}
