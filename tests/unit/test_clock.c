/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit tests for common/clock.c: units agree, monotonic never goes back,
 * wall time is the Unix epoch; change clock tokens round-trip, legacy
 * digits parse as such, and every malformed token is refused at the byte
 * that does not fit. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
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

static void
test_token_round_trip(void **state)
{
	struct clock_token t = { .instance = 0x0123456789abcdefULL,
	    .root = 0xfedcba98u, .counter = 18446744073709551615ULL }, u;
	char buf[CLOCK_TOKEN_MAX];
	struct gerr err;

	(void)state;
	clock_token_format(&t, buf);
	assert_string_equal(buf,
	    "c:0123456789abcdef:fedcba98:18446744073709551615");
	assert_int_equal(clock_token_parse(buf, &u, &err), 0);
	assert_false(u.legacy);
	assert_true(u.instance == t.instance && u.root == t.root &&
	    u.counter == t.counter);
	assert_int_equal(clock_token_parse("10251", &u, &err), 0);
	assert_true(u.legacy && u.counter == 10251 && u.instance == 0);
}

static void
test_token_bad(void **state)
{
	static const struct {
		const char *text;
		int col;
	} bad[] = {
		{ "", 1 }, { "x", 1 }, { "c", 2 }, { "c;", 2 },
		{ "c:0123456789abcdeg:fedcba98:1", 18 },
		{ "c:0123456789ABCDEF:fedcba98:1", 13 },
		{ "c:0123:fedcba98:1", 7 },
		{ "c:0123456789abcdef:fedcba9:1", 27 },
		{ "c:0123456789abcdef:fedcba98:", 29 },
		{ "c:0123456789abcdef:fedcba98:-1", 29 },
		{ "c:0123456789abcdef:fedcba98:12x", 31 },
		{ "12x", 3 },
		{ "c:0123456789abcdef:fedcba98:18446744073709551616", 29 },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct clock_token u;
		struct gerr err;

		gerr_clear(&err);
		assert_int_equal(clock_token_parse(bad[i].text, &u, &err),
		    GERR_INVALID);
		if (err.col != bad[i].col)
			fail_msg("\"%s\": col %d, expected %d (%s)",
			    bad[i].text, err.col, bad[i].col, err.msg);
		assert_non_null(strstr(err.msg, "clock"));
	}
}

static void
test_root_id_never_zero(void **state)
{
	(void)state;
	assert_true(clock_root_id("/a", 2) != 0);
	assert_true(clock_root_id("/a", 2) == clock_root_id("/a", 2));
	assert_true(clock_root_id("/a", 2) != clock_root_id("/b", 2));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_monotonic_never_goes_back),
		cmocka_unit_test(test_units_agree),
		cmocka_unit_test(test_wall_is_epoch),
		cmocka_unit_test(test_token_round_trip),
		cmocka_unit_test(test_token_bad),
		cmocka_unit_test(test_root_id_never_zero),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
