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

#include "core/items.h"
#include "run/window.h"

struct wstate {
	sz_items items;		/* the records' bytes, in arrival order */
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
ws_add(void *ud, void *state, const sz_rec *r)
{
	struct window *m = ud;
	struct wstate *s = state;

	if (!m->items)
		return 0;
	if (sz_items_push(&s->items, m->seq, r->p, r->n) < 0)
		return sz_fail(m->t, SZ_EXIT_FAIL, "out of memory");
	return 0;
}

/* Sessions: the items of both, in arrival order. */
static int
ws_merge(void *ud, void *dst, void *src)
{
	struct window *m = ud;
	struct wstate *d = dst, *s = src;

	if (m->items && sz_items_merge(&d->items, &s->items) != 0)
		return sz_fail(m->t, SZ_EXIT_FAIL, "out of memory");
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
	    sz_buf_add(b, s->items.text.p, s->items.text.len) < 0 ||
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
	sz_items_free(&s->items);
}

static size_t
ws_bytes(void *ud, const void *state)
{
	const struct wstate *s = state;

	(void)ud;
	return sz_items_bytes(&s->items);
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
