/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * cmd_shutdown.c - `ggenc shutdown`: ask the daemon to stop. main.c never
 * autostarts a daemon just to stop it (see cmd_entry.proto use there).
 */
#include "cmd.h"
#include "cmd_entries.h"
#include "commands.h"

static int
cmd_shutdown_render(const struct cmd_ctx *ctx, const cJSON *result)
{
	const cJSON *pid = cJSON_GetObjectItemCaseSensitive(result, "pid");

	fprintf(ctx->out, "ggend (pid %.0f) is stopping\n",
	    cJSON_IsNumber(pid) ? pid->valuedouble : 0.0);
	return 0;
}

const struct cmd_entry cmd_shutdown_entry = {
	.name = "shutdown", .alias = NULL, .usage = "",
	.summary = "Stop the daemon.",
	.args = { .min = 0, .max = 0 }, .proto = PROTO_CMD_SHUTDOWN,
	.render = cmd_shutdown_render,
};
