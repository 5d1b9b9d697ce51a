/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * test_history.c - daemon/history: batching (one transaction per flush),
 * retention, migrations, crash recovery, degraded mode, queries.
 *
 * Each test works in its own mkdtemp directory and inspects the database
 * through a second, independent SQLite connection where the claim is about
 * what is on disk.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdatomic.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <sqlite3.h>

#include "history.h"
#include "log.h"
#include "xmalloc.h"

struct fx {
	char dir[64];
	char *path;
};

static int
fx_setup(void **state)
{
	struct fx *fx = xcalloc(1, sizeof(*fx));

	snprintf(fx->dir, sizeof(fx->dir), "/tmp/ggen-test-history-XXXXXX");
	assert_non_null(mkdtemp(fx->dir));
	/* A nested, missing directory: history_open must create it. */
	fx->path = xasprintf("%s/state/ggen/history.db", fx->dir);
	*state = fx;
	return 0;
}

static int
fx_rm(const char *p, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(p);
}

static int
fx_teardown(void **state)
{
	struct fx *fx = *state;

	nftw(fx->dir, fx_rm, 16, FTW_DEPTH | FTW_PHYS);
	free(fx->path);
	free(fx);
	return 0;
}

static struct history *
fx_open(struct fx *fx, unsigned keep, unsigned mem_runs)
{
	struct history_config cfg = { .path = fx->path, .keep = keep,
	    .mem_runs = mem_runs, .busy_timeout_ms = 50 };
	struct history *h = NULL;

	assert_int_equal(history_open(&cfg, &h, NULL), 0);
	assert_non_null(h);
	return h;
}

/* Scalar from an independent connection; -1 if the query fails. */
static long long
fx_sql_int(struct fx *fx, const char *sql)
{
	sqlite3 *db;
	sqlite3_stmt *st;
	long long v = -1;

	assert_int_equal(sqlite3_open_v2(fx->path, &db, SQLITE_OPEN_READWRITE,
	    NULL), SQLITE_OK);
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK) {
		if (sqlite3_step(st) == SQLITE_ROW)
			v = sqlite3_column_int64(st, 0);
		sqlite3_finalize(st);
	}
	sqlite3_close(db);
	return v;
}

static void
fx_sql_exec(const char *path, const char *sql)
{
	sqlite3 *db;

	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
}

static uint64_t
fx_run(struct history *h, const char *root, const char *ws,
    const char *phase, int64_t start_us, int64_t dur_us,
    enum history_status status, unsigned n_spans)
{
	struct history_run_info info = { .root = root, .workspace = ws,
	    .phase = phase, .trigger = HISTORY_TRIGGER_SAVE,
	    .start_us = start_us };
	struct history_run_end end = { .status = status, .exit_code = 0,
	    .end_us = start_us + dur_us };
	uint64_t id, sid;
	unsigned i;

	id = history_run_begin(h, &info);
	for (i = 0; i < n_spans; i++)
		assert_int_equal(history_span_add(h, id, 0,
		    HISTORY_SPAN_COMMAND, "cmd", ws, start_us + i, 1,
		    HISTORY_OK, &sid, NULL), 0);
	assert_int_equal(history_run_end(h, id, &end, NULL), 0);
	return id;
}

static void
test_open_creates_schema(void **state)
{
	struct fx *fx = *state;
	struct history *h = fx_open(fx, 0, 0);
	struct stat st;
	char *dir;

	assert_false(history_degraded(h));
	assert_string_equal(history_status_text(h), "ok");
	assert_false(history_pending(h));
	assert_int_equal(history_last_id(h), 0);
	dir = xasprintf("%s/state/ggen", fx->dir);
	assert_int_equal(stat(dir, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0700);
	free(dir);
	assert_true(history_db_size(h) > 0);
	history_close(h);
	assert_int_equal(fx_sql_int(fx, "PRAGMA user_version"),
	    HISTORY_SCHEMA_VERSION);
	assert_int_equal(fx_sql_int(fx, "SELECT count(*) FROM"
	    " pragma_table_info('runs') WHERE name = 'slow'"), 1);
	/* Reopen an already current database: nothing to migrate. */
	h = fx_open(fx, 0, 0);
	assert_false(history_degraded(h));
	history_close(h);
	assert_int_equal(fx_sql_int(fx, "PRAGMA user_version"),
	    HISTORY_SCHEMA_VERSION);
	assert_int_equal(fx_sql_int(fx, "SELECT count(*) FROM"
	    " pragma_journal_mode WHERE journal_mode = 'wal'"), 1);
}

/* A 20-phase pipeline: nothing on disk until the flush, then exactly one
 * write transaction, cross-checked with the commit hook. */
static void
test_pipeline_one_transaction(void **state)
{
	struct fx *fx = *state;
	struct history *h = fx_open(fx, 0, 0);
	struct history_flush_stats before, after;
	struct history_run_info info = { .root = "/p", .phase = "all",
	    .trigger = HISTORY_TRIGGER_MANUAL };
	struct history_run_end end = { .status = HISTORY_OK };
	uint64_t id, ph, cmd;
	int i;

	history_get_flush_stats(h, &before);
	id = history_run_begin(h, &info);
	assert_true(history_pending(h));
	for (i = 0; i < 20; i++) {
		char name[16];

		snprintf(name, sizeof(name), "phase%02d", i);
		assert_int_equal(history_span_add(h, id, 0,
		    HISTORY_SPAN_PHASE, name, "", 0, -1, HISTORY_OK, &ph,
		    NULL), 0);
		assert_int_equal(history_span_add(h, id, ph,
		    HISTORY_SPAN_COMMAND, "make", "", 0, 5, HISTORY_OK, &cmd,
		    NULL), 0);
		assert_int_equal(history_span_end(h, id, ph, 10, HISTORY_OK,
		    NULL), 0);
	}
	assert_int_equal(history_run_end(h, id, &end, NULL), 0);
	assert_int_equal(fx_sql_int(fx, "SELECT count(*) FROM spans"), 0);
	assert_int_equal(history_sync(h, NULL), 0);
	history_get_flush_stats(h, &after);
	assert_int_equal(after.transactions - before.transactions, 1);
	assert_int_equal(after.commits - before.commits, 1);
	assert_int_equal(after.flushes - before.flushes, 1);
	assert_int_equal(after.spans_written - before.spans_written, 40);
	assert_false(history_pending(h));
	assert_int_equal(fx_sql_int(fx, "SELECT count(*) FROM spans"), 40);
	assert_int_equal(fx_sql_int(fx, "SELECT count(*) FROM runs WHERE"
	    " status = 'ok'"), 1);
	/* Nothing queued: no transaction at all. */
	assert_int_equal(history_sync(h, NULL), 0);
	history_get_flush_stats(h, &before);
	assert_int_equal(before.transactions, after.transactions);
	assert_int_equal(before.commits, after.commits);
	assert_true(after.longest_flush_us >= after.last_flush_us);
	history_close(h);
}

static void
test_retention_keeps_n(void **state)
{
	struct fx *fx = *state;
	struct history *h = fx_open(fx, 3, 0);
	struct history_run_info info = { .root = "/p", .phase = "build" };
	struct history_run_end end = { .status = HISTORY_OK };
	struct history_run *r = NULL;
	uint64_t last_a = 0, deleted, live;
	int i;

	/* A run that outlives keep newer runs of its key is not trimmed. */
	live = history_run_begin(h, &info);
	assert_int_equal(history_span_add(h, live, 0, HISTORY_SPAN_PHASE,
	    "build", "", 0, 5, HISTORY_OK, NULL, NULL), 0);
	assert_int_equal(history_sync(h, NULL), 0);
	for (i = 0; i < 7; i++) {
		last_a = fx_run(h, "/p", "", "build", 1000 + i, 10,
		    HISTORY_OK, 2);
		fx_run(h, "/p", "core", "build", 1000 + i, 10, HISTORY_OK, 2);
		assert_int_equal(history_sync(h, NULL), 0);
	}
	fx_run(h, "/p", "", "test", 5000, 10, HISTORY_FAILED, 1);
	assert_int_equal(history_sync(h, NULL), 0);
	assert_int_equal(fx_sql_int(fx, "SELECT count(*) FROM runs WHERE"
	    " workspace = '' AND phase = 'build' AND status = 'ok'"), 3);
	assert_int_equal(fx_sql_int(fx, "SELECT count(*) FROM runs WHERE"
	    " status = 'running'"), 1);
	assert_int_equal(fx_sql_int(fx, "SELECT count(*) FROM runs WHERE"
	    " workspace = 'core' AND phase = 'build'"), 3);
	assert_int_equal(fx_sql_int(fx, "SELECT count(*) FROM runs WHERE"
	    " phase = 'test'"), 1);
	/* The newest survive, and trimmed runs take their spans along. */
	assert_int_equal(fx_sql_int(fx, "SELECT max(id) FROM runs WHERE"
	    " workspace = '' AND phase = 'build'"), (long long)last_a);
	assert_int_equal(fx_sql_int(fx, "SELECT min(id) FROM runs WHERE"
	    " workspace = '' AND phase = 'build' AND id > 1"),
	    (long long)last_a - 4);
	assert_int_equal(fx_sql_int(fx, "SELECT count(*) FROM spans WHERE"
	    " run NOT IN (SELECT id FROM runs)"), 0);
	assert_int_equal(fx_sql_int(fx, "SELECT count(*) FROM spans"),
	    3 * 2 * 2 + 1 + 1);
	assert_int_equal(history_run_end(h, live, &end, NULL), 0);
	assert_int_equal(history_sync(h, NULL), 0);
	assert_int_equal(history_get_run(h, live, &r, NULL), GERR_RUN_NOT_FOUND);
	assert_null(r);
	/* On demand. */
	assert_int_equal(history_trim(h, 1, &deleted, NULL), 0);
	assert_int_equal(deleted, 4);
	assert_int_equal(fx_sql_int(fx, "SELECT count(*) FROM runs"), 3);
	assert_int_equal(fx_sql_int(fx, "SELECT count(*) FROM spans"), 5);
	history_close(h);
}

/* The first shipped schema, written by hand as version 1 left it. */
static const char *const fx_schema_v1 =
	"CREATE TABLE runs(id INTEGER PRIMARY KEY, root TEXT NOT NULL,"
	" workspace TEXT NOT NULL, phase TEXT NOT NULL, trig TEXT NOT NULL,"
	" trigger_files TEXT NOT NULL DEFAULT '', start_us INTEGER NOT NULL,"
	" end_us INTEGER NOT NULL DEFAULT 0, status TEXT NOT NULL,"
	" exit_code INTEGER NOT NULL DEFAULT -1,"
	" signal INTEGER NOT NULL DEFAULT 0, cache_key TEXT, output BLOB);"
	"CREATE TABLE spans(run INTEGER NOT NULL, id INTEGER NOT NULL,"
	" parent INTEGER NOT NULL, kind TEXT NOT NULL, name TEXT NOT NULL,"
	" workspace TEXT NOT NULL, start_us INTEGER NOT NULL,"
	" dur_us INTEGER NOT NULL, status TEXT NOT NULL,"
	" PRIMARY KEY(run, id)) WITHOUT ROWID;"
	"CREATE INDEX runs_key ON runs(root, workspace, phase, id);"
	"INSERT INTO runs(id, root, workspace, phase, trig, trigger_files,"
	" start_us, end_us, status, exit_code)"
	" VALUES(41, '/p', '', 'build', 'save', 'a.c\nb.c', 100, 300, 'ok', 0);"
	"INSERT INTO runs(id, root, workspace, phase, trig, start_us, status)"
	" VALUES(42, '/p', '', 'build', 'manual', 400, 'running');"
	"INSERT INTO spans VALUES(42, 1, 0, 'phase', 'build', '', 400, 250,"
	" 'ok');"
	"PRAGMA user_version = 1;";

static void
test_migrate_from_v1(void **state)
{
	struct fx *fx = *state;
	struct history *h;
	struct history_run *r = NULL;
	struct history_run_info info = { .root = "/p", .phase = "build" };
	char *dir;

	dir = xasprintf("%s/state", fx->dir);
	assert_int_equal(mkdir(dir, 0700), 0);
	free(dir);
	dir = xasprintf("%s/state/ggen", fx->dir);
	assert_int_equal(mkdir(dir, 0700), 0);
	free(dir);
	fx_sql_exec(fx->path, fx_schema_v1);
	h = fx_open(fx, 0, 0);
	assert_false(history_degraded(h));
	assert_int_equal(fx_sql_int(fx, "PRAGMA user_version"),
	    HISTORY_SCHEMA_VERSION);
	assert_int_equal(history_get_run(h, 41, &r, NULL), 0);
	assert_int_equal(r->status, HISTORY_OK);
	assert_int_equal(r->trigger, HISTORY_TRIGGER_SAVE);
	assert_int_equal(r->n_trigger_files, 2);
	assert_string_equal(r->trigger_files[1], "b.c");
	assert_false(r->slow);
	history_run_free(r);
	/* The v1 row left running is interrupted, ending at its last span. */
	assert_int_equal(history_get_run(h, 42, &r, NULL), 0);
	assert_int_equal(r->status, HISTORY_INTERRUPTED);
	assert_int_equal(r->end_us, 650);
	assert_int_equal(r->n_spans, 1);
	assert_null(r->spans[0].output);	/* 2 -> 3: no output yet */
	history_run_free(r);
	/* Ids continue after the largest one found. */
	assert_int_equal(history_run_begin(h, &info), 43);
	history_close(h);
}

struct fx_ok {
	char seen[8][64];
	size_t n;
};

static void
fx_ok_phase(void *arg, const char *root, const char *ws, const char *phase)
{
	struct fx_ok *ok = arg;

	assert_true(ok->n < 8);
	snprintf(ok->seen[ok->n++], sizeof(ok->seen[0]), "%s|%s|%s", root, ws,
	    phase);
}

static bool
fx_ok_has(const struct fx_ok *ok, const char *want)
{
	for (size_t i = 0; i < ok->n; i++)
		if (strcmp(ok->seen[i], want) == 0)
			return true;
	return false;
}

/* Each phase span keeps its own output (issue 14): in memory, on disk
 * after a flush and a reopen, capped to its tail; and the successful
 * phases first_run_only asks about, from memory and from the database. */
static void
test_span_output_and_ok_phases(void **state)
{
	struct fx *fx = *state;
	struct history *h = fx_open(fx, 0, 0);
	struct history_run_info info = { .root = "/p", .phase = "d",
	    .trigger = HISTORY_TRIGGER_MANUAL, .start_us = 100 };
	struct history_run_end end = { .status = HISTORY_FAILED,
	    .exit_code = 1, .end_us = 900 };
	struct history_run *r = NULL;
	struct fx_ok ok = { .n = 0 };
	struct gerr err;
	uint64_t id, sb, sc, sx;
	char *big;

	id = history_run_begin(h, &info);
	assert_int_equal(history_span_add(h, id, 0, HISTORY_SPAN_PHASE, "b",
	    "", 100, -1, HISTORY_RUNNING, &sb, NULL), 0);
	assert_int_equal(history_span_add(h, id, 0, HISTORY_SPAN_PHASE, "c",
	    "ws1", 100, -1, HISTORY_RUNNING, &sc, NULL), 0);
	assert_int_equal(history_span_add(h, id, 0, HISTORY_SPAN_PHASE, "x",
	    "", 100, -1, HISTORY_RUNNING, &sx, NULL), 0);
	assert_int_equal(history_span_end(h, id, sb, 5, HISTORY_OK, NULL), 0);
	assert_int_equal(history_span_output(h, id, sb, "b1\nb2\n", 6, NULL),
	    0);
	assert_int_equal(history_span_end(h, id, sc, 5, HISTORY_CACHED,
	    NULL), 0);
	big = xmalloc(HISTORY_SPAN_OUTPUT_MAX + 10);
	memset(big, 'a', 10);
	memset(big + 10, 'z', HISTORY_SPAN_OUTPUT_MAX);
	assert_int_equal(history_span_output(h, id, sc, big,
	    HISTORY_SPAN_OUTPUT_MAX + 10, NULL), 0);
	free(big);
	assert_int_equal(history_span_end(h, id, sx, 5, HISTORY_FAILED,
	    NULL), 0);
	gerr_clear(&err);
	assert_int_equal(history_span_output(h, id, 99, "q", 1, &err),
	    GERR_NOT_FOUND);
	/* Before any flush: from memory. */
	assert_int_equal(history_each_ok_phase(h, fx_ok_phase, &ok, NULL), 0);
	assert_true(fx_ok_has(&ok, "/p||b"));
	assert_true(fx_ok_has(&ok, "/p|ws1|c"));
	assert_false(fx_ok_has(&ok, "/p||x"));	/* failed */
	assert_int_equal(history_run_end(h, id, &end, NULL), 0);
	assert_int_equal(history_sync(h, NULL), 0);
	history_close(h);
	h = fx_open(fx, 0, 0);
	gerr_clear(&err);	/* an ended, written run takes no output */
	assert_int_equal(history_span_output(h, id, sb, "late", 4, &err),
	    GERR_RUN_NOT_FOUND);
	assert_int_equal(history_get_run(h, id, &r, NULL), 0);
	assert_int_equal(r->n_spans, 3);
	assert_string_equal(r->spans[0].output, "b1\nb2\n");
	assert_int_equal(r->spans[0].output_len, 6);
	assert_int_equal(r->spans[1].output_len, HISTORY_SPAN_OUTPUT_MAX);
	assert_int_equal(r->spans[1].output[0], 'z');	/* the tail kept */
	assert_null(r->spans[2].output);
	history_run_free(r);
	/* From the database, after a reopen. */
	ok.n = 0;
	assert_int_equal(history_each_ok_phase(h, fx_ok_phase, &ok, NULL), 0);
	assert_int_equal(ok.n, 2);
	assert_true(fx_ok_has(&ok, "/p||b"));
	assert_true(fx_ok_has(&ok, "/p|ws1|c"));
	history_close(h);
}

static void
test_newer_schema_degrades(void **state)
{
	struct fx *fx = *state;
	struct history *h = fx_open(fx, 0, 0);

	history_close(h);
	fx_sql_exec(fx->path, "PRAGMA user_version = 99");
	h = fx_open(fx, 0, 0);
	assert_true(history_degraded(h));
	assert_non_null(strstr(history_status_text(h),
	    "schema version 99 is newer"));
	history_close(h);
	/* Left alone for a newer ggend. */
	assert_int_equal(fx_sql_int(fx, "PRAGMA user_version"), 99);
}

/* kill -9 equivalent: a child records a live run, flushes and _exits
 * without closing. The next open sees the run interrupted. */
static void
test_crash_leaves_interrupted(void **state)
{
	struct fx *fx = *state;
	struct history *h;
	struct history_run *r = NULL;
	struct history_run_info info = { .root = "/p", .phase = "build",
	    .start_us = 1000 };
	uint64_t id;
	pid_t pid;
	int ws;

	h = fx_open(fx, 0, 0);
	id = fx_run(h, "/p", "", "build", 10, 5, HISTORY_OK, 1);
	assert_int_equal(history_sync(h, NULL), 0);
	history_close(h);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		uint64_t run, span;

		h = fx_open(fx, 0, 0);
		run = history_run_begin(h, &info);
		history_span_add(h, run, 0, HISTORY_SPAN_PHASE, "build", "",
		    1000, -1, HISTORY_OK, &span, NULL);
		history_span_add(h, run, span, HISTORY_SPAN_COMMAND, "make",
		    "", 1000, 70, HISTORY_OK, NULL, NULL);
		_exit(history_sync(h, NULL) == 0 && run == id + 1 ? 0 : 1);
	}
	assert_int_equal(waitpid(pid, &ws, 0), pid);
	assert_true(WIFEXITED(ws));
	assert_int_equal(WEXITSTATUS(ws), 0);
	h = fx_open(fx, 0, 0);
	assert_false(history_degraded(h));
	assert_int_equal(history_get_run(h, id + 1, &r, NULL), 0);
	assert_int_equal(r->status, HISTORY_INTERRUPTED);
	assert_int_equal(r->n_spans, 2);
	assert_int_equal(r->spans[0].status, HISTORY_INTERRUPTED);
	assert_int_equal(r->spans[1].status, HISTORY_OK);
	assert_int_equal(r->end_us, 1070);
	history_run_free(r);
	assert_int_equal(history_get_run(h, id, &r, NULL), 0);
	assert_int_equal(r->status, HISTORY_OK);
	history_run_free(r);
	assert_int_equal(history_run_begin(h, &info), id + 2);
	history_close(h);
	assert_int_equal(fx_sql_int(fx, "PRAGMA integrity_check") == -1, 0);
}

/* In degraded mode the store still records, answers and caps memory. */
static void
fx_check_degraded_memory(struct history *h)
{
	struct history_run *runs = NULL, *r = NULL;
	struct history_filter f = { .limit = 100 };
	struct gerr err;
	size_t n;
	uint64_t first = 0, id = 0;
	int i;

	assert_true(history_degraded(h));
	for (i = 0; i < 8; i++) {
		id = fx_run(h, "/p", "", "build", 100 + i, 5, HISTORY_OK, 2);
		if (i == 0)
			first = id;
	}
	assert_false(history_pending(h));
	assert_int_equal(history_sync(h, NULL), 0);
	assert_int_equal(history_list(h, &f, &runs, &n, NULL), 0);
	assert_int_equal(n, 5);	/* mem_runs */
	assert_int_equal(runs[0].id, id);
	history_runs_free(runs, n);
	assert_int_equal(history_get_run(h, id, &r, NULL), 0);
	assert_int_equal(r->n_spans, 2);
	history_run_free(r);
	gerr_clear(&err);
	assert_int_equal(history_get_run(h, first, &r, &err),
	    GERR_RUN_NOT_FOUND);
	assert_null(r);
	assert_int_equal(history_db_size(h), 0);
	assert_int_equal(history_trim(h, 0, NULL, NULL), GERR_HISTORY);
}

static void
test_corrupt_file_degrades(void **state)
{
	struct fx *fx = *state;
	struct history *h;
	char garbage[4096], back[4096];
	int fd;
	size_t i;

	h = fx_open(fx, 0, 0);	/* creates the directory */
	history_close(h);
	unlink(fx->path);
	for (i = 0; i < sizeof(garbage); i++)
		garbage[i] = (char)(i * 7 + 3);
	fd = open(fx->path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, garbage, sizeof(garbage)),
	    (ssize_t)sizeof(garbage));
	close(fd);
	h = fx_open(fx, 0, 5);
	assert_non_null(strstr(history_status_text(h), "not a database"));
	assert_non_null(strstr(history_status_text(h), fx->path));
	fx_check_degraded_memory(h);
	history_close(h);
	/* The user's file is left exactly as it was. */
	fd = open(fx->path, O_RDONLY);
	assert_true(fd >= 0);
	assert_int_equal(read(fd, back, sizeof(back)), (ssize_t)sizeof(back));
	close(fd);
	assert_memory_equal(garbage, back, sizeof(back));
}

/* Root ignores file modes, so the check runs in a child that drops to an
 * unprivileged uid first. */
static void
test_readonly_file_degrades(void **state)
{
	struct fx *fx = *state;
	struct history *h;
	char *dir;
	pid_t pid;
	int ws;

	h = fx_open(fx, 0, 0);
	fx_run(h, "/p", "", "build", 1, 1, HISTORY_OK, 0);
	history_close(h);
	fx_sql_exec(fx->path, "PRAGMA journal_mode = DELETE");
	assert_int_equal(chmod(fx->path, 0444), 0);
	dir = xasprintf("%s/state/ggen", fx->dir);
	assert_int_equal(chmod(dir, 0555), 0);
	free(dir);
	dir = xasprintf("%s/state", fx->dir);
	assert_int_equal(chmod(dir, 0755), 0);
	free(dir);
	assert_int_equal(chmod(fx->dir, 0755), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		if (geteuid() == 0 && (setgid(65534) != 0 ||
		    setuid(65534) != 0))
			_exit(2);
		h = fx_open(fx, 0, 5);
		if (!history_degraded(h) || strstr(history_status_text(h),
		    "read") == NULL)
			_exit(3);
		fx_check_degraded_memory(h);
		history_close(h);
		_exit(0);
	}
	assert_int_equal(waitpid(pid, &ws, 0), pid);
	assert_true(WIFEXITED(ws));
	assert_int_equal(WEXITSTATUS(ws), 0);
	dir = xasprintf("%s/state/ggen", fx->dir);
	assert_int_equal(chmod(dir, 0700), 0);
	free(dir);
	assert_int_equal(fx_sql_int(fx, "SELECT count(*) FROM runs"), 1);
}

/* A write that fails mid-life (tables gone) turns the store degraded with
 * the rows still in memory; a busy database only delays the flush. */
static void
test_write_failure_degrades(void **state)
{
	struct fx *fx = *state;
	struct history *h = fx_open(fx, 0, 5);
	struct history_run *r = NULL;
	struct gerr err;
	sqlite3 *db;
	uint64_t id;

	id = fx_run(h, "/p", "", "build", 1, 1, HISTORY_OK, 1);
	assert_int_equal(sqlite3_open(fx->path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL),
	    SQLITE_OK);
	gerr_clear(&err);
	assert_int_equal(history_sync(h, &err), GERR_BUSY);
	assert_true(history_pending(h));
	assert_false(history_degraded(h));
	assert_int_equal(sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL),
	    SQLITE_OK);
	assert_int_equal(history_sync(h, NULL), 0);
	assert_int_equal(sqlite3_exec(db, "DROP TABLE spans", NULL, NULL,
	    NULL), SQLITE_OK);
	sqlite3_close(db);
	id = fx_run(h, "/p", "", "build", 2, 1, HISTORY_OK, 1);
	gerr_clear(&err);
	assert_int_equal(history_sync(h, &err), GERR_HISTORY);
	assert_non_null(strstr(err.msg, "spans"));
	assert_true(history_degraded(h));
	assert_false(history_pending(h));
	assert_int_equal(history_get_run(h, id, &r, NULL), 0);
	assert_int_equal(r->n_spans, 1);
	history_run_free(r);
	history_close(h);
}

/* Writes blocked for long: memory stays capped at queue_runs, oldest
 * unwritten runs dropped and counted; the rest lands once the lock goes. */
static void
test_queue_cap_when_blocked(void **state)
{
	struct fx *fx = *state;
	struct history_config cfg = { .path = fx->path, .queue_runs = 3,
	    .busy_timeout_ms = 20 };
	struct history_filter f = { 0 };
	struct history_flush_stats fs;
	struct history_run *runs = NULL;
	struct history *h = NULL;
	struct gerr err;
	size_t n;
	sqlite3 *db;
	uint64_t last = 0;
	int i;

	assert_int_equal(history_open(&cfg, &h, NULL), 0);
	assert_int_equal(sqlite3_open(fx->path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL),
	    SQLITE_OK);
	for (i = 0; i < 5; i++)
		last = fx_run(h, "/p", "", "build", i + 1, 1, HISTORY_OK, 1);
	gerr_clear(&err);
	assert_int_equal(history_sync(h, &err), GERR_BUSY);
	assert_non_null(strstr(err.msg, "locked"));
	assert_true(history_pending(h));
	history_get_flush_stats(h, &fs);
	assert_int_equal(fs.runs_dropped, 2);
	assert_int_equal(history_list(h, &f, &runs, &n, NULL), 0);
	assert_int_equal(n, 3);
	assert_int_equal(runs[0].id, last);
	assert_int_equal(runs[2].id, last - 2);
	history_runs_free(runs, n);
	assert_int_equal(sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL),
	    SQLITE_OK);
	sqlite3_close(db);
	assert_int_equal(history_sync(h, NULL), 0);
	assert_int_equal(fx_sql_int(fx, "SELECT count(*) FROM runs"), 3);
	history_close(h);
}

static bool
fx_lists_equal(const struct history_run *a, size_t na,
    const struct history_run *b, size_t nb)
{
	size_t i;

	if (na != nb)
		return false;
	for (i = 0; i < na; i++) {
		if (a[i].id != b[i].id || a[i].status != b[i].status ||
		    a[i].end_us != b[i].end_us ||
		    strcmp(a[i].phase, b[i].phase) != 0 ||
		    a[i].output_len != b[i].output_len)
			return false;
	}
	return true;
}

static void
test_queries_agree_across_flush(void **state)
{
	struct fx *fx = *state;
	struct history *h = fx_open(fx, 0, 0);
	struct history_run_info info = { .root = "/p", .phase = "build",
	    .start_us = 5000 };
	struct history_filter f = { .limit = 4 };
	struct history_run *a = NULL, *b = NULL, *ra = NULL, *rb = NULL;
	size_t na, nb, i;
	uint64_t live;

	/* A long live run older than the flushed ones. */
	live = history_run_begin(h, &info);
	assert_int_equal(history_sync(h, NULL), 0);
	for (i = 0; i < 6; i++)
		fx_run(h, "/p", "", i % 2 ? "build" : "test", 6000 + i, 3,
		    i == 3 ? HISTORY_FAILED : HISTORY_OK, 2);
	assert_int_equal(history_sync(h, NULL), 0);
	for (i = 0; i < 3; i++)
		fx_run(h, "/p", "", "build", 7000 + i, 3, HISTORY_OK, 2);
	assert_true(history_pending(h));
	assert_int_equal(history_list(h, &f, &a, &na, NULL), 0);
	assert_int_equal(history_get_run(h, live + 8, &ra, NULL), 0);
	assert_int_equal(history_sync(h, NULL), 0);
	assert_int_equal(history_list(h, &f, &b, &nb, NULL), 0);
	assert_int_equal(history_get_run(h, live + 8, &rb, NULL), 0);
	assert_true(fx_lists_equal(a, na, b, nb));
	assert_int_equal(na, 4);
	assert_int_equal(a[0].id, live + 9);
	assert_int_equal(ra->n_spans, rb->n_spans);
	assert_string_equal(ra->spans[1].name, rb->spans[1].name);
	assert_int_equal(ra->spans[1].start_us, rb->spans[1].start_us);
	history_runs_free(a, na);
	history_runs_free(b, nb);
	history_run_free(ra);
	history_run_free(rb);
	/* Filters: the live run shows up in the right place. */
	f.limit = 0;
	f.phase = "build";
	assert_int_equal(history_list(h, &f, &a, &na, NULL), 0);
	assert_int_equal(na, 7);
	assert_int_equal(a[na - 1].id, live);
	assert_int_equal(a[na - 1].status, HISTORY_RUNNING);
	history_runs_free(a, na);
	f.phase = NULL;
	f.failed_only = true;
	assert_int_equal(history_list(h, &f, &a, &na, NULL), 0);
	assert_int_equal(na, 1);
	assert_int_equal(a[0].status, HISTORY_FAILED);
	history_runs_free(a, na);
	f.failed_only = false;
	f.since_us = 7001;
	assert_int_equal(history_list(h, &f, &a, &na, NULL), 0);
	assert_int_equal(na, 2);
	history_runs_free(a, na);
	f.since_us = 0;
	f.root = "/other";
	assert_int_equal(history_list(h, &f, &a, &na, NULL), 0);
	assert_int_equal(na, 0);
	history_runs_free(a, na);
	history_close(h);
}

static void
fx_notify(void *arg)
{
	atomic_fetch_add((atomic_int *)arg, 1);
}

/* The writer is held mid-flush by another process's write lock: queries on
 * the loop still answer, from memory and the last commit, and agree with
 * what they return once the flush lands. */
static void
test_queries_during_flush(void **state)
{
	struct fx *fx = *state;
	atomic_int notified = 0;
	struct history_config cfg = { .path = fx->path,
	    .busy_timeout_ms = 10000, .notify = fx_notify,
	    .notify_arg = &notified };
	struct history_filter f = { .limit = 10 };
	struct history_run *a = NULL, *b = NULL, *r = NULL;
	struct history *h = NULL;
	size_t na, nb;
	sqlite3 *db;
	uint64_t id = 0;
	int i;

	assert_int_equal(history_open(&cfg, &h, NULL), 0);
	for (i = 0; i < 3; i++)
		fx_run(h, "/p", "", "build", 100 + i, 5, HISTORY_OK, 2);
	assert_int_equal(history_sync(h, NULL), 0);
	assert_int_equal(atomic_load(&notified), 1);
	assert_int_equal(sqlite3_open(fx->path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL),
	    SQLITE_OK);
	for (i = 0; i < 3; i++)
		id = fx_run(h, "/p", "", "build", 200 + i, 5, HISTORY_FAILED,
		    3);
	assert_int_equal(history_flush(h, NULL), 0);
	assert_false(history_pending(h));	/* handed to the writer */
	assert_int_equal(history_reap(h, NULL), 0);	/* not back yet */
	assert_int_equal(history_list(h, &f, &a, &na, NULL), 0);
	assert_int_equal(na, 6);
	assert_int_equal(a[0].id, id);
	assert_int_equal(a[0].status, HISTORY_FAILED);
	assert_int_equal(history_get_run(h, id, &r, NULL), 0);
	assert_int_equal(r->n_spans, 3);
	history_run_free(r);
	assert_int_equal(atomic_load(&notified), 1);
	assert_int_equal(sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL),
	    SQLITE_OK);
	sqlite3_close(db);
	assert_int_equal(history_sync(h, NULL), 0);
	assert_int_equal(atomic_load(&notified), 2);
	assert_int_equal(history_list(h, &f, &b, &nb, NULL), 0);
	assert_true(fx_lists_equal(a, na, b, nb));
	assert_int_equal(fx_sql_int(fx, "SELECT count(*) FROM runs"), 6);
	history_runs_free(a, na);
	history_runs_free(b, nb);
	history_close(h);
}

static void
test_stats_and_median(void **state)
{
	struct fx *fx = *state;
	struct history *h = fx_open(fx, 0, 0);
	struct history_phase_stats *s = NULL;
	struct gerr err;
	size_t n;
	int64_t med = 0;
	int i;

	for (i = 1; i <= 4; i++)
		fx_run(h, "/p", "", "build", 100 * i, 10 * i, HISTORY_OK, 0);
	assert_int_equal(history_sync(h, NULL), 0);
	gerr_clear(&err);
	assert_int_equal(history_phase_median(h, "/p", "", "build", 5, &med,
	    &err), GERR_NOT_FOUND);
	assert_non_null(strstr(err.msg, "4 successful runs, need 5"));
	/* The fifth is still queued: medians see it. */
	fx_run(h, "/p", "", "build", 1000, 50, HISTORY_OK, 0);
	assert_int_equal(history_phase_median(h, "/p", "", "build", 5, &med,
	    NULL), 0);
	assert_int_equal(med, 30);
	fx_run(h, "/p", "", "build", 1100, 1000, HISTORY_FAILED, 0);
	fx_run(h, "/p", "", "build", 1200, 2, HISTORY_CACHED, 0);
	fx_run(h, "/p", "", "lint", 1300, 7, HISTORY_OK, 0);
	assert_int_equal(history_phase_median(h, "/p", "", "build", 5, &med,
	    NULL), 0);
	assert_int_equal(med, 30);
	assert_int_equal(history_stats(h, NULL, &s, &n, NULL), 0);
	assert_int_equal(n, 2);
	assert_string_equal(s[0].phase, "build");
	assert_int_equal(s[0].runs, 7);
	assert_int_equal(s[0].ok, 6);
	assert_int_equal(s[0].cached, 1);
	assert_true(s[0].success_rate > 0.857 && s[0].success_rate < 0.858);
	assert_true(s[0].cache_hit_rate > 0.142 && s[0].cache_hit_rate < 0.143);
	/* Sorted durations 2 10 20 30 40 50 1000: ranks 4 and 7. */
	assert_int_equal(s[0].p50_us, 30);
	assert_int_equal(s[0].p95_us, 1000);
	assert_string_equal(s[1].phase, "lint");
	assert_int_equal(s[1].p50_us, 7);
	history_stats_free(s, n);
	/* Two projects: by_root never mixes them into one p50. */
	fx_run(h, "/q", "", "build", 1400, 5000, HISTORY_OK, 0);
	{
		struct history_filter by = { .by_root = true };

		assert_int_equal(history_stats(h, &by, &s, &n, NULL), 0);
		assert_int_equal(n, 3);
		assert_string_equal(s[0].root, "/p");
		assert_string_equal(s[0].phase, "build");
		assert_int_equal(s[0].runs, 7);
		assert_int_equal(s[0].p50_us, 30);
		assert_string_equal(s[1].root, "/p");
		assert_string_equal(s[1].phase, "lint");
		assert_string_equal(s[2].root, "/q");
		assert_int_equal(s[2].runs, 1);
		assert_int_equal(s[2].p50_us, 5000);
		history_stats_free(s, n);
	}
	assert_int_equal(history_stats(h, NULL, &s, &n, NULL), 0);
	assert_null(s[0].root);
	assert_int_equal(s[0].runs, 8);
	history_stats_free(s, n);
	/* Slow rule: median 30 of 5 ok runs; 33 is exactly +10%, not slow. */
	assert_int_equal(history_check_slow(h, "/p", "", "build", 33, 0, &med),
	    HISTORY_NOT_SLOW);
	assert_int_equal(med, 30);
	/* 34 is over 110% but only 4 us over: noise, not slow; the excess
	 * must pass 50 ms too. */
	assert_int_equal(history_check_slow(h, "/p", "", "build", 34, 0, NULL),
	    HISTORY_NOT_SLOW);
	assert_int_equal(history_check_slow(h, "/p", "", "build", 50030, 0,
	    NULL), HISTORY_NOT_SLOW);
	assert_int_equal(history_check_slow(h, "/p", "", "build", 50031, 0,
	    NULL), HISTORY_SLOW_MEDIAN);
	/* A 1 s phase: the 10% rule decides (100 ms is over the floor). */
	for (i = 0; i < 5; i++)
		fx_run(h, "/p", "", "deploy", 9000 + i, 1000000, HISTORY_OK, 0);
	assert_int_equal(history_check_slow(h, "/p", "", "deploy", 1100000, 0,
	    &med), HISTORY_NOT_SLOW);
	assert_int_equal(med, 1000000);
	assert_int_equal(history_check_slow(h, "/p", "", "deploy", 1100001, 0,
	    NULL), HISTORY_SLOW_MEDIAN);
	assert_int_equal(history_check_slow(h, "/p", "", "build", 2001, 2,
	    NULL), HISTORY_SLOW_BUDGET);
	/* Under 5 successful runs: only the budget counts. */
	assert_int_equal(history_check_slow(h, "/p", "", "lint", 1000, 0,
	    &med), HISTORY_NOT_SLOW);
	assert_int_equal(med, 0);
	assert_int_equal(history_check_slow(h, "/p", "", "lint", 1001, 1,
	    NULL), HISTORY_SLOW_BUDGET);
	history_close(h);
}

/* More keys than one flush trims: one sync still leaves every key at keep,
 * because each batch queues the keys of the runs it writes. */
static void
test_retention_many_keys(void **state)
{
	struct fx *fx = *state;
	struct history *h = fx_open(fx, 2, 0);
	char root[16];
	int i, k;

	for (i = 0; i < 4; i++) {
		for (k = 0; k < 3 * HISTORY_TRIM_KEYS_PER_FLUSH; k++) {
			snprintf(root, sizeof(root), "/r%d", k);
			fx_run(h, root, "", "build", i, 1, HISTORY_OK, 1);
		}
	}
	assert_int_equal(history_sync(h, NULL), 0);
	assert_false(history_pending(h));
	assert_int_equal(fx_sql_int(fx, "SELECT max(c) FROM (SELECT count(*)"
	    " c FROM runs GROUP BY root, workspace, phase)"), 2);
	assert_int_equal(fx_sql_int(fx, "SELECT count(*) FROM runs"),
	    2 * 3 * HISTORY_TRIM_KEYS_PER_FLUSH);
	history_close(h);
}

static void
test_record_errors_and_caps(void **state)
{
	struct fx *fx = *state;
	struct history *h = fx_open(fx, 0, 0);
	const char *files[40];
	struct history_run_info info = { .root = "/p", .phase = "build",
	    .trigger_files = files, .n_trigger_files = 40,
	    .cache_key = "abc" };
	struct history_run_end end = { .status = HISTORY_RUNNING };
	struct history_run *r = NULL;
	struct gerr err;
	char *out;
	uint64_t id, sid;
	size_t i, big = HISTORY_OUTPUT_MAX + 1000;

	for (i = 0; i < 40; i++)
		files[i] = "src/x.c";
	id = history_run_begin(h, &info);
	gerr_clear(&err);
	assert_int_equal(history_span_add(h, id, 3, HISTORY_SPAN_HOOK, "x",
	    "", 0, 1, HISTORY_OK, &sid, &err), GERR_INVALID);
	assert_non_null(strstr(err.msg, "parent span 3 does not exist"));
	gerr_clear(&err);
	assert_int_equal(history_span_add(h, id + 7, 0, HISTORY_SPAN_HOOK,
	    "x", "", 0, 1, HISTORY_OK, &sid, &err), GERR_RUN_NOT_FOUND);
	gerr_clear(&err);
	assert_int_equal(history_span_end(h, id, 1, 1, HISTORY_OK, &err),
	    GERR_NOT_FOUND);
	gerr_clear(&err);
	assert_int_equal(history_run_end(h, id, &end, &err), GERR_INVALID);
	assert_non_null(strstr(err.msg, "cannot be running"));
	out = xmalloc(big);
	for (i = 0; i < big; i++)
		out[i] = (char)('a' + i % 26);
	end.status = HISTORY_FAILED;
	end.exit_code = 2;
	end.output = out;
	end.output_len = big;
	assert_int_equal(history_span_add(h, id, 0, HISTORY_SPAN_PHASE,
	    "build", "", 0, -1, HISTORY_OK, &sid, NULL), 0);
	assert_int_equal(history_run_end(h, id, &end, NULL), 0);
	gerr_clear(&err);
	assert_int_equal(history_run_end(h, id, &end, &err),
	    GERR_RUN_NOT_FOUND);
	assert_int_equal(history_mark_slow(h, id, sid, NULL), 0);
	assert_int_equal(history_sync(h, NULL), 0);
	assert_int_equal(history_mark_slow(h, id, 0, NULL), 0);
	gerr_clear(&err);
	assert_int_equal(history_mark_slow(h, id, 9, &err), GERR_NOT_FOUND);
	assert_int_equal(history_get_run(h, id, &r, NULL), 0);
	assert_int_equal(r->n_trigger_files, HISTORY_TRIGGER_FILES_MAX);
	assert_int_equal(r->output_len, HISTORY_OUTPUT_MAX);
	assert_memory_equal(r->output, out + 1000, HISTORY_OUTPUT_MAX);
	assert_string_equal(r->cache_key, "abc");
	assert_int_equal(r->exit_code, 2);
	assert_true(r->slow);
	assert_true(r->spans[0].slow);
	/* An open span shares its run's fate. */
	assert_int_equal(r->spans[0].status, HISTORY_FAILED);
	history_run_free(r);
	free(out);
	gerr_clear(&err);
	assert_int_equal(history_get_run(h, 999, &r, &err),
	    GERR_RUN_NOT_FOUND);
	assert_int_equal(history_mark_slow(h, 999, 0, NULL),
	    GERR_RUN_NOT_FOUND);
	history_close(h);
}

static void
test_names(void **state)
{
	enum history_status s = HISTORY_OK;

	(void)state;
	assert_string_equal(history_status_name(HISTORY_INTERRUPTED),
	    "interrupted");
	assert_string_equal(history_trigger_name(HISTORY_TRIGGER_STARTUP),
	    "startup");
	assert_string_equal(history_span_kind_name(HISTORY_SPAN_RENDER),
	    "render");
	assert_true(history_status_parse("timeout", &s));
	assert_int_equal(s, HISTORY_TIMEOUT);
	assert_false(history_status_parse("bogus", &s));
	assert_int_equal(s, HISTORY_TIMEOUT);
	assert_string_equal(history_status_name((enum history_status)77),
	    "unknown");
}

/* The output tails are settings (history.output_tail and
 * history.span_output_tail): a run and a span keep their configured
 * last bytes, through a flush and a reopen. */
static void
test_configured_output_tails(void **state)
{
	struct fx *fx = *state;
	struct history_config cfg = { .path = fx->path, .output_max = 2048,
	    .span_output_max = 1024, .busy_timeout_ms = 50 };
	struct history_run_info info = { .root = "/p", .phase = "build" };
	struct history_run_end end = { .status = HISTORY_OK };
	struct history_run *r = NULL;
	struct history *h = NULL;
	size_t i, big = 5000;
	uint64_t id, sid;
	char *out = xmalloc(big);

	for (i = 0; i < big; i++)
		out[i] = (char)('a' + i % 26);
	assert_int_equal(history_open(&cfg, &h, NULL), 0);
	id = history_run_begin(h, &info);
	assert_int_equal(history_span_add(h, id, 0, HISTORY_SPAN_PHASE,
	    "build", "", 0, -1, HISTORY_RUNNING, &sid, NULL), 0);
	assert_int_equal(history_span_output(h, id, sid, out, big, NULL), 0);
	assert_int_equal(history_span_end(h, id, sid, 5, HISTORY_OK, NULL),
	    0);
	end.output = out;
	end.output_len = big;
	assert_int_equal(history_run_end(h, id, &end, NULL), 0);
	assert_int_equal(history_sync(h, NULL), 0);
	history_close(h);
	h = NULL;
	assert_int_equal(history_open(&cfg, &h, NULL), 0);
	assert_int_equal(history_get_run(h, id, &r, NULL), 0);
	assert_int_equal(r->output_len, 2048);
	assert_memory_equal(r->output, out + big - 2048, 2048);
	assert_int_equal(r->n_spans, 1);
	assert_int_equal(r->spans[0].output_len, 1024);
	assert_memory_equal(r->spans[0].output, out + big - 1024, 1024);
	history_run_free(r);
	history_close(h);
	free(out);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_configured_output_tails,
		    fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_open_creates_schema,
		    fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_pipeline_one_transaction,
		    fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_retention_keeps_n,
		    fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_retention_many_keys,
		    fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_migrate_from_v1,
		    fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_span_output_and_ok_phases,
		    fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_newer_schema_degrades,
		    fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_crash_leaves_interrupted,
		    fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_corrupt_file_degrades,
		    fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_readonly_file_degrades,
		    fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_write_failure_degrades,
		    fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_queue_cap_when_blocked,
		    fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_queries_agree_across_flush,
		    fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_queries_during_flush,
		    fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_stats_and_median,
		    fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_record_errors_and_caps,
		    fx_setup, fx_teardown),
		cmocka_unit_test(test_names),
	};

	/* Degraded-mode WARN lines are expected here; keep the TAP clean. */
	log_set_level(LOG_LEVEL_ERROR);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
