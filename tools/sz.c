/* SPDX-License-Identifier: MIT */
/*
 * sz - the front door of the toolkit: list the tools, open a tool's
 * manual, or run a tool (sz TOOL ARG... runs sz-TOOL ARG...).
 *
 * Not an NDJSON filter: it reads no records and takes none of the common
 * options, so it parses its two options with getopt_long itself and stops
 * at the first operand (everything after TOOL is the tool's).
 *
 * The list of tools, with one line each, is tools/sz-list.h, made at build
 * time from the NAME line (.Nd) of each tool's man page: the same line
 * whatis(1) and apropos(1) show.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/opts.h"

/* Exit statuses: those of the contract, and the shell's for a command
 * that is not there (127) or cannot be run (126). */
enum { EXIT_USAGE = 2, EXIT_CANNOT_RUN = 126, EXIT_NOT_FOUND = 127 };

struct tool {
	const char *name;	/* "map" for sz-map */
	const char *what;	/* its man page's one line */
};

static const struct tool tools[] = {
#define SZ_TOOL(name, what) { name, what },
#include "sz-list.h"
#undef SZ_TOOL
};
#define NTOOLS (sizeof(tools) / sizeof(tools[0]))

static const char usage[] =
"Usage: sz [TOOL [ARG]...]\n"
"  or:  sz help [TOOL]\n"
"Without a TOOL, list the sz tools with one line each. With one, run the\n"
"program sz-TOOL with the ARGs: the one next to sz first, else the first\n"
"on PATH. 'sz help TOOL' shows the manual of sz-TOOL (man sz-TOOL).\n"
"\n"
"  -h, --help             show this help and exit\n"
"  -V, --version          show the version and exit\n"
"\n"
"Exit status: that of the tool; 2 on a usage error; 127 when there is\n"
"no program sz-TOOL, 126 when it cannot be run.\n"
"See sz(1) and sz(7).\n";

static const struct option longopts[] = {
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, 'V' },
	{ NULL, 0, NULL, 0 }
};

static int
write_failed(void)
{
	fprintf(stderr, "sz: write error: %s\n", strerror(errno));
	return 1;
}

/* The list: "  NAME  WHAT" per tool, the WHATs in one column. */
static int
list_tools(void)
{
	int w = 0;

	for (size_t i = 0; i < NTOOLS; i++)
		if ((int)strlen(tools[i].name) > w)
			w = (int)strlen(tools[i].name);
	if (printf("Usage: sz TOOL [ARG]... runs sz-TOOL; sz help TOOL shows"
	    " its manual.\n") < 0)
		return write_failed();
	for (size_t i = 0; i < NTOOLS; i++)
		if (printf("  %-*s  %s\n", w, tools[i].name,
		    tools[i].what) < 0)
			return write_failed();
	if (printf("The rules every tool keeps: man sz.7\n") < 0 ||
	    fflush(stdout) == EOF)
		return write_failed();
	return 0;
}

/* TOOL as given ("map" or "sz-map") to "map"; NULL when it cannot be a
 * tool's name (empty, or with a '/'). */
static const char *
tool_name(const char *arg)
{
	if (strncmp(arg, "sz-", 3) == 0)
		arg += 3;
	if (*arg == '\0' || strchr(arg, '/') != NULL)
		return NULL;
	return arg;
}

static int
known(const char *name)
{
	for (size_t i = 0; i < NTOOLS; i++)
		if (strcmp(tools[i].name, name) == 0)
			return 1;
	return 0;
}

static int
no_such_tool(const char *arg)
{
	fprintf(stderr, "sz: '%s' is not an sz tool (run 'sz' for the "
	    "list)\n", arg);
	return EXIT_NOT_FOUND;
}

/* sz help [TOOL]: man sz-TOOL, or man 1 sz. */
static int
help(int argc, char **argv)
{
	const char *name;
	char page[PATH_MAX];

	if (argc > 1) {
		fprintf(stderr, "sz: help takes one TOOL\n"
		    "Try 'sz --help' for more information.\n");
		return EXIT_USAGE;
	}
	if (argc == 0) {
		execlp("man", "man", "1", "sz", (char *)NULL);
	} else {
		if ((name = tool_name(argv[0])) == NULL || !known(name))
			return no_such_tool(argv[0]);
		snprintf(page, sizeof(page), "sz-%s", name);
		execlp("man", "man", page, (char *)NULL);
	}
	fprintf(stderr, "sz: man: %s\n", strerror(errno));
	return errno == ENOENT ? EXIT_NOT_FOUND : EXIT_CANNOT_RUN;
}

/*
 * The directory this program was run from (/proc/self/exe, else argv[0]
 * when it names a path), into dir; 0, or -1 when it is not known.
 */
static int
own_dir(const char *argv0, char *dir, size_t size)
{
	ssize_t n = readlink("/proc/self/exe", dir, size - 1);
	char *slash;

	if (n > 0) {
		dir[n] = '\0';
	} else if (strchr(argv0, '/') != NULL && strlen(argv0) < size) {
		strcpy(dir, argv0);
	} else {
		return -1;
	}
	if ((slash = strrchr(dir, '/')) == NULL)
		return -1;
	*slash = '\0';
	return 0;
}

/* sz TOOL ARG... (argv, NULL-terminated): exec sz-TOOL from sz's
 * directory, else from PATH. */
static int
run(const char *argv0, char **argv)
{
	const char *name = tool_name(argv[0]);
	char prog[NAME_MAX + 1], path[PATH_MAX], dir[PATH_MAX];
	int err;

	if (name == NULL || strlen(name) + 3 > NAME_MAX)
		return no_such_tool(argv[0]);
	snprintf(prog, sizeof(prog), "sz-%s", name);
	argv[0] = prog;
	if (own_dir(argv0, dir, sizeof(dir)) == 0 &&
	    (size_t)snprintf(path, sizeof(path), "%s/%s", dir, prog) <
	    sizeof(path)) {
		execv(path, argv);
		if (errno != ENOENT) {
			fprintf(stderr, "sz: %s: %s\n", path, strerror(errno));
			return EXIT_CANNOT_RUN;
		}
	}
	execvp(prog, argv);
	err = errno;
	if (err == ENOENT)
		return no_such_tool(name);
	fprintf(stderr, "sz: %s: %s\n", prog, strerror(err));
	return EXIT_CANNOT_RUN;
}

int
main(int argc, char **argv)
{
	const char *argv0 = argc > 0 ? argv[0] : "sz";
	int c;

	opterr = 0;
	while ((c = getopt_long(argc, argv, "+hV", longopts, NULL)) != -1) {
		switch (c) {
		case 'h':
			if (fputs(usage, stdout) == EOF || fflush(stdout) == EOF)
				return write_failed();
			return 0;
		case 'V':
			return sz_print_version("sz") < 0 ? write_failed() : 0;
		default:
			if (strncmp(argv[optind - 1], "--", 2) == 0)
				fprintf(stderr, "sz: invalid option '%s'\n",
				    argv[optind - 1]);
			else
				fprintf(stderr, "sz: invalid option -- '%c'\n",
				    optopt);
			fputs("Try 'sz --help' for more information.\n",
			    stderr);
			return EXIT_USAGE;
		}
	}
	argc -= optind;
	argv += optind;
	if (argc == 0)
		return list_tools();
	if (strcmp(argv[0], "help") == 0)
		return help(argc - 1, argv + 1);
	return run(argv0, argv);
}
