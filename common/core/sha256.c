/* SPDX-License-Identifier: MIT */
/*
 * sha256.c - SHA-256 as FIPS 180-4 defines it (sections 4.1.2, 4.2.2,
 * 5.1.1, 6.2); see sha256.h.
 */
#include <string.h>

#include "core/sha256.h"

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define SZ_SHA_X86 1
#include <cpuid.h>
#include <immintrin.h>
#endif

/* The first 32 bits of the fractional parts of the cube roots of the
 * first 64 primes (FIPS 180-4, 4.2.2). */
static const uint32_t K[64] = {
	0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1,
	0x923f82a4, 0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3,
	0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786,
	0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
	0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147,
	0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13,
	0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b,
	0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
	0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a,
	0x5b9cca4f, 0x682e6ff3, 0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208,
	0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2
};

#define ROTR(x, n) (((x) >> (n)) | ((x) << (32 - (n))))
#define CH(x, y, z) (((x) & (y)) ^ (~(x) & (z)))
#define MAJ(x, y, z) (((x) & (y)) ^ ((x) & (z)) ^ ((y) & (z)))
#define S0(x) (ROTR(x, 2) ^ ROTR(x, 13) ^ ROTR(x, 22))
#define S1(x) (ROTR(x, 6) ^ ROTR(x, 11) ^ ROTR(x, 25))
#define s0(x) (ROTR(x, 7) ^ ROTR(x, 18) ^ ((x) >> 3))
#define s1(x) (ROTR(x, 17) ^ ROTR(x, 19) ^ ((x) >> 10))

static void
block(uint32_t h[8], const unsigned char *p)
{
	uint32_t w[64], a, b, c, d, e, f, g, k, t1, t2;
	int i;

	for (i = 0; i < 16; i++)
		w[i] = (uint32_t)p[4 * i] << 24 | (uint32_t)p[4 * i + 1] << 16 |
		    (uint32_t)p[4 * i + 2] << 8 | (uint32_t)p[4 * i + 3];
	for (; i < 64; i++)
		w[i] = s1(w[i - 2]) + w[i - 7] + s0(w[i - 15]) + w[i - 16];
	a = h[0], b = h[1], c = h[2], d = h[3];
	e = h[4], f = h[5], g = h[6], k = h[7];
	for (i = 0; i < 64; i++) {
		t1 = k + S1(e) + CH(e, f, g) + K[i] + w[i];
		t2 = S0(a) + MAJ(a, b, c);
		k = g, g = f, f = e, e = d + t1;
		d = c, c = b, b = a, a = t1 + t2;
	}
	h[0] += a, h[1] += b, h[2] += c, h[3] += d;
	h[4] += e, h[5] += f, h[6] += g, h[7] += k;
}

static void
blocks_portable(uint32_t h[8], const unsigned char *p, size_t nb)
{
	for (; nb > 0; nb--, p += 64)
		block(h, p);
}

#ifdef SZ_SHA_X86
/*
 * The SHA extensions keep the state as two vectors, ABEF and CDGH (words
 * high to low); sha256rnds2 does two rounds with two message words plus
 * constants, sha256msg1/msg2 the message schedule (FIPS 180-4, 6.2.2
 * step 1), four words at a time.
 */
__attribute__((target("sha,sse4.1,ssse3")))
static void
blocks_shani(uint32_t h[8], const unsigned char *p, size_t nb)
{
	const __m128i bswap = _mm_set_epi64x(0x0c0d0e0f08090a0bLL,
	    0x0405060700010203LL);
	__m128i st0, st1, t, abef, cdgh, m[4], w, k;

	t = _mm_loadu_si128((const __m128i *)(const void *)&h[0]);
	st1 = _mm_loadu_si128((const __m128i *)(const void *)&h[4]);
	t = _mm_shuffle_epi32(t, 0xB1);			/* CDAB */
	st1 = _mm_shuffle_epi32(st1, 0x1B);		/* EFGH */
	st0 = _mm_alignr_epi8(t, st1, 8);		/* ABEF */
	st1 = _mm_blend_epi16(st1, t, 0xF0);		/* CDGH */
	for (; nb > 0; nb--, p += 64) {
		abef = st0;
		cdgh = st1;
		for (int g = 0; g < 16; g++) {
			/* m[g % 4] holds words 4g-16.., m[(g + 3) % 4]
			 * words 4g-4.. */
			if (g < 4)
				w = _mm_shuffle_epi8(_mm_loadu_si128(
				    (const __m128i *)(const void *)(p + 16 * g)),
				    bswap);
			else
				w = _mm_sha256msg2_epu32(_mm_add_epi32(
				    _mm_sha256msg1_epu32(m[g & 3],
				    m[(g + 1) & 3]), _mm_alignr_epi8(
				    m[(g + 3) & 3], m[(g + 2) & 3], 4)),
				    m[(g + 3) & 3]);
			m[g & 3] = w;
			k = _mm_loadu_si128(
			    (const __m128i *)(const void *)&K[4 * g]);
			w = _mm_add_epi32(w, k);
			st1 = _mm_sha256rnds2_epu32(st1, st0, w);
			w = _mm_shuffle_epi32(w, 0x0E);
			st0 = _mm_sha256rnds2_epu32(st0, st1, w);
		}
		st0 = _mm_add_epi32(st0, abef);
		st1 = _mm_add_epi32(st1, cdgh);
	}
	t = _mm_shuffle_epi32(st0, 0x1B);		/* FEBA */
	st1 = _mm_shuffle_epi32(st1, 0xB1);		/* DCHG */
	st0 = _mm_blend_epi16(t, st1, 0xF0);		/* DCBA */
	st1 = _mm_alignr_epi8(st1, t, 8);		/* HGFE */
	_mm_storeu_si128((__m128i *)(void *)&h[0], st0);
	_mm_storeu_si128((__m128i *)(void *)&h[4], st1);
}
#endif

int
sz_sha256_have_shani(void)
{
#ifdef SZ_SHA_X86
	unsigned a, b, c, d;

	/* Leaf 1: SSSE3 (ecx 9), SSE4.1 (ecx 19); leaf 7: SHA (ebx 29). */
	if (!__get_cpuid(1, &a, &b, &c, &d) || !(c & 1u << 9) ||
	    !(c & 1u << 19))
		return 0;
	if (!__get_cpuid_count(7, 0, &a, &b, &c, &d))
		return 0;
	return (b & 1u << 29) != 0;
#else
	return 0;
#endif
}

int
sz_sha256_init_impl(sz_sha256 *c, int impl)
{
	static const uint32_t h0[8] = {
		0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
		0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19
	};

	memcpy(c->h, h0, sizeof(h0));
	c->len = 0;
	c->nblk = 0;
	c->blocks = blocks_portable;
	if (impl == SZ_SHA256_PORTABLE)
		return 0;
	if (!sz_sha256_have_shani())
		return impl == SZ_SHA256_AUTO ? 0 : -1;
#ifdef SZ_SHA_X86
	c->blocks = blocks_shani;
#endif
	return 0;
}

void
sz_sha256_init(sz_sha256 *c)
{
	(void)sz_sha256_init_impl(c, SZ_SHA256_AUTO);
}

void
sz_sha256_update(sz_sha256 *c, const void *data, size_t n)
{
	const unsigned char *p = data;

	c->len += n;
	if (c->nblk > 0) {
		size_t k = 64 - c->nblk < n ? 64 - c->nblk : n;

		memcpy(c->blk + c->nblk, p, k);
		c->nblk += k;
		p += k;
		n -= k;
		if (c->nblk < 64)
			return;
		c->blocks(c->h, c->blk, 1);
		c->nblk = 0;
	}
	if (n >= 64) {
		c->blocks(c->h, p, n / 64);
		p += n / 64 * 64;
		n %= 64;
	}
	memcpy(c->blk, p, n);
	c->nblk = n;
}

void
sz_sha256_final(sz_sha256 *c, unsigned char out[32])
{
	uint64_t bits = c->len * 8;
	int i;

	/* 0x80, zeros to 56 mod 64, the length in bits, big-endian. */
	c->blk[c->nblk++] = 0x80;
	if (c->nblk > 56) {
		memset(c->blk + c->nblk, 0, 64 - c->nblk);
		c->blocks(c->h, c->blk, 1);
		c->nblk = 0;
	}
	memset(c->blk + c->nblk, 0, 56 - c->nblk);
	for (i = 0; i < 8; i++)
		c->blk[56 + i] = (unsigned char)(bits >> (56 - 8 * i));
	c->blocks(c->h, c->blk, 1);
	for (i = 0; i < 8; i++) {
		out[4 * i] = (unsigned char)(c->h[i] >> 24);
		out[4 * i + 1] = (unsigned char)(c->h[i] >> 16);
		out[4 * i + 2] = (unsigned char)(c->h[i] >> 8);
		out[4 * i + 3] = (unsigned char)c->h[i];
	}
}

void
sz_sha256_hex(sz_sha256 *c, char out[65])
{
	static const char hx[] = "0123456789abcdef";
	unsigned char d[32];

	sz_sha256_final(c, d);
	for (int i = 0; i < 32; i++) {
		out[2 * i] = hx[d[i] >> 4];
		out[2 * i + 1] = hx[d[i] & 15];
	}
	out[64] = '\0';
}
