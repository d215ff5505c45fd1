/* SPDX-License-Identifier: MIT */
/*
 * sz-redis - Redis Streams from the shell: add records to a stream, read
 * them in a consumer group (each record once per group, again after a
 * crash), acknowledge those a sink committed, and describe a stream.
 * This file chooses the subcommand and holds what they share (redis.h).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json/json.h"
#include "json/str.h"
#include "redis.h"

static const char usage[] =
"Usage: sz-redis add|read|ack|info [OPTION]... [FILE]...\n"
"Redis Streams for NDJSON records:\n"
"  add   -s KEY       add each record to the stream KEY (XADD)\n"
"  read  -s KEY -g G  read the streams in the consumer group G, each record\n"
"                     with \"_redis\":{\"stream\",\"id\",\"deliveries\"} first\n"
"  ack   -g G         acknowledge the records read (their _redis.id)\n"
"  info  -s KEY       one JSON line on the stream and its groups\n"
"Run 'sz-redis SUBCOMMAND --help' for a subcommand's options.\n"
"\n"
RD_COMMON_HELP;

static const struct option longopts[] = {
	RD_COMMON_LONGOPTS,
	{ NULL, 0, NULL, 0 }
};

/* sz-redis without a subcommand: --help, --version, usage errors. */
static int
top_start(sz_tool *t)
{
	const char *w = sz_tool_operand(t);

	if (w == NULL)
		return sz_usage(t, "missing subcommand (add, read, ack or info)");
	return sz_usage(t, "unknown subcommand '%s' (add, read, ack or info)",
	    w);
}

static const sz_tool_def top_def = {
	.prog = "sz-redis", .usage = usage, .shortopts = "",
	.longopts = longopts, .init = rd_init, .option = rd_option,
	.start = top_start,
};

int
main(int argc, char **argv)
{
	static struct rd d;
	const sz_tool_def *def = &top_def;

	if (argc > 1) {
		if (strcmp(argv[1], "add") == 0)
			def = &rd_add_def;
		else if (strcmp(argv[1], "read") == 0)
			def = &rd_read_def;
		else if (strcmp(argv[1], "ack") == 0)
			def = &rd_ack_def;
		else if (strcmp(argv[1], "info") == 0)
			def = &rd_info_def;
	}
	if (def != &top_def) {
		argv[1] = argv[0];
		return sz_tool_main(def, &d, sizeof(d), argc - 1, argv + 1);
	}
	return sz_tool_main(def, &d, sizeof(d), argc, argv);
}

/* ---- shared ---------------------------------------------------------- */

void
rd_init(sz_tool *t)
{
	struct rd *d = t->ud;

	d->t = t;
	d->url = getenv("SZ_REDIS_URL");
	if (d->url == NULL || d->url[0] == '\0')
		d->url = "redis://127.0.0.1:6379/0";
	d->connect_timeout = 5000000000ULL;
	d->retry_for = 300000000000ULL;
	d->field = "data";
	d->pipeline = 256;
	d->count = 500;
	d->block = 1000000000ULL;
	d->max_inflight = 10000;
	d->claim_every = 10000000000ULL;
	d->claim_idle = 60000000000ULL;
	d->max_deliveries = 5;
	d->meta = "_redis";
	sz_key_init(&d->kx);
	sz_key_init(&d->idx);
}

int
rd_option(sz_tool *t, int c)
{
	struct rd *d = t->ud;

	switch (c) {
	case RD_OPT_URL:
		d->url = optarg;
		return 1;
	case RD_OPT_CTIMEOUT:
		return sz_opt_duration_pos(&t->o, "--connect-timeout",
		    &d->connect_timeout) ? '?' : 1;
	case RD_OPT_RETRY:
		return sz_opt_duration(&t->o, "--retry-for", &d->retry_for) ?
		    '?' : 1;
	}
	return 0;
}

void
rd_fail(struct rd *d, int status, const char *fmt, ...)
{
	char text[1024];
	va_list ap;

	if (d->gone)
		return;
	d->gone = 1;
	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	sz_fail(d->t, status, "%s", text);
	sz_tool_finish(d->t);
}

static void
on_state(szr_conn *c, int ev, const char *msg, void *ud)
{
	struct rd *d = ud;

	(void)c;
	switch (ev) {
	case SZR_UP:
		if (d->up != NULL)
			d->up(d);
		break;
	case SZR_DOWN:
		sz_msg(d->t, "warning", NULL, 0, "lost Redis (%s): "
		    "reconnecting", msg);
		break;
	case SZR_FAIL_START:
		rd_fail(d, SZ_EXIT_UNAVAILABLE, "cannot connect to Redis: %s",
		    msg);
		break;
	case SZR_FAIL_AUTH:
		rd_fail(d, SZ_EXIT_UNAVAILABLE, "Redis refused the connection:"
		    " %s", msg);
		break;
	case SZR_FAIL_OUTAGE:
		rd_fail(d, SZ_EXIT_TEMP, "Redis unreachable for longer than "
		    "--retry-for: %s", msg);
		break;
	}
}

static void
start_timer(sz_loop *l, void *ud)
{
	struct rd *d = ud;

	(void)l;
	szr_start(d->c);
}

int
rd_connect(sz_tool *t, szr_reply_fn on_reply)
{
	struct rd *d = t->ud;
	char err[512];

	if (szr_url_parse(d->url, &d->u, err, sizeof(err)) < 0)
		return sz_usage(t, "--url: %s", err);
	d->c = szr_new(&t->loop, &d->u, d->connect_timeout, d->retry_for,
	    on_reply, on_state, d);
	if (d->c == NULL ||
	    sz_loop_timer(&t->loop, sz_now(), start_timer, d) == 0) {
		sz_msg(t, "error", NULL, 0, "out of memory");
		return SZ_EXIT_FAIL;
	}
	return -1;
}

int
rd_start(sz_tool *t, size_t size, void (*up)(struct rd *d),
    szr_reply_fn on_reply)
{
	struct rd *d = t->ud;
	int rc;

	if ((d->rs = calloc(1, size)) == NULL) {
		sz_msg(t, "error", NULL, 0, "out of memory");
		return SZ_EXIT_FAIL;
	}
	d->up = up;
	if ((rc = rd_connect(t, on_reply)) >= 0)
		return rc;
	if ((d->fed = sz_source_fed(&t->src, "redis")) == NULL) {
		sz_msg(t, "error", NULL, 0, "out of memory");
		return SZ_EXIT_FAIL;
	}
	return -1;
}

void
rd_done(sz_tool *t)
{
	struct rd *d = t->ud;

	szr_free(d->c);
	d->c = NULL;
	sz_key_free(&d->kx);
	sz_key_free(&d->idx);
	sz_buf_free(&d->b);
	sz_buf_free(&d->b2);
	sz_buf_free(&d->scratch);
}

int
rd_is_auth_error(const redisReply *r)
{
	return r->type == REDIS_REPLY_ERROR && (strncmp(r->str, "NOAUTH", 6)
	    == 0 || strncmp(r->str, "WRONGPASS", 9) == 0 ||
	    strncmp(r->str, "NOPERM", 6) == 0);
}

const char *
rd_member_str(const char *p, size_t n, const char *name, sz_buf *scratch,
    size_t *len)
{
	sz_step st = { SZ_STEP_KEY, name, strlen(name), 0 };
	const char *v;
	size_t vn;
	sz_jtype et;

	if (sz_json_get(p, n, &st, &v, &vn, &et) != SZ_GET_FOUND ||
	    vn < 2 || v[0] != '"')
		return NULL;
	return sz_jstr_decode(v, vn, scratch, len);
}
