/* SPDX-License-Identifier: MIT */
/*
 * schema_int.h - what the parts of the schema module (schema.c, the sz
 * schema; jschema.c, JSON Schema; sconv.c, checking; syaml.c, YAML)
 * share. Not for tools: they use schema.h.
 */
#ifndef SZ_SCHEMA_INT_H
#define SZ_SCHEMA_INT_H

#include "run/schema.h"

/* The elements of the valid array v[0..n): *it starts at NULL; each call
 * gives the next element's slice (*ep, *en), 0 after the last. */
int sz_schema_elem(const char *v, size_t n, const char **it,
    const char **ep, size_t *en);
/* A string literal decoded, or a value's canonical text, malloc'd and
 * NUL-terminated; NULL when memory runs out. */
char *sz_schema_strdup(const char *v, size_t n);
char *sz_schema_canon_dup(const char *v, size_t n);

/* Does v[0..n) convert to f's type (a default, an enum value)? 0, or -1
 * with the reason in err, naming the field. */
int sz_schema_conv_check(const sz_field *f, const char *v, size_t n,
    sz_buf *err);

/* YAML text to JSON text (into out): 0, or -1 (err set when it was
 * YAML that could not be turned into JSON, left empty when it is not
 * YAML at all or libyaml is not built in). */
int sz_schema_yaml(const char *p, size_t n, sz_buf *out, sz_buf *err);

/* JSON Schema: read (0, or -1 with err naming the keyword and where),
 * free, and fill s->f with the root's properties (type json, required,
 * default) for --extra and --defaults. */
int sz_schema_js_parse(sz_jsnode **root, const char *p, size_t n,
    sz_buf *err);
void sz_schema_js_free(sz_jsnode *s);
int sz_schema_js_fields(sz_schema *s, sz_buf *err);

/* Check v[0..n) against the JSON Schema node s, adding every error to c
 * (sz_scheck_error) with c->path the value's JSON pointer. top: v is the
 * record (its _sz and _redis members are not checked). 0, or -1 on
 * allocation failure. */
int sz_schema_js_check(sz_scheck *c, const sz_jsnode *s, const char *v,
    size_t n, int top);

/*
 * Add one error at c->path: kind is the dead letter's "error" ("type",
 * "required", "minimum", ...), expected a text or NULL, got the value's
 * JSON (v[0..vn), shown compact and cut at 64 bytes) or NULL, and msg
 * the message after "PATH: ". 0 or -1.
 */
int sz_scheck_error(sz_scheck *c, const char *kind, const char *expected,
    const char *v, size_t vn, const char *msg);

#endif
