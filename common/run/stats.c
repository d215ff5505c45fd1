/* SPDX-License-Identifier: MIT */
/* stats.c - named stats rendered as JSON members and Prometheus text; see
 * stats.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json/str.h"
#include "run/stats.h"

void
sz_statv_reset(sz_statv *v)
{
	v->n = 0;
	v->nomem = 0;
	v->group = v->label = v->key = NULL;
	v->index = -1;
	v->list = 0;
}

void
sz_statv_free(sz_statv *v)
{
	free(v->v);
	v->v = NULL;
	v->cap = 0;
	sz_statv_reset(v);
}

static sz_stat *
add(sz_statv *v, const char *name, int kind)
{
	sz_stat *s;

	if (v->n == v->cap) {
		size_t nc = v->cap ? 2 * v->cap : 32;
		sz_stat *nv = realloc(v->v, nc * sizeof(*nv));

		if (nv == NULL) {
			v->nomem = 1;
			return NULL;
		}
		v->v = nv;
		v->cap = nc;
	}
	s = &v->v[v->n++];
	s->group = v->group;
	s->label = v->label;
	s->key = v->key;
	s->index = -1;
	s->list = v->list;
	s->name = name;
	s->kind = kind;
	s->prec = -1;
	s->u = 0;
	s->d = 0;
	return s;
}

void
sz_stat_counter(sz_statv *v, const char *name, uint64_t x)
{
	sz_stat *s = add(v, name, SZ_STAT_COUNTER);

	if (s != NULL)
		s->u = x;
}

void
sz_stat_gauge(sz_statv *v, const char *name, uint64_t x)
{
	sz_stat *s = add(v, name, SZ_STAT_GAUGE);

	if (s != NULL)
		s->u = x;
}

void
sz_stat_real(sz_statv *v, const char *name, double x, int prec)
{
	sz_stat *s = add(v, name, SZ_STAT_GAUGE);

	if (s != NULL) {
		s->d = x;
		s->prec = prec < 0 ? 0 : prec;
	}
}

void
sz_stat_flag(sz_statv *v, const char *name, int on)
{
	sz_stat *s = add(v, name, SZ_STAT_FLAG);

	if (s != NULL)
		s->u = on != 0;
}

void
sz_stat_text(sz_statv *v, const char *name, const char *text)
{
	sz_stat *s = add(v, name, SZ_STAT_TEXT);

	if (s != NULL) {
		s->text = text;
		s->u = 1;
	}
}

void
sz_stat_group(sz_statv *v, const char *group, const char *label)
{
	v->group = group;
	v->label = label;
	v->key = NULL;
	v->list = 0;
}

void
sz_stat_list(sz_statv *v, const char *group, const char *label)
{
	sz_stat_group(v, group, label);
	v->list = group != NULL;
}

void
sz_stat_member(sz_statv *v, const char *key)
{
	v->key = key;
}

void
sz_stat_element(sz_statv *v, long index, uint64_t x)
{
	sz_stat *s = add(v, v->group, SZ_STAT_COUNTER);

	if (s != NULL) {
		s->key = NULL;
		s->index = index;
		s->u = x;
	}
}

static int
value_json(sz_buf *b, const sz_stat *s)
{
	if (s->kind == SZ_STAT_FLAG)
		return sz_buf_adds(b, s->u ? "true" : "false");
	if (s->kind == SZ_STAT_TEXT)
		return sz_buf_add_jstr(b, s->text, strlen(s->text));
	if (s->prec >= 0)
		return sz_buf_printf(b, "%.*f", s->prec, s->d);
	return sz_buf_printf(b, "%llu", (unsigned long long)s->u);
}

static int
same(const char *a, const char *b)
{
	return a == b || (a != NULL && b != NULL && strcmp(a, b) == 0);
}

/* The list group starting at v->v[i]: ,"G":[{"LABEL":"K",...},...].
 * Returns the index after it. */
static size_t
render_list(const sz_statv *v, size_t i, sz_buf *b, int *rc)
{
	const sz_stat *s = &v->v[i];
	const char *label = s->label ? s->label : "key";
	size_t j;

	*rc |= sz_buf_addc(b, ',');
	*rc |= sz_buf_add_jstr(b, s->group, strlen(s->group));
	*rc |= sz_buf_adds(b, ":[");
	for (j = i; j < v->n && v->v[j].list &&
	    same(v->v[j].group, s->group); j++) {
		const sz_stat *e = &v->v[j];

		if (j == i || v->v[j - 1].key != e->key) {
			*rc |= sz_buf_adds(b, j > i ? "},{" : "{");
			*rc |= sz_buf_add_jstr(b, label, strlen(label));
			*rc |= sz_buf_addc(b, ':');
			*rc |= e->key ? sz_buf_add_jstr(b, e->key,
			    strlen(e->key)) : sz_buf_adds(b, "null");
		}
		*rc |= sz_buf_addc(b, ',');
		*rc |= sz_buf_add_jstr(b, e->name, strlen(e->name));
		*rc |= sz_buf_addc(b, ':');
		*rc |= value_json(b, e);
	}
	*rc |= sz_buf_adds(b, j > i ? "}]" : "]");
	return j;
}

int
sz_stats_render_json(const sz_statv *v, sz_buf *b)
{
	int rc = 0;
	size_t i = 0;

	if (v->nomem)
		return -1;
	while (i < v->n) {
		const sz_stat *s = &v->v[i];
		size_t j;

		if (s->group == NULL) {
			rc |= sz_buf_addc(b, ',');
			rc |= sz_buf_add_jstr(b, s->name, strlen(s->name));
			rc |= sz_buf_addc(b, ':');
			rc |= value_json(b, s);
			i++;
			continue;
		}
		if (s->list) {
			i = render_list(v, i, b, &rc);
			continue;
		}
		/* A group: the run of values that share it. */
		rc |= sz_buf_addc(b, ',');
		rc |= sz_buf_add_jstr(b, s->group, strlen(s->group));
		rc |= sz_buf_adds(b, s->index >= 0 ? ":[" : ":{");
		int open = 0;	/* a member's object is open */

		for (j = i; j < v->n && same(v->v[j].group, s->group); j++) {
			const sz_stat *e = &v->v[j];

			if (e->index >= 0) {
				if (j > i)
					rc |= sz_buf_addc(b, ',');
				rc |= value_json(b, e);
				continue;
			}
			if (e->key != NULL && (!open ||
			    !same(v->v[j - 1].key, e->key))) {
				/* The first value of a member. */
				rc |= sz_buf_adds(b, open ? "}," : j > i ?
				    "," : "");
				rc |= sz_buf_add_jstr(b, e->key,
				    strlen(e->key));
				rc |= sz_buf_adds(b, ":{");
				open = 1;
			} else if (e->key == NULL && open) {
				rc |= sz_buf_adds(b, "},");
				open = 0;
			} else if (j > i)
				rc |= sz_buf_addc(b, ',');
			rc |= sz_buf_add_jstr(b, e->name, strlen(e->name));
			rc |= sz_buf_addc(b, ':');
			rc |= value_json(b, e);
		}
		if (s->index >= 0)
			rc |= sz_buf_addc(b, ']');
		else
			rc |= sz_buf_adds(b, open ? "}}" : "}");
		i = j;
	}
	return rc ? -1 : 0;
}

/* The Prometheus names of the contract's record counters ("in" is
 * sz_records_in_total), and the HELP text of the contract's members. */
static const struct { const char *name, *prom, *help; } prom_known[] = {
	{ "in", "records_in", "records read" },
	{ "out", "records_out", "records written" },
	{ "dropped", NULL, "records discarded on purpose" },
	{ "errors", NULL, "bad records" },
	{ "bytes_in", NULL, "bytes of records read, newlines included" },
	{ "bytes_out", NULL, "bytes written" },
	{ "elapsed_s", NULL, "seconds since the start" },
	{ "rate", NULL, "records read per second since the start" },
};

static int
prom_known_ix(const char *group, const char *name)
{
	if (group != NULL || name == NULL)
		return -1;
	for (size_t k = 0; k < sizeof(prom_known) / sizeof(prom_known[0]); k++)
		if (strcmp(prom_known[k].name, name) == 0)
			return (int)k;
	return -1;
}

/* A metric name: sz_ and the parts, anything but [A-Za-z0-9_] as '_'
 * (the contract's "in" and "out" as records_in, records_out), a
 * name's _s as _seconds, and _total after a counter's. */
static int
prom_name(sz_buf *b, const char *group, const char *name, int kind)
{
	int rc = sz_buf_adds(b, "sz_");
	int known = prom_known_ix(group, name);
	const char *parts[2] = { group, known >= 0 && prom_known[known].prom ?
	    prom_known[known].prom : name };

	for (int k = 0; k < 2; k++) {
		if (parts[k] == NULL)
			continue;
		if (k == 1 && group != NULL)
			rc |= sz_buf_addc(b, '_');
		for (const char *p = parts[k]; *p != '\0'; p++) {
			char c = *p;

			if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
			    || (c >= '0' && c <= '9') || c == '_'))
				c = '_';
			rc |= sz_buf_addc(b, c);
		}
	}
	/* Prometheus spells units out: elapsed_s is sz_elapsed_seconds. */
	if (b->len >= 2 && memcmp(b->p + b->len - 2, "_s", 2) == 0)
		rc |= sz_buf_adds(b, "econds");
	if (kind == SZ_STAT_COUNTER)
		rc |= sz_buf_adds(b, "_total");
	return rc;
}

/* A label, after a comma unless it is the first; its value with
 * backslash, double quote and newline escaped. */
static int
prom_label(sz_buf *b, int first, const char *k, const char *val)
{
	int rc = sz_buf_printf(b, "%s%s=\"", first ? "" : ",", k);

	for (const char *p = val; *p != '\0'; p++) {
		if (*p == '\\' || *p == '"')
			rc |= sz_buf_addc(b, '\\') | sz_buf_addc(b, *p);
		else if (*p == '\n')
			rc |= sz_buf_adds(b, "\\n");
		else
			rc |= sz_buf_addc(b, *p);
	}
	return rc | sz_buf_addc(b, '"');
}

int
sz_stats_prom_labels(sz_buf *b, const char *tool, const char *name)
{
	return prom_label(b, 1, "tool", tool) | prom_label(b, 0, "name", name)
	    ? -1 : 0;
}

/* Values i and j are samples of one metric. */
static int
same_metric(const sz_stat *a, const sz_stat *b)
{
	return same(a->group, b->group) && same(a->index >= 0 ? NULL :
	    a->name, b->index >= 0 ? NULL : b->name);
}

int
sz_stats_render_prom(const sz_statv *v, const char *tool, const char *name,
    sz_buf *b)
{
	int rc = 0;

	if (v->nomem)
		return -1;
	for (size_t i = 0; i < v->n; i++) {
		const sz_stat *s = &v->v[i];
		const char *mname = s->index >= 0 ? NULL : s->name;
		int first = 1, k = prom_known_ix(s->group, mname);

		/* A metric once, with HELP and TYPE, then all its samples
		 * (the text format wants them together). */
		for (size_t j = 0; j < i && first; j++)
			if (same_metric(&v->v[j], s))
				first = 0;
		if (!first)
			continue;
		rc |= sz_buf_adds(b, "# HELP ");
		rc |= prom_name(b, s->group, mname, s->kind);
		if (k >= 0)
			rc |= sz_buf_printf(b, " %s\n", prom_known[k].help);
		else if (s->group != NULL && mname != NULL)
			rc |= sz_buf_printf(b, " the stats line's %s.%s\n",
			    s->group, mname);
		else
			rc |= sz_buf_printf(b, " the stats line's %s\n",
			    mname != NULL ? mname : s->group);
		rc |= sz_buf_adds(b, "# TYPE ");
		rc |= prom_name(b, s->group, mname, s->kind);
		rc |= sz_buf_adds(b, s->kind == SZ_STAT_COUNTER ?
		    " counter\n" : " gauge\n");
		for (size_t j = i; j < v->n; j++) {
			const sz_stat *e = &v->v[j];

			if (!same_metric(e, s))
				continue;
			rc |= prom_name(b, e->group, mname, s->kind);
			rc |= sz_buf_adds(b, "{");
			rc |= sz_stats_prom_labels(b, tool, name);
			if (e->index >= 0) {
				char ix[24];

				snprintf(ix, sizeof(ix), "%ld", e->index);
				rc |= prom_label(b, 0, e->label ? e->label :
				    "index", ix);
			} else if (e->key != NULL)
				rc |= prom_label(b, 0, e->label ? e->label :
				    "key", e->key);
			/* A text is a label on a sample of 1 (an "info"
			 * gauge: sz_breaker_state{...,state="open"} 1). */
			if (e->kind == SZ_STAT_TEXT)
				rc |= prom_label(b, 0, e->name, e->text);
			rc |= sz_buf_adds(b, "} ");
			if (e->prec >= 0)
				rc |= sz_buf_printf(b, "%.*f", e->prec, e->d);
			else
				rc |= sz_buf_printf(b, "%llu",
				    (unsigned long long)e->u);
			rc |= sz_buf_addc(b, '\n');
		}
	}
	return rc ? -1 : 0;
}
