/* SPDX-License-Identifier: MIT */
/*
 * keymap.c - a bounded hash map from byte-string keys to small fixed-size
 * values, with a recency list for eviction; see keymap.h.
 *
 * Layout. Entries live in blocks of ENT_PER_BLOCK entries that are never
 * moved (so a value keeps its address) and are named by 32-bit indices.
 * The hash table is an array of 32-bit indices, one chain per bucket,
 * chained through the entries; it doubles when the keys outnumber the
 * buckets (load factor at most 1). The recency list is doubly linked
 * through 32-bit indices: head is the least recent key, tail the most
 * recent. Freed entries go on a free list (through their chain field) and
 * are reused before new ones are taken.
 *
 * An entry is 32 bytes plus the value rounded up to 8: chain, prev, next,
 * hash and length (4 bytes each) and 12 bytes that hold a key of up to 12
 * bytes in place, or else a pointer to a copy of the key allocated on its
 * own. An entry finds its own index through its neighbour (prev->next, or
 * the head), so it does not store it.
 *
 * Memory per key, for sz-dedupe (8-byte value): 40 bytes of entry, 4 to 8
 * bytes of table (the table is a power of two at least as large as the
 * number of keys), and for a key longer than 12 bytes its copy: with
 * glibc malloc 32 bytes for up to 24 bytes, plus 16 for each further 16.
 * A key such as "u0000001-f8d7bb" (17 bytes of canonical text) costs about
 * 40 + 6 + 32 = 78 bytes, a number of up to 12 digits about 46 bytes.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "keymap.h"

#define NIL UINT32_MAX
#define INLINE_MAX 12
#define BLOCK_SHIFT 12
#define ENT_PER_BLOCK ((uint32_t)1 << BLOCK_SHIFT)
#define MIN_BUCKETS 64

typedef struct ent {
	uint32_t chain;		/* next in the bucket, or in the free list */
	uint32_t prev, next;	/* recency list */
	uint32_t hash;
	uint32_t len;		/* key length */
	char key[INLINE_MAX];	/* the key, or 4 unused bytes and a pointer */
	/* the value follows, at offset sizeof(ent) == 32 */
} ent;

struct sz_keymap {
	uint32_t *table;	/* bucket -> first entry, or NIL */
	uint32_t mask;		/* buckets - 1 */
	char **blocks;		/* blocks of entries */
	size_t nblocks, ablocks;
	size_t stride;		/* bytes per entry */
	size_t vsize;
	uint32_t used;		/* entries ever taken (high-water mark) */
	uint32_t freelist;
	uint32_t head, tail;	/* least and most recent */
	uint32_t count, max;
	uint64_t evicted;
	size_t keybytes;	/* estimated heap bytes of long keys */
	uint64_t seed;
	sz_evict_fn evict;
	void *ud;
};

/* ---- hashing ---------------------------------------------------------- */

static inline uint64_t
load64(const unsigned char *p)
{
	uint64_t v;

	memcpy(&v, p, 8);
	return v;
}

static inline uint64_t
mix(uint64_t h)
{
	h ^= h >> 32;
	h *= 0xd6e8feb86659fd93ULL;
	h ^= h >> 32;
	h *= 0xd6e8feb86659fd93ULL;
	h ^= h >> 32;
	return h;
}

/* A 32-bit hash of the key, seeded per map (keys may come from anyone:
 * a random seed keeps chains short against crafted input). */
static uint32_t
hash_key(uint64_t seed, const char *key, size_t n)
{
	const unsigned char *p = (const unsigned char *)key;
	uint64_t h = seed ^ ((uint64_t)n * 0x9e3779b97f4a7c15ULL);

	while (n >= 8) {
		h = (h ^ load64(p)) * 0xff51afd7ed558ccdULL;
		h ^= h >> 29;
		p += 8;
		n -= 8;
	}
	if (n > 0) {
		uint64_t t = 0;

		memcpy(&t, p, n);
		h = (h ^ t) * 0xc4ceb9fe1a85ec53ULL;
	}
	return (uint32_t)mix(h);
}

/* ---- entries ---------------------------------------------------------- */

static inline ent *
E(const sz_keymap *m, uint32_t i)
{
	return (ent *)(void *)(m->blocks[i >> BLOCK_SHIFT] +
	    (size_t)(i & (ENT_PER_BLOCK - 1)) * m->stride);
}

static inline void *
VAL(ent *e)
{
	return (char *)e + sizeof(ent);
}

static inline ent *
OF(void *value)
{
	return (ent *)(void *)((char *)value - sizeof(ent));
}

static inline const char *
KEY(const ent *e)
{
	const char *p;

	if (e->len <= INLINE_MAX)
		return e->key;
	memcpy(&p, e->key + 4, sizeof(p));
	return p;
}

/* The index of an entry that is in the recency list. */
static inline uint32_t
index_of(const sz_keymap *m, const ent *e)
{
	return e->prev != NIL ? E(m, e->prev)->next : m->head;
}

/* Bytes glibc malloc gives for a request of n (an estimate elsewhere). */
static size_t
heap_size(size_t n)
{
	size_t s = (n + 8 + 15) & ~(size_t)15;

	return s < 32 ? 32 : s;
}

/* A fresh entry index, or NIL when memory ran out. */
static uint32_t
take_entry(sz_keymap *m)
{
	uint32_t i;

	if (m->freelist != NIL) {
		i = m->freelist;
		m->freelist = E(m, i)->chain;
		return i;
	}
	i = m->used;
	if ((i >> BLOCK_SHIFT) >= m->nblocks) {
		if (m->nblocks == m->ablocks) {
			size_t na = m->ablocks ? 2 * m->ablocks : 16;
			char **nb = realloc(m->blocks, na * sizeof(*nb));

			if (nb == NULL)
				return NIL;
			m->blocks = nb;
			m->ablocks = na;
		}
		m->blocks[m->nblocks] = malloc(ENT_PER_BLOCK * m->stride);
		if (m->blocks[m->nblocks] == NULL)
			return NIL;
		m->nblocks++;
	}
	m->used++;
	return i;
}

static void
list_unlink(sz_keymap *m, ent *e)
{
	if (e->prev != NIL)
		E(m, e->prev)->next = e->next;
	else
		m->head = e->next;
	if (e->next != NIL)
		E(m, e->next)->prev = e->prev;
	else
		m->tail = e->prev;
}

static void
list_append(sz_keymap *m, uint32_t i, ent *e)
{
	e->prev = m->tail;
	e->next = NIL;
	if (m->tail != NIL)
		E(m, m->tail)->next = i;
	else
		m->head = i;
	m->tail = i;
}

/* Take entry i (in the list, the table and holding a key) out of the
 * map and put it on the free list. */
static void
remove_entry(sz_keymap *m, uint32_t i, ent *e)
{
	uint32_t *pp = &m->table[e->hash & m->mask];

	while (*pp != i)
		pp = &E(m, *pp)->chain;
	*pp = e->chain;
	list_unlink(m, e);
	if (e->len > INLINE_MAX) {
		free((void *)KEY(e));
		m->keybytes -= heap_size(e->len);
	}
	e->chain = m->freelist;
	m->freelist = i;
	m->count--;
}

/* Double the buckets (when count exceeds them). On failure the map stays
 * as it was, only more loaded. */
static void
grow(sz_keymap *m)
{
	size_t nb = ((size_t)m->mask + 1) * 2;
	uint32_t *t;

	if (nb > ((size_t)1 << 32))
		return;
	if ((t = malloc(nb * sizeof(*t))) == NULL)
		return;
	memset(t, 0xff, nb * sizeof(*t));
	free(m->table);
	m->table = t;
	m->mask = (uint32_t)(nb - 1);
	for (uint32_t i = m->head; i != NIL;) {
		ent *e = E(m, i);
		uint32_t *b = &t[e->hash & m->mask];

		e->chain = *b;
		*b = i;
		i = e->next;
	}
}

/* ---- the API ---------------------------------------------------------- */

sz_keymap *
sz_keymap_new(size_t max_keys, size_t value_size, sz_evict_fn evict,
    void *ud)
{
	sz_keymap *m;
	struct timespec ts;

	if (max_keys == 0)
		return NULL;
	if ((m = calloc(1, sizeof(*m))) == NULL)
		return NULL;
	m->max = max_keys >= NIL ? NIL - 1 : (uint32_t)max_keys;
	m->vsize = value_size;
	m->stride = sizeof(ent) + ((value_size + 7) & ~(size_t)7);
	m->freelist = m->head = m->tail = NIL;
	m->evict = evict;
	m->ud = ud;
	m->mask = MIN_BUCKETS - 1;
	if ((m->table = malloc(MIN_BUCKETS * sizeof(*m->table))) == NULL) {
		free(m);
		return NULL;
	}
	memset(m->table, 0xff, MIN_BUCKETS * sizeof(*m->table));
	clock_gettime(CLOCK_REALTIME, &ts);
	m->seed = mix((uint64_t)ts.tv_nsec ^ ((uint64_t)ts.tv_sec << 30) ^
	    (uint64_t)(uintptr_t)m);
	return m;
}

void
sz_keymap_free(sz_keymap *m)
{
	if (m == NULL)
		return;
	for (uint32_t i = m->head; i != NIL;) {
		ent *e = E(m, i);

		if (e->len > INLINE_MAX)
			free((void *)KEY(e));
		i = e->next;
	}
	for (size_t b = 0; b < m->nblocks; b++)
		free(m->blocks[b]);
	free(m->blocks);
	free(m->table);
	free(m);
}

static uint32_t
find(const sz_keymap *m, const char *key, size_t n, uint32_t h)
{
	uint32_t i = m->table[h & m->mask];

	while (i != NIL) {
		const ent *e = E(m, i);

		if (e->hash == h && e->len == n &&
		    memcmp(KEY(e), key, n) == 0)
			return i;
		i = e->chain;
	}
	return NIL;
}

void *
sz_keymap_get(sz_keymap *m, const char *key, size_t n)
{
	uint32_t i;

	if (n > UINT32_MAX)
		return NULL;
	i = find(m, key, n, hash_key(m->seed, key, n));
	return i == NIL ? NULL : VAL(E(m, i));
}

void *
sz_keymap_put(sz_keymap *m, const char *key, size_t n, int *created)
{
	uint32_t h, i, *b;
	char *copy = NULL;
	ent *e;

	if (created != NULL)
		*created = 0;
	if (n > UINT32_MAX)
		return NULL;
	h = hash_key(m->seed, key, n);
	if ((i = find(m, key, n, h)) != NIL)
		return VAL(E(m, i));
	if (n > INLINE_MAX && (copy = malloc(n)) == NULL)
		return NULL;
	if (m->count >= m->max) {
		uint32_t old = m->head;
		ent *oe = E(m, old);

		if (m->evict != NULL)
			m->evict(m->ud, KEY(oe), oe->len, VAL(oe));
		remove_entry(m, old, oe);
		m->evicted++;
	}
	if ((i = take_entry(m)) == NIL) {
		free(copy);
		return NULL;
	}
	if (m->count >= (size_t)m->mask + 1)
		grow(m);
	e = E(m, i);
	e->hash = h;
	e->len = (uint32_t)n;
	if (copy != NULL) {
		memcpy(copy, key, n);
		memset(e->key, 0, 4);
		memcpy(e->key + 4, &copy, sizeof(copy));
		m->keybytes += heap_size(n);
	} else if (n > 0)
		memcpy(e->key, key, n);
	memset(VAL(e), 0, m->vsize);
	b = &m->table[h & m->mask];
	e->chain = *b;
	*b = i;
	list_append(m, i, e);
	m->count++;
	if (created != NULL)
		*created = 1;
	return VAL(e);
}

void
sz_keymap_touch(sz_keymap *m, void *value)
{
	ent *e = OF(value);
	uint32_t i;

	if (e->next == NIL)
		return;		/* already the most recent */
	i = index_of(m, e);
	list_unlink(m, e);
	list_append(m, i, e);
}

void
sz_keymap_del(sz_keymap *m, void *value)
{
	ent *e = OF(value);

	remove_entry(m, index_of(m, e), e);
}

void *
sz_keymap_oldest(sz_keymap *m)
{
	return m->head == NIL ? NULL : VAL(E(m, m->head));
}

void *
sz_keymap_next(sz_keymap *m, void *value)
{
	ent *e = OF(value);

	return e->next == NIL ? NULL : VAL(E(m, e->next));
}

const char *
sz_keymap_key(sz_keymap *m, void *value, size_t *n)
{
	ent *e = OF(value);

	(void)m;
	if (n != NULL)
		*n = e->len;
	return KEY(e);
}

size_t
sz_keymap_count(const sz_keymap *m)
{
	return m->count;
}

uint64_t
sz_keymap_evicted(const sz_keymap *m)
{
	return m->evicted;
}

size_t
sz_keymap_bytes(const sz_keymap *m)
{
	return sizeof(*m) + ((size_t)m->mask + 1) * sizeof(*m->table) +
	    m->ablocks * sizeof(*m->blocks) +
	    m->nblocks * ENT_PER_BLOCK * m->stride + m->keybytes;
}
