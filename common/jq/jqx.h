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

/* Long options every expression-taking tool accepts (-L and -f are
 * added to the tool's short options by sz_jq_getopt). */
enum { SZ_OPT_ARG = 0x1800, SZ_OPT_ARGJSON, SZ_OPT_SLURPFILE, SZ_OPT_RAWFILE,
	SZ_OPT_ARGS, SZ_OPT_JSONARGS };
#define SZ_JQ_LONGOPTS \
	{ "arg", required_argument, NULL, SZ_OPT_ARG }, \
	{ "argjson", required_argument, NULL, SZ_OPT_ARGJSON }, \
	{ "slurpfile", required_argument, NULL, SZ_OPT_SLURPFILE }, \
	{ "rawfile", required_argument, NULL, SZ_OPT_RAWFILE }, \
	{ "args", no_argument, NULL, SZ_OPT_ARGS }, \
	{ "jsonargs", no_argument, NULL, SZ_OPT_JSONARGS }, \
	{ "from-file", required_argument, NULL, 'f' }, \
	{ "library-path", required_argument, NULL, 'L' }
/* --help lines: -f (what it stands for differs: SZ_JQ_HELP_F_EXPR for
 * tools with an EXPR operand, SZ_JQ_HELP_F_KEY for keyed tools), then the
 * rest (SZ_JQ_HELP_VARS). SZ_JQ_HELP is -f for EXPR and the rest. */
#define SZ_JQ_HELP_F_EXPR \
"  -f, --from-file FILE   read EXPR from FILE (then there is no EXPR\n" \
"                         operand)\n"
#define SZ_JQ_HELP_F_KEY \
"  -f, --from-file FILE   read the --key expression from FILE\n"
#define SZ_JQ_HELP_VARS \
"      --arg NAME VALUE   set $NAME to the string VALUE in EXPR\n" \
"      --argjson NAME JSON\n" \
"                         set $NAME to the JSON value JSON in EXPR\n" \
"      --slurpfile NAME FILE\n" \
"                         set $NAME to an array of the JSON values in FILE\n" \
"      --rawfile NAME FILE\n" \
"                         set $NAME to the text of FILE, as a string\n" \
"      --args             take the FILE operands as strings for\n" \
"                         $ARGS.positional instead (records from stdin)\n" \
"      --jsonargs         the same, as JSON values\n" \
"  -L, --library-path=DIR search DIR for jq modules (import, include);\n" \
"                         repeatable; default ~/.jq, $ORIGIN/../lib/jq,\n" \
"                         $ORIGIN/../lib\n"
#define SZ_JQ_HELP SZ_JQ_HELP_F_EXPR SZ_JQ_HELP_VARS

/* What a variable's text is. */
enum { SZ_JQVAR_STRING, SZ_JQVAR_JSON, SZ_JQVAR_SLURP /* JSON values */ };

struct sz_jqvar {
	int kind;		/* SZ_JQVAR_* */
	char *name, *value;
	size_t len;		/* of value (a --rawfile may hold NUL bytes) */
};

/* How the operands after the expression are taken (--args, --jsonargs). */
enum { SZ_JQ_POS_NONE, SZ_JQ_POS_STRINGS, SZ_JQ_POS_JSON };

/*
 * The jq options of a tool, as text: the named variables (--arg,
 * --argjson, --slurpfile, --rawfile), module directories (-L), the
 * program read by -f, and the positional parameters (--args,
 * --jsonargs). Read-only once the options are parsed, so that threads
 * can share it; every compile builds its own jq values from it.
 */
typedef struct sz_jqvars {
	struct sz_jqvar *v;
	size_t n;
	char **lib;		/* -L directories, made absolute */
	size_t nlib;
	char *prog;		/* -f: the program's text, or NULL */
	char *prog_file;	/* -f FILE as given */
	int prog_used;		/* the tool took prog (run/tool.c) */
	int posmode;		/* SZ_JQ_POS_* */
	int pos_taken;		/* sz_jqvars_positional has run */
	char **pos;		/* the positional parameters (the caller's) */
	size_t npos;
	/*
	 * Where jq's debug writes its line (["DEBUG:",VALUE] and a newline,
	 * whole, as jq 1.6 prints it), from whichever thread runs the
	 * program; NULL: nowhere. Set by the runtime (run/tool.c).
	 */
	void (*debug)(void *ud, const char *p, size_t n);
	void *debug_ud;
} sz_jqvars;

void sz_jqvars_init(sz_jqvars *v);
void sz_jqvars_free(sz_jqvars *v);

/*
 * sz_opts_getopt() for tools that take jq expressions: --arg, --argjson,
 * --slurpfile, --rawfile, --args, --jsonargs, -f and -L are handled here
 * (into v; the files are read now, and a file that cannot be read, or
 * --slurpfile's bad JSON, is a usage error naming it) and the tool sees
 * only its own options. Returns as sz_opts_getopt does ('?' with o->err
 * set on a usage error).
 */
int sz_jq_getopt(sz_opts *o, sz_jqvars *v, int argc, char **argv,
    const char *shortopts, const struct option *longopts);

/*
 * With --args or --jsonargs: argv[0..argc) (the operands after the
 * expression) become $ARGS.positional (v keeps the pointers). Returns 0,
 * or -1 with a message in err (an operand of --jsonargs that is not
 * JSON). Without either it does nothing. Once only: later calls do
 * nothing.
 */
int sz_jqvars_positional(sz_jqvars *v, int argc, char **argv, char *err,
    size_t errsize);

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
	/*
	 * input_filename: a program that names it runs on [FILE, record]
	 * and finds FILE there (libjq's own reads jq's file reader, which
	 * sz does not use). The caller sets `file` before each run: the
	 * record's FILE, NULL for none (null).
	 */
	int wantfile;			/* the program names input_filename */
	const char *file;		/* the next run's FILE */
	int lazy;			/* prepared only: compiled by the
					 * first run */
} sz_jq;

/*
 * Compile `expr` with the variables v (NULL: none; v must outlive q).
 * Returns 0, or -1 with jq's messages in err (lines without a final
 * newline).
 */
int sz_jq_compile(sz_jq *q, const char *expr, const sz_jqvars *v,
    sz_buf *err);
/*
 * The same, but libjq compiles the program only when it first runs (jq
 * compiling its builtins costs about 25 ms): for a program known to
 * compile. A run then gives jq's compile messages as its error should it
 * not. Returns 0, or -1 (out of memory) with a message in err.
 */
int sz_jq_prepare(sz_jq *q, const char *expr, const sz_jqvars *v,
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
