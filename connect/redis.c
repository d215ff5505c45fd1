/* SPDX-License-Identifier: MIT */
/* redis.c - a Redis connection on libsz's poll loop (redis.h says what
 * it promises). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <hiredis/async.h>

#include "core/buf.h"
#include "json/json.h"
#include "json/str.h"
#include "connect/redis.h"

#define GROUP_MAX 8
#define BACKOFF_MIN 20000000ULL		/* 20 ms */
#define BACKOFF_MAX 1000000000ULL	/* 1 s */

struct szr_cmd {
	struct szr_cmd *next;
	void *tag;
	sz_buf b;		/* the commands' RESP text, one after another */
	size_t off[GROUP_MAX + 1];
	int n;			/* commands in it */
	int got;		/* replies so far (this connection) */
};

struct szr_conn {
	sz_loop *loop;
	szr_url u;
	char where[300];
	uint64_t connect_timeout, retry_for;
	szr_reply_fn on_reply;
	szr_state_fn on_state;
	void *ud;
	redisAsyncContext *ac;
	int fd;			/* watched, or -1 */
	short ev;
	int up;			/* connected */
	int ever_up;
	int failed;		/* a FAIL was reported: nothing more */
	uint64_t down_since;	/* 0: not down */
	uint64_t backoff;
	uint64_t timer;		/* connect timeout or retry timer */
	uint64_t reconnects;
	struct szr_cmd *head, *tail;
	size_t n;
	void (*tag_free)(void *tag);
	char msg[512];
};

int
szr_url_parse(const char *s, szr_url *u, char *err, size_t errsize)
{
	const char *p, *at, *slash, *colon, *end;

	memset(u, 0, sizeof(*u));
	u->port = 6379;
	if (strncmp(s, "unix://", 7) == 0) {
		p = s + 7;
		end = strchr(p, '?');
		if (end == NULL)
			end = p + strlen(p);
		if (end == p || (size_t)(end - p) >= sizeof(u->path))
			goto bad;
		memcpy(u->path, p, (size_t)(end - p));
		if (*end == '?') {
			if (strncmp(end, "?db=", 4) != 0)
				goto bad;
			char *e;
			long db = strtol(end + 4, &e, 10);
			if (*e != '\0' || e == end + 4 || db < 0 || db > 100000)
				goto bad;
			u->db = (int)db;
		}
		return 0;
	}
	if (strncmp(s, "redis://", 8) != 0)
		goto bad;
	p = s + 8;
	slash = strchr(p, '/');
	end = slash ? slash : p + strlen(p);
	at = memchr(p, '@', (size_t)(end - p));
	if (at != NULL) {
		const char *c = memchr(p, ':', (size_t)(at - p));
		if (c == NULL)
			goto bad;
		if ((size_t)(c - p) >= sizeof(u->user) ||
		    (size_t)(at - c - 1) >= sizeof(u->pass))
			goto bad;
		memcpy(u->user, p, (size_t)(c - p));
		memcpy(u->pass, c + 1, (size_t)(at - c - 1));
		p = at + 1;
	}
	colon = memchr(p, ':', (size_t)(end - p));
	if (colon != NULL) {
		char *e;
		long port = strtol(colon + 1, &e, 10);
		if (e != end || e == colon + 1 || port < 1 || port > 65535)
			goto bad;
		u->port = (int)port;
	} else
		colon = end;
	if (colon == p || (size_t)(colon - p) >= sizeof(u->host))
		goto bad;
	memcpy(u->host, p, (size_t)(colon - p));
	if (slash != NULL && slash[1] != '\0') {
		char *e;
		long db = strtol(slash + 1, &e, 10);
		if (*e != '\0' || db < 0 || db > 100000)
			goto bad;
		u->db = (int)db;
	}
	return 0;
bad:
	snprintf(err, errsize, "'%s' is not redis://[USER:PASS@]HOST[:PORT]"
	    "[/DB] or unix:///PATH", s);
	return -1;
}

int
szr_is_outage(const redisReply *r)
{
	static const char *const pre[] = { "LOADING", "BUSY ", "TRYAGAIN",
		"MASTERDOWN", "CLUSTERDOWN" };

	if (r == NULL || r->type != REDIS_REPLY_ERROR)
		return 0;
	for (size_t i = 0; i < sizeof(pre) / sizeof(pre[0]); i++)
		if (strncmp(r->str, pre[i], strlen(pre[i])) == 0)
			return 1;
	return 0;
}

/* ---- the loop's side of hiredis ------------------------------------ */

static void
on_fd(sz_loop *l, int fd, short revents, void *ud)
{
	szr_conn *c = ud;
	redisAsyncContext *ac = c->ac;

	(void)l;
	(void)fd;
	if (ac == NULL)
		return;
	if (revents & (POLLIN | POLLHUP | POLLERR))
		redisAsyncHandleRead(ac);
	if (c->ac == ac && (revents & (POLLOUT | POLLERR)) &&
	    (c->ev & POLLOUT))
		redisAsyncHandleWrite(ac);
}

static void
apply_events(szr_conn *c, redisAsyncContext *ac)
{
	if (c->fd < 0) {
		c->fd = ac->c.fd;
		if (sz_loop_watch(c->loop, c->fd, c->ev, on_fd, c) < 0)
			c->fd = -1;	/* out of memory: seen as a timeout */
	} else
		sz_loop_events(c->loop, c->fd, c->ev);
}

static void
ev_add_read(void *p)
{
	szr_conn *c = p;

	c->ev |= POLLIN;
	apply_events(c, c->ac);
}

static void
ev_del_read(void *p)
{
	szr_conn *c = p;

	c->ev &= ~POLLIN;
	if (c->fd >= 0)
		sz_loop_events(c->loop, c->fd, c->ev);
}

static void
ev_add_write(void *p)
{
	szr_conn *c = p;

	c->ev |= POLLOUT;
	apply_events(c, c->ac);
}

static void
ev_del_write(void *p)
{
	szr_conn *c = p;

	c->ev &= ~POLLOUT;
	if (c->fd >= 0)
		sz_loop_events(c->loop, c->fd, c->ev);
}

static void
ev_cleanup(void *p)
{
	szr_conn *c = p;

	if (c->fd >= 0)
		sz_loop_unwatch(c->loop, c->fd);
	c->fd = -1;
	c->ev = 0;
}

/* ---- connecting, losing, retrying ----------------------------------- */

static void connect_now(szr_conn *c);

static void
retry_timer(sz_loop *l, void *ud)
{
	szr_conn *c = ud;

	(void)l;
	c->timer = 0;
	connect_now(c);
}

static void
fail(szr_conn *c, int ev)
{
	if (c->failed)
		return;
	c->failed = 1;
	if (c->timer) {
		sz_loop_cancel(c->loop, c->timer);
		c->timer = 0;
	}
	c->on_state(c, ev, c->msg, c->ud);
}

/* The connection is lost (or could not be made): drop it and try again
 * after the backoff, unless the outage has lasted too long. */
static void
lost(szr_conn *c, const char *why)
{
	redisAsyncContext *ac = c->ac;
	uint64_t now = sz_now();

	if (c->failed)
		return;
	snprintf(c->msg, sizeof(c->msg), "%s: %s", c->where, why);
	c->ac = NULL;
	c->up = 0;
	if (c->timer) {
		sz_loop_cancel(c->loop, c->timer);
		c->timer = 0;
	}
	if (ac != NULL) {
		ac->data = NULL;	/* its last callbacks are not ours */
		redisAsyncFree(ac);	/* deferred inside its callbacks */
	}
	if (!c->ever_up) {
		fail(c, SZR_FAIL_START);
		return;
	}
	if (c->down_since == 0) {
		c->down_since = now;
		c->backoff = BACKOFF_MIN;
		c->on_state(c, SZR_DOWN, c->msg, c->ud);
		if (c->failed)
			return;
	} else if (c->backoff < BACKOFF_MAX)
		c->backoff *= 2;
	if (c->retry_for && now - c->down_since >= c->retry_for) {
		fail(c, SZR_FAIL_OUTAGE);
		return;
	}
	c->timer = sz_loop_timer(c->loop, now + c->backoff, retry_timer, c);
}

static void
connect_timeout(sz_loop *l, void *ud)
{
	szr_conn *c = ud;

	(void)l;
	c->timer = 0;
	lost(c, "connect timed out");
}

static void send_cmd(szr_conn *c, struct szr_cmd *e);

static void
on_handshake(redisAsyncContext *ac, void *reply, void *priv)
{
	szr_conn *c = ac->data;
	redisReply *r = reply;

	if (c == NULL || r == NULL)
		return;
	if (szr_is_outage(r)) {
		/* A server that answers LOADING or BUSY is there, even at
		 * the start: an outage to wait out, not exit 69. */
		c->ever_up = 1;
		lost(c, r->str);
	} else if (r->type == REDIS_REPLY_ERROR) {
		snprintf(c->msg, sizeof(c->msg), "%s: %s", c->where, r->str);
		c->ac = NULL;
		ac->data = NULL;
		redisAsyncFree(ac);
		fail(c, SZR_FAIL_AUTH);
	} else if (priv != NULL) {
		/* the PING after the handshake: a server answers */
		if (c->timer) {
			sz_loop_cancel(c->loop, c->timer);
			c->timer = 0;
		}
		if (c->ever_up)
			c->reconnects++;
		c->ever_up = 1;
	}
}

static void
on_connect(const redisAsyncContext *cac, int status)
{
	redisAsyncContext *ac = (redisAsyncContext *)cac;
	szr_conn *c = ac->data;
	char db[24];

	if (c == NULL)
		return;
	if (status != REDIS_OK) {
		/* hiredis frees ac itself after this callback */
		c->ac = NULL;
		ac->data = NULL;
		lost(c, ac->errstr[0] ? ac->errstr : "cannot connect");
		return;
	}
	/* the connect timeout runs on until the PING below is answered: a
	 * socket that accepts and never answers is no server */
	c->up = 1;
	if (c->u.pass[0] != '\0') {
		if (c->u.user[0] != '\0')
			redisAsyncCommand(ac, on_handshake, NULL, "AUTH %s %s",
			    c->u.user, c->u.pass);
		else
			redisAsyncCommand(ac, on_handshake, NULL, "AUTH %s",
			    c->u.pass);
	}
	if (c->u.db != 0) {
		snprintf(db, sizeof(db), "%d", c->u.db);
		redisAsyncCommand(ac, on_handshake, NULL, "SELECT %s", db);
	}
	redisAsyncCommand(ac, on_handshake, c, "PING");
	for (struct szr_cmd *e = c->head; e != NULL; e = e->next)
		send_cmd(c, e);
	c->on_state(c, SZR_UP, "", c->ud);
}

static void
on_disconnect(const redisAsyncContext *cac, int status)
{
	redisAsyncContext *ac = (redisAsyncContext *)cac;
	szr_conn *c = ac->data;

	(void)status;
	if (c == NULL)
		return;
	c->ac = NULL;		/* hiredis frees it */
	ac->data = NULL;
	lost(c, ac->errstr[0] ? ac->errstr : "connection closed");
}

static void
connect_now(szr_conn *c)
{
	redisAsyncContext *ac;

	if (c->u.path[0] != '\0')
		ac = redisAsyncConnectUnix(c->u.path);
	else
		ac = redisAsyncConnect(c->u.host, c->u.port);
	if (ac == NULL) {
		lost(c, "out of memory");
		return;
	}
	if (ac->err) {
		char why[256];
		snprintf(why, sizeof(why), "%s", ac->errstr);
		redisAsyncFree(ac);
		lost(c, why);
		return;
	}
	ac->data = c;
	c->ac = ac;
	c->fd = -1;
	c->ev = 0;
	ac->ev.data = c;
	ac->ev.addRead = ev_add_read;
	ac->ev.delRead = ev_del_read;
	ac->ev.addWrite = ev_add_write;
	ac->ev.delWrite = ev_del_write;
	ac->ev.cleanup = ev_cleanup;
	redisAsyncSetConnectCallback(ac, on_connect);
	redisAsyncSetDisconnectCallback(ac, on_disconnect);
	c->timer = sz_loop_timer(c->loop, sz_now() + c->connect_timeout,
	    connect_timeout, c);
}

/* ---- commands -------------------------------------------------------- */

static void
on_cmd_reply(redisAsyncContext *ac, void *reply, void *priv)
{
	szr_conn *c = ac->data;
	redisReply *r = reply;
	struct szr_cmd *e = priv;

	if (c == NULL || r == NULL || c->failed)
		return;
	if (szr_is_outage(r)) {
		lost(c, r->str);
		return;
	}
	c->down_since = 0;
	if (++e->got < e->n)
		return;
	if (c->head == e) {
		c->head = e->next;
		if (c->head == NULL)
			c->tail = NULL;
		c->n--;
	}
	c->on_reply(c, r, e->tag, c->ud);
	szr_group_free(e);
}

static void
send_cmd(szr_conn *c, struct szr_cmd *e)
{
	e->got = 0;
	for (int i = 0; i < e->n && c->ac != NULL; i++)
		if (redisAsyncFormattedCommand(c->ac, on_cmd_reply, e,
		    e->b.p + e->off[i], e->off[i + 1] - e->off[i]) !=
		    REDIS_OK) {
			lost(c, "cannot send a command");
			return;
		}
}

szr_cmd *
szr_group(void *tag)
{
	struct szr_cmd *e = calloc(1, sizeof(*e));

	if (e != NULL)
		e->tag = tag;
	return e;
}

/* n in decimal at p; returns the end. */
static char *
put_num(char *p, size_t n)
{
	char tmp[24];
	int k = 0;

	do {
		tmp[k++] = (char)('0' + n % 10);
		n /= 10;
	} while (n > 0);
	while (k > 0)
		*p++ = tmp[--k];
	return p;
}

/* The command in RESP, appended to the group's text (as hiredis's
 * redisFormatCommandArgv writes it, without its allocations: this is
 * the hot path of sz-redis add). */
int
szr_group_add(szr_cmd *g, int argc, const char **argv, const size_t *argvlen)
{
	size_t need = 16;
	char *p;

	if (g->n >= GROUP_MAX || argc < 0)
		return -1;
	for (int i = 0; i < argc; i++)
		need += argvlen[i] + 26;
	if (sz_buf_reserve(&g->b, need) < 0)
		return -1;
	p = g->b.p + g->b.len;
	*p++ = '*';
	p = put_num(p, (size_t)argc);
	*p++ = '\r';
	*p++ = '\n';
	for (int i = 0; i < argc; i++) {
		*p++ = '$';
		p = put_num(p, argvlen[i]);
		*p++ = '\r';
		*p++ = '\n';
		memcpy(p, argv[i], argvlen[i]);
		p += argvlen[i];
		*p++ = '\r';
		*p++ = '\n';
	}
	*p = '\0';
	g->b.len = (size_t)(p - g->b.p);
	g->n++;
	g->off[g->n] = g->b.len;
	return 0;
}

int
szr_group_send(szr_conn *c, szr_cmd *g)
{
	if (c->tail)
		c->tail->next = g;
	else
		c->head = g;
	c->tail = g;
	c->n++;
	if (c->ac != NULL && c->up)
		send_cmd(c, g);
	return 0;
}

void
szr_group_free(szr_cmd *g)
{
	if (g == NULL)
		return;
	sz_buf_free(&g->b);
	free(g);
}

int
szr_send(szr_conn *c, void *tag, int argc, const char **argv,
    const size_t *argvlen)
{
	szr_cmd *g = szr_group(tag);

	if (g == NULL || szr_group_add(g, argc, argv, argvlen) < 0) {
		szr_group_free(g);
		return -1;
	}
	return szr_group_send(c, g);
}

/* ---- the connection ---------------------------------------------------- */

szr_conn *
szr_new(sz_loop *loop, const szr_url *u, uint64_t connect_timeout,
    uint64_t retry_for, szr_reply_fn on_reply, szr_state_fn on_state,
    void *ud)
{
	szr_conn *c = calloc(1, sizeof(*c));

	if (c == NULL)
		return NULL;
	c->loop = loop;
	c->u = *u;
	if (u->path[0] != '\0')
		snprintf(c->where, sizeof(c->where), "%s", u->path);
	else
		snprintf(c->where, sizeof(c->where), "%s:%d", u->host,
		    u->port);
	c->connect_timeout = connect_timeout;
	c->retry_for = retry_for;
	c->on_reply = on_reply;
	c->on_state = on_state;
	c->ud = ud;
	c->fd = -1;
	return c;
}

int
szr_start(szr_conn *c)
{
	connect_now(c);
	return 0;
}

void
szr_free(szr_conn *c)
{
	struct szr_cmd *e, *next;

	if (c == NULL)
		return;
	c->failed = 1;
	if (c->timer)
		sz_loop_cancel(c->loop, c->timer);
	if (c->ac != NULL) {
		c->ac->data = NULL;
		redisAsyncFree(c->ac);
	}
	for (e = c->head; e != NULL; e = next) {
		next = e->next;
		if (c->tag_free != NULL)
			c->tag_free(e->tag);
		szr_group_free(e);
	}
	free(c);
}

void
szr_tag_free(szr_conn *c, void (*fn)(void *tag))
{
	c->tag_free = fn;
}

size_t
szr_unconfirmed(const szr_conn *c)
{
	return c->n;
}

uint64_t
szr_reconnects(const szr_conn *c)
{
	return c->reconnects;
}

int
szr_is_up(const szr_conn *c)
{
	return c->up;
}

const char *
szr_where(const szr_conn *c)
{
	return c->where;
}

/* ---- the envelope ------------------------------------------------------ */

int
szr_envelope(sz_buf *out, const char *meta, const char *p, size_t n,
    const char *stream, size_t sn, const char *id, size_t idn,
    long long deliveries)
{
	const char *end = p + n, *q = sz_json_ws(p, end);

	sz_buf_reset(out);
	if (meta[0] == '\0' || q == end || *q != '{')
		return sz_buf_add(out, p, n) < 0 ? -1 : 1;
	q = sz_json_ws(q + 1, end);
	if (sz_buf_addc(out, '{') < 0 ||
	    sz_buf_add_jstr(out, meta, strlen(meta)) < 0 ||
	    sz_buf_adds(out, ":{\"stream\":") < 0 ||
	    sz_buf_add_jstr(out, stream, sn) < 0 ||
	    sz_buf_adds(out, ",\"id\":") < 0 ||
	    sz_buf_add_jstr(out, id, idn) < 0)
		return -1;
	if (deliveries >= 0 && sz_buf_printf(out, ",\"deliveries\":%lld",
	    deliveries) < 0)
		return -1;
	if (sz_buf_addc(out, '}') < 0)
		return -1;
	if (q < end && *q != '}' && sz_buf_addc(out, ',') < 0)
		return -1;
	return sz_buf_add(out, q, (size_t)(end - q)) < 0 ? -1 : 0;
}
