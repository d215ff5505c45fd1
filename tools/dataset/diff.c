/* SPDX-License-Identifier: MIT */
/*
 * sz-diff - the changes between two keyed datasets: two NDJSON files (in
 * any order; records compared by their canonical text), or two versions
 * of a dataset directory, as change ops in key order.
 *
 * Each file's records go into an external sort by key (sorted input is
 * passed through to disk without sorting, so memory stays small), then
 * the two are merged.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json/json.h"
#include "json/str.h"
#include "run/key.h"

#include "ds.h"

static const char usage[] =
"Usage: sz-diff -k EXPR [OPTION]... OLD NEW\n"
"       sz-diff --dir DIR [OPTION]... A B\n"
"Write the changes from the dataset OLD to NEW (NDJSON files, records\n"
"keyed by EXPR, in any order; - is standard input), or from version A to\n"
"version B of the dataset in DIR, in key order:\n"
"{\"op\":\"upsert\",\"key\":K,\"record\":R} and {\"op\":\"delete\",\"key\":K}.\n"
"\n"
SZ_KEY_HELP
"      --dir DIR            compare two versions of the dataset in DIR\n"
"      --format=ops|full    ops (default), or add/delete/update with the\n"
"                           old and new records and the changed paths\n"
"      --exit-code          exit 1 when the datasets differ\n"
"      --on-duplicate=last|first|error  which record of a key counts\n"
"                           (default last)\n"
"      --max-memory SIZE    memory for sorting (default 256MiB), then\n"
"                           temporary files in $TMPDIR\n"
SZ_KEY_NOFAST_HELP
SZ_JQ_HELP_VARS;

enum {
	OPT_DIR = SZ_OPT_TOOL, OPT_FORMAT, OPT_EXITCODE, OPT_ONDUP,
	OPT_MAXMEM
};

static const struct option longopts[] = {
	SZ_KEY_LONGOPTS,
	{ "dir", required_argument, NULL, OPT_DIR },
	{ "format", required_argument, NULL, OPT_FORMAT },
	{ "exit-code", no_argument, NULL, OPT_EXITCODE },
	{ "on-duplicate", required_argument, NULL, OPT_ONDUP },
	{ "max-memory", required_argument, NULL, OPT_MAXMEM },
	SZ_JQ_LONGOPTS,
	{ NULL, 0, NULL, 0 }
};


struct diff {
	sz_key key;
	const char *dir;
	int full, exit_code, ondup;
	uint64_t max_mem;
	const char *oldname, *newname;	/* as the runtime names them */
	const char *va, *vb;		/* --dir DIR A B */
	sz_xsort *xs[2];
	sz_buf canon, canon2, line, ptr, scratch, err;
	uint64_t added, deleted, updated, dups;
	int differ;
	sz_tool *t;
};

/* ---- reading ------------------------------------------------------------ */

static int
diff_record(sz_tool *t, const sz_rec *r)
{
	struct diff *d = t->ud;
	int side, rc;

	/* Which operand: the runtime reads OLD, then NEW. */
	side = r->file == d->newname ? 1 : r->file == d->oldname ? 0 :
	    strcmp(r->file, d->newname) == 0;
	if ((rc = sz_key_get(&d->key, t, r)) != 1)
		return rc;
	/* The record's bytes: its canonical text is made only when two
	 * records of a key differ in bytes (most are the same). */
	if (sz_xsort_add(d->xs[side], d->key.kb.p, d->key.kb.len, r->p,
	    r->n) != 0)
		return sz_fail(t, SZ_EXIT_FAIL, "%s",
		    sz_xsort_error(d->xs[side]));
	return 0;
}

/* ---- what changed -------------------------------------------------------- */

/* "/a/b" of a member name (JSON Pointer: ~ as ~0, / as ~1). */
static int
ptr_push(sz_buf *b, const char *name, size_t n)
{
	if (sz_buf_addc(b, '/') != 0)
		return -1;
	for (size_t i = 0; i < n; i++)
		if ((name[i] == '~' ? sz_buf_adds(b, "~0") : name[i] == '/' ?
		    sz_buf_adds(b, "~1") : sz_buf_addc(b, name[i])) != 0)
			return -1;
	return 0;
}

/* Append the pointers where the canonical values a and b differ to
 * out (a JSON array body): objects member by member, anything else
 * whole. */
static int
changed(struct diff *d, const char *a, size_t an, const char *b, size_t bn,
    sz_buf *out)
{
	sz_jmembers ia, ib;
	int ha, hb, c;
	size_t at = d->ptr.len;

	if (an == bn && memcmp(a, b, an) == 0)
		return 0;
	if (sz_json_type(a, a + an) != SZ_JOBJECT ||
	    sz_json_type(b, b + bn) != SZ_JOBJECT) {
		if (out->len > 0 && sz_buf_addc(out, ',') != 0)
			return -1;
		return sz_buf_add_jstr(out, d->ptr.p ? d->ptr.p : "",
		    d->ptr.len);
	}
	/* Both sorted by decoded name (canonical text). */
	sz_json_members(&ia, a, an, NULL);
	sz_json_members(&ib, b, bn, NULL);
	ha = sz_json_members_next(&ia);
	hb = sz_json_members_next(&ib);
	while (ha || hb) {
		const sz_jmember *m;
		const char *name;
		size_t nl;

		c = !ha ? 1 : !hb ? -1 : sz_json_str_cmp(ia.m.k, ia.m.kn,
		    ib.m.k, ib.m.kn);
		m = c <= 0 ? &ia.m : &ib.m;
		if ((name = sz_jmember_name(m, &d->scratch, &nl)) == NULL ||
		    ptr_push(&d->ptr, name, nl) != 0)
			return -1;
		if (c == 0) {
			if (changed(d, ia.m.v, ia.m.vn, ib.m.v, ib.m.vn,
			    out) != 0)
				return -1;
		} else if ((out->len > 0 && sz_buf_addc(out, ',') != 0) ||
		    sz_buf_add_jstr(out, d->ptr.p, d->ptr.len) != 0)
			return -1;
		d->ptr.len = at;
		if (d->ptr.p != NULL)
			d->ptr.p[at] = '\0';
		if (c <= 0)
			ha = sz_json_members_next(&ia);
		if (c >= 0)
			hb = sz_json_members_next(&ib);
	}
	return 0;
}

static int
on_pair(void *ud, const char *k, size_t kn, const char *old, size_t on,
    const char *nw, size_t nn, int eq)
{
	struct diff *d = ud;
	sz_buf *l = &d->line;
	int rc;

	if (eq)
		return 0;
	/* Different bytes: compare the values (canonical texts), and
	 * write those. */
	sz_buf_reset(&d->canon);
	sz_buf_reset(&d->canon2);
	if ((old != NULL && sz_json_canon(old, on, &d->canon) != 0) ||
	    (nw != NULL && sz_json_canon(nw, nn, &d->canon2) != 0))
		return ds_errf(&d->err, "out of memory");
	if (old != NULL && nw != NULL && d->canon.len == d->canon2.len &&
	    memcmp(d->canon.p, d->canon2.p, d->canon.len) == 0)
		return 0;
	if (old != NULL) {
		old = d->canon.p;
		on = d->canon.len;
	}
	if (nw != NULL) {
		nw = d->canon2.p;
		nn = d->canon2.len;
	}
	d->differ = 1;
	sz_buf_reset(l);
	if (old == NULL)
		d->added++;
	else if (nw == NULL)
		d->deleted++;
	else
		d->updated++;
	if (!d->full) {
		rc = ds_op_line(l, k, kn, nw, nn) != 0;
	} else if (old == NULL) {
		rc = sz_buf_adds(l, "{\"op\":\"add\",\"key\":") != 0 ||
		    sz_buf_add(l, k, kn) != 0 || sz_buf_adds(l, ",\"new\":") != 0 ||
		    sz_buf_add(l, nw, nn) != 0 || sz_buf_addc(l, '}') != 0;
	} else if (nw == NULL) {
		rc = sz_buf_adds(l, "{\"op\":\"delete\",\"key\":") != 0 ||
		    sz_buf_add(l, k, kn) != 0 || sz_buf_adds(l, ",\"old\":") != 0 ||
		    sz_buf_add(l, old, on) != 0 || sz_buf_addc(l, '}') != 0;
	} else {
		sz_buf ch = SZ_BUF_INIT;

		sz_buf_reset(&d->ptr);
		rc = changed(d, old, on, nw, nn, &ch) != 0 ||
		    sz_buf_adds(l, "{\"op\":\"update\",\"key\":") != 0 ||
		    sz_buf_add(l, k, kn) != 0 || sz_buf_adds(l, ",\"old\":") != 0 ||
		    sz_buf_add(l, old, on) != 0 || sz_buf_adds(l, ",\"new\":") != 0 ||
		    sz_buf_add(l, nw, nn) != 0 ||
		    sz_buf_adds(l, ",\"changed\":[") != 0 ||
		    sz_buf_add(l, ch.p ? ch.p : "", ch.len) != 0 ||
		    sz_buf_adds(l, "]}") != 0;
		sz_buf_free(&ch);
	}
	if (rc) {
		sz_buf_reset(&d->err);
		sz_buf_adds(&d->err, "out of memory");
		return -1;
	}
	if (sz_emit(d->t, l->p, l->len) != 0) {
		sz_buf_reset(&d->err);
		sz_buf_adds(&d->err, "write error");
		return -1;
	}
	return 0;
}

static int diff_dir(struct diff *d, sz_tool *t, const char *as,
    const char *bs);

static int
diff_end(sz_tool *t)
{
	struct diff *d = t->ud;
	ds_uniq u[2];
	ds_stream s0 = { ds_uniq_next, &u[0] }, s1 = { ds_uniq_next, &u[1] };
	int rc;

	if (t->stopsig != 0 || t->status != 0)
		return 0;
	if (d->dir != NULL) {
		if ((rc = diff_dir(d, t, d->va, d->vb)) == SZ_EXIT_FAIL &&
		    d->exit_code && d->differ) {
			t->exit_ok = SZ_EXIT_FAIL;
			return 0;
		}
		if (rc != 0 && t->status == 0)
			t->status = rc;
		return rc == 0 ? 0 : -1;
	}
	memset(u, 0, sizeof(u));
	for (int i = 0; i < 2; i++) {
		u[i].x = d->xs[i];
		u[i].ondup = d->ondup;
		u[i].dups = &d->dups;
		if (sz_xsort_finish(d->xs[i]) != 0)
			return sz_fail(t, SZ_EXIT_FAIL, "%s",
			    sz_xsort_error(d->xs[i]));
	}
	rc = ds_join(&s0, &s1, on_pair, d, &d->err);
	ds_uniq_free(&u[0]);
	ds_uniq_free(&u[1]);
	if (rc != 0) {
		if (t->status != 0)
			return -1;
		return sz_fail(t, d->ondup == DS_DUP_ERROR && d->dups > 0 ?
		    SZ_EXIT_DATA : SZ_EXIT_FAIL, "%s", d->err.p ? d->err.p :
		    "failed");
	}
	if (d->exit_code && d->differ)
		t->exit_ok = SZ_EXIT_FAIL;
	return 0;
}

static void
diff_stats(sz_tool *t, sz_statv *v)
{
	struct diff *d = t->ud;

	sz_stat_counter(v, "added", d->added);
	sz_stat_counter(v, "deleted", d->deleted);
	sz_stat_counter(v, "updated", d->updated);
	sz_stat_counter(v, "duplicates", d->dups);
}

static const sz_proc diff_proc = {
	.record = diff_record,
	.end = diff_end,
	.stats = diff_stats,
};

/* ---- --dir DIR A B ------------------------------------------------------- */

static int
diff_dir(struct diff *d, sz_tool *t, const char *as, const char *bs)
{
	ds_ver a, b;
	ds_list l;
	ds_spool sa, sb;
	sz_expr key;
	char keysrc[512] = "";
	ds_snapin ia, ib;
	ds_stream xa = { ds_snapin_next, &ia }, xb = { ds_snapin_next, &ib };
	int rc = SZ_EXIT_FAIL, ha = 0, hb = 0;

	if (!ds_ver_parse(as, strlen(as), &a) || !ds_ver_parse(bs, strlen(bs),
	    &b))
		return sz_usage(t, "--dir DIR: A and B are versions ('%s', '%s')",
		    as, bs);
	memset(&key, 0, sizeof(key));
	memset(&ia, 0, sizeof(ia));
	memset(&ib, 0, sizeof(ib));
	if (ds_list_read(d->dir, &l, &d->err) != 0)
		goto out0;
	rc = SZ_EXIT_FAIL;
	if (ds_load(d->dir, &l, a, t, &key, &sa, keysrc, &d->err) != 0)
		goto out1;
	ha = 1;
	if (ds_load(d->dir, &l, b, t, &key, &sb, keysrc, &d->err) != 0)
		goto out1;
	hb = 1;
	ia.key = ib.key = &key;
	if (ds_in_fd(&ia.in, sa.fd, "version A", &d->err) != 0 ||
	    ds_in_fd(&ib.in, sb.fd, "version B", &d->err) != 0)
		goto out1;
	if (ds_join(&xa, &xb, on_pair, d, &d->err) != 0)
		goto out1;
	rc = d->exit_code && d->differ ? SZ_EXIT_FAIL : SZ_EXIT_OK;
out1:
	ds_in_close(&ia.in);
	ds_in_close(&ib.in);
	sz_buf_free(&ia.kb);
	sz_buf_free(&ib.kb);
	if (ha)
		ds_spool_close(&sa);
	if (hb)
		ds_spool_close(&sb);
	if (keysrc[0] != '\0')
		sz_expr_free(&key);
	ds_list_free(&l);
out0:
	if (rc == SZ_EXIT_FAIL && !(d->exit_code && d->differ))
		sz_msg(t, "error", NULL, 0, "%s", d->err.p ? d->err.p :
		    "failed");
	return rc;
}

/* ---- the tool ----------------------------------------------------------- */

static void
diff_init(sz_tool *t)
{
	struct diff *d = t->ud;

	/* -d is --delimiter's letter (sz(7)): --dir has none. */
	t->o.moved_short = 'd';
	t->o.moved_hint = "use --dir; -d is only --delimiter, in the CSV tools";

	d->t = t;
	sz_key_init(&d->key);
	t->key = &d->key;
	d->max_mem = UINT64_C(256) << 20;
}

static int
diff_option(sz_tool *t, int c)
{
	struct diff *d = t->ud;

	switch (c) {
	case OPT_DIR:
		d->dir = optarg;
		break;
	case OPT_FORMAT:
		if (strcmp(optarg, "ops") == 0)
			d->full = 0;
		else if (strcmp(optarg, "full") == 0)
			d->full = 1;
		else
			return sz_opt_fail(&t->o, "--format: '%s' is not ops or "
			    "full", optarg);
		break;
	case OPT_EXITCODE:
		d->exit_code = 1;
		break;
	case OPT_ONDUP:
		if (strcmp(optarg, "last") == 0)
			d->ondup = DS_DUP_LAST;
		else if (strcmp(optarg, "first") == 0)
			d->ondup = DS_DUP_FIRST;
		else if (strcmp(optarg, "error") == 0)
			d->ondup = DS_DUP_ERROR;
		else
			return sz_opt_fail(&t->o, "--on-duplicate: '%s' is not "
			    "last, first or error", optarg);
		break;
	case OPT_MAXMEM:
		return sz_opt_size(&t->o, "--max-memory", &d->max_mem);
	}
	return 0;
}

static int
diff_start(sz_tool *t)
{
	struct diff *d = t->ud;
	int rc;

	if (t->argc != 2)
		return sz_usage(t, "two operands: %s", d->dir != NULL ?
		    "--dir DIR A B" : "OLD NEW");
	if (d->dir != NULL) {
		if (d->key.keysrc != NULL)
			return sz_usage(t, "--dir DIR: the key is the dataset's "
			    "(no -k)");
		sz_source *src;

		d->va = sz_tool_operand(t);
		d->vb = sz_tool_operand(t);
		/* No input: the versions are compared at its end. */
		if ((src = sz_source_fed(&t->src, d->dir)) == NULL) {
			sz_msg(t, "error", NULL, 0, "out of memory");
			return SZ_EXIT_FAIL;
		}
		sz_source_end(src);
		return -1;
	}
	if (d->key.keysrc == NULL)
		return sz_usage(t, "-k EXPR is required (the records' key)");
	if (strcmp(t->argv[0], "-") == 0 && strcmp(t->argv[1], "-") == 0)
		return sz_usage(t, "OLD and NEW cannot both be standard input");
	d->oldname = strcmp(t->argv[0], "-") == 0 ? "<stdin>" : t->argv[0];
	d->newname = strcmp(t->argv[1], "-") == 0 ? "<stdin>" : t->argv[1];
	if ((rc = sz_key_compile(&d->key, t)) != 0)
		return rc;
	for (int i = 0; i < 2; i++)
		if ((d->xs[i] = sz_xsort_new(NULL, (size_t)d->max_mem)) ==
		    NULL) {
			sz_msg(t, "error", NULL, 0, "out of memory");
			return SZ_EXIT_FAIL;
		}
	return -1;
}

static void
diff_done(sz_tool *t)
{
	struct diff *d = t->ud;

	sz_xsort_free(d->xs[0]);
	sz_xsort_free(d->xs[1]);
	sz_buf_free(&d->canon);
	sz_buf_free(&d->canon2);
	sz_buf_free(&d->line);
	sz_buf_free(&d->ptr);
	sz_buf_free(&d->scratch);
	sz_buf_free(&d->err);
}

static const sz_tool_def diff_def = {
	.prog = "sz-diff", .usage = usage, .shortopts = "k:",
	.longopts = longopts, .jq = 1, .proc = &diff_proc, .init = diff_init,
	.option = diff_option, .start = diff_start, .done = diff_done,
};

SZ_TOOL_MAIN(diff_def, struct diff)
