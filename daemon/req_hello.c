/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * req_hello.c - `hello`: agree on the protocol version, list capabilities.
 *
 * A client sends it first; a different "proto" is GERR_PROTO_VERSION with
 * both versions named, so an old ggenc facing a new ggend (or the reverse)
 * says so instead of misreading replies. Capabilities are the wire names of
 * the commands this daemon has handlers for.
 */
#include <unistd.h>

#include "ggend.h"
#include "req.h"
#include "req_entries.h"
#include "version.h"

static int
req_hello(struct req *req, struct gerr *err)
{
	const cJSON *proto = req_field(req, "proto");
	cJSON *result, *caps;
	size_t i;

	if (proto->valuedouble != PROTO_VERSION)
		return gerr_set(err, GERR_PROTO_VERSION,
		    "client speaks protocol %.0f, this ggend %s speaks %d; "
		    "use a ggenc and ggend of the same release",
		    proto->valuedouble, ggen_version(), PROTO_VERSION);
	result = cJSON_CreateObject();
	cJSON_AddNumberToObject(result, "proto", PROTO_VERSION);
	cJSON_AddStringToObject(result, "version", ggen_version());
	cJSON_AddNumberToObject(result, "pid", (double)getpid());
	caps = cJSON_AddArrayToObject(result, "capabilities");
	for (i = 0; i < req->g->n_handlers; i++)
		cJSON_AddItemToArray(caps, cJSON_CreateString(
		    proto_cmd_get(req->g->handlers[i]->proto)->name));
	req_reply_ok(req, result);
	return 0;
}

const struct req_entry req_hello_entry = {
	.proto = PROTO_CMD_HELLO,
	.handler = req_hello,
};
