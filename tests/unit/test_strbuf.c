/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit tests for common/strbuf.c: growth, NUL bytes, consume, detach,
 * JSON strings (byte for byte as cJSON prints them). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <cjson/cJSON.h>

#include "strbuf.h"

static void
test_empty_is_terminated(void **state)
{
	struct strbuf sb = STRBUF_INIT;

	(void)state;
	assert_int_equal(sb.len, 0);
	assert_string_equal(sb.buf, "");
	strbuf_release(&sb);
	assert_string_equal(sb.buf, "");
}

static void
test_append_grows_and_keeps_nul(void **state)
{
	struct strbuf sb = STRBUF_INIT;

	(void)state;
	for (int i = 0; i < 10000; i++)
		strbuf_addch(&sb, 'a' + i % 26);
	assert_int_equal(sb.len, 10000);
	assert_int_equal(sb.buf[10000], '\0');
	assert_int_equal(sb.buf[27], 'b');
	strbuf_add(&sb, "x\0y", 3);
	assert_int_equal(sb.len, 10003);
	assert_memory_equal(sb.buf + 10000, "x\0y", 3);
	strbuf_release(&sb);
}

static void
test_addf_and_consume(void **state)
{
	struct strbuf sb = STRBUF_INIT;

	(void)state;
	strbuf_addf(&sb, "%s=%d;", "a", 1);
	strbuf_addf(&sb, "%s=%d;", "bb", 22);
	assert_string_equal(sb.buf, "a=1;bb=22;");
	strbuf_consume(&sb, 4);
	assert_string_equal(sb.buf, "bb=22;");
	strbuf_consume(&sb, 100);
	assert_int_equal(sb.len, 0);
	assert_string_equal(sb.buf, "");
	strbuf_release(&sb);
}

static void
test_detach_transfers(void **state)
{
	struct strbuf sb = STRBUF_INIT;
	size_t len;
	char *p;

	(void)state;
	p = strbuf_detach(&sb, &len);
	assert_int_equal(len, 0);
	assert_string_equal(p, "");
	free(p);
	strbuf_addstr(&sb, "hello");
	strbuf_truncate(&sb, 2);
	p = strbuf_detach(&sb, &len);
	assert_int_equal(len, 2);
	assert_string_equal(p, "he");
	assert_int_equal(sb.len, 0);
	free(p);
}

/* What cJSON prints for s: the reference. */
static char *
cjson_printed(const char *s)
{
	cJSON *str = cJSON_CreateString(s);
	char *out = cJSON_PrintUnformatted(str);

	cJSON_Delete(str);
	return out;
}

static void
assert_json_str_like_cjson(const char *s)
{
	struct strbuf sb = STRBUF_INIT;
	char *want = cjson_printed(s);

	strbuf_add_json_str(&sb, s, strlen(s));
	assert_string_equal(sb.buf, want);
	assert_int_equal(sb.len, strlen(want));
	cJSON_free(want);
	strbuf_release(&sb);
}

static void
test_json_str_matches_cjson(void **state)
{
	char one[2] = { 0 };

	(void)state;
	/* Every byte alone (the high ones are not UTF-8 alone, but the
	 * escaping is per byte all the same). */
	for (int c = 1; c < 256; c++) {
		one[0] = (char)c;
		assert_json_str_like_cjson(one);
	}
	assert_json_str_like_cjson("");
	assert_json_str_like_cjson("src/main.c");
	assert_json_str_like_cjson("a \"quoted\"\\path\twith\x01\x1f\x7f end");
	assert_json_str_like_cjson("caf\xc3\xa9/\xe2\x82\xac.txt\n");
	/* Appends: what was there stays. */
	{
		struct strbuf sb = STRBUF_INIT;

		strbuf_addstr(&sb, "x=");
		strbuf_add_json_str(&sb, "a\nb", 3);
		assert_string_equal(sb.buf, "x=\"a\\nb\"");
		strbuf_release(&sb);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_empty_is_terminated),
		cmocka_unit_test(test_append_grows_and_keeps_nul),
		cmocka_unit_test(test_addf_and_consume),
		cmocka_unit_test(test_detach_transfers),
		cmocka_unit_test(test_json_str_matches_cjson),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
