/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * history.h - the run history store (SQLite): one row per run and per span,
 * batched writes, retention per (root, workspace, phase).
 *
 * One struct history per daemon. The engine records runs and spans through
 * history_run_begin / history_span_* / history_run_end; nothing touches the
 * database there: rows queue in memory. The daemon hands them to the
 * store's writer thread with history_flush, when a run ends and from a
 * 100 ms ev_timer armed only while history_pending() is true; the writer
 * commits each batch in one BEGIN IMMEDIATE transaction on its own
 * connection and wakes the loop through config.notify (ev_async), whose
 * callback calls history_reap. A flush never blocks the loop on disk I/O.
 * Retention (newest `keep` runs per (root, workspace, phase)) is trimmed
 * inside that same transaction for a bounded number of keys per flush.
 *
 * Queries merge the database with what is still queued, so a query between
 * queued writes and one after the flush return the same rows.
 *
 * Degraded mode: when the database cannot be opened or written (read-only,
 * corrupt, newer schema, disk full) the store keeps working in memory, bounded
 * to the last `mem_runs` finished runs, logs one WARN, and reports the reason
 * through history_degraded()/history_status_text(). The file is never deleted
 * or overwritten; opening is retried on the next daemon start.
 *
 * Thread: every function is for one thread (the loop thread); only the
 * batch hand-off to the internal writer thread is locked. Queries read on
 * the loop's own connection (WAL: never blocked by the writer). Times are
 * wall clock microseconds since the epoch.
 */
#ifndef GGEN_HISTORY_H
#define GGEN_HISTORY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "run.h"
#include "gerr.h"
#include "spanrec.h"

#define HISTORY_SCHEMA_VERSION 3
#define HISTORY_KEEP_DEFAULT 100
#define HISTORY_MEM_RUNS_DEFAULT 1000
#define HISTORY_QUEUE_RUNS_DEFAULT 10000
#define HISTORY_TRIM_KEYS_PER_FLUSH 64
#define HISTORY_BATCH_RUNS_MAX 1024	/* runs per transaction: bounds a write */
/* Defaults of history_config's output_max and span_output_max (the
 * settings history.output_tail and history.span_output_tail). */
#define HISTORY_OUTPUT_MAX (64 * 1024)	/* output tail kept per run */
#define HISTORY_SPAN_OUTPUT_MAX (64 * 1024)	/* and per phase span */
#define HISTORY_TRIGGER_FILES_MAX 32	/* trigger files kept per run */
#define HISTORY_SPANS_MAX 10000		/* spans accepted per run */
#define HISTORY_BUSY_TIMEOUT_MS 2000	/* another writer holds the lock */

/* The run vocabulary of common/run.h under the history's names: values
 * and names are the common ones (histlink.c asserts them against the
 * engine's where it casts). A history record is never RUN_QUEUED. */
enum history_trigger {
	HISTORY_TRIGGER_SAVE = RUN_TRIGGER_SAVE,
	HISTORY_TRIGGER_MANUAL = RUN_TRIGGER_MANUAL,
	HISTORY_TRIGGER_STARTUP = RUN_TRIGGER_STARTUP,
};

enum history_status {
	HISTORY_RUNNING = RUN_RUNNING,
	HISTORY_OK = RUN_OK,
	HISTORY_FAILED = RUN_FAILED,
	HISTORY_CANCELLED = RUN_CANCELLED,
	HISTORY_TIMEOUT = RUN_TIMEOUT,
	HISTORY_CACHED = RUN_CACHED,
	HISTORY_INTERRUPTED = RUN_INTERRUPTED,
};

enum history_span_kind {
	HISTORY_SPAN_PHASE = RUN_SPAN_PHASE,
	HISTORY_SPAN_HOOK = RUN_SPAN_HOOK,
	HISTORY_SPAN_COMMAND = RUN_SPAN_COMMAND,
	HISTORY_SPAN_RENDER = RUN_SPAN_RENDER,
};

/* Wire/database names ("save", "ok", "phase", ...) of common/run.h;
 * "unknown" out of range; static strings. */
const char *history_trigger_name(enum history_trigger t);
const char *history_status_name(enum history_status s);
const char *history_span_kind_name(enum history_span_kind k);
/* Parse a name; false if unknown (out untouched). */
bool history_status_parse(const char *name, enum history_status *out);

struct history_config {
	const char *path;	/* database file; borrowed for history_open only */
	unsigned keep;		/* runs kept per key; 0 = HISTORY_KEEP_DEFAULT */
	size_t output_max;	/* run output tail kept; 0 = HISTORY_OUTPUT_MAX */
	size_t span_output_max;	/* per span; 0 = HISTORY_SPAN_OUTPUT_MAX */
	unsigned mem_runs;	/* degraded-mode cap; 0 = HISTORY_MEM_RUNS_DEFAULT */
	/* Ended runs waiting for the writer (a lock held elsewhere for long);
	 * past it the oldest are dropped and counted. 0 = the default. */
	unsigned queue_runs;
	int busy_timeout_ms;	/* 0 = HISTORY_BUSY_TIMEOUT_MS */
	/*
	 * Called on the WRITER thread, with the store's internal lock held,
	 * when a flush has been committed (or failed); it must only wake the
	 * loop (ev_async_send) and never call into the store; the loop then
	 * calls history_reap. NULL: the loop reaps on its next flush/reap.
	 */
	void (*notify)(void *arg);
	void *notify_arg;
};

/* What the engine knows when a run starts. All borrowed for the call. */
struct history_run_info {
	const char *root;
	const char *workspace;	/* NULL or "" = the root workspace */
	const char *phase;	/* requested phase(s), space separated */
	enum history_trigger trigger;
	const char *const *trigger_files;	/* capped at TRIGGER_FILES_MAX */
	size_t n_trigger_files;
	int64_t start_us;	/* 0 = now */
	const char *cache_key;	/* may be NULL; may also be given at end */
	/* The engine's run id, so both name a run alike: used when above
	 * history_last_id(), or when lower but not begun yet (a queued run
	 * that started after a later one; the engine numbers its runs after
	 * the largest stored id, so such an id is free). 0, or an id already
	 * begun: the next id. */
	uint64_t id;
};

/* What the engine knows when a run ends. All borrowed for the call. */
struct history_run_end {
	enum history_status status;	/* not HISTORY_RUNNING */
	int exit_code;			/* -1 if none */
	int signal;			/* 0 if none */
	int64_t end_us;			/* 0 = now */
	const char *cache_key;		/* NULL = keep the one from begin */
	const char *output;		/* tail; only the last OUTPUT_MAX kept */
	size_t output_len;
};

struct history_span {
	uint64_t id;		/* 1, 2, ... within the run */
	uint64_t parent;	/* 0 = top level */
	enum history_span_kind kind;
	char *name;
	char *workspace;
	int64_t start_us;
	int64_t dur_us;		/* -1 while running */
	enum history_status status;
	bool slow;
	/* A phase or hook span: that step's own output tail (no line
	 * prefixes, other steps' lines never mixed in), NULL if it printed
	 * nothing; output_len bytes, NUL-terminated. Owned by the span. */
	char *output;
	size_t output_len;
};

/* A run as returned by queries; every pointer is owned by the struct. */
struct history_run {
	uint64_t id;
	char *root;
	char *workspace;
	char *phase;
	enum history_trigger trigger;
	char **trigger_files;
	size_t n_trigger_files;
	int64_t start_us;
	int64_t end_us;		/* 0 while running */
	enum history_status status;
	int exit_code;
	int signal;
	char *cache_key;	/* NULL if none */
	bool cache_hit;		/* status == HISTORY_CACHED */
	bool slow;
	char *output;		/* NULL if none; output_len bytes, NUL-terminated */
	size_t output_len;
	struct history_span *spans;	/* only from history_get_run */
	size_t n_spans;
};

struct history;

/*
 * Open (or create) the store. Creates the parent directory 0700, applies
 * forward migrations up to HISTORY_SCHEMA_VERSION, turns rows left `running`
 * by a crash into `interrupted` and continues run ids after the largest id
 * found. A database that cannot be used does NOT fail this call: *out is a
 * store in degraded mode (see above). Returns 0 always except GERR_INVALID
 * for a NULL/empty path. *out is the caller's; free with history_close.
 */
int history_open(const struct history_config *cfg, struct history **out,
    struct gerr *err);

/* Flush what is queued (errors are logged and counted), then free. NULL ok. */
void history_close(struct history *h);

/*
 * Start a run; returns its id (> 0): info->id when set and not begun
 * yet (see history_run_info), else the next one. Ids are monotonic for the life of the
 * database. info is borrowed for the call. Never fails.
 */
uint64_t history_run_begin(struct history *h,
    const struct history_run_info *info);

/*
 * Add a span to a live run; returns its id (> 0) via *span_id. dur_us < 0
 * means "still running", finished later by history_span_end. parent is 0 or
 * an id returned earlier for this run. Strings borrowed for the call.
 * GERR_RUN_NOT_FOUND (no such live run), GERR_INVALID (bad parent),
 * GERR_LIMIT (HISTORY_SPANS_MAX reached).
 */
int history_span_add(struct history *h, uint64_t run_id, uint64_t parent,
    enum history_span_kind kind, const char *name, const char *workspace,
    int64_t start_us, int64_t dur_us, enum history_status status,
    uint64_t *span_id, struct gerr *err);

/*
 * The live run was last known alive at seen_us (wall clock): kept in the
 * row's end_us while it runs (queued like any change), so a daemon killed
 * mid-run leaves its duration on disk; the next open ends an `interrupted`
 * run there. Readers show no duration while the status is running.
 * GERR_RUN_NOT_FOUND.
 */
int history_run_seen(struct history *h, uint64_t run_id, int64_t seen_us,
    struct gerr *err);

/* Finish a span added with dur_us < 0. GERR_RUN_NOT_FOUND, GERR_NOT_FOUND. */
int history_span_end(struct history *h, uint64_t run_id, uint64_t span_id,
    int64_t dur_us, enum history_status status, struct gerr *err);

/*
 * Keep len bytes of out (borrowed; only the last span_output_max)
 * as span span_id's own output, replacing any earlier one. len 0 clears
 * it. GERR_RUN_NOT_FOUND, GERR_NOT_FOUND.
 */
int history_span_output(struct history *h, uint64_t run_id, uint64_t span_id,
    const char *out, size_t len, struct gerr *err);

/*
 * Whether (root, workspace, phase) has a retained successful (ok or
 * cached) phase span, for first_run_only: calls fn(arg, root, workspace,
 * phase) once per distinct such triple (strings borrowed for the call),
 * from the database and from memory (a triple may come twice). Reads on
 * the calling thread's connection (the loop's): meant for once at start.
 * GERR_HISTORY on a database error (memory rows still reported).
 */
int history_each_ok_phase(struct history *h,
    void (*fn)(void *arg, const char *root, const char *workspace,
    const char *phase), void *arg, struct gerr *err);

/*
 * End a live run. The daemon should history_flush() right after (run end is
 * a flush point). GERR_RUN_NOT_FOUND if the run is not live, GERR_INVALID
 * for status HISTORY_RUNNING.
 */
int history_run_end(struct history *h, uint64_t run_id,
    const struct history_run_end *end, struct gerr *err);

/*
 * Mark a run (span_id 0) or one of its spans slow (a phase over budget or
 * >10% over its median). Queued like any other change if the run is still
 * in memory (the normal case: mark before or right after history_run_end),
 * else written at once on the loop's connection, which may wait up to the
 * busy timeout if the writer holds the lock. GERR_RUN_NOT_FOUND,
 * GERR_NOT_FOUND, GERR_HISTORY.
 */
int history_mark_slow(struct history *h, uint64_t run_id, uint64_t span_id,
    struct gerr *err);

/* True while something is queued: arm the 100 ms flush timer. */
bool history_pending(const struct history *h);

/*
 * Hand everything queued to the writer thread, which writes it in one
 * BEGIN IMMEDIATE transaction and trims retention for up to
 * HISTORY_TRIM_KEYS_PER_FLUSH keys touched since the last trim. Does not
 * wait: the loop only copies the dirty rows (stats.longest_loop_us), at most
 * HISTORY_BATCH_RUNS_MAX runs per batch. Nothing queued: no transaction. If
 * a batch is still in flight, nothing new is posted; history_reap posts what
 * queued up when that batch comes back. Returns what history_reap returned
 * for an earlier batch.
 */
int history_flush(struct history *h, struct gerr *err);

/*
 * Take back a finished batch, if any (call from the notify ev_async
 * callback; flush, sync and close call it too). Rows of a committed batch
 * that have ended leave memory, and whatever queued meanwhile is posted as
 * the next batch. GERR_BUSY: another process held the write
 * lock past the busy timeout; the rows are queued again (pending() is true).
 * GERR_HISTORY: any other write failure; the transaction was rolled back and
 * the store is now degraded (rows stay in memory, capped); later flushes are
 * no-ops returning 0. Loop thread.
 */
int history_reap(struct history *h, struct gerr *err);

/*
 * Flush and wait until everything queued is on disk (or an error): for
 * shutdown, `trim`, tests and tools. Blocks the calling thread.
 */
int history_sync(struct history *h, struct gerr *err);

/*
 * Trim every key to `keep` runs now (keep 0 = configured value), after
 * history_sync, on the calling thread (blocks it: an on-demand command). *deleted (may be NULL) gets the number of runs removed.
 * GERR_HISTORY when degraded or on a database error.
 */
int history_trim(struct history *h, unsigned keep, uint64_t *deleted,
    struct gerr *err);

struct history_flush_stats {
	uint64_t flushes;		/* flushes that wrote something */
	uint64_t transactions;		/* write transactions begun by us */
	uint64_t commits;		/* counted by the SQLite commit hook */
	uint64_t runs_written;
	uint64_t spans_written;
	uint64_t runs_trimmed;
	uint64_t longest_flush_us;	/* longest write, on the writer */
	uint64_t last_flush_us;
	uint64_t longest_loop_us;	/* longest batch copy, on the loop */
	uint64_t runs_dropped;		/* unwritten runs over queue_runs */
};

void history_get_flush_stats(const struct history *h,
    struct history_flush_stats *out);

/* Database + WAL size in bytes (0 when degraded). */
uint64_t history_db_size(const struct history *h);
bool history_degraded(const struct history *h);
/* "ok" or the degraded reason; borrowed until the next call on h. */
const char *history_status_text(const struct history *h);
/* Largest run id handed out so far (0 if none). */
uint64_t history_last_id(const struct history *h);

struct history_filter {
	const char *root;	/* NULL = any; all strings borrowed */
	const char *workspace;
	const char *phase;
	bool failed_only;	/* failed, timeout, cancelled, interrupted */
	int64_t since_us;	/* 0 = any; start_us >= since_us */
	size_t limit;		/* 0 = no limit */
	bool by_root;		/* history_stats: one row per (root, phase) */
};

/*
 * Runs matching f, newest first, without spans. *out is the caller's: free
 * with history_runs_free(*out, *n). Degraded: in-memory runs only.
 * GERR_HISTORY on a database error.
 */
int history_list(struct history *h, const struct history_filter *f,
    struct history_run **out, size_t *n, struct gerr *err);

/*
 * One run with its spans (ordered by id). *out is the caller's: free with
 * history_run_free. GERR_RUN_NOT_FOUND, GERR_HISTORY.
 */
int history_get_run(struct history *h, uint64_t run_id,
    struct history_run **out, struct gerr *err);

void history_run_free(struct history_run *r);
void history_runs_free(struct history_run *runs, size_t n);

/*
 * Borrowed spanrec view of r's spans for rundiff/chrometrace; the returned
 * array is the caller's to free(), its strings borrowed from r.
 */
struct spanrec *history_run_spanrecs(const struct history_run *r);

struct history_phase_stats {
	char *phase;		/* owned */
	char *root;		/* owned; NULL unless the filter's by_root */
	uint64_t runs;		/* finished runs counted */
	uint64_t ok;		/* ok + cached */
	uint64_t cached;
	double success_rate;	/* ok / runs, 0 if no runs */
	double cache_hit_rate;	/* cached / runs */
	int64_t p50_us;		/* nearest-rank percentiles of end - start */
	int64_t p95_us;
};

/*
 * Per-phase stats over retained finished runs matching f (limit ignored),
 * sorted by phase name. Free with history_stats_free(*out, *n).
 */
/*
 * `trim` and `stats` off the loop. history_trim_job / history_stats_job
 * (loop thread) snapshot what the job needs (the path, the filter, copies
 * of the rows still in memory; trim first hands queued rows to the
 * writer); history_job_run (any one thread, once) does the work on its
 * own database connection (a trim waits for the writer through the busy
 * timeout); history_job_finish (loop thread) returns its result and frees
 * the job: *deleted for a trim, *stats and *n (free with history_stats_free)
 * for stats; errors as history_trim / history_stats.
 */
struct history_job;
struct history_job *history_trim_job(struct history *h, unsigned keep);
struct history_job *history_stats_job(struct history *h,
    const struct history_filter *f);
void history_job_run(struct history_job *j);
int history_job_finish(struct history *h, struct history_job *j,
    uint64_t *deleted, struct history_phase_stats **stats, size_t *n,
    struct gerr *err);

int history_stats(struct history *h, const struct history_filter *f,
    struct history_phase_stats **out, size_t *n, struct gerr *err);
void history_stats_free(struct history_phase_stats *s, size_t n);

/*
 * Median duration of the last retained successful (status ok) runs of
 * (root, workspace, phase). GERR_NOT_FOUND if fewer than min_runs exist.
 */
int history_phase_median(struct history *h, const char *root,
    const char *workspace, const char *phase, unsigned min_runs,
    int64_t *median_us, struct gerr *err);

/* Why history_check_slow flagged a phase. */
enum history_slow_reason {
	HISTORY_NOT_SLOW = 0,
	HISTORY_SLOW_BUDGET,	/* dur > budget_ms */
	HISTORY_SLOW_MEDIAN,	/* dur > median * 1.10, >= min_runs runs */
};

#define HISTORY_SLOW_MIN_RUNS 5
#define HISTORY_SLOW_PERCENT 10
/* ... and at least this much over it: a 5 ms phase that took 7 ms is
 * noise (scheduling, a cold page), not a slow phase worth an event. */
#define HISTORY_SLOW_MIN_EXCESS_US (50 * 1000)

/*
 * Slow-phase rule (issue 6 item 5): a phase is slow when it took longer
 * than budget_ms (0 = no budget), or more than HISTORY_SLOW_PERCENT and
 * more than HISTORY_SLOW_MIN_EXCESS_US slower than the median of its last retained successful runs when there are at
 * least HISTORY_SLOW_MIN_RUNS of them. Call it BEFORE ending the run whose
 * duration is dur_us (so the run does not count in its own median); on a
 * slow verdict the daemon emits `phase.slow` and calls history_mark_slow.
 * *median_us (may be NULL) gets the median used, 0 if none. Never fails:
 * a database error counts as "no median".
 */
enum history_slow_reason history_check_slow(struct history *h,
    const char *root, const char *workspace, const char *phase,
    int64_t dur_us, uint64_t budget_ms, int64_t *median_us);

#endif
