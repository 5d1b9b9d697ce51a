/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * req_cancel.c - `cancel RUN`: stop a queued or running run.
 *
 * Answers at once; the run ends "cancelled" once its processes are gone
 * (SIGTERM to their groups, SIGKILL after the grace period), which
 * followers and subscribers see as run.finished. Loop thread only.
 */
#include "engine.h"
#include "ggend.h"
#include "req.h"
#include "req_entries.h"
#include "req_run.h"
#include "req_scope.h"

static int
req_cancel_run(struct req *req, struct gerr *err)
{
	const cJSON *run = req_field(req, "run");
	uint64_t id;
	cJSON *out;
	int rc;

	if (req->g->engine == NULL)
		return gerr_set(err, GERR_INTERNAL, "cancel: no engine");
	if ((rc = req_scope_run_id(req, "run", err)) != 0)
		return rc;
	if (run->valuedouble < 1)
		return gerr_set(err, GERR_RUN_NOT_FOUND, "run %.0f not found",
		    run->valuedouble);
	id = (uint64_t)run->valuedouble;
	rc = engine_cancel(req->g->engine, id, err);
	if (rc != 0)
		return rc;
	out = req_run_object(req->g->engine, id);
	req_reply_ok(req, out);
	return 0;
}

const struct req_entry req_cancel_entry = {
	.proto = PROTO_CMD_CANCEL,
	.handler = req_cancel_run,
};
