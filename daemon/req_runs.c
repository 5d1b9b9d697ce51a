/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * req_runs.c - `runs`: running and queued runs; with all, also the recent
 * finished ones the engine keeps in memory. Loop thread only.
 */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "engine.h"
#include "ggend.h"
#include "req.h"
#include "req_entries.h"
#include "req_scope.h"
#include "wire_run.h"

static int
req_runs(struct req *req, struct gerr *err)
{
	struct engine_run_info *infos;
	cJSON *out, *runs;
	char root[PATH_MAX];
	bool scoped;
	size_t n;

	if (req->g->engine == NULL)
		return gerr_set(err, GERR_INTERNAL, "runs: no engine");
	out = cJSON_CreateObject();
	n = engine_runs(req->g->engine, cJSON_IsTrue(req_field(req, "all")),
	    &infos);
	req_scope_root(req, root, sizeof(root), &scoped);
	runs = cJSON_CreateArray();
	for (size_t i = 0; i < n; i++)
		if (!scoped || strcmp(infos[i].root, root) == 0)
			cJSON_AddItemToArray(runs, wire_run_object(&infos[i]));
	free(infos);
	req_scope_json(req, out);
	cJSON_AddItemToObject(out, "runs", runs);
	req_reply_ok(req, out);
	return 0;
}

const struct req_entry req_runs_entry = {
	.proto = PROTO_CMD_RUNS,
	.handler = req_runs,
};
