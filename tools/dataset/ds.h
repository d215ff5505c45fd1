/* SPDX-License-Identifier: MIT */
/*
 * ds.h - versioned datasets in a directory (sz-publish, sz-subscribe,
 * sz-diff): the blobs and their headers, reading and writing them (plain
 * or zstd), the directory's versions, and the ordered streams of (key,
 * record) pairs that every step merges. The format is in sz-publish(1).
 *
 * A dataset is a set of records with unique keys; its bytes are the
 * records' canonical texts (json.h), one per line, sorted by the bytes
 * of their keys' canonical texts. Its state is "sha256:" and the hex
 * SHA-256 of those bytes.
 */
#ifndef SZ_DS_H
#define SZ_DS_H

#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"
#include "core/sha256.h"
#include "io/xsort.h"
#include "jq/expr.h"
#include "run/tool.h"

typedef uint64_t ds_ver;	/* 0: no version */

#define DS_VER_MAX 24

/* "123" -> 123: 1, or 0 when s is not a decimal version (no sign, no
 * leading zero, at most 19 digits, not 0). */
int ds_ver_parse(const char *s, size_t n, ds_ver *v);
void ds_ver_fmt(ds_ver v, char out[DS_VER_MAX]);

/* ---- the directory -------------------------------------------------- */

/* The blobs a directory holds. */
typedef struct ds_list {
	ds_ver *snap;			/* snapshot-V, ascending */
	size_t nsnap;
	struct ds_edge { ds_ver a, b; } *fwd, *rev;	/* delta-A-B,
					   reversedelta-B-A (a the older) */
	size_t nfwd, nrev;
	ds_ver *vers;			/* every version named, ascending */
	size_t nvers;
} ds_list;

int ds_list_read(const char *dir, ds_list *l, sz_buf *err);
void ds_list_free(ds_list *l);
int ds_list_has_snap(const ds_list *l, ds_ver v);
int ds_list_has_fwd(const ds_list *l, ds_ver a, ds_ver b);
int ds_list_has_rev(const ds_list *l, ds_ver b, ds_ver a);
/* The version after v among those named (0: none). */
ds_ver ds_list_next(const ds_list *l, ds_ver v);
ds_ver ds_list_prev(const ds_list *l, ds_ver v);

/* announced.version / pinned.version: 1 and *v, 0 when the file is
 * missing, -1 (err) when it cannot be read or holds no version. */
int ds_version_file(const char *dir, const char *name, ds_ver *v,
    sz_buf *err);
/* Write NAME in DIR atomically: a temporary file, fsync, rename, fsync
 * of the directory. 0, or -1 (err). */
int ds_write_atomic(const char *dir, const char *name, const char *p,
    size_t n, sz_buf *err);
/* Remove NAME (a missing file is fine), then fsync the directory. */
int ds_remove(const char *dir, const char *name, sz_buf *err);
/* Take the directory's lock (DIR/.lock, flock): 0 and *fd; 1 when
 * another publisher holds it; -1 (err). */
int ds_lock(const char *dir, int *fd, sz_buf *err);

/* ---- reading blobs ---------------------------------------------------- */

typedef struct ds_in {
	int fd;
	char *path;
	int zstd;
	void *z;			/* ZSTD_DStream */
	sz_buf raw;			/* bytes read (compressed or not) */
	size_t rpos;
	sz_buf dec;			/* decompressed bytes */
	size_t dpos;
	int eof;
	sz_buf line;
	unsigned long lineno;
	uint64_t bytes;			/* of the file, as read */
} ds_in;

/* Open a blob (zstd detected by its magic number). 0, or -1 (err). */
int ds_in_open(ds_in *r, const char *path, sz_buf *err);
/* Read the descriptor fd (a spool) from its start, as plain lines; name
 * for messages. */
int ds_in_fd(ds_in *r, int fd, const char *name, sz_buf *err);
/* The next line, without its newline: 1, 0 at the end, -1 (err). A last
 * line without a newline is an error (a blob cut short). */
int ds_in_line(ds_in *r, const char **p, size_t *n, sz_buf *err);
void ds_in_close(ds_in *r);

/* A blob's header (its first line). */
typedef struct ds_hdr {
	int kind;			/* DS_SNAPSHOT or DS_DELTA */
	ds_ver version;			/* snapshot */
	ds_ver from, to;		/* delta */
	char key[512];			/* snapshot: the key expression */
	uint64_t records;		/* snapshot */
	uint64_t upserts, deletes;	/* delta */
	char state[72], from_state[72], to_state[72];
} ds_hdr;

enum { DS_SNAPSHOT = 1, DS_DELTA = 2 };

/* Read and check the header line: 0, or -1 (err names the file). */
int ds_in_header(ds_in *r, ds_hdr *h, sz_buf *err);

/* ---- writing blobs ---------------------------------------------------- */

/* A body being written: an unlinked temporary file in the directory,
 * hashed as it is written; then copied after its header into the blob. */
typedef struct ds_spool {
	int fd;
	/* ds_spool_open_blob: the body is written at `base` of an unnamed
	 * file in the directory (O_TMPFILE), which becomes the blob when
	 * its header is `base` bytes long. */
	int direct;
	uint64_t base;
	sz_buf buf;
	sz_sha256 h;
	char state[72];			/* after ds_spool_end */
	int nohash;			/* changes, not a dataset: no state */
	uint64_t lines, bytes;
} ds_spool;

int ds_spool_open(ds_spool *s, const char *dir, sz_buf *err);
/* A spool for the body of a blob whose header will likely be `base`
 * bytes long (plain, not compressed): where the directory's file system
 * has unnamed files, the body is written in place and ds_blob_write only
 * adds the header (another length: the body is copied, as from any
 * spool). */
int ds_spool_open_blob(ds_spool *s, const char *dir, size_t base,
    sz_buf *err);
int ds_spool_line(ds_spool *s, const char *p, size_t n, sz_buf *err);
int ds_spool_end(ds_spool *s, sz_buf *err);
void ds_spool_close(ds_spool *s);

/* Write DIR/NAME: the header line, then the spool's bytes (zstd: the
 * whole file compressed), atomically. *size: the file's bytes. */
int ds_blob_write(const char *dir, const char *name, const char *hdr,
    size_t hn, ds_spool *body, int zstd, uint64_t *size, sz_buf *err);

/* ---- streams of (key, record) in key order -------------------------- */

/* A source of pairs in ascending key order: 1 with the pair (valid
 * until the next call), 0 at the end, -1 (err). */
typedef struct ds_stream {
	int (*next)(void *ud, const char **k, size_t *kn, const char **r,
	    size_t *rn, sz_buf *err);
	void *ud;
} ds_stream;

/* A snapshot's records (or a dataset's lines) with their keys computed
 * by the key expression. */
typedef struct ds_snapin {
	ds_in in;
	sz_expr *key;
	sz_buf kb;
	int checkorder;			/* keys must ascend strictly */
	/* A copy this process wrote and whose state it checked (a loaded
	 * version's spool): its lines are not validated again. */
	int trusted;
	sz_buf last;
	int have_last;
} ds_snapin;

int ds_snapin_next(void *ud, const char **k, size_t *kn, const char **r,
    size_t *rn, sz_buf *err);

/* The pairs of an external sort. */
int ds_xsort_next(void *ud, const char **k, size_t *kn, const char **r,
    size_t *rn, sz_buf *err);

/* Byte order of canonical keys. */
int ds_keycmp(const char *a, size_t an, const char *b, size_t bn);

/*
 * Walk two streams of unique keys in order (old, new), calling fn for
 * each key: old NULL for a key only in new (added), new NULL for a key
 * only in old (removed), both when in both (eq tells whether the records
 * are the same bytes). fn returns 0 or -1 (stop). Returns 0 or -1.
 */
typedef int (*ds_join_fn)(void *ud, const char *k, size_t kn,
    const char *old, size_t on, const char *new_, size_t nn, int eq);
int ds_join(ds_stream *old, ds_stream *new_, ds_join_fn fn, void *ud,
    sz_buf *err);

/* ---- small shared pieces ---------------------------------------------- */

/* err = the formatted message; returns -1. */
int ds_errf(sz_buf *err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Member `name` of the valid object v: its raw slice (*on bytes), or
 * NULL. */
const char *ds_member(const char *v, size_t n, const char *name, size_t *on);
/* b = {"op":"upsert","key":K,"record":R}, or {"op":"delete","key":K}
 * when r is NULL. 0, or -1 out of memory. */
int ds_op_line(sz_buf *b, const char *k, size_t kn, const char *r,
    size_t rn);

/* Which record of a key that comes more than once counts. */
enum { DS_DUP_LAST, DS_DUP_FIRST, DS_DUP_ERROR };

/* The pairs of an external sort, one per key (the policy ondup): a pair
 * is held until the next key shows. A stream (ds_stream) with
 * ds_uniq_next; *dups counts the records left out. ds_uniq_next fails
 * with "out of memory" when canon is set and a record has no canonical
 * text (nested too deep). */
typedef struct ds_uniq {
	sz_xsort *x;
	int ondup;
	uint64_t *dups;
	sz_buf hk, hr;		/* held (copies) */
	sz_buf gk, gr;		/* given (valid until the next call) */
	sz_buf cr;		/* the canonical text given */
	const char *hkp, *hrp;	/* the held pair: in hk, hr, or (stable)
				   where the sort keeps it */
	size_t hkn, hrn;
	int stable;		/* the sort's pairs stay put to its end */
	int primed, have;
	/* The records were sorted as they came: the one given is made the
	 * canonical text of the one kept (one per key, not every record). */
	int canon;
} ds_uniq;

int ds_uniq_next(void *ud, const char **k, size_t *kn, const char **r,
    size_t *rn, sz_buf *err);
void ds_uniq_free(ds_uniq *u);

/* ---- versions as datasets ------------------------------------------- */

/* Apply the delta blob d (its header read: h) to the pairs of old,
 * writing the new dataset to out (opened by the caller, ended here).
 * 0, or -1 (err). */
int ds_apply(ds_stream *old, ds_in *d, const ds_hdr *h, ds_spool *out,
    sz_buf *err);

/*
 * Materialise version v of DIR as a sorted dataset in a spool (a chain
 * of blobs: its snapshot, or the nearest snapshot and the deltas from
 * there, forward or reverse), checking the state after every step. key:
 * the key expression: with keysrc empty, compiled here from the first
 * snapshot's header (keysrc set to it); else the caller's compiled
 * keysrc, which the snapshot's must be (-2 when it is not). 0, or -1
 * (err).
 */
int ds_load(const char *dir, const ds_list *l, ds_ver v, sz_tool *t,
    sz_expr *key, ds_spool *out, char keysrc[512], sz_buf *err);

/* The time version after `after`: yyyyMMddHHmmss and a 3-digit counter
 * (UTC), larger than `after`. */
ds_ver ds_time_version(ds_ver after);

#endif
