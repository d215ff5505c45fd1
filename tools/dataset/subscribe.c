/* SPDX-License-Identifier: MIT */
/*
 * sz-subscribe - print a version of a dataset directory (the pinned one,
 * else the announced one, or --version V) as records, and with --follow
 * the changes of each version announced after it: forward deltas, reverse
 * deltas when pinned back, or a diff against the version's snapshot when
 * a delta is missing or does not give the state it promises.
 *
 * What it prints is fed to the runtime as a source of its own (one line
 * per record or change), so that output, signals and stats are every
 * tool's; the feeder (idle) hands over a chunk at a time while the
 * runtime's backlog is small.
 */
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include "json/json.h"

#include "ds.h"

static const char usage[] =
"Usage: sz-subscribe --dir DIR [OPTION]...\n"
"Print a version of the dataset in DIR as NDJSON records: --version V,\n"
"else the pinned version, else the announced one; with --follow, then the\n"
"changes of each version announced after it, as they come:\n"
"{\"op\":\"upsert\",\"key\":K,\"record\":R} and {\"op\":\"delete\",\"key\":K}.\n"
"\n"
"      --dir DIR          the dataset's directory\n"
"      --version=V, --at V  that version (not with --follow)\n"
"      --follow           go on with the changes of each new version\n"
"      --emit=state|changes  the version as its records (default) or as\n"
"                         upserts\n"
"      --state FILE       keep the version printed last in FILE (as a\n"
"                         snapshot); started again, print only what\n"
"                         changed since\n"
"      --wait             wait for a version to be announced\n"
"      --ignore-pin       follow the announced version, not the pinned\n"
SZ_JQ_HELP_VARS;

enum {
	OPT_DIR = SZ_OPT_TOOL, OPT_VERSION, OPT_FOLLOW, OPT_EMIT,
	OPT_STATE, OPT_WAIT, OPT_IGNOREPIN
};

static const struct option longopts[] = {
	{ "dir", required_argument, NULL, OPT_DIR },
	/* --version=V, a dataset's version; --version alone, the tool's. */
	{ "version", optional_argument, NULL, OPT_VERSION },
	{ "at", required_argument, NULL, OPT_VERSION },
	{ "follow", no_argument, NULL, OPT_FOLLOW },
	{ "emit", required_argument, NULL, OPT_EMIT },
	{ "state", required_argument, NULL, OPT_STATE },
	{ "wait", no_argument, NULL, OPT_WAIT },
	{ "ignore-pin", no_argument, NULL, OPT_IGNOREPIN },
	SZ_JQ_LONGOPTS,
	{ NULL, 0, NULL, 0 }
};

#define FEED_CHUNK (256u << 10)
#define FEED_BACKLOG (1u << 20)
#define MAX_PENDING 64

struct sub {
	const char *dir, *state_path;
	ds_ver want;			/* --version */
	int follow, changes, wait, ignore_pin;
	/* The version printed so far, as a dataset. */
	ds_ver cur;
	ds_spool cs;
	int have_cs;
	sz_expr key;
	int have_key;
	char keysrc[512];
	/* What is to be printed: spools of lines, fed in turn. */
	ds_spool pend[MAX_PENDING];
	int npend;
	ds_in feed;
	int feeding;
	sz_source *src;
	int ifd, wd;
	uint64_t poll_timer;
	int dirty;			/* look at the directory again */
	sz_buf err, line;
	uint64_t versions, fallbacks, steps;
	sz_tool *t;
};

/* ---- what to print ------------------------------------------------------ */

static int
queue_spool(struct sub *s, ds_spool *sp)
{
	if (s->npend == MAX_PENDING) {
		ds_spool_close(sp);
		sz_buf_reset(&s->err);
		sz_buf_adds(&s->err, "too many versions waiting to be printed");
		return -1;
	}
	s->pend[s->npend++] = *sp;
	return 0;
}

/* The dataset of cs as lines to print: records, or upserts. */
static int
queue_state(struct sub *s)
{
	ds_spool out;
	ds_snapin in;
	const char *k, *r;
	size_t kn, rn;
	int got;

	memset(&in, 0, sizeof(in));
	in.key = &s->key;
	in.trusted = 1;		/* s->cs: a checked copy */
	if (ds_spool_open(&out, s->dir, &s->err) != 0)
		return -1;
	out.nohash = 1;		/* lines to print, not a dataset */
	if (ds_in_fd(&in.in, s->cs.fd, "the version", &s->err) != 0)
		goto fail;
	while ((got = ds_snapin_next(&in, &k, &kn, &r, &rn, &s->err)) == 1) {
		sz_buf_reset(&s->line);
		if (s->changes ? ds_op_line(&s->line, k, kn, r, rn) != 0 :
		    sz_buf_add(&s->line, r, rn) != 0)
			goto nomem;
		if (ds_spool_line(&out, s->line.p, s->line.len, &s->err) != 0)
			goto fail;
	}
	if (got < 0 || ds_spool_end(&out, &s->err) != 0)
		goto fail;
	ds_in_close(&in.in);
	sz_buf_free(&in.kb);
	return queue_spool(s, &out);
nomem:
	sz_buf_reset(&s->err);
	sz_buf_adds(&s->err, "out of memory");
fail:
	ds_in_close(&in.in);
	sz_buf_free(&in.kb);
	ds_spool_close(&out);
	return -1;
}

/* Hand the runtime the next chunk of whole lines. */
static void
sub_idle(sz_tool *t)
{
	struct sub *s = t->ud;
	const char *p;
	size_t n;
	int got = 0;

	if (s->src == NULL || s->src->ended)
		return;
	while (sz_source_backlog(s->src) < FEED_BACKLOG) {
		if (!s->feeding) {
			if (s->npend == 0)
				break;
			if (ds_in_fd(&s->feed, s->pend[0].fd, s->dir,
			    &s->err) != 0) {
				sz_fail(t, SZ_EXIT_FAIL, "%s", s->err.p);
				return;
			}
			ds_spool_close(&s->pend[0]);
			memmove(s->pend, s->pend + 1, (size_t)(s->npend - 1) *
			    sizeof(*s->pend));
			s->npend--;
			s->feeding = 1;
		}
		sz_buf_reset(&s->line);
		while (s->line.len < FEED_CHUNK &&
		    (got = ds_in_line(&s->feed, &p, &n, &s->err)) == 1)
			if (sz_buf_add(&s->line, p, n) != 0 ||
			    sz_buf_addc(&s->line, '\n') != 0) {
				sz_fail(t, SZ_EXIT_FAIL, "out of memory");
				return;
			}
		if (s->line.len > 0 && sz_source_feed(s->src, s->line.p,
		    s->line.len) != 0) {
			sz_fail(t, SZ_EXIT_FAIL, "out of memory");
			return;
		}
		if (s->line.len < FEED_CHUNK) {
			if (got < 0) {
				sz_fail(t, SZ_EXIT_FAIL, "%s", s->err.p);
				return;
			}
			ds_in_close(&s->feed);
			s->feeding = 0;
		}
		sz_loop_wake(&t->loop);
	}
	if (!s->feeding && s->npend == 0 && !s->follow &&
	    sz_source_backlog(s->src) == 0) {
		sz_source_end(s->src);
		sz_loop_wake(&t->loop);
	}
}

static int
sub_record(sz_tool *t, const sz_rec *r)
{
	return sz_emit(t, r->p, r->n);
}

/* ---- versions ---------------------------------------------------------- */

/* The version to print: --version, the pinned one, the announced one;
 * 0 when there is none yet. -1 on an error. */
static int
target(struct sub *s, ds_ver *v)
{
	int k;

	if (s->want != 0) {
		*v = s->want;
		return 1;
	}
	if (!s->ignore_pin &&
	    (k = ds_version_file(s->dir, "pinned.version", v, &s->err)) != 0)
		return k;
	if ((k = ds_version_file(s->dir, "announced.version", v, &s->err)) == 0)
		*v = 0;
	return k;
}

/* The ops of a delta blob's body into a spool (copied as they are). */
static int
copy_body(struct sub *s, const char *path, ds_spool *out)
{
	ds_in in;
	ds_hdr h;
	const char *p;
	size_t n;
	int got;

	if (ds_in_open(&in, path, &s->err) != 0)
		return -1;
	if (ds_in_header(&in, &h, &s->err) != 0 ||
	    ds_spool_open(out, s->dir, &s->err) != 0) {
		ds_in_close(&in);
		return -1;
	}
	out->nohash = 1;
	while ((got = ds_in_line(&in, &p, &n, &s->err)) == 1)
		if (ds_spool_line(out, p, n, &s->err) != 0) {
			got = -1;
			break;
		}
	ds_in_close(&in);
	if (got < 0 || ds_spool_end(out, &s->err) != 0) {
		ds_spool_close(out);
		return -1;
	}
	return 0;
}

/* One delta from the current version to b, applied and checked, its
 * changes queued: 0, or -1 (the caller falls back to a snapshot). */
static int
delta_step(struct sub *s, ds_ver b, int reverse)
{
	char va[DS_VER_MAX], vb[DS_VER_MAX], path[4096];
	ds_snapin in;
	ds_stream old = { ds_snapin_next, &in };
	ds_spool next, ops;
	ds_in d;
	ds_hdr h;
	int rc = -1;

	ds_ver_fmt(s->cur, va);
	ds_ver_fmt(b, vb);
	snprintf(path, sizeof(path), reverse ? "%s/reversedelta-%s-%s" :
	    "%s/delta-%s-%s", s->dir, va, vb);
	memset(&in, 0, sizeof(in));
	in.key = &s->key;
	in.trusted = 1;		/* s->cs: a checked copy */
	if (ds_in_open(&d, path, &s->err) != 0)
		return -1;
	if (ds_in_header(&d, &h, &s->err) != 0 || h.kind != DS_DELTA ||
	    h.from != s->cur || h.to != b ||
	    strcmp(h.from_state, s->cs.state) != 0) {
		ds_in_close(&d);
		return -1;
	}
	if (ds_spool_open(&next, s->dir, &s->err) != 0) {
		ds_in_close(&d);
		return -1;
	}
	if (ds_in_fd(&in.in, s->cs.fd, path, &s->err) == 0 &&
	    ds_apply(&old, &d, &h, &next, &s->err) == 0 &&
	    copy_body(s, path, &ops) == 0) {
		if (queue_spool(s, &ops) == 0) {
			ds_spool_close(&s->cs);
			s->cs = next;
			s->cur = b;
			s->steps++;
			rc = 0;
		}
	}
	if (rc != 0)
		ds_spool_close(&next);
	ds_in_close(&in.in);
	sz_buf_free(&in.kb);
	ds_in_close(&d);
	return rc;
}

/* The changes from the current version to the dataset in t. */
struct diffq {
	ds_spool out;
	sz_buf line;
	sz_buf *err;
};

static int
on_diff(void *ud, const char *k, size_t kn, const char *old, size_t on,
    const char *nw, size_t nn, int eq)
{
	struct diffq *q = ud;

	(void)old, (void)on;
	if (eq)
		return 0;
	if (ds_op_line(&q->line, k, kn, nw, nn) != 0)
		return ds_errf(q->err, "out of memory");
	return ds_spool_line(&q->out, q->line.p, q->line.len, q->err);
}

static int
snapshot_step(struct sub *s, const ds_list *l, ds_ver v)
{
	ds_spool tv;
	ds_snapin a, b;
	ds_stream sa = { ds_snapin_next, &a }, sb = { ds_snapin_next, &b };
	struct diffq q;
	int rc = -1;

	if (ds_load(s->dir, l, v, s->t, &s->key, &tv, s->keysrc,
	    &s->err) != 0)
		return -1;
	memset(&a, 0, sizeof(a));
	memset(&b, 0, sizeof(b));
	memset(&q, 0, sizeof(q));
	q.err = &s->err;
	a.key = b.key = &s->key;
	if (ds_spool_open(&q.out, s->dir, &s->err) != 0) {
		ds_spool_close(&tv);
		return -1;
	}
	q.out.nohash = 1;
	if (ds_in_fd(&a.in, s->cs.fd, "the version", &s->err) == 0 &&
	    ds_in_fd(&b.in, tv.fd, "the version", &s->err) == 0 &&
	    ds_join(&sa, &sb, on_diff, &q, &s->err) == 0 &&
	    ds_spool_end(&q.out, &s->err) == 0 &&
	    queue_spool(s, &q.out) == 0) {
		ds_spool_close(&s->cs);
		s->cs = tv;
		s->cur = v;
		s->fallbacks++;
		rc = 0;
	} else {
		ds_spool_close(&q.out);
		ds_spool_close(&tv);
	}
	ds_in_close(&a.in);
	ds_in_close(&b.in);
	sz_buf_free(&a.kb);
	sz_buf_free(&b.kb);
	sz_buf_free(&q.line);
	return rc;
}

/* Write --state FILE: the current version as a snapshot. */
static int
save_state(struct sub *s)
{
	char vs[DS_VER_MAX], *dir, *base, *slash;
	sz_buf hdr = SZ_BUF_INIT;
	uint64_t size;
	int rc;

	if (s->state_path == NULL)
		return 0;
	ds_ver_fmt(s->cur, vs);
	if ((dir = strdup(s->state_path)) == NULL)
		return -1;
	slash = strrchr(dir, '/');
	if (slash != NULL) {
		*slash = '\0';
		base = slash + 1;
	} else
		base = dir;
	if (sz_buf_printf(&hdr, "{\"sz_blob\":\"snapshot\",\"version\":\"%s\","
	    "\"key\":", vs) != 0 || sz_buf_add_jstr(&hdr, s->keysrc,
	    strlen(s->keysrc)) != 0 || sz_buf_printf(&hdr, ",\"records\":%"
	    PRIu64 ",\"state\":\"%s\",\"created\":\"\"}\n", s->cs.lines,
	    s->cs.state) != 0) {
		free(dir);
		sz_buf_free(&hdr);
		return -1;
	}
	rc = ds_blob_write(slash != NULL ? (*dir ? dir : "/") : ".", base,
	    hdr.p, hdr.len, &s->cs, 0, &size, &s->err);
	free(dir);
	sz_buf_free(&hdr);
	return rc;
}

/* Catch up with the target version: deltas, else the snapshot. */
static int
catch_up(struct sub *s)
{
	ds_list l;
	ds_ver v, x;
	int k, rc = 0;

	if ((k = target(s, &v)) < 0)
		return -1;
	if (k == 0 || v == s->cur)
		return 0;
	if (ds_list_read(s->dir, &l, &s->err) != 0)
		return -1;
	/* Walk deltas one version at a time while they hold. */
	while (s->cur != v) {
		int rev = v < s->cur;

		x = rev ? ds_list_prev(&l, s->cur) : ds_list_next(&l, s->cur);
		if (x == 0 || (rev ? x < v : x > v) ||
		    delta_step(s, x, rev) != 0)
			break;
	}
	if (s->cur != v) {
		if (snapshot_step(s, &l, v) != 0) {
			ds_list_free(&l);
			sz_fail(s->t, SZ_EXIT_DATA, "%s: %s", s->dir, s->err.p ?
			    s->err.p : "cannot load the version");
			return -1;
		}
	}
	s->versions++;
	ds_list_free(&l);
	if (save_state(s) != 0) {
		sz_fail(s->t, SZ_EXIT_FAIL, "--state: %s", s->err.p ?
		    s->err.p : "cannot write");
		rc = -1;
	}
	sz_loop_wake(&s->t->loop);
	return rc;
}

static void
on_inotify(sz_loop *l, int fd, short revents, void *ud)
{
	struct sub *s = ud;
	char buf[4096] __attribute__((aligned(8)));

	(void)l, (void)revents;
	while (read(fd, buf, sizeof(buf)) > 0)
		;
	if (catch_up(s) != 0 && s->t->status == 0)
		sz_fail(s->t, SZ_EXIT_FAIL, "%s", s->err.p ? s->err.p : "");
}

static void
on_poll(sz_loop *l, void *ud)
{
	struct sub *s = ud;

	if (catch_up(s) != 0 && s->t->status == 0)
		sz_fail(s->t, SZ_EXIT_FAIL, "%s", s->err.p ? s->err.p : "");
	s->poll_timer = sz_loop_timer(l, sz_now() + UINT64_C(1000000000),
	    on_poll, s);
}

/* The first version: from --state FILE, or loaded and queued whole. */
static int
first_version(struct sub *s, ds_ver v)
{
	ds_list l;

	if (s->state_path != NULL && access(s->state_path, F_OK) == 0) {
		ds_in in;
		ds_hdr h;
		const char *p;
		size_t n;
		int got;
		sz_buf cerr = SZ_BUF_INIT;

		if (ds_in_open(&in, s->state_path, &s->err) != 0)
			return -1;
		if (ds_in_header(&in, &h, &s->err) != 0 ||
		    h.kind != DS_SNAPSHOT ||
		    ds_spool_open(&s->cs, s->dir, &s->err) != 0) {
			ds_in_close(&in);
			return -1;
		}
		s->have_cs = 1;
		/* Validated here: the copy is trusted from now on. */
		while ((got = ds_in_line(&in, &p, &n, &s->err)) == 1) {
			const char *why;
			size_t off;

			if (sz_json_validate(p, n, &why, &off) != 0) {
				ds_errf(&s->err, "%s:%lu: not JSON (%s)",
				    s->state_path, in.lineno, why);
				got = -1;
				break;
			}
			if (ds_spool_line(&s->cs, p, n, &s->err) != 0) {
				got = -1;
				break;
			}
		}
		ds_in_close(&in);
		if (got < 0 || ds_spool_end(&s->cs, &s->err) != 0)
			return -1;
		if (strcmp(s->cs.state, h.state) != 0) {
			sz_buf_reset(&s->err);
			sz_buf_printf(&s->err, "%s: its records do not match "
			    "its header", s->state_path);
			return -1;
		}
		if (sz_expr_compile(&s->key, h.key, &s->t->vars, 1,
		    &cerr) != 0) {
			sz_buf_reset(&s->err);
			sz_buf_printf(&s->err, "%s: its key does not compile",
			    s->state_path);
			sz_buf_free(&cerr);
			return -1;
		}
		sz_buf_free(&cerr);
		s->have_key = 1;
		snprintf(s->keysrc, sizeof(s->keysrc), "%s", h.key);
		s->cur = h.version;
		return 0;
	}
	if (ds_list_read(s->dir, &l, &s->err) != 0)
		return -1;
	if (ds_load(s->dir, &l, v, s->t, &s->key, &s->cs, s->keysrc,
	    &s->err) != 0) {
		ds_list_free(&l);
		return -1;
	}
	ds_list_free(&l);
	s->have_key = s->have_cs = 1;
	s->cur = v;
	s->versions++;
	if (queue_state(s) != 0)
		return -1;
	return save_state(s);
}

static void on_wait(sz_loop *l, void *ud);

/* Start: the first version, then (--follow) watch the directory. */
static int
begin(struct sub *s)
{
	ds_ver v;
	int k;

	if ((k = target(s, &v)) < 0)
		return sz_fail(s->t, SZ_EXIT_FAIL, "%s", s->err.p);
	if (k == 0) {
		if (!s->wait)
			return sz_fail(s->t, SZ_EXIT_UNAVAILABLE, "%s: no "
			    "version announced (--wait waits for one)",
			    s->dir);
		return 1;
	}
	if (first_version(s, v) != 0)
		return sz_fail(s->t, SZ_EXIT_DATA, "%s", s->err.p);
	if (s->cur != v && catch_up(s) != 0)
		return -1;
	if (s->follow) {
		s->ifd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
		if (s->ifd >= 0 && (s->wd = inotify_add_watch(s->ifd, s->dir,
		    IN_MOVED_TO | IN_CLOSE_WRITE | IN_DELETE)) >= 0)
			sz_loop_watch(&s->t->loop, s->ifd, POLLIN, on_inotify,
			    s);
		else {
			if (s->ifd >= 0)
				close(s->ifd);
			s->ifd = -1;
			s->poll_timer = sz_loop_timer(&s->t->loop, sz_now() +
			    UINT64_C(1000000000), on_poll, s);
		}
		/* A version announced while this one loaded. */
		if (catch_up(s) != 0)
			return -1;
	}
	sz_loop_wake(&s->t->loop);
	return 0;
}

/* --wait: look again every 100 ms. */
static void
on_wait(sz_loop *l, void *ud)
{
	struct sub *s = ud;
	int k = begin(s);

	if (k == 1)
		sz_loop_timer(l, sz_now() + UINT64_C(100000000), on_wait, s);
	else if (k < 0 && s->src != NULL)
		sz_source_end(s->src);
}

static void
sub_stats(sz_tool *t, sz_statv *v)
{
	struct sub *s = t->ud;
	char vs[DS_VER_MAX];

	ds_ver_fmt(s->cur, vs);
	sz_stat_counter(v, "versions", s->versions);
	sz_stat_counter(v, "deltas", s->steps);
	sz_stat_counter(v, "snapshot_diffs", s->fallbacks);
}

static const sz_proc sub_proc = {
	.record = sub_record,
	.idle = sub_idle,
	.stats = sub_stats,
};

static void
sub_init(sz_tool *t)
{
	struct sub *s = t->ud;

	/* -d is --delimiter's letter (sz(7)): --dir has none. */
	t->o.moved_short = 'd';
	t->o.moved_hint = "use --dir; -d is only --delimiter, in the CSV tools";

	s->t = t;
	s->ifd = -1;
	s->cs.fd = -1;
}

static int
sub_option(sz_tool *t, int c)
{
	struct sub *s = t->ud;

	switch (c) {
	case OPT_DIR:
		s->dir = optarg;
		break;
	case OPT_VERSION:
		if (optarg == NULL) {
			t->o.version = 1;
			break;
		}
		if (!ds_ver_parse(optarg, strlen(optarg), &s->want))
			return sz_opt_fail(&t->o, "--version: '%s' is not a "
			    "version", optarg);
		break;
	case OPT_FOLLOW:
		s->follow = 1;
		break;
	case OPT_EMIT:
		if (strcmp(optarg, "state") == 0)
			s->changes = 0;
		else if (strcmp(optarg, "changes") == 0)
			s->changes = 1;
		else
			return sz_opt_fail(&t->o, "--emit: '%s' is not state or "
			    "changes", optarg);
		break;
	case OPT_STATE:
		s->state_path = optarg;
		break;
	case OPT_WAIT:
		s->wait = 1;
		break;
	case OPT_IGNOREPIN:
		s->ignore_pin = 1;
		break;
	}
	return 0;
}

static int
sub_start(sz_tool *t)
{
	struct sub *s = t->ud;

	if (s->dir == NULL)
		return sz_usage(t, "--dir DIR is required");
	if (t->argc > 0) {
		ds_ver v;

		if (ds_ver_parse(t->argv[0], strlen(t->argv[0]), &v))
			return sz_usage(t, "'%s': a version is chosen with "
			    "--version=%s or --at %s", t->argv[0], t->argv[0],
			    t->argv[0]);
		return sz_usage(t, "no operand is read (the records come from "
		    "DIR): '%s'", t->argv[0]);
	}
	if (s->want != 0 && s->follow)
		return sz_usage(t, "--version and --follow: one or the other");
	if (!s->wait) {
		struct stat st;

		if (stat(s->dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
			sz_msg(t, "error", NULL, 0, "%s: %s", s->dir,
			    errno ? strerror(errno) : "not a directory");
			return SZ_EXIT_FAIL;
		}
	}
	if ((s->src = sz_source_fed(&t->src, s->dir)) == NULL) {
		sz_msg(t, "error", NULL, 0, "out of memory");
		return SZ_EXIT_FAIL;
	}
	if (sz_loop_timer(&t->loop, sz_now(), on_wait, s) == 0) {
		sz_msg(t, "error", NULL, 0, "out of memory");
		return SZ_EXIT_FAIL;
	}
	return -1;
}

static void
sub_done(sz_tool *t)
{
	struct sub *s = t->ud;

	if (s->feeding)
		ds_in_close(&s->feed);
	for (int i = 0; i < s->npend; i++)
		ds_spool_close(&s->pend[i]);
	if (s->have_cs)
		ds_spool_close(&s->cs);
	if (s->have_key)
		sz_expr_free(&s->key);
	if (s->ifd >= 0)
		close(s->ifd);
	sz_buf_free(&s->err);
	sz_buf_free(&s->line);
}

static const sz_tool_def sub_def = {
	.prog = "sz-subscribe", .usage = usage, .shortopts = "",
	.longopts = longopts, .jq = 1, .proc = &sub_proc, .init = sub_init,
	.option = sub_option, .start = sub_start, .done = sub_done,
};

SZ_TOOL_MAIN(sub_def, struct sub)
