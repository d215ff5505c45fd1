/* SPDX-License-Identifier: MIT */
/*
 * sz-redis info - one JSON line about a stream, from XINFO STREAM FULL:
 * its length, first and last id, and per group its lag, pending count,
 * consumers (pending, idle) and the idle time of its oldest pending entry
 * (XPENDING). For scripts and monitors.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "redis.h"

struct istate {
	sz_buf out;
	int waiting;		/* XPENDING replies to come */
	int ngroups;
	sz_buf g[RD_MAX_STREAMS];	/* each group's JSON, without its last
					   member and '}' */
};

static const char usage[] =
"Usage: sz-redis info -s KEY [-g GROUP] [OPTION]...\n"
"Write one JSON line about the stream KEY and its consumer groups (only\n"
"GROUP with -g): length, first_id, last_id, and per group lag, pending,\n"
"consumers with their pending count and idle time, and the idle time of\n"
"the oldest pending entry (oldest_pending_idle_ms).\n"
"\n"
"  -s, --stream KEY       the stream\n"
"  -g, --group GROUP      only this group\n"
RD_COMMON_HELP;

static const struct option longopts[] = {
	{ "stream", required_argument, NULL, 's' },
	{ "group", required_argument, NULL, 'g' },
	RD_COMMON_LONGOPTS,
	{ NULL, 0, NULL, 0 }
};

/* The value of `name` in a flat [name, value, ...] reply, or NULL. */
static const redisReply *
field(const redisReply *r, const char *name)
{
	if (r == NULL || r->type != REDIS_REPLY_ARRAY)
		return NULL;
	for (size_t i = 0; i + 1 < r->elements; i += 2)
		if (r->element[i]->type == REDIS_REPLY_STRING &&
		    strcmp(r->element[i]->str, name) == 0)
			return r->element[i + 1];
	return NULL;
}

/* A reply as a JSON value: integers as numbers, strings as strings, nil
 * as null. */
static int
add_val(sz_buf *b, const redisReply *v)
{
	if (v == NULL || v->type == REDIS_REPLY_NIL)
		return sz_buf_adds(b, "null");
	if (v->type == REDIS_REPLY_INTEGER)
		return sz_buf_printf(b, "%lld", v->integer);
	if (v->type == REDIS_REPLY_STRING || v->type == REDIS_REPLY_STATUS)
		return sz_buf_add_jstr(b, v->str, (size_t)v->len);
	return sz_buf_adds(b, "null");
}

static void
finish(struct rd *d)
{
	struct istate *s = d->rs;

	for (int i = 0; i < s->ngroups; i++) {
		if (i > 0 && sz_buf_addc(&s->out, ',') < 0)
			goto nomem;
		if (sz_buf_add(&s->out, s->g[i].p, s->g[i].len) < 0)
			goto nomem;
	}
	if (sz_buf_adds(&s->out, "]}\n") < 0 ||
	    sz_source_feed(d->fed, s->out.p, s->out.len) < 0)
		goto nomem;
	sz_source_end(d->fed);
	return;
nomem:
	rd_fail(d, SZ_EXIT_FAIL, "out of memory");
}

static long long
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int
group_json(sz_buf *b, const redisReply *g)
{
	const redisReply *cs = field(g, "consumers"), *name = field(g, "name");
	long long now = now_ms();

	if (sz_buf_adds(b, "{\"name\":") < 0 || add_val(b, name) < 0 ||
	    sz_buf_adds(b, ",\"last_delivered_id\":") < 0 ||
	    add_val(b, field(g, "last-delivered-id")) < 0 ||
	    sz_buf_adds(b, ",\"lag\":") < 0 ||
	    add_val(b, field(g, "lag")) < 0 ||
	    sz_buf_adds(b, ",\"pending\":") < 0 ||
	    add_val(b, field(g, "pel-count")) < 0 ||
	    sz_buf_adds(b, ",\"consumers\":[") < 0)
		return -1;
	for (size_t i = 0; cs && cs->type == REDIS_REPLY_ARRAY &&
	    i < cs->elements; i++) {
		const redisReply *c = cs->element[i], *seen;
		seen = field(c, "seen-time");
		if ((i > 0 && sz_buf_addc(b, ',') < 0) ||
		    sz_buf_adds(b, "{\"name\":") < 0 ||
		    add_val(b, field(c, "name")) < 0 ||
		    sz_buf_adds(b, ",\"pending\":") < 0 ||
		    add_val(b, field(c, "pel-count")) < 0 ||
		    sz_buf_adds(b, ",\"idle_ms\":") < 0)
			return -1;
		if (seen != NULL && seen->type == REDIS_REPLY_INTEGER) {
			long long idle = now - seen->integer;
			if (sz_buf_printf(b, "%lld}", idle < 0 ? 0 : idle) < 0)
				return -1;
		} else if (sz_buf_adds(b, "null}") < 0)
			return -1;
	}
	return sz_buf_adds(b, "]");
}

static void
info_reply(szr_conn *c, redisReply *r, void *tag, void *ud)
{
	struct rd *d = ud;
	struct istate *s = d->rs;
	const redisReply *gs, *es;

	(void)c;
	if (d->gone)
		return;
	if (tag != NULL) {
		/* XPENDING - + 1 of group i: [[id, consumer, idle, n]] */
		sz_buf *b = &s->g[(intptr_t)tag - 1];
		if (sz_buf_adds(b, ",\"oldest_pending_idle_ms\":") < 0)
			goto nomem;
		if (r->type == REDIS_REPLY_ARRAY && r->elements > 0 &&
		    r->element[0]->elements >= 3) {
			if (add_val(b, r->element[0]->element[2]) < 0)
				goto nomem;
		} else if (sz_buf_adds(b, "null") < 0)
			goto nomem;
		if (sz_buf_addc(b, '}') < 0)
			goto nomem;
		if (--s->waiting == 0)
			finish(d);
		return;
	}
	if (r->type == REDIS_REPLY_ERROR) {
		rd_fail(d, rd_is_auth_error(r) ? SZ_EXIT_UNAVAILABLE :
		    SZ_EXIT_FAIL, "XINFO STREAM %s: %s", d->streams[0], r->str);
		return;
	}
	es = field(r, "entries");
	if (sz_buf_adds(&s->out, "{\"stream\":") < 0 ||
	    sz_buf_add_jstr(&s->out, d->streams[0], strlen(d->streams[0])) < 0
	    || sz_buf_adds(&s->out, ",\"length\":") < 0 ||
	    add_val(&s->out, field(r, "length")) < 0 ||
	    sz_buf_adds(&s->out, ",\"first_id\":") < 0 ||
	    add_val(&s->out, es && es->type == REDIS_REPLY_ARRAY &&
	    es->elements > 0 && es->element[0]->elements > 0 ?
	    es->element[0]->element[0] : NULL) < 0 ||
	    sz_buf_adds(&s->out, ",\"last_id\":") < 0 ||
	    add_val(&s->out, field(r, "last-generated-id")) < 0 ||
	    sz_buf_adds(&s->out, ",\"entries_added\":") < 0 ||
	    add_val(&s->out, field(r, "entries-added")) < 0 ||
	    sz_buf_adds(&s->out, ",\"groups\":[") < 0)
		goto nomem;
	gs = field(r, "groups");
	for (size_t i = 0; gs && gs->type == REDIS_REPLY_ARRAY &&
	    i < gs->elements && s->ngroups < RD_MAX_STREAMS; i++) {
		const redisReply *g = gs->element[i], *name = field(g, "name");
		if (name == NULL || name->type != REDIS_REPLY_STRING ||
		    (d->group != NULL && strcmp(name->str, d->group) != 0))
			continue;
		if (group_json(&s->g[s->ngroups], g) < 0)
			goto nomem;
		const char *a[] = { "XPENDING", d->streams[0], name->str,
			"-", "+", "1" };
		size_t len[6];
		for (int k = 0; k < 6; k++)
			len[k] = strlen(a[k]);
		s->ngroups++;
		if (szr_send(d->c, (void *)(intptr_t)s->ngroups, 6, a, len) < 0)
			goto nomem;
		s->waiting++;
	}
	if (d->group != NULL && s->ngroups == 0) {
		rd_fail(d, SZ_EXIT_FAIL, "%s: no group %s", d->streams[0],
		    d->group);
		return;
	}
	if (s->waiting == 0)
		finish(d);
	return;
nomem:
	rd_fail(d, SZ_EXIT_FAIL, "out of memory");
}

static void
info_up(struct rd *d)
{
	static int sent;
	const char *a[] = { "XINFO", "STREAM", d->streams[0], "FULL", "COUNT",
		"1" };
	size_t len[6];

	if (sent++)
		return;
	for (int k = 0; k < 6; k++)
		len[k] = strlen(a[k]);
	if (szr_send(d->c, NULL, 6, a, len) < 0)
		rd_fail(d, SZ_EXIT_FAIL, "out of memory");
}

static int
info_record(sz_tool *t, const sz_rec *r)
{
	return sz_emit(t, r->p, r->n);
}

static const sz_proc info_proc = {
	.record = info_record,
};

static int
info_option(sz_tool *t, int c)
{
	struct rd *d = t->ud;
	int k;

	if ((k = rd_option(t, c)) != 0)
		return k == '?' ? '?' : 0;
	switch (c) {
	case 's':
		if (d->nstreams > 0)
			return sz_opt_fail(&t->o, "-s: info takes one stream");
		d->streams[d->nstreams++] = optarg;
		break;
	case 'g':
		d->group = optarg;
		break;
	}
	return 0;
}

static int
info_start(sz_tool *t)
{
	struct rd *d = t->ud;

	if (d->nstreams == 0)
		return sz_usage(t, "info: missing -s KEY");
	if (sz_tool_operand(t) != NULL)
		return sz_usage(t, "info: takes no FILE operand");
	return rd_start(t, sizeof(struct istate), info_up, info_reply);
}

static void
info_done(sz_tool *t)
{
	struct rd *d = t->ud;
	struct istate *s = d->rs;

	rd_done(t);
	if (s != NULL) {
		sz_buf_free(&s->out);
		for (int i = 0; i < RD_MAX_STREAMS; i++)
			sz_buf_free(&s->g[i]);
	}
	free(s);
}

const sz_tool_def rd_info_def = {
	.prog = "sz-redis", .usage = usage, .shortopts = "s:g:",
	.longopts = longopts, .proc = &info_proc,
	.init = rd_init, .option = info_option, .start = info_start,
	.done = info_done,
};
