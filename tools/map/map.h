/* SPDX-License-Identifier: MIT */
/*
 * map.h - what the parts of sz-map share: the state, the output options
 * (out.c: -r, --join-output, -S, -e on each record's outputs) and the -j
 * workers (jobs.c); main.c has the options, one thread and -s. Private to
 * tools/map/.
 */
#ifndef SZ_MAP_H
#define SZ_MAP_H

#include <stdint.h>

#include "jq/expr.h"
#include "run/pool.h"
#include "run/tool.h"

/* A record's answer when rewriting its outputs ran out of memory. */
#define RUN_NOMEM (-2)

/* What the output options ask (jq's -r, --join-output, -S, -e). */
struct fmt {
	int raw;		/* -r: a string as its text */
	int join;		/* --join-output: and no newline after it */
	int sort;		/* -S: object keys sorted */
	int any;		/* one of these: outputs are rewritten */
	int exit_status;	/* -e */
};

/* One thread's scratch for rewriting outputs. */
struct fmtbuf {
	sz_buf tmp, dec, jvs;
	sz_buf err;		/* a fault of libjq's printer */
};

struct chunk;

struct map {
	sz_expr e;		/* the main thread's program */
	const char *src;
	const sz_jqvars *vars;
	int fast;
	int jobs, unordered;
	uint64_t njobs;		/* -j */
	struct fmt f;
	struct fmtbuf fb;	/* the main thread's scratch */
	int null_input;		/* -n */
	int slurp;		/* -s */
	uint64_t max_bytes;	/* --max-bytes */
	sz_buf all;		/* -s: the records as one array */
	const char *last_file;	/* -s: where the last record came from */
	unsigned long last_line;
	sz_buf out;		/* single-threaded output of one record */
	/* -j N */
	sz_tool *t;
	sz_pool *pool;
	size_t outcap;		/* outputs a chunk may hold */
	struct chunk *cur;	/* being filled */
	uint64_t seq;		/* chunks submitted */
	uint64_t nrec, nbytes;	/* records (and bytes) in them */
	uint64_t eseq;		/* the chunk that set t->exit_ok */
};

/*
 * Run the program on r and append its outputs to out as the output
 * options want them. Returns the number of outputs; SZ_EXPR_ERROR on a
 * jq error (nothing of r is in out) or a halt (out holds the outputs
 * before it, *halt_outs of them); RUN_NOMEM. *est gets -e's status of r
 * when it ran to its end.
 */
long map_run_one(const struct fmt *f, sz_expr *e, struct fmtbuf *w,
    const sz_rec *r, sz_buf *out, uint64_t *halt_outs, int *est);
void map_fmtbuf_free(struct fmtbuf *w);

/* The stats callback: "jobs" and "fast". */
void map_stats(sz_tool *t, sz_statv *v);

/* -j N: start the workers and run on them (t->proc). 0, or -1 with errno
 * set. */
int map_jobs_start(sz_tool *t, struct map *m);
/* Stop the workers, free what they hold. */
void map_jobs_free(struct map *m);

#endif
