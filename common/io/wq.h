/* SPDX-License-Identifier: MIT */
/*
 * wq.h - a bounded queue of records in front of a non-blocking descriptor
 * (a pipe to a child, a FIFO, a socket): the writer of sz-route's and
 * sz-partition's pipes, and of sz-tap's copy next.
 *
 * Records are copied into one buffer of the queue's, each followed by its
 * newline (each with a 32-bit tag of the owner's), and written with as
 * few write(2) calls as the descriptor allows: the records lie one after
 * the other, so a run of them is one vector (no allocation per record).
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

#include "io/loop.h"

/* A queued record: where its bytes are in the buffer (its newline
 * follows them), and where it came from. */
typedef struct sz_wqrec {
	size_t pos;		/* offset in buf */
	size_t n;		/* bytes, without the newline */
	const char *file;	/* not owned: framer file names live on */
	unsigned long line;
	uint32_t tag;
} sz_wqrec;

typedef struct sz_wq {
	int fd;			/* where records go */
	int rfd;		/* a read end of the same pipe, or -1 */
	sz_loop *loop;
	sz_fd_fn on_writable;	/* the owner's POLLOUT callback */
	void *ud;
	void (*delivered)(void *ud, uint32_t tag);
	size_t max_count, max_bytes;
	/*
	 * The records' bytes, in queue order, each followed by its newline;
	 * a dropped record leaves a hole, taken back when the buffer is
	 * packed (before it grows). `end` is where the next one goes.
	 */
	char *buf;
	size_t cap, end;
	/*
	 * The records (a ring of rcap, a power of two, from r0): first the
	 * records written whole but maybe not read yet (`sent` of them,
	 * `sentbytes` bytes with their newlines), then those not written
	 * yet, the first of them `off` bytes written.
	 */
	sz_wqrec *rec;
	size_t rcap, r0;
	size_t count;		/* records queued */
	size_t bytes;		/* their bytes, without the newlines */
	size_t sent, sentbytes;
	size_t off;		/* bytes of the first unsent record written */
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
/* Their bytes, without the newlines. */
static inline size_t sz_wq_unsent_bytes(const sz_wq *w)
{
	return w->bytes - (w->sentbytes - w->sent);
}
/* Are the records not written yet at a bound? */
int sz_wq_full(const sz_wq *w);
/* Is anything left to write? */
static inline int sz_wq_pending(const sz_wq *w) { return w->count > w->sent; }

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
/* Take the head record out, delivered or not (for dead letters): 0 with
 * *r filled in and its bytes in *p (NUL-terminated, there until the next
 * call on w), or -1 when the queue is empty. */
int sz_wq_take(sz_wq *w, sz_wqrec *r, const char **p);
/* No more writes: end the POLLOUT watch (fd is the owner's to close). */
void sz_wq_stop(sz_wq *w);

#endif
