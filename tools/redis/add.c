/* SPDX-License-Identifier: MIT */
/*
 * sz-redis add - XADD each record to a stream, its bytes as they came in
 * one field. Up to --pipeline commands are in flight; the input pauses
 * at the bound. A command is kept until Redis answered it, and sent again
 * after a lost connection (connect/redis.h). A refusal ("equal or smaller
 * than the target stream top item") of an explicit --id counts as a
 * duplicate; other refusals (WRONGTYPE, OOM) are bad input with Redis's
 * message.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json/str.h"
#include "redis.h"

/* A record in flight: what --echo and a dead letter need. */
struct inflight {
	char *key, *file;
	size_t keyn;
	unsigned long line;
	size_t n;
	char rec[];
};

static const char usage[] =
"Usage: sz-redis add -s KEY|--key-expr EXPR [OPTION]... [FILE]...\n"
"Add each NDJSON record to a Redis stream (XADD), its bytes as they came\n"
"in the field --field. Nothing is written on standard output unless\n"
"--echo.\n"
"\n"
"  -s, --stream KEY       the stream\n"
"      --key-expr EXPR    the stream of each record: the jq expression EXPR\n"
"                         (a string, e.g. \"events:\" + .type)\n"
"      --field NAME       the entry's field for the record (default data)\n"
"      --maxlen [~]N      trim the stream to N entries (~: about N)\n"
"      --minid [~]ID      trim the entries older than ID\n"
"      --nomkstream       do not create a missing stream (the record is\n"
"                         then bad input)\n"
"      --id EXPR          the entry's id: the jq expression EXPR (e.g.\n"
"                         .seq|tostring); one that is not above the\n"
"                         stream's last id is counted as a duplicate\n"
"      --pipeline N       commands in flight (default 256)\n"
"      --echo             write each record, with _redis.stream and\n"
"                         _redis.id first, once Redis confirmed it\n"
RD_COMMON_HELP
SZ_KEY_NOFAST_HELP
SZ_JQ_HELP_F_KEY SZ_JQ_HELP_VARS;

static const struct option longopts[] = {
	{ "stream", required_argument, NULL, 's' },
	{ "key-expr", required_argument, NULL, RD_OPT_KEYEXPR },
	{ "field", required_argument, NULL, RD_OPT_FIELD },
	{ "maxlen", required_argument, NULL, RD_OPT_MAXLEN },
	{ "minid", required_argument, NULL, RD_OPT_MINID },
	{ "nomkstream", no_argument, NULL, RD_OPT_NOMK },
	{ "id", required_argument, NULL, RD_OPT_ID },
	{ "pipeline", required_argument, NULL, RD_OPT_PIPELINE },
	{ "echo", no_argument, NULL, RD_OPT_ECHO },
	{ "no-fast", no_argument, NULL, SZ_OPT_NOFAST },
	RD_COMMON_LONGOPTS,
	SZ_JQ_LONGOPTS,
	{ NULL, 0, NULL, 0 }
};

static void
maybe_finish(struct rd *d)
{
	if (d->ending && szr_unconfirmed(d->c) == 0)
		sz_tool_finish(d->t);
}

static void
add_reply(szr_conn *c, redisReply *r, void *tag, void *ud)
{
	struct rd *d = ud;
	sz_tool *t = d->t;
	struct inflight *f = tag;
	sz_rec rec = { f->rec, f->n, f->file, f->line, NULL };

	if (d->gone)
		goto out;
	if (r->type == REDIS_REPLY_STRING) {
		d->added++;
		if (d->echo) {
			if (szr_envelope(&d->b, d->meta, f->rec, f->n, f->key,
			    f->keyn, r->str, (size_t)r->len, -1) < 0) {
				rd_fail(d, SZ_EXIT_FAIL, "out of memory");
				goto out;
			}
			if (sz_emit(t, d->b.p, d->b.len) < 0) {
				d->gone = 1;
				sz_tool_finish(t);
				goto out;
			}
		}
	} else if (r->type == REDIS_REPLY_ERROR &&
	    strstr(r->str, "equal or smaller than the target stream top")) {
		d->duplicates++;
	} else if (r->type == REDIS_REPLY_ERROR && rd_is_auth_error(r)) {
		rd_fail(d, SZ_EXIT_UNAVAILABLE, "Redis refused XADD: %s",
		    r->str);
		goto out;
	} else {
		const char *msg = r->type == REDIS_REPLY_ERROR ? r->str :
		    "the stream does not exist (--nomkstream)";
		if (sz_bad(t, &rec, "redis", 1, "XADD %.*s: %s",
		    (int)f->keyn, f->key, msg) < 0) {
			d->gone = 1;
			sz_tool_finish(t);
			goto out;
		}
	}
	/* resume at half the bound: a batch at a time, not one record */
	if (szr_unconfirmed(c) <= d->pipeline / 2)
		sz_input_resume(t);
	maybe_finish(d);
out:
	free(f);
}

static int
add_record(sz_tool *t, const sz_rec *r)
{
	struct rd *d = t->ud;
	const char *argv[10], *key, *id = "*";
	size_t len[10], keyn, idn = 1, ksz;
	struct inflight *f;
	int argc = 0, rc;

	if (d->gone)
		return -1;
	if (d->have_kx) {
		if ((rc = sz_key_value(&d->kx, r)) != SZ_KEY_OK)
			return sz_key_bad(&d->kx, t, r, rc);
		if (d->kx.kb.len < 2 || d->kx.kb.p[0] != '"')
			return sz_bad(t, r, "key", 1, "--key-expr yields %.*s, "
			    "not a string", (int)d->kx.kb.len, d->kx.kb.p);
		if ((key = sz_jstr_decode(d->kx.kb.p, d->kx.kb.len,
		    &d->scratch, &keyn)) == NULL)
			return sz_fail(t, SZ_EXIT_FAIL, "out of memory");
	} else {
		key = d->streams[0];
		keyn = strlen(key);
	}
	if (d->have_idx) {
		if ((rc = sz_key_value(&d->idx, r)) != SZ_KEY_OK)
			return sz_key_bad(&d->idx, t, r, rc);
		id = d->idx.kb.p;
		idn = d->idx.kb.len;
		if (idn >= 2 && id[0] == '"') {
			if ((id = sz_jstr_decode(id, idn, &d->b2,
			    &idn)) == NULL)
				return sz_fail(t, SZ_EXIT_FAIL,
				    "out of memory");
		}
	}
	ksz = keyn + strlen(r->file) + 2;
	if ((f = malloc(sizeof(*f) + r->n + ksz)) == NULL)
		return sz_fail(t, SZ_EXIT_FAIL, "out of memory");
	memcpy(f->rec, r->p, r->n);
	f->n = r->n;
	f->key = f->rec + r->n;
	memcpy(f->key, key, keyn);
	f->key[keyn] = '\0';
	f->keyn = keyn;
	f->file = f->key + keyn + 1;
	strcpy(f->file, r->file);
	f->line = r->line;

	argv[argc] = "XADD"; len[argc++] = 4;
	argv[argc] = f->key; len[argc++] = keyn;
	if (d->nomkstream) {
		argv[argc] = "NOMKSTREAM"; len[argc++] = 10;
	}
	if (d->trim_kind != NULL) {
		argv[argc] = d->trim_kind; len[argc++] = strlen(d->trim_kind);
		if (d->trim_approx) {
			argv[argc] = "~"; len[argc++] = 1;
		}
		argv[argc] = d->trim_val; len[argc++] = strlen(d->trim_val);
	}
	argv[argc] = id; len[argc++] = idn;
	argv[argc] = d->field; len[argc++] = strlen(d->field);
	argv[argc] = f->rec; len[argc++] = r->n;
	if (szr_send(d->c, f, argc, argv, len) < 0) {
		free(f);
		return sz_fail(t, SZ_EXIT_FAIL, "out of memory");
	}
	if (szr_unconfirmed(d->c) >= d->pipeline)
		sz_input_pause(t);
	return 0;
}

static int
add_end(sz_tool *t)
{
	struct rd *d = t->ud;

	if (d->gone || d->c == NULL || szr_unconfirmed(d->c) == 0)
		return 0;
	d->ending = 1;
	return 1;
}

static void
add_stats(sz_tool *t, sz_statv *v)
{
	struct rd *d = t->ud;

	sz_stat_counter(v, "added", d->added);
	sz_stat_counter(v, "duplicates", d->duplicates);
	sz_stat_counter(v, "reconnects", d->c ? szr_reconnects(d->c) : 0);
	sz_stat_gauge(v, "unconfirmed", d->c ? szr_unconfirmed(d->c) : 0);
}

static const sz_proc add_proc = {
	.record = add_record,
	.end = add_end,
	.stats = add_stats,
};

static int
trim_opt(sz_tool *t, const char *kind, const char *opt)
{
	struct rd *d = t->ud;
	const char *v = optarg;

	if (d->trim_kind != NULL)
		return sz_opt_fail(&t->o, "--maxlen and --minid exclude each "
		    "other");
	d->trim_kind = kind;
	if (*v == '~') {
		d->trim_approx = 1;
		v++;
	} else if (*v == '=') {
		v++;
	}
	if (*v == '\0')
		return sz_opt_fail(&t->o, "%s: missing value", opt);
	if (strcmp(kind, "MAXLEN") == 0) {
		char *e;
		unsigned long long n = strtoull(v, &e, 10);
		(void)n;
		if (*e != '\0' || *v == '-')
			return sz_opt_fail(&t->o, "%s: '%s' is not a count",
			    opt, v);
	}
	d->trim_val = v;
	return 0;
}

static int
add_option(sz_tool *t, int c)
{
	struct rd *d = t->ud;
	int k;

	if ((k = rd_option(t, c)) != 0)
		return k == '?' ? '?' : 0;
	switch (c) {
	case 's':
		if (d->nstreams > 0)
			return sz_opt_fail(&t->o, "-s: add takes one stream "
			    "(--key-expr to choose one per record)");
		d->streams[d->nstreams++] = optarg;
		break;
	case RD_OPT_KEYEXPR:
		d->kx.keysrc = optarg;
		d->kx.keyopt = "--key-expr";
		d->have_kx = 1;
		break;
	case RD_OPT_ID:
		d->idx.keysrc = optarg;
		d->idx.keyopt = "--id";
		d->have_idx = 1;
		break;
	case RD_OPT_FIELD:
		d->field = optarg;
		break;
	case RD_OPT_MAXLEN:
		return trim_opt(t, "MAXLEN", "--maxlen");
	case RD_OPT_MINID:
		return trim_opt(t, "MINID", "--minid");
	case RD_OPT_NOMK:
		d->nomkstream = 1;
		break;
	case RD_OPT_PIPELINE:
		return sz_opt_count(&t->o, "--pipeline", 1, 1000000,
		    &d->pipeline);
	case RD_OPT_ECHO:
		d->echo = 1;
		break;
	case SZ_OPT_NOFAST:
		d->kx.fast = 0;
		d->idx.fast = 0;
		break;
	}
	return 0;
}

static int
add_start(sz_tool *t)
{
	struct rd *d = t->ud;
	int rc;

	if ((d->nstreams > 0) == d->have_kx)
		return sz_usage(t, "add: give -s KEY or --key-expr EXPR "
		    "(one of them)");
	if (d->have_kx && (rc = sz_key_compile(&d->kx, t)) != 0)
		return rc;
	if (d->have_idx && (rc = sz_key_compile(&d->idx, t)) != 0)
		return rc;
	if ((rc = rd_connect(t, add_reply)) < 0)
		szr_tag_free(((struct rd *)t->ud)->c, free);
	return rc;
}

const sz_tool_def rd_add_def = {
	.prog = "sz-redis", .usage = usage, .shortopts = "s:",
	.longopts = longopts, .jq = 1, .proc = &add_proc,
	.init = rd_init, .option = add_option, .start = add_start,
	.done = rd_done,
};
