/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * req_runs.c - `runs`: running and queued runs; with all, also the recent
 * finished ones the engine keeps in memory. Loop thread only.
 */
#include <limits.h>
#include <string.h>

#include "engine.h"
#include "ggend.h"
#include "req.h"
#include "req_entries.h"
#include "req_scope.h"

static int
req_runs(struct req *req, struct gerr *err)
{
	cJSON *out, *runs, *r, *next;
	char root[PATH_MAX];
	bool scoped;

	if (req->g->engine == NULL)
		return gerr_set(err, GERR_INTERNAL, "runs: no engine");
	out = cJSON_CreateObject();
	runs = engine_runs_json(req->g->engine,
	    cJSON_IsTrue(req_field(req, "all")));
	req_scope_root(req, root, sizeof(root), &scoped);
	for (r = scoped ? runs->child : NULL; r != NULL; r = next) {
		const char *rr = cJSON_GetStringValue(
		    cJSON_GetObjectItemCaseSensitive(r, "root"));

		next = r->next;
		if (rr == NULL || strcmp(rr, root) != 0)
			cJSON_Delete(cJSON_DetachItemViaPointer(runs, r));
	}
	req_scope_json(req, out);
	cJSON_AddItemToObject(out, "runs", runs);
	req_reply_ok(req, out);
	return 0;
}

const struct req_entry req_runs_entry = {
	.proto = PROTO_CMD_RUNS,
	.handler = req_runs,
};
