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

#include "json/etime.h"
#include "jq/expr.h"
#include "core/keymap.h"
#include "run/tool.h"

#define DEFAULT_MAX_KEYS 1000000

struct dedupe {
	sz_expr key;		/* --key */
	int have_key;
	sz_expr time;		/* --time */
	int have_time;
	uint64_t ttl;		/* ns; --ttl */
	int have_ttl;
	sz_keymap *m;		/* canonical key -> last pass time (int64) */
	sz_buf kb;		/* the current key */
	sz_buf tb;		/* the current time's JSON text */
	/* The record waiting for its lookup (see dedupe_record). */
	int pending;
	sz_buf pk;		/* its key */
	sz_buf pr;		/* its bytes */
	int64_t pnow;		/* its time */
	sz_out dupes;		/* --dupes=FILE */
	uint64_t expired;	/* keys forgotten after their TTL */
};

static const char usage[] =
"Usage: sz-dedupe [OPTION]... [FILE]...\n"
"Write each NDJSON record whose key has not passed before (or not within\n"
"the TTL), unchanged; drop the others. Without --key the key is the whole\n"
"record. Keys are equal when they are the same JSON value.\n"
"\n"
"      --key EXPR         the key: a jq expression (e.g. .id, [.a,.b])\n"
"      --ttl DURATION     a key passes again DURATION after it last passed\n"
"      --time EXPR        measure the TTL in event time read by EXPR (an\n"
"                         RFC 3339 string, epoch seconds or milliseconds)\n"
"      --max-keys N       remember at most N keys (default 1000000); at the\n"
"                         bound the key that passed least recently is\n"
"                         forgotten\n"
"      --dupes=FILE       write the dropped duplicates to FILE\n"
"      --no-fast          always evaluate expressions with libjq\n"
SZ_JQ_HELP;

enum { OPT_KEY = SZ_OPT_TOOL, OPT_TTL, OPT_TIME, OPT_MAXKEYS, OPT_DUPES,
	OPT_NOFAST };

static const struct option longopts[] = {
	{ "key", required_argument, NULL, OPT_KEY },
	{ "ttl", required_argument, NULL, OPT_TTL },
	{ "time", required_argument, NULL, OPT_TIME },
	{ "max-keys", required_argument, NULL, OPT_MAXKEYS },
	{ "dupes", required_argument, NULL, OPT_DUPES },
	{ "no-fast", no_argument, NULL, OPT_NOFAST },
	SZ_JQ_LONGOPTS,
	{ NULL, 0, NULL, 0 }
};

/* The record's time (event or monotonic clock) in ns; -1 on bad input,
 * with the kind and message in *kind and d->tb. */
static int
record_time(struct dedupe *d, const sz_rec *r, int64_t *now,
    const char **kind)
{
	const char *reason;
	int k;

	if (!d->have_time) {
		*now = d->have_ttl ? (int64_t)sz_now() : 0;
		return 0;
	}
	sz_buf_reset(&d->tb);
	k = sz_expr_value(&d->time, r, &d->tb);
	if (k == SZ_EXPR_ERROR && d->time.jq.halted) {
		*kind = NULL;	/* the caller stops the tool */
		return -1;
	}
	if (k == SZ_EXPR_ERROR) {
		*kind = "jq";
		sz_buf_reset(&d->tb);
		sz_buf_printf(&d->tb, "--time: %s", d->time.err.p);
		return -1;
	}
	if (k == SZ_EXPR_EMPTY) {
		*kind = "time";
		sz_buf_reset(&d->tb);
		sz_buf_adds(&d->tb, "--time yields no value");
		return -1;
	}
	if (sz_etime_parse(d->tb.p, d->tb.len, now, &reason) < 0) {
		char text[128];

		snprintf(text, sizeof(text), "%.64s", d->tb.p);
		*kind = "time";
		sz_buf_reset(&d->tb);
		sz_buf_printf(&d->tb, "--time: %s: %s", reason, text);
		return -1;
	}
	return 0;
}

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
	if (d->have_ttl && !d->have_time)
		expire(d, now);
	last = sz_keymap_put(d->m, d->pk.p, d->pk.len, &created);
	if (last == NULL)
		return sz_fail(t, SZ_EXIT_FAIL, "out of memory");
	if (!created) {
		/* Passes again when time - last pass >= TTL; an event time
		 * older than the last pass is a duplicate. */
		if (!d->have_ttl || now < *last ||
		    (uint64_t)now - (uint64_t)*last < d->ttl) {
			return sz_drop(t, &d->dupes, d->pr.p, d->pr.len);
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
	const char *kind;
	int64_t now;
	sz_buf tmp;
	int k;

	sz_buf_reset(&d->kb);
	if (d->have_key) {
		k = sz_expr_key(&d->key, r, &d->kb);
		if (k == SZ_EXPR_ERROR) {
			if (decide(t, d) < 0)
				return -1;
			return sz_expr_bad(t, r, &d->key, "--key");
		}
		if (k == SZ_EXPR_EMPTY) {
			if (decide(t, d) < 0)
				return -1;
			return sz_bad(t, r, "key", 1, "--key yields no value");
		}
	} else if (sz_json_canon(r->p, r->n, &d->kb) < 0)
		return sz_fail(t, SZ_EXIT_FAIL, "out of memory");
	if (record_time(d, r, &now, &kind) < 0) {
		if (decide(t, d) < 0)
			return -1;
		if (kind == NULL)
			return sz_expr_bad(t, r, &d->time, "--time");
		return sz_bad(t, r, kind, 1, "%s", d->tb.p);
	}
	sz_keymap_prefetch(d->m, d->kb.p, d->kb.len);
	if (decide(t, d) < 0)
		return -1;
	/* This record waits for its lookup. */
	tmp = d->pk;
	d->pk = d->kb;
	d->kb = tmp;
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

/* Compile an expression option; 0, or the usage status. */
static int
compile(sz_tool *t, sz_expr *e, const char *opt, const char *src,
    const sz_jqvars *vars, int fast)
{
	sz_buf err = SZ_BUF_INIT;
	int rc = 0;

	if (sz_expr_compile(e, src, vars, fast, &err) < 0)
		rc = sz_usage(t, "%s: cannot compile EXPR '%s':\n%s", opt, src,
		    err.p);
	sz_buf_free(&err);
	return rc;
}

int
main(int argc, char **argv)
{
	struct dedupe d;
	sz_tool t;
	sz_jqvars vars;
	const char *key = NULL, *time = NULL, *dupes = NULL;
	uint64_t max_keys = DEFAULT_MAX_KEYS;
	int c, fast = 1, rc;

	memset(&d, 0, sizeof(d));
	sz_tool_init(&t, "sz-dedupe");
	sz_jqvars_init(&vars);
	while ((c = sz_jq_getopt(&t.o, &vars, argc, argv, "",
	    longopts)) != -1 && c != '?') {
		switch (c) {
		case OPT_KEY:
			key = optarg;
			break;
		case OPT_TTL:
			if (sz_parse_duration("--ttl", optarg, &d.ttl, t.o.err,
			    sizeof(t.o.err)) < 0)
				c = '?';
			d.have_ttl = 1;
			break;
		case OPT_TIME:
			time = optarg;
			break;
		case OPT_MAXKEYS:
			if (sz_parse_count("--max-keys", optarg, 1,
			    3000000000u, &max_keys, t.o.err,
			    sizeof(t.o.err)) < 0)
				c = '?';
			break;
		case OPT_DUPES:
			dupes = optarg;
			break;
		case OPT_NOFAST:
			fast = 0;
			break;
		}
		if (c == '?')
			break;
	}
	if ((rc = sz_tool_options_done(&t, c, usage)) >= 0)
		goto out;
	if (key != NULL) {
		if ((rc = compile(&t, &d.key, "--key", key, &vars, fast)) != 0)
			goto out;
		d.have_key = 1;
	}
	if (time != NULL) {
		if ((rc = compile(&t, &d.time, "--time", time, &vars, fast)) != 0)
			goto out;
		d.have_time = 1;
	}
	if ((d.m = sz_keymap_new(max_keys, sizeof(int64_t), NULL, NULL)) ==
	    NULL) {
		sz_msg(&t, "error", NULL, 0, "out of memory");
		rc = SZ_EXIT_FAIL;
		goto out;
	}
	if (dupes != NULL) {
		if ((rc = sz_tool_open(&t, &d.dupes, "--dupes", dupes, 0)) != 0)
			goto out;
	}
	rc = sz_tool_run(&t, &dedupe_proc, &d, argc - optind, argv + optind);
out:
	sz_expr_free(&d.key);	/* zeroed when never compiled */
	sz_expr_free(&d.time);
	sz_keymap_free(d.m);
	sz_buf_free(&d.kb);
	sz_buf_free(&d.tb);
	sz_buf_free(&d.pk);
	sz_buf_free(&d.pr);
	sz_jqvars_free(&vars);
	return rc;
}
