/* SPDX-License-Identifier: MIT */
/*
 * debounce.c - sz-throttle --debounce: a record goes out after DURATION
 * without a newer one (of its key, with --key); the newer one replaces it
 * and the replaced one is dropped.
 *
 * Keyed debounce keeps the keys in a keymap whose recency order is the
 * order of their deadlines (all deadlines are last arrival + DURATION), so
 * one timer on the oldest key serves them all.
 */

#include "throttle.h"

/* Make r the pending record pd, due at deadline; 0, or -1 on memory. */
static int
pend_set(struct pending *pd, const sz_rec *r, uint64_t deadline)
{
	sz_buf_reset(&pd->rec);
	pd->deadline = deadline;
	return sz_buf_add(&pd->rec, r->p, r->n);
}

static void on_quiet(sz_loop *l, void *ud);

static void
arm_quiet(sz_tool *t, uint64_t when)
{
	struct throttle *th = t->ud;

	th->timer = sz_loop_timer(&t->loop, when, on_quiet, th);
	if (th->timer == 0)
		sz_fail(t, SZ_EXIT_FAIL, "out of memory");
	sz_tool_holding(t, th->timer != 0);	/* a record waits for quiet */
}

static int
debounce_record(sz_tool *t, const sz_rec *r)
{
	struct throttle *th = t->ud;
	uint64_t now = sz_now();

	if (th->pending &&
	    sz_drop(t, &th->dropped, th->pend.rec.p,
	    th->pend.rec.len) < 0)
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
	int rc = sz_emit(t, pd->rec.p, pd->rec.len);

	sz_buf_free(&pd->rec);
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
			sz_emit(t, th->pend.rec.p,
	    th->pend.rec.len);
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

/* The nearest deadline came (ud: the struct throttle). */
static void
on_quiet(sz_loop *l, void *ud)
{
	struct throttle *th = ud;

	(void)l;
	th->timer = 0;
	release_due(th->t, sz_now());
	sz_tool_holding(th->t, th->timer != 0);
}

void
debounce_evict(void *ud, const char *key, size_t n, void *value)
{
	struct throttle *th = ud;
	struct pending *pd = value;

	(void)key;
	(void)n;
	sz_emit(th->t, pd->rec.p, pd->rec.len);
	sz_buf_free(&pd->rec);
}

static int
key_debounce_record(sz_tool *t, const sz_rec *r)
{
	struct throttle *th = t->ud;
	struct pending *pd;
	int created, rc;

	if ((pd = key_state(t, r, &created, &rc)) == NULL)
		return rc;
	/* The newer record replaces the pending one. */
	if (!created &&
	    sz_drop(t, &th->dropped, pd->rec.p, pd->rec.len) < 0)
		return -1;
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

void
debounce_free(struct throttle *th)
{
	if (th->km != NULL && th->mode == M_DEBOUNCE)
		for (struct pending *pd = sz_keymap_oldest(th->km); pd != NULL;
		    pd = sz_keymap_next(th->km, pd))
			sz_buf_free(&pd->rec);
	sz_buf_free(&th->pend.rec);
}

const sz_proc debounce_proc = {
	.record = debounce_record, .end = debounce_end,
	.stats = throttle_stats,
};
const sz_proc key_debounce_proc = {
	.record = key_debounce_record, .end = debounce_end,
	.stats = throttle_stats,
};
