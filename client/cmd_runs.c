/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * cmd_runs.c - `ggenc runs [--recent] [--all]`: running and queued runs
 * of the project holding the current directory, as a table; --recent: the
 * recent finished ones too, oldest first; --all: every root's runs,
 * recent ones included, with their root.
 */
#include <string.h>

#include "cmd.h"
#include "cmd_entries.h"
#include "color.h"
#include "commands.h"
#include "histfmt.h"
#include "runview.h"

static int
cmd_runs_build(const struct cmd_ctx *ctx, int argc, char **argv,
    cJSON *fields, struct gerr *err)
{
	bool all = false, recent = false;

	(void)ctx;
	for (int i = 0; i < argc; i++) {
		if (strcmp(argv[i], "--all") == 0)
			all = true;
		else if (strcmp(argv[i], "--recent") == 0)
			recent = true;
		else
			return gerr_set(err, GERR_INVALID, "runs: unexpected "
			    "\"%s\"", argv[i]);
	}
	if (all || recent)
		cJSON_AddTrueToObject(fields, "all");
	return histfmt_scope(fields, all, err);
}

static int
cmd_runs_render(const struct cmd_ctx *ctx, const cJSON *result)
{
	const cJSON *runs = cJSON_GetObjectItemCaseSensitive(result, "runs");
	const cJSON *r, *p;

	if (cJSON_GetArraySize(runs) == 0) {
		fprintf(ctx->out, "no runs\n");
		return 0;
	}
	fprintf(ctx->out, "%-6s %-9s %-8s %8s  %s\n", "RUN", "STATUS",
	    "TRIGGER", "MS", "PHASES (ROOT)");
	cJSON_ArrayForEach(r, runs) {
		const char *st = runview_str(r, "status", "?");

		fprintf(ctx->out, "%-6.0f %s%-9s%s %-8s %8.0f ",
		    runview_num(r, "run", 0), color_on(ctx->color,
		    color_status(st)), st, color_off(ctx->color),
		    runview_str(r, "trigger", "?"),
		    runview_num(r, "duration_ms", 0));
		cJSON_ArrayForEach(p, cJSON_GetObjectItemCaseSensitive(r,
		    "phases"))
			fprintf(ctx->out, " %s", cJSON_IsString(p) ?
			    p->valuestring : "?");
		fprintf(ctx->out, " (%s)\n", runview_str(r, "root", "?"));
	}
	return 0;
}

const struct cmd_entry cmd_runs_entry = {
	.name = "runs", .alias = NULL, .usage = "[--recent] [--all]",
	.summary = "List running and queued runs of this project (--recent: "
	    "finished too; --all: every root).",
	.args = { .min = 0, .max = 2 }, .proto = PROTO_CMD_RUNS,
	.build = cmd_runs_build, .render = cmd_runs_render,
};
