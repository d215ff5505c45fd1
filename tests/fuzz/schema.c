/* SPDX-License-Identifier: MIT */
/*
 * schema.c - fuzz target of the schema reader (common/run/schema.c,
 * jschema.c, syaml.c): sz_schema_parse on JSON and YAML text.
 *
 * A schema is read or refused with a reason. An sz schema read is
 * compatible with itself, finds each of its fields by name, and its
 * JSON Schema (sz_schema_emit_jsonschema) is one line of valid JSON that
 * reads back as a JSON Schema.
 */
#include <string.h>

#include "json/json.h"
#include "run/schema.h"
#include "fuzz.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	sz_schema s, js;
	sz_buf err = { 0 }, out = { 0 };
	size_t i;

	if (size > 1 << 14)
		return 0;
	if (sz_schema_parse(&s, (const char *)data, size, &err) != 0) {
		FUZZ_CHECK(err.len > 0);
		sz_schema_free(&s);
		sz_buf_free(&err);
		return 0;
	}
	FUZZ_CHECK(s.kind == SZ_SCHEMA_SZ || s.kind == SZ_SCHEMA_JSON);
	if (s.kind == SZ_SCHEMA_SZ) {
		for (i = 0; i < s.nf; i++)
			FUZZ_CHECK(sz_schema_field(&s, s.f[i].name,
			    s.f[i].namelen) >= 0);
		FUZZ_CHECK(sz_schema_compat(&s, &s, 1, &out) == 0);
		sz_buf_reset(&out);
		FUZZ_MEM(sz_schema_emit_jsonschema(&s, &out) == 0);
		FUZZ_CHECK(memchr(out.p, '\n', out.len) == NULL);
		FUZZ_CHECK(sz_json_validate(out.p, out.len, NULL, NULL) == 0);
		sz_buf_reset(&err);
		FUZZ_CHECK(sz_schema_parse(&js, out.p, out.len, &err) == 0);
		FUZZ_CHECK(js.kind == SZ_SCHEMA_JSON);
		sz_schema_free(&js);
	}
	sz_schema_free(&s);
	sz_buf_free(&err);
	sz_buf_free(&out);
	return 0;
}
