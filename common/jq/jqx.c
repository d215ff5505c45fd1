/* SPDX-License-Identifier: MIT */
/* jqx.c - libjq glue: compile, run, messages, guarded runs; see jqx.h. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "jq/jqx.h"
#include "jq/jvtext.h"

/* ---- variables and module directories ------------------------------ */

void
sz_jqvars_init(sz_jqvars *v)
{
	memset(v, 0, sizeof(*v));
}

void
sz_jqvars_free(sz_jqvars *v)
{
	for (size_t i = 0; i < v->n; i++) {
		free(v->v[i].name);
		free(v->v[i].value);
	}
	free(v->v);
	for (size_t i = 0; i < v->nlib; i++)
		free(v->lib[i]);
	free(v->lib);
	free(v->prog);
	free(v->prog_file);
	memset(v, 0, sizeof(*v));
}

static int
nomem_opt(sz_opts *o)
{
	snprintf(o->err, sizeof(o->err), "out of memory");
	return -1;
}

/* Read the whole file at path into b; 0, or -1 with o->err set
 * ("OPT: cannot open FILE: reason"). */
static int
load_file(sz_opts *o, const char *opt, const char *path, sz_buf *b)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC), e;
	ssize_t k;

	if (fd < 0) {
		snprintf(o->err, sizeof(o->err), "%s: cannot open %s: %s",
		    opt, path, strerror(errno));
		return -1;
	}
	for (;;) {
		if (sz_buf_reserve(b, 65536) < 0) {
			close(fd);
			return nomem_opt(o);
		}
		k = read(fd, b->p + b->len, b->alloc - b->len - 1);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			break;
		b->len += (size_t)k;
		b->p[b->len] = '\0';
	}
	e = errno;
	close(fd);
	if (k < 0) {
		snprintf(o->err, sizeof(o->err), "%s: cannot read %s: %s",
		    opt, path, strerror(e));
		return -1;
	}
	if (b->len > INT_MAX) {		/* libjq's lengths are ints */
		snprintf(o->err, sizeof(o->err), "%s: %s is larger than 2 GiB",
		    opt, path);
		return -1;
	}
	if (b->p == NULL && sz_buf_reserve(b, 1) < 0)
		return nomem_opt(o);
	b->p[b->len] = '\0';
	return 0;
}

/*
 * The JSON values of p[0..n) in an array, as jq's --slurpfile reads them.
 * On bad JSON: jv_invalid with jq's message (without its "at line N,
 * column M") and *line set to the line where it was found.
 */
static jv
parse_all(const char *p, size_t n, unsigned long *line)
{
	jv_parser *ps = jv_parser_new(0);
	jv all = jv_array(), x;
	size_t off = 0;

	*line = 1;
	if (ps == NULL) {
		jv_free(all);
		return jv_invalid_with_msg(jv_string("out of memory"));
	}
	/* A line at a time (in pieces of at most 1 MiB), so that an error
	 * is on the line just given. */
	for (;;) {
		size_t len = 0;
		int last;

		while (off + len < n && len < (1 << 20) &&
		    p[off + len++] != '\n')
			;
		last = off + len >= n;
		jv_parser_set_buf(ps, p + off, (int)len, !last);
		while (jv_is_valid(x = jv_parser_next(ps)))
			all = jv_array_append(all, x);
		if (jv_invalid_has_msg(jv_copy(x))) {
			jv m = jv_invalid_get_msg(x);
			const char *s = jv_string_value(m), *at;
			size_t keep = strlen(s);

			/* the line is in the message's prefix */
			if ((at = strstr(s, " at line ")) != NULL &&
			    strstr(at, ", column ") != NULL)
				keep = (size_t)(at - s);
			jv_free(all);
			jv_parser_free(ps);
			all = jv_invalid_with_msg(jv_string_sized(s, (int)keep));
			jv_free(m);
			return all;
		}
		jv_free(x);
		if (last)
			break;
		if (p[off + len - 1] == '\n' && off + len < n)
			++*line;
		off += len;
	}
	jv_parser_free(ps);
	return all;
}

/* Add a named variable; -1 with o->err set when out of memory. */
static int
add_var(sz_jqvars *v, sz_opts *o, int kind, const char *name,
    const char *value, size_t len)
{
	struct sz_jqvar *nv = realloc(v->v, (v->n + 1) * sizeof(*nv));

	if (nv == NULL)
		return nomem_opt(o);
	v->v = nv;
	nv[v->n].kind = kind;
	nv[v->n].len = len;
	nv[v->n].name = strdup(name);
	nv[v->n].value = malloc(len + 1);
	if (nv[v->n].name == NULL || nv[v->n].value == NULL) {
		free(nv[v->n].name);
		free(nv[v->n].value);
		return nomem_opt(o);
	}
	memcpy(nv[v->n].value, value, len);
	nv[v->n].value[len] = '\0';
	v->n++;
	return 1;
}

/* --slurpfile and --rawfile NAME FILE: the file read now. */
static int
file_var(sz_jqvars *v, sz_opts *o, int c, int argc, char **argv)
{
	const char *opt = c == SZ_OPT_SLURPFILE ? "--slurpfile" : "--rawfile";
	const char *path;
	char what[300];
	sz_buf b = SZ_BUF_INIT;
	int rc;

	if ((path = sz_opts_second(o, argc, argv, opt)) == NULL)
		return -1;
	snprintf(what, sizeof(what), "%s %s", opt, optarg);
	if (load_file(o, what, path, &b) < 0) {
		sz_buf_free(&b);
		return -1;
	}
	if (c == SZ_OPT_SLURPFILE) {
		unsigned long line;
		jv x = parse_all(b.p, b.len, &line);

		if (!jv_is_valid(x)) {
			jv m = jv_invalid_get_msg(x);

			snprintf(o->err, sizeof(o->err), "%s:%lu: %s: bad JSON: "
			    "%s", path, line, what, jv_get_kind(m) ==
			    JV_KIND_STRING ? jv_string_value(m) : "invalid");
			jv_free(m);
			sz_buf_free(&b);
			return -1;
		}
		jv_free(x);
	}
	rc = add_var(v, o, c == SZ_OPT_SLURPFILE ? SZ_JQVAR_SLURP :
	    SZ_JQVAR_STRING, optarg, b.p, b.len);
	sz_buf_free(&b);
	return rc;
}

/* -f FILE: the program read now. */
static int
from_file(sz_jqvars *v, sz_opts *o)
{
	sz_buf b = SZ_BUF_INIT;

	if (v->prog != NULL) {
		snprintf(o->err, sizeof(o->err), "--from-file: given twice "
		    "(%s, %s)", v->prog_file, optarg);
		return -1;
	}
	if (load_file(o, "--from-file", optarg, &b) < 0) {
		sz_buf_free(&b);
		return -1;
	}
	if (strlen(b.p) != b.len) {
		snprintf(o->err, sizeof(o->err), "--from-file: %s holds a NUL "
		    "byte: not a jq program", optarg);
		sz_buf_free(&b);
		return -1;
	}
	if ((v->prog_file = strdup(optarg)) == NULL) {
		sz_buf_free(&b);
		return nomem_opt(o);
	}
	v->prog = b.p;		/* the buffer's bytes are the program now */
	return 1;
}

/*
 * Handle option `c` if it is one of jq's: SZ_OPT_ARG, SZ_OPT_ARGJSON,
 * SZ_OPT_SLURPFILE, SZ_OPT_RAWFILE (optarg is NAME; the second argument
 * is taken from argv), SZ_OPT_ARGS, SZ_OPT_JSONARGS, 'f' or 'L'. Returns
 * 1 if handled, 0 if `c` is not one of them, -1 on error with o->err set.
 */
static int
jqvars_option(sz_jqvars *v, sz_opts *o, int c, int argc, char **argv)
{
	const char *opt, *val;

	if (c == 'L') {
		/* As jq does: the directory made absolute when it exists. */
		char *dir = realpath(optarg, NULL), **nl;

		if (dir == NULL && (dir = strdup(optarg)) == NULL)
			return nomem_opt(o);
		if ((nl = realloc(v->lib, (v->nlib + 1) * sizeof(*nl))) == NULL) {
			free(dir);
			return nomem_opt(o);
		}
		v->lib = nl;
		v->lib[v->nlib++] = dir;
		return 1;
	}
	if (c == 'f')
		return from_file(v, o);
	if (c == SZ_OPT_ARGS || c == SZ_OPT_JSONARGS) {
		int mode = c == SZ_OPT_ARGS ? SZ_JQ_POS_STRINGS :
		    SZ_JQ_POS_JSON;

		if (v->posmode != SZ_JQ_POS_NONE && v->posmode != mode) {
			snprintf(o->err, sizeof(o->err), "--args and "
			    "--jsonargs cannot be mixed: the operands are "
			    "all strings or all JSON");
			return -1;
		}
		v->posmode = mode;
		return 1;
	}
	if (c == SZ_OPT_SLURPFILE || c == SZ_OPT_RAWFILE)
		return file_var(v, o, c, argc, argv);
	if (c != SZ_OPT_ARG && c != SZ_OPT_ARGJSON)
		return 0;
	opt = c == SZ_OPT_ARG ? "--arg" : "--argjson";
	if ((val = sz_opts_second(o, argc, argv, opt)) == NULL)
		return -1;
	if (c == SZ_OPT_ARGJSON) {
		jv x = jv_parse(val);
		int ok = jv_is_valid(x);

		jv_free(x);
		if (!ok) {
			snprintf(o->err, sizeof(o->err),
			    "--argjson %s: invalid JSON text '%s'", optarg, val);
			return -1;
		}
	}
	return add_var(v, o, c == SZ_OPT_ARGJSON ? SZ_JQVAR_JSON :
	    SZ_JQVAR_STRING, optarg, val, strlen(val));
}

int
sz_jq_getopt(sz_opts *o, sz_jqvars *v, int argc, char **argv,
    const char *shortopts, const struct option *longopts)
{
	char shorts[64];
	int c, k;

	snprintf(shorts, sizeof(shorts), "L:f:%s", shortopts ? shortopts : "");
	while ((c = sz_opts_getopt(o, argc, argv, shorts, longopts)) != -1 &&
	    c != '?') {
		if ((k = jqvars_option(v, o, c, argc, argv)) == 0)
			return c;
		if (k < 0)
			return '?';
	}
	return c;
}

int
sz_jqvars_positional(sz_jqvars *v, int argc, char **argv, char *err,
    size_t errsize)
{
	if (v->posmode == SZ_JQ_POS_NONE || v->pos_taken)
		return 0;
	v->pos_taken = 1;
	for (int i = 0; v->posmode == SZ_JQ_POS_JSON && i < argc; i++) {
		jv x = jv_parse(argv[i]);
		int ok = jv_is_valid(x);

		jv_free(x);
		if (!ok) {
			snprintf(err, errsize, "--jsonargs: invalid JSON text "
			    "'%s'", argv[i]);
			return -1;
		}
	}
	v->pos = argv;
	v->npos = argc > 0 ? (size_t)argc : 0;
	return 0;
}

/*
 * The arguments of jq_compile_args, built afresh for each compile (and so
 * in the thread that will run the program): each name, plus $ARGS, as
 * jq's main sets them. The last of two same names wins, as in jq.
 */
static jv
build_args(const sz_jqvars *v)
{
	jv named = jv_object(), pos = jv_array(), args;

	for (size_t i = 0; v != NULL && i < v->n; i++) {
		const struct sz_jqvar *x = &v->v[i];
		unsigned long line;
		jv val = x->kind == SZ_JQVAR_JSON ? jv_parse(x->value) :
		    x->kind == SZ_JQVAR_SLURP ? parse_all(x->value, x->len,
		    &line) : jv_string_sized(x->value, (int)x->len);

		named = jv_object_set(named, jv_string(x->name), val);
	}
	for (size_t i = 0; v != NULL && i < v->npos; i++)
		pos = jv_array_append(pos, v->posmode == SZ_JQ_POS_JSON ?
		    jv_parse(v->pos[i]) : jv_string(v->pos[i]));
	args = jv_copy(named);
	return jv_object_set(args, jv_string("ARGS"),
	    jv_object_set(jv_object_set(jv_object(), jv_string("positional"),
	    pos), jv_string("named"), named));
}

/* The module search path, as jq's main sets it. */
static void
set_library_path(jq_state *jq, const sz_jqvars *v)
{
	jv path = jv_array();
	char *self, *dot;

	if (v != NULL && v->nlib > 0)
		for (size_t i = 0; i < v->nlib; i++)
			path = jv_array_append(path, jv_string(v->lib[i]));
	else {
		path = jv_array_append(path, jv_string("~/.jq"));
		path = jv_array_append(path, jv_string("$ORIGIN/../lib/jq"));
		path = jv_array_append(path, jv_string("$ORIGIN/../lib"));
	}
	jq_set_attr(jq, jv_string("JQ_LIBRARY_PATH"), path);
	/* $ORIGIN: the directory of the executable. */
	if ((self = realpath("/proc/self/exe", NULL)) != NULL) {
		char *slash = strrchr(self, '/');

		if (slash != NULL)
			*(slash == self ? slash + 1 : slash) = '\0';
		jq_set_attr(jq, jv_string("JQ_ORIGIN"), jv_string(self));
		free(self);
	} else
		jq_set_attr(jq, jv_string("JQ_ORIGIN"), jv_string("."));
	if ((dot = realpath(".", NULL)) != NULL) {
		jq_set_attr(jq, jv_string("PROGRAM_ORIGIN"), jv_string(dot));
		free(dot);
	} else
		jq_set_attr(jq, jv_string("PROGRAM_ORIGIN"), jv_string("."));
}

/* ---- guarded runs -------------------------------------------------- */

enum { FAULT_NONE, FAULT_FPE, FAULT_NOMEM, FAULT_ABORT };

static _Thread_local sigjmp_buf *guard;
static _Thread_local int guard_why;
static _Thread_local char guard_what[256];	/* a failed assertion */

/*
 * libjq checks its own state with assert(3), and a few programs break
 * those checks (`1e300 | todate` in jq 1.6). This definition takes the
 * place of the C library's for libjq (the executable's symbols come
 * first): inside a guarded call the failed check comes back as an error
 * on the record, without a line on stderr that --dlq or --log=json did
 * not ask for; elsewhere it reports and aborts as the C library does.
 */
extern char *program_invocation_short_name;
void __assert_fail(const char *expr, const char *file, unsigned int line,
    const char *func) __attribute__((noreturn));

void
__assert_fail(const char *expr, const char *file, unsigned int line,
    const char *func)
{
	if (guard != NULL) {
		sigjmp_buf *jb = guard;

		guard = NULL;
		guard_why = FAULT_ABORT;
		snprintf(guard_what, sizeof(guard_what), "%s:%u: %s: "
		    "assertion '%s' failed", file, line, func, expr);
		siglongjmp(*jb, 1);
	}
	fprintf(stderr, "%s: %s:%u: %s: Assertion `%s' failed.\n",
	    program_invocation_short_name, file, line, func, expr);
	abort();
}

/*
 * SIGFPE: back to the guarded call in this thread, or, outside one, the
 * default action (the instruction faults again). SIGABRT is left alone:
 * libjq's checks come through __assert_fail above, and an abort() from
 * the C library (a corrupted heap) must end the process.
 */
static void
on_fault(int s)
{
	if (guard != NULL) {
		sigjmp_buf *jb = guard;

		guard = NULL;
		guard_why = FAULT_FPE;
		siglongjmp(*jb, 1);
	}
	signal(s, SIG_DFL);
}

/* libjq's handler for memory exhausted; outside a guarded call libjq
 * prints its message and aborts. */
static void
on_nomem(void *ud)
{
	(void)ud;
	if (guard != NULL) {
		sigjmp_buf *jb = guard;

		guard = NULL;
		guard_why = FAULT_NOMEM;
		siglongjmp(*jb, 1);
	}
}

static void
install_fault_handlers(void)
{
	static int done;
	struct sigaction sa;

	if (done)	/* set in the main thread before any worker starts */
		return;
	done = 1;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_fault;
	sigemptyset(&sa.sa_mask);
	/* not blocked while handled: siglongjmp then needs no mask */
	sa.sa_flags = SA_NODEFER;
	sigaction(SIGFPE, &sa, NULL);
}

/* Tear a jq state down; one that faults on the way is left behind.
 * Callable inside a guarded call (the guard is put back). */
static void
drop_state(jq_state **st)
{
	sigjmp_buf jb, *volatile prev = guard;
	jq_state *volatile s = *st;

	*st = NULL;
	if (s == NULL)
		return;
	if (sigsetjmp(jb, 0) == 0) {
		guard = &jb;
		jq_teardown((jq_state **)&s);
	}
	guard = prev;
}

/* Unwind what a run left in a jq state (by starting it on null, which
 * jq_start resets first); a state that faults on it is dropped. Callable
 * inside a guarded call. */
static void
reset_state(jq_state **st)
{
	sigjmp_buf jb, *volatile prev = guard;

	if (*st == NULL)
		return;
	if (sigsetjmp(jb, 0) == 0) {
		guard = &jb;
		jq_start(*st, jv_null(), 0);
		guard = prev;
		return;
	}
	guard = prev;
	drop_state(st);
}

int
sz_jq_protect(sz_jq *q, int (*body)(void *), void *ud, sz_buf *err)
{
	sigjmp_buf jb;
	int k;

	if (sigsetjmp(jb, 0) != 0) {
		int why = guard_why;

		guard = NULL;
		/*
		 * A SIGFPE (in the remainder builtin) or a failed allocation
		 * leaves libjq's stacks as they were between two steps, and
		 * jq_start() unwinds them (compiling again would cost about
		 * 25 ms a record); this is tried now, so that a state it fails
		 * on is dropped before the next record. A failed assertion
		 * leaves no such promise: start afresh.
		 */
		for (int i = 0; i < SZ_JQ_NMODES; i++)
			if (why == FAULT_ABORT)
				drop_state(&q->st[i]);
			else
				reset_state(&q->st[i]);
		sz_buf_reset(err);
		sz_buf_adds(err, why == FAULT_FPE ?
		    "cannot compute the remainder (%): a number is outside "
		    "the 64-bit integer range or the result overflows" :
		    why == FAULT_NOMEM ?
		    "out of memory while running the program" :
		    "libjq failed an internal check on this record");
		if (why == FAULT_ABORT && guard_what[0] != '\0')
			sz_buf_printf(err, " (%s)", guard_what);
		return SZ_JQ_FAULT;
	}
	guard = &jb;
	k = body(ud);
	guard = NULL;
	return k;
}

/* ---- compiling ----------------------------------------------------- */

/* jq's message callback while compiling: collect the texts. */
static void
collect(void *ud, jv msg)
{
	sz_jq *q = ud;

	if (q->errs == NULL) {
		jv_free(msg);
		return;
	}
	if (jv_get_kind(msg) != JV_KIND_STRING)
		msg = jv_dump_string(msg, 0);
	if (q->errs->len)
		sz_buf_addc(q->errs, '\n');
	sz_buf_adds(q->errs, jv_string_value(msg));
	jv_free(msg);
	while (q->errs->len && q->errs->p[q->errs->len - 1] == '\n')
		q->errs->p[--q->errs->len] = '\0';
}

/*
 * Where the program's body starts: after the `module {...};`, `import
 * "..." as NAME;` and `include "...";` directives that jq wants first.
 * Returns the offset, or -1 when the directives are beyond this simple
 * reader (the program is then not wrapped).
 */
static long
body_start(const char *s)
{
	const char *p = s;

	for (;;) {
		while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r' ||
		    *p == '#') {
			if (*p == '#')
				while (*p != '\0' && *p != '\n')
					p++;
			else
				p++;
		}
		size_t w = strspn(p, "abcdefghijklmnopqrstuvwxyz");
		if (!((w == 6 && strncmp(p, "module", 6) == 0) ||
		    (w == 6 && strncmp(p, "import", 6) == 0) ||
		    (w == 7 && strncmp(p, "include", 7) == 0)))
			return (long)(p - s);
		/* to the ';' outside strings and braces */
		int depth = 0;
		for (p += w; *p != ';' || depth > 0; p++) {
			if (*p == '\0')
				return -1;
			if (*p == '{' || *p == '[' || *p == '(')
				depth++;
			else if (*p == '}' || *p == ']' || *p == ')')
				depth--;
			else if (*p == '#')
				while (p[1] != '\0' && p[1] != '\n')
					p++;
			else if (*p == '"') {
				for (p++; *p != '"'; p++) {
					if (*p == '\0')
						return -1;
					if (*p == '\\' && *++p == '(')
						return -1;	/* interpolation */
					if (*p == '\0')
						return -1;
				}
			}
		}
		p++;
	}
}

/* jq's debug: ["DEBUG:",VALUE] and a newline, written whole, as jq 1.6
 * prints it (compact). */
static void
on_debug(void *ud, jv x)
{
	const sz_jqvars *v = ud;
	sz_buf b = SZ_BUF_INIT;

	if (v == NULL || v->debug == NULL) {
		jv_free(x);
		return;
	}
	if (sz_jq_dump(jv_array_append(jv_array_append(jv_array(),
	    jv_string("DEBUG:")), x), &b) == 0 && sz_buf_addc(&b, '\n') == 0)
		v->debug(v->debug_ud, b.p, b.len);
	sz_buf_free(&b);
}

/*
 * What input_filename needs: the program runs on [FILE, record], and the
 * name is defined, around the body (after the directives), as FILE. The
 * prefix is on the body's first line, so that $__loc__ and jq's messages
 * keep their line numbers.
 */
static const char file_pre[] = ". as [$__sz_file, $__sz_rec] | "
    "def input_filename: $__sz_file; $__sz_rec | (";
static const char file_post[] = "\n)";

/* What `input` reads: nothing more (jq's end of input). */
static jv
no_input(jq_state *jq, void *ud)
{
	(void)jq;
	(void)ud;
	return jv_invalid();
}

/* Compile the program for one mode into q->st[mode]; 0 or -1 with jq's
 * messages in err (NULL: discard them). */
static int
compile_mode(sz_jq *q, int mode, sz_buf *err)
{
	static const char *const wrap[SZ_JQ_NMODES][2] = {
		{ "", "" },
		{ "first((", "\n))" },
		{ "first((", "\n) | select(.))" },
	};
	sz_buf text = SZ_BUF_INIT;
	jq_state *jq;
	int ok;

	if ((mode != SZ_JQ_ALL || q->wantfile) &&
	    (sz_buf_add(&text, q->src, q->body) < 0 ||
	    sz_buf_adds(&text, q->wantfile ? file_pre : "") < 0 ||
	    sz_buf_adds(&text, wrap[mode][0]) < 0 ||
	    sz_buf_adds(&text, q->src + q->body) < 0 ||
	    sz_buf_adds(&text, wrap[mode][1]) < 0 ||
	    sz_buf_adds(&text, q->wantfile ? file_post : "") < 0)) {
		sz_buf_free(&text);
		if (err)
			sz_buf_adds(err, "jq: cannot compile (out of memory)");
		return -1;
	}
	if ((jq = jq_init()) == NULL) {
		sz_buf_free(&text);
		if (err)
			sz_buf_adds(err, "jq: cannot initialise (out of memory)");
		return -1;
	}
	install_fault_handlers();
	jq_set_nomem_handler(jq, on_nomem, NULL);
	/* libjq 1.6's input builtin reads an unset callback (uninitialised
	 * memory; a crash under ASan): `input` and `inputs` see the end of
	 * input instead, as in jq after the last record. */
	jq_set_input_cb(jq, no_input, NULL);
	q->errs = err;
	jq_set_error_cb(jq, collect, q);
	/* the cast drops const: libjq's callback data is a void * */
	jq_set_debug_cb(jq, on_debug, (void *)q->v);
	set_library_path(jq, q->v);
	ok = jq_compile_args(jq, text.p != NULL ? text.p : q->src,
	    build_args(q->v));
	q->errs = NULL;
	sz_buf_free(&text);
	if (!ok) {
		if (err && err->len == 0)
			sz_buf_adds(err, "jq: error: cannot compile");
		jq_teardown(&jq);
		return -1;
	}
	q->st[mode] = jq;
	return 0;
}

int
sz_jq_prepare(sz_jq *q, const char *expr, const sz_jqvars *v, sz_buf *err)
{
	long b;

	memset(q, 0, sizeof(*q));
	q->v = v;
	if ((q->src = strdup(expr)) == NULL) {
		sz_buf_adds(err, "jq: cannot compile (out of memory)");
		return -1;
	}
	/* here, in the thread that starts the tool, not in a worker that
	 * compiles on first use */
	install_fault_handlers();
	if ((b = body_start(expr)) < 0)
		q->nowrap = 1;
	else
		q->body = (size_t)b;
	/*
	 * Only a generator of paths left half run (path(f), paths,
	 * leaf_paths, tostream; or whatever a module may hold) leaves libjq
	 * unable to start again. Other programs are simply abandoned after
	 * their first output, as before: first(EXPR) costs 45% more time
	 * per record through libjq's label and break.
	 */
	q->pathy = q->body > 0 || q->nowrap || strstr(expr, "path") != NULL ||
	    strstr(expr, "tostream") != NULL;
	/* input_filename in the program itself (a module's own use of it
	 * reads libjq's, null); a program beyond body_start is not wrapped. */
	q->wantfile = !q->nowrap && strstr(expr, "input_filename") != NULL;
	q->lazy = 1;
	return 0;
}

int
sz_jq_compile(sz_jq *q, const char *expr, const sz_jqvars *v, sz_buf *err)
{
	if (sz_jq_prepare(q, expr, v, err) < 0)
		return -1;
	q->lazy = 0;
	if (q->wantfile && compile_mode(q, SZ_JQ_ALL, NULL) == 0)
		return 0;
	/* Not wrapped for input_filename (or the wrapped form did not
	 * compile): as written, with jq's messages on the text given. */
	q->wantfile = 0;
	if (compile_mode(q, SZ_JQ_ALL, err) < 0) {
		free(q->src);
		q->src = NULL;
		return -1;
	}
	return 0;
}

void
sz_jq_free(sz_jq *q)
{
	for (int i = 0; i < SZ_JQ_NMODES; i++)
		if (q->st[i] != NULL)
			jq_teardown(&q->st[i]);
	free(q->src);
	q->src = NULL;
}

/* ---- running ------------------------------------------------------- */

/*
 * The state to run for the wanted *mode, compiled on first use; *mode
 * becomes the mode of the state given. *drain says that the run must go
 * on to the program's end after the output it wants: first(EXPR) unwinds
 * itself there, and so does a program that could not be wrapped, run
 * whole. A program without path generators runs as written and is simply
 * abandoned.
 */
static jq_state *
state_for(sz_jq *q, int *mode, int *drain, sz_buf *err)
{
	int want = *mode;

	*drain = want != SZ_JQ_ALL && q->pathy;
	if (want != SZ_JQ_ALL && (!q->pathy || q->nowrap))
		*mode = SZ_JQ_ALL;
	if (q->lazy) {
		/* The first run of a program prepared only: compiled now, as
		 * sz_jq_compile would have (input_filename wrapped when it
		 * can be), with jq's messages as the run's error. */
		q->lazy = 0;
		if (q->wantfile && compile_mode(q, SZ_JQ_ALL, NULL) < 0)
			q->wantfile = 0;
		if (q->st[SZ_JQ_ALL] == NULL &&
		    compile_mode(q, SZ_JQ_ALL, err) < 0) {
			q->lazy = 1;
			return NULL;
		}
	}
	if (q->st[*mode] == NULL && compile_mode(q, *mode, NULL) < 0) {
		if (*mode == SZ_JQ_ALL) {
			sz_buf_adds(err, "jq: cannot compile the program "
			    "again (out of memory)");
			return NULL;
		}
		/* The wrapped form did not compile: run the program as
		 * written, to its end. */
		q->nowrap = 1;
		*mode = want;
		return state_for(q, mode, drain, err);
	}
	return q->st[*mode];
}

int
sz_jq_run(sz_jq *q, int mode, jv in, sz_jq_fn fn, void *ud, sz_buf *err)
{
	int drain, stopped = 0;
	jq_state *jq;
	jv r;

	/*
	 * libjq cannot start a new input after a run abandoned inside a
	 * path expression (`paths` stopped at its first output aborts in
	 * stack_restore). Such programs are never abandoned (state_for
	 * says how they run); the others are, after the output wanted, and
	 * their state is unwound at once, where a failed check counts
	 * against this record rather than the next.
	 */
	q->halted = 0;		/* says what this run did */
	if ((jq = state_for(q, &mode, &drain, err)) == NULL) {
		jv_free(in);
		return SZ_JQ_ERROR;
	}
	if (q->wantfile)
		in = jv_array_append(jv_array_append(jv_array(),
		    q->file != NULL ? jv_string(q->file) : jv_null()), in);
	jq_start(jq, in, 0);
	for (;;) {
		r = jq_next(jq);
		if (jv_is_valid(r)) {
			int k = stopped ? (jv_free(r), SZ_JQ_NEXT) :
			    fn(ud, r);

			if (k != SZ_JQ_NEXT) {
				stopped = k;
				if (!drain) {
					/* abandoned: unwind it now */
					reset_state(&q->st[mode]);
					return k;
				}
			}
			continue;
		}
		if (jq_halted(jq)) {
			jv code = jq_get_exit_code(jq);
			jv m = jq_get_error_message(jq);

			jv_free(r);
			q->halted = 1;
			if (!jv_is_valid(code))
				q->halt_status = 0;
			else if (jv_get_kind(code) == JV_KIND_NUMBER)
				q->halt_status = (int)jv_number_value(code);
			else
				q->halt_status = 5;
			jv_free(code);
			sz_buf_reset(err);
			/* As jq prints it: a string raw, another value as
			 * JSON and a newline, null nothing. */
			if (jv_get_kind(m) == JV_KIND_STRING)
				sz_buf_add(err, jv_string_value(m),
				    (size_t)jv_string_length_bytes(jv_copy(m)));
			else if (jv_is_valid(m) &&
			    jv_get_kind(m) != JV_KIND_NULL) {
				if (sz_jq_dump(jv_copy(m), err) == 0)
					sz_buf_addc(err, '\n');
			}
			jv_free(m);
			return SZ_JQ_HALT;
		}
		if (jv_invalid_has_msg(jv_copy(r))) {
			jv m = jv_invalid_get_msg(r);

			if (stopped) {
				/* an error after the output that was kept */
				jv_free(m);
				return stopped;
			}
			if (jv_get_kind(m) == JV_KIND_STRING)
				sz_buf_add(err, jv_string_value(m),
				    (size_t)jv_string_length_bytes(jv_copy(m)));
			else {
				m = jv_dump_string(m, 0);
				sz_buf_adds(err, "(not a string): ");
				sz_buf_adds(err, jv_string_value(m));
			}
			jv_free(m);
			return SZ_JQ_ERROR;
		}
		jv_free(r);
		return stopped;
	}
}

jv
sz_jq_parse(const char *p, size_t n, sz_buf *scratch)
{
	return sz_jv_from_json(p, n, scratch);
}

int
sz_jq_dump(jv v, sz_buf *b)
{
	int rc = sz_jv_dump(v, b);

	jv_free(v);
	return rc;
}

int
sz_jq_truthy(jv v)
{
	jv_kind k = jv_get_kind(v);

	return k != JV_KIND_FALSE && k != JV_KIND_NULL;
}
