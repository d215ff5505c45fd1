/* SPDX-License-Identifier: MIT */
/* expr.c - simple jq expressions on raw bytes, libjq for the rest; see expr.h. */
#include <stdlib.h>
#include <string.h>

#include "jq/expr.h"

/* ---- the plan ------------------------------------------------------ */

/*
 * A plan is zero or more N_SELECT stages, each holding its predicate in
 * `a` and the rest of the pipeline in `b`, then one body: a predicate
 * (N_PATH, N_LIT, N_CMP, N_AND, N_OR, N_NOT) or an N_PROJECT. A program
 * that ends with select has the body `.` (an N_PATH without steps).
 */
enum { N_PATH, N_LIT, N_CMP, N_AND, N_OR, N_NOT, N_PROJECT, N_SELECT };
enum { C_EQ, C_NE, C_LT, C_LE, C_GT, C_GE };

struct field {
	char *name;		/* decoded key */
	size_t namelen;
	sz_node *val;		/* N_PATH or N_LIT */
};

struct sz_node {
	int op;
	int cmp;
	sz_node *a, *b;
	sz_step *steps;		/* N_PATH */
	size_t nsteps;
	char *lit;		/* N_LIT: compact JSON text */
	size_t litn;
	struct field *f;	/* N_PROJECT */
	size_t nf;
};

static void
node_free(sz_node *n)
{
	if (n == NULL)
		return;
	node_free(n->a);
	node_free(n->b);
	for (size_t i = 0; i < n->nsteps; i++)
		free((char *)n->steps[i].key);
	free(n->steps);
	free(n->lit);
	for (size_t i = 0; i < n->nf; i++) {
		free(n->f[i].name);
		node_free(n->f[i].val);
	}
	free(n->f);
	free(n);
}

/* ---- a small parser for the simple forms --------------------------- */

typedef struct parser {
	const char *s, *end;
	int depth;
	int bad;		/* not a simple form (or out of memory) */
} parser;

static void
skipws(parser *p)
{
	while (p->s < p->end && (*p->s == ' ' || *p->s == '\t' ||
	    *p->s == '\n' || *p->s == '\r'))
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
	else
		n = parse_literal(p);
	if (n == NULL)
		p->bad = 1;
	p->depth--;
	return n;
}

static sz_node *
parse_cmp(parser *p)
{
	static const struct { const char *t; int c; } ops[] = {
		{ "==", C_EQ }, { "!=", C_NE }, { "<=", C_LE },
		{ ">=", C_GE }, { "<", C_LT }, { ">", C_GT },
	};
	sz_node *a = parse_primary(p), *n;

	if (p->bad)
		return a;
	for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++)
		if (accept(p, ops[i].t)) {
			if ((n = new_node(p, N_CMP)) == NULL)
				return a;
			n->cmp = ops[i].c;
			n->a = a;
			n->b = parse_primary(p);
			/* one side must be a literal: no deep compares */
			if (!p->bad && n->a->op != N_LIT && n->b->op != N_LIT)
				p->bad = 1;
			if (!p->bad && ((n->a->op != N_LIT &&
			    n->a->op != N_PATH) || (n->b->op != N_LIT &&
			    n->b->op != N_PATH)))
				p->bad = 1;
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

static sz_node *
parse_pipe(parser *p)
{
	sz_node *a = parse_or(p), *n;

	while (!p->bad && accept(p, "|")) {
		if (!accept(p, "not")) {
			p->bad = 1;
			break;
		}
		if ((n = new_node(p, N_NOT)) == NULL)
			break;
		n->a = a;
		a = n;
	}
	return a;
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

		skipws(p);
		if (p->s < p->end && is_ident0(*p->s)) {
			const char *b = p->s;

			while (p->s < p->end && is_ident(*p->s))
				p->s++;
			f.namelen = (size_t)(p->s - b);
			f.name = strndup(b, f.namelen);
			if (f.name == NULL)
				p->bad = 1;
		} else if (p->s < p->end && *p->s == '"')
			f.name = take_string(p, &f.namelen);
		else
			p->bad = 1;
		if (p->bad) {
			free(f.name);
			break;
		}
		for (size_t i = 0; i < n->nf; i++)
			if (n->f[i].namelen == f.namelen &&
			    memcmp(n->f[i].name, f.name, f.namelen) == 0)
				p->bad = 1;
		if (accept(p, ":")) {
			f.val = parse_primary(p);
			if (f.val != NULL && f.val->op != N_PATH &&
			    f.val->op != N_LIT)
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

/*
 * A program: `select(P) | ...` stages (P a predicate), then a projection
 * or a predicate; a program that ends with `select(P)` ends with the body
 * `.`. Sets *kind from the body. jq's select is `if P then . else empty
 * end`, and P, being a simple predicate, has exactly one output, so the
 * stage yields the input once or nothing: the plan answers as jq does.
 * select inside parentheses, in an operand or in P is not planned.
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
		else if (accept(p, "|"))
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
	} else {
		n = parse_pipe(p);
		*kind = n && n->op == N_PATH ? SZ_PLAN_PATH : SZ_PLAN_PRED;
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

/* A value: a slice of the record or of a literal. */
typedef struct val {
	const char *p;
	size_t n;
} val;

static int
raw_error(sz_expr *e, const sz_step *st, sz_jtype t)
{
	sz_buf_reset(&e->err);
	if (st->kind == SZ_STEP_KEY)
		sz_buf_printf(&e->err, "Cannot index %s with string \"%.*s\"",
		    sz_jtype_name(t), (int)st->keylen, st->key);
	else
		sz_buf_printf(&e->err, "Cannot index %s with number",
		    sz_jtype_name(t));
	return SZ_EXPR_ERROR;
}

/* Evaluate a path or literal node into v. */
static int
eval_val(sz_expr *e, const sz_node *n, const sz_rec *r, val *v)
{
	const char *cur = r->p;
	size_t curn = r->n;

	if (n->op == N_LIT) {
		v->p = n->lit;
		v->n = n->litn;
		return 0;
	}
	size_t i = 0;
	const sz_jindex *ix = r->ix;

	sz_json_trim(&cur, &curn);
	if (n->nsteps > 0 && n->steps[0].kind == SZ_STEP_KEY &&
	    ix != NULL && ix->n >= 0) {
		/* A top-level key from the index: the last one wins. */
		int j = ix->n;

		while (--j >= 0 && !sz_json_str_eq(ix->m[j].k, ix->m[j].kn,
		    n->steps[0].key, n->steps[0].keylen))
			;
		if (j < 0) {
			v->p = "null";
			v->n = 4;
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
		int k = sz_json_get(cur, curn, &n->steps[i], &o, &on, &t);

		if (k == SZ_GET_ERROR)
			return raw_error(e, &n->steps[i], t);
		if (k == SZ_GET_NULL) {
			v->p = "null";
			v->n = 4;
			return 0;
		}
		cur = o;
		curn = on;
	}
	v->p = cur;
	v->n = curn;
	return 0;
}

/* jq's order of kinds: null < false < true < numbers < strings < arrays
 * < objects. */
static int
rank(const val *v)
{
	switch (sz_json_type(v->p, v->p + v->n)) {
	case SZ_JNULL: return 0;
	case SZ_JFALSE: return 1;
	case SZ_JTRUE: return 2;
	case SZ_JNUMBER: return 3;
	case SZ_JSTRING: return 4;
	case SZ_JARRAY: return 5;
	default: return 6;
	}
}

/* Compare two values of which at least one is a scalar, as jq 1.6. */
static int
compare(const val *a, const val *b)
{
	int ra = rank(a), rb = rank(b);

	if (ra != rb)
		return ra < rb ? -1 : 1;
	if (ra == 3) {
		double x = sz_json_num(a->p, a->n), y = sz_json_num(b->p, b->n);

		return x < y ? -1 : x == y ? 0 : 1;
	}
	if (ra == 4)
		return sz_json_str_cmp(a->p, a->n, b->p, b->n);
	return 0;		/* null, false, true */
}

static int
truthy(const val *v)
{
	return !(v->n == 4 && memcmp(v->p, "null", 4) == 0) &&
	    !(v->n == 5 && memcmp(v->p, "false", 5) == 0);
}

static int
eval_pred(sz_expr *e, const sz_node *n, const sz_rec *r)
{
	val a, b;
	int k, c;

	switch (n->op) {
	case N_PATH:
	case N_LIT:
		if (eval_val(e, n, r, &a) < 0)
			return SZ_EXPR_ERROR;
		return truthy(&a);
	case N_CMP:
		/* jq evaluates the right operand first */
		if (eval_val(e, n->b, r, &b) < 0 ||
		    eval_val(e, n->a, r, &a) < 0)
			return SZ_EXPR_ERROR;
		c = compare(&a, &b);
		switch (n->cmp) {
		case C_EQ: return c == 0;
		case C_NE: return c != 0;
		case C_LT: return c < 0;
		case C_LE: return c <= 0;
		case C_GT: return c > 0;
		default: return c >= 0;
		}
	case N_AND:
		if ((k = eval_pred(e, n->a, r)) != SZ_EXPR_TRUE)
			return k;
		return eval_pred(e, n->b, r);
	case N_OR:
		if ((k = eval_pred(e, n->a, r)) != SZ_EXPR_FALSE)
			return k;
		return eval_pred(e, n->b, r);
	case N_NOT:
		if ((k = eval_pred(e, n->a, r)) == SZ_EXPR_ERROR)
			return k;
		return !k;
	}
	return SZ_EXPR_ERROR;
}

/*
 * The select stages of the plan on r: SZ_EXPR_TRUE, with *body the stage
 * after them, when every predicate holds; SZ_EXPR_FALSE when one does not
 * (the program yields nothing); SZ_EXPR_ERROR, with jq's message, when
 * one fails. Later stages are not run once one does not hold.
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

/* Memory ran out while evaluating: the error the entry points answer. */
static int
no_memory(sz_expr *e)
{
	sz_buf_reset(&e->err);
	sz_buf_adds(&e->err, "out of memory");
	return SZ_EXPR_ERROR;
}

static long
eval_project(sz_expr *e, const sz_node *n, const sz_rec *r, sz_buf *out)
{
	size_t mark = out->len;
	sz_jtype t = sz_json_type(r->p, r->p + r->n);
	int rc = 0;

	if (t != SZ_JOBJECT && t != SZ_JNULL) {
		/* The first field that reads the input fails. */
		for (size_t i = 0; i < n->nf; i++)
			if (n->f[i].val->op == N_PATH &&
			    n->f[i].val->nsteps > 0)
				return raw_error(e, &n->f[i].val->steps[0], t);
	}
	rc |= sz_buf_addc(out, '{');
	for (size_t i = 0; i < n->nf; i++) {
		val v;

		if (eval_val(e, n->f[i].val, r, &v) < 0) {
			out->len = mark;
			return SZ_EXPR_ERROR;
		}
		if (i > 0)
			rc |= sz_buf_addc(out, ',');
		rc |= sz_buf_add_jstr(out, n->f[i].name, n->f[i].namelen);
		rc |= sz_buf_addc(out, ':');
		rc |= sz_json_compact(v.p, v.n, out);
	}
	rc |= sz_buf_add(out, "}\n", 2);
	if (rc)
		return no_memory(e);
	return 1;
}

/* ---- the public face ----------------------------------------------- */

int
sz_expr_compile(sz_expr *e, const char *src, const sz_jqvars *v, int fast,
    sz_buf *err)
{
	memset(e, 0, sizeof(*e));
	if (sz_jq_compile(&e->jq, src, v, err) < 0)
		return -1;
	if (fast)
		e->plan = plan(src, &e->kind);
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
	*out = sz_jq_parse(rec, n, &e->jvs);
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

int
sz_expr_test(sz_expr *e, const sz_rec *r)
{
	const sz_node *b;
	int k;

	if (e->plan != NULL) {
		if ((k = eval_selects(e, r, &b)) != SZ_EXPR_TRUE)
			return k;
		if (e->kind != SZ_PLAN_PROJECT)
			return eval_pred(e, b, r);
		/* An object is true; only an error says otherwise. */
		sz_buf_reset(&e->tmp);
		if (eval_project(e, b, r, &e->tmp) < 0)
			return SZ_EXPR_ERROR;
		return SZ_EXPR_TRUE;
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
		val v;

		if ((k = eval_selects(e, r, &b)) != SZ_EXPR_TRUE)
			return k == SZ_EXPR_FALSE ? 0 : k;
		if (e->kind == SZ_PLAN_PROJECT)
			return eval_project(e, b, r, out);
		if (e->kind == SZ_PLAN_PATH || b->op == N_LIT) {
			if (eval_val(e, b, r, &v) < 0)
				return SZ_EXPR_ERROR;
			if (sz_json_compact(v.p, v.n, out) < 0 ||
			    sz_buf_addc(out, '\n') < 0)
				return SZ_EXPR_ERROR;
			return 1;
		}
		k = eval_pred(e, b, r);
		if (k == SZ_EXPR_ERROR)
			return k;
		return sz_buf_adds(out, k ? "true\n" : "false\n") < 0 ?
		    SZ_EXPR_ERROR : 1;
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

		if ((k = eval_selects(e, r, &b)) != SZ_EXPR_TRUE)
			return k == SZ_EXPR_FALSE ? SZ_EXPR_EMPTY : k;
		if (eval_val(e, b, r, &v) < 0)
			return SZ_EXPR_ERROR;
		k = canon ? sz_json_canon(v.p, v.n, out) :
		    sz_json_compact(v.p, v.n, out);
		return k < 0 ? SZ_EXPR_ERROR : SZ_EXPR_TRUE;
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
