/* SPDX-License-Identifier: MIT */
/*
 * report.h - the JSON texts a tool reports: the stats object, dead-letter
 * envelopes and --log=json messages (man/sz.7, STATISTICS, DEAD LETTERS
 * and "Messages").
 *
 * Functions here build text into an sz_buf; they do not write anywhere.
 */
#ifndef SZ_REPORT_H
#define SZ_REPORT_H

#include <stdint.h>

#include "core/buf.h"

#include "run/stats.h"

typedef struct sz_stats {
	uint64_t in;		/* records read */
	uint64_t out;		/* records written */
	uint64_t dropped;	/* records discarded on purpose */
	uint64_t errors;	/* bad records */
	uint64_t bytes_in;	/* bytes of records read (terminators incl.) */
	uint64_t start;		/* sz_now() at start */
} sz_stats;

/*
 * Build the stats line (no newline): {"tool","name", then the values v}
 * (the runtime puts the contract's first: "in","out","dropped","errors",
 * "bytes_in","bytes_out","elapsed_s","rate").
 */
int sz_stats_json(sz_buf *b, const char *tool, const char *name,
    const sz_statv *v);

/* The same as a --log=json line: {"time","level":"info","tool","name",
 * "msg":"stats", then the values v}. */
int sz_stats_log_json(sz_buf *b, const char *tool, const char *name,
    const sz_statv *v);

/* What a dead letter says about a record. */
typedef struct sz_dead {
	const char *error;	/* the message, without FILE:LINE */
	const char *kind;	/* "parse", "jq", "validation", ... */
	const char *file;
	unsigned long line;
	unsigned attempts;	/* 0 is written as 1 */
	const char *rec;	/* the record's bytes */
	size_t n;
	int rec_is_json;	/* rec is valid JSON: embed it as is;
				   otherwise it is written as a string */
	const char *more;	/* members of the tool's own written after
				   error_kind ("errors":[...]), or NULL */
	size_t moren;
	int attempts_exact;	/* write attempts as it is, 0 too */
	const char *extra;	/* NULL, or more members, each with a
				   leading comma (",\"exit\":3"), after
				   "attempts" */
} sz_dead;

/* Build one dead-letter envelope (no newline). */
int sz_dead_json(sz_buf *b, const char *tool, const char *name,
    const sz_dead *d);

/* Build one --log=json line (no newline): level, tool, name, msg, and
 * file/line when file is not NULL. */
int sz_log_json(sz_buf *b, const char *level, const char *tool,
    const char *name, const char *file, unsigned long line, const char *msg);

#endif
