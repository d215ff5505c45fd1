/* SPDX-License-Identifier: MIT */
/*
 * sz-fanout - write every record, byte for byte, to every destination
 * (streamz FanOut): files, descriptors, standard output, child commands
 * whose output is merged into ours whole line by whole line.
 *
 * The destinations, their queues, --when-full and their failures are
 * those of sz-route (common/run/dest.c).
 */
#include <stdlib.h>
#include <string.h>

#include "run/dest.h"
#include "run/tool.h"

#define DEFAULT_BUFFER 1000
#define QUEUE_BYTES ((size_t)64 << 20)

struct fanout {
	sz_dests ds;
	sz_dest **d;		/* in the order given */
	size_t n;
	/* Options. */
	const char **to;	/* --to DEST, in order */
	size_t nto;
	uint64_t buffer;	/* --buffer */
	int policy;		/* --when-full */
};

static const char usage[] =
"Usage: sz-fanout [OPTION]... DEST... [-- FILE...]\n"
"  or:  sz-fanout [OPTION]... --to DEST... [FILE]...\n"
"Write each NDJSON record, unchanged, to every DEST, in the order given.\n"
"Records come from the FILEs after --, or from stdin.\n"
"\n"
"      --to DEST          a DEST (repeatable; then every operand is a FILE)\n"
"      --buffer N         records queued for each pipe or child (default\n"
"                         1000)\n"
"      --when-full=block|drop-newest|drop-oldest\n"
"                         when a queue is full: block (default: stop\n"
"                         reading), drop-newest or drop-oldest (for that\n"
"                         DEST only)\n"
"\n"
"DEST: PATH (truncated), >>PATH (appended), &N (open descriptor N), - (stdout)\n"
"or |COMMAND (a child run by /bin/sh reading the records on its stdin; its\n"
"output is merged into stdout line by line).\n";

enum { OPT_BUFFER = SZ_OPT_TOOL, OPT_WHENFULL, OPT_TO };

static const struct option longopts[] = {
	{ "to", required_argument, NULL, OPT_TO },
	{ "buffer", required_argument, NULL, OPT_BUFFER },
	{ "when-full", required_argument, NULL, OPT_WHENFULL },
	{ NULL, 0, NULL, 0 }
};

/* To every DEST, also after one failed (the run stops after this
 * record: every other DEST has had the same records). */
static int
fanout_record(sz_tool *t, const sz_rec *r)
{
	struct fanout *f = t->ud;
	int rc = 0;

	for (size_t i = 0; i < f->n; i++)
		if (sz_dest_put(&f->ds, f->d[i], r, (uint32_t)i) < 0)
			rc = -1;
	return rc;
}

static int
fanout_end(sz_tool *t)
{
	struct fanout *f = t->ud;

	return sz_dests_end(&f->ds);
}

static void
fanout_idle(sz_tool *t)
{
	struct fanout *f = t->ud;

	sz_dests_idle(&f->ds);
}

static void
fanout_child(sz_tool *t)
{
	struct fanout *f = t->ud;

	sz_dests_child(&f->ds);
}

static void
fanout_stats(sz_tool *t, sz_statv *v)
{
	struct fanout *f = t->ud;

	sz_stat_list(v, "dests", "dest");
	for (size_t i = 0; i < f->n; i++) {
		sz_stat_member(v, f->d[i]->text);
		sz_stat_counter(v, "written", f->d[i]->written);
		sz_stat_counter(v, "dropped", f->d[i]->dropped);
	}
	sz_stat_group(v, NULL, NULL);
	sz_stat_counter(v, "merged", f->ds.merged);
}

static const sz_proc fanout_proc = {
	.record = fanout_record,
	.end = fanout_end,
	.idle = fanout_idle,
	.child = fanout_child,
	.stats = fanout_stats,
};

static int
fanout_option(sz_tool *t, int c)
{
	struct fanout *f = t->ud;

	switch (c) {
	case OPT_BUFFER:
		return sz_opt_count(&t->o, "--buffer", 1, 100000000,
		    &f->buffer);
	case OPT_WHENFULL:
		return sz_opt_when_full(&t->o, &f->policy);
	case OPT_TO: {
		const char **nt = realloc(f->to, (f->nto + 1) *
		    sizeof(*nt));

		if (nt == NULL)
			return sz_opt_fail(&t->o, "out of memory");
		f->to = nt;
		f->to[f->nto++] = optarg;
		break;
	}
	}
	return 0;
}

/*
 * How many operands are DESTs: those before the first "--" that follows
 * one (the "--" that ended the options, or one given after it, or under
 * POSIXLY_CORRECT); *skip is 1 when that "--" is still among the
 * operands.
 */
static int
count_dests(const sz_tool *t, int *skip)
{
	int before = t->o.after_dashdash >= 0 ?
	    t->argc - t->o.after_dashdash : -1;

	*skip = 0;
	if (before > 0)
		return before;
	for (int i = 1; i < t->argc; i++)
		if (strcmp(t->argv[i], "--") == 0) {
			*skip = 1;
			return i;
		}
	return t->argc;
}

/* Open every DEST; 0 or the exit status. */
static int
open_dests(sz_tool *t, struct fanout *f, int n)
{
	static char *noenv[] = { NULL };
	char err[1024];
	int use, nstdout = 0;

	if ((f->d = calloc((size_t)n, sizeof(*f->d))) == NULL) {
		sz_msg(t, "error", NULL, 0, "out of memory");
		return SZ_EXIT_FAIL;
	}
	for (int i = 0; i < n; i++) {
		const char *text = f->nto ? f->to[i] : sz_tool_operand(t);

		/* The same command twice is two children (an env, even an
		 * empty one, makes sz_dests_add start a new one); the same
		 * file twice is a mistake. */
		for (size_t j = 0; j < f->n && text[0] != '|'; j++)
			if (strcmp(f->d[j]->text, text) == 0)
				return sz_usage(t, "DEST '%s' is given twice",
				    text);
		f->d[f->n] = sz_dests_add(&f->ds, text, text, text[0] == '|' ?
		    noenv : NULL, err, sizeof(err), &use);
		if (f->d[f->n] == NULL) {
			if (use)
				return sz_usage(t, "DEST: %s", err);
			sz_dest_open_failed(t, text, err);
			return SZ_EXIT_FAIL;
		}
		if (f->d[f->n]->kind == SZ_DEST_STDOUT && nstdout++ > 0)
			return sz_usage(t, "DEST '%s': standard output is "
			    "given twice", text);
		f->n++;
	}
	return 0;
}

static int
fanout_start(sz_tool *t)
{
	struct fanout *f = t->ud;
	int skip = 0, n, rc;

	n = f->nto ? (int)f->nto : count_dests(t, &skip);

	if (n == 0)
		return sz_usage(t, "missing DEST");
	sz_dests_init(&f->ds, t, (size_t)f->buffer, QUEUE_BYTES, f->policy,
	    NULL);
	if ((rc = open_dests(t, f, n)) != 0)
		return rc;
	if (skip)
		(void)sz_tool_operand(t);	/* the "--" */
	return -1;
}

static void
fanout_done(sz_tool *t)
{
	struct fanout *f = t->ud;

	sz_dests_free(&f->ds);
	free(f->d);
	free(f->to);
}

static void
fanout_init(sz_tool *t)
{
	struct fanout *f = t->ud;

	f->buffer = DEFAULT_BUFFER;
	f->policy = SZ_FULL_BLOCK;
}

static const sz_tool_def fanout_def = {
	.init = fanout_init,
	.prog = "sz-fanout", .usage = usage, .longopts = longopts,
	.proc = &fanout_proc, .option = fanout_option,
	.start = fanout_start, .done = fanout_done,
};

SZ_TOOL_MAIN(fanout_def, struct fanout)
