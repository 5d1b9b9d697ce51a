/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * req_diff.c - `diff`: two recorded runs compared span by span
 * (common/rundiff: matched by workspace and span path, linear time).
 */
#include <stdlib.h>
#include <string.h>

#include "ggend.h"
#include "histlink.h"
#include "req.h"
#include "req_entries.h"
#include "req_scope.h"
#include "rundiff.h"
#include "wire_run.h"

static void
req_diff_dur(cJSON *o, const char *name, int64_t us)
{
	if (us < 0)
		cJSON_AddNullToObject(o, name);
	else
		cJSON_AddNumberToObject(o, name, (double)us / 1000.0);
}

static cJSON *
req_diff_json(const struct history_run *a, const struct history_run *b,
    const struct rundiff *d)
{
	cJSON *result = cJSON_CreateObject(), *arr, *o, *c;
	const struct rundiff_entry *e;
	size_t i;

	cJSON_AddItemToObject(result, "a", wire_run_history(a, false));
	cJSON_AddItemToObject(result, "b", wire_run_history(b, false));
	/* Runs of two projects compare little: say so (ggenc warns). */
	cJSON_AddBoolToObject(result, "same_root", strcmp(a->root,
	    b->root) == 0);
	c = cJSON_AddObjectToObject(result, "counts");
	cJSON_AddNumberToObject(c, "same", (double)d->n_same);
	cJSON_AddNumberToObject(c, "status", (double)d->n_status);
	cJSON_AddNumberToObject(c, "added", (double)d->n_added);
	cJSON_AddNumberToObject(c, "removed", (double)d->n_removed);
	arr = cJSON_AddArrayToObject(result, "spans");
	for (i = 0; i < d->n; i++) {
		e = &d->entries[i];
		o = cJSON_CreateObject();
		cJSON_AddStringToObject(o, "change",
		    rundiff_change_name(e->change));
		cJSON_AddStringToObject(o, "workspace", e->workspace);
		cJSON_AddStringToObject(o, "path", e->path);
		cJSON_AddStringToObject(o, "kind", e->kind);
		if (e->status_a != NULL)
			cJSON_AddStringToObject(o, "status_a", e->status_a);
		else
			cJSON_AddNullToObject(o, "status_a");
		if (e->status_b != NULL)
			cJSON_AddStringToObject(o, "status_b", e->status_b);
		else
			cJSON_AddNullToObject(o, "status_b");
		req_diff_dur(o, "dur_a_ms", e->dur_a_us);
		req_diff_dur(o, "dur_b_ms", e->dur_b_us);
		cJSON_AddNumberToObject(o, "delta_ms",
		    (double)e->delta_us / 1000.0);
		cJSON_AddItemToArray(arr, o);
	}
	return result;
}

static int
req_diff(struct req *req, struct gerr *err)
{
	struct history_run *a = NULL, *b = NULL;
	struct spanrec *sa = NULL, *sb = NULL;
	struct rundiff *d = NULL;
	uint64_t ia, ib;
	int rc;

	if ((rc = req_scope_run_id(req, "a", err)) != 0 ||
	    (rc = req_scope_run_id(req, "b", err)) != 0)
		return rc;
	rc = wire_run_id(req_field(req, "a"), &ia, err);
	if (rc == 0)
		rc = histlink_get_run(req->g->histlink, ia, &a, err);
	if (rc == 0)
		rc = wire_run_id(req_field(req, "b"), &ib, err);
	if (rc == 0)
		rc = histlink_get_run(req->g->histlink, ib, &b, err);
	if (rc == 0) {
		sa = history_run_spanrecs(a);
		sb = history_run_spanrecs(b);
		rc = rundiff_compute(sa, a->n_spans, sb, b->n_spans, &d, err);
	}
	if (rc == 0)
		req_reply_ok(req, req_diff_json(a, b, d));
	rundiff_free(d);
	free(sa);
	free(sb);
	history_run_free(a);
	history_run_free(b);
	return rc;
}

const struct req_entry req_diff_entry = {
	.proto = PROTO_CMD_DIFF,
	.handler = req_diff,
};
