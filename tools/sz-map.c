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
#include "json/str.h"
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
/* --max-bytes: the most that -s holds, by default. */
#define SLURP_MAX ((uint64_t)256 * 1024 * 1024)
/* A record's answer when rewriting its outputs ran out of memory. */
#define RUN_NOMEM (-2)

/* What the output options ask (jq's -r, --join-output, -S, -e). */
struct fmt {
	int raw;		/* -r: a string as its text */
	int join;		/* --join-output: and no newline after it */
	int sort;		/* -S: object keys sorted */
	int any;		/* one of these: outputs are rewritten */
	int exit_status;	/* -e */
};

/* One thread's scratch for rewriting outputs. */
struct fmtbuf {
	sz_buf tmp, dec, jvs;
};

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
	sz_buf in;		/* the records' bytes */
	struct crec *r;
	size_t n, cap;
	size_t start;		/* first record still to run */
	size_t stop;		/* records run by the worker (< n: half done) */
	sz_buf out;		/* output lines */
	uint64_t lines;		/* outputs in out */
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

struct map {
	sz_expr e;		/* the main thread's program */
	const char *src;
	const sz_jqvars *vars;
	int fast;
	int jobs, unordered;
	uint64_t njobs;		/* -j */
	struct fmt f;
	struct fmtbuf fb;	/* the main thread's scratch */
	int null_input;		/* -n */
	int slurp;		/* -s */
	uint64_t max_bytes;	/* --max-bytes */
	sz_buf all;		/* -s: the records as one array */
	const char *last_file;	/* -s: where the last record came from */
	unsigned long last_line;
	sz_buf out;		/* single-threaded output of one record */
	/* -j N */
	sz_tool *t;
	sz_pool *pool;
	size_t outcap;		/* outputs a chunk may hold */
	struct chunk *cur;	/* being filled */
	uint64_t seq;		/* chunks submitted */
	uint64_t eseq;		/* the chunk that set t->exit_ok */
};

static const char usage[] =
"Usage: sz-map [OPTION]... EXPR [FILE]...\n"
"Run the jq program EXPR on each NDJSON record and write each of its\n"
"outputs as one compact JSON line; a record with no output is dropped.\n"
"\n"
"  -r, --raw-output       write a string output as its text, not as JSON\n"
"      --join-output      as -r, and no newline after each output\n"
"  -c, --compact-output   accepted for jq's sake (output is always compact)\n"
"  -S, --sort-keys        write the keys of objects in sorted order\n"
"  -e, --exit-status      exit 1 if the last record's last output is false\n"
"                         or null, 4 if it has no output\n"
"  -n, --null-input       run EXPR once with null as its input; read no input\n"
"  -s, --slurp            run EXPR once on an array of all the records\n"
"                         (held in memory: not streaming)\n"
"      --max-bytes=SIZE   with -s, the most input held (default 256MiB);\n"
"                         more is bad input (exit 65)\n"
"  -j, --jobs=N           run N workers (default 1), keeping input order\n"
"      --unordered        with -j, write results as they finish\n"
"      --no-fast          always evaluate EXPR with libjq\n"
SZ_JQ_HELP;

enum {
	OPT_UNORDERED = SZ_OPT_TOOL, OPT_NOFAST, OPT_JOIN, OPT_MAXBYTES
};

static const struct option longopts[] = {
	{ "jobs", required_argument, NULL, 'j' },
	{ "unordered", no_argument, NULL, OPT_UNORDERED },
	{ "no-fast", no_argument, NULL, OPT_NOFAST },
	{ "raw-output", no_argument, NULL, 'r' },
	{ "join-output", no_argument, NULL, OPT_JOIN },
	{ "compact-output", no_argument, NULL, 'c' },
	{ "sort-keys", no_argument, NULL, 'S' },
	{ "exit-status", no_argument, NULL, 'e' },
	{ "null-input", no_argument, NULL, 'n' },
	{ "slurp", no_argument, NULL, 's' },
	{ "max-bytes", required_argument, NULL, OPT_MAXBYTES },
	SZ_JQ_LONGOPTS,
	{ NULL, 0, NULL, 0 }
};

/* ---- outputs ------------------------------------------------------- */

/* Lines in p[0..n). */
static uint64_t
newlines(const char *p, size_t n)
{
	uint64_t k = 0;

	for (size_t i = 0; i < n; i++)
		k += p[i] == '\n';
	return k;
}

/* -e's status of a record whose k outputs are the lines p[0..n): jq
 * 1.6's: 4 without output, 1 when the last is false or null, else 0. */
static int
exit_of(const char *p, size_t n, long k)
{
	const char *last = p;

	if (k == 0)
		return 4;
	for (size_t i = 0; i + 1 < n; i++)
		if (p[i] == '\n')
			last = p + i + 1;
	n -= (size_t)(last - p);
	return (n == 6 && memcmp(last, "false\n", 6) == 0) ||
	    (n == 5 && memcmp(last, "null\n", 5) == 0);
}

/*
 * Rewrite the compact output lines out[mark..] as -r, --join-output and
 * -S ask, as jq 1.6 writes them: a string's decoded text (what jq's
 * parser makes of it, as sz_json_unescape decodes), and with -S every
 * other output read back and written by libjq's printer with the keys of
 * objects sorted (so the raw-bytes path gives libjq's text too). 0, or
 * -1 when memory ran out.
 */
static int
rewrite(const struct fmt *f, struct fmtbuf *w, sz_buf *out, size_t mark)
{
	const char *p = out->p + mark, *end = out->p + out->len;
	int rc = 0;

	sz_buf_reset(&w->tmp);
	while (p < end && rc == 0) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = (size_t)(nl - p);

		if (f->raw && *p == '"') {
			sz_buf_reset(&w->dec);
			rc |= sz_json_unescape(p, n, &w->dec);
			rc |= sz_buf_add(&w->tmp, w->dec.p, w->dec.len);
		} else if (f->sort) {
			jv v = sz_jq_parse(p, n, &w->jvs);

			if (jv_is_valid(v)) {
				jv s = jv_dump_string(v, JV_PRINT_SORTED);

				rc |= sz_buf_add(&w->tmp, jv_string_value(s),
				    (size_t)jv_string_length_bytes(jv_copy(s)));
				jv_free(s);
			} else {
				jv_free(v);
				rc |= sz_buf_add(&w->tmp, p, n);
			}
		} else
			rc |= sz_buf_add(&w->tmp, p, n);
		if (!f->join)
			rc |= sz_buf_addc(&w->tmp, '\n');
		p = nl + 1;
	}
	if (rc)
		return -1;
	out->len = mark;
	return sz_buf_add(out, w->tmp.p, w->tmp.len);
}

struct rewrite_args {
	const struct fmt *f;
	struct fmtbuf *w;
	sz_buf *out;
	size_t mark;
};

/* rewrite() inside the guard of libjq's faults (its printer's memory). */
static int
rewrite_body(void *ud)
{
	struct rewrite_args *a = ud;

	return rewrite(a->f, a->w, a->out, a->mark);
}

static void
fmtbuf_free(struct fmtbuf *w)
{
	sz_buf_free(&w->tmp);
	sz_buf_free(&w->dec);
	sz_buf_free(&w->jvs);
}

/*
 * Run the program on r and append its outputs to out as the output
 * options want them. Returns the number of outputs; SZ_EXPR_ERROR on a
 * jq error (nothing of r is in out) or a halt (out holds the outputs
 * before it, *halt_outs of them); RUN_NOMEM. *est gets -e's status of r
 * when it ran to its end.
 */
static long
run_one(const struct fmt *f, sz_expr *e, struct fmtbuf *w, const sz_rec *r,
    sz_buf *out, uint64_t *halt_outs, int *est)
{
	size_t mark = out->len;
	long k = sz_expr_map(e, r, out);

	if (k < 0 && !e->jq.halted) {
		out->len = mark;	/* a failed record writes nothing */
		return k;
	}
	if (k >= 0)
		*est = exit_of(out->p + mark, out->len - mark, k);
	else
		*halt_outs = newlines(out->p + mark, out->len - mark);
	if (f->any) {
		struct rewrite_args a = { f, w, out, mark };

		sz_buf_reset(&e->err);
		if (sz_jq_protect(&e->jq, rewrite_body, &a, &e->err) != 0) {
			out->len = mark;
			return RUN_NOMEM;
		}
	}
	return k;
}

/* ---- one thread ---------------------------------------------------- */

static int
map_record(sz_tool *t, const sz_rec *r)
{
	struct map *m = t->ud;
	uint64_t hn = 0;
	int est = 0;
	long k;

	sz_buf_reset(&m->out);
	k = run_one(&m->f, &m->e, &m->fb, r, &m->out, &hn, &est);
	if (k == RUN_NOMEM)
		return sz_fail(t, SZ_EXIT_FAIL, "out of memory");
	if (k < 0 && m->e.jq.halted) {
		/* jq writes what came before the halt */
		if (sz_emit_lines(t, m->out.p, m->out.len, hn) < 0)
			return -1;
		return sz_expr_bad(t, r, &m->e, NULL);
	}
	if (k < 0)
		return sz_expr_bad(t, r, &m->e, NULL);
	if (k == 0)
		t->st.dropped++;
	if (m->f.exit_status)
		t->exit_ok = est;
	return sz_emit_lines(t, m->out.p, m->out.len, (uint64_t)k);
}

/* -s: the records joined into one array, at most --max-bytes of it. */
static int
slurp_record(sz_tool *t, const sz_rec *r)
{
	struct map *m = t->ud;

	if (m->all.len + r->n + 2 > m->max_bytes) {
		t->st.errors++;
		return sz_fail(t, SZ_EXIT_DATA, "%s:%lu: -s: the input is "
		    "larger than --max-bytes (%llu bytes)", r->file, r->line,
		    (unsigned long long)m->max_bytes);
	}
	if (sz_buf_addc(&m->all, m->all.len ? ',' : '[') < 0 ||
	    sz_buf_add(&m->all, r->p, r->n) < 0)
		return sz_fail(t, SZ_EXIT_FAIL, "out of memory");
	m->last_file = r->file;
	m->last_line = r->line;
	return 0;
}

/* -s at the end of input: the program runs on the array (named by the
 * last record's place, as jq does); not after a failure that stopped the
 * input or a signal. */
static int
slurp_end(sz_tool *t)
{
	struct map *m = t->ud;
	sz_rec r = { NULL, 0, m->last_file ? m->last_file : "<stdin>",
	    m->last_line, NULL };

	if (t->stopping || t->halted)
		return 0;	/* a failure, a signal (a FILE not found is not) */
	if (sz_buf_adds(&m->all, m->all.len ? "]" : "[]") < 0) {
		sz_fail(t, SZ_EXIT_FAIL, "out of memory");
		return 0;
	}
	r.p = m->all.p;
	r.n = m->all.len;
	(void)map_record(t, &r);
	return 0;
}

/* ---- chunks -------------------------------------------------------- */

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
		k = run_one(f, &w->e, &w->fb, &r, &c->out, &hn, &c->est);
		if (k == RUN_NOMEM) {
			c->oom = 1;
			return;
		}
		if (k >= 0) {
			c->lines += (uint64_t)k;
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
	fmtbuf_free(&w->fb);
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

/* Hand the chunk being filled to the workers. */
static void
submit(struct map *m)
{
	struct chunk *c = m->cur;

	if (c == NULL || c->n == 0)
		return;
	m->cur = NULL;
	c->seq = ++m->seq;
	sz_pool_submit(m->pool, &c->pj, c->in.len);
}

/* Write a finished chunk: its output, with what it has to say where it
 * was. */
static int
emit_chunk(sz_tool *t, struct chunk *c)
{
	size_t pos = 0;
	uint64_t done = 0;

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
		switch (er->kind) {
		case E_HALT:
			/* jq writes what came before the halt, then stops */
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
		if (rc < 0)
			return -1;
	}
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

static const sz_proc slurp_proc = {
	.record = slurp_record,
	.end = slurp_end,
	.stats = map_stats,
};

/* Records are validated by the workers, so that a bad line is reported
 * in its turn (and the work is shared). */
static const sz_proc par_proc = {
	.record = par_record,
	.end = par_end,
	.idle = par_idle,
	.stats = map_stats,
	.raw = 1,
	.input_event = par_input_event,
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
	case 'r':
		m->f.raw = 1;
		break;
	case OPT_JOIN:
		m->f.raw = m->f.join = 1;
		break;
	case 'c':
		break;		/* output is compact anyway */
	case 'S':
		m->f.sort = 1;
		break;
	case 'e':
		m->f.exit_status = 1;
		break;
	case 'n':
		m->null_input = 1;
		break;
	case 's':
		m->slurp = 1;
		break;
	case OPT_MAXBYTES:
		return sz_opt_size(&t->o, "--max-bytes", &m->max_bytes);
	}
	return 0;
}

/* -n: one record, null, from a source of its own (standard input is not
 * read). */
static int
null_source(sz_tool *t)
{
	sz_source *s = sz_source_fed(&t->src, "<null>");

	if (s == NULL || sz_source_feed(s, "null\n", 5) < 0)
		return -1;
	sz_source_end(s);
	return 0;
}

static int
map_start(sz_tool *t)
{
	struct map *m = t->ud;
	int rc;

	if ((m->src = sz_tool_operand(t)) == NULL)
		return sz_usage(t, "missing EXPR");
	if ((rc = sz_tool_compile(t, &m->e, m->src, m->fast, NULL)) >= 0)
		return rc;
	m->vars = &t->vars;
	m->jobs = (int)m->njobs;
	m->f.any = m->f.raw || m->f.sort;
	if (m->null_input) {
		if (t->argc > 0)
			return sz_usage(t, "-n reads no input: FILE operands "
			    "cannot be given");
		m->slurp = 0;	/* as jq: . is null */
		if (null_source(t) < 0) {
			sz_msg(t, "error", NULL, 0, "out of memory");
			return SZ_EXIT_FAIL;
		}
	}
	if (m->slurp) {
		m->jobs = 1;	/* one record: nothing to share */
		t->proc = &slurp_proc;
		return -1;
	}
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
	sz_buf_free(&m->all);
	fmtbuf_free(&m->fb);
}

static void
map_init(sz_tool *t)
{
	struct map *m = t->ud;

	m->fast = 1;
	m->njobs = 1;
	m->max_bytes = SLURP_MAX;
}

static const sz_tool_def map_def = {
	.init = map_init,
	.prog = "sz-map", .usage = usage, .shortopts = "j:rcSens",
	.longopts = longopts, .jq = 1, .proc = &map_proc,
	.option = map_option, .start = map_start, .done = map_done,
};

SZ_TOOL_MAIN(map_def, struct map)
