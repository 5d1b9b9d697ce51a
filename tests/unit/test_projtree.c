/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Unit tests for common/projtree.c and common/fileio.c's reader: the
 * walk keeps what the daemon's policy keeps (dot-files, symlinks as
 * files; not .git, node_modules, target, .gitignore'd, nested
 * .gitignore'd, .ggenignore'd, [watch] ignore'd, inside a symlinked
 * directory), a walk from a workspace applies its parents' ignore files,
 * the entry cap is GERR_LIMIT, projtree_ignored on single paths,
 * template entries (pair wins, first glob), and the reader's refusals
 * (missing, over the cap, directory, FIFO without blocking, symlink with
 * FILEIO_NOFOLLOW).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "fileio.h"
#include "make.h"
#include "projtree.h"
#include "testutil.h"
#include "xmalloc.h"

struct found {
	char *list[64];
	size_t n;
};

static int
found_add(void *arg, const char *rel, const struct stat *st)
{
	struct found *f = arg;

	assert_non_null(st);
	assert_true(f->n < 64);
	f->list[f->n++] = xstrdup(rel);
	return 0;
}

static int
found_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The walk's files, sorted, joined by spaces. */
static char *
found_join(struct found *f)
{
	size_t cap = 1;
	char *s;

	qsort(f->list, f->n, sizeof(*f->list), found_cmp);
	for (size_t i = 0; i < f->n; i++)
		cap += strlen(f->list[i]) + 1;
	s = xcalloc(cap, 1);
	for (size_t i = 0; i < f->n; i++) {
		if (i > 0)
			strcat(s, " ");
		strcat(s, f->list[i]);
		free(f->list[i]);
	}
	f->n = 0;
	return s;
}

static struct make_project *
tricky(char *dir)
{
	struct make_project *p = NULL;
	struct gerr err;
	char *link;

	testutil_put(dir, "make.toml", "[project]\nname = \"t\"\n"
	    "[watch]\nignore = [\"skipme\"]\n"
	    "[lifecycle.g]\ntemplates = [\"a.tmpl:out\", \"**/*.tmpl\", "
	    "\"a.tmpl\"]\n");
	testutil_put(dir, ".gitignore", "gitignored/\n");
	testutil_put(dir, ".ggenignore", "*.skip\n");
	testutil_put(dir, "a.tmpl", "a");
	testutil_put(dir, ".hidden", "h");
	testutil_put(dir, "x.skip", "x");
	testutil_mkdir(dir, "sub");
	testutil_put(dir, "sub/.gitignore", "h.txt\n");
	testutil_put(dir, "sub/b.txt", "b");
	testutil_put(dir, "sub/h.txt", "h");
	testutil_mkdir(dir, "sub/deep");
	testutil_put(dir, "sub/deep/h.txt", "h");
	testutil_put(dir, "sub/deep/k.txt", "k");
	testutil_mkdir(dir, "node_modules");
	testutil_put(dir, "node_modules/n.js", "n");
	testutil_mkdir(dir, "target");
	testutil_put(dir, "target/t.o", "t");
	testutil_mkdir(dir, ".git");
	testutil_put(dir, ".git/config", "c");
	testutil_mkdir(dir, "gitignored");
	testutil_put(dir, "gitignored/g", "g");
	testutil_mkdir(dir, "skipme");
	testutil_put(dir, "skipme/s", "s");
	link = xasprintf("%s/link", dir);
	assert_int_equal(symlink("sub", link), 0);
	free(link);
	link = xasprintf("%s/flink", dir);
	assert_int_equal(symlink("a.tmpl", link), 0);
	free(link);
	gerr_clear(&err);
	assert_int_equal(make_load(dir, &p, NULL, &err), 0);
	return p;
}

static void
test_walk_policy(void **state)
{
	char *dir = testutil_tmpdir("projtree");
	struct make_project *p = tricky(dir);
	struct projtree *t = projtree_new(dir, p);
	struct found f = { .n = 0 };
	char *s;

	(void)state;
	assert_int_equal(projtree_walk(t, "", 0, found_add, &f, NULL), 0);
	s = found_join(&f);
	assert_string_equal(s, ".ggenignore .gitignore .hidden a.tmpl flink "
	    "link make.toml sub/.gitignore sub/b.txt sub/deep/k.txt");
	free(s);
	/* From a workspace: the root's and sub's ignore files still apply;
	 * paths are relative to the start. */
	assert_int_equal(projtree_walk(t, "sub/deep", 0, found_add, &f, NULL),
	    0);
	s = found_join(&f);
	assert_string_equal(s, "k.txt");
	free(s);
	projtree_free(t);
	/* A fresh policy, straight into a workspace. */
	t = projtree_new(dir, p);
	assert_int_equal(projtree_walk(t, "sub", 0, found_add, &f, NULL), 0);
	s = found_join(&f);
	assert_string_equal(s, ".gitignore b.txt deep/k.txt");
	free(s);
	/* An ignored or missing start: nothing. */
	assert_int_equal(projtree_walk(t, "node_modules", 0, found_add, &f,
	    NULL), 0);
	assert_int_equal(projtree_walk(t, "nope", 0, found_add, &f, NULL), 0);
	assert_int_equal(f.n, 0);
	projtree_free(t);
	make_project_free(p);
	testutil_rmtree(dir);
}

static void
test_ignored_and_cap(void **state)
{
	char *dir = testutil_tmpdir("projtree");
	struct make_project *p = tricky(dir);
	struct projtree *t = projtree_new(dir, p);
	struct found f = { .n = 0 };
	struct gerr err;

	(void)state;
	assert_false(projtree_ignored(t, "", true));
	assert_false(projtree_ignored(t, ".hidden", false));
	assert_true(projtree_ignored(t, "sub/deep/h.txt", false));
	assert_false(projtree_ignored(t, "sub/deep/k.txt", false));
	assert_true(projtree_ignored(t, "node_modules/x/y.js", false));
	assert_true(projtree_ignored(t, "gitignored/g", false));
	assert_true(projtree_ignored(t, "skipme/s", false));
	assert_true(projtree_ignored(t, "x.skip", false));
	assert_true(projtree_ignored(t, ".git/config", false));
	gerr_clear(&err);
	assert_int_equal(projtree_walk(t, "", 3, found_add, &f, &err),
	    GERR_LIMIT);
	assert_non_null(strstr(err.msg, "more than 3 entries"));
	while (f.n > 0)
		free(f.list[--f.n]);
	projtree_free(t);
	make_project_free(p);
	testutil_rmtree(dir);
}

static void
test_template_entry(void **state)
{
	char *dir = testutil_tmpdir("projtree");
	struct make_project *p = tricky(dir);
	const struct make_phase *ph = make_phase_find(p, "g");
	char *src;

	(void)state;
	assert_non_null(ph);
	assert_int_equal(projtree_template_entry(ph, "a.tmpl"), 0);
	assert_int_equal(projtree_template_entry(ph, "x/y.tmpl"), 1);
	assert_int_equal(projtree_template_entry(ph, "a.txt"), -1);
	src = projtree_template_pair_src("a.tmpl:out");
	assert_string_equal(src, "a.tmpl");
	free(src);
	assert_null(projtree_template_pair_src("**/*.tmpl"));
	make_project_free(p);
	testutil_rmtree(dir);
}

static void
test_read_refusals(void **state)
{
	char *dir = testutil_tmpdir("fileio");
	char *path, *buf = NULL;
	size_t len;
	bool missing;
	struct gerr err;

	(void)state;
	testutil_put(dir, "f", "0123456789");
	path = xasprintf("%s/f", dir);
	assert_int_equal(fileio_read(path, 10, 0, &buf, &len, NULL, NULL), 0);
	assert_int_equal(len, 10);
	assert_string_equal(buf, "0123456789");
	free(buf);
	gerr_clear(&err);
	assert_int_equal(fileio_read(path, 9, 0, &buf, &len, NULL, &err),
	    GERR_TOO_LARGE);
	assert_null(buf);
	assert_non_null(strstr(err.msg, "over the 9 byte cap"));
	free(path);
	/* Missing: a flag when asked for, else GERR_NOT_FOUND. */
	path = xasprintf("%s/none", dir);
	assert_int_equal(fileio_read(path, 9, 0, &buf, &len, &missing, NULL),
	    0);
	assert_true(missing);
	assert_null(buf);
	assert_int_equal(fileio_read(path, 9, 0, &buf, &len, NULL, NULL),
	    GERR_NOT_FOUND);
	free(path);
	/* A directory, a FIFO (no blocking), a symlink with NOFOLLOW. */
	gerr_clear(&err);
	assert_int_equal(fileio_read(dir, 9, 0, &buf, &len, NULL, &err),
	    GERR_IO);
	assert_non_null(strstr(err.msg, "Is a directory"));
	path = xasprintf("%s/fifo", dir);
	assert_int_equal(mkfifo(path, 0600), 0);
	gerr_clear(&err);
	assert_int_equal(fileio_read(path, 9, 0, &buf, &len, NULL, &err),
	    GERR_IO);
	assert_non_null(strstr(err.msg, "not a regular file"));
	free(path);
	path = xasprintf("%s/l", dir);
	assert_int_equal(symlink("f", path), 0);
	assert_int_equal(fileio_read(path, 99, 0, &buf, &len, NULL, NULL), 0);
	free(buf);
	assert_int_equal(fileio_read(path, 99, FILEIO_NOFOLLOW, &buf, &len,
	    NULL, NULL), GERR_IO);
	free(path);
	/* procfs says st_size 0: read to the end anyway. */
	assert_int_equal(fileio_read("/proc/self/status", 1 << 20, 0, &buf,
	    &len, NULL, NULL), 0);
	assert_true(len > 0);
	assert_non_null(strstr(buf, "Name:"));
	free(buf);
	testutil_rmtree(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_walk_policy),
		cmocka_unit_test(test_ignored_and_cap),
		cmocka_unit_test(test_template_entry),
		cmocka_unit_test(test_read_refusals),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
