/* SPDX-License-Identifier: MIT */
/*
 * sz-throttle - limit the rate of records: pace them with a token bucket
 * (delayed, never dropped, with backpressure), drop those above the rate
 * (streamz Throttle), or debounce them (streamz Debounce: a record goes
 * out after DURATION without a newer one); --key keeps one bucket or one
 * pending record per key.
 *
 * Pacing holds at most one record (a copy) and pauses the input while it
 * waits for a token, so the read buffer and the pipe push back upstream;
 * it reads in small pieces, so that what a stop signal finds read is
 * little, and writes that at the pace too (--drain), never at once.
 * The bucket holds max(--burst, RATE x 1 ms) tokens: timers have a
 * resolution of one millisecond, so at rates above 1000/s records go out
 * in groups of at most RATE x 1 ms instead of losing rate.
 *
 * This file has the options and the rate modes (pacing, dropping);
 * debounce.c has the debounce mode.
 */
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "throttle.h"

#define TIMER_RES_NS 1000000.0	/* resolution of the loop's timers */
/* Pacing reads RATE x 64 bytes at a time (a quarter of a second of
 * 256-byte records), at least 4 KiB and at most 256 KiB. */
#define READ_AHEAD_PER_RATE 64.0
#define READ_MIN 4096
#define READ_MAX (256 * 1024)

static const char usage[] =
"Usage: sz-throttle [OPTION]... RATE [FILE]...\n"
"       sz-throttle --debounce=DURATION [OPTION]... [FILE]...\n"
"Limit the rate of NDJSON records. RATE is N/s, N/m or N/h (also /sec,\n"
"/min, /hour). By default records are delayed (never dropped) to at most\n"
"RATE on average.\n"
"\n"
"  -b, --burst=N          let N records go at once (default 1)\n"
"      --drain=DURATION   after SIGINT/SIGTERM, go on pacing the records\n"
"                         already read for up to DURATION (default 10s);\n"
"                         the rest become dead letters (kind \"stopped\")\n"
"      --drop             drop the records above RATE instead of delaying\n"
"      --debounce=DURATION\n"
"                         write a record only after DURATION without a\n"
"                         newer one (no RATE operand)\n"
SZ_KEY_HELP
"                         (with --drop or --debounce: one bucket or one\n"
"                         pending record per key)\n"
SZ_KEY_MAXKEYS_HELP
"                         (least recent: least recently seen)\n"
"      --dropped=FILE     write the dropped records to FILE\n"
SZ_KEY_NOFAST_HELP
SZ_JQ_HELP_F_KEY SZ_JQ_HELP_VARS;

enum { OPT_DEBOUNCE = SZ_OPT_TOOL, OPT_DROPPED, OPT_DROP, OPT_DRAIN };

static const struct option longopts[] = {
	{ "burst", required_argument, NULL, 'b' },
	{ "drain", required_argument, NULL, OPT_DRAIN },
	{ "drop", no_argument, NULL, OPT_DROP },
	{ "debounce", required_argument, NULL, OPT_DEBOUNCE },
	SZ_KEY_LONGOPTS,
	SZ_KEY_MAXKEYS_LONGOPT,
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

/* ---- pacing -------------------------------------------------------- */

/*
 * The records waiting for a token are in th->q: while reading, the one
 * that found the bucket empty (the input is paused until it is written);
 * after a stop signal, also those read before it, which the runtime hands
 * over at once (as in every tool). end() then keeps the loop running:
 * they go out at the pace for up to --drain, and what is left at its end,
 * or at a second signal, becomes dead letters of the kind "stopped".
 */

static void arm(sz_tool *t, uint64_t now);

/* Write a waiting record. 0, or -1 on a write error. */
static int
pop_emit(sz_tool *t)
{
	struct throttle *th = t->ud;
	sz_qitem *it = sz_queue_pop(&th->q);
	int rc = sz_emit(t, it->p, it->n);

	free(it);
	return rc;
}

/* The drain is over: what still waits becomes dead letters. */
static void
drain_end(sz_tool *t, const char *why)
{
	struct throttle *th = t->ud;
	sz_qitem *it;

	if (th->timer) {
		sz_loop_cancel(&t->loop, th->timer);
		th->timer = 0;
	}
	if (th->drain_timer) {
		sz_loop_cancel(&t->loop, th->drain_timer);
		th->drain_timer = 0;
	}
	while ((it = sz_queue_pop(&th->q)) != NULL) {
		sz_rec r = { it->p, it->n, it->file, it->line, NULL };

		th->stopped++;
		sz_dead_letter(t, &r, "stopped", 1, 0, why);
		free(it);
	}
	sz_tool_finish(t);
}

/* What the signal was, for the dead letters' error. */
static const char *
stop_name(const sz_tool *t)
{
	return t->stopsig == SIGINT ? "SIGINT" : t->stopsig == SIGTERM ?
	    "SIGTERM" : "the end of the run";
}

static void
on_drain_end(sz_loop *l, void *ud)
{
	sz_tool *t = ud;
	struct throttle *th = t->ud;
	char why[128];

	(void)l;
	th->drain_timer = 0;
	snprintf(why, sizeof(why), "not written: --drain ran out after %s",
	    stop_name(t));
	drain_end(t, why);
}

/* Write the waiting records that have a token now; wait for the next
 * token, or go on reading, or end the drain when none is left. */
static void
pace_out(sz_tool *t)
{
	struct throttle *th = t->ud;
	uint64_t now = sz_now();

	refill(th, &th->b, now);
	while (th->q.count > 0 && th->b.tokens >= 1 - 1e-9) {
		th->b.tokens = th->b.tokens >= 1 ? th->b.tokens - 1 : 0;
		if (pop_emit(t) < 0) {
			drain_end(t, "not written: the output failed");
			return;
		}
	}
	if (th->q.count > 0) {
		if (!th->timer)
			arm(t, now);
	} else if (th->draining)
		drain_end(t, "");
	else
		sz_input_resume(t);
	sz_tool_holding(t, th->q.count > 0);
}

static void
on_token(sz_loop *l, void *ud)
{
	sz_tool *t = ud;
	struct throttle *th = t->ud;

	(void)l;
	th->timer = 0;
	pace_out(t);
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

	if (!t->stopsig && th->q.count == 0) {
		now = sz_now();
		refill(th, &th->b, now);
		if (th->b.tokens >= 1) {
			th->b.tokens -= 1;
			return sz_emit(t, r->p, r->n);
		}
	}
	/* It waits: for its token, or (stopping) for the drain. */
	if (sz_queue_push(&th->q, r->p, r->n, r->file, r->line) < 0)
		return sz_fail(t, SZ_EXIT_FAIL, "out of memory");
	th->delayed++;
	if (!t->stopsig) {
		sz_input_pause(t);
		sz_tool_holding(t, 1);	/* waiting for its token */
		if (!th->timer)
			arm(t, sz_now());
	}
	return 0;
}

static int
pace_end(sz_tool *t)
{
	struct throttle *th = t->ud;
	char why[128];

	if (th->q.count == 0)
		return 0;
	th->draining = 1;
	if (th->stop_now || th->drain == 0) {
		snprintf(why, sizeof(why), th->stop_now ? "not written: a "
		    "second %s came" : "not written: --drain ran out after %s",
		    stop_name(t));
		drain_end(t, why);
		return 1;
	}
	th->drain_timer = sz_loop_timer(&t->loop, sz_now() + th->drain,
	    on_drain_end, t);
	if (th->drain_timer == 0)
		return sz_fail(t, SZ_EXIT_FAIL, "out of memory");
	pace_out(t);
	return 1;
}

/* A second SIGINT or SIGTERM: the drain ends now. */
static void
pace_stop_again(sz_tool *t)
{
	struct throttle *th = t->ud;
	char why[128];

	th->stop_now = 1;
	if (th->draining && !t->finished) {
		snprintf(why, sizeof(why), "not written: a second %s came",
		    stop_name(t));
		drain_end(t, why);
	}
}

/* ---- dropping ------------------------------------------------------ */

void *
key_state(sz_tool *t, const sz_rec *r, int *created, int *rc)
{
	struct throttle *th = t->ud;
	void *v;

	if ((*rc = sz_key_get(&th->key, t, r)) != 1)
		return NULL;
	v = sz_keymap_put(th->km, th->key.kb.p, th->key.kb.len, created);
	if (v == NULL)
		*rc = sz_fail(t, SZ_EXIT_FAIL, "out of memory");
	else if (!*created)
		sz_keymap_touch(th->km, v);
	return v;
}

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
	int created, rc;

	if ((b = key_state(t, r, &created, &rc)) == NULL)
		return rc;
	if (created) {
		b->tokens = th->cap;
		b->last = now;
	}
	refill(th, b, now);
	if (b->tokens < 1)
		return sz_drop(t, &th->dropped, r->p, r->n);
	b->tokens -= 1;
	return sz_emit(t, r->p, r->n);
}

/* ---- stats, main --------------------------------------------------- */

void
throttle_stats(sz_tool *t, sz_statv *v)
{
	struct throttle *th = t->ud;

	if (th->mode == M_PACE) {
		sz_stat_counter(v, "delayed", th->delayed);
		sz_stat_counter(v, "stopped", th->stopped);
	}
	if (th->km != NULL) {
		sz_stat_gauge(v, "keys", sz_keymap_count(th->km));
		sz_stat_counter(v, "evicted", sz_keymap_evicted(th->km));
	}
}

static const sz_proc pace_proc = {
	.record = pace_record, .end = pace_end, .stats = throttle_stats,
	.stop_again = pace_stop_again,
};
static const sz_proc drop_proc = {
	.record = drop_record, .stats = throttle_stats,
};
static const sz_proc key_drop_proc = {
	.record = key_drop_record, .stats = throttle_stats,
};

/* Check the combination of options; -1, or the usage status after
 * saying what is wrong. */
static int
check_options(sz_tool *t, struct throttle *th)
{
	const char *e = NULL;

	if (th->mode == M_DEBOUNCE && th->drop_mode)
		e = "--drop and --debounce exclude each other";
	else if (th->mode == M_DEBOUNCE && th->burst_set)
		e = "--burst goes with a RATE, not with --debounce";
	else if (th->key.keysrc != NULL && th->mode == M_PACE)
		e = "--key goes with --drop or --debounce (pacing is global)";
	else if (th->key.max_keys_set && th->key.keysrc == NULL)
		e = "--max-keys goes with --key";
	else if (th->drain_set && th->mode != M_PACE)
		e = "--drain goes with pacing (not with --drop or --debounce)";
	else if (th->dropped_path != NULL && th->mode == M_PACE)
		e = "--dropped goes with --drop or --debounce (pacing drops "
		    "nothing)";
	return e == NULL ? -1 : sz_usage(t, "%s", e);
}

static int
throttle_option(sz_tool *t, int c)
{
	struct throttle *th = t->ud;
	switch (c) {
	case 'b':
		th->burst_set = 1;
		return sz_opt_count(&t->o, "--burst", 1, UINT64_C(1) << 40,
		    &th->burst);
	case OPT_DROP:
		th->drop_mode = 1;
		break;
	case OPT_DROPPED:
		th->dropped_path = optarg;
		break;
	case OPT_DRAIN:
		th->drain_set = 1;
		return sz_opt_duration(&t->o, "--drain", &th->drain);
	case OPT_DEBOUNCE:
		th->mode = M_DEBOUNCE;
		return sz_opt_duration(&t->o, "--debounce", &th->wait);
	}
	return 0;
}

/* The RATE operand and the bucket it fills. */
static int
take_rate(sz_tool *t, struct throttle *th)
{
	const char *rate = sz_tool_operand(t);

	if (rate == NULL)
		return sz_usage(t, "missing RATE");
	if (sz_parse_rate("RATE", rate, &th->rate, t->o.err,
	    sizeof(t->o.err)) < 0)
		return sz_usage(t, "%s", t->o.err);
	th->cap = (double)th->burst;
	if (th->cap < th->rate * TIMER_RES_NS / 1e9)
		th->cap = th->rate * TIMER_RES_NS / 1e9;
	th->b.tokens = th->cap;
	th->b.last = sz_now();
	if (th->mode == M_PACE) {
		/* Read little ahead of the pace: what is read before a stop
		 * must go out at the pace too (or become a dead letter). */
		double ahead = th->rate * READ_AHEAD_PER_RATE;

		t->read_size = ahead < READ_MIN ? READ_MIN : ahead > READ_MAX ?
		    READ_MAX : (size_t)ahead;
	}
	return -1;
}

static int
throttle_start(sz_tool *t)
{
	struct throttle *th = t->ud;
	int rc;

	th->t = t;
	sz_tool_queue(t, &th->q);
	if (th->drop_mode && th->mode != M_DEBOUNCE)
		th->mode = M_DROP;
	if ((rc = check_options(t, th)) >= 0)
		return rc;
	if (th->mode != M_DEBOUNCE && (rc = take_rate(t, th)) >= 0)
		return rc;
	if (th->key.keysrc != NULL) {
		if ((rc = sz_key_compile(&th->key, t)) != 0)
			return rc;
		th->km = th->mode == M_DEBOUNCE ? sz_keymap_new(
		    th->key.max_keys, sizeof(struct pending), debounce_evict,
		    th) : sz_keymap_new(th->key.max_keys,
		    sizeof(struct bucket), NULL, NULL);
		if (th->km == NULL) {
			sz_msg(t, "error", NULL, 0, "out of memory");
			return SZ_EXIT_FAIL;
		}
	}
	if (th->dropped_path != NULL && sz_tool_open(t, &th->dropped,
	    "--dropped", th->dropped_path, 0) != 0)
		return SZ_EXIT_FAIL;
	t->proc = th->mode == M_PACE ? &pace_proc : th->mode == M_DROP ?
	    (th->km ? &key_drop_proc : &drop_proc) :
	    (th->km ? &key_debounce_proc : &debounce_proc);
	return -1;
}

static void
throttle_done(sz_tool *t)
{
	struct throttle *th = t->ud;

	debounce_free(th);
	sz_keymap_free(th->km);
	sz_queue_clear(&th->q);
}

static void
throttle_init(sz_tool *t)
{
	struct throttle *th = t->ud;

	sz_key_init(&th->key);
	t->key = &th->key;
	th->burst = 1;
	th->drain = UINT64_C(10000000000);	/* --drain: 10s */
	/* -d was --drop: in sz it is only --delimiter now. */
	t->o.moved_short = 'd';
	t->o.moved_hint = "use --drop; -d is only --delimiter, in the CSV "
	    "tools";
}

static const sz_tool_def throttle_def = {
	.init = throttle_init,
	.prog = "sz-throttle", .usage = usage, .shortopts = "k:b:",
	.longopts = longopts, .jq = 1, .option = throttle_option,
	.start = throttle_start, .done = throttle_done,
};

SZ_TOOL_MAIN(throttle_def, struct throttle)
