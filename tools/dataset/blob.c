/* SPDX-License-Identifier: MIT */
/*
 * blob.c - the blobs of a dataset directory, its versions, and the
 * ordered streams every step merges; see ds.h.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <zstd.h>

#include "json/json.h"
#include "json/str.h"

#include "ds.h"

#define READ_SIZE (256u << 10)
#define SPOOL_BUF (256u << 10)

int
ds_errf(sz_buf *err, const char *fmt, ...)
{
	va_list ap;
	char m[1024];

	va_start(ap, fmt);
	vsnprintf(m, sizeof(m), fmt, ap);
	va_end(ap);
	sz_buf_reset(err);
	sz_buf_adds(err, m);
	return -1;
}

/* ---- versions ----------------------------------------------------------- */

int
ds_ver_parse(const char *s, size_t n, ds_ver *v)
{
	uint64_t x = 0;

	if (n == 0 || n > 19 || s[0] == '0')
		return 0;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return 0;
		x = x * 10 + (uint64_t)(s[i] - '0');
	}
	*v = x;
	return 1;
}

void
ds_ver_fmt(ds_ver v, char out[DS_VER_MAX])
{
	snprintf(out, DS_VER_MAX, "%" PRIu64, v);
}

ds_ver
ds_time_version(ds_ver after)
{
	time_t now = time(NULL);
	struct tm tm;
	ds_ver v;

	gmtime_r(&now, &tm);
	v = ((((((uint64_t)tm.tm_year + 1900) * 100 + (uint64_t)tm.tm_mon +
	    1) * 100 + (uint64_t)tm.tm_mday) * 100 + (uint64_t)tm.tm_hour) *
	    100 + (uint64_t)tm.tm_min) * 100 + (uint64_t)tm.tm_sec;
	v = v * 1000 + 1;
	return v > after ? v : after + 1;
}

/* ---- the directory ------------------------------------------------------ */

static int
ver_cmp(const void *a, const void *b)
{
	ds_ver x = *(const ds_ver *)a, y = *(const ds_ver *)b;

	return (x > y) - (x < y);
}

static int
push_ver(ds_ver **v, size_t *n, ds_ver x)
{
	ds_ver *nv = realloc(*v, (*n + 1) * sizeof(**v));

	if (nv == NULL)
		return -1;
	nv[(*n)++] = x;
	*v = nv;
	return 0;
}

static int
push_edge(struct ds_edge **e, size_t *n, ds_ver a, ds_ver b)
{
	struct ds_edge *ne = realloc(*e, (*n + 1) * sizeof(**e));

	if (ne == NULL)
		return -1;
	ne[*n].a = a;
	ne[*n].b = b;
	(*n)++;
	*e = ne;
	return 0;
}

/* "A-B" at s: both versions. */
static int
two_vers(const char *s, ds_ver *a, ds_ver *b)
{
	const char *dash = strchr(s, '-');

	return dash != NULL && ds_ver_parse(s, (size_t)(dash - s), a) &&
	    ds_ver_parse(dash + 1, strlen(dash + 1), b);
}

int
ds_list_read(const char *dir, ds_list *l, sz_buf *err)
{
	DIR *d;
	struct dirent *e;
	ds_ver a, b;
	int rc = 0;

	memset(l, 0, sizeof(*l));
	if ((d = opendir(dir)) == NULL)
		return ds_errf(err, "%s: %s", dir, strerror(errno));
	while (rc == 0 && (errno = 0, e = readdir(d)) != NULL) {
		const char *n = e->d_name;

		if (strncmp(n, "snapshot-", 9) == 0 &&
		    ds_ver_parse(n + 9, strlen(n + 9), &a))
			rc = push_ver(&l->snap, &l->nsnap, a) |
			    push_ver(&l->vers, &l->nvers, a);
		else if (strncmp(n, "delta-", 6) == 0 &&
		    two_vers(n + 6, &a, &b) && a < b)
			rc = push_edge(&l->fwd, &l->nfwd, a, b) |
			    push_ver(&l->vers, &l->nvers, a) |
			    push_ver(&l->vers, &l->nvers, b);
		else if (strncmp(n, "reversedelta-", 13) == 0 &&
		    two_vers(n + 13, &b, &a) && a < b)
			rc = push_edge(&l->rev, &l->nrev, a, b) |
			    push_ver(&l->vers, &l->nvers, a) |
			    push_ver(&l->vers, &l->nvers, b);
	}
	if (rc == 0 && errno != 0)
		rc = ds_errf(err, "%s: %s", dir, strerror(errno));
	else if (rc != 0)
		rc = ds_errf(err, "out of memory");
	closedir(d);
	if (rc != 0) {
		ds_list_free(l);
		return -1;
	}
	if (l->nsnap > 1)
		qsort(l->snap, l->nsnap, sizeof(*l->snap), ver_cmp);
	if (l->nvers > 1)
		qsort(l->vers, l->nvers, sizeof(*l->vers), ver_cmp);
	/* Each version once. */
	size_t k = 0;
	for (size_t i = 0; i < l->nvers; i++)
		if (k == 0 || l->vers[k - 1] != l->vers[i])
			l->vers[k++] = l->vers[i];
	l->nvers = k;
	return 0;
}

void
ds_list_free(ds_list *l)
{
	free(l->snap);
	free(l->fwd);
	free(l->rev);
	free(l->vers);
	memset(l, 0, sizeof(*l));
}

int
ds_list_has_snap(const ds_list *l, ds_ver v)
{
	for (size_t i = 0; i < l->nsnap; i++)
		if (l->snap[i] == v)
			return 1;
	return 0;
}

int
ds_list_has_fwd(const ds_list *l, ds_ver a, ds_ver b)
{
	for (size_t i = 0; i < l->nfwd; i++)
		if (l->fwd[i].a == a && l->fwd[i].b == b)
			return 1;
	return 0;
}

int
ds_list_has_rev(const ds_list *l, ds_ver b, ds_ver a)
{
	for (size_t i = 0; i < l->nrev; i++)
		if (l->rev[i].a == a && l->rev[i].b == b)
			return 1;
	return 0;
}

ds_ver
ds_list_next(const ds_list *l, ds_ver v)
{
	for (size_t i = 0; i < l->nvers; i++)
		if (l->vers[i] > v)
			return l->vers[i];
	return 0;
}

ds_ver
ds_list_prev(const ds_list *l, ds_ver v)
{
	for (size_t i = l->nvers; i-- > 0;)
		if (l->vers[i] < v)
			return l->vers[i];
	return 0;
}

static char *
join(const char *dir, const char *name)
{
	size_t n = strlen(dir) + strlen(name) + 2;
	char *p = malloc(n);

	if (p != NULL)
		snprintf(p, n, "%s/%s", dir, name);
	return p;
}

int
ds_version_file(const char *dir, const char *name, ds_ver *v, sz_buf *err)
{
	char *path = join(dir, name), buf[64];
	int fd;
	ssize_t n;

	if (path == NULL)
		return ds_errf(err, "out of memory");
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
		int e = errno;

		if (e == ENOENT) {
			free(path);
			return 0;
		}
		ds_errf(err, "%s: %s", path, strerror(e));
		free(path);
		return -1;
	}
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n < 0) {
		ds_errf(err, "%s: %s", path, strerror(errno));
		free(path);
		return -1;
	}
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r' ||
	    buf[n - 1] == ' '))
		n--;
	if (!ds_ver_parse(buf, (size_t)n, v)) {
		ds_errf(err, "%s: not a version: '%.*s'", path, (int)n, buf);
		free(path);
		return -1;
	}
	free(path);
	return 1;
}

static int
fsync_dir(const char *dir, sz_buf *err)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0)
		return ds_errf(err, "%s: %s", dir, strerror(errno));
	if (fsync(fd) != 0 && errno != EINVAL) {
		int e = errno;

		close(fd);
		return ds_errf(err, "fsync %s: %s", dir, strerror(e));
	}
	close(fd);
	return 0;
}

/* A temporary file beside NAME in DIR: its descriptor and path. */
static int
tmp_beside(const char *dir, const char *name, char **path, sz_buf *err)
{
	size_t n = strlen(dir) + strlen(name) + 16;
	int fd;

	if ((*path = malloc(n)) == NULL)
		return ds_errf(err, "out of memory");
	snprintf(*path, n, "%s/.%s.XXXXXX", dir, name);
	if ((fd = mkstemp(*path)) < 0) {
		ds_errf(err, "%s: %s", *path, strerror(errno));
		free(*path);
		*path = NULL;
		return -1;
	}
	/* mkstemp's 0600 is for the temporary name: the file itself is
	 * for readers, as the umask allows. */
	{
		mode_t um = umask(022);

		umask(um);
		if (fchmod(fd, 0666 & ~um) != 0) {
			ds_errf(err, "%s: %s", *path, strerror(errno));
			close(fd);
			unlink(*path);
			free(*path);
			*path = NULL;
			return -1;
		}
	}
	return fd;
}

/* fsync fd, close it, rename tmp to DIR/NAME, fsync DIR. */
static int
commit(int fd, char *tmp, const char *dir, const char *name, sz_buf *err)
{
	char *final = join(dir, name);
	int rc = 0;

	if (final == NULL) {
		close(fd);
		unlink(tmp);
		return ds_errf(err, "out of memory");
	}
	if (fsync(fd) != 0)
		rc = ds_errf(err, "fsync %s: %s", tmp, strerror(errno));
	if (close(fd) != 0 && rc == 0)
		rc = ds_errf(err, "%s: %s", tmp, strerror(errno));
	if (rc == 0 && rename(tmp, final) != 0)
		rc = ds_errf(err, "rename to %s: %s", final, strerror(errno));
	if (rc != 0)
		unlink(tmp);
	free(final);
	if (rc == 0)
		rc = fsync_dir(dir, err);
	return rc;
}

int
ds_write_atomic(const char *dir, const char *name, const char *p, size_t n,
    sz_buf *err)
{
	char *tmp;
	int fd = tmp_beside(dir, name, &tmp, err), rc;

	if (fd < 0)
		return -1;
	if (sz_write_all(fd, p, n) != 0) {
		ds_errf(err, "%s: %s", tmp, strerror(errno));
		close(fd);
		unlink(tmp);
		free(tmp);
		return -1;
	}
	rc = commit(fd, tmp, dir, name, err);
	free(tmp);
	return rc;
}

int
ds_remove(const char *dir, const char *name, sz_buf *err)
{
	char *path = join(dir, name);

	if (path == NULL)
		return ds_errf(err, "out of memory");
	if (unlink(path) != 0 && errno != ENOENT) {
		ds_errf(err, "%s: %s", path, strerror(errno));
		free(path);
		return -1;
	}
	free(path);
	return fsync_dir(dir, err);
}

int
ds_lock(const char *dir, int *fd, sz_buf *err)
{
	char *path = join(dir, ".lock");

	if (path == NULL)
		return ds_errf(err, "out of memory");
	*fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (*fd < 0) {
		ds_errf(err, "%s: %s", path, strerror(errno));
		free(path);
		return -1;
	}
	if (flock(*fd, LOCK_EX | LOCK_NB) != 0) {
		int e = errno;

		close(*fd);
		*fd = -1;
		if (e == EWOULDBLOCK) {
			ds_errf(err, "%s: another sz-publish holds the lock",
			    path);
			free(path);
			return 1;
		}
		ds_errf(err, "%s: %s", path, strerror(e));
		free(path);
		return -1;
	}
	free(path);
	return 0;
}

/* ---- reading ------------------------------------------------------------- */

/* More raw bytes: >0 read, 0 at the end, -1. */
static ssize_t
fill_raw(ds_in *r, sz_buf *err)
{
	ssize_t k;

	if (r->rpos > 0 && r->rpos == r->raw.len) {
		r->raw.len = 0;
		r->rpos = 0;
	}
	if (sz_buf_reserve(&r->raw, READ_SIZE) != 0)
		return ds_errf(err, "out of memory");
	do
		k = read(r->fd, r->raw.p + r->raw.len, READ_SIZE);
	while (k < 0 && errno == EINTR);
	if (k < 0)
		return ds_errf(err, "%s: %s", r->path, strerror(errno));
	r->raw.len += (size_t)k;
	r->bytes += (uint64_t)k;
	return k;
}

int
ds_in_fd(ds_in *r, int fd, const char *name, sz_buf *err)
{
	memset(r, 0, sizeof(*r));
	r->fd = -1;
	if ((r->path = strdup(name)) == NULL)
		return ds_errf(err, "out of memory");
	if (lseek(fd, 0, SEEK_SET) != 0 || (r->fd = dup(fd)) < 0) {
		ds_errf(err, "%s: %s", name, strerror(errno));
		ds_in_close(r);
		return -1;
	}
	return 0;
}

int
ds_in_open(ds_in *r, const char *path, sz_buf *err)
{
	static const unsigned char magic[4] = { 0x28, 0xb5, 0x2f, 0xfd };

	memset(r, 0, sizeof(*r));
	r->fd = -1;
	if ((r->path = strdup(path)) == NULL)
		return ds_errf(err, "out of memory");
	if ((r->fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
		ds_errf(err, "%s: %s", path, strerror(errno));
		ds_in_close(r);
		return -1;
	}
	/* Enough bytes to tell zstd by its magic number. */
	while (r->raw.len < 4) {
		ssize_t k = fill_raw(r, err);

		if (k < 0) {
			ds_in_close(r);
			return -1;
		}
		if (k == 0)
			break;
	}
	if (r->raw.len >= 4 && memcmp(r->raw.p, magic, 4) == 0) {
		r->zstd = 1;
		if ((r->z = ZSTD_createDStream()) == NULL) {
			ds_in_close(r);
			return ds_errf(err, "out of memory");
		}
		ZSTD_initDStream(r->z);
	}
	return 0;
}

/* More decoded bytes at the end of r->dec: >0, 0 at the end, -1. */
static ssize_t
fill_dec(ds_in *r, sz_buf *err)
{
	ssize_t k;

	if (!r->zstd) {
		/* Plain: raw is dec. */
		size_t before;

		if (r->rpos < r->raw.len) {
			if (sz_buf_add(&r->dec, r->raw.p + r->rpos,
			    r->raw.len - r->rpos) != 0)
				return ds_errf(err, "out of memory");
			k = (ssize_t)(r->raw.len - r->rpos);
			r->rpos = r->raw.len;
			return k;
		}
		if (sz_buf_reserve(&r->dec, READ_SIZE) != 0)
			return ds_errf(err, "out of memory");
		before = r->dec.len;
		do
			k = read(r->fd, r->dec.p + r->dec.len, READ_SIZE);
		while (k < 0 && errno == EINTR);
		if (k < 0)
			return ds_errf(err, "%s: %s", r->path, strerror(errno));
		r->dec.len = before + (size_t)k;
		r->dec.p[r->dec.len] = '\0';
		r->bytes += (uint64_t)k;
		return k;
	}
	for (;;) {
		ZSTD_inBuffer in;
		ZSTD_outBuffer out;
		size_t z;

		if (r->rpos == r->raw.len) {
			if ((k = fill_raw(r, err)) < 0)
				return -1;
			if (k == 0) {
				if (!r->eof)
					return ds_errf(err, "%s: the compressed "
					    "data is cut short", r->path);
				return 0;
			}
		}
		if (sz_buf_reserve(&r->dec, READ_SIZE) != 0)
			return ds_errf(err, "out of memory");
		in.src = r->raw.p;
		in.size = r->raw.len;
		in.pos = r->rpos;
		out.dst = r->dec.p + r->dec.len;
		out.size = READ_SIZE;
		out.pos = 0;
		z = ZSTD_decompressStream(r->z, &out, &in);
		if (ZSTD_isError(z))
			return ds_errf(err, "%s: %s", r->path,
			    ZSTD_getErrorName(z));
		r->rpos = in.pos;
		r->dec.len += out.pos;
		r->dec.p[r->dec.len] = '\0';
		/* z == 0: a frame is complete (a next one may follow). */
		r->eof = z == 0;
		if (out.pos > 0)
			return (ssize_t)out.pos;
	}
}

int
ds_in_line(ds_in *r, const char **p, size_t *n, sz_buf *err)
{
	for (;;) {
		const char *s = r->dec.p + r->dpos;
		size_t avail = r->dec.len - r->dpos;
		const char *nl = avail ? memchr(s, '\n', avail) : NULL;
		ssize_t k;

		if (nl != NULL) {
			*p = s;
			*n = (size_t)(nl - s);
			r->dpos += *n + 1;
			r->lineno++;
			return 1;
		}
		/* Keep the start of the line, read more. */
		if (r->dpos > 0) {
			memmove(r->dec.p, r->dec.p + r->dpos, avail);
			r->dec.len = avail;
			r->dpos = 0;
		}
		if ((k = fill_dec(r, err)) < 0)
			return -1;
		if (k == 0) {
			if (r->dec.len > 0)
				return ds_errf(err, "%s:%lu: the blob is cut "
				    "short (a line without its newline)",
				    r->path, r->lineno + 1);
			return 0;
		}
	}
}

void
ds_in_close(ds_in *r)
{
	if (r->fd >= 0)
		close(r->fd);
	if (r->z != NULL)
		ZSTD_freeDStream(r->z);
	free(r->path);
	sz_buf_free(&r->raw);
	sz_buf_free(&r->dec);
	sz_buf_free(&r->line);
	memset(r, 0, sizeof(*r));
	r->fd = -1;
}

/* ---- headers -------------------------------------------------------------- */

const char *
ds_member(const char *v, size_t n, const char *name, size_t *on)
{
	sz_step st = { SZ_STEP_KEY, name, strlen(name), 0 };
	const char *o;
	sz_jtype t;

	if (sz_json_get(v, n, &st, &o, on, &t) != SZ_GET_FOUND)
		return NULL;
	return o;
}

/* A string member into out (decoded, NUL-terminated): 0, or -1. */
static int
str_member(const char *v, size_t n, const char *name, char *out,
    size_t outn)
{
	size_t sn, dn;
	const char *s = ds_member(v, n, name, &sn);
	sz_buf scratch = SZ_BUF_INIT;
	const char *d;

	if (s == NULL || sz_json_type(s, s + sn) != SZ_JSTRING)
		return -1;
	d = sz_jstr_decode(s, sn, &scratch, &dn);
	if (d == NULL || dn >= outn || memchr(d, '\0', dn) != NULL) {
		sz_buf_free(&scratch);
		return -1;
	}
	memcpy(out, d, dn);
	out[dn] = '\0';
	sz_buf_free(&scratch);
	return 0;
}

static int
ver_member(const char *v, size_t n, const char *name, ds_ver *out)
{
	char b[DS_VER_MAX];

	return str_member(v, n, name, b, sizeof(b)) == 0 &&
	    ds_ver_parse(b, strlen(b), out) ? 0 : -1;
}

static int
count_member(const char *v, size_t n, const char *name, uint64_t *out)
{
	size_t sn;
	const char *s = ds_member(v, n, name, &sn);
	uint64_t x = 0;

	if (s == NULL || sn == 0 || sn > 19)
		return -1;
	for (size_t i = 0; i < sn; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		x = x * 10 + (uint64_t)(s[i] - '0');
	}
	*out = x;
	return 0;
}

static int
state_ok(const char *s)
{
	if (strncmp(s, "sha256:", 7) != 0 || strlen(s) != 71)
		return 0;
	for (const char *c = s + 7; *c; c++)
		if (!((*c >= '0' && *c <= '9') || (*c >= 'a' && *c <= 'f')))
			return 0;
	return 1;
}

int
ds_in_header(ds_in *r, ds_hdr *h, sz_buf *err)
{
	const char *p, *reason;
	size_t n, off;
	char kind[16];
	int k;

	memset(h, 0, sizeof(*h));
	if ((k = ds_in_line(r, &p, &n, err)) < 0)
		return -1;
	if (k == 0)
		return ds_errf(err, "%s: empty (no header)", r->path);
	if (sz_json_validate(p, n, &reason, &off) != 0 ||
	    sz_json_type(p, p + n) != SZ_JOBJECT ||
	    str_member(p, n, "sz_blob", kind, sizeof(kind)) != 0)
		return ds_errf(err, "%s:1: not a dataset blob's header", r->path);
	if (strcmp(kind, "snapshot") == 0) {
		h->kind = DS_SNAPSHOT;
		if (ver_member(p, n, "version", &h->version) != 0 ||
		    str_member(p, n, "key", h->key, sizeof(h->key)) != 0 ||
		    count_member(p, n, "records", &h->records) != 0 ||
		    str_member(p, n, "state", h->state, sizeof(h->state)) != 0 ||
		    !state_ok(h->state))
			return ds_errf(err, "%s:1: a snapshot header without "
			    "version, key, records or state", r->path);
	} else if (strcmp(kind, "delta") == 0) {
		h->kind = DS_DELTA;
		if (ver_member(p, n, "from", &h->from) != 0 ||
		    ver_member(p, n, "to", &h->to) != 0 ||
		    count_member(p, n, "upserts", &h->upserts) != 0 ||
		    count_member(p, n, "deletes", &h->deletes) != 0 ||
		    str_member(p, n, "from_state", h->from_state,
		    sizeof(h->from_state)) != 0 ||
		    str_member(p, n, "to_state", h->to_state,
		    sizeof(h->to_state)) != 0 ||
		    !state_ok(h->from_state) || !state_ok(h->to_state))
			return ds_errf(err, "%s:1: a delta header without from, "
			    "to, upserts, deletes or states", r->path);
	} else
		return ds_errf(err, "%s:1: an unknown blob \"%s\"", r->path,
		    kind);
	return 0;
}

/* ---- spools ---------------------------------------------------------------- */

int
ds_spool_open(ds_spool *s, const char *dir, sz_buf *err)
{
	size_t n = strlen(dir) + 32;
	char *path = malloc(n);

	memset(s, 0, sizeof(*s));
	s->fd = -1;
	if (path == NULL)
		return ds_errf(err, "out of memory");
	snprintf(path, n, "%s/.sz-spool.XXXXXX", dir);
	if ((s->fd = mkstemp(path)) < 0) {
		ds_errf(err, "%s: %s", path, strerror(errno));
		free(path);
		return -1;
	}
	unlink(path);
	free(path);
	sz_sha256_init(&s->h);
	return 0;
}

int
ds_spool_open_blob(ds_spool *s, const char *dir, size_t base, sz_buf *err)
{
#ifdef O_TMPFILE
	memset(s, 0, sizeof(*s));
	s->fd = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0666);
	if (s->fd >= 0) {
		if (lseek(s->fd, (off_t)base, SEEK_SET) != (off_t)base) {
			int e = errno;

			close(s->fd);
			s->fd = -1;
			return ds_errf(err, "%s: %s", dir, strerror(e));
		}
		s->direct = 1;
		s->base = base;
		sz_sha256_init(&s->h);
		return 0;
	}
#endif
	(void)base;
	return ds_spool_open(s, dir, err);
}

static int
spool_flush(ds_spool *s, sz_buf *err)
{
	if (s->buf.len > 0 && sz_write_all(s->fd, s->buf.p, s->buf.len) != 0)
		return ds_errf(err, "a temporary file: %s", strerror(errno));
	sz_buf_reset(&s->buf);
	return 0;
}

int
ds_spool_line(ds_spool *s, const char *p, size_t n, sz_buf *err)
{
	if (s->buf.len + n + 1 > SPOOL_BUF && spool_flush(s, err) != 0)
		return -1;
	if (sz_buf_add(&s->buf, p, n) != 0 || sz_buf_addc(&s->buf, '\n') != 0)
		return ds_errf(err, "out of memory");
	if (!s->nohash) {
		sz_sha256_update(&s->h, p, n);
		sz_sha256_update(&s->h, "\n", 1);
	}
	s->lines++;
	s->bytes += n + 1;
	return 0;
}

int
ds_spool_end(ds_spool *s, sz_buf *err)
{
	char hex[65];

	if (spool_flush(s, err) != 0)
		return -1;
	sz_sha256_hex(&s->h, hex);
	snprintf(s->state, sizeof(s->state), "sha256:%s", hex);
	if (lseek(s->fd, (off_t)s->base, SEEK_SET) != (off_t)s->base)
		return ds_errf(err, "a temporary file: %s", strerror(errno));
	return 0;
}

void
ds_spool_close(ds_spool *s)
{
	if (s->fd >= 0)
		close(s->fd);
	sz_buf_free(&s->buf);
	memset(s, 0, sizeof(*s));
	s->fd = -1;
}

static int
pwrite_all(int fd, const char *p, size_t n, off_t at)
{
	while (n > 0) {
		ssize_t k = pwrite(fd, p, n, at);

		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0) {
			if (k == 0)
				errno = EIO;
			return -1;
		}
		p += k;
		n -= (size_t)k;
		at += k;
	}
	return 0;
}

/* The body written in place (ds_spool_open_blob) and a header of its
 * length: the header at the start, then the unnamed file gets a
 * temporary name and is committed. 0, 1 when it cannot be named (the
 * caller copies it), or -1 (err). */
static int
blob_in_place(const char *dir, const char *name, const char *hdr, size_t hn,
    ds_spool *body, uint64_t *size, sz_buf *err)
{
	char proc[64], *tmp;
	int fd, rc;

	if (pwrite_all(body->fd, hdr, hn, 0) != 0)
		return ds_errf(err, "%s/%s: %s", dir, name, strerror(errno));
	/* A free temporary name (mkstemp's), then the file linked there. */
	if ((fd = tmp_beside(dir, name, &tmp, err)) < 0)
		return -1;
	close(fd);
	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", body->fd);
	if (unlink(tmp) != 0) {
		ds_errf(err, "%s: %s", tmp, strerror(errno));
		free(tmp);
		return -1;
	}
	if (linkat(AT_FDCWD, proc, AT_FDCWD, tmp, AT_SYMLINK_FOLLOW) != 0) {
		/* No /proc, or a file system that will not link it: the
		 * body is copied instead. */
		free(tmp);
		return 1;
	}
	*size = hn + body->bytes;
	/* commit() closes the descriptor: the spool no longer has it. */
	fd = body->fd;
	body->fd = -1;
	rc = commit(fd, tmp, dir, name, err);
	free(tmp);
	return rc;
}

/* Copy the body's bytes after the header of fd, in the kernel when it
 * can. 0, or -1 with errno. */
static int
copy_body(int fd, ds_spool *body, char *buf, uint64_t *size)
{
	off_t at = (off_t)body->base;
	ssize_t k;

	for (;;) {
		k = copy_file_range(body->fd, &at, fd, NULL, 1 << 30, 0);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			break;
		*size += (uint64_t)k;
	}
	if (k == 0)
		return 0;
	if (errno != EXDEV && errno != ENOSYS && errno != EINVAL &&
	    errno != EOPNOTSUPP)
		return -1;
	for (;;) {
		do
			k = pread(body->fd, buf, SPOOL_BUF, at);
		while (k < 0 && errno == EINTR);
		if (k <= 0)
			return k < 0 ? -1 : 0;
		at += k;
		if (sz_write_all(fd, buf, (size_t)k) != 0)
			return -1;
		*size += (uint64_t)k;
	}
}

int
ds_blob_write(const char *dir, const char *name, const char *hdr, size_t hn,
    ds_spool *body, int zstd, uint64_t *size, sz_buf *err)
{
	char *tmp, *buf = NULL;
	int fd, rc = -1;
	ZSTD_CStream *z = NULL;
	size_t zn = ZSTD_CStreamOutSize();
	char *zb = NULL;
	ssize_t k;
	off_t at = (off_t)body->base;

	*size = 0;
	if (body->direct && !zstd && hn == body->base &&
	    (rc = blob_in_place(dir, name, hdr, hn, body, size, err)) != 1)
		return rc;
	rc = -1;
	if ((fd = tmp_beside(dir, name, &tmp, err)) < 0)
		return -1;
	if ((buf = malloc(SPOOL_BUF)) == NULL) {
		ds_errf(err, "out of memory");
		goto out;
	}
	if (zstd) {
		if ((z = ZSTD_createCStream()) == NULL ||
		    (zb = malloc(zn)) == NULL) {
			ds_errf(err, "out of memory");
			goto out;
		}
		/* Deltas are small: compress them hard; a snapshot at the
		 * level that keeps pace with writing it. */
		ZSTD_initCStream(z, strncmp(name, "snapshot-", 9) == 0 ? 3 :
		    19);
	}
	if (!zstd) {
		if (sz_write_all(fd, hdr, hn) != 0 ||
		    copy_body(fd, body, buf, size) != 0) {
			ds_errf(err, "%s: %s", tmp, strerror(errno));
			goto out;
		}
		*size += hn;
		rc = commit(fd, tmp, dir, name, err);
		fd = -1;
		goto out;
	}
	/* The header, then the body from the spool's start. */
	for (int part = 0; part < 2; part++) {
		for (;;) {
			const char *p;
			size_t n;

			if (part == 0) {
				p = hdr;
				n = hn;
			} else {
				do
					k = pread(body->fd, buf, SPOOL_BUF, at);
				while (k < 0 && errno == EINTR);
				if (k < 0) {
					ds_errf(err, "a temporary file: %s",
					    strerror(errno));
					goto out;
				}
				if (k == 0)
					break;
				at += k;
				p = buf;
				n = (size_t)k;
			}
			if (!zstd) {
				if (sz_write_all(fd, p, n) != 0) {
					ds_errf(err, "%s: %s", tmp,
					    strerror(errno));
					goto out;
				}
				*size += n;
			} else {
				ZSTD_inBuffer in = { p, n, 0 };

				while (in.pos < in.size) {
					ZSTD_outBuffer o = { zb, zn, 0 };
					size_t r = ZSTD_compressStream(z, &o,
					    &in);

					if (ZSTD_isError(r) ||
					    sz_write_all(fd, zb, o.pos) != 0) {
						ds_errf(err, "%s: %s", tmp,
						    ZSTD_isError(r) ?
						    ZSTD_getErrorName(r) :
						    strerror(errno));
						goto out;
					}
					*size += o.pos;
				}
			}
			if (part == 0)
				break;
		}
	}
	if (zstd) {
		size_t left;

		do {
			ZSTD_outBuffer o = { zb, zn, 0 };

			left = ZSTD_endStream(z, &o);
			if (ZSTD_isError(left) || sz_write_all(fd, zb, o.pos) != 0) {
				ds_errf(err, "%s: %s", tmp, ZSTD_isError(left) ?
				    ZSTD_getErrorName(left) : strerror(errno));
				goto out;
			}
			*size += o.pos;
		} while (left > 0);
	}
	rc = commit(fd, tmp, dir, name, err);
	fd = -1;
out:
	if (fd >= 0) {
		close(fd);
		unlink(tmp);
	}
	free(tmp);
	free(buf);
	free(zb);
	if (z != NULL)
		ZSTD_freeCStream(z);
	return rc;
}

/* ---- streams --------------------------------------------------------------- */

int
ds_keycmp(const char *a, size_t an, const char *b, size_t bn)
{
	size_t n = an < bn ? an : bn;
	int c = n ? memcmp(a, b, n) : 0;

	if (c != 0)
		return c;
	return (an > bn) - (an < bn);
}

int
ds_snapin_next(void *ud, const char **k, size_t *kn, const char **r,
    size_t *rn, sz_buf *err)
{
	ds_snapin *s = ud;
	const char *p, *reason;
	size_t n, off;
	sz_rec rec;
	int got;

	if ((got = ds_in_line(&s->in, &p, &n, err)) <= 0)
		return got;
	if (!s->trusted && sz_json_validate(p, n, &reason, &off) != 0)
		return ds_errf(err, "%s:%lu: not JSON (%s)", s->in.path,
		    s->in.lineno, reason);
	memset(&rec, 0, sizeof(rec));
	rec.p = p;
	rec.n = n;
	rec.file = s->in.path;
	rec.line = s->in.lineno;
	sz_buf_reset(&s->kb);
	if (sz_expr_key(s->key, &rec, &s->kb) != SZ_EXPR_TRUE)
		return ds_errf(err, "%s:%lu: the key gives no value", s->in.path,
		    s->in.lineno);
	if (s->checkorder) {
		if (s->have_last && ds_keycmp(s->last.p, s->last.len,
		    s->kb.p, s->kb.len) >= 0)
			return ds_errf(err, "%s:%lu: keys out of order", s->in.path,
			    s->in.lineno);
		sz_buf_reset(&s->last);
		if (sz_buf_add(&s->last, s->kb.p, s->kb.len) != 0)
			return ds_errf(err, "out of memory");
		s->have_last = 1;
	}
	*k = s->kb.p;
	*kn = s->kb.len;
	*r = p;
	*rn = n;
	return 1;
}

int
ds_xsort_next(void *ud, const char **k, size_t *kn, const char **r,
    size_t *rn, sz_buf *err)
{
	sz_xsort *x = ud;
	int got = sz_xsort_next(x, k, kn, r, rn);

	if (got < 0)
		return ds_errf(err, "%s", sz_xsort_error(x) ? sz_xsort_error(x) :
		    "sorting failed");
	return got;
}

int
ds_join(ds_stream *old, ds_stream *new_, ds_join_fn fn, void *ud,
    sz_buf *err)
{
	const char *ok = NULL, *orr = NULL, *nk = NULL, *nr = NULL;
	size_t okn = 0, orn = 0, nkn = 0, nrn = 0;
	int oh, nh, c;

	oh = old->next(old->ud, &ok, &okn, &orr, &orn, err);
	nh = oh < 0 ? -1 : new_->next(new_->ud, &nk, &nkn, &nr, &nrn, err);
	while (oh > 0 || nh > 0) {
		if (oh < 0 || nh < 0)
			return -1;
		c = oh == 0 ? 1 : nh == 0 ? -1 : ds_keycmp(ok, okn, nk, nkn);
		if (c < 0) {
			if (fn(ud, ok, okn, orr, orn, NULL, 0, 0) != 0)
				return -1;
			oh = old->next(old->ud, &ok, &okn, &orr, &orn, err);
		} else if (c > 0) {
			if (fn(ud, nk, nkn, NULL, 0, nr, nrn, 0) != 0)
				return -1;
			nh = new_->next(new_->ud, &nk, &nkn, &nr, &nrn, err);
		} else {
			if (fn(ud, ok, okn, orr, orn, nr, nrn, orn == nrn &&
			    memcmp(orr, nr, orn) == 0) != 0)
				return -1;
			oh = old->next(old->ud, &ok, &okn, &orr, &orn, err);
			nh = new_->next(new_->ud, &nk, &nkn, &nr, &nrn, err);
		}
	}
	return oh < 0 || nh < 0 ? -1 : 0;
}

/* ---- ops and unique keys ------------------------------------------------ */

int
ds_op_line(sz_buf *b, const char *k, size_t kn, const char *r, size_t rn)
{
	sz_buf_reset(b);
	if ((r != NULL ? sz_buf_adds(b, "{\"op\":\"upsert\",\"key\":") :
	    sz_buf_adds(b, "{\"op\":\"delete\",\"key\":")) != 0 ||
	    sz_buf_add(b, k, kn) != 0 ||
	    (r != NULL && (sz_buf_adds(b, ",\"record\":") != 0 ||
	    sz_buf_add(b, r, rn) != 0)))
		return -1;
	return sz_buf_addc(b, '}');
}

static void
swap_buf(sz_buf *x, sz_buf *y)
{
	sz_buf t = *x;

	*x = *y;
	*y = t;
}

/* Hold the pair (k, r) as the current key's: where it is, when the sort
 * keeps its pairs in memory to its end (stable), else copied. */
static int
uniq_hold(ds_uniq *u, const char *k, size_t kn, const char *r, size_t rn)
{
	if (u->stable) {
		u->hkp = k, u->hkn = kn;
		u->hrp = r, u->hrn = rn;
		return 0;
	}
	sz_buf_reset(&u->hk);
	sz_buf_reset(&u->hr);
	if (sz_buf_add(&u->hk, k, kn) != 0 || sz_buf_add(&u->hr, r, rn) != 0)
		return -1;
	u->hkp = u->hk.p, u->hkn = u->hk.len;
	u->hrp = u->hr.p, u->hrn = u->hr.len;
	return 0;
}

int
ds_uniq_next(void *ud, const char **k, size_t *kn, const char **r,
    size_t *rn, sz_buf *err)
{
	ds_uniq *u = ud;
	const char *xk, *xr;
	size_t xkn, xrn;
	int got;

	if (!u->primed) {
		u->primed = 1;
		u->stable = sz_xsort_stable(u->x);
		if ((got = ds_xsort_next(u->x, &xk, &xkn, &xr, &xrn, err)) < 0)
			return -1;
		if (got == 1) {
			if (uniq_hold(u, xk, xkn, xr, xrn) != 0)
				goto nomem;
			u->have = 1;
		}
	}
	if (!u->have)
		return 0;
	for (;;) {
		if ((got = ds_xsort_next(u->x, &xk, &xkn, &xr, &xrn, err)) < 0)
			return -1;
		if (got == 0 || ds_keycmp(xk, xkn, u->hkp, u->hkn) != 0)
			break;
		(*u->dups)++;
		if (u->ondup == DS_DUP_ERROR)
			return ds_errf(err, "the key %.*s is in more than one "
			    "record (--on-duplicate=error)",
			    (int)(u->hkn > 100 ? 100 : u->hkn), u->hkp);
		if (u->ondup == DS_DUP_LAST) {
			if (u->stable)
				u->hrp = xr, u->hrn = xrn;
			else {
				sz_buf_reset(&u->hr);
				if (sz_buf_add(&u->hr, xr, xrn) != 0)
					goto nomem;
				u->hrp = u->hr.p, u->hrn = u->hr.len;
			}
		}
	}
	/* Give the held pair; the next key's (if any) is held. */
	if (u->stable) {
		*k = u->hkp, *kn = u->hkn;
		*r = u->hrp, *rn = u->hrn;
	} else {
		swap_buf(&u->hk, &u->gk);
		swap_buf(&u->hr, &u->gr);
		*k = u->gk.p, *kn = u->gk.len;
		*r = u->gr.p, *rn = u->gr.len;
	}
	if (u->canon) {
		sz_buf_reset(&u->cr);
		if (sz_json_canon(*r, *rn, &u->cr) != 0)
			goto nomem;
		*r = u->cr.p, *rn = u->cr.len;
	}
	if (got == 1) {
		if (uniq_hold(u, xk, xkn, xr, xrn) != 0)
			goto nomem;
	} else
		u->have = 0;
	return 1;
nomem:
	return ds_errf(err, "out of memory");
}

void
ds_uniq_free(ds_uniq *u)
{
	sz_buf_free(&u->hk);
	sz_buf_free(&u->hr);
	sz_buf_free(&u->gk);
	sz_buf_free(&u->gr);
	sz_buf_free(&u->cr);
}
