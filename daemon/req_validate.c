/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * req_validate.c - `validate`: the findings of the watched root whose
 * make.toml is `path`, from its hot copy (daemon/watch.c re-parses the
 * root's make.toml files on content change), shaped by
 * proto_validate_result so ggenc prints them exactly as a local check.
 *
 * Loop thread; allocates only the reply. Only a root's own make.toml is
 * answered here (a workspace's file checked on its own is a different
 * check): anything else is root_not_found and ggenc checks locally. Like
 * the local check, templates are compiled once the make.toml is valid
 * (common/make_templates: a few small reads, as ggenc would do).
 */
#include <stdlib.h>
#include <string.h>

#include "errors.h"
#include "ggend.h"
#include "make.h"
#include "make_templates.h"
#include "req.h"
#include "req_entries.h"
#include "validate.h"
#include "watch.h"
#include "xmalloc.h"

static int
req_validate(struct req *req, struct gerr *err)
{
	const char *path = cJSON_GetStringValue(req_field(req, "path"));
	const struct make_findings *hot;
	const struct make_project *model;
	struct make_findings tf;
	struct watch_root *root = NULL;
	char *canon = NULL, *want;
	cJSON *result;
	bool own;

	if (watch_root_lookup(req->g->watch, path, &root, &canon, err) != 0) {
		free(canon);
		return req_reply_error(req, err);
	}
	want = xasprintf("%s/%s", watch_root_path(root), MAKE_FILE_NAME);
	own = strcmp(canon, want) == 0;
	free(want);
	free(canon);
	/* Always the file on disk: a save not yet settled is parsed now. */
	if (own)
		watch_root_refresh_model(root);
	hot = watch_root_findings(root);
	model = watch_root_model(root);
	if (!own || !watch_root_ready(root) || (model == NULL &&
	    hot->errors == 0)) {
		/* Not the root's file, not parsed yet, or no make.toml at
		 * all: the local check says it best. */
		gerr_set(err, GERR_ROOT_NOT_FOUND,
		    "no hot make.toml for %.200s", path);
		return req_reply_error(req, err);
	}
	result = proto_validate_result(path, hot);
	if (hot->errors == 0 && model != NULL) {
		make_findings_init(&tf);
		make_templates_check(model, watch_root_path(root), &tf, NULL);
		proto_validate_add(result, &tf);
		make_findings_release(&tf);
	}
	req_reply_ok(req, result);
	return 0;
}

const struct req_entry req_validate_entry = {
	.proto = PROTO_CMD_VALIDATE,
	.handler = req_validate,
};
