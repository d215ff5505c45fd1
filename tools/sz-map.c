/* SPDX-License-Identifier: MIT */
/*
 * sz-map - run a jq program on each record and write each output as one
 * compact JSON line (streamz Mapper; with -j N, AsyncMapper).
 *
 * With -j N the main thread reads records into chunks, N workers (each
 * with its own compiled program) turn chunks into output text, and the
 * main thread writes finished chunks in input order (or as they finish
 * with --unordered). A record that fails yields no output; under
 * --on-error=fail nothing of a later record is written.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "jq/expr.h"
#include "run/pool.h"
#include "run/tool.h"

#define CHUNK_RECS 256
#define CHUNK_BYTES (256 * 1024)
/*
 * Bytes of records and outputs held in flight with -j: at most this much
 * (plus one record and one record's outputs per chunk). A chunk whose
 * outputs reach its share is handed back half done: the main thread
 * writes what it made and puts the rest back at the head of the queue.
 */
#define INFLIGHT_BYTES (64 * 1024 * 1024)
#define MAX_FLIGHT (INFLIGHT_BYTES / (2 * CHUNK_BYTES))

/* A failed (or halting) record inside a chunk. */
struct cerr {
	size_t rec;		/* index of the record */
	size_t off;		/* output offset where its output would be */
	char *msg;
	int halt;		/* halt/halt_error: outputs up to end, then stop */
	int status;
	size_t end;		/* with halt: end of its outputs */
};

/* Records handed to a worker, and what it made of them. */
struct chunk {
	sz_pool_job pj;		/* first: the pool's part */
	sz_buf in;		/* the records' bytes */
	size_t *off, *len;	/* each record in `in` */
	const char **file;
	unsigned long *line;
	size_t n, cap;
	size_t start;		/* first record still to run */
	size_t stop;		/* records run by the worker (< n: half done) */
	sz_buf out;		/* output lines */
	uint64_t lines;
	struct cerr *errs;
	size_t nerrs;
	int oom;		/* a worker ran out of memory */
};

struct map {
	sz_expr e;		/* the main thread's program */
	const char *src;
	const sz_jqvars *vars;
	int fast;
	int jobs, unordered;
	uint64_t njobs;		/* -j */
	sz_buf out;		/* single-threaded output of one record */
	/* -j N */
	sz_tool *t;
	sz_pool *pool;
	size_t outcap;		/* outputs a chunk may hold */
	struct chunk *cur;	/* being filled */
};

static const char usage[] =
"Usage: sz-map [OPTION]... EXPR [FILE]...\n"
"Run the jq program EXPR on each NDJSON record and write each of its\n"
"outputs as one compact JSON line; a record with no output is dropped.\n"
"\n"
"  -j, --jobs=N           run N workers (default 1), keeping input order\n"
"      --unordered        with -j, write results as they finish\n"
"      --no-fast          always evaluate EXPR with libjq\n"
SZ_JQ_HELP;

enum { OPT_UNORDERED = SZ_OPT_TOOL, OPT_NOFAST };

static const struct option longopts[] = {
	{ "jobs", required_argument, NULL, 'j' },
	{ "unordered", no_argument, NULL, OPT_UNORDERED },
	{ "no-fast", no_argument, NULL, OPT_NOFAST },
	SZ_JQ_LONGOPTS,
	{ NULL, 0, NULL, 0 }
};

/* ---- one thread ---------------------------------------------------- */

/* Lines in p[0..n). */
static uint64_t
newlines(const char *p, size_t n)
{
	uint64_t k = 0;

	for (size_t i = 0; i < n; i++)
		k += p[i] == '\n';
	return k;
}

static int
map_record(sz_tool *t, const sz_rec *r)
{
	struct map *m = t->ud;
	long k;

	sz_buf_reset(&m->out);
	k = sz_expr_map(&m->e, r, &m->out);
	if (k < 0 && m->e.jq.halted) {
		/* jq writes what came before the halt */
		if (sz_emit_lines(t, m->out.p, m->out.len, newlines(m->out.p,
		    m->out.len)) < 0)
			return -1;
		return sz_expr_bad(t, r, &m->e, NULL);
	}
	if (k < 0)
		return sz_expr_bad(t, r, &m->e, NULL);
	if (k == 0)
		t->st.dropped++;
	return sz_emit_lines(t, m->out.p, m->out.len, (uint64_t)k);
}

/* ---- chunks -------------------------------------------------------- */

static void
chunk_free(struct chunk *c)
{
	if (c == NULL)
		return;
	sz_buf_free(&c->in);
	sz_buf_free(&c->out);
	free(c->off);
	free(c->len);
	free(c->file);
	free(c->line);
	for (size_t i = 0; i < c->nerrs; i++)
		free(c->errs[i].msg);
	free(c->errs);
	free(c);
}

static int
chunk_add(struct chunk *c, const sz_rec *r)
{
	if (c->n == c->cap) {
		size_t nc = c->cap ? 2 * c->cap : 64;
		size_t *no = realloc(c->off, nc * sizeof(*no));

		if (no == NULL)
			return -1;
		c->off = no;
		if ((no = realloc(c->len, nc * sizeof(*no))) == NULL)
			return -1;
		c->len = no;
		const char **nf = realloc(c->file, nc * sizeof(*nf));
		if (nf == NULL)
			return -1;
		c->file = nf;
		unsigned long *nl = realloc(c->line, nc * sizeof(*nl));
		if (nl == NULL)
			return -1;
		c->line = nl;
		c->cap = nc;
	}
	c->off[c->n] = c->in.len;
	c->len[c->n] = r->n;
	c->file[c->n] = r->file;
	c->line[c->n] = r->line;
	if (sz_buf_add(&c->in, r->p, r->n) < 0)
		return -1;
	c->n++;
	return 0;
}

/* Note an error (or a halt) of record i whose outputs start at mark. */
static int
chunk_err(struct chunk *c, sz_expr *e, size_t i, size_t mark)
{
	struct cerr *ne = realloc(c->errs, (c->nerrs + 1) * sizeof(*ne));

	if (ne == NULL)
		return -1;
	c->errs = ne;
	ne += c->nerrs;
	memset(ne, 0, sizeof(*ne));
	ne->rec = i;
	ne->off = mark;
	ne->end = c->out.len;
	ne->halt = e->jq.halted;
	ne->status = e->jq.halt_status;
	if ((ne->msg = malloc(e->err.len + 1)) == NULL)
		return -1;
	if (e->err.len)
		memcpy(ne->msg, e->err.p, e->err.len);
	ne->msg[e->err.len] = '\0';
	c->nerrs++;
	return 0;
}

/*
 * A worker's work on one chunk: outputs, and errors where they occur. It
 * stops after a halt, and after the record whose outputs reach outcap
 * (c->stop then says how far it got).
 */
static void
chunk_run(sz_expr *e, struct chunk *c, size_t outcap)
{
	size_t i;

	for (i = c->start; i < c->n; i++) {
		size_t mark = c->out.len;
		sz_rec r = { c->in.p + c->off[i], c->len[i], c->file[i],
		    c->line[i], NULL };
		long k = sz_expr_map(e, &r, &c->out);

		if (k >= 0) {
			c->lines += (uint64_t)k;
			if (c->out.len >= outcap) {
				i++;
				break;
			}
			continue;
		}
		if (!e->jq.halted)
			c->out.len = mark;	/* a failed record writes nothing */
		if (chunk_err(c, e, i, mark) < 0) {
			c->oom = 1;
			return;
		}
		if (e->jq.halted) {
			i++;
			break;
		}
	}
	c->stop = i;
}

/* Bytes of a worker's state, rounded up to whole cache lines: no line is
 * shared with what another thread writes. */
#define CACHE_LINE 64
#define STATE_SIZE ((sizeof(sz_expr) + CACHE_LINE - 1) / CACHE_LINE * CACHE_LINE)

/* A worker's state: its own compiled program (libjq's values are not
 * shared between threads). Compiled in main already, so this fails only
 * for memory. */
static void *
worker_start(void *ud, int i)
{
	struct map *m = ud;
	sz_expr *e = aligned_alloc(CACHE_LINE, STATE_SIZE);
	sz_buf err = SZ_BUF_INIT;

	(void)i;
	if (e != NULL && sz_expr_compile(e, m->src, m->vars, m->fast,
	    &err) < 0) {
		free(e);
		e = NULL;
	}
	sz_buf_free(&err);
	return e;
}

static void
worker_stop(void *ud, void *state)
{
	(void)ud;
	sz_expr_free(state);
	free(state);
}

static int
worker_run(void *ud, void *state, sz_pool_job *j)
{
	struct map *m = ud;
	struct chunk *c = (struct chunk *)j;

	chunk_run(state, c, m->outcap);
	return c->stop < c->n && !c->oom ? SZ_POOL_PARTIAL : SZ_POOL_DONE;
}

/* Hand the chunk being filled to the workers. */
static void
submit(struct map *m)
{
	struct chunk *c = m->cur;

	if (c == NULL || c->n == 0)
		return;
	m->cur = NULL;
	sz_pool_submit(m->pool, &c->pj, c->in.len);
}

/* Write a finished chunk: its output, with its errors where they were. */
static int
emit_chunk(sz_tool *t, struct chunk *c)
{
	size_t pos = 0;
	uint64_t lines_left = c->lines;

	if (c->oom)
		return sz_fail(t, SZ_EXIT_FAIL, "out of memory");

	for (size_t i = 0; i < c->nerrs; i++) {
		struct cerr *er = &c->errs[i];
		sz_rec r = { c->in.p + c->off[er->rec], c->len[er->rec],
		    c->file[er->rec], c->line[er->rec], NULL };
		uint64_t nl = newlines(c->out.p + pos, er->off - pos);

		if (sz_emit_lines(t, c->out.p + pos, er->off - pos, nl) < 0)
			return -1;
		lines_left -= nl;
		pos = er->off;
		if (er->halt) {
			/* jq writes what came before the halt, then stops */
			if (sz_emit_lines(t, c->out.p + pos, er->end - pos,
			    newlines(c->out.p + pos, er->end - pos)) < 0)
				return -1;
			return sz_halt(t, er->status, er->msg, strlen(er->msg));
		}
		if (sz_bad(t, &r, "jq", 1, "%s", er->msg) < 0)
			return -1;
	}
	return sz_emit_lines(t, c->out.p + pos, c->out.len - pos, lines_left);
}

/*
 * A chunk in input order: write it. One the worker handed back half done
 * (its outputs reached their share) then runs again from where it
 * stopped.
 */
static int
deliver(void *ud, sz_pool_job *j, int how)
{
	struct map *m = ud;
	struct chunk *c = (struct chunk *)j;

	if (how == SZ_POOL_NOSTATE)
		c->oom = 1;
	if (emit_chunk(m->t, c) < 0)
		return -1;
	if (how == SZ_POOL_PARTIAL) {
		for (size_t i = 0; i < c->nerrs; i++)
			free(c->errs[i].msg);
		c->nerrs = 0;
		sz_buf_reset(&c->out);
		c->lines = 0;
		c->start = c->stop;
	}
	return 0;
}

static void
drop(void *ud, sz_pool_job *j)
{
	(void)ud;
	chunk_free((struct chunk *)j);
}

static void
drained(void *ud)
{
	struct map *m = ud;

	sz_tool_finish(m->t);
}

static const sz_pool_ops pool_ops = {
	.start = worker_start,
	.stop = worker_stop,
	.run = worker_run,
	.deliver = deliver,
	.drop = drop,
	.drained = drained,
};

static int
par_record(sz_tool *t, const sz_rec *r)
{
	struct map *m = t->ud;

	if (m->cur == NULL && (m->cur = calloc(1, sizeof(*m->cur))) == NULL)
		return sz_fail(t, SZ_EXIT_FAIL, "out of memory");
	if (chunk_add(m->cur, r) < 0)
		return sz_fail(t, SZ_EXIT_FAIL, "out of memory");
	if (m->cur->n >= CHUNK_RECS || m->cur->in.len >= CHUNK_BYTES)
		submit(m);
	return 0;
}

static void
par_idle(sz_tool *t)
{
	submit(t->ud);
}

static int
par_end(sz_tool *t)
{
	struct map *m = t->ud;

	if (sz_pool_stopped(m->pool) || t->epipe)
		return 0;
	submit(m);
	return sz_pool_close(m->pool);
}

/*
 * Start the workers. Jobs in flight: two per worker and two more, at most
 * MAX_FLIGHT; each chunk's outputs get an equal share of INFLIGHT_BYTES
 * beyond the records.
 */
static int
start_workers(sz_tool *t, struct map *m)
{
	sz_pool_conf pc = {
		.workers = m->jobs,
		.max_jobs = 2 * m->jobs + 2,
		.max_bytes = INFLIGHT_BYTES / 2,	/* the records' half */
		.unordered = m->unordered,
	};

	if (pc.max_jobs > MAX_FLIGHT)
		pc.max_jobs = MAX_FLIGHT;
	m->outcap = INFLIGHT_BYTES / (size_t)pc.max_jobs - CHUNK_BYTES;
	m->t = t;
	if ((m->pool = sz_pool_new(t, &pc, &pool_ops, m)) == NULL)
		return -1;
	return 0;
}

static void
map_stats(sz_tool *t, sz_statv *v)
{
	struct map *m = t->ud;

	sz_stat_gauge(v, "jobs", (uint64_t)m->jobs);
	sz_stat_flag(v, "fast", sz_expr_is_fast(&m->e));
}

static const sz_proc map_proc = {
	.record = map_record,
	.stats = map_stats,
};

static const sz_proc par_proc = {
	.record = par_record,
	.end = par_end,
	.idle = par_idle,
	.stats = map_stats,
	.drain_on_stop = 1,	/* records read before SIGTERM are mapped */
};

static int
map_option(sz_tool *t, int c)
{
	struct map *m = t->ud;

	switch (c) {
	case 'j':
		return sz_opt_count(&t->o, "--jobs", 1, 256, &m->njobs);
	case OPT_UNORDERED:
		m->unordered = 1;
		break;
	case OPT_NOFAST:
		m->fast = 0;
		break;
	}
	return 0;
}

static int
map_start(sz_tool *t)
{
	struct map *m = t->ud;
	int rc;

	if ((m->src = sz_tool_expr_src(t)) == NULL)
		return sz_usage(t, "missing EXPR");
	if ((rc = sz_tool_compile(t, &m->e, m->src, m->fast, NULL)) >= 0)
		return rc;
	m->vars = &t->vars;
	m->jobs = (int)m->njobs;
	if (m->jobs == 1)
		return -1;
	if (start_workers(t, m) < 0) {
		sz_msg(t, "error", NULL, 0, "cannot start workers: %s",
		    strerror(errno));
		return SZ_EXIT_FAIL;
	}
	t->proc = &par_proc;
	return -1;
}

static void
map_done(sz_tool *t)
{
	struct map *m = t->ud;

	sz_pool_free(m->pool);
	chunk_free(m->cur);
	sz_expr_free(&m->e);
	sz_buf_free(&m->out);
}

static void
map_init(sz_tool *t)
{
	struct map *m = t->ud;

	m->fast = 1;
	m->njobs = 1;
}

static const sz_tool_def map_def = {
	.init = map_init,
	.prog = "sz-map", .usage = usage, .shortopts = "j:",
	.longopts = longopts, .jq = 1, .proc = &map_proc,
	.option = map_option, .start = map_start, .done = map_done,
};

SZ_TOOL_MAIN(map_def, struct map)
