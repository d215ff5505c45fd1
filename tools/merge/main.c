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
 * been quiet for --idle; ties go to the source given first (by.c).
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "json/str.h"
#include "merge.h"

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
int
merge_put(sz_tool *t, struct msrc *m, const char *p, size_t n)
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
	return merge_put(t, m, r->p, r->n);
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
	if (g->have_by && !t->epipe && by_drain(t, 1) < 0)
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
		(void)by_drain(t, 0);
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
	return -1;
nomem:
	sz_msg(t, "error", NULL, 0, "out of memory");
	return SZ_EXIT_FAIL;
}

int
by_compile(sz_tool *t)
{
	struct merge *g = t->ud;
	int rc = sz_tool_compile(t, &g->by, g->bysrc, 1, "--by");

	g->compiled = rc < 0;
	return rc;
}

/* May the compile of --by wait for a record that needs it? */
static int
lazy_ok(const sz_tool *t)
{
	const char *home = getenv("HOME");
	char path[4096];

	if (t->vars.n > 0 || t->vars.nlib > 0 ||
	    t->vars.posmode != SZ_JQ_POS_NONE)
		return 0;
	if (home == NULL || (size_t)snprintf(path, sizeof(path), "%s/.jq",
	    home) >= sizeof(path))
		return 0;
	return access(path, F_OK) != 0;
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
		g->have_by = 1;
		if (by_setup(g) < 0) {
			sz_msg(t, "error", NULL, 0, "out of memory");
			return SZ_EXIT_FAIL;
		}
		/* --by .NAME with nothing that could make libjq say no
		 * (jq variables or libraries, a ~/.jq) is compiled by
		 * the first record that needs libjq (by.c), if any. */
		if ((g->byname == NULL || !lazy_ok(t)) &&
		    (rc = by_compile(t)) >= 0)
			return rc;
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
		byq_free(&g->v[i].q);
	}
	free(g->v);
	if (g->compiled)
		sz_expr_free(&g->by);
	sz_buf_free(&g->out);
	sz_buf_free(&g->key);
	sz_buf_free(&g->written);
	free(g->byname);
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
