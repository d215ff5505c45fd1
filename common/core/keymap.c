/* SPDX-License-Identifier: MIT */
/*
 * keymap.c - a bounded hash map from byte-string keys to small fixed-size
 * values, with a recency list for eviction; see keymap.h.
 *
 * Layout. Entries live in blocks of ENT_PER_BLOCK entries that are never
 * moved (so a value keeps its address) and are named by 32-bit indices.
 * The hash table is open addressing with linear probing: each slot holds a
 * key's 32-bit hash and its entry index, so a probe compares hashes without
 * touching the entries, and a lookup of an absent key usually reads one
 * cache line of the table and nothing else. The table doubles when it
 * would be more than 3/4 full; a deletion shifts the following slots back
 * (no tombstones). The recency list is doubly linked through 32-bit
 * indices: head is the least recent key, tail the most recent. Free entries
 * are reused (a free list through their prev field) before new ones are
 * taken.
 *
 * An entry is 32 bytes plus the value rounded up to 8: prev, next and the
 * key length (4 bytes each) and 20 bytes that hold a key of up to 20 bytes
 * in place, or else a pointer to a copy allocated on its own. An entry
 * finds its own index through its neighbour (prev->next, or the head), so
 * it does not store it.
 *
 * Memory per key, for sz-dedupe (8-byte value): 40 bytes of entry, plus
 * 8 bytes per table slot with between 4/3 and 8/3 slots per key (10.7 to
 * 21.3 bytes; the table is a power of two), plus, only for a key longer
 * than 20 bytes, its copy: with glibc malloc 32 bytes for up to 24 bytes,
 * and 16 more for each further 16. So a key of up to 20 bytes of canonical
 * text (a number of up to 20 digits, a string of up to 18 characters such
 * as "u0000001-f8d7bb") costs 51 to 62 bytes; a 40-byte key about 115.
 * While the table doubles, the old table (half the new size) is held too.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#include "core/buf.h"
#include "core/keymap.h"

#define NIL UINT32_MAX
#define INLINE_MAX 20
#define BLOCK_SHIFT 12
#define ENT_PER_BLOCK ((uint32_t)1 << BLOCK_SHIFT)
#define MIN_SLOTS 64
#define HUGE_PAGE ((size_t)2 << 20)
#define MAX_SLOTS ((size_t)1 << 32)
/* The most keys a table of MAX_SLOTS takes at load 3/4. */
#define MAX_KEYS ((uint32_t)(MAX_SLOTS / 4 * 3))

typedef struct ent {
	uint32_t prev, next;	/* recency list; prev: free list when free */
	uint32_t len;		/* key length */
	char key[INLINE_MAX];	/* the key, or 4 unused bytes and a pointer */
	/* the value follows, at offset sizeof(ent) == 32 */
} ent;

typedef struct slot {
	uint32_t hash;
	uint32_t idx;		/* NIL: empty */
} slot;

struct sz_keymap {
	slot *table;
	size_t mask;		/* slots - 1 */
	size_t limit;		/* grow when count reaches this (3/4) */
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

static inline uint32_t
load32(const unsigned char *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return v;
}

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
 * a random seed keeps probe runs short against crafted input). */
static uint32_t
hash_key(uint64_t seed, const char *key, size_t n)
{
	const unsigned char *p = (const unsigned char *)key;
	uint64_t h = seed ^ ((uint64_t)n * 0x9e3779b97f4a7c15ULL), t;
	size_t len = n;

	while (n >= 8) {
		h = (h ^ load64(p)) * 0xff51afd7ed558ccdULL;
		h ^= h >> 29;
		p += 8;
		n -= 8;
	}
	if (n > 0) {
		/* The last n bytes by whole loads, not through a copy on the
		 * stack (a short store then a long load stalls): the 8
		 * ending there, or two overlapping halves, or three bytes. */
		if (len >= 8)
			t = load64(p + n - 8) >> (8 * (8 - n));
		else if (n >= 4)
			t = load32(p) | (uint64_t)load32(p + n - 4) << 32;
		else
			t = p[0] | (uint64_t)p[n / 2] << 8 |
			    (uint64_t)p[n - 1] << 16;
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

/* A fresh entry index, or NIL when memory ran out. */
static uint32_t
take_entry(sz_keymap *m)
{
	uint32_t i;

	if (m->freelist != NIL) {
		i = m->freelist;
		m->freelist = E(m, i)->prev;
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

/* ---- the table -------------------------------------------------------- */

/* The slot of key (hash h), or the empty slot where it would go. */
static size_t
probe(const sz_keymap *m, const char *key, size_t n, uint32_t h)
{
	size_t i = h & m->mask;

	for (;; i = (i + 1) & m->mask) {
		const slot *s = &m->table[i];

		if (s->idx == NIL)
			return i;
		if (s->hash == h) {
			const ent *e = E(m, s->idx);

			if (e->len == n && memcmp(KEY(e), key, n) == 0)
				return i;
		}
	}
}

/* Empty slot i and shift back the slots after it that belong before. */
static void
slot_clear(sz_keymap *m, size_t i)
{
	size_t j = i;

	for (;;) {
		size_t home;

		j = (j + 1) & m->mask;
		if (m->table[j].idx == NIL)
			break;
		home = m->table[j].hash & m->mask;
		/* Slot j stays if its home lies cyclically in (i, j]. */
		if (i <= j ? (i < home && home <= j) : (i < home || home <= j))
			continue;
		m->table[i] = m->table[j];
		i = j;
	}
	m->table[i].idx = NIL;
}

/* Take entry i (in the list and the table, holding a key) out of the map
 * and put it on the free list. */
static void
remove_entry(sz_keymap *m, uint32_t i, ent *e)
{
	const char *key = KEY(e);
	uint32_t h = hash_key(m->seed, key, e->len);
	size_t s = h & m->mask;

	while (m->table[s].idx != i)
		s = (s + 1) & m->mask;
	slot_clear(m, s);
	list_unlink(m, e);
	if (e->len > INLINE_MAX) {
		free((void *)key);
		m->keybytes -= sz_alloc_size(e->len);
	}
	e->prev = m->freelist;
	m->freelist = i;
	m->count--;
}

/* A table of empty slots. A large one is aligned to 2 MiB and offered
 * huge pages: its accesses are random, and TLB misses cost as much as the
 * cache misses otherwise. */
static slot *
new_table(size_t nslots)
{
	size_t bytes = nslots * sizeof(slot);
	slot *t;

	if (bytes >= HUGE_PAGE) {
		t = aligned_alloc(HUGE_PAGE, bytes);
#ifdef MADV_HUGEPAGE
		if (t != NULL)
			(void)madvise(t, bytes, MADV_HUGEPAGE);
#endif
	} else
		t = malloc(bytes);
	if (t != NULL)
		for (size_t i = 0; i < nslots; i++)
			t[i].idx = NIL;
	return t;
}

/* Double the table. On failure the map stays as it was, only fuller. */
static void
grow(sz_keymap *m)
{
	size_t old = m->mask + 1, nslots = old * 2;
	slot *t;

	if (nslots > MAX_SLOTS || (t = new_table(nslots)) == NULL)
		return;
	for (size_t i = 0; i < old; i++) {
		slot s = m->table[i];
		size_t j;

		if (s.idx == NIL)
			continue;
		for (j = s.hash & (nslots - 1); t[j].idx != NIL;
		    j = (j + 1) & (nslots - 1))
			;
		t[j] = s;
	}
	free(m->table);
	m->table = t;
	m->mask = nslots - 1;
	m->limit = nslots / 4 * 3;
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
	m->max = max_keys > MAX_KEYS ? MAX_KEYS : (uint32_t)max_keys;
	m->vsize = value_size;
	m->stride = sizeof(ent) + ((value_size + 7) & ~(size_t)7);
	m->freelist = m->head = m->tail = NIL;
	m->evict = evict;
	m->ud = ud;
	m->mask = MIN_SLOTS - 1;
	m->limit = MIN_SLOTS / 4 * 3;
	if ((m->table = new_table(MIN_SLOTS)) == NULL) {
		free(m);
		return NULL;
	}
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

void *
sz_keymap_get(sz_keymap *m, const char *key, size_t n)
{
	size_t s;

	if (n > UINT32_MAX)
		return NULL;
	s = probe(m, key, n, hash_key(m->seed, key, n));
	return m->table[s].idx == NIL ? NULL : VAL(E(m, m->table[s].idx));
}

void *
sz_keymap_put(sz_keymap *m, const char *key, size_t n, int *created)
{
	return sz_keymap_put_hash(m, key, n, hash_key(m->seed, key, n),
	    created);
}

uint32_t
sz_keymap_hash(const sz_keymap *m, const char *key, size_t n)
{
	return hash_key(m->seed, key, n);
}

void *
sz_keymap_put_hash(sz_keymap *m, const char *key, size_t n, uint32_t h,
    int *created)
{
	uint32_t i;
	size_t s;
	char *copy = NULL;
	ent *e;

	if (created != NULL)
		*created = 0;
	if (n > UINT32_MAX)
		return NULL;
	s = probe(m, key, n, h);
	if (m->table[s].idx != NIL)
		return VAL(E(m, m->table[s].idx));
	if (n > INLINE_MAX && (copy = malloc(n)) == NULL)
		return NULL;
	if (m->count >= m->max) {
		uint32_t old = m->head;
		ent *oe = E(m, old);

		if (m->evict != NULL)
			m->evict(m->ud, KEY(oe), oe->len, VAL(oe));
		remove_entry(m, old, oe);
		m->evicted++;
		s = probe(m, key, n, h);	/* slots may have moved */
	}
	if ((i = take_entry(m)) == NIL) {
		free(copy);
		return NULL;
	}
	if (m->count >= m->limit) {
		size_t before = m->mask;

		grow(m);
		if (m->mask != before)
			s = probe(m, key, n, h);
		else if (m->count >= m->mask) {
			/* Could not grow and one free slot is left: keep it
			 * empty so that probes end. */
			e = E(m, i);
			e->prev = m->freelist;
			m->freelist = i;
			free(copy);
			return NULL;
		}
	}
	e = E(m, i);
	e->len = (uint32_t)n;
	if (copy != NULL) {
		memcpy(copy, key, n);
		memset(e->key, 0, 4);
		memcpy(e->key + 4, &copy, sizeof(copy));
		m->keybytes += sz_alloc_size(n);
	} else if (n > 0)
		memcpy(e->key, key, n);
	memset(VAL(e), 0, m->vsize);
	m->table[s].hash = h;
	m->table[s].idx = i;
	list_append(m, i, e);
	m->count++;
	if (created != NULL)
		*created = 1;
	return VAL(e);
}

void
sz_keymap_prefetch(const sz_keymap *m, const char *key, size_t n)
{
	if (n <= UINT32_MAX)
		__builtin_prefetch(&m->table[hash_key(m->seed, key, n) &
		    m->mask]);
}

void
sz_keymap_prefetch_hash(const sz_keymap *m, uint32_t h)
{
	__builtin_prefetch(&m->table[h & m->mask]);
}

void
sz_keymap_prefetch_value(const sz_keymap *m, uint32_t h)
{
	const char *e;

	for (size_t i = h & m->mask; m->table[i].idx != NIL;
	    i = (i + 1) & m->mask)
		if (m->table[i].hash == h) {
			e = (const char *)E(m, m->table[i].idx);
			for (size_t o = 0; o < m->stride; o += 64)
				__builtin_prefetch(e + o);
			__builtin_prefetch(e + m->stride - 1);
			return;
		}
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
	return sizeof(*m) + (m->mask + 1) * sizeof(*m->table) +
	    m->ablocks * sizeof(*m->blocks) +
	    m->nblocks * ENT_PER_BLOCK * m->stride + m->keybytes;
}

size_t
sz_keymap_key_bytes(const sz_keymap *m, size_t n)
{
	return m->stride + 3 * sizeof(*m->table) +
	    (n > INLINE_MAX ? sz_alloc_size(n) : 0);
}
