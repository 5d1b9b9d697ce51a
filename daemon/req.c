/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * req.c - lifetime of one request: dispatch, reply, defer, cancel.
 *
 * Owns each struct req and its parsed JSON. Called by server.c (req_new,
 * req_run, req_cancel) and by handlers (reply/progress/defer).
 * Invariants: refs counts the server's hold during req_run and the
 * handler's hold after req_defer; the req is freed when refs reaches 0.
 * Exactly one final reply leaves per request; a second reply is a bug and
 * is logged and dropped. While deferred and not cancelled, the client's
 * pending pointer is this req, and req->client is valid.
 */
#include "req.h"

#include <stdlib.h>

#include "ggend.h"
#include "log.h"
#include "message.h"
#include "server.h"
#include "xmalloc.h"

const struct req_entry *
req_find(const struct ggend *g, enum proto_cmd_id proto)
{
	size_t i;

	for (i = 0; i < g->n_handlers; i++)
		if (g->handlers[i]->proto == proto)
			return g->handlers[i];
	return NULL;
}

struct req *
req_new(struct ggend *g, struct client *c, const struct proto_cmd *cmd,
    cJSON *json, const cJSON *id)
{
	struct req *req = xcalloc(1, sizeof(*req));

	req->g = g;
	req->client = c;
	req->cmd = cmd;
	req->json = json;
	req->id = id;
	req->refs = 1;
	return req;
}

static void
req_unref(struct req *req)
{
	if (--req->refs > 0)
		return;
	cJSON_Delete(req->json);
	free(req);
}

void
req_run(struct req *req, const struct req_entry *entry)
{
	struct gerr err;
	int rc;

	gerr_clear(&err);
	rc = entry->handler(req, &err);
	if (rc != 0 && !req->replied) {
		if (err.code == GERR_OK)
			gerr_set(&err, rc, "%s failed", req->cmd->name);
		req_reply_error(req, &err);
	} else if (rc == 0 && !req->replied && !req->deferred) {
		gerr_set(&err, GERR_INTERNAL, "%s: handler gave no reply",
		    req->cmd->name);
		log_error("%s", err.msg);
		req_reply_error(req, &err);
	}
	req_unref(req);
}

void
req_defer(struct req *req, req_cancel_cb cancel_cb, void *arg)
{
	if (req->deferred || req->replied)
		fatal("req_defer: %s: deferred twice or after its reply",
		    req->cmd->name);
	req->deferred = true;
	req->cancel_cb = cancel_cb;
	req->cancel_arg = arg;
	req->refs++;
	if (req->client != NULL)
		server_client_set_pending(req->client, req);
}

void
req_cancel(struct req *req)
{
	req->client = NULL;
	if (req->cancel_cb != NULL)
		req->cancel_cb(req, req->cancel_arg);
}

/* Send a final reply line (transferred) and release a deferred hold. */
static void
req_finish(struct req *req, char *line)
{
	if (req->replied) {
		log_error("%s: second reply dropped", req->cmd->name);
		free(line);
		return;
	}
	req->replied = true;
	if (req->client != NULL) {
		server_client_write(req->client, line);
		if (req->deferred)
			server_client_request_done(req->client, req);
	} else
		free(line);
	if (req->deferred)
		req_unref(req);
}

void
req_reply_ok(struct req *req, cJSON *result)
{
	if (req->client == NULL || req->replied) {
		cJSON_Delete(result);
		req_finish(req, NULL);
		return;
	}
	req_finish(req, msg_reply_ok(req->id, result));
}

int
req_reply_error(struct req *req, const struct gerr *err)
{
	int code = err->code != GERR_OK ? (int)err->code : GERR_INTERNAL;

	if (req->client == NULL || req->replied) {
		req_finish(req, NULL);
		return code;
	}
	req->g->errors[(unsigned)code < GERR_CODE_COUNT ? code :
	    GERR_INTERNAL]++;
	req_finish(req, msg_reply_error(req->id, err));
	return code;
}

void
req_progress(struct req *req, cJSON *progress)
{
	if (req->client == NULL || req->replied) {
		cJSON_Delete(progress);
		return;
	}
	server_client_write(req->client, msg_progress(req->id, progress));
}

void
req_release(struct req *req)
{
	if (!req->deferred || req->replied)
		return;
	req->replied = true;
	if (req->client != NULL)
		server_client_request_done(req->client, req);
	req_unref(req);
}

bool
req_cancelled(const struct req *req)
{
	return req->client == NULL;
}

const cJSON *
req_field(const struct req *req, const char *name)
{
	return cJSON_GetObjectItemCaseSensitive(req->json, name);
}
