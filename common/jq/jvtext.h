/* SPDX-License-Identifier: MIT */
/*
 * jvtext.h - jq values (jv) from JSON text and back to compact JSON text,
 * without going through libjq's parser and printer.
 *
 * libjq's jv_parse_sized() sets up a whole streaming parser for every call
 * and jv_dump_string() builds a jv string that must then be copied; for
 * one small record at a time that is most of the cost of running a simple
 * program. These functions give the same values and the same text:
 *
 * - sz_jv_from_json() builds exactly the value jq 1.6's parser would
 *   (members inserted in text order, so the last of duplicate keys wins
 *   and iteration order is jq's; strings decoded by sz_json_unescape() as
 *   jq's parser decodes them, or made by jv_string_sized() when they have
 *   no escapes; numbers by sz_json_num(), correctly rounded, overflow to
 *   infinity as in jq). Every text that sz_json_validate() accepts is one
 *   that jq's parser accepts (see SZ_JSON_MAX_DEPTH), so there is no error
 *   to give.
 * - sz_jv_dump() appends the text `jq -c` prints: object members in
 *   jv_object_iter() order, strings escaped as jq does ('"', '\\', \b \t
 *   \n \f \r, other controls and DEL as \u00xx), numbers in the shortest
 *   form that reads back as the same double, formatted as jq 1.6 does
 *   (1e+17, 1e-05, 0.0001, 100), NaN as null and infinities as
 *   +-1.7976931348623157e+308.
 *
 * Both are checked against libjq itself in tests/unit/check_jvtext.c.
 */
#ifndef SZ_JVTEXT_H
#define SZ_JVTEXT_H

#include <stddef.h>

#include <jv.h>

#include "core/buf.h"

/*
 * The jq value of p[0..n), text that sz_json_validate() accepted. scratch
 * holds decoded strings between calls (its contents are not kept).
 * Returns the value that jv_parse_sized(p, n) would. Aborts on allocation
 * failure, as libjq does.
 */
jv sz_jv_from_json(const char *p, size_t n, sz_buf *scratch);

/*
 * Short strings made before (object names, values such as "purchase"),
 * kept for the next records: sz_jv_from_json_c() gives a copy of the
 * kept value instead of a new string. Used by one thread (the values'
 * refcounts are libjq's plain integers), like the sz_jq that runs them.
 * Zeroed memory is an empty cache.
 */
#define SZ_JVCACHE_N 128
#define SZ_JVCACHE_LEN 22
typedef struct sz_jvcache {
	struct sz_jvcache_e {
		jv v;
		unsigned char n;	/* 0: empty */
		char s[SZ_JVCACHE_LEN];
	} e[SZ_JVCACHE_N];
} sz_jvcache;

/* sz_jv_from_json() with the cache c (NULL: none); the same value. */
jv sz_jv_from_json_c(const char *p, size_t n, sz_buf *scratch,
    sz_jvcache *c);
/* Drop what c keeps (c itself is the caller's). */
void sz_jvcache_free(sz_jvcache *c);

/*
 * Append the compact JSON text of v (not consumed) to b, exactly as
 * jv_dump_string(v, 0) would write it. Returns 0, or -1 when b cannot
 * grow.
 */
int sz_jv_dump(jv v, sz_buf *b);

/*
 * Write the number d as jq 1.6 prints it into out (at least
 * SZ_JV_NUMBUF bytes: the longest is a sign and 32 digits, as in
 * -10141204801825835000000000000000), NUL-terminated; returns the length.
 */
#define SZ_JV_NUMBUF 40
size_t sz_jv_fmt_number(double d, char *out);

/*
 * Does jq 1.6 keep the value of the JSON number literal s[0..n)? True when
 * the double it reads (sz_json_num), printed as jq prints it
 * (sz_jv_fmt_number), is the same decimal number, whatever the spelling:
 * 1.50 (printed 1.5), 1e5 (100000), 0.1, -0 are kept;
 * 12345678901234567890 (printed 12345678901234567000), 1e400
 * (1.7976931348623157e+308) and 1e-400 (0) are not.
 */
int sz_jv_num_kept(const char *s, size_t n);

#endif
