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
extern const struct req_entry req_dev_entry;

#endif
