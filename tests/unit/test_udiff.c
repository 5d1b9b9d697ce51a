/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit tests for common/udiff.c: equal inputs, missing old file, context
 * and hunk merging, missing final newline, and the edit cap. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "udiff.h"
#include "xmalloc.h"

static char *
test_udiff_run(const char *a, const char *b, size_t max, int want_rc)
{
	struct strbuf out = STRBUF_INIT;
	struct gerr err;

	gerr_clear(&err);
	assert_int_equal(udiff_unified(a, a ? strlen(a) : 0, "a", b,
	    strlen(b), "b", max, &out, &err), want_rc);
	if (want_rc != 0)
		assert_non_null(strstr(err.msg, "differ in more than"));
	return strbuf_detach(&out, NULL);
}

static void
test_equal_is_empty(void **state)
{
	char *s = test_udiff_run("x\ny\n", "x\ny\n", 0, 0);

	(void)state;
	assert_string_equal(s, "");
	free(s);
}

static void
test_new_file(void **state)
{
	char *s = test_udiff_run(NULL, "one\ntwo\n", 0, 0);

	(void)state;
	assert_string_equal(s, "--- a\n+++ b\n@@ -0,0 +1,2 @@\n+one\n+two\n");
	free(s);
}

static void
test_change_in_middle_with_context(void **state)
{
	char *s = test_udiff_run("1\n2\n3\n4\n5\n6\n7\n8\n9\n",
	    "1\n2\n3\n4\nX\n6\n7\n8\n9\n", 0, 0);

	(void)state;
	assert_string_equal(s, "--- a\n+++ b\n@@ -2,7 +2,7 @@\n 2\n 3\n 4\n"
	    "-5\n+X\n 6\n 7\n 8\n");
	free(s);
}

static void
test_two_hunks_and_merge(void **state)
{
	const char *a = "a\nb\nc\nd\ne\nf\ng\nh\ni\nj\nk\nl\nm\n";
	char *s = test_udiff_run(a, "A\nb\nc\nd\ne\nf\ng\nh\ni\nj\nk\nl\nM\n",
	    0, 0);

	(void)state;
	assert_string_equal(s, "--- a\n+++ b\n@@ -1,4 +1,4 @@\n-a\n+A\n b\n"
	    " c\n d\n@@ -10,4 +10,4 @@\n j\n k\n l\n-m\n+M\n");
	free(s);
	/* Six equal lines between changes: one hunk. */
	s = test_udiff_run("a\nb\nc\nd\ne\nf\ng\nh\n", "A\nb\nc\nd\ne\nf\ng\nH\n",
	    0, 0);
	assert_string_equal(s, "--- a\n+++ b\n@@ -1,8 +1,8 @@\n-a\n+A\n b\n"
	    " c\n d\n e\n f\n g\n-h\n+H\n");
	free(s);
}

static void
test_no_final_newline(void **state)
{
	char *s = test_udiff_run("x\ny", "x\ny\n", 0, 0);

	(void)state;
	assert_string_equal(s, "--- a\n+++ b\n@@ -1,2 +1,2 @@\n x\n-y\n"
	    "\\ No newline at end of file\n+y\n");
	free(s);
}

static void
test_deletions_only(void **state)
{
	char *s = test_udiff_run("a\nb\nc\n", "", 0, 0);

	(void)state;
	assert_string_equal(s, "--- a\n+++ b\n@@ -1,3 +0,0 @@\n-a\n-b\n-c\n");
	free(s);
}

static void
test_edit_cap(void **state)
{
	char *s;

	(void)state;
	/* 3 deletions + 3 insertions = 6 edits: over a cap of 5. */
	s = test_udiff_run("a\nb\nc\n", "x\ny\nz\n", 5, GERR_TOO_LARGE);
	assert_string_equal(s, "");
	free(s);
	s = test_udiff_run("a\nb\nc\n", "x\ny\nz\n", 6, 0);
	assert_non_null(strstr(s, "+z\n"));
	free(s);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_equal_is_empty),
		cmocka_unit_test(test_new_file),
		cmocka_unit_test(test_change_in_middle_with_context),
		cmocka_unit_test(test_two_hunks_and_merge),
		cmocka_unit_test(test_no_final_newline),
		cmocka_unit_test(test_deletions_only),
		cmocka_unit_test(test_edit_cap),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
