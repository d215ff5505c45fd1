/* SPDX-License-Identifier: MIT */
/*
 * byvalue.h - sz-partition --by-value EXPR TEMPLATE: each record, byte for
 * byte, to the file that TEMPLATE names for the value of EXPR, with %s
 * replaced by the value made safe for a file name; at most --max-files
 * files open at once, the least recently used closed first and opened
 * again, appending, when a record needs it. Private to sz-partition.
 *
 * A file is truncated the first time this run opens it (created if
 * absent; never with >>TEMPLATE) and appended to every later time, so
 * that closing and reopening loses nothing. The names this run opened are
 * remembered (at most --max-keys of them) for that.
 */
#ifndef SZ_PARTITION_BYVALUE_H
#define SZ_PARTITION_BYVALUE_H

#include <stdint.h>

#include "core/buf.h"
#include "core/keymap.h"
#include "run/key.h"
#include "run/tool.h"

#define BV_MAX_FILES 128		/* --max-files, default */
#define BV_MAX_FILES_BOUND 100000	/* and its bound */

struct bv_file;

typedef struct bv {
	sz_tool *t;
	sz_key *key;		/* EXPR, as a key part (run/key.h) */
	char *pre, *suf;	/* TEMPLATE before and after %s, %% resolved */
	size_t comp;		/* bytes of pre after its last '/' */
	int append;		/* >>TEMPLATE: never truncate */
	long name_max;		/* longest file name in the directory */
	uint64_t max_files;	/* --max-files, lowered after EMFILE */
	uint64_t max_keys;	/* --max-keys */
	sz_keymap *names;	/* names opened this run -> struct bv_name */
	struct bv_file *slots;	/* max_files of them */
	struct bv_file *mru, *lru, *spare;
	uint64_t nslots;	/* max_files as given */
	uint64_t nopen, reopened;
	sz_buf text, name, path, scratch;
} bv;

/*
 * Take TEMPLATE: [>>]PREFIX%sSUFFIX, with exactly one %s, %% for a %, no
 * other %, and no / after the %s. 0, or -1 with why in err (a usage
 * error).
 */
int bv_template(bv *b, const char *tmpl, char *err, size_t errsize);
/*
 * After bv_template and the key's compile: check that the template's
 * directory exists, set up. 0, or the exit status after saying why.
 */
int bv_start(bv *b, sz_tool *t, sz_key *key, uint64_t max_files,
    uint64_t max_keys);
/* The file name part for the JSON text v[0..n) of a value, into out
 * (emptied first): 0, 1 when the value is nested too deep, -1 without
 * memory. */
int bv_name(bv *b, const char *v, size_t n, sz_buf *out);
/* The sz_proc callbacks' work. */
int bv_record(bv *b, const sz_rec *r);
int bv_end(bv *b);
void bv_idle(bv *b);
void bv_stats(bv *b, sz_statv *v);
void bv_free(bv *b);

#endif
