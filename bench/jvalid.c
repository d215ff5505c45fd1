/* SPDX-License-Identifier: MIT */
/*
 * jvalid.c - how fast the validator alone goes: reads an NDJSON file into
 * memory, then validates (and indexes, as the tools do) every line R
 * times through one path, and prints the CPU time of the validation and
 * its GB/s (10^9 bytes of lines, newlines excluded, per CPU second).
 *
 *   bench/jvalid [-p scalar|sse2|avx2] [-r R] FILE
 *
 * Without -p, the path the tools use (SZ_SIMD or the best the CPU has).
 * Exits 1 if a line is not valid JSON.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/opts.h"
#include "json/json.h"

static double
cpu_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int
main(int argc, char **argv)
{
	sz_jsimd path = sz_json_simd();
	sz_jindex ix = { 0 };
	uint64_t reps = 1, r;
	char err[256];
	size_t cap = 0, len = 0, got, bytes = 0, lines = 0;
	char *buf = NULL, *p, *nl, *end;
	FILE *f;
	double t0, t;
	int c;

	while ((c = getopt(argc, argv, "p:r:")) != -1) {
		switch (c) {
		case 'p':
			if (strcmp(optarg, "scalar") == 0)
				path = SZ_JSIMD_SCALAR;
			else if (strcmp(optarg, "sse2") == 0)
				path = SZ_JSIMD_SSE2;
			else if (strcmp(optarg, "avx2") == 0)
				path = SZ_JSIMD_AVX2;
			else
				goto usage;
			if (!sz_json_simd_ok(path)) {
				fprintf(stderr, "jvalid: no %s path here\n",
				    optarg);
				return 2;
			}
			break;
		case 'r':
			if (sz_parse_count("-r", optarg, 1, 1000, &reps, err,
			    sizeof(err)) != 0) {
				fprintf(stderr, "jvalid: %s\n", err);
				return 2;
			}
			break;
		default:
			goto usage;
		}
	}
	if (optind + 1 != argc)
		goto usage;
	if ((f = fopen(argv[optind], "rb")) == NULL) {
		perror(argv[optind]);
		return 2;
	}
	for (;;) {
		if (len == cap) {
			char *nb = realloc(buf, cap = cap ? cap * 2 : 1 << 20);

			if (nb == NULL) {
				fprintf(stderr, "jvalid: out of memory\n");
				return 2;
			}
			buf = nb;
		}
		if ((got = fread(buf + len, 1, cap - len, f)) == 0)
			break;
		len += got;
	}
	if (ferror(f)) {
		perror(argv[optind]);
		return 2;
	}
	fclose(f);
	end = buf + len;
	t0 = cpu_now();
	for (r = 0; r < reps; r++) {
		for (p = buf; p < end; p = nl + 1) {
			const char *why;
			size_t off;

			if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL)
				nl = end;
			if (sz_json_validate_with(path, p, (size_t)(nl - p),
			    &why, &off, &ix) != 0) {
				fprintf(stderr, "jvalid: line %zu: %s at %zu\n",
				    lines + 1, why, off);
				return 1;
			}
			bytes += (size_t)(nl - p);
			lines++;
		}
	}
	t = cpu_now() - t0;
	printf("%s: %zu lines, %zu bytes, %.3f s CPU, %.2f GB/s\n",
	    sz_json_simd_name(path), lines, bytes, t,
	    t > 0 ? (double)bytes / t / 1e9 : 0.0);
	free(ix.el);
	free(buf);
	return 0;
usage:
	fprintf(stderr, "usage: jvalid [-p scalar|sse2|avx2] [-r R] FILE\n");
	return 2;
}
