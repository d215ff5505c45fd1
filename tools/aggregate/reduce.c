/* SPDX-License-Identifier: MIT */
/*
 * reduce.c - sz-aggregate's reducers: what each keeps per group, how it
 * takes a value and how it writes its result.
 *
 * Sums: integers are added exactly in 64 bits while they fit; from the
 * first other number (or overflow) on, the sum is a double kept with
 * Neumaier's compensated summation. Standard deviation: Welford's
 * running mean and sum of squares (sample, n - 1). Distinct: an exact set
 * of canonical texts up to --max-distinct, then HyperLogLog with 2^14
 * registers (standard error 1.04 / 128 = 0.8%). Percentiles: the values
 * themselves up to --max-exact (nearest rank), then a logarithmic
 * histogram whose answers are within 1% of a value of the right rank
 * (buckets [g^(i-1), g^i) with g = 1.01 / 0.99, answered by their
 * middle, as DDSketch does).
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/hash.h"
#include "jq/jvtext.h"
#include "json/json.h"
#include "json/str.h"

#include "agg.h"

#define HLL_P 14
#define HLL_M (1u << HLL_P)
#define SK_ALPHA 0.01

int
agg_is_number(const char *p, size_t n)
{
	return sz_json_type(p, p + n) == SZ_JNUMBER;
}

/* The number literal p[0..n) (white space around it allowed). */
int
agg_num(const char *p, size_t n, struct num *x)
{
	char buf[32];

	/* (JSON white space is below '!', a number's bytes are not) */
	if (n > 0 && ((unsigned char)p[0] <= ' ' ||
	    (unsigned char)p[n - 1] <= ' '))
		sz_json_trim(&p, &n);
	x->isint = 0;
	if (n > 0 && n <= 19) {
		/* Fast path: [-]digits[.digits], at most 18 digits: an
		 * integer, or digits / 10^k, one correctly rounded division
		 * (the answer strtod gives). The literal is valid JSON: no
		 * leading zeros, digits after a '.'. */
		const char *s = p, *e = p + n, *d0, *f0;
		int neg = *s == '-';
		uint64_t m = 0;

		s += neg;
		for (d0 = s; s < e && (unsigned char)(*s - '0') < 10; s++)
			m = m * 10 + (uint64_t)(*s - '0');
		if (s == e && s - d0 <= 18) {
			if (!(neg && m == 0)) {
				x->isint = 1;
				x->i = neg ? -(int64_t)m : (int64_t)m;
				x->d = (double)x->i;
				return 0;
			}
		} else if (s < e && *s == '.') {
			for (f0 = ++s; s < e && (unsigned char)(*s - '0') < 10;
			    s++)
				m = m * 10 + (uint64_t)(*s - '0');
			if (s == e && (f0 - d0) - 1 + (e - f0) <= 18 &&
			    m < (UINT64_C(1) << 53)) {
				x->d = (double)m / sz_json_pow10[e - f0];
				if (neg)
					x->d = -x->d;
				return 0;
			}
		}
	}
	x->d = sz_json_num(p, n);
	if (n < sizeof(buf) && memchr(p, '.', n) == NULL &&
	    memchr(p, 'e', n) == NULL && memchr(p, 'E', n) == NULL) {
		char *end;
		long long v;

		memcpy(buf, p, n);
		buf[n] = '\0';
		errno = 0;
		v = strtoll(buf, &end, 10);
		if (errno == 0 && *end == '\0' && !(v == 0 && buf[0] == '-')) {
			x->isint = 1;
			x->i = v;
		}
	}
	return 0;
}

static void
neumaier(struct rstate *st, double v)
{
	double t = st->u.sum.s + v;

	if (fabs(st->u.sum.s) >= fabs(v))
		st->u.sum.c += (st->u.sum.s - t) + v;
	else
		st->u.sum.c += (v - t) + st->u.sum.s;
	st->u.sum.s = t;
}

/* Leave the integers: their sum as a double and what that rounded
 * away. */
static void
sum_inexact(struct rstate *st)
{
	if (st->u.sum.inexact)
		return;
	st->u.sum.inexact = 1;
	st->u.sum.s = (double)st->u.sum.isum;
	st->u.sum.c = 0;
	if (st->u.sum.isum > -(INT64_C(1) << 62) &&
	    st->u.sum.isum < (INT64_C(1) << 62))
		st->u.sum.c = (double)(st->u.sum.isum -
		    (int64_t)st->u.sum.s);
}

void
agg_sum_add(struct rstate *st, const struct num *x)
{
	int64_t r;

	if (!st->u.sum.inexact && x->isint &&
	    !__builtin_add_overflow(st->u.sum.isum, x->i, &r)) {
		st->u.sum.isum = r;
		return;
	}
	sum_inexact(st);
	if (x->isint) {
		/* An integer beyond 2^53 is not exactly a double: add it
		 * in two parts. */
		double hi = (double)x->i;

		neumaier(st, hi);
		if (x->i > -(INT64_C(1) << 62) && x->i < (INT64_C(1) << 62))
			neumaier(st, (double)(x->i - (int64_t)hi));
	} else
		neumaier(st, x->d);
}

static double
sum_value(const struct rstate *st)
{
	return st->u.sum.inexact ? st->u.sum.s + st->u.sum.c :
	    (double)st->u.sum.isum;
}

/* a < b? */
static int
num_less(const struct num *a, const struct num *b)
{
	if (a->isint && b->isint)
		return a->i < b->i;
	return a->d < b->d;
}

static int
add_num(sz_buf *out, const struct num *x)
{
	char nb[SZ_JV_NUMBUF];

	if (x->isint)
		return sz_buf_printf(out, "%" PRId64, x->i);
	sz_jv_fmt_number(x->d, nb);
	return sz_buf_adds(out, nb);
}

static int
add_double(sz_buf *out, double d)
{
	char nb[SZ_JV_NUMBUF];

	if (d != d || isinf(d))
		return sz_buf_adds(out, "null");
	sz_jv_fmt_number(d, nb);
	return sz_buf_adds(out, nb);
}

/* ---- HyperLogLog ------------------------------------------------------ */

static uint64_t
mix64(uint64_t h)
{
	h ^= h >> 33;
	h *= UINT64_C(0xff51afd7ed558ccd);
	h ^= h >> 33;
	h *= UINT64_C(0xc4ceb9fe1a85ec53);
	h ^= h >> 33;
	return h;
}

static void
hll_add(uint8_t *reg, const char *p, size_t n)
{
	uint64_t h = mix64(sz_fnv1a(p, n));
	uint32_t idx = (uint32_t)(h >> (64 - HLL_P));
	uint64_t w = (h << HLL_P) | (UINT64_C(1) << (HLL_P - 1));
	uint8_t rank = (uint8_t)(__builtin_clzll(w) + 1);

	if (rank > reg[idx])
		reg[idx] = rank;
}

static double
hll_estimate(const uint8_t *reg)
{
	double m = HLL_M, sum = 0, e;
	unsigned zeros = 0;

	for (unsigned i = 0; i < HLL_M; i++) {
		sum += ldexp(1.0, -reg[i]);
		zeros += reg[i] == 0;
	}
	e = 0.7213 / (1 + 1.079 / m) * m * m / sum;
	if (e <= 2.5 * m && zeros > 0)
		e = m * log(m / zeros);
	return e;
}

/* ---- the percentile sketch ------------------------------------------- */

struct bins {
	int64_t lo;		/* index of counts[0] */
	size_t n;
	uint64_t *counts;
};

struct sketch {
	double lg;		/* log(gamma) */
	struct bins pos, neg;
	uint64_t zero, total;
};

static int
bins_add(struct bins *b, int64_t i, uint64_t count)
{
	if (b->n == 0) {
		if ((b->counts = calloc(1, sizeof(*b->counts))) == NULL)
			return -1;
		b->lo = i;
		b->n = 1;
	} else if (i < b->lo || i >= b->lo + (int64_t)b->n) {
		int64_t lo = i < b->lo ? i : b->lo;
		int64_t hi = i >= b->lo + (int64_t)b->n ? i + 1 :
		    b->lo + (int64_t)b->n;
		uint64_t *c = calloc((size_t)(hi - lo), sizeof(*c));

		if (c == NULL)
			return -1;
		memcpy(c + (b->lo - lo), b->counts, b->n * sizeof(*c));
		free(b->counts);
		b->counts = c;
		b->lo = lo;
		b->n = (size_t)(hi - lo);
	}
	b->counts[i - b->lo] += count;
	return 0;
}

static int
sketch_add(struct sketch *k, double d)
{
	int rc = 0;

	if (d != d)
		return 0;
	if (d == 0)
		k->zero++;
	else if (d > 0)
		rc = bins_add(&k->pos, (int64_t)ceil(log(d) / k->lg), 1);
	else
		rc = bins_add(&k->neg, (int64_t)ceil(log(-d) / k->lg), 1);
	if (rc == 0)
		k->total++;
	return rc;
}

static double
bin_value(const struct sketch *k, int64_t i)
{
	double g = exp(k->lg);

	return 2 * exp((double)i * k->lg) / (g + 1);
}

/* The value of nearest rank `rank` (1-based). */
static double
sketch_rank(const struct sketch *k, uint64_t rank)
{
	uint64_t seen = 0;

	for (size_t j = k->neg.n; j-- > 0;) {
		seen += k->neg.counts[j];
		if (seen >= rank)
			return -bin_value(k, k->neg.lo + (int64_t)j);
	}
	seen += k->zero;
	if (seen >= rank)
		return 0;
	for (size_t j = 0; j < k->pos.n; j++) {
		seen += k->pos.counts[j];
		if (seen >= rank)
			return bin_value(k, k->pos.lo + (int64_t)j);
	}
	return 0;
}

static void
sketch_free(struct sketch *k)
{
	if (k == NULL)
		return;
	free(k->pos.counts);
	free(k->neg.counts);
	free(k);
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* Nearest rank of q percent among n values. */
static uint64_t
nearest_rank(double q, uint64_t n)
{
	double r = ceil(q / 100.0 * (double)n);

	if (r < 1)
		r = 1;
	if (r > (double)n)
		r = (double)n;
	return (uint64_t)r;
}

/* ---- taking values ---------------------------------------------------- */

/* Beyond the exact bound: every value seen into the registers, the set
 * freed. */
static int
to_hll(struct agg *a, struct rstate *st)
{
	size_t kn;

	if (st->u.d.hll != NULL)
		return 0;
	if ((st->u.d.hll = calloc(HLL_M, 1)) == NULL)
		return -1;
	if (st->u.d.set != NULL) {
		for (void *v = sz_keymap_oldest(st->u.d.set); v != NULL;
		    v = sz_keymap_next(st->u.d.set, v)) {
			const char *k = sz_keymap_key(st->u.d.set, v, &kn);

			hll_add(st->u.d.hll, k, kn);
		}
		sz_keymap_free(st->u.d.set);
		st->u.d.set = NULL;
	}
	a->estimated++;
	return 0;
}

static int
take_distinct(struct agg *a, struct rstate *st, const char *p, size_t n,
    size_t *grown)
{
	int created;

	if (st->u.d.hll != NULL) {
		hll_add(st->u.d.hll, p, n);
		return 0;
	}
	if (st->u.d.set == NULL &&
	    (st->u.d.set = sz_keymap_new(a->max_distinct + 1, 0, NULL,
	    NULL)) == NULL)
		return -1;
	if (sz_keymap_get(st->u.d.set, p, n) != NULL)
		return 0;
	if (sz_keymap_count(st->u.d.set) >= a->max_distinct) {
		if (to_hll(a, st) != 0)
			return -1;
		hll_add(st->u.d.hll, p, n);
		return 0;
	}
	if (sz_keymap_put(st->u.d.set, p, n, &created) == NULL)
		return -1;
	*grown += n + 32;
	return 0;
}

/* Beyond the exact bound: the values into a sketch. */
static int
to_sketch(struct agg *a, struct rstate *st)
{
	if (st->u.p.sk != NULL)
		return 0;
	if ((st->u.p.sk = calloc(1, sizeof(*st->u.p.sk))) == NULL)
		return -1;
	st->u.p.sk->lg = log((1 + SK_ALPHA) / (1 - SK_ALPHA));
	for (size_t i = 0; i < st->u.p.nvals; i++)
		if (sketch_add(st->u.p.sk, st->u.p.vals[i]) != 0)
			return -1;
	free(st->u.p.vals);
	st->u.p.vals = NULL;
	st->u.p.nvals = st->u.p.avals = 0;
	a->estimated++;
	return 0;
}

static int
take_percentile(struct agg *a, struct rstate *st, double d, size_t *grown)
{
	if (st->u.p.sk != NULL)
		return sketch_add(st->u.p.sk, d);
	if (st->u.p.nvals >= a->max_exact) {
		if (to_sketch(a, st) != 0)
			return -1;
		return sketch_add(st->u.p.sk, d);
	}
	if (st->u.p.nvals == st->u.p.avals) {
		size_t na = st->u.p.avals ? 2 * st->u.p.avals : 8;
		double *v = realloc(st->u.p.vals, na * sizeof(*v));

		if (v == NULL)
			return -1;
		*grown += (na - st->u.p.avals) * sizeof(*v);
		st->u.p.vals = v;
		st->u.p.avals = na;
	}
	st->u.p.vals[st->u.p.nvals++] = d;
	return 0;
}

sz_buf *
agg_text(struct rstate *st)
{
	if (st->u.fl.text == NULL)
		st->u.fl.text = calloc(1, sizeof(sz_buf));
	return st->u.fl.text;
}

/* Bytes a FIRST/LAST/REDUCE text holds. */
static size_t
text_bytes(const struct rstate *st)
{
	return st->u.fl.text ? sizeof(sz_buf) + st->u.fl.text->alloc : 0;
}

int
agg_take(struct agg *a, struct reducer *red, struct rstate *st, int have,
    const struct num *x, size_t *grown)
{
	const char *p = red->val->p;
	size_t n = red->val->len, before;
	sz_buf *t;
	int rc = 0;

	if (red->kind == R_COUNT) {
		st->n++;
		return 0;
	}
	if (!have)
		return 0;
	switch (red->kind) {
	case R_SUM:
	case R_AVG:
		agg_sum_add(st, x);
		break;
	case R_MIN:
		if (st->n == 0 || num_less(x, &st->u.best))
			st->u.best = *x;
		break;
	case R_MAX:
		if (st->n == 0 || num_less(&st->u.best, x))
			st->u.best = *x;
		break;
	case R_STDDEV: {
		double d = x->d - st->u.sd.mean;

		st->u.sd.mean += d / (double)(st->n + 1);
		st->u.sd.m2 += d * (x->d - st->u.sd.mean);
		break;
	}
	case R_FIRST:
	case R_LAST:
	case R_REDUCE:
		if (red->kind == R_FIRST && st->n > 0)
			break;
		before = text_bytes(st);
		if ((t = agg_text(st)) == NULL)
			return -1;
		sz_buf_reset(t);
		rc = sz_buf_add(t, p, n);
		if (red->kind != R_REDUCE)
			st->u.fl.seq = a->seq;
		if (text_bytes(st) > before)
			*grown += text_bytes(st) - before;
		break;
	case R_COLLECT:
		if (st->u.items == NULL) {
			if ((st->u.items = calloc(1, sizeof(sz_items))) == NULL)
				return -1;
			*grown += sizeof(sz_items);
		}
		before = sz_items_bytes(st->u.items);
		rc = sz_items_push(st->u.items, a->seq, p, n);
		if (rc == 0)
			*grown += sz_items_bytes(st->u.items) - before;
		break;
	case R_DISTINCT:
		rc = take_distinct(a, st, p, n, grown);
		break;
	case R_PERCENTILE:
		rc = take_percentile(a, st, x->d, grown);
		break;
	}
	if (rc == 0)
		st->n++;
	return rc;
}

/* ---- merging sessions ------------------------------------------------- */

static int
merge_distinct(struct agg *a, struct rstate *d, struct rstate *s,
    size_t *grown)
{
	size_t kn;

	if (s->u.d.hll == NULL && s->u.d.set == NULL)
		return 0;
	if (d->u.d.hll == NULL && s->u.d.hll == NULL) {
		for (void *v = sz_keymap_oldest(s->u.d.set); v != NULL;
		    v = sz_keymap_next(s->u.d.set, v)) {
			const char *k = sz_keymap_key(s->u.d.set, v, &kn);

			if (take_distinct(a, d, k, kn, grown) != 0)
				return -1;
		}
		return 0;
	}
	if (to_hll(a, d) != 0)
		return -1;
	if (s->u.d.hll != NULL) {
		for (unsigned i = 0; i < HLL_M; i++)
			if (s->u.d.hll[i] > d->u.d.hll[i])
				d->u.d.hll[i] = s->u.d.hll[i];
		return 0;
	}
	for (void *v = sz_keymap_oldest(s->u.d.set); v != NULL;
	    v = sz_keymap_next(s->u.d.set, v)) {
		const char *k = sz_keymap_key(s->u.d.set, v, &kn);

		hll_add(d->u.d.hll, k, kn);
	}
	return 0;
}

static int
merge_bins(struct bins *d, const struct bins *s)
{
	for (size_t j = 0; j < s->n; j++)
		if (s->counts[j] > 0 &&
		    bins_add(d, s->lo + (int64_t)j, s->counts[j]) != 0)
			return -1;
	return 0;
}

static int
merge_percentile(struct agg *a, struct rstate *d, struct rstate *s,
    size_t *grown)
{
	if (d->u.p.sk == NULL && s->u.p.sk == NULL) {
		for (size_t i = 0; i < s->u.p.nvals; i++)
			if (take_percentile(a, d, s->u.p.vals[i], grown) != 0)
				return -1;
		return 0;
	}
	if (to_sketch(a, d) != 0)
		return -1;
	if (s->u.p.sk == NULL) {
		for (size_t i = 0; i < s->u.p.nvals; i++)
			if (sketch_add(d->u.p.sk, s->u.p.vals[i]) != 0)
				return -1;
		return 0;
	}
	if (merge_bins(&d->u.p.sk->pos, &s->u.p.sk->pos) != 0 ||
	    merge_bins(&d->u.p.sk->neg, &s->u.p.sk->neg) != 0)
		return -1;
	d->u.p.sk->zero += s->u.p.sk->zero;
	d->u.p.sk->total += s->u.p.sk->total;
	return 0;
}

int
agg_merge(struct agg *a, struct reducer *red, struct rstate *d,
    struct rstate *s, size_t *grown)
{
	int64_t r;
	int rc = 0;

	switch (red->kind) {
	case R_COUNT:
	case R_REDUCE:
		break;
	case R_SUM:
	case R_AVG:
		if (!d->u.sum.inexact && !s->u.sum.inexact &&
		    !__builtin_add_overflow(d->u.sum.isum, s->u.sum.isum, &r)) {
			d->u.sum.isum = r;
			break;
		}
		sum_inexact(d);
		if (!s->u.sum.inexact) {
			struct num x = { 1, s->u.sum.isum, (double)s->u.sum.isum };

			agg_sum_add(d, &x);
		} else {
			neumaier(d, s->u.sum.s);
			neumaier(d, s->u.sum.c);
		}
		break;
	case R_MIN:
		if (s->n > 0 && (d->n == 0 || num_less(&s->u.best, &d->u.best)))
			d->u.best = s->u.best;
		break;
	case R_MAX:
		if (s->n > 0 && (d->n == 0 || num_less(&d->u.best, &s->u.best)))
			d->u.best = s->u.best;
		break;
	case R_STDDEV:
		/* Chan et al.: the two means and sums of squares. */
		if (s->n > 0) {
			double na = (double)d->n, nb = (double)s->n;
			double delta = s->u.sd.mean - d->u.sd.mean, n = na + nb;

			d->u.sd.mean += delta * nb / n;
			d->u.sd.m2 += s->u.sd.m2 + delta * delta * na * nb / n;
		}
		break;
	case R_FIRST:
	case R_LAST:
		if (s->n > 0 && (d->n == 0 || (red->kind == R_FIRST ?
		    s->u.fl.seq < d->u.fl.seq : s->u.fl.seq > d->u.fl.seq))) {
			sz_buf *t = d->u.fl.text;

			d->u.fl.text = s->u.fl.text;
			s->u.fl.text = t;
			d->u.fl.seq = s->u.fl.seq;
		}
		break;
	case R_COLLECT:
		if (s->u.items == NULL)
			break;
		if (d->u.items == NULL) {
			d->u.items = s->u.items;
			s->u.items = NULL;
			break;
		}
		rc = sz_items_merge(d->u.items, s->u.items);
		break;
	case R_DISTINCT:
		rc = merge_distinct(a, d, s, grown);
		break;
	case R_PERCENTILE:
		rc = merge_percentile(a, d, s, grown);
		break;
	}
	if (rc == 0)
		d->n += s->n;
	return rc;
}

/* ---- results ---------------------------------------------------------- */

static int
add_name(sz_buf *out, const char *name)
{
	if (out->len > 0 && out->p[out->len - 1] != '{' &&
	    sz_buf_addc(out, ',') != 0)
		return -1;
	if (sz_buf_add_jstr(out, name, strlen(name)) != 0)
		return -1;
	return sz_buf_addc(out, ':');
}

static int
percentile_one(struct rstate *st, double q, sz_buf *out)
{
	uint64_t total = st->u.p.sk ? st->u.p.sk->total : st->u.p.nvals;

	if (total == 0)
		return sz_buf_adds(out, "null");
	if (st->u.p.sk)
		return add_double(out, sketch_rank(st->u.p.sk,
		    nearest_rank(q, total)));
	return add_double(out, st->u.p.vals[nearest_rank(q, total) - 1]);
}

int
agg_result(struct agg *a, struct reducer *red, struct rstate *st,
    sz_buf *out)
{
	int rc;

	(void)a;
	if (add_name(out, red->name) != 0)
		return -1;
	switch (red->kind) {
	case R_COUNT:
		return sz_buf_printf(out, "%" PRIu64, st->n);
	case R_SUM:
		if (!st->u.sum.inexact)
			return sz_buf_printf(out, "%" PRId64, st->u.sum.isum);
		return add_double(out, sum_value(st));
	case R_AVG:
		if (st->n == 0)
			return sz_buf_adds(out, "null");
		if (!st->u.sum.inexact)
			return add_double(out, (double)st->u.sum.isum /
			    (double)st->n);
		return add_double(out, sum_value(st) / (double)st->n);
	case R_MIN:
	case R_MAX:
		if (st->n == 0)
			return sz_buf_adds(out, "null");
		return add_num(out, &st->u.best);
	case R_STDDEV:
		if (st->n < 2)
			return sz_buf_adds(out, "null");
		return add_double(out, sqrt(st->u.sd.m2 / (double)(st->n - 1)));
	case R_FIRST:
	case R_LAST:
	case R_REDUCE:
		if (st->u.fl.text == NULL || st->u.fl.text->len == 0)
			return sz_buf_adds(out, "null");
		return sz_buf_add(out, st->u.fl.text->p, st->u.fl.text->len);
	case R_COLLECT:
		if (sz_buf_addc(out, '[') != 0 || (st->u.items != NULL &&
		    sz_buf_add(out, st->u.items->text.p ? st->u.items->text.p :
		    "", st->u.items->text.len) != 0))
			return -1;
		return sz_buf_addc(out, ']');
	case R_DISTINCT:
		if (st->u.d.hll == NULL)
			return sz_buf_printf(out, "%zu", st->u.d.set ?
			    sz_keymap_count(st->u.d.set) : (size_t)0);
		rc = sz_buf_printf(out, "%.0f", hll_estimate(st->u.d.hll));
		if (rc == 0 && sz_buf_printf(out, ",") == 0) {
			if (sz_buf_add_jstr(out, red->name,
			    strlen(red->name)) != 0)
				return -1;
			/* "NAME" then "_estimated": rewrite the quote. */
			out->len--;
			return sz_buf_adds(out, "_estimated\":true");
		}
		return -1;
	case R_PERCENTILE:
		if (st->u.p.vals != NULL)
			qsort(st->u.p.vals, st->u.p.nvals, sizeof(double),
			    cmp_double);
		if (red->nq == 1)
			return percentile_one(st, red->q[0], out);
		if (sz_buf_addc(out, '{') != 0)
			return -1;
		for (int i = 0; i < red->nq; i++) {
			if (add_name(out, red->qname[i]) != 0 ||
			    percentile_one(st, red->q[i], out) != 0)
				return -1;
		}
		return sz_buf_addc(out, '}');
	}
	return 0;
}

void
agg_state_free(struct reducer *red, struct rstate *st)
{
	switch (red->kind) {
	case R_FIRST:
	case R_LAST:
	case R_REDUCE:
		if (st->u.fl.text != NULL)
			sz_buf_free(st->u.fl.text);
		free(st->u.fl.text);
		st->u.fl.text = NULL;
		break;
	case R_COLLECT:
		if (st->u.items != NULL)
			sz_items_free(st->u.items);
		free(st->u.items);
		st->u.items = NULL;
		break;
	case R_DISTINCT:
		if (st->u.d.set != NULL)
			sz_keymap_free(st->u.d.set);
		free(st->u.d.hll);
		st->u.d.set = NULL;
		st->u.d.hll = NULL;
		break;
	case R_PERCENTILE:
		free(st->u.p.vals);
		sketch_free(st->u.p.sk);
		st->u.p.vals = NULL;
		st->u.p.sk = NULL;
		break;
	}
}
