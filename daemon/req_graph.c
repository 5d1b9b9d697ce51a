/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * req_graph.c - `graph`: the phase graph a run request would execute
 * (dependencies and hooks, common/graph.h), with the last known status of
 * each phase from the engine's runs, in text, dot or Mermaid.
 *
 * Loop thread; runs nothing and allocates only the reply. ggenc graph asks
 * a running daemon first (never starting one) and draws locally, without
 * statuses, when none answers.
 */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "engine.h"
#include "ggend.h"
#include "graph.h"
#include "req.h"
#include "req_entries.h"

#define REQ_GRAPH_PHASES_MAX 64

static int
req_graph(struct req *req, struct gerr *err)
{
	const cJSON *list = req_field(req, "phases"), *item;
	const char *root = cJSON_GetStringValue(req_field(req, "root"));
	const char *fmt_name = cJSON_GetStringValue(req_field(req, "format"));
	const char *phases[REQ_GRAPH_PHASES_MAX];
	struct engine_request er;
	enum graph_format fmt = GRAPH_TEXT;
	char abs[PATH_MAX];
	struct engine_graph eg;
	int rc;

	if (req->g->engine == NULL)
		return gerr_set(err, GERR_INTERNAL, "graph: no engine");
	memset(&er, 0, sizeof(er));
	cJSON_ArrayForEach(item, list) {
		if (!cJSON_IsString(item) || item->valuestring[0] == '\0')
			return gerr_set(err, GERR_BAD_TYPE, "graph: field "
			    "\"phases\": expected non-empty strings");
		if (er.n_phases == REQ_GRAPH_PHASES_MAX)
			return gerr_set(err, GERR_LIMIT, "graph: more than %d "
			    "phases", REQ_GRAPH_PHASES_MAX);
		phases[er.n_phases++] = item->valuestring;
	}
	if (fmt_name != NULL && graph_format_parse(fmt_name, &fmt, err) != 0)
		return err->code;
	if (root[0] != '/' || realpath(root, abs) == NULL)
		return gerr_set(err, GERR_ROOT_NOT_FOUND, "root %s: not an "
		    "existing absolute directory", root);
	er.root = abs;
	er.phases = phases;
	er.target = PLAN_TARGET_DEFAULT;
	er.trigger = ENGINE_TRIGGER_MANUAL;
	er.env = cJSON_GetStringValue(req_field(req, "env"));
	er.env_auto = cJSON_GetStringValue(req_field(req, "env_auto"));
	rc = engine_graph(req->g->engine, &er, &eg, err);
	if (rc != 0)
		return rc;
	req_reply_ok(req, graph_json(&eg.plan, eg.title, fmt,
	    engine_graph_status, &eg));
	engine_graph_release(&eg);
	return 0;
}

const struct req_entry req_graph_entry = {
	.proto = PROTO_CMD_GRAPH,
	.handler = req_graph,
};
