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
	bool m, all = false;
	int i = 0, rc;

	(void)ctx;
	while (i < argc) {
		if (strcmp(argv[i], "--all") == 0) {
			all = true;
			i++;
			continue;
		}
		if ((rc = histfmt_filter_arg("history", argc, argv, &i, fields,
		    &m, err)) != 0)
			return rc;
		if (m)
			continue;
		if ((rc = histfmt_option(argc, argv, &i, "--limit", &v, &m,
		    err)) != 0)
			return rc;
		if (m) {
			if ((rc = histfmt_uint("--limit", v, 0, 1000000,
			    &limit, err)) != 0)
				return rc;
			cJSON_AddNumberToObject(fields, "limit", (double)limit);
			continue;
		}
		if ((rc = histfmt_option(argc, argv, &i, "--since", &v, &m,
		    err)) != 0)
			return rc;
		if (m) {
			cJSON_AddStringToObject(fields, "since", v);
			continue;
		}
		if ((rc = histfmt_option(argc, argv, &i, "--workspace", &v, &m,
		    err)) != 0)
			return rc;
		if (m) {
			cJSON_AddStringToObject(fields, "workspace", v);
			continue;
		}
		if (strcmp(argv[i], "--failed") != 0)
			return histfmt_unknown("history", argv[i], err);
		cJSON_AddTrueToObject(fields, "failed");
		i++;
	}
	return histfmt_scope(fields, all, err);
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

const struct cmd_entry cmd_history_entry = {
	.name = "history", .alias = "hist",
	.usage = "[PHASE] [--root DIR|--all] [--workspace NAME] [--limit N] "
	    "[--failed] [--since TIME]",
	.summary = "List recorded runs, newest first (TIME: 2h, 1d, "
	    "2026-11-21).",
	.args = { .min = 0, .max = 12 }, .proto = PROTO_CMD_HISTORY,
	.build = cmd_history_build, .render = cmd_history_render,
};
