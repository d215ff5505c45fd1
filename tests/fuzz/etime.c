/* SPDX-License-Identifier: MIT */
/*
 * etime.c - fuzz target of the event-time reader (common/json/etime.c).
 *
 * Input: a JSON value (others are not fed: the reader takes valid ones
 * only). A string is read the same by sz_etime_parse and
 * sz_etime_rfc3339 (same time or same reason); a number is no RFC 3339
 * time. A time read back from this target's own writing of it, as RFC
 * 3339 with nanoseconds in UTC and as seconds with nine decimals, is the
 * same time; the calendar conversions are each other's inverse.
 */
#include <inttypes.h>
#include <string.h>

#include "json/etime.h"
#include "json/json.h"
#include "fuzz.h"

#define NS ((int64_t)1000000000)

static void
again(const char *s, int64_t want)
{
	const char *why = NULL;
	int64_t ns;

	FUZZ_CHECK(sz_etime_parse(s, strlen(s), &ns, &why) == 0);
	FUZZ_CHECK(ns == want);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data, *r1 = NULL, *r2 = NULL, *v;
	int64_t ns = 0, ns2 = 0, sec, frac;
	long long days, y, y2;
	int m, d, m2, d2, rc, rc2;
	char s[128];
	size_t n;

	if (size > 4096 || sz_json_validate(p, size, NULL, NULL) != 0)
		return 0;
	v = p;
	n = size;
	sz_json_trim(&v, &n);
	rc = sz_etime_parse(v, n, &ns, &r1);
	FUZZ_CHECK(rc == 0 || (rc == -1 && r1 != NULL));
	rc2 = sz_etime_rfc3339(v, n, &ns2, &r2);
	if (sz_json_type(v, v + n) == SZ_JSTRING) {
		FUZZ_CHECK(rc == rc2);
		if (rc == 0)
			FUZZ_CHECK(ns == ns2);
		else
			FUZZ_CHECK(strcmp(r1, r2) == 0);
	} else
		FUZZ_CHECK(rc2 == -1);
	if (rc != 0)
		return 0;

	/* floor division: the second and the nanoseconds past it */
	sec = ns / NS;
	frac = ns % NS;
	if (frac < 0) {
		frac += NS;
		sec--;
	}
	days = sec / 86400;
	if (sec % 86400 < 0)
		days--;
	sz_civil_from_days(days, &y, &m, &d);
	FUZZ_CHECK(m >= 1 && m <= 12 && d >= 1 && d <= 31);
	FUZZ_CHECK(sz_days_from_civil(y, m, d) == days);
	{
		long long t = sec - days * 86400;

		snprintf(s, sizeof(s), "\"%04lld-%02d-%02dT%02lld:%02lld:"
		    "%02lld.%09" PRId64 "Z\"", y, m, d, t / 3600,
		    t / 60 % 60, t % 60, frac);
	}
	again(s, ns);
	/* the exact decimal of ns / 1e9 */
	if (ns < 0) {
		uint64_t a = (uint64_t)0 - (uint64_t)ns;

		snprintf(s, sizeof(s), "-%" PRIu64 ".%09" PRIu64,
		    a / (uint64_t)NS, a % (uint64_t)NS);
	} else
		snprintf(s, sizeof(s), "%" PRId64 ".%09" PRId64, ns / NS,
		    ns % NS);
	again(s, ns);
	sz_civil_from_days(days + 1, &y2, &m2, &d2);
	FUZZ_CHECK(sz_days_from_civil(y2, m2, d2) == days + 1);
	return 0;
}
