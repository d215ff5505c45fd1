/* SPDX-License-Identifier: MIT */
/*
 * sz-merge - fan-in: read several SOURCEs at once (files, standard input,
 * FIFOs, descriptors, the output of commands) and write their records as
 * they come, whole, each source's in its own order (streamz FanIn); with
 * --by EXPR, an ordered k-way merge of sources each sorted by EXPR.
 *
 * The sources are the runtime's (run/source.c, read at once): each has its
 * own framer and NAME:LINE, and since standard output blocks, a slow
 * reader stops every source. --by keeps a bounded queue per source (a
 * source whose queue is full is paused) and writes the least head, in jq's
 * order (json.h, sz_json_cmp), while every live source has a record or has
 * been quiet for --idle; ties go to the source given first.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/queue.h"
#include "io/child.h"
#include "jq/expr.h"
#include "json/str.h"
#include "run/tool.h"

/* What --by holds per source, at most: then the source is paused. */
#define QUEUE_RECORDS 1024
#define QUEUE_BYTES (4 * 1024 * 1024)

struct msrc {
	const char *text;	/* the SOURCE as given */
	const char *name;	/* in messages and --tag: "<stdin>" for - */
	sz_source *s;
	sz_child ch;		/* <COMMAND, |COMMAND */
	int child, said;	/* a child; its end was looked at */
	sz_buf tag;		/* ,"NAME":"<source>" */
	sz_queue q;		/* --by: records waiting (see push) */
	sz_buf last;		/* --by: the key of its last record taken,
				   once its queue is empty (else the
				   queue's newest has it) */
	unsigned long last_line;
	int have_last;
	int paused;		/* by us: its queue is full */
	int idle;		/* --idle: not waited for */
	uint64_t seen;		/* --idle: when its last record came */
	uint64_t in;
};

struct merge {
	const char *tag;	/* --tag NAME */
	const char *bysrc;	/* --by EXPR */
	sz_expr by;
	int have_by;
	uint64_t idle_ns;	/* --idle */
	uint64_t timer;		/* the --idle timer, or 0 */
	struct msrc *v;
	size_t n;
	sz_buf out;		/* the array of EXPR's outputs, a tagged record */
	sz_buf key;		/* a record's key */
	sz_buf written;		/* --idle: the key of the last record written */
	int have_written;
	int ending;		/* end() waits for children */
	uint64_t idled;
};

static const char usage[] =
"Usage: sz-merge [OPTION]... [SOURCE]...\n"
"Read every SOURCE at once and write their NDJSON records as they come,\n"
"whole, in each source's own order; end when every SOURCE has ended. A\n"
"SOURCE is a FILE, - (standard input), a FIFO, &N (descriptor N), or\n"
"<COMMAND or |COMMAND (the output of /bin/sh -c COMMAND).\n"
"\n"
"      --tag NAME         add \"NAME\":\"<the SOURCE>\" as the last member\n"
"                         of each record (records must be objects)\n"
"      --by EXPR          an ordered merge of SOURCEs each sorted by EXPR:\n"
"                         the least record first (jq's sort_by order),\n"
"                         ties in SOURCE order; waits for a record of\n"
"                         every SOURCE that has not ended; a record that\n"
"                         sorts before its SOURCE's previous one is bad\n"
"                         input (error_kind \"order\")\n"
"      --idle DURATION    with --by: stop waiting for a SOURCE that sent\n"
"                         nothing for DURATION (until it sends again)\n"
"  -f, --from-file FILE   read the --by expression from FILE\n"
SZ_JQ_HELP_VARS;

enum { OPT_TAG = SZ_OPT_TOOL, OPT_BY, OPT_IDLE };

static const struct option longopts[] = {
	{ "tag", required_argument, NULL, OPT_TAG },
	{ "by", required_argument, NULL, OPT_BY },
	{ "idle", required_argument, NULL, OPT_IDLE },
	SZ_JQ_LONGOPTS,
	{ NULL, 0, NULL, 0 }
};

/* ---- writing ------------------------------------------------------------ */

/* Write r[0..n) from m, with its tag when --tag is given: the member goes
 * before the object's last '}', nothing else changes. */
static int
put(sz_tool *t, struct msrc *m, const char *p, size_t n)
{
	struct merge *g = t->ud;
	size_t e = n, b;

	if (g->tag == NULL)
		return sz_emit(t, p, n);
	while (e > 0 && p[e - 1] != '}')
		e--;
	b = e - 1;	/* checked at arrival: an object */
	while (b > 0 && strchr(" \t\r\n", p[b - 1]) != NULL)
		b--;
	sz_buf_reset(&g->out);
	if (sz_buf_add(&g->out, p, e - 1) < 0 ||
	    sz_buf_add(&g->out, m->tag.p + (p[b - 1] == '{'),
	    m->tag.len - (p[b - 1] == '{')) < 0 ||
	    sz_buf_add(&g->out, p + e - 1, n - e + 1) < 0)
		return sz_fail(t, SZ_EXIT_FAIL, "out of memory");
	return sz_emit(t, g->out.p, g->out.len);
}

/* ---- --by ------------------------------------------------------------- */

/* A queue item: the key's length, the key, the record. */
static void
item_parts(const sz_qitem *it, const char **key, size_t *kn,
    const char **rec, size_t *rn)
{
	memcpy(kn, it->p, sizeof(*kn));
	*key = it->p + sizeof(*kn);
	*rec = *key + *kn;
	*rn = it->n - sizeof(*kn) - *kn;
}

static int
head_cmp(const sz_qitem *a, const sz_qitem *b)
{
	const char *ka, *kb, *ra, *rb;
	size_t kan, kbn, ran, rbn;

	item_parts(a, &ka, &kan, &ra, &ran);
	item_parts(b, &kb, &kbn, &rb, &rbn);
	return sz_json_cmp(ka, kan, kb, kbn);
}

static void idle_fire(sz_loop *l, void *ud);

/*
 * Write the least head while every live source that is waited for has
 * one (all: `final`, at the end). Ties: the source given first. A source
 * paused for its full queue is resumed once it has room. 0 or -1.
 */
static int
drain(sz_tool *t, int final)
{
	struct merge *g = t->ud;

	for (;;) {
		struct msrc *best = NULL, *wait = NULL;
		const char *k, *p;
		size_t kn, n;
		sz_qitem *it;
		int rc;

		/* A source waited for without a record: nothing yet (and
		 * no comparison made). */
		for (size_t i = 0; i < g->n && !final && wait == NULL; i++) {
			struct msrc *m = &g->v[i];

			if (m->q.count == 0 && !m->s->done && !m->idle)
				wait = m;
		}
		if (wait != NULL) {
			if (g->idle_ns && g->timer == 0)
				g->timer = sz_loop_timer(&t->loop, wait->seen +
				    g->idle_ns, idle_fire, t);
			return 0;
		}
		for (size_t i = 0; i < g->n; i++) {
			struct msrc *m = &g->v[i];
			sz_qitem *h = sz_queue_head(&m->q);

			if (h != NULL && (best == NULL ||
			    head_cmp(h, sz_queue_head(&best->q)) < 0))
				best = m;
		}
		if (best == NULL)
			return 0;
		it = sz_queue_pop(&best->q);
		item_parts(it, &k, &kn, &p, &n);
		/* Keys kept beyond their item: the source's last one when
		 * its queue empties, what was written (only --idle needs
		 * it: a source waited for cannot sort before it). */
		if (best->q.count == 0) {
			sz_buf_reset(&best->last);
			rc = sz_buf_add(&best->last, k, kn);
		} else
			rc = 0;
		if (g->idle_ns) {
			sz_buf_reset(&g->written);
			rc |= sz_buf_add(&g->written, k, kn);
			g->have_written = 1;
		}
		if (rc < 0) {
			free(it);
			return sz_fail(t, SZ_EXIT_FAIL, "out of memory");
		}
		rc = put(t, best, p, n);
		free(it);
		if (rc < 0)
			return -1;
		if (best->paused && !sz_queue_full(&best->q, 0)) {
			best->paused = 0;
			sz_source_resume(best->s);
		}
	}
}

/* --idle: the sources quiet for that long are not waited for. */
static void
idle_fire(sz_loop *l, void *ud)
{
	sz_tool *t = ud;
	struct merge *g = t->ud;
	uint64_t now = sz_now();

	(void)l;
	g->timer = 0;
	for (size_t i = 0; i < g->n; i++) {
		struct msrc *m = &g->v[i];

		if (!m->idle && !m->s->done && m->q.count == 0 &&
		    now - m->seen >= g->idle_ns) {
			m->idle = 1;
			g->idled++;
		}
	}
	if (!t->stopping)
		(void)drain(t, 0);
}

/*
 * The key of r, in g->key: the array of EXPR's outputs, as sort_by
 * compares [EXPR]. The outputs are compact with valid UTF-8 (expr.h), so
 * the array is already canonical (json.h) unless an output is an array
 * or an object. 0, 1 (bad input said, go on) or -1.
 */
static int
by_key(sz_tool *t, const sz_rec *r)
{
	struct merge *g = t->ud;
	sz_buf *b = &g->key;
	int nested = 0;
	long k;

	sz_buf_reset(b);
	if (sz_buf_add(b, "[", 1) < 0)
		return sz_fail(t, SZ_EXIT_FAIL, "out of memory");
	if ((k = sz_expr_map(&g->by, r, b)) == SZ_EXPR_ERROR)
		return sz_expr_bad(t, r, &g->by, "--by") < 0 ? -1 : 1;
	/* "[o1\no2\n" -> "[o1,o2]" */
	for (size_t i = 1; i < b->len; i++)
		if (b->p[i] == '\n') {
			b->p[i] = ',';
			nested |= i + 1 < b->len && (b->p[i + 1] == '[' ||
			    b->p[i + 1] == '{');
		}
	nested |= b->len > 1 && (b->p[1] == '[' || b->p[1] == '{');
	if (k == 0 ? sz_buf_add(b, "]", 1) < 0 : (b->p[b->len - 1] = ']', 0))
		return sz_fail(t, SZ_EXIT_FAIL, "out of memory");
	if (nested) {
		sz_buf_reset(&g->out);
		if (sz_json_canon(b->p, b->len, &g->out) < 0)
			return sz_fail(t, SZ_EXIT_FAIL, "out of memory");
		sz_buf_reset(b);
		if (sz_buf_add(b, g->out.p, g->out.len) < 0)
			return sz_fail(t, SZ_EXIT_FAIL, "out of memory");
	}
	return 0;
}

/* Would a record of m (whose queue is empty) with this key be the next
 * to write: every other source waited for has a head, and sorts after it
 * (or equal, from a later source)? */
static int
least(struct merge *g, struct msrc *m, const char *key, size_t kn)
{
	for (size_t i = 0; i < g->n; i++) {
		struct msrc *o = &g->v[i];
		const char *k, *p;
		size_t okn, n;
		int c;

		if (o == m)
			continue;
		if (o->q.count == 0) {
			if (!o->s->done && !o->idle)
				return 0;
			continue;
		}
		item_parts(sz_queue_head(&o->q), &k, &okn, &p, &n);
		if ((c = sz_json_cmp(key, kn, k, okn)) > 0 || (c == 0 && o < m))
			return 0;
	}
	return 1;
}

/* The record is the least: written at once, never queued. */
static int
by_direct(sz_tool *t, struct msrc *m, const char *key, size_t kn,
    const sz_rec *r)
{
	struct merge *g = t->ud;

	sz_buf_reset(&m->last);
	if (sz_buf_add(&m->last, key, kn) < 0)
		return sz_fail(t, SZ_EXIT_FAIL, "out of memory");
	if (g->idle_ns) {
		sz_buf_reset(&g->written);
		if (sz_buf_add(&g->written, key, kn) < 0)
			return sz_fail(t, SZ_EXIT_FAIL, "out of memory");
		g->have_written = 1;
	}
	m->have_last = 1;
	m->last_line = r->line;
	return put(t, m, r->p, r->n);
}

/* A record of m for the ordered merge: its key, the order checks, into
 * m's queue (m paused when full), then what can be written. */
static int
by_record(sz_tool *t, struct msrc *m, const sz_rec *r)
{
	struct merge *g = t->ud;
	const char *key, *lk = m->last.p, *rp;
	size_t kn, lkn = m->last.len, rn;
	sz_qitem *it;
	int k;

	if (g->idle_ns)
		m->seen = sz_now();
	if ((k = by_key(t, r)) != 0)
		return k < 0 ? -1 : 0;
	key = g->key.p;
	kn = g->key.len;
	/* The source's last key: its newest queued record's, or kept. */
	if (m->q.tail != NULL)
		item_parts(m->q.tail, &lk, &lkn, &rp, &rn);
	if (m->have_last && sz_json_cmp(key, kn, lk, lkn) < 0)
		return sz_bad(t, r, "order", 1, "--by: out of order: sorts "
		    "before line %lu, the source's previous record",
		    m->last_line);
	if (g->have_written && sz_json_cmp(key, kn, g->written.p,
	    g->written.len) < 0)
		return sz_bad(t, r, "order", 1, "--by: out of order: sorts "
		    "before records already written (%s was idle)", m->name);
	m->idle = 0;
	if (m->q.count == 0 && least(g, m, key, kn))
		return by_direct(t, m, key, kn, r);
	if ((it = sz_queue_push_n(&m->q, sizeof(kn) + kn + r->n, r->file,
	    r->line)) == NULL)
		return sz_fail(t, SZ_EXIT_FAIL, "out of memory");
	memcpy(it->p, &kn, sizeof(kn));
	memcpy(it->p + sizeof(kn), key, kn);
	memcpy(it->p + sizeof(kn) + kn, r->p, r->n);
	m->have_last = 1;
	m->last_line = r->line;
	if (sz_queue_full(&m->q, 0) && !t->stopsig && !m->paused) {
		m->paused = 1;
		sz_source_pause(m->s);
	}
	return drain(t, 0);
}

/* ---- callbacks ---------------------------------------------------------- */

static int
merge_record(sz_tool *t, const sz_rec *r)
{
	struct merge *g = t->ud;
	struct msrc *m = sz_tool_source(t)->ud;
	const char *p = sz_json_ws(r->p, r->p + r->n);

	m->in++;
	if (g->tag != NULL && *p != '{')
		return sz_bad(t, r, "validation", 1, "--tag: the record is "
		    "not an object (%s)", sz_jtype_name(sz_json_type(p,
		    r->p + r->n)));
	if (g->have_by)
		return by_record(t, m, r);
	return put(t, m, r->p, r->n);
}

/* Children that ended: one that failed is named, and the run fails. */
static int
children_check(sz_tool *t)
{
	struct merge *g = t->ud;
	int running = 0;
	char how[128];

	for (size_t i = 0; i < g->n; i++) {
		struct msrc *m = &g->v[i];

		if (!m->child || m->said)
			continue;
		if (!sz_child_reap(&m->ch)) {
			running = 1;
			continue;
		}
		m->said = 1;
		if (sz_child_ok(m->ch.wstatus) || t->stopsig)
			continue;
		sz_msg(t, "error", NULL, 0, "%s: the command %s", m->text,
		    sz_child_status_text(m->ch.wstatus, how, sizeof(how)));
		if (t->status == 0)
			t->status = SZ_EXIT_FAIL;
	}
	return running;
}

static void
merge_child(sz_tool *t)
{
	struct merge *g = t->ud;

	if (!children_check(t) && g->ending)
		sz_tool_finish(t);
}

/* Every source ended: write what is held (all of it), then wait for the
 * children. After a stop or bad input, do not wait. */
static int
merge_end(sz_tool *t)
{
	struct merge *g = t->ud;
	int all = 1;

	if (g->timer != 0) {
		sz_loop_cancel(&t->loop, g->timer);
		g->timer = 0;
	}
	if (g->have_by && !t->epipe && drain(t, 1) < 0)
		return -1;
	for (size_t i = 0; i < g->n; i++)
		all = all && g->v[i].s->done;
	if (!all || t->stopsig || t->epipe)
		return 0;
	g->ending = children_check(t);
	return g->ending;
}

/* Input is idle: a source may have ended, so --by may write more. */
static void
merge_idle(sz_tool *t)
{
	struct merge *g = t->ud;

	if (g->have_by && !t->stopping)
		(void)drain(t, 0);
}

static void
merge_stats(sz_tool *t, sz_statv *v)
{
	struct merge *g = t->ud;

	if (g->idle_ns)
		sz_stat_counter(v, "idled", g->idled);
	sz_stat_group(v, "sources", "source");
	for (size_t i = 0; i < g->n; i++) {
		sz_stat_member(v, g->v[i].name);
		sz_stat_counter(v, "in", g->v[i].in);
	}
	sz_stat_group(v, NULL, NULL);
}

static const sz_proc merge_proc = {
	.record = merge_record,
	.end = merge_end,
	.idle = merge_idle,
	.child = merge_child,
	.stats = merge_stats,
	.files_at_once = 1,
};

/* ---- set-up ------------------------------------------------------------- */

static int
merge_option(sz_tool *t, int c)
{
	struct merge *g = t->ud;

	switch (c) {
	case OPT_TAG:
		if (*optarg == '\0')
			return sz_opt_fail(&t->o, "--tag: the name is empty");
		g->tag = optarg;
		break;
	case OPT_BY:
		g->bysrc = optarg;
		break;
	case OPT_IDLE:
		return sz_opt_duration_pos(&t->o, "--idle", &g->idle_ns);
	}
	return 0;
}

/* Open SOURCE m->text as a source of the set. 0, or an exit status. */
static int
open_source(sz_tool *t, struct msrc *m)
{
	struct merge *g = t->ud;
	const char *x = m->text;
	char err[256];
	int fd;

	if (x[0] == '<' || x[0] == '|') {
		if (strspn(x + 1, " \t") == strlen(x + 1))
			return sz_usage(t, "'%s': the command is empty", x);
		if (sz_child_spawn(&m->ch, NULL, x + 1, SZ_CHILD_STDOUT, NULL,
		    err, sizeof(err)) < 0) {
			sz_msg(t, "error", NULL, 0, "%s: %s", x, err);
			return SZ_EXIT_FAIL;
		}
		m->child = 1;
		if ((m->s = sz_source_fd(&t->src, m->ch.out, m->name, 1)) ==
		    NULL)
			goto nomem;
		m->ch.out = -1;		/* the source closes it */
	} else if (x[0] == '&') {
		if (x[1] == '\0' || strspn(x + 1, "0123456789") !=
		    strlen(x + 1) || strlen(x + 1) > 9)
			return sz_usage(t, "'%s': &N needs a descriptor "
			    "number", x);
		fd = atoi(x + 1);
		if (fcntl(fd, F_GETFL) < 0) {
			sz_msg(t, "error", NULL, 0, "%s: descriptor %d is not "
			    "open", x, fd);
			return SZ_EXIT_FAIL;
		}
		(void)fcntl(fd, F_SETFD, FD_CLOEXEC);	/* not for children */
		if ((m->s = sz_source_fd(&t->src, fd, m->name, 1)) == NULL)
			goto nomem;
	} else {
		if (*x == '\0')
			return sz_usage(t, "a SOURCE is empty");
		if ((m->s = sz_source_file(&t->src, x)) == NULL)
			goto nomem;
		m->s->name = m->name;
	}
	m->s->ud = m;
	if (g->tag != NULL && (sz_buf_add(&m->tag, ",", 1) < 0 ||
	    sz_buf_add_jstr(&m->tag, g->tag, strlen(g->tag)) < 0 ||
	    sz_buf_add(&m->tag, ":", 1) < 0 ||
	    sz_buf_add_jstr(&m->tag, m->name, strlen(m->name)) < 0))
		goto nomem;
	sz_queue_init(&m->q, QUEUE_RECORDS, QUEUE_BYTES);
	return -1;
nomem:
	sz_msg(t, "error", NULL, 0, "out of memory");
	return SZ_EXIT_FAIL;
}

static int
merge_start(sz_tool *t)
{
	struct merge *g = t->ud;
	const char *x;
	int rc, stdin_seen = 0;

	if (g->idle_ns && g->bysrc == NULL && t->vars.prog == NULL)
		return sz_usage(t, "--idle needs --by");
	if ((g->v = calloc((size_t)t->argc + 1, sizeof(*g->v))) == NULL) {
		sz_msg(t, "error", NULL, 0, "out of memory");
		return SZ_EXIT_FAIL;
	}
	while ((x = sz_tool_operand(t)) != NULL || g->n == 0) {
		struct msrc *m = &g->v[g->n++];

		m->text = x != NULL ? x : "-";
		m->name = strcmp(m->text, "-") == 0 ? "<stdin>" : m->text;
		m->seen = sz_now();
		if (strcmp(m->text, "-") == 0 && stdin_seen++)
			return sz_usage(t, "'-' (standard input) given twice");
		if ((rc = open_source(t, m)) >= 0)
			return rc;
		if (x == NULL)
			break;
	}
	if (t->vars.prog != NULL) {
		if (g->bysrc != NULL)
			return sz_usage(t, "give --by EXPR or --from-file "
			    "FILE, not both");
		g->bysrc = t->vars.prog;
		t->vars.prog_used = 1;
	}
	if (g->bysrc != NULL) {
		if ((rc = sz_tool_compile(t, &g->by, g->bysrc, 1,
		    "--by")) >= 0)
			return rc;
		g->have_by = 1;
	}
	return -1;
}

static void
merge_done(sz_tool *t)
{
	struct merge *g = t->ud;

	for (size_t i = 0; i < g->n; i++) {
		sz_child_free(&g->v[i].ch);
		sz_buf_free(&g->v[i].tag);
		sz_buf_free(&g->v[i].last);
		sz_queue_clear(&g->v[i].q);
	}
	free(g->v);
	if (g->have_by)
		sz_expr_free(&g->by);
	sz_buf_free(&g->out);
	sz_buf_free(&g->key);
	sz_buf_free(&g->written);
}

static void
merge_init(sz_tool *t)
{
	(void)t;
}

static const sz_tool_def merge_def = {
	.init = merge_init,
	.prog = "sz-merge", .usage = usage, .longopts = longopts, .jq = 1,
	.proc = &merge_proc, .option = merge_option, .start = merge_start,
	.done = merge_done,
};

SZ_TOOL_MAIN(merge_def, struct merge)
