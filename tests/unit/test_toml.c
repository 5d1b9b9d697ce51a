/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Unit tests for common/toml.c: positions, types, source order, table kinds,
 * bad inputs (code, line, col, message), empty/BOM/CRLF, truncation at every
 * byte, nesting caps, big tables.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "gerr.h"
#include "strbuf.h"
#include "toml.h"

static struct toml_doc *
parse_ok(const char *s)
{
	struct toml_doc *doc = NULL;
	struct gerr err;

	gerr_clear(&err);
	if (toml_parse(s, strlen(s), "t.toml", &doc, &err) != 0)
		fail_msg("unexpected error %d:%d: %s", err.line, err.col,
		    err.msg);
	return doc;
}

static void
test_types_and_positions(void **state)
{
	struct toml_doc *doc = parse_ok(
	    "# top\n"
	    "title = \"T\\u00e9\"\n"
	    "n = -0\n"
	    "h = 0xff\n"
	    "big = 1_000\n"
	    "f = 6.25e-1\n"
	    "ni = -inf\n"
	    "ok = true\n"
	    "odt = 1979-05-27 07:32:00.999-07:00\n"
	    "ldt = 1979-05-27T07:32:00\n"
	    "ld = 1979-05-27\n"
	    "lt = 07:32:00.5\n"
	    "[srv.alpha]\n"
	    "  ip = '10.0.0.1'\n");
	const struct toml_node *r = toml_doc_root(doc), *n;
	char buf[64];

	(void)state;
	n = toml_get(r, "title");
	assert_int_equal(n->type, TOML_STRING);
	assert_string_equal(n->u.s.ptr, "T\xc3\xa9");
	assert_int_equal(n->key_line, 2);
	assert_int_equal(n->key_col, 1);
	assert_int_equal(n->line, 2);
	assert_int_equal(n->col, 9);
	assert_int_equal(toml_get(r, "h")->u.i, 255);
	assert_int_equal(toml_get(r, "big")->u.i, 1000);
	assert_true(toml_get(r, "f")->u.f == 0.625);
	assert_true(isinf(toml_get(r, "ni")->u.f) &&
	    toml_get(r, "ni")->u.f < 0);
	assert_true(toml_get(r, "ok")->u.b);
	n = toml_get(r, "odt");
	assert_int_equal(n->type, TOML_DATETIME);
	assert_int_equal(n->u.dt.offset_min, -420);
	assert_int_equal(n->u.dt.nanosecond, 999000000);
	assert_string_equal(toml_datetime_format(n, buf, sizeof(buf)),
	    "1979-05-27T07:32:00.999-07:00");
	assert_int_equal(toml_get(r, "ldt")->type, TOML_DATETIME_LOCAL);
	assert_int_equal(toml_get(r, "ld")->type, TOML_DATE_LOCAL);
	n = toml_get(r, "lt");
	assert_int_equal(n->type, TOML_TIME_LOCAL);
	assert_string_equal(toml_datetime_format(n, buf, sizeof(buf)),
	    "07:32:00.5");
	n = toml_get(toml_get(r, "srv"), "alpha");
	assert_int_equal(n->kind, TOML_TABLE_EXPLICIT);
	assert_int_equal(toml_get(r, "srv")->kind, TOML_TABLE_IMPLICIT);
	assert_int_equal(n->line, 13);
	assert_int_equal(n->col, 1);
	assert_int_equal(toml_get(n, "ip")->key_col, 3);
	assert_null(toml_get(r, "missing"));
	assert_null(toml_get(toml_get(r, "h"), "x"));
	/* source order */
	assert_string_equal(toml_at(r, 0)->key, "title");
	assert_string_equal(toml_at(r, 11)->key, "srv");
	assert_null(toml_at(r, 12));
	toml_doc_free(doc);
}

static void
test_kinds_and_arrays(void **state)
{
	struct toml_doc *doc = parse_ok(
	    "a.b.c = 1\n"
	    "inl = { x = 1, y.z = [1, [2, 'two']] }\n"
	    "[[p]]\nname = 'one'\n[p.sub]\nq = 1\n[[p]]\nname = 'two'\n");
	const struct toml_node *r = toml_doc_root(doc), *n;

	(void)state;
	assert_int_equal(toml_get(r, "a")->kind, TOML_TABLE_DOTTED);
	n = toml_get(r, "inl");
	assert_int_equal(n->kind, TOML_TABLE_INLINE);
	n = toml_get(toml_get(n, "y"), "z");
	assert_int_equal(n->type, TOML_ARRAY);
	assert_int_equal(toml_len(n), 2);
	assert_int_equal(toml_at(toml_at(n, 1), 1)->type, TOML_STRING);
	assert_null(toml_at(n, 0)->key);
	n = toml_get(r, "p");
	assert_true(n->aot);
	assert_int_equal(toml_len(n), 2);
	assert_string_equal(toml_get(toml_at(n, 1), "name")->u.s.ptr, "two");
	assert_int_equal(toml_get(toml_get(toml_at(n, 0), "sub"), "q")->u.i, 1);
	assert_string_equal(toml_type_name(TOML_TIME_LOCAL), "time-local");
	toml_doc_free(doc);
}

struct bad_case {
	const char *in;
	size_t len;		/* 0 = strlen */
	int code, line, col;
	const char *frag;
};

static const struct bad_case bad_cases[] = {
	{ "name = \"a\"\nname = \"b\"\n", 0, GERR_PARSE, 2, 1,
	  "duplicate key 'name' (first defined at 1:1)" },
	{ "[a]\nx = 1\n[a]\n", 0, GERR_PARSE, 3, 2,
	  "duplicate table 'a' (first defined at 1:2)" },
	{ "a = 1\n[a]\n", 0, GERR_PARSE, 2, 2, "already an integer at 1:1" },
	{ "a.b = 1\n[a]\n", 0, GERR_PARSE, 2, 2, "duplicate table 'a'" },
	{ "[a.b.c]\n[a]\nb.c.d = 1\n", 0, GERR_PARSE, 3, 1,
	  "cannot add keys to 'b'" },
	{ "a = {}\na.b = 1\n", 0, GERR_PARSE, 2, 1,
	  "cannot add keys to 'a' (inline table defined at 1:1)" },
	{ "a = {b = 1}\n[a.c]\n", 0, GERR_PARSE, 2, 2,
	  "cannot add tables to 'a'" },
	{ "a = []\n[[a]]\n", 0, GERR_PARSE, 2, 1,
	  "cannot define 'a' as an array of tables (already an array" },
	{ "x = \"abc\n", 0, GERR_PARSE, 1, 9, "newline in single-line string" },
	{ "x = 'abc", 0, GERR_PARSE, 1, 5, "unterminated string" },
	{ "x = \"\"\"abc\"\"", 0, GERR_PARSE, 1, 5, "unterminated string" },
	{ "x = \"\\q\"", 0, GERR_PARSE, 1, 6, "invalid escape '\\q'" },
	{ "x = \"\\uD800\"", 0, GERR_PARSE, 1, 6, "not a Unicode scalar" },
	{ "x = \"\\u12\"", 0, GERR_PARSE, 1, 6, "needs 4 hex digits" },
	{ "x = 1 2\n", 0, GERR_PARSE, 1, 7, "expected end of line, found '2'" },
	{ "x = 07\n", 0, GERR_PARSE, 1, 5, "invalid value '07'" },
	{ "x = 1__0\n", 0, GERR_PARSE, 1, 5, "invalid value" },
	{ "x = +0x1\n", 0, GERR_PARSE, 1, 5, "invalid value" },
	{ "x = 9223372036854775808\n", 0, GERR_PARSE, 1, 5, "out of range" },
	{ "x = 0x8000000000000000\n", 0, GERR_PARSE, 1, 5, "out of range" },
	{ "x = 1.\n", 0, GERR_PARSE, 1, 5, "invalid value" },
	{ "x = 1979-02-29\n", 0, GERR_PARSE, 1, 5, "invalid date/time" },
	{ "x = 07:32\n", 0, GERR_PARSE, 1, 5, "invalid date/time" },
	{ "x = 1979-05-27T07:32:00+25:00\n", 0, GERR_PARSE, 1, 5,
	  "invalid date/time" },
	{ "x = tru\n", 0, GERR_PARSE, 1, 5, "invalid value 'tru'" },
	{ "x = [1, 2\n", 0, GERR_PARSE, 2, 1, "expected ',' or ']' in array" },
	{ "x = { a = 1,}\n", 0, GERR_PARSE, 1, 13, "expected a key, found '}'" },
	{ "x = { a = 1\n}\n", 0, GERR_PARSE, 1, 12,
	  "expected ',' or '}' in inline table, found end of line" },
	{ "[a\n", 0, GERR_PARSE, 1, 3, "expected ']' after table name" },
	{ "[[a]\n", 0, GERR_PARSE, 1, 4,
	  "expected ']]' after table name, found ']'" },
	{ "= 1\n", 0, GERR_PARSE, 1, 1, "expected a key, found '='" },
	{ "a b = 1\n", 0, GERR_PARSE, 1, 3, "expected '=' after key" },
	{ "a =\n", 0, GERR_PARSE, 1, 4, "expected a value, found end of line" },
	{ "a = 1\r\n", 0, GERR_OK, 0, 0, NULL },
	{ "a = 1\rb = 2\n", 0, GERR_PARSE, 1, 6, "carriage return" },
	{ "a = \"\xff\"\n", 0, GERR_PARSE, 1, 6, "invalid UTF-8 byte 0xff" },
	{ "a = \"\xc0\xaf\"\n", 0, GERR_PARSE, 1, 6, "invalid UTF-8" },
	{ "a = \"\xed\xa0\x80\"\n", 0, GERR_PARSE, 1, 6, "invalid UTF-8" },
	{ "# ok\n#\x01\n", 0, GERR_PARSE, 2, 2,
	  "control character 0x01 in comment" },
	{ "a = \"x\x7f\"", 0, GERR_PARSE, 1, 7, "control character 0x7f" },
	{ "a = \"x\0y\"", 9, GERR_PARSE, 1, 7, "control character 0x00" },
	{ "\"\"\"k\"\"\" = 1", 0, GERR_PARSE, 1, 1, "multi-line string" },
	{ "a = 1 # \0", 9, GERR_PARSE, 1, 9, "control character 0x00" },
};

static void
test_bad_inputs(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]);
	    i++) {
		const struct bad_case *c = &bad_cases[i];
		size_t len = c->len ? c->len : strlen(c->in);
		struct toml_doc *doc = (struct toml_doc *)1;
		struct gerr err;
		int rc;

		gerr_clear(&err);
		rc = toml_parse(c->in, len, "bad.toml", &doc, &err);
		if (rc != c->code || (rc != 0 && (err.line != c->line ||
		    err.col != c->col || strstr(err.msg, c->frag) == NULL ||
		    strcmp(err.file, "bad.toml") != 0)))
			fail_msg("case %zu: got %d %d:%d '%s'", i, rc, err.line,
			    err.col, err.msg);
		if (rc != 0)
			assert_null(doc);
		toml_doc_free(doc);
	}
}

static void
test_empty_bom_crlf(void **state)
{
	struct toml_doc *doc;
	struct gerr err;
	const char *crlf = "\xef\xbb\xbf[t]\r\nk = \"\"\"a\r\nb\"\"\"\r\nz = 1\r\n";

	(void)state;
	assert_int_equal(toml_parse("", 0, NULL, &doc, NULL), 0);
	assert_int_equal(toml_len(toml_doc_root(doc)), 0);
	toml_doc_free(doc);
	assert_int_equal(toml_parse("\xef\xbb\xbf", 3, NULL, &doc, NULL), 0);
	toml_doc_free(doc);
	assert_int_equal(toml_parse(crlf, strlen(crlf), NULL, &doc, &err), 0);
	{
		const struct toml_node *t = toml_get(toml_doc_root(doc), "t");

		/* The BOM is not counted in columns. */
		assert_int_equal(t->col, 1);
		assert_string_equal(toml_get(t, "k")->u.s.ptr, "a\nb");
		assert_int_equal(toml_get(t, "z")->key_line, 4);
		assert_int_equal(toml_get(t, "z")->key_col, 1);
	}
	toml_doc_free(doc);
	toml_doc_free(NULL);
}

static const char truncation_doc[] =
    "# c\n[a.b]\nx = \"s\\u00e9\\n\"\ny = '''l\nit'''\n"
    "z = [1, 2.5, { q = true }, 1979-05-27T00:00:00Z]\n"
    "[[arr]]\nk.l = 0b101\n[[arr]]\nm = \"\"\"\\\n  ml\"\"\"\n";

static void
test_truncation_every_byte(void **state)
{
	size_t n = sizeof(truncation_doc) - 1;
	int ok = 0, bad = 0;

	(void)state;
	for (size_t len = 0; len <= n; len++) {
		char *copy = malloc(len ? len : 1);
		struct toml_doc *doc;
		struct gerr err;
		int rc;

		/* An exact-size copy lets ASan catch any read past len. */
		memcpy(copy, truncation_doc, len);
		gerr_clear(&err);
		rc = toml_parse(copy, len, NULL, &doc, &err);
		if (rc == 0) {
			assert_non_null(doc);
			ok++;
		} else {
			assert_int_equal(rc, GERR_PARSE);
			assert_null(doc);
			assert_true(err.line >= 1 && err.col >= 1);
			assert_true(err.msg[0] != '\0');
			bad++;
		}
		toml_doc_free(doc);
		free(copy);
	}
	assert_true(ok > 5);
	assert_true(bad > 50);
}

static void
expect_limit(const char *s, size_t len)
{
	struct toml_doc *doc;
	struct gerr err;

	gerr_clear(&err);
	if (toml_parse(s, len, NULL, &doc, &err) != GERR_LIMIT)
		fail_msg("no limit: %d:%d %s", err.line, err.col, err.msg);
	assert_non_null(strstr(err.msg, "nesting deeper than 128"));
	assert_null(doc);
}

static void
test_nesting_cap(void **state)
{
	struct strbuf sb = STRBUF_INIT;
	struct toml_doc *doc;

	(void)state;
	/* 128 nested arrays under a key (depths 1..128) are fine ... */
	strbuf_addstr(&sb, "a = ");
	for (int i = 0; i < 128; i++)
		strbuf_addch(&sb, '[');
	for (int i = 0; i < 128; i++)
		strbuf_addch(&sb, ']');
	assert_int_equal(toml_parse(sb.buf, sb.len, NULL, &doc, NULL), 0);
	toml_doc_free(doc);
	/* ... one more is not; and 100000 must not blow the stack. */
	strbuf_reset(&sb);
	strbuf_addstr(&sb, "a = ");
	for (int i = 0; i < 129; i++)
		strbuf_addch(&sb, '[');
	expect_limit(sb.buf, sb.len);
	strbuf_reset(&sb);
	strbuf_addstr(&sb, "a = ");
	for (int i = 0; i < 100000; i++)
		strbuf_addstr(&sb, "[{x=");
	expect_limit(sb.buf, sb.len);
	strbuf_reset(&sb);
	strbuf_addstr(&sb, "a = ");
	for (int i = 0; i < 100000; i++)
		strbuf_addstr(&sb, "{b=");
	expect_limit(sb.buf, sb.len);
	strbuf_reset(&sb);
	strbuf_addch(&sb, '[');
	for (int i = 0; i < 200; i++)
		strbuf_addstr(&sb, i ? ".k" : "k");
	strbuf_addstr(&sb, "]\n");
	expect_limit(sb.buf, sb.len);
	strbuf_reset(&sb);
	for (int i = 0; i < 200; i++)
		strbuf_addstr(&sb, "k.");
	strbuf_addstr(&sb, "k = 1\n");
	expect_limit(sb.buf, sb.len);
	strbuf_reset(&sb);
	/* array-of-tables levels count too */
	for (int i = 0; i < 70; i++) {
		strbuf_addstr(&sb, "[[");
		for (int j = 0; j <= i; j++)
			strbuf_addstr(&sb, j ? ".t" : "t");
		strbuf_addstr(&sb, "]]\n");
	}
	expect_limit(sb.buf, sb.len);
	strbuf_release(&sb);
}

static void
test_big_table(void **state)
{
	struct strbuf sb = STRBUF_INIT;
	struct toml_doc *doc;
	struct gerr err;
	const struct toml_node *r;

	(void)state;
	for (int i = 0; i < 5000; i++)
		strbuf_addf(&sb, "k%d = %d\n", i, i);
	assert_int_equal(toml_parse(sb.buf, sb.len, NULL, &doc, NULL), 0);
	r = toml_doc_root(doc);
	assert_int_equal(toml_len(r), 5000);
	assert_int_equal(toml_get(r, "k4321")->u.i, 4321);
	assert_int_equal(toml_getn(r, "k17x", 3)->u.i, 17);
	assert_null(toml_get(r, "k5000"));
	assert_string_equal(toml_at(r, 4999)->key, "k4999");
	toml_doc_free(doc);
	strbuf_addstr(&sb, "k2500 = 0\n");
	gerr_clear(&err);
	assert_int_equal(toml_parse(sb.buf, sb.len, NULL, &doc, &err),
	    GERR_PARSE);
	assert_int_equal(err.line, 5001);
	assert_non_null(strstr(err.msg, "first defined at 2501:1"));
	strbuf_release(&sb);
}

static void
test_nul_in_strings_and_keys(void **state)
{
	const char *s = "\"a\\u0000b\" = \"x\\u0000y\"\n";
	struct toml_doc *doc;
	const struct toml_node *n;

	(void)state;
	assert_int_equal(toml_parse(s, strlen(s), NULL, &doc, NULL), 0);
	n = toml_getn(toml_doc_root(doc), "a\0b", 3);
	assert_non_null(n);
	assert_int_equal(n->key_len, 3);
	assert_int_equal(n->u.s.len, 3);
	assert_memory_equal(n->u.s.ptr, "x\0y", 3);
	toml_doc_free(doc);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_types_and_positions),
		cmocka_unit_test(test_kinds_and_arrays),
		cmocka_unit_test(test_bad_inputs),
		cmocka_unit_test(test_empty_bom_crlf),
		cmocka_unit_test(test_truncation_every_byte),
		cmocka_unit_test(test_nesting_cap),
		cmocka_unit_test(test_big_table),
		cmocka_unit_test(test_nul_in_strings_and_keys),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
