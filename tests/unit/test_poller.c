/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Unit tests for daemon/poller.c: a polled subtree picks up added, changed
 * and removed files and directories; watched parts are left alone; ignored
 * entries are not added; a vanished polled top is removed; a bad root
 * errs.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "poller.h"
#include "testutil.h"
#include "xmalloc.h"

#define CHANGES_MAX 32

struct changes {
	size_t n;
	char path[CHANGES_MAX][64];
	enum poller_change what[CHANGES_MAX];
};

static void
changes_cb(void *arg, const char *relpath, enum filetable_kind kind,
    enum poller_change what)
{
	struct changes *c = arg;

	(void)kind;
	assert_true(c->n < CHANGES_MAX);
	snprintf(c->path[c->n], sizeof(c->path[0]), "%s", relpath);
	c->what[c->n++] = what;
}

static int
changes_find(const struct changes *c, const char *path)
{
	for (size_t i = 0; i < c->n; i++) {
		if (strcmp(c->path[i], path) == 0)
			return (int)c->what[i];
	}
	return 0;
}

static bool
ignore_tmp(void *arg, const char *relpath, bool is_dir)
{
	size_t len = strlen(relpath);

	(void)arg;
	(void)is_dir;
	return len > 4 && strcmp(relpath + len - 4, ".tmp") == 0;
}

static void
sh(const char *dir, const char *fmt, const char *arg)
{
	char *cmd0 = xasprintf(fmt, arg);
	char *cmd = xasprintf("cd '%s' && %s", dir, cmd0);

	assert_int_equal(system(cmd), 0);
	free(cmd0);
	free(cmd);
}

/* Fill t from the tree as the daemon's initial crawl would. */
static void
fill_entry(void *arg, const char *relpath, enum crawl_kind kind,
    const struct stat *st)
{
	struct filetable_stat fst;

	filetable_stat_from(&fst, st);
	filetable_upsert(arg, relpath, (enum filetable_kind)kind, &fst);
}

static void
fill(const char *root, struct filetable *t)
{
	struct crawl_config cfg = { .on_entry = fill_entry, .arg = t };
	struct crawl *c;

	assert_int_equal(crawl_new(root, "", &cfg, &c, NULL), 0);
	while (crawl_step(c, 1000) == CRAWL_MORE)
		;
	crawl_free(c);
}

static void
test_polled_subtree_changes(void **state)
{
	char *dir = testutil_tmpdir("poller");
	struct filetable *t = filetable_new(NULL);
	struct poller_result res;
	struct changes c = { 0 };

	(void)state;
	sh(dir, "mkdir -p %s", "p/sub w");
	testutil_put(dir, "p/a", "a");
	testutil_put(dir, "p/b", "b");
	testutil_put(dir, "p/sub/c", "c");
	testutil_put(dir, "w/x", "x");
	fill(dir, t);
	assert_true(filetable_set_wd(t, "", 1));
	assert_true(filetable_set_wd(t, "w", 2));
	assert_true(filetable_set_wd(t, "p", FILETABLE_WD_POLLED));
	assert_true(filetable_set_wd(t, "p/sub", FILETABLE_WD_POLLED));

	/* Nothing changed: nothing reported. */
	assert_int_equal(poller_scan(dir, t, ignore_tmp, changes_cb, &c,
	    0, &res, NULL), 0);
	assert_int_equal(res.changes, 0);
	assert_int_equal(res.dirs_scanned, 2);

	testutil_put(dir, "p/a", "a longer");		/* modified */
	sh(dir, "rm %s", "p/b");		/* removed */
	testutil_put(dir, "p/new", "n");			/* added */
	testutil_put(dir, "p/junk.tmp", "j");		/* ignored */
	sh(dir, "mkdir %s", "p/nd");		/* added dir, polled */
	testutil_put(dir, "p/nd/f", "f");
	sh(dir, "rm -r %s", "p/sub");		/* removed subtree */
	testutil_put(dir, "w/y", "y");			/* watched: not the poller's */
	assert_int_equal(poller_scan(dir, t, ignore_tmp, changes_cb, &c,
	    0, &res, NULL), 0);
	assert_int_equal(changes_find(&c, "p/a"), POLLER_STAT_CHANGED);
	assert_int_equal(changes_find(&c, "p/b"), POLLER_REMOVED);
	assert_int_equal(changes_find(&c, "p/new"), POLLER_ADDED);
	assert_int_equal(changes_find(&c, "p/nd"), POLLER_ADDED);
	assert_int_equal(changes_find(&c, "p/nd/f"), POLLER_ADDED);
	assert_int_equal(changes_find(&c, "p/sub"), POLLER_REMOVED);
	assert_int_equal(changes_find(&c, "p/junk.tmp"), 0);
	assert_int_equal(changes_find(&c, "w/y"), 0);
	assert_int_equal(c.n, 6);
	assert_int_equal(res.changes, 6);
	assert_null(filetable_lookup(t, "p/b"));
	assert_null(filetable_lookup(t, "p/sub/c"));
	assert_null(filetable_lookup(t, "w/y"));
	assert_non_null(filetable_lookup(t, "w/x"));
	assert_non_null(filetable_lookup(t, "w"));
	assert_int_equal(filetable_lookup(t, "p/nd")->wd, FILETABLE_WD_POLLED);
	assert_false(filetable_lookup(t, "p/a")->flags &
	    FILETABLE_F_HASH_KNOWN);
	filetable_check(t);
	filetable_free(t);
	testutil_rmtree(dir);
}

static void
test_watched_dir_inside_polled(void **state)
{
	char *dir = testutil_tmpdir("poller");
	struct filetable *t = filetable_new(NULL);
	struct poller_result res;
	struct changes c = { 0 };

	(void)state;
	sh(dir, "mkdir -p %s", "p/w");
	testutil_put(dir, "p/w/f", "f");
	fill(dir, t);
	assert_true(filetable_set_wd(t, "p", FILETABLE_WD_POLLED));
	assert_true(filetable_set_wd(t, "p/w", 9));
	sh(dir, "rm %s", "p/w/f");	/* its watch reports this, not us */
	assert_int_equal(poller_scan(dir, t, NULL, changes_cb, &c,
	    0, &res, NULL), 0);
	assert_int_equal(c.n, 0);
	assert_non_null(filetable_lookup(t, "p/w"));
	assert_non_null(filetable_lookup(t, "p/w/f"));
	/* The polled top itself vanishing removes its subtree. */
	sh(dir, "rm -r %s", "p");
	assert_int_equal(poller_scan(dir, t, NULL, changes_cb, &c,
	    0, &res, NULL), 0);
	assert_int_equal(changes_find(&c, "p"), POLLER_REMOVED);
	assert_null(filetable_lookup(t, "p/w/f"));
	assert_null(filetable_lookup(t, "p"));
	filetable_free(t);
	testutil_rmtree(dir);
}

static void
test_whole_root_polled_and_bad_root(void **state)
{
	char *dir = testutil_tmpdir("poller");
	char *missing = xasprintf("%s/missing", dir);
	struct filetable *t = filetable_new(NULL);
	struct poller_result res;
	struct gerr err;

	(void)state;
	testutil_put(dir, "a", "a");
	fill(dir, t);
	/* A remote root: everything polled, from "" down. */
	assert_true(filetable_set_wd(t, "", FILETABLE_WD_POLLED));
	testutil_put(dir, "b", "b");
	assert_int_equal(poller_scan(dir, t, NULL, NULL, NULL, 0, &res, NULL), 0);
	assert_int_equal(res.changes, 1);
	assert_non_null(filetable_lookup(t, "b"));
	gerr_clear(&err);
	assert_int_equal(poller_scan(missing, t, NULL, NULL, NULL, 0, &res,
	    &err),
	    GERR_IO);
	assert_non_null(strstr(err.msg, "No such file or directory"));
	filetable_free(t);
	free(missing);
	testutil_rmtree(dir);
}

/* After IN_Q_OVERFLOW: everything is rescanned, watched or not; a touch
 * is a stat change only, new dirs are left for the caller to watch. */
static void
test_rescan_all(void **state)
{
	char *dir = testutil_tmpdir("poller");
	struct filetable *t = filetable_new(NULL);
	struct poller_result res;
	struct changes c = { 0 };

	(void)state;
	sh(dir, "mkdir -p %s", "w/sub");
	testutil_put(dir, "w/a", "a");
	testutil_put(dir, "w/sub/b", "b");
	fill(dir, t);
	assert_true(filetable_set_wd(t, "", 1));
	assert_true(filetable_set_wd(t, "w", 2));
	assert_true(filetable_set_wd(t, "w/sub", 3));
	sh(dir, "rm %s", "w/sub/b");
	testutil_put(dir, "w/a", "changed");
	sh(dir, "mkdir %s", "w/new");
	assert_int_equal(poller_scan(dir, t, NULL, changes_cb, &c, POLLER_ALL,
	    &res, NULL), 0);
	assert_int_equal(changes_find(&c, "w/sub/b"), POLLER_REMOVED);
	assert_int_equal(changes_find(&c, "w/a"), POLLER_STAT_CHANGED);
	assert_int_equal(changes_find(&c, "w/new"), POLLER_ADDED);
	assert_int_equal(c.n, 3);
	assert_int_equal(filetable_lookup(t, "w/new")->wd, FILETABLE_WD_NONE);
	assert_int_equal(filetable_lookup(t, "w/sub")->wd, 3);
	assert_int_equal(res.dirs_scanned, 4);
	filetable_free(t);
	testutil_rmtree(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_polled_subtree_changes),
		cmocka_unit_test(test_watched_dir_inside_polled),
		cmocka_unit_test(test_whole_root_polled_and_bad_root),
		cmocka_unit_test(test_rescan_all),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
