/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * req_status.c - `status`: pid, version, uptime, clients, RSS, counters,
 * the settings file and its last load's findings.
 *
 * Reads /proc/self/statm for RSS (one small read, no blocking risk).
 * Counters are 64-bit but stay far below 2^53, so they travel as numbers.
 */
#include <limits.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include "engine.h"
#include "clock.h"
#include "errors.h"
#include "ggend.h"
#include "tplcache.h"
#include "histlink.h"
#include "outcache.h"
#include "req.h"
#include "req_entries.h"
#include "server.h"
#include "version.h"
#include "watch.h"
#include "wire_watch.h"

static double
req_status_rss_bytes(void)
{
	unsigned long size = 0, resident = 0;
	FILE *f = fopen("/proc/self/statm", "re");

	if (f == NULL)
		return 0;
	if (fscanf(f, "%lu %lu", &size, &resident) != 2)
		resident = 0;
	fclose(f);
	return (double)resident * (double)sysconf(_SC_PAGESIZE);
}

/* Where the log goes: stderr's file when it is a regular file (autostart
 * appends to <state>/ggend.log), else null (a terminal, or journald under
 * systemd: `journalctl --user -u ggend`). */
static void
req_status_log(cJSON *result)
{
	char path[PATH_MAX];
	struct stat st;
	ssize_t n;

	if (fstat(2, &st) == 0 && S_ISREG(st.st_mode) &&
	    (n = readlink("/proc/self/fd/2", path, sizeof(path) - 1)) > 0) {
		path[n] = '\0';
		cJSON_AddStringToObject(result, "log", path);
	} else
		cJSON_AddNullToObject(result, "log");
}

/* The settings file and the findings of its last load (also `reload`'s
 * reply). */
void
req_status_config(const struct ggend *g, cJSON *result)
{
	const struct config_report *rep = &g->config_report;
	cJSON *c = cJSON_AddObjectToObject(result, "config");
	cJSON *lines;

	if (g->config_path != NULL)
		cJSON_AddStringToObject(c, "file", g->config_path);
	else
		cJSON_AddNullToObject(c, "file");
	cJSON_AddBoolToObject(c, "loaded", rep->loaded);
	cJSON_AddNumberToObject(c, "loads", (double)g->config_loads);
	cJSON_AddNumberToObject(c, "errors", (double)rep->errors);
	cJSON_AddNumberToObject(c, "warnings", (double)rep->warnings);
	lines = cJSON_AddArrayToObject(c, "messages");
	for (size_t i = 0; i < rep->len; i++)
		cJSON_AddItemToArray(lines, cJSON_CreateString(rep->lines[i]));
}

/* The compiled-template cache (daemon/tplcache): empty until the first
 * generate step. */
static void
req_status_templates(const struct ggend *g, cJSON *result)
{
	cJSON *t = cJSON_AddObjectToObject(result, "templates");
	struct tplcache_stats st = {
		.max_entries = (size_t)g->cfg.templates_cache_entries,
		.max_bytes = (size_t)g->cfg.templates_cache_bytes,
	};

	if (g->tplcache != NULL)
		tplcache_stats(g->tplcache, &st);
	cJSON_AddNumberToObject(t, "cached", (double)st.entries);
	cJSON_AddNumberToObject(t, "bytes", (double)st.bytes);
	cJSON_AddNumberToObject(t, "max_entries", (double)st.max_entries);
	cJSON_AddNumberToObject(t, "max_bytes", (double)st.max_bytes);
	cJSON_AddNumberToObject(t, "hits", (double)st.hits);
	cJSON_AddNumberToObject(t, "misses", (double)st.misses);
	cJSON_AddNumberToObject(t, "compiles", (double)st.compiles);
	cJSON_AddNumberToObject(t, "evictions", (double)st.evictions);
}

static int
req_status(struct req *req, struct gerr *err)
{
	struct ggend *g = req->g;
	struct server_stats st;
	cJSON *result, *clients, *errors;
	size_t i;

	(void)err;
	server_stats(g->server, &st);
	result = cJSON_CreateObject();
	cJSON_AddNumberToObject(result, "pid", (double)getpid());
	cJSON_AddStringToObject(result, "version", ggen_version());
	cJSON_AddNumberToObject(result, "proto", PROTO_VERSION);
	cJSON_AddNumberToObject(result, "uptime_ms",
	    (double)(clock_mono_ms() - g->start_ms));
	cJSON_AddNumberToObject(result, "rss_bytes", req_status_rss_bytes());
	cJSON_AddStringToObject(result, "socket", g->socket_path);
	cJSON_AddStringToObject(result, "state_dir", g->state_dir);
	cJSON_AddBoolToObject(result, "socket_activated", g->socket_adopted);
	clients = cJSON_AddObjectToObject(result, "clients");
	cJSON_AddNumberToObject(clients, "connected", (double)st.clients);
	cJSON_AddNumberToObject(clients, "accepted", (double)st.accepted);
	cJSON_AddNumberToObject(clients, "dropped", (double)st.dropped);
	cJSON_AddNumberToObject(clients, "refused", (double)st.refused);
	cJSON_AddNumberToObject(clients, "subscribers",
	    (double)st.subscribers);
	cJSON_AddNumberToObject(result, "requests", (double)g->requests);
	cJSON_AddNumberToObject(result, "reloads", (double)g->reloads);
	errors = cJSON_AddObjectToObject(result, "errors");
	for (i = 1; i < GERR_CODE_COUNT; i++)
		if (g->errors[i] > 0)
			cJSON_AddNumberToObject(errors, err_lookup(i)->wire,
			    (double)g->errors[i]);
	req_status_config(g, result);
	req_status_log(result);
	wire_watch_status(g->watch, cJSON_AddArrayToObject(result, "roots"));
	if (g->engine != NULL)
		cJSON_AddItemToObject(result, "runs",
		    req_run_status(g->engine));
	req_status_templates(g, result);
	if (g->histlink != NULL)
		cJSON_AddItemToObject(result, "history",
		    req_history_status(g->histlink));
	if (g->outcache != NULL)
		cJSON_AddItemToObject(result, "cache",
		    outcache_status_json(g->outcache));
	req_reply_ok(req, result);
	return 0;
}

const struct req_entry req_status_entry = {
	.proto = PROTO_CMD_STATUS,
	.handler = req_status,
};
