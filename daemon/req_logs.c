/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * req_logs.c - `logs RUN [follow]`: a run's output tail.
 *
 * Without follow: the tail (at most ENGINE_OUTPUT_CAP bytes) in the reply.
 * With follow: the tail so far and then live output as progress messages
 * (engine_event_json), the reply when the run ends. A client that goes
 * away stops following (req_run_follow). Loop thread only.
 */
#include <stdlib.h>

#include "engine.h"
#include "ggend.h"
#include "req.h"
#include "req_entries.h"
#include "req_scope.h"
#include "req_run.h"

static int
req_logs(struct req *req, struct gerr *err)
{
	struct engine *engine = req->g->engine;
	double d = req_field(req, "run")->valuedouble;
	cJSON *out, *ev;
	size_t len;
	bool done;
	char *tail;
	uint64_t id;

	if (engine == NULL)
		return gerr_set(err, GERR_INTERNAL, "logs: no engine");
	if (req_scope_run_id(req, "run", err) != 0)
		return err->code;
	d = req_field(req, "run")->valuedouble;
	id = d >= 1 ? (uint64_t)d : 0;
	tail = id > 0 ? engine_output(engine, id, &len, &done) : NULL;
	if (tail == NULL)
		return gerr_set(err, GERR_RUN_NOT_FOUND, "run %.0f not found",
		    d);
	if (!cJSON_IsTrue(req_field(req, "follow"))) {
		struct engine_event e = { .kind = ENGINE_EV_OUTPUT,
			.run_id = id, .output = tail, .output_len = len };

		out = engine_run_json(engine, id);
		ev = engine_event_json(&e);
		cJSON_AddItemToObject(out, "output",
		    cJSON_DetachItemFromObject(ev, "data"));
		cJSON_Delete(ev);
		free(tail);
		req_reply_ok(req, out);
		return 0;
	}
	free(tail);
	return req_run_follow(req, engine, id);
}

const struct req_entry req_logs_entry = {
	.proto = PROTO_CMD_LOGS,
	.handler = req_logs,
};
