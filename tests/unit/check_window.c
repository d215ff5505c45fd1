/* SPDX-License-Identifier: MIT */
/*
 * check_window.c - unit tests of common/run/window.c (the window engine
 * of sz-window and sz-aggregate), written as TAP on stdout: window
 * assignment (tumbling with --offset, sliding with --every, sessions that
 * merge, count windows with --slide), the watermark and --lateness, late
 * records, the forced closes at --max-bytes and --max-keys, what the held
 * bytes count, and the close order (end, then start, then the order keys
 * were first seen). Event time only (--time .t, seconds): nothing here
 * depends on the clock.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "run/window.h"
#include "tap.h"

#define MAXW 64

/* A window's state here: the arrival numbers of its records. */
struct wstate {
	uint64_t seq[32];
	size_t n;
};

/* The tool under test: the engine, and what its windows wrote. */
struct fixture {
	sz_tool t;
	sz_win w;
	uint64_t seq;		/* arrival number of the current record */
	size_t item_bytes;	/* what ops->bytes says per record */
	char *closed[MAXW];	/* "START-END KEY COUNT[!] [SEQ,...]" */
	int nclosed;
};

static int
st_open(void *ud, void *state)
{
	(void)ud;
	(void)state;
	return 0;
}

static int
st_add(void *ud, void *state, const sz_rec *r)
{
	struct fixture *f = ud;
	struct wstate *s = state;

	(void)r;
	ck_assert_uint_lt(s->n, 32);
	s->seq[s->n++] = f->seq;
	return 0;
}

/* Sessions: both lists, in arrival order. */
static int
st_merge(void *ud, void *dst, void *src)
{
	struct wstate *d = dst, *s = src, out = { { 0 }, 0 };
	size_t i = 0, j = 0;

	(void)ud;
	while (i < d->n || j < s->n)
		out.seq[out.n++] = j >= s->n || (i < d->n &&
		    d->seq[i] < s->seq[j]) ? d->seq[i++] : s->seq[j++];
	*d = out;
	return 0;
}

static long long
secs(int64_t ns)
{
	return ns >= 0 ? ns / 1000000000 : -((-ns + 999999999) / 1000000000);
}

static int
st_close(void *ud, void *state, const sz_winfo *w)
{
	struct fixture *f = ud;
	struct wstate *s = state;
	char line[512];
	size_t i;
	int n;

	ck_assert_int_lt(f->nclosed, MAXW);
	n = snprintf(line, sizeof(line), "%lld-%lld %.*s %llu%s [",
	    secs(w->start), secs(w->end), (int)w->keylen, w->key,
	    (unsigned long long)w->count, w->forced ? "!" : "");
	ck_assert_uint_eq(w->count, s->n);
	for (i = 0; i < s->n; i++)
		n += snprintf(line + n, sizeof(line) - (size_t)n, "%s%llu",
		    i ? "," : "", (unsigned long long)s->seq[i]);
	snprintf(line + n, sizeof(line) - (size_t)n, "]");
	f->closed[f->nclosed++] = strdup(line);
	return 0;
}

static size_t
st_bytes(void *ud, const void *state)
{
	const struct fixture *f = ud;
	const struct wstate *s = state;

	return f->item_bytes * s->n;
}

static const sz_winops ops = {
	sizeof(struct wstate), st_open, st_add, st_merge, st_close, NULL,
	st_bytes
};

/* The engine after the options opt[0], val[0], ... (NULL-terminated),
 * with --time .t and --on-error=skip (so that late records are counted
 * and skipped, not fatal). */
static void
setup(struct fixture *f, const char *const *opt)
{
	static const struct { const char *name; int code; } codes[] = {
		{ "--tumbling", SZ_OPT_WIN_TUMBLING },
		{ "--offset", SZ_OPT_WIN_OFFSET },
		{ "--sliding", SZ_OPT_WIN_SLIDING },
		{ "--every", SZ_OPT_WIN_EVERY },
		{ "--session", SZ_OPT_WIN_SESSION },
		{ "--count-window", SZ_OPT_WIN_COUNT },
		{ "--slide", SZ_OPT_WIN_SLIDE },
		{ "--lateness", SZ_OPT_WIN_LATENESS },
		{ "--max-bytes", SZ_OPT_WIN_MAXBYTES },
		{ "--key", SZ_OPT_KEY },
		{ "--max-keys", SZ_OPT_MAXKEYS },
	};
	size_t i;

	memset(f, 0, sizeof(*f));
	sz_tool_init(&f->t, "check_window");
	f->t.o.on_error = SZ_ONERR_SKIP;
	f->t.o.on_error_set = 1;
	sz_win_init(&f->w, &f->t, &ops, f);
	ck_assert_ptr_eq(f->t.key, &f->w.key);
	optarg = (char *)".t";
	ck_assert_int_eq(sz_key_opt(&f->w.key, &f->t.o, SZ_OPT_TIME), 1);
	for (; *opt != NULL; opt += 2) {
		for (i = 0; i < sizeof(codes) / sizeof(codes[0]); i++)
			if (strcmp(codes[i].name, opt[0]) == 0)
				break;
		ck_assert_msg(i < sizeof(codes) / sizeof(codes[0]), "%s",
		    opt[0]);
		optarg = (char *)opt[1];
		if (codes[i].code == SZ_OPT_KEY ||
		    codes[i].code == SZ_OPT_MAXKEYS)
			ck_assert_int_eq(sz_key_opt(&f->w.key, &f->t.o,
			    codes[i].code), 1);
		else
			ck_assert_int_eq(sz_win_option(&f->w, &f->t,
			    codes[i].code), 1);
	}
	ck_assert_int_eq(sz_win_start(&f->w, &f->t), -1);
}

static void forget(struct fixture *f);

static void
teardown(struct fixture *f)
{
	sz_win_free(&f->w);
	sz_key_free(&f->w.key);
	forget(f);
	sz_srcset_free(&f->t.src);
	sz_loop_free(&f->t.loop);
	sz_buf_free(&f->t.scratch);
}

/* A record at t seconds, of key k (NULL: no "k" member). */
static void
feed(struct fixture *f, long long t, const char *k)
{
	char text[128];
	sz_rec r;

	if (k != NULL)
		snprintf(text, sizeof(text), "{\"t\":%lld,\"k\":\"%s\"}", t, k);
	else
		snprintf(text, sizeof(text), "{\"t\":%lld}", t);
	r = (sz_rec){ text, strlen(text), "<test>", (unsigned long)++f->seq,
	    NULL };
	ck_assert_int_eq(sz_win_record(&f->w, &f->t, &r), 0);
}

/* The windows closed so far are exactly want[] (NULL-terminated). */
static void
expect(struct fixture *f, const char *const *want)
{
	int i;

	for (i = 0; want[i] != NULL; i++) {
		ck_assert_msg(i < f->nclosed, "window %d missing: %s", i,
		    want[i]);
		ck_assert_str_eq(f->closed[i], want[i]);
	}
	ck_assert_msg(i == f->nclosed, "%d windows, expected %d (extra: %s)",
	    f->nclosed, i, f->closed[i]);
}

/* Forget the windows closed so far. */
static void
forget(struct fixture *f)
{
	for (int i = 0; i < f->nclosed; i++)
		free(f->closed[i]);
	f->nclosed = 0;
}

static void
end(struct fixture *f)
{
	ck_assert_int_eq(sz_win_end(&f->w, &f->t), 0);
}

/* A stats value of the engine, by name. */
static uint64_t
stat(struct fixture *f, const char *name)
{
	sz_statv v = { 0 };
	uint64_t x = UINT64_MAX;

	sz_win_stats(&f->w, &v);
	for (size_t i = 0; i < v.n; i++)
		if (strcmp(v.v[i].name, name) == 0)
			x = v.v[i].u;
	sz_statv_free(&v);
	ck_assert_msg(x != UINT64_MAX, "no stat %s", name);
	return x;
}

#define OPTS(...) ((const char *const[]){ __VA_ARGS__, NULL })
#define WANT(...) ((const char *const[]){ __VA_ARGS__, NULL })

START_TEST(test_tumbling)
{
	struct fixture f;

	setup(&f, OPTS("--tumbling", "10s"));
	feed(&f, 1, NULL);
	feed(&f, 5, NULL);
	expect(&f, WANT(NULL));
	feed(&f, 12, NULL);	/* the watermark reaches 10: [0,10) closes */
	expect(&f, WANT("0-10 null 2 [1,2]"));
	feed(&f, 3, NULL);	/* its only window has closed: late */
	ck_assert_uint_eq(f.w.late_n, 1);
	ck_assert_uint_eq(f.t.nbad, 1);
	feed(&f, 10, NULL);
	feed(&f, 35, NULL);	/* closes [10,20); [20,30) never opened */
	expect(&f, WANT("0-10 null 2 [1,2]", "10-20 null 2 [3,5]"));
	end(&f);
	expect(&f, WANT("0-10 null 2 [1,2]", "10-20 null 2 [3,5]",
	    "30-40 null 1 [6]"));
	ck_assert_uint_eq(stat(&f, "windows"), 3);
	ck_assert_uint_eq(stat(&f, "late"), 1);
	ck_assert_uint_eq(stat(&f, "open"), 0);
	ck_assert_uint_eq(stat(&f, "held_bytes"), 0);
	teardown(&f);
}
END_TEST

START_TEST(test_tumbling_offset)
{
	struct fixture f;

	/* Windows [10k+3, 10k+13): before the epoch too. */
	setup(&f, OPTS("--tumbling", "10s", "--offset", "3s"));
	feed(&f, -5, NULL);
	feed(&f, 2, NULL);
	feed(&f, 3, NULL);
	feed(&f, 12, NULL);
	feed(&f, 13, NULL);
	end(&f);
	expect(&f, WANT("-7-3 null 2 [1,2]", "3-13 null 2 [3,4]",
	    "13-23 null 1 [5]"));
	teardown(&f);

	/* An offset of a whole step or more is taken modulo the step. */
	setup(&f, OPTS("--tumbling", "10s", "--offset", "23s"));
	feed(&f, 2, NULL);
	end(&f);
	expect(&f, WANT("-7-3 null 1 [1]"));
	teardown(&f);
}
END_TEST

START_TEST(test_sliding)
{
	struct fixture f;

	/* Length 10, one every 5: each record in two windows. */
	setup(&f, OPTS("--sliding", "10s", "--every", "5s"));
	feed(&f, 7, NULL);
	feed(&f, 12, NULL);	/* closes [0,10) */
	expect(&f, WANT("0-10 null 1 [1]"));
	end(&f);
	expect(&f, WANT("0-10 null 1 [1]", "5-15 null 2 [1,2]",
	    "10-20 null 1 [2]"));
	teardown(&f);

	/* A step that does not divide the length: every window that holds
	 * the time, [0,10), [4,14), [8,18) for 9. */
	setup(&f, OPTS("--sliding", "10s", "--every", "4s"));
	feed(&f, 9, NULL);
	feed(&f, 10, NULL);	/* [0,10) closes; [4,14), [8,18) too */
	end(&f);
	expect(&f, WANT("0-10 null 1 [1]", "4-14 null 2 [1,2]",
	    "8-18 null 2 [1,2]"));
	teardown(&f);

	/* A step longer than the length: gaps between windows. */
	setup(&f, OPTS("--sliding", "2s", "--every", "5s"));
	feed(&f, 1, NULL);
	feed(&f, 3, NULL);	/* in no window: [0,2) closes, and a record
				   in no open window is late */
	end(&f);
	expect(&f, WANT("0-2 null 1 [1]"));
	ck_assert_uint_eq(f.w.late_n, 1);
	teardown(&f);
}
END_TEST

START_TEST(test_session_merge)
{
	struct fixture f;

	/* Gap 5: a at 1 and 10 are two sessions, [1,6) and [10,15); 5
	 * extends the first to [1,10); 7 then bridges both: one session
	 * [1,15) with the records in arrival order. */
	setup(&f, OPTS("--session", "5s", "--key", ".k", "--lateness",
	    "100s"));
	feed(&f, 1, "a");
	feed(&f, 10, "a");
	feed(&f, 3, "b");
	feed(&f, 5, "a");
	ck_assert_uint_eq(f.w.merged, 0);
	ck_assert_uint_eq(stat(&f, "open"), 3);
	feed(&f, 7, "a");
	ck_assert_uint_eq(f.w.merged, 1);
	ck_assert_uint_eq(stat(&f, "open"), 2);
	end(&f);
	/* b's session [3,8) ends first. */
	expect(&f, WANT("3-8 \"b\" 1 [3]", "1-15 \"a\" 4 [1,2,4,5]"));
	ck_assert_uint_eq(stat(&f, "merged"), 1);
	teardown(&f);

	/* Without lateness the watermark closes a session when GAP has
	 * passed in event time; a record of the key after it starts a new
	 * one, and one before it is late. */
	setup(&f, OPTS("--session", "5s", "--key", ".k"));
	feed(&f, 1, "a");
	feed(&f, 4, "a");
	feed(&f, 9, "b");	/* watermark 9: a's [1,9) closes */
	expect(&f, WANT("1-9 \"a\" 2 [1,2]"));
	feed(&f, 3, "a");	/* 3 + 5 <= 9: late */
	ck_assert_uint_eq(f.w.late_n, 1);
	feed(&f, 10, "a");
	end(&f);
	expect(&f, WANT("1-9 \"a\" 2 [1,2]", "9-14 \"b\" 1 [3]",
	    "10-15 \"a\" 1 [5]"));
	teardown(&f);
}
END_TEST

START_TEST(test_count)
{
	struct fixture f;

	/* 3 records per key; start and end are the times of the first and
	 * last record, in arrival order (not sorted). */
	setup(&f, OPTS("--count-window", "3", "--key", ".k"));
	feed(&f, 5, "a");
	feed(&f, 1, "b");
	feed(&f, 2, "a");
	feed(&f, 9, "a");	/* a's window is full */
	expect(&f, WANT("5-9 \"a\" 3 [1,3,4]"));
	feed(&f, 4, "a");
	end(&f);	/* the rest by start, then key */
	expect(&f, WANT("5-9 \"a\" 3 [1,3,4]", "1-1 \"b\" 1 [2]",
	    "4-4 \"a\" 1 [5]"));
	teardown(&f);

	/* --slide 2: a window of 3 starts at every 2nd record of a key. */
	setup(&f, OPTS("--count-window", "3", "--slide", "2"));
	for (int i = 1; i <= 6; i++)
		feed(&f, i, NULL);
	expect(&f, WANT("1-3 null 3 [1,2,3]", "3-5 null 3 [3,4,5]"));
	end(&f);
	expect(&f, WANT("1-3 null 3 [1,2,3]", "3-5 null 3 [3,4,5]",
	    "5-6 null 2 [5,6]"));
	teardown(&f);
}
END_TEST

START_TEST(test_lateness)
{
	struct fixture f;

	/* Lateness 5: the watermark is the largest time minus 5. */
	setup(&f, OPTS("--tumbling", "10s", "--lateness", "5s"));
	feed(&f, 1, NULL);
	feed(&f, 12, NULL);	/* watermark 7: [0,10) stays open */
	feed(&f, 3, NULL);	/* out of order, not late */
	expect(&f, WANT(NULL));
	ck_assert_uint_eq(f.w.late_n, 0);
	feed(&f, 14, NULL);	/* watermark 9 */
	expect(&f, WANT(NULL));
	feed(&f, 15, NULL);	/* watermark 10: [0,10) closes */
	expect(&f, WANT("0-10 null 2 [1,3]"));
	feed(&f, 9, NULL);	/* late */
	feed(&f, 8, NULL);	/* a record older than the newest does not
				   move the watermark back */
	ck_assert_uint_eq(f.w.late_n, 2);
	feed(&f, 10, NULL);
	end(&f);
	expect(&f, WANT("0-10 null 2 [1,3]", "10-20 null 4 [2,4,5,8]"));
	ck_assert_uint_eq(f.t.nbad, 2);
	teardown(&f);
}
END_TEST

START_TEST(test_order)
{
	struct fixture f;

	/* Equal ends: by start; equal starts too: by the order the keys
	 * were first seen, not by their text. */
	setup(&f, OPTS("--sliding", "10s", "--every", "5s", "--key", ".k"));
	feed(&f, 7, "b");
	feed(&f, 8, "a");
	end(&f);
	expect(&f, WANT("0-10 \"b\" 1 [1]", "0-10 \"a\" 1 [2]",
	    "5-15 \"b\" 1 [1]", "5-15 \"a\" 1 [2]"));
	teardown(&f);

	/* Sessions of equal end: the earlier start first, although its
	 * key came second. */
	setup(&f, OPTS("--session", "5s", "--key", ".k", "--lateness",
	    "100s"));
	feed(&f, 6, "y");
	feed(&f, 1, "x");
	feed(&f, 4, "x");
	feed(&f, 6, "x");
	feed(&f, 2, "z");
	end(&f);
	expect(&f, WANT("2-7 \"z\" 1 [5]", "1-11 \"x\" 3 [2,3,4]",
	    "6-11 \"y\" 1 [1]"));
	teardown(&f);

	/* A key whose windows all closed is forgotten: seen again, it is
	 * a new key, after those seen meanwhile. */
	setup(&f, OPTS("--tumbling", "10s", "--key", ".k"));
	feed(&f, 1, "a");
	feed(&f, 11, "b");	/* closes a's window: a is forgotten */
	feed(&f, 12, "a");
	end(&f);
	expect(&f, WANT("0-10 \"a\" 1 [1]", "10-20 \"b\" 1 [2]",
	    "10-20 \"a\" 1 [3]"));
	teardown(&f);
}
END_TEST

START_TEST(test_max_keys)
{
	struct fixture f;

	/* At --max-keys, a new key first closes the window that would close
	 * first (a's), marked forced. */
	setup(&f, OPTS("--tumbling", "10s", "--key", ".k", "--max-keys",
	    "2"));
	feed(&f, 1, "a");
	feed(&f, 2, "b");
	feed(&f, 3, "a");
	expect(&f, WANT(NULL));
	feed(&f, 4, "c");
	expect(&f, WANT("0-10 \"a\" 2! [1,3]"));
	ck_assert_uint_eq(stat(&f, "keys"), 2);
	end(&f);
	expect(&f, WANT("0-10 \"a\" 2! [1,3]", "0-10 \"b\" 1 [2]",
	    "0-10 \"c\" 1 [4]"));
	ck_assert_uint_eq(stat(&f, "forced"), 1);
	teardown(&f);
}
END_TEST

START_TEST(test_max_bytes)
{
	struct fixture f;
	uint64_t one, two;

	/* What one key with one window of one record holds, and a second
	 * key's: the bound is set between the two. */
	setup(&f, OPTS("--tumbling", "10s", "--key", ".k"));
	f.item_bytes = 1000;
	feed(&f, 1, "a");
	one = stat(&f, "held_bytes");
	feed(&f, 2, "b");
	two = stat(&f, "held_bytes");
	ck_assert_uint_eq(two, 2 * one);
	feed(&f, 3, "a");
	ck_assert_uint_eq(stat(&f, "held_bytes"), two + 1000);
	end(&f);
	ck_assert_uint_eq(stat(&f, "held_bytes"), 0);
	teardown(&f);

	{
		char bound[32];

		snprintf(bound, sizeof(bound), "%llu",
		    (unsigned long long)(one + 500));
		setup(&f, OPTS("--tumbling", "10s", "--key", ".k",
		    "--max-bytes", bound));
	}
	f.item_bytes = 1000;
	feed(&f, 1, "a");
	feed(&f, 2, "a");	/* over the bound: a's window closes now */
	expect(&f, WANT("0-10 \"a\" 2! [1,2]"));
	feed(&f, 3, "b");
	feed(&f, 4, "c");	/* b's window closes first */
	expect(&f, WANT("0-10 \"a\" 2! [1,2]", "0-10 \"b\" 1! [3]"));
	end(&f);
	expect(&f, WANT("0-10 \"a\" 2! [1,2]", "0-10 \"b\" 1! [3]",
	    "0-10 \"c\" 1 [4]"));
	ck_assert_uint_eq(f.w.forced, 2);
	teardown(&f);
}
END_TEST

START_TEST(test_held_bytes_overhead)
{
	struct fixture f;
	uint64_t held, open;

	/* Windows whose state holds nothing still count (the engine's own
	 * memory per window and key): many small windows are bounded by
	 * --max-bytes too, not only many records. */
	setup(&f, OPTS("--tumbling", "10s", "--key", ".k"));
	feed(&f, 1, "k0");
	held = stat(&f, "held_bytes");
	ck_assert_uint_ge(held, sizeof(struct wstate) + 64);
	teardown(&f);

	setup(&f, OPTS("--tumbling", "10s", "--key", ".k", "--max-bytes",
	    "20KiB"));
	for (int i = 0; i < 1000; i++) {
		char k[16];

		snprintf(k, sizeof(k), "k%d", i);
		feed(&f, 1, k);
		ck_assert_uint_le(stat(&f, "held_bytes"), 20480);
		forget(&f);
	}
	open = stat(&f, "open");
	ck_assert_uint_gt(f.w.forced, 0);
	ck_assert_uint_le(open, 20480 / held);
	ck_assert_uint_eq(open + f.w.forced, 1000);
	teardown(&f);
}
END_TEST

static Suite *
window_suite(void)
{
	Suite *s = suite_create("window");
	TCase *tc = tcase_create("window");

	tcase_add_test(tc, test_tumbling);
	tcase_add_test(tc, test_tumbling_offset);
	tcase_add_test(tc, test_sliding);
	tcase_add_test(tc, test_session_merge);
	tcase_add_test(tc, test_count);
	tcase_add_test(tc, test_lateness);
	tcase_add_test(tc, test_order);
	tcase_add_test(tc, test_max_keys);
	tcase_add_test(tc, test_max_bytes);
	tcase_add_test(tc, test_held_bytes_overhead);
	suite_add_tcase(s, tc);
	return s;
}

SZ_CHECK_MAIN(window_suite)
