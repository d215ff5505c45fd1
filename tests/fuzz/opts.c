/* SPDX-License-Identifier: MIT */
/*
 * opts.c - fuzz target of the option value parsers (common/core/opts.c):
 * durations, sizes, rates, counts and decimal numbers.
 *
 * Input: the value's text (up to its first NUL). Each parser either
 * takes it or says why in a message that names the option and the value;
 * a value taken is in range, and writing it back in the parser's simplest
 * spelling ("Nns", "NB", a count in decimal) reads back the same.
 */
#include <math.h>
#include <string.h>

#include "core/opts.h"
#include "fuzz.h"

static void
refused(int rc, const char *err)
{
	if (rc != 0) {
		FUZZ_CHECK(rc == -1);
		FUZZ_CHECK(strncmp(err, "--x", 3) == 0);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char s[256], back[64], err[512];
	uint64_t u, u2;
	double d;
	size_t n = size < sizeof(s) - 1 ? size : sizeof(s) - 1;
	int rc;

	memcpy(s, data, n);
	s[n] = '\0';

	err[0] = '\0';
	rc = sz_parse_duration("--x", s, &u, err, sizeof(err));
	refused(rc, err);
	if (rc == 0) {
		snprintf(back, sizeof(back), "%lluns", (unsigned long long)u);
		FUZZ_CHECK(sz_parse_duration("--x", back, &u2, err,
		    sizeof(err)) == 0);
		FUZZ_CHECK(u2 == u);
	}

	err[0] = '\0';
	rc = sz_parse_size("--x", s, &u, err, sizeof(err));
	refused(rc, err);
	if (rc == 0) {
		snprintf(back, sizeof(back), "%lluB", (unsigned long long)u);
		FUZZ_CHECK(sz_parse_size("--x", back, &u2, err,
		    sizeof(err)) == 0);
		FUZZ_CHECK(u2 == u);
	}

	err[0] = '\0';
	rc = sz_parse_rate("--x", s, &d, err, sizeof(err));
	refused(rc, err);
	if (rc == 0)
		FUZZ_CHECK(d > 0 && isfinite(d));

	err[0] = '\0';
	rc = sz_parse_count("--x", s, 3, 1000000, &u, err, sizeof(err));
	refused(rc, err);
	if (rc == 0) {
		FUZZ_CHECK(u >= 3 && u <= 1000000);
		snprintf(back, sizeof(back), "%llu", (unsigned long long)u);
		FUZZ_CHECK(sz_parse_count("--x", back, 3, 1000000, &u2, err,
		    sizeof(err)) == 0 && u2 == u);
	}

	err[0] = '\0';
	rc = sz_parse_double("--x", s, -1.5, 1e6, &d, err, sizeof(err));
	refused(rc, err);
	if (rc == 0)
		FUZZ_CHECK(d >= -1.5 && d <= 1e6);
	return 0;
}
