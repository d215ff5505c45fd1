/* SPDX-License-Identifier: MIT */
/*
 * csvin.h - CSV rows from a byte stream: libcsv's push parser fed with
 * chunks of any size, giving each row with the line where it starts, its
 * text as it came in, and (on request) which of its fields were quoted.
 *
 * The caller starts a file with sz_csvin_file(), gives it bytes with
 * sz_csvin_feed() as they are read and ends it with sz_csvin_finish();
 * each complete row is handed to the row callback during these calls. The
 * result does not depend on how the bytes are cut into chunks.
 *
 * Rules: RFC 4180 as libcsv reads it, leniently: fields separated by the
 * delimiter, a field that starts with '"' is quoted and ends at a quote
 * followed by the delimiter, a line terminator or the end of the file (a
 * doubled quote in it is one quote, any other quote, delimiters, CR and
 * LF in it are data), a quote anywhere else is data, and spaces are
 * always data. Rows end at LF, CRLF or a lone CR outside quotes, or at
 * the end of the file. A quoted field that the end of the file leaves
 * open (its closing quote never came) holds the rest of the file: its row
 * is handed on with open_line set, so that the caller can treat it as bad
 * input. Empty lines between rows are skipped. A UTF-8 byte order mark at
 * the start of a file is dropped.
 * Lines count from 1 and are ended by LF, CRLF or a lone CR, inside
 * quoted fields too. Field bytes are passed on as they are (no UTF-8
 * check).
 *
 * How: a line that lies whole in the fed chunk, begins a row and holds no
 * quote is split at the delimiter here, without a copy: libcsv would give
 * the same fields (such a line has only unquoted fields, and spaces are
 * data). Every other row (quoted fields, rows cut by the end of a chunk)
 * is parsed by libcsv. The unit tests feed every input in every chunk
 * size, so both ways are checked against each other.
 *
 * Memory: the current row's text and fields, each bounded by `max`; a row
 * whose text is longer is an error (SZ_CSV_TOOLONG), found before its
 * bytes are buffered.
 */
#ifndef SZ_CSVIN_H
#define SZ_CSVIN_H

#include <csv.h>
#include <stddef.h>

#include "core/buf.h"

/* One row, valid during the row callback only. */
typedef struct sz_csvrow {
	size_t n;			/* number of fields, >= 1 */
	const char *buf;		/* the fields' bytes */
	const size_t *beg, *end;	/* field i is buf[beg[i] .. end[i]) */
	const unsigned char *quoted;	/* quoted[i]: field i was quoted
					   (NULL unless asked for) */
	const char *raw;		/* the row's text, without its line
					   terminator */
	size_t rawlen;
	const char *file;
	unsigned long line;		/* where the row starts, from 1 */
	/* 0, or the end of the file came inside the row's last field,
	 * which is quoted: its opening quote is at line open_line, byte
	 * open_col of that line (from 1), and the row's text, which runs
	 * to the end of the file, ends on line end_line. */
	unsigned long open_line, end_line;
	size_t open_col;
} sz_csvrow;

/* Field i of a row as pointer and length. */
static inline const char *
sz_csvrow_field(const sz_csvrow *r, size_t i, size_t *len)
{
	*len = r->end[i] - r->beg[i];
	return r->buf + r->beg[i];
}

/* Called with each row; return 0 to go on, nonzero to stop. */
typedef int (*sz_csv_fn)(void *ud, const sz_csvrow *row);

/* Answers of sz_csvin_feed() and sz_csvin_finish(). */
enum {
	SZ_CSV_OK = 0,
	SZ_CSV_STOP = 1,	/* the row callback asked to stop */
	SZ_CSV_TOOLONG = -2,	/* the row at c->line_err is longer than max */
	SZ_CSV_NOMEM = -3	/* memory ran out */
};

typedef struct sz_csvin {
	struct csv_parser p;
	sz_csv_fn fn;
	void *ud;
	int want_quoted;
	size_t max;
	const char *file;
	unsigned long line;	/* the line of the next byte */
	unsigned long row_line;	/* the line where the current row began */
	unsigned long line_err;	/* the row that was too long */
	int bom;		/* bytes of a BOM matched at the start of the
				   file; -1 once past it */
	int cr;			/* the last byte was a CR */
	int in_row;		/* a row has begun */
	int nomem;		/* a callback of libcsv ran out of memory */
	int stop;		/* the row callback asked to stop */
	unsigned long open_line, end_line;	/* for the last row of a */
	size_t open_col;			/* file (sz_csvrow) */
	sz_buf raw;		/* the current row's text */
	sz_buf fields;		/* its fields' bytes (from libcsv) */
	size_t *beg, *end;	/* where each field begins and ends */
	size_t nf, af;
	unsigned char *quoted;	/* af of them, when want_quoted */
} sz_csvin;

/*
 * Set up a reader with delimiter `delim` (not '"', CR or LF), rows of at
 * most `max` bytes, row callback fn(ud, row), and quoted[] filled in when
 * `want_quoted` is set. Returns 0, or -1 when memory ran out.
 */
int sz_csvin_init(sz_csvin *c, unsigned char delim, size_t max,
    int want_quoted, sz_csv_fn fn, void *ud);
/* Start reading a file named `file` (it must outlive the reader's use):
 * line 1, a BOM may come, no row begun. */
void sz_csvin_file(sz_csvin *c, const char *file);
/*
 * Give the next n bytes of the file. Calls the row callback for every row
 * they complete. Returns SZ_CSV_OK, SZ_CSV_STOP (the callback's nonzero
 * answer ended the call), SZ_CSV_TOOLONG or SZ_CSV_NOMEM; after anything
 * but SZ_CSV_OK the file cannot be read further (start another one).
 */
int sz_csvin_feed(sz_csvin *c, const char *p, size_t n);
/* End of the file: the last row, if it has no line terminator. Same
 * answers as sz_csvin_feed(). */
int sz_csvin_finish(sz_csvin *c);
void sz_csvin_free(sz_csvin *c);

#endif
