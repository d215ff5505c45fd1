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

/* Vectors per writev(2) (one per run of records that lie one after the
 * other: one, unless records were dropped), and bytes gathered for one. */
#define IOV_MAX_RUNS 64
#define WRITE_MAX ((size_t)1 << 20)
/* The buffer's least size, and the size above which an empty queue
 * gives its buffer back. */
#define BUF_MIN ((size_t)64 * 1024)
#define BUF_KEEP ((size_t)1 << 20)
/* With a read end known, how much may be written and not yet seen read
 * before the queue asks the pipe again (FIONREAD, which takes the pipe's
 * lock the reader needs); it asks, too, whenever the pipe is full. */
#define ACK_BYTES ((size_t)256 * 1024)

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
}

void
sz_wq_free(sz_wq *w)
{
	sz_wq_stop(w);
	free(w->buf);
	free(w->rec);
	w->buf = NULL;
	w->rec = NULL;
	w->cap = w->end = w->rcap = w->r0 = 0;
	w->count = w->bytes = w->sent = w->sentbytes = w->off = 0;
}

size_t
sz_wq_unsent(const sz_wq *w)
{
	return w->count - w->sent;
}

int
sz_wq_full(const sz_wq *w)
{
	size_t n = sz_wq_unsent(w);
	size_t bytes = sz_wq_unsent_bytes(w);

	return n >= w->max_count || (n > 0 && bytes >= w->max_bytes);
}

/* Queued record i (0 is the head). */
static inline sz_wqrec *
rec_at(const sz_wq *w, size_t i)
{
	return &w->rec[(w->r0 + i) & (w->rcap - 1)];
}

/* Room for one more record in the ring; 0 or -1. */
static int
rec_room(sz_wq *w)
{
	size_t nc;
	sz_wqrec *nr;

	if (w->count < w->rcap)
		return 0;
	nc = w->rcap ? 2 * w->rcap : 64;
	if ((nr = malloc(nc * sizeof(*nr))) == NULL)
		return -1;
	for (size_t i = 0; i < w->count; i++)
		nr[i] = *rec_at(w, i);
	free(w->rec);
	w->rec = nr;
	w->rcap = nc;
	w->r0 = 0;
	return 0;
}

/* Move the records to the start of the buffer, one after the other (the
 * holes of dropped ones and the space of delivered ones taken back). */
static void
pack(sz_wq *w)
{
	size_t dst = 0;

	for (size_t i = 0; i < w->count;) {
		size_t start = rec_at(w, i)->pos, at = start, j = i;

		/* a run of records that lie one after the other */
		for (; j < w->count && rec_at(w, j)->pos == at; j++) {
			rec_at(w, j)->pos = at - start + dst;
			at += rec_at(w, j)->n + 1;
		}
		if (dst != start)
			memmove(w->buf + dst, w->buf + start, at - start);
		dst += at - start;
		i = j;
	}
	w->end = dst;
}

/* Room for `need` more bytes at the end of the buffer; 0 or -1. */
static int
buf_room(sz_wq *w, size_t need)
{
	size_t live, nc;
	char *nb;

	if (w->cap - w->end >= need)
		return 0;
	live = w->bytes + w->count;	/* with the newlines */
	if (2 * (live + need) <= w->cap) {
		pack(w);	/* costs what it gives back, at most */
		return 0;
	}
	nc = w->cap ? 2 * w->cap : BUF_MIN;
	while (nc < 2 * (live + need))
		nc *= 2;
	if ((nb = realloc(w->buf, nc)) == NULL)
		return -1;
	w->buf = nb;
	w->cap = nc;
	pack(w);
	return 0;
}

int
sz_wq_push(sz_wq *w, const char *p, size_t n, const char *file,
    unsigned long line, uint32_t tag)
{
	sz_wqrec *r;

	if (rec_room(w) < 0 || buf_room(w, n + 1) < 0)
		return -1;
	r = rec_at(w, w->count);
	r->pos = w->end;
	r->n = n;
	r->file = file;
	r->line = line;
	r->tag = tag;
	memcpy(w->buf + w->end, p, n);
	w->buf[w->end + n] = '\n';
	w->end += n + 1;
	w->count++;
	w->bytes += n;
	return 0;
}

/* The queue is empty: start the buffer again from its start (or give a
 * big one back). */
static void
emptied(sz_wq *w)
{
	w->end = 0;
	if (w->cap > BUF_KEEP) {
		free(w->buf);
		w->buf = NULL;
		w->cap = 0;
	}
}

/* Take the head record out (its bytes stay in the buffer until the next
 * push); its entry. */
static sz_wqrec
take_head(sz_wq *w)
{
	sz_wqrec r = *rec_at(w, 0);

	w->r0 = (w->r0 + 1) & (w->rcap - 1);
	w->count--;
	w->bytes -= r.n;
	if (w->sent > 0) {
		w->sent--;
		w->sentbytes -= r.n + 1;
	} else
		w->off = 0;
	return r;
}

int
sz_wq_take(sz_wq *w, sz_wqrec *r, const char **p)
{
	if (w->count == 0)
		return -1;
	*r = take_head(w);
	w->buf[r->pos + r->n] = '\0';	/* its newline: the record is out */
	*p = w->buf + r->pos;
	if (w->count == 0)
		w->end = 0;	/* not emptied(): *p must stay */
	return 0;
}

/* The head record was delivered. */
static void
delivered(sz_wq *w)
{
	sz_wqrec r = take_head(w);

	if (w->count == 0)
		emptied(w);
	if (w->delivered != NULL)
		w->delivered(w->ud, r.tag);
}

void
sz_wq_ack(sz_wq *w)
{
	int unread = 0;
	size_t done;

	if (w->rfd < 0 || w->sent == 0 ||
	    ioctl(w->rfd, FIONREAD, &unread) < 0)
		return;
	done = w->sentbytes + w->off - (size_t)unread;
	while (w->sent > 0 && rec_at(w, 0)->n + 1 <= done) {
		done -= rec_at(w, 0)->n + 1;
		delivered(w);
	}
}

int
sz_wq_drop_oldest(sz_wq *w, uint32_t *tag)
{
	size_t i = w->sent + (w->off > 0);

	if (i >= w->count)
		return -1;
	*tag = rec_at(w, i)->tag;
	w->bytes -= rec_at(w, i)->n;
	/* its bytes are a hole now; the entries before it move up one */
	for (; i > 0; i--)
		*rec_at(w, i) = *rec_at(w, i - 1);
	w->r0 = (w->r0 + 1) & (w->rcap - 1);
	w->count--;
	if (w->count == 0)
		emptied(w);
	return 0;
}

/* `k` more bytes were written from the first unsent record on. */
static void
advance(sz_wq *w, size_t k)
{
	while (k > 0) {
		size_t rest = rec_at(w, w->sent)->n + 1 - w->off;

		if (k < rest) {
			w->off += k;
			break;
		}
		k -= rest;
		w->off = 0;
		w->sentbytes += rec_at(w, w->sent)->n + 1;
		w->sent++;
	}
	if (w->rfd < 0) {
		/* No way to know more: written is delivered. */
		while (w->sent > 0)
			delivered(w);
	} else if (w->sentbytes >= ACK_BYTES || !sz_wq_pending(w))
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

/* The vectors of what is not written yet (runs of records that lie one
 * after the other), at most WRITE_MAX bytes of them unless one record is
 * longer; their count. */
static int
gather(const sz_wq *w, struct iovec *iov)
{
	size_t total = 0;
	int n = 0;

	for (size_t i = w->sent; i < w->count && n <= IOV_MAX_RUNS &&
	    total < WRITE_MAX; i++) {
		const sz_wqrec *r = rec_at(w, i);
		size_t skip = i == w->sent ? w->off : 0;
		char *p = w->buf + r->pos + skip;
		size_t len = r->n + 1 - skip;

		if (n > 0 && (char *)iov[n - 1].iov_base +
		    iov[n - 1].iov_len == p)
			iov[n - 1].iov_len += len;
		else if (n == IOV_MAX_RUNS)
			break;
		else {
			iov[n].iov_base = p;
			iov[n].iov_len = len;
			n++;
		}
		total += len;
	}
	return n;
}

int
sz_wq_write(sz_wq *w)
{
	while (sz_wq_pending(w)) {
		struct iovec iov[IOV_MAX_RUNS];
		int n = gather(w, iov);
		ssize_t k = n == 1 ? write(w->fd, iov[0].iov_base,
		    iov[0].iov_len) : writev(w->fd, iov, n);

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
