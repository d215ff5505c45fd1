/* SPDX-License-Identifier: MIT */
/* tool.c - the runtime every sz tool runs on; see tool.h. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/queue.h"
#include "io/child.h"
#include "io/wq.h"
#include "jq/expr.h"
#include "json/json.h"
#include "run/key.h"
#include "run/statsdir.h"
#include "run/tool.h"

/*
 * Bytes asked of read(2) at a time. 256 KiB fits in a core's L2 cache, so
 * the bytes the kernel copied are still there when the framer and the
 * scanner walk them: sz-batch -n 1000 | sz-unbatch on 1M records took
 * 0.20 s with 256 KiB (and 128 KiB) reads and 0.23 s (0.20-0.28) with
 * 1 MiB reads, on this project's 2-core build machine.
 */
#define READ_SIZE (256 * 1024)

/*
 * Descriptors 0, 1 and 2 are open from here on (cron and some supervisors
 * start programs with one closed): else the first file a tool opens takes
 * the number and receives its output, or its signal pipe becomes its
 * input. A closed one is /dev/null opened for reading: a closed stdin
 * reads as empty input, and writes to a closed stdout fail (EBADF: a
 * write error, exit 1).
 */
static void
std_fds_open(void)
{
	/* In order, so that open() returns the lowest free number: fd. */
	for (int fd = 0; fd <= 2; fd++)
		if (fcntl(fd, F_GETFD) < 0 && errno == EBADF)
			(void)open("/dev/null", O_RDONLY);
}

/* Write a whole text to stderr; errors there have nowhere to go. */
static void
put_stderr(const char *p, size_t n)
{
	while (n > 0) {
		ssize_t k = write(2, p, n);

		if (k < 0) {
			if (errno == EINTR)
				continue;
			return;
		}
		p += k;
		n -= (size_t)k;
	}
}

/* jq's debug line, as jq writes it (also with --log=json), from any
 * thread: one write. */
static void
jq_debug(void *ud, const char *p, size_t n)
{
	sz_tool *t = ud;
	sz_buf b = SZ_BUF_INIT;

	/* With --log=json, a line of level debug whose msg is jq's line
	 * (without its newline). */
	if (t == NULL || !t->o.log_json) {
		put_stderr(p, n);
		return;
	}
	if (n > 0 && p[n - 1] == '\n')
		n--;
	if (sz_buf_add(&b, p, n) == 0 && sz_buf_addc(&b, '\0') == 0)
		sz_msg(t, "debug", NULL, 0, "%s", b.p);
	else
		put_stderr(p, n);
	sz_buf_free(&b);
}

void
sz_tool_init(sz_tool *t, const char *prog)
{
	std_fds_open();
	memset(t, 0, sizeof(*t));
	sz_opts_init(&t->o, prog);
	sz_loop_init(&t->loop);
	sz_srcset_init(&t->src, &t->loop);
	sz_jqvars_init(&t->vars);
	t->vars.debug = jq_debug;
	t->vars.debug_ud = t;
}

static void
vmsg(sz_tool *t, const char *level, const char *file, unsigned long line,
    const char *fmt, va_list ap)
{
	char text[4096];
	sz_buf b = SZ_BUF_INIT;	/* local: a message never outlives its call */
	int rc = 0;

	vsnprintf(text, sizeof(text), fmt, ap);
	if (t->o.log_json)
		rc = sz_log_json(&b, level, t->o.prog, t->o.name, file, line,
		    text);
	else {
		rc |= sz_buf_adds(&b, t->o.prog);
		if (strcmp(t->o.name, t->o.prog) != 0)
			rc |= sz_buf_printf(&b, "[%s]", t->o.name);
		rc |= sz_buf_adds(&b, ": ");
		if (file != NULL) {
			rc |= sz_buf_add_visible(&b, file, strlen(file));
			rc |= line > 0 ? sz_buf_printf(&b, ":%lu: ", line) :
			    sz_buf_adds(&b, ": ");
		}
		rc |= sz_buf_adds(&b, text);
	}
	if (rc == 0 && sz_buf_addc(&b, '\n') == 0)
		put_stderr(b.p, b.len);
	else
		put_stderr(text, strlen(text));	/* out of memory: the bare text */
	sz_buf_free(&b);
}

void
sz_msg(sz_tool *t, const char *level, const char *file, unsigned long line,
    const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmsg(t, level, file, line, fmt, ap);
	va_end(ap);
}

int
sz_usage(sz_tool *t, const char *fmt, ...)
{
	char text[1024];
	va_list ap;
	int n;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	sz_msg(t, "error", NULL, 0, "%s", text);
	if (!t->o.log_json) {
		char hint[256];

		n = snprintf(hint, sizeof(hint),
		    "Try '%s --help' for more information.\n", t->o.prog);
		put_stderr(hint, (size_t)n);
	}
	return SZ_EXIT_USAGE;
}

int
sz_tool_options_done(sz_tool *t, int c, const char *usage)
{
	if (c == '?')
		return sz_usage(t, "%s", t->o.err);
	if (t->o.help) {
		int rc = printf("%s\n%s\nSee %s(1) and sz(7).\n", usage,
		    sz_opts_help, t->o.prog);

		if (rc < 0 || fflush(stdout) == EOF || ferror(stdout)) {
			sz_msg(t, "error", NULL, 0, "write error: %s",
			    strerror(errno));
			return SZ_EXIT_FAIL;
		}
		return SZ_EXIT_OK;
	}
	if (t->o.version) {
		if (sz_print_version(t->o.prog) < 0) {
			sz_msg(t, "error", NULL, 0, "write error: %s",
			    strerror(errno));
			return SZ_EXIT_FAIL;
		}
		return SZ_EXIT_OK;
	}
	return -1;
}

/* The next option: the key part's and jq's are answered inside. */
static int
next_option(sz_tool *t, const sz_tool_def *d, int argc, char **argv)
{
	int c, k;

	for (;;) {
		c = d->jq ? sz_jq_getopt(&t->o, &t->vars, argc, argv,
		    d->shortopts, d->longopts) : sz_opts_getopt(&t->o, argc,
		    argv, d->shortopts, d->longopts);
		if (c == -1 || c == '?' || t->key == NULL)
			return c;
		if ((k = sz_key_opt(t->key, &t->o, c)) == 0)
			return c;
		if (k == '?')
			return '?';
	}
}

/*
 * With --args/--jsonargs the operands not taken yet are the positional
 * parameters, not FILEs. Returns -1, or the exit status (2).
 */
static int
take_positional(sz_tool *t)
{
	if (t->vars.posmode == SZ_JQ_POS_NONE || t->vars.pos_taken)
		return -1;
	if (sz_jqvars_positional(&t->vars, t->argc, t->argv, t->o.err,
	    sizeof(t->o.err)) < 0)
		return sz_usage(t, "%s", t->o.err);
	t->argc = 0;
	return -1;
}

/* -f in a keyed tool is its --key. Returns -1, or the exit status. */
static int
key_from_file(sz_tool *t)
{
	if (t->key == NULL || t->vars.prog == NULL)
		return -1;
	if (t->key->keysrc != NULL)
		return sz_usage(t, "give --key EXPR or --from-file FILE, not "
		    "both");
	t->key->keysrc = t->vars.prog;
	t->vars.prog_used = 1;
	return -1;
}

/* After start(): -f that no part of the tool took is a usage error, not
 * a program silently not run. Returns -1, or the exit status. */
static int
from_file_taken(sz_tool *t)
{
	if (t->vars.prog == NULL || t->vars.prog_used)
		return -1;
	return sz_usage(t, "--from-file: %s has no EXPR of its own",
	    t->o.prog);
}

int
sz_tool_main(const sz_tool_def *d, void *ud, size_t udsize, int argc,
    char **argv)
{
	sz_tool t;
	int c, rc;

	sz_tool_init(&t, d->prog);
	memset(ud, 0, udsize);
	t.ud = ud;
	t.proc = d->proc;
	if (d->init != NULL)
		d->init(&t);
	while ((c = next_option(&t, d, argc, argv)) != -1 && c != '?')
		if (d->option != NULL && d->option(&t, c) == '?') {
			c = '?';
			break;
		}
	if ((rc = sz_tool_options_done(&t, c, d->usage)) < 0 &&
	    (rc = key_from_file(&t)) < 0) {
		t.argc = argc - optind;
		t.argv = argv + optind;
		if (d->start == NULL || (rc = d->start(&t)) < 0)
			if ((rc = from_file_taken(&t)) < 0 &&
			    (rc = take_positional(&t)) < 0)
				rc = sz_tool_run(&t, t.proc, ud, t.argc,
				    t.argv);
	}
	if (d->done != NULL)
		d->done(&t);
	sz_srcset_free(&t.src);		/* sources of a run that never began */
	if (t.key != NULL)
		sz_key_free(t.key);
	sz_jqvars_free(&t.vars);
	return rc;
}

const char *
sz_tool_operand(sz_tool *t)
{
	if (t->argc < 1)
		return NULL;
	t->argc--;
	return *t->argv++;
}

const char *
sz_tool_expr_src(sz_tool *t)
{
	if (t->vars.prog == NULL)
		return sz_tool_operand(t);
	t->vars.prog_used = 1;
	return t->vars.prog;
}

int
sz_tool_compile(sz_tool *t, sz_expr *e, const char *src, int fast,
    const char *opt)
{
	sz_buf err = SZ_BUF_INIT;
	int rc;

	/* The operands left are $ARGS.positional from the first compile. */
	if ((rc = take_positional(t)) >= 0)
		return rc;
	if (sz_expr_compile(e, src, &t->vars, fast, &err) < 0) {
		const char *why = err.p ? err.p : "";

		if (src == t->vars.prog)
			rc = sz_usage(t, "%s%scannot compile the program in "
			    "%s (--from-file):\n%s", opt ? opt : "",
			    opt ? ": " : "", t->vars.prog_file, why);
		else
			rc = opt == NULL ? sz_usage(t, "cannot compile EXPR "
			    "'%s':\n%s", src, why) : sz_usage(t, "%s: cannot "
			    "compile EXPR '%s':\n%s", opt, src, why);
	}
	sz_buf_free(&err);
	return rc;
}

int
sz_tool_take_expr(sz_tool *t, sz_expr *e, int fast)
{
	const char *src = sz_tool_expr_src(t);

	if (src == NULL)
		return sz_usage(t, "missing EXPR");
	return sz_tool_compile(t, e, src, fast, NULL);
}

/* The first failure's status and message (about file:line when file is
 * not NULL), kept to be printed last; the run stops. */
static int
vfail(sz_tool *t, int status, const char *file, unsigned long line,
    const char *fmt, va_list ap)
{
	char text[4096];

	vsnprintf(text, sizeof(text), fmt, ap);
	if (t->status == 0) {
		t->status = status;
		free(t->failmsg);
		free(t->failfile);
		t->failmsg = strdup(text);
		t->failfile = file != NULL ? strdup(file) : NULL;
		t->failline = line;
	}
	t->stopping = 1;
	return -1;
}

int
sz_fail(sz_tool *t, int status, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfail(t, status, NULL, 0, fmt, ap);
	va_end(ap);
	return -1;
}

int
sz_fail_at(sz_tool *t, int status, const char *file, unsigned long line,
    const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfail(t, status, file, line, fmt, ap);
	va_end(ap);
	return -1;
}

int
sz_halt(sz_tool *t, int status, const char *msg, size_t n)
{
	if (!t->halted) {
		t->halted = 1;
		t->halt_first = t->status == 0;	/* no failure before it */
		t->halt_status = status & 0xff;
		sz_buf_reset(&t->haltmsg);
		sz_buf_add(&t->haltmsg, msg, n);
	}
	t->stopping = 1;
	return -1;
}

int
sz_expr_bad(sz_tool *t, const sz_rec *r, const sz_expr *e, const char *what)
{
	if (e->jq.halted)
		return sz_halt(t, e->jq.halt_status, e->err.p ? e->err.p : "",
		    e->err.len);
	if (what != NULL)
		return sz_bad(t, r, "jq", 1, "%s: %s", what,
		    e->err.p ? e->err.p : "error");
	return sz_bad(t, r, "jq", 1, "%s", e->err.p ? e->err.p : "error");
}

/* A write to stdout failed: a vanished reader ends us quietly. */
static int
out_failed(sz_tool *t, sz_out *o)
{
	if (o == &t->out && o->err == EPIPE) {
		t->epipe = 1;
		t->stopping = 1;
		if (t->status == 0)
			t->status = SZ_EXIT_FAIL;
		return -1;
	}
	if (o == &t->out)
		return sz_fail(t, SZ_EXIT_FAIL, "write error: %s",
		    strerror(o->err));
	return sz_fail(t, SZ_EXIT_FAIL, "write error on %s: %s",
	    o->path ? o->path : "an output", strerror(o->err));
}

int
sz_emit(sz_tool *t, const char *p, size_t n)
{
	if (sz_out_record(&t->out, p, n) < 0)
		return out_failed(t, &t->out);
	t->st.out++;
	return 0;
}

int
sz_emit_lines(sz_tool *t, const char *p, size_t n, uint64_t count)
{
	if (n == 0)
		return 0;
	if (sz_out_write(&t->out, p, n) < 0 ||
	    (t->out.unbuffered && sz_out_flush(&t->out) < 0))
		return out_failed(t, &t->out);
	t->out.records += count;
	t->st.out += count;
	return 0;
}

int
sz_emit_bytes(sz_tool *t, const char *p, size_t n)
{
	if (n == 0)
		return 0;
	if (sz_out_write(&t->out, p, n) < 0 ||
	    (t->out.unbuffered && sz_out_flush(&t->out) < 0))
		return out_failed(t, &t->out);
	return 0;
}

int
sz_emit_to(sz_tool *t, sz_out *o, const char *p, size_t n)
{
	if (sz_out_record(o, p, n) < 0)
		return out_failed(t, o);
	return 0;
}

int
sz_drop(sz_tool *t, sz_out *o, const char *p, size_t n)
{
	t->st.dropped++;
	if (o != NULL && o->buf != NULL)
		return sz_emit_to(t, o, p, n);
	return 0;
}

/* Write dead letter d, counted in errors; 0 or -1. */
static int
dead_write(sz_tool *t, const sz_dead *d)
{
	t->st.errors++;
	if (!t->have_dlq)
		return 0;
	sz_buf_reset(&t->scratch);
	if (sz_dead_json(&t->scratch, t->o.prog, t->o.name, d) < 0)
		return sz_fail(t, SZ_EXIT_FAIL, "out of memory");
	if (sz_out_record(&t->dlq, t->scratch.p, t->scratch.len) < 0)
		return out_failed(t, &t->dlq);
	return 0;
}

int
sz_dead_letter(sz_tool *t, const sz_rec *r, const char *kind, int json,
    unsigned attempts, const char *error)
{
	sz_dead d = { .error = error, .kind = kind, .file = r->file,
	    .line = r->line, .attempts = attempts, .rec = r->p, .n = r->n,
	    .rec_is_json = json, .more = t->dead_more,
	    .moren = t->dead_moren };

	return dead_write(t, &d);
}

static int bad(sz_tool *t, const sz_rec *r, const char *kind, int json,
    const char *vis, const char *raw, int status, const sz_dead *dd);

int
sz_bad(sz_tool *t, const sz_rec *r, const char *kind, int json,
    const char *fmt, ...)
{
	char text[4096];
	va_list ap;

	sz_buf vis = SZ_BUF_INIT;
	int rc;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	/* The text comes from data (jq's error(), a record's bytes): in a
	 * text message its control bytes are escaped, so that a record
	 * cannot forge a line (the file name is escaped where it is
	 * printed); a dead letter holds it as JSON. */
	if (!t->o.log_json && sz_buf_add_visible(&vis, text,
	    strlen(text)) < 0) {
		sz_buf_free(&vis);
		return sz_fail(t, SZ_EXIT_FAIL, "out of memory");
	}
	rc = bad(t, r, kind, json, vis.p ? vis.p : text, text, SZ_EXIT_DATA,
	    NULL);
	sz_buf_free(&vis);
	return rc;
}

int
sz_bad_dead(sz_tool *t, const sz_rec *r, int status, const sz_dead *d)
{
	sz_buf vis = SZ_BUF_INIT;
	sz_dead dd = *d;
	int rc;

	dd.file = r->file;
	dd.line = r->line;
	dd.rec = r->p;
	dd.n = r->n;
	if (!t->o.log_json && sz_buf_add_visible(&vis, d->error,
	    strlen(d->error)) < 0) {
		sz_buf_free(&vis);
		return sz_fail(t, SZ_EXIT_FAIL, "out of memory");
	}
	rc = bad(t, r, d->kind, d->rec_is_json, vis.p ? vis.p : d->error,
	    d->error, status, &dd);
	sz_buf_free(&vis);
	return rc;
}

int
sz_bad_more(sz_tool *t, const sz_rec *r, const char *kind, const char *more,
    size_t moren, const char *msg)
{
	sz_buf vis = SZ_BUF_INIT;
	int rc;

	if (!t->o.log_json && sz_buf_add_visible(&vis, msg,
	    strlen(msg)) < 0) {
		sz_buf_free(&vis);
		return sz_fail(t, SZ_EXIT_FAIL, "out of memory");
	}
	t->dead_more = more;
	t->dead_moren = moren;
	rc = bad(t, r, kind, 1, vis.p ? vis.p : msg, msg, SZ_EXIT_DATA,
	    NULL);
	t->dead_more = NULL;
	t->dead_moren = 0;
	sz_buf_free(&vis);
	return rc;
}

/* sz_bad with the message as shown (vis) and as kept in a dead letter
 * (raw); under fail the status is `status`; dd, when not NULL, is the
 * dead letter to write. */
static int
bad(sz_tool *t, const sz_rec *r, const char *kind, int json,
    const char *vis, const char *raw, int status, const sz_dead *dd)
{
	if (++t->nbad > t->o.max_errors && t->o.max_errors > 0) {
		/* --max-errors: this one ends the run as under fail */
		t->st.errors++;
		return sz_fail_at(t, status, r->file, r->line, "%s "
		    "(more than --max-errors=%llu bad records)", vis,
		    (unsigned long long)t->o.max_errors);
	}
	switch (t->o.on_error) {
	case SZ_ONERR_SKIP:
		t->st.errors++;
		sz_msg(t, "warning", r->file, r->line, "%s (skipped)", vis);
		return 0;
	case SZ_ONERR_DLQ:
		if (dd != NULL)
			return dead_write(t, dd);
		return sz_dead_letter(t, r, kind, json, 1, raw);
	case SZ_ONERR_FAIL:
	default:
		t->st.errors++;
		return sz_fail_at(t, status, r->file, r->line, "%s", vis);
	}
}

/* One of the tool's own outputs: flushed, reopened and closed with the
 * others. 0, or -1 when there are too many. */
static int
add_output(sz_tool *t, sz_out *o)
{
	if (t->nextra == SZ_MAX_OUTPUTS)
		return -1;
	o->unbuffered = o->unbuffered || t->o.unbuffered;
	t->extra[t->nextra++] = o;
	return 0;
}

int
sz_tool_open(sz_tool *t, sz_out *o, const char *opt, const char *path,
    int append)
{
	if (sz_out_open(o, path, append) < 0) {
		sz_msg(t, "error", NULL, 0, "%s: %s: %s", opt, path,
		    strerror(errno));
		return SZ_EXIT_FAIL;
	}
	if (add_output(t, o) < 0) {
		sz_out_close(o);
		sz_msg(t, "error", NULL, 0, "%s: too many outputs", opt);
		return SZ_EXIT_FAIL;
	}
	return 0;
}

static void on_stdout_writable(sz_loop *l, int fd, short revents, void *ud);

int
sz_tool_flush(sz_tool *t)
{
	int rc = 0, k;

	if ((k = sz_out_flush(&t->out)) < 0)
		rc = out_failed(t, &t->out);
	else if (t->out_nonblock && (k == 1) != t->out_blocked) {
		/* nonblock_out: wait for the reader while bytes remain */
		if (sz_loop_watch(&t->loop, 1, k == 1 ? POLLOUT : 0,
		    on_stdout_writable, t) < 0)
			rc = sz_fail(t, SZ_EXIT_FAIL, "out of memory");
		else if ((t->out_blocked = k == 1) == 0)
			/* Unblocked here, not in on_stdout_writable (the
			 * reader took it all while the tool was busy): no
			 * POLLOUT will come, so the loop must not sleep
			 * before proc->idle hands on more. */
			sz_loop_wake(&t->loop);
	}
	if (t->have_dlq && sz_out_flush(&t->dlq) < 0)
		rc = out_failed(t, &t->dlq);
	for (int i = 0; i < t->nextra; i++)
		if (t->extra[i]->buf != NULL && sz_out_flush(t->extra[i]) < 0)
			rc = out_failed(t, t->extra[i]);
	return rc;
}

void
sz_input_pause(sz_tool *t)
{
	sz_srcset_pause(&t->src);
}

void
sz_input_resume(sz_tool *t)
{
	sz_srcset_resume(&t->src);
}

sz_source *
sz_tool_source(sz_tool *t)
{
	return t->src.cur;
}

void
sz_tool_finish(sz_tool *t)
{
	t->finished = 1;
	sz_loop_wake(&t->loop);
}

/* nonblock_out: standard output takes bytes again; once it took all,
 * the tool may hand on more. */
static void
on_stdout_writable(sz_loop *l, int fd, short revents, void *ud)
{
	sz_tool *t = ud;

	(void)l;
	(void)fd;
	(void)revents;
	if (sz_tool_flush(t) == 0 && !t->out_blocked && t->proc->idle)
		t->proc->idle(t);
}

/* ---- stats --------------------------------------------------------- */

/* The --stats file could not be written: said even when the run already
 * failed otherwise (bad input, 65), once. */
static void
statsf_failed(sz_tool *t)
{
	if (t->statsf_err)
		return;
	t->statsf_err = 1;
	if (t->status == 0)
		sz_fail(t, SZ_EXIT_FAIL, "--stats: %s: %s", t->o.stats_file,
		    strerror(t->statsf.err));
	else
		sz_msg(t, "error", NULL, 0, "--stats: %s: %s",
		    t->o.stats_file, strerror(t->statsf.err));
}

/* The values of the stats line now: the contract's, then the tool's. */
static void
stats_values(sz_tool *t, sz_statv *v)
{
	double el = (double)(sz_now() - t->st.start) / 1e9;

	sz_statv_reset(v);
	sz_stat_counter(v, "in", t->st.in);
	sz_stat_counter(v, "out", t->st.out);
	sz_stat_counter(v, "dropped", t->st.dropped);
	sz_stat_counter(v, "errors", t->st.errors);
	sz_stat_counter(v, "bytes_in", t->st.bytes_in);
	sz_stat_counter(v, "bytes_out", t->out.bytes);
	sz_stat_real(v, "elapsed_s", el, 3);
	sz_stat_real(v, "rate", el > 0 ? (double)t->st.in / el : 0, 1);
	if (t->proc != NULL && t->proc->stats != NULL)
		t->proc->stats(t, v);
	sz_stat_group(v, NULL, NULL);
}

int
sz_tool_stats(sz_tool *t, sz_buf *b, int prom)
{
	stats_values(t, &t->statv);
	if (prom)
		return sz_stats_render_prom(&t->statv, t->o.prog, t->o.name,
		    b);
	return sz_stats_json(b, t->o.prog, t->o.name, &t->statv);
}

static void
write_stats(sz_tool *t, int to_stderr)
{
	sz_buf b = SZ_BUF_INIT;
	int rc;

	to_stderr = to_stderr || !t->have_statsf;
	if (to_stderr && t->o.log_json) {
		/* on stderr a message like the others: a --log=json line */
		stats_values(t, &t->statv);
		rc = sz_stats_log_json(&b, t->o.prog, t->o.name, &t->statv);
	} else
		rc = sz_tool_stats(t, &b, 0);
	if (rc == 0 && sz_buf_addc(&b, '\n') == 0) {
		if (!to_stderr) {
			if (sz_out_write(&t->statsf, b.p, b.len) < 0 ||
			    sz_out_flush(&t->statsf) < 0)
				statsf_failed(t);
		} else
			put_stderr(b.p, b.len);
	}
	sz_buf_free(&b);
}

static void
stats_tick(sz_loop *l, void *ud)
{
	sz_tool *t = ud;

	write_stats(t, 0);
	sz_loop_timer(l, sz_now() + t->o.stats_interval, stats_tick, t);
}

/* ---- $SZ_STATS_DIR ------------------------------------------------ */

static void
sdir_write(sz_tool *t, int exit_status)
{
	sz_statsdir *d = t->sdir;
	sz_buf b = SZ_BUF_INIT;
	sz_sdtimes tm;
	int had_err;

	if (d == NULL)
		return;
	tm.now = sz_now();
	tm.blocked = sz_out_blocked_ns(&t->out) + d->acc_blocked;
	tm.wait_in = d->acc_wait;
	tm.holding = d->acc_hold;
	tm.blocked_now = t->out.block_start != 0 || t->out_blocked;
	had_err = d->err != 0;
	if (sz_tool_stats(t, &b, 0) < 0)
		d->err = d->err ? d->err : ENOMEM;
	else if (sz_statsdir_write(d, b.p, b.len, &tm,
	    t->queue ? t->queue->count : 0, t->queue ? t->queue->max_count : 0,
	    exit_status) < 0 && !had_err)
		/* said once; the run goes on: the file is for watching */
		sz_msg(t, "warning", NULL, 0, "SZ_STATS_DIR: %s: %s",
		    d->path, strerror(d->err));
	sz_buf_free(&b);
}

static void
sdir_tick(sz_loop *l, void *ud)
{
	sz_tool *t = ud;

	sdir_write(t, -1);
	sz_loop_timer(l, sz_now() + t->sdir->interval, sdir_tick, t);
}

/* Standard output's reader has not taken our bytes for a while. */
static void
sdir_blocked(void *ud)
{
	sz_tool *t = ud;

	if (sz_now() - t->sdir->last_write >= t->sdir->interval / 2)
		sdir_write(t, -1);
}

/* With SZ_STATS_DIR set (not empty): the file, written every
 * --stats-interval (1s without it). 0, or -1 when memory ran out. */
static int
sdir_setup(sz_tool *t)
{
	const char *dir = getenv("SZ_STATS_DIR");
	uint64_t every = t->o.stats_interval ? t->o.stats_interval :
	    1000000000ull;

	if (dir == NULL || *dir == '\0')
		return 0;
	if ((t->sdir = malloc(sizeof(*t->sdir))) == NULL)
		return -1;
	if (sz_statsdir_init(t->sdir, dir, t->o.name, every) < 0) {
		free(t->sdir);
		t->sdir = NULL;
		return -1;
	}
	if (!t->out_nonblock)
		sz_out_watch(&t->out, every, sdir_blocked, t);
	sdir_write(t, -1);
	if (sz_loop_timer(&t->loop, sz_now() + every, sdir_tick, t) == 0)
		return -1;
	return 0;
}

static void
sdir_free(sz_tool *t)
{
	if (t->sdir == NULL)
		return;
	t->loop.sleep_acc = NULL;
	sz_statsdir_free(t->sdir);
	free(t->sdir);
	t->sdir = NULL;
}

void
sz_tool_holding(sz_tool *t, int on)
{
	t->holding = on != 0;
}

void
sz_tool_queue(sz_tool *t, const sz_queue *q)
{
	t->queue = q;
}

void
sz_tool_stats_line(sz_tool *t)
{
	write_stats(t, 0);
}

/* ---- input --------------------------------------------------------- */

/* A blocking write was interrupted: a SIGUSR1 gets its stats line now
 * (on stderr, so it does not wait for the stalled output). */
static void
on_write_intr(void *ud)
{
	sz_tool *t = ud;
	unsigned n = sz_signals_take_usr1();

	while (n-- > 0)
		write_stats(t, 1);
}

/*
 * What a bad first line of a file most likely is, as a hint for its
 * message, or NULL: compressed data (its magic bytes), or JSON written over
 * several lines (pretty-printed, or an array of records), whose first line
 * opens a value that the end of the line leaves open (`off`, where the
 * scanner stopped, is the end).
 */
const char *
sz_compressed_hint(const char *p, size_t n)
{
	static const struct { const char *magic; size_t len; const char *hint; }
	    z[] = {
		{ "\x1f\x8b", 2, "compressed input: use zcat" },
		{ "\x28\xb5\x2f\xfd", 4, "compressed input: use zstdcat" },
		{ "\xfd" "7zXZ", 5, "compressed input: use xzcat" },
		{ "BZh", 3, "compressed input: use bzcat" },
	};

	for (size_t k = 0; k < sizeof(z) / sizeof(z[0]); k++)
		if (n >= z[k].len && memcmp(p, z[k].magic, z[k].len) == 0 &&
		    (k != 3 || (n >= 10 && p[3] >= '1' && p[3] <= '9' &&
		    memcmp(p + 4, "1AY&SY", 6) == 0)))
			return z[k].hint;
	return NULL;
}

static const char *
first_line_hint(const char *p, size_t n, size_t off)
{
	const char *hint = sz_compressed_hint(p, n);
	size_t i = 0;

	if (hint != NULL)
		return hint;
	while (i < n && (p[i] == ' ' || p[i] == '\t'))
		i++;
	if (i < n && (p[i] == '{' || p[i] == '[') && off >= n)
		return "sz reads one JSON value per line: 'jq -c .' converts";
	return NULL;
}

/* One record of a source: validated (its index goes with it), counted,
 * handed to the tool. A record() that answers -1 stops the delivery. */
static int
src_record(void *ud, sz_source *s, const sz_rec *in)
{
	sz_tool *t = ud;
	const char *reason;
	size_t off;
	sz_rec r = *in;

	(void)s;
	t->st.in++;
	t->st.bytes_in += r.n + 1;
	if (!t->proc->raw) {
		if (sz_json_validate_index(r.p, r.n, &reason, &off,
		    &t->ix) < 0)
			return sz_bad_json(t, &r, reason, off);
		r.ix = &t->ix;	/* lookups of top-level keys use it */
	}
	if (t->proc->record(t, &r) < 0 || t->stopping) {
		t->stopping = 1;
		return -1;
	}
	return 0;
}

int
sz_bad_json(sz_tool *t, const sz_rec *r, const char *reason, size_t off)
{
	const char *hint = r->line == 1 ? first_line_hint(r->p, r->n, off) :
	    NULL;

	return sz_bad(t, r, "parse", 0, "invalid JSON: %s at column %zu%s%s%s",
	    reason, off + 1, hint ? " (" : "", hint ? hint : "",
	    hint ? ")" : "");
}

void
sz_input_event(sz_tool *t, int ev, int err, const char *file,
    unsigned long line)
{
	switch (ev) {
	case SZ_SRC_OPEN_ERROR:
		sz_msg(t, "error", file, 0, "%s", strerror(err));
		if (t->status == 0)
			t->status = SZ_EXIT_FAIL;
		break;
	case SZ_SRC_READ_ERROR:
		sz_msg(t, "error", file, 0, "read error: %s", strerror(err));
		if (t->status == 0)
			t->status = SZ_EXIT_FAIL;
		break;
	case SZ_SRC_TOOLONG:
		t->st.errors++;
		sz_fail_at(t, SZ_EXIT_DATA, file, line, "record longer than "
		    "--max-record (%zu bytes)", t->o.max_record);
		break;
	}
}

/* What else a source says: errors name the FILE, and a record too long
 * is bad input that no policy can skip (its end is not known). A tool
 * with input_event gets the first three to report in their turn. */
static void
src_event(void *ud, sz_source *s, int ev, int err, const sz_rec *r)
{
	sz_tool *t = ud;
	const char *file = r != NULL ? r->file : s->name;
	unsigned long line = r != NULL ? r->line : 0;

	switch (ev) {
	case SZ_SRC_OPEN_ERROR:
	case SZ_SRC_READ_ERROR:
	case SZ_SRC_TOOLONG:
		if (ev == SZ_SRC_TOOLONG) {
			t->st.in++;
			t->stopping = 1;	/* no record comes after it */
		}
		if (t->proc->input_event != NULL)
			t->proc->input_event(t, ev, err, file, line);
		else
			sz_input_event(t, ev, err, file, line);
		break;
	case SZ_SRC_NOMEM:
		sz_fail(t, SZ_EXIT_FAIL, "out of memory");
		break;
	case SZ_SRC_END:
		break;
	}
}

/* Raw mode: a read's bytes to the tool's chunk(). */
static int
src_bytes(void *ud, sz_source *s, const char *p, size_t n, int eof)
{
	sz_tool *t = ud;

	if (t->proc->chunk(t, p, n, s->name, eof) < 0) {
		t->stopping = 1;
		return -1;
	}
	return 0;
}

/* A FIFO's open was interrupted: go on unless a stop signal came. */
static int
src_interrupted(void *ud)
{
	sz_tool *t = ud;

	return t->stopsig != 0;
}

/* Deliver the records the sources hold until none is left, the tool
 * pauses, or the run stops. Answers 1 if records are ready still. */
static int
pump(sz_tool *t)
{
	if (t->stopping)
		return 0;
	return sz_srcset_pump(&t->src) && !t->stopping && !t->src.paused;
}

/* ---- the run ------------------------------------------------------- */

static void
before_sleep(sz_loop *l, void *ud)
{
	sz_tool *t = ud;

	(void)l;
	if (t->proc->idle)
		t->proc->idle(t);
	sz_tool_flush(t);
	if (t->sdir != NULL)	/* what the sleep to come is for */
		t->loop.sleep_acc = t->out_blocked ? &t->sdir->acc_blocked :
		    t->holding ? &t->sdir->acc_hold : &t->sdir->acc_wait;
}

static void
on_signal(sz_loop *l, int s, void *ud)
{
	sz_tool *t = ud;

	(void)l;
	switch (s) {
	case SIGINT:
	case SIGTERM:
		if (!t->stopsig)
			t->stopsig = s;
		/* Counted, not taken from the delivery: two signals caught
		 * before the loop looked are one delivery. */
		if (t->proc->stop_again && sz_signal_stops() > 1 &&
		    !t->stopped_again) {
			t->stopped_again = 1;
			t->proc->stop_again(t);
		}
		break;
	case SIGUSR1:
		write_stats(t, 1);
		break;
	case SIGHUP:
		if (t->have_dlq && sz_out_reopen(&t->dlq) < 0)
			out_failed(t, &t->dlq);
		if (t->have_statsf && sz_out_reopen(&t->statsf) < 0)
			out_failed(t, &t->statsf);
		for (int i = 0; i < t->nextra; i++)
			if (t->extra[i]->path != NULL &&
			    sz_out_reopen(t->extra[i]) < 0)
				out_failed(t, t->extra[i]);
		break;
	case SIGCHLD:
		if (t->proc->child)
			t->proc->child(t);
		break;
	}
}

/* Call proc->end once; keep looping while it answers 1. */
static void
end_tool(sz_tool *t)
{
	int k;

	if (t->ending)
		return;
	t->ending = 1;
	k = t->proc->end ? t->proc->end(t) : 0;
	if (k != 1)
		t->finished = 1;
}

/* Set up stats and dead-letter outputs; 0 or an exit status. */
static int
setup(sz_tool *t)
{
	if (t->o.dlq != NULL) {
		if (sz_out_open(&t->dlq, t->o.dlq, 1) < 0) {
			sz_msg(t, "error", NULL, 0, "--dlq: %s: %s", t->o.dlq,
			    strerror(errno));
			return SZ_EXIT_FAIL;
		}
		t->have_dlq = 1;
		t->dlq.unbuffered = t->o.unbuffered;
	}
	if (t->o.stats && t->o.stats_file != NULL) {
		if (sz_out_open(&t->statsf, t->o.stats_file, 0) < 0) {
			sz_msg(t, "error", NULL, 0, "--stats: %s: %s",
			    t->o.stats_file, strerror(errno));
			return SZ_EXIT_FAIL;
		}
		t->have_statsf = 1;
	}
	return 0;
}

/*
 * Everything a run needs before the first record: stdout, the read side
 * (a source per FILE operand, none: standard input), the dead-letter and
 * stats outputs, signals, the stats timer. Returns 0 or an exit status.
 */
static int
run_setup(sz_tool *t, int nfiles, char **files)
{
	int rc;

	if (sz_out_fd(&t->out, 1) < 0)
		goto nomem;
	t->out.unbuffered = t->o.unbuffered;
	if (t->proc->nonblock_out && sz_fd_is_pipe(1) &&
	    sz_fd_nonblock(1, &t->out_oflags) == 0) {
		t->out.nonblock = 1;
		t->out_nonblock = 1;
	}
	if (!t->proc->keep_pipe)
		sz_pipe_grow(1);
	t->ix.want_el = 1;	/* element lists of array records, too */
	t->src.max_record = t->o.max_record;
	t->src.read_size = t->read_size ? t->read_size : READ_SIZE;
	t->src.mode = t->proc->files_at_once ? SZ_SRC_AT_ONCE :
	    SZ_SRC_IN_ORDER;
	t->src.on_record = src_record;
	t->src.on_event = src_event;
	t->src.on_bytes = t->proc->chunk ? src_bytes : NULL;
	t->src.interrupted = src_interrupted;
	t->src.ud = t;
	/* No FILE operand: standard input, unless the tool has sources of
	 * its own (descriptors, fed records). */
	for (int i = 0; i < nfiles || (i == 0 && t->src.n == 0); i++)
		if (sz_source_file(&t->src, nfiles > 0 ? files[i] : "-") ==
		    NULL)
			goto nomem;
	if ((rc = setup(t)) != 0)
		return rc;
	if (sz_loop_signals(&t->loop, on_signal, t) < 0) {
		sz_msg(t, "error", NULL, 0, "signals: %s", strerror(errno));
		return SZ_EXIT_FAIL;
	}
	if (t->proc->stop_again)
		sz_signals_keep_second_stop();
	sz_loop_before_sleep(&t->loop, before_sleep, t);
	sz_out_on_intr(on_write_intr, t);
	if (t->o.stats_interval)
		sz_loop_timer(&t->loop, sz_now() + t->o.stats_interval,
		    stats_tick, t);
	if (sdir_setup(t) < 0)
		goto nomem;
	return 0;
nomem:
	sz_msg(t, "error", NULL, 0, "out of memory");
	return SZ_EXIT_FAIL;
}

/* The lines that the sources read only in part before a stop: dead
 * letters of the kind "stopped" (their bytes as a string), counted in;
 * after the tool's own end, so that they come last. */
static void
stopped_lines(sz_tool *t)
{
	for (size_t i = 0; i < t->src.n; i++) {
		sz_rec r = { NULL, 0, t->src.v[i]->name, 0, NULL };

		if ((r.n = sz_source_partial(t->src.v[i], &r.p,
		    &r.line)) == 0)
			continue;
		t->st.in++;
		t->st.bytes_in += r.n;
		if (sz_dead_letter(t, &r, "stopped", 0, 0,
		    t->stopsig == SIGINT ?
		    "SIGINT came before the end of the line" :
		    "SIGTERM came before the end of the line") < 0)
			return;
	}
}

/* A stop signal: the records already read (in the sources' buffers) are
 * delivered first, in every tool, then no more: a record the process took
 * from its input is never lost to a signal. */
static void
stop_input(sz_tool *t)
{
	sz_srcset_resume(&t->src);
	for (size_t i = 0; i < t->src.n; i++)	/* a tool's pause, too */
		t->src.v[i]->paused = 0;
	while (!t->stopping && !t->src.paused && pump(t))
		;
	t->stop_drained = !t->src.paused;
	t->stopping = 1;
}

/* The loop: records while there are any, then the tool's end (and its
 * timers and children, while end() keeps it running). */
static void
run_loop(sz_tool *t)
{
	while (!t->finished) {
		if (t->stopsig && !t->stopping)
			stop_input(t);
		if (t->stopping || sz_srcset_done(&t->src)) {
			/* No more records: let the tool release what it
			 * holds (not after an I/O failure). */
			if (t->epipe || (t->status && t->status != SZ_EXIT_DATA
			    && !sz_srcset_done(&t->src)))
				break;
			end_tool(t);
			if (t->finished)
				break;
		} else if (pump(t) || t->stopping || sz_srcset_done(&t->src))
			continue;	/* more records, or the end, now */
		if (t->stopping)
			sz_srcset_pause(&t->src);	/* read nothing more */
		sz_srcset_watch(&t->src);
		if (sz_loop_once(&t->loop, 1) < 0) {
			sz_fail(t, SZ_EXIT_FAIL, "poll: %s", strerror(errno));
			break;
		}
	}
}

/* Flush and close every output, then write the last stats line and the
 * messages kept for the end (after the output, so that they come last). */
static void
run_close(sz_tool *t, int stats)
{
	if (!t->epipe)
		sz_tool_flush(t);
	if (t->have_dlq && sz_out_close(&t->dlq) < 0 && t->status == 0)
		sz_fail(t, SZ_EXIT_FAIL, "--dlq: %s: %s", t->o.dlq,
		    strerror(t->dlq.err));
	for (int i = 0; i < t->nextra; i++)
		if (t->extra[i]->buf != NULL && sz_out_close(t->extra[i]) < 0)
			out_failed(t, t->extra[i]);
	if (!t->epipe && sz_out_close(&t->out) < 0)
		out_failed(t, &t->out);
	if (t->out_nonblock)
		(void)fcntl(1, F_SETFL, t->out_oflags);
	/* No child outlives the run (those of a run that ended early). */
	sz_children_kill_all();
	/* The line at exit is --stats's; --stats-interval alone writes
	 * only its periodic lines. */
	if (stats && t->o.stats)
		write_stats(t, 0);
	if (t->have_statsf && sz_out_close(&t->statsf) < 0)
		statsf_failed(t);
	if (t->o.fail_at_end && t->nbad > 0)
		/* after everything else, so that it is the last word (a
		 * failure before it is said instead, its status kept) */
		sz_fail(t, SZ_EXIT_DATA, "%llu bad record%s (--fail-at-end)",
		    (unsigned long long)t->nbad, t->nbad == 1 ? "" : "s");
	if (t->failmsg != NULL)
		sz_msg(t, "error", t->failfile, t->failline, "%s",
		    t->failmsg);
	if (t->halted)
		put_stderr(t->haltmsg.p, t->haltmsg.len);
}

/* The exit status of a run that got going: a halt's own status when
 * nothing failed before it (later failures are said, not counted), else
 * the first failure's, else 128+signal after a stop signal. */
static int
run_status(const sz_tool *t)
{
	if (t->halted && t->halt_first)
		return t->halt_status;
	if (t->stopsig && (t->status == 0 || t->status == SZ_EXIT_FAIL))
		return 128 + t->stopsig;
	return t->status ? t->status : t->exit_ok;
}

/*
 * The one place where common/ ends the process: a tool whose standard
 * output's reader went away ends as any writer to a closed pipe does,
 * killed by SIGPIPE (cat(1), jq), so that a shell pipeline sees the same
 * status whatever stage it is. Everything is flushed, closed and freed
 * before. Returns only if SIGPIPE cannot be raised.
 */
static void
end_by_sigpipe(void)
{
	signal(SIGPIPE, SIG_DFL);
	raise(SIGPIPE);
}

int
sz_tool_run(sz_tool *t, const sz_proc *p, void *ud, int nfiles, char **files)
{
	int rc;

	t->proc = p;
	t->ud = ud;
	t->st.start = sz_now();
	if ((rc = run_setup(t, nfiles, files)) == 0) {
		if (sz_srcset_start(&t->src) < 0)
			sz_fail(t, SZ_EXIT_FAIL, "out of memory");
		run_loop(t);
		if (t->stop_drained && !t->epipe)
			stopped_lines(t);
	}
	run_close(t, rc == 0);
	if (rc == 0)
		rc = run_status(t);
	sdir_write(t, t->epipe ? 128 + SIGPIPE : rc);
	sdir_free(t);
	sz_srcset_free(&t->src);
	free(t->ix.el);
	free(t->failmsg);
	free(t->failfile);
	sz_buf_free(&t->haltmsg);
	sz_buf_free(&t->scratch);
	sz_statv_free(&t->statv);
	sz_loop_free(&t->loop);
	if (t->epipe)
		end_by_sigpipe();
	return rc;
}
