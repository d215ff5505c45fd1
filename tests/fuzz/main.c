/* SPDX-License-Identifier: MIT */
/*
 * main.c - the driver of a fuzz target when libFuzzer is not there
 * (configure without --enable-fuzz): run LLVMFuzzerTestOneInput once on
 * each file named on the command line, and on each file of a directory
 * named. Exit 0 when every input passed (a failed invariant aborts), 1
 * when a file could not be read, 2 on a usage error.
 */
#ifndef SZ_LIBFUZZER
#include <dirent.h>
#include <errno.h>
#include <string.h>
#include <sys/stat.h>

#include "core/buf.h"
#include "fuzz.h"

static int
run_file(const char *path)
{
	sz_buf b = { 0 };
	FILE *f = fopen(path, "rb");
	char chunk[65536];
	size_t k;
	int rc = 0;

	if (f == NULL) {
		fprintf(stderr, "%s: %s\n", path, strerror(errno));
		return 1;
	}
	while ((k = fread(chunk, 1, sizeof(chunk), f)) > 0)
		FUZZ_MEM(sz_buf_add(&b, chunk, k) == 0);
	if (ferror(f)) {
		fprintf(stderr, "%s: %s\n", path, strerror(errno));
		rc = 1;
	}
	fclose(f);
	if (rc == 0) {
		/* The bytes in memory of their own: a read past the end is
		 * one past a malloc'd block, which ASan sees. */
		uint8_t *p = malloc(b.len ? b.len : 1);

		FUZZ_MEM(p != NULL);
		if (b.len > 0)
			memcpy(p, b.p, b.len);
		LLVMFuzzerTestOneInput(p, b.len);
		free(p);
	}
	sz_buf_free(&b);
	return rc;
}

static int
cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int
run_dir(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char **names = NULL;
	size_t n = 0, cap = 0, i;
	int rc = 0;

	if (d == NULL) {
		fprintf(stderr, "%s: %s\n", dir, strerror(errno));
		return 1;
	}
	while ((e = readdir(d)) != NULL) {
		size_t len;
		char *s;

		if (e->d_name[0] == '.')
			continue;
		if (n == cap) {
			char **nn = realloc(names, (cap ? 2 * cap : 64) *
			    sizeof(*names));

			FUZZ_MEM(nn != NULL);
			names = nn;
			cap = cap ? 2 * cap : 64;
		}
		len = strlen(dir) + strlen(e->d_name) + 2;
		FUZZ_MEM((s = malloc(len)) != NULL);
		snprintf(s, len, "%s/%s", dir, e->d_name);
		names[n++] = s;
	}
	closedir(d);
	qsort(names, n, sizeof(*names), cmp_names);
	for (i = 0; i < n; i++) {
		if (run_file(names[i]) != 0)
			rc = 1;
		free(names[i]);
	}
	free(names);
	return rc;
}

int
main(int argc, char **argv)
{
	struct stat st;
	int i, rc = 0;

	if (argc < 2) {
		fprintf(stderr, "usage: %s FILE|DIR...\n", argv[0]);
		return 2;
	}
	for (i = 1; i < argc; i++) {
		if (stat(argv[i], &st) != 0) {
			fprintf(stderr, "%s: %s\n", argv[i], strerror(errno));
			rc = 1;
		} else if (S_ISDIR(st.st_mode)) {
			if (run_dir(argv[i]) != 0)
				rc = 1;
		} else if (run_file(argv[i]) != 0)
			rc = 1;
	}
	return rc;
}
#else
/* libFuzzer brings main(). */
typedef int sz_fuzz_main_unused;
#endif
