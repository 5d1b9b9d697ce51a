/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * cmd_cancel.c - `ggenc cancel RUN`: stop a queued or running run.
 */
#include <errno.h>
#include <stdlib.h>

#include "cmd.h"
#include "cmd_entries.h"
#include "commands.h"
#include "runview.h"

static int
cmd_cancel_build(const struct cmd_ctx *ctx, int argc, char **argv,
    cJSON *fields, struct gerr *err)
{
	unsigned long long id;
	char *end;

	(void)ctx;
	(void)argc;
	errno = 0;
	id = strtoull(argv[0], &end, 10);
	if (errno != 0 || *end != '\0' || id == 0 || id > (1ULL << 53))
		return gerr_set(err, GERR_INVALID, "cancel: expected a run "
		    "id, found \"%s\"", argv[0]);
	cJSON_AddNumberToObject(fields, "run", (double)id);
	return 0;
}

static int
cmd_cancel_render(const struct cmd_ctx *ctx, const cJSON *result)
{
	fprintf(ctx->out, "run %.0f: cancelling\n",
	    runview_num(result, "id", 0));
	return 0;
}

const struct cmd_entry cmd_cancel_entry = {
	.name = "cancel", .alias = NULL, .usage = "RUN",
	.summary = "Stop a queued or running run.",
	.args = { .min = 1, .max = 1 }, .proto = PROTO_CMD_CANCEL,
	.build = cmd_cancel_build, .render = cmd_cancel_render,
	.example = "ggenc cancel 42",
};
