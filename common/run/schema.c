/* SPDX-License-Identifier: MIT */
/*
 * schema.c - reading schemas (the sz schema and the JSON Schema subset),
 * the JSON Schema of an sz schema, and compatibility of two sz schemas;
 * see schema.h. Checking records is sconv.c's.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/opts.h"
#include "run/schema.h"
#include "run/schema_int.h"

static const char *const ftype_names[] = {
	"string", "int", "float", "datetime", "json", "bool"
};

const char *
sz_ftype_name(sz_ftype t)
{
	return ftype_names[t];
}

/* ---- walking JSON text ----------------------------------------------- */

/* The elements of the valid array v[0..n): *it starts at NULL; each call
 * gives the next element's slice, 0 after the last. */
int
sz_schema_elem(const char *v, size_t n, const char **it, const char **ep,
    size_t *en)
{
	const char *end = v + n, *p;

	if (*it == NULL) {
		p = sz_json_ws(v, end);
		if (p == end || *p != '[')
			return 0;
		p = sz_json_ws(p + 1, end);
	} else {
		p = sz_json_ws(*it, end);
		if (p < end && *p == ',')
			p = sz_json_ws(p + 1, end);
	}
	if (p == end || *p == ']')
		return 0;
	*ep = p;
	*it = sz_json_skip(p, end);
	*en = (size_t)(*it - p);
	return 1;
}

static char *
dup_n(const char *p, size_t n)
{
	char *s = malloc(n + 1);

	if (s != NULL) {
		memcpy(s, p, n);
		s[n] = '\0';
	}
	return s;
}

/* The decoded string v (a literal), NUL-terminated and malloc'd. */
char *
sz_schema_strdup(const char *v, size_t n)
{
	sz_buf b = SZ_BUF_INIT;
	char *s;

	if (sz_json_unescape(v, n, &b) < 0)
		return NULL;
	s = dup_n(b.p ? b.p : "", b.len);
	sz_buf_free(&b);
	return s;
}

/* The compact text of v, malloc'd. */
static char *
compact_dup(const char *v, size_t n, size_t *len)
{
	sz_buf b = SZ_BUF_INIT;
	char *s;

	if (sz_json_compact(v, n, &b) < 0)
		return NULL;
	s = dup_n(b.p ? b.p : "", b.len);
	*len = b.len;
	sz_buf_free(&b);
	return s;
}

char *
sz_schema_canon_dup(const char *v, size_t n)
{
	sz_buf b = SZ_BUF_INIT;
	char *s;

	if (sz_json_canon(v, n, &b) < 0)
		return NULL;
	s = dup_n(b.p ? b.p : "", b.len);
	sz_buf_free(&b);
	return s;
}

static int
oom(sz_buf *err)
{
	sz_buf_reset(err);
	sz_buf_adds(err, "out of memory");
	return -1;
}

/* Append a name as it may be shown: visible, in double quotes. */
static void
err_name(sz_buf *err, const char *s, size_t n)
{
	sz_buf_addc(err, '"');
	sz_buf_add_visible(err, s, n);
	sz_buf_addc(err, '"');
}

/* ---- the field table ------------------------------------------------- */

static uint64_t
name_hash(const char *k, size_t kn)
{
	uint64_t h = 14695981039346656037ULL;

	for (size_t i = 0; i < kn; i++)
		h = (h ^ (unsigned char)k[i]) * 1099511628211ULL;
	return h;
}

static int
build_slots(sz_schema *s)
{
	size_t ns = 16;

	while (ns < 2 * s->nf + 2)
		ns *= 2;
	free(s->slot);
	if ((s->slot = malloc(ns * sizeof(*s->slot))) == NULL)
		return -1;
	s->nslot = ns;
	for (size_t i = 0; i < ns; i++)
		s->slot[i] = -1;
	for (size_t i = 0; i < s->nf; i++) {
		size_t h = name_hash(s->f[i].name, s->f[i].namelen) & (ns - 1);

		while (s->slot[h] >= 0)
			h = (h + 1) & (ns - 1);
		s->slot[h] = (int)i;
	}
	return 0;
}

int
sz_schema_field(const sz_schema *s, const char *k, size_t kn)
{
	size_t h;

	if (s->nslot == 0)
		return -1;
	h = name_hash(k, kn) & (s->nslot - 1);
	for (; s->slot[h] >= 0; h = (h + 1) & (s->nslot - 1)) {
		const sz_field *f = &s->f[s->slot[h]];

		if (f->namelen == kn && memcmp(f->name, k, kn) == 0)
			return s->slot[h];
	}
	return -1;
}

static sz_field *
add_field(sz_schema *s, const char *name, size_t namelen)
{
	sz_field *nf = realloc(s->f, (s->nf + 1) * sizeof(*nf));

	if (nf == NULL)
		return NULL;
	s->f = nf;
	nf = &s->f[s->nf];
	memset(nf, 0, sizeof(*nf));
	if ((nf->name = dup_n(name, namelen)) == NULL)
		return NULL;
	nf->namelen = namelen;
	s->nf++;
	return nf;
}

/* ---- the sz schema --------------------------------------------------- */

static int
str_is(const char *v, size_t n, const char *lit)
{
	return n > 0 && v[0] == '"' && sz_json_str_eq(v, n, lit, strlen(lit));
}

static int
is_field_name(const sz_schema *s, const char *k, size_t kn)
{
	if ((kn == 2 && memcmp(k, "id", 2) == 0) ||
	    (kn == 9 && memcmp(k, "timestamp", 9) == 0))
		return 1;
	return sz_schema_field(s, k, kn) >= 0;
}

const char *
sz_schema_expr_ident(const char **pp, size_t *len)
{
	const char *p = *pp;

	while (*p) {
		if (*p == '\'' || *p == '"') {
			char q = *p++;

			while (*p && *p != q)
				p += p[0] == '\\' && p[1] ? 2 : 1;
			if (*p)
				p++;
		} else if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    *p == '_') {
			const char *b = p, *q;

			while ((*p >= 'a' && *p <= 'z') ||
			    (*p >= 'A' && *p <= 'Z') || *p == '_' ||
			    (*p >= '0' && *p <= '9'))
				p++;
			for (q = p; *q == ' '; q++)
				;
			if (*q != '(') {
				*pp = p;
				*len = (size_t)(p - b);
				return b;
			}
		} else if (*p >= '0' && *p <= '9') {
			while ((*p >= '0' && *p <= '9') || *p == '.')
				p++;
		} else
			p++;
	}
	*pp = p;
	return NULL;
}

/* A partitions or index_fields entry: every identifier in it that is not
 * a function's name must be a field. */
static int
check_expr_fields(const sz_schema *s, const char *what, const char *e,
    sz_buf *err)
{
	const char *p = e, *b;
	size_t bn;

	while ((b = sz_schema_expr_ident(&p, &bn)) != NULL)
		if (!is_field_name(s, b, bn)) {
			sz_buf_reset(err);
			sz_buf_printf(err, "%s: ", what);
			err_name(err, e, strlen(e));
			sz_buf_adds(err, " names ");
			err_name(err, b, bn);
			sz_buf_adds(err, ", which is not a field");
			return -1;
		}
	return 0;
}

static int
name_list(const sz_schema *s, const char *what, const char *v, size_t n,
    char ***list, size_t *nlist, sz_buf *err)
{
	const char *it = NULL, *e;
	size_t en;

	if (sz_json_type(v, v + n) != SZ_JARRAY) {
		sz_buf_printf(err, "%s: not an array of strings", what);
		return -1;
	}
	while (sz_schema_elem(v, n, &it, &e, &en)) {
		char *x;
		int rc;

		if (sz_json_type(e, e + en) != SZ_JSTRING) {
			sz_buf_printf(err, "%s: not an array of strings", what);
			return -1;
		}
		if ((x = sz_schema_strdup(e, en)) == NULL)
			return oom(err);
		rc = check_expr_fields(s, what, x, err);
		if (rc < 0) {
			free(x);
			return -1;
		}
		{
			char **nl = realloc(*list, (*nlist + 1) *
			    sizeof(*nl));

			if (nl == NULL) {
				free(x);
				return oom(err);
			}
			*list = nl;
			nl[(*nlist)++] = x;
		}
	}
	return 0;
}

static int
parse_field(sz_schema *s, const char *name, size_t namelen, const char *v,
    size_t n, sz_buf *err)
{
	sz_jmembers it;
	sz_buf scratch = SZ_BUF_INIT;
	sz_field *f;
	const char *defv = NULL, *enumv = NULL;
	size_t defn = 0, enumn = 0;
	int have_type = 0;

	if (sz_schema_field(s, name, namelen) >= 0) {
		sz_buf_reset(err);
		err_name(err, name, namelen);
		sz_buf_adds(err, ": the field is given twice");
		return -1;
	}
	if ((f = add_field(s, name, namelen)) == NULL || build_slots(s) < 0)
		return oom(err);
	if (sz_json_type(v, v + n) == SZ_JSTRING) {
		/* "amount": "float" */
		for (int t = 0; t < 6; t++)
			if (str_is(v, n, ftype_names[t])) {
				f->type = (sz_ftype)t;
				return 0;
			}
		goto badtype;
	}
	if (sz_json_type(v, v + n) != SZ_JOBJECT) {
		sz_buf_printf(err, "%s: a field is an object such as "
		    "{\"type\":\"string\"}", name);
		return -1;
	}
	sz_json_members(&it, v, n, NULL);
	while (sz_json_members_next(&it)) {
		size_t kn;
		const char *k = sz_jmember_name(&it.m, &scratch, &kn);
		const char *mv = it.m.v;
		size_t mn = it.m.vn;

		if (k == NULL) {
			sz_buf_free(&scratch);
			return oom(err);
		}
		if (kn == 4 && memcmp(k, "type", 4) == 0) {
			int t;

			for (t = 0; t < 6; t++)
				if (str_is(mv, mn, ftype_names[t]))
					break;
			if (t == 6) {
				v = mv;
				n = mn;
				sz_buf_free(&scratch);
				goto badtype;
			}
			f->type = (sz_ftype)t;
			have_type = 1;
		} else if (kn == 8 && memcmp(k, "required", 8) == 0) {
			sz_jtype jt = sz_json_type(mv, mv + mn);

			if (jt != SZ_JTRUE && jt != SZ_JFALSE) {
				sz_buf_printf(err, "%s: \"required\" is true or "
				    "false", name);
				sz_buf_free(&scratch);
				return -1;
			}
			f->required = jt == SZ_JTRUE;
		} else if (kn == 7 && memcmp(k, "default", 7) == 0) {
			defv = mv;
			defn = mn;
		} else if (kn == 4 && memcmp(k, "enum", 4) == 0) {
			enumv = mv;
			enumn = mn;
		} else if ((kn == 11 && memcmp(k, "description", 11) == 0) ||
		    (kn == 7 && memcmp(k, "comment", 7) == 0)) {
			;
		} else {
			sz_buf_reset(err);
			sz_buf_printf(err, "%s: unknown key ", name);
			err_name(err, k, kn);
			sz_buf_adds(err, " (type, required, default, enum, "
			    "description)");
			sz_buf_free(&scratch);
			return -1;
		}
	}
	sz_buf_free(&scratch);
	if (!have_type) {
		sz_buf_printf(err, "%s: no \"type\"", name);
		return -1;
	}
	if (enumv != NULL) {
		const char *eit = NULL, *e;
		size_t en, k = 0;

		if (sz_json_type(enumv, enumv + enumn) != SZ_JARRAY) {
			sz_buf_printf(err, "%s: \"enum\" is an array", name);
			return -1;
		}
		while (sz_schema_elem(enumv, enumn, &eit, &e, &en))
			k++;
		f->enumv = calloc(k + 1, sizeof(*f->enumv));
		f->enumtext = calloc(k + 1, sizeof(*f->enumtext));
		if (f->enumv == NULL || f->enumtext == NULL)
			return oom(err);
		eit = NULL;
		while (sz_schema_elem(enumv, enumn, &eit, &e, &en)) {
			size_t cn;

			sz_field plain = *f;

			plain.nenum = 0;
			if (sz_schema_conv_check(&plain, e, en, err) < 0)
				return -1;
			f->enumv[f->nenum] = sz_schema_canon_dup(e, en);
			f->enumtext[f->nenum] = compact_dup(e, en, &cn);
			if (f->enumv[f->nenum] == NULL ||
			    f->enumtext[f->nenum] == NULL)
				return oom(err);
			f->nenum++;
		}
	}
	if (defv != NULL) {
		if (sz_schema_conv_check(f, defv, defn, err) < 0)
			return -1;
		if ((f->def = compact_dup(defv, defn, &f->defn)) == NULL)
			return oom(err);
	}
	return 0;
badtype:
	sz_buf_reset(err);
	sz_buf_printf(err, "%s: unknown type ", name);
	sz_buf_add_visible(err, v, n);
	sz_buf_adds(err, " (string, int, float, datetime, json, bool)");
	return -1;
}

static int
parse_sz(sz_schema *s, const char *p, size_t n, sz_buf *err)
{
	sz_jmembers it;
	sz_buf scratch = SZ_BUF_INIT;
	const char *parts = NULL, *idx = NULL, *fields = NULL;
	size_t partsn = 0, idxn = 0, fieldsn = 0;
	int rc = -1;

	s->kind = SZ_SCHEMA_SZ;
	sz_json_members(&it, p, n, NULL);
	while (sz_json_members_next(&it)) {
		size_t kn;
		const char *k = sz_jmember_name(&it.m, &scratch, &kn);
		const char *v = it.m.v;
		size_t vn = it.m.vn;
		sz_jtype jt = sz_json_type(v, v + vn);

		if (k == NULL)
			goto nomem;
		if (kn == 4 && memcmp(k, "name", 4) == 0) {
			if (jt != SZ_JSTRING) {
				sz_buf_adds(err, "name: not a string");
				goto out;
			}
			free(s->name);
			if ((s->name = sz_schema_strdup(v, vn)) == NULL)
				goto nomem;
		} else if (kn == 6 && memcmp(k, "fields", 6) == 0) {
			fields = v;
			fieldsn = vn;
		} else if (kn == 3 && memcmp(k, "ttl", 3) == 0) {
			char *d, e[256];
			uint64_t ns;

			if (jt != SZ_JSTRING) {
				sz_buf_adds(err, "ttl: not a duration string "
				    "such as \"30d\"");
				goto out;
			}
			if ((d = sz_schema_strdup(v, vn)) == NULL)
				goto nomem;
			if (sz_parse_duration("ttl", d, &ns, e,
			    sizeof(e)) < 0) {
				sz_buf_adds(err, e);
				free(d);
				goto out;
			}
			free(d);
			s->ttl_ns = ns;
		} else if (kn == 10 && memcmp(k, "partitions", 10) == 0) {
			parts = v;
			partsn = vn;
		} else if (kn == 12 && memcmp(k, "index_fields", 12) == 0) {
			idx = v;
			idxn = vn;
		} else if ((kn == 11 && memcmp(k, "description", 11) == 0) ||
		    (kn == 7 && memcmp(k, "version", 7) == 0)) {
			;
		} else {
			sz_buf_adds(err, "unknown key ");
			err_name(err, k, kn);
			sz_buf_adds(err, " in the schema (name, fields, ttl, "
			    "partitions, index_fields, description, version)");
			goto out;
		}
	}
	{
		sz_jmembers f;

		sz_json_members(&f, fields, fieldsn, NULL);
		while (sz_json_members_next(&f)) {
			size_t kn;
			const char *k = sz_jmember_name(&f.m, &scratch, &kn);
			char *name;

			if (k == NULL || (name = dup_n(k, kn)) == NULL)
				goto nomem;
			rc = parse_field(s, name, kn, f.m.v, f.m.vn, err);
			free(name);
			if (rc < 0)
				goto out;
			rc = -1;
		}
	}
	if (parts != NULL && name_list(s, "partitions", parts, partsn,
	    &s->parts, &s->nparts, err) < 0)
		goto out;
	if (idx != NULL && name_list(s, "index_fields", idx, idxn, &s->idx,
	    &s->nidx, err) < 0)
		goto out;
	rc = 0;
	goto out;
nomem:
	oom(err);
out:
	sz_buf_free(&scratch);
	return rc;
}

/* ---- reading ---------------------------------------------------------- */

int
sz_schema_parse(sz_schema *s, const char *p, size_t n, sz_buf *err)
{
	const char *reason;
	size_t off;
	sz_buf yj = SZ_BUF_INIT;
	sz_step st = { SZ_STEP_KEY, "fields", 6, 0 };
	const char *fv;
	size_t fn;
	sz_jtype et;
	int rc;

	memset(s, 0, sizeof(*s));
	if (sz_json_validate(p, n, &reason, &off) < 0) {
		sz_buf yerr = SZ_BUF_INIT;

		if (sz_schema_yaml(p, n, &yj, &yerr) < 0) {
			const char *q = sz_json_ws(p, p + n);

			/* a file that starts as JSON does is meant to be
			 * JSON: say what is wrong with it as JSON */
			if (q < p + n && (*q == '{' || *q == '['))
				sz_buf_printf(err, "invalid JSON: %s at byte "
				    "%zu", reason, off);
			else
				sz_buf_printf(err, "invalid YAML: %s",
				    yerr.p ? yerr.p : "error");
			sz_buf_free(&yerr);
			sz_buf_free(&yj);
			return -1;
		}
		sz_buf_free(&yerr);
		p = yj.p;
		n = yj.len;
	}
	sz_json_trim(&p, &n);
	if (sz_json_type(p, p + n) == SZ_JOBJECT &&
	    sz_json_get(p, n, &st, &fv, &fn, &et) == SZ_GET_FOUND &&
	    sz_json_type(fv, fv + fn) == SZ_JOBJECT)
		rc = parse_sz(s, p, n, err);
	else {
		s->kind = SZ_SCHEMA_JSON;
		rc = sz_schema_js_parse(&s->root, p, n, err);
		if (rc == 0)
			rc = sz_schema_js_fields(s, err);
	}
	sz_buf_free(&yj);
	if (rc == 0 && build_slots(s) < 0)
		rc = oom(err);
	return rc;
}

int
sz_schema_load(sz_schema *s, const char *path, sz_buf *err)
{
	sz_buf b = SZ_BUF_INIT;
	char chunk[65536];
	size_t k;
	FILE *fp = fopen(path, "r");
	int rc;

	memset(s, 0, sizeof(*s));
	if (fp == NULL) {
		sz_buf_printf(err, "%s: %s", path, strerror(errno));
		return -1;
	}
	b.cap = (size_t)64 << 20;
	while ((k = fread(chunk, 1, sizeof(chunk), fp)) > 0)
		if (sz_buf_add(&b, chunk, k) < 0) {
			fclose(fp);
			sz_buf_free(&b);
			sz_buf_printf(err, "%s: too big or out of memory",
			    path);
			return -1;
		}
	if (ferror(fp)) {
		sz_buf_printf(err, "%s: %s", path, strerror(errno));
		fclose(fp);
		sz_buf_free(&b);
		return -1;
	}
	fclose(fp);
	rc = sz_schema_parse(s, b.p ? b.p : "", b.len, err);
	sz_buf_free(&b);
	return rc;
}

void
sz_schema_free(sz_schema *s)
{
	for (size_t i = 0; i < s->nf; i++) {
		sz_field *f = &s->f[i];

		free(f->name);
		free(f->def);
		for (size_t k = 0; k < f->nenum; k++) {
			free(f->enumv[k]);
			free(f->enumtext[k]);
		}
		free(f->enumv);
		free(f->enumtext);
	}
	free(s->f);
	free(s->name);
	free(s->slot);
	for (size_t i = 0; i < s->nparts; i++)
		free(s->parts[i]);
	free(s->parts);
	for (size_t i = 0; i < s->nidx; i++)
		free(s->idx[i]);
	free(s->idx);
	sz_schema_js_free(s->root);
	memset(s, 0, sizeof(*s));
}

int
sz_schema_implicit(sz_schema *s)
{
	static const struct { const char *n; sz_ftype t; } imp[] = {
		{ "id", SZ_FT_STRING }, { "timestamp", SZ_FT_DATETIME }
	};

	for (size_t i = 0; i < 2; i++) {
		size_t len = strlen(imp[i].n);
		int k = sz_schema_field(s, imp[i].n, len);
		sz_field *f;

		if (k >= 0)
			f = &s->f[k];
		else {
			if ((f = add_field(s, imp[i].n, len)) == NULL)
				return -1;
			f->type = imp[i].t;
			if (build_slots(s) < 0)
				return -1;
		}
		f->implicit = 1;
	}
	return 0;
}

/* ---- the JSON Schema of an sz schema ---------------------------------- */

static const char *const js_types[] = {
	"\"string\"", "\"integer\"", "\"number\"", "\"string\"", NULL,
	"\"boolean\""
};

int
sz_schema_emit_jsonschema(const sz_schema *s, sz_buf *out)
{
	int rc = 0, first = 1;

	rc |= sz_buf_adds(out, "{\"$schema\":"
	    "\"http://json-schema.org/draft-07/schema#\"");
	if (s->name != NULL) {
		rc |= sz_buf_adds(out, ",\"title\":");
		rc |= sz_buf_add_jstr(out, s->name, strlen(s->name));
	}
	rc |= sz_buf_adds(out, ",\"type\":\"object\",\"properties\":{");
	for (size_t i = 0; i < s->nf; i++) {
		const sz_field *f = &s->f[i];

		if (i > 0)
			rc |= sz_buf_addc(out, ',');
		rc |= sz_buf_add_jstr(out, f->name, f->namelen);
		rc |= sz_buf_adds(out, ":{");
		if (f->type == SZ_FT_JSON)
			rc |= sz_buf_adds(out, f->required ? "\"type\":["
			    "\"object\",\"array\",\"string\",\"number\","
			    "\"boolean\"]" : "\"type\":[\"object\",\"array\","
			    "\"string\",\"number\",\"boolean\",\"null\"]");
		else if (f->required)
			rc |= sz_buf_printf(out, "\"type\":%s",
			    js_types[f->type]);
		else
			rc |= sz_buf_printf(out, "\"type\":[%s,\"null\"]",
			    js_types[f->type]);
		if (f->type == SZ_FT_INT)
			rc |= sz_buf_adds(out, ",\"minimum\":"
			    "-9223372036854775808,\"maximum\":"
			    "9223372036854775807");
		if (f->type == SZ_FT_DATETIME)
			rc |= sz_buf_adds(out, ",\"format\":\"date-time\"");
		if (f->nenum > 0) {
			rc |= sz_buf_adds(out, ",\"enum\":[");
			for (size_t k = 0; k < f->nenum; k++) {
				if (k > 0)
					rc |= sz_buf_addc(out, ',');
				rc |= sz_buf_adds(out, f->enumtext[k]);
			}
			if (!f->required)
				rc |= sz_buf_adds(out, ",null");
			rc |= sz_buf_addc(out, ']');
		}
		if (f->def != NULL) {
			rc |= sz_buf_adds(out, ",\"default\":");
			rc |= sz_buf_add(out, f->def, f->defn);
		}
		rc |= sz_buf_addc(out, '}');
	}
	rc |= sz_buf_adds(out, "},\"required\":[");
	for (size_t i = 0; i < s->nf; i++)
		if (s->f[i].required) {
			if (!first)
				rc |= sz_buf_addc(out, ',');
			first = 0;
			rc |= sz_buf_add_jstr(out, s->f[i].name,
			    s->f[i].namelen);
		}
	rc |= sz_buf_adds(out, "]}");
	return rc ? -1 : 0;
}

/* ---- compatibility ----------------------------------------------------- */

/* Does every value type a accepts pass type b? */
static int
type_within(sz_ftype a, sz_ftype b)
{
	return a == b || b == SZ_FT_JSON ||
	    (a == SZ_FT_INT && b == SZ_FT_FLOAT) ||
	    (a == SZ_FT_DATETIME && b == SZ_FT_STRING);
}

static int
in_enum(const sz_field *f, const char *canon)
{
	for (size_t k = 0; k < f->nenum; k++)
		if (strcmp(f->enumv[k], canon) == 0)
			return 1;
	return 0;
}

int
sz_schema_compat(const sz_schema *old, const sz_schema *nw,
    int extra_reject, sz_buf *out)
{
	int nbad = 0, rc = 0;

	for (size_t i = 0; i < nw->nf; i++) {
		const sz_field *f = &nw->f[i];
		int k = sz_schema_field(old, f->name, f->namelen);
		const sz_field *o = k >= 0 ? &old->f[k] : NULL;

		if (o == NULL) {
			if (f->required) {
				rc |= sz_buf_printf(out, "%s: new required "
				    "field\n", f->name);
				nbad++;
			}
			continue;
		}
		if (f->required && !o->required) {
			rc |= sz_buf_printf(out, "%s: newly required\n",
			    f->name);
			nbad++;
		}
		if (!type_within(o->type, f->type)) {
			rc |= sz_buf_printf(out, "%s: type narrowed from %s "
			    "to %s\n", f->name, ftype_names[o->type],
			    ftype_names[f->type]);
			nbad++;
		}
		if (f->nenum > 0) {
			if (o->nenum == 0) {
				rc |= sz_buf_printf(out, "%s: new enum\n",
				    f->name);
				nbad++;
			}
			for (size_t e = 0; e < o->nenum; e++)
				if (!in_enum(f, o->enumv[e])) {
					rc |= sz_buf_printf(out, "%s: enum value "
					    "%s removed\n", f->name,
					    o->enumtext[e]);
					nbad++;
				}
		}
	}
	for (size_t i = 0; extra_reject && i < old->nf; i++)
		if (sz_schema_field(nw, old->f[i].name,
		    old->f[i].namelen) < 0) {
			rc |= sz_buf_printf(out, "%s: field removed "
			    "(--extra=reject)\n", old->f[i].name);
			nbad++;
		}
	return rc ? -1 : nbad;
}
