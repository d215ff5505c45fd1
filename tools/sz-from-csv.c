/* SPDX-License-Identifier: MIT */
/*
 * sz-from-csv - read CSV with libcsv (a push parser, in constant memory)
 * and write each row as one NDJSON object keyed by the header's names.
 *
 * The runtime hands over the raw bytes of each read (sz_proc.chunk);
 * common/csv/csvin.c cuts them into rows with their line numbers and texts.
 * Each FILE has its own header row.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "csv/csvin.h"
#include "csv/csvopt.h"
#include "jq/jvtext.h"
#include "run/tool.h"

struct fromcsv {
	sz_csvin in;
	sz_csvopts csv;		/* -d, --columns, --no-header (with it, the
				   first row does not name the columns) */
	int strings;		/* -S/--strings (--infer: 0, the default) */
	int in_file;		/* a FILE has begun */
	int have_keys;		/* keys known for the current FILE */
	sz_buf keys;		/* "name1":,"name2":,... (key i with the
				   comma that goes before it) */
	size_t *kend;		/* key i ends at keys.p[kend[i]] */
	size_t nkeys, akeys;
	sz_buf out;		/* the record being built */
};

static const char usage[] =
"Usage: sz-from-csv [OPTION]... [FILE]...\n"
"Read CSV (RFC 4180) and write each row as one NDJSON object whose keys\n"
"are the names in the header row, in column order. An unquoted field that\n"
"is a JSON number is a number (as spelled; only if jq keeps its value),\n"
"true and false are booleans, an empty one is null; every other field,\n"
"and every quoted one, is a string.\n"
"\n"
"  -d, --delimiter=C      field delimiter (default ','; '\\t' for TSV)\n"
"      --columns=A,B,...  name the columns (renames the header's)\n"
"      --no-header        the first row is data; the keys are the\n"
"                         --columns names or 1, 2, ...\n"
"  -S, --strings          every value is a string (\"\" when empty)\n"
"      --infer            infer types as described above (the default)\n";

enum { OPT_INFER = SZ_OPT_TOOL, OPT_STRINGS = 'S' };

static const struct option longopts[] = {
	SZ_CSV_LONGOPTS,
	{ "infer", no_argument, NULL, OPT_INFER },
	{ "strings", no_argument, NULL, OPT_STRINGS },
	{ NULL, 0, NULL, 0 }
};

/* ---- keys ---------------------------------------------------------- */

/* Add the key for a column named s[0..n): a JSON string and a colon,
 * after a comma if it is not the first. */
static int
add_key(struct fromcsv *f, const char *s, size_t n)
{
	if (f->nkeys == f->akeys) {
		size_t na = f->akeys ? 2 * f->akeys : 32;
		size_t *ne = realloc(f->kend, na * sizeof(*ne));

		if (ne == NULL)
			return -1;
		f->kend = ne;
		f->akeys = na;
	}
	if ((f->nkeys > 0 && sz_buf_addc(&f->keys, ',') != 0) ||
	    sz_buf_add_jstr(&f->keys, s, n) != 0 ||
	    sz_buf_addc(&f->keys, ':') != 0)
		return -1;
	f->kend[f->nkeys++] = f->keys.len;
	return 0;
}

static void
reset_keys(struct fromcsv *f)
{
	sz_buf_reset(&f->keys);
	f->nkeys = 0;
	f->have_keys = 0;
}

/* Keys from --columns. */
static int
keys_from_columns(struct fromcsv *f)
{
	for (size_t i = 0; i < f->csv.cols.n; i++)
		if (add_key(f, f->csv.cols.name[i], f->csv.cols.len[i]) != 0)
			return -1;
	return 0;
}

/* Keys 1, 2, ..., n. */
static int
keys_numbered(struct fromcsv *f, size_t n)
{
	char num[32];

	for (size_t i = 0; i < n; i++) {
		int k = snprintf(num, sizeof(num), "%zu", i + 1);

		if (add_key(f, num, (size_t)k) != 0)
			return -1;
	}
	return 0;
}

struct name {
	const char *p;
	size_t n;
	size_t col;
};

static int
name_cmp(const void *a, const void *b)
{
	const struct name *x = a, *y = b;
	size_t n = x->n < y->n ? x->n : y->n;
	int k = memcmp(x->p, y->p, n);

	if (k != 0)
		return k;
	if (x->n != y->n)
		return x->n < y->n ? -1 : 1;
	return x->col < y->col ? -1 : 1;
}

/*
 * Check the header row: every name non-empty and unique. Appends what is
 * wrong to msg (empty when the header is good). Returns 0, -1 on memory.
 */
static int
check_header(const sz_csvrow *r, sz_buf *msg)
{
	struct name *v = calloc(r->n, sizeof(*v));
	int rc = 0;

	if (v == NULL)
		return -1;
	for (size_t i = 0; i < r->n; i++) {
		v[i].p = sz_csvrow_field(r, i, &v[i].n);
		v[i].col = i + 1;
		if (v[i].n == 0)
			rc |= sz_buf_printf(msg, "%sempty column name (column "
			    "%zu)", msg->len ? "; " : "", i + 1);
	}
	qsort(v, r->n, sizeof(*v), name_cmp);
	for (size_t i = 0, j; i < r->n; i = j) {
		for (j = i + 1; j < r->n && v[j].n == v[i].n &&
		    memcmp(v[j].p, v[i].p, v[i].n) == 0; j++)
			;
		if (j - i < 2 || v[i].n == 0)
			continue;
		rc |= sz_buf_printf(msg, "%sduplicate column name ",
		    msg->len ? "; " : "");
		rc |= sz_buf_add_jstr(msg, v[i].p, v[i].n);
		rc |= sz_buf_adds(msg, " (columns ");
		for (size_t k = i; k < j; k++)
			rc |= sz_buf_printf(msg, "%s%zu", k > i ? ", " : "",
			    v[k].col);
		rc |= sz_buf_addc(msg, ')');
	}
	free(v);
	return rc ? -1 : 0;
}

/* What is wrong with a row whose quoted field is never closed (its
 * arguments: the sz_csvrow's open_line, open_col, end_line). */
#define OPEN_QUOTE "unterminated quoted field: the quote at line %lu, " \
	"column %zu is not closed; the row runs to the end of the file, " \
	"line %lu"

/* The first row of a file: the header, or the first data row's shape.
 * Returns 1 if the row is data, 0 if it was the header, -1 to stop. */
static int
first_row(sz_tool *t, struct fromcsv *f, const sz_csvrow *r)
{
	int rc;

	reset_keys(f);
	f->have_keys = 1;
	if (!f->csv.header) {
		rc = f->csv.have_cols ? keys_from_columns(f) :
		    keys_numbered(f, r->n);
		return rc < 0 ? sz_fail(t, SZ_EXIT_FAIL, "out of memory") : 1;
	}
	if (r->open_line != 0)
		return sz_fail_at(t, SZ_EXIT_DATA, r->file, r->line, "the "
		    "header has an " OPEN_QUOTE, r->open_line, r->open_col,
		    r->end_line);
	if (f->csv.have_cols) {
		if (r->n != f->csv.cols.n)
			return sz_fail_at(t, SZ_EXIT_DATA, r->file, r->line,
			    "the header has %zu fields, --columns names %zu",
			    r->n, f->csv.cols.n);
		return keys_from_columns(f) < 0 ?
		    sz_fail(t, SZ_EXIT_FAIL, "out of memory") : 0;
	}
	sz_buf_reset(&f->out);
	if (check_header(r, &f->out) < 0)
		return sz_fail(t, SZ_EXIT_FAIL, "out of memory");
	if (f->out.len > 0)
		return sz_fail_at(t, SZ_EXIT_DATA, r->file, r->line, "%s",
		    f->out.p);
	for (size_t i = 0; i < r->n; i++) {
		size_t n;
		const char *s = sz_csvrow_field(r, i, &n);

		if (add_key(f, s, n) != 0)
			return sz_fail(t, SZ_EXIT_FAIL, "out of memory");
	}
	return 0;
}

/* ---- values -------------------------------------------------------- */

/* Append n bytes; the room is checked here, so that the common case costs
 * no call. */
static inline int
put(sz_buf *b, const void *p, size_t n)
{
	if (b->alloc - b->len <= n && sz_buf_reserve(b, n) != 0)
		return -1;
	memcpy(b->p + b->len, p, n);
	b->len += n;
	b->p[b->len] = '\0';
	return 0;
}

/* Append s[0..n) as a JSON string: copied between quotes when nothing in
 * it needs an escape (printable ASCII), else by sz_buf_add_jstr. */
static int
put_jstr(sz_buf *b, const char *s, size_t n)
{
	/* Bytes that are copied as they are: printable ASCII but '"', '\\'. */
	static const unsigned char plain[256] = {
		[0x20] = 1, 1, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
		1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
		1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
		1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 1, 1, 1,
		1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
		1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	};
	const unsigned char *u = (const unsigned char *)s;
	size_t i = 0;

	while (i < n && plain[u[i]])
		i++;
	if (i < n || n > SIZE_MAX - 3)
		return sz_buf_add_jstr(b, s, n);
	if (b->alloc - b->len <= n + 2 && sz_buf_reserve(b, n + 2) != 0)
		return -1;
	b->p[b->len] = '"';
	memcpy(b->p + b->len + 1, s, n);
	b->len += n + 2;
	b->p[b->len - 1] = '"';
	b->p[b->len] = '\0';
	return 0;
}

static int
digits(const char *s, size_t n, size_t *i)
{
	size_t i0 = *i;

	while (*i < n && s[*i] >= '0' && s[*i] <= '9')
		(*i)++;
	return *i > i0;
}

/* Is s[0..n) exactly a JSON number (as sz_json_validate reads one)? */
static int
is_number(const char *s, size_t n)
{
	size_t i = 0;

	if (i < n && s[i] == '-')
		i++;
	if (i < n && s[i] == '0')
		i++;
	else if (!(i < n && s[i] >= '1' && s[i] <= '9') || !digits(s, n, &i))
		return 0;
	if (i < n && s[i] == '.') {
		i++;
		if (!digits(s, n, &i))
			return 0;
	}
	if (i < n && (s[i] == 'e' || s[i] == 'E')) {
		i++;
		if (i < n && (s[i] == '+' || s[i] == '-'))
			i++;
		if (!digits(s, n, &i))
			return 0;
	}
	return i == n;
}

/* Append field i of r as a JSON value. */
static int
add_value(struct fromcsv *f, const sz_csvrow *r, size_t i)
{
	size_t n;
	const char *s = sz_csvrow_field(r, i, &n);

	if (!f->strings && !r->quoted[i]) {
		if (n == 0)
			return put(&f->out, "null", 4);
		/* A number whose value jq would change (too many digits, out
		 * of range) stays a string: every tool then sees the value
		 * the field spells. */
		if ((n == 4 && memcmp(s, "true", 4) == 0) ||
		    (n == 5 && memcmp(s, "false", 5) == 0) ||
		    (is_number(s, n) && sz_jv_num_kept(s, n)))
			return put(&f->out, s, n);
	}
	return put_jstr(&f->out, s, n);
}

/* ---- callbacks ----------------------------------------------------- */

/* A row from csvin: the header, a record, or bad input. */
static int
fromcsv_row(void *ud, const sz_csvrow *r)
{
	sz_tool *t = ud;
	struct fromcsv *f = t->ud;
	int rc = 0;

	if (!f->have_keys && (rc = first_row(t, f, r)) <= 0)
		return rc;
	t->st.in++;
	if (r->open_line != 0) {
		sz_rec rec = { r->raw, r->rawlen, r->file, r->line, NULL };

		return sz_bad(t, &rec, "parse", 0, OPEN_QUOTE, r->open_line,
		    r->open_col, r->end_line);
	}
	if (r->n != f->nkeys) {
		sz_rec rec = { r->raw, r->rawlen, r->file, r->line, NULL };

		return sz_bad(t, &rec, "parse", 0, "row has %zu field%s, "
		    "expected %zu", r->n, r->n == 1 ? "" : "s", f->nkeys);
	}
	sz_buf_reset(&f->out);
	rc = put(&f->out, "{", 1);
	for (size_t i = 0; i < r->n; i++) {
		size_t b = i ? f->kend[i - 1] : 0;

		rc |= put(&f->out, f->keys.p + b, f->kend[i] - b);
		rc |= add_value(f, r, i);
	}
	rc |= put(&f->out, "}", 1);
	if (rc)
		return sz_fail(t, SZ_EXIT_FAIL, "out of memory");
	return sz_emit(t, f->out.p, f->out.len);
}

/* Bytes of a FILE (eof: its end). */
static int
fromcsv_chunk(sz_tool *t, const char *p, size_t n, const char *file, int eof)
{
	struct fromcsv *f = t->ud;
	int rc;

	if (!f->in_file) {
		const char *hint = sz_compressed_hint(p, n);

		sz_csvin_file(&f->in, file);
		f->in_file = 1;
		f->have_keys = 0;
		if (hint != NULL) {	/* not CSV: no row of it is right */
			t->st.bytes_in += n;
			t->st.in++;
			t->st.errors++;
			return sz_fail_at(t, SZ_EXIT_DATA, file, 1, "%s", hint);
		}
	}
	t->st.bytes_in += n;
	rc = eof ? sz_csvin_finish(&f->in) : sz_csvin_feed(&f->in, p, n);
	if (eof)
		f->in_file = 0;
	switch (rc) {
	case SZ_CSV_OK:
		return 0;
	case SZ_CSV_TOOLONG:
		t->st.in++;
		t->st.errors++;
		return sz_fail_at(t, SZ_EXIT_DATA, file, f->in.line_err,
		    "record longer than --max-record (%zu bytes)",
		    t->o.max_record);
	case SZ_CSV_NOMEM:
		return sz_fail(t, SZ_EXIT_FAIL, "out of memory");
	default:
		return -1;	/* stopped: the status is set */
	}
}

static const sz_proc fromcsv_proc = {
	.chunk = fromcsv_chunk,
	.raw = 1,
};

static int
fromcsv_option(sz_tool *t, int c)
{
	struct fromcsv *f = t->ud;

	if (sz_csv_opt(&f->csv, c, optarg, t->o.err, sizeof(t->o.err)) < 0)
		return '?';
	if (c == OPT_INFER || c == OPT_STRINGS)
		f->strings = c == OPT_STRINGS;	/* the last one given wins */
	return 0;
}

static int
fromcsv_start(sz_tool *t)
{
	struct fromcsv *f = t->ud;

	if (sz_csvin_init(&f->in, f->csv.delim, t->o.max_record, !f->strings,
	    fromcsv_row, t) < 0) {
		sz_msg(t, "error", NULL, 0, "out of memory");
		return SZ_EXIT_FAIL;
	}
	return -1;
}

static void
fromcsv_done(sz_tool *t)
{
	struct fromcsv *f = t->ud;

	sz_csvin_free(&f->in);
	sz_csvopts_free(&f->csv);
	sz_buf_free(&f->keys);
	sz_buf_free(&f->out);
	free(f->kend);
}

static void
fromcsv_init(sz_tool *t)
{
	struct fromcsv *f = t->ud;

	sz_csvopts_init(&f->csv);
}

static const sz_tool_def fromcsv_def = {
	.init = fromcsv_init,
	.prog = "sz-from-csv", .usage = usage, .shortopts = "d:S",
	.longopts = longopts, .proc = &fromcsv_proc, .option = fromcsv_option,
	.start = fromcsv_start, .done = fromcsv_done,
};

SZ_TOOL_MAIN(fromcsv_def, struct fromcsv)
