/* SPDX-License-Identifier: MIT */
/*
 * queue.h - a bounded FIFO of records (copies), limited both in records
 * and in bytes.
 *
 * The owner asks sz_queue_full() before pushing and decides what a full
 * queue means (stop reading, drop the newest, drop the oldest). A record
 * larger than the byte bound is still accepted into an empty queue, so
 * that any record can pass.
 */
#ifndef SZ_QUEUE_H
#define SZ_QUEUE_H

#include <stddef.h>

typedef struct sz_qitem {
	struct sz_qitem *next;
	const char *file;	/* not owned: framer file names live on */
	unsigned long line;
	size_t n;
	char p[];		/* the record's bytes, NUL-terminated */
} sz_qitem;

typedef struct sz_queue {
	sz_qitem *head, *tail;
	size_t count, bytes;
	size_t max_count, max_bytes;
} sz_queue;

void sz_queue_init(sz_queue *q, size_t max_count, size_t max_bytes);
/* Would a record of n bytes go beyond a bound? */
int sz_queue_full(const sz_queue *q, size_t n);
/* Append a copy; returns 0, or -1 when memory ran out. */
int sz_queue_push(sz_queue *q, const char *p, size_t n, const char *file,
    unsigned long line);
/* Append an item of n bytes that the caller fills in (it->p[0..n), which
 * is NUL-terminated); NULL when memory ran out. */
sz_qitem *sz_queue_push_n(sz_queue *q, size_t n, const char *file,
    unsigned long line);
/* The oldest record, still queued, or NULL. */
static inline sz_qitem *sz_queue_head(sz_queue *q) { return q->head; }
/* Remove the oldest record and return it (the caller frees it with
 * free()), or NULL. */
sz_qitem *sz_queue_pop(sz_queue *q);
/* Free every record. */
void sz_queue_clear(sz_queue *q);

#endif
