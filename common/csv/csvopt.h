/* SPDX-License-Identifier: MIT */
/*
 * csvopt.h - the option values the CSV tools share: the delimiter of -d
 * and the column list of --columns.
 *
 * Parsers write a message naming the option and the bad value into a
 * caller's buffer and never exit.
 */
#ifndef SZ_CSVOPT_H
#define SZ_CSVOPT_H

#include <getopt.h>
#include <stddef.h>


/* Column names, in order. */
typedef struct sz_columns {
	char **name;		/* NUL-terminated; name[i] has len[i] bytes */
	size_t *len;
	size_t n;
	char *mem;		/* the names' bytes */
} sz_columns;


/*
 * The options both CSV tools take: -d/--delimiter, --columns and
 * --no-header. A tool puts SZ_CSV_LONGOPTS in its long options and "d:"
 * in its short ones, and gives each option to sz_csv_opt first:
 * -d's value is one byte other than '"', CR and LF (a literal TAB works),
 * or the two characters "\t" for a TAB; --columns is a comma-separated
 * list of names, each non-empty and different from the others.
 */
enum { SZ_CSV_OPT_COLUMNS = 0x1a00, SZ_CSV_OPT_NOHEADER };
#define SZ_CSV_LONGOPTS \
	{ "delimiter", required_argument, NULL, 'd' }, \
	{ "columns", required_argument, NULL, SZ_CSV_OPT_COLUMNS }, \
	{ "no-header", no_argument, NULL, SZ_CSV_OPT_NOHEADER }

typedef struct sz_csvopts {
	unsigned char delim;	/* -d, ',' by default */
	sz_columns cols;	/* --columns */
	int have_cols;
	int header;		/* 1 unless --no-header */
} sz_csvopts;

void sz_csvopts_init(sz_csvopts *v);
void sz_csvopts_free(sz_csvopts *v);
/* Take option c (value arg) if it is one of SZ_CSV_LONGOPTS: 1 when
 * taken, 0 when not one of them, -1 with a message in err for a bad
 * value. */
int sz_csv_opt(sz_csvopts *v, int c, const char *arg, char *err,
    size_t errsize);

#endif
