/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * cmd_status.c - `ggenc status`: the daemon's pid, version, uptime, clients,
 * memory, log, settings, templates and history (daemon-wide, first), then
 * one block per root; --json prints the result. `status --short` is one
 * line for a shell prompt (roots, running and failed phases); it never
 * starts a daemon, and prints nothing (exit 3) when none runs.
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "cmd_entries.h"
#include "commands.h"
#include "escape.h"
#include "errors.h"
#include "strbuf.h"

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

/* The root's make.toml when absent or invalid, and the environment
 * on-save runs of it use (from runs.environments). */
static void
cmd_status_model(const struct cmd_ctx *ctx, const cJSON *r,
    const cJSON *envs)
{
	const cJSON *m = cJSON_GetObjectItemCaseSensitive(r, "model");
	const cJSON *e, *err = cJSON_GetObjectItemCaseSensitive(m, "error");
	const char *env = NULL, *src = NULL;

	if (strcmp(cmd_status_str(m, "state"), "absent") == 0)
		fprintf(ctx->out, "  make.toml none: files are watched, no "
		    "phase runs (ggenc init writes one)\n");
	else if (cJSON_IsString(err)) {
		fprintf(ctx->out, "  make.toml INVALID, nothing runs until "
		    "fixed: %s\n", err->valuestring);
		cJSON_ArrayForEach(e, cJSON_GetObjectItemCaseSensitive(m,
		    "errors"))
			if (cJSON_IsString(e))
				fprintf(ctx->out, "    %s\n", e->valuestring);
	}
	cJSON_ArrayForEach(e, envs) {
		if (strcmp(cmd_status_str(e, "root"), cmd_status_str(r,
		    "root")) != 0)
			continue;
		env = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(e,
		    "env"));
		src = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(e,
		    "source"));
	}
	fprintf(ctx->out, "  env       %s%s%s%s, for on-save runs (set by "
	    "the last manual run)\n", env != NULL ? env : "none",
	    src != NULL ? " (from " : "", src != NULL ? src : "",
	    src != NULL ? ")" : "");
}

/* How the root's table was built when it was added (status "load"):
 * from its snapshot, comparing stat tuples, or by a full crawl and why. */
static void
cmd_status_load(const struct cmd_ctx *ctx, const cJSON *r)
{
	const cJSON *l = cJSON_GetObjectItemCaseSensitive(r, "load");
	bool done = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(l, "done"));

	if (!cJSON_IsObject(l))
		return;
	if (strcmp(cmd_status_str(l, "from"), "snapshot") == 0) {
		fprintf(ctx->out, "  loaded    from its snapshot%s%.0f ms: "
		    "%.0f re-hashed, %.0f racy, %.0f gone; %.0f directories "
		    "re-read, %.0f listed from the snapshot\n",
		    done ? " in " : ", still walking after ",
		    cmd_status_num(l, "ms"), cmd_status_num(l, "rehashed"),
		    cmd_status_num(l, "racy"), cmd_status_num(l, "gone"),
		    cmd_status_num(l, "dirs_read"),
		    cmd_status_num(l, "dirs_from_snapshot"));
		return;
	}
	char *why = escape_member(l, "reason");

	fprintf(ctx->out, "  loaded    by a full crawl%s%.0f ms (%s)\n",
	    done ? " in " : ", still crawling after ",
	    cmd_status_num(l, "ms"), why);
	free(why);
}

/* One block per watched root. */
static void
cmd_status_roots(const struct cmd_ctx *ctx, const cJSON *roots,
    const cJSON *envs)
{
	const cJSON *r, *w;
	const char *msg;

	cJSON_ArrayForEach(r, roots) {
		w = cJSON_GetObjectItemCaseSensitive(r, "watches");
		char *root = escape_member(r, "root");

		fprintf(ctx->out, "\nroot %s (%s, %s%s)\n", root,
		    cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(r, "gone")) ?
		    "gone" : cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(r,
		    "ready")) ? "ready" : "crawling", cmd_status_str(r, "fs"),
		    cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(r, "polled")) ?
		    ", polled" : "");
		free(root);
		fprintf(ctx->out, "  files     %.0f in %.0f directories, clock "
		    "%s, %.0f hashes pending, %.1f MiB hashed\n",
		    cmd_status_num(r, "files"), cmd_status_num(r, "dirs"),
		    cmd_status_str(r, "clock"), cmd_status_num(r, "hash_pending"),
		    cmd_status_num(r, "bytes_hashed") / 1048576.0);
		cmd_status_load(ctx, r);
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
		cmd_status_model(ctx, r, envs);
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

/* "name" or "root-basename:name" (when several roots) for each of the
 * runs in arr, comma separated. */
static void
cmd_status_phase_list(const cJSON *arr, bool qualify, struct strbuf *sb)
{
	const cJSON *r, *p;
	size_t n = 0;

	cJSON_ArrayForEach(r, arr) {
		const char *root = cmd_status_str(r, "root");
		const char *base = strrchr(root, '/');

		cJSON_ArrayForEach(p, cJSON_GetObjectItemCaseSensitive(r,
		    "phases")) {
			if (!cJSON_IsString(p))
				continue;
			strbuf_addf(sb, "%s%s%s%s", n++ ? "," : "",
			    qualify ? (base != NULL ? base + 1 : root) : "",
			    qualify ? ":" : "", p->valuestring);
		}
	}
}

/* ", 1 invalid make.toml (hello)" for roots whose make.toml does not
 * parse (nothing runs there). */
static void
cmd_status_invalid(const cJSON *result, struct strbuf *sb)
{
	const cJSON *r;
	struct strbuf names = STRBUF_INIT;
	int n = 0;

	cJSON_ArrayForEach(r, cJSON_GetObjectItemCaseSensitive(result,
	    "roots")) {
		const char *st = cJSON_GetStringValue(
		    cJSON_GetObjectItemCaseSensitive(
		    cJSON_GetObjectItemCaseSensitive(r, "model"), "state"));
		const char *root = cmd_status_str(r, "root");
		const char *base = strrchr(root, '/');

		if (st == NULL || strcmp(st, "invalid") != 0)
			continue;
		strbuf_addf(&names, "%s%s", n++ ? "," : "",
		    base != NULL && base[1] != '\0' ? base + 1 : root);
	}
	if (n > 0)
		strbuf_addf(sb, ", %d invalid make.toml (%s)", n, names.buf);
	strbuf_release(&names);
}

/* One line: "ggen: 2 roots, running build, failed hello:test, 1 invalid
 * make.toml (web)". */
static int
cmd_status_short(const struct cmd_ctx *ctx, const cJSON *result)
{
	const cJSON *runs = cJSON_GetObjectItemCaseSensitive(result, "runs");
	const cJSON *active = cJSON_GetObjectItemCaseSensitive(runs, "active");
	const cJSON *failed = cJSON_GetObjectItemCaseSensitive(runs, "failed");
	int roots = cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(result,
	    "roots"));
	struct strbuf sb = STRBUF_INIT;

	strbuf_addf(&sb, "ggen: %d root%s", roots, roots == 1 ? "" : "s");
	if (cJSON_GetArraySize(active) > 0) {
		strbuf_addstr(&sb, ", running ");
		cmd_status_phase_list(active, roots > 1, &sb);
	}
	if (cJSON_GetArraySize(failed) > 0) {
		strbuf_addstr(&sb, ", failed ");
		cmd_status_phase_list(failed, roots > 1, &sb);
	}
	cmd_status_invalid(result, &sb);
	fprintf(ctx->out, "%s\n", sb.buf);
	strbuf_release(&sb);
	return 0;
}

static int
cmd_status_unreachable(const struct cmd_ctx *ctx, const struct gerr *err)
{
	/* A prompt shows nothing when no daemon runs; the exit status says
	 * why. Without --short the reason is printed as usual. */
	if (ctx->json)
		cmd_print_error(ctx, "status", err);
	else if (!cmd_opt_flag(ctx, "--short"))
		fprintf(stderr, "ggenc: %s\n", err->msg);
	return (int)err_lookup(err->code)->exit_status;
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
	const char *log = cJSON_GetStringValue(
	    cJSON_GetObjectItemCaseSensitive(result, "log"));
	unsigned long long up_s = (unsigned long long)
	    (cmd_status_num(result, "uptime_ms") / 1000.0);

	if (cmd_opt_flag(ctx, "--short"))
		return cmd_status_short(ctx, result);
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
	fprintf(ctx->out, "  log       %s\n", log != NULL ? log :
	    "stderr (a terminal, or the journal under systemd: "
	    "journalctl --user -u ggend)");
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
			fprintf(ctx->out, "  last run  %.0f %s (%.1f ms)\n",
			    cmd_status_num(last, "id"),
			    cmd_status_str(last, "status"),
			    cmd_status_num(last, "duration_ms"));
	}
	cmd_status_config(ctx, cJSON_GetObjectItemCaseSensitive(result,
	    "config"));
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
	/* Per-root blocks last, each set apart by a blank line, so nothing
	 * daemon-wide reads as if it belonged to the last root. */
	cmd_status_roots(ctx, cJSON_GetObjectItemCaseSensitive(result,
	    "roots"), cJSON_GetObjectItemCaseSensitive(runs, "environments"));
	return 0;
}

static const struct cmd_opt cmd_status_opts[] = {
	{ "--short", 0, NULL,
	    "one line for a shell prompt: roots, running and failed phases; never starts a daemon", CMD_OPT_NO_START },
	{ NULL, 0, NULL, NULL, 0 },
};

const struct cmd_entry cmd_status_entry = {
	.name = "status", .alias = "st", .usage = "[--short]",
	.summary = "Show the daemon's pid, version, uptime, clients, memory.",
	.args = { .min = 0, .max = 0 }, .proto = PROTO_CMD_STATUS,
	.render = cmd_status_render,
	.render_unreachable = cmd_status_unreachable,
	.opts = cmd_status_opts,
	.example = "ggenc status\n" "ggenc status --short\n" "ggenc --json status",
};
