/* SPDX-License-Identifier: MIT */
/* check_stats.c - unit tests of common/run/stats.c: the JSON members and
 * the Prometheus text of the same values. TAP. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "run/report.h"
#include "run/stats.h"
#include "tap.h"

/* The values of a router with two routes, a default and a partition-like
 * array: every shape stats.h describes. */
static void
fill(sz_statv *v)
{
	sz_stat_counter(v, "in", 12);
	sz_stat_real(v, "elapsed_s", 1.23456, 3);
	sz_stat_flag(v, "fast", 1);
	sz_stat_group(v, "routes", "route");
	sz_stat_member(v, "paid");
	sz_stat_counter(v, "matched", 3);
	sz_stat_counter(v, "written", 2);
	sz_stat_member(v, "a \"b\"");
	sz_stat_counter(v, "matched", 4);
	sz_stat_group(v, "default", NULL);
	sz_stat_counter(v, "matched", 5);
	sz_stat_gauge(v, "queued", 6);
	sz_stat_group(v, "partitions", "partition");
	sz_stat_element(v, 0, 7);
	sz_stat_element(v, 1, 8);
	sz_stat_group(v, NULL, NULL);
	sz_stat_gauge(v, "keys", 9);
}

START_TEST(test_json)
{
	sz_statv v = SZ_STATV_INIT;
	sz_buf b = SZ_BUF_INIT;

	fill(&v);
	ck_assert_int_eq(sz_stats_json(&b, "sz-x", "n", &v), 0);
	ck_assert_int_eq(sz_buf_addc(&b, '\0'), 0);
	ck_assert_str_eq(b.p, "{\"tool\":\"sz-x\",\"name\":\"n\",\"in\":12,"
	    "\"elapsed_s\":1.235,\"fast\":true,"
	    "\"routes\":{\"paid\":{\"matched\":3,\"written\":2},"
	    "\"a \\\"b\\\"\":{\"matched\":4}},"
	    "\"default\":{\"matched\":5,\"queued\":6},"
	    "\"partitions\":[7,8],\"keys\":9}");
	/* the list is built again for each rendering */
	sz_statv_reset(&v);
	sz_stat_flag(&v, "fast", 0);
	sz_buf_reset(&b);
	ck_assert_int_eq(sz_stats_render_json(&v, &b), 0);
	ck_assert_int_eq(sz_buf_addc(&b, '\0'), 0);
	ck_assert_str_eq(b.p, ",\"fast\":false");
	sz_buf_free(&b);
	sz_statv_free(&v);
}
END_TEST

START_TEST(test_prometheus)
{
	sz_statv v = SZ_STATV_INIT;
	sz_buf b = SZ_BUF_INIT;

	fill(&v);
	ck_assert_int_eq(sz_stats_render_prom(&v, "sz-x", "n\"1", &b), 0);
	ck_assert_int_eq(sz_buf_addc(&b, '\0'), 0);
#define L "tool=\"sz-x\",name=\"n\\\"1\""
	ck_assert_str_eq(b.p,
	    "# HELP sz_records_in_total records read\n"
	    "# TYPE sz_records_in_total counter\n"
	    "sz_records_in_total{" L "} 12\n"
	    "# HELP sz_elapsed_seconds seconds since the start\n"
	    "# TYPE sz_elapsed_seconds gauge\n"
	    "sz_elapsed_seconds{" L "} 1.235\n"
	    "# HELP sz_fast the stats line's fast\n"
	    "# TYPE sz_fast gauge\nsz_fast{" L "} 1\n"
	    "# HELP sz_routes_matched_total the stats line's routes.matched\n"
	    "# TYPE sz_routes_matched_total counter\n"
	    "sz_routes_matched_total{" L ",route=\"paid\"} 3\n"
	    "sz_routes_matched_total{" L ",route=\"a \\\"b\\\"\"} 4\n"
	    "# HELP sz_routes_written_total the stats line's routes.written\n"
	    "# TYPE sz_routes_written_total counter\n"
	    "sz_routes_written_total{" L ",route=\"paid\"} 2\n"
	    "# HELP sz_default_matched_total the stats line's "
	    "default.matched\n"
	    "# TYPE sz_default_matched_total counter\n"
	    "sz_default_matched_total{" L "} 5\n"
	    "# HELP sz_default_queued the stats line's default.queued\n"
	    "# TYPE sz_default_queued gauge\n"
	    "sz_default_queued{" L "} 6\n"
	    "# HELP sz_partitions_total the stats line's partitions\n"
	    "# TYPE sz_partitions_total counter\n"
	    "sz_partitions_total{" L ",partition=\"0\"} 7\n"
	    "sz_partitions_total{" L ",partition=\"1\"} 8\n"
	    "# HELP sz_keys the stats line's keys\n"
	    "# TYPE sz_keys gauge\nsz_keys{" L "} 9\n");
	sz_buf_reset(&b);
	ck_assert_int_eq(sz_stats_prom_labels(&b, "sz-x", "n\"1"), 0);
	ck_assert_int_eq(sz_buf_addc(&b, '\0'), 0);
	ck_assert_str_eq(b.p, L);
#undef L
	sz_buf_free(&b);
	sz_statv_free(&v);
}
END_TEST

/* A list group (sz-fanout's dests): one object per member, in order,
 * its key first under the label; two members with equal texts stay two. */
START_TEST(test_list)
{
	sz_statv v = SZ_STATV_INIT;
	sz_buf b = SZ_BUF_INIT;
	char k1[] = "|cat", k2[] = "a\"b", k3[] = "a\"b";

	sz_stat_counter(&v, "in", 3);
	sz_stat_list(&v, "dests", "dest");
	sz_stat_member(&v, k1);
	sz_stat_counter(&v, "written", 3);
	sz_stat_counter(&v, "dropped", 0);
	sz_stat_member(&v, k2);
	sz_stat_counter(&v, "written", 2);
	sz_stat_member(&v, k3);
	sz_stat_counter(&v, "written", 1);
	sz_stat_group(&v, NULL, NULL);
	sz_stat_counter(&v, "merged", 4);
	ck_assert_int_eq(sz_stats_render_json(&v, &b), 0);
	ck_assert_int_eq(sz_buf_addc(&b, '\0'), 0);
	ck_assert_str_eq(b.p, ",\"in\":3,\"dests\":["
	    "{\"dest\":\"|cat\",\"written\":3,\"dropped\":0},"
	    "{\"dest\":\"a\\\"b\",\"written\":2},"
	    "{\"dest\":\"a\\\"b\",\"written\":1}],\"merged\":4");
	sz_buf_reset(&b);
	ck_assert_int_eq(sz_stats_render_prom(&v, "sz-f", "f", &b), 0);
	ck_assert_int_eq(sz_buf_addc(&b, '\0'), 0);
#define L "tool=\"sz-f\",name=\"f\""
	/* Each metric's samples together, after its HELP and TYPE lines
	 * (the text format; promtool checks it), a list's by its label. */
	ck_assert_str_eq(b.p,
	    "# HELP sz_records_in_total records read\n"
	    "# TYPE sz_records_in_total counter\n"
	    "sz_records_in_total{" L "} 3\n"
	    "# HELP sz_dests_written_total the stats line's dests.written\n"
	    "# TYPE sz_dests_written_total counter\n"
	    "sz_dests_written_total{" L ",dest=\"|cat\"} 3\n"
	    "sz_dests_written_total{" L ",dest=\"a\\\"b\"} 2\n"
	    "sz_dests_written_total{" L ",dest=\"a\\\"b\"} 1\n"
	    "# HELP sz_dests_dropped_total the stats line's dests.dropped\n"
	    "# TYPE sz_dests_dropped_total counter\n"
	    "sz_dests_dropped_total{" L ",dest=\"|cat\"} 0\n"
	    "# HELP sz_merged_total the stats line's merged\n"
	    "# TYPE sz_merged_total counter\n"
	    "sz_merged_total{" L "} 4\n");
#undef L
	sz_buf_free(&b);
	sz_statv_free(&v);
}
END_TEST

/* A word: a JSON string, and for Prometheus a gauge 1 labelled with it. */
START_TEST(test_text)
{
	sz_statv v = SZ_STATV_INIT;
	sz_buf b = SZ_BUF_INIT;

	sz_stat_group(&v, "breaker", NULL);
	sz_stat_text(&v, "state", "half-open");
	sz_stat_counter(&v, "opened", 2);
	ck_assert_int_eq(sz_stats_render_json(&v, &b), 0);
	ck_assert_int_eq(sz_buf_addc(&b, '\0'), 0);
	ck_assert_str_eq(b.p, ",\"breaker\":{\"state\":\"half-open\","
	    "\"opened\":2}");
	sz_buf_reset(&b);
	ck_assert_int_eq(sz_stats_render_prom(&v, "sz-x", "n", &b), 0);
	ck_assert_int_eq(sz_buf_addc(&b, '\0'), 0);
	ck_assert_str_eq(b.p, "# HELP sz_breaker_state the stats line's "
	    "breaker.state\n"
	    "# TYPE sz_breaker_state gauge\n"
	    "sz_breaker_state{tool=\"sz-x\",name=\"n\",state=\"half-open\"} 1\n"
	    "# HELP sz_breaker_opened_total the stats line's breaker.opened\n"
	    "# TYPE sz_breaker_opened_total counter\n"
	    "sz_breaker_opened_total{tool=\"sz-x\",name=\"n\"} 2\n");
	sz_buf_free(&b);
	sz_statv_free(&v);
}
END_TEST

static Suite *
stats_suite(void)
{
	Suite *s = suite_create("stats");
	TCase *tc = tcase_create("stats");

	tcase_add_test(tc, test_json);
	tcase_add_test(tc, test_prometheus);
	tcase_add_test(tc, test_list);
	tcase_add_test(tc, test_text);
	suite_add_tcase(s, tc);
	return s;
}

SZ_CHECK_MAIN(stats_suite)
