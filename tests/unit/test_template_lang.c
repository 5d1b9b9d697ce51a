/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Unit tests for the multi-template language of common/template_*.c
 * (issue 13): include / import / macro / extends through an in-memory
 * loader, cycles and missing names as compile errors at file:line:col with
 * the chain, dependencies, render bounds (macro recursion, range), filter
 * sections, functions (SOURCE_DATE_EPOCH, get_env from the env map) and
 * the named refusal of ggen's RDF functions.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "strbuf.h"
#include "template.h"
#include "tvalue_json.h"
#include "xmalloc.h"

/* An in-memory set of templates: NULL-terminated name, source pairs. */
static int
tl_load(void *ctx, const char *from, const char *name, char **src,
    size_t *len, char **resolved, struct gerr *err)
{
	const char *const *files = ctx;

	(void)from;
	(void)err;
	for (size_t i = 0; files[i] != NULL; i += 2)
		if (strcmp(files[i], name) == 0) {
			*len = strlen(files[i + 1]);
			*src = xmemdup(files[i + 1], *len + 1);
			*resolved = xstrdup(name);
			return 0;
		}
	return GERR_NOT_FOUND;
}

/* Compile main with files, render with json; returns the GERR code. */
static int
tl_run(const char *const *files, const char *main, const char *json,
    const struct tvalue *env, struct strbuf *out, struct gerr *err,
    struct template **keep)
{
	struct template_loader l = { .load = tl_load, .ctx = (void *)files };
	struct template_render_opts opts = { .env = env,
		.max_iterations = 1000 };
	struct tvalue *ctx = NULL;
	struct template *t = NULL;
	int rc;

	gerr_clear(err);
	if (json != NULL)
		assert_int_equal(tvalue_from_json_text(json, strlen(json), "c",
		    &ctx, err), 0);
	rc = template_compile_with(main, strlen(main), "main.tmpl", 1, &l, &t,
	    err);
	if (rc == 0)
		rc = template_render(t, ctx, &opts, out, err);
	if (keep != NULL && rc == 0)
		*keep = t;
	else
		template_free(t);
	tvalue_unref(ctx);
	return rc;
}

static void
tl_ok(const char *const *files, const char *main, const char *json,
    const char *want)
{
	struct strbuf sb = STRBUF_INIT;
	struct gerr err;
	int rc = tl_run(files, main, json, NULL, &sb, &err, NULL);

	if (rc != 0 || strcmp(sb.buf != NULL ? sb.buf : "", want) != 0)
		fail_msg("`%s`: rc=%d out=`%s` want=`%s` err=%s:%d:%d: %s", main,
		    rc, sb.buf != NULL ? sb.buf : "", want, err.file, err.line,
		    err.col, err.msg);
	strbuf_release(&sb);
}

static void
tl_bad(const char *const *files, const char *main, int code,
    const char *file, int line, int col, const char *frag)
{
	struct strbuf sb = STRBUF_INIT;
	struct gerr err;
	int rc = tl_run(files, main, "{\"n\":3}", NULL, &sb, &err, NULL);

	if (rc != code || strcmp(err.file, file) != 0 || err.line != line ||
	    err.col != col || strstr(err.msg, frag) == NULL)
		fail_msg("`%s`: rc=%d (want %d) at %s:%d:%d (want %s:%d:%d): %s "
		    "(want `%s`)", main, rc, code, err.file, err.line, err.col,
		    file, line, col, err.msg, frag);
	strbuf_release(&sb);
}

static const char *const files[] = {
	"part", "<{{ n }}>",
	"dir/inner", "i{{ n }}",
	"outer", "(o {% include 'dir/inner' %})",
	"m", "{% macro add(a, b=10) %}{{ a + b }}{% endmacro add %}\n"
	"{% macro fact(k) %}{% if k <= 1 %}1{% else %}{% set r = "
	"self::fact(k=k - 1) | int %}{{ k * r }}{% endif %}"
	"{% endmacro fact %}\n"
	"{% macro loop(k) %}{{ self::loop(k=k) }}{% endmacro loop %}",
	"base", "[{% block a %}A{% endblock a %}|{% block b %}B{% endblock %}]",
	"mid", "{% extends 'base' %}{% block a %}mid {{ super() }}"
	"{% endblock a %}",
	"cyc1", "{% include 'cyc2' %}",
	"cyc2", "{% include 'cyc1' %}",
	"selfext", "{% extends 'selfext' %}",
	"bad", "x\n{{ nope( }}",
	"mt", "text {% macro g() %}G{% endmacro g %}",
	"mv", "{% macro seen() %}{{ a is defined }}{% endmacro seen %}"
	"{% macro show(a) %}{% for b in [a] %}{{ b }}{% endfor %}{{ a }}"
	"{% endmacro show %}",
	"setf", "{% set a = 'I' %}{{ a }}",
	NULL, NULL,
};

static void
test_include(void **state)
{
	(void)state;
	tl_ok(files, "A{% include 'part' %}Z", "{\"n\":1}", "A<1>Z");
	tl_ok(files, "{% include 'outer' %}", "{\"n\":2}", "(o i2)");
	tl_ok(files, "{% include ['no', 'part'] %}", "{\"n\":3}", "<3>");
	tl_ok(files, "a{% include 'no' ignore missing %}b", NULL, "ab");
	tl_ok(files, "{% for n in [1, 2] %}{% include 'part' %}{% endfor %}",
	    NULL, "<1><2>");
	/* A set inside an included file hides the loop variable there only. */
	tl_ok(files, "{% for a in [1, 2] %}{% include 'setf' %}{{ a }}"
	    "{% endfor %}", NULL, "I1I2");
	tl_bad(files, "x\n  {% include 'nope' %}", GERR_TEMPLATE, "main.tmpl",
	    2, 14, "\"nope\" not found");
	tl_bad(files, "{% include 'cyc1' %}", GERR_TEMPLATE, "cyc2", 1, 4,
	    "include cycle: cyc1 -> cyc2 -> cyc1");
	tl_bad(files, "{% include 'bad' %}", GERR_TEMPLATE, "bad", 2, 4,
	    "(loaded from main.tmpl:1:4)");
	/* Without a loader nothing is found, with a clear message. */
	{
		struct template *t;
		struct gerr err;

		gerr_clear(&err);
		assert_int_equal(template_compile("{% include 'x' %}", 17, "t",
		    &t, &err), GERR_TEMPLATE);
		if (strstr(err.msg, "not found") == NULL)
			fail_msg("no loader: %s", err.msg);
	}
}

static void
test_macros(void **state)
{
	(void)state;
	tl_ok(files, "{% import 'm' as m %}{{ m::add(a=1) }} "
	    "{{ m::add(a=1, b=2) | int + 1 }}", NULL, "11 4");
	tl_ok(files, "{% import 'm' as m %}{{ m::fact(k=5) }}", NULL, "120");
	tl_bad(files, "{% import 'm' as m %}{{ m::add() }}", GERR_TEMPLATE,
	    "main.tmpl", 1, 25, "missing the argument `a`");
	tl_bad(files, "{% import 'm' as m %}{{ m::nope(a=1) }}", GERR_TEMPLATE,
	    "main.tmpl", 1, 25, "macro `m::nope` not found");
	tl_bad(files, "{% import 'm' as m %}{{ m::add(a=1, c=2) }}",
	    GERR_TEMPLATE, "main.tmpl", 1, 25, "no argument `c`");
	tl_bad(files, "{{ q::add(a=1) }}", GERR_TEMPLATE, "main.tmpl", 1, 4,
	    "unknown macro namespace `q`");
	tl_bad(files, "{% macro f() %}x{% endmacro f %}{{ self::f() }}",
	    GERR_TEMPLATE, "main.tmpl", 1, 4, "invalid macro definition `f`");
	/* A template of macros and text can still be imported (as Tera). */
	tl_ok(files, "{% import 'mt' as t %}{{ t::g() }}", NULL, "G");
	/* A macro never sees its caller's loop variable; its own parameter
	 * of that name, and the loop's after the call, stay right. */
	tl_ok(files, "{% import 'mv' as v %}{% for a in [1, 2] %}"
	    "{{ v::seen() }}{{ v::show(a=a * 10) }}{{ a }};{% endfor %}", NULL,
	    "false10101;false20202;");
	/* Unbounded recursion is stopped with a clear error. */
	tl_bad(files, "{% import 'm' as m %}{{ m::loop(k=1) }}", GERR_LIMIT,
	    "m", 3, 23, "macro calls nested deeper than");
}

static void
test_extends(void **state)
{
	(void)state;
	tl_ok(files, "{% extends 'base' %}{% block b %}b{% endblock b %}", NULL,
	    "[A|b]");
	tl_ok(files, "{% extends 'mid' %}{% block a %}c {{ super() }}"
	    "{% endblock a %}", NULL, "[c mid A|B]");
	tl_bad(files, "x{% extends 'base' %}", GERR_TEMPLATE, "main.tmpl", 1, 5,
	    "`extends` must be the first tag");
	tl_bad(files, "{% extends 'selfext' %}", GERR_TEMPLATE, "selfext", 1, 4,
	    "extends cycle: selfext -> selfext");
	tl_bad(files, "{% for x in [1] %}{% block a %}{% endblock a %}"
	    "{% endfor %}", GERR_TEMPLATE, "main.tmpl", 1, 22,
	    "`block` cannot be inside a `for` loop");
}

static void
test_dependencies(void **state)
{
	struct strbuf sb = STRBUF_INIT;
	struct template *t = NULL;
	struct gerr err;

	(void)state;
	assert_int_equal(tl_run(files, "{% extends 'mid' %}{% import 'm' as m "
	    "%}{% block b %}{% include 'outer' %}{% endblock b %}", "{\"n\":1}",
	    NULL, &sb, &err, &t), 0);
	assert_string_equal(sb.buf, "[mid A|(o i1)]");
	assert_int_equal(template_dep_count(t), 5);
	assert_string_equal(template_dep_name(t, 0), "mid");
	assert_string_equal(template_dep_name(t, 1), "base");
	assert_string_equal(template_dep_name(t, 2), "m");
	assert_string_equal(template_dep_name(t, 3), "outer");
	assert_string_equal(template_dep_name(t, 4), "dir/inner");
	assert_null(template_dep_name(t, 5));
	template_free(t);
	strbuf_release(&sb);
}

static void
test_filter_sections_and_functions(void **state)
{
	struct tvalue *env = tvalue_map_new();
	struct strbuf sb = STRBUF_INIT;
	struct gerr err;

	(void)state;
	tl_ok(files, "{% filter upper %}a{{ n }}{% filter lower %}B"
	    "{% endfilter %}{% endfilter %}", "{\"n\":\"x\"}", "AXB");
	tl_ok(files, "{{ range(end=3) | join(sep=',') }}|{% for i in "
	    "range(start=1, end=8, step_by=3) %}{{ i }}{% endfor %}", NULL,
	    "0,1,2|147");
	tl_ok(files, "{{ get_env(name='NOPE', default='d') }}", NULL, "d");
	tl_ok(files, "{% set r = get_random(start=5, end=6) %}{{ r }}", NULL,
	    "5");
	/* range's size counts against the iteration cap (1000 here). */
	tl_bad(files, "{{ range(end=5000) | length }}", GERR_LIMIT, "main.tmpl",
	    1, 4, "over the iteration cap");
	tl_bad(files, "{{ throw(message='stop here') }}", GERR_TEMPLATE,
	    "main.tmpl", 1, 4, "stop here");
	tl_bad(files, "{{ sparql(query='x') }}", GERR_TEMPLATE, "main.tmpl", 1,
	    4, "unsupported function `sparql`");
	tl_bad(files, "{{ schema_to_rust() }}", GERR_TEMPLATE, "main.tmpl", 1,
	    4, "RDF");
	tl_bad(files, "{{ nosuch() }}", GERR_TEMPLATE, "main.tmpl", 1, 4,
	    "unknown function `nosuch`");
	tl_bad(files, "{% with x = 1 %}{% endwith %}", GERR_TEMPLATE,
	    "main.tmpl", 1, 4, "unsupported tag `with`: it is jinja2's");
	/* now(): SOURCE_DATE_EPOCH from the env map makes it reproducible;
	 * get_env reads the same map, never the process environment. */
	tvalue_map_set(env, "SOURCE_DATE_EPOCH", tvalue_string("86400"));
	tvalue_map_set(env, "WHO", tvalue_string("ada"));
	assert_int_equal(tl_run(files, "{{ now() }}|{{ now(timestamp=true) }}|"
	    "{{ get_env(name='WHO') }}", NULL, env, &sb, &err, NULL), 0);
	assert_string_equal(sb.buf, "1970-01-02T00:00:00+00:00|86400|ada");
	strbuf_release(&sb);
	tvalue_unref(env);
}

static void
test_ggen_case_spellings(void **state)
{
	(void)state;
	tl_ok(files, "{{ 'HTTPServer' | snake_case }} {{ 'user_id' | "
	    "pascal_case }} {{ 'user_id' | camel_case }} {{ 'UserId' | "
	    "kebab_case }} {{ 'userId' | shouty_snake_case }} {{ 'a b' | "
	    "constant_case }}", NULL,
	    "http_server UserId userId user-id USER_ID A_B");
	tl_ok(files, "{{ 'boxes' | singular }} {{ 'cities' | singular }} "
	    "{{ 'users' | singularize }} {{ 'class' | singular }} "
	    "{{ 'city' | pluralize }} {{ 2 | pluralize }}", NULL,
	    "box city user class cities s");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_include),
		cmocka_unit_test(test_macros),
		cmocka_unit_test(test_extends),
		cmocka_unit_test(test_dependencies),
		cmocka_unit_test(test_filter_sections_and_functions),
		cmocka_unit_test(test_ggen_case_spellings),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
