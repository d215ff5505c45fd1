/* SPDX-License-Identifier: MIT */
/*
 * sz-clickhouse - a first version with insert only (chd's main.c, with
 * ddl and expire, replaces it).
 */
#include <stdlib.h>
#include <string.h>

#include "ch.h"

int
main(int argc, char **argv)
{
	void *st = calloc(1, ch_insert_size > ch_ddl_size ? ch_insert_size :
	    ch_ddl_size);

	if (st == NULL)
		return 1;
	if (argc > 1 && strcmp(argv[1], "ddl") == 0) {
		argv[1] = argv[0];
		return sz_tool_main(&ch_ddl_def, st, ch_ddl_size, argc - 1,
		    argv + 1);
	}
	if (argc > 1 && strcmp(argv[1], "insert") == 0) {
		argv[1] = argv[0];
		return sz_tool_main(&ch_insert_def, st, ch_insert_size, argc - 1,
		    argv + 1);
	}
	return sz_tool_main(&ch_insert_def, st, ch_insert_size, argc, argv);
}
