/* SPDX-License-Identifier: MIT */
/*
 * sz-filter - write, byte for byte, the records for which a jq
 * expression yields a value that is neither false nor null; with
 * --dropped (formerly --rejects) the others go to a file.
 */
#include <string.h>

#include "jq/expr.h"
#include "run/tool.h"

struct filter {
	sz_expr e;
	int invert;		/* -v */
	int slow;		/* --no-fast */
	const char *dropped_path;
	sz_out dropped;		/* --dropped=FILE (--rejects=FILE) */
	int have_dropped;
	uint64_t rejected;	/* written to it */
};

static const char usage[] =
"Usage: sz-filter [OPTION]... EXPR [FILE]...\n"
"Write each NDJSON record for which the jq expression EXPR yields a value\n"
"other than false and null, unchanged.\n"
"\n"
"  -v, --invert           write the records EXPR does not select\n"
"      --dropped=FILE     write the records not written to stdout to FILE\n"
"      --rejects=FILE     the same as --dropped (its old name)\n"
"      --no-fast          always evaluate EXPR with libjq\n"
SZ_JQ_HELP;

enum { OPT_DROPPED = SZ_OPT_TOOL, OPT_NOFAST };

static const struct option longopts[] = {
	{ "invert", no_argument, NULL, 'v' },
	{ "dropped", required_argument, NULL, OPT_DROPPED },
	{ "rejects", required_argument, NULL, OPT_DROPPED },
	{ "no-fast", no_argument, NULL, OPT_NOFAST },
	SZ_JQ_LONGOPTS,
	{ NULL, 0, NULL, 0 }
};

static int
filter_record(sz_tool *t, const sz_rec *r)
{
	struct filter *f = t->ud;
	int k = sz_expr_test(&f->e, r);

	if (k == SZ_EXPR_ERROR)
		return sz_expr_bad(t, r, &f->e, NULL);
	if (k ^ f->invert)
		return sz_emit(t, r->p, r->n);
	if (f->have_dropped)
		f->rejected++;
	return sz_drop(t, f->have_dropped ? &f->dropped : NULL, r->p, r->n);
}

static void
filter_stats(sz_tool *t, sz_statv *v)
{
	struct filter *f = t->ud;

	sz_stat_counter(v, "rejected", f->rejected);
	sz_stat_flag(v, "fast", sz_expr_is_fast(&f->e));
}

static const sz_proc filter_proc = {
	.record = filter_record,
	.stats = filter_stats,
};

static int
filter_option(sz_tool *t, int c)
{
	struct filter *f = t->ud;

	switch (c) {
	case 'v':
		f->invert = 1;
		break;
	case OPT_DROPPED:
		f->dropped_path = optarg;
		break;
	case OPT_NOFAST:
		f->slow = 1;
		break;
	}
	return 0;
}

static int
filter_start(sz_tool *t)
{
	struct filter *f = t->ud;
	int rc;

	if ((rc = sz_tool_take_expr(t, &f->e, !f->slow)) >= 0)
		return rc;
	if (f->dropped_path != NULL) {
		if ((rc = sz_tool_open(t, &f->dropped, "--dropped",
		    f->dropped_path, 0)) != 0)
			return rc;
		f->have_dropped = 1;
	}
	return -1;
}

static void
filter_done(sz_tool *t)
{
	struct filter *f = t->ud;

	sz_expr_free(&f->e);
}

static const sz_tool_def filter_def = {
	.prog = "sz-filter", .usage = usage, .shortopts = "v",
	.longopts = longopts, .jq = 1, .proc = &filter_proc,
	.option = filter_option, .start = filter_start, .done = filter_done,
};

SZ_TOOL_MAIN(filter_def, struct filter)
