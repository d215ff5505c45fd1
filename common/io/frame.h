/* SPDX-License-Identifier: MIT */
/*
 * frame.h - splits a byte stream into NDJSON records (lines).
 *
 * A push parser: the caller feeds chunks with sz_framer_feed() and pulls
 * records with sz_framer_next() until it answers SZ_FR_NEED; at the end of
 * a file it calls sz_framer_finish() and pulls the last record. A record
 * lying wholly inside the fed chunk is returned as a pointer into that
 * chunk (no copy); only a line split across chunks is copied, into a
 * buffer bounded by the maximum record size.
 *
 * Rules (man/sz.7, "Records in"): a record is its
 * line without the newline and every CR just before it ("\n", "\r\n",
 * "\r\r\n", ...; a final line's CRs too), so that no record ends in a CR
 * and no output line ends in CRLF; a UTF-8 byte order mark at the start of
 * the file is dropped; lines that are empty or hold only JSON white space
 * (space, tab, CR) are skipped but counted; a final line without a newline
 * is a record; line numbers count from 1.
 */
#ifndef SZ_FRAME_H
#define SZ_FRAME_H

#include <stddef.h>

#include "core/buf.h"

struct sz_jindex;

/* One record: its bytes, and where it came from. */
typedef struct sz_rec {
	const char *p;
	size_t n;
	const char *file;	/* "<stdin>" or the path as given */
	unsigned long line;	/* line of the record, from 1 */
	/* What validating it found (top-level members, or the elements of
	 * a top-level array; json.h), or NULL. Set by the runtime for the
	 * record callback; the framer leaves it NULL. */
	const struct sz_jindex *ix;
} sz_rec;

typedef struct sz_framer {
	const char *file;
	size_t max;		/* longest record accepted, in bytes */
	unsigned long line;	/* number of the next line to start */
	const char *p, *end;	/* unconsumed part of the fed chunk */
	sz_buf part;		/* a line begun in an earlier chunk, without
				   the CRs at its end so far */
	size_t crs;		/* those CRs: kept only if more of the line
				   follows them */
	int carrying;		/* part holds the start of a line */
	int finished;		/* sz_framer_finish() was called */
} sz_framer;

/* Answers of sz_framer_next(). */
enum {
	SZ_FR_REC = 1,		/* *r holds a record */
	SZ_FR_NEED = 0,		/* feed more (or finish) */
	SZ_FR_END = -1,		/* finished and everything consumed */
	SZ_FR_TOOLONG = -2,	/* the line at r->line is longer than max;
				   r->n is the length seen so far */
	SZ_FR_NOMEM = -3	/* memory ran out (a line split across
				   chunks could not be kept) */
};

/* Start a file. `file` must outlive the framer's use. The framer keeps
 * its buffer from one file to the next: zero it before its first init. */
void sz_framer_init(sz_framer *f, const char *file, size_t max);
/* Give the next chunk. The chunk must stay unchanged until next() has
 * answered SZ_FR_NEED; the previous chunk must be consumed. */
void sz_framer_feed(sz_framer *f, const char *buf, size_t n);
/* No more data will come for this file. */
void sz_framer_finish(sz_framer *f);
/*
 * Pull the next record. A returned record stays valid until the next call
 * of sz_framer_next() or sz_framer_feed(). Answers SZ_FR_*.
 */
int sz_framer_next(sz_framer *f, sz_rec *r);
/* Release memory; the framer may be initialised again. */
void sz_framer_free(sz_framer *f);

#endif
