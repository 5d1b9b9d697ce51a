/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * cmd_version.c - `ggenc version`: the client's version and protocol; local,
 * never starts a daemon (`ggenc status` shows the daemon's).
 */
#include "cmd.h"
#include "cmd_entries.h"
#include "version.h"

static int
cmd_version_run(const struct cmd_ctx *ctx, int argc, char **argv)
{
	(void)argc;
	(void)argv;
	if (ctx->json)
		fprintf(ctx->out, "{\"version\":\"%s\",\"proto\":%d}\n",
		    ggen_version(), PROTO_VERSION);
	else
		fprintf(ctx->out, "ggenc %s (protocol %d)\n", ggen_version(),
		    PROTO_VERSION);
	return 0;
}

const struct cmd_entry cmd_version_entry = {
	.name = "version", .alias = "V", .usage = "",
	.summary = "Show ggenc's version and protocol version.",
	.args = { .min = 0, .max = 0 }, .proto = CMD_LOCAL,
	.run = cmd_version_run,
	.example = "ggenc version",
};
