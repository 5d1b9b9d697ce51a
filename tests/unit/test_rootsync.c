/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Unit tests for daemon/rootsync.c with real inotify and a real hash pool:
 * initial crawl (ignored dirs skipped, nothing reported), a file's life
 * (add, touch = no change, modify, rename, delete), a new directory filled
 * at once, directories moved out and in, rm -rf, out of watches -> polled
 * -> recovered, queue overflow rescan reporting only real changes, a
 * polled root, watches released on free.
 * settle() waits on the inotify and pool fds, never on a sleep.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <fcntl.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "notifier.h"
#include "testutil.h"
#include "rootsync.h"
#include "xmalloc.h"

#define CHANGES_MAX 64
#define POOL_JOBS 64

struct fx {
	char *top;		/* holds root/ and out/ */
	char *root;
	int pipe[2];
	struct hashpool *pool;
	struct rootsync *w;
	size_t n;
	const char *hide;	/* a directory fx_ignore ignores too */
	char path[CHANGES_MAX][64];
	enum filetable_change what[CHANGES_MAX];
};

static void
fx_notify(void *arg)
{
	struct fx *f = arg;
	ssize_t n = write(f->pipe[1], "x", 1);

	(void)n;	/* a full pipe wakes the reader all the same */
}

static void
fx_change(void *arg, const struct filetable_entry *e,
    enum filetable_change what)
{
	struct fx *f = arg;

	assert_true(f->n < CHANGES_MAX);
	snprintf(f->path[f->n], sizeof(f->path[0]), "%s", e->path);
	f->what[f->n++] = what;
}

static int
fx_find(const struct fx *f, const char *path)
{
	for (size_t i = 0; i < f->n; i++) {
		if (strcmp(f->path[i], path) == 0)
			return (int)f->what[i];
	}
	return 0;
}

static bool
fx_ignore(void *arg, const char *rel, bool is_dir)
{
	struct fx *f = arg;

	return is_dir && (strcmp(rel, "skip") == 0 ||
	    (f->hide != NULL && strcmp(rel, f->hide) == 0));
}

static void
fx_event(void *arg, int32_t wd, uint32_t mask, uint32_t cookie,
    const char *name)
{
	struct fx *f = arg;

	if (wd == -1 && (mask & IN_Q_OVERFLOW))
		rootsync_overflow(f->w);
	else if (rootsync_owns_wd(f->w, wd))
		rootsync_event(f->w, wd, mask, cookie, name);
}

static void
fx_result(void *arg, const struct hashpool_result *r)
{
	struct fx *f = arg;

	rootsync_hash_result(f->w, r);
}

static void
fx_discard(void *arg, int32_t wd, uint32_t mask, uint32_t cookie,
    const char *name)
{
	(void)arg;
	(void)wd;
	(void)mask;
	(void)cookie;
	(void)name;
}

/* Run the loop's work until nothing is left: events, crawls, hashes. */
static void
settle(struct fx *f)
{
	char buf[64];

	for (;;) {
		struct pollfd p[2] = {
			{ .fd = notifier_fd(), .events = POLLIN },
			{ .fd = f->pipe[0], .events = POLLIN },
		};
		struct rootsync_status st;

		notifier_drain(fx_event, f);
		rootsync_flush_moves(f->w);
		while (rootsync_step(f->w, 1000))
			;
		hashpool_drain(f->pool, fx_result, f);
		rootsync_status(f->w, &st);
		if (poll(p, 2, 0) == 0 && !st.crawling &&
		    st.hash_backlog == 0 &&
		    hashpool_room(f->pool) == POOL_JOBS)
			return;
		assert_true(poll(p, 2, 10000) > 0);
		if (p[1].revents & POLLIN)
			assert_true(read(f->pipe[0], buf, sizeof(buf)) > 0);
	}
}

static struct fx *
fx_new(bool force_poll, size_t max_tombstones)
{
	struct hashpool_config pcfg = { .threads = 2, .max_jobs = POOL_JOBS };
	struct fx *f = xcalloc(1, sizeof(*f));
	struct rootsync_config cfg = { .is_ignored = fx_ignore,
		.on_change = fx_change, .arg = f, .generation = 5,
		.force_poll = force_poll, .max_tombstones = max_tombstones };

	f->top = testutil_tmpdir("rootsync");
	testutil_mkdir(f->top, "root");
	testutil_mkdir(f->top, "out");
	f->root = xasprintf("%s/root", f->top);
	testutil_mkdir(f->root, "a");
	testutil_mkdir(f->root, "b");
	testutil_mkdir(f->root, "skip");
	testutil_put(f->root, "a/x", "x");
	testutil_put(f->root, "a/y", "y");
	testutil_put(f->root, "b/z", "z");
	testutil_put(f->root, "skip/s", "s");
	assert_int_equal(pipe2(f->pipe, O_CLOEXEC | O_NONBLOCK), 0);
	assert_int_equal(hashpool_new(&pcfg, fx_notify, f, &f->pool, NULL), 0);
	cfg.pool = f->pool;
	assert_int_equal(notifier_init(NULL), 0);
	assert_int_equal(rootsync_new(f->root, &cfg, &f->w, NULL), 0);
	settle(f);
	return f;
}

static int
fx_setup(void **state)
{
	*state = fx_new(false, 0);
	return 0;
}

static int
fx_setup_polled(void **state)
{
	*state = fx_new(true, 0);
	return 0;
}

static int
fx_setup_tiny_tombstones(void **state)
{
	*state = fx_new(false, 1);
	return 0;
}

static void
fx_free(struct fx *f)
{
	struct notifier_status ns;

	filetable_check(rootsync_table(f->w));	/* aborts if broken */
	rootsync_free(f->w);
	notifier_status(&ns);
	assert_int_equal(ns.used, 0);	/* every watch released */
	notifier_set_watch_cap(0);
	notifier_cleanup();
	hashpool_free(f->pool);
	close(f->pipe[0]);
	close(f->pipe[1]);
	free(f->root);
	testutil_rmtree(f->top);
	free(f);
}

static void
fx_mv(struct fx *f, const char *from, const char *to)
{
	char *a = xasprintf("%s/%s", f->top, from);
	char *b = xasprintf("%s/%s", f->top, to);

	assert_int_equal(rename(a, b), 0);
	free(a);
	free(b);
}

static void
test_initial_crawl(void **state)
{
	struct fx *f = *state;
	const struct filetable *t = rootsync_table(f->w);
	struct rootsync_status st;

	rootsync_status(f->w, &st);
	assert_int_equal(st.files, 3);
	assert_int_equal(st.dirs, 3);
	assert_int_equal(st.watched_dirs, 3);
	assert_int_equal(st.polled_dirs, 0);
	assert_int_equal(st.hash_pending, 0);
	assert_false(st.remote);
	assert_string_equal(st.fs, "local");
	assert_string_equal(st.watch_limit_msg, "");
	assert_null(filetable_lookup(t, "skip"));
	assert_null(filetable_lookup(t, "skip/s"));
	assert_true(XXH128_isEqual(filetable_lookup(t, "a/x")->hash,
	    XXH3_128bits("x", 1)));
	assert_int_equal(f->n, 0);	/* a fresh root reports nothing */
}

static void
test_file_life(void **state)
{
	struct fx *f = *state;
	const struct filetable *t = rootsync_table(f->w);
	char *c = xasprintf("%s/c", f->root);
	struct timespec ts[2] = { { 1000, 0 }, { 1000, 0 } };

	testutil_put(f->root, "c", "1");
	settle(f);
	assert_int_equal(f->n, 1);
	assert_int_equal(fx_find(f, "c"), FILETABLE_CHANGE_ADDED);
	assert_true(XXH128_isEqual(filetable_lookup(t, "c")->hash,
	    XXH3_128bits("1", 1)));

	f->n = 0;
	assert_int_equal(utimensat(AT_FDCWD, c, ts, 0), 0);
	settle(f);
	assert_int_equal(f->n, 0);	/* touch: same content */
	assert_int_equal(filetable_lookup(t, "c")->st.mtime_ns,
	    1000000000000LL);

	testutil_put(f->root, "c", "2");
	settle(f);
	assert_int_equal(f->n, 1);
	assert_int_equal(fx_find(f, "c"), FILETABLE_CHANGE_MODIFIED);

	f->n = 0;
	fx_mv(f, "root/c", "root/d");
	settle(f);
	assert_int_equal(f->n, 2);
	assert_int_equal(fx_find(f, "c"), FILETABLE_CHANGE_REMOVED);
	assert_int_equal(fx_find(f, "d"), FILETABLE_CHANGE_ADDED);

	f->n = 0;
	fx_mv(f, "root/d", "root/a/x");		/* atomic save over x */
	settle(f);
	assert_int_equal(fx_find(f, "d"), FILETABLE_CHANGE_REMOVED);
	assert_int_equal(fx_find(f, "a/x"), FILETABLE_CHANGE_MODIFIED);
	assert_int_equal(f->n, 2);

	f->n = 0;
	testutil_put(f->root, "a/x", "2");	/* same content again */
	settle(f);
	assert_int_equal(f->n, 0);
	free(c);
}

/* IN_CLOSE_WRITE on a known file: hashed from its open fd (no lstat) when
 * small; a big one falls back to the pool, a vanished one to the lstat
 * that finds it gone. */
static void
test_written_known_file(void **state)
{
	struct fx *f = *state;
	const struct filetable *t = rootsync_table(f->w);
	struct rootsync_status st0, st1;
	size_t big_len = 200 * 1024;
	char *big = xmalloc(big_len + 1), *x = xasprintf("%s/a/x", f->root);

	rootsync_status(f->w, &st0);
	testutil_put(f->root, "a/x", "new x");
	settle(f);
	rootsync_status(f->w, &st1);
	assert_int_equal(f->n, 1);
	assert_int_equal(fx_find(f, "a/x"), FILETABLE_CHANGE_MODIFIED);
	assert_true(XXH128_isEqual(filetable_lookup(t, "a/x")->hash,
	    XXH3_128bits("new x", 5)));
	assert_int_equal(st1.files_hashed, st0.files_hashed + 1);
	assert_int_equal(filetable_lookup(t, "a/x")->st.size, 5);

	f->n = 0;
	memset(big, 'b', big_len);
	big[big_len] = '\0';
	testutil_put(f->root, "a/x", big);
	settle(f);
	assert_int_equal(f->n, 1);
	assert_int_equal(fx_find(f, "a/x"), FILETABLE_CHANGE_MODIFIED);
	assert_true(XXH128_isEqual(filetable_lookup(t, "a/x")->hash,
	    XXH3_128bits(big, big_len)));

	f->n = 0;
	testutil_put(f->root, "a/x", "gone soon");
	assert_int_equal(unlink(x), 0);
	settle(f);
	assert_int_equal(f->n, 1);
	assert_int_equal(fx_find(f, "a/x"), FILETABLE_CHANGE_REMOVED);
	assert_null(filetable_lookup(t, "a/x"));
	free(big);
	free(x);
}

static void
test_new_dir_filled_at_once(void **state)
{
	struct fx *f = *state;
	struct rootsync_status st;

	testutil_mkdir(f->root, "n");
	testutil_mkdir(f->root, "n/m");
	testutil_put(f->root, "n/m/f", "f");
	settle(f);
	assert_int_equal(fx_find(f, "n/m/f"), FILETABLE_CHANGE_ADDED);
	assert_int_equal(fx_find(f, "n"), FILETABLE_CHANGE_ADDED);
	rootsync_status(f->w, &st);
	assert_int_equal(st.watched_dirs, 5);
	f->n = 0;
	testutil_put(f->root, "n/m/g", "g");	/* through n/m's watch */
	settle(f);
	assert_int_equal(f->n, 1);
	assert_int_equal(fx_find(f, "n/m/g"), FILETABLE_CHANGE_ADDED);
}

static void
test_dirs_moved_out_and_in(void **state)
{
	struct fx *f = *state;
	const struct filetable *t = rootsync_table(f->w);
	struct notifier_status ns0, ns;

	notifier_status(&ns0);
	fx_mv(f, "root/a", "out/a");
	settle(f);
	assert_int_equal(fx_find(f, "a"), FILETABLE_CHANGE_REMOVED);
	assert_int_equal(fx_find(f, "a/x"), FILETABLE_CHANGE_REMOVED);
	assert_int_equal(fx_find(f, "a/y"), FILETABLE_CHANGE_REMOVED);
	assert_null(filetable_lookup(t, "a/x"));
	notifier_status(&ns);
	assert_int_equal(ns.used, ns0.used - 1);
	/* Changes out there are none of our business any more. */
	f->n = 0;
	testutil_put(f->top, "out/a/new", "n");
	settle(f);
	assert_int_equal(f->n, 0);

	fx_mv(f, "out/a", "root/a2");
	settle(f);
	assert_int_equal(fx_find(f, "a2/x"), FILETABLE_CHANGE_ADDED);
	assert_int_equal(fx_find(f, "a2/new"), FILETABLE_CHANGE_ADDED);
	assert_int_equal(fx_find(f, "a2"), FILETABLE_CHANGE_ADDED);
	notifier_status(&ns);
	assert_int_equal(ns.used, ns0.used);

	/* Renamed inside the root: old subtree gone, new one watched. */
	f->n = 0;
	fx_mv(f, "root/a2", "root/b/a3");
	settle(f);
	assert_int_equal(fx_find(f, "a2/y"), FILETABLE_CHANGE_REMOVED);
	assert_int_equal(fx_find(f, "b/a3/y"), FILETABLE_CHANGE_ADDED);
	f->n = 0;
	testutil_put(f->root, "b/a3/z", "z");
	settle(f);
	assert_int_equal(fx_find(f, "b/a3/z"), FILETABLE_CHANGE_ADDED);
	assert_int_equal(f->n, 1);

	/* rm -rf */
	f->n = 0;
	testutil_rmtree(xasprintf("%s/b", f->root));
	settle(f);
	assert_int_equal(fx_find(f, "b/z"), FILETABLE_CHANGE_REMOVED);
	assert_int_equal(fx_find(f, "b/a3/z"), FILETABLE_CHANGE_REMOVED);
	assert_null(filetable_lookup(t, "b"));
	notifier_status(&ns);
	assert_int_equal(ns.used, ns0.used - 2);	/* b and b/a3 */
}

static void
test_out_of_watches_polls_then_recovers(void **state)
{
	struct fx *f = *state;
	struct rootsync_status st;
	struct notifier_status ns;

	notifier_status(&ns);
	notifier_set_watch_cap(ns.used);
	testutil_mkdir(f->root, "p");
	testutil_put(f->root, "p/f", "f");
	settle(f);
	assert_int_equal(fx_find(f, "p/f"), FILETABLE_CHANGE_ADDED);
	rootsync_status(f->w, &st);
	assert_int_equal(st.polled_dirs, 1);
	assert_non_null(strstr(st.watch_limit_msg, "out of watches"));
	assert_int_equal(filetable_lookup(rootsync_table(f->w), "p")->wd,
	    FILETABLE_WD_POLLED);

	/* No watch: only polling sees this. */
	f->n = 0;
	testutil_put(f->root, "p/g", "g");
	settle(f);
	assert_int_equal(f->n, 0);
	rootsync_poll(f->w);
	settle(f);
	assert_int_equal(fx_find(f, "p/g"), FILETABLE_CHANGE_ADDED);

	/* Room again: the next tick takes the watch back. */
	notifier_set_watch_cap(0);
	rootsync_poll(f->w);
	rootsync_status(f->w, &st);
	assert_int_equal(st.polled_dirs, 0);
	assert_string_equal(st.watch_limit_msg, "");
	f->n = 0;
	testutil_put(f->root, "p/h", "h");
	settle(f);
	assert_int_equal(fx_find(f, "p/h"), FILETABLE_CHANGE_ADDED);
}

static void
test_overflow_rescan_reports_real_changes(void **state)
{
	struct fx *f = *state;
	struct timespec ts[2] = { { 2000, 0 }, { 2000, 0 } };
	char *y = xasprintf("%s/a/y", f->root);
	char *z = xasprintf("%s/b/z", f->root);
	struct rootsync_status st;

	testutil_put(f->root, "a/x", "x changed");
	assert_int_equal(utimensat(AT_FDCWD, y, ts, 0), 0);
	testutil_put(f->root, "q", "q");
	assert_int_equal(unlink(z), 0);
	testutil_mkdir(f->root, "nd");
	/* The kernel dropped these events. */
	notifier_drain(fx_discard, NULL);
	rootsync_overflow(f->w);
	settle(f);
	assert_int_equal(fx_find(f, "a/x"), FILETABLE_CHANGE_MODIFIED);
	assert_int_equal(fx_find(f, "q"), FILETABLE_CHANGE_ADDED);
	assert_int_equal(fx_find(f, "b/z"), FILETABLE_CHANGE_REMOVED);
	assert_int_equal(fx_find(f, "nd"), FILETABLE_CHANGE_ADDED);
	assert_int_equal(fx_find(f, "a/y"), 0);	/* touched only */
	assert_int_equal(f->n, 4);
	rootsync_status(f->w, &st);
	assert_int_equal(st.overflows, 1);
	/* The new dir got its watch. */
	f->n = 0;
	testutil_put(f->root, "nd/k", "k");
	settle(f);
	assert_int_equal(fx_find(f, "nd/k"), FILETABLE_CHANGE_ADDED);
	free(y);
	free(z);
}

/* The ignore rules changed (with the callback's own arg): a rescan drops
 * what is now ignored and brings back what no longer is, without counting
 * an overflow. */
static void
test_rescan_applies_ignore_rules(void **state)
{
	struct fx *f = *state;
	struct rootsync_status st;

	f->hide = "a";
	rootsync_rescan(f->w);
	settle(f);
	assert_int_equal(fx_find(f, "a/x"), FILETABLE_CHANGE_REMOVED);
	assert_int_equal(fx_find(f, "a/y"), FILETABLE_CHANGE_REMOVED);
	assert_int_equal(fx_find(f, "b/z"), 0);
	assert_null(filetable_lookup(rootsync_table(f->w), "a/x"));
	f->n = 0;
	f->hide = NULL;
	rootsync_rescan(f->w);
	settle(f);
	assert_int_equal(fx_find(f, "a/x"), FILETABLE_CHANGE_ADDED);
	assert_int_equal(fx_find(f, "a/y"), FILETABLE_CHANGE_ADDED);
	assert_int_equal(fx_find(f, "skip/s"), 0);
	rootsync_status(f->w, &st);
	assert_int_equal(st.overflows, 0);
	assert_int_equal(st.hash_pending, 0);
}

static void
test_polled_root(void **state)
{
	struct fx *f = *state;
	struct rootsync_status st;
	struct notifier_status ns;

	rootsync_status(f->w, &st);
	assert_int_equal(st.watched_dirs, 0);
	assert_int_equal(st.polled_dirs, 3);
	notifier_status(&ns);
	assert_int_equal(ns.used, 0);
	testutil_put(f->root, "a/new", "n");
	testutil_put(f->root, "b/z", "zz");
	rootsync_poll(f->w);
	settle(f);
	assert_int_equal(fx_find(f, "a/new"), FILETABLE_CHANGE_ADDED);
	assert_int_equal(fx_find(f, "b/z"), FILETABLE_CHANGE_MODIFIED);
	assert_int_equal(f->n, 2);
	/* Polling never takes watches on a polled root. */
	rootsync_status(f->w, &st);
	assert_int_equal(st.polled_dirs, 3);
}

/* Removals beyond the tombstone cap in one batch cannot be listed: nothing
 * is reported rather than every remaining file as "added". */
static void
test_removals_over_tombstone_cap(void **state)
{
	struct fx *f = *state;

	/* rm -rf is fine (one event per file); a move out is one batch. */
	fx_mv(f, "root/a", "out/a");
	settle(f);
	assert_null(filetable_lookup(rootsync_table(f->w), "a/x"));
	assert_int_equal(fx_find(f, "b/z"), 0);
	assert_int_equal(f->n, 0);
	/* The next change is listed again. */
	testutil_put(f->root, "b/z", "z2");
	settle(f);
	assert_int_equal(f->n, 1);
	assert_int_equal(fx_find(f, "b/z"), FILETABLE_CHANGE_MODIFIED);
}

static void
test_bad_root(void **state)
{
	struct rootsync_config cfg = { 0 };
	struct rootsync *w = NULL;
	struct gerr err;

	(void)state;
	gerr_clear(&err);
	assert_int_equal(rootsync_new("/nonexistent/root", &cfg, &w, &err),
	    GERR_IO);
	assert_null(w);
	assert_non_null(strstr(err.msg, "/nonexistent/root"));
}

static int
fx_teardown(void **state)
{
	fx_free(*state);
	return 0;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_initial_crawl, fx_setup,
		    fx_teardown),
		cmocka_unit_test_setup_teardown(test_file_life, fx_setup,
		    fx_teardown),
		cmocka_unit_test_setup_teardown(test_written_known_file,
		    fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_new_dir_filled_at_once,
		    fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_dirs_moved_out_and_in,
		    fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(
		    test_out_of_watches_polls_then_recovers, fx_setup,
		    fx_teardown),
		cmocka_unit_test_setup_teardown(
		    test_overflow_rescan_reports_real_changes, fx_setup,
		    fx_teardown),
		cmocka_unit_test_setup_teardown(test_rescan_applies_ignore_rules,
		    fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_polled_root,
		    fx_setup_polled, fx_teardown),
		cmocka_unit_test_setup_teardown(test_removals_over_tombstone_cap,
		    fx_setup_tiny_tombstones, fx_teardown),
		cmocka_unit_test(test_bad_root),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
