/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * req_watch.c - `watch`: start watching a directory (or find the root that
 * holds it) and reply once the root is ready, with progress messages
 * (files seen, files hashed) while its first crawl runs.
 *
 * The deferred request is a waiter of the root; if the client goes away
 * first, the cancel callback removes the waiter before the req is freed.
 */
#include <stdint.h>

#include "ggend.h"
#include "req.h"
#include "req_entries.h"
#include "watch.h"
#include "wire_watch.h"

static void
req_watch_ready(void *arg, struct watch_root *r, const struct gerr *err)
{
	struct req *req = arg;

	if (err != NULL)
		req_reply_error(req, err);
	else
		req_reply_ok(req, wire_watch_summary(r));
}

static void
req_watch_progress(void *arg, struct watch_root *r,
    const struct watch_progress *p)
{
	struct req *req = arg;
	cJSON *o = cJSON_CreateObject();

	cJSON_AddStringToObject(o, "root", watch_root_path(r));
	cJSON_AddNumberToObject(o, "files_seen", (double)p->files_seen);
	cJSON_AddNumberToObject(o, "files_hashed", (double)p->files_hashed);
	cJSON_AddNumberToObject(o, "dirs_seen", (double)p->dirs_seen);
	req_progress(req, o);
}

/* arg is the root's watch_root_id, not the root: it may be gone. */
static void
req_watch_cancel(struct req *req, void *arg)
{
	struct watch_root *r = watch_root_get(req->g->watch, (uint64_t)(uintptr_t)arg);

	if (r != NULL)
		watch_root_cancel_waits(r, req);
	req_release(req);
}

static int
req_watch(struct req *req, struct gerr *err)
{
	const char *dir = req_field(req, "root")->valuestring;
	struct watch_root *r;
	struct watch_progress p;
	int rc;

	rc = watch_root_add(req->g->watch, dir, NULL, NULL, &r, err);
	if (rc != 0)
		return rc;
	if (watch_root_ready(r)) {
		req_reply_ok(req, wire_watch_summary(r));
		return 0;
	}
	req_defer(req, req_watch_cancel,
	    (void *)(uintptr_t)watch_root_id(r));
	watch_root_progress(r, &p);
	req_watch_progress(req, r, &p);
	return watch_root_add_full(req->g->watch, watch_root_path(r), req_watch_ready,
	    req_watch_progress, req, NULL, err);
}

const struct req_entry req_watch_entry = {
	.proto = PROTO_CMD_WATCH,
	.handler = req_watch,
};
