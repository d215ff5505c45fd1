/* SPDX-License-Identifier: MIT */
/*
 * sz-partition - send every record, byte for byte, to exactly one of N
 * destinations: by the FNV-1a 64-bit hash of its key's canonical text
 * modulo N, or in turn (streamz Partition); or, with --by-value, to one
 * file per value of an expression (partition/byvalue.c).
 *
 * The destinations are N files named by a template with %d, or N children
 * (`|COMMAND`) whose output is merged into ours; see common/run/dest.c.
 */
#include <stdlib.h>
#include <string.h>

#include "core/hash.h"
#include "partition/byvalue.h"
#include "run/dest.h"
#include "run/key.h"
#include "run/tool.h"

#define DEFAULT_BUFFER 1000
#define QUEUE_BYTES ((size_t)64 << 20)
#define MAX_PARTITIONS 10000

struct partition {
	sz_key key;		/* --key, --no-fast */
	uint64_t n;		/* -n */
	uint64_t next;		/* --round-robin: the next partition */
	sz_dest **d;		/* the N destinations */
	uint64_t *written;	/* records written, per partition */
	sz_dests ds;
	int rr;			/* --round-robin */
	uint64_t buffer;	/* --buffer */
	int buffer_set;
	const char *byvalue;	/* --by-value EXPR, or NULL */
	uint64_t max_files;	/* --max-files */
	int max_files_set;
	bv bv;			/* the --by-value files */
};

static const char usage[] =
"Usage: sz-partition (--key EXPR | --round-robin) -n N DEST-TEMPLATE [FILE]...\n"
"  or:  sz-partition --by-value EXPR TEMPLATE [FILE]...\n"
"Send each NDJSON record, unchanged, to exactly one of N destinations,\n"
"numbered 0 to N-1: the FNV-1a 64-bit hash of the canonical text of its\n"
"key, modulo N, or each in turn; or to one file per value of EXPR.\n"
"\n"
SZ_KEY_HELP
"      --round-robin      partitions in turn, 0, 1, ..., N-1, 0, ...\n"
"  -n, --partitions N     the number of partitions (1 to 10000)\n"
"      --buffer N         records queued for each pipe (default 1000)\n"
"      --by-value EXPR    one file per value of the jq expression EXPR\n"
"                         (instead of --key, --round-robin and -n)\n"
"      --max-files N      with --by-value: at most N files open at once\n"
"                         (1 to 100000, default 128); the least recently\n"
"                         used is closed first, and appended to later\n"
"      --max-keys N       with --by-value: at most N files in a run (1 to\n"
"                         3000000000, default 1000000); a record with a\n"
"                         value beyond them is bad input\n"
SZ_KEY_NOFAST_HELP
SZ_JQ_HELP_F_KEY SZ_JQ_HELP_VARS
"\n"
"DEST-TEMPLATE: a path with %d (the partition number; %% is a %), truncated,\n"
"or >>PATH appended to, or |COMMAND: N children run by /bin/sh with\n"
"SZ_PARTITION=i and SZ_PARTITIONS=N in their environment, reading their\n"
"records on stdin; their output is merged into stdout line by line.\n"
"\n"
"TEMPLATE (--by-value): a path with one %s in its last part (%% is a %),\n"
"or >>PATH; %s is the value: a string as its text, anything else as\n"
"jq -cS prints it, with /, %, control bytes and a leading . as %XX and\n"
"the empty string as %. A file is truncated when the run first opens it\n"
"(>>PATH: never), appended to when reopened. The directory must exist.\n";

enum { OPT_RR = SZ_OPT_TOOL, OPT_BUFFER, OPT_BYVALUE, OPT_MAXFILES };

static const struct option longopts[] = {
	SZ_KEY_LONGOPTS,
	{ "round-robin", no_argument, NULL, OPT_RR },
	{ "partitions", required_argument, NULL, 'n' },
	{ "buffer", required_argument, NULL, OPT_BUFFER },
	{ "by-value", required_argument, NULL, OPT_BYVALUE },
	{ "max-files", required_argument, NULL, OPT_MAXFILES },
	SZ_KEY_MAXKEYS_LONGOPT,
	SZ_JQ_LONGOPTS,
	{ NULL, 0, NULL, 0 }
};

static int
partition_record(sz_tool *t, const sz_rec *r)
{
	struct partition *pt = t->ud;
	uint64_t i;

	if (pt->key.have_key) {
		int rc;

		if ((rc = sz_key_get(&pt->key, t, r)) != 1)
			return rc;
		i = sz_fnv1a(pt->key.kb.p, pt->key.kb.len) % pt->n;
	} else {
		i = pt->next;
		pt->next = (pt->next + 1) % pt->n;
	}
	return sz_dest_put(&pt->ds, pt->d[i], r, (uint32_t)i);
}

static int
partition_end(sz_tool *t)
{
	struct partition *pt = t->ud;

	return sz_dests_end(&pt->ds);
}

static void
partition_idle(sz_tool *t)
{
	struct partition *pt = t->ud;

	sz_dests_idle(&pt->ds);
}

static void
partition_child(sz_tool *t)
{
	struct partition *pt = t->ud;

	sz_dests_child(&pt->ds);
}

static void
partition_stats(sz_tool *t, sz_statv *v)
{
	struct partition *pt = t->ud;

	sz_stat_group(v, "partitions", "partition");
	for (uint64_t i = 0; i < pt->n; i++)
		sz_stat_element(v, (long)i, pt->written[i]);
	sz_stat_group(v, NULL, NULL);
	sz_stat_counter(v, "merged", pt->ds.merged);
}

static void
on_written(void *ud, uint32_t tag)
{
	struct partition *pt = ud;

	pt->written[tag]++;
}

static const sz_proc partition_proc = {
	.record = partition_record,
	.end = partition_end,
	.idle = partition_idle,
	.child = partition_child,
	.stats = partition_stats,
};

/* ---- --by-value ---------------------------------------------------------- */

static int
byvalue_record(sz_tool *t, const sz_rec *r)
{
	struct partition *pt = t->ud;

	return bv_record(&pt->bv, r);
}

static int
byvalue_end(sz_tool *t)
{
	struct partition *pt = t->ud;

	return bv_end(&pt->bv);
}

static void
byvalue_idle(sz_tool *t)
{
	struct partition *pt = t->ud;

	bv_idle(&pt->bv);
}

static void
byvalue_stats(sz_tool *t, sz_statv *v)
{
	struct partition *pt = t->ud;

	bv_stats(&pt->bv, v);
}

static const sz_proc byvalue_proc = {
	.record = byvalue_record,
	.end = byvalue_end,
	.idle = byvalue_idle,
	.stats = byvalue_stats,
};

/* --by-value EXPR TEMPLATE: the other modes' options are usage errors. */
static int
byvalue_start(sz_tool *t, struct partition *pt)
{
	char err[1024];
	const char *tmpl;
	int rc;

	if (pt->key.keysrc != NULL || pt->rr || pt->n != 0 || pt->buffer_set)
		return sz_usage(t, "--by-value cannot be combined with "
		    "--key, --round-robin, -n or --buffer");
	if ((tmpl = sz_tool_operand(t)) == NULL)
		return sz_usage(t, "missing TEMPLATE");
	if (tmpl[0] == '|' || sz_dest_is_stdout(tmpl))
		return sz_usage(t, "TEMPLATE: '%s': --by-value writes files: "
		    "give a path with %%s", tmpl);
	if (bv_template(&pt->bv, tmpl, err, sizeof(err)) != 0)
		return sz_usage(t, "TEMPLATE: %s", err);
	pt->key.keysrc = pt->byvalue;
	pt->key.keyopt = "--by-value";
	if ((rc = sz_key_compile(&pt->key, t)) != 0)
		return rc;
	if ((rc = bv_start(&pt->bv, t, &pt->key, pt->max_files,
	    pt->key.max_keys)) != 0)
		return rc;
	t->proc = &byvalue_proc;
	return -1;
}

/* ---- setting up ---------------------------------------------------------- */

/*
 * The DEST text of partition i from a file template: every %d replaced by
 * i, %% by %. NULL with a message in err for a bad template (or memory).
 */
static char *
expand(const char *tmpl, uint64_t i, char *err, size_t errsize)
{
	sz_buf b = SZ_BUF_INIT;
	int have_d = 0;

	for (const char *p = tmpl; *p != '\0'; p++) {
		int rc;

		if (*p != '%')
			rc = sz_buf_addc(&b, *p);
		else if (p[1] == 'd') {
			rc = sz_buf_printf(&b, "%llu", (unsigned long long)i);
			have_d = 1;
			p++;
		} else if (p[1] == '%') {
			rc = sz_buf_addc(&b, '%');
			p++;
		} else {
			snprintf(err, errsize, "'%s': only %%d and %%%% may "
			    "follow a %% in a path", tmpl);
			sz_buf_free(&b);
			return NULL;
		}
		if (rc < 0) {
			snprintf(err, errsize, "out of memory");
			sz_buf_free(&b);
			return NULL;
		}
	}
	if (!have_d) {
		snprintf(err, errsize, "'%s': a path needs %%d (the partition "
		    "number), or the template must be |COMMAND", tmpl);
		sz_buf_free(&b);
		return NULL;
	}
	return b.p;
}

/* Open (or start) the N destinations; 0 or the exit status. */
static int
open_dests(sz_tool *t, struct partition *pt, const char *tmpl)
{
	char err[1024], label[64], env_i[48], env_n[48];
	char *env[] = { env_i, env_n, NULL };
	int cmd = tmpl[0] == '|';

	if (!cmd && sz_dest_is_stdout(tmpl))
		return sz_usage(t, "DEST-TEMPLATE: '%s': a path needs %%d "
		    "(the partition number), or the template must be "
		    "|COMMAND", tmpl);
	for (uint64_t i = 0; i < pt->n; i++) {
		char *text = NULL;
		int use;

		if (!cmd && (text = expand(tmpl, i, err, sizeof(err))) == NULL)
			return sz_usage(t, "DEST-TEMPLATE: %s", err);
		snprintf(label, sizeof(label), "partition %llu",
		    (unsigned long long)i);
		snprintf(env_i, sizeof(env_i), "SZ_PARTITION=%llu",
		    (unsigned long long)i);
		snprintf(env_n, sizeof(env_n), "SZ_PARTITIONS=%llu",
		    (unsigned long long)pt->n);
		pt->d[i] = sz_dests_add(&pt->ds, cmd ? tmpl : text, label,
		    cmd ? env : NULL, err, sizeof(err), &use);
		free(text);
		if (pt->d[i] == NULL) {
			if (use)
				return sz_usage(t, "DEST-TEMPLATE: %s", err);
			sz_msg(t, "error", NULL, 0, "%s: %s", label, err);
			return SZ_EXIT_FAIL;
		}
		if (pt->d[i]->kind == SZ_DEST_STDOUT)
			return sz_usage(t, "DEST-TEMPLATE: '%s' names standard "
			    "output", tmpl);
	}
	return 0;
}

static int
partition_option(sz_tool *t, int c)
{
	struct partition *pt = t->ud;
	switch (c) {
	case OPT_RR:
		pt->rr = 1;
		break;
	case 'n':
		return sz_opt_count(&t->o, "--partitions", 1, MAX_PARTITIONS,
		    &pt->n);
	case OPT_BUFFER:
		pt->buffer_set = 1;
		return sz_opt_count(&t->o, "--buffer", 1, 100000000,
		    &pt->buffer);
	case OPT_BYVALUE:
		pt->byvalue = optarg;
		break;
	case OPT_MAXFILES:
		pt->max_files_set = 1;
		return sz_opt_count(&t->o, "--max-files", 1,
		    BV_MAX_FILES_BOUND, &pt->max_files);
	}
	return 0;
}

static int
partition_start(sz_tool *t)
{
	struct partition *pt = t->ud;
	const char *tmpl;
	int rc;

	if (pt->byvalue != NULL)
		return byvalue_start(t, pt);
	if (pt->max_files_set || pt->key.max_keys_set)
		return sz_usage(t, "--max-files and --max-keys need "
		    "--by-value");
	if ((pt->key.keysrc != NULL) == pt->rr)
		return sz_usage(t, "give exactly one of --key EXPR and "
		    "--round-robin");
	if (pt->n == 0)
		return sz_usage(t, "missing -n N");
	if ((tmpl = sz_tool_operand(t)) == NULL)
		return sz_usage(t, "missing DEST-TEMPLATE");
	if ((rc = sz_key_compile(&pt->key, t)) != 0)
		return rc;
	pt->d = calloc(pt->n, sizeof(*pt->d));
	pt->written = calloc(pt->n, sizeof(*pt->written));
	if (pt->d == NULL || pt->written == NULL) {
		sz_msg(t, "error", NULL, 0, "out of memory");
		return SZ_EXIT_FAIL;
	}
	sz_dests_init(&pt->ds, t, (size_t)pt->buffer, QUEUE_BYTES,
	    SZ_FULL_BLOCK, &(sz_dest_hooks){ on_written, NULL, pt });
	return (rc = open_dests(t, pt, tmpl)) != 0 ? rc : -1;
}

static void
partition_done(sz_tool *t)
{
	struct partition *pt = t->ud;

	sz_dests_free(&pt->ds);
	bv_free(&pt->bv);
	free(pt->d);
	free(pt->written);
}

static void
partition_init(sz_tool *t)
{
	struct partition *pt = t->ud;

	pt->buffer = DEFAULT_BUFFER;
	pt->max_files = BV_MAX_FILES;
	sz_key_init(&pt->key);
	t->key = &pt->key;
}

static const sz_tool_def partition_def = {
	.init = partition_init,
	.prog = "sz-partition", .usage = usage, .shortopts = "k:n:",
	.longopts = longopts, .jq = 1, .proc = &partition_proc,
	.option = partition_option, .start = partition_start,
	.done = partition_done,
};

SZ_TOOL_MAIN(partition_def, struct partition)
