/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * cmd_restart.c - `ggenc restart`: stop the daemon answering on the socket
 * (waiting until its process has exited), then start this ggenc's ggend
 * on the same socket. The new daemon takes the roots and their state back
 * from the state directory (warm restart), so a restart is also how an
 * upgrade takes effect. The new daemon gets the old one's settings file
 * and every setting set on its command line or with `config set`
 * (cmd_restart_args). With no daemon running it just starts one.
 */
#include <stdlib.h>
#include <string.h>

#include "call.h"
#include "cmd.h"
#include "cmd_entries.h"
#include "commands.h"
#include "errors.h"
#include "message.h"
#include "xmalloc.h"

#define CMD_RESTART_WAIT_MS 30000

static int
cmd_restart_fail(const struct gerr *err)
{
	fprintf(stderr, "ggenc: restart: %s\n", err->msg);
	return (int)err_lookup(err->code)->exit_status;
}

/* pid and version of the daemon that answered, as {pid, version}. */
static cJSON *
cmd_restart_who(const struct call *c)
{
	cJSON *o = cJSON_CreateObject();

	cJSON_AddNumberToObject(o, "pid", (double)c->pid);
	cJSON_AddStringToObject(o, "version", c->version);
	return o;
}

/*
 * What the new daemon must be started with to be the old one again: every
 * setting whose source is "set" (ggend --set/--socket/--state-dir and
 * `ggenc config set`) as --set KEY=VALUE, and --config FILE when a
 * settings file was loaded. Secret values are never sent back (they stay
 * in the settings file, which the new daemon reads). Appends owned strings
 * to args (NULL-terminated, at most CONN_SPAWN_ARGS_MAX).
 */
static void
cmd_restart_args(const struct cmd_ctx *ctx, struct call *c, char **args)
{
	struct msg_reply msg;
	struct gerr err;
	const cJSON *s, *config;
	size_t n = 0;

	gerr_clear(&err);
	if (call_request(ctx, NULL, c, "status", NULL, &msg, &err) == 0 &&
	    msg.ok) {
		config = cJSON_GetObjectItemCaseSensitive(msg.body, "config");
		if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(config,
		    "loaded")) && cJSON_IsString(
		    cJSON_GetObjectItemCaseSensitive(config, "file"))) {
			args[n++] = xstrdup("--config");
			args[n++] = xstrdup(cJSON_GetStringValue(
			    cJSON_GetObjectItemCaseSensitive(config, "file")));
		}
	}
	msg_reply_release(&msg);
	gerr_clear(&err);
	if (call_request(ctx, NULL, c, "config", NULL, &msg, &err) == 0 &&
	    msg.ok)
		cJSON_ArrayForEach(s, cJSON_GetObjectItemCaseSensitive(msg.body,
		    "settings")) {
			const char *k = cJSON_GetStringValue(
			    cJSON_GetObjectItemCaseSensitive(s, "key"));
			const char *v = cJSON_GetStringValue(
			    cJSON_GetObjectItemCaseSensitive(s, "value"));
			const char *src = cJSON_GetStringValue(
			    cJSON_GetObjectItemCaseSensitive(s, "source"));

			if (k == NULL || v == NULL || src == NULL ||
			    strcmp(src, "set") != 0 ||
			    strcmp(v, "(secret)") == 0 ||
			    n + 2 > CONN_SPAWN_ARGS_MAX)
				continue;
			args[n++] = xstrdup("--set");
			args[n++] = xasprintf("%s=%s", k, v);
		}
	msg_reply_release(&msg);
	args[n] = NULL;
}

static void
cmd_restart_free_args(char **args)
{
	for (size_t i = 0; args[i] != NULL; i++)
		free(args[i]);
}

static int
cmd_restart_run(const struct cmd_ctx *ctx, int argc, char **argv)
{
	struct cmd_ctx start = *ctx;
	struct msg_reply msg;
	struct call c;
	struct gerr err;
	cJSON *out = cJSON_CreateObject();
	char *line, *args[CONN_SPAWN_ARGS_MAX + 1] = { NULL };
	int rc = 0, nroots;

	(void)argc;
	(void)argv;
	gerr_clear(&err);
	/* 1. Stop whatever answers; nothing answering is fine. */
	if (call_open(ctx, false, &c, &err) == 0) {
		cmd_restart_args(ctx, &c, args);
		if (call_request(ctx, NULL, &c, "shutdown", NULL, &msg,
		    &err) != 0 || !msg.ok) {
			if (err.code == GERR_OK)
				rc = call_reply_error(ctx, &msg);
			else
				rc = cmd_restart_fail(&err);
			msg_reply_release(&msg);
			call_close(&c);
			cJSON_Delete(out);
			cmd_restart_free_args(args);
			return rc;
		}
		msg_reply_release(&msg);
		call_close(&c);
		cJSON_AddItemToObject(out, "stopped", cmd_restart_who(&c));
		if (call_wait_exit(c.pid, CMD_RESTART_WAIT_MS, &err) != 0) {
			cJSON_Delete(out);
			cmd_restart_free_args(args);
			return cmd_restart_fail(&err);
		}
	} else {
		call_close(&c);
		cJSON_AddNullToObject(out, "stopped");
	}
	/* 2. Start ours (even under --no-start: that is what restart is). */
	gerr_clear(&err);
	start.no_start = false;
	rc = call_open_args(&start, true, args, &c, &err);
	cmd_restart_free_args(args);
	if (rc != 0 ||
	    call_request(&start, NULL, &c, "roots", NULL, &msg, &err) != 0) {
		call_close(&c);
		cJSON_Delete(out);
		return cmd_restart_fail(&err);
	}
	rc = 0;
	if (!msg.ok) {
		rc = call_reply_error(ctx, &msg);
		msg_reply_release(&msg);
		call_close(&c);
		cJSON_Delete(out);
		return rc;
	}
	cJSON_AddItemToObject(out, "started", cmd_restart_who(&c));
	nroots = cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(msg.body,
	    "roots"));
	cJSON_AddNumberToObject(out, "roots", nroots);
	msg_reply_release(&msg);
	call_close(&c);
	if (ctx->json) {
		line = msg_json_print(out);
		fprintf(ctx->out, "%s\n", line);
		free(line);
	} else {
		const cJSON *st = cJSON_GetObjectItemCaseSensitive(out,
		    "stopped");
		const cJSON *sa = cJSON_GetObjectItemCaseSensitive(out,
		    "started");

		if (cJSON_IsObject(st))
			fprintf(ctx->out, "stopped ggend %s (pid %.0f)\n",
			    cJSON_GetStringValue(cJSON_GetObjectItem(st,
			    "version")), cJSON_GetObjectItem(st,
			    "pid")->valuedouble);
		fprintf(ctx->out, "started ggend %s (pid %.0f), %d root%s "
		    "watched\n", cJSON_GetStringValue(cJSON_GetObjectItem(sa,
		    "version")), cJSON_GetObjectItem(sa, "pid")->valuedouble,
		    nroots, nroots == 1 ? "" : "s");
	}
	cJSON_Delete(out);
	return 0;
}

const struct cmd_entry cmd_restart_entry = {
	.name = "restart", .alias = NULL, .usage = "",
	.summary = "Stop the daemon and start this version's; roots and "
	    "state are kept.",
	.args = { .min = 0, .max = 0 }, .proto = CMD_LOCAL,
	.run = cmd_restart_run,
	.example = "ggenc restart",
};
