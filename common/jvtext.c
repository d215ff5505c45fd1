/* SPDX-License-Identifier: MIT */
/* jvtext.c - jq values from JSON text and back; see jvtext.h. */
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jvtext.h"

typedef unsigned char uchar;

/* Exact powers of ten as doubles (10^22 is the last exact one). */
static const double p10[] = {
	1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11,
	1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22
};

/* ---- building ----------------------------------------------------------- */

typedef struct rd {
	const uchar *p, *end;
	sz_buf *tmp;
	int bail;		/* leave this text to jq's parser */
} rd;

static jv value(rd *r, int depth);

static void
skip_ws(rd *r)
{
	while (r->p < r->end && (*r->p == ' ' || *r->p == '\n' ||
	    *r->p == '\t' || *r->p == '\r'))
		r->p++;
}

static unsigned
hex4(const uchar *q)
{
	unsigned v = 0;

	for (int i = 0; i < 4; i++) {
		uchar c = q[i];

		v = v << 4 | (unsigned)(c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10);
	}
	return v;
}

static void
must(int rc)
{
	if (rc < 0)
		abort();	/* out of memory, as libjq's allocator does */
}

/* Encode cp as UTF-8 the way jq 1.6's parser does (surrogates too: then
 * jv_string_sized() replaces the bytes, as it does for jq). */
static void
put_utf8(sz_buf *b, unsigned cp)
{
	char u[4];
	size_t n;

	if (cp < 0x80) {
		u[0] = (char)cp;
		n = 1;
	} else if (cp < 0x800) {
		u[0] = (char)(0xC0 | cp >> 6);
		u[1] = (char)(0x80 | (cp & 0x3F));
		n = 2;
	} else if (cp < 0x10000) {
		u[0] = (char)(0xE0 | cp >> 12);
		u[1] = (char)(0x80 | (cp >> 6 & 0x3F));
		u[2] = (char)(0x80 | (cp & 0x3F));
		n = 3;
	} else {
		u[0] = (char)(0xF0 | cp >> 18);
		u[1] = (char)(0x80 | (cp >> 12 & 0x3F));
		u[2] = (char)(0x80 | (cp >> 6 & 0x3F));
		u[3] = (char)(0x80 | (cp & 0x3F));
		n = 4;
	}
	must(sz_buf_add(b, u, n));
}

/* A string literal at r->p (the opening quote). */
static jv
string(rd *r)
{
	const uchar *s = ++r->p, *q = s;

	/* Valid text: the closing quote comes before the end. */
	while (*q != '"' && *q != '\\')
		q++;
	if (*q == '"') {
		r->p = q + 1;
		return jv_string_sized((const char *)s, (int)(q - s));
	}
	sz_buf_reset(r->tmp);
	for (;;) {
		must(sz_buf_add(r->tmp, s, (size_t)(q - s)));
		if (*q == '"')
			break;
		q++;			/* the escape's letter */
		switch (*q++) {
		case 'b': must(sz_buf_addc(r->tmp, '\b')); break;
		case 'f': must(sz_buf_addc(r->tmp, '\f')); break;
		case 'n': must(sz_buf_addc(r->tmp, '\n')); break;
		case 'r': must(sz_buf_addc(r->tmp, '\r')); break;
		case 't': must(sz_buf_addc(r->tmp, '\t')); break;
		case 'u': {
			unsigned cp = hex4(q);

			q += 4;
			if (cp >= 0xD800 && cp <= 0xDBFF) {
				/* jq wants a low surrogate next, or fails */
				unsigned lo;

				if (q[0] != '\\' || q[1] != 'u' ||
				    (lo = hex4(q + 2)) < 0xDC00 || lo > 0xDFFF) {
					r->bail = 1;
					return jv_null();
				}
				cp = 0x10000 + ((cp - 0xD800) << 10 |
				    (lo - 0xDC00));
				q += 6;
			}
			put_utf8(r->tmp, cp);
			break;
		}
		default:		/* " \ / */
			must(sz_buf_addc(r->tmp, (char)q[-1]));
			break;
		}
		s = q;
		while (*q != '"' && *q != '\\')
			q++;
	}
	r->p = q + 1;
	return jv_string_sized(r->tmp->p, (int)r->tmp->len);
}

#define IS_DIGIT(c) ((unsigned)((c) - '0') < 10)

static jv
number(rd *r)
{
	const uchar *s = r->p, *q = s;
	uint64_t m = 0;
	int nd = 0, frac = 0, neg = 0;
	long ex = 0;

	if (*q == '-') {
		neg = 1;
		q++;
	}
	for (; q < r->end && IS_DIGIT(*q); q++, nd++)
		m = m * 10 + (uint64_t)(*q - '0');
	if (q < r->end && *q == '.')
		for (q++; q < r->end && IS_DIGIT(*q); q++, nd++, frac++)
			m = m * 10 + (uint64_t)(*q - '0');
	if (q < r->end && (*q == 'e' || *q == 'E')) {
		int eneg = 0;

		q++;
		if (*q == '-' || *q == '+')
			eneg = *q++ == '-';
		for (; q < r->end && IS_DIGIT(*q); q++)
			if (ex < 100000)
				ex = ex * 10 + (*q - '0');
		if (eneg)
			ex = -ex;
	}
	r->p = q;
	ex -= frac;
	if (nd <= 15 && ex >= -22 && ex <= 22) {
		/* m and 10^|ex| are exact: one correctly rounded operation. */
		double d = (double)m;

		d = ex < 0 ? d / p10[-ex] : d * p10[ex];
		return jv_number(neg ? -d : d);
	}
	sz_buf_reset(r->tmp);
	must(sz_buf_add(r->tmp, s, (size_t)(q - s)));
	must(sz_buf_addc(r->tmp, '\0'));
	return jv_number(strtod(r->tmp->p, NULL));
}

static jv
value(rd *r, int depth)
{
	jv v, k, x;

	switch (*r->p) {
	case '"':
		return string(r);
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
		if (depth >= SZ_JV_BUILD_DEPTH) {
			r->bail = 1;
			return jv_null();
		}
		r->p++;
		v = jv_array();
		skip_ws(r);
		if (*r->p == ']') {
			r->p++;
			return v;
		}
		for (;;) {
			skip_ws(r);
			x = value(r, depth + 1);
			if (r->bail) {
				jv_free(x);
				jv_free(v);
				return jv_null();
			}
			v = jv_array_append(v, x);
			skip_ws(r);
			if (*r->p++ == ']')
				return v;
		}
	case '{':
		if (depth + 1 >= SZ_JV_BUILD_DEPTH) {
			r->bail = 1;
			return jv_null();
		}
		r->p++;
		v = jv_object();
		skip_ws(r);
		if (*r->p == '}') {
			r->p++;
			return v;
		}
		for (;;) {
			skip_ws(r);
			k = string(r);
			if (r->bail) {
				jv_free(k);
				jv_free(v);
				return jv_null();
			}
			skip_ws(r);
			r->p++;		/* : */
			skip_ws(r);
			x = value(r, depth + 2);
			if (r->bail) {
				jv_free(k);
				jv_free(x);
				jv_free(v);
				return jv_null();
			}
			v = jv_object_set(v, k, x);
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
	rd r = { (const uchar *)p, (const uchar *)p + n, scratch, 0 };
	jv v;

	skip_ws(&r);
	v = value(&r, 0);
	if (!r.bail)
		return v;
	jv_free(v);
	return jv_parse_sized(p, (int)n);
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
			double t = d * p10[k], mr = nearbyint(t);

			if (mr >= 1e15)
				break;
			if (mr / p10[k] == d) {
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

/* Deeper values are left to jq's printer (which recurses as deep as the
 * value goes, as jq does). */
#define DUMP_DEPTH 1000

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
