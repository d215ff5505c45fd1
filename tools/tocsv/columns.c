/* SPDX-License-Identifier: MIT */
/*
 * columns.c - the columns of sz-to-csv: a list of names with a hash
 * table, the objects of a record (itself, or the elements of an array),
 * their keys, and --scan, which reads the FILEs once before the run.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/hash.h"
#include "json/json.h"
#include "tocsv.h"

/* ---- columns ------------------------------------------------------- */

const char *
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
long
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
int
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

/* ---- the objects of a record ---------------------------------------- */

void
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
int
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

/* Walk the members of an object (tocsv.h). */
int
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
int
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

/* ---- --scan -------------------------------------------------------- */

/*
 * Read the FILE `path` once, before the run, and make every key of its
 * records a column. Lines that are not JSON, records that are not
 * objects and over-long lines are passed over: the run reports them.
 * Returns -1 to go on, or an exit status (after its message).
 */
int
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
	memset(&fr, 0, sizeof(fr));	/* init keeps (reuses) its buffer */
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
