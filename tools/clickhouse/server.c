/* SPDX-License-Identifier: MIT */
/*
 * server.c - what the three subcommands share about the server: its
 * options (--url, --database, --user, --password-file, --connect-timeout,
 * --timeout), the password read from its file, and the connection
 * settings made from them (ch.h).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ch.h"

void
ch_server_init(struct ch_server *s, uint64_t timeout)
{
	s->url = getenv("SZ_CLICKHOUSE_URL");
	if (s->url == NULL || *s->url == '\0')
		s->url = "http://127.0.0.1:8123";
	s->database = "";
	s->user = "";
	s->connect_timeout = 5000000000ULL;
	s->timeout = timeout;
}

int
ch_server_option(sz_tool *t, struct ch_server *s, int o)
{
	switch (o) {
	case CH_OPT_URL:
		s->url = optarg;
		return 1;
	case CH_OPT_DB:
		s->database = optarg;
		return 1;
	case CH_OPT_USER:
		s->user = optarg;
		return 1;
	case CH_OPT_PWFILE:
		s->pwfile = optarg;
		return 1;
	case CH_OPT_CTIMEOUT:
		return sz_opt_duration_pos(&t->o, "--connect-timeout",
		    &s->connect_timeout) ? '?' : 1;
	case CH_OPT_TIMEOUT:
		return sz_opt_duration_pos(&t->o, "--timeout", &s->timeout) ?
		    '?' : 1;
	}
	return 0;
}

/* The first line of --password-file (never a password on the command
 * line, where ps(1) shows it). -1, or an exit status after the message. */
static int
read_password(sz_tool *t, struct ch_server *s)
{
	FILE *f = fopen(s->pwfile, "r");
	char buf[1024];
	int bad;

	if (f == NULL) {
		sz_msg(t, "error", NULL, 0, "--password-file %s: %s",
		    s->pwfile, strerror(errno));
		return SZ_EXIT_FAIL;
	}
	if (fgets(buf, sizeof(buf), f) == NULL)
		buf[0] = '\0';
	bad = ferror(f);
	fclose(f);
	if (bad) {
		sz_msg(t, "error", NULL, 0, "--password-file %s: read error",
		    s->pwfile);
		return SZ_EXIT_FAIL;
	}
	buf[strcspn(buf, "\r\n")] = '\0';
	if ((s->password = strdup(buf)) == NULL) {
		sz_msg(t, "error", NULL, 0, "out of memory");
		return SZ_EXIT_FAIL;
	}
	return -1;
}

int
ch_server_conf(sz_tool *t, struct ch_server *s)
{
	int rc;

	if (s->pwfile != NULL && (rc = read_password(t, s)) >= 0)
		return rc;
	s->conf.url = s->url;
	s->conf.database = s->database;
	s->conf.user = s->user;
	s->conf.password = s->password;
	s->conf.connect_timeout_ms = s->connect_timeout / 1000000;
	s->conf.timeout_ms = s->timeout / 1000000;
	if (szc_global_init() < 0) {
		sz_msg(t, "error", NULL, 0, "libcurl: cannot start");
		return SZ_EXIT_FAIL;
	}
	return -1;
}

void
ch_server_free(struct ch_server *s)
{
	free(s->password);
	s->password = NULL;
}
