/* SPDX-License-Identifier: MIT */
/* child.c - child processes and the line merger; see child.h. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#ifdef __linux__
#include <sys/prctl.h>
#endif
#include <sys/wait.h>
#include <unistd.h>

#include "io/child.h"
#include "io/loop.h"

extern char **environ;

/* Bytes read at a time by the line merger. */
#define READ_CHUNK (64 * 1024)

static pthread_mutex_t list_lock = PTHREAD_MUTEX_INITIALIZER;
static sz_child *running;	/* started and not reaped */

static void
list_add(sz_child *c)
{
	pthread_mutex_lock(&list_lock);
	c->prev = NULL;
	c->next = running;
	if (running != NULL)
		running->prev = c;
	running = c;
	pthread_mutex_unlock(&list_lock);
}

/* Take c off the list (it was reaped or freed); a no-op when it is not
 * on it. */
static void
list_del(sz_child *c)
{
	pthread_mutex_lock(&list_lock);
	if (c->prev != NULL)
		c->prev->next = c->next;
	else if (running == c)
		running = c->next;
	if (c->next != NULL)
		c->next->prev = c->prev;
	c->next = c->prev = NULL;
	pthread_mutex_unlock(&list_lock);
}

static void
close_fd(int *fd)
{
	if (*fd >= 0) {
		close(*fd);
		*fd = -1;
	}
}

/*
 * The child's environment: ours with `add` put in (a NAME= in add replaces
 * ours). Built before fork, so that the child only calls async-signal-safe
 * functions (a tool with threads may fork). NULL when out of memory.
 */
static char **
make_env(char *const *add)
{
	size_t n = 0, k = 0, j = 0;
	char **e;

	while (environ[n] != NULL)
		n++;
	while (add[k] != NULL)
		k++;
	if ((e = malloc((n + k + 1) * sizeof(*e))) == NULL)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		const char *eq = strchr(environ[i], '=');
		size_t len = eq ? (size_t)(eq - environ[i]) + 1 :
		    strlen(environ[i]);
		int replaced = 0;

		for (size_t a = 0; a < k && !replaced; a++)
			replaced = strncmp(add[a], environ[i], len) == 0;
		if (!replaced)
			e[j++] = environ[i];
	}
	for (size_t a = 0; a < k; a++)
		e[j++] = add[a];
	e[j] = NULL;
	return e;
}

/* Make fd the child's descriptor `to` (dup2 clears close-on-exec; a
 * descriptor already in place keeps the flag, so clear it). */
static int
put_fd(int fd, int to)
{
	if (fd == to)
		return fcntl(to, F_SETFD, 0);
	return dup2(fd, to) < 0 ? -1 : 0;
}

/* After fork, in the child: never returns. */
static void
run_child(char *const *argv, const char *shell, int flags, char **env,
    int in, int out, int err, pid_t parent, const char *fail, size_t faillen)
{
	static const int sigs[] = { SIGINT, SIGTERM, SIGHUP, SIGUSR1,
	    SIGCHLD, SIGPIPE };
	sigset_t none;

	/* What the tool was started with ignored stays so in its
	 * children, as it would had a shell started them. */
	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		if (!sz_signal_ignored(sigs[i]))
			signal(sigs[i], SIG_DFL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	if (flags & SZ_CHILD_PGROUP)
		(void)setpgid(0, 0);
#ifdef __linux__
	/* The tool may have died between fork and here: then its death
	 * signal is never sent, and the parent is another process. */
	if (flags & SZ_CHILD_PDEATHSIG &&
	    (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || getppid() != parent))
		_exit(126);
#else
	(void)parent;
#endif
	if (put_fd(in, 0) < 0 || (out >= 0 && put_fd(out, 1) < 0) ||
	    (err >= 0 && put_fd(err, 2) < 0))
		_exit(126);
	if (env != NULL)
		environ = env;
	if (shell != NULL)
		execl("/bin/sh", "sh", "-c", shell, (char *)NULL);
	else
		execvp(argv[0], argv);
	(void)!write(2, fail, faillen);
	_exit(127);
}

int
sz_child_spawn(sz_child *c, char *const *argv, const char *shell, int flags,
    char *const *env, char *err, size_t errsize)
{
	int in[2] = { -1, -1 }, out[2] = { -1, -1 }, er[2] = { -1, -1 };
	pid_t parent = getpid();
	char **cenv = NULL;
	char fail[256];
	int n;
	pid_t pid;

	memset(c, 0, sizeof(*c));
	c->in = c->out = c->err = c->inr = -1;
	c->flags = flags;
	n = snprintf(fail, sizeof(fail), "sz: %s: cannot run\n",
	    shell ? "/bin/sh" : argv[0]);
	if (n < 0 || (size_t)n >= sizeof(fail))
		n = (int)strlen(fail);
	if (env != NULL && (cenv = make_env(env)) == NULL) {
		snprintf(err, errsize, "out of memory");
		return -1;
	}
	if (flags & SZ_CHILD_STDIN) {
		if (pipe2(in, O_CLOEXEC) < 0)
			goto pipe_failed;
	} else if ((in[0] = open("/dev/null", O_RDONLY | O_CLOEXEC)) < 0)
		goto pipe_failed;
	if ((flags & SZ_CHILD_STDOUT) && pipe2(out, O_CLOEXEC) < 0)
		goto pipe_failed;
	if (!(flags & SZ_CHILD_STDOUT) && (flags & SZ_CHILD_OUT_NULL) &&
	    (out[1] = open("/dev/null", O_WRONLY | O_CLOEXEC)) < 0)
		goto pipe_failed;
	if ((flags & SZ_CHILD_STDERR) && pipe2(er, O_CLOEXEC) < 0)
		goto pipe_failed;
	/* Non-blocking on our side only: the child's ends keep blocking. */
	if ((in[1] >= 0 && fcntl(in[1], F_SETFL, O_NONBLOCK) < 0) ||
	    (out[0] >= 0 && fcntl(out[0], F_SETFL, O_NONBLOCK) < 0) ||
	    (er[0] >= 0 && fcntl(er[0], F_SETFL, O_NONBLOCK) < 0))
		goto pipe_failed;
	pid = fork();
	if (pid < 0) {
		snprintf(err, errsize, "fork: %s", strerror(errno));
		goto failed;
	}
	if (pid == 0)
		run_child(argv, shell, flags, cenv, in[0], out[1] >= 0 ?
		    out[1] : (flags & SZ_CHILD_OUT_STDERR) ? 2 : -1, er[1],
		    parent, fail, (size_t)n);
	if (flags & SZ_CHILD_PGROUP)
		(void)setpgid(pid, pid);	/* no race with a kill */
	free(cenv);
	c->pid = pid;
	c->in = in[1];
	c->out = out[0];
	c->err = er[0];
	close_fd(&out[1]);
	close_fd(&er[1]);
	if (flags & SZ_CHILD_STDIN)
		c->inr = in[0];		/* kept to count what it read */
	else
		close_fd(&in[0]);
	list_add(c);
	return 0;
pipe_failed:
	snprintf(err, errsize, "pipe: %s", strerror(errno));
failed:
	free(cenv);
	close_fd(&in[0]);
	close_fd(&in[1]);
	close_fd(&out[0]);
	close_fd(&out[1]);
	close_fd(&er[0]);
	close_fd(&er[1]);
	return -1;
}

/* c is gone: remember how and take it off the list. */
static void
reaped(sz_child *c, int st)
{
	c->exited = 1;
	c->wstatus = st;
	list_del(c);
}

int
sz_child_reap(sz_child *c)
{
	int st;
	pid_t k;

	if (c->pid <= 0)
		return 0;
	if (c->exited)
		return 1;
	while ((k = waitpid(c->pid, &st, WNOHANG)) < 0 && errno == EINTR)
		;
	if (k != c->pid)
		return 0;
	reaped(c, st);
	return 1;
}

int
sz_child_wait(sz_child *c)
{
	int st;
	pid_t k;

	if (c->pid <= 0)
		return -1;
	if (c->exited)
		return 0;
	while ((k = waitpid(c->pid, &st, 0)) < 0 && errno == EINTR)
		;
	if (k != c->pid)
		return -1;
	reaped(c, st);
	return 0;
}

int
sz_child_kill(sz_child *c, int sig)
{
	if (c->pid <= 0 || c->exited)
		return 0;
	if (c->flags & SZ_CHILD_PGROUP && kill(-c->pid, sig) == 0)
		return 0;
	return kill(c->pid, sig);
}

long
sz_child_unread(const sz_child *c)
{
	int unread = 0;

	if (c->inr < 0 || ioctl(c->inr, FIONREAD, &unread) < 0)
		return -1;
	return unread;
}

void
sz_child_close_in(sz_child *c)
{
	close_fd(&c->in);
}

void
sz_child_close_unread(sz_child *c)
{
	close_fd(&c->inr);
}

void
sz_child_close_out(sz_child *c)
{
	close_fd(&c->out);
}

void
sz_child_close_err(sz_child *c)
{
	close_fd(&c->err);
}

void
sz_child_free(sz_child *c)
{
	close_fd(&c->in);
	close_fd(&c->out);
	close_fd(&c->err);
	close_fd(&c->inr);
	if (c->pid > 0 && !c->exited) {
		(void)sz_child_kill(c, SIGKILL);
		if (sz_child_wait(c) < 0)
			list_del(c);	/* reaped by someone else */
	}
}

void
sz_children_kill_all(void)
{
	for (;;) {
		sz_child *c;

		pthread_mutex_lock(&list_lock);
		c = running;
		pthread_mutex_unlock(&list_lock);
		if (c == NULL)
			return;
		(void)sz_child_kill(c, SIGKILL);
		if (sz_child_wait(c) < 0)
			list_del(c);
	}
}

int
sz_child_ok(int wstatus)
{
	return WIFEXITED(wstatus) && WEXITSTATUS(wstatus) == 0;
}

const char *
sz_child_status_text(int wstatus, char *buf, size_t size)
{
	if (WIFEXITED(wstatus))
		snprintf(buf, size, "exited with status %d",
		    WEXITSTATUS(wstatus));
	else if (WIFSIGNALED(wstatus))
		snprintf(buf, size, "was killed by signal %d (%s)",
		    WTERMSIG(wstatus), strsignal(WTERMSIG(wstatus)));
	else
		snprintf(buf, size, "ended with wait status %d", wstatus);
	return buf;
}

/* ---- the line merger ---------------------------------------------------- */

void
sz_lines_init(sz_lines *l, size_t max)
{
	memset(l, 0, sizeof(*l));
	l->max = max;
}

void
sz_lines_free(sz_lines *l)
{
	sz_buf_free(&l->b);
}

/*
 * Hand on the whole lines of l->b and keep the rest; b[0..from) holds no
 * newline. At eof a last line without one gets one. 0 or -1 (fn failed
 * or memory).
 */
static int
hand_on(sz_lines *l, size_t from, int eof, sz_lines_fn fn, void *ud)
{
	sz_buf *b = &l->b;
	char *last = NULL;
	uint64_t count = 0;
	size_t n;

	for (char *p = b->p + from, *e = b->p + b->len;
	    (p = memchr(p, '\n', (size_t)(e - p))) != NULL; p++) {
		last = p;
		count++;
	}
	n = last ? (size_t)(last - b->p) + 1 : 0;
	if (eof && n < b->len) {
		if (sz_buf_addc(b, '\n') < 0)
			return -1;
		n = b->len;
		count++;
	}
	if (n == 0)
		return 0;
	if (fn(ud, b->p, n, count) < 0)
		return -1;
	l->lines += count;
	memmove(b->p, b->p + n, b->len - n);
	b->len -= n;
	return 0;
}

int
sz_lines_read(sz_lines *l, int fd, int reads, sz_lines_fn fn, void *ud)
{
	sz_buf *b = &l->b;

	for (int i = 0; i < reads; i++) {
		size_t from = b->len;
		ssize_t k;

		if (sz_buf_reserve(b, READ_CHUNK) < 0)
			return SZ_LINES_FAILED;
		k = read(fd, b->p + b->len, READ_CHUNK);
		if (k < 0) {
			if (errno == EINTR) {
				i--;
				continue;
			}
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return SZ_LINES_AGAIN;
			return SZ_LINES_ERROR;
		}
		b->len += (size_t)k;
		b->p[b->len] = '\0';
		if (hand_on(l, from, k == 0, fn, ud) < 0)
			return SZ_LINES_FAILED;
		if (k == 0)
			return SZ_LINES_EOF;
		if (b->len > l->max)
			return SZ_LINES_TOOLONG;
	}
	return SZ_LINES_AGAIN;
}
