/* SPDX-License-Identifier: MIT */
/*
 * json.h - JSON on raw bytes: a validating scanner, zero-copy lookup of
 * simple paths, string and number helpers, and a canonical text.
 *
 * Nothing here allocates except sz_json_canon and sz_json_compact (into a
 * caller's sz_buf, and scratch memory freed before they return) and
 * nothing prints. Every function that takes a value expects a slice that
 * sz_json_validate accepted (or a sub-slice returned by these functions);
 * behaviour on unvalidated bytes is defined only for sz_json_validate.
 *
 * Strings may hold bytes that are not valid UTF-8: like jq 1.6, the scanner
 * accepts them, and every function that decodes them reads them as jq 1.6
 * does, through str.h (included here: decoding, comparing and writing
 * string literals are its part of the JSON API). Like jq 1.6, the scanner
 * rejects an escaped high surrogate that no escaped low surrogate follows.
 */
#ifndef SZ_JSON_H
#define SZ_JSON_H

#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"
#include "json/str.h"

/*
 * Deepest nesting of arrays and objects accepted; deeper input is an error
 * ("nesting deeper than 128"), never a stack overflow. It is the depth
 * that jq 1.6's parser accepts whatever the containers: that parser stops
 * at 256 entries on its stack, where an array takes one and an object two
 * (itself and the name of the member being read), so it takes 256 arrays
 * but only 128 objects. With this bound every record valid here is one
 * that libjq parses, and the raw-bytes path and libjq accept the same
 * records.
 */
#define SZ_JSON_MAX_DEPTH 128

typedef enum sz_jtype {
	SZ_JNULL, SZ_JFALSE, SZ_JTRUE, SZ_JNUMBER, SZ_JSTRING, SZ_JARRAY,
	SZ_JOBJECT
} sz_jtype;

/* jq's name of a type: "null", "boolean", "number", "string", "array",
 * "object". */
const char *sz_jtype_name(sz_jtype t);

/*
 * Validate that p[0..n) is exactly one JSON value (RFC 8259), optionally
 * surrounded by JSON white space (space, tab, CR, LF). Returns 0 when valid.
 * Otherwise returns -1, sets *reason to a static, human-readable sentence
 * fragment (e.g. "unterminated string", "invalid number",
 * "unexpected character 'x'", "nesting deeper than 128",
 * "unpaired UTF-16 high surrogate escape in string",
 * "trailing characters after the value", "empty input") and *off to the
 * byte offset where the problem was found. reason/off may be NULL.
 * The scanner is iterative: its stack use does not depend on the input.
 */
int sz_json_validate(const char *p, size_t n, const char **reason,
    size_t *off);

/*
 * The members of a top-level object, found while validating (so that
 * lookups of top-level keys need no second walk over the record).
 * n is the number of members, or -1 when the value is not an object or
 * has more than SZ_JINDEX_MAX members (then use sz_json_get).
 */
#define SZ_JINDEX_MAX 64
typedef struct sz_jmember {
	const char *k;		/* the name's literal, quotes included */
	size_t kn;
	const char *v;		/* the value, without white space */
	size_t vn;
} sz_jmember;
typedef struct sz_jindex {
	int n;
	sz_jmember m[SZ_JINDEX_MAX];
	/* With want_el set, the elements of a top-level array: element i
	 * is el[2i] bytes from the start, el[2i+1] bytes long (no white
	 * space); el_ok says the list is complete. The memory is the
	 * index's: free(el) when done. */
	int want_el;
	int el_ok;
	size_t *el;
	size_t nel, elcap;
} sz_jindex;

/* The value of the top-level member whose name is the len bytes at name
 * (no '"', '\\' or control characters in it), in a record whose index ix
 * sz_json_validate_index filled (ix->n >= 0): the last one of that name,
 * as jq reads it, names written with escapes included. 1 with *v and *vn
 * (the value's text, no white space) set, or 0 when there is none. */
int sz_jindex_member(const sz_jindex *ix, const char *name, size_t len,
    const char **v, size_t *vn);

/* sz_json_validate that also fills *ix (which may be NULL; it must start
 * zeroed, e.g. `sz_jindex ix = { 0 };`, and be kept for the next call). */
int sz_json_validate_index(const char *p, size_t n, const char **reason,
    size_t *off, sz_jindex *ix);

/*
 * The ways the validator can find string bytes: words or bytes (scalar,
 * any CPU), SSE2 (the x86-64 baseline) or AVX2 (chosen at run time when
 * the CPU has it). All give the same results. The path in use is the
 * best this CPU and build have, or the one the environment variable
 * SZ_SIMD names (scalar, sse2 or avx2) if this CPU has it; it is chosen
 * once, when the program starts.
 */
typedef enum sz_jsimd {
	SZ_JSIMD_SCALAR, SZ_JSIMD_SSE2, SZ_JSIMD_AVX2
} sz_jsimd;

/* The path in use; whether this CPU and build have a path; its name. */
sz_jsimd sz_json_simd(void);
int sz_json_simd_ok(sz_jsimd path);
const char *sz_json_simd_name(sz_jsimd path);

/* sz_json_validate_index through the given path (the scalar one when
 * this CPU or build does not have it): for tests and benchmarks. */
int sz_json_validate_with(sz_jsimd path, const char *p, size_t n,
    const char **reason, size_t *off, sz_jindex *ix);

/* Skip JSON white space; returns the first other byte or end. */
const char *sz_json_ws(const char *p, const char *end);

/* Type of the valid value starting at p (leading white space allowed). */
sz_jtype sz_json_type(const char *p, const char *end);

/* Given a valid value starting at p (leading white space allowed), return
 * the pointer just past it. */
const char *sz_json_skip(const char *p, const char *end);

/* Trim JSON white space around a slice: *p and *n are updated. */
void sz_json_trim(const char **p, size_t *n);

/*
 * One step of a simple path, as in jq: `.key` / `."key"` / `.["key"]`
 * (SZ_STEP_KEY) or `.[N]` (SZ_STEP_INDEX, N may be negative: counts from
 * the end as in jq).
 */
typedef struct sz_step {
	enum { SZ_STEP_KEY, SZ_STEP_INDEX } kind;
	const char *key;	/* decoded UTF-8 key bytes (not a JSON literal) */
	size_t keylen;
	long long index;
} sz_step;

/* Results of a lookup. */
enum {
	SZ_GET_FOUND = 0,	/* *out / *outn hold the member's raw slice */
	SZ_GET_NULL = 1,	/* jq yields null (missing key, index out of
				   range, or the input is null) */
	SZ_GET_ERROR = 2	/* jq raises an error: indexing a value of the
				   wrong type; *errtype says the input type */
};

/*
 * Apply one step to the valid value v[0..n) exactly as jq 1.6 does:
 * - key on an object: the value of the *last* member whose decoded name
 *   equals the key (escapes such as "\u0061" resolved), else SZ_GET_NULL;
 * - key on null, index on null: SZ_GET_NULL;
 * - index on an array: element i (i < 0 counts from the end), else
 *   SZ_GET_NULL;
 * - anything else: SZ_GET_ERROR with *errtype the type of v.
 * The returned slice has no surrounding white space.
 */
int sz_json_get(const char *v, size_t n, const sz_step *step,
    const char **out, size_t *outn, sz_jtype *errtype);

/* Apply steps[0..nsteps) in turn (stopping at the first NULL or ERROR). */
int sz_json_path(const char *v, size_t n, const sz_step *steps,
    size_t nsteps, const char **out, size_t *outn, sz_jtype *errtype);

/*
 * The members of an object, in order, without allocation:
 *
 *	sz_jmembers it;
 *
 *	sz_json_members(&it, r->p, r->n, r->ix);
 *	while (sz_json_members_next(&it)) {
 *		name = sz_jmember_name(&it.m, &scratch, &namelen);
 *		... it.m.v, it.m.vn ...
 *	}
 *
 * Every member comes once, duplicates included, in the order written (jq
 * keeps the last of equal names: a caller that wants jq's object keeps
 * the last one it sees). it.m holds the current member: k/kn the name's
 * literal (quotes and escapes as written), v/vn the value's slice without
 * white space (a nested value whole: it is skipped, not walked). Nothing
 * is decoded unless asked for, with sz_jmember_name.
 *
 * v[0..n) must be a valid object (white space around it allowed; a value
 * of another type has no members). ix may be NULL; when it is not and
 * ix->n >= 0 it must be the index that sz_json_validate_index filled for
 * v (a record's r->ix), and the members are read from it instead of the
 * bytes. The iterator borrows v (and ix): they must outlive it.
 */
typedef struct sz_jmembers {
	sz_jmember m;		/* the current member */
	/* private */
	const char *s, *e, *lo;	/* the members not yet read */
	const sz_jindex *ix;	/* read from ix->m[i] instead, or NULL */
	int i;
} sz_jmembers;

void sz_json_members(sz_jmembers *it, const char *v, size_t n,
    const sz_jindex *ix);
/* Step to the next member: 1 with it->m set, or 0 after the last one
 * (and on every later call). */
int sz_json_members_next(sz_jmembers *it);
/* The decoded name of m (sz_jstr_decode): *len bytes, in the record's
 * bytes when the literal is its own decoded form, else in scratch; NULL
 * when memory runs out. */
const char *sz_jmember_name(const sz_jmember *m, sz_buf *scratch,
    size_t *len);

/* The valid JSON number literal s[0..n) as a double (strtod semantics,
 * locale-independent; overflow gives an infinity, as in jq 1.6, where
 * 1e1000 == infinite and only printing turns it into +-DBL_MAX). */
double sz_json_num(const char *s, size_t n);
/* Do the valid number literals a[0..an) and b[0..bn) denote the same
 * decimal number (1.50 and 1.5e0 do; zeros are equal whatever their sign)?
 * Exact: no rounding to a double. */
int sz_json_num_eq(const char *a, size_t an, const char *b, size_t bn);
/* Compare the valid number literals a[0..an) and b[0..bn) by their exact
 * decimal values (no rounding to a double; zeros are equal whatever their
 * sign): <0, 0, >0. Exponents beyond +-10^15 saturate. */
int sz_json_num_cmp(const char *a, size_t an, const char *b, size_t bn);
/* The valid number literal s[0..n) as a 64-bit integer, exactly:
 * SZ_NUM_INT with *v set (4, 4.0, 40e-1, -0), SZ_NUM_FRACTION when its
 * value is not an integer (4.7), SZ_NUM_RANGE when it is one outside
 * [-2^63, 2^63-1] (2^63, 1e400). */
enum { SZ_NUM_INT = 0, SZ_NUM_FRACTION = 1, SZ_NUM_RANGE = 2 };
int sz_json_num_int64(const char *s, size_t n, int64_t *v);
/* 10^0 .. 10^22, the powers of ten that doubles hold exactly. */
extern const double sz_json_pow10[23];

/*
 * Order two canonical texts (sz_json_canon) as jq orders values (sort_by,
 * jv_cmp): null < false < true < numbers < strings < arrays < objects;
 * numbers by exact value (sz_json_num_cmp), strings by their decoded
 * bytes (sz_json_str_cmp), arrays element by element (a prefix first),
 * objects by their sorted names (as arrays of strings), then by the
 * values name by name. An empty text (n = 0) sorts before every value.
 * Returns <0, 0, >0.
 */
int sz_json_cmp(const char *a, size_t an, const char *b, size_t bn);

/*
 * Canonical text of the valid value v[0..n), appended to out. Two values
 * get the same canonical text exactly when they are the same JSON value:
 * - null, true, false as such;
 * - a number by its exact decimal value: let the value be
 *   (-1)^s * M * 10^E with M a positive integer without trailing zeros.
 *   Zero (any sign, any spelling) is "0". If E >= 0 and M has at most
 *   64 - E digits (the integer has at most 64 digits) it is written as a
 *   plain integer ("-"? digits, e.g. 100, -42); otherwise as M "e" E
 *   (e.g. 1.5 -> "15e-1", 1e100 -> "1e100", -0.25 -> "-25e-2").
 *   Exponents beyond +-(2^62) saturate.
 * - a string: its decoded contents (invalid UTF-8 as U+FFFD) in double
 *   quotes, escaping only '"' as \" and '\' as \\, the controls 0x08,
 *   0x09, 0x0A, 0x0C, 0x0D as \b \t \n \f \r and the other bytes below
 *   0x20 as \u00XX (lower-case hex); every other character as raw UTF-8;
 * - an array: "[" the elements' canonical texts joined by "," "]";
 * - an object: duplicate names resolved as jq does (the last value wins),
 *   members sorted by their decoded names compared as unsigned bytes,
 *   written as "{" name ":" value joined by "," "}" with names in
 *   string form as above.
 * No white space anywhere. v may be nested up to 1024 deep (deeper than
 * records: it may be the text of a value that a jq program built). Returns
 * 0, or -1 on allocation failure (or for deeper text).
 */
int sz_json_canon(const char *v, size_t n, sz_buf *out);

/*
 * Append the valid value v[0..n) to out without white space outside
 * strings, keeping its text (escapes, number spellings, key order), except
 * for the strings that jq 1.6 reads otherwise than written (invalid UTF-8,
 * a lone surrogate escape): those are written as `jq -c` writes their
 * value. Returns 0, or -1 on allocation failure.
 */
int sz_json_compact(const char *v, size_t n, sz_buf *out);

#endif
