/* SPDX-License-Identifier: MIT */
/* pool.c - the ordered worker pool of a tool; see pool.h. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

#include "run/pool.h"

/* One thread and what it is told at start. */
struct slot {
	pthread_t th;
	struct sz_pool *p;
	int i;
};

struct sz_pool {
	sz_tool *t;
	sz_pool_conf c;
	const sz_pool_ops *ops;
	void *ud;
	struct slot *w;
	int nth;		/* threads started */
	int wake[2];		/* workers -> main: a job is done */

	/* Under mu: the work queue, done flags, quit, signalled. */
	pthread_mutex_t mu;
	pthread_cond_t cv;
	sz_pool_job *qhead, *qtail;
	int quit;
	int signalled;		/* a byte is in the pipe, unread */

	/* The main thread's alone. */
	sz_pool_job *fhead, *ftail;	/* in flight, submission order */
	int inflight;
	size_t bytes;
	int paused;		/* the pool paused the input */
	int stopped;		/* a delivery answered -1 */
	int closed;		/* sz_pool_close was called */
	int drain_due;		/* close answered 1: drained is owed */
};

/* A worker: build the state, then take jobs until told to quit. */
static void *
worker(void *arg)
{
	struct slot *w = arg;
	sz_pool *p = w->p;
	void *state = p->ops->start(p->ud, w->i);

	pthread_mutex_lock(&p->mu);
	for (;;) {
		sz_pool_job *j;
		int how;

		while (p->qhead == NULL && !p->quit)
			pthread_cond_wait(&p->cv, &p->mu);
		if (p->quit)
			break;
		j = p->qhead;
		p->qhead = j->qnext;
		if (p->qhead == NULL)
			p->qtail = NULL;
		pthread_mutex_unlock(&p->mu);
		how = state == NULL ? SZ_POOL_NOSTATE :
		    p->ops->run(p->ud, state, j);
		pthread_mutex_lock(&p->mu);
		j->how = how;
		j->done = 1;
		if (!p->signalled) {
			p->signalled = 1;
			(void)!write(p->wake[1], "", 1);
		}
	}
	pthread_mutex_unlock(&p->mu);
	if (state != NULL && p->ops->stop != NULL)
		p->ops->stop(p->ud, state);
	return NULL;
}

/* Put j on the work queue: at the tail (new) or the head (requeued). */
static void
enqueue(sz_pool *p, sz_pool_job *j, int head)
{
	pthread_mutex_lock(&p->mu);
	j->done = 0;
	j->qnext = NULL;
	if (head) {
		j->qnext = p->qhead;
		p->qhead = j;
		if (p->qtail == NULL)
			p->qtail = j;
	} else {
		if (p->qtail)
			p->qtail->qnext = j;
		else
			p->qhead = j;
		p->qtail = j;
	}
	pthread_cond_signal(&p->cv);
	pthread_mutex_unlock(&p->mu);
}

/* Are the bounds reached? */
static int
full(const sz_pool *p)
{
	return p->inflight >= p->c.max_jobs ||
	    (p->c.max_bytes && p->bytes >= p->c.max_bytes);
}

/* Tell the workers to take no more jobs. */
static void
quit(sz_pool *p)
{
	pthread_mutex_lock(&p->mu);
	p->quit = 1;
	pthread_cond_broadcast(&p->cv);
	pthread_mutex_unlock(&p->mu);
}

/* Remove j from the in-flight list and give it back. */
static void
retire(sz_pool *p, sz_pool_job *j)
{
	sz_pool_job **pp = &p->fhead, *prev = NULL;

	while (*pp != j) {
		prev = *pp;
		pp = &(*pp)->next;
	}
	*pp = j->next;
	if (p->ftail == j)
		p->ftail = prev;
	p->inflight--;
	p->bytes -= j->bytes;
	p->ops->drop(p->ud, j);
}

void
sz_pool_collect(sz_pool *p)
{
	sz_pool_job *j, *next;

	for (j = p->fhead; j != NULL && !p->stopped && !p->t->epipe;
	    j = next) {
		int done, how, rc;

		next = j->next;
		pthread_mutex_lock(&p->mu);
		done = j->done;
		how = j->how;
		pthread_mutex_unlock(&p->mu);
		if (!done || (how & SZ_POOL_IN_ORDER && j != p->fhead)) {
			if (!p->c.unordered)
				break;
			continue;
		}
		how &= ~SZ_POOL_IN_ORDER;
		rc = p->ops->deliver(p->ud, j, how);
		if (rc < 0) {
			p->stopped = 1;
			quit(p);
			break;
		}
		if (how == SZ_POOL_PARTIAL) {
			enqueue(p, j, 1);
			if (!p->c.unordered)
				break;
			continue;
		}
		retire(p, j);
	}
	if (p->paused && !full(p) && !p->t->stopping) {
		p->paused = 0;
		sz_input_resume(p->t);
	}
	if (p->drain_due && (p->inflight == 0 || p->stopped || p->t->epipe)) {
		p->drain_due = 0;
		if (p->ops->drained != NULL)
			p->ops->drained(p->ud);
	}
}

/* The pipe is readable: some job is done. */
static void
on_wake(sz_loop *l, int fd, short revents, void *ud)
{
	sz_pool *p = ud;
	char junk[256];

	(void)l;
	(void)revents;
	/* Empty the pipe, then clear the flag: a job done before the flag
	 * is cleared is seen by the collect below; one done after writes
	 * a new byte. (Clearing first would let a worker's byte be read
	 * here while its flag stays set, and later jobs would never wake
	 * the loop.) */
	while (read(fd, junk, sizeof(junk)) > 0)
		;
	pthread_mutex_lock(&p->mu);
	p->signalled = 0;
	pthread_mutex_unlock(&p->mu);
	sz_pool_collect(p);
}

void
sz_pool_submit(sz_pool *p, sz_pool_job *j, size_t bytes)
{
	if (p->stopped || p->closed) {
		p->ops->drop(p->ud, j);
		return;
	}
	j->next = NULL;
	j->bytes = bytes;
	j->how = SZ_POOL_DONE;
	if (p->ftail)
		p->ftail->next = j;
	else
		p->fhead = j;
	p->ftail = j;
	p->inflight++;
	p->bytes += bytes;
	enqueue(p, j, 0);
	if (full(p)) {
		p->paused = 1;
		sz_input_pause(p->t);
	}
}

int
sz_pool_close(sz_pool *p)
{
	p->closed = 1;
	sz_pool_collect(p);
	if (p->inflight == 0 || p->stopped || p->t->epipe)
		return 0;
	p->drain_due = 1;
	return 1;
}

int
sz_pool_stopped(const sz_pool *p)
{
	return p->stopped;
}

int
sz_pool_inflight(const sz_pool *p)
{
	return p->inflight;
}

sz_pool *
sz_pool_new(sz_tool *t, const sz_pool_conf *c, const sz_pool_ops *ops,
    void *ud)
{
	sz_pool *p;
	sigset_t old;
	int rc = 0, e;

	if (c->workers < 1 || c->max_jobs < 1) {
		errno = EINVAL;
		return NULL;
	}
	if ((p = calloc(1, sizeof(*p))) == NULL)
		return NULL;
	p->t = t;
	p->c = *c;
	p->ops = ops;
	p->ud = ud;
	p->wake[0] = p->wake[1] = -1;
	if (pthread_mutex_init(&p->mu, NULL) != 0) {
		free(p);
		errno = ENOMEM;
		return NULL;
	}
	if (pthread_cond_init(&p->cv, NULL) != 0) {
		pthread_mutex_destroy(&p->mu);
		free(p);
		errno = ENOMEM;
		return NULL;
	}
	if (pipe2(p->wake, O_NONBLOCK | O_CLOEXEC) < 0 ||
	    sz_loop_watch(&t->loop, p->wake[0], POLLIN, on_wake, p) < 0 ||
	    (p->w = calloc((size_t)c->workers, sizeof(*p->w))) == NULL) {
		e = errno ? errno : ENOMEM;
		sz_pool_free(p);
		errno = e;
		return NULL;
	}
	sz_signals_block(&old);
	for (int i = 0; i < c->workers && rc == 0; i++) {
		p->w[i].p = p;
		p->w[i].i = i;
		rc = pthread_create(&p->w[i].th, NULL, worker, &p->w[i]);
		if (rc == 0)
			p->nth++;
	}
	sz_signals_restore(&old);
	if (rc != 0) {
		sz_pool_free(p);
		errno = rc;
		return NULL;
	}
	return p;
}

void
sz_pool_free(sz_pool *p)
{
	sz_pool_job *j;

	if (p == NULL)
		return;
	quit(p);
	for (int i = 0; i < p->nth; i++)
		pthread_join(p->w[i].th, NULL);
	free(p->w);
	while ((j = p->fhead) != NULL) {
		p->fhead = j->next;
		p->ops->drop(p->ud, j);
	}
	if (p->wake[0] >= 0) {
		sz_loop_unwatch(&p->t->loop, p->wake[0]);
		close(p->wake[0]);
		close(p->wake[1]);
	}
	pthread_mutex_destroy(&p->mu);
	pthread_cond_destroy(&p->cv);
	free(p);
}
