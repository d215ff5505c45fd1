/* SPDX-License-Identifier: MIT */
/*
 * syaml.c - a YAML schema turned into JSON text with libyaml, so that the
 * rest of the schema module reads one format; see schema_int.h.
 *
 * One document of mappings, sequences and scalars. Mapping keys become
 * strings; a plain scalar is null (null, Null, NULL, ~ or nothing), a
 * boolean (true/false, True/False, TRUE/FALSE), a number when it is a JSON
 * number (a leading + dropped), and otherwise a string, as is every
 * quoted scalar. Anchors and aliases, and a second document, are errors.
 */
#include <string.h>

#include <yaml.h>

#include "run/schema_int.h"

static int
is_any(const char *s, const char *const *words)
{
	for (; *words != NULL; words++)
		if (strcmp(s, *words) == 0)
			return 1;
	return 0;
}

static int
scalar(sz_buf *out, const yaml_event_t *ev, int key)
{
	static const char *const nulls[] = { "null", "Null", "NULL", "~", "",
	    NULL };
	static const char *const trues[] = { "true", "True", "TRUE", NULL };
	static const char *const falses[] = { "false", "False", "FALSE",
	    NULL };
	const char *s = (const char *)ev->data.scalar.value;
	size_t n = ev->data.scalar.length;
	const char *num = s;

	if (key || ev->data.scalar.style != YAML_PLAIN_SCALAR_STYLE ||
	    ev->data.scalar.tag != NULL || memchr(s, '\0', n) != NULL)
		return sz_buf_add_jstr(out, s, n);
	if (is_any(s, nulls))
		return sz_buf_adds(out, "null");
	if (is_any(s, trues))
		return sz_buf_adds(out, "true");
	if (is_any(s, falses))
		return sz_buf_adds(out, "false");
	if (n > 1 && s[0] == '+')
		num++;
	if ((num[0] == '-' || (num[0] >= '0' && num[0] <= '9')) &&
	    sz_json_validate(num, n - (size_t)(num - s), NULL, NULL) == 0 &&
	    num[n - (size_t)(num - s) - 1] >= '0' &&
	    num[n - (size_t)(num - s) - 1] <= '9')
		return sz_buf_add(out, num, n - (size_t)(num - s));
	return sz_buf_add_jstr(out, s, n);
}

int
sz_schema_yaml(const char *p, size_t n, sz_buf *out, sz_buf *err)
{
	yaml_parser_t yp;
	yaml_event_t ev;
	/* per open container: 'm' a mapping, 's' a sequence; and whether
	 * its next node is a key, and whether it has a member yet */
	char kind[SZ_JSON_MAX_DEPTH];
	int iskey[SZ_JSON_MAX_DEPTH], any[SZ_JSON_MAX_DEPTH];
	int depth = 0, docs = 0, rc = 0, done = 0;

	if (!yaml_parser_initialize(&yp))
		return -1;
	yaml_parser_set_input_string(&yp, (const unsigned char *)p, n);
	while (!done && rc == 0) {
		int node = 0, key = 0;

		if (!yaml_parser_parse(&yp, &ev)) {
			sz_buf_printf(err, "line %lu: %s",
			    (unsigned long)yp.problem_mark.line + 1,
			    yp.problem ? yp.problem : "YAML error");
			rc = -1;
			break;
		}
		switch (ev.type) {
		case YAML_STREAM_END_EVENT:
			done = 1;
			break;
		case YAML_DOCUMENT_START_EVENT:
			if (++docs > 1) {
				sz_buf_adds(err, "more than one YAML document");
				rc = -1;
			}
			break;
		case YAML_ALIAS_EVENT:
			sz_buf_printf(err, "line %lu: YAML aliases are not "
			    "supported", (unsigned long)ev.start_mark.line + 1);
			rc = -1;
			break;
		case YAML_SCALAR_EVENT:
		case YAML_MAPPING_START_EVENT:
		case YAML_SEQUENCE_START_EVENT:
			node = 1;
			if (ev.type == YAML_SCALAR_EVENT ?
			    ev.data.scalar.anchor != NULL :
			    ev.type == YAML_MAPPING_START_EVENT ?
			    ev.data.mapping_start.anchor != NULL :
			    ev.data.sequence_start.anchor != NULL) {
				sz_buf_printf(err, "line %lu: YAML anchors are "
				    "not supported",
				    (unsigned long)ev.start_mark.line + 1);
				rc = -1;
			}
			break;
		case YAML_MAPPING_END_EVENT:
		case YAML_SEQUENCE_END_EVENT:
			rc |= sz_buf_addc(out, kind[--depth] == 'm' ? '}' : ']');
			break;
		default:
			break;
		}
		if (node && rc == 0) {
			if (depth > 0) {
				key = kind[depth - 1] == 'm' && iskey[depth - 1];
				if (kind[depth - 1] == 'm')
					iskey[depth - 1] = !iskey[depth - 1];
				if (any[depth - 1] && (key ||
				    kind[depth - 1] == 's'))
					rc |= sz_buf_addc(out, ',');
				any[depth - 1] = 1;
			}
			if (key && ev.type != YAML_SCALAR_EVENT) {
				sz_buf_printf(err, "line %lu: a mapping key that "
				    "is not a scalar",
				    (unsigned long)ev.start_mark.line + 1);
				rc = -1;
			} else if (ev.type == YAML_SCALAR_EVENT) {
				rc |= scalar(out, &ev, key);
				if (key)
					rc |= sz_buf_addc(out, ':');
			} else if (depth == SZ_JSON_MAX_DEPTH) {
				sz_buf_adds(err, "YAML nested too deeply");
				rc = -1;
			} else {
				kind[depth] = ev.type ==
				    YAML_MAPPING_START_EVENT ? 'm' : 's';
				iskey[depth] = 1;
				any[depth++] = 0;
				rc |= sz_buf_addc(out, kind[depth - 1] == 'm' ?
				    '{' : '[');
			}
		}
		yaml_event_delete(&ev);
	}
	yaml_parser_delete(&yp);
	if (rc == 0 && docs == 0) {
		sz_buf_adds(err, "empty");
		rc = -1;
	}
	return rc == 0 ? 0 : -1;
}
