/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * cmd_trim.c - `ggenc trim [--keep N]`: keep only the newest N runs per
 * (root, workspace, phase) now (default: the daemon's history.keep).
 */
#include "cmd.h"
#include "cmd_entries.h"
#include "commands.h"
#include "histfmt.h"

static int
cmd_trim_build(const struct cmd_ctx *ctx, int argc, char **argv,
    cJSON *fields, struct gerr *err)
{
	const char *v = cmd_opt_value(ctx, "--keep");
	/* The daemon's bounds: the protocol row. */
	const struct proto_field *keep_f = proto_field_find(PROTO_CMD_TRIM,
	    "keep");
	uint64_t keep;
	int rc;

	(void)argc;
	(void)argv;
	if (v == NULL)
		return 0;
	if ((rc = histfmt_uint("--keep", v, (uint64_t)keep_f->min,
	    (uint64_t)keep_f->max, &keep, err)) != 0)
		return rc;
	cJSON_AddNumberToObject(fields, "keep", (double)keep);
	return 0;
}

static int
cmd_trim_render(const struct cmd_ctx *ctx, const cJSON *result)
{
	fprintf(ctx->out, "trimmed %.0f runs (keeping %.0f per phase)\n",
	    histfmt_num(result, "deleted"), histfmt_num(result, "keep"));
	return 0;
}

static const struct cmd_opt cmd_trim_opts[] = {
	{ "--keep", 0, "N",
	    "runs kept per phase (default: history.keep)", 0 },
	{ NULL, 0, NULL, NULL, 0 },
};

const struct cmd_entry cmd_trim_entry = {
	.name = "trim", .alias = NULL, .usage = "[--keep N]",
	.summary = "Delete all but the newest N runs per phase now.",
	.args = { .min = 0, .max = 0 }, .proto = PROTO_CMD_TRIM,
	.build = cmd_trim_build, .render = cmd_trim_render,
	.opts = cmd_trim_opts,
	.example = "ggenc trim --keep 10",
};
