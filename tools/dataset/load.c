/* SPDX-License-Identifier: MIT */
/*
 * load.c - a version of a dataset directory as a sorted dataset: its
 * snapshot, or the nearest snapshot and the deltas (forward or reverse)
 * from there, each step checked against the blob's states; see ds.h.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json/json.h"

#include "ds.h"

/* One op of a delta: 1 upsert, 2 delete, with its key (and record). */
static int
read_op(ds_in *d, const char **k, size_t *kn, const char **r, size_t *rn,
    sz_buf *err)
{
	const char *p, *reason, *op;
	size_t n, off, on;
	int got;

	if ((got = ds_in_line(d, &p, &n, err)) <= 0)
		return got;
	if (sz_json_validate(p, n, &reason, &off) != 0 ||
	    (op = ds_member(p, n, "op", &on)) == NULL ||
	    (*k = ds_member(p, n, "key", kn)) == NULL)
		return ds_errf(err, "%s:%lu: not a change", d->path, d->lineno);
	if (on == 8 && memcmp(op, "\"upsert\"", 8) == 0) {
		if ((*r = ds_member(p, n, "record", rn)) == NULL)
			return ds_errf(err, "%s:%lu: an upsert without its "
			    "record", d->path, d->lineno);
		return 1;
	}
	if (on == 8 && memcmp(op, "\"delete\"", 8) == 0)
		return 2;
	return ds_errf(err, "%s:%lu: not a change (op %.*s)", d->path,
	    d->lineno, (int)on, op);
}

int
ds_apply(ds_stream *old, ds_in *d, const ds_hdr *h, ds_spool *out,
    sz_buf *err)
{
	const char *ok = NULL, *orr = NULL, *dk = NULL, *dr = NULL;
	size_t okn = 0, orn = 0, dkn = 0, drn = 0;
	sz_buf last = SZ_BUF_INIT;
	uint64_t ups = 0, dels = 0;
	int oh, dh, c, rc = -1;

	oh = old->next(old->ud, &ok, &okn, &orr, &orn, err);
	dh = oh < 0 ? -1 : read_op(d, &dk, &dkn, &dr, &drn, err);
	while (oh > 0 || dh > 0) {
		if (oh < 0 || dh < 0)
			goto out;
		c = oh == 0 ? 1 : dh == 0 ? -1 : ds_keycmp(ok, okn, dk, dkn);
		if (c < 0) {
			if (ds_spool_line(out, orr, orn, err) != 0)
				goto out;
			oh = old->next(old->ud, &ok, &okn, &orr, &orn, err);
			continue;
		}
		if (dh == 2 && c > 0) {
			ds_errf(err, "%s:%lu: a delete of a key that is not in "
			    "the version", d->path, d->lineno);
			goto out;
		}
		if (dh == 1) {
			if (ds_spool_line(out, dr, drn, err) != 0)
				goto out;
			ups++;
		} else
			dels++;
		if (c == 0)
			oh = old->next(old->ud, &ok, &okn, &orr, &orn, err);
		/* Ops ascend strictly. */
		sz_buf_reset(&last);
		if (sz_buf_add(&last, dk, dkn) != 0) {
			ds_errf(err, "out of memory");
			goto out;
		}
		dh = read_op(d, &dk, &dkn, &dr, &drn, err);
		if (dh > 0 && ds_keycmp(last.p, last.len, dk, dkn) >= 0) {
			ds_errf(err, "%s:%lu: changes out of order", d->path,
			    d->lineno);
			goto out;
		}
	}
	if (oh < 0 || dh < 0)
		goto out;
	if (ups != h->upserts || dels != h->deletes) {
		ds_errf(err, "%s: %" PRIu64 " upserts and %" PRIu64 " deletes, "
		    "the header says %" PRIu64 " and %" PRIu64, d->path, ups,
		    dels, h->upserts, h->deletes);
		goto out;
	}
	if (ds_spool_end(out, err) != 0)
		goto out;
	if (strcmp(out->state, h->to_state) != 0) {
		ds_errf(err, "%s: the version it gives has state %s, not %s",
		    d->path, out->state, h->to_state);
		goto out;
	}
	rc = 0;
out:
	sz_buf_free(&last);
	return rc;
}

static char *
blob_path(const char *dir, const char *fmt, ds_ver a, ds_ver b)
{
	char va[DS_VER_MAX], vb[DS_VER_MAX], name[80];
	size_t n;
	char *p;

	ds_ver_fmt(a, va);
	ds_ver_fmt(b, vb);
	snprintf(name, sizeof(name), fmt, va, vb);
	n = strlen(dir) + strlen(name) + 2;
	if ((p = malloc(n)) != NULL)
		snprintf(p, n, "%s/%s", dir, name);
	return p;
}

/* The key expression of a snapshot header: compiled the first time,
 * the same text after. */
static int
take_key(const ds_hdr *h, const char *path, sz_tool *t, sz_expr *key,
    char keysrc[512], sz_buf *err)
{
	sz_buf cerr = SZ_BUF_INIT;

	if (keysrc[0] != '\0') {
		if (strcmp(keysrc, h->key) != 0) {
			ds_errf(err, "%s: keyed by %s, not %s", path, h->key,
			    keysrc);
			return -2;
		}
		return 0;
	}
	if (sz_expr_compile(key, h->key, &t->vars, 1, &cerr) != 0) {
		ds_errf(err, "%s: its key %s does not compile: %s", path, h->key,
		    cerr.p ? cerr.p : "");
		sz_buf_free(&cerr);
		return -1;
	}
	sz_buf_free(&cerr);
	snprintf(keysrc, 512, "%s", h->key);
	return 0;
}

/* snapshot-V into out, its state checked. */
static int
load_snapshot(const char *dir, ds_ver v, sz_tool *t, sz_expr *key,
    ds_spool *out, char keysrc[512], sz_buf *err)
{
	char *path = blob_path(dir, "snapshot-%s", v, 0);
	ds_in in;
	ds_hdr h;
	const char *p;
	size_t n;
	int got, rc = -1;

	if (path == NULL)
		return ds_errf(err, "out of memory");
	if (ds_in_open(&in, path, err) != 0) {
		free(path);
		return -1;
	}
	if (ds_in_header(&in, &h, err) != 0)
		goto out;
	if (h.kind != DS_SNAPSHOT || h.version != v) {
		ds_errf(err, "%s: not the snapshot of its name", path);
		goto out;
	}
	if ((rc = take_key(&h, path, t, key, keysrc, err)) != 0)
		goto out;
	rc = -1;
	/* Validated here, once: a loaded version's spool is read without
	 * (ds_snapin's trusted). */
	while ((got = ds_in_line(&in, &p, &n, err)) == 1) {
		const char *why;
		size_t off;

		if (sz_json_validate(p, n, &why, &off) != 0) {
			ds_errf(err, "%s:%lu: not JSON (%s)", path, in.lineno,
			    why);
			goto out;
		}
		if (ds_spool_line(out, p, n, err) != 0)
			goto out;
	}
	if (got < 0 || ds_spool_end(out, err) != 0)
		goto out;
	if (strcmp(out->state, h.state) != 0 || out->lines != h.records) {
		ds_errf(err, "%s: its records do not match its header (state "
		    "%s, %" PRIu64 " records)", path, out->state, out->lines);
		goto out;
	}
	rc = 0;
out:
	ds_in_close(&in);
	free(path);
	return rc;
}

/* One step from `cur` (the dataset of version a in *cur) through the
 * delta at path to version b, into a new spool that replaces *cur. */
static int
step(const char *dir, const char *path, ds_ver a, ds_ver b, sz_expr *key,
    ds_spool *cur, sz_buf *err)
{
	ds_snapin s;
	ds_stream old = { ds_snapin_next, &s };
	ds_spool next;
	ds_in d;
	ds_hdr h;
	int rc = -1;

	memset(&s, 0, sizeof(s));
	s.key = key;
	s.trusted = 1;		/* cur: a loaded, checked version */
	if (ds_in_open(&d, path, err) != 0)
		return -1;
	if (ds_in_header(&d, &h, err) != 0)
		goto out0;
	if (h.kind != DS_DELTA || h.from != a || h.to != b) {
		ds_errf(err, "%s: not the delta of its name", path);
		goto out0;
	}
	if (strcmp(h.from_state, cur->state) != 0) {
		ds_errf(err, "%s: it applies to state %s, the version has %s",
		    path, h.from_state, cur->state);
		goto out0;
	}
	if (ds_spool_open(&next, dir, err) != 0)
		goto out0;
	if (ds_in_fd(&s.in, cur->fd, path, err) != 0)
		goto out1;
	if (ds_apply(&old, &d, &h, &next, err) != 0)
		goto out2;
	ds_spool_close(cur);
	*cur = next;
	next.fd = -1;
	rc = 0;
out2:
	ds_in_close(&s.in);
	sz_buf_free(&s.kb);
	sz_buf_free(&s.last);
out1:
	if (rc != 0)
		ds_spool_close(&next);
out0:
	ds_in_close(&d);
	return rc;
}

int
ds_load(const char *dir, const ds_list *l, ds_ver v, sz_tool *t,
    sz_expr *key, ds_spool *out, char keysrc[512], sz_buf *err)
{
	ds_ver s = 0, x, y, lo = 0, hi = 0;
	size_t fsteps = 0, rsteps = 0;
	int k;

	/* The nearest snapshot at or below v with every forward delta up
	 * to v, and the nearest above with every reverse delta down. */
	for (x = v; x != 0; x = ds_list_prev(l, x)) {
		if (ds_list_has_snap(l, x)) {
			lo = x;
			break;
		}
		if ((y = ds_list_prev(l, x)) == 0 || !ds_list_has_fwd(l, y, x))
			break;
		fsteps++;
	}
	for (x = v; x != 0; x = ds_list_next(l, x)) {
		if (ds_list_has_snap(l, x)) {
			hi = x;
			break;
		}
		if ((y = ds_list_next(l, x)) == 0 || !ds_list_has_rev(l, y, x))
			break;
		rsteps++;
	}
	if (lo == 0 && hi == 0)
		return ds_errf(err, "%s: version %" PRIu64 " cannot be loaded (no "
		    "snapshot with deltas up to it)", dir, v);
	s = lo != 0 && (hi == 0 || fsteps <= rsteps) ? lo : hi;
	if (ds_spool_open(out, dir, err) != 0)
		return -1;
	if ((k = load_snapshot(dir, s, t, key, out, keysrc, err)) != 0) {
		ds_spool_close(out);
		return k;
	}
	if (key == NULL)
		goto fail;
	for (x = s; x != v;) {
		char *path;
		int rc;

		y = s < v ? ds_list_next(l, x) : ds_list_prev(l, x);
		path = s < v ? blob_path(dir, "delta-%s-%s", x, y) :
		    blob_path(dir, "reversedelta-%s-%s", x, y);
		if (path == NULL) {
			ds_errf(err, "out of memory");
			goto fail;
		}
		rc = step(dir, path, x, y, key, out, err);
		free(path);
		if (rc != 0)
			goto fail;
		x = y;
	}
	return 0;
fail:
	ds_spool_close(out);
	return -1;
}
