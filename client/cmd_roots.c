/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * cmd_roots.c - `ggenc roots`: a table, one row per watched root, with
 * its make.toml's state (ok, invalid, none); then each invalid one's
 * first error.
 */
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "cmd_entries.h"
#include "commands.h"
#include "escape.h"

static const char *
cmd_roots_state(const cJSON *r)
{
	if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(r, "gone")))
		return "gone";
	return cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(r, "ready")) ?
	    "ready" : "crawling";
}

/* "ok", "invalid" or "none" (no make.toml); "?" from an older daemon. */
static const char *
cmd_roots_model(const cJSON *r)
{
	const char *st = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(
	    cJSON_GetObjectItemCaseSensitive(r, "model"), "state"));

	if (st == NULL)
		return "?";
	return strcmp(st, "absent") == 0 ? "none" : st;
}

static int
cmd_roots_render(const struct cmd_ctx *ctx, const cJSON *result)
{
	const cJSON *r, *arr = cJSON_GetObjectItemCaseSensitive(result,
	    "roots");
	int w = 4;

	if (cJSON_GetArraySize(arr) == 0) {
		fprintf(ctx->out, "no roots watched\n");
		return 0;
	}
	cJSON_ArrayForEach(r, arr) {
		char *root = escape_member(r, "root");

		if ((int)strlen(root) > w)
			w = (int)strlen(root);
		free(root);
	}
	fprintf(ctx->out, "%-*s  %-8s  %-7s  %9s  %s\n", w, "ROOT", "STATE",
	    "MODEL", "FILES", "CLOCK");
	cJSON_ArrayForEach(r, arr) {
		char *root = escape_member(r, "root");
		const cJSON *files = cJSON_GetObjectItemCaseSensitive(r,
		    "files");
		const cJSON *clock = cJSON_GetObjectItemCaseSensitive(r,
		    "clock");

		fprintf(ctx->out, "%-*s  %-8s  %-7s  %9.0f  %s\n", w, root,
		    cmd_roots_state(r), cmd_roots_model(r),
		    cJSON_IsNumber(files) ? files->valuedouble : 0.0,
		    cJSON_IsString(clock) ? clock->valuestring : "?");
		free(root);
	}
	/* Where each invalid make.toml is wrong: nothing runs there. */
	cJSON_ArrayForEach(r, arr) {
		const char *e = cJSON_GetStringValue(
		    cJSON_GetObjectItemCaseSensitive(
		    cJSON_GetObjectItemCaseSensitive(r, "model"), "error"));

		if (strcmp(cmd_roots_model(r), "invalid") == 0)
			fprintf(ctx->out, "invalid: %s (nothing runs until it "
			    "is fixed)\n", e != NULL ? e : "?");
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
