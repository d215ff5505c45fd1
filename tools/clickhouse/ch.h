/* SPDX-License-Identifier: MIT */
/*
 * ch.h - the parts of sz-clickhouse that insert uses (a first version:
 * chd's ch.h, with the common options and types.c, replaces it).
 */
#ifndef SZ_CH_TOOL_H
#define SZ_CH_TOOL_H

#include <stddef.h>

#include "connect/clickhouse.h"
#include "run/tool.h"

extern const sz_tool_def ch_insert_def;
extern const size_t ch_insert_size;	/* its state */
extern const sz_tool_def ch_ddl_def;
extern const size_t ch_ddl_size;
extern const sz_tool_def ch_expire_def;
extern const size_t ch_expire_size;

/* Is the JSON value v[0..n) stored as sent in a column of ClickHouse
 * type `type` (as DESCRIBE TABLE writes it)? 0, or -1 with the reason in
 * why. What the server refuses itself is left to it (0). */
int ch_value_check(const char *type, const char *v, size_t n, char *why,
    size_t whysize);

#endif
