/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit tests for common/clock.c: units agree, monotonic never goes back,
 * wall time is the Unix epoch. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>
#include <cmocka.h>

#include "clock.h"

static void
test_monotonic_never_goes_back(void **state)
{
	uint64_t prev = clock_mono_us();

	(void)state;
	for (int i = 0; i < 10000; i++) {
		uint64_t now = clock_mono_us();

		assert_true(now >= prev);
		prev = now;
	}
}

static void
test_units_agree(void **state)
{
	uint64_t us, ms, us2;

	(void)state;
	us = clock_mono_us();
	ms = clock_mono_ms();
	us2 = clock_mono_us();
	assert_true(ms >= us / 1000 && ms <= us2 / 1000);
	us = clock_wall_us();
	ms = clock_wall_ms();
	us2 = clock_wall_us();
	assert_true(ms >= us / 1000 && ms <= us2 / 1000);
}

static void
test_wall_is_epoch(void **state)
{
	time_t before = time(NULL);
	uint64_t s = clock_wall_ms() / 1000;
	time_t after = time(NULL);

	(void)state;
	assert_true(s >= (uint64_t)before && s <= (uint64_t)after);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_monotonic_never_goes_back),
		cmocka_unit_test(test_units_agree),
		cmocka_unit_test(test_wall_is_epoch),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
