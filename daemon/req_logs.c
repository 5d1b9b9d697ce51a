/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * req_logs.c - `logs RUN [follow]`: a run's output tail.
 *
 * Without follow: the tail (at most ENGINE_OUTPUT_CAP bytes) in the reply.
 * With follow: the tail so far and then live output as progress messages
 * (engine_event_json), the reply when the run ends. A client that goes
 * away stops following. Loop thread only. Invariant: a struct req_logs
 * lives until the reply or the cancel callback.
 */
#include <stdlib.h>

#include "engine.h"
#include "ggend.h"
#include "req.h"
#include "req_entries.h"
#include "xmalloc.h"

struct req_logs {
	struct req *req;
	struct engine *engine;
	uint64_t run_id;
	bool in_follow;		/* engine_follow has not returned yet */
	bool finished;
};

static void
req_logs_on_event(void *arg, const struct engine_event *ev)
{
	struct req_logs *st = arg;
	cJSON *p;

	if (ev->kind == ENGINE_EV_RUN_END) {
		st->finished = true;
		req_reply_ok(st->req, engine_run_json(st->engine, ev->run_id));
		if (!st->in_follow)
			free(st);
		return;
	}
	p = engine_event_json(ev);
	if (p != NULL)
		req_progress(st->req, p);
}

static void
req_logs_cancel(struct req *req, void *arg)
{
	struct req_logs *st = arg;

	engine_unfollow(st->engine, st->run_id, req_logs_on_event, st);
	req_release(req);
	free(st);
}

static int
req_logs(struct req *req, struct gerr *err)
{
	struct engine *engine = req->g->engine;
	double d = req_field(req, "run")->valuedouble;
	struct req_logs *st;
	cJSON *out, *ev;
	size_t len;
	bool done;
	char *tail;
	uint64_t id;
	int rc;

	if (engine == NULL)
		return gerr_set(err, GERR_INTERNAL, "logs: no engine");
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
	st = xcalloc(1, sizeof(*st));
	st->req = req;
	st->engine = engine;
	st->run_id = id;
	st->in_follow = true;
	req_defer(req, req_logs_cancel, st);
	rc = engine_follow(engine, id, req_logs_on_event, st, err);
	st->in_follow = false;
	if (rc != 0) {
		req_reply_error(req, err);
		free(st);
	} else if (st->finished) {
		free(st);
	}
	return 0;
}

const struct req_entry req_logs_entry = {
	.proto = PROTO_CMD_LOGS,
	.handler = req_logs,
};
