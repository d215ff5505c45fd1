/* SPDX-License-Identifier: MIT */
/*
 * clickhouse.h - ClickHouse's HTTP interface with libcurl.
 *
 * Two ways to send a query: szc_query, synchronous (curl easy), for the
 * small things (DESCRIBE, SELECT version(), DDL); and szc_req, one request
 * at a time on libcurl's multi interface driven by libsz's poll loop
 * (io/loop.h: its descriptors and timers), for the inserts, on one
 * keep-alive connection whose socket is reset (SO_LINGER {1,0}) when it is
 * closed or the process dies, so that a request cut short never commits a
 * prefix of its rows.
 *
 * What went wrong is read from the reply's body, never from its HTTP
 * status: `Code: N, e.displayText() = DB::Exception: MESSAGE ... (at row
 * R)`; szc_class says what the caller can do about it.
 */
#ifndef SZ_CONN_CLICKHOUSE_H
#define SZ_CONN_CLICKHOUSE_H

#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"
#include "io/loop.h"

/* Where and as whom. url: http://host:port (a path and trailing / are
 * allowed); database "" is the server's default; user "" sends none;
 * password NULL sends none. Timeouts in ms, 0: none. */
typedef struct szc_conf {
	const char *url;
	const char *database;
	const char *user;
	const char *password;
	uint64_t connect_timeout_ms;
	uint64_t timeout_ms;
	const char *settings;	/* NULL, or "NAME=VALUE&..." added to the
				   URL (URL-encoded already) */
} szc_conf;

/* A reply. status 0 and curl != 0: no HTTP reply (msg says why). code:
 * ClickHouse's `Code: N` (0: none); row: its `(at row R)`, 1-based (0:
 * none); msg: the exception's message without the "Code: N, ..." head
 * and the " (at row R)" tail, or curl's error. */
typedef struct szc_reply {
	long status;
	int curl;		/* CURLcode */
	int code;
	uint64_t row;
	char msg[1024];
	sz_buf body;
} szc_reply;

/* What a failed request is (szc_class). */
enum {
	SZC_OK,			/* HTTP 200 */
	SZC_RETRY,		/* the same request may succeed later */
	SZC_ROW,		/* the request's row `row` is bad */
	SZC_VALUE,		/* a value is bad, the row unknown (rows > 1) */
	SZC_CONFIG,		/* table, database, credentials: exit 69 */
	SZC_USAGE,		/* syntax, unknown setting: exit 2 */
	SZC_FAIL		/* anything else */
};

void szc_reply_init(szc_reply *r);
void szc_reply_free(szc_reply *r);
/* Parse a ClickHouse error text into r->code, r->row, r->msg. */
void szc_parse_error(szc_reply *r, const char *body, size_t len);
/* The class of a reply to a request of `rows` rows (0: not an insert). */
int szc_class(const szc_reply *r, size_t rows);
/* The class of a ClickHouse error code alone (SZC_ROW for the value
 * errors, SZC_FAIL when unknown). */
int szc_code_class(int code);
/* The exit status for a class (75, 65, 69, 2, 1; 0 for SZC_OK). */
int szc_class_exit(int cls);
/* A short name of a class ("retry", "row", ...). */
const char *szc_class_name(int cls);

/* libcurl's global init (once, before anything else here). 0 or -1. */
int szc_global_init(void);

/* The query URL for sql (sent in the URL, the body is the data) into b:
 * 0, or -1 when out of memory. */
int szc_url(const szc_conf *c, const char *sql, sz_buf *b);

/* Run sql with body (may be NULL) synchronously. r is filled (status,
 * body, error). Returns the class (SZC_OK ...). */
int szc_query(const szc_conf *c, const char *sql, const char *body,
    size_t bodylen, szc_reply *r);

/* One request at a time on the poll loop. */
typedef struct szc_req szc_req;
/* Called from the loop when the request is answered (or failed): r is
 * valid during the call; cls is szc_class(r, rows). */
typedef void (*szc_done_fn)(szc_req *q, int cls, szc_reply *r, void *ud);

szc_req *szc_req_new(sz_loop *loop, const szc_conf *c, szc_done_fn done,
    void *ud);
/* Send sql with body (kept by the caller until done runs) of `rows` rows.
 * One at a time: -1 with EBUSY while one is in flight, -1 with ENOMEM. */
int szc_req_send(szc_req *q, const char *sql, const char *body,
    size_t bodylen, size_t rows);
/* Is a request in flight? */
int szc_req_busy(const szc_req *q);
/* Abort the request in flight (its connection is reset, done does not
 * run). */
void szc_req_abort(szc_req *q);
/* Requests sent so far. */
uint64_t szc_req_count(const szc_req *q);
void szc_req_free(szc_req *q);

#endif
