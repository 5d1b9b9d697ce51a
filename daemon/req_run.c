/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * req_run.c - `run`: plan and run lifecycle phases in a root.
 *
 * Builds an engine_request from the fields, then either answers once the
 * plan is known (dry_run: the plan with cache decisions, whose keys may
 * be hashed on the engine's worker; detach: the run id) or defers and
 * follows the run: every engine event becomes a progress message and
 * the run's end is the reply. A client that goes away cancels its run,
 * as Ctrl-C stops a build run by hand (a detached run goes on; `logs
 * --follow` only stops following). Loop thread only.
 * Invariant: a struct req_run lives from the deferral until the reply or
 * the cancel callback, whichever comes first; the engine never calls it
 * after engine_unfollow or after RUN_END.
 */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "engine.h"
#include "ggend.h"
#include "req.h"
#include "req_entries.h"
#include "req_run.h"
#include "watch.h"
#include "wire_run.h"
#include "xmalloc.h"

/* Phases one request may name. */
#define REQ_RUN_PHASES_MAX 64

struct req_run {
	struct req *req;		/* NULL once the client went away */
	struct engine *engine;
	struct engine_request er;	/* strings point into req->json */
	const char *phases[REQ_RUN_PHASES_MAX];
	char root[PATH_MAX];
	bool detach;
	bool owner;			/* `run` (not `logs`): cancel on hang-up */
	uint64_t run_id;
	bool waiting_root;		/* watch_root_add's callback pending */
	bool in_submit;			/* engine_submit or engine_follow has
					   not returned yet */
	bool started;
	bool finished;
	struct engine_dry *dry;		/* a dry run keying on the worker */
};

cJSON *
req_run_object(struct engine *engine, uint64_t id)
{
	struct engine_run_info info;

	if (!engine_run_get(engine, id, &info))
		return NULL;
	return wire_run_object(&info);
}

static bool
req_run_flag(const struct req *req, const char *name)
{
	return cJSON_IsTrue(req_field(req, name));
}

static void
req_run_on_event(void *arg, const struct engine_event *ev)
{
	struct req_run *st = arg;
	cJSON *p;

	if (ev->kind == ENGINE_EV_RUN_START) {
		st->started = true;
		st->run_id = ev->run_id;
	}
	if (ev->kind == ENGINE_EV_RUN_END) {
		st->finished = true;
		req_reply_ok(st->req, req_run_object(st->engine, ev->run_id));
		if (!st->in_submit)
			free(st);
		return;
	}
	p = wire_run_progress(ev);
	if (p != NULL)
		req_progress(st->req, p);
}

cJSON *
req_run_status(struct engine *engine)
{
	struct engine_overview st;
	cJSON *o;

	engine_overview_get(engine, &st);
	o = wire_run_overview(&st);
	engine_overview_release(&st);
	return o;
}

/* The dry run's plan is known (maybe from inside engine_dry_run). */
static void
req_run_dry_done(void *arg, struct engine_dry_plan *plan,
    const struct gerr *err)
{
	struct req_run *st = arg;

	st->dry = NULL;
	st->finished = true;
	if (plan != NULL)
		req_reply_ok(st->req, wire_run_dry_plan(plan));
	else
		req_reply_error(st->req, err);
	engine_dry_plan_free(plan);
	if (!st->in_submit)
		free(st);
}

static void
req_run_cancel(struct req *req, void *arg)
{
	struct req_run *st = arg;

	req_release(req);
	if (st->dry != NULL) {
		engine_dry_cancel(st->engine, st->dry);
		free(st);
		return;
	}
	if (st->waiting_root) {
		/* The watch still holds st: its callback frees it. */
		st->req = NULL;
		return;
	}
	engine_unfollow(st->engine, st->run_id, req_run_on_event, st);
	/* Like Ctrl-C on a build run by hand: the run stops with its
	 * client (--detach is for runs that outlive it). */
	if (st->owner && st->run_id > 0)
		engine_cancel(st->engine, st->run_id, NULL);
	free(st);
}

/* Queue the run and follow it (or answer at once when detached). Frees
 * st when the run is over or could not start. */
static void
req_run_go(struct req_run *st)
{
	struct req *req = st->req;
	struct gerr err;
	cJSON *p, *out;
	uint64_t id;
	int rc;

	gerr_clear(&err);
	if (st->detach) {
		rc = engine_submit(st->engine, &st->er, NULL, NULL, &id, &err);
		if (rc != 0) {
			req_reply_error(req, &err);
		} else {
			out = req_run_object(st->engine, id);
			req_reply_ok(req, out != NULL ? out :
			    cJSON_CreateObject());
		}
		free(st);
		return;
	}
	st->owner = true;
	st->in_submit = true;
	rc = engine_submit(st->engine, &st->er, req_run_on_event, st, &id,
	    &err);
	st->in_submit = false;
	if (rc != 0 || st->finished) {
		if (rc != 0)
			req_reply_error(req, &err);
		free(st);
		return;
	}
	st->run_id = id;
	if (!st->started) {
		p = cJSON_CreateObject();
		cJSON_AddStringToObject(p, "type", "queued");
		cJSON_AddNumberToObject(p, "run", (double)id);
		req_progress(req, p);
	}
}

int
req_run_follow(struct req *req, struct engine *engine, uint64_t id)
{
	struct req_run *st = xcalloc(1, sizeof(*st));
	struct gerr err;
	int rc;

	st->req = req;
	st->engine = engine;
	st->run_id = id;
	st->started = true;
	st->in_submit = true;
	gerr_clear(&err);
	req_defer(req, req_run_cancel, st);
	rc = engine_follow(engine, id, req_run_on_event, st, &err);
	st->in_submit = false;
	if (rc != 0)
		req_reply_error(req, &err);
	if (rc != 0 || st->finished)
		free(st);
	return 0;
}

/* The root is watched and every hash known: cache keys come from it. */
static void
req_run_ready(void *arg, struct watch_root *root, const struct gerr *err)
{
	struct req_run *st = arg;

	(void)root;
	st->waiting_root = false;
	if (st->req == NULL) {
		free(st);
		return;
	}
	if (err != NULL && err->code != GERR_OK) {
		req_reply_error(st->req, err);
		free(st);
		return;
	}
	req_run_go(st);
}

/* Fill er from the request; phases points into the request JSON. */
static int
req_run_parse(struct req *req, struct engine_request *er,
    const char **phases, char *root, struct gerr *err)
{
	const cJSON *list = req_field(req, "phases"), *item;
	const cJSON *ws = req_field(req, "workspace");
	const cJSON *jobs = req_field(req, "jobs");
	const char *r = cJSON_GetStringValue(req_field(req, "root"));

	memset(er, 0, sizeof(*er));
	cJSON_ArrayForEach(item, list) {
		if (!cJSON_IsString(item) || item->valuestring[0] == '\0')
			return gerr_set(err, GERR_BAD_TYPE, "run: field "
			    "\"phases\": expected non-empty strings");
		if (er->n_phases == REQ_RUN_PHASES_MAX)
			return gerr_set(err, GERR_LIMIT, "run: more than %d "
			    "phases", REQ_RUN_PHASES_MAX);
		phases[er->n_phases++] = item->valuestring;
	}
	if (er->n_phases == 0)
		return gerr_set(err, GERR_INVALID, "run: no phase given");
	er->phases = phases;
	if (r[0] != '/' || realpath(r, root) == NULL)
		return gerr_set(err, GERR_ROOT_NOT_FOUND, "root %s: not an "
		    "existing absolute directory", r);
	er->root = root;
	er->target = PLAN_TARGET_DEFAULT;
	if (ws != NULL && req_run_flag(req, "all_workspaces"))
		return gerr_set(err, GERR_INVALID, "run: workspace and "
		    "all_workspaces exclude each other");
	if (ws != NULL && strcmp(ws->valuestring, ".") == 0) {
		er->target = PLAN_TARGET_ROOT;
	} else if (ws != NULL) {
		er->target = PLAN_TARGET_WORKSPACE;
		er->workspace = ws->valuestring;
	} else if (req_run_flag(req, "all_workspaces")) {
		er->target = PLAN_TARGET_ALL;
	}
	/* Bounds: the protocol table's row, checked before we are called. */
	if (jobs != NULL)
		er->jobs = (unsigned)jobs->valuedouble;
	er->force = req_run_flag(req, "force");
	er->no_remote = req_run_flag(req, "no_remote");
	er->yes = req_run_flag(req, "yes");
	er->env = cJSON_GetStringValue(req_field(req, "env"));
	er->env_auto = cJSON_GetStringValue(req_field(req, "env_auto"));
	er->trigger = ENGINE_TRIGGER_MANUAL;
	return 0;
}

static int
req_run_handle(struct req *req, struct gerr *err)
{
	struct engine *engine = req->g->engine;
	struct req_run *st;
	int rc;

	if (engine == NULL)
		return gerr_set(err, GERR_INTERNAL, "run: no engine");
	st = xcalloc(1, sizeof(*st));
	rc = req_run_parse(req, &st->er, st->phases, st->root, err);
	if (rc != 0) {
		free(st);
		return rc;
	}
	st->req = req;
	st->engine = engine;
	if (req_run_flag(req, "dry_run")) {
		/* Keys of an unwatched root hash on the worker: the reply
		 * may come later (or from inside the call). */
		req_defer(req, req_run_cancel, st);
		st->in_submit = true;
		rc = engine_dry_run(engine, &st->er, req_run_dry_done, st,
		    &st->dry, err);
		st->in_submit = false;
		if (rc != 0)
			req_reply_error(req, err);
		if (rc != 0 || st->finished)
			free(st);
		return 0;
	}
	st->detach = req_run_flag(req, "detach");
	req_defer(req, req_run_cancel, st);
	if (req->g->watch == NULL) {
		req_run_go(st);
		return 0;
	}
	/* An unwatched root is watched first; the run waits until it is
	 * ready (the callback may run at once, from inside the call). */
	st->waiting_root = true;
	rc = watch_root_add(req->g->watch, st->root, req_run_ready, st, NULL, err);
	if (rc != 0) {
		st->waiting_root = false;
		req_reply_error(req, err);
		free(st);
	}
	return 0;
}

const struct req_entry req_run_entry = {
	.proto = PROTO_CMD_RUN,
	.handler = req_run_handle,
};
