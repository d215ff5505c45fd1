/* SPDX-License-Identifier: MIT */
/* jvtext.c - jq values from JSON text and back; see jvtext.h. */
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json/json.h"
#include "jq/jvtext.h"

typedef unsigned char uchar;

/* ---- building ----------------------------------------------------------- */

typedef struct rd {
	const uchar *p, *end;
	sz_buf *tmp;
	sz_jvcache *c;
} rd;

void
sz_jvcache_free(sz_jvcache *c)
{
	if (c == NULL)
		return;
	for (size_t i = 0; i < SZ_JVCACHE_N; i++)
		if (c->e[i].n > 0)
			jv_free(c->e[i].v);
	memset(c, 0, sizeof(*c));
}

/*
 * The string of the bytes s[0..n) (no escapes): from the cache when it
 * is there (a copy of the cached value: refcounts, no allocation, no
 * UTF-8 check, and its hash, once jq took it, kept), else made and
 * kept. Strings of 1 to SZ_JVCACHE_LEN bytes; one entry a slot, the
 * newer one winning.
 */
static jv
cached(sz_jvcache *c, const uchar *s, size_t n, int key)
{
	uint32_t h = 2166136261u;
	struct sz_jvcache_e *e;

	if (c == NULL || n == 0 || n > SZ_JVCACHE_LEN)
		return jv_string_sized((const char *)s, (int)n);
	for (size_t i = 0; i < n; i++)
		h = (h ^ s[i]) * 16777619u;
	e = &c->e[((h >> 7) * 2 + (unsigned)key) % SZ_JVCACHE_N];
	if (e->n == n && memcmp(e->s, s, n) == 0)
		return jv_copy(e->v);
	if (e->n > 0)
		jv_free(e->v);
	e->v = jv_string_sized((const char *)s, (int)n);
	memcpy(e->s, s, n);
	e->n = (unsigned char)n;
	return jv_copy(e->v);
}

static jv value(rd *r);

static void
skip_ws(rd *r)
{
	while (r->p < r->end && (*r->p == ' ' || *r->p == '\n' ||
	    *r->p == '\t' || *r->p == '\r'))
		r->p++;
}

/* A string literal at r->p (the opening quote); key: an object's name. */
static jv
string(rd *r, int key)
{
	const uchar *s = r->p, *q = s + 1;
	int esc = 0;

	/* Valid text: the closing quote comes before the end; the first
	 * quote is it when no backslash comes before. */
	q = memchr(q, '"', (size_t)(r->end - q));
	if (memchr(s + 1, '\\', (size_t)(q - s - 1)) != NULL)
		for (esc = 1, q = s + 1; *q != '"'; q++)
			if (*q == '\\')
				q++;
	r->p = q + 1;
	if (!esc)
		return cached(r->c, s + 1, (size_t)(q - s - 1), key);
	sz_buf_reset(r->tmp);
	if (sz_json_unescape((const char *)s, (size_t)(r->p - s), r->tmp) < 0)
		abort();		/* out of memory, as libjq's allocator */
	return jv_string_sized(r->tmp->p, (int)r->tmp->len);
}

static jv
number(rd *r)
{
	const uchar *s = r->p;

	r->p = (const uchar *)sz_json_skip((const char *)s,
	    (const char *)r->end);
	return jv_number(sz_json_num((const char *)s, (size_t)(r->p - s)));
}

/* Recursion follows the nesting, which validation bounds at
 * SZ_JSON_MAX_DEPTH. */
static jv
value(rd *r)
{
	jv v, k;

	switch (*r->p) {
	case '"':
		return string(r, 0);
	case 't':
		r->p += 4;
		return jv_true();
	case 'f':
		r->p += 5;
		return jv_false();
	case 'n':
		r->p += 4;
		return jv_null();
	case '[':
		r->p++;
		v = jv_array();
		skip_ws(r);
		if (*r->p == ']') {
			r->p++;
			return v;
		}
		for (;;) {
			skip_ws(r);
			v = jv_array_append(v, value(r));
			skip_ws(r);
			if (*r->p++ == ']')
				return v;
		}
	case '{':
		r->p++;
		v = jv_object();
		skip_ws(r);
		if (*r->p == '}') {
			r->p++;
			return v;
		}
		for (;;) {
			skip_ws(r);
			k = string(r, 1);
			skip_ws(r);
			r->p++;		/* : */
			skip_ws(r);
			v = jv_object_set(v, k, value(r));
			skip_ws(r);
			if (*r->p++ == '}')
				return v;
		}
	default:
		return number(r);
	}
}

jv
sz_jv_from_json(const char *p, size_t n, sz_buf *scratch)
{
	return sz_jv_from_json_c(p, n, scratch, NULL);
}

jv
sz_jv_from_json_c(const char *p, size_t n, sz_buf *scratch, sz_jvcache *c)
{
	rd r = { (const uchar *)p, (const uchar *)p + n, scratch, c };

	skip_ws(&r);
	return value(&r);
}

/* ---- printing ----------------------------------------------------------- */

/* Add one unit in the last digit of the mantissa of "D.DDDDe+X" (a
 * carry out of the first digit gives "10.000..."; strtod reads it). */
static void
next_up(char *buf)
{
	char *c = strchr(buf, 'e');

	while (--c >= buf) {
		if (*c == '.')
			continue;
		if (*c != '9') {
			(*c)++;
			return;
		}
		*c = '0';
	}
	memmove(buf + 1, buf, strlen(buf) + 1);
	buf[0] = '1';
}

/* Shortest digits of finite d > 0: writes them (no trailing zeros) to
 * dig, returns their count and sets *decpt: d = 0.DIGITS x 10^decpt. */
static int
shortest(double d, char *dig, int *decpt)
{
	char buf[40];
	int nd;

	/* A fraction with few decimals (12.02, 0.5): the first k whose
	 * rounding M / 10^k gives back d has the fewest digits, and at most
	 * 15 digits no other decimal of that length maps to d. */
	if (d >= 1e-5 && d < 1e15) {
		for (int k = 0; k <= 22; k++) {
			double t = d * sz_json_pow10[k], mr = nearbyint(t);

			if (mr >= 1e15)
				break;
			if (mr / sz_json_pow10[k] == d) {
				uint64_t mm = (uint64_t)mr;

				while (mm % 10 == 0 && mm != 0)
					mm /= 10, k--;
				nd = snprintf(dig, 24, "%llu",
				    (unsigned long long)mm);
				*decpt = nd - k;
				return nd;
			}
		}
	}
	/* Otherwise: the correctly rounded 15, 16 or 17 digits, the first
	 * that reads back as d (a subnormal number has fewer bits: it may
	 * need fewer digits). */
	for (int prec = d < DBL_MIN ? 1 : 15; prec <= 17; prec++) {
		snprintf(buf, sizeof(buf), "%.*e", prec - 1, d);
		if (prec == 16 && strtod(buf, NULL) != d)
			/* Below a power of two the doubles are twice as
			 * dense: the nearest 16 digits may miss d while the
			 * next ones above do not. */
			next_up(buf);
		if (prec == 17 || strtod(buf, NULL) == d) {
			char *e = strchr(buf, 'e');

			nd = 0;
			for (char *c = buf; c < e; c++)
				if (*c != '.')
					dig[nd++] = *c;
			while (nd > 1 && dig[nd - 1] == '0')
				nd--;
			dig[nd] = '\0';
			*decpt = atoi(e + 1) + 1;
			return nd;
		}
	}
	return 0;			/* not reached */
}

size_t
sz_jv_fmt_number(double d, char *out)
{
	char dig[24], *o = out;
	int nd, decpt;

	if (d != d) {
		memcpy(out, "null", 5);
		return 4;
	}
	if (d > DBL_MAX)
		d = DBL_MAX;
	if (d < -DBL_MAX)
		d = -DBL_MAX;
	if (signbit(d)) {
		*o++ = '-';
		d = -d;
	}
	if (d == 0) {
		*o++ = '0';
		*o = '\0';
		return (size_t)(o - out);
	}
	if (d < 1e15 && d == (double)(uint64_t)d) {
		/* An integer below 10^15: its digits, as jq prints it. */
		o += snprintf(o, 24, "%llu", (unsigned long long)(uint64_t)d);
		return (size_t)(o - out);
	}
	nd = shortest(d, dig, &decpt);
	if (decpt <= -4 || decpt > nd + 15) {
		int x = decpt - 1;

		*o++ = dig[0];
		if (nd > 1) {
			*o++ = '.';
			memcpy(o, dig + 1, (size_t)nd - 1);
			o += nd - 1;
		}
		*o++ = 'e';
		*o++ = x < 0 ? '-' : '+';
		if (x < 0)
			x = -x;
		o += snprintf(o, 8, "%02d", x);
	} else if (decpt <= 0) {
		*o++ = '0';
		*o++ = '.';
		for (; decpt < 0; decpt++)
			*o++ = '0';
		memcpy(o, dig, (size_t)nd);
		o += nd;
	} else {
		for (int i = 0; i < nd; i++) {
			*o++ = dig[i];
			if (i + 1 == decpt && i + 1 < nd)
				*o++ = '.';
		}
		for (; decpt > nd; decpt--)
			*o++ = '0';
	}
	*o = '\0';
	return (size_t)(o - out);
}

/* Values deeper than this are left to jq's printer, which writes what is
 * below this depth in its own way (jq 1.6's MAX_PRINT_DEPTH). */
#define DUMP_DEPTH 256

/* Returns 0, -1 (b cannot grow) or -2 (too deep). */
static int
dump(jv x, sz_buf *b, int depth)
{
	char num[SZ_JV_NUMBUF];
	int rc = 0, first = 1;

	if (depth > DUMP_DEPTH)
		return -2;
	switch (jv_get_kind(x)) {
	case JV_KIND_NULL:
		return sz_buf_add(b, "null", 4);
	case JV_KIND_FALSE:
		return sz_buf_add(b, "false", 5);
	case JV_KIND_TRUE:
		return sz_buf_add(b, "true", 4);
	case JV_KIND_NUMBER:
		return sz_buf_add(b, num,
		    sz_jv_fmt_number(jv_number_value(x), num));
	case JV_KIND_STRING:
		/* jv strings hold valid UTF-8: only escapes differ */
		return sz_buf_add_jqstr(b, jv_string_value(x),
		    (size_t)jv_string_length_bytes(jv_copy(x)));
	case JV_KIND_ARRAY: {
		int n = jv_array_length(jv_copy(x));

		if (sz_buf_addc(b, '[') < 0)
			return -1;
		for (int i = 0; i < n && rc == 0; i++) {
			jv el = jv_array_get(jv_copy(x), i);

			if (i > 0)
				rc = sz_buf_addc(b, ',');
			if (rc == 0)
				rc = dump(el, b, depth + 1);
			jv_free(el);
		}
		return rc < 0 ? rc : sz_buf_addc(b, ']');
	}
	case JV_KIND_OBJECT:
		if (sz_buf_addc(b, '{') < 0)
			return -1;
		for (int i = jv_object_iter(x); rc == 0 &&
		    jv_object_iter_valid(x, i); i = jv_object_iter_next(x, i)) {
			jv k = jv_object_iter_key(x, i);
			jv v = jv_object_iter_value(x, i);

			if (!first)
				rc = sz_buf_addc(b, ',');
			first = 0;
			if (rc == 0)
				rc = dump(k, b, depth + 1);
			if (rc == 0)
				rc = sz_buf_addc(b, ':');
			if (rc == 0)
				rc = dump(v, b, depth + 1);
			jv_free(k);
			jv_free(v);
		}
		return rc < 0 ? rc : sz_buf_addc(b, '}');
	default:
		/* An invalid value: what jq's printer writes for it. */
		{
			jv s = jv_dump_string(jv_copy(x), 0);

			rc = sz_buf_adds(b, jv_string_value(s));
			jv_free(s);
			return rc;
		}
	}
}

int
sz_jv_dump(jv v, sz_buf *b)
{
	size_t len = b->len;
	int rc = dump(v, b, 0);
	jv s;

	if (rc != -2)
		return rc;
	b->len = len;
	s = jv_dump_string(jv_copy(v), 0);
	rc = sz_buf_add(b, jv_string_value(s),
	    (size_t)jv_string_length_bytes(jv_copy(s)));
	jv_free(s);
	return rc;
}

/*
 * Most numbers are answered from their digits alone: a decimal of at most
 * 15 significant digits (DBL_DIG) between 1e-307 and 1e308 reads as a
 * normal double that, rounded to 15 digits as jq prints it, gives the
 * same decimal back; one of more than 17 cannot be printed back (jq
 * prints at most 17). The others are printed and compared.
 */
int
sz_jv_num_kept(const char *s, size_t n)
{
	const char *p = s, *e = s + n;
	long ilen = 0, pos = 0, first = -1, last = -1, x = 0;
	int xneg = 0, xlen = 0, dot = 0;
	char b[SZ_JV_NUMBUF];

	if (p < e && *p == '-')
		p++;
	for (; p < e && *p != 'e' && *p != 'E'; p++) {
		if (*p == '.') {
			ilen = pos;
			dot = 1;
			continue;
		}
		if (*p != '0') {
			if (first < 0)
				first = pos;
			last = pos;
		}
		pos++;
	}
	if (!dot)
		ilen = pos;
	if (first < 0)
		return 1;			/* zero */
	if (p < e) {
		p++;
		if (p < e && (*p == '+' || *p == '-'))
			xneg = *p++ == '-';
		for (; p < e && xlen < 6; p++, xlen++)
			x = x * 10 + (*p - '0');
		if (p < e)
			goto slow;		/* an exponent of 7 digits */
		if (xneg)
			x = -x;
	}
	if (last - first + 1 > 17)
		return 0;
	if (last - first + 1 <= 15 && ilen - 1 - first + x >= -307 &&
	    ilen - 1 - first + x <= 307)
		return 1;
slow:
	return sz_json_num_eq(s, n, b,
	    sz_jv_fmt_number(sz_json_num(s, n), b));
}
