/* SPDX-License-Identifier: MIT */
/*
 * stats.h - a tool's stats as named values, not text: counters (that only
 * go up), gauges (that go up and down) and flags, alone or in groups (the
 * counts of one route, one partition). One list renders as the members of
 * the stats line of man/sz.7 ("Stats") and as Prometheus text, with the
 * same names, so that a JSON member "evicted" is the metric sz_evicted.
 *
 * JSON shapes, by where a value is:
 *   alone                  ,"NAME":V
 *   in group G             ,"G":{"NAME":V,...}
 *   in group G, member K   ,"G":{"K":{"NAME":V,...},...}
 *   element I of group G   ,"G":[V0,V1,...]      (NAME unused)
 *   member K of list G     ,"G":[{"LABEL":"K","NAME":V,...},...]
 *                          (a list's members in the order added; a new
 *                          member at each sz_stat_member call with
 *                          another key pointer, even for equal texts)
 * Values of one group must be added one after another.
 *
 * Prometheus: sz_NAME, or sz_G_NAME in a group (sz_G for an array), with
 * the labels tool and name, and LABEL="K" (or LABEL="I") for members;
 * a counter's name ends in _total, a name's _s is _seconds
 * (sz_elapsed_seconds), and the contract's "in" and "out"
 * are sz_records_in_total and sz_records_out_total. Each metric has a
 * HELP and a TYPE line, its samples together. A flag is a gauge of 0
 * or 1.
 *
 * Names are not copied: they must live until the list is rendered.
 */
#ifndef SZ_STATS_H
#define SZ_STATS_H

#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"

enum { SZ_STAT_COUNTER, SZ_STAT_GAUGE, SZ_STAT_FLAG, SZ_STAT_TEXT };

typedef struct sz_stat {
	const char *group;	/* NULL, or the group it is in */
	const char *label;	/* Prometheus label of the group's members */
	const char *key;	/* the member (a route's name), or NULL */
	long index;		/* >= 0: element `index` of an array group */
	int list;		/* in a list group (sz_stat_list) */
	const char *name;
	int kind;		/* SZ_STAT_* */
	int prec;		/* < 0: the whole number u; else d with this
				   many decimals */
	uint64_t u;
	double d;
	const char *text;	/* SZ_STAT_TEXT: a static string */
} sz_stat;

typedef struct sz_statv {
	sz_stat *v;
	size_t n, cap;
	int nomem;		/* an add failed: rendering fails */
	/* Where the next values go (sz_stat_group / sz_stat_member). */
	const char *group, *label, *key;
	long index;
	int list;
} sz_statv;

#define SZ_STATV_INIT { NULL, 0, 0, 0, NULL, NULL, NULL, -1, 0 }

void sz_statv_reset(sz_statv *v);
void sz_statv_free(sz_statv *v);

/* Values alone, or in the group chosen last. */
void sz_stat_counter(sz_statv *v, const char *name, uint64_t x);
void sz_stat_gauge(sz_statv *v, const char *name, uint64_t x);
/* A gauge with decimals (rendered with %.*f). */
void sz_stat_real(sz_statv *v, const char *name, double x, int prec);
void sz_stat_flag(sz_statv *v, const char *name, int on);
/* A word (a state: "closed"): a JSON string; for Prometheus a gauge 1
 * with the word as the label `name` (text must outlive the rendering). */
void sz_stat_text(sz_statv *v, const char *name, const char *text);

/* The next values go into group `group` (NULL: alone again); `label`
 * names its members for Prometheus ("route"). */
void sz_stat_group(sz_statv *v, const char *group, const char *label);
/* The next values go into the list group `group`: an array of one
 * object per member (sz_stat_member), whose first member is
 * "label":"key" (sz-fanout's "dests":[{"dest":"...",...},...]). */
void sz_stat_list(sz_statv *v, const char *group, const char *label);
/* ... as member `key` of the group (NULL: directly in it). */
void sz_stat_member(sz_statv *v, const char *key);
/* Element `index` of the array group chosen last: a counter. */
void sz_stat_element(sz_statv *v, long index, uint64_t x);

/* Append the values as JSON members, each with a leading comma. Returns
 * 0, or -1 when memory ran out (here or while adding). */
int sz_stats_render_json(const sz_statv *v, sz_buf *b);
/* Append the values as Prometheus text exposition, with labels
 * tool="TOOL" and name="NAME" on every sample. Returns 0 or -1. */
int sz_stats_render_prom(const sz_statv *v, const char *tool,
    const char *name, sz_buf *b);
/* The labels tool="TOOL",name="NAME" (escaped as the text format wants),
 * for a tool's own metrics next to these (sz-monitor's summary). */
int sz_stats_prom_labels(sz_buf *b, const char *tool, const char *name);

#endif
