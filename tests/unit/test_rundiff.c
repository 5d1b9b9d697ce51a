/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * test_rundiff.c - common/rundiff: matching by (workspace, span path),
 * added/removed/status/delta, repeated paths, and malformed span trees.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "rundiff.h"
#include "xmalloc.h"

#define SP(i, p, k, n, w, st, d) \
	{ .id = (i), .parent = (p), .kind = (k), .name = (n), \
	  .workspace = (w), .status = (st), .start_us = 0, .dur_us = (d) }

static const struct rundiff_entry *
find(const struct rundiff *d, const char *ws, const char *path)
{
	size_t i;

	for (i = 0; i < d->n; i++)
		if (strcmp(d->entries[i].workspace, ws) == 0 &&
		    strcmp(d->entries[i].path, path) == 0)
			return &d->entries[i];
	return NULL;
}

static void
test_diff_basic(void **state)
{
	const struct spanrec a[] = {
		SP(1, 0, "phase", "build", "", "ok", 100),
		SP(2, 1, "command", "make", "", "ok", 90),
		SP(3, 0, "phase", "lint", "", "ok", 10),
		SP(4, 0, "phase", "build", "core", "ok", 50),
	};
	/* Different ids and order; same tree for build. */
	const struct spanrec b[] = {
		SP(7, 0, "phase", "build", "core", "failed", 70),
		SP(5, 0, "phase", "build", "", "ok", 130),
		SP(6, 5, "command", "make", "", "ok", 120),
		SP(8, 0, "phase", "test", "", "ok", 5),
	};
	struct rundiff *d = NULL;
	const struct rundiff_entry *e;

	(void)state;
	assert_int_equal(rundiff_compute(a, 4, b, 4, &d, NULL), 0);
	assert_int_equal(d->n, 5);
	assert_int_equal(d->n_same, 2);
	assert_int_equal(d->n_status, 1);
	assert_int_equal(d->n_added, 1);
	assert_int_equal(d->n_removed, 1);
	e = find(d, "", "build/make");
	assert_non_null(e);
	assert_int_equal(e->change, RUNDIFF_SAME);
	assert_int_equal(e->delta_us, 30);
	assert_string_equal(e->kind, "command");
	e = find(d, "core", "build");
	assert_int_equal(e->change, RUNDIFF_STATUS);
	assert_string_equal(e->status_a, "ok");
	assert_string_equal(e->status_b, "failed");
	assert_int_equal(e->delta_us, 20);
	e = find(d, "", "test");
	assert_int_equal(e->change, RUNDIFF_ADDED);
	assert_null(e->status_a);
	assert_int_equal(e->dur_a_us, -1);
	e = find(d, "", "lint");
	assert_int_equal(e->change, RUNDIFF_REMOVED);
	assert_null(e->status_b);
	assert_int_equal(e->dur_b_us, -1);
	/* B's order first, removed last. */
	assert_string_equal(d->entries[0].workspace, "core");
	assert_string_equal(d->entries[4].path, "lint");
	assert_string_equal(rundiff_change_name(e->change), "removed");
	rundiff_free(d);
}

static void
test_diff_repeated_paths(void **state)
{
	const struct spanrec a[] = {
		SP(1, 0, "phase", "t", "", "ok", 10),
		SP(2, 1, "command", "run", "", "ok", 1),
		SP(3, 1, "command", "run", "", "ok", 2),
	};
	const struct spanrec b[] = {
		SP(1, 0, "phase", "t", "", "ok", 10),
		SP(2, 1, "command", "run", "", "ok", 4),
		SP(3, 1, "command", "run", "", "failed", 8),
		SP(4, 1, "command", "run", "", "ok", 16),
	};
	struct rundiff *d = NULL;
	const struct rundiff_entry *e;

	(void)state;
	assert_int_equal(rundiff_compute(a, 3, b, 4, &d, NULL), 0);
	e = find(d, "", "t/run");
	assert_int_equal(e->delta_us, 3);
	e = find(d, "", "t/run#2");
	assert_int_equal(e->change, RUNDIFF_STATUS);
	assert_int_equal(e->delta_us, 6);
	e = find(d, "", "t/run#3");
	assert_int_equal(e->change, RUNDIFF_ADDED);
	assert_int_equal(d->n_removed, 0);
	rundiff_free(d);
}

static void
test_diff_empty_and_identity(void **state)
{
	const struct spanrec a[] = {
		SP(1, 0, "phase", "x", "", "ok", 10),
	};
	struct rundiff *d = NULL;

	(void)state;
	assert_int_equal(rundiff_compute(NULL, 0, NULL, 0, &d, NULL), 0);
	assert_int_equal(d->n, 0);
	rundiff_free(d);
	assert_int_equal(rundiff_compute(a, 1, NULL, 0, &d, NULL), 0);
	assert_int_equal(d->n_removed, 1);
	rundiff_free(d);
	assert_int_equal(rundiff_compute(a, 1, a, 1, &d, NULL), 0);
	assert_int_equal(d->n_same, 1);
	assert_int_equal(d->entries[0].delta_us, 0);
	rundiff_free(d);
	rundiff_free(NULL);
}

static void
test_diff_bad_trees(void **state)
{
	const struct spanrec orphan[] = {
		SP(1, 0, "phase", "x", "", "ok", 1),
		SP(2, 9, "command", "y", "", "ok", 1),
	};
	const struct spanrec cycle[] = {
		SP(1, 2, "phase", "x", "", "ok", 1),
		SP(2, 1, "command", "y", "", "ok", 1),
	};
	const struct spanrec dup[] = {
		SP(1, 0, "phase", "x", "", "ok", 1),
		SP(1, 0, "phase", "y", "", "ok", 1),
	};
	const struct spanrec zero[] = {
		SP(0, 0, "phase", "x", "", "ok", 1),
	};
	struct rundiff *d = NULL;
	struct gerr err;

	(void)state;
	gerr_clear(&err);
	assert_int_equal(rundiff_compute(orphan, 2, orphan, 1, &d, &err),
	    GERR_INVALID);
	assert_null(d);
	assert_string_equal(err.msg,
	    "run A: span 2: parent 9 is not in the run");
	gerr_clear(&err);
	assert_int_equal(rundiff_compute(orphan, 1, cycle, 2, &d, &err),
	    GERR_INVALID);
	assert_string_equal(err.msg,
	    "run B: span 1: parent chain forms a cycle");
	gerr_clear(&err);
	assert_int_equal(rundiff_compute(dup, 2, NULL, 0, &d, &err),
	    GERR_INVALID);
	assert_string_equal(err.msg, "run A: span id 1 appears twice");
	gerr_clear(&err);
	assert_int_equal(rundiff_compute(zero, 1, NULL, 0, &d, &err),
	    GERR_INVALID);
	assert_string_equal(err.msg, "run A: span at index 0 has id 0");
}

/* A deep chain and many siblings: paths memoised, matching complete. */
static void
test_diff_large(void **state)
{
	enum { N = 20000 };
	struct spanrec *a = xcalloc(N, sizeof(*a));
	struct rundiff *d = NULL;
	size_t i;

	(void)state;
	for (i = 0; i < N; i++) {
		a[i].id = i + 1;
		/* First 200 a chain, the rest siblings under span 1. */
		a[i].parent = i == 0 ? 0 : (i < 200 ? i : 1);
		a[i].kind = "command";
		a[i].name = i % 2 ? "odd" : "even";
		a[i].workspace = "";
		a[i].status = "ok";
		a[i].dur_us = (int64_t)i;
	}
	assert_int_equal(rundiff_compute(a, N, a, N, &d, NULL), 0);
	assert_int_equal(d->n_same, N);
	assert_int_equal(d->n_added + d->n_removed + d->n_status, 0);
	rundiff_free(d);
	free(a);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_diff_basic),
		cmocka_unit_test(test_diff_repeated_paths),
		cmocka_unit_test(test_diff_empty_and_identity),
		cmocka_unit_test(test_diff_bad_trees),
		cmocka_unit_test(test_diff_large),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
