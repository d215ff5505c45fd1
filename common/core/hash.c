/* SPDX-License-Identifier: MIT */
/* hash.c - the 64-bit FNV-1a hash; see hash.h. */
#include "core/hash.h"

uint64_t
sz_fnv1a_more(uint64_t h, const void *p, size_t n)
{
	const unsigned char *s = p;

	for (size_t i = 0; i < n; i++) {
		h ^= s[i];
		h *= SZ_FNV1A_PRIME;
	}
	return h;
}
