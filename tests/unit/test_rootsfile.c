/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit tests for common/rootsfile.c: the roots file's bytes, a round trip
 * of awkward paths, and what a damaged file gives. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "rootsfile.h"

static void
test_encode_bytes(void **state)
{
	const char *paths[] = { "/a/b", "/c" };
	size_t len;
	char *text;

	(void)state;
	text = rootsfile_encode(paths, 2, &len);
	assert_string_equal(text, "{\"roots\":[\"/a/b\",\"/c\"]}\n");
	assert_int_equal(len, strlen(text));
	free(text);
	text = rootsfile_encode(NULL, 0, &len);
	assert_string_equal(text, "{\"roots\":[]}\n");
	free(text);
}

static void
test_round_trip(void **state)
{
	const char *paths[] = { "/with \"quote\"", "/back\\slash",
	    "/new\nline", "/\xc3\xa9t\xc3\xa9" };
	char *text, **out;
	struct gerr err;
	size_t len, n;

	(void)state;
	text = rootsfile_encode(paths, 4, &len);
	gerr_clear(&err);
	assert_int_equal(rootsfile_decode(text, len, &out, &n, &err), 0);
	assert_int_equal(n, 4);
	for (size_t i = 0; i < 4; i++)
		assert_string_equal(out[i], paths[i]);
	assert_null(out[4]);
	rootsfile_free(out);
	free(text);
}

static void
test_damaged(void **state)
{
	static const char *const bad[] = { "", "{\"roots\":[\"/a\"", "[]",
	    "{\"roots\":\"/a\"}", "{}", "null" };
	const char *mixed = "{\"roots\":[1,\"/a\",null,{},\"/b\"]}";
	struct gerr err;
	char **out;
	size_t n;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		gerr_clear(&err);
		assert_int_equal(rootsfile_decode(bad[i], strlen(bad[i]), &out,
		    &n, &err), GERR_PARSE);
		assert_null(out);
		assert_int_equal(n, 0);
		assert_true(err.msg[0] != '\0');
	}
	/* Not NUL-terminated: only len bytes are read. */
	gerr_clear(&err);
	assert_int_equal(rootsfile_decode("{\"roots\":[]}garbage", 12, &out,
	    &n, &err), 0);
	assert_int_equal(n, 0);
	rootsfile_free(out);
	/* Entries that are not strings are skipped. */
	assert_int_equal(rootsfile_decode(mixed, strlen(mixed), &out, &n,
	    &err), 0);
	assert_int_equal(n, 2);
	assert_string_equal(out[0], "/a");
	assert_string_equal(out[1], "/b");
	rootsfile_free(out);
	rootsfile_free(NULL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_encode_bytes),
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_damaged),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
