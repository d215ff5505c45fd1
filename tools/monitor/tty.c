/* SPDX-License-Identifier: MIT */
/*
 * tty.c - sz-monitor's status line on a terminal, drawn in place on
 * standard error as pv(1) draws it:
 *	12.3k rec 2.01MiB 0:00:04 [3.10k/s] [=======>       ] 52% ETA 0:00:03
 * (the bar, percentage and ETA when the total is known: --size N records,
 * or the bytes of regular FILEs). The rate is that of the last second;
 * the final frame, at the end, the whole run's, then a newline.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "monitor.h"

#define RING 6			/* frames 200ms apart: a second and more */

struct mon_tty {
	uint64_t when[RING], in[RING];
	size_t n;		/* frames drawn */
	size_t prev_len;	/* what the last frame took on the line */
	char line[1024];
};

int
mon_tty_start(struct mon *m)
{
	if ((m->tty = calloc(1, sizeof(*m->tty))) == NULL) {
		sz_msg(m->t, "error", NULL, 0, "out of memory");
		return SZ_EXIT_FAIL;
	}
	return -1;
}

void
mon_tty_free(struct mon *m)
{
	free(m->tty);
	m->tty = NULL;
}

/* x with 3 significant digits and k, M, G, T (1000s), or with Ki, Mi,
 * Gi, Ti (1024s) when bin. */
static void
human(char *buf, size_t size, double x, int bin)
{
	static const char *si[] = { "", "k", "M", "G", "T" };
	static const char *iec[] = { "", "Ki", "Mi", "Gi", "Ti" };
	double base = bin ? 1024 : 1000;
	int u = 0;

	while (x >= 999.5 && u < 4) {
		x /= base;
		u++;
	}
	if (u == 0)
		snprintf(buf, size, "%.0f%s", x, bin ? "B" : "");
	else
		snprintf(buf, size, "%.*f%s%s", x < 9.995 ? 2 : x < 99.95 ? 1 : 0,
		    x, bin ? iec[u] : si[u], bin ? "B" : "");
}

static void
hms(char *buf, size_t size, double s)
{
	unsigned long long t = s > 0 ? (unsigned long long)s : 0;

	snprintf(buf, size, "%llu:%02llu:%02llu", t / 3600, t / 60 % 60,
	    t % 60);
}

/* Write all of p to standard error (a terminal): a frame is drawn whole
 * or, on an error, not at all. */
static void
put(const char *p, size_t n)
{
	while (n > 0) {
		ssize_t k = write(2, p, n);

		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			return;
		p += k;
		n -= (size_t)k;
	}
}

void
mon_tty_draw(struct mon *m, int final)
{
	struct mon_tty *y = m->tty;
	sz_tool *t = m->t;
	uint64_t now = sz_now(), in = t->st.in;
	double el = (double)(now - t->st.start) / 1e9, rate, frac = -1;
	size_t r = y->n % RING, old, len;
	char recs[16], bytes[16], rs[16], e[32], eta[32];
	struct winsize ws;
	int cols = 80, n;

	y->when[r] = now;
	y->in[r] = in;
	old = y->n >= RING - 1 ? (y->n + 1) % RING : 0;
	y->n++;
	if (final)
		rate = el > 0 ? (double)in / el : 0;
	else if (now > y->when[old])
		rate = (double)(in - y->in[old]) * 1e9 /
		    (double)(now - y->when[old]);
	else
		rate = 0;
	if (ioctl(2, TIOCGWINSZ, &ws) == 0 && ws.ws_col >= 20)
		cols = ws.ws_col < sizeof(y->line) - 8 ? ws.ws_col :
		    (int)sizeof(y->line) - 8;
	human(recs, sizeof(recs), (double)in, 0);
	human(bytes, sizeof(bytes), (double)t->st.bytes_in, 1);
	human(rs, sizeof(rs), rate, 0);
	hms(e, sizeof(e), el);
	n = snprintf(y->line, sizeof(y->line), "\r%s rec %s %s [%s/s]", recs,
	    bytes, e, rs);
	len = (size_t)n;
	if (m->size > 0)
		frac = (double)in / (double)m->size;
	else if (m->total_bytes > 0)
		frac = (double)t->st.bytes_in / (double)m->total_bytes;
	if (frac >= 0) {
		/* The end of the input is all of it, whatever blank lines
		 * or a BOM took. */
		if (frac > 1 || (final && !t->stopsig && t->status == 0))
			frac = 1;
		if (final)
			eta[0] = '\0';
		else {
			char h[24];

			/* At the run's average pace, as pv says it. */
			hms(h, sizeof(h), frac > 0 ? el * (1 - frac) / frac : 0);
			snprintf(eta, sizeof(eta), " ETA %s", frac > 0 ? h :
			    "-:--:--");
		}
		/* What is left of the line: not its last column, the
		 * space before the bar, " 100%" and " ETA 0:00:00". */
		int bar = cols - 1 - ((int)len - 1) - 1 - 5 - 12;

		if (bar >= 3) {
			int fill = (int)(frac * (bar - 2));

			y->line[len++] = ' ';
			y->line[len++] = '[';
			for (int i = 0; i < bar - 2; i++)
				y->line[len++] = i < fill ? '=' : i == fill ?
				    '>' : ' ';
			y->line[len++] = ']';
		}
		n = snprintf(y->line + len, sizeof(y->line) - len, " %3d%%%s",
		    (int)(frac * 100), eta);
		len += (size_t)n;
	}
	/* Clear what the last frame left beyond this one. */
	n = (int)len;
	while (len < y->prev_len && len < sizeof(y->line) - 2)
		y->line[len++] = ' ';
	y->prev_len = (size_t)n;
	if (final)
		y->line[len++] = '\n';
	put(y->line, len);
}
