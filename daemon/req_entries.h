/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * req_entries.h - the handler rows exported by daemon/req_<name>.c, listed
 * in daemon/req_table.c. Static data.
 */
#ifndef GGEN_REQ_ENTRIES_H
#define GGEN_REQ_ENTRIES_H

#include "req.h"

extern const struct req_entry req_hello_entry;
extern const struct req_entry req_status_entry;
extern const struct req_entry req_shutdown_entry;
extern const struct req_entry req_config_entry;
extern const struct req_entry req_validate_entry;
extern const struct req_entry req_watch_entry;
extern const struct req_entry req_unwatch_entry;
extern const struct req_entry req_roots_entry;
extern const struct req_entry req_changes_entry;
extern const struct req_entry req_hash_entry;
extern const struct req_entry req_events_entry;
extern const struct req_entry req_run_entry;
extern const struct req_entry req_cancel_entry;
extern const struct req_entry req_runs_entry;
extern const struct req_entry req_logs_entry;
extern const struct req_entry req_history_entry;
extern const struct req_entry req_show_entry;
extern const struct req_entry req_stats_entry;
extern const struct req_entry req_trace_entry;
extern const struct req_entry req_diff_entry;
extern const struct req_entry req_trim_entry;
extern const struct req_entry req_reload_entry;

struct ggend;
/* Add "config" (the settings file, its last load's findings) to result:
 * `status` and `reload` share it (daemon/req_status.c). */
void req_status_config(const struct ggend *g, cJSON *result);
extern const struct req_entry req_dev_entry;
struct engine;
struct histlink;
/* The "runs" and "history" objects of `status` (daemon/req_run.c,
 * daemon/req_history.c; transferred). */
cJSON *req_run_status(struct engine *engine);
cJSON *req_history_status(const struct histlink *hl);
/* The publishers ggend injects into the engine (engine_publish_cb) and
 * the history link (histlink_publish_cb), arg the struct ggend: the typed
 * events as event lines to subscribers (daemon/req_events.c). */
struct engine_event;
struct histlink_slow;
void req_events_engine(void *arg, const struct engine_event *ev);
void req_events_slow(void *arg, const struct histlink_slow *ev);
extern const struct req_entry req_graph_entry;

#endif
