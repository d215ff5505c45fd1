/* SPDX-License-Identifier: MIT */
/*
 * sz-clickhouse ddl - the CREATE TABLE of an sz schema, in the dialect of
 * the server's version: id and timestamp first (StreamHouse's), then the
 * schema's fields in its order, optional ones Nullable; ORDER BY
 * (timestamp, id, index fields); PARTITION BY the schema's partitions or
 * by month (by day on 18.16 when the schema has a ttl: expire drops
 * them); TTL where the server has it. --create runs it and compares
 * DESCRIBE TABLE with the schema.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ch.h"
#include "run/schema.h"

enum { OPT_ENGINE = SZ_OPT_TOOL, OPT_CREATE, OPT_VERSION, OPT_DATETIME };

struct chd {
	struct ch_server srv;
	const char *schema, *table;
	const char *engine, *version;
	int create, dt_ms;
	sz_schema s;
};

const size_t ch_ddl_size = sizeof(struct chd);

static const char usage[] =
"Usage: sz-clickhouse ddl -s SCHEMA [-t TABLE] [OPTION]...\n"
"Write the CREATE TABLE statement for the sz schema SCHEMA, in the\n"
"dialect of the server's version; with --create, run it and check that\n"
"the table's columns are the schema's.\n"
"\n"
"  -s, --schema FILE      the sz schema\n"
"  -t, --table TABLE      the table (default: the schema's name)\n"
"      --engine MergeTree|ReplacingMergeTree  (default MergeTree)\n"
"      --create           create the table (IF NOT EXISTS), then compare\n"
"                         DESCRIBE TABLE with the schema (exit 65 when\n"
"                         they differ)\n"
"      --server-version V the server's version (default: ask it)\n"
"      --datetime=s|ms    before 20.1: datetime fields as DateTime (s), or\n"
"                         as F_ms UInt64 and F DateTime MATERIALIZED (ms)\n"
CH_SERVER_HELP;

static const struct option longopts[] = {
	{ "schema", required_argument, NULL, 's' },
	{ "table", required_argument, NULL, 't' },
	{ "engine", required_argument, NULL, OPT_ENGINE },
	{ "create", no_argument, NULL, OPT_CREATE },
	{ "server-version", required_argument, NULL, OPT_VERSION },
	{ "datetime", required_argument, NULL, OPT_DATETIME },
	CH_SERVER_LONGOPTS,
	{ NULL, 0, NULL, 0 }
};

static void
ddl_init(sz_tool *t)
{
	struct chd *c = t->ud;

	c->engine = "MergeTree";
	ch_server_init(&c->srv, 60000000000ULL);
}

static int
ddl_option(sz_tool *t, int o)
{
	struct chd *c = t->ud;
	int k;

	if ((k = ch_server_option(t, &c->srv, o)) != 0)
		return k == '?' ? '?' : 0;
	switch (o) {
	case 's':
		c->schema = optarg;
		break;
	case 't':
		c->table = optarg;
		break;
	case OPT_ENGINE:
		if (strcmp(optarg, "MergeTree") != 0 &&
		    strcmp(optarg, "ReplacingMergeTree") != 0)
			return sz_opt_fail(&t->o, "--engine: '%s' is not "
			    "MergeTree or ReplacingMergeTree", optarg);
		c->engine = optarg;
		break;
	case OPT_CREATE:
		c->create = 1;
		break;
	case OPT_VERSION:
		c->version = optarg;
		break;
	case OPT_DATETIME:
		if (strcmp(optarg, "s") == 0)
			c->dt_ms = 0;
		else if (strcmp(optarg, "ms") == 0)
			c->dt_ms = 1;
		else
			return sz_opt_fail(&t->o, "--datetime: '%s' is not s "
			    "or ms", optarg);
		break;
	}
	return 0;
}

/* The dialect: what the server has. */
struct dialect {
	int dt64, boolean, ttl;
};

static int
parse_version(const char *v, struct dialect *d)
{
	unsigned long ma, mi;
	char *e;

	errno = 0;
	ma = strtoul(v, &e, 10);
	if (e == v || *e != '.')
		return -1;
	v = e + 1;
	mi = strtoul(v, &e, 10);
	if (e == v || errno != 0)
		return -1;
	d->dt64 = ma > 20 || (ma == 20 && mi >= 1);
	d->ttl = d->dt64;
	d->boolean = ma > 21 || (ma == 21 && mi >= 12);
	return 0;
}

/* An identifier, quoted with backquotes when it is not a plain one. */
static int
add_ident(sz_buf *b, const char *n)
{
	const char *p;
	int plain = *n != '\0' && !(*n >= '0' && *n <= '9');

	for (p = n; *p && plain; p++)
		plain = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= '0' && *p <= '9') || *p == '_';
	if (plain)
		return sz_buf_adds(b, n);
	if (sz_buf_addc(b, '`') < 0)
		return -1;
	for (p = n; *p; p++)
		if (((*p == '`' || *p == '\\') && sz_buf_addc(b, '\\') < 0) ||
		    sz_buf_addc(b, *p) < 0)
			return -1;
	return sz_buf_addc(b, '`');
}

static const char *
col_type(sz_ftype ft, const struct dialect *d)
{
	switch (ft) {
	case SZ_FT_INT:
		return "Int64";
	case SZ_FT_FLOAT:
		return "Float64";
	case SZ_FT_DATETIME:
		return d->dt64 ? "DateTime64(3)" : "DateTime";
	case SZ_FT_BOOL:
		return d->boolean ? "Bool" : "UInt8";
	default:
		return "String";
	}
}

/* The field of schema s an expression's identifiers name that is
 * optional, or NULL. */
static const sz_field *
optional_in(const sz_schema *s, const char *e)
{
	const char *p = e, *b;
	size_t bn;
	int k;

	while ((b = sz_schema_expr_ident(&p, &bn)) != NULL)
		if ((k = sz_schema_field(s, b, bn)) >= 0 && !s->f[k].required)
			return &s->f[k];
	return NULL;
}

/* One column of the table: name and type (as DESCRIBE writes it) and
 * its MATERIALIZED expression or NULL. */
struct dcol {
	char name[256];
	char type[64];
	char mat[300];
};

/* The columns for the schema, materialized ones last. -1: out of
 * memory or a name too long. */
static int
columns(const struct chd *c, const struct dialect *d, struct dcol **out,
    size_t *nout)
{
	const sz_schema *s = &c->s;
	size_t n = 0, i, pass;
	struct dcol *v = calloc(2 * s->nf + 2, sizeof(*v));
	static const char *const first[] = { "id", "timestamp" };

	if (v == NULL)
		return -1;
	/* pass 0: id, timestamp; 1: the other fields */
	for (pass = 0; pass < 2; pass++) {
		for (i = 0; i < (pass == 0 ? 2 : s->nf); i++) {
			const char *name;
			sz_ftype ft;
			int req, k;
			const char *ty;
			struct dcol *x;

			if (pass == 0) {
				name = first[i];
				k = sz_schema_field(s, name, strlen(name));
				ft = k >= 0 ? s->f[k].type : i == 0 ?
				    SZ_FT_STRING : SZ_FT_DATETIME;
				req = 1;
			} else {
				name = s->f[i].name;
				if (strcmp(name, "id") == 0 ||
				    strcmp(name, "timestamp") == 0)
					continue;
				ft = s->f[i].type;
				req = s->f[i].required;
			}
			if (strlen(name) > 200) {
				free(v);
				return -1;
			}
			ty = col_type(ft, d);
			if (ft == SZ_FT_DATETIME && c->dt_ms && !d->dt64) {
				x = &v[n++];
				snprintf(x->name, sizeof(x->name), "%s_ms",
				    name);
				snprintf(x->type, sizeof(x->type), req ?
				    "UInt64" : "Nullable(UInt64)");
				continue;
			}
			x = &v[n++];
			snprintf(x->name, sizeof(x->name), "%s", name);
			snprintf(x->type, sizeof(x->type), req ? "%s" :
			    "Nullable(%s)", ty);
		}
	}
	/* the materialized DateTime columns of --datetime=ms, last */
	if (c->dt_ms && !d->dt64) {
		for (i = 0; i < 2 + s->nf; i++) {
			const char *name;
			int req, k;
			struct dcol *x;

			if (i < 2) {
				name = first[i];
				k = sz_schema_field(s, name, strlen(name));
				if (k >= 0 && s->f[k].type != SZ_FT_DATETIME)
					continue;
				if (i == 0 && k < 0)
					continue;
				req = 1;
			} else {
				const sz_field *f = &s->f[i - 2];

				name = f->name;
				if (f->type != SZ_FT_DATETIME ||
				    strcmp(name, "id") == 0 ||
				    strcmp(name, "timestamp") == 0)
					continue;
				req = f->required;
			}
			x = &v[n++];
			snprintf(x->name, sizeof(x->name), "%s", name);
			snprintf(x->type, sizeof(x->type), req ? "DateTime" :
			    "Nullable(DateTime)");
			snprintf(x->mat, sizeof(x->mat),
			    "toDateTime(intDiv(%s_ms, 1000))", name);
		}
	}
	*out = v;
	*nout = n;
	return 0;
}

/* A duration as a ClickHouse INTERVAL. */
static int
add_interval(sz_buf *b, uint64_t ns)
{
	uint64_t sec = ns / 1000000000ULL;

	if (sec == 0)
		sec = 1;
	if (sec % 86400 == 0)
		return sz_buf_printf(b, "INTERVAL %llu DAY",
		    (unsigned long long)(sec / 86400));
	if (sec % 3600 == 0)
		return sz_buf_printf(b, "INTERVAL %llu HOUR",
		    (unsigned long long)(sec / 3600));
	return sz_buf_printf(b, "INTERVAL %llu SECOND",
	    (unsigned long long)sec);
}

static int
statement(const struct chd *c, const struct dialect *d,
    const struct dcol *v, size_t n, sz_buf *b)
{
	const sz_schema *s = &c->s;
	size_t i;
	const char *ts = "timestamp";

	if (sz_buf_adds(b, "CREATE TABLE IF NOT EXISTS ") < 0 ||
	    add_ident(b, c->table) < 0 || sz_buf_adds(b, " (") < 0)
		return -1;
	for (i = 0; i < n; i++) {
		if ((i > 0 && sz_buf_adds(b, ", ") < 0) ||
		    add_ident(b, v[i].name) < 0 ||
		    sz_buf_printf(b, " %s", v[i].type) < 0)
			return -1;
		if (v[i].mat[0] != '\0' && sz_buf_printf(b,
		    " MATERIALIZED %s", v[i].mat) < 0)
			return -1;
	}
	if (sz_buf_printf(b, ") ENGINE = %s() PARTITION BY ", c->engine) < 0)
		return -1;
	if (s->nparts == 1) {
		if (sz_buf_adds(b, s->parts[0]) < 0)
			return -1;
	} else if (s->nparts > 1) {
		if (sz_buf_addc(b, '(') < 0)
			return -1;
		for (i = 0; i < s->nparts; i++)
			if ((i > 0 && sz_buf_adds(b, ", ") < 0) ||
			    sz_buf_adds(b, s->parts[i]) < 0)
				return -1;
		if (sz_buf_addc(b, ')') < 0)
			return -1;
	} else if (s->ttl_ns != 0 && !d->ttl) {
		if (sz_buf_printf(b, "toYYYYMMDD(%s)", ts) < 0)
			return -1;
	} else if (sz_buf_printf(b, "toYYYYMM(%s)", ts) < 0)
		return -1;
	if (sz_buf_printf(b, " ORDER BY (%s, id", ts) < 0)
		return -1;
	for (i = 0; i < s->nidx; i++)
		if (sz_buf_printf(b, ", %s", s->idx[i]) < 0)
			return -1;
	if (sz_buf_addc(b, ')') < 0)
		return -1;
	if (s->ttl_ns != 0 && d->ttl &&
	    (sz_buf_printf(b, " TTL toDateTime(%s) + ", ts) < 0 ||
	    add_interval(b, s->ttl_ns) < 0))
		return -1;
	return 0;
}

/* Run sql; -1, or the exit status with the error said. */
static int
run_sql(sz_tool *t, struct chd *c, const char *what, const char *sql,
    szc_reply *r)
{
	int cls = szc_query(&c->srv.conf, sql, NULL, 0, r);

	if (cls == SZC_OK)
		return -1;
	sz_msg(t, "error", NULL, 0, "ClickHouse: %s: %s", what, r->msg);
	return cls == SZC_RETRY ? SZ_EXIT_UNAVAILABLE : szc_class_exit(cls);
}

/* Compare DESCRIBE TABLE with the columns: -1 when they are the same,
 * else the exit status (65: they differ, each difference said). */
static int
compare(sz_tool *t, struct chd *c, const struct dcol *v, size_t n)
{
	szc_reply r;
	sz_buf sql = SZ_BUF_INIT;
	const char *p, *e;
	size_t i, seen = 0;
	int rc = -1, bad = 0;
	char *got = calloc(n + 1, 1);

	szc_reply_init(&r);
	if (got == NULL || sz_buf_adds(&sql, "DESCRIBE TABLE ") < 0 ||
	    add_ident(&sql, c->table) < 0 ||
	    sz_buf_adds(&sql, " FORMAT TabSeparated") < 0) {
		sz_msg(t, "error", NULL, 0, "out of memory");
		rc = SZ_EXIT_FAIL;
		goto out;
	}
	if ((rc = run_sql(t, c, "DESCRIBE TABLE", sql.p, &r)) >= 0)
		goto out;
	p = r.body.p ? r.body.p : "";
	e = p + r.body.len;
	while (p < e) {
		const char *nl = memchr(p, '\n', (size_t)(e - p));
		const char *t1, *t2;
		size_t nn, tn;

		if (nl == NULL)
			nl = e;
		t1 = memchr(p, '\t', (size_t)(nl - p));
		if (t1 == NULL) {
			p = nl + 1;
			continue;
		}
		t2 = memchr(t1 + 1, '\t', (size_t)(nl - t1 - 1));
		if (t2 == NULL)
			t2 = nl;
		nn = (size_t)(t1 - p);
		tn = (size_t)(t2 - t1 - 1);
		for (i = 0; i < n; i++)
			if (strlen(v[i].name) == nn &&
			    memcmp(v[i].name, p, nn) == 0)
				break;
		if (i == n) {
			sz_msg(t, "error", NULL, 0, "table %s: column %.*s "
			    "%.*s is not in the schema", c->table, (int)nn,
			    p, (int)tn, t1 + 1);
			bad = 1;
		} else {
			int mat = t2 < nl && (size_t)(nl - t2 - 1) >= 12 &&
			    memcmp(t2 + 1, "MATERIALIZED", 12) == 0;

			got[i] = 1;
			seen++;
			if (strlen(v[i].type) != tn ||
			    memcmp(v[i].type, t1 + 1, tn) != 0 ||
			    mat != (v[i].mat[0] != '\0')) {
				sz_msg(t, "error", NULL, 0, "table %s: column "
				    "%s is %.*s%s, the schema's is %s%s",
				    c->table, v[i].name, (int)tn, t1 + 1,
				    mat ? " MATERIALIZED" : "", v[i].type,
				    v[i].mat[0] ? " MATERIALIZED" : "");
				bad = 1;
			}
		}
		p = nl + 1;
	}
	for (i = 0; i < n; i++)
		if (!got[i]) {
			sz_msg(t, "error", NULL, 0, "table %s: no column %s "
			    "(%s in the schema)", c->table, v[i].name,
			    v[i].type);
			bad = 1;
		}
	rc = bad ? SZ_EXIT_DATA : -1;
out:
	free(got);
	sz_buf_free(&sql);
	szc_reply_free(&r);
	return rc;
}

static int
ddl_start(sz_tool *t)
{
	struct chd *c = t->ud;
	sz_buf err = SZ_BUF_INIT, b = SZ_BUF_INIT;
	struct dialect d = { 0, 0, 0 };
	struct dcol *v = NULL;
	size_t n = 0, i;
	int rc = -1, need_server;
	const sz_field *f;

	if (c->schema == NULL)
		return sz_usage(t, "ddl: missing -s SCHEMA");
	if (sz_tool_operand(t) != NULL)
		return sz_usage(t, "ddl: takes no FILE");
	if (sz_schema_load(&c->s, c->schema, &err) < 0) {
		sz_msg(t, "error", c->schema, 0, "%s",
		    err.p ? err.p : "bad schema");
		sz_buf_free(&err);
		return SZ_EXIT_USAGE;
	}
	sz_buf_free(&err);
	if (c->s.kind != SZ_SCHEMA_SZ) {
		sz_msg(t, "error", c->schema, 0, "not an sz schema (a "
		    "\"fields\" object)");
		return SZ_EXIT_USAGE;
	}
	if (c->table == NULL && (c->table = c->s.name) == NULL)
		return sz_usage(t, "ddl: missing -t TABLE (the schema has no "
		    "name)");
	for (i = 0; i < c->s.nparts; i++)
		if ((f = optional_in(&c->s, c->s.parts[i])) != NULL) {
			sz_msg(t, "error", c->schema, 0, "%s: optional, but "
			    "in partitions (ClickHouse refuses Nullable in "
			    "PARTITION BY): make it required", f->name);
			return SZ_EXIT_USAGE;
		}
	for (i = 0; i < c->s.nidx; i++)
		if ((f = optional_in(&c->s, c->s.idx[i])) != NULL) {
			sz_msg(t, "error", c->schema, 0, "%s: optional, but "
			    "in index_fields (ClickHouse refuses Nullable in "
			    "ORDER BY): make it required", f->name);
			return SZ_EXIT_USAGE;
		}
	need_server = c->create || c->version == NULL;
	if (need_server) {
		if ((rc = ch_server_conf(t, &c->srv)) >= 0)
			return rc;
	}
	if (c->version == NULL) {
		szc_reply r;
		char ver[64];

		szc_reply_init(&r);
		if ((rc = run_sql(t, c, "SELECT version()",
		    "SELECT version()", &r)) >= 0) {
			szc_reply_free(&r);
			return rc;
		}
		snprintf(ver, sizeof(ver), "%.*s", (int)(r.body.p ?
		    strcspn(r.body.p, "\n") : 0), r.body.p ? r.body.p : "");
		szc_reply_free(&r);
		if (parse_version(ver, &d) < 0) {
			sz_msg(t, "error", NULL, 0, "ClickHouse: version '%s' "
			    "not understood", ver);
			return SZ_EXIT_FAIL;
		}
	} else if (parse_version(c->version, &d) < 0)
		return sz_usage(t, "--server-version: '%s' is not like 18.16",
		    c->version);
	if (columns(c, &d, &v, &n) < 0 || statement(c, &d, v, n, &b) < 0) {
		sz_msg(t, "error", NULL, 0, "out of memory (or a field name "
		    "over 200 bytes)");
		rc = SZ_EXIT_FAIL;
		goto out;
	}
	if (c->create) {
		szc_reply r;

		szc_reply_init(&r);
		rc = run_sql(t, c, "CREATE TABLE", b.p, &r);
		szc_reply_free(&r);
		if (rc >= 0)
			goto out;
		if ((rc = compare(t, c, v, n)) >= 0)
			goto out;
	}
	if (sz_buf_addc(&b, '\n') < 0) {
		rc = SZ_EXIT_FAIL;
		goto out;
	}
	if (fwrite(b.p, 1, b.len, stdout) != b.len || fflush(stdout) != 0) {
		sz_msg(t, "error", NULL, 0, "standard output: %s",
		    strerror(errno));
		rc = SZ_EXIT_FAIL;
		goto out;
	}
	rc = SZ_EXIT_OK;
out:
	free(v);
	sz_buf_free(&b);
	return rc;
}

static void
ddl_done(sz_tool *t)
{
	struct chd *c = t->ud;

	sz_schema_free(&c->s);
	ch_server_free(&c->srv);
}

const sz_tool_def ch_ddl_def = {
	.prog = "sz-clickhouse", .usage = usage, .shortopts = "s:t:",
	.longopts = longopts, .init = ddl_init, .option = ddl_option,
	.start = ddl_start, .done = ddl_done,
};
