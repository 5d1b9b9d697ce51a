/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * req_trim.c - `trim`: cut every (root, workspace, phase) down to its
 * newest `keep` runs now (default: history.keep). On demand only: it waits
 * for queued rows to be written and deletes on the loop thread, so a huge
 * history stalls the loop for the length of one DELETE pass.
 */
#include "ggend.h"
#include "histlink.h"
#include "req.h"
#include "req_entries.h"

static int
req_trim(struct req *req, struct gerr *err)
{
	const cJSON *keep = req_field(req, "keep");
	uint64_t deleted = 0;
	unsigned k = 0;
	cJSON *result;
	int rc;

	/* Bounds: the protocol table's row, checked before we are called. */
	if (keep != NULL)
		k = (unsigned)keep->valuedouble;
	rc = history_trim(histlink_history(req->g->histlink), k, &deleted,
	    err);
	if (rc != 0)
		return rc;
	/* first_run_only follows what the history still holds. */
	histlink_reload_done(req->g->histlink);
	result = cJSON_CreateObject();
	cJSON_AddNumberToObject(result, "deleted", (double)deleted);
	cJSON_AddNumberToObject(result, "keep", k != 0 ? (double)k :
	    (double)req->g->cfg.history_keep);
	req_reply_ok(req, result);
	return 0;
}

const struct req_entry req_trim_entry = {
	.proto = PROTO_CMD_TRIM,
	.handler = req_trim,
};
