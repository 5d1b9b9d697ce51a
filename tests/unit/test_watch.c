/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * test_watch.c - daemon/watch's API as the engine uses it, in-process on a
 * real libev loop (no server): ready callbacks (later and at once), the
 * batch listener, expected writes, the make.toml model and findings,
 * nesting rules, removal answering waiters, the roots file.
 */
#include <fcntl.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <ev.h>

#include "filetable.h"
#include "clock.h"
#include "make.h"
#include "testutil.h"
#include "watch.h"
#include "xmalloc.h"

struct fx {
	struct ev_loop *loop;
	struct watch *w;
	char *top;
	char *root;
	char *state;
	int ready_calls;
	int ready_errors;
	struct watch_root *ready_root;
	int batches;
	char last[8][64];
	enum watch_change_kind kinds[8];
	size_t nlast;
	uint64_t clock;
};

static void
fx_ready(void *arg, struct watch_root *r, const struct gerr *err)
{
	struct fx *f = arg;

	f->ready_calls++;
	f->ready_root = r;
	if (err != NULL)
		f->ready_errors++;
}

static void
fx_batch(void *arg, const struct watch_batch *b)
{
	struct fx *f = arg;

	f->batches++;
	f->nlast = b->n < 8 ? b->n : 8;
	for (size_t i = 0; i < f->nlast; i++) {
		snprintf(f->last[i], sizeof(f->last[i]), "%s",
		    b->changes[i].relpath);
		f->kinds[i] = b->changes[i].kind;
	}
	assert_true(b->clock > f->clock);
	f->clock = b->clock;
}

/* Run the loop until cond(f) or 10 s pass (a safety net, never a wait). */
static void
fx_run_until(struct fx *f, bool (*cond)(const struct fx *))
{
	uint64_t end = clock_mono_ms() + 10000;

	while (!cond(f)) {
		assert_true(clock_mono_ms() < end);
		ev_run(f->loop, EVRUN_ONCE);
	}
}

static bool
fx_is_ready(const struct fx *f)
{
	return f->ready_calls > 0;
}

static bool
fx_has_batch(const struct fx *f)
{
	return f->batches > 0;
}

static int
fx_setup(void **state)
{
	struct fx *f = xcalloc(1, sizeof(*f));
	struct watch_deps deps = { 0 };

	f->loop = EV_DEFAULT;
	f->top = testutil_tmpdir("watch");
	testutil_mkdir(f->top, "root");
	testutil_mkdir(f->top, "state");
	f->root = xasprintf("%s/root", f->top);
	f->state = xasprintf("%s/state", f->top);
	testutil_mkdir(f->root, "src");
	testutil_put(f->root, "src/a.c", "int a;\n");
	testutil_put(f->root, "make.toml", "[project]\nname = \"t\"\n\n"
	    "[watch]\ndebounce_min_ms = 1\ndebounce_max_ms = 20\n");
	deps.loop = f->loop;
	deps.state_dir = f->state;
	deps.settings.debounce_min_ms = 10;
	deps.settings.debounce_max_ms = 500;
	deps.settings.poll_ms = 2000;
	deps.settings.snapshot_idle_ms = 30000;
	f->w = watch_new(&deps, NULL);
	assert_non_null(f->w);
	watch_set_batch_listener(f->w, fx_batch, f);
	*state = f;
	return 0;
}

static int
fx_teardown(void **state)
{
	struct fx *f = *state;

	watch_free(f->w);
	testutil_rmtree(f->top);
	free(f->root);
	free(f->state);
	free(f);
	return 0;
}

static void
test_ready_listener_model(void **state)
{
	struct fx *f = *state;
	struct watch_root *r = NULL, *r2 = NULL;
	const struct make_project *m;
	char *sub = xasprintf("%s/src", f->root);

	assert_int_equal(watch_root_add(f->w, f->root, fx_ready, f, &r, NULL),
	    0);
	assert_false(watch_root_ready(r));
	assert_int_equal(f->ready_calls, 0);	/* never inside the call */
	fx_run_until(f, fx_is_ready);
	assert_int_equal(f->ready_errors, 0);
	assert_ptr_equal(f->ready_root, r);
	assert_true(watch_root_ready(r));
	assert_non_null(filetable_lookup(watch_root_table(r), "src/a.c"));
	m = watch_root_model(r);
	assert_non_null(m);
	assert_string_equal(m->name, "t");
	assert_int_equal(m->debounce_max_ms, 20);
	assert_int_equal(watch_root_findings(r)->errors, 0);
	/* Ready already: at once; a dir inside answers with the root. */
	assert_int_equal(watch_root_add(f->w, sub, fx_ready, f, &r2, NULL), 0);
	assert_int_equal(f->ready_calls, 2);
	assert_ptr_equal(r2, r);
	assert_ptr_equal(watch_root_find(f->w, sub), r);
	assert_string_equal(watch_root_relpath(r, sub), "src");
	assert_null(watch_root_find(f->w, f->top));
	/* A parent of a root is refused. */
	assert_int_equal(watch_root_add(f->w, f->top, NULL, NULL, NULL, NULL),
	    GERR_INVALID);

	testutil_put(f->root, "src/a.c", "int b;\n");
	fx_run_until(f, fx_has_batch);
	assert_int_equal(f->nlast, 1);
	assert_string_equal(f->last[0], "src/a.c");
	assert_int_equal(f->kinds[0], WATCH_MODIFIED);

	/* A broken make.toml: findings show it, the last good model stays. */
	f->batches = 0;
	testutil_put(f->root, "make.toml", "[project\n");
	fx_run_until(f, fx_has_batch);
	assert_string_equal(f->last[0], "make.toml");
	assert_true(watch_root_findings(r)->errors > 0);
	assert_non_null(watch_root_model(r));
	assert_string_equal(watch_root_model(r)->name, "t");
	free(sub);
}

static void
test_expected_write_is_not_reported(void **state)
{
	struct fx *f = *state;
	struct watch_root *r = NULL;
	XXH128_hash_t h = XXH3_128bits("generated\n", 10);

	assert_int_equal(watch_root_add(f->w, f->root, fx_ready, f, &r, NULL),
	    0);
	fx_run_until(f, fx_is_ready);
	watch_expect_write(r, "src/gen.c", &h, NULL);
	testutil_put(f->root, "src/gen.c", "generated\n");
	testutil_put(f->root, "src/user.c", "user\n");
	fx_run_until(f, fx_has_batch);
	assert_int_equal(f->nlast, 1);
	assert_string_equal(f->last[0], "src/user.c");
	assert_int_equal(f->kinds[0], WATCH_ADDED);
	/* The table knows the generated file all the same. */
	assert_non_null(filetable_lookup(watch_root_table(r), "src/gen.c"));
	/* The expectation is used up: a user edit of it is reported. */
	f->batches = 0;
	testutil_put(f->root, "src/gen.c", "edited\n");
	fx_run_until(f, fx_has_batch);
	assert_int_equal(f->nlast, 1);
	assert_string_equal(f->last[0], "src/gen.c");
	assert_int_equal(f->kinds[0], WATCH_MODIFIED);
	/* A write with other content than expected is a change too. */
	f->batches = 0;
	watch_expect_write(r, "src/gen.c", &h, NULL);
	testutil_put(f->root, "src/gen.c", "not what was expected\n");
	fx_run_until(f, fx_has_batch);
	assert_string_equal(f->last[0], "src/gen.c");
}

static void
test_remove_answers_waiters_and_persists(void **state)
{
	struct fx *f = *state;
	struct watch_root *r = NULL;
	char *file = xasprintf("%s/roots.json", f->state);
	char buf[4096];
	ssize_t n;
	int fd;

	assert_int_equal(watch_root_add(f->w, f->root, fx_ready, f, &r, NULL),
	    0);
	fd = open(file, O_RDONLY | O_CLOEXEC);
	assert_true(fd >= 0);
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	assert_true(n > 0);
	buf[n] = '\0';
	assert_non_null(strstr(buf, f->root));
	/* Removed before it got ready: the waiter hears why, once. */
	watch_root_remove(f->w, r);
	assert_int_equal(f->ready_calls, 1);
	assert_int_equal(f->ready_errors, 1);
	assert_null(watch_root_next(f->w, NULL));
	fd = open(file, O_RDONLY | O_CLOEXEC);
	assert_true(fd >= 0);
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	buf[n > 0 ? n : 0] = '\0';
	assert_string_equal(buf, "{\"roots\":[]}\n");
	assert_int_equal(watch_root_add(f->w, "/nonexistent/x", NULL, NULL,
	    NULL, NULL), GERR_NOT_FOUND);
	free(file);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_ready_listener_model,
		    fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(
		    test_expected_write_is_not_reported, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(
		    test_remove_answers_waiters_and_persists, fx_setup,
		    fx_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
