/* SPDX-License-Identifier: MIT */
/* check_jqx.c - unit tests of common/jq/jqx.c's jq options (--slurpfile,
 * --rawfile, -f, --args, --jsonargs) and of debug and input_filename,
 * written as TAP on stdout. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/buf.h"
#include "jq/jqx.h"
#include "tap.h"

static const struct option no_long[] = {
	SZ_JQ_LONGOPTS,
	{ NULL, 0, NULL, 0 }
};

/* A file holding p[0..n); its name in a static buffer. */
static const char *
file_with(const char *p, size_t n)
{
	static char path[64];
	int fd;

	snprintf(path, sizeof(path), "/tmp/check_jqx.XXXXXX");
	fd = mkstemp(path);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, p, n), (ssize_t)n);
	close(fd);
	return path;
}

/* Parse the options of argv (NULL-terminated) into v: the last answer of
 * sz_jq_getopt, o->err in err. */
static int
parse(sz_jqvars *v, char **argv, char *err, size_t errsize)
{
	sz_opts o;
	int argc = 0, c;

	while (argv[argc] != NULL)
		argc++;
	optind = 0;
	sz_opts_init(&o, "sz-test");
	sz_jqvars_init(v);
	while ((c = sz_jq_getopt(&o, v, argc, argv, "", no_long)) != -1 &&
	    c != '?')
		;
	snprintf(err, errsize, "%s", c == '?' ? o.err : "");
	return c;
}

/* The message of --slurpfile on a file holding text (empty: accepted). */
static const char *
slurp_error(const char *text, size_t n)
{
	static char err[600];
	const char *path = file_with(text, n);
	char *argv[] = { "sz-test", "--slurpfile", "v", (char *)path, NULL };
	sz_jqvars v;
	char *colon;

	parse(&v, argv, err, sizeof(err));
	unlink(path);
	sz_jqvars_free(&v);
	/* without the temporary file's name */
	if ((colon = strchr(err, ':')) != NULL && strncmp(err, path,
	    strlen(path)) == 0)
		memmove(err, colon + 1, strlen(colon + 1) + 1);
	return err;
}

START_TEST(slurpfile_lines)
{
	ck_assert_str_eq(slurp_error("1 2\n[3,\n4]\n", 11), "");
	ck_assert_str_eq(slurp_error("", 0), "");
	ck_assert_str_eq(slurp_error("{x}\n", 4),
	    "1: --slurpfile v: bad JSON: Invalid numeric literal");
	ck_assert_str_eq(slurp_error("1\n2\n{\"a\":x}\n", 12),
	    "3: --slurpfile v: bad JSON: Invalid numeric literal");
	ck_assert_str_eq(slurp_error("1\n[2,\n3", 7),
	    "3: --slurpfile v: bad JSON: Unfinished JSON term at EOF");
	ck_assert_str_eq(slurp_error("1\n[2,\n", 6),
	    "2: --slurpfile v: bad JSON: Unfinished JSON term at EOF");
}
END_TEST

/* A line longer than the 1 MiB pieces it is given in: the error is on
 * it, not on a line after it. */
START_TEST(slurpfile_long_line)
{
	size_t n = (3u << 20) + 64, i;
	char *p = malloc(n);

	ck_assert_ptr_nonnull(p);
	memcpy(p, "1\n[", 3);
	for (i = 3; i < n - 4; i += 2)
		memcpy(p + i, "0,", 2);
	memcpy(p + i, "x]\n", 3);
	ck_assert_str_eq(slurp_error(p, i + 3),
	    "2: --slurpfile v: bad JSON: Invalid numeric literal");
	free(p);
}
END_TEST

START_TEST(rawfile_and_errors)
{
	const char *path = file_with("a\0b", 3);
	char *argv[] = { "sz-test", "--rawfile", "t", (char *)path, NULL };
	char *twice[] = { "sz-test", "-f", (char *)path, "-f", (char *)path,
	    NULL };
	char *mixed[] = { "sz-test", "--args", "--jsonargs", NULL };
	char *missing[] = { "sz-test", "--rawfile", "t",
	    "/nonexistent/file", NULL };
	char err[600], want[600];
	sz_jqvars v;

	ck_assert_int_eq(parse(&v, argv, err, sizeof(err)), -1);
	ck_assert_uint_eq(v.n, 1);
	ck_assert_int_eq(v.v[0].kind, SZ_JQVAR_STRING);
	ck_assert_uint_eq(v.v[0].len, 3);
	ck_assert_mem_eq(v.v[0].value, "a\0b", 3);
	sz_jqvars_free(&v);
	/* -f refuses a NUL byte and a second -f */
	ck_assert_int_eq(parse(&v, twice, err, sizeof(err)), '?');
	snprintf(want, sizeof(want), "--from-file: %s holds a NUL byte: not "
	    "a jq program", path);
	ck_assert_str_eq(err, want);
	sz_jqvars_free(&v);
	unlink(path);
	path = file_with(".a\n", 3);
	twice[2] = twice[4] = (char *)path;
	ck_assert_int_eq(parse(&v, twice, err, sizeof(err)), '?');
	snprintf(want, sizeof(want), "--from-file: given twice (%s, %s)",
	    path, path);
	ck_assert_str_eq(err, want);
	ck_assert_str_eq(v.prog, ".a\n");
	sz_jqvars_free(&v);
	unlink(path);
	ck_assert_int_eq(parse(&v, mixed, err, sizeof(err)), '?');
	ck_assert_str_eq(err, "--args and --jsonargs cannot be mixed: the "
	    "operands are all strings or all JSON");
	sz_jqvars_free(&v);
	ck_assert_int_eq(parse(&v, missing, err, sizeof(err)), '?');
	ck_assert_str_eq(err, "--rawfile t: cannot open /nonexistent/file: "
	    "No such file or directory");
	sz_jqvars_free(&v);
}
END_TEST

/* What a program yields on one record, compact, one line each. */
struct collect {
	sz_buf out;
};

static int
keep(void *ud, jv x)
{
	struct collect *c = ud;

	if (sz_jq_dump(x, &c->out) < 0 || sz_buf_addc(&c->out, '\n') < 0)
		return SZ_JQ_NOMEM;
	return SZ_JQ_NEXT;
}

static sz_buf debugged = SZ_BUF_INIT;

static void
on_debug(void *ud, const char *p, size_t n)
{
	(void)ud;
	ck_assert_int_eq(sz_buf_add(&debugged, p, n), 0);
}

START_TEST(positional_file_and_debug)
{
	char *argv[] = { "sz-test", "--jsonargs", "--slurpfile", "s", NULL,
	    NULL };
	char *ops[] = { "1", "{\"a\":[2]}" }, *bad[] = { "{" };
	const char *path = file_with("7 8", 3);
	struct collect c = { SZ_BUF_INIT };
	char err[600];
	sz_buf e = SZ_BUF_INIT;
	sz_jqvars v;
	sz_jq q;

	argv[4] = (char *)path;
	ck_assert_int_eq(parse(&v, argv, err, sizeof(err)), -1);
	unlink(path);
	ck_assert_int_eq(v.posmode, SZ_JQ_POS_JSON);
	ck_assert_int_eq(sz_jqvars_positional(&v, 2, ops, err, sizeof(err)),
	    0);
	/* once only */
	ck_assert_int_eq(sz_jqvars_positional(&v, 1, bad, err, sizeof(err)),
	    0);
	ck_assert_uint_eq(v.npos, 2);
	v.debug = on_debug;
	ck_assert_int_eq(sz_jq_compile(&q, "debug | [input_filename, "
	    "$ARGS.positional, $s, .n]", &v, &e), 0);
	q.file = "in.json";
	ck_assert_int_eq(sz_jq_run(&q, SZ_JQ_ALL, jv_parse("{\"n\":3}"), keep,
	    &c, &e), 0);
	q.file = NULL;
	ck_assert_int_eq(sz_jq_run(&q, SZ_JQ_FIRST, jv_parse("{\"n\":4}"),
	    keep, &c, &e), 0);
	ck_assert_str_eq(c.out.p,
	    "[\"in.json\",[1,{\"a\":[2]}],[7,8],3]\n"
	    "[null,[1,{\"a\":[2]}],[7,8],4]\n");
	ck_assert_str_eq(debugged.p, "[\"DEBUG:\",{\"n\":3}]\n"
	    "[\"DEBUG:\",{\"n\":4}]\n");
	sz_jq_free(&q);
	sz_jqvars_free(&v);
	/* bad JSON among --jsonargs operands */
	sz_jqvars_init(&v);
	v.posmode = SZ_JQ_POS_JSON;
	ck_assert_int_eq(sz_jqvars_positional(&v, 1, bad, err, sizeof(err)),
	    -1);
	ck_assert_str_eq(err, "--jsonargs: invalid JSON text '{'");
	sz_jqvars_free(&v);
	sz_buf_free(&c.out);
	sz_buf_free(&e);
	sz_buf_free(&debugged);
}
END_TEST

/* A program naming input_filename that jq cannot compile: jq's message
 * shows the program as written, not the form run on [FILE, record]. */
START_TEST(input_filename_compile_error)
{
	sz_buf e = SZ_BUF_INIT;
	sz_jq q;

	ck_assert_int_eq(sz_jq_compile(&q, "input_filename | .a +", NULL, &e),
	    -1);
	ck_assert_ptr_nonnull(strstr(e.p, "\ninput_filename | .a +"));
	ck_assert_ptr_null(strstr(e.p, "__sz_"));
	sz_buf_free(&e);
}
END_TEST

static Suite *
jqx_suite(void)
{
	Suite *s = suite_create("jqx");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, slurpfile_lines);
	tcase_add_test(tc, slurpfile_long_line);
	tcase_add_test(tc, rawfile_and_errors);
	tcase_add_test(tc, positional_file_and_debug);
	tcase_add_test(tc, input_filename_compile_error);
	suite_add_tcase(s, tc);
	return s;
}

SZ_CHECK_MAIN(jqx_suite)
