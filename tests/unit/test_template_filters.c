/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Unit tests for common/template_filters.c: every filter and test, with the
 * edge cases of issue 7 (empty strings, non-ASCII upper/title, replace with
 * an empty `from`, date formats on a fixed timestamp, pluralize s/es/ies,
 * case filters on HTTPServer, snake_case, kebab-case, already_snake), and
 * the failure paths (wrong input types, bad arguments).
 */
#include "template_testutil.h"

#include "template_filters.h"

static void
test_case_filters(void **state)
{
	static const struct tt_ok cases[] = {
		{ "{{ '' | upper }}|{{ '' | lower }}|{{ '' | title }}", NULL,
		  "||" },
		{ "{{ 'héllo wörld' | upper }}", NULL, "HÉLLO WÖRLD" },
		{ "{{ 'straße' | upper }}", NULL, "STRASSE" },
		{ "{{ 'ÀÉÎ ΑΒΓ ЖЁ' | lower }}", NULL, "àéî αβγ жё" },
		{ "{{ 'привет мир' | upper }}", NULL, "ПРИВЕТ МИР" },
		{ "{{ 'élan vital' | title }}", NULL, "Élan Vital" },
		{ "{{ 'hello-world foo_bar' | title }}", NULL,
		  "Hello-World Foo_bar" },
		{ "{{ \"it's ÉTÉ\" | title }}", NULL, "It's Été" },
		{ "{{ 'hELLO wORLD' | capitalize }}", NULL, "Hello world" },
		{ "{{ 'éa' | capitalize }}", NULL, "Éa" },
		{ "{{ 'hELLO' | ucfirst }}|{{ '' | ucfirst }}", NULL, "HELLO|" },
		{ "{{ 'aBC ÉCOLE straße DEF' | capitalize }}|"
		  "{{ 'aBC ÉCOLE' | ucfirst }}|{{ 'ÉA' | capitalize }}", NULL,
		  "Abc école straße def|ABC ÉCOLE|Éa" },
		{ "{{ '日本' | upper }}", NULL, "日本" },
	};

	(void)state;
	tt_run_ok(cases, TT_COUNT(cases));
}

static void
test_ident_case_filters(void **state)
{
	static const struct tt_ok cases[] = {
		{ "{{ 'HTTPServer' | snake }}", NULL, "http_server" },
		{ "{{ 'HTTPServer' | kebab }}", NULL, "http-server" },
		{ "{{ 'HTTPServer' | pascal }}", NULL, "HttpServer" },
		{ "{{ 'HTTPServer' | camel }}", NULL, "httpServer" },
		{ "{{ 'HTTPServer' | constant }}", NULL, "HTTP_SERVER" },
		{ "{{ 'snake_case' | pascal }}", NULL, "SnakeCase" },
		{ "{{ 'snake_case' | camel }}", NULL, "snakeCase" },
		{ "{{ 'snake_case' | kebab }}", NULL, "snake-case" },
		{ "{{ 'kebab-case' | snake }}", NULL, "kebab_case" },
		{ "{{ 'kebab-case' | constant }}", NULL, "KEBAB_CASE" },
		{ "{{ 'already_snake' | snake }}", NULL, "already_snake" },
		{ "{{ 'userID2Name' | snake }}", NULL, "user_id2_name" },
		{ "{{ '  Some Title!! here ' | snake }}", NULL,
		  "some_title_here" },
		{ "{{ '' | snake }}|{{ '' | camel }}|{{ '__' | pascal }}", NULL,
		  "||" },
		{ "{{ 'XMLHttpRequest' | kebab }}", NULL, "xml-http-request" },
		/* Word starts of the ASCII byte-table path, one by one. */
		{ "{{ 'ABCdef' | snake }} {{ 'a1B2' | snake }} {{ 'AB' | snake }}",
		  NULL, "ab_cdef a1_b2 ab" },
		{ "{{ 'A' | camel }} {{ 'aB' | pascal }} {{ '9lives' | camel }}",
		  NULL, "a AB 9lives" },
		{ "{{ 'x-Y_z  W' | constant }} {{ 'ABc' | camel }}", NULL,
		  "X_Y_Z_W aBc" },
		/* Non-ASCII anywhere switches to the general path. */
		{ "{{ 'HTTPÉtat' | snake }} {{ 'étéBon' | pascal }}", NULL,
		  "http_état ÉtéBon" },
	};

	(void)state;
	tt_run_ok(cases, TT_COUNT(cases));
}

static void
test_string_filters(void **state)
{
	static const struct tt_ok cases[] = {
		{ "{{ 'aXbXc' | replace(from='X', to='-') }}", NULL, "a-b-c" },
		{ "{{ 'abc' | replace(from='', to='-') }}", NULL, "-a-b-c-" },
		{ "{{ 'hé' | replace(from='', to='.') }}", NULL, ".h.é." },
		{ "{{ '' | replace(from='', to='x') }}", NULL, "x" },
		{ "{{ 'aaa' | replace('a', 'bb') }}", NULL, "bbbbbb" },
		{ "{{ 'abc' | replace(to='Z', from='b') }}", NULL, "aZc" },
		{ "[{{ '  a b \n\t' | trim }}]|[{{ '' | trim }}]", NULL,
		  "[a b]|[]" },
		{ "{{ 'héllo' | length }} {{ '' | length }} {{ [1,2] | length }}",
		  NULL, "5 0 2" },
		{ "{{ [1, 'a', 2.5] | join(sep=', ') }}|{{ [] | join(sep='x') }}",
		  NULL, "1, a, 2.5|" },
		{ "{{ ['a','b'] | join }}", NULL, "ab" },
		{ "{{ [3,4] | first }}{{ [3,4] | last }}[{{ [] | first }}]", NULL,
		  "34[]" },
		{ "{{ '<b>' | safe }}", NULL, "<b>" },
		{ "{{ missing | default(value='dflt') }}", NULL, "dflt" },
		{ "{{ missing.deep | default('d') }}", NULL, "d" },
		{ "{{ 'set' | default(value='dflt') }}", NULL, "set" },
		{ "{{ '' | default(value='dflt') }}", NULL, "" },
	};

	(void)state;
	tt_run_ok(cases, TT_COUNT(cases));
}

static void
test_date(void **state)
{
	static const struct tt_ok cases[] = {
		{ "{{ 1700000000 | date }}", NULL, "2023-11-14" },
		{ "{{ 1700000000 | date(format='%Y-%m-%d %H:%M:%S') }}", NULL,
		  "2023-11-14 22:13:20" },
		{ "{{ 1700000000 | date(format='%a %A %b %B %j %e %y %I %p') }}",
		  NULL, "Tue Tuesday Nov November 318 14 23 10 PM" },
		{ "{{ 1700000000 | date(format='') }}", NULL, "" },
		{ "{{ 0 | date(format='%Y') }}", NULL, "1970" },
		{ "{{ '2024-02-29' | date(format='%d/%m/%Y') }}", NULL,
		  "29/02/2024" },
		/* The offset is kept (Tera); timezone= converts. */
		{ "{{ '2024-01-01T10:00:00+02:00' | date(format='%H:%M %z') }}",
		  NULL, "10:00 +0200" },
		{ "{{ '2024-01-01T10:00:00+02:00' | date(format='%H:%M %Z', "
		  "timezone='UTC') }}", NULL, "08:00 UTC" },
		{ "{{ '2024-01-01T10:00:00.5Z' | date(format='%H:%M:%S') }}",
		  NULL, "10:00:00" },
	};

	(void)state;
	tt_run_ok(cases, TT_COUNT(cases));
}

static void
test_pluralize(void **state)
{
	static const struct tt_ok cases[] = {
		{ "{{ 'cat' | pluralize }}", NULL, "cats" },
		{ "{{ 'bus' | pluralize }} {{ 'box' | pluralize }} "
		  "{{ 'church' | pluralize }} {{ 'dish' | pluralize }} "
		  "{{ 'quiz' | pluralize }}", NULL,
		  "buses boxes churches dishes quizes" },
		{ "{{ 'city' | pluralize }} {{ 'day' | pluralize }}", NULL,
		  "cities days" },
		{ "{{ 'CITY' | pluralize }} {{ 'User' | pluralize }}", NULL,
		  "CITIES Users" },
		{ "{{ '' | pluralize }}|", NULL, "|" },
		{ "{{ 1 | pluralize }}|{{ 2 | pluralize }}|{{ 0 | pluralize }}",
		  NULL, "|s|s" },
		{ "{{ 1 | pluralize(singular='y', plural='ies') }} "
		  "{{ 3 | pluralize(singular='y', plural='ies') }}", NULL,
		  "y ies" },
	};

	(void)state;
	tt_run_ok(cases, TT_COUNT(cases));
}

static void
test_tests(void **state)
{
	static const struct tt_ok cases[] = {
		{ "{{ 3 is odd }}{{ 3 is even }}{{ -2 is even }}{{ 0 is even }}",
		  NULL, "truefalsetruetrue" },
		{ "{{ 9 is divisibleby(3) }} {{ 9 is divisibleby(divisor=2) }}",
		  NULL, "true false" },
		{ "{{ 'ab' is string }}{{ 1 is string }}{{ 1.5 is number }}",
		  NULL, "truefalsetrue" },
		{ "{{ [1] is iterable }}{{ 'a' is iterable }}{{ {} is object }}",
		  NULL, "" },
		{ "{{ 'hello' is starting_with('he') }} "
		  "{{ 'hello' is ending_with(pat='lo') }} "
		  "{{ 'hello' is containing('ll') }} "
		  "{{ [1,2] is containing(2) }} {{ '' is starting_with('') }}",
		  NULL, "true true true true true" },
		{ "{{ x is defined }} {{ x is undefined }} {{ x is not defined }}",
		  NULL, "false true true" },
	};

	(void)state;
	/* The iterable/object case has a map literal, which Tera lacks: it
	 * must fail at compile time, not be silently accepted. */
	tt_run_ok(cases, 3);
	tt_run_ok(cases + 4, 2);
	struct gerr err;
	char *out;

	assert_int_equal(tt_render(cases[3].src, NULL, &out, &err),
	    GERR_TEMPLATE);
	free(out);
	static const struct tt_ok c2[] = {
		{ "{{ [1] is iterable }}{{ 'a' is iterable }}", NULL,
		  "truefalse" },
	};
	tt_run_ok(c2, 1);
}

static void
test_filter_failures(void **state)
{
	static const struct tt_bad cases[] = {
		{ "{{ 1 | lower }}", NULL, GERR_TEMPLATE, 1, 7,
		  "filter `lower`: expected a string, found integer" },
		{ "{{ 1 | length }}", NULL, GERR_TEMPLATE, 1, 7,
		  "expected a string, array or map" },
		{ "{{ 'a' | join }}", NULL, GERR_TEMPLATE, 1, 9,
		  "expected an array, found string" },
		{ "{{ 'a' | first }}", NULL, GERR_TEMPLATE, 1, 9,
		  "expected an array" },
		{ "{{ 'a' | replace(from=1, to='x') }}", NULL, GERR_TEMPLATE, 1,
		  9, "must be strings" },
		{ "{{ 'nope' | date }}", NULL, GERR_TEMPLATE, 1, 12,
		  "is not a date" },
		{ "{{ '2024-13-01' | date }}", NULL, GERR_TEMPLATE, 1, 18,
		  "is not a date" },
		{ "{{ [1] | date }}", NULL, GERR_TEMPLATE, 1, 9,
		  "expected a timestamp" },
		{ "{{ [1] | pluralize }}", NULL, GERR_TEMPLATE, 1, 9,
		  "expected a string or a number" },
		{ "{{ 'a' is odd }}", NULL, GERR_TEMPLATE, 1, 4,
		  "test `odd`: expected a number" },
		{ "{{ 4 is divisibleby(0) }}", NULL, GERR_TEMPLATE, 1, 4,
		  "divisor is zero" },
		{ "{{ 1 is starting_with('a') }}", NULL, GERR_TEMPLATE, 1, 4,
		  "expected strings" },
		{ "{{ 'a' | snake(x=1) }}", NULL, GERR_TEMPLATE, 1, 16,
		  "`snake` has no argument `x`" },
		{ "{{ x | replace(from='a', from='b') }}", NULL, GERR_TEMPLATE, 1,
		  26, "given twice" },
		{ "{{ 'a' | pluralise }}", NULL, GERR_TEMPLATE, 1, 10,
		  "did you mean `pluralize`?" },
	};

	(void)state;
	tt_run_bad(cases, TT_COUNT(cases));
}

static void
test_table_lookup_and_distance(void **state)
{
	(void)state;
	assert_non_null(template_filters_find(TEMPLATE_FILTER, "upper", 5));
	assert_null(template_filters_find(TEMPLATE_TEST, "upper", 5));
	assert_non_null(template_filters_find(TEMPLATE_TEST, "odd", 3));
	assert_string_equal(template_filters_suggest(TEMPLATE_FILTER, "lenght",
	    6), "length");
	assert_null(template_filters_suggest(TEMPLATE_FILTER, "qqqqqqqq", 8));
	assert_int_equal(template_filters_distance("kitten", 6, "sitting", 7,
	    5), 3);
	assert_int_equal(template_filters_distance("abc", 3, "xyzxyz", 6, 1),
	    2);
}

/* Every filter with an emit form appends exactly the bytes of its value
 * form, after existing output, and fails the same way. */
static void
test_emit_matches_filter(void **state)
{
	static const char *const names[] = {
		"snake", "kebab", "constant", "pascal", "camel", "trim",
	};
	static const char *const inputs[] = {
		"", "x", "HTTPServer", "userId", "already_snake", "kebab-case",
		"  two  words\t", "ABC123def", "a1B2", "__x__", "caféBar",
		"HTTPÉtat", "日本 word", "\xff\xfeZ", "Mixed UP case 9Lives",
	};
	struct tvalue *args[TEMPLATE_FILTER_MAX_ARGS] = { NULL };

	(void)state;
	for (size_t i = 0; i < TT_COUNT(names); i++) {
		const struct template_filter_def *d = template_filters_find(
		    TEMPLATE_FILTER, names[i], strlen(names[i]));
		struct tvalue *bad = tvalue_int(3);
		struct tvalue *v = NULL;
		struct strbuf sb = STRBUF_INIT;
		char m1[256] = "", m2[256] = "";

		assert_non_null(d);
		assert_non_null(d->emit);
		for (size_t j = 0; j < TT_COUNT(inputs); j++) {
			struct tvalue *in = tvalue_string(inputs[j]);

			strbuf_reset(&sb);
			strbuf_addstr(&sb, "pre:");
			assert_int_equal(d->filter(in, args, &v, m1, sizeof m1),
			    0);
			assert_int_equal(d->emit(in, args, &sb, m2, sizeof m2),
			    0);
			assert_int_equal(sb.len, 4 + v->u.str.len);
			assert_memory_equal(sb.buf, "pre:", 4);
			assert_memory_equal(sb.buf + 4, v->u.str.s,
			    v->u.str.len);
			assert_int_equal(sb.buf[sb.len], '\0');
			tvalue_unref(v);
			tvalue_unref(in);
		}
		assert_int_equal(d->filter(bad, args, &v, m1, sizeof m1),
		    GERR_TEMPLATE);
		assert_int_equal(d->emit(bad, args, &sb, m2, sizeof m2),
		    GERR_TEMPLATE);
		assert_string_equal(m1, m2);
		assert_non_null(strstr(m1, "expected a string"));
		strbuf_release(&sb);
		tvalue_unref(bad);
	}
	/* Filters without an emit form say so. */
	assert_null(template_filters_find(TEMPLATE_FILTER, "upper", 5)->emit);
	assert_null(template_filters_find(TEMPLATE_FILTER, "length",
	    6)->emit);
	/* default's emit prints what printing the filter's value would, for
	 * a value, a null and an undefined input. */
	{
		const struct template_filter_def *d = template_filters_find(
		    TEMPLATE_FILTER, "default", 7);
		struct tvalue *dargs[TEMPLATE_FILTER_MAX_ARGS] = { NULL };
		struct tvalue *ins[] = { tvalue_string("s"), tvalue_int(-42),
			tvalue_null(), NULL };

		dargs[0] = tvalue_double(2.5);
		assert_non_null(d->emit);
		for (size_t j = 0; j < TT_COUNT(ins); j++) {
			struct strbuf a = STRBUF_INIT, b = STRBUF_INIT;
			struct tvalue *v = NULL;
			char m[256] = "";

			assert_int_equal(d->filter(ins[j], dargs, &v, m,
			    sizeof m), 0);
			tvalue_render(v, &a);
			assert_int_equal(d->emit(ins[j], dargs, &b, m,
			    sizeof m), 0);
			assert_string_equal(a.buf, b.buf);
			tvalue_unref(v);
			tvalue_unref(ins[j]);
			strbuf_release(&a);
			strbuf_release(&b);
		}
		tvalue_unref(dargs[0]);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_case_filters),
		cmocka_unit_test(test_ident_case_filters),
		cmocka_unit_test(test_string_filters),
		cmocka_unit_test(test_date),
		cmocka_unit_test(test_pluralize),
		cmocka_unit_test(test_tests),
		cmocka_unit_test(test_filter_failures),
		cmocka_unit_test(test_table_lookup_and_distance),
		cmocka_unit_test(test_emit_matches_filter),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
