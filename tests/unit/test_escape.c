/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit tests for client/escape.c: control bytes, C1 controls, invalid
 * UTF-8 and backslashes escaped; valid text kept; the NAME_b64 twin
 * preferred to the repaired text. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "escape.h"

static void
test_escape_bytes(void **state)
{
	static const struct { const char *in, *out; } cases[] = {
		{ "plain/a.c", "plain/a.c" },
		{ "two\nlines", "two\\nlines" },
		{ "tab\tcr\r", "tab\\tcr\\r" },
		{ "esc\x1b[2J", "esc\\x1b[2J" },
		{ "del\x7f", "del\\x7f" },
		{ "back\\slash", "back\\\\slash" },
		{ "caf\xc3\xa9", "caf\xc3\xa9" },
		{ "bad\xff\xfe", "bad\\xff\\xfe" },
		{ "cut\xc3", "cut\\xc3" },
		{ "c1\xc2\x9b", "c1\\xc2\\x9b" },
		{ "\xe2\x82\xac\xff\n", "\xe2\x82\xac\\xff\\n" },
		{ "", "" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *got = escape_text(cases[i].in);

		assert_string_equal(got, cases[i].out);
		free(got);
	}
	/* An embedded NUL, given a length, is shown too. */
	char *got = escape_bytes("a\0b", 3);
	assert_string_equal(got, "a\\x00b");
	free(got);
	got = escape_text(NULL);
	assert_string_equal(got, "?");
	free(got);
}

static void
test_escape_member(void **state)
{
	cJSON *o = cJSON_Parse("{\"path\":\"two\\nbad\\ufffd\","
	    "\"path_b64\":\"dHdvCmJhZP8=\",\"root\":\"/r\","
	    "\"bogus\":\"x\",\"bogus_b64\":\"!!\",\"n\":1}");
	char *s;

	(void)state;
	assert_non_null(o);
	s = escape_member(o, "path");		/* exact bytes "two\nbad\xff" */
	assert_string_equal(s, "two\\nbad\\xff");
	free(s);
	s = escape_member(o, "root");
	assert_string_equal(s, "/r");
	free(s);
	s = escape_member(o, "bogus");		/* a broken twin: the text */
	assert_string_equal(s, "x");
	free(s);
	s = escape_member(o, "n");		/* not a string */
	assert_string_equal(s, "?");
	free(s);
	s = escape_member(o, "absent");
	assert_string_equal(s, "?");
	free(s);
	cJSON_Delete(o);
}

/* A list of names with its twin array (msg_add_names): exact bytes where
 * the twin has a string, the text where it has null or nothing. */
static void
test_escape_member_at(void **state)
{
	cJSON *o = cJSON_Parse("{\"files\":[\"ok.c\",\"bad\ufffd\ufffd\","
	    "\"x\"],\"files_b64\":[null,\"YmFk//4=\"],\"plain\":[\"a\"]}");
	char *s;

	(void)state;
	assert_non_null(o);
	s = escape_member_at(o, "files", 0);
	assert_string_equal(s, "ok.c");
	free(s);
	s = escape_member_at(o, "files", 1);	/* exact "bad\xff\xfe" */
	assert_string_equal(s, "bad\\xff\\xfe");
	free(s);
	s = escape_member_at(o, "files", 2);	/* past the twin's end */
	assert_string_equal(s, "x");
	free(s);
	s = escape_member_at(o, "plain", 0);
	assert_string_equal(s, "a");
	free(s);
	s = escape_member_at(o, "files", 3);
	assert_string_equal(s, "?");
	free(s);
	cJSON_Delete(o);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_escape_bytes),
		cmocka_unit_test(test_escape_member),
		cmocka_unit_test(test_escape_member_at),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
