/* SPDX-License-Identifier: MIT */
/*
 * sz-tap - write every record on to standard output, byte for byte, and a
 * copy of each (of those --when selects) to one destination: a file, a
 * descriptor, or a child command, behind a bounded queue (streamz Tap).
 *
 * The destination, its queue, --when-full and its failures are those of
 * sz-route (common/run/dest.c); here its records are copies (not counted
 * in "out") and a child's own output goes to standard error by default.
 */
#include <string.h>

#include "jq/expr.h"
#include "run/dest.h"
#include "run/tool.h"

#define DEFAULT_BUFFER 1000
#define QUEUE_BYTES ((size_t)64 << 20)

struct tap {
	sz_dests ds;
	sz_dest *d;
	sz_expr e;		/* --when */
	int have_when;
	uint64_t selected;	/* records --when chose (all without it) */
	/* Options. */
	const char *when;
	const char *to;		/* --to DEST */
	int slow;		/* --no-fast */
	uint64_t buffer;	/* --buffer */
	int policy;		/* --when-full */
	int child_out;		/* --child-out: SZ_DEST_CHILD_* */
};

static const char usage[] =
"Usage: sz-tap [OPTION]... DEST [FILE]...\n"
"  or:  sz-tap [OPTION]... --to DEST [FILE]...\n"
"Write each NDJSON record to stdout, unchanged, and a copy of it to DEST.\n"
"\n"
"      --to DEST          the DEST (then every operand is a FILE)\n"
"      --when EXPR        copy only the records for which the jq expression\n"
"                         EXPR yields a value other than false and null\n"
"      --buffer N         copies queued for a pipe or child DEST (default\n"
"                         1000)\n"
"      --when-full=block|drop-newest|drop-oldest\n"
"                         when that queue is full: block (default: stop\n"
"                         reading), drop-newest or drop-oldest (copies)\n"
"      --child-out=stderr|stdout|null\n"
"                         the output of a |COMMAND DEST: stderr (default),\n"
"                         stdout (merged line by line) or null\n"
"      --no-fast          always evaluate EXPR with libjq\n"
"  -f, --from-file FILE   read the --when expression from FILE\n"
SZ_JQ_HELP_VARS
"\n"
"DEST: PATH (truncated), >>PATH (appended), &N (open descriptor N, not 1)\n"
"or |COMMAND (a child run by /bin/sh reading the copies on its stdin).\n";

enum { OPT_WHEN = SZ_OPT_TOOL, OPT_BUFFER, OPT_WHENFULL, OPT_CHILDOUT,
	OPT_NOFAST, OPT_TO };

static const struct option longopts[] = {
	{ "when", required_argument, NULL, OPT_WHEN },
	{ "buffer", required_argument, NULL, OPT_BUFFER },
	{ "when-full", required_argument, NULL, OPT_WHENFULL },
	{ "child-out", required_argument, NULL, OPT_CHILDOUT },
	{ "no-fast", no_argument, NULL, OPT_NOFAST },
	{ "to", required_argument, NULL, OPT_TO },
	SZ_JQ_LONGOPTS,
	{ NULL, 0, NULL, 0 }
};

/* Decide first (a jq error sends the record nowhere: it is bad input),
 * then write it on, then hand the copy to DEST. */
static int
tap_record(sz_tool *t, const sz_rec *r)
{
	struct tap *tp = t->ud;
	int k = SZ_EXPR_TRUE;

	if (tp->have_when &&
	    (k = sz_expr_test(&tp->e, r)) == SZ_EXPR_ERROR)
		return sz_expr_bad(t, r, &tp->e, "--when");
	if (sz_emit(t, r->p, r->n) < 0)
		return -1;
	if (k != SZ_EXPR_TRUE)
		return 0;
	tp->selected++;
	return sz_dest_put(&tp->ds, tp->d, r, 0);
}

static int
tap_end(sz_tool *t)
{
	struct tap *tp = t->ud;

	return sz_dests_end(&tp->ds);
}

static void
tap_idle(sz_tool *t)
{
	struct tap *tp = t->ud;

	sz_dests_idle(&tp->ds);
}

static void
tap_child(sz_tool *t)
{
	struct tap *tp = t->ud;

	sz_dests_child(&tp->ds);
}

static void
tap_stats(sz_tool *t, sz_statv *v)
{
	struct tap *tp = t->ud;

	sz_stat_counter(v, "selected", tp->selected);
	sz_stat_group(v, "dest", NULL);
	sz_stat_counter(v, "written", tp->d ? tp->d->written : 0);
	sz_stat_counter(v, "dropped", tp->d ? tp->d->dropped : 0);
	sz_stat_group(v, NULL, NULL);
	sz_stat_counter(v, "merged", tp->ds.merged);
}

static const sz_proc tap_proc = {
	.record = tap_record,
	.end = tap_end,
	.idle = tap_idle,
	.child = tap_child,
	.stats = tap_stats,
};

static int
tap_option(sz_tool *t, int c)
{
	struct tap *tp = t->ud;

	switch (c) {
	case OPT_WHEN:
		tp->when = optarg;
		break;
	case OPT_BUFFER:
		return sz_opt_count(&t->o, "--buffer", 1, 100000000,
		    &tp->buffer);
	case OPT_WHENFULL:
		return sz_opt_when_full(&t->o, &tp->policy);
	case OPT_CHILDOUT:
		if (strcmp(optarg, "stderr") == 0)
			tp->child_out = SZ_DEST_CHILD_STDERR;
		else if (strcmp(optarg, "stdout") == 0)
			tp->child_out = SZ_DEST_CHILD_MERGE;
		else if (strcmp(optarg, "null") == 0)
			tp->child_out = SZ_DEST_CHILD_NULL;
		else
			return sz_opt_fail(&t->o, "--child-out: '%s' is not "
			    "stdout, stderr or null", optarg);
		break;
	case OPT_NOFAST:
		tp->slow = 1;
		break;
	case OPT_TO:
		if (tp->to != NULL)
			return sz_opt_fail(&t->o, "--to: sz-tap has one DEST "
			    "(sz-fanout writes to several)");
		tp->to = optarg;
		break;
	}
	return 0;
}

static int
tap_start(sz_tool *t)
{
	struct tap *tp = t->ud;
	const char *dest = tp->to ? tp->to : sz_tool_operand(t);
	char err[1024];
	int rc, use;

	if (dest == NULL)
		return sz_usage(t, "missing DEST");
	if (tp->when != NULL && t->vars.prog != NULL)
		return sz_usage(t, "give --when EXPR or --from-file FILE, not "
		    "both");
	if (t->vars.prog != NULL) {
		tp->when = t->vars.prog;
		t->vars.prog_used = 1;
	}
	if (tp->when != NULL) {
		if ((rc = sz_tool_compile(t, &tp->e, tp->when, !tp->slow,
		    "--when")) >= 0)
			return rc;
		tp->have_when = 1;
	}
	sz_dests_init(&tp->ds, t, (size_t)tp->buffer, QUEUE_BYTES,
	    tp->policy, NULL);
	tp->ds.child_out = tp->child_out;
	tp->ds.copies = 1;
	tp->d = sz_dests_add(&tp->ds, dest, dest, NULL, err, sizeof(err),
	    &use);
	if (tp->d == NULL) {
		if (use)
			return sz_usage(t, "DEST: %s", err);
		sz_dest_open_failed(t, dest, err);
		return SZ_EXIT_FAIL;
	}
	if (tp->d->kind == SZ_DEST_STDOUT)
		return sz_usage(t, "DEST '%s' is standard output, where every "
		    "record goes already", dest);
	return -1;
}

static void
tap_done(sz_tool *t)
{
	struct tap *tp = t->ud;

	sz_dests_free(&tp->ds);
	if (tp->have_when)
		sz_expr_free(&tp->e);
}

static void
tap_init(sz_tool *t)
{
	struct tap *tp = t->ud;

	tp->buffer = DEFAULT_BUFFER;
	tp->policy = SZ_FULL_BLOCK;
	tp->child_out = SZ_DEST_CHILD_STDERR;
}

static const sz_tool_def tap_def = {
	.init = tap_init,
	.prog = "sz-tap", .usage = usage, .longopts = longopts, .jq = 1,
	.proc = &tap_proc, .option = tap_option, .start = tap_start,
	.done = tap_done,
};

SZ_TOOL_MAIN(tap_def, struct tap)
