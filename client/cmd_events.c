/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * cmd_events.c - `ggenc events`: subscribe and print one line per event
 * until interrupted (or the daemon stops). files.changed prints as
 * "ROOT clock N (reason): +added ~modified -removed"; --json prints each
 * event line as the daemon sent it.
 * A daemon.stopping event (a clean stop) ends ggenc with status 0 after
 * its line; a connection lost without it stays an error (the generic
 * "closed the connection" path, exit 3 as for an unreachable daemon).
 */
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "cmd_entries.h"
#include "commands.h"

static void
cmd_events_files(const struct cmd_ctx *ctx, const cJSON *data)
{
	const cJSON *f, *files = cJSON_GetObjectItemCaseSensitive(data,
	    "files");
	const cJSON *root = cJSON_GetObjectItemCaseSensitive(data, "root");
	const cJSON *clock = cJSON_GetObjectItemCaseSensitive(data, "clock");
	const cJSON *reason = cJSON_GetObjectItemCaseSensitive(data, "reason");

	fprintf(ctx->out, "%s clock %s (%s):",
	    cJSON_IsString(root) ? root->valuestring : "?",
	    cJSON_IsString(clock) ? clock->valuestring : "?",
	    cJSON_IsString(reason) ? reason->valuestring : "?");
	cJSON_ArrayForEach(f, files) {
		const cJSON *path = cJSON_GetObjectItemCaseSensitive(f, "path");
		const cJSON *kind = cJSON_GetObjectItemCaseSensitive(f, "kind");
		const char *k = cJSON_IsString(kind) ? kind->valuestring : "";

		fprintf(ctx->out, " %c%s", strcmp(k, "added") == 0 ? '+' :
		    strcmp(k, "removed") == 0 ? '-' : '~',
		    cJSON_IsString(path) ? path->valuestring : "?");
	}
	fputc('\n', ctx->out);
}

static void
cmd_events_message(const struct cmd_ctx *ctx, const struct msg_reply *msg)
{
	char *line;

	if (msg->kind != MSG_EVENT)
		return;		/* the "subscribed" progress */
	if (ctx->json) {
		line = cJSON_PrintUnformatted(msg->json);
		fprintf(ctx->out, "%s\n", line != NULL ? line : "{}");
		cJSON_free(line);
	} else if (strcmp(msg->event, "files.changed") == 0) {
		cmd_events_files(ctx, msg->body);
	} else if (strcmp(msg->event, "daemon.stopping") == 0) {
		const cJSON *why = cJSON_GetObjectItemCaseSensitive(msg->body,
		    "reason");

		fprintf(ctx->out, "ggend stopped (%s)\n",
		    cJSON_IsString(why) ? why->valuestring : "?");
	} else {
		line = cJSON_PrintUnformatted(msg->body);
		fprintf(ctx->out, "%s %s\n", msg->event,
		    line != NULL ? line : "{}");
		cJSON_free(line);
	}
	fflush(ctx->out);
	/* The hook cannot end the wait for a reply that will never come
	 * (the daemon closes next): a clean stop ends ggenc here. */
	if (strcmp(msg->event, "daemon.stopping") == 0)
		exit(0);
}

static int
cmd_events_render(const struct cmd_ctx *ctx, const cJSON *result)
{
	(void)ctx;
	(void)result;
	return 0;
}

const struct cmd_entry cmd_events_entry = {
	.name = "events", .alias = NULL, .usage = "",
	.summary = "Print events (files.changed, ...) until interrupted.",
	.args = { .min = 0, .max = 0 }, .proto = PROTO_CMD_EVENTS,
	.render = cmd_events_render, .on_message = cmd_events_message,
	.example = "ggenc events\n" "ggenc --json events | jq .event",
};
