/* SPDX-License-Identifier: MIT */
/*
 * check_source.c - unit tests of common/run/source.c: FILE operands in
 * order, descriptors read at once with whole-record interleaving, fed
 * sources, per-source line numbers and names, pauses, open errors, a
 * record() that stops the round, raw mode. TAP.
 */
#include <check.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>

#include "run/source.h"
#include "run/tool.h"
#include "tap.h"

/* What the callbacks saw, one line per record or event:
 * "NAME:LINE:TEXT" or "NAME:EVENT". */
static char seen[4096];
static int stop_after;		/* on_record answers -1 after this many */
static int nrec;

static void
say(const char *fmt, ...)
{
	va_list ap;
	size_t k = strlen(seen);

	va_start(ap, fmt);
	vsnprintf(seen + k, sizeof(seen) - k, fmt, ap);
	va_end(ap);
}

static int
on_record(void *ud, sz_source *s, const sz_rec *r)
{
	(void)ud;
	ck_assert_str_eq(r->file, s->name);
	ck_assert_ptr_eq(s->set->cur, s);	/* the record's source */
	say("%s:%lu:%.*s\n", r->file, r->line, (int)r->n, r->p);
	nrec++;
	return stop_after > 0 && nrec % stop_after == 0 ? -1 : 0;
}

static void
on_event(void *ud, sz_source *s, int ev, int err, const sz_rec *r)
{
	(void)ud;
	switch (ev) {
	case SZ_SRC_OPEN_ERROR:
		say("%s:open:%s\n", s->name, strerror(err));
		break;
	case SZ_SRC_TOOLONG:
		say("%s:%lu:toolong\n", s->name, r->line);
		break;
	case SZ_SRC_END:
		say("%s:end\n", s->name);
		break;
	default:
		say("%s:event%d\n", s->name, ev);
	}
}

static int
on_bytes(void *ud, sz_source *s, const char *p, size_t n, int eof)
{
	(void)ud;
	say("%s:%zu:%s%.*s\n", s->name, n, eof ? "eof" : "", (int)n, p);
	return 0;
}

static void
setup(sz_srcset *set, sz_loop *l, int mode)
{
	seen[0] = '\0';
	stop_after = nrec = 0;
	ck_assert_int_eq(sz_loop_init(l), 0);
	sz_srcset_init(set, l);
	set->mode = mode;
	set->on_record = on_record;
	set->on_event = on_event;
}

/* Run until every source is done (with a bound on the rounds). */
static void
drive(sz_srcset *set, sz_loop *l)
{
	for (int i = 0; i < 10000 && !sz_srcset_done(set); i++) {
		if (sz_srcset_pump(set))
			continue;
		if (sz_srcset_done(set))
			break;
		sz_srcset_watch(set);
		ck_assert_int_eq(sz_loop_once(l, 1), 0);
	}
	ck_assert(sz_srcset_done(set));
}

static int
feed(sz_source *s, const char *text)
{
	return sz_source_feed(s, text, strlen(text));
}

static char *
tmpfile_with(const char *text)
{
	char *path = strdup("/tmp/check_source.XXXXXX");
	int fd = mkstemp(path);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, text, strlen(text)), (int)strlen(text));
	close(fd);
	return path;
}

START_TEST(test_files_in_order)
{
	sz_srcset set;
	sz_loop l;
	char *a = tmpfile_with("{\"a\":1}\n\n{\"a\":2}\r\n");
	char *b = tmpfile_with("  \n{\"b\":1}");
	char want[1024];

	setup(&set, &l, SZ_SRC_IN_ORDER);
	ck_assert_ptr_nonnull(sz_source_file(&set, a));
	ck_assert_ptr_nonnull(sz_source_file(&set, "/nonexistent/x"));
	ck_assert_ptr_nonnull(sz_source_file(&set, b));
	ck_assert_int_eq(sz_srcset_start(&set), 0);
	/* in order: only the first is open */
	ck_assert_int_ge(set.v[0]->fd, 0);
	ck_assert_int_eq(set.v[2]->fd, -1);
	drive(&set, &l);
	snprintf(want, sizeof(want),
	    "%s:1:{\"a\":1}\n%s:3:{\"a\":2}\n%s:end\n"
	    "/nonexistent/x:open:No such file or directory\n"
	    "%s:2:{\"b\":1}\n%s:end\n", a, a, a, b, b);
	ck_assert_str_eq(seen, want);
	sz_srcset_free(&set);
	sz_loop_free(&l);
	unlink(a);
	unlink(b);
	free(a);
	free(b);
}
END_TEST

START_TEST(test_at_once_whole_records)
{
	sz_srcset set;
	sz_loop l;
	int p1[2], p2[2];
	sz_source *s1, *s2;

	setup(&set, &l, SZ_SRC_AT_ONCE);
	ck_assert_int_eq(pipe(p1), 0);
	ck_assert_int_eq(pipe(p2), 0);
	s1 = sz_source_fd(&set, p1[0], "one", 1);
	s2 = sz_source_fd(&set, p2[0], "two", 1);
	ck_assert(s1 != NULL && s2 != NULL);
	ck_assert_int_eq(sz_srcset_start(&set), 0);
	/* "one" has half a record; "two" has two whole ones */
	ck_assert_int_eq(write(p1[1], "{\"x\":", 5), 5);
	ck_assert_int_eq(write(p2[1], "2\n3\n", 4), 4);
	for (int i = 0; i < 100 && nrec < 2; i++) {
		sz_srcset_pump(&set);
		sz_srcset_watch(&set);
		ck_assert_int_eq(sz_loop_once(&l, 1), 0);
		sz_srcset_pump(&set);
	}
	ck_assert_str_eq(seen, "two:1:2\ntwo:2:3\n");
	/* the rest of "one"'s record, and a last line without newline */
	ck_assert_int_eq(write(p1[1], "1}\n{\"y\"", 7), 7);
	ck_assert_int_eq(write(p1[1], ":2}", 3), 3);
	close(p1[1]);
	close(p2[1]);
	drive(&set, &l);
	ck_assert_ptr_nonnull(strstr(seen, "one:1:{\"x\":1}\none:2:{\"y\":2}\n"));
	ck_assert_ptr_nonnull(strstr(seen, "one:end\n"));
	ck_assert_ptr_nonnull(strstr(seen, "two:end\n"));
	ck_assert_int_eq(nrec, 4);
	sz_srcset_free(&set);
	sz_loop_free(&l);
}
END_TEST

START_TEST(test_fed)
{
	sz_srcset set;
	sz_loop l;
	sz_source *f, *g;

	setup(&set, &l, SZ_SRC_IN_ORDER);
	f = sz_source_fed(&set, "redis");
	g = sz_source_fed(&set, "other");
	ck_assert_int_eq(sz_srcset_start(&set), 0);
	ck_assert_int_eq(sz_srcset_pump(&set), 0);
	ck_assert_str_eq(seen, "");
	ck_assert_int_eq(feed(f, "{\"a\":1}\n{\"b\""), 0);
	ck_assert_uint_eq(sz_source_backlog(f), 12);
	ck_assert_int_eq(feed(g, "7\n"), 0);
	sz_srcset_pump(&set);
	ck_assert_uint_eq(sz_source_backlog(f), 0);
	/* each round starts one source further (the first round started
	 * with "redis") */
	ck_assert_str_eq(seen, "other:1:7\nredis:1:{\"a\":1}\n");
	ck_assert_int_eq(feed(f, ":2}\n\n{\"c\":3}"), 0);
	sz_source_end(f);
	sz_source_end(g);
	sz_srcset_pump(&set);
	ck_assert_str_eq(seen, "other:1:7\nredis:1:{\"a\":1}\n"
	    "redis:2:{\"b\":2}\nredis:4:{\"c\":3}\nredis:end\nother:end\n");
	ck_assert(sz_srcset_done(&set));
	sz_srcset_free(&set);
	sz_loop_free(&l);
}
END_TEST

START_TEST(test_pause_one_source)
{
	sz_srcset set;
	sz_loop l;
	sz_source *f, *g;

	setup(&set, &l, SZ_SRC_IN_ORDER);
	f = sz_source_fed(&set, "f");
	g = sz_source_fed(&set, "g");
	ck_assert_int_eq(sz_srcset_start(&set), 0);
	feed(f, "1\n2\n");
	feed(g, "3\n");
	sz_source_pause(f);
	ck_assert_int_eq(sz_srcset_pump(&set), 0);
	ck_assert_str_eq(seen, "g:1:3\n");
	sz_source_resume(f);
	sz_srcset_pause(&set);
	sz_srcset_pump(&set);
	ck_assert_str_eq(seen, "g:1:3\n");
	sz_srcset_resume(&set);
	sz_srcset_pump(&set);
	ck_assert_str_eq(seen, "g:1:3\nf:1:1\nf:2:2\n");
	sz_srcset_free(&set);
	sz_loop_free(&l);
}
END_TEST

START_TEST(test_record_stops_round)
{
	sz_srcset set;
	sz_loop l;
	sz_source *f;

	setup(&set, &l, SZ_SRC_IN_ORDER);
	f = sz_source_fed(&set, "f");
	ck_assert_int_eq(sz_srcset_start(&set), 0);
	feed(f, "1\n2\n3\n");
	stop_after = 2;
	ck_assert_int_eq(sz_srcset_pump(&set), 1);
	ck_assert_str_eq(seen, "f:1:1\nf:2:2\n");
	ck_assert_int_eq(sz_srcset_pump(&set), 0);
	ck_assert_str_eq(seen, "f:1:1\nf:2:2\nf:3:3\n");
	sz_srcset_free(&set);
	sz_loop_free(&l);
}
END_TEST

START_TEST(test_too_long)
{
	sz_srcset set;
	sz_loop l;
	sz_source *f;

	setup(&set, &l, SZ_SRC_IN_ORDER);
	set.max_record = 4;
	f = sz_source_fed(&set, "f");
	ck_assert_int_eq(sz_srcset_start(&set), 0);
	feed(f, "1234\n12345\n");
	ck_assert_int_eq(sz_srcset_pump(&set), 1);
	ck_assert_str_eq(seen, "f:1:1234\nf:2:toolong\n");
	sz_srcset_free(&set);
	sz_loop_free(&l);
}
END_TEST

START_TEST(test_raw_bytes)
{
	sz_srcset set;
	sz_loop l;
	char *a = tmpfile_with("a,b\n1,2");
	char want[256];

	setup(&set, &l, SZ_SRC_IN_ORDER);
	set.on_bytes = on_bytes;
	ck_assert_ptr_nonnull(sz_source_file(&set, a));
	ck_assert_int_eq(sz_srcset_start(&set), 0);
	drive(&set, &l);
	snprintf(want, sizeof(want), "%s:7:a,b\n1,2\n%s:0:eof\n%s:end\n", a,
	    a, a);
	ck_assert_str_eq(seen, want);
	sz_srcset_free(&set);
	sz_loop_free(&l);
	unlink(a);
	free(a);
}
END_TEST

/* The runtime with a source of the tool's own: its records (and their
 * NAME:LINE in messages) are the run's, and standard input, not named
 * by a FILE operand, is left unread. */
static int
emit_record(sz_tool *t, const sz_rec *r)
{
	return sz_emit(t, r->p, r->n);
}

START_TEST(test_tool_fed_source)
{
	static const sz_proc proc = { .record = emit_record };
	char out[] = "/tmp/check_source.out.XXXXXX";
	char err[] = "/tmp/check_source.err.XXXXXX";
	char buf[256];
	int in[2], ofd, efd, rc;
	sz_source *f;
	sz_tool t;
	ssize_t k;

	ck_assert_int_eq(pipe(in), 0);
	ck_assert_int_eq(write(in[1], "{\"stdin\":1}\n", 12), 12);
	close(in[1]);
	ck_assert_int_eq(dup2(in[0], 0), 0);
	ck_assert_int_ge(ofd = mkstemp(out), 0);
	ck_assert_int_eq(dup2(ofd, 1), 1);
	ck_assert_int_ge(efd = mkstemp(err), 0);
	ck_assert_int_eq(dup2(efd, 2), 2);
	sz_tool_init(&t, "sz-test");
	t.o.on_error = SZ_ONERR_SKIP;
	ck_assert_ptr_nonnull(f = sz_source_fed(&t.src, "redis"));
	ck_assert_int_eq(feed(f, "{\"a\":1}\nbad\n{\"b\":2}"), 0);
	sz_source_end(f);
	rc = sz_tool_run(&t, &proc, NULL, 0, NULL);
	ck_assert_int_eq(rc, 0);
	k = pread(ofd, buf, sizeof(buf) - 1, 0);
	ck_assert_int_ge(k, 0);
	buf[k] = '\0';
	ck_assert_str_eq(buf, "{\"a\":1}\n{\"b\":2}\n");
	k = pread(efd, buf, sizeof(buf) - 1, 0);
	ck_assert_int_ge(k, 0);
	buf[k] = '\0';
	ck_assert_str_eq(buf, "sz-test: redis:2: invalid JSON: unexpected "
	    "character 'b' at column 1 (skipped)\n");
	/* standard input is still there, unread */
	k = read(0, buf, sizeof(buf));
	ck_assert_int_eq(k, 12);
	unlink(out);
	unlink(err);
}
END_TEST

/*
 * A tool that asked for a non-blocking standard output (sz-buffer): its
 * idle hook hands on records while standard output is not blocked. The
 * reader here takes everything exactly when the runtime has found
 * standard output blocked and is about to write again (the idle hook
 * drains the pipe then), so that the write succeeds without a POLLOUT:
 * the run must go on and end, not sleep for a POLLOUT that never comes
 * (bench/run's `sz-buffer -n 100000 F | cat` hung so).
 */
#define NB_RECORDS 20000
static int nb_rfd;
static long nb_made, nb_read, nb_read_bg;
static atomic_int nb_stop;

static long
nb_drain(void)
{
	char buf[65536];
	ssize_t k;
	long n = 0;

	while ((k = read(nb_rfd, buf, sizeof(buf))) > 0)
		n += k;
	return n;
}

static void
nb_take(void)
{
	nb_read += nb_drain();
}

/* The ordinary reader: slow, but it comes back (a POLLOUT follows). */
static void *
nb_reader(void *ud)
{
	struct pollfd pf = { nb_rfd, POLLIN, 0 };

	(void)ud;
	while (!atomic_load(&nb_stop)) {
		if (poll(&pf, 1, 2) > 0) {
			char buf[4096];
			ssize_t k = read(nb_rfd, buf, sizeof(buf));

			if (k > 0)
				nb_read_bg += k;
		}
		usleep(200);
	}
	return NULL;
}

static void
nb_idle(sz_tool *t)
{
	char rec[32];

	if (t->out_blocked) {
		nb_take();	/* the reader takes it all, right now */
		return;
	}
	while (nb_made < NB_RECORDS && t->out.len < 128 * 1024) {
		int n = snprintf(rec, sizeof(rec), "{\"i\":%ld}", nb_made++);

		ck_assert_int_eq(sz_emit(t, rec, (size_t)n), 0);
	}
	ck_assert_int_eq(sz_tool_flush(t), 0);
	if (nb_made == NB_RECORDS && t->out.len == 0)
		sz_tool_finish(t);
}

static int
nb_end(sz_tool *t)
{
	(void)t;
	return 1;	/* go on until idle has handed everything on */
}

START_TEST(test_tool_nonblock_unblocked_while_busy)
{
	static const sz_proc proc = { .record = emit_record, .end = nb_end,
	    .idle = nb_idle, .nonblock_out = 1, .keep_pipe = 1 };
	long want = 0;
	int p[2];
	sz_source *f;
	sz_tool t;
	pthread_t rd;

	for (long i = 0; i < NB_RECORDS; i++)
		want += snprintf(NULL, 0, "{\"i\":%ld}\n", i);
	ck_assert_int_eq(pipe(p), 0);
	ck_assert_int_eq(fcntl(p[0], F_SETFL, O_NONBLOCK), 0);
	ck_assert_int_eq(dup2(p[1], 1), 1);
	close(p[1]);
	nb_rfd = p[0];
	ck_assert_int_eq(pthread_create(&rd, NULL, nb_reader, NULL), 0);
	sz_tool_init(&t, "sz-test");
	ck_assert_ptr_nonnull(f = sz_source_fed(&t.src, "none"));
	sz_source_end(f);
	ck_assert_int_eq(sz_tool_run(&t, &proc, NULL, 0, NULL), 0);
	atomic_store(&nb_stop, 1);
	ck_assert_int_eq(pthread_join(rd, NULL), 0);
	nb_take();
	ck_assert_int_eq(nb_made, NB_RECORDS);
	ck_assert_int_eq(nb_read + nb_read_bg, want);
}
END_TEST

/* Records through a pipe read R bytes at a time, for every R from 1 to
 * past the longest line: the same records and lines whatever the reads
 * (lines split between reads, a begun line kept and read after, lines
 * longer than a read, which the framer carries; a line over the bound). */
static void
read_in_pieces(size_t r, size_t max, char *out, size_t cap)
{
	static const char text[] =
	    "\xef\xbb\xbf{\"a\":1}\r\n\n  \n"
	    "{\"long\":\"0123456789012345678901234567890123456789\"}\n"
	    "[1,2]\r\r\n\t\r\n\"x\"\n"
	    "{\"also\":\"long, and the last, without newline\"}";
	sz_srcset set;
	sz_loop l;
	int p[2];

	setup(&set, &l, SZ_SRC_IN_ORDER);
	set.read_size = r;
	set.max_record = max;
	ck_assert_int_eq(pipe(p), 0);
	ck_assert_int_eq(write(p[1], text, sizeof(text) - 1),
	    (int)sizeof(text) - 1);
	close(p[1]);
	ck_assert_ptr_nonnull(sz_source_fd(&set, p[0], "p", 1));
	ck_assert_int_eq(sz_srcset_start(&set), 0);
	/* As the runtime does, nothing is taken after a line too long. */
	for (int i = 0; i < 10000 && !sz_srcset_done(&set) &&
	    strstr(seen, "toolong") == NULL; i++) {
		if (sz_srcset_pump(&set) || sz_srcset_done(&set))
			continue;
		sz_srcset_watch(&set);
		ck_assert_int_eq(sz_loop_once(&l, 1), 0);
	}
	ck_assert(sz_srcset_done(&set) || strstr(seen, "toolong") != NULL);
	ck_assert_uint_lt(strlen(seen), cap);
	strcpy(out, seen);
	sz_srcset_free(&set);
	sz_loop_free(&l);
}

START_TEST(test_read_sizes)
{
	static char one[4096], got[4096];

	read_in_pieces(256 * 1024, SIZE_MAX / 2, one, sizeof(one));
	ck_assert_str_eq(one, "p:1:{\"a\":1}\n"
	    "p:4:{\"long\":\"0123456789012345678901234567890123456789\"}\n"
	    "p:5:[1,2]\np:7:\"x\"\n"
	    "p:8:{\"also\":\"long, and the last, without newline\"}\n"
	    "p:end\n");
	for (size_t r = 1; r <= 80; r++) {
		read_in_pieces(r, SIZE_MAX / 2, got, sizeof(got));
		ck_assert_str_eq(got, one);
	}
	/* A line over --max-record is reported at its line, whatever the
	 * reads, and nothing after it is delivered. */
	for (size_t r = 1; r <= 80; r++) {
		read_in_pieces(r, 20, got, sizeof(got));
		ck_assert_str_eq(got, "p:1:{\"a\":1}\np:4:toolong\n");
	}
}
END_TEST

/* A line begun but not ended is the source's partial line, whether it
 * waits in the read buffer or in the framer (longer than the read buffer
 * keeps: 5000 bytes). */
START_TEST(test_partial_line)
{
	static char text[8192];

	memcpy(text, "1\n\n{\"b\":", 8);
	memset(text + 8, 'x', sizeof(text) - 8);
	for (size_t r = 2; r <= 64; r *= 2) {
		for (size_t part = 5; part <= 5000; part += 4995) {
			sz_srcset set;
			sz_loop l;
			int p[2];
			const char *b;
			unsigned long line = 0;
			size_t n;

			setup(&set, &l, SZ_SRC_IN_ORDER);
			set.read_size = r;
			ck_assert_int_eq(pipe(p), 0);
			ck_assert_int_eq(write(p[1], text, 3 + part),
			    (int)(3 + part));
			ck_assert_ptr_nonnull(sz_source_fd(&set, p[0], "p",
			    1));
			ck_assert_int_eq(sz_srcset_start(&set), 0);
			for (int i = 0; i < 5000; i++) {
				sz_srcset_pump(&set);
				sz_srcset_watch(&set);
				ck_assert_int_eq(sz_loop_once(&l, 0), 0);
			}
			ck_assert_str_eq(seen, "p:1:1\n");
			n = sz_source_partial(set.v[0], &b, &line);
			ck_assert_uint_eq(n, part);
			ck_assert_int_eq(memcmp(b, text + 3, part), 0);
			ck_assert_uint_eq(line, 3);
			ck_assert_int_eq(set.v[0]->fr.carrying, part > 4096);
			close(p[1]);
			sz_srcset_free(&set);
			sz_loop_free(&l);
		}
	}
}
END_TEST

static Suite *
source_suite(void)
{
	Suite *s = suite_create("source");
	TCase *tc = tcase_create("source");

	tcase_set_timeout(tc, 20);
	tcase_add_test(tc, test_files_in_order);
	tcase_add_test(tc, test_at_once_whole_records);
	tcase_add_test(tc, test_fed);
	tcase_add_test(tc, test_pause_one_source);
	tcase_add_test(tc, test_record_stops_round);
	tcase_add_test(tc, test_too_long);
	tcase_add_test(tc, test_raw_bytes);
	tcase_add_test(tc, test_read_sizes);
	tcase_add_test(tc, test_partial_line);
	tcase_add_test(tc, test_tool_fed_source);
	tcase_add_test(tc, test_tool_nonblock_unblocked_while_busy);
	suite_add_tcase(s, tc);
	return s;
}

SZ_CHECK_MAIN(source_suite)
