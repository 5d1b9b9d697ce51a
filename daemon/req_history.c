/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * req_history.c - `history`: recorded runs, newest first, filtered by
 * phase, root, workspace, failure and start time (`since`, parsed here by
 * common/since so that every client gets the same rules).
 *
 * Reads the store on the loop's own connection: in WAL mode a flush on the
 * writer thread never blocks it, and the store merges what is still queued.
 */
#include <limits.h>
#include <sys/time.h>

#include "ggend.h"
#include "histlink.h"
#include "req.h"
#include "req_entries.h"
#include "req_scope.h"
#include "wire_run.h"
#include "since.h"

/* Runs listed when the request names no limit. */
#define REQ_HISTORY_LIMIT_DEFAULT 20

static const char *
req_history_str(const struct req *req, const char *name)
{
	const cJSON *f = req_field(req, name);

	return cJSON_IsString(f) ? f->valuestring : NULL;
}

static int
req_history(struct req *req, struct gerr *err)
{
	struct history_filter f = { .limit = REQ_HISTORY_LIMIT_DEFAULT };
	const cJSON *limit = req_field(req, "limit");
	struct history_run *runs = NULL;
	const char *since;
	struct timeval tv;
	char root[PATH_MAX];
	bool scoped;
	cJSON *result, *arr;
	size_t n = 0, i;
	int rc;

	f.phase = req_history_str(req, "phase");
	req_scope_root(req, root, sizeof(root), &scoped);
	f.root = scoped ? root : NULL;
	f.workspace = req_history_str(req, "workspace");
	f.failed_only = cJSON_IsTrue(req_field(req, "failed"));
	if (limit != NULL) {
		if (limit->valuedouble < 0)
			return gerr_set(err, GERR_INVALID, "limit: expected 0 "
			    "(no limit) or more, found %.0f",
			    limit->valuedouble);
		f.limit = (size_t)limit->valuedouble;
	}
	since = req_history_str(req, "since");
	if (since != NULL) {
		gettimeofday(&tv, NULL);
		rc = since_parse(since, (int64_t)tv.tv_sec * 1000000 +
		    tv.tv_usec, &f.since_us, err);
		if (rc != 0)
			return rc;
	}
	rc = history_list(histlink_history(req->g->histlink), &f, &runs, &n,
	    err);
	if (rc != 0)
		return rc;
	result = cJSON_CreateObject();
	req_scope_json(req, result);
	arr = cJSON_AddArrayToObject(result, "runs");
	for (i = 0; i < n; i++)
		cJSON_AddItemToArray(arr, wire_run_history(&runs[i], false));
	history_runs_free(runs, n);
	req_reply_ok(req, result);
	return 0;
}

cJSON *
req_history_status(const struct histlink *hl)
{
	struct histlink_status st;

	histlink_status_get(hl, &st);
	return wire_run_history_status(&st);
}

const struct req_entry req_history_entry = {
	.proto = PROTO_CMD_HISTORY,
	.handler = req_history,
};
