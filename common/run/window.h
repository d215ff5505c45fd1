/* SPDX-License-Identifier: MIT */
/*
 * window.h - the window engine of sz-window and sz-aggregate: the window
 * options, windows per key on processing or event time, the watermark,
 * late records, the bounds (--max-bytes, --max-keys) and the order in
 * which windows close. The engine does not know what a window holds: the
 * tool gives it a struct of operations (sz_winops) over an opaque state of
 * ops->size bytes, one per open window.
 *
 * Windows (sz-window(1) and man/sz.7 describe them for users):
 *   --tumbling DUR [--offset DUR]   [k*DUR+OFF, (k+1)*DUR+OFF), epoch-aligned
 *   --sliding DUR --every STEP      length DUR, one starting every STEP
 *   --session GAP                   per key, closed after GAP without a
 *                                   record; sessions a record bridges merge
 *   --count-window N [--slide M]    N records of a key (one starting at
 *                                   every M-th record with --slide)
 *   none of them                    one window per key over the whole
 *                                   input, closed at its end (sz-aggregate)
 * Times: the wall clock when the record was read (processing time), or
 * with --time EXPR the record's event time; the watermark is the largest
 * event time so far minus --lateness DUR. A time window closes when the
 * watermark (or the clock) reaches its end. A record whose windows have
 * all closed is late: written to --late=FILE (stats "late"), or bad input
 * of kind "late" (--on-error). End of input, SIGINT and SIGTERM close
 * every window (sz_win_end).
 *
 * Order: windows are closed (ops->close called) by their end, then their
 * start, then their key in the order keys were first seen (a key whose
 * windows all closed is forgotten; seen again, it is a new key). A count
 * window's start and end are the times of its first and last record; it
 * closes when it has N records. Without a window option, the windows
 * (one per key) close at the end in the order their keys were first
 * seen. Everything depends only on the input and
 * the options (in event time), never on read sizes.
 *
 * Bounds: the held bytes are the sum of ops->bytes() over open windows
 * (asked after open and after each add), plus the engine's own memory
 * for each open window and key (window.c says what); above --max-bytes
 * (default 256MiB), or when a new key would exceed --max-keys (default 1000000),
 * the window that would close first is closed now, with w->forced set in
 * its sz_winfo, and counted in stats "forced".
 *
 * HOW A TOOL USES IT (sz-window.c is the example):
 *
 *	struct mytool { sz_win win; ...; };
 *	static const sz_winops ops = { sizeof(struct mystate), my_open,
 *	    my_add, my_merge, my_close, my_free, my_bytes };
 *	long options: SZ_WIN_LONGOPTS, SZ_KEY_LONGOPTS (for --key; a tool
 *	    that keys otherwise leaves them out and calls sz_win_add),
 *	    SZ_KEY_TIME_LONGOPT, SZ_KEY_MAXKEYS_LONGOPT; short options "k:"
 *	    with SZ_KEY_LONGOPTS.
 *	usage: SZ_WIN_HELP, SZ_KEY_HELP, SZ_KEY_TIME_HELP,
 *	    SZ_KEY_MAXKEYS_HELP (the engine keeps at most N open keys).
 *	def->init:   sz_win_init(&m->win, t, &ops, m);   (sets t->key)
 *	def->option: if ((rc = sz_win_option(&m->win, t, c)) != 0)
 *	                 return rc == 1 ? 0 : rc;         (1 taken, '?' bad)
 *	def->start:  if ((rc = sz_win_start(&m->win, t)) != -1) return rc;
 *	             (compiles --key/--time, opens --late=FILE; -1: run)
 *	proc->record: return sz_win_record(&m->win, t, r);
 *	             or, with a key of the tool's own (canonical text for
 *	             identity, JSON text for sz_winfo.key):
 *	             return sz_win_add(&m->win, t, r, ck, ckn, jk, jkn);
 *	proc->end:   return sz_win_end(&m->win, t);
 *	proc->idle:  sz_win_idle(&m->win, t) (optional; closes what processing time and
 *	             --idle-close have closed)
 *	proc->stats: sz_win_stats(&m->win, v);
 *	def->done:   sz_win_free(&m->win);
 *
 * In ops->close the tool writes its window (sz_emit) using sz_winfo and
 * may call sz_win_fmt_time() for the start and end; sz_win_windowed()
 * says whether a window option was given (sz-aggregate leaves out start
 * and end without one).
 */
#ifndef SZ_WINDOW_H
#define SZ_WINDOW_H

#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"
#include "io/out.h"
#include "run/key.h"
#include "run/tool.h"

/* What the tool is told of a window when it closes. */
typedef struct sz_winfo {
	int64_t start, end;	/* ns since the epoch; end exclusive for time
				   windows, the last record's time for count
				   windows and the whole input */
	const char *key;	/* the key's JSON text ("null" without
				   --key); not NUL-terminated */
	size_t keylen;
	uint64_t count;		/* records added to this window */
	int forced;		/* closed early by --max-bytes/--max-keys */
} sz_winfo;

typedef struct sz_winops {
	size_t size;		/* bytes of one window's state */
	/* A new window (state zeroed). 0, or -1 (out of memory: the
	 * engine fails the run). */
	int (*open)(void *ud, void *state);
	/* Record r belongs to this window. 0, or -1 to stop (the tool has
	 * called sz_fail / sz_bad). */
	int (*add)(void *ud, void *state, const sz_rec *r);
	/* Sessions only: fold src into dst (src is then freed with
	 * ops->free; its count is added by the engine). 0 or -1. May be
	 * NULL when the tool never runs sessions. */
	int (*merge)(void *ud, void *dst, void *src);
	/* Write the window. 0, or -1 (after a failed sz_emit). The state
	 * is freed with ops->free afterwards. */
	int (*close)(void *ud, void *state, const sz_winfo *w);
	/* Free what the state holds (not the state itself). May be NULL. */
	void (*free)(void *ud, void *state);
	/* Bytes the state holds now, for --max-bytes. May be NULL (0). */
	size_t (*bytes)(void *ud, const void *state);
} sz_winops;

/* Option codes (between key.h's 0x1900 range and SZ_OPT_TOOL). */
enum { SZ_OPT_WIN_TUMBLING = 0x1b00, SZ_OPT_WIN_OFFSET, SZ_OPT_WIN_SLIDING,
	SZ_OPT_WIN_EVERY, SZ_OPT_WIN_SESSION, SZ_OPT_WIN_COUNT,
	SZ_OPT_WIN_SLIDE, SZ_OPT_WIN_LATENESS, SZ_OPT_WIN_LATE,
	SZ_OPT_WIN_IDLE, SZ_OPT_WIN_MAXBYTES };

#define SZ_WIN_LONGOPTS \
	{ "tumbling", required_argument, NULL, SZ_OPT_WIN_TUMBLING }, \
	{ "offset", required_argument, NULL, SZ_OPT_WIN_OFFSET }, \
	{ "sliding", required_argument, NULL, SZ_OPT_WIN_SLIDING }, \
	{ "every", required_argument, NULL, SZ_OPT_WIN_EVERY }, \
	{ "session", required_argument, NULL, SZ_OPT_WIN_SESSION }, \
	{ "count-window", required_argument, NULL, SZ_OPT_WIN_COUNT }, \
	{ "slide", required_argument, NULL, SZ_OPT_WIN_SLIDE }, \
	{ "lateness", required_argument, NULL, SZ_OPT_WIN_LATENESS }, \
	{ "late", required_argument, NULL, SZ_OPT_WIN_LATE }, \
	{ "idle-close", required_argument, NULL, SZ_OPT_WIN_IDLE }, \
	{ "max-bytes", required_argument, NULL, SZ_OPT_WIN_MAXBYTES }

#define SZ_WIN_HELP \
"      --tumbling DUR     windows of length DUR aligned to the epoch\n" \
"      --offset DUR       shift the alignment of --tumbling by DUR\n" \
"      --sliding DUR      windows of length DUR, one starting every STEP\n" \
"      --every STEP       (of --sliding)\n" \
"      --session GAP      per key, a window closed after GAP without a\n" \
"                         record of the key\n" \
"      --count-window N   windows of N records per key\n" \
"      --slide M          (of --count-window) one starting every M records\n" \
"      --lateness DUR     event time: the watermark is the largest time\n" \
"                         seen minus DUR (default 0)\n" \
"      --late=FILE        write records that come after their windows\n" \
"                         closed to FILE (else they are bad input)\n" \
"      --idle-close DUR   event time: after DUR without a record, the\n" \
"                         watermark moves to the clock minus the lateness\n" \
"      --max-bytes SIZE   hold at most SIZE bytes in open windows (default\n" \
"                         256MiB); then the first to close closes now\n"

#define SZ_WIN_MAX_BYTES (UINT64_C(256) << 20)

enum { SZ_WIN_NONE, SZ_WIN_TUMBLING, SZ_WIN_SLIDING, SZ_WIN_SESSION,
	SZ_WIN_COUNT };

struct sz_winst;

typedef struct sz_win {
	/* The options. */
	sz_key key;		/* --key, --time, --max-keys (t->key) */
	int kind;		/* SZ_WIN_* */
	uint64_t size;		/* DUR, GAP (ns), or N */
	uint64_t step;		/* --every (ns) or --slide (records) */
	uint64_t offset;	/* --offset (ns) */
	uint64_t lateness;	/* ns */
	uint64_t idle;		/* --idle-close (ns), 0: none */
	uint64_t max_bytes;
	const char *late_path;
	int have_step, have_offset;
	/* The tool. */
	const sz_winops *ops;
	void *ud;
	/* The run (private to window.c). */
	struct sz_winst *st;
	sz_out late;
	int have_late;
	/* Stats. */
	uint64_t opened, closed, forced, late_n, merged;
} sz_win;

/* def->init: no options yet; t->key points at w->key. */
void sz_win_init(sz_win *w, sz_tool *t, const sz_winops *ops, void *ud);
/* def->option: 1 when c was a window option (taken), 0 when not, '?'
 * with t->o.err set for a bad value. */
int sz_win_option(sz_win *w, sz_tool *t, int c);
/* def->start: check the options together (usage errors), compile the key
 * part, open --late=FILE. -1 to run, or an exit status. */
int sz_win_start(sz_win *w, sz_tool *t);
/* A window option was given. */
int sz_win_windowed(const sz_win *w);
/* proc->record with the key from --key (or one key without it). */
int sz_win_record(sz_win *w, sz_tool *t, const sz_rec *r);
/* proc->record with the tool's own key: ck[0..ckn) its identity (e.g.
 * canonical text), jk[0..jkn) its JSON text for sz_winfo.key. */
int sz_win_add(sz_win *w, sz_tool *t, const sz_rec *r, const char *ck,
    size_t ckn, const char *jk, size_t jkn);
/* proc->end: close every open window. 0 or -1. */
int sz_win_end(sz_win *w, sz_tool *t);
/* proc->idle: close the windows processing time has closed. */
void sz_win_idle(sz_win *w, sz_tool *t);
/* proc->stats: windows, forced, late, merged, open, held bytes. */
void sz_win_stats(sz_win *w, sz_statv *v);
/* def->done. */
void sz_win_free(sz_win *w);
/* ns since the epoch as "YYYY-MM-DDTHH:MM:SS.mmmZ" (a JSON string with
 * its quotes) appended to b. 0 or -1. */
int sz_win_fmt_time(sz_buf *b, int64_t ns);

#endif
