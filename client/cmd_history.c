/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * cmd_history.c - `ggenc history [PHASE] [--root DIR] [--workspace NAME]
 * [--limit N] [--failed] [--since TIME]`: recorded runs, newest first, as
 * a table (id, when, phase, trigger, duration, status). TIME is sent as
 * typed; the daemon parses it (ages like 2h, 1d; ISO dates).
 */
#include <string.h>

#include "cmd.h"
#include "cmd_entries.h"
#include "color.h"
#include "commands.h"
#include "histfmt.h"

/* Widest phase column; longer names are cut. */
#define CMD_HISTORY_PHASE_W 32

static int
cmd_history_build(const struct cmd_ctx *ctx, int argc, char **argv,
    cJSON *fields, struct gerr *err)
{
	const char *v;
	uint64_t limit;
	int rc;

	if ((rc = histfmt_filters(ctx, argc, argv, fields, err)) != 0)
		return rc;
	if ((v = cmd_opt_value(ctx, "--limit")) != NULL) {
		if ((rc = histfmt_uint("--limit", v, 0, 1000000, &limit,
		    err)) != 0)
			return rc;
		cJSON_AddNumberToObject(fields, "limit", (double)limit);
	}
	if ((v = cmd_opt_value(ctx, "--since")) != NULL)
		cJSON_AddStringToObject(fields, "since", v);
	if ((v = cmd_opt_value(ctx, "--workspace")) != NULL)
		cJSON_AddStringToObject(fields, "workspace", v);
	if (cmd_opt_flag(ctx, "--failed"))
		cJSON_AddTrueToObject(fields, "failed");
	return histfmt_scope(fields, cmd_opt_flag(ctx, "--all"), err);
}

static int
cmd_history_render(const struct cmd_ctx *ctx, const cJSON *result)
{
	const cJSON *runs = cJSON_GetObjectItemCaseSensitive(result, "runs");
	const cJSON *r, *dur;
	/* Every root: a ROOT column, since ids alone do not say which. */
	bool roots = cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(result,
	    "root"));
	char when[32], d[32];
	int w = 5;

	cJSON_ArrayForEach(r, runs) {
		int len = (int)strlen(histfmt_str(r, "phase"));

		if (len > w)
			w = len < CMD_HISTORY_PHASE_W ? len : CMD_HISTORY_PHASE_W;
	}
	if (cJSON_GetArraySize(runs) == 0) {
		fprintf(ctx->out, "no runs recorded\n");
		return 0;
	}
	fprintf(ctx->out, "%6s  %-19s  %-*s  %-7s  %9s  %-*s%s\n", "ID",
	    "WHEN", w, "PHASE", "TRIGGER", "DURATION", roots ? 11 : 0,
	    "STATUS", roots ? "  ROOT" : "");
	cJSON_ArrayForEach(r, runs) {
		const char *st = histfmt_str(r, "status");
		bool slow = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(r,
		    "slow"));
		char status[48];

		dur = cJSON_GetObjectItemCaseSensitive(r, "duration_ms");
		snprintf(status, sizeof(status), "%s%s", st, slow ? " (slow)" :
		    "");
		fprintf(ctx->out, "%6.0f  %-19s  %-*.*s  %-7s  %9s  %s%-*s%s",
		    histfmt_num(r, "id"),
		    histfmt_when(histfmt_num(r, "start_us"), when,
		    sizeof(when)), w, w, histfmt_str(r, "phase"),
		    histfmt_str(r, "trigger"),
		    histfmt_duration(cJSON_IsNumber(dur) ? dur->valuedouble :
		    -1.0, d, sizeof(d)), color_on(ctx->color,
		    color_status(st)), roots ? 11 : 0, status,
		    color_off(ctx->color));
		if (roots)
			fprintf(ctx->out, "  %s", histfmt_str(r, "root"));
		fputc('\n', ctx->out);
	}
	return 0;
}

static const struct cmd_opt cmd_history_opts[] = {
	{ "--root", 0, "DIR",
	    "only runs of this root (default: the project holding the current directory)", 0 },
	{ "--all", 0, NULL,
	    "runs of every root, with a ROOT column", 0 },
	{ "--workspace", 0, "NAME",
	    "only runs of this workspace", 0 },
	{ "--limit", 0, "N",
	    "at most N runs (default 20, 0: no limit)", 0 },
	{ "--failed", 0, NULL,
	    "only failed, timed out, cancelled or interrupted runs", 0 },
	{ "--since", 0, "TIME",
	    "runs after TIME: 2h, 1d, 2026-11-21", 0 },
	{ NULL, 0, NULL, NULL, 0 },
};

const struct cmd_entry cmd_history_entry = {
	.name = "history", .alias = "hist",
	.usage = "[PHASE] [--root DIR|--all] [--workspace NAME] [--limit N] "
	    "[--failed] [--since TIME]",
	.summary = "List recorded runs, newest first (TIME: 2h, 1d, "
	    "2026-11-21).",
	.args = { .min = 0, .max = 1 }, .proto = PROTO_CMD_HISTORY,
	.build = cmd_history_build, .render = cmd_history_render,
	.opts = cmd_history_opts,
	.example = "ggenc history build --failed --since 1d\n" "ggenc history --all --limit 5",
};
