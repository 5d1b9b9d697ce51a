/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * histlink.h - the daemon's side of the run history: opens the store
 * (daemon/history.h), feeds it from the engine's run listener, flushes it
 * (at run end and from a 100 ms timer armed only while rows are queued),
 * flags slow phases (`phase.slow`) and reports it in `status`.
 *
 * One per daemon, owned by struct ggend (g->histlink). Loop thread only;
 * the store's writer thread only wakes the loop through an ev_async owned
 * here. No JSON here: the slow-phase event and the counters come out as
 * C structs; daemon/wire_run.h writes them for the protocol.
 */
#ifndef GGEN_HISTLINK_H
#define GGEN_HISTLINK_H

#include <stdbool.h>
#include <stdint.h>

#include <ev.h>

#include "engine.h"
#include "gerr.h"
#include "history.h"

/* Flush queued rows at most this long after they were queued. */
#define HISTLINK_FLUSH_MS 100
/* How often a live run's row records that it is still alive. */
#define HISTLINK_SEEN_MS 1000

struct histlink;

/* A phase found slow (`phase.slow`); borrowed for the call. */
struct histlink_slow {
	uint64_t run;			/* the run's id */
	const char *root;
	const char *workspace;		/* "" = the root */
	const char *phase;
	int64_t dur_us;
	enum history_slow_reason why;	/* BUDGET or MEDIAN */
	int64_t median_us;		/* MEDIAN: the median; else 0 */
};

/* ev borrowed for the call (daemon/req_events.c publishes it). */
typedef void (*histlink_publish_cb)(void *arg,
    const struct histlink_slow *ev);

/*
 * Open the store at path (borrowed; the parent directory is created) with
 * retention keep (0 = HISTORY_KEEP_DEFAULT) and output tails of at most
 * output_max bytes per run and span_output_max per span (0 = history.h's
 * defaults). An unusable database does not
 * fail: the store runs degraded, in memory (see history.h), and says why in
 * histlink_status_get. Returns 0, or GERR_INVALID for an empty path.
 * *out is the caller's; free with histlink_free.
 */
int histlink_open(struct ev_loop *loop, const char *path, unsigned keep,
    size_t output_max, size_t span_output_max, struct histlink **out,
    struct gerr *err);

/* Runs still live are ended `interrupted`; everything queued is written
 * (blocks until the writer is done); the store is closed. NULL ok. Call
 * after engine_free, which may still report run ends. */
void histlink_free(struct histlink *hl);

/* Where `phase.slow` events go; fn NULL = nowhere. arg borrowed. */
void histlink_set_publish(struct histlink *hl, histlink_publish_cb fn,
    void *arg);

/* The id the engine's first run should take (largest stored id + 1). */
uint64_t histlink_next_run_id(const struct histlink *hl);

/*
 * The engine run listener (engine_event_cb; arg is the histlink): run
 * start -> history_run_begin (the engine's id), span start ->
 * history_span_add (running), span end -> history_span_end (over budget_ms:
 * `phase.slow`, history_mark_slow), run end -> the median check
 * (history_check_slow: `phase.slow` when >10% over), history_run_end and
 * a flush. A step's own output, sent with its span's end, is kept with
 * that span (history_span_output). Never fails: a store error is logged and counted.
 */
void histlink_on_event(void *arg, const struct engine_event *ev);

/*
 * engine_done_cb (arg is the histlink): whether the history holds a
 * successful (ok or cached) span of phase in workspace ws ("" = the root)
 * of root. Answered from memory: the set is read from the store at open
 * (one query) and after histlink_reload_done, and grows as phase spans
 * end ok, so first_run_only never queries SQLite on the loop per run.
 */
bool histlink_first_run_done(void *arg, const char *root, const char *ws,
    const char *phase);

/* Read that set again from the store (after `trim` removed runs). */
void histlink_reload_done(struct histlink *hl);

/* The store, for queries (borrowed for the histlink's life). */
struct history *histlink_history(struct histlink *hl);

/* The thread that runs `trim` and `stats` off the loop (daemon/worker.h,
 * history_job_run); borrowed for hl's life. histlink_free finishes its
 * jobs (their done callbacks run) before closing the store. */
struct worker;
struct worker *histlink_worker(struct histlink *hl);

/*
 * Run id (>= 1; the request edge checks that, wire_run_id) with its
 * spans. *out is the caller's (history_run_free). GERR_RUN_NOT_FOUND,
 * GERR_HISTORY.
 */
int histlink_get_run(struct histlink *hl, uint64_t id,
    struct history_run **out, struct gerr *err);

/* The store's state for `status` (pointers borrowed from hl). */
struct histlink_status {
	const char *path;
	uint64_t size_bytes;
	bool degraded;
	const char *reason;		/* "ok" or why degraded */
	unsigned keep;
	bool pending;			/* rows queued, not yet written */
	struct history_flush_stats flush;
	uint64_t flush_errors;
	uint64_t slow_phases;
};

void histlink_status_get(const struct histlink *hl,
    struct histlink_status *out);

#endif
