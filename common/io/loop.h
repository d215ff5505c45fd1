/* SPDX-License-Identifier: MIT */
/*
 * loop.h - a small poll(2) event loop: descriptors, monotonic timers, a
 * hook that runs before the loop sleeps, and signals delivered through a
 * self-pipe.
 *
 * One iteration (sz_loop_once) polls without waiting; if nothing is ready
 * it runs the before-sleep hook (where owners flush their output) and then
 * waits until a descriptor is ready, the nearest timer is due, or a signal
 * arrives. Callbacks run in the loop's thread. Timers are one-shot; a
 * callback may add timers and change descriptors.
 */
#ifndef SZ_LOOP_H
#define SZ_LOOP_H

#include <poll.h>
#include <signal.h>
#include <stdint.h>

typedef struct sz_loop sz_loop;
typedef void (*sz_fd_fn)(sz_loop *l, int fd, short revents, void *ud);
typedef void (*sz_timer_fn)(sz_loop *l, void *ud);
typedef void (*sz_hook_fn)(sz_loop *l, void *ud);
typedef void (*sz_sig_fn)(sz_loop *l, int signo, void *ud);

struct sz_watch {
	int fd;
	short events;		/* 0: not polled for now */
	sz_fd_fn fn;
	void *ud;
};

struct sz_timer {
	uint64_t id;		/* 0: free slot */
	uint64_t when;		/* monotonic ns */
	sz_timer_fn fn;
	void *ud;
};

struct sz_loop {
	struct sz_watch *w;
	size_t nw, aw;
	struct sz_timer *t;
	size_t nt, at;
	uint64_t next_id;
	struct pollfd *pfd;
	size_t apfd;
	sz_hook_fn before_sleep;
	void *before_sleep_ud;
	sz_sig_fn on_signal;
	void *on_signal_ud;
	int sigfd;		/* read end of the self-pipe, or -1 */
	int woken;		/* sz_loop_wake() since the hook ran */
	/* When not NULL, the time each sleep in poll(2) took (ns) is added
	 * here: the before-sleep hook points it at what the sleep is for
	 * (waiting for input, for a timer of the owner's, ...). */
	uint64_t *sleep_acc;
};

/* Monotonic clock, nanoseconds. */
uint64_t sz_now(void);
/* Wall clock as RFC 3339 UTC with milliseconds, into buf (>= 32 bytes). */
void sz_rfc3339(char *buf, size_t size);

int sz_loop_init(sz_loop *l);
void sz_loop_free(sz_loop *l);
/* Watch fd for events (POLLIN/POLLOUT); events 0 stops polling it but
 * keeps the entry. Adding an fd again replaces its entry. */
int sz_loop_watch(sz_loop *l, int fd, short events, sz_fd_fn fn, void *ud);
/* Change the events of a watched fd. */
void sz_loop_events(sz_loop *l, int fd, short events);
void sz_loop_unwatch(sz_loop *l, int fd);
/* Call fn once at monotonic time `when` (ns). Returns an id (> 0) or 0 if
 * memory ran out. */
uint64_t sz_loop_timer(sz_loop *l, uint64_t when, sz_timer_fn fn, void *ud);
void sz_loop_cancel(sz_loop *l, uint64_t id);
void sz_loop_before_sleep(sz_loop *l, sz_hook_fn fn, void *ud);
/* From the before-sleep hook (or any callback): do not sleep in this
 * iteration, there is work to do. */
void sz_loop_wake(sz_loop *l);
/* Deliver the signals caught so far to the signal handler now (for a
 * caller blocked outside the loop, e.g. in open(2) on a FIFO). */
void sz_loop_take_signals(sz_loop *l);
/* Run one iteration; `may_sleep` 0 never waits. Returns 0, or -1 with
 * errno if poll failed. */
int sz_loop_once(sz_loop *l, int may_sleep);

/*
 * Signals: INT, TERM, HUP, USR1, CHLD are caught (SIGPIPE ignored) and
 * delivered to fn from the loop; a second INT or TERM while the first is
 * still being handled ends the process at once with 128+signo (unless
 * sz_signals_keep_second_stop). Call once.
 * INT, TERM, HUP and USR1 that the process was started with ignored (a
 * background job of a script, nohup, `trap '' INT`) stay ignored, as
 * coreutils leave them; CHLD is caught whatever it was (children must be
 * reaped).
 */
int sz_loop_signals(sz_loop *l, sz_sig_fn fn, void *ud);
/* Was signal s (INT, TERM, HUP, USR1) ignored when the process started,
 * and so left ignored? Children keep it ignored. Async-signal-safe. */
int sz_signal_ignored(int s);
/* Block the signals sz_loop_signals catches in the calling thread (old
 * mask in *old), for starting threads that must leave them to the loop's
 * thread; sz_signals_restore puts the mask back. */
void sz_signals_block(sigset_t *old);
void sz_signals_restore(const sigset_t *old);
/* How many SIGUSR1s came since the last call (they are counted, not
 * merged: one stats line each). */
unsigned sz_signals_take_usr1(void);
/* Was a stop signal (INT or TERM) caught at any time? Its number, or 0. */
int sz_signal_stop(void);
/* A second INT or TERM is delivered too, not the end of the process (a
 * third one is): for a tool whose stop takes time (sz-throttle's drain). */
void sz_signals_keep_second_stop(void);
/* How many INT and TERM signals were caught (two merged into one delivery
 * are still two). */
int sz_signal_stops(void);

#endif
