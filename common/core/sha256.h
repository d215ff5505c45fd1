/* SPDX-License-Identifier: MIT */
/*
 * sha256.h - SHA-256 (FIPS 180-4), for the state of a dataset version
 * (sz-publish): the hash of a snapshot's records, checked after every
 * delta applied.
 *
 * Two implementations give the same digests: portable C, and the x86
 * SHA extensions (SHA-NI: sha256rnds2, sha256msg1/2), chosen at run time
 * by cpuid when the processor has them.
 */
#ifndef SZ_SHA256_H
#define SZ_SHA256_H

#include <stddef.h>
#include <stdint.h>

/* The implementations, for sz_sha256_init_impl. */
enum { SZ_SHA256_AUTO, SZ_SHA256_PORTABLE, SZ_SHA256_SHANI };

typedef struct sz_sha256 {
	uint32_t h[8];
	void (*blocks)(uint32_t h[8], const unsigned char *p, size_t nblocks);
	uint64_t len;		/* bytes hashed so far */
	unsigned char blk[64];
	size_t nblk;		/* bytes in blk */
} sz_sha256;

/* Start a digest with the fastest implementation this processor has. */
void sz_sha256_init(sz_sha256 *c);
/* Start a digest with one implementation (SZ_SHA256_*); 0, or -1 when
 * this processor (or this build) does not have it. */
int sz_sha256_init_impl(sz_sha256 *c, int impl);
/* Does this processor have the SHA extensions (and this build the code)? */
int sz_sha256_have_shani(void);
void sz_sha256_update(sz_sha256 *c, const void *p, size_t n);
/* The digest (32 bytes); c must be initialised again to be reused. */
void sz_sha256_final(sz_sha256 *c, unsigned char out[32]);
/* The digest as 64 lowercase hex digits and a NUL. */
void sz_sha256_hex(sz_sha256 *c, char out[65]);

#endif
