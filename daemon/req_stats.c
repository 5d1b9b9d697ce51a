/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * req_stats.c - `stats`: per phase over the retained finished runs: run
 * count, success rate, cache hit rate, p50/p95 duration. Computed on the
 * history worker (history_stats_job: the rows still in memory are copied
 * on the loop, the database is read on the worker's own connection), the
 * reply deferred until then.
 */
#include <limits.h>
#include <stdlib.h>

#include "ggend.h"
#include "histlink.h"
#include "history.h"
#include "message.h"
#include "req.h"
#include "req_entries.h"
#include "req_scope.h"
#include "worker.h"
#include "xmalloc.h"

struct req_stats {
	struct req *req;
	struct history *h;
	struct history_job *job;
};

static void
req_stats_fn(void *arg)
{
	history_job_run(((struct req_stats *)arg)->job);
}

static void
req_stats_done(void *arg)
{
	struct req_stats *rs = arg;
	struct history_phase_stats *st = NULL;
	cJSON *result, *arr, *o;
	size_t n = 0, i;
	struct gerr err;

	gerr_clear(&err);
	if (history_job_finish(rs->h, rs->job, NULL, &st, &n, &err) != 0) {
		req_reply_error(rs->req, &err);
		free(rs);
		return;
	}
	result = cJSON_CreateObject();
	req_scope_json(rs->req, result);
	arr = cJSON_AddArrayToObject(result, "phases");
	for (i = 0; i < n; i++) {
		o = cJSON_CreateObject();
		cJSON_AddStringToObject(o, "phase", st[i].phase);
		if (st[i].root != NULL)
			cJSON_AddStringToObject(o, "root", st[i].root);
		cJSON_AddNumberToObject(o, "runs", (double)st[i].runs);
		cJSON_AddNumberToObject(o, "ok", (double)st[i].ok);
		cJSON_AddNumberToObject(o, "cached", (double)st[i].cached);
		msg_add_rate(o, "success_rate", st[i].success_rate);
		msg_add_rate(o, "cache_hit_rate", st[i].cache_hit_rate);
		msg_add_ms(o, "p50_ms", (double)st[i].p50_us / 1000.0);
		msg_add_ms(o, "p95_ms", (double)st[i].p95_us / 1000.0);
		cJSON_AddItemToArray(arr, o);
	}
	history_stats_free(st, n);
	req_reply_ok(rs->req, result);
	free(rs);
}

/* The reply is still written (and dropped) when the job is done. */
static void
req_stats_cancel(struct req *req, void *arg)
{
	(void)req;
	(void)arg;
}

static int
req_stats(struct req *req, struct gerr *err)
{
	const cJSON *phase = req_field(req, "phase");
	char scope[PATH_MAX];
	bool scoped;
	struct history_filter f = { 0 };
	struct req_stats *rs;

	(void)err;
	f.phase = cJSON_IsString(phase) ? phase->valuestring : NULL;
	req_scope_root(req, scope, sizeof(scope), &scoped);
	f.root = scoped ? scope : NULL;
	/* Every root: one row per project, never one p50 over two. */
	f.by_root = !scoped;
	rs = xcalloc(1, sizeof(*rs));
	rs->req = req;
	rs->h = histlink_history(req->g->histlink);
	rs->job = history_stats_job(rs->h, &f);
	req_defer(req, req_stats_cancel, rs);
	worker_submit(histlink_worker(req->g->histlink), req_stats_fn,
	    req_stats_done, rs);
	return 0;
}

const struct req_entry req_stats_entry = {
	.proto = PROTO_CMD_STATS,
	.handler = req_stats,
};
