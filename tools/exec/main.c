/* SPDX-License-Identifier: MIT */
/*
 * sz-exec - run a command for the records read: one child per attempt
 * (the record on its standard input, its output lines the output
 * records), or long-running coprocesses (--coprocess: one line in, one
 * line out); -j N at once, in input order; timeouts, retries with
 * backoff, a circuit breaker. Every record ends in the output or in a
 * dead letter that says why and after how many attempts.
 *
 * This file: options, the order of records, retries, the breaker, dead
 * letters and stats; run.c: an attempt's child; copro.c: coprocesses.
 */
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "exec.h"
#include "json/json.h"
#include "json/str.h"

static const char usage[] =
"Usage: sz-exec [OPTION]... [--] COMMAND [ARG]...\n"
"Run COMMAND (directly, never through a shell) for each NDJSON record on\n"
"standard input: the record on its standard input, each line it writes an\n"
"output record. An ARG that is exactly {EXPR} (a jq path such as {.url})\n"
"is replaced by the record's value there, {} by the record.\n"
"\n"
"  -j, --jobs=N            run N commands at once (default 1), in input order\n"
"      --unordered         with -j, write results as they finish\n"
"      --coprocess         run -j N long-lived COMMANDs: one line in, one\n"
"                          line out for each record\n"
"      --pipeline=N        records in flight to one coprocess (default 64)\n"
"      --timeout=DUR       an attempt longer than DUR gets SIGTERM\n"
"      --kill-after=DUR    and SIGKILL DUR later (default 2s)\n"
"      --retries=N         retry a failed attempt up to N times (default 0)\n"
"      --backoff=BASE[:MAX]  delay before retry n: BASE*2^(n-1), at most MAX,\n"
"                          times a random factor in [0.5, 1) (100ms:30s)\n"
"      --no-jitter         exact delays\n"
"      --retry-on=KIND     what is retried (repeatable): exit:CODES, timeout,\n"
"                          output, sz_error, stderr:REGEX, any\n"
"                          (default exit:75 and timeout)\n"
"      --breaker=RATE:MIN:COOLDOWN[:TRIALS]  open the circuit when at least\n"
"                          MIN attempts and a share RATE of them failed\n"
"      --breaker-window=DUR  the attempts the breaker counts (default 60s)\n"
"      --when-open=wait|dlq  while open, wait (default) or dead-letter\n";

enum {
	OPT_UNORDERED = SZ_OPT_TOOL, OPT_COPRO, OPT_PIPELINE, OPT_TIMEOUT,
	OPT_KILLAFTER, OPT_RETRIES, OPT_BACKOFF, OPT_NOJITTER, OPT_RETRYON,
	OPT_BREAKER, OPT_BWINDOW, OPT_WHENOPEN
};

static const struct option longopts[] = {
	{ "jobs", required_argument, NULL, 'j' },
	{ "unordered", no_argument, NULL, OPT_UNORDERED },
	{ "coprocess", no_argument, NULL, OPT_COPRO },
	{ "pipeline", required_argument, NULL, OPT_PIPELINE },
	{ "timeout", required_argument, NULL, OPT_TIMEOUT },
	{ "kill-after", required_argument, NULL, OPT_KILLAFTER },
	{ "retries", required_argument, NULL, OPT_RETRIES },
	{ "backoff", required_argument, NULL, OPT_BACKOFF },
	{ "no-jitter", no_argument, NULL, OPT_NOJITTER },
	{ "retry-on", required_argument, NULL, OPT_RETRYON },
	{ "breaker", required_argument, NULL, OPT_BREAKER },
	{ "breaker-window", required_argument, NULL, OPT_BWINDOW },
	{ "when-open", required_argument, NULL, OPT_WHENOPEN },
	{ NULL, 0, NULL, 0 }
};

const char *const exec_kind_names[K_NKINDS] = {
	"none", "exit", "timeout", "output", "sz_error", "stopped",
	"circuit-open", "jq"
};

/* Records (and bytes of records and outputs) in flight at most. */
#define FLIGHT_MIN 256
#define FLIGHT_BYTES (64ULL * 1024 * 1024)

static void deliver(struct ex *x);
static void halt(struct ex *x);

static int
exec_option(sz_tool *t, int c)
{
	struct ex *x = t->ud;

	switch (c) {
	case 'j':
		return sz_opt_count(&t->o, "--jobs", 1, 1024, &x->jobs);
	case OPT_UNORDERED:
		x->unordered = 1;
		break;
	case OPT_COPRO:
		x->copro = 1;
		break;
	case OPT_PIPELINE:
		return sz_opt_count(&t->o, "--pipeline", 1, 65536,
		    &x->pipeline);
	case OPT_TIMEOUT:
		return sz_opt_duration_pos(&t->o, "--timeout", &x->timeout);
	case OPT_KILLAFTER:
		return sz_opt_duration(&t->o, "--kill-after", &x->kill_after);
	case OPT_RETRIES:
		return sz_opt_count(&t->o, "--retries", 0, 1000000,
		    &x->retries);
	case OPT_BACKOFF:
		return exec_opt_backoff(t, x);
	case OPT_NOJITTER:
		x->jitter = 0;
		break;
	case OPT_RETRYON:
		return exec_opt_retry_on(t, x);
	case OPT_BREAKER:
		return exec_opt_breaker(t, x);
	case OPT_BWINDOW:
		return sz_opt_duration_pos(&t->o, "--breaker-window",
		    &x->br.window);
	case OPT_WHENOPEN:
		if (strcmp(optarg, "dlq") == 0)
			x->when_open_dlq = 1;
		else if (strcmp(optarg, "wait") == 0)
			x->when_open_dlq = 0;
		else
			return sz_opt_fail(&t->o, "--when-open: '%s' is not "
			    "wait or dlq", optarg);
		break;
	}
	return 0;
}

/* ---- the jobs in flight -------------------------------------------- */

static void
job_free(struct job *j)
{
	if (j == NULL)
		return;
	free(j->rec);
	free(j->args);
	sz_buf_free(&j->out);
	sz_buf_free(&j->err);
	free(j);
}

/* Take j out of the list in flight (delivered or dropped). */
static void
unlink_job(struct ex *x, struct job *j)
{
	if (j->prev != NULL)
		j->prev->next = j->next;
	else
		x->head = j->next;
	if (j->next != NULL)
		j->next->prev = j->prev;
	else
		x->tail = j->prev;
	x->nflight--;
	x->flight_bytes -= j->n + j->out.len;
}

/* Into the ready queue, kept in input order (retries go before the
 * records read after them). */
void
exec_requeue(struct ex *x, struct job *j)
{
	struct job **pp = &x->ready;

	j->state = J_READY;
	while (*pp != NULL && (*pp)->seq < j->seq)
		pp = &(*pp)->qnext;
	j->qnext = *pp;
	*pp = j;
}

/* The input is paused while the bounds are reached, and while the
 * breaker is not closed (unless open means dead letters). */
void
exec_update_input(struct ex *x)
{
	int full = x->nflight >= x->max_flight ||
	    x->flight_bytes >= x->max_bytes ||
	    (x->br.on && x->br.state != B_CLOSED && !x->when_open_dlq);

	if (x->t->stopping)
		return;	/* the runtime delivers what it read: take it */
	if (full && !x->paused) {
		x->paused = 1;
		sz_input_pause(x->t);
	} else if (!full && x->paused) {
		x->paused = 0;
		sz_input_resume(x->t);
	}
}

/* ---- {EXPR} words -------------------------------------------------- */

/*
 * The command's words for r: each {EXPR} as its value (a string as its
 * text, else its compact JSON; null when missing), {} as the record.
 * Into j->args, NUL-separated. 0, -1 on a jq error (j->msg), -2 for
 * memory.
 */
static int
build_args(struct ex *x, struct job *j, const sz_rec *r)
{
	sz_buf a = SZ_BUF_INIT, v = SZ_BUF_INIT, d = SZ_BUF_INIT;
	int rc = 0;

	for (int i = 0; i < x->ncmd && rc == 0; i++) {
		const char *p = x->cmd[i];
		size_t n = strlen(p);
		int k;

		if (x->is_expr[i] == 2) {
			p = r->p;
			n = r->n;
		} else if (x->is_expr[i] == 1) {
			sz_buf_reset(&v);
			k = sz_expr_value(&x->exprs[i], r, &v);
			if (k == SZ_EXPR_ERROR) {
				snprintf(j->msg, sizeof(j->msg), "%s: %s",
				    x->cmd[i], x->exprs[i].err.p ?
				    x->exprs[i].err.p : "error");
				rc = -1;
				break;
			}
			if (k == SZ_EXPR_EMPTY || v.len == 0) {
				p = "null";
				n = 4;
			} else if (v.p[0] == '"') {
				sz_buf_reset(&d);
				if (sz_json_unescape(v.p, v.len, &d) < 0) {
					rc = -2;
					break;
				}
				p = d.p;
				n = d.len;
			} else {
				p = v.p;
				n = v.len;
			}
		}
		if (memchr(p, '\0', n) != NULL) {
			snprintf(j->msg, sizeof(j->msg), "%s: a value with a "
			    "NUL byte cannot be an argument", x->cmd[i]);
			rc = -1;
		} else if (sz_buf_add(&a, p, n) < 0 || sz_buf_addc(&a,
		    '\0') < 0)
			rc = -2;
	}
	sz_buf_free(&v);
	sz_buf_free(&d);
	if (rc == 0 && a.p != NULL) {
		j->args = a.p;	/* taken */
		return 0;
	}
	sz_buf_free(&a);
	return rc;
}

/* ---- records in ---------------------------------------------------- */

static int
exec_record(sz_tool *t, const sz_rec *r)
{
	struct ex *x = t->ud;
	struct job *j = calloc(1, sizeof(*j));
	int k = 0;

	if (j == NULL || (j->rec = malloc(r->n + 1)) == NULL) {
		free(j);
		return sz_fail(t, SZ_EXIT_FAIL, "out of memory");
	}
	memcpy(j->rec, r->p, r->n);
	j->n = r->n;
	j->file = r->file;
	j->line = r->line;
	j->seq = ++x->seq;
	j->prev = x->tail;
	if (x->tail != NULL)
		x->tail->next = j;
	else
		x->head = j;
	x->tail = j;
	x->nflight++;
	x->flight_bytes += j->n;
	if (!x->copro && x->nexpr > 0 && (k = build_args(x, j, r)) == -2)
		return sz_fail(t, SZ_EXIT_FAIL, "out of memory");
	if (t->stopsig) {
		/* read before the stop signal, delivered after it */
		j->state = J_DONE;
		j->kind = K_STOPPED;
		snprintf(j->msg, sizeof(j->msg), "%s came before it was run",
		    t->stopsig == SIGINT ? "SIGINT" : "SIGTERM");
	} else if (k == -1) {
		j->state = J_DONE;
		j->kind = K_JQ;
	} else
		exec_requeue(x, j);
	exec_schedule(x);
	exec_update_input(x);
	return x->halted ? -1 : 0;
}

/* ---- one attempt's output ------------------------------------------ */

int
exec_take_line(struct ex *x, struct job *j, const char *p, size_t n)
{
	const char *reason;
	size_t off, m = n;

	if (m > 0 && p[m - 1] == '\r')
		m--;
	if (sz_json_ws(p, p + m) == p + m)
		return K_NONE;	/* a blank line, as in the input */
	if (sz_json_validate(p, m, &reason, &off) < 0) {
		snprintf(j->msg, sizeof(j->msg), "output line %llu is not "
		    "JSON: %s at column %zu", (unsigned long long)j->nout + 1,
		    reason, off + 1);
		return K_OUTPUT;
	}
	sz_json_trim(&p, &m);
	if (j->out.len + m >= x->max_bytes) {
		/* held until its turn: bounded as the records in flight */
		snprintf(j->msg, sizeof(j->msg), "more than %llu bytes of "
		    "output", (unsigned long long)x->max_bytes);
		return K_OUTPUT;
	}
	if (sz_buf_add(&j->out, p, m) < 0 || sz_buf_addc(&j->out, '\n') < 0) {
		snprintf(j->msg, sizeof(j->msg), "out of memory");
		return K_OUTPUT;
	}
	x->flight_bytes += m + 1;
	j->nout++;
	return K_NONE;
}

void
exec_keep_err(struct job *j, const char *p, size_t n)
{
	if (n >= ERR_TAIL) {
		p += n - ERR_TAIL;
		n = ERR_TAIL;
	}
	if (j->err.len + n > ERR_TAIL) {
		size_t cut = j->err.len + n - ERR_TAIL;

		memmove(j->err.p, j->err.p + cut, j->err.len - cut);
		j->err.len -= cut;
	}
	(void)sz_buf_add(&j->err, p, n);
}

void
exec_stderr_line(struct ex *x, const struct job *j, const char *p, size_t n)
{
	sz_buf *b = &x->scratch;

	if (n > 0 && p[n - 1] == '\n')
		n--;
	sz_buf_reset(b);
	if ((x->t->o.log_json ? sz_buf_add(b, p, n) :
	    sz_buf_add_visible(b, p, n)) < 0 || sz_buf_addc(b, '\0') < 0)
		return;
	if (j != NULL)
		sz_msg(x->t, "info", j->file, j->line, "%s", b->p);
	else
		sz_msg(x->t, "info", NULL, 0, "%s", b->p);
}

/* ---- attempts ------------------------------------------------------ */

/* Is failure `kind` of j one that --retry-on names? */
static int
retriable(const struct ex *x, const struct job *j, int kind)
{
	const struct retry_on *ro = &x->ro;

	if (kind == K_STOPPED || kind == K_CIRCUIT || kind == K_JQ)
		return 0;
	if (ro->any || ro->kinds[kind])
		return 1;
	if (kind == K_EXIT && j->have_status && WIFEXITED(j->wstatus))
		for (size_t i = 0; i < ro->ncodes; i++)
			if (ro->codes[i] == WEXITSTATUS(j->wstatus))
				return 1;
	if (ro->nres > 0) {
		sz_buf s = SZ_BUF_INIT;
		int hit = 0;

		if (sz_buf_add(&s, j->err.p ? j->err.p : "", j->err.len) ==
		    0 && sz_buf_addc(&s, '\0') == 0)
			for (size_t i = 0; i < ro->nres && !hit; i++)
				hit = regexec(&ro->res[i], s.p, 0, NULL,
				    0) == 0;
		sz_buf_free(&s);
		return hit;
	}
	return 0;
}

/* The delay before attempt n (>= 2): min(BASE*2^(n-2), MAX), times a
 * factor in [0.5, 1) unless --no-jitter. */
static uint64_t
backoff(const struct ex *x, unsigned n)
{
	double d = (double)x->base * exp2((double)n - 2);

	if (d > (double)x->max)
		d = (double)x->max;
	if (x->jitter)
		d *= 0.5 + 0.5 * ((double)random() / ((double)RAND_MAX + 1));
	return (uint64_t)d;
}

static void
retry_due(sz_loop *l, void *ud)
{
	struct job *j = ud;
	struct ex *x = (struct ex *)j->qnext;	/* parked there */

	(void)l;
	j->timer = 0;
	j->qnext = NULL;
	exec_requeue(x, j);
	exec_schedule(x);
}

void
exec_attempt_done(struct ex *x, struct job *j, int kind)
{
	uint64_t now = sz_now();

	x->running--;
	exec_hist_add(&x->h, now - j->started);
	j->kind = kind;
	if (kind != K_NONE)
		x->nfail[kind]++;
	exec_breaker_note(x, kind != K_NONE);
	if (kind == K_NONE || x->halted || !retriable(x, j, kind) ||
	    j->attempts > x->retries) {
		j->state = J_DONE;
	} else if (x->stopping) {
		j->state = J_DONE;
		j->kind = K_STOPPED;
		snprintf(j->msg, sizeof(j->msg), "stopped before attempt %u",
		    j->attempts + 1);
	} else {
		x->nretries++;
		x->flight_bytes -= j->out.len;
		sz_buf_reset(&j->out);
		j->nout = 0;
		j->state = J_BACKOFF;
		j->qnext = (struct job *)x;	/* for retry_due */
		j->timer = sz_loop_timer(&x->t->loop, now +
		    backoff(x, j->attempts + 1), retry_due, j);
		if (j->timer == 0)
			retry_due(&x->t->loop, j);
		return;
	}
	if (!x->in_batch)
		exec_schedule(x);
}

/* Start attempts while there is room, a record ready and the breaker
 * lets them. */
static void
start_some(struct ex *x)
{
	int k;

	while (x->ready != NULL && !x->halted) {
		struct job *j = x->ready;

		if (x->stopping) {
			x->ready = j->qnext;
			j->state = J_DONE;
			j->kind = K_STOPPED;
			snprintf(j->msg, sizeof(j->msg), "stopped before "
			    "attempt %u", j->attempts + 1);
			continue;
		}
		if (!exec_breaker_allows(x)) {
			if (!x->when_open_dlq)
				break;
			x->ready = j->qnext;
			j->state = J_DONE;
			j->kind = K_CIRCUIT;
			snprintf(j->msg, sizeof(j->msg), "the circuit breaker "
			    "is open");
			continue;
		}
		if (!x->copro && x->running >= x->jobs)
			break;
		x->ready = j->qnext;
		j->qnext = NULL;
		if (x->copro && (k = copro_send(x, j)) != 0) {
			/* (j->qnext is the coprocess's once sent) */
			j->qnext = x->ready;
			x->ready = j;
			if (k < 0)
				halt(x);
			break;
		}
		j->attempts++;
		x->nattempts++;
		x->running++;
		j->state = J_RUNNING;
		j->started = sz_now();
		j->have_status = 0;
		j->err.len = 0;
		j->msg[0] = '\0';
		if (x->br.on && x->br.state == B_HALF)
			x->br.tried++;
		if (x->copro)
			copro_arm(x);
		else if (run_start(x, j) < 0)
			exec_attempt_done(x, j, K_EXIT);
	}
}

/* Start what can start, deliver what is done; again when one of them
 * asked for it (an attempt that could not start ends at once). */
void
exec_schedule(struct ex *x)
{
	if (x->in_sched) {
		x->resched = 1;
		return;
	}
	x->in_sched = 1;
	do {
		x->resched = 0;
		deliver(x);	/* first: a failure may end the run */
		start_some(x);
		deliver(x);
	} while (x->resched && !x->halted);
	x->in_sched = 0;
}

/* ---- delivery ------------------------------------------------------ */

/* The dead letter's members of a failed job: exit or signal, stderr. */
static void
dead_extra(const struct job *j, sz_buf *b)
{
	if (j->have_status && WIFEXITED(j->wstatus))
		(void)sz_buf_printf(b, ",\"exit\":%d", WEXITSTATUS(j->wstatus));
	else if (j->have_status && WIFSIGNALED(j->wstatus)) {
		char name[32];

		snprintf(name, sizeof(name), "SIG%s",
		    sigabbrev_np(WTERMSIG(j->wstatus)) ?
		    sigabbrev_np(WTERMSIG(j->wstatus)) : "?");
		(void)sz_buf_adds(b, ",\"signal\":");
		(void)sz_buf_add_jstr(b, name, strlen(name));
	}
	if (j->err.len > 0) {
		(void)sz_buf_adds(b, ",\"stderr\":");
		(void)sz_buf_add_jstr(b, j->err.p, j->err.len);
	}
}

/* The words for a failed job. */
static void
fail_text(const struct ex *x, const struct job *j, char *buf, size_t size)
{
	char st[128];

	switch (j->kind) {
	case K_EXIT:
		if (j->have_status)
			snprintf(buf, size, "%s %s", x->cmd[0],
			    sz_child_status_text(j->wstatus, st, sizeof(st)));
		else
			snprintf(buf, size, "%s: %s", x->cmd[0], j->msg);
		break;
	case K_TIMEOUT:
		snprintf(buf, size, "%s timed out after %gs", x->cmd[0],
		    (double)x->timeout / SEC);
		break;
	case K_OUTPUT:
	case K_SZERROR:
		snprintf(buf, size, "%s: %s", x->cmd[0], j->msg);
		break;
	default:
		snprintf(buf, size, "%s", j->msg);
	}
	if (j->attempts > 1 && j->kind != K_STOPPED && j->kind != K_CIRCUIT) {
		size_t n = strlen(buf);

		snprintf(buf + n, size - n, " (attempt %u)", j->attempts);
	}
}

/* Write a finished job: its output, or its failure as bad input. */
static int
finish(struct ex *x, struct job *j)
{
	sz_rec r = { j->rec, j->n, j->file, j->line, NULL };
	sz_buf extra = SZ_BUF_INIT;
	char text[512];
	sz_dead d;
	int rc;

	if (j->kind == K_NONE) {
		if (j->nout == 0)
			x->t->st.dropped++;
		return sz_emit_lines(x->t, j->out.p, j->out.len, j->nout);
	}
	fail_text(x, j, text, sizeof(text));
	dead_extra(j, &extra);
	memset(&d, 0, sizeof(d));
	d.error = text;
	d.kind = exec_kind_names[j->kind];
	d.attempts = j->attempts;
	d.attempts_exact = 1;
	d.rec_is_json = 1;
	d.extra = extra.p;
	rc = sz_bad_dead(x->t, &r, j->kind == K_JQ ? SZ_EXIT_DATA :
	    SZ_EXIT_FAIL, &d);
	sz_buf_free(&extra);
	return rc;
}

/* A failure ends the run: no attempt goes on, nothing more is said. */
static void
halt(struct ex *x)
{
	x->halted = 1;
	if (x->copro)
		copro_halt(x);
	else
		run_kill_all(x);
	while (x->head != NULL) {
		struct job *j = x->head;

		if (j->timer)
			sz_loop_cancel(&x->t->loop, j->timer);
		/* read after the one that ended the run: counted as not
		 * read, as with one worker */
		x->t->st.in--;
		x->t->st.bytes_in -= j->n + 1;
		unlink_job(x, j);
		job_free(j);
	}
	x->ready = NULL;
	sz_tool_finish(x->t);
}

/* Write the finished jobs at the head (any finished job, unordered). */
static void
deliver(struct ex *x)
{
	struct job *j = x->head;

	while (j != NULL && !x->halted) {
		struct job *next = j->next;

		if (j->state != J_DONE) {
			if (!x->unordered)
				break;
			j = next;
			continue;
		}
		unlink_job(x, j);
		if (finish(x, j) < 0) {
			job_free(j);
			halt(x);
			return;
		}
		job_free(j);
		j = next;
	}
	if (x->halted)
		return;
	exec_update_input(x);
	if (x->ending && x->head == NULL && (!x->copro || !copro_close(x)))
		sz_tool_finish(x->t);
}

/* ---- the runtime's callbacks --------------------------------------- */

/* A stop signal: no attempt starts; the ones waiting for a retry stop
 * (running ones finish, within --timeout). */
static void
stop(struct ex *x)
{
	x->stopping = 1;
	for (struct job *j = x->head; j != NULL; j = j->next)
		if (j->state == J_BACKOFF) {
			sz_loop_cancel(&x->t->loop, j->timer);
			j->timer = 0;
			j->qnext = NULL;
			j->state = J_DONE;
			j->kind = K_STOPPED;
			snprintf(j->msg, sizeof(j->msg), "stopped before "
			    "attempt %u", j->attempts + 1);
		}
}

static int
exec_end(sz_tool *t)
{
	struct ex *x = t->ud;

	if (x->halted || t->epipe)
		return 0;
	x->ending = 1;
	if (t->stopsig && !x->stopping)
		stop(x);
	exec_schedule(x);
	return t->finished ? 0 : 1;
}

static void
exec_idle(sz_tool *t)
{
	struct ex *x = t->ud;

	if (t->stopsig && !x->stopping && !x->halted) {
		/* (after the end of input, end() is not called again) */
		stop(x);
		exec_schedule(x);
	}
	if (x->copro)
		copro_idle(x);
}

static void
exec_child(sz_tool *t)
{
	struct ex *x = t->ud;

	if (x->copro)
		copro_reap(x);
	else
		run_reap(x);
}

static void
exec_stats(sz_tool *t, sz_statv *v)
{
	struct ex *x = t->ud;
	static const char *const states[] = { "closed", "open", "half-open" };

	sz_stat_gauge(v, "jobs", x->jobs);
	sz_stat_counter(v, "attempts", x->nattempts);
	sz_stat_counter(v, "retries", x->nretries);
	sz_stat_counter(v, "timeouts", x->nfail[K_TIMEOUT]);
	if (x->copro)
		sz_stat_counter(v, "restarts", x->restarts);
	sz_stat_group(v, "failures", "kind");
	sz_stat_counter(v, "exit", x->nfail[K_EXIT]);
	sz_stat_counter(v, "timeout", x->nfail[K_TIMEOUT]);
	sz_stat_counter(v, "output", x->nfail[K_OUTPUT]);
	if (x->copro)
		sz_stat_counter(v, "sz_error", x->nfail[K_SZERROR]);
	if (x->br.on) {
		sz_stat_group(v, "breaker", NULL);
		sz_stat_text(v, "state", states[x->br.state]);
		sz_stat_counter(v, "opened", x->br.opened);
	}
	sz_stat_group(v, "attempt_s", NULL);
	sz_stat_real(v, "p50", exec_hist_q(&x->h, 0.5), 6);
	sz_stat_real(v, "p95", exec_hist_q(&x->h, 0.95), 6);
	sz_stat_real(v, "max", (double)x->h.max / SEC, 6);
	sz_stat_group(v, NULL, NULL);
}

static const sz_proc exec_proc = {
	.record = exec_record,
	.end = exec_end,
	.stats = exec_stats,
	.child = exec_child,
	.idle = exec_idle,
};

/* ---- set-up -------------------------------------------------------- */

static int
exec_start(sz_tool *t)
{
	struct ex *x = t->ud;
	sz_buf err = SZ_BUF_INIT;

	x->t = t;
	if (t->argc < 1)
		return sz_usage(t, "missing COMMAND");
	x->cmd = t->argv;
	x->ncmd = t->argc;
	t->argc = 0;	/* no FILE operands: standard input */
	if (x->unordered && x->jobs == 1)
		x->unordered = 0;
	if (!x->ro_given) {
		static int c75 = 75;

		x->ro.kinds[K_TIMEOUT] = 1;
		x->ro.codes = &c75;
		x->ro.ncodes = 1;
		x->ro_given = -1;	/* codes not ours to free */
	}
	if (x->br.window == 0)
		x->br.window = 60 * SEC;
	x->is_expr = calloc((size_t)x->ncmd, sizeof(*x->is_expr));
	x->exprs = calloc((size_t)x->ncmd, sizeof(*x->exprs));
	if (x->is_expr == NULL || x->exprs == NULL) {
		sz_msg(t, "error", NULL, 0, "out of memory");
		return SZ_EXIT_FAIL;
	}
	for (int i = 0; i < x->ncmd && !x->copro; i++) {
		const char *w = x->cmd[i];
		size_t n = strlen(w);
		char *src;

		if (n < 2 || w[0] != '{' || w[n - 1] != '}')
			continue;
		if (n == 2) {
			x->is_expr[i] = 2;
			x->nexpr++;
			continue;
		}
		if (w[1] != '.')
			continue;
		if ((src = strndup(w + 1, n - 2)) == NULL) {
			sz_msg(t, "error", NULL, 0, "out of memory");
			return SZ_EXIT_FAIL;
		}
		sz_buf_reset(&err);
		if (sz_expr_compile(&x->exprs[i], src, &t->vars, 1,
		    &err) < 0) {
			free(src);
			sz_usage(t, "%s: %s", w, err.p ? err.p : "error");
			sz_buf_free(&err);
			return SZ_EXIT_USAGE;
		}
		free(src);
		x->is_expr[i] = 1;
		x->nexpr++;
	}
	sz_buf_free(&err);
	x->max_flight = FLIGHT_MIN;
	if (x->max_flight < 4 * x->jobs * (x->copro ? x->pipeline : 1))
		x->max_flight = 4 * x->jobs * (x->copro ? x->pipeline : 1);
	x->max_bytes = FLIGHT_BYTES;
	srandom((unsigned)(sz_now() ^ (uint64_t)getpid()));
	if (x->copro && copro_start(x) < 0)
		return SZ_EXIT_FAIL;
	return -1;
}

static void
exec_done(sz_tool *t)
{
	struct ex *x = t->ud;

	if (x->copro)
		copro_free(x);
	else
		run_kill_all(x);
	while (x->head != NULL) {
		struct job *j = x->head;

		unlink_job(x, j);
		job_free(j);
	}
	for (int i = 0; i < x->ncmd; i++)
		if (x->is_expr != NULL && x->is_expr[i] == 1)
			sz_expr_free(&x->exprs[i]);
	free(x->exprs);
	free(x->is_expr);
	if (x->ro_given > 0)
		free(x->ro.codes);
	for (size_t i = 0; i < x->ro.nres; i++)
		regfree(&x->ro.res[i]);
	free(x->ro.res);
	sz_buf_free(&x->scratch);
}

static void
exec_init(sz_tool *t)
{
	struct ex *x = t->ud;

	x->jobs = 1;
	x->pipeline = 64;
	x->kill_after = 2 * SEC;
	x->base = SEC / 10;
	x->max = 30 * SEC;
	x->jitter = 1;
}

static const sz_tool_def exec_def = {
	.init = exec_init,
	.prog = "sz-exec", .usage = usage, .shortopts = "+j:",
	.longopts = longopts, .proc = &exec_proc,
	.option = exec_option, .start = exec_start, .done = exec_done,
};

SZ_TOOL_MAIN(exec_def, struct ex)
