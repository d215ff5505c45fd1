/* SPDX-License-Identifier: MIT */
/* opts.c - common options and value parsers; see opts.h. */
#include <errno.h>
#include <stdarg.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/opts.h"

const char sz_opts_help[] =
"Common options:\n"
"      --on-error=fail|skip|dlq\n"
"                         bad input: fail (default: exit 65), skip (warn and\n"
"                         count), or dlq (write a dead letter)\n"
"      --dlq=FILE         append dead letters to FILE (implies --on-error=dlq)\n"
"      --max-errors=N     under skip or dlq, stop as fail does (exit 65) at\n"
"                         the bad record after the first N\n"
"      --fail-at-end      under skip or dlq, exit 65 at the end if any\n"
"                         record was bad (either implies --on-error=skip\n"
"                         without --on-error or --dlq)\n"
"      --max-record=SIZE  longest record accepted (default 64MiB)\n"
"      --stats[=FILE]     at exit, write a JSON stats line to stderr or FILE\n"
"      --stats-interval=DURATION\n"
"                         also write the stats line every DURATION\n"
"      --name=NAME        label this stage in messages and stats\n"
"      --log=text|json    messages as text (default) or json\n"
"  -u, --unbuffered       flush the output after every record\n"
"  -h, --help             show this help and exit\n"
"  -V, --version          show the version and exit\n";

static const struct option common[] = {
	{ "on-error", required_argument, NULL, SZ_OPT_ONERR },
	{ "dlq", required_argument, NULL, SZ_OPT_DLQ },
	{ "max-record", required_argument, NULL, SZ_OPT_MAXREC },
	{ "stats", optional_argument, NULL, SZ_OPT_STATS },
	{ "stats-interval", required_argument, NULL, SZ_OPT_STATSINT },
	{ "name", required_argument, NULL, SZ_OPT_NAME },
	{ "log", required_argument, NULL, SZ_OPT_LOG },
	{ "max-errors", required_argument, NULL, SZ_OPT_MAXERR },
	{ "fail-at-end", no_argument, NULL, SZ_OPT_FAILEND },
	{ "unbuffered", no_argument, NULL, 'u' },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, 'V' },
};
#define NCOMMON (sizeof(common) / sizeof(common[0]))

void
sz_opts_init(sz_opts *o, const char *prog)
{
	memset(o, 0, sizeof(*o));
	o->prog = prog;
	o->name = prog;
	o->max_record = (size_t)64 << 20;
	o->after_dashdash = -1;
}

/*
 * The "--" that the next getopt_long call will take as the end of the
 * options, if it reaches one: the first word from optind on that is not
 * an operand (GNU getopt skips operands before it). Its pointer and
 * index, or NULL. getopt only moves the words before optind, so the
 * words after it keep their place.
 */
static char *
dashdash_ahead(int argc, char **argv, int *at)
{
	for (int k = optind < 1 ? 1 : optind; k < argc; k++) {
		if (argv[k][0] != '-' || argv[k][1] == '\0')
			continue;
		if (strcmp(argv[k], "--") != 0)
			return NULL;
		*at = k;
		return argv[k];
	}
	return NULL;
}

static int
usage_err(sz_opts *o, const char *fmt, const char *a, const char *b)
{
	snprintf(o->err, sizeof(o->err), fmt, a, b);
	return '?';
}

/* One of the common options (c, its value in optarg): 0 when taken, '?'
 * with o->err set for a bad value, 1 when c is not a common option. */
static int
common_option(sz_opts *o, int c)
{
	uint64_t v;

	switch (c) {
	case 'h':
		o->help = 1;
		return 0;
	case 'V':
		o->version = 1;
		return 0;
	case 'u':
		o->unbuffered = 1;
		return 0;
	case SZ_OPT_ONERR:
		if (strcmp(optarg, "fail") == 0)
			o->on_error = SZ_ONERR_FAIL;
		else if (strcmp(optarg, "skip") == 0)
			o->on_error = SZ_ONERR_SKIP;
		else if (strcmp(optarg, "dlq") == 0)
			o->on_error = SZ_ONERR_DLQ;
		else
			return usage_err(o, "--on-error: '%s' is not "
			    "fail, skip or dlq%s", optarg, "");
		o->on_error_set = 1;
		return 0;
	case SZ_OPT_DLQ:
		o->dlq = optarg;
		return 0;
	case SZ_OPT_MAXREC:
		if (sz_parse_size("--max-record", optarg, &v, o->err,
		    sizeof(o->err)))
			return '?';
		if (v == 0)
			return usage_err(o, "--max-record: '%s' is not "
			    "a positive size%s", optarg, "");
		o->max_record = v > SIZE_MAX / 2 ? SIZE_MAX / 2 : v;
		return 0;
	case SZ_OPT_STATS:
		o->stats = 1;
		o->stats_file = optarg;
		return 0;
	case SZ_OPT_STATSINT:
		if (sz_parse_duration("--stats-interval", optarg,
		    &o->stats_interval, o->err, sizeof(o->err)))
			return '?';
		if (o->stats_interval == 0)
			return usage_err(o, "--stats-interval: '%s' "
			    "must be longer than 0%s", optarg, "");
		return 0;
	case SZ_OPT_NAME:
		o->name = optarg;
		return 0;
	case SZ_OPT_MAXERR:
		return sz_parse_count("--max-errors", optarg, 1, UINT64_MAX,
		    &o->max_errors, o->err, sizeof(o->err)) < 0 ? '?' : 0;
	case SZ_OPT_FAILEND:
		o->fail_at_end = 1;
		return 0;
	case SZ_OPT_LOG:
		if (strcmp(optarg, "json") == 0)
			o->log_json = 1;
		else if (strcmp(optarg, "text") == 0)
			o->log_json = 0;
		else
			return usage_err(o, "--log: '%s' is not text "
			    "or json%s", optarg, "");
		return 0;
	}
	return 1;
}

int
sz_opts_getopt(sz_opts *o, int argc, char **argv, const char *shortopts,
    const struct option *longopts)
{
	struct option all[SZ_OPTS_MAX + NCOMMON + 1];
	char shorts[128];
	size_t n = 0;
	int c, k, idx = -1, posix;

	while (longopts != NULL && longopts[n].name != NULL) {
		/* A tool with more options than fit is a bug to see at
		 * once, not options that silently do nothing. */
		if (n == SZ_OPTS_MAX)
			return usage_err(o, "%s has more than %s long "
			    "options (a bug: raise SZ_OPTS_MAX)", o->prog,
			    SZ_XSTR(SZ_OPTS_MAX));
		all[n] = longopts[n];
		n++;
	}
	memcpy(all + n, common, sizeof(common));
	memset(all + n + NCOMMON, 0, sizeof(all[0]));
	/* A tool's shortopts starting with '+': options end at the first
	 * operand (sz-exec: the rest is a command with options of its
	 * own). getopt wants the '+' before the ':'. */
	posix = shortopts != NULL && shortopts[0] == '+';
	if ((size_t)snprintf(shorts, sizeof(shorts), "%s:%shVu",
	    posix ? "+" : "", shortopts ? shortopts + posix : "") >=
	    sizeof(shorts))
		return usage_err(o, "%s has more short options than fit (a "
		    "bug%s)", o->prog, "");
	opterr = 0;
	for (;;) {
		int ddat = -1;
		char *dd = dashdash_ahead(argc, argv, &ddat);

		c = getopt_long(argc, argv, shorts, all, &idx);
		/* It ended the options (not an option's argument, nor an
		 * operand under POSIXLY_CORRECT) when getopt put it just
		 * before the operands. */
		o->after_dashdash = c == -1 && dd != NULL && optind > 0 &&
		    optind <= argc && argv[optind - 1] == dd ?
		    argc - ddat - 1 : -1;
		if ((k = common_option(o, c)) == 0)
			continue;
		if (k == '?')
			return '?';
		switch (c) {
		case ':':
		case '?': {
			/* The word at fault: a long option (up to '=') or a
			 * cluster of short ones. */
			const char *w = argv[optind - 1 < argc ? optind - 1 :
			    argc - 1];
			int len = (int)strcspn(w, "=");

			if (strncmp(w, "--", 2) != 0 && c == '?' &&
			    optopt != 0 && optopt == o->moved_short)
				snprintf(o->err, sizeof(o->err),
				    "invalid option -- '%c' (%s)", optopt,
				    o->moved_hint);
			else if (strncmp(w, "--", 2) != 0)
				snprintf(o->err, sizeof(o->err), c == ':' ?
				    "option requires an argument -- '%c'" :
				    "invalid option -- '%c'", optopt);
			else if (c == ':')
				snprintf(o->err, sizeof(o->err),
				    "option '%.*s' requires an argument", len, w);
			else if (optopt != 0)
				snprintf(o->err, sizeof(o->err),
				    "option '%.*s' does not take an argument",
				    len, w);
			else
				snprintf(o->err, sizeof(o->err),
				    "unrecognized option '%.*s'", len, w);
			return '?';
		}
		case -1:
			if (o->dlq != NULL && !o->on_error_set)
				o->on_error = SZ_ONERR_DLQ;
			else if ((o->max_errors || o->fail_at_end) &&
			    !o->on_error_set)
				o->on_error = SZ_ONERR_SKIP;
			if (o->on_error == SZ_ONERR_FAIL && o->max_errors)
				return usage_err(o, "--max-errors needs "
				    "--on-error=skip or dlq%s%s", "", "");
			if (o->on_error == SZ_ONERR_FAIL && o->fail_at_end)
				return usage_err(o, "--fail-at-end needs "
				    "--on-error=skip or dlq%s%s", "", "");
			if (o->on_error == SZ_ONERR_DLQ && o->dlq == NULL)
				return usage_err(o, "--on-error=dlq needs "
				    "--dlq=FILE%s%s", "", "");
			return -1;
		default:
			return c;
		}
	}
}

const char *
sz_opts_second(sz_opts *o, int argc, char **argv, const char *opt)
{
	if (optind >= argc) {
		snprintf(o->err, sizeof(o->err),
		    "option '%s' takes two arguments", opt);
		return NULL;
	}
	return argv[optind++];
}

/* Parse a leading decimal number (no sign, no hex, no inf/nan). */
static int
decimal(const char *s, double *v, const char **rest)
{
	char *end;

	if (!((*s >= '0' && *s <= '9') || *s == '.'))
		return -1;
	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
		return -1;	/* strtod would read hexadecimal */
	errno = 0;
	*v = strtod(s, &end);
	if (end == s || errno == ERANGE || !isfinite(*v))
		return -1;
	*rest = end;
	return 0;
}

static int
bad(char *err, size_t size, const char *opt, const char *s, const char *want)
{
	snprintf(err, size, "%s: '%s' is not %s", opt, s, want);
	return -1;
}

/*
 * One or more terms, each a number and a unit, the units in decreasing
 * size and each at most once (1h30m, 2m30s, 1m0.5s; not 30m1h, 1m1m or
 * 1h30): what a user writes for a length of time, and nothing that is
 * more likely a slip (a repeated unit, a missing one).
 */
int
sz_parse_duration(const char *opt, const char *s, uint64_t *ns, char *err,
    size_t errsize)
{
	static const struct { const char *u; double ns; } units[] = {
		{ "d", 86400e9 }, { "h", 3600e9 }, { "m", 60e9 }, { "s", 1e9 },
		{ "ms", 1e6 }, { "us", 1e3 }, { "ns", 1 },
	};
	const size_t nunits = sizeof(units) / sizeof(units[0]);
	const char *want = "a duration (e.g. 250ms, 5s, 1m, 2h, 1d)";
	const char *p = s, *u;
	size_t next = 0;	/* the first unit the next term may have */
	double v, sum = 0;

	/* zero needs no unit (--retry-for=0: for ever) */
	if (strcmp(s, "0") == 0) {
		*ns = 0;
		return 0;
	}
	do {
		size_t len, i;

		if (decimal(p, &v, &u) < 0)
			return bad(err, errsize, opt, s, want);
		for (len = 0; (u[len] >= 'a' && u[len] <= 'z'); len++)
			;
		for (i = next; i < nunits; i++)
			if (strlen(units[i].u) == len &&
			    strncmp(u, units[i].u, len) == 0)
				break;
		if (i == nunits)	/* unknown, repeated or out of order */
			return bad(err, errsize, opt, s, want);
		sum += v * units[i].ns;
		next = i + 1;
		p = u + len;
	} while (*p != '\0');
	if (sum >= 1.8e19)
		return bad(err, errsize, opt, s,
		    "a duration that fits (at most ~580 years)");
	*ns = (uint64_t)(sum + 0.5);
	return 0;
}

int
sz_parse_size(const char *opt, const char *s, uint64_t *bytes, char *err,
    size_t errsize)
{
	static const struct { const char *u; double m; } units[] = {
		{ "", 1 }, { "B", 1 },
		{ "K", 1024.0 }, { "KiB", 1024.0 }, { "kB", 1e3 },
		{ "M", 1048576.0 }, { "MiB", 1048576.0 }, { "MB", 1e6 },
		{ "G", 1073741824.0 }, { "GiB", 1073741824.0 }, { "GB", 1e9 },
		{ "TiB", 1099511627776.0 }, { "TB", 1e12 },
	};
	const char *want = "a size (e.g. 512, 64KiB, 16MiB, 1GiB)";
	const char *u;
	double v;

	if (decimal(s, &v, &u) < 0)
		return bad(err, errsize, opt, s, want);
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++)
		if (strcmp(u, units[i].u) == 0) {
			double r = v * units[i].m;

			if (r >= 1.8e19)
				return bad(err, errsize, opt, s,
				    "a size that fits in 64 bits");
			if (r != floor(r))
				return bad(err, errsize, opt, s,
				    "a whole number of bytes");
			*bytes = (uint64_t)r;
			return 0;
		}
	return bad(err, errsize, opt, s, want);
}

int
sz_parse_rate(const char *opt, const char *s, double *per_sec, char *err,
    size_t errsize)
{
	const char *want = "a rate (e.g. 1000/s, 2.5/s, 50/m, 10/h)";
	const char *u;
	double v;

	if (decimal(s, &v, &u) < 0 || v <= 0)
		return bad(err, errsize, opt, s, want);
	static const struct { const char *u; double sec; } per[] = {
		{ "/s", 1 }, { "/sec", 1 }, { "/m", 60 }, { "/min", 60 },
		{ "/h", 3600 }, { "/hour", 3600 },
	};

	for (size_t i = 0; i < sizeof(per) / sizeof(per[0]); i++)
		if (strcmp(u, per[i].u) == 0) {
			*per_sec = v / per[i].sec;
			return 0;
		}
	return bad(err, errsize, opt, s, want);
}

int
sz_parse_count(const char *opt, const char *s, uint64_t min, uint64_t max,
    uint64_t *v, char *err, size_t errsize)
{
	char *end;
	unsigned long long x;

	if (*s < '0' || *s > '9')
		goto fail;
	errno = 0;
	x = strtoull(s, &end, 10);
	if (*end != '\0' || errno == ERANGE || x < min || x > max)
		goto fail;
	*v = x;
	return 0;
fail:
	snprintf(err, errsize, "%s: '%s' is not a whole number from %llu to "
	    "%llu", opt, s, (unsigned long long)min, (unsigned long long)max);
	return -1;
}

int
sz_parse_double(const char *opt, const char *s, double min, double max,
    double *v, char *err, size_t errsize)
{
	const char *rest;

	if (decimal(s, v, &rest) < 0 || *rest != '\0' || *v < min || *v > max) {
		snprintf(err, errsize, "%s: '%s' is not a number from %g to %g",
		    opt, s, min, max);
		return -1;
	}
	return 0;
}

/* ---- tool-facing helpers: one line per option case ------------------ */

int
sz_opt_count(sz_opts *o, const char *opt, uint64_t min, uint64_t max,
    uint64_t *v)
{
	return sz_parse_count(opt, optarg, min, max, v, o->err,
	    sizeof(o->err)) < 0 ? '?' : 0;
}

int
sz_opt_double(sz_opts *o, const char *opt, double min, double max, double *v)
{
	return sz_parse_double(opt, optarg, min, max, v, o->err,
	    sizeof(o->err)) < 0 ? '?' : 0;
}

int
sz_opt_duration(sz_opts *o, const char *opt, uint64_t *ns)
{
	return sz_parse_duration(opt, optarg, ns, o->err, sizeof(o->err)) < 0 ?
	    '?' : 0;
}

int
sz_opt_duration_pos(sz_opts *o, const char *opt, uint64_t *ns)
{
	if (sz_opt_duration(o, opt, ns) != 0)
		return '?';
	if (*ns == 0)
		return sz_opt_fail(o, "%s: '%s' must be longer than 0", opt,
		    optarg);
	return 0;
}

int
sz_opt_size(sz_opts *o, const char *opt, uint64_t *bytes)
{
	return sz_parse_size(opt, optarg, bytes, o->err, sizeof(o->err)) < 0 ?
	    '?' : 0;
}

int
sz_opt_rate(sz_opts *o, const char *opt, double *per_sec)
{
	return sz_parse_rate(opt, optarg, per_sec, o->err, sizeof(o->err)) < 0 ?
	    '?' : 0;
}

int
sz_opt_when_full(sz_opts *o, int *policy)
{
	static const char *const names[] = { "block", "drop-newest",
	    "drop-oldest" };

	for (int i = 0; i < (int)(sizeof(names) / sizeof(names[0])); i++)
		if (strcmp(optarg, names[i]) == 0) {
			*policy = i;	/* SZ_FULL_* in this order */
			return 0;
		}
	return sz_opt_fail(o, "--when-full: '%s' is not block, drop-newest "
	    "or drop-oldest", optarg);
}

int
sz_print_version(const char *prog)
{
	if (printf("%s (sz) %s\nbuilt with libjq %s\n"
	    "MIT licence: free to use, change and share; no warranty.\n",
	    prog, SZ_VERSION, SZ_LIBJQ_VERSION) < 0 || fflush(stdout) == EOF)
		return -1;
	return 0;
}

int
sz_opt_fail(sz_opts *o, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(o->err, sizeof(o->err), fmt, ap);
	va_end(ap);
	return '?';
}
