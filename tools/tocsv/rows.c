/* SPDX-License-Identifier: MIT */
/*
 * rows.c - the rows of sz-to-csv: fields quoted only when they must be,
 * the header, and the keys that are not columns (bad input, or left out
 * and counted).
 */
#include <stdlib.h>
#include <string.h>

#include "json/json.h"
#include "tocsv.h"

/* ---- fields -------------------------------------------------------- */

/* Append s[0..n) as one CSV field, quoted only when it must be. */
static int
add_field(struct tocsv *c, const char *s, size_t n)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i = 0;
	int rc;

	if (n > 0 && (s[0] == ' ' || s[n - 1] == ' '))
		goto quote;
	while (i < n && !c->special[u[i]])
		i++;
	if (i == n)
		return sz_buf_add(&c->line, s, n);
quote:
	rc = sz_buf_addc(&c->line, '"');
	for (const char *p = s, *e = s + n, *q; p < e; p = q + 1) {
		q = memchr(p, '"', (size_t)(e - p));
		if (q == NULL) {
			rc |= sz_buf_add(&c->line, p, (size_t)(e - p));
			break;
		}
		rc |= sz_buf_add(&c->line, p, (size_t)(q - p + 1));
		rc |= sz_buf_addc(&c->line, '"');
	}
	rc |= sz_buf_addc(&c->line, '"');
	return rc;
}

/* Append a JSON value (NULL: missing) as a field. */
static int
add_value(struct tocsv *c, const char *v, size_t n)
{
	const char *s;
	size_t len;

	if (v == NULL || *v == 'n')
		return 0;	/* missing or null: empty */
	if (*v != '"')
		return add_field(c, v, n);	/* as spelled */
	if ((s = sz_jstr_decode(v, n, &c->str, &len)) == NULL)
		return -1;
	return add_field(c, s, len);
}

/* End the row in c->line and write it (count: records it stands for). */
static int
put_line(sz_tool *t, struct tocsv *c, uint64_t count)
{
	/* A row of one empty field would be an empty line, which readers
	 * skip: write it as "". */
	if (c->line.len == 0 && c->ncols == 1 &&
	    sz_buf_add(&c->line, "\"\"", 2) != 0)
		return sz_fail(t, SZ_EXIT_FAIL, "out of memory");
	if ((c->crlf && sz_buf_addc(&c->line, '\r') != 0) ||
	    sz_buf_addc(&c->line, '\n') != 0)
		return sz_fail(t, SZ_EXIT_FAIL, "out of memory");
	return sz_emit_lines(t, c->line.p, c->line.len, count);
}

int
write_header(sz_tool *t, struct tocsv *c)
{
	int rc = 0;

	c->header_done = 1;
	if (!c->csv.header)
		return 0;
	sz_buf_reset(&c->line);
	for (size_t i = 0; i < c->ncols; i++) {
		size_t n;
		const char *s = col_name(c, i, &n);

		if (i)
			rc |= sz_buf_addc(&c->line, (char)c->csv.delim);
		rc |= add_field(c, s, n);
	}
	if (rc)
		return sz_fail(t, SZ_EXIT_FAIL, "out of memory");
	return put_line(t, c, 0);
}

/* ---- records ------------------------------------------------------- */

/* A member of a row: its value goes to its column; 1 when the key is not
 * a column. */
static int
put_member(sz_tool *t, struct tocsv *c, const char *k, size_t kn,
    const char *v, size_t vn)
{
	long i = col_find(c, k, kn);

	(void)t;
	if (i < 0)
		return 1;
	c->vp[i] = v;
	c->vn[i] = vn;
	return 0;
}

/* Is the key shown as it is in a message (else as a JSON string)? */
static int
plain_key(const char *k, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!((k[i] >= 'a' && k[i] <= 'z') ||
		    (k[i] >= 'A' && k[i] <= 'Z') ||
		    (k[i] >= '0' && k[i] <= '9') || k[i] == '_' ||
		    k[i] == '-' || k[i] == '.'))
			return 0;
	return n > 0;
}

/* A key outside the columns: listed in c->msg (the first 10 different
 * ones; ", ..." for more), counted in *nx. */
static int
list_extra(sz_tool *t, struct tocsv *c, const char *k, size_t kn,
    size_t *nx)
{
	size_t b = 0, m = *nx < 10 ? *nx : 10;
	int rc;

	if (col_find(c, k, kn) >= 0)
		return 0;
	for (size_t i = 0; i < m; b = c->xend[i++]) {
		size_t l = c->xend[i] - b;

		if (l == kn && memcmp(c->msg.p + b, k, kn) == 0)
			return 0;	/* listed already */
	}
	if (*nx == 10) {
		*nx = 11;
		return 0;
	}
	if (*nx == 11)
		return 0;
	rc = sz_buf_add(&c->msg, k, kn);
	c->xend[(*nx)++] = c->msg.len;
	return rc ? sz_fail(t, SZ_EXIT_FAIL, "out of memory") : 0;
}

/*
 * Under --extra=error: a record with a key outside the columns (or, in
 * an array, with an element that has one) is bad input, whole. Returns
 * 0 when it has none, 1 when it was handled as bad input (or -1 when the
 * run must stop).
 */
int
check_extra(sz_tool *t, struct tocsv *c, const sz_rec *r)
{
	objs o;
	const char *v;
	size_t vn;

	objs_init(&o, r->p, r->n);
	while (objs_next(&o, &v, &vn)) {
		sz_jmembers it;
		const char *k;
		size_t kn, nx = 0, b = 0;
		sz_buf *m = &c->str;

		sz_buf_reset(&c->msg);
		c->guess = 0;
		sz_json_members(&it, v, vn, o.array ? NULL : r->ix);
		while (sz_json_members_next(&it)) {
			if ((k = sz_jmember_name(&it.m, &c->key, &kn)) == NULL)
				return sz_fail(t, SZ_EXIT_FAIL,
				    "out of memory");
			if (list_extra(t, c, k, kn, &nx) != 0)
				return -1;
		}
		if (nx == 0)
			continue;
		sz_buf_reset(m);
		if (o.array && sz_buf_printf(m, ".[%zu]: ", o.i) != 0)
			return sz_fail(t, SZ_EXIT_FAIL, "out of memory");
		if (sz_buf_adds(m, nx == 1 ? "key not in the header: " :
		    "keys not in the header: ") != 0)
			return sz_fail(t, SZ_EXIT_FAIL, "out of memory");
		for (size_t i = 0; i < nx && i < 10; b = c->xend[i++]) {
			const char *s = c->msg.p + b;
			size_t l = c->xend[i] - b;

			if ((i > 0 && sz_buf_adds(m, ", ") != 0) ||
			    (plain_key(s, l) ? sz_buf_add(m, s, l) :
			    sz_buf_add_jstr(m, s, l)) != 0)
				return sz_fail(t, SZ_EXIT_FAIL,
				    "out of memory");
		}
		if (nx > 10 && sz_buf_adds(m, ", ...") != 0)
			return sz_fail(t, SZ_EXIT_FAIL, "out of memory");
		return sz_bad(t, r, "validation", 1, "%s", m->p) < 0 ? -1 : 1;
	}
	return 0;
}

/* Is the record an object or an array of objects? 0 when it is, else 1
 * after handling it as bad input (-1 when the run must stop). */
int
check_shape(sz_tool *t, const sz_rec *r)
{
	const char *p = sz_json_ws(r->p, r->p + r->n), *v;
	size_t vn;
	objs o;

	if (*p == '{')
		return 0;
	if (*p != '[')
		return sz_bad(t, r, "validation", 1, "record is not an object "
		    "but %s", sz_jtype_name(sz_json_type(p, r->p + r->n))) <
		    0 ? -1 : 1;
	objs_init(&o, r->p, r->n);
	while (objs_next(&o, &v, &vn))
		if (*v != '{')
			return sz_bad(t, r, "validation", 1, ".[%zu] is not "
			    "an object but %s", o.i, sz_jtype_name(
			    sz_json_type(v, v + vn))) < 0 ? -1 : 1;
	return 0;
}

/* Write the rows of the record p[0..n) (an object or an array of them,
 * ix: its index or NULL); keys outside the columns are left out, or, for
 * an object under --extra=error, make the record r bad input (then 1). */
int
write_rows(sz_tool *t, struct tocsv *c, const char *p, size_t n,
    const sz_jindex *ix, const sz_rec *r)
{
	objs o;
	const char *v;
	size_t vn;
	int rc = 0, cut;

	if (!c->header_done && write_header(t, c) != 0)
		return -1;
	objs_init(&o, p, n);
	while (objs_next(&o, &v, &vn)) {
		if (c->ncols > 0)
			memset(c->vp, 0, c->ncols * sizeof(*c->vp));
		c->guess = 0;
		/* put_member answers 1 for a key that is not a column:
		 * the walk goes on with the members after it. */
		if ((cut = members(t, c, v, vn, o.array ? NULL : ix,
		    put_member)) < 0)
			return -1;
		if (cut && !c->extra_drop && r != NULL)
			return check_extra(t, c, r);
		c->extra_dropped += (uint64_t)cut;
		sz_buf_reset(&c->line);
		for (size_t i = 0; i < c->ncols; i++) {
			if (i)
				rc |= sz_buf_addc(&c->line, (char)c->csv.delim);
			rc |= add_value(c, c->vp[i], c->vn[i]);
		}
		if (rc)
			return sz_fail(t, SZ_EXIT_FAIL, "out of memory");
		if (put_line(t, c, 1) != 0)
			return -1;
	}
	return 0;
}
