/* SPDX-License-Identifier: MIT */
/* csvopt.c - option values of the CSV tools; see csvopt.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "csv/csvopt.h"

static int
csv_delim(const char *opt, const char *s, unsigned char *d, char *err,
    size_t errsize)
{
	if (strcmp(s, "\\t") == 0) {
		*d = '\t';
		return 0;
	}
	if (strlen(s) != 1) {
		snprintf(err, errsize, "%s: '%s' is not one character (use "
		    "'\\t' for a tab)", opt, s);
		return -1;
	}
	if (*s == '"' || *s == '\r' || *s == '\n') {
		snprintf(err, errsize, "%s: the delimiter cannot be a quote, "
		    "CR or LF", opt);
		return -1;
	}
	*d = (unsigned char)*s;
	return 0;
}

static void
columns_free(sz_columns *c)
{
	free(c->name);
	free(c->len);
	free(c->mem);
	memset(c, 0, sizeof(*c));
}

static int
csv_columns(const char *opt, const char *s, sz_columns *c, char *err,
    size_t errsize)
{
	size_t n = 1;

	memset(c, 0, sizeof(*c));
	for (const char *p = s; *p; p++)
		n += *p == ',';
	c->mem = strdup(s);
	c->name = calloc(n, sizeof(*c->name));
	c->len = calloc(n, sizeof(*c->len));
	if (c->mem == NULL || c->name == NULL || c->len == NULL) {
		columns_free(c);
		snprintf(err, errsize, "%s: out of memory", opt);
		return -1;
	}
	for (char *p = c->mem;; p++) {
		char *e = strchr(p, ',');

		if (e != NULL)
			*e = '\0';
		c->name[c->n] = p;
		c->len[c->n] = strlen(p);
		if (c->len[c->n] == 0) {
			snprintf(err, errsize, "%s: column %zu has an empty "
			    "name", opt, c->n + 1);
			goto fail;
		}
		for (size_t i = 0; i < c->n; i++)
			if (strcmp(c->name[i], p) == 0) {
				snprintf(err, errsize, "%s: '%s' is named "
				    "twice", opt, p);
				goto fail;
			}
		c->n++;
		if (e == NULL)
			break;
		p = e;
	}
	return 0;
fail:
	columns_free(c);
	return -1;
}

void
sz_csvopts_init(sz_csvopts *v)
{
	memset(v, 0, sizeof(*v));
	v->delim = ',';
	v->header = 1;
}

void
sz_csvopts_free(sz_csvopts *v)
{
	columns_free(&v->cols);
	v->have_cols = 0;
}

int
sz_csv_opt(sz_csvopts *v, int c, const char *arg, char *err, size_t errsize)
{
	switch (c) {
	case 'd':
		return csv_delim("-d", arg, &v->delim, err, errsize) < 0 ?
		    -1 : 1;
	case SZ_CSV_OPT_COLUMNS:
		columns_free(&v->cols);
		v->have_cols = csv_columns("--columns", arg, &v->cols, err,
		    errsize) == 0;
		return v->have_cols ? 1 : -1;
	case SZ_CSV_OPT_NOHEADER:
		v->header = 0;
		return 1;
	}
	return 0;
}
