/* SPDX-License-Identifier: MIT */
/*
 * sz-buffer - a bounded queue between a fast producer and a slow consumer
 * (streamz Buffer; DroppingBuffer and SlidingBuffer with --when-full).
 *
 * When standard output is a pipe or a socket the runtime makes it
 * non-blocking (nonblock_out: restored at exit, POLLOUT watched while the
 * consumer does not take what is written, so a blocked consumer costs no
 * CPU) and the tool keeps reading while the consumer is slow: records go
 * to the write buffer (at most 64 KiB, not counted) and, when that is full,
 * to the queue (COUNT records, SIZE bytes). A full queue stops the reading
 * (block), or drops the incoming record (drop-newest) or the oldest queued
 * ones (drop-oldest). Other outputs (a file, a terminal) are written as
 * they are, and the queue is not used.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/queue.h"
#include "run/tool.h"

#define OUT_MAX (64 * 1024)	/* write buffer, not counted in the queue */

struct buffer {
	uint64_t count;		/* -n */
	uint64_t max_bytes;	/* --max-bytes */
	int when;		/* SZ_FULL_* */
	sz_queue q;
	sz_buf held;		/* block: the record that did not fit */
	int holding;
	int ended;
	uint64_t queued_max, queued_bytes_max;
	sz_out dropped;
	const char *dropped_path;	/* --dropped=FILE */
};

static const char usage[] =
"Usage: sz-buffer [OPTION]... [FILE]...\n"
"Pass NDJSON records on unchanged, holding up to COUNT records and SIZE\n"
"bytes while the reader of standard output is slow.\n"
"\n"
"  -n, --count=COUNT      records held at most (default 1000)\n"
"      --max-bytes=SIZE   bytes of records held at most (default 64MiB)\n"
"      --when-full=block|drop-newest|drop-oldest\n"
"                         block (stop reading; the default), drop-newest\n"
"                         (drop incoming records) or drop-oldest (drop the\n"
"                         oldest held records)\n"
"      --dropped=FILE     write the dropped records to FILE\n";

enum { OPT_MAXBYTES = SZ_OPT_TOOL, OPT_WHENFULL, OPT_DROPPED };

static const struct option longopts[] = {
	{ "count", required_argument, NULL, 'n' },
	{ "max-bytes", required_argument, NULL, OPT_MAXBYTES },
	{ "when-full", required_argument, NULL, OPT_WHENFULL },
	{ "dropped", required_argument, NULL, OPT_DROPPED },
	{ NULL, 0, NULL, 0 }
};

/* Does a record of n bytes go into the write buffer now? */
static int
fits_out(const sz_tool *t, size_t n)
{
	return t->out.len == 0 || t->out.len + n + 1 <= OUT_MAX;
}

static int
push(sz_tool *t, const char *p, size_t n, const char *file,
    unsigned long line)
{
	struct buffer *bf = t->ud;

	if (sz_queue_push(&bf->q, p, n, file, line) < 0)
		return sz_fail(t, SZ_EXIT_FAIL, "out of memory");
	if (bf->q.count > bf->queued_max)
		bf->queued_max = bf->q.count;
	if (bf->q.bytes > bf->queued_bytes_max)
		bf->queued_bytes_max = bf->q.bytes;
	return 0;
}

/*
 * Move queued records to the write buffer and write as much as standard
 * output takes (the runtime waits for POLLOUT while bytes remain and then
 * calls buffer_idle); ends the run when everything is written after the
 * end of input.
 */
static int
drain(sz_tool *t)
{
	struct buffer *bf = t->ud;
	sz_qitem *it;

	for (;;) {
		while ((it = sz_queue_head(&bf->q)) != NULL &&
		    fits_out(t, it->n)) {
			int rc;

			it = sz_queue_pop(&bf->q);
			rc = sz_emit(t, it->p, it->n);
			free(it);
			if (rc < 0)
				return -1;
		}
		if (bf->holding && !sz_queue_full(&bf->q, bf->held.len)) {
			bf->holding = 0;
			if (push(t, bf->held.p, bf->held.len, NULL, 0) < 0)
				return -1;
			if (!t->stopping)
				sz_input_resume(t);
			continue;
		}
		if (t->out.len == 0)
			break;
		if (sz_tool_flush(t) < 0)
			return -1;
		if (t->out_blocked)
			return 0;
	}
	if (bf->ended)
		sz_tool_finish(t);
	return 0;
}

static int
buffer_record(sz_tool *t, const sz_rec *r)
{
	struct buffer *bf = t->ud;
	sz_qitem *it;

	if (!t->out_nonblock)
		return sz_emit(t, r->p, r->n);
	if (bf->q.count == 0 && !bf->holding) {
		if (!fits_out(t, r->n) && !t->out_blocked && drain(t) < 0)
			return -1;
		if (fits_out(t, r->n)) {
			if (sz_emit(t, r->p, r->n) < 0)
				return -1;
			if (t->out.len > 0 && t->o.unbuffered)
				return sz_tool_flush(t); /* a short write */
			return 0;
		}
	}
	if (t->stopsig) {
		/* Stopping: the records still in the read buffer are queued
		 * beyond the bounds, after the held one. */
		if (bf->holding) {
			bf->holding = 0;
			if (push(t, bf->held.p, bf->held.len, NULL, 0) < 0)
				return -1;
		}
		return push(t, r->p, r->n, r->file, r->line);
	}
	if (!sz_queue_full(&bf->q, r->n))
		return push(t, r->p, r->n, r->file, r->line);
	switch (bf->when) {
	case SZ_FULL_DROP_NEWEST:
		return sz_drop(t, &bf->dropped, r->p, r->n);
	case SZ_FULL_DROP_OLDEST:
		while (sz_queue_full(&bf->q, r->n) &&
		    (it = sz_queue_pop(&bf->q)) != NULL) {
			int rc = sz_drop(t, &bf->dropped, it->p, it->n);

			free(it);
			if (rc < 0)
				return -1;
		}
		return push(t, r->p, r->n, r->file, r->line);
	case SZ_FULL_BLOCK:
	default:
		sz_buf_reset(&bf->held);
		if (sz_buf_add(&bf->held, r->p, r->n) < 0)
			return sz_fail(t, SZ_EXIT_FAIL, "out of memory");
		bf->holding = 1;
		sz_input_pause(t);
		return 0;
	}
}

static void
buffer_idle(sz_tool *t)
{
	if (t->out_nonblock && !t->out_blocked)
		drain(t);
}

static int
buffer_end(sz_tool *t)
{
	struct buffer *bf = t->ud;

	if (!t->out_nonblock)
		return 0;
	bf->ended = 1;
	if (drain(t) < 0)
		return -1;
	return bf->q.count > 0 || bf->holding || t->out.len > 0 ? 1 : 0;
}

static void
buffer_stats(sz_tool *t, sz_statv *v)
{
	struct buffer *bf = t->ud;

	sz_stat_gauge(v, "queued", bf->q.count);
	sz_stat_gauge(v, "queued_max", bf->queued_max);
	sz_stat_gauge(v, "queued_bytes_max", bf->queued_bytes_max);
}

static const sz_proc buffer_proc = {
	.record = buffer_record,
	.end = buffer_end,
	.idle = buffer_idle,
	.stats = buffer_stats,
	.keep_pipe = 1,
	.nonblock_out = 1,
};

static int
buffer_option(sz_tool *t, int c)
{
	struct buffer *bf = t->ud;

	switch (c) {
	case 'n':
		return sz_opt_count(&t->o, "--count", 1, SIZE_MAX, &bf->count);
	case OPT_MAXBYTES:
		if (sz_opt_size(&t->o, "--max-bytes", &bf->max_bytes) != 0)
			return '?';
		return bf->max_bytes == 0 ? sz_opt_fail(&t->o, "--max-bytes: "
		    "'%s' is not a positive size", optarg) : 0;
	case OPT_WHENFULL:
		return sz_opt_when_full(&t->o, &bf->when);
	case OPT_DROPPED:
		bf->dropped_path = optarg;
		break;
	}
	return 0;
}

static int
buffer_start(sz_tool *t)
{
	struct buffer *bf = t->ud;

	sz_queue_init(&bf->q, bf->count, bf->max_bytes > SIZE_MAX ? SIZE_MAX :
	    (size_t)bf->max_bytes);
	sz_tool_queue(t, &bf->q);
	if (bf->dropped_path != NULL && bf->when == SZ_FULL_BLOCK)
		return sz_usage(t, "--dropped goes with --when-full="
		    "drop-newest or drop-oldest");
	if (bf->dropped_path != NULL)
		return sz_tool_open(t, &bf->dropped, "--dropped",
		    bf->dropped_path, 0) != 0 ? SZ_EXIT_FAIL : -1;
	return -1;
}

static void
buffer_done(sz_tool *t)
{
	struct buffer *bf = t->ud;

	sz_queue_clear(&bf->q);
	sz_buf_free(&bf->held);
}

static void
buffer_init(sz_tool *t)
{
	struct buffer *bf = t->ud;

	bf->count = 1000;
	bf->max_bytes = (uint64_t)64 << 20;
}

static const sz_tool_def buffer_def = {
	.init = buffer_init,
	.prog = "sz-buffer", .usage = usage, .shortopts = "n:",
	.longopts = longopts, .proc = &buffer_proc, .option = buffer_option,
	.start = buffer_start, .done = buffer_done,
};

SZ_TOOL_MAIN(buffer_def, struct buffer)
