/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Unit tests for common/make_templates.c: glob expansion on disk (literal
 * prefix, `**`, no match), template compile errors as findings with their
 * positions, a file named by two patterns compiled once, workspaces (own
 * make.toml or the root's phases), symlinked directories not followed,
 * "." roots named without "./".
 */
#define _XOPEN_SOURCE 700
#include <ftw.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "make.h"
#include "make_templates.h"
#include "xmalloc.h"

struct fixture {
	char dir[64];
};

static void
put(const char *root, const char *rel, const char *text)
{
	char *path = xasprintf("%s/%s", root, rel);
	char *slash = strrchr(path, '/');
	FILE *f;

	/* mkdir -p for the parents (a few levels at most in these tests). */
	for (char *p = path + strlen(root) + 1; p < slash; p++)
		if (*p == '/') {
			*p = '\0';
			mkdir(path, 0700);
			*p = '/';
		}
	*slash = '\0';
	mkdir(path, 0700);
	*slash = '/';
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	free(path);
}

static int
setup(void **state)
{
	struct fixture *fx = xcalloc(1, sizeof(*fx));

	snprintf(fx->dir, sizeof(fx->dir), "/tmp/ggen-test-mt-XXXXXX");
	assert_non_null(mkdtemp(fx->dir));
	*state = fx;
	return 0;
}

static int
teardown_remove(const char *path, const struct stat *st, int type,
    struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	return type == FTW_DP ? rmdir(path) : unlink(path);
}

static int
teardown(void **state)
{
	struct fixture *fx = *state;

	/* Depth first, symlinks not followed: removes the tree we made. */
	assert_int_equal(nftw(fx->dir, teardown_remove, 16,
	    FTW_DEPTH | FTW_PHYS), 0);
	free(fx);
	return 0;
}

/* make_load + make_templates_check on root; returns the check's code. */
static int
check(const char *root, struct make_findings *f)
{
	struct make_project *p = NULL;
	struct gerr err;
	int rc;

	gerr_clear(&err);
	make_findings_init(f);
	assert_int_equal(make_load(root, &p, f, &err), 0);
	rc = make_templates_check(p, root, f, &err);
	if (rc != 0) {
		assert_int_equal(err.code, rc);
		assert_true(err.line > 0);
	}
	make_project_free(p);
	return rc;
}

static const struct make_finding *
at(const struct make_findings *f, size_t i, const char *rule,
    const char *file_suffix, int line, int col)
{
	const struct make_finding *it;
	size_t n = strlen(file_suffix), fl;

	assert_true(i < f->len);
	it = &f->items[i];
	fl = strlen(it->file);
	if (strcmp(it->rule->id, rule) != 0 || it->line != line ||
	    it->col != col || fl < n ||
	    strcmp(it->file + fl - n, file_suffix) != 0)
		fail_msg("finding %zu: %s %s:%d:%d, want %s *%s:%d:%d", i,
		    it->rule->id, it->file, it->line, it->col, rule,
		    file_suffix, line, col);
	return it;
}

static void
test_errors_and_missing(void **state)
{
	struct fixture *fx = *state;
	struct make_findings f;

	put(fx->dir, "make.toml", "[project]\nname = \"t\"\n[lifecycle.g]\n"
	    "templates = [\"tpl/**/*.tmpl\", \"tpl/a.tmpl\", \"none/*.tmpl\"]\n");
	put(fx->dir, "tpl/a.tmpl", "---\nto: x\n---\n{{ name\n");
	put(fx->dir, "tpl/deep/er/b.tmpl", "{% for x in xs %}\n");
	put(fx->dir, "tpl/ok.tmpl", "{{ name | upper }}\n");
	put(fx->dir, "tpl/skip.txt", "{{ not a template\n");
	assert_int_equal(check(fx->dir, &f), GERR_INVALID);
	assert_int_equal(f.len, 3);
	assert_int_equal(f.errors, 2);
	assert_int_equal(f.warnings, 1);
	assert_non_null(strstr(at(&f, 0, "template-missing", "/make.toml", 4,
	    45)->message, "'none/*.tmpl' of phase 'g' matches no file"));
	/* tpl/a.tmpl is named twice but reported once. */
	assert_non_null(strstr(at(&f, 1, "template-error", "/tpl/a.tmpl", 4,
	    1)->message, "unclosed tag"));
	assert_non_null(strstr(at(&f, 2, "template-error",
	    "/tpl/deep/er/b.tmpl", 1, 4)->message, "unclosed `for`"));
	make_findings_release(&f);
}

static void
test_valid_and_dot_root(void **state)
{
	struct fixture *fx = *state;
	struct make_findings f;
	char *cwd = getcwd(NULL, 0);

	put(fx->dir, "make.toml", "[project]\nname = \"t\"\n[lifecycle.g]\n"
	    "templates = [\"t/*.tmpl\"]\n");
	put(fx->dir, "t/x.tmpl", "{% if a %}{{ a }}{% endif %}\n");
	assert_int_equal(check(fx->dir, &f), 0);
	assert_int_equal(f.len, 0);
	make_findings_release(&f);
	put(fx->dir, "t/y.tmpl", "{{ a | nosuchfilter }}\n");
	assert_int_equal(chdir(fx->dir), 0);
	assert_int_equal(check(".", &f), GERR_INVALID);
	assert_int_equal(f.len, 1);
	assert_string_equal(f.items[0].file, "t/y.tmpl");
	assert_int_equal(f.items[0].line, 1);
	assert_int_equal(f.items[0].col, 8);
	make_findings_release(&f);
	assert_int_equal(chdir(cwd), 0);
	free(cwd);
}

static void
test_workspaces(void **state)
{
	struct fixture *fx = *state;
	struct make_findings f;

	put(fx->dir, "make.toml", "[project]\nname = \"t\"\n"
	    "[workspace.own]\npath = \"own\"\n[workspace.plain]\n"
	    "path = \"plain\"\n[lifecycle.g]\ntemplates = [\"t/*.tmpl\"]\n");
	put(fx->dir, "t/root.tmpl", "fine\n");
	put(fx->dir, "own/make.toml", "[project]\nname = \"o\"\n"
	    "[lifecycle.h]\ntemplates = [\"u/*.tmpl\"]\n");
	put(fx->dir, "own/u/bad.tmpl", "{{ }}\n");
	/* plain has no make.toml: the root's phases apply under it. */
	put(fx->dir, "plain/t/bad.tmpl", "{% endif %}\n");
	assert_int_equal(check(fx->dir, &f), GERR_INVALID);
	assert_int_equal(f.len, 2);
	at(&f, 0, "template-error", "/own/u/bad.tmpl", 1, 4);
	at(&f, 1, "template-error", "/plain/t/bad.tmpl", 1, 4);
	make_findings_release(&f);
}

static void
test_symlinked_dir_not_followed(void **state)
{
	struct fixture *fx = *state;
	struct make_findings f;
	char *link = xasprintf("%s/t/loop", fx->dir);

	put(fx->dir, "make.toml", "[project]\nname = \"t\"\n[lifecycle.g]\n"
	    "templates = [\"t/**/*.tmpl\"]\n");
	put(fx->dir, "t/a.tmpl", "ok\n");
	/* A loop back to t/: following it would never end. */
	assert_int_equal(symlink("..", link), 0);
	assert_int_equal(check(fx->dir, &f), 0);
	assert_int_equal(f.len, 0);
	make_findings_release(&f);
	free(link);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_errors_and_missing, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_valid_and_dot_root, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_workspaces, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_symlinked_dir_not_followed,
		    setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
