/* SPDX-License-Identifier: MIT */
/*
 * clickhouse.c - ClickHouse's HTTP interface with libcurl: see
 * clickhouse.h.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <curl/curl.h>

#include "connect/clickhouse.h"

void
szc_reply_init(szc_reply *r)
{
	memset(r, 0, sizeof(*r));
	r->body.cap = (size_t)64 << 20;
}

void
szc_reply_free(szc_reply *r)
{
	sz_buf_free(&r->body);
}

static void
reply_reset(szc_reply *r)
{
	r->status = 0;
	r->curl = 0;
	r->code = 0;
	r->row = 0;
	r->msg[0] = '\0';
	sz_buf_reset(&r->body);
}

/* memmem for the error texts (no GNU extensions needed). */
static const char *
find(const char *s, size_t n, const char *w)
{
	size_t k = strlen(w), i;

	if (k > n)
		return NULL;
	for (i = 0; i + k <= n; i++)
		if (memcmp(s + i, w, k) == 0)
			return s + i;
	return NULL;
}

void
szc_parse_error(szc_reply *r, const char *s, size_t n)
{
	const char *p, *e, *end = s + n;
	size_t k;

	r->code = 0;
	r->row = 0;
	r->msg[0] = '\0';
	p = find(s, n, "Code: ");
	if (p != NULL) {
		int code = 0;

		for (p += 6; p < end && *p >= '0' && *p <= '9'; p++)
			code = code * 10 + (*p - '0');
		if (code > 0 && code < 100000)
			r->code = code;
	}
	p = find(s, n, "(at row ");
	if (p != NULL) {
		uint64_t row = 0;
		const char *q;

		for (q = p + 8; q < end && *q >= '0' && *q <= '9'; q++)
			row = row * 10 + (uint64_t)(*q - '0');
		if (q < end && *q == ')')
			r->row = row;
	}
	/* The message: after "DB::Exception: ", up to ", e.what() = ", the
	 * " (at row R)" or the end, on one line. */
	e = find(s, n, "DB::Exception: ");
	if (e != NULL)
		e += 15;
	else if ((e = find(s, n, "e.displayText() = ")) != NULL)
		e += 18;
	else
		e = s;
	p = find(e, (size_t)(end - e), ", e.what() = ");
	if (p == NULL)
		p = end;
	{
		const char *row = find(e, (size_t)(p - e), "(at row ");

		if (row != NULL)
			p = row;
	}
	while (p > e && (p[-1] == ' ' || p[-1] == '\n' || p[-1] == '\r' ||
	    p[-1] == ':' || p[-1] == ','))
		p--;
	k = 0;
	for (; e < p && k + 1 < sizeof(r->msg); e++)
		r->msg[k++] = (*e == '\n' || *e == '\r' || *e == '\t') ?
		    ' ' : *e;
	r->msg[k] = '\0';
}

/*
 * ClickHouse's error codes (dbms/src/Common/ErrorCodes.cpp of 18.16; the
 * later 497 and 516 too).
 */
int
szc_code_class(int code)
{
	switch (code) {
	/* later may work: overload, network, a server going away */
	case 159:	/* TIMEOUT_EXCEEDED */
	case 160:	/* TOO_SLOW */
	case 173:	/* CANNOT_ALLOCATE_MEMORY */
	case 198:	/* DNS_ERROR */
	case 202:	/* TOO_MANY_SIMULTANEOUS_QUERIES */
	case 203:	/* NO_FREE_CONNECTION */
	case 209:	/* SOCKET_TIMEOUT */
	case 210:	/* NETWORK_ERROR */
	case 236:	/* ABORTED */
	case 241:	/* MEMORY_LIMIT_EXCEEDED */
	case 242:	/* TABLE_IS_READ_ONLY (replica lost ZooKeeper) */
	case 252:	/* TOO_MANY_PARTS */
	case 285:	/* TOO_FEW_LIVE_REPLICAS */
	case 286:	/* UNSATISFIED_QUORUM_FOR_PREVIOUS_WRITE */
	case 319:	/* UNKNOWN_STATUS_OF_INSERT */
	case 394:	/* QUERY_WAS_CANCELLED */
	case 425:	/* SYSTEM_ERROR */
	case 439:	/* CANNOT_SCHEDULE_TASK */
	case 999:	/* KEEPER_EXCEPTION */
		return SZC_RETRY;
	/* the table, the database or who we are: configuration */
	case 16:	/* NO_SUCH_COLUMN_IN_TABLE */
	case 60:	/* UNKNOWN_TABLE */
	case 81:	/* UNKNOWN_DATABASE */
	case 164:	/* READONLY */
	case 192:	/* UNKNOWN_USER */
	case 193:	/* WRONG_PASSWORD */
	case 194:	/* REQUIRED_PASSWORD */
	case 195:	/* IP_ADDRESS_NOT_ALLOWED */
	case 291:	/* DATABASE_ACCESS_DENIED */
	case 497:	/* ACCESS_DENIED */
	case 516:	/* AUTHENTICATION_FAILED */
		return SZC_CONFIG;
	/* the query itself */
	case 46:	/* UNKNOWN_FUNCTION */
	case 47:	/* UNKNOWN_IDENTIFIER */
	case 50:	/* UNKNOWN_TYPE */
	case 62:	/* SYNTAX_ERROR */
	case 73:	/* UNKNOWN_FORMAT */
	case 115:	/* UNKNOWN_SETTING */
	case 168:	/* TOO_DEEP_AST */
		return SZC_USAGE;
	/* a value of the data */
	case 6:		/* CANNOT_PARSE_TEXT */
	case 9:		/* SIZE_OF_FIXED_STRING_DOESNT_MATCH */
	case 25:	/* CANNOT_PARSE_ESCAPE_SEQUENCE */
	case 26:	/* CANNOT_PARSE_QUOTED_STRING */
	case 27:	/* CANNOT_PARSE_INPUT_ASSERTION_FAILED */
	case 32:	/* ATTEMPT_TO_READ_AFTER_EOF */
	case 38:	/* CANNOT_PARSE_DATE */
	case 41:	/* CANNOT_PARSE_DATETIME */
	case 49:	/* LOGICAL_ERROR (an unknown Enum8 label) */
	case 53:	/* TYPE_MISMATCH */
	case 69:	/* ARGUMENT_OUT_OF_BOUND */
	case 70:	/* CANNOT_CONVERT_TYPE */
	case 72:	/* CANNOT_PARSE_NUMBER */
	case 117:	/* INCORRECT_DATA */
	case 131:	/* TOO_LARGE_STRING_SIZE */
	case 349:	/* CANNOT_INSERT_NULL_IN_ORDINARY_COLUMN */
	case 376:	/* CANNOT_PARSE_UUID */
		return SZC_ROW;
	}
	return SZC_FAIL;
}

int
szc_class(const szc_reply *r, size_t rows)
{
	int cls;

	if (r->curl != 0) {
		switch (r->curl) {
		case CURLE_UNSUPPORTED_PROTOCOL:
		case CURLE_URL_MALFORMAT:
			return SZC_USAGE;
		case CURLE_LOGIN_DENIED:
			return SZC_CONFIG;
		case CURLE_OUT_OF_MEMORY:
			return SZC_FAIL;
		default:	/* refused, reset, timed out, cut short */
			return SZC_RETRY;
		}
	}
	if (r->status == 200)
		return SZC_OK;
	if (r->code == 0) {
		if (r->status >= 500 || r->status == 429 || r->status == 408)
			return SZC_RETRY;
		if (r->status == 401 || r->status == 403 || r->status == 404)
			return SZC_CONFIG;
		return SZC_FAIL;
	}
	if (rows > 0 && r->row >= 1 && r->row <= rows)
		return SZC_ROW;
	cls = szc_code_class(r->code);
	if (cls == SZC_ROW)
		return rows == 1 ? SZC_ROW : rows > 1 ? SZC_VALUE : SZC_FAIL;
	return cls;
}

int
szc_class_exit(int cls)
{
	switch (cls) {
	case SZC_OK:
		return 0;
	case SZC_RETRY:
		return 75;
	case SZC_ROW:
	case SZC_VALUE:
		return 65;
	case SZC_CONFIG:
		return 69;
	case SZC_USAGE:
		return 2;
	}
	return 1;
}

const char *
szc_class_name(int cls)
{
	static const char *const n[] = { "ok", "retry", "row", "value",
	    "config", "usage", "fail" };

	return cls >= 0 && cls <= SZC_FAIL ? n[cls] : "fail";
}

int
szc_global_init(void)
{
	static int done;

	if (done)
		return 0;
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		return -1;
	done = 1;
	return 0;
}

int
szc_url(const szc_conf *c, const char *sql, sz_buf *b)
{
	static const char hex[] = "0123456789ABCDEF";
	const char *u = c->url != NULL && *c->url ? c->url :
	    "http://127.0.0.1:8123";
	size_t n = strlen(u);
	const char *s;

	sz_buf_reset(b);
	while (n > 0 && u[n - 1] == '/')
		n--;
	if (sz_buf_add(b, u, n) < 0 || sz_buf_adds(b, "/?") < 0)
		return -1;
	if (c->database != NULL && *c->database) {
		if (sz_buf_adds(b, "database=") < 0)
			return -1;
		for (s = c->database; *s; s++) {
			unsigned char ch = (unsigned char)*s;

			if (((ch | 32) >= 'a' && (ch | 32) <= 'z') ||
			    (ch >= '0' && ch <= '9') || ch == '_' ||
			    ch == '-' || ch == '.') {
				if (sz_buf_addc(b, (char)ch) < 0)
					return -1;
			} else if (sz_buf_addc(b, '%') < 0 ||
			    sz_buf_addc(b, hex[ch >> 4]) < 0 ||
			    sz_buf_addc(b, hex[ch & 15]) < 0)
				return -1;
		}
		if (sz_buf_addc(b, '&') < 0)
			return -1;
	}
	if (c->settings != NULL && *c->settings &&
	    (sz_buf_adds(b, c->settings) < 0 || sz_buf_addc(b, '&') < 0))
		return -1;
	if (sz_buf_adds(b, "query=") < 0)
		return -1;
	for (s = sql; *s; s++) {
		unsigned char ch = (unsigned char)*s;

		if (((ch | 32) >= 'a' && (ch | 32) <= 'z') ||
		    (ch >= '0' && ch <= '9') || ch == '_' || ch == '-' ||
		    ch == '.' || ch == '~') {
			if (sz_buf_addc(b, (char)ch) < 0)
				return -1;
		} else if (sz_buf_addc(b, '%') < 0 ||
		    sz_buf_addc(b, hex[ch >> 4]) < 0 ||
		    sz_buf_addc(b, hex[ch & 15]) < 0)
			return -1;
	}
	return 0;
}

static size_t
on_body(char *p, size_t size, size_t n, void *ud)
{
	szc_reply *r = ud;

	if (sz_buf_add(&r->body, p, size * n) < 0)
		return 0;	/* cut short: CURLE_WRITE_ERROR */
	return size * n;
}

/* The upload socket is reset when it is closed, also by the kernel when
 * the process dies: a request cut short never commits its prefix. */
static int
on_sockopt(void *ud, curl_socket_t fd, curlsocktype purpose)
{
	struct linger lg = { 1, 0 };

	(void)ud;
	(void)purpose;
	if (setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg)) < 0)
		return CURL_SOCKOPT_ERROR;
	return CURL_SOCKOPT_OK;
}

/* The options a request of ours has. */
static int
setup(CURL *h, const szc_conf *c, const char *url, const char *body,
    size_t bodylen, szc_reply *r, char *errbuf)
{
	int bad = 0;

	bad |= curl_easy_setopt(h, CURLOPT_URL, url) != CURLE_OK;
	bad |= curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L) != CURLE_OK;
	bad |= curl_easy_setopt(h, CURLOPT_POST, 1L) != CURLE_OK;
	bad |= curl_easy_setopt(h, CURLOPT_POSTFIELDS,
	    body != NULL ? body : "") != CURLE_OK;
	bad |= curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE,
	    (curl_off_t)(body != NULL ? bodylen : 0)) != CURLE_OK;
	bad |= curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body) !=
	    CURLE_OK;
	bad |= curl_easy_setopt(h, CURLOPT_WRITEDATA, r) != CURLE_OK;
	bad |= curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf) != CURLE_OK;
	bad |= curl_easy_setopt(h, CURLOPT_SOCKOPTFUNCTION, on_sockopt) !=
	    CURLE_OK;
	bad |= curl_easy_setopt(h, CURLOPT_TCP_NODELAY, 1L) != CURLE_OK;
	bad |= curl_easy_setopt(h, CURLOPT_TCP_KEEPALIVE, 1L) != CURLE_OK;
	/* no "Expect: 100-continue" round trip for large bodies */
	if (c->connect_timeout_ms)
		bad |= curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS,
		    (long)c->connect_timeout_ms) != CURLE_OK;
	if (c->timeout_ms)
		bad |= curl_easy_setopt(h, CURLOPT_TIMEOUT_MS,
		    (long)c->timeout_ms) != CURLE_OK;
	if (c->user != NULL && *c->user)
		bad |= curl_easy_setopt(h, CURLOPT_USERNAME, c->user) !=
		    CURLE_OK;
	if (c->password != NULL)
		bad |= curl_easy_setopt(h, CURLOPT_PASSWORD, c->password) !=
		    CURLE_OK;
	return bad ? -1 : 0;
}

static struct curl_slist *
headers(void)
{
	return curl_slist_append(NULL, "Expect:");
}

/* Fill r after a transfer ended with result rc. */
static void
finish(CURL *h, CURLcode rc, const char *errbuf, szc_reply *r)
{
	long st = 0;

	r->curl = (int)rc;
	if (rc != CURLE_OK) {
		r->status = 0;
		snprintf(r->msg, sizeof(r->msg), "%s",
		    errbuf[0] ? errbuf : curl_easy_strerror(rc));
		{
			size_t k = strlen(r->msg);

			while (k > 0 && r->msg[k - 1] == '\n')
				r->msg[--k] = '\0';
		}
		return;
	}
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &st);
	r->status = st;
	if (st != 200)
		szc_parse_error(r, r->body.p != NULL ? r->body.p : "",
		    r->body.len);
}

int
szc_query(const szc_conf *c, const char *sql, const char *body,
    size_t bodylen, szc_reply *r)
{
	char errbuf[CURL_ERROR_SIZE];
	sz_buf url = SZ_BUF_INIT;
	struct curl_slist *hd;
	CURL *h;
	CURLcode rc;

	reply_reset(r);
	errbuf[0] = '\0';
	if (szc_global_init() < 0 || szc_url(c, sql, &url) < 0 ||
	    (h = curl_easy_init()) == NULL) {
		sz_buf_free(&url);
		r->curl = CURLE_OUT_OF_MEMORY;
		snprintf(r->msg, sizeof(r->msg), "out of memory");
		return SZC_FAIL;
	}
	hd = headers();
	if (hd == NULL || setup(h, c, url.p, body, bodylen, r, errbuf) < 0 ||
	    curl_easy_setopt(h, CURLOPT_HTTPHEADER, hd) != CURLE_OK) {
		curl_slist_free_all(hd);
		curl_easy_cleanup(h);
		sz_buf_free(&url);
		r->curl = CURLE_OUT_OF_MEMORY;
		snprintf(r->msg, sizeof(r->msg), "out of memory");
		return SZC_FAIL;
	}
	rc = curl_easy_perform(h);
	finish(h, rc, errbuf, r);
	curl_slist_free_all(hd);
	curl_easy_cleanup(h);
	sz_buf_free(&url);
	return szc_class(r, 0);
}

/* ---- one request at a time on the poll loop ---------------------------- */

struct szc_req {
	sz_loop *loop;
	const szc_conf *conf;
	szc_done_fn done;
	void *ud;
	CURLM *m;
	CURL *h;		/* kept: its connection stays alive */
	struct curl_slist *hd;
	uint64_t timer;		/* loop timer id, 0: none */
	int busy;
	size_t rows;
	uint64_t count;
	sz_buf url;
	szc_reply r;
	char errbuf[CURL_ERROR_SIZE];
};

static void check_done(szc_req *q);

static void
on_fd(sz_loop *l, int fd, short rev, void *ud)
{
	szc_req *q = ud;
	int mask = 0, running = 0;

	(void)l;
	if (rev & POLLIN)
		mask |= CURL_CSELECT_IN;
	if (rev & POLLOUT)
		mask |= CURL_CSELECT_OUT;
	if (rev & (POLLERR | POLLHUP | POLLNVAL))
		mask |= CURL_CSELECT_ERR;
	curl_multi_socket_action(q->m, fd, mask, &running);
	check_done(q);
}

static void
on_timer(sz_loop *l, void *ud)
{
	szc_req *q = ud;
	int running = 0;

	(void)l;
	q->timer = 0;
	curl_multi_socket_action(q->m, CURL_SOCKET_TIMEOUT, 0, &running);
	check_done(q);
}

static int
on_socket(CURL *e, curl_socket_t fd, int what, void *ud, void *sp)
{
	szc_req *q = ud;
	short ev = 0;

	(void)e;
	(void)sp;
	if (what == CURL_POLL_REMOVE) {
		sz_loop_unwatch(q->loop, fd);
		return 0;
	}
	if (what == CURL_POLL_IN || what == CURL_POLL_INOUT)
		ev |= POLLIN;
	if (what == CURL_POLL_OUT || what == CURL_POLL_INOUT)
		ev |= POLLOUT;
	if (sz_loop_watch(q->loop, fd, ev, on_fd, q) < 0)
		return -1;
	return 0;
}

static int
on_timeout(CURLM *m, long ms, void *ud)
{
	szc_req *q = ud;

	(void)m;
	if (q->timer != 0) {
		sz_loop_cancel(q->loop, q->timer);
		q->timer = 0;
	}
	if (ms < 0)
		return 0;
	q->timer = sz_loop_timer(q->loop, sz_now() + (uint64_t)ms * 1000000,
	    on_timer, q);
	return q->timer != 0 ? 0 : -1;
}

static void
check_done(szc_req *q)
{
	CURLMsg *msg;
	int left;

	while ((msg = curl_multi_info_read(q->m, &left)) != NULL) {
		if (msg->msg != CURLMSG_DONE || msg->easy_handle != q->h)
			continue;
		finish(q->h, msg->data.result, q->errbuf, &q->r);
		curl_multi_remove_handle(q->m, q->h);
		q->busy = 0;
		q->done(q, szc_class(&q->r, q->rows), &q->r, q->ud);
		return;		/* q may be gone or busy again */
	}
}

szc_req *
szc_req_new(sz_loop *loop, const szc_conf *c, szc_done_fn done, void *ud)
{
	szc_req *q;

	if (szc_global_init() < 0 || (q = calloc(1, sizeof(*q))) == NULL)
		return NULL;
	q->loop = loop;
	q->conf = c;
	q->done = done;
	q->ud = ud;
	szc_reply_init(&q->r);
	q->m = curl_multi_init();
	q->h = curl_easy_init();
	q->hd = headers();
	if (q->m == NULL || q->h == NULL || q->hd == NULL ||
	    curl_multi_setopt(q->m, CURLMOPT_SOCKETFUNCTION, on_socket) !=
	    CURLM_OK ||
	    curl_multi_setopt(q->m, CURLMOPT_SOCKETDATA, q) != CURLM_OK ||
	    curl_multi_setopt(q->m, CURLMOPT_TIMERFUNCTION, on_timeout) !=
	    CURLM_OK ||
	    curl_multi_setopt(q->m, CURLMOPT_TIMERDATA, q) != CURLM_OK ||
	    curl_multi_setopt(q->m, CURLMOPT_MAXCONNECTS, 1L) != CURLM_OK) {
		szc_req_free(q);
		return NULL;
	}
	return q;
}

int
szc_req_send(szc_req *q, const char *sql, const char *body, size_t bodylen,
    size_t rows)
{
	if (q->busy) {
		errno = EBUSY;
		return -1;
	}
	reply_reset(&q->r);
	q->errbuf[0] = '\0';
	if (szc_url(q->conf, sql, &q->url) < 0 ||
	    setup(q->h, q->conf, q->url.p, body, bodylen, &q->r,
	    q->errbuf) < 0 ||
	    curl_easy_setopt(q->h, CURLOPT_HTTPHEADER, q->hd) != CURLE_OK ||
	    curl_multi_add_handle(q->m, q->h) != CURLM_OK) {
		errno = ENOMEM;
		return -1;
	}
	q->rows = rows;
	q->busy = 1;
	q->count++;
	return 0;
}

int
szc_req_busy(const szc_req *q)
{
	return q->busy;
}

void
szc_req_abort(szc_req *q)
{
	if (!q->busy)
		return;
	/* Removing a handle in the middle of a transfer closes its
	 * connection: with SO_LINGER {1,0}, a reset. */
	curl_multi_remove_handle(q->m, q->h);
	q->busy = 0;
}

uint64_t
szc_req_count(const szc_req *q)
{
	return q->count;
}

void
szc_req_free(szc_req *q)
{
	if (q == NULL)
		return;
	szc_req_abort(q);
	if (q->h != NULL)
		curl_easy_cleanup(q->h);
	if (q->m != NULL)
		curl_multi_cleanup(q->m);
	if (q->timer != 0)
		sz_loop_cancel(q->loop, q->timer);
	curl_slist_free_all(q->hd);
	sz_buf_free(&q->url);
	szc_reply_free(&q->r);
	free(q);
}
