/* SPDX-License-Identifier: MIT */
/*
 * sz-publish - publish a new version of a keyed dataset into a directory:
 * a snapshot, a delta and a reverse delta from the announced version,
 * then the announcement; nothing when the data did not change.
 *
 * The records are read whole (or, with --changes, change ops applied to
 * the announced version), sorted by key with an external sort, merged
 * with the announced version as a stream, and written as blobs (ds.h,
 * sz-publish(1)).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "json/json.h"
#include "run/key.h"

#include "ds.h"

static const char usage[] =
"Usage: sz-publish --dir DIR -k EXPR [OPTION]... [FILE]...\n"
"       sz-publish pin --dir DIR VERSION\n"
"       sz-publish unpin --dir DIR\n"
"Publish the NDJSON records read (the whole dataset, the last record per\n"
"key winning) as a new version in DIR: a snapshot, a delta and a reverse\n"
"delta from the announced version, then the announcement. Nothing is\n"
"written when the data did not change. A summary goes to stdout.\n"
"\n"
"      --dir DIR            the dataset's directory (created if missing)\n"
SZ_KEY_HELP
"      --changes            the input is change ops ({\"op\":\"upsert\",\n"
"                           \"key\":K,\"record\":R}, {\"op\":\"delete\",\n"
"                           \"key\":K}) applied to the announced version\n"
"      --on-duplicate=last|first|error  which record of a key is kept\n"
"                           (default last)\n"
"      --allow-empty        publish an empty dataset (else exit 65)\n"
"      --max-change PCT     refuse (exit 65) when changed and removed\n"
"                           records pass PCT %% of the announced version's\n"
"      --snapshot-every N   a snapshot every N versions (default 1)\n"
"      --keep N             keep what loads the last N versions (default\n"
"                           10), delete the other blobs\n"
"      --max-memory SIZE    memory for sorting (default 256MiB), then\n"
"                           temporary files in DIR\n"
"      --compress=zstd|none compress the blobs (default none)\n"
"      --versions=time|counter  version numbers: yyyyMMddHHmmss and a\n"
"                           counter (default), or 1, 2, 3, ...\n"
SZ_KEY_NOFAST_HELP
SZ_JQ_HELP_VARS;

enum {
	OPT_DIR = SZ_OPT_TOOL, OPT_CHANGES, OPT_ONDUP, OPT_EMPTY,
	OPT_MAXCHANGE, OPT_SNAPEVERY, OPT_KEEP, OPT_MAXMEM, OPT_COMPRESS,
	OPT_VERSIONS
};

static const struct option longopts[] = {
	{ "dir", required_argument, NULL, OPT_DIR },
	SZ_KEY_LONGOPTS,
	{ "changes", no_argument, NULL, OPT_CHANGES },
	{ "on-duplicate", required_argument, NULL, OPT_ONDUP },
	{ "allow-empty", no_argument, NULL, OPT_EMPTY },
	{ "max-change", required_argument, NULL, OPT_MAXCHANGE },
	{ "snapshot-every", required_argument, NULL, OPT_SNAPEVERY },
	{ "keep", required_argument, NULL, OPT_KEEP },
	{ "max-memory", required_argument, NULL, OPT_MAXMEM },
	{ "compress", required_argument, NULL, OPT_COMPRESS },
	{ "versions", required_argument, NULL, OPT_VERSIONS },
	SZ_JQ_LONGOPTS,
	{ NULL, 0, NULL, 0 }
};


struct pub {
	sz_key key;
	const char *dir;
	int changes, ondup, allow_empty, zstd, counter;
	double max_change;
	int have_max_change;
	uint64_t snap_every, keep, max_mem;
	sz_xsort *xs;
	uint64_t nin;			/* records (or ops) taken */
	sz_buf canon, val, tmp;
	uint64_t dups;
	sz_tool *t;
};

/* ---- records ------------------------------------------------------------ */

/* --changes: an op: its key, and 'u' + record or 'd'. */
static int
take_op(struct pub *p, sz_tool *t, const sz_rec *r)
{
	const char *op, *k, *rec;
	size_t on, kn, rn;
	sz_rec inner;
	int rc;

	if (sz_json_type(r->p, r->p + r->n) != SZ_JOBJECT ||
	    (op = ds_member(r->p, r->n, "op", &on)) == NULL ||
	    (k = ds_member(r->p, r->n, "key", &kn)) == NULL)
		return sz_bad(t, r, "validation", 1, "not a change op "
		    "({\"op\":\"upsert\"|\"delete\",\"key\":K,...})");
	sz_buf_reset(&p->canon);
	sz_buf_reset(&p->val);
	if (sz_json_canon(k, kn, &p->canon) != 0)
		return sz_fail(t, SZ_EXIT_FAIL, "out of memory");
	if (on == 8 && memcmp(op, "\"delete\"", 8) == 0) {
		if (sz_buf_addc(&p->val, 'd') != 0)
			return sz_fail(t, SZ_EXIT_FAIL, "out of memory");
	} else if (on == 8 && memcmp(op, "\"upsert\"", 8) == 0) {
		if ((rec = ds_member(r->p, r->n, "record", &rn)) == NULL ||
		    sz_json_type(rec, rec + rn) != SZ_JOBJECT)
			return sz_bad(t, r, "validation", 1, "an upsert "
			    "without its record (an object)");
		/* The record's own key must be the op's. */
		inner = *r;
		inner.p = rec;
		inner.n = rn;
		inner.ix = NULL;
		if ((rc = sz_key_get(&p->key, t, &inner)) != 1)
			return rc;
		if (ds_keycmp(p->key.kb.p, p->key.kb.len, p->canon.p,
		    p->canon.len) != 0)
			return sz_bad(t, r, "validation", 1, "the record's "
			    "key %s is not the op's key %s", p->key.kb.p,
			    p->canon.p);
		if (sz_buf_addc(&p->val, 'u') != 0 ||
		    sz_json_canon(rec, rn, &p->val) != 0)
			return sz_fail(t, SZ_EXIT_FAIL, "out of memory");
	} else
		return sz_bad(t, r, "validation", 1, "op %.*s is not "
		    "\"upsert\" or \"delete\"", (int)(on > 40 ? 40 : on), op);
	if (sz_xsort_add(p->xs, p->canon.p, p->canon.len, p->val.p,
	    p->val.len) != 0)
		return sz_fail(t, SZ_EXIT_FAIL, "%s", sz_xsort_error(p->xs));
	p->nin++;
	return 0;
}

static int
pub_record(sz_tool *t, const sz_rec *r)
{
	struct pub *p = t->ud;
	int rc;

	if (p->changes)
		return take_op(p, t, r);
	if ((rc = sz_key_get(&p->key, t, r)) != 1)
		return rc;
	/* The record as it came: the canonical text is made for the one
	 * kept of each key (ds_uniq's canon). */
	if (sz_xsort_add(p->xs, p->key.kb.p, p->key.kb.len, r->p, r->n) != 0)
		return sz_fail(t, SZ_EXIT_FAIL, "%s", sz_xsort_error(p->xs));
	p->nin++;
	return 0;
}

/* ---- merging: the new version, the delta, the reverse delta -------- */

struct out3 {
	ds_spool snap, fwd, rev;
	int write_snap, write_ops;
	uint64_t records, added, changed, removed;
	sz_buf line;
};

/* One op into the spool s. */
static int
op_line(ds_spool *s, sz_buf *b, const char *k, size_t kn, const char *r,
    size_t rn, sz_buf *err)
{
	if (ds_op_line(b, k, kn, r, rn) != 0)
		return ds_errf(err, "out of memory");
	return ds_spool_line(s, b->p, b->len, err);
}

static sz_buf *join_err;

static int
on_pair(void *ud, const char *k, size_t kn, const char *old, size_t on,
    const char *nw, size_t nn, int eq)
{
	struct out3 *o = ud;

	if (nw != NULL) {
		o->records++;
		if (o->write_snap && ds_spool_line(&o->snap, nw, nn,
		    join_err) != 0)
			return -1;
	}
	if (eq)
		return 0;
	if (old == NULL)
		o->added++;
	else if (nw == NULL)
		o->removed++;
	else
		o->changed++;
	if (o->write_ops && (op_line(&o->fwd, &o->line, k, kn, nw, nn,
	    join_err) != 0 || op_line(&o->rev, &o->line, k, kn, old, on,
	    join_err) != 0))
		return -1;
	return 0;
}

/* --changes: the announced version with the ops applied. */
struct applied {
	ds_stream old;
	ds_snapin in;		/* the old version's second reader */
	ds_uniq *ops;
	const char *ok, *orr, *xk, *xr;
	size_t okn, orn, xkn, xrn;
	int oh, xh, started, adv_o, adv_x;
};

static int
applied_next(void *ud, const char **k, size_t *kn, const char **r,
    size_t *rn, sz_buf *err)
{
	struct applied *a = ud;
	int c;

	if (!a->started) {
		a->started = 1;
		a->adv_o = a->adv_x = 1;
	}
	if (a->adv_o) {
		a->adv_o = 0;
		a->oh = a->old.next(a->old.ud, &a->ok, &a->okn, &a->orr,
		    &a->orn, err);
	}
	if (a->adv_x) {
		a->adv_x = 0;
		a->xh = a->oh < 0 ? -1 : ds_uniq_next(a->ops, &a->xk, &a->xkn,
		    &a->xr, &a->xrn, err);
	}
	for (;;) {
		if (a->oh < 0 || a->xh < 0)
			return -1;
		if (a->oh == 0 && a->xh == 0)
			return 0;
		c = a->oh == 0 ? 1 : a->xh == 0 ? -1 :
		    ds_keycmp(a->ok, a->okn, a->xk, a->xkn);
		if (c < 0) {
			*k = a->ok, *kn = a->okn, *r = a->orr, *rn = a->orn;
			a->adv_o = 1;
			return 1;
		}
		if (c == 0)	/* replaced or deleted */
			a->oh = a->old.next(a->old.ud, &a->ok, &a->okn,
			    &a->orr, &a->orn, err);
		if (a->xr[0] == 'u') {
			*k = a->xk, *kn = a->xkn;
			*r = a->xr + 1, *rn = a->xrn - 1;
			a->adv_x = 1;
			return 1;
		}
		/* A delete (of a key that is not there: nothing). */
		a->xh = ds_uniq_next(a->ops, &a->xk, &a->xkn, &a->xr, &a->xrn,
		    err);
	}
}

/* A copy of a spool (a second reader needs its own offset). */
static int
spool_copy(const char *dir, ds_spool *from, ds_spool *to, sz_buf *err)
{
	ds_in in;
	const char *lp;
	size_t ln;
	int got;

	if (ds_spool_open(to, dir, err) != 0)
		return -1;
	if (ds_in_fd(&in, from->fd, "the announced version", err) != 0) {
		ds_spool_close(to);
		return -1;
	}
	while ((got = ds_in_line(&in, &lp, &ln, err)) == 1)
		if (ds_spool_line(to, lp, ln, err) != 0) {
			got = -1;
			break;
		}
	ds_in_close(&in);
	if (got < 0 || ds_spool_end(to, err) != 0) {
		ds_spool_close(to);
		return -1;
	}
	return 0;
}

/* ---- the directory ------------------------------------------------------ */

static int
empty_next(void *ud, const char **k, size_t *kn, const char **r, size_t *rn,
    sz_buf *err)
{
	(void)ud, (void)k, (void)kn, (void)r, (void)rn, (void)err;
	return 0;
}

static void
now_rfc3339(char out[64])
{
	struct timeval tv;
	struct tm tm;
	time_t s;

	gettimeofday(&tv, NULL);
	s = tv.tv_sec;
	gmtime_r(&s, &tm);
	snprintf(out, 64, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ",
	    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
	    tm.tm_min, tm.tm_sec, (int)(tv.tv_usec / 1000));
}

/* Write one blob; its size into the summary. */
static int
put_blob(struct pub *p, const char *name, sz_buf *hdr, ds_spool *body,
    sz_buf *summary, sz_buf *err)
{
	uint64_t size;

	if (sz_buf_addc(hdr, '\n') != 0)
		return -1;
	if (ds_blob_write(p->dir, name, hdr->p, hdr->len, body, p->zstd,
	    &size, err) != 0)
		return -1;
	if (summary->len > 0 && sz_buf_addc(summary, ',') != 0)
		return -1;
	return sz_buf_printf(summary, "\"%s\":%" PRIu64, name, size);
}

/* A snapshot's header line (without its newline) into hdr: 0, or -1. */
static int
snap_header(sz_buf *hdr, const char *vv, const char *keysrc,
    uint64_t records, const char *state, const char *created)
{
	sz_buf_reset(hdr);
	return sz_buf_printf(hdr, "{\"sz_blob\":\"snapshot\",\"version\":"
	    "\"%s\",\"key\":", vv) != 0 ||
	    sz_buf_add_jstr(hdr, keysrc, strlen(keysrc)) != 0 ||
	    sz_buf_printf(hdr, ",\"records\":%" PRIu64 ",\"state\":"
	    "\"%s\",\"created\":\"%s\"}", records, state, created) != 0 ?
	    -1 : 0;
}

/* Remove what no longer serves the last --keep versions. */
static int
prune(struct pub *p, sz_buf *err)
{
	ds_list l;
	ds_ver oldest, base, x, y;
	char name[80], va[DS_VER_MAX], vb[DS_VER_MAX];
	int rc = 0;

	if (ds_list_read(p->dir, &l, err) != 0)
		return -1;
	if (l.nvers <= p->keep) {
		ds_list_free(&l);
		return 0;
	}
	oldest = l.vers[l.nvers - p->keep];
	/* The snapshot that loads the oldest kept version: at or below it
	 * with forward deltas up to it. */
	base = 0;
	for (x = oldest; x != 0; x = y) {
		if (ds_list_has_snap(&l, x)) {
			base = x;
			break;
		}
		if ((y = ds_list_prev(&l, x)) == 0 || !ds_list_has_fwd(&l, y, x))
			break;
	}
	if (base == 0) {
		/* Nothing below loads it: keep everything (a reverse chain
		 * from above does). */
		ds_list_free(&l);
		return 0;
	}
	for (size_t i = 0; i < l.nsnap && rc == 0; i++)
		if (l.snap[i] < base) {
			ds_ver_fmt(l.snap[i], va);
			snprintf(name, sizeof(name), "snapshot-%s", va);
			rc = ds_remove(p->dir, name, err);
		}
	for (size_t i = 0; i < l.nfwd && rc == 0; i++)
		if (l.fwd[i].a < base) {
			ds_ver_fmt(l.fwd[i].a, va);
			ds_ver_fmt(l.fwd[i].b, vb);
			snprintf(name, sizeof(name), "delta-%s-%s", va, vb);
			rc = ds_remove(p->dir, name, err);
		}
	for (size_t i = 0; i < l.nrev && rc == 0; i++)
		if (l.rev[i].a < oldest) {
			ds_ver_fmt(l.rev[i].b, vb);
			ds_ver_fmt(l.rev[i].a, va);
			snprintf(name, sizeof(name), "reversedelta-%s-%s", vb,
			    va);
			rc = ds_remove(p->dir, name, err);
		}
	ds_list_free(&l);
	return rc;
}

/* Versions since the last snapshot at or below a (0 when a has one). */
static uint64_t
since_snapshot(const ds_list *l, ds_ver a)
{
	uint64_t n = 0;
	ds_ver x, y;

	for (x = a; x != 0 && !ds_list_has_snap(l, x); x = y, n++)
		if ((y = ds_list_prev(l, x)) == 0 || !ds_list_has_fwd(l, y, x))
			return UINT64_MAX;
	return n;
}

static int
publish(struct pub *p, sz_tool *t)
{
	sz_buf err = SZ_BUF_INIT, hdr = SZ_BUF_INIT, sum = SZ_BUF_INIT;
	sz_buf blobs = SZ_BUF_INIT;
	ds_list l;
	ds_ver a = 0, v;
	ds_spool old;
	ds_snapin oldin;
	ds_stream olds = { empty_next, NULL }, news;
	ds_uniq u;
	struct applied ap;
	struct out3 o;
	char keysrc[512] = "", va[DS_VER_MAX], vv[DS_VER_MAX], created[64];
	int lockfd = -1, k, rc = SZ_EXIT_FAIL, have_old = 0;
	int have_o = 0;
	uint64_t old_records = 0;

	memset(&l, 0, sizeof(l));
	memset(&u, 0, sizeof(u));
	memset(&ap, 0, sizeof(ap));
	memset(&o, 0, sizeof(o));
	memset(&oldin, 0, sizeof(oldin));
	old.fd = -1;
	u.x = p->xs;
	u.ondup = p->ondup;
	u.dups = &p->dups;
	u.canon = !p->changes;
	if ((k = ds_lock(p->dir, &lockfd, &err)) != 0) {
		rc = k == 1 ? SZ_EXIT_TEMP : SZ_EXIT_FAIL;
		goto fail;
	}
	if (sz_xsort_finish(p->xs) != 0) {
		sz_buf_reset(&err);
		sz_buf_adds(&err, sz_xsort_error(p->xs));
		goto fail;
	}
	if (ds_list_read(p->dir, &l, &err) != 0 ||
	    (k = ds_version_file(p->dir, "announced.version", &a, &err)) < 0)
		goto fail;
	if (k == 0)
		a = 0;
	if (a != 0) {
		/* The dataset's key must be -k's: compiled once. */
		snprintf(keysrc, sizeof(keysrc), "%s", p->key.keysrc);
		if ((k = ds_load(p->dir, &l, a, t, &p->key.key, &old, keysrc,
		    &err)) != 0) {
			if (k == -2)
				rc = SZ_EXIT_USAGE;
			goto fail;
		}
		have_old = 1;
		old_records = old.lines;
	}
	/* The new data: the records, or the ops applied to the old. */
	news.next = ds_uniq_next;
	news.ud = &u;
	ap.old.next = empty_next;
	ap.ops = &u;
	ap.in.key = &p->key.key;
	ap.in.trusted = oldin.trusted = 1;	/* loaded and checked */
	if (p->changes) {
		if (have_old) {
			ds_spool copy;

			if (spool_copy(p->dir, &old, &copy, &err) != 0)
				goto fail;
			k = ds_in_fd(&ap.in.in, copy.fd, "the announced "
			    "version", &err);
			ds_spool_close(&copy);	/* the reader holds a dup */
			if (k != 0)
				goto fail;
			ap.old.next = ds_snapin_next;
			ap.old.ud = &ap.in;
		}
		news.next = applied_next;
		news.ud = &ap;
	}
	if (have_old) {
		oldin.key = &p->key.key;
		if (ds_in_fd(&oldin.in, old.fd, "the announced version",
		    &err) != 0)
			goto fail;
		olds.next = ds_snapin_next;
		olds.ud = &oldin;
	}
	/* Merge: the new version, the delta and the reverse delta. A
	 * snapshot's body goes in place in its blob, after room for a
	 * header as long as the likely one (the version's and the record
	 * count's digits guessed; another length costs a copy). */
	if (!p->zstd && (a == 0 || since_snapshot(&l, a) + 1 >=
	    p->snap_every)) {
		char g[DS_VER_MAX], st[72];

		ds_ver_fmt(p->counter ? a + 1 : ds_time_version(a), g);
		memset(st, 'x', 71);
		st[71] = '\0';
		now_rfc3339(created);
		if (snap_header(&hdr, g, p->key.keysrc, a == 0 || p->changes ?
		    p->nin + old_records : old_records, st, created) != 0)
			goto nomem;
		k = ds_spool_open_blob(&o.snap, p->dir, hdr.len + 1, &err);
	} else
		k = ds_spool_open(&o.snap, p->dir, &err);
	if (k != 0)
		goto fail;
	have_o = 1;
	if (ds_spool_open(&o.fwd, p->dir, &err) != 0 ||
	    ds_spool_open(&o.rev, p->dir, &err) != 0)
		goto fail;
	o.fwd.nohash = o.rev.nohash = 1;
	o.write_snap = 1;
	o.write_ops = a != 0;	/* the first version has no deltas */
	join_err = &err;
	if (ds_join(&olds, &news, on_pair, &o, &err) != 0) {
		if (p->ondup == DS_DUP_ERROR && p->dups > 0)
			rc = SZ_EXIT_DATA;
		goto fail;
	}
	if (ds_spool_end(&o.snap, &err) != 0 || ds_spool_end(&o.fwd, &err) != 0 ||
	    ds_spool_end(&o.rev, &err) != 0)
		goto fail;
	ds_ver_fmt(a, va);
	/* Decisions: unchanged, empty, too much change. */
	if (a != 0 && o.added + o.changed + o.removed == 0) {
		sz_buf_printf(&sum, "{\"version\":\"%s\",\"unchanged\":true,"
		    "\"records\":%" PRIu64 "}", va, o.records);
		rc = sz_emit(t, sum.p, sum.len) == 0 ? SZ_EXIT_OK : SZ_EXIT_FAIL;
		goto out;
	}
	if (o.records == 0 && !p->allow_empty) {
		sz_buf_reset(&err);
		sz_buf_adds(&err, a != 0 ? "the new version is empty (publish "
		    "it with --allow-empty)" : "no records (publish an empty "
		    "dataset with --allow-empty)");
		rc = SZ_EXIT_DATA;
		goto fail;
	}
	if (a != 0 && p->have_max_change && old_records > 0 &&
	    100.0 * (double)(o.changed + o.removed) / (double)old_records >
	    p->max_change) {
		sz_buf_reset(&err);
		sz_buf_printf(&err, "%" PRIu64 " changed and %" PRIu64 " removed "
		    "of %" PRIu64 " records is more than --max-change %g%%: "
		    "nothing published", o.changed, o.removed, old_records,
		    p->max_change);
		rc = SZ_EXIT_DATA;
		goto fail;
	}
	v = p->counter ? a + 1 : ds_time_version(a);
	ds_ver_fmt(v, vv);
	now_rfc3339(created);
	if (a != 0) {
		char name[80];

		sz_buf_reset(&hdr);
		sz_buf_printf(&hdr, "{\"sz_blob\":\"delta\",\"from\":\"%s\","
		    "\"to\":\"%s\",\"from_state\":\"%s\",\"to_state\":\"%s\","
		    "\"upserts\":%" PRIu64 ",\"deletes\":%" PRIu64 "}", va, vv,
		    old.state, o.snap.state, o.added + o.changed, o.removed);
		snprintf(name, sizeof(name), "delta-%s-%s", va, vv);
		if (put_blob(p, name, &hdr, &o.fwd, &blobs, &err) != 0)
			goto fail;
		sz_buf_reset(&hdr);
		sz_buf_printf(&hdr, "{\"sz_blob\":\"delta\",\"from\":\"%s\","
		    "\"to\":\"%s\",\"from_state\":\"%s\",\"to_state\":\"%s\","
		    "\"upserts\":%" PRIu64 ",\"deletes\":%" PRIu64 "}", vv, va,
		    o.snap.state, old.state, o.changed + o.removed, o.added);
		snprintf(name, sizeof(name), "reversedelta-%s-%s", vv, va);
		if (put_blob(p, name, &hdr, &o.rev, &blobs, &err) != 0)
			goto fail;
	}
	if (a == 0 || since_snapshot(&l, a) + 1 >= p->snap_every) {
		char name[80];

		if (snap_header(&hdr, vv, p->key.keysrc, o.records,
		    o.snap.state, created) != 0)
			goto nomem;
		snprintf(name, sizeof(name), "snapshot-%s", vv);
		if (put_blob(p, name, &hdr, &o.snap, &blobs, &err) != 0)
			goto fail;
	}
	{
		char line[DS_VER_MAX + 1];
		int n = snprintf(line, sizeof(line), "%s\n", vv);

		if (ds_write_atomic(p->dir, "announced.version", line,
		    (size_t)n, &err) != 0)
			goto fail;
	}
	if (prune(p, &err) != 0)
		sz_msg(t, "warning", NULL, 0, "%s", err.p);
	if (a != 0)
		sz_buf_printf(&sum, "{\"version\":\"%s\",\"from\":\"%s\",", vv,
		    va);
	else
		sz_buf_printf(&sum, "{\"version\":\"%s\",\"from\":null,", vv);
	sz_buf_printf(&sum, "\"upserts\":%" PRIu64 ",\"deletes\":%" PRIu64
	    ",\"records\":%" PRIu64 ",\"blobs\":{%s}}", o.added + o.changed,
	    o.removed, o.records, blobs.p ? blobs.p : "");
	rc = sz_emit(t, sum.p, sum.len) == 0 ? SZ_EXIT_OK : SZ_EXIT_FAIL;
	goto out;
nomem:
	sz_buf_reset(&err);
	sz_buf_adds(&err, "out of memory");
fail:
	sz_msg(t, "error", NULL, 0, "%s", err.p ? err.p : "failed");
out:
	ds_in_close(&ap.in.in);
	sz_buf_free(&ap.in.kb);
	sz_buf_free(&ap.in.last);
	ds_in_close(&oldin.in);
	sz_buf_free(&oldin.kb);
	sz_buf_free(&oldin.last);
	if (have_old)
		ds_spool_close(&old);
	if (have_o) {
		ds_spool_close(&o.snap);
		ds_spool_close(&o.fwd);
		ds_spool_close(&o.rev);
	}
	sz_buf_free(&o.line);
	ds_uniq_free(&u);
	ds_list_free(&l);
	if (lockfd >= 0)
		close(lockfd);
	sz_buf_free(&err);
	sz_buf_free(&hdr);
	sz_buf_free(&sum);
	sz_buf_free(&blobs);
	return rc;
}

static int
pub_end(sz_tool *t)
{
	struct pub *p = t->ud;
	int rc;

	/* A stop or a failure publishes nothing. */
	if (t->stopsig != 0 || t->status != 0)
		return 0;
	rc = publish(p, t);
	if (rc != 0 && t->status == 0)
		t->status = rc;
	return rc == 0 ? 0 : -1;
}

static void
pub_stats(sz_tool *t, sz_statv *v)
{
	struct pub *p = t->ud;

	sz_stat_counter(v, "duplicates", p->dups);
	sz_stat_counter(v, "sort_runs", p->xs ? sz_xsort_runs(p->xs) : 0);
}

static const sz_proc pub_proc = {
	.record = pub_record,
	.end = pub_end,
	.stats = pub_stats,
};

/* ---- pin, unpin ------------------------------------------------------- */

static int
pin(struct pub *p, sz_tool *t, const char *vs)
{
	sz_buf err = SZ_BUF_INIT;
	ds_list l;
	ds_ver v;
	ds_spool s;
	sz_expr key;
	char keysrc[512] = "", line[DS_VER_MAX + 1];
	int n, rc = SZ_EXIT_FAIL;

	if (!ds_ver_parse(vs, strlen(vs), &v))
		return sz_usage(t, "pin: '%s' is not a version", vs);
	memset(&key, 0, sizeof(key));
	if (ds_list_read(p->dir, &l, &err) != 0)
		goto out;
	/* Only a version that loads. */
	if (ds_load(p->dir, &l, v, t, &key, &s, keysrc, &err) != 0) {
		ds_list_free(&l);
		goto out;
	}
	ds_spool_close(&s);
	sz_expr_free(&key);
	ds_list_free(&l);
	n = snprintf(line, sizeof(line), "%s\n", vs);
	if (ds_write_atomic(p->dir, "pinned.version", line, (size_t)n,
	    &err) == 0)
		rc = SZ_EXIT_OK;
out:
	if (rc != 0)
		sz_msg(t, "error", NULL, 0, "pin: %s", err.p ? err.p : "");
	sz_buf_free(&err);
	return rc;
}

static int
unpin(struct pub *p, sz_tool *t)
{
	sz_buf err = SZ_BUF_INIT;
	int rc = SZ_EXIT_OK;

	if (ds_remove(p->dir, "pinned.version", &err) != 0) {
		sz_msg(t, "error", NULL, 0, "unpin: %s", err.p);
		rc = SZ_EXIT_FAIL;
	}
	sz_buf_free(&err);
	return rc;
}

/* ---- the tool ----------------------------------------------------------- */

static void
pub_init(sz_tool *t)
{
	struct pub *p = t->ud;

	/* -d is --delimiter's letter (sz(7)): --dir has none. */
	t->o.moved_short = 'd';
	t->o.moved_hint = "use --dir; -d is only --delimiter, in the CSV tools";

	p->t = t;
	sz_key_init(&p->key);
	t->key = &p->key;
	p->snap_every = 1;
	p->keep = 10;
	p->max_mem = UINT64_C(256) << 20;
}

static int
pub_option(sz_tool *t, int c)
{
	struct pub *p = t->ud;

	switch (c) {
	case OPT_DIR:
		p->dir = optarg;
		break;
	case OPT_CHANGES:
		p->changes = 1;
		break;
	case OPT_ONDUP:
		if (strcmp(optarg, "last") == 0)
			p->ondup = DS_DUP_LAST;
		else if (strcmp(optarg, "first") == 0)
			p->ondup = DS_DUP_FIRST;
		else if (strcmp(optarg, "error") == 0)
			p->ondup = DS_DUP_ERROR;
		else
			return sz_opt_fail(&t->o, "--on-duplicate: '%s' is not "
			    "last, first or error", optarg);
		break;
	case OPT_EMPTY:
		p->allow_empty = 1;
		break;
	case OPT_MAXCHANGE:
		p->have_max_change = 1;
		return sz_opt_double(&t->o, "--max-change", 0, 100,
		    &p->max_change);
	case OPT_SNAPEVERY:
		return sz_opt_count(&t->o, "--snapshot-every", 1, 1000000,
		    &p->snap_every);
	case OPT_KEEP:
		return sz_opt_count(&t->o, "--keep", 1, 1000000, &p->keep);
	case OPT_MAXMEM:
		return sz_opt_size(&t->o, "--max-memory", &p->max_mem);
	case OPT_COMPRESS:
		if (strcmp(optarg, "zstd") == 0)
			p->zstd = 1;
		else if (strcmp(optarg, "none") == 0)
			p->zstd = 0;
		else
			return sz_opt_fail(&t->o, "--compress: '%s' is not zstd "
			    "or none", optarg);
		break;
	case OPT_VERSIONS:
		if (strcmp(optarg, "time") == 0)
			p->counter = 0;
		else if (strcmp(optarg, "counter") == 0)
			p->counter = 1;
		else
			return sz_opt_fail(&t->o, "--versions: '%s' is not time "
			    "or counter", optarg);
		break;
	}
	return 0;
}

static int
make_dir(sz_tool *t, const char *dir)
{
	if (mkdir(dir, 0755) != 0 && errno != EEXIST) {
		sz_msg(t, "error", NULL, 0, "%s: %s", dir, strerror(errno));
		return SZ_EXIT_FAIL;
	}
	return -1;
}

static int
pub_start(sz_tool *t)
{
	struct pub *p = t->ud;
	const char *first = t->argc > 0 ? t->argv[0] : NULL;
	int rc;

	if (first != NULL && (strcmp(first, "pin") == 0 ||
	    strcmp(first, "unpin") == 0)) {
		const char *v;

		sz_tool_operand(t);
		if (p->dir == NULL)
			return sz_usage(t, "%s: --dir DIR is required", first);
		if (strcmp(first, "unpin") == 0) {
			if (t->argc > 0)
				return sz_usage(t, "unpin: no operand after "
				    "--dir DIR");
			return unpin(p, t);
		}
		if ((v = sz_tool_operand(t)) == NULL || t->argc > 0)
			return sz_usage(t, "pin: one VERSION");
		return pin(p, t, v);
	}
	if (p->dir == NULL)
		return sz_usage(t, "--dir DIR is required");
	if (p->key.keysrc == NULL)
		return sz_usage(t, "-k EXPR is required (the key of the "
		    "dataset's records)");
	if ((rc = sz_key_compile(&p->key, t)) != 0)
		return rc;
	if ((rc = make_dir(t, p->dir)) != -1)
		return rc;
	if ((p->xs = sz_xsort_new(p->dir, (size_t)p->max_mem)) == NULL) {
		sz_msg(t, "error", NULL, 0, "out of memory");
		return SZ_EXIT_FAIL;
	}
	return -1;
}

static void
pub_done(sz_tool *t)
{
	struct pub *p = t->ud;

	sz_xsort_free(p->xs);
	sz_buf_free(&p->canon);
	sz_buf_free(&p->val);
	sz_buf_free(&p->tmp);
}

static const sz_tool_def pub_def = {
	.prog = "sz-publish", .usage = usage, .shortopts = "k:",
	.longopts = longopts, .jq = 1, .proc = &pub_proc, .init = pub_init,
	.option = pub_option, .start = pub_start, .done = pub_done,
};

SZ_TOOL_MAIN(pub_def, struct pub)
