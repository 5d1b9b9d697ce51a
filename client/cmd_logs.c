/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * cmd_logs.c - `ggenc logs RUN [--follow]`: a run's output tail; with
 * --follow, then its live output until it ends (exit status as `run`).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "cmd_entries.h"
#include "commands.h"
#include "runview.h"

static int
cmd_logs_build(const struct cmd_ctx *ctx, int argc, char **argv,
    cJSON *fields, struct gerr *err)
{
	unsigned long long id;
	char *end;

	(void)argc;
	errno = 0;
	id = strtoull(argv[0], &end, 10);
	if (errno != 0 || *end != '\0' || id == 0 || id > (1ULL << 53))
		return gerr_set(err, GERR_INVALID, "logs: expected a run id, "
		    "found \"%s\"", argv[0]);
	if (cmd_opt_flag(ctx, "--follow"))
		cJSON_AddTrueToObject(fields, "follow");
	cJSON_AddNumberToObject(fields, "run", (double)id);
	return 0;
}

static int
cmd_logs_render(const struct cmd_ctx *ctx, const cJSON *result)
{
	const char *out = runview_str(result, "output", NULL);

	if (out != NULL) {
		/* Not following: the tail, and the status only on failure. */
		fputs(out, ctx->out);
		return 0;
	}
	return runview_summary(ctx, result);
}

static const struct cmd_opt cmd_logs_opts[] = {
	{ "--follow", 'f', NULL,
	    "stream the output until the run ends", 0 },
	{ NULL, 0, NULL, NULL, 0 },
};

const struct cmd_entry cmd_logs_entry = {
	.name = "logs", .alias = NULL, .usage = "RUN [--follow]",
	.summary = "Print a run's output; --follow streams it live.",
	.args = { .min = 1, .max = 1 }, .proto = PROTO_CMD_LOGS,
	.build = cmd_logs_build, .render = cmd_logs_render,
	.on_message = runview_message, .exit_status = runview_exit_status,
	.opts = cmd_logs_opts,
	.example = "ggenc logs 42 --follow",
};
