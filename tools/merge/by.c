/* SPDX-License-Identifier: MIT */
/*
 * by.c - the ordered merge of sz-merge --by: a bounded queue per source
 * (a source whose queue is full is paused), the least head written while
 * every source waited for has one, ties to the source given first; keys
 * are the arrays of EXPR's outputs, compared in jq's order (json.h).
 */
#include <stdlib.h>
#include <string.h>

#include "merge.h"

/* A queue item: the key's length, the key, the record. */
static void
item_parts(const sz_qitem *it, const char **key, size_t *kn,
    const char **rec, size_t *rn)
{
	memcpy(kn, it->p, sizeof(*kn));
	*key = it->p + sizeof(*kn);
	*rec = *key + *kn;
	*rn = it->n - sizeof(*kn) - *kn;
}

static int
head_cmp(const sz_qitem *a, const sz_qitem *b)
{
	const char *ka, *kb, *ra, *rb;
	size_t kan, kbn, ran, rbn;

	item_parts(a, &ka, &kan, &ra, &ran);
	item_parts(b, &kb, &kbn, &rb, &rbn);
	return sz_json_cmp(ka, kan, kb, kbn);
}

static void idle_fire(sz_loop *l, void *ud);

/*
 * Write the least head while every live source that is waited for has
 * one (all: `final`, at the end). Ties: the source given first. A source
 * paused for its full queue is resumed once it has room. 0 or -1.
 */
int
by_drain(sz_tool *t, int final)
{
	struct merge *g = t->ud;

	for (;;) {
		struct msrc *best = NULL, *wait = NULL;
		const char *k, *p;
		size_t kn, n;
		sz_qitem *it;
		int rc;

		/* A source waited for without a record: nothing yet (and
		 * no comparison made). */
		for (size_t i = 0; i < g->n && !final && wait == NULL; i++) {
			struct msrc *m = &g->v[i];

			if (m->q.count == 0 && !m->s->done && !m->idle)
				wait = m;
		}
		if (wait != NULL) {
			if (g->idle_ns && g->timer == 0)
				g->timer = sz_loop_timer(&t->loop, wait->seen +
				    g->idle_ns, idle_fire, t);
			return 0;
		}
		for (size_t i = 0; i < g->n; i++) {
			struct msrc *m = &g->v[i];
			sz_qitem *h = sz_queue_head(&m->q);

			if (h != NULL && (best == NULL ||
			    head_cmp(h, sz_queue_head(&best->q)) < 0))
				best = m;
		}
		if (best == NULL)
			return 0;
		it = sz_queue_pop(&best->q);
		item_parts(it, &k, &kn, &p, &n);
		/* Keys kept beyond their item: the source's last one when
		 * its queue empties, what was written (only --idle needs
		 * it: a source waited for cannot sort before it). */
		if (best->q.count == 0) {
			sz_buf_reset(&best->last);
			rc = sz_buf_add(&best->last, k, kn);
		} else
			rc = 0;
		if (g->idle_ns) {
			sz_buf_reset(&g->written);
			rc |= sz_buf_add(&g->written, k, kn);
			g->have_written = 1;
		}
		if (rc < 0) {
			free(it);
			return sz_fail(t, SZ_EXIT_FAIL, "out of memory");
		}
		rc = merge_put(t, best, p, n);
		free(it);
		if (rc < 0)
			return -1;
		if (best->paused && !sz_queue_full(&best->q, 0)) {
			best->paused = 0;
			sz_source_resume(best->s);
		}
	}
}

/* --idle: the sources quiet for that long are not waited for. */
static void
idle_fire(sz_loop *l, void *ud)
{
	sz_tool *t = ud;
	struct merge *g = t->ud;
	uint64_t now = sz_now();

	(void)l;
	g->timer = 0;
	for (size_t i = 0; i < g->n; i++) {
		struct msrc *m = &g->v[i];

		if (!m->idle && !m->s->done && m->q.count == 0 &&
		    now - m->seen >= g->idle_ns) {
			m->idle = 1;
			g->idled++;
		}
	}
	if (!t->stopping)
		(void)by_drain(t, 0);
}

/*
 * The key of r, in g->key: the array of EXPR's outputs, as sort_by
 * compares [EXPR]. The outputs are compact with valid UTF-8 (expr.h), so
 * the array is already canonical (json.h) unless an output is an array
 * or an object. 0, 1 (bad input said, go on) or -1.
 */
static int
by_key(sz_tool *t, const sz_rec *r)
{
	struct merge *g = t->ud;
	sz_buf *b = &g->key;
	int nested = 0;
	long k;

	sz_buf_reset(b);
	if (sz_buf_add(b, "[", 1) < 0)
		return sz_fail(t, SZ_EXIT_FAIL, "out of memory");
	if ((k = sz_expr_map(&g->by, r, b)) == SZ_EXPR_ERROR)
		return sz_expr_bad(t, r, &g->by, "--by") < 0 ? -1 : 1;
	/* "[o1\no2\n" -> "[o1,o2]" */
	for (size_t i = 1; i < b->len; i++)
		if (b->p[i] == '\n') {
			b->p[i] = ',';
			nested |= i + 1 < b->len && (b->p[i + 1] == '[' ||
			    b->p[i + 1] == '{');
		}
	nested |= b->len > 1 && (b->p[1] == '[' || b->p[1] == '{');
	if (k == 0 ? sz_buf_add(b, "]", 1) < 0 : (b->p[b->len - 1] = ']', 0))
		return sz_fail(t, SZ_EXIT_FAIL, "out of memory");
	if (nested) {
		sz_buf_reset(&g->out);
		if (sz_json_canon(b->p, b->len, &g->out) < 0)
			return sz_fail(t, SZ_EXIT_FAIL, "out of memory");
		sz_buf_reset(b);
		if (sz_buf_add(b, g->out.p, g->out.len) < 0)
			return sz_fail(t, SZ_EXIT_FAIL, "out of memory");
	}
	return 0;
}

/* Would a record of m (whose queue is empty) with this key be the next
 * to write: every other source waited for has a head, and sorts after it
 * (or equal, from a later source)? */
static int
least(struct merge *g, struct msrc *m, const char *key, size_t kn)
{
	for (size_t i = 0; i < g->n; i++) {
		struct msrc *o = &g->v[i];
		const char *k, *p;
		size_t okn, n;
		int c;

		if (o == m)
			continue;
		if (o->q.count == 0) {
			if (!o->s->done && !o->idle)
				return 0;
			continue;
		}
		item_parts(sz_queue_head(&o->q), &k, &okn, &p, &n);
		if ((c = sz_json_cmp(key, kn, k, okn)) > 0 || (c == 0 && o < m))
			return 0;
	}
	return 1;
}

/* The record is the least: written at once, never queued. */
static int
by_direct(sz_tool *t, struct msrc *m, const char *key, size_t kn,
    const sz_rec *r)
{
	struct merge *g = t->ud;

	sz_buf_reset(&m->last);
	if (sz_buf_add(&m->last, key, kn) < 0)
		return sz_fail(t, SZ_EXIT_FAIL, "out of memory");
	if (g->idle_ns) {
		sz_buf_reset(&g->written);
		if (sz_buf_add(&g->written, key, kn) < 0)
			return sz_fail(t, SZ_EXIT_FAIL, "out of memory");
		g->have_written = 1;
	}
	m->have_last = 1;
	m->last_line = r->line;
	return merge_put(t, m, r->p, r->n);
}

/* A record of m for the ordered merge: its key, the order checks, into
 * m's queue (m paused when full), then what can be written. */
int
by_record(sz_tool *t, struct msrc *m, const sz_rec *r)
{
	struct merge *g = t->ud;
	const char *key, *lk = m->last.p, *rp;
	size_t kn, lkn = m->last.len, rn;
	sz_qitem *it;
	int k;

	if (g->idle_ns)
		m->seen = sz_now();
	if ((k = by_key(t, r)) != 0)
		return k < 0 ? -1 : 0;
	key = g->key.p;
	kn = g->key.len;
	/* The source's last key: its newest queued record's, or kept. */
	if (m->q.tail != NULL)
		item_parts(m->q.tail, &lk, &lkn, &rp, &rn);
	if (m->have_last && sz_json_cmp(key, kn, lk, lkn) < 0)
		return sz_bad(t, r, "order", 1, "--by: out of order: sorts "
		    "before line %lu, the source's previous record",
		    m->last_line);
	if (g->have_written && sz_json_cmp(key, kn, g->written.p,
	    g->written.len) < 0)
		return sz_bad(t, r, "order", 1, "--by: out of order: sorts "
		    "before records already written (%s was idle)", m->name);
	m->idle = 0;
	if (m->q.count == 0 && least(g, m, key, kn))
		return by_direct(t, m, key, kn, r);
	if ((it = sz_queue_push_n(&m->q, sizeof(kn) + kn + r->n, r->file,
	    r->line)) == NULL)
		return sz_fail(t, SZ_EXIT_FAIL, "out of memory");
	memcpy(it->p, &kn, sizeof(kn));
	memcpy(it->p + sizeof(kn), key, kn);
	memcpy(it->p + sizeof(kn) + kn, r->p, r->n);
	m->have_last = 1;
	m->last_line = r->line;
	if (sz_queue_full(&m->q, 0) && !t->stopsig && !m->paused) {
		m->paused = 1;
		sz_source_pause(m->s);
	}
	return by_drain(t, 0);
}
