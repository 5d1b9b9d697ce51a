/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Fault sweep over daemon/history.c (common/fault.h, SQLite's faultsim): the
 * same scenario runs with the Nth fault point hit failing, N = 1, 2, ...
 * until a run completes with fewer than N hits. Each run checks:
 *  - the failure is reported (sync returns GERR_HISTORY or the store
 *    opened degraded) with "injected fault" in the status text;
 *  - no run is lost: each is either committed or still returned by
 *    history_list from memory (degraded queries show memory only);
 *  - the database left behind is consistent: integrity_check passes, no
 *    run is half written (each has all its spans), nothing is left
 *    `running`, and the written runs are a whole number of batches;
 *  - reopening without faults works and continues ids after the last one.
 * Leaks are ASan's job (the suite's build). This executable compiles
 * history.c and fault.c itself with GGEN_FAULT_INJECTION (tests/unit/
 * meson.build), so the normal build runs the sweep without a second tree.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include <sqlite3.h>

#include "fault.h"
#include "history.h"
#include "log.h"
#include "xmalloc.h"

#define FAULT_HISTORY_RUNS_A 3	/* first batch */
#define FAULT_HISTORY_RUNS_B 2	/* second batch */
#define FAULT_HISTORY_SPANS 2	/* spans per run */
#define FAULT_HISTORY_MAX_N 400	/* the sweep must end before this */

static void
fault_history_add_runs(struct history *h, int n)
{
	for (int i = 0; i < n; i++) {
		struct history_run_info info = { .root = "/r", .phase = "build",
			.trigger = HISTORY_TRIGGER_MANUAL };
		struct history_run_end end = { .status = HISTORY_OK,
			.exit_code = 0, .output = "out\n", .output_len = 4 };
		uint64_t id = history_run_begin(h, &info), sid;

		for (int j = 0; j < FAULT_HISTORY_SPANS; j++)
			assert_int_equal(history_span_add(h, id, 0,
			    HISTORY_SPAN_COMMAND, "make", NULL, 0, 10,
			    HISTORY_OK, &sid, NULL), 0);
		assert_int_equal(history_run_end(h, id, &end, NULL), 0);
	}
}

static long
fault_history_count(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *st;
	long n = -1;

	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL),
	    SQLITE_OK);
	if (sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return n;
}

/* The file as the previous run left it; returns the runs it holds. */
static long
fault_history_check_db(const char *path)
{
	sqlite3 *db;
	sqlite3_stmt *st;
	long runs;

	if (access(path, F_OK) != 0)
		return 0;
	assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY,
	    NULL), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1,
	    &st, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	assert_string_equal((const char *)sqlite3_column_text(st, 0), "ok");
	sqlite3_finalize(st);
	if (fault_history_count(db, "SELECT count(*) FROM sqlite_master WHERE "
	    "name = 'runs'") == 0) {
		sqlite3_close(db);
		return 0;	/* failed before the schema was committed */
	}
	runs = fault_history_count(db, "SELECT count(*) FROM runs");
	assert_int_equal(fault_history_count(db, "SELECT count(*) FROM runs "
	    "WHERE status = 'running'"), 0);
	assert_int_equal(fault_history_count(db, "SELECT count(*) FROM spans"),
	    runs * FAULT_HISTORY_SPANS);
	assert_int_equal(fault_history_count(db, "SELECT count(*) FROM runs r "
	    "WHERE (SELECT count(*) FROM spans s WHERE s.run = r.id) != 2"), 0);
	sqlite3_close(db);
	assert_true(runs == 0 || runs == FAULT_HISTORY_RUNS_A ||
	    runs == FAULT_HISTORY_RUNS_A + FAULT_HISTORY_RUNS_B);
	return runs;
}

/* The database and its WAL files: a stale WAL must not meet a new file. */
static void
fault_history_remove(const char *path)
{
	static const char *const sfx[] = { "", "-wal", "-shm", "-journal" };

	for (size_t i = 0; i < sizeof(sfx) / sizeof(sfx[0]); i++) {
		char *p = xasprintf("%s%s", path, sfx[i]);

		unlink(p);
		free(p);
	}
}

static void
fault_history_sweep(bool persistent)
{
	char dir[] = "/tmp/ggen-fault-XXXXXX", *path;
	unsigned mask = (1u << FAULT_HISTORY_OPEN) |
	    (1u << FAULT_HISTORY_STEP);
	unsigned long n, hits = 0, injected_runs = 0;

	assert_non_null(mkdtemp(dir));
	path = xasprintf("%s/h/history.db", dir);
	for (n = 1; n < FAULT_HISTORY_MAX_N; n++) {
		struct history_config cfg = { .path = path };
		struct history_filter all = { 0 };
		struct history_run *runs;
		struct history *h;
		struct gerr err;
		size_t nruns;
		int rc1, rc2;
		long on_disk;
		bool degraded;

		fault_history_remove(path);
		fault_arm(n, mask, persistent);
		gerr_clear(&err);
		assert_int_equal(history_open(&cfg, &h, &err), 0);
		fault_history_add_runs(h, FAULT_HISTORY_RUNS_A);
		rc1 = history_sync(h, NULL);
		fault_history_add_runs(h, FAULT_HISTORY_RUNS_B);
		rc2 = history_sync(h, NULL);
		assert_true(rc1 == 0 || rc1 == GERR_HISTORY);
		assert_true(rc2 == 0 || rc2 == GERR_HISTORY);
		assert_int_equal(history_list(h, &all, &runs, &nruns, NULL), 0);
		history_runs_free(runs, nruns);
		degraded = history_degraded(h);
		if (fault_injected() > 0) {
			injected_runs++;
			/* A failure is reported, never swallowed. */
			assert_true(history_degraded(h));
			assert_non_null(strstr(history_status_text(h),
			    "injected fault"));
		} else {
			assert_int_equal(rc1, 0);
			assert_int_equal(rc2, 0);
			assert_false(history_degraded(h));
		}
		history_close(h);
		hits = fault_hits();
		fault_arm(0, 0, false);
		on_disk = fault_history_check_db(path);
		/* No run lost: each one is either committed or still queryable
		 * in memory (degraded queries show memory only, by design). */
		assert_int_equal(nruns + (degraded ? (size_t)on_disk : 0),
		    FAULT_HISTORY_RUNS_A + FAULT_HISTORY_RUNS_B);
		/* A clean reopen: ids continue after what was written. */
		gerr_clear(&err);
		assert_int_equal(history_open(&cfg, &h, &err), 0);
		assert_false(history_degraded(h));
		assert_int_equal(history_last_id(h), (uint64_t)on_disk);
		history_close(h);
		if (hits < n) {
			/* No fault left to inject: the full run went through. */
			assert_int_equal(on_disk, FAULT_HISTORY_RUNS_A +
			    FAULT_HISTORY_RUNS_B);
			break;
		}
	}
	print_message("# %s sweep: %lu runs, %lu hits in the clean run, %lu "
	    "with a fault injected\n", persistent ? "persistent" : "one-shot",
	    n, hits, injected_runs);
	assert_true(n < FAULT_HISTORY_MAX_N);
	assert_true(injected_runs == n - 1);
	fault_history_remove(path);
	free(path);
	path = xasprintf("%s/h", dir);
	rmdir(path);
	free(path);
	rmdir(dir);
}

/* One failing operation (an I/O error), then the disk works again. */
static void
fault_history_sweep_once(void **state)
{
	(void)state;
	fault_history_sweep(false);
}

/* Every operation from the Nth on fails (a full disk stays full). */
static void
fault_history_sweep_persistent(void **state)
{
	(void)state;
	fault_history_sweep(true);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(fault_history_sweep_once),
		cmocka_unit_test(fault_history_sweep_persistent),
	};

	log_set_level(LOG_LEVEL_ERROR);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
