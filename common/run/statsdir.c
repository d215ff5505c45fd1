/* SPDX-License-Identifier: MIT */
/* statsdir.c - a tool's $SZ_STATS_DIR file; see statsdir.h. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "io/loop.h"
#include "io/out.h"
#include "run/statsdir.h"

static void
ids(int fd, unsigned long long *dev, unsigned long long *ino)
{
	struct stat st;

	*dev = *ino = 0;
	if (fstat(fd, &st) == 0) {
		*dev = (unsigned long long)st.st_dev;
		*ino = (unsigned long long)st.st_ino;
	}
}

int
sz_statsdir_init(sz_statsdir *d, const char *dir, const char *name,
    uint64_t interval)
{
	sz_buf b = SZ_BUF_INIT;
	int rc = 0;

	memset(d, 0, sizeof(*d));
	d->pid = (long)getpid();
	d->interval = interval;
	ids(0, &d->in_dev, &d->in_ino);
	ids(1, &d->out_dev, &d->out_ino);
	/* The name as a file name: no slash, no dot file, nothing odd. */
	for (const char *p = name; *p != '\0'; p++) {
		char c = *p;

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '-' || c == '_' ||
		    (c == '.' && p != name)))
			c = '_';
		rc |= sz_buf_addc(&b, c);
	}
	rc |= sz_buf_printf(&b, ".%ld.json", d->pid);
	rc |= sz_buf_addc(&b, '\0');
	if (rc == 0) {
		size_t dl = strlen(dir), nl = strlen(b.p);

		d->path = malloc(dl + nl + 2);
		d->tmp = malloc(dl + nl + 8);
		if (d->path != NULL && d->tmp != NULL) {
			snprintf(d->path, dl + nl + 2, "%s/%s", dir, b.p);
			snprintf(d->tmp, dl + nl + 8, "%s/.%s.tmp", dir, b.p);
		} else
			rc = -1;
	}
	sz_buf_free(&b);
	if (rc != 0) {
		sz_statsdir_free(d);
		return -1;
	}
	return 0;
}

void
sz_statsdir_free(sz_statsdir *d)
{
	free(d->path);
	free(d->tmp);
	d->path = d->tmp = NULL;
	sz_buf_free(&d->b);
}

const char *
sz_statsdir_state(const sz_statsdir *d, const sz_sdtimes *tm)
{
	uint64_t el = tm->now - (d->last.now ? d->last.now : tm->now);
	uint64_t blk = tm->blocked - d->last.blocked;
	uint64_t win = tm->wait_in - d->last.wait_in;
	uint64_t hold = tm->holding - d->last.holding;
	uint64_t asleep = blk + win + hold;
	uint64_t busy = el > asleep ? el - asleep : 0;

	if (tm->blocked_now)
		return "blocked-out";
	if (el == 0)
		return "reading";
	if (blk >= win && blk >= hold && blk >= busy && blk > 0)
		return "blocked-out";
	if (hold >= win && hold >= busy && hold > 0)
		return "holding";
	if (win >= busy && win > 0)
		return "idle";
	return "reading";
}

int
sz_statsdir_write(sz_statsdir *d, const char *stats, size_t n,
    const sz_sdtimes *tm, uint64_t q_records, uint64_t q_bound,
    int exit_status)
{
	char now[40];
	int rc = 0, fd;
	sz_buf *b = &d->b;

	sz_rfc3339(now, sizeof(now));
	sz_buf_reset(b);
	/* The stats object without its closing brace, then ours. */
	rc |= sz_buf_add(b, stats, n > 0 && stats[n - 1] == '}' ? n - 1 : n);
	rc |= sz_buf_printf(b, ",\"pid\":%ld,\"state\":\"%s\"", d->pid,
	    exit_status >= 0 ? "exited" : sz_statsdir_state(d, tm));
	if (exit_status >= 0)
		rc |= sz_buf_printf(b, ",\"exit_status\":%d", exit_status);
	rc |= sz_buf_printf(b, ",\"blocked_out_s\":%.3f,\"wait_in_s\":%.3f,"
	    "\"holding_s\":%.3f,\"interval_s\":%.3f,"
	    "\"queue\":{\"records\":%llu,\"bound\":%llu},"
	    "\"stdin\":{\"dev\":%llu,\"ino\":%llu},"
	    "\"stdout\":{\"dev\":%llu,\"ino\":%llu},\"time\":\"%s\"}\n",
	    (double)tm->blocked / 1e9, (double)tm->wait_in / 1e9,
	    (double)tm->holding / 1e9, (double)d->interval / 1e9,
	    (unsigned long long)q_records, (unsigned long long)q_bound,
	    d->in_dev, d->in_ino, d->out_dev, d->out_ino, now);
	d->last = *tm;
	d->last_write = tm->now;
	if (rc != 0) {
		d->err = ENOMEM;
		return -1;
	}
	fd = open(d->tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
	if (fd < 0)
		goto fail;
	if (sz_write_all(fd, b->p, b->len) < 0) {
		int e = errno;

		close(fd);
		unlink(d->tmp);
		errno = e;
		goto fail;
	}
	if (close(fd) < 0 || rename(d->tmp, d->path) < 0) {
		int e = errno;

		unlink(d->tmp);
		errno = e;
		goto fail;
	}
	return 0;
fail:
	if (d->err == 0)
		d->err = errno;
	return -1;
}
