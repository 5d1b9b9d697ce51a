/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Unit tests for common/glob.c: match tables (make.toml and gitignore
 * shapes, flags), compile errors with exact code/col/message, the length
 * cap, and a pathological pattern that must not blow up.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "glob.h"

struct glob_case {
	const char *pattern;
	unsigned flags;
	const char *path;
	bool want;
};

static const struct glob_case glob_cases[] = {
	/* make.toml shapes */
	{ "src/**/*.c", 0, "src/main.c", true },
	{ "src/**/*.c", 0, "src/a/b/c/main.c", true },
	{ "src/**/*.c", 0, "src/main.h", false },
	{ "src/**/*.c", 0, "lib/src/main.c", false },
	{ "src/**/*.c", 0, "src", false },
	{ "src/**/*.c", 0, "src/.c", true },
	{ "templates/**/*.tmpl", 0, "templates/x/y.tmpl", true },
	{ "dist/**", 0, "dist/a", true },
	{ "dist/**", 0, "dist/a/b/c", true },
	{ "dist/**", 0, "dist", false },
	{ "dist/**", 0, "distx/a", false },
	{ "Makefile", 0, "Makefile", true },
	{ "Makefile", 0, "sub/Makefile", false },
	{ "Makefile", 0, "Makefile2", false },
	{ "*.log", 0, "a.log", true },
	{ "*.log", 0, "d/a.log", false },
	{ "*.log", 0, ".log", true },
	{ "*.log", 0, "a.log.1", false },
	/* * and ? never cross '/' */
	{ "a*b", 0, "a/b", false },
	{ "a?b", 0, "a/b", false },
	{ "a?b", 0, "axb", true },
	{ "a?b", 0, "ab", false },
	{ "*", 0, "abc", true },
	{ "*", 0, "a/b", false },
	{ "*/*", 0, "a/b", true },
	/* ** */
	{ "**", 0, "a", true },
	{ "**", 0, "a/b/c", true },
	{ "**/foo", 0, "foo", true },
	{ "**/foo", 0, "a/b/foo", true },
	{ "**/foo", 0, "a/b/foox", false },
	{ "**/foo/bar", 0, "x/foo/bar", true },
	{ "**/foo/bar", 0, "foo/bar", true },
	{ "a/**/b", 0, "a/b", true },
	{ "a/**/b", 0, "a/x/b", true },
	{ "a/**/b", 0, "a/x/y/b", true },
	{ "a/**/b", 0, "a/x/y/c", false },
	{ "a/**/b", 0, "b/a/b", false },
	{ "a/**/**/b", 0, "a/b", true },
	{ "a/**/b/**/c", 0, "a/b/b/b/c", true },
	{ "a/**/b/**/c", 0, "a/x/b/y/z/c", true },
	{ "a/**/b/**/c", 0, "a/x/c/y/z/b", false },
	{ "a**b", 0, "axxb", true },	/* `**` inside a segment is `*` */
	{ "a**b", 0, "ax/xb", false },
	{ "**x", 0, "ax", true },
	{ "**x", 0, "a/x", false },
	/* classes */
	{ "[abc].c", 0, "b.c", true },
	{ "[abc].c", 0, "d.c", false },
	{ "[a-c]x", 0, "bx", true },
	{ "[a-c]x", 0, "dx", false },
	{ "[!a-c]x", 0, "dx", true },
	{ "[!a-c]x", 0, "ax", false },
	{ "[^a-c]x", 0, "ax", false },
	{ "[]]", 0, "]", true },
	{ "[]a]", 0, "a", true },
	{ "[!]]", 0, "]", false },
	{ "[!]]", 0, "x", true },
	{ "[a-]", 0, "-", true },
	{ "[\\]]", 0, "]", true },
	{ "[[:digit:]]*", 0, "7up", true },
	{ "[[:digit:]]*", 0, "up", false },
	{ "[[:upper:][:digit:]]", 0, "Q", true },
	{ "[!x]", 0, "/", false },
	{ "a[!x]b", 0, "a/b", false },
	{ "[ -~]", 0, "/", false },
	{ "[[:x]", 0, "[", true },	/* no ":]": a plain '[' member */
	/* escapes */
	{ "\\*", 0, "*", true },
	{ "\\*", 0, "a", false },
	{ "\\?x", 0, "?x", true },
	{ "\\[a]", 0, "[a]", true },
	{ "\\#x", 0, "#x", true },
	{ "a\\/b", 0, "a/b", true },
	/* path shapes */
	{ "dist", 0, "dist/", true },
	{ "a/b", 0, "a/b", true },
	{ "a/b", 0, "a/b/c", false },
	{ "x", 0, "", false },
	/* GLOB_BASENAME */
	{ "*.o", GLOB_BASENAME, "x.o", true },
	{ "*.o", GLOB_BASENAME, "a/b/x.o", true },
	{ "*.o", GLOB_BASENAME, "a/x.o/b", false },
	{ "foo", GLOB_BASENAME, "a/foo", true },
	{ "a/foo", GLOB_BASENAME, "b/a/foo", false },
	{ "a/foo", GLOB_BASENAME, "a/foo", true },
	/* GLOB_DIR_PREFIX */
	{ "dist", GLOB_DIR_PREFIX, "dist", true },
	{ "dist", GLOB_DIR_PREFIX, "dist/a/b", true },
	{ "dist", GLOB_DIR_PREFIX, "distx/a", false },
	{ "a/*", GLOB_DIR_PREFIX, "a/b/c", true },
	{ "node_modules", GLOB_DIR_PREFIX | GLOB_BASENAME, "x/node_modules/y", true },
	{ "node_modules", GLOB_DIR_PREFIX | GLOB_BASENAME, "x/node_modulesy", false },
	/* backtracking inside a segment */
	{ "*a*a*a*b", 0, "aaaaaaaab", true },
	{ "*a*a*a*b", 0, "aaaaaaaaa", false },
	{ "*ab", 0, "aab", true },
	{ "a*", 0, "a", true },
	{ "*.tar.gz", 0, "x.tar.gz", true },
	{ "*.tar.gz", 0, "x.gz", false },
	{ "x*y*z", 0, "xyz", true },
	{ "x*y*z", 0, "xzy", false },
	{ "?*", 0, "", false },
	{ "?*", 0, "a", true },
};

static void
test_glob_table(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof glob_cases / sizeof glob_cases[0]; i++) {
		const struct glob_case *c = &glob_cases[i];
		struct gerr err;
		struct glob *g;
		bool got;

		gerr_clear(&err);
		if (glob_compile(c->pattern, c->flags, &g, &err) != 0)
			fail_msg("compile \"%s\": %s", c->pattern, err.msg);
		got = glob_match(g, c->path, strlen(c->path));
		if (got != c->want)
			fail_msg("\"%s\" (flags %u) vs \"%s\": got %d want %d",
			    c->pattern, c->flags, c->path, got, c->want);
		assert_string_equal(glob_pattern(g), c->pattern);
		glob_free(g);
	}
}

static void
test_glob_len_not_nul_terminated(void **state)
{
	struct glob *g;
	const char buf[] = "src/a.cXXXX";

	(void)state;
	assert_int_equal(glob_compile("src/*.c", 0, &g, NULL), 0);
	assert_true(glob_match(g, buf, 7));
	assert_false(glob_match(g, buf, 8));
	glob_free(g);
}

static void
test_glob_is_literal(void **state)
{
	static const struct { const char *p; unsigned f; bool lit; } cases[] = {
		{ "Makefile", 0, true }, { "a/b\\*", 0, true },
		{ "a/*.c", 0, false }, { "a/**", 0, false },
		{ "x", GLOB_BASENAME, false }, { "[a]", 0, false },
		{ "a/*", 0, false },
	};

	(void)state;
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct glob *g;

		assert_int_equal(glob_compile(cases[i].p, cases[i].f, &g, NULL), 0);
		if (glob_is_literal(g) != cases[i].lit)
			fail_msg("is_literal(\"%s\")", cases[i].p);
		glob_free(g);
	}
}

struct glob_bad {
	const char *pattern;
	enum gerr_code code;
	int col;
	const char *frag;
};

static const struct glob_bad glob_bad_cases[] = {
	{ "", GERR_PARSE, 1, "empty pattern" },
	{ "/abs", GERR_PARSE, 1, "leading '/'" },
	{ "a//b", GERR_PARSE, 3, "empty path segment" },
	{ "src/", GERR_PARSE, 4, "trailing '/'" },
	{ "ab[cd", GERR_PARSE, 3, "unterminated '['" },
	{ "[", GERR_PARSE, 1, "unterminated '['" },
	{ "[!", GERR_PARSE, 1, "unterminated '['" },
	{ "[]", GERR_PARSE, 1, "unterminated '['" },
	{ "x[a\\", GERR_PARSE, 2, "unterminated '['" },
	{ "abc\\", GERR_PARSE, 4, "trailing '\\'" },
	{ "a[b/c]", GERR_PARSE, 4, "'/' cannot appear" },
	{ "[a-/]", GERR_PARSE, 4, "'/' cannot appear" },
	{ "x[z-a]", GERR_PARSE, 4, "reversed range" },
	{ "[[:bogus:]]", GERR_PARSE, 2, "unknown character class" },
};

static void
test_glob_errors(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof glob_bad_cases / sizeof glob_bad_cases[0];
	    i++) {
		const struct glob_bad *c = &glob_bad_cases[i];
		struct gerr err;
		struct glob *g = (struct glob *)&err;
		int rc;

		gerr_clear(&err);
		rc = glob_compile(c->pattern, 0, &g, &err);
		if (rc != (int)c->code || err.code != c->code || err.col != c->col ||
		    err.line != 1 || strstr(err.msg, c->frag) == NULL)
			fail_msg("\"%s\": rc %d col %d msg \"%s\"", c->pattern,
			    rc, err.col, err.msg);
		assert_null(g);
	}
}

static void
test_glob_length_cap(void **state)
{
	char *p = malloc(GLOB_PATTERN_MAX + 2);
	struct gerr err;
	struct glob *g;

	(void)state;
	memset(p, 'a', GLOB_PATTERN_MAX);
	p[GLOB_PATTERN_MAX] = '\0';
	assert_int_equal(glob_compile(p, 0, &g, NULL), 0);
	assert_true(glob_match(g, p, GLOB_PATTERN_MAX));
	glob_free(g);
	p[GLOB_PATTERN_MAX] = 'a';
	p[GLOB_PATTERN_MAX + 1] = '\0';
	gerr_clear(&err);
	assert_int_equal(glob_compile(p, 0, &g, &err), GERR_TOO_LARGE);
	assert_int_equal(err.col, GLOB_PATTERN_MAX + 1);
	assert_non_null(strstr(err.msg, "longer than"));
	assert_null(g);
	free(p);
}

/*
 * Exponential backtracking would take ages here; the last-star algorithm
 * finishes in O(n * m). Only the result is asserted (no timing in tests).
 */
static void
test_glob_pathological(void **state)
{
	size_t n = 100000;
	char *s = malloc(n + 1);
	struct glob *g;
	struct strs { const char *p; bool want; } cases[] = {
		{ "*a*a*a*a*a*a*a*a*b", false },
		{ "*a*a*a*a*a*a*a*a*a", true },
		{ "**/*a*a*a*b", false },
	};

	(void)state;
	memset(s, 'a', n);
	s[n] = '\0';
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		assert_int_equal(glob_compile(cases[i].p, 0, &g, NULL), 0);
		assert_int_equal(glob_match(g, s, n), cases[i].want);
		glob_free(g);
	}
	/* Many segments against many globstars. */
	for (size_t i = 0; i < n; i += 2) {
		s[i] = 'a';
		s[i + 1] = '/';
	}
	/* s[0..n-1) is "a/a/.../a". */
	assert_int_equal(glob_compile("**/a/**/a/**/a/**/b", 0, &g, NULL), 0);
	assert_false(glob_match(g, s, n - 1));
	glob_free(g);
	assert_int_equal(glob_compile("**/a/**/a/**/a/**/a", 0, &g, NULL), 0);
	assert_true(glob_match(g, s, n - 1));
	glob_free(g);
	free(s);
}

/* Every prefix of a rich pattern compiles or fails inside the prefix. */
static void
test_glob_truncation(void **state)
{
	static const char p[] = "src/**/[!a-c[:digit:]]?\\*x*.[ch]/**";
	char buf[sizeof p];

	(void)state;
	for (size_t len = 0; len < sizeof p; len++) {
		struct gerr err;
		struct glob *g;
		int rc;

		memcpy(buf, p, len);
		buf[len] = '\0';
		gerr_clear(&err);
		rc = glob_compile(buf, 0, &g, &err);
		if (rc == 0) {
			glob_free(g);
			continue;
		}
		if (rc != GERR_PARSE || err.col < 1 ||
		    (size_t)err.col > (len ? len : 1))
			fail_msg("prefix %zu \"%s\": rc %d col %d %s", len,
			    buf, rc, err.col, err.msg);
	}
}

static void
test_glob_free_null(void **state)
{
	(void)state;
	glob_free(NULL);
	assert_true(true);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_glob_table),
		cmocka_unit_test(test_glob_len_not_nul_terminated),
		cmocka_unit_test(test_glob_is_literal),
		cmocka_unit_test(test_glob_errors),
		cmocka_unit_test(test_glob_length_cap),
		cmocka_unit_test(test_glob_pathological),
		cmocka_unit_test(test_glob_truncation),
		cmocka_unit_test(test_glob_free_null),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
