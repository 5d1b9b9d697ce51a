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
	return 0;
}

static int
cmd_history_render(const struct cmd_ctx *ctx, const cJSON *result)
{
	const cJSON *runs = cJSON_GetObjectItemCaseSensitive(result, "runs");
	const cJSON *r, *dur;
	char when[32], d[32];
	int w = 5;
	bool slow = false;

	cJSON_ArrayForEach(r, runs) {
		int len = (int)strlen(histfmt_str(r, "phase"));

		if (len > w)
			w = len < CMD_HISTORY_PHASE_W ? len : CMD_HISTORY_PHASE_W;
	}
	if (cJSON_GetArraySize(runs) == 0) {
		fprintf(ctx->out, "no runs recorded\n");
		return 0;
	}
	fprintf(ctx->out, "%6s  %-19s  %-*s  %-7s  %9s  %s\n", "ID", "WHEN",
	    w, "PHASE", "TRIGGER", "DURATION", "STATUS");
	cJSON_ArrayForEach(r, runs) {
		dur = cJSON_GetObjectItemCaseSensitive(r, "duration_ms");
		fprintf(ctx->out, "%6.0f  %-19s  %-*.*s  %-7s  %9s  %s%s\n",
		    histfmt_num(r, "id"),
		    histfmt_when(histfmt_num(r, "start_us"), when,
		    sizeof(when)), w, w, histfmt_str(r, "phase"),
		    histfmt_str(r, "trigger"),
		    histfmt_duration(cJSON_IsNumber(dur) ? dur->valuedouble :
		    -1.0, d, sizeof(d)), histfmt_str(r, "status"),
		    cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(r, "slow")) ?
		    " (slow)" : "");
		slow |= cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(r,
		    "slow"));
	}
	if (slow)
		fprintf(ctx->out, "\n%s\n", HISTFMT_SLOW_NOTE);
	return 0;
}

static const struct cmd_opt cmd_history_opts[] = {
	{ "--root", 0, "DIR",
	    "only runs of this root", 0 },
	{ "--workspace", 0, "NAME",
	    "only runs of this workspace", 0 },
	{ "--limit", 0, "N",
	    "at most N runs (default 50)", 0 },
	{ "--failed", 0, NULL,
	    "only failed runs", 0 },
	{ "--since", 0, "TIME",
	    "runs after TIME: 2h, 1d, 2026-11-21", 0 },
	{ NULL, 0, NULL, NULL, 0 },
};

const struct cmd_entry cmd_history_entry = {
	.name = "history", .alias = "hist",
	.usage = "[PHASE] [--root DIR] [--workspace NAME] [--limit N] "
	    "[--failed] [--since TIME]",
	.summary = "List recorded runs, newest first (TIME: 2h, 1d, "
	    "2026-11-21).",
	.args = { .min = 0, .max = 1 }, .proto = PROTO_CMD_HISTORY,
	.build = cmd_history_build, .render = cmd_history_render,
	.opts = cmd_history_opts,
	.example = "ggenc history build --failed --since 1d",
};
