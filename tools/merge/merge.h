/* SPDX-License-Identifier: MIT */
/*
 * merge.h - what the two files of sz-merge share: the state of each
 * SOURCE and of the tool; main.c reads and writes, by.c is the ordered
 * merge of --by.
 */
#ifndef SZ_MERGE_H
#define SZ_MERGE_H

#include <stdint.h>

#include "io/child.h"
#include "jq/expr.h"
#include "run/tool.h"

/* What --by holds per source, at most: then the source is paused. */
#define QUEUE_RECORDS 1024
#define QUEUE_BYTES (4 * 1024 * 1024)

/* --by: the records of a source waiting to be written, each with its
 * key, one after the other in one buffer (by.c). */
typedef struct byq {
	char *buf;
	size_t cap;
	size_t head, end;	/* the first item, the end of the last */
	size_t tail;		/* the last item */
	size_t count, bytes;	/* items, their bytes */
} byq;

struct msrc {
	const char *text;	/* the SOURCE as given */
	const char *name;	/* in messages and --tag: "<stdin>" for - */
	sz_source *s;
	sz_child ch;		/* <COMMAND, |COMMAND */
	int child, said;	/* a child; its end was looked at */
	sz_buf tag;		/* ,"NAME":"<source>" */
	byq q;			/* --by: key and record of each waiting */
	sz_buf last;		/* --by: the key of its last record taken,
				   once its queue is empty (else the
				   queue's newest has it) */
	int last_plain;		/* last is a plain key (by.c) */
	unsigned long last_line;
	int have_last;
	int paused;		/* by us: its queue is full */
	int idle;		/* --idle: not waited for */
	uint64_t seen;		/* --idle: when its last record came */
	uint64_t in;
};

struct merge {
	const char *tag;	/* --tag NAME */
	const char *bysrc;	/* --by EXPR */
	sz_expr by;
	int have_by;
	int compiled;		/* by is compiled (main.c: by_compile) */
	uint64_t idle_ns;	/* --idle */
	uint64_t timer;		/* the --idle timer, or 0 */
	struct msrc *v;
	size_t n;
	sz_buf out;		/* scratch: a canonical key, a tagged record */
	sz_buf key;		/* a record's key */
	sz_buf written;		/* --idle: the key of the last record written */
	int have_written;
	int written_plain;
	char *byname;		/* --by .NAME: "NAME" (quoted), read from the
				   record's index (by.c), or NULL */
	size_t bynamen;
	int ending;		/* end() waits for children */
	uint64_t idled;
};

/* main.c: write a record of m (with its --tag). 0 or -1. */
int merge_put(sz_tool *t, struct msrc *m, const char *p, size_t n);

/* by.c: a record of m for the ordered merge; write what can be written
 * (all that is held when `final`). 0 or -1. */
int by_record(sz_tool *t, struct msrc *m, const sz_rec *r);
int by_drain(sz_tool *t, int final);
/* main.c: compile --by: -1, or the exit status (said). */
int by_compile(sz_tool *t);

/* by.c, once --by is read: see whether it is a top-level member. 0 or
 * -1 (memory). */
int by_setup(struct merge *g);
void byq_free(byq *q);

#endif
