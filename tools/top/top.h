/* SPDX-License-Identifier: MIT */
/*
 * top.h - sz-top's stages: what the $SZ_STATS_DIR files say (stages.c)
 * and how they are shown (main.c).
 */
#ifndef SZ_TOP_H
#define SZ_TOP_H

#include <stdint.h>
#include <time.h>

#include "core/buf.h"

#define SPARK_N 60	/* samples of in/s kept for the sparkline */

struct stage {
	char *file;		/* the file's name in DIR */
	sz_buf raw;		/* the file's JSON object, as read */
	char name[64], tool[32], state[16];
	long pid;
	int exit_status;	/* -1: running */
	int gone;		/* not exited, but its process is no more */
	uint64_t in, out, dropped, errors, q_records, q_bound;
	double elapsed, blocked, wait_in, holding;
	unsigned long long in_dev, in_ino, out_dev, out_ino;
	time_t mtime;
	/* Derived at each refresh. */
	double in_rate, out_rate, blk_pct, wait_pct;
	double spark[SPARK_N];	/* in/s, newest last */
	uint64_t spark_t[SPARK_N];	/* sz_now() of each, 0: none */
	int seen;		/* found in this scan */
	int have_prev;		/* the values below are of a scan before */
	uint64_t prev_t;
	uint64_t prev_in, prev_out;
	double prev_blocked, prev_wait;
	/* Order. */
	int pred;		/* the stage whose stdout is our stdin, or -1 */
	int group, depth;
	int bottleneck;
};

struct top {
	const char *dir;
	struct stage *v;
	size_t n, a;
	uint64_t forget;	/* ns */
	int *order;		/* stage indexes in pipeline order, shown */
	size_t norder;
	int ngroups;
};

/* Read DIR again: new files, new values, files gone. 0, or -1 with errno
 * (DIR cannot be read, or memory ran out). */
int top_scan(struct top *tp);
/* Put the stages shown in pipeline order and mark the bottlenecks. */
int top_order(struct top *tp);
void top_free(struct top *tp);

#endif
