/* SPDX-License-Identifier: MIT */
/*
 * sz-aggregate - reduce the whole input, per group, to one line per group
 * (count, sum, avg, min, max, first, last, stddev, distinct, percentile,
 * collect and any jq fold), written at end of input (mlr stats1).
 *
 * Memory per group is a few values per reducer, except for --collect
 * (bounded by --max-bytes), exact --distinct and --percentile (bounded by
 * --max-distinct and --max-exact per group). Groups are bounded by
 * --max-keys; at a bound the group seen first is written at once and
 * forgotten (counted in "forced"), so that nothing is lost.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json/json.h"
#include "json/str.h"

#include "agg.h"

static const char usage[] =
"Usage: sz-aggregate [OPTION]... REDUCER... [FILE]...\n"
"Aggregate the NDJSON records of the whole input, per group, and write one\n"
"line per group at the end of the input: group fields, then the reducers.\n"
"\n"
"  -g, --group-by [NAME=]EXPR  group by the value of EXPR (repeatable)\n"
"Reducers (each repeatable; NAME defaults to REDUCER_PATH, e.g. sum_amount):\n"
"      --count[=NAME]          the number of records (\"count\")\n"
"      --sum [NAME=]EXPR       the sum of the numbers EXPR yields\n"
"      --avg [NAME=]EXPR       their mean\n"
"      --min [NAME=]EXPR       the least of them\n"
"      --max [NAME=]EXPR       the greatest\n"
"      --first [NAME=]EXPR     the first value of EXPR\n"
"      --last [NAME=]EXPR      the last value of EXPR\n"
"      --stddev [NAME=]EXPR    the sample standard deviation (n - 1)\n"
"      --distinct [NAME=]EXPR  the number of distinct values\n"
"      --percentile [NAME=]EXPR:Q[,Q]...  nearest-rank percentiles Q (in\n"
"                              percent); several give an object\n"
"      --collect [NAME=]EXPR   the values as an array\n"
"      --reduce NAME=INIT:UPDATE[:MERGE]  a jq fold: INIT on the group's\n"
"                              first record, then UPDATE on each record\n"
"                              with $acc the value so far; MERGE (needed\n"
"                              with --session) joins two sessions' $a, $b\n"
"Windows (without one, the whole input; see sz-window(1)):\n"
SZ_WIN_HELP
SZ_KEY_TIME_HELP
"Bounds:\n"
"      --max-keys N            at most N groups (default 1000000) open; at\n"
"                              the bound the first to close is written early\n"
"      --max-distinct N        exact --distinct up to N values per group\n"
"                              (default 100000), then an estimate\n"
"      --max-exact N           exact --percentile up to N values per group\n"
"                              (default 100000), then within 1%\n"
"      --strict                a value that is not a number is bad input\n"
"                              (kind validation), not skipped\n"
"      --no-fast               always evaluate expressions with libjq\n"
SZ_JQ_HELP;

enum {
	OPT_COUNT = SZ_OPT_TOOL, OPT_SUM, OPT_AVG, OPT_MIN, OPT_MAX,
	OPT_FIRST, OPT_LAST, OPT_STDDEV, OPT_DISTINCT, OPT_PERCENTILE,
	OPT_COLLECT, OPT_REDUCE, OPT_MAXDISTINCT, OPT_MAXEXACT, OPT_STRICT
};

static const struct option longopts[] = {
	{ "group-by", required_argument, NULL, 'g' },
	{ "count", optional_argument, NULL, OPT_COUNT },
	{ "sum", required_argument, NULL, OPT_SUM },
	{ "avg", required_argument, NULL, OPT_AVG },
	{ "min", required_argument, NULL, OPT_MIN },
	{ "max", required_argument, NULL, OPT_MAX },
	{ "first", required_argument, NULL, OPT_FIRST },
	{ "last", required_argument, NULL, OPT_LAST },
	{ "stddev", required_argument, NULL, OPT_STDDEV },
	{ "distinct", required_argument, NULL, OPT_DISTINCT },
	{ "percentile", required_argument, NULL, OPT_PERCENTILE },
	{ "collect", required_argument, NULL, OPT_COLLECT },
	{ "reduce", required_argument, NULL, OPT_REDUCE },
	SZ_WIN_LONGOPTS,
	SZ_KEY_TIME_LONGOPT,
	SZ_KEY_MAXKEYS_LONGOPT,
	{ "max-distinct", required_argument, NULL, OPT_MAXDISTINCT },
	{ "max-exact", required_argument, NULL, OPT_MAXEXACT },
	{ "strict", no_argument, NULL, OPT_STRICT },
	{ "no-fast", no_argument, NULL, SZ_OPT_NOFAST },
	SZ_JQ_LONGOPTS,
	{ NULL, 0, NULL, 0 }
};

static const char *const rname[] = {
	"count", "sum", "avg", "min", "max", "first", "last", "stddev",
	"distinct", "percentile", "collect", "reduce"
};

/* ---- names ------------------------------------------------------------ */

/* "NAME=" at the start of s (NAME of letters, digits, _ and -, and not
 * "=="): its length, else 0. */
static size_t
name_prefix(const char *s)
{
	size_t i = 0;

	while (isalnum((unsigned char)s[i]) || s[i] == '_' || s[i] == '-')
		i++;
	if (i > 0 && s[i] == '=' && s[i + 1] != '=')
		return i;
	return 0;
}

/* The default name of a simple path (.a.b -> a_b) after `prefix`, or
 * NULL. */
static char *
path_name(const char *prefix, const char *src)
{
	sz_buf b = SZ_BUF_INIT;
	const char *p = src;

	while (*p == ' ')
		p++;
	if (*p != '.')
		return NULL;
	if (prefix != NULL && (sz_buf_adds(&b, prefix) != 0 ||
	    sz_buf_addc(&b, '_') != 0))
		goto fail;
	while (*p == '.') {
		const char *s = ++p;

		if (!(isalpha((unsigned char)*p) || *p == '_'))
			goto fail;
		while (isalnum((unsigned char)*p) || *p == '_')
			p++;
		if (b.len > 0 && b.p[b.len - 1] != '_' &&
		    sz_buf_addc(&b, '_') != 0)
			goto fail;
		if (sz_buf_add(&b, s, (size_t)(p - s)) != 0)
			goto fail;
	}
	while (*p == ' ')
		p++;
	if (*p != '\0' || b.len == 0)
		goto fail;
	return b.p;
fail:
	sz_buf_free(&b);
	return NULL;
}

/* Split "[NAME=]EXPR" into a name and the expression. */
static int
split_named(struct agg *a, sz_tool *t, const char *opt, const char *prefix,
    const char *arg, char **name, char **src)
{
	size_t k = name_prefix(arg);

	(void)a;
	if (k > 0) {
		*name = strndup(arg, k);
		*src = strdup(arg + k + 1);
	} else {
		*name = path_name(prefix, arg);
		*src = strdup(arg);
		if (*name == NULL) {
			free(*src);
			*src = NULL;
			return sz_opt_fail(&t->o, "%s: '%s' is not a simple "
			    "path (.a.b): give a name, %s NAME=EXPR", opt,
			    arg, opt);
		}
	}
	if (*name == NULL || *src == NULL)
		return sz_opt_fail(&t->o, "%s: out of memory", opt);
	return 0;
}

/* The first ':' of s outside strings and brackets, or NULL. */
static char *
top_colon(char *s)
{
	int depth = 0, instr = 0;

	for (; *s; s++) {
		if (instr) {
			if (*s == '\\' && s[1])
				s++;
			else if (*s == '"')
				instr = 0;
		} else if (*s == '"')
			instr = 1;
		else if (*s == '(' || *s == '[' || *s == '{')
			depth++;
		else if (*s == ')' || *s == ']' || *s == '}')
			depth--;
		else if (*s == ':' && depth == 0)
			return s;
	}
	return NULL;
}

static int
add_reducer(sz_tool *t, int kind, const char *arg)
{
	struct agg *a = t->ud;
	struct reducer *r, *nr;
	const char *opt;
	int rc;

	nr = realloc(a->red, (size_t)(a->nred + 1) * sizeof(*nr));
	if (nr == NULL)
		return sz_opt_fail(&t->o, "out of memory");
	a->red = nr;
	r = &a->red[a->nred];
	memset(r, 0, sizeof(*r));
	r->kind = kind;
	opt = kind == R_COUNT ? "--count" : kind == R_SUM ? "--sum" :
	    kind == R_AVG ? "--avg" : kind == R_MIN ? "--min" :
	    kind == R_MAX ? "--max" : kind == R_FIRST ? "--first" :
	    kind == R_LAST ? "--last" : kind == R_STDDEV ? "--stddev" :
	    kind == R_DISTINCT ? "--distinct" : kind == R_PERCENTILE ?
	    "--percentile" : kind == R_COLLECT ? "--collect" : "--reduce";
	r->opt = opt;
	if (kind == R_COUNT) {
		if ((r->name = strdup(arg ? arg : "count")) == NULL)
			return sz_opt_fail(&t->o, "out of memory");
		a->nred++;
		return 0;
	}
	if (kind == R_REDUCE) {
		size_t k = name_prefix(arg);
		char *rest, *c, *m;
		sz_buf w = SZ_BUF_INIT;

		if (k == 0)
			return sz_opt_fail(&t->o, "--reduce: '%s' is not "
			    "NAME=INIT:UPDATE[:MERGE]", arg);
		if ((rest = strdup(arg + k + 1)) == NULL ||
		    (r->name = strndup(arg, k)) == NULL)
			return sz_opt_fail(&t->o, "out of memory");
		if ((c = top_colon(rest)) == NULL) {
			free(rest);
			return sz_opt_fail(&t->o, "--reduce: '%s' is not "
			    "NAME=INIT:UPDATE[:MERGE]", arg);
		}
		*c = '\0';
		if ((m = top_colon(c + 1)) != NULL) {
			sz_buf mw = SZ_BUF_INIT;

			*m = '\0';
			/* MERGE runs on [$a, $b]. */
			if (sz_buf_printf(&mw, ".[0] as $a | .[1] as $b | "
			    "(%s)", m + 1) != 0) {
				free(rest);
				return sz_opt_fail(&t->o, "out of memory");
			}
			r->merge = mw.p;
		}
		/* UPDATE runs on [$acc, record]. */
		if (sz_buf_printf(&w, ".[0] as $acc | .[1] | (%s)",
		    c + 1) != 0 || (r->init = strdup(rest)) == NULL) {
			free(rest);
			return sz_opt_fail(&t->o, "out of memory");
		}
		free(rest);
		r->src = w.p;
		a->nred++;
		return 0;
	}
	if (kind == R_PERCENTILE) {
		char *s = strdup(arg), *c, *q, *save = NULL;

		if (s == NULL)
			return sz_opt_fail(&t->o, "out of memory");
		if ((c = strrchr(s, ':')) == NULL) {
			free(s);
			return sz_opt_fail(&t->o, "--percentile: '%s' is not "
			    "[NAME=]EXPR:Q[,Q]...", arg);
		}
		*c = '\0';
		for (q = strtok_r(c + 1, ",", &save); q != NULL;
		    q = strtok_r(NULL, ",", &save)) {
			char *end;
			double v = strtod(q, &end);

			if (*q == '\0' || *end != '\0' || !(v >= 0 &&
			    v <= 100) || r->nq == AGG_MAX_Q) {
				free(s);
				return sz_opt_fail(&t->o, "--percentile: '%s'"
				    " is not a percent from 0 to 100 (at "
				    "most %d)", q, AGG_MAX_Q);
			}
			r->q[r->nq] = v;
			if (asprintf(&r->qname[r->nq], "p%s", q) < 0) {
				free(s);
				return sz_opt_fail(&t->o, "out of memory");
			}
			r->nq++;
		}
		if (r->nq == 0) {
			free(s);
			return sz_opt_fail(&t->o, "--percentile: no Q in "
			    "'%s'", arg);
		}
		rc = split_named(a, t, opt, rname[kind], s, &r->name,
		    &r->src);
		free(s);
	} else
		rc = split_named(a, t, opt, rname[kind], arg, &r->name,
		    &r->src);
	if (rc != 0)
		return rc;
	a->nred++;
	return 0;
}

static int
add_group(sz_tool *t, const char *arg)
{
	struct agg *a = t->ud;
	char **nn = realloc(a->gname, (size_t)(a->ng + 1) * sizeof(*nn));
	char **ns;

	if (nn == NULL)
		return sz_opt_fail(&t->o, "out of memory");
	a->gname = nn;
	if ((ns = realloc(a->gsrc, (size_t)(a->ng + 1) * sizeof(*ns))) == NULL)
		return sz_opt_fail(&t->o, "out of memory");
	a->gsrc = ns;
	a->gname[a->ng] = a->gsrc[a->ng] = NULL;
	a->ng++;
	return split_named(a, t, "--group-by", NULL, arg,
	    &a->gname[a->ng - 1], &a->gsrc[a->ng - 1]);
}

/* ---- groups ----------------------------------------------------------- */

static size_t
group_size(const struct agg *a)
{
	return sizeof(struct group) + (size_t)a->nred * sizeof(struct rstate);
}

/* What a group holds, freed (not the group: the map's value). */
static void
group_free(struct agg *a, struct group *g)
{
	for (int i = 0; i < a->nred; i++)
		agg_state_free(&a->red[i], &g->r[i]);
	a->held -= g->bytes < a->held ? g->bytes : a->held;
	free(g->fields);
	g->fields = NULL;
}

/* Write a group's line. */
static void
group_write(struct agg *a, struct group *g)
{
	sz_buf *o = &a->out;

	sz_buf_reset(o);
	if (a->write_err)
		return;
	if (sz_buf_addc(o, '{') != 0 ||
	    (g->flen > 0 && sz_buf_add(o, g->fields, g->flen) != 0))
		goto nomem;
	for (int i = 0; i < a->nred; i++)
		if (agg_result(a, &a->red[i], &g->r[a->red[i].shares >= 0 ?
		    a->red[i].shares : i], o) != 0)
			goto nomem;
	if (sz_buf_addc(o, '}') != 0)
		goto nomem;
	if (sz_emit(a->t, o->p, o->len) != 0)
		a->write_err = 1;
	return;
nomem:
	a->write_err = 1;
	sz_fail(a->t, 1, "out of memory writing a group");
}

/* The keymap is full: the group seen first goes out now. */
static void
group_evict(void *ud, const char *key, size_t n, void *value)
{
	struct agg *a = ud;
	struct group *g = value;

	(void)key, (void)n;
	a->forced++;
	group_write(a, g);
	group_free(a, g);
}

/* ---- records ---------------------------------------------------------- */

/*
 * .NAME read straight from the record's index. A program of that form
 * (with a raw-bytes plan: not --no-fast) is answered by jq with the last
 * member of that name, or null; the index holds the members of an object
 * record of at most SZ_JINDEX_MAX members, so the value comes without
 * evaluating anything. The name, or NULL when src is not .NAME.
 */
static const char *
direct_name(const sz_expr *e, const char *src, size_t *len)
{
	const char *p = src, *s;

	if (!sz_expr_is_fast(e) || e->kind != SZ_PLAN_PATH)
		return NULL;
	while (*p == ' ')
		p++;
	if (*p++ != '.' || !(isalpha((unsigned char)*p) || *p == '_'))
		return NULL;
	for (s = p; isalnum((unsigned char)*p) || *p == '_'; p++)
		;
	*len = (size_t)(p - s);
	while (*p == ' ')
		p++;
	return *p == '\0' ? s : NULL;
}

/* The value of the member `name` (an identifier) of the record indexed
 * by ix, the last of that name (jq's), or null: its text, as it is in
 * the record (no white space around it). */
static void
member_value(const sz_jindex *ix, const char *name, size_t len,
    const char **v, size_t *vn)
{
	if (!sz_jindex_member(ix, name, len, v, vn)) {
		*v = "null";
		*vn = 4;
	}
}

/* A string of printable ASCII without escapes: its own canonical text
 * (json.h), so that a key can be its bytes in the record. */
static int
plain_string(const char *v, size_t n)
{
	if (n < 2 || v[0] != '"')
		return 0;
	for (size_t i = 1; i < n - 1; i++)
		if ((unsigned char)v[i] < 0x20 || (unsigned char)v[i] >= 0x80 ||
		    v[i] == '\\')
			return 0;
	return 1;
}

/* The group key and every value of r: 1 to go on, else what record()
 * returns. */
static int
eval_record(struct agg *a, sz_tool *t, const sz_rec *r)
{
	const sz_jindex *ix = r->ix != NULL && r->ix->n >= 0 ? r->ix : NULL;
	struct pending *c = a->cur;
	const char *v;
	size_t vn;
	int k;

	sz_buf_reset(&a->key);
	a->kp = NULL;
	a->plain = 1;
	for (int i = 0; i < a->ng; i++) {
		if (i > 0 && sz_buf_addc(&a->key, ',') != 0)
			return sz_fail(t, 1, "out of memory");
		if (ix != NULL && a->gdname[i] != NULL) {
			size_t len0 = a->key.len;

			member_value(ix, a->gdname[i], a->gdlen[i], &v, &vn);
			if (a->windowed) {
				sz_buf_reset(&a->gv[i]);
				if (sz_json_compact(v, vn, &a->gv[i]) != 0)
					goto slow;
				v = a->gv[i].p;
				vn = a->gv[i].len;
			}
			if (plain_string(v, vn)) {
				if (a->ng == 1 && !a->windowed) {
					a->kp = v;	/* no copy */
					a->kn = vn;
					continue;
				}
				if (sz_buf_add(&a->key, v, vn) != 0)
					return sz_fail(t, 1, "out of memory");
				continue;
			}
			a->plain = 0;
			if (sz_json_canon(v, vn, &a->key) == 0)
				continue;
			a->key.len = len0;	/* (canon left it as it was) */
		}
	slow:
		a->plain = 0;
		/* The key straight from the record; the values themselves
		 * only when a group starts (windowed: the engine may start
		 * one at any record). */
		if (a->windowed) {
			sz_buf_reset(&a->gv[i]);
			k = sz_expr_value(&a->ge[i], r, &a->gv[i]);
			if (k == SZ_EXPR_TRUE && sz_json_canon(a->gv[i].p,
			    a->gv[i].len, &a->key) != 0)
				return sz_fail(t, 1, "out of memory");
		} else
			k = sz_expr_key(&a->ge[i], r, &a->key);
		if (k == SZ_EXPR_ERROR)
			return sz_expr_bad(t, r, &a->ge[i], "--group-by");
		if (k == SZ_EXPR_EMPTY)
			return sz_bad(t, r, "key", 1, "--group-by %s yields "
			    "no value", a->gsrc[i]);
	}
	if (a->kp == NULL) {
		a->kp = a->key.p ? a->key.p : "";
		a->kn = a->key.len;
	}
	/* Every value first: a bad record is left out of every reducer. */
	for (int i = 0; i < a->nred; i++) {
		struct reducer *red = &a->red[i];
		const struct reducer *src = red;

		c->have[i] = 0;
		if (red->kind == R_COUNT || red->kind == R_REDUCE)
			continue;
		if (red->same >= 0) {
			src = &a->red[red->same];
			red->k = src->k;
		} else if (ix != NULL && red->dname != NULL) {
			member_value(ix, red->dname, red->dlen, &v, &vn);
			red->raw = v;
			red->rawn = vn;
			red->k = SZ_EXPR_TRUE;
			if (red->needtext) {
				sz_buf_reset(&red->v);
				if (red->kind == R_DISTINCT && plain_string(v, vn))
					k = sz_buf_add(&red->v, v, vn);
				else if (red->kind == R_DISTINCT)
					k = sz_json_canon(v, vn, &red->v);
				else
					k = sz_json_compact(v, vn, &red->v);
				if (k != 0)
					goto eval;
			}
		} else {
		eval:
			sz_buf_reset(&red->v);
			red->k = red->kind == R_DISTINCT ?
			    sz_expr_key(&red->e, r, &red->v) :
			    sz_expr_value(&red->e, r, &red->v);
			if (red->k == SZ_EXPR_ERROR)
				return sz_expr_bad(t, r, &red->e, red->opt);
			red->raw = red->v.p;
			red->rawn = red->v.len;
		}
		c->have[i] = red->k == SZ_EXPR_TRUE;
		if (!agg_numeric(red->kind))
			continue;
		/* A valid value that starts so is a number. */
		if (!c->have[i] || src->rawn == 0 || !(src->raw[0] == '-' ||
		    (src->raw[0] >= '0' && src->raw[0] <= '9'))) {
			if (a->strict) {
				sz_buf_reset(&a->tmp);
				if (c->have[i] && sz_json_compact(src->raw,
				    src->rawn, &a->tmp) != 0)
					return sz_fail(t, 1, "out of memory");
				return sz_bad(t, r, "validation", 1,
				    "%s %s: %s is not a number", red->opt,
				    red->src, c->have[i] ? a->tmp.p :
				    "no value");
			}
			c->have[i] = 0;
			a->skipped++;
		} else if (red->same >= 0 && agg_numeric(src->kind))
			c->x[i] = c->x[red->same];	/* read already */
		else
			agg_num(src->raw, src->rawn, &c->x[i]);
	}
	return 1;
}

/* The group's fields, "NAME":value,..., into a->gvals (r: read the
 * values from it first; NULL: eval_record has). */
static int
group_fields(struct agg *a, const sz_rec *r)
{
	for (int i = 0; r != NULL && i < a->ng; i++) {
		sz_buf_reset(&a->gv[i]);
		if (sz_expr_value(&a->ge[i], r, &a->gv[i]) != SZ_EXPR_TRUE)
			return sz_expr_bad(a->t, r, &a->ge[i], "--group-by");
	}
	sz_buf_reset(&a->gvals);
	for (int i = 0; i < a->ng; i++)
		if ((i > 0 && sz_buf_addc(&a->gvals, ',') != 0) ||
		    sz_buf_add_jstr(&a->gvals, a->gname[i],
		    strlen(a->gname[i])) != 0 ||
		    sz_buf_addc(&a->gvals, ':') != 0 ||
		    sz_json_compact(a->gv[i].p, a->gv[i].len, &a->gvals) != 0)
			return sz_fail(a->t, 1, "out of memory");
	return 0;
}

/* The group's fields into a->gvals from a key of strings that are their
 * own compact text too (a->plain): "NAME":"...",... */
static int
fields_of_key(struct agg *a, const char *k, size_t n)
{
	const char *e = k + n, *q;

	sz_buf_reset(&a->gvals);
	for (int i = 0; i < a->ng; i++) {
		/* "...", then ',' before the next: no '"' inside */
		q = memchr(k + 1, '"', (size_t)(e - k - 1));
		if (q == NULL)
			return sz_fail(a->t, 1, "internal error: key");
		if ((i > 0 && sz_buf_addc(&a->gvals, ',') != 0) ||
		    sz_buf_add_jstr(&a->gvals, a->gname[i],
		    strlen(a->gname[i])) != 0 ||
		    sz_buf_addc(&a->gvals, ':') != 0 ||
		    sz_buf_add(&a->gvals, k, (size_t)(q + 1 - k)) != 0)
			return sz_fail(a->t, 1, "out of memory");
		k = q + 2;
	}
	return 0;
}

/* Give r's values c to the group g (a window's state when windowed); r
 * NULL: a record of the pipeline (no fold). */
static int
apply_record(struct agg *a, sz_tool *t, const sz_rec *r, struct group *g,
    struct pending *c)
{
	size_t grown = 0;
	int k;

	/* Folds: the new state of each, before any reducer takes. */
	for (int i = 0; i < a->nred && a->folds; i++) {
		struct reducer *red = &a->red[i];
		struct rstate *st = &g->r[i];
		sz_rec in = *r;
		sz_buf *acc;

		if (red->kind != R_REDUCE)
			continue;
		if ((acc = agg_text(st)) == NULL)
			return sz_fail(t, 1, "out of memory");
		if (acc->len == 0) {
			k = sz_expr_value(&red->ie, r, acc);
			if (k == SZ_EXPR_ERROR)
				return sz_expr_bad(t, r, &red->ie, red->opt);
			if (k != SZ_EXPR_TRUE && sz_buf_adds(acc, "null") != 0)
				return sz_fail(t, 1, "out of memory");
		}
		sz_buf_reset(&a->tmp);
		if (sz_buf_addc(&a->tmp, '[') != 0 ||
		    sz_buf_add(&a->tmp, acc->p, acc->len) != 0 ||
		    sz_buf_addc(&a->tmp, ',') != 0 ||
		    sz_buf_add(&a->tmp, r->p, r->n) != 0 ||
		    sz_buf_addc(&a->tmp, ']') != 0)
			return sz_fail(t, 1, "out of memory");
		in.p = a->tmp.p;
		in.n = a->tmp.len;
		in.ix = NULL;
		sz_buf_reset(&red->v);
		k = sz_expr_value(&red->e, &in, &red->v);
		if (k == SZ_EXPR_ERROR)
			return sz_expr_bad(t, r, &red->e, red->opt);
		c->have[i] = k == SZ_EXPR_TRUE;
	}
	for (int i = 0; i < a->nred; i++) {
		struct reducer *red = &a->red[i];
		struct rstate *st = &g->r[i];

		/* The usual reducers without agg_take's dispatch. */
		if (red->shares >= 0)
			continue;
		if (red->kind == R_COUNT) {
			st->n++;
			continue;
		}
		if (!c->have[i])
			continue;
		if (red->kind == R_SUM || red->kind == R_AVG) {
			agg_sum_add(st, &c->x[i]);
			st->n++;
			continue;
		}
		if (agg_take(a, red, st, 1, &c->x[i], &grown) != 0)
			return sz_fail(t, 1, "out of memory");
	}
	g->bytes += grown;
	a->held += grown;
	return 0;
}

/* The group of key k (r: the record, to read its fields from when the
 * group starts; NULL: from the key), created if new. NULL after a
 * failure (reported). */
static struct group *
group_of(struct agg *a, const sz_rec *r, const char *k, size_t n,
    uint32_t h)
{
	struct group *g;
	int created;

	g = sz_keymap_put_hash(a->groups, k, n, h, &created);
	if (g == NULL) {
		sz_fail(a->t, 1, "out of memory");
		return NULL;
	}
	if (created) {
		if ((r != NULL ? group_fields(a, r) : fields_of_key(a, k, n))
		    != 0) {
			sz_keymap_del(a->groups, g);
			return NULL;
		}
		if (a->gvals.len > 0 &&
		    (g->fields = malloc(a->gvals.len)) == NULL) {
			sz_keymap_del(a->groups, g);
			sz_fail(a->t, 1, "out of memory");
			return NULL;
		}
		g->flen = a->gvals.len;
		if (g->flen > 0)
			memcpy(g->fields, a->gvals.p, g->flen);
		a->ngroups++;
	}
	return g;
}

/* After a group took a record: over --max-bytes, the groups seen first
 * go out early. */
static int
over_bytes(struct agg *a)
{
	while (a->held > a->max_bytes && sz_keymap_count(a->groups) > 0) {
		void *v = sz_keymap_oldest(a->groups);

		group_evict(a, NULL, 0, v);
		sz_keymap_del(a->groups, v);
	}
	return a->write_err ? -1 : 0;
}

/* The earliest record of the pipeline to its group. */
static int
pipe_take(struct agg *a)
{
	struct pending *p = &a->pend[a->pfirst];
	struct group *g;
	int k;

	a->pfirst = (a->pfirst + 1) % (AGG_LAG + 1);
	a->npend--;
	if ((g = group_of(a, NULL, p->key.p, p->key.len, p->hash)) == NULL)
		return -1;
	if ((k = apply_record(a, a->t, NULL, g, p)) != 0)
		return k;
	return over_bytes(a);
}

/* Every record of the pipeline to its group. */
static int
pipe_drain(struct agg *a)
{
	int k;

	while (a->npend > 0)
		if ((k = pipe_take(a)) != 0)
			return k;
	return 0;
}

/* The record just read (its values in a->cur) into the pipeline; the
 * one read AGG_LAG records ago to its group. */
static int
pipe_put(struct agg *a)
{
	struct pending *p = a->cur;
	int w = (int)(p - a->pend);

	sz_buf_reset(&p->key);
	if (sz_buf_add(&p->key, a->kp, a->kn) != 0)
		return sz_fail(a->t, 1, "out of memory");
	p->hash = sz_keymap_hash(a->groups, p->key.p, p->key.len);
	a->npend++;
	sz_keymap_prefetch_hash(a->groups, p->hash);
	if (a->npend > AGG_LAG / 2)
		sz_keymap_prefetch_value(a->groups, a->pend[(w + AGG_LAG + 1 -
		    AGG_LAG / 2) % (AGG_LAG + 1)].hash);
	return a->npend > AGG_LAG ? pipe_take(a) : 0;
}

static int
agg_record(sz_tool *t, const sz_rec *r)
{
	struct agg *a = t->ud;
	struct group *g;
	int k;

	a->seq++;
	/* (a free place: at most AGG_LAG records wait between records) */
	a->cur = &a->pend[(a->pfirst + a->npend) % (AGG_LAG + 1)];
	if ((k = eval_record(a, t, r)) != 1)
		return k;
	if (a->windowed && group_fields(a, NULL) != 0)
		return -1;
	if (a->windowed)
		return sz_win_add(&a->win, t, r, a->kp, a->kn,
		    a->gvals.p ? a->gvals.p : "", a->gvals.len);
	if (a->piped && a->plain)
		return pipe_put(a);
	if ((k = pipe_drain(a)) != 0)
		return k;
	if ((g = group_of(a, r, a->kp, a->kn, sz_keymap_hash(a->groups,
	    a->kp, a->kn))) == NULL)
		return -1;
	if ((k = apply_record(a, t, r, g, a->cur)) != 0)
		return k;
	return over_bytes(a);
}

/* ---- windows: each window x group is one state ---------------------- */

static int
win_open(void *ud, void *state)
{
	struct agg *a = ud;

	a->ngroups++;
	(void)state;
	return 0;
}

static int
win_add(void *ud, void *state, const sz_rec *r)
{
	struct agg *a = ud;

	return apply_record(a, a->t, r, state, a->cur);
}

/* --reduce's MERGE on the states of two sessions: $a the earlier. */
static int
merge_fold(struct agg *a, struct reducer *red, struct rstate *x,
    struct rstate *y)
{
	sz_buf *xt = x->u.fl.text, *yt = y->u.fl.text;
	sz_rec in;
	int k;

	memset(&in, 0, sizeof(in));
	sz_buf_reset(&a->tmp);
	if (sz_buf_addc(&a->tmp, '[') != 0 ||
	    sz_buf_add(&a->tmp, xt->p, xt->len) != 0 ||
	    sz_buf_addc(&a->tmp, ',') != 0 ||
	    sz_buf_add(&a->tmp, yt->p, yt->len) != 0 ||
	    sz_buf_addc(&a->tmp, ']') != 0)
		return sz_fail(a->t, 1, "out of memory");
	in.p = a->tmp.p;
	in.n = a->tmp.len;
	sz_buf_reset(xt);
	k = sz_expr_value(&red->me, &in, xt);
	if (k == SZ_EXPR_ERROR)
		return sz_fail(a->t, 1, "%s %s: MERGE: %s", red->opt,
		    red->name, red->me.err.p ? red->me.err.p : "failed");
	if (k != SZ_EXPR_TRUE && sz_buf_adds(xt, "null") != 0)
		return sz_fail(a->t, 1, "out of memory");
	return 0;
}

/* Sessions a record bridges: src (the later) into dst. */
static int
win_merge(void *ud, void *dst, void *src)
{
	struct agg *a = ud;
	struct group *d = dst, *s = src;
	size_t grown = 0;

	for (int i = 0; i < a->nred; i++) {
		struct reducer *red = &a->red[i];
		struct rstate *x = &d->r[i], *y = &s->r[i];

		if (red->shares >= 0)
			continue;	/* merged as the other's */
		if (red->kind != R_REDUCE) {
			if (agg_merge(a, red, x, y, &grown) != 0)
				return sz_fail(a->t, 1, "out of memory");
			continue;
		}
		x->n += y->n;
		if (y->u.fl.text == NULL || y->u.fl.text->len == 0)
			continue;
		if (x->u.fl.text == NULL || x->u.fl.text->len == 0) {
			sz_buf *t = x->u.fl.text;

			x->u.fl.text = y->u.fl.text;
			y->u.fl.text = t;
			continue;
		}
		if (merge_fold(a, red, x, y) != 0)
			return -1;
	}
	/* What src held now counts for dst (src's are taken off when
	 * it is freed). */
	d->bytes += s->bytes + grown;
	a->held += s->bytes + grown;
	a->ngroups--;
	return 0;
}

static void
win_free(void *ud, void *state)
{
	struct agg *a = ud;
	struct group *g = state;

	for (int i = 0; i < a->nred; i++)
		agg_state_free(&a->red[i], &g->r[i]);
	a->held -= g->bytes < a->held ? g->bytes : a->held;
}

static int
win_close(void *ud, void *state, const sz_winfo *w)
{
	struct agg *a = ud;
	struct group *g = state;
	sz_buf *o = &a->out;

	sz_buf_reset(o);
	if (sz_buf_adds(o, "{\"start\":") != 0 ||
	    sz_win_fmt_time(o, w->start) != 0 ||
	    sz_buf_adds(o, ",\"end\":") != 0 ||
	    sz_win_fmt_time(o, w->end) != 0 ||
	    (w->keylen > 0 && (sz_buf_addc(o, ',') != 0 ||
	    sz_buf_add(o, w->key, w->keylen) != 0)))
		return sz_fail(a->t, 1, "out of memory writing a window");
	for (int i = 0; i < a->nred; i++)
		if (agg_result(a, &a->red[i], &g->r[a->red[i].shares >= 0 ?
		    a->red[i].shares : i], o) != 0)
			return sz_fail(a->t, 1, "out of memory writing a "
			    "window");
	if (sz_buf_addc(o, '}') != 0)
		return sz_fail(a->t, 1, "out of memory writing a window");
	return sz_emit(a->t, o->p, o->len);
}

static size_t
win_bytes(void *ud, const void *state)
{
	const struct group *g = state;

	(void)ud;
	return g->bytes;
}

static sz_winops agg_winops = {
	0, win_open, win_add, win_merge, win_close, win_free, win_bytes
};

static int
agg_end(sz_tool *t)
{
	struct agg *a = t->ud;
	void *v, *next;

	if (a->windowed)
		return sz_win_end(&a->win, t);
	if (pipe_drain(a) != 0)
		return -1;
	for (v = sz_keymap_oldest(a->groups); v != NULL; v = next) {
		next = sz_keymap_next(a->groups, v);
		group_write(a, v);
		group_free(a, v);
		sz_keymap_del(a->groups, v);
	}
	return a->write_err ? -1 : 0;
}

static void
agg_stats(sz_tool *t, sz_statv *v)
{
	struct agg *a = t->ud;

	sz_stat_counter(v, "skipped", a->skipped);
	if (!a->windowed)	/* windowed: the engine's "forced" */
		sz_stat_counter(v, "forced", a->forced);
	sz_stat_counter(v, "estimated", a->estimated);
	sz_stat_counter(v, "groups", a->ngroups);
	if (a->windowed)
		sz_win_stats(&a->win, v);
}

static void
agg_idle(sz_tool *t)
{
	struct agg *a = t->ud;

	if (a->windowed)
		sz_win_idle(&a->win, t);
}

static const sz_proc agg_proc = {
	.record = agg_record,
	.end = agg_end,
	.stats = agg_stats,
	.idle = agg_idle,
};

/* ---- the tool --------------------------------------------------------- */

static void
agg_init(sz_tool *t)
{
	struct agg *a = t->ud;

	a->t = t;
	a->max_keys = 1000000;
	a->max_distinct = 100000;
	a->max_exact = 100000;
	sz_win_init(&a->win, t, &agg_winops, a);
}

static int
agg_option(sz_tool *t, int c)
{
	struct agg *a = t->ud;
	int rc;

	if ((rc = sz_win_option(&a->win, t, c)) != 0)
		return rc == 1 ? 0 : rc;
	switch (c) {
	case 'g':
		return add_group(t, optarg);
	case OPT_COUNT:
		return add_reducer(t, R_COUNT, optarg);
	case OPT_SUM: case OPT_AVG: case OPT_MIN: case OPT_MAX:
	case OPT_FIRST: case OPT_LAST: case OPT_STDDEV: case OPT_DISTINCT:
	case OPT_PERCENTILE: case OPT_COLLECT: case OPT_REDUCE:
		return add_reducer(t, R_SUM + (c - OPT_SUM), optarg);
	case OPT_MAXDISTINCT:
		return sz_opt_count(&t->o, "--max-distinct", 1,
		    UINT64_C(100000000), &a->max_distinct);
	case OPT_MAXEXACT:
		return sz_opt_count(&t->o, "--max-exact", 1,
		    UINT64_C(1000000000), &a->max_exact);
	case OPT_STRICT:
		a->strict = 1;
		break;
	}
	return 0;
}

static int
agg_start(sz_tool *t)
{
	struct agg *a = t->ud;
	int rc;

	if (a->nred == 0)
		return sz_usage(t, "no reducer (--count, --sum EXPR, ...)");
	for (int i = 0; i < a->ng + a->nred; i++)
		for (int j = 0; j < i; j++) {
			const char *x = i < a->ng ? a->gname[i] :
			    a->red[i - a->ng].name;
			const char *y = j < a->ng ? a->gname[j] :
			    a->red[j - a->ng].name;

			if (strcmp(x, y) == 0)
				return sz_usage(t, "the name '%s' is given "
				    "twice (NAME=EXPR names an output)", x);
		}
	for (int i = 0; i < a->nred; i++)
		if (a->red[i].kind == R_REDUCE && a->red[i].merge == NULL &&
		    a->win.kind == SZ_WIN_SESSION)
			return sz_usage(t, "--reduce %s: --session merges "
			    "sessions that a record bridges: give "
			    "NAME=INIT:UPDATE:MERGE", a->red[i].name);
	a->slow = !a->win.key.fast;
	a->max_keys = a->win.key.max_keys;
	a->max_bytes = a->win.max_bytes;
	agg_winops.size = group_size(a);
	a->windowed = sz_win_windowed(&a->win);
	if ((rc = sz_win_start(&a->win, t)) != -1)
		return rc;
	if ((a->ge = calloc((size_t)a->ng + 1, sizeof(*a->ge))) == NULL)
		{ sz_msg(t, "error", NULL, 0, "out of memory"); return 1; }
	for (int i = 0; i < a->ng; i++)
		if ((rc = sz_tool_compile(t, &a->ge[i], a->gsrc[i], !a->slow,
		    "--group-by")) >= 0)
			return rc;
	if ((a->gv = calloc((size_t)a->ng + 1, sizeof(*a->gv))) == NULL ||
	    (a->gdname = calloc((size_t)a->ng + 1, sizeof(*a->gdname))) ==
	    NULL || (a->gdlen = calloc((size_t)a->ng + 1,
	    sizeof(*a->gdlen))) == NULL)
		{ sz_msg(t, "error", NULL, 0, "out of memory"); return 1; }
	for (int i = 0; i < a->ng; i++)
		a->gdname[i] = direct_name(&a->ge[i], a->gsrc[i],
		    &a->gdlen[i]);
	for (int i = 0; i < a->nred; i++) {
		struct reducer *red = &a->red[i];

		/* The same expression read the same way: read once. */
		red->same = -1;
		red->val = &red->v;
		for (int j = 0; j < i && red->kind != R_REDUCE; j++) {
			struct reducer *o = &a->red[j];

			if (o->kind != R_COUNT && o->kind != R_REDUCE &&
			    o->same < 0 && strcmp(o->src, red->src) == 0 &&
			    (o->kind == R_DISTINCT) ==
			    (red->kind == R_DISTINCT)) {
				red->same = j;
				red->val = &o->v;
				break;
			}
		}
		/* SUM and AVG of the same value keep the same state: one
		 * is kept for both. */
		red->shares = -1;
		for (int j = 0; j < i && (red->kind == R_SUM ||
		    red->kind == R_AVG); j++) {
			struct reducer *o = &a->red[j];

			if ((o->kind == R_SUM || o->kind == R_AVG) &&
			    o->shares < 0 && (o->same < 0 ? j : o->same) ==
			    (red->same < 0 ? i : red->same)) {
				red->shares = j;
				break;
			}
		}
		if (red->src != NULL && red->same < 0 &&
		    (rc = sz_tool_compile(t, &red->e, red->src, !a->slow,
		    red->opt)) >= 0)
			return rc;
		if (red->src != NULL && red->same < 0 &&
		    red->kind != R_REDUCE)
			red->dname = direct_name(&red->e, red->src,
			    &red->dlen);
		/* Who reads the value's text (not only its number) needs
		 * it written out. */
		if (red->kind != R_COUNT && !agg_numeric(red->kind))
			(red->same >= 0 ? &a->red[red->same] : red)->needtext
			    = 1;
		if (red->kind == R_REDUCE)
			a->folds = 1;
		if (red->init != NULL && (rc = sz_tool_compile(t, &red->ie,
		    red->init, !a->slow, red->opt)) >= 0)
			return rc;
		if (red->merge != NULL && (rc = sz_tool_compile(t, &red->me,
		    red->merge, !a->slow, red->opt)) >= 0)
			return rc;
	}
	/* The pipeline: the reducers that take numbers only (and --count),
	 * groups by .NAME. */
	a->piped = !a->windowed && a->ng > 0;
	for (int i = 0; i < a->ng; i++)
		if (a->gdname[i] == NULL)
			a->piped = 0;
	for (int i = 0; i < a->nred; i++)
		if (a->red[i].kind != R_COUNT && !agg_numeric(a->red[i].kind))
			a->piped = 0;
	for (int i = 0; i <= AGG_LAG; i++)
		if ((a->pend[i].x = calloc((size_t)a->nred,
		    sizeof(struct num))) == NULL || (a->pend[i].have =
		    calloc((size_t)a->nred, 1)) == NULL)
			{ sz_msg(t, "error", NULL, 0, "out of memory"); return 1; }
	a->groups = sz_keymap_new(a->max_keys, group_size(a),
	    group_evict, a);
	if (a->groups == NULL) {
		sz_msg(t, "error", NULL, 0, "out of memory");
		return 1;
	}
	return -1;
}

static void
agg_done(sz_tool *t)
{
	struct agg *a = t->ud;

	sz_win_free(&a->win);	/* first: its states need the reducers */
	if (a->groups != NULL) {
		for (void *v = sz_keymap_oldest(a->groups); v != NULL;
		    v = sz_keymap_next(a->groups, v))
			group_free(a, v);
		sz_keymap_free(a->groups);
	}
	for (int i = 0; i < a->ng; i++) {
		if (a->ge != NULL)
			sz_expr_free(&a->ge[i]);
		free(a->gname[i]);
		free(a->gsrc[i]);
	}
	free(a->ge);
	if (a->gv != NULL)
		for (int i = 0; i < a->ng; i++)
			sz_buf_free(&a->gv[i]);
	free(a->gv);
	free(a->gdname);
	free(a->gdlen);
	free(a->gname);
	free(a->gsrc);
	for (int i = 0; i < a->nred; i++) {
		struct reducer *red = &a->red[i];

		if (red->src != NULL && red->same < 0)
			sz_expr_free(&red->e);
		if (red->init != NULL)
			sz_expr_free(&red->ie);
		if (red->merge != NULL)
			sz_expr_free(&red->me);
		free(red->merge);
		free(red->name);
		free(red->src);
		free(red->init);
		for (int j = 0; j < red->nq; j++)
			free(red->qname[j]);
		sz_buf_free(&red->v);
	}
	free(a->red);
	for (int i = 0; i <= AGG_LAG; i++) {
		sz_buf_free(&a->pend[i].key);
		free(a->pend[i].x);
		free(a->pend[i].have);
	}
	sz_buf_free(&a->key);
	sz_buf_free(&a->gvals);
	sz_buf_free(&a->tmp);
	sz_buf_free(&a->out);
}

static const sz_tool_def agg_def = {
	.prog = "sz-aggregate", .usage = usage, .shortopts = "g:",
	.longopts = longopts, .jq = 1, .proc = &agg_proc, .init = agg_init,
	.option = agg_option, .start = agg_start, .done = agg_done,
};

SZ_TOOL_MAIN(agg_def, struct agg)
