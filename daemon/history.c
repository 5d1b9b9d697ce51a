/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * history.c - the run history store: one SQLite database, runs and spans.
 *
 * Owns: two SQLite connections with their prepared statements (kept for
 * the daemon's life): the loop's (open, migrations, queries, on-demand trim)
 * and the writer thread's (batched writes); the writer thread itself; the
 * in-memory table of runs not yet written or still live (h->mem, sorted by
 * id); the queue of retention keys to trim; flush stats.
 * Called by: the daemon loop thread only (engine records, req_* queries,
 * the flush timer, the notify ev_async). Never links libev: the daemon owns
 * the timer and the async watcher and asks history_pending() whether to arm
 * the timer.
 *
 * Threads: the loop copies dirty rows into a struct history_batch
 * (history_post) and hands it over under h->mu; the writer commits it in one
 * BEGIN IMMEDIATE transaction and hands it back (h->done, notify). One batch
 * is in flight at a time. The writer touches nothing but the batch and its
 * own connection, so the live table needs no lock.
 *
 * Invariants:
 * - h->mem is sorted by run id; ids come from h->next_id, which starts after
 *   the largest id in the database, so ids never repeat.
 * - Healthy mode: a run stays in h->mem while it is live, dirty or in the
 *   batch in flight; once ended and committed it is dropped (the database is
 *   authoritative). Degraded mode: nothing is written; at most mem_runs
 *   ended runs are kept, oldest dropped.
 * - A run or span in memory is at least as new as its database row, so
 *   queries merge with memory winning by id.
 * - Batched writes all go through the writer; the loop connection writes only
 *   for migrations and recovery at open, history_trim (after history_sync)
 *   and history_mark_slow on a run already gone from memory.
 *
 * Never: one transaction per phase; deleting or overwriting a database file
 * that fails to open (a corrupt file is left for the user to inspect).
 */
#include "history.h"

#include <assert.h>
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <sqlite3.h>

#include "clock.h"
#include "fault.h"
#include "log.h"
#include "strbuf.h"
#include "xmalloc.h"

enum history_stmt {
	HISTORY_ST_BEGIN,
	HISTORY_ST_COMMIT,
	HISTORY_ST_ROLLBACK,
	HISTORY_ST_PUT_RUN,
	HISTORY_ST_PUT_SPAN,
	HISTORY_ST_TRIM_CUTOFF,
	HISTORY_ST_TRIM_SPANS,
	HISTORY_ST_TRIM_RUNS,
	HISTORY_ST_LIST,
	HISTORY_ST_GET_RUN,
	HISTORY_ST_GET_SPANS,
	HISTORY_ST_MEDIAN,
	HISTORY_ST_SLOW_RUN,
	HISTORY_ST_SLOW_SPAN,
	HISTORY_ST_OK_PHASES,
	HISTORY_ST_COUNT
};

#define HISTORY_RUN_COLS "id, root, workspace, phase, trig, trigger_files, " \
	"start_us, end_us, status, exit_code, signal, cache_key, cache_hit, " \
	"slow, output"

static const char *const history_stmt_sql[HISTORY_ST_COUNT] = {
	[HISTORY_ST_BEGIN] = "BEGIN IMMEDIATE",
	[HISTORY_ST_COMMIT] = "COMMIT",
	[HISTORY_ST_ROLLBACK] = "ROLLBACK",
	[HISTORY_ST_PUT_RUN] = "INSERT OR REPLACE INTO runs(" HISTORY_RUN_COLS
	    ") VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13,"
	    " ?14, ?15)",
	[HISTORY_ST_PUT_SPAN] = "INSERT OR REPLACE INTO spans(run, id, parent,"
	    " kind, name, workspace, start_us, dur_us, status, slow, output)"
	    " VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
	/* The keep-th newest id of a key: everything older goes. */
	[HISTORY_ST_TRIM_CUTOFF] = "SELECT id FROM runs WHERE root = ?1 AND"
	    " workspace = ?2 AND phase = ?3 ORDER BY id DESC LIMIT 1 OFFSET ?4",
	/* A run still going is never trimmed: its row is rewritten when it
	 * ends, and its spans already on disk must still be there. */
	[HISTORY_ST_TRIM_SPANS] = "DELETE FROM spans WHERE run IN (SELECT id"
	    " FROM runs WHERE root = ?1 AND workspace = ?2 AND phase = ?3 AND"
	    " id < ?4 AND status <> 'running')",
	[HISTORY_ST_TRIM_RUNS] = "DELETE FROM runs WHERE root = ?1 AND"
	    " workspace = ?2 AND phase = ?3 AND id < ?4 AND"
	    " status <> 'running'",
	/* Optional filters: a NULL parameter disables its clause. */
	[HISTORY_ST_LIST] = "SELECT " HISTORY_RUN_COLS " FROM runs WHERE"
	    " (?1 IS NULL OR root = ?1) AND (?2 IS NULL OR workspace = ?2) AND"
	    " (?3 IS NULL OR phase = ?3) AND (?4 = 0 OR status IN ('failed',"
	    " 'timeout', 'cancelled', 'interrupted')) AND start_us >= ?5"
	    " ORDER BY id DESC LIMIT ?6",
	[HISTORY_ST_GET_RUN] = "SELECT " HISTORY_RUN_COLS " FROM runs"
	    " WHERE id = ?1",
	[HISTORY_ST_GET_SPANS] = "SELECT id, parent, kind, name, workspace,"
	    " start_us, dur_us, status, slow, output FROM spans WHERE run = ?1"
	    " ORDER BY id",
	[HISTORY_ST_MEDIAN] = "SELECT end_us - start_us FROM runs WHERE"
	    " root = ?1 AND workspace = ?2 AND phase = ?3 AND status = 'ok'"
	    " ORDER BY id DESC LIMIT ?4",
	[HISTORY_ST_SLOW_RUN] = "UPDATE runs SET slow = 1 WHERE id = ?1",
	[HISTORY_ST_SLOW_SPAN] = "UPDATE spans SET slow = 1 WHERE run = ?1"
	    " AND id = ?2",
	[HISTORY_ST_OK_PHASES] = "SELECT DISTINCT r.root, s.workspace, s.name"
	    " FROM spans s JOIN runs r ON r.id = s.run WHERE s.kind IN ('phase',"
	    " 'hook')"
	    " AND s.status IN ('ok', 'cached')",
};

/*
 * Forward migrations: entry i takes user_version i to i + 1. Never edit a
 * shipped entry; append a new one and bump HISTORY_SCHEMA_VERSION.
 */
static const char *const history_migrations[HISTORY_SCHEMA_VERSION] = {
	/* 0 -> 1: the first schema. */
	"CREATE TABLE runs("
	" id INTEGER PRIMARY KEY,"
	" root TEXT NOT NULL,"
	" workspace TEXT NOT NULL,"
	" phase TEXT NOT NULL,"
	" trig TEXT NOT NULL,"
	" trigger_files TEXT NOT NULL DEFAULT '',"
	" start_us INTEGER NOT NULL,"
	" end_us INTEGER NOT NULL DEFAULT 0,"
	" status TEXT NOT NULL,"
	" exit_code INTEGER NOT NULL DEFAULT -1,"
	" signal INTEGER NOT NULL DEFAULT 0,"
	" cache_key TEXT,"
	" output BLOB);"
	"CREATE TABLE spans("
	" run INTEGER NOT NULL,"
	" id INTEGER NOT NULL,"
	" parent INTEGER NOT NULL,"
	" kind TEXT NOT NULL,"
	" name TEXT NOT NULL,"
	" workspace TEXT NOT NULL,"
	" start_us INTEGER NOT NULL,"
	" dur_us INTEGER NOT NULL,"
	" status TEXT NOT NULL,"
	" PRIMARY KEY(run, id)) WITHOUT ROWID;"
	"CREATE INDEX runs_key ON runs(root, workspace, phase, id);",
	/* 1 -> 2: cache hits and slow marks; crash recovery without a scan. */
	"ALTER TABLE runs ADD COLUMN cache_hit INTEGER NOT NULL DEFAULT 0;"
	"ALTER TABLE runs ADD COLUMN slow INTEGER NOT NULL DEFAULT 0;"
	"ALTER TABLE spans ADD COLUMN slow INTEGER NOT NULL DEFAULT 0;"
	"CREATE INDEX runs_running ON runs(id) WHERE status = 'running';",
	/* 2 -> 3: each phase span keeps its own output tail. */
	"ALTER TABLE spans ADD COLUMN output BLOB;",
};

struct history_live {
	struct history_run run;	/* run.spans grows; span_cap is its room */
	size_t span_cap;
	unsigned char *span_dirty;
	bool dirty;		/* the run row (or a span) must be written */
	bool ended;
	bool inflight;		/* in the batch the writer holds: keep it */
};

struct history_key {
	char *root;
	char *workspace;
	char *phase;
};

/*
 * A flush's worth of rows, copied on the loop thread so that the writer
 * thread shares nothing with the live table. Result fields are written by
 * the writer and read by the loop after the hand-back (under h->mu).
 */
struct history_batch {
	struct history_run *runs;	/* dirty runs; spans = dirty ones only */
	size_t n_runs;
	struct history_key *trim;
	size_t n_trim;
	unsigned keep;
	int rc;
	bool busy;
	char msg[GERR_MSG_MAX];
	uint64_t write_us;
	uint64_t commits;
	uint64_t spans_written;
	uint64_t runs_trimmed;
};

struct history {
	char *path;
	unsigned keep;
	size_t output_max, span_output_max;	/* history_config's */
	unsigned mem_runs;
	int busy_timeout_ms;
	sqlite3 *db;		/* loop connection (reads); NULL degraded */
	sqlite3_stmt *st[HISTORY_ST_COUNT];
	/* Writer thread and its connection. Only the thread touches wdb, wst
	 * and wcommits once started; todo/done/stop are under mu. */
	sqlite3 *wdb;
	sqlite3_stmt *wst[HISTORY_ST_COUNT];
	uint64_t wcommits;
	pthread_t writer;
	bool writer_started;
	pthread_mutex_t mu;
	pthread_cond_t todo_cv;
	pthread_cond_t done_cv;
	struct history_batch *todo;
	struct history_batch *done;
	bool stop;
	bool inflight;		/* loop view: posted and not yet reaped */
	void (*notify)(void *arg);
	void *notify_arg;
	bool degraded;
	char status[GERR_MSG_MAX + 128];
	uint64_t next_id;
	struct history_live **mem;
	size_t n_mem;
	size_t cap_mem;
	size_t n_dirty;
	size_t n_ended_mem;	/* ended runs held in memory (capped) */
	unsigned queue_runs;
	struct history_key *trim;
	size_t n_trim;
	size_t cap_trim;
	struct history_flush_stats stats;
};

static void history_copy_run(const struct history_run *src,
    struct history_run *dst, bool with_spans);

const char *
history_trigger_name(enum history_trigger t)
{
	return run_trigger_name((enum run_trigger)t);
}

const char *
history_status_name(enum history_status s)
{
	return run_status_name((enum run_status)s);
}

const char *
history_span_kind_name(enum history_span_kind k)
{
	return run_span_kind_name((enum run_span_kind)k);
}

bool
history_status_parse(const char *name, enum history_status *out)
{
	enum run_status s;

	/* "queued" is a status, but never one of a history record. */
	if (!run_status_parse(name, &s) || s == RUN_QUEUED)
		return false;
	*out = (enum history_status)s;
	return true;
}

static char *
history_strdup0(const char *s)
{
	return xstrdup(s != NULL ? s : "");
}

/* ---- degraded mode ---------------------------------------------------- */

static void
history_close_conn(sqlite3 **db, sqlite3_stmt **st)
{
	size_t i;

	for (i = 0; i < HISTORY_ST_COUNT; i++) {
		sqlite3_finalize(st[i]);
		st[i] = NULL;
	}
	if (*db != NULL)
		sqlite3_close(*db);
	*db = NULL;
}

/* Stop and join the writer (idle or finishing its batch), close both. */
static void
history_close_db(struct history *h)
{
	if (h->writer_started) {
		pthread_mutex_lock(&h->mu);
		h->stop = true;
		pthread_cond_signal(&h->todo_cv);
		pthread_mutex_unlock(&h->mu);
		pthread_join(h->writer, NULL);
		h->writer_started = false;
	}
	history_close_conn(&h->wdb, h->wst);
	history_close_conn(&h->db, h->st);
}

/* Enter degraded mode once: one WARN line, the reason kept for `status`. */
static void
history_degrade(struct history *h, const char *what)
{
	if (h->degraded)
		return;
	h->degraded = true;
	snprintf(h->status, sizeof(h->status),
	    "degraded: %s: %s; runs kept in memory only (last %u)", h->path,
	    what, h->mem_runs);
	log_warn("history: %s", h->status);
	history_close_db(h);
}

/* ---- open ------------------------------------------------------------- */

/* mkdir -p of path's parent directory, new components 0700. */
static int
history_mkdirs(const char *path, struct gerr *err)
{
	char *dir, *p;
	int rc = 0;

	dir = xstrdup(path);
	p = strrchr(dir, '/');
	if (p == NULL || p == dir) {
		free(dir);
		return 0;
	}
	*p = '\0';
	for (p = dir + 1; rc == 0; p++) {
		if (*p != '/' && *p != '\0')
			continue;
		char c = *p;
		*p = '\0';
		if (mkdir(dir, 0700) != 0 && errno != EEXIST)
			rc = gerr_set(err, GERR_IO, "mkdir %s: %s", dir,
			    strerror(errno));
		*p = c;
		if (c == '\0')
			break;
	}
	free(dir);
	return rc;
}

static int
history_exec_on(sqlite3 *db, const char *sql, struct gerr *err)
{
	char *msg = NULL;

	if (fault_hit(FAULT_HISTORY_STEP))
		return gerr_set(err, GERR_HISTORY, "injected fault");
	if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK) {
		gerr_set(err, GERR_HISTORY, "%s",
		    msg != NULL ? msg : sqlite3_errmsg(db));
		sqlite3_free(msg);
		return GERR_HISTORY;
	}
	return 0;
}

static int
history_exec(struct history *h, const char *sql, struct gerr *err)
{
	return history_exec_on(h->db, sql, err);
}

static int history_db_err(sqlite3 *db, const char *what, struct gerr *err);

static int
history_sql_err(struct history *h, const char *what, struct gerr *err)
{
	return history_db_err(h->db, what, err);
}

static int
history_user_version(struct history *h, int *version, struct gerr *err)
{
	sqlite3_stmt *st;
	int rc;

	if (sqlite3_prepare_v2(h->db, "PRAGMA user_version", -1, &st, NULL)
	    != SQLITE_OK)
		return history_sql_err(h, "read schema version", err);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*version = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW)
		return history_sql_err(h, "read schema version", err);
	return 0;
}

/* Apply every missing migration, each step in its own transaction. */
static int
history_migrate(struct history *h, struct gerr *err)
{
	int version = 0, rc;
	char buf[64];

	if ((rc = history_user_version(h, &version, err)) != 0)
		return rc;
	if (version > HISTORY_SCHEMA_VERSION)
		return gerr_set(err, GERR_HISTORY,
		    "schema version %d is newer than this ggend supports (%d)",
		    version, HISTORY_SCHEMA_VERSION);
	for (; version < HISTORY_SCHEMA_VERSION; version++) {
		snprintf(buf, sizeof(buf), "PRAGMA user_version = %d",
		    version + 1);
		if ((rc = history_exec(h, "BEGIN IMMEDIATE", err)) != 0)
			return rc;
		if ((rc = history_exec(h, history_migrations[version], err))
		    != 0 || (rc = history_exec(h, buf, err)) != 0) {
			sqlite3_exec(h->db, "ROLLBACK", NULL, NULL, NULL);
			return rc;
		}
		if ((rc = history_exec(h, "COMMIT", err)) != 0)
			return rc;
		log_info("history: schema migrated to version %d", version + 1);
	}
	return 0;
}

static int
history_commit_hook(void *arg)
{
	struct history *h = arg;

	h->wcommits++;	/* writer thread only */
	return 0;
}

static void *history_writer_main(void *arg);

static int
history_prepare_all(sqlite3 *db, sqlite3_stmt **st, struct gerr *err)
{
	size_t i;

	for (i = 0; i < HISTORY_ST_COUNT; i++) {
		if (sqlite3_prepare_v3(db, history_stmt_sql[i], -1,
		    SQLITE_PREPARE_PERSISTENT, &st[i], NULL) != SQLITE_OK)
			return history_db_err(db, "prepare", err);
	}
	return 0;
}

static int
history_open_db(struct history *h, struct gerr *err)
{
	sqlite3_stmt *st;
	int rc;

	if ((rc = history_mkdirs(h->path, err)) != 0)
		return rc;
	if (fault_hit(FAULT_HISTORY_OPEN))
		return gerr_set(err, GERR_HISTORY, "open %s: injected fault",
		    h->path);
	if (sqlite3_open_v2(h->path, &h->db, SQLITE_OPEN_READWRITE |
	    SQLITE_OPEN_CREATE, NULL) != SQLITE_OK)
		return history_sql_err(h, "open", err);
	sqlite3_busy_timeout(h->db, h->busy_timeout_ms);
	if (sqlite3_db_readonly(h->db, "main") == 1)
		return gerr_set(err, GERR_HISTORY, "database is read-only");
	/* journal_mode reads the header first: a corrupt file fails here. */
	if ((rc = history_exec(h, "PRAGMA journal_mode = WAL", err)) != 0 ||
	    (rc = history_exec(h, "PRAGMA synchronous = NORMAL", err)) != 0)
		return rc;
	/* After a big transaction, give the WAL file back once checkpointed. */
	if ((rc = history_exec(h, "PRAGMA journal_size_limit = 16777216",
	    err)) != 0)
		return rc;
	if ((rc = history_migrate(h, err)) != 0)
		return rc;
	/* Rows a crashed daemon left running end at the last thing known of
	 * them: the last "seen" mark (end_us of a running row, set by
	 * history_run_seen) or the last span start or end; spans still open
	 * then last until that point. */
	if ((rc = history_exec(h, "BEGIN IMMEDIATE;"
	    "UPDATE runs SET end_us = max(start_us, end_us,"
	    " coalesce((SELECT max(max(s.start_us, s.start_us + s.dur_us))"
	    " FROM spans s WHERE s.run = runs.id), 0)) WHERE status ="
	    " 'running';"
	    "UPDATE spans SET status = 'interrupted', dur_us = max(0,"
	    " (SELECT r.end_us FROM runs r WHERE r.id = spans.run) -"
	    " start_us) WHERE status = 'running' AND run IN (SELECT id FROM"
	    " runs WHERE status = 'running');"
	    "UPDATE runs SET status = 'interrupted' WHERE status ="
	    " 'running';"
	    "COMMIT", err)) != 0) {
		sqlite3_exec(h->db, "ROLLBACK", NULL, NULL, NULL);
		return rc;
	}
	if (sqlite3_changes(h->db) > 0)
		log_info("history: %d interrupted run(s) from a previous "
		    "daemon", sqlite3_changes(h->db));
	if (sqlite3_prepare_v2(h->db, "SELECT coalesce(max(id), 0) FROM runs",
	    -1, &st, NULL) != SQLITE_OK)
		return history_sql_err(h, "read last run id", err);
	if (sqlite3_step(st) == SQLITE_ROW)
		h->next_id = (uint64_t)sqlite3_column_int64(st, 0) + 1;
	sqlite3_finalize(st);
	if ((rc = history_prepare_all(h->db, h->st, err)) != 0)
		return rc;
	/* The writer's own connection: synchronous is per connection. */
	if (sqlite3_open_v2(h->path, &h->wdb, SQLITE_OPEN_READWRITE, NULL)
	    != SQLITE_OK)
		return history_db_err(h->wdb, "open writer", err);
	sqlite3_busy_timeout(h->wdb, h->busy_timeout_ms);
	if ((rc = history_exec_on(h->wdb, "PRAGMA synchronous = NORMAL;"
	    "PRAGMA journal_size_limit = 16777216", err)) != 0 || (rc = history_prepare_all(h->wdb, h->wst, err)) != 0)
		return rc;
	sqlite3_commit_hook(h->wdb, history_commit_hook, h);
	if ((rc = pthread_create(&h->writer, NULL, history_writer_main, h))
	    != 0)
		return gerr_set(err, GERR_HISTORY, "start writer thread: %s",
		    strerror(rc));
	h->writer_started = true;
	return 0;
}

int
history_open(const struct history_config *cfg, struct history **out,
    struct gerr *err)
{
	struct history *h;
	struct gerr oerr;

	*out = NULL;
	if (cfg == NULL || cfg->path == NULL || cfg->path[0] == '\0')
		return gerr_set(err, GERR_INVALID, "history: no database path");
	h = xcalloc(1, sizeof(*h));
	h->path = xstrdup(cfg->path);
	h->keep = cfg->keep > 0 ? cfg->keep : HISTORY_KEEP_DEFAULT;
	h->output_max = cfg->output_max > 0 ? cfg->output_max :
	    HISTORY_OUTPUT_MAX;
	h->span_output_max = cfg->span_output_max > 0 ?
	    cfg->span_output_max : HISTORY_SPAN_OUTPUT_MAX;
	h->mem_runs = cfg->mem_runs > 0 ? cfg->mem_runs :
	    HISTORY_MEM_RUNS_DEFAULT;
	h->queue_runs = cfg->queue_runs > 0 ? cfg->queue_runs :
	    HISTORY_QUEUE_RUNS_DEFAULT;
	h->busy_timeout_ms = cfg->busy_timeout_ms > 0 ? cfg->busy_timeout_ms :
	    HISTORY_BUSY_TIMEOUT_MS;
	h->next_id = 1;
	h->notify = cfg->notify;
	h->notify_arg = cfg->notify_arg;
	pthread_mutex_init(&h->mu, NULL);
	pthread_cond_init(&h->todo_cv, NULL);
	pthread_cond_init(&h->done_cv, NULL);
	snprintf(h->status, sizeof(h->status), "ok");
	gerr_clear(&oerr);
	if (history_open_db(h, &oerr) != 0)
		history_degrade(h, oerr.msg);
	*out = h;
	return 0;
}

/* ---- memory table ----------------------------------------------------- */

static void
history_run_clear(struct history_run *r)
{
	size_t i;

	free(r->root);
	free(r->workspace);
	free(r->phase);
	for (i = 0; i < r->n_trigger_files; i++)
		free(r->trigger_files[i]);
	free(r->trigger_files);
	free(r->cache_key);
	free(r->output);
	for (i = 0; i < r->n_spans; i++) {
		free(r->spans[i].name);
		free(r->spans[i].workspace);
		free(r->spans[i].output);
	}
	free(r->spans);
}

/* Deep copy of span src into dst (owned strings duplicated). */
static void
history_copy_span(const struct history_span *src, struct history_span *dst)
{
	*dst = *src;
	dst->name = xstrdup(src->name);
	dst->workspace = xstrdup(src->workspace);
	dst->output = src->output != NULL ? xmemdup(src->output,
	    src->output_len + 1) : NULL;
}

void
history_run_free(struct history_run *r)
{
	if (r == NULL)
		return;
	history_run_clear(r);
	free(r);
}

void
history_runs_free(struct history_run *runs, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		history_run_clear(&runs[i]);
	free(runs);
}

static void
history_live_free(struct history_live *l)
{
	history_run_clear(&l->run);
	free(l->span_dirty);
	free(l);
}

static struct history_live *
history_find(const struct history *h, uint64_t id, size_t *pos)
{
	size_t lo = 0, hi = h->n_mem, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (h->mem[mid]->run.id < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (pos != NULL)
		*pos = lo;
	if (lo < h->n_mem && h->mem[lo]->run.id == id)
		return h->mem[lo];
	return NULL;
}

static void
history_mark_dirty(struct history *h, struct history_live *l)
{
	if (!l->dirty) {
		l->dirty = true;
		h->n_dirty++;
	}
}

/* Drop ended, clean runs from memory (healthy) or the oldest ended beyond
 * mem_runs (degraded). */
static void
history_compact(struct history *h)
{
	size_t i, j, cap, excess = 0;

	cap = h->degraded ? h->mem_runs : h->queue_runs;
	if (h->n_ended_mem > cap)
		excess = h->n_ended_mem - cap;
	for (i = j = 0; i < h->n_mem; i++) {
		struct history_live *l = h->mem[i];
		bool written = !h->degraded && !l->dirty && !l->inflight;
		bool drop;

		/* Oldest first: over the cap, unwritten runs go too. */
		drop = l->ended && !l->inflight && (written || excess > 0);
		if (drop) {
			if (!written) {
				excess--;
				if (!h->degraded && h->stats.runs_dropped++ == 0)
					log_warn("history: %s: writes are not "
					    "keeping up; dropping the oldest "
					    "unwritten runs (queue cap %u)",
					    h->path, h->queue_runs);
			}
			if (l->dirty)
				h->n_dirty--;
			h->n_ended_mem--;
			history_live_free(l);
			continue;
		}
		h->mem[j++] = l;
	}
	h->n_mem = j;
}

uint64_t
history_run_begin(struct history *h, const struct history_run_info *info)
{
	struct history_live *l;
	struct history_run *r;
	size_t i, n, pos = h->n_mem;

	l = xcalloc(1, sizeof(*l));
	r = &l->run;
	if (info->id >= h->next_id) {
		h->next_id = info->id;
		r->id = h->next_id++;
	} else if (info->id > 0 && history_find(h, info->id, &pos) == NULL) {
		/* A queued run starting after a later one: its id was given
		 * out by the engine, above every stored id, and never begun
		 * here, so it is free. Memory stays sorted: insert at pos. */
		r->id = info->id;
	} else {
		r->id = h->next_id++;
		pos = h->n_mem;
	}
	r->root = history_strdup0(info->root);
	r->workspace = history_strdup0(info->workspace);
	r->phase = history_strdup0(info->phase);
	r->trigger = info->trigger;
	n = info->n_trigger_files;
	if (n > HISTORY_TRIGGER_FILES_MAX)
		n = HISTORY_TRIGGER_FILES_MAX;
	if (n > 0) {
		r->trigger_files = xreallocarray(NULL, n, sizeof(char *));
		for (i = 0; i < n; i++) {
			r->trigger_files[i] =
			    history_strdup0(info->trigger_files[i]);
			/* Stored newline-separated: keep names one line. */
			for (char *p = r->trigger_files[i]; *p; p++)
				if (*p == '\n')
					*p = '?';
		}
	}
	r->n_trigger_files = n;
	r->start_us = info->start_us != 0 ? info->start_us : (int64_t)clock_wall_us();
	r->status = HISTORY_RUNNING;
	r->exit_code = -1;
	r->cache_key = info->cache_key != NULL ? xstrdup(info->cache_key) :
	    NULL;
	if (h->n_mem == h->cap_mem) {
		h->cap_mem = h->cap_mem ? h->cap_mem * 2 : 16;
		h->mem = xreallocarray(h->mem, h->cap_mem, sizeof(*h->mem));
	}
	assert(pos == 0 || h->mem[pos - 1]->run.id < r->id);
	assert(pos == h->n_mem || h->mem[pos]->run.id > r->id);
	memmove(h->mem + pos + 1, h->mem + pos,
	    (h->n_mem - pos) * sizeof(*h->mem));
	h->mem[pos] = l;
	h->n_mem++;
	history_mark_dirty(h, l);
	return r->id;
}

static struct history_live *
history_live_get(struct history *h, uint64_t run_id, struct gerr *err)
{
	struct history_live *l = history_find(h, run_id, NULL);

	if (l == NULL || l->ended) {
		gerr_set(err, GERR_RUN_NOT_FOUND, "run %llu is not running",
		    (unsigned long long)run_id);
		return NULL;
	}
	return l;
}

int
history_run_seen(struct history *h, uint64_t run_id, int64_t seen_us,
    struct gerr *err)
{
	struct history_live *l;

	if ((l = history_live_get(h, run_id, err)) == NULL)
		return GERR_RUN_NOT_FOUND;
	if (seen_us > l->run.end_us) {
		l->run.end_us = seen_us;
		history_mark_dirty(h, l);
	}
	return 0;
}

int
history_span_add(struct history *h, uint64_t run_id, uint64_t parent,
    enum history_span_kind kind, const char *name, const char *workspace,
    int64_t start_us, int64_t dur_us, enum history_status status,
    uint64_t *span_id, struct gerr *err)
{
	struct history_live *l;
	struct history_span *s;
	struct history_run *r;

	if ((l = history_live_get(h, run_id, err)) == NULL)
		return GERR_RUN_NOT_FOUND;
	r = &l->run;
	if (parent > r->n_spans)
		return gerr_set(err, GERR_INVALID,
		    "run %llu: parent span %llu does not exist",
		    (unsigned long long)run_id, (unsigned long long)parent);
	if (r->n_spans >= HISTORY_SPANS_MAX)
		return gerr_set(err, GERR_LIMIT,
		    "run %llu: more than %d spans",
		    (unsigned long long)run_id, HISTORY_SPANS_MAX);
	if (r->n_spans == l->span_cap) {
		l->span_cap = l->span_cap ? l->span_cap * 2 : 8;
		r->spans = xreallocarray(r->spans, l->span_cap,
		    sizeof(*r->spans));
		l->span_dirty = xreallocarray(l->span_dirty, l->span_cap, 1);
	}
	s = &r->spans[r->n_spans];
	memset(s, 0, sizeof(*s));
	s->id = r->n_spans + 1;	/* ids are 1-based indexes: O(1) lookup */
	s->parent = parent;
	s->kind = kind;
	s->name = history_strdup0(name);
	s->workspace = history_strdup0(workspace);
	s->start_us = start_us != 0 ? start_us : (int64_t)clock_wall_us();
	s->dur_us = dur_us;
	s->status = dur_us < 0 ? HISTORY_RUNNING : status;
	l->span_dirty[r->n_spans] = 1;
	r->n_spans++;
	history_mark_dirty(h, l);
	if (span_id != NULL)
		*span_id = s->id;
	return 0;
}

int
history_span_end(struct history *h, uint64_t run_id, uint64_t span_id,
    int64_t dur_us, enum history_status status, struct gerr *err)
{
	struct history_live *l;

	if ((l = history_live_get(h, run_id, err)) == NULL)
		return GERR_RUN_NOT_FOUND;
	if (span_id == 0 || span_id > l->run.n_spans)
		return gerr_set(err, GERR_NOT_FOUND, "run %llu: no span %llu",
		    (unsigned long long)run_id, (unsigned long long)span_id);
	l->run.spans[span_id - 1].dur_us = dur_us < 0 ? 0 : dur_us;
	l->run.spans[span_id - 1].status = status;
	l->span_dirty[span_id - 1] = 1;
	history_mark_dirty(h, l);
	return 0;
}

int
history_span_output(struct history *h, uint64_t run_id, uint64_t span_id,
    const char *out, size_t len, struct gerr *err)
{
	struct history_live *l;
	struct history_span *s;
	size_t off = len > h->span_output_max ? len - h->span_output_max : 0;

	if ((l = history_live_get(h, run_id, err)) == NULL)
		return GERR_RUN_NOT_FOUND;
	if (span_id == 0 || span_id > l->run.n_spans)
		return gerr_set(err, GERR_NOT_FOUND, "run %llu: no span %llu",
		    (unsigned long long)run_id, (unsigned long long)span_id);
	s = &l->run.spans[span_id - 1];
	free(s->output);
	s->output = NULL;
	s->output_len = 0;
	if (out != NULL && len > 0) {
		s->output_len = len - off;
		s->output = xmalloc(s->output_len + 1);
		memcpy(s->output, out + off, s->output_len);
		s->output[s->output_len] = '\0';
	}
	l->span_dirty[span_id - 1] = 1;
	history_mark_dirty(h, l);
	return 0;
}

static void
history_trim_enqueue_key(struct history *h, const struct history_key *k)
{
	size_t i;

	/* Bounded dedupe: a burst over the cap is trimmed on the keys' next
	 * runs or by history_trim, never lost. */
	for (i = 0; i < h->n_trim; i++) {
		if (strcmp(h->trim[i].phase, k->phase) == 0 &&
		    strcmp(h->trim[i].root, k->root) == 0 &&
		    strcmp(h->trim[i].workspace, k->workspace) == 0)
			return;
	}
	if (h->n_trim >= 8 * HISTORY_TRIM_KEYS_PER_FLUSH)
		return;
	if (h->n_trim == h->cap_trim) {
		h->cap_trim = h->cap_trim ? h->cap_trim * 2 : 8;
		h->trim = xreallocarray(h->trim, h->cap_trim,
		    sizeof(*h->trim));
	}
	h->trim[h->n_trim].root = xstrdup(k->root);
	h->trim[h->n_trim].workspace = xstrdup(k->workspace);
	h->trim[h->n_trim].phase = xstrdup(k->phase);
	h->n_trim++;
}

int
history_run_end(struct history *h, uint64_t run_id,
    const struct history_run_end *end, struct gerr *err)
{
	struct history_live *l;
	struct history_run *r;
	size_t i, len, off;

	if (end->status == HISTORY_RUNNING)
		return gerr_set(err, GERR_INVALID,
		    "run %llu: end status cannot be running",
		    (unsigned long long)run_id);
	if ((l = history_live_get(h, run_id, err)) == NULL)
		return GERR_RUN_NOT_FOUND;
	r = &l->run;
	r->status = end->status;
	r->cache_hit = end->status == HISTORY_CACHED;
	r->exit_code = end->exit_code;
	r->signal = end->signal;
	r->end_us = end->end_us != 0 ? end->end_us : (int64_t)clock_wall_us();
	if (end->cache_key != NULL) {
		free(r->cache_key);
		r->cache_key = xstrdup(end->cache_key);
	}
	if (end->output != NULL && end->output_len > 0) {
		len = end->output_len;
		off = len > h->output_max ? len - h->output_max : 0;
		r->output_len = len - off;
		r->output = xmalloc(r->output_len + 1);
		memcpy(r->output, end->output + off, r->output_len);
		r->output[r->output_len] = '\0';
	}
	/* A span still open when its run ends shares the run's fate. */
	for (i = 0; i < r->n_spans; i++) {
		if (r->spans[i].status == HISTORY_RUNNING) {
			r->spans[i].status = end->status;
			r->spans[i].dur_us = r->end_us - r->spans[i].start_us;
			l->span_dirty[i] = 1;
		}
	}
	l->ended = true;
	h->n_ended_mem++;
	history_mark_dirty(h, l);
	if (h->n_ended_mem > (h->degraded ? h->mem_runs : h->queue_runs))
		history_compact(h);
	return 0;
}

bool
history_pending(const struct history *h)
{
	return !h->degraded && (h->n_dirty > 0 || h->n_trim > 0);
}

/* ---- flush: the loop builds a batch, the writer thread commits it ------ */

static int
history_db_err(sqlite3 *db, const char *what, struct gerr *err)
{
	return gerr_set(err, GERR_HISTORY, "%s: %s", what,
	    db != NULL ? sqlite3_errmsg(db) : "no database");
}

static int
history_step_done(sqlite3 *db, sqlite3_stmt *st, const char *what,
    struct gerr *err)
{
	int rc;

	if (fault_hit(FAULT_HISTORY_STEP)) {
		sqlite3_reset(st);
		return gerr_set(err, GERR_HISTORY, "%s: injected fault", what);
	}
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	if (rc != SQLITE_DONE && rc != SQLITE_ROW)
		return history_db_err(db, what, err);
	return 0;
}

static void
history_bind_text(sqlite3_stmt *st, int i, const char *s)
{
	if (s == NULL)
		sqlite3_bind_null(st, i);
	else
		sqlite3_bind_text(st, i, s, -1, SQLITE_STATIC);
}

static int
history_put_run(sqlite3 *db, sqlite3_stmt **sts, const struct history_run *r,
    struct gerr *err)
{
	sqlite3_stmt *st = sts[HISTORY_ST_PUT_RUN];
	struct strbuf files = STRBUF_INIT;
	size_t i;
	int rc;

	for (i = 0; i < r->n_trigger_files; i++) {
		if (i > 0)
			strbuf_addch(&files, '\n');
		strbuf_addstr(&files, r->trigger_files[i]);
	}
	sqlite3_bind_int64(st, 1, (sqlite3_int64)r->id);
	history_bind_text(st, 2, r->root);
	history_bind_text(st, 3, r->workspace);
	history_bind_text(st, 4, r->phase);
	history_bind_text(st, 5, history_trigger_name(r->trigger));
	history_bind_text(st, 6, files.buf);
	sqlite3_bind_int64(st, 7, r->start_us);
	sqlite3_bind_int64(st, 8, r->end_us);
	history_bind_text(st, 9, history_status_name(r->status));
	sqlite3_bind_int(st, 10, r->exit_code);
	sqlite3_bind_int(st, 11, r->signal);
	history_bind_text(st, 12, r->cache_key);
	sqlite3_bind_int(st, 13, r->cache_hit);
	sqlite3_bind_int(st, 14, r->slow);
	if (r->output != NULL)
		sqlite3_bind_blob(st, 15, r->output, (int)r->output_len,
		    SQLITE_STATIC);
	else
		sqlite3_bind_null(st, 15);
	rc = history_step_done(db, st, "write run", err);
	sqlite3_clear_bindings(st);
	strbuf_release(&files);
	return rc;
}

static int
history_put_span(sqlite3 *db, sqlite3_stmt **sts, uint64_t run_id,
    const struct history_span *s, struct gerr *err)
{
	sqlite3_stmt *st = sts[HISTORY_ST_PUT_SPAN];

	sqlite3_bind_int64(st, 1, (sqlite3_int64)run_id);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)s->id);
	sqlite3_bind_int64(st, 3, (sqlite3_int64)s->parent);
	history_bind_text(st, 4, history_span_kind_name(s->kind));
	history_bind_text(st, 5, s->name);
	history_bind_text(st, 6, s->workspace);
	sqlite3_bind_int64(st, 7, s->start_us);
	sqlite3_bind_int64(st, 8, s->dur_us);
	history_bind_text(st, 9, history_status_name(s->status));
	sqlite3_bind_int(st, 10, s->slow);
	if (s->output != NULL)
		sqlite3_bind_blob(st, 11, s->output, (int)s->output_len,
		    SQLITE_STATIC);
	else
		sqlite3_bind_null(st, 11);
	return history_step_done(db, st, "write span", err);
}

static void
history_bind_key(sqlite3_stmt *st, const struct history_key *k)
{
	history_bind_text(st, 1, k->root);
	history_bind_text(st, 2, k->workspace);
	history_bind_text(st, 3, k->phase);
}

/* Trim one key to keep runs: an index range delete below the cutoff id.
 * Adds the number of runs deleted to *deleted. */
static int
history_trim_key(sqlite3 *db, sqlite3_stmt **sts, const struct history_key *k,
    unsigned keep, uint64_t *deleted, struct gerr *err)
{
	sqlite3_stmt *st = sts[HISTORY_ST_TRIM_CUTOFF];
	sqlite3_int64 cutoff;
	int rc;

	history_bind_key(st, k);
	sqlite3_bind_int64(st, 4, (sqlite3_int64)keep - 1);
	rc = sqlite3_step(st);
	cutoff = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
	sqlite3_reset(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return history_db_err(db, "trim", err);
	if (cutoff == 0)
		return 0;
	st = sts[HISTORY_ST_TRIM_SPANS];
	history_bind_key(st, k);
	sqlite3_bind_int64(st, 4, cutoff);
	if ((rc = history_step_done(db, st, "trim spans", err)) != 0)
		return rc;
	st = sts[HISTORY_ST_TRIM_RUNS];
	history_bind_key(st, k);
	sqlite3_bind_int64(st, 4, cutoff);
	if ((rc = history_step_done(db, st, "trim runs", err)) != 0)
		return rc;
	*deleted += (uint64_t)sqlite3_changes(db);
	return 0;
}

static void
history_key_free(struct history_key *k)
{
	free(k->root);
	free(k->workspace);
	free(k->phase);
}

static void
history_batch_free(struct history_batch *b)
{
	size_t i;

	if (b == NULL)
		return;
	history_runs_free(b->runs, b->n_runs);
	for (i = 0; i < b->n_trim; i++)
		history_key_free(&b->trim[i]);
	free(b->trim);
	free(b);
}

/*
 * Writer thread: one BEGIN IMMEDIATE transaction for the whole batch.
 * Touches only b and the writer connection (h->wdb, h->wst, h->wcommits).
 */
static void
history_write_batch(struct history *h, struct history_batch *b)
{
	struct gerr err;
	uint64_t t0 = clock_mono_us(), commits0 = h->wcommits;
	size_t i, j;
	int rc;

	gerr_clear(&err);
	rc = history_step_done(h->wdb, h->wst[HISTORY_ST_BEGIN], "begin",
	    &err);
	for (i = 0; rc == 0 && i < b->n_runs; i++) {
		const struct history_run *r = &b->runs[i];

		rc = history_put_run(h->wdb, h->wst, r, &err);
		for (j = 0; rc == 0 && j < r->n_spans; j++)
			rc = history_put_span(h->wdb, h->wst, r->id,
			    &r->spans[j], &err);
		b->spans_written += r->n_spans;
	}
	for (i = 0; rc == 0 && i < b->n_trim; i++)
		rc = history_trim_key(h->wdb, h->wst, &b->trim[i], b->keep,
		    &b->runs_trimmed, &err);
	if (rc == 0)
		rc = history_step_done(h->wdb, h->wst[HISTORY_ST_COMMIT],
		    "commit", &err);
	if (rc != 0) {
		b->busy = (sqlite3_errcode(h->wdb) & 0xff) == SQLITE_BUSY;
		if (!sqlite3_get_autocommit(h->wdb))
			history_step_done(h->wdb, h->wst[HISTORY_ST_ROLLBACK],
			    "rollback", NULL);
		snprintf(b->msg, sizeof(b->msg), "%s", err.msg);
	}
	b->rc = rc;
	b->commits = h->wcommits - commits0;
	b->write_us = clock_mono_us() - t0;
}

static void *
history_writer_main(void *arg)
{
	struct history *h = arg;
	struct history_batch *b;

	for (;;) {
		pthread_mutex_lock(&h->mu);
		while (h->todo == NULL && !h->stop)
			pthread_cond_wait(&h->todo_cv, &h->mu);
		b = h->todo;
		h->todo = NULL;
		pthread_mutex_unlock(&h->mu);
		if (b == NULL)
			break;
		history_write_batch(h, b);
		pthread_mutex_lock(&h->mu);
		h->done = b;
		/* Under mu: whoever sees done has also been notified. */
		if (h->notify != NULL)
			h->notify(h->notify_arg);
		pthread_cond_broadcast(&h->done_cv);
		pthread_mutex_unlock(&h->mu);
	}
	return NULL;
}

/* Loop side: snapshot what is dirty into a batch and hand it over. */
static void
history_post(struct history *h)
{
	struct history_batch *b;
	size_t i, j, k, n, ns;
	uint64_t t0 = clock_mono_us(), dt;

	b = xcalloc(1, sizeof(*b));
	b->keep = h->keep;
	n = h->n_dirty < HISTORY_BATCH_RUNS_MAX ? h->n_dirty :
	    HISTORY_BATCH_RUNS_MAX;
	b->runs = xreallocarray(NULL, n > 0 ? n : 1, sizeof(*b->runs));
	for (i = 0; i < h->n_mem && b->n_runs < n; i++) {
		struct history_live *l = h->mem[i];
		struct history_run *r;

		if (!l->dirty)
			continue;
		r = &b->runs[b->n_runs++];
		history_copy_run(&l->run, r, false);
		for (j = ns = 0; j < l->run.n_spans; j++)
			ns += l->span_dirty[j];
		if (ns > 0)
			r->spans = xreallocarray(NULL, ns, sizeof(*r->spans));
		for (j = k = 0; j < l->run.n_spans; j++) {
			if (!l->span_dirty[j])
				continue;
			history_copy_span(&l->run.spans[j], &r->spans[k]);
			k++;
			l->span_dirty[j] = 0;
		}
		r->n_spans = k;
		l->dirty = false;
		l->inflight = true;
		h->n_dirty--;
		/* Its key may now hold more than keep runs: trim it in this
		 * batch or a later one, whatever else is queued. */
		if (l->ended)
			history_trim_enqueue_key(h, &(struct history_key){
			    .root = r->root, .workspace = r->workspace,
			    .phase = r->phase });
	}
	n = h->n_trim < HISTORY_TRIM_KEYS_PER_FLUSH ? h->n_trim :
	    HISTORY_TRIM_KEYS_PER_FLUSH;
	if (n > 0) {
		b->trim = xreallocarray(NULL, n, sizeof(*b->trim));
		memcpy(b->trim, h->trim, n * sizeof(*b->trim));
		b->n_trim = n;
		memmove(h->trim, h->trim + n,
		    (h->n_trim - n) * sizeof(*h->trim));
		h->n_trim -= n;
	}
	h->inflight = true;
	h->stats.transactions++;
	pthread_mutex_lock(&h->mu);
	h->todo = b;
	pthread_cond_signal(&h->todo_cv);
	pthread_mutex_unlock(&h->mu);
	dt = clock_mono_us() - t0;
	if (dt > h->stats.longest_loop_us)
		h->stats.longest_loop_us = dt;
}

int
history_flush(struct history *h, struct gerr *err)
{
	int rc = history_reap(h, err);

	/* A batch in flight: what is dirty now goes when it is reaped. */
	if (rc == 0 && !h->inflight && history_pending(h))
		history_post(h);
	return rc;
}

int
history_reap(struct history *h, struct gerr *err)
{
	struct history_batch *b;
	struct history_live *l;
	size_t i, j;
	int rc = 0;

	if (!h->inflight)
		return 0;
	pthread_mutex_lock(&h->mu);
	b = h->done;
	h->done = NULL;
	pthread_mutex_unlock(&h->mu);
	if (b == NULL)
		return 0;
	h->inflight = false;
	for (i = 0; i < b->n_runs; i++) {
		if ((l = history_find(h, b->runs[i].id, NULL)) == NULL)
			continue;
		l->inflight = false;
		if (b->rc == 0 || !b->busy)
			continue;
		/* Busy: write the run's current state again, in full. */
		history_mark_dirty(h, l);
		for (j = 0; j < l->run.n_spans; j++)
			l->span_dirty[j] = 1;
	}
	h->stats.commits += b->commits;
	if (b->write_us > h->stats.longest_flush_us)
		h->stats.longest_flush_us = b->write_us;
	h->stats.last_flush_us = b->write_us;
	if (b->rc == 0) {
		h->stats.flushes++;
		h->stats.runs_written += b->n_runs;
		h->stats.spans_written += b->spans_written;
		h->stats.runs_trimmed += b->runs_trimmed;
	} else if (b->busy) {
		/* Nothing is wrong with the file: keys go back in the queue. */
		for (i = 0; i < b->n_trim; i++)
			history_trim_enqueue_key(h, &b->trim[i]);
		rc = gerr_set(err, GERR_BUSY, "history flush: %s", b->msg);
	} else {
		rc = gerr_set(err, GERR_HISTORY, "history flush: %s", b->msg);
		history_degrade(h, b->msg);
	}
	history_batch_free(b);
	history_compact(h);
	/* What queued up meanwhile goes at once: the writer is free. A busy
	 * batch waits for the daemon's next timer instead of spinning. */
	if (rc == 0 && history_pending(h))
		history_post(h);
	return rc;
}

int
history_sync(struct history *h, struct gerr *err)
{
	int rc;

	/* Ends: nothing new is queued meanwhile (same thread), and every
	 * batch takes at least one dirty run or trim key off the queue. */
	for (;;) {
		if ((rc = history_flush(h, err)) != 0 || !h->inflight)
			return rc;
		pthread_mutex_lock(&h->mu);
		while (h->done == NULL)
			pthread_cond_wait(&h->done_cv, &h->mu);
		pthread_mutex_unlock(&h->mu);
		if ((rc = history_reap(h, err)) != 0)
			return rc;
	}
}

/* Trim every key of db to keep runs in one transaction, with the
 * statements sts prepared on db; *gone += runs deleted. Any thread that
 * owns db. */
static int
history_trim_on(sqlite3 *db, sqlite3_stmt **sts, unsigned keep,
    uint64_t *gone, struct gerr *err)
{
	sqlite3_stmt *st;
	struct history_key *keys = NULL;
	size_t n = 0, cap = 0, i;
	int rc;

	if (sqlite3_prepare_v2(db, "SELECT DISTINCT root, workspace, phase"
	    " FROM runs", -1, &st, NULL) != SQLITE_OK)
		return history_db_err(db, "trim", err);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (n == cap) {
			cap = cap ? cap * 2 : 16;
			keys = xreallocarray(keys, cap, sizeof(*keys));
		}
		keys[n].root = xstrdup((const char *)sqlite3_column_text(st, 0));
		keys[n].workspace =
		    xstrdup((const char *)sqlite3_column_text(st, 1));
		keys[n].phase = xstrdup((const char *)sqlite3_column_text(st, 2));
		n++;
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		rc = history_db_err(db, "trim", err);
	else
		rc = 0;
	if (rc == 0)
		rc = history_step_done(db, sts[HISTORY_ST_BEGIN], "begin",
		    err);
	for (i = 0; rc == 0 && i < n; i++)
		rc = history_trim_key(db, sts, &keys[i], keep, gone, err);
	if (rc == 0)
		rc = history_step_done(db, sts[HISTORY_ST_COMMIT], "commit",
		    err);
	if (rc != 0 && !sqlite3_get_autocommit(db))
		history_step_done(db, sts[HISTORY_ST_ROLLBACK], "rollback",
		    NULL);
	for (i = 0; i < n; i++)
		history_key_free(&keys[i]);
	free(keys);
	return rc;
}

int
history_trim(struct history *h, unsigned keep, uint64_t *deleted,
    struct gerr *err)
{
	uint64_t gone = 0;
	int rc;

	if (deleted != NULL)
		*deleted = 0;
	if (keep == 0)
		keep = h->keep;
	/* The writer is idle after this, so the loop connection can write. */
	if ((rc = history_sync(h, err)) != 0)
		return rc;
	if (h->degraded)
		return gerr_set(err, GERR_HISTORY, "history: %s", h->status);
	h->stats.transactions++;
	rc = history_trim_on(h->db, h->st, keep, &gone, err);
	if (rc == 0) {
		h->stats.runs_trimmed += gone;
		if (deleted != NULL)
			*deleted = gone;
	}
	return rc;
}

int
history_mark_slow(struct history *h, uint64_t run_id, uint64_t span_id,
    struct gerr *err)
{
	struct history_live *l = history_find(h, run_id, NULL);
	sqlite3_stmt *st;
	int rc;

	if (l != NULL) {
		if (span_id > l->run.n_spans)
			return gerr_set(err, GERR_NOT_FOUND,
			    "run %llu: no span %llu",
			    (unsigned long long)run_id,
			    (unsigned long long)span_id);
		if (span_id == 0) {
			l->run.slow = true;
		} else {
			l->run.spans[span_id - 1].slow = true;
			l->span_dirty[span_id - 1] = 1;
		}
		if (!h->degraded)
			history_mark_dirty(h, l);
		return 0;
	}
	if (h->degraded)
		return gerr_set(err, GERR_RUN_NOT_FOUND, "run %llu not found",
		    (unsigned long long)run_id);
	st = h->st[span_id == 0 ? HISTORY_ST_SLOW_RUN : HISTORY_ST_SLOW_SPAN];
	sqlite3_bind_int64(st, 1, (sqlite3_int64)run_id);
	if (span_id != 0)
		sqlite3_bind_int64(st, 2, (sqlite3_int64)span_id);
	if ((rc = history_step_done(h->db, st, "mark slow", err)) != 0)
		return rc;
	if (sqlite3_changes(h->db) == 0)
		return gerr_set(err, span_id == 0 ? GERR_RUN_NOT_FOUND :
		    GERR_NOT_FOUND, "run %llu span %llu not found",
		    (unsigned long long)run_id, (unsigned long long)span_id);
	return 0;
}

/* ---- status ----------------------------------------------------------- */

void
history_get_flush_stats(const struct history *h,
    struct history_flush_stats *out)
{
	*out = h->stats;
}

static uint64_t
history_file_size(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 ? (uint64_t)st.st_size : 0;
}

uint64_t
history_db_size(const struct history *h)
{
	char *wal;
	uint64_t n;

	if (h->degraded)
		return 0;
	wal = xasprintf("%s-wal", h->path);
	n = history_file_size(h->path) + history_file_size(wal);
	free(wal);
	return n;
}

bool
history_degraded(const struct history *h)
{
	return h->degraded;
}

const char *
history_status_text(const struct history *h)
{
	return h->status;
}

uint64_t
history_last_id(const struct history *h)
{
	return h->next_id - 1;
}

/* ---- queries ---------------------------------------------------------- */

static char *
history_col_str(sqlite3_stmt *st, int i)
{
	const unsigned char *s = sqlite3_column_text(st, i);

	return s != NULL ? xstrdup((const char *)s) : NULL;
}

static void
history_row_to_run(sqlite3_stmt *st, struct history_run *r)
{
	const char *files;
	enum run_trigger trig;
	int i;

	memset(r, 0, sizeof(*r));
	r->id = (uint64_t)sqlite3_column_int64(st, 0);
	r->root = history_col_str(st, 1);
	r->workspace = history_col_str(st, 2);
	r->phase = history_col_str(st, 3);
	if (run_trigger_parse((const char *)sqlite3_column_text(st, 4),
	    &trig))
		r->trigger = (enum history_trigger)trig;
	files = (const char *)sqlite3_column_text(st, 5);
	while (files != NULL && *files != '\0') {
		const char *nl = strchr(files, '\n');
		size_t len = nl != NULL ? (size_t)(nl - files) : strlen(files);

		r->trigger_files = xreallocarray(r->trigger_files,
		    r->n_trigger_files + 1, sizeof(char *));
		r->trigger_files[r->n_trigger_files++] = xstrndup(files, len);
		files = nl != NULL ? nl + 1 : files + len;
	}
	r->start_us = sqlite3_column_int64(st, 6);
	r->end_us = sqlite3_column_int64(st, 7);
	if (!history_status_parse((const char *)sqlite3_column_text(st, 8),
	    &r->status))
		r->status = HISTORY_INTERRUPTED;
	r->exit_code = sqlite3_column_int(st, 9);
	r->signal = sqlite3_column_int(st, 10);
	r->cache_key = history_col_str(st, 11);
	r->cache_hit = sqlite3_column_int(st, 12) != 0;
	r->slow = sqlite3_column_int(st, 13) != 0;
	i = sqlite3_column_bytes(st, 14);
	if (sqlite3_column_type(st, 14) != SQLITE_NULL) {
		r->output_len = (size_t)i;
		r->output = xmalloc(r->output_len + 1);
		if (i > 0)
			memcpy(r->output, sqlite3_column_blob(st, 14),
			    r->output_len);
		r->output[r->output_len] = '\0';
	}
}

/* Deep copy of a memory run; spans only if with_spans. */
static void
history_copy_run(const struct history_run *src, struct history_run *dst,
    bool with_spans)
{
	size_t i;

	*dst = *src;
	dst->root = xstrdup(src->root);
	dst->workspace = xstrdup(src->workspace);
	dst->phase = xstrdup(src->phase);
	dst->trigger_files = NULL;
	if (src->n_trigger_files > 0) {
		dst->trigger_files = xreallocarray(NULL, src->n_trigger_files,
		    sizeof(char *));
		for (i = 0; i < src->n_trigger_files; i++)
			dst->trigger_files[i] = xstrdup(src->trigger_files[i]);
	}
	dst->cache_key = src->cache_key ? xstrdup(src->cache_key) : NULL;
	dst->output = src->output ? xmemdup(src->output, src->output_len + 1) :
	    NULL;
	dst->spans = NULL;
	dst->n_spans = 0;
	if (!with_spans || src->n_spans == 0)
		return;
	dst->spans = xreallocarray(NULL, src->n_spans, sizeof(*dst->spans));
	dst->n_spans = src->n_spans;
	for (i = 0; i < src->n_spans; i++)
		history_copy_span(&src->spans[i], &dst->spans[i]);
}

static bool
history_is_failure(enum history_status s)
{
	return s == HISTORY_FAILED || s == HISTORY_TIMEOUT ||
	    s == HISTORY_CANCELLED || s == HISTORY_INTERRUPTED;
}

static bool
history_match(const struct history_run *r, const struct history_filter *f)
{
	if (f->root != NULL && strcmp(f->root, r->root) != 0)
		return false;
	if (f->workspace != NULL && strcmp(f->workspace, r->workspace) != 0)
		return false;
	if (f->phase != NULL && strcmp(f->phase, r->phase) != 0)
		return false;
	if (f->failed_only && !history_is_failure(r->status))
		return false;
	return r->start_us >= f->since_us;
}

int
history_list(struct history *h, const struct history_filter *f,
    struct history_run **out, size_t *n, struct gerr *err)
{
	static const struct history_filter any;
	struct history_run *res = NULL;
	size_t nres = 0, cap = 0, n_memhit = 0, n_dbhit = 0, i, j, limit;
	sqlite3_stmt *st;
	int rc = SQLITE_DONE;

	*out = NULL;
	*n = 0;
	if (f == NULL)
		f = &any;
	limit = f->limit > 0 ? f->limit : SIZE_MAX;
	/* Memory first (newest, authoritative), from the newest down. */
	for (i = h->n_mem; i-- > 0 && n_memhit < limit;) {
		if (!history_match(&h->mem[i]->run, f))
			continue;
		if (nres == cap) {
			cap = cap ? cap * 2 : 16;
			res = xreallocarray(res, cap, sizeof(*res));
		}
		history_copy_run(&h->mem[i]->run, &res[nres++], false);
		n_memhit++;
	}
	if (h->db != NULL) {
		st = h->st[HISTORY_ST_LIST];
		history_bind_text(st, 1, f->root);
		history_bind_text(st, 2, f->workspace);
		history_bind_text(st, 3, f->phase);
		sqlite3_bind_int(st, 4, f->failed_only);
		sqlite3_bind_int64(st, 5, f->since_us);
		/* Rows shadowed by memory are skipped, so ask for that many
		 * more. */
		sqlite3_bind_int64(st, 6, limit == SIZE_MAX ? -1 :
		    (sqlite3_int64)(limit + h->n_mem));
		while (n_dbhit < limit &&
		    (rc = sqlite3_step(st)) == SQLITE_ROW) {
			uint64_t id = (uint64_t)sqlite3_column_int64(st, 0);

			if (history_find(h, id, NULL) != NULL)
				continue;
			if (nres == cap) {
				cap = cap ? cap * 2 : 16;
				res = xreallocarray(res, cap, sizeof(*res));
			}
			history_row_to_run(st, &res[nres++]);
			n_dbhit++;
		}
		sqlite3_reset(st);
		sqlite3_clear_bindings(st);
		if (rc != SQLITE_DONE && rc != SQLITE_ROW) {
			history_runs_free(res, nres);
			return history_sql_err(h, "list runs", err);
		}
	}
	/* A long live run can be older than flushed ones: merge both
	 * newest-first lists (short: limit each) into one order. */
	for (i = 1; i < nres; i++) {
		struct history_run tmp = res[i];

		for (j = i; j > 0 && res[j - 1].id < tmp.id; j--)
			res[j] = res[j - 1];
		res[j] = tmp;
	}
	if (nres > limit) {
		for (i = limit; i < nres; i++)
			history_run_clear(&res[i]);
		nres = limit;
	}
	*out = res;
	*n = nres;
	return 0;
}

int
history_get_run(struct history *h, uint64_t run_id,
    struct history_run **out, struct gerr *err)
{
	struct history_live *l = history_find(h, run_id, NULL);
	struct history_run *r;
	sqlite3_stmt *st;
	size_t cap = 0;
	enum run_span_kind kind;
	int rc;

	*out = NULL;
	r = xcalloc(1, sizeof(*r));
	if (l != NULL) {
		history_copy_run(&l->run, r, true);
		*out = r;
		return 0;
	}
	if (h->db == NULL) {
		free(r);
		return gerr_set(err, GERR_RUN_NOT_FOUND, "run %llu not found",
		    (unsigned long long)run_id);
	}
	st = h->st[HISTORY_ST_GET_RUN];
	sqlite3_bind_int64(st, 1, (sqlite3_int64)run_id);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		history_row_to_run(st, r);
	sqlite3_reset(st);
	if (rc != SQLITE_ROW) {
		free(r);
		if (rc == SQLITE_DONE)
			return gerr_set(err, GERR_RUN_NOT_FOUND,
			    "run %llu not found", (unsigned long long)run_id);
		return history_sql_err(h, "get run", err);
	}
	st = h->st[HISTORY_ST_GET_SPANS];
	sqlite3_bind_int64(st, 1, (sqlite3_int64)run_id);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct history_span *s;

		if (r->n_spans == cap) {
			cap = cap ? cap * 2 : 16;
			r->spans = xreallocarray(r->spans, cap,
			    sizeof(*r->spans));
		}
		s = &r->spans[r->n_spans++];
		memset(s, 0, sizeof(*s));
		s->id = (uint64_t)sqlite3_column_int64(st, 0);
		s->parent = (uint64_t)sqlite3_column_int64(st, 1);
		if (run_span_kind_parse((const char *)
		    sqlite3_column_text(st, 2), &kind))
			s->kind = (enum history_span_kind)kind;
		s->name = history_col_str(st, 3);
		s->workspace = history_col_str(st, 4);
		s->start_us = sqlite3_column_int64(st, 5);
		s->dur_us = sqlite3_column_int64(st, 6);
		if (!history_status_parse(
		    (const char *)sqlite3_column_text(st, 7), &s->status))
			s->status = HISTORY_INTERRUPTED;
		s->slow = sqlite3_column_int(st, 8) != 0;
		if (sqlite3_column_type(st, 9) != SQLITE_NULL) {
			s->output_len = (size_t)sqlite3_column_bytes(st, 9);
			s->output = xmalloc(s->output_len + 1);
			if (s->output_len > 0)
				memcpy(s->output, sqlite3_column_blob(st, 9),
				    s->output_len);
			s->output[s->output_len] = '\0';
		}
	}
	sqlite3_reset(st);
	if (rc != SQLITE_DONE) {
		history_run_free(r);
		return history_sql_err(h, "get spans", err);
	}
	*out = r;
	return 0;
}

struct spanrec *
history_run_spanrecs(const struct history_run *r)
{
	struct spanrec *v;
	size_t i;

	v = xreallocarray(NULL, r->n_spans > 0 ? r->n_spans : 1, sizeof(*v));
	for (i = 0; i < r->n_spans; i++) {
		const struct history_span *s = &r->spans[i];

		v[i].id = s->id;
		v[i].parent = s->parent;
		v[i].kind = history_span_kind_name(s->kind);
		v[i].name = s->name;
		v[i].workspace = s->workspace;
		v[i].status = history_status_name(s->status);
		v[i].start_us = s->start_us;
		v[i].dur_us = s->dur_us;
	}
	return v;
}

static int
history_cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return (x > y) - (x < y);
}

/* Nearest-rank percentile of sorted v[0..n), n > 0. */
static int64_t
history_percentile(const int64_t *v, size_t n, unsigned pct)
{
	size_t rank = (n * pct + 99) / 100;

	return v[rank > 0 ? rank - 1 : 0];
}

static int
history_cmp_phase(const void *a, const void *b)
{
	const struct history_run *x = a, *y = b;

	return strcmp(x->phase, y->phase);
}

static int
history_cmp_root_phase(const void *a, const void *b)
{
	const struct history_run *x = a, *y = b;
	int c = strcmp(x->root, y->root);

	return c != 0 ? c : strcmp(x->phase, y->phase);
}

static void history_stats_compute(struct history_run *runs, size_t nruns,
    bool by_root, struct history_phase_stats **out, size_t *n);

int
history_stats(struct history *h, const struct history_filter *f,
    struct history_phase_stats **out, size_t *n, struct gerr *err)
{
	struct history_filter all = { 0 };
	struct history_run *runs;
	size_t nruns;
	int rc;

	*out = NULL;
	*n = 0;
	if (f != NULL)
		all = *f;
	all.limit = 0;
	if ((rc = history_list(h, &all, &runs, &nruns, err)) != 0)
		return rc;
	history_stats_compute(runs, nruns, all.by_root, out, n);
	return 0;
}

/* Per-phase (by_root: per root and phase) figures of runs (consumed:
 * cleared and freed). */
static void
history_stats_compute(struct history_run *runs, size_t nruns, bool by_root,
    struct history_phase_stats **out, size_t *n)
{
	struct history_phase_stats *res = NULL;
	size_t i, j, k, nres = 0;
	int64_t *dur;

	if (nruns > 1)	/* runs is NULL when empty: qsort(NULL) is UB */
		qsort(runs, nruns, sizeof(*runs), by_root ?
		    history_cmp_root_phase : history_cmp_phase);
	dur = xreallocarray(NULL, nruns > 0 ? nruns : 1, sizeof(*dur));
	res = xreallocarray(NULL, nruns > 0 ? nruns : 1, sizeof(*res));
	for (i = 0; i < nruns; i = j) {
		struct history_phase_stats *s = &res[nres];
		size_t nd = 0;

		memset(s, 0, sizeof(*s));
		for (j = i; j < nruns && strcmp(runs[j].phase,
		    runs[i].phase) == 0 && (!by_root ||
		    strcmp(runs[j].root, runs[i].root) == 0); j++) {
			if (runs[j].status == HISTORY_RUNNING)
				continue;
			s->runs++;
			if (runs[j].status == HISTORY_OK ||
			    runs[j].status == HISTORY_CACHED)
				s->ok++;
			if (runs[j].status == HISTORY_CACHED)
				s->cached++;
			dur[nd++] = runs[j].end_us - runs[j].start_us;
		}
		if (s->runs == 0)
			continue;
		s->phase = xstrdup(runs[i].phase);
		s->root = by_root ? xstrdup(runs[i].root) : NULL;
		s->success_rate = (double)s->ok / (double)s->runs;
		s->cache_hit_rate = (double)s->cached / (double)s->runs;
		qsort(dur, nd, sizeof(*dur), history_cmp_i64);
		s->p50_us = history_percentile(dur, nd, 50);
		s->p95_us = history_percentile(dur, nd, 95);
		nres++;
	}
	for (k = 0; k < nruns; k++)
		history_run_clear(&runs[k]);
	free(runs);
	free(dur);
	*out = res;
	*n = nres;
}

/* ---- work off the loop: `trim` and `stats` on a worker thread ---- */

struct history_job {
	bool trim;
	char *path;
	int busy_timeout_ms;
	bool degraded;
	unsigned keep;
	/* stats: the filter (copies) and the rows still in memory */
	char *root, *workspace, *phase;
	bool failed_only;
	bool by_root;
	int64_t since_us;
	struct history_run *mem;	/* matching memory rows (copies) */
	size_t n_mem;
	uint64_t *mem_ids;		/* every memory row's id, sorted */
	size_t n_mem_ids;
	/* results */
	int rc;
	struct gerr err;
	uint64_t deleted;
	struct history_phase_stats *stats;
	size_t n_stats;
};

static struct history_job *
history_job_new(struct history *h, bool trim)
{
	struct history_job *j = xcalloc(1, sizeof(*j));

	j->trim = trim;
	j->path = xstrdup(h->path);
	j->busy_timeout_ms = h->busy_timeout_ms;
	j->degraded = h->degraded;
	gerr_clear(&j->err);
	return j;
}

struct history_job *
history_trim_job(struct history *h, unsigned keep)
{
	struct history_job *j;

	/* Hand queued rows to the writer now (no wait): most are on disk
	 * before the trim reads the keys; the rest is trimmed by the
	 * writer's own per-flush trim. */
	history_flush(h, NULL);
	j = history_job_new(h, true);
	j->keep = keep != 0 ? keep : h->keep;
	return j;
}

struct history_job *
history_stats_job(struct history *h, const struct history_filter *f)
{
	struct history_job *j = history_job_new(h, false);
	struct history_filter all = { 0 };

	if (f != NULL)
		all = *f;
	j->root = all.root != NULL ? xstrdup(all.root) : NULL;
	j->workspace = all.workspace != NULL ? xstrdup(all.workspace) : NULL;
	j->phase = all.phase != NULL ? xstrdup(all.phase) : NULL;
	j->failed_only = all.failed_only;
	j->by_root = all.by_root;
	j->since_us = all.since_us;
	all.limit = 0;
	/* Memory rows are newer than their rows on disk, if any: the job
	 * takes copies and skips those ids in the database. */
	j->mem_ids = xreallocarray(NULL, h->n_mem > 0 ? h->n_mem : 1,
	    sizeof(*j->mem_ids));
	j->mem = xreallocarray(NULL, h->n_mem > 0 ? h->n_mem : 1,
	    sizeof(*j->mem));
	for (size_t i = 0; i < h->n_mem; i++) {
		j->mem_ids[j->n_mem_ids++] = h->mem[i]->run.id;
		if (history_match(&h->mem[i]->run, &all))
			history_copy_run(&h->mem[i]->run, &j->mem[j->n_mem++],
			    false);
	}
	return j;
}

static int
history_cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* Open the store on this thread's own connection. */
static int
history_job_open(struct history_job *j, int flags, sqlite3 **db)
{
	if (sqlite3_open_v2(j->path, db, flags, NULL) != SQLITE_OK) {
		int rc = history_db_err(*db, "open", &j->err);

		sqlite3_close(*db);
		*db = NULL;
		return rc;
	}
	sqlite3_busy_timeout(*db, j->busy_timeout_ms);
	return 0;
}

static void
history_job_trim(struct history_job *j)
{
	sqlite3_stmt *sts[HISTORY_ST_COUNT] = { 0 };
	sqlite3 *db = NULL;

	if (j->degraded) {
		j->rc = gerr_set(&j->err, GERR_HISTORY, "history is degraded");
		return;
	}
	j->rc = history_job_open(j, SQLITE_OPEN_READWRITE, &db);
	if (j->rc == 0)
		j->rc = history_prepare_all(db, sts, &j->err);
	if (j->rc == 0)
		j->rc = history_trim_on(db, sts, j->keep, &j->deleted,
		    &j->err);
	for (size_t i = 0; i < HISTORY_ST_COUNT; i++)
		sqlite3_finalize(sts[i]);
	sqlite3_close(db);
}

static void
history_job_stats(struct history_job *j)
{
	struct history_run *runs = j->mem;
	size_t n = j->n_mem, cap = j->n_mem;
	sqlite3_stmt *st = NULL;
	sqlite3 *db = NULL;
	int rc = SQLITE_DONE;

	j->mem = NULL;
	j->n_mem = 0;
	if (!j->degraded &&
	    (j->rc = history_job_open(j, SQLITE_OPEN_READONLY, &db)) == 0) {
		if (sqlite3_prepare_v2(db, history_stmt_sql[HISTORY_ST_LIST],
		    -1, &st, NULL) != SQLITE_OK)
			j->rc = history_db_err(db, "stats", &j->err);
	}
	if (st != NULL) {
		history_bind_text(st, 1, j->root);
		history_bind_text(st, 2, j->workspace);
		history_bind_text(st, 3, j->phase);
		sqlite3_bind_int(st, 4, j->failed_only);
		sqlite3_bind_int64(st, 5, j->since_us);
		sqlite3_bind_int64(st, 6, -1);
		while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
			uint64_t id = (uint64_t)sqlite3_column_int64(st, 0);

			if (bsearch(&id, j->mem_ids, j->n_mem_ids,
			    sizeof(*j->mem_ids), history_cmp_u64) != NULL)
				continue;
			if (n == cap) {
				cap = cap ? cap * 2 : 16;
				runs = xreallocarray(runs, cap, sizeof(*runs));
			}
			history_row_to_run(st, &runs[n++]);
		}
		if (rc != SQLITE_DONE)
			j->rc = history_db_err(db, "stats", &j->err);
		sqlite3_finalize(st);
	}
	sqlite3_close(db);
	if (j->rc != 0) {
		history_runs_free(runs, n);
		return;
	}
	history_stats_compute(runs, n, j->by_root, &j->stats, &j->n_stats);
}

void
history_job_run(struct history_job *j)
{
	if (j->trim)
		history_job_trim(j);
	else
		history_job_stats(j);
}

int
history_job_finish(struct history *h, struct history_job *j,
    uint64_t *deleted, struct history_phase_stats **stats, size_t *n,
    struct gerr *err)
{
	int rc = j->rc;

	if (rc != 0 && err != NULL)
		*err = j->err;
	if (j->trim && rc == 0) {
		h->stats.transactions++;
		h->stats.runs_trimmed += j->deleted;
	}
	if (deleted != NULL)
		*deleted = j->deleted;
	if (stats != NULL && rc == 0) {
		*stats = j->stats;
		*n = j->n_stats;
		j->stats = NULL;
		j->n_stats = 0;
	}
	history_stats_free(j->stats, j->n_stats);
	history_runs_free(j->mem, j->n_mem);
	free(j->mem_ids);
	free(j->root);
	free(j->workspace);
	free(j->phase);
	free(j->path);
	free(j);
	return rc;
}

void
history_stats_free(struct history_phase_stats *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free(s[i].phase);
		free(s[i].root);
	}
	free(s);
}

int
history_each_ok_phase(struct history *h,
    void (*fn)(void *arg, const char *root, const char *workspace,
    const char *phase), void *arg, struct gerr *err)
{
	sqlite3_stmt *st;
	int rc = SQLITE_DONE;
	size_t i, j;

	for (i = 0; i < h->n_mem; i++) {
		const struct history_run *r = &h->mem[i]->run;

		for (j = 0; j < r->n_spans; j++) {
			const struct history_span *s = &r->spans[j];

			if ((s->kind == HISTORY_SPAN_PHASE ||
			    s->kind == HISTORY_SPAN_HOOK) &&
			    (s->status == HISTORY_OK ||
			    s->status == HISTORY_CACHED))
				fn(arg, r->root, s->workspace != NULL ?
				    s->workspace : "", s->name);
		}
	}
	if (h->db == NULL)
		return 0;
	st = h->st[HISTORY_ST_OK_PHASES];
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *root = (const char *)sqlite3_column_text(st, 0);
		const char *ws = (const char *)sqlite3_column_text(st, 1);
		const char *name = (const char *)sqlite3_column_text(st, 2);

		if (root != NULL && name != NULL)
			fn(arg, root, ws != NULL ? ws : "", name);
	}
	sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		return history_sql_err(h, "list successful phases", err);
	return 0;
}

int
history_phase_median(struct history *h, const char *root,
    const char *workspace, const char *phase, unsigned min_runs,
    int64_t *median_us, struct gerr *err)
{
	int64_t *v;
	size_t nv = 0, i, cap = h->keep + h->n_mem;
	sqlite3_stmt *st;
	int rc = SQLITE_DONE;

	if (workspace == NULL)
		workspace = "";
	v = xreallocarray(NULL, cap > 0 ? cap : 1, sizeof(*v));
	/* Memory runs ended ok are newer than any ok row in the database:
	 * their rows there, if any, still say running. */
	for (i = h->n_mem; i-- > 0 && nv < h->keep;) {
		const struct history_run *r = &h->mem[i]->run;

		if (r->status == HISTORY_OK && strcmp(r->root, root) == 0 &&
		    strcmp(r->workspace, workspace) == 0 &&
		    strcmp(r->phase, phase) == 0)
			v[nv++] = r->end_us - r->start_us;
	}
	if (h->db != NULL && nv < h->keep) {
		st = h->st[HISTORY_ST_MEDIAN];
		history_bind_text(st, 1, root);
		history_bind_text(st, 2, workspace);
		history_bind_text(st, 3, phase);
		sqlite3_bind_int64(st, 4, (sqlite3_int64)(h->keep - nv));
		while ((rc = sqlite3_step(st)) == SQLITE_ROW)
			v[nv++] = sqlite3_column_int64(st, 0);
		sqlite3_reset(st);
		sqlite3_clear_bindings(st);
	}
	if (rc != SQLITE_DONE) {
		free(v);
		return history_sql_err(h, "phase median", err);
	}
	if (nv == 0 || nv < min_runs) {
		free(v);
		return gerr_set(err, GERR_NOT_FOUND,
		    "phase %s: %zu successful runs, need %u", phase, nv,
		    min_runs);
	}
	qsort(v, nv, sizeof(*v), history_cmp_i64);
	*median_us = nv % 2 ? v[nv / 2] : (v[nv / 2 - 1] + v[nv / 2]) / 2;
	free(v);
	return 0;
}

enum history_slow_reason
history_check_slow(struct history *h, const char *root, const char *workspace,
    const char *phase, int64_t dur_us, uint64_t budget_ms,
    int64_t *median_us)
{
	int64_t med = 0;
	bool have;

	have = history_phase_median(h, root, workspace, phase,
	    HISTORY_SLOW_MIN_RUNS, &med, NULL) == 0;
	if (median_us != NULL)
		*median_us = have ? med : 0;
	if (budget_ms > 0 && dur_us > (int64_t)budget_ms * 1000)
		return HISTORY_SLOW_BUDGET;
	/* Integer form of dur > med * (1 + pct/100), no rounding at 10%. */
	if (have && dur_us * 100 > med * (100 + HISTORY_SLOW_PERCENT) &&
	    dur_us - med > HISTORY_SLOW_MIN_EXCESS_US)
		return HISTORY_SLOW_MEDIAN;
	return HISTORY_NOT_SLOW;
}

/* ---- close ------------------------------------------------------------ */

void
history_close(struct history *h)
{
	struct gerr err;
	size_t i;

	if (h == NULL)
		return;
	gerr_clear(&err);
	if (history_sync(h, &err) != 0)
		log_error("history: close: %s", err.msg);
	for (i = 0; i < h->n_mem; i++)
		history_live_free(h->mem[i]);
	free(h->mem);
	for (i = 0; i < h->n_trim; i++)
		history_key_free(&h->trim[i]);
	free(h->trim);
	history_close_db(h);
	pthread_mutex_lock(&h->mu);
	history_batch_free(h->todo);
	history_batch_free(h->done);
	pthread_mutex_unlock(&h->mu);
	pthread_mutex_destroy(&h->mu);
	pthread_cond_destroy(&h->todo_cv);
	pthread_cond_destroy(&h->done_cv);
	free(h->path);
	free(h);
}
