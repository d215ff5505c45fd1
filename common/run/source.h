/* SPDX-License-Identifier: MIT */
/*
 * source.h - where records come from: a set of input sources, each with
 * its own framer, its own NAME:LINE and its own pause.
 *
 * Three kinds of source:
 * - a FILE operand (a path, or "-" for standard input), opened when its
 *   turn comes: a set in order (SZ_SRC_IN_ORDER) reads its files one after
 *   another, as cat(1) does; a set read at once (SZ_SRC_AT_ONCE) opens
 *   them all and reads whichever has data (sz-merge);
 * - a descriptor the tool already holds (a child's output, a socket),
 *   read at once with the others;
 * - a fed source: the tool hands it bytes itself (entries that arrive
 *   from Redis, files of a dataset directory) with sz_source_feed() and
 *   ends it with sz_source_end().
 *
 * The set delivers whole records, one source at a time: the records of
 * one read (or one feed) of a source are delivered before those of the
 * next source, so records of different sources interleave but a record is
 * never mixed with another. Line numbers count per source, from 1.
 *
 * A source is read only while it needs bytes and neither it nor the set
 * is paused: a tool whose output cannot take more pauses the set (or one
 * source) and the kernel holds the rest (backpressure per source).
 *
 * This module does no validation, counting or messages: it reports what
 * happens through the callbacks of sz_srcset, and the runtime (tool.c)
 * decides. Nothing here prints or exits.
 */
#ifndef SZ_SOURCE_H
#define SZ_SOURCE_H

#include <stddef.h>

#include "core/buf.h"
#include "io/frame.h"
#include "io/loop.h"

enum { SZ_SRC_IN_ORDER, SZ_SRC_AT_ONCE };

/* What a source reports besides records (sz_srcset.on_event). */
enum {
	SZ_SRC_OPEN_ERROR,	/* a FILE could not be opened (err = errno);
				   the set goes on with the next */
	SZ_SRC_READ_ERROR,	/* read(2) failed (err = errno); the source
				   ends as if at end of file */
	SZ_SRC_TOOLONG,		/* a record longer than the maximum: r holds
				   its start and line */
	SZ_SRC_NOMEM,		/* out of memory (the framer's or a buffer) */
	SZ_SRC_END		/* the source is finished and consumed */
};

typedef struct sz_srcset sz_srcset;

typedef struct sz_source {
	const char *name;	/* "<stdin>", the path, or the given name */
	const char *path;	/* a FILE source: its path ("-": stdin) */
	int fd;			/* being read, or -1 */
	int own_fd;		/* close fd when done */
	int fed;		/* the tool feeds it */
	sz_framer fr;
	char *rbuf;		/* read buffer (descriptor sources) */
	size_t rcap;		/* its size */
	size_t rlen;		/* bytes in it */
	size_t rfed;		/* of them, given to the framer: the rest is
				   the start of a line whose end has not
				   been read (see on_readable in source.c) */
	sz_buf chunk, next;	/* fed: bytes being framed, bytes waiting */
	int started;		/* opened / framer set up */
	int need;		/* the framer wants bytes */
	int eof;		/* no more bytes will come */
	int ended;		/* sz_source_end was called (fed) */
	int done;		/* SZ_SRC_END was reported */
	int paused;
	sz_srcset *set;
	void *ud;		/* the tool's, for its own use */
} sz_source;

struct sz_srcset {
	/* Set by the owner before sz_srcset_start. */
	sz_loop *loop;
	size_t max_record;	/* the framers' bound */
	size_t read_size;	/* bytes asked of read(2) */
	int mode;		/* SZ_SRC_IN_ORDER or SZ_SRC_AT_ONCE: for the
				   FILE sources */
	/* One record of s: r is valid during the call. Answer 0, or -1 to
	 * stop delivering (the owner then says why, e.g. by pausing). */
	int (*on_record)(void *ud, sz_source *s, const sz_rec *r);
	/* SZ_SRC_* other than records; r is set for SZ_SRC_TOOLONG. */
	void (*on_event)(void *ud, sz_source *s, int ev, int err,
	    const sz_rec *r);
	/* Raw mode, when set: bytes as read, not framed (n = 0 and eof = 1
	 * at the end of each source). Answer 0 or -1 as on_record. */
	int (*on_bytes)(void *ud, sz_source *s, const char *p, size_t n,
	    int eof);
	/* A FIFO's open was interrupted by a signal: the owner answers 1
	 * to give up (a stop signal), 0 to try again. May be NULL. */
	int (*interrupted)(void *ud);
	void *ud;
	/* During on_record: the source of the record. */
	sz_source *cur;

	/* Private. */
	sz_source **v;
	size_t n, cap;
	size_t next_file;	/* in order: the next FILE to open */
	size_t rr;		/* where the next delivery round starts */
	int paused;
	int stop;		/* sz_srcset_pump: stop asked by on_record */
};

/* Set up an empty set (then fill in the callbacks). */
void sz_srcset_init(sz_srcset *set, sz_loop *loop);
/* Close what is open and free every source. */
void sz_srcset_free(sz_srcset *set);

/* Add a FILE operand ("-": standard input). NULL when out of memory. */
sz_source *sz_source_file(sz_srcset *set, const char *path);
/* Add a descriptor to read at once with the others; `name` names it in
 * messages; with own set, it is closed at its end. */
sz_source *sz_source_fd(sz_srcset *set, int fd, const char *name, int own);
/* Add a source the tool feeds. */
sz_source *sz_source_fed(sz_srcset *set, const char *name);

/* Open what is read now (the first FILE in order, or every source read
 * at once). Returns 0, or -1 when out of memory. */
int sz_srcset_start(sz_srcset *set);

/*
 * Deliver the records the sources hold until none holds a whole one, the
 * set or every source with records is paused, or on_record answers -1.
 * Returns 1 when a source that is not paused still holds bytes not yet
 * delivered (on_record stopped the round), else 0.
 */
int sz_srcset_pump(sz_srcset *set);
/* Ask the loop for POLLIN on exactly the descriptors that need bytes. */
void sz_srcset_watch(sz_srcset *set);
/* Every source is finished? */
int sz_srcset_done(const sz_srcset *set);

/* The start of a line that s has read but not whole (its end has not
 * come), unless it is only white space: its length (0: none), its bytes
 * in *p and its line number in *line, valid until s is read again. */
size_t sz_source_partial(const sz_source *s, const char **p,
    unsigned long *line);

/* Pause and resume one source, or the whole set. */
void sz_source_pause(sz_source *s);
void sz_source_resume(sz_source *s);
void sz_srcset_pause(sz_srcset *set);
void sz_srcset_resume(sz_srcset *set);

/*
 * Feed bytes to a fed source (copied: the caller's buffer is free after
 * the call); records are delivered by the next sz_srcset_pump. Returns 0,
 * or -1 when out of memory. sz_source_backlog says how many bytes wait,
 * so that a feeder can stop fetching while the tool is paused.
 */
int sz_source_feed(sz_source *s, const char *p, size_t n);
size_t sz_source_backlog(const sz_source *s);
/* No more bytes for a fed source: its last line (without newline) is a
 * record, then SZ_SRC_END. */
void sz_source_end(sz_source *s);

#endif
