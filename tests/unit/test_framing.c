/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit tests for protocol/framing.c: split lines, many lines per feed,
 * over-cap lines (reported once, resync at '\n'), CRLF, bounded memory. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "framing.h"
#include "message.h"
#include "xmalloc.h"

static void
test_split_across_feeds(void **state)
{
	const char *req = "{\"id\":1,\"cmd\":\"status\"}\n";
	struct framing f;
	char *line;
	size_t len, i;

	(void)state;
	framing_init(&f, 0);
	/* Feed one byte at a time: the line appears only with its '\n'. */
	for (i = 0; i < strlen(req) - 1; i++) {
		framing_feed(&f, req + i, 1);
		assert_int_equal(framing_next(&f, &line, &len, NULL), 0);
	}
	framing_feed(&f, req + i, 1);
	assert_int_equal(framing_next(&f, &line, &len, NULL), 1);
	assert_int_equal(len, strlen(req) - 1);
	assert_memory_equal(line, req, len);
	assert_int_equal(line[len], '\0');
	assert_int_equal(framing_next(&f, &line, &len, NULL), 0);
	assert_int_equal(framing_pending(&f), 0);
	framing_release(&f);
}

static void
test_many_lines_one_feed(void **state)
{
	struct framing f;
	struct msg_request mr;
	struct strbuf sb = STRBUF_INIT;
	char *line;
	size_t len;
	int i, n = 0;

	(void)state;
	for (i = 0; i < 10000; i++)
		strbuf_addf(&sb, "{\"id\":%d,\"cmd\":\"status\"}\n", i);
	framing_init(&f, 0);
	framing_feed(&f, sb.buf, sb.len);
	while (framing_next(&f, &line, &len, NULL) == 1) {
		assert_int_equal(msg_request_parse(line, len, &mr, NULL), 0);
		assert_int_equal(mr.id->valueint, n);
		assert_string_equal(mr.cmd->name, "status");
		msg_request_release(&mr);
		n++;
	}
	assert_int_equal(n, 10000);
	assert_int_equal(framing_pending(&f), 0);
	framing_release(&f);
	strbuf_release(&sb);
}

static void
test_crlf_and_empty_lines(void **state)
{
	struct framing f;
	char *line;
	size_t len;

	(void)state;
	framing_init(&f, 0);
	framing_feed(&f, "a\r\n\nb\n", 6);
	assert_int_equal(framing_next(&f, &line, &len, NULL), 1);
	assert_string_equal(line, "a");
	assert_int_equal(framing_next(&f, &line, &len, NULL), 1);
	assert_int_equal(len, 0);
	assert_int_equal(framing_next(&f, &line, &len, NULL), 1);
	assert_string_equal(line, "b");
	assert_int_equal(framing_next(&f, &line, &len, NULL), 0);
	framing_release(&f);
}

static void
test_overlong_without_newline(void **state)
{
	struct framing f;
	struct gerr err;
	char buf[300];
	char *line;
	size_t len;
	int i;

	(void)state;
	memset(buf, 'x', sizeof(buf));
	framing_init(&f, 1024);
	gerr_clear(&err);
	/* 4 x 300 bytes, no '\n': reported once, when the cap is passed. */
	for (i = 0; i < 3; i++) {
		framing_feed(&f, buf, sizeof(buf));
		assert_int_equal(framing_next(&f, &line, &len, &err), 0);
	}
	framing_feed(&f, buf, sizeof(buf));
	assert_int_equal(framing_next(&f, &line, &len, &err),
	    GERR_LINE_TOO_LONG);
	assert_int_equal(err.code, GERR_LINE_TOO_LONG);
	assert_non_null(strstr(err.msg, "longer than 1024 bytes"));
	assert_int_equal(framing_pending(&f), 0);
	/* The rest of that line is dropped without buffering it. */
	for (i = 0; i < 10; i++) {
		framing_feed(&f, buf, sizeof(buf));
		assert_int_equal(framing_next(&f, &line, &len, NULL), 0);
		assert_int_equal(framing_pending(&f), 0);
	}
	framing_feed(&f, "tail\nnext\n", 10);
	assert_int_equal(framing_next(&f, &line, &len, NULL), 1);
	assert_string_equal(line, "next");
	framing_release(&f);
}

static void
test_overlong_complete_line(void **state)
{
	struct framing f;
	struct gerr err;
	char *big, *line;
	size_t len;

	(void)state;
	big = xmalloc(2000 + 8);
	memset(big, 'y', 2000);
	memcpy(big + 2000, "\nok\n", 4);
	framing_init(&f, 1024);
	gerr_clear(&err);
	framing_feed(&f, big, 2004);
	assert_int_equal(framing_next(&f, &line, &len, &err),
	    GERR_LINE_TOO_LONG);
	assert_int_equal(framing_next(&f, &line, &len, NULL), 1);
	assert_string_equal(line, "ok");
	framing_release(&f);
	free(big);
}

static void
test_exact_cap_accepted(void **state)
{
	struct framing f;
	char buf[1025];
	char *line;
	size_t len;

	(void)state;
	memset(buf, 'z', 1024);
	buf[1024] = '\n';
	framing_init(&f, 1024);
	framing_feed(&f, buf, 1024);
	assert_int_equal(framing_next(&f, &line, &len, NULL), 0);
	framing_feed(&f, buf + 1024, 1);
	assert_int_equal(framing_next(&f, &line, &len, NULL), 1);
	assert_int_equal(len, 1024);
	framing_release(&f);
}

static void
test_default_cap_is_1mib(void **state)
{
	struct framing f;

	(void)state;
	framing_init(&f, 0);
	assert_int_equal(f.max_line, 1048576);
	framing_release(&f);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_split_across_feeds),
		cmocka_unit_test(test_many_lines_one_feed),
		cmocka_unit_test(test_crlf_and_empty_lines),
		cmocka_unit_test(test_overlong_without_newline),
		cmocka_unit_test(test_overlong_complete_line),
		cmocka_unit_test(test_exact_cap_accepted),
		cmocka_unit_test(test_default_cap_is_1mib),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
