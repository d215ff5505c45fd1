/* SPDX-License-Identifier: MIT */
/*
 * child.h - child processes of a tool: started from an argv (execvp, no
 * shell) or from a shell command line (`/bin/sh -c`), with pipes to their
 * standard input and from their standard output, reaped without blocking,
 * killed so that none outlives the tool; and a line merger that hands on
 * a child's output in whole lines only.
 *
 * The pipes: our ends are non-blocking and close-on-exec (no other child
 * inherits them). A child without SZ_CHILD_STDIN reads /dev/null (it never
 * competes with the tool for the tool's own input); without
 * SZ_CHILD_STDOUT it writes to the tool's standard output (or, with
 * SZ_CHILD_OUT_STDERR or SZ_CHILD_OUT_NULL, to the tool's standard error
 * or to /dev/null). Its standard error is the tool's unless
 * SZ_CHILD_STDERR. It starts with the default action for every signal
 * and none blocked.
 *
 * Process groups: by default a child stays in the tool's process group,
 * so that a ^C at the terminal reaches it as it reaches the tool (sz-route
 * relies on it: see man/sz.7, SIGNALS). With SZ_CHILD_PGROUP it leads a
 * group of its own and sz_child_kill() signals the whole group (a shell
 * pipeline with all its commands, for sz-exec's timeouts).
 *
 * No orphans: every child started here is on a process-wide list until it
 * is reaped. sz_child_free() kills (SIGKILL) and reaps a child that still
 * runs, and sz_children_kill_all() does it for every one (the runtime
 * calls it when sz_tool_run returns, also after a failure, and before it
 * ends itself with SIGPIPE). The list is guarded by a mutex: children may
 * be started and freed from any thread, but one sz_child is used by one
 * thread at a time.
 */
#ifndef SZ_CHILD_H
#define SZ_CHILD_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "core/buf.h"

enum {
	SZ_CHILD_STDIN = 1,	/* a pipe to its standard input (c->in) */
	SZ_CHILD_STDOUT = 2,	/* a pipe from its standard output (c->out) */
	SZ_CHILD_PGROUP = 4,	/* a process group of its own */
	/* Without SZ_CHILD_STDOUT: its standard output is the tool's
	 * standard error, or /dev/null (sz-tap's --child-out). */
	SZ_CHILD_OUT_STDERR = 8,
	SZ_CHILD_OUT_NULL = 16,
	SZ_CHILD_STDERR = 32,	/* a pipe from its standard error (c->err) */
	SZ_CHILD_PDEATHSIG = 64	/* on Linux, SIGKILL when the thread that
				   started it ends (the tool was killed) */
};

typedef struct sz_child {
	pid_t pid;		/* > 0 once started; stays set after reaping */
	int in;			/* our end of its standard input, or -1 */
	int out;		/* our end of its standard output, or -1 */
	int err;		/* our end of its standard error, or -1 */
	int inr;		/* our copy of its input's read end, or -1:
				   FIONREAD on it tells what it has not read
				   yet (sz_child_unread) */
	int flags;		/* SZ_CHILD_* */
	int exited;		/* reaped; wstatus holds how it ended */
	int wstatus;		/* as waitpid(2) gives it */
	struct sz_child *next, *prev;	/* the list of running children */
} sz_child;

/*
 * Start a child: from argv (argv[0] looked up in PATH) when shell is NULL,
 * else `/bin/sh -c shell`. `env` is NULL or a NULL-terminated list of
 * "NAME=VALUE" added to (or replacing in) the child's environment.
 * Returns 0, or -1 with a message in err ("pipe: ...", "fork: ...");
 * c is then not started and needs no sz_child_free. A command that
 * cannot be run ends the child with status 127 (the shell's message, or
 * "sz: NAME: cannot run" for argv).
 */
int sz_child_spawn(sz_child *c, char *const *argv, const char *shell,
    int flags, char *const *env, char *err, size_t errsize);

/* Has c exited? Reaps it without blocking: 1 (c->wstatus set; also when
 * it was reaped before), 0 while it runs. */
int sz_child_reap(sz_child *c);
/* Wait for c to exit (retrying after EINTR); 0, or -1 if it cannot be
 * waited for. */
int sz_child_wait(sz_child *c);
/* Send signal sig to c (its group with SZ_CHILD_PGROUP); 0 or -1. Nothing
 * is sent to a child already reaped. */
int sz_child_kill(sz_child *c, int sig);

/* Bytes written to its standard input that it has not read yet, or -1
 * when that cannot be known (no pipe, or the kernel does not say). */
long sz_child_unread(const sz_child *c);
/* Close our end of its standard input (it sees the end of its input). */
void sz_child_close_in(sz_child *c);
/*
 * Close the read end kept for sz_child_unread. Do it once the child has
 * exited and its count was taken: while we hold it, writes to a child
 * that is gone do not fail with EPIPE.
 */
void sz_child_close_unread(sz_child *c);
void sz_child_close_out(sz_child *c);
void sz_child_close_err(sz_child *c);
/* Close the pipes, and kill (SIGKILL) and reap the child if it still
 * runs. c may be a zeroed struct that never started. */
void sz_child_free(sz_child *c);
/* Kill and reap every child not reaped yet (exit paths). */
void sz_children_kill_all(void);

/* Did it end well (exit status 0)? */
int sz_child_ok(int wstatus);
/* How it ended, as the tools say it: "exited with status 3", "was killed
 * by signal 9 (Killed)". Returns buf. */
const char *sz_child_status_text(int wstatus, char *buf, size_t size);

/*
 * The line merger: reads a child's standard output and hands on whole
 * lines only, so that the lines of several children copied to one output
 * never interleave within a line. At most `max` bytes of an unfinished
 * line are held (plus one read); a longer line is an error. At the end of
 * the output a last line without a newline is handed on with one added.
 */
typedef struct sz_lines {
	sz_buf b;		/* the start of a line not finished yet */
	size_t max;
	uint64_t lines;		/* lines handed on */
} sz_lines;

/* Whole lines p[0..n), `count` of them, each ending in '\n'. Return 0, or
 * -1 to stop reading (sz_lines_read answers SZ_LINES_FAILED). */
typedef int (*sz_lines_fn)(void *ud, const char *p, size_t n,
    uint64_t count);

enum {
	SZ_LINES_AGAIN = 0,	/* nothing more to read now */
	SZ_LINES_EOF = 1,	/* end of the output, everything handed on */
	SZ_LINES_ERROR = -1,	/* read(2) failed: errno */
	SZ_LINES_TOOLONG = -2,	/* a line longer than max */
	SZ_LINES_FAILED = -3	/* fn answered -1, or out of memory (errno) */
};

void sz_lines_init(sz_lines *l, size_t max);
void sz_lines_free(sz_lines *l);
/* Read fd (non-blocking) at most `reads` times (or until it would block)
 * and hand on the whole lines read; one SZ_LINES_* answer. */
int sz_lines_read(sz_lines *l, int fd, int reads, sz_lines_fn fn, void *ud);

#endif
