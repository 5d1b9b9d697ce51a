/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * cmd_cancel.c - `ggenc cancel RUN`: stop a queued or running run.
 */
#include <errno.h>
#include <stdlib.h>

#include "cmd.h"
#include "cmd_entries.h"
#include "commands.h"
#include "histfmt.h"
#include "runview.h"

static int
cmd_cancel_build(const struct cmd_ctx *ctx, int argc, char **argv,
    cJSON *fields, struct gerr *err)
{

	(void)ctx;
	(void)argc;
	int rc;

	if ((rc = histfmt_run_id("cancel", argv[0], fields, "run", err)) != 0)
		return rc;
	return histfmt_scope(fields, false, err);
}

static int
cmd_cancel_render(const struct cmd_ctx *ctx, const cJSON *result)
{
	fprintf(ctx->out, "run %.0f: cancelling\n",
	    runview_num(result, "run", 0));
	return 0;
}

const struct cmd_entry cmd_cancel_entry = {
	.name = "cancel", .alias = NULL, .usage = "RUN",
	.summary = "Stop a queued or running run.",
	.args = { .min = 1, .max = 1 }, .proto = PROTO_CMD_CANCEL,
	.build = cmd_cancel_build, .render = cmd_cancel_render,
};
