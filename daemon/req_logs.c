/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * req_logs.c - `logs RUN [follow]`: a run's output tail.
 *
 * Without follow: the tail (at most ENGINE_OUTPUT_CAP bytes) in the reply.
 * With follow: the tail so far and then live output as progress messages
 * (wire_run_progress), the reply when the run ends. A client that goes
 * away stops following (req_run_follow). With phase: that phase's own
 * output as the history keeps it per phase span (kept when the phase
 * ends), apart from every other phase that ran at the same time. Loop
 * thread only.
 */
#include <stdlib.h>
#include <string.h>

#include "engine.h"
#include "ggend.h"
#include "histlink.h"
#include "strbuf.h"
#include "req.h"
#include "req_entries.h"
#include "req_scope.h"
#include "req_run.h"
#include "wire_run.h"

/* Whether a phase or hook span before span i of r has its name. */
static bool
req_logs_seen(const struct history_run *r, size_t i)
{
	for (size_t j = 0; j < i; j++)
		if ((r->spans[j].kind == HISTORY_SPAN_PHASE ||
		    r->spans[j].kind == HISTORY_SPAN_HOOK) &&
		    strcmp(r->spans[j].name, r->spans[i].name) == 0)
			return true;
	return false;
}

/* The phase's (and hook's) spans of r named name, as the reply's
 * "phase_outputs"; "output" is their outputs joined in span order. */
static int
req_logs_phase(struct req *req, const char *name, struct gerr *err)
{
	struct history_run *r = NULL;
	struct strbuf all = STRBUF_INIT, names = STRBUF_INIT;
	cJSON *out, *arr;
	size_t found = 0;
	uint64_t id;
	int rc;

	rc = wire_run_id(req_field(req, "run"), &id, err);
	if (rc == 0)
		rc = histlink_get_run(req->g->histlink, id, &r, err);
	if (rc != 0)
		return rc;
	out = wire_run_history(r, false);
	arr = cJSON_AddArrayToObject(out, "phase_outputs");
	for (size_t i = 0; i < r->n_spans; i++) {
		const struct history_span *sp = &r->spans[i];
		cJSON *o;

		if (sp->kind != HISTORY_SPAN_PHASE &&
		    sp->kind != HISTORY_SPAN_HOOK)
			continue;
		if (strcmp(sp->name, name) != 0) {
			if (!req_logs_seen(r, i)) {
				strbuf_addstr(&names, names.len > 0 ? ", " :
				    "");
				strbuf_addstr(&names, sp->name);
			}
			continue;
		}
		found++;
		o = cJSON_CreateObject();
		cJSON_AddStringToObject(o, "phase", sp->name);
		cJSON_AddStringToObject(o, "workspace", sp->workspace != NULL ?
		    sp->workspace : "");
		cJSON_AddStringToObject(o, "kind",
		    history_span_kind_name(sp->kind));
		cJSON_AddStringToObject(o, "status",
		    history_status_name(sp->status));
		cJSON_AddStringToObject(o, "output", sp->output != NULL ?
		    sp->output : "");
		cJSON_AddItemToArray(arr, o);
		if (sp->output != NULL)
			strbuf_add(&all, sp->output, sp->output_len);
	}
	if (found == 0) {
		rc = gerr_set(err, GERR_PHASE_NOT_FOUND, "run %llu has no phase "
		    "\"%s\" (its phases: %s)", (unsigned long long)r->id, name,
		    names.len > 0 ? names.buf : "none");
		cJSON_Delete(out);
	} else {
		cJSON_AddStringToObject(out, "output", all.len > 0 ?
		    all.buf : "");
		req_reply_ok(req, out);
	}
	strbuf_release(&all);
	strbuf_release(&names);
	history_run_free(r);
	return rc;
}

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
	if (req_field(req, "phase") != NULL) {
		if (cJSON_IsTrue(req_field(req, "follow")))
			return gerr_set(err, GERR_INVALID, "field \"phase\": "
			    "cannot be combined with \"follow\" (a phase's "
			    "own output is kept when the phase ends)");
		return req_logs_phase(req,
		    req_field(req, "phase")->valuestring, err);
	}
	d = req_field(req, "run")->valuedouble;
	id = d >= 1 ? (uint64_t)d : 0;
	tail = id > 0 ? engine_output(engine, id, &len, &done) : NULL;
	if (tail == NULL)
		return gerr_set(err, GERR_RUN_NOT_FOUND, "run %.0f not found",
		    d);
	if (!cJSON_IsTrue(req_field(req, "follow"))) {
		struct engine_event e = { .kind = ENGINE_EV_OUTPUT,
			.run_id = id, .output = tail, .output_len = len };

		out = req_run_object(engine, id);
		ev = wire_run_progress(&e);
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
