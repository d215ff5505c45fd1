/* SPDX-License-Identifier: MIT */
/* check_sha256.c - unit tests of common/core/sha256.c (the FIPS 180-2
 * example vectors, and against sha256sum over every split of a buffer),
 * each for both implementations (portable C and, where the processor has
 * them, the SHA extensions), and the two against each other; written as
 * TAP on stdout. */
#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/sha256.h"

/* The implementation under test: the loop index of each test. */
static int impl;

static const int impls[] = { SZ_SHA256_PORTABLE, SZ_SHA256_SHANI,
    SZ_SHA256_AUTO };
#define NIMPL ((int)(sizeof(impls) / sizeof(impls[0])))

/* Start c with the implementation under test; 0, or -1 when this
 * processor does not have it (the test then passes: nothing to test). */
static int
start(sz_sha256 *c)
{
	int r = sz_sha256_init_impl(c, impls[impl]);

	if (r < 0)
		ck_assert_int_eq(sz_sha256_have_shani(), 0);
	return r;
}

static const char *
hex(const void *p, size_t n)
{
	static char out[65];
	sz_sha256 c;

	if (start(&c) < 0)
		return NULL;
	sz_sha256_update(&c, p, n);
	sz_sha256_hex(&c, out);
	return out;
}

START_TEST(test_vectors)
{
	impl = _i;
	if (hex("", 0) == NULL)
		return;
	ck_assert_str_eq(hex("", 0),
	    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	ck_assert_str_eq(hex("abc", 3),
	    "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	ck_assert_str_eq(hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", 56),
	    "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
	ck_assert_str_eq(hex("abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmn"
	    "hijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu", 112),
	    "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1");
}
END_TEST

/* One million 'a': the long vector, fed in pieces of every size. */
START_TEST(test_million)
{
	char *a = malloc(1000000);
	char out[65];
	sz_sha256 c;
	size_t step[] = { 1, 63, 64, 65, 1000, 999999 };

	impl = _i;
	ck_assert_ptr_nonnull(a);
	memset(a, 'a', 1000000);
	for (size_t s = 0; s < sizeof(step) / sizeof(step[0]); s++) {
		if (start(&c) < 0)
			break;
		for (size_t i = 0; i < 1000000; i += step[s])
			sz_sha256_update(&c, a + i, 1000000 - i < step[s] ?
			    1000000 - i : step[s]);
		sz_sha256_hex(&c, out);
		ck_assert_str_eq(out, "cdc76e5c9914fb9281a1c7e284d73e67"
		    "f1809a48a497200e046d39ccc7112cd0");
	}
	free(a);
}
END_TEST

/* Lengths around the padding boundary (55, 56, 63, 64 bytes), split at
 * every point: the same digest as in one piece. */
START_TEST(test_splits)
{
	unsigned char b[130];
	char one[65], two[65];
	sz_sha256 c;

	impl = _i;
	if (hex("", 0) == NULL)
		return;
	for (size_t i = 0; i < sizeof(b); i++)
		b[i] = (unsigned char)(i * 7 + 3);
	for (size_t n = 0; n <= sizeof(b); n++) {
		strcpy(one, hex(b, n));
		for (size_t k = 0; k <= n; k++) {
			ck_assert_int_eq(start(&c), 0);
			sz_sha256_update(&c, b, k);
			sz_sha256_update(&c, b + k, n - k);
			sz_sha256_hex(&c, two);
			ck_assert_str_eq(one, two);
		}
	}
	/* And one of them against a known digest: 64 bytes 0..63. */
	for (size_t i = 0; i < 64; i++)
		b[i] = (unsigned char)i;
	ck_assert_str_eq(hex(b, 64),
	    "fdeab9acf3710362bd2658cdc9a29e8f9c757fcf9811603a8c447cd1d9151108");
}
END_TEST

/* The SHA extensions against the portable code: pseudo-random bytes of
 * every length to 2,000, fed in pseudo-random pieces. */
START_TEST(test_same)
{
	unsigned char b[2000];
	uint32_t x = 2463534242u;
	char one[65], two[65];
	sz_sha256 c, d;

	if (!sz_sha256_have_shani())
		return;
	for (size_t n = 0; n <= sizeof(b); n++) {
		for (size_t i = 0; i < n; i++) {
			x ^= x << 13, x ^= x >> 17, x ^= x << 5;
			b[i] = (unsigned char)x;
		}
		ck_assert_int_eq(sz_sha256_init_impl(&c, SZ_SHA256_PORTABLE), 0);
		ck_assert_int_eq(sz_sha256_init_impl(&d, SZ_SHA256_SHANI), 0);
		sz_sha256_update(&c, b, n);
		for (size_t i = 0, k; i < n; i += k) {
			x ^= x << 13, x ^= x >> 17, x ^= x << 5;
			k = x % 300 + 1;
			if (k > n - i)
				k = n - i;
			sz_sha256_update(&d, b + i, k);
		}
		sz_sha256_hex(&c, one);
		sz_sha256_hex(&d, two);
		ck_assert_str_eq(one, two);
	}
}
END_TEST

static Suite *
sha_suite(void)
{
	Suite *s = suite_create("sha256");
	TCase *tc = tcase_create("sha256");

	tcase_add_loop_test(tc, test_vectors, 0, NIMPL);
	tcase_add_loop_test(tc, test_million, 0, NIMPL);
	tcase_add_loop_test(tc, test_splits, 0, NIMPL);
	tcase_add_test(tc, test_same);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(sha_suite());
	int failed;

	srunner_set_tap(sr, "-");
	srunner_run_all(sr, CK_SILENT);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
