/* SPDX-License-Identifier: MIT */
/*
 * sz-partition - send every record, byte for byte, to exactly one of N
 * destinations: by the FNV-1a 64-bit hash of its key's canonical text
 * modulo N, or in turn (streamz Partition).
 *
 * The destinations are N files named by a template with %d, or N children
 * (`|COMMAND`) whose output is merged into ours; see common/run/dest.c.
 */
#include <stdlib.h>
#include <string.h>

#include "core/hash.h"
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
};

static const char usage[] =
"Usage: sz-partition (--key EXPR | --round-robin) -n N DEST-TEMPLATE [FILE]...\n"
"Send each NDJSON record, unchanged, to exactly one of N destinations,\n"
"numbered 0 to N-1: the FNV-1a 64-bit hash of the canonical text of its\n"
"key, modulo N, or each in turn.\n"
"\n"
SZ_KEY_HELP
"      --round-robin      partitions in turn, 0, 1, ..., N-1, 0, ...\n"
"  -n, --partitions N     the number of partitions (1 to 10000)\n"
"      --buffer N         records queued for each pipe (default 1000)\n"
SZ_KEY_NOFAST_HELP
SZ_JQ_HELP_F_KEY SZ_JQ_HELP_VARS
"\n"
"DEST-TEMPLATE: a path with %d (the partition number; %% is a %), truncated,\n"
"or >>PATH appended to, or |COMMAND: N children run by /bin/sh with\n"
"SZ_PARTITION=i and SZ_PARTITIONS=N in their environment, reading their\n"
"records on stdin; their output is merged into stdout line by line.\n";

enum { OPT_RR = SZ_OPT_TOOL, OPT_BUFFER };

static const struct option longopts[] = {
	SZ_KEY_LONGOPTS,
	{ "round-robin", no_argument, NULL, OPT_RR },
	{ "partitions", required_argument, NULL, 'n' },
	{ "buffer", required_argument, NULL, OPT_BUFFER },
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
		return sz_opt_count(&t->o, "--buffer", 1, 100000000,
		    &pt->buffer);
	}
	return 0;
}

static int
partition_start(sz_tool *t)
{
	struct partition *pt = t->ud;
	const char *tmpl;
	int rc;

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
	free(pt->d);
	free(pt->written);
}

static void
partition_init(sz_tool *t)
{
	struct partition *pt = t->ud;

	pt->buffer = DEFAULT_BUFFER;
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
