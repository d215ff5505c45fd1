/* SPDX-License-Identifier: MIT */
/*
 * xsort.c - external sort of (key, record) pairs; see xsort.h.
 *
 * A run on disk is a sequence of entries: the key's length and the
 * record's length (4 bytes each, little-endian), then the key's bytes
 * and the record's.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/buf.h"
#include "io/xsort.h"

#define MAX_RUNS 64
#define RUN_BUF (1u << 20)
#define SORTED_MEM ((size_t)4 << 20)

struct ent {
	/* The key's first 16 bytes as two big-endian numbers (zeros past
	 * its end): most comparisons end here, without reading the arena. */
	uint64_t pre[2];
	size_t off;		/* key, then record, in the arena */
	size_t kn, rn;
	uint64_t seq;
};

/* Eight bytes of the key from byte `at` on (zeros past its end), as a
 * big-endian number. */
static uint64_t
key_pre(const char *k, size_t kn, size_t at)
{
	uint64_t v = 0;

	for (size_t i = at; i < at + 8; i++)
		v = v << 8 | (i < kn ? (unsigned char)k[i] : 0);
	return v;
}

/* A source of sorted pairs while merging: a run file, or memory. */
struct cur {
	FILE *f;		/* NULL: the memory run */
	size_t i;		/* memory: the next entry */
	sz_buf kb;		/* the current pair (files): key, record */
	const char *k, *r;
	size_t kn, rn;
	int idx;		/* order among sources: ties go to the lower */
};

struct sz_xsort {
	char *dir;
	size_t max_mem;
	sz_buf arena;
	struct ent *e;
	size_t ne, ae;
	struct rx *ord;		/* the sorted order of e, or NULL: e's */
	struct rx *ordbuf;	/* what ord's allocation starts at */
	uint64_t seq;
	FILE *runs[MAX_RUNS];
	int nruns;
	size_t total_runs;
	int finished;
	/* Every pair so far came in order: memory is spilled early and
	 * without sorting (sorted input costs little memory). */
	int unsorted;
	sz_buf lastk;
	/* merging */
	struct cur *cur;
	int ncur;
	int *heap;		/* indices into cur */
	int nheap;
	int first;		/* the heap's top not yet taken */
	char err[256];
	char *outbuf;
};

static int
fail(sz_xsort *x, const char *what)
{
	if (x->err[0] == '\0')
		snprintf(x->err, sizeof(x->err), "%s in %s: %s", what, x->dir,
		    strerror(errno ? errno : EIO));
	return -1;
}

sz_xsort *
sz_xsort_new(const char *dir, size_t max_mem)
{
	sz_xsort *x = calloc(1, sizeof(*x));
	const char *d = dir;

	if (x == NULL)
		return NULL;
	if (d == NULL && (d = getenv("TMPDIR")) == NULL)
		d = "/tmp";
	if ((x->dir = strdup(d)) == NULL) {
		free(x);
		return NULL;
	}
	x->max_mem = max_mem < 4096 ? 4096 : max_mem;
	return x;
}

static int
ent_cmp(const void *a, const void *b, const char *base)
{
	const struct ent *x = a, *y = b;
	size_t n;
	int c;

	/* The same order as memcmp over the first 16 bytes: when they
	 * differ, a zero past a key's end sorts like its being shorter. */
	if (x->pre[0] != y->pre[0])
		return x->pre[0] < y->pre[0] ? -1 : 1;
	if (x->pre[1] != y->pre[1])
		return x->pre[1] < y->pre[1] ? -1 : 1;
	n = x->kn < y->kn ? x->kn : y->kn;
	c = n > 16 ? memcmp(base + x->off + 16, base + y->off + 16, n - 16) :
	    0;
	if (c != 0)
		return c;
	if (x->kn != y->kn)
		return x->kn < y->kn ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static const char *sort_base;
static const struct ent *sort_ents;

static int
qcmp(const void *a, const void *b)
{
	return ent_cmp(a, b, sort_base);
}

/* An entry's place while sorting: its first 16 key bytes and index. */
struct rx {
	uint64_t k, k2;
	uint32_t i;
};

static int
rxcmp(const void *a, const void *b)
{
	const struct rx *x = a, *y = b;

	if (x->k2 != y->k2)
		return x->k2 < y->k2 ? -1 : 1;
	return ent_cmp(&sort_ents[x->i], &sort_ents[y->i], sort_base);
}

/*
 * Sort the entries by (key, seq): a stable radix sort (least significant
 * byte first) of their first 8 key bytes, skipping the bytes that are
 * the same in every key, then each run of equal first bytes by the whole
 * comparison (insertion, or qsort for long runs; the next 8 bytes are at
 * hand). The order is kept in x->ord (the entries do not move). -1 when
 * out of memory (the caller then uses qsort alone).
 */
static int
radix_sort(sz_xsort *x)
{
	size_t n = x->ne, cnt[8][256];
	struct rx *a, *b, *t;

	if (n > UINT32_MAX || (a = malloc(2 * n * sizeof(*a))) == NULL)
		return -1;
	b = a + n;
	memset(cnt, 0, sizeof(cnt));
	for (size_t i = 0; i < n; i++) {
		uint64_t k = x->e[i].pre[0];

		a[i].k = k;
		a[i].k2 = x->e[i].pre[1];
		a[i].i = (uint32_t)i;
		for (int d = 0; d < 8; d++)
			cnt[d][(k >> (8 * d)) & 0xff]++;
	}
	for (int d = 0; d < 8; d++) {
		size_t sum = 0, *c = cnt[d];
		int shift = 8 * d;

		if (c[(a[0].k >> shift) & 0xff] == n)
			continue;	/* one value in every key */
		for (int v = 0; v < 256; v++) {
			size_t m = c[v];

			c[v] = sum;
			sum += m;
		}
		for (size_t i = 0; i < n; i++)
			b[c[(a[i].k >> shift) & 0xff]++] = a[i];
		t = a, a = b, b = t;
	}
	/* Runs of equal first bytes: by the whole key, then seq. */
	sort_ents = x->e;
	sort_base = x->arena.p;
	for (size_t i = 0, j; i < n; i = j) {
		for (j = i + 1; j < n && a[j].k == a[i].k; j++)
			;
		if (j - i > 24)
			qsort(a + i, j - i, sizeof(*a), rxcmp);
		else
			for (size_t p = i + 1; p < j; p++) {
				struct rx v = a[p];
				size_t q = p;

				while (q > i && rxcmp(&a[q - 1], &v) > 0) {
					a[q] = a[q - 1];
					q--;
				}
				a[q] = v;
			}
	}
	x->ord = a;
	x->ordbuf = a < b ? a : b;
	return 0;
}

static void
sort_mem(sz_xsort *x)
{
	if (x->ne < 2)
		return;
	free(x->ordbuf);
	x->ord = x->ordbuf = NULL;
	if (x->ne > 64 && radix_sort(x) == 0)
		return;
	/* qsort has no context argument in C11: the arena through a
	 * static (the sort is not re-entered). */
	sort_base = x->arena.p;
	qsort(x->e, x->ne, sizeof(*x->e), qcmp);
}

static void
put_le32(unsigned char *b, size_t v)
{
	b[0] = (unsigned char)v;
	b[1] = (unsigned char)(v >> 8);
	b[2] = (unsigned char)(v >> 16);
	b[3] = (unsigned char)(v >> 24);
}

static FILE *
tmp_run(sz_xsort *x)
{
	size_t n = strlen(x->dir) + 32;
	char *path = malloc(n);
	int fd;
	FILE *f;

	if (path == NULL)
		return NULL;
	snprintf(path, n, "%s/.sz-sort.XXXXXX", x->dir);
	fd = mkstemp(path);
	if (fd < 0) {
		free(path);
		fail(x, "cannot create a temporary file");
		return NULL;
	}
	unlink(path);
	free(path);
	if ((f = fdopen(fd, "w+")) == NULL) {
		close(fd);
		fail(x, "cannot create a temporary file");
		return NULL;
	}
	setvbuf(f, NULL, _IOFBF, RUN_BUF);
	return f;
}

static int
write_pair(sz_xsort *x, FILE *f, const char *k, size_t kn, const char *r,
    size_t rn)
{
	if (kn > UINT32_MAX || rn > UINT32_MAX) {
		errno = EFBIG;
		return fail(x, "a pair too long for a temporary file");
	}
	unsigned char h[8];

	put_le32(h, kn);
	put_le32(h + 4, rn);
	if (fwrite(h, 1, 8, f) != 8 || fwrite(k, 1, kn, f) != kn ||
	    fwrite(r, 1, rn, f) != rn)
		return fail(x, "cannot write a temporary file");
	return 0;
}

/* The sorted memory as a run file. */
static int
spill(sz_xsort *x, FILE *f)
{
	if (x->unsorted)
		sort_mem(x);
	for (size_t i = 0; i < x->ne; i++) {
		const struct ent *e = &x->e[x->ord ? x->ord[i].i : i];

		if (write_pair(x, f, x->arena.p + e->off, e->kn,
		    x->arena.p + e->off + e->kn, e->rn) != 0)
			return -1;
	}
	x->ne = 0;
	free(x->ordbuf);
	x->ord = x->ordbuf = NULL;
	sz_buf_reset(&x->arena);
	return 0;
}

/* ---- merging ---------------------------------------------------------- */

static size_t
get_le32(const unsigned char *b)
{
	return (size_t)b[0] | (size_t)b[1] << 8 | (size_t)b[2] << 16 |
	    (size_t)b[3] << 24;
}

/* A pair's two lengths: 1, 0 at the end of the file, -1. */
static int
get_lens(FILE *f, size_t *kn, size_t *rn)
{
	unsigned char b[8];
	size_t n = fread(b, 1, 8, f);

	if (n == 0 && feof(f))
		return 0;
	if (n != 8)
		return -1;
	*kn = get_le32(b);
	*rn = get_le32(b + 4);
	return 1;
}

/* Advance a source: 1, 0 at its end, -1. */
static int
cur_next(sz_xsort *x, struct cur *c)
{
	int k;

	if (c->f == NULL) {
		const struct ent *e;

		if (c->i >= x->ne)
			return 0;
		e = &x->e[x->ord ? x->ord[c->i].i : c->i];
		c->i++;
		c->k = x->arena.p + e->off;
		c->kn = e->kn;
		c->r = c->k + e->kn;
		c->rn = e->rn;
		return 1;
	}
	if ((k = get_lens(c->f, &c->kn, &c->rn)) <= 0) {
		if (k < 0 || ferror(c->f))
			return fail(x, "cannot read a temporary file");
		return 0;
	}
	/* The key and the record in one read, into one buffer. */
	sz_buf_reset(&c->kb);
	if (sz_buf_reserve(&c->kb, c->kn + c->rn) != 0) {
		errno = ENOMEM;
		return fail(x, "out of memory reading a temporary file");
	}
	if (fread(c->kb.p, 1, c->kn + c->rn, c->f) != c->kn + c->rn)
		return fail(x, "cannot read a temporary file");
	c->k = c->kb.p;
	c->r = c->kb.p + c->kn;
	return 1;
}

/* a before b? */
static int
cur_less(const struct cur *a, const struct cur *b)
{
	size_t n = a->kn < b->kn ? a->kn : b->kn;
	int c = memcmp(a->k, b->k, n);

	if (c != 0)
		return c < 0;
	if (a->kn != b->kn)
		return a->kn < b->kn;
	return a->idx < b->idx;
}

static void
sift_down(sz_xsort *x, int i)
{
	for (;;) {
		int l = 2 * i + 1, r = l + 1, m = i, t;

		if (l < x->nheap && cur_less(&x->cur[x->heap[l]],
		    &x->cur[x->heap[m]]))
			m = l;
		if (r < x->nheap && cur_less(&x->cur[x->heap[r]],
		    &x->cur[x->heap[m]]))
			m = r;
		if (m == i)
			return;
		t = x->heap[i], x->heap[i] = x->heap[m], x->heap[m] = t;
		i = m;
	}
}

static void
free_cursors(sz_xsort *x)
{
	for (int i = 0; i < x->ncur; i++)
		sz_buf_free(&x->cur[i].kb);
	free(x->cur);
	free(x->heap);
	x->cur = NULL;
	x->heap = NULL;
	x->ncur = x->nheap = 0;
}

/* Sources: the run files, then (mem) the memory run; all primed. */
static int
open_merge(sz_xsort *x, int mem)
{
	int n = x->nruns + (mem ? 1 : 0), k;

	x->cur = calloc((size_t)n + 1, sizeof(*x->cur));
	x->heap = calloc((size_t)n + 1, sizeof(*x->heap));
	if (x->cur == NULL || x->heap == NULL) {
		errno = ENOMEM;
		return fail(x, "out of memory");
	}
	x->ncur = n;
	for (int i = 0; i < n; i++) {
		struct cur *c = &x->cur[i];

		c->idx = i;
		if (i < x->nruns) {
			c->f = x->runs[i];
			if (fflush(c->f) != 0 || fseek(c->f, 0, SEEK_SET) != 0)
				return fail(x, "cannot read a temporary "
				    "file");
		}
		if ((k = cur_next(x, c)) < 0)
			return -1;
		if (k == 1)
			x->heap[x->nheap++] = i;
	}
	for (int i = x->nheap / 2 - 1; i >= 0; i--)
		sift_down(x, i);
	return 0;
}

/* Take the heap's top (its pair is in x->cur[x->heap[0]] until the next
 * call). 1, 0 at the end, -1. */
static int
merge_next(sz_xsort *x, struct cur **out)
{
	if (!x->first && x->nheap > 0) {
		int k = cur_next(x, &x->cur[x->heap[0]]);

		if (k < 0)
			return -1;
		if (k == 0)
			x->heap[0] = x->heap[--x->nheap];
		if (x->nheap > 0)
			sift_down(x, 0);
	}
	x->first = 0;
	if (x->nheap == 0)
		return 0;
	*out = &x->cur[x->heap[0]];
	return 1;
}

/* MAX_RUNS runs open: merge them into one. */
static int
compact_runs(sz_xsort *x)
{
	FILE *f = tmp_run(x);
	struct cur *c;
	int k;

	if (f == NULL)
		return -1;
	if (open_merge(x, 0) != 0) {
		fclose(f);
		return -1;
	}
	x->first = 1;
	while ((k = merge_next(x, &c)) == 1)
		if (write_pair(x, f, c->k, c->kn, c->r, c->rn) != 0) {
			k = -1;
			break;
		}
	free_cursors(x);
	for (int i = 0; i < x->nruns; i++)
		fclose(x->runs[i]);
	x->nruns = 0;
	if (k < 0) {
		fclose(f);
		return -1;
	}
	x->runs[x->nruns++] = f;
	x->total_runs++;
	return 0;
}

/* ---- the public face ------------------------------------------------- */

int
sz_xsort_add(sz_xsort *x, const char *key, size_t kn, const char *rec,
    size_t rn)
{
	struct ent *e;

	if (x->err[0] != '\0' || x->finished)
		return -1;
	if (!x->unsorted) {
		size_t n = kn < x->lastk.len ? kn : x->lastk.len;
		int c = n ? memcmp(key, x->lastk.p, n) : 0;

		if (x->seq > 0 && (c < 0 || (c == 0 && kn < x->lastk.len)))
			x->unsorted = 1;
		else {
			sz_buf_reset(&x->lastk);
			if (sz_buf_add(&x->lastk, key, kn) != 0) {
				errno = ENOMEM;
				return fail(x, "out of memory");
			}
		}
	}
	if (x->ne > 0 && x->arena.len + kn + rn +
	    (x->ne + 1) * sizeof(*x->e) > (x->unsorted ||
	    x->max_mem < SORTED_MEM ? x->max_mem : SORTED_MEM)) {
		FILE *f;

		if (x->nruns == MAX_RUNS && compact_runs(x) != 0)
			return -1;
		if ((f = tmp_run(x)) == NULL)
			return -1;
		x->runs[x->nruns++] = f;
		x->total_runs++;
		if (spill(x, f) != 0)
			return -1;
	}
	if (x->ne == x->ae) {
		size_t na = x->ae ? 2 * x->ae : 1024;
		struct ent *ne = realloc(x->e, na * sizeof(*ne));

		if (ne == NULL) {
			errno = ENOMEM;
			return fail(x, "out of memory");
		}
		x->e = ne;
		x->ae = na;
	}
	e = &x->e[x->ne];
	e->off = x->arena.len;
	if (sz_buf_add(&x->arena, key, kn) != 0 ||
	    sz_buf_add(&x->arena, rec, rn) != 0) {
		x->arena.len = e->off;
		errno = ENOMEM;
		return fail(x, "out of memory");
	}
	e->kn = kn;
	e->rn = rn;
	e->pre[0] = key_pre(key, kn, 0);
	e->pre[1] = key_pre(key, kn, 8);
	e->seq = x->seq++;
	x->ne++;
	return 0;
}

int
sz_xsort_finish(sz_xsort *x)
{
	if (x->err[0] != '\0')
		return -1;
	if (x->finished)
		return 0;
	x->finished = 1;
	if (x->unsorted)
		sort_mem(x);
	if (open_merge(x, 1) != 0)
		return -1;
	x->first = 1;
	return 0;
}

int
sz_xsort_next(sz_xsort *x, const char **key, size_t *kn, const char **rec,
    size_t *rn)
{
	struct cur *c;
	int k;

	if (x->err[0] != '\0' || !x->finished)
		return -1;
	if ((k = merge_next(x, &c)) != 1)
		return k;
	*key = c->k;
	*kn = c->kn;
	*rec = c->r;
	*rn = c->rn;
	return 1;
}

const char *
sz_xsort_error(const sz_xsort *x)
{
	return x->err[0] ? x->err : NULL;
}

int
sz_xsort_stable(const sz_xsort *x)
{
	return x->finished && x->nruns == 0;
}

size_t
sz_xsort_runs(const sz_xsort *x)
{
	return x->total_runs;
}

void
sz_xsort_free(sz_xsort *x)
{
	if (x == NULL)
		return;
	free_cursors(x);
	for (int i = 0; i < x->nruns; i++)
		fclose(x->runs[i]);
	sz_buf_free(&x->arena);
	sz_buf_free(&x->lastk);
	free(x->e);
	free(x->ordbuf);
	free(x->dir);
	free(x->outbuf);
	free(x);
}
