/* SPDX-License-Identifier: MIT */
/*
 * dest.h - where routed records go (sz-route, sz-partition, sz-tap,
 * sz-fanout): files,
 * descriptors, standard output and child commands whose output is merged
 * into standard output, each pipe behind a bounded queue.
 *
 * A DEST text is one of
 *   PATH        a file, created or truncated
 *   >>PATH      a file, appended to
 *   &N          the open descriptor N (&1 is standard output)
 *   -           standard output
 *   |COMMAND    a child, `/bin/sh -c COMMAND`, reading the records on its
 *               standard input; its standard output is copied to ours
 *               line by line, never two lines' bytes interleaved (or,
 *               by child_out, is our standard error or /dev/null)
 * Records to standard output go through the runtime's output (sz_emit) in
 * input order. Files and descriptors that are not pipes are written with
 * blocking, buffered writes. Pipes (children, and descriptors that are
 * pipes, FIFOs or sockets) are non-blocking: each has a queue of records
 * not yet written, bounded in records and bytes; when a queue is full the
 * set either pauses the input (SZ_FULL_BLOCK) until the queue has room, or
 * drops a record for that destination. A record is counted as written
 * (t->st.out and the `written` hook) once its last byte is written.
 *
 * A destination fails when a write fails, when its child exits with a
 * status other than 0 (or is killed), or when its child exits or closes
 * its input while records are still queued for it (or before a later
 * record comes). Then the set prints why (through sz_msg, prefixed with
 * the destination's label), writes the records it could not deliver as
 * dead letters (error_kind "exit" or "write"; only counted without
 * --dlq), stops the input, and, at the end, makes the tool exit 1.
 *
 * The end: sz_dests_end() (from proc->end) writes what is queued, closes
 * the children's input, waits for them and for the end of their output,
 * closes every file (checked), and calls sz_tool_finish() when all is
 * done. The tool forwards proc->idle and proc->child to sz_dests_idle()
 * and sz_dests_child().
 */
#ifndef SZ_DEST_H
#define SZ_DEST_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "core/buf.h"
#include "io/child.h"
#include "io/out.h"
#include "io/wq.h"
#include "run/tool.h"

enum { SZ_DEST_STDOUT, SZ_DEST_FILE, SZ_DEST_APPEND, SZ_DEST_FD,
	SZ_DEST_CMD };

typedef struct sz_dests sz_dests;

typedef struct sz_dest {
	sz_dests *set;
	char *text;		/* the DEST text, as given */
	char *label;		/* names it in messages ("route a", ...) */
	int kind;		/* SZ_DEST_* */
	int fd;			/* where records go, -1 once closed */
	int pipe;		/* non-blocking, queued in wq */
	sz_out out;		/* blocking kinds (files, descriptors) */
	int have_out;
	int fdflags;		/* &N pipe: its flags before O_NONBLOCK */
	/*
	 * The queue of a pipe. A child's records leave it, counted as
	 * written, once the pipe's count of unread bytes shows that the
	 * child has read them (wq.rfd is the child's inr); other pipes'
	 * once they are written.
	 */
	sz_wq wq;
	int full;		/* counted in set->nfull */
	sz_child ch;		/* SZ_DEST_CMD: the child */
	sz_lines lines;		/* its output, merged line by line */
	int failed;
	char *err;		/* why it failed, with its label */
	uint64_t written;	/* records written */
	uint64_t dropped;	/* records dropped by the full policy */
} sz_dest;

/* Per-record news, for the tool's counters (tags are the tool's). */
typedef struct sz_dest_hooks {
	void (*written)(void *ud, uint32_t tag);
	void (*dropped)(void *ud, uint32_t tag);
	void *ud;
} sz_dest_hooks;

struct sz_dests {
	sz_tool *t;
	sz_dest **d;
	size_t n, alloc;
	size_t max_count, max_bytes;	/* bound of each queue */
	int policy;			/* SZ_FULL_* (core/opts.h) */
	sz_dest_hooks hooks;
	size_t nfull;		/* queues at their bound */
	int paused;		/* the set paused the input */
	int ending;		/* sz_dests_end was called */
	int failed;		/* a destination failed */
	int finished;
	uint64_t merged;	/* lines copied from the children */
	/* Set after sz_dests_init, before the first sz_dests_add: */
	int child_out;		/* SZ_DEST_CHILD_*: where children write */
	int copies;		/* the records also go to standard output
				   (sz-tap): written ones are not counted
				   in t->st.out */
};

/* Where a |COMMAND child's standard output goes: merged into ours line by
 * line (the default), or the tool's standard error, or /dev/null. */
enum { SZ_DEST_CHILD_MERGE, SZ_DEST_CHILD_STDERR, SZ_DEST_CHILD_NULL };

void sz_dests_init(sz_dests *s, sz_tool *t, size_t max_count,
    size_t max_bytes, int policy, const sz_dest_hooks *hooks);
/* Close what is open, kill (SIGKILL) and reap the children that still
 * run (a run that ended early), free everything. */
void sz_dests_free(sz_dests *s);

/*
 * The destination for DEST `text`: the one already added with the same
 * text, or a new one, opened (or started) now. `env` is NULL or a
 * NULL-terminated list of "NAME=VALUE" to add to a child's environment
 * (then the destination is always a new one, never shared).
 * `label` names it in messages (the first label given is kept).
 * Returns NULL with a message in err: *usage is set when the text itself
 * is wrong (exit 2), clear when opening or starting failed (exit 1).
 */
sz_dest *sz_dests_add(sz_dests *s, const char *text, const char *label,
    char *const *env, char *err, size_t errsize, int *usage);

/* Say that DEST `text` could not be opened or started (err from
 * sz_dests_add), for a tool whose DEST names itself: err alone when it
 * names the path or descriptor already, else "text: err". */
void sz_dest_open_failed(sz_tool *t, const char *text, const char *err);

/* Does `text` name a DEST that is standard output ("-" or "&1")? */
int sz_dest_is_stdout(const char *text);

/*
 * Give record r (tagged `tag`) to d. Returns 0 (written, queued, or
 * dropped by the full policy), or -1 when d has failed (the record is
 * then a dead letter) or writing failed.
 */
int sz_dest_put(sz_dests *s, sz_dest *d, const sz_rec *r, uint32_t tag);

/* The input is idle: write what the pipes take. */
void sz_dests_idle(sz_dests *s);
/* SIGCHLD: reap the children that exited. */
void sz_dests_child(sz_dests *s);
/* End of input (or a stop): 0 when everything is done, 1 when the loop
 * must go on until the set calls sz_tool_finish(). */
int sz_dests_end(sz_dests *s);

#endif
