/* SPDX-License-Identifier: MIT */
/*
 * sz-clickhouse expire - drop the partitions of a table whose rows are
 * all older than a duration (the schema's ttl by default): what TTL does
 * on the servers that have it. The partitions come from system.parts
 * (their newest time, max_time, of the DateTime in the partition key);
 * each is dropped with ALTER TABLE ... DROP PARTITION and written as one
 * JSON line; --dry-run only writes them.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ch.h"
#include "json/json.h"
#include "json/str.h"
#include "run/schema.h"

enum { OPT_OLDER = SZ_OPT_TOOL, OPT_DRY };

struct che {
	struct ch_server srv;
	const char *schema, *table;
	uint64_t older;
	int have_older, dry;
};

const size_t ch_expire_size = sizeof(struct che);

static const char usage[] =
"Usage: sz-clickhouse expire -t TABLE [-s SCHEMA] [--older-than DURATION]\n"
"                            [--dry-run] [OPTION]...\n"
"Drop the partitions of TABLE whose rows are all older than DURATION\n"
"(default: the schema's ttl), one JSON line each\n"
"({\"table\",\"partition\",\"rows\",\"newest\"}).\n"
"\n"
"  -t, --table TABLE      the table\n"
"  -s, --schema FILE      the sz schema (for its ttl)\n"
"      --older-than DURATION  drop what is older than this\n"
"      --dry-run          only write the partitions that would be dropped\n"
CH_SERVER_HELP;

static const struct option longopts[] = {
	{ "table", required_argument, NULL, 't' },
	{ "schema", required_argument, NULL, 's' },
	{ "older-than", required_argument, NULL, OPT_OLDER },
	{ "dry-run", no_argument, NULL, OPT_DRY },
	CH_SERVER_LONGOPTS,
	{ NULL, 0, NULL, 0 }
};

static void
ex_init(sz_tool *t)
{
	struct che *c = t->ud;

	ch_server_init(&c->srv, 300000000000ULL);
}

static int
ex_option(sz_tool *t, int o)
{
	struct che *c = t->ud;
	int k;

	if ((k = ch_server_option(t, &c->srv, o)) != 0)
		return k == '?' ? '?' : 0;
	switch (o) {
	case 't':
		c->table = optarg;
		break;
	case 's':
		c->schema = optarg;
		break;
	case OPT_OLDER:
		c->have_older = 1;
		return sz_opt_duration(&t->o, "--older-than", &c->older);
	case OPT_DRY:
		c->dry = 1;
		break;
	}
	return 0;
}

/* s as an SQL string literal. */
static int
add_literal(sz_buf *b, const char *s)
{
	if (sz_buf_addc(b, '\'') < 0)
		return -1;
	for (; *s; s++)
		if (((*s == '\'' || *s == '\\') && sz_buf_addc(b, '\\') < 0) ||
		    sz_buf_addc(b, *s) < 0)
			return -1;
	return sz_buf_addc(b, '\'');
}

static int
query(sz_tool *t, struct che *c, const char *what, const char *sql,
    szc_reply *r)
{
	int cls = szc_query(&c->srv.conf, sql, NULL, 0, r);

	if (cls == SZC_OK)
		return -1;
	sz_msg(t, "error", NULL, 0, "ClickHouse: %s: %s", what, r->msg);
	return cls == SZC_RETRY ? SZ_EXIT_UNAVAILABLE : szc_class_exit(cls);
}

static int
ex_start(sz_tool *t)
{
	struct che *c = t->ud;
	sz_buf sql = SZ_BUF_INIT, part = SZ_BUF_INIT;
	szc_reply r;
	const char *p, *e;
	int rc;

	if (c->table == NULL)
		return sz_usage(t, "expire: missing -t TABLE");
	if (sz_tool_operand(t) != NULL)
		return sz_usage(t, "expire: takes no FILE");
	if (!c->have_older && c->schema != NULL) {
		sz_schema s;
		sz_buf err = SZ_BUF_INIT;

		if (sz_schema_load(&s, c->schema, &err) < 0) {
			sz_msg(t, "error", c->schema, 0, "%s",
			    err.p ? err.p : "bad schema");
			sz_buf_free(&err);
			return SZ_EXIT_USAGE;
		}
		sz_buf_free(&err);
		c->older = s.ttl_ns;
		c->have_older = s.ttl_ns != 0;
		sz_schema_free(&s);
		if (!c->have_older) {
			sz_msg(t, "error", c->schema, 0, "the schema has no "
			    "ttl: give --older-than");
			return SZ_EXIT_USAGE;
		}
	}
	if (!c->have_older)
		return sz_usage(t, "expire: give --older-than DURATION or -s "
		    "SCHEMA with a ttl");
	if ((rc = ch_server_conf(t, &c->srv)) >= 0)
		return rc;
	c->srv.conf.settings = "output_format_json_quote_64bit_integers=0";
	szc_reply_init(&r);
	/* the table must exist (else 69, like insert's DESCRIBE) */
	if (sz_buf_printf(&sql, "DESCRIBE TABLE %s", c->table) < 0)
		goto oom;
	if ((rc = query(t, c, "DESCRIBE TABLE", sql.p, &r)) >= 0)
		goto out;
	szc_reply_free(&r);
	szc_reply_init(&r);
	sz_buf_reset(&sql);
	/* (the table column itself: an alias "table" would shadow it in
	 * WHERE) */
	if (sz_buf_adds(&sql, "SELECT table, partition, sum(rows) AS rows, "
	    "toString(max(max_time)) AS newest FROM system.parts WHERE "
	    "active AND database = currentDatabase() AND table = ") < 0 ||
	    add_literal(&sql, c->table) < 0 ||
	    sz_buf_printf(&sql, " GROUP BY table, partition HAVING max(max_time) > "
	    "toDateTime(0) AND max(max_time) < now() - %llu ORDER BY "
	    "partition FORMAT JSONEachRow",
	    (unsigned long long)(c->older / 1000000000ULL)) < 0)
		goto oom;
	if ((rc = query(t, c, "system.parts", sql.p, &r)) >= 0)
		goto out;
	p = r.body.p ? r.body.p : "";
	e = p + r.body.len;
	while (p < e) {
		static const sz_step sp = { SZ_STEP_KEY, "partition", 9, 0 };
		const char *nl = memchr(p, '\n', (size_t)(e - p)), *v;
		size_t len, vn;

		if (nl == NULL)
			nl = e;
		len = (size_t)(nl - p);
		if (len == 0 || sz_json_get(p, len, &sp, &v, &vn, NULL) !=
		    SZ_GET_FOUND) {
			p = nl + 1;
			continue;
		}
		if (!c->dry) {
			szc_reply d;

			sz_buf_reset(&part);
			if (sz_json_unescape(v, vn, &part) < 0)
				goto oom;
			sz_buf_reset(&sql);
			if (sz_buf_printf(&sql, "ALTER TABLE %s DROP PARTITION "
			    "%s", c->table, part.p ? part.p : "") < 0)
				goto oom;
			szc_reply_init(&d);
			rc = query(t, c, "ALTER TABLE DROP PARTITION", sql.p,
			    &d);
			szc_reply_free(&d);
			if (rc >= 0)
				goto out;
		}
		if (fwrite(p, 1, len, stdout) != len ||
		    putchar('\n') == EOF || fflush(stdout) != 0) {
			sz_msg(t, "error", NULL, 0, "standard output: %s",
			    strerror(errno));
			rc = SZ_EXIT_FAIL;
			goto out;
		}
		p = nl + 1;
	}
	rc = SZ_EXIT_OK;
	goto out;
oom:
	sz_msg(t, "error", NULL, 0, "out of memory");
	rc = SZ_EXIT_FAIL;
out:
	szc_reply_free(&r);
	sz_buf_free(&sql);
	sz_buf_free(&part);
	return rc;
}

static void
ex_done(sz_tool *t)
{
	struct che *c = t->ud;

	ch_server_free(&c->srv);
}

const sz_tool_def ch_expire_def = {
	.prog = "sz-clickhouse", .usage = usage, .shortopts = "t:s:",
	.longopts = longopts, .init = ex_init, .option = ex_option,
	.start = ex_start, .done = ex_done,
};
