/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * cmd_config.c - `ggenc config get [KEY]`: the daemon's live settings, one
 * "key = value (source)" line each; --json prints the reply.
 */
#include <string.h>

#include "cmd.h"
#include "cmd_entries.h"
#include "commands.h"

static int
cmd_config_build(const struct cmd_ctx *ctx, int argc, char **argv,
    cJSON *fields, struct gerr *err)
{
	(void)ctx;
	if (strcmp(argv[0], "get") != 0)
		return gerr_set(err, GERR_INVALID,
		    "config: expected \"get\", found \"%.64s\"", argv[0]);
	if (argc > 1)
		cJSON_AddStringToObject(fields, "key", argv[1]);
	return 0;
}

static int
cmd_config_render(const struct cmd_ctx *ctx, const cJSON *result)
{
	const cJSON *s;

	cJSON_ArrayForEach(s, cJSON_GetObjectItemCaseSensitive(result,
	    "settings")) {
		const char *v[3] = { "key", "value", "source" };

		for (size_t i = 0; i < 3; i++) {
			v[i] = cJSON_GetStringValue(
			    cJSON_GetObjectItemCaseSensitive(s, v[i]));
			if (v[i] == NULL)
				v[i] = "?";
		}
		fprintf(ctx->out, "%s = %s (%s)\n", v[0], v[1], v[2]);
	}
	return 0;
}

const struct cmd_entry cmd_config_entry = {
	.name = "config", .alias = NULL, .usage = "get [KEY]",
	.summary = "Show the daemon's live settings and where each came from.",
	.args = { .min = 1, .max = 2 }, .proto = PROTO_CMD_CONFIG,
	.build = cmd_config_build, .render = cmd_config_render,
};
