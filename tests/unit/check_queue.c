/* SPDX-License-Identifier: MIT */
/* check_queue.c - unit tests of common/core/queue.c, written as TAP on
 * stdout. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/queue.h"
#include "tap.h"

/* Push the text s (its strlen) with line number line. */
static int
push(sz_queue *q, const char *s, unsigned long line)
{
	return sz_queue_push(q, s, strlen(s), "f", line);
}

/* Pop the oldest record, check its text and line, and free it. */
static void
pop_is(sz_queue *q, const char *s, unsigned long line)
{
	sz_qitem *it = sz_queue_pop(q);

	ck_assert_ptr_nonnull(it);
	ck_assert_uint_eq(it->n, strlen(s));
	ck_assert_mem_eq(it->p, s, it->n);
	ck_assert_int_eq(it->p[it->n], '\0');
	ck_assert_str_eq(it->file, "f");
	ck_assert_uint_eq(it->line, line);
	ck_assert_ptr_null(it->next);
	free(it);
}

START_TEST(test_fifo)
{
	sz_queue q;
	char rec[32];

	sz_queue_init(&q, 100, 1 << 20);
	for (unsigned long i = 0; i < 50; i++) {
		snprintf(rec, sizeof(rec), "{\"i\":%lu}", i);
		ck_assert_int_eq(push(&q, rec, i + 1), 0);
		ck_assert_uint_eq(q.count, i + 1);
	}
	ck_assert_str_eq(sz_queue_head(&q)->p, "{\"i\":0}");
	for (unsigned long i = 0; i < 50; i++) {
		snprintf(rec, sizeof(rec), "{\"i\":%lu}", i);
		pop_is(&q, rec, i + 1);
	}
	ck_assert_uint_eq(q.count, 0);
	ck_assert_uint_eq(q.bytes, 0);
	/* Pushing and popping in turn keeps the order too. */
	ck_assert_int_eq(push(&q, "a", 1), 0);
	ck_assert_int_eq(push(&q, "b", 2), 0);
	pop_is(&q, "a", 1);
	ck_assert_int_eq(push(&q, "c", 3), 0);
	pop_is(&q, "b", 2);
	pop_is(&q, "c", 3);
	ck_assert_ptr_null(sz_queue_head(&q));
	ck_assert_ptr_null(q.tail);
}
END_TEST

/* An item filled in by the caller is queued in order and counted. */
START_TEST(test_push_n)
{
	sz_queue q;
	sz_qitem *it;

	sz_queue_init(&q, 10, 100);
	ck_assert_int_eq(push(&q, "a", 1), 0);
	it = sz_queue_push_n(&q, 3, "g", 2);
	ck_assert_ptr_nonnull(it);
	memcpy(it->p, "xyz", 3);
	ck_assert_uint_eq(q.count, 2);
	ck_assert_uint_eq(q.bytes, 4);
	ck_assert_ptr_eq(q.tail, it);
	pop_is(&q, "a", 1);
	it = sz_queue_pop(&q);
	ck_assert_str_eq(it->p, "xyz");
	ck_assert_str_eq(it->file, "g");
	ck_assert_uint_eq(it->line, 2);
	free(it);
	ck_assert_uint_eq(q.bytes, 0);
}
END_TEST

START_TEST(test_empty_pop)
{
	sz_queue q;

	sz_queue_init(&q, 1, 1);
	ck_assert_ptr_null(sz_queue_pop(&q));
	ck_assert_ptr_null(sz_queue_head(&q));
	ck_assert_int_eq(push(&q, "x", 1), 0);
	pop_is(&q, "x", 1);
	ck_assert_ptr_null(sz_queue_pop(&q));
	ck_assert_uint_eq(q.count, 0);
	ck_assert_uint_eq(q.bytes, 0);
	sz_queue_clear(&q);	/* clearing an empty queue is fine */
}
END_TEST

START_TEST(test_count_bound)
{
	sz_queue q;

	sz_queue_init(&q, 3, 1 << 20);
	for (int i = 0; i < 3; i++) {
		ck_assert_int_eq(sz_queue_full(&q, 1), 0);
		ck_assert_int_eq(push(&q, "r", (unsigned long)i), 0);
	}
	ck_assert_int_eq(sz_queue_full(&q, 1), 1);
	ck_assert_int_eq(sz_queue_full(&q, 0), 1);
	/* Full is advice: the owner may still push (drop-oldest pops
	 * after); the counts stay exact. */
	ck_assert_int_eq(push(&q, "s", 3), 0);
	ck_assert_uint_eq(q.count, 4);
	free(sz_queue_pop(&q));
	free(sz_queue_pop(&q));
	ck_assert_int_eq(sz_queue_full(&q, 1), 0);
	sz_queue_clear(&q);
}
END_TEST

START_TEST(test_byte_bound)
{
	sz_queue q;

	sz_queue_init(&q, 100, 10);
	ck_assert_int_eq(push(&q, "12345", 1), 0);
	ck_assert_int_eq(sz_queue_full(&q, 5), 0);	/* 10 <= 10 */
	ck_assert_int_eq(sz_queue_full(&q, 6), 1);	/* 11 > 10 */
	ck_assert_int_eq(push(&q, "67890", 2), 0);
	ck_assert_uint_eq(q.bytes, 10);
	ck_assert_int_eq(sz_queue_full(&q, 1), 1);
	ck_assert_int_eq(sz_queue_full(&q, 0), 0);
	pop_is(&q, "12345", 1);
	ck_assert_uint_eq(q.bytes, 5);
	ck_assert_int_eq(sz_queue_full(&q, 5), 0);
	sz_queue_clear(&q);
	ck_assert_uint_eq(q.bytes, 0);
}
END_TEST

/* A record larger than the byte bound goes into an empty queue, and only
 * there, so that any record can pass. */
START_TEST(test_large_record)
{
	sz_queue q;
	size_t n = (size_t)1 << 22;
	char *big = malloc(n);
	sz_qitem *it;

	ck_assert_ptr_nonnull(big);
	for (size_t i = 0; i < n; i++)
		big[i] = (char)('a' + i % 26);
	sz_queue_init(&q, 10, 1024);
	ck_assert_int_eq(sz_queue_full(&q, n), 0);
	ck_assert_int_eq(sz_queue_push(&q, big, n, "f", 7), 0);
	ck_assert_uint_eq(q.bytes, n);
	ck_assert_int_eq(sz_queue_full(&q, 1), 1);
	ck_assert_int_eq(sz_queue_full(&q, n), 1);
	it = sz_queue_pop(&q);
	ck_assert_ptr_nonnull(it);
	ck_assert_uint_eq(it->n, n);
	ck_assert_int_eq(memcmp(it->p, big, n), 0);
	ck_assert_int_eq(it->p[n], '\0');
	free(it);
	/* A record with NUL bytes is copied whole. */
	ck_assert_int_eq(sz_queue_push(&q, "a\0b", 3, "f", 8), 0);
	it = sz_queue_pop(&q);
	ck_assert_uint_eq(it->n, 3);
	ck_assert_mem_eq(it->p, "a\0b", 4);
	free(it);
	free(big);
}
END_TEST

/* The queue keeps copies: the pushed buffer may change or go. */
START_TEST(test_copies)
{
	sz_queue q;
	char buf[8] = "abc";

	sz_queue_init(&q, 10, 100);
	ck_assert_int_eq(push(&q, buf, 1), 0);
	buf[0] = 'x';
	pop_is(&q, "abc", 1);
	ck_assert_int_eq(sz_queue_push(&q, "", 0, "f", 2), 0);
	pop_is(&q, "", 2);
}
END_TEST

/* Clearing frees every record (LeakSanitizer and valgrind check that) and
 * leaves an empty queue that can be used again. */
START_TEST(test_clear)
{
	sz_queue q;

	sz_queue_init(&q, 1000, 1 << 20);
	for (unsigned long i = 0; i < 500; i++)
		ck_assert_int_eq(push(&q, "{\"a\":1}", i), 0);
	ck_assert_uint_eq(q.bytes, 500 * 7);
	sz_queue_clear(&q);
	ck_assert_uint_eq(q.count, 0);
	ck_assert_uint_eq(q.bytes, 0);
	ck_assert_ptr_null(q.head);
	ck_assert_ptr_null(q.tail);
	ck_assert_uint_eq(q.max_count, 1000);
	ck_assert_int_eq(push(&q, "again", 9), 0);
	pop_is(&q, "again", 9);
}
END_TEST

static Suite *
queue_suite(void)
{
	Suite *s = suite_create("queue");
	TCase *tc = tcase_create("queue");

	tcase_add_test(tc, test_fifo);
	tcase_add_test(tc, test_empty_pop);
	tcase_add_test(tc, test_push_n);
	tcase_add_test(tc, test_count_bound);
	tcase_add_test(tc, test_byte_bound);
	tcase_add_test(tc, test_large_record);
	tcase_add_test(tc, test_copies);
	tcase_add_test(tc, test_clear);
	suite_add_tcase(s, tc);
	return s;
}

SZ_CHECK_MAIN(queue_suite)
