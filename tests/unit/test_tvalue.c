/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit tests for common/tvalue.c and tvalue_json.c: map order, index,
 * refcounts, equality, rendering, JSON round trip and errors. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <cjson/cJSON.h>

#include "tvalue.h"
#include "tvalue_json.h"

static void
test_map_insertion_order_and_index(void **state)
{
	struct tvalue *m = tvalue_map_new();
	char key[16];

	(void)state;
	for (int i = 99; i >= 0; i--) {
		snprintf(key, sizeof key, "k%d", i);
		tvalue_map_set(m, key, tvalue_int(i));
	}
	tvalue_map_set(m, "k50", tvalue_int(-1));	/* replace keeps place */
	assert_int_equal(tvalue_len(m), 100);
	assert_string_equal(tvalue_map_at(m, 0)->key->u.str.s, "k99");
	assert_string_equal(tvalue_map_at(m, 49)->key->u.str.s, "k50");
	assert_int_equal(tvalue_map_at(m, 49)->val->u.i, -1);
	for (int i = 0; i < 100; i++) {
		snprintf(key, sizeof key, "k%d", i);
		assert_non_null(tvalue_map_get(m, key));
	}
	assert_null(tvalue_map_get(m, "nope"));
	assert_null(tvalue_map_at(m, 100));
	tvalue_unref(m);
}

static void
test_refcount_and_update(void **state)
{
	struct tvalue *a = tvalue_map_new(), *b = tvalue_map_new();
	struct tvalue *s = tvalue_string("shared");

	(void)state;
	tvalue_map_set(a, "x", tvalue_int(1));
	tvalue_map_set(a, "y", tvalue_ref(s));
	tvalue_map_set(b, "x", tvalue_int(2));
	tvalue_map_update(a, b);	/* b wins */
	assert_int_equal(tvalue_map_get(a, "x")->u.i, 2);
	assert_ptr_equal(tvalue_map_get(a, "y"), s);
	tvalue_unref(s);
	tvalue_unref(b);
	assert_string_equal(tvalue_map_get(a, "y")->u.str.s, "shared");
	tvalue_unref(a);
	tvalue_unref(NULL);
	/* Immortal constants ignore ref/unref. */
	tvalue_unref(tvalue_null());
	tvalue_unref(tvalue_bool(true));
	assert_true(tvalue_truthy(tvalue_bool(true)));
}

static void
test_truthy_equal_compare(void **state)
{
	struct tvalue *i1 = tvalue_int(1), *d1 = tvalue_double(1.0);
	struct tvalue *e = tvalue_string(""), *a = tvalue_array_new();
	bool ok;

	(void)state;
	assert_true(tvalue_equal(i1, d1));
	assert_false(tvalue_truthy(e));
	assert_false(tvalue_truthy(a));
	assert_false(tvalue_truthy(tvalue_null()));
	assert_int_equal(tvalue_compare(i1, d1, &ok), 0);
	assert_true(ok);
	tvalue_compare(i1, e, &ok);
	assert_false(ok);
	tvalue_unref(i1);
	tvalue_unref(d1);
	tvalue_unref(e);
	tvalue_unref(a);
}

static void
test_render_forms(void **state)
{
	struct strbuf sb = STRBUF_INIT;
	struct tvalue *v;

	(void)state;
	v = tvalue_double(0.1);
	tvalue_render(v, &sb);
	tvalue_unref(v);
	strbuf_addch(&sb, ' ');
	v = tvalue_double(3.0);
	tvalue_render(v, &sb);
	tvalue_unref(v);
	strbuf_addch(&sb, ' ');
	tvalue_render(tvalue_null(), &sb);
	tvalue_render(tvalue_bool(false), &sb);
	assert_string_equal(sb.buf, "0.1 3 false");	/* as Tera */
	strbuf_release(&sb);
}

static void
test_json_round_trip_and_errors(void **state)
{
	const char *text = "{\"b\":[1,2.5,\"x\",null,true],\"a\":{\"n\":-3}}";
	struct tvalue *v, *w;
	struct gerr err;
	cJSON *j;
	char *s;

	(void)state;
	gerr_clear(&err);
	assert_int_equal(tvalue_from_json_text(text, strlen(text), "v.json", &v,
	    &err), 0);
	assert_int_equal(tvalue_map_at(v, 0)->val->u.arr.items[0]->type,
	    TVALUE_INT);
	assert_int_equal(tvalue_map_at(v, 0)->val->u.arr.items[1]->type,
	    TVALUE_DOUBLE);
	j = tvalue_to_cjson(v);
	s = cJSON_PrintUnformatted(j);
	assert_string_equal(s, text);
	free(s);
	cJSON_Delete(j);
	w = tvalue_copy(v);
	assert_true(tvalue_equal(v, w));
	tvalue_unref(w);
	tvalue_unref(v);
	assert_int_equal(tvalue_from_json_text("{\n \"a\": tru }", 13, "v.json",
	    &v, &err), GERR_PARSE);
	assert_int_equal(err.line, 2);
	assert_string_equal(err.file, "v.json");
	assert_null(v);
}

static void
test_json_depth_cap(void **state)
{
	char buf[400];
	struct tvalue *v;
	struct gerr err;

	(void)state;
	memset(buf, '[', 200);
	memset(buf + 200, ']', 200);
	gerr_clear(&err);
	/* cJSON itself stops at its own nesting limit; either way: an error,
	 * never a crash. */
	assert_int_not_equal(tvalue_from_json_text(buf, 400, "d", &v, &err), 0);
	assert_null(v);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_map_insertion_order_and_index),
		cmocka_unit_test(test_refcount_and_update),
		cmocka_unit_test(test_truthy_equal_compare),
		cmocka_unit_test(test_render_forms),
		cmocka_unit_test(test_json_round_trip_and_errors),
		cmocka_unit_test(test_json_depth_cap),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
