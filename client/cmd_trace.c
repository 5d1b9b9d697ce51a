/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * cmd_trace.c - `ggenc trace RUN [--format chrome]`: the run as Chrome
 * trace-event JSON on stdout (`ggenc trace 12 > t.json`, then open it in
 * Perfetto or chrome://tracing). --json prints the whole reply instead.
 */
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "cmd_entries.h"
#include "commands.h"
#include "histfmt.h"
#include "message.h"
#include "xmalloc.h"

static int
cmd_trace_build(const struct cmd_ctx *ctx, int argc, char **argv,
    cJSON *fields, struct gerr *err)
{
	const char *v = cmd_opt_value(ctx, "--format");
	int rc;

	if (v != NULL) {
		if (strcmp(v, "chrome") != 0)
			return gerr_set(err, GERR_INVALID, "--format: expected "
			    "\"chrome\", found \"%.32s\"", v);
		cJSON_AddStringToObject(fields, "format", v);
	}
	/* No RUN: the latest run of this project. */
	if ((rc = histfmt_run_id("RUN", argc > 0 ? argv[0] : "last", fields,
	    "run", err)) != 0 || (rc = histfmt_scope(fields, false, err)) != 0)
		return rc;
	return 0;
}

static int
cmd_trace_render(const struct cmd_ctx *ctx, const cJSON *result)
{
	const cJSON *trace = cJSON_GetObjectItemCaseSensitive(result,
	    "trace");
	char *text = trace != NULL ? msg_json_print(trace) : xstrdup("{}");

	fprintf(ctx->out, "%s\n", text);
	free(text);
	return 0;
}

static const struct cmd_opt cmd_trace_opts[] = {
	{ "--format", 0, "FORMAT",
	    "output format: chrome (the default)", 0 },
	{ NULL, 0, NULL, NULL, 0 },
};

const struct cmd_entry cmd_trace_entry = {
	.name = "trace", .alias = NULL,
	.usage = "[RUN|last|-N] [--format chrome]",
	.summary = "Print a recorded run as Chrome trace JSON (Perfetto).",
	.args = { .min = 0, .max = 1 }, .proto = PROTO_CMD_TRACE,
	.build = cmd_trace_build, .render = cmd_trace_render,
	.opts = cmd_trace_opts,
	.example = "ggenc trace 42 > run42.json   # open in ui.perfetto.dev\n" "ggenc trace last > t.json",
};
