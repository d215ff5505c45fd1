/* SPDX-License-Identifier: MIT */
/*
 * check_jsimd.c - the validator's SIMD paths against its scalar path:
 * same verdict, reason, offset, member index and element list, on every
 * file of JSONTestSuite (every prefix, at several alignments), on random
 * mutations of records, and on every line of $SZ_JSIMD_RECORDS when set
 * (tests/jsimd.test sets it to bench/gen's records). Each input is copied
 * to the end of a buffer of its own size, so a read past the end is a
 * fault under AddressSanitizer.
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json/json.h"
#include "tap.h"

/* What one path said about one input. */
struct verdict {
	int rc;
	const char *reason;
	size_t off;
	sz_jindex ix;
};

static void
run(sz_jsimd path, const char *p, size_t n, int want_el, struct verdict *v)
{
	v->reason = NULL;
	v->off = 0;
	v->ix.want_el = want_el;
	v->rc = sz_json_validate_with(path, p, n, &v->reason, &v->off,
	    &v->ix);
}

static int
same(const struct verdict *a, const struct verdict *b)
{
	int i;

	if (a->rc != b->rc)
		return 0;
	if (a->rc != 0)
		return strcmp(a->reason, b->reason) == 0 && a->off == b->off;
	if (a->ix.n != b->ix.n || a->ix.el_ok != b->ix.el_ok)
		return 0;
	for (i = 0; i < a->ix.n; i++)
		if (memcmp(&a->ix.m[i], &b->ix.m[i], sizeof(a->ix.m[i])) != 0)
			return 0;
	if (a->ix.el_ok && (a->ix.nel != b->ix.nel || (a->ix.nel > 0 &&
	    memcmp(a->ix.el, b->ix.el, 2 * a->ix.nel * sizeof(size_t)) != 0)))
		return 0;
	return 1;
}

static struct verdict base, other;

/* Compare every path the CPU has with the scalar one on p[0..n), copied
 * at alignment al into a buffer that ends where the copy does. */
static void
check_at(const char *p, size_t n, size_t al, const char *what)
{
	char *buf = malloc(al + n + 1);
	sz_jsimd path;
	int want_el;

	ck_assert_ptr_nonnull(buf);
	memcpy(buf + al, p, n);
	for (want_el = 0; want_el < 2; want_el++) {
		run(SZ_JSIMD_SCALAR, buf + al, n, want_el, &base);
		for (path = SZ_JSIMD_SSE2; path <= SZ_JSIMD_AVX2; path++) {
			if (!sz_json_simd_ok(path))
				continue;
			run(path, buf + al, n, want_el, &other);
			if (!same(&base, &other))
				ck_abort_msg("%s: %s differs from scalar on "
				    "%zu bytes at alignment %zu: %d %s@%zu vs "
				    "%d %s@%zu", what, sz_json_simd_name(path),
				    n, al, base.rc,
				    base.reason ? base.reason : "-", base.off,
				    other.rc,
				    other.reason ? other.reason : "-",
				    other.off);
		}
	}
	free(base.ix.el);
	free(other.ix.el);
	memset(&base, 0, sizeof(base));
	memset(&other, 0, sizeof(other));
	free(buf);
}

static char *
slurp(const char *path, size_t *n)
{
	FILE *f = fopen(path, "rb");
	char *b = NULL;
	size_t cap = 0, len = 0, r;

	if (f == NULL)
		return NULL;
	for (;;) {
		if (len == cap) {
			char *nb = realloc(b, cap = cap ? cap * 2 : 4096);

			ck_assert_ptr_nonnull(nb);
			b = nb;
		}
		if ((r = fread(b + len, 1, cap - len, f)) == 0)
			break;
		len += r;
	}
	fclose(f);
	*n = len;
	return b;
}

static const char *
data_dir(void)
{
	const char *d = getenv("SZ_DATA");

	return d && *d ? d : "tests/data";
}

START_TEST(test_paths)
{
	/* This build on x86-64 has every path; AVX2 only if the CPU has. */
	ck_assert(sz_json_simd_ok(SZ_JSIMD_SCALAR));
#if defined(__x86_64__)
	ck_assert(sz_json_simd_ok(SZ_JSIMD_SSE2));
#endif
	ck_assert_str_eq(sz_json_simd_name(SZ_JSIMD_AVX2), "avx2");
	ck_assert(sz_json_simd_ok(sz_json_simd()));
}
END_TEST

/* Every file, every prefix at alignments 0..3 (files up to 2 KiB), and
 * the whole file at every alignment 0..63. */
START_TEST(test_suite)
{
	char dir[4096], path[8192];
	DIR *d;
	struct dirent *de;
	int files = 0;

	snprintf(dir, sizeof(dir), "%s/JSONTestSuite", data_dir());
	d = opendir(dir);
	ck_assert_msg(d != NULL, "%s not found", dir);
	while ((de = readdir(d)) != NULL) {
		size_t n, k, al;
		char *b;

		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		if ((b = slurp(path, &n)) == NULL)
			continue;
		files++;
		for (al = 0; al < 64; al++)
			check_at(b, n, al, de->d_name);
		if (n <= 2048)
			for (k = 0; k < n; k++)
				for (al = 0; al < 4; al++)
					check_at(b, k, al, de->d_name);
		free(b);
	}
	closedir(d);
	ck_assert_int_gt(files, 300);
}
END_TEST

static uint64_t rng = 0x9E3779B97F4A7C15ULL;

static uint64_t
next_rand(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

/* Bytes a mutation puts in: the ones the scanner's classes turn on. */
static const char pick[] = "\"\\{}[],: \t\r\n0123456789-+.eEtrufalsn"
    "\x01\x1f\x7f\x80\xff/ubfnrtxdD";

/* Records like bench/gen's, with escapes, nesting and long strings. */
static const char *const seeds[] = {
	"{\"id\":1234567,\"type\":\"purchase\",\"user\":{\"name\":\"Ada "
	"Lovelace\",\"tags\":[\"a\",\"b\"]},\"amount\":-12.5e3,\"ok\":true,"
	"\"note\":null}",
	"[1,\"two\",{\"three\":[3.0,false]},\"\\u00e9\\ud83d\\ude00\\n\","
	"\"a much longer string that crosses a sixty-four byte window "
	"boundary at least once, maybe twice, with \\\"quotes\\\"\"]",
	"  {\"k\" : [ 0 , -0.1 , 1E+2 ] , \"\\\\\" : \"\xc3\xa9\" }  ",
	"\"\\ud800\\udc00 plain text plain text plain text plain text "
	"plain text\"",
};

START_TEST(test_mutations)
{
	char buf[512];
	int round;

	for (round = 0; round < 60000; round++) {
		const char *s = seeds[next_rand() % (sizeof(seeds) /
		    sizeof(seeds[0]))];
		size_t n = strlen(s), i, muts = 1 + next_rand() % 4;

		memcpy(buf, s, n);
		for (i = 0; i < muts; i++) {
			size_t at = next_rand() % n;
			char c = pick[next_rand() % (sizeof(pick) - 1)];

			switch (next_rand() % 3) {
			case 0:		/* replace */
				buf[at] = c;
				break;
			case 1:		/* insert */
				if (n + 1 < sizeof(buf)) {
					memmove(buf + at + 1, buf + at, n - at);
					buf[at] = c;
					n++;
				}
				break;
			default:	/* delete */
				if (n > 1) {
					memmove(buf + at, buf + at + 1,
					    n - at - 1);
					n--;
				}
				break;
			}
		}
		check_at(buf, n, next_rand() % 64, "mutation");
		check_at(buf, next_rand() % (n + 1), 0, "mutated prefix");
	}
}
END_TEST

/* Every line of $SZ_JSIMD_RECORDS (skipped when unset). */
START_TEST(test_records)
{
	const char *file = getenv("SZ_JSIMD_RECORDS");
	FILE *f;
	char *line = NULL;
	size_t cap = 0;
	ssize_t len;
	unsigned long lines = 0;

	if (file == NULL || *file == '\0')
		return;
	f = fopen(file, "rb");
	ck_assert_msg(f != NULL, "cannot open %s", file);
	while ((len = getline(&line, &cap, f)) > 0) {
		if (line[len - 1] == '\n')
			len--;
		check_at(line, (size_t)len, lines % 8, "record");
		lines++;
	}
	free(line);
	fclose(f);
	ck_assert_int_gt(lines, 0);
}
END_TEST

static Suite *
jsimd_suite(void)
{
	Suite *s = suite_create("jsimd");
	TCase *tc = tcase_create("jsimd");

	tcase_set_timeout(tc, 600);
	tcase_add_test(tc, test_paths);
	tcase_add_test(tc, test_suite);
	tcase_add_test(tc, test_mutations);
	tcase_add_test(tc, test_records);
	suite_add_tcase(s, tc);
	return s;
}

SZ_CHECK_MAIN(jsimd_suite)
