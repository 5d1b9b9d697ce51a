/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * test_since.c - common/since: ages, UTC and local ISO dates, and bad
 * input with the exact column and message.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "since.h"

#define NOW_US ((int64_t)1763780000 * 1000000)

static void
test_since_ages(void **state)
{
	static const struct {
		const char *text;
		int64_t secs;
	} cases[] = {
		{ "0s", 0 }, { "90s", 90 }, { "30m", 1800 }, { "5min", 300 },
		{ "2h", 7200 }, { "1d", 86400 }, { "2w", 14 * 86400 },
	};
	int64_t out;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(since_parse(cases[i].text, NOW_US, &out,
		    NULL), 0);
		assert_true(out == NOW_US - cases[i].secs * 1000000);
	}
}

static void
test_since_utc_dates(void **state)
{
	int64_t out;

	(void)state;
	assert_int_equal(since_parse("1970-01-01Z", NOW_US, &out, NULL), 0);
	assert_true(out == 0);
	assert_int_equal(since_parse("2000-03-01T00:00Z", NOW_US, &out,
	    NULL), 0);
	assert_true(out == (int64_t)951868800 * 1000000);
	assert_int_equal(since_parse("2024-02-29T12:34:56Z", NOW_US, &out,
	    NULL), 0);
	assert_true(out == (int64_t)1709210096 * 1000000);
}

static void
test_since_local_dates(void **state)
{
	struct tm tm;
	int64_t out;
	time_t t;

	(void)state;
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = 2026 - 1900;
	tm.tm_mon = 10;
	tm.tm_mday = 21;
	tm.tm_hour = 14;
	tm.tm_min = 30;
	tm.tm_isdst = -1;
	t = mktime(&tm);
	assert_int_equal(since_parse("2026-11-21 14:30", NOW_US, &out, NULL),
	    0);
	assert_true(out == (int64_t)t * 1000000);
	assert_int_equal(since_parse("2026-11-21T14:30:00", NOW_US, &out,
	    NULL), 0);
	assert_true(out == (int64_t)t * 1000000);
}

static void
test_since_bad(void **state)
{
	static const struct {
		const char *text;
		int col;
		const char *frag;
	} cases[] = {
		{ "", 1, "found \"(end)\"" },
		{ "yesterday", 1, "found \"yesterday\"" },
		{ "2x", 2, "found \"x\"" },
		{ "2", 2, "found \"(end)\"" },
		{ "-2h", 1, "expected an age" },
		{ "2h ago", 2, "found \"h ago\"" },
		{ "2026-13-01", 6, "found \"13-01\"" },
		{ "2026-02-30", 9, "found \"30\"" },
		{ "2025-02-29", 9, "" },
		{ "2026-11-2", 10, "(end)" },
		{ "2026-11-21T25:00", 12, "found \"25:00\"" },
		{ "2026-11-21T10", 14, "(end)" },
		{ "2026-11-21T10:61", 15, "found \"61\"" },
		{ "2026-11-21T10:00:99", 18, "" },
		{ "2026-11-21Zx", 12, "found \"x\"" },
		{ "1969-12-31", 1, "found \"1969" },
	};
	struct gerr err;
	int64_t out = 42;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		gerr_clear(&err);
		assert_int_equal(since_parse(cases[i].text, NOW_US, &out,
		    &err), GERR_INVALID);
		assert_string_equal(err.file, "since");
		assert_int_equal(err.line, 1);
		if (err.col != cases[i].col)
			fail_msg("\"%s\": col %d, want %d (%s)", cases[i].text,
			    err.col, cases[i].col, err.msg);
		assert_non_null(strstr(err.msg, cases[i].frag));
		assert_non_null(strstr(err.msg, "expected an age"));
		assert_true(out == 42);
	}
	gerr_clear(&err);
	assert_int_equal(since_parse("99999999999999999w", NOW_US, &out, &err),
	    GERR_INVALID);
	assert_non_null(strstr(err.msg, "too large"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_since_ages),
		cmocka_unit_test(test_since_utc_dates),
		cmocka_unit_test(test_since_local_dates),
		cmocka_unit_test(test_since_bad),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
