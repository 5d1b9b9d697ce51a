/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Unit tests for common/ignore.c: gitignore(5)'s documented examples and
 * corner cases (table-driven: sources + expected verdicts), precedence
 * between sources, replace/remove, error reporting with file:line:col,
 * the size cap, ignore_why, and the editor temp-file list.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "ignore.h"

struct ig_src {
	enum ignore_kind kind;
	const char *dir;
	const char *text;
};

struct ig_expect {
	const char *path;
	bool is_dir;
	bool ignored;
};

struct ig_case {
	const char *name;
	struct ig_src srcs[4];
	struct ig_expect ex[12];
};

#define END_SRC { IGNORE_KIND_COUNT, NULL, NULL }

static const struct ig_case ig_cases[] = {
	{ "dir-only foo/ vs file foo",
	    { { IGNORE_GITIGNORE, "", "foo/\n" }, END_SRC },
	    { { "foo", false, false }, { "foo", true, true },
	      { "a/foo", true, true }, { "a/foo", false, false },
	      { "foo/x.c", false, true }, { NULL, 0, 0 } } },
	{ "leading slash anchors",
	    { { IGNORE_GITIGNORE, "", "/foo\n" }, END_SRC },
	    { { "foo", false, true }, { "a/foo", false, false },
	      { "foo/bar", false, true }, { NULL, 0, 0 } } },
	{ "leading **/",
	    { { IGNORE_GITIGNORE, "", "**/foo\n" }, END_SRC },
	    { { "foo", false, true }, { "a/b/foo", false, true },
	      { "a/foofoo", false, false }, { NULL, 0, 0 } } },
	{ "a/**/b matches a/b",
	    { { IGNORE_GITIGNORE, "", "a/**/b\n" }, END_SRC },
	    { { "a/b", false, true }, { "a/x/b", false, true },
	      { "a/x/y/b", false, true }, { "x/a/b", false, false },
	      { NULL, 0, 0 } } },
	{ "trailing /** is everything inside",
	    { { IGNORE_GITIGNORE, "", "abc/**\n" }, END_SRC },
	    { { "abc", true, false }, { "abc/x", false, true },
	      { "abc/x/y", false, true }, { NULL, 0, 0 } } },
	{ "middle slash anchors: doc/frotz/",
	    { { IGNORE_GITIGNORE, "", "doc/frotz/\n" }, END_SRC },
	    { { "doc/frotz", true, true }, { "a/doc/frotz", true, false },
	      { NULL, 0, 0 } } },
	{ "no slash matches at any depth: frotz/",
	    { { IGNORE_GITIGNORE, "", "frotz/\n" }, END_SRC },
	    { { "frotz", true, true }, { "a/frotz", true, true },
	      { "a/frotz", false, false }, { NULL, 0, 0 } } },
	{ "foo/* is one level",
	    { { IGNORE_GITIGNORE, "", "foo/*\n" }, END_SRC },
	    { { "foo/test.json", false, true }, { "foo/bar", true, true },
	      { "foo", true, false }, { NULL, 0, 0 } } },
	{ "doc/*.txt is anchored and one level",
	    { { IGNORE_GITIGNORE, "", "doc/*.txt\n**/foo/bar\n" }, END_SRC },
	    { { "doc/notes.txt", false, true },
	      { "doc/server/arch.txt", false, false },
	      { "x/doc/notes.txt", false, false },
	      { "foo/bar", false, true }, { "a/b/foo/bar", false, true },
	      { "a/foo/baz", false, false }, { NULL, 0, 0 } } },
	{ "hello.*",
	    { { IGNORE_GITIGNORE, "", "hello.*\n" }, END_SRC },
	    { { "hello.c", false, true }, { "x/hello.d", true, true },
	      { "hello", false, false }, { NULL, 0, 0 } } },
	{ "negation re-includes",
	    { { IGNORE_GITIGNORE, "", "*.log\n!important.log\n" }, END_SRC },
	    { { "a.log", false, true }, { "important.log", false, false },
	      { "d/important.log", false, false }, { "d/b.log", false, true },
	      { NULL, 0, 0 } } },
	{ "last match wins",
	    { { IGNORE_GITIGNORE, "", "!a.log\n*.log\n" }, END_SRC },
	    { { "a.log", false, true }, { NULL, 0, 0 } } },
	{ "cannot re-include below an excluded directory",
	    { { IGNORE_GITIGNORE, "", "build/\n!build/keep.txt\n" }, END_SRC },
	    { { "build/keep.txt", false, true }, { "build", true, true },
	      { NULL, 0, 0 } } },
	{ "but can re-include below excluded contents",
	    { { IGNORE_GITIGNORE, "", "/*\n!/foo\n/foo/*\n!/foo/bar\n" },
	      END_SRC },
	    { { "foo/bar", false, false }, { "foo/bar/x", false, false },
	      { "foo/baz", false, true }, { "other", false, true },
	      { "foo", true, false }, { NULL, 0, 0 } } },
	{ "escaped ! and #",
	    { { IGNORE_GITIGNORE, "", "\\!important\n\\#hash\n#comment\n" },
	      END_SRC },
	    { { "!important", false, true }, { "important", false, false },
	      { "#hash", false, true }, { "#comment", false, false },
	      { NULL, 0, 0 } } },
	{ "trailing spaces dropped unless escaped",
	    { { IGNORE_GITIGNORE, "", "foo   \nbar\\ \n   \n" }, END_SRC },
	    { { "foo", false, true }, { "foo   ", false, false },
	      { "bar ", false, true }, { "bar", false, false },
	      { NULL, 0, 0 } } },
	{ "CRLF lines and a BOM",
	    { { IGNORE_GITIGNORE, "", "\xEF\xBB\xBF" "a.txt\r\n\r\nb.txt\r\n" },
	      END_SRC },
	    { { "a.txt", false, true }, { "b.txt", false, true },
	      { "c.txt", false, false }, { NULL, 0, 0 } } },
	{ "no final newline",
	    { { IGNORE_GITIGNORE, "", "x\ny" }, END_SRC },
	    { { "y", false, true }, { NULL, 0, 0 } } },
	{ ".gitignore in a subdirectory is relative to it",
	    { { IGNORE_GITIGNORE, "sub", "x\n/y\nq/z\n" }, END_SRC },
	    { { "sub/x", false, true }, { "sub/d/x", false, true },
	      { "x", false, false }, { "sub/y", false, true },
	      { "sub/d/y", false, false }, { "y", false, false },
	      { "sub/q/z", false, true }, { "q/z", false, false },
	      { "subx/x", false, false }, { NULL, 0, 0 } } },
	{ "deeper .gitignore overrides the root one",
	    { { IGNORE_GITIGNORE, "", "*.tmp\n" },
	      { IGNORE_GITIGNORE, "a/b", "!keep.tmp\n" }, END_SRC },
	    { { "keep.tmp", false, true }, { "a/keep.tmp", false, true },
	      { "a/b/keep.tmp", false, false },
	      { "a/b/c/keep.tmp", false, false },
	      { "a/b/other.tmp", false, true }, { NULL, 0, 0 } } },
	{ ".gitignore beats info/exclude",
	    { { IGNORE_EXCLUDE, "", "*.x\n" },
	      { IGNORE_GITIGNORE, "", "!a.x\n" }, END_SRC },
	    { { "a.x", false, false }, { "b.x", false, true },
	      { NULL, 0, 0 } } },
	{ "config beats .gitignore",
	    { { IGNORE_CONFIG, "", "*.c\n" },
	      { IGNORE_GITIGNORE, "", "!main.c\n" }, END_SRC },
	    { { "main.c", false, true }, { NULL, 0, 0 } } },
	{ ".ggenignore beats .gitignore in the same directory",
	    { { IGNORE_GITIGNORE, "d", "*.gen\n" },
	      { IGNORE_GGENIGNORE, "d", "!x.gen\n" }, END_SRC },
	    { { "d/x.gen", false, false }, { "d/y.gen", false, true },
	      { NULL, 0, 0 } } },
	{ "built-in directories",
	    { END_SRC },
	    { { "node_modules", true, true }, { "a/node_modules", true, true },
	      { "a/node_modules/x.js", false, true },
	      { ".git", true, true }, { "sub/.git", false, true },
	      { ".git/config", false, true }, { "target", false, false },
	      { "target/x", false, true }, { ".hg/x", false, true },
	      { ".svn", true, true }, { ".ggen", true, true },
	      { "src/main.c", false, false } } },
	{ "a built-in can be re-included, .git cannot",
	    { { IGNORE_GGENIGNORE, "", "!target/\n!.git/\n" }, END_SRC },
	    { { "target/x", false, false }, { ".git/x", false, true },
	      { NULL, 0, 0 } } },
	{ "classes and escapes",
	    { { IGNORE_GITIGNORE, "", "*.[oa]\n\\*star\n" }, END_SRC },
	    { { "x.o", false, true }, { "x.a", false, true },
	      { "x.c", false, false }, { "*star", false, true },
	      { "xstar", false, false }, { NULL, 0, 0 } } },
};

static struct ignore *
ig_build(const struct ig_src *srcs)
{
	struct ignore *m = ignore_new();

	for (size_t i = 0; i < 4 && srcs[i].text != NULL; i++) {
		struct gerr err;

		gerr_clear(&err);
		if (ignore_set_file(m, srcs[i].kind, srcs[i].dir, NULL,
		    srcs[i].text, strlen(srcs[i].text), NULL, NULL, &err) != 0)
			fail_msg("load: %s", err.msg);
	}
	return m;
}

static void
test_ignore_table(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof ig_cases / sizeof ig_cases[0]; i++) {
		const struct ig_case *c = &ig_cases[i];
		struct ignore *m = ig_build(c->srcs);

		for (size_t j = 0; j < 12 && c->ex[j].path != NULL; j++) {
			const struct ig_expect *e = &c->ex[j];
			bool got = ignore_check(m, e->path, strlen(e->path),
			    e->is_dir, NULL);

			if (got != e->ignored)
				fail_msg("%s: \"%s\" (%s): got %d want %d",
				    c->name, e->path, e->is_dir ? "dir" : "file",
				    got, e->ignored);
		}
		ignore_free(m);
	}
}

static void
test_ignore_entry_skips_parents(void **state)
{
	struct ignore *m = ignore_new();
	const char *t = "build/\n";

	(void)state;
	assert_int_equal(ignore_set_file(m, IGNORE_GITIGNORE, "", NULL, t,
	    strlen(t), NULL, NULL, NULL), 0);
	/* The crawl prunes build/ itself; entries below are not rechecked. */
	assert_true(ignore_check_entry(m, "build", 5, true, NULL));
	assert_false(ignore_check_entry(m, "build/x.c", 9, false, NULL));
	assert_true(ignore_check(m, "build/x.c", 9, false, NULL));
	ignore_free(m);
}

static void
test_ignore_why(void **state)
{
	struct ignore *m = ignore_new();
	const char *t = "# top\n*.log\n!keep.log\nbuild/\n";
	struct ignore_why why;

	(void)state;
	assert_int_equal(ignore_set_file(m, IGNORE_GITIGNORE, "src", NULL, t,
	    strlen(t), NULL, NULL, NULL), 0);
	assert_true(ignore_check(m, "src/a.log", 9, false, &why));
	assert_string_equal(why.file, "src/.gitignore");
	assert_int_equal(why.line, 2);
	assert_string_equal(why.pattern, "*.log");
	assert_false(why.negated);

	assert_false(ignore_check(m, "src/keep.log", 12, false, &why));
	assert_int_equal(why.line, 3);
	assert_string_equal(why.pattern, "!keep.log");
	assert_true(why.negated);

	assert_true(ignore_check(m, "src/build/x/y.c", 15, false, &why));
	assert_int_equal(why.line, 4);
	assert_int_equal(why.path_len, 9);
	assert_memory_equal(why.path, "src/build", 9);

	assert_false(ignore_check(m, "src/main.c", 10, false, &why));
	assert_null(why.file);

	assert_true(ignore_check(m, "node_modules", 12, true, &why));
	assert_string_equal(why.file, "<builtin>");
	assert_string_equal(why.pattern, "node_modules/");
	ignore_free(m);
}

static void
test_ignore_replace_and_remove(void **state)
{
	struct ignore *m = ignore_new();

	(void)state;
	assert_int_equal(ignore_set_file(m, IGNORE_GITIGNORE, "d", NULL,
	    "*.o\n", 4, NULL, NULL, NULL), 0);
	assert_int_equal(ignore_set_file(m, IGNORE_GITIGNORE, "", NULL,
	    "*.z\n", 4, NULL, NULL, NULL), 0);
	assert_int_equal(ignore_source_count(m), 2);
	assert_true(ignore_check(m, "d/x.o", 5, false, NULL));
	assert_int_equal(ignore_set_file(m, IGNORE_GITIGNORE, "d", NULL,
	    "*.a\n", 4, NULL, NULL, NULL), 0);
	assert_int_equal(ignore_source_count(m), 2);
	assert_false(ignore_check(m, "d/x.o", 5, false, NULL));
	assert_true(ignore_check(m, "d/x.a", 5, false, NULL));
	assert_true(ignore_check(m, "d/x.z", 5, false, NULL));
	assert_true(ignore_remove_file(m, IGNORE_GITIGNORE, "d"));
	assert_false(ignore_remove_file(m, IGNORE_GITIGNORE, "d"));
	assert_false(ignore_remove_file(m, IGNORE_GGENIGNORE, ""));
	assert_false(ignore_check(m, "d/x.a", 5, false, NULL));
	assert_int_equal(ignore_source_count(m), 1);
	/* An emptied file is a source with no rules. */
	assert_int_equal(ignore_set_file(m, IGNORE_GITIGNORE, "", NULL, "", 0,
	    NULL, NULL, NULL), 0);
	assert_false(ignore_check(m, "d/x.z", 5, false, NULL));
	ignore_free(m);
}

struct ig_warns {
	int n;
	struct gerr last;
};

static void
ig_warn(void *arg, const struct gerr *err)
{
	struct ig_warns *w = arg;

	w->n++;
	w->last = *err;
}

struct ig_bad {
	const char *text;
	int line;
	int col;
	const char *frag;
};

static const struct ig_bad ig_bad_cases[] = {
	{ "ok\n[bad\n", 2, 1, "unterminated '['" },
	{ "!ab[c\n", 1, 4, "unterminated '['" },
	{ "x\n\n/\n", 3, 1, "empty pattern" },
	{ "!\n", 1, 1, "empty pattern" },
	{ "a\\\n", 1, 2, "trailing '\\'" },
	{ "\xEF\xBB\xBF" "[x\n", 1, 4, "unterminated '['" },
	{ "a//b\n", 1, 3, "empty path segment" },
	{ "  /x[z-a]\r\n", 1, 7, "reversed range" },
	{ "/a/[[:nope:]]\n", 1, 5, "unknown character class" },
	{ "a\0b\n", 1, 2, "NUL byte" },
};

static void
test_ignore_errors(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof ig_bad_cases / sizeof ig_bad_cases[0];
	    i++) {
		const struct ig_bad *c = &ig_bad_cases[i];
		struct ignore *m = ignore_new();
		struct ig_warns w = { 0 };
		size_t len = strlen(c->text);
		struct gerr err;
		int rc;

		if (strcmp(c->text, "a") == 0)
			len = 4;	/* the NUL case */
		gerr_clear(&err);
		rc = ignore_set_file(m, IGNORE_GITIGNORE, "sub", NULL, c->text,
		    len, ig_warn, &w, &err);
		if (rc != GERR_PARSE || err.line != c->line ||
		    err.col != c->col || strstr(err.msg, c->frag) == NULL ||
		    strcmp(err.file, "sub/.gitignore") != 0 || w.n != 1)
			fail_msg("case %zu: rc %d %s:%d:%d: %s (warns %d)", i,
			    rc, err.file, err.line, err.col, err.msg, w.n);
		ignore_free(m);
	}
}

static void
test_ignore_errors_do_not_stop_others(void **state)
{
	struct ignore *m = ignore_new();
	const char *t = "*.o\n[bad\n*.a\nworse\\\n*.so\n";
	struct ig_warns w = { 0 };
	struct gerr err;
	char buf[600];

	(void)state;
	gerr_clear(&err);
	assert_int_equal(ignore_set_file(m, IGNORE_GGENIGNORE, "", "my/.ggenignore",
	    t, strlen(t), ig_warn, &w, &err), GERR_PARSE);
	assert_int_equal(w.n, 2);
	assert_int_equal(w.last.line, 4);
	assert_int_equal(w.last.col, 6);
	/* The first error wins in err. */
	assert_string_equal(gerr_format(&err, buf, sizeof buf),
	    "my/.ggenignore:2:1: unterminated '[' (character class)");
	assert_true(ignore_check(m, "x.o", 3, false, NULL));
	assert_true(ignore_check(m, "x.a", 3, false, NULL));
	assert_true(ignore_check(m, "x.so", 4, false, NULL));
	assert_false(ignore_check(m, "worse", 5, false, NULL));
	ignore_free(m);
}

static void
test_ignore_too_large(void **state)
{
	struct ignore *m = ignore_new();
	size_t n = IGNORE_FILE_MAX_BYTES + 1;
	char *t = malloc(n);
	struct gerr err;

	(void)state;
	memset(t, '\n', n);
	t[0] = 'x';
	assert_int_equal(ignore_set_file(m, IGNORE_GITIGNORE, "", NULL, "y\n",
	    2, NULL, NULL, NULL), 0);
	gerr_clear(&err);
	assert_int_equal(ignore_set_file(m, IGNORE_GITIGNORE, "", NULL, t, n,
	    NULL, NULL, &err), GERR_TOO_LARGE);
	assert_string_equal(err.file, ".gitignore");
	assert_non_null(strstr(err.msg, "larger than"));
	assert_int_equal(ignore_source_count(m), 0);
	assert_false(ignore_check(m, "x", 1, false, NULL));
	assert_false(ignore_check(m, "y", 1, false, NULL));
	/* Exactly at the cap is accepted. */
	assert_int_equal(ignore_set_file(m, IGNORE_GITIGNORE, "", NULL, t,
	    n - 1, NULL, NULL, NULL), 0);
	assert_true(ignore_check(m, "x", 1, false, NULL));
	free(t);
	ignore_free(m);
}

static void
test_ignore_bad_args(void **state)
{
	struct ignore *m = ignore_new();
	struct gerr err;

	(void)state;
	gerr_clear(&err);
	assert_int_equal(ignore_set_file(m, IGNORE_CONFIG, "x", NULL, "a", 1,
	    NULL, NULL, &err), GERR_INVALID);
	assert_non_null(strstr(err.msg, "only exists at the root"));
	gerr_clear(&err);
	assert_int_equal(ignore_set_file(m, IGNORE_GITIGNORE, "x/", NULL, "a",
	    1, NULL, NULL, &err), GERR_INVALID);
	assert_non_null(strstr(err.msg, "not a clean relative path"));
	assert_int_equal(ignore_set_file(m, IGNORE_GITIGNORE, "a/../b", NULL,
	    "a", 1, NULL, NULL, NULL), GERR_INVALID);
	assert_int_equal(ignore_set_file(m, IGNORE_GITIGNORE, "/abs", NULL,
	    "a", 1, NULL, NULL, NULL), GERR_INVALID);
	assert_int_equal(ignore_set_file(m, IGNORE_KIND_COUNT, "", NULL, "a",
	    1, NULL, NULL, NULL), GERR_INVALID);
	assert_int_equal(ignore_source_count(m), 0);
	ignore_free(m);
}

static void
test_ignore_config_patterns(void **state)
{
	struct ignore *m = ignore_new();
	const char *pats[] = { "*.log", "dist/**", "[oops", "!keep.log",
	    "two\nlines" };
	struct ig_warns w = { 0 };
	struct gerr err;

	(void)state;
	gerr_clear(&err);
	assert_int_equal(ignore_set_patterns(m, pats, 5, "make.toml", ig_warn,
	    &w, &err), GERR_PARSE);
	assert_int_equal(w.n, 2);
	assert_string_equal(err.file, "make.toml");
	assert_int_equal(err.line, 3);
	assert_int_equal(err.col, 1);
	assert_int_equal(w.last.line, 5);
	assert_int_equal(w.last.col, 4);
	assert_true(ignore_check(m, "a/b.log", 7, false, NULL));
	assert_false(ignore_check(m, "keep.log", 8, false, NULL));
	assert_true(ignore_check(m, "dist/x/y", 8, false, NULL));
	assert_false(ignore_check(m, "dist", 4, true, NULL));
	/* Replacing the list drops the old patterns. */
	assert_int_equal(ignore_set_patterns(m, NULL, 0, NULL, NULL, NULL,
	    NULL), 0);
	assert_false(ignore_check(m, "a/b.log", 7, false, NULL));
	ignore_free(m);
}

static void
test_ignore_file_kind(void **state)
{
	enum ignore_kind k = IGNORE_CONFIG;

	(void)state;
	assert_true(ignore_file_kind(".gitignore", &k));
	assert_int_equal(k, IGNORE_GITIGNORE);
	assert_true(ignore_file_kind(".ggenignore", &k));
	assert_int_equal(k, IGNORE_GGENIGNORE);
	assert_false(ignore_file_kind("gitignore", &k));
	assert_false(ignore_file_kind(".gitignore~", &k));
}

static void
test_ignore_editor_temp(void **state)
{
	static const struct { const char *b; bool temp; } cases[] = {
		{ "main.c~", true }, { ".main.c.swp", true },
		{ ".main.c.swx", true }, { ".main.c.swo", true },
		{ "4913", true }, { "49130", false },
		{ "main.c___jb_tmp___", true }, { "main.c___jb_old___", true },
		{ ".#main.c", true }, { "#main.c#", true },
		{ ".goutputstream-AB12CD", true }, { "x.c.kate-swp", true },
		{ ".~lock.doc.odt#", true },
		{ "main.c", false }, { "swp", false }, { "main.swp", false },
		{ ".swp", false }, { ".x.sw1", false }, { "", false },
		{ "#", false }, { "a#", false }, { ".gitignore", false },
	};

	(void)state;
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
		if (ignore_is_editor_temp(cases[i].b) != cases[i].temp)
			fail_msg("editor_temp(\"%s\")", cases[i].b);
}

/* Every prefix of a file loads or fails cleanly with an in-range position. */
static void
test_ignore_truncation(void **state)
{
	static const char t[] = "\xEF\xBB\xBF# c\r\n*.o\n!keep.o\r\n"
	    "/build/\nsrc/**/gen/\n[a-c]?.tmp   \n\\!x\\ \n[[:digit:]]x\n";
	size_t n = sizeof t - 1;

	(void)state;
	for (size_t len = 0; len <= n; len++) {
		struct ignore *m = ignore_new();
		struct gerr err;
		int rc;

		gerr_clear(&err);
		rc = ignore_set_file(m, IGNORE_GITIGNORE, "", NULL, t, len,
		    NULL, NULL, &err);
		if (rc != 0 && (rc != GERR_PARSE || err.line < 1 ||
		    err.line > 9 || err.col < 1))
			fail_msg("prefix %zu: rc %d at %d:%d %s", len, rc,
			    err.line, err.col, err.msg);
		/* Once its line is complete, a rule is in force. */
		if (len >= 11 && !ignore_check(m, "x.o", 3, false, NULL))
			fail_msg("prefix %zu: *.o lost", len);
		if (len == n && (ignore_check(m, "keep.o", 6, false, NULL) ||
		    !ignore_check(m, "!x ", 3, false, NULL)))
			fail_msg("whole file: wrong verdicts");
		ignore_free(m);
	}
}

static void
test_ignore_empty_and_bom_only(void **state)
{
	struct ignore *m = ignore_new();

	(void)state;
	assert_int_equal(ignore_set_file(m, IGNORE_GITIGNORE, "", NULL,
	    "\xEF\xBB\xBF", 3, NULL, NULL, NULL), 0);
	assert_int_equal(ignore_set_file(m, IGNORE_GGENIGNORE, "", NULL,
	    "\n\r\n  \n#x\n", 9, NULL, NULL, NULL), 0);
	assert_int_equal(ignore_source_count(m), 2);
	assert_false(ignore_check(m, "a", 1, false, NULL));
	assert_false(ignore_check(m, "#x", 2, false, NULL));
	ignore_free(m);
}

/* The digest follows the rules, not the bytes or the load order. */
static void
test_ignore_digest(void **state)
{
	struct ignore *a = ignore_new(), *b = ignore_new();
	const char *pats[] = { "*.log" };
	uint64_t empty = ignore_digest(a), da;

	(void)state;
	assert_int_not_equal(empty, 0);
	assert_int_equal(ignore_digest(b), empty);
	assert_int_equal(ignore_set_file(a, IGNORE_GITIGNORE, "", NULL,
	    "*.o\n", 4, NULL, NULL, NULL), 0);
	assert_int_equal(ignore_set_file(a, IGNORE_GITIGNORE, "src", NULL,
	    "!keep.o\n", 8, NULL, NULL, NULL), 0);
	assert_int_equal(ignore_set_patterns(a, pats, 1, NULL, NULL, NULL,
	    NULL), 0);
	da = ignore_digest(a);
	assert_int_not_equal(da, empty);
	/* Same rules, other order, comments and blank lines. */
	assert_int_equal(ignore_set_patterns(b, pats, 1, NULL, NULL, NULL,
	    NULL), 0);
	assert_int_equal(ignore_set_file(b, IGNORE_GITIGNORE, "src", NULL,
	    "# keep\n\n!keep.o\n", 16, NULL, NULL, NULL), 0);
	assert_int_equal(ignore_set_file(b, IGNORE_GITIGNORE, "", NULL,
	    "*.o\n", 4, NULL, NULL, NULL), 0);
	assert_int_equal(ignore_digest(b), da);
	/* One rule changed, moved to another directory or kind, removed. */
	assert_int_equal(ignore_set_file(b, IGNORE_GITIGNORE, "src", NULL,
	    "keep.o\n", 7, NULL, NULL, NULL), 0);
	assert_int_not_equal(ignore_digest(b), da);
	assert_int_equal(ignore_set_file(b, IGNORE_GITIGNORE, "src", NULL,
	    "!keep.o\n", 8, NULL, NULL, NULL), 0);
	assert_int_equal(ignore_digest(b), da);
	assert_int_equal(ignore_set_file(b, IGNORE_GGENIGNORE, "src", NULL,
	    "!keep.o\n", 8, NULL, NULL, NULL), 0);
	assert_true(ignore_remove_file(b, IGNORE_GITIGNORE, "src"));
	assert_int_not_equal(ignore_digest(b), da);
	assert_true(ignore_remove_file(b, IGNORE_GGENIGNORE, "src"));
	assert_int_not_equal(ignore_digest(b), da);
	ignore_free(a);
	ignore_free(b);
}

static void
test_ignore_free_null(void **state)
{
	(void)state;
	ignore_free(NULL);
	assert_true(true);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ignore_table),
		cmocka_unit_test(test_ignore_entry_skips_parents),
		cmocka_unit_test(test_ignore_why),
		cmocka_unit_test(test_ignore_replace_and_remove),
		cmocka_unit_test(test_ignore_errors),
		cmocka_unit_test(test_ignore_errors_do_not_stop_others),
		cmocka_unit_test(test_ignore_too_large),
		cmocka_unit_test(test_ignore_bad_args),
		cmocka_unit_test(test_ignore_config_patterns),
		cmocka_unit_test(test_ignore_file_kind),
		cmocka_unit_test(test_ignore_editor_temp),
		cmocka_unit_test(test_ignore_truncation),
		cmocka_unit_test(test_ignore_empty_and_bom_only),
		cmocka_unit_test(test_ignore_digest),
		cmocka_unit_test(test_ignore_free_null),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
