/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * cmd_hash.c - `ggenc hash PATH`: the XXH3-128 of a file, as 32 hex digits
 * and the path (like sha256sum).
 */
#include <stdlib.h>

#include "cmd.h"
#include "cmd_entries.h"
#include "commands.h"
#include "escape.h"

static int
cmd_hash_build(const struct cmd_ctx *ctx, int argc, char **argv,
    cJSON *fields, struct gerr *err)
{
	(void)ctx;
	return cmd_root_field(argc, argv, fields, "path", err);
}

static int
cmd_hash_render(const struct cmd_ctx *ctx, const cJSON *result)
{
	const cJSON *h = cJSON_GetObjectItemCaseSensitive(result, "hash");
	char *p = escape_member(result, "path");

	fprintf(ctx->out, "%s  %s\n", cJSON_IsString(h) ? h->valuestring : "?",
	    p);
	free(p);
	return 0;
}

const struct cmd_entry cmd_hash_entry = {
	.name = "hash", .alias = NULL, .usage = "PATH",
	.summary = "Show the XXH3-128 content hash of a file.",
	.args = { .min = 1, .max = 1 }, .proto = PROTO_CMD_HASH,
	.build = cmd_hash_build, .render = cmd_hash_render,
	.example = "ggenc hash src/main.c",
};
