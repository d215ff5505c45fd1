/* SPDX-License-Identifier: MIT */
/*
 * sz-clickhouse - NDJSON records into ClickHouse: the CREATE TABLE of an
 * sz schema (ddl), batched inserts that commit whole or not at all
 * (insert), and the partitions older than a ttl dropped (expire). This
 * file chooses the subcommand.
 */
#include <stdlib.h>
#include <string.h>

#include "ch.h"

static const char usage[] =
"Usage: sz-clickhouse ddl|insert|expire [OPTION]... [FILE]...\n"
"NDJSON records into ClickHouse:\n"
"  ddl    -s SCHEMA   the CREATE TABLE for an sz schema (--create: run it)\n"
"  insert -t TABLE    insert the records in batches that commit whole\n"
"  expire -t TABLE    drop the partitions older than the schema's ttl\n"
"Run 'sz-clickhouse SUBCOMMAND --help' for a subcommand's options.\n"
"\n"
"Server options (each subcommand):\n"
"      --url URL          the server's HTTP interface (default\n"
"                         $SZ_CLICKHOUSE_URL, else http://127.0.0.1:8123)\n"
"      --database DB      the database (default: the server's)\n"
"      --user USER        the ClickHouse user\n"
"      --password-file FILE  the password: the first line of FILE\n"
"      --connect-timeout DURATION  (default 5s)\n"
"insert also takes:\n"
"      --retry-for DURATION  how long to retry a batch (default 5m)\n"
"      --timeout DURATION one request at most (default 5m)\n";

static const struct option longopts[] = {
	{ NULL, 0, NULL, 0 }
};

static int
top_start(sz_tool *t)
{
	const char *w = sz_tool_operand(t);

	if (w == NULL)
		return sz_usage(t, "missing subcommand (ddl, insert or "
		    "expire)");
	return sz_usage(t, "unknown subcommand '%s' (ddl, insert or expire)",
	    w);
}

static const sz_tool_def top_def = {
	.prog = "sz-clickhouse", .usage = usage, .shortopts = "",
	.longopts = longopts, .start = top_start,
};

int
main(int argc, char **argv)
{
	const sz_tool_def *def = &top_def;
	size_t size = 1;
	void *st;
	int rc;

	if (argc > 1) {
		if (strcmp(argv[1], "ddl") == 0)
			def = &ch_ddl_def, size = ch_ddl_size;
		else if (strcmp(argv[1], "insert") == 0)
			def = &ch_insert_def, size = ch_insert_size;
		else if (strcmp(argv[1], "expire") == 0)
			def = &ch_expire_def, size = ch_expire_size;
	}
	if ((st = calloc(1, size)) == NULL)
		return SZ_EXIT_FAIL;
	if (def != &top_def) {
		argv[1] = argv[0];
		rc = sz_tool_main(def, st, size, argc - 1, argv + 1);
	} else
		rc = sz_tool_main(def, st, size, argc, argv);
	free(st);
	return rc;
}
