/* SPDX-License-Identifier: MIT */
/* queue.c - a bounded FIFO of record copies; see queue.h. */
#include <stdlib.h>
#include <string.h>

#include "core/queue.h"

void
sz_queue_init(sz_queue *q, size_t max_count, size_t max_bytes)
{
	memset(q, 0, sizeof(*q));
	q->max_count = max_count;
	q->max_bytes = max_bytes;
}

int
sz_queue_full(const sz_queue *q, size_t n)
{
	if (q->count >= q->max_count)
		return 1;
	return q->count > 0 && q->bytes + n > q->max_bytes;
}

sz_qitem *
sz_queue_push_n(sz_queue *q, size_t n, const char *file, unsigned long line)
{
	sz_qitem *it = malloc(sizeof(*it) + n + 1);

	if (it == NULL)
		return NULL;
	it->next = NULL;
	it->file = file;
	it->line = line;
	it->n = n;
	it->p[n] = '\0';
	if (q->tail)
		q->tail->next = it;
	else
		q->head = it;
	q->tail = it;
	q->count++;
	q->bytes += n;
	return it;
}

int
sz_queue_push(sz_queue *q, const char *p, size_t n, const char *file,
    unsigned long line)
{
	sz_qitem *it = sz_queue_push_n(q, n, file, line);

	if (it == NULL)
		return -1;
	memcpy(it->p, p, n);
	return 0;
}

sz_qitem *
sz_queue_pop(sz_queue *q)
{
	sz_qitem *it = q->head;

	if (it == NULL)
		return NULL;
	q->head = it->next;
	if (q->head == NULL)
		q->tail = NULL;
	q->count--;
	q->bytes -= it->n;
	it->next = NULL;
	return it;
}

void
sz_queue_clear(sz_queue *q)
{
	sz_qitem *it;

	while ((it = sz_queue_pop(q)) != NULL)
		free(it);
}
