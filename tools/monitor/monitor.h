/* SPDX-License-Identifier: MIT */
/*
 * monitor.h - sz-monitor: a pass-through that measures. main.c passes the
 * records on and keeps the interval's counts and latencies (the stats
 * lines), tty.c draws the status line on a terminal, http.c serves
 * /metrics and /health from a thread of libmicrohttpd.
 */
#ifndef SZ_MONITOR_H
#define SZ_MONITOR_H

#include <stdint.h>

#include "run/key.h"
#include "run/tool.h"

/* Latencies of one interval: a log-linear histogram of microseconds,
 * 64 buckets per power of two (a quantile is within 0.8% of the true
 * value), bounded whatever the input. */
#define MON_HIST_SUB 64
#define MON_HIST_N (MON_HIST_SUB + 44 * MON_HIST_SUB)

struct mon_hist {
	uint32_t c[MON_HIST_N];
	uint64_t n;
	uint64_t max_us;
};

/* What the last closed interval measured. */
struct mon_iv {
	double s;		/* its length, seconds */
	double rate;		/* records/s */
	double bytes_rate;	/* bytes/s */
	int have_lat;		/* records with a latency in it */
	double p50, p95, p99, max;	/* ms */
};

struct mon_tty;
struct mon_http;

struct mon {
	sz_key key;		/* --latency: its event time (key.h) */
	int latency;
	uint64_t interval;	/* ns */
	uint64_t stale;		/* ns */
	uint64_t size;		/* --size N records, 0: not given */
	int quiet;
	int novalidate;		/* --no-validate: raw lines */
	const char *listen;	/* --listen [ADDR:]PORT */

	int lines;		/* stats lines every interval */
	int line_mode;		/* the stats callback builds such a line */
	uint64_t total_bytes;	/* the FILE operands' sizes, or 0 */
	int nlines;		/* stats lines written */

	/* The interval so far. */
	uint64_t iv_start, iv_in, iv_bytes;
	struct mon_hist cur;
	struct mon_iv last;
	double lat_sum_s;	/* every latency, for the summary's _sum */
	uint64_t lat_count;

	struct mon_tty *tty;
	struct mon_http *http;
	sz_tool *t;
};

/* The status line (tty.c). */
int mon_tty_start(struct mon *m);
void mon_tty_draw(struct mon *m, int final);
void mon_tty_free(struct mon *m);

/* The HTTP side (http.c): a usage or failure status, or -1 when it
 * serves. */
int mon_http_start(struct mon *m);
/* Hand the HTTP thread the current metrics and the time of the last
 * record (main thread). */
void mon_http_publish(struct mon *m);
void mon_http_stop(struct mon *m);

/* The metrics text now: the stats as Prometheus text, then the latency
 * summary (main.c). */
int mon_metrics(struct mon *m, sz_buf *b);

#endif
