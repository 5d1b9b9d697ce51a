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
	bool all = cmd_opt_flag(ctx, "--all");

	(void)argc;
	(void)argv;
	if (all || cmd_opt_flag(ctx, "--recent"))
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
	fprintf(ctx->out, "%6s  %-9s  %-7s  %9s  %s\n", "ID", "STATUS",
	    "TRIGGER", "DURATION", "PHASES (ROOT)");
	cJSON_ArrayForEach(r, runs) {
		const char *st = runview_str(r, "status", "?");
		char d[32];

		fprintf(ctx->out, "%6.0f  %s%-9s%s  %-7s  %9s ",
		    runview_num(r, "id", 0), color_on(ctx->color,
		    color_status(st)), st, color_off(ctx->color),
		    runview_str(r, "trigger", "?"), histfmt_duration(
		    runview_num(r, "duration_ms", 0), d, sizeof(d)));
		cJSON_ArrayForEach(p, cJSON_GetObjectItemCaseSensitive(r,
		    "phases"))
			fprintf(ctx->out, " %s", cJSON_IsString(p) ?
			    p->valuestring : "?");
		fprintf(ctx->out, " (%s)\n", runview_str(r, "root", "?"));
	}
	return 0;
}

static const struct cmd_opt cmd_runs_opts[] = {
	{ "--recent", 0, NULL,
	    "finished runs too", 0 },
	{ "--all", 0, NULL,
	    "every root, finished runs too", 0 },
	{ NULL, 0, NULL, NULL, 0 },
};

const struct cmd_entry cmd_runs_entry = {
	.name = "runs", .alias = NULL, .usage = "[--recent] [--all]",
	.summary = "List running and queued runs of this project (--recent: "
	    "finished too; --all: every root).",
	.args = { .min = 0, .max = 0 }, .proto = PROTO_CMD_RUNS,
	.build = cmd_runs_build, .render = cmd_runs_render,
	.opts = cmd_runs_opts,
	.example = "ggenc runs --recent",
};
