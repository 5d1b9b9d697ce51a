/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Unit tests for common/template_*.c: syntax, Tera whitespace control, loops
 * (loop.*, else, break, continue), set/set_global scoping, raw, precedence,
 * errors with exact line:col and message, truncation at every byte, caps,
 * reuse of one compiled template.
 */
#include "template_testutil.h"

#include "tvalue.h"

static const char *ctx1 = "{\"name\":\"World\",\"items\":[1,2,3],"
    "\"user\":{\"name\":\"bob\",\"age\":3},\"m\":{\"b\":1,\"a\":2},"
    "\"empty\":[],\"s\":\"héllo\",\"f\":1.5,\"t\":true,\"z\":0}";

static void
test_basic_syntax(void **state)
{
	static const struct tt_ok cases[] = {
		{ "", NULL, "" },
		{ "plain text", NULL, "plain text" },
		{ "Hello {{ name }}!", "{\"name\":\"W\"}", "Hello W!" },
		{ "{{name}}{{ name }}", "{\"name\":\"W\"}", "WW" },
		{ "{# comment #}x", NULL, "x" },
		{ "{{ user.name }} {{ user['age'] }} {{ items[1] }} {{ items.0 }}",
		  NULL, "bob 3 2 1" },
		/* Tera has no negative indexes: items[-1] is undefined. */
		{ "{{ 'a' }}{{ \"b\" }}{{ `c` }}", NULL, "abc" },
		{ "{{ \"a\\nb\" }}", NULL, "a\\nb" },
		/* Tera prints a whole float as an integer. */
		{ "{{ t }} {{ f }} {{ z }} {{ 2.0 }} {{ none }}", NULL,
		  "true 1.5 0 2 " },
		/* Tera's display: array items bare, maps as [object]. */
		{ "{{ items }} {{ m }}", NULL, "[1, 2, 3] [object]" },
		{ "{{ [1, 'x'] }}", NULL, "[1, x]" },
		{ "{{ 1 / 0 }}|{{ 1.5 / 0.0 }}", NULL, "NaN|NaN" },
		{ "{ not a tag } {", NULL, "{ not a tag } {" },
		{ "{{ s }}", NULL, "héllo" },
		{ "a\r\nb{{ 1 }}\r\n", NULL, "a\r\nb1\r\n" },
	};

	(void)state;
	for (size_t i = 0; i < TT_COUNT(cases); i++) {
		struct tt_ok c = cases[i];

		if (c.ctx == NULL && strstr(c.src, "{{ ") != NULL)
			c.ctx = ctx1;
		tt_run_ok(&c, 1);
	}
}

static void
test_whitespace_control(void **state)
{
	static const struct tt_ok cases[] = {
		/* Nothing trimmed without '-': no trim_blocks as in jinja2. */
		{ "a\n{% if true %}\nb\n{% endif %}\nc", NULL, "a\n\nb\n\nc" },
		{ "a  \n {%- if true %}b{% endif %}", NULL, "ab" },
		{ "{% if true -%}  \n\t b{% endif %}", NULL, "b" },
		{ "a \n {{- 1 -}} \n b", NULL, "a1b" },
		{ "a \n {{- 1 }} \n b", NULL, "a1 \n b" },
		{ "a {#- c -#} b", NULL, "ab" },
		{ "a {# c -#} b", NULL, "a b" },
		{ "x\n{%- for i in [1,2] -%}\n {{ i }}\n{%- endfor -%}\ny",
		  NULL, "x12y" },
		{ "{% raw -%}  {{ a }}  {%- endraw %}", NULL, "{{ a }}" },
		{ " {%- raw %} a {% endraw -%} ", NULL, " a " },
		{ "{{ 1 }}   ", NULL, "1   " },
		{ "   {{- 1 }}", NULL, "1" },
	};

	(void)state;
	tt_run_ok(cases, TT_COUNT(cases));
}

static void
test_if_and_expressions(void **state)
{
	static const struct tt_ok cases[] = {
		{ "{% if t %}y{% else %}n{% endif %}", NULL, "y" },
		{ "{% if z %}a{% elif f > 1 %}b{% else %}c{% endif %}", NULL,
		  "b" },
		{ "{% if missing %}a{% else %}b{% endif %}", NULL, "b" },
		{ "{% if not missing %}a{% endif %}", NULL, "a" },
		{ "{% if user.missing %}a{% else %}b{% endif %}", NULL, "b" },
		{ "{% if missing.deeper.still %}a{% endif %}", NULL, "" },
		{ "{% if missing or t %}a{% endif %}", NULL, "a" },
		{ "{% if t and missing %}a{% else %}b{% endif %}", NULL, "b" },
		{ "{{ 1 + 2 * 3 }} {{ (1 + 2) * 3 }} {{ 10 - 2 - 3 }}", NULL,
		  "7 9 5" },
		{ "{{ 7 % 3 }} {{ 7 / 2 }} {{ 6 / 3 }} {{ -2 * 3 }}", NULL,
		  "1 3.5 2 -6" },
		{ "{{ 1.5 + 1 }} {{ 2 * 1.25 }}", NULL, "2.5 2.5" },
		{ "{{ 'a' ~ 1 ~ 2.5 }}", NULL, "a12.5" },
		{ "{{ 1 + 1 == 2 }} {{ 1 < 2 and 2 < 1 }} {{ not 1 == 2 }}", NULL,
		  "true false true" },
		{ "{{ true or false and false }}", NULL, "true" },
		{ "{{ 2 in items }} {{ 9 in items }} {{ 'ell' in 'hello' }}",
		  NULL, "true false true" },
		{ "{{ 'a' in m }} {{ 'q' not in m }}", NULL, "true true" },
		{ "{{ 1 == 1.0 }} {{ 'a' != 'b' }} {{ 1 < 2 }}", NULL,
		  "true true true" },
		{ "{{ 'a' ~ 'b' | upper }}", NULL, "AB" },
		{ "{{ items | length + 1 }}", NULL, "4" },
		{ "{% if items | length > 2 %}big{% endif %}", NULL, "big" },
		{ "{% if user.age is odd %}odd{% endif %}", NULL, "odd" },
		{ "{% if user.age is not even %}odd{% endif %}", NULL, "odd" },
		{ "{{ missing is defined }} {{ name is undefined }}", NULL,
		  "false false" },
		{ "{% if missing is undefined %}u{% endif %}", NULL, "u" },
	};

	(void)state;
	for (size_t i = 0; i < TT_COUNT(cases); i++) {
		struct tt_ok c = cases[i];

		c.ctx = ctx1;
		tt_run_ok(&c, 1);
	}
}

static void
test_loops(void **state)
{
	static const struct tt_ok cases[] = {
		{ "{% for i in items %}{{ loop.index }}{{ loop.index0 }}"
		  "{{ loop.first }}{{ loop.last }};{% endfor %}", NULL,
		  "10truefalse;21falsefalse;32falsetrue;" },
		/* Maps iterate in byte order of their keys (Tera). */
		{ "{% for k, v in m %}{{ k }}={{ v }},{% endfor %}", NULL,
		  "a=2,b=1," },
		{ "{% for i in empty %}x{% else %}none{% endfor %}", NULL,
		  "none" },
		{ "{% for i in items %}x{% else %}none{% endfor %}", NULL,
		  "xxx" },
		{ "{% for i in items %}{% if i == 2 %}{% break %}{% endif %}"
		  "{{ i }}{% endfor %}", NULL, "1" },
		{ "{% for i in items %}{% if i == 2 %}{% continue %}{% endif %}"
		  "{{ i }}{% endfor %}", NULL, "13" },
		{ "{% for a in [[1,2],[3]] %}{% for b in a %}{{ loop.index }}"
		  "{{ b }}{% endfor %}/{{ loop.index }} {% endfor %}", NULL,
		  "1122/1 13/2 " },
		{ "{% set w = 'hé!' %}{% for c in w %}[{{ c }}]{% endfor %}", NULL,
		  "[h][é][!]" },
		{ "{% for i in items %}{% for j in items %}{% if j > 1 %}"
		  "{% break %}{% endif %}{{ i }}{{ j }} {% endfor %}{% endfor %}",
		  NULL, "11 21 31 " },
	};

	(void)state;
	for (size_t i = 0; i < TT_COUNT(cases); i++) {
		struct tt_ok c = cases[i];

		c.ctx = ctx1;
		tt_run_ok(&c, 1);
	}
}

static void
test_set_scoping(void **state)
{
	static const struct tt_ok cases[] = {
		{ "{% set x = 1 %}{{ x }}", NULL, "1" },
		{ "{% set name = 'shadow' %}{{ name }}", NULL, "shadow" },
		{ "{% set x = 1 %}{% for i in items %}{% set x = i %}{% endfor %}"
		  "{{ x }}", NULL, "1" },
		{ "{% set x = 1 %}{% for i in items %}{% set_global x = i %}"
		  "{% endfor %}{{ x }}", NULL, "3" },
		{ "{% for i in items %}{% set y = i * 10 %}{{ y }},{% endfor %}",
		  NULL, "10,20,30," },
		{ "{% for i in items %}{% if i > 1 %}{% set acc = i %}{% endif %}"
		  "{% endfor %}{% if acc is defined %}leak{% else %}ok{% endif %}",
		  NULL, "ok" },
		{ "{% if true %}{% set x = 5 %}{% endif %}{{ x }}", NULL, "5" },
		{ "{% set loop = 1 %}{% for i in [7] %}{{ loop.index }}"
		  "{% endfor %}", NULL, "1" },
	};

	(void)state;
	for (size_t i = 0; i < TT_COUNT(cases); i++) {
		struct tt_ok c = cases[i];

		c.ctx = ctx1;
		tt_run_ok(&c, 1);
	}
}

static void
test_raw(void **state)
{
	static const struct tt_ok cases[] = {
		{ "{% raw %}{{ x }}{% if %}{# c #}{% endraw %}", NULL,
		  "{{ x }}{% if %}{# c #}" },
		{ "a{%raw%}b{%endraw%}c", NULL, "abc" },
		{ "{% raw %}{% endraw %}", NULL, "" },
	};

	(void)state;
	tt_run_ok(cases, TT_COUNT(cases));
}

static void
test_env_lookup(void **state)
{
	struct tvalue *env = tvalue_map_new(), *ctx = tvalue_map_new();
	struct template_render_opts opts = { .env = env };
	struct strbuf sb = STRBUF_INIT;
	struct gerr err;
	const char *src = "{{ env.HOME }}|{% for k in ctx_keys %}{% endfor %}"
	    "{% if env is defined %}e{% endif %}";

	(void)state;
	gerr_clear(&err);	/* first error wins: start clean */
	tvalue_map_set(env, "HOME", tvalue_string("/home/u"));
	tvalue_map_set(ctx, "ctx_keys", tvalue_array_new());
	assert_int_equal(template_render_string(src, strlen(src), "t", 1, ctx,
	    &opts, &sb, &err), 0);
	assert_string_equal(sb.buf, "/home/u|e");
	/* env is never part of the root context: without it, undefined. */
	strbuf_reset(&sb);
	assert_int_equal(template_render_string("{{ env.HOME }}", 14, "t", 1,
	    ctx, NULL, &sb, &err), GERR_UNDEFINED);
	strbuf_release(&sb);
	tvalue_unref(env);
	tvalue_unref(ctx);
}

static void
test_errors(void **state)
{
	static const struct tt_bad cases[] = {
		{ "{{ nmae }}", "{\"name\":1}", GERR_UNDEFINED, 1, 4,
		  "variable `nmae` is not defined; did you mean `name`?" },
		{ "a\nb {{ x }}", "{\"alpha\":1}", GERR_UNDEFINED, 2, 6,
		  "(defined: alpha)" },
		{ "{{ user.nmae }}", "{\"user\":{\"name\":1}}", GERR_UNDEFINED,
		  1, 4, "`user.nmae` is not defined; did you mean `name`?" },
		{ "{{ items.x }}", "{\"items\":[1]}", GERR_UNDEFINED, 1, 4,
		  "variable `items.x` is not defined" },
		{ "{{ missing | upper }}", "{}", GERR_UNDEFINED, 1, 4,
		  "`missing`" },
		{ "{% for i in nope %}{% endfor %}", "{}", GERR_UNDEFINED, 1, 13,
		  "`nope`" },
		{ "{{ x + 1 }}", "{}", GERR_UNDEFINED, 1, 4, "`x`" },
		{ "{% set y = q %}", "{}", GERR_UNDEFINED, 1, 12, "`q`" },
		{ "{{ name | uper }}", "{}", GERR_TEMPLATE, 1, 11,
		  "unknown filter `uper`; did you mean `upper`?" },
		{ "{{ 1 | zzzzzz }}", "{}", GERR_TEMPLATE, 1, 8,
		  "unknown filter `zzzzzz`" },
		{ "{% if 1 is oddd %}{% endif %}", "{}", GERR_TEMPLATE, 1, 12,
		  "unknown test `oddd`; did you mean `odd`?" },
		{ "{% fro x in y %}", "{}", GERR_TEMPLATE, 1, 4,
		  "unknown tag `fro`; did you mean `for`?" },
		{ "{% endif %}", "{}", GERR_TEMPLATE, 1, 4, "unexpected `endif`" },
		{ "{% if true %}", "{}", GERR_TEMPLATE, 1, 4, "unclosed `if`" },
		{ "{% if true %}{% else %}", "{}", GERR_TEMPLATE, 1, 4,
		  "unclosed `if`: expected {% endif %}" },
		{ "{% for a in [] %}{% else %}x", "{}", GERR_TEMPLATE, 1, 4,
		  "unclosed `for`: expected {% endfor %}" },
		{ "x\n  {% for a in b %}", "{}", GERR_TEMPLATE, 2, 6,
		  "unclosed `for`" },
		{ "{{ 1 + }}", "{}", GERR_TEMPLATE, 1, 8,
		  "expected a value, found `}}`" },
		{ "{{ 1 ", "{}", GERR_TEMPLATE, 1, 1, "unclosed tag" },
		{ "{# x", "{}", GERR_TEMPLATE, 1, 1, "unclosed comment" },
		{ "{{ 'abc }}", "{}", GERR_TEMPLATE, 1, 4, "unterminated string" },
		{ "{% raw %}x", "{}", GERR_TEMPLATE, 1, 1, "unclosed `raw`" },
		{ "{{ a $ b }}", "{\"a\":1}", GERR_TEMPLATE, 1, 6,
		  "unexpected character `$`" },
		{ "{% break %}", "{}", GERR_TEMPLATE, 1, 4, "outside a for loop" },
		{ "{{ 'a' | replace(from='a') }}", "{}", GERR_TEMPLATE, 1, 10,
		  "needs argument `to`" },
		{ "{{ 'a' | upper(x=1) }}", "{}", GERR_TEMPLATE, 1, 16,
		  "has no argument `x`" },
		{ "{{ 'a' | default(1, 2, 3) }}", "{}", GERR_TEMPLATE, 1, 24,
		  "too many arguments" },
		{ "{{ 1 % 0 }}", "{}", GERR_TEMPLATE, 1, 4, "modulo by zero" },
		{ "{{ 'a' < 'b' }}", "{}", GERR_TEMPLATE, 1, 4, "cannot compare" },
		{ "{% for c in 'ab' %}{% endfor %}", "{}", GERR_TEMPLATE, 1, 13,
		  "not a string literal" },
		{ "{{ 5 % 0 }}", "{}", GERR_TEMPLATE, 1, 4, "modulo by zero" },
		{ "{{ 'a' + 'b' }}", "{}", GERR_TEMPLATE, 1, 4, "use `~`" },
		{ "{{ 1 < 'a' }}", "{}", GERR_TEMPLATE, 1, 4, "cannot compare" },
		{ "{% for i in 3 %}{% endfor %}", "{}", GERR_TEMPLATE, 1, 13,
		  "cannot iterate over integer" },
		{ "{{ 5 | upper }}", "{}", GERR_TEMPLATE, 1, 7,
		  "filter `upper`: expected a string, found integer" },
		{ "{{ 9223372036854775807 + 1 }}", "{}", GERR_TEMPLATE, 1, 4,
		  "integer overflow" },
		{ "{% for k, v in [1] %}{% endfor %}", "{}", GERR_TEMPLATE, 1, 16,
		  "needs a map" },
		{ "{% if true %}{% else %}{% elif x %}{% endif %}", "{}",
		  GERR_TEMPLATE, 1, 27, "unexpected `elif`" },
	};

	(void)state;
	tt_run_bad(cases, TT_COUNT(cases));
}

static void
test_first_line_offset(void **state)
{
	struct template *t;
	struct gerr err;

	(void)state;
	gerr_clear(&err);
	assert_int_equal(template_compile_at("ok\n{{ }}", 8, "f.tmpl", 5, &t,
	    &err), GERR_TEMPLATE);
	assert_int_equal(err.line, 6);
	assert_int_equal(err.col, 4);
	assert_string_equal(err.file, "f.tmpl");
}

static void
test_truncation_never_crashes(void **state)
{
	const char *src = "{%- for k, v in m -%}\n{{ loop.index }}{{ k | upper "
	    "}}={{ v + 1 }}{% if v is odd %}o{% elif k in 'ab' %}x{% else %}"
	    "e{% endif %}{# c #}{% raw %}{{r}}{% endraw %}{% set_global q = "
	    "[1, 'a', 2.5] %}{{ q[0] ~ 'z' | replace(from='z', to='y') }}"
	    "{% endfor %}";
	size_t n = strlen(src);
	struct tvalue *ctx;
	struct gerr err;

	(void)state;
	assert_int_equal(tvalue_from_json_text(ctx1, strlen(ctx1), "c", &ctx,
	    &err), 0);
	for (size_t i = 0; i <= n; i++) {
		struct strbuf sb = STRBUF_INIT;
		char *p = malloc(i + 1);
		int rc;

		memcpy(p, src, i);
		gerr_clear(&err);
		rc = template_render_string(p, i, "t", 1, ctx, NULL, &sb, &err);
		/* Either a full render or an error with a position. */
		if (rc != 0)
			assert_true(err.line >= 1 && err.col >= 1);
		if (i == n)
			assert_int_equal(rc, 0);
		free(p);
		strbuf_release(&sb);
	}
	tvalue_unref(ctx);
}

static void
test_caps(void **state)
{
	struct template_render_opts opts = { .max_output_bytes = 10 };
	struct strbuf sb = STRBUF_INIT;
	struct strbuf deep = STRBUF_INIT;
	struct gerr err;
	const char *src = "{% for i in items %}{{ i }}abcd{% endfor %}";
	struct tvalue *ctx;
	int i;

	(void)state;
	assert_int_equal(tvalue_from_json_text(ctx1, strlen(ctx1), "c", &ctx,
	    &err), 0);
	gerr_clear(&err);
	assert_int_equal(template_render_string(src, strlen(src), "t", 1, ctx,
	    &opts, &sb, &err), GERR_TOO_LARGE);
	assert_non_null(strstr(err.msg, "output exceeds 10 bytes"));
	strbuf_reset(&sb);
	/* The text that crosses the cap is named, not the `{{` after it
	 * (the parser joins them into one node). */
	src = "{{ 'abcdef' }}\n  {{ 1 }}xxxxxx{{ 2 }}";
	gerr_clear(&err);
	assert_int_equal(template_render_string(src, strlen(src), "t", 1, ctx,
	    &opts, &sb, &err), GERR_TOO_LARGE);
	assert_int_equal(err.line, 2);
	assert_int_equal(err.col, 10);
	strbuf_reset(&sb);
	/* ... and so is text right after a `}}`. */
	src = "{{ 'abcdefgh' }}xyz{{ 3 }}";
	gerr_clear(&err);
	assert_int_equal(template_render_string(src, strlen(src), "t", 1, ctx,
	    &opts, &sb, &err), GERR_TOO_LARGE);
	assert_int_equal(err.line, 1);
	assert_int_equal(err.col, 17);
	strbuf_reset(&sb);
	opts.max_output_bytes = 0;
	opts.max_iterations = 5;
	gerr_clear(&err);
	src = "{% for i in items %}{% for j in items %}{% endfor %}{% endfor %}";
	assert_int_equal(template_render_string(src, strlen(src), "t", 1, ctx,
	    &opts, &sb, &err), GERR_LIMIT);
	assert_non_null(strstr(err.msg, "more than 5 loop iterations"));
	/* Hostile nesting is refused, not recursed into. */
	for (i = 0; i < 100; i++)
		strbuf_addstr(&deep, "{% if true %}");
	gerr_clear(&err);
	assert_int_equal(template_render_string(deep.buf, deep.len, "t", 1,
	    ctx, NULL, &sb, &err), GERR_LIMIT);
	assert_non_null(strstr(err.msg, "blocks nested deeper than 64"));
	strbuf_reset(&deep);
	strbuf_addstr(&deep, "{{ ");
	for (i = 0; i < 100000; i++)
		strbuf_addch(&deep, '(');
	strbuf_addstr(&deep, "1 }}");
	gerr_clear(&err);
	assert_int_equal(template_render_string(deep.buf, deep.len, "t", 1,
	    ctx, NULL, &sb, &err), GERR_LIMIT);
	/* Prefix operators recurse; left-associative chains (a + b + ...,
	 * a.b.c..., a | f | g ...) build deep trees: all count against the
	 * same expression depth cap. */
	static const char *const units[][3] = {
		{ "", "not ", "1" }, { "1", " * 1", "" }, { "1", " + 1", "" },
		{ "1", " ~ 1", "" }, { "user", ".name", "" },
		{ "items", "[0]", "" }, { "name", " | lower", "" },
		{ "t", " and t", "" }, { "t", " or t", "" },
		{ "1", " == 1", "" }, { "1", " is odd", "" },
	};
	for (size_t u = 0; u < sizeof units / sizeof units[0]; u++) {
		strbuf_reset(&deep);
		strbuf_addf(&deep, "{{ %s", units[u][0]);
		for (i = 0; i < 100000; i++)
			strbuf_addstr(&deep, units[u][1]);
		strbuf_addf(&deep, "%s }}", units[u][2]);
		gerr_clear(&err);
		strbuf_reset(&sb);
		if (template_render_string(deep.buf, deep.len, "t", 1, ctx, NULL,
		    &sb, &err) != GERR_LIMIT)
			fail_msg("chain %zu (`%s`) not capped", u, units[u][1]);
	}
	/* Keywords are not variable names. */
	gerr_clear(&err);
	assert_int_equal(template_render_string("{{ 1 + not }}", 13, "t", 1, ctx,
	    NULL, &sb, &err), GERR_TEMPLATE);
	assert_non_null(strstr(err.msg, "expected a value, found `not`"));
	strbuf_release(&deep);
	strbuf_release(&sb);
	tvalue_unref(ctx);
}

static void
test_compiled_template_reused(void **state)
{
	struct template *t;
	struct gerr err;
	const char *src = "{% set n = 'x' %}{% for i in items %}{{ n ~ i }}"
	    "{% endfor %}";
	struct tvalue *a = tvalue_map_new(), *b = tvalue_map_new();
	struct tvalue *arr = tvalue_array_new();

	(void)state;
	tvalue_array_push(arr, tvalue_int(7));
	tvalue_map_set(a, "items", arr);
	tvalue_map_set(b, "items", tvalue_array_new());
	assert_int_equal(template_compile(src, strlen(src), "t", &t, &err), 0);
	assert_string_equal(template_name(t), "t");
	for (int i = 0; i < 3; i++) {
		struct strbuf sb = STRBUF_INIT;

		assert_int_equal(template_render(t, i == 1 ? b : a, NULL, &sb,
		    &err), 0);
		assert_string_equal(sb.buf, i == 1 ? "" : "x7");
		strbuf_release(&sb);
	}
	template_free(t);
	template_free(NULL);
	tvalue_unref(a);
	tvalue_unref(b);
}

/*
 * The render fast paths must not change behaviour: filters written
 * straight to the output (and their memo, a span of the output), interned
 * variable names, lent loop variables, conditions evaluated without values,
 * loop.* decided at compile time, word compares of record keys.
 */
static void
test_fast_paths(void **state)
{
	static const char *ctx = "{\"n\":\"HTTPServer\",\"u\":\"caféBar\","
	    "\"x\":1,\"p\":\"  pad  \",\"fields\":[{\"name\":\"userId\","
	    "\"type\":\"bool\"},{\"name\":\"HTTPStatus\",\"type\":\"int\"}],"
	    "\"rec\":{\"abc\":1,\"abd\":2,\"abcdefg\":3,\"abcdefh\":4,"
	    "\"abcdefghijklm\":5,\"abcdefghijklx\":6,\"a\":7,"
	    "\"abcdefghijklmnopqrstu\":8,\"abcdefghijklmnopqrstv\":9}}";
	static const struct tt_ok cases[] = {
		/* Emitted, then reused from the memo, as a value and back. */
		{ "{{ n | snake }} {{ n | snake }} {{ n | constant }}", NULL,
		  "http_server http_server HTTP_SERVER" },
		{ "{% set a = n | snake %}{{ n | snake }}/{{ a }}", NULL,
		  "http_server/http_server" },
		{ "{{ n | snake }}{{ n | snake | upper }}{{ n | snake }}", NULL,
		  "http_serverHTTP_SERVERhttp_server" },
		{ "{{ n | kebab }} {{ n | camel }} {{ n | pascal }}", NULL,
		  "http-server httpServer HttpServer" },
		{ "[{{ p | trim }}][{{ p | trim }}]{% set q = p | trim %}"
		  "[{{ q ~ '!' }}]",
		  NULL, "[pad][pad][pad!]" },
		/* Non-ASCII after an ASCII prefix: the general path, same
		 * bytes whether emitted or made a value. */
		{ "{{ u | snake }} {% set s = u | snake %}{{ s }} "
		  "{{ u | constant }}",
		  NULL, "café_bar café_bar CAFÉ_BAR" },
		{ "{% for f in fields %}{{ f.name | snake }},{% endfor %}"
		  "{% for f in fields %}{{ f.name | snake }};{% endfor %}", NULL,
		  "user_id,http_status,user_id;http_status;" },
		/* Conditions. */
		{ "{% for f in fields %}{% if f.type == 'bool' %}b{% elif "
		  "f.type != 'int' %}?{% else %}i{% endif %}{% endfor %}", NULL,
		  "bi" },
		{ "{% for r in [rec] %}{% if r.abc == '1' %}s{% elif r.abc != "
		  "'1' %}n{% endif %}{% if r.a == 7 %}7{% endif %}{% endfor %}"
		  "{% for f in fields %}{% if f.type != 'bool' %}{{ f.name }}"
		  "{% endif %}{% endfor %}", NULL, "n7HTTPStatus" },
		{ "{% for f in fields %}{% if f.doc is not defined %}u{% endif %}"
		  "{% if f.type is string %}s{% endif %}{% if f.name is defined %}"
		  "d{% endif %}{% if f.type is number %}n{% endif %}{% endfor %}",
		  NULL, "usdusd" },
		{ "{% if x == 1.0 %}a{% endif %}{% if 'a' == 1 %}b{% endif %}"
		  "{% if not x == 2 %}c{% endif %}", NULL, "ac" },
		{ "{% if nope and nope.deeper %}a{% else %}b{% endif %}"
		  "{% if x or nope %}c{% endif %}{% if not nope %}d{% endif %}",
		  NULL, "bcd" },
		/* loop.* and shadowing. */
		{ "{% for f in fields %}{{ loop.length }}{{ loop.foo is "
		  "defined }}{% endfor %}", NULL, "2false2false" },
		{ "{% for loop in fields %}{{ loop.name }}{% endfor %}", NULL,
		  "userIdHTTPStatus" },
		{ "{% for f in fields %}{% set loop = 1 %}{{ loop }}"
		  "{% endfor %}", NULL, "11" },
		{ "{% for x in fields %}{% for x in [7] %}{{ x }}{% endfor %}"
		  "{{ x.type }}{% endfor %}{{ x }}", NULL, "7bool7int1" },
		{ "{% for f in fields %}{% set f = 'S' %}{{ f }}{% endfor %}",
		  NULL, "SS" },
		/* The loop variable read without walking the frames: rebound,
		 * hidden and given back by sets, sections, inner loops. */
		{ "{% for f in fields %}{{ f.type }}{% set f = 'S' %}{{ f }}"
		  "{% endfor %}", NULL, "boolSintS" },
		{ "{% for f in fields %}{% set a = 1 %}{% set b = 2 %}"
		  "{% set c = 3 %}{{ f.type }}{{ a }}{{ b }}{{ c }}{% endfor %}",
		  NULL, "bool123int123" },
		{ "{% for f in fields %}{% filter upper %}{{ f.type }}"
		  "{% endfilter %}{% endfor %}", NULL, "BOOLINT" },
		{ "{% for f in fields %}{% for g in [1] %}{{ f.type }}{% endfor %}"
		  "{{ f.name }}{% endfor %}", NULL, "booluserIdintHTTPStatus" },
		{ "{% for f in fields %}{% for f in [1] %}{% endfor %}{{ f.type }}"
		  "{% endfor %}", NULL, "boolint" },
		{ "{% for f in fields %}{% set_global f = 'G' %}{{ f.type }}"
		  "{% endfor %}{{ f }}", NULL, "boolintG" },
		{ "{% for k, v in rec %}{% for f in fields %}{% endfor %}{{ k }}"
		  "{% endfor %}", NULL, "aabcabcdefgabcdefghijklm"
		  "abcdefghijklmnopqrstuabcdefghijklmnopqrstvabcdefghijklx"
		  "abcdefhabd" },
		/* Condition shapes decided at compile time (loop.first/last,
		 * v.attr == literal, v.attr is TEST, under `not`s, inside
		 * and/or) and their fall-backs: a map loop, a `set` in the
		 * body, `loop` shadowed or outside a loop, a number where a
		 * string was compared. */
		{ "{% for f in fields %}{% if not loop.last %},{% endif %}"
		  "{% if loop.first %}F{% endif %}{% if not not loop.first %}f"
		  "{% endif %}{{ f.name }}{% endfor %}", NULL,
		  ",FfuserIdHTTPStatus" },
		{ "{% for k, v in rec %}{% if loop.first %}[{% endif %}"
		  "{% if not loop.last %}{{ k }},{% endif %}{% endfor %}", NULL,
		  "[a,abc,abcdefg,abcdefghijklm,abcdefghijklmnopqrstu,"
		  "abcdefghijklmnopqrstv,abcdefghijklx,abcdefh," },
		{ "{% for f in fields %}{% set z = 1 %}{% if not loop.last %}-"
		  "{% endif %}{% if loop.first %}{{ z }}{% endif %}{% endfor %}",
		  NULL, "-1" },
		{ "{% for f in fields %}{% set loop = 1 %}{% if loop.first %}F"
		  "{% else %}n{% endif %}{% endfor %}", NULL, "nn" },
		{ "{% if loop.first %}a{% else %}b{% endif %}{% if not "
		  "loop.last %}c{% endif %}", NULL, "bc" },
		{ "{% for f in fields %}{% for g in [1, 2] %}{% if loop.last %}"
		  "{{ f.type }}{% endif %}{% endfor %}{% if loop.last %}."
		  "{% endif %}{% endfor %}", NULL, "boolint." },
		{ "{% for f in fields %}{% if not f.type == 'bool' %}N{% else %}"
		  "Y{% endif %}{% if not f.doc is defined %}u{% endif %}"
		  "{% if not f.name is not defined %}d{% endif %}{% endfor %}",
		  NULL, "YudNud" },
		{ "{% for r in [rec] %}{% if r.a == '7' %}s{% else %}n{% endif %}"
		  "{% if not r.a != '7' %}x{% endif %}{% if r.abc is odd %}o"
		  "{% endif %}{% endfor %}", NULL, "no" },
		{ "{% for f in fields %}{% if f.type == 'bool' and not loop.last %}"
		  "A{% elif f.type == 'int' or loop.first %}B{% endif %}"
		  "{% if loop.last or f.type == 'x' %}L{% endif %}{% endfor %}",
		  NULL, "ABL" },
		/* Filters with literal arguments: per call site, on an
		 * undefined input, on a value that is not a plain path. */
		{ "{% for f in fields %}{{ f.doc | default(value='d') }}"
		  "{{ f.name | default(value='x') }}{{ f.name | "
		  "truncate(length=3) }}{{ f.name | truncate(length=5) }}"
		  "{{ loop.index | default(value=0) }}{% endfor %}", NULL,
		  "duserIduse…userI…1dHTTPStatusHTT…HTTPS…2" },
		/* Record keys of every length class, near misses. */
		{ "{{ rec.a }}{{ rec.abc }}{{ rec.abd }}{{ rec.abcdefg }}"
		  "{{ rec.abcdefh }}{{ rec.abcdefghijklm }}"
		  "{{ rec.abcdefghijklx }}{{ rec.abcdefghijklmnopqrstu }}"
		  "{{ rec.abcdefghijklmnopqrstv }}", NULL, "712345689" },
		{ "{{ rec.abcdefghijklz is defined }}{{ rec.abe is defined }}",
		  NULL, "falsefalse" },
	};

	(void)state;
	for (size_t i = 0; i < TT_COUNT(cases); i++) {
		struct tt_ok c = cases[i];

		c.ctx = ctx;
		tt_run_ok(&c, 1);
	}
}

static void
test_fast_path_errors(void **state)
{
	static const struct tt_bad cases[] = {
		{ "{{ x | snake }}", "{\"x\":1}", GERR_TEMPLATE, 1, 7,
		  "filter `snake`: expected a string, found integer" },
		/* Same position and message as the value path. */
		{ "{% set s = x | snake %}", "{\"x\":1}", GERR_TEMPLATE, 1, 15,
		  "filter `snake`: expected a string, found integer" },
		{ "a\n  {{ x | trim }}", "{\"x\":[1]}", GERR_TEMPLATE, 2, 9,
		  "filter `trim`: expected a string, found array" },
		{ "{{ nope | camel }}", "{\"nop\":1}", GERR_UNDEFINED, 1, 4,
		  "`nope` is not defined; did you mean `nop`?" },
		{ "{% if nope == 1 %}{% endif %}", "{}", GERR_UNDEFINED, 1, 7,
		  "`nope`" },
		{ "{% if 1 == nope %}{% endif %}", "{}", GERR_UNDEFINED, 1, 12,
		  "`nope`" },
		{ "{% if not x == nope %}{% endif %}", "{\"x\":1}",
		  GERR_UNDEFINED, 1, 16, "`nope`" },
		/* Tera's grammar: these are refused, as the corpus records. */
		{ "{{ x | lower ~ '!' }}", "{\"x\":\"a\"}", GERR_TEMPLATE, 1,
		  14, "expected `}}`" },
		{ "{% if (x == 1) %}{% endif %}", "{\"x\":1}", GERR_TEMPLATE, 1,
		  7, "parentheses may only group arithmetic" },
		{ "{{ -x }}", "{\"x\":1}", GERR_TEMPLATE, 1, 4,
		  "only a number literal can be negated" },
		{ "{{ x | snakee }}", "{\"x\":\"a\"}", GERR_TEMPLATE, 1, 8,
		  "unknown filter `snakee`; did you mean `snake`?" },
		{ "{% for f in [1] %}{{ loop.indx }}{% endfor %}", "{}",
		  GERR_UNDEFINED, 1, 22, "`loop.indx`" },
		/* The fast conditions fall back to the same errors. */
		{ "{% for f in fs %}{% if not f.nope == 'x' %}{% endif %}"
		  "{% endfor %}", "{\"fs\":[{\"a\":1}]}", GERR_UNDEFINED, 1,
		  28, "`f.nope` is not defined" },
		{ "{% for f in fs %}{% if f.nope is string %}{% endif %}"
		  "{% endfor %}", "{\"fs\":[{\"a\":1}]}", GERR_UNDEFINED, 1,
		  24, "`f.nope` is not defined" },
		{ "{% for f in fs %}{% if f.a is odd %}{% endif %}{% endfor %}",
		  "{\"fs\":[{\"a\":\"s\"}]}", GERR_TEMPLATE, 1, 24,
		  "test `odd`" },
		{ "{% for f in fs %}{{ f.a | snake }}{% endfor %}",
		  "{\"fs\":[{\"a\":2}]}", GERR_TEMPLATE, 1, 26,
		  "filter `snake`: expected a string, found integer" },
	};

	(void)state;
	tt_run_bad(cases, TT_COUNT(cases));
}

/* The memo copies earlier output: the output must be able to move while
 * it does (many long results, a small initial buffer). */
static void
test_memo_copy_while_output_grows(void **state)
{
	struct strbuf src = STRBUF_INIT, want = STRBUF_INIT, json = STRBUF_INIT;
	char *out;
	struct gerr err;

	(void)state;
	strbuf_addstr(&json, "{\"w\":\"");
	for (int i = 0; i < 200; i++)
		strbuf_addstr(&json, "SomeLongWord");
	strbuf_addstr(&json, "\"}");
	strbuf_addstr(&src, "{% for i in [");
	for (int i = 0; i < 40; i++)
		strbuf_addstr(&src, i ? ",0" : "0");
	strbuf_addstr(&src, "] %}{{ w | snake }}|{% endfor %}");
	for (int i = 0; i < 40; i++) {
		for (int j = 0; j < 200; j++)
			strbuf_addstr(&want, j ? "_some_long_word" :
			    "some_long_word");
		strbuf_addch(&want, '|');
	}
	assert_int_equal(tt_render(src.buf, json.buf, &out, &err), 0);
	assert_string_equal(out, want.buf);
	free(out);
	strbuf_release(&src);
	strbuf_release(&want);
	strbuf_release(&json);
}

/* Template text is copied in whole words: pieces of every length around
 * the word sizes, the last one ending the source, with the output growing
 * from nothing and an output cap met in the middle of a piece. */
static void
test_text_pieces(void **state)
{
	struct strbuf src = STRBUF_INIT, want = STRBUF_INIT;
	struct template_render_opts opts = { 0 };
	struct strbuf sb = STRBUF_INIT;
	struct tvalue *ctx = tvalue_map_new();
	struct gerr err;
	char *out;

	(void)state;
	tvalue_map_set(ctx, "x", tvalue_string("|"));
	for (int n = 0; n <= 70; n++) {
		for (int i = 0; i < n; i++) {
			strbuf_addch(&src, (char)('a' + (n + i) % 26));
			strbuf_addch(&want, (char)('a' + (n + i) % 26));
		}
		strbuf_addstr(&src, "{{ x }}");
		strbuf_addch(&want, '|');
	}
	strbuf_addstr(&src, "tail of the source, 31 bytes..");
	strbuf_addstr(&want, "tail of the source, 31 bytes..");
	assert_int_equal(tt_render(src.buf, "{\"x\":\"|\"}", &out, &err), 0);
	assert_string_equal(out, want.buf);
	free(out);
	/* A cap inside a piece of text: refused there, nothing past it. */
	opts.max_output_bytes = 100;
	gerr_clear(&err);
	assert_int_equal(template_render_string(src.buf, src.len, "t", 1, ctx,
	    &opts, &sb, &err), GERR_TOO_LARGE);
	assert_non_null(strstr(err.msg, "output exceeds 100 bytes"));
	assert_int_equal(err.line, 1);
	assert_int_equal(err.col, 170);
	/* A NUL inside a string ends a word of a case filter, as any other
	 * byte that is not a letter or a digit. */
	tvalue_map_set(ctx, "s", tvalue_stringn("abcDef\0ghiJ", 11));
	strbuf_reset(&sb);
	gerr_clear(&err);
	strbuf_reset(&src);
	strbuf_addstr(&src, "{{ s | snake }} {{ s | constant }}");
	assert_int_equal(template_render_string(src.buf, src.len, "t", 1, ctx,
	    NULL, &sb, &err), 0);
	assert_string_equal(sb.buf, "abc_def_ghi_j ABC_DEF_GHI_J");
	strbuf_release(&sb);
	strbuf_release(&src);
	strbuf_release(&want);
	tvalue_unref(ctx);
}

/* More distinct names than the symbol table's first size. */
static void
test_many_variables(void **state)
{
	struct strbuf src = STRBUF_INIT, want = STRBUF_INIT;
	char *out;
	struct gerr err;

	(void)state;
	for (int i = 0; i < 300; i++) {
		strbuf_addf(&src, "{%% set v%d = %d %%}", i, i);
		strbuf_addf(&want, "%d,", 299 - i);
	}
	for (int i = 299; i >= 0; i--)
		strbuf_addf(&src, "{{ v%d }},", i);
	assert_int_equal(tt_render(src.buf, NULL, &out, &err), 0);
	assert_string_equal(out, want.buf);
	free(out);
	strbuf_release(&src);
	strbuf_release(&want);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_basic_syntax),
		cmocka_unit_test(test_whitespace_control),
		cmocka_unit_test(test_if_and_expressions),
		cmocka_unit_test(test_loops),
		cmocka_unit_test(test_set_scoping),
		cmocka_unit_test(test_raw),
		cmocka_unit_test(test_env_lookup),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_first_line_offset),
		cmocka_unit_test(test_truncation_never_crashes),
		cmocka_unit_test(test_caps),
		cmocka_unit_test(test_compiled_template_reused),
		cmocka_unit_test(test_fast_paths),
		cmocka_unit_test(test_fast_path_errors),
		cmocka_unit_test(test_memo_copy_while_output_grows),
		cmocka_unit_test(test_many_variables),
		cmocka_unit_test(test_text_pieces),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
