/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * req_trim.c - `trim`: cut every (root, workspace, phase) down to its
 * newest `keep` runs now (default: history.keep). The DELETE pass runs on
 * the history worker's own connection (history_job_run), off the loop:
 * the reply is deferred until it is done. A client that goes away does
 * not stop the trim; its reply is dropped.
 */
#include <stdlib.h>

#include "ggend.h"
#include "histlink.h"
#include "history.h"
#include "req.h"
#include "req_entries.h"
#include "worker.h"
#include "xmalloc.h"

struct req_trim {
	struct req *req;
	struct ggend *g;
	struct history *h;
	struct history_job *job;
	unsigned keep;
};

static void
req_trim_fn(void *arg)
{
	history_job_run(((struct req_trim *)arg)->job);
}

static void
req_trim_done(void *arg)
{
	struct req_trim *t = arg;
	uint64_t deleted = 0;
	struct gerr err;
	cJSON *result;

	gerr_clear(&err);
	if (history_job_finish(t->h, t->job, &deleted, NULL, NULL, &err) !=
	    0) {
		req_reply_error(t->req, &err);
	} else {
		/* first_run_only follows what the history still holds. */
		histlink_reload_done(t->g->histlink);
		result = cJSON_CreateObject();
		cJSON_AddNumberToObject(result, "deleted", (double)deleted);
		cJSON_AddNumberToObject(result, "keep", (double)t->keep);
		req_reply_ok(t->req, result);
	}
	free(t);
}

/* The reply is still written (and dropped) when the job is done. */
static void
req_trim_cancel(struct req *req, void *arg)
{
	(void)req;
	(void)arg;
}

static int
req_trim(struct req *req, struct gerr *err)
{
	const cJSON *keep = req_field(req, "keep");
	struct req_trim *t;
	unsigned k = 0;

	(void)err;
	/* Bounds: the protocol table's row, checked before we are called. */
	if (keep != NULL)
		k = (unsigned)keep->valuedouble;
	t = xcalloc(1, sizeof(*t));
	t->req = req;
	t->g = req->g;
	t->h = histlink_history(req->g->histlink);
	t->keep = k != 0 ? k : (unsigned)req->g->cfg.history_keep;
	t->job = history_trim_job(t->h, k);
	req_defer(req, req_trim_cancel, t);
	worker_submit(histlink_worker(req->g->histlink), req_trim_fn,
	    req_trim_done, t);
	return 0;
}

const struct req_entry req_trim_entry = {
	.proto = PROTO_CMD_TRIM,
	.handler = req_trim,
};
