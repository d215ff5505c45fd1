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
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#include "run/dest.h"

/* A pipe's queue is written out once it holds this much (and whenever
 * the input is idle). */
#define BATCH_RECS 64
#define BATCH_BYTES (64 * 1024)
/* Records per writev(2). */
#define IOV_RECS 64
/* Bytes read from a child at a time, and reads per wake-up. */
#define READ_CHUNK (64 * 1024)
#define READS_PER_WAKE 4

static char newline[] = "\n";

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

/* ---- the queue of a pipe ---------------------------------------------- */


/* Make the loop look again before it sleeps (a resume or a finish from
 * the idle hook). */
static void
wake(sz_dests *s)
{
	sz_loop_wake(&s->t->loop);
}

/* Records queued and not written yet. */
static size_t
unsent(const sz_dest *d)
{
	return d->q.count - d->sent;
}

static int
is_full(const sz_dest *d)
{
	const sz_dests *s = d->set;
	size_t n = unsent(d);
	size_t bytes = d->q.bytes - (d->sentbytes - d->sent);

	return n >= s->max_count || (n > 0 && bytes >= s->max_bytes);
}

/* Keep nfull and the input's pause in step with d's queue. */
static void
update_full(sz_dest *d)
{
	sz_dests *s = d->set;
	int f = is_full(d);

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

/* The tag of queued record i (0 is the head). */
static uint32_t *
tag_at(sz_dest *d, size_t i)
{
	return &d->tags[(d->tag0 + i) % d->tagcap];
}

static int
tag_push(sz_dest *d, uint32_t tag)
{
	size_t n = d->q.count;	/* tags held before this one */

	if (n == d->tagcap) {
		size_t nc = d->tagcap ? 2 * d->tagcap : 64;
		uint32_t *nt = malloc(nc * sizeof(*nt));

		if (nt == NULL)
			return -1;
		for (size_t i = 0; i < n; i++)
			nt[i] = *tag_at(d, i);
		free(d->tags);
		d->tags = nt;
		d->tagcap = nc;
		d->tag0 = 0;
	}
	d->tags[(d->tag0 + n) % d->tagcap] = tag;
	return 0;
}

static uint32_t
tag_pop(sz_dest *d)
{
	uint32_t tag = *tag_at(d, 0);

	d->tag0 = (d->tag0 + 1) % d->tagcap;
	return tag;
}

/* Append a copy of r; 0 or -1 (memory). */
static int
push(sz_dest *d, const sz_rec *r, uint32_t tag)
{
	if (tag_push(d, tag) < 0)
		return -1;
	if (sz_queue_push(&d->q, r->p, r->n, r->file, r->line) < 0)
		return -1;
	if (d->cur == NULL)
		d->cur = d->q.tail;
	return 0;
}

/* The head record leaves the queue; its tag in *tag. */
static sz_qitem *
pop_head(sz_dest *d, uint32_t *tag)
{
	sz_qitem *it = sz_queue_pop(&d->q);

	*tag = tag_pop(d);
	if (it == d->cur) {
		d->cur = it->next;
		d->off = 0;
	} else {
		d->sent--;
		d->sentbytes -= it->n + 1;
		if (d->last == it)
			d->last = NULL;
	}
	return it;
}

/* The head record was delivered. */
static void
delivered(sz_dest *d)
{
	sz_dests *s = d->set;
	uint32_t tag;

	free(pop_head(d, &tag));
	d->written++;
	s->t->st.out++;
	if (s->hooks.written)
		s->hooks.written(s->hooks.ud, tag);
}

/* A child's pipe: the records it has read whole are delivered. */
static void
ack(sz_dest *d)
{
	int unread = 0;
	size_t done;

	if (d->rfd < 0 || ioctl(d->rfd, FIONREAD, &unread) < 0)
		return;
	done = d->sentbytes + d->off - (size_t)unread;
	while (d->sent > 0 && d->q.head->n + 1 <= done) {
		done -= d->q.head->n + 1;
		delivered(d);
	}
}

/* For --when-full=drop-oldest: drop the oldest record not begun (cur,
 * or the one after it when cur is partly written). 0, or -1 if none. */
static int
drop_oldest(sz_dest *d)
{
	sz_dests *s = d->set;
	sz_qitem *it, *pred;
	size_t i;
	uint32_t tag;

	if (d->cur == NULL)
		return -1;
	if (d->off == 0) {
		it = d->cur;
		pred = d->last;
		i = d->sent;
	} else {
		it = d->cur->next;
		pred = d->cur;
		i = d->sent + 1;
	}
	if (it == NULL)
		return -1;
	if (pred == NULL) {
		free(pop_head(d, &tag));
	} else {
		pred->next = it->next;
		if (d->q.tail == it)
			d->q.tail = pred;
		d->q.count--;
		d->q.bytes -= it->n;
		if (d->cur == it)
			d->cur = it->next;
		/* take tag i out: the ones before it move up one */
		tag = *tag_at(d, i);
		for (; i > 0; i--)
			*tag_at(d, i) = *tag_at(d, i - 1);
		d->tag0 = (d->tag0 + 1) % d->tagcap;
		free(it);
	}
	d->dropped++;
	s->t->st.dropped++;
	if (s->hooks.dropped)
		s->hooks.dropped(s->hooks.ud, tag);
	return 0;
}

/* `k` more bytes were written from cur on. */
static void
advance(sz_dest *d, size_t k)
{
	while (k > 0) {
		sz_qitem *it = d->cur;
		size_t rest = it->n + 1 - d->off;

		if (k < rest) {
			d->off += k;
			break;
		}
		k -= rest;
		d->off = 0;
		d->sent++;
		d->sentbytes += it->n + 1;
		d->last = it;
		d->cur = it->next;
	}
	if (d->rfd < 0) {
		/* No way to know more: written is delivered. */
		while (d->sent > 0)
			delivered(d);
	} else
		ack(d);
}

/* ---- opening and closing ---------------------------------------------- */

static void on_writable(sz_loop *l, int fd, short revents, void *ud);
static void on_output(sz_loop *l, int fd, short revents, void *ud);

static void
watch_out(sz_dest *d, int on)
{
	sz_loop *l = &d->set->t->loop;

	if (on && !d->watching) {
		if (sz_loop_watch(l, d->fd, POLLOUT, on_writable, d) == 0) {
			d->watching = 1;
			wake(d->set);	/* a poll being set up misses it */
		}
	} else if (!on && d->watching) {
		sz_loop_unwatch(l, d->fd);
		d->watching = 0;
	}
}

/* No more records for this pipe: close our end (the child sees the end
 * of its input). */
static void
close_input(sz_dest *d)
{
	if (!d->pipe || d->fd < 0)
		return;
	watch_out(d, 0);
	if (d->kind == SZ_DEST_FD)
		(void)fcntl(d->fd, F_SETFL, d->fdflags);
	close(d->fd);
	d->fd = -1;
}

static void
close_output(sz_dest *d)
{
	if (d->ofd < 0)
		return;
	sz_loop_unwatch(&d->set->t->loop, d->ofd);
	close(d->ofd);
	d->ofd = -1;
}

static int
set_nonblock(int fd)
{
	int fl = fcntl(fd, F_GETFL);

	return fl < 0 ? -1 : fcntl(fd, F_SETFL, fl | O_NONBLOCK);
}

static int
is_pipe(int fd)
{
	struct stat st;

	return fstat(fd, &st) == 0 &&
	    (S_ISFIFO(st.st_mode) || S_ISSOCK(st.st_mode));
}

/* Start `/bin/sh -c cmd` with its standard input and output on pipes. */
static int
spawn(sz_dest *d, const char *cmd, char *const *env, char *err,
    size_t errsize)
{
	int in[2], out[2];
	pid_t pid;

	if (pipe2(in, O_CLOEXEC) < 0) {
		snprintf(err, errsize, "pipe: %s", strerror(errno));
		return -1;
	}
	if (pipe2(out, O_CLOEXEC) < 0) {
		snprintf(err, errsize, "pipe: %s", strerror(errno));
		close(in[0]);
		close(in[1]);
		return -1;
	}
	pid = fork();
	if (pid < 0) {
		snprintf(err, errsize, "fork: %s", strerror(errno));
		close(in[0]);
		close(in[1]);
		close(out[0]);
		close(out[1]);
		return -1;
	}
	if (pid == 0) {
		/* The child: default signal handling, every signal let
		 * through, the pipes as standard input and output (dup2
		 * clears close-on-exec), the rest closed at exec. */
		static const int sigs[] = { SIGINT, SIGTERM, SIGHUP, SIGUSR1,
		    SIGCHLD, SIGPIPE };
		sigset_t none;

		for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
			signal(sigs[i], SIG_DFL);
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		if (dup2(in[0], 0) < 0 || dup2(out[1], 1) < 0)
			_exit(126);
		if (in[0] == 0)
			(void)fcntl(0, F_SETFD, 0);
		if (out[1] == 1)
			(void)fcntl(1, F_SETFD, 0);
		for (size_t i = 0; env != NULL && env[i] != NULL; i++)
			putenv(env[i]);
		execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
		_exit(127);
	}
	close(out[1]);
	d->pid = pid;
	d->rfd = in[0];		/* to count what the child read */
	d->fd = in[1];
	d->ofd = out[0];
	d->pipe = 1;
	if (set_nonblock(d->fd) < 0 || set_nonblock(d->ofd) < 0 ||
	    sz_loop_watch(&d->set->t->loop, d->ofd, POLLIN, on_output, d) < 0) {
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

			if (o != d && (o->fd == fd || o->ofd == fd ||
			    o->rfd == fd)) {
				snprintf(err, errsize, "&%d: descriptor %d is "
				    "one of sz's own", fd, fd);
				return -1;
			}
		}
		d->fdflags = fl;
		(void)fcntl(fd, F_SETFD, FD_CLOEXEC);	/* not for children */
		break;
	}
	if (fd > 2 && is_pipe(fd)) {
		/* A FIFO, pipe or socket: queued, non-blocking. (Not our
		 * standard error: its flags are shared with our messages.) */
		d->fd = fd;
		d->pipe = 1;
		if (d->kind != SZ_DEST_FD)
			d->fdflags = fcntl(fd, F_GETFL);
		if (set_nonblock(fd) < 0) {
			snprintf(err, errsize, "%s: %s", d->text,
			    strerror(errno));
			return -1;
		}
		if (d->kind != SZ_DEST_FD)
			d->kind = SZ_DEST_FD;	/* closed the same way */
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
	d->fd = d->ofd = d->rfd = -1;
	sz_queue_init(&d->q, s->max_count, s->max_bytes);
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
		if (d->rfd >= 0)
			close(d->rfd);
		if (d->have_out)
			sz_out_close(&d->out);
		sz_queue_clear(&d->q);
		sz_buf_free(&d->line);
		free(d->tags);
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
	sz_qitem *it;

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
	ack(d);
	while (d->q.head != NULL) {
		uint32_t tag;

		it = pop_head(d, &tag);
		sz_rec r = { it->p, it->n, it->file, it->line, NULL };
		sz_dead_letter(t, &r, kind, 1, 1, d->err ? d->err : text);
		free(it);
	}
	d->off = 0;
	update_full(d);
	close_input(d);
	/* Stop reading: the runtime then calls proc->end. */
	t->stopping = 1;
}

/* A record that cannot go to the failed d. */
static int
dead(sz_dest *d, const sz_rec *r)
{
	sz_dead_letter(d->set->t, r, d->pid ? "exit" : "write", 1, 1,
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
	while (d->cur != NULL && d->fd >= 0) {
		struct iovec iov[2 * IOV_RECS];
		size_t off = d->off;
		int n = 0;
		ssize_t k;

		for (sz_qitem *it = d->cur; it != NULL && n + 2 <= 2 * IOV_RECS;
		    it = it->next) {
			if (off < it->n) {
				iov[n].iov_base = it->p + off;
				iov[n].iov_len = it->n - off;
				n++;
			}
			iov[n].iov_base = newline;
			iov[n].iov_len = 1;
			n++;
			off = 0;
		}
		k = writev(d->fd, iov, n);
		if (k < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN) {
				watch_out(d, 1);
				ack(d);
				update_full(d);
				return 1;
			}
			if (errno == EPIPE)
				dest_fail(d, "write", "the reader of the pipe "
				    "went away with %zu records not delivered",
				    d->q.count);
			else
				dest_fail(d, "write", "write error: %s",
				    strerror(errno));
			return -1;
		}
		advance(d, (size_t)k);
	}
	watch_out(d, 0);
	update_full(d);
	if (d->set->ending && d->cur == NULL) {
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
		t->st.out++;
		if (s->hooks.written)
			s->hooks.written(s->hooks.ud, tag);
		return 0;
	}
	if (d->exited || d->fd < 0) {
		dest_fail(d, "exit", d->pid ? "the command exited while "
		    "records were still coming for it" : "closed");
		return dead(d, r);
	}
	if (is_full(d) && !d->watching && dest_write(d) < 0)
		return dead(d, r);
	if (is_full(d)) {
		if (s->policy == SZ_FULL_DROP_NEWEST ||
		    (s->policy == SZ_FULL_DROP_OLDEST && drop_oldest(d) < 0)) {
			d->dropped++;
			t->st.dropped++;
			if (s->hooks.dropped)
				s->hooks.dropped(s->hooks.ud, tag);
			return 0;
		}
	}
	if (push(d, r, tag) < 0)
		return sz_fail(t, SZ_EXIT_FAIL, "out of memory");
	update_full(d);
	if (unsent(d) >= BATCH_RECS || d->q.bytes >= BATCH_BYTES ||
	    t->o.unbuffered)
		return dest_write(d) < 0 ? -1 : 0;
	return 0;
}

void
sz_dests_idle(sz_dests *s)
{
	sz_dests_child(s);
	for (size_t i = 0; i < s->n; i++) {
		sz_dest *d = s->d[i];

		if (d->pipe && d->cur != NULL && !d->watching)
			dest_write(d);
		else if (d->have_out && !d->failed &&
		    sz_out_flush(&d->out) < 0)
			dest_fail(d, "write", "write error: %s",
			    strerror(d->out.err));
	}
}

/* ---- children ---------------------------------------------------------- */

/* Copy the complete lines of b to standard output and keep the rest;
 * b[0..from) holds no newline. */
static void
merge_lines(sz_dest *d, sz_buf *b, size_t from, int eof)
{
	sz_tool *t = d->set->t;
	char *last = NULL;
	uint64_t lines = 0;
	size_t n;

	for (char *p = b->p + from, *e = b->p + b->len;
	    (p = memchr(p, '\n', (size_t)(e - p))) != NULL; p++) {
		last = p;
		lines++;
	}
	n = last ? (size_t)(last - b->p) + 1 : 0;
	if (eof && n < b->len) {
		/* A last line without a newline gets one. */
		if (sz_buf_addc(b, '\n') < 0) {
			sz_fail(t, SZ_EXIT_FAIL, "out of memory");
			return;
		}
		n = b->len;
		lines++;
	}
	if (n == 0)
		return;
	if (sz_emit_lines(t, b->p, n, lines) == 0) {
		/* These lines are the children's, not records we wrote. */
		t->st.out -= lines;
		d->set->merged += lines;
	}
	memmove(b->p, b->p + n, b->len - n);
	b->len -= n;
}

static void
on_output(sz_loop *l, int fd, short revents, void *ud)
{
	sz_dest *d = ud;
	sz_tool *t = d->set->t;

	(void)l;
	(void)revents;
	for (int i = 0; i < READS_PER_WAKE; i++) {
		sz_buf *b = &d->line;
		ssize_t k;

		if (sz_buf_reserve(b, READ_CHUNK) < 0) {
			sz_fail(t, SZ_EXIT_FAIL, "out of memory");
			return;
		}
		k = read(fd, b->p + b->len, READ_CHUNK);
		if (k < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN)
				return;
			dest_fail(d, "exit", "read error on the command's "
			    "output: %s", strerror(errno));
			close_output(d);
			check_done(d->set);
			return;
		}
		size_t from = b->len;

		b->len += (size_t)k;
		b->p[b->len] = '\0';
		merge_lines(d, b, from, k == 0);
		if (k == 0) {
			close_output(d);
			sz_dests_child(d->set);
			check_done(d->set);
			return;
		}
		if (b->len > t->o.max_record) {
			dest_fail(d, "exit", "a line of the command's output "
			    "is longer than --max-record (%zu bytes)",
			    t->o.max_record);
			close_output(d);
			check_done(d->set);
			return;
		}
	}
}

/* A child is gone: was that a failure? What it did not read of its
 * input is not delivered. */
static void
child_exited(sz_dest *d, int st)
{
	sz_tool *t = d->set->t;

	d->exited = 1;
	d->wstatus = st;
	ack(d);
	if (d->rfd >= 0) {
		close(d->rfd);
		d->rfd = -1;
	}
	if (d->failed)
		return;
	if (WIFEXITED(st) && WEXITSTATUS(st) == 0) {
		if (d->q.count > 0)
			dest_fail(d, "exit", "the command exited with %zu "
			    "records not read", d->q.count);
		else if (!d->set->ending)
			close_input(d);	/* a later record fails */
		return;
	}
	if (WIFSIGNALED(st) && t->stopsig && d->q.count == 0 &&
	    (WTERMSIG(st) == SIGINT || WTERMSIG(st) == SIGTERM))
		return;		/* stopped with us, nothing lost */
	if (WIFEXITED(st))
		dest_fail(d, "exit", "the command exited with status %d",
		    WEXITSTATUS(st));
	else
		dest_fail(d, "exit", "the command was killed by signal %d "
		    "(%s)", WTERMSIG(st), strsignal(WTERMSIG(st)));
}

void
sz_dests_child(sz_dests *s)
{
	for (size_t i = 0; i < s->n; i++) {
		sz_dest *d = s->d[i];
		int st;

		if (d->pid > 0 && !d->exited &&
		    waitpid(d->pid, &st, WNOHANG) == d->pid)
			child_exited(d, st);
	}
	check_done(s);
}

/* ---- the end ------------------------------------------------------------ */

static int
all_done(const sz_dests *s)
{
	for (size_t i = 0; i < s->n; i++) {
		const sz_dest *d = s->d[i];

		if ((d->pipe && d->fd >= 0) || d->ofd >= 0 ||
		    (d->pid > 0 && !d->exited))
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
			if (d->cur == NULL || d->failed)
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
