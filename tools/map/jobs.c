/* SPDX-License-Identifier: MIT */
/*
 * jobs.c - sz-map -j N: the main thread reads records into chunks, N
 * workers (each with its own compiled program) check them and turn them
 * into output text, and the main thread writes finished chunks in input
 * order (or as they finish with --unordered), with what each has to say
 * (bad records, a FILE not found, a halt) where it stands in the input,
 * so that messages, dead letters and the stopping point are one worker's.
 */
#include <stdlib.h>
#include <string.h>

#include "map.h"

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

/* A record in a chunk, or an input event in its place (ev >= 0). */
struct crec {
	size_t off, len;	/* in the chunk's `in` */
	const char *file;
	unsigned long line;
	int ev, err;
};

/* What a chunk has to say, where it is to be said. */
enum { E_JQ, E_PARSE, E_HALT, E_EVENT };

struct cerr {
	size_t rec;		/* index of the record */
	int kind;
	size_t off;		/* output offset where its output would be */
	uint64_t outs;		/* outputs before off */
	uint64_t drops;		/* records without output before it */
	char *msg;		/* E_JQ, E_HALT: jq's message */
	const char *reason;	/* E_PARSE: the scanner's, at byte col */
	size_t col;
	int status;		/* E_HALT: exit status */
	size_t end;		/* E_HALT: end of the outputs before it */
	uint64_t endouts;
};

/* Records handed to a worker, and what it made of them. */
struct chunk {
	sz_pool_job pj;		/* first: the pool's part */
	uint64_t seq;		/* submission number */
	uint64_t first, first_bytes;	/* records (and their bytes, as the
				   runtime counts them) before the chunk */
	sz_buf in;		/* the records' bytes */
	struct crec *r;
	size_t n, cap;
	size_t start;		/* first record still to run */
	size_t stop;		/* records run by the worker (< n: half done) */
	sz_buf out;		/* output lines */
	uint64_t lines;		/* outputs in out */
	uint64_t drops;		/* records in it without output */
	struct cerr *errs;
	size_t nerrs;
	int est;		/* -e's status of its last good record, or -1 */
	int oom;		/* a worker ran out of memory */
};

/* A worker's state: its own program, index and scratch. */
struct wstate {
	sz_expr e;
	sz_jindex ix;
	struct fmtbuf fb;
};

static void
chunk_free(struct chunk *c)
{
	if (c == NULL)
		return;
	sz_buf_free(&c->in);
	sz_buf_free(&c->out);
	free(c->r);
	for (size_t i = 0; i < c->nerrs; i++)
		free(c->errs[i].msg);
	free(c->errs);
	free(c);
}

/* A new slot at the chunk's end, or NULL when memory ran out. */
static struct crec *
chunk_slot(struct chunk *c)
{
	if (c->n == c->cap) {
		size_t nc = c->cap ? 2 * c->cap : 64;
		struct crec *nr = realloc(c->r, nc * sizeof(*nr));

		if (nr == NULL)
			return NULL;
		c->r = nr;
		c->cap = nc;
	}
	memset(&c->r[c->n], 0, sizeof(c->r[0]));
	c->r[c->n].ev = -1;
	return &c->r[c->n];
}

static int
chunk_add(struct chunk *c, const sz_rec *r)
{
	struct crec *cr = chunk_slot(c);

	if (cr == NULL)
		return -1;
	cr->off = c->in.len;
	cr->len = r->n;
	cr->file = r->file;
	cr->line = r->line;
	if (sz_buf_add(&c->in, r->p, r->n) < 0)
		return -1;
	c->n++;
	return 0;
}

/* Note what record i has to say, its outputs starting at mark. */
static struct cerr *
chunk_err(struct chunk *c, size_t i, int kind, size_t mark)
{
	struct cerr *ne = realloc(c->errs, (c->nerrs + 1) * sizeof(*ne));

	if (ne == NULL) {
		c->oom = 1;
		return NULL;
	}
	c->errs = ne;
	ne += c->nerrs++;
	memset(ne, 0, sizeof(*ne));
	ne->rec = i;
	ne->kind = kind;
	ne->off = mark;
	ne->outs = c->lines;
	ne->drops = c->drops;
	return ne;
}

/* A jq error or a halt of record i: keep jq's message. */
static int
chunk_jq_err(struct chunk *c, sz_expr *e, size_t i, size_t mark,
    uint64_t halt_outs)
{
	struct cerr *ne = chunk_err(c, i, e->jq.halted ? E_HALT : E_JQ, mark);

	if (ne == NULL)
		return -1;
	ne->end = c->out.len;
	ne->endouts = c->lines + halt_outs;
	ne->status = e->jq.halt_status;
	if ((ne->msg = malloc(e->err.len + 1)) == NULL) {
		c->oom = 1;
		return -1;
	}
	if (e->err.len)
		memcpy(ne->msg, e->err.p, e->err.len);
	ne->msg[e->err.len] = '\0';
	return 0;
}

/*
 * A worker's work on one chunk: validation, outputs, and what is to be
 * said where it occurs. It stops after a halt, and after the record whose
 * outputs reach outcap (c->stop then says how far it got).
 */
static void
chunk_run(const struct fmt *f, struct wstate *w, struct chunk *c,
    size_t outcap)
{
	size_t i;

	for (i = c->start; i < c->n; i++) {
		struct crec *cr = &c->r[i];
		size_t mark = c->out.len;
		sz_rec r = { c->in.p + cr->off, cr->len, cr->file, cr->line,
		    NULL };
		const char *reason;
		size_t col;
		uint64_t hn = 0;
		struct cerr *ce;
		long k;

		if (cr->ev >= 0) {
			if (chunk_err(c, i, E_EVENT, mark) == NULL)
				return;
			continue;
		}
		if (sz_json_validate_index(r.p, r.n, &reason, &col,
		    &w->ix) < 0) {
			if ((ce = chunk_err(c, i, E_PARSE, mark)) == NULL)
				return;
			ce->reason = reason;
			ce->col = col;
			continue;
		}
		r.ix = &w->ix;
		k = map_run_one(f, &w->e, &w->fb, &r, &c->out, &hn, &c->est);
		if (k == RUN_NOMEM) {
			c->oom = 1;
			return;
		}
		if (k >= 0) {
			c->lines += (uint64_t)k;
			c->drops += k == 0;
			if (c->out.len >= outcap) {
				i++;
				break;
			}
			continue;
		}
		if (chunk_jq_err(c, &w->e, i, mark, hn) < 0)
			return;
		if (w->e.jq.halted) {
			i++;
			break;
		}
	}
	c->stop = i;
}

/* Bytes of a worker's state, rounded up to whole cache lines: no line is
 * shared with what another thread writes. */
#define CACHE_LINE 64
#define STATE_SIZE ((sizeof(struct wstate) + CACHE_LINE - 1) / CACHE_LINE * \
    CACHE_LINE)

/* A worker's state: its own compiled program (libjq's values are not
 * shared between threads). Compiled in main already, so this fails only
 * for memory. */
static void *
worker_start(void *ud, int i)
{
	struct map *m = ud;
	struct wstate *w = aligned_alloc(CACHE_LINE, STATE_SIZE);
	sz_buf err = SZ_BUF_INIT;

	(void)i;
	if (w != NULL) {
		memset(w, 0, sizeof(*w));
		w->ix.want_el = 1;
		if (sz_expr_compile(&w->e, m->src, m->vars, m->fast,
		    &err) < 0) {
			free(w);
			w = NULL;
		}
	}
	sz_buf_free(&err);
	return w;
}

static void
worker_stop(void *ud, void *state)
{
	struct wstate *w = state;

	(void)ud;
	sz_expr_free(&w->e);
	free(w->ix.el);
	map_fmtbuf_free(&w->fb);
	free(w);
}

static int
worker_run(void *ud, void *state, sz_pool_job *j)
{
	struct map *m = ud;
	struct chunk *c = (struct chunk *)j;
	int how;

	chunk_run(&m->f, state, c, m->outcap);
	how = c->stop < c->n && !c->oom ? SZ_POOL_PARTIAL : SZ_POOL_DONE;
	/* what it has to say is said in input order */
	return c->nerrs > 0 || c->oom ? how | SZ_POOL_IN_ORDER : how;
}

/* Add what the runtime counted of c->r[0..n) to *in and *bytes: records
 * (one too long included) and their bytes with a newline. */
static void
count_in(const struct chunk *c, size_t n, uint64_t *in, uint64_t *bytes)
{
	for (size_t k = 0; k < n; k++) {
		*in += c->r[k].ev < 0 || c->r[k].ev == SZ_SRC_TOOLONG;
		*bytes += c->r[k].ev < 0 ? c->r[k].len + 1 : 0;
	}
}

/* Hand the chunk being filled to the workers. */
static void
submit(struct map *m)
{
	struct chunk *c = m->cur;

	if (c == NULL || c->n == 0)
		return;
	m->cur = NULL;
	c->seq = ++m->seq;
	c->first = m->nrec;
	c->first_bytes = m->nbytes;
	count_in(c, c->n, &m->nrec, &m->nbytes);
	sz_pool_submit(m->pool, &c->pj, c->in.len);
}

/*
 * The run stops at record i of c: the records read after it count as not
 * read, as one worker would not have read them ("in" and "bytes_in").
 */
static void
stop_at(sz_tool *t, const struct chunk *c, size_t i)
{
	t->st.in = c->first;
	t->st.bytes_in = c->first_bytes;
	count_in(c, i + 1, &t->st.in, &t->st.bytes_in);
}

/* Write a finished chunk: its output, with what it has to say where it
 * was. */
static int
emit_chunk(sz_tool *t, struct chunk *c)
{
	size_t pos = 0;
	uint64_t done = 0, dropped = 0;

	if (c->oom)
		return sz_fail(t, SZ_EXIT_FAIL, "out of memory");

	for (size_t i = 0; i < c->nerrs; i++) {
		struct cerr *er = &c->errs[i];
		struct crec *cr = &c->r[er->rec];
		sz_rec r = { c->in.p + cr->off, cr->len, cr->file, cr->line,
		    NULL };
		int rc = 0;

		if (sz_emit_lines(t, c->out.p + pos, er->off - pos,
		    er->outs - done) < 0)
			return -1;
		pos = er->off;
		done = er->outs;
		t->st.dropped += er->drops - dropped;
		dropped = er->drops;
		switch (er->kind) {
		case E_HALT:
			/* jq writes what came before the halt, then stops */
			stop_at(t, c, er->rec);
			if (sz_emit_lines(t, c->out.p + pos, er->end - pos,
			    er->endouts - done) < 0)
				return -1;
			return sz_halt(t, er->status, er->msg, strlen(er->msg));
		case E_JQ:
			rc = sz_bad(t, &r, "jq", 1, "%s", er->msg);
			break;
		case E_PARSE:
			rc = sz_bad_json(t, &r, er->reason, er->col);
			break;
		case E_EVENT:
			sz_input_event(t, cr->ev, cr->err, cr->file, cr->line);
			rc = cr->ev == SZ_SRC_TOOLONG ? -1 : 0;
			break;
		}
		if (rc < 0) {
			stop_at(t, c, er->rec);
			return -1;
		}
	}
	t->st.dropped += c->drops - dropped;
	return sz_emit_lines(t, c->out.p + pos, c->out.len - pos,
	    c->lines - done);
}

/*
 * A chunk in input order (or as it finished, with --unordered, unless it
 * has something to say): write it. One the worker handed back half done
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
	if (m->f.exit_status && c->est >= 0 && c->seq >= m->eseq) {
		m->t->exit_ok = c->est;
		m->eseq = c->seq;
	}
	if (how == SZ_POOL_PARTIAL) {
		for (size_t i = 0; i < c->nerrs; i++)
			free(c->errs[i].msg);
		c->nerrs = 0;
		sz_buf_reset(&c->out);
		c->lines = 0;
		c->drops = 0;
		c->est = -1;
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

/* The chunk being filled, or NULL when memory ran out. */
static struct chunk *
cur_chunk(struct map *m)
{
	if (m->cur == NULL && (m->cur = calloc(1, sizeof(*m->cur))) != NULL)
		m->cur->est = -1;
	return m->cur;
}

static int
par_record(sz_tool *t, const sz_rec *r)
{
	struct map *m = t->ud;

	if (cur_chunk(m) == NULL || chunk_add(m->cur, r) < 0)
		return sz_fail(t, SZ_EXIT_FAIL, "out of memory");
	if (m->cur->n >= CHUNK_RECS || m->cur->in.len >= CHUNK_BYTES)
		submit(m);
	return 0;
}

/* A FILE that cannot be read, a record too long: said in its turn. */
static void
par_input_event(sz_tool *t, int ev, int err, const char *file,
    unsigned long line)
{
	struct map *m = t->ud;
	struct crec *cr;

	if (cur_chunk(m) == NULL || (cr = chunk_slot(m->cur)) == NULL) {
		sz_input_event(t, ev, err, file, line);
		return;
	}
	cr->ev = ev;
	cr->err = err;
	cr->file = file;
	cr->line = line;
	m->cur->n++;
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

/* Records are validated by the workers, so that a bad line is reported
 * in its turn (and the work is shared). */
static const sz_proc par_proc = {
	.record = par_record,
	.end = par_end,
	.idle = par_idle,
	.stats = map_stats,
	.raw = 1,
	.input_event = par_input_event,
};

/*
 * Start the workers. Jobs in flight: two per worker and two more, at most
 * MAX_FLIGHT; each chunk's outputs get an equal share of INFLIGHT_BYTES
 * beyond the records.
 */
int
map_jobs_start(sz_tool *t, struct map *m)
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
	t->proc = &par_proc;
	return 0;
}

void
map_jobs_free(struct map *m)
{
	sz_pool_free(m->pool);
	chunk_free(m->cur);
}

