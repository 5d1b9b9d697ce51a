/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit tests for protocol/message.c and commands.c: request validation
 * with exact codes and messages, UTF-8 checks, envelope round trips. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "message.h"

struct bad_case {
	const char *line;
	enum gerr_code code;
	const char *fragment;
	bool has_id;
};

static const struct bad_case message_bad[] = {
	{ "{", GERR_INVALID_JSON, "invalid JSON at byte", false },
	{ "\xff{}", GERR_INVALID_JSON, "invalid UTF-8 at byte 1", false },
	{ "{\"id\":1,\"cmd\":\"st\xc3\"}", GERR_INVALID_JSON,
	  "invalid UTF-8 at byte 18", false },
	{ "{\"a\":\"\xed\xa0\x80\"}", GERR_INVALID_JSON, "invalid UTF-8", false },
	{ "{\"a\":\"\xc0\xaf\"}", GERR_INVALID_JSON, "invalid UTF-8", false },
	{ "[1,2]", GERR_BAD_REQUEST, "must be a JSON object, found array",
	  false },
	{ "42", GERR_BAD_REQUEST, "found number", false },
	{ "{}", GERR_MISSING_FIELD, "missing field \"cmd\"", false },
	{ "{\"id\":1}", GERR_MISSING_FIELD, "missing field \"cmd\"", true },
	{ "{\"id\":1,\"cmd\":5}", GERR_BAD_TYPE,
	  "field \"cmd\": expected string, found number", true },
	{ "{\"id\":[1],\"cmd\":\"status\"}", GERR_BAD_TYPE,
	  "field \"id\": expected integer or string, found array", false },
	{ "{\"id\":1.5,\"cmd\":\"status\"}", GERR_BAD_TYPE, "field \"id\"",
	  false },
	{ "{\"id\":2,\"cmd\":\"frobnicate\"}", GERR_UNKNOWN_COMMAND,
	  "unknown command \"frobnicate\"", true },
	{ "{\"id\":3,\"cmd\":\"hello\"}", GERR_MISSING_FIELD,
	  "missing field \"proto\"", true },
	{ "{\"id\":3,\"cmd\":\"hello\",\"proto\":\"1\"}", GERR_BAD_TYPE,
	  "field \"proto\": expected integer, found string", true },
	{ "{\"id\":3,\"cmd\":\"hello\",\"proto\":1.5}", GERR_BAD_TYPE,
	  "field \"proto\": expected integer, found non-integer number", true },
	/* B2: a NUL inside a string is never cut at */
	{ "{\"id\":4,\"cmd\":\"status\\u0000\"}", GERR_BAD_REQUEST,
	  "embedded NUL (\\u0000) at byte 22", true },
	{ "{\"id\":4,\"cmd\":\"hash\",\"path\":\"/etc/passwd\\u0000.t\"}",
	  GERR_BAD_REQUEST, "embedded NUL", true },
	/* B6: one number rule */
	{ "{\"id\":-1e-99999,\"cmd\":\"status\"}", GERR_BAD_TYPE,
	  "field \"id\": expected integer, found non-integer", false },
	{ "{\"id\":-0,\"cmd\":\"status\"}", GERR_BAD_TYPE,
	  "non-integer", false },
	{ "{\"id\":2.5e-1,\"cmd\":\"status\"}", GERR_BAD_TYPE,
	  "non-integer", false },
	{ "{\"id\":99999999999999999999,\"cmd\":\"status\"}", GERR_BAD_TYPE,
	  "field \"id\": integer out of range", false },
	{ "{\"id\":9007199254740992,\"cmd\":\"status\"}", GERR_BAD_TYPE,
	  "out of range", false },
	{ "{\"id\":-9007199254740993,\"cmd\":\"status\"}", GERR_BAD_TYPE,
	  "out of range", false },
	{ "{\"id\":5,\"cmd\":\"cancel\",\"run\":1.5}", GERR_BAD_TYPE,
	  "field \"run\": expected integer, found non-integer", true },
	{ "{\"id\":5,\"cmd\":\"cancel\",\"run\":18446744073709551616}",
	  GERR_BAD_TYPE, "field \"run\": integer out of range", true },
	/* B3: paths are absolute */
	{ "{\"id\":6,\"cmd\":\"watch\",\"root\":\"../..\"}", GERR_INVALID,
	  "field \"root\": expected an absolute path, found \"../..\"", true },
	{ "{\"id\":6,\"cmd\":\"hash\",\"path\":\"etc/passwd\"}", GERR_INVALID,
	  "field \"path\": expected an absolute path", true },
	{ "{\"id\":3,\"cmd\":\"hello\",\"proto\":1,\"client\":7}", GERR_BAD_TYPE,
	  "field \"client\": expected string, found number", true },
};

static void
test_bad_requests(void **state)
{
	struct msg_request mr;
	struct gerr err;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(message_bad) / sizeof(message_bad[0]); i++) {
		gerr_clear(&err);
		assert_int_equal(msg_request_parse(message_bad[i].line,
		    strlen(message_bad[i].line), &mr, &err),
		    message_bad[i].code);
		assert_int_equal(err.code, message_bad[i].code);
		if (strstr(err.msg, message_bad[i].fragment) == NULL)
			fail_msg("case %zu: \"%s\" lacks \"%s\"", i, err.msg,
			    message_bad[i].fragment);
		assert_int_equal(mr.id != NULL, message_bad[i].has_id);
		assert_null(mr.cmd);
		msg_request_release(&mr);
	}
}

static void
test_good_request_ignores_unknown_fields(void **state)
{
	const char *line = "{\"id\":\"a\",\"cmd\":\"hello\",\"proto\":1,"
	    "\"future\":true}";
	struct msg_request mr;

	(void)state;
	assert_int_equal(msg_request_parse(line, strlen(line), &mr, NULL), 0);
	assert_string_equal(mr.cmd->name, "hello");
	assert_string_equal(mr.id->valuestring, "a");
	msg_request_release(&mr);
}

static void
test_utf8_check(void **state)
{
	(void)state;
	assert_int_equal(msg_utf8_check("h\xc3\xa9llo", 6), 6);
	assert_int_equal(msg_utf8_check("\xf0\x9f\x98\x80", 4), 4);
	assert_int_equal(msg_utf8_check("\xf0\x9f\x98", 3), 0);
	assert_int_equal(msg_utf8_check("ab\xf4\x90\x80\x80", 6), 2);
	assert_int_equal(msg_utf8_check("a\xe0\x80\x80", 4), 1);
	assert_int_equal(msg_utf8_check("", 0), 0);
}

static void
test_reply_round_trip(void **state)
{
	struct msg_reply r;
	struct gerr err;
	cJSON *id = cJSON_CreateNumber(7);
	cJSON *res = cJSON_CreateObject();
	char *line;

	(void)state;
	cJSON_AddNumberToObject(res, "x", 1);
	line = msg_reply_ok(id, res);
	assert_string_equal(line, "{\"id\":7,\"ok\":true,\"result\":{\"x\":1}}\n");
	assert_int_equal(msg_reply_parse(line, strlen(line), &r, NULL), 0);
	assert_int_equal(r.kind, MSG_REPLY);
	assert_true(r.ok);
	msg_reply_release(&r);
	free(line);

	gerr_clear(&err);
	gerr_set_at(&err, GERR_PARSE, "make.toml", 3, 7, "bad \"x\"\nnext");
	line = msg_reply_error(id, &err);
	assert_non_null(strstr(line, "\"code\":\"parse_error\""));
	assert_non_null(strstr(line, "\"file\":\"make.toml\",\"line\":3,"
	    "\"col\":7"));
	/* The message's own newline is escaped: one '\n', at the end. */
	assert_ptr_equal(strchr(line, '\n'), line + strlen(line) - 1);
	assert_int_equal(msg_reply_parse(line, strlen(line), &r, NULL), 0);
	assert_false(r.ok);
	assert_string_equal(r.err_code, "parse_error");
	assert_string_equal(r.err_message, "bad \"x\"\nnext");
	assert_string_equal(r.err_file, "make.toml");
	assert_int_equal(r.err_line, 3);
	assert_int_equal(r.err_col, 7);
	msg_reply_release(&r);
	free(line);

	line = msg_progress(id, cJSON_CreateString("50%"));
	assert_string_equal(line, "{\"id\":7,\"progress\":\"50%\"}\n");
	assert_int_equal(msg_reply_parse(line, strlen(line), &r, NULL), 0);
	assert_int_equal(r.kind, MSG_PROGRESS);
	msg_reply_release(&r);
	free(line);

	line = msg_event("run.finished", NULL);
	assert_string_equal(line, "{\"event\":\"run.finished\",\"data\":{}}\n");
	assert_int_equal(msg_reply_parse(line, strlen(line), &r, NULL), 0);
	assert_int_equal(r.kind, MSG_EVENT);
	assert_string_equal(r.event, "run.finished");
	msg_reply_release(&r);
	free(line);
	cJSON_Delete(id);
}

static void
test_reply_error_null_id_and_generic_text(void **state)
{
	struct gerr err;
	char *line;

	(void)state;
	gerr_clear(&err);
	err.code = GERR_LINE_TOO_LONG;
	line = msg_reply_error(NULL, &err);
	assert_string_equal(line, "{\"id\":null,\"ok\":false,\"error\":{\"code\":"
	    "\"line_too_long\",\"message\":\"line over the size limit\"}}\n");
	free(line);
}

/* Integers below 2^53 in magnitude pass, however written (1e3 is 1000);
 * an escaped backslash before "u0000" is not a NUL. */
static void
test_number_rule_edges(void **state)
{
	static const char *const good[] = {
		"{\"id\":9007199254740991,\"cmd\":\"status\"}",
		"{\"id\":-9007199254740991,\"cmd\":\"status\"}",
		"{\"id\":0,\"cmd\":\"status\"}",
		"{\"id\":1e3,\"cmd\":\"status\"}",
		"{ \"id\" : 7 , \"cmd\":\"cancel\",\"run\":12.0}",
		"{\"id\":\"1e3\",\"cmd\":\"hash\",\"path\":\"/a\\\\u0000\"}",
		"{\"id\":1,\"cmd\":\"status\",\"x\":{\"id\":1.5},\"y\":[2e9]}",
	};
	struct msg_request mr;
	struct gerr err;

	(void)state;
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		gerr_clear(&err);
		if (msg_request_parse(good[i], strlen(good[i]), &mr, &err) != 0)
			fail_msg("case %zu: %s", i, err.msg);
		msg_request_release(&mr);
	}
}

/* Output: exact integers, valid UTF-8 with a lossless base64 twin. */
static void
test_normalize_output(void **state)
{
	cJSON *o = cJSON_CreateObject(), *arr;
	char *line;

	(void)state;
	cJSON_AddNumberToObject(o, "start_us", 1795309931205475.0);
	cJSON_AddNumberToObject(o, "neg", -9007199254740991.0);
	cJSON_AddNumberToObject(o, "rate", 0.25);
	cJSON_AddNumberToObject(o, "zero", -0.0);
	cJSON_AddStringToObject(o, "path", "bad\xff\xfe");
	cJSON_AddStringToObject(o, "ok", "caf\xc3\xa9");
	arr = cJSON_AddArrayToObject(o, "files");
	cJSON_AddItemToArray(arr, cJSON_CreateString("x\x80"));
	line = msg_event("e", o);
	assert_int_equal(msg_utf8_check(line, strlen(line)), strlen(line));
	assert_non_null(strstr(line, "\"start_us\":1795309931205475,"));
	assert_non_null(strstr(line, "\"neg\":-9007199254740991,"));
	assert_non_null(strstr(line, "\"rate\":0.25"));
	assert_non_null(strstr(line, "\"zero\":0,"));
	assert_non_null(strstr(line,
	    "\"path\":\"bad\xef\xbf\xbd\xef\xbf\xbd\""));
	assert_non_null(strstr(line, "\"path_b64\":\"YmFk//4=\""));
	assert_non_null(strstr(line, "\"ok\":\"caf\xc3\xa9\""));
	assert_null(strstr(line, "ok_b64"));
	assert_non_null(strstr(line, "[\"x\xef\xbf\xbd\"]"));
	free(line);
}

/* What ggenc prints under --json: a reply line parsed (numbers become
 * doubles) and printed again reads as the daemon sent it. cJSON alone
 * prints 1796640019409540 as 1.79664001940954e+15 (any 16-digit value
 * ending in 0: one start_us in ten). */
static void
test_print_parsed_reply(void **state)
{
	static const char line[] = "{\"id\":3,\"ok\":true,\"result\":{"
	    "\"id\":5,\"start_us\":1796640019409540,\"duration_ms\":4.437,"
	    "\"spans\":[{\"ts\":1796640019409500,\"dur\":-20}],"
	    "\"exit_code\":0,\"signal\":null}}";
	struct msg_reply r;
	struct gerr err;
	char *plain, *s;

	(void)state;
	gerr_clear(&err);
	assert_int_equal(msg_reply_parse(line, sizeof(line) - 1, &r, &err), 0);
	plain = cJSON_PrintUnformatted(r.body);
	assert_non_null(strstr(plain, "e+15"));	/* the defect fixed */
	cJSON_free(plain);
	s = msg_json_print(r.body);
	assert_string_equal(s, "{\"id\":5,\"start_us\":1796640019409540,"
	    "\"duration_ms\":4.437,\"spans\":[{\"ts\":1796640019409500,"
	    "\"dur\":-20}],\"exit_code\":0,\"signal\":null}");
	free(s);
	/* The message itself is left as it was. */
	assert_true(cJSON_IsNumber(cJSON_GetObjectItemCaseSensitive(r.body,
	    "start_us")));
	msg_reply_release(&r);
	s = msg_json_print(NULL);
	assert_string_equal(s, "null");
	free(s);
}

static void
test_request_line(void **state)
{
	cJSON *f = cJSON_CreateObject();
	char *line;

	(void)state;
	cJSON_AddNumberToObject(f, "proto", 1);
	line = msg_request_line(1, "hello", f);
	assert_string_equal(line, "{\"id\":1,\"cmd\":\"hello\",\"proto\":1}\n");
	free(line);
}

static void
test_bad_daemon_lines(void **state)
{
	struct msg_reply r;
	struct gerr err;

	(void)state;
	gerr_clear(&err);
	assert_int_equal(msg_reply_parse("nope", 4, &r, &err),
	    GERR_INVALID_JSON);
	msg_reply_release(&r);
	gerr_clear(&err);
	assert_int_equal(msg_reply_parse("{\"id\":1}", 8, &r, &err),
	    GERR_BAD_REQUEST);
	assert_non_null(strstr(err.msg, "no boolean \"ok\""));
	msg_reply_release(&r);
}

/* msg_add_names: a twin array only when a name is not UTF-8, as long as
 * the list, null where the name is valid (whichever comes first). */
static void
test_add_names(void **state)
{
	const char *const first_bad[] = { "\xff", "ok", "b\xfe" };
	const char *const good[] = { "a", "caf\xc3\xa9" };
	cJSON *o = cJSON_CreateObject();
	char *line;

	(void)state;
	msg_add_names(o, "f", first_bad, 3);
	msg_add_names(o, "g", good, 2);
	msg_add_names(o, "e", NULL, 0);
	line = msg_event("x", o);
	assert_int_equal(msg_utf8_check(line, strlen(line)), strlen(line));
	assert_non_null(strstr(line, "\"f\":[\"\xef\xbf\xbd\",\"ok\","
	    "\"b\xef\xbf\xbd\"],\"f_b64\":[\"/w==\",null,\"Yv4=\"]"));
	assert_non_null(strstr(line, "\"g\":[\"a\",\"caf\xc3\xa9\"]"));
	assert_null(strstr(line, "g_b64"));
	assert_non_null(strstr(line, "\"e\":[]"));
	assert_null(strstr(line, "e_b64"));
	free(line);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bad_requests),
		cmocka_unit_test(test_good_request_ignores_unknown_fields),
		cmocka_unit_test(test_utf8_check),
		cmocka_unit_test(test_reply_round_trip),
		cmocka_unit_test(test_reply_error_null_id_and_generic_text),
		cmocka_unit_test(test_request_line),
		cmocka_unit_test(test_bad_daemon_lines),
		cmocka_unit_test(test_number_rule_edges),
		cmocka_unit_test(test_normalize_output),
		cmocka_unit_test(test_print_parsed_reply),
		cmocka_unit_test(test_add_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
