/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Unit tests for common/run.c: every value has a name that parses back
 * to it, out-of-range values are "unknown" in all three tables, unknown
 * names do not parse, and which statuses are final.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>
#include <string.h>
#include <cmocka.h>

#include "run.h"

static void
test_round_trip(void **state)
{
	(void)state;
	for (int i = 0; i < RUN_STATUS_COUNT; i++) {
		enum run_status s = RUN_STATUS_COUNT;

		assert_true(run_status_parse(run_status_name(i), &s));
		assert_int_equal(s, i);
	}
	for (int i = 0; i < RUN_TRIGGER_COUNT; i++) {
		enum run_trigger t = RUN_TRIGGER_COUNT;

		assert_true(run_trigger_parse(run_trigger_name(i), &t));
		assert_int_equal(t, i);
	}
	for (int i = 0; i < RUN_SPAN_KIND_COUNT; i++) {
		enum run_span_kind k = RUN_SPAN_KIND_COUNT;

		assert_true(run_span_kind_parse(run_span_kind_name(i), &k));
		assert_int_equal(k, i);
	}
	/* The wire spelling never changes. */
	assert_string_equal(run_status_name(RUN_OK), "ok");
	assert_string_equal(run_status_name(RUN_QUEUED), "queued");
	assert_string_equal(run_trigger_name(RUN_TRIGGER_SAVE), "save");
	assert_string_equal(run_span_kind_name(RUN_SPAN_RENDER), "render");
}

static void
test_unknown(void **state)
{
	enum run_status s = RUN_OK;
	enum run_trigger t = RUN_TRIGGER_SAVE;
	enum run_span_kind k = RUN_SPAN_HOOK;

	(void)state;
	assert_string_equal(run_status_name(RUN_STATUS_COUNT), "unknown");
	assert_string_equal(run_status_name((enum run_status)-1), "unknown");
	assert_string_equal(run_trigger_name(RUN_TRIGGER_COUNT), "unknown");
	assert_string_equal(run_span_kind_name(RUN_SPAN_KIND_COUNT),
	    "unknown");
	assert_false(run_status_parse("unknown", &s));
	assert_false(run_status_parse(NULL, &s));
	assert_false(run_status_parse("OK", &s));
	assert_false(run_trigger_parse("", &t));
	assert_false(run_span_kind_parse("phases", &k));
	/* Untouched on failure. */
	assert_int_equal(s, RUN_OK);
	assert_int_equal(t, RUN_TRIGGER_SAVE);
	assert_int_equal(k, RUN_SPAN_HOOK);
}

static void
test_final(void **state)
{
	(void)state;
	assert_false(run_status_is_final(RUN_RUNNING));
	assert_false(run_status_is_final(RUN_QUEUED));
	assert_false(run_status_is_final(RUN_STATUS_COUNT));
	assert_true(run_status_is_final(RUN_OK));
	assert_true(run_status_is_final(RUN_INTERRUPTED));
	assert_true(run_status_is_final(RUN_CANCELLED));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_unknown),
		cmocka_unit_test(test_final),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
