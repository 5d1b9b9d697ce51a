/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * cmd_entries.h - the rows exported by client/cmd_<name>.c, listed in
 * client/cmd_table.c. Static data.
 */
#ifndef GGEN_CMD_ENTRIES_H
#define GGEN_CMD_ENTRIES_H

#include "cmd.h"

extern const struct cmd_entry cmd_status_entry;
extern const struct cmd_entry cmd_shutdown_entry;
extern const struct cmd_entry cmd_run_entry;
extern const struct cmd_entry cmd_cancel_entry;
extern const struct cmd_entry cmd_runs_entry;
extern const struct cmd_entry cmd_logs_entry;
extern const struct cmd_entry cmd_version_entry;
extern const struct cmd_entry cmd_help_entry;
extern const struct cmd_entry cmd_validate_entry;
extern const struct cmd_entry cmd_config_entry;
extern const struct cmd_entry cmd_render_entry;
extern const struct cmd_entry cmd_watch_entry;
extern const struct cmd_entry cmd_unwatch_entry;
extern const struct cmd_entry cmd_roots_entry;
extern const struct cmd_entry cmd_changes_entry;
extern const struct cmd_entry cmd_hash_entry;
extern const struct cmd_entry cmd_events_entry;
extern const struct cmd_entry cmd_history_entry;
extern const struct cmd_entry cmd_show_entry;
extern const struct cmd_entry cmd_stats_entry;
extern const struct cmd_entry cmd_trace_entry;
extern const struct cmd_entry cmd_diff_entry;
extern const struct cmd_entry cmd_trim_entry;
extern const struct cmd_entry cmd_dev_entry;

#endif
