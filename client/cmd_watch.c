/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * cmd_watch.c - `ggenc watch [DIR]`: watch DIR (default: the current
 * directory) and return once it is crawled and hashed. On a terminal,
 * progress (files seen, files hashed) is redrawn on stderr. An invalid
 * make.toml is a warning on stderr with its first error (file:line:col);
 * the root is watched all the same and the exit status stays 0.
 * Also home of cmd_abs_path, which every root-taking command uses: the
 * daemon's working directory is not the user's, so paths go absolute, and
 * of cmd_project_root, the project of run, graph and dev.
 */
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd.h"
#include "cmd_entries.h"
#include "commands.h"
#include "xmalloc.h"

int
cmd_abs_path(const char *arg, char **out, struct gerr *err)
{
	char buf[PATH_MAX];

	if (realpath(arg, buf) != NULL) {
		*out = xstrdup(buf);
		return 0;
	}
	/* Let the daemon name the problem, with the path made absolute. */
	if (arg[0] == '/') {
		*out = xstrdup(arg);
		return 0;
	}
	if (getcwd(buf, sizeof(buf)) == NULL)
		return gerr_set(err, GERR_IO, "getcwd: %s", strerror(errno));
	*out = xasprintf("%s/%s", buf, arg);
	return 0;
}

int
cmd_project_root(const char *root, char *abs, struct gerr *err)
{
	char dir[PATH_MAX], probe[PATH_MAX + 16];
	char *slash;
	bool found = false;

	if (root != NULL) {
		if (realpath(root, abs) == NULL)
			return gerr_set(err, GERR_ROOT_NOT_FOUND, "root %s: %s",
			    root, strerror(errno));
		snprintf(probe, sizeof(probe), "%s/make.toml",
		    strcmp(abs, "/") == 0 ? "" : abs);
		if (access(probe, F_OK) != 0)
			return gerr_set(err, GERR_NOT_FOUND, "no make.toml in "
			    "%s; `ggenc init %s` writes one", abs, root);
		return 0;
	}
	if (realpath(".", dir) == NULL)
		return gerr_set(err, GERR_IO, "current directory: %s",
		    strerror(errno));
	snprintf(abs, PATH_MAX, "%s", dir);
	/* The outermost: a workspace's own make.toml sits inside its root's
	 * tree. */
	for (;;) {
		snprintf(probe, sizeof(probe), "%s/make.toml", dir);
		if (access(probe, F_OK) == 0) {
			snprintf(abs, PATH_MAX, "%s", dir[0] ? dir : "/");
			found = true;
		}
		if (dir[0] == '\0' || (slash = strrchr(dir, '/')) == NULL)
			break;
		*slash = '\0';
	}
	if (!found) {
		gerr_set(err, GERR_NOT_FOUND, "no make.toml in %s or any "
		    "directory above it; `ggenc init` writes one, --root DIR "
		    "names another project", abs);
		return err->code;
	}
	return 0;
}

int
cmd_root_field(int argc, char **argv, cJSON *fields, const char *name,
    struct gerr *err)
{
	char *abs;
	int rc;

	rc = cmd_abs_path(argc > 0 ? argv[0] : ".", &abs, err);
	if (rc != 0)
		return rc;
	cJSON_AddStringToObject(fields, name, abs);
	free(abs);
	return 0;
}

static int
cmd_watch_build(const struct cmd_ctx *ctx, int argc, char **argv,
    cJSON *fields, struct gerr *err)
{
	(void)ctx;
	return cmd_root_field(argc, argv, fields, "root", err);
}

static double
cmd_watch_num(const cJSON *o, const char *name)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);

	return cJSON_IsNumber(v) ? v->valuedouble : 0.0;
}

static void
cmd_watch_message(const struct cmd_ctx *ctx, const struct msg_reply *msg)
{
	if (msg->kind != MSG_PROGRESS || ctx->json || !isatty(2))
		return;
	fprintf(stderr, "\r%.0f files seen, %.0f hashed, %.0f directories ",
	    cmd_watch_num(msg->body, "files_seen"),
	    cmd_watch_num(msg->body, "files_hashed"),
	    cmd_watch_num(msg->body, "dirs_seen"));
	fflush(stderr);
}

static int
cmd_watch_render(const struct cmd_ctx *ctx, const cJSON *result)
{
	const cJSON *root = cJSON_GetObjectItemCaseSensitive(result, "root");
	const cJSON *model = cJSON_GetObjectItemCaseSensitive(result, "model");

	if (isatty(2))
		fprintf(stderr, "\r\033[K");
	fprintf(ctx->out, "watching %s: %.0f files, %.0f directories\n",
	    cJSON_IsString(root) ? root->valuestring : "?",
	    cmd_watch_num(result, "files"), cmd_watch_num(result, "dirs"));
	/* Watched all the same (exit 0), but nothing runs until it parses:
	 * say so where it cannot be missed. */
	if (cJSON_IsString(cJSON_GetObjectItemCaseSensitive(model, "state")) &&
	    strcmp(cJSON_GetObjectItemCaseSensitive(model, "state")->
	    valuestring, "invalid") == 0) {
		const cJSON *e = cJSON_GetObjectItemCaseSensitive(model,
		    "error");

		fprintf(stderr, "ggenc: warning: make.toml is invalid, no "
		    "phase runs until it is fixed (ggenc validate): %s\n",
		    cJSON_IsString(e) ? e->valuestring : "?");
	}
	return 0;
}

const struct cmd_entry cmd_watch_entry = {
	.name = "watch", .alias = NULL, .usage = "[DIR]",
	.summary = "Watch a directory; returns once it is crawled and hashed.",
	.description = "Watch DIR (default: the current directory) and return "
	    "once it is crawled\nand hashed. When its make.toml does not "
	    "parse, a warning on stderr names\nthe first error "
	    "(file:line:col); the root is watched all the same (exit 0)\nand "
	    "no phase runs until the file is fixed.",
	.args = { .min = 0, .max = 1 }, .proto = PROTO_CMD_WATCH,
	.build = cmd_watch_build, .render = cmd_watch_render,
	.on_message = cmd_watch_message,
	.example = "ggenc watch\n" "ggenc watch ~/src/project",
};
