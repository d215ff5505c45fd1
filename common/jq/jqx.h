/* SPDX-License-Identifier: MIT */
/*
 * jqx.h - glue to libjq: compile a program with jq's --arg/--argjson
 * variables and -L module directories, run it on records, collect jq's
 * messages, and survive what would end the process inside libjq.
 *
 * A sz_jq is used by one thread at a time, and everything it holds was
 * built in that thread: libjq's reference counts are plain integers, so a
 * jq value shared by two threads corrupts the heap. The variables are
 * kept as text (sz_jqvars) and every compile builds its own values.
 *
 * Runs are guarded (sz_jq_protect): a SIGFPE raised by libjq's integer
 * remainder, libjq's out-of-memory handler and its failed assertions come
 * back as an error on the record; the jq states are unwound (after an
 * assertion: dropped and compiled again) for the next record.
 * Errors come back as text in a caller's sz_buf; nothing here prints.
 */
#ifndef SZ_JQX_H
#define SZ_JQX_H

#include <jq.h>

#include "core/buf.h"
#include "core/opts.h"

/* Long options every expression-taking tool accepts (-L is added to the
 * tool's short options by sz_jq_getopt). */
enum { SZ_OPT_ARG = 0x1800, SZ_OPT_ARGJSON };
#define SZ_JQ_LONGOPTS \
	{ "arg", required_argument, NULL, SZ_OPT_ARG }, \
	{ "argjson", required_argument, NULL, SZ_OPT_ARGJSON }, \
	{ "library-path", required_argument, NULL, 'L' }
#define SZ_JQ_HELP \
"      --arg NAME VALUE   set $NAME to the string VALUE in EXPR\n" \
"      --argjson NAME JSON\n" \
"                         set $NAME to the JSON value JSON in EXPR\n" \
"  -L, --library-path=DIR search DIR for jq modules (import, include);\n" \
"                         repeatable; default ~/.jq, $ORIGIN/../lib/jq,\n" \
"                         $ORIGIN/../lib\n"

struct sz_jqvar {
	int json;		/* --argjson (1) or --arg (0) */
	char *name, *value;
};

/* The named variables and module directories of a program, as text. */
typedef struct sz_jqvars {
	struct sz_jqvar *v;
	size_t n;
	char **lib;		/* -L directories, made absolute */
	size_t nlib;
} sz_jqvars;

void sz_jqvars_init(sz_jqvars *v);
void sz_jqvars_free(sz_jqvars *v);

/*
 * sz_opts_getopt() for tools that take jq expressions: --arg, --argjson
 * and -L are handled here (into v) and the tool sees only its own options.
 * Returns as sz_opts_getopt does ('?' with o->err set on a usage error).
 */
int sz_jq_getopt(sz_opts *o, sz_jqvars *v, int argc, char **argv,
    const char *shortopts, const struct option *longopts);

/* How a run uses the program's outputs (each has its own compiled form). */
enum {
	SZ_JQ_ALL,		/* every output */
	SZ_JQ_FIRST,		/* the first output only: first(EXPR) */
	SZ_JQ_FIRST_TRUE,	/* the first truthy one: first(EXPR | select(.)) */
	SZ_JQ_NMODES
};

typedef struct sz_jq {
	jq_state *st[SZ_JQ_NMODES];	/* compiled on first use */
	char *src;			/* the program as written */
	size_t body;			/* where it starts after imports */
	int nowrap;			/* cannot be wrapped: drain instead */
	int pathy;			/* may leave path generators half run */
	const sz_jqvars *v;		/* outlives the sz_jq */
	sz_buf *errs;			/* jq's messages while compiling */
	int halted;			/* the last run ran halt or halt_error */
	int halt_status;		/* its exit status */
} sz_jq;

/*
 * Compile `expr` with the variables v (NULL: none; v must outlive q).
 * Returns 0, or -1 with jq's messages in err (lines without a final
 * newline).
 */
int sz_jq_compile(sz_jq *q, const char *expr, const sz_jqvars *v,
    sz_buf *err);
void sz_jq_free(sz_jq *q);

/*
 * Called with each output of a run (the callee owns `out`). Returns
 * SZ_JQ_NEXT to go on, SZ_JQ_STOP to stop the run (it has what it
 * wanted) or SZ_JQ_NOMEM to stop it because the output could not be kept;
 * sz_jq_run returns that value.
 */
typedef int (*sz_jq_fn)(void *ud, jv out);

/* What an sz_jq_fn returns (none is one of the answers below). */
enum {
	SZ_JQ_NEXT = 0,		/* go on with the next output */
	SZ_JQ_STOP = 2,		/* stop the run: done */
	SZ_JQ_NOMEM = 3		/* stop the run: out of memory */
};

/* Answers of sz_jq_run and sz_jq_protect besides 0 and fn's values. */
enum {
	SZ_JQ_ERROR = 1,	/* a jq runtime error; message in err */
	SZ_JQ_HALT = -2,	/* halt/halt_error: q->halt_status, message
				 * (as jq prints it, raw) in err */
	SZ_JQ_FAULT = -3	/* libjq faulted or ran out of memory */
};

/*
 * Run the program, in `mode`, on `in` (consumed). Returns 0 (SZ_JQ_NEXT)
 * when the program ended normally, SZ_JQ_ERROR on a jq runtime error (its message,
 * as jq prints it after "jq: error (at FILE:LINE): ", in err), SZ_JQ_HALT,
 * or what fn returned to stop (SZ_JQ_STOP, SZ_JQ_NOMEM). Call it inside
 * sz_jq_protect().
 */
int sz_jq_run(sz_jq *q, int mode, jv in, sz_jq_fn fn, void *ud,
    sz_buf *err);

/*
 * Call body(ud) so that a fault inside libjq (SIGFPE from an integer
 * remainder out of range, memory exhausted, a failed assertion) returns
 * SZ_JQ_FAULT with a
 * jq-style message in err instead of ending the process. Returns what
 * body returned otherwise. Not nested.
 */
int sz_jq_protect(sz_jq *q, int (*body)(void *), void *ud, sz_buf *err);

/* Parse a record known to be valid JSON into jq's value of it (or jq's
 * parse error), using scratch for decoding (see jvtext.h). */
jv sz_jq_parse(const char *p, size_t n, sz_buf *scratch);
/* Append the compact JSON text of v (consumed), as jq -c writes it, to
 * b; 0 or -1. */
int sz_jq_dump(jv v, sz_buf *b);
/* jq's truthiness: anything but false and null. Does not consume v. */
int sz_jq_truthy(jv v);

#endif
