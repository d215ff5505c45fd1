/* SPDX-License-Identifier: MIT */
/*
 * redis.h - a Redis connection driven by libsz's poll loop (io/loop.h):
 * hiredis's async API on the loop's descriptors and timers, so that no
 * call ever blocks the loop.
 *
 * Every command is kept until its reply came: when the connection is lost
 * (the server went away, or answered LOADING, BUSY, TRYAGAIN or
 * MASTERDOWN: a server that is restarting) the connection is made again
 * with a growing backoff and every command not yet answered is sent
 * again, in order. A command may be a group of several (MULTI ... EXEC),
 * sent again whole; its owner sees only the last reply. An outage longer
 * than the retry bound, a server that cannot be reached at the start and
 * a refused AUTH are reported to the owner, who decides (nothing here
 * prints or exits).
 */
#ifndef SZ_CONN_REDIS_H
#define SZ_CONN_REDIS_H

#include <stddef.h>
#include <stdint.h>

#include <hiredis/hiredis.h>

#include "core/buf.h"
#include "io/loop.h"

/* Where to connect: redis://[user:pass@]host[:port][/db] or
 * unix:///path[?db=N]. */
typedef struct szr_url {
	char host[256];
	int port;
	char path[256];		/* unix socket, or "" */
	char user[128], pass[256];	/* "" when not given */
	int db;
} szr_url;

/* Parse `s` into *u: 0, or -1 with a message in err. */
int szr_url_parse(const char *s, szr_url *u, char *err, size_t errsize);

/* What the connection tells its owner (szr_state_fn). */
enum {
	SZR_UP,			/* connected (again) */
	SZR_DOWN,		/* lost; being made again (msg says why) */
	SZR_FAIL_START,		/* not reachable at the start */
	SZR_FAIL_AUTH,		/* AUTH or SELECT refused */
	SZR_FAIL_OUTAGE		/* down for longer than the retry bound */
};

typedef struct szr_conn szr_conn;
typedef struct szr_cmd szr_cmd;
/* The reply to a command (valid during the call only); tag is the
 * command's. Never called with a reply of a connection that was lost. */
typedef void (*szr_reply_fn)(szr_conn *c, redisReply *r, void *tag,
    void *ud);
typedef void (*szr_state_fn)(szr_conn *c, int ev, const char *msg,
    void *ud);

/* A connection (not yet started). retry_for 0: retry for ever. */
szr_conn *szr_new(sz_loop *loop, const szr_url *u, uint64_t connect_timeout,
    uint64_t retry_for, szr_reply_fn on_reply, szr_state_fn on_state,
    void *ud);
/* Connect (asynchronously). 0, or -1 when out of memory. */
int szr_start(szr_conn *c);
/* Close and free; no callback runs after it. The tags of commands not
 * answered are passed to the function szr_tag_free set, if any. */
void szr_free(szr_conn *c);
void szr_tag_free(szr_conn *c, void (*fn)(void *tag));

/* A command of argc words; sent now when connected, else when the
 * connection is back. 0, or -1 when out of memory. */
int szr_send(szr_conn *c, void *tag, int argc, const char **argv,
    const size_t *argvlen);
/* A group of commands sent and resent whole (MULTI ... EXEC): begin,
 * add each command, send. The owner gets the last reply. */
szr_cmd *szr_group(void *tag);
int szr_group_add(szr_cmd *g, int argc, const char **argv,
    const size_t *argvlen);
int szr_group_send(szr_conn *c, szr_cmd *g);
void szr_group_free(szr_cmd *g);

/* Commands sent and not answered yet. */
size_t szr_unconfirmed(const szr_conn *c);
/* Times the connection was made again after a loss. */
uint64_t szr_reconnects(const szr_conn *c);
/* Is it connected now? */
int szr_is_up(const szr_conn *c);
/* host:port or the socket path, for messages. */
const char *szr_where(const szr_conn *c);

/* Is this error reply one of a server that is restarting or busy
 * (LOADING, BUSY, TRYAGAIN, MASTERDOWN)? */
int szr_is_outage(const redisReply *r);

/*
 * out = the object p[0..n) with the member "META":{"stream":S,"id":I[,
 * "deliveries":N]} first (deliveries < 0: left out), the rest of p byte
 * for byte; or p as it is when meta is "" or p is not an object (answer
 * 1). Answers 0, 1, or -1 when out of memory.
 */
int szr_envelope(sz_buf *out, const char *meta, const char *p, size_t n,
    const char *stream, size_t sn, const char *id, size_t idn,
    long long deliveries);

#endif
