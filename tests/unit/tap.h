/* SPDX-License-Identifier: MIT */
/*
 * tap.h - the main() of every Check unit test: run one suite, write TAP on
 * standard output (one line per test, for automake's TAP driver), exit 0
 * only when every test passed.
 */
#ifndef SZ_TAP_H
#define SZ_TAP_H

#include <check.h>
#include <stdlib.h>

static inline int
sz_check_run(Suite *s)
{
	SRunner *sr = srunner_create(s);
	int failed;

	srunner_set_tap(sr, "-");	/* "-": stdout, never reopened */
	srunner_run_all(sr, CK_SILENT);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

#define SZ_CHECK_MAIN(suite_fn) \
	int main(void) { return sz_check_run(suite_fn()); }

#endif
