/* SPDX-License-Identifier: MIT */
/*
 * jschema.c - the JSON Schema subset (draft 7 / 2020-12) of schema.h:
 * reading a schema, every keyword outside the subset a schema error that
 * names it, and checking a value with every error in schema order.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <oniguruma.h>

#include "json/etime.h"
#include "run/schema_int.h"

/* Type bits. */
enum {
	T_NULL = 1, T_BOOL = 2, T_OBJECT = 4, T_ARRAY = 8, T_NUMBER = 16,
	T_INTEGER = 32, T_STRING = 64
};
static const char *const tnames[] = {
	"null", "boolean", "object", "array", "number", "integer", "string"
};

typedef struct jsprop {
	char *name;
	size_t namelen;
	sz_jsnode *s;
	char *def;		/* compact text of "default", or NULL */
	size_t defn;
} jsprop;

struct sz_jsnode {
	int boolean;		/* -1: an object; 0: false; 1: true */
	unsigned types;		/* 0: any */
	char **enumv;		/* canonical texts */
	size_t nenum;
	int has_enum;
	char *constv;		/* canonical text, or NULL */
	char *min, *max, *xmin, *xmax;	/* number literals, or NULL */
	long long minlen, maxlen, minitems, maxitems;	/* -1: none */
	char *pattern;
	regex_t *re;
	int datetime;
	sz_jsnode *items;	/* one schema for every element */
	sz_jsnode **tuple;	/* or one per position */
	size_t ntuple;
	int has_tuple;
	jsprop *props;
	size_t nprops;
	char **req;
	size_t *reqlen, nreq;
	sz_jsnode *addl;	/* additionalProperties, or NULL */
};

static char *
dupn(const char *p, size_t n)
{
	char *s = malloc(n + 1);

	if (s != NULL) {
		memcpy(s, p, n);
		s[n] = '\0';
	}
	return s;
}

static int
nomem(sz_buf *err)
{
	sz_buf_reset(err);
	sz_buf_adds(err, "out of memory");
	return -1;
}

/* err: "WHAT at PATH" */
static int
fail(sz_buf *err, const sz_buf *path, const char *fmt, const char *k,
    size_t kn)
{
	sz_buf_reset(err);
	sz_buf_adds(err, fmt);
	if (k != NULL && kn > 0 && k[0] == '"')
		sz_buf_add_visible(err, k, kn);	/* a literal, quoted */
	else if (k != NULL) {
		sz_buf_addc(err, '"');
		sz_buf_add_visible(err, k, kn);
		sz_buf_addc(err, '"');
	}
	sz_buf_adds(err, " at ");
	if (path->len == 0)
		sz_buf_adds(err, "the schema's root");
	else
		sz_buf_add_visible(err, path->p, path->len);
	return -1;
}

static int
path_push(sz_buf *path, const char *k, size_t kn)
{
	int rc = sz_buf_addc(path, '/');

	for (size_t i = 0; i < kn; i++) {
		if (k[i] == '~')
			rc |= sz_buf_adds(path, "~0");
		else if (k[i] == '/')
			rc |= sz_buf_adds(path, "~1");
		else
			rc |= sz_buf_addc(path, k[i]);
	}
	return rc;
}

static int
is_kw(const char *k, size_t kn, const char *w)
{
	return strlen(w) == kn && memcmp(k, w, kn) == 0;
}

/* A non-negative integer keyword. */
static int
count_kw(const char *v, size_t n, long long *out)
{
	int64_t x;

	if (sz_json_type(v, v + n) != SZ_JNUMBER ||
	    sz_json_num_int64(v, n, &x) != SZ_NUM_INT || x < 0)
		return -1;
	*out = x;
	return 0;
}

static int parse_node(sz_jsnode **out, const char *p, size_t n,
    sz_buf *path, sz_buf *err);

static int
parse_type(sz_jsnode *s, const char *v, size_t n, sz_buf *path,
    sz_buf *err)
{
	const char *it = NULL, *e;
	size_t en;
	int arr = sz_json_type(v, v + n) == SZ_JARRAY;

	if (!arr) {
		e = v;
		en = n;
	} else if (!sz_schema_elem(v, n, &it, &e, &en))
		return fail(err, path, "an empty \"type\"", NULL, 0);
	do {
		int t;

		for (t = 0; t < 7; t++)
			if (sz_json_type(e, e + en) == SZ_JSTRING &&
			    sz_json_str_eq(e, en, tnames[t], strlen(tnames[t])))
				break;
		if (t == 7)
			return fail(err, path, "unknown \"type\" ", e, en);
		s->types |= 1u << t;
	} while (arr && sz_schema_elem(v, n, &it, &e, &en));
	return 0;
}

static int
parse_kw(sz_jsnode *s, const char *k, size_t kn, const char *v, size_t n,
    sz_buf *path, sz_buf *err)
{
	sz_jtype jt = sz_json_type(v, v + n);
	size_t plen = path->len;
	int rc = 0;

	if (is_kw(k, kn, "$schema") || is_kw(k, kn, "$id") ||
	    is_kw(k, kn, "title") || is_kw(k, kn, "description") ||
	    is_kw(k, kn, "$comment") || is_kw(k, kn, "default"))
		return 0;
	if (is_kw(k, kn, "type"))
		return parse_type(s, v, n, path, err);
	if (is_kw(k, kn, "properties")) {
		sz_jmembers it;
		sz_buf scratch = SZ_BUF_INIT;

		if (jt != SZ_JOBJECT)
			return fail(err, path, "\"properties\" is not an "
			    "object", NULL, 0);
		sz_json_members(&it, v, n, NULL);
		while (rc == 0 && sz_json_members_next(&it)) {
			size_t nn;
			const char *nm = sz_jmember_name(&it.m, &scratch, &nn);
			jsprop *np;
			sz_step st = { SZ_STEP_KEY, "default", 7, 0 };
			const char *dv;
			size_t dn;
			sz_jtype et;

			if (nm == NULL || (np = realloc(s->props,
			    (s->nprops + 1) * sizeof(*np))) == NULL) {
				rc = nomem(err);
				break;
			}
			s->props = np;
			np = &s->props[s->nprops];
			memset(np, 0, sizeof(*np));
			if ((np->name = dupn(nm, nn)) == NULL) {
				rc = nomem(err);
				break;
			}
			np->namelen = nn;
			s->nprops++;
			if (sz_json_type(it.m.v, it.m.v + it.m.vn) ==
			    SZ_JOBJECT && sz_json_get(it.m.v, it.m.vn, &st,
			    &dv, &dn, &et) == SZ_GET_FOUND) {
				sz_buf b = SZ_BUF_INIT;

				if (sz_json_compact(dv, dn, &b) < 0 ||
				    (np->def = dupn(b.p, b.len)) == NULL)
					rc = nomem(err);
				np->defn = b.len;
				sz_buf_free(&b);
			}
			if (rc == 0 && (sz_buf_adds(path, "/properties") < 0 ||
			    path_push(path, nm, nn) < 0))
				rc = nomem(err);
			if (rc == 0)
				rc = parse_node(&np->s, it.m.v, it.m.vn, path,
				    err);
			path->len = plen;
		}
		sz_buf_free(&scratch);
		return rc;
	}
	if (is_kw(k, kn, "required")) {
		const char *it = NULL, *e;
		size_t en;

		if (jt != SZ_JARRAY)
			return fail(err, path, "\"required\" is not an array",
			    NULL, 0);
		while (sz_schema_elem(v, n, &it, &e, &en)) {
			char **nr;
			size_t *nl;
			sz_buf b = SZ_BUF_INIT;

			if (sz_json_type(e, e + en) != SZ_JSTRING)
				return fail(err, path, "\"required\" holds a "
				    "non-string", NULL, 0);
			if ((nr = realloc(s->req, (s->nreq + 1) *
			    sizeof(*nr))) == NULL)
				return nomem(err);
			s->req = nr;
			if ((nl = realloc(s->reqlen, (s->nreq + 1) *
			    sizeof(*nl))) == NULL)
				return nomem(err);
			s->reqlen = nl;
			if (sz_json_unescape(e, en, &b) < 0 ||
			    (s->req[s->nreq] = dupn(b.p, b.len)) == NULL) {
				sz_buf_free(&b);
				return nomem(err);
			}
			s->reqlen[s->nreq++] = b.len;
			sz_buf_free(&b);
		}
		return 0;
	}
	if (is_kw(k, kn, "additionalProperties")) {
		if (sz_buf_adds(path, "/additionalProperties") < 0)
			return nomem(err);
		rc = parse_node(&s->addl, v, n, path, err);
		path->len = plen;
		return rc;
	}
	if (is_kw(k, kn, "enum")) {
		const char *it = NULL, *e;
		size_t en, cnt = 0;

		if (jt != SZ_JARRAY)
			return fail(err, path, "\"enum\" is not an array",
			    NULL, 0);
		while (sz_schema_elem(v, n, &it, &e, &en))
			cnt++;
		if ((s->enumv = calloc(cnt + 1, sizeof(*s->enumv))) == NULL)
			return nomem(err);
		s->has_enum = 1;
		it = NULL;
		while (sz_schema_elem(v, n, &it, &e, &en))
			if ((s->enumv[s->nenum++] = sz_schema_canon_dup(e,
			    en)) == NULL)
				return nomem(err);
		return 0;
	}
	if (is_kw(k, kn, "const"))
		return (s->constv = sz_schema_canon_dup(v, n)) == NULL ?
		    nomem(err) : 0;
	if (is_kw(k, kn, "minimum") || is_kw(k, kn, "maximum") ||
	    is_kw(k, kn, "exclusiveMinimum") ||
	    is_kw(k, kn, "exclusiveMaximum")) {
		char **dst = k[1] == 'i' ? &s->min : k[1] == 'a' ? &s->max :
		    k[10] == 'i' ? &s->xmin : &s->xmax;

		if (jt != SZ_JNUMBER)
			return fail(err, path, "not a number: ", k, kn);
		free(*dst);
		return (*dst = dupn(v, n)) == NULL ? nomem(err) : 0;
	}
	if (is_kw(k, kn, "minLength") || is_kw(k, kn, "maxLength") ||
	    is_kw(k, kn, "minItems") || is_kw(k, kn, "maxItems")) {
		long long *dst = is_kw(k, kn, "minLength") ? &s->minlen :
		    is_kw(k, kn, "maxLength") ? &s->maxlen :
		    is_kw(k, kn, "minItems") ? &s->minitems : &s->maxitems;

		if (count_kw(v, n, dst) < 0)
			return fail(err, path, "not a non-negative integer: ",
			    k, kn);
		return 0;
	}
	if (is_kw(k, kn, "pattern")) {
		OnigErrorInfo ei;
		int r;

		if (jt != SZ_JSTRING)
			return fail(err, path, "\"pattern\" is not a string",
			    NULL, 0);
		if ((s->pattern = sz_schema_strdup(v, n)) == NULL)
			return nomem(err);
		r = onig_new(&s->re, (const OnigUChar *)s->pattern,
		    (const OnigUChar *)s->pattern + strlen(s->pattern),
		    ONIG_OPTION_CAPTURE_GROUP, ONIG_ENCODING_UTF8,
		    ONIG_SYNTAX_PERL_NG, &ei);
		if (r != ONIG_NORMAL) {
			OnigUChar msg[ONIG_MAX_ERROR_MESSAGE_LEN];

			s->re = NULL;
			onig_error_code_to_str(msg, r, &ei);
			fail(err, path, "bad \"pattern\" ", v, n);
			sz_buf_printf(err, ": %s", (const char *)msg);
			return -1;
		}
		return 0;
	}
	if (is_kw(k, kn, "format")) {
		if (jt == SZ_JSTRING && sz_json_str_eq(v, n, "date-time", 9)) {
			s->datetime = 1;
			return 0;
		}
		return fail(err, path, "unsupported format ", v, n);
	}
	if (is_kw(k, kn, "items")) {
		if (jt == SZ_JARRAY) {
			const char *it = NULL, *e;
			size_t en;

			s->has_tuple = 1;
			while (rc == 0 && sz_schema_elem(v, n, &it, &e, &en)) {
				sz_jsnode **nt = realloc(s->tuple,
				    (s->ntuple + 1) * sizeof(*nt));

				if (nt == NULL)
					return nomem(err);
				s->tuple = nt;
				s->tuple[s->ntuple] = NULL;
				if (sz_buf_printf(path, "/items/%zu",
				    s->ntuple) < 0)
					return nomem(err);
				rc = parse_node(&s->tuple[s->ntuple++], e, en,
				    path, err);
				path->len = plen;
			}
			return rc;
		}
		if (sz_buf_adds(path, "/items") < 0)
			return nomem(err);
		rc = parse_node(&s->items, v, n, path, err);
		path->len = plen;
		return rc;
	}
	return fail(err, path, "unsupported keyword ", k, kn);
}

static int
parse_node(sz_jsnode **out, const char *p, size_t n, sz_buf *path,
    sz_buf *err)
{
	sz_jsnode *s = calloc(1, sizeof(*s));
	sz_jtype jt = sz_json_type(p, p + n);
	sz_jmembers it;
	sz_buf scratch = SZ_BUF_INIT;
	char **seen = NULL;
	size_t *seenlen = NULL, nseen = 0;
	int rc = 0;

	*out = s;
	if (s == NULL)
		return nomem(err);
	s->minlen = s->maxlen = s->minitems = s->maxitems = -1;
	if (jt == SZ_JTRUE || jt == SZ_JFALSE) {
		s->boolean = jt == SZ_JTRUE;
		return 0;
	}
	s->boolean = -1;
	if (jt != SZ_JOBJECT)
		return fail(err, path, "a schema is an object or a boolean",
		    NULL, 0);
	sz_json_members(&it, p, n, NULL);
	while (rc == 0 && sz_json_members_next(&it)) {
		size_t kn, i;
		const char *k = sz_jmember_name(&it.m, &scratch, &kn);
		char *kk, **ns;
		size_t *nl;

		if (k == NULL || (kk = dupn(k, kn)) == NULL) {
			rc = nomem(err);
			break;
		}
		/* a keyword twice in one schema: which one holds is
		 * anybody's guess (validators differ), so it is an error */
		for (i = 0; i < nseen; i++)
			if (seenlen[i] == kn && memcmp(seen[i], kk, kn) == 0)
				break;
		if (i < nseen) {
			rc = fail(err, path, "keyword twice: ", kk, kn);
			free(kk);
			break;
		}
		if ((ns = realloc(seen, (nseen + 1) * sizeof(*seen))) == NULL) {
			free(kk);
			rc = nomem(err);
			break;
		}
		seen = ns;
		if ((nl = realloc(seenlen, (nseen + 1) * sizeof(*seenlen))) ==
		    NULL) {
			free(kk);
			rc = nomem(err);
			break;
		}
		seenlen = nl;
		seen[nseen] = kk;
		seenlen[nseen++] = kn;
		rc = parse_kw(s, kk, kn, it.m.v, it.m.vn, path, err);
	}
	for (size_t i = 0; i < nseen; i++)
		free(seen[i]);
	free(seen);
	free(seenlen);
	sz_buf_free(&scratch);
	return rc;
}

int
sz_schema_js_parse(sz_jsnode **root, const char *p, size_t n, sz_buf *err)
{
	sz_buf path = SZ_BUF_INIT;
	int rc = parse_node(root, p, n, &path, err);

	sz_buf_free(&path);
	return rc;
}

void
sz_schema_js_free(sz_jsnode *s)
{
	if (s == NULL)
		return;
	for (size_t i = 0; i < s->nenum; i++)
		free(s->enumv[i]);
	free(s->enumv);
	free(s->constv);
	free(s->min);
	free(s->max);
	free(s->xmin);
	free(s->xmax);
	free(s->pattern);
	if (s->re != NULL)
		onig_free(s->re);
	sz_schema_js_free(s->items);
	for (size_t i = 0; i < s->ntuple; i++)
		sz_schema_js_free(s->tuple[i]);
	free(s->tuple);
	for (size_t i = 0; i < s->nprops; i++) {
		free(s->props[i].name);
		free(s->props[i].def);
		sz_schema_js_free(s->props[i].s);
	}
	free(s->props);
	for (size_t i = 0; i < s->nreq; i++)
		free(s->req[i]);
	free(s->req);
	free(s->reqlen);
	sz_schema_js_free(s->addl);
	free(s);
}

int
sz_schema_js_fields(sz_schema *s, sz_buf *err)
{
	const sz_jsnode *r = s->root;

	if (r == NULL || r->nprops == 0)
		return 0;
	if ((s->f = calloc(r->nprops, sizeof(*s->f))) == NULL)
		return nomem(err);
	for (size_t i = 0; i < r->nprops; i++) {
		sz_field *f = &s->f[s->nf];
		const jsprop *p = &r->props[i];

		f->type = SZ_FT_JSON;
		if ((f->name = dupn(p->name, p->namelen)) == NULL)
			return nomem(err);
		f->namelen = p->namelen;
		s->nf++;
		for (size_t k = 0; k < r->nreq; k++)
			if (r->reqlen[k] == p->namelen &&
			    memcmp(r->req[k], p->name, p->namelen) == 0)
				f->required = 1;
		if (p->def != NULL) {
			if ((f->def = dupn(p->def, p->defn)) == NULL)
				return nomem(err);
			f->defn = p->defn;
		}
	}
	return 0;
}

/* ---- checking ---------------------------------------------------------- */

static unsigned
type_bit(const char *v, size_t n)
{
	switch (sz_json_type(v, v + n)) {
	case SZ_JNULL:
		return T_NULL;
	case SZ_JTRUE:
	case SZ_JFALSE:
		return T_BOOL;
	case SZ_JOBJECT:
		return T_OBJECT;
	case SZ_JARRAY:
		return T_ARRAY;
	case SZ_JSTRING:
		return T_STRING;
	default: {
		int64_t x;

		return sz_json_num_int64(v, n, &x) == SZ_NUM_FRACTION ?
		    T_NUMBER : T_NUMBER | T_INTEGER;
	}
	}
}

static int
type_error(sz_scheck *c, unsigned types, const char *v, size_t n)
{
	char exp[128];
	size_t k = 0;

	exp[0] = '\0';
	for (int t = 0; t < 7; t++)
		if (types & (1u << t))
			k += (size_t)snprintf(exp + k, sizeof(exp) - k, "%s%s",
			    k ? " or " : "", tnames[t]);
	return sz_scheck_error(c, "type", exp, v, n, NULL);
}

/* The number of characters of the string literal v. */
static long long
str_chars(sz_scheck *c, const char *v, size_t n, const char **s,
    size_t *sn)
{
	long long k = 0;

	*s = sz_jstr_decode(v, n, &c->tmp, sn);
	if (*s == NULL)
		return -1;
	for (size_t i = 0; i < *sn; i++)
		k += ((unsigned char)(*s)[i] & 0xC0) != 0x80;
	return k;
}

static int
bound_error(sz_scheck *c, const char *kw, const char *rel,
    const char *lim, const char *v, size_t n)
{
	char exp[160];

	snprintf(exp, sizeof(exp), "%s %s", rel, lim);
	return sz_scheck_error(c, kw, exp, v, n, NULL);
}

static int
count_error(sz_scheck *c, const char *kw, const char *what,
    const char *rel, long long lim, long long got, const char *v, size_t n)
{
	char exp[64], msg[160];

	snprintf(exp, sizeof(exp), "%s %lld", rel, lim);
	snprintf(msg, sizeof(msg), "%s: expected %s %s %lld, got %lld", kw,
	    what, rel, lim, got);
	return sz_scheck_error(c, kw, exp, v, n, msg);
}

static int
is_meta(const char *k, size_t kn)
{
	return (kn >= 3 && memcmp(k, "_sz", 3) == 0) ||
	    (kn >= 6 && memcmp(k, "_redis", 6) == 0);
}

static int check_object(sz_scheck *c, const sz_jsnode *s, const char *v,
    size_t n, int top);

int
sz_schema_js_check(sz_scheck *c, const sz_jsnode *s, const char *v,
    size_t n, int top)
{
	unsigned tb;
	int rc = 0;

	if (s == NULL || s->boolean == 1)
		return 0;
	if (s->boolean == 0)
		return sz_scheck_error(c, "false", NULL, v, n,
		    "not allowed (the schema is false)");
	tb = type_bit(v, n);
	if (s->types && !(s->types & tb))
		return type_error(c, s->types, v, n);
	if (s->has_enum || s->constv != NULL) {
		sz_buf_reset(&c->tmp);
		if (sz_json_canon(v, n, &c->tmp) < 0)
			return -1;
		if (s->has_enum) {
			size_t i;

			for (i = 0; i < s->nenum; i++)
				if (strcmp(s->enumv[i], c->tmp.p) == 0)
					break;
			if (i == s->nenum)
				rc |= sz_scheck_error(c, "enum", NULL, v, n,
				    NULL);
		}
		if (s->constv != NULL && strcmp(s->constv, c->tmp.p) != 0)
			rc |= sz_scheck_error(c, "const", NULL, v, n, NULL);
	}
	if (tb & T_NUMBER) {
		if (s->min && sz_json_num_cmp(v, n, s->min, strlen(s->min)) < 0)
			rc |= bound_error(c, "minimum", ">=", s->min, v, n);
		if (s->max && sz_json_num_cmp(v, n, s->max, strlen(s->max)) > 0)
			rc |= bound_error(c, "maximum", "<=", s->max, v, n);
		if (s->xmin &&
		    sz_json_num_cmp(v, n, s->xmin, strlen(s->xmin)) <= 0)
			rc |= bound_error(c, "exclusiveMinimum", ">", s->xmin,
			    v, n);
		if (s->xmax &&
		    sz_json_num_cmp(v, n, s->xmax, strlen(s->xmax)) >= 0)
			rc |= bound_error(c, "exclusiveMaximum", "<", s->xmax,
			    v, n);
	}
	if (tb == T_STRING && (s->minlen >= 0 || s->maxlen >= 0 ||
	    s->re != NULL || s->datetime)) {
		const char *str;
		size_t sn;
		long long len = str_chars(c, v, n, &str, &sn);
		int64_t ns;
		const char *why;

		if (len < 0)
			return -1;
		if (s->minlen >= 0 && len < s->minlen)
			rc |= count_error(c, "minLength", "length", ">=",
			    s->minlen, len, v, n);
		if (s->maxlen >= 0 && len > s->maxlen)
			rc |= count_error(c, "maxLength", "length", "<=",
			    s->maxlen, len, v, n);
		if (s->re != NULL && onig_search(s->re, (const OnigUChar *)str,
		    (const OnigUChar *)str + sn, (const OnigUChar *)str,
		    (const OnigUChar *)str + sn, NULL, ONIG_OPTION_NONE) < 0)
			rc |= bound_error(c, "pattern", "matching",
			    s->pattern, v, n);
		if (s->datetime && sz_etime_rfc3339(v, n, &ns, &why) < 0)
			rc |= sz_scheck_error(c, "format", "date-time", v, n,
			    NULL);
	}
	if (tb == T_ARRAY) {
		const char *it = NULL, *e;
		size_t en, i = 0, plen = c->path.len;

		while (sz_schema_elem(v, n, &it, &e, &en)) {
			const sz_jsnode *es = s->has_tuple ?
			    (i < s->ntuple ? s->tuple[i] : NULL) : s->items;

			if (es != NULL) {
				if (sz_buf_printf(&c->path, "/%zu", i) < 0)
					return -1;
				rc |= sz_schema_js_check(c, es, e, en, 0);
				c->path.len = plen;
				c->path.p[plen] = '\0';
			}
			i++;
		}
		if (s->minitems >= 0 && (long long)i < s->minitems)
			rc |= count_error(c, "minItems", "items", ">=",
			    s->minitems, (long long)i, v, n);
		if (s->maxitems >= 0 && (long long)i > s->maxitems)
			rc |= count_error(c, "maxItems", "items", "<=",
			    s->maxitems, (long long)i, v, n);
	}
	if (tb == T_OBJECT)
		rc |= check_object(c, s, v, n, top);
	return rc ? -1 : 0;
}

/* The value of member k of the object v (jq's: the last), or NULL. */
static const char *
member(const char *v, size_t n, const char *k, size_t kn, size_t *vn,
    const sz_jindex *ix)
{
	sz_jmembers it;
	const char *found = NULL;

	sz_json_members(&it, v, n, ix);
	while (sz_json_members_next(&it))
		if (sz_json_str_eq(it.m.k, it.m.kn, k, kn)) {
			found = it.m.v;
			*vn = it.m.vn;
		}
	return found;
}

static int
check_object(sz_scheck *c, const sz_jsnode *s, const char *v, size_t n,
    int top)
{
	size_t plen = c->path.len;
	int rc = 0;

	for (size_t i = 0; i < s->nprops; i++) {
		const jsprop *p = &s->props[i];
		size_t mn;
		const char *m = member(v, n, p->name, p->namelen, &mn, NULL);

		if (top && is_meta(p->name, p->namelen))
			continue;
		if (path_push(&c->path, p->name, p->namelen) < 0)
			return -1;
		if (m != NULL)
			rc |= sz_schema_js_check(c, p->s, m, mn, 0);
		else
			for (size_t k = 0; k < s->nreq; k++)
				if (s->reqlen[k] == p->namelen &&
				    memcmp(s->req[k], p->name, p->namelen) == 0) {
					rc |= sz_scheck_error(c, "required", NULL,
					    NULL, 0, "required field is missing");
					break;
				}
		c->path.len = plen;
		c->path.p[plen] = '\0';
	}
	for (size_t k = 0; k < s->nreq; k++) {
		size_t i, mn;

		for (i = 0; i < s->nprops; i++)
			if (s->reqlen[k] == s->props[i].namelen &&
			    memcmp(s->req[k], s->props[i].name,
			    s->reqlen[k]) == 0)
				break;
		if (i < s->nprops ||
		    member(v, n, s->req[k], s->reqlen[k], &mn, NULL) != NULL)
			continue;
		if (path_push(&c->path, s->req[k], s->reqlen[k]) < 0)
			return -1;
		rc |= sz_scheck_error(c, "required", NULL, NULL, 0,
		    "required field is missing");
		c->path.len = plen;
		c->path.p[plen] = '\0';
	}
	if (s->addl != NULL && s->addl->boolean != 1) {
		sz_jmembers it;
		sz_buf scratch = SZ_BUF_INIT;

		sz_json_members(&it, v, n, NULL);
		while (sz_json_members_next(&it)) {
			size_t kn, i;
			const char *k = sz_jmember_name(&it.m, &scratch, &kn);

			if (k == NULL) {
				rc = -1;
				break;
			}
			if (top && is_meta(k, kn))
				continue;
			for (i = 0; i < s->nprops; i++)
				if (s->props[i].namelen == kn &&
				    memcmp(s->props[i].name, k, kn) == 0)
					break;
			if (i < s->nprops)
				continue;
			if (path_push(&c->path, k, kn) < 0) {
				rc = -1;
				break;
			}
			if (s->addl->boolean == 0)
				rc |= sz_scheck_error(c, "additionalProperties",
				    NULL, it.m.v, it.m.vn,
				    "not allowed (additionalProperties)");
			else
				rc |= sz_schema_js_check(c, s->addl, it.m.v,
				    it.m.vn, 0);
			c->path.len = plen;
			c->path.p[plen] = '\0';
		}
		sz_buf_free(&scratch);
	}
	return rc ? -1 : 0;
}
