/* SPDX-License-Identifier: MIT */
/*
 * sz-window - group records into windows (tumbling, sliding, session,
 * count) per key and write one line per closed window (streamz
 * TumblingWindow, SlidingWindow, SessionWindow, WindowCollector):
 *	{"start":T,"end":T,"key":K,"count":N,"items":[R1,...]}
 * The windows themselves are run/window.c's; a window's state here is
 * its records' bytes, joined by commas, in arrival order.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "run/window.h"

struct wstate {
	sz_buf items;		/* "R1,R2,..." */
	uint64_t *seq;		/* arrival number of each item (sessions) */
	size_t *end;		/* end offset of each item in items */
	size_t n, a;
};

struct window {
	sz_win win;
	int items;		/* --items (default true) */
	uint64_t seq;		/* arrival number of the current record */
	sz_buf line;
	sz_tool *t;
};

static const char usage[] =
"Usage: sz-window WINDOW [OPTION]... [FILE]...\n"
"Group NDJSON records into windows and write one line per window when it\n"
"closes: {\"start\":...,\"end\":...,\"key\":K,\"count\":N,\"items\":[...]},\n"
"the items being the records as they came. WINDOW is one of --tumbling,\n"
"--sliding with --every, --session, --count-window.\n"
"\n"
SZ_WIN_HELP
SZ_KEY_HELP
"                         (windows per key; default one key, null)\n"
SZ_KEY_TIME_HELP
"                         (event time; default the clock)\n"
SZ_KEY_MAXKEYS_HELP
"                         (open keys; then the first window to close\n"
"                         closes now)\n"
"      --items=false      write windows without their items\n"
SZ_KEY_NOFAST_HELP
SZ_JQ_HELP_F_KEY SZ_JQ_HELP_VARS;

enum { OPT_ITEMS = SZ_OPT_TOOL };

static const struct option longopts[] = {
	SZ_WIN_LONGOPTS,
	SZ_KEY_LONGOPTS,
	SZ_KEY_TIME_LONGOPT,
	SZ_KEY_MAXKEYS_LONGOPT,
	{ "items", required_argument, NULL, OPT_ITEMS },
	SZ_JQ_LONGOPTS,
	{ NULL, 0, NULL, 0 }
};

static int
ws_open(void *ud, void *state)
{
	(void)ud;
	(void)state;
	return 0;
}

static int
ws_push(struct wstate *s, uint64_t seq, const char *p, size_t n)
{
	if (s->n == s->a) {
		size_t na = s->a ? 2 * s->a : 4;
		uint64_t *ns = realloc(s->seq, na * sizeof(*ns));
		size_t *ne;

		if (ns == NULL)
			return -1;
		s->seq = ns;
		if ((ne = realloc(s->end, na * sizeof(*ne))) == NULL)
			return -1;
		s->end = ne;
		s->a = na;
	}
	if (s->items.len > 0 && sz_buf_add(&s->items, ",", 1) < 0)
		return -1;
	if (sz_buf_add(&s->items, p, n) < 0)
		return -1;
	s->seq[s->n] = seq;
	s->end[s->n++] = s->items.len;
	return 0;
}

static int
ws_add(void *ud, void *state, const sz_rec *r)
{
	struct window *m = ud;
	struct wstate *s = state;

	if (!m->items)
		return 0;
	if (ws_push(s, m->seq, r->p, r->n) < 0)
		return sz_fail(m->t, SZ_EXIT_FAIL, "out of memory");
	return 0;
}

/* Item i of s: its bytes. */
static const char *
ws_item(const struct wstate *s, size_t i, size_t *n)
{
	size_t b = i == 0 ? 0 : s->end[i - 1] + 1;

	*n = s->end[i] - b;
	return s->items.p + b;
}

/* Sessions: the items of both, in arrival order. */
static int
ws_merge(void *ud, void *dst, void *src)
{
	struct window *m = ud;
	struct wstate *d = dst, *s = src, out;
	size_t i = 0, j = 0, n;
	const char *p;

	if (!m->items)
		return 0;
	memset(&out, 0, sizeof(out));
	while (i < d->n || j < s->n) {
		int fromd = j >= s->n || (i < d->n && d->seq[i] < s->seq[j]);
		uint64_t q = fromd ? d->seq[i] : s->seq[j];

		p = fromd ? ws_item(d, i++, &n) : ws_item(s, j++, &n);
		if (ws_push(&out, q, p, n) < 0) {
			sz_buf_free(&out.items);
			free(out.seq);
			free(out.end);
			return sz_fail(m->t, SZ_EXIT_FAIL, "out of memory");
		}
	}
	sz_buf_free(&d->items);
	free(d->seq);
	free(d->end);
	*d = out;
	return 0;
}

static int
ws_close(void *ud, void *state, const sz_winfo *w)
{
	struct window *m = ud;
	struct wstate *s = state;
	sz_buf *b = &m->line;
	char num[32];
	int n;

	sz_buf_reset(b);
	n = snprintf(num, sizeof(num), "%llu", (unsigned long long)w->count);
	if (sz_buf_add(b, "{\"start\":", 9) < 0 ||
	    sz_win_fmt_time(b, w->start) < 0 ||
	    sz_buf_add(b, ",\"end\":", 7) < 0 ||
	    sz_win_fmt_time(b, w->end) < 0 ||
	    sz_buf_add(b, ",\"key\":", 7) < 0 ||
	    sz_buf_add(b, w->key, w->keylen) < 0 ||
	    sz_buf_add(b, ",\"count\":", 9) < 0 ||
	    sz_buf_add(b, num, (size_t)n) < 0)
		return sz_fail(m->t, SZ_EXIT_FAIL, "out of memory");
	if (m->items && (sz_buf_add(b, ",\"items\":[", 10) < 0 ||
	    sz_buf_add(b, s->items.p, s->items.len) < 0 ||
	    sz_buf_add(b, "]", 1) < 0))
		return sz_fail(m->t, SZ_EXIT_FAIL, "out of memory");
	if (sz_buf_add(b, "}", 1) < 0)
		return sz_fail(m->t, SZ_EXIT_FAIL, "out of memory");
	return sz_emit(m->t, b->p, b->len);
}

static void
ws_free(void *ud, void *state)
{
	struct wstate *s = state;

	(void)ud;
	sz_buf_free(&s->items);
	free(s->seq);
	free(s->end);
}

static size_t
ws_bytes(void *ud, const void *state)
{
	const struct wstate *s = state;

	(void)ud;
	return s->items.len + s->n * (sizeof(uint64_t) + sizeof(size_t));
}

static const sz_winops window_ops = {
	sizeof(struct wstate), ws_open, ws_add, ws_merge, ws_close, ws_free,
	ws_bytes
};

static int
window_record(sz_tool *t, const sz_rec *r)
{
	struct window *m = t->ud;

	m->seq++;
	return sz_win_record(&m->win, t, r);
}

static int
window_end(sz_tool *t)
{
	struct window *m = t->ud;

	return sz_win_end(&m->win, t);
}

static void
window_idle(sz_tool *t)
{
	struct window *m = t->ud;

	sz_win_idle(&m->win, t);
}

static void
window_stats(sz_tool *t, sz_statv *v)
{
	struct window *m = t->ud;

	sz_win_stats(&m->win, v);
}

static const sz_proc window_proc = {
	.record = window_record,
	.end = window_end,
	.idle = window_idle,
	.stats = window_stats,
};

static int
window_option(sz_tool *t, int c)
{
	struct window *m = t->ud;
	int rc;

	if ((rc = sz_win_option(&m->win, t, c)) != 0)
		return rc == 1 ? 0 : rc;
	switch (c) {
	case OPT_ITEMS:
		if (strcmp(optarg, "true") == 0)
			m->items = 1;
		else if (strcmp(optarg, "false") == 0)
			m->items = 0;
		else
			return sz_opt_fail(&t->o, "--items: '%s' is not true "
			    "or false", optarg);
		break;
	}
	return 0;
}

static int
window_start(sz_tool *t)
{
	struct window *m = t->ud;

	if (!sz_win_windowed(&m->win))
		return sz_usage(t, "give a window: --tumbling, --sliding, "
		    "--session or --count-window");
	return sz_win_start(&m->win, t);
}

static void
window_done(sz_tool *t)
{
	struct window *m = t->ud;

	sz_win_free(&m->win);
	sz_buf_free(&m->line);
}

static void
window_init(sz_tool *t)
{
	struct window *m = t->ud;

	sz_win_init(&m->win, t, &window_ops, m);
	m->items = 1;
	m->t = t;
}

static const sz_tool_def window_def = {
	.init = window_init,
	.prog = "sz-window", .usage = usage, .shortopts = "k:",
	.longopts = longopts, .jq = 1, .proc = &window_proc,
	.option = window_option, .start = window_start, .done = window_done,
};

SZ_TOOL_MAIN(window_def, struct window)
