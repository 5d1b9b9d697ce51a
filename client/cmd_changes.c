/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * cmd_changes.c - `ggenc changes [--since CLOCK] [ROOT]`: files added (+),
 * modified (~) and removed (-) since CLOCK, then "clock N" to pass as the
 * next --since. A "fresh" answer (no, unknown or too old clock) lists
 * every file and says so on stderr.
 */
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "cmd_entries.h"
#include "commands.h"
#include "escape.h"

static int
cmd_changes_build(const struct cmd_ctx *ctx, int argc, char **argv,
    cJSON *fields, struct gerr *err)
{
	const char *since = cmd_opt_value(ctx, "--since");

	if (since != NULL)
		cJSON_AddStringToObject(fields, "since", since);
	return cmd_root_field(argc, argv, fields, "root", err);
}

static int
cmd_changes_render(const struct cmd_ctx *ctx, const cJSON *result)
{
	const cJSON *f, *files = cJSON_GetObjectItemCaseSensitive(result,
	    "files");
	const cJSON *clock = cJSON_GetObjectItemCaseSensitive(result, "clock");

	if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(result, "fresh")))
		fprintf(stderr, "ggenc: fresh list (no clock, or one this "
		    "daemon does not know): every file is listed\n");
	cJSON_ArrayForEach(f, files) {
		const cJSON *kind = cJSON_GetObjectItemCaseSensitive(f, "kind");
		const char *k = cJSON_IsString(kind) ? kind->valuestring : "";
		/* A newline in a file name must not make two lines. */
		char *shown = escape_member(f, "path");

		fprintf(ctx->out, "%c %s\n", strcmp(k, "added") == 0 ? '+' :
		    strcmp(k, "removed") == 0 ? '-' : '~', shown);
		free(shown);
	}
	fprintf(ctx->out, "clock %s\n",
	    cJSON_IsString(clock) ? clock->valuestring : "?");
	return 0;
}

static const struct cmd_opt cmd_changes_opts[] = {
	{ "--since", 0, "CLOCK",
	    "changes after this clock (from a previous reply); default: all files", 0 },
	{ NULL, 0, NULL, NULL, 0 },
};

const struct cmd_entry cmd_changes_entry = {
	.name = "changes", .alias = NULL, .usage = "[--since CLOCK] [ROOT]",
	.summary = "Files added, modified and removed since a clock.",
	.args = { .min = 0, .max = 1 }, .proto = PROTO_CMD_CHANGES,
	.build = cmd_changes_build, .render = cmd_changes_render,
	.opts = cmd_changes_opts,
	.example = "ggenc changes .\n"
	    "ggenc changes --since c:bcf6137b15f21846:e75217a0:6 .",
};
