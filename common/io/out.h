/* SPDX-License-Identifier: MIT */
/*
 * out.h - buffered output to a file descriptor, with every write checked.
 *
 * Records are appended to a large buffer that is written out when it is
 * full, when the owner flushes (the tool runtime flushes whenever its input
 * has nothing ready, before it sleeps, on timers and at exit), or after
 * every record when `unbuffered` is set. A failed write is remembered: the
 * first error (an errno value) is kept in `err` and every later call fails
 * at once, so a caller may check only at flush and close. EPIPE is reported
 * like any other error; the caller decides to end quietly.
 */
#ifndef SZ_OUT_H
#define SZ_OUT_H

#include <stddef.h>
#include <stdint.h>

#define SZ_OUT_BUFSIZE (256 * 1024)
/*
 * A record at least this long is not copied into the buffer: it is
 * written from where it lies, after what the buffer holds, in one
 * writev(2) (a descriptor in blocking mode). sz-batch's arrays of 1,000
 * bench records (166 KB) so go out with one copy fewer.
 */
#define SZ_OUT_DIRECT (64 * 1024)

typedef struct sz_out {
	int fd;
	char *buf;
	size_t len, cap;
	int unbuffered;		/* flush after every record */
	int nonblock;		/* fd is non-blocking: flush writes what it
				   can and keeps the rest (see sz_out_flush) */
	int owned;		/* close the fd at sz_out_close */
	int err;		/* first errno of a failed write, or 0 */
	uint64_t records;	/* records written with sz_out_record */
	uint64_t bytes;		/* bytes given to the buffer */
	char *path;		/* for sz_out_reopen; NULL for descriptors */
	int oflags;		/* open(2) flags used for path */
	/*
	 * Watching a blocking pipe (sz_out_watch): a write never blocks for
	 * longer than `slice` ns without calling on_block, so that the owner
	 * can tell it is blocked (the runtime's $SZ_STATS_DIR file).
	 * blocked_ns is the time spent waiting for the reader so far;
	 * block_start is when the wait going on began (0: none).
	 */
	void (*on_block)(void *ud);
	void *block_ud;
	uint64_t slice;
	uint64_t blocked_ns;
	uint64_t block_start;
} sz_out;

/* Write to an open descriptor (not closed at sz_out_close). */
int sz_out_fd(sz_out *o, int fd);
/*
 * Open `path` for writing: truncated, or appended to when `append` is set
 * (created with mode 0666 & ~umask). On failure returns -1 with errno set.
 */
int sz_out_open(sz_out *o, const char *path, int append);
/* Close and open the same path again (for SIGHUP), always appending. */
int sz_out_reopen(sz_out *o);

/* Append bytes. Returns 0, or -1 with o->err set. */
int sz_out_write(sz_out *o, const void *p, size_t n);
/* Append one record: its bytes and a newline; flushes if unbuffered. A
 * record of SZ_OUT_DIRECT bytes or more is written at once (blocking
 * descriptors), after the bytes buffered before it. */
int sz_out_record(sz_out *o, const void *p, size_t n);
/*
 * Write the buffer out. Blocking descriptors: everything, retrying after
 * EINTR and short writes. Non-blocking ones: as much as the descriptor
 * takes; returns 1 if bytes remain (wait for POLLOUT), 0 when empty.
 * Returns -1 with o->err set on error.
 */
int sz_out_flush(sz_out *o);
/* Flush, close the descriptor if owned, free the buffer. Returns 0 or -1
 * (with o->err) if any write or the close failed. */
int sz_out_close(sz_out *o);
/*
 * If fd is a pipe, ask the kernel for an SZ_PIPE_SIZE buffer, so that the
 * stages of a pipeline wake each other less often (Linux' default is 64
 * KiB). 256 KiB gave sz-batch | sz-unbatch on 1M records the same time as
 * 1 MiB (0.23 s; 64 KiB: 0.30 s) for a quarter of the user's pipe memory
 * (/proc/sys/fs/pipe-user-pages-soft, 64 MiB by default: beyond it Linux
 * gives the user's new pipes a single page). Failures are ignored (that
 * limit, other systems): the pipe just keeps its size. The tool runtime
 * calls it for every input and for standard output.
 */
#define SZ_PIPE_SIZE (256 * 1024)
void sz_pipe_grow(int fd);

/*
 * Called when a blocking write is interrupted by a signal (EINTR) or cut
 * short (which a signal also does once some bytes went), before the rest
 * is written: the runtime answers SIGUSR1 there, so that a stats line
 * does not wait for a reader that has stopped reading. One for the
 * process; NULL for none.
 */
void sz_out_on_intr(void (*fn)(void *), void *ud);

/*
 * Watch o's descriptor, when it is a pipe and blocking: before a write the
 * pipe's free room is asked (FIONREAD, F_GETPIPE_SZ); when the bytes do not
 * fit, the write waits in poll(2) for the reader, calling fn(ud) every
 * `slice` ns while it waits, and then writes what fits. Returns 1 when
 * watched, 0 when fd is not a blocking pipe (nothing changes).
 */
int sz_out_watch(sz_out *o, uint64_t slice, void (*fn)(void *), void *ud);
/* Time spent waiting for the reader, including a wait going on (ns). */
uint64_t sz_out_blocked_ns(const sz_out *o);

/* Bytes waiting in the buffer. */
static inline size_t sz_out_pending(const sz_out *o) { return o->len; }

/* Write all n bytes at p to the blocking descriptor fd (again after
 * EINTR and short writes): 0, or -1 with errno. For files written whole
 * (the $SZ_STATS_DIR file, dataset blobs). */
int sz_write_all(int fd, const void *p, size_t n);

#endif
