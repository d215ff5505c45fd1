/* SPDX-License-Identifier: MIT */
/* dest.c - destinations of routed records and child commands; see dest.h. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "run/dest.h"

/* A pipe's queue is written out once it holds this much (and whenever
 * the input is idle). */
#define BATCH_RECS 256
#define BATCH_BYTES (64 * 1024)
/* Reads of a child's output per wake-up. */
#define READS_PER_WAKE 4


static void dest_fail(sz_dest *d, const char *kind, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int dest_write(sz_dest *d);
static void check_done(sz_dests *s);

void
sz_dests_init(sz_dests *s, sz_tool *t, size_t max_count, size_t max_bytes,
    int policy, const sz_dest_hooks *hooks)
{
	memset(s, 0, sizeof(*s));
	s->t = t;
	s->max_count = max_count ? max_count : 1;
	s->max_bytes = max_bytes;
	s->policy = policy;
	if (hooks != NULL)
		s->hooks = *hooks;
}

int
sz_dest_is_stdout(const char *text)
{
	return strcmp(text, "-") == 0 || strcmp(text, "&1") == 0;
}

void
sz_dest_open_failed(sz_tool *t, const char *text, const char *err)
{
	const char *arg = text + (strncmp(text, ">>", 2) == 0 ? 2 : 0);

	if (strncmp(err, arg, strlen(arg)) == 0)
		sz_msg(t, "error", NULL, 0, "%s", err);
	else
		sz_msg(t, "error", NULL, 0, "%s: %s", text, err);
}

/* ---- the queue of a pipe ---------------------------------------------- */


/* Make the loop look again before it sleeps (a resume or a finish from
 * the idle hook). */
static void
wake(sz_dests *s)
{
	sz_loop_wake(&s->t->loop);
}

/* Keep nfull and the input's pause in step with d's queue. */
static void
update_full(sz_dest *d)
{
	sz_dests *s = d->set;
	int f = sz_wq_full(&d->wq);

	if (f != d->full) {
		d->full = f;
		if (f)
			s->nfull++;
		else
			s->nfull--;
	}
	if (s->policy != SZ_FULL_BLOCK)
		return;
	if (s->nfull > 0 && !s->paused) {
		s->paused = 1;
		sz_input_pause(s->t);
	} else if (s->nfull == 0 && s->paused) {
		s->paused = 0;
		sz_input_resume(s->t);
		wake(s);
	}
}

/* A record of d's queue was delivered: counted here, once. */
static void
delivered(void *ud, uint32_t tag)
{
	sz_dest *d = ud;
	sz_dests *s = d->set;

	d->written++;
	if (!s->copies)
		s->t->st.out++;
	if (s->hooks.written)
		s->hooks.written(s->hooks.ud, tag);
}

/* A record for d dropped by the full policy. */
static void
dropped(sz_dest *d, uint32_t tag)
{
	sz_dests *s = d->set;

	d->dropped++;
	s->t->st.dropped++;
	if (s->hooks.dropped)
		s->hooks.dropped(s->hooks.ud, tag);
}

/* ---- opening and closing ---------------------------------------------- */

static void on_writable(sz_loop *l, int fd, short revents, void *ud);
static void on_output(sz_loop *l, int fd, short revents, void *ud);

/* No more records for this pipe: close our end (the child sees the end
 * of its input). */
static void
close_input(sz_dest *d)
{
	if (!d->pipe || d->fd < 0)
		return;
	sz_wq_stop(&d->wq);
	if (d->kind == SZ_DEST_CMD)
		sz_child_close_in(&d->ch);
	else {
		(void)fcntl(d->fd, F_SETFL, d->fdflags);
		close(d->fd);
	}
	d->fd = -1;
}

static void
close_output(sz_dest *d)
{
	if (d->ch.out < 0)
		return;
	sz_loop_unwatch(&d->set->t->loop, d->ch.out);
	sz_child_close_out(&d->ch);
}

/* Start `/bin/sh -c cmd` with its standard input and output on pipes. */
static int
spawn(sz_dest *d, const char *cmd, char *const *env, char *err,
    size_t errsize)
{
	sz_loop *l = &d->set->t->loop;
	int co = d->set->child_out;

	if (sz_child_spawn(&d->ch, NULL, cmd, SZ_CHILD_STDIN |
	    (co == SZ_DEST_CHILD_STDERR ? SZ_CHILD_OUT_STDERR :
	    co == SZ_DEST_CHILD_NULL ? SZ_CHILD_OUT_NULL : SZ_CHILD_STDOUT),
	    env, err, errsize) < 0)
		return -1;
	d->fd = d->ch.in;
	d->pipe = 1;
	sz_wq_init(&d->wq, l, d->fd, d->set->max_count, d->set->max_bytes,
	    on_writable, delivered, d);
	d->wq.rfd = d->ch.inr;	/* to count what the child read */
	sz_lines_init(&d->lines, d->set->t->o.max_record);
	if (d->ch.out >= 0 &&
	    sz_loop_watch(l, d->ch.out, POLLIN, on_output, d) < 0) {
		snprintf(err, errsize, "cannot watch the command: %s",
		    strerror(errno));
		return -1;
	}
	return 0;
}

/* Parse `text` into d->kind; *arg is the path, command or descriptor
 * text. 0, or -1 with a message. */
static int
parse(const char *text, int *kind, const char **arg, char *err,
    size_t errsize)
{
	if (sz_dest_is_stdout(text)) {
		*kind = SZ_DEST_STDOUT;
		*arg = text;
	} else if (text[0] == '|') {
		*kind = SZ_DEST_CMD;
		*arg = text + 1;
		if (strspn(*arg, " \t") == strlen(*arg)) {
			snprintf(err, errsize, "'%s': the command is empty", text);
			return -1;
		}
	} else if (strncmp(text, ">>", 2) == 0) {
		*kind = SZ_DEST_APPEND;
		*arg = text + 2;
	} else if (text[0] == '&') {
		*kind = SZ_DEST_FD;
		*arg = text + 1;
		if (**arg == '\0' || strspn(*arg, "0123456789") != strlen(*arg) ||
		    strlen(*arg) > 9) {
			snprintf(err, errsize, "'%s': &N needs a descriptor "
			    "number", text);
			return -1;
		}
		if (atoi(*arg) == 1)
			*kind = SZ_DEST_STDOUT;	/* &01 too */
	} else {
		*kind = SZ_DEST_FILE;
		*arg = text;
	}
	if ((*kind == SZ_DEST_FILE || *kind == SZ_DEST_APPEND) && **arg == '\0') {
		snprintf(err, errsize, "'%s': the path is empty", text);
		return -1;
	}
	return 0;
}

static int
open_dest(sz_dest *d, const char *arg, char *const *env, char *err,
    size_t errsize)
{
	int fd, fl;

	switch (d->kind) {
	case SZ_DEST_STDOUT:
		return 0;
	case SZ_DEST_CMD:
		return spawn(d, arg, env, err, errsize);
	case SZ_DEST_FILE:
	case SZ_DEST_APPEND:
		fd = open(arg, O_WRONLY | O_CREAT | O_CLOEXEC |
		    (d->kind == SZ_DEST_APPEND ? O_APPEND : O_TRUNC), 0666);
		if (fd < 0) {
			snprintf(err, errsize, "%s: %s", arg, strerror(errno));
			return -1;
		}
		break;
	default:	/* SZ_DEST_FD */
		fd = atoi(arg);
		if ((fl = fcntl(fd, F_GETFL)) < 0) {
			snprintf(err, errsize, "&%d: descriptor %d is not open",
			    fd, fd);
			return -1;
		}
		if ((fl & O_ACCMODE) == O_RDONLY) {
			snprintf(err, errsize, "&%d: descriptor %d is not open "
			    "for writing", fd, fd);
			return -1;
		}
		for (size_t i = 0; i < d->set->n; i++) {
			sz_dest *o = d->set->d[i];

			if (o != d && (o->fd == fd || o->ch.out == fd ||
			    o->ch.inr == fd)) {
				snprintf(err, errsize, "&%d: descriptor %d is "
				    "one of sz's own", fd, fd);
				return -1;
			}
		}
		d->fdflags = fl;
		(void)fcntl(fd, F_SETFD, FD_CLOEXEC);	/* not for children */
		break;
	}
	if (fd > 2 && sz_fd_is_pipe(fd)) {
		/* A FIFO, pipe or socket: queued, non-blocking. (Not our
		 * standard error: its flags are shared with our messages.) */
		d->fd = fd;
		d->pipe = 1;
		if (sz_fd_nonblock(fd, &d->fdflags) < 0) {
			snprintf(err, errsize, "%s: %s", d->text,
			    strerror(errno));
			if (d->kind != SZ_DEST_FD)
				close(fd);
			d->fd = -1;
			return -1;
		}
		d->kind = SZ_DEST_FD;	/* closed the same way */
		sz_wq_init(&d->wq, &d->set->t->loop, fd, d->set->max_count,
		    d->set->max_bytes, on_writable, delivered, d);
		return 0;
	}
	if (sz_out_fd(&d->out, fd) < 0) {
		if (d->kind != SZ_DEST_FD)
			close(fd);
		snprintf(err, errsize, "out of memory");
		return -1;
	}
	d->out.owned = d->kind != SZ_DEST_FD;
	d->out.unbuffered = d->set->t->o.unbuffered;
	d->have_out = 1;
	d->fd = fd;
	return 0;
}

sz_dest *
sz_dests_add(sz_dests *s, const char *text, const char *label,
    char *const *env, char *err, size_t errsize, int *usage)
{
	sz_dest *d;
	const char *arg;
	int kind;

	*usage = 0;
	for (size_t i = 0; env == NULL && i < s->n; i++)
		if (strcmp(s->d[i]->text, text) == 0)
			return s->d[i];
	if (parse(text, &kind, &arg, err, errsize) < 0) {
		*usage = 1;
		return NULL;
	}
	if (s->n == s->alloc) {
		size_t na = s->alloc ? 2 * s->alloc : 8;
		sz_dest **nd = realloc(s->d, na * sizeof(*nd));

		if (nd == NULL) {
			snprintf(err, errsize, "out of memory");
			return NULL;
		}
		s->d = nd;
		s->alloc = na;
	}
	if ((d = calloc(1, sizeof(*d))) == NULL) {
		snprintf(err, errsize, "out of memory");
		return NULL;
	}
	d->set = s;
	d->kind = kind;
	d->fd = d->ch.in = d->ch.out = d->ch.inr = -1;
	d->text = strdup(text);
	d->label = strdup(label);
	s->d[s->n++] = d;	/* freed with the set from now on */
	if (d->text == NULL || d->label == NULL) {
		snprintf(err, errsize, "out of memory");
		return NULL;
	}
	if (open_dest(d, arg, env, err, errsize) < 0)
		return NULL;
	return d;
}

void
sz_dests_free(sz_dests *s)
{
	for (size_t i = 0; i < s->n; i++) {
		sz_dest *d = s->d[i];

		close_input(d);
		close_output(d);
		sz_wq_free(&d->wq);
		sz_child_free(&d->ch);
		if (d->have_out)
			sz_out_close(&d->out);
		sz_lines_free(&d->lines);
		free(d->text);
		free(d->label);
		free(d->err);
		free(d);
	}
	free(s->d);
	memset(s, 0, sizeof(*s));
}

/* ---- failure ---------------------------------------------------------- */

/* d failed: say why, turn what it still holds into dead letters, close
 * its input and stop reading. */
static void
dest_fail(sz_dest *d, const char *kind, const char *fmt, ...)
{
	sz_dests *s = d->set;
	sz_tool *t = s->t;
	char text[1024];
	va_list ap;
	sz_wqrec it;
	const char *p;

	if (d->failed)
		return;
	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	d->failed = 1;
	s->failed = 1;
	if (asprintf(&d->err, "%s: %s", d->label, text) < 0)
		d->err = NULL;
	sz_msg(t, "error", NULL, 0, "%s", d->err ? d->err : text);
	sz_wq_ack(&d->wq);
	while (sz_wq_take(&d->wq, &it, &p) == 0) {
		sz_rec r = { p, it.n, it.file, it.line, NULL };

		sz_dead_letter(t, &r, kind, 1, 1, d->err ? d->err : text);
	}
	update_full(d);
	close_input(d);
	/* Stop reading: the runtime then calls proc->end. */
	t->stopping = 1;
}

/* A record that cannot go to the failed d. */
static int
dead(sz_dest *d, const sz_rec *r)
{
	sz_dead_letter(d->set->t, r, d->ch.pid ? "exit" : "write", 1, 1,
	    d->err ? d->err : "destination failed");
	return -1;
}

/* ---- writing ---------------------------------------------------------- */

/* Write a pipe's queue until everything is written (0) or the pipe
 * would block (1); -1 when the destination failed. At the end, a pipe
 * with nothing left to write is closed. */
static int
dest_write(sz_dest *d)
{
	int k = 0;

	if (d->fd >= 0 && (k = sz_wq_write(&d->wq)) < 0) {
		if (errno == EPIPE)
			dest_fail(d, "write", "the reader of the pipe went "
			    "away with %zu records not delivered",
			    d->wq.count);
		else
			dest_fail(d, "write", "write error: %s",
			    strerror(errno));
		return -1;
	}
	update_full(d);
	if (k == 1)
		return 1;
	if (d->set->ending && !sz_wq_pending(&d->wq)) {
		close_input(d);
		check_done(d->set);
	}
	return 0;
}

static void
on_writable(sz_loop *l, int fd, short revents, void *ud)
{
	(void)l;
	(void)fd;
	(void)revents;
	dest_write(ud);
}

int
sz_dest_put(sz_dests *s, sz_dest *d, const sz_rec *r, uint32_t tag)
{
	sz_tool *t = s->t;

	if (d->failed)
		return dead(d, r);
	if (d->kind == SZ_DEST_STDOUT) {
		if (sz_emit(t, r->p, r->n) < 0)
			return -1;
		d->written++;
		if (s->hooks.written)
			s->hooks.written(s->hooks.ud, tag);
		return 0;
	}
	if (d->have_out) {
		if (sz_out_record(&d->out, r->p, r->n) < 0) {
			dest_fail(d, "write", "write error: %s",
			    strerror(d->out.err));
			return dead(d, r);
		}
		d->written++;
		if (!s->copies)
			t->st.out++;
		if (s->hooks.written)
			s->hooks.written(s->hooks.ud, tag);
		return 0;
	}
	if (d->ch.exited || d->fd < 0) {
		dest_fail(d, "exit", d->ch.pid ? "the command exited while "
		    "records were still coming for it" : "closed");
		return dead(d, r);
	}
	if (sz_wq_full(&d->wq) && !d->wq.watching && dest_write(d) < 0)
		return dead(d, r);
	if (sz_wq_full(&d->wq)) {
		uint32_t old;

		if (s->policy == SZ_FULL_DROP_NEWEST ||
		    (s->policy == SZ_FULL_DROP_OLDEST &&
		    sz_wq_drop_oldest(&d->wq, &old) < 0)) {
			dropped(d, tag);
			return 0;
		}
		if (s->policy == SZ_FULL_DROP_OLDEST)
			dropped(d, old);
	}
	if (sz_wq_push(&d->wq, r->p, r->n, r->file, r->line, tag) < 0)
		return sz_fail(t, SZ_EXIT_FAIL, "out of memory");
	update_full(d);
	/* While POLLOUT is watched the pipe is full: the loop writes when
	 * it takes more (a writev now would only say EAGAIN). */
	if (!d->wq.watching && (sz_wq_unsent(&d->wq) >= BATCH_RECS ||
	    sz_wq_unsent_bytes(&d->wq) >= BATCH_BYTES || t->o.unbuffered))
		return dest_write(d) < 0 ? -1 : 0;
	return 0;
}

void
sz_dests_idle(sz_dests *s)
{
	sz_dests_child(s);
	for (size_t i = 0; i < s->n; i++) {
		sz_dest *d = s->d[i];

		if (d->pipe && sz_wq_pending(&d->wq) && !d->wq.watching)
			dest_write(d);
		else if (d->have_out && !d->failed &&
		    sz_out_flush(&d->out) < 0)
			dest_fail(d, "write", "write error: %s",
			    strerror(d->out.err));
	}
}

/* ---- children ---------------------------------------------------------- */

/* The lines of a child's output go to standard output; they are not
 * records of ours, so they count in "merged", not in "out". */
static int
merge(void *ud, const char *p, size_t n, uint64_t count)
{
	sz_dest *d = ud;

	if (sz_emit_bytes(d->set->t, p, n) < 0)
		return -1;
	d->set->merged += count;
	return 0;
}

static void
on_output(sz_loop *l, int fd, short revents, void *ud)
{
	sz_dest *d = ud;
	sz_tool *t = d->set->t;
	int k;

	(void)l;
	(void)revents;
	k = sz_lines_read(&d->lines, fd, READS_PER_WAKE, merge, d);
	switch (k) {
	case SZ_LINES_AGAIN:
		return;
	case SZ_LINES_EOF:
		close_output(d);
		sz_dests_child(d->set);
		break;
	case SZ_LINES_ERROR:
		dest_fail(d, "exit", "read error on the command's output: %s",
		    strerror(errno));
		close_output(d);
		break;
	case SZ_LINES_TOOLONG:
		dest_fail(d, "exit", "a line of the command's output is longer "
		    "than --max-record (%zu bytes)", t->o.max_record);
		close_output(d);
		break;
	default:
		/* the write to stdout failed (said), or memory ran out */
		if (t->status == 0)
			sz_fail(t, SZ_EXIT_FAIL, "out of memory");
		return;
	}
	check_done(d->set);
}

/* A child is gone: was that a failure? What it did not read of its
 * input is not delivered. */
static void
child_exited(sz_dest *d)
{
	sz_tool *t = d->set->t;
	int st = d->ch.wstatus;
	char how[128];

	sz_wq_ack(&d->wq);
	d->wq.rfd = -1;
	sz_child_close_unread(&d->ch);
	if (d->failed)
		return;
	if (sz_child_ok(st)) {
		if (d->wq.count > 0)
			dest_fail(d, "exit", "the command exited with %zu "
			    "records not read", d->wq.count);
		else if (!d->set->ending)
			close_input(d);	/* a later record fails */
		return;
	}
	if (WIFSIGNALED(st) && t->stopsig && d->wq.count == 0 &&
	    (WTERMSIG(st) == SIGINT || WTERMSIG(st) == SIGTERM))
		return;		/* stopped with us, nothing lost */
	dest_fail(d, "exit", "the command %s",
	    sz_child_status_text(st, how, sizeof(how)));
}

void
sz_dests_child(sz_dests *s)
{
	for (size_t i = 0; i < s->n; i++) {
		sz_dest *d = s->d[i];

		if (d->ch.pid > 0 && !d->ch.exited && sz_child_reap(&d->ch))
			child_exited(d);
	}
	check_done(s);
}

/* ---- the end ------------------------------------------------------------ */

static int
all_done(const sz_dests *s)
{
	for (size_t i = 0; i < s->n; i++) {
		const sz_dest *d = s->d[i];

		if ((d->pipe && d->fd >= 0) || d->ch.out >= 0 ||
		    (d->ch.pid > 0 && !d->ch.exited))
			return 0;
	}
	return 1;
}

static void
finish(sz_dests *s)
{
	s->finished = 1;
	if (s->failed && s->t->status == 0)
		s->t->status = SZ_EXIT_FAIL;
}

static void
check_done(sz_dests *s)
{
	if (s->ending && !s->finished && all_done(s)) {
		finish(s);
		sz_tool_finish(s->t);
		wake(s);
	}
}

int
sz_dests_end(sz_dests *s)
{
	s->ending = 1;
	if (s->paused) {
		s->paused = 0;	/* no more records will come anyway */
		sz_input_resume(s->t);
	}
	for (size_t i = 0; i < s->n; i++) {
		sz_dest *d = s->d[i];

		if (d->have_out) {
			d->have_out = 0;
			if (sz_out_close(&d->out) < 0 && !d->failed)
				dest_fail(d, "write", "write error: %s",
				    strerror(d->out.err));
			d->fd = -1;
		} else if (d->pipe) {
			if (!sz_wq_pending(&d->wq) || d->failed)
				close_input(d);
			else
				dest_write(d);
		}
	}
	sz_dests_child(s);
	if (all_done(s)) {
		if (!s->finished)
			finish(s);
		return 0;
	}
	return 1;
}
