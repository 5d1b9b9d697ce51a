/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * cmd_shutdown.c - `ggenc shutdown`: ask the daemon to stop; main.c then
 * waits until the process has exited (call_wait_exit) and says so. It
 * never autostarts a daemon just to stop it (CMD_NO_AUTOSTART).
 */
#include "cmd.h"
#include "cmd_entries.h"
#include "commands.h"
#include "errors.h"

static int
cmd_shutdown_render(const struct cmd_ctx *ctx, const cJSON *result)
{
	/* main.c prints "stopped" once the process is gone. */
	(void)ctx;
	(void)result;
	return 0;
}

static int
cmd_shutdown_unreachable(const struct cmd_ctx *ctx, const struct gerr *err)
{
	struct gerr e;

	if (ctx->json) {
		gerr_clear(&e);
		gerr_set(&e, err->code, "nothing to stop: %s", err->msg);
		cmd_print_error(ctx, "shutdown", &e);
	} else
		fprintf(stderr, "ggenc: shutdown: nothing to stop: %s\n",
		    err->msg);
	return ERR_EXIT_UNREACHABLE;
}

const struct cmd_entry cmd_shutdown_entry = {
	.name = "shutdown", .alias = NULL, .usage = "",
	.summary = "Stop the daemon; returns once its process has exited.",
	.args = { .min = 0, .max = 0 }, .proto = PROTO_CMD_SHUTDOWN,
	.render = cmd_shutdown_render, .flags = CMD_NO_AUTOSTART,
	.render_unreachable = cmd_shutdown_unreachable,
	.example = "ggenc shutdown",
};
