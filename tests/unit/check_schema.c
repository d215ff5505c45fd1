/* SPDX-License-Identifier: MIT */
/* check_schema.c - unit tests of common/run/schema.c, jschema.c, sconv.c
 * and syaml.c (and of the exact number helpers of json.c they stand on),
 * written as TAP on stdout. */
#include <check.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "run/report.h"
#include "run/schema.h"
#include "tap.h"

/* ---- json.c: exact numbers ---------------------------------------------- */

static const struct {
	const char *a, *b;
	int cmp;
} cmps[] = {
	{ "1", "1.0", 0 }, { "-0", "0", 0 }, { "0.0e5", "-0.000", 0 },
	{ "1.5", "15e-1", 0 }, { "2", "10", -1 }, { "10", "9.99", 1 },
	{ "-2", "-10", 1 }, { "-1", "0", -1 }, { "1e400", "1e399", 1 },
	{ "9223372036854775808", "9223372036854775807", 1 },
	{ "0.1", "0.10000000000000001", -1 }, { "1e-400", "0", 1 },
	{ "123", "1.23e2", 0 }, { "100", "1e2", 0 }, { "0.5", "0.49999", 1 },
};

START_TEST(test_num_cmp)
{
	const char *a = cmps[_i].a, *b = cmps[_i].b;
	int r = sz_json_num_cmp(a, strlen(a), b, strlen(b));
	int s = sz_json_num_cmp(b, strlen(b), a, strlen(a));

	r = r < 0 ? -1 : r > 0;
	s = s < 0 ? -1 : s > 0;
	ck_assert_msg(r == cmps[_i].cmp, "%s vs %s: %d", a, b, r);
	ck_assert_msg(s == -cmps[_i].cmp, "%s vs %s: %d", b, a, s);
}
END_TEST

static const struct {
	const char *s;
	int rc;
	int64_t v;
} ints[] = {
	{ "0", SZ_NUM_INT, 0 }, { "-0", SZ_NUM_INT, 0 }, { "4.0", SZ_NUM_INT, 4 },
	{ "40e-1", SZ_NUM_INT, 4 }, { "1.5e1", SZ_NUM_INT, 15 },
	{ "4.7", SZ_NUM_FRACTION, 0 }, { "0.5", SZ_NUM_FRACTION, 0 },
	{ "1e-400", SZ_NUM_FRACTION, 0 }, { "1e400", SZ_NUM_RANGE, 0 },
	{ "9223372036854775807", SZ_NUM_INT, INT64_MAX },
	{ "-9223372036854775808", SZ_NUM_INT, INT64_MIN },
	{ "9223372036854775808", SZ_NUM_RANGE, 0 },
	{ "-9223372036854775809", SZ_NUM_RANGE, 0 },
	{ "18446744073709551616", SZ_NUM_RANGE, 0 },
	{ "92233720368547758070e-1", SZ_NUM_INT, INT64_MAX },
	{ "007", SZ_NUM_INT, 7 },
};

START_TEST(test_num_int64)
{
	int64_t v = 99;
	int rc = sz_json_num_int64(ints[_i].s, strlen(ints[_i].s), &v);

	ck_assert_msg(rc == ints[_i].rc, "%s: rc %d", ints[_i].s, rc);
	if (rc == SZ_NUM_INT)
		ck_assert_msg(v == ints[_i].v, "%s: %lld", ints[_i].s,
		    (long long)v);
}
END_TEST

/* ---- schemas ---------------------------------------------------------------- */

static int
parse(sz_schema *s, const char *text, sz_buf *err)
{
	sz_buf_reset(err);
	return sz_schema_parse(s, text, strlen(text), err);
}

static const struct {
	const char *schema;
	const char *err;	/* NULL: valid */
} schemas[] = {
	{ "{\"fields\":{\"a\":{\"type\":\"int\"}}}", NULL },
	{ "{\"fields\":{\"a\":\"float\"}}", NULL },
	{ "{\"fields\":{\"a\":{\"type\":\"money\"}}}",
	    "a: unknown type \"money\" (string, int, float, datetime, json, "
	    "bool)" },
	{ "{\"fields\":{\"a\":{\"type\":\"int\",\"default\":\"x\"}}}",
	    "a: \"x\" does not convert to int" },
	{ "{\"fields\":{\"a\":{\"type\":\"int\",\"enum\":[1,2],"
	    "\"default\":3}}}",
	    "a: 3 does not convert to int (not in the field's enum)" },
	{ "{\"fields\":{\"a\":{\"type\":\"int\"}},\"index_fields\":[\"b\"]}",
	    "index_fields: \"b\" names \"b\", which is not a field" },
	{ "{\"fields\":{\"a\":{\"type\":\"int\"}},\"partitions\":"
	    "[\"toYYYYMM(timestamp)\",\"id\"]}", NULL },
	{ "{\"fields\":{},\"color\":1}",
	    "unknown key \"color\" in the schema (name, fields, ttl, "
	    "partitions, index_fields, description, version)" },
	{ "{\"type\":\"object\",\"properties\":{\"a\":{\"not\":{}}}}",
	    "unsupported keyword \"not\" at /properties/a" },
	{ "{\"items\":[{\"type\":\"string\"},{\"format\":\"uri\"}]}",
	    "unsupported format \"uri\" at /items/1" },
	{ "{\"pattern\":\"(\"}", NULL /* checked apart: onig's text */ },
	{ "fields:\n  a: {type: bool}\n", NULL },
	{ "true", NULL },
	{ "3", "a schema is an object or a boolean at the schema's root" },
};

START_TEST(test_parse)
{
	sz_schema s;
	sz_buf err = SZ_BUF_INIT;
	int rc = parse(&s, schemas[_i].schema, &err);

	if (strcmp(schemas[_i].schema, "{\"pattern\":\"(\"}") == 0) {
		ck_assert_int_eq(rc, -1);
		ck_assert_msg(strncmp(err.p, "bad \"pattern\" \"(\" at the "
		    "schema's root: ", 38) == 0, "%s", err.p);
	} else if (schemas[_i].err == NULL)
		ck_assert_msg(rc == 0, "%s: %s", schemas[_i].schema, err.p);
	else {
		ck_assert_int_eq(rc, -1);
		ck_assert_str_eq(err.p, schemas[_i].err);
	}
	sz_schema_free(&s);
	sz_buf_free(&err);
}
END_TEST

START_TEST(test_fields_order)
{
	sz_schema s;
	sz_buf err = SZ_BUF_INIT;

	ck_assert_int_eq(parse(&s, "{\"fields\":{\"z\":\"int\",\"a\":\"bool\","
	    "\"m\":{\"type\":\"json\",\"required\":true}}}", &err), 0);
	ck_assert_int_eq(s.kind, SZ_SCHEMA_SZ);
	ck_assert_uint_eq(s.nf, 3);
	ck_assert_str_eq(s.f[0].name, "z");
	ck_assert_str_eq(s.f[1].name, "a");
	ck_assert_str_eq(s.f[2].name, "m");
	ck_assert_int_eq(s.f[2].required, 1);
	ck_assert_int_eq(sz_schema_field(&s, "a", 1), 1);
	ck_assert_int_eq(sz_schema_field(&s, "q", 1), -1);
	ck_assert_int_eq(sz_schema_implicit(&s), 0);
	ck_assert_uint_eq(s.nf, 5);
	ck_assert_int_eq(sz_schema_field(&s, "timestamp", 9), 4);
	ck_assert_int_eq(s.f[4].type, SZ_FT_DATETIME);
	sz_schema_free(&s);
	sz_buf_free(&err);
}
END_TEST

START_TEST(test_yaml_same_as_json)
{
	sz_schema a, b;
	sz_buf err = SZ_BUF_INIT, ja = SZ_BUF_INIT, jb = SZ_BUF_INIT;

	ck_assert_int_eq(parse(&a, "name: p\nfields:\n  n: {type: int, "
	    "default: +3}\n  s:\n    type: string\n    default: \"007\"\n"
	    "  b: {type: bool, required: true}\n", &err), 0);
	ck_assert_int_eq(parse(&b, "{\"name\":\"p\",\"fields\":{\"n\":{\"type\":"
	    "\"int\",\"default\":3},\"s\":{\"type\":\"string\",\"default\":"
	    "\"007\"},\"b\":{\"type\":\"bool\",\"required\":true}}}", &err), 0);
	ck_assert_int_eq(sz_schema_emit_jsonschema(&a, &ja), 0);
	ck_assert_int_eq(sz_schema_emit_jsonschema(&b, &jb), 0);
	ck_assert_str_eq(ja.p, jb.p);
	sz_schema_free(&a);
	sz_schema_free(&b);
	sz_buf_free(&err);
	sz_buf_free(&ja);
	sz_buf_free(&jb);
}
END_TEST

/* ---- checking ---------------------------------------------------------------- */

static const struct {
	const char *schema;
	int convert, time_out;
	const char *in;
	int rc;
	const char *out;	/* rc 0: the record written (NULL: as it came);
				   rc 1: the message */
	const char *errs;	/* rc 1: the dead letter's members */
} recs[] = {
	{ "{\"fields\":{\"n\":\"int\"}}", 1, 0, "{\"n\":4.0}", 0,
	    "{\"n\":4}", NULL },
	{ "{\"fields\":{\"n\":\"int\"}}", 0, 0, "{\"n\":4.0}", 0, NULL, NULL },
	{ "{\"fields\":{\"n\":\"int\"}}", 1, 0, "{\"n\" : 4 }", 0, NULL, NULL },
	{ "{\"fields\":{\"n\":\"int\",\"s\":{\"type\":\"string\","
	    "\"required\":true}}}", 1, 0, "{\"n\":\"4.0\"}", 1,
	    "n: expected int, got string \"4.0\"; s: required field is "
	    "missing",
	    "\"errors\":[{\"path\":\"/n\",\"error\":\"type\",\"expected\":"
	    "\"int\",\"got\":\"\\\"4.0\\\"\"},{\"path\":\"/s\",\"error\":"
	    "\"required\",\"expected\":\"string\"}]" },
	{ "{\"fields\":{\"t\":\"datetime\"}}", 1, SZ_TIME_CLICKHOUSE,
	    "{\"t\":\"2024-02-29T23:00:00-01:00\"}", 0,
	    "{\"t\":\"2024-03-01 00:00:00\"}", NULL },
	{ "{\"fields\":{\"t\":\"datetime\"}}", 1, SZ_TIME_EPOCH_MS,
	    "{\"t\":\"1970-01-01 00:00:01.5\"}", 0, "{\"t\":1500}", NULL },
	{ "{\"fields\":{\"a/b\":\"bool\"}}", 1, 0, "{\"a/b\":2}", 1,
	    "a~1b: expected bool, got number 2",
	    "\"errors\":[{\"path\":\"/a~1b\",\"error\":\"type\",\"expected\":"
	    "\"bool\",\"got\":\"2\"}]" },
	{ "{\"properties\":{\"a\":{\"items\":[{\"type\":\"string\"}]}}}", 0, 0,
	    "{\"a\":[1]}", 1, "a/0: expected string, got number 1",
	    "\"errors\":[{\"path\":\"/a/0\",\"error\":\"type\",\"expected\":"
	    "\"string\",\"got\":\"1\"}]" },
	{ "{\"maximum\":9223372036854775807}", 0, 0, "9223372036854775808", 1,
	    "(record): maximum: expected <= 9223372036854775807, got "
	    "9223372036854775808", NULL },
	{ "{\"fields\":{\"s\":\"string\"}}", 1, 0,
	    "{\"s\":1234567890123456789012345678901234567890123456789012345678"
	    "90123456789}", 1,
	    "s: expected string, got number 12345678901234567890123456789012"
	    "34567890123456789012345678901234...", NULL },
};

START_TEST(test_record)
{
	sz_schema s;
	sz_scheck c;
	sz_sopts o = { 0 };
	sz_buf err = SZ_BUF_INIT;
	const char *in = recs[_i].in;
	int rc;

	ck_assert_int_eq(parse(&s, recs[_i].schema, &err), 0);
	o.convert = o.defaults = recs[_i].convert;
	o.time_out = recs[_i].time_out;
	ck_assert_int_eq(sz_scheck_init(&c, &s, &o), 0);
	rc = sz_scheck_record(&c, in, strlen(in), NULL, 0);
	ck_assert_int_eq(rc, recs[_i].rc);
	if (rc == 0 && recs[_i].out == NULL)
		ck_assert_int_eq(c.changed, 0);
	else if (rc == 0) {
		ck_assert_int_eq(c.changed, 1);
		ck_assert_str_eq(c.out.p, recs[_i].out);
	} else {
		ck_assert_str_eq(c.msg.p, recs[_i].out);
		if (recs[_i].errs != NULL)
			ck_assert_str_eq(c.errs.p, recs[_i].errs);
	}
	sz_scheck_free(&c);
	sz_schema_free(&s);
	sz_buf_free(&err);
}
END_TEST

START_TEST(test_dead_more)
{
	sz_buf b = SZ_BUF_INIT;
	sz_dead d = { "bad", "validation", "f", 3, 1, "{}", 2, 1,
	    "\"errors\":[]", 11 };
	const char *p;

	ck_assert_int_eq(sz_dead_json(&b, "sz-validate", "v", &d), 0);
	p = strstr(b.p, "\"error_kind\":\"validation\",\"errors\":[],\"file\":");
	ck_assert_ptr_nonnull(p);
	sz_buf_free(&b);
}
END_TEST

static Suite *
schema_suite(void)
{
	Suite *s = suite_create("schema");
	TCase *tc = tcase_create("schema");

	tcase_add_loop_test(tc, test_num_cmp, 0,
	    (int)(sizeof(cmps) / sizeof(cmps[0])));
	tcase_add_loop_test(tc, test_num_int64, 0,
	    (int)(sizeof(ints) / sizeof(ints[0])));
	tcase_add_loop_test(tc, test_parse, 0,
	    (int)(sizeof(schemas) / sizeof(schemas[0])));
	tcase_add_test(tc, test_fields_order);
	tcase_add_test(tc, test_yaml_same_as_json);
	tcase_add_loop_test(tc, test_record, 0,
	    (int)(sizeof(recs) / sizeof(recs[0])));
	tcase_add_test(tc, test_dead_more);
	suite_add_tcase(s, tc);
	return s;
}

SZ_CHECK_MAIN(schema_suite)
