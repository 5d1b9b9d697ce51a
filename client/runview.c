/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * runview.c - ggenc's view of a lifecycle run (see runview.h).
 *
 * Output bytes go straight to stdout, as the phase wrote them (its stdout
 * and stderr share one pipe in the daemon, so their order is the tool's),
 * flushed at once, so `ggenc run build` reads like running the build by
 * hand with 2>&1. --plain (or NO_COLOR, --color=never) strips the tools'
 * escapes (client/color.h). Progress lines start with "ggen:" and go to
 * stderr so that a command's stdout can still be piped. Holds no state
 * (color_strip's state is the caller's, in cmd_ctx).
 */
#include "runview.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "color.h"
#include "xmalloc.h"

double
runview_num(const cJSON *obj, const char *name, double def)
{
	const cJSON *item = cJSON_GetObjectItemCaseSensitive(obj, name);

	return cJSON_IsNumber(item) ? item->valuedouble : def;
}

const char *
runview_str(const cJSON *obj, const char *name, const char *def)
{
	const cJSON *item = cJSON_GetObjectItemCaseSensitive(obj, name);

	return cJSON_IsString(item) ? item->valuestring : def;
}

/* " [ws]" or "" */
static void
runview_where(FILE *f, const cJSON *p)
{
	const char *ws = runview_str(p, "workspace", "");

	if (ws[0] != '\0')
		fprintf(f, " [%s]", ws);
}

void
runview_message(const struct cmd_ctx *ctx, const struct msg_reply *msg)
{
	const cJSON *p = msg->body;
	const char *type = runview_str(p, "type", "");

	if (ctx->json || msg->kind != MSG_PROGRESS)
		return;
	if (strcmp(type, "output") == 0) {
		FILE *f = runview_num(p, "stream", 1) == 2 ? stderr : ctx->out;

		runview_output(ctx, f, runview_str(p, "data", ""));
	} else if (strcmp(type, "queued") == 0) {
		fprintf(stderr, "ggen: run %.0f queued behind a running run\n",
		    runview_num(p, "run", 0));
	} else if (strcmp(type, "phase.started") == 0) {
		fflush(ctx->out);
		fprintf(stderr, "ggen: > %s", runview_str(p, "phase", "?"));
		runview_where(stderr, p);
		fputc('\n', stderr);
	} else if (strcmp(type, "phase.finished") == 0) {
		fflush(ctx->out);
		fprintf(stderr, "ggen: < %s", runview_str(p, "phase", "?"));
		runview_where(stderr, p);
		{
			/* "cached (restored)" / "cached (remote)": outputs
			 * came from the output cache (doc/remote-cache.md). */
			const char *how = runview_str(p, "cache", "");
			bool restored = strcmp(how, "restored") == 0 ||
			    strcmp(how, "remote") == 0;

			fprintf(stderr, " %s%s%s%s%s%s (%.0f ms)\n",
			    color_on(ctx->color_err, color_status(
			    runview_str(p, "status", "?"))),
			    runview_str(p, "status", "?"),
			    color_off(ctx->color_err), restored ? " (" : "",
			    restored ? how : "", restored ? ")" : "",
			    runview_num(p, "duration_ms", 0));
		}
	}
}

int
runview_summary(const struct cmd_ctx *ctx, const cJSON *run)
{
	const char *status = runview_str(run, "status", "?");
	const char *msg = runview_str(run, "message", NULL);
	bool good = strcmp(status, "ok") == 0 || strcmp(status, "cached") == 0;

	fflush(ctx->out);
	fprintf(stderr, "ggen: run %.0f %s%s%s: %.0f of %.0f phases, %.0f "
	    "cached, %.0f ms\n", runview_num(run, "run", 0),
	    color_on(ctx->color_err, color_status(status)), status,
	    color_off(ctx->color_err),
	    runview_num(run, "steps_done", 0), runview_num(run, "steps", 0),
	    runview_num(run, "steps_cached", 0),
	    runview_num(run, "duration_ms", 0));
	if (!good && msg != NULL)
		fprintf(stderr, "ggen: %serror%s: %s\n",
		    color_on(ctx->color_err, COLOR_RED),
		    color_off(ctx->color_err), msg);
	return good ? 0 : 1;
}

void
runview_output(const struct cmd_ctx *ctx, FILE *f, const char *data)
{
	size_t len = strlen(data);
	char *copy;

	if (!ctx->plain) {
		fwrite(data, 1, len, f);
	} else {
		copy = xmalloc(len + 1);
		memcpy(copy, data, len);
		len = color_strip(copy, len, ctx->strip_state);
		fwrite(copy, 1, len, f);
		free(copy);
	}
	fflush(f);
}
