/* SPDX-License-Identifier: MIT */
/*
 * copro.c - sz-exec --coprocess: -j N long-running children, each
 * answering every record written to its standard input with one line on
 * its standard output, in order, up to --pipeline records in flight to
 * each. A line {"sz_error":"text"} is a failed attempt. A coprocess that
 * ends fails the records it held (kind exit) and is started again when a
 * record needs it; one that keeps its oldest record past --timeout gets
 * SIGTERM (then SIGKILL): that record timed out, the ones behind it are
 * sent again without counting an attempt.
 *
 * Writes are gathered and made when a coprocess's buffer is large or
 * the tool is about to sleep (exec_idle): a few records per system call.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "exec.h"
#include "json/json.h"
#include "json/str.h"

/* Bytes gathered for a coprocess before they are written at once. */
#define GATHER (32 * 1024)
#define ERR_LINE (64 * 1024)

struct copro {
	struct ex *x;
	int alive;			/* started, not yet ended */
	int started;			/* ever */
	sz_child c;
	struct job *head, *tail;	/* in flight, in the order sent */
	uint64_t nin;
	sz_buf w;			/* bytes not written yet */
	size_t woff;
	sz_lines lo, le;
	int reaped, timed_out, extra_said;
	uint64_t t_term, t_kill;
	struct job *done, *done_tail;	/* answered, not yet handed on */
};

static void
close_watched(struct copro *cp, int *fd)
{
	if (*fd >= 0) {
		sz_loop_unwatch(&cp->x->t->loop, *fd);
		close(*fd);
		*fd = -1;
	}
}

/* Write what is gathered; POLLOUT while some is left. */
static void
flush(struct copro *cp)
{
	sz_loop *l = &cp->x->t->loop;

	while (cp->c.in >= 0 && cp->woff < cp->w.len) {
		ssize_t k = write(cp->c.in, cp->w.p + cp->woff,
		    cp->w.len - cp->woff);

		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			sz_loop_events(l, cp->c.in, POLLOUT);
			return;
		}
		if (k < 0) {
			/* it closed its input: its records fail when it
			 * ends */
			close_watched(cp, &cp->c.in);
			break;
		}
		cp->woff += (size_t)k;
	}
	cp->w.len = cp->woff = 0;
	if (cp->c.in >= 0) {
		sz_loop_events(l, cp->c.in, 0);
		if (cp->x->closing && cp->nin == 0)
			close_watched(cp, &cp->c.in);
	}
}

static void
on_in(sz_loop *l, int fd, short revents, void *ud)
{
	(void)l;
	(void)fd;
	(void)revents;
	flush(ud);
}

static void on_timeout(sz_loop *l, void *ud);

/* The timeout of the oldest record in flight. */
static void
arm(struct copro *cp)
{
	struct ex *x = cp->x;

	if (!x->timeout || cp->timed_out)
		return;
	if (cp->t_term)
		sz_loop_cancel(&x->t->loop, cp->t_term);
	cp->t_term = cp->head == NULL ? 0 : sz_loop_timer(&x->t->loop,
	    cp->head->started + x->timeout, on_timeout, cp);
}

static void
on_kill(sz_loop *l, void *ud)
{
	struct copro *cp = ud;

	(void)l;
	cp->t_kill = 0;
	(void)kill(-cp->c.pid, SIGKILL);
}

static void
on_timeout(sz_loop *l, void *ud)
{
	struct copro *cp = ud;

	cp->t_term = 0;
	cp->timed_out = 1;
	(void)kill(-cp->c.pid, SIGTERM);
	cp->t_kill = sz_loop_timer(l, sz_now() + cp->x->kill_after, on_kill,
	    cp);
	if (cp->t_kill == 0)
		on_kill(l, cp);
}

/* A line of a coprocess: the answer for its oldest record. */
static int
answer(struct copro *cp, const char *p, size_t n)
{
	struct ex *x = cp->x;
	struct job *j = cp->head;
	const char *v;
	size_t vn;
	sz_jtype et;
	sz_step st = { SZ_STEP_KEY, "sz_error", 8, 0 };
	int kind;

	if (j == NULL) {
		if (!cp->extra_said++)
			sz_msg(x->t, "warning", NULL, 0, "%s wrote a line "
			    "with no record in flight (ignored)", x->cmd[0]);
		return 0;
	}
	cp->head = j->qnext;
	if (cp->head == NULL)
		cp->tail = NULL;
	cp->nin--;
	j->qnext = NULL;
	kind = exec_take_line(x, j, p, n);
	if (kind == K_NONE && j->nout == 1 && j->out.p[0] == '{' &&
	    sz_json_get(j->out.p, j->out.len - 1, &st, &v, &vn, &et) ==
	    SZ_GET_FOUND) {
		sz_buf d = SZ_BUF_INIT;

		if (*v == '"' && sz_json_unescape(v, vn, &d) == 0)
			snprintf(j->msg, sizeof(j->msg), "%s", d.p);
		else
			snprintf(j->msg, sizeof(j->msg), "%.*s",
			    vn > 200 ? 200 : (int)vn, v);
		sz_buf_free(&d);
		kind = K_SZERROR;
	}
	j->kind = kind;
	if (cp->done_tail != NULL)
		cp->done_tail->qnext = j;
	else
		cp->done = j;
	cp->done_tail = j;
	return 0;
}

static int
out_lines(void *ud, const char *p, size_t n, uint64_t count)
{
	const char *e = p + n;

	(void)count;
	while (p < e) {
		const char *nl = memchr(p, '\n', (size_t)(e - p));

		answer(ud, p, (size_t)(nl - p));
		p = nl + 1;
	}
	return 0;
}

/* Hand on the answered records (one schedule for all). */
static void
hand_on(struct copro *cp)
{
	struct ex *x = cp->x;

	if (cp->done == NULL)
		return;
	x->in_batch = 1;
	while (cp->done != NULL && !x->halted) {
		struct job *j = cp->done;

		cp->done = j->qnext;
		j->qnext = NULL;
		exec_attempt_done(x, j, j->kind);
	}
	cp->done = cp->done_tail = NULL;
	x->in_batch = 0;
	if (!x->halted)
		exec_schedule(x);
}

static void ended(struct copro *cp);

static void
on_out(sz_loop *l, int fd, short revents, void *ud)
{
	struct copro *cp = ud;
	int k;

	(void)l;
	(void)fd;
	(void)revents;
	k = sz_lines_read(&cp->lo, cp->c.out, 8, out_lines, cp);
	if (k != SZ_LINES_AGAIN)
		close_watched(cp, &cp->c.out);
	if (k == SZ_LINES_TOOLONG)
		(void)kill(-cp->c.pid, SIGKILL);
	arm(cp);
	if (cp->reaped && cp->c.out < 0 && cp->c.err < 0) {
		ended(cp);	/* hands on too */
		return;
	}
	hand_on(cp);
}

static int
err_lines(void *ud, const char *p, size_t n, uint64_t count)
{
	struct copro *cp = ud;
	const char *e = p + n;

	(void)count;
	if (cp->head != NULL)
		exec_keep_err(cp->head, p, n);
	while (p < e) {
		const char *nl = memchr(p, '\n', (size_t)(e - p));

		exec_stderr_line(cp->x, cp->head, p, (size_t)(nl - p));
		p = nl + 1;
	}
	return 0;
}

static void
on_err(sz_loop *l, int fd, short revents, void *ud)
{
	struct copro *cp = ud;
	int k;

	(void)l;
	(void)fd;
	(void)revents;
	k = sz_lines_read(&cp->le, cp->c.err, 4, err_lines, cp);
	if (k == SZ_LINES_TOOLONG) {
		exec_stderr_line(cp->x, cp->head, cp->le.b.p, cp->le.b.len);
		cp->le.b.len = 0;
		return;
	}
	if (k == SZ_LINES_AGAIN)
		return;
	close_watched(cp, &cp->c.err);
	if (cp->reaped && cp->c.out < 0)
		ended(cp);
}

/* Start coprocess cp (again). 0, or -1 with the failure said. */
static int
spawn(struct copro *cp)
{
	struct ex *x = cp->x;
	sz_loop *l = &x->t->loop;
	char err[256];

	if (cp->started)
		x->restarts++;
	sz_lines_free(&cp->lo);
	sz_lines_free(&cp->le);
	sz_lines_init(&cp->lo, x->t->o.max_record);
	sz_lines_init(&cp->le, ERR_LINE);
	cp->reaped = cp->timed_out = 0;
	if (sz_child_spawn(&cp->c, x->cmd, NULL, SZ_CHILD_STDIN |
	    SZ_CHILD_STDOUT | SZ_CHILD_STDERR | SZ_CHILD_PGROUP |
	    SZ_CHILD_PDEATHSIG, NULL, err, sizeof(err)) < 0) {
		sz_fail(x->t, SZ_EXIT_FAIL, "%s: %s", x->cmd[0], err);
		return -1;
	}
	sz_child_close_unread(&cp->c);
	cp->started = cp->alive = 1;
	if (sz_loop_watch(l, cp->c.in, 0, on_in, cp) < 0 ||
	    sz_loop_watch(l, cp->c.out, POLLIN, on_out, cp) < 0 ||
	    sz_loop_watch(l, cp->c.err, POLLIN, on_err, cp) < 0) {
		sz_fail(x->t, SZ_EXIT_FAIL, "out of memory");
		return -1;
	}
	return 0;
}

/* cp ended (reaped, its output read): its records fail, or are sent
 * again when the oldest one timed out. */
static void
ended(struct copro *cp)
{
	struct ex *x = cp->x;
	int timed_out = cp->timed_out;
	struct job *j = cp->head;

	cp->alive = 0;
	if (cp->t_term)
		sz_loop_cancel(&x->t->loop, cp->t_term);
	if (cp->t_kill)
		sz_loop_cancel(&x->t->loop, cp->t_kill);
	cp->t_term = cp->t_kill = 0;
	close_watched(cp, &cp->c.in);
	cp->w.len = cp->woff = 0;
	cp->head = cp->tail = NULL;
	cp->nin = 0;
	/* the answers it gave first */
	x->in_batch = 1;
	while (cp->done != NULL && !x->halted) {
		struct job *d = cp->done;

		cp->done = d->qnext;
		d->qnext = NULL;
		exec_attempt_done(x, d, d->kind);
	}
	cp->done = cp->done_tail = NULL;
	for (int first = 1; j != NULL && !x->halted; first = 0) {
		struct job *next = j->qnext;

		j->qnext = NULL;
		j->wstatus = cp->c.wstatus;
		j->have_status = 1;
		if (timed_out && !first) {
			/* not its fault: sent again, not counted */
			j->attempts--;
			x->nattempts--;
			x->running--;
			j->state = J_READY;
			exec_requeue(x, j);
		} else
			exec_attempt_done(x, j, timed_out ? K_TIMEOUT :
			    K_EXIT);
		j = next;
	}
	x->in_batch = 0;
	if (!x->halted)
		exec_schedule(x);
}

void
copro_reap(struct ex *x)
{
	for (uint64_t i = 0; i < x->jobs && !x->halted; i++) {
		struct copro *cp = &x->cps[i];

		if (!cp->alive || cp->reaped || !sz_child_reap(&cp->c))
			continue;
		cp->reaped = 1;
		(void)kill(-cp->c.pid, SIGKILL);	/* what is left */
		if (cp->c.out < 0 && cp->c.err < 0)
			ended(cp);
	}
}

int
copro_start(struct ex *x)
{
	if ((x->cps = calloc(x->jobs, sizeof(*x->cps))) == NULL) {
		sz_msg(x->t, "error", NULL, 0, "out of memory");
		return -1;
	}
	for (uint64_t i = 0; i < x->jobs; i++) {
		struct copro *cp = &x->cps[i];

		cp->x = x;
		cp->c.in = cp->c.out = cp->c.err = cp->c.inr = -1;
		if (spawn(cp) < 0)
			return -1;
	}
	return 0;
}

int
copro_send(struct ex *x, struct job *j)
{
	struct copro *best = NULL;

	for (uint64_t i = 0; i < x->jobs; i++) {
		struct copro *cp = &x->cps[i];

		if (cp->nin < x->pipeline && (cp->alive ? !cp->reaped &&
		    cp->c.in >= 0 : 1) && (best == NULL ||
		    cp->nin < best->nin))
			best = cp;
	}
	if (best == NULL)
		return 1;
	if (!best->alive && spawn(best) < 0)
		return -1;
	if (sz_buf_add(&best->w, j->rec, j->n) < 0 ||
	    sz_buf_addc(&best->w, '\n') < 0) {
		sz_fail(x->t, SZ_EXIT_FAIL, "out of memory");
		return -1;
	}
	j->qnext = NULL;
	if (best->tail != NULL)
		best->tail->qnext = j;
	else
		best->head = j;
	best->tail = j;
	best->nin++;
	if (best->head == j) {
		j->started = sz_now();	/* (set again by the caller) */
		x->arm_me = best;
	}
	if (best->w.len >= GATHER || best->nin >= x->pipeline)
		flush(best);
	return 0;
}

void
copro_arm(struct ex *x)
{
	if (x->arm_me != NULL)
		arm(x->arm_me);
	x->arm_me = NULL;
}

void
copro_idle(struct ex *x)
{
	for (uint64_t i = 0; x->cps != NULL && i < x->jobs; i++)
		if (x->cps[i].alive && x->cps[i].w.len > x->cps[i].woff)
			flush(&x->cps[i]);
}

static void
on_close_kill(sz_loop *l, void *ud)
{
	struct ex *x = ud;

	(void)l;
	for (uint64_t i = 0; i < x->jobs; i++)
		if (x->cps[i].alive)
			(void)kill(-x->cps[i].c.pid, SIGKILL);
}

int
copro_close(struct ex *x)
{
	int left = 0;

	if (!x->closing) {
		x->closing = 1;
		if (x->kill_after)
			(void)sz_loop_timer(&x->t->loop, sz_now() +
			    x->kill_after, on_close_kill, x);
	}
	for (uint64_t i = 0; i < x->jobs; i++) {
		struct copro *cp = &x->cps[i];

		if (!cp->alive)
			continue;
		flush(cp);
		close_watched(cp, &cp->c.in);
		left = 1;
	}
	if (left && !x->kill_after)
		on_close_kill(&x->t->loop, x);
	return left;
}

void
copro_halt(struct ex *x)
{
	for (uint64_t i = 0; x->cps != NULL && i < x->jobs; i++) {
		struct copro *cp = &x->cps[i];

		close_watched(cp, &cp->c.in);
		close_watched(cp, &cp->c.out);
		close_watched(cp, &cp->c.err);
		if (cp->alive)
			(void)kill(-cp->c.pid, SIGKILL);
		cp->head = cp->tail = cp->done = cp->done_tail = NULL;
		cp->nin = 0;
	}
}

void
copro_free(struct ex *x)
{
	for (uint64_t i = 0; x->cps != NULL && i < x->jobs; i++) {
		struct copro *cp = &x->cps[i];

		if (cp->t_term)
			sz_loop_cancel(&x->t->loop, cp->t_term);
		if (cp->t_kill)
			sz_loop_cancel(&x->t->loop, cp->t_kill);
		close_watched(cp, &cp->c.in);
		close_watched(cp, &cp->c.out);
		close_watched(cp, &cp->c.err);
		if (cp->alive)
			(void)kill(-cp->c.pid, SIGKILL);
		if (cp->started)
			sz_child_free(&cp->c);
		sz_lines_free(&cp->lo);
		sz_lines_free(&cp->le);
		sz_buf_free(&cp->w);
	}
	free(x->cps);
	x->cps = NULL;
}
