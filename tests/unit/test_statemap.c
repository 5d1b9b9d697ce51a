/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * test_statemap.c - daemon/statemap: flat string maps of state files
 * (engine-cache.json) printed and parsed back unchanged, names with tabs
 * and bytes that are not UTF-8 included; members that are not strings
 * skipped; text that is not an object refused.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "statemap.h"

struct got {
	char names[4][64];
	char values[4][64];
	int n;
};

static void
put(void *arg, const char *name, const char *value)
{
	struct got *g = arg;

	assert_true(g->n < 4);
	strcpy(g->names[g->n], name);
	strcpy(g->values[g->n], value);
	g->n++;
}

static void
test_round_trip(void **state)
{
	const char *names[] = { "/r\t\tbuild", "/x\xff\tw\tb", "q\"\\" };
	const char *values[] = { "00ff", "", "v\n" };
	struct got g;
	char *text;

	(void)state;
	memset(&g, 0, sizeof(g));
	text = statemap_print(names, values, 3);
	assert_int_equal(statemap_parse(text, strlen(text), put, &g), 0);
	free(text);
	assert_int_equal(g.n, 3);
	for (int i = 0; i < 3; i++) {
		assert_string_equal(g.names[i], names[i]);
		assert_string_equal(g.values[i], values[i]);
	}
	text = statemap_print(NULL, NULL, 0);
	assert_string_equal(text, "{}");
	free(text);
}

static void
test_bad_text(void **state)
{
	const char *mixed = "{\"a\":\"1\",\"n\":2,\"o\":{},\"b\":\"2\"}";
	struct got g;

	(void)state;
	memset(&g, 0, sizeof(g));
	assert_int_equal(statemap_parse(mixed, strlen(mixed), put, &g), 0);
	assert_int_equal(g.n, 2);
	assert_string_equal(g.names[1], "b");
	memset(&g, 0, sizeof(g));
	assert_int_equal(statemap_parse("[1]", 3, put, &g), -1);
	assert_int_equal(statemap_parse("{\"a\":", 5, put, &g), -1);
	assert_int_equal(statemap_parse("", 0, put, &g), -1);
	assert_int_equal(g.n, 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_bad_text),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
