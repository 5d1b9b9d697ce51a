/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * req_events.c - `events`: subscribe the connection to events
 * (files.changed, and whatever else is published). The request stays
 * deferred for the connection's life: one progress message
 * {"subscribed":true} says the subscription is live (so a client can
 * start changing files without racing it), events follow; the reply comes
 * only if the daemon stops first. Nothing is replayed: a subscriber that
 * reconnects resumes with `changes --since` the clock of the last
 * files.changed it saw, which answers exactly or says fresh (clocks name
 * their daemon run and root: req_changes.c).
 *
 * Also the publishers of the engine's and the history's events: those
 * hand typed events (engine_event, histlink_slow) and the lines for
 * subscribers are built here, at the edge (daemon/wire_run.h).
 */
#include <stdlib.h>

#include "ggend.h"
#include "req.h"
#include "req_entries.h"
#include "server.h"
#include "wire_run.h"

static void
req_events_send(struct ggend *g, char *line)
{
	if (line != NULL && g->server != NULL)
		server_publish(g->server, line);
	free(line);
}

void
req_events_engine(void *arg, const struct engine_event *ev)
{
	struct ggend *g = arg;

	if (g->server != NULL)
		req_events_send(g, wire_run_event_line(ev));
}

void
req_events_slow(void *arg, const struct histlink_slow *ev)
{
	struct ggend *g = arg;

	if (g->server != NULL)
		req_events_send(g, wire_run_slow_line(ev));
}

static void
req_events_cancel(struct req *req, void *arg)
{
	(void)arg;
	req_release(req);
}

static int
req_events(struct req *req, struct gerr *err)
{
	cJSON *p = cJSON_CreateObject();

	(void)err;
	server_client_subscribe(req->client);
	req_defer(req, req_events_cancel, NULL);
	cJSON_AddBoolToObject(p, "subscribed", true);
	req_progress(req, p);
	return 0;
}

const struct req_entry req_events_entry = {
	.proto = PROTO_CMD_EVENTS,
	.handler = req_events,
};
