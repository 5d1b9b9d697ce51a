/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * req_runs.c - `runs`: running and queued runs; with all, also the recent
 * finished ones the engine keeps in memory. Loop thread only.
 */
#include "engine.h"
#include "ggend.h"
#include "req.h"
#include "req_entries.h"

static int
req_runs(struct req *req, struct gerr *err)
{
	cJSON *out;

	if (req->g->engine == NULL)
		return gerr_set(err, GERR_INTERNAL, "runs: no engine");
	out = cJSON_CreateObject();
	cJSON_AddItemToObject(out, "runs", engine_runs_json(req->g->engine,
	    cJSON_IsTrue(req_field(req, "all"))));
	req_reply_ok(req, out);
	return 0;
}

const struct req_entry req_runs_entry = {
	.proto = PROTO_CMD_RUNS,
	.handler = req_runs,
};
