/* SPDX-License-Identifier: MIT */
/*
 * statsdir.h - the $SZ_STATS_DIR file of a running tool: its stats object
 * and what a bottleneck hunt needs (state, time blocked downstream and
 * waiting upstream, queue, the stdin/stdout pipes), written to
 * DIR/NAME.PID.json every interval, atomically (a temporary file in DIR,
 * renamed over it), and a last time at exit with "state":"exited" and the
 * exit status (man/sz.7, ENVIRONMENT; sz-top(1) reads them).
 *
 * The part here knows nothing of the runtime: the runtime (run/tool.c)
 * gives it the stats object and the times, it chooses the state and
 * writes the file.
 */
#ifndef SZ_STATSDIR_H
#define SZ_STATSDIR_H

#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"

/* What the stage did, in ns since it started (all only grow). */
typedef struct sz_sdtimes {
	uint64_t now;		/* sz_now() */
	uint64_t blocked;	/* waiting for stdout's reader */
	uint64_t wait_in;	/* asleep waiting for input */
	uint64_t holding;	/* asleep waiting on its own timer */
	int blocked_now;	/* it is waiting for the reader now */
} sz_sdtimes;

typedef struct sz_statsdir {
	char *path;		/* DIR/NAME.PID.json */
	char *tmp;		/* DIR/.NAME.PID.json.tmp */
	uint64_t interval;	/* ns */
	sz_sdtimes last;	/* at the last file written */
	uint64_t last_write;	/* sz_now() then, 0: never */
	unsigned long long in_dev, in_ino, out_dev, out_ino;
	long pid;
	int err;		/* errno of the first failed write, or 0 */
	/* Accumulators the runtime points the loop's sleep_acc at. */
	uint64_t acc_wait, acc_hold, acc_blocked;
	sz_buf b;
} sz_statsdir;

/* Set up the file of stage NAME (any byte but [A-Za-z0-9._-] becomes _)
 * in dir, for this process; stdin/stdout are fstat'ed now. Returns 0, or
 * -1 when memory ran out. */
int sz_statsdir_init(sz_statsdir *d, const char *dir, const char *name,
    uint64_t interval);
void sz_statsdir_free(sz_statsdir *d);

/* The state since the last file: "blocked-out", "idle", "holding" or
 * "reading" (whichever took most of the time; blocked-out when it is
 * blocked now). */
const char *sz_statsdir_state(const sz_statsdir *d, const sz_sdtimes *tm);

/*
 * Write the file: `stats` is the stats object ({...}, n bytes); the
 * members state (exit_status >= 0: "exited" and "exit_status"), pid,
 * blocked_out_s, wait_in_s, holding_s, interval_s, queue, stdin, stdout
 * and time are added. Returns 0, or -1 with d->err set (errno) when it
 * could not be written; the old file, if any, stays whole.
 */
int sz_statsdir_write(sz_statsdir *d, const char *stats, size_t n,
    const sz_sdtimes *tm, uint64_t q_records, uint64_t q_bound,
    int exit_status);

#endif
