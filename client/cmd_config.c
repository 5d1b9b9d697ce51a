/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * cmd_config.c - `ggenc config get [KEY]`: the daemon's live settings, one
 * aligned "key  value  source" row each; `ggenc config set KEY VALUE`
 * changes a live one (rows without CFG_RESTART) until the daemon restarts.
 * --json prints the reply.
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
	if (strcmp(argv[0], "set") == 0) {
		if (argc != 3)
			return gerr_set(err, GERR_INVALID,
			    "config set: expected KEY VALUE");
		cJSON_AddStringToObject(fields, "key", argv[1]);
		cJSON_AddStringToObject(fields, "value", argv[2]);
		return 0;
	}
	if (strcmp(argv[0], "get") != 0)
		return gerr_set(err, GERR_INVALID, "config: expected \"get\" or "
		    "\"set\", found \"%.64s\"", argv[0]);
	if (argc > 2)
		return gerr_set(err, GERR_INVALID, "config get: one KEY at most");
	if (argc > 1)
		cJSON_AddStringToObject(fields, "key", argv[1]);
	return 0;
}

static int
cmd_config_render(const struct cmd_ctx *ctx, const cJSON *result)
{
	const cJSON *settings = cJSON_GetObjectItemCaseSensitive(result,
	    "settings");
	const cJSON *s;
	int kw = 3, vw = 5;

	if (cJSON_IsString(cJSON_GetObjectItemCaseSensitive(result,
	    "changed")) && cJSON_GetArraySize(settings) == 1) {
		const cJSON *one = cJSON_GetArrayItem(settings, 0);

		fprintf(ctx->out, "%s = %s (until the daemon stops; kept by "
		    "reload and restart)\n", cJSON_GetStringValue(
		    cJSON_GetObjectItemCaseSensitive(one, "key")),
		    cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(one,
		    "value")));
		return 0;
	}
	/* One key asked for: its value alone, as `git config` does, for
	 * scripts ($(ggenc config get log.level)). */
	if (cJSON_GetArraySize(settings) == 1 && !cJSON_IsTrue(
	    cJSON_GetObjectItemCaseSensitive(result, "all"))) {
		const char *v = cJSON_GetStringValue(
		    cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(
		    settings, 0), "value"));

		fprintf(ctx->out, "%s\n", v != NULL ? v : "");
		return 0;
	}
	/* Two passes: the columns are as wide as their longest cell. */
	cJSON_ArrayForEach(s, settings) {
		const char *k = cJSON_GetStringValue(
		    cJSON_GetObjectItemCaseSensitive(s, "key"));
		const char *v = cJSON_GetStringValue(
		    cJSON_GetObjectItemCaseSensitive(s, "value"));

		if (k != NULL && (int)strlen(k) > kw)
			kw = (int)strlen(k);
		if (v != NULL && (int)strlen(v) > vw && strlen(v) < 40)
			vw = (int)strlen(v);
	}
	fprintf(ctx->out, "%-*s  %-*s  %s\n", kw, "KEY", vw, "VALUE",
	    "SOURCE");
	cJSON_ArrayForEach(s, settings) {
		const char *v[3] = { "key", "value", "source" };

		for (size_t i = 0; i < 3; i++) {
			v[i] = cJSON_GetStringValue(
			    cJSON_GetObjectItemCaseSensitive(s, v[i]));
			if (v[i] == NULL)
				v[i] = "?";
		}
		fprintf(ctx->out, "%-*s  %-*s  %s%s\n", kw, v[0], vw,
		    v[1][0] != '\0' ? v[1] : "\"\"", v[2],
		    cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(s,
		    "restart")) ? ", restart to change" : "");
	}
	return 0;
}

const struct cmd_entry cmd_config_entry = {
	.name = "config", .alias = NULL, .usage = "get [KEY] | set KEY VALUE",
	.summary = "Show the daemon's settings and where each came from; "
	    "set a live one.",
	.args = { .min = 1, .max = 3 }, .proto = PROTO_CMD_CONFIG,
	.build = cmd_config_build, .render = cmd_config_render,
	.example = "ggenc config get\n" "ggenc config get log.level\n" "ggenc config set log.level debug",
};
