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

#include <stddef.h>

/*
 * -d's value: one byte other than '"', CR and LF (a literal TAB works), or
 * the two characters "\t" for a TAB. 0, or -1 with a message in err.
 */
int sz_csv_delim(const char *opt, const char *s, unsigned char *d, char *err,
    size_t errsize);

/* Column names, in order. */
typedef struct sz_columns {
	char **name;		/* NUL-terminated; name[i] has len[i] bytes */
	size_t *len;
	size_t n;
	char *mem;		/* the names' bytes */
} sz_columns;

/*
 * Split the comma-separated list s into names; every name must be
 * non-empty and different from the others. 0, or -1 with a message in
 * err (out of memory included). Free with sz_columns_free().
 */
int sz_csv_columns(const char *opt, const char *s, sz_columns *c, char *err,
    size_t errsize);
void sz_columns_free(sz_columns *c);

#endif
