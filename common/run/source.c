/* SPDX-License-Identifier: MIT */
/* source.c - a set of input sources delivering whole records; see source.h. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "io/out.h"
#include "json/json.h"
#include "run/source.h"

/* A begun line up to this long is moved to the front of the read buffer
 * before the next read; the buffer has this much room beyond the read
 * size for it. */
#define TAIL_MIN 4096

void
sz_srcset_init(sz_srcset *set, sz_loop *loop)
{
	memset(set, 0, sizeof(*set));
	set->loop = loop;
	set->max_record = SIZE_MAX / 2;
	set->read_size = 256 * 1024;
}

static void
source_close(sz_source *s)
{
	if (s->fd >= 0) {
		sz_loop_unwatch(s->set->loop, s->fd);
		if (s->own_fd)
			close(s->fd);
		s->fd = -1;
	}
	free(s->rbuf);
	s->rbuf = NULL;
	sz_framer_free(&s->fr);
}

void
sz_srcset_free(sz_srcset *set)
{
	for (size_t i = 0; i < set->n; i++) {
		source_close(set->v[i]);
		sz_buf_free(&set->v[i]->chunk);
		sz_buf_free(&set->v[i]->next);
		free(set->v[i]);
	}
	free(set->v);
	set->v = NULL;
	set->n = set->cap = 0;
}

static sz_source *
add(sz_srcset *set, const char *name)
{
	sz_source *s;

	if (set->n == set->cap) {
		size_t nc = set->cap ? 2 * set->cap : 8;
		sz_source **nv = realloc(set->v, nc * sizeof(*nv));

		if (nv == NULL)
			return NULL;
		set->v = nv;
		set->cap = nc;
	}
	if ((s = calloc(1, sizeof(*s))) == NULL)
		return NULL;
	s->name = name;
	s->fd = -1;
	s->set = set;
	set->v[set->n++] = s;
	return s;
}

sz_source *
sz_source_file(sz_srcset *set, const char *path)
{
	sz_source *s = add(set, strcmp(path, "-") == 0 ? "<stdin>" : path);

	if (s != NULL)
		s->path = path;
	return s;
}

sz_source *
sz_source_fd(sz_srcset *set, int fd, const char *name, int own)
{
	sz_source *s = add(set, name);

	if (s != NULL) {
		s->fd = fd;
		s->own_fd = own;
	}
	return s;
}

sz_source *
sz_source_fed(sz_srcset *set, const char *name)
{
	sz_source *s = add(set, name);

	if (s != NULL)
		s->fed = 1;
	return s;
}

static void on_readable(sz_loop *l, int fd, short revents, void *ud);

/*
 * Set a source up for reading: open a FILE (a FIFO blocks until its writer
 * comes; a signal is answered and the open tried again unless the owner
 * says stop), watch its descriptor. Returns 0, 1 when the FILE could not
 * be opened (reported), 2 when the owner gave up, -1 out of memory.
 */
static int
source_start(sz_srcset *set, sz_source *s)
{
	if (s->path != NULL && strcmp(s->path, "-") == 0)
		s->fd = 0;
	else if (s->path != NULL) {
		while ((s->fd = open(s->path, O_RDONLY | O_CLOEXEC)) < 0 &&
		    errno == EINTR) {
			sz_loop_take_signals(set->loop);
			if (set->interrupted != NULL &&
			    set->interrupted(set->ud))
				return 2;
		}
		if (s->fd < 0) {
			s->done = 1;
			set->on_event(set->ud, s, SZ_SRC_OPEN_ERROR, errno,
			    NULL);
			return 1;
		}
		s->own_fd = 1;
	}
	s->started = 1;
	s->need = 1;
	sz_framer_init(&s->fr, s->name, set->max_record);
	if (s->fed) {
		/* Bytes (or the end) may have come before the start. */
		s->need = s->next.len == 0 && !s->ended;
		return 0;
	}
	sz_pipe_grow(s->fd);
	s->rcap = set->read_size + TAIL_MIN;
	s->rlen = s->rfed = 0;
	if ((s->rbuf = malloc(s->rcap)) == NULL ||
	    sz_loop_watch(set->loop, s->fd, POLLIN, on_readable, s) < 0)
		return -1;
	return 0;
}

/* In order: start the next FILE that opens. Returns 0 or -1 (memory). */
static int
next_file(sz_srcset *set)
{
	while (set->next_file < set->n) {
		sz_source *s = set->v[set->next_file++];
		int k;

		if (s->path == NULL || s->started || s->done)
			continue;
		if ((k = source_start(set, s)) == 0)
			return 0;
		if (k == 2) {
			/* Given up: nothing more is opened. */
			for (size_t i = 0; i < set->n; i++)
				if (!set->v[i]->started)
					set->v[i]->done = 1;
			return 0;
		}
		if (k < 0)
			return -1;
	}
	return 0;
}

int
sz_srcset_start(sz_srcset *set)
{
	for (size_t i = 0; i < set->n; i++) {
		sz_source *s = set->v[i];
		int k;

		if (s->path != NULL && set->mode == SZ_SRC_IN_ORDER)
			continue;
		if ((k = source_start(set, s)) < 0)
			return -1;
		if (k == 2)
			return next_file(set);
	}
	return set->mode == SZ_SRC_IN_ORDER ? next_file(set) : 0;
}

/* A source is finished and consumed: release it, say so, go on. */
static void
source_end(sz_srcset *set, sz_source *s)
{
	source_close(s);
	sz_buf_free(&s->chunk);
	sz_buf_free(&s->next);
	s->done = 1;
	set->on_event(set->ud, s, SZ_SRC_END, 0, NULL);
	if (s->path != NULL && set->mode == SZ_SRC_IN_ORDER &&
	    next_file(set) < 0)
		set->on_event(set->ud, s, SZ_SRC_NOMEM, ENOMEM, NULL);
}

/*
 * Where the next read goes. The bytes after the last newline read (a line
 * begun, s->rfed..s->rlen) stay in the buffer and the read comes after
 * them, so that the framer gets whole lines and never copies a line split
 * between two reads (sz-unbatch's 166 KB lines were nearly all split by
 * 256 KiB reads). A short begun line is moved to the front; a long one
 * gets room after it (the buffer grows once to twice the read size).
 * Returns how many bytes to read.
 */
static size_t
read_room(sz_srcset *set, sz_source *s)
{
	size_t tail = s->rlen - s->rfed;

	if (tail <= TAIL_MIN || s->rcap - s->rlen < set->read_size) {
		if (tail > 0 && s->rfed > 0)
			memmove(s->rbuf, s->rbuf + s->rfed, tail);
		s->rlen = tail;
		s->rfed = 0;
	}
	if (s->rcap - s->rlen < set->read_size &&
	    s->rcap < 2 * set->read_size) {
		char *nb = realloc(s->rbuf, 2 * set->read_size);

		if (nb != NULL) {
			s->rbuf = nb;
			s->rcap = 2 * set->read_size;
		}
	}
	return s->rcap - s->rlen < set->read_size ? s->rcap - s->rlen :
	    set->read_size;
}

/* Give the framer the bytes read up to the last newline of the k just
 * read, or all of them: at the end, when the framer carries a line
 * already, or when the begun line leaves no room for a read (a line over
 * the read size, or over the longest record: the framer reports it). */
static void
feed(sz_srcset *set, sz_source *s, size_t k)
{
	size_t upto = s->rlen;

	if (k > 0 && !s->fr.carrying) {
		const char *nl = memrchr(s->rbuf + s->rlen - k, '\n', k);

		if (nl != NULL)
			upto = (size_t)(nl - s->rbuf) + 1;
		else if (s->rlen - s->rfed < s->rcap - set->read_size &&
		    s->rlen - s->rfed <= set->max_record)
			return;		/* read on: no whole line yet */
	}
	sz_framer_feed(&s->fr, s->rbuf + s->rfed, upto - s->rfed);
	s->rfed = upto;
	s->need = 0;
}

static void
on_readable(sz_loop *l, int fd, short revents, void *ud)
{
	sz_source *s = ud;
	sz_srcset *set = s->set;
	ssize_t k;

	(void)l;
	(void)revents;
	if (!s->need || s->paused || set->paused || s->done)
		return;
	if (set->on_bytes != NULL) {
		/* Raw mode: the owner frames the bytes itself. */
		if ((k = read(fd, s->rbuf, set->read_size)) < 0) {
			if (errno == EINTR || errno == EAGAIN)
				return;
			set->on_event(set->ud, s, SZ_SRC_READ_ERROR, errno,
			    NULL);
			k = 0;
		}
		if (set->on_bytes(set->ud, s, s->rbuf, (size_t)k, k == 0) == 0
		    && k == 0)
			source_end(set, s);
		return;
	}
	k = read(fd, s->rbuf + s->rlen, read_room(set, s));
	if (k < 0) {
		if (errno == EINTR || errno == EAGAIN)
			return;
		set->on_event(set->ud, s, SZ_SRC_READ_ERROR, errno, NULL);
		k = 0;
	}
	if (k == 0) {
		s->eof = 1;
		sz_framer_finish(&s->fr);
	}
	s->rlen += (size_t)k;
	feed(set, s, (size_t)k);
}

/* A fed source's framer wants bytes: give it the waiting ones, or its
 * end. Returns 1 if it got something. */
static int
fed_refill(sz_source *s)
{
	sz_buf tmp;

	if (s->next.len > 0) {
		tmp = s->chunk;
		s->chunk = s->next;
		s->next = tmp;
		sz_buf_reset(&s->next);
		sz_framer_feed(&s->fr, s->chunk.p, s->chunk.len);
		return 1;
	}
	if (s->ended && !s->eof) {
		s->eof = 1;
		sz_framer_finish(&s->fr);
		sz_framer_feed(&s->fr, s->chunk.p, 0);
		return 1;
	}
	return 0;
}

static int holding(const sz_srcset *set);

/* Deliver the whole records s holds. Returns -1 when on_record asked to
 * stop, else 0. */
static int
deliver(sz_srcset *set, sz_source *s)
{
	sz_rec r;

	while (!set->paused && !s->paused && !s->need && !s->done) {
		switch (sz_framer_next(&s->fr, &r)) {
		case SZ_FR_REC:
			set->cur = s;
			if (set->on_record(set->ud, s, &r) < 0)
				return -1;
			break;
		case SZ_FR_NEED:
			if (!s->fed || !fed_refill(s))
				s->need = 1;
			break;
		case SZ_FR_END:
			source_end(set, s);
			break;
		case SZ_FR_TOOLONG:
			set->on_event(set->ud, s, SZ_SRC_TOOLONG, 0, &r);
			return -1;
		default:
			set->on_event(set->ud, s, SZ_SRC_NOMEM, ENOMEM, NULL);
			return -1;
		}
	}
	return 0;
}

int
sz_srcset_pump(sz_srcset *set)
{
	size_t n = set->n;

	/* One round over the sources, starting after the one served first
	 * last time, so that no source starves the others. */
	for (size_t i = 0; i < n && !set->paused; i++) {
		sz_source *s = set->v[(set->rr + i) % n];

		if (!s->started || s->done)
			continue;
		if (deliver(set, s) < 0) {
			set->rr = (set->rr + i) % n;
			return 1;
		}
	}
	if (n > 0)
		set->rr = (set->rr + 1) % n;
	return holding(set);
}

static int
holding(const sz_srcset *set)
{
	for (size_t i = 0; i < set->n; i++) {
		const sz_source *s = set->v[i];

		if (s->started && !s->done && !s->need && !s->paused)
			return 1;
	}
	return 0;
}

void
sz_srcset_watch(sz_srcset *set)
{
	for (size_t i = 0; i < set->n; i++) {
		sz_source *s = set->v[i];

		if (s->started && !s->done && s->fd >= 0)
			sz_loop_events(set->loop, s->fd, s->need &&
			    !s->paused && !set->paused ? POLLIN : 0);
	}
}

int
sz_srcset_done(const sz_srcset *set)
{
	for (size_t i = 0; i < set->n; i++)
		if (!set->v[i]->done)
			return 0;
	return 1;
}

size_t
sz_source_partial(const sz_source *s, const char **p, unsigned long *line)
{
	const sz_framer *f = &s->fr;
	const char *b = f->part.p;
	size_t n = f->part.len;

	if (!s->started || s->done)
		return 0;
	if (!f->carrying) {
		/* The line begun in the read buffer, if any. */
		b = s->rbuf + s->rfed;
		n = s->rbuf != NULL ? s->rlen - s->rfed : 0;
	}
	if (n == 0 || sz_json_ws(b, b + n) == b + n)	/* only white space */
		return 0;
	*p = b;
	*line = f->line;
	return n;
}

void
sz_source_pause(sz_source *s)
{
	s->paused = 1;
}

void
sz_source_resume(sz_source *s)
{
	s->paused = 0;
	sz_loop_wake(s->set->loop);
}

void
sz_srcset_pause(sz_srcset *set)
{
	set->paused = 1;
}

void
sz_srcset_resume(sz_srcset *set)
{
	set->paused = 0;
	sz_loop_wake(set->loop);
}

int
sz_source_feed(sz_source *s, const char *p, size_t n)
{
	if (sz_buf_add(&s->next, p, n) < 0)
		return -1;
	if (s->started && !s->done)
		s->need = 0;
	return 0;
}

size_t
sz_source_backlog(const sz_source *s)
{
	return s->next.len;
}

void
sz_source_end(sz_source *s)
{
	s->ended = 1;
	if (s->started && !s->done)
		s->need = 0;
}
