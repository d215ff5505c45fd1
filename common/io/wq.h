/* SPDX-License-Identifier: MIT */
/*
 * wq.h - a bounded queue of records in front of a non-blocking descriptor
 * (a pipe to a child, a FIFO, a socket): the writer of sz-route's and
 * sz-partition's pipes, and of sz-tap's copy next.
 *
 * Records are copied into the queue (each with a 32-bit tag of the
 * owner's) and written with writev(2), as many as the descriptor takes.
 * When it takes no more, the queue watches the descriptor for POLLOUT in
 * the owner's loop and the owner's callback writes again; once all is
 * written the watch ends, so a stalled reader costs no CPU.
 *
 * A record is delivered (the `delivered` hook, where the owner counts it
 * as written: once, never taken back) when its last byte is written; or,
 * when the queue knows a read end of the pipe (`rfd`, e.g. a child's
 * standard input: sz_child.inr), only once the reader has read it, so
 * that the records a child never read are not counted and stay queued
 * for the owner's dead letters.
 *
 * The bounds (records and bytes) count the records not written yet; the
 * owner asks sz_wq_full() and applies its policy (see SZ_FULL_* in
 * core/opts.h): stop reading, drop the newest, or drop the oldest with
 * sz_wq_drop_oldest().
 */
#ifndef SZ_WQ_H
#define SZ_WQ_H

#include <stddef.h>
#include <stdint.h>

#include "core/queue.h"
#include "io/loop.h"

typedef struct sz_wq {
	int fd;			/* where records go */
	int rfd;		/* a read end of the same pipe, or -1 */
	sz_loop *loop;
	sz_fd_fn on_writable;	/* the owner's POLLOUT callback */
	void *ud;
	void (*delivered)(void *ud, uint32_t tag);
	size_t max_count, max_bytes;
	/*
	 * First the records written whole but maybe not read yet (`sent`
	 * of them, `sentbytes` bytes with their newlines), then those not
	 * written yet, from `cur` (`off` of its bytes written).
	 */
	sz_queue q;
	uint32_t *tags;		/* the tag of each queued record (a ring) */
	size_t tag0, tagcap;
	size_t sent, sentbytes;
	sz_qitem *cur;		/* the first record not written whole */
	sz_qitem *last;		/* the record before cur, or NULL */
	size_t off;		/* bytes of cur already written */
	int watching;		/* POLLOUT watch on fd */
} sz_wq;

/* Is fd a pipe, a FIFO or a socket (a reader that may stall)? */
int sz_fd_is_pipe(int fd);
/* Make fd non-blocking; its flags before in *old (may be NULL). 0 or -1. */
int sz_fd_nonblock(int fd, int *old);

/*
 * A queue writing to fd (already non-blocking), bounded by max_count
 * records and max_bytes bytes of records not written yet. on_writable(
 * loop, fd, revents, ud) is called when fd takes bytes again after
 * sz_wq_write answered 1; delivered(ud, tag) for each record delivered.
 */
void sz_wq_init(sz_wq *w, sz_loop *loop, int fd, size_t max_count,
    size_t max_bytes, sz_fd_fn on_writable,
    void (*delivered)(void *ud, uint32_t tag), void *ud);
/* Stop watching and free the records still queued (fd is not closed). */
void sz_wq_free(sz_wq *w);

/* Records queued and not written whole yet. */
size_t sz_wq_unsent(const sz_wq *w);
/* Are the records not written yet at a bound? */
int sz_wq_full(const sz_wq *w);
/* Is anything left to write? */
static inline int sz_wq_pending(const sz_wq *w) { return w->cur != NULL; }

/* Append a copy of p[0..n) (a record, without its newline); 0, or -1
 * when memory ran out. */
int sz_wq_push(sz_wq *w, const char *p, size_t n, const char *file,
    unsigned long line, uint32_t tag);
/*
 * Write until everything is written (0: the watch ends) or fd would block
 * (1: POLLOUT is watched). -1 with errno on a write error (EPIPE: the
 * reader went away); the records stay queued.
 */
int sz_wq_write(sz_wq *w);
/* Deliver the records the reader has read (with rfd set; else the
 * written ones are delivered as they are written). */
void sz_wq_ack(sz_wq *w);
/* Drop the oldest record not begun; its tag in *tag. 0, or -1 if none. */
int sz_wq_drop_oldest(sz_wq *w, uint32_t *tag);
/* Take the head record out, delivered or not (for dead letters; the
 * caller frees it); NULL when empty. */
sz_qitem *sz_wq_take(sz_wq *w, uint32_t *tag);
/* No more writes: end the POLLOUT watch (fd is the owner's to close). */
void sz_wq_stop(sz_wq *w);

#endif
