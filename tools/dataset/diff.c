/* SPDX-License-Identifier: MIT */
/*
 * sz-diff - the changes between two keyed datasets: two NDJSON files (in
 * any order; records compared by their canonical text), or two versions
 * of a dataset directory, as change ops in key order.
 *
 * Files sorted by key (snapshots, sz-diff's and sort(1)'s output) are
 * merged as they are read, both at once (a merge join): each side holds
 * the record of its last key (the last of a key wins) and one record
 * ready for the join; a side with one ready and nothing to join it with
 * is paused. The ops are held (in memory, then in a temporary file) until
 * both files have ended in order. A file found out of order turns the
 * run into an external sort of both files: every record read so far goes
 * into it (read again from a regular file, or kept from the start for
 * standard input and pipes, which cannot be read twice), then the rest.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "json/json.h"
#include "json/str.h"
#include "run/key.h"

#include "ds.h"

static const char usage[] =
"Usage: sz-diff -k EXPR [OPTION]... OLD NEW\n"
"       sz-diff --dir DIR [OPTION]... A B\n"
"Write the changes from the dataset OLD to NEW (NDJSON files, records\n"
"keyed by EXPR, in any order; - is standard input), or from version A to\n"
"version B of the dataset in DIR, in key order:\n"
"{\"op\":\"upsert\",\"key\":K,\"record\":R} and {\"op\":\"delete\",\"key\":K}.\n"
"\n"
SZ_KEY_HELP
"      --dir DIR            compare two versions of the dataset in DIR\n"
"      --format=ops|full    ops (default), or add/delete/update with the\n"
"                           old and new records and the changed paths\n"
"      --exit-code          exit 1 when the datasets differ\n"
"      --on-duplicate=last|first|error  which record of a key counts\n"
"                           (default last)\n"
"      --max-memory SIZE    memory for sorting (default 256MiB), then\n"
"                           temporary files in $TMPDIR\n"
SZ_KEY_NOFAST_HELP
SZ_JQ_HELP_VARS;

enum {
	OPT_DIR = SZ_OPT_TOOL, OPT_FORMAT, OPT_EXITCODE, OPT_ONDUP,
	OPT_MAXMEM
};

static const struct option longopts[] = {
	SZ_KEY_LONGOPTS,
	{ "dir", required_argument, NULL, OPT_DIR },
	{ "format", required_argument, NULL, OPT_FORMAT },
	{ "exit-code", no_argument, NULL, OPT_EXITCODE },
	{ "on-duplicate", required_argument, NULL, OPT_ONDUP },
	{ "max-memory", required_argument, NULL, OPT_MAXMEM },
	SZ_JQ_LONGOPTS,
	{ NULL, 0, NULL, 0 }
};


/* One operand while the files are merged as read. */
struct side {
	sz_source *src;		/* once its first record came */
	sz_buf hk, hr;		/* the record of the last key so far */
	sz_buf fk, fr;		/* a record ready for the join */
	int held, ready;
	int ended;		/* its source has ended (held made ready) */
	int paused;
	int regular;		/* a regular file: read again if need be */
	unsigned long line;	/* of the last record delivered */
};

/* Ops held until both files have ended in order. */
struct defer {
	sz_buf b;
	int fd;			/* -1 until b outgrows DEFER_MEM */
	uint64_t lines;
};

#define DEFER_MEM ((size_t)1 << 20)

struct diff {
	sz_key key;
	const char *dir;
	int full, exit_code, ondup;
	uint64_t max_mem;
	const char *oldname, *newname;	/* as the runtime names them */
	const char *va, *vb;		/* --dir DIR A B */
	sz_xsort *xs[2];
	int merging;		/* the merge join (else the external sort) */
	int abandoned;		/* the run failed: records are ignored */
	struct side sd[2];
	struct defer df;
	sz_buf canon, canon2, line, ptr, scratch, err;
	uint64_t added, deleted, updated, dups;
	int differ;
	sz_tool *t;
};

/* ---- reading ------------------------------------------------------------ */

static int on_pair(void *ud, const char *k, size_t kn, const char *old,
    size_t on, const char *nw, size_t nn, int eq);

static int
nomem(sz_tool *t)
{
	return sz_fail(t, SZ_EXIT_FAIL, "out of memory");
}

static int
set_pair(sz_buf *kb, sz_buf *rb, const char *k, size_t kn, const char *r,
    size_t rn)
{
	sz_buf_reset(kb);
	sz_buf_reset(rb);
	return sz_buf_add(kb, k, kn) != 0 || sz_buf_add(rb, r, rn) != 0 ?
	    -1 : 0;
}

static void
swap_bufs(sz_buf *x, sz_buf *y)
{
	sz_buf t = *x;

	*x = *y;
	*y = t;
}

/* The source of OLD (0) or NEW (1): the runtime adds them in turn. */
static sz_source *
side_src(struct diff *d, int i)
{
	if (d->sd[i].src == NULL && d->t->src.n == 2) {
		d->sd[0].src = d->t->src.v[0];
		d->sd[1].src = d->t->src.v[1];
	}
	return d->sd[i].src;
}

/* Join the ready records while both sides have one (or a side has
 * ended), then resume a paused side that has room again. 0 or -1. */
static int
join_ready(struct diff *d)
{
	struct side *o = &d->sd[0], *n = &d->sd[1];
	int c;

	for (;;) {
		for (int i = 0; i < 2; i++) {
			struct side *s = &d->sd[i];

			if (!s->ready && s->held && s->ended) {
				swap_bufs(&s->hk, &s->fk);
				swap_bufs(&s->hr, &s->fr);
				s->held = 0;
				s->ready = 1;
			}
		}
		if ((!o->ready && !o->ended) || (!n->ready && !n->ended) ||
		    (!o->ready && !n->ready))
			break;
		c = !o->ready ? 1 : !n->ready ? -1 : ds_keycmp(o->fk.p,
		    o->fk.len, n->fk.p, n->fk.len);
		if (c < 0 ? on_pair(d, o->fk.p, o->fk.len, o->fr.p, o->fr.len,
		    NULL, 0, 0) : c > 0 ? on_pair(d, n->fk.p, n->fk.len, NULL,
		    0, n->fr.p, n->fr.len, 0) : on_pair(d, o->fk.p, o->fk.len,
		    o->fr.p, o->fr.len, n->fr.p, n->fr.len, o->fr.len ==
		    n->fr.len && memcmp(o->fr.p, n->fr.p, o->fr.len) == 0))
			return -1;
		if (c <= 0)
			o->ready = 0;
		if (c >= 0)
			n->ready = 0;
	}
	for (int i = 0; i < 2; i++) {
		struct side *s = &d->sd[i];

		if (s->paused && !s->ready) {
			s->paused = 0;
			sz_source_resume(s->src);
		}
	}
	return 0;
}

/* Records that were read from the regular file `path` before line
 * `last` (1 to last - 1) into the sort x again: those valid, with a key,
 * as the runtime took them (the others were reported then). 0 or -1. */
static int
read_again(struct diff *d, const char *path, unsigned long last,
    sz_xsort *x)
{
	FILE *f = fopen(path, "r");
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	unsigned long no = 0;
	int rc = 0;

	if (f == NULL)
		return sz_fail(d->t, SZ_EXIT_FAIL, "%s: %s (reading it again "
		    "to sort it)", path, strerror(errno));
	while (++no < last && (n = getline(&line, &cap, f)) >= 0) {
		const char *reason;
		size_t off;
		sz_rec r;

		if (n > 0 && line[n - 1] == '\n')
			n--;
		if (sz_json_validate(line, (size_t)n, &reason, &off) != 0)
			continue;
		memset(&r, 0, sizeof(r));
		r.p = line;
		r.n = (size_t)n;
		r.file = path;
		r.line = no;
		if (sz_key_eval(&d->key, &r) != SZ_KEY_OK)
			continue;
		if (sz_xsort_add(x, d->key.kb.p, d->key.kb.len, line,
		    (size_t)n) != 0) {
			rc = sz_fail(d->t, SZ_EXIT_FAIL, "%s",
			    sz_xsort_error(x));
			break;
		}
	}
	if (rc == 0 && ferror(f))
		rc = sz_fail(d->t, SZ_EXIT_FAIL, "%s: %s (reading it again "
		    "to sort it)", path, strerror(errno));
	free(line);
	fclose(f);
	return rc;
}

/*
 * Side `bad` is out of order at record r: from here on every record goes
 * into the external sort. What the join held or wrote is dropped; the
 * records read so far are put in the sorts (kept from the start for a
 * side that is not a regular file), in the order they came. 0 or -1.
 */
static int
to_sort(struct diff *d, int bad, const sz_rec *r)
{
	d->merging = 0;
	sz_buf_reset(&d->df.b);
	if (d->df.fd >= 0)
		close(d->df.fd);
	d->df.fd = -1;
	d->df.lines = 0;
	d->added = d->deleted = d->updated = d->dups = 0;
	d->differ = 0;
	for (int i = 0; i < 2; i++) {
		struct side *s = &d->sd[i];
		unsigned long last = i == bad ? r->line : s->line + 1;

		if (s->regular && s->line > 0 && read_again(d, i ? d->newname :
		    d->oldname, last, d->xs[i]) != 0)
			return -1;
		if (s->paused) {
			s->paused = 0;
			sz_source_resume(s->src);
		}
		s->held = s->ready = 0;
	}
	/* Reading again used the key's buffer: r's key once more. */
	if (sz_key_eval(&d->key, r) != SZ_KEY_OK)
		return nomem(d->t);
	return 0;
}

static int
diff_record(sz_tool *t, const sz_rec *r)
{
	struct diff *d = t->ud;
	struct side *s;
	int side, rc, c;

	/* Which operand: the runtime adds the source of OLD, then NEW's. */
	side = sz_tool_source(t) == side_src(d, 1);
	s = &d->sd[side];
	if ((rc = sz_key_get(&d->key, t, r)) != 1)
		return rc;
	/* A stop or a failure: records still delivered are not compared
	 * (no output). */
	if (t->stopsig != 0 || d->abandoned)
		return 0;
	if (d->merging && s->held) {
		c = ds_keycmp(d->key.kb.p, d->key.kb.len, s->hk.p, s->hk.len);
		if (c < 0 && to_sort(d, side, r) != 0)
			return -1;
		if (c == 0) {
			d->dups++;
			if (d->ondup == DS_DUP_ERROR)
				return sz_fail(t, SZ_EXIT_DATA, "the key %.*s is "
				    "in more than one record "
				    "(--on-duplicate=error)", (int)(s->hk.len >
				    100 ? 100 : s->hk.len), s->hk.p);
			if (d->ondup == DS_DUP_LAST) {
				sz_buf_reset(&s->hr);
				if (sz_buf_add(&s->hr, r->p, r->n) != 0)
					return nomem(t);
			}
		} else if (c > 0) {
			/* The held record is its key's: ready. */
			if (s->ready && join_ready(d) != 0)
				return sz_fail(t, SZ_EXIT_FAIL, "%s", d->err.p);
			if (s->ready) {
				/* Only after a stop's resume. */
				return sz_fail(t, SZ_EXIT_FAIL, "the join "
				    "lost its place");
			}
			swap_bufs(&s->hk, &s->fk);
			swap_bufs(&s->hr, &s->fr);
			s->ready = 1;
			s->held = 0;
		}
	}
	s->line = r->line;
	/* Kept from the start where the file cannot be read again. */
	if ((!d->merging || !s->regular) && sz_xsort_add(d->xs[side],
	    d->key.kb.p, d->key.kb.len, r->p, r->n) != 0)
		return sz_fail(t, SZ_EXIT_FAIL, "%s",
		    sz_xsort_error(d->xs[side]));
	if (!d->merging || s->held)
		return 0;
	if (set_pair(&s->hk, &s->hr, d->key.kb.p, d->key.kb.len, r->p,
	    r->n) != 0)
		return nomem(t);
	s->held = 1;
	if (s->ready) {
		if (join_ready(d) != 0)
			return sz_fail(t, SZ_EXIT_FAIL, "%s", d->err.p ?
			    d->err.p : "failed");
		if (s->ready) {
			s->paused = 1;
			sz_source_pause(s->src);
		}
	}
	return 0;
}

/* The input has nothing ready: a side that ended makes its last record
 * ready, which may let the other go on. */
static void
diff_idle(sz_tool *t)
{
	struct diff *d = t->ud;
	int more = 0;

	if (!d->merging)
		return;
	if (t->status != 0 || t->stopsig != 0) {
		/* A failure (a FILE that cannot be opened): nothing will be
		 * written; the input is read to its end as before. */
		d->abandoned = 1;
		for (int i = 0; i < 2; i++)
			if (d->sd[i].paused) {
				d->sd[i].paused = 0;
				sz_source_resume(d->sd[i].src);
			}
		return;
	}
	for (int i = 0; i < 2; i++) {
		struct side *s = &d->sd[i];

		if (!s->ended && side_src(d, i) != NULL && s->src->done) {
			s->ended = 1;
			more = 1;
		}
	}
	if (more && join_ready(d) != 0)
		sz_fail(t, SZ_EXIT_FAIL, "%s", d->err.p ? d->err.p : "failed");
}

/* ---- what changed -------------------------------------------------------- */

/* "/a/b" of a member name (JSON Pointer: ~ as ~0, / as ~1). */
static int
ptr_push(sz_buf *b, const char *name, size_t n)
{
	if (sz_buf_addc(b, '/') != 0)
		return -1;
	for (size_t i = 0; i < n; i++)
		if ((name[i] == '~' ? sz_buf_adds(b, "~0") : name[i] == '/' ?
		    sz_buf_adds(b, "~1") : sz_buf_addc(b, name[i])) != 0)
			return -1;
	return 0;
}

/* Append the pointers where the canonical values a and b differ to
 * out (a JSON array body): objects member by member, anything else
 * whole. */
static int
changed(struct diff *d, const char *a, size_t an, const char *b, size_t bn,
    sz_buf *out)
{
	sz_jmembers ia, ib;
	int ha, hb, c;
	size_t at = d->ptr.len;

	if (an == bn && memcmp(a, b, an) == 0)
		return 0;
	if (sz_json_type(a, a + an) != SZ_JOBJECT ||
	    sz_json_type(b, b + bn) != SZ_JOBJECT) {
		if (out->len > 0 && sz_buf_addc(out, ',') != 0)
			return -1;
		return sz_buf_add_jstr(out, d->ptr.p ? d->ptr.p : "",
		    d->ptr.len);
	}
	/* Both sorted by decoded name (canonical text). */
	sz_json_members(&ia, a, an, NULL);
	sz_json_members(&ib, b, bn, NULL);
	ha = sz_json_members_next(&ia);
	hb = sz_json_members_next(&ib);
	while (ha || hb) {
		const sz_jmember *m;
		const char *name;
		size_t nl;

		c = !ha ? 1 : !hb ? -1 : sz_json_str_cmp(ia.m.k, ia.m.kn,
		    ib.m.k, ib.m.kn);
		m = c <= 0 ? &ia.m : &ib.m;
		if ((name = sz_jmember_name(m, &d->scratch, &nl)) == NULL ||
		    ptr_push(&d->ptr, name, nl) != 0)
			return -1;
		if (c == 0) {
			if (changed(d, ia.m.v, ia.m.vn, ib.m.v, ib.m.vn,
			    out) != 0)
				return -1;
		} else if ((out->len > 0 && sz_buf_addc(out, ',') != 0) ||
		    sz_buf_add_jstr(out, d->ptr.p, d->ptr.len) != 0)
			return -1;
		d->ptr.len = at;
		if (d->ptr.p != NULL)
			d->ptr.p[at] = '\0';
		if (c <= 0)
			ha = sz_json_members_next(&ia);
		if (c >= 0)
			hb = sz_json_members_next(&ib);
	}
	return 0;
}

/* ---- ops held while merging ------------------------------------------ */

static int
defer_flush(struct diff *d)
{
	struct defer *f = &d->df;

	if (f->fd < 0) {
		const char *dir = getenv("TMPDIR");
		char path[4096];

		snprintf(path, sizeof(path), "%s/.sz-diff.XXXXXX",
		    dir != NULL && *dir ? dir : "/tmp");
		if ((f->fd = mkstemp(path)) < 0)
			return ds_errf(&d->err, "cannot create a temporary file "
			    "in %s: %s", dir != NULL && *dir ? dir : "/tmp",
			    strerror(errno));
		unlink(path);
	}
	if (sz_write_all(f->fd, f->b.p, f->b.len) != 0)
		return ds_errf(&d->err, "cannot write a temporary file: %s",
		    strerror(errno));
	sz_buf_reset(&f->b);
	return 0;
}

/* One op line held. 0, or -1 (d->err). */
static int
defer_line(struct diff *d, const char *p, size_t n)
{
	struct defer *f = &d->df;

	sz_buf_reset(&d->err);
	if (f->b.len + n + 1 > DEFER_MEM && f->b.len > 0 &&
	    defer_flush(d) != 0)
		return -1;
	if (sz_buf_add(&f->b, p, n) != 0 || sz_buf_addc(&f->b, '\n') != 0)
		return ds_errf(&d->err, "out of memory");
	f->lines++;
	return 0;
}

/* Write the held ops: 0, or -1 (the status set). */
static int
defer_out(struct diff *d)
{
	struct defer *f = &d->df;
	sz_tool *t = d->t;
	char *buf;
	ssize_t k;

	if (f->fd < 0)
		return sz_emit_lines(t, f->b.p, f->b.len, f->lines);
	if (f->b.len > 0 && defer_flush(d) != 0)
		return sz_fail(t, SZ_EXIT_FAIL, "%s", d->err.p);
	if (lseek(f->fd, 0, SEEK_SET) != 0 || (buf = malloc(DEFER_MEM)) ==
	    NULL)
		return sz_fail(t, SZ_EXIT_FAIL, "a temporary file: %s",
		    strerror(errno));
	/* Pieces of whole lines and parts of lines: each line's newline
	 * counts it. */
	for (;;) {
		uint64_t lines = 0;
		const char *nl = buf;

		do
			k = read(f->fd, buf, DEFER_MEM);
		while (k < 0 && errno == EINTR);
		if (k <= 0)
			break;
		while ((nl = memchr(nl, '\n', (size_t)(buf + k - nl))) !=
		    NULL) {
			nl++;
			lines++;
		}
		if (sz_emit_lines(t, buf, (size_t)k, lines) != 0) {
			free(buf);
			return -1;
		}
	}
	free(buf);
	if (k < 0)
		return sz_fail(t, SZ_EXIT_FAIL, "a temporary file: %s",
		    strerror(errno));
	return 0;
}

static int
on_pair(void *ud, const char *k, size_t kn, const char *old, size_t on,
    const char *nw, size_t nn, int eq)
{
	struct diff *d = ud;
	sz_buf *l = &d->line;
	int rc;

	if (eq)
		return 0;
	/* Different bytes: compare the values (canonical texts), and
	 * write those. */
	sz_buf_reset(&d->canon);
	sz_buf_reset(&d->canon2);
	if ((old != NULL && sz_json_canon(old, on, &d->canon) != 0) ||
	    (nw != NULL && sz_json_canon(nw, nn, &d->canon2) != 0))
		return ds_errf(&d->err, "out of memory");
	if (old != NULL && nw != NULL && d->canon.len == d->canon2.len &&
	    memcmp(d->canon.p, d->canon2.p, d->canon.len) == 0)
		return 0;
	if (old != NULL) {
		old = d->canon.p;
		on = d->canon.len;
	}
	if (nw != NULL) {
		nw = d->canon2.p;
		nn = d->canon2.len;
	}
	d->differ = 1;
	sz_buf_reset(l);
	if (old == NULL)
		d->added++;
	else if (nw == NULL)
		d->deleted++;
	else
		d->updated++;
	if (!d->full) {
		rc = ds_op_line(l, k, kn, nw, nn) != 0;
	} else if (old == NULL) {
		rc = sz_buf_adds(l, "{\"op\":\"add\",\"key\":") != 0 ||
		    sz_buf_add(l, k, kn) != 0 || sz_buf_adds(l, ",\"new\":") != 0 ||
		    sz_buf_add(l, nw, nn) != 0 || sz_buf_addc(l, '}') != 0;
	} else if (nw == NULL) {
		rc = sz_buf_adds(l, "{\"op\":\"delete\",\"key\":") != 0 ||
		    sz_buf_add(l, k, kn) != 0 || sz_buf_adds(l, ",\"old\":") != 0 ||
		    sz_buf_add(l, old, on) != 0 || sz_buf_addc(l, '}') != 0;
	} else {
		sz_buf ch = SZ_BUF_INIT;

		sz_buf_reset(&d->ptr);
		rc = changed(d, old, on, nw, nn, &ch) != 0 ||
		    sz_buf_adds(l, "{\"op\":\"update\",\"key\":") != 0 ||
		    sz_buf_add(l, k, kn) != 0 || sz_buf_adds(l, ",\"old\":") != 0 ||
		    sz_buf_add(l, old, on) != 0 || sz_buf_adds(l, ",\"new\":") != 0 ||
		    sz_buf_add(l, nw, nn) != 0 ||
		    sz_buf_adds(l, ",\"changed\":[") != 0 ||
		    sz_buf_add(l, ch.p ? ch.p : "", ch.len) != 0 ||
		    sz_buf_adds(l, "]}") != 0;
		sz_buf_free(&ch);
	}
	if (rc) {
		sz_buf_reset(&d->err);
		sz_buf_adds(&d->err, "out of memory");
		return -1;
	}
	if (d->merging ? defer_line(d, l->p, l->len) != 0 :
	    sz_emit(d->t, l->p, l->len) != 0) {
		if (d->err.len == 0)
			sz_buf_adds(&d->err, "write error");
		return -1;
	}
	return 0;
}

static int diff_dir(struct diff *d, sz_tool *t, const char *as,
    const char *bs);

static int
diff_end(sz_tool *t)
{
	struct diff *d = t->ud;
	ds_uniq u[2];
	ds_stream s0 = { ds_uniq_next, &u[0] }, s1 = { ds_uniq_next, &u[1] };
	int rc;

	if (t->stopsig != 0 || t->status != 0)
		return 0;
	if (d->dir != NULL) {
		if ((rc = diff_dir(d, t, d->va, d->vb)) == SZ_EXIT_FAIL &&
		    d->exit_code && d->differ) {
			t->exit_ok = SZ_EXIT_FAIL;
			return 0;
		}
		if (rc != 0 && t->status == 0)
			t->status = rc;
		return rc == 0 ? 0 : -1;
	}
	if (d->merging) {
		/* Both files ended in order: the last records, then the
		 * ops held. */
		d->sd[0].ended = d->sd[1].ended = 1;
		if (join_ready(d) != 0)
			return sz_fail(t, SZ_EXIT_FAIL, "%s", d->err.p ?
			    d->err.p : "failed");
		if (defer_out(d) != 0)
			return -1;
		if (d->exit_code && d->differ)
			t->exit_ok = SZ_EXIT_FAIL;
		return 0;
	}
	memset(u, 0, sizeof(u));
	for (int i = 0; i < 2; i++) {
		u[i].x = d->xs[i];
		u[i].ondup = d->ondup;
		u[i].dups = &d->dups;
		if (sz_xsort_finish(d->xs[i]) != 0)
			return sz_fail(t, SZ_EXIT_FAIL, "%s",
			    sz_xsort_error(d->xs[i]));
	}
	rc = ds_join(&s0, &s1, on_pair, d, &d->err);
	ds_uniq_free(&u[0]);
	ds_uniq_free(&u[1]);
	if (rc != 0) {
		if (t->status != 0)
			return -1;
		return sz_fail(t, d->ondup == DS_DUP_ERROR && d->dups > 0 ?
		    SZ_EXIT_DATA : SZ_EXIT_FAIL, "%s", d->err.p ? d->err.p :
		    "failed");
	}
	if (d->exit_code && d->differ)
		t->exit_ok = SZ_EXIT_FAIL;
	return 0;
}

static void
diff_stats(sz_tool *t, sz_statv *v)
{
	struct diff *d = t->ud;

	sz_stat_counter(v, "added", d->added);
	sz_stat_counter(v, "deleted", d->deleted);
	sz_stat_counter(v, "updated", d->updated);
	sz_stat_counter(v, "duplicates", d->dups);
}

static const sz_proc diff_proc = {
	.record = diff_record,
	.end = diff_end,
	.stats = diff_stats,
	.idle = diff_idle,
	/* Both files at once, for the merge join (each side paused while
	 * it waits for the other). */
	.files_at_once = 1,
};

/* ---- --dir DIR A B ------------------------------------------------------- */

static int
diff_dir(struct diff *d, sz_tool *t, const char *as, const char *bs)
{
	ds_ver a, b;
	ds_list l;
	ds_spool sa, sb;
	sz_expr key;
	char keysrc[512] = "";
	ds_snapin ia, ib;
	ds_stream xa = { ds_snapin_next, &ia }, xb = { ds_snapin_next, &ib };
	int rc = SZ_EXIT_FAIL, ha = 0, hb = 0;

	if (!ds_ver_parse(as, strlen(as), &a) || !ds_ver_parse(bs, strlen(bs),
	    &b))
		return sz_usage(t, "--dir DIR: A and B are versions ('%s', '%s')",
		    as, bs);
	memset(&key, 0, sizeof(key));
	memset(&ia, 0, sizeof(ia));
	memset(&ib, 0, sizeof(ib));
	if (ds_list_read(d->dir, &l, &d->err) != 0)
		goto out0;
	rc = SZ_EXIT_FAIL;
	if (ds_load(d->dir, &l, a, t, &key, &sa, keysrc, &d->err) != 0)
		goto out1;
	ha = 1;
	if (ds_load(d->dir, &l, b, t, &key, &sb, keysrc, &d->err) != 0)
		goto out1;
	hb = 1;
	ia.key = ib.key = &key;
	ia.trusted = ib.trusted = 1;	/* loaded and checked */
	if (ds_in_fd(&ia.in, sa.fd, "version A", &d->err) != 0 ||
	    ds_in_fd(&ib.in, sb.fd, "version B", &d->err) != 0)
		goto out1;
	if (ds_join(&xa, &xb, on_pair, d, &d->err) != 0)
		goto out1;
	rc = d->exit_code && d->differ ? SZ_EXIT_FAIL : SZ_EXIT_OK;
out1:
	ds_in_close(&ia.in);
	ds_in_close(&ib.in);
	sz_buf_free(&ia.kb);
	sz_buf_free(&ib.kb);
	if (ha)
		ds_spool_close(&sa);
	if (hb)
		ds_spool_close(&sb);
	if (keysrc[0] != '\0')
		sz_expr_free(&key);
	ds_list_free(&l);
out0:
	if (rc == SZ_EXIT_FAIL && !(d->exit_code && d->differ))
		sz_msg(t, "error", NULL, 0, "%s", d->err.p ? d->err.p :
		    "failed");
	return rc;
}

/* ---- the tool ----------------------------------------------------------- */

static void
diff_init(sz_tool *t)
{
	struct diff *d = t->ud;

	/* -d is --delimiter's letter (sz(7)): --dir has none. */
	t->o.moved_short = 'd';
	t->o.moved_hint = "use --dir; -d is only --delimiter, in the CSV tools";

	d->t = t;
	d->df.fd = -1;
	sz_key_init(&d->key);
	t->key = &d->key;
	d->max_mem = UINT64_C(256) << 20;
}

static int
diff_option(sz_tool *t, int c)
{
	struct diff *d = t->ud;

	switch (c) {
	case OPT_DIR:
		d->dir = optarg;
		break;
	case OPT_FORMAT:
		if (strcmp(optarg, "ops") == 0)
			d->full = 0;
		else if (strcmp(optarg, "full") == 0)
			d->full = 1;
		else
			return sz_opt_fail(&t->o, "--format: '%s' is not ops or "
			    "full", optarg);
		break;
	case OPT_EXITCODE:
		d->exit_code = 1;
		break;
	case OPT_ONDUP:
		if (strcmp(optarg, "last") == 0)
			d->ondup = DS_DUP_LAST;
		else if (strcmp(optarg, "first") == 0)
			d->ondup = DS_DUP_FIRST;
		else if (strcmp(optarg, "error") == 0)
			d->ondup = DS_DUP_ERROR;
		else
			return sz_opt_fail(&t->o, "--on-duplicate: '%s' is not "
			    "last, first or error", optarg);
		break;
	case OPT_MAXMEM:
		return sz_opt_size(&t->o, "--max-memory", &d->max_mem);
	}
	return 0;
}

static int
diff_start(sz_tool *t)
{
	struct diff *d = t->ud;
	int rc;

	if (t->argc != 2)
		return sz_usage(t, "two operands: %s", d->dir != NULL ?
		    "--dir DIR A B" : "OLD NEW");
	if (d->dir != NULL) {
		if (d->key.keysrc != NULL)
			return sz_usage(t, "--dir DIR: the key is the dataset's "
			    "(no -k)");
		sz_source *src;

		d->va = sz_tool_operand(t);
		d->vb = sz_tool_operand(t);
		/* No input: the versions are compared at its end. */
		if ((src = sz_source_fed(&t->src, d->dir)) == NULL) {
			sz_msg(t, "error", NULL, 0, "out of memory");
			return SZ_EXIT_FAIL;
		}
		sz_source_end(src);
		return -1;
	}
	if (d->key.keysrc == NULL)
		return sz_usage(t, "-k EXPR is required (the records' key)");
	if (strcmp(t->argv[0], "-") == 0 && strcmp(t->argv[1], "-") == 0)
		return sz_usage(t, "OLD and NEW cannot both be standard input");
	d->oldname = strcmp(t->argv[0], "-") == 0 ? "<stdin>" : t->argv[0];
	d->newname = strcmp(t->argv[1], "-") == 0 ? "<stdin>" : t->argv[1];
	if ((rc = sz_key_compile(&d->key, t)) != 0)
		return rc;
	d->merging = 1;
	for (int i = 0; i < 2; i++) {
		struct stat st;

		d->sd[i].regular = strcmp(t->argv[i], "-") != 0 &&
		    stat(t->argv[i], &st) == 0 && S_ISREG(st.st_mode);
	}
	for (int i = 0; i < 2; i++)
		if ((d->xs[i] = sz_xsort_new(NULL, (size_t)d->max_mem)) ==
		    NULL) {
			sz_msg(t, "error", NULL, 0, "out of memory");
			return SZ_EXIT_FAIL;
		}
	return -1;
}

static void
diff_done(sz_tool *t)
{
	struct diff *d = t->ud;

	sz_xsort_free(d->xs[0]);
	sz_xsort_free(d->xs[1]);
	for (int i = 0; i < 2; i++) {
		struct side *s = &d->sd[i];

		sz_buf_free(&s->hk);
		sz_buf_free(&s->hr);
		sz_buf_free(&s->fk);
		sz_buf_free(&s->fr);
	}
	sz_buf_free(&d->df.b);
	if (d->df.fd >= 0)
		close(d->df.fd);
	sz_buf_free(&d->canon);
	sz_buf_free(&d->canon2);
	sz_buf_free(&d->line);
	sz_buf_free(&d->ptr);
	sz_buf_free(&d->scratch);
	sz_buf_free(&d->err);
}

static const sz_tool_def diff_def = {
	.prog = "sz-diff", .usage = usage, .shortopts = "k:",
	.longopts = longopts, .jq = 1, .proc = &diff_proc, .init = diff_init,
	.option = diff_option, .start = diff_start, .done = diff_done,
};

SZ_TOOL_MAIN(diff_def, struct diff)
