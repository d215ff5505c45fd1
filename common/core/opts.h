/* SPDX-License-Identifier: MIT */
/*
 * opts.h - the options every sz tool shares, and parsers for the values
 * that options take (durations, sizes, rates, counts).
 *
 * A tool lists its own getopt_long options and lets sz_opts_getopt() add
 * the common ones; sz_opts_getopt() answers each common option itself and
 * hands the tool only its own. Parsers write an error message naming the
 * option and the bad value into a caller's buffer and never exit.
 */
#ifndef SZ_OPTS_H
#define SZ_OPTS_H

#include <getopt.h>
#include <stddef.h>
#include <stdint.h>

typedef enum { SZ_ONERR_FAIL, SZ_ONERR_SKIP, SZ_ONERR_DLQ } sz_onerr;

typedef struct sz_opts {
	const char *prog;	/* "sz-NAME" */
	const char *name;	/* --name, or prog */
	sz_onerr on_error;
	int on_error_set;
	const char *dlq;	/* --dlq=FILE */
	size_t max_record;	/* --max-record, default 64 MiB */
	int stats;		/* --stats given */
	const char *stats_file;	/* --stats=FILE, NULL: stderr */
	uint64_t stats_interval;	/* ns, 0: none */
	int unbuffered;		/* -u */
	int log_json;		/* --log=json */
	uint64_t max_errors;	/* --max-errors=N, 0: no limit */
	int fail_at_end;	/* --fail-at-end */
	int help, version;
	/* A short letter the tool no longer takes, and a hint that its
	 * "invalid option" error adds in parentheses ("use --drop"). */
	int moved_short;
	const char *moved_hint;
	/* After the last sz_opts_getopt: how many operands came after a
	 * "--" that ended the options, or -1 when none did (sz-fanout's
	 * DEST... -- FILE...). */
	int after_dashdash;
	char err[512];		/* message of a usage error */
} sz_opts;

/* Codes of the common long options (beyond any character). */
enum {
	SZ_OPT_ONERR = 0x1000, SZ_OPT_DLQ, SZ_OPT_MAXREC, SZ_OPT_STATS,
	SZ_OPT_STATSINT, SZ_OPT_NAME, SZ_OPT_LOG, SZ_OPT_MAXERR,
	SZ_OPT_FAILEND,
	SZ_OPT_TOOL = 0x2000	/* tools number their long-only options from
				   here */
};

/* Most long options a tool may have besides the common ones. */
#define SZ_OPTS_MAX 100
#define SZ_STR(x) #x
#define SZ_XSTR(x) SZ_STR(x)

/* The common options' lines of --help text. */
extern const char sz_opts_help[];

void sz_opts_init(sz_opts *o, const char *prog);

/*
 * getopt_long over the tool's options (`shortopts` without the common
 * "hVu", `longopts` terminated by a zero entry) and the common ones, in
 * GNU argument-permuting mode (shortopts starting with '+': options end
 * at the first operand). Returns the next tool option as
 * getopt_long would; common options are handled inside. Returns -1 at the
 * end of options, and '?' on a usage error with o->err set (the message
 * without the program name). After -1, check o->help / o->version.
 */
int sz_opts_getopt(sz_opts *o, int argc, char **argv, const char *shortopts,
    const struct option *longopts);

/*
 * For an option that takes two words (jq's --arg NAME VALUE): after
 * getopt returned it with optarg = NAME, take VALUE from argv. Returns it,
 * or NULL with o->err set when it is missing.
 */
const char *sz_opts_second(sz_opts *o, int argc, char **argv,
    const char *opt);

/* Value parsers: 0 on success, -1 with a message in err (naming `opt` and
 * the value). */
/* Durations: one or more terms of a decimal number and a unit, d h m s
 * ms us ns, the units in this order and each once (e.g. 250ms, 1.5s, 2h,
 * 1h30m, 1m0.5s). Result in ns. */
int sz_parse_duration(const char *opt, const char *s, uint64_t *ns,
    char *err, size_t errsize);
/* Sizes: a number with an optional unit B, KiB, MiB, GiB, TiB (powers of
 * 1024) or kB, MB, GB (powers of 1000); "K", "M", "G" mean KiB, MiB, GiB. */
int sz_parse_size(const char *opt, const char *s, uint64_t *bytes,
    char *err, size_t errsize);
/* Rates: N/s, N/m, N/h, or N/sec, N/min, N/hour (N decimal, e.g. 2.5/s,
 * 1e9/s, 50/min). Result: events per second, > 0. */
int sz_parse_rate(const char *opt, const char *s, double *per_sec,
    char *err, size_t errsize);
/* A whole number in [min, max]. */
int sz_parse_count(const char *opt, const char *s, uint64_t min,
    uint64_t max, uint64_t *v, char *err, size_t errsize);
/* A decimal number in [min, max]. */
int sz_parse_double(const char *opt, const char *s, double min, double max,
    double *v, char *err, size_t errsize);

/*
 * For the tool's own option cases: parse optarg (the current option's
 * value) into *v. Answer 0, or '?' with o->err set, so that a case is
 *	case OPT_EVERY:
 *		c = sz_opt_count(&t.o, "--every", 1, UINT64_MAX, &s.every);
 *		break;
 * and the loop ends on '?' as it does for a common option's error.
 */
int sz_opt_count(sz_opts *o, const char *opt, uint64_t min, uint64_t max,
    uint64_t *v);
int sz_opt_double(sz_opts *o, const char *opt, double min, double max,
    double *v);
int sz_opt_duration(sz_opts *o, const char *opt, uint64_t *ns);
/* A duration longer than 0. */
int sz_opt_duration_pos(sz_opts *o, const char *opt, uint64_t *ns);
int sz_opt_size(sz_opts *o, const char *opt, uint64_t *bytes);
int sz_opt_rate(sz_opts *o, const char *opt, double *per_sec);
/*
 * What a full queue means (--when-full=POLICY): stop reading until there
 * is room (block, the default), drop the incoming record (drop-newest) or
 * the oldest queued ones (drop-oldest); dropped records are counted.
 */
enum { SZ_FULL_BLOCK, SZ_FULL_DROP_NEWEST, SZ_FULL_DROP_OLDEST };
/* --when-full=POLICY: *policy = SZ_FULL_*; 0, or '?' with o->err set
 * ("--when-full: 'X' is not block, drop-newest or drop-oldest"). */
int sz_opt_when_full(sz_opts *o, int *policy);
/* A usage error in the tool's own terms: o->err set, answers '?'. */
int sz_opt_fail(sz_opts *o, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* The --version text of every sz program (prog: "sz-NAME", or "sz") on
 * standard output, flushed. 0, or -1 on a write error (errno set). */
int sz_print_version(const char *prog);

#endif
