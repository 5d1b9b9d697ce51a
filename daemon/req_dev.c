/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * req_dev.c - `dev`: the foreground edit loop's daemon side. A dev client
 * names a root (watched first if it is not); from then on every run of
 * that root, whoever started it (a save, `ggenc run`, another dev), is
 * streamed to it live as progress messages:
 *   {"type":"watching","root","phases":[...],"on_save":bool}  once ready
 *   {"type":"run.started","run","root","phases","workspace","trigger",
 *    "files":[changed files],"files_truncated":bool}
 *   phase.started / phase.finished / output (wire_run_progress)
 *   {"type":"run.finished", ...the run's summary (wire_run_object)}
 *   {"type":"error","message"}  a requested run could not start
 * With `phases`, each settled batch of the root also requests those
 * phases (trigger save, the batch's files), besides the root's own
 * on-save phases; that run waits (queued) until the root's earlier
 * on-save runs have ended, so one save never runs both at once. The
 * connection is subscribed to events too, so the client sees
 * model.invalid, model.valid and daemon.stopping. The request is never
 * answered while the daemon runs: the client hangs up (Ctrl-C), which
 * only stops following; runs go on and the root stays watched.
 *
 * While a dev client that is a terminal (`tty`) follows a root, phases
 * without `tty` in make.toml run on a pseudo-terminal of its width
 * (`columns`), so compilers keep their colours (engine_set_tty_source).
 *
 * Owns the struct req_dev_hub (g->devhub) and one struct req_dev per dev
 * request. The engine calls req_dev_on_run (a run listener, added once)
 * and req_dev_on_event (a follower per run and client); the watch glue
 * calls req_dev_batch. Loop thread only. Invariant: a struct req_dev is on
 * the hub's list from the handler until its cancel callback, and follows
 * only runs listed in its runs[] (each unfollowed or ended before free).
 */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "engine.h"
#include "errors.h"
#include "ggend.h"
#include "log.h"
#include "make.h"
#include "message.h"
#include "req.h"
#include "req_dev.h"
#include "req_entries.h"
#include "req_run.h"
#include "server.h"
#include "watch.h"
#include "wire_run.h"
#include "xmalloc.h"

/* Runs of one root followed at once by one client; a run beyond them is
 * announced but not streamed (the engine allows far fewer at once). */
#define REQ_DEV_RUNS_MAX 64
#define REQ_DEV_PHASES_MAX 64
/* Changed files named in a run.started header. */
#define REQ_DEV_FILES_MAX 32
/* A terminal that did not say its width. */
#define REQ_DEV_COLS_DEFAULT 80

struct req_dev {
	struct req *req;
	struct ggend *g;
	char root[PATH_MAX];
	char **phases;			/* owned; n_phases 0 = on-save only */
	size_t n_phases;
	unsigned tty_cols;		/* 0 = not a terminal */
	char *env;			/* -e NAME for its runs, or NULL */
	bool waiting_root;		/* watch_root_add's callback pending */
	bool ready;
	uint64_t runs[REQ_DEV_RUNS_MAX];	/* followed */
	size_t n_runs;
	struct req_dev *next;
};

struct req_dev_hub {
	struct req_dev *clients;
	bool listening;			/* run listener added */
};

static void
req_dev_free(struct req_dev *d)
{
	for (size_t i = 0; i < d->n_phases; i++)
		free(d->phases[i]);
	free(d->phases);
	free(d->env);
	free(d);
}

static void
req_dev_unlink(struct req_dev *d)
{
	struct req_dev_hub *hub = d->g->devhub;
	struct req_dev **pp;

	for (pp = hub != NULL ? &hub->clients : NULL; pp != NULL && *pp != NULL;
	    pp = &(*pp)->next)
		if (*pp == d) {
			*pp = d->next;
			return;
		}
}

static void
req_dev_forget_run(struct req_dev *d, uint64_t id)
{
	for (size_t i = 0; i < d->n_runs; i++)
		if (d->runs[i] == id) {
			d->runs[i] = d->runs[--d->n_runs];
			return;
		}
}

/* Follower: one run's events for one client. */
static void
req_dev_on_event(void *arg, const struct engine_event *ev)
{
	struct req_dev *d = arg;
	cJSON *p;

	switch (ev->kind) {
	case ENGINE_EV_RUN_START:
		return;		/* announced by req_dev_on_run */
	case ENGINE_EV_RUN_END:
		req_dev_forget_run(d, ev->run_id);
		p = req_run_object(d->g->engine, ev->run_id);
		if (p == NULL)
			p = cJSON_CreateObject();
		/* The summary names the run "id"; a progress message refers
		 * to it as "run" (PROTOCOL.md, field conventions). */
		cJSON_AddNumberToObject(p, "run", (double)ev->run_id);
		cJSON_AddStringToObject(p, "type", "run.finished");
		req_progress(d->req, p);
		return;
	default:
		p = wire_run_progress(ev);
		if (p != NULL)
			req_progress(d->req, p);
		return;
	}
}

static cJSON *
req_dev_run_started(const struct engine_event *ev)
{
	cJSON *p = cJSON_CreateObject(), *arr;
	const char *ph = ev->phase != NULL ? ev->phase : "";
	const char *sp;

	cJSON_AddStringToObject(p, "type", "run.started");
	cJSON_AddNumberToObject(p, "run", (double)ev->run_id);
	cJSON_AddStringToObject(p, "root", ev->root);
	arr = cJSON_AddArrayToObject(p, "phases");
	/* ev->phase is the requested phases, space separated. */
	while (*ph != '\0') {
		size_t n;

		sp = strchr(ph, ' ');
		n = sp != NULL ? (size_t)(sp - ph) : strlen(ph);
		if (n > 0) {
			char *one = xstrndup(ph, n);

			cJSON_AddItemToArray(arr, cJSON_CreateString(one));
			free(one);
		}
		ph += n;
		while (*ph == ' ')
			ph++;
	}
	cJSON_AddStringToObject(p, "workspace", ev->workspace != NULL ?
	    ev->workspace : "");
	cJSON_AddStringToObject(p, "trigger", engine_trigger_name(ev->trigger));
	msg_add_names(p, "files", ev->trigger_files,
	    ev->n_trigger_files < REQ_DEV_FILES_MAX ? ev->n_trigger_files :
	    REQ_DEV_FILES_MAX);
	cJSON_AddNumberToObject(p, "files_count", (double)ev->n_trigger_files);
	return p;
}

/* Run listener: a run of a followed root starts; every dev client of
 * that root follows it from here (output included). */
static void
req_dev_on_run(void *arg, const struct engine_event *ev)
{
	struct ggend *g = arg;
	struct req_dev_hub *hub = g->devhub;
	struct gerr err;

	if (hub == NULL || ev->kind != ENGINE_EV_RUN_START || ev->root == NULL)
		return;
	for (struct req_dev *d = hub->clients; d != NULL; d = d->next) {
		if (!d->ready || strcmp(d->root, ev->root) != 0)
			continue;
		req_progress(d->req, req_dev_run_started(ev));
		if (d->n_runs == REQ_DEV_RUNS_MAX)
			continue;
		gerr_clear(&err);
		if (engine_follow(g->engine, ev->run_id, req_dev_on_event, d,
		    &err) != 0) {
			log_debug("req_dev_on_run: follow %llu: %s",
			    (unsigned long long)ev->run_id, err.msg);
			continue;
		}
		d->runs[d->n_runs++] = ev->run_id;
	}
}

static unsigned
req_dev_tty(void *arg, const char *root)
{
	struct ggend *g = arg;
	unsigned cols = 0;

	if (g->devhub == NULL)
		return 0;
	for (struct req_dev *d = g->devhub->clients; d != NULL; d = d->next)
		if (d->ready && d->tty_cols > cols && strcmp(d->root, root) == 0)
			cols = d->tty_cols;
	return cols;
}

static struct req_dev_hub *
req_dev_hub(struct ggend *g)
{
	struct gerr err;

	if (g->devhub == NULL)
		g->devhub = xcalloc(1, sizeof(*g->devhub));
	if (!g->devhub->listening && g->engine != NULL) {
		gerr_clear(&err);
		if (engine_add_run_listener(g->engine, req_dev_on_run, g,
		    &err) != 0)
			log_warn("dev: %s", err.msg);
		else
			g->devhub->listening = true;
		engine_set_tty_source(g->engine, req_dev_tty, g);
	}
	return g->devhub;
}

void
req_dev_hub_free(struct ggend *g)
{
	if (g->devhub == NULL)
		return;
	/* Clients are gone by now (the server cancelled their requests). */
	free(g->devhub);
	g->devhub = NULL;
}

static void
req_dev_cancel(struct req *req, void *arg)
{
	struct req_dev *d = arg;

	req_release(req);
	d->req = NULL;
	req_dev_unlink(d);
	if (d->waiting_root) {
		/* The watch still holds d: its callback frees it. */
		return;
	}
	if (d->g->engine != NULL)
		for (size_t i = 0; i < d->n_runs; i++)
			engine_unfollow(d->g->engine, d->runs[i],
			    req_dev_on_event, d);
	req_dev_free(d);
}

void
req_dev_root_removed(struct ggend *g, const char *root)
{
	struct req_dev *d, *next;
	struct gerr err;

	if (g->devhub == NULL)
		return;
	for (d = g->devhub->clients; d != NULL; d = next) {
		next = d->next;
		/* One still waiting for the root hears from the watch. */
		if (d->req == NULL || d->waiting_root ||
		    strcmp(d->root, root) != 0)
			continue;
		req_dev_unlink(d);
		if (g->engine != NULL)
			for (size_t i = 0; i < d->n_runs; i++)
				engine_unfollow(g->engine, d->runs[i],
				    req_dev_on_event, d);
		gerr_clear(&err);
		gerr_set(&err, GERR_ROOT_NOT_FOUND, "root %s is no longer "
		    "watched (unwatch): dev stops following it", root);
		req_reply_error(d->req, &err);
		req_dev_free(d);
	}
}

/* The phases the root runs on save (its own and its workspaces'). */
static cJSON *
req_dev_on_save_phases(const struct watch_root *r)
{
	const struct make_project *m = watch_root_model(r);
	cJSON *arr = cJSON_CreateArray();

	for (size_t i = 0; m != NULL && i < m->phases_len; i++)
		if (m->phases[i].watch != MAKE_WATCH_NONE)
			cJSON_AddItemToArray(arr,
			    cJSON_CreateString(m->phases[i].name));
	for (size_t w = 0; m != NULL && w < m->workspaces_len; w++) {
		const struct make_project *o = m->workspaces[w].own;

		for (size_t i = 0; o != NULL && i < o->phases_len; i++) {
			char *s;

			if (o->phases[i].watch == MAKE_WATCH_NONE)
				continue;
			s = xasprintf("%s [%s]", o->phases[i].name,
			    m->workspaces[w].name);
			cJSON_AddItemToArray(arr, cJSON_CreateString(s));
			free(s);
		}
	}
	return arr;
}

static void
req_dev_ready(void *arg, struct watch_root *root, const struct gerr *err)
{
	struct req_dev *d = arg;
	struct engine_request er = { 0 };
	cJSON *p;
	struct gerr perr;

	d->waiting_root = false;
	if (d->req == NULL) {
		req_dev_free(d);
		return;
	}
	if (err != NULL && err->code != GERR_OK) {
		req_dev_unlink(d);
		req_reply_error(d->req, err);
		req_dev_free(d);
		return;
	}
	/* So must the environment (make.toml(5)). */
	if (d->env != NULL && (watch_root_model(root) == NULL ||
	    !make_env_declared(watch_root_model(root), d->env))) {
		gerr_clear(&perr);
		gerr_set(&perr, GERR_INVALID, "dev: environment \"%s\" is not "
		    "declared in make.toml ([env.NAME] or [lifecycle.X.env.NAME]"
		    " declare environments)", d->env);
		req_dev_unlink(d);
		req_reply_error(d->req, &perr);
		req_dev_free(d);
		return;
	}
	/* Requested phases must exist now: a typo is an answer, not a
	 * silent loop. */
	if (d->n_phases > 0 && d->g->engine != NULL) {
		er.root = d->root;
		er.phases = (const char *const *)d->phases;
		er.n_phases = d->n_phases;
		er.target = PLAN_TARGET_DEFAULT;
		er.trigger = ENGINE_TRIGGER_SAVE;
		er.env = d->env;
		gerr_clear(&perr);
		if (engine_plan_check(d->g->engine, &er, &perr) != 0) {
			req_dev_unlink(d);
			req_reply_error(d->req, &perr);
			req_dev_free(d);
			return;
		}
	}
	snprintf(d->root, sizeof(d->root), "%s", watch_root_path(root));
	d->ready = true;
	p = cJSON_CreateObject();
	cJSON_AddStringToObject(p, "type", "watching");
	cJSON_AddStringToObject(p, "root", d->root);
	if (d->n_phases > 0) {
		cJSON *arr = cJSON_AddArrayToObject(p, "phases");

		for (size_t i = 0; i < d->n_phases; i++)
			cJSON_AddItemToArray(arr,
			    cJSON_CreateString(d->phases[i]));
		cJSON_AddFalseToObject(p, "on_save");
	} else {
		cJSON_AddItemToObject(p, "phases",
		    req_dev_on_save_phases(root));
		cJSON_AddTrueToObject(p, "on_save");
	}
	cJSON_AddBoolToObject(p, "tty", d->tty_cols > 0);
	req_progress(d->req, p);
}

/* Whether the batch already requested phase on save (the root's model,
 * no workspaces: engine_on_batch's own rule), so a dev client asking for
 * it too would only run it twice. */
static bool
req_dev_on_save(const struct make_project *m, const char *phase,
    const char *const *changed, size_t n)
{
	const struct make_phase *ph = NULL;

	if (m == NULL || m->workspaces_len > 0)
		return false;
	for (size_t i = 0; i < m->phases_len && ph == NULL; i++)
		if (strcmp(m->phases[i].name, phase) == 0)
			ph = &m->phases[i];
	if (ph == NULL || ph->watch == MAKE_WATCH_NONE)
		return false;
	for (size_t i = 0; i < n; i++)
		if (make_strlist_match(&ph->outputs, changed[i]) < 0 &&
		    (ph->watch == MAKE_WATCH_ALL ||
		    make_strlist_match(&ph->watch_globs, changed[i]) >= 0))
			return true;
	return false;
}

void
req_dev_batch(struct ggend *g, const char *root,
    const struct make_project *model, const char *const *changed,
    size_t n_changed)
{
	const char *phases[REQ_DEV_PHASES_MAX];
	struct engine_request er = { 0 };
	struct gerr err;
	uint64_t id;
	cJSON *p;

	if (g->devhub == NULL || g->engine == NULL || n_changed == 0)
		return;
	for (struct req_dev *d = g->devhub->clients; d != NULL; d = d->next) {
		if (!d->ready || d->n_phases == 0 || strcmp(d->root, root) != 0)
			continue;
		er.n_phases = 0;
		for (size_t i = 0; i < d->n_phases; i++)
			if (!req_dev_on_save(model, d->phases[i], changed,
			    n_changed))
				phases[er.n_phases++] = d->phases[i];
		if (er.n_phases == 0)
			continue;
		er.root = d->root;
		er.phases = phases;
		er.target = PLAN_TARGET_DEFAULT;
		er.trigger = ENGINE_TRIGGER_SAVE;
		/* After the batch's on-save runs (engine_on_batch ran
		 * first): one save, one build at a time, then the test. */
		er.after_saves = true;
		er.env = d->env;
		er.changed = changed;
		er.n_changed = n_changed;
		gerr_clear(&err);
		/* The run listener streams it, as any run of the root. */
		if (engine_submit(g->engine, &er, NULL, NULL, &id, &err) == 0)
			continue;
		p = cJSON_CreateObject();
		cJSON_AddStringToObject(p, "type", "error");
		cJSON_AddStringToObject(p, "code", err_lookup(err.code)->wire);
		cJSON_AddStringToObject(p, "message", err.msg);
		req_progress(d->req, p);
	}
}

static int
req_dev_handle(struct req *req, struct gerr *err)
{
	const cJSON *list = req_field(req, "phases"), *item;
	const cJSON *cols = req_field(req, "columns");
	const char *r = cJSON_GetStringValue(req_field(req, "root"));
	struct req_dev *d;
	size_t n;
	int rc;

	if (req->g->watch == NULL || req->g->engine == NULL)
		return gerr_set(err, GERR_INTERNAL, "dev: no watcher or engine");
	if (cJSON_GetArraySize(list) > REQ_DEV_PHASES_MAX)
		return gerr_set(err, GERR_LIMIT, "dev: more than %d phases",
		    REQ_DEV_PHASES_MAX);
	cJSON_ArrayForEach(item, list)
		if (!cJSON_IsString(item) || item->valuestring[0] == '\0')
			return gerr_set(err, GERR_BAD_TYPE, "dev: field "
			    "\"phases\": expected non-empty strings");
	/* Without the run listener no run would ever show: say so now. */
	if (!req_dev_hub(req->g)->listening)
		return gerr_set(err, GERR_LIMIT, "dev: the engine takes no more "
		    "run listeners");
	d = xcalloc(1, sizeof(*d));
	if (r[0] != '/' || realpath(r, d->root) == NULL) {
		free(d);
		return gerr_set(err, GERR_ROOT_NOT_FOUND, "root %s: not an "
		    "existing absolute directory", r);
	}
	d->g = req->g;
	d->req = req;
	if (cJSON_GetStringValue(req_field(req, "env")) != NULL &&
	    cJSON_GetStringValue(req_field(req, "env"))[0] != '\0')
		d->env = xstrdup(cJSON_GetStringValue(req_field(req, "env")));
	d->n_phases = (size_t)cJSON_GetArraySize(list);
	d->phases = xcalloc(d->n_phases + 1, sizeof(*d->phases));
	n = 0;
	cJSON_ArrayForEach(item, list)
		d->phases[n++] = xstrdup(item->valuestring);
	if (cJSON_IsTrue(req_field(req, "tty")))
		d->tty_cols = cols != NULL && cols->valuedouble >= 20 &&
		    cols->valuedouble <= 1000 ? (unsigned)cols->valuedouble :
		    REQ_DEV_COLS_DEFAULT;
	d->next = req->g->devhub->clients;
	req->g->devhub->clients = d;
	server_client_subscribe(req->client);
	req_defer(req, req_dev_cancel, d);
	d->waiting_root = true;
	rc = watch_root_add(req->g->watch, d->root, req_dev_ready, d, NULL, err);
	if (rc != 0) {
		d->waiting_root = false;
		req_dev_unlink(d);
		req_reply_error(req, err);
		req_dev_free(d);
	}
	return 0;
}

const struct req_entry req_dev_entry = {
	.proto = PROTO_CMD_DEV,
	.handler = req_dev_handle,
};
