/* SPDX-License-Identifier: MIT */
/*
 * throttle.h - what the two halves of sz-throttle share: the state, the
 * stats callback (main.c) and the debounce mode (debounce.c). Private to
 * tools/throttle/.
 */
#ifndef SZ_THROTTLE_H
#define SZ_THROTTLE_H

#include <stdint.h>

#include "core/keymap.h"
#include "core/queue.h"
#include "run/key.h"
#include "run/tool.h"

enum mode { M_PACE, M_DROP, M_DEBOUNCE };

struct bucket {
	double tokens;
	uint64_t last;		/* when tokens were last added */
};

/* A record waiting for its debounce deadline. */
struct pending {
	uint64_t deadline;
	sz_buf rec;		/* a copy of the record */
};

struct throttle {
	enum mode mode;
	double rate;		/* records per second */
	uint64_t burst;		/* --burst */
	double cap;		/* tokens the bucket holds */
	struct bucket b;	/* the global bucket */
	uint64_t wait;		/* --debounce, ns */
	/* pacing */
	sz_queue q;		/* the records waiting for a token: one while
				   reading, what was read during a drain */
	uint64_t timer;		/* pacing's or debounce's timer */
	uint64_t delayed;
	uint64_t drain;		/* --drain, ns */
	uint64_t drain_timer;	/* the end of the drain */
	int draining;		/* end() came with records waiting */
	int stop_now;		/* a second stop signal came */
	uint64_t stopped;	/* records made dead letters by the stop */
	/* global debounce */
	struct pending pend;
	int pending;
	/* --key, --max-keys, --no-fast */
	sz_key key;
	sz_keymap *km;
	sz_tool *t;		/* for the evict callback */
	/* --dropped */
	sz_out dropped;
	const char *dropped_path;
	int drop_mode;		/* --drop */
	int burst_set;		/* -b */
	int drain_set;		/* --drain */
};

/* main.c: the stats members of every mode. */
void throttle_stats(sz_tool *t, sz_statv *v);
/*
 * main.c: the value in th->km of r's key (--key), created zeroed when new
 * (*created = 1), made the most recent otherwise. NULL when the record is
 * not to be handled further, with what the record callback returns in *rc
 * (bad input reported, or a failure).
 */
void *key_state(sz_tool *t, const sz_rec *r, int *created, int *rc);

/* debounce.c: the debounce mode, without and with --key. */
extern const sz_proc debounce_proc, key_debounce_proc;
/* The keymap's evict callback in debounce mode (ud: the struct
 * throttle): a forgotten key's record goes out early. */
void debounce_evict(void *ud, const char *key, size_t n, void *value);
/* Free the records still pending. */
void debounce_free(struct throttle *th);

#endif
