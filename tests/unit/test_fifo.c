/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit tests for common/fifo.h: order, take, remove_if keeps order and a
 * tail that later pushes append to, the count, elements found from links. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "fifo.h"

struct item {
	int value;		/* before the link: FIFO_ENTRY must subtract */
	struct fifo_link link;
	bool freed;
};

/* The values in q from head to tail; checks tail, n and the end. */
static void
fifo_test_expect(const struct fifo *q, const int *want, size_t n)
{
	const struct fifo_link *l = q->head, *last = NULL;
	size_t i = 0;

	for (; l != NULL; last = l, l = l->next, i++) {
		assert_true(i < n);
		assert_int_equal(FIFO_ENTRY(l, const struct item, link)->value,
		    want[i]);
	}
	assert_int_equal(i, n);
	assert_int_equal(q->n, n);
	assert_ptr_equal(q->tail, last);
	assert_int_equal(fifo_empty(q), n == 0);
}

static void
test_push_pop_order(void **state)
{
	struct fifo q = { 0 };
	struct item it[3] = { { .value = 1 }, { .value = 2 }, { .value = 3 } };
	struct item *p;

	(void)state;
	assert_null(FIFO_POP(&q, struct item, link));
	for (int i = 0; i < 3; i++)
		fifo_push(&q, &it[i].link);
	fifo_test_expect(&q, (const int[]){ 1, 2, 3 }, 3);
	p = FIFO_POP(&q, struct item, link);
	assert_ptr_equal(p, &it[0]);
	assert_null(p->link.next);
	fifo_test_expect(&q, (const int[]){ 2, 3 }, 2);
	assert_ptr_equal(FIFO_POP(&q, struct item, link), &it[1]);
	assert_ptr_equal(FIFO_POP(&q, struct item, link), &it[2]);
	fifo_test_expect(&q, NULL, 0);
	assert_null(FIFO_POP(&q, struct item, link));
	/* Empty again: a push starts a new head. */
	fifo_push(&q, &it[1].link);
	fifo_test_expect(&q, (const int[]){ 2 }, 1);
}

static void
test_take(void **state)
{
	struct fifo q = { 0 }, all;
	struct item it[2] = { { .value = 7 }, { .value = 8 } };

	(void)state;
	fifo_push(&q, &it[0].link);
	fifo_push(&q, &it[1].link);
	all = fifo_take(&q);
	fifo_test_expect(&q, NULL, 0);
	fifo_test_expect(&all, (const int[]){ 7, 8 }, 2);
	all = fifo_take(&q);
	fifo_test_expect(&all, NULL, 0);
}

static bool
fifo_test_odd(void *arg, const struct fifo_link *l)
{
	(void)arg;
	return FIFO_ENTRY(l, const struct item, link)->value % 2 != 0;
}

static void
fifo_test_gone(void *arg, struct fifo_link *l)
{
	(*(int *)arg)++;
	FIFO_ENTRY(l, struct item, link)->freed = true;
}

static void
test_remove_if(void **state)
{
	struct fifo q = { 0 };
	struct item it[6];
	int gone = 0;

	(void)state;
	memset(it, 0, sizeof(it));
	for (int i = 0; i < 6; i++) {
		it[i].value = i + 1;
		fifo_push(&q, &it[i].link);
	}
	/* Drops the head and two middles (1, 3, 5); 6, the tail, stays. */
	assert_int_equal(fifo_remove_if(&q, fifo_test_odd, fifo_test_gone,
	    &gone), 3);
	assert_int_equal(gone, 3);
	assert_true(it[0].freed && it[2].freed && it[4].freed);
	assert_false(it[1].freed || it[3].freed || it[5].freed);
	fifo_test_expect(&q, (const int[]){ 2, 4, 6 }, 3);
	/* The tail is right after a removal at the end too. */
	it[6 - 1].value = 9;
	assert_int_equal(fifo_remove_if(&q, fifo_test_odd, fifo_test_gone,
	    &gone), 1);
	fifo_test_expect(&q, (const int[]){ 2, 4 }, 2);
	it[0].value = 10;
	fifo_push(&q, &it[0].link);
	fifo_test_expect(&q, (const int[]){ 2, 4, 10 }, 3);
	/* Everything dropped: empty, and pushes start over. */
	it[1].value = it[3].value = it[0].value = 1;
	assert_int_equal(fifo_remove_if(&q, fifo_test_odd, fifo_test_gone,
	    &gone), 3);
	fifo_test_expect(&q, NULL, 0);
	assert_int_equal(fifo_remove_if(&q, fifo_test_odd, fifo_test_gone,
	    &gone), 0);
	fifo_push(&q, &it[2].link);
	fifo_test_expect(&q, (const int[]){ 3 }, 1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_push_pop_order),
		cmocka_unit_test(test_take),
		cmocka_unit_test(test_remove_if),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
