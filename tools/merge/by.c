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

/*
 * A queue item: the key's length, the record's, whether the key is plain,
 * the key, the record. A plain key is ["s"] with s a string without a
 * quote or a backslash: such keys compare as jq compares the strings, by
 * their bytes (a prefix first), with one memcmp.
 */
#define HDR (2 * sizeof(size_t) + 1)

static void
item_parts(const char *it, const char **key, size_t *kn, int *plain,
    const char **rec, size_t *rn)
{
	memcpy(kn, it, sizeof(*kn));
	memcpy(rn, it + sizeof(*kn), sizeof(*rn));
	*plain = it[2 * sizeof(size_t)];
	*key = it + HDR;
	*rec = *key + *kn;
}

static size_t
item_size(const char *it)
{
	size_t kn, rn;

	memcpy(&kn, it, sizeof(kn));
	memcpy(&rn, it + sizeof(kn), sizeof(rn));
	return HDR + kn + rn;
}

/* ---- the queue of a source -------------------------------------------- */

static const char *
byq_head(const byq *q)
{
	return q->count > 0 ? q->buf + q->head : NULL;
}

static const char *
byq_tail(const byq *q)
{
	return q->count > 0 ? q->buf + q->tail : NULL;
}

/* As a queue of QUEUE_RECORDS records and QUEUE_BYTES bytes is full (a
 * record beyond the bytes still goes into an empty one). */
static int
byq_full(const byq *q)
{
	return q->count >= QUEUE_RECORDS ||
	    (q->count > 0 && q->bytes > QUEUE_BYTES);
}

/* Append an item; 0 or -1 (memory). Items already queued may move. */
static int
byq_push(byq *q, const char *key, size_t kn, int plain, const char *rec,
    size_t rn)
{
	size_t need = HDR + kn + rn;
	char *it;

	if (q->count == 0)
		q->head = q->end = 0;
	if (q->end + need > q->cap && q->head > 0 &&
	    q->head >= q->end - q->head) {
		/* move what is left to the start: it is no more than what
		 * was taken out since the last move */
		memmove(q->buf, q->buf + q->head, q->end - q->head);
		q->tail -= q->head;
		q->end -= q->head;
		q->head = 0;
	}
	if (q->end + need > q->cap) {
		size_t nc = q->cap ? 2 * q->cap : 64 * 1024;
		char *nb;

		while (nc < q->end + need)
			nc *= 2;
		if ((nb = realloc(q->buf, nc)) == NULL)
			return -1;
		q->buf = nb;
		q->cap = nc;
	}
	it = q->buf + q->end;
	memcpy(it, &kn, sizeof(kn));
	memcpy(it + sizeof(kn), &rn, sizeof(rn));
	it[2 * sizeof(size_t)] = (char)plain;
	memcpy(it + HDR, key, kn);
	memcpy(it + HDR + kn, rec, rn);
	q->tail = q->end;
	q->end += need;
	q->count++;
	q->bytes += need;
	return 0;
}

/* Take the head item out: its bytes stay where they are until the next
 * push. */
static const char *
byq_pop(byq *q)
{
	const char *it = q->buf + q->head;
	size_t n = item_size(it);

	q->head += n;
	q->count--;
	q->bytes -= n;
	return it;
}

void
byq_free(byq *q)
{
	free(q->buf);
	memset(q, 0, sizeof(*q));
}

static int
key_plain(const char *k, size_t n)
{
	if (n < 4 || k[0] != '[' || k[1] != '"' || k[n - 2] != '"' ||
	    k[n - 1] != ']')
		return 0;
	for (size_t i = 2; i < n - 2; i++)
		if (k[i] == '"' || k[i] == '\\')
			return 0;
	return 1;
}

/* Keys in jq's order. */
static int
key_cmp(const char *a, size_t an, int ap, const char *b, size_t bn, int bp)
{
	if (ap && bp) {
		size_t la = an - 4, lb = bn - 4, n = la < lb ? la : lb, i = 0;

#if defined(__GNUC__) && defined(__BYTE_ORDER__) && \
    __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
		/* eight bytes at a time, as unsigned big-endian numbers */
		for (; i + 8 <= n; i += 8) {
			uint64_t x, y;

			memcpy(&x, a + 2 + i, 8);
			memcpy(&y, b + 2 + i, 8);
			if (x != y) {
				x = __builtin_bswap64(x);
				y = __builtin_bswap64(y);
				return x < y ? -1 : 1;
			}
		}
#endif
		for (; i < n; i++)
			if (a[2 + i] != b[2 + i])
				return (unsigned char)a[2 + i] <
				    (unsigned char)b[2 + i] ? -1 : 1;
		return (la > lb) - (la < lb);
	}
	return sz_json_cmp(a, an, b, bn);
}

static int
head_cmp(const char *a, const char *b)
{
	const char *ka, *kb, *ra, *rb;
	size_t kan, kbn, ran, rbn;
	int pa, pb;

	item_parts(a, &ka, &kan, &pa, &ra, &ran);
	item_parts(b, &kb, &kbn, &pb, &rb, &rbn);
	return key_cmp(ka, kan, pa, kb, kbn, pb);
}

int
by_setup(struct merge *g)
{
	const char *s = g->bysrc, *e;

	while (*s == ' ' || *s == '\t' || *s == '\n')
		s++;
	if (*s++ != '.' || !(*s == '_' || (*s >= 'a' && *s <= 'z') ||
	    (*s >= 'A' && *s <= 'Z')))
		return 0;
	for (e = s; *e == '_' || (*e >= 'a' && *e <= 'z') ||
	    (*e >= 'A' && *e <= 'Z') || (*e >= '0' && *e <= '9'); e++)
		;
	for (const char *x = e; *x != '\0'; x++)
		if (*x != ' ' && *x != '\t' && *x != '\n')
			return 0;
	g->bynamen = (size_t)(e - s) + 2;
	if ((g->byname = malloc(g->bynamen + 1)) == NULL)
		return -1;
	g->byname[0] = '"';
	memcpy(g->byname + 1, s, (size_t)(e - s));
	g->byname[g->bynamen - 1] = '"';
	g->byname[g->bynamen] = '\0';
	return 0;
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
		const char *it;
		int rc, plain;

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
			const char *h = byq_head(&m->q);

			if (h != NULL && (best == NULL ||
			    head_cmp(h, byq_head(&best->q)) < 0))
				best = m;
		}
		if (best == NULL)
			return 0;
		it = byq_pop(&best->q);
		item_parts(it, &k, &kn, &plain, &p, &n);
		/* Keys kept beyond their item: the source's last one when
		 * its queue empties, what was written (only --idle needs
		 * it: a source waited for cannot sort before it). */
		if (best->q.count == 0) {
			sz_buf_reset(&best->last);
			rc = sz_buf_add(&best->last, k, kn);
			best->last_plain = plain;
		} else
			rc = 0;
		if (g->idle_ns) {
			sz_buf_reset(&g->written);
			rc |= sz_buf_add(&g->written, k, kn);
			g->have_written = 1;
			g->written_plain = plain;
		}
		if (rc < 0)
			return sz_fail(t, SZ_EXIT_FAIL, "out of memory");
		if (merge_put(t, best, p, n) < 0)
			return -1;
		if (best->paused && !byq_full(&best->q)) {
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

/* Has s[0..n) no backslash (and, when `ascii`, only ASCII)? Eight bytes
 * at a time. */
static inline int
plain_bytes(const char *s, size_t n, int ascii)
{
	const uint64_t ones = 0x0101010101010101u, high = 0x8080808080808080u;
	const uint64_t bs = 0x5c5c5c5c5c5c5c5cu;	/* '\\' */
	const uint64_t mask = ascii ? ~(uint64_t)0 : 0;
	size_t i = 0;

	for (; i + 8 <= n; i += 8) {
		uint64_t x, y;

		memcpy(&x, s + i, 8);
		y = x ^ bs;	/* a zero byte where s has a backslash */
		if ((((x & mask) | ((y - ones) & ~y)) & high) != 0)
			return 0;
	}
	for (; i < n; i++)
		if (s[i] == '\\' || (ascii && (unsigned char)s[i] >= 0x80))
			return 0;
	return 1;
}

static int
ascii_plain(const char *s, size_t n)
{
	return plain_bytes(s, n, 1);
}

/*
 * --by .NAME on an object record (its index ix): the key from the bytes,
 * ["s"] or [null], when its value is a string of ASCII characters without
 * escapes, or when it has no such member. 0, 1 (take the long way) or -1
 * (memory).
 */
static int
member_key(const struct merge *g, const sz_jindex *ix, sz_buf *b)
{
	const char *v;
	size_t vn;

	if (!sz_jindex_member(ix, g->byname + 1, g->bynamen - 2, &v, &vn))
		return sz_buf_add(b, "[null]", 6) < 0 ? -1 : 0;
	if (vn < 2 || v[0] != '"' || !ascii_plain(v + 1, vn - 2))
		return 1;
	if (sz_buf_reserve(b, vn + 2) < 0)
		return -1;
	b->p[0] = '[';
	memcpy(b->p + 1, v, vn);
	b->p[vn + 1] = ']';
	b->len = vn + 2;
	return 0;
}

/*
 * The key of r, in g->key: the array of EXPR's outputs, as sort_by
 * compares [EXPR]. The outputs are compact with valid UTF-8 (expr.h), so
 * the array is already canonical (json.h) unless an output is an array
 * or an object. 0, 1 (bad input said, go on) or -1.
 */
static int
by_key(sz_tool *t, const sz_rec *r, int *plain)
{
	struct merge *g = t->ud;
	sz_buf *b = &g->key;
	int nested = 0;
	long k;

	sz_buf_reset(b);
	if (g->byname != NULL && r->ix != NULL && r->ix->n >= 0) {
		switch (member_key(g, r->ix, b)) {
		case 0:
			*plain = b->len > 6;	/* not [null] */
			return 0;
		case -1:
			return sz_fail(t, SZ_EXIT_FAIL, "out of memory");
		}
		sz_buf_reset(b);
	}
	if (sz_buf_add(b, "[", 1) < 0)
		return sz_fail(t, SZ_EXIT_FAIL, "out of memory");
	if (!g->compiled && (k = by_compile(t)) >= 0) {
		t->status = (int)k;	/* libjq said no after all (said) */
		return -1;
	}
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
	*plain = key_plain(b->p, b->len);
	return 0;
}

/* Would a record of m (whose queue is empty) with this key be the next
 * to write: every other source waited for has a head, and sorts after it
 * (or equal, from a later source)? */
static int
least(struct merge *g, struct msrc *m, const char *key, size_t kn, int plain)
{
	for (size_t i = 0; i < g->n; i++) {
		struct msrc *o = &g->v[i];
		const char *k, *p;
		size_t okn, n;
		int c, op;

		if (o == m)
			continue;
		if (o->q.count == 0) {
			if (!o->s->done && !o->idle)
				return 0;
			continue;
		}
		item_parts(byq_head(&o->q), &k, &okn, &op, &p, &n);
		if ((c = key_cmp(key, kn, plain, k, okn, op)) > 0 ||
		    (c == 0 && o < m))
			return 0;
	}
	return 1;
}

/* The record is the least: written at once, never queued. */
static int
by_direct(sz_tool *t, struct msrc *m, const char *key, size_t kn,
    int plain, const sz_rec *r)
{
	struct merge *g = t->ud;

	sz_buf_reset(&m->last);
	if (sz_buf_add(&m->last, key, kn) < 0)
		return sz_fail(t, SZ_EXIT_FAIL, "out of memory");
	m->last_plain = plain;
	if (g->idle_ns) {
		sz_buf_reset(&g->written);
		if (sz_buf_add(&g->written, key, kn) < 0)
			return sz_fail(t, SZ_EXIT_FAIL, "out of memory");
		g->have_written = 1;
		g->written_plain = plain;
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
	int k, plain = 0, lplain = m->last_plain;

	if (g->idle_ns)
		m->seen = sz_now();
	if ((k = by_key(t, r, &plain)) != 0)
		return k < 0 ? -1 : 0;
	key = g->key.p;
	kn = g->key.len;
	/* The source's last key: its newest queued record's, or kept. */
	if (m->q.count > 0)
		item_parts(byq_tail(&m->q), &lk, &lkn, &lplain, &rp, &rn);
	if (m->have_last && key_cmp(key, kn, plain, lk, lkn, lplain) < 0)
		return sz_bad(t, r, "order", 1, "--by: out of order: sorts "
		    "before line %lu, the source's previous record",
		    m->last_line);
	if (g->have_written && key_cmp(key, kn, plain, g->written.p,
	    g->written.len, g->written_plain) < 0)
		return sz_bad(t, r, "order", 1, "--by: out of order: sorts "
		    "before records already written (%s was idle)", m->name);
	m->idle = 0;
	if (m->q.count == 0 && least(g, m, key, kn, plain))
		return by_direct(t, m, key, kn, plain, r);
	if (byq_push(&m->q, key, kn, plain, r->p, r->n) < 0)
		return sz_fail(t, SZ_EXIT_FAIL, "out of memory");
	m->have_last = 1;
	m->last_line = r->line;
	if (byq_full(&m->q) && !t->stopsig && !m->paused) {
		m->paused = 1;
		sz_source_pause(m->s);
	}
	return by_drain(t, 0);
}
