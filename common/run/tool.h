/* SPDX-License-Identifier: MIT */
/*
 * tool.h - the runtime of an sz tool: options, input files, the event
 * loop, bad-input policy, dead letters, stats, signals and exit status.
 *
 * A tool is a struct of callbacks (sz_proc) over its own state. main()
 * parses options with sz_opts_getopt() on t->o, sets up its state, and
 * returns sz_tool_run(). The runtime reads the FILE operands in order,
 * frames and validates records, and calls proc->record for each valid one;
 * bad JSON and over-long records are handled here by the --on-error policy.
 * At end of input, on SIGINT/SIGTERM and before exiting on bad input it
 * calls proc->end so that the tool releases what it holds.
 *
 * Ownership: a record passed to proc->record is valid only during the
 * call; a tool that keeps it copies it.
 *
 * This module is the one place in common/ that writes diagnostics: every
 * message a tool prints goes through sz_msg() so that --name and --log=json
 * apply everywhere. It never calls exit(): sz_tool_run returns the status.
 */
#ifndef SZ_TOOL_H
#define SZ_TOOL_H

#include <stdarg.h>

#include "core/buf.h"
#include "jq/jqx.h"
#include "io/frame.h"
#include "json/json.h"
#include "io/loop.h"
#include "core/opts.h"
#include "io/out.h"
#include "run/report.h"
#include "run/source.h"
#include "run/stats.h"

/* Exit statuses of the contract. */
enum {
	SZ_EXIT_OK = 0, SZ_EXIT_FAIL = 1, SZ_EXIT_USAGE = 2,
	SZ_EXIT_DATA = 65, SZ_EXIT_UNAVAILABLE = 69, SZ_EXIT_TEMP = 75
};

typedef struct sz_tool sz_tool;

typedef struct sz_proc {
	/* One valid record. Return 0 to go on, -1 to stop (after sz_bad,
	 * sz_fail or a failed sz_emit set the status). Required. */
	int (*record)(sz_tool *t, const sz_rec *r);
	/* End of input, a stop signal, or bad input under fail: write what
	 * is held. Return 0 when done, 1 to keep the loop running until the
	 * tool calls sz_tool_finish(), -1 on failure. May be NULL. */
	int (*end)(sz_tool *t);
	/* Add the tool's own stats values (stats.h): sz_stat_counter(v,
	 * "evicted", n), ... May be NULL. */
	void (*stats)(sz_tool *t, sz_statv *v);
	/* SIGCHLD was caught. May be NULL. */
	void (*child)(sz_tool *t);
	/* The input has nothing ready and the tool is about to sleep:
	 * hand on anything that must not wait (before outputs are
	 * flushed). May be NULL. */
	void (*idle)(sz_tool *t);
	/*
	 * Tools that read another format than NDJSON: when set, the runtime
	 * does no framing or validation and hands over each read's bytes
	 * (valid during the call), then, at the end of each FILE, one call
	 * with n = 0 and eof = 1. `file` is "<stdin>" or the path. The tool
	 * counts t->st.in and bytes_in itself. Return 0 or -1 as record().
	 * With chunk set, record may be NULL; pausing is not supported.
	 */
	int (*chunk)(sz_tool *t, const char *p, size_t n, const char *file,
	    int eof);
	/* Do not validate records as JSON (tools that read other formats). */
	int raw;
	/* A second SIGINT/SIGTERM while the tool is stopping is handed to
	 * this instead of ending the process at once (a third one does):
	 * for a tool whose end() keeps running for a while (sz-throttle's
	 * drain). May be NULL. */
	void (*stop_again)(sz_tool *t);
	/* Leave the size of a pipe on standard output alone (sz-buffer:
	 * its own queue, not the kernel's, holds records for a slow
	 * reader). Other tools ask for SZ_PIPE_SIZE (see out.h). */
	int keep_pipe;
	/* Read every FILE operand at once, records interleaved whole (a
	 * merge), instead of one after another. */
	int files_at_once;
	/*
	 * When standard output is a pipe or a socket, make it non-blocking
	 * (its flags are restored at exit) and set t->out_nonblock: t->out
	 * then keeps what the reader does not take (it grows: the tool
	 * bounds what it gives it), the runtime watches for POLLOUT while
	 * bytes remain (t->out_blocked) and calls proc->idle when standard
	 * output has taken them all (sz-buffer).
	 */
	int nonblock_out;
	/*
	 * A FILE that cannot be opened or read (ev SZ_SRC_OPEN_ERROR or
	 * SZ_SRC_READ_ERROR, err its errno, line 0) or a record over
	 * --max-record (SZ_SRC_TOOLONG; no record is delivered after it):
	 * when set, the runtime hands these here instead of reporting them,
	 * and the tool passes each to sz_input_event() in its turn, after
	 * what it reports of the records before it (sz-map -j). May be NULL.
	 */
	void (*input_event)(sz_tool *t, int ev, int err, const char *file,
	    unsigned long line);
} sz_proc;

#define SZ_MAX_OUTPUTS 16

struct sz_tool {
	sz_opts o;		/* common options; tools parse into it */
	const sz_proc *proc;
	void *ud;		/* the tool's state */
	sz_out out;		/* standard output */
	sz_stats st;
	sz_loop loop;
	int status;		/* exit status so far (first failure wins) */
	int stopsig;		/* SIGINT/SIGTERM caught, or 0 */
	int epipe;		/* stdout's reader went away */
	int stopping;		/* no more records will be delivered */
	int out_nonblock;	/* proc->nonblock_out took effect */
	int out_blocked;	/* and stdout holds bytes: POLLOUT watched */
	size_t read_size;	/* bytes asked of read(2); 0: the default
				   (start() may set it: sz-throttle reads
				   little ahead) */
	int exit_ok;		/* the exit status when nothing failed */
	int holding;		/* sz_tool_holding(): waiting on a timer */
	const struct sz_queue *queue;	/* sz_tool_queue(), or NULL */

	/* Private to the runtime. */
	sz_out dlq;
	int have_dlq;
	sz_out statsf;
	int have_statsf;
	sz_out *extra[SZ_MAX_OUTPUTS];
	int nextra;
	sz_srcset src;		/* where records come from */
	sz_jindex ix;		/* top-level members of the current record */
	int ending;		/* proc->end answered 1 */
	int finished;
	sz_jqvars vars;		/* --arg, --argjson, -L (tools with jq) */
	struct sz_key *key;	/* a keyed tool's key part, or NULL */
	int argc;		/* the operands not taken yet (FILEs) */
	char **argv;
	sz_buf scratch;
	sz_statv statv;		/* the stats, built for each rendering */
	char *failmsg;		/* printed last, after the flush */
	char *failfile;		/* the FILE it is about, or NULL */
	unsigned long failline;
	sz_buf haltmsg;		/* halt_error's text, printed last */
	int halted, halt_status, halt_first;
	int statsf_err;		/* the --stats file failed (said once) */
	uint64_t nbad;		/* bad input so far (sz_bad), for
				   --max-errors and --fail-at-end */
	int stopped_again;	/* proc->stop_again was called */
	int stop_drained;	/* the stop delivered what was read */
	int out_oflags;		/* stdout's flags before nonblock_out */
	struct sz_statsdir *sdir;	/* $SZ_STATS_DIR's file, or NULL */
	const char *dead_more;	/* sz_bad_more's members, during the call */
	size_t dead_moren;
};

/*
 * What a tool is, for sz_tool_main(): its options, how it takes its
 * operands and sets up, and how it frees its state. A tool's file ends
 *	static const sz_tool_def def = { ... };
 *	SZ_TOOL_MAIN(def, struct mytool)
 */
typedef struct sz_tool_def {
	const char *prog;	/* "sz-NAME" */
	const char *usage;	/* "Usage: ..." and the tool's own options */
	const char *shortopts;	/* the tool's own short options */
	const struct option *longopts;	/* the tool's own, zero-terminated */
	int jq;			/* it takes the jq options (into t->vars) */
	const sz_proc *proc;	/* the callbacks, unless start chooses */
	/* Before the options, the state zeroed: set defaults; a keyed tool
	 * points t->key at its sz_key (run/key.h), whose options the
	 * runtime then reads. May be NULL. */
	void (*init)(sz_tool *t);
	/* One of the tool's own options, optarg set: 0, or '?' with
	 * t->o.err set (the sz_opt_* helpers answer so). May be NULL. */
	int (*option)(sz_tool *t, int c);
	/* After the options: take the tool's operands (sz_tool_operand;
	 * the rest are FILEs), set up, choose t->proc if not def->proc.
	 * Answer -1 to run, or an exit status. May be NULL. */
	int (*start)(sz_tool *t);
	/* Free the tool's state; called however the run ended (t->key is
	 * freed after it). May be NULL. */
	void (*done)(sz_tool *t);
} sz_tool_def;

/* The whole life of a tool: init, options, start, the run, done.
 * Returns the exit status. `ud` is the tool's state, zeroed (t->ud). */
int sz_tool_main(const sz_tool_def *d, void *ud, size_t udsize, int argc,
    char **argv);
#define SZ_TOOL_MAIN(def, type)						\
	int main(int argc, char **argv)					\
	{								\
		type ud_;						\
		return sz_tool_main(&(def), &ud_, sizeof(ud_), argc, argv); \
	}

/* In start(): the next operand (taken), or NULL when there is none. */
const char *sz_tool_operand(sz_tool *t);

/* In start(): the tool's EXPR: the program of -f FILE, or else the next
 * operand (taken); NULL when there is neither. */
const char *sz_tool_expr_src(sz_tool *t);

/* Compile a jq program given for `opt` (NULL: the EXPR operand) with
 * t->vars; a program jq rejects is a usage error naming it (or -f's
 * FILE). The first compile takes the operands left as $ARGS.positional
 * under --args/--jsonargs (so take the tool's own operands first; after
 * start() the runtime takes them if no compile did). Returns -1, or the
 * exit status (2). */
struct sz_expr;
int sz_tool_compile(sz_tool *t, struct sz_expr *e, const char *src,
    int fast, const char *opt);

/* In start(): take the EXPR (sz_tool_expr_src) and compile it
 * (sz_tool_compile); "missing EXPR" when there is none. Returns -1 or
 * the exit status. */
int sz_tool_take_expr(sz_tool *t, struct sz_expr *e, int fast);

/* Set up t for tool `prog` ("sz-NAME"). */
void sz_tool_init(sz_tool *t, const char *prog);

/*
 * After option parsing. `c` is the last value of sz_opts_getopt (-1 or
 * '?'); `usage` is the tool's usage text (starting with "Usage: ...").
 * Prints help/version/usage errors. Returns -1 to go on, or the status
 * to return from main.
 */
int sz_tool_options_done(sz_tool *t, int c, const char *usage);
/* Print "prog: msg" and the --help hint; returns 2. */
int sz_usage(sz_tool *t, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Run the tool over files[0..nfiles) and the sources it added to t->src
 * (no FILE and no source of its own: standard input). Returns the exit
 * status. */
int sz_tool_run(sz_tool *t, const sz_proc *p, void *ud, int nfiles,
    char **files);

/* Write one record to stdout. Returns 0, or -1 (status set) on error. */
int sz_emit(sz_tool *t, const char *p, size_t n);
/* Write `count` records already joined as lines (each ending in '\n'). */
int sz_emit_lines(sz_tool *t, const char *p, size_t n, uint64_t count);
/* Write bytes to stdout that are not records of the tool (a child's
 * output merged into ours): counted in bytes_out only. 0 or -1. */
int sz_emit_bytes(sz_tool *t, const char *p, size_t n);
/* Write a record to one of the tool's own outputs (counted in no stat). */
int sz_emit_to(sz_tool *t, sz_out *o, const char *p, size_t n);

/* A record discarded on purpose: counted in "dropped", and written to o
 * (a --dropped=FILE or --dupes=FILE output) when o was opened with
 * sz_tool_open(); o may be NULL. Returns 0, or -1 on a write error. */
int sz_drop(sz_tool *t, sz_out *o, const char *p, size_t n);

/*
 * Bad input at r: applies --on-error. `kind` is the dead letter's
 * error_kind; `json` says whether r holds valid JSON (embedded as is in a
 * dead letter) or not (embedded as a string). Returns 0 to go on (skip,
 * dlq) or -1 (fail: status 65; the message is printed after the output is
 * flushed).
 */
int sz_bad(sz_tool *t, const sz_rec *r, const char *kind, int json,
    const char *fmt, ...) __attribute__((format(printf, 5, 6)));
/* sz_bad for a valid record with the message msg as it is (no format,
 * no length limit) and more[0..moren), JSON members such as
 * "errors":[...], added to its dead letter after error_kind. */
int sz_bad_more(sz_tool *t, const sz_rec *r, const char *kind,
    const char *more, size_t moren, const char *msg);
/* A record that is not valid JSON (sz_json_validate's reason, at byte
 * off): sz_bad with the runtime's message. */
int sz_bad_json(sz_tool *t, const sz_rec *r, const char *reason,
    size_t off);
/* The first bytes of a file (n of them) are compressed data: the hint for
 * the message ("compressed input: use zcat"), or NULL. */
const char *sz_compressed_hint(const char *p, size_t n);
/* Report an input event as the runtime does (see proc->input_event). */
void sz_input_event(sz_tool *t, int ev, int err, const char *file,
    unsigned long line);
/* Write a dead letter for r (as sz_bad does under dlq), counted in
 * errors; returns 0 or -1. Without --dlq it does nothing but count. */
int sz_dead_letter(sz_tool *t, const sz_rec *r, const char *kind, int json,
    unsigned attempts, const char *error);
/*
 * A program ran halt or halt_error: no more records are read, the tool
 * releases what it holds (end()), and the run ends with `status` after
 * msg[0..n) is written to stderr as it is (jq's way). Returns -1.
 */
int sz_halt(sz_tool *t, int status, const char *msg, size_t n);
/*
 * An expression failed on r (answer SZ_EXPR_ERROR): a jq error or a fault
 * in libjq is bad input (sz_bad, message "WHAT: jq's message", or jq's
 * message alone when what is NULL); a halt stops the tool (sz_halt).
 */
struct sz_expr;
int sz_expr_bad(sz_tool *t, const sz_rec *r, const struct sz_expr *e,
    const char *what);
/*
 * Bad input that the tool describes in full (sz-exec: a command that
 * failed for good): as sz_bad with the message d->error, but the dead
 * letter is d (file, line and record as r has them), and under fail (or
 * past --max-errors) the status is `status`, not 65.
 */
int sz_bad_dead(sz_tool *t, const sz_rec *r, int status, const sz_dead *d);
/* A failure during the run: message (printed after the flush), status.
 * Returns -1. */
int sz_fail(sz_tool *t, int status, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* The same for a failure at FILE:LINE (bad input that ends the run): the
 * message is printed as "prog: FILE:LINE: text", or with --log=json with
 * the file and line members. */
int sz_fail_at(sz_tool *t, int status, const char *file, unsigned long line,
    const char *fmt, ...) __attribute__((format(printf, 5, 6)));
/* A message now: "prog: [FILE:LINE: ]text" or a --log=json line. */
void sz_msg(sz_tool *t, const char *level, const char *file,
    unsigned long line, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

/*
 * Open one of the tool's own output files (--rejects=FILE, ...): it is
 * flushed with stdout, reopened on SIGHUP, closed and checked at exit.
 * `opt` names the option in messages. Returns 0, or the exit status (1)
 * after printing why.
 */
int sz_tool_open(sz_tool *t, sz_out *o, const char *opt, const char *path,
    int append);

/* In record(): the source the record came from (its ud is the tool's). */
sz_source *sz_tool_source(sz_tool *t);

/* Stop delivering records until sz_input_resume(). */
void sz_input_pause(sz_tool *t);
void sz_input_resume(sz_tool *t);
/*
 * The tool waits on a timer of its own (sz-throttle's pacing, a batch's
 * --latency, an open window) rather than on its input: on (1) or no
 * longer (0). Its time asleep then counts as "holding" in the
 * $SZ_STATS_DIR file (man/sz.7, ENVIRONMENT).
 */
void sz_tool_holding(sz_tool *t, int on);
/* The tool's own queue of records (sz-buffer's, sz-throttle's), whose
 * count and bound the "queue" member of the $SZ_STATS_DIR file shows;
 * it must live until the run ends. */
struct sz_queue;
void sz_tool_queue(sz_tool *t, const struct sz_queue *q);

/* proc->end answered 1: the tool is now done. */
void sz_tool_finish(sz_tool *t);
/* The stats now, as the JSON line (without newline) or, with prom set,
 * as Prometheus text (stats.h), appended to b. Returns 0 or -1. */
int sz_tool_stats(sz_tool *t, sz_buf *b, int prom);
/* Write the stats line now where --stats-interval writes it: the
 * --stats=FILE, or else standard error (sz-monitor's own interval). */
void sz_tool_stats_line(sz_tool *t);
/* Flush stdout and the tool's outputs now. Returns 0 or -1. */
/* Flush stdout and the tool's outputs now. Returns 0 or -1. (With
 * nonblock_out, what stdout does not take stays in t->out and
 * t->out_blocked is set.) */
int sz_tool_flush(sz_tool *t);

#endif
