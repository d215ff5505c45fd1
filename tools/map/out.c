/* SPDX-License-Identifier: MIT */
/*
 * out.c - sz-map's output options, as jq 1.6's: -r and --join-output
 * write strings as their text, -S sorts the keys of objects, -e takes its
 * status from the outputs. Applied to each record's compact output lines
 * (from the raw-bytes path or libjq alike), in the thread that made them.
 */
#include <string.h>

#include "json/str.h"
#include "map.h"

/* Lines in p[0..n). */
static uint64_t
newlines(const char *p, size_t n)
{
	uint64_t k = 0;

	for (size_t i = 0; i < n; i++)
		k += p[i] == '\n';
	return k;
}

/* -e's status of a record whose k outputs are the lines p[0..n): jq
 * 1.6's: 4 without output, 1 when the last is false or null, else 0. */
static int
exit_of(const char *p, size_t n, long k)
{
	const char *last = p;

	if (k == 0)
		return 4;
	for (size_t i = 0; i + 1 < n; i++)
		if (p[i] == '\n')
			last = p + i + 1;
	n -= (size_t)(last - p);
	return (n == 6 && memcmp(last, "false\n", 6) == 0) ||
	    (n == 5 && memcmp(last, "null\n", 5) == 0);
}

/*
 * Rewrite the compact output lines out[mark..] as -r, --join-output and
 * -S ask, as jq 1.6 writes them: a string's decoded text (what jq's
 * parser makes of it, as sz_json_unescape decodes), and with -S every
 * other output read back and written by libjq's printer with the keys of
 * objects sorted (so the raw-bytes path gives libjq's text too). 0, or
 * -1 when memory ran out.
 */
static int
rewrite(const struct fmt *f, struct fmtbuf *w, sz_buf *out, size_t mark)
{
	const char *p = out->p + mark, *end = out->p + out->len;
	int rc = 0;

	sz_buf_reset(&w->tmp);
	while (p < end && rc == 0) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = (size_t)(nl - p);

		if (f->raw && *p == '"') {
			sz_buf_reset(&w->dec);
			rc |= sz_json_unescape(p, n, &w->dec);
			rc |= sz_buf_add(&w->tmp, w->dec.p, w->dec.len);
		} else if (f->sort) {
			jv v = sz_jq_parse(p, n, &w->jvs);

			if (jv_is_valid(v)) {
				jv s = jv_dump_string(v, JV_PRINT_SORTED);

				rc |= sz_buf_add(&w->tmp, jv_string_value(s),
				    (size_t)jv_string_length_bytes(jv_copy(s)));
				jv_free(s);
			} else {
				jv_free(v);
				rc |= sz_buf_add(&w->tmp, p, n);
			}
		} else
			rc |= sz_buf_add(&w->tmp, p, n);
		if (!f->join)
			rc |= sz_buf_addc(&w->tmp, '\n');
		p = nl + 1;
	}
	if (rc)
		return -1;
	out->len = mark;
	return sz_buf_add(out, w->tmp.p, w->tmp.len);
}

struct rewrite_args {
	const struct fmt *f;
	struct fmtbuf *w;
	sz_buf *out;
	size_t mark;
};

/* rewrite() inside the guard of libjq's faults (its printer's memory). */
static int
rewrite_body(void *ud)
{
	struct rewrite_args *a = ud;

	return rewrite(a->f, a->w, a->out, a->mark);
}

void
map_fmtbuf_free(struct fmtbuf *w)
{
	sz_buf_free(&w->tmp);
	sz_buf_free(&w->dec);
	sz_buf_free(&w->jvs);
	sz_buf_free(&w->err);
}

long
map_run_one(const struct fmt *f, sz_expr *e, struct fmtbuf *w, const sz_rec *r,
    sz_buf *out, uint64_t *halt_outs, int *est)
{
	size_t mark = out->len;
	long k = sz_expr_map(e, r, out);

	if (k < 0 && !e->jq.halted) {
		out->len = mark;	/* a failed record writes nothing */
		return k;
	}
	if (k >= 0)
		*est = exit_of(out->p + mark, out->len - mark, k);
	else
		*halt_outs = newlines(out->p + mark, out->len - mark);
	if (f->any) {
		struct rewrite_args a = { f, w, out, mark };

		/* (e->err keeps a halt's message) */
		sz_buf_reset(&w->err);
		if (sz_jq_protect(&e->jq, rewrite_body, &a, &w->err) != 0) {
			out->len = mark;
			return RUN_NOMEM;
		}
	}
	return k;
}

