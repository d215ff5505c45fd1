/* SPDX-License-Identifier: MIT */
/*
 * sz-unbatch - write each element of an array record as a record of its
 * own, with the element's own bytes (streamz Unbatcher, Flatten); the
 * inverse of sz-batch.
 */
#include <string.h>

#include "json/json.h"
#include "run/tool.h"

struct unbatch {
	int strict;		/* a record that is not an array is bad */
	uint64_t arrays;	/* array records read */
	uint64_t passed;	/* other records written unchanged */
};

static const char usage[] =
"Usage: sz-unbatch [OPTION]... [FILE]...\n"
"Write each element of each NDJSON array record as a record, with its own\n"
"bytes; write other records unchanged.\n"
"\n"
"      --strict           a record that is not an array is bad input\n";

enum { OPT_STRICT = SZ_OPT_TOOL };

static const struct option longopts[] = {
	{ "strict", no_argument, NULL, OPT_STRICT },
	{ NULL, 0, NULL, 0 }
};

static int
unbatch_record(sz_tool *t, const sz_rec *r)
{
	struct unbatch *u = t->ud;
	const char *p = r->p, *end = r->p + r->n;

	p = sz_json_ws(p, end);
	if (*p != '[') {
		if (u->strict)
			return sz_bad(t, r, "validation", 1, "not an array "
			    "(%s)", sz_jtype_name(sz_json_type(p, end)));
		u->passed++;
		return sz_emit(t, r->p, r->n);
	}
	u->arrays++;
	/* The runtime's validation listed the elements: no second walk. */
	const sz_jindex *ix = r->ix;
	if (ix != NULL && ix->el_ok) {
		for (size_t i = 0; i < ix->nel; i++)
			if (sz_emit(t, r->p + ix->el[2 * i],
			    ix->el[2 * i + 1]) < 0)
				return -1;
		return 0;
	}
	p = sz_json_ws(p + 1, end);
	if (*p == ']')
		return 0;
	for (;;) {
		const char *e = sz_json_skip(p, end);

		if (sz_emit(t, p, (size_t)(e - p)) < 0)
			return -1;
		/* A valid array: white space, then ',' or ']'. */
		p = sz_json_ws(e, end);
		if (*p != ',')
			return 0;
		p = sz_json_ws(p + 1, end);
	}
}

static void
unbatch_stats(sz_tool *t, sz_statv *v)
{
	struct unbatch *u = t->ud;

	sz_stat_counter(v, "arrays", u->arrays);
	sz_stat_counter(v, "passed", u->passed);
}

static const sz_proc unbatch_proc = {
	.record = unbatch_record,
	.stats = unbatch_stats,
};

static int
unbatch_option(sz_tool *t, int c)
{
	struct unbatch *u = t->ud;

	u->strict = c == OPT_STRICT;
	return 0;
}

static const sz_tool_def unbatch_def = {
	.prog = "sz-unbatch", .usage = usage, .longopts = longopts,
	.proc = &unbatch_proc, .option = unbatch_option,
};

SZ_TOOL_MAIN(unbatch_def, struct unbatch)
