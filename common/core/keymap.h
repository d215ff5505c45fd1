/* SPDX-License-Identifier: MIT */
/*
 * keymap.h - a bounded hash map from keys (byte strings, normally the
 * canonical text of a JSON value, see json.h) to a small fixed-size value,
 * kept in a recency list so that the owner can evict the least recent key.
 *
 * The owner decides what "recent" means: sz_keymap_put() puts a new key at
 * the recent end; sz_keymap_touch() moves a key there (call it on every
 * sighting for least-recently-seen, only when a record passes for
 * least-recently-passed). When a put finds the map at max_keys, the least
 * recent key is evicted first: the evict callback (if any) sees it, then it
 * is removed and counted in sz_keymap_evicted().
 *
 * Keys are copied and compared exactly (byte for byte). Values are zeroed
 * when created and stay at the same address until the key is deleted or
 * evicted. Memory per key is documented in keymap.c and man/sz-dedupe.1.
 */
#ifndef SZ_KEYMAP_H
#define SZ_KEYMAP_H

#include <stddef.h>
#include <stdint.h>

typedef struct sz_keymap sz_keymap;

/* Called before a key is evicted (not on sz_keymap_del or free). */
typedef void (*sz_evict_fn)(void *ud, const char *key, size_t n, void *value);

/* A map holding at most max_keys keys (>= 1) with values of value_size
 * bytes (may be 0). NULL when memory ran out. */
sz_keymap *sz_keymap_new(size_t max_keys, size_t value_size,
    sz_evict_fn evict, void *ud);
void sz_keymap_free(sz_keymap *m);

/* The value of key, or NULL. Does not change the recency order. */
void *sz_keymap_get(sz_keymap *m, const char *key, size_t n);
/* The value of key, created (zeroed, most recent; *created = 1) if absent,
 * evicting the least recent key first when full. NULL when memory ran
 * out. */
void *sz_keymap_put(sz_keymap *m, const char *key, size_t n, int *created);
/* A hint that key will be looked up soon: start fetching its part of
 * the table, so that a caller can do other work meanwhile. */
void sz_keymap_prefetch(const sz_keymap *m, const char *key, size_t n);
/* The same in steps, for a caller that looks keys up a few at a time
 * in a pipeline: the key's hash (computed once); start fetching its part
 * of the table; then, once that has come, its entry and value (if the
 * key is there); then sz_keymap_put_hash with that hash. */
uint32_t sz_keymap_hash(const sz_keymap *m, const char *key, size_t n);
void sz_keymap_prefetch_hash(const sz_keymap *m, uint32_t h);
void sz_keymap_prefetch_value(const sz_keymap *m, uint32_t h);
void *sz_keymap_put_hash(sz_keymap *m, const char *key, size_t n,
    uint32_t h, int *created);
/* Make the key of this value the most recent. */
void sz_keymap_touch(sz_keymap *m, void *value);
/* Remove the key of this value. */
void sz_keymap_del(sz_keymap *m, void *value);

/* Recency order, least recent first: the first value, or the value after
 * `value` (NULL at the end). Do not put or delete while walking, except to
 * delete the value just returned after taking its successor. */
void *sz_keymap_oldest(sz_keymap *m);
void *sz_keymap_next(sz_keymap *m, void *value);
/* The key of a value. */
const char *sz_keymap_key(sz_keymap *m, void *value, size_t *n);

size_t sz_keymap_count(const sz_keymap *m);
uint64_t sz_keymap_evicted(const sz_keymap *m);
/* Bytes of memory in use by the map (table, entries, keys). */
size_t sz_keymap_bytes(const sz_keymap *m);
/* Bytes one key of n bytes costs: its entry, its copy when it is too long
 * to be held in place, and 3 slots of the table (a key has at most 8/3 of
 * them, at the table's lowest load). */
size_t sz_keymap_key_bytes(const sz_keymap *m, size_t n);

#endif
