/* SPDX-License-Identifier: MIT */
/*
 * expr.h - jq expressions answered on raw bytes when they are simple,
 * by libjq otherwise.
 *
 * sz_expr_compile() builds, when the program is one of the simple forms
 * below, a plan that evaluates it on the record's bytes without parsing
 * it into jq values. The forms are a part of jq 1.6's grammar (a program
 * with a plan is one that jq compiles), so libjq compiles such a program
 * only when a record first needs it; a program without a plan is compiled
 * at once (so a program jq rejects is rejected, with jq's message). Every answer of the
 * plan equals jq 1.6's, errors included (same messages); the tests in
 * tests/cases/ compare the two.
 *
 * Simple forms:
 *   predicates  path | literal | operand OP literal | literal OP operand
 *               (OP one of == != < <= > >=), combined with `and`, `or`,
 *               `| not` and parentheses
 *   paths       `.`, `.name`, `."name"`, `.["name"]`, `.[N]`, chained
 *   projections `{name, name: path, "name": path, ...}` (for sz-map)
 *   selections  `select(P) | ... | select(Q) | F`, P and Q predicates, F
 *               one of the forms above; `select(P)` alone is
 *               `select(P) | .`
 *   values      paths and literals combined with + - * / // and the
 *               comparisons, and/or, if/elif/else/end, "\(interpolation)",
 *               and `| f` (or f alone, on `.`) for f one of not, length,
 *               tostring, tonumber, ascii_downcase, ascii_upcase,
 *               keys, keys_unsorted, has("k"), test("re"), test("re";
 *               "flags") (Oniguruma, as libjq runs it), split("s"),
 *               join("s"); also as projection values (jq's terms there:
 *               `{a: (.b + 1)}`, `{a: .b | length}`)
 *   edits       del(.a, .b) and `.a += v` (-=, *=, /=), top-level keys
 * A record on which a plan cannot give jq's exact answer (a type the form
 * does not cover, duplicate keys for an edit, an error inside a computed
 * value, a division by zero) is run through libjq instead, for that
 * record only.
 * Literals are JSON numbers, JSON strings, true, false and null.
 * select is jq's: its output is the input when P holds, nothing when it
 * does not, so as a filter `select(P)` passes a record when P holds and
 * the record itself is neither false nor null. The program text is what
 * libjq compiles and runs; nothing is rewritten.
 */
#ifndef SZ_EXPR_H
#define SZ_EXPR_H

#include <stddef.h>

#include "core/buf.h"
#include "jq/jqx.h"
#include "io/frame.h"
#include "json/json.h"

typedef struct sz_node sz_node;

typedef struct sz_expr {
	sz_jq jq;		/* always compiled */
	sz_node *plan;		/* raw-bytes plan, or NULL */
	int kind;		/* what the plan is: see SZ_PLAN_* */
	sz_buf tmp;		/* scratch for decoding */
	sz_buf jvs;		/* scratch of sz_jq_parse */
	sz_buf err;		/* last runtime error message */
	sz_buf jqerr;
	sz_buf arena;		/* values a plan computes, per record */
	sz_buf dec, cat;	/* scratch of a plan: decoded strings, text */
	sz_buf out;		/* a plan's output when only its truth is asked */
	struct sz_jvcache *jvc;	/* strings kept for libjq's runs, or NULL */
} sz_expr;

enum { SZ_PLAN_NONE, SZ_PLAN_PRED, SZ_PLAN_PATH, SZ_PLAN_PROJECT,
    SZ_PLAN_VALUE };

/* Answers of evaluation. */
enum {
	SZ_EXPR_ERROR = -1,	/* jq runtime error: message in e->err.p */
	SZ_EXPR_FALSE = 0,
	SZ_EXPR_TRUE = 1,
	SZ_EXPR_EMPTY = 2	/* (sz_expr_key) no output */
};

/*
 * Compile `src` with variables v. `fast` 0 disables the raw plan (for
 * testing and for --no-fast). Returns 0, or -1 with jq's message in err.
 */
int sz_expr_compile(sz_expr *e, const char *src, const sz_jqvars *v,
    int fast, sz_buf *err);
void sz_expr_free(sz_expr *e);
/* Does the expression run on raw bytes? */
int sz_expr_is_fast(const sz_expr *e);

/*
 * As a filter: does the program yield at least one value that is neither
 * false nor null on the record r (valid JSON; r->ix, when set, is the
 * index its validation built, used for top-level keys)? SZ_EXPR_TRUE,
 * SZ_EXPR_FALSE or SZ_EXPR_ERROR.
 */
int sz_expr_test(sz_expr *e, const sz_rec *r);

/*
 * As a mapping: append each output, compact JSON followed by '\n', to out.
 * Returns the number of outputs (>= 0) or SZ_EXPR_ERROR; on error, out
 * holds the outputs produced before the error.
 */
long sz_expr_map(sz_expr *e, const sz_rec *r, sz_buf *out);

/*
 * As a key: the canonical text (json.h) of the program's first output,
 * appended to out. SZ_EXPR_TRUE when there is one, SZ_EXPR_EMPTY when the
 * program yields nothing, SZ_EXPR_ERROR on a runtime error. With a path
 * plan the key is taken from the record's bytes, so numbers keep their
 * exact decimal value; through libjq numbers are doubles.
 */
int sz_expr_key(sz_expr *e, const sz_rec *r, sz_buf *out);

/*
 * As a key's raw value (for event times and the like): the first output's
 * JSON text, appended to out. Same answers as sz_expr_key.
 */
int sz_expr_value(sz_expr *e, const sz_rec *r, sz_buf *out);

#endif
