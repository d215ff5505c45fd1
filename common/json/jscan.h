/* SPDX-License-Identifier: MIT */
/*
 * jscan.h - the validating scanner's body, a template: json.c includes it
 * once for each way of finding string bytes (scalar, SSE2, AVX2), each
 * time with
 *   JS_(name)             the path's name for one of the functions here
 *   JS_PLAIN(k, s, e, lo) skip plain string bytes from s (k: windows)
 *   JS_DIGITS(s, e, lo)   skip ASCII digits from s
 * defined, and undefines them after. The paths differ only in those two
 * helpers, so they give the same verdicts, reasons, offsets and indexes
 * by construction (tests/unit/check_jsimd.c checks it on data).
 * Not a header to include anywhere else.
 */

/*
 * Scan a string from just past its opening quote, through the windows k
 * (the validator's). Returns the byte after the closing quote, or NULL
 * with *why and *at saying what is wrong where.
 */
static ALWAYS_INLINE const uchar *
JS_(scan_string)(sblk *k, const uchar *s, const uchar *e, const uchar *lo,
    const char **why, const uchar **at)
{
	int i;

	for (;;) {
		s = JS_PLAIN(k, s, e, lo);
		if (s == e) {
			*why = "unterminated string";
			break;
		}
		if (*s == '"')
			return s + 1;
		if (*s != '\\') {
			*why = "control character in string";
			break;
		}
		if (e - s < 2) {
			*why = "unterminated string";
			s = e;
			break;
		}
		switch (s[1]) {
		case '"': case '\\': case '/': case 'b': case 'f': case 'n':
		case 'r': case 't':
			s += 2;
			continue;
		case 'u':
			for (i = 2; i < 6; i++) {
				if (s + i == e) {
					*why = "unterminated string";
					*at = e;
					return NULL;
				}
				if (!is_hex[s[i]]) {
					*why = "invalid \\u escape in string";
					*at = s;
					return NULL;
				}
			}
			/* jq 1.6 rejects a high surrogate that no low one
			 * follows (a lone low one reads as U+FFFD). */
			if (SZ_UTF16_HIGH(sz_jstr_hex4((const char *)s + 2))) {
				if (sz_jstr_low_at((const char *)s + 6,
				    (const char *)e) == 0) {
					*why = "unpaired UTF-16 high surrogate "
					    "escape in string";
					*at = s;
					return NULL;
				}
				s += 6;
			}
			s += 6;
			continue;
		default:
			*why = "invalid escape in string";
			break;
		}
		break;
	}
	*at = s;
	return NULL;
}

/* Scan a number (RFC 8259 grammar); like scan_string. */
static ALWAYS_INLINE const uchar *
JS_(scan_number)(const uchar *s, const uchar *e, const uchar *lo,
    const char **why, const uchar **at)
{
	if (*s == '-')
		s++;
	if (s == e)
		goto bad;
	if (*s == '0') {
		s++;
		if (s < e && IS_DIGIT(*s))
			goto bad;	/* leading zero */
	} else if (IS_DIGIT(*s)) {
		s = JS_DIGITS(s + 1, e, lo);
	} else {
		goto bad;
	}
	if (s < e && *s == '.') {
		s++;
		if (s == e || !IS_DIGIT(*s))
			goto bad;
		s = JS_DIGITS(s + 1, e, lo);
	}
	if (s < e && (*s | 0x20) == 'e') {
		s++;
		if (s < e && (*s == '+' || *s == '-'))
			s++;
		if (s == e || !IS_DIGIT(*s))
			goto bad;
		s = JS_DIGITS(s + 1, e, lo);
	}
	return s;
bad:
	*why = "invalid number";
	*at = s;
	return NULL;
}


/*
 * The index is kept with three pointers: the name of the member being
 * read (kst, ken) and the start of its value (vst); a top-level value is
 * complete when `after` is reached at depth 1.
 */
static int
JS_(validate)(const char *p, size_t n, const char **reason, size_t *off,
    sz_jindex *ix)
{
	const uchar *s = (const uchar *)p, *e = s + n, *lo = s, *t;
	const uchar *kst = NULL, *ken = NULL, *vst = NULL;
	uint64_t objs[STACK_WORDS];
	unsigned depth = 0;
	int in_obj = 0, top_arr = 0;
	const char *why;
	sblk win = { 0 };

	if (ix != NULL) {
		ix->n = -1;
		ix->el_ok = 0;
		ix->nel = 0;
	}

	if (s == e || (is_ws[*s] && (s = skip_ws(s, e)) == e)) {
		why = "empty input";
		goto fail;
	}
value:	/* s < e, at the first byte of a value or white space before it */
	if (*s == '"') {	/* the commonest values first */
		if ((t = JS_(scan_string)(&win, s + 1, e, lo, &why, &s)) == NULL)
			goto fail;
		s = t;
		goto after;
	}
	if (IS_DIGIT(*s) || *s == '-') {
		if ((t = JS_(scan_number)(s, e, lo, &why, &s)) == NULL)
			goto fail;
		s = t;
		goto after;
	}
	switch (*s) {
	case 't':
		if (e - s >= 4 && memcmp(s, "true", 4) == 0) {
			s += 4;
			goto after;
		}
		goto literal;
	case 'f':
		if (e - s >= 5 && memcmp(s, "false", 5) == 0) {
			s += 5;
			goto after;
		}
		goto literal;
	case 'n':
		if (e - s >= 4 && memcmp(s, "null", 4) == 0) {
			s += 4;
			goto after;
		}
		goto literal;
	case '{':
		if (depth == SZ_JSON_MAX_DEPTH)
			goto deep;
		if (depth == 0 && ix != NULL)
			ix->n = 0;
		objs[depth >> 6] |= (uint64_t)1 << (depth & 63);
		depth++;
		in_obj = 1;
		s++;
		if (s < e && *s == '"')
			goto key;
		s = skip_ws(s, e);
		if (s < e && *s == '}') {
			s++;
			goto close;
		}
		goto key;
	case '[':
		if (depth == SZ_JSON_MAX_DEPTH)
			goto deep;
		objs[depth >> 6] &= ~((uint64_t)1 << (depth & 63));
		if (depth == 0 && ix != NULL && ix->want_el)
			top_arr = ix->el_ok = 1;
		depth++;
		in_obj = 0;
		s = skip_ws(s + 1, e);
		if (s == e)
			goto eof;
		if (*s == ']') {
			s++;
			goto close;
		}
		if (top_arr && depth == 1)
			vst = s;
		goto value;
	case ' ': case '\t': case '\n': case '\r':
		s = skip_ws(s + 1, e);
		if (s == e)
			goto eof;
		goto value;
	default:
		why = unexpected[*s];
		goto fail;
	}
key:	/* inside an object, before a member's name */
	if (s == e)
		goto eof;
	if (*s != '"') {
		if (is_ws[*s]) {
			s = skip_ws(s + 1, e);
			goto key;
		}
		why = "expected a string as object key";
		goto fail;
	}
	if ((t = JS_(scan_string)(&win, s + 1, e, lo, &why, &s)) == NULL)
		goto fail;
	if (depth == 1) {
		kst = s;
		ken = t;
	}
	s = t;
	if (s < e && *s == ':') {
		s++;
	} else {
		s = skip_ws(s, e);
		if (s == e)
			goto eof;
		if (*s != ':') {
			why = "expected ':' after object key";
			goto fail;
		}
		s++;
	}
	if (s == e)
		goto eof;
	if (depth == 1) {
		if (is_ws[*s] && (s = skip_ws(s, e)) == e)
			goto eof;
		vst = s;
	}
	goto value;
close:	/* a container just ended */
	depth--;
	in_obj = depth > 0 &&
	    (objs[(depth - 1) >> 6] >> ((depth - 1) & 63) & 1);
after:	/* just past a value */
	if (vst != NULL && depth == 1) {
		/* a member of the top-level object is complete */
		if (top_arr)
			add_element(ix, (size_t)(vst - lo), (size_t)(s - vst));
		else if (ix != NULL && ix->n >= 0) {
			if (ix->n < SZ_JINDEX_MAX) {
				sz_jmember *m = &ix->m[ix->n++];

				m->k = (const char *)kst;
				m->kn = (size_t)(ken - kst);
				m->v = (const char *)vst;
				m->vn = (size_t)(s - vst);
			} else
				ix->n = -1;
		}
		vst = NULL;
	}
	if (depth == 0) {
		s = skip_ws(s, e);
		if (s != e) {
			why = "trailing characters after the value";
			goto fail;
		}
		return 0;
	}
	if (s == e)
		goto eof;
	if (*s == ',') {
		s++;
		if (in_obj)
			goto key;
		if (top_arr && depth == 1) {
			s = skip_ws(s, e);
			vst = s;
		}
		if (s == e)
			goto eof;
		goto value;
	}
	if (*s == (in_obj ? '}' : ']')) {
		s++;
		goto close;
	}
	if (is_ws[*s]) {
		s = skip_ws(s + 1, e);
		goto after;
	}
	why = in_obj ? "expected ',' or '}' after an object member" :
	    "expected ',' or ']' after an array element";
	goto fail;
deep:
	why = "nesting deeper than " STR(SZ_JSON_MAX_DEPTH);
	goto fail;
literal:
	why = "invalid literal";
	goto fail;
eof:
	why = "unexpected end of input";
fail:
	if (reason != NULL)
		*reason = why;
	if (off != NULL)
		*off = (size_t)(s - (const uchar *)p);
	return -1;
}
