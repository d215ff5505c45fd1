/* SPDX-License-Identifier: MIT */
/* key.c - the key part of keyed tools: options, keys, event times; see
 * key.h. */
#include <stdio.h>
#include <string.h>

#include "json/etime.h"
#include "json/json.h"
#include "run/key.h"

/* The option that names the key in messages. */
#define KEYOPT(k) ((k)->keyopt != NULL ? (k)->keyopt : "--key")
#define TIMEOPT(k) ((k)->timeopt != NULL ? (k)->timeopt : "--time")

void
sz_key_init(sz_key *k)
{
	memset(k, 0, sizeof(*k));
	k->max_keys = SZ_KEY_MAX_KEYS;
	k->fast = 1;
}

int
sz_key_opt(sz_key *k, sz_opts *o, int c)
{
	switch (c) {
	case SZ_OPT_KEY:
		k->keysrc = optarg;
		break;
	case SZ_OPT_TIME:
		k->timesrc = optarg;
		break;
	case SZ_OPT_MAXKEYS:
		k->max_keys_set = 1;
		if (sz_opt_count(o, "--max-keys", 1, SZ_KEY_MAX_KEYS_BOUND,
		    &k->max_keys) != 0)
			return '?';
		break;
	case SZ_OPT_NOFAST:
		k->fast = 0;
		break;
	default:
		return 0;
	}
	return 1;
}

/* Compile one program of the key part (with t->vars); 0, or the usage
 * status. */
static int
compile(sz_tool *t, sz_expr *e, int *have, const char *opt,
    const char *src, int fast)
{
	int rc;

	if (src == NULL)
		return 0;
	if ((rc = sz_tool_compile(t, e, src, fast, opt)) >= 0)
		return rc;
	*have = 1;
	return 0;
}

int
sz_key_compile(sz_key *k, sz_tool *t)
{
	int rc;

	if ((rc = compile(t, &k->key, &k->have_key, KEYOPT(k), k->keysrc,
	    k->fast)) != 0)
		return rc;
	return compile(t, &k->time, &k->have_time, TIMEOPT(k), k->timesrc,
	    k->fast);
}

void
sz_key_free(sz_key *k)
{
	/* Zeroed, compiled, or left by a failed compile: all free. */
	sz_expr_free(&k->key);
	sz_expr_free(&k->time);
	memset(&k->key, 0, sizeof(k->key));
	memset(&k->time, 0, sizeof(k->time));
	k->have_key = k->have_time = 0;
	sz_buf_free(&k->kb);
	sz_buf_free(&k->tb);
}

/* What an expression's answer means for a key. */
static int
key_answer(int k)
{
	switch (k) {
	case SZ_EXPR_ERROR:
		return SZ_KEY_JQ;
	case SZ_EXPR_EMPTY:
		return SZ_KEY_NONE;
	}
	return SZ_KEY_OK;
}

int
sz_key_eval(sz_key *k, const sz_rec *r)
{
	sz_buf_reset(&k->kb);
	if (!k->have_key)
		return sz_json_canon(r->p, r->n, &k->kb) < 0 ?
		    SZ_KEY_NOMEM : SZ_KEY_OK;
	return key_answer(sz_expr_key(&k->key, r, &k->kb));
}

int
sz_key_value(sz_key *k, const sz_rec *r)
{
	sz_buf_reset(&k->kb);
	if (!k->have_key)
		return sz_json_compact(r->p, r->n, &k->kb) < 0 ?
		    SZ_KEY_NOMEM : SZ_KEY_OK;
	return key_answer(sz_expr_value(&k->key, r, &k->kb));
}

/* A time that cannot be read: its message into k->tb (reason NULL: no
 * value at all). */
static int
bad_time(sz_key *k, const char *reason, const char *text)
{
	int rc;

	sz_buf_reset(&k->tb);
	if (reason == NULL)
		rc = sz_buf_printf(&k->tb, "%s yields no value", TIMEOPT(k));
	else
		rc = sz_buf_printf(&k->tb, "%s: %s: %s", TIMEOPT(k), reason,
		    text);
	return rc < 0 ? SZ_KEY_NOMEM : SZ_KEY_TIME_BAD;
}

int
sz_key_time(sz_key *k, const sz_rec *r, int64_t *ns)
{
	const char *reason;
	char text[128];

	if (!k->have_time) {
		*ns = (int64_t)sz_now();
		return SZ_KEY_OK;
	}
	sz_buf_reset(&k->tb);
	switch (sz_expr_value(&k->time, r, &k->tb)) {
	case SZ_EXPR_ERROR:
		return SZ_KEY_TIME_JQ;
	case SZ_EXPR_EMPTY:
		return bad_time(k, NULL, NULL);
	}
	if (sz_etime_parse(k->tb.p, k->tb.len, ns, &reason) == 0)
		return SZ_KEY_OK;
	/* The value, cut short: it may be a record's worth of text. */
	snprintf(text, sizeof(text), "%.64s", k->tb.p);
	return bad_time(k, reason, text);
}

int
sz_key_bad(sz_key *k, sz_tool *t, const sz_rec *r, int what)
{
	switch (what) {
	case SZ_KEY_OK:
		return 0;
	case SZ_KEY_JQ:
		return sz_expr_bad(t, r, &k->key, KEYOPT(k));
	case SZ_KEY_NONE:
		return sz_bad(t, r, "key", 1, "%s yields no value", KEYOPT(k));
	case SZ_KEY_TIME_JQ:
		return sz_expr_bad(t, r, &k->time, TIMEOPT(k));
	case SZ_KEY_TIME_BAD:
		return sz_bad(t, r, "time", 1, "%s", k->tb.p);
	}
	return sz_fail(t, SZ_EXIT_FAIL, "out of memory");
}

int
sz_key_get(sz_key *k, sz_tool *t, const sz_rec *r)
{
	int what = sz_key_eval(k, r);

	if (what == SZ_KEY_OK)
		return 1;
	return sz_key_bad(k, t, r, what);
}
