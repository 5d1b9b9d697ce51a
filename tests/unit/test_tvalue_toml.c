/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit tests for common/tvalue_toml.c: [vars]-like TOML subtrees keep
 * nested tables, arrays (of tables too), number and bool types, and
 * date/times as RFC 3339 strings; the result renders as JSON. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <cjson/cJSON.h>

#include "template.h"
#include "toml.h"
#include "tvalue_json.h"
#include "tvalue_toml.h"

static struct tvalue *
test_tvalue_toml_vars(const char *src, struct toml_doc **doc)
{
	struct gerr err;

	gerr_clear(&err);
	assert_int_equal(toml_parse(src, strlen(src), "make.toml", doc, &err),
	    0);
	return tvalue_from_toml(toml_get(toml_doc_root(*doc), "vars"));
}

static void
test_types_kept(void **state)
{
	const char *src =
	    "[vars]\n"
	    "name = \"demo\"\n"
	    "n = 42\n"
	    "ratio = 0.5\n"
	    "on = true\n"
	    "list = [1, \"two\", [3]]\n"
	    "when = 1979-05-27T07:32:00Z\n"
	    "day = 1979-05-27\n"
	    "at = 07:32:00\n"
	    "[vars.db]\n"
	    "port = 5432\n"
	    "[[vars.fields]]\n"
	    "name = \"id\"\n"
	    "[[vars.fields]]\n"
	    "name = \"title\"\n";
	struct toml_doc *doc;
	struct tvalue *v = test_tvalue_toml_vars(src, &doc);
	cJSON *j;
	char *s;

	(void)state;
	assert_int_equal(v->type, TVALUE_MAP);
	assert_int_equal(tvalue_map_get(v, "n")->type, TVALUE_INT);
	assert_int_equal(tvalue_map_get(v, "n")->u.i, 42);
	assert_int_equal(tvalue_map_get(v, "ratio")->type, TVALUE_DOUBLE);
	assert_int_equal(tvalue_map_get(v, "on")->type, TVALUE_BOOL);
	assert_int_equal(tvalue_map_get(tvalue_map_get(v, "db"), "port")->u.i,
	    5432);
	assert_int_equal(tvalue_len(tvalue_map_get(v, "fields")), 2);
	j = tvalue_to_cjson(v);
	s = cJSON_PrintUnformatted(j);
	assert_string_equal(s, "{\"name\":\"demo\",\"n\":42,\"ratio\":0.5,"
	    "\"on\":true,\"list\":[1,\"two\",[3]],"
	    "\"when\":\"1979-05-27T07:32:00Z\",\"day\":\"1979-05-27\","
	    "\"at\":\"07:32:00\",\"db\":{\"port\":5432},"
	    "\"fields\":[{\"name\":\"id\"},{\"name\":\"title\"}]}");
	free(s);
	cJSON_Delete(j);
	tvalue_unref(v);
	toml_doc_free(doc);
}

static void
test_renders_through_template(void **state)
{
	const char *src = "[vars]\nfields = [{ name = \"a\" }, { name = \"b\" }]\n"
	    "n = 3\n";
	const char *tpl = "{% for f in fields %}{{ f.name }}{% endfor %}"
	    "{{ n + 1 }}";
	struct toml_doc *doc;
	struct tvalue *v = test_tvalue_toml_vars(src, &doc);
	struct strbuf out = STRBUF_INIT;
	struct gerr err;

	(void)state;
	gerr_clear(&err);
	assert_int_equal(template_render_string(tpl, strlen(tpl), "t", 1, v,
	    NULL, &out, &err), 0);
	assert_string_equal(out.buf, "ab4");
	strbuf_release(&out);
	tvalue_unref(v);
	toml_doc_free(doc);
}

static void
test_missing_vars_is_empty_map(void **state)
{
	struct toml_doc *doc;
	struct tvalue *v = test_tvalue_toml_vars("[project]\nname = \"x\"\n",
	    &doc);

	(void)state;
	assert_int_equal(v->type, TVALUE_MAP);
	assert_int_equal(tvalue_len(v), 0);
	tvalue_unref(v);
	toml_doc_free(doc);
}

static void
test_scalar_node(void **state)
{
	struct toml_doc *doc;
	struct tvalue *v;
	struct gerr err;

	(void)state;
	gerr_clear(&err);
	assert_int_equal(toml_parse("x = -7\ny = inf\n", 15, "m", &doc, &err), 0);
	v = tvalue_from_toml(toml_get(toml_doc_root(doc), "x"));
	assert_int_equal(v->type, TVALUE_INT);
	assert_int_equal(v->u.i, -7);
	tvalue_unref(v);
	v = tvalue_from_toml(toml_get(toml_doc_root(doc), "y"));
	assert_int_equal(v->type, TVALUE_DOUBLE);
	assert_true(v->u.d > 1e308);
	tvalue_unref(v);
	toml_doc_free(doc);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_types_kept),
		cmocka_unit_test(test_renders_through_template),
		cmocka_unit_test(test_missing_vars_is_empty_map),
		cmocka_unit_test(test_scalar_node),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
