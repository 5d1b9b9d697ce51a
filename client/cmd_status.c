/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * cmd_status.c - `ggenc status`: the daemon's pid, version, uptime, clients
 * and memory, as a short table for humans (--json prints the result).
 */
#include "cmd.h"
#include "cmd_entries.h"
#include "commands.h"

static double
cmd_status_num(const cJSON *obj, const char *name)
{
	const cJSON *item = cJSON_GetObjectItemCaseSensitive(obj, name);

	return cJSON_IsNumber(item) ? item->valuedouble : 0.0;
}

static const char *
cmd_status_str(const cJSON *obj, const char *name)
{
	const cJSON *item = cJSON_GetObjectItemCaseSensitive(obj, name);

	return cJSON_IsString(item) ? item->valuestring : "?";
}

/* The settings file, its state and the findings of its last load. */
static void
cmd_status_config(const struct cmd_ctx *ctx, const cJSON *config)
{
	const cJSON *file = cJSON_GetObjectItemCaseSensitive(config, "file");
	const cJSON *msg;
	double errors = cmd_status_num(config, "errors");
	double warnings = cmd_status_num(config, "warnings");

	if (!cJSON_IsObject(config))
		return;
	if (!cJSON_IsString(file))
		fprintf(ctx->out, "  config    (none)\n");
	else if (!cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(config,
	    "loaded")) && errors == 0)
		fprintf(ctx->out, "  config    %s (absent: defaults)\n",
		    file->valuestring);
	else
		fprintf(ctx->out, "  config    %s (%.0f error%s, %.0f "
		    "warning%s%s)\n", file->valuestring, errors,
		    errors == 1 ? "" : "s", warnings, warnings == 1 ? "" : "s",
		    errors > 0 ? "; not applied" : "");
	cJSON_ArrayForEach(msg, cJSON_GetObjectItemCaseSensitive(config,
	    "messages"))
		if (cJSON_IsString(msg))
			fprintf(ctx->out, "    %s\n", msg->valuestring);
}

/* One block per watched root. */
static void
cmd_status_roots(const struct cmd_ctx *ctx, const cJSON *roots)
{
	const cJSON *r, *w;
	const char *msg;

	cJSON_ArrayForEach(r, roots) {
		w = cJSON_GetObjectItemCaseSensitive(r, "watches");
		fprintf(ctx->out, "root %s (%s, %s%s)\n", cmd_status_str(r, "root"),
		    cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(r, "gone")) ?
		    "gone" : cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(r,
		    "ready")) ? "ready" : "crawling", cmd_status_str(r, "fs"),
		    cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(r, "polled")) ?
		    ", polled" : "");
		fprintf(ctx->out, "  files     %.0f in %.0f directories, clock "
		    "%s, %.0f hashes pending, %.1f MiB hashed\n",
		    cmd_status_num(r, "files"), cmd_status_num(r, "dirs"),
		    cmd_status_str(r, "clock"), cmd_status_num(r, "hash_pending"),
		    cmd_status_num(r, "bytes_hashed") / 1048576.0);
		fprintf(ctx->out, "  watches   %.0f here, %.0f/%.0f used, %.0f "
		    "directories polled\n", cmd_status_num(w, "root"),
		    cmd_status_num(w, "used"), cmd_status_num(w, "limit"),
		    cmd_status_num(r, "polled_dirs"));
		msg = cmd_status_str(w, "message");
		if (msg[0] != '\0' && msg[0] != '?')
			fprintf(ctx->out, "  warning   %s\n", msg);
		fprintf(ctx->out, "  events    %.0f overflows, %.0f rescans, "
		    "%.0f batches, window %.0f ms (%.0f..%.0f)\n",
		    cmd_status_num(r, "overflows"), cmd_status_num(r, "rescans"),
		    cmd_status_num(r, "batches"), cmd_status_num(r, "window_ms"),
		    cmd_status_num(r, "window_min_ms"),
		    cmd_status_num(r, "window_max_ms"));
	}
}

/* The output store and the remote cache (doc/remote-cache.md). */
static void
cmd_status_cache(const struct cmd_ctx *ctx, const cJSON *cache)
{
	const cJSON *st = cJSON_GetObjectItemCaseSensitive(cache, "store");
	const cJSON *rm = cJSON_GetObjectItemCaseSensitive(cache, "remote");
	const cJSON *reach, *lerr;

	if (!cJSON_IsObject(cache))
		return;
	if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(st, "enabled")))
		fprintf(ctx->out, "  store     %.1f of %.1f MiB, %.0f results; "
		    "%.0f restores, %.0f saves, %.0f evictions, %.0f errors\n",
		    cmd_status_num(st, "bytes") / 1048576.0,
		    cmd_status_num(st, "max_bytes") / 1048576.0,
		    cmd_status_num(st, "entries"),
		    cmd_status_num(st, "restores"),
		    cmd_status_num(st, "saves"),
		    cmd_status_num(st, "evictions"),
		    cmd_status_num(st, "errors"));
	else
		fprintf(ctx->out, "  store     off\n");
	if (!cJSON_IsObject(rm))
		return;
	if (cmd_status_str(rm, "url")[0] == '\0') {
		fprintf(ctx->out, "  remote    none\n");
		return;
	}
	reach = cJSON_GetObjectItemCaseSensitive(rm, "reachable");
	lerr = cJSON_GetObjectItemCaseSensitive(rm, "last_error");
	fprintf(ctx->out, "  remote    %s (%s%s), %s\n",
	    cmd_status_str(rm, "url"),
	    cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(rm, "read")) ?
	    "read" : "no read",
	    cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(rm, "write")) ?
	    ", write" : ", no write",
	    !cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(rm, "enabled")) ?
	    "DISABLED" : cJSON_IsTrue(reach) ? "reachable" :
	    cJSON_IsFalse(reach) ? "UNREACHABLE" : "not asked yet");
	fprintf(ctx->out, "            %.0f hits, %.0f misses, %.0f restores, "
	    "%.0f uploads; %.1f MiB down, %.1f MiB up; %.0f errors\n",
	    cmd_status_num(rm, "hits"), cmd_status_num(rm, "misses"),
	    cmd_status_num(cache, "restored_remote"),
	    cmd_status_num(rm, "uploads"),
	    cmd_status_num(rm, "bytes_down") / 1048576.0,
	    cmd_status_num(rm, "bytes_up") / 1048576.0,
	    cmd_status_num(rm, "errors"));
	if (cJSON_IsString(lerr))
		fprintf(ctx->out, "            last error: %s\n",
		    lerr->valuestring);
}

static int
cmd_status_render(const struct cmd_ctx *ctx, const cJSON *result)
{
	const cJSON *clients = cJSON_GetObjectItemCaseSensitive(result,
	    "clients");
	const cJSON *runs = cJSON_GetObjectItemCaseSensitive(result, "runs");
	const cJSON *last = cJSON_GetObjectItemCaseSensitive(runs, "last");
	const cJSON *tpl;
	const cJSON *history = cJSON_GetObjectItemCaseSensitive(result,
	    "history");
	unsigned long long up_s = (unsigned long long)
	    (cmd_status_num(result, "uptime_ms") / 1000.0);

	fprintf(ctx->out, "ggend %s (pid %.0f, protocol %.0f)\n",
	    cmd_status_str(result, "version"), cmd_status_num(result, "pid"),
	    cmd_status_num(result, "proto"));
	fprintf(ctx->out, "  uptime    %llud %02lluh %02llum %02llus\n",
	    up_s / 86400, up_s / 3600 % 24, up_s / 60 % 60, up_s % 60);
	fprintf(ctx->out, "  socket    %s%s\n", cmd_status_str(result, "socket"),
	    cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(result,
	    "socket_activated")) ? " (socket activated)" : "");
	fprintf(ctx->out, "  state     %s\n",
	    cmd_status_str(result, "state_dir"));
	fprintf(ctx->out, "  clients   %.0f connected, %.0f accepted, %.0f "
	    "dropped, %.0f refused\n", cmd_status_num(clients, "connected"),
	    cmd_status_num(clients, "accepted"),
	    cmd_status_num(clients, "dropped"),
	    cmd_status_num(clients, "refused"));
	fprintf(ctx->out, "  memory    %.1f MiB resident\n",
	    cmd_status_num(result, "rss_bytes") / 1048576.0);
	fprintf(ctx->out, "  requests  %.0f\n",
	    cmd_status_num(result, "requests"));
	if (cJSON_IsObject(runs)) {
		fprintf(ctx->out, "  runs      %.0f running, %.0f queued, %.0f "
		    "recent\n", cmd_status_num(runs, "running"),
		    cmd_status_num(runs, "queued"),
		    cmd_status_num(runs, "finished"));
		if (cJSON_IsObject(last))
			fprintf(ctx->out, "  last run  %.0f %s (%.0f ms)\n",
			    cmd_status_num(last, "run"),
			    cmd_status_str(last, "status"),
			    cmd_status_num(last, "duration_ms"));
	}
	cmd_status_config(ctx, cJSON_GetObjectItemCaseSensitive(result,
	    "config"));
	cmd_status_roots(ctx, cJSON_GetObjectItemCaseSensitive(result,
	    "roots"));
	tpl = cJSON_GetObjectItemCaseSensitive(result, "templates");
	if (cJSON_IsObject(tpl))
		fprintf(ctx->out, "  templates %.0f compiled, %.0f hits, %.0f "
		    "misses\n", cmd_status_num(tpl, "cached"),
		    cmd_status_num(tpl, "hits"), cmd_status_num(tpl, "misses"));
	if (cJSON_IsObject(history)) {
		fprintf(ctx->out, "  history   %s, %.1f MiB, keep %.0f per "
		    "phase%s%s\n", cmd_status_str(history, "path"),
		    cmd_status_num(history, "size_bytes") / 1048576.0,
		    cmd_status_num(history, "keep"),
		    cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(history,
		    "degraded")) ? "; DEGRADED: " : "",
		    cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(history,
		    "degraded")) ? cmd_status_str(history, "reason") : "");
		fprintf(ctx->out, "  flushes   %.0f (longest %.1f ms), %.0f "
		    "slow phases\n", cmd_status_num(history, "flushes"),
		    cmd_status_num(history, "longest_flush_us") / 1000.0,
		    cmd_status_num(history, "slow_phases"));
	}
	cmd_status_cache(ctx, cJSON_GetObjectItemCaseSensitive(result,
	    "cache"));
	return 0;
}

const struct cmd_entry cmd_status_entry = {
	.name = "status", .alias = "st", .usage = "",
	.summary = "Show the daemon's pid, version, uptime, clients, memory.",
	.args = { .min = 0, .max = 0 }, .proto = PROTO_CMD_STATUS,
	.render = cmd_status_render,
};
