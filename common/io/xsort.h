/* SPDX-License-Identifier: MIT */
/*
 * xsort.h - an external sort of (key, record) pairs in bounded memory:
 * pairs are held up to max_mem bytes, then sorted and written as a run
 * to an unlinked temporary file in a given directory; the runs (and what
 * memory still holds) are merged as they are read back. At most 64 runs
 * are open at once: when a 65th would be written, the runs so far are
 * first merged into one.
 *
 * Order: by the bytes of the key (memcmp; a prefix first), then by the
 * order of sz_xsort_add (a stable sort: among equal keys the first added
 * comes first, so "the last record per key wins" is the last of a run of
 * equal keys).
 *
 *	sz_xsort *x = sz_xsort_new(dir, 256 << 20);
 *	sz_xsort_add(x, key, kn, rec, rn) ...     (0, or -1: sz_xsort_error)
 *	sz_xsort_finish(x);
 *	while ((k = sz_xsort_next(x, &key, &kn, &rec, &rn)) == 1) ...
 *	sz_xsort_free(x);                         (nothing is left on disk)
 */
#ifndef SZ_XSORT_H
#define SZ_XSORT_H

#include <stddef.h>

typedef struct sz_xsort sz_xsort;

/* dir: where the temporary files go (NULL: $TMPDIR, else /tmp). NULL
 * when out of memory. */
sz_xsort *sz_xsort_new(const char *dir, size_t max_mem);
int sz_xsort_add(sz_xsort *x, const char *key, size_t kn, const char *rec,
    size_t rn);
/* No more pairs: 0, or -1. */
int sz_xsort_finish(sz_xsort *x);
/* The next pair in order (valid until the next call): 1, 0 at the end,
 * -1 on an error. */
int sz_xsort_next(sz_xsort *x, const char **key, size_t *kn,
    const char **rec, size_t *rn);
/* After sz_xsort_finish: 1 when every pair was kept in memory (no run
 * file), so that the pointers sz_xsort_next gives stay valid until
 * sz_xsort_free, else 0. */
int sz_xsort_stable(const sz_xsort *x);
/* What failed ("write to a temporary file in DIR: No space left on
 * device"), or NULL. */
const char *sz_xsort_error(const sz_xsort *x);
/* Runs written so far (for stats and tests). */
size_t sz_xsort_runs(const sz_xsort *x);
void sz_xsort_free(sz_xsort *x);

#endif
