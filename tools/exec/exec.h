/* SPDX-License-Identifier: MIT */
/*
 * exec.h - what the parts of sz-exec share: the state, a record's job
 * (its attempts, its outputs, how it ended), and the calls between
 * main.c (options, order, retries, dead letters, stats), opts.c (option
 * values), breaker.c (the circuit breaker, durations), run.c (one child
 * per attempt) and copro.c (long-running coprocesses).
 * Private to tools/exec/.
 *
 * Everything runs on the tool's one thread, in its poll loop: children's
 * pipes are watched descriptors, timeouts and retry delays are loop
 * timers, SIGCHLD reaps.
 */
#ifndef SZ_EXEC_H
#define SZ_EXEC_H

#include <regex.h>
#include <stdint.h>

#include "io/child.h"
#include "jq/expr.h"
#include "run/tool.h"

/* How an attempt failed (K_NONE: it did not). */
enum {
	K_NONE, K_EXIT, K_TIMEOUT, K_OUTPUT, K_SZERROR, K_STOPPED,
	K_CIRCUIT, K_JQ, K_NKINDS
};
extern const char *const exec_kind_names[K_NKINDS];

/* Where a record's job stands. */
enum { J_READY, J_RUNNING, J_BACKOFF, J_DONE };

/* The most of a failed attempt's standard error that is kept (for
 * --retry-on stderr:RE and the dead letter). */
#define ERR_TAIL 4096

struct job {
	struct job *prev, *next;	/* in flight, in input order */
	struct job *qnext;		/* ready queue, or a coprocess's */
	uint64_t seq;
	char *rec;			/* the record's bytes */
	size_t n;
	const char *file;
	unsigned long line;
	char *args;			/* the {EXPR} words, NUL-separated */
	int state;			/* J_* */
	unsigned attempts;		/* started so far */
	int kind;			/* the last attempt's failure */
	int wstatus, have_status;	/* how its child ended */
	uint64_t started;		/* the attempt's start (sz_now) */
	sz_buf out;			/* the attempt's output lines */
	uint64_t nout;
	sz_buf err;			/* the last ERR_TAIL bytes of stderr */
	char msg[256];			/* what went wrong, in words */
	uint64_t timer;			/* the retry's timer, or 0 */
};

/* --retry-on: what a failed attempt may be retried for. */
struct retry_on {
	int kinds[K_NKINDS];		/* timeout, output, sz_error, any */
	int any;
	int *codes;			/* exit:CODES */
	size_t ncodes;
	regex_t *res;			/* stderr:RE */
	size_t nres;
};

/* The circuit breaker's state. */
enum { B_CLOSED, B_OPEN, B_HALF };
#define B_SLICES 64

struct breaker {
	int on;
	double rate;
	uint64_t min, cooldown, trials, window;
	int state;
	uint64_t opened;
	struct { uint64_t start, att, fail; } s[B_SLICES];
	uint64_t tried, ok;		/* half-open: trials started, passed */
	uint64_t timer;
};

/* Attempt durations: 8 buckets per power of two of nanoseconds. */
#define H_BUCKETS 512
struct hist {
	uint64_t n, max;
	uint64_t b[H_BUCKETS];
};

struct copro;
struct attempt;

struct ex {
	sz_tool *t;
	char **cmd;			/* COMMAND [ARG]... (argv) */
	int ncmd;
	sz_expr *exprs;			/* one per {EXPR} word, else unused */
	int *is_expr;			/* per word: 0, 1 {EXPR}, 2 {} */
	int nexpr;
	uint64_t jobs;			/* -j */
	int unordered, copro;
	uint64_t pipeline;
	uint64_t timeout, kill_after;	/* ns; timeout 0: none */
	uint64_t retries, base, max;
	int jitter;
	struct retry_on ro;
	int ro_given;
	struct breaker br;
	int when_open_dlq;
	const char *breaker_arg;

	/* the run */
	struct job *head, *tail;	/* in flight */
	uint64_t nflight, flight_bytes, max_flight, max_bytes;
	struct job *ready;		/* sorted by seq */
	uint64_t seq;
	uint64_t running;		/* attempts running */
	int paused;			/* we paused the input */
	int ending;			/* end() came: finish when empty */
	int halted;			/* a failure ended the run */
	int stopping;			/* SIGTERM/SIGINT: no new attempts */
	int closing;			/* coprocesses told to end */
	int in_sched, resched;		/* exec_schedule running, again */
	int in_batch;			/* attempts handed on together */
	struct copro *arm_me;		/* a coprocess's first in flight */
	struct attempt *att;		/* running attempts (run.c) */
	struct copro *cps;		/* coprocesses (copro.c) */
	uint64_t restarts;

	/* stats */
	uint64_t nattempts, nretries, nfail[K_NKINDS];
	struct hist h;
	sz_buf scratch;
};

#define SEC 1000000000ULL

/* main.c: pause or resume the input (bounds, the breaker). */
void exec_update_input(struct ex *x);
/* breaker.c: an attempt ended (failed or not): the window and the
 * state; may an attempt start now? */
void exec_breaker_note(struct ex *x, int failed);
int exec_breaker_allows(struct ex *x);
/* breaker.c: a duration (ns) into the histogram; its q-quantile, s. */
void exec_hist_add(struct hist *h, uint64_t ns);
double exec_hist_q(const struct hist *h, double q);
/* opts.c: the option values of --backoff, --retry-on, --breaker. */
int exec_opt_backoff(sz_tool *t, struct ex *x);
int exec_opt_retry_on(sz_tool *t, struct ex *x);
int exec_opt_breaker(sz_tool *t, struct ex *x);

/* main.c: an attempt of j ended; kind K_NONE is success (its output is
 * in j->out). Retries, the breaker, delivery follow. */
void exec_attempt_done(struct ex *x, struct job *j, int kind);
/* main.c: a line of a child's standard error, said as a message about
 * j's record. */
void exec_stderr_line(struct ex *x, const struct job *j, const char *p,
    size_t n);
/* main.c: keep the tail of what a child wrote on stderr in j->err. */
void exec_keep_err(struct job *j, const char *p, size_t n);
/* main.c: check one output line of an attempt (p[0..n), no newline) and
 * keep it in j->out; K_NONE, or K_OUTPUT with j->msg set. */
int exec_take_line(struct ex *x, struct job *j, const char *p, size_t n);
/* main.c: start what can start now; deliver what is done. */
void exec_schedule(struct ex *x);
/* main.c: j is ready for an attempt again. */
void exec_requeue(struct ex *x, struct job *j);

/* run.c: start an attempt of j in a child of its own. 0, or -1 with
 * j->msg set (it then failed: the caller says so). */
int run_start(struct ex *x, struct job *j);
/* run.c: SIGCHLD: reap the attempts' children. */
void run_reap(struct ex *x);
/* run.c: kill every attempt (SIGKILL) and forget it (a failure). */
void run_kill_all(struct ex *x);

/* copro.c: start the coprocesses. 0, or -1 with a message said. */
int copro_start(struct ex *x);
/* copro.c: send j to a coprocess with room; 0, 1 when none has, -1
 * after a failure (said). Then copro_arm once j->started is set. */
int copro_send(struct ex *x, struct job *j);
void copro_arm(struct ex *x);
/* copro.c: the tool is about to sleep: write what is gathered. */
void copro_idle(struct ex *x);
/* copro.c: a failure ends the run: kill them, forget their records. */
void copro_halt(struct ex *x);
/* copro.c: SIGCHLD. */
void copro_reap(struct ex *x);
/* copro.c: no more records will come: close their inputs; answers 1
 * while one still runs (exec_schedule is called again when all ended). */
int copro_close(struct ex *x);
void copro_free(struct ex *x);

#endif
