/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * req_reload.c - `reload`: re-read the settings file as SIGHUP does
 * (ggend_reload) and reply with the load's findings, so `ggenc reload`
 * can say what was wrong instead of pointing at the log.
 *
 * Loop thread; allocates only the reply. A file with errors is not
 * applied (the last good settings stay): the reply is ok with
 * "applied": false and the findings, the exit status of ggenc is 1.
 */
#include "ggend.h"
#include "req.h"
#include "req_entries.h"

static int
req_reload(struct req *req, struct gerr *err)
{
	cJSON *result = cJSON_CreateObject();
	int rc = ggend_reload(req->g);

	(void)err;
	cJSON_AddBoolToObject(result, "applied", rc == 0);
	cJSON_AddNumberToObject(result, "reloads", (double)req->g->reloads);
	req_status_config(req->g, result);
	req_reply_ok(req, result);
	return 0;
}

const struct req_entry req_reload_entry = {
	.proto = PROTO_CMD_RELOAD,
	.handler = req_reload,
};
