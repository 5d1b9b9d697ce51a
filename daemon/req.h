/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * req.h - one request being answered, and the table of request handlers.
 *
 * The server parses and validates a line, makes a struct req and calls its
 * handler: int req_<name>(struct req *, struct gerr *). The handler either
 *  - answers now: req_reply_ok / req_reply_error, then returns 0;
 *  - fails: returns a GERR_* code with err filled; the server replies with it;
 *  - defers: req_defer(req, cancel_cb, arg), returns 0, keeps the pointer,
 *    may send req_progress messages, and later answers with req_reply_ok /
 *    req_reply_error, which release the handler's hold. Until then that
 *    client has no further request dispatched (replies stay in order).
 * If the client disconnects first, the request is cancelled: cancel_cb runs
 * (once, from the server's free path); from then on req_cancelled() is true
 * and replies are discarded, but the handler must still answer (or call
 * req_release) to free it. A req never points at a freed client.
 * Loop thread only.
 */
#ifndef GGEN_REQ_H
#define GGEN_REQ_H

#include <stdbool.h>

#include <cjson/cJSON.h>

#include "commands.h"
#include "gerr.h"

struct ggend;
struct client;
struct req;

typedef void (*req_cancel_cb)(struct req *req, void *arg);

struct req {
	struct ggend *g;		/* borrowed: the daemon */
	struct client *client;		/* NULL once cancelled */
	const struct proto_cmd *cmd;	/* static row */
	cJSON *json;			/* owned: the request object */
	const cJSON *id;		/* borrowed from json; NULL = null */
	int refs;			/* server during dispatch + handler hold */
	bool replied;
	bool deferred;
	req_cancel_cb cancel_cb;
	void *cancel_arg;
};

typedef int (*req_handler_fn)(struct req *req, struct gerr *err);

struct req_entry {
	enum proto_cmd_id proto;
	req_handler_fn handler;
};

/* Daemon-side table, one row per handler (daemon/req_table.c). */
extern const struct req_entry *const req_table[];
extern const size_t req_table_len;

/* Handler for proto in g's handler table (req_table unless a test set
 * another), or NULL. */
const struct req_entry *req_find(const struct ggend *g,
    enum proto_cmd_id proto);

/* Server only: a request for client c; json transferred, id borrowed from
 * json. */
struct req *req_new(struct ggend *g, struct client *c,
    const struct proto_cmd *cmd, cJSON *json, const cJSON *id);

/* Server only: call entry's handler, reply on its failure, drop the
 * server's reference. */
void req_run(struct req *req, const struct req_entry *entry);

/* Server only: the client is going away. */
void req_cancel(struct req *req);

/* Keep req after the handler returns; cancel_cb (may be NULL) runs if the
 * client disconnects first. Call at most once. */
void req_defer(struct req *req, req_cancel_cb cancel_cb, void *arg);

/* Answer with result (transferred; NULL = {}). Frees a deferred req. */
void req_reply_ok(struct req *req, cJSON *result);

/* Answer with err (borrowed). Frees a deferred req. Returns err's code. */
int req_reply_error(struct req *req, const struct gerr *err);

/* Send {"id":..,"progress":progress} (transferred) before the reply. */
void req_progress(struct req *req, cJSON *progress);

/* Drop a deferred, cancelled req without answering. */
void req_release(struct req *req);

/* Whether the client has gone. */
bool req_cancelled(const struct req *req);

/* The request's field name (borrowed from the request), or NULL. */
const cJSON *req_field(const struct req *req, const char *name);

#endif
