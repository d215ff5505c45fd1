/* SPDX-License-Identifier: MIT */
/* check_child.c - unit tests of common/io/child.c, written as TAP on stdout. */
#include <check.h>
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "io/child.h"
#include "io/loop.h"
#include "io/wq.h"
#include "tap.h"

/* Generous upper bound for anything a child does (sanitizer builds,
 * a loaded machine). */
#define LIMIT_NS (60ULL * 1000000000ULL)

/* Collects what the line merger hands on; every call must be whole
 * lines. */
struct sink {
	char buf[1 << 16];
	size_t len;
	int calls;
	int partial;		/* a call that did not end in '\n' */
	uint64_t lines;
};

static int
collect(void *ud, const char *p, size_t n, uint64_t count)
{
	struct sink *s = ud;
	uint64_t nl = 0;

	for (size_t i = 0; i < n; i++)
		nl += p[i] == '\n';
	if (n == 0 || p[n - 1] != '\n' || nl != count)
		s->partial++;
	if (s->len + n < sizeof(s->buf)) {
		memcpy(s->buf + s->len, p, n);
		s->len += n;
		s->buf[s->len] = '\0';
	}
	s->calls++;
	s->lines += count;
	return 0;
}

/* Read a child's output to its end through the line merger. */
static void
drain_child(sz_child *c, sz_lines *l, struct sink *s)
{
	uint64_t end = sz_now() + LIMIT_NS;
	int k;

	do {
		struct pollfd p = { c->out, POLLIN, 0 };

		ck_assert_int_lt(sz_now(), end);
		(void)poll(&p, 1, 1000);
		k = sz_lines_read(l, c->out, 4, collect, s);
		ck_assert_int_ge(k, 0);
	} while (k != SZ_LINES_EOF);
}

START_TEST(test_argv)
{
	char *argv[] = { "printf", "a\\nb\\nc", NULL };
	char err[256];
	sz_child c;
	sz_lines l;
	static struct sink s;

	ck_assert_int_eq(sz_child_spawn(&c, argv, NULL, SZ_CHILD_STDOUT,
	    NULL, err, sizeof(err)), 0);
	ck_assert_int_gt(c.pid, 0);
	ck_assert_int_eq(c.in, -1);
	memset(&s, 0, sizeof(s));
	sz_lines_init(&l, 1024);
	drain_child(&c, &l, &s);
	/* the last line had no newline: it gets one */
	ck_assert_str_eq(s.buf, "a\nb\nc\n");
	ck_assert_int_eq(s.partial, 0);
	ck_assert_uint_eq(l.lines, 3);
	ck_assert_int_eq(sz_child_wait(&c), 0);
	ck_assert(sz_child_ok(c.wstatus));
	sz_lines_free(&l);
	sz_child_free(&c);
}
END_TEST

START_TEST(test_argv_not_found)
{
	char *argv[] = { "/nonexistent/sz-no-such-command", NULL };
	char err[256], how[128];
	sz_child c;

	ck_assert_int_eq(sz_child_spawn(&c, argv, NULL, 0, NULL, err,
	    sizeof(err)), 0);
	ck_assert_int_eq(sz_child_wait(&c), 0);
	ck_assert_str_eq(sz_child_status_text(c.wstatus, how, sizeof(how)),
	    "exited with status 127");
	sz_child_free(&c);
}
END_TEST

/* The shell form, both pipes, an added environment variable. */
START_TEST(test_shell_pipes)
{
	char *env[] = { "SZ_CHECK_CHILD=42", NULL };
	char err[256];
	sz_child c;
	sz_lines l;
	static struct sink s;
	const char rec[] = "{\"a\":1}\n";

	ck_assert_int_eq(sz_child_spawn(&c, NULL,
	    "echo \"v=$SZ_CHECK_CHILD\"; cat", SZ_CHILD_STDIN |
	    SZ_CHILD_STDOUT, env, err, sizeof(err)), 0);
	ck_assert_int_ge(c.in, 0);
	ck_assert_int_ge(c.inr, 0);
	ck_assert_int_eq(write(c.in, rec, sizeof(rec) - 1),
	    (ssize_t)sizeof(rec) - 1);
	ck_assert_int_ge(sz_child_unread(&c), 0);
	sz_child_close_in(&c);
	memset(&s, 0, sizeof(s));
	sz_lines_init(&l, 1024);
	drain_child(&c, &l, &s);
	ck_assert_str_eq(s.buf, "v=42\n{\"a\":1}\n");
	ck_assert_int_eq(sz_child_unread(&c), 0);	/* cat read it all */
	ck_assert_int_eq(sz_child_wait(&c), 0);
	ck_assert(sz_child_ok(c.wstatus));
	sz_lines_free(&l);
	sz_child_free(&c);
}
END_TEST

/* Without a pipe from it: its standard output is our standard error, or
 * /dev/null (sz-tap --child-out). */
START_TEST(test_out_elsewhere)
{
	char err[256], got[64];
	int p[2], saved;
	sz_child c, d;
	ssize_t n;

	ck_assert_int_eq(pipe(p), 0);
	saved = dup(2);
	ck_assert_int_ge(saved, 0);
	ck_assert_int_eq(dup2(p[1], 2), 2);
	ck_assert_int_eq(sz_child_spawn(&c, NULL, "echo to-err",
	    SZ_CHILD_OUT_STDERR, NULL, err, sizeof(err)), 0);
	ck_assert_int_eq(sz_child_spawn(&d, NULL, "echo to-null; echo x >&2",
	    SZ_CHILD_OUT_NULL, NULL, err, sizeof(err)), 0);
	ck_assert_int_eq(c.out, -1);
	ck_assert_int_eq(d.out, -1);
	ck_assert_int_eq(sz_child_wait(&c), 0);
	ck_assert_int_eq(sz_child_wait(&d), 0);
	ck_assert_int_eq(dup2(saved, 2), 2);
	close(saved);
	close(p[1]);
	n = read(p[0], got, sizeof(got) - 1);
	ck_assert_int_gt(n, 0);
	got[n] = '\0';
	/* the order of the two children's lines is theirs */
	ck_assert(strcmp(got, "to-err\nx\n") == 0 ||
	    strcmp(got, "x\nto-err\n") == 0);
	close(p[0]);
	ck_assert(sz_child_ok(c.wstatus) && sz_child_ok(d.wstatus));
	sz_child_free(&c);
	sz_child_free(&d);
}
END_TEST

START_TEST(test_status_text)
{
	char err[256], how[128];
	sz_child c;

	ck_assert_int_eq(sz_child_spawn(&c, NULL, "exit 3", 0, NULL, err,
	    sizeof(err)), 0);
	ck_assert_int_eq(sz_child_wait(&c), 0);
	ck_assert(!sz_child_ok(c.wstatus));
	ck_assert_str_eq(sz_child_status_text(c.wstatus, how, sizeof(how)),
	    "exited with status 3");
	ck_assert_int_eq(sz_child_reap(&c), 1);	/* reaped before: still 1 */
	sz_child_free(&c);

	ck_assert_int_eq(sz_child_spawn(&c, NULL, "kill -9 $$", 0, NULL, err,
	    sizeof(err)), 0);
	ck_assert_int_eq(sz_child_wait(&c), 0);
	snprintf(err, sizeof(err), "was killed by signal 9 (%s)",
	    strsignal(SIGKILL));
	ck_assert_str_eq(sz_child_status_text(c.wstatus, how, sizeof(how)),
	    err);
	sz_child_free(&c);
}
END_TEST

/* sz_child_reap does not block, and answers 1 once the child is gone. */
START_TEST(test_reap)
{
	char err[256];
	sz_child c;
	uint64_t end;

	ck_assert_int_eq(sz_child_spawn(&c, NULL, "read x", SZ_CHILD_STDIN,
	    NULL, err, sizeof(err)), 0);
	ck_assert_int_eq(sz_child_reap(&c), 0);	/* waits for its input */
	sz_child_close_in(&c);
	end = sz_now() + LIMIT_NS;
	while (!sz_child_reap(&c)) {
		ck_assert_int_lt(sz_now(), end);
		(void)poll(NULL, 0, 5);
	}
	ck_assert(c.exited);
	sz_child_free(&c);
}
END_TEST

/* Freeing a running child kills and reaps it; so does kill_all. */
START_TEST(test_kill_on_cleanup)
{
	char *argv[] = { "sleep", "60", NULL };
	char err[256];
	sz_child a, b, g;
	pid_t pa, pb, pg;

	ck_assert_int_eq(sz_child_spawn(&a, argv, NULL, 0, NULL, err,
	    sizeof(err)), 0);
	pa = a.pid;
	sz_child_free(&a);
	ck_assert_int_eq(kill(pa, 0), -1);
	ck_assert_int_eq(errno, ESRCH);
	ck_assert_int_eq(waitpid(pa, NULL, WNOHANG), -1);	/* reaped */

	ck_assert_int_eq(sz_child_spawn(&b, NULL, "sleep 60", SZ_CHILD_STDIN
	    | SZ_CHILD_STDOUT, NULL, err, sizeof(err)), 0);
	/* a group of its own: the shell and its command both go */
	ck_assert_int_eq(sz_child_spawn(&g, NULL, "sleep 60; sleep 60",
	    SZ_CHILD_PGROUP, NULL, err, sizeof(err)), 0);
	pb = b.pid;
	pg = g.pid;
	sz_children_kill_all();
	ck_assert(b.exited);
	ck_assert(g.exited);
	ck_assert_int_eq(kill(pb, 0), -1);
	ck_assert_int_eq(kill(pg, 0), -1);
	/* nothing left in the group (its last member may take a moment to
	 * be reaped by init) */
	for (uint64_t end = sz_now() + LIMIT_NS; kill(-pg, 0) == 0;) {
		ck_assert_int_lt(sz_now(), end);
		(void)poll(NULL, 0, 5);
	}
	sz_child_free(&b);
	sz_child_free(&g);
}
END_TEST

/* Lines split across reads come out whole; a partial last line at the
 * end gets a newline; a line beyond max is an error. */
START_TEST(test_lines_split)
{
	static const char *const parts[] = { "ab", "c\nde", "f\ng", "h",
	    "\n" };
	int p[2];
	sz_lines l;
	static struct sink s;

	memset(&s, 0, sizeof(s));
	ck_assert_int_eq(pipe(p), 0);
	ck_assert_int_eq(sz_fd_nonblock(p[0], NULL), 0);
	sz_lines_init(&l, 1024);
	for (size_t i = 0; i < sizeof(parts) / sizeof(parts[0]); i++) {
		ck_assert_int_eq(write(p[1], parts[i], strlen(parts[i])),
		    (ssize_t)strlen(parts[i]));
		ck_assert_int_eq(sz_lines_read(&l, p[0], 4, collect, &s),
		    SZ_LINES_AGAIN);
	}
	ck_assert_str_eq(s.buf, "abc\ndef\ngh\n");
	ck_assert_int_eq(s.calls, 3);
	ck_assert_int_eq(s.partial, 0);
	ck_assert_int_eq(write(p[1], "x\ny", 3), 3);
	close(p[1]);
	ck_assert_int_eq(sz_lines_read(&l, p[0], 4, collect, &s),
	    SZ_LINES_EOF);
	ck_assert_str_eq(s.buf, "abc\ndef\ngh\nx\ny\n");
	ck_assert_uint_eq(l.lines, 5);
	ck_assert_int_eq(s.partial, 0);
	close(p[0]);
	sz_lines_free(&l);

	ck_assert_int_eq(pipe(p), 0);
	ck_assert_int_eq(sz_fd_nonblock(p[0], NULL), 0);
	sz_lines_init(&l, 4);
	ck_assert_int_eq(write(p[1], "abcdefgh", 8), 8);
	ck_assert_int_eq(sz_lines_read(&l, p[0], 4, collect, &s),
	    SZ_LINES_TOOLONG);
	close(p[0]);
	close(p[1]);
	sz_lines_free(&l);
}
END_TEST

/* Two children writing lines in pieces into one output: every line of the
 * output is whole. */
START_TEST(test_two_children_whole)
{
	static const char *const cmds[2] = {
		"i=0; while [ $i -lt 300 ]; do printf aaaa; printf 'aaaa\\n';"
		" i=$((i + 1)); done",
		"i=0; while [ $i -lt 300 ]; do printf bb; printf bbbbbb;"
		" printf '\\n'; i=$((i + 1)); done"
	};
	static struct sink s;
	char err[256];
	sz_child c[2];
	sz_lines l[2];
	int open = 2, na = 0, nb = 0;
	uint64_t end = sz_now() + LIMIT_NS;

	memset(&s, 0, sizeof(s));
	for (int i = 0; i < 2; i++) {
		ck_assert_int_eq(sz_child_spawn(&c[i], NULL, cmds[i],
		    SZ_CHILD_STDOUT, NULL, err, sizeof(err)), 0);
		sz_lines_init(&l[i], 1024);
	}
	while (open > 0) {
		struct pollfd p[2];

		ck_assert_int_lt(sz_now(), end);
		for (int i = 0; i < 2; i++) {
			p[i].fd = c[i].out;
			p[i].events = POLLIN;
			p[i].revents = 0;
		}
		ck_assert_int_ge(poll(p, 2, 1000), 0);
		for (int i = 0; i < 2; i++) {
			int k;

			if (c[i].out < 0 || p[i].revents == 0)
				continue;
			k = sz_lines_read(&l[i], c[i].out, 1, collect, &s);
			ck_assert_int_ge(k, 0);
			if (k == SZ_LINES_EOF) {
				sz_child_close_out(&c[i]);
				open--;
			}
		}
	}
	ck_assert_int_eq(s.partial, 0);
	for (char *p = s.buf, *e; *p != '\0'; p = e + 1) {
		e = strchr(p, '\n');
		ck_assert_ptr_nonnull(e);
		ck_assert_int_eq(e - p, 8);
		if (strncmp(p, "aaaaaaaa", 8) == 0)
			na++;
		else if (strncmp(p, "bbbbbbbb", 8) == 0)
			nb++;
		else
			ck_abort_msg("a mixed line: %.8s", p);
	}
	ck_assert_int_eq(na, 300);
	ck_assert_int_eq(nb, 300);
	for (int i = 0; i < 2; i++) {
		ck_assert_int_eq(sz_child_wait(&c[i]), 0);
		ck_assert(sz_child_ok(c[i].wstatus));
		sz_lines_free(&l[i]);
		sz_child_free(&c[i]);
	}
}
END_TEST

/* SZ_CHILD_STDERR: its standard error comes on a pipe of its own, apart
 * from its standard output. */
START_TEST(test_stderr_pipe)
{
	char *argv[] = { "sh", "-c", "echo out; echo err >&2", NULL };
	char err[256];
	sz_child c;
	sz_lines l;
	static struct sink s;
	int out;

	ck_assert_int_eq(sz_child_spawn(&c, argv, NULL, SZ_CHILD_STDOUT |
	    SZ_CHILD_STDERR, NULL, err, sizeof(err)), 0);
	ck_assert_int_ge(c.err, 0);
	out = c.out;
	c.out = c.err;		/* drain_child reads c->out */
	sz_lines_init(&l, 1024);
	drain_child(&c, &l, &s);
	c.out = out;
	ck_assert_str_eq(s.buf, "err\n");
	ck_assert_int_eq(sz_child_wait(&c), 0);
	sz_lines_free(&l);
	sz_child_free(&c);
	ck_assert_int_eq(c.err, -1);
}
END_TEST

/* SZ_CHILD_PDEATHSIG: the child of a process that is SIGKILLed gets
 * SIGKILL. A middle process starts it and dies; the child's pid, sent
 * back on a pipe, is then gone (waited for as the middle's orphan). */
START_TEST(test_pdeathsig)
{
	int p[2];
	pid_t mid, pid = 0;
	uint64_t end = sz_now() + LIMIT_NS;

	ck_assert_int_eq(pipe(p), 0);
	mid = fork();
	ck_assert_int_ge(mid, 0);
	if (mid == 0) {
		char *argv[] = { "sleep", "600", NULL };
		char err[256];
		sz_child c;

		if (sz_child_spawn(&c, argv, NULL, SZ_CHILD_PDEATHSIG, NULL,
		    err, sizeof(err)) < 0)
			_exit(1);
		(void)!write(p[1], &c.pid, sizeof(c.pid));
		raise(SIGKILL);
	}
	close(p[1]);
	ck_assert_int_eq(read(p[0], &pid, sizeof(pid)), sizeof(pid));
	close(p[0]);
	ck_assert_int_eq(waitpid(mid, NULL, 0), mid);
	/* gone, or a zombie of init's for a moment */
	for (;;) {
		char path[64], st[512] = "";
		FILE *f;

		snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
		if ((f = fopen(path, "r")) == NULL)
			break;
		(void)!fgets(st, sizeof(st), f);
		fclose(f);
		if (strstr(st, ") Z ") != NULL)
			break;
		ck_assert_int_lt(sz_now(), end);
		usleep(10000);
	}
}
END_TEST

static Suite *
child_suite(void)
{
	Suite *s = suite_create("child");
	TCase *tc = tcase_create("core");

	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_argv);
	tcase_add_test(tc, test_argv_not_found);
	tcase_add_test(tc, test_shell_pipes);
	tcase_add_test(tc, test_status_text);
	tcase_add_test(tc, test_out_elsewhere);
	tcase_add_test(tc, test_reap);
	tcase_add_test(tc, test_kill_on_cleanup);
	tcase_add_test(tc, test_lines_split);
	tcase_add_test(tc, test_two_children_whole);
	tcase_add_test(tc, test_stderr_pipe);
	tcase_add_test(tc, test_pdeathsig);
	suite_add_tcase(s, tc);
	return s;
}

SZ_CHECK_MAIN(child_suite)
