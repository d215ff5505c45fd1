/* SPDX-License-Identifier: MIT */
/*
 * run.c - sz-exec's attempts in a child each: the command started
 * directly (its {EXPR} words filled in), in a process group of its own
 * that dies with the tool, the record and a newline on its standard
 * input, its output lines checked and kept, its standard error said line
 * by line and its tail kept, its time bounded by --timeout (SIGTERM to
 * the group, then SIGKILL). An attempt is over when the child was reaped
 * and both of its pipes were read to their end; what else of its group
 * is left then is killed.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "exec.h"

/* The longest stderr line said whole; a longer one is said in pieces. */
#define ERR_LINE (64 * 1024)

struct attempt {
	struct attempt *prev, *next;	/* the running attempts */
	struct ex *x;
	struct job *j;
	sz_child c;
	char **argv;			/* NULL: x->cmd */
	char *env[4];
	size_t woff;			/* of the record and its newline */
	sz_lines lo, le;
	int reaped, timed_out, kind;
	uint64_t t_term, t_kill;
};

static void
unwatch_close(struct attempt *a, int *fd)
{
	if (*fd >= 0) {
		sz_loop_unwatch(&a->x->t->loop, *fd);
		close(*fd);
		*fd = -1;
	}
}

static void
attempt_free(struct attempt *a)
{
	struct ex *x = a->x;

	if (a->prev != NULL)
		a->prev->next = a->next;
	else
		x->att = a->next;
	if (a->next != NULL)
		a->next->prev = a->prev;
	if (a->t_term)
		sz_loop_cancel(&x->t->loop, a->t_term);
	if (a->t_kill)
		sz_loop_cancel(&x->t->loop, a->t_kill);
	unwatch_close(a, &a->c.in);
	unwatch_close(a, &a->c.out);
	unwatch_close(a, &a->c.err);
	sz_child_free(&a->c);
	sz_lines_free(&a->lo);
	sz_lines_free(&a->le);
	free(a->argv);
	for (int i = 0; i < 3; i++)
		free(a->env[i]);
	free(a);
}

/* Over when reaped and both pipes are at their end: how it went. */
static void
check_done(struct attempt *a)
{
	struct ex *x = a->x;
	struct job *j = a->j;
	int kind;

	if (!a->reaped || a->c.out >= 0 || a->c.err >= 0)
		return;
	j->wstatus = a->c.wstatus;
	j->have_status = 1;
	if (a->timed_out)
		kind = K_TIMEOUT;
	else if (!sz_child_ok(a->c.wstatus))
		kind = K_EXIT;
	else
		kind = a->kind;
	attempt_free(a);
	exec_attempt_done(x, j, kind);
}

/* Write what is left of the record; close its input when all is. */
static void
feed(struct attempt *a)
{
	struct job *j = a->j;

	while (a->woff < j->n + 1) {
		ssize_t k = write(a->c.in, j->rec + a->woff,
		    j->n + 1 - a->woff);

		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			sz_loop_events(&a->x->t->loop, a->c.in, POLLOUT);
			return;
		}
		if (k < 0)
			break;	/* EPIPE: it does not read its input */
		a->woff += (size_t)k;
	}
	unwatch_close(a, &a->c.in);
}

static void
on_in(sz_loop *l, int fd, short revents, void *ud)
{
	(void)l;
	(void)fd;
	(void)revents;
	feed(ud);
}

static int
out_lines(void *ud, const char *p, size_t n, uint64_t count)
{
	struct attempt *a = ud;
	const char *e = p + n;

	(void)count;
	while (p < e && a->kind == K_NONE) {
		const char *nl = memchr(p, '\n', (size_t)(e - p));

		a->kind = exec_take_line(a->x, a->j, p, (size_t)(nl - p));
		p = nl + 1;
	}
	return 0;
}

static void
on_out(sz_loop *l, int fd, short revents, void *ud)
{
	struct attempt *a = ud;
	int k;

	(void)l;
	(void)fd;
	(void)revents;
	k = sz_lines_read(&a->lo, a->c.out, 4, out_lines, a);
	if (k == SZ_LINES_AGAIN)
		return;
	if (k == SZ_LINES_TOOLONG && a->kind == K_NONE) {
		a->kind = K_OUTPUT;
		snprintf(a->j->msg, sizeof(a->j->msg), "an output line is "
		    "longer than --max-record");
	}
	unwatch_close(a, &a->c.out);
	check_done(a);
}

static int
err_lines(void *ud, const char *p, size_t n, uint64_t count)
{
	struct attempt *a = ud;
	const char *e = p + n;

	(void)count;
	exec_keep_err(a->j, p, n);
	while (p < e) {
		const char *nl = memchr(p, '\n', (size_t)(e - p));

		exec_stderr_line(a->x, a->j, p, (size_t)(nl - p));
		p = nl + 1;
	}
	return 0;
}

static void
on_err(sz_loop *l, int fd, short revents, void *ud)
{
	struct attempt *a = ud;
	int k;

	(void)l;
	(void)fd;
	(void)revents;
	k = sz_lines_read(&a->le, a->c.err, 4, err_lines, a);
	if (k == SZ_LINES_TOOLONG) {
		/* said in pieces */
		sz_buf *b = &a->le.b;

		exec_keep_err(a->j, b->p, b->len);
		exec_stderr_line(a->x, a->j, b->p, b->len);
		b->len = 0;
		return;
	}
	if (k == SZ_LINES_AGAIN)
		return;
	unwatch_close(a, &a->c.err);
	check_done(a);
}

static void
on_kill(sz_loop *l, void *ud)
{
	struct attempt *a = ud;

	(void)l;
	a->t_kill = 0;
	(void)kill(-a->c.pid, SIGKILL);	/* the group, even after reaping */
}

static void
on_timeout(sz_loop *l, void *ud)
{
	struct attempt *a = ud;

	(void)l;
	a->t_term = 0;
	a->timed_out = 1;
	(void)kill(-a->c.pid, SIGTERM);
	a->t_kill = sz_loop_timer(&a->x->t->loop, sz_now() +
	    a->x->kill_after, on_kill, a);
	if (a->t_kill == 0)
		on_kill(l, a);
}

/* The argv of j: the command's words with the {EXPR}s filled in. */
static char **
job_argv(const struct ex *x, const struct job *j)
{
	char **v = calloc((size_t)x->ncmd + 1, sizeof(*v));
	char *p = j->args;

	if (v == NULL)
		return NULL;
	for (int i = 0; i < x->ncmd; i++) {
		v[i] = p;
		p += strlen(p) + 1;
	}
	return v;
}

int
run_start(struct ex *x, struct job *j)
{
	struct attempt *a = calloc(1, sizeof(*a));
	sz_loop *l = &x->t->loop;
	char err[256];

	if (a == NULL)
		goto nomem;
	a->x = x;
	a->j = j;
	a->c.in = a->c.out = a->c.err = a->c.inr = -1;
	if (x->nexpr > 0 && (a->argv = job_argv(x, j)) == NULL)
		goto nomem;
	if (asprintf(&a->env[0], "SZ_ATTEMPT=%u", j->attempts) < 0 ||
	    asprintf(&a->env[1], "SZ_FILE=%s", j->file) < 0 ||
	    asprintf(&a->env[2], "SZ_LINE=%lu", j->line) < 0) {
		for (int i = 0; i < 3; i++)
			a->env[i] = NULL;	/* undefined after a failure */
		goto nomem;
	}
	sz_lines_init(&a->lo, x->t->o.max_record);
	sz_lines_init(&a->le, ERR_LINE);
	j->rec[j->n] = '\n';
	if (sz_child_spawn(&a->c, a->argv ? a->argv : x->cmd, NULL,
	    SZ_CHILD_STDIN | SZ_CHILD_STDOUT | SZ_CHILD_STDERR |
	    SZ_CHILD_PGROUP | SZ_CHILD_PDEATHSIG, a->env, err,
	    sizeof(err)) < 0) {
		snprintf(j->msg, sizeof(j->msg), "%s", err);
		goto failed;
	}
	sz_child_close_unread(&a->c);
	a->next = x->att;
	if (x->att != NULL)
		x->att->prev = a;
	x->att = a;
	if (sz_loop_watch(l, a->c.in, 0, on_in, a) < 0 ||
	    sz_loop_watch(l, a->c.out, POLLIN, on_out, a) < 0 ||
	    sz_loop_watch(l, a->c.err, POLLIN, on_err, a) < 0) {
		snprintf(j->msg, sizeof(j->msg), "out of memory");
		attempt_free(a);
		return -1;
	}
	if (x->timeout && (a->t_term = sz_loop_timer(l, sz_now() +
	    x->timeout, on_timeout, a)) == 0) {
		snprintf(j->msg, sizeof(j->msg), "out of memory");
		attempt_free(a);
		return -1;
	}
	feed(a);
	return 0;
nomem:
	snprintf(j->msg, sizeof(j->msg), "out of memory");
failed:
	if (a != NULL) {
		sz_lines_free(&a->lo);
		sz_lines_free(&a->le);
		free(a->argv);
		for (int i = 0; i < 3; i++)
			free(a->env[i]);
		free(a);
	}
	return -1;
}

void
run_reap(struct ex *x)
{
	struct attempt *a = x->att;

	while (a != NULL) {
		struct attempt *next = a->next;

		if (!a->reaped && sz_child_reap(&a->c)) {
			a->reaped = 1;
			/* what else of its group is left holds the pipes */
			(void)kill(-a->c.pid, SIGKILL);
			check_done(a);	/* may free a */
			if (x->halted)
				return;	/* every attempt was freed */
		}
		a = next;
	}
}

void
run_kill_all(struct ex *x)
{
	while (x->att != NULL) {
		struct attempt *a = x->att;

		if (!a->reaped)
			(void)sz_child_kill(&a->c, SIGKILL);
		else
			(void)kill(-a->c.pid, SIGKILL);
		attempt_free(a);
	}
}
