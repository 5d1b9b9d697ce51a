/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * req_stats.c - `stats`: per phase over the retained finished runs: run
 * count, success rate, cache hit rate, p50/p95 duration (history_stats).
 */
#include <limits.h>

#include "ggend.h"
#include "histlink.h"
#include "req.h"
#include "req_entries.h"
#include "req_scope.h"

static int
req_stats(struct req *req, struct gerr *err)
{
	const cJSON *phase = req_field(req, "phase");
	char scope[PATH_MAX];
	bool scoped;
	struct history_filter f = { 0 };
	struct history_phase_stats *st = NULL;
	cJSON *result, *arr, *o;
	size_t n = 0, i;
	int rc;

	f.phase = cJSON_IsString(phase) ? phase->valuestring : NULL;
	req_scope_root(req, scope, sizeof(scope), &scoped);
	f.root = scoped ? scope : NULL;
	/* Every root: one row per project, never one p50 over two. */
	f.by_root = !scoped;
	rc = history_stats(histlink_history(req->g->histlink), &f, &st, &n,
	    err);
	if (rc != 0)
		return rc;
	result = cJSON_CreateObject();
	req_scope_json(req, result);
	arr = cJSON_AddArrayToObject(result, "phases");
	for (i = 0; i < n; i++) {
		o = cJSON_CreateObject();
		cJSON_AddStringToObject(o, "phase", st[i].phase);
		if (st[i].root != NULL)
			cJSON_AddStringToObject(o, "root", st[i].root);
		cJSON_AddNumberToObject(o, "runs", (double)st[i].runs);
		cJSON_AddNumberToObject(o, "ok", (double)st[i].ok);
		cJSON_AddNumberToObject(o, "cached", (double)st[i].cached);
		cJSON_AddNumberToObject(o, "success_rate", st[i].success_rate);
		cJSON_AddNumberToObject(o, "cache_hit_rate",
		    st[i].cache_hit_rate);
		cJSON_AddNumberToObject(o, "p50_ms",
		    (double)st[i].p50_us / 1000.0);
		cJSON_AddNumberToObject(o, "p95_ms",
		    (double)st[i].p95_us / 1000.0);
		cJSON_AddItemToArray(arr, o);
	}
	history_stats_free(st, n);
	req_reply_ok(req, result);
	return 0;
}

const struct req_entry req_stats_entry = {
	.proto = PROTO_CMD_STATS,
	.handler = req_stats,
};
