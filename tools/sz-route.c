/* SPDX-License-Identifier: MIT */
/*
 * sz-route - send each record, byte for byte, to the destination of the
 * first named route whose jq predicate it matches, or of every one with
 * --all, or else to the default destination (streamz Router and Switch;
 * with |COMMAND destinations, ProcessToSingle).
 *
 * Destinations (files, descriptors, standard output, child commands whose
 * output is merged into ours) and their queues are common/run/dest.c's.
 */
#include <stdlib.h>
#include <string.h>

#include "run/dest.h"
#include "jq/expr.h"
#include "run/tool.h"

#define DEFAULT_BUFFER 1000
#define QUEUE_BYTES ((size_t)64 << 20)

struct route {
	char *name;
	const char *src;	/* the predicate */
	sz_expr e;
	const char *dest;	/* DEST text */
	sz_dest *d;
	uint64_t matched, written, dropped;
};

struct router {
	struct route *r;	/* the routes, then the default one */
	size_t n;		/* routes, not counting the default */
	int all;		/* -a */
	size_t *hits;		/* indices of the routes a record matched */
	size_t cap;		/* of r, hits, onames, odests */
	sz_dests ds;
	/* Options. */
	const char *def;	/* -d DEST */
	uint64_t buffer;	/* --buffer */
	int policy;		/* --when-full */
	int slow;		/* --no-fast */
	char **onames;		/* -o NAME=DEST, in order */
	const char **odests;
	size_t nout;
};

static const char usage[] =
"Usage: sz-route [OPTION]... [FILE]...\n"
"Send each NDJSON record, unchanged, to the destination of the first\n"
"route whose jq predicate it matches (every one with --all), or else to\n"
"the default destination.\n"
"\n"
"  -r, --route NAME=EXPR  a route: records for which EXPR yields a value\n"
"                         other than false and null (repeatable, in order)\n"
"  -o, --output NAME=DEST where the route NAME writes (default: stdout)\n"
"  -a, --all              send a record to every route it matches\n"
"      --default DEST     where records that match no route go (default:\n"
"                         stdout)\n"
"      --buffer N         records queued for each pipe (default 1000)\n"
"      --when-full=block|drop-newest|drop-oldest\n"
"                         block (default), drop-newest or drop-oldest\n"
"      --no-fast          always evaluate predicates with libjq\n"
SZ_JQ_HELP_VARS
"\n"
"DEST: PATH (truncated), >>PATH (appended), &N (open descriptor N), - (stdout)\n"
"or |COMMAND (a child run by /bin/sh reading the records on its stdin; its\n"
"output is merged into stdout line by line).\n";

enum { OPT_BUFFER = SZ_OPT_TOOL, OPT_WHENFULL, OPT_NOFAST, OPT_DEFAULT };

static const struct option longopts[] = {
	{ "route", required_argument, NULL, 'r' },
	{ "output", required_argument, NULL, 'o' },
	{ "all", no_argument, NULL, 'a' },
	{ "default", required_argument, NULL, OPT_DEFAULT },
	{ "buffer", required_argument, NULL, OPT_BUFFER },
	{ "when-full", required_argument, NULL, OPT_WHENFULL },
	{ "no-fast", no_argument, NULL, OPT_NOFAST },
	SZ_JQ_LONGOPTS,
	{ NULL, 0, NULL, 0 }
};

static int
route_record(sz_tool *t, const sz_rec *r)
{
	struct router *ro = t->ud;
	size_t nhits = 0;

	/* Decide first, then deliver: an error leaves nothing half sent. */
	for (size_t i = 0; i < ro->n; i++) {
		int k = sz_expr_test(&ro->r[i].e, r);

		if (k == SZ_EXPR_ERROR) {
			char what[160];

			snprintf(what, sizeof(what), "route %s", ro->r[i].name);
			return sz_expr_bad(t, r, &ro->r[i].e, what);
		}
		if (k == SZ_EXPR_TRUE) {
			ro->hits[nhits++] = i;
			if (!ro->all)
				break;
		}
	}
	if (nhits == 0)
		ro->hits[nhits++] = ro->n;	/* the default route */
	for (size_t h = 0; h < nhits; h++) {
		struct route *rt = &ro->r[ro->hits[h]];

		rt->matched++;
		if (sz_dest_put(&ro->ds, rt->d, r, (uint32_t)ro->hits[h]) < 0)
			return -1;
	}
	return 0;
}

static int
route_end(sz_tool *t)
{
	struct router *ro = t->ud;

	return sz_dests_end(&ro->ds);
}

static void
route_idle(sz_tool *t)
{
	struct router *ro = t->ud;

	sz_dests_idle(&ro->ds);
}

static void
route_child(sz_tool *t)
{
	struct router *ro = t->ud;

	sz_dests_child(&ro->ds);
}

static void
add_counts(sz_statv *v, const struct route *rt)
{
	sz_stat_counter(v, "matched", rt->matched);
	sz_stat_counter(v, "written", rt->written);
	sz_stat_counter(v, "dropped", rt->dropped);
}

static void
route_stats(sz_tool *t, sz_statv *v)
{
	struct router *ro = t->ud;

	sz_stat_group(v, "routes", "route");
	for (size_t i = 0; i < ro->n; i++) {
		sz_stat_member(v, ro->r[i].name);
		add_counts(v, &ro->r[i]);
	}
	sz_stat_group(v, "default", NULL);
	add_counts(v, &ro->r[ro->n]);
	sz_stat_group(v, NULL, NULL);
	sz_stat_counter(v, "merged", ro->ds.merged);
}

static void
on_written(void *ud, uint32_t tag)
{
	struct router *ro = ud;

	ro->r[tag].written++;
}

static void
on_dropped(void *ud, uint32_t tag)
{
	struct router *ro = ud;

	ro->r[tag].dropped++;
}

static const sz_proc route_proc = {
	.record = route_record,
	.end = route_end,
	.idle = route_idle,
	.child = route_child,
	.stats = route_stats,
};

/* ---- setting up ---------------------------------------------------------- */

/* Split "NAME=VALUE" at the first '='; 0, or -1 with a usage message. */
static int
split(sz_tool *t, const char *opt, const char *arg, char **name,
    const char **value)
{
	const char *eq = strchr(arg, '=');

	if (eq == NULL || eq == arg) {
		snprintf(t->o.err, sizeof(t->o.err), "%s: '%s' is not "
		    "NAME=%s", opt, arg, strcmp(opt, "--route") == 0 ?
		    "EXPR" : "DEST");
		return -1;
	}
	if ((*name = strndup(arg, (size_t)(eq - arg))) == NULL) {
		snprintf(t->o.err, sizeof(t->o.err), "out of memory");
		return -1;
	}
	*value = eq + 1;
	return 0;
}

static struct route *
find_route(struct router *ro, const char *name)
{
	for (size_t i = 0; i < ro->n; i++)
		if (strcmp(ro->r[i].name, name) == 0)
			return &ro->r[i];
	return NULL;
}

/* "route a", "routes a, b", "the default route", ...: every route that
 * writes to DEST text. */
static char *
label_of(struct router *ro, const char *text)
{
	sz_buf b = SZ_BUF_INIT;
	size_t n = 0;

	for (size_t i = 0; i < ro->n; i++)
		n += strcmp(ro->r[i].dest, text) == 0;
	sz_buf_adds(&b, n > 1 ? "routes " : n == 1 ? "route " : "");
	for (size_t i = 0, k = 0; i < ro->n; i++)
		if (strcmp(ro->r[i].dest, text) == 0)
			sz_buf_printf(&b, "%s%s", k++ ? ", " : "", ro->r[i].name);
	if (strcmp(ro->r[ro->n].dest, text) == 0)
		sz_buf_adds(&b, n > 0 ? " and the default route" :
		    "the default route");
	return b.p;
}

/* Open every destination; 0 or the exit status. */
static int
open_dests(sz_tool *t, struct router *ro)
{
	char err[1024];

	for (size_t i = 0; i <= ro->n; i++) {
		struct route *rt = &ro->r[i];
		char *label = label_of(ro, rt->dest);
		int use;

		if (label == NULL) {
			sz_msg(t, "error", NULL, 0, "out of memory");
			return SZ_EXIT_FAIL;
		}
		rt->d = sz_dests_add(&ro->ds, rt->dest, label, NULL, err,
		    sizeof(err), &use);
		if (rt->d == NULL) {
			if (use)
				sz_usage(t, "%s: %s", i < ro->n ? "--output" :
				    "--default", err);
			else
				sz_msg(t, "error", NULL, 0, "%s: %s", label, err);
			free(label);
			return use ? SZ_EXIT_USAGE : SZ_EXIT_FAIL;
		}
		free(label);
	}
	return 0;
}

/* Room for one more route (and the default after it) and one more
 * --output; 0, or '?' with a usage message. */
static int
room(sz_tool *t, struct router *ro)
{
	if (ro->n + 2 > ro->cap || ro->nout + 1 > ro->cap) {
		size_t nc = ro->cap ? 2 * ro->cap : 8;
		struct route *r = realloc(ro->r, nc * sizeof(*r));

		if (r != NULL)
			ro->r = r;
		size_t *h = realloc(ro->hits, nc * sizeof(*h));
		if (h != NULL)
			ro->hits = h;
		char **on = realloc(ro->onames, nc * sizeof(*on));
		if (on != NULL)
			ro->onames = on;
		const char **od = realloc(ro->odests, nc * sizeof(*od));
		if (od != NULL)
			ro->odests = od;
		if (r == NULL || h == NULL || on == NULL || od == NULL)
			return sz_opt_fail(&t->o, "out of memory");
		memset(ro->r + ro->cap, 0, (nc - ro->cap) * sizeof(*r));
		ro->cap = nc;
	}
	return 0;
}

/* -r NAME=EXPR: a new route, in order. */
static int
add_route(sz_tool *t, struct router *ro)
{
	char *name;
	const char *value;

	if (room(t, ro) != 0 || split(t, "--route", optarg, &name,
	    &value) < 0)
		return '?';
	if (find_route(ro, name) != NULL) {
		sz_opt_fail(&t->o, "--route: route '%s' is declared twice",
		    name);
		free(name);
		return '?';
	}
	ro->r[ro->n].name = name;
	ro->r[ro->n].src = value;
	ro->r[ro->n++].dest = "-";
	return 0;
}

/* -o NAME=DEST: where a route (declared before or after) writes. */
static int
add_output(sz_tool *t, struct router *ro)
{
	char *name;
	const char *value;
	int rc = 0;

	if (room(t, ro) != 0 || split(t, "--output", optarg, &name,
	    &value) < 0)
		return '?';
	for (size_t i = 0; i < ro->nout; i++)
		if (strcmp(ro->onames[i], name) == 0)
			rc = sz_opt_fail(&t->o, "--output: route '%s' has "
			    "two outputs", name);
	ro->onames[ro->nout] = name;
	ro->odests[ro->nout++] = value;
	return rc;
}

static int
route_option(sz_tool *t, int c)
{
	struct router *ro = t->ud;

	switch (c) {
	case 'r':
		return add_route(t, ro);
	case 'o':
		return add_output(t, ro);
	case 'a':
		ro->all = 1;
		break;
	case OPT_DEFAULT:
		ro->def = optarg;
		break;
	case OPT_BUFFER:
		return sz_opt_count(&t->o, "--buffer", 1, 100000000,
		    &ro->buffer);
	case OPT_WHENFULL:
		return sz_opt_when_full(&t->o, &ro->policy);
	case OPT_NOFAST:
		ro->slow = 1;
		break;
	}
	return 0;
}

static int
route_start(sz_tool *t)
{
	struct router *ro = t->ud;
	char opt[256];
	int rc;

	if (t->vars.prog != NULL)
		return sz_usage(t, "--from-file: sz-route has no EXPR of its "
		    "own; give each predicate with --route NAME=EXPR");
	if (room(t, ro) != 0)
		return sz_usage(t, "%s", t->o.err);
	for (size_t i = 0; i < ro->nout; i++) {
		struct route *rt = find_route(ro, ro->onames[i]);

		if (rt == NULL)
			return sz_usage(t, "--output: no route named '%s' "
			    "(declare it with --route)", ro->onames[i]);
		rt->dest = ro->odests[i];
	}
	ro->r[ro->n].name = "default";
	ro->r[ro->n].dest = ro->def;
	for (size_t i = 0; i < ro->n; i++) {
		snprintf(opt, sizeof(opt), "route %s", ro->r[i].name);
		if ((rc = sz_tool_compile(t, &ro->r[i].e, ro->r[i].src,
		    !ro->slow, opt)) >= 0)
			return rc;
	}
	sz_dests_init(&ro->ds, t, (size_t)ro->buffer, QUEUE_BYTES,
	    ro->policy, &(sz_dest_hooks){ on_written, on_dropped, ro });
	return (rc = open_dests(t, ro)) != 0 ? rc : -1;
}

static void
route_done(sz_tool *t)
{
	struct router *ro = t->ud;

	sz_dests_free(&ro->ds);
	for (size_t i = 0; i < ro->n; i++) {
		sz_expr_free(&ro->r[i].e);
		free(ro->r[i].name);
	}
	for (size_t i = 0; i < ro->nout; i++)
		free(ro->onames[i]);
	free(ro->onames);
	free(ro->odests);
	free(ro->r);
	free(ro->hits);
}

static void
route_init(sz_tool *t)
{
	struct router *ro = t->ud;

	ro->def = "-";
	ro->buffer = DEFAULT_BUFFER;
	ro->policy = SZ_FULL_BLOCK;
	/* -d was --default: in sz it is only --delimiter now. */
	t->o.moved_short = 'd';
	t->o.moved_hint = "use --default; -d is only --delimiter, in the CSV "
	    "tools";
}

static const sz_tool_def route_def = {
	.init = route_init,
	.prog = "sz-route", .usage = usage, .shortopts = "r:o:a",
	.longopts = longopts, .jq = 1, .proc = &route_proc,
	.option = route_option, .start = route_start, .done = route_done,
};

SZ_TOOL_MAIN(route_def, struct router)
