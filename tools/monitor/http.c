/* SPDX-License-Identifier: MIT */
/*
 * http.c - sz-monitor --listen: /metrics (Prometheus text) and /health
 * served by libmicrohttpd from its own thread, so that no client, slow or
 * hostile, ever holds up a record, and so that a scrape is answered while
 * the records wait on a slow downstream.
 *
 * The two threads share one thing, under one mutex: what the main thread
 * publishes every 100ms (the metrics text, the count of records and when
 * the last one came) and the list of open connections. Bounds: at most
 * 64 connections (the server's thread accepts the others and closes them
 * at once, so none waits in the listening socket's queue), a request of
 * more than 16 KiB gets 431 (its request line alone over 16 KiB, 414:
 * libmicrohttpd answers that itself, before any callback sees the
 * request), and a request not complete 10 s after its connection (or its
 * previous request) began is cut off by the main thread.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <microhttpd.h>

#include "json/str.h"
#include "monitor.h"

#define MAX_CONNS 64
#define MAX_REQUEST (16 * 1024)
#define REQUEST_NS UINT64_C(10000000000)

/* An open connection: its socket and since when its request is due. */
struct conn {
	int fd;
	uint64_t since;		/* 0: the request is being answered */
	struct conn *next, *prev;
};

/* What a request has sent of a body. */
struct req {
	size_t body;
};

struct mon_http {
	struct MHD_Daemon *d;
	pthread_mutex_t mu;
	/* Under mu: */
	sz_buf pub;		/* the metrics text */
	uint64_t last;		/* sz_now() of the last record, or start */
	uint64_t in;
	struct conn *conns;
	/* The server thread's alone: */
	unsigned nconns;	/* connections open */
	/* Set before the thread starts, read only: */
	uint64_t stale;
	const char *tool, *name;
	/* The main thread's: */
	sz_buf next;
	uint64_t seen_in;
	int fd;
};

/* ---- connections --------------------------------------------------- */

static void
on_conn(void *cls, struct MHD_Connection *c, void **ctx,
    enum MHD_ConnectionNotificationCode code)
{
	struct mon_http *h = cls;
	struct conn *k = *ctx;

	if (code == MHD_CONNECTION_NOTIFY_STARTED) {
		const union MHD_ConnectionInfo *ci = MHD_get_connection_info(c,
		    MHD_CONNECTION_INFO_CONNECTION_FD);

		h->nconns++;
		if (ci == NULL || (k = calloc(1, sizeof(*k))) == NULL)
			return;	/* not cut off, still bounded by MHD's
				   idle timeout */
		k->fd = ci->connect_fd;
		k->since = sz_now();
		pthread_mutex_lock(&h->mu);
		k->next = h->conns;
		if (h->conns != NULL)
			h->conns->prev = k;
		h->conns = k;
		pthread_mutex_unlock(&h->mu);
		*ctx = k;
	} else if (code == MHD_CONNECTION_NOTIFY_CLOSED) {
		h->nconns--;
		if (k == NULL)
			return;
		/* Before MHD closes the socket: once it is off the list,
		 * the main thread never touches the descriptor again. */
		pthread_mutex_lock(&h->mu);
		if (k->prev != NULL)
			k->prev->next = k->next;
		else
			h->conns = k->next;
		if (k->next != NULL)
			k->next->prev = k->prev;
		pthread_mutex_unlock(&h->mu);
		free(k);
		*ctx = NULL;
	}
}

/* A new connection past the 64 open is closed at once: MHD's own limit
 * would leave it waiting unanswered in the listening socket's queue. */
static enum MHD_Result
on_accept(void *cls, const struct sockaddr *addr, socklen_t addrlen)
{
	struct mon_http *h = cls;

	(void)addr;
	(void)addrlen;
	return h->nconns < MAX_CONNS ? MHD_YES : MHD_NO;
}

/* The request of connection c is complete (due 0) or its next one
 * begins (due now). */
static void
conn_due(struct mon_http *h, struct MHD_Connection *c, uint64_t due)
{
	const union MHD_ConnectionInfo *ci = MHD_get_connection_info(c,
	    MHD_CONNECTION_INFO_SOCKET_CONTEXT);
	struct conn *k = ci != NULL ? ci->socket_context : NULL;

	if (k == NULL)
		return;
	pthread_mutex_lock(&h->mu);
	k->since = due;
	pthread_mutex_unlock(&h->mu);
}

static void
on_done(void *cls, struct MHD_Connection *c, void **req_cls,
    enum MHD_RequestTerminationCode why)
{
	(void)why;
	free(*req_cls);
	*req_cls = NULL;
	conn_due(cls, c, sz_now());
}

/* ---- answers ------------------------------------------------------- */

static enum MHD_Result
reply(struct MHD_Connection *c, unsigned status, const char *type,
    const char *p, size_t n)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(n,
	    (void *)p, MHD_RESPMEM_MUST_COPY);
	enum MHD_Result k;

	if (r == NULL)
		return MHD_NO;
	if (type != NULL)
		MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	k = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return k;
}

static enum MHD_Result
reply_text(struct MHD_Connection *c, unsigned status, const char *text)
{
	return reply(c, status, "text/plain; charset=utf-8", text,
	    strlen(text));
}

static enum MHD_Result
health(struct mon_http *h, struct MHD_Connection *c)
{
	sz_buf b = SZ_BUF_INIT;
	uint64_t last, in, now = sz_now();
	double age, stale = (double)h->stale / 1e9;
	enum MHD_Result k;
	int rc, ok;

	pthread_mutex_lock(&h->mu);
	last = h->last;
	in = h->in;
	pthread_mutex_unlock(&h->mu);
	age = now > last ? (double)(now - last) / 1e9 : 0;
	ok = now - last < h->stale || now < last;
	rc = sz_buf_printf(&b, "{\"status\":\"%s\",", ok ? "ok" : "stale");
	if (!ok)
		rc |= sz_buf_printf(&b, "\"reason\":\"no record for %.1fs "
		    "(--stale %gs)\",", age, stale);
	rc |= sz_buf_adds(&b, "\"tool\":");
	rc |= sz_buf_add_jstr(&b, h->tool, strlen(h->tool));
	rc |= sz_buf_adds(&b, ",\"name\":");
	rc |= sz_buf_add_jstr(&b, h->name, strlen(h->name));
	rc |= sz_buf_printf(&b, ",\"in\":%llu,\"last_record_s\":%.3f}\n",
	    (unsigned long long)in, age);
	k = rc ? MHD_NO : reply(c, ok ? MHD_HTTP_OK :
	    MHD_HTTP_SERVICE_UNAVAILABLE, "application/json", b.p, b.len);
	sz_buf_free(&b);
	return k;
}

static enum MHD_Result
metrics(struct mon_http *h, struct MHD_Connection *c)
{
	enum MHD_Result k;

	pthread_mutex_lock(&h->mu);
	k = reply(c, MHD_HTTP_OK, "text/plain; version=0.0.4; charset=utf-8",
	    h->pub.p != NULL ? h->pub.p : "", h->pub.len);
	pthread_mutex_unlock(&h->mu);
	return k;
}

static enum MHD_Result
answer(void *cls, struct MHD_Connection *c, const char *url,
    const char *method, const char *version, const char *upload,
    size_t *upload_size, void **req_cls)
{
	struct mon_http *h = cls;
	struct req *q = *req_cls;

	(void)version;
	(void)upload;
	if (q == NULL) {
		/* The head is in: the request is no longer due. */
		const char *len = MHD_lookup_connection_value(c,
		    MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);

		if ((q = calloc(1, sizeof(*q))) == NULL)
			return MHD_NO;
		*req_cls = q;
		conn_due(h, c, 0);
		if (len != NULL && strtoull(len, NULL, 10) > MAX_REQUEST)
			return reply_text(c, 431, "request too large\n");
		if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0)
			return reply_text(c, MHD_HTTP_METHOD_NOT_ALLOWED,
			    "only GET and HEAD\n");
		return MHD_YES;
	}
	if (*upload_size > 0) {
		/* A body is not for us: read and forgotten, within bounds. */
		q->body += *upload_size;
		*upload_size = 0;
		if (q->body > MAX_REQUEST)
			return reply_text(c, 431, "request too large\n");
		return MHD_YES;
	}
	if (strcmp(url, "/metrics") == 0)
		return metrics(h, c);
	if (strcmp(url, "/health") == 0)
		return health(h, c);
	return reply_text(c, MHD_HTTP_NOT_FOUND, "not found: try /metrics "
	    "or /health\n");
}

/* ---- the main thread's side ---------------------------------------- */

/* [ADDR:]PORT into sa; 0, or -1 with a message in err. */
static int
parse_listen(const char *s, struct sockaddr_in *sa, char *err, size_t n)
{
	const char *colon = strrchr(s, ':');
	char addr[64];
	uint64_t port;

	memset(sa, 0, sizeof(*sa));
	sa->sin_family = AF_INET;
	snprintf(addr, sizeof(addr), "127.0.0.1");
	if (colon != NULL) {
		if ((size_t)(colon - s) >= sizeof(addr) || colon == s) {
			snprintf(err, n, "--listen: '%s' is not [ADDR:]PORT",
			    s);
			return -1;
		}
		memcpy(addr, s, (size_t)(colon - s));
		addr[colon - s] = '\0';
		s = colon + 1;
	}
	if (strcmp(addr, "localhost") == 0)
		snprintf(addr, sizeof(addr), "127.0.0.1");
	if (inet_pton(AF_INET, addr, &sa->sin_addr) != 1) {
		snprintf(err, n, "--listen: '%s' is not an IPv4 address", addr);
		return -1;
	}
	if (sz_parse_count("--listen", s, 0, 65535, &port, err, n) < 0)
		return -1;
	sa->sin_port = htons((uint16_t)port);
	return 0;
}

int
mon_http_start(struct mon *m)
{
	sz_tool *t = m->t;
	struct mon_http *h;
	struct sockaddr_in sa;
	socklen_t salen = sizeof(sa);
	char err[256], addr[INET_ADDRSTRLEN];
	sigset_t all, old;
	int one = 1;

	if (parse_listen(m->listen, &sa, err, sizeof(err)) < 0)
		return sz_usage(t, "%s", err);
	if ((h = calloc(1, sizeof(*h))) == NULL) {
		sz_msg(t, "error", NULL, 0, "out of memory");
		return SZ_EXIT_FAIL;
	}
	m->http = h;
	h->fd = -1;
	h->stale = m->stale;
	h->tool = t->o.prog;
	h->name = t->o.name;
	h->last = sz_now();
	if (pthread_mutex_init(&h->mu, NULL) != 0) {
		free(h);
		m->http = NULL;
		sz_msg(t, "error", NULL, 0, "--listen: cannot make a mutex");
		return SZ_EXIT_FAIL;
	}
	if ((h->fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0 ||
	    setsockopt(h->fd, SOL_SOCKET, SO_REUSEADDR, &one,
	    sizeof(one)) < 0 ||
	    bind(h->fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    listen(h->fd, 128) < 0 ||
	    getsockname(h->fd, (struct sockaddr *)&sa, &salen) < 0) {
		sz_msg(t, "error", NULL, 0, "--listen %s: %s", m->listen,
		    strerror(errno));
		return SZ_EXIT_FAIL;
	}
	mon_http_publish(m);
	/* The server's thread takes no signal: they are the main
	 * thread's (its loop and its interrupted writes). */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	/* One thread accepts, notifies and answers: on_accept and
	 * on_conn share nconns without a lock. MHD's own limit is only a
	 * backstop above ours. */
	h->d = MHD_start_daemon(MHD_USE_AUTO_INTERNAL_THREAD, 0, on_accept, h,
	    answer, h,
	    MHD_OPTION_LISTEN_SOCKET, (MHD_socket)h->fd,
	    MHD_OPTION_CONNECTION_LIMIT, (unsigned)(2 * MAX_CONNS),
	    MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)(REQUEST_NS / 1000000000),
	    MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)MAX_REQUEST,
	    MHD_OPTION_NOTIFY_CONNECTION, on_conn, h,
	    MHD_OPTION_NOTIFY_COMPLETED, on_done, h,
	    MHD_OPTION_END);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (h->d == NULL) {
		sz_msg(t, "error", NULL, 0, "--listen %s: the HTTP server "
		    "did not start", m->listen);
		return SZ_EXIT_FAIL;
	}
	inet_ntop(AF_INET, &sa.sin_addr, addr, sizeof(addr));
	sz_msg(t, "info", NULL, 0, "listening on http://%s:%u/", addr,
	    (unsigned)ntohs(sa.sin_port));
	return -1;
}

void
mon_http_publish(struct mon *m)
{
	struct mon_http *h = m->http;
	sz_tool *t = m->t;
	uint64_t now = sz_now();
	sz_buf tmp;
	int fresh;

	if (h == NULL)
		return;
	sz_buf_reset(&h->next);
	fresh = mon_metrics(m, &h->next) == 0;
	pthread_mutex_lock(&h->mu);
	if (fresh) {
		tmp = h->pub;
		h->pub = h->next;
		h->next = tmp;
	}
	if (t->st.in != h->seen_in) {
		h->seen_in = t->st.in;
		h->last = now;
	}
	h->in = t->st.in;
	/* Requests due for too long are cut off: the server sees the
	 * end of its socket and closes it. */
	for (struct conn *k = h->conns; k != NULL; k = k->next)
		if (k->since != 0 && now - k->since >= REQUEST_NS) {
			shutdown(k->fd, SHUT_RDWR);
			k->since = 0;
		}
	pthread_mutex_unlock(&h->mu);
}

void
mon_http_stop(struct mon *m)
{
	struct mon_http *h = m->http;

	if (h == NULL)
		return;
	if (h->d != NULL)
		MHD_stop_daemon(h->d);	/* closes the listening socket */
	else if (h->fd >= 0)
		close(h->fd);
	pthread_mutex_destroy(&h->mu);
	sz_buf_free(&h->pub);
	sz_buf_free(&h->next);
	free(h);
	m->http = NULL;
}
