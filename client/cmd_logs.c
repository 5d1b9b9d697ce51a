/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * cmd_logs.c - `ggenc logs RUN [--follow] [--phase NAME] [--plain]`: a
 * run's output tail; with --follow, then its live output until it ends
 * (exit status as `run`); with --phase, only that phase's own output, as
 * the history kept it apart from phases that ran at the same time. RUN is an id, `last` or -N (histfmt_run_id). The output keeps
 * the tools' escapes (colours) unless --plain (a global option: main.c).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "cmd_entries.h"
#include "commands.h"
#include "histfmt.h"
#include "runview.h"

static int
cmd_logs_build(const struct cmd_ctx *ctx, int argc, char **argv,
    cJSON *fields, struct gerr *err)
{
	int rc;

	const char *phase = cmd_opt_value(ctx, "--phase");

	if (cmd_opt_flag(ctx, "--follow"))
		cJSON_AddTrueToObject(fields, "follow");
	if (phase != NULL)
		cJSON_AddStringToObject(fields, "phase", phase);
	/* No RUN: the latest run of this project. */
	if ((rc = histfmt_run_id("logs", argc > 0 ? argv[0] : "last", fields,
	    "run", err)) != 0)
		return rc;
	return histfmt_scope(fields, false, err);
}

static int
cmd_logs_render(const struct cmd_ctx *ctx, const cJSON *result)
{
	const char *out = runview_str(result, "output", NULL);

	if (out != NULL) {
		/* Not following: the tail, and the status only on failure. */
		runview_output(ctx, ctx->out, out);
		return 0;
	}
	return runview_summary(ctx, result);
}

/* As the human rendering: the tail alone is a success whatever the run's
 * status; following, the run's status decides (as `run`). */
static int
cmd_logs_exit_status(const cJSON *result)
{
	if (runview_str(result, "output", NULL) != NULL)
		return 0;
	return runview_exit_status(result);
}

static const struct cmd_opt cmd_logs_opts[] = {
	{ "--follow", 'f', NULL,
	    "stream the output until the run ends", 0 },
	{ "--phase", 'p', "NAME",
	    "only this phase's own output (kept when it ends)", 0 },
	{ NULL, 0, NULL, NULL, 0 },
};

const struct cmd_entry cmd_logs_entry = {
	.name = "logs", .alias = NULL,
	.usage = "[RUN|last|-N] [--follow] [--phase NAME] [--plain]",
	.summary = "Print a run's output; --follow streams it live.",
	.args = { .min = 0, .max = 1 }, .proto = PROTO_CMD_LOGS,
	.build = cmd_logs_build, .render = cmd_logs_render,
	.on_message = runview_message, .exit_status = cmd_logs_exit_status,
	.opts = cmd_logs_opts,
	.example = "ggenc logs 42 --follow\n" "ggenc logs -1 --plain\n"
	    "ggenc logs 42 --phase test",
};
