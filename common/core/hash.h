/* SPDX-License-Identifier: MIT */
/*
 * hash.h - the 64-bit FNV-1a hash, the one hash whose values sz documents
 * (sz-partition chooses a partition by it, sz-sample a kept key), so that
 * other programs can reproduce them.
 *
 * FNV-1a 64: start with the offset basis 0xcbf29ce484222325
 * (14695981039346656037); for each byte b, h = (h XOR b) * 0x100000001b3
 * (1099511628211) modulo 2^64. Test vectors: "" -> 0xcbf29ce484222325,
 * "a" -> 0xaf63dc4c8601ec8c, "foobar" -> 0x85944171f73967e8.
 *
 * Not for hash tables fed by untrusted keys: it is unseeded, and crafted
 * keys collide at will (common/core/keymap.c has its own seeded hash).
 */
#ifndef SZ_HASH_H
#define SZ_HASH_H

#include <stddef.h>
#include <stdint.h>

#define SZ_FNV1A_OFFSET UINT64_C(0xcbf29ce484222325)
#define SZ_FNV1A_PRIME UINT64_C(0x100000001b3)

/* The hash h of some bytes continued over p[0..n): sz_fnv1a_more(
 * sz_fnv1a(a), b) is the hash of a followed by b. */
uint64_t sz_fnv1a_more(uint64_t h, const void *p, size_t n);

/* The FNV-1a 64 hash of p[0..n). */
static inline uint64_t
sz_fnv1a(const void *p, size_t n)
{
	return sz_fnv1a_more(SZ_FNV1A_OFFSET, p, n);
}

#endif
