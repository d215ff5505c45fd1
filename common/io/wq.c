/* SPDX-License-Identifier: MIT */
/* wq.c - a bounded record queue before a non-blocking descriptor; see wq.h. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include "io/wq.h"

/* Records per writev(2): two vectors each (the bytes, the newline). */
#define IOV_RECS 64

static char newline[] = "\n";

int
sz_fd_is_pipe(int fd)
{
	struct stat st;

	return fstat(fd, &st) == 0 &&
	    (S_ISFIFO(st.st_mode) || S_ISSOCK(st.st_mode));
}

int
sz_fd_nonblock(int fd, int *old)
{
	int fl = fcntl(fd, F_GETFL);

	if (fl < 0)
		return -1;
	if (old != NULL)
		*old = fl;
	if (fl & O_NONBLOCK)
		return 0;
	return fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0 ? -1 : 0;
}

void
sz_wq_init(sz_wq *w, sz_loop *loop, int fd, size_t max_count,
    size_t max_bytes, sz_fd_fn on_writable,
    void (*delivered)(void *ud, uint32_t tag), void *ud)
{
	memset(w, 0, sizeof(*w));
	w->fd = fd;
	w->rfd = -1;
	w->loop = loop;
	w->on_writable = on_writable;
	w->delivered = delivered;
	w->ud = ud;
	w->max_count = max_count ? max_count : 1;
	w->max_bytes = max_bytes;
	sz_queue_init(&w->q, w->max_count, max_bytes);
}

void
sz_wq_free(sz_wq *w)
{
	sz_wq_stop(w);
	sz_queue_clear(&w->q);
	free(w->tags);
	w->tags = NULL;
	w->tagcap = w->tag0 = 0;
	w->cur = w->last = NULL;
	w->sent = w->sentbytes = w->off = 0;
}

size_t
sz_wq_unsent(const sz_wq *w)
{
	return w->q.count - w->sent;
}

int
sz_wq_full(const sz_wq *w)
{
	size_t n = sz_wq_unsent(w);
	size_t bytes = w->q.bytes - (w->sentbytes - w->sent);

	return n >= w->max_count || (n > 0 && bytes >= w->max_bytes);
}

/* The tag of queued record i (0 is the head). */
static uint32_t *
tag_at(sz_wq *w, size_t i)
{
	return &w->tags[(w->tag0 + i) % w->tagcap];
}

static int
tag_push(sz_wq *w, uint32_t tag)
{
	size_t n = w->q.count;	/* tags held before this one */

	if (n == w->tagcap) {
		size_t nc = w->tagcap ? 2 * w->tagcap : 64;
		uint32_t *nt = malloc(nc * sizeof(*nt));

		if (nt == NULL)
			return -1;
		for (size_t i = 0; i < n; i++)
			nt[i] = *tag_at(w, i);
		free(w->tags);
		w->tags = nt;
		w->tagcap = nc;
		w->tag0 = 0;
	}
	w->tags[(w->tag0 + n) % w->tagcap] = tag;
	return 0;
}

static uint32_t
tag_pop(sz_wq *w)
{
	uint32_t tag = *tag_at(w, 0);

	w->tag0 = (w->tag0 + 1) % w->tagcap;
	return tag;
}

int
sz_wq_push(sz_wq *w, const char *p, size_t n, const char *file,
    unsigned long line, uint32_t tag)
{
	if (tag_push(w, tag) < 0)
		return -1;
	if (sz_queue_push(&w->q, p, n, file, line) < 0)
		return -1;
	if (w->cur == NULL)
		w->cur = w->q.tail;
	return 0;
}

sz_qitem *
sz_wq_take(sz_wq *w, uint32_t *tag)
{
	sz_qitem *it = sz_queue_pop(&w->q);

	if (it == NULL)
		return NULL;
	*tag = tag_pop(w);
	if (it == w->cur) {
		w->cur = it->next;
		w->off = 0;
	} else {
		w->sent--;
		w->sentbytes -= it->n + 1;
		if (w->last == it)
			w->last = NULL;
	}
	return it;
}

/* The head record was delivered. */
static void
delivered(sz_wq *w)
{
	uint32_t tag;

	free(sz_wq_take(w, &tag));
	if (w->delivered != NULL)
		w->delivered(w->ud, tag);
}

void
sz_wq_ack(sz_wq *w)
{
	int unread = 0;
	size_t done;

	if (w->rfd < 0 || ioctl(w->rfd, FIONREAD, &unread) < 0)
		return;
	done = w->sentbytes + w->off - (size_t)unread;
	while (w->sent > 0 && w->q.head->n + 1 <= done) {
		done -= w->q.head->n + 1;
		delivered(w);
	}
}

int
sz_wq_drop_oldest(sz_wq *w, uint32_t *tag)
{
	sz_qitem *it, *pred;
	size_t i;

	if (w->cur == NULL)
		return -1;
	if (w->off == 0) {
		it = w->cur;
		pred = w->last;
		i = w->sent;
	} else {
		it = w->cur->next;
		pred = w->cur;
		i = w->sent + 1;
	}
	if (it == NULL)
		return -1;
	if (pred == NULL) {
		free(sz_wq_take(w, tag));
		return 0;
	}
	pred->next = it->next;
	if (w->q.tail == it)
		w->q.tail = pred;
	w->q.count--;
	w->q.bytes -= it->n;
	if (w->cur == it)
		w->cur = it->next;
	/* take tag i out: the ones before it move up one */
	*tag = *tag_at(w, i);
	for (; i > 0; i--)
		*tag_at(w, i) = *tag_at(w, i - 1);
	w->tag0 = (w->tag0 + 1) % w->tagcap;
	free(it);
	return 0;
}

/* `k` more bytes were written from cur on. */
static void
advance(sz_wq *w, size_t k)
{
	while (k > 0) {
		sz_qitem *it = w->cur;
		size_t rest = it->n + 1 - w->off;

		if (k < rest) {
			w->off += k;
			break;
		}
		k -= rest;
		w->off = 0;
		w->sent++;
		w->sentbytes += it->n + 1;
		w->last = it;
		w->cur = it->next;
	}
	if (w->rfd < 0) {
		/* No way to know more: written is delivered. */
		while (w->sent > 0)
			delivered(w);
	} else
		sz_wq_ack(w);
}

static void
watch(sz_wq *w, int on)
{
	if (on && !w->watching) {
		if (sz_loop_watch(w->loop, w->fd, POLLOUT, w->on_writable,
		    w->ud) == 0) {
			w->watching = 1;
			sz_loop_wake(w->loop);	/* a poll being set up
						   misses it */
		}
	} else if (!on && w->watching) {
		sz_loop_unwatch(w->loop, w->fd);
		w->watching = 0;
	}
}

void
sz_wq_stop(sz_wq *w)
{
	watch(w, 0);
}

int
sz_wq_write(sz_wq *w)
{
	while (w->cur != NULL) {
		struct iovec iov[2 * IOV_RECS];
		size_t off = w->off;
		int n = 0;
		ssize_t k;

		for (sz_qitem *it = w->cur; it != NULL && n + 2 <= 2 * IOV_RECS;
		    it = it->next) {
			if (off < it->n) {
				iov[n].iov_base = it->p + off;
				iov[n].iov_len = it->n - off;
				n++;
			}
			iov[n].iov_base = newline;
			iov[n].iov_len = 1;
			n++;
			off = 0;
		}
		k = writev(w->fd, iov, n);
		if (k < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK) {
				watch(w, 1);
				sz_wq_ack(w);
				return 1;
			}
			return -1;
		}
		advance(w, (size_t)k);
	}
	watch(w, 0);
	return 0;
}
