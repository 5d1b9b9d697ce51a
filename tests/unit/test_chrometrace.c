/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * test_chrometrace.c - common/chrometrace: the output parses as JSON (with
 * cJSON, independently of the writer) and holds the expected events, tids,
 * timestamps and escapes.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "chrometrace.h"

#define SP(i, p, k, n, w, st, s, d) \
	{ .id = (i), .parent = (p), .kind = (k), .name = (n), \
	  .workspace = (w), .status = (st), .start_us = (s), .dur_us = (d) }

static cJSON *
render(const struct chrometrace_run *run, const struct spanrec *s, size_t n)
{
	size_t len = 0;
	char *text = chrometrace_render(run, s, n, &len);
	cJSON *doc;

	assert_int_equal(strlen(text), len);
	doc = cJSON_Parse(text);
	free(text);
	assert_non_null(doc);
	return doc;
}

/* The i-th event with ph, or NULL. */
static cJSON *
event(cJSON *doc, const char *ph, int nth)
{
	cJSON *ev;

	cJSON_ArrayForEach(ev, cJSON_GetObjectItem(doc, "traceEvents")) {
		const char *p = cJSON_GetStringValue(
		    cJSON_GetObjectItem(ev, "ph"));

		if (p != NULL && strcmp(p, ph) == 0 && nth-- == 0)
			return ev;
	}
	return NULL;
}

static double
num(cJSON *ev, const char *key)
{
	cJSON *v = cJSON_GetObjectItem(ev, key);

	assert_true(cJSON_IsNumber(v));
	return v->valuedouble;
}

static const char *
str(cJSON *ev, const char *key)
{
	const char *s = cJSON_GetStringValue(cJSON_GetObjectItem(ev, key));

	assert_non_null(s);
	return s;
}

static void
test_trace_events(void **state)
{
	const struct spanrec s[] = {
		SP(1, 0, "phase", "build", "", "ok", 1000100, 500),
		SP(2, 1, "command", "make", "", "ok", 1000150, 400),
		SP(3, 0, "phase", "build", "core", "failed", 1000120, 300),
		SP(4, 3, "hook", "lint", "core", "running", 1000130, -1),
	};
	struct chrometrace_run run = { .id = 42, .root = "/p",
	    .phase = "build", .status = "failed", .start_us = 1000000,
	    .end_us = 1000700 };
	cJSON *doc = render(&run, s, 4), *ev, *other;

	(void)state;
	assert_string_equal(str(doc, "displayTimeUnit"), "ms");
	/* Run event + 4 spans; 3 thread names + process name. */
	assert_null(event(doc, "X", 5));
	assert_null(event(doc, "M", 4));
	ev = event(doc, "X", 0);
	assert_string_equal(str(ev, "cat"), "run");
	assert_int_equal(num(ev, "ts"), 0);
	assert_int_equal(num(ev, "dur"), 700);
	assert_int_equal(num(ev, "tid"), 0);
	ev = event(doc, "X", 2);
	assert_string_equal(str(ev, "name"), "make");
	assert_string_equal(str(ev, "cat"), "command");
	assert_int_equal(num(ev, "ts"), 150);
	assert_int_equal(num(ev, "dur"), 400);
	assert_int_equal(num(ev, "pid"), 1);
	assert_int_equal(num(ev, "tid"), 1);
	assert_int_equal(num(cJSON_GetObjectItem(ev, "args"), "parent"), 1);
	ev = event(doc, "X", 3);
	assert_int_equal(num(ev, "tid"), 2);
	assert_string_equal(str(cJSON_GetObjectItem(ev, "args"), "status"),
	    "failed");
	ev = event(doc, "X", 4);
	assert_int_equal(num(ev, "dur"), 0);	/* still running */
	ev = event(doc, "M", 2);
	assert_string_equal(str(ev, "name"), "thread_name");
	assert_string_equal(str(cJSON_GetObjectItem(ev, "args"), "name"),
	    "(root)");
	ev = event(doc, "M", 3);
	assert_int_equal(num(ev, "tid"), 2);
	assert_string_equal(str(cJSON_GetObjectItem(ev, "args"), "name"),
	    "core");
	other = cJSON_GetObjectItem(doc, "otherData");
	assert_string_equal(str(other, "run"), "42");
	assert_string_equal(str(other, "status"), "failed");
	cJSON_Delete(doc);
}

static void
test_trace_escapes_and_base(void **state)
{
	const struct spanrec s[] = {
		SP(1, 0, "command", "echo \"hi\"\\\n\t\x01", "", "ok", 900, 50),
		SP(2, 0, "command", "bad \xff\xc0\x80 caf\xc3\xa9", NULL, "ok",
		    950, 10),
	};
	/* Still running: the run ends at its last span; a span that starts
	 * before the run moves the time base. */
	struct chrometrace_run run = { .id = 7, .phase = NULL,
	    .status = "running", .start_us = 1000, .end_us = 0 };
	cJSON *doc = render(&run, s, 2), *ev;

	(void)state;
	ev = event(doc, "X", 0);
	assert_int_equal(num(ev, "ts"), 100);
	assert_int_equal(num(ev, "dur"), 0);
	ev = event(doc, "X", 1);
	assert_string_equal(str(ev, "name"), "echo \"hi\"\\\n\t\x01");
	assert_int_equal(num(ev, "ts"), 0);
	ev = event(doc, "X", 2);
	assert_string_equal(str(ev, "name"),
	    "bad \xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd caf\xc3\xa9");
	cJSON_Delete(doc);
}

static void
test_trace_no_spans(void **state)
{
	struct chrometrace_run run = { .id = 1, .root = "/r", .phase = "p",
	    .status = "cached", .start_us = 5, .end_us = 9 };
	cJSON *doc = render(&run, NULL, 0), *ev;

	(void)state;
	ev = event(doc, "X", 0);
	assert_int_equal(num(ev, "dur"), 4);
	assert_null(event(doc, "X", 1));
	cJSON_Delete(doc);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_trace_events),
		cmocka_unit_test(test_trace_escapes_and_base),
		cmocka_unit_test(test_trace_no_spans),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
