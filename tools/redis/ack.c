/* SPDX-License-Identifier: MIT */
/*
 * sz-redis ack - acknowledge (XACK) the entries whose records come in:
 * each record's _redis.stream and _redis.id (or those of a dead letter's
 * record), per stream, in batches of up to 1000 ids or 50 ms, pipelined.
 * A record without them is bad input; under --on-error=fail the ids read
 * before it are acknowledged first (end() sends what is batched and waits
 * for the replies). With --echo a batch's records go with its XACK as its
 * tag and are written when Redis answered it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json/json.h"
#include "redis.h"

#define ACK_BATCH 1000
#define ACK_DELAY 50000000ULL		/* 50 ms */
#define ACK_INFLIGHT 64			/* batches in flight */

struct batch {
	char *stream;
	char **ids;
	size_t n;
	sz_buf echo;			/* --echo: its records, each + '\n' */
};

/* An XACK's tag under --echo: the records it acknowledges. */
struct echoed {
	sz_buf recs;
	uint64_t n;
};

struct astate {
	struct batch b[RD_MAX_STREAMS];
	int nb;
	uint64_t timer;
	uint64_t batched;
};

static const char usage[] =
"Usage: sz-redis ack [-s KEY]... -g GROUP [OPTION]... [FILE]...\n"
"Acknowledge in the consumer group GROUP the entries whose records (or\n"
"dead letters of records) come in, by their _redis.stream and _redis.id.\n"
"Several FILE operands are read at once (e.g. a sink's output and a FIFO\n"
"of dead letters). Nothing is written on standard output unless --echo.\n"
"\n"
"  -g, --group GROUP      the consumer group\n"
"  -s, --stream KEY       only records of these streams (up to 64): one of\n"
"                         another stream is bad input\n"
"      --meta=NAME        the envelope's name (default _redis)\n"
"      --echo             write each record as it came, once Redis\n"
"                         confirmed its XACK\n"
RD_COMMON_HELP;

static const struct option longopts[] = {
	{ "group", required_argument, NULL, 'g' },
	{ "stream", required_argument, NULL, 's' },
	{ "meta", required_argument, NULL, RD_OPT_META },
	{ "echo", no_argument, NULL, RD_OPT_ECHO },
	RD_COMMON_LONGOPTS,
	{ NULL, 0, NULL, 0 }
};

static void
batch_clear(struct batch *b)
{
	for (size_t i = 0; i < b->n; i++)
		free(b->ids[i]);
	b->n = 0;
	sz_buf_reset(&b->echo);
}

static void
echoed_free(void *tag)
{
	struct echoed *e = tag;

	if (e != NULL)
		sz_buf_free(&e->recs);
	free(e);
}

/* Send the XACK of batch i. */
static int
flush_one(struct rd *d, struct batch *b)
{
	struct astate *s = d->rs;
	struct echoed *e = NULL;
	const char **a;
	size_t *len;
	int rc = 0;

	if (b->n == 0)
		return 0;
	a = malloc((b->n + 3) * sizeof(*a));
	len = malloc((b->n + 3) * sizeof(*len));
	if (a == NULL || len == NULL || (e = calloc(1, sizeof(*e))) == NULL) {
		rc = -1;
		goto out;
	}
	e->n = b->n;
	if (d->echo) {
		/* the records move to the command; the batch starts anew */
		e->recs = b->echo;
		memset(&b->echo, 0, sizeof(b->echo));
	}
	a[0] = "XACK";
	a[1] = b->stream;
	a[2] = d->group;
	for (size_t i = 0; i < b->n; i++)
		a[3 + i] = b->ids[i];
	for (size_t i = 0; i < b->n + 3; i++)
		len[i] = strlen(a[i]);
	rc = szr_send(d->c, e, (int)b->n + 3, a, len);
	if (rc == 0) {
		s->batched -= b->n;
		batch_clear(b);
	} else {
		if (d->echo)
			b->echo = e->recs;
		free(e);
	}
	e = NULL;
out:
	free(e);
	free(a);
	free(len);
	return rc;
}

static int
flush_all(struct rd *d)
{
	struct astate *s = d->rs;

	if (s->timer) {
		sz_loop_cancel(&d->t->loop, s->timer);
		s->timer = 0;
	}
	for (int i = 0; i < s->nb; i++)
		if (flush_one(d, &s->b[i]) < 0)
			return -1;
	if (szr_unconfirmed(d->c) >= ACK_INFLIGHT)
		sz_input_pause(d->t);
	return 0;
}

static void
ack_tick(sz_loop *l, void *ud)
{
	struct rd *d = ud;
	struct astate *s = d->rs;

	(void)l;
	s->timer = 0;
	if (flush_all(d) < 0)
		rd_fail(d, SZ_EXIT_FAIL, "out of memory");
}

static void
ack_reply(szr_conn *c, redisReply *r, void *tag, void *ud)
{
	struct rd *d = ud;
	struct echoed *e = tag;

	if (d->gone)
		goto out;
	if (r->type == REDIS_REPLY_INTEGER) {
		uint64_t n = r->integer > 0 ? (uint64_t)r->integer : 0;

		/* the ids Redis did not count were not pending: acknowledged
		 * already (an XACK that reached Redis before the connection
		 * was lost, sent again), or never read in the group */
		if (n > e->n)
			n = e->n;
		d->acked += n;
		d->not_pending += e->n - n;
	} else if (r->type == REDIS_REPLY_ERROR) {
		rd_fail(d, rd_is_auth_error(r) ? SZ_EXIT_UNAVAILABLE :
		    SZ_EXIT_FAIL, "XACK: %s", r->str);
		goto out;
	}
	/* --echo: the records of this XACK, now that Redis confirmed it */
	if (d->echo && sz_emit_lines(d->t, e->recs.p, e->recs.len,
	    e->n) < 0) {
		d->gone = 1;
		sz_tool_finish(d->t);
		goto out;
	}
	if (szr_unconfirmed(c) < ACK_INFLIGHT / 2)
		sz_input_resume(d->t);
	if (d->ending && szr_unconfirmed(c) == 0)
		sz_tool_finish(d->t);
out:
	echoed_free(e);
}

static int
ack_record(sz_tool *t, const sz_rec *r)
{
	struct rd *d = t->ud;
	struct astate *s = d->rs;
	sz_step st[2] = { { SZ_STEP_KEY, "record", 6, 0 },
		{ SZ_STEP_KEY, d->meta, strlen(d->meta), 0 } };
	const char *m, *stream, *id;
	size_t mn, sn, idn;
	sz_jtype et;
	struct batch *b = NULL;
	char *copy;

	if (d->gone)
		return -1;
	if (sz_json_get(r->p, r->n, &st[1], &m, &mn, &et) != SZ_GET_FOUND &&
	    sz_json_path(r->p, r->n, st, 2, &m, &mn, &et) != SZ_GET_FOUND)
		return sz_bad(t, r, "redis", 1, "no %s member", d->meta);
	if ((id = rd_member_str(m, mn, "id", &d->b2, &idn)) == NULL ||
	    idn == 0 || (stream = rd_member_str(m, mn, "stream",
	    &d->scratch, &sn)) == NULL || sn == 0)
		return sz_bad(t, r, "redis", 1, "no %s.stream and %s.id "
		    "strings", d->meta, d->meta);
	if (d->nstreams > 0) {
		int i;

		for (i = 0; i < d->nstreams; i++)
			if (strlen(d->streams[i]) == sn &&
			    memcmp(d->streams[i], stream, sn) == 0)
				break;
		if (i == d->nstreams)
			return sz_bad(t, r, "redis", 1, "%s.stream '%.*s' is "
			    "not one of -s", d->meta, (int)(sn > 200 ? 200 :
			    sn), stream);
	}
	if ((copy = strndup(id, idn)) == NULL)
		return sz_fail(t, SZ_EXIT_FAIL, "out of memory");
	for (int i = 0; i < s->nb; i++)
		if (strlen(s->b[i].stream) == sn &&
		    memcmp(s->b[i].stream, stream, sn) == 0)
			b = &s->b[i];
	if (b == NULL) {
		if (s->nb == RD_MAX_STREAMS) {
			/* make room: send what is batched */
			if (flush_all(d) < 0)
				goto nomem;
			for (int i = 0; i < s->nb; i++) {
				free(s->b[i].stream);
				free(s->b[i].ids);
				sz_buf_free(&s->b[i].echo);
			}
			s->nb = 0;
		}
		b = &s->b[s->nb];
		memset(b, 0, sizeof(*b));
		if ((b->stream = strndup(stream, sn)) == NULL ||
		    (b->ids = malloc(ACK_BATCH * sizeof(*b->ids))) == NULL) {
			free(b->stream);
			goto nomem;
		}
		s->nb++;
	}
	if (d->echo && (sz_buf_add(&b->echo, r->p, r->n) < 0 ||
	    sz_buf_addc(&b->echo, '\n') < 0))
		goto nomem;
	b->ids[b->n++] = copy;
	s->batched++;
	if (b->n == ACK_BATCH) {
		if (flush_one(d, b) < 0)
			goto nomem;
		if (szr_unconfirmed(d->c) >= ACK_INFLIGHT)
			sz_input_pause(t);
	} else if (s->timer == 0)
		s->timer = sz_loop_timer(&t->loop, sz_now() + ACK_DELAY,
		    ack_tick, d);
	return 0;
nomem:
	free(copy);
	return sz_fail(t, SZ_EXIT_FAIL, "out of memory");
}

static int
ack_end(sz_tool *t)
{
	struct rd *d = t->ud;

	if (d->gone || d->c == NULL)
		return 0;
	if (flush_all(d) < 0) {
		sz_fail(t, SZ_EXIT_FAIL, "out of memory");
		return 0;
	}
	sz_input_resume(t);
	if (szr_unconfirmed(d->c) == 0)
		return 0;
	d->ending = 1;
	return 1;
}

static void
ack_stats(sz_tool *t, sz_statv *v)
{
	struct rd *d = t->ud;

	sz_stat_counter(v, "acked", d->acked);
	sz_stat_counter(v, "not_pending", d->not_pending);
	sz_stat_counter(v, "reconnects", d->c ? szr_reconnects(d->c) : 0);
}

static const sz_proc ack_proc = {
	.record = ack_record,
	.end = ack_end,
	.stats = ack_stats,
	.files_at_once = 1,
};

static int
ack_option(sz_tool *t, int c)
{
	struct rd *d = t->ud;
	int k;

	if ((k = rd_option(t, c)) != 0)
		return k == '?' ? '?' : 0;
	switch (c) {
	case 'g':
		d->group = optarg;
		break;
	case 's':
		if (d->nstreams == RD_MAX_STREAMS)
			return sz_opt_fail(&t->o, "-s: at most %d streams",
			    RD_MAX_STREAMS);
		d->streams[d->nstreams++] = optarg;
		break;
	case RD_OPT_META:
		if (optarg[0] == '\0')
			return sz_opt_fail(&t->o, "--meta: ack needs a name");
		d->meta = optarg;
		break;
	case RD_OPT_ECHO:
		d->echo = 1;
		break;
	}
	return 0;
}

static int
ack_start(sz_tool *t)
{
	struct rd *d = t->ud;
	int rc;

	if (d->group == NULL)
		return sz_usage(t, "ack: missing -g GROUP");
	if ((d->rs = calloc(1, sizeof(struct astate))) == NULL) {
		sz_msg(t, "error", NULL, 0, "out of memory");
		return SZ_EXIT_FAIL;
	}
	if ((rc = rd_connect(t, ack_reply)) < 0)
		szr_tag_free(d->c, echoed_free);
	return rc;
}

static void
ack_done(sz_tool *t)
{
	struct rd *d = t->ud;
	struct astate *s = d->rs;

	rd_done(t);
	if (s != NULL)
		for (int i = 0; i < s->nb; i++) {
			batch_clear(&s->b[i]);
			free(s->b[i].stream);
			free(s->b[i].ids);
			sz_buf_free(&s->b[i].echo);
		}
	free(s);
}

const sz_tool_def rd_ack_def = {
	.prog = "sz-redis", .usage = usage, .shortopts = "g:s:",
	.longopts = longopts, .proc = &ack_proc,
	.init = rd_init, .option = ack_option, .start = ack_start,
	.done = ack_done,
};
