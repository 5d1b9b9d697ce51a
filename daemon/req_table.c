/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * req_table.c - the daemon's list of request handlers, one line per
 * daemon/req_<name>.c. tests/unit/test_tables.c checks it against
 * proto_cmd_table[]: every command has exactly one handler.
 */
#include "req.h"
#include "req_entries.h"

const struct req_entry *const req_table[] = {
	&req_hello_entry,
	&req_status_entry,
	&req_shutdown_entry,
	&req_config_entry,
	&req_validate_entry,
	&req_watch_entry,
	&req_unwatch_entry,
	&req_roots_entry,
	&req_changes_entry,
	&req_hash_entry,
	&req_events_entry,
	&req_run_entry,
	&req_cancel_entry,
	&req_runs_entry,
	&req_logs_entry,
	&req_history_entry,
	&req_show_entry,
	&req_stats_entry,
	&req_trace_entry,
	&req_diff_entry,
	&req_trim_entry,
	&req_dev_entry,
};

const size_t req_table_len = sizeof(req_table) / sizeof(req_table[0]);
