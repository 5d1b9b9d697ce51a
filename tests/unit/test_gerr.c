/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit tests for common/gerr.c: first error wins, formats, truncation. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "gerr.h"

static void
test_first_error_wins(void **state)
{
	struct gerr err;

	(void)state;
	gerr_clear(&err);
	assert_int_equal(gerr_set(&err, GERR_IO, "open %s: %s", "a", "b"),
	    GERR_IO);
	assert_int_equal(gerr_set(&err, GERR_PARSE, "later"), GERR_PARSE);
	assert_int_equal(err.code, GERR_IO);
	assert_string_equal(err.msg, "open a: b");
}

static void
test_null_err_returns_code(void **state)
{
	(void)state;
	assert_int_equal(gerr_set(NULL, GERR_LIMIT, "x"), GERR_LIMIT);
	gerr_clear(NULL);
}

static void
test_format_variants(void **state)
{
	struct gerr err;
	char buf[GERR_MSG_MAX + GERR_FILE_MAX + 32];

	(void)state;
	gerr_clear(&err);
	gerr_set_at(&err, GERR_PARSE, "make.toml", 3, 7, "expected '='");
	assert_string_equal(gerr_format(&err, buf, sizeof buf),
	    "make.toml:3:7: expected '='");
	gerr_clear(&err);
	gerr_set_at(&err, GERR_PARSE, "make.toml", 3, 0, "bad line");
	assert_string_equal(gerr_format(&err, buf, sizeof buf),
	    "make.toml:3: bad line");
	gerr_clear(&err);
	gerr_set_at(&err, GERR_IO, "make.toml", 0, 0, "Permission denied");
	assert_string_equal(gerr_format(&err, buf, sizeof buf),
	    "make.toml: Permission denied");
	gerr_clear(&err);
	gerr_set(&err, GERR_INTERNAL, "plain");
	assert_string_equal(gerr_format(&err, buf, sizeof buf), "plain");
	/* A tiny buffer truncates, never overflows. */
	assert_string_equal(gerr_format(&err, buf, 3), "pl");
}

static void
test_long_message_truncated(void **state)
{
	struct gerr err;
	char big[2 * GERR_MSG_MAX];

	(void)state;
	memset(big, 'x', sizeof big - 1);
	big[sizeof big - 1] = '\0';
	gerr_clear(&err);
	gerr_set(&err, GERR_TOO_LARGE, "%s", big);
	assert_int_equal(strlen(err.msg), GERR_MSG_MAX - 1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_first_error_wins),
		cmocka_unit_test(test_null_err_returns_code),
		cmocka_unit_test(test_format_variants),
		cmocka_unit_test(test_long_message_truncated),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
