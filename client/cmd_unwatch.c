/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * cmd_unwatch.c - `ggenc unwatch [DIR]`: stop watching the root DIR
 * (default: the current directory).
 */
#include "cmd.h"
#include "cmd_entries.h"
#include "commands.h"

static int
cmd_unwatch_build(const struct cmd_ctx *ctx, int argc, char **argv,
    cJSON *fields, struct gerr *err)
{
	(void)ctx;
	return cmd_root_field(argc, argv, fields, "root", err);
}

static int
cmd_unwatch_render(const struct cmd_ctx *ctx, const cJSON *result)
{
	const cJSON *root = cJSON_GetObjectItemCaseSensitive(result, "root");

	fprintf(ctx->out, "not watching %s any more\n",
	    cJSON_IsString(root) ? root->valuestring : "?");
	return 0;
}

const struct cmd_entry cmd_unwatch_entry = {
	.name = "unwatch", .alias = NULL, .usage = "[DIR]",
	.summary = "Stop watching a root.",
	.args = { .min = 0, .max = 1 }, .proto = PROTO_CMD_UNWATCH,
	.build = cmd_unwatch_build, .render = cmd_unwatch_render,
	.example = "ggenc unwatch ~/src/project",
};
