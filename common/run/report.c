/* SPDX-License-Identifier: MIT */
/* report.c - stats, dead-letter and log texts; see report.h. */
#include <string.h>

#include "io/loop.h"
#include "json/str.h"
#include "run/report.h"

int
sz_stats_json(sz_buf *b, const char *tool, const char *name,
    const sz_statv *v)
{
	int rc = 0;

	rc |= sz_buf_adds(b, "{\"tool\":");
	rc |= sz_buf_add_jstr(b, tool, strlen(tool));
	rc |= sz_buf_adds(b, ",\"name\":");
	rc |= sz_buf_add_jstr(b, name, strlen(name));
	rc |= sz_stats_render_json(v, b);
	rc |= sz_buf_addc(b, '}');
	return rc ? -1 : 0;
}

int
sz_stats_log_json(sz_buf *b, const char *tool, const char *name,
    const sz_statv *v)
{
	char now[40];
	int rc = 0;

	sz_rfc3339(now, sizeof(now));
	rc |= sz_buf_printf(b, "{\"time\":\"%s\",\"level\":\"info\","
	    "\"tool\":", now);
	rc |= sz_buf_add_jstr(b, tool, strlen(tool));
	rc |= sz_buf_adds(b, ",\"name\":");
	rc |= sz_buf_add_jstr(b, name, strlen(name));
	rc |= sz_buf_adds(b, ",\"msg\":\"stats\"");
	rc |= sz_stats_render_json(v, b);
	rc |= sz_buf_addc(b, '}');
	return rc ? -1 : 0;
}

int
sz_dead_json(sz_buf *b, const char *tool, const char *name, const sz_dead *d)
{
	char now[40];
	int rc = 0;

	sz_rfc3339(now, sizeof(now));
	rc |= sz_buf_adds(b, "{\"tool\":");
	rc |= sz_buf_add_jstr(b, tool, strlen(tool));
	rc |= sz_buf_adds(b, ",\"name\":");
	rc |= sz_buf_add_jstr(b, name, strlen(name));
	rc |= sz_buf_adds(b, ",\"error\":");
	rc |= sz_buf_add_jstr(b, d->error, strlen(d->error));
	rc |= sz_buf_adds(b, ",\"error_kind\":");
	rc |= sz_buf_add_jstr(b, d->kind, strlen(d->kind));
	if (d->more != NULL && d->moren > 0) {
		rc |= sz_buf_addc(b, ',');
		rc |= sz_buf_add(b, d->more, d->moren);
	}
	rc |= sz_buf_adds(b, ",\"file\":");
	rc |= sz_buf_add_jstr(b, d->file, strlen(d->file));
	rc |= sz_buf_printf(b, ",\"line\":%lu,\"attempts\":%u", d->line,
	    d->attempts || d->attempts_exact ? d->attempts : 1);
	if (d->extra != NULL)
		rc |= sz_buf_adds(b, d->extra);
	rc |= sz_buf_printf(b, ",\"time\":\"%s\",\"record\":", now);
	if (d->rec_is_json)
		rc |= sz_buf_add(b, d->rec, d->n);
	else
		rc |= sz_buf_add_jstr_bytes(b, d->rec, d->n);
	rc |= sz_buf_addc(b, '}');
	return rc ? -1 : 0;
}

int
sz_log_json(sz_buf *b, const char *level, const char *tool, const char *name,
    const char *file, unsigned long line, const char *msg)
{
	char now[40];
	int rc = 0;

	sz_rfc3339(now, sizeof(now));
	rc |= sz_buf_printf(b, "{\"time\":\"%s\",\"level\":\"%s\",\"tool\":",
	    now, level);
	rc |= sz_buf_add_jstr(b, tool, strlen(tool));
	rc |= sz_buf_adds(b, ",\"name\":");
	rc |= sz_buf_add_jstr(b, name, strlen(name));
	if (file != NULL) {
		rc |= sz_buf_adds(b, ",\"file\":");
		rc |= sz_buf_add_jstr(b, file, strlen(file));
		if (line > 0)
			rc |= sz_buf_printf(b, ",\"line\":%lu", line);
	}
	rc |= sz_buf_adds(b, ",\"msg\":");
	rc |= sz_buf_add_jstr(b, msg, strlen(msg));
	rc |= sz_buf_addc(b, '}');
	return rc ? -1 : 0;
}
