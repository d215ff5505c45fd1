/* SPDX-License-Identifier: MIT */
/* jqx.c - libjq glue: compile, run, messages; see jqx.h. */
#include <string.h>

#include "jqx.h"
#include "jvtext.h"

void
sz_jqvars_init(sz_jqvars *v)
{
	v->named = jv_object();
}

void
sz_jqvars_free(sz_jqvars *v)
{
	jv_free(v->named);
	v->named = jv_null();
}

int
sz_jqvars_option(sz_jqvars *v, sz_opts *o, int c, int argc, char **argv)
{
	const char *opt, *val;
	jv x;

	if (c != SZ_OPT_ARG && c != SZ_OPT_ARGJSON)
		return 0;
	opt = c == SZ_OPT_ARG ? "--arg" : "--argjson";
	if ((val = sz_opts_second(o, argc, argv, opt)) == NULL)
		return -1;
	if (c == SZ_OPT_ARG)
		x = jv_string(val);
	else {
		x = jv_parse(val);
		if (!jv_is_valid(x)) {
			jv_free(x);
			snprintf(o->err, sizeof(o->err),
			    "--argjson %s: invalid JSON text '%s'", optarg, val);
			return -1;
		}
	}
	v->named = jv_object_set(v->named, jv_string(optarg), x);
	return 1;
}

int
sz_jq_getopt(sz_opts *o, sz_jqvars *v, int argc, char **argv,
    const char *shortopts, const struct option *longopts)
{
	int c, k;

	while ((c = sz_opts_getopt(o, argc, argv, shortopts, longopts)) != -1 &&
	    c != '?') {
		if ((k = sz_jqvars_option(v, o, c, argc, argv)) == 0)
			return c;
		if (k < 0)
			return '?';
	}
	return c;
}

/* jq's message callback while compiling: collect the texts. */
static void
collect(void *ud, jv msg)
{
	sz_jq *q = ud;

	if (q->errs == NULL) {
		jv_free(msg);
		return;
	}
	if (jv_get_kind(msg) != JV_KIND_STRING)
		msg = jv_dump_string(msg, 0);
	if (q->errs->len)
		sz_buf_addc(q->errs, '\n');
	sz_buf_adds(q->errs, jv_string_value(msg));
	jv_free(msg);
}

int
sz_jq_compile(sz_jq *q, const char *expr, const sz_jqvars *v, sz_buf *err)
{
	jv named = v ? jv_copy(v->named) : jv_object();
	jv args;
	int ok;

	memset(q, 0, sizeof(*q));
	q->jq = jq_init();
	if (q->jq == NULL) {
		jv_free(named);
		sz_buf_adds(err, "jq: cannot initialise (out of memory)");
		return -1;
	}
	q->errs = err;
	jq_set_error_cb(q->jq, collect, q);
	/* As jq's main does: each name, plus $ARGS. */
	args = jv_copy(named);
	args = jv_object_set(args, jv_string("ARGS"),
	    jv_object_set(jv_object_set(jv_object(), jv_string("positional"),
	    jv_array()), jv_string("named"), named));
	ok = jq_compile_args(q->jq, expr, args);
	q->errs = NULL;
	if (!ok) {
		if (err->len == 0)
			sz_buf_adds(err, "jq: error: cannot compile");
		jq_teardown(&q->jq);
		return -1;
	}
	return 0;
}

void
sz_jq_free(sz_jq *q)
{
	if (q->jq != NULL)
		jq_teardown(&q->jq);
}

int
sz_jq_run(sz_jq *q, jv in, sz_jq_fn fn, void *ud, sz_buf *err)
{
	jv r;

	jq_start(q->jq, in, 0);
	for (;;) {
		r = jq_next(q->jq);
		if (jv_is_valid(r)) {
			int k = fn(ud, r);

			if (k != 0)
				return k;
			continue;
		}
		if (jq_halted(q->jq)) {
			/* halt / halt_error: stop this record; an error
			 * message makes it an error. */
			jv m = jq_get_error_message(q->jq);

			jv_free(r);
			if (jv_get_kind(m) == JV_KIND_STRING) {
				sz_buf_adds(err, jv_string_value(m));
				jv_free(m);
				/* halt_error's text usually ends in \n */
				while (err->len && err->p[err->len - 1] == '\n')
					err->p[--err->len] = '\0';
				return 1;
			}
			if (jv_is_valid(m) && jv_get_kind(m) != JV_KIND_NULL) {
				jv d = jv_dump_string(m, 0);

				sz_buf_adds(err, jv_string_value(d));
				jv_free(d);
				return 1;
			}
			jv_free(m);
			return 0;
		}
		if (jv_invalid_has_msg(jv_copy(r))) {
			jv m = jv_invalid_get_msg(r);

			if (jv_get_kind(m) == JV_KIND_STRING)
				sz_buf_adds(err, jv_string_value(m));
			else {
				m = jv_dump_string(m, 0);
				sz_buf_adds(err, "(not a string): ");
				sz_buf_adds(err, jv_string_value(m));
			}
			jv_free(m);
			return 1;
		}
		jv_free(r);
		return 0;
	}
}

jv
sz_jq_parse(const char *p, size_t n, sz_buf *scratch)
{
	return sz_jv_from_json(p, n, scratch);
}

int
sz_jq_dump(jv v, sz_buf *b)
{
	int rc = sz_jv_dump(v, b);

	jv_free(v);
	return rc;
}

int
sz_jq_truthy(jv v)
{
	jv_kind k = jv_get_kind(v);

	return k != JV_KIND_FALSE && k != JV_KIND_NULL;
}
