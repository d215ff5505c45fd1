/* SPDX-License-Identifier: MIT */
/*
 * sz-unwrap - read dead-letter files (sz(7) DEAD LETTERS) and write each
 * original record exactly as it was read, so that
 *	sz-unwrap dead.ndjson | the-same-pipeline
 * tries them again: for "error_kind":"parse" the "record" string decoded
 * (the line it was, byte for byte: run/report.c writes a bad UTF-8 byte
 * as \udcXX), otherwise the "record" member's text. --kind (any of them)
 * and --tool (as well) select letters; a line that is not a dead letter
 * is bad input.
 */
#include <stdlib.h>
#include <string.h>

#include "json/json.h"
#include "json/str.h"
#include "run/tool.h"

struct unwrap {
	const char **kinds;	/* --kind, any of them; none: every kind */
	size_t nkinds;
	const char *tool;	/* --tool, or NULL */
	sz_buf raw;		/* a parse record's bytes */
	uint64_t parse;		/* records that were not JSON */
};

static const char usage[] =
"Usage: sz-unwrap [OPTION]... [FILE]...\n"
"Read dead letters (the --dlq files of sz tools) and write each record as\n"
"it was read: a line that was not JSON as its own bytes, a JSON record as\n"
"its text, so that the records can go through a pipeline again.\n"
"\n"
"      --kind KIND        only letters whose error_kind is KIND (repeat:\n"
"                         any of them)\n"
"      --tool NAME        only letters written by the tool NAME (e.g.\n"
"                         sz-map; with --kind, both must hold)\n";

enum { OPT_KIND = SZ_OPT_TOOL, OPT_TOOL };

static const struct option longopts[] = {
	{ "kind", required_argument, NULL, OPT_KIND },
	{ "tool", required_argument, NULL, OPT_TOOL },
	{ NULL, 0, NULL, 0 }
};

/* The value of member `name` of the object r (the last one, as jq), or
 * NULL when r is not an object or has none. */
static const char *
member(const sz_rec *r, const char *name, size_t *n)
{
	sz_step st = { SZ_STEP_KEY, name, strlen(name), 0 };
	const char *v;
	sz_jtype et;

	if (sz_json_get(r->p, r->n, &st, &v, n, &et) != SZ_GET_FOUND)
		return NULL;
	return v;
}

static int
is_string(const char *v)
{
	return *v == '"';
}

static int
unwrap_record(sz_tool *t, const sz_rec *r)
{
	struct unwrap *u = t->ud;
	const char *tool, *kind, *rec;
	size_t tn, kn, rn, i;
	int parse;

	tool = member(r, "tool", &tn);
	kind = member(r, "error_kind", &kn);
	rec = member(r, "record", &rn);
	if (tool == NULL || kind == NULL || rec == NULL)
		return sz_bad(t, r, "validation", 1, "not a dead letter: "
		    "no \"%s\" member", tool == NULL ? "tool" : kind == NULL ?
		    "error_kind" : "record");
	if (!is_string(tool) || !is_string(kind))
		return sz_bad(t, r, "validation", 1, "not a dead letter: "
		    "\"%s\" is not a string", !is_string(tool) ? "tool" :
		    "error_kind");
	parse = sz_json_str_eq(kind, kn, "parse", 5);
	if (parse && !is_string(rec))
		return sz_bad(t, r, "validation", 1, "not a dead letter: "
		    "the \"record\" of kind \"parse\" is not a string");
	if (u->tool != NULL &&
	    !sz_json_str_eq(tool, tn, u->tool, strlen(u->tool)))
		return sz_drop(t, NULL, r->p, r->n);
	for (i = 0; i < u->nkinds; i++)
		if (sz_json_str_eq(kind, kn, u->kinds[i],
		    strlen(u->kinds[i])))
			break;
	if (u->nkinds > 0 && i == u->nkinds)
		return sz_drop(t, NULL, r->p, r->n);
	if (!parse)
		return sz_emit(t, rec, rn);
	u->parse++;
	sz_buf_reset(&u->raw);
	if (sz_json_unescape_bytes(rec, rn, &u->raw) != 0)
		return sz_fail(t, SZ_EXIT_FAIL, "out of memory");
	return sz_emit(t, u->raw.p, u->raw.len);
}

static void
unwrap_stats(sz_tool *t, sz_statv *v)
{
	struct unwrap *u = t->ud;

	sz_stat_counter(v, "parse", u->parse);
}

static const sz_proc unwrap_proc = {
	.record = unwrap_record,
	.stats = unwrap_stats,
};

static int
unwrap_option(sz_tool *t, int c)
{
	struct unwrap *u = t->ud;
	const char **nk;

	switch (c) {
	case OPT_KIND:
		nk = realloc(u->kinds, (u->nkinds + 1) * sizeof(*nk));
		if (nk == NULL)
			return sz_opt_fail(&t->o, "out of memory");
		u->kinds = nk;
		u->kinds[u->nkinds++] = optarg;
		break;
	case OPT_TOOL:
		u->tool = optarg;
		break;
	}
	return 0;
}

static void
unwrap_done(sz_tool *t)
{
	struct unwrap *u = t->ud;

	free(u->kinds);
	sz_buf_free(&u->raw);
}

static const sz_tool_def unwrap_def = {
	.prog = "sz-unwrap", .usage = usage, .longopts = longopts,
	.proc = &unwrap_proc, .option = unwrap_option, .done = unwrap_done,
};

SZ_TOOL_MAIN(unwrap_def, struct unwrap)
