/* SPDX-License-Identifier: MIT */
/*
 * etime.h - event times read from records (--time=EXPR): an RFC 3339
 * string or a number of seconds (or milliseconds) since the epoch, as
 * nanoseconds since 1970-01-01T00:00:00Z.
 *
 * Accepted (man/sz-dedupe.1, --time):
 *   "YYYY-MM-DDTHH:MM:SS[.F...](Z|+HH:MM|-HH:MM)"  ('T' may be 't' or a
 *       space, 'Z' may be 'z'; any number of fraction digits, read to the
 *       nanosecond, the rest truncated; second 60 is taken as the next
 *       minute's 0, as timegm(3) does)
 *   a JSON number: seconds since the epoch, or milliseconds when it is
 *       at least 1e11; read exactly from its decimal digits (no rounding
 *       through a double), truncated to the nanosecond.
 * The result must lie between 1677-09-21 and 2262-04-11 (a signed 64-bit
 * count of nanoseconds); anything else is an error.
 */
#ifndef SZ_ETIME_H
#define SZ_ETIME_H

#include <stddef.h>
#include <stdint.h>

/*
 * Read the time in the valid JSON value v[0..n) (a string or a number).
 * Returns 0 with *ns set, or -1 with *reason (a static text such as
 * "not an RFC 3339 time") set.
 */
int sz_etime_parse(const char *v, size_t n, int64_t *ns,
    const char **reason);

/* Days since 1970-01-01 of the proleptic Gregorian date y-m-d (m 1-12),
 * and back: exact integer arithmetic, no time zone, any year. */
long long sz_days_from_civil(long long y, int m, int d);
void sz_civil_from_days(long long days, long long *y, int *m, int *d);

/* The same for a string only: the valid JSON string literal v[0..n)
 * holding an RFC 3339 time (a number or another value is an error). */
int sz_etime_rfc3339(const char *v, size_t n, int64_t *ns,
    const char **reason);

#endif
