/* SPDX-License-Identifier: MIT */
/*
 * redis.h - the parts of sz-redis: one state for the four subcommands
 * (add, read, ack, info), the options they share (--url,
 * --connect-timeout, --retry-for) and the helpers they share: the
 * connection's set-up and its failures, the "_redis" envelope, decoding
 * a JSON string member.
 */
#ifndef SZ_REDIS_TOOL_H
#define SZ_REDIS_TOOL_H

#include <stdint.h>

#include "connect/redis.h"
#include "run/key.h"
#include "run/tool.h"

#define RD_MAX_STREAMS 64

struct rd {
	sz_tool *t;
	/* shared */
	const char *url;
	szr_url u;
	uint64_t connect_timeout, retry_for;
	szr_conn *c;
	void (*up)(struct rd *d);	/* the subcommand's SZR_UP */
	int gone;			/* a failure ended the run */
	int ending;			/* end() came; finish when idle */
	sz_source *fed;			/* read, info: the records' source */
	sz_buf b, b2, scratch;
	/* add */
	const char *streams[RD_MAX_STREAMS];
	int nstreams;
	sz_key kx, idx;			/* --key-expr, --id */
	int have_kx, have_idx;
	const char *field;
	const char *trim_kind;		/* "MAXLEN", "MINID" or NULL */
	const char *trim_val;		/* without its '~' */
	int trim_approx;
	int nomkstream;
	uint64_t pipeline;
	int echo;
	/* read, ack, info */
	const char *group, *consumer;
	char host[256];
	const char *start;
	uint64_t count, block, max_inflight, claim_every, claim_idle;
	uint64_t max_deliveries;
	const char *dead_stream;
	int strict, noack, drain;
	const char *meta;		/* "_redis", or "" for none */
	/* the read state (read.c) */
	void *rs;
	/* stats */
	uint64_t added, duplicates, nread, redelivered, claimed, trimmed;
	uint64_t dead, acked, not_pending, group_recreated, pending_max;
};

/* Option codes shared by the subcommands. */
enum {
	RD_OPT_URL = SZ_OPT_TOOL, RD_OPT_CTIMEOUT, RD_OPT_RETRY,
	RD_OPT_KEYEXPR, RD_OPT_FIELD, RD_OPT_MAXLEN, RD_OPT_MINID,
	RD_OPT_NOMK, RD_OPT_ID, RD_OPT_PIPELINE, RD_OPT_ECHO, RD_OPT_START,
	RD_OPT_COUNT, RD_OPT_BLOCK, RD_OPT_INFLIGHT, RD_OPT_CLAIM_EVERY,
	RD_OPT_CLAIM_IDLE, RD_OPT_MAXDEL, RD_OPT_DEAD, RD_OPT_STRICT,
	RD_OPT_NOACK, RD_OPT_META, RD_OPT_DRAIN
};

#define RD_COMMON_LONGOPTS \
	{ "url", required_argument, NULL, RD_OPT_URL }, \
	{ "connect-timeout", required_argument, NULL, RD_OPT_CTIMEOUT }, \
	{ "retry-for", required_argument, NULL, RD_OPT_RETRY }
#define RD_COMMON_HELP \
"      --url URL          redis://[USER:PASS@]HOST[:PORT][/DB] or\n" \
"                         unix:///PATH (default $SZ_REDIS_URL, else\n" \
"                         redis://127.0.0.1:6379/0)\n" \
"      --connect-timeout DURATION  give up a connection attempt after\n" \
"                         DURATION (default 5s)\n" \
"      --retry-for DURATION  how long Redis may be unreachable during the\n" \
"                         run before exit 75 (default 5m; 0: for ever)\n"

extern const sz_tool_def rd_add_def, rd_read_def, rd_ack_def, rd_info_def;

/* Defaults of the shared options (init) and their cases (option):
 * 1 taken, 0 not a shared option, '?' a bad value. */
void rd_init(sz_tool *t);
int rd_option(sz_tool *t, int c);
/* Parse --url and make the connection (started at once); 0 or an exit
 * status after the message. */
int rd_connect(sz_tool *t, szr_reply_fn on_reply);
/* The tail of read's and info's start: size bytes of zeroed state in
 * d->rs, up as the SZR_UP step, the connection (rd_connect) and the
 * source the records are fed into. -1 to run, or an exit status after
 * the message. */
int rd_start(sz_tool *t, size_t size, void (*up)(struct rd *d),
    szr_reply_fn on_reply);
/* Free the shared parts. */
void rd_done(sz_tool *t);
/* End the run now with status and message (Redis failed). */
void rd_fail(struct rd *d, int status, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* The string member `name` of the object p[0..n), decoded (into
 * scratch when needed): its bytes, or NULL when missing or not a
 * string. */
const char *rd_member_str(const char *p, size_t n, const char *name,
    sz_buf *scratch, size_t *len);
/* Is the reply an error that says AUTH is needed or refused? */
int rd_is_auth_error(const redisReply *r);

#endif
