/* SPDX-License-Identifier: MIT */
/*
 * agg.h - sz-aggregate: the reducers (reduce.c) and the tool (main.c).
 *
 * A group is one state per reducer, kept in a keymap (never touched, so
 * its recency order is the order in which groups were first seen). A
 * record's values are all read before any reducer takes them, so that a
 * record found bad (--strict) is left out of every reducer.
 */
#ifndef SZ_AGG_H
#define SZ_AGG_H

#include <stdint.h>

#include "core/buf.h"
#include "core/items.h"
#include "core/keymap.h"
#include "jq/expr.h"
#include "run/tool.h"
#include "run/window.h"

enum {
	R_COUNT, R_SUM, R_AVG, R_MIN, R_MAX, R_FIRST, R_LAST, R_STDDEV,
	R_DISTINCT, R_PERCENTILE, R_COLLECT, R_REDUCE
};

#define AGG_MAX_Q 16

/* A number read from a value's text. */
struct num {
	int isint;		/* an integer that fits in int64 */
	int64_t i;
	double d;
};

/* One reducer as given on the command line. */
struct reducer {
	int kind;
	char *name;		/* output name */
	const char *opt;	/* "--sum", for messages */
	char *src;		/* its expression (REDUCE: UPDATE, wrapped) */
	char *init;		/* REDUCE: INIT */
	char *merge;		/* REDUCE: MERGE (sessions), wrapped, or NULL */
	sz_expr e, ie, me;	/* compiled (ie: INIT, me: MERGE) */
	double q[AGG_MAX_Q];	/* PERCENTILE: the Qs, in percent */
	char *qname[AGG_MAX_Q];
	int nq;
	/* Per record: the value read (text); whether there is one and
	 * its number are the record's struct pending. */
	sz_buf v;
	int same;		/* index of an earlier reducer whose value
				   this one takes, or -1 */
	int shares;		/* index of an earlier reducer whose state is
				   this one's too (SUM and AVG of the same
				   value), or -1 */
	int k;			/* the answer of evaluating e */
	const sz_buf *val;	/* v, or the earlier reducer's */
	/* A top-level member read from the record's index (src is .NAME):
	 * the name, or NULL; the value's text as it is in the record (or
	 * v's); whether v is filled (a reducer that takes text reads it). */
	const char *dname;
	size_t dlen;
	const char *raw;
	size_t rawn;
	int needtext;
};


struct sketch;			/* percentile approximation (reduce.c) */

/*
 * The state of one reducer in one group: a count and what the reducer's
 * kind keeps, 40 bytes (1,000,000 groups of three reducers hold about
 * 230 MB); what grows (texts, sets, value lists) is allocated apart.
 */
struct rstate {
	uint64_t n;		/* values taken */
	union {
		struct {	/* SUM, AVG */
			int64_t isum;
			double s, c;	/* Neumaier sum and compensation */
			int inexact;	/* the sum left int64 */
		} sum;
		struct {	/* STDDEV: Welford */
			double mean, m2;
		} sd;
		struct num best;	/* MIN, MAX */
		struct {	/* FIRST, LAST, REDUCE */
			sz_buf *text;
			uint64_t seq;	/* arrival number of the value */
		} fl;
		sz_items *items;	/* COLLECT, tagged for merging */
		struct {	/* DISTINCT */
			sz_keymap *set;	/* exact set, or NULL */
			uint8_t *hll;	/* HyperLogLog registers */
		} d;
		struct {	/* PERCENTILE */
			double *vals;	/* exact values */
			size_t nvals, avals;
			struct sketch *sk;	/* beyond --max-exact */
		} p;
	} u;
};

/* A group: its states and (whole input) its fields' text,
 * "name":value,... of the group-by. Whole input, the group is the value
 * of its key in the map of groups, so that a record's lookup lands on its
 * states. */
struct group {
	size_t bytes;		/* held by its states, counted */
	char *fields;		/* (allocated) */
	size_t flen;
	struct rstate r[];
};

/*
 * The pipeline of the whole input: a record's group is looked up AGG_LAG
 * records after its values were read, so that memory can bring its part
 * of the table meanwhile, and then (from AGG_LAG / 2 records after) its
 * group. Records go through it in arrival order; a record that cannot
 * (see agg_record) waits until the earlier ones are done.
 */
#define AGG_LAG 4
struct pending {
	sz_buf key;
	uint32_t hash;		/* of key in the map of groups */
	struct num *x;		/* per reducer: the number read (numeric
				   reducers) */
	unsigned char *have;	/* and whether there is a value */
};

struct agg {
	sz_win win;		/* window options, and windowed runs */
	int windowed;
	/* --group-by */
	char **gname;
	char **gsrc;
	sz_expr *ge;
	int ng;
	struct reducer *red;
	int nred;
	int strict, slow;
	int folds;		/* a --reduce is given */
	int plain;		/* the key is of strings read from the index
				   that are their own canonical text */
	int piped;		/* the pipeline can be used */
	struct pending pend[AGG_LAG + 1];
	int npend, pfirst;	/* waiting; the earliest */
	struct pending *cur;	/* the record being read */
	uint64_t max_keys, max_distinct, max_exact, max_bytes;
	int max_keys_set;
	sz_keymap *groups;
	sz_buf key, gvals, tmp, out;
	sz_buf *gv;		/* the group-by values of the record */
	const char **gdname;	/* --group-by .NAME read from the index */
	size_t *gdlen;
	const char *kp;		/* the record's group key: key.p, or its */
	size_t kn;		/* bytes in the record */
	uint64_t skipped, forced, estimated, ngroups;
	uint64_t held;		/* bytes held by all groups */
	uint64_t seq;		/* arrival number of the current record */
	sz_tool *t;
	int write_err;
};

/* reduce.c */
int agg_num(const char *p, size_t n, struct num *x);
int agg_is_number(const char *p, size_t n);
/* Take the reducer's value (red->val's text; x, its number; have: there
 * is one) into st; 0, or -1 out of memory.
 * *grown is what st holds more. */
int agg_take(struct agg *a, struct reducer *red, struct rstate *st,
    int have, const struct num *x, size_t *grown);
/* Append the reducer's result ("name":value) to out; 0 or -1. */
int agg_result(struct agg *a, struct reducer *red, struct rstate *st,
    sz_buf *out);
/* Sessions: fold src's state into dst's (dst the earlier session); not
 * for REDUCE (main.c runs its MERGE). 0, or -1 out of memory. *grown is
 * what dst holds more. */
int agg_merge(struct agg *a, struct reducer *red, struct rstate *dst,
    struct rstate *src, size_t *grown);
void agg_state_free(struct reducer *red, struct rstate *st);
/* The text of a FIRST, LAST or REDUCE state (allocated when first
 * needed; NULL out of memory). */
sz_buf *agg_text(struct rstate *st);
/* Add x to a SUM or AVG state (not its count). */
void agg_sum_add(struct rstate *st, const struct num *x);

/* Does the reducer take numbers? */
static inline int
agg_numeric(int kind)
{
	return kind == R_SUM || kind == R_AVG || kind == R_MIN ||
	    kind == R_MAX || kind == R_STDDEV || kind == R_PERCENTILE;
}

#endif
