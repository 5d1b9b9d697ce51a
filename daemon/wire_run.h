/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * wire_run.h - runs, run events, dry-run plans, history rows and their
 * counters as the protocol's JSON (protocol/PROTOCOL.md), and run ids
 * read from requests.
 *
 * Design: the engine (daemon/engine.h) and the history link
 * (daemon/histlink.h) deal in C structs only; JSON exists at the edge,
 * where a request is answered (daemon/req_*.c) or an event is published
 * (daemon/req_events.c). This module is that edge's one copy of the
 * shapes several requests share, so `run`, `runs`, `logs`, `cancel` and
 * `dev` print one run object, and `history`, `show` and `diff` one
 * history row. Every builder returns a new cJSON tree (transferred) or a
 * finished NDJSON line (caller frees); inputs are borrowed for the call.
 * Strings go through protocol/message.c's builders, so text that is not
 * UTF-8 is repaired and file names keep exact-bytes twins ("NAME_b64").
 * Pure: no I/O, no state; any thread.
 */
#ifndef GGEN_WIRE_RUN_H
#define GGEN_WIRE_RUN_H

#include <stdbool.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "engine.h"
#include "gerr.h"
#include "histlink.h"
#include "history.h"

/*
 * A run object (`run`, `runs`, `logs`, `cancel`, status "last"): {"id",
 * "root","phases","phase","workspace","trigger","status","start_us",
 * "duration_ms","steps","steps_done","steps_cached","skipped" (only when
 * some were),"exit_code","signal","message" (only on failure)}.
 */
cJSON *wire_run_object(const struct engine_run_info *r);

/* The engine part of `status`: {"running","queued","finished","next_id",
 * "models_loaded","last" (when a run finished),"active":[brief+"status"],
 * "failed":[brief],"environments":[{"root","env" (null: none),"source"}],
 * "loops_stopped":[{"root","workspace","phase"}]}; a brief is {"run",
 * "root","phases","workspace","trigger"}. */
cJSON *wire_run_overview(const struct engine_overview *st);

/*
 * ev as a progress message of a followed run: {"type":"started"},
 * {"type":"phase.started","phase","workspace","hook"},
 * {"type":"phase.finished",...,"status","duration_ms","cache"},
 * {"type":"output","stream","workspace","data"} (bytes that are not UTF-8,
 * and NUL, become U+FFFD) or {"type":"finished","status","message"}, each
 * with "run". NULL for events clients do not follow (command and render
 * spans, published-only kinds).
 */
cJSON *wire_run_progress(const struct engine_event *ev);

/* A published engine event (engine_publish_cb) as its NDJSON line:
 * run.queued, run.started, phase.started, phase.finished, phase.loop,
 * run.finished; NULL for kinds that are not published. */
char *wire_run_event_line(const struct engine_event *ev);

/* A dry run's plan: {"steps":[{"phase","workspace","hook","cache",
 * "reason","key","action_key","commands","env","requires_approval",
 * "first_run_only","after"}],"env" (null: none),"env_source","outline"};
 * members without a value are left out. */
cJSON *wire_run_dry_plan(const struct engine_dry_plan *p);

/*
 * A history row (`history`, `show`, `diff`): {"id","root","workspace",
 * "phase","trigger","trigger_files" (with "trigger_files_b64" when a name
 * is not UTF-8),"start_us","end_us","duration_ms" (null while running),
 * "status","exit_code","signal","cache_key" (or null),"cache_hit","slow"};
 * with_detail adds "spans" ([{"id","parent","kind","name","workspace",
 * "start_us","dur_us","status","slow","output" (when it printed)}]) and
 * "output" (the run's tail).
 */
cJSON *wire_run_history(const struct history_run *r, bool with_detail);

/* The history part of `status`: {"path","size_bytes","degraded","reason",
 * "keep","pending","flushes","transactions","commits","runs_written",
 * "spans_written","runs_trimmed","runs_dropped","longest_flush_us",
 * "last_flush_us","longest_loop_us","flush_errors","slow_phases"}. */
cJSON *wire_run_history_status(const struct histlink_status *st);

/* A `phase.slow` event line: {"run","root","workspace","phase",
 * "duration_ms","reason":"budget"|"median","median_ms"}. */
char *wire_run_slow_line(const struct histlink_slow *ev);

/* The run id in request field id (borrowed; the protocol table checked it
 * is an integer): *out >= 1, else GERR_INVALID naming the field. */
int wire_run_id(const cJSON *id, uint64_t *out, struct gerr *err);

#endif
