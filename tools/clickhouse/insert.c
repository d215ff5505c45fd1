/* SPDX-License-Identifier: MIT */
/*
 * sz-clickhouse insert - the records into a table, in batches that commit
 * whole or not at all (INSERT ... FORMAT JSONEachRow, one request each).
 *
 * One batch is in flight (connect/clickhouse.h: libcurl's multi interface
 * on the poll loop, one keep-alive connection) while the next one is
 * read; batches commit in order. Before a record joins a batch its values
 * are checked against the table's column types (DESCRIBE TABLE at the
 * start, ch_value_check): a value the server would store otherwise than
 * sent is bad input. A failed request is classified by the Code in the
 * reply: retried with backoff while the input is paused, or its bad row
 * (at row R) becomes a dead letter and the rest is sent again, or the run
 * ends (69 for a table, database or credentials problem, 2 for a query
 * the server does not take).
 */
#include <errno.h>
#include <unistd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ch.h"
#include "json/json.h"

#define BACKOFF_MIN 250000000ULL	/* 250 ms */
#define BACKOFF_MAX 30000000000ULL	/* 30 s */
#define NLAT 4096			/* batch latencies kept */

enum { ECHO_NONE, ECHO_RECORDS, ECHO_META };

enum {
	OPT_ROWS = SZ_OPT_TOOL, OPT_BYTES, OPT_TIME, OPT_RETRY, OPT_ECHO,
	OPT_IDCOL, OPT_STOPTO, OPT_SKIPUNK
};

struct col {
	char *name;
	size_t namen;
	char *type;
	int has_default;	/* DEFAULT expr: an omitted value is not it */
	int skip;		/* MATERIALIZED or ALIAS: never sent */
};

/* A row of a batch: the record (an element of an array record) as it
 * came, and its line of the body. */
struct row {
	size_t roff, rlen;	/* in the batch's recs */
	size_t boff, blen;	/* in the batch's body */
	const char *file;	/* interned */
	unsigned long line;
	int dead;		/* rejected by the server */
};

struct batch {
	struct row *rows;
	size_t n, alloc;
	sz_buf recs, body;
	uint64_t first;		/* when its first record came (ns) */
	uint64_t sent;		/* when it was first sent */
	int closed;		/* full, or its time is up */
	/* in flight: rows [lo, hi) of the live ones are sent */
	size_t lo, hi;
	size_t live;		/* rows not dead */
	unsigned attempts;
	uint64_t retry_since;	/* first failure of this request, or 0 */
};

struct chi {
	sz_tool *t;
	struct ch_server srv;
	const char *table, *idcol;
	uint64_t batch_rows, batch_bytes, batch_time, retry_for;
	uint64_t stop_timeout;
	int echo;
	int skip_unknown;	/* members that are no column left out */
	struct col *cols;
	size_t ncols;
	char *sql;
	szc_req *q;
	struct batch b[2];
	struct batch *fill, *fly;	/* fly->n > 0: in flight or waiting */
	sz_buf send, scratch, line, tmp;
	uint64_t timer, retry_timer, stop_timer;
	int flying;		/* fly holds a batch not yet committed */
	int gone;		/* the run is ending on a failure */
	int ending;		/* end() came */
	char **files;
	size_t nfiles;
	/* stats */
	uint64_t rows, batches, bytes, retries, rejected, checked_bad;
	uint64_t codes[1024];	/* rejected rows by code (< 1024) */
	uint64_t lat[NLAT];
	size_t nlat;
	uint64_t t0;
	uint64_t seed;
};

const size_t ch_insert_size = sizeof(struct chi);

static const char usage[] =
"Usage: sz-clickhouse insert -t TABLE [OPTION]... [FILE]...\n"
"Insert the NDJSON records into the ClickHouse table TABLE in batches\n"
"that commit whole or not at all. Records that are arrays are taken\n"
"element by element; members _redis and _sz... are not sent.\n"
"\n"
"  -t, --table TABLE      the table (DB.TABLE or TABLE)\n"
"      --batch-rows N     rows in a batch at most (default 100000,\n"
"                         at most 1000000)\n"
"      --batch-bytes SIZE a batch's body at most (default 16MiB)\n"
"      --batch-time DURATION  send a batch DURATION after its first\n"
"                         record at the latest (default 1s)\n"
"      --retry-for DURATION  how long to retry a batch that failed for a\n"
"                         reason that may pass, before exit 75 (default\n"
"                         5m; 0: for ever)\n"
"      --skip-unknown-fields  members that are not columns are left out\n"
"                         (else the server refuses their record)\n"
"      --id-column COL    write _redis.stream \"/\" _redis.id into COL\n"
"      --echo=none|records|meta  after a batch committed, write nothing,\n"
"                         its records, or {\"_redis\":...} of each\n"
"                         (default none)\n"
"      --stop-timeout DURATION  on SIGTERM, wait this long for the batch\n"
"                         in flight (default 30s), then abort it\n"
CH_SERVER_HELP;

static const struct option longopts[] = {
	{ "table", required_argument, NULL, 't' },
	{ "batch-rows", required_argument, NULL, OPT_ROWS },
	{ "batch-bytes", required_argument, NULL, OPT_BYTES },
	{ "batch-time", required_argument, NULL, OPT_TIME },
	{ "retry-for", required_argument, NULL, OPT_RETRY },
	{ "echo", required_argument, NULL, OPT_ECHO },
	{ "id-column", required_argument, NULL, OPT_IDCOL },
	{ "stop-timeout", required_argument, NULL, OPT_STOPTO },
	CH_SERVER_LONGOPTS,
	{ "skip-unknown-fields", no_argument, NULL, OPT_SKIPUNK },
	{ NULL, 0, NULL, 0 }
};

/* ---- batches ------------------------------------------------------------ */

static void
batch_reset(struct batch *b)
{
	b->n = 0;
	b->live = 0;
	b->lo = b->hi = 0;
	b->closed = 0;
	b->attempts = 0;
	b->retry_since = 0;
	b->first = b->sent = 0;
	sz_buf_reset(&b->recs);
	sz_buf_reset(&b->body);
}

static void
batch_free(struct batch *b)
{
	free(b->rows);
	sz_buf_free(&b->recs);
	sz_buf_free(&b->body);
}

static const char *
intern(struct chi *c, const char *file)
{
	size_t i;
	char **nf, *s;

	for (i = c->nfiles; i > 0; i--)
		if (strcmp(c->files[i - 1], file) == 0)
			return c->files[i - 1];
	if ((nf = realloc(c->files, (c->nfiles + 1) * sizeof(*nf))) == NULL)
		return NULL;
	c->files = nf;
	if ((s = strdup(file)) == NULL)
		return NULL;
	c->files[c->nfiles++] = s;
	return s;
}

/* ---- timers and the flow ------------------------------------------------ */

static void send_fly(struct chi *c);

static uint64_t
rnd(struct chi *c)
{
	/* xorshift64*: the jitter needs no more */
	c->seed ^= c->seed >> 12;
	c->seed ^= c->seed << 25;
	c->seed ^= c->seed >> 27;
	return c->seed * 2685821657736338717ULL;
}

static void
fail(struct chi *c, int status, const char *fmt, const char *a,
    const char *b)
{
	if (c->gone)
		return;
	c->gone = 1;
	sz_fail(c->t, status, fmt, a, b);
	sz_input_pause(c->t);
	sz_tool_finish(c->t);
}

static void
maybe_finish(struct chi *c)
{
	if (c->ending && !c->flying && (c->t->stopsig || c->fill->n == 0))
		sz_tool_finish(c->t);
}

/* The fill batch is complete: send it when nothing is in flight, else
 * pause the input until the one in flight committed. */
static void
close_fill(struct chi *c)
{
	struct batch *x;

	if (c->fill->n == 0)
		return;
	c->fill->closed = 1;
	if (c->timer != 0) {
		sz_loop_cancel(&c->t->loop, c->timer);
		c->timer = 0;
	}
	if (c->flying) {
		sz_input_pause(c->t);
		return;
	}
	x = c->fly;
	c->fly = c->fill;
	c->fill = x;
	batch_reset(c->fill);
	c->flying = 1;
	c->fly->lo = 0;
	c->fly->hi = c->fly->n;
	c->fly->live = c->fly->n;
	c->fly->sent = sz_now();
	send_fly(c);
}

static void
on_batch_time(sz_loop *l, void *ud)
{
	struct chi *c = ud;

	(void)l;
	c->timer = 0;
	close_fill(c);
	maybe_finish(c);
}

static void
on_retry(sz_loop *l, void *ud)
{
	struct chi *c = ud;

	(void)l;
	c->retry_timer = 0;
	send_fly(c);
}

/* Send rows [lo, hi) of fly that are not dead (the whole body when
 * none is). */
static void
send_fly(struct chi *c)
{
	struct batch *b = c->fly;
	const char *body;
	size_t i, len, n = 0;

	if (c->gone)
		return;
	if (b->lo == 0 && b->hi == b->n && b->live == b->n) {
		body = b->body.p;
		len = b->body.len;
		n = b->n;
	} else {
		sz_buf_reset(&c->send);
		for (i = b->lo; i < b->hi; i++) {
			if (b->rows[i].dead)
				continue;
			if (sz_buf_add(&c->send, b->body.p + b->rows[i].boff,
			    b->rows[i].blen) < 0) {
				fail(c, SZ_EXIT_FAIL, "%s%s", "out of memory",
				    "");
				return;
			}
			n++;
		}
		body = c->send.p;
		len = c->send.len;
	}
	if (szc_req_send(c->q, c->sql, body, len, n) < 0)
		fail(c, SZ_EXIT_FAIL, "%s%s", "out of memory", "");
}

/* Rows [lo, hi) of fly committed: echo them. 0, or -1 (stdout failed). */
static int
echo_rows(struct chi *c, struct batch *b)
{
	size_t i;
	static const sz_step st = { SZ_STEP_KEY, "_redis", 6, 0 };

	for (i = b->lo; i < b->hi; i++) {
		const struct row *r = &b->rows[i];
		const char *p = b->recs.p + r->roff, *v;
		size_t vn;

		if (r->dead)
			continue;
		c->rows++;
		if (c->echo == ECHO_RECORDS) {
			if (sz_emit(c->t, p, r->rlen) < 0)
				return -1;
		} else if (c->echo == ECHO_META) {
			if (sz_json_get(p, r->rlen, &st, &v, &vn, NULL) !=
			    SZ_GET_FOUND)
				continue;
			sz_buf_reset(&c->tmp);
			if (sz_buf_adds(&c->tmp, "{\"_redis\":") < 0 ||
			    sz_buf_add(&c->tmp, v, vn) < 0 ||
			    sz_buf_addc(&c->tmp, '}') < 0) {
				fail(c, SZ_EXIT_FAIL, "%s%s", "out of memory",
				    "");
				return -1;
			}
			if (sz_emit(c->t, c->tmp.p, c->tmp.len) < 0)
				return -1;
		}
	}
	return 0;
}

/* The live row `k` (1-based) of [lo, hi). */
static struct row *
nth_live(struct batch *b, uint64_t k)
{
	size_t i;

	for (i = b->lo; i < b->hi; i++)
		if (!b->rows[i].dead && --k == 0)
			return &b->rows[i];
	return NULL;
}

static size_t
live_in(const struct batch *b)
{
	size_t i, n = 0;

	for (i = b->lo; i < b->hi; i++)
		n += !b->rows[i].dead;
	return n;
}

static void
reject(struct chi *c, struct batch *b, struct row *r, const szc_reply *rep)
{
	sz_rec rec = { b->recs.p + r->roff, r->rlen, r->file, r->line, NULL };
	char more[64];

	r->dead = 1;
	b->live--;
	c->rejected++;
	if (rep->code > 0 && rep->code < 1024)
		c->codes[rep->code]++;
	snprintf(more, sizeof(more), "\"code\":%d", rep->code);
	if (sz_bad_more(c->t, &rec, "rejected", more, strlen(more),
	    rep->msg) < 0) {
		c->gone = 1;
		sz_input_pause(c->t);
		sz_tool_finish(c->t);
	}
}

static void
committed(struct chi *c)
{
	struct batch *b = c->fly;
	uint64_t lat;

	if (echo_rows(c, b) < 0) {
		c->gone = 1;
		sz_tool_finish(c->t);
		return;
	}
	if (b->hi < b->n) {	/* a part of a split batch */
		b->lo = b->hi;
		b->hi = b->n;
		b->attempts = 0;
		send_fly(c);
		return;
	}
	c->batches++;
	c->bytes += b->body.len;
	lat = sz_now() - b->sent;
	c->lat[c->nlat++ % NLAT] = lat;
	batch_reset(b);
	c->flying = 0;
	if (c->fill->closed && !c->t->stopsig)
		close_fill(c);
	if (!c->gone)
		sz_input_resume(c->t);
	maybe_finish(c);
}

static void
on_done(szc_req *q, int cls, szc_reply *rep, void *ud)
{
	struct chi *c = ud;
	struct batch *b = c->fly;
	struct row *r;
	uint64_t now, cap, d;

	(void)q;
	if (c->gone)
		return;
	switch (cls) {
	case SZC_OK:
		b->retry_since = 0;
		committed(c);
		return;
	case SZC_ROW:
		if ((r = nth_live(b, rep->row ? rep->row : 1)) == NULL) {
			fail(c, SZ_EXIT_FAIL, "ClickHouse: %s%s", rep->msg,
			    "");
			return;
		}
		reject(c, b, r, rep);
		if (c->gone)
			return;
		if (live_in(b) == 0) {	/* nothing left to send */
			committed(c);
			return;
		}
		send_fly(c);
		return;
	case SZC_VALUE: {
		/* a bad value, the server did not say where: halves */
		size_t i, k = live_in(b) / 2;

		for (i = b->lo; i < b->hi && k > 0; i++)
			k -= !b->rows[i].dead;
		b->hi = i;
		send_fly(c);
		return;
	}
	case SZC_RETRY:
		now = sz_now();
		if (b->retry_since == 0) {
			b->retry_since = now;
			sz_msg(c->t, "warning", NULL, 0, "ClickHouse: %s: "
			    "retrying", rep->msg);
		}
		if (c->retry_for && now - b->retry_since >= c->retry_for) {
			fail(c, SZ_EXIT_TEMP, "ClickHouse failed for longer "
			    "than --retry-for: %s%s", rep->msg, "");
			return;
		}
		c->retries++;
		sz_input_pause(c->t);
		cap = BACKOFF_MIN << (b->attempts < 7 ? b->attempts : 7);
		if (cap > BACKOFF_MAX)
			cap = BACKOFF_MAX;
		b->attempts++;
		d = BACKOFF_MIN + rnd(c) % (cap - BACKOFF_MIN + 1);
		c->retry_timer = sz_loop_timer(&c->t->loop, now + d, on_retry,
		    c);
		if (c->retry_timer == 0)
			fail(c, SZ_EXIT_FAIL, "%s%s", "out of memory", "");
		return;
	case SZC_CONFIG:
		fail(c, SZ_EXIT_UNAVAILABLE, "ClickHouse: %s%s", rep->msg, "");
		return;
	case SZC_USAGE:
		fail(c, SZ_EXIT_USAGE, "ClickHouse: %s%s", rep->msg, "");
		return;
	}
	{
		char code[32];

		snprintf(code, sizeof(code), "%d", rep->code);
		fail(c, SZ_EXIT_FAIL, "ClickHouse (code %s): %s", code,
		    rep->msg[0] ? rep->msg : "unexpected reply");
	}
}

/* ---- records ------------------------------------------------------------ */

static const struct col *
find_col(const struct chi *c, const char *name, size_t n)
{
	size_t i;

	for (i = 0; i < c->ncols; i++)
		if (c->cols[i].namen == n &&
		    memcmp(c->cols[i].name, name, n) == 0)
			return &c->cols[i];
	return NULL;
}

/* The body line of the object v[0..n) added to the fill batch's body
 * (taken back unless 0 is returned): its members but
 * _redis and _sz..., each value checked. 0, 1 (bad: why set), -1 (out of
 * memory). */
static int body_members(struct chi *c, sz_buf *o, const char *v, size_t n,
    const sz_jindex *ix, char *why, size_t ws);

static int
body_line(struct chi *c, const char *v, size_t n, const sz_jindex *ix,
    char *why, size_t ws)
{
	sz_buf *o = &c->fill->body;
	size_t start = o->len;
	int rc = body_members(c, o, v, n, ix, why, ws);

	if (rc != 0)
		o->len = start;
	return rc;
}

static int
body_members(struct chi *c, sz_buf *o, const char *v, size_t n,
    const sz_jindex *ix, char *why, size_t ws)
{
	sz_jmembers it;
	const char *name, *redis = NULL;
	size_t namen, redisn = 0, seen = 0, i;
	int first = 1;

	if (sz_buf_addc(o, '{') < 0)
		return -1;
	sz_json_members(&it, v, n, ix);
	while (sz_json_members_next(&it)) {
		const struct col *col;

		/* a name without escapes as it is (a byte that is not
		 * UTF-8 matches no column either way) */
		if (it.m.kn >= 2 && memchr(it.m.k + 1, '\\', it.m.kn - 2) ==
		    NULL) {
			name = it.m.k + 1;
			namen = it.m.kn - 2;
		} else if ((name = sz_jmember_name(&it.m, &c->scratch,
		    &namen)) == NULL)
			return -1;
		if (namen == 6 && memcmp(name, "_redis", 6) == 0) {
			redis = it.m.v;
			redisn = it.m.vn;
			continue;
		}
		if (namen >= 3 && memcmp(name, "_sz", 3) == 0)
			continue;
		if (c->idcol != NULL && strlen(c->idcol) == namen &&
		    memcmp(c->idcol, name, namen) == 0)
			continue;
		col = find_col(c, name, namen);
		if (col == NULL && c->skip_unknown)
			continue;	/* the server would skip it */
		if (col != NULL) {
			seen++;
			char r[512];

			if (ch_value_check(col->type, it.m.v, it.m.vn, r,
			    sizeof(r)) < 0) {
				snprintf(why, ws, "column %s: %s", col->name, r);
				return 1;
			}
		}
		if ((!first && sz_buf_addc(o, ',') < 0) ||
		    sz_buf_add(o, it.m.k, it.m.kn) < 0 ||
		    sz_buf_addc(o, ':') < 0 ||
		    sz_buf_add(o, it.m.v, it.m.vn) < 0)
			return -1;
		first = 0;
	}
	if (c->idcol != NULL) {
		static const sz_step ss = { SZ_STEP_KEY, "stream", 6, 0 };
		static const sz_step si = { SZ_STEP_KEY, "id", 2, 0 };
		const char *s, *d;
		size_t sn, dn;

		if (redis == NULL ||
		    sz_json_get(redis, redisn, &ss, &s, &sn, NULL) !=
		    SZ_GET_FOUND || sz_json_type(s, s + sn) != SZ_JSTRING ||
		    sz_json_get(redis, redisn, &si, &d, &dn, NULL) !=
		    SZ_GET_FOUND || sz_json_type(d, d + dn) != SZ_JSTRING) {
			snprintf(why, ws, "--id-column %s: the record has no "
			    "_redis.stream and _redis.id", c->idcol);
			return 1;
		}
		if ((!first && sz_buf_addc(o, ',') < 0) ||
		    sz_buf_add_jstr(o, c->idcol, strlen(c->idcol)) <
		    0 || sz_buf_addc(o, ':') < 0 ||
		    sz_buf_add(o, s, sn - 1) < 0 ||
		    sz_buf_addc(o, '/') < 0 ||
		    sz_buf_add(o, d + 1, dn - 1) < 0)
			return -1;
		if (find_col(c, c->idcol, strlen(c->idcol)) != NULL)
			seen++;
	}
	if (sz_buf_adds(o, "}\n") < 0)
		return -1;
	/* a column left out with a DEFAULT gets the type's empty value */
	for (i = 0; i < c->ncols && seen < c->ncols; i++) {
		const struct col *col = &c->cols[i];

		if (!col->has_default)
			continue;
		if (c->idcol != NULL && strcmp(col->name, c->idcol) == 0)
			continue;
		{
			sz_step k = { SZ_STEP_KEY, col->name, col->namen, 0 };
			const char *x;
			size_t xn;

			if (sz_json_get(v, n, &k, &x, &xn, NULL) ==
			    SZ_GET_FOUND)
				continue;
		}
		snprintf(why, ws, "column %s is missing (ClickHouse 18.16 "
		    "would store the empty value, not its DEFAULT)",
		    col->name);
		return 1;
	}
	return 0;
}

static int
add_row(struct chi *c, const sz_rec *r, const char *v, size_t n,
    const sz_jindex *ix)
{
	struct batch *b = c->fill;
	struct row *row;
	char why[600];
	size_t boff = b->body.len;
	int rc;

	if (sz_json_type(v, v + n) != SZ_JOBJECT) {
		sz_rec e = { v, n, r->file, r->line, NULL };

		return sz_bad(c->t, &e, "validation", 1, "not an object: a "
		    "row is an object (or an array of objects)");
	}
	rc = body_line(c, v, n, ix, why, sizeof(why));
	if (rc < 0)
		return sz_fail(c->t, SZ_EXIT_FAIL, "out of memory");
	if (rc > 0) {
		sz_rec e = { v, n, r->file, r->line, NULL };

		c->checked_bad++;
		return sz_bad(c->t, &e, "validation", 1, "%s", why);
	}
	if (b->n == b->alloc) {
		size_t na = b->alloc ? 2 * b->alloc : 1024;
		struct row *nr = realloc(b->rows, na * sizeof(*nr));

		if (nr == NULL)
			return sz_fail(c->t, SZ_EXIT_FAIL, "out of memory");
		b->rows = nr;
		b->alloc = na;
	}
	row = &b->rows[b->n];
	row->roff = b->recs.len;
	row->rlen = n;
	row->boff = boff;
	row->blen = b->body.len - boff;
	row->line = r->line;
	row->dead = 0;
	if ((row->file = intern(c, r->file)) == NULL ||
	    sz_buf_add(&b->recs, v, n) < 0)
		return sz_fail(c->t, SZ_EXIT_FAIL, "out of memory");
	if (b->n++ == 0) {
		b->first = sz_now();
		c->timer = sz_loop_timer(&c->t->loop, b->first +
		    c->batch_time, on_batch_time, c);
		if (c->timer == 0)
			return sz_fail(c->t, SZ_EXIT_FAIL, "out of memory");
	}
	if (b->n >= c->batch_rows || b->body.len >= c->batch_bytes)
		close_fill(c);
	return 0;
}

static int
ins_record(sz_tool *t, const sz_rec *r)
{
	struct chi *c = t->ud;
	const char *p = r->p;
	size_t n = r->n;

	if (c->gone)
		return -1;
	sz_json_trim(&p, &n);
	if (sz_json_type(p, p + n) == SZ_JARRAY) {
		const char *e = p + n, *q = sz_json_ws(p + 1, e);

		while (q < e && *q != ']') {
			const char *end = sz_json_skip(q, e);

			if (add_row(c, r, q, (size_t)(end - q), NULL) < 0)
				return -1;
			q = sz_json_ws(end, e);
			if (q < e && *q == ',')
				q = sz_json_ws(q + 1, e);
		}
		return 0;
	}
	return add_row(c, r, p, n, r->ix);
}

static void
on_stop_timeout(sz_loop *l, void *ud)
{
	struct chi *c = ud;

	(void)l;
	c->stop_timer = 0;
	if (c->flying) {
		sz_msg(c->t, "warning", NULL, 0, "the batch in flight was "
		    "aborted after --stop-timeout (nothing of it echoed)");
		szc_req_abort(c->q);
		c->flying = 0;
	}
	sz_tool_finish(c->t);
}

static int
ins_end(sz_tool *t)
{
	struct chi *c = t->ud;

	if (c->gone || c->q == NULL)
		return 0;
	c->ending = 1;
	if (t->stopsig) {
		/* the batch being read is not sent; the one in flight is
		 * waited for (a retry is not) */
		if (c->timer != 0) {
			sz_loop_cancel(&t->loop, c->timer);
			c->timer = 0;
		}
		if (c->retry_timer != 0 || !szc_req_busy(c->q)) {
			if (c->retry_timer != 0)
				sz_loop_cancel(&t->loop, c->retry_timer);
			c->retry_timer = 0;
			return 0;
		}
		c->stop_timer = sz_loop_timer(&t->loop, sz_now() +
		    c->stop_timeout, on_stop_timeout, c);
		return 1;
	}
	close_fill(c);
	if (!c->flying && c->fill->n == 0)
		return 0;
	return 1;
}

static int
cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static void
ins_stats(sz_tool *t, sz_statv *v)
{
	struct chi *c = t->ud;
	size_t n = c->nlat < NLAT ? c->nlat : NLAT, i;
	uint64_t s[NLAT], el = sz_now() - c->t0;
	static char names[1024][8];

	sz_stat_counter(v, "rows", c->rows);
	sz_stat_counter(v, "batches", c->batches);
	sz_stat_counter(v, "bytes", c->bytes);
	sz_stat_counter(v, "requests", c->q ? szc_req_count(c->q) : 0);
	sz_stat_counter(v, "retries", c->retries);
	sz_stat_counter(v, "rejected", c->rejected);
	sz_stat_counter(v, "checked_bad", c->checked_bad);
	memcpy(s, c->lat, n * sizeof(s[0]));
	qsort(s, n, sizeof(s[0]), cmp_u64);
	sz_stat_real(v, "latency_p50_ms", n ? s[(n - 1) / 2] / 1e6 : 0, 1);
	sz_stat_real(v, "latency_p95_ms", n ? s[(n - 1) * 95 / 100] / 1e6 :
	    0, 1);
	sz_stat_real(v, "rows_per_s", el ? c->rows / (el / 1e9) : 0, 0);
	sz_stat_group(v, "rejected_by_code", NULL);
	for (i = 0; i < 1024; i++) {
		if (c->codes[i] == 0)
			continue;
		snprintf(names[i], sizeof(names[i]), "%zu", i);
		sz_stat_counter(v, names[i], c->codes[i]);
	}
	sz_stat_group(v, NULL, NULL);
}

static const sz_proc ins_proc = {
	.record = ins_record,
	.end = ins_end,
	.stats = ins_stats,
};

/* ---- set-up ------------------------------------------------------------- */

static void
ins_init(sz_tool *t)
{
	struct chi *c = t->ud;

	c->t = t;
	ch_server_init(&c->srv, 300000000000ULL);
	c->batch_rows = 100000;
	c->batch_bytes = (uint64_t)16 << 20;
	c->batch_time = 1000000000ULL;
	c->retry_for = 300000000000ULL;
	c->stop_timeout = 30000000000ULL;
	c->fill = &c->b[0];
	c->fly = &c->b[1];
}

static int
ins_option(sz_tool *t, int o)
{
	struct chi *c = t->ud;
	int k;

	if ((k = ch_server_option(t, &c->srv, o)) != 0)
		return k == '?' ? '?' : 0;
	switch (o) {
	case 't':
		c->table = optarg;
		break;
	case OPT_ROWS:
		return sz_opt_count(&t->o, "--batch-rows", 1, 1000000,
		    &c->batch_rows);
	case OPT_BYTES:
		return sz_opt_size(&t->o, "--batch-bytes", &c->batch_bytes);
	case OPT_TIME:
		return sz_opt_duration_pos(&t->o, "--batch-time",
		    &c->batch_time);
	case OPT_RETRY:
		return sz_opt_duration(&t->o, "--retry-for", &c->retry_for);
	case OPT_STOPTO:
		return sz_opt_duration(&t->o, "--stop-timeout",
		    &c->stop_timeout);
	case OPT_SKIPUNK:
		c->srv.conf.settings = "input_format_skip_unknown_fields=1";
		c->skip_unknown = 1;
		break;
	case OPT_IDCOL:
		c->idcol = optarg;
		break;
	case OPT_ECHO:
		if (strcmp(optarg, "none") == 0)
			c->echo = ECHO_NONE;
		else if (strcmp(optarg, "records") == 0)
			c->echo = ECHO_RECORDS;
		else if (strcmp(optarg, "meta") == 0)
			c->echo = ECHO_META;
		else
			return sz_opt_fail(&t->o, "--echo: '%s' is not none, "
			    "records or meta", optarg);
		break;
	}
	return 0;
}

/* DESCRIBE TABLE into c->cols. -1, or the exit status. */
static int
describe(sz_tool *t, struct chi *c)
{
	szc_reply r;
	sz_buf sql = SZ_BUF_INIT;
	const char *p, *e;
	int cls, rc = -1;

	szc_reply_init(&r);
	if (sz_buf_printf(&sql, "DESCRIBE TABLE %s FORMAT JSONEachRow",
	    c->table) < 0) {
		sz_msg(t, "error", NULL, 0, "out of memory");
		return SZ_EXIT_FAIL;
	}
	cls = szc_query(&c->srv.conf, sql.p, NULL, 0, &r);
	sz_buf_free(&sql);
	if (cls != SZC_OK) {
		sz_msg(t, "error", NULL, 0, "ClickHouse: DESCRIBE TABLE %s: "
		    "%s", c->table, r.msg);
		rc = cls == SZC_RETRY ? SZ_EXIT_UNAVAILABLE :
		    szc_class_exit(cls);
		szc_reply_free(&r);
		return rc;
	}
	p = r.body.p ? r.body.p : "";
	e = p + r.body.len;
	while (p < e) {
		const char *nl = memchr(p, '\n', (size_t)(e - p));
		static const sz_step sn = { SZ_STEP_KEY, "name", 4, 0 };
		static const sz_step st = { SZ_STEP_KEY, "type", 4, 0 };
		static const sz_step sd = { SZ_STEP_KEY, "default_type", 12,
		    0 };
		const char *v;
		size_t vn, len;
		struct col *nc, *col;
		sz_buf tmp = SZ_BUF_INIT;

		if (nl == NULL)
			nl = e;
		len = (size_t)(nl - p);
		if (len == 0 || sz_json_validate(p, len, NULL, NULL) != 0) {
			p = nl + 1;
			continue;
		}
		if ((nc = realloc(c->cols, (c->ncols + 1) * sizeof(*nc))) ==
		    NULL)
			goto oom;
		c->cols = nc;
		col = &c->cols[c->ncols];
		memset(col, 0, sizeof(*col));
		if (sz_json_get(p, len, &sn, &v, &vn, NULL) != SZ_GET_FOUND ||
		    sz_json_unescape(v, vn, &tmp) < 0 ||
		    (col->name = strdup(tmp.p ? tmp.p : "")) == NULL) {
			sz_buf_free(&tmp);
			goto oom;
		}
		col->namen = strlen(col->name);
		sz_buf_reset(&tmp);
		if (sz_json_get(p, len, &st, &v, &vn, NULL) != SZ_GET_FOUND ||
		    sz_json_unescape(v, vn, &tmp) < 0 ||
		    (col->type = strdup(tmp.p ? tmp.p : "")) == NULL) {
			free(col->name);
			sz_buf_free(&tmp);
			goto oom;
		}
		sz_buf_reset(&tmp);
		if (sz_json_get(p, len, &sd, &v, &vn, NULL) == SZ_GET_FOUND &&
		    sz_json_unescape(v, vn, &tmp) == 0 && tmp.p != NULL) {
			col->has_default = strcmp(tmp.p, "DEFAULT") == 0;
			col->skip = strcmp(tmp.p, "MATERIALIZED") == 0 ||
			    strcmp(tmp.p, "ALIAS") == 0;
		}
		sz_buf_free(&tmp);
		c->ncols++;
		p = nl + 1;
	}
	szc_reply_free(&r);
	return rc;
oom:
	szc_reply_free(&r);
	sz_msg(t, "error", NULL, 0, "out of memory");
	return SZ_EXIT_FAIL;
}

static int
ins_start(sz_tool *t)
{
	struct chi *c = t->ud;
	sz_buf sql = SZ_BUF_INIT;
	int rc;

	if (c->table == NULL)
		return sz_usage(t, "insert: missing -t TABLE");
	if ((rc = ch_server_conf(t, &c->srv)) >= 0)
		return rc;
	if ((rc = describe(t, c)) >= 0)
		return rc;
	if (sz_buf_printf(&sql, "INSERT INTO %s FORMAT JSONEachRow",
	    c->table) < 0 || (c->sql = sql.p) == NULL ||
	    (c->q = szc_req_new(&t->loop, &c->srv.conf, on_done, c)) == NULL) {
		sz_buf_free(&sql);
		c->sql = NULL;
		sz_msg(t, "error", NULL, 0, "out of memory");
		return SZ_EXIT_FAIL;
	}
	c->t0 = sz_now();
	c->seed = c->t0 ^ ((uint64_t)getpid() << 32) ^ 0x9E3779B97F4A7C15ULL;
	if (c->seed == 0)
		c->seed = 1;
	return -1;
}

static void
ins_done(sz_tool *t)
{
	struct chi *c = t->ud;
	size_t i;

	szc_req_free(c->q);
	c->q = NULL;
	batch_free(&c->b[0]);
	batch_free(&c->b[1]);
	for (i = 0; i < c->ncols; i++) {
		free(c->cols[i].name);
		free(c->cols[i].type);
	}
	free(c->cols);
	for (i = 0; i < c->nfiles; i++)
		free(c->files[i]);
	free(c->files);
	free(c->sql);
	ch_server_free(&c->srv);
	sz_buf_free(&c->send);
	sz_buf_free(&c->scratch);
	sz_buf_free(&c->line);
	sz_buf_free(&c->tmp);
}

const sz_tool_def ch_insert_def = {
	.prog = "sz-clickhouse", .usage = usage, .shortopts = "t:",
	.longopts = longopts, .proc = &ins_proc, .init = ins_init,
	.option = ins_option, .start = ins_start, .done = ins_done,
};
