/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * cmd_events.c - `ggenc events`: subscribe and print one line per event
 * until interrupted (or the daemon stops). files.changed prints as
 * "ROOT clock N (reason): +added ~modified -removed", run and phase events
 * as one text line each, an event this ggenc does not know as "EVENT
 * key=value ..." (scalars only): never JSON. --json prints each event line
 * as the daemon sent it, and nothing else.
 * A daemon.stopping event (a clean stop) ends ggenc with status 0 after
 * its line; a connection lost without it stays an error (the generic
 * "closed the connection" path, exit 3 as for an unreachable daemon).
 */
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "cmd_entries.h"
#include "commands.h"
#include "escape.h"
#include "message.h"
#include "strbuf.h"

/*
 * Member name of o for one event line, escaped (escape.h): "?" if absent.
 * Borrowed: valid until CMD_EVENTS_RING more calls (an event line uses
 * fewer), freed on reuse; the last ones stay reachable until exit.
 */
#define CMD_EVENTS_RING 8
static const char *
cmd_events_s(const cJSON *o, const char *name)
{
	static char *ring[CMD_EVENTS_RING];
	static unsigned next;
	char **slot = &ring[next++ % CMD_EVENTS_RING];

	free(*slot);
	*slot = escape_member(o, name);
	return *slot;
}

static void
cmd_events_files(const struct cmd_ctx *ctx, const cJSON *data)
{
	const cJSON *f, *files = cJSON_GetObjectItemCaseSensitive(data,
	    "files");
	const cJSON *clock = cJSON_GetObjectItemCaseSensitive(data, "clock");
	const cJSON *reason = cJSON_GetObjectItemCaseSensitive(data, "reason");

	fprintf(ctx->out, "%s clock %s (%s):", cmd_events_s(data, "root"),
	    cJSON_IsString(clock) ? clock->valuestring : "?",
	    cJSON_IsString(reason) ? reason->valuestring : "?");
	cJSON_ArrayForEach(f, files) {
		const cJSON *kind = cJSON_GetObjectItemCaseSensitive(f, "kind");
		const char *k = cJSON_IsString(kind) ? kind->valuestring : "";

		fprintf(ctx->out, " %c%s", strcmp(k, "added") == 0 ? '+' :
		    strcmp(k, "removed") == 0 ? '-' : '~',
		    cmd_events_s(f, "path"));
	}
	fputc('\n', ctx->out);
}

static double
cmd_events_n(const cJSON *o, const char *name)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);

	return cJSON_IsNumber(v) ? v->valuedouble : 0.0;
}

/* "build test" from a run's "phases". */
static void
cmd_events_phases(const cJSON *d, struct strbuf *sb)
{
	const cJSON *p;

	cJSON_ArrayForEach(p, cJSON_GetObjectItemCaseSensitive(d, "phases"))
		if (cJSON_IsString(p))
			strbuf_addf(sb, "%s%s", sb->len ? " " : "",
			    p->valuestring);
}

/* Any other event: its scalar members as key=value. */
static void
cmd_events_generic(const struct cmd_ctx *ctx, const char *event,
    const cJSON *d)
{
	const cJSON *m;

	fprintf(ctx->out, "%s", event);
	cJSON_ArrayForEach(m, d) {
		size_t n = m->string != NULL ? strlen(m->string) : 0;

		if (n > 4 && strcmp(m->string + n - 4, "_b64") == 0)
			continue;	/* its twin is shown escaped */
		if (cJSON_IsString(m))
			fprintf(ctx->out, " %s=%s", m->string,
			    cmd_events_s(d, m->string));
		else if (cJSON_IsNumber(m))
			fprintf(ctx->out, " %s=%g", m->string, m->valuedouble);
		else if (cJSON_IsBool(m))
			fprintf(ctx->out, " %s=%s", m->string,
			    cJSON_IsTrue(m) ? "true" : "false");
	}
	fputc('\n', ctx->out);
}

static void
cmd_events_text(const struct cmd_ctx *ctx, const char *ev, const cJSON *d)
{
	struct strbuf sb = STRBUF_INIT;

	if (strcmp(ev, "files.changed") == 0)
		cmd_events_files(ctx, d);
	else if (strcmp(ev, "daemon.stopping") == 0)
		fprintf(ctx->out, "ggend stopped (%s)\n",
		    cmd_events_s(d, "reason"));
	else if (strncmp(ev, "run.", 4) == 0) {
		cmd_events_phases(d, &sb);
		fprintf(ctx->out, "run %.0f %s: %s (%s) in %s", cmd_events_n(d,
		    "run"), ev + 4, sb.buf, cmd_events_s(d, "trigger"),
		    cmd_events_s(d, "root"));
		if (strcmp(ev, "run.finished") == 0)
			fprintf(ctx->out, " -> %s, %.1f ms%s%s",
			    cmd_events_s(d, "status"),
			    cmd_events_n(d, "duration_ms"),
			    cJSON_IsString(cJSON_GetObjectItemCaseSensitive(d,
			    "message")) ? ": " : "",
			    cJSON_IsString(cJSON_GetObjectItemCaseSensitive(d,
			    "message")) ? cmd_events_s(d, "message") : "");
		fputc('\n', ctx->out);
	} else if (strcmp(ev, "phase.started") == 0)
		fprintf(ctx->out, "run %.0f phase %s started\n",
		    cmd_events_n(d, "run"), cmd_events_s(d, "phase"));
	else if (strcmp(ev, "phase.finished") == 0)
		fprintf(ctx->out, "run %.0f phase %s %s, %.1f ms%s\n",
		    cmd_events_n(d, "run"), cmd_events_s(d, "phase"),
		    cmd_events_s(d, "status"), cmd_events_n(d, "duration_ms"),
		    cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(d, "slow")) ?
		    " (slow: over its budget_ms)" : "");
	else if (strcmp(ev, "phase.slow") == 0) {
		double med = cmd_events_n(d, "median_ms");

		if (med > 0)
			fprintf(ctx->out, "phase %s in %s is slow: %.1f ms, "
			    "%.1fx the median of its recorded runs (%.1f ms)\n",
			    cmd_events_s(d, "phase"), cmd_events_s(d, "root"),
			    cmd_events_n(d, "duration_ms"),
			    cmd_events_n(d, "duration_ms") / med, med);
		else
			fprintf(ctx->out, "phase %s in %s is slow: %.1f ms, over "
			    "its budget_ms\n", cmd_events_s(d, "phase"),
			    cmd_events_s(d, "root"),
			    cmd_events_n(d, "duration_ms"));
	} else if (strcmp(ev, "model.invalid") == 0)
		/* A kept model only finishes the runs under way. */
		fprintf(ctx->out, "%s:%.0f:%.0f: %s (nothing runs until it "
		    "is fixed)\n", cmd_events_s(d, "file"), cmd_events_n(d,
		    "line"), cmd_events_n(d, "col"), cmd_events_s(d,
		    "message"));
	else if (strcmp(ev, "model.valid") == 0)
		fprintf(ctx->out, "%s/make.toml is valid again\n",
		    cmd_events_s(d, "root"));
	else
		cmd_events_generic(ctx, ev, d);
	strbuf_release(&sb);
}

static void
cmd_events_message(const struct cmd_ctx *ctx, const struct msg_reply *msg)
{
	char *line;

	if (msg->kind != MSG_EVENT)
		return;		/* the "subscribed" progress */
	if (ctx->json) {
		line = msg_json_print(msg->json);
		fprintf(ctx->out, "%s\n", line);
		free(line);
	} else
		cmd_events_text(ctx, msg->event, msg->body);
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
