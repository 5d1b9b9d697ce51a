/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * main.c - ggenc's entry point: global options, command lookup, and the
 * request/reply exchange for daemon commands.
 *
 * Global options may appear anywhere before "--": --socket PATH, --json,
 * --no-start, --color WHEN (client/color.h, with NO_COLOR), --plain (run
 * output without the tools' escapes: logs, show, run, dev), --help,
 * --version. Exit status: 0 ok, 1 the command failed,
 * 2 usage, 3 daemon unreachable (the error's err_table row decides for
 * daemon errors). Each daemon command sends `hello` and the command
 * pipelined, checks the hello reply (protocol version), then waits for the
 * command's reply, passing progress messages and events to the command's
 * on_message hook.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "cmd.h"
#include "color.h"
#include "commands.h"
#include "conn.h"
#include "errors.h"
#include "message.h"
#include "sockpath.h"
#include "version.h"
#include "xmalloc.h"

#define MAIN_HELLO_ID 1
#define MAIN_CMD_ID 2

static int
main_usage_error(const char *msg, const struct cmd_entry *e)
{
	fprintf(stderr, "ggenc: %s\n", msg);
	if (e != NULL)
		cmd_print_usage(e, stderr);
	else
		fprintf(stderr, "usage: ggenc [--socket PATH] [--json] "
		    "[--no-start] [--color WHEN] COMMAND [ARGS]; see "
		    "`ggenc help`\n");
	return ERR_EXIT_USAGE;
}

/* Print a daemon error reply; returns its exit status. */
static int
main_reply_error(const struct cmd_ctx *ctx, const struct msg_reply *msg)
{
	const struct err_def *def = err_by_wire(msg->err_code);

	if (ctx->json) {
		char *s = cJSON_PrintUnformatted(cJSON_GetObjectItemCaseSensitive(
		    msg->json, "error"));

		fprintf(stderr, "%s\n", s != NULL ? s : "{}");
		cJSON_free(s);
	} else if (msg->err_file != NULL && msg->err_line > 0)
		fprintf(stderr, "ggenc: %s:%d:%d: %s [%s]\n", msg->err_file,
		    msg->err_line, msg->err_col, msg->err_message,
		    msg->err_code);
	else
		fprintf(stderr, "ggenc: %s [%s]\n", msg->err_message,
		    msg->err_code);
	return def != NULL ? (int)def->exit_status : ERR_EXIT_FAILED;
}

static int
main_fail(const struct gerr *err)
{
	fprintf(stderr, "ggenc: %s\n", err->msg);
	return (int)err_lookup(err->code)->exit_status;
}

/* Wait for the reply with id want; other messages go to the hook. */
static int
main_await(const struct cmd_ctx *ctx, const struct cmd_entry *e,
    struct conn *conn, int want, struct msg_reply *msg, struct gerr *err)
{
	for (;;) {
		if (conn_recv(conn, msg, err) != 0)
			return err->code;
		if (msg->kind == MSG_REPLY && cJSON_IsNumber(msg->id) &&
		    msg->id->valueint == want)
			return 0;
		if (msg->kind == MSG_REPLY && cJSON_IsNull(msg->id) &&
		    !msg->ok) /* an error about the connection itself */
			return 0;
		if (e != NULL && e->on_message != NULL)
			e->on_message(ctx, msg);
		msg_reply_release(msg);
	}
}

static int
main_daemon_cmd(const struct cmd_ctx *ctx, const struct cmd_entry *e,
    int argc, char **argv)
{
	const struct proto_cmd *pc = proto_cmd_get((enum proto_cmd_id)e->proto);
	struct msg_reply msg;
	struct gerr err, send_err;
	struct conn conn;
	cJSON *fields, *hello;
	char *line;
	int rc;

	gerr_clear(&err);
	gerr_clear(&send_err);
	fields = cJSON_CreateObject();
	if (e->build != NULL && e->build(ctx, argc, argv, fields, &err) != 0) {
		cJSON_Delete(fields);
		/* build only reads argv: a malformed argument (GERR_INVALID) is
		 * a usage error, exit 2 with the usage line; a path that does
		 * not resolve is the command failing. */
		if (err.code == GERR_INVALID) {
			fprintf(stderr, "ggenc: %s\n", err.msg);
			cmd_print_usage(e, stderr);
			return ERR_EXIT_USAGE;
		}
		return main_fail(&err);
	}
	/* Starting a daemon only to stop it would be silly. */
	if (conn_open(&conn, ctx->socket_path,
	    !ctx->no_start && e->proto != PROTO_CMD_SHUTDOWN, &err) != 0) {
		cJSON_Delete(fields);
		conn_close(&conn);
		return main_fail(&err);
	}
	hello = cJSON_CreateObject();
	cJSON_AddNumberToObject(hello, "proto", PROTO_VERSION);
	cJSON_AddStringToObject(hello, "client", "ggenc " GGEN_VERSION);
	line = msg_request_line(MAIN_HELLO_ID, "hello", hello);
	rc = conn_send(&conn, line, &send_err);
	free(line);
	line = msg_request_line(MAIN_CMD_ID, pc->name, fields);
	if (rc == 0)
		conn_send(&conn, line, &send_err);
	free(line);
	/* Even when sending failed, the daemon may have said why it closed
	 * (busy, shutting down): read before reporting the send error. */
	if (main_await(ctx, NULL, &conn, MAIN_HELLO_ID, &msg, &err) != 0) {
		conn_close(&conn);
		return main_fail(send_err.code != GERR_OK ? &send_err : &err);
	}
	if (!msg.ok) {
		rc = main_reply_error(ctx, &msg);
		goto out;
	}
	msg_reply_release(&msg);
	if (main_await(ctx, e, &conn, MAIN_CMD_ID, &msg, &err) != 0) {
		conn_close(&conn);
		return main_fail(&err);
	}
	if (!msg.ok)
		rc = main_reply_error(ctx, &msg);
	else if (ctx->json) {
		line = cJSON_Print(msg.body);
		fprintf(ctx->out, "%s\n", line != NULL ? line : "{}");
		cJSON_free(line);
		rc = 0;
	} else
		rc = e->render(ctx, msg.body);
out:
	msg_reply_release(&msg);
	conn_close(&conn);
	return rc;
}

int
main(int argc, char **argv)
{
	cJSON_Hooks hooks = { .malloc_fn = xmalloc, .free_fn = free };
	char sock[SOCKPATH_MAX];
	const char *socket_opt = NULL, *color_opt = NULL;
	enum color_mode color = COLOR_AUTO;
	bool plain = false;
	const struct cmd_entry *e;
	int strip_state = 0;
	struct cmd_ctx ctx = { .out = stdout, .strip_state = &strip_state };
	char **args;
	struct gerr err;
	int i, n = 0, rc;
	bool dashdash = false;

	cJSON_InitHooks(&hooks);
	args = xcalloc((size_t)argc + 1, sizeof(*args));
	for (i = 1; i < argc; i++) {
		if (dashdash || argv[i][0] != '-' || argv[i][1] == '\0') {
			args[n++] = argv[i];
		} else if (strcmp(argv[i], "--") == 0) {
			dashdash = true;
		} else if (strcmp(argv[i], "--json") == 0) {
			ctx.json = true;
		} else if (strcmp(argv[i], "--no-start") == 0) {
			ctx.no_start = true;
		} else if (strcmp(argv[i], "--socket") == 0) {
			if (++i == argc) {
				free(args);
				return main_usage_error("--socket needs a path",
				    NULL);
			}
			socket_opt = argv[i];
		} else if (strncmp(argv[i], "--socket=", 9) == 0) {
			socket_opt = argv[i] + 9;
		} else if (strcmp(argv[i], "--plain") == 0) {
			plain = true;
		} else if (strcmp(argv[i], "--color") == 0 ||
		    strcmp(argv[i], "--colour") == 0) {
			if (++i == argc) {
				free(args);
				return main_usage_error("--color needs auto, "
				    "always or never", NULL);
			}
			color_opt = argv[i];
		} else if (strncmp(argv[i], "--color=", 8) == 0 ||
		    strncmp(argv[i], "--colour=", 9) == 0) {
			color_opt = strchr(argv[i], '=') + 1;
		} else if (strcmp(argv[i], "--help") == 0 ||
		    strcmp(argv[i], "-h") == 0) {
			args[0] = (char *)"help";
			n = 1;
			break;
		} else if (strcmp(argv[i], "--version") == 0) {
			args[0] = (char *)"version";
			n = 1;
			break;
		} else if (n > 0) {
			/* After the command name: the command's own option
			 * (changes --since, dev -e NAME) or a negative run id
			 * (show -1), checked by its build. */
			args[n++] = argv[i];
		} else {
			fprintf(stderr, "ggenc: unknown option \"%s\"\n",
			    argv[i]);
			free(args);
			return main_usage_error("see `ggenc help`", NULL);
		}
	}
	gerr_clear(&err);
	if (color_opt != NULL && color_parse(color_opt, &color, &err) != 0) {
		free(args);
		return main_usage_error(err.msg, NULL);
	}
	ctx.color = color_wanted(color, STDOUT_FILENO, getenv("NO_COLOR"),
	    getenv("TERM"));
	ctx.color_err = color_wanted(color, STDERR_FILENO, getenv("NO_COLOR"),
	    getenv("TERM"));
	ctx.plain = plain || color_plain(color, getenv("NO_COLOR"));
	if (n == 0) {
		free(args);
		return main_usage_error("no command given", NULL);
	}
	if (cmd_find(args[0], &e, &err) != 0) {
		free(args);
		return main_usage_error(err.msg, NULL);
	}
	if (n - 1 < e->args.min || n - 1 > e->args.max) {
		free(args);
		return main_usage_error(n - 1 < e->args.min ?
		    "too few arguments" : "too many arguments", e);
	}
	if (socket_opt != NULL) {
		if (strlen(socket_opt) >= sizeof(sock)) {
			free(args);
			return main_usage_error("--socket: path too long", NULL);
		}
		snprintf(sock, sizeof(sock), "%s", socket_opt);
	} else if (sockpath_default(sock, sizeof(sock), &err) != 0) {
		free(args);
		return main_fail(&err);
	}
	ctx.socket_path = sock;
	/* run: a local command, or a daemon command that drives its own
	 * exchange (dev). */
	if (e->run != NULL)
		rc = e->run(&ctx, n - 1, args + 1);
	else
		rc = main_daemon_cmd(&ctx, e, n - 1, args + 1);
	free(args);
	if (fflush(stdout) != 0 && rc == 0)
		rc = ERR_EXIT_FAILED;
	return rc;
}
