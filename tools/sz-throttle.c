/* SPDX-License-Identifier: MIT */
/*
 * sz-throttle - limit the rate of records: pace them with a token bucket
 * (delayed, never dropped, with backpressure), drop those above the rate
 * (streamz Throttle), or debounce them (streamz Debounce: a record goes
 * out after DURATION without a newer one); --key keeps one bucket or one
 * pending record per key.
 *
 * Pacing holds at most one record (a copy) and pauses the input while it
 * waits for a token, so the read buffer and the pipe push back upstream.
 * The bucket holds max(--burst, RATE x 1 ms) tokens: timers have a
 * resolution of one millisecond, so at rates above 1000/s records go out
 * in groups of at most RATE x 1 ms instead of losing rate.
 *
 * Keyed debounce keeps the keys in a keymap whose recency order is the
 * order of their deadlines (all deadlines are last arrival + DURATION), so
 * one timer on the oldest key serves them all.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jq/expr.h"
#include "core/keymap.h"
#include "run/tool.h"

#define TIMER_RES_NS 1000000.0	/* resolution of the loop's timers */

enum mode { M_PACE, M_DROP, M_DEBOUNCE };

struct bucket {
	double tokens;
	uint64_t last;		/* when tokens were last added */
};

/* A record waiting for its debounce deadline. */
struct pending {
	uint64_t deadline;
	char *p;
	size_t n, cap;
};

struct throttle {
	enum mode mode;
	double rate;		/* records per second */
	uint64_t burst;		/* --burst */
	double cap;		/* tokens the bucket holds */
	struct bucket b;	/* the global bucket */
	uint64_t wait;		/* --debounce, ns */
	/* pacing */
	sz_buf held;		/* the record waiting for a token */
	int holding;
	uint64_t timer;
	uint64_t delayed;
	/* global debounce */
	struct pending pend;
	int pending;
	/* --key */
	const char *keysrc;
	sz_expr key;
	int have_key;
	sz_buf kb;
	sz_keymap *km;
	uint64_t max_keys;
	sz_tool *t;		/* for the evict callback */
	/* --dropped */
	sz_out dropped;
};

static const char usage[] =
"Usage: sz-throttle [OPTION]... RATE [FILE]...\n"
"       sz-throttle --debounce=DURATION [OPTION]... [FILE]...\n"
"Limit the rate of NDJSON records. RATE is N/s, N/m or N/h. By default\n"
"records are delayed (never dropped) to at most RATE on average.\n"
"\n"
"  -b, --burst=N          let N records go at once (default 1)\n"
"  -d, --drop             drop the records above RATE instead of delaying\n"
"      --debounce=DURATION\n"
"                         write a record only after DURATION without a\n"
"                         newer one (no RATE operand)\n"
"  -k, --key=EXPR         with --drop or --debounce: one bucket or one\n"
"                         pending record per value of the jq expression EXPR\n"
"      --max-keys=N       keys kept at most (default 100000); the least\n"
"                         recently seen key is forgotten first\n"
"      --dropped=FILE     write the dropped records to FILE\n"
SZ_JQ_HELP;

enum { OPT_DEBOUNCE = SZ_OPT_TOOL, OPT_MAXKEYS, OPT_DROPPED };

static const struct option longopts[] = {
	{ "burst", required_argument, NULL, 'b' },
	{ "drop", no_argument, NULL, 'd' },
	{ "debounce", required_argument, NULL, OPT_DEBOUNCE },
	{ "key", required_argument, NULL, 'k' },
	{ "max-keys", required_argument, NULL, OPT_MAXKEYS },
	{ "dropped", required_argument, NULL, OPT_DROPPED },
	SZ_JQ_LONGOPTS,
	{ NULL, 0, NULL, 0 }
};

/* ---- common -------------------------------------------------------- */

static void
refill(const struct throttle *th, struct bucket *b, uint64_t now)
{
	if (now > b->last) {
		b->tokens += (double)(now - b->last) * th->rate / 1e9;
		if (b->tokens > th->cap)
			b->tokens = th->cap;
	}
	b->last = now;
}

/* The canonical key of r into th->kb: 0, or what record() returns. */
static int
get_key(sz_tool *t, const sz_rec *r)
{
	struct throttle *th = t->ud;
	int k;

	sz_buf_reset(&th->kb);
	k = sz_expr_key(&th->key, r, &th->kb);
	if (k == SZ_EXPR_ERROR)
		return sz_expr_bad(t, r, &th->key, "--key") < 0 ?
		    -1 : 1;
	if (k == SZ_EXPR_EMPTY)
		return sz_bad(t, r, "key", 1, "--key yields no value") < 0 ?
		    -1 : 1;
	return 0;
}

/* ---- pacing -------------------------------------------------------- */

static int
release_held(sz_tool *t)
{
	struct throttle *th = t->ud;

	if (th->timer) {
		sz_loop_cancel(&t->loop, th->timer);
		th->timer = 0;
	}
	if (!th->holding)
		return 0;
	th->holding = 0;
	return sz_emit(t, th->held.p, th->held.len);
}

static void
arm(sz_tool *t, uint64_t now);

static void
on_token(sz_loop *l, void *ud)
{
	sz_tool *t = ud;
	struct throttle *th = t->ud;
	uint64_t now = sz_now();

	(void)l;
	th->timer = 0;
	refill(th, &th->b, now);
	if (th->b.tokens < 1 - 1e-9) {
		arm(t, now);
		return;
	}
	th->b.tokens = th->b.tokens >= 1 ? th->b.tokens - 1 : 0;
	release_held(t);
	sz_input_resume(t);
}

/* Wake up when the bucket holds a token again. */
static void
arm(sz_tool *t, uint64_t now)
{
	struct throttle *th = t->ud;
	double ns = ceil((1 - th->b.tokens) / th->rate * 1e9);

	th->timer = sz_loop_timer(&t->loop, now + (uint64_t)(ns < 1 ? 1 : ns),
	    on_token, t);
	if (th->timer == 0)
		sz_fail(t, SZ_EXIT_FAIL, "out of memory");
}

static int
pace_record(sz_tool *t, const sz_rec *r)
{
	struct throttle *th = t->ud;
	uint64_t now;

	if (t->stopsig) {
		/* Stopping: everything already read goes out now. */
		if (release_held(t) < 0)
			return -1;
		return sz_emit(t, r->p, r->n);
	}
	now = sz_now();
	refill(th, &th->b, now);
	if (th->b.tokens < 1) {
		sz_buf_reset(&th->held);
		if (sz_buf_add(&th->held, r->p, r->n) < 0)
			return sz_fail(t, SZ_EXIT_FAIL, "out of memory");
		th->holding = 1;
		th->delayed++;
		sz_input_pause(t);
		arm(t, now);
		return 0;
	}
	th->b.tokens -= 1;
	return sz_emit(t, r->p, r->n);
}

static int
pace_end(sz_tool *t)
{
	return release_held(t) < 0 ? -1 : 0;
}

/* ---- dropping ------------------------------------------------------ */

static int
drop_record(sz_tool *t, const sz_rec *r)
{
	struct throttle *th = t->ud;

	refill(th, &th->b, sz_now());
	if (th->b.tokens < 1)
		return sz_drop(t, &th->dropped, r->p, r->n);
	th->b.tokens -= 1;
	return sz_emit(t, r->p, r->n);
}

static int
key_drop_record(sz_tool *t, const sz_rec *r)
{
	struct throttle *th = t->ud;
	struct bucket *b;
	uint64_t now = sz_now();
	int created, k;

	if ((k = get_key(t, r)) != 0)
		return k < 0 ? -1 : 0;
	b = sz_keymap_put(th->km, th->kb.p, th->kb.len, &created);
	if (b == NULL)
		return sz_fail(t, SZ_EXIT_FAIL, "out of memory");
	if (created) {
		b->tokens = th->cap;
		b->last = now;
	} else
		sz_keymap_touch(th->km, b);
	refill(th, b, now);
	if (b->tokens < 1)
		return sz_drop(t, &th->dropped, r->p, r->n);
	b->tokens -= 1;
	return sz_emit(t, r->p, r->n);
}

/* ---- debounce ------------------------------------------------------ */

static int
pend_set(struct pending *pd, const sz_rec *r, uint64_t deadline)
{
	if (pd->cap < r->n || pd->p == NULL) {
		size_t cap = r->n < 64 ? 64 : r->n;
		char *np = malloc(cap);

		if (np == NULL)
			return -1;
		free(pd->p);
		pd->p = np;
		pd->cap = cap;
	}
	memcpy(pd->p, r->p, r->n);
	pd->n = r->n;
	pd->deadline = deadline;
	return 0;
}

static void on_quiet(sz_loop *l, void *ud);

static void
arm_quiet(sz_tool *t, uint64_t when)
{
	struct throttle *th = t->ud;

	th->timer = sz_loop_timer(&t->loop, when, on_quiet, t);
	if (th->timer == 0)
		sz_fail(t, SZ_EXIT_FAIL, "out of memory");
}

static int
debounce_record(sz_tool *t, const sz_rec *r)
{
	struct throttle *th = t->ud;
	uint64_t now = sz_now();

	if (th->pending &&
	    sz_drop(t, &th->dropped, th->pend.p, th->pend.n) < 0)
		return -1;
	if (pend_set(&th->pend, r, now + th->wait) < 0)
		return sz_fail(t, SZ_EXIT_FAIL, "out of memory");
	th->pending = 1;
	/* A timer already armed fires earlier and moves itself on. */
	if (th->timer == 0)
		arm_quiet(t, th->pend.deadline);
	return 0;
}

/* Write and forget the pending record of a key. */
static int
key_release(sz_tool *t, struct pending *pd)
{
	struct throttle *th = t->ud;
	int rc = sz_emit(t, pd->p, pd->n);

	free(pd->p);
	sz_keymap_del(th->km, pd);
	return rc;
}

/* Write the pending records whose deadline is before `until`, oldest
 * first; then wait for the next one. */
static void
release_due(sz_tool *t, uint64_t until)
{
	struct throttle *th = t->ud;

	if (th->timer) {
		sz_loop_cancel(&t->loop, th->timer);
		th->timer = 0;
	}
	if (th->km == NULL) {
		if (th->pending && th->pend.deadline <= until) {
			th->pending = 0;
			sz_emit(t, th->pend.p, th->pend.n);
		}
		if (th->pending)
			arm_quiet(t, th->pend.deadline);
		return;
	}
	struct pending *pd = sz_keymap_oldest(th->km);

	while (pd != NULL && pd->deadline <= until && !t->epipe) {
		struct pending *next = sz_keymap_next(th->km, pd);

		key_release(t, pd);
		pd = next;
	}
	if (pd != NULL && until != UINT64_MAX)
		arm_quiet(t, pd->deadline);
}

static void
on_quiet(sz_loop *l, void *ud)
{
	sz_tool *t = ud;
	struct throttle *th = t->ud;

	(void)l;
	th->timer = 0;
	release_due(t, sz_now());
}

/* A key pushed out by --max-keys: its record goes out early. */
static void
on_evict(void *ud, const char *key, size_t n, void *value)
{
	struct throttle *th = ud;
	struct pending *pd = value;

	(void)key;
	(void)n;
	if (th->mode == M_DEBOUNCE) {
		sz_emit(th->t, pd->p, pd->n);
		free(pd->p);
	}
}

static int
key_debounce_record(sz_tool *t, const sz_rec *r)
{
	struct throttle *th = t->ud;
	struct pending *pd;
	int created, k;

	if ((k = get_key(t, r)) != 0)
		return k < 0 ? -1 : 0;
	pd = sz_keymap_put(th->km, th->kb.p, th->kb.len, &created);
	if (pd == NULL)
		return sz_fail(t, SZ_EXIT_FAIL, "out of memory");
	if (!created) {
		if (sz_drop(t, &th->dropped, pd->p, pd->n) < 0)
			return -1;
		sz_keymap_touch(th->km, pd);
	}
	if (pend_set(pd, r, sz_now() + th->wait) < 0) {
		if (created)
			sz_keymap_del(th->km, pd);
		return sz_fail(t, SZ_EXIT_FAIL, "out of memory");
	}
	if (th->timer == 0) {
		/* The oldest key has the nearest deadline. */
		pd = sz_keymap_oldest(th->km);
		arm_quiet(t, pd->deadline);
	}
	return 0;
}

static int
debounce_end(sz_tool *t)
{
	release_due(t, UINT64_MAX);
	return 0;
}

/* ---- stats, main --------------------------------------------------- */

static void
throttle_stats(sz_tool *t, sz_statv *v)
{
	struct throttle *th = t->ud;

	if (th->mode == M_PACE)
		sz_stat_counter(v, "delayed", th->delayed);
	if (th->km != NULL) {
		sz_stat_gauge(v, "keys", sz_keymap_count(th->km));
		sz_stat_counter(v, "evicted", sz_keymap_evicted(th->km));
	}
}

static const sz_proc pace_proc = {
	.record = pace_record, .end = pace_end, .stats = throttle_stats,
	.drain_on_stop = 1,
};
static const sz_proc drop_proc = {
	.record = drop_record, .stats = throttle_stats,
};
static const sz_proc key_drop_proc = {
	.record = key_drop_record, .stats = throttle_stats,
};
static const sz_proc debounce_proc = {
	.record = debounce_record, .end = debounce_end,
	.stats = throttle_stats, .drain_on_stop = 1,
};
static const sz_proc key_debounce_proc = {
	.record = key_debounce_record, .end = debounce_end,
	.stats = throttle_stats, .drain_on_stop = 1,
};

/* Check the combination of options; 0 or a usage message in t->o.err. */
static int
check_options(sz_tool *t, struct throttle *th, int drop_mode, int burst_set,
    int maxkeys_set, const char *dropped)
{
	const char *e = NULL;

	if (th->mode == M_DEBOUNCE && drop_mode)
		e = "--drop and --debounce exclude each other";
	else if (th->mode == M_DEBOUNCE && burst_set)
		e = "--burst goes with a RATE, not with --debounce";
	else if (th->keysrc != NULL && th->mode == M_PACE)
		e = "--key goes with --drop or --debounce (pacing is global)";
	else if (maxkeys_set && th->keysrc == NULL)
		e = "--max-keys goes with --key";
	else if (dropped != NULL && th->mode == M_PACE)
		e = "--dropped goes with --drop or --debounce (pacing drops "
		    "nothing)";
	if (e == NULL)
		return 0;
	snprintf(t->o.err, sizeof(t->o.err), "%s", e);
	return -1;
}

int
main(int argc, char **argv)
{
	struct throttle th;
	sz_tool t;
	sz_jqvars vars;
	sz_buf err = SZ_BUF_INIT;
	const sz_proc *proc;
	const char *dropped = NULL;
	int c, rc, drop_mode = 0, burst_set = 0, maxkeys_set = 0;

	memset(&th, 0, sizeof(th));
	th.burst = 1;
	th.max_keys = 100000;
	th.t = &t;
	sz_tool_init(&t, "sz-throttle");
	sz_jqvars_init(&vars);
	while ((c = sz_jq_getopt(&t.o, &vars, argc, argv, "b:dk:",
	    longopts)) != -1 && c != '?') {
		switch (c) {
		case 'b':
			burst_set = 1;
			if (sz_parse_count("--burst", optarg, 1, UINT64_C(1) << 40,
			    &th.burst, t.o.err, sizeof(t.o.err)) < 0)
				c = '?';
			break;
		case 'd':
			drop_mode = 1;
			break;
		case OPT_DEBOUNCE:
			th.mode = M_DEBOUNCE;
			if (sz_parse_duration("--debounce", optarg, &th.wait,
			    t.o.err, sizeof(t.o.err)) < 0)
				c = '?';
			break;
		case 'k':
			th.keysrc = optarg;
			break;
		case OPT_MAXKEYS:
			maxkeys_set = 1;
			if (sz_parse_count("--max-keys", optarg, 1,
			    UINT32_MAX - 1, &th.max_keys, t.o.err,
			    sizeof(t.o.err)) < 0)
				c = '?';
			break;
		case OPT_DROPPED:
			dropped = optarg;
			break;
		}
		if (c == '?')
			break;
	}
	if ((rc = sz_tool_options_done(&t, c, usage)) >= 0)
		goto out;
	if (drop_mode && th.mode != M_DEBOUNCE)
		th.mode = M_DROP;
	if (check_options(&t, &th, drop_mode, burst_set, maxkeys_set,
	    dropped) < 0) {
		rc = sz_usage(&t, "%s", t.o.err);
		goto out;
	}
	if (th.mode != M_DEBOUNCE) {
		if (optind >= argc) {
			rc = sz_usage(&t, "missing RATE");
			goto out;
		}
		if (sz_parse_rate("RATE", argv[optind], &th.rate, t.o.err,
		    sizeof(t.o.err)) < 0) {
			rc = sz_usage(&t, "%s", t.o.err);
			goto out;
		}
		optind++;
		th.cap = (double)th.burst;
		if (th.cap < th.rate * TIMER_RES_NS / 1e9)
			th.cap = th.rate * TIMER_RES_NS / 1e9;
		th.b.tokens = th.cap;
		th.b.last = sz_now();
	}
	if (th.keysrc != NULL) {
		if (sz_expr_compile(&th.key, th.keysrc, &vars, 1, &err) < 0) {
			rc = sz_usage(&t, "--key: cannot compile EXPR '%s':\n%s",
			    th.keysrc, err.p);
			goto out;
		}
		th.have_key = 1;
		th.km = sz_keymap_new(th.max_keys, th.mode == M_DEBOUNCE ?
		    sizeof(struct pending) : sizeof(struct bucket), on_evict,
		    &th);
		if (th.km == NULL) {
			sz_msg(&t, "error", NULL, 0, "out of memory");
			rc = SZ_EXIT_FAIL;
			goto out;
		}
	}
	if (dropped != NULL) {
		if ((rc = sz_tool_open(&t, &th.dropped, "--dropped", dropped,
		    0)) != 0)
			goto out;
		}
	switch (th.mode) {
	case M_PACE:
		proc = &pace_proc;
		break;
	case M_DROP:
		proc = th.km ? &key_drop_proc : &drop_proc;
		break;
	case M_DEBOUNCE:
	default:
		proc = th.km ? &key_debounce_proc : &debounce_proc;
		break;
	}
	rc = sz_tool_run(&t, proc, &th, argc - optind, argv + optind);
out:
	if (th.km != NULL && th.mode == M_DEBOUNCE)
		for (struct pending *pd = sz_keymap_oldest(th.km); pd != NULL;
		    pd = sz_keymap_next(th.km, pd))
			free(pd->p);
	sz_keymap_free(th.km);
	if (th.have_key)
		sz_expr_free(&th.key);
	sz_buf_free(&th.held);
	sz_buf_free(&th.kb);
	free(th.pend.p);
	sz_jqvars_free(&vars);
	sz_buf_free(&err);
	return rc;
}
