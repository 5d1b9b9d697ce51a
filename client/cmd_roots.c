/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * cmd_roots.c - `ggenc roots`: one line per watched root.
 */
#include "cmd.h"
#include "cmd_entries.h"
#include "commands.h"

static int
cmd_roots_render(const struct cmd_ctx *ctx, const cJSON *result)
{
	const cJSON *r, *arr = cJSON_GetObjectItemCaseSensitive(result,
	    "roots");

	cJSON_ArrayForEach(r, arr) {
		const cJSON *root = cJSON_GetObjectItemCaseSensitive(r, "root");
		const cJSON *files = cJSON_GetObjectItemCaseSensitive(r,
		    "files");
		const cJSON *clock = cJSON_GetObjectItemCaseSensitive(r,
		    "clock");

		fprintf(ctx->out, "%s\t%s\t%.0f files\tclock %s\n",
		    cJSON_IsString(root) ? root->valuestring : "?",
		    cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(r, "gone")) ?
		    "gone" : cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(r,
		    "ready")) ? "ready" : "crawling",
		    cJSON_IsNumber(files) ? files->valuedouble : 0.0,
		    cJSON_IsString(clock) ? clock->valuestring : "?");
	}
	return 0;
}

const struct cmd_entry cmd_roots_entry = {
	.name = "roots", .alias = NULL, .usage = "",
	.summary = "List the watched roots.",
	.args = { .min = 0, .max = 0 }, .proto = PROTO_CMD_ROOTS,
	.render = cmd_roots_render,
	.example = "ggenc roots",
};
