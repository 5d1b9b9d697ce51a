/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * cmd_reload.c - `ggenc reload`: the daemon re-reads its settings file
 * (what SIGHUP does) and answers with the findings; exit 1 when the file
 * had errors and was not applied.
 */
#include "cmd.h"
#include "cmd_entries.h"
#include "commands.h"
#include "errors.h"

static int
cmd_reload_render(const struct cmd_ctx *ctx, const cJSON *result)
{
	const cJSON *config = cJSON_GetObjectItemCaseSensitive(result,
	    "config");
	const char *file = cJSON_GetStringValue(
	    cJSON_GetObjectItemCaseSensitive(config, "file"));
	bool applied = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(result,
	    "applied"));
	bool loaded = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(config,
	    "loaded"));
	const cJSON *m;

	if (!applied)
		fprintf(ctx->out, "not applied: %s has errors; the previous "
		    "settings stay\n", file != NULL ? file : "the settings "
		    "file");
	else if (file == NULL || !loaded)
		fprintf(ctx->out, "reloaded: no settings file%s%s; defaults "
		    "and --set values\n", file != NULL ? " at " : "",
		    file != NULL ? file : "");
	else
		fprintf(ctx->out, "reloaded %s\n", file);
	cJSON_ArrayForEach(m, cJSON_GetObjectItemCaseSensitive(config,
	    "messages"))
		if (cJSON_IsString(m))
			fprintf(ctx->out, "  %s\n", m->valuestring);
	return applied ? 0 : ERR_EXIT_FAILED;
}

static int
cmd_reload_status(const cJSON *result)
{
	return cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(result,
	    "applied")) ? 0 : ERR_EXIT_FAILED;
}

const struct cmd_entry cmd_reload_entry = {
	.name = "reload", .alias = NULL, .usage = "",
	.summary = "Re-read the daemon's settings file (as SIGHUP does).",
	.args = { .min = 0, .max = 0 }, .proto = PROTO_CMD_RELOAD,
	.render = cmd_reload_render, .exit_status = cmd_reload_status,
	.example = "ggenc reload",
};
