/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * cmd_run.c - `ggenc run [PHASE...] [--root DIR] [--workspace NAME|
 * --all-workspaces] [--force] [--no-remote] [--dry-run] [--detach]
 * [--jobs N]`.
 *
 * Builds the `run` request (root defaults to the current directory,
 * resolved to an absolute path here), streams output and phase progress
 * through runview, and exits 0 or 1 with the run. --dry-run prints the
 * plan with each phase's cache decision; --detach prints the run id and
 * returns at once.
 */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "cmd_entries.h"
#include "commands.h"
#include "runview.h"

static int
cmd_run_build(const struct cmd_ctx *ctx, int argc, char **argv,
    cJSON *fields, struct gerr *err)
{
	cJSON *phases = cJSON_AddArrayToObject(fields, "phases");
	const char *root = ".", *v;
	char abs[PATH_MAX], *end;
	long jobs;

	(void)ctx;
	for (int i = 0; i < argc; i++) {
		const char *a = argv[i];

		if (a[0] != '-' || a[1] == '\0') {
			cJSON_AddItemToArray(phases, cJSON_CreateString(a));
		} else if (cmd_option(argc, argv, &i, "--root", &v,
		    err) > 0) {
			root = v;
		} else if (cmd_option(argc, argv, &i, "--workspace", &v,
		    err) > 0) {
			cJSON_AddStringToObject(fields, "workspace", v);
		} else if (cmd_option(argc, argv, &i, "--jobs", &v,
		    err) > 0) {
			errno = 0;
			jobs = strtol(v, &end, 10);
			if (errno != 0 || *end != '\0' || jobs < 1 ||
			    jobs > 1024)
				return gerr_set(err, GERR_INVALID, "--jobs: "
				    "expected 1..1024, found \"%s\"", v);
			cJSON_AddNumberToObject(fields, "jobs", (double)jobs);
		} else if (err != NULL && err->code != GERR_OK) {
			return err->code;
		} else if (strcmp(a, "--all-workspaces") == 0) {
			cJSON_AddTrueToObject(fields, "all_workspaces");
		} else if (strcmp(a, "--force") == 0) {
			cJSON_AddTrueToObject(fields, "force");
		} else if (strcmp(a, "--no-remote") == 0) {
			cJSON_AddTrueToObject(fields, "no_remote");
		} else if (strcmp(a, "--dry-run") == 0) {
			cJSON_AddTrueToObject(fields, "dry_run");
		} else if (strcmp(a, "--detach") == 0) {
			cJSON_AddTrueToObject(fields, "detach");
		} else {
			return gerr_set(err, GERR_INVALID, "run: unknown option "
			    "\"%s\"", a);
		}
	}
	if (err != NULL && err->code != GERR_OK)
		return err->code;
	if (cJSON_GetArraySize(phases) == 0)
		return gerr_set(err, GERR_INVALID, "run: no phase given");
	if (realpath(root, abs) == NULL)
		return gerr_set(err, GERR_ROOT_NOT_FOUND, "root %s: %s", root,
		    strerror(errno));
	cJSON_AddStringToObject(fields, "root", abs);
	return 0;
}

static int
cmd_run_render_plan(const struct cmd_ctx *ctx, const cJSON *result)
{
	const cJSON *steps = cJSON_GetObjectItemCaseSensitive(result, "steps");
	const cJSON *s, *c;

	cJSON_ArrayForEach(s, steps) {
		const char *ws = runview_str(s, "workspace", "");
		const char *hook = runview_str(s, "hook", NULL);

		fprintf(ctx->out, "%s", runview_str(s, "phase", "?"));
		if (ws[0] != '\0')
			fprintf(ctx->out, " [%s]", ws);
		if (hook != NULL)
			fprintf(ctx->out, " (%s)", hook);
		fprintf(ctx->out, ": cache %s", runview_str(s, "cache", "?"));
		if (runview_str(s, "reason", NULL) != NULL)
			fprintf(ctx->out, " (%s)", runview_str(s, "reason", ""));
		fputc('\n', ctx->out);
		cJSON_ArrayForEach(c, cJSON_GetObjectItemCaseSensitive(s,
		    "commands"))
			fprintf(ctx->out, "    $ %s\n", cJSON_IsString(c) ?
			    c->valuestring : "?");
	}
	return 0;
}

static int
cmd_run_render(const struct cmd_ctx *ctx, const cJSON *result)
{
	const char *status = runview_str(result, "status", "?");

	if (cJSON_IsArray(cJSON_GetObjectItemCaseSensitive(result, "steps")))
		return cmd_run_render_plan(ctx, result);
	if (strcmp(status, "queued") == 0 || strcmp(status, "running") == 0) {
		fprintf(ctx->out, "%.0f\n", runview_num(result, "run", 0));
		return 0;
	}
	return runview_summary(ctx, result);
}

const struct cmd_entry cmd_run_entry = {
	.name = "run", .alias = NULL,
	.usage = "PHASE... [--root DIR] [--workspace NAME|--all-workspaces] "
	    "[--force] [--no-remote] [--dry-run] [--detach] [--jobs N]",
	.summary = "Run lifecycle phases with their hooks, streaming output.",
	.args = { .min = 1, .max = 128 }, .proto = PROTO_CMD_RUN,
	.build = cmd_run_build, .render = cmd_run_render,
	.on_message = runview_message,
};
