/* SPDX-License-Identifier: MIT */
/* expr.c - simple jq expressions on raw bytes, libjq for the rest; see expr.h. */
#include <dlfcn.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <oniguruma.h>

#include "jq/expr.h"
#include "jq/jvtext.h"
#include "json/str.h"

/* ---- the plan ------------------------------------------------------ */

/*
 * A plan is zero or more N_SELECT stages, each holding its predicate in
 * `a` and the rest of the pipeline in `b`, then one body: a predicate
 * (N_PATH, N_LIT, N_CMP, N_AND, N_OR, N_NOT) or an N_PROJECT. A program
 * that ends with select has the body `.` (an N_PATH without steps).
 */
enum { N_PATH, N_LIT, N_CMP, N_AND, N_OR, N_NOT, N_PROJECT, N_SELECT,
    N_ARITH, N_ALT, N_IF, N_FUNC, N_INTERP, N_DEL, N_UPDATE };
enum { C_EQ, C_NE, C_LT, C_LE, C_GT, C_GE };
enum { F_LENGTH, F_TOSTRING, F_TONUMBER, F_DOWNCASE, F_UPCASE, F_HAS,
    F_TEST, F_SPLIT, F_JOIN, F_KEYS, F_KEYS_UNSORTED };

/* An answer of evaluation besides SZ_EXPR_*: the plan cannot answer this
 * record exactly, libjq does. */
#define FALLBACK (-2)

struct field {
	char *name;		/* decoded key (N_INTERP: the text before val) */
	size_t namelen;
	sz_node *val;		/* its value (N_DEL, N_INTERP's last: NULL) */
};

/*
 * N_ARITH: a cmp b (cmp is '+', '-', '*' or '/'); N_ALT: a // b; N_IF:
 * if a then b else c end; N_FUNC: fn applied to a's output (argument, a
 * literal, in lit); N_INTERP: f[i].name then f[i].val in turn; N_DEL: the
 * input without the keys f[i].name; N_UPDATE: `.steps[0] cmp= a`.
 */
struct sz_node {
	int op;
	int cmp;
	int fn;
	sz_node *a, *b, *c;
	sz_step *steps;		/* N_PATH */
	size_t nsteps;
	char *lit;		/* N_LIT: compact JSON text; N_FUNC: argument,
				   decoded (N_FUNC F_HAS, F_TEST, F_SPLIT,
				   F_JOIN) */
	size_t litn;
	struct field *f;	/* N_PROJECT, N_INTERP, N_DEL */
	size_t nf;
	OnigRegex re;		/* N_FUNC F_TEST: lit compiled */
};

/*
 * Oniguruma, as libjq 1.6 uses it for test/2: jq's ONIG_SYNTAX_PERL_NT,
 * which is OnigSyntaxPerl_NG in Oniguruma 6 (the symbol Debian's libjq
 * refers to), UTF-8, ONIG_OPTION_CAPTURE_GROUP and the modifiers' options. libjq brings
 * libonig into the process; it is not linked into the tools themselves
 * (libonig has its own regcomp and regexec, which would take libc's
 * place: see configure.ac), so its functions are looked up once, at run
 * time. Without them (a libjq built without Oniguruma) test has no plan.
 */
static struct {
	int (*new_)(OnigRegex *, const OnigUChar *, const OnigUChar *,
	    OnigOptionType, OnigEncoding, OnigSyntaxType *, OnigErrorInfo *);
	int (*search)(OnigRegex, const OnigUChar *, const OnigUChar *,
	    const OnigUChar *, const OnigUChar *, OnigRegion *,
	    OnigOptionType);
	void (*free_)(OnigRegex);
	OnigEncoding utf8;
	OnigSyntaxType *perl_ng;
	int ok;
} onig;
static pthread_once_t onig_once = PTHREAD_ONCE_INIT;

static void
onig_load(void)
{
	int (*init)(OnigEncoding *, int);

	*(void **)&onig.new_ = dlsym(RTLD_DEFAULT, "onig_new");
	*(void **)&onig.search = dlsym(RTLD_DEFAULT, "onig_search");
	*(void **)&onig.free_ = dlsym(RTLD_DEFAULT, "onig_free");
	*(void **)&init = dlsym(RTLD_DEFAULT, "onig_initialize");
	onig.utf8 = dlsym(RTLD_DEFAULT, "OnigEncodingUTF8");
	onig.perl_ng = dlsym(RTLD_DEFAULT, "OnigSyntaxPerl_NG");
	if (onig.new_ == NULL || onig.search == NULL || onig.free_ == NULL ||
	    init == NULL || onig.utf8 == NULL || onig.perl_ng == NULL)
		return;
	/* once, here: onig_new would do it unasked, in whichever thread
	 * came first */
	onig.ok = init(&onig.utf8, 1) == ONIG_NORMAL;
}

/* Compile the regex s[0..n) with jq's modifier letters m[0..mn) (m NULL:
 * none); NULL when jq would refuse them (its error is libjq's to give)
 * or Oniguruma is not there. */
static OnigRegex
regex_new(const char *s, size_t n, const char *m, size_t mn)
{
	OnigOptionType opt = ONIG_OPTION_CAPTURE_GROUP;
	OnigErrorInfo ei;
	OnigRegex re;

	if (pthread_once(&onig_once, onig_load) != 0 || !onig.ok)
		return NULL;
	for (size_t i = 0; m != NULL && i < mn; i++)
		switch (m[i]) {
		case 'g': break;	/* test stops at the first match */
		case 'i': opt |= ONIG_OPTION_IGNORECASE; break;
		case 'x': opt |= ONIG_OPTION_EXTEND; break;
		case 'n': opt |= ONIG_OPTION_FIND_NOT_EMPTY; break;
		case 's': opt |= ONIG_OPTION_SINGLELINE; break;
		case 'p': opt |= ONIG_OPTION_MULTILINE |
		    ONIG_OPTION_SINGLELINE; break;
		case 'l': opt |= ONIG_OPTION_FIND_LONGEST; break;
		default: return NULL;
		}
	if (onig.new_(&re, (const OnigUChar *)s, (const OnigUChar *)s + n,
	    opt, onig.utf8, onig.perl_ng, &ei) != ONIG_NORMAL)
		return NULL;
	return re;
}

static void
node_free(sz_node *n)
{
	if (n == NULL)
		return;
	node_free(n->a);
	node_free(n->b);
	node_free(n->c);
	for (size_t i = 0; i < n->nsteps; i++)
		free((char *)n->steps[i].key);
	free(n->steps);
	free(n->lit);
	for (size_t i = 0; i < n->nf; i++) {
		free(n->f[i].name);
		node_free(n->f[i].val);
	}
	free(n->f);
	if (n->re != NULL)
		onig.free_(n->re);
	free(n);
}

/* ---- a small parser for the simple forms --------------------------- */

typedef struct parser {
	const char *s, *end;
	int depth;
	int bad;		/* not a simple form (or out of memory) */
} parser;

/* jq 1.6's white space: space, tab and newline (a CR is an invalid
 * character there, and a program with a plan must be one jq accepts). */
static void
skipws(parser *p)
{
	while (p->s < p->end && (*p->s == ' ' || *p->s == '\t' ||
	    *p->s == '\n'))
		p->s++;
}

static int
is_ident0(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

static int
is_ident(char c)
{
	return is_ident0(c) || (c >= '0' && c <= '9');
}

/* Match a keyword or punctuation (keywords must not run into a name). */
static int
accept(parser *p, const char *tok)
{
	size_t n = strlen(tok);

	skipws(p);
	if ((size_t)(p->end - p->s) < n || memcmp(p->s, tok, n) != 0)
		return 0;
	if (is_ident0(tok[0]) && p->s + n < p->end && is_ident(p->s[n]))
		return 0;
	p->s += n;
	return 1;
}

static sz_node *
new_node(parser *p, int op)
{
	sz_node *n = calloc(1, sizeof(*n));

	if (n == NULL)
		p->bad = 1;
	else
		n->op = op;
	return n;
}

/* A JSON string literal at p->s (no jq interpolation): its length. */
static size_t
string_len(parser *p)
{
	const char *q = p->s + 1;

	while (q < p->end && *q != '"') {
		if (*q == '\\') {
			if (q + 1 < p->end && q[1] == '(')
				return 0;	/* interpolation */
			q++;
		}
		q++;
	}
	if (q >= p->end)
		return 0;
	q++;
	if (sz_json_validate(p->s, (size_t)(q - p->s), NULL, NULL) < 0)
		return 0;
	return (size_t)(q - p->s);
}

/* Decode a string literal at p->s into a new NUL-terminated key. */
static char *
take_string(parser *p, size_t *len)
{
	size_t n = string_len(p);
	sz_buf b = SZ_BUF_INIT;

	if (n == 0 || sz_json_unescape(p->s, n, &b) < 0 || sz_buf_reserve(&b, 1)) {
		sz_buf_free(&b);
		p->bad = 1;
		return NULL;
	}
	p->s += n;
	*len = b.len;
	if (b.p == NULL)
		return strdup("");
	return b.p;
}

static int
add_step(parser *p, sz_node *n, sz_step st)
{
	sz_step *ns = realloc(n->steps, (n->nsteps + 1) * sizeof(*ns));

	if (ns == NULL) {
		free((char *)st.key);
		p->bad = 1;
		return -1;
	}
	n->steps = ns;
	n->steps[n->nsteps++] = st;
	return 0;
}

/*
 * Does jq 1.6's lexer read the dot and the name at b (n bytes) as a
 * number? Its numeric literal may be a dot and an exponent: `.e3` and
 * `.e+3` are (invalid) numbers there, not the key e3 or `.e + 3`, when the
 * exponent is at least as long as the name (`.e3x` is the key e3x).
 */
static int
number_after_dot(const char *b, const char *end, size_t n)
{
	const char *s = b + 1;

	if (*b != 'e' && *b != 'E')
		return 0;
	if (s < end && (*s == '+' || *s == '-'))
		s++;
	if (s == end || *s < '0' || *s > '9')
		return 0;
	while (s < end && *s >= '0' && *s <= '9')
		s++;
	return (size_t)(s - b) >= n;
}

/* One step after its dot (or a bracket): a name, "name", [N], ["name"].
 * Returns 1 for a step, 0 when nothing step-like is here. */
static int
parse_step(parser *p, sz_node *n)
{
	sz_step st;

	memset(&st, 0, sizeof(st));
	if (p->s >= p->end)
		return 0;
	if (is_ident0(*p->s)) {
		const char *b = p->s;

		while (p->s < p->end && is_ident(*p->s))
			p->s++;
		if (number_after_dot(b, p->end, (size_t)(p->s - b))) {
			p->bad = 1;
			return 0;
		}
		st.kind = SZ_STEP_KEY;
		st.keylen = (size_t)(p->s - b);
		if ((st.key = strndup(b, st.keylen)) == NULL) {
			p->bad = 1;
			return 0;
		}
	} else if (*p->s == '"') {
		st.kind = SZ_STEP_KEY;
		if ((st.key = take_string(p, &st.keylen)) == NULL)
			return 0;
	} else if (*p->s == '[') {
		p->s++;
		skipws(p);
		if (p->s < p->end && *p->s == '"') {
			st.kind = SZ_STEP_KEY;
			if ((st.key = take_string(p, &st.keylen)) == NULL)
				return 0;
		} else {
			const char *b = p->s;

			if (p->s < p->end && *p->s == '-')
				p->s++;
			while (p->s < p->end && *p->s >= '0' && *p->s <= '9')
				p->s++;
			if (p->s == b || (p->s == b + 1 && *b == '-') ||
			    p->s - b > 15) {
				p->bad = 1;
				return 0;
			}
			st.kind = SZ_STEP_INDEX;
			st.index = strtoll(b, NULL, 10);
		}
		skipws(p);
		if (p->s >= p->end || *p->s != ']') {
			free((char *)st.key);
			p->bad = 1;
			return 0;
		}
		p->s++;
	} else
		return 0;
	if (add_step(p, n, st) < 0)
		return 0;
	/* `?`, `[]` and slices are not simple */
	if (p->s < p->end && (*p->s == '?' ||
	    (*p->s == '[' && p->s + 1 < p->end && p->s[1] == ']')))
		p->bad = 1;
	return !p->bad;
}

/* A path: `.`, or `.` followed by steps (`.a`, `."a"`, `.[0]`, `[0]`). */
static sz_node *
parse_path(parser *p)
{
	sz_node *n;

	skipws(p);
	if (p->s >= p->end || *p->s != '.')
		return NULL;
	if ((n = new_node(p, N_PATH)) == NULL)
		return NULL;
	p->s++;
	if (!parse_step(p, n))
		return n;	/* `.` alone (or bad, flagged) */
	for (;;) {
		/* jq 1.6 has no `.a.[0]`: a bracket follows directly */
		if (p->s + 1 < p->end && p->s[0] == '.' &&
		    (is_ident0(p->s[1]) || p->s[1] == '"'))
			p->s++;
		else if (!(p->s < p->end && p->s[0] == '['))
			break;
		if (!parse_step(p, n)) {
			p->bad = 1;
			break;
		}
	}
	return n;
}

/* A literal: JSON number (with jq's unary minus), string, true, false,
 * null. */
static sz_node *
parse_literal(parser *p)
{
	const char *b;
	sz_node *n;
	sz_buf t = SZ_BUF_INIT;

	skipws(p);
	if (p->s >= p->end)
		return NULL;
	b = p->s;
	if (accept(p, "true") || accept(p, "false") || accept(p, "null")) {
	} else if (*p->s == '"') {
		size_t k = string_len(p);

		if (k == 0)
			return NULL;
		p->s += k;
	} else {
		const char *q = p->s;

		if (*q == '-')
			q++;
		if (q >= p->end || *q < '0' || *q > '9')
			return NULL;
		while (q < p->end && ((*q >= '0' && *q <= '9') || *q == '.' ||
		    *q == 'e' || *q == 'E' || *q == '+' ||
		    (*q == '-' && (q[-1] == 'e' || q[-1] == 'E'))))
			q++;
		if (sz_json_validate(p->s, (size_t)(q - p->s), NULL, NULL) < 0)
			return NULL;
		p->s = q;
	}
	if ((n = new_node(p, N_LIT)) == NULL)
		return NULL;
	if (sz_json_compact(b, (size_t)(p->s - b), &t) < 0 ||
	    sz_buf_reserve(&t, 1) < 0) {
		sz_buf_free(&t);
		p->bad = 1;
		return n;
	}
	n->lit = t.p;
	n->litn = t.len;
	return n;
}

static sz_node *parse_pipe(parser *p);

/* An operator that is not the start of a longer one (`+` of `+=`, `/`
 * of `//` or `/=`, `|` of `|=`). */
static int
accept_op(parser *p, const char *tok)
{
	size_t n = strlen(tok);

	skipws(p);
	if ((size_t)(p->end - p->s) < n || memcmp(p->s, tok, n) != 0)
		return 0;
	if (p->s + n < p->end && (p->s[n] == '=' ||
	    (tok[n - 1] == '/' && p->s[n] == '/')))
		return 0;
	p->s += n;
	return 1;
}

/* A string literal argument of a function: `("text")`, decoded (for
 * test, without the `)`: a second argument may follow). */
static int
parse_arg(parser *p, sz_node *n)
{
	if (!accept(p, "(")) {
		p->bad = 1;
		return -1;
	}
	skipws(p);
	if (p->s >= p->end || *p->s != '"' ||
	    (n->lit = take_string(p, &n->litn)) == NULL ||
	    (n->fn != F_TEST && !accept(p, ")"))) {
		p->bad = 1;
		return -1;
	}
	return 0;
}

/* A function of the input: length, tostring, tonumber, ascii_downcase,
 * ascii_upcase, keys, has("k"), test("text"), split("s"), join("s").
 * NULL when none is here. */
static sz_node *
parse_func(parser *p, sz_node *in)
{
	static const struct { const char *t; int fn, arg; } fns[] = {
		{ "length", F_LENGTH, 0 }, { "tostring", F_TOSTRING, 0 },
		{ "tonumber", F_TONUMBER, 0 },
		{ "ascii_downcase", F_DOWNCASE, 0 },
		{ "ascii_upcase", F_UPCASE, 0 },
		{ "keys_unsorted", F_KEYS_UNSORTED, 0 }, { "keys", F_KEYS, 0 },
		{ "has", F_HAS, 1 }, { "test", F_TEST, 1 },
		{ "split", F_SPLIT, 1 }, { "join", F_JOIN, 1 },
	};
	sz_node *n;

	for (size_t i = 0; i < sizeof(fns) / sizeof(fns[0]); i++) {
		if (!accept(p, fns[i].t))
			continue;
		if ((n = new_node(p, N_FUNC)) == NULL)
			return NULL;
		n->fn = fns[i].fn;
		n->a = in;
		if (fns[i].arg && parse_arg(p, n) < 0)
			return n;
		if (!fns[i].arg) {
			skipws(p);
			if (p->s < p->end && *p->s == '(')
				p->bad = 1;
		}
		if (n->fn == F_TEST && !p->bad) {
			/* test("re") or test("re"; "flags"), both literals */
			char *m = NULL;
			size_t mn = 0;

			if (accept(p, ";")) {
				skipws(p);
				if (p->s >= p->end || *p->s != '"' ||
				    (m = take_string(p, &mn)) == NULL)
					p->bad = 1;
			}
			if (!p->bad && !accept(p, ")"))
				p->bad = 1;
			if (!p->bad && (n->re = regex_new(n->lit, n->litn, m,
			    mn)) == NULL)
				p->bad = 1;
			free(m);
		}
		return n;
	}
	return NULL;
}

/* Decode the text of a string literal's piece s[0..n) (no quotes). */
static char *
take_piece(parser *p, const char *s, size_t n, size_t *len)
{
	sz_buf q = SZ_BUF_INIT, b = SZ_BUF_INIT;

	if (sz_buf_addc(&q, '"') < 0 || sz_buf_add(&q, s, n) < 0 ||
	    sz_buf_addc(&q, '"') < 0 ||
	    sz_json_validate(q.p, q.len, NULL, NULL) < 0 ||
	    sz_json_unescape(q.p, q.len, &b) < 0 || sz_buf_reserve(&b, 1) < 0) {
		sz_buf_free(&q);
		sz_buf_free(&b);
		p->bad = 1;
		return NULL;
	}
	sz_buf_free(&q);
	*len = b.len;
	if (b.p == NULL)
		return strdup("");
	return b.p;
}

/* A string with interpolations: "text \(pipe) text". */
static sz_node *
parse_interp(parser *p)
{
	sz_node *n = new_node(p, N_INTERP);
	const char *b;

	if (n == NULL)
		return NULL;
	b = ++p->s;
	for (;;) {
		struct field f = { NULL, 0, NULL }, *nf;
		int last = 0;

		while (p->s < p->end && *p->s != '"' &&
		    !(*p->s == '\\' && p->s + 1 < p->end && p->s[1] == '('))
			p->s += *p->s == '\\' && p->s + 1 < p->end ? 2 : 1;
		if (p->s >= p->end) {
			p->bad = 1;
			return n;
		}
		if ((f.name = take_piece(p, b, (size_t)(p->s - b),
		    &f.namelen)) == NULL)
			return n;
		if (*p->s == '"') {
			p->s++;
			last = 1;
		} else {
			p->s += 2;
			f.val = parse_pipe(p);
			if (p->bad || f.val == NULL || !accept(p, ")"))
				p->bad = 1;
			b = p->s;
		}
		nf = realloc(n->f, (n->nf + 1) * sizeof(*nf));
		if (nf == NULL) {
			free(f.name);
			node_free(f.val);
			p->bad = 1;
			return n;
		}
		n->f = nf;
		n->f[n->nf++] = f;
		if (last || p->bad)
			return n;
	}
}

static sz_node *
parse_if(parser *p)
{
	sz_node *n = new_node(p, N_IF);

	if (n == NULL)
		return NULL;
	n->a = parse_pipe(p);
	if (p->bad || !accept(p, "then")) {
		p->bad = 1;
		return n;
	}
	n->b = parse_pipe(p);
	if (p->bad)
		return n;
	if (accept(p, "elif"))
		n->c = parse_if(p);	/* its `end` is this one's */
	else if (accept(p, "else")) {
		n->c = parse_pipe(p);
		if (!p->bad && !accept(p, "end"))
			p->bad = 1;
	} else
		p->bad = 1;
	if (n->c == NULL)
		p->bad = 1;
	return n;
}

/* Is the keyword kw next? (Nothing is consumed.) */
static int
peek(parser *p, const char *kw)
{
	const char *s = p->s;
	int k = accept(p, kw);

	p->s = s;
	return k;
}

static sz_node *
parse_primary(parser *p)
{
	sz_node *n;

	if (++p->depth > 64) {
		p->bad = 1;
		return NULL;
	}
	skipws(p);
	if (accept(p, "(")) {
		n = parse_pipe(p);
		if (!accept(p, ")"))
			p->bad = 1;
	} else if (p->s < p->end && *p->s == '.')
		n = parse_path(p);
	else if (accept(p, "if"))
		n = parse_if(p);
	else if (p->s < p->end && *p->s == '"' && string_len(p) == 0)
		n = parse_interp(p);
	else if (p->s < p->end && is_ident0(*p->s) && !peek(p, "true") &&
	    !peek(p, "false") && !peek(p, "null")) {
		sz_node *dot = new_node(p, N_PATH);

		if ((n = parse_func(p, dot)) == NULL)
			node_free(dot);
	} else
		n = parse_literal(p);
	if (n == NULL)
		p->bad = 1;
	p->depth--;
	return n;
}

/* Made of literals alone (jq 1.6 folds such operands while parsing)? */
static int
constant(const sz_node *n)
{
	if (n == NULL)
		return 0;
	if (n->op == N_LIT)
		return 1;
	return (n->op == N_ARITH || n->op == N_CMP) && constant(n->a) &&
	    constant(n->b);
}

/* `a * b`, `a / b` (left to right), then `+` and `-` over them. */
static sz_node *
parse_arith(parser *p, int add)
{
	sz_node *a = add ? parse_arith(p, 0) : parse_primary(p), *n;

	while (!p->bad) {
		int op;

		if (add && accept_op(p, "+"))
			op = '+';
		else if (add && accept_op(p, "-"))
			op = '-';
		else if (!add && accept_op(p, "*"))
			op = '*';
		else if (!add && accept_op(p, "/"))
			op = '/';
		else
			break;
		if ((n = new_node(p, N_ARITH)) == NULL)
			return a;
		n->cmp = op;
		n->a = a;
		n->b = add ? parse_arith(p, 0) : parse_primary(p);
		/*
		 * jq 1.6 computes `1 / 0` (and `(1 + 2) / 0`, `1e400 / 1`)
		 * while compiling and refuses a quotient that is infinite
		 * ("Division by zero?"); 0 / 0 it folds to NaN. Left to
		 * libjq, which also compiles the program at start.
		 */
		if (op == '/' && constant(n->a) && constant(n->b))
			p->bad = 1;
		a = n;
	}
	return a;
}

static sz_node *
parse_cmp(parser *p)
{
	static const struct { const char *t; int c; } ops[] = {
		{ "==", C_EQ }, { "!=", C_NE }, { "<=", C_LE },
		{ ">=", C_GE }, { "<", C_LT }, { ">", C_GT },
	};
	sz_node *a = parse_arith(p, 1), *n;

	if (p->bad)
		return a;
	for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++)
		if (accept(p, ops[i].t)) {
			if ((n = new_node(p, N_CMP)) == NULL)
				return a;
			n->cmp = ops[i].c;
			n->a = a;
			n->b = parse_arith(p, 1);
			return n;
		}
	return a;
}

static sz_node *
parse_bool(parser *p, const char *kw, int op, sz_node *(*sub)(parser *))
{
	sz_node *a = sub(p), *n;

	while (!p->bad && accept(p, kw)) {
		if ((n = new_node(p, op)) == NULL)
			return a;
		n->a = a;
		n->b = sub(p);
		a = n;
	}
	return a;
}

static sz_node *
parse_and(parser *p)
{
	return parse_bool(p, "and", N_AND, parse_cmp);
}

static sz_node *
parse_or(parser *p)
{
	return parse_bool(p, "or", N_OR, parse_and);
}

/* `a // b`: below `or`, right associative, as in jq. */
static sz_node *
parse_alt(parser *p)
{
	sz_node *a = parse_or(p), *n;

	if (p->bad || !accept_op(p, "//"))
		return a;
	if ((n = new_node(p, N_ALT)) == NULL)
		return a;
	n->a = a;
	n->b = parse_alt(p);
	return n;
}

/* After a: `| f | ...`, each f `not` or a function of its input. */
static sz_node *
parse_pipe_rest(parser *p, sz_node *a)
{
	sz_node *n;

	while (!p->bad && accept_op(p, "|")) {
		if (accept(p, "not")) {
			if ((n = new_node(p, N_NOT)) == NULL)
				break;
			n->a = a;
		} else if ((n = parse_func(p, a)) == NULL) {
			p->bad = 1;
			break;
		}
		a = n;
	}
	return a;
}

/* `e | f | ...`, each f `not` or a function of its input. */
static sz_node *
parse_pipe(parser *p)
{
	return parse_pipe_rest(p, parse_alt(p));
}

/*
 * An object's value in jq 1.6's grammar (ExpD): a term (no operators, no
 * `if`, which is not a term in 1.6) then `| f` ..., as in `{a: .b |
 * length}`; `{a: .b + 1}` is a syntax error there, `{a: (.b + 1)}` not.
 */
static sz_node *
parse_expd(parser *p)
{
	if (peek(p, "if")) {
		p->bad = 1;
		return NULL;
	}
	return parse_pipe_rest(p, parse_primary(p));
}

/* jq 1.6's keywords: `{if: 1}` is an object, `{if}` a syntax error. */
static int
is_keyword(const char *s, size_t n)
{
	static const char *const kw[] = { "as", "def", "module", "import",
		"include", "if", "then", "elif", "else", "end", "and", "or",
		"reduce", "foreach", "try", "catch", "label", "break",
		"__loc__" };

	for (size_t i = 0; i < sizeof(kw) / sizeof(kw[0]); i++)
		if (strlen(kw[i]) == n && memcmp(kw[i], s, n) == 0)
			return 1;
	return 0;
}

/* A field's name: name or "name" (NULL and p->bad otherwise). */
static char *
take_name(parser *p, size_t *len)
{
	char *s = NULL;

	skipws(p);
	if (p->s < p->end && is_ident0(*p->s)) {
		const char *b = p->s;

		while (p->s < p->end && is_ident(*p->s))
			p->s++;
		*len = (size_t)(p->s - b);
		if ((s = strndup(b, *len)) == NULL)
			p->bad = 1;
	} else if (p->s < p->end && *p->s == '"')
		s = take_string(p, len);
	else
		p->bad = 1;
	return s;
}

/* `{name, name: value, "name": value}` with distinct names. */
static sz_node *
parse_project(parser *p)
{
	sz_node *n;

	if (!accept(p, "{") || (n = new_node(p, N_PROJECT)) == NULL)
		return NULL;
	do {
		struct field f = { NULL, 0, NULL };
		struct field *nf;
		int quoted;

		skipws(p);
		quoted = p->s < p->end && *p->s == '"';
		f.name = take_name(p, &f.namelen);
		if (p->bad) {
			free(f.name);
			break;
		}
		for (size_t i = 0; i < n->nf; i++)
			if (n->f[i].namelen == f.namelen &&
			    memcmp(n->f[i].name, f.name, f.namelen) == 0)
				p->bad = 1;
		if (accept(p, ":")) {
			f.val = parse_expd(p);
			if (f.val == NULL)
				p->bad = 1;
		} else if (!quoted && is_keyword(f.name, f.namelen)) {
			p->bad = 1;
		} else if (f.name[0] != '\0' || f.namelen == 0) {
			/* `{name}` is `{name: .name}` */
			sz_step st = { SZ_STEP_KEY, NULL, f.namelen, 0 };

			if ((f.val = new_node(p, N_PATH)) != NULL &&
			    (st.key = strndup(f.name, f.namelen)) != NULL)
				add_step(p, f.val, st);
			else
				p->bad = 1;
		}
		nf = realloc(n->f, (n->nf + 1) * sizeof(*nf));
		if (nf == NULL) {
			free(f.name);
			node_free(f.val);
			p->bad = 1;
			break;
		}
		n->f = nf;
		n->f[n->nf++] = f;
	} while (!p->bad && accept(p, ","));
	if (!p->bad && !accept(p, "}"))
		p->bad = 1;
	return n;
}

/* `del(.a, .b, ...)`: top-level keys only. */
static sz_node *
parse_del(parser *p)
{
	sz_node *n = new_node(p, N_DEL);

	if (n == NULL || !accept(p, "(")) {
		p->bad = 1;
		return n;
	}
	do {
		sz_node *k = parse_path(p);
		struct field f = { NULL, 0, NULL }, *nf;

		if (k == NULL || k->nsteps != 1 ||
		    k->steps[0].kind != SZ_STEP_KEY) {
			node_free(k);
			p->bad = 1;
			return n;
		}
		f.name = (char *)k->steps[0].key;
		f.namelen = k->steps[0].keylen;
		k->steps[0].key = NULL;
		node_free(k);
		nf = realloc(n->f, (n->nf + 1) * sizeof(*nf));
		if (nf == NULL) {
			free(f.name);
			p->bad = 1;
			return n;
		}
		n->f = nf;
		n->f[n->nf++] = f;
	} while (!p->bad && accept(p, ","));
	if (!p->bad && !accept(p, ")"))
		p->bad = 1;
	return n;
}

/* `.name += value` (also -=, *=, /=): or NULL, p->s unmoved. */
static sz_node *
parse_update(parser *p)
{
	static const char *const ops[] = { "+=", "-=", "*=", "/=" };
	const char *save = p->s;
	parser q = *p;
	sz_node *k = parse_path(&q), *n;

	if (k == NULL || q.bad || k->nsteps != 1 ||
	    k->steps[0].kind != SZ_STEP_KEY) {
		node_free(k);
		p->s = save;
		return NULL;
	}
	for (size_t i = 0; i < 4; i++)
		if (accept(&q, ops[i])) {
			if ((n = new_node(p, N_UPDATE)) == NULL) {
				node_free(k);
				return NULL;
			}
			n->cmp = ops[i][0];
			n->steps = k->steps;
			n->nsteps = 1;
			k->steps = NULL;
			k->nsteps = 0;
			node_free(k);
			p->s = q.s;
			/* `.a += x // y` is `(.a += x) // y` in jq */
			n->a = parse_or(p);
			return n;
		}
	node_free(k);
	p->s = save;
	return NULL;
}

static int
is_pred(const sz_node *n)
{
	return n->op == N_CMP || n->op == N_AND || n->op == N_OR ||
	    n->op == N_NOT || n->op == N_LIT;
}

/*
 * A program: `select(P) | ...` stages, then a projection, del(...), an
 * update or a value (a predicate among them); a program that ends with
 * `select(P)` ends with the body `.`. Sets *kind from the body. jq's
 * select is `if P then . else empty end`, and P, being one of the forms
 * here, has exactly one output, so the stage yields the input once or
 * nothing: the plan answers as jq does. select inside parentheses, in an
 * operand or in P is not planned.
 */
static sz_node *
parse_program(parser *p, int *kind)
{
	sz_node *n;

	if (++p->depth > 64) {
		p->bad = 1;
		return NULL;
	}
	skipws(p);
	if (accept(p, "select")) {
		if (!accept(p, "(") || (n = new_node(p, N_SELECT)) == NULL) {
			p->bad = 1;
			return NULL;
		}
		n->a = parse_pipe(p);
		if (p->bad || !accept(p, ")"))
			p->bad = 1;
		else if (accept_op(p, "|"))
			n->b = parse_program(p, kind);
		else {
			n->b = new_node(p, N_PATH);
			*kind = SZ_PLAN_PATH;
		}
		if (n->b == NULL)
			p->bad = 1;
	} else if (p->s < p->end && *p->s == '{') {
		n = parse_project(p);
		*kind = SZ_PLAN_PROJECT;
	} else if (accept(p, "del")) {
		n = parse_del(p);
		*kind = SZ_PLAN_VALUE;
	} else if ((n = parse_update(p)) != NULL) {
		*kind = SZ_PLAN_VALUE;
	} else {
		n = parse_pipe(p);
		*kind = n && n->op == N_PATH ? SZ_PLAN_PATH :
		    n && is_pred(n) ? SZ_PLAN_PRED : SZ_PLAN_VALUE;
	}
	p->depth--;
	return n;
}

/* Build a plan for src, or NULL when it is not a simple form. */
static sz_node *
plan(const char *src, int *kind)
{
	parser p = { src, src + strlen(src), 0, 0 };
	sz_node *n;

	if (strchr(src, '#') != NULL && strchr(src, '"') == NULL)
		return NULL;	/* jq comments */
	n = parse_program(&p, kind);
	skipws(&p);
	if (p.bad || p.s != p.end || n == NULL) {
		node_free(n);
		*kind = SZ_PLAN_NONE;
		return NULL;
	}
	return n;
}

/* ---- evaluation on raw bytes --------------------------------------- */

/*
 * A value: JSON text, a slice of the record or of a literal (off < 0), or
 * text the plan wrote at e->arena.p + off (the arena grows while a record
 * is evaluated, so a computed value is found by its offset).
 */
typedef struct val {
	const char *p;
	size_t n;
	long off;
} val;

static const char *
vp(const sz_expr *e, const val *v)
{
	return v->off < 0 ? v->p : e->arena.p + v->off;
}

static void
set(val *v, const char *p, size_t n)
{
	v->p = p;
	v->n = n;
	v->off = -1;
}

static sz_jtype
vtype(const sz_expr *e, const val *v)
{
	const char *p = vp(e, v);

	return sz_json_type(p, p + v->n);
}

static int
raw_error(sz_expr *e, const sz_step *st, sz_jtype t)
{
	sz_buf_reset(&e->err);
	if (st->kind == SZ_STEP_KEY && st->keylen < 30)
		sz_buf_printf(&e->err, "Cannot index %s with string \"%.*s\"",
		    sz_jtype_name(t), (int)st->keylen, st->key);
	else if (st->kind == SZ_STEP_KEY)	/* jq 1.6 names short keys only */
		sz_buf_printf(&e->err, "Cannot index %s with string",
		    sz_jtype_name(t));
	else
		sz_buf_printf(&e->err, "Cannot index %s with number",
		    sz_jtype_name(t));
	return SZ_EXPR_ERROR;
}

/* Memory ran out while evaluating: the error the entry points answer. */
static int
no_memory(sz_expr *e)
{
	sz_buf_reset(&e->err);
	sz_buf_adds(&e->err, "out of memory");
	return SZ_EXPR_ERROR;
}

/* Computed values, written to the arena as jq -c prints them. */
static int
put_num(sz_expr *e, double d, val *v)
{
	char b[SZ_JV_NUMBUF];
	size_t n = sz_jv_fmt_number(d, b);

	v->off = (long)e->arena.len;
	v->n = n;
	v->p = NULL;
	return sz_buf_add(&e->arena, b, n) < 0 ? no_memory(e) : 0;
}

static int
put_str(sz_expr *e, const char *s, size_t n, val *v)
{
	size_t mark = e->arena.len;

	if (sz_buf_add_jqstr(&e->arena, s, n) < 0)
		return no_memory(e);
	v->off = (long)mark;
	v->n = e->arena.len - mark;
	v->p = NULL;
	return 0;
}

/* The decoded bytes of the string value v appended to e->cat. */
static int
cat_str(sz_expr *e, const val *v)
{
	size_t n;
	const char *s = sz_jstr_decode(vp(e, v), v->n, &e->dec, &n);

	if (s == NULL || sz_buf_add(&e->cat, s, n) < 0)
		return no_memory(e);
	return 0;
}

/* The text jq's tostring gives a scalar, appended to e->cat; FALLBACK
 * for arrays and objects. */
static int
cat_text(sz_expr *e, const val *v)
{
	char b[SZ_JV_NUMBUF];
	size_t n;

	switch (vtype(e, v)) {
	case SZ_JSTRING:
		return cat_str(e, v);
	case SZ_JNUMBER:
		n = sz_jv_fmt_number(sz_json_num(vp(e, v), v->n), b);
		return sz_buf_add(&e->cat, b, n) < 0 ? no_memory(e) : 0;
	case SZ_JNULL:
	case SZ_JTRUE:
	case SZ_JFALSE:
		return sz_buf_add(&e->cat, vp(e, v), v->n) < 0 ?
		    no_memory(e) : 0;
	default:
		return FALLBACK;
	}
}

/* e->cat from mark on, as a string value; e->cat back to mark. */
static int
put_cat(sz_expr *e, size_t mark, val *v)
{
	int k = put_str(e, e->cat.p + mark, e->cat.len - mark, v);

	e->cat.len = mark;
	return k;
}

/* jq's order of kinds: null < false < true < numbers < strings < arrays
 * < objects. */
static int
rank(sz_jtype t)
{
	switch (t) {
	case SZ_JNULL: return 0;
	case SZ_JFALSE: return 1;
	case SZ_JTRUE: return 2;
	case SZ_JNUMBER: return 3;
	case SZ_JSTRING: return 4;
	case SZ_JARRAY: return 5;
	default: return 6;
	}
}

static int
truthy(const sz_expr *e, const val *v)
{
	const char *p = vp(e, v);

	return !(v->n == 4 && memcmp(p, "null", 4) == 0) &&
	    !(v->n == 5 && memcmp(p, "false", 5) == 0);
}

static int
boolean(val *v, int t)
{
	if (t)
		set(v, "true", 4);
	else
		set(v, "false", 5);
	return 0;
}

/*
 * Does the object o[0..n) (ix its index, or NULL) have two members of
 * the same name? 0 when surely not; 1 when it has or may have (names
 * with escapes, or too many members to look): jq keeps one of them.
 */
static int
has_dups(const char *o, size_t n, const sz_jindex *ix, size_t *count)
{
	sz_jmembers it, jt;
	size_t c = 0;

	sz_json_members(&it, o, n, ix);
	while (sz_json_members_next(&it)) {
		if (memchr(it.m.k, '\\', it.m.kn) != NULL || ++c > 64)
			return 1;
		jt = it;
		while (sz_json_members_next(&jt))
			if (jt.m.kn == it.m.kn &&
			    memcmp(jt.m.k, it.m.k, it.m.kn) == 0)
				return 1;
	}
	if (count != NULL)
		*count = c;
	return 0;
}

static int ev(sz_expr *e, const sz_node *n, const sz_rec *r, val *v);

/* A part of a computed value: its errors are answered by libjq (which of
 * two errors comes first is jq's business). */
static int
sub(sz_expr *e, const sz_node *n, const sz_rec *r, val *v)
{
	int k = ev(e, n, r, v);

	return k == SZ_EXPR_ERROR ? FALLBACK : k;
}

/* a op b for numbers, strings (+) and null (+); the rest is libjq's. */
static int
arith(sz_expr *e, int op, const val *a, const val *b, val *v)
{
	sz_jtype ta = vtype(e, a), tb = vtype(e, b);

	if (ta == SZ_JNUMBER && tb == SZ_JNUMBER) {
		double x = sz_json_num(vp(e, a), a->n);
		double y = sz_json_num(vp(e, b), b->n);

		switch (op) {
		case '+': return put_num(e, x + y, v);
		case '-': return put_num(e, x - y, v);
		case '*': return put_num(e, x * y, v);
		default:
			if (y == 0)
				return FALLBACK;	/* jq's error */
			return put_num(e, x / y, v);
		}
	}
	if (op != '+')
		return FALLBACK;
	if (ta == SZ_JNULL) {
		*v = *b;
		return 0;
	}
	if (tb == SZ_JNULL) {
		*v = *a;
		return 0;
	}
	if (ta == SZ_JSTRING && tb == SZ_JSTRING) {
		size_t mark = e->cat.len;
		int k;

		if ((k = cat_str(e, a)) < 0 || (k = cat_str(e, b)) < 0) {
			e->cat.len = mark;
			return k;
		}
		return put_cat(e, mark, v);
	}
	return FALLBACK;
}

/* Count the elements of the array a[0..n). */
static size_t
count_elements(const char *a, size_t n)
{
	const char *s = a, *end = a + n;
	size_t c = 0;

	s = sz_json_ws(s + 1, end);
	if (s < end && *s == ']')
		return 0;
	while (s < end) {
		c++;
		s = sz_json_ws(sz_json_skip(s, end), end);
		if (s >= end || *s != ',')
			break;
		s++;
	}
	return c;
}

static int
is_record(const sz_rec *r, const char *p)
{
	const char *q = r->p;
	size_t n = r->n;

	sz_json_trim(&q, &n);
	return p == q;
}

/* A name of an object, decoded into e->cat. */
struct key {
	size_t off, n;
};

/* jq's order of strings: bytes, then length. */
static int
key_cmp(const char *base, const struct key *x, const struct key *y)
{
	int c = memcmp(base + x->off, base + y->off,
	    x->n < y->n ? x->n : y->n);

	return c != 0 ? c : x->n < y->n ? -1 : x->n > y->n;
}

/*
 * keys (sorted as jq sorts strings) and keys_unsorted (jq's member order:
 * the first place of each name) of an object, and the indexes of an
 * array; other inputs (jq's error) and objects of more than 64 members
 * are libjq's.
 */
static int
keys(sz_expr *e, int sorted, const sz_rec *r, const val *in, val *v)
{
	struct key ks[64];
	const char *p = vp(e, in);
	sz_jtype t = vtype(e, in);
	size_t mark = e->cat.len, nk = 0;
	sz_jmembers it;
	int rc = 0;

	if (t == SZ_JARRAY) {
		size_t c = count_elements(p, in->n);
		char b[24];

		v->off = (long)e->arena.len;
		v->p = NULL;
		rc |= sz_buf_addc(&e->arena, '[');
		for (size_t i = 0; i < c; i++) {
			int k = snprintf(b, sizeof(b), "%s%zu", i ? "," : "",
			    i);

			rc |= sz_buf_add(&e->arena, b, (size_t)k);
		}
		rc |= sz_buf_addc(&e->arena, ']');
		if (rc)
			return no_memory(e);
		v->n = e->arena.len - (size_t)v->off;
		return 0;
	}
	if (t != SZ_JOBJECT)
		return FALLBACK;
	sz_json_members(&it, p, in->n, is_record(r, p) ? r->ix : NULL);
	while (sz_json_members_next(&it)) {
		size_t len, j;
		const char *k = sz_jmember_name(&it.m, &e->dec, &len);

		if (k == NULL)
			return no_memory(e);
		for (j = 0; j < nk; j++)
			if (ks[j].n == len && memcmp(e->cat.p + ks[j].off, k,
			    len) == 0)
				break;
		if (j < nk)
			continue;	/* a name again: its first place */
		if (nk == sizeof(ks) / sizeof(ks[0])) {
			e->cat.len = mark;
			return FALLBACK;
		}
		ks[nk].off = e->cat.len;
		ks[nk].n = len;
		if (sz_buf_add(&e->cat, k, len) < 0) {
			e->cat.len = mark;
			return no_memory(e);
		}
		nk++;
	}
	for (size_t i = 1; sorted && i < nk; i++) {
		struct key x = ks[i];
		size_t j = i;

		for (; j > 0 && key_cmp(e->cat.p, &x, &ks[j - 1]) < 0; j--)
			ks[j] = ks[j - 1];
		ks[j] = x;
	}
	v->off = (long)e->arena.len;
	v->p = NULL;
	rc |= sz_buf_addc(&e->arena, '[');
	for (size_t i = 0; i < nk; i++) {
		if (i > 0)
			rc |= sz_buf_addc(&e->arena, ',');
		rc |= sz_buf_add_jqstr(&e->arena, e->cat.p + ks[i].off,
		    ks[i].n);
	}
	rc |= sz_buf_addc(&e->arena, ']');
	e->cat.len = mark;
	if (rc)
		return no_memory(e);
	v->n = e->arena.len - (size_t)v->off;
	return 0;
}

static int
func(sz_expr *e, const sz_node *n, const sz_rec *r, const val *in, val *v)
{
	sz_jtype t = vtype(e, in);
	const char *p = vp(e, in), *s;
	size_t mark = e->cat.len, len, c;
	int k;

	switch (n->fn) {
	case F_LENGTH:
		if (t == SZ_JNULL)
			return put_num(e, 0, v);
		if (t == SZ_JNUMBER) {
			double d = sz_json_num(p, in->n);

			return put_num(e, d < 0 ? -d : d, v);
		}
		if (t == SZ_JARRAY)
			return put_num(e, (double)count_elements(p, in->n), v);
		if (t == SZ_JOBJECT) {
			if (has_dups(p, in->n, is_record(r, p) ? r->ix : NULL,
			    &c))
				return FALLBACK;
			return put_num(e, (double)c, v);
		}
		if (t != SZ_JSTRING ||
		    (s = sz_jstr_decode(p, in->n, &e->dec, &len)) == NULL)
			return FALLBACK;
		c = 0;
		for (size_t i = 0; i < len; i++)
			c += ((unsigned char)s[i] & 0xC0) != 0x80;
		return put_num(e, (double)c, v);
	case F_TOSTRING:
		if (t == SZ_JSTRING) {
			*v = *in;
			return 0;
		}
		if ((k = cat_text(e, in)) < 0)
			return k;
		return put_cat(e, mark, v);
	case F_TONUMBER:
		if (t == SZ_JNUMBER) {
			*v = *in;
			return 0;
		}
		if (t != SZ_JSTRING || (k = cat_str(e, in)) < 0)
			return FALLBACK;
		s = e->cat.p + mark;
		len = e->cat.len - mark;
		k = len > 0 && (s[0] == '-' || (s[0] >= '0' && s[0] <= '9')) &&
		    s[len - 1] >= '0' && s[len - 1] <= '9' &&
		    sz_json_validate(s, len, NULL, NULL) == 0;
		e->cat.len = mark;
		if (!k)
			return FALLBACK;
		return put_num(e, sz_json_num(s, len), v);
	case F_DOWNCASE:
	case F_UPCASE:
		if (t != SZ_JSTRING || (k = cat_str(e, in)) < 0)
			return FALLBACK;
		for (size_t i = mark; i < e->cat.len; i++) {
			char ch = e->cat.p[i];

			if (n->fn == F_DOWNCASE && ch >= 'A' && ch <= 'Z')
				e->cat.p[i] = (char)(ch - 'A' + 'a');
			else if (n->fn == F_UPCASE && ch >= 'a' && ch <= 'z')
				e->cat.p[i] = (char)(ch - 'a' + 'A');
		}
		return put_cat(e, mark, v);
	case F_HAS:
		if (t != SZ_JOBJECT)
			return FALLBACK;
		{
			sz_jmembers it;

			sz_json_members(&it, p, in->n,
			    is_record(r, p) ? r->ix : NULL);
			while (sz_json_members_next(&it))
				if (sz_json_str_eq(it.m.k, it.m.kn, n->lit,
				    n->litn))
					return boolean(v, 1);
		}
		return boolean(v, 0);
	case F_TEST:
		if (t != SZ_JSTRING ||
		    (s = sz_jstr_decode(p, in->n, &e->dec, &len)) == NULL)
			return FALLBACK;
		{
			const OnigUChar *b = (const OnigUChar *)s;
			int m = onig.search(n->re, b, b + len, b, b + len, NULL,
			    ONIG_OPTION_NONE);

			if (m < 0 && m != ONIG_MISMATCH)
				return FALLBACK;	/* jq's "Regex failure" */
			return boolean(v, m >= 0);
		}
	case F_KEYS:
	case F_KEYS_UNSORTED:
		return keys(e, n->fn == F_KEYS, r, in, v);
	case F_SPLIT:
		if (t != SZ_JSTRING || n->litn == 0 || (k = cat_str(e, in)) < 0)
			return FALLBACK;
		s = e->cat.p + mark;
		len = e->cat.len - mark;
		if (len == 0) {
			e->cat.len = mark;
			return FALLBACK;
		}
		v->off = (long)e->arena.len;
		v->p = NULL;
		k = sz_buf_addc(&e->arena, '[');
		for (size_t i = 0;;) {
			size_t j = i;

			while (j + n->litn <= len &&
			    memcmp(s + j, n->lit, n->litn) != 0)
				j++;
			if (i > 0)
				k |= sz_buf_addc(&e->arena, ',');
			if (j + n->litn > len) {
				k |= sz_buf_add_jqstr(&e->arena, s + i, len - i);
				break;
			}
			k |= sz_buf_add_jqstr(&e->arena, s + i, j - i);
			i = j + n->litn;
		}
		k |= sz_buf_addc(&e->arena, ']');
		e->cat.len = mark;
		if (k)
			return no_memory(e);
		v->n = e->arena.len - (size_t)v->off;
		return 0;
	case F_JOIN:
		if (t != SZ_JARRAY)
			return FALLBACK;
		{
			const char *q = sz_json_ws(p + 1, p + in->n);
			const char *end = p + in->n;
			int first = 1;

			while (q < end && *q != ']') {
				const char *x = sz_json_skip(q, end);
				val el;
				sz_jtype et = sz_json_type(q, end);

				set(&el, q, (size_t)(x - q));
				if (!first && sz_buf_add(&e->cat, n->lit,
				    n->litn) < 0)
					k = no_memory(e);
				else if (et == SZ_JNULL)
					k = 0;
				else
					k = cat_text(e, &el);
				if (k < 0) {
					e->cat.len = mark;
					return k;
				}
				first = 0;
				q = sz_json_ws(x, end);
				if (q < end && *q == ',')
					q = sz_json_ws(q + 1, end);
			}
		}
		return put_cat(e, mark, v);
	default:
		return FALLBACK;
	}
}

/* Evaluate n on the record into v: 0, SZ_EXPR_ERROR (jq's message in
 * e->err) or FALLBACK. */
static int
ev(sz_expr *e, const sz_node *n, const sz_rec *r, val *v)
{
	const char *cur = r->p;
	size_t curn = r->n, i = 0;
	const sz_jindex *ix = r->ix;
	val a, b;
	int k, c;

	switch (n->op) {
	case N_LIT:
		set(v, n->lit, n->litn);
		return 0;
	case N_PATH:
		break;
	case N_CMP:
		/* jq evaluates the right operand first */
		if ((k = ev(e, n->b, r, &b)) < 0 ||
		    (k = ev(e, n->a, r, &a)) < 0)
			return k;
		{
			sz_jtype ta = vtype(e, &a), tb = vtype(e, &b);

			if (rank(ta) != rank(tb))
				c = rank(ta) < rank(tb) ? -1 : 1;
			else if (ta == SZ_JNUMBER) {
				double x = sz_json_num(vp(e, &a), a.n);
				double y = sz_json_num(vp(e, &b), b.n);

				c = x < y ? -1 : x == y ? 0 : 1;
			} else if (ta == SZ_JSTRING)
				c = sz_json_str_cmp(vp(e, &a), a.n,
				    vp(e, &b), b.n);
			else if (rank(ta) >= 5)
				return FALLBACK;	/* deep compare */
			else
				c = 0;
		}
		switch (n->cmp) {
		case C_EQ: return boolean(v, c == 0);
		case C_NE: return boolean(v, c != 0);
		case C_LT: return boolean(v, c < 0);
		case C_LE: return boolean(v, c <= 0);
		case C_GT: return boolean(v, c > 0);
		default: return boolean(v, c >= 0);
		}
	case N_AND:
	case N_OR:
		if ((k = ev(e, n->a, r, &a)) < 0)
			return k;
		if (truthy(e, &a) == (n->op == N_OR))
			return boolean(v, n->op == N_OR);
		if ((k = ev(e, n->b, r, &b)) < 0)
			return k;
		return boolean(v, truthy(e, &b));
	case N_NOT:
		if ((k = ev(e, n->a, r, &a)) < 0)
			return k;
		return boolean(v, !truthy(e, &a));
	case N_ARITH:
		/* jq evaluates the right operand first */
		if ((k = sub(e, n->b, r, &b)) < 0 ||
		    (k = sub(e, n->a, r, &a)) < 0)
			return k;
		return arith(e, n->cmp, &a, &b, v);
	case N_ALT:
		if ((k = sub(e, n->a, r, &a)) < 0)
			return k;
		if (truthy(e, &a)) {
			*v = a;
			return 0;
		}
		return sub(e, n->b, r, v);
	case N_IF:
		if ((k = ev(e, n->a, r, &a)) < 0)
			return k;
		return ev(e, truthy(e, &a) ? n->b : n->c, r, v);
	case N_FUNC:
		if ((k = sub(e, n->a, r, &a)) < 0)
			return k;
		return func(e, n, r, &a, v);
	case N_INTERP:
		{
			size_t mark = e->cat.len;

			for (size_t j = 0; j < n->nf; j++) {
				if (sz_buf_add(&e->cat, n->f[j].name,
				    n->f[j].namelen) < 0)
					k = no_memory(e);
				else if (n->f[j].val == NULL)
					k = 0;
				else if ((k = sub(e, n->f[j].val, r, &a)) == 0)
					k = cat_text(e, &a);
				if (k < 0) {
					e->cat.len = mark;
					return k;
				}
			}
			return put_cat(e, mark, v);
		}
	default:
		return FALLBACK;
	}
	/* a path */
	sz_json_trim(&cur, &curn);
	if (n->nsteps > 0 && n->steps[0].kind == SZ_STEP_KEY &&
	    ix != NULL && ix->n >= 0) {
		/* A top-level key from the index: the last one wins. */
		int j = ix->n;

		while (--j >= 0 && !sz_json_str_eq(ix->m[j].k, ix->m[j].kn,
		    n->steps[0].key, n->steps[0].keylen))
			;
		if (j < 0) {
			set(v, "null", 4);
			return 0;
		}
		cur = ix->m[j].v;
		curn = ix->m[j].vn;
		i = 1;
	}
	for (; i < n->nsteps; i++) {
		sz_jtype t;
		const char *o;
		size_t on;
		int g = sz_json_get(cur, curn, &n->steps[i], &o, &on, &t);

		if (g == SZ_GET_ERROR)
			return raw_error(e, &n->steps[i], t);
		if (g == SZ_GET_NULL) {
			set(v, "null", 4);
			return 0;
		}
		cur = o;
		curn = on;
	}
	set(v, cur, curn);
	return 0;
}

/* As a predicate: SZ_EXPR_TRUE, SZ_EXPR_FALSE, SZ_EXPR_ERROR or
 * FALLBACK. */
static int
eval_pred(sz_expr *e, const sz_node *n, const sz_rec *r)
{
	val v;
	int k = ev(e, n, r, &v);

	return k < 0 ? k : truthy(e, &v);
}

/*
 * The select stages of the plan on r: SZ_EXPR_TRUE, with *body the stage
 * after them, when every predicate holds; SZ_EXPR_FALSE when one does not
 * (the program yields nothing); SZ_EXPR_ERROR, with jq's message, when
 * one fails; FALLBACK. Later stages are not run once one does not hold.
 */
static int
eval_selects(sz_expr *e, const sz_rec *r, const sz_node **body)
{
	const sz_node *n = e->plan;
	int k;

	while (n->op == N_SELECT) {
		if ((k = eval_pred(e, n->a, r)) != SZ_EXPR_TRUE)
			return k;
		n = n->b;
	}
	*body = n;
	return SZ_EXPR_TRUE;
}

static int
simple(const sz_node *n)
{
	return n->op == N_PATH || n->op == N_LIT;
}

static long
eval_project(sz_expr *e, const sz_node *n, const sz_rec *r, sz_buf *out)
{
	size_t mark = out->len;
	sz_jtype t = sz_json_type(r->p, r->p + r->n);
	int rc = 0, plain = 1, k;

	for (size_t i = 0; i < n->nf; i++)
		plain &= simple(n->f[i].val);
	if (t != SZ_JOBJECT && t != SZ_JNULL) {
		if (!plain)
			return FALLBACK;
		/* The first field that reads the input fails. */
		for (size_t i = 0; i < n->nf; i++)
			if (n->f[i].val->op == N_PATH &&
			    n->f[i].val->nsteps > 0)
				return raw_error(e, &n->f[i].val->steps[0], t);
	}
	rc |= sz_buf_addc(out, '{');
	for (size_t i = 0; i < n->nf; i++) {
		val v;

		if ((k = ev(e, n->f[i].val, r, &v)) < 0) {
			out->len = mark;
			return plain ? k : FALLBACK;
		}
		if (i > 0)
			rc |= sz_buf_addc(out, ',');
		rc |= sz_buf_add_jstr(out, n->f[i].name, n->f[i].namelen);
		rc |= sz_buf_addc(out, ':');
		rc |= sz_json_compact(vp(e, &v), v.n, out);
	}
	rc |= sz_buf_add(out, "}\n", 2);
	if (rc)
		return no_memory(e);
	return 1;
}

/* del(.a, .b) and `.a op= v` on an object without duplicate names. */
static long
eval_edit(sz_expr *e, const sz_node *n, const sz_rec *r, sz_buf *out)
{
	const char *p = r->p;
	size_t pn = r->n, mark = out->len;
	const sz_jindex *ix = r->ix;
	sz_jmembers it;
	val rhs, nv;
	int rc = 0, k, first = 1, seen = 0;

	sz_json_trim(&p, &pn);
	if (sz_json_type(p, p + pn) != SZ_JOBJECT ||
	    has_dups(p, pn, ix, NULL))
		return FALLBACK;
	if (n->op == N_UPDATE && (k = sub(e, n->a, r, &rhs)) < 0)
		return k;
	rc |= sz_buf_addc(out, '{');
	sz_json_members(&it, p, pn, ix);
	while (sz_json_members_next(&it)) {
		const val *w = NULL;
		val old;
		int hit = 0;

		if (n->op == N_DEL) {
			for (size_t i = 0; i < n->nf && !hit; i++)
				hit = sz_json_str_eq(it.m.k, it.m.kn,
				    n->f[i].name, n->f[i].namelen);
			if (hit)
				continue;
		} else if (sz_json_str_eq(it.m.k, it.m.kn, n->steps[0].key,
		    n->steps[0].keylen)) {
			set(&old, it.m.v, it.m.vn);
			if ((k = arith(e, n->cmp, &old, &rhs, &nv)) < 0) {
				out->len = mark;
				return k;
			}
			w = &nv;
			seen = 1;
		}
		if (!first)
			rc |= sz_buf_addc(out, ',');
		first = 0;
		rc |= sz_json_compact(it.m.k, it.m.kn, out);
		rc |= sz_buf_addc(out, ':');
		if (w != NULL)
			rc |= sz_json_compact(vp(e, w), w->n, out);
		else
			rc |= sz_json_compact(it.m.v, it.m.vn, out);
	}
	if (n->op == N_UPDATE && !seen) {
		val null;

		set(&null, "null", 4);
		if ((k = arith(e, n->cmp, &null, &rhs, &nv)) < 0) {
			out->len = mark;
			return k;
		}
		if (!first)
			rc |= sz_buf_addc(out, ',');
		rc |= sz_buf_add_jqstr(out, n->steps[0].key,
		    n->steps[0].keylen);
		rc |= sz_buf_addc(out, ':');
		rc |= sz_json_compact(vp(e, &nv), nv.n, out);
	}
	rc |= sz_buf_add(out, "}\n", 2);
	if (rc)
		return no_memory(e);
	return 1;
}

/* The body's outputs appended to out (the select stages passed). */
static long
eval_body(sz_expr *e, const sz_node *b, const sz_rec *r, sz_buf *out)
{
	val v;
	int k;

	if (b->op == N_PROJECT)
		return eval_project(e, b, r, out);
	if (b->op == N_DEL || b->op == N_UPDATE)
		return eval_edit(e, b, r, out);
	if ((k = ev(e, b, r, &v)) < 0)
		return k;
	if (sz_json_compact(vp(e, &v), v.n, out) < 0 ||
	    sz_buf_addc(out, '\n') < 0)
		return no_memory(e);
	return 1;
}

/* ---- the public face ----------------------------------------------- */

int
sz_expr_compile(sz_expr *e, const char *src, const sz_jqvars *v, int fast,
    sz_buf *err)
{
	memset(e, 0, sizeof(*e));
	if (fast)
		e->plan = plan(src, &e->kind);
	/*
	 * A program with a plan is one that jq 1.6 compiles (the plan's
	 * grammar is a part of jq's: tests/fuzz/expr.c checks it), so libjq
	 * compiles it only when a record first needs it.
	 */
	if ((e->plan != NULL ? sz_jq_prepare(&e->jq, src, v, err) :
	    sz_jq_compile(&e->jq, src, v, err)) < 0) {
		node_free(e->plan);
		e->plan = NULL;
		return -1;
	}
	return 0;
}

void
sz_expr_free(sz_expr *e)
{
	sz_jq_free(&e->jq);
	node_free(e->plan);
	e->plan = NULL;
	sz_buf_free(&e->tmp);
	sz_buf_free(&e->jvs);
	sz_buf_free(&e->err);
	sz_buf_free(&e->jqerr);
	sz_buf_free(&e->arena);
	sz_buf_free(&e->dec);
	sz_buf_free(&e->cat);
	sz_buf_free(&e->out);
	sz_jvcache_free(e->jvc);
	free(e->jvc);
	e->jvc = NULL;
}

int
sz_expr_is_fast(const sz_expr *e)
{
	return e->plan != NULL;
}

/* Parse for libjq; a record jq cannot read is an error. */
static int
parse(sz_expr *e, const char *rec, size_t n, jv *out)
{
	/* names and short strings of one record are the next one's too */
	if (e->jvc == NULL)
		e->jvc = calloc(1, sizeof(*e->jvc));	/* NULL: no cache */
	*out = sz_jv_from_json_c(rec, n, &e->jvs, e->jvc);
	if (jv_is_valid(*out))
		return 0;
	sz_buf_reset(&e->err);
	if (jv_invalid_has_msg(jv_copy(*out))) {
		jv m = jv_invalid_get_msg(*out);

		sz_buf_printf(&e->err, "jq cannot parse the record: %s",
		    jv_get_kind(m) == JV_KIND_STRING ? jv_string_value(m) :
		    "invalid");
		jv_free(m);
	} else {
		jv_free(*out);
		sz_buf_adds(&e->err, "jq cannot parse the record");
	}
	return -1;
}

struct runctx {
	sz_expr *e;
	const char *rec;
	size_t n;
	int mode;
	sz_jq_fn fn;
	void *ud;
};

/* Inside the guard: parse, then run. */
static int
run_body(void *ud)
{
	struct runctx *c = ud;
	jv in;

	if (parse(c->e, c->rec, c->n, &in) < 0)
		return SZ_JQ_ERROR;
	sz_buf_reset(&c->e->err);
	return sz_jq_run(&c->e->jq, c->mode, in, c->fn, c->ud, &c->e->err);
}

/* Run the program through libjq on r (its FILE for input_filename); a jq
 * error, a halt and a fault in libjq are SZ_EXPR_ERROR (e->jq.halted
 * tells a halt). */
static int
run(sz_expr *e, int mode, const sz_rec *r, sz_jq_fn fn, void *ud)
{
	struct runctx c = { e, r->p, r->n, mode, fn, ud };
	int k;

	e->jq.halted = 0;
	e->jq.file = r->file;
	k = sz_jq_protect(&e->jq, run_body, &c, &e->err);

	if (k == SZ_JQ_ERROR || k == SZ_JQ_HALT || k == SZ_JQ_FAULT)
		return SZ_EXPR_ERROR;
	return k;
}

static int
stop_if_truthy(void *ud, jv out)
{
	int t = sz_jq_truthy(out);

	(void)ud;
	jv_free(out);
	return t ? SZ_JQ_STOP : SZ_JQ_NEXT;
}

/* Start a record's evaluation by the plan. */
static void
begin(sz_expr *e)
{
	sz_buf_reset(&e->arena);
	sz_buf_reset(&e->cat);
}

int
sz_expr_test(sz_expr *e, const sz_rec *r)
{
	const sz_node *b;
	long m;
	int k;

	if (e->plan != NULL) {
		begin(e);
		k = eval_selects(e, r, &b);
		if (k == SZ_EXPR_TRUE) {
			if (b->op == N_PROJECT || b->op == N_DEL ||
			    b->op == N_UPDATE) {
				/* An object is true; only an error says
				 * otherwise. */
				sz_buf_reset(&e->out);
				m = eval_body(e, b, r, &e->out);
				k = m < 0 ? (int)m : SZ_EXPR_TRUE;
			} else
				k = eval_pred(e, b, r);
		}
		if (k != FALLBACK)
			return k;
	}
	k = run(e, SZ_JQ_FIRST_TRUE, r, stop_if_truthy, NULL);
	if (k == SZ_EXPR_ERROR)
		return k;
	return k == SZ_JQ_STOP ? SZ_EXPR_TRUE : SZ_EXPR_FALSE;
}

struct mapctx {
	sz_buf *out;
	long count;
};

static int
map_one(void *ud, jv v)
{
	struct mapctx *m = ud;

	m->count++;
	if (sz_jq_dump(v, m->out) < 0 || sz_buf_addc(m->out, '\n') < 0)
		return SZ_JQ_NOMEM;
	return SZ_JQ_NEXT;
}

long
sz_expr_map(sz_expr *e, const sz_rec *r, sz_buf *out)
{
	struct mapctx m = { out, 0 };
	int k;

	if (e->plan != NULL) {
		const sz_node *b;
		size_t mark = out->len;
		long c;

		begin(e);
		k = eval_selects(e, r, &b);
		if (k == SZ_EXPR_FALSE)
			return 0;
		if (k == SZ_EXPR_ERROR)
			return k;
		if (k == SZ_EXPR_TRUE) {
			c = eval_body(e, b, r, out);
			if (c != FALLBACK)
				return c;
		}
		out->len = mark;
	}
	k = run(e, SZ_JQ_ALL, r, map_one, &m);
	if (k == SZ_EXPR_ERROR)
		return k;
	if (k == SZ_JQ_NOMEM)
		return no_memory(e);
	return m.count;
}

struct firstctx {
	sz_buf *out;
	int got;
};

static int
first_one(void *ud, jv v)
{
	struct firstctx *f = ud;

	f->got = 1;
	if (sz_jq_dump(v, f->out) < 0)
		return SZ_JQ_NOMEM;
	return SZ_JQ_STOP;
}

/* The first output's JSON text (raw slice for a path plan). */
static int
first_value(sz_expr *e, const sz_rec *r, sz_buf *out, int canon)
{
	struct firstctx f = { out, 0 };
	int k;

	if (e->plan != NULL && e->kind == SZ_PLAN_PATH) {
		const sz_node *b;
		val v;

		begin(e);
		k = eval_selects(e, r, &b);
		if (k == SZ_EXPR_FALSE)
			return SZ_EXPR_EMPTY;
		if (k == SZ_EXPR_ERROR)
			return k;
		if (k == SZ_EXPR_TRUE && (k = ev(e, b, r, &v)) != FALLBACK) {
			if (k < 0)
				return SZ_EXPR_ERROR;
			k = canon ? sz_json_canon(vp(e, &v), v.n, out) :
			    sz_json_compact(vp(e, &v), v.n, out);
			return k < 0 ? SZ_EXPR_ERROR : SZ_EXPR_TRUE;
		}
	}
	if (!canon) {
		k = run(e, SZ_JQ_FIRST, r, first_one, &f);
	} else {
		sz_buf_reset(&e->tmp);
		f.out = &e->tmp;
		k = run(e, SZ_JQ_FIRST, r, first_one, &f);
		if (k == SZ_JQ_STOP &&
		    sz_json_canon(e->tmp.p, e->tmp.len, out) < 0)
			k = SZ_JQ_NOMEM;
	}
	if (k == SZ_EXPR_ERROR)
		return k;
	if (k == SZ_JQ_NOMEM)
		return no_memory(e);
	return f.got ? SZ_EXPR_TRUE : SZ_EXPR_EMPTY;
}

int
sz_expr_key(sz_expr *e, const sz_rec *r, sz_buf *out)
{
	return first_value(e, r, out, 1);
}

int
sz_expr_value(sz_expr *e, const sz_rec *r, sz_buf *out)
{
	return first_value(e, r, out, 0);
}
