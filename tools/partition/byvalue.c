/* SPDX-License-Identifier: MIT */
/*
 * byvalue.c - sz-partition --by-value: one file per value, at most
 * --max-files open; see byvalue.h.
 *
 * Every name this run opened is a key of b->names (the escaped value, not
 * the whole path); its value says which open file holds it, if any. The
 * open files are b->slots, in a recency list (mru ... lru) of those in
 * use and a list of spare ones.
 */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jv.h>

#include "jq/jvtext.h"
#include "json/json.h"
#include "byvalue.h"

struct bv_name {
	struct bv_file *f;	/* open, or NULL */
};

struct bv_file {
	sz_out out;
	struct bv_name *nm;	/* whose file it is */
	struct bv_file *newer, *older;
};

/* ---- the template -------------------------------------------------------- */

int
bv_template(bv *b, const char *tmpl, char *err, size_t errsize)
{
	sz_buf part[2] = { SZ_BUF_INIT, SZ_BUF_INIT };
	const char *p = tmpl, *slash = NULL;
	int n = 0, rc = 0;

	if (strncmp(p, ">>", 2) == 0) {
		b->append = 1;
		p += 2;
	}
	for (; *p != '\0' && rc == 0; p++) {
		if (*p == '/' && n == 1)
			slash = p;
		if (*p != '%') {
			rc = sz_buf_addc(&part[n > 0], *p);
		} else if (p[1] == '%') {
			rc = sz_buf_addc(&part[n > 0], '%');
			p++;
		} else if (p[1] == 's') {
			n++;
			p++;
		} else {
			snprintf(err, errsize, "'%s': only %%s and %%%% may "
			    "follow a %% in a --by-value template", tmpl);
			goto bad;
		}
	}
	if (rc < 0) {
		snprintf(err, errsize, "out of memory");
		goto bad;
	}
	if (n != 1) {
		snprintf(err, errsize, "'%s': a --by-value template needs "
		    "exactly one %%s (the value)", tmpl);
		goto bad;
	}
	if (slash != NULL) {
		snprintf(err, errsize, "'%s': %%s must be in the file name, "
		    "after the last /", tmpl);
		goto bad;
	}
	b->pre = part[0].p != NULL ? part[0].p : strdup("");
	b->suf = part[1].p != NULL ? part[1].p : strdup("");
	if (b->pre == NULL || b->suf == NULL) {
		snprintf(err, errsize, "out of memory");
		return -1;	/* bv_free frees what there is */
	}
	slash = strrchr(b->pre, '/');
	b->comp = slash != NULL ? strlen(slash + 1) : strlen(b->pre);
	return 0;
bad:
	sz_buf_free(&part[0]);
	sz_buf_free(&part[1]);
	return -1;
}

int
bv_start(bv *b, sz_tool *t, sz_key *key, uint64_t max_files,
    uint64_t max_keys)
{
	const char *slash = strrchr(b->pre, '/');
	char *dir;
	struct stat st;
	int e;

	b->t = t;
	b->key = key;
	b->max_files = max_files;
	b->max_keys = max_keys;
	if (slash == NULL)
		dir = strdup(".");
	else if (slash == b->pre)
		dir = strdup("/");
	else
		dir = strndup(b->pre, (size_t)(slash - b->pre));
	if (dir == NULL) {
		sz_msg(t, "error", NULL, 0, "out of memory");
		return SZ_EXIT_FAIL;
	}
	e = stat(dir, &st) < 0 ? errno : S_ISDIR(st.st_mode) ? 0 : ENOTDIR;
	if (e != 0) {
		sz_msg(t, "error", NULL, 0, "%s: %s", dir, strerror(e));
		free(dir);
		return SZ_EXIT_FAIL;
	}
	errno = 0;
	if ((b->name_max = pathconf(dir, _PC_NAME_MAX)) <= 0)
		b->name_max = NAME_MAX;
	free(dir);
	b->names = sz_keymap_new((size_t)max_keys, sizeof(struct bv_name),
	    NULL, NULL);
	b->slots = calloc((size_t)max_files, sizeof(*b->slots));
	if (b->names == NULL || b->slots == NULL) {
		sz_msg(t, "error", NULL, 0, "out of memory");
		return SZ_EXIT_FAIL;
	}
	b->nslots = max_files;
	for (uint64_t i = 0; i < max_files; i++) {
		b->slots[i].out.fd = -1;
		b->slots[i].older = b->spare;
		b->spare = &b->slots[i];
	}
	return 0;
}

/* ---- names ----------------------------------------------------------------- */

/*
 * The bytes of a value for its name: a string's decoded text (as jq reads
 * it), anything else as `jq -cS` prints it (compact, object members sorted
 * by name, numbers as jq 1.6 prints them), into b->text.
 */
static int
value_text(bv *b, const char *v, size_t n)
{
	jv x, d;
	int rc;

	sz_buf_reset(&b->text);
	if (sz_json_validate(v, n, NULL, NULL) != 0)
		return 1;	/* built by jq, deeper than records may be */
	x = sz_jv_from_json(v, n, &b->scratch);
	switch (jv_get_kind(x)) {
	case JV_KIND_STRING:
		rc = sz_buf_add(&b->text, jv_string_value(x),
		    (size_t)jv_string_length_bytes(jv_copy(x)));
		break;
	case JV_KIND_ARRAY:
	case JV_KIND_OBJECT:
		d = jv_dump_string(jv_copy(x), JV_PRINT_SORTED);
		rc = sz_buf_add(&b->text, jv_string_value(d),
		    (size_t)jv_string_length_bytes(jv_copy(d)));
		jv_free(d);
		break;
	default:
		rc = sz_jv_dump(x, &b->text);
		break;
	}
	jv_free(x);
	return rc;
}

/*
 * p[0..n) made a safe file name: '/', '%', the control bytes (below 0x20
 * and 0x7F) and a leading '.' as %XX (upper-case hex), the empty text as
 * "%". Every %XX decodes back and a lone % only stands for the empty
 * text, so distinct texts get distinct names.
 */
static int
escape(const char *p, size_t n, sz_buf *out)
{
	static const char hex[] = "0123456789ABCDEF";

	if (n == 0)
		return sz_buf_addc(out, '%');
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)p[i];
		int rc;

		if (c == '/' || c == '%' || c < 0x20 || c == 0x7f ||
		    (i == 0 && c == '.')) {
			char e[3] = { '%', hex[c >> 4], hex[c & 15] };

			rc = sz_buf_add(out, e, 3);
		} else {
			rc = sz_buf_addc(out, (char)c);
		}
		if (rc < 0)
			return -1;
	}
	return 0;
}

int
bv_name(bv *b, const char *v, size_t n, sz_buf *out)
{
	int rc;

	sz_buf_reset(out);
	if ((rc = value_text(b, v, n)) != 0)
		return rc;
	return escape(b->text.p, b->text.len, out);
}

/* The path of the file called name[0..n), into b->path. */
static int
path_of(bv *b, const char *name, size_t n)
{
	sz_buf_reset(&b->path);
	if (sz_buf_adds(&b->path, b->pre) < 0 ||
	    sz_buf_add(&b->path, name, n) < 0 ||
	    sz_buf_adds(&b->path, b->suf) < 0)
		return -1;
	return 0;
}

/* ---- open files -------------------------------------------------------- */

static void
unlink_file(bv *b, struct bv_file *f)
{
	if (f->newer != NULL)
		f->newer->older = f->older;
	else
		b->mru = f->older;
	if (f->older != NULL)
		f->older->newer = f->newer;
	else
		b->lru = f->newer;
	f->newer = f->older = NULL;
}

/* Put f, in no list, at the recent end. */
static void
push(bv *b, struct bv_file *f)
{
	f->newer = NULL;
	f->older = b->mru;
	if (b->mru != NULL)
		b->mru->newer = f;
	b->mru = f;
	if (b->lru == NULL)
		b->lru = f;
}

/* Make the open file f the most recently used. */
static void
touch(bv *b, struct bv_file *f)
{
	if (b->mru == f)
		return;
	unlink_file(b, f);
	push(b, f);
}

/* Close f (flushed, checked) and make it spare. 0, or -1 (failed). */
static int
close_file(bv *b, struct bv_file *f)
{
	int rc = 0;

	if (sz_out_close(&f->out) < 0) {
		const char *name;
		size_t n;

		name = sz_keymap_key(b->names, f->nm, &n);
		rc = path_of(b, name, n) < 0 ?
		    sz_fail(b->t, SZ_EXIT_FAIL, "out of memory") :
		    sz_fail(b->t, SZ_EXIT_FAIL, "write error on %s: %s",
		    b->path.p, strerror(f->out.err));
	}
	unlink_file(b, f);
	f->nm->f = NULL;
	f->nm = NULL;
	f->out.fd = -1;
	f->older = b->spare;
	b->spare = f;
	b->nopen--;
	return rc;
}

/*
 * Open the file of nm (created: the first time in this run), closing the
 * least recently used first when max_files are open. 1 when open, else
 * what the record callback returns.
 */
static int
open_file(bv *b, struct bv_name *nm, int created, const sz_rec *r)
{
	sz_tool *t = b->t;
	const char *name;
	size_t n;

	name = sz_keymap_key(b->names, nm, &n);
	if (path_of(b, name, n) < 0)
		return sz_fail(t, SZ_EXIT_FAIL, "out of memory");
	for (;;) {
		struct bv_file *f;
		int e;

		if (b->nopen >= b->max_files && close_file(b, b->lru) < 0)
			return -1;
		f = b->spare;
		if (sz_out_open(&f->out, b->path.p, b->append || !created)
		    == 0) {
			b->spare = f->older;
			f->older = NULL;
			f->nm = nm;
			nm->f = f;
			f->out.unbuffered = t->o.unbuffered;
			b->nopen++;
			push(b, f);
			if (!created)
				b->reopened++;
			return 1;
		}
		f->out.fd = -1;
		e = errno;
		if ((e == EMFILE || e == ENFILE) && b->nopen > 0) {
			sz_msg(t, "warning", NULL, 0, "%s: %s: --max-files "
			    "lowered to %llu", b->path.p, strerror(e),
			    (unsigned long long)b->nopen);
			b->max_files = b->nopen;
			continue;
		}
		if (e == ENAMETOOLONG)
			return sz_bad(t, r, "value", 1, "--by-value: %s: %s",
			    b->path.p, strerror(e));
		return sz_fail(t, SZ_EXIT_FAIL, "%s: %s", b->path.p,
		    strerror(e));
	}
}

/* ---- the callbacks' work ------------------------------------------------- */

int
bv_record(bv *b, const sz_rec *r)
{
	sz_tool *t = b->t;
	struct bv_name *nm;
	size_t len;
	int rc, created = 0;

	if ((rc = sz_key_value(b->key, r)) != SZ_KEY_OK)
		return sz_key_bad(b->key, t, r, rc);
	if ((rc = bv_name(b, b->key->kb.p, b->key->kb.len, &b->name)) < 0)
		return sz_fail(t, SZ_EXIT_FAIL, "out of memory");
	if (rc > 0)
		return sz_bad(t, r, "value", 1, "--by-value: the value is "
		    "nested deeper than %d", SZ_JSON_MAX_DEPTH);
	len = b->comp + b->name.len + strlen(b->suf);
	if (len > (size_t)b->name_max)
		return sz_bad(t, r, "value", 1, "--by-value: the file name "
		    "for the value would be %zu bytes long, the most is %ld",
		    len, b->name_max);
	nm = sz_keymap_get(b->names, b->name.p, b->name.len);
	if (nm == NULL) {
		if (sz_keymap_count(b->names) >= b->max_keys)
			return sz_bad(t, r, "limit", 1, "--max-keys: a value "
			    "beyond %llu files", (unsigned long long)b->max_keys);
		nm = sz_keymap_put(b->names, b->name.p, b->name.len, &created);
		if (nm == NULL)
			return sz_fail(t, SZ_EXIT_FAIL, "out of memory");
	}
	if (nm->f == NULL && (rc = open_file(b, nm, created, r)) != 1) {
		if (created)
			sz_keymap_del(b->names, nm);
		return rc;
	}
	touch(b, nm->f);
	if (sz_emit_to(t, &nm->f->out, r->p, r->n) < 0)
		return -1;
	t->st.out++;
	return 0;
}

int
bv_end(bv *b)
{
	int rc = 0;

	while (b->lru != NULL)
		if (close_file(b, b->lru) < 0)
			rc = -1;
	return rc;
}

void
bv_idle(bv *b)
{
	for (struct bv_file *f = b->mru; f != NULL; f = f->older)
		if (sz_out_pending(&f->out) > 0 && sz_out_flush(&f->out) < 0) {
			(void)sz_fail(b->t, SZ_EXIT_FAIL, "write error on %s: "
			    "%s", f->out.path, strerror(f->out.err));
			return;
		}
}

void
bv_stats(bv *b, sz_statv *v)
{
	sz_stat_counter(v, "files", b->names != NULL ?
	    sz_keymap_count(b->names) : 0);
	sz_stat_counter(v, "reopened", b->reopened);
	sz_stat_gauge(v, "files_open", b->nopen);
}

void
bv_free(bv *b)
{
	if (b->slots != NULL)
		for (uint64_t i = 0; i < b->nslots; i++)
			if (b->slots[i].out.buf != NULL)
				(void)sz_out_close(&b->slots[i].out);
	free(b->slots);
	sz_keymap_free(b->names);
	free(b->pre);
	free(b->suf);
	sz_buf_free(&b->text);
	sz_buf_free(&b->name);
	sz_buf_free(&b->path);
	sz_buf_free(&b->scratch);
}
