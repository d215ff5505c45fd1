/* SPDX-License-Identifier: MIT */
/*
 * breaker.c - sz-exec's circuit breaker (closed, open, half-open, over a
 * window of attempts kept in B_SLICES slices, so that its memory does not
 * grow with the rate) and the histogram of attempt durations (8 buckets
 * per power of two: p50 and p95 within about 5%).
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "exec.h"

static void breaker_half(sz_loop *l, void *ud);

static void
fmt_dur(char *buf, size_t size, uint64_t ns)
{
	snprintf(buf, size, "%gs", (double)ns / SEC);
}

static void
breaker_open(struct ex *x, uint64_t fail, uint64_t att)
{
	struct breaker *b = &x->br;
	char cd[32], w[32];

	b->state = B_OPEN;
	b->opened++;
	fmt_dur(cd, sizeof(cd), b->cooldown);
	fmt_dur(w, sizeof(w), b->window);
	if (att > 0)
		sz_msg(x->t, "warning", NULL, 0, "breaker open: %llu of %llu "
		    "attempts failed in the last %s; half-open in %s",
		    (unsigned long long)fail, (unsigned long long)att, w, cd);
	else
		sz_msg(x->t, "warning", NULL, 0, "breaker open: a trial "
		    "failed; half-open in %s", cd);
	b->timer = sz_loop_timer(&x->t->loop, sz_now() + b->cooldown,
	    breaker_half, x);
	exec_update_input(x);
}

static void
breaker_half(sz_loop *l, void *ud)
{
	struct ex *x = ud;
	struct breaker *b = &x->br;

	(void)l;
	b->timer = 0;
	b->state = B_HALF;
	b->tried = b->ok = 0;
	sz_msg(x->t, "info", NULL, 0, "breaker half-open: trying %llu "
	    "record%s", (unsigned long long)b->trials,
	    b->trials == 1 ? "" : "s");
	exec_schedule(x);
}

static void
breaker_close(struct ex *x)
{
	struct breaker *b = &x->br;

	b->state = B_CLOSED;
	memset(b->s, 0, sizeof(b->s));
	sz_msg(x->t, "info", NULL, 0, "breaker closed: %llu trial%s "
	    "passed", (unsigned long long)b->ok, b->ok == 1 ? "" : "s");
	exec_update_input(x);
}

void
exec_breaker_note(struct ex *x, int failed)
{
	struct breaker *b = &x->br;
	uint64_t now = sz_now(), slice = b->window / B_SLICES + 1;
	uint64_t start = now / slice * slice, att = 0, fail = 0;
	int i = (int)(now / slice % B_SLICES);

	if (!b->on)
		return;
	if (b->state == B_HALF) {
		if (failed)
			breaker_open(x, 0, 0);
		else if (++b->ok >= b->trials)
			breaker_close(x);
		return;
	}
	if (b->state == B_OPEN)
		return;	/* an attempt started before it opened */
	if (b->s[i].start != start) {
		b->s[i].start = start;
		b->s[i].att = b->s[i].fail = 0;
	}
	b->s[i].att++;
	b->s[i].fail += failed != 0;
	for (int k = 0; k < B_SLICES; k++)
		if (b->s[k].start + b->window >= now) {
			att += b->s[k].att;
			fail += b->s[k].fail;
		}
	if (att >= b->min && (double)fail >= b->rate * (double)att)
		breaker_open(x, fail, att);
}

int
exec_breaker_allows(struct ex *x)
{
	struct breaker *b = &x->br;

	if (!b->on || b->state == B_CLOSED)
		return 1;
	return b->state == B_HALF && b->tried < b->trials;
}

void
exec_hist_add(struct hist *h, uint64_t ns)
{
	int k = ns < 2 ? 0 : (int)(log2((double)ns) * 8);

	if (k >= H_BUCKETS)
		k = H_BUCKETS - 1;
	h->b[k]++;
	h->n++;
	if (ns > h->max)
		h->max = ns;
}

double
exec_hist_q(const struct hist *h, double q)
{
	uint64_t want = (uint64_t)ceil(q * (double)h->n), seen = 0;

	if (h->n == 0)
		return 0;
	for (int k = 0; k < H_BUCKETS; k++)
		if ((seen += h->b[k]) >= want) {
			double v = exp2(((double)k + 0.5) / 8);

			return (v > (double)h->max ? (double)h->max : v) / SEC;
		}
	return (double)h->max / SEC;
}

