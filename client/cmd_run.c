/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * cmd_run.c - `ggenc run [PHASE...] [--root DIR] [--workspace NAME|
 * --all-workspaces] [--force] [--no-remote] [--dry-run] [--detach]
 * [--jobs N] [-e|--env NAME] [--yes]`.
 *
 * Builds the `run` request (root defaults to the current directory,
 * resolved to an absolute path here), streams output and phase progress
 * through runview, and exits 0 or 1 with the run. --dry-run prints the
 * plan with each phase's cache decision; --detach prints the run id and
 * returns at once. $GGEN_ENV travels as env_auto (make.toml decides
 * whether it counts: [env] detect = "auto"). A requires_approval phase is
 * asked about on a terminal (stdin and stderr) and needs --yes elsewhere.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd.h"
#include "cmd_entries.h"
#include "commands.h"
#include "graph.h"
#include "runview.h"
#include "strbuf.h"

static int
cmd_run_build(const struct cmd_ctx *ctx, int argc, char **argv,
    cJSON *fields, struct gerr *err)
{
	cJSON *phases = cJSON_AddArrayToObject(fields, "phases");
	const char *root = cmd_opt_value(ctx, "--root"), *v;
	char abs[PATH_MAX], *end;
	long jobs;

	for (int i = 0; i < argc; i++)
		cJSON_AddItemToArray(phases, cJSON_CreateString(argv[i]));
	if ((v = cmd_opt_value(ctx, "--workspace")) != NULL)
		cJSON_AddStringToObject(fields, "workspace", v);
	if ((v = cmd_opt_value(ctx, "--jobs")) != NULL) {
		/* The daemon's bounds: the protocol row. */
		const struct proto_field *f = proto_field_find(PROTO_CMD_RUN,
		    "jobs");

		errno = 0;
		jobs = strtol(v, &end, 10);
		if (errno != 0 || *end != '\0' || jobs < f->min ||
		    jobs > f->max)
			return gerr_set(err, GERR_INVALID, "--jobs: expected "
			    "%lld..%lld, found \"%s\"", (long long)f->min,
			    (long long)f->max, v);
		cJSON_AddNumberToObject(fields, "jobs", (double)jobs);
	}
	if ((v = cmd_opt_value(ctx, "--env")) != NULL) {
		if (v[0] == '\0')
			return gerr_set(err, GERR_INVALID, "--env: empty "
			    "environment name");
		cJSON_AddStringToObject(fields, "env", v);
	}
	if (cmd_opt_flag(ctx, "--all-workspaces"))
		cJSON_AddTrueToObject(fields, "all_workspaces");
	if (cmd_opt_flag(ctx, "--force"))
		cJSON_AddTrueToObject(fields, "force");
	if (cmd_opt_flag(ctx, "--no-remote"))
		cJSON_AddTrueToObject(fields, "no_remote");
	if (cmd_opt_flag(ctx, "--dry-run"))
		cJSON_AddTrueToObject(fields, "dry_run");
	if (cmd_opt_flag(ctx, "--detach"))
		cJSON_AddTrueToObject(fields, "detach");
	if (cmd_opt_flag(ctx, "--yes"))
		cJSON_AddTrueToObject(fields, "yes");
	if (cmd_project_root(root, abs, err) != 0)
		return err->code;
	cJSON_AddStringToObject(fields, "root", abs);
	v = getenv("GGEN_ENV");
	if (v != NULL && v[0] != '\0')
		cJSON_AddStringToObject(fields, "env_auto", v);
	return 0;
}

/* approval_required: ask on a terminal; elsewhere the error stands. */
static bool
cmd_run_retry(const struct cmd_ctx *ctx, const struct msg_reply *msg,
    cJSON *fields)
{
	char answer[16];
	const char *how;

	(void)ctx;
	if (msg->err_code == NULL ||
	    strcmp(msg->err_code, "approval_required") != 0 ||
	    !isatty(STDIN_FILENO) || !isatty(STDERR_FILENO))
		return false;
	/* The daemon's advice ("confirm on a terminal, or pass --yes")
	 * is what is happening here: ask with the reason alone. */
	how = strstr(msg->err_message, ": confirm on a terminal");
	fprintf(stderr, "ggenc: %.*s. Run it? [y/N] ", how != NULL ?
	    (int)(how - msg->err_message) : (int)strlen(msg->err_message),
	    msg->err_message);
	fflush(stderr);
	if (fgets(answer, sizeof(answer), stdin) == NULL ||
	    (strcmp(answer, "y\n") != 0 && strcmp(answer, "yes\n") != 0 &&
	    strcmp(answer, "Y\n") != 0))
		return false;
	cJSON_AddTrueToObject(fields, "yes");
	return true;
}

static int
cmd_run_render_plan(const struct cmd_ctx *ctx, const cJSON *result)
{
	const cJSON *steps = cJSON_GetObjectItemCaseSensitive(result, "steps");
	const cJSON *s, *c, *after;
	const char *env;
	struct strbuf words = STRBUF_INIT;

	cJSON_ArrayForEach(s, steps) {
		const char *ws = runview_str(s, "workspace", "");
		const char *hook = runview_str(s, "hook", NULL);
		const char *phase = runview_str(s, "phase", "?");

		fprintf(ctx->out, "%s", phase);
		if (ws[0] != '\0')
			fprintf(ctx->out, " [%s]", ws);
		/* In graph's words; a hook written as commands
		 * ([hooks.before_X] commands) is a phase named after it. */
		if (hook != NULL) {
			graph_hook_words(hook, strcmp(hook, phase) == 0, &words);
			fprintf(ctx->out, "  %s", words.buf);
		}
		fprintf(ctx->out, ": cache %s", runview_str(s, "cache", "?"));
		if (runview_str(s, "reason", NULL) != NULL)
			fprintf(ctx->out, " (%s)", runview_str(s, "reason", ""));
		if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(s,
		    "requires_approval")))
			fprintf(ctx->out, " [requires approval]");
		fputc('\n', ctx->out);
		after = cJSON_GetObjectItemCaseSensitive(s, "after");
		if (cJSON_GetArraySize(after) > 0) {
			fprintf(ctx->out, "    after:");
			cJSON_ArrayForEach(c, after)
				fprintf(ctx->out, " %s", cJSON_IsString(c) ?
				    c->valuestring : "?");
			fputc('\n', ctx->out);
		}
		cJSON_ArrayForEach(c, cJSON_GetObjectItemCaseSensitive(s,
		    "env"))
			fprintf(ctx->out, "    %s=%s\n", c->string,
			    cJSON_IsString(c) ? c->valuestring : "?");
		cJSON_ArrayForEach(c, cJSON_GetObjectItemCaseSensitive(s,
		    "commands"))
			fprintf(ctx->out, "    $ %s\n", cJSON_IsString(c) ?
			    c->valuestring : "?");
	}
	env = runview_str(result, "env", NULL);
	fprintf(ctx->out, "environment: %s%s%s%s\n", env != NULL ? env :
	    "none", env != NULL ? " (from " : "",
	    env != NULL ? runview_str(result, "env_source", "?") : "",
	    env != NULL ? ")" : "");
	strbuf_release(&words);
	return 0;
}

static int
cmd_run_render(const struct cmd_ctx *ctx, const cJSON *result)
{
	const char *status = runview_str(result, "status", "?");

	if (cJSON_IsArray(cJSON_GetObjectItemCaseSensitive(result, "steps")))
		return cmd_run_render_plan(ctx, result);
	if (strcmp(status, "queued") == 0 || strcmp(status, "running") == 0) {
		fprintf(ctx->out, "%.0f\n", runview_num(result, "id", 0));
		return 0;
	}
	return runview_summary(ctx, result);
}

static const struct cmd_opt cmd_run_opts[] = {
	{ "--root", 0, "DIR",
	    "the project root (default: the outermost directory from here "
	    "up that holds a make.toml)", 0 },
	{ "--workspace", 0, "NAME",
	    "run in this workspace only", 0 },
	{ "--all-workspaces", 0, NULL,
	    "run in every workspace", 0 },
	{ "--force", 0, NULL,
	    "run even when the cache says the outputs are current", 0 },
	{ "--no-remote", 0, NULL,
	    "this run neither reads nor writes the remote cache", 0 },
	{ "--dry-run", 0, NULL,
	    "print the plan, run nothing", 0 },
	{ "--detach", 0, NULL,
	    "return once queued; follow with `ggenc logs RUN --follow`", 0 },
	{ "--jobs", 0, "N",
	    "phases run at once (1..1024)", 0 },
	{ "--env", 'e', "NAME",
	    "the environment ([env.NAME], [lifecycle.X.env.NAME]) to run in", 0 },
	{ "--yes", 'y', NULL,
	    "approve requires_approval phases without asking", 0 },
	{ NULL, 0, NULL, NULL, 0 },
};

const struct cmd_entry cmd_run_entry = {
	.name = "run", .alias = NULL,
	.usage = "PHASE... [--root DIR] [--workspace NAME|--all-workspaces] "
	    "[--force] [--no-remote] [--dry-run] [--detach] [--jobs N] "
	    "[-e NAME] [--yes]",
	.summary = "Run lifecycle phases with their hooks, streaming output.",
	.args = { .min = 1, .max = 128 }, .proto = PROTO_CMD_RUN,
	.build = cmd_run_build, .render = cmd_run_render,
	.on_message = runview_message,
	.exit_status = runview_exit_status,
	.opts = cmd_run_opts,
	.retry = cmd_run_retry,
	.example = "ggenc run build\n" "ggenc run test --root ~/src/project --force\n"
	    "ggenc run deploy -e production --yes",
};
