/* SPDX-License-Identifier: MIT */
/*
 * sz-monitor - pass records through byte for byte and measure them: a
 * stats line every --interval (records/s, bytes/s, latency quantiles), a
 * status line on a terminal, /metrics and /health over HTTP.
 */
#include <math.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "monitor.h"

static const char usage[] =
"Usage: sz-monitor [OPTION]... [FILE]...\n"
"Write the NDJSON records unchanged and measure them: every --interval a\n"
"stats line with the interval's rate, on a terminal a status line instead.\n"
"\n"
"      --interval DUR     a stats line every DUR (default 1s)\n"
"      --latency EXPR     event time read by the jq expression EXPR (an\n"
"                         RFC 3339 string, epoch seconds or milliseconds):\n"
"                         the lines give now minus it as latency_ms\n"
"      --listen [ADDR:]PORT  serve /metrics and /health over HTTP (ADDR\n"
"                         default 127.0.0.1; PORT 0: any free port)\n"
"      --stale DUR        /health answers 503 when the last record (or the\n"
"                         start) is DUR ago or more (default 30s)\n"
"      --size N           N records are expected: the status line shows a\n"
"                         percentage, a bar and an ETA\n"
"      --no-validate      do not check that lines are JSON: every line is\n"
"                         a record (faster; not with --latency)\n"
"  -q, --quiet            no stats lines and no status line\n";

enum { OPT_INTERVAL = SZ_OPT_TOOL, OPT_LATENCY, OPT_LISTEN, OPT_STALE,
	OPT_SIZE, OPT_NOVALIDATE };

static const struct option longopts[] = {
	{ "interval", required_argument, NULL, OPT_INTERVAL },
	{ "latency", required_argument, NULL, OPT_LATENCY },
	{ "listen", required_argument, NULL, OPT_LISTEN },
	{ "stale", required_argument, NULL, OPT_STALE },
	{ "size", required_argument, NULL, OPT_SIZE },
	{ "quiet", no_argument, NULL, 'q' },
	{ "no-validate", no_argument, NULL, OPT_NOVALIDATE },
	{ NULL, 0, NULL, 0 }
};

/* ---- latencies ---------------------------------------------------- */

static size_t
hist_index(uint64_t us)
{
	int e;

	if (us < MON_HIST_SUB)
		return (size_t)us;
	if (us >= UINT64_C(1) << 43)
		us = (UINT64_C(1) << 50) - 1;
	e = 63 - __builtin_clzll(us);	/* >= 6 */
	return MON_HIST_SUB + (size_t)(e - 6) * MON_HIST_SUB +
	    (size_t)((us >> (e - 6)) & (MON_HIST_SUB - 1));
}

/* The middle of bucket i, in microseconds. */
static double
hist_value(size_t i)
{
	size_t e, sub;
	double lo, w;

	if (i < MON_HIST_SUB)
		return (double)i;
	e = (i - MON_HIST_SUB) / MON_HIST_SUB;
	sub = (i - MON_HIST_SUB) % MON_HIST_SUB;
	w = ldexp(1, (int)e);
	lo = (double)(MON_HIST_SUB + sub) * w;
	return lo + w / 2;
}

/* Quantile q of h in ms, at most the largest value seen. */
static double
hist_quantile(const struct mon_hist *h, double q)
{
	uint64_t rank = (uint64_t)ceil(q * (double)h->n), seen = 0;
	double v = 0;

	if (rank == 0)
		rank = 1;
	for (size_t i = 0; i < MON_HIST_N; i++)
		if ((seen += h->c[i]) >= rank) {
			v = hist_value(i);
			break;
		}
	if (v > (double)h->max_us)
		v = (double)h->max_us;
	return v / 1000;
}

static void
hist_add(struct mon_hist *h, uint64_t us)
{
	h->c[hist_index(us)]++;
	h->n++;
	if (us > h->max_us)
		h->max_us = us;
}

/* ---- the interval -------------------------------------------------- */

/* Close the interval now: its rates and quantiles into m->last. */
static void
roll(struct mon *m)
{
	sz_tool *t = m->t;
	uint64_t now = sz_now();
	struct mon_iv *iv = &m->last;
	double s = (double)(now - m->iv_start) / 1e9;

	iv->s = s;
	iv->rate = s > 0 ? (double)(t->st.in - m->iv_in) / s : 0;
	iv->bytes_rate = s > 0 ? (double)(t->st.bytes_in - m->iv_bytes) / s :
	    0;
	iv->have_lat = m->cur.n > 0;
	if (iv->have_lat) {
		iv->p50 = hist_quantile(&m->cur, 0.50);
		iv->p95 = hist_quantile(&m->cur, 0.95);
		iv->p99 = hist_quantile(&m->cur, 0.99);
		iv->max = (double)m->cur.max_us / 1000;
		memset(&m->cur, 0, sizeof(m->cur));
	}
	m->iv_start = now;
	m->iv_in = t->st.in;
	m->iv_bytes = t->st.bytes_in;
}

static void
write_line(struct mon *m)
{
	roll(m);
	m->line_mode = 1;
	sz_tool_stats_line(m->t);
	m->line_mode = 0;
	m->nlines++;
}

static void
interval_tick(sz_loop *l, void *ud)
{
	struct mon *m = ud;

	if (m->lines)
		write_line(m);
	else
		roll(m);
	sz_loop_timer(l, sz_now() + m->interval, interval_tick, m);
}

static void
tty_tick(sz_loop *l, void *ud)
{
	struct mon *m = ud;

	mon_tty_draw(m, 0);
	/* At most 10 frames a second, at least one: 5. */
	sz_loop_timer(l, sz_now() + 200000000, tty_tick, m);
}

static void
http_tick(sz_loop *l, void *ud)
{
	struct mon *m = ud;

	mon_http_publish(m);
	sz_loop_timer(l, sz_now() + 100000000, http_tick, m);
}

/* ---- records ------------------------------------------------------- */

/* --latency: now minus r's event time into the interval's histogram.
 * Returns 1, or for a record without an event time what sz_key_bad
 * answers (0: skipped, -1: stop), and the record is not written. */
#if defined(__GNUC__)
__attribute__((noinline))
#endif
static int
add_latency(struct mon *m, sz_tool *t, const sz_rec *r)
{
	struct timespec ts;
	int64_t ev, now;
	int k;

	if ((k = sz_key_time(&m->key, r, &ev)) != SZ_KEY_OK)
		return sz_key_bad(&m->key, t, r, k);
	clock_gettime(CLOCK_REALTIME, &ts);
	now = (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
	/* An event time ahead of the clock is no latency at all. */
	hist_add(&m->cur, now > ev ? (uint64_t)(now - ev) / 1000 : 0);
	m->lat_sum_s += now > ev ? (double)(now - ev) / 1e9 : 0;
	m->lat_count++;
	return 1;
}

/* Pass r through; the counters are the runtime's (out of line, the
 * latency, so that this stays a jump to sz_emit). */
static int
monitor_record(sz_tool *t, const sz_rec *r)
{
	struct mon *m = t->ud;
	int k;

	if (m->latency && (k = add_latency(m, t, r)) != 1)
		return k;
	return sz_emit(t, r->p, r->n);
}

static int
monitor_end(sz_tool *t)
{
	struct mon *m = t->ud;

	/* The part of an interval since the last line. */
	if (m->lines && (t->st.in != m->iv_in || m->nlines == 0))
		write_line(m);
	if (m->tty != NULL)
		mon_tty_draw(m, 1);
	return 0;
}

/* The stats line of an interval: its own rate, its length, bytes/s and
 * the latencies; other stats lines are the contract's. */
static void
monitor_stats(sz_tool *t, sz_statv *v)
{
	struct mon *m = t->ud;
	const struct mon_iv *iv = &m->last;

	if (!m->line_mode)
		return;
	for (size_t i = 0; i < v->n; i++)
		if (v->v[i].group == NULL && strcmp(v->v[i].name, "rate") == 0)
			v->v[i].d = iv->rate;
	sz_stat_real(v, "interval_s", iv->s, 3);
	sz_stat_real(v, "bytes_rate", iv->bytes_rate, 1);
	if (m->latency && iv->have_lat) {
		sz_stat_group(v, "latency_ms", NULL);
		sz_stat_real(v, "p50", iv->p50, 3);
		sz_stat_real(v, "p95", iv->p95, 3);
		sz_stat_real(v, "p99", iv->p99, 3);
		sz_stat_real(v, "max", iv->max, 3);
		sz_stat_group(v, NULL, NULL);
	}
}

/* A quantile in seconds, NaN when the last interval had no latency (the
 * text format's way to say "none"). */
static int
summary_line(sz_buf *b, struct mon *m, const char *q, double ms)
{
	sz_tool *t = m->t;
	int rc = sz_buf_adds(b, "sz_latency_seconds{");

	rc |= sz_stats_prom_labels(b, t->o.prog, t->o.name);
	if (m->last.have_lat)
		rc |= sz_buf_printf(b, ",quantile=\"%s\"} %.6f\n", q,
		    ms / 1000);
	else
		rc |= sz_buf_printf(b, ",quantile=\"%s\"} NaN\n", q);
	return rc;
}

int
mon_metrics(struct mon *m, sz_buf *b)
{
	sz_tool *t = m->t;
	int rc;

	if (sz_tool_stats(t, b, 1) < 0)
		return -1;
	rc = sz_buf_adds(b, "# HELP sz_latency_seconds now minus the "
	    "records' event time (--latency), over the last interval\n"
	    "# TYPE sz_latency_seconds summary\n");
	rc |= summary_line(b, m, "0.5", m->last.p50);
	rc |= summary_line(b, m, "0.95", m->last.p95);
	rc |= summary_line(b, m, "0.99", m->last.p99);
	rc |= sz_buf_adds(b, "sz_latency_seconds_sum{");
	rc |= sz_stats_prom_labels(b, t->o.prog, t->o.name);
	rc |= sz_buf_printf(b, "} %.6f\n", m->lat_sum_s);
	rc |= sz_buf_adds(b, "sz_latency_seconds_count{");
	rc |= sz_stats_prom_labels(b, t->o.prog, t->o.name);
	rc |= sz_buf_printf(b, "} %llu\n", (unsigned long long)m->lat_count);
	return rc ? -1 : 0;
}

static const sz_proc monitor_proc = {
	.record = monitor_record,
	.end = monitor_end,
	.stats = monitor_stats,
};

/* --no-validate: lines are records, not checked (pv's speed). */
static const sz_proc monitor_raw_proc = {
	.record = monitor_record,
	.end = monitor_end,
	.stats = monitor_stats,
	.raw = 1,
};

/* ---- set-up -------------------------------------------------------- */

static int
monitor_option(sz_tool *t, int c)
{
	struct mon *m = t->ud;

	switch (c) {
	case OPT_INTERVAL:
		return sz_opt_duration_pos(&t->o, "--interval", &m->interval);
	case OPT_LATENCY:
		m->key.timesrc = optarg;
		break;
	case OPT_LISTEN:
		m->listen = optarg;
		break;
	case OPT_STALE:
		return sz_opt_duration_pos(&t->o, "--stale", &m->stale);
	case OPT_SIZE:
		return sz_opt_count(&t->o, "--size", 1, UINT64_MAX, &m->size);
	case 'q':
		m->quiet = 1;
		break;
	case OPT_NOVALIDATE:
		m->novalidate = 1;
		break;
	}
	return 0;
}

/* The bytes to read when every input is a regular file (FILE operands,
 * or standard input without one), else 0: the status line's total. */
static uint64_t
total_bytes(sz_tool *t)
{
	uint64_t sum = 0;
	struct stat st;

	for (int i = 0; i < t->argc || (i == 0 && t->argc == 0); i++) {
		const char *f = t->argc > 0 ? t->argv[i] : "-";
		off_t at = 0;

		if (strcmp(f, "-") == 0) {
			if (fstat(0, &st) < 0 || !S_ISREG(st.st_mode))
				return 0;
			if ((at = lseek(0, 0, SEEK_CUR)) < 0)
				at = 0;
		} else if (stat(f, &st) < 0 || !S_ISREG(st.st_mode))
			return 0;
		if (st.st_size > at)
			sum += (uint64_t)(st.st_size - at);
	}
	return sum;
}

static int
monitor_start(sz_tool *t)
{
	struct mon *m = t->ud;
	int rc;

	m->t = t;
	if (m->novalidate && m->key.timesrc != NULL)
		return sz_usage(t, "--no-validate: not with --latency (its "
		    "records are read as JSON)");
	t->proc = m->novalidate ? &monitor_raw_proc : &monitor_proc;
	/* --stats-interval is --interval here. */
	if (t->o.stats_interval) {
		m->interval = t->o.stats_interval;
		t->o.stats_interval = 0;
	}
	if (m->key.timesrc != NULL) {
		if ((rc = sz_key_compile(&m->key, t)) != 0)
			return rc;
		m->latency = 1;
	}
	if (!m->quiet) {
		if (isatty(2) && t->o.stats_file == NULL) {
			m->total_bytes = total_bytes(t);
			if ((rc = mon_tty_start(m)) >= 0)
				return rc;
		} else
			m->lines = 1;
	}
	if (m->listen != NULL && (rc = mon_http_start(m)) >= 0)
		return rc;
	m->iv_start = sz_now();
	if (sz_loop_timer(&t->loop, m->iv_start + m->interval, interval_tick,
	    m) == 0 || (m->tty != NULL && sz_loop_timer(&t->loop,
	    m->iv_start + 200000000, tty_tick, m) == 0) ||
	    (m->http != NULL && sz_loop_timer(&t->loop, m->iv_start +
	    100000000, http_tick, m) == 0)) {
		sz_msg(t, "error", NULL, 0, "out of memory");
		return SZ_EXIT_FAIL;
	}
	return -1;
}

static void
monitor_init(sz_tool *t)
{
	struct mon *m = t->ud;

	sz_key_init(&m->key);
	m->key.timeopt = "--latency";
	m->interval = UINT64_C(1000000000);
	m->stale = UINT64_C(30000000000);
	m->t = t;
}

static void
monitor_done(sz_tool *t)
{
	struct mon *m = t->ud;

	mon_http_stop(m);
	mon_tty_free(m);
	sz_key_free(&m->key);
}

static const sz_tool_def monitor_def = {
	.init = monitor_init,
	.prog = "sz-monitor", .usage = usage, .shortopts = "q",
	.longopts = longopts, .proc = &monitor_proc,
	.option = monitor_option, .start = monitor_start, .done = monitor_done,
};

SZ_TOOL_MAIN(monitor_def, struct mon)
