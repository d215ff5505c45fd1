/* SPDX-License-Identifier: MIT */
/*
 * check_pool.c - unit tests of common/run/pool.c: jobs come back in
 * submission order while workers finish them out of order, the bounds
 * pause and resume the input, a half-done job is requeued and completes
 * once, shutdown leaves no thread and loses no job, a worker whose state
 * cannot be built. TAP.
 *
 * Nothing here depends on timing: where an order must be forced, a job
 * waits on a condition (with a generous bound); the loop is driven until
 * an event, never for a time. It runs under ThreadSanitizer too: what
 * workers and the main thread share is under the context's lock or
 * handed over by the pool.
 */
#include <check.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "run/pool.h"
#include "tap.h"

#define MAXJOBS 400
#define WAIT_S 60		/* bound on any wait: a hang fails, not blocks */

struct job {
	sz_pool_job pj;		/* first */
	int id;
	size_t bytes;
	int partials;		/* answer SZ_POOL_PARTIAL this many times */
	int in_order;		/* answer with SZ_POOL_IN_ORDER */
	/* written by the worker running it, read by the main thread after
	 * delivery (or after the threads are joined) */
	int runs;
	int worker;
};

struct ctx {
	sz_tool t;
	pthread_t main;
	struct job jobs[MAXJOBS];

	/* shared with the workers: under mu */
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int started, live, stops;
	int fail_worker;	/* start fails for this worker; -1 none,
				   -2 all */
	int finished[MAXJOBS];	/* a worker finished running the job */
	int gate;		/* jobs with id < gate may run (gated) */
	int gated;		/* jobs wait for the gate */
	int hold0;		/* job 0 waits for release0 */
	int release0;
	int timed_out;		/* a wait hit its bound */

	/* the main thread's */
	int seq[3 * MAXJOBS], hows[3 * MAXJOBS], nseq;
	int drops[MAXJOBS];
	int stop_at;		/* deliver answers -1 for this id; -1 none */
	int drained;
	int off_main;		/* a main-thread callback ran elsewhere */
};

static void
ctx_init(struct ctx *c, int njobs)
{
	memset(c, 0, sizeof(*c));
	sz_tool_init(&c->t, "check_pool");
	c->main = pthread_self();
	pthread_mutex_init(&c->mu, NULL);
	pthread_cond_init(&c->cv, NULL);
	c->fail_worker = -1;
	c->stop_at = -1;
	for (int i = 0; i < njobs; i++) {
		c->jobs[i].id = i;
		c->jobs[i].bytes = 1;
	}
}

static void
ctx_free(struct ctx *c)
{
	sz_loop_free(&c->t.loop);
	pthread_mutex_destroy(&c->mu);
	pthread_cond_destroy(&c->cv);
}

/* Wait on c->cv (c->mu held) until woken or the bound passes. */
static void
wait_cv(struct ctx *c, const struct timespec *until)
{
	if (pthread_cond_timedwait(&c->cv, &c->mu, until) == ETIMEDOUT)
		c->timed_out = 1;
}

static void
deadline(struct timespec *ts)
{
	clock_gettime(CLOCK_REALTIME, ts);
	ts->tv_sec += WAIT_S;
}

static void *
t_start(void *ud, int i)
{
	struct ctx *c = ud;
	int fail;

	pthread_mutex_lock(&c->mu);
	fail = c->fail_worker == -2 || c->fail_worker == i;
	c->started++;
	if (!fail)
		c->live++;
	pthread_mutex_unlock(&c->mu);
	/* the state: the worker's number, as a pointer that is not NULL */
	return fail ? NULL : (void *)((char *)c + 1 + i);
}

static void
t_stop(void *ud, void *state)
{
	struct ctx *c = ud;

	(void)state;
	pthread_mutex_lock(&c->mu);
	c->live--;
	c->stops++;
	pthread_mutex_unlock(&c->mu);
}

/* Have jobs 1..n all finished? (c->mu held) */
static int
later_finished(struct ctx *c, int n)
{
	for (int i = 1; i <= n; i++)
		if (!c->finished[i])
			return 0;
	return 1;
}

static int
t_run(void *ud, void *state, sz_pool_job *pj)
{
	struct ctx *c = ud;
	struct job *j = (struct job *)pj;
	struct timespec until;

	deadline(&until);
	j->runs++;
	j->worker = (int)((char *)state - (char *)c - 1);
	pthread_mutex_lock(&c->mu);
	if (j->id == 0 && c->hold0)
		while (!c->release0 && !c->timed_out)
			wait_cv(c, &until);
	if (c->gated)
		while (j->id >= c->gate && !c->timed_out)
			wait_cv(c, &until);
	pthread_mutex_unlock(&c->mu);
	/* varying short work, so that jobs finish out of order */
	if (j->id % 3 == 1)
		usleep((useconds_t)(j->id % 7) * 100);
	pthread_mutex_lock(&c->mu);
	c->finished[j->id] = 1;
	pthread_cond_broadcast(&c->cv);
	pthread_mutex_unlock(&c->mu);
	if (j->partials > 0) {
		j->partials--;
		return SZ_POOL_PARTIAL | (j->in_order ? SZ_POOL_IN_ORDER : 0);
	}
	return SZ_POOL_DONE | (j->in_order ? SZ_POOL_IN_ORDER : 0);
}

static int
t_deliver(void *ud, sz_pool_job *pj, int how)
{
	struct ctx *c = ud;
	struct job *j = (struct job *)pj;

	if (!pthread_equal(pthread_self(), c->main))
		c->off_main = 1;
	if (c->nseq < 3 * MAXJOBS) {
		c->seq[c->nseq] = j->id;
		c->hows[c->nseq++] = how;
	}
	return j->id == c->stop_at ? -1 : 0;
}

static void
t_drop(void *ud, sz_pool_job *pj)
{
	struct ctx *c = ud;

	if (!pthread_equal(pthread_self(), c->main))
		c->off_main = 1;
	c->drops[((struct job *)pj)->id]++;
}

static void
t_drained(void *ud)
{
	((struct ctx *)ud)->drained++;
}

static const sz_pool_ops ops = {
	.start = t_start,
	.stop = t_stop,
	.run = t_run,
	.deliver = t_deliver,
	.drop = t_drop,
	.drained = t_drained,
};

/* One turn of the loop; fails the test when a worker's wait timed out. */
static void
turn(struct ctx *c)
{
	int bad;

	ck_assert_int_eq(sz_loop_once(&c->t.loop, 1), 0);
	pthread_mutex_lock(&c->mu);
	bad = c->timed_out;
	pthread_mutex_unlock(&c->mu);
	ck_assert_msg(!bad, "a worker waited %d s", WAIT_S);
}

/* Submit jobs [from, to) as a tool's input would: not while paused (a
 * stopped pool stays full, and takes jobs only to give them back). */
static void
produce(struct ctx *c, sz_pool *p, int from, int to)
{
	for (int i = from; i < to;) {
		if (c->t.src.paused && !sz_pool_stopped(p)) {
			turn(c);
			continue;
		}
		sz_pool_submit(p, &c->jobs[i].pj, c->jobs[i].bytes);
		i++;
	}
}

/* End of input: close and drive the loop until the pool is drained
 * (drained is called once, and only when close answered 1). */
static void
finish(struct ctx *c, sz_pool *p)
{
	int more = sz_pool_close(p);

	if (more)
		while (!c->drained)
			turn(c);
	ck_assert_int_eq(sz_pool_inflight(p), 0);
	ck_assert_int_eq(c->drained, more);
}

/* Let job 0 finish. */
static void
release0(struct ctx *c)
{
	pthread_mutex_lock(&c->mu);
	c->release0 = 1;
	pthread_cond_broadcast(&c->cv);
	pthread_mutex_unlock(&c->mu);
}

/* Drive the loop until n jobs were delivered. */
static void
until_delivered(struct ctx *c, int n)
{
	while (c->nseq < n)
		turn(c);
}

/* Drive the loop until jobs 1..n have run on the workers. */
static void
until_later_finished(struct ctx *c, int n)
{
	int held;

	do {
		turn(c);
		pthread_mutex_lock(&c->mu);
		held = !later_finished(c, n);
		pthread_mutex_unlock(&c->mu);
	} while (held);
}

static int
count_live(struct ctx *c)
{
	int n;

	pthread_mutex_lock(&c->mu);
	n = c->live;
	pthread_mutex_unlock(&c->mu);
	return n;
}

/* Every job of [0, n) delivered once, done, in order, and dropped once. */
static void
assert_in_order(struct ctx *c, int n)
{
	ck_assert_int_eq(c->nseq, n);
	for (int i = 0; i < n; i++) {
		ck_assert_int_eq(c->seq[i], i);
		ck_assert_int_eq(c->hows[i], SZ_POOL_DONE);
		ck_assert_int_eq(c->drops[i], 1);
		ck_assert_int_eq(c->jobs[i].runs, 1);
	}
	ck_assert_int_eq(c->off_main, 0);
}

/*
 * N from 1 to 8: 300 jobs come back in submission order. With N >= 2,
 * job 0 is held while jobs 1..N+1 finish on the other workers: nothing
 * may be delivered before it, and then everything in order.
 */
START_TEST(test_order)
{
	static struct ctx c;
	int n = _i, njobs = 300;
	sz_pool_conf pc = { .workers = n, .max_jobs = 2 * n + 2 };
	sz_pool *p;

	ctx_init(&c, njobs);
	c.hold0 = n >= 2 ? n + 1 : 0;
	p = sz_pool_new(&c.t, &pc, &ops, &c);
	ck_assert_ptr_nonnull(p);
	if (c.hold0) {
		produce(&c, p, 0, c.hold0 + 1);
		until_later_finished(&c, c.hold0);
		/* later jobs have run, the first has not: none is
		 * delivered */
		sz_pool_collect(p);
		ck_assert_int_eq(c.nseq, 0);
		ck_assert_int_eq(sz_pool_inflight(p), c.hold0 + 1);
		release0(&c);
		produce(&c, p, c.hold0 + 1, njobs);
	} else
		produce(&c, p, 0, njobs);
	finish(&c, p);
	assert_in_order(&c, njobs);
	sz_pool_free(p);
	ck_assert_int_eq(c.started, n);
	ck_assert_int_eq(c.stops, n);
	ck_assert_int_eq(count_live(&c), 0);
	ctx_free(&c);
}
END_TEST

/* Unordered: every job once, as they finish: jobs 1..3 finished while
 * job 0 is held are delivered before it. */
START_TEST(test_unordered)
{
	static struct ctx c;
	int njobs = 200, seen[200] = { 0 };
	sz_pool_conf pc = { .workers = 4, .max_jobs = 10, .unordered = 1 };
	sz_pool *p;

	ctx_init(&c, njobs);
	c.hold0 = 3;
	p = sz_pool_new(&c.t, &pc, &ops, &c);
	ck_assert_ptr_nonnull(p);
	produce(&c, p, 0, 4);
	until_delivered(&c, 3);		/* only 1..3 can be */
	ck_assert_int_eq(sz_pool_inflight(p), 1);
	for (int i = 0; i < 3; i++)
		ck_assert_int_ne(c.seq[i], 0);
	release0(&c);
	produce(&c, p, 4, njobs);
	finish(&c, p);
	ck_assert_int_eq(c.nseq, njobs);
	for (int i = 0; i < njobs; i++) {
		ck_assert_int_eq(c.hows[i], SZ_POOL_DONE);
		seen[c.seq[i]]++;
	}
	for (int i = 0; i < njobs; i++) {
		ck_assert_int_eq(seen[i], 1);
		ck_assert_int_eq(c.drops[i], 1);
	}
	sz_pool_free(p);
	ck_assert_int_eq(count_live(&c), 0);
	ctx_free(&c);
}
END_TEST

/*
 * Unordered, with jobs that answer SZ_POOL_IN_ORDER (2, and 4 half done
 * once): while job 0 is held, 1 and 3 are delivered, 2 and 4 wait for
 * every job before them; then 0, 2, 4 (its first half), 4, in order, and
 * `how` comes without the flag.
 */
START_TEST(test_unordered_in_order)
{
	static struct ctx c;
	sz_pool_conf pc = { .workers = 4, .max_jobs = 10, .unordered = 1 };
	sz_pool *p;
	int want[] = { 0, 2, 4, 4 }, wanthow[] = { SZ_POOL_DONE,
	    SZ_POOL_DONE, SZ_POOL_PARTIAL, SZ_POOL_DONE };

	ctx_init(&c, 5);
	c.hold0 = 4;
	c.jobs[2].in_order = 1;
	c.jobs[4].in_order = 1;
	c.jobs[4].partials = 1;
	p = sz_pool_new(&c.t, &pc, &ops, &c);
	ck_assert_ptr_nonnull(p);
	produce(&c, p, 0, 5);
	until_later_finished(&c, 4);
	sz_pool_collect(p);
	ck_assert_int_eq(c.nseq, 2);
	ck_assert_int_eq(c.seq[0] + c.seq[1], 1 + 3);
	ck_assert_int_eq(sz_pool_inflight(p), 3);
	release0(&c);
	finish(&c, p);
	ck_assert_int_eq(c.nseq, 6);
	for (int i = 0; i < 4; i++) {
		ck_assert_int_eq(c.seq[2 + i], want[i]);
		ck_assert_int_eq(c.hows[2 + i], wanthow[i]);
	}
	for (int i = 0; i < 5; i++)
		ck_assert_int_eq(c.drops[i], 1);
	ck_assert_int_eq(c.jobs[4].runs, 2);
	sz_pool_free(p);
	ck_assert_int_eq(count_live(&c), 0);
	ctx_free(&c);
}
END_TEST

/* Let jobs with id < g run. */
static void
open_gate(struct ctx *c, int g)
{
	pthread_mutex_lock(&c->mu);
	c->gate = g;
	pthread_cond_broadcast(&c->cv);
	pthread_mutex_unlock(&c->mu);
}

/* max_jobs: the input is paused at the bound and resumed when a
 * delivery makes room. */
START_TEST(test_bound_jobs)
{
	static struct ctx c;
	sz_pool_conf pc = { .workers = 2, .max_jobs = 3 };
	sz_pool *p;

	ctx_init(&c, 10);
	c.gated = 1;
	p = sz_pool_new(&c.t, &pc, &ops, &c);
	ck_assert_ptr_nonnull(p);
	sz_pool_submit(p, &c.jobs[0].pj, 1);
	sz_pool_submit(p, &c.jobs[1].pj, 1);
	ck_assert_int_eq(c.t.src.paused, 0);
	sz_pool_submit(p, &c.jobs[2].pj, 1);
	ck_assert_int_eq(c.t.src.paused, 1);
	ck_assert_int_eq(sz_pool_inflight(p), 3);
	open_gate(&c, 1);
	until_delivered(&c, 1);
	ck_assert_int_eq(c.t.src.paused, 0);
	ck_assert_int_eq(sz_pool_inflight(p), 2);
	sz_pool_submit(p, &c.jobs[3].pj, 1);
	ck_assert_int_eq(c.t.src.paused, 1);
	open_gate(&c, 3);
	until_delivered(&c, 3);
	ck_assert_int_eq(c.t.src.paused, 0);
	open_gate(&c, 10);
	produce(&c, p, 4, 10);
	finish(&c, p);
	assert_in_order(&c, 10);
	sz_pool_free(p);
	ck_assert_int_eq(count_live(&c), 0);
	ctx_free(&c);
}
END_TEST

/* max_bytes: paused at the byte bound; one job larger than the bound
 * still runs, alone. */
START_TEST(test_bound_bytes)
{
	static struct ctx c;
	sz_pool_conf pc = { .workers = 2, .max_jobs = 100, .max_bytes = 1000 };
	sz_pool *p;

	ctx_init(&c, 10);
	c.gated = 1;
	p = sz_pool_new(&c.t, &pc, &ops, &c);
	ck_assert_ptr_nonnull(p);
	sz_pool_submit(p, &c.jobs[0].pj, 400);
	sz_pool_submit(p, &c.jobs[1].pj, 400);
	ck_assert_int_eq(c.t.src.paused, 0);
	sz_pool_submit(p, &c.jobs[2].pj, 400);
	ck_assert_int_eq(c.t.src.paused, 1);
	open_gate(&c, 1);
	until_delivered(&c, 1);
	ck_assert_int_eq(c.t.src.paused, 0);	/* 800 left */
	open_gate(&c, 3);
	until_delivered(&c, 3);
	sz_pool_submit(p, &c.jobs[3].pj, 5000);
	ck_assert_int_eq(c.t.src.paused, 1);
	open_gate(&c, 4);
	until_delivered(&c, 4);
	ck_assert_int_eq(c.t.src.paused, 0);
	open_gate(&c, 10);
	produce(&c, p, 4, 10);
	finish(&c, p);
	assert_in_order(&c, 10);
	sz_pool_free(p);
	ctx_free(&c);
}
END_TEST

/*
 * A job answered SZ_POOL_PARTIAL twice, then DONE: it is delivered three
 * times, in its place (ordered) and each time before its next part runs,
 * run three times, and dropped once.
 */
START_TEST(test_requeue)
{
	static struct ctx c;
	int unordered = _i, njobs = 40, parts = 0, done5 = -1;
	sz_pool_conf pc = { .workers = 4, .max_jobs = 6,
	    .unordered = unordered };
	sz_pool *p;

	ctx_init(&c, njobs);
	c.jobs[5].partials = 2;
	c.jobs[17].partials = 1;
	p = sz_pool_new(&c.t, &pc, &ops, &c);
	ck_assert_ptr_nonnull(p);
	produce(&c, p, 0, njobs);
	finish(&c, p);
	ck_assert_int_eq(c.nseq, njobs + 3);
	for (int i = 0, k = 0; i < c.nseq; i++) {
		int id = c.seq[i];

		if (c.hows[i] == SZ_POOL_PARTIAL) {
			ck_assert(id == 5 || id == 17);
			parts++;
		} else
			ck_assert_int_eq(c.hows[i], SZ_POOL_DONE);
		if (id == 5 && c.hows[i] == SZ_POOL_DONE)
			done5 = i;
		if (!unordered) {
			/* the same id until it is done, then the next */
			ck_assert_int_eq(id, k);
			if (c.hows[i] == SZ_POOL_DONE)
				k++;
		}
	}
	ck_assert_int_eq(parts, 3);
	ck_assert_int_ge(done5, 2);
	for (int i = 0; i < njobs; i++) {
		ck_assert_int_eq(c.drops[i], 1);
		ck_assert_int_eq(c.jobs[i].runs,
		    i == 5 ? 3 : i == 17 ? 2 : 1);
	}
	sz_pool_free(p);
	ck_assert_int_eq(count_live(&c), 0);
	ctx_free(&c);
}
END_TEST

/*
 * Freed in the middle of work (a signal, an I/O error): no thread is
 * left, every job is given back exactly once, what was delivered is the
 * first jobs in order, each run once, and no job ran twice.
 */
START_TEST(test_shutdown)
{
	static struct ctx c;
	int njobs = 300;
	sz_pool_conf pc = { .workers = 4, .max_jobs = njobs };
	sz_pool *p;

	ctx_init(&c, njobs);
	c.gated = 1;
	p = sz_pool_new(&c.t, &pc, &ops, &c);
	ck_assert_ptr_nonnull(p);
	produce(&c, p, 0, njobs);
	open_gate(&c, 20);
	until_delivered(&c, 20);
	open_gate(&c, njobs);	/* the rest may run while we stop */
	sz_pool_free(p);
	ck_assert_int_eq(count_live(&c), 0);
	ck_assert_int_eq(c.stops, 4);
	ck_assert_int_ge(c.nseq, 20);
	for (int i = 0; i < c.nseq; i++) {
		ck_assert_int_eq(c.seq[i], i);
		ck_assert_int_eq(c.jobs[i].runs, 1);
	}
	for (int i = 0; i < njobs; i++) {
		ck_assert_int_eq(c.drops[i], 1);
		ck_assert_int_le(c.jobs[i].runs, 1);
	}
	ck_assert_int_eq(c.off_main, 0);
	ctx_free(&c);
}
END_TEST

/*
 * A delivery answers -1 (a halt, a failure): nothing after it is
 * delivered, close answers 0, a job submitted then is given back unrun,
 * and free gives back the rest once.
 */
START_TEST(test_stop)
{
	static struct ctx c;
	int njobs = 100;
	sz_pool_conf pc = { .workers = 3, .max_jobs = 8 };
	sz_pool *p;

	ctx_init(&c, njobs);
	c.stop_at = 30;
	p = sz_pool_new(&c.t, &pc, &ops, &c);
	ck_assert_ptr_nonnull(p);
	produce(&c, p, 0, 60);
	while (!sz_pool_stopped(p))
		turn(&c);
	ck_assert_int_eq(c.nseq, 31);
	ck_assert_int_eq(sz_pool_close(p), 0);
	sz_pool_submit(p, &c.jobs[99].pj, 1);
	ck_assert_int_eq(c.drops[99], 1);
	sz_pool_free(p);
	ck_assert_int_eq(c.jobs[99].runs, 0);
	ck_assert_int_eq(c.drained, 0);
	ck_assert_int_eq(count_live(&c), 0);
	for (int i = 0; i < c.nseq; i++)
		ck_assert_int_eq(c.seq[i], i);
	for (int i = 0; i < 60; i++) {
		ck_assert_int_eq(c.drops[i], 1);
		ck_assert_int_le(c.jobs[i].runs, 1);
	}
	ctx_free(&c);
}
END_TEST

/*
 * Worker 1's state cannot be built: the jobs it takes come back
 * SZ_POOL_NOSTATE, unrun, in their place; the others are done; stop is
 * called only for the states that were built. With every worker failing,
 * every job comes back so and the pool still drains.
 */
START_TEST(test_state_fails)
{
	static struct ctx c;
	int all = _i, njobs = 60, nostate = 0;
	sz_pool_conf pc = { .workers = 3, .max_jobs = 8 };
	sz_pool *p;

	ctx_init(&c, njobs);
	c.fail_worker = all ? -2 : 1;
	p = sz_pool_new(&c.t, &pc, &ops, &c);
	ck_assert_ptr_nonnull(p);
	produce(&c, p, 0, njobs);
	finish(&c, p);
	ck_assert_int_eq(c.nseq, njobs);
	for (int i = 0; i < njobs; i++) {
		ck_assert_int_eq(c.seq[i], i);
		ck_assert_int_eq(c.drops[i], 1);
		if (c.hows[i] == SZ_POOL_NOSTATE) {
			nostate++;
			ck_assert_int_eq(c.jobs[i].runs, 0);
		} else {
			ck_assert_int_eq(c.hows[i], SZ_POOL_DONE);
			ck_assert_int_eq(c.jobs[i].runs, 1);
			ck_assert_int_ne(c.jobs[i].worker, 1);
		}
	}
	if (all)
		ck_assert_int_eq(nostate, njobs);
	sz_pool_free(p);
	ck_assert_int_eq(c.started, 3);
	ck_assert_int_eq(c.stops, all ? 0 : 2);
	ck_assert_int_eq(count_live(&c), 0);
	ctx_free(&c);
}
END_TEST

START_TEST(test_bad_conf)
{
	static struct ctx c;
	sz_pool_conf pc = { .workers = 0, .max_jobs = 1 };

	ctx_init(&c, 0);
	ck_assert_ptr_null(sz_pool_new(&c.t, &pc, &ops, &c));
	pc.workers = 1;
	pc.max_jobs = 0;
	ck_assert_ptr_null(sz_pool_new(&c.t, &pc, &ops, &c));
	ck_assert_int_eq(c.started, 0);
	sz_pool_free(NULL);
	ctx_free(&c);
}
END_TEST

static Suite *
pool_suite(void)
{
	Suite *s = suite_create("pool");
	TCase *tc = tcase_create("pool");

	/* generous: ThreadSanitizer on a loaded 2-core machine */
	tcase_set_timeout(tc, 300);
	tcase_add_loop_test(tc, test_order, 1, 9);
	tcase_add_test(tc, test_unordered);
	tcase_add_test(tc, test_unordered_in_order);
	tcase_add_test(tc, test_bound_jobs);
	tcase_add_test(tc, test_bound_bytes);
	tcase_add_loop_test(tc, test_requeue, 0, 2);
	tcase_add_test(tc, test_shutdown);
	tcase_add_test(tc, test_stop);
	tcase_add_loop_test(tc, test_state_fails, 0, 2);
	tcase_add_test(tc, test_bad_conf);
	suite_add_tcase(s, tc);
	return s;
}

SZ_CHECK_MAIN(pool_suite)
