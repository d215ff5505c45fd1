/* SPDX-License-Identifier: MIT */
/*
 * json.c - fuzz target of the validator and the canonical text
 * (common/json/json.c).
 *
 * For any input: sz_json_validate and sz_json_validate_index give the
 * same verdict, reason and offset, and the offset lies in the input.
 * For a valid value: sz_json_skip ends where the value ends; its
 * canonical text is valid, and canonicalising that again gives the same
 * bytes; its compact text is valid and has the same canonical text;
 * libjq 1.6 reads the value, and reads the same value from the canonical
 * text (json.h: every record valid here is one libjq parses).
 */
#include <jq.h>
#include <string.h>

#include "json/json.h"
#include "fuzz.h"

static int
valid(const sz_buf *b)
{
	return sz_json_validate(b->p, b->len, NULL, NULL) == 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data, *r1 = NULL, *r2 = NULL, *v, *e;
	size_t off1 = 0, off2 = 0;
	sz_jindex ix = { 0 };
	sz_buf c1 = { 0 }, c2 = { 0 }, k = { 0 }, ck = { 0 };
	int rc1, rc2;
	jv a, b;

	if (size > 1 << 16)
		return 0;
	rc1 = sz_json_validate(p, size, &r1, &off1);
	ix.want_el = data[0 % (size ? size : 1)] & 1;
	rc2 = sz_json_validate_index(p, size, &r2, &off2, &ix);
	free(ix.el);
	FUZZ_CHECK(rc1 == rc2);
	if (rc1 != 0) {
		FUZZ_CHECK(r1 != NULL && r2 != NULL && strcmp(r1, r2) == 0);
		FUZZ_CHECK(off1 == off2 && off1 <= size);
		return 0;
	}
	v = sz_json_ws(p, p + size);
	FUZZ_CHECK(v < p + size);
	e = sz_json_skip(v, p + size);
	FUZZ_CHECK(e > v && e <= p + size);
	FUZZ_CHECK(sz_json_ws(e, p + size) == p + size);

	FUZZ_MEM(sz_json_canon(p, size, &c1) == 0);
	FUZZ_CHECK(valid(&c1));
	FUZZ_MEM(sz_json_canon(c1.p, c1.len, &c2) == 0);
	FUZZ_CHECK(c1.len == c2.len && memcmp(c1.p, c2.p, c1.len) == 0);
	FUZZ_MEM(sz_json_compact(p, size, &k) == 0);
	FUZZ_CHECK(valid(&k));
	FUZZ_MEM(sz_json_canon(k.p, k.len, &ck) == 0);
	FUZZ_CHECK(ck.len == c1.len && memcmp(ck.p, c1.p, c1.len) == 0);

	a = jv_parse_sized(p, (int)size);
	FUZZ_CHECK(jv_is_valid(a));
	b = jv_parse_sized(c1.p, (int)c1.len);
	FUZZ_CHECK(jv_is_valid(b));
	FUZZ_CHECK(jv_equal(a, b));	/* consumes both */

	sz_buf_free(&c1);
	sz_buf_free(&c2);
	sz_buf_free(&k);
	sz_buf_free(&ck);
	return 0;
}
