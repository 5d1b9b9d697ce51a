/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * main.c - ggenc's entry point: argv through the one option parser
 * (cmd_parse: global options anywhere before "--", the command's options
 * from its table row), then the command: local ones run here, daemon ones
 * go through call.c (hello and the command pipelined, the version check,
 * progress messages and events to the command's on_message hook).
 *
 * Colour (client/color.h): --color WHEN and NO_COLOR decide it once here;
 * --plain strips the tools' escapes from run output (logs, show, run, dev).
 *
 * Exit status: 0 ok, 1 the command failed, 2 usage (unknown command or
 * option, with "did you mean"), 3 daemon unreachable (the error's
 * err_table row decides for daemon errors). --json prints each result as
 * one compact JSON line.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "call.h"
#include "cmd.h"
#include "color.h"
#include "commands.h"
#include "errors.h"
#include "message.h"
#include "sockpath.h"
#include "version.h"
#include "xmalloc.h"

/* How long `shutdown` waits for the process to be gone. */
#define MAIN_SHUTDOWN_WAIT_MS 30000

/* Exit 2. Under --json (when it came before the mistake) one JSON
 * object on stderr, as every error: {"code":"invalid","message":...,
 * "usage":...}. */
static int
main_usage_error(bool json, const char *msg, const struct cmd_entry *e)
{
	char *usage = e != NULL ? xasprintf("ggenc %s%s%s", e->name,
	    e->usage[0] ? " " : "", e->usage) : xstrdup("ggenc [--socket "
	    "PATH] [--json] [--no-start] [--color WHEN] COMMAND [ARGS]; see "
	    "`ggenc help`");

	if (json) {
		cJSON *o = cJSON_CreateObject();
		char *line;

		cJSON_AddStringToObject(o, "code",
		    err_lookup(GERR_INVALID)->wire);
		cJSON_AddStringToObject(o, "message", msg);
		cJSON_AddStringToObject(o, "usage", usage);
		line = msg_json_print(o);
		fprintf(stderr, "%s\n", line);
		free(line);
		cJSON_Delete(o);
	} else
		fprintf(stderr, "ggenc: %s\nusage: %s\n", msg, usage);
	free(usage);
	return ERR_EXIT_USAGE;
}

/* Under --json the error is one JSON object on stderr (cmd_print_error),
 * as the daemon's refusals are: a script reads one shape. */
static int
main_fail(const struct cmd_ctx *ctx, const struct gerr *err)
{
	if (ctx->json)
		cmd_print_error(ctx, "ggenc", err);
	else
		fprintf(stderr, "ggenc: %s\n", err->msg);
	return (int)err_lookup(err->code)->exit_status;
}

/* Whether an option given says never to start a daemon. */
static bool
main_autostart(const struct cmd_ctx *ctx, const struct cmd_entry *e)
{
	if (e->flags & CMD_NO_AUTOSTART)
		return false;
	for (size_t i = 0; i < ctx->optc; i++)
		if (ctx->optv[i].opt->flags & CMD_OPT_NO_START)
			return false;
	return true;
}

static int
main_daemon_cmd(const struct cmd_ctx *ctx, const struct cmd_entry *e,
    int argc, char **argv)
{
	const struct proto_cmd *pc = proto_cmd_get((enum proto_cmd_id)e->proto);
	struct msg_reply msg;
	struct gerr err;
	struct call call;
	cJSON *fields, *again;
	char *line;
	int rc;

	gerr_clear(&err);
	fields = cJSON_CreateObject();
	if (e->build != NULL && e->build(ctx, argc, argv, fields, &err) != 0) {
		cJSON_Delete(fields);
		/* build only reads argv: a malformed argument (GERR_INVALID) is
		 * a usage error, exit 2 with the usage line; a path that does
		 * not resolve is the command failing. */
		if (err.code == GERR_INVALID)
			return main_usage_error(ctx->json, err.msg, e);
		return main_fail(ctx, &err);
	}
	if (call_open(ctx, main_autostart(ctx, e), &call, &err) != 0) {
		cJSON_Delete(fields);
		call_close(&call);
		if (e->render_unreachable != NULL)
			return e->render_unreachable(ctx, &err);
		return main_fail(ctx, &err);
	}
	/* A command may ask once more with amended fields (run: the
	 * approval prompt); keep a copy, as call_request takes them. */
	again = e->retry != NULL ? cJSON_Duplicate(fields, 1) : NULL;
	if (call_request(ctx, e, &call, pc->name, fields, &msg, &err) != 0) {
		cJSON_Delete(again);
		call_close(&call);
		return main_fail(ctx, &err);
	}
	if (!msg.ok && again != NULL && e->retry(ctx, &msg, again)) {
		msg_reply_release(&msg);
		rc = call_request(ctx, e, &call, pc->name, again, &msg, &err);
		again = NULL;
		if (rc != 0) {
			call_close(&call);
			return main_fail(ctx, &err);
		}
	}
	cJSON_Delete(again);
	if (!msg.ok)
		rc = call_reply_error(ctx, &msg);
	else if (ctx->json) {
		line = msg_json_print(msg.body);
		fprintf(ctx->out, "%s\n", line);
		free(line);
		rc = e->exit_status != NULL ? e->exit_status(msg.body) : 0;
	} else
		rc = e->render(ctx, msg.body);
	/* shutdown returns once the process is gone, not when it said it
	 * would go: a restart or an upgrade can follow at once. */
	if (msg.ok && e->proto == PROTO_CMD_SHUTDOWN) {
		call_close(&call);
		msg_reply_release(&msg);
		if (call_wait_exit(call.pid, MAIN_SHUTDOWN_WAIT_MS, &err) != 0)
			return main_fail(ctx, &err);
		if (!ctx->json)
			fprintf(ctx->out, "ggend (pid %ld) stopped\n",
			    (long)call.pid);
		return rc;
	}
	msg_reply_release(&msg);
	call_close(&call);
	return rc;
}

int
main(int argc, char **argv)
{
	cJSON_Hooks hooks = { .malloc_fn = xmalloc, .free_fn = free };
	char sock[SOCKPATH_MAX];
	enum color_mode color = COLOR_AUTO;
	int strip_state = 0;
	struct cmd_ctx ctx = { .out = stdout, .strip_state = &strip_state };
	struct cmd_parsed p;
	const struct cmd_entry *e;
	struct gerr err;
	int rc;

	cJSON_InitHooks(&hooks);
	gerr_clear(&err);
	if (cmd_parse(argc, argv, &p, &err) != 0) {
		rc = main_usage_error(p.json, err.msg, p.entry);
		cmd_parsed_release(&p);
		return rc;
	}
	if (p.color != NULL && color_parse(p.color, &color, &err) != 0) {
		rc = main_usage_error(p.json, err.msg, NULL);
		cmd_parsed_release(&p);
		return rc;
	}
	ctx.color = color_wanted(color, STDOUT_FILENO, getenv("NO_COLOR"),
	    getenv("TERM"));
	ctx.color_err = color_wanted(color, STDERR_FILENO, getenv("NO_COLOR"),
	    getenv("TERM"));
	ctx.plain = p.plain || color_plain(color, getenv("NO_COLOR"));
	ctx.json = p.json;
	ctx.no_start = p.no_start;
	ctx.optv = p.optv;
	ctx.optc = p.optc;
	if (p.version && p.entry == NULL)
		cmd_find("version", &p.entry, NULL);
	if (p.help) {
		if (p.entry != NULL)
			cmd_print_help(p.entry, stdout);
		else {
			cmd_find("help", &e, NULL);
			ctx.optc = 0;
			e->run(&ctx, 0, NULL);
		}
		cmd_parsed_release(&p);
		return fflush(stdout) != 0 ? ERR_EXIT_FAILED : 0;
	}
	if (p.entry == NULL) {
		cmd_parsed_release(&p);
		return main_usage_error(p.json, "no command given", NULL);
	}
	e = p.entry;
	if (p.socket != NULL) {
		if (strlen(p.socket) >= sizeof(sock)) {
			cmd_parsed_release(&p);
			return main_usage_error(p.json, "--socket: path too "
			    "long", NULL);
		}
		snprintf(sock, sizeof(sock), "%s", p.socket);
	} else if (sockpath_default(sock, sizeof(sock), &err) != 0) {
		cmd_parsed_release(&p);
		return main_fail(&ctx, &err);
	}
	ctx.socket_path = sock;
	/* run: a local command, or a daemon command that drives its own
	 * exchange (dev). */
	if (e->run != NULL)
		rc = e->run(&ctx, p.argc, p.argv);
	else
		rc = main_daemon_cmd(&ctx, e, p.argc, p.argv);
	cmd_parsed_release(&p);
	if (fflush(stdout) != 0 && rc == 0)
		rc = ERR_EXIT_FAILED;
	return rc;
}
