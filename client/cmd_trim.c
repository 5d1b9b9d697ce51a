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
	const struct proto_field *keep_f = proto_field_find(PROTO_CMD_TRIM,
	    "keep");
	const char *v;
	uint64_t keep;
	bool m;
	int i = 0, rc;

	(void)ctx;
	while (i < argc) {
		if ((rc = histfmt_option(argc, argv, &i, "--keep", &v, &m,
		    err)) != 0)
			return rc;
		if (!m)
			return histfmt_unknown("trim", argv[i], err);
		/* The daemon's bounds: the protocol row. */
		if ((rc = histfmt_uint("--keep", v, (uint64_t)keep_f->min,
		    (uint64_t)keep_f->max, &keep, err)) != 0)
			return rc;
		cJSON_AddNumberToObject(fields, "keep", (double)keep);
	}
	return 0;
}

static int
cmd_trim_render(const struct cmd_ctx *ctx, const cJSON *result)
{
	fprintf(ctx->out, "trimmed %.0f runs (keeping %.0f per phase)\n",
	    histfmt_num(result, "deleted"), histfmt_num(result, "keep"));
	return 0;
}

const struct cmd_entry cmd_trim_entry = {
	.name = "trim", .alias = NULL, .usage = "[--keep N]",
	.summary = "Delete all but the newest N runs per phase now.",
	.args = { .min = 0, .max = 2 }, .proto = PROTO_CMD_TRIM,
	.build = cmd_trim_build, .render = cmd_trim_render,
};
