/* SPDX-License-Identifier: MIT */
/* check_keymap.c - unit tests of common/core/keymap.c, written as TAP on stdout. */
#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/keymap.h"

/* An assertion for hot loops: Check's ck_assert records a checkpoint
 * (a system call) even when it holds. */
#define REQUIRE(c) do { \
	if (!(c)) \
		ck_abort_msg("%s:%d: assertion failed: %s", __FILE__, \
		    __LINE__, #c); \
} while (0)

/* The keys of m in recency order, joined by ',' (for short checks). */
static const char *
order(sz_keymap *m)
{
	static char s[4096];
	size_t len = 0, n;

	s[0] = '\0';
	for (void *v = sz_keymap_oldest(m); v != NULL; v = sz_keymap_next(m, v)) {
		const char *k = sz_keymap_key(m, v, &n);

		len += (size_t)snprintf(s + len, sizeof(s) - len, "%s%.*s",
		    len ? "," : "", (int)n, k);
	}
	return s;
}

static void *
put(sz_keymap *m, const char *k, int *created)
{
	return sz_keymap_put(m, k, strlen(k), created);
}

START_TEST(test_put_get)
{
	sz_keymap *m = sz_keymap_new(10, sizeof(uint64_t), NULL, NULL);
	int created;
	uint64_t *v, *w;

	ck_assert_ptr_nonnull(m);
	ck_assert_ptr_null(sz_keymap_get(m, "a", 1));
	v = put(m, "a", &created);
	ck_assert_ptr_nonnull(v);
	ck_assert_int_eq(created, 1);
	ck_assert_uint_eq(*v, 0);
	*v = 42;
	w = put(m, "a", &created);
	ck_assert_int_eq(created, 0);
	ck_assert_ptr_eq(v, w);
	ck_assert_ptr_eq(sz_keymap_get(m, "a", 1), v);
	ck_assert_uint_eq(*(uint64_t *)sz_keymap_get(m, "a", 1), 42);
	ck_assert_ptr_null(sz_keymap_get(m, "b", 1));
	ck_assert_ptr_null(sz_keymap_get(m, "a", 0));
	ck_assert_uint_eq(sz_keymap_count(m), 1);
	/* created may be NULL */
	ck_assert_ptr_nonnull(sz_keymap_put(m, "b", 1, NULL));
	ck_assert_uint_eq(sz_keymap_count(m), 2);
	ck_assert_str_eq(order(m), "a,b");
	sz_keymap_free(m);
}
END_TEST

/* Keys compare byte for byte, whatever their length: empty, inline
 * (up to 12 bytes), allocated, with NUL bytes inside. */
START_TEST(test_key_lengths)
{
	static const char *keys[] = {
		"", "x", "123456789012", "1234567890123", "12345678901",
		"\"u0000001-f8d7bb\"", "a much longer key that is allocated",
		"1234567890124",
	};
	size_t nk = sizeof(keys) / sizeof(keys[0]);
	sz_keymap *m = sz_keymap_new(100, 4, NULL, NULL);
	int created;

	for (size_t i = 0; i < nk; i++) {
		uint32_t *v = put(m, keys[i], &created);

		ck_assert_int_eq(created, 1);
		*v = (uint32_t)i + 1;
	}
	for (size_t i = 0; i < nk; i++) {
		size_t n;
		uint32_t *v = sz_keymap_get(m, keys[i], strlen(keys[i]));

		ck_assert_ptr_nonnull(v);
		ck_assert_uint_eq(*v, i + 1);
		ck_assert_str_eq(sz_keymap_key(m, v, &n) != NULL ? "ok" : "",
		    "ok");
		ck_assert_uint_eq(n, strlen(keys[i]));
		ck_assert(memcmp(sz_keymap_key(m, v, NULL), keys[i], n) == 0);
	}
	/* NUL bytes are part of a key */
	ck_assert_ptr_nonnull(sz_keymap_put(m, "a\0b", 3, &created));
	ck_assert_int_eq(created, 1);
	ck_assert_ptr_nonnull(sz_keymap_put(m, "a\0c", 3, &created));
	ck_assert_int_eq(created, 1);
	ck_assert_ptr_nonnull(sz_keymap_put(m, "a\0b\0d\0e\0f\0g\0h", 13,
	    &created));
	ck_assert_int_eq(created, 1);
	ck_assert_ptr_nonnull(sz_keymap_put(m, "a\0b\0d\0e\0f\0g\0i", 13,
	    &created));
	ck_assert_int_eq(created, 1);
	ck_assert_ptr_null(sz_keymap_get(m, "a", 1));
	ck_assert_uint_eq(sz_keymap_count(m), nk + 4);
	sz_keymap_free(m);
}
END_TEST

struct evlog {
	char keys[1024];
	size_t len;
	uint64_t sum;
};

static void
on_evict(void *ud, const char *key, size_t n, void *value)
{
	struct evlog *l = ud;

	l->len += (size_t)snprintf(l->keys + l->len, sizeof(l->keys) - l->len,
	    "%s%.*s", l->len ? "," : "", (int)n, key);
	l->sum += *(uint64_t *)value;
}

/* At the bound the least recent key goes; touch decides what is recent;
 * the callback sees key and value before they are gone. */
START_TEST(test_evict_lru)
{
	struct evlog log = { "", 0, 0 };
	sz_keymap *m = sz_keymap_new(3, sizeof(uint64_t), on_evict, &log);
	uint64_t *a, *b;

	a = put(m, "a", NULL);
	*a = 1;
	b = put(m, "b", NULL);
	*b = 2;
	*(uint64_t *)put(m, "c", NULL) = 3;
	ck_assert_str_eq(order(m), "a,b,c");
	sz_keymap_touch(m, a);
	ck_assert_str_eq(order(m), "b,c,a");
	sz_keymap_touch(m, a);		/* already the most recent */
	ck_assert_str_eq(order(m), "b,c,a");
	/* putting an existing key does not change the order */
	ck_assert_ptr_eq(put(m, "b", NULL), b);
	ck_assert_str_eq(order(m), "b,c,a");
	ck_assert_uint_eq(sz_keymap_evicted(m), 0);
	*(uint64_t *)put(m, "d", NULL) = 4;
	ck_assert_str_eq(order(m), "c,a,d");
	ck_assert_str_eq(log.keys, "b");
	ck_assert_uint_eq(log.sum, 2);
	ck_assert_uint_eq(sz_keymap_evicted(m), 1);
	ck_assert_uint_eq(sz_keymap_count(m), 3);
	ck_assert_ptr_null(sz_keymap_get(m, "b", 1));
	/* a new key's value is zero even in a reused entry */
	ck_assert_uint_eq(*(uint64_t *)put(m, "e", NULL), 0);
	ck_assert_str_eq(log.keys, "b,c");
	ck_assert_str_eq(order(m), "a,d,e");
	/* touching the middle and the oldest */
	sz_keymap_touch(m, sz_keymap_get(m, "d", 1));
	ck_assert_str_eq(order(m), "a,e,d");
	sz_keymap_touch(m, sz_keymap_get(m, "a", 1));
	ck_assert_str_eq(order(m), "e,d,a");
	sz_keymap_free(m);
}
END_TEST

START_TEST(test_max_one)
{
	sz_keymap *m = sz_keymap_new(1, 0, NULL, NULL);
	int created;

	ck_assert_ptr_nonnull(put(m, "a", &created));
	ck_assert_ptr_nonnull(put(m, "b", &created));
	ck_assert_int_eq(created, 1);
	ck_assert_str_eq(order(m), "b");
	ck_assert_ptr_nonnull(put(m, "b", &created));
	ck_assert_int_eq(created, 0);
	ck_assert_uint_eq(sz_keymap_evicted(m), 1);
	ck_assert_ptr_null(sz_keymap_new(0, 8, NULL, NULL));
	sz_keymap_free(m);
	sz_keymap_free(NULL);
}
END_TEST

START_TEST(test_del_walk)
{
	sz_keymap *m = sz_keymap_new(100, 8, NULL, NULL);
	char k[16];
	void *v, *next;

	for (int i = 0; i < 10; i++) {
		snprintf(k, sizeof(k), "key-number-%02d", i);	/* allocated */
		put(m, k, NULL);
	}
	sz_keymap_del(m, sz_keymap_get(m, "key-number-00", 13));	/* head */
	sz_keymap_del(m, sz_keymap_get(m, "key-number-09", 13));	/* tail */
	sz_keymap_del(m, sz_keymap_get(m, "key-number-05", 13));
	ck_assert_uint_eq(sz_keymap_count(m), 7);
	ck_assert_ptr_null(sz_keymap_get(m, "key-number-05", 13));
	ck_assert_str_eq(order(m), "key-number-01,key-number-02,"
	    "key-number-03,key-number-04,key-number-06,key-number-07,"
	    "key-number-08");
	/* delete every other key while walking */
	int i = 0;
	for (v = sz_keymap_oldest(m); v != NULL; v = next, i++) {
		next = sz_keymap_next(m, v);
		if (i % 2 == 0)
			sz_keymap_del(m, v);
	}
	ck_assert_str_eq(order(m), "key-number-02,key-number-04,"
	    "key-number-07");
	/* delete all */
	while ((v = sz_keymap_oldest(m)) != NULL)
		sz_keymap_del(m, v);
	ck_assert_uint_eq(sz_keymap_count(m), 0);
	ck_assert_str_eq(order(m), "");
	ck_assert_ptr_null(sz_keymap_get(m, "key-number-02", 13));
	/* and the map works again */
	ck_assert_ptr_nonnull(put(m, "again", NULL));
	ck_assert_str_eq(order(m), "again");
	sz_keymap_free(m);
}
END_TEST

/* Values keep their address while the table grows many times. */
START_TEST(test_stable_growth)
{
	enum { N = 200000, KEEP = 1000 };
	sz_keymap *m = sz_keymap_new(N, sizeof(uint64_t), NULL, NULL);
	uint64_t *kept[KEEP];
	char k[32];
	size_t b0 = sz_keymap_bytes(m);

	for (uint64_t i = 0; i < N; i++) {
		int created;
		uint64_t *v;

		snprintf(k, sizeof(k), i % 2 ? "%llu" : "long-key-%llu",
		    (unsigned long long)i);
		v = put(m, k, &created);
		REQUIRE(v != NULL);
		REQUIRE(created == 1);
		*v = i * 7 + 1;
		if (i < KEEP)
			kept[i] = v;
	}
	REQUIRE(sz_keymap_count(m) == N);
	REQUIRE(sz_keymap_evicted(m) == 0);
	for (uint64_t i = 0; i < N; i++) {
		uint64_t *v;

		snprintf(k, sizeof(k), i % 2 ? "%llu" : "long-key-%llu",
		    (unsigned long long)i);
		v = sz_keymap_get(m, k, strlen(k));
		REQUIRE(v != NULL);
		REQUIRE(*v == i * 7 + 1);
		if (i < KEEP)
			REQUIRE(v == kept[i]);
	}
	ck_assert_uint_gt(sz_keymap_bytes(m), b0 + (size_t)N * 40);
	/* documented bound: well under 100 bytes per key here */
	ck_assert_uint_lt(sz_keymap_bytes(m), (size_t)N * 100);
	sz_keymap_free(m);
}
END_TEST

/* ---- against a model ----------------------------------------------------- */

/* The model: keys 0..NK-1 as an array in recency order. */
enum { NK = 300 };
static int model[NK], mlen;
static uint64_t mval[NK];

static int
model_find(int k)
{
	for (int i = 0; i < mlen; i++)
		if (model[i] == k)
			return i;
	return -1;
}

static void
model_remove(int pos)
{
	memmove(model + pos, model + pos + 1,
	    (size_t)(mlen - pos - 1) * sizeof(int));
	mlen--;
}

static void
keytext(int k, char *buf, size_t size)
{
	/* short and long keys, some sharing prefixes */
	if (k % 3 == 0)
		snprintf(buf, size, "%d", k);
	else
		snprintf(buf, size, "\"key/%d/%s\"", k,
		    k % 3 == 1 ? "x" : "a-longer-suffix");
}

START_TEST(test_model)
{
	const int maxk = 50 + _i * 37;
	sz_keymap *m = sz_keymap_new((size_t)maxk, sizeof(uint64_t), NULL,
	    NULL);
	uint64_t evicted = 0, seed = 12345 + (uint64_t)_i;
	char buf[64];

	mlen = 0;
	for (int step = 0; step < 20000; step++) {
		int op, k, pos, created;
		uint64_t *v;

		seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
		op = (int)((seed >> 33) % 10);
		k = (int)((seed >> 45) % NK);
		keytext(k, buf, sizeof(buf));
		pos = model_find(k);
		switch (op) {
		case 0: case 1: case 2: case 3: case 4:	/* put */
			v = put(m, buf, &created);
			REQUIRE(v != NULL);
			REQUIRE(created == (pos < 0));
			if (pos < 0) {
				if (mlen == maxk) {
					mval[model[0]] = 0;
					model_remove(0);
					evicted++;
				}
				model[mlen++] = k;
				REQUIRE(*v == 0);
				*v = mval[k] = seed;
			} else
				REQUIRE(*v == mval[k]);
			break;
		case 5: case 6:				/* touch */
			v = sz_keymap_get(m, buf, strlen(buf));
			REQUIRE((v != NULL) == (pos >= 0));
			if (v != NULL) {
				sz_keymap_touch(m, v);
				model_remove(pos);
				model[mlen++] = k;
			}
			break;
		case 7:					/* delete */
			v = sz_keymap_get(m, buf, strlen(buf));
			REQUIRE((v != NULL) == (pos >= 0));
			if (v != NULL) {
				sz_keymap_del(m, v);
				model_remove(pos);
			}
			break;
		default:				/* get */
			v = sz_keymap_get(m, buf, strlen(buf));
			REQUIRE((v != NULL) == (pos >= 0));
			if (v != NULL)
				REQUIRE(*v == mval[k]);
			break;
		}
		REQUIRE(sz_keymap_count(m) == (size_t)mlen);
		if (step % 97 == 0) {
			int i = 0;

			for (void *w = sz_keymap_oldest(m); w != NULL;
			    w = sz_keymap_next(m, w), i++) {
				size_t n;
				const char *key = sz_keymap_key(m, w, &n);

				REQUIRE(i < mlen);
				keytext(model[i], buf, sizeof(buf));
				REQUIRE(n == strlen(buf));
				REQUIRE(memcmp(key, buf, n) == 0);
			}
			REQUIRE(i == mlen);
		}
	}
	REQUIRE(sz_keymap_evicted(m) == evicted);
	sz_keymap_free(m);
}
END_TEST

static Suite *
keymap_suite(void)
{
	Suite *s = suite_create("keymap");
	TCase *tc = tcase_create("keymap");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_put_get);
	tcase_add_test(tc, test_key_lengths);
	tcase_add_test(tc, test_evict_lru);
	tcase_add_test(tc, test_max_one);
	tcase_add_test(tc, test_del_walk);
	tcase_add_test(tc, test_stable_growth);
	tcase_add_loop_test(tc, test_model, 0, 8);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(keymap_suite());
	int failed;

	srunner_set_tap(sr, "-");
	srunner_run_all(sr, CK_SILENT);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
