/* SPDX-License-Identifier: MIT */
/*
 * window.c - the window engine; see window.h.
 *
 * Open keys are a keymap from the key's identity to a struct wkey, which
 * lists the key's open windows by start. Every open window is in one heap
 * ordered as windows close: by end, start, the key's first-seen number,
 * then the window's own number (time windows); count windows by start,
 * key and number (they close when full, or in that order at the end);
 * without a window option by the key's first-seen number alone.
 *
 * Held bytes (--max-bytes) are what ops->bytes says of each window's
 * state, plus the engine's own memory: each window's struct wnd with the
 * state (as malloc takes it) and its two places in the heap array (which
 * doubles), and each open key's struct wkey, its JSON text and its place
 * in the keymap. So the bound holds with many small windows too (a key
 * per record, --items=false), not only with many records.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/keymap.h"
#include "run/window.h"

struct wkey;

struct wnd {
	struct wkey *k;
	struct wnd *prev, *next;	/* the key's windows, by start */
	int64_t start, end;
	uint64_t count, serial;
	size_t bytes;
	size_t hpos;
	max_align_t state[];
};

struct wkey {
	void *slot;		/* its value in the keymap */
	uint64_t seq;		/* first-seen number */
	uint64_t nrec;		/* count windows: records of the key */
	char *val;		/* JSON text */
	size_t vlen;
	struct wnd *head, *tail;
	size_t nopen;
	size_t bytes;		/* what the key itself takes (held) */
};

struct sz_winst {
	sz_keymap *m;
	struct wnd **heap;
	size_t nheap, aheap;
	uint64_t keyseq, serial;
	uint64_t held;
	size_t wbytes;		/* what one window takes, without its state's
				   own bytes (held) */
	int64_t wm;		/* watermark; INT64_MIN: none yet */
	int64_t maxev;
	int have_ev;
	sz_buf ck;
	uint64_t ptimer;	/* processing time: the next end */
	int64_t ptimer_at;	/* the end it is for */
	uint64_t itimer;	/* --idle-close */
	uint64_t last;		/* sz_now() at the last record */
	sz_tool *t;
	sz_win *w;
};

void
sz_win_init(sz_win *w, sz_tool *t, const sz_winops *ops, void *ud)
{
	sz_key_init(&w->key);
	t->key = &w->key;
	w->ops = ops;
	w->ud = ud;
	w->max_bytes = SZ_WIN_MAX_BYTES;
}

static int
setkind(sz_win *w, sz_tool *t, int kind)
{
	if (w->kind != SZ_WIN_NONE && w->kind != kind)
		return sz_opt_fail(&t->o, "give only one of --tumbling, "
		    "--sliding, --session and --count-window");
	w->kind = kind;
	return 0;
}

/* Durations of windows are at most 10000 days, and event times lie
 * within 2^62 ns of the epoch (1823 to 2116), so that no sum of a time
 * and durations overflows. */
#define MAX_DUR (UINT64_C(10000) * 86400 * 1000000000)
#define MAX_TIME (INT64_C(1) << 62)

/* A duration option: 1 taken, '?' bad. */
static int
dur(sz_tool *t, const char *opt, int pos, uint64_t *v)
{
	if ((pos ? sz_opt_duration_pos(&t->o, opt, v) :
	    sz_opt_duration(&t->o, opt, v)) != 0)
		return '?';
	if (*v > MAX_DUR)
		return sz_opt_fail(&t->o, "%s: '%s' is more than 10000d", opt,
		    optarg);
	return 1;
}

int
sz_win_option(sz_win *w, sz_tool *t, int c)
{
	int rc;

	switch (c) {
	case SZ_OPT_WIN_TUMBLING:
		if ((rc = setkind(w, t, SZ_WIN_TUMBLING)) != 0)
			return rc;
		return dur(t, "--tumbling", 1, &w->size);
	case SZ_OPT_WIN_SLIDING:
		if ((rc = setkind(w, t, SZ_WIN_SLIDING)) != 0)
			return rc;
		return dur(t, "--sliding", 1, &w->size);
	case SZ_OPT_WIN_SESSION:
		if ((rc = setkind(w, t, SZ_WIN_SESSION)) != 0)
			return rc;
		return dur(t, "--session", 1, &w->size);
	case SZ_OPT_WIN_COUNT:
		if ((rc = setkind(w, t, SZ_WIN_COUNT)) != 0)
			return rc;
		return sz_opt_count(&t->o, "--count-window", 1,
		    UINT64_C(1) << 40, &w->size) ? '?' : 1;
	case SZ_OPT_WIN_EVERY:
		w->have_step = SZ_OPT_WIN_EVERY;
		return dur(t, "--every", 1, &w->step);
	case SZ_OPT_WIN_SLIDE:
		w->have_step = SZ_OPT_WIN_SLIDE;
		return sz_opt_count(&t->o, "--slide", 1, UINT64_C(1) << 40,
		    &w->step) ? '?' : 1;
	case SZ_OPT_WIN_OFFSET:
		w->have_offset = 1;
		return dur(t, "--offset", 0, &w->offset);
	case SZ_OPT_WIN_LATENESS:
		return dur(t, "--lateness", 0, &w->lateness);
	case SZ_OPT_WIN_IDLE:
		return dur(t, "--idle-close", 1, &w->idle);
	case SZ_OPT_WIN_LATE:
		w->late_path = optarg;
		return 1;
	case SZ_OPT_WIN_MAXBYTES:
		if (sz_opt_size(&t->o, "--max-bytes", &w->max_bytes) != 0)
			return '?';
		if (w->max_bytes == 0)
			return sz_opt_fail(&t->o, "--max-bytes: must be "
			    "more than 0");
		return 1;
	}
	return 0;
}

int
sz_win_windowed(const sz_win *w)
{
	return w->kind != SZ_WIN_NONE;
}

int
sz_win_start(sz_win *w, sz_tool *t)
{
	struct sz_winst *s;
	int rc;

	if (w->kind == SZ_WIN_SLIDING && w->have_step != SZ_OPT_WIN_EVERY)
		return sz_usage(t, "--sliding needs --every STEP");
	if (w->have_step == SZ_OPT_WIN_EVERY && w->kind != SZ_WIN_SLIDING)
		return sz_usage(t, "--every goes with --sliding");
	if (w->have_step == SZ_OPT_WIN_SLIDE && w->kind != SZ_WIN_COUNT)
		return sz_usage(t, "--slide goes with --count-window");
	if (w->have_offset && w->kind != SZ_WIN_TUMBLING &&
	    w->kind != SZ_WIN_SLIDING)
		return sz_usage(t, "--offset goes with --tumbling or "
		    "--sliding");
	if (w->kind == SZ_WIN_TUMBLING)
		w->step = w->size;
	if (w->kind == SZ_WIN_COUNT && w->have_step == 0)
		w->step = w->size;
	if (w->have_offset && w->step != 0)
		w->offset %= w->step;
	if ((rc = sz_key_compile(&w->key, t)) != 0)
		return rc;
	if ((s = calloc(1, sizeof(*s))) == NULL ||
	    (s->m = sz_keymap_new(w->key.max_keys + 1, sizeof(void *), NULL,
	    NULL)) == NULL) {
		free(s);
		sz_msg(t, "error", NULL, 0, "out of memory");
		return SZ_EXIT_FAIL;
	}
	s->wm = INT64_MIN;
	s->wbytes = sz_alloc_size(sizeof(struct wnd) + w->ops->size) +
	    2 * sizeof(struct wnd *);
	s->t = t;
	s->w = w;
	w->st = s;
	if (w->late_path != NULL) {
		if (sz_tool_open(t, &w->late, "--late", w->late_path, 0) != 0)
			return SZ_EXIT_FAIL;
		w->have_late = 1;
	}
	return -1;
}

/* The heap. */

static int
before(const sz_win *w, const struct wnd *a, const struct wnd *b)
{
	if (w->kind != SZ_WIN_COUNT && w->kind != SZ_WIN_NONE &&
	    a->end != b->end)
		return a->end < b->end;
	if (w->kind != SZ_WIN_NONE && a->start != b->start)
		return a->start < b->start;
	if (a->k->seq != b->k->seq)
		return a->k->seq < b->k->seq;
	return a->serial < b->serial;
}

static void
hset(struct sz_winst *s, size_t i, struct wnd *x)
{
	s->heap[i] = x;
	x->hpos = i;
}

static void
hup(sz_win *w, size_t i)
{
	struct sz_winst *s = w->st;
	struct wnd *x = s->heap[i];

	while (i > 0 && before(w, x, s->heap[(i - 1) / 2])) {
		hset(s, i, s->heap[(i - 1) / 2]);
		i = (i - 1) / 2;
	}
	hset(s, i, x);
}

static void
hdown(sz_win *w, size_t i)
{
	struct sz_winst *s = w->st;
	struct wnd *x = s->heap[i];
	size_t c;

	for (;;) {
		c = 2 * i + 1;
		if (c >= s->nheap)
			break;
		if (c + 1 < s->nheap && before(w, s->heap[c + 1], s->heap[c]))
			c++;
		if (!before(w, s->heap[c], x))
			break;
		hset(s, i, s->heap[c]);
		i = c;
	}
	hset(s, i, x);
}

static void
hfix(sz_win *w, struct wnd *x)
{
	hup(w, x->hpos);
	hdown(w, x->hpos);
}

static void
hdel(sz_win *w, struct wnd *x)
{
	struct sz_winst *s = w->st;
	size_t i = x->hpos;

	s->nheap--;
	if (i == s->nheap)
		return;
	hset(s, i, s->heap[s->nheap]);
	hfix(w, s->heap[i]);
}

/* Keys. */

static void
key_del(struct sz_winst *s, struct wkey *k)
{
	s->held -= k->bytes;
	sz_keymap_del(s->m, k->slot);
	free(k->val);
	free(k);
}

static void
key_maybe_del(sz_win *w, struct wkey *k)
{
	if (k->nopen > 0)
		return;
	if (w->kind == SZ_WIN_COUNT && k->nrec % w->step != 0)
		return;
	key_del(w->st, k);
}

/* Bytes of a window now: its state's and the engine's. */
static void
rebytes(sz_win *w, struct wnd *x)
{
	size_t b = w->st->wbytes + (w->ops->bytes != NULL ?
	    w->ops->bytes(w->ud, x->state) : 0);

	w->st->held += b;
	w->st->held -= x->bytes;
	x->bytes = b;
}

/* Close window x: write it, free it. 0 or -1. */
static int
close_one(sz_win *w, struct wnd *x, int forced)
{
	struct sz_winst *s = w->st;
	struct wkey *k = x->k;
	sz_winfo info;
	int rc;

	hdel(w, x);
	if (x->prev != NULL)
		x->prev->next = x->next;
	else
		k->head = x->next;
	if (x->next != NULL)
		x->next->prev = x->prev;
	else
		k->tail = x->prev;
	k->nopen--;
	info.start = x->start;
	info.end = x->end;
	info.key = k->val;
	info.keylen = k->vlen;
	info.count = x->count;
	info.forced = forced;
	rc = w->ops->close(w->ud, x->state, &info);
	if (w->ops->free != NULL)
		w->ops->free(w->ud, x->state);
	s->held -= x->bytes;
	free(x);
	w->closed++;
	if (forced)
		w->forced++;
	key_maybe_del(w, k);
	return rc;
}

/* A new window of key k from start to end, in the key's list by start
 * (after `after`, or first when NULL). */
static struct wnd *
open_one(sz_win *w, struct wkey *k, struct wnd *after, int64_t start,
    int64_t end)
{
	struct sz_winst *s = w->st;
	struct wnd *x;

	if (s->nheap == s->aheap) {
		size_t na = s->aheap ? 2 * s->aheap : 64;
		struct wnd **nh = realloc(s->heap, na * sizeof(*nh));

		if (nh == NULL)
			return NULL;
		s->heap = nh;
		s->aheap = na;
	}
	if ((x = calloc(1, sizeof(*x) + w->ops->size)) == NULL)
		return NULL;
	if (w->ops->open(w->ud, x->state) != 0) {
		free(x);
		return NULL;
	}
	x->k = k;
	x->start = start;
	x->end = end;
	x->serial = s->serial++;
	x->prev = after;
	x->next = after != NULL ? after->next : k->head;
	if (x->next != NULL)
		x->next->prev = x;
	else
		k->tail = x;
	if (after != NULL)
		after->next = x;
	else
		k->head = x;
	k->nopen++;
	s->heap[s->nheap] = x;
	x->hpos = s->nheap++;
	hup(w, x->hpos);
	rebytes(w, x);
	w->opened++;
	return x;
}

/* Close the time windows the watermark has reached. */
static int
close_due(sz_win *w)
{
	struct sz_winst *s = w->st;

	if (w->kind == SZ_WIN_COUNT || w->kind == SZ_WIN_NONE)
		return 0;
	while (s->nheap > 0 && s->heap[0]->end <= s->wm)
		if (close_one(w, s->heap[0], 0) < 0)
			return -1;
	return 0;
}

static int
add_to(sz_win *w, sz_tool *t, struct wnd *x, const sz_rec *r)
{
	if (w->ops->add(w->ud, x->state, r) != 0)
		return -1;
	x->count++;
	rebytes(w, x);
	(void)t;
	return 0;
}

static int64_t
floordiv(int64_t a, int64_t b)
{
	int64_t q = a / b;

	if ((a % b != 0) && ((a < 0) != (b < 0)))
		q--;
	return q;
}

static int64_t
wallclock(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int
fail_nomem(sz_tool *t)
{
	return sz_fail(t, SZ_EXIT_FAIL, "out of memory");
}

static int
late(sz_win *w, sz_tool *t, const sz_rec *r)
{
	sz_buf b = SZ_BUF_INIT;
	int rc;

	w->late_n++;
	if (w->have_late)
		return sz_emit_to(t, &w->late, r->p, r->n);
	if (sz_win_fmt_time(&b, w->st->wm) < 0) {
		sz_buf_free(&b);
		return fail_nomem(t);
	}
	rc = sz_bad(t, r, "late", 1, "late record: its windows closed "
	    "(watermark %.*s)", (int)b.len - 2, b.p + 1);
	sz_buf_free(&b);
	return rc;
}

/* Time windows [s, s+size) with s = k*step + offset containing x. */
static int
assign_sliding(sz_win *w, sz_tool *t, struct wkey *k, const sz_rec *r,
    int64_t x)
{
	struct sz_winst *s = w->st;
	int64_t step = (int64_t)w->step, size = (int64_t)w->size;
	int64_t off = (int64_t)w->offset;
	int64_t last = floordiv(x - off, step) * step + off;
	int64_t first = floordiv(x - off - size, step) * step + off + step;
	int64_t st;
	struct wnd *p, *after;
	int any = 0;

	for (st = first; st <= last; st += step) {
		if (st + size <= s->wm)
			continue;	/* closed */
		any = 1;
		/* Find the window of this start in the key's list. */
		after = NULL;
		for (p = k->head; p != NULL && p->start <= st; p = p->next)
			after = p;
		if (after != NULL && after->start == st)
			p = after;
		else if ((p = open_one(w, k, after, st, st + size)) == NULL)
			return fail_nomem(t);
		if (add_to(w, t, p, r) < 0)
			return -1;
	}
	return any ? 0 : 1;
}

static int
assign_session(sz_win *w, sz_tool *t, struct wkey *k, const sz_rec *r,
    int64_t x)
{
	struct sz_winst *s = w->st;
	int64_t gap = (int64_t)w->size;
	struct wnd *p, *nx, *into = NULL, *after = NULL;

	for (p = k->head; p != NULL; p = nx) {
		nx = p->next;
		if (p->start - gap < x && x < p->end) {
			if (into == NULL) {
				into = p;
				continue;
			}
			/* x bridges into and p: merge p into into. */
			if (w->ops->merge == NULL ||
			    w->ops->merge(w->ud, into->state, p->state) != 0)
				return -1;
			into->count += p->count;
			if (p->end > into->end)
				into->end = p->end;
			hdel(w, p);
			if (p->prev != NULL)
				p->prev->next = p->next;
			else
				k->head = p->next;
			if (p->next != NULL)
				p->next->prev = p->prev;
			else
				k->tail = p->prev;
			k->nopen--;
			if (w->ops->free != NULL)
				w->ops->free(w->ud, p->state);
			s->held -= p->bytes;
			free(p);
			w->merged++;
			rebytes(w, into);
			hfix(w, into);
		} else if (p->start <= x) {
			after = p;
		}
	}
	if (into == NULL) {
		if (x + gap <= s->wm)
			return 1;
		if ((into = open_one(w, k, after, x, x + gap)) == NULL)
			return fail_nomem(t);
	}
	if (x < into->start)
		into->start = x;
	if (x + gap > into->end)
		into->end = x + gap;
	hfix(w, into);
	return add_to(w, t, into, r);
}

static int
assign_count(sz_win *w, sz_tool *t, struct wkey *k, const sz_rec *r,
    int64_t x)
{
	struct wnd *p;

	if (k->nrec % w->step == 0 &&
	    open_one(w, k, k->tail, x, x) == NULL)
		return fail_nomem(t);
	k->nrec++;
	for (p = k->head; p != NULL; p = p->next) {
		p->end = x;
		if (add_to(w, t, p, r) < 0)
			return -1;
	}
	if (k->head != NULL && k->head->count >= w->size)
		return close_one(w, k->head, 0);
	return 0;
}

static int
assign_none(sz_win *w, sz_tool *t, struct wkey *k, const sz_rec *r,
    int64_t x)
{
	struct wnd *p = k->head;

	if (p == NULL && (p = open_one(w, k, NULL, x, x)) == NULL)
		return fail_nomem(t);
	p->end = x;
	return add_to(w, t, p, r);
}

/* Close the first window to close while held bytes are over the bound. */
static int
bound_bytes(sz_win *w)
{
	struct sz_winst *s = w->st;

	while (s->held > w->max_bytes && s->nheap > 0)
		if (close_one(w, s->heap[0], 1) < 0)
			return -1;
	return 0;
}

/*
 * Timers. In processing time, one at the end of the window that closes
 * first, so that windows close when the clock reaches their end with no
 * record coming; with --idle-close, one at the last record plus the idle
 * time, which moves the watermark to the clock minus the lateness.
 */
static void arm(sz_win *w);

static void
on_ptimer(sz_loop *l, void *ud)
{
	sz_win *w = ud;
	struct sz_winst *s = w->st;
	int64_t now = wallclock();

	(void)l;
	s->ptimer = 0;
	if (now > s->wm)
		s->wm = now;
	close_due(w);
	arm(w);
}

static void
on_itimer(sz_loop *l, void *ud)
{
	sz_win *w = ud;
	struct sz_winst *s = w->st;
	uint64_t now = sz_now();
	int64_t wm;

	(void)l;
	s->itimer = 0;
	if (now - s->last >= w->idle) {
		wm = wallclock() - (int64_t)w->lateness;
		if (wm > s->wm)
			s->wm = wm;
		close_due(w);
		s->last = now;
	}
	arm(w);
}

static void
arm(sz_win *w)
{
	struct sz_winst *s = w->st;
	sz_tool *t = s->t;
	int64_t due, left;

	if (t->stopping || w->kind == SZ_WIN_COUNT || w->kind == SZ_WIN_NONE)
		return;
	/* Open windows wait for the clock (their end, or --idle-close's
	 * time): holding; on event time alone they wait for records. */
	sz_tool_holding(t, s->nheap > 0 && (!w->key.have_time || w->idle));
	if (s->nheap == 0)
		return;
	if (w->key.have_time) {
		if (w->idle == 0 || s->itimer != 0)
			return;
		s->itimer = sz_loop_timer(&t->loop, s->last + w->idle,
		    on_itimer, w);
		return;
	}
	due = s->heap[0]->end;
	if (s->ptimer != 0) {
		if (s->ptimer_at == due)
			return;
		sz_loop_cancel(&t->loop, s->ptimer);
	}
	left = due - wallclock();
	if (left < 0)
		left = 0;
	s->ptimer = sz_loop_timer(&t->loop, sz_now() + (uint64_t)left,
	    on_ptimer, w);
	s->ptimer_at = due;
}

int
sz_win_add(sz_win *w, sz_tool *t, const sz_rec *r, const char *ck,
    size_t ckn, const char *jk, size_t jkn)
{
	struct sz_winst *s = w->st;
	struct wkey *k, **slot;
	int64_t x;
	int what, rc, created;

	if (w->key.have_time) {
		if ((what = sz_key_time(&w->key, r,
		    &x)) != SZ_KEY_OK)
			return sz_key_bad(&w->key, t, r, what);
		if (x < -MAX_TIME || x > MAX_TIME)
			return sz_bad(t, r, "time", 1, "--time: out of the "
			    "range of windows (1823 to 2116): %.*s",
			    (int)(w->key.tb.len > 64 ? 64 : w->key.tb.len),
			    w->key.tb.p);
		if (!s->have_ev || x > s->maxev) {
			s->maxev = x;
			s->have_ev = 1;
			if (x - (int64_t)w->lateness > s->wm)
				s->wm = x - (int64_t)w->lateness;
		}
		s->last = sz_now();
	} else {
		/* The clock may step back: never behind the watermark, so
		 * that no record is late in processing time. */
		x = wallclock();
		if (x > s->wm)
			s->wm = x;
		else
			x = s->wm;
	}
	if (close_due(w) < 0)
		return -1;
	slot = sz_keymap_get(s->m, ck, ckn);
	if (slot == NULL) {
		while (sz_keymap_count(s->m) >= w->key.max_keys) {
			if (s->nheap > 0) {
				if (close_one(w, s->heap[0], 1) < 0)
					return -1;
			} else {
				slot = sz_keymap_oldest(s->m);
				key_del(s, *slot);
			}
		}
		if ((k = calloc(1, sizeof(*k))) == NULL ||
		    (k->val = malloc(jkn ? jkn : 1)) == NULL ||
		    (slot = sz_keymap_put(s->m, ck, ckn, &created)) == NULL) {
			if (k != NULL)
				free(k->val);
			free(k);
			return fail_nomem(t);
		}
		memcpy(k->val, jk, jkn);
		k->vlen = jkn;
		k->bytes = sz_alloc_size(sizeof(*k)) +
		    sz_alloc_size(jkn ? jkn : 1) +
		    sz_keymap_key_bytes(s->m, ckn);
		s->held += k->bytes;
		k->seq = s->keyseq++;
		k->slot = slot;
		*slot = k;
	}
	k = *slot;
	switch (w->kind) {
	case SZ_WIN_TUMBLING:
	case SZ_WIN_SLIDING:
		rc = assign_sliding(w, t, k, r, x);
		break;
	case SZ_WIN_SESSION:
		rc = assign_session(w, t, k, r, x);
		break;
	case SZ_WIN_COUNT:
		rc = assign_count(w, t, k, r, x);
		break;
	default:
		rc = assign_none(w, t, k, r, x);
		break;
	}
	if (rc == 1) {
		key_maybe_del(w, k);
		arm(w);
		return late(w, t, r);
	}
	if (rc < 0)
		return -1;
	if (bound_bytes(w) < 0)
		return -1;
	arm(w);
	return 0;
}

int
sz_win_record(sz_win *w, sz_tool *t, const sz_rec *r)
{
	struct sz_winst *s = w->st;
	int what;

	if (w->key.keysrc == NULL)
		return sz_win_add(w, t, r, "", 0, "null", 4);
	if ((what = sz_key_eval(&w->key, r)) != SZ_KEY_OK)
		return sz_key_bad(&w->key, t, r, what);
	sz_buf_reset(&s->ck);
	if (sz_buf_add(&s->ck, w->key.kb.p, w->key.kb.len) < 0)
		return fail_nomem(t);
	if ((what = sz_key_value(&w->key, r)) != SZ_KEY_OK)
		return sz_key_bad(&w->key, t, r, what);
	return sz_win_add(w, t, r, s->ck.p, s->ck.len, w->key.kb.p,
	    w->key.kb.len);
}

int
sz_win_end(sz_win *w, sz_tool *t)
{
	struct sz_winst *s = w->st;

	(void)t;
	if (s == NULL)
		return 0;
	while (s->nheap > 0)
		if (close_one(w, s->heap[0], 0) < 0)
			return -1;
	return 0;
}

void
sz_win_idle(sz_win *w, sz_tool *t)
{
	struct sz_winst *s = w->st;
	int64_t now;

	(void)t;
	if (s == NULL || w->key.have_time)
		return;
	now = wallclock();
	if (now > s->wm)
		s->wm = now;
	close_due(w);
	arm(w);
}

void
sz_win_stats(sz_win *w, sz_statv *v)
{
	struct sz_winst *s = w->st;

	sz_stat_counter(v, "windows", w->closed);
	sz_stat_counter(v, "forced", w->forced);
	sz_stat_counter(v, "late", w->late_n);
	sz_stat_counter(v, "merged", w->merged);
	sz_stat_gauge(v, "open", s != NULL ? s->nheap : 0);
	sz_stat_gauge(v, "keys", s != NULL ? sz_keymap_count(s->m) : 0);
	sz_stat_gauge(v, "held_bytes", s != NULL ? s->held : 0);
}

void
sz_win_free(sz_win *w)
{
	struct sz_winst *s = w->st;
	void **slot;
	size_t i;

	if (s == NULL)
		return;
	for (i = 0; i < s->nheap; i++) {
		if (w->ops->free != NULL)
			w->ops->free(w->ud, s->heap[i]->state);
		free(s->heap[i]);
	}
	while ((slot = sz_keymap_oldest(s->m)) != NULL)
		key_del(s, *slot);
	sz_keymap_free(s->m);
	free(s->heap);
	sz_buf_free(&s->ck);
	free(s);
	w->st = NULL;
}

int
sz_win_fmt_time(sz_buf *b, int64_t ns)
{
	int64_t sec = floordiv(ns, 1000000000);
	int64_t ms = (ns - sec * 1000000000) / 1000000;
	time_t tt = (time_t)sec;
	struct tm tm;
	char tmp[64];
	int n;

	if (gmtime_r(&tt, &tm) == NULL)
		return -1;
	n = snprintf(tmp, sizeof(tmp), "\"%04d-%02d-%02dT%02d:%02d:%02d."
	    "%03dZ\"", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
	    tm.tm_hour, tm.tm_min, tm.tm_sec, (int)ms);
	if (n < 0 || (size_t)n >= sizeof(tmp))
		return -1;
	return sz_buf_add(b, tmp, (size_t)n);
}
