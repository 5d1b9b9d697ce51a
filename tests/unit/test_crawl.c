/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Unit tests for daemon/crawl.c: 1,000 files found exactly, ignored dirs
 * never entered, symlinks reported and not followed, special files skipped,
 * slicing bounds the work per step, deep trees, subtree starts, errors,
 * filesystem classification.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "crawl.h"
#include "filetable.h"
#include "testutil.h"
#include "xmalloc.h"

struct seen {
	char **paths;
	int *kinds;
	size_t n, cap;
	size_t calls_this_step;
	char *ignore;		/* relpath to ignore, or NULL */
	bool asked_inside_ignored;
	char *error_path;
	int error;
};

static void
seen_entry(void *arg, const char *relpath, enum crawl_kind ckind,
    const struct stat *st)
{
	enum filetable_kind kind = (enum filetable_kind)ckind;
	struct seen *s = arg;

	if (kind == FILETABLE_DIR)
		assert_true(S_ISDIR(st->st_mode));
	else
		assert_false(S_ISDIR(st->st_mode));
	if (s->n == s->cap) {
		s->cap = s->cap ? s->cap * 2 : 256;
		s->paths = xreallocarray(s->paths, s->cap, sizeof(*s->paths));
		s->kinds = xreallocarray(s->kinds, s->cap, sizeof(*s->kinds));
	}
	s->paths[s->n] = xstrdup(relpath);
	s->kinds[s->n++] = (int)kind;
	s->calls_this_step++;
}

static bool
seen_ignore(void *arg, const char *relpath, bool is_dir)
{
	struct seen *s = arg;
	size_t len;

	(void)is_dir;
	if (s->ignore == NULL)
		return false;
	len = strlen(s->ignore);
	if (strncmp(relpath, s->ignore, len) == 0 && relpath[len] == '/')
		s->asked_inside_ignored = true;
	return strcmp(relpath, s->ignore) == 0;
}

static void
seen_error(void *arg, const char *relpath, int error)
{
	struct seen *s = arg;

	free(s->error_path);
	s->error_path = xstrdup(relpath);
	s->error = error;
}

static int
seen_find(const struct seen *s, const char *path)
{
	for (size_t i = 0; i < s->n; i++) {
		if (strcmp(s->paths[i], path) == 0)
			return s->kinds[i];
	}
	return 0;
}

static void
seen_free(struct seen *s)
{
	for (size_t i = 0; i < s->n; i++)
		free(s->paths[i]);
	free(s->paths);
	free(s->kinds);
	free(s->error_path);
}

static struct crawl *
crawl_open(const char *root, const char *start, struct seen *s)
{
	struct crawl_config cfg = { .is_ignored = seen_ignore,
		.on_entry = seen_entry, .on_error = seen_error, .arg = s };
	struct crawl *c = NULL;

	assert_int_equal(crawl_new(root, start, &cfg, &c, NULL), 0);
	return c;
}

static void
crawl_all(struct crawl *c)
{
	while (crawl_step(c, 100) == CRAWL_MORE)
		;
}

static void
test_thousand_files_exact(void **state)
{
	char *dir = testutil_tmpdir("crawl");
	struct seen s = { 0 };
	struct crawl_progress pr;
	struct crawl *c;
	char rel[64];

	(void)state;
	for (int a = 0; a < 10; a++) {
		snprintf(rel, sizeof(rel), "d%d", a);
		testutil_mkdir(dir, rel);
		for (int b = 0; b < 10; b++) {
			snprintf(rel, sizeof(rel), "d%d/e%d", a, b);
			testutil_mkdir(dir, rel);
			for (int f = 0; f < 10; f++) {
				snprintf(rel, sizeof(rel), "d%d/e%d/f%d", a, b,
				    f);
				testutil_put(dir, rel, "");
			}
		}
	}
	c = crawl_open(dir, "", &s);
	crawl_all(c);
	crawl_progress(c, &pr);
	assert_int_equal(pr.files, 1000);
	assert_int_equal(pr.dirs, 111);
	assert_int_equal(pr.pending_dirs, 0);
	assert_int_equal(s.n, 1111);
	assert_int_equal(seen_find(&s, ""), FILETABLE_DIR);
	assert_int_equal(seen_find(&s, "d3/e7"), FILETABLE_DIR);
	for (int a = 0; a < 10; a++) {
		for (int b = 0; b < 10; b++) {
			for (int f = 0; f < 10; f++) {
				snprintf(rel, sizeof(rel), "d%d/e%d/f%d", a, b,
				    f);
				assert_int_equal(seen_find(&s, rel),
				    FILETABLE_FILE);
			}
		}
	}
	/* Done stays done. */
	assert_int_equal(crawl_step(c, 10), CRAWL_DONE);
	crawl_free(c);
	seen_free(&s);
	testutil_rmtree(dir);
}

static void
test_ignored_dir_never_entered(void **state)
{
	char *dir = testutil_tmpdir("crawl");
	struct seen s = { .ignore = "node_modules" };
	struct crawl_progress pr;
	struct crawl *c;

	(void)state;
	testutil_mkdir(dir, "node_modules");
	testutil_mkdir(dir, "node_modules/pkg");
	testutil_put(dir, "node_modules/pkg/index.js", "");
	testutil_put(dir, "main.c", "");
	c = crawl_open(dir, "", &s);
	crawl_all(c);
	crawl_progress(c, &pr);
	assert_false(s.asked_inside_ignored);
	assert_int_equal(seen_find(&s, "node_modules"), 0);
	assert_int_equal(seen_find(&s, "node_modules/pkg/index.js"), 0);
	assert_int_equal(seen_find(&s, "main.c"), FILETABLE_FILE);
	assert_int_equal(pr.ignored, 1);
	assert_int_equal(s.n, 2);
	crawl_free(c);
	seen_free(&s);
	testutil_rmtree(dir);
}

static void
test_symlinks_not_followed(void **state)
{
	char *dir = testutil_tmpdir("crawl");
	char *loop = xasprintf("%s/loop", dir), *ext = xasprintf("%s/ext", dir);
	char *fifo = xasprintf("%s/fifo", dir);
	struct seen s = { 0 };
	struct crawl *c;

	(void)state;
	testutil_mkdir(dir, "real");
	testutil_put(dir, "real/x", "");
	assert_int_equal(symlink(".", loop), 0);
	assert_int_equal(symlink("/etc", ext), 0);
	assert_int_equal(mkfifo(fifo, 0600), 0);
	c = crawl_open(dir, "", &s);
	crawl_all(c);
	assert_int_equal(seen_find(&s, "loop"), FILETABLE_FILE);
	assert_int_equal(seen_find(&s, "ext"), FILETABLE_FILE);
	assert_int_equal(seen_find(&s, "fifo"), 0);
	assert_int_equal(seen_find(&s, "real/x"), FILETABLE_FILE);
	for (size_t i = 0; i < s.n; i++) {
		assert_null(strstr(s.paths[i], "loop/"));
		assert_null(strstr(s.paths[i], "ext/"));
	}
	assert_int_equal(s.n, 5);	/* "", real, real/x, loop, ext */
	crawl_free(c);
	free(loop);
	free(ext);
	free(fifo);
	seen_free(&s);
	testutil_rmtree(dir);
}

static void
test_slicing_bounds_work(void **state)
{
	char *dir = testutil_tmpdir("crawl");
	struct seen s = { 0 };
	struct crawl *c;
	char rel[32];
	size_t steps = 0;
	enum crawl_state st;

	(void)state;
	testutil_mkdir(dir, "a");
	for (int i = 0; i < 50; i++) {
		snprintf(rel, sizeof(rel), "a/f%d", i);
		testutil_put(dir, rel, "");
	}
	c = crawl_open(dir, "", &s);
	do {
		s.calls_this_step = 0;
		st = crawl_step(c, 1);
		assert_true(s.calls_this_step <= 1);
		steps++;
	} while (st == CRAWL_MORE);
	assert_int_equal(s.n, 52);
	assert_true(steps >= 52);
	crawl_free(c);
	seen_free(&s);
	/* Larger slices take fewer steps. */
	memset(&s, 0, sizeof(s));
	c = crawl_open(dir, "", &s);
	steps = 0;
	while (crawl_step(c, 10) == CRAWL_MORE)
		steps++;
	assert_true(steps >= 5 && steps <= 7);
	assert_int_equal(s.n, 52);
	crawl_free(c);
	seen_free(&s);
	testutil_rmtree(dir);
}

static void
test_deep_tree(void **state)
{
	char *dir = testutil_tmpdir("crawl");
	struct seen s = { 0 };
	struct crawl *c;
	char rel[1024] = "";
	const int depth = 200;

	(void)state;
	for (int i = 0; i < depth; i++) {
		strcat(rel, i ? "/d" : "d");
		testutil_mkdir(dir, rel);
	}
	strcat(rel, "/leaf");
	testutil_put(dir, rel, "");
	c = crawl_open(dir, "", &s);
	crawl_all(c);
	assert_int_equal(s.n, depth + 2);
	assert_int_equal(seen_find(&s, rel), FILETABLE_FILE);
	crawl_free(c);
	seen_free(&s);
	testutil_rmtree(dir);
}

static void
test_subtree_start_and_errors(void **state)
{
	char *dir = testutil_tmpdir("crawl");
	char *missing = xasprintf("%s/missing", dir);
	struct seen s = { 0 };
	struct crawl_config cfg = { .on_entry = seen_entry, .arg = &s };
	struct crawl_progress pr;
	struct crawl *c = NULL;
	struct gerr err;

	(void)state;
	testutil_mkdir(dir, "a");
	testutil_mkdir(dir, "a/b");
	testutil_put(dir, "a/b/f", "");
	testutil_put(dir, "a/g", "");
	c = crawl_open(dir, "a/b", &s);
	crawl_all(c);
	assert_int_equal(s.n, 2);
	assert_int_equal(seen_find(&s, "a/b"), FILETABLE_DIR);
	assert_int_equal(seen_find(&s, "a/b/f"), FILETABLE_FILE);
	crawl_free(c);

	/* A start that vanished: reported, crawl ends. */
	c = crawl_open(dir, "gone", &s);
	assert_int_equal(crawl_step(c, 10), CRAWL_DONE);
	assert_string_equal(s.error_path, "gone");
	assert_int_equal(s.error, ENOENT);
	crawl_progress(c, &pr);
	assert_int_equal(pr.errors, 1);
	crawl_free(c);

	/* A missing root fails up front; without is_ignored/on_error. */
	gerr_clear(&err);
	c = NULL;
	assert_int_equal(crawl_new(missing, "", &cfg, &c, &err), GERR_IO);
	assert_null(c);
	assert_non_null(strstr(err.msg, "open "));
	assert_non_null(strstr(err.msg, "No such file or directory"));
	assert_int_equal(crawl_new(dir, "", &cfg, &c, NULL), 0);
	crawl_all(c);
	crawl_free(c);
	free(missing);
	seen_free(&s);
	testutil_rmtree(dir);
}

static void
test_fs_kind(void **state)
{
	enum crawl_fs_kind k = CRAWL_FS_NFS;
	struct gerr err;

	(void)state;
	assert_int_equal(crawl_fs_kind_from_magic(0x6969), CRAWL_FS_NFS);
	assert_int_equal(crawl_fs_kind_from_magic(0xFF534D42), CRAWL_FS_CIFS);
	assert_int_equal(crawl_fs_kind_from_magic(0xFE534D42), CRAWL_FS_CIFS);
	assert_int_equal(crawl_fs_kind_from_magic(0x517B), CRAWL_FS_CIFS);
	assert_int_equal(crawl_fs_kind_from_magic(0x65735546), CRAWL_FS_FUSE);
	assert_int_equal(crawl_fs_kind_from_magic(0xEF53), CRAWL_FS_LOCAL);
	assert_string_equal(crawl_fs_kind_name(CRAWL_FS_FUSE), "fuse");
	assert_string_equal(crawl_fs_kind_name(CRAWL_FS_NFS), "nfs");
	assert_string_equal(crawl_fs_kind_name(CRAWL_FS_CIFS), "cifs");
	assert_string_equal(crawl_fs_kind_name(CRAWL_FS_LOCAL), "local");
	/* /proc is procfs: local as far as polling goes. */
	assert_int_equal(crawl_fs_kind("/proc", &k, NULL), 0);
	assert_int_equal(k, CRAWL_FS_LOCAL);
	gerr_clear(&err);
	assert_int_equal(crawl_fs_kind("/nonexistent/x", &k, &err), GERR_IO);
	assert_non_null(strstr(err.msg, "statfs /nonexistent/x: No such file"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_thousand_files_exact),
		cmocka_unit_test(test_ignored_dir_never_entered),
		cmocka_unit_test(test_symlinks_not_followed),
		cmocka_unit_test(test_slicing_bounds_work),
		cmocka_unit_test(test_deep_tree),
		cmocka_unit_test(test_subtree_start_and_errors),
		cmocka_unit_test(test_fs_kind),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
