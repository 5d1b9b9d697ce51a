/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Unit tests for common/debounce.c on synthetic timelines: a simulated loop
 * feeds event times and fires the one timer at debounce_deadline(), the way
 * the daemon will. No clocks, no sleeps.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "debounce.h"

#define SIM_MAX_FIRES 4096

struct sim {
	uint64_t fires[SIM_MAX_FIRES];
	uint32_t events[SIM_MAX_FIRES];	/* changes per settled batch */
	size_t nfires;
};

/*
 * Run the timeline ev[0..n) (non-decreasing ms) until `until`: whenever the
 * armed deadline comes no later than the next change, the timer fires
 * first.
 */
static void
sim_run(struct debounce *d, const uint64_t *ev, size_t n, uint64_t until,
    struct sim *s)
{
	size_t i = 0;

	for (;;) {
		uint64_t dl = debounce_deadline(d);

		if (dl != 0 && (i == n || dl <= ev[i]) && dl <= until) {
			assert_true(debounce_fire(d, dl));
			assert_int_equal(debounce_deadline(d), 0);
			assert_true(s->nfires < SIM_MAX_FIRES);
			s->events[s->nfires] = debounce_batch_events(d);
			s->fires[s->nfires++] = dl;
			continue;
		}
		if (i == n || ev[i] > until)
			break;
		debounce_event(d, ev[i++]);
	}
}

/* Events every `step` ms in [from, to). Caller frees. */
static uint64_t *
sim_steady(uint64_t from, uint64_t to, uint64_t step, size_t *n)
{
	uint64_t *ev = malloc(((to - from) / step + 1) * sizeof *ev);

	*n = 0;
	for (uint64_t t = from; t < to; t += step)
		ev[(*n)++] = t;
	return ev;
}

static void
test_debounce_idle(void **state)
{
	struct debounce d;

	(void)state;
	debounce_init(&d, DEBOUNCE_DEFAULT_MIN_MS, DEBOUNCE_DEFAULT_MAX_MS);
	assert_int_equal(debounce_deadline(&d), 0);
	assert_int_equal(debounce_window_ms(&d), 10);
	assert_false(debounce_fire(&d, 12345));
	assert_int_equal(debounce_batch_events(&d), 0);
}

static void
test_debounce_editor_save(void **state)
{
	/* vim: write 4913, delete it, rename, write, chmod within ~1 ms. */
	static const uint64_t ev[] = { 1000, 1000, 1000, 1001, 1001, 1001 };
	struct debounce d;
	struct sim s = { .nfires = 0 };

	(void)state;
	debounce_init(&d, 10, 500);
	for (size_t i = 0; i < 6; i++)
		debounce_event(&d, ev[i]);
	assert_int_equal(debounce_deadline(&d), 1011);
	assert_false(debounce_fire(&d, 1010));
	assert_true(debounce_fire(&d, 1011));
	assert_int_equal(debounce_batch_events(&d), 6);
	assert_int_equal(debounce_window_ms(&d), 10);
	assert_false(debounce_fire(&d, 1011));

	/* A second save long after settles after the minimum too. */
	sim_run(&d, (const uint64_t[]){ 5000, 5001 }, 2, 10000, &s);
	assert_int_equal(s.nfires, 1);
	assert_int_equal(s.fires[0], 5011);
	assert_int_equal(s.events[0], 2);
}

static void
test_debounce_deadline_moves(void **state)
{
	struct debounce d;

	(void)state;
	debounce_init(&d, 10, 500);
	debounce_event(&d, 100);
	assert_int_equal(debounce_deadline(&d), 110);
	debounce_event(&d, 108);
	/* The timer armed for 110 fires early: re-arm, nothing settles. */
	assert_false(debounce_fire(&d, 110));
	assert_int_equal(debounce_deadline(&d), 118);
	/* A late timer still settles. */
	assert_true(debounce_fire(&d, 200));
	assert_int_equal(debounce_batch_events(&d), 2);
}

static void
test_debounce_steady_writer_capped(void **state)
{
	struct debounce d;
	struct sim s = { .nfires = 0 };
	size_t n;
	uint64_t *ev = sim_steady(0, 5000, 5, &n);

	(void)state;
	debounce_init(&d, 10, 500);
	sim_run(&d, ev, n, 100000, &s);
	/* Settled batches at least every max_ms while writing. */
	assert_true(s.nfires >= 10);
	assert_true(s.fires[0] <= 500);
	for (size_t i = 1; i < s.nfires; i++) {
		if (s.fires[i] - s.fires[i - 1] > 500)
			fail_msg("gap %zu: %llu -> %llu", i,
			    (unsigned long long)s.fires[i - 1],
			    (unsigned long long)s.fires[i]);
	}
	/* Every change lands in exactly one batch. */
	uint64_t total = 0;
	for (size_t i = 0; i < s.nfires; i++)
		total += s.events[i];
	assert_int_equal(total, n);
	/* The window widened to the cap while the writer kept going. */
	assert_int_equal(debounce_window_ms(&d), 500);
	free(ev);
}

static void
test_debounce_narrows_after_quiet(void **state)
{
	struct debounce d;
	struct sim s = { .nfires = 0 };
	size_t n;
	uint64_t *ev = sim_steady(0, 3000, 5, &n);

	(void)state;
	debounce_init(&d, 10, 500);
	sim_run(&d, ev, n, 3100, &s);
	assert_true(debounce_window_ms(&d) > 10);
	s.nfires = 0;
	/* Two seconds of quiet, then one save. */
	sim_run(&d, (const uint64_t[]){ 6000, 6001 }, 2, 7000, &s);
	assert_int_equal(s.nfires, 1);
	assert_int_equal(s.fires[0], 6011);
	assert_int_equal(debounce_window_ms(&d), 10);
	free(ev);
}

static void
test_debounce_medium_writer_widens(void **state)
{
	struct debounce d;
	struct sim s = { .nfires = 0 };
	size_t n;
	/* Every 15 ms: longer than min_ms, so a fixed window fires each time. */
	uint64_t *ev = sim_steady(0, 3000, 15, &n);

	(void)state;
	debounce_init(&d, 10, 500);
	sim_run(&d, ev, n, 10000, &s);
	assert_true(debounce_window_ms(&d) > 10);
	/* Far fewer batches than changes, none more than max_ms apart. */
	assert_true(s.nfires < n / 4);
	for (size_t i = 1; i < s.nfires; i++)
		assert_true(s.fires[i] - s.fires[i - 1] <= 500);
	free(ev);
}

static void
test_debounce_sparse_changes_stay_separate(void **state)
{
	struct debounce d;
	struct sim s = { .nfires = 0 };
	size_t n;
	uint64_t *ev = sim_steady(1000, 3000, 100, &n);

	(void)state;
	debounce_init(&d, 10, 500);
	sim_run(&d, ev, n, 10000, &s);
	assert_int_equal(s.nfires, n);
	for (size_t i = 0; i < s.nfires; i++)
		assert_int_equal(s.fires[i], ev[i] + 10);
	assert_int_equal(debounce_window_ms(&d), 10);
	free(ev);
}

static void
test_debounce_halves_after_moderate_gap(void **state)
{
	struct debounce d;
	struct sim s = { .nfires = 0 };
	size_t n;
	uint64_t *ev = sim_steady(0, 600, 5, &n);
	uint64_t w;

	(void)state;
	debounce_init(&d, 10, 500);
	sim_run(&d, ev, n, 100000, &s);
	w = debounce_window_ms(&d);
	assert_true(w >= 20);
	/* A gap of 2 windows (but under max_ms) halves the window. */
	debounce_event(&d, s.fires[s.nfires - 1] + 2 * w);
	assert_int_equal(debounce_window_ms(&d), w / 2);
	free(ev);
}

static void
test_debounce_clamps(void **state)
{
	struct debounce d;

	(void)state;
	debounce_init(&d, 0, 0);
	assert_int_equal(debounce_window_ms(&d), 1);
	debounce_event(&d, 0);
	assert_int_equal(debounce_deadline(&d), 1);
	assert_true(debounce_fire(&d, 1));

	/* max below min is raised to min. */
	debounce_init(&d, 50, 10);
	debounce_event(&d, 100);
	assert_int_equal(debounce_deadline(&d), 150);

	/* A clock stepping back does not stretch or shorten the batch. */
	debounce_init(&d, 10, 500);
	debounce_event(&d, 100);
	debounce_event(&d, 50);
	assert_int_equal(debounce_deadline(&d), 110);
	assert_true(debounce_fire(&d, 110));
	debounce_event(&d, 90);
	assert_true(debounce_deadline(&d) >= 110 + 10);
}

static void
test_debounce_cap_never_below_min(void **state)
{
	struct debounce d;

	(void)state;
	/* min 10, max 20: a dense batch right after a cap-settled one. */
	debounce_init(&d, 10, 20);
	for (uint64_t t = 0; t <= 20; t += 5)
		debounce_event(&d, t);
	assert_int_equal(debounce_deadline(&d), 20);
	assert_true(debounce_fire(&d, 20));
	debounce_event(&d, 29);
	/* fired + max = 40 would be fine; the window doubled to 20. */
	assert_int_equal(debounce_window_ms(&d), 20);
	assert_int_equal(debounce_deadline(&d), 40);
	debounce_event(&d, 39);
	assert_int_equal(debounce_deadline(&d), 40);
	assert_true(debounce_fire(&d, 40));
	/* Next dense batch starts at 45: cap 60 >= 45 + 10. */
	debounce_event(&d, 45);
	assert_true(debounce_deadline(&d) >= 55);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_debounce_idle),
		cmocka_unit_test(test_debounce_editor_save),
		cmocka_unit_test(test_debounce_deadline_moves),
		cmocka_unit_test(test_debounce_steady_writer_capped),
		cmocka_unit_test(test_debounce_narrows_after_quiet),
		cmocka_unit_test(test_debounce_medium_writer_widens),
		cmocka_unit_test(test_debounce_sparse_changes_stay_separate),
		cmocka_unit_test(test_debounce_halves_after_moderate_gap),
		cmocka_unit_test(test_debounce_clamps),
		cmocka_unit_test(test_debounce_cap_never_below_min),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
