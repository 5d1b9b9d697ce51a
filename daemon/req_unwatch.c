/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * req_unwatch.c - `unwatch`: stop watching a root. The path must name the
 * root itself: a directory inside a root is refused (unwatching its whole
 * root by accident would be a surprise). `dev` clients following it are
 * told and let go (req_dev_root_removed).
 */
#include <stdlib.h>
#include <string.h>

#include "engine.h"
#include "ggend.h"
#include "req.h"
#include "req_dev.h"
#include "req_entries.h"
#include "watch.h"

static int
req_unwatch(struct req *req, struct gerr *err)
{
	const char *dir = req_field(req, "root")->valuestring;
	struct watch_root *r;
	cJSON *result;
	char *canon;
	int rc;

	rc = watch_root_lookup(req->g->watch, dir, &r, &canon, err);
	if (rc != 0)
		return rc;
	if (strcmp(canon, watch_root_path(r)) != 0) {
		rc = gerr_set(err, GERR_ROOT_NOT_FOUND, "%s is not a root but "
		    "lies inside the root %s", canon, watch_root_path(r));
		free(canon);
		return rc;
	}
	free(canon);
	result = cJSON_CreateObject();
	cJSON_AddStringToObject(result, "root", watch_root_path(r));
	cJSON_AddBoolToObject(result, "removed", true);
	/* Nothing outlives its root: its runs end "cancelled" first (their
	 * renders are cancelled while the root still exists). */
	cJSON_AddNumberToObject(result, "runs_cancelled",
	    (double)engine_cancel_where(req->g->engine, watch_root_path(r),
	    "root unwatched", false));
	req_dev_root_removed(req->g, watch_root_path(r));
	watch_root_remove(req->g->watch, r);
	req_reply_ok(req, result);
	return 0;
}

const struct req_entry req_unwatch_entry = {
	.proto = PROTO_CMD_UNWATCH,
	.handler = req_unwatch,
};
