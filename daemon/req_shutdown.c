/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * req_shutdown.c - `shutdown`: reply, then stop the loop once this turn's
 * output has been written (ggend_stop), which removes the socket.
 */
#include <unistd.h>

#include "ggend.h"
#include "req.h"
#include "req_entries.h"

static int
req_shutdown(struct req *req, struct gerr *err)
{
	cJSON *result = cJSON_CreateObject();

	(void)err;
	cJSON_AddBoolToObject(result, "stopping", true);
	cJSON_AddNumberToObject(result, "pid", (double)getpid());
	req_reply_ok(req, result);
	ggend_stop(req->g, "shutdown request");
	return 0;
}

const struct req_entry req_shutdown_entry = {
	.proto = PROTO_CMD_SHUTDOWN,
	.handler = req_shutdown,
};
