/* SPDX-License-Identifier: MIT */
/*
 * items.h - a list of JSON texts joined by commas ("A,B,C": the body of
 * an array), each tagged with its arrival number, so that two lists can
 * be merged back into arrival order: the items of a window (sz-window)
 * and the values of --collect (sz-aggregate), where session windows that
 * a record bridges are merged.
 */
#ifndef SZ_ITEMS_H
#define SZ_ITEMS_H

#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"

typedef struct sz_items {
	sz_buf text;		/* "A,B,C" */
	uint64_t *seq;		/* arrival number of each item */
	size_t *end;		/* end offset of each item in text */
	size_t n, a;
} sz_items;

/* Append the n bytes at p with arrival number seq: 0, or -1 (out of
 * memory; the list is unchanged). */
int sz_items_push(sz_items *l, uint64_t seq, const char *p, size_t n);
/* Item i: its bytes, *n its length. */
const char *sz_items_get(const sz_items *l, size_t i, size_t *n);
/* Move every item of src into dst, in order of arrival number (ties:
 * dst's first); src is left empty. 0, or -1 (out of memory: both are
 * unchanged). */
int sz_items_merge(sz_items *dst, sz_items *src);
/* Bytes held (text and tags). */
size_t sz_items_bytes(const sz_items *l);
void sz_items_free(sz_items *l);

#endif
