/* SPDX-License-Identifier: MIT */
/*
 * sconv.c - checking and converting records against a schema (see
 * schema.h): the type rules of --mode=check and --mode=convert, defaults,
 * --implicit, --extra, and every error of a record in schema order.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "json/etime.h"
#include "run/schema_int.h"

#define NS 1000000000LL

/* What a member of the record is. */
enum { M_EXTRA = -1, M_META = -2, M_DROP = -3, M_REJECT = -4 };
/* What became of a field. */
enum { C_MISSING, C_SAME, C_NEW, C_FILL, C_BAD };

int
sz_schema_fmt_time(sz_buf *b, int64_t ns, int time_out)
{
	int64_t sec = ns / NS, rem = ns % NS, days, sod;
	long long y;
	int mo, d;

	if (rem < 0) {
		rem += NS;
		sec--;
	}
	if (time_out == SZ_TIME_EPOCH_MS) {
		int64_t ms = ns / 1000000;

		if (ns % 1000000 < 0)
			ms--;
		return sz_buf_printf(b, "%lld", (long long)ms);
	}
	days = sec / 86400;
	sod = sec % 86400;
	if (sod < 0) {
		sod += 86400;
		days--;
	}
	sz_civil_from_days(days, &y, &mo, &d);
	if (y < 0 || y > 9999)
		return -1;	/* not in etime's range anyway */
	{
		/* "YYYY-MM-DDThh:mm:ss.mmmZ" by hand: printf is a tenth of
		 * the time of a conversion */
		char t[28];
		int h = (int)(sod / 3600), mi = (int)(sod / 60 % 60),
		    se = (int)(sod % 60), ms = (int)(rem / 1000000);

		t[0] = '"';
		t[1] = (char)('0' + y / 1000);
		t[2] = (char)('0' + y / 100 % 10);
		t[3] = (char)('0' + y / 10 % 10);
		t[4] = (char)('0' + y % 10);
		t[5] = '-';
		t[6] = (char)('0' + mo / 10);
		t[7] = (char)('0' + mo % 10);
		t[8] = '-';
		t[9] = (char)('0' + d / 10);
		t[10] = (char)('0' + d % 10);
		t[11] = time_out == SZ_TIME_CLICKHOUSE ? ' ' : 'T';
		t[12] = (char)('0' + h / 10);
		t[13] = (char)('0' + h % 10);
		t[14] = ':';
		t[15] = (char)('0' + mi / 10);
		t[16] = (char)('0' + mi % 10);
		t[17] = ':';
		t[18] = (char)('0' + se / 10);
		t[19] = (char)('0' + se % 10);
		if (time_out == SZ_TIME_CLICKHOUSE) {
			t[20] = '"';
			return sz_buf_add(b, t, 21);
		}
		t[20] = '.';
		t[21] = (char)('0' + ms / 100);
		t[22] = (char)('0' + ms / 10 % 10);
		t[23] = (char)('0' + ms % 10);
		t[24] = 'Z';
		t[25] = '"';
		return sz_buf_add(b, t, 26);
	}
}

/* ---- one value ---------------------------------------------------------- */

/* Is the number literal v the way %lld writes its value? */
static int
canon_int(const char *v, size_t n)
{
	size_t i = v[0] == '-';

	if (i == n || (v[i] == '0' && (n > i + 1 || i == 1)))
		return 0;
	for (; i < n; i++)
		if (v[i] < '0' || v[i] > '9')
			return 0;
	return 1;
}

typedef struct verr {
	const char *kind;	/* "type", "range", "fraction", "enum" */
	const char *detail;	/* shown in parentheses, or NULL */
} verr;

static int
digits_only(const char *s, size_t n)
{
	size_t i = n > 0 && s[0] == '-';

	if (i == n)
		return 0;
	for (; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return 0;
	return 1;
}

/* The time in the string body s[0..n) written as "YYYY-MM-DD" or
 * "YYYY-MM-DD hh:mm:ss[.fff]" (UTC). */
static int
naive_time(const char *s, size_t n, int64_t *ns)
{
	char lit[80];
	const char *why;
	int k;

	if (n == 10)
		k = snprintf(lit, sizeof(lit), "\"%.*sT00:00:00Z\"", 10, s);
	else if (n >= 19 && n < 60 && (s[10] == ' ' || s[10] == 'T') &&
	    s[n - 1] >= '0' && s[n - 1] <= '9' && memchr(s + 10, '+',
	    n - 10) == NULL && memchr(s + 10, '-', n - 10) == NULL)
		k = snprintf(lit, sizeof(lit), "\"%.*sZ\"", (int)n, s);
	else
		return -1;
	return sz_etime_parse(lit, (size_t)k, ns, &why);
}

/*
 * v[0..n) (not null) as field f's type under o: 0 with its new text for
 * the record appended to out, 2 when it stays as it is (nothing
 * appended), 1 with *e set when it is not one, -1 on allocation failure.
 * tmp is scratch.
 */
static int
conv_value(const sz_sopts *o, const sz_field *f, const char *v, size_t n,
    sz_buf *out, sz_buf *tmp, verr *e)
{
	sz_jtype jt = sz_json_type(v, v + n);
	const char *s;
	size_t sn;
	int64_t x, ns;
	const char *why;

	e->kind = "type";
	e->detail = NULL;
	switch (f->type) {
	case SZ_FT_STRING:
		if (jt == SZ_JSTRING)
			break;
		if (jt == SZ_JNUMBER && o->convert && o->coerce_strings) {
			if (sz_buf_addc(out, '"') < 0 ||
			    sz_buf_add(out, v, n) < 0 ||
			    sz_buf_addc(out, '"') < 0)
				return -1;
			return 0;
		}
		return 1;
	case SZ_FT_INT:
		if (jt == SZ_JNUMBER) {
			int k = sz_json_num_int64(v, n, &x);

			if (k == SZ_NUM_FRACTION) {
				e->kind = "fraction";
				e->detail = "not a whole number";
				return 1;
			}
			if (k == SZ_NUM_RANGE) {
				e->kind = "range";
				e->detail = "outside the 64-bit range";
				return 1;
			}
			if (!o->convert || canon_int(v, n))
				break;
			return sz_buf_printf(out, "%lld", (long long)x) < 0 ?
			    -1 : 0;
		}
		if (jt != SZ_JSTRING || !o->convert)
			return 1;
		if ((s = sz_jstr_decode(v, n, tmp, &sn)) == NULL)
			return -1;
		if (!digits_only(s, sn))
			return 1;
		if (sz_json_num_int64(s, sn, &x) != SZ_NUM_INT) {
			e->kind = "range";
			e->detail = "outside the 64-bit range";
			return 1;
		}
		return sz_buf_printf(out, "%lld", (long long)x) < 0 ? -1 : 0;
	case SZ_FT_FLOAT:
		if (jt == SZ_JNUMBER) {
			if (!isfinite(sz_json_num(v, n))) {
				e->kind = "range";
				e->detail = "not a finite number";
				return 1;
			}
			break;
		}
		if (jt != SZ_JSTRING || !o->convert)
			return 1;
		if ((s = sz_jstr_decode(v, n, tmp, &sn)) == NULL)
			return -1;
		if (sn == 0 || (s[0] != '-' && (s[0] < '0' || s[0] > '9')) ||
		    s[sn - 1] < '0' || s[sn - 1] > '9' ||
		    sz_json_validate(s, sn, NULL, NULL) < 0)
			return 1;
		if (!isfinite(sz_json_num(s, sn))) {
			e->kind = "range";
			e->detail = "not a finite number";
			return 1;
		}
		return sz_buf_add(out, s, sn);
	case SZ_FT_BOOL:
		if (jt == SZ_JTRUE || jt == SZ_JFALSE)
			break;
		if (jt != SZ_JSTRING || !o->convert)
			return 1;
		if (sz_json_str_eq(v, n, "true", 4) ||
		    sz_json_str_eq(v, n, "1", 1))
			return sz_buf_adds(out, "true");
		if (sz_json_str_eq(v, n, "false", 5) ||
		    sz_json_str_eq(v, n, "0", 1))
			return sz_buf_adds(out, "false");
		return 1;
	case SZ_FT_DATETIME:
		if (!o->convert) {
			if (jt != SZ_JSTRING)
				return 1;
			if (sz_etime_rfc3339(v, n, &ns, &why) < 0) {
				e->detail = "not an RFC 3339 time";
				return 1;
			}
			break;
		}
		if (jt == SZ_JNUMBER) {
			if (sz_etime_parse(v, n, &ns, &why) < 0) {
				e->kind = "range";
				e->detail = why;
				return 1;
			}
		} else if (jt == SZ_JSTRING) {
			if (sz_etime_rfc3339(v, n, &ns, &why) < 0) {
				if ((s = sz_jstr_decode(v, n, tmp, &sn)) == NULL)
					return -1;
				if (naive_time(s, sn, &ns) < 0) {
					e->detail = "not a time";
					return 1;
				}
			}
		} else
			return 1;
		if (o->time_out == SZ_TIME_CLICKHOUSE && ns % NS != 0 &&
		    !o->truncate_time) {
			e->kind = "fraction";
			e->detail = "a fraction of a second; --truncate-time "
			    "drops it";
			return 1;
		}
		return sz_schema_fmt_time(out, ns, o->time_out);
	case SZ_FT_JSON:
		if (o->convert && o->json_string) {
			sz_buf_reset(tmp);
			if (sz_json_compact(v, n, tmp) < 0)
				return -1;
			return sz_buf_add_jstr(out, tmp->p, tmp->len);
		}
		break;
	}
	return 2;
}

/* Is the text t[0..tn) (a value) one of f's enum values? */
static int
enum_ok(const sz_field *f, const char *t, size_t tn, sz_buf *tmp)
{
	sz_buf_reset(tmp);
	if (sz_json_canon(t, tn, tmp) < 0)
		return -1;
	for (size_t k = 0; k < f->nenum; k++)
		if (strcmp(f->enumv[k], tmp->p) == 0)
			return 1;
	return 0;
}

int
sz_schema_conv_check(const sz_field *f, const char *v, size_t n,
    sz_buf *err)
{
	sz_sopts o = { 1, SZ_TIME_RFC3339, 1, 0, 0, 1, SZ_EXTRA_KEEP };
	sz_buf out = SZ_BUF_INIT, tmp = SZ_BUF_INIT;
	verr e;
	int rc = sz_json_type(v, v + n) == SZ_JNULL ? 0 :
	    conv_value(&o, f, v, n, &out, &tmp, &e);

	if (rc == 2)
		rc = sz_buf_add(&out, v, n);
	if (rc == 0 && f->nenum > 0 && sz_json_type(v, v + n) != SZ_JNULL &&
	    enum_ok(f, out.p, out.len, &tmp) == 0) {
		rc = 1;
		e.kind = "enum";
		e.detail = "not in the field's enum";
	}
	if (rc == 1) {
		sz_buf_reset(err);
		sz_buf_printf(err, "%s: ", f->name);
		sz_buf_add_visible(err, v, n);
		sz_buf_printf(err, " does not convert to %s",
		    sz_ftype_name(f->type));
		if (e.detail)
			sz_buf_printf(err, " (%s)", e.detail);
	} else if (rc < 0) {
		sz_buf_reset(err);
		sz_buf_adds(err, "out of memory");
	}
	sz_buf_free(&out);
	sz_buf_free(&tmp);
	return rc == 0 ? 0 : -1;
}

/* ---- errors ------------------------------------------------------------- */

/* The value v shown: compact, cut after 64 bytes (not inside a UTF-8
 * character). */
static int
add_got(sz_buf *b, sz_buf *tmp, const char *v, size_t n)
{
	size_t k;

	sz_buf_reset(tmp);
	if (sz_json_compact(v, n, tmp) < 0)
		return -1;
	k = tmp->len;
	if (k > 64) {
		k = 64;
		while (k > 0 && ((unsigned char)tmp->p[k] & 0xC0) == 0x80)
			k--;
	}
	if (sz_buf_add(b, tmp->p, k) < 0)
		return -1;
	return k < tmp->len ? sz_buf_adds(b, "...") : 0;
}

static void
count_failure(sz_scheck *c)
{
	const char *p = c->path.len > 0 ? c->path.p + 1 : "";
	const char *e = strchr(p, '/');
	size_t n = e ? (size_t)(e - p) : strlen(p);

	for (size_t i = 0; i < c->nfname; i++)
		if (strlen(c->fname[i]) == n && memcmp(c->fname[i], p, n) == 0) {
			c->fcount[i]++;
			return;
		}
	if (c->nfname < SZ_SCHECK_MAX_NAMES &&
	    (c->fname[c->nfname] = malloc(n + 1)) != NULL) {
		memcpy(c->fname[c->nfname], p, n);
		c->fname[c->nfname][n] = '\0';
		c->fcount[c->nfname++] = 1;
	} else
		c->fother++;
}

int
sz_scheck_error(sz_scheck *c, const char *kind, const char *expected,
    const char *v, size_t vn, const char *msg)
{
	sz_buf got = SZ_BUF_INIT;
	int rc = 0;

	if (v != NULL && add_got(&got, &c->tmp, v, vn) < 0) {
		sz_buf_free(&got);
		return -1;
	}
	/* the message */
	if (c->nerr > 0)
		rc |= sz_buf_adds(&c->msg, "; ");
	if (c->path.len == 0)
		rc |= sz_buf_adds(&c->msg, "(record)");
	else
		rc |= sz_buf_add(&c->msg, c->path.p + 1, c->path.len - 1);
	rc |= sz_buf_adds(&c->msg, ": ");
	if (msg != NULL)
		rc |= sz_buf_adds(&c->msg, msg);
	else if (strcmp(kind, "type") == 0 && expected != NULL)
		rc |= sz_buf_printf(&c->msg, "expected %s, got %s %s",
		    expected, sz_jtype_name(sz_json_type(v, v + vn)),
		    got.p ? got.p : "");
	else if (expected != NULL)
		rc |= sz_buf_printf(&c->msg, "%s: expected %s, got %s", kind,
		    expected, got.p ? got.p : "");
	else
		rc |= sz_buf_printf(&c->msg, "%s: got %s", kind,
		    got.p ? got.p : "");
	/* the dead letter's "errors" */
	rc |= sz_buf_adds(&c->errs, c->nerr > 0 ? "," : "\"errors\":[");
	rc |= sz_buf_adds(&c->errs, "{\"path\":");
	rc |= sz_buf_add_jstr(&c->errs, c->path.p ? c->path.p : "",
	    c->path.len);
	rc |= sz_buf_adds(&c->errs, ",\"error\":");
	rc |= sz_buf_add_jstr(&c->errs, kind, strlen(kind));
	if (expected != NULL) {
		rc |= sz_buf_adds(&c->errs, ",\"expected\":");
		rc |= sz_buf_add_jstr(&c->errs, expected, strlen(expected));
	}
	if (v != NULL) {
		rc |= sz_buf_adds(&c->errs, ",\"got\":");
		rc |= sz_buf_add_jstr(&c->errs, got.p, got.len);
	}
	rc |= sz_buf_addc(&c->errs, '}');
	sz_buf_free(&got);
	c->nerr++;
	count_failure(c);
	return rc ? -1 : 0;
}

/* An error of a field's value: "expected T, got TYPE V (detail)". */
static int
field_error(sz_scheck *c, const sz_field *f, const verr *e, const char *v,
    size_t n)
{
	sz_buf m = SZ_BUF_INIT;
	int rc = 0;

	rc |= sz_buf_printf(&m, "expected %s, got %s ",
	    sz_ftype_name(f->type), sz_jtype_name(sz_json_type(v, v + n)));
	rc |= add_got(&m, &c->tmp, v, n);
	if (e->detail != NULL)
		rc |= sz_buf_printf(&m, " (%s)", e->detail);
	if (rc == 0)
		rc = sz_scheck_error(c, e->kind, sz_ftype_name(f->type), v, n,
		    m.p);
	sz_buf_free(&m);
	return rc;
}

static int
path_set(sz_scheck *c, const char *k, size_t kn)
{
	int rc = 0;

	sz_buf_reset(&c->path);
	rc |= sz_buf_addc(&c->path, '/');
	for (size_t i = 0; i < kn; i++)
		rc |= k[i] == '~' ? sz_buf_adds(&c->path, "~0") :
		    k[i] == '/' ? sz_buf_adds(&c->path, "~1") :
		    sz_buf_addc(&c->path, k[i]);
	return rc;
}

/* ---- records ------------------------------------------------------------ */

int
sz_scheck_init(sz_scheck *c, const sz_schema *s, const sz_sopts *o)
{
	size_t nf = s->nf ? s->nf : 1;

	memset(c, 0, sizeof(*c));
	c->s = s;
	c->o = *o;
	c->coff = calloc(nf, sizeof(*c->coff));
	c->clen = calloc(nf, sizeof(*c->clen));
	c->cstate = calloc(nf, sizeof(*c->cstate));
	c->last = calloc(nf, sizeof(*c->last));
	return c->coff && c->clen && c->cstate && c->last ? 0 : -1;
}

void
sz_scheck_free(sz_scheck *c)
{
	sz_buf_free(&c->out);
	sz_buf_free(&c->msg);
	sz_buf_free(&c->errs);
	sz_buf_free(&c->conv);
	sz_buf_free(&c->scratch);
	sz_buf_free(&c->path);
	sz_buf_free(&c->tmp);
	free(c->coff);
	free(c->clen);
	free(c->cstate);
	free(c->last);
	free(c->mv);
	free(c->mvn);
	free(c->mfield);
	free(c->mk);
	free(c->mkn);
	for (size_t i = 0; i < c->nfname; i++)
		free(c->fname[i]);
	memset(c, 0, sizeof(*c));
}

static int
grow_members(sz_scheck *c)
{
	size_t na = c->am ? 2 * c->am : 16;
	const char **mv, **mk;
	size_t *mvn, *mkn;
	int *mf;

	if ((mv = realloc(c->mv, na * sizeof(*mv))) == NULL)
		return -1;
	c->mv = mv;
	if ((mk = realloc(c->mk, na * sizeof(*mk))) == NULL)
		return -1;
	c->mk = mk;
	if ((mvn = realloc(c->mvn, na * sizeof(*mvn))) == NULL)
		return -1;
	c->mvn = mvn;
	if ((mkn = realloc(c->mkn, na * sizeof(*mkn))) == NULL)
		return -1;
	c->mkn = mkn;
	if ((mf = realloc(c->mfield, na * sizeof(*mf))) == NULL)
		return -1;
	c->mfield = mf;
	c->am = na;
	return 0;
}

static int
is_meta(const char *k, size_t kn)
{
	return (kn >= 3 && memcmp(k, "_sz", 3) == 0) ||
	    (kn >= 6 && memcmp(k, "_redis", 6) == 0);
}

/* A version 4 UUID, as a JSON string. */
static int
add_uuid(sz_scheck *c, sz_buf *b)
{
	unsigned char u[16];
	static const char hex[] = "0123456789abcdef";
	char s[40];
	size_t k = 0;

	if (c->nrnd < 16) {
		ssize_t got = getrandom(c->rnd, sizeof(c->rnd), 0);

		if (got < 16)
			return -1;
		c->nrnd = (size_t)got;
	}
	c->nrnd -= 16;
	memcpy(u, c->rnd + c->nrnd, 16);
	u[6] = (unsigned char)((u[6] & 0x0F) | 0x40);
	u[8] = (unsigned char)((u[8] & 0x3F) | 0x80);
	s[k++] = '"';
	for (int i = 0; i < 16; i++) {
		if (i == 4 || i == 6 || i == 8 || i == 10)
			s[k++] = '-';
		s[k++] = hex[u[i] >> 4];
		s[k++] = hex[u[i] & 15];
	}
	s[k++] = '"';
	return sz_buf_add(b, s, k);
}

/* Fill field i (missing): a default, or --implicit's id or timestamp.
 * 1 when filled, 0 when there is nothing to fill, -1 on failure. */
static int
fill(sz_scheck *c, size_t i, int64_t now)
{
	const sz_field *f = &c->s->f[i];
	size_t at = c->conv.len;
	verr e;
	int rc;

	if (!c->o.defaults || (f->required && !f->implicit))
		return 0;
	if (f->def != NULL) {
		if (c->s->kind == SZ_SCHEMA_SZ && strcmp(f->def, "null") != 0) {
			/* converted, also under --mode=check --defaults:
			 * the default was checked by the rules of convert */
			sz_sopts o = c->o;

			o.convert = 1;
			rc = conv_value(&o, f, f->def, f->defn, &c->conv,
			    &c->tmp, &e);
			if (rc == 2)
				rc = sz_buf_add(&c->conv, f->def, f->defn);
			if (rc != 0)
				return -1;
		} else if (sz_buf_add(&c->conv, f->def, f->defn) < 0)
			return -1;
	} else if (f->implicit && f->type == SZ_FT_STRING) {
		if (add_uuid(c, &c->conv) < 0)
			return -1;
	} else if (f->implicit && f->type == SZ_FT_DATETIME) {
		if (sz_schema_fmt_time(&c->conv, now, c->o.time_out) < 0)
			return -1;
	} else
		return 0;
	c->coff[i] = at;
	c->clen[i] = c->conv.len - at;
	c->cstate[i] = C_FILL;
	return 1;
}

/* Check the sz field i whose value is member m. */
static int
check_field(sz_scheck *c, size_t i, size_t m)
{
	const sz_field *f = &c->s->f[i];
	const char *v = c->mv[m];
	size_t n = c->mvn[m], at = c->conv.len;
	verr e;
	int rc;

	if (sz_json_type(v, v + n) == SZ_JNULL) {
		if (f->required) {
			c->cstate[i] = C_BAD;
			if (path_set(c, f->name, f->namelen) < 0)
				return -1;
			return sz_scheck_error(c, "required", sz_ftype_name(
			    f->type), v, n, "required field is null");
		}
		c->cstate[i] = C_SAME;
		return 0;
	}
	rc = conv_value(&c->o, f, v, n, &c->conv, &c->tmp, &e);
	if (rc < 0)
		return -1;
	if (rc != 1 && f->nenum > 0) {
		int k = rc == 2 ? enum_ok(f, v, n, &c->tmp) :
		    enum_ok(f, c->conv.p + at, c->conv.len - at, &c->tmp);

		if (k < 0)
			return -1;
		if (k == 0) {
			sz_buf m2 = SZ_BUF_INIT;

			rc = 0;
			rc |= sz_buf_adds(&m2, "expected one of ");
			for (size_t x = 0; x < f->nenum; x++)
				rc |= sz_buf_printf(&m2, "%s%s", x ? ", " : "",
				    f->enumtext[x]);
			rc |= sz_buf_adds(&m2, ", got ");
			rc |= add_got(&m2, &c->tmp, v, n);
			rc |= path_set(c, f->name, f->namelen);
			c->conv.len = at;
			c->cstate[i] = C_BAD;
			if (rc == 0)
				rc = sz_scheck_error(c, "enum", "enum", v, n,
				    m2.p);
			sz_buf_free(&m2);
			return rc;
		}
	}
	if (rc == 1) {
		c->conv.len = at;
		c->cstate[i] = C_BAD;
		if (path_set(c, f->name, f->namelen) < 0)
			return -1;
		return field_error(c, f, &e, v, n);
	}
	if (rc == 2) {
		c->cstate[i] = C_SAME;
		return 0;
	}
	c->coff[i] = at;
	c->clen[i] = c->conv.len - at;
	c->cstate[i] = c->clen[i] == n && memcmp(c->conv.p + at, v, n) == 0 ?
	    C_SAME : C_NEW;
	return 0;
}

/* A value of the record as it is, compact: only a container can hold
 * white space outside strings. */
static int
add_raw(sz_buf *b, const char *v, size_t n)
{
	if (v[0] == '{' || v[0] == '[')
		for (size_t i = 0; i < n; i++)
			if (v[i] == ' ' || v[i] == '\t' || v[i] == '\n' ||
			    v[i] == '\r')
				return sz_json_compact(v, n, b);
	return sz_buf_add(b, v, n);
}

/* Write the record again: members in their order (converted, or compact
 * as they were), dropped ones left out, filled fields after them. */
static int
rewrite(sz_scheck *c)
{
	const sz_schema *s = c->s;
	sz_buf *b = &c->out;
	int rc = 0, first = 1;

	sz_buf_reset(b);
	rc |= sz_buf_addc(b, '{');
	for (size_t m = 0; m < c->nm; m++) {
		int fi = c->mfield[m];

		if (fi == M_DROP)
			continue;
		if (!first)
			rc |= sz_buf_addc(b, ',');
		first = 0;
		rc |= sz_buf_add(b, c->mk[m], c->mkn[m]);
		rc |= sz_buf_addc(b, ':');
		if (fi >= 0 && c->last[fi] == m && c->cstate[fi] == C_NEW)
			rc |= sz_buf_add(b, c->conv.p + c->coff[fi],
			    c->clen[fi]);
		else
			rc |= add_raw(b, c->mv[m], c->mvn[m]);
	}
	for (size_t i = 0; i < s->nf; i++)
		if (c->cstate[i] == C_FILL) {
			if (!first)
				rc |= sz_buf_addc(b, ',');
			first = 0;
			rc |= sz_buf_add_jstr(b, s->f[i].name,
			    s->f[i].namelen);
			rc |= sz_buf_addc(b, ':');
			rc |= sz_buf_add(b, c->conv.p + c->coff[i],
			    c->clen[i]);
		}
	rc |= sz_buf_addc(b, '}');
	return rc ? -1 : 0;
}

int
sz_scheck_record(sz_scheck *c, const char *p, size_t n, const sz_jindex *ix,
    int64_t now)
{
	const sz_schema *s = c->s;
	sz_jmembers it;
	int sz = s->kind == SZ_SCHEMA_SZ, changed = 0;
	uint64_t filled = 0, dropped = 0;

	sz_json_trim(&p, &n);
	c->nerr = 0;
	c->changed = 0;
	c->nm = 0;
	sz_buf_reset(&c->msg);
	sz_buf_reset(&c->errs);
	sz_buf_reset(&c->conv);
	sz_buf_reset(&c->path);
	if (!sz) {
		if (sz_schema_js_check(c, s->root, p, n, 1) < 0)
			return -1;
	} else if (sz_json_type(p, p + n) != SZ_JOBJECT) {
		if (sz_scheck_error(c, "type", "object", p, n, NULL) < 0)
			return -1;
		goto bad;
	}
	if (sz_json_type(p, p + n) != SZ_JOBJECT) {
		if (c->nerr > 0)
			goto bad;
		return 0;
	}
	for (size_t i = 0; i < s->nf; i++) {
		c->cstate[i] = C_MISSING;
		c->last[i] = (size_t)-1;
	}
	/* the members, and which field each one is */
	sz_json_members(&it, p, n, ix);
	while (sz_json_members_next(&it)) {
		size_t kn;
		const char *k = sz_jmember_name(&it.m, &c->scratch, &kn);
		int fi;

		if (k == NULL || (c->nm == c->am && grow_members(c) < 0))
			return -1;
		c->mk[c->nm] = it.m.k;
		c->mkn[c->nm] = it.m.kn;
		c->mv[c->nm] = it.m.v;
		c->mvn[c->nm] = it.m.vn;
		if (is_meta(k, kn))
			fi = M_META;
		else if ((fi = sz_schema_field(s, k, kn)) >= 0)
			c->last[fi] = c->nm;
		else if (sz && ((kn == 2 && memcmp(k, "id", 2) == 0) ||
		    (kn == 9 && memcmp(k, "timestamp", 9) == 0)))
			fi = M_EXTRA;
		else if (c->o.extra == SZ_EXTRA_DROP)
			fi = M_DROP;
		else if (c->o.extra == SZ_EXTRA_REJECT)
			fi = M_REJECT;
		else
			fi = M_EXTRA;
		c->mfield[c->nm++] = fi;
	}
	/* the fields, in schema order */
	for (size_t i = 0; i < s->nf; i++) {
		const sz_field *f = &s->f[i];
		int rc;

		if (c->last[i] != (size_t)-1) {
			if (sz && check_field(c, i, c->last[i]) < 0)
				return -1;
			continue;
		}
		if ((rc = fill(c, i, now)) < 0)
			return -1;
		if (rc == 1)
			filled++;
		else if (sz && f->required && (path_set(c, f->name,
		    f->namelen) < 0 || sz_scheck_error(c, "required",
		    sz_ftype_name(f->type), NULL, 0,
		    "required field is missing") < 0))
			return -1;
	}
	/* fields not in the schema, in record order */
	for (size_t m = 0; m < c->nm; m++) {
		size_t kn;
		const char *k;

		if (c->mfield[m] == M_DROP)
			dropped++;
		if (c->mfield[m] != M_REJECT)
			continue;
		if ((k = sz_jstr_decode(c->mk[m], c->mkn[m], &c->scratch,
		    &kn)) == NULL || path_set(c, k, kn) < 0 ||
		    sz_scheck_error(c, "extra", NULL, c->mv[m], c->mvn[m],
		    "not a field of the schema (--extra=reject)") < 0)
			return -1;
	}
	if (c->nerr > 0)
		goto bad;
	for (size_t i = 0; i < s->nf; i++)
		if (c->cstate[i] == C_NEW || c->cstate[i] == C_FILL)
			changed = 1;
	if (changed || dropped > 0) {
		if (rewrite(c) < 0)
			return -1;
		c->changed = 1;
		c->converted++;
		c->defaulted += filled;
		c->dropped_fields += dropped;
	}
	return 0;
bad:
	return sz_buf_addc(&c->errs, ']') < 0 ? -1 : 1;
}
