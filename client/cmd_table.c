/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * cmd_table.c - ggenc's subcommands, one line per client/cmd_<name>.c, in
 * the order `ggenc help` lists them.
 */
#include "cmd.h"
#include "cmd_entries.h"

const struct cmd_entry *const cmd_table[] = {
	&cmd_status_entry,
	&cmd_watch_entry,
	&cmd_unwatch_entry,
	&cmd_roots_entry,
	&cmd_changes_entry,
	&cmd_hash_entry,
	&cmd_events_entry,
	&cmd_history_entry,
	&cmd_show_entry,
	&cmd_stats_entry,
	&cmd_trace_entry,
	&cmd_diff_entry,
	&cmd_trim_entry,
	&cmd_dev_entry,
	&cmd_shutdown_entry,
	&cmd_run_entry,
	&cmd_cancel_entry,
	&cmd_runs_entry,
	&cmd_logs_entry,
	&cmd_validate_entry,
	&cmd_config_entry,
	&cmd_render_entry,
	&cmd_version_entry,
	&cmd_help_entry,
};

const size_t cmd_table_len = sizeof(cmd_table) / sizeof(cmd_table[0]);
