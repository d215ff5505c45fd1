/* SPDX-License-Identifier: MIT */
/*
 * tocsv.h - the parts of sz-to-csv: the columns and how they are found
 * (columns.c: --columns, the first records, --scan), the rows (rows.c:
 * fields, the header, keys outside the columns) and the tool (main.c).
 */
#ifndef SZ_TOCSV_H
#define SZ_TOCSV_H

#include <stdint.h>

#include "csv/csvopt.h"
#include "run/tool.h"

struct tocsv {
	sz_csvopts csv;		/* -d, --columns, --no-header (no header
				   row) */
	int crlf;		/* --crlf */
	int extra_drop;		/* --extra=drop (else error; --strict) */
	uint64_t extra_dropped;	/* rows written without some of their keys */
	uint64_t header_from;	/* --header-from=N (default 1) */
	int header_from_set;
	int scan;		/* --scan */
	uint64_t max_bytes;	/* --max-bytes: records held, column names */
	/* the records held back while the columns are being found */
	uint64_t nseen;		/* records seen for the columns */
	sz_buf held;		/* their bytes, back to back */
	size_t *hend;		/* held record i ends at held.p[hend[i]] */
	size_t nheld, aheld;
	/* the columns */
	sz_buf names;		/* their names' bytes, back to back */
	size_t *nend;		/* name i ends at names.p[nend[i]] */
	size_t ncols, acols;
	size_t *hash;		/* column + 1 by name hash; 0: free */
	size_t hsize;		/* a power of two, > 2 * ncols */
	int have_cols;
	int header_done;
	/* the current record */
	const char **vp;	/* value of each column (raw JSON), or NULL */
	size_t *vn;
	size_t guess;		/* the column the next key probably names */
	unsigned char special[256];	/* bytes that make a field quoted */
	sz_buf line;		/* the row being built */
	sz_buf key;		/* a decoded key */
	sz_buf str;		/* a decoded string value */
	sz_buf msg;		/* the keys outside the columns, for a message */
	size_t xend[10];	/* the first ones listed end at msg.p[xend[i]] */
};

/* ---- columns.c ----------------------------------------------------- */

/* Column i's name, *n bytes. */
const char *col_name(const struct tocsv *c, size_t i, size_t *n);
/* The column named s[0..n), or -1. */
long col_find(struct tocsv *c, const char *s, size_t n);
/* Add a column named s[0..n) (not yet a column). 0, or -1 on memory. */
int col_add(struct tocsv *c, const char *s, size_t n);

/*
 * The objects of a record: the record itself, or each element of an
 * array record in turn (o.array set, o.i its index).
 */
typedef struct objs {
	const char *p, *e;	/* what is left of the record */
	int array, done;
	size_t i;
} objs;

void objs_init(objs *o, const char *p, size_t n);
/* The next object (or element): 1 with v/vn set, or 0 after the last. */
int objs_next(objs *o, const char **v, size_t *vn);

/*
 * Walk the members of the object v[0..vn) (ix: its index, or NULL): for
 * each, its decoded key and its value. fn answers 0 or 1 to go on, -1 to
 * stop (status set); the answer is -1 or the OR of fn's answers.
 */
typedef int (*member_fn)(sz_tool *t, struct tocsv *c, const char *k,
    size_t kn, const char *v, size_t vn);
int members(sz_tool *t, struct tocsv *c, const char *v, size_t vn,
    const sz_jindex *ix, member_fn fn);

/* Every key of the objects of the valid record p[0..n) (ix: its index or
 * NULL) that is not a column yet becomes one; non-objects are passed
 * over. 0, or -1 (status set). */
int add_keys(sz_tool *t, struct tocsv *c, const char *p, size_t n,
    const sz_jindex *ix);

/* --scan: read the FILE `path` once, before the run, and make every key
 * of its records a column. Returns -1 to go on, or an exit status (after
 * its message). */
int scan_file(sz_tool *t, struct tocsv *c, const char *path);

/* ---- rows.c -------------------------------------------------------- */

int write_header(sz_tool *t, struct tocsv *c);
/* Is the record an object or an array of objects? 0 when it is, else 1
 * after handling it as bad input (-1 when the run must stop). */
int check_shape(sz_tool *t, const sz_rec *r);
/* Under --extra=error: 0 when no key of r is outside the columns, else 1
 * after handling r as bad input (-1 when the run must stop). */
int check_extra(sz_tool *t, struct tocsv *c, const sz_rec *r);
/* Write the rows of the record p[0..n) (ix: its index or NULL); r, when
 * not NULL, is made bad input under --extra=error if an object of it has
 * a key outside the columns (then 1). 0, 1 or -1 (status set). */
int write_rows(sz_tool *t, struct tocsv *c, const char *p, size_t n,
    const sz_jindex *ix, const sz_rec *r);

#endif
