/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * test_worker.c - daemon/worker: jobs run off the loop thread in order,
 * done callbacks run on the loop (through its ev_async), follow-up jobs
 * queued by a done callback are finished by worker_free.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>

#include "worker.h"
#include "xmalloc.h"

struct wt {
	struct ev_loop *loop;
	struct worker *w;
	pthread_t loop_thread;
	int order[8];
	int n_run, n_done;
	bool off_loop;		/* every fn ran on another thread */
	bool done_on_loop;	/* every done ran on the loop thread */
	int follow_ups;
};

struct wt_job {
	struct wt *t;
	int i;
};

static void
wt_fn(void *arg)
{
	struct wt_job *j = arg;

	if (pthread_equal(pthread_self(), j->t->loop_thread))
		j->t->off_loop = false;
	j->t->order[j->t->n_run++] = j->i;
}

static void
wt_done(void *arg)
{
	struct wt_job *j = arg;
	struct wt *t = j->t;

	if (!pthread_equal(pthread_self(), t->loop_thread))
		t->done_on_loop = false;
	t->n_done++;
	if (j->i < 0 && t->follow_ups < 3) {	/* queue a follow-up */
		struct wt_job *f = xcalloc(1, sizeof(*f));

		t->follow_ups++;
		f->t = t;
		f->i = -1;
		worker_submit(t->w, wt_fn, wt_done, f);
	}
	free(j);
}

static void
wt_submit(struct wt *t, int i)
{
	struct wt_job *j = xcalloc(1, sizeof(*j));

	j->t = t;
	j->i = i;
	worker_submit(t->w, wt_fn, wt_done, j);
}

static void
test_order_and_threads(void **state)
{
	struct wt t = { .off_loop = true, .done_on_loop = true };

	(void)state;
	t.loop = ev_loop_new(0);
	t.loop_thread = pthread_self();
	t.w = worker_new(t.loop, "test");
	for (int i = 0; i < 5; i++)
		wt_submit(&t, i);
	assert_int_equal(worker_pending(t.w), 5);
	/* The async watcher is unref'ed: run until every done came back. */
	while (t.n_done < 5)
		ev_run(t.loop, EVRUN_ONCE);
	assert_int_equal(worker_pending(t.w), 0);
	for (int i = 0; i < 5; i++)
		assert_int_equal(t.order[i], i);
	assert_true(t.off_loop);
	assert_true(t.done_on_loop);
	worker_free(t.w);
	ev_loop_destroy(t.loop);
}

static void
test_free_finishes_follow_ups(void **state)
{
	struct wt t = { .off_loop = true, .done_on_loop = true };

	(void)state;
	t.loop = ev_loop_new(0);
	t.loop_thread = pthread_self();
	t.w = worker_new(t.loop, "test");
	wt_submit(&t, -1);	/* each done queues one more, three times */
	worker_free(t.w);
	assert_int_equal(t.n_done, 4);
	assert_int_equal(t.n_run, 4);
	assert_true(t.done_on_loop);
	ev_loop_destroy(t.loop);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_order_and_threads),
		cmocka_unit_test(test_free_finishes_follow_ups),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
