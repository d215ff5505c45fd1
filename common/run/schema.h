/* SPDX-License-Identifier: MIT */
/*
 * schema.h - record schemas: the sz schema (typed fields, required,
 * default, ttl, partitions, index_fields; JSON or YAML) and a subset of
 * JSON Schema (draft 7 / 2020-12), read once; records checked against
 * them, or converted into what a typed table stores, every error of a
 * record reported in schema order (man/sz-validate.1).
 *
 * sz-validate is this module's command line; sz-clickhouse builds on the
 * same model (fields, types, conversion). Nothing here prints or exits:
 * errors go into a caller's sz_buf.
 */
#ifndef SZ_SCHEMA_H
#define SZ_SCHEMA_H

#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"
#include "json/json.h"

/* The types of an sz schema's fields, in the order of their names. */
typedef enum sz_ftype {
	SZ_FT_STRING, SZ_FT_INT, SZ_FT_FLOAT, SZ_FT_DATETIME, SZ_FT_JSON,
	SZ_FT_BOOL
} sz_ftype;

/* The name of a type ("string", "int", ...). */
const char *sz_ftype_name(sz_ftype t);

typedef struct sz_field {
	char *name;		/* decoded, NUL-terminated */
	size_t namelen;
	sz_ftype type;
	int required;
	char *def;		/* the default's compact JSON text, or NULL */
	size_t defn;
	char **enumv;		/* "enum": canonical texts (sz_json_canon) */
	char **enumtext;	/* and as written (compact) */
	size_t nenum;
	int implicit;		/* id or timestamp, filled by --implicit */
} sz_field;

typedef struct sz_jsnode sz_jsnode;	/* a JSON Schema (schema.c) */

enum { SZ_SCHEMA_SZ = 1, SZ_SCHEMA_JSON = 2 };

typedef struct sz_schema {
	int kind;		/* SZ_SCHEMA_SZ or SZ_SCHEMA_JSON */
	char *name;		/* the sz schema's "name", or NULL */
	sz_field *f;		/* fields in the file's order */
	size_t nf;
	sz_jsnode *root;	/* the JSON Schema */
	uint64_t ttl_ns;	/* the sz schema's "ttl" (0: none) */
	char **parts;		/* its "partitions" expressions */
	size_t nparts;
	char **idx;		/* its "index_fields" expressions */
	size_t nidx;
	/* private: field lookup by name (open addressing) */
	int *slot;
	size_t nslot;
} sz_schema;

/*
 * Read the schema in p[0..n) (JSON; YAML when yaml is set, or when it is
 * not JSON and libyaml reads it). Its kind is detected: an object with a
 * "fields" object is an sz schema, anything else a JSON Schema. Returns
 * 0, or -1 with the reason in err ("amount: unknown type \"money\"",
 * "unsupported keyword \"$ref\" at /properties/a"). s is zeroed first.
 */
int sz_schema_parse(sz_schema *s, const char *p, size_t n, sz_buf *err);
/* The same for the file at path (read whole). */
int sz_schema_load(sz_schema *s, const char *path, sz_buf *err);
void sz_schema_free(sz_schema *s);

/* --implicit: add StreamHouse's id (string) and timestamp (datetime)
 * when the schema has no such field, and mark them (and declared ones)
 * filled when missing. Returns 0 or -1 (memory). */
int sz_schema_implicit(sz_schema *s);

/* The next identifier of a partitions or index_fields expression at *pp
 * that is not a function's name (followed by '('), string literals and
 * numbers skipped: its first byte, its length in *len, *pp moved past it;
 * NULL at the end. */
const char *sz_schema_expr_ident(const char **pp, size_t *len);

/* The field named k[0..kn) (decoded bytes), or -1. */
int sz_schema_field(const sz_schema *s, const char *k, size_t kn);

/* The draft-07 JSON Schema of an sz schema (one line, no newline). */
int sz_schema_emit_jsonschema(const sz_schema *s, sz_buf *out);

/*
 * Is every record valid under old valid under nw (both sz schemas)? One
 * line per reason is appended to out ("amount: type narrowed from float
 * to int"); returns their number, or -1 on allocation failure. A field
 * that nw removes counts only when extra_reject is set.
 */
int sz_schema_compat(const sz_schema *old, const sz_schema *nw,
    int extra_reject, sz_buf *out);

/* What checking does (sz-validate's options). */
enum { SZ_TIME_RFC3339, SZ_TIME_CLICKHOUSE, SZ_TIME_EPOCH_MS };
enum { SZ_EXTRA_KEEP, SZ_EXTRA_DROP, SZ_EXTRA_REJECT };
typedef struct sz_sopts {
	int convert;		/* --mode=convert (else check) */
	int time_out;		/* SZ_TIME_* */
	int truncate_time;
	int json_string;	/* --json-out=string */
	int coerce_strings;
	int defaults;		/* fill defaults (convert, or --defaults) */
	int extra;		/* SZ_EXTRA_* */
} sz_sopts;

/* Failures counted by top-level field, at most this many names (the
 * rest under "other"). */
#define SZ_SCHECK_MAX_NAMES 256

/*
 * The state of checking records against one schema. After
 * sz_scheck_record():
 *   0: valid; when c->changed the record to write is c->out, else the
 *      input as it came;
 *   1: invalid: c->msg holds every error ("amount: expected float, got
 *      string \"abc\"; currency: ..."), c->errs the dead letter's
 *      members ("errors":[{"path":"/amount","error":"type",...},...]);
 *  -1: out of memory.
 */
typedef struct sz_scheck {
	const sz_schema *s;
	sz_sopts o;
	sz_buf out, msg, errs;
	int changed;
	size_t nerr;
	uint64_t converted;	/* records rewritten */
	uint64_t defaulted;	/* fields filled (default, --implicit) */
	uint64_t dropped_fields;	/* --extra=drop */
	/* failures by top-level field */
	char *fname[SZ_SCHECK_MAX_NAMES];
	uint64_t fcount[SZ_SCHECK_MAX_NAMES];
	size_t nfname;
	uint64_t fother;
	/* private */
	sz_buf conv, scratch, path, tmp;
	size_t *coff, *clen;	/* per field: converted text in conv */
	int *cstate;
	size_t *last;		/* per field: its member (the last), or -1 */
	const char **mv;	/* per record member: value */
	size_t *mvn;
	int *mfield;		/* its field, or what else it is */
	const char **mk;
	size_t *mkn;
	size_t nm, am;
	unsigned char rnd[256];
	size_t nrnd;
} sz_scheck;

int sz_scheck_init(sz_scheck *c, const sz_schema *s, const sz_sopts *o);
/* Check (and convert) the valid JSON value p[0..n); ix is its index
 * (a record's r->ix) or NULL; now is the time --implicit fills in, in
 * nanoseconds since the epoch. */
int sz_scheck_record(sz_scheck *c, const char *p, size_t n,
    const sz_jindex *ix, int64_t now);
void sz_scheck_free(sz_scheck *c);

/* Write the time ns as --time-out says (RFC 3339 with milliseconds in
 * UTC, "YYYY-MM-DD hh:mm:ss", or epoch milliseconds), as JSON text. */
int sz_schema_fmt_time(sz_buf *b, int64_t ns, int time_out);

#endif
