/* SPDX-License-Identifier: MIT */
/*
 * sz-dedupe - pass the first record of each key, byte for byte, and drop
 * the later ones with an equal key, for ever or until a TTL has passed
 * since the key last passed (streamz Dedupe).
 *
 * Keys are the canonical text of a JSON value (json.h), so equal values
 * are equal keys whatever their spelling. The set of keys is a keymap
 * bounded by --max-keys; its recency order is the order in which keys
 * last passed, so at the bound the key that passed least recently goes.
 *
 * The lookup of a record's key is a cache miss in a large set; so that it
 * overlaps with other work, a record is decided one record late: its key
 * is hashed and its part of the table fetched, then the previous record
 * is decided; the last one is decided when the input is idle or ends.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/keymap.h"
#include "run/key.h"
#include "run/tool.h"

struct dedupe {
	sz_key k;		/* --key, --time, --max-keys, --no-fast */
	uint64_t ttl;		/* ns; --ttl */
	int have_ttl;
	sz_keymap *m;		/* canonical key -> last pass time (int64) */
	/* The record waiting for its lookup (see dedupe_record). */
	int pending;
	sz_buf pk;		/* its key */
	sz_buf pr;		/* its bytes */
	int64_t pnow;		/* its time */
	sz_out dropped;		/* --dropped=FILE (--dupes=FILE) */
	const char *dropped_path;
	uint64_t expired;	/* keys forgotten after their TTL */
};

static const char usage[] =
"Usage: sz-dedupe [OPTION]... [FILE]...\n"
"Write each NDJSON record whose key has not passed before (or not within\n"
"the TTL), unchanged; drop the others. Without --key the key is the whole\n"
"record. Keys are equal when they are the same JSON value.\n"
"\n"
SZ_KEY_HELP
"      --ttl DURATION     a key passes again DURATION after it last passed\n"
SZ_KEY_TIME_HELP
"                         (for the TTL, instead of the clock)\n"
SZ_KEY_MAXKEYS_HELP
"                         (least recent: that passed least recently)\n"
"      --dropped=FILE     write the dropped duplicates to FILE\n"
"      --dupes=FILE       the same as --dropped (its old name)\n"
SZ_KEY_NOFAST_HELP
SZ_JQ_HELP_F_KEY SZ_JQ_HELP_VARS;

enum { OPT_TTL = SZ_OPT_TOOL, OPT_DROPPED };

static const struct option longopts[] = {
	SZ_KEY_LONGOPTS,
	SZ_KEY_TIME_LONGOPT,
	SZ_KEY_MAXKEYS_LONGOPT,
	{ "ttl", required_argument, NULL, OPT_TTL },
	{ "dropped", required_argument, NULL, OPT_DROPPED },
	{ "dupes", required_argument, NULL, OPT_DROPPED },
	SZ_JQ_LONGOPTS,
	{ NULL, 0, NULL, 0 }
};

/* Forget the keys whose TTL ran out on the monotonic clock: the list is
 * in pass order, and pass times only grow, so they are at its head. */
static void
expire(struct dedupe *d, int64_t now)
{
	int64_t *v;

	while ((v = sz_keymap_oldest(d->m)) != NULL &&
	    (uint64_t)(now - *v) >= d->ttl) {
		sz_keymap_del(d->m, v);
		d->expired++;
	}
}

/* Decide the pending record: pass it or drop it. */
static int
decide(sz_tool *t, struct dedupe *d)
{
	int64_t now = d->pnow, *last;
	int created;

	if (!d->pending)
		return 0;
	d->pending = 0;
	if (d->have_ttl && !d->k.have_time)
		expire(d, now);
	last = sz_keymap_put(d->m, d->pk.p, d->pk.len, &created);
	if (last == NULL)
		return sz_fail(t, SZ_EXIT_FAIL, "out of memory");
	if (!created) {
		/* Passes again when time - last pass >= TTL; an event time
		 * older than the last pass is a duplicate. */
		if (!d->have_ttl || now < *last ||
		    (uint64_t)now - (uint64_t)*last < d->ttl) {
			return sz_drop(t, &d->dropped, d->pr.p, d->pr.len);
		}
		sz_keymap_touch(d->m, last);
	}
	*last = now;
	return sz_emit(t, d->pr.p, d->pr.len);
}

static int
dedupe_record(sz_tool *t, const sz_rec *r)
{
	struct dedupe *d = t->ud;
	int64_t now = 0;
	sz_buf tmp;
	int what;

	what = sz_key_eval(&d->k, r);
	if (what == SZ_KEY_OK && (d->have_ttl || d->k.have_time))
		what = sz_key_time(&d->k, r, &now);
	if (what != SZ_KEY_OK) {
		/* The pending record goes first, even when this one stops
		 * the tool. */
		if (decide(t, d) < 0)
			return -1;
		return sz_key_bad(&d->k, t, r, what);
	}
	sz_keymap_prefetch(d->m, d->k.kb.p, d->k.kb.len);
	if (decide(t, d) < 0)
		return -1;
	/* This record waits for its lookup. */
	tmp = d->pk;
	d->pk = d->k.kb;
	d->k.kb = tmp;
	sz_buf_reset(&d->pr);
	if (sz_buf_add(&d->pr, r->p, r->n) < 0)
		return sz_fail(t, SZ_EXIT_FAIL, "out of memory");
	d->pnow = now;
	d->pending = 1;
	return 0;
}

static void
dedupe_idle(sz_tool *t)
{
	decide(t, t->ud);
}

static int
dedupe_end(sz_tool *t)
{
	return decide(t, t->ud) < 0 ? -1 : 0;
}

static void
dedupe_stats(sz_tool *t, sz_statv *v)
{
	struct dedupe *d = t->ud;

	sz_stat_counter(v, "evicted", sz_keymap_evicted(d->m));
	sz_stat_counter(v, "expired", d->expired);
	sz_stat_gauge(v, "keys", sz_keymap_count(d->m));
	sz_stat_gauge(v, "key_bytes", sz_keymap_bytes(d->m));
}

static const sz_proc dedupe_proc = {
	.record = dedupe_record,
	.end = dedupe_end,
	.idle = dedupe_idle,
	.stats = dedupe_stats,
};

static int
dedupe_option(sz_tool *t, int c)
{
	struct dedupe *d = t->ud;
	switch (c) {
	case OPT_TTL:
		d->have_ttl = 1;
		return sz_opt_duration(&t->o, "--ttl", &d->ttl);
	case OPT_DROPPED:
		d->dropped_path = optarg;
		break;
	}
	return 0;
}

static int
dedupe_start(sz_tool *t)
{
	struct dedupe *d = t->ud;
	int rc;

	if ((rc = sz_key_compile(&d->k, t)) != 0)
		return rc;
	if ((d->m = sz_keymap_new(d->k.max_keys, sizeof(int64_t), NULL,
	    NULL)) == NULL) {
		sz_msg(t, "error", NULL, 0, "out of memory");
		return SZ_EXIT_FAIL;
	}
	if (d->dropped_path != NULL && sz_tool_open(t, &d->dropped,
	    "--dropped", d->dropped_path, 0) != 0)
		return SZ_EXIT_FAIL;
	return -1;
}

static void
dedupe_done(sz_tool *t)
{
	struct dedupe *d = t->ud;

	sz_keymap_free(d->m);
	sz_buf_free(&d->pk);
	sz_buf_free(&d->pr);
}

static void
dedupe_init(sz_tool *t)
{
	struct dedupe *d = t->ud;

	sz_key_init(&d->k);
	t->key = &d->k;
}

static const sz_tool_def dedupe_def = {
	.init = dedupe_init,
	.prog = "sz-dedupe", .usage = usage, .shortopts = "k:",
	.longopts = longopts, .jq = 1, .proc = &dedupe_proc,
	.option = dedupe_option, .start = dedupe_start, .done = dedupe_done,
};

SZ_TOOL_MAIN(dedupe_def, struct dedupe)
