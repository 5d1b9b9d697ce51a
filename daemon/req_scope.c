/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * req_scope.c - the project a history request is about (see req_scope.h).
 *
 * The root containing the client's cwd: the watched root that contains
 * it, else the deepest ancestor of cwd (cwd included) that the history
 * has runs for (one indexed lookup per ancestor, on runs_key). Reads the
 * request's fields and, for run ids, rewrites one number in req->json.
 * Owns nothing. Loop thread only.
 */
#include "req_scope.h"

#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "ggend.h"
#include "histlink.h"
#include "history.h"
#include "watch.h"

/* Whether the history has a run of root. */
static bool
req_scope_known(struct history *h, const char *root)
{
	struct history_filter f = { .root = root, .limit = 1 };
	struct history_run *runs = NULL;
	size_t n = 0;

	if (history_list(h, &f, &runs, &n, NULL) != 0)
		return false;
	history_runs_free(runs, n);
	return n > 0;
}

void
req_scope_root(struct req *req, char *root, size_t size, bool *found)
{
	const cJSON *r = req_field(req, "root");
	const cJSON *cwd = req_field(req, "cwd");
	struct watch_root *w;
	char path[PATH_MAX];
	char *slash;

	*found = false;
	root[0] = '\0';
	if (cJSON_IsString(r)) {
		snprintf(root, size, "%s", r->valuestring);
		*found = true;
		return;
	}
	if (cJSON_IsTrue(req_field(req, "all_roots")) || !cJSON_IsString(cwd) ||
	    cwd->valuestring[0] != '/')
		return;
	if (req->g->watch != NULL &&
	    (w = watch_root_find(req->g->watch, cwd->valuestring)) != NULL) {
		snprintf(root, size, "%s", watch_root_path(w));
		*found = true;
		return;
	}
	if (req->g->histlink == NULL ||
	    strlen(cwd->valuestring) >= sizeof(path))
		return;
	snprintf(path, sizeof(path), "%s", cwd->valuestring);
	for (;;) {
		if (req_scope_known(histlink_history(req->g->histlink),
		    path[0] != '\0' ? path : "/")) {
			snprintf(root, size, "%s", path[0] != '\0' ? path :
			    "/");
			*found = true;
			return;
		}
		if (path[0] == '\0' || (slash = strrchr(path, '/')) == NULL)
			return;
		*slash = '\0';
	}
}

int
req_scope_run_id(struct req *req, const char *name, struct gerr *err)
{
	cJSON *item = cJSON_GetObjectItemCaseSensitive(req->json, name);
	struct history_filter f = { 0 };
	struct history_run *runs = NULL;
	char root[PATH_MAX];
	size_t n = 0, want;
	bool found;
	int rc;

	if (!cJSON_IsNumber(item) || item->valuedouble > 0)
		return 0;
	if (item->valuedouble == 0)
		return gerr_set(err, GERR_INVALID, "field \"%s\": expected a "
		    "run id (1 or more) or -N (-1 = the latest), found 0",
		    name);
	if (req->g->histlink == NULL)
		return gerr_set(err, GERR_RUN_NOT_FOUND, "run %.0f: no "
		    "history", item->valuedouble);
	if (item->valuedouble < -1000000)
		return gerr_set(err, GERR_INVALID, "field \"%s\": -N counts "
		    "at most 1000000 runs back, found %.0f", name,
		    item->valuedouble);
	want = (size_t)-item->valuedouble;
	req_scope_root(req, root, sizeof(root), &found);
	f.root = found ? root : NULL;
	f.limit = want;
	rc = history_list(histlink_history(req->g->histlink), &f, &runs, &n,
	    err);
	if (rc != 0)
		return rc;
	if (n == 0)	/* `last` or -N before any run: say just that */
		return gerr_set(err, GERR_RUN_NOT_FOUND, "no run recorded "
		    "yet%s%s", found ? " in " : "", found ? root : "");
	if (n < want) {
		history_runs_free(runs, n);
		return gerr_set(err, GERR_RUN_NOT_FOUND, "run %.0f: only %zu "
		    "run%s recorded%s%s", item->valuedouble, n,
		    n == 1 ? "" : "s", found ? " in " : "", found ? root : "");
	}
	cJSON_SetNumberValue(item, (double)runs[n - 1].id);
	history_runs_free(runs, n);
	return 0;
}

void
req_scope_json(struct req *req, cJSON *result)
{
	char root[PATH_MAX];
	bool found;

	req_scope_root(req, root, sizeof(root), &found);
	if (found)
		cJSON_AddStringToObject(result, "root", root);
	else
		cJSON_AddNullToObject(result, "root");
}
