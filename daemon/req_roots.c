/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * req_roots.c - `roots`: every watched root with its readiness, counts
 * and clock.
 */
#include "ggend.h"
#include "req.h"
#include "req_entries.h"
#include "watch.h"
#include "wire_watch.h"

static int
req_roots(struct req *req, struct gerr *err)
{
	cJSON *result = cJSON_CreateObject(), *arr;
	struct watch_root *r = NULL;

	(void)err;
	arr = cJSON_AddArrayToObject(result, "roots");
	while ((r = watch_root_next(req->g->watch, r)) != NULL)
		cJSON_AddItemToArray(arr, wire_watch_summary(r));
	req_reply_ok(req, result);
	return 0;
}

const struct req_entry req_roots_entry = {
	.proto = PROTO_CMD_ROOTS,
	.handler = req_roots,
};
