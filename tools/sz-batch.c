/* SPDX-License-Identifier: MIT */
/*
 * sz-batch - write consecutive records as one JSON array per batch, built
 * from the records' own bytes (streamz Batcher).
 *
 * A batch is written when it holds COUNT records, when the next record
 * would make its line longer than --max-bytes, when -t DURATION has
 * passed since its first record arrived (a timer, so a silent input still
 * gets its batch), at end of input, on SIGINT/SIGTERM and before exiting
 * on bad input.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "run/tool.h"

struct batch {
	uint64_t count;		/* -n */
	uint64_t every;		/* -t, ns; 0: no time limit */
	uint64_t max_bytes;	/* --max-bytes */
	sz_buf b;		/* "[r1,r2,..." without the closing ']' */
	uint64_t n;		/* records in b */
	uint64_t timer;		/* latency timer of this batch, or 0 */
	uint64_t batches;
	uint64_t by_count, by_bytes, by_time, by_end;
};

static const char usage[] =
"Usage: sz-batch [OPTION]... [FILE]...\n"
"Write consecutive NDJSON records as one JSON array per batch, made of the\n"
"records' own bytes: [r1,r2,...].\n"
"\n"
"  -n, --count=COUNT      at most COUNT records per batch (default 100)\n"
"  -t, --timeout=DURATION write a batch DURATION after its first record\n"
"                         arrived, even if it is not full\n"
"      --max-bytes=SIZE   longest batch line, brackets and commas included\n"
"                         (default 64MiB); a longer record is a batch alone\n";

enum { OPT_MAXBYTES = SZ_OPT_TOOL };

static const struct option longopts[] = {
	{ "count", required_argument, NULL, 'n' },
	{ "timeout", required_argument, NULL, 't' },
	{ "max-bytes", required_argument, NULL, OPT_MAXBYTES },
	{ NULL, 0, NULL, 0 }
};

/* Write the batch being built, if any. */
static int
flush_batch(sz_tool *t, uint64_t *why)
{
	struct batch *bt = t->ud;

	if (bt->timer) {
		sz_loop_cancel(&t->loop, bt->timer);
		bt->timer = 0;
	}
	sz_tool_holding(t, 0);
	if (bt->n == 0)
		return 0;
	bt->n = 0;
	bt->batches++;
	(*why)++;
	/* Room for ']' was reserved when the first record was added. */
	bt->b.p[bt->b.len++] = ']';
	int rc = sz_emit(t, bt->b.p, bt->b.len);
	sz_buf_reset(&bt->b);
	return rc;
}

static void
on_timer(sz_loop *l, void *ud)
{
	sz_tool *t = ud;
	struct batch *bt = t->ud;

	(void)l;
	bt->timer = 0;
	flush_batch(t, &bt->by_time);
}

static int
batch_record(sz_tool *t, const sz_rec *r)
{
	struct batch *bt = t->ud;

	/* The line would become len + ',' + record + ']'. */
	if (bt->n > 0 && bt->b.len + r->n + 2 > bt->max_bytes &&
	    flush_batch(t, &bt->by_bytes) < 0)
		return -1;
	/* Reserve the ']' too, so that flushing never allocates. */
	if (sz_buf_reserve(&bt->b, r->n + 2) < 0)
		return sz_fail(t, SZ_EXIT_FAIL, "out of memory");
	bt->b.p[bt->b.len++] = bt->n == 0 ? '[' : ',';
	memcpy(bt->b.p + bt->b.len, r->p, r->n);
	bt->b.len += r->n;
	bt->b.p[bt->b.len] = '\0';
	if (++bt->n >= bt->count)
		return flush_batch(t, &bt->by_count);
	/* No record (one byte at least, and a comma) fits any more. */
	if (bt->b.len + 3 > bt->max_bytes)
		return flush_batch(t, &bt->by_bytes);
	if (bt->n == 1 && bt->every) {
		bt->timer = sz_loop_timer(&t->loop, sz_now() + bt->every,
		    on_timer, t);
		if (bt->timer == 0)
			return sz_fail(t, SZ_EXIT_FAIL, "out of memory");
		sz_tool_holding(t, 1);	/* until --latency's timer */
	}
	return 0;
}

static int
batch_end(sz_tool *t)
{
	struct batch *bt = t->ud;

	return flush_batch(t, &bt->by_end) < 0 ? -1 : 0;
}

static void
batch_stats(sz_tool *t, sz_statv *v)
{
	struct batch *bt = t->ud;

	sz_stat_counter(v, "batches", bt->batches);
	sz_stat_counter(v, "by_count", bt->by_count);
	sz_stat_counter(v, "by_bytes", bt->by_bytes);
	sz_stat_counter(v, "by_time", bt->by_time);
	sz_stat_counter(v, "by_end", bt->by_end);
}

static const sz_proc batch_proc = {
	.record = batch_record,
	.end = batch_end,
	.stats = batch_stats,
};

static int
batch_option(sz_tool *t, int c)
{
	struct batch *bt = t->ud;

	switch (c) {
	case 'n':
		return sz_opt_count(&t->o, "--count", 1, UINT64_MAX,
		    &bt->count);
	case 't':
		return sz_opt_duration_pos(&t->o, "--timeout", &bt->every);
	case OPT_MAXBYTES:
		if (sz_opt_size(&t->o, "--max-bytes", &bt->max_bytes) != 0)
			return '?';
		return bt->max_bytes < 2 ? sz_opt_fail(&t->o, "--max-bytes: "
		    "'%s' is less than 2 (the brackets)", optarg) : 0;
	}
	return 0;
}

static void
batch_done(sz_tool *t)
{
	struct batch *bt = t->ud;

	sz_buf_free(&bt->b);
}

static void
batch_init(sz_tool *t)
{
	struct batch *bt = t->ud;

	bt->count = 100;
	bt->max_bytes = (uint64_t)64 << 20;
}

static const sz_tool_def batch_def = {
	.init = batch_init,
	.prog = "sz-batch", .usage = usage, .shortopts = "n:t:",
	.longopts = longopts, .proc = &batch_proc, .option = batch_option,
	.done = batch_done,
};

SZ_TOOL_MAIN(batch_def, struct batch)
