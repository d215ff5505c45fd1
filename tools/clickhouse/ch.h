/* SPDX-License-Identifier: MIT */
/*
 * ch.h - the parts of sz-clickhouse: the three subcommands (ddl.c,
 * insert.c, expire.c), the server options and connection settings they
 * share (server.c) and the check of a value against a column's type
 * (types.c).
 */
#ifndef SZ_CH_TOOL_H
#define SZ_CH_TOOL_H

#include <stddef.h>
#include <stdint.h>

#include "connect/clickhouse.h"
#include "run/tool.h"

/* The server options, in every subcommand. */
struct ch_server {
	const char *url, *database, *user, *pwfile;
	uint64_t connect_timeout, timeout;
	char *password;
	szc_conf conf;		/* made by ch_server_conf */
};

enum {
	CH_OPT_URL = SZ_OPT_TOOL + 0x100, CH_OPT_DB, CH_OPT_USER,
	CH_OPT_PWFILE, CH_OPT_CTIMEOUT, CH_OPT_TIMEOUT
};

#define CH_SERVER_LONGOPTS \
	{ "url", required_argument, NULL, CH_OPT_URL }, \
	{ "database", required_argument, NULL, CH_OPT_DB }, \
	{ "user", required_argument, NULL, CH_OPT_USER }, \
	{ "password-file", required_argument, NULL, CH_OPT_PWFILE }, \
	{ "connect-timeout", required_argument, NULL, CH_OPT_CTIMEOUT }, \
	{ "timeout", required_argument, NULL, CH_OPT_TIMEOUT }
#define CH_SERVER_HELP \
"      --url URL          the server's HTTP interface (default\n" \
"                         $SZ_CLICKHOUSE_URL, else http://127.0.0.1:8123)\n" \
"      --database DB      the database (default: the server's)\n" \
"      --user USER        the ClickHouse user\n" \
"      --password-file FILE  the password: the first line of FILE\n" \
"      --connect-timeout DURATION  give up a connection attempt after\n" \
"                         DURATION (default 5s)\n" \
"      --timeout DURATION one request at most (default 5m)\n"

/* Defaults (timeout: of one request); the option cases (1 taken, 0 not
 * a server option, '?' a bad value); the connection settings in s->conf
 * (the password read): -1, or an exit status after the message. */
void ch_server_init(struct ch_server *s, uint64_t timeout);
int ch_server_option(sz_tool *t, struct ch_server *s, int o);
int ch_server_conf(sz_tool *t, struct ch_server *s);
void ch_server_free(struct ch_server *s);

extern const sz_tool_def ch_insert_def;
extern const size_t ch_insert_size;	/* its state */
extern const sz_tool_def ch_ddl_def;
extern const size_t ch_ddl_size;
extern const sz_tool_def ch_expire_def;
extern const size_t ch_expire_size;

/* Is the JSON value v[0..n) stored as sent in a column of ClickHouse
 * type `type` (as DESCRIBE TABLE writes it)? 0, or -1 with the reason in
 * why. What the server refuses itself is left to it (0). */
int ch_value_check(const char *type, const char *v, size_t n, char *why,
    size_t whysize);

#endif
