/* SPDX-License-Identifier: MIT */
/*
 * fuzz.h - what every fuzz target of tests/fuzz/ shares.
 *
 * A target defines LLVMFuzzerTestOneInput(). Built with configure
 * --enable-fuzz (clang), libFuzzer drives it; otherwise main.c does: it
 * runs the target once on each file named (a directory: each file in
 * it), which is how tests/fuzz.test replays the seed corpus.
 *
 * A target checks invariants and calls FUZZ_CHECK(cond) on each: a false
 * one prints where and aborts, which both drivers report as a failure.
 */
#ifndef SZ_FUZZ_H
#define SZ_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *p, size_t n);

#define FUZZ_CHECK(c) do { \
	if (!(c)) { \
		fprintf(stderr, "%s:%d: invariant failed: %s\n", __FILE__, \
		    __LINE__, #c); \
		abort(); \
	} \
} while (0)

/* Memory ran out: not a finding of the target's, stop. */
#define FUZZ_MEM(c) do { \
	if (!(c)) { \
		fprintf(stderr, "%s:%d: out of memory\n", __FILE__, \
		    __LINE__); \
		exit(70); \
	} \
} while (0)

#endif
