/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * cmd_stats.c - `ggenc stats [PHASE] [--root DIR]`: per phase over the
 * retained runs: runs, success rate, cache hit rate, p50/p95 duration.
 */
#include <string.h>

#include "cmd.h"
#include "cmd_entries.h"
#include "commands.h"
#include "histfmt.h"

static int
cmd_stats_build(const struct cmd_ctx *ctx, int argc, char **argv,
    cJSON *fields, struct gerr *err)
{
	bool m, all = false;
	int i = 0, rc;

	(void)ctx;
	while (i < argc) {
		if (strcmp(argv[i], "--all") == 0) {
			all = true;
			i++;
			continue;
		}
		if ((rc = histfmt_filter_arg("stats", argc, argv, &i, fields,
		    &m, err)) != 0)
			return rc;
		if (!m)
			return histfmt_unknown("stats", argv[i], err);
	}
	return histfmt_scope(fields, all, err);
}

static int
cmd_stats_render(const struct cmd_ctx *ctx, const cJSON *result)
{
	const cJSON *arr = cJSON_GetObjectItemCaseSensitive(result, "phases");
	const cJSON *p;
	char p50[32], p95[32];
	int w = 5;
	/* Every root: one row per (root, phase), with its root. */
	bool roots = cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(result,
	    "root"));

	if (cJSON_GetArraySize(arr) == 0) {
		fprintf(ctx->out, "no runs recorded\n");
		return 0;
	}
	cJSON_ArrayForEach(p, arr)
		if ((int)strlen(histfmt_str(p, "phase")) > w)
			w = (int)strlen(histfmt_str(p, "phase"));
	if (w > 32)
		w = 32;
	fprintf(ctx->out, "%-*s  %6s  %7s  %7s  %9s  %9s%s\n", w, "PHASE",
	    "RUNS", "SUCCESS", "CACHED", "P50", "P95", roots ? "  ROOT" : "");
	cJSON_ArrayForEach(p, arr)
		fprintf(ctx->out,
		    "%-*.*s  %6.0f  %6.1f%%  %6.1f%%  %9s  %9s%s%s\n",
		    w, w, histfmt_str(p, "phase"), histfmt_num(p, "runs"),
		    histfmt_num(p, "success_rate") * 100.0,
		    histfmt_num(p, "cache_hit_rate") * 100.0,
		    histfmt_duration(histfmt_num(p, "p50_ms"), p50,
		    sizeof(p50)), histfmt_duration(histfmt_num(p, "p95_ms"),
		    p95, sizeof(p95)), roots ? "  " : "",
		    roots ? histfmt_str(p, "root") : "");
	return 0;
}

const struct cmd_entry cmd_stats_entry = {
	.name = "stats", .alias = NULL, .usage = "[PHASE] [--root DIR|--all]",
	.summary = "Per phase: runs, success and cache hit rates, p50/p95.",
	.args = { .min = 0, .max = 4 }, .proto = PROTO_CMD_STATS,
	.build = cmd_stats_build, .render = cmd_stats_render,
};
