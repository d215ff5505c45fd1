/* SPDX-License-Identifier: MIT */
/*
 * sz-sample - keep a sample of the records: each with a probability (by a
 * seeded generator, or by a hash of a key so that a key is kept in every
 * run), every Nth, or a uniform reservoir of K written at the end.
 *
 * The generator and the hash are documented in man/sz-sample.1 so that
 * other programs can reproduce the choice:
 *   splitmix64: s += 0x9E3779B97F4A7C15, then mix(s);
 *   mix(z):     z ^= z >> 30; z *= 0xBF58476D1CE4E5B9; z ^= z >> 27;
 *               z *= 0x94D049BB133111EB; z ^= z >> 31;
 *   key hash:   mix(FNV-1a 64 of the seed as 8 bytes little-endian, then
 *               the canonical text of the key).
 * A value x is kept when x < floor(p * 2^64) (p = 1 keeps everything).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/hash.h"
#include "run/key.h"
#include "run/tool.h"

enum mode { M_NONE, M_PROB, M_EVERY, M_RESERVOIR };

/* One record kept by the reservoir. */
struct slot {
	uint64_t seq;		/* arrival number, from 0 */
	sz_buf rec;		/* a copy of the record */
};

struct sample {
	enum mode mode;
	double p;		/* -p */
	uint64_t threshold;	/* keep when x < threshold */
	int all;		/* p == 1 */
	uint64_t every;		/* --every */
	uint64_t left;		/* records to skip before the next kept one */
	uint64_t k;		/* --reservoir */
	struct slot *slots;
	uint64_t nslots, aslots;
	uint64_t seen;		/* records offered to the reservoir */
	uint64_t seed, state;
	int seeded;		/* --seed given */
	sz_key key;		/* --key, --no-fast */
	uint64_t seedhash;	/* FNV-1a 64 of the seed's 8 bytes */
	const char *dropped_path;
	sz_out dropped;		/* --dropped=FILE: the records not kept */
};

static const char usage[] =
"Usage: sz-sample -p PROBABILITY | --every N | --reservoir K [OPTION]...\n"
"                 [FILE]...\n"
"Write a sample of the NDJSON records, unchanged.\n"
"\n"
"  -p, --probability=P    keep each record with probability P (0 to 1)\n"
"      --every=N          keep records 1, N+1, 2N+1, ...\n"
"      --reservoir=K      keep a uniform sample of K records, written at the\n"
"                         end of input in input order\n"
"      --seed=N           seed of the generator and of the --key hash\n"
"                         (default: random for -p and --reservoir, 0 for\n"
"                         --key)\n"
"      --dropped=FILE     write the records not kept to FILE\n"
SZ_KEY_HELP
"                         (with -p: keep or drop by a hash of the key, the\n"
"                         same in every run)\n"
SZ_KEY_NOFAST_HELP
SZ_JQ_HELP_F_KEY SZ_JQ_HELP_VARS;

enum { OPT_EVERY = SZ_OPT_TOOL, OPT_RESERVOIR, OPT_SEED, OPT_DROPPED };

static const struct option longopts[] = {
	{ "probability", required_argument, NULL, 'p' },
	{ "every", required_argument, NULL, OPT_EVERY },
	{ "reservoir", required_argument, NULL, OPT_RESERVOIR },
	{ "seed", required_argument, NULL, OPT_SEED },
	{ "dropped", required_argument, NULL, OPT_DROPPED },
	SZ_KEY_LONGOPTS,
	SZ_JQ_LONGOPTS,
	{ NULL, 0, NULL, 0 }
};

/* ---- generator and hash -------------------------------------------- */

static uint64_t
mix(uint64_t z)
{
	z ^= z >> 30;
	z *= UINT64_C(0xBF58476D1CE4E5B9);
	z ^= z >> 27;
	z *= UINT64_C(0x94D049BB133111EB);
	return z ^ (z >> 31);
}

static uint64_t
next_random(struct sample *s)
{
	s->state += UINT64_C(0x9E3779B97F4A7C15);
	return mix(s->state);
}

/* A seed from the system when none was given. */
static uint64_t
random_seed(void)
{
	uint64_t v = 0;
	int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);

	if (fd >= 0) {
		ssize_t k = read(fd, &v, sizeof(v));

		close(fd);
		if (k == (ssize_t)sizeof(v))
			return v;
	}
	return mix(sz_now() ^ ((uint64_t)getpid() << 32));
}

/* ---- the modes ----------------------------------------------------- */

static int
keep(sz_tool *t, const sz_rec *r)
{
	return sz_emit(t, r->p, r->n);
}

/* A record not kept: counted, and written to the --dropped file. */
static int
drop(sz_tool *t, const char *p, size_t n)
{
	struct sample *s = t->ud;

	return sz_drop(t, &s->dropped, p, n);
}

static int
prob_record(sz_tool *t, const sz_rec *r)
{
	struct sample *s = t->ud;

	if (s->all || next_random(s) < s->threshold)
		return keep(t, r);
	return drop(t, r->p, r->n);
}

static int
key_record(sz_tool *t, const sz_rec *r)
{
	struct sample *s = t->ud;
	sz_buf *kb = &s->key.kb;
	int rc;

	if ((rc = sz_key_get(&s->key, t, r)) != 1)
		return rc;
	if (s->all || mix(sz_fnv1a_more(s->seedhash, kb->p, kb->len)) <
	    s->threshold)
		return keep(t, r);
	return drop(t, r->p, r->n);
}

static int
every_record(sz_tool *t, const sz_rec *r)
{
	struct sample *s = t->ud;

	if (s->left > 0) {
		s->left--;
		return drop(t, r->p, r->n);
	}
	s->left = s->every - 1;
	return keep(t, r);
}

/* Make r, arrival number seq, the record of sl; 0, or -1 on memory. */
static int
slot_set(struct slot *sl, uint64_t seq, const sz_rec *r)
{
	sz_buf_reset(&sl->rec);
	sl->seq = seq;
	return sz_buf_add(&sl->rec, r->p, r->n);
}

static int
reservoir_record(sz_tool *t, const sz_rec *r)
{
	struct sample *s = t->ud;
	uint64_t i = s->seen++, j;

	if (i < s->k) {
		if (s->nslots == s->aslots) {
			uint64_t na = s->aslots ? 2 * s->aslots : 64;
			struct slot *ns;

			if (na > s->k)
				na = s->k;
			ns = realloc(s->slots, na * sizeof(*ns));
			if (ns == NULL)
				return sz_fail(t, SZ_EXIT_FAIL, "out of memory");
			memset(ns + s->aslots, 0,
			    (na - s->aslots) * sizeof(*ns));
			s->slots = ns;
			s->aslots = na;
		}
		j = s->nslots++;
	} else {
		/* Record i + 1 replaces a kept one with probability k/(i+1). */
		j = (uint64_t)(((unsigned __int128)next_random(s) * (i + 1)) >>
		    64);
		/* Not kept: this record, or the one it replaces. */
		if (j >= s->k)
			return drop(t, r->p, r->n);
		if (drop(t, s->slots[j].rec.p, s->slots[j].rec.len) < 0)
			return -1;
	}
	if (slot_set(&s->slots[j], i, r) < 0)
		return sz_fail(t, SZ_EXIT_FAIL, "out of memory");
	return 0;
}

static int
by_seq(const void *a, const void *b)
{
	const struct slot *x = a, *y = b;

	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static int
reservoir_end(sz_tool *t)
{
	struct sample *s = t->ud;

	qsort(s->slots, s->nslots, sizeof(*s->slots), by_seq);
	for (uint64_t i = 0; i < s->nslots; i++)
		if (sz_emit(t, s->slots[i].rec.p, s->slots[i].rec.len) < 0)
			return -1;
	return 0;
}

static void
sample_stats(sz_tool *t, sz_statv *v)
{
	struct sample *s = t->ud;

	if (s->mode != M_EVERY)
		sz_stat_gauge(v, "seed", s->seed);
}

static const sz_proc prob_proc = {
	.record = prob_record, .stats = sample_stats,
};
static const sz_proc key_proc = {
	.record = key_record, .stats = sample_stats,
};
static const sz_proc every_proc = {
	.record = every_record, .stats = sample_stats,
};
static const sz_proc reservoir_proc = {
	.record = reservoir_record, .end = reservoir_end,
	.stats = sample_stats,
};

/* ---- main ---------------------------------------------------------- */

static int
set_mode(sz_tool *t, struct sample *s, enum mode m)
{
	if (s->mode != M_NONE && s->mode != m) {
		snprintf(t->o.err, sizeof(t->o.err), "give only one of -p, "
		    "--every and --reservoir");
		return '?';
	}
	s->mode = m;
	return 0;
}

static int
sample_option(sz_tool *t, int c)
{
	struct sample *s = t->ud;
	switch (c) {
	case 'p':
		return set_mode(t, s, M_PROB) ? '?' :
		    sz_opt_double(&t->o, "-p", 0, 1, &s->p);
	case OPT_EVERY:
		return set_mode(t, s, M_EVERY) ? '?' :
		    sz_opt_count(&t->o, "--every", 1, UINT64_MAX, &s->every);
	case OPT_RESERVOIR:
		return set_mode(t, s, M_RESERVOIR) ? '?' :
		    sz_opt_count(&t->o, "--reservoir", 1, UINT64_C(1) << 32,
		    &s->k);
	case OPT_SEED:
		s->seeded = 1;
		return sz_opt_count(&t->o, "--seed", 0, UINT64_MAX, &s->seed);
	case OPT_DROPPED:
		s->dropped_path = optarg;
		break;
	}
	return 0;
}

/* -p with --key: the key hash starts with the seed, little-endian. */
static int
key_setup(sz_tool *t, struct sample *s)
{
	unsigned char seed[8];
	int rc;

	if ((rc = sz_key_compile(&s->key, t)) != 0)
		return rc;
	for (int i = 0; i < 8; i++)
		seed[i] = (unsigned char)(s->seed >> (8 * i));
	s->seedhash = sz_fnv1a(seed, sizeof(seed));
	return -1;
}

static int
sample_start(sz_tool *t)
{
	struct sample *s = t->ud;

	if (s->mode == M_NONE)
		return sz_usage(t, "give one of -p, --every and --reservoir");
	if (s->key.keysrc != NULL && s->mode != M_PROB)
		return sz_usage(t, "--key goes with -p only");
	if (s->seeded && s->mode == M_EVERY)
		return sz_usage(t, "--seed goes with -p or --reservoir");
	if (!s->seeded && s->key.keysrc == NULL)
		s->seed = random_seed();
	s->state = s->seed;
	s->all = s->p >= 1;
	s->threshold = s->all ? UINT64_MAX :
	    (uint64_t)(s->p * 18446744073709551616.0);
	if (s->dropped_path != NULL && sz_tool_open(t, &s->dropped,
	    "--dropped", s->dropped_path, 0) != 0)
		return SZ_EXIT_FAIL;
	t->proc = s->mode == M_EVERY ? &every_proc : s->mode == M_RESERVOIR ?
	    &reservoir_proc : s->key.keysrc != NULL ? &key_proc : &prob_proc;
	return s->key.keysrc != NULL ? key_setup(t, s) : -1;
}

static void
sample_done(sz_tool *t)
{
	struct sample *s = t->ud;

	for (uint64_t i = 0; i < s->nslots; i++)
		sz_buf_free(&s->slots[i].rec);
	free(s->slots);
}

static void
sample_init(sz_tool *t)
{
	struct sample *s = t->ud;

	sz_key_init(&s->key);
	t->key = &s->key;
}

static const sz_tool_def sample_def = {
	.init = sample_init,
	.prog = "sz-sample", .usage = usage, .shortopts = "k:p:",
	.longopts = longopts, .jq = 1, .option = sample_option,
	.start = sample_start, .done = sample_done,
};

SZ_TOOL_MAIN(sample_def, struct sample)
