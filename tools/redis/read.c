/* SPDX-License-Identifier: MIT */
/*
 * sz-redis read - the entries of one or more streams, read in a consumer
 * group, written as records with "_redis":{"stream","id","deliveries"}
 * first; nothing is acknowledged here (sz-redis ack does it after the
 * sink).
 *
 * The reader is a sequence of steps, one at a time on the connection:
 * create the group (BUSYGROUP is fine); re-read this consumer's own
 * pending entries (XPENDING for their ids and delivery counts, XCLAIM to
 * take them again); then, round after round, claim the entries other
 * consumers left idle for --claim-idle when --claim-every has passed
 * (XAUTOCLAIM JUSTID following its cursor, XPENDING for their counts,
 * XCLAIM), and read new ones (XREADGROUP ... >) asking for at most
 * --max-inflight minus this consumer's pending count, so that its pending
 * count never exceeds --max-inflight. An entry taken more than
 * --max-deliveries times goes to the dead stream and is acknowledged in
 * one MULTI/EXEC. The records go to the runtime through a fed source.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "json/json.h"
#include "redis.h"

enum { PH_CREATE, PH_PENDING, PH_ROUND, PH_SUMMARY, PH_READ, PH_CLAIM,
	PH_WAIT };

/* Tags: the kind of command and its stream. */
enum { T_CREATE = 1, T_PLIST, T_XCLAIM, T_SUMMARY, T_READ, T_AUTOCLAIM,
	T_ACOUNT, T_POISON, T_ACKBAD };
#define TAG(kind, si) ((void *)(intptr_t)((kind) | ((si) << 8)))
#define TAG_KIND(p) ((int)((intptr_t)(p) & 0xff))
#define TAG_SI(p) ((int)((intptr_t)(p) >> 8))

struct idc {
	char id[48];
	long long count;
};

struct rstate {
	int phase;
	int outstanding;	/* replies the step waits for */
	int started;
	int nogroup;		/* a reply of this step said NOGROUP */
	int si;			/* the stream of the pending / claim step */
	char cursor[64];
	uint64_t mine;		/* this consumer's pending entries */
	int claim_due;
	struct idc *v;		/* ids and delivery counts to XCLAIM */
	size_t nv, av;
	unsigned long seq[RD_MAX_STREAMS];
	char dead[RD_MAX_STREAMS][512];
};

static const char usage[] =
"Usage: sz-redis read -s KEY [-s KEY]... -g GROUP [OPTION]...\n"
"Read Redis streams in a consumer group and write each entry's record\n"
"with \"_redis\":{\"stream\":KEY,\"id\":ID,\"deliveries\":N} as its first\n"
"member. First this consumer's own pending entries, then new ones and\n"
"those other consumers left idle. Nothing is acknowledged: sz-redis ack\n"
"does it after the sink.\n"
"\n"
"  -s, --stream KEY       a stream (up to 64)\n"
"  -g, --group GROUP      the consumer group\n"
"  -c, --consumer NAME    this consumer (default the host name)\n"
"      --start ID         where a new group starts: 0, $ (default) or ID\n"
"      --count N          entries asked for at a time (default 500)\n"
"      --block DURATION   how long a read waits for new entries\n"
"                         (default 1s)\n"
"      --max-inflight N   at most N entries pending for this consumer\n"
"                         (default 10000)\n"
"      --claim-every DURATION  claim idle entries this often (default 10s)\n"
"      --claim-idle DURATION   entries idle this long are claimed\n"
"                         (default 1m)\n"
"      --max-deliveries N an entry delivered N times (default 5) goes to\n"
"                         the dead stream instead of a N+1th time\n"
"      --dead-stream KEY  the dead stream (default the stream's KEY:dead)\n"
"      --field NAME       the entry's field that holds the record\n"
"                         (default data)\n"
"      --strict           exit 69 when the group is gone (NOGROUP) instead\n"
"                         of creating it again\n"
"      --noack            read without pending entries (XREADGROUP NOACK)\n"
"      --meta=NAME        the envelope's name (default _redis; empty: none)\n"
"      --drain            exit 0 when a read finds no new entry\n"
RD_COMMON_HELP;

static const struct option longopts[] = {
	{ "stream", required_argument, NULL, 's' },
	{ "group", required_argument, NULL, 'g' },
	{ "consumer", required_argument, NULL, 'c' },
	{ "start", required_argument, NULL, RD_OPT_START },
	{ "count", required_argument, NULL, RD_OPT_COUNT },
	{ "block", required_argument, NULL, RD_OPT_BLOCK },
	{ "max-inflight", required_argument, NULL, RD_OPT_INFLIGHT },
	{ "claim-every", required_argument, NULL, RD_OPT_CLAIM_EVERY },
	{ "claim-idle", required_argument, NULL, RD_OPT_CLAIM_IDLE },
	{ "max-deliveries", required_argument, NULL, RD_OPT_MAXDEL },
	{ "dead-stream", required_argument, NULL, RD_OPT_DEAD },
	{ "field", required_argument, NULL, RD_OPT_FIELD },
	{ "strict", no_argument, NULL, RD_OPT_STRICT },
	{ "noack", no_argument, NULL, RD_OPT_NOACK },
	{ "meta", required_argument, NULL, RD_OPT_META },
	{ "drain", no_argument, NULL, RD_OPT_DRAIN },
	RD_COMMON_LONGOPTS,
	{ NULL, 0, NULL, 0 }
};

static void step(struct rd *d);

static void
send(struct rd *d, void *tag, int argc, const char **argv)
{
	struct rstate *s = d->rs;
	size_t len[80];

	for (int i = 0; i < argc; i++)
		len[i] = strlen(argv[i]);
	if (szr_send(d->c, tag, argc, argv, len) < 0) {
		rd_fail(d, SZ_EXIT_FAIL, "out of memory");
		return;
	}
	s->outstanding++;
}

static void
send_create(struct rd *d)
{
	struct rstate *s = d->rs;

	s->phase = PH_CREATE;
	for (int i = 0; i < d->nstreams; i++) {
		const char *a[] = { "XGROUP", "CREATE", d->streams[i],
			d->group, d->start, "MKSTREAM" };
		send(d, TAG(T_CREATE, i), 6, a);
	}
}

static void
send_plist(struct rd *d)
{
	struct rstate *s = d->rs;
	char n[24];
	const char *a[] = { "XPENDING", d->streams[s->si], d->group,
		s->cursor, "+", n, d->consumer };

	snprintf(n, sizeof(n), "%llu", (unsigned long long)d->count);
	send(d, TAG(T_PLIST, s->si), 7, a);
}

/* XCLAIM the ids in s->v for this consumer (they are its own, or were
 * just claimed). */
static void
send_xclaim(struct rd *d)
{
	struct rstate *s = d->rs;
	const char **a = malloc((s->nv + 5) * sizeof(*a));
	size_t *len = malloc((s->nv + 5) * sizeof(*len));
	int argc = 0;

	if (a == NULL || len == NULL) {
		free(a);
		free(len);
		rd_fail(d, SZ_EXIT_FAIL, "out of memory");
		return;
	}
	a[argc++] = "XCLAIM";
	a[argc++] = d->streams[s->si];
	a[argc++] = d->group;
	a[argc++] = d->consumer;
	a[argc++] = "0";
	for (size_t i = 0; i < s->nv; i++)
		a[argc++] = s->v[i].id;
	for (int i = 0; i < argc; i++)
		len[i] = strlen(a[i]);
	if (szr_send(d->c, TAG(T_XCLAIM, s->si), argc, a, len) < 0)
		rd_fail(d, SZ_EXIT_FAIL, "out of memory");
	else
		s->outstanding++;
	free(a);
	free(len);
}

static uint64_t
avail(struct rd *d)
{
	struct rstate *s = d->rs;

	return s->mine >= d->max_inflight ? 0 : d->max_inflight - s->mine;
}

static void
send_autoclaim(struct rd *d)
{
	struct rstate *s = d->rs;
	char idle[24], n[24];
	uint64_t k = avail(d) < d->count ? avail(d) : d->count;
	const char *a[] = { "XAUTOCLAIM", d->streams[s->si], d->group,
		d->consumer, idle, s->cursor, "COUNT", n, "JUSTID" };

	snprintf(idle, sizeof(idle), "%llu",
	    (unsigned long long)(d->claim_idle / 1000000));
	snprintf(n, sizeof(n), "%llu", (unsigned long long)(k ? k : 1));
	send(d, TAG(T_AUTOCLAIM, s->si), 9, a);
}

static void
send_read(struct rd *d)
{
	struct rstate *s = d->rs;
	const char *a[16 + 2 * RD_MAX_STREAMS];
	char n[24], ms[24];
	uint64_t k = avail(d) < d->count ? avail(d) : d->count;
	int argc = 0;

	snprintf(n, sizeof(n), "%llu", (unsigned long long)k);
	snprintf(ms, sizeof(ms), "%llu", (unsigned long long)(d->block /
	    1000000));
	a[argc++] = "XREADGROUP";
	a[argc++] = "GROUP";
	a[argc++] = d->group;
	a[argc++] = d->consumer;
	a[argc++] = "COUNT";
	a[argc++] = n;
	if (d->block > 0) {
		a[argc++] = "BLOCK";
		a[argc++] = ms;
	}
	if (d->noack)
		a[argc++] = "NOACK";
	a[argc++] = "STREAMS";
	for (int i = 0; i < d->nstreams; i++)
		a[argc++] = d->streams[i];
	for (int i = 0; i < d->nstreams; i++)
		a[argc++] = ">";
	s->phase = PH_READ;
	send(d, TAG(T_READ, 0), argc, a);
}

static void
wait_done(sz_loop *l, void *ud)
{
	struct rd *d = ud;
	struct rstate *s = d->rs;

	(void)l;
	if (s->phase == PH_WAIT && !d->gone) {
		s->phase = PH_ROUND;
		step(d);
	}
}

static void
claim_tick(sz_loop *l, void *ud)
{
	struct rd *d = ud;
	struct rstate *s = d->rs;

	s->claim_due = 1;
	sz_loop_timer(l, sz_now() + d->claim_every, claim_tick, d);
}

/* The next step, once the current one has all its replies. */
static void
step(struct rd *d)
{
	struct rstate *s = d->rs;

	if (d->gone || s->outstanding > 0 || d->t->stopping)
		return;
	if (s->nogroup) {
		s->nogroup = 0;
		if (d->strict) {
			rd_fail(d, SZ_EXIT_UNAVAILABLE, "the group %s is gone "
			    "(NOGROUP) and --strict was given", d->group);
			return;
		}
		sz_msg(d->t, "warning", NULL, 0, "the group %s is gone "
		    "(NOGROUP): creating it again at %s", d->group, d->start);
		d->group_recreated++;
		send_create(d);
		s->phase = PH_CREATE;
		s->si = d->nstreams;	/* no pending pass after it */
		return;
	}
	switch (s->phase) {
	case PH_CREATE:
		if (s->si >= d->nstreams || d->noack) {
			s->phase = PH_ROUND;
			step(d);
			return;
		}
		s->phase = PH_PENDING;
		s->si = 0;
		strcpy(s->cursor, "-");
		send_plist(d);
		return;
	case PH_PENDING:
		if (s->si >= d->nstreams) {
			s->phase = PH_ROUND;
			step(d);
			return;
		}
		send_plist(d);
		return;
	case PH_ROUND:
	case PH_READ:
		if (s->claim_due && !d->noack && avail(d) > 0) {
			s->claim_due = 0;
			s->phase = PH_CLAIM;
			s->si = 0;
			strcpy(s->cursor, "0-0");
			send_autoclaim(d);
			return;
		}
		if (d->noack) {
			send_read(d);
			return;
		}
		s->phase = PH_SUMMARY;
		s->mine = 0;
		for (int i = 0; i < d->nstreams; i++) {
			const char *a[] = { "XPENDING", d->streams[i],
				d->group };
			send(d, TAG(T_SUMMARY, i), 3, a);
		}
		return;
	case PH_SUMMARY:
		if (s->mine > d->pending_max)
			d->pending_max = s->mine;
		if (avail(d) == 0) {
			s->phase = PH_WAIT;
			sz_loop_timer(&d->t->loop, sz_now() + 50000000ULL,
			    wait_done, d);
			return;
		}
		send_read(d);
		return;
	case PH_CLAIM:
		if (strcmp(s->cursor, "0-0") == 0) {
			if (++s->si >= d->nstreams) {
				s->phase = PH_ROUND;
				step(d);
				return;
			}
		}
		send_autoclaim(d);
		return;
	}
}

/* ---- entries ----------------------------------------------------------- */

static void
ack_one(struct rd *d, int si, const char *id)
{
	const char *a[] = { "XACK", d->streams[si], d->group, id };
	size_t len[4];

	for (int i = 0; i < 4; i++)
		len[i] = strlen(a[i]);
	if (szr_send(d->c, TAG(T_ACKBAD, si), 4, a, len) < 0)
		rd_fail(d, SZ_EXIT_FAIL, "out of memory");
}

static void
poison(struct rd *d, int si, const char *id, const char *v, size_t vn,
    long long deliveries)
{
	struct rstate *s = d->rs;
	szr_cmd *g = szr_group(TAG(T_POISON, si));
	char n[24];
	const char *multi[] = { "MULTI" }, *exec[] = { "EXEC" };
	const char *add[] = { "XADD", s->dead[si], "*", d->field, v,
		"deliveries", n, "stream", d->streams[si], "id", id };
	const char *ack[] = { "XACK", d->streams[si], d->group, id };
	size_t l1[] = { 5 }, l4[] = { 4 }, la[11], lk[4];

	if (v == NULL) {
		v = "";
		vn = 0;
	}
	add[4] = v;
	snprintf(n, sizeof(n), "%lld", deliveries - 1);
	for (int i = 0; i < 11; i++)
		la[i] = strlen(add[i]);
	la[4] = vn;
	for (int i = 0; i < 4; i++)
		lk[i] = strlen(ack[i]);
	if (g == NULL || szr_group_add(g, 1, multi, l1) < 0 ||
	    szr_group_add(g, 11, add, la) < 0 ||
	    szr_group_add(g, 4, ack, lk) < 0 ||
	    szr_group_add(g, 1, exec, l4) < 0) {
		szr_group_free(g);
		rd_fail(d, SZ_EXIT_FAIL, "out of memory");
		return;
	}
	szr_group_send(d->c, g);
}

/* A bad entry: the records before it go out first, then --on-error. */
static void
bad_entry(struct rd *d, int si, const char *id, const char *p, size_t n,
    int json, const char *what)
{
	sz_tool *t = d->t;
	sz_rec r = { p ? p : "", p ? n : 0, d->streams[si], d->rs ?
		((struct rstate *)d->rs)->seq[si] : 0, NULL };

	sz_srcset_pump(&t->src);
	if (sz_bad(t, &r, "redis", json, "entry %s: %s", id, what) < 0) {
		d->gone = 1;
		sz_tool_finish(t);
		return;
	}
	if (!d->noack)
		ack_one(d, si, id);
}

/* One entry [id, [field, value, ...]] of stream si, delivered for the
 * deliveries-th time. */
static void
entry(struct rd *d, int si, const redisReply *e, long long deliveries)
{
	struct rstate *s = d->rs;
	const redisReply *f, *id;
	const char *v = NULL, *reason;
	size_t vn = 0, off;
	int rc;

	if (d->gone || e->type != REDIS_REPLY_ARRAY || e->elements < 2 ||
	    e->element[0]->type != REDIS_REPLY_STRING)
		return;
	id = e->element[0];
	f = e->element[1];
	if (f->type != REDIS_REPLY_ARRAY) {
		d->trimmed++;	/* deleted, still pending: [id, nil] */
		if (!d->noack)
			ack_one(d, si, id->str);
		return;
	}
	s->seq[si]++;
	for (size_t i = 0; i + 1 < f->elements; i += 2)
		if (f->element[i]->type == REDIS_REPLY_STRING &&
		    strcmp(f->element[i]->str, d->field) == 0 &&
		    f->element[i + 1]->type == REDIS_REPLY_STRING) {
			v = f->element[i + 1]->str;
			vn = (size_t)f->element[i + 1]->len;
		}
	if (!d->noack && deliveries > (long long)d->max_deliveries) {
		poison(d, si, id->str, v, vn, deliveries);
		return;
	}
	if (v == NULL) {
		char what[600];
		snprintf(what, sizeof(what), "no field %.500s", d->field);
		bad_entry(d, si, id->str, "", 0, 0, what);
		return;
	}
	if (sz_json_validate(v, vn, &reason, &off) < 0) {
		char what[600];
		snprintf(what, sizeof(what), "field %.300s is not JSON: %s "
		    "at byte %zu", d->field, reason, off + 1);
		bad_entry(d, si, id->str, v, vn, 0, what);
		return;
	}
	/* One line: JSON has no line break inside its strings, so those
	 * between its tokens become spaces. */
	sz_buf_reset(&d->b2);
	if (sz_buf_add(&d->b2, v, vn) < 0)
		goto nomem;
	for (size_t i = 0; i < d->b2.len; i++)
		if (d->b2.p[i] == '\n' || d->b2.p[i] == '\r')
			d->b2.p[i] = ' ';
	rc = szr_envelope(&d->b, d->meta, d->b2.p, d->b2.len, d->streams[si],
	    strlen(d->streams[si]), id->str, (size_t)id->len,
	    d->noack ? -1 : deliveries);
	if (rc < 0)
		goto nomem;
	if (rc == 1 && d->meta[0] != '\0') {
		bad_entry(d, si, id->str, v, vn, 1, "not a JSON object");
		return;
	}
	if (sz_buf_addc(&d->b, '\n') < 0 ||
	    sz_source_feed(d->fed, d->b.p, d->b.len) < 0)
		goto nomem;
	d->nread++;
	if (deliveries > 1)
		d->redelivered++;
	return;
nomem:
	rd_fail(d, SZ_EXIT_FAIL, "out of memory");
}

static long long
count_of(struct rstate *s, const char *id)
{
	for (size_t i = 0; i < s->nv; i++)
		if (strcmp(s->v[i].id, id) == 0)
			return s->v[i].count;
	return 0;
}

/* Keep the ids (and delivery counts) of an XPENDING list or of
 * XAUTOCLAIM JUSTID. */
static int
keep_ids(struct rd *d, const redisReply *r, int plist)
{
	struct rstate *s = d->rs;

	s->nv = 0;
	for (size_t i = 0; i < r->elements; i++) {
		const redisReply *x = r->element[i], *idr;
		long long cnt = 0;

		if (plist) {
			if (x->type != REDIS_REPLY_ARRAY || x->elements < 4)
				continue;
			idr = x->element[0];
			cnt = x->element[3]->integer;
		} else
			idr = x;
		if (idr->type != REDIS_REPLY_STRING ||
		    idr->len >= (int)sizeof(s->v[0].id))
			continue;
		if (s->nv == s->av) {
			size_t na = s->av ? 2 * s->av : 64;
			struct idc *nv = realloc(s->v, na * sizeof(*nv));
			if (nv == NULL)
				return -1;
			s->v = nv;
			s->av = na;
		}
		memcpy(s->v[s->nv].id, idr->str, (size_t)idr->len + 1);
		s->v[s->nv].count = cnt;
		s->nv++;
	}
	return 0;
}

static void
read_reply(szr_conn *c, redisReply *r, void *tag, void *ud)
{
	struct rd *d = ud;
	struct rstate *s = d->rs;
	int kind = TAG_KIND(tag), si = TAG_SI(tag);
	int err = r->type == REDIS_REPLY_ERROR;

	if (kind == T_POISON) {
		if (r->type == REDIS_REPLY_ARRAY)
			d->dead++;
		else
			sz_msg(d->t, "warning", NULL, 0, "the dead stream "
			    "%s: MULTI/EXEC failed: %s", s->dead[si],
			    err ? r->str : "");
	}
	if (kind == T_POISON || kind == T_ACKBAD || d->gone) {
		if (d->ending && szr_unconfirmed(c) == 0)
			sz_tool_finish(d->t);
		return;
	}
	s->outstanding--;
	if (err && rd_is_auth_error(r)) {
		rd_fail(d, SZ_EXIT_UNAVAILABLE, "Redis refused: %s", r->str);
		return;
	}
	/* NOGROUP, or a blocked read woken because its stream was
	 * deleted: the group is gone */
	if (err && (strncmp(r->str, "NOGROUP", 7) == 0 ||
	    strncmp(r->str, "UNBLOCKED", 9) == 0)) {
		if (kind != T_CREATE)
			s->nogroup = 1;
		step(d);
		return;
	}
	if (err && !(kind == T_CREATE && strncmp(r->str, "BUSYGROUP", 9) ==
	    0)) {
		rd_fail(d, SZ_EXIT_FAIL, "Redis: %s", r->str);
		return;
	}
	switch (kind) {
	case T_PLIST:
		if (r->type != REDIS_REPLY_ARRAY || r->elements == 0) {
			s->si++;
			strcpy(s->cursor, "-");
			break;
		}
		if (keep_ids(d, r, 1) < 0) {
			rd_fail(d, SZ_EXIT_FAIL, "out of memory");
			return;
		}
		snprintf(s->cursor, sizeof(s->cursor), "(%s",
		    s->v[s->nv - 1].id);
		send_xclaim(d);
		return;
	case T_XCLAIM:
		if (r->type == REDIS_REPLY_ARRAY) {
			size_t got = 0;
			for (size_t i = 0; i < r->elements; i++) {
				const redisReply *e = r->element[i];
				if (e->type != REDIS_REPLY_ARRAY ||
				    e->elements < 2)
					continue;
				got++;
				entry(d, si, e, count_of(s,
				    e->element[0]->str) + 1);
			}
			if (got < s->nv)
				d->trimmed += s->nv - got;
			if (s->phase == PH_CLAIM)
				d->claimed += got;
		}
		break;
	case T_SUMMARY:
		if (r->type == REDIS_REPLY_ARRAY && r->elements >= 4 &&
		    r->element[3]->type == REDIS_REPLY_ARRAY) {
			const redisReply *cs = r->element[3];
			for (size_t i = 0; i < cs->elements; i++) {
				const redisReply *x = cs->element[i];
				if (x->type == REDIS_REPLY_ARRAY &&
				    x->elements == 2 &&
				    strcmp(x->element[0]->str,
				    d->consumer) == 0)
					s->mine += strtoull(x->element[1]->str,
					    NULL, 10);
			}
		}
		break;
	case T_READ:
		if (r->type != REDIS_REPLY_ARRAY) {
			if (d->drain) {
				sz_source_end(d->fed);
				d->gone = 1;
				return;
			}
			break;
		}
		for (size_t i = 0; i < r->elements; i++) {
			const redisReply *k = r->element[i], *es;
			int ki = 0;
			if (k->type != REDIS_REPLY_ARRAY || k->elements < 2)
				continue;
			for (int j = 0; j < d->nstreams; j++)
				if (strcmp(d->streams[j], k->element[0]->str)
				    == 0)
					ki = j;
			es = k->element[1];
			for (size_t j = 0; j < es->elements; j++)
				entry(d, ki, es->element[j], 1);
		}
		break;
	case T_AUTOCLAIM:
		if (r->type != REDIS_REPLY_ARRAY || r->elements < 2) {
			strcpy(s->cursor, "0-0");
			break;
		}
		snprintf(s->cursor, sizeof(s->cursor), "%s",
		    r->element[0]->str);
		if (r->elements >= 3 && r->element[2]->type ==
		    REDIS_REPLY_ARRAY)
			d->trimmed += r->element[2]->elements;
		if (keep_ids(d, r->element[1], 0) < 0) {
			rd_fail(d, SZ_EXIT_FAIL, "out of memory");
			return;
		}
		if (s->nv > 0) {
			char n[24];
			const char *a[] = { "XPENDING", d->streams[si],
				d->group, s->v[0].id, s->v[s->nv - 1].id,
				n, d->consumer };
			snprintf(n, sizeof(n), "%zu", s->nv + 1000);
			send(d, TAG(T_ACOUNT, si), 7, a);
			return;
		}
		break;
	case T_ACOUNT:
		if (r->type == REDIS_REPLY_ARRAY)
			for (size_t i = 0; i < r->elements; i++) {
				const redisReply *x = r->element[i];
				if (x->type != REDIS_REPLY_ARRAY ||
				    x->elements < 4)
					continue;
				for (size_t j = 0; j < s->nv; j++)
					if (strcmp(s->v[j].id,
					    x->element[0]->str) == 0)
						s->v[j].count =
						    x->element[3]->integer;
			}
		send_xclaim(d);
		return;
	}
	step(d);
}

static void
read_up(struct rd *d)
{
	struct rstate *s = d->rs;

	if (s->started)
		return;
	s->started = 1;
	s->claim_due = 1;
	sz_loop_timer(&d->t->loop, sz_now() + d->claim_every, claim_tick, d);
	send_create(d);
	s->si = 0;
}

/* End of the run: no more steps; the acks of bad entries and the moves
 * to the dead stream already sent are waited for. */
static int
read_end(sz_tool *t)
{
	struct rd *d = t->ud;

	d->gone = 1;
	if (d->c == NULL || szr_unconfirmed(d->c) == 0 || t->status != 0)
		return 0;
	d->ending = 1;
	return 1;
}

static int
read_record(sz_tool *t, const sz_rec *r)
{
	return sz_emit(t, r->p, r->n);
}

static void
read_stats(sz_tool *t, sz_statv *v)
{
	struct rd *d = t->ud;

	sz_stat_counter(v, "read", d->nread);
	sz_stat_counter(v, "redelivered", d->redelivered);
	sz_stat_counter(v, "claimed", d->claimed);
	sz_stat_counter(v, "trimmed", d->trimmed);
	sz_stat_counter(v, "dead", d->dead);
	sz_stat_counter(v, "reconnects", d->c ? szr_reconnects(d->c) : 0);
	sz_stat_counter(v, "group_recreated", d->group_recreated);
	sz_stat_gauge(v, "pending_max", d->pending_max);
}

static const sz_proc read_proc = {
	.record = read_record,
	.end = read_end,
	.stats = read_stats,
};

static int
read_option(sz_tool *t, int c)
{
	struct rd *d = t->ud;
	int k;

	if ((k = rd_option(t, c)) != 0)
		return k == '?' ? '?' : 0;
	switch (c) {
	case 's':
		if (d->nstreams >= RD_MAX_STREAMS)
			return sz_opt_fail(&t->o, "-s: at most %d streams",
			    RD_MAX_STREAMS);
		d->streams[d->nstreams++] = optarg;
		break;
	case 'g':
		d->group = optarg;
		break;
	case 'c':
		d->consumer = optarg;
		break;
	case RD_OPT_START:
		d->start = optarg;
		break;
	case RD_OPT_COUNT:
		return sz_opt_count(&t->o, "--count", 1, 1000000, &d->count);
	case RD_OPT_BLOCK:
		return sz_opt_duration(&t->o, "--block", &d->block);
	case RD_OPT_INFLIGHT:
		return sz_opt_count(&t->o, "--max-inflight", 1, 100000000,
		    &d->max_inflight);
	case RD_OPT_CLAIM_EVERY:
		return sz_opt_duration_pos(&t->o, "--claim-every",
		    &d->claim_every);
	case RD_OPT_CLAIM_IDLE:
		return sz_opt_duration(&t->o, "--claim-idle", &d->claim_idle);
	case RD_OPT_MAXDEL:
		return sz_opt_count(&t->o, "--max-deliveries", 1, 1000000,
		    &d->max_deliveries);
	case RD_OPT_DEAD:
		d->dead_stream = optarg;
		break;
	case RD_OPT_FIELD:
		d->field = optarg;
		break;
	case RD_OPT_STRICT:
		d->strict = 1;
		break;
	case RD_OPT_NOACK:
		d->noack = 1;
		break;
	case RD_OPT_META:
		d->meta = optarg;
		break;
	case RD_OPT_DRAIN:
		d->drain = 1;
		break;
	}
	return 0;
}

static int
read_start(sz_tool *t)
{
	struct rd *d = t->ud;
	struct rstate *s;
	int rc;

	if (d->nstreams == 0)
		return sz_usage(t, "read: missing -s KEY");
	if (d->group == NULL)
		return sz_usage(t, "read: missing -g GROUP");
	if (sz_tool_operand(t) != NULL)
		return sz_usage(t, "read: takes no FILE operand");
	if (d->consumer == NULL) {
		if (gethostname(d->host, sizeof(d->host) - 1) < 0 ||
		    d->host[0] == '\0')
			strcpy(d->host, "sz-redis");
		d->consumer = d->host;
	}
	if (d->start == NULL)
		d->start = "$";
	/* (the connection is made from the loop: the names of the dead
	 * streams are in place before its first reply) */
	if ((rc = rd_start(t, sizeof(*s), read_up, read_reply)) >= 0)
		return rc;
	s = d->rs;
	for (int i = 0; i < d->nstreams; i++)
		snprintf(s->dead[i], sizeof(s->dead[i]), "%s%s",
		    d->dead_stream ? d->dead_stream : d->streams[i],
		    d->dead_stream ? "" : ":dead");
	return -1;
}

static void
read_done(sz_tool *t)
{
	struct rd *d = t->ud;
	struct rstate *s = d->rs;

	rd_done(t);
	if (s != NULL)
		free(s->v);
	free(s);
}

const sz_tool_def rd_read_def = {
	.prog = "sz-redis", .usage = usage, .shortopts = "s:g:c:",
	.longopts = longopts, .proc = &read_proc,
	.init = rd_init, .option = read_option, .start = read_start,
	.done = read_done,
};
