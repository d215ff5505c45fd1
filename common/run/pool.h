/* SPDX-License-Identifier: MIT */
/*
 * pool.h - an ordered pool of worker threads for a tool: jobs go in in
 * input order, N workers (each with its own state) do them, and the main
 * thread gets them back in the same order through the event loop.
 *
 * The main thread never waits for a worker while it reads or writes: a
 * worker that finishes a job writes a byte to a pipe that the tool's loop
 * watches, and the main thread then delivers, in submission order (or as
 * they finish, unordered), every finished job at the head. The main
 * thread takes the pool's lock only for a few pointer moves.
 *
 * Bounds: at most max_jobs jobs and max_bytes bytes (as the submitter
 * counts them) are in flight, from submission to delivery; at the bound
 * the pool pauses the tool's input (sz_input_pause) and resumes it when a
 * delivery makes room. A job always fits when none is in flight, so one
 * job larger than max_bytes still runs, alone.
 *
 * A job the worker hands back half done (SZ_POOL_PARTIAL) is delivered as
 * it stands; then it goes back to the head of the work queue, still first
 * in line, and the rest of it runs next. Its worker callback must know
 * where it stopped.
 *
 * Ownership: a job belongs to the tool until sz_pool_submit, then to the
 * pool, which gives it back through ops->drop exactly once: after its
 * final delivery, or undelivered when the pool stops or is freed. No job
 * is run twice, and none is lost: each is either delivered (then dropped)
 * or dropped without delivery.
 *
 * Threads: workers are started with the loop's signals blocked (they go
 * to the main thread, whose blocked write they must interrupt), and every
 * one of them is joined by sz_pool_free.
 */
#ifndef SZ_POOL_H
#define SZ_POOL_H

#include <stddef.h>

#include "run/tool.h"

/* The pool's part of a job: the first member of the tool's job struct.
 * Private to the pool. */
typedef struct sz_pool_job {
	struct sz_pool_job *next;	/* in flight, in submission order */
	struct sz_pool_job *qnext;	/* waiting for a worker */
	size_t bytes;			/* counted against max_bytes */
	int done;			/* under the pool's lock */
	int how;			/* the worker's answer */
} sz_pool_job;

/* What a worker did with a job (ops->run's answer, deliver's `how`). */
enum {
	SZ_POOL_DONE = 0,	/* the job is finished */
	SZ_POOL_PARTIAL = 1,	/* part done: deliver, then run the rest */
	SZ_POOL_NOSTATE = 2,	/* not run: the worker has no state */
	/* Or'ed into DONE or PARTIAL: even when unordered, deliver the job
	 * only after every job submitted before it (a job with messages to
	 * say: they come in input order). deliver's `how` is without it. */
	SZ_POOL_IN_ORDER = 4
};

typedef struct sz_pool_ops {
	/* On worker `i`'s thread, before its first job: build its state
	 * (a compiled program, a child process). NULL: it could not; the
	 * worker then hands back each job it takes as SZ_POOL_NOSTATE. */
	void *(*start)(void *ud, int i);
	/* On the worker's thread, when it quits: free what start built
	 * (called only when start succeeded). May be NULL. */
	void (*stop)(void *ud, void *state);
	/* On a worker: do the job (or the rest of it). Answer SZ_POOL_DONE
	 * or SZ_POOL_PARTIAL, either with SZ_POOL_IN_ORDER. It touches only
	 * the job and its state. */
	int (*run)(void *ud, void *state, sz_pool_job *j);
	/* On the main thread, in submission order unless unordered: the
	 * job as the worker left it; `how` is the worker's answer. Return
	 * 0 to go on, -1 to stop the pool (a failure, a halt, a write
	 * error: nothing more is delivered). After SZ_POOL_PARTIAL the job
	 * is run again unless the pool stops. */
	int (*deliver)(void *ud, sz_pool_job *j, int how);
	/* On the main thread: the pool gives the job back (free it). */
	void (*drop)(void *ud, sz_pool_job *j);
	/* On the main thread: after sz_pool_close answered 1, every job
	 * was delivered or the pool stopped (the tool ends now). */
	void (*drained)(void *ud);
} sz_pool_ops;

typedef struct sz_pool_conf {
	int workers;		/* threads, >= 1 */
	int max_jobs;		/* jobs in flight, >= 1 */
	size_t max_bytes;	/* bytes in flight; 0: no bound */
	int unordered;		/* deliver jobs as they finish */
} sz_pool_conf;

typedef struct sz_pool sz_pool;

/*
 * Start c->workers threads and watch the pool's pipe in t's loop. `ud` is
 * passed to every callback. Returns the pool, or NULL with errno set (no
 * thread is left running).
 */
sz_pool *sz_pool_new(sz_tool *t, const sz_pool_conf *c,
    const sz_pool_ops *ops, void *ud);
/*
 * Hand job j (`bytes` big) to the workers, after every job submitted
 * before it. Pauses the input when the bounds are reached. On a stopped
 * or closed pool j is dropped at once, never run.
 */
void sz_pool_submit(sz_pool *p, sz_pool_job *j, size_t bytes);
/* Deliver the finished jobs at the head now (the pipe's callback does it
 * too). */
void sz_pool_collect(sz_pool *p);
/*
 * No more jobs will come (end of input). Delivers what is finished.
 * Returns 0 when nothing is left in flight or the pool stopped (drained
 * is not called), 1 when jobs are still out: drained is called once they
 * all are delivered.
 */
int sz_pool_close(sz_pool *p);
/* Did a delivery stop the pool? */
int sz_pool_stopped(const sz_pool *p);
/* Jobs in flight (submitted, not yet finally delivered). */
int sz_pool_inflight(const sz_pool *p);
/*
 * Stop the workers (each finishes the job it is running, takes no other)
 * and join them, then drop every job not finally delivered, unwatch the
 * pipe and free p. NULL is fine. The tool's loop must still be valid or
 * already freed by sz_tool_run.
 */
void sz_pool_free(sz_pool *p);

#endif
