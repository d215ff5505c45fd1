/* SPDX-License-Identifier: MIT */
/*
 * sha256.h - SHA-256 (FIPS 180-4), for the state of a dataset version
 * (sz-publish): the hash of a snapshot's records, checked after every
 * delta applied.
 */
#ifndef SZ_SHA256_H
#define SZ_SHA256_H

#include <stddef.h>
#include <stdint.h>

typedef struct sz_sha256 {
	uint32_t h[8];
	uint64_t len;		/* bytes hashed so far */
	unsigned char blk[64];
	size_t nblk;		/* bytes in blk */
} sz_sha256;

void sz_sha256_init(sz_sha256 *c);
void sz_sha256_update(sz_sha256 *c, const void *p, size_t n);
/* The digest (32 bytes); c must be initialised again to be reused. */
void sz_sha256_final(sz_sha256 *c, unsigned char out[32]);
/* The digest as 64 lowercase hex digits and a NUL. */
void sz_sha256_hex(sz_sha256 *c, char out[65]);

#endif
