/* SPDX-License-Identifier: MIT */
/*
 * sz-validate - check records against a schema (an sz schema of typed
 * fields, or a JSON Schema subset) and pass the valid ones, byte for byte
 * in check mode, converted exactly into what a typed table stores in
 * convert mode; an invalid record is bad input whose message and dead
 * letter list every error in schema order. The schema model is
 * run/schema.h's.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "run/schema.h"
#include "run/tool.h"

struct validate {
	const char *path;	/* -s */
	int mode;		/* 0 unset, 1 check, 2 convert */
	int defaults, implicit, emit, compat;
	sz_sopts so;
	sz_schema s;
	sz_scheck c;
	int have_c;
};

static const char usage[] =
"Usage: sz-validate -s SCHEMA [OPTION]... [FILE]...\n"
"  or:  sz-validate --compat OLD NEW\n"
"Check NDJSON records against SCHEMA, an sz schema (typed fields, JSON or\n"
"YAML) or a JSON Schema (draft 7 / 2020-12 subset), and write the valid\n"
"ones; an invalid record is bad input, every error of it listed.\n"
"\n"
"  -s, --schema=FILE      the schema\n"
"      --mode=check|convert\n"
"                         check: JSON types, records unchanged (default for\n"
"                         a JSON Schema); convert: exact conversion to the\n"
"                         field types (default for an sz schema)\n"
"      --time-out=rfc3339|clickhouse|epoch-ms\n"
"                         datetime fields as rfc3339 (default), clickhouse\n"
"                         or epoch-ms\n"
"      --truncate-time    drop fractions of a second for clickhouse\n"
"      --json-out=string  json fields as a string of their JSON text\n"
"      --coerce-strings   numbers become strings in string fields\n"
"      --defaults         fill defaults in check mode too\n"
"      --implicit         add id (a UUIDv4) and timestamp (now) if missing\n"
"      --extra=keep|drop|reject|error\n"
"                         fields not in the schema: keep (default), drop,\n"
"                         reject (or error, as in sz-to-csv)\n"
"      --emit-jsonschema  print the draft-07 JSON Schema of an sz schema\n"
"      --compat           is every record valid under OLD valid under NEW?\n"
"                         (exit 0 yes, 1 no, each reason on stdout)\n";

enum {
	OPT_MODE = SZ_OPT_TOOL, OPT_TIMEOUT, OPT_TRUNC, OPT_JSONOUT,
	OPT_COERCE, OPT_DEFAULTS, OPT_IMPLICIT, OPT_EXTRA, OPT_EMIT,
	OPT_COMPAT
};

static const struct option longopts[] = {
	{ "schema", required_argument, NULL, 's' },
	{ "mode", required_argument, NULL, OPT_MODE },
	{ "time-out", required_argument, NULL, OPT_TIMEOUT },
	{ "truncate-time", no_argument, NULL, OPT_TRUNC },
	{ "json-out", required_argument, NULL, OPT_JSONOUT },
	{ "coerce-strings", no_argument, NULL, OPT_COERCE },
	{ "defaults", no_argument, NULL, OPT_DEFAULTS },
	{ "implicit", no_argument, NULL, OPT_IMPLICIT },
	{ "extra", required_argument, NULL, OPT_EXTRA },
	{ "emit-jsonschema", no_argument, NULL, OPT_EMIT },
	{ "compat", no_argument, NULL, OPT_COMPAT },
	{ NULL, 0, NULL, 0 }
};

static int64_t
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int
validate_record(sz_tool *t, const sz_rec *r)
{
	struct validate *v = t->ud;
	int rc = sz_scheck_record(&v->c, r->p, r->n, r->ix,
	    v->implicit ? now_ns() : 0);

	if (rc < 0)
		return sz_fail(t, SZ_EXIT_FAIL, "out of memory");
	if (rc == 1)
		return sz_bad_more(t, r, "validation", v->c.errs.p,
		    v->c.errs.len, v->c.msg.p);
	if (v->c.changed)
		return sz_emit(t, v->c.out.p, v->c.out.len);
	return sz_emit(t, r->p, r->n);
}

static void
validate_stats(sz_tool *t, sz_statv *sv)
{
	struct validate *v = t->ud;

	sz_stat_counter(sv, "converted", v->c.converted);
	sz_stat_counter(sv, "defaulted", v->c.defaulted);
	sz_stat_counter(sv, "dropped_fields", v->c.dropped_fields);
	sz_stat_group(sv, "failures", "field");
	for (size_t i = 0; i < v->c.nfname; i++)
		sz_stat_counter(sv, v->c.fname[i][0] ? v->c.fname[i] :
		    "(record)", v->c.fcount[i]);
	if (v->c.fother > 0)
		sz_stat_counter(sv, "(other)", v->c.fother);
	sz_stat_group(sv, NULL, NULL);
}

static const sz_proc validate_proc = {
	.record = validate_record,
	.stats = validate_stats,
};

static int
pick(sz_tool *t, const char *opt, const char *const *words, int *out)
{
	char list[64] = "";

	for (int i = 0; words[i] != NULL; i++) {
		if (strcmp(optarg, words[i]) == 0) {
			*out = i;
			return 0;
		}
		snprintf(list + strlen(list), sizeof(list) - strlen(list),
		    "%s%s", i ? ", " : "", words[i]);
	}
	return sz_opt_fail(&t->o, "%s: '%s' is not one of %s", opt, optarg,
	    list);
}

static int
nomem(sz_tool *t)
{
	sz_msg(t, "error", NULL, 0, "out of memory");
	return SZ_EXIT_FAIL;
}

static int
validate_option(sz_tool *t, int c)
{
	static const char *const modes[] = { "check", "convert", NULL };
	static const char *const times[] = { "rfc3339", "clickhouse",
	    "epoch-ms", NULL };
	static const char *const jsonout[] = { "keep", "string", NULL };
	static const char *const extras[] = { "keep", "drop", "reject",
	    "error", NULL };
	struct validate *v = t->ud;
	int k;

	switch (c) {
	case 's':
		v->path = optarg;
		break;
	case OPT_MODE:
		if (pick(t, "--mode", modes, &k) != 0)
			return '?';
		v->mode = k + 1;
		break;
	case OPT_TIMEOUT:
		return pick(t, "--time-out", times, &v->so.time_out);
	case OPT_TRUNC:
		v->so.truncate_time = 1;
		break;
	case OPT_JSONOUT:
		return pick(t, "--json-out", jsonout, &v->so.json_string);
	case OPT_COERCE:
		v->so.coerce_strings = 1;
		break;
	case OPT_DEFAULTS:
		v->defaults = 1;
		break;
	case OPT_IMPLICIT:
		v->implicit = 1;
		break;
	case OPT_EXTRA:
		/* "error" is sz-to-csv's word for reject */
		if (pick(t, "--extra", extras, &k) != 0)
			return '?';
		v->so.extra = k == 3 ? SZ_EXTRA_REJECT : k;
		break;
	case OPT_EMIT:
		v->emit = 1;
		break;
	case OPT_COMPAT:
		v->compat = 1;
		break;
	}
	return 0;
}

/* Print b on stdout; 0, or 1 when writing failed. */
static int
print(sz_tool *t, const sz_buf *b)
{
	if ((b->len > 0 && fwrite(b->p, 1, b->len, stdout) != b->len) ||
	    fflush(stdout) != 0) {
		sz_msg(t, "error", NULL, 0, "standard output: write error");
		return SZ_EXIT_FAIL;
	}
	return 0;
}

static int
load(sz_tool *t, sz_schema *s, const char *path)
{
	sz_buf err = SZ_BUF_INIT;
	int rc = -1;

	if (sz_schema_load(s, path, &err) < 0)
		rc = sz_usage(t, "%s: %s", path, err.p ? err.p : "error");
	sz_buf_free(&err);
	return rc;
}

static int
compat(sz_tool *t)
{
	const char *a = sz_tool_operand(t), *b = sz_tool_operand(t);
	sz_schema old, nw;
	sz_buf out = SZ_BUF_INIT;
	struct validate *v = t->ud;
	int rc, n;

	if (a == NULL || b == NULL || sz_tool_operand(t) != NULL)
		return sz_usage(t, "--compat takes two schemas, OLD and NEW");
	if ((rc = load(t, &old, a)) >= 0)
		return rc;
	if ((rc = load(t, &nw, b)) >= 0) {
		sz_schema_free(&old);
		return rc;
	}
	if (old.kind != SZ_SCHEMA_SZ || nw.kind != SZ_SCHEMA_SZ)
		rc = sz_usage(t, "--compat compares two sz schemas");
	else if ((n = sz_schema_compat(&old, &nw,
	    v->so.extra == SZ_EXTRA_REJECT, &out)) < 0)
		rc = nomem(t);
	else {
		if (n == 0)
			sz_buf_adds(&out, "compatible\n");
		rc = print(t, &out);
		if (rc == 0 && n > 0)
			rc = SZ_EXIT_FAIL;
	}
	sz_buf_free(&out);
	sz_schema_free(&old);
	sz_schema_free(&nw);
	return rc;
}

static int
validate_start(sz_tool *t)
{
	struct validate *v = t->ud;
	int rc;

	if (v->compat)
		return compat(t);
	if (v->path == NULL)
		return sz_usage(t, "give a schema: -s FILE");
	if ((rc = load(t, &v->s, v->path)) >= 0)
		return rc;
	if (v->emit) {
		sz_buf out = SZ_BUF_INIT;

		if (v->s.kind != SZ_SCHEMA_SZ)
			rc = sz_usage(t, "--emit-jsonschema: %s is a JSON "
			    "Schema already", v->path);
		else if (sz_schema_emit_jsonschema(&v->s, &out) < 0 ||
		    sz_buf_addc(&out, '\n') < 0)
			rc = SZ_EXIT_FAIL;
		else
			rc = print(t, &out);
		sz_buf_free(&out);
		return rc;
	}
	if (v->mode == 0)
		v->mode = v->s.kind == SZ_SCHEMA_SZ ? 2 : 1;
	if (v->mode == 2 && v->s.kind != SZ_SCHEMA_SZ)
		return sz_usage(t, "--mode=convert needs an sz schema (%s is a "
		    "JSON Schema)", v->path);
	if (v->implicit && v->s.kind != SZ_SCHEMA_SZ)
		return sz_usage(t, "--implicit needs an sz schema");
	if (v->implicit && sz_schema_implicit(&v->s) < 0)
		return nomem(t);
	v->so.convert = v->mode == 2;
	v->so.defaults = v->so.convert || v->defaults;
	if (sz_scheck_init(&v->c, &v->s, &v->so) < 0)
		return nomem(t);
	v->have_c = 1;
	return -1;
}

static void
validate_done(sz_tool *t)
{
	struct validate *v = t->ud;

	if (v->have_c)
		sz_scheck_free(&v->c);
	sz_schema_free(&v->s);
}

static const sz_tool_def validate_def = {
	.prog = "sz-validate", .usage = usage, .shortopts = "s:",
	.longopts = longopts, .proc = &validate_proc,
	.option = validate_option, .start = validate_start,
	.done = validate_done,
};

SZ_TOOL_MAIN(validate_def, struct validate)
