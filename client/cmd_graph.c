/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * cmd_graph.c - `ggenc graph [PHASE...] [--root DIR] [--format
 * text|dot|mermaid] [-e NAME]`: the phase graph a `run` of PHASE (default:
 * every phase) would execute, with dependencies and hooks.
 *
 * Owns nothing beyond one call. Like validate it never starts a daemon: a
 * running one answers (the internal `graph` request), adding each phase's
 * last known status; otherwise, or when the daemon cannot be reached, the
 * graph is drawn here from make.toml, without statuses. Both go through
 * common/graph (one JSON shape for --json, one text for humans).
 * Exit status: 0, 1 when make.toml is invalid or a phase is unknown, 2 on
 * usage.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "call.h"
#include "cmd.h"
#include "cmd_entries.h"
#include "commands.h"
#include "conn.h"
#include "errors.h"
#include "graph.h"
#include "make.h"
#include "message.h"
#include "plan.h"
#include "version.h"
#include "xmalloc.h"

#define CMD_GRAPH_PHASES_MAX 64

struct cmd_graph_args {
	const char *phases[CMD_GRAPH_PHASES_MAX];
	size_t n_phases;
	char root[PATH_MAX];
	const char *format;
	enum graph_format fmt;
	const char *env;
	const char *env_auto;
};

static int
cmd_graph_parse(const struct cmd_ctx *ctx, int argc, char **argv,
    struct cmd_graph_args *a, struct gerr *err)
{
	const char *root = cmd_opt_value(ctx, "--root"), *v;

	memset(a, 0, sizeof(*a));
	a->format = cmd_opt_value(ctx, "--format");
	if (a->format == NULL)
		a->format = "text";
	a->env = cmd_opt_value(ctx, "--env");
	if (argc > CMD_GRAPH_PHASES_MAX)
		return gerr_set(err, GERR_INVALID, "graph: more than %d "
		    "phases", CMD_GRAPH_PHASES_MAX);
	for (int i = 0; i < argc; i++)
		a->phases[a->n_phases++] = argv[i];
	if (graph_format_parse(a->format, &a->fmt, err) != 0)
		return GERR_INVALID;
	if (cmd_project_root(root, a->root, err) != 0)
		return err->code;
	v = getenv("GGEN_ENV");
	a->env_auto = v != NULL && v[0] != '\0' ? v : NULL;
	return 0;
}

/*
 * Ask a running daemon. Returns 1 with *res (caller frees) or *msg_err
 * (an error reply the user must see: caller releases) filled; 0 when no
 * daemon answered (draw locally).
 */
static int
cmd_graph_ask(const struct cmd_ctx *ctx, const struct cmd_graph_args *a,
    cJSON **res, struct msg_reply *msg_err)
{
	cJSON *fields, *phases;
	struct msg_reply msg;
	struct call call;
	struct gerr err;
	int answered = 0;

	*res = NULL;
	gerr_clear(&err);
	if (call_open(ctx, false, &call, &err) != 0) {
		call_close(&call);
		return 0;
	}
	fields = cJSON_CreateObject();
	cJSON_AddStringToObject(fields, "root", a->root);
	phases = cJSON_AddArrayToObject(fields, "phases");
	for (size_t i = 0; i < a->n_phases; i++)
		cJSON_AddItemToArray(phases, cJSON_CreateString(a->phases[i]));
	cJSON_AddStringToObject(fields, "format", a->format);
	if (a->env != NULL)
		cJSON_AddStringToObject(fields, "env", a->env);
	if (a->env_auto != NULL)
		cJSON_AddStringToObject(fields, "env_auto", a->env_auto);
	if (call_request(ctx, NULL, &call, proto_cmd_get(PROTO_CMD_GRAPH)->name,
	    fields, &msg, &err) == 0) {
		answered = 1;
		/* An older daemon without `graph`, or one that refused the
		 * hello: draw here. */
		if (!msg.ok && msg.err_code != NULL &&
		    (strcmp(msg.err_code, "unknown_command") == 0 ||
		    strcmp(msg.err_code, "proto_version") == 0)) {
			answered = 0;
			msg_reply_release(&msg);
		} else if (msg.ok) {
			*res = cJSON_Duplicate(msg.body, true);
			msg_reply_release(&msg);
		} else {
			*msg_err = msg;
		}
	}
	call_close(&call);
	return answered;
}

/* No daemon: make.toml read here, no statuses. */
static int
cmd_graph_local(const struct cmd_graph_args *a, cJSON **res,
    struct gerr *err)
{
	struct plan_request pr = {
		.phases = a->phases, .n_phases = a->n_phases,
		.target = PLAN_TARGET_DEFAULT, .env = a->env,
		.env_auto = a->env_auto,
	};
	struct make_project *m = NULL;
	const char **names = NULL;
	char title[512];
	struct plan p;
	size_t k = 0;
	int rc;

	*res = NULL;
	rc = make_load(a->root, &m, NULL, err);
	if (rc != 0)
		return rc;
	if (a->n_phases == 0) {
		/* Every phase, in declaration order. */
		names = xcalloc(m->phases_len + 1, sizeof(*names));
		for (size_t d = 0; d < m->phases_len; d++)
			for (size_t i = 0; i < m->phases_len; i++)
				if (m->phases[i].decl == d)
					names[k++] = m->phases[i].name;
		pr.phases = names;
		pr.n_phases = k;
	}
	rc = plan_build(m, &pr, &p, err);
	if (rc == 0) {
		size_t off = 0;

		title[0] = '\0';
		for (size_t i = 0; i < pr.n_phases && off < sizeof(title); i++)
			off += (size_t)snprintf(title + off, sizeof(title) - off,
			    "%s%s", i ? " " : "", pr.phases[i]);
		*res = graph_json(&p, title, a->fmt, NULL, NULL);
		plan_release(&p);
	}
	free(names);
	make_project_free(m);
	return rc;
}

static int
cmd_graph_run(const struct cmd_ctx *ctx, int argc, char **argv)
{
	struct cmd_graph_args a;
	struct msg_reply msg_err;
	struct gerr err;
	cJSON *res = NULL;
	int rc;

	gerr_clear(&err);
	memset(&msg_err, 0, sizeof(msg_err));
	rc = cmd_graph_parse(ctx, argc, argv, &a, &err);
	if (rc != 0) {
		cmd_print_error(ctx, "graph", &err);
		if (rc == GERR_INVALID) {
			cmd_print_usage(&cmd_graph_entry, stderr);
			return ERR_EXIT_USAGE;
		}
		return (int)err_lookup(err.code)->exit_status;
	}
	if (cmd_graph_ask(ctx, &a, &res, &msg_err) && res == NULL) {
		const struct err_def *def = err_by_wire(msg_err.err_code);

		gerr_set(&err, def != NULL ? def->code : GERR_INTERNAL, "%s",
		    msg_err.err_message);
		cmd_print_error(ctx, "graph", &err);
		msg_reply_release(&msg_err);
		return def != NULL ? (int)def->exit_status : ERR_EXIT_FAILED;
	}
	if (res == NULL && cmd_graph_local(&a, &res, &err) != 0) {
		cmd_print_error(ctx, "graph", &err);
		return (int)err_lookup(err.code)->exit_status;
	}
	if (ctx->json) {
		cmd_print_json(ctx, res);
	} else {
		fputs(cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(
		    res, "graph")) != NULL ? cJSON_GetStringValue(
		    cJSON_GetObjectItemCaseSensitive(res, "graph")) : "",
		    ctx->out);
	}
	cJSON_Delete(res);
	return 0;
}

static const struct cmd_opt cmd_graph_opts[] = {
	{ "--root", 0, "DIR", "the project root (default: the outermost "
	    "make.toml directory from here up)", 0 },
	{ "--format", 0, "FORMAT", "text, dot (Graphviz) or mermaid", 0 },
	{ "--env", 'e', "NAME", "draw the graph of environment NAME", 0 },
	{ NULL, 0, NULL, NULL, 0 },
};

const struct cmd_entry cmd_graph_entry = {
	.name = "graph", .alias = NULL,
	.usage = "[PHASE...] [--root DIR] [--format text|dot|mermaid] "
	    "[-e NAME]",
	.summary = "Draw what a run would execute: dependencies, hooks and "
	    "each phase's last status.",
	.args = { .min = 0, .max = 128 }, .proto = CMD_LOCAL,
	.run = cmd_graph_run,
	.opts = cmd_graph_opts,
	.example = "ggenc graph deploy\n"
	    "ggenc graph --format dot | dot -Tsvg > phases.svg\n"
	    "ggenc graph deploy -e production --format mermaid",
};
