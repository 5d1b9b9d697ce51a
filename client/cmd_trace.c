/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * cmd_trace.c - `ggenc trace RUN [--format chrome]`: the run as Chrome
 * trace-event JSON on stdout (`ggenc trace 12 > t.json`, then open it in
 * Perfetto or chrome://tracing). --json prints the whole reply instead.
 */
#include <string.h>

#include "cmd.h"
#include "cmd_entries.h"
#include "commands.h"
#include "histfmt.h"

static int
cmd_trace_build(const struct cmd_ctx *ctx, int argc, char **argv,
    cJSON *fields, struct gerr *err)
{
	const char *v, *run = NULL;
	bool m;
	int i = 0, rc;

	(void)ctx;
	while (i < argc) {
		if ((rc = histfmt_option(argc, argv, &i, "--format", &v, &m,
		    err)) != 0)
			return rc;
		if (m) {
			if (strcmp(v, "chrome") != 0)
				return gerr_set(err, GERR_INVALID, "--format: "
				    "expected \"chrome\", found \"%.32s\"", v);
			cJSON_AddStringToObject(fields, "format", v);
			continue;
		}
		if (argv[i][0] == '-' && argv[i][1] != '\0')
			return histfmt_unknown("trace", argv[i], err);
		if (run != NULL)
			return gerr_set(err, GERR_INVALID, "trace: one RUN");
		run = argv[i++];
	}
	/* No RUN: the latest run of this project. */
	if ((rc = histfmt_run_id("RUN", run != NULL ? run : "last", fields,
	    "run", err)) != 0 || (rc = histfmt_scope(fields, false, err)) != 0)
		return rc;
	return 0;
}

static int
cmd_trace_render(const struct cmd_ctx *ctx, const cJSON *result)
{
	char *text = cJSON_PrintUnformatted(
	    cJSON_GetObjectItemCaseSensitive(result, "trace"));

	fprintf(ctx->out, "%s\n", text != NULL ? text : "{}");
	cJSON_free(text);
	return 0;
}

const struct cmd_entry cmd_trace_entry = {
	.name = "trace", .alias = NULL,
	.usage = "[RUN|last|-N] [--format chrome]",
	.summary = "Print a recorded run as Chrome trace JSON (Perfetto).",
	.args = { .min = 0, .max = 3 }, .proto = PROTO_CMD_TRACE,
	.build = cmd_trace_build, .render = cmd_trace_render,
};
