/* SPDX-License-Identifier: MIT */
/*
 * sz-map - run a jq program on each record and write each output as one
 * compact JSON line; jq's output options (-r, --join-output, -S, -e) and
 * its -n and -s.
 *
 * This file: the options, the run on one thread and -s; out.c: the output
 * options; jobs.c: -j N workers. A record that fails yields no output;
 * under --on-error=fail nothing of a later record is written.
 */
#include <errno.h>
#include <string.h>

#include "map.h"

/* --max-bytes: the most that -s holds, by default. */
#define SLURP_MAX ((uint64_t)256 * 1024 * 1024)

static const char usage[] =
"Usage: sz-map [OPTION]... EXPR [FILE]...\n"
"Run the jq program EXPR on each NDJSON record and write each of its\n"
"outputs as one compact JSON line; a record with no output is dropped.\n"
"\n"
"  -r, --raw-output       write a string output as its text, not as JSON\n"
"      --join-output      as -r, and no newline after each output\n"
"  -c, --compact-output   accepted for jq's sake (output is always compact)\n"
"  -S, --sort-keys        write the keys of objects in sorted order\n"
"  -e, --exit-status      exit 1 if the last record's last output is false\n"
"                         or null, 4 if it has no output\n"
"  -n, --null-input       run EXPR once with null as its input; read no input\n"
"  -s, --slurp            run EXPR once on an array of all the records\n"
"                         (held in memory: not streaming)\n"
"      --max-bytes=SIZE   with -s, the most input held (default 256MiB);\n"
"                         more is bad input (exit 65)\n"
"  -j, --jobs=N           run N workers (default 1), keeping input order\n"
"      --unordered        with -j, write results as they finish\n"
"      --no-fast          always evaluate EXPR with libjq\n"
SZ_JQ_HELP;

enum {
	OPT_UNORDERED = SZ_OPT_TOOL, OPT_NOFAST, OPT_JOIN, OPT_MAXBYTES
};

static const struct option longopts[] = {
	{ "jobs", required_argument, NULL, 'j' },
	{ "unordered", no_argument, NULL, OPT_UNORDERED },
	{ "no-fast", no_argument, NULL, OPT_NOFAST },
	{ "raw-output", no_argument, NULL, 'r' },
	{ "join-output", no_argument, NULL, OPT_JOIN },
	{ "compact-output", no_argument, NULL, 'c' },
	{ "sort-keys", no_argument, NULL, 'S' },
	{ "exit-status", no_argument, NULL, 'e' },
	{ "null-input", no_argument, NULL, 'n' },
	{ "slurp", no_argument, NULL, 's' },
	{ "max-bytes", required_argument, NULL, OPT_MAXBYTES },
	SZ_JQ_LONGOPTS,
	{ NULL, 0, NULL, 0 }
};

/* ---- one thread ---------------------------------------------------- */

static int
map_record(sz_tool *t, const sz_rec *r)
{
	struct map *m = t->ud;
	sz_rec nr = *r;
	uint64_t hn = 0;
	int est = 0;
	long k;

	if (m->null_input)
		nr.file = NULL;	/* input_filename is null, as in jq -n */
	sz_buf_reset(&m->out);
	k = map_run_one(&m->f, &m->e, &m->fb, &nr, &m->out, &hn, &est);
	if (k == RUN_NOMEM)
		return sz_fail(t, SZ_EXIT_FAIL, "out of memory");
	if (k < 0 && m->e.jq.halted) {
		/* jq writes what came before the halt */
		if (sz_emit_lines(t, m->out.p, m->out.len, hn) < 0)
			return -1;
		return sz_expr_bad(t, r, &m->e, NULL);
	}
	if (k < 0)
		return sz_expr_bad(t, r, &m->e, NULL);
	if (k == 0)
		t->st.dropped++;
	if (m->f.exit_status)
		t->exit_ok = est;
	return sz_emit_lines(t, m->out.p, m->out.len, (uint64_t)k);
}

/* -s: the records joined into one array, at most --max-bytes of it. */
static int
slurp_record(sz_tool *t, const sz_rec *r)
{
	struct map *m = t->ud;

	if (m->all.len + r->n + 2 > m->max_bytes) {
		t->st.errors++;
		return sz_fail(t, SZ_EXIT_DATA, "%s:%lu: -s: the input is "
		    "larger than --max-bytes (%llu bytes)", r->file, r->line,
		    (unsigned long long)m->max_bytes);
	}
	if (sz_buf_addc(&m->all, m->all.len ? ',' : '[') < 0 ||
	    sz_buf_add(&m->all, r->p, r->n) < 0)
		return sz_fail(t, SZ_EXIT_FAIL, "out of memory");
	m->last_file = r->file;
	m->last_line = r->line;
	return 0;
}

/* -s at the end of input: the program runs on the array (named by the
 * last record's place, as jq does); not after a failure that stopped the
 * input or a signal. */
static int
slurp_end(sz_tool *t)
{
	struct map *m = t->ud;
	sz_rec r = { NULL, 0, m->last_file ? m->last_file : "<stdin>",
	    m->last_line, NULL };

	if (t->stopping || t->halted)
		return 0;	/* a failure, a signal (a FILE not found is not) */
	if (sz_buf_adds(&m->all, m->all.len ? "]" : "[]") < 0) {
		sz_fail(t, SZ_EXIT_FAIL, "out of memory");
		return 0;
	}
	r.p = m->all.p;
	r.n = m->all.len;
	(void)map_record(t, &r);
	return 0;
}

void
map_stats(sz_tool *t, sz_statv *v)
{
	struct map *m = t->ud;

	sz_stat_gauge(v, "jobs", (uint64_t)m->jobs);
	sz_stat_flag(v, "fast", sz_expr_is_fast(&m->e));
}

static const sz_proc map_proc = {
	.record = map_record,
	.stats = map_stats,
};

static const sz_proc slurp_proc = {
	.record = slurp_record,
	.end = slurp_end,
	.stats = map_stats,
};

static int
map_option(sz_tool *t, int c)
{
	struct map *m = t->ud;

	switch (c) {
	case 'j':
		return sz_opt_count(&t->o, "--jobs", 1, 256, &m->njobs);
	case OPT_UNORDERED:
		m->unordered = 1;
		break;
	case OPT_NOFAST:
		m->fast = 0;
		break;
	case 'r':
		m->f.raw = 1;
		break;
	case OPT_JOIN:
		m->f.raw = m->f.join = 1;
		break;
	case 'c':
		break;		/* output is compact anyway */
	case 'S':
		m->f.sort = 1;
		break;
	case 'e':
		m->f.exit_status = 1;
		break;
	case 'n':
		m->null_input = 1;
		break;
	case 's':
		m->slurp = 1;
		break;
	case OPT_MAXBYTES:
		return sz_opt_size(&t->o, "--max-bytes", &m->max_bytes);
	}
	return 0;
}

/* -n: one record, null, from a source of its own (standard input is not
 * read). */
static int
null_source(sz_tool *t)
{
	sz_source *s = sz_source_fed(&t->src, "<null>");

	if (s == NULL || sz_source_feed(s, "null\n", 5) < 0)
		return -1;
	sz_source_end(s);
	return 0;
}

static int
map_start(sz_tool *t)
{
	struct map *m = t->ud;
	int rc;

	if ((m->src = sz_tool_expr_src(t)) == NULL)
		return sz_usage(t, "missing EXPR");
	if ((rc = sz_tool_compile(t, &m->e, m->src, m->fast, NULL)) >= 0)
		return rc;
	m->vars = &t->vars;
	m->jobs = (int)m->njobs;
	m->f.any = m->f.raw || m->f.sort;
	if (m->null_input) {
		if (t->argc > 0)
			return sz_usage(t, "-n reads no input: FILE operands "
			    "cannot be given");
		m->slurp = 0;	/* as jq: . is null */
		m->jobs = 1;	/* one record */
		if (null_source(t) < 0) {
			sz_msg(t, "error", NULL, 0, "out of memory");
			return SZ_EXIT_FAIL;
		}
	}
	if (m->slurp) {
		m->jobs = 1;	/* one record: nothing to share */
		t->proc = &slurp_proc;
		return -1;
	}
	if (m->jobs == 1)
		return -1;
	if (map_jobs_start(t, m) < 0) {
		sz_msg(t, "error", NULL, 0, "cannot start workers: %s",
		    strerror(errno));
		return SZ_EXIT_FAIL;
	}
	return -1;
}

static void
map_done(sz_tool *t)
{
	struct map *m = t->ud;

	map_jobs_free(m);
	sz_expr_free(&m->e);
	sz_buf_free(&m->out);
	sz_buf_free(&m->all);
	map_fmtbuf_free(&m->fb);
}

static void
map_init(sz_tool *t)
{
	struct map *m = t->ud;

	m->fast = 1;
	m->njobs = 1;
	m->max_bytes = SLURP_MAX;
}

static const sz_tool_def map_def = {
	.init = map_init,
	.prog = "sz-map", .usage = usage, .shortopts = "j:rcSens",
	.longopts = longopts, .jq = 1, .proc = &map_proc,
	.option = map_option, .start = map_start, .done = map_done,
};

SZ_TOOL_MAIN(map_def, struct map)

