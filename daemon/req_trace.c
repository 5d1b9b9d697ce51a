/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * req_trace.c - `trace`: a recorded run as Chrome trace-event JSON
 * (common/chrometrace), which Perfetto and chrome://tracing open. The
 * trace travels as an object inside the result.
 */
#include <stdlib.h>
#include <string.h>

#include "chrometrace.h"
#include "ggend.h"
#include "histlink.h"
#include "req.h"
#include "req_entries.h"
#include "req_scope.h"
#include "wire_run.h"

static int
req_trace(struct req *req, struct gerr *err)
{
	const cJSON *format = req_field(req, "format");
	struct chrometrace_run cr;
	struct history_run *r = NULL;
	struct spanrec *spans;
	cJSON *result, *trace;
	char *text;
	uint64_t id;
	int rc;

	if (cJSON_IsString(format) && strcmp(format->valuestring,
	    "chrome") != 0)
		return gerr_set(err, GERR_INVALID, "format: expected \"chrome\","
		    " found \"%.32s\"", format->valuestring);
	if ((rc = req_scope_run_id(req, "run", err)) != 0)
		return rc;
	rc = wire_run_id(req_field(req, "run"), &id, err);
	if (rc == 0)
		rc = histlink_get_run(req->g->histlink, id, &r, err);
	if (rc != 0)
		return rc;
	memset(&cr, 0, sizeof(cr));
	cr.id = r->id;
	cr.root = r->root;
	cr.workspace = r->workspace;
	cr.phase = r->phase;
	cr.status = history_status_name(r->status);
	cr.start_us = r->start_us;
	/* A running row's end_us is its last "seen" mark, not an end. */
	cr.end_us = r->status == HISTORY_RUNNING ? 0 : r->end_us;
	spans = history_run_spanrecs(r);
	text = chrometrace_render(&cr, spans, r->n_spans, NULL);
	free(spans);
	history_run_free(r);
	trace = cJSON_Parse(text);
	free(text);
	if (trace == NULL)
		return gerr_set(err, GERR_INTERNAL, "trace: rendered JSON does "
		    "not parse");
	result = cJSON_CreateObject();
	cJSON_AddStringToObject(result, "format", "chrome");
	cJSON_AddItemToObject(result, "trace", trace);
	req_reply_ok(req, result);
	return 0;
}

const struct req_entry req_trace_entry = {
	.proto = PROTO_CMD_TRACE,
	.handler = req_trace,
};
