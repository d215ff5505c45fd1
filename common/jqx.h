/* SPDX-License-Identifier: MIT */
/*
 * jqx.h - glue to libjq: compile a program once with jq's --arg/--argjson
 * variables, run it on records, collect jq's messages.
 *
 * A sz_jq is used by one thread at a time; workers compile their own
 * (libjq keeps no shared mutable state between jq_states; see
 * ../shared/FACTS.md). Errors come back as text in a caller's sz_buf.
 */
#ifndef SZ_JQX_H
#define SZ_JQX_H

#include <jq.h>

#include "buf.h"
#include "opts.h"

/* Long options every expression-taking tool accepts. */
enum { SZ_OPT_ARG = 0x1800, SZ_OPT_ARGJSON };
#define SZ_JQ_LONGOPTS \
	{ "arg", required_argument, NULL, SZ_OPT_ARG }, \
	{ "argjson", required_argument, NULL, SZ_OPT_ARGJSON }
#define SZ_JQ_HELP \
"      --arg NAME VALUE   set $NAME to the string VALUE in EXPR\n" \
"      --argjson NAME JSON\n" \
"                         set $NAME to the JSON value JSON in EXPR\n"

/* The named variables of a program. */
typedef struct sz_jqvars {
	jv named;		/* object: name -> value */
} sz_jqvars;

void sz_jqvars_init(sz_jqvars *v);
void sz_jqvars_free(sz_jqvars *v);
/*
 * Handle option `c` if it is SZ_OPT_ARG or SZ_OPT_ARGJSON (optarg is
 * NAME; VALUE is taken from argv). Returns 1 if handled, 0 if `c` is not
 * one of them, -1 on error with o->err set.
 */
int sz_jqvars_option(sz_jqvars *v, sz_opts *o, int c, int argc,
    char **argv);

/*
 * sz_opts_getopt() for tools that take jq expressions: --arg and --argjson
 * are handled here (into v) and the tool sees only its own options.
 * Returns as sz_opts_getopt does ('?' with o->err set on a usage error).
 */
int sz_jq_getopt(sz_opts *o, sz_jqvars *v, int argc, char **argv,
    const char *shortopts, const struct option *longopts);

typedef struct sz_jq {
	jq_state *jq;
	sz_buf *errs;		/* where jq's messages go while compiling */
} sz_jq;

/*
 * Compile `expr` with the variables v (NULL: none). Returns 0, or -1 with
 * jq's messages in err (lines without a final newline).
 */
int sz_jq_compile(sz_jq *q, const char *expr, const sz_jqvars *v,
    sz_buf *err);
void sz_jq_free(sz_jq *q);

/* Called with each output of a run (the callee owns `out`). Return 0 to
 * go on, nonzero to stop the run (that value is returned by sz_jq_run). */
typedef int (*sz_jq_fn)(void *ud, jv out);

/*
 * Run the program on `in` (consumed). Returns 0 when the program ended
 * normally, 1 on a jq runtime error (its message, as jq prints it after
 * "jq: error (at FILE:LINE): ", in err), or what fn returned to stop.
 */
int sz_jq_run(sz_jq *q, jv in, sz_jq_fn fn, void *ud, sz_buf *err);

/* Parse a record known to be valid JSON into jq's value of it (or jq's
 * parse error), using scratch for decoding (see jvtext.h). */
jv sz_jq_parse(const char *p, size_t n, sz_buf *scratch);
/* Append the compact JSON text of v (consumed), as jq -c writes it, to
 * b; 0 or -1. */
int sz_jq_dump(jv v, sz_buf *b);
/* jq's truthiness: anything but false and null. Does not consume v. */
int sz_jq_truthy(jv v);

#endif
