/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Unit tests for common/path.c: normalise, join, containment, relative
 * paths (including the outside-root error), basename/dirname, and the
 * clean-relative shape check. All lexical: no filesystem is touched.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "path.h"

static void
test_path_normalize(void **state)
{
	static const char *const cases[][2] = {
		{ "", "." }, { ".", "." }, { "./", "." }, { "/", "/" },
		{ "//", "/" }, { "a", "a" }, { "a/", "a" }, { "a//b", "a/b" },
		{ "./a/./b/.", "a/b" }, { "a/b/..", "a" }, { "a/..", "." },
		{ "a/../..", ".." }, { "../a", "../a" },
		{ "../a/../..", "../.." }, { "/..", "/" }, { "/../a", "/a" },
		{ "/a/b/../../..", "/" }, { "/a/./b//c/", "/a/b/c" },
		{ "a/.../b", "a/.../b" }, { "..a/b", "..a/b" },
		{ "a/b/../c/./d/..", "a/c" }, { "///x///", "/x" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char *got = path_normalize(cases[i][0]);

		if (strcmp(got, cases[i][1]) != 0)
			fail_msg("normalize(\"%s\") = \"%s\", want \"%s\"",
			    cases[i][0], got, cases[i][1]);
		free(got);
	}
}

static void
test_path_join(void **state)
{
	static const char *const cases[][3] = {
		{ "a", "b", "a/b" }, { "a/", "b", "a/b" }, { "", "b", "b" },
		{ "a", "", "a" }, { "a", "/b", "/b" }, { "/r", "x/y", "/r/x/y" },
		{ "/", "x", "/x" }, { "a", "../b", "a/../b" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char *got = path_join(cases[i][0], cases[i][1]);

		if (strcmp(got, cases[i][2]) != 0)
			fail_msg("join(\"%s\", \"%s\") = \"%s\"", cases[i][0],
			    cases[i][1], got);
		free(got);
	}
}

static void
test_path_is_inside(void **state)
{
	static const struct { const char *root, *path; bool in; } cases[] = {
		{ "/r", "/r", true }, { "/r", "/r/a", true },
		{ "/r/", "/r/a/b", true }, { "/r", "/rx", false },
		{ "/r", "/r/../x", false }, { "/r", "/r/a/../../r/b", true },
		{ "/r", "/", false }, { "/", "/anything", true },
		{ "/r", "r/a", false }, { "r", "/r/a", false },
		{ ".", "a/b", true }, { ".", "..", false },
		{ ".", "../a", false }, { ".", "..a", true },
		{ "a", "a/b/../c", true }, { "a/b", "a", false },
		{ "/r/./s", "/r/s//t", true },
	};

	(void)state;
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
		if (path_is_inside(cases[i].root, cases[i].path) != cases[i].in)
			fail_msg("is_inside(\"%s\", \"%s\")", cases[i].root,
			    cases[i].path);
}

static void
test_path_relative(void **state)
{
	static const char *const cases[][3] = {
		{ "/r", "/r/a/b", "a/b" }, { "/r", "/r", "" },
		{ "/r/", "/r/./a//b/", "a/b" }, { "/", "/x/y", "x/y" },
		{ ".", "a/b", "a/b" }, { ".", ".", "" }, { "a", "a/b", "b" },
	};
	struct gerr err;
	char *out;

	(void)state;
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		assert_int_equal(path_relative(cases[i][0], cases[i][1], &out,
		    NULL), 0);
		if (strcmp(out, cases[i][2]) != 0)
			fail_msg("relative(\"%s\", \"%s\") = \"%s\"",
			    cases[i][0], cases[i][1], out);
		free(out);
	}
	gerr_clear(&err);
	assert_int_equal(path_relative("/r", "/r/../etc/passwd", &out, &err),
	    GERR_OUTSIDE_ROOT);
	assert_null(out);
	assert_string_equal(err.msg,
	    "path \"/r/../etc/passwd\" is outside root \"/r\"");
	assert_int_equal(path_relative("/r", "r/x", &out, NULL),
	    GERR_OUTSIDE_ROOT);
	assert_null(out);
}

static void
test_path_basename(void **state)
{
	static const struct { const char *p, *base; } cases[] = {
		{ "a/b", "b" }, { "a/b/", "b" }, { "b", "b" }, { "/", "/" },
		{ "", "" }, { "/a", "a" }, { "a//b//", "b" }, { ".x", ".x" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		size_t len;
		const char *b = path_basename(cases[i].p, &len);

		/* Points into the input, which is left untouched. */
		assert_true(b >= cases[i].p &&
		    b <= cases[i].p + strlen(cases[i].p));
		if (len != strlen(cases[i].base) ||
		    memcmp(b, cases[i].base, len) != 0)
			fail_msg("basename(\"%s\") = \"%.*s\"", cases[i].p,
			    (int)len, b);
	}
}

static void
test_path_dirname(void **state)
{
	static const struct { const char *p; size_t len; } cases[] = {
		{ "a/b", 1 }, { "a/b/c", 3 }, { "a", 0 }, { "", 0 },
		{ "/a", 1 }, { "/", 1 }, { "a//b", 1 }, { "a/b/", 1 },
		{ "//a", 1 }, { "/x/y", 2 },
	};

	(void)state;
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
		if (path_dirname_len(cases[i].p) != cases[i].len)
			fail_msg("dirname_len(\"%s\") = %zu", cases[i].p,
			    path_dirname_len(cases[i].p));
}

static void
test_path_clean_relative(void **state)
{
	static const struct { const char *p; bool ok; } cases[] = {
		{ "a", true }, { "a/b.c", true }, { "..a/b", true },
		{ "", false }, { "/a", false }, { "a/", false },
		{ "a//b", false }, { "./a", false }, { "a/./b", false },
		{ "a/..", false }, { "..", false }, { ".", false },
		{ "a/.../b", true },
	};

	(void)state;
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
		if (path_is_clean_relative(cases[i].p) != cases[i].ok)
			fail_msg("is_clean_relative(\"%s\")", cases[i].p);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_path_normalize),
		cmocka_unit_test(test_path_join),
		cmocka_unit_test(test_path_is_inside),
		cmocka_unit_test(test_path_relative),
		cmocka_unit_test(test_path_basename),
		cmocka_unit_test(test_path_dirname),
		cmocka_unit_test(test_path_clean_relative),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
