/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * req_validate.c - `validate`: the findings of the watched root whose
 * make.toml (or root directory) is `path`, from its hot model, shaped by
 * proto_validate_result so ggenc prints them exactly as a local check.
 *
 * Loop thread; reads the root registry, allocates only the reply.
 * This daemon does not watch roots yet (daemon/watch.h has not landed),
 * so every path is answered root_not_found and ggenc checks locally; once
 * roots exist, this handler looks the root up (watch_root_find) and
 * replies proto_validate_result(path, watch_root_findings(root)).
 */
#include "errors.h"
#include "ggend.h"
#include "req.h"
#include "req_entries.h"

static int
req_validate(struct req *req, struct gerr *err)
{
	const cJSON *path = req_field(req, "path");

	gerr_set(err, GERR_ROOT_NOT_FOUND, "no watched root holds %.200s",
	    cJSON_IsString(path) ? path->valuestring : "?");
	return req_reply_error(req, err);
}

const struct req_entry req_validate_entry = {
	.proto = PROTO_CMD_VALIDATE,
	.handler = req_validate,
};
