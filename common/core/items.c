/* SPDX-License-Identifier: MIT */
/*
 * items.c - comma-joined JSON texts tagged with arrival numbers; see
 * items.h.
 */
#include <stdlib.h>
#include <string.h>

#include "core/items.h"

static int
grow(sz_items *l)
{
	size_t na;
	uint64_t *ns;
	size_t *ne;

	if (l->n < l->a)
		return 0;
	na = l->a ? 2 * l->a : 4;
	if ((ns = realloc(l->seq, na * sizeof(*ns))) == NULL)
		return -1;
	l->seq = ns;
	if ((ne = realloc(l->end, na * sizeof(*ne))) == NULL)
		return -1;
	l->end = ne;
	l->a = na;
	return 0;
}

int
sz_items_push(sz_items *l, uint64_t seq, const char *p, size_t n)
{
	size_t len = l->text.len;

	if (grow(l) != 0)
		return -1;
	if ((l->n > 0 && sz_buf_addc(&l->text, ',') != 0) ||
	    sz_buf_add(&l->text, p, n) != 0) {
		l->text.len = len;
		if (l->text.p != NULL)
			l->text.p[len] = '\0';
		return -1;
	}
	l->seq[l->n] = seq;
	l->end[l->n++] = l->text.len;
	return 0;
}

const char *
sz_items_get(const sz_items *l, size_t i, size_t *n)
{
	size_t b = i == 0 ? 0 : l->end[i - 1] + 1;

	*n = l->end[i] - b;
	return l->text.p + b;
}

int
sz_items_merge(sz_items *dst, sz_items *src)
{
	sz_items out;
	size_t i = 0, j = 0, n;
	const char *p;

	if (src->n == 0)
		return 0;
	memset(&out, 0, sizeof(out));
	if (sz_buf_reserve(&out.text, dst->text.len + src->text.len + 1) != 0)
		goto fail;
	while (i < dst->n || j < src->n) {
		int fromd = j >= src->n ||
		    (i < dst->n && dst->seq[i] <= src->seq[j]);
		uint64_t q = fromd ? dst->seq[i] : src->seq[j];

		p = fromd ? sz_items_get(dst, i++, &n) :
		    sz_items_get(src, j++, &n);
		if (sz_items_push(&out, q, p, n) != 0)
			goto fail;
	}
	sz_items_free(dst);
	sz_items_free(src);
	*dst = out;
	return 0;
fail:
	sz_items_free(&out);
	return -1;
}

size_t
sz_items_bytes(const sz_items *l)
{
	return l->text.len + l->n * (sizeof(uint64_t) + sizeof(size_t));
}

void
sz_items_free(sz_items *l)
{
	sz_buf_free(&l->text);
	free(l->seq);
	free(l->end);
	memset(l, 0, sizeof(*l));
}
