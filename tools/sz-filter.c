/* SPDX-License-Identifier: MIT */
/*
 * sz-filter - write, byte for byte, the records for which a jq
 * expression yields a value that is neither false nor null (streamz
 * Filter; with --rejects, Split).
 */
#include <string.h>

#include "jq/expr.h"
#include "run/tool.h"

struct filter {
	sz_expr e;
	int invert;		/* -v */
	sz_out rejects;		/* --rejects=FILE */
	int have_rejects;
	uint64_t rejected;
};

static const char usage[] =
"Usage: sz-filter [OPTION]... EXPR [FILE]...\n"
"Write each NDJSON record for which the jq expression EXPR yields a value\n"
"other than false and null, unchanged.\n"
"\n"
"  -v, --invert           write the records EXPR does not select\n"
"      --rejects=FILE     write the records not written to stdout to FILE\n"
"      --no-fast          always evaluate EXPR with libjq\n"
SZ_JQ_HELP;

enum { OPT_REJECTS = SZ_OPT_TOOL, OPT_NOFAST };

static const struct option longopts[] = {
	{ "invert", no_argument, NULL, 'v' },
	{ "rejects", required_argument, NULL, OPT_REJECTS },
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
	if (f->have_rejects) {
		f->rejected++;
		return sz_emit_to(t, &f->rejects, r->p, r->n);
	}
	t->st.dropped++;
	return 0;
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

int
main(int argc, char **argv)
{
	struct filter f;
	sz_tool t;
	sz_jqvars vars;
	sz_buf err = SZ_BUF_INIT;
	const char *rejects = NULL;
	int c, fast = 1, rc;

	memset(&f, 0, sizeof(f));
	sz_tool_init(&t, "sz-filter");
	sz_jqvars_init(&vars);
	while ((c = sz_jq_getopt(&t.o, &vars, argc, argv, "v",
	    longopts)) != -1 && c != '?') {
		switch (c) {
		case 'v':
			f.invert = 1;
			break;
		case OPT_REJECTS:
			rejects = optarg;
			break;
		case OPT_NOFAST:
			fast = 0;
			break;
		}
	}
	if ((rc = sz_tool_options_done(&t, c, usage)) >= 0)
		goto out;
	if (optind >= argc) {
		rc = sz_usage(&t, "missing EXPR");
		goto out;
	}
	if (sz_expr_compile(&f.e, argv[optind], &vars, fast, &err) < 0) {
		rc = sz_usage(&t, "cannot compile EXPR '%s':\n%s", argv[optind],
		    err.p);
		goto out;
	}
	optind++;
	if (rejects != NULL) {
		if ((rc = sz_tool_open(&t, &f.rejects, "--rejects", rejects,
		    0)) != 0)
			goto out;
		f.have_rejects = 1;
	}
	rc = sz_tool_run(&t, &filter_proc, &f, argc - optind, argv + optind);
out:
	sz_expr_free(&f.e);
	sz_jqvars_free(&vars);
	sz_buf_free(&err);
	return rc;
}
