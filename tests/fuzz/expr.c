/* SPDX-License-Identifier: MIT */
/*
 * expr.c - fuzz target of the raw-bytes plans (common/jq/expr.c) against
 * libjq.
 *
 * Input: a jq program, a newline, then records, one a line. When the
 * program has a raw-bytes plan, it is compiled twice, with the plan and
 * without it (libjq alone, as --no-fast), and on each valid record both
 * must decide alike: sz_expr_test the same answer, sz_expr_map the same
 * number of outputs, the same values (read and written again by libjq:
 * a plan keeps a number's spelling where jq rewrites it, e.g. 1e400 where
 * jq writes 1.7976931348623157e+308) and the same error message.
 * A program without a plan is not run (libjq alone has nothing to be
 * compared with, and may not end).
 */
#include <jq.h>
#include <string.h>

#include "jq/expr.h"
#include "fuzz.h"

/* Programs compiled both ways, kept (a libjq compile takes tens of
 * milliseconds, the fuzzer comes back to the same programs with other
 * records): a small table, the oldest entry replaced when full. */
#define NPROG 64
static struct prog {
	char *src;		/* NUL-terminated, or NULL: a free slot */
	size_t n;
	int plan;		/* both compiled and the fast one has a plan */
	sz_expr fast, slow;
} progs[NPROG];
static size_t next_slot;

/* At exit: everything freed, so that LeakSanitizer's check at the end
 * sees no live jq state (libjq keeps a pointer to the end of its stack's
 * block, which LeakSanitizer does not take for a reference to it). */
static void
free_progs(void)
{
	size_t i;

	for (i = 0; i < NPROG; i++) {
		if (progs[i].plan) {
			sz_expr_free(&progs[i].fast);
			sz_expr_free(&progs[i].slow);
		}
		free(progs[i].src);
		progs[i].src = NULL;
	}
}

static struct prog *
compile(const char *p, size_t n)
{
	static const sz_jqvars novars;
	sz_buf err = { 0 };
	struct prog *g;
	static int registered;
	size_t i;
	int ok;

	if (!registered) {
		registered = 1;
		FUZZ_MEM(atexit(free_progs) == 0);
	}
	for (i = 0; i < NPROG; i++)
		if (progs[i].src != NULL && progs[i].n == n &&
		    memcmp(progs[i].src, p, n) == 0)
			return &progs[i];
	g = &progs[next_slot];
	next_slot = (next_slot + 1) % NPROG;
	if (g->src != NULL && g->plan) {
		sz_expr_free(&g->fast);
		sz_expr_free(&g->slow);
	}
	free(g->src);
	memset(g, 0, sizeof(*g));
	FUZZ_MEM((g->src = malloc(n + 1)) != NULL);
	memcpy(g->src, p, n);
	g->src[n] = '\0';
	g->n = n;
	if (memchr(p, '\0', n) != NULL)
		return g;
	if (sz_expr_compile(&g->fast, g->src, &novars, 1, &err) < 0) {
		/* Then libjq alone refuses it too. */
		sz_buf_reset(&err);
		FUZZ_CHECK(sz_expr_compile(&g->slow, g->src, &novars, 0,
		    &err) < 0);
		sz_buf_free(&err);
		return g;
	}
	ok = sz_expr_compile(&g->slow, g->src, &novars, 0, &err);
	FUZZ_CHECK(ok == 0);
	FUZZ_CHECK(!sz_expr_is_fast(&g->slow));
	sz_buf_free(&err);
	if (!sz_expr_is_fast(&g->fast)) {
		sz_expr_free(&g->fast);
		sz_expr_free(&g->slow);
		return g;
	}
	g->plan = 1;
	return g;
}

/* Same outputs: as many lines, each the same value for libjq. */
static void
same_outputs(const sz_buf *a, const sz_buf *b)
{
	const char *pa = a->p, *ea = a->p ? a->p + a->len : NULL;
	const char *pb = b->p, *eb = b->p ? b->p + b->len : NULL;

	while (pa < ea && pb < eb) {
		const char *na = memchr(pa, '\n', (size_t)(ea - pa));
		const char *nb = memchr(pb, '\n', (size_t)(eb - pb));
		jv va, vb, da, db;

		FUZZ_CHECK(na != NULL && nb != NULL);
		va = jv_parse_sized(pa, (int)(na - pa));
		vb = jv_parse_sized(pb, (int)(nb - pb));
		FUZZ_CHECK(jv_is_valid(va) && jv_is_valid(vb));
		/* As jq writes them (an infinity as the largest double),
		 * keys sorted. */
		da = jv_dump_string(va, JV_PRINT_SORTED);
		db = jv_dump_string(vb, JV_PRINT_SORTED);
		if (strcmp(jv_string_value(da), jv_string_value(db)) != 0)
			fprintf(stderr, "plan: %.*s\nlibjq: %.*s\n",
			    (int)(na - pa), pa, (int)(nb - pb), pb);
		FUZZ_CHECK(strcmp(jv_string_value(da),
		    jv_string_value(db)) == 0);
		jv_free(da);
		jv_free(db);
		pa = na + 1;
		pb = nb + 1;
	}
	FUZZ_CHECK(pa == ea && pb == eb);
}

static void
one(struct prog *g, const char *p, size_t n, unsigned long line)
{
	sz_expr *const fast = &g->fast, *const slow = &g->slow;
	sz_jindex ix = { 0 };
	sz_buf oa = { 0 }, ob = { 0 };
	sz_rec r = { 0 };
	long ka, kb;
	int ta, tb;

	if (sz_json_validate_index(p, n, NULL, NULL, &ix) != 0)
		return;
	r.p = p;
	r.n = n;
	r.file = "<fuzz>";
	r.line = line;
	r.ix = &ix;
	ta = sz_expr_test(fast, &r);
	tb = sz_expr_test(slow, &r);
	FUZZ_CHECK(ta == tb);
	if (ta == SZ_EXPR_ERROR)
		FUZZ_CHECK(strcmp(fast->err.p, slow->err.p) == 0);
	ka = sz_expr_map(fast, &r, &oa);
	kb = sz_expr_map(slow, &r, &ob);
	FUZZ_CHECK(ka == kb);
	if (ka == SZ_EXPR_ERROR)
		FUZZ_CHECK(strcmp(fast->err.p, slow->err.p) == 0);
	else
		same_outputs(&oa, &ob);
	/* The same record without its index (members read from bytes). */
	r.ix = NULL;
	FUZZ_CHECK(sz_expr_test(fast, &r) == ta);
	free(ix.el);
	sz_buf_free(&oa);
	sz_buf_free(&ob);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data, *end = p + size, *nl;
	unsigned long line = 1;
	struct prog *g;

	if (size > 1 << 14 || (nl = memchr(p, '\n', size)) == NULL ||
	    nl - p > 256)
		return 0;
	if (!(g = compile(p, (size_t)(nl - p)))->plan)
		return 0;
	for (p = nl + 1; p < end; p = nl + 1) {
		if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL)
			nl = end;
		one(g, p, (size_t)(nl - p), line++);
	}
	return 0;
}
