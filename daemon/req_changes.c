/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * req_changes.c - `changes`: files added, modified and removed in a root
 * since a clock, at a cost proportional to the changes. A clock names the
 * daemon run that minted it and the root (common/clock.h); one this root
 * cannot answer exactly (missing, zero, a bare legacy number, another
 * root, another daemon run not covered by the restored snapshot, in the
 * future, older than the kept removals) gives a "fresh" answer: every
 * live file, flagged "fresh": true. Never a partial list posing as exact.
 */
#include <stdio.h>
#include <stdlib.h>

#include "clock.h"
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
	struct clock_token tok;
	uint64_t since = 0;
	struct watch_root *r;
	cJSON *result, *files;
	char *canon, buf[CLOCK_TOKEN_MAX];
	uint64_t clock;
	bool fresh = true;
	int rc;

	if (since_j != NULL) {
		struct gerr perr;

		gerr_clear(&perr);
		rc = clock_token_parse(since_j->valuestring, &tok, &perr);
		if (rc != 0)
			return gerr_set(err, rc, "field \"since\": %s",
			    perr.msg);
	}
	rc = watch_root_lookup(req->g->watch, root, &r, &canon, err);
	if (rc != 0)
		return rc;
	free(canon);
	/* 0 asks the table for a fresh list. */
	if (since_j != NULL && !watch_root_since(r, &tok, &since))
		since = 0;
	result = cJSON_CreateObject();
	cJSON_AddStringToObject(result, "root", watch_root_path(r));
	files = cJSON_CreateArray();
	clock = filetable_changes_since(watch_root_table(r), since,
	    req_changes_one, files, &fresh);
	cJSON_AddStringToObject(result, "clock", watch_root_clock(r, clock,
	    buf));
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
