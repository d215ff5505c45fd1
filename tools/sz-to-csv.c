/* SPDX-License-Identifier: MIT */
/*
 * sz-to-csv - write NDJSON objects (and arrays of them) as CSV rows: one
 * column per key of the first records (--header-from), of the whole FILE
 * (--scan) or of --columns, fields quoted only when they must be. A key
 * outside the columns is bad input, or dropped and counted (--extra).
 *
 * A record's members are found on its raw bytes (no parse into values);
 * a hash of the column names, tried after a guess that the keys come in
 * column order, maps each key to its column.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/hash.h"
#include "csv/csvopt.h"
#include "json/json.h"
#include "run/tool.h"

struct tocsv {
	sz_csvopts csv;		/* -d, --columns, --no-header (no header
				   row) */
	int crlf;		/* --crlf */
	int extra_drop;		/* --extra=drop (else error; --strict) */
	uint64_t extra_dropped;	/* rows written without some of their keys */
	uint64_t header_from;	/* --header-from=N (default 1) */
	int header_from_set;
	int scan;		/* --scan */
	uint64_t max_bytes;	/* --max-bytes: records held, column names */
	/* the records held back while the columns are being found */
	uint64_t nseen;		/* records seen for the columns */
	sz_buf held;		/* their bytes, back to back */
	size_t *hend;		/* held record i ends at held.p[hend[i]] */
	size_t nheld, aheld;
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
	sz_buf msg;		/* the keys outside the columns, for a message */
	size_t xend[10];	/* the first ones listed end at msg.p[xend[i]] */
};

static const char usage[] =
"Usage: sz-to-csv [OPTION]... [FILE]...\n"
"Write NDJSON objects as CSV: one column per key of the first record, in\n"
"its order, a header row, then one row per record (an array of objects:\n"
"one row per element). A key that is not a column is bad input.\n"
"\n"
"  -d, --delimiter=C      field delimiter (default ','; '\\t' for TSV)\n"
"      --columns=A,B,...  the columns, in this order\n"
"      --header-from=N    the columns: the keys of the first N records, in\n"
"                         the order first seen (held back until then)\n"
"      --scan             the columns: every key of the FILEs, read once\n"
"                         before (regular files only)\n"
"      --max-bytes=SIZE   bytes of records held by --header-from, and of\n"
"                         column names, at most (default 64MiB)\n"
"      --extra=ACTION     a key that is not a column: error (bad input,\n"
"                         the default) or drop (left out, the rows counted\n"
"                         in \"extra_dropped\")\n"
"      --strict           the same as --extra=error\n"
"      --no-header        write no header row\n"
"      --crlf             end lines with CRLF (RFC 4180), not LF\n";

enum {
	OPT_CRLF = SZ_OPT_TOOL, OPT_STRICT, OPT_EXTRA, OPT_HEADER_FROM,
	OPT_SCAN, OPT_MAXBYTES
};

static const struct option longopts[] = {
	SZ_CSV_LONGOPTS,
	{ "crlf", no_argument, NULL, OPT_CRLF },
	{ "strict", no_argument, NULL, OPT_STRICT },
	{ "extra", required_argument, NULL, OPT_EXTRA },
	{ "header-from", required_argument, NULL, OPT_HEADER_FROM },
	{ "scan", no_argument, NULL, OPT_SCAN },
	{ "max-bytes", required_argument, NULL, OPT_MAXBYTES },
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

/* ---- records ------------------------------------------------------- */

/*
 * The objects of a record: the record itself, or each element of an
 * array record in turn (o.array set, o.i its index).
 */
typedef struct objs {
	const char *p, *e;	/* what is left of the record */
	int array, done;
	size_t i;
} objs;

static void
objs_init(objs *o, const char *p, size_t n)
{
	o->e = p + n;
	p = sz_json_ws(p, o->e);
	o->array = *p == '[';
	o->p = o->array ? sz_json_ws(p + 1, o->e) : p;
	o->done = o->array && *o->p == ']';
	o->i = (size_t)-1;
}

/* The next object (or element): 1 with v/vn set, or 0 after the last. */
static int
objs_next(objs *o, const char **v, size_t *vn)
{
	const char *q;

	if (o->done)
		return 0;
	if (!o->array) {		/* the record: no walk to its end */
		*v = o->p;
		*vn = (size_t)(o->e - o->p);
		o->i = 0;
		o->done = 1;
		return 1;
	}
	q = sz_json_skip(o->p, o->e);
	*v = o->p;
	*vn = (size_t)(q - o->p);
	o->i++;
	q = sz_json_ws(q, o->e);
	if (*q == ',')
		o->p = sz_json_ws(q + 1, o->e);
	else
		o->done = 1;
	return 1;
}

/*
 * Walk the members of the object v[0..vn) (ix: its index, or NULL): for
 * each, its decoded key and its value. fn answers 0 or 1 to go on, -1 to
 * stop (status set); the answer is -1 or the OR of fn's answers.
 */
typedef int (*member_fn)(sz_tool *t, struct tocsv *c, const char *k,
    size_t kn, const char *v, size_t vn);

static int
members(sz_tool *t, struct tocsv *c, const char *v, size_t vn,
    const sz_jindex *ix, member_fn fn)
{
	sz_jmembers it;
	const char *s;
	size_t n;
	int rc = 0, k;

	sz_json_members(&it, v, vn, ix);
	while (sz_json_members_next(&it)) {
		if ((s = sz_jmember_name(&it.m, &c->key, &n)) == NULL)
			return sz_fail(t, SZ_EXIT_FAIL, "out of memory");
		if ((k = fn(t, c, s, n, it.m.v, it.m.vn)) < 0)
			return -1;
		rc |= k;
	}
	return rc;
}

/* A key of a record that builds the columns: a column if it is new. */
static int
add_key(sz_tool *t, struct tocsv *c, const char *k, size_t kn,
    const char *v, size_t vn)
{
	(void)v;
	(void)vn;
	if (col_find(c, k, kn) < 0 && col_add(c, k, kn) != 0)
		return sz_fail(t, SZ_EXIT_FAIL, "out of memory");
	return 0;
}

/* Every key of the objects of the valid record p[0..n) (ix: its index or
 * NULL) that is not a column yet becomes one; non-objects are passed
 * over. 0, or -1 (status set). */
static int
add_keys(sz_tool *t, struct tocsv *c, const char *p, size_t n,
    const sz_jindex *ix)
{
	objs o;
	const char *v;
	size_t vn;

	objs_init(&o, p, n);
	while (objs_next(&o, &v, &vn)) {
		c->guess = 0;
		if (*v == '{' &&
		    members(t, c, v, vn, o.array ? NULL : ix, add_key) != 0)
			return -1;
	}
	return 0;
}

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
static int
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
static int
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
static int
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

/* The columns are known: write the header and the rows held back. */
static int
release(sz_tool *t, struct tocsv *c)
{
	size_t b = 0;
	int rc = 0;

	c->have_cols = 1;
	if (!c->header_done && c->ncols > 0 && write_header(t, c) != 0)
		rc = -1;
	for (size_t i = 0; i < c->nheld && rc == 0; b = c->hend[i++])
		rc = write_rows(t, c, c->held.p + b, c->hend[i] - b, NULL,
		    NULL);
	c->nheld = 0;
	sz_buf_free(&c->held);
	return rc;
}

/* Hold a record back until the columns are known. */
static int
hold(sz_tool *t, struct tocsv *c, const sz_rec *r)
{
	if (c->nheld == c->aheld) {
		size_t na = c->aheld ? 2 * c->aheld : 64;
		size_t *ne = realloc(c->hend, na * sizeof(*ne));

		if (ne == NULL)
			return sz_fail(t, SZ_EXIT_FAIL, "out of memory");
		c->hend = ne;
		c->aheld = na;
	}
	if (sz_buf_add(&c->held, r->p, r->n) != 0)
		return sz_fail(t, SZ_EXIT_FAIL, "out of memory");
	c->hend[c->nheld++] = c->held.len;
	return 0;
}

/* ---- callbacks ----------------------------------------------------- */

static int
tocsv_record(sz_tool *t, const sz_rec *r)
{
	struct tocsv *c = t->ud;
	int rc;

	if ((rc = check_shape(t, r)) != 0)
		return rc < 0 ? -1 : 0;
	if (!c->have_cols) {
		/* The columns are the keys of the first --header-from
		 * records, or of those that fit in --max-bytes. */
		if (add_keys(t, c, r->p, r->n, r->ix) != 0)
			return -1;
		if (++c->nseen < c->header_from &&
		    c->held.len + r->n <= c->max_bytes)
			return hold(t, c, r);
		if (release(t, c) != 0)
			return -1;
	} else if (!c->extra_drop && *sz_json_ws(r->p, r->p + r->n) == '[' &&
	    (rc = check_extra(t, c, r)) != 0)
		return rc < 0 ? -1 : 0;	/* an array is checked whole first */
	rc = write_rows(t, c, r->p, r->n, r->ix, r);
	return rc < 0 ? -1 : 0;
}

/* End of input (or a stop): the rows held back are written; with
 * --columns or --scan the header is written even when no record came. */
static int
tocsv_end(sz_tool *t)
{
	struct tocsv *c = t->ud;

	if (!c->have_cols && c->nheld > 0)
		release(t, c);
	if (c->have_cols && !c->header_done && t->status == 0)
		write_header(t, c);
	return 0;
}

static void
tocsv_stats(sz_tool *t, sz_statv *v)
{
	struct tocsv *c = t->ud;

	sz_stat_counter(v, "extra_dropped", c->extra_dropped);
}

static const sz_proc tocsv_proc = {
	.record = tocsv_record,
	.end = tocsv_end,
	.stats = tocsv_stats,
};

/* ---- --scan -------------------------------------------------------- */

/*
 * Read the FILE `path` once, before the run, and make every key of its
 * records a column. Lines that are not JSON, records that are not
 * objects and over-long lines are passed over: the run reports them.
 * Returns -1 to go on, or an exit status (after its message).
 */
static int
scan_file(sz_tool *t, struct tocsv *c, const char *path)
{
	enum { BUFSZ = 1 << 16 };
	struct stat st;
	sz_framer fr;
	sz_rec rec;
	char *buf;
	int fd, rc = -1, fr_rc;
	ssize_t k;

	if (strcmp(path, "-") == 0)
		return sz_usage(t, "--scan: standard input cannot be read "
		    "twice: give the records as a FILE, or use "
		    "--header-from=N");
	/* stat(2) first: opening a FIFO would wait for its writer. */
	if (stat(path, &st) != 0)
		return -1;		/* the run says why */
	if (S_ISREG(st.st_mode)) {
		if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)) < 0)
			return -1;	/* the run says why */
		if (fstat(fd, &st) != 0) {
			close(fd);
			return -1;
		}
		if (!S_ISREG(st.st_mode))
			close(fd);	/* replaced since stat(2) */
	}
	if (!S_ISREG(st.st_mode))
		return sz_usage(t, "--scan: %s is not a regular file: it "
		    "cannot be read twice (use --header-from=N)", path);
	if ((buf = malloc(BUFSZ)) == NULL) {
		close(fd);
		sz_msg(t, "error", NULL, 0, "out of memory");
		return SZ_EXIT_FAIL;
	}
	sz_framer_init(&fr, path, t->o.max_record);
	do {
		while ((k = read(fd, buf, BUFSZ)) < 0 && errno == EINTR)
			;
		if (k > 0)
			sz_framer_feed(&fr, buf, (size_t)k);
		else
			sz_framer_finish(&fr);	/* a read error: the run
						   reports it */
		while ((fr_rc = sz_framer_next(&fr, &rec)) == SZ_FR_REC) {
			const char *p;

			if (sz_json_validate(rec.p, rec.n, NULL, NULL) != 0)
				continue;
			p = sz_json_ws(rec.p, rec.p + rec.n);
			if ((*p == '{' || *p == '[') &&
			    add_keys(t, c, rec.p, rec.n, NULL) != 0) {
				rc = SZ_EXIT_FAIL;	/* out of memory */
				goto out;
			}
			if (c->names.len > c->max_bytes) {
				sz_msg(t, "error", path, rec.line, "--scan: "
				    "the names of the columns take more than "
				    "--max-bytes (%llu bytes)",
				    (unsigned long long)c->max_bytes);
				rc = SZ_EXIT_DATA;
				goto out;
			}
		}
		if (fr_rc == SZ_FR_NOMEM) {
			sz_msg(t, "error", NULL, 0, "out of memory");
			rc = SZ_EXIT_FAIL;
		}
	} while (fr_rc == SZ_FR_NEED && k > 0);
out:
	sz_framer_free(&fr);
	free(buf);
	close(fd);
	return rc;
}

static int
tocsv_option(sz_tool *t, int ch)
{
	struct tocsv *c = t->ud;

	if (sz_csv_opt(&c->csv, ch, optarg, t->o.err, sizeof(t->o.err)) < 0)
		return '?';
	if (ch == OPT_CRLF)
		c->crlf = 1;
	else if (ch == OPT_STRICT)
		c->extra_drop = 0;
	else if (ch == OPT_EXTRA) {
		if (strcmp(optarg, "error") == 0 || strcmp(optarg, "drop") == 0)
			c->extra_drop = optarg[0] == 'd';
		else
			return sz_opt_fail(&t->o, "--extra: '%s' is not error "
			    "or drop", optarg);
	} else if (ch == OPT_HEADER_FROM) {
		c->header_from_set = 1;
		return sz_opt_count(&t->o, "--header-from", 1, UINT64_MAX,
		    &c->header_from);
	} else if (ch == OPT_SCAN)
		c->scan = 1;
	else if (ch == OPT_MAXBYTES)
		return sz_opt_size(&t->o, "--max-bytes", &c->max_bytes);
	return 0;
}

static int
tocsv_start(sz_tool *t)
{
	struct tocsv *c = t->ud;

	c->special[c->csv.delim] = c->special['"'] = 1;
	c->special['\r'] = c->special['\n'] = 1;
	if (c->csv.have_cols && (c->scan || c->header_from_set))
		return sz_usage(t, "%s: --columns names the columns already",
		    c->scan ? "--scan" : "--header-from");
	if (c->scan && c->header_from_set)
		return sz_usage(t, "--scan and --header-from: give one of "
		    "them");
	if (c->scan) {
		if (t->argc == 0)
			return sz_usage(t, "--scan: standard input cannot be "
			    "read twice: give the records as a FILE, or use "
			    "--header-from=N");
		for (int i = 0; i < t->argc; i++) {
			int rc = scan_file(t, c, t->argv[i]);

			if (rc >= 0)
				return rc;
		}
		c->have_cols = c->ncols > 0;
		return -1;
	}
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
	sz_buf_free(&c->msg);
	sz_buf_free(&c->held);
	free(c->hend);
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
	c->header_from = 1;
	c->max_bytes = (uint64_t)64 << 20;
}

static const sz_tool_def tocsv_def = {
	.init = tocsv_init,
	.prog = "sz-to-csv", .usage = usage, .shortopts = "d:",
	.longopts = longopts, .proc = &tocsv_proc, .option = tocsv_option,
	.start = tocsv_start, .done = tocsv_done,
};

SZ_TOOL_MAIN(tocsv_def, struct tocsv)
