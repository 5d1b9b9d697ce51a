/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * req_show.c - `show`: one recorded run with its spans and output tail.
 * Reads the store on the loop's connection (WAL: never blocked by a flush).
 */
#include "ggend.h"
#include "histlink.h"
#include "req.h"
#include "req_entries.h"
#include "req_scope.h"
#include "wire_run.h"

static int
req_show(struct req *req, struct gerr *err)
{
	struct history_run *r = NULL;
	uint64_t id;
	int rc;

	if ((rc = req_scope_run_id(req, "run", err)) != 0)
		return rc;
	rc = wire_run_id(req_field(req, "run"), &id, err);
	if (rc == 0)
		rc = histlink_get_run(req->g->histlink, id, &r, err);
	if (rc != 0)
		return rc;
	req_reply_ok(req, wire_run_history(r, true));
	history_run_free(r);
	return 0;
}

const struct req_entry req_show_entry = {
	.proto = PROTO_CMD_SHOW,
	.handler = req_show,
};
