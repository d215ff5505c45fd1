/* SPDX-License-Identifier: MIT */
/* out.c - buffered, checked output to a file descriptor; see out.h. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include "io/loop.h"
#include "io/out.h"

void
sz_pipe_grow(int fd)
{
#ifdef F_SETPIPE_SZ
	struct stat st;
	int cur;

	if (fstat(fd, &st) < 0 || !S_ISFIFO(st.st_mode))
		return;
	cur = fcntl(fd, F_GETPIPE_SZ);
	if (cur >= 0 && cur < SZ_PIPE_SIZE)
		(void)fcntl(fd, F_SETPIPE_SZ, SZ_PIPE_SIZE);
#else
	(void)fd;
#endif
}

static int
init(sz_out *o, int fd)
{
	memset(o, 0, sizeof(*o));
	o->fd = fd;
	o->cap = SZ_OUT_BUFSIZE;
	o->buf = malloc(o->cap);
	if (o->buf == NULL) {
		o->err = ENOMEM;
		return -1;
	}
	return 0;
}

int
sz_out_fd(sz_out *o, int fd)
{
	return init(o, fd);
}

int
sz_out_open(sz_out *o, const char *path, int append)
{
	int flags = O_WRONLY | O_CREAT | O_CLOEXEC |
	    (append ? O_APPEND : O_TRUNC);
	int fd = open(path, flags, 0666);

	if (fd < 0)
		return -1;
	if (init(o, fd)) {
		close(fd);
		errno = ENOMEM;
		return -1;
	}
	o->owned = 1;
	o->oflags = (flags & ~O_TRUNC) | O_APPEND;
	o->path = strdup(path);
	if (o->path == NULL) {
		sz_out_close(o);
		errno = ENOMEM;
		return -1;
	}
	return 0;
}

int
sz_out_reopen(sz_out *o)
{
	int fd;

	if (o->path == NULL)
		return 0;
	if (sz_out_flush(o) < 0)
		return -1;
	fd = open(o->path, o->oflags, 0666);
	if (fd < 0) {
		o->err = errno;
		return -1;
	}
	if (close(o->fd) < 0 && !o->err)
		o->err = errno;
	o->fd = fd;
	return o->err ? -1 : 0;
}

static void (*intr_fn)(void *);
static void *intr_ud;

void
sz_out_on_intr(void (*fn)(void *), void *ud)
{
	intr_fn = fn;
	intr_ud = ud;
}

static void
interrupted(void)
{
	if (intr_fn != NULL)
		intr_fn(intr_ud);
}

int
sz_out_watch(sz_out *o, uint64_t slice, void (*fn)(void *), void *ud)
{
	struct stat st;
	int fl;

	if (fstat(o->fd, &st) < 0 || !S_ISFIFO(st.st_mode) ||
	    (fl = fcntl(o->fd, F_GETFL)) < 0 || (fl & O_NONBLOCK))
		return 0;
	o->on_block = fn;
	o->block_ud = ud;
	o->slice = slice ? slice : 1000000000ull;
	return 1;
}

uint64_t
sz_out_blocked_ns(const sz_out *o)
{
	return o->blocked_ns + (o->block_start ? sz_now() - o->block_start :
	    0);
}

/*
 * A watched pipe: how many of n bytes can be written now without waiting
 * for the reader. The room is the pipe's size less what it holds, less two
 * pages (the pipe is kept in pages: a page read or written in part still
 * takes a whole one). When less than a page fits, wait in poll(2), in
 * slices, calling on_block after each; a pipe with a free page takes a
 * page without blocking.
 */
#define PAGE 4096
static size_t
room(sz_out *o, size_t n)
{
	int size = -1, held = 0;
	size_t free_b = 0;

#ifdef F_GETPIPE_SZ
	size = fcntl(o->fd, F_GETPIPE_SZ);
#endif
	if (size < 0 || ioctl(o->fd, FIONREAD, &held) < 0)
		return n;	/* cannot tell: write as before */
	if ((size_t)size > (size_t)held + 2 * PAGE)
		free_b = (size_t)size - (size_t)held - 2 * PAGE;
	if (free_b >= n)
		return n;
	if (free_b >= PAGE)
		return free_b;
	o->block_start = sz_now();
	for (;;) {
		struct pollfd pf = { o->fd, POLLOUT, 0 };
		int k = poll(&pf, 1, (int)(o->slice / 1000000));

		if (k > 0)
			break;	/* writable, or an error write() will see */
		if (k < 0 && errno == EINTR)
			interrupted();
		else if (k == 0 && o->on_block != NULL)
			o->on_block(o->block_ud);
		else if (k < 0)
			break;
	}
	o->blocked_ns += sz_now() - o->block_start;
	o->block_start = 0;
	return n < PAGE ? n : PAGE;
}

static int put_direct(sz_out *o, const void *p, size_t n, int nl);

/* write(2), through room() for a watched pipe. */
static ssize_t
put(sz_out *o, const void *p, size_t n)
{
	if (o->slice != 0)
		n = room(o, n);
	return write(o->fd, p, n);
}

int
sz_out_flush(sz_out *o)
{
	size_t off = 0;

	if (o->err)
		return -1;
	while (off < o->len) {
		ssize_t k = put(o, o->buf + off, o->len - off);

		if (k < 0) {
			if (errno == EINTR) {
				interrupted();
				continue;
			}
			if (errno == EAGAIN && o->nonblock) {
				memmove(o->buf, o->buf + off, o->len - off);
				o->len -= off;
				return 1;
			}
			o->err = errno;
			return -1;
		}
		if ((size_t)k < o->len - off)
			interrupted();	/* a signal may have cut it short */
		off += (size_t)k;
	}
	o->len = 0;
	return 0;
}

int
sz_out_write(sz_out *o, const void *p, size_t n)
{
	if (o->err)
		return -1;
	o->bytes += n;
	if (o->len + n > o->cap) {
		if (o->nonblock) {
			/* Grow instead of blocking: the owner bounds what it
			 * gives us by watching sz_out_pending(). */
			size_t cap = o->cap;
			char *nb;

			while (cap < o->len + n)
				cap *= 2;
			if ((nb = realloc(o->buf, cap)) == NULL) {
				o->err = ENOMEM;
				return -1;
			}
			o->buf = nb;
			o->cap = cap;
		} else {
			if (sz_out_flush(o) < 0)
				return -1;
			if (n >= o->cap)	/* too big to buffer */
				return put_direct(o, p, n, 0);
		}
	}
	memcpy(o->buf + o->len, p, n);
	o->len += n;
	return 0;
}

/*
 * Write what the buffer holds, then n bytes at p and (nl) a newline, with
 * writev(2) from where they lie (blocking descriptors; through room() for
 * a watched pipe), again after EINTR and short writes. 0, or -1 with
 * o->err set.
 */
#if defined(__GNUC__)
__attribute__((noinline))	/* so that sz_out_record needs no frame */
#endif
static int
put_direct(sz_out *o, const void *p, size_t n, int nl)
{
	struct iovec v[3] = {
		{ o->buf, o->len }, { (void *)p, n }, { "\n", 1 }
	};
	struct iovec *iv = v[0].iov_len ? v : v + 1;
	int cnt = (v[0].iov_len ? 3 : 2) - !nl;

	while (cnt > 0) {
		struct iovec cut[3];
		size_t total = 0, want;
		ssize_t k;
		int m = cnt;

		for (int i = 0; i < cnt; i++)
			total += iv[i].iov_len;
		want = o->slice != 0 ? room(o, total) : total;
		if (want < total) {
			/* Only what the pipe takes now. */
			size_t left = want;

			for (m = 0; m < cnt && left > 0; m++) {
				cut[m] = iv[m];
				if (cut[m].iov_len > left)
					cut[m].iov_len = left;
				left -= cut[m].iov_len;
			}
		}
		k = writev(o->fd, want < total ? cut : iv, m);
		if (k < 0) {
			if (errno == EINTR) {
				interrupted();
				continue;
			}
			o->err = errno;
			return -1;
		}
		if ((size_t)k < total)
			interrupted();	/* a signal may have cut it short */
		while (cnt > 0 && (size_t)k >= iv->iov_len) {
			k -= (ssize_t)iv->iov_len;
			iv++;
			cnt--;
		}
		if (cnt > 0) {
			iv->iov_base = (char *)iv->iov_base + k;
			iv->iov_len -= (size_t)k;
		}
	}
	o->len = 0;
	return 0;
}

int
sz_out_record(sz_out *o, const void *p, size_t n)
{
	if (o->err)
		return -1;
	if (o->len + n + 1 <= o->cap && n < SZ_OUT_DIRECT) {
		/* The common case, kept short. */
		memcpy(o->buf + o->len, p, n);
		o->buf[o->len + n] = '\n';
		o->len += n + 1;
		o->bytes += n + 1;
	} else if (n >= SZ_OUT_DIRECT && !o->nonblock) {
		/* A big record (sz-batch's arrays) is not copied. */
		if (put_direct(o, p, n, 1) < 0)
			return -1;
		o->bytes += n + 1;
	} else if (sz_out_write(o, p, n) < 0 || sz_out_write(o, "\n", 1) < 0)
		return -1;
	o->records++;
	if (o->unbuffered && sz_out_flush(o) < 0)
		return -1;
	return 0;
}

int
sz_out_close(sz_out *o)
{
	int rc = 0;

	if (o->buf != NULL) {
		int was_nb = o->nonblock;

		if (was_nb && o->len > 0) {
			/* Finish the job blocking. */
			int fl = fcntl(o->fd, F_GETFL);

			if (fl >= 0)
				(void)fcntl(o->fd, F_SETFL, fl & ~O_NONBLOCK);
			o->nonblock = 0;
		}
		if (sz_out_flush(o) < 0)
			rc = -1;
	}
	if (o->owned && o->fd >= 0) {
		if (close(o->fd) < 0 && !o->err) {
			o->err = errno;
			rc = -1;
		}
		o->fd = -1;
	}
	free(o->buf);
	o->buf = NULL;
	free(o->path);
	o->path = NULL;
	if (o->err)
		rc = -1;
	return rc;
}

int
sz_write_all(int fd, const void *buf, size_t n)
{
	const char *p = buf;

	while (n > 0) {
		ssize_t k = write(fd, p, n);

		if (k < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += k;
		n -= (size_t)k;
	}
	return 0;
}
