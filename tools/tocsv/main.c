/* SPDX-License-Identifier: MIT */
/*
 * sz-to-csv - write NDJSON objects (and arrays of them) as CSV rows: one
 * column per key of the first records (--header-from), of the whole FILE
 * (--scan) or of --columns, fields quoted only when they must be. A key
 * outside the columns is bad input, or dropped and counted (--extra).
 *
 * A record's members are found on its raw bytes (no parse into values);
 * a hash of the column names, tried after a guess that the keys come in
 * column order, maps each key to its column.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tocsv.h"

static const char usage[] =
"Usage: sz-to-csv [OPTION]... [FILE]...\n"
"Write NDJSON objects as CSV: one column per key of the first record, in\n"
"its order, a header row, then one row per record (an array of objects:\n"
"one row per element). A key that is not a column is bad input.\n"
"\n"
"  -d, --delimiter=C      field delimiter (default ','; '\\t' for TSV)\n"
"      --columns=A,B,...  the columns, in this order\n"
"      --header-from=N    the columns: the keys of the first N records, in\n"
"                         the order first seen (held back until then)\n"
"      --scan             the columns: every key of the FILEs, read once\n"
"                         before (regular files only)\n"
"      --max-bytes=SIZE   bytes of records held by --header-from, and of\n"
"                         column names, at most (default 64MiB)\n"
"      --extra=error|drop\n"
"                         a key that is not a column: error (bad input,\n"
"                         the default) or drop (left out, the rows counted\n"
"                         in \"extra_dropped\")\n"
"      --strict           the same as --extra=error\n"
"      --no-header        write no header row\n"
"      --crlf             end lines with CRLF (RFC 4180), not LF\n";

enum {
	OPT_CRLF = SZ_OPT_TOOL, OPT_STRICT, OPT_EXTRA, OPT_HEADER_FROM,
	OPT_SCAN, OPT_MAXBYTES
};

static const struct option longopts[] = {
	SZ_CSV_LONGOPTS,
	{ "crlf", no_argument, NULL, OPT_CRLF },
	{ "strict", no_argument, NULL, OPT_STRICT },
	{ "extra", required_argument, NULL, OPT_EXTRA },
	{ "header-from", required_argument, NULL, OPT_HEADER_FROM },
	{ "scan", no_argument, NULL, OPT_SCAN },
	{ "max-bytes", required_argument, NULL, OPT_MAXBYTES },
	{ NULL, 0, NULL, 0 }
};

/* ---- holding records back ------------------------------------------ */

/* The columns are known: write the header and the rows held back. */
static int
release(sz_tool *t, struct tocsv *c)
{
	size_t b = 0;
	int rc = 0;

	c->have_cols = 1;
	if (!c->header_done && c->ncols > 0 && write_header(t, c) != 0)
		rc = -1;
	for (size_t i = 0; i < c->nheld && rc == 0; b = c->hend[i++])
		rc = write_rows(t, c, c->held.p + b, c->hend[i] - b, NULL,
		    NULL);
	c->nheld = 0;
	sz_buf_free(&c->held);
	return rc;
}

/* Hold a record back until the columns are known. */
static int
hold(sz_tool *t, struct tocsv *c, const sz_rec *r)
{
	if (c->nheld == c->aheld) {
		size_t na = c->aheld ? 2 * c->aheld : 64;
		size_t *ne = realloc(c->hend, na * sizeof(*ne));

		if (ne == NULL)
			return sz_fail(t, SZ_EXIT_FAIL, "out of memory");
		c->hend = ne;
		c->aheld = na;
	}
	if (sz_buf_add(&c->held, r->p, r->n) != 0)
		return sz_fail(t, SZ_EXIT_FAIL, "out of memory");
	c->hend[c->nheld++] = c->held.len;
	return 0;
}

/* ---- callbacks ----------------------------------------------------- */

static int
tocsv_record(sz_tool *t, const sz_rec *r)
{
	struct tocsv *c = t->ud;
	int rc;

	if ((rc = check_shape(t, r)) != 0)
		return rc < 0 ? -1 : 0;
	if (!c->have_cols) {
		/* The columns are the keys of the first --header-from
		 * records, or of those that fit in --max-bytes; records
		 * without keys ({}, []) before the first key are held
		 * too, so that a header is never empty. */
		if (add_keys(t, c, r->p, r->n, r->ix) != 0)
			return -1;
		if ((++c->nseen < c->header_from || c->ncols == 0) &&
		    c->held.len + r->n <= c->max_bytes)
			return hold(t, c, r);
		if (release(t, c) != 0)
			return -1;
	} else if (!c->extra_drop && *sz_json_ws(r->p, r->p + r->n) == '[' &&
	    (rc = check_extra(t, c, r)) != 0)
		return rc < 0 ? -1 : 0;	/* an array is checked whole first */
	rc = write_rows(t, c, r->p, r->n, r->ix, r);
	return rc < 0 ? -1 : 0;
}

/* End of input (or a stop): the rows held back are written; with
 * --columns or --scan the header is written even when no record came. */
static int
tocsv_end(sz_tool *t)
{
	struct tocsv *c = t->ud;

	if (!c->have_cols && c->nheld > 0)
		release(t, c);
	if (c->have_cols && !c->header_done && t->status == 0)
		write_header(t, c);
	return 0;
}

static void
tocsv_stats(sz_tool *t, sz_statv *v)
{
	struct tocsv *c = t->ud;

	sz_stat_counter(v, "extra_dropped", c->extra_dropped);
}

static const sz_proc tocsv_proc = {
	.record = tocsv_record,
	.end = tocsv_end,
	.stats = tocsv_stats,
};

static int
tocsv_option(sz_tool *t, int ch)
{
	struct tocsv *c = t->ud;

	if (sz_csv_opt(&c->csv, ch, optarg, t->o.err, sizeof(t->o.err)) < 0)
		return '?';
	if (ch == OPT_CRLF)
		c->crlf = 1;
	else if (ch == OPT_STRICT)
		c->extra_drop = 0;
	else if (ch == OPT_EXTRA) {
		if (strcmp(optarg, "error") == 0 || strcmp(optarg, "drop") == 0)
			c->extra_drop = optarg[0] == 'd';
		else
			return sz_opt_fail(&t->o, "--extra: '%s' is not error "
			    "or drop", optarg);
	} else if (ch == OPT_HEADER_FROM) {
		c->header_from_set = 1;
		return sz_opt_count(&t->o, "--header-from", 1, UINT64_MAX,
		    &c->header_from);
	} else if (ch == OPT_SCAN)
		c->scan = 1;
	else if (ch == OPT_MAXBYTES)
		return sz_opt_size(&t->o, "--max-bytes", &c->max_bytes);
	return 0;
}

static int
tocsv_start(sz_tool *t)
{
	struct tocsv *c = t->ud;

	c->special[c->csv.delim] = c->special['"'] = 1;
	c->special['\r'] = c->special['\n'] = 1;
	if (c->csv.have_cols && (c->scan || c->header_from_set))
		return sz_usage(t, "%s: --columns names the columns already",
		    c->scan ? "--scan" : "--header-from");
	if (c->scan && c->header_from_set)
		return sz_usage(t, "--scan and --header-from: give one of "
		    "them");
	if (c->scan) {
		if (t->argc == 0)
			return sz_usage(t, "--scan: standard input cannot be "
			    "read twice: give the records as a FILE, or use "
			    "--header-from=N");
		for (int i = 0; i < t->argc; i++) {
			int rc = scan_file(t, c, t->argv[i]);

			if (rc >= 0)
				return rc;
		}
		c->have_cols = c->ncols > 0;
		return -1;
	}
	for (size_t i = 0; i < c->csv.cols.n; i++)
		if (col_add(c, c->csv.cols.name[i], c->csv.cols.len[i]) != 0) {
			sz_msg(t, "error", NULL, 0, "out of memory");
			return SZ_EXIT_FAIL;
		}
	c->have_cols = c->csv.have_cols;
	return -1;
}

static void
tocsv_done(sz_tool *t)
{
	struct tocsv *c = t->ud;

	sz_csvopts_free(&c->csv);
	sz_buf_free(&c->names);
	sz_buf_free(&c->line);
	sz_buf_free(&c->key);
	sz_buf_free(&c->str);
	sz_buf_free(&c->msg);
	sz_buf_free(&c->held);
	free(c->hend);
	free(c->nend);
	free(c->hash);
	free(c->vp);
	free(c->vn);
}

static void
tocsv_init(sz_tool *t)
{
	struct tocsv *c = t->ud;

	sz_csvopts_init(&c->csv);
	c->header_from = 1;
	c->max_bytes = (uint64_t)64 << 20;
}

static const sz_tool_def tocsv_def = {
	.init = tocsv_init,
	.prog = "sz-to-csv", .usage = usage, .shortopts = "d:",
	.longopts = longopts, .proc = &tocsv_proc, .option = tocsv_option,
	.start = tocsv_start, .done = tocsv_done,
};

SZ_TOOL_MAIN(tocsv_def, struct tocsv)
