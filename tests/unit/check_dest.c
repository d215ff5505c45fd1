/* SPDX-License-Identifier: MIT */
/* check_dest.c - unit tests of common/run/dest.c (the routing of sz-route
 * and sz-partition), written as TAP on stdout. */
#include <check.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "run/dest.h"
#include "tap.h"

/* Upper bound for a child to do its work (sanitizer builds, load). */
#define LIMIT_NS (60ULL * 1000000000ULL)

static char dir[] = "/tmp/check_dest.XXXXXX";

/* The tool under test, with standard output in the file "stdout" of the
 * test's directory, and the hooks' counts. */
struct fixture {
	sz_tool t;
	sz_dests s;
	int outfd;
	uint64_t written[4], dropped[4];
};

static void
on_written(void *ud, uint32_t tag)
{
	((struct fixture *)ud)->written[tag]++;
}

static void
on_dropped(void *ud, uint32_t tag)
{
	((struct fixture *)ud)->dropped[tag]++;
}

static char *
path(const char *name)
{
	static char p[4][256];
	static int i;

	i = (i + 1) % 4;
	snprintf(p[i], sizeof(p[i]), "%s/%s", dir, name);
	return p[i];
}

static void
setup(struct fixture *f, size_t max_count)
{
	memset(f, 0, sizeof(*f));
	ck_assert_ptr_nonnull(mkdtemp(dir) ? dir : NULL);
	sz_tool_init(&f->t, "check_dest");
	f->outfd = open(path("stdout"), O_WRONLY | O_CREAT | O_TRUNC |
	    O_CLOEXEC, 0600);
	ck_assert_int_ge(f->outfd, 0);
	ck_assert_int_eq(sz_out_fd(&f->t.out, f->outfd), 0);
	sz_dests_init(&f->s, &f->t, max_count, (size_t)64 << 20,
	    SZ_FULL_BLOCK, &(sz_dest_hooks){ on_written, on_dropped, f });
}

static void
teardown(struct fixture *f)
{
	sz_dests_free(&f->s);
	sz_out_close(&f->t.out);
	close(f->outfd);
	sz_loop_free(&f->t.loop);
	for (const char *n = "stdout\0f\0app\0fd\0go\0"; *n != '\0';
	    n += strlen(n) + 1)
		(void)unlink(path(n));
	(void)rmdir(dir);
}

/* The whole content of a file (static, one at a time). */
static const char *
slurp(const char *p)
{
	static char *buf;
	FILE *fp = fopen(p, "r");
	long n;

	ck_assert_ptr_nonnull(fp);
	fseek(fp, 0, SEEK_END);
	n = ftell(fp);
	rewind(fp);
	free(buf);
	buf = malloc((size_t)n + 1);
	ck_assert_ptr_nonnull(buf);
	ck_assert_uint_eq(fread(buf, 1, (size_t)n, fp), (size_t)n);
	buf[n] = '\0';
	fclose(fp);
	return buf;
}

static sz_dest *
add(struct fixture *f, const char *text)
{
	char err[512];
	int usage;
	sz_dest *d = sz_dests_add(&f->s, text, "route a", NULL, err,
	    sizeof(err), &usage);

	if (d == NULL)
		ck_abort_msg("%s: %s", text, err);
	return d;
}

static void
put(struct fixture *f, sz_dest *d, const char *rec, uint32_t tag)
{
	sz_rec r = { rec, strlen(rec), "<stdin>", 1, NULL };

	ck_assert_int_eq(sz_dest_put(&f->s, d, &r, tag), 0);
}

static void
noop(sz_loop *l, void *ud)
{
	(void)l;
	(void)ud;
}

/* End the set and run the loop until it is done, as the runtime does
 * (the child's SIGCHLD stands in for a poll every 10 ms). */
static void
end(struct fixture *f)
{
	uint64_t limit = sz_now() + LIMIT_NS;

	if (sz_dests_end(&f->s) == 0)
		return;
	while (!f->t.finished) {
		ck_assert_int_lt(sz_now(), limit);
		sz_loop_timer(&f->t.loop, sz_now() + 10000000, noop, NULL);
		ck_assert_int_eq(sz_loop_once(&f->t.loop, 1), 0);
		sz_dests_child(&f->s);
	}
	ck_assert_int_eq(sz_out_flush(&f->t.out), 0);
}

START_TEST(test_file)
{
	struct fixture f;
	sz_dest *d;

	setup(&f, 10);
	d = add(&f, path("f"));
	ck_assert_int_eq(d->kind, SZ_DEST_FILE);
	ck_assert_ptr_eq(add(&f, path("f")), d);	/* shared */
	put(&f, d, "{\"a\":1}", 0);
	put(&f, d, "2", 0);
	end(&f);
	ck_assert_str_eq(slurp(path("f")), "{\"a\":1}\n2\n");
	ck_assert_uint_eq(d->written, 2);
	ck_assert_uint_eq(f.written[0], 2);
	ck_assert_uint_eq(f.t.st.out, 2);
	ck_assert_int_eq(f.t.status, 0);
	teardown(&f);
}
END_TEST

START_TEST(test_append_and_fd)
{
	struct fixture f;
	char text[64];
	sz_dest *a, *n;
	FILE *fp;
	int fd;

	setup(&f, 10);
	fp = fopen(path("app"), "w");
	ck_assert_ptr_nonnull(fp);
	fputs("old\n", fp);
	fclose(fp);
	snprintf(text, sizeof(text), ">>%s", path("app"));
	a = add(&f, text);
	ck_assert_int_eq(a->kind, SZ_DEST_APPEND);
	fd = open(path("fd"), O_WRONLY | O_CREAT | O_TRUNC, 0600);
	ck_assert_int_gt(fd, 2);
	snprintf(text, sizeof(text), "&%d", fd);
	n = add(&f, text);
	ck_assert_int_eq(n->kind, SZ_DEST_FD);
	put(&f, a, "new", 0);
	put(&f, n, "[1]", 1);
	put(&f, n, "[2]", 1);
	end(&f);
	ck_assert_str_eq(slurp(path("app")), "old\nnew\n");
	ck_assert_str_eq(slurp(path("fd")), "[1]\n[2]\n");
	ck_assert_int_ne(fcntl(fd, F_GETFD), -1);	/* &N is not ours */
	close(fd);
	ck_assert_uint_eq(f.written[0], 1);
	ck_assert_uint_eq(f.written[1], 2);
	ck_assert_uint_eq(f.t.st.out, 3);
	teardown(&f);
}
END_TEST

START_TEST(test_stdout)
{
	struct fixture f;
	sz_dest *d;

	setup(&f, 10);
	d = add(&f, "-");
	ck_assert_int_eq(d->kind, SZ_DEST_STDOUT);
	ck_assert(sz_dest_is_stdout("&1"));
	put(&f, d, "1", 2);
	put(&f, d, "2", 2);
	end(&f);
	ck_assert_int_eq(sz_out_flush(&f.t.out), 0);
	ck_assert_str_eq(slurp(path("stdout")), "1\n2\n");
	ck_assert_uint_eq(f.written[2], 2);
	ck_assert_uint_eq(f.t.st.out, 2);	/* by sz_emit, once */
	teardown(&f);
}
END_TEST

START_TEST(test_usage_errors)
{
	struct fixture f;
	char err[512];
	int usage;

	setup(&f, 10);
	ck_assert_ptr_null(sz_dests_add(&f.s, "| ", "x", NULL, err,
	    sizeof(err), &usage));
	ck_assert_int_eq(usage, 1);
	ck_assert_str_eq(err, "'| ': the command is empty");
	ck_assert_ptr_null(sz_dests_add(&f.s, "&x", "x", NULL, err,
	    sizeof(err), &usage));
	ck_assert_str_eq(err, "'&x': &N needs a descriptor number");
	ck_assert_ptr_null(sz_dests_add(&f.s, "&987", "x", NULL, err,
	    sizeof(err), &usage));
	ck_assert_int_eq(usage, 0);
	ck_assert_str_eq(err, "&987: descriptor 987 is not open");
	teardown(&f);
}
END_TEST

/* A child: the records it read are counted once (in out, and the hook);
 * its output lines are merged into stdout, counted in merged only. */
START_TEST(test_command)
{
	struct fixture f;
	sz_dest *d;

	setup(&f, 10);
	d = add(&f, "|cat; echo done");
	ck_assert_int_eq(d->kind, SZ_DEST_CMD);
	ck_assert_int_gt(d->ch.pid, 0);
	put(&f, d, "{\"a\":1}", 3);
	put(&f, d, "{\"a\":2}", 3);
	put(&f, d, "{\"a\":3}", 3);
	end(&f);
	ck_assert_str_eq(slurp(path("stdout")),
	    "{\"a\":1}\n{\"a\":2}\n{\"a\":3}\ndone\n");
	ck_assert_uint_eq(d->written, 3);
	ck_assert_uint_eq(f.written[3], 3);
	ck_assert_uint_eq(f.t.st.out, 3);
	ck_assert_uint_eq(f.s.merged, 4);
	ck_assert_int_eq(f.s.failed, 0);
	ck_assert(d->ch.exited);
	teardown(&f);
}
END_TEST

/* sz-tap's set: the child's output to /dev/null (nothing merged), and its
 * records copies, so written but not counted in out. */
START_TEST(test_command_copies)
{
	struct fixture f;
	sz_dest *d;

	setup(&f, 10);
	f.s.child_out = SZ_DEST_CHILD_NULL;
	f.s.copies = 1;
	d = add(&f, "|cat; echo done");
	ck_assert_int_eq(d->ch.out, -1);
	put(&f, d, "{\"a\":1}", 1);
	put(&f, d, "{\"a\":2}", 1);
	end(&f);
	ck_assert_str_eq(slurp(path("stdout")), "");
	ck_assert_uint_eq(d->written, 2);
	ck_assert_uint_eq(f.written[1], 2);
	ck_assert_uint_eq(f.t.st.out, 0);
	ck_assert_uint_eq(f.s.merged, 0);
	ck_assert_int_eq(f.s.failed, 0);
	ck_assert(d->ch.exited);
	teardown(&f);
}
END_TEST

/* A child that fails: its records are dead letters, not written. */
START_TEST(test_command_fails)
{
	struct fixture f;
	sz_dest *d;

	setup(&f, 10);
	d = add(&f, "|exit 3");
	put(&f, d, "1", 0);
	end(&f);
	ck_assert_int_eq(f.s.failed, 1);
	ck_assert_int_eq(f.t.status, SZ_EXIT_FAIL);
	ck_assert_uint_eq(d->written, 0);
	ck_assert_uint_eq(f.t.st.out, 0);
	ck_assert_uint_eq(f.t.st.errors + d->written, 1);
	ck_assert_ptr_nonnull(d->err);
	ck_assert(strstr(d->err, "route a: the command") == d->err);
	teardown(&f);
}
END_TEST

/*
 * A child that reads nothing while more than 64 records queue up, the
 * first written all but its newline (each record is 65536 bytes with its
 * newline, the pipe holds 65536): the next write gathers that newline and
 * 64 more records (tests/cases/sz-route/long-queue-partial.case). Then
 * it reads: every record comes out whole, counted once.
 */
START_TEST(test_long_queue_partial)
{
	enum { NREC = 80, LEN = 65535 };
	struct fixture f;
	char cmd[512], *rec;
	const char *out;
	sz_dest *d;
	int fd;

	setup(&f, 1000);
	snprintf(cmd, sizeof(cmd), "|while [ ! -e %s ]; do sleep 0.01; done;"
	    " exec cat", path("go"));
	d = add(&f, cmd);
	rec = malloc(LEN + 1);
	ck_assert_ptr_nonnull(rec);
	memset(rec, 'x', LEN);
	rec[0] = rec[LEN - 1] = '"';
	rec[LEN] = '\0';
	for (int i = 0; i < NREC; i++) {
		rec[1] = (char)('A' + i % 26);
		put(&f, d, rec, 1);
	}
	ck_assert_uint_eq(d->written, 0);	/* nothing read yet */
	ck_assert_uint_gt(sz_wq_unsent(&d->wq), 64);
	ck_assert(d->wq.watching);
	fd = open(path("go"), O_WRONLY | O_CREAT, 0600);
	ck_assert_int_ge(fd, 0);
	close(fd);
	end(&f);
	out = slurp(path("stdout"));
	ck_assert_uint_eq(strlen(out), (size_t)NREC * (LEN + 1));
	for (int i = 0; i < NREC; i++) {
		const char *r = out + (size_t)i * (LEN + 1);

		ck_assert_int_eq(r[0], '"');
		ck_assert_int_eq(r[1], 'A' + i % 26);
		ck_assert_int_eq(r[LEN - 1], '"');
		ck_assert_int_eq(r[LEN], '\n');
	}
	ck_assert_uint_eq(d->written, NREC);
	ck_assert_uint_eq(f.written[1], NREC);
	ck_assert_uint_eq(f.t.st.out, NREC);
	ck_assert_uint_eq(f.s.merged, NREC);
	ck_assert_int_eq(f.s.failed, 0);
	free(rec);
	teardown(&f);
}
END_TEST

static Suite *
dest_suite(void)
{
	Suite *s = suite_create("dest");
	TCase *tc = tcase_create("core");

	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_file);
	tcase_add_test(tc, test_append_and_fd);
	tcase_add_test(tc, test_stdout);
	tcase_add_test(tc, test_usage_errors);
	tcase_add_test(tc, test_command);
	tcase_add_test(tc, test_command_fails);
	tcase_add_test(tc, test_command_copies);
	tcase_add_test(tc, test_long_queue_partial);
	suite_add_tcase(s, tc);
	return s;
}

SZ_CHECK_MAIN(dest_suite)
