/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * req_changes.c - `changes`: files added, modified and removed in a root
 * since a clock, at a cost proportional to the changes. A missing, zero,
 * future or too-old clock gives a "fresh" answer: every live file, flagged
 * "fresh": true. Clocks travel as strings (they may pass 2^53).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "filetable.h"
#include "ggend.h"
#include "req.h"
#include "req_entries.h"
#include "watch.h"

static void
req_changes_one(void *arg, const struct filetable_entry *e,
    enum filetable_change change)
{
	cJSON *o;

	if (e->kind != FILETABLE_FILE)
		return;
	o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "path", e->path);
	cJSON_AddStringToObject(o, "kind",
	    change == FILETABLE_CHANGE_ADDED ? "added" :
	    change == FILETABLE_CHANGE_MODIFIED ? "modified" : "removed");
	cJSON_AddItemToArray(arg, o);
}

static int
req_changes(struct req *req, struct gerr *err)
{
	const cJSON *since_j = req_field(req, "since");
	const char *root = req_field(req, "root")->valuestring;
	unsigned long long since = 0;
	struct watch_root *r;
	cJSON *result, *files;
	char *canon, *end, buf[24];
	uint64_t clock;
	bool fresh = true;
	int rc;

	if (since_j != NULL) {
		errno = 0;
		since = strtoull(since_j->valuestring, &end, 10);
		if (since_j->valuestring[0] < '0' ||
		    since_j->valuestring[0] > '9' || *end != '\0' ||
		    errno != 0)
			return gerr_set(err, GERR_INVALID, "field \"since\": "
			    "expected a clock (decimal digits), found \"%s\"",
			    since_j->valuestring);
	}
	rc = watch_root_lookup(req->g, root, &r, &canon, err);
	if (rc != 0)
		return rc;
	free(canon);
	result = cJSON_CreateObject();
	cJSON_AddStringToObject(result, "root", watch_root_path(r));
	files = cJSON_CreateArray();
	clock = filetable_changes_since(watch_root_table(r), since,
	    req_changes_one, files, &fresh);
	snprintf(buf, sizeof(buf), "%llu", (unsigned long long)clock);
	cJSON_AddStringToObject(result, "clock", buf);
	cJSON_AddBoolToObject(result, "fresh", fresh);
	cJSON_AddBoolToObject(result, "ready", watch_root_ready(r));
	cJSON_AddItemToObject(result, "files", files);
	req_reply_ok(req, result);
	return 0;
}

const struct req_entry req_changes_entry = {
	.proto = PROTO_CMD_CHANGES,
	.handler = req_changes,
};
