/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit tests for common/strbuf.c: growth, NUL bytes, consume, detach. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

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

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_empty_is_terminated),
		cmocka_unit_test(test_append_grows_and_keeps_nul),
		cmocka_unit_test(test_addf_and_consume),
		cmocka_unit_test(test_detach_transfers),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
