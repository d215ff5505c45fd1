/* SPDX-License-Identifier: MIT */
/*
 * sz-top - a live view of the stages of running pipelines, from the files
 * every sz tool writes into $SZ_STATS_DIR (man/sz.7, ENVIRONMENT): one
 * row per stage in pipeline order, the bottleneck marked. stages.c reads
 * and orders the stages; this file draws them, or writes them as JSON.
 */
#include <errno.h>
#include <langinfo.h>
#include <locale.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "io/out.h"
#include "run/tool.h"
#include "top.h"

struct topopts {
	int once, json;
	uint64_t interval, forget;
	struct top tp;
	int colour, utf8, tty_in, paused;
	struct termios saved;
	int raw;		/* saved holds the terminal's modes */
	sz_buf scr;
};

static const char usage[] =
"Usage: sz-top [OPTION]... [DIR]\n"
"Show every stage writing its stats into DIR (default $SZ_STATS_DIR), one\n"
"row per stage in pipeline order, the bottleneck marked with '*'.\n"
"\n"
"      --once             print the table once and exit\n"
"      --json             write {\"pipelines\":[{\"stages\":[...]}]} instead\n"
"                         of the table, one line per refresh\n"
"      --interval=DURATION  time between refreshes (default 1s)\n"
"      --forget=DURATION  how long exited stages stay (default 60s)\n"
"Keys: q quits, p pauses and resumes. Of the common options only --name\n"
"and --log apply (to sz-top's own messages).\n";

enum { OPT_ONCE = SZ_OPT_TOOL, OPT_JSON, OPT_INTERVAL, OPT_FORGET };

static const struct option longopts[] = {
	{ "once", no_argument, NULL, OPT_ONCE },
	{ "json", no_argument, NULL, OPT_JSON },
	{ "interval", required_argument, NULL, OPT_INTERVAL },
	{ "forget", required_argument, NULL, OPT_FORGET },
	{ NULL, 0, NULL, 0 }
};

static volatile sig_atomic_t stop_sig;

static void
on_stop(int s)
{
	stop_sig = s;
}

/* ---- the table ------------------------------------------------------ */

/* A count in at most 4 columns: 1234, 12k, 123k, 1.2M, 12M, 1.2G. */
static void
fmt4(char *b, size_t size, double x)
{
	static const char unit[] = "kMGTP";
	int u = -1;

	if (x < 0)
		x = 0;
	if (x < 9999.5) {
		snprintf(b, size, "%.0f", x);
		return;
	}
	while (x >= 999.5 && u < 4) {
		x /= 1000;
		u++;
	}
	if (x < 9.95)
		snprintf(b, size, "%.1f%c", x, unit[u]);
	else
		snprintf(b, size, "%.0f%c", x, unit[u]);
}

/* The rates of the last minute in `w` columns, each the highest of its
 * part of the minute, scaled to the highest of all. */
static int
spark(struct topopts *m, sz_buf *b, const struct stage *s, int w)
{
	static const char *blocks[] = { "\xe2\x96\x81", "\xe2\x96\x82",
	    "\xe2\x96\x83", "\xe2\x96\x84", "\xe2\x96\x85", "\xe2\x96\x86",
	    "\xe2\x96\x87", "\xe2\x96\x88" };
	static const char ascii[] = "_.-=+*#@";
	double col[16] = { 0 }, hi = 0;
	uint64_t now = sz_now(), minute = 60000000000ull;
	int rc = 0, have[16] = { 0 };

	for (int i = 0; i < SPARK_N; i++) {
		uint64_t age;
		int c;

		if (s->spark_t[i] == 0 || now - s->spark_t[i] >= minute)
			continue;
		age = now - s->spark_t[i];
		c = w - 1 - (int)(age * (uint64_t)w / minute);
		if (c < 0)
			c = 0;
		if (!have[c] || s->spark[i] > col[c])
			col[c] = s->spark[i];
		have[c] = 1;
		if (s->spark[i] > hi)
			hi = s->spark[i];
	}
	for (int c = 0; c < w; c++) {
		int k = hi > 0 ? (int)(col[c] / hi * 7 + 0.5) : 0;

		if (!have[c])
			rc |= sz_buf_addc(b, ' ');
		else if (m->utf8)
			rc |= sz_buf_adds(b, blocks[k]);
		else
			rc |= sz_buf_addc(b, ascii[k]);
	}
	return rc;
}

/* The state in 7 columns. */
static void
short_state(const struct stage *s, char *b, size_t size)
{
	if (s->exit_status >= 0)
		snprintf(b, size, "exit %d", s->exit_status);
	else if (s->gone)
		snprintf(b, size, "gone");
	else if (strcmp(s->state, "blocked-out") == 0)
		snprintf(b, size, "blocked");
	else
		snprintf(b, size, "%.7s", s->state);
}

static int
row(struct topopts *m, sz_buf *b, const struct stage *s)
{
	char nm[16], tl[16], st[16], f[8][8];
	const char *name = s->name, *tool = s->tool;
	int rc = 0, dim = m->colour && !(s->exit_status < 0 && !s->gone);
	int hot = m->colour && s->bottleneck;

	if (strncmp(tool, "sz-", 3) == 0)
		tool += 3;
	if (strcmp(s->name, s->tool) == 0)
		name = tool;
	snprintf(nm, sizeof(nm), "%.7s", name);
	snprintf(tl, sizeof(tl), "%.8s", tool);
	short_state(s, st, sizeof(st));
	fmt4(f[0], sizeof(f[0]), s->in_rate);
	fmt4(f[1], sizeof(f[1]), s->out_rate);
	fmt4(f[2], sizeof(f[2]), (double)s->in);
	fmt4(f[3], sizeof(f[3]), (double)s->out);
	fmt4(f[4], sizeof(f[4]), (double)s->dropped);
	fmt4(f[5], sizeof(f[5]), (double)s->errors);
	if (s->q_bound > 0)
		snprintf(f[6], sizeof(f[6]), "%.0f", 100.0 *
		    (double)s->q_records / (double)s->q_bound > 99 ? 99 :
		    100.0 * (double)s->q_records / (double)s->q_bound);
	else
		snprintf(f[6], sizeof(f[6]), "-");
	if (dim)
		rc |= sz_buf_adds(b, "\033[2m");
	else if (hot)
		rc |= sz_buf_adds(b, "\033[1;31m");
	rc |= sz_buf_printf(b, "%c%-7s %-8s %6ld %-7s %4s %4s %4s %4s %4s "
	    "%3s %3s %3.0f %3.0f ", s->bottleneck ? '*' : ' ', nm, tl, s->pid,
	    st, f[0], f[1], f[2], f[3], f[4], f[5], f[6],
	    s->blk_pct > 99 ? 99 : s->blk_pct,
	    s->wait_pct > 99 ? 99 : s->wait_pct);
	rc |= spark(m, b, s, 5);
	if (dim || hot)
		rc |= sz_buf_adds(b, "\033[0m");
	rc |= sz_buf_addc(b, '\n');
	return rc;
}

/* The table: a title, the header, the pipelines with a blank line
 * between them. At most 79 columns. */
static int
table(struct topopts *m, sz_buf *b)
{
	struct top *tp = &m->tp;
	char now[40];
	int rc = 0;

	sz_rfc3339(now, sizeof(now));
	rc |= sz_buf_printf(b, "sz-top  %.30s  %s%s\n", tp->dir, now + 11,
	    m->paused ? "  (paused: p resumes)" : "");
	rc |= sz_buf_adds(b, " NAME    TOOL        PID STATE    I/s  O/s"
	    "   IN  OUT DROP ERR  Q% BL% WA% RATE\n");
	for (size_t i = 0; i < tp->norder; i++) {
		const struct stage *s = &tp->v[tp->order[i]];

		if (i > 0 && s->group != tp->v[tp->order[i - 1]].group)
			rc |= sz_buf_addc(b, '\n');
		rc |= row(m, b, s);
	}
	if (tp->norder == 0)
		rc |= sz_buf_adds(b, " (no stage writes into this folder)\n");
	return rc;
}

/* {"pipelines":[{"stages":[{...,"bottleneck":B},...]},...]} */
static int
json(struct topopts *m, sz_buf *b)
{
	struct top *tp = &m->tp;
	int rc = 0;

	rc |= sz_buf_adds(b, "{\"pipelines\":[");
	for (size_t i = 0; i < tp->norder; i++) {
		const struct stage *s = &tp->v[tp->order[i]];
		int first = i == 0 ||
		    s->group != tp->v[tp->order[i - 1]].group;

		if (first)
			rc |= sz_buf_adds(b, i > 0 ? "]},{\"stages\":[" :
			    "{\"stages\":[");
		else
			rc |= sz_buf_addc(b, ',');
		rc |= sz_buf_add(b, s->raw.p, s->raw.len - 1);
		rc |= sz_buf_printf(b, ",\"bottleneck\":%s}",
		    s->bottleneck ? "true" : "false");
	}
	rc |= sz_buf_adds(b, tp->norder > 0 ? "]}]}\n" : "]}\n");
	return rc;
}

/* ---- the terminal --------------------------------------------------- */

static void
term_raw(struct topopts *m)
{
	struct termios t;

	if (!m->tty_in || tcgetattr(0, &m->saved) < 0)
		return;
	t = m->saved;
	t.c_lflag &= ~(tcflag_t)(ICANON | ECHO);
	t.c_cc[VMIN] = 1;
	t.c_cc[VTIME] = 0;
	if (tcsetattr(0, TCSANOW, &t) == 0)
		m->raw = 1;
}

static void
term_restore(struct topopts *m)
{
	if (m->raw)
		(void)tcsetattr(0, TCSANOW, &m->saved);
	m->raw = 0;
}

/* Wait up to ns for a key: 'q' (answer 1), 'p' (pause), or the time. */
static int
keys(struct topopts *m, uint64_t ns)
{
	uint64_t end = sz_now() + ns;

	for (;;) {
		uint64_t now = sz_now();
		struct pollfd pf = { 0, POLLIN, 0 };
		int k;
		char c;

		if (stop_sig)
			return 1;
		if (now >= end && !m->paused)
			return 0;
		k = poll(&pf, m->tty_in ? 1 : 0, m->paused ? -1 :
		    (int)((end - now + 999999) / 1000000));
		if (k <= 0 || (pf.revents & POLLIN) == 0) {
			if (k > 0)	/* the terminal went away */
				return 1;
			continue;
		}
		if (read(0, &c, 1) != 1)
			return 1;
		if (c == 'q' || c == 'Q')
			return 1;
		if (c == 'p' || c == 'P') {
			m->paused = !m->paused;
			return 0;	/* redraw: the title says it */
		}
	}
}

/* ---- the tool ------------------------------------------------------- */

static int
top_option(sz_tool *t, int c)
{
	struct topopts *m = t->ud;

	switch (c) {
	case OPT_ONCE:
		m->once = 1;
		break;
	case OPT_JSON:
		m->json = 1;
		break;
	case OPT_INTERVAL:
		return sz_opt_duration_pos(&t->o, "--interval", &m->interval);
	case OPT_FORGET:
		return sz_opt_duration(&t->o, "--forget", &m->forget);
	}
	return 0;
}

static int
refresh(sz_tool *t, struct topopts *m, int live)
{
	sz_buf *b = &m->scr;

	if (top_scan(&m->tp) < 0) {
		sz_msg(t, "error", NULL, 0, "%s: %s", m->tp.dir,
		    strerror(errno));
		return SZ_EXIT_FAIL;
	}
	if (top_order(&m->tp) < 0) {
		sz_msg(t, "error", NULL, 0, "out of memory");
		return SZ_EXIT_FAIL;
	}
	sz_buf_reset(b);
	if (live)
		sz_buf_adds(b, "\033[H\033[2J");
	if ((m->json ? json(m, b) : table(m, b)) < 0) {
		sz_msg(t, "error", NULL, 0, "out of memory");
		return SZ_EXIT_FAIL;
	}
	if (!live && !m->json && !m->once)
		sz_buf_addc(b, '\n');
	if (sz_write_all(1, b->p, b->len) < 0) {
		if (errno == EPIPE)
			return SZ_EXIT_OK;
		sz_msg(t, "error", NULL, 0, "write error: %s",
		    strerror(errno));
		return SZ_EXIT_FAIL;
	}
	return -1;
}

static int
top_start(sz_tool *t)
{
	struct topopts *m = t->ud;
	const char *dir = sz_tool_operand(t);
	const char *nc = getenv("NO_COLOR");
	int live, rc = -1;

	if (dir == NULL)
		dir = getenv("SZ_STATS_DIR");
	if (dir == NULL || *dir == '\0')
		return sz_usage(t, "no DIR, and SZ_STATS_DIR is not set");
	if (sz_tool_operand(t) != NULL)
		return sz_usage(t, "one DIR only");
	m->tp.dir = dir;
	m->tp.forget = m->forget;
	setlocale(LC_CTYPE, "");
	m->utf8 = strcmp(nl_langinfo(CODESET), "UTF-8") == 0;
	live = !m->once && !m->json && isatty(1);
	m->colour = isatty(1) && !m->json && (nc == NULL || *nc == '\0');
	m->tty_in = live && isatty(0);
	signal(SIGPIPE, SIG_IGN);
	signal(SIGINT, on_stop);
	signal(SIGTERM, on_stop);
	signal(SIGHUP, on_stop);
	if (live)
		term_raw(m);
	/* Draw, wait for the interval or a key, again. */
	while ((rc = refresh(t, m, live)) < 0) {
		if (m->once) {
			rc = SZ_EXIT_OK;
			break;
		}
		if (keys(m, m->interval)) {
			rc = stop_sig ? 128 + stop_sig : SZ_EXIT_OK;
			break;
		}
	}
	term_restore(m);
	return rc;
}

static void
top_init(sz_tool *t)
{
	struct topopts *m = t->ud;

	m->interval = 1000000000ull;
	m->forget = 60000000000ull;
}

static void
top_done(sz_tool *t)
{
	struct topopts *m = t->ud;

	term_restore(m);
	top_free(&m->tp);
	sz_buf_free(&m->scr);
}

static const sz_tool_def top_def = {
	.prog = "sz-top", .usage = usage, .shortopts = "",
	.longopts = longopts, .init = top_init, .option = top_option,
	.start = top_start, .done = top_done,
};

SZ_TOOL_MAIN(top_def, struct topopts)
