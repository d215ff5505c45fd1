/* SPDX-License-Identifier: MIT */
/*
 * sz-to-csv - write NDJSON objects as CSV rows: one column per key of the
 * first record (or of --columns), fields quoted only when they must be.
 *
 * A record's members are found on its raw bytes (no parse into values);
 * a hash of the column names, tried after a guess that the keys come in
 * column order, maps each key to its column.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/hash.h"
#include "csv/csvopt.h"
#include "json/json.h"
#include "run/tool.h"

struct tocsv {
	sz_csvopts csv;		/* -d, --columns, --no-header (no header
				   row) */
	int crlf;		/* --crlf */
	int strict;		/* --strict */
	/* the columns */
	sz_buf names;		/* their names' bytes, back to back */
	size_t *nend;		/* name i ends at names.p[nend[i]] */
	size_t ncols, acols;
	size_t *hash;		/* column + 1 by name hash; 0: free */
	size_t hsize;		/* a power of two, > 2 * ncols */
	int have_cols;
	int header_done;
	/* the current record */
	const char **vp;	/* value of each column (raw JSON), or NULL */
	size_t *vn;
	size_t guess;		/* the column the next key probably names */
	unsigned char special[256];	/* bytes that make a field quoted */
	sz_buf line;		/* the row being built */
	sz_buf key;		/* a decoded key */
	sz_buf str;		/* a decoded string value */
};

static const char usage[] =
"Usage: sz-to-csv [OPTION]... [FILE]...\n"
"Write NDJSON objects as CSV: one column per key of the first record, in\n"
"its order, a header row, then one row per record.\n"
"\n"
"  -d, --delimiter=C      field delimiter (default ','; '\\t' for TSV)\n"
"      --columns=A,B,...  the columns, in this order\n"
"      --no-header        write no header row\n"
"      --crlf             end lines with CRLF (RFC 4180), not LF\n"
"      --strict           a record with a key that is not a column is bad\n"
"                         input\n";

enum { OPT_CRLF = SZ_OPT_TOOL, OPT_STRICT };

static const struct option longopts[] = {
	SZ_CSV_LONGOPTS,
	{ "crlf", no_argument, NULL, OPT_CRLF },
	{ "strict", no_argument, NULL, OPT_STRICT },
	{ NULL, 0, NULL, 0 }
};

/* ---- columns ------------------------------------------------------- */

static const char *
col_name(const struct tocsv *c, size_t i, size_t *n)
{
	size_t b = i ? c->nend[i - 1] : 0;

	*n = c->nend[i] - b;
	return c->names.p + b;
}

static int
col_is(const struct tocsv *c, size_t i, const char *s, size_t n)
{
	size_t m;
	const char *p = col_name(c, i, &m);

	return m == n && memcmp(p, s, n) == 0;
}

/* The column named s[0..n), or -1. */
static long
col_find(struct tocsv *c, const char *s, size_t n)
{
	size_t mask = c->hsize - 1, h;

	if (c->guess < c->ncols && col_is(c, c->guess, s, n))
		return (long)c->guess++;
	if (c->hsize == 0)
		return -1;
	for (h = sz_fnv1a(s, n) & mask; c->hash[h] != 0; h = (h + 1) & mask)
		if (col_is(c, c->hash[h] - 1, s, n)) {
			c->guess = c->hash[h];
			return (long)c->hash[h] - 1;
		}
	return -1;
}

/* Put column i in the hash table. */
static void
hash_put(struct tocsv *c, size_t i)
{
	size_t n, mask = c->hsize - 1;
	const char *s = col_name(c, i, &n);
	size_t h = sz_fnv1a(s, n) & mask;

	while (c->hash[h] != 0)
		h = (h + 1) & mask;
	c->hash[h] = i + 1;
}

/* Add a column named s[0..n) (not yet a column). 0, or -1 on memory. */
static int
col_add(struct tocsv *c, const char *s, size_t n)
{
	if (c->ncols == c->acols) {
		size_t na = c->acols ? 2 * c->acols : 16;
		size_t *ne = realloc(c->nend, na * sizeof(*ne));
		const char **nv;

		if (ne == NULL)
			return -1;
		c->nend = ne;
		if ((ne = realloc(c->vn, na * sizeof(*ne))) == NULL)
			return -1;
		c->vn = ne;
		if ((nv = realloc(c->vp, na * sizeof(*nv))) == NULL)
			return -1;
		c->vp = nv;
		c->acols = na;
	}
	if (sz_buf_add(&c->names, s, n) != 0)
		return -1;
	c->nend[c->ncols++] = c->names.len;
	if (2 * c->ncols >= c->hsize) {
		size_t ns = c->hsize ? 2 * c->hsize : 64;
		size_t *nh = calloc(ns, sizeof(*nh));

		if (nh == NULL)
			return -1;
		free(c->hash);
		c->hash = nh;
		c->hsize = ns;
		for (size_t i = 0; i < c->ncols; i++)
			hash_put(c, i);
	} else
		hash_put(c, c->ncols - 1);
	return 0;
}

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

static int
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

/* ---- callbacks ----------------------------------------------------- */

/*
 * Walk the members of the record (a valid object): for each, its decoded
 * key and its value. fn returns 0 to go on.
 */
typedef int (*member_fn)(sz_tool *t, struct tocsv *c, const sz_rec *r,
    const char *k, size_t kn, const char *v, size_t vn);

static int
members(sz_tool *t, struct tocsv *c, const sz_rec *r, member_fn fn)
{
	sz_jmembers it;
	const char *s;
	size_t n;
	int rc;

	sz_json_members(&it, r->p, r->n, r->ix);
	while (sz_json_members_next(&it)) {
		if ((s = sz_jmember_name(&it.m, &c->key, &n)) == NULL)
			return sz_fail(t, SZ_EXIT_FAIL, "out of memory");
		if ((rc = fn(t, c, r, s, n, it.m.v, it.m.vn)) != 0)
			return rc;
	}
	return 0;
}

/* The first record's keys become the columns. */
static int
first_key(sz_tool *t, struct tocsv *c, const sz_rec *r, const char *k,
    size_t kn, const char *v, size_t vn)
{
	(void)r;
	(void)v;
	(void)vn;
	if (col_find(c, k, kn) < 0 && col_add(c, k, kn) != 0)
		return sz_fail(t, SZ_EXIT_FAIL, "out of memory");
	return 0;
}

/* A member of a record: its value goes to its column. */
static int
put_member(sz_tool *t, struct tocsv *c, const sz_rec *r, const char *k,
    size_t kn, const char *v, size_t vn)
{
	long i = col_find(c, k, kn);

	if (i >= 0) {
		c->vp[i] = v;
		c->vn[i] = vn;
	} else if (c->strict) {
		sz_buf_reset(&c->str);
		if (sz_buf_add_jstr(&c->str, k, kn) != 0)
			return sz_fail(t, SZ_EXIT_FAIL, "out of memory");
		sz_bad(t, r, "validation", 1, "key %s is not a column",
		    c->str.p);
		return 1;	/* skip the record (or stop: status set) */
	}
	return 0;
}

static int
tocsv_record(sz_tool *t, const sz_rec *r)
{
	struct tocsv *c = t->ud;
	const char *p = sz_json_ws(r->p, r->p + r->n);
	int rc = 0;

	if (*p != '{')
		return sz_bad(t, r, "validation", 1, "record is not an object "
		    "but %s", sz_jtype_name(sz_json_type(p, r->p + r->n)));
	if (!c->have_cols) {
		if (members(t, c, r, first_key) != 0)
			return -1;
		c->have_cols = 1;
	}
	if (!c->header_done && write_header(t, c) != 0)
		return -1;
	if (c->ncols > 0)
		memset(c->vp, 0, c->ncols * sizeof(*c->vp));
	c->guess = 0;
	if ((rc = members(t, c, r, put_member)) != 0)
		return t->status ? -1 : 0;
	sz_buf_reset(&c->line);
	for (size_t i = 0; i < c->ncols; i++) {
		if (i)
			rc |= sz_buf_addc(&c->line, (char)c->csv.delim);
		rc |= add_value(c, c->vp[i], c->vn[i]);
	}
	if (rc)
		return sz_fail(t, SZ_EXIT_FAIL, "out of memory");
	return put_line(t, c, 1);
}

/* End of input: with --columns the header is written even when no
 * record came. */
static int
tocsv_end(sz_tool *t)
{
	struct tocsv *c = t->ud;

	if (c->have_cols && !c->header_done && t->status == 0)
		write_header(t, c);
	return 0;
}

static const sz_proc tocsv_proc = {
	.record = tocsv_record,
	.end = tocsv_end,
};

static int
tocsv_option(sz_tool *t, int ch)
{
	struct tocsv *c = t->ud;

	if (sz_csv_opt(&c->csv, ch, optarg, t->o.err, sizeof(t->o.err)) < 0)
		return '?';
	if (ch == OPT_CRLF)
		c->crlf = 1;
	else if (ch == OPT_STRICT)
		c->strict = 1;
	return 0;
}

static int
tocsv_start(sz_tool *t)
{
	struct tocsv *c = t->ud;

	c->special[c->csv.delim] = c->special['"'] = 1;
	c->special['\r'] = c->special['\n'] = 1;
	for (size_t i = 0; i < c->csv.cols.n; i++)
		if (col_add(c, c->csv.cols.name[i], c->csv.cols.len[i]) != 0) {
			sz_msg(t, "error", NULL, 0, "out of memory");
			return SZ_EXIT_FAIL;
		}
	c->have_cols = c->csv.have_cols;
	return -1;
}

static void
tocsv_done(sz_tool *t)
{
	struct tocsv *c = t->ud;

	sz_csvopts_free(&c->csv);
	sz_buf_free(&c->names);
	sz_buf_free(&c->line);
	sz_buf_free(&c->key);
	sz_buf_free(&c->str);
	free(c->nend);
	free(c->hash);
	free(c->vp);
	free(c->vn);
}

static void
tocsv_init(sz_tool *t)
{
	struct tocsv *c = t->ud;

	sz_csvopts_init(&c->csv);
}

static const sz_tool_def tocsv_def = {
	.init = tocsv_init,
	.prog = "sz-to-csv", .usage = usage, .shortopts = "d:",
	.longopts = longopts, .proc = &tocsv_proc, .option = tocsv_option,
	.start = tocsv_start, .done = tocsv_done,
};

SZ_TOOL_MAIN(tocsv_def, struct tocsv)
