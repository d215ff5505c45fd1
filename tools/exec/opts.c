/* SPDX-License-Identifier: MIT */
/*
 * opts.c - sz-exec's option values that are more than a number:
 * --backoff BASE[:MAX], --retry-on KIND (the kinds add up), --breaker
 * RATE:MIN:COOLDOWN[:TRIALS]. Each answers 0, or '?' with the usage
 * error in t->o.err.
 */
#include <regex.h>
#include <stdlib.h>
#include <string.h>

#include "exec.h"

int
exec_opt_backoff(sz_tool *t, struct ex *x)
{
	char err[256];
	char *a = strdup(optarg), *colon;
	int rc = 0;

	if (a == NULL)
		return sz_opt_fail(&t->o, "out of memory");
	if ((colon = strchr(a, ':')) != NULL)
		*colon++ = '\0';
	if (sz_parse_duration("--backoff", a, &x->base, err,
	    sizeof(err)) < 0 || (colon != NULL &&
	    sz_parse_duration("--backoff", colon, &x->max, err,
	    sizeof(err)) < 0))
		rc = sz_opt_fail(&t->o, "%s", err);
	else if (x->max < x->base)
		rc = sz_opt_fail(&t->o, "--backoff: MAX is less than BASE "
		    "in '%s'", optarg);
	free(a);
	return rc;
}

int
exec_opt_retry_on(sz_tool *t, struct ex *x)
{
	struct retry_on *ro = &x->ro;
	const char *a = optarg;

	x->ro_given = 1;
	if (strcmp(a, "timeout") == 0)
		ro->kinds[K_TIMEOUT] = 1;
	else if (strcmp(a, "output") == 0)
		ro->kinds[K_OUTPUT] = 1;
	else if (strcmp(a, "sz_error") == 0)
		ro->kinds[K_SZERROR] = 1;
	else if (strcmp(a, "any") == 0)
		ro->any = 1;
	else if (strncmp(a, "exit:", 5) == 0) {
		const char *p = a + 5;

		do {
			char *end;
			long v = strtol(p, &end, 10);
			int *nc;

			if (end == p || v < 0 || v > 255 ||
			    (*end != ',' && *end != '\0'))
				return sz_opt_fail(&t->o, "--retry-on: '%s' "
				    "is not exit:CODE[,CODE]... (0 to 255)",
				    a);
			if ((nc = realloc(ro->codes, (ro->ncodes + 1) *
			    sizeof(*nc))) == NULL)
				return sz_opt_fail(&t->o, "out of memory");
			ro->codes = nc;
			ro->codes[ro->ncodes++] = (int)v;
			p = *end ? end + 1 : end;
		} while (*p != '\0');
	} else if (strncmp(a, "stderr:", 7) == 0) {
		regex_t *nr = realloc(ro->res, (ro->nres + 1) * sizeof(*nr));
		int k;

		if (nr == NULL)
			return sz_opt_fail(&t->o, "out of memory");
		ro->res = nr;
		if ((k = regcomp(&nr[ro->nres], a + 7,
		    REG_EXTENDED | REG_NOSUB)) != 0) {
			char msg[256];

			regerror(k, &nr[ro->nres], msg, sizeof(msg));
			return sz_opt_fail(&t->o, "--retry-on: '%s': %s", a,
			    msg);
		}
		ro->nres++;
	} else
		return sz_opt_fail(&t->o, "--retry-on: '%s' is not "
		    "exit:CODES, timeout, output, sz_error, stderr:REGEX "
		    "or any", a);
	return 0;
}

int
exec_opt_breaker(sz_tool *t, struct ex *x)
{
	char err[256];
	char *a = strdup(optarg), *f[5] = { NULL };
	int n = 0, rc = 0;
	struct breaker *b = &x->br;

	if (a == NULL)
		return sz_opt_fail(&t->o, "out of memory");
	for (char *p = a; n < 5 && p != NULL; n++) {
		f[n] = p;
		if ((p = strchr(p, ':')) != NULL)
			*p++ = '\0';
	}
	b->trials = 1;
	if (n < 3 || n > 4)
		rc = sz_opt_fail(&t->o, "--breaker: '%s' is not "
		    "RATE:MIN:COOLDOWN[:TRIALS]", optarg);
	else if (sz_parse_double("--breaker", f[0], 0, 1, &b->rate, err,
	    sizeof(err)) < 0 || b->rate <= 0 ||
	    sz_parse_count("--breaker", f[1], 1, UINT32_MAX, &b->min, err,
	    sizeof(err)) < 0 ||
	    sz_parse_duration("--breaker", f[2], &b->cooldown, err,
	    sizeof(err)) < 0 || (n == 4 &&
	    sz_parse_count("--breaker", f[3], 1, UINT32_MAX, &b->trials,
	    err, sizeof(err)) < 0))
		rc = sz_opt_fail(&t->o, "%s", b->rate <= 0 && err[0] == 0 ?
		    "--breaker: RATE must be above 0" : err);
	b->on = rc == 0;
	free(a);
	return rc;
}

