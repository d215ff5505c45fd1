/* SPDX-License-Identifier: MIT */
/* loop.c - the poll(2) event loop, timers and self-pipe signals; see loop.h. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <stdio.h>
#include <unistd.h>

#include "io/loop.h"

static unsigned signals_take(void);
static int signals_waiting(void);

static volatile sig_atomic_t pending;	/* bits of caught signals */
static volatile sig_atomic_t usr1_caught;	/* SIGUSR1s, counted */
static sig_atomic_t usr1_taken;		/* of them, answered */
static volatile sig_atomic_t stopsig;	/* first INT/TERM caught */
static volatile sig_atomic_t stops;	/* INT/TERMs caught */
static volatile sig_atomic_t stops_kept = 1;	/* delivered; the next one
						   ends the process */
static int sigpipe_w = -1;

uint64_t
sz_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

void
sz_rfc3339(char *buf, size_t size)
{
	struct timespec ts;
	struct tm tm;
	char tmp[32];

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(tmp, sizeof(tmp), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf, size, "%s.%03ldZ", tmp, ts.tv_nsec / 1000000);
}

int
sz_loop_init(sz_loop *l)
{
	memset(l, 0, sizeof(*l));
	l->sigfd = -1;
	l->next_id = 1;
	return 0;
}

void
sz_loop_free(sz_loop *l)
{
	free(l->w);
	free(l->t);
	free(l->pfd);
	memset(l, 0, sizeof(*l));
	l->sigfd = -1;
}

static struct sz_watch *
find(sz_loop *l, int fd)
{
	for (size_t i = 0; i < l->nw; i++)
		if (l->w[i].fd == fd)
			return &l->w[i];
	return NULL;
}

int
sz_loop_watch(sz_loop *l, int fd, short events, sz_fd_fn fn, void *ud)
{
	struct sz_watch *w = find(l, fd);

	if (w == NULL) {
		if (l->nw == l->aw) {
			size_t na = l->aw ? 2 * l->aw : 8;
			struct sz_watch *nw = realloc(l->w, na * sizeof(*nw));

			if (nw == NULL)
				return -1;
			l->w = nw;
			l->aw = na;
		}
		w = &l->w[l->nw++];
	}
	w->fd = fd;
	w->events = events;
	w->fn = fn;
	w->ud = ud;
	return 0;
}

void
sz_loop_events(sz_loop *l, int fd, short events)
{
	struct sz_watch *w = find(l, fd);

	if (w != NULL)
		w->events = events;
}

void
sz_loop_unwatch(sz_loop *l, int fd)
{
	struct sz_watch *w = find(l, fd);

	if (w != NULL) {
		/* Keep order: callers may rely on fairness by position. */
		size_t i = (size_t)(w - l->w);

		memmove(w, w + 1, (l->nw - i - 1) * sizeof(*w));
		l->nw--;
	}
}

uint64_t
sz_loop_timer(sz_loop *l, uint64_t when, sz_timer_fn fn, void *ud)
{
	size_t i;

	for (i = 0; i < l->nt; i++)
		if (l->t[i].id == 0)
			break;
	if (i == l->nt) {
		if (l->nt == l->at) {
			size_t na = l->at ? 2 * l->at : 8;
			struct sz_timer *nt = realloc(l->t, na * sizeof(*nt));

			if (nt == NULL)
				return 0;
			l->t = nt;
			l->at = na;
		}
		l->nt++;
	}
	l->t[i].id = l->next_id++;
	l->t[i].when = when;
	l->t[i].fn = fn;
	l->t[i].ud = ud;
	return l->t[i].id;
}

void
sz_loop_cancel(sz_loop *l, uint64_t id)
{
	for (size_t i = 0; i < l->nt; i++)
		if (l->t[i].id == id && id != 0) {
			l->t[i].id = 0;
			return;
		}
}

void
sz_loop_before_sleep(sz_loop *l, sz_hook_fn fn, void *ud)
{
	l->before_sleep = fn;
	l->before_sleep_ud = ud;
}

/* Run the timers that are due; returns how many ran. */
static int
run_timers(sz_loop *l)
{
	uint64_t now = sz_now();
	int ran = 0;

	for (size_t i = 0; i < l->nt; i++) {
		struct sz_timer t = l->t[i];

		if (t.id != 0 && t.when <= now) {
			l->t[i].id = 0;
			t.fn(l, t.ud);
			ran++;
		}
	}
	while (l->nt > 0 && l->t[l->nt - 1].id == 0)
		l->nt--;
	return ran;
}

/* Milliseconds until the nearest timer, rounded up; -1 for none. */
static int
timeout_ms(sz_loop *l)
{
	uint64_t now = sz_now(), best = UINT64_MAX;

	for (size_t i = 0; i < l->nt; i++)
		if (l->t[i].id != 0 && l->t[i].when < best)
			best = l->t[i].when;
	if (best == UINT64_MAX)
		return -1;
	if (best <= now)
		return 0;
	best = (best - now + 999999) / 1000000;
	return best > 3600000 ? 3600000 : (int)best;
}

/* Read the self-pipe empty when poll said it has bytes (`ready`), then
 * run the handler for each signal that came. */
static void
drain_signals(sz_loop *l, int ready)
{
	char junk[64];

	if (l->sigfd >= 0 && ready)
		while (read(l->sigfd, junk, sizeof(junk)) > 0)
			;
	unsigned bits = signals_take();
	for (int s = 1; s < 32 && bits; s++)
		if (bits & (1u << s)) {
			bits &= ~(1u << s);
			/* one call for each SIGUSR1 caught */
			unsigned n = s == SIGUSR1 ? sz_signals_take_usr1() : 1;

			while (n-- > 0 && l->on_signal)
				l->on_signal(l, s, l->on_signal_ud);
		}
}

void
sz_loop_take_signals(sz_loop *l)
{
	drain_signals(l, 0);
}

/* Fill l->pfd from the watches; returns the count, *first the index of
 * the first watch (after the signal pipe). */
static size_t
build(sz_loop *l, size_t *first)
{
	size_t n = 0;

	if (l->sigfd >= 0) {
		l->pfd[n].fd = l->sigfd;
		l->pfd[n].events = POLLIN;
		l->pfd[n].revents = 0;
		n++;
	}
	*first = n;
	for (size_t i = 0; i < l->nw; i++) {
		l->pfd[n].fd = l->w[i].events ? l->w[i].fd : -1;
		l->pfd[n].events = l->w[i].events;
		l->pfd[n].revents = 0;
		n++;
	}
	return n;
}

static int
grow_pfd(sz_loop *l)
{
	if (l->apfd < l->nw + 1) {
		struct pollfd *np = realloc(l->pfd, (l->nw + 1) * sizeof(*np));

		if (np == NULL)
			return -1;
		l->pfd = np;
		l->apfd = l->nw + 1;
	}
	return 0;
}

void
sz_loop_wake(sz_loop *l)
{
	l->woken = 1;
}

int
sz_loop_once(sz_loop *l, int may_sleep)
{
	size_t n, first;
	int k, tmo;

	if (grow_pfd(l) < 0)
		return -1;
	n = build(l, &first);
	k = poll(l->pfd, n, 0);
	if (k == 0 && may_sleep) {
		if (run_timers(l) > 0)
			return 0;
		l->woken = 0;
		if (l->before_sleep)
			l->before_sleep(l, l->before_sleep_ud);
		/* The hook may have changed the watches or asked not to
		 * sleep: build the list again. */
		if (grow_pfd(l) < 0)
			return -1;
		n = build(l, &first);
		if (l->woken || signals_waiting())
			tmo = 0;
		else
			tmo = timeout_ms(l);
		if (tmo != 0 && l->sleep_acc != NULL) {
			uint64_t t0 = sz_now();

			k = poll(l->pfd, n, tmo);
			*l->sleep_acc += sz_now() - t0;
		} else
			k = poll(l->pfd, n, tmo);
	}
	if (k < 0) {
		if (errno != EINTR)
			return -1;
		k = 0;
	}
	drain_signals(l, k > 0 && first > 0 && l->pfd[0].revents != 0);
	if (k > 0) {
		/* Entries may change under callbacks: dispatch by fd. */
		for (size_t i = first; i < n; i++) {
			struct sz_watch *w;

			if (l->pfd[i].fd < 0 || l->pfd[i].revents == 0)
				continue;
			w = find(l, l->pfd[i].fd);
			if (w != NULL && w->events)
				w->fn(l, w->fd, l->pfd[i].revents, w->ud);
		}
	}
	run_timers(l);
	return 0;
}

static void
on_sig(int s)
{
	int saved = errno;

	if (s == SIGINT || s == SIGTERM) {
		if (stops >= stops_kept) {
			/* Asked again: the user wants out now. */
			signal(s, SIG_DFL);
			raise(s);
		}
		stops++;
		if (!stopsig)
			stopsig = s;
	}
	if (s == SIGUSR1)
		usr1_caught++;	/* blocked while handled: no lost count */
	else
		pending |= 1 << s;
	if (sigpipe_w >= 0)
		(void)!write(sigpipe_w, "", 1);
	errno = saved;
}

/* Bit (1 << signo) set for each signal caught since the last call. */
static unsigned
signals_take(void)
{
	unsigned bits = (unsigned)pending;

	pending = 0;
	if (usr1_caught != usr1_taken)
		bits |= 1u << SIGUSR1;
	return bits;
}

static const int caught[] = { SIGINT, SIGTERM, SIGHUP, SIGUSR1, SIGCHLD };
/* Bit (1 << signo) for each of caught[] that was ignored at the start
 * (SIGCHLD never counts: the handler is needed to reap children). */
static unsigned ignored_at_start;
static int ignored_known;

/* Look once, before the first handler is installed, at which signals the
 * process inherited ignored. */
static void
note_ignored(void)
{
	struct sigaction old;

	if (ignored_known)
		return;
	ignored_known = 1;
	for (size_t i = 0; i < sizeof(caught) / sizeof(caught[0]); i++)
		if (caught[i] != SIGCHLD &&
		    sigaction(caught[i], NULL, &old) == 0 &&
		    old.sa_handler == SIG_IGN)
			ignored_at_start |= 1u << caught[i];
}

int
sz_signal_ignored(int s)
{
	note_ignored();	/* children may start before the handlers */
	return s > 0 && s < 32 && (ignored_at_start & (1u << s)) != 0;
}

void
sz_signals_block(sigset_t *old)
{
	sigset_t s;

	sigemptyset(&s);
	for (size_t i = 0; i < sizeof(caught) / sizeof(caught[0]); i++)
		sigaddset(&s, caught[i]);
	pthread_sigmask(SIG_BLOCK, &s, old);
}

void
sz_signals_restore(const sigset_t *old)
{
	pthread_sigmask(SIG_SETMASK, old, NULL);
}

unsigned
sz_signals_take_usr1(void)
{
	sig_atomic_t c = usr1_caught;
	unsigned n = (unsigned)(c - usr1_taken);

	usr1_taken = c;
	return n;
}

/* Is any caught signal waiting to be taken? */
static int
signals_waiting(void)
{
	return pending != 0 || usr1_caught != usr1_taken;
}

int
sz_signal_stop(void)
{
	return stopsig;
}

void
sz_signals_keep_second_stop(void)
{
	stops_kept = 2;
}

int
sz_signal_stops(void)
{
	return stops;
}

int
sz_loop_signals(sz_loop *l, sz_sig_fn fn, void *ud)
{
	struct sigaction sa;
	int p[2];

	if (pipe2(p, O_NONBLOCK | O_CLOEXEC) < 0)
		return -1;
	l->sigfd = p[0];
	sigpipe_w = p[1];
	l->on_signal = fn;
	l->on_signal_ud = ud;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_sig;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = 0;	/* no SA_RESTART: blocking calls see EINTR */
	note_ignored();
	for (size_t i = 0; i < sizeof(caught) / sizeof(caught[0]); i++)
		if (!sz_signal_ignored(caught[i]) &&
		    sigaction(caught[i], &sa, NULL) < 0)
			return -1;
	sa.sa_handler = SIG_IGN;
	return sigaction(SIGPIPE, &sa, NULL);
}
