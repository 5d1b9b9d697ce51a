/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit tests for client/color.c: --color values, the auto decision with
 * NO_COLOR and TERM, status colours, escape stripping across chunks. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "color.h"

static void
test_parse(void **state)
{
	enum color_mode m = COLOR_AUTO;
	struct gerr err;

	(void)state;
	assert_int_equal(color_parse("always", &m, NULL), 0);
	assert_int_equal(m, COLOR_ALWAYS);
	assert_int_equal(color_parse("never", &m, NULL), 0);
	assert_int_equal(m, COLOR_NEVER);
	assert_int_equal(color_parse("auto", &m, NULL), 0);
	assert_int_equal(m, COLOR_AUTO);
	gerr_clear(&err);
	assert_int_equal(color_parse("sometimes", &m, &err), GERR_INVALID);
	assert_string_equal(err.msg, "--color: expected auto, always or never, "
	    "found \"sometimes\"");
	assert_int_equal(color_parse("", &m, NULL), GERR_INVALID);
}

static void
test_wanted(void **state)
{
	int p[2];

	(void)state;
	assert_int_equal(pipe(p), 0);
	/* A pipe: auto says no, always yes, never no. */
	assert_false(color_wanted(COLOR_AUTO, p[1], NULL, "xterm"));
	assert_true(color_wanted(COLOR_ALWAYS, p[1], "1", "dumb"));
	assert_false(color_wanted(COLOR_NEVER, p[1], NULL, "xterm"));
	/* NO_COLOR: set and not empty means no, unless always. */
	assert_false(color_plain(COLOR_AUTO, NULL));
	assert_false(color_plain(COLOR_AUTO, ""));
	assert_true(color_plain(COLOR_AUTO, "1"));
	assert_false(color_plain(COLOR_ALWAYS, "1"));
	assert_true(color_plain(COLOR_NEVER, NULL));
	close(p[0]);
	close(p[1]);
}

static void
test_status(void **state)
{
	(void)state;
	assert_string_equal(color_status("failed"), COLOR_RED);
	assert_string_equal(color_status("timeout"), COLOR_RED);
	assert_string_equal(color_status("interrupted"), COLOR_RED);
	assert_string_equal(color_status("cached"), COLOR_DIM);
	assert_string_equal(color_status("ok"), COLOR_GREEN);
	assert_string_equal(color_status("whatever"), "");
	assert_string_equal(color_on(false, COLOR_RED), "");
	assert_string_equal(color_off(false), "");
	assert_string_equal(color_off(true), COLOR_RESET);
}

static void
strip_expect(const char *in, const char *want)
{
	char buf[256];
	int st = 0;
	size_t n = strlen(in);

	memcpy(buf, in, n);
	n = color_strip(buf, n, &st);
	assert_int_equal(n, strlen(want));
	assert_memory_equal(buf, want, n);
	assert_int_equal(st, 0);
}

static void
test_strip(void **state)
{
	static const char *in = "a\033[1;31mred\033[0m b\033]0;title\007c"
	    "\033]8;;http://x\033\\link\033]8;;\033\\\033(Bd\r\n";
	static const char *want = "ared bclinkd\r\n";
	char buf[256];
	size_t n = strlen(in), out;

	(void)state;
	strip_expect("plain text\n", "plain text\n");
	strip_expect("", "");
	strip_expect(in, want);
	/* Cut at every byte: the state carries a sequence across chunks. */
	for (size_t cut = 0; cut <= n; cut++) {
		int st = 0;

		memcpy(buf, in, n);
		out = color_strip(buf, cut, &st);
		memmove(buf + out, buf + cut, n - cut);
		out += color_strip(buf + out, n - cut, &st);
		assert_int_equal(out, strlen(want));
		assert_memory_equal(buf, want, out);
		assert_int_equal(st, 0);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_wanted),
		cmocka_unit_test(test_status),
		cmocka_unit_test(test_strip),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
