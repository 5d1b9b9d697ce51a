/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * engine.c - runs of lifecycle plans: queue, execution, spans, events.
 *
 * Owns every run (queued, running, the last ENGINE_RUNS_KEPT finished), the
 * child processes of running ones (through daemon/runner.c), the run
 * listeners and followers, and the cache table (engine_cache.c). Called by
 * the request handlers (req_run, req_cancel, req_runs, req_logs,
 * req_status) and by the on-save path (engine_batch.c).
 *
 * Execution: a run's plan tree is mirrored by struct engine_exec nodes.
 * A PLAN_DAG node (depends_on) starts each kid once the kids it depends on
 * succeeded, at most max_par at once (1 unless --jobs), and skips, with a
 * note in the output, every kid whose dependency failed or was skipped;
 * independent kids go on.
 * engine_exec_start returns true when a node finished at once (cached or
 * failed before spawning); otherwise the node finishes later, from a child
 * exit, through engine_exec_done. Sequences advance in a loop rather than
 * by recursion, so long chains of cached steps do not deepen the stack.
 *
 * Invariants: a run is on exactly one list (queued, running, finished);
 * a running run ends only when no child of it is alive (active == 0);
 * children are never freed inside their own callbacks: finished ones go to
 * the graveyard, emptied by an ev_idle watcher that runs only while the
 * graveyard is non-empty (idle costs nothing).
 */
#include "engine.h"

#include <assert.h>
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "engine_cache.h"
#include "outcache.h"
#include "generate.h"
#include "graph.h"
#include "log.h"
#include "make.h"
#include "path.h"
#include "runenv.h"
#include "runner.h"
#include "strbuf.h"
#include "treefiles.h"
#include "worker.h"
#include "xmalloc.h"

extern char **environ;

#define ENGINE_LISTENERS_MAX 8
#define ENGINE_SPANS_MAX 10000
/* The runner's own tail per command: the run ring keeps the real one. */
#define ENGINE_CHILD_TAIL 4096

struct engine_run;
struct engine_exec;

struct engine_cmd {
	struct child child;		/* runner state; freed in the graveyard */
	struct engine_run *run;
	struct engine_exec *x;		/* NULL for on_error/on_success */
	uint64_t span;			/* command span id, 0 = none */
	struct engine_cmd *next;	/* run's live list, then graveyard */
	bool live;
	/* "[ws] " before each line when workspaces run concurrently, so
	 * interleaved output stays readable; NULL otherwise. */
	char *prefix;
	bool mid_line;			/* the last chunk did not end a line */
};

struct engine_exec {
	const struct plan_node *node;
	struct engine_exec *parent;
	struct engine_exec **kids;
	size_t n_kids;
	size_t next;			/* next kid to start */
	size_t running;			/* kids started, not finished */
	bool failed;
	size_t index;			/* in the parent's kids */
	unsigned char *kstate;		/* PLAN_DAG: enum engine_dag per kid */
	/* PLAN_PHASE */
	char *dir;			/* absolute workspace directory */
	size_t cmd_index;
	uint64_t span;
	int64_t start_mono_us;
	char key[CACHEKEY_HEX_SIZE];
	bool has_key;
	/* render step */
	struct engine_run *run;
	struct generate_job *job;	/* while rendering */
	uint64_t render_span;
	struct engine_exec *render_next;	/* run's rendering list */
	/* output cache (daemon/outcache.h) */
	char akey[CACHEKEY_HEX_SIZE];	/* action key, "" until known */
	struct outcache_job *fetch;	/* while restoring */
	struct engine_exec *fetch_next;	/* run's fetching list */
	const char *cache_how;		/* "restored"/"remote", or NULL */
	/* This step's own output (no prefixes), for its span's history;
	 * cap 0 until it prints (ENGINE_STEP_OUTPUT_CAP once it does). */
	struct ring out;
	/* cache key computed on the worker (no hot file table) */
	struct engine_keyjob *keyjob;	/* while keying */
	struct engine_exec *key_next;	/* run's keying list */
};

/*
 * A cache key computed on the engine's worker: walking and hashing a
 * root without a hot file table must not hold the loop. The job owns a
 * model reference (the phase lives in it) and copies of the paths, so a
 * run cancelled or freed meanwhile only detaches it (x NULL).
 */
struct engine_keyjob {
	struct make_project *model;	/* a reference */
	const struct make_phase *phase;	/* in model */
	char *root;
	char *ws_rel;
	char key[CACHEKEY_HEX_SIZE];
	int rc;
	struct gerr err;
	struct engine_run *run;		/* NULL once detached */
	struct engine_exec *x;
};

/* A key a dry run has hashed on the worker (no hot file table). */
struct engine_dry_key {
	size_t step;			/* index in plan.steps */
	const struct make_phase *phase;	/* in the job's model */
	char *ws_rel;
	char key[CACHEKEY_HEX_SIZE];
	int rc;
	struct gerr err;
};

/*
 * A dry run in progress. It owns a model reference (the plan borrows
 * it), the plan and a copy of the root, which the worker reads while
 * keys hash; the loop changes none of them meanwhile. Cancelled (done
 * NULL) or detached from a freed engine (g NULL), its result is dropped
 * when the worker hands it back.
 */
struct engine_dry {
	struct engine *g;		/* NULL once detached */
	engine_dry_cb done;		/* NULL once cancelled */
	void *arg;
	struct engine_dry *next;	/* g->dries */
	struct make_project *model;
	struct plan plan;
	char *root;
	bool force;
	bool no_remote;
	struct engine_exec *xs;		/* per step: dir, key */
	const char **why;		/* per step: precheck's reason */
	unsigned char *decided;		/* per step: enum decision + 1, or
					   0 when the key decides */
	int *krc;			/* per step: the key's outcome */
	struct engine_dry_key *keys;	/* hashed on the worker */
	size_t n_keys;
};

/* A PLAN_DAG kid's state. */
enum engine_dag {
	ENGINE_DAG_PENDING = 0,
	ENGINE_DAG_RUNNING,
	ENGINE_DAG_OK,
	ENGINE_DAG_FAILED,
	ENGINE_DAG_SKIPPED,	/* a dependency failed or was skipped */
};

static const char engine_first_run_why[] =
    "first_run_only: it already ran successfully here (--force runs it)";

/* The environment of the last manual run of a root, for its on-save runs. */
struct engine_rootenv {
	char *root;
	char *env;			/* NULL = none */
	const char *source;		/* "-e", "GGEN_ENV" or NULL (static) */
};

#define ENGINE_ROOTENV_MAX 256

/* A phase's self-retrigger count (engine_loop_check). */
struct engine_loop {
	char *root, *ws, *phase;
	uint64_t files;			/* hash of the last round's files */
	unsigned rounds;
	bool stopped;
};

#define ENGINE_LOOPS_MAX 64

struct engine_follower {
	engine_event_cb fn;
	void *arg;
	struct engine_follower *next;
};

struct engine_list {
	struct engine_run *head, *tail;
	size_t n;
};

struct engine_run {
	struct engine *g;
	uint64_t id;
	enum engine_status status;
	struct engine_run *prev, *next;
	struct engine_list *on;		/* the list holding it */
	uint64_t after_run;		/* waits for this run to end */
	bool after_saves;		/* waits for earlier on-save runs of
					   its root (engine_request) */
	/* the request */
	char *root;
	char **phases;
	size_t n_phases;
	char *phase_text;		/* phases joined by spaces */
	enum plan_target target;
	char *workspace;		/* "" unless one workspace was named */
	bool force;
	enum engine_trigger trigger;
	char **changed;
	size_t n_changed;
	/* execution */
	struct make_project *model;	/* a reference: the model the run
					   started with, whatever came later */
	struct plan plan;
	struct engine_exec *top;
	struct engine_cmd *live;	/* children alive */
	struct engine_exec *rendering;	/* render steps under way */
	struct engine_exec *fetching;	/* output restores under way */
	struct engine_exec *keying;	/* cache keys on the worker */
	bool no_remote;			/* run --no-remote */
	size_t active;
	const char **post_cmds;		/* on_error/on_success commands,
					   borrowed from the model */
	size_t n_post;
	size_t post_next;		/* next of post_cmds to run */
	bool post;			/* running on_error/on_success */
	bool cancelled, timed_out, failed;
	size_t steps_done, steps_cached;
	char **skipped;			/* phases not run: a dependency failed */
	size_t n_skipped;
	int exit_code, signal;
	char *message;			/* first failure */
	char last_key[CACHEKEY_HEX_SIZE];
	char *run_dir;			/* for GGEN_CHANGED_FILE; NULL = none */
	struct ring out;
	struct engine_span *spans;
	size_t n_spans;
	struct engine_follower *followers;
	int64_t queued_us, start_us, end_us;
	int64_t start_mono_us, end_mono_us;
};

struct engine {
	struct ev_loop *loop;
	char *state_dir;
	size_t output_cap, step_output_cap;	/* engine_set_output_caps */
	size_t queue_max;			/* engine_set_queue_max */
	uint64_t next_id;
	struct engine_list queued, running, finished;
	struct engine_cache *cache;
	struct outcache *outcache;	/* may be NULL; borrowed */
	struct {
		engine_event_cb fn;
		void *arg;
	} listeners[ENGINE_LISTENERS_MAX];
	size_t n_listeners;
	engine_publish_cb publish;
	void *publish_arg;
	struct ggend *ggend;		/* for generate_start; may be NULL */
	engine_tty_cb tty_fn;		/* dev terminals; may be NULL */
	void *tty_arg;
	engine_table_cb table_fn;
	void *table_arg;
	engine_model_cb model_fn;
	void *model_arg;
	uint64_t models_loaded;		/* make_load calls: unwatched roots */
	struct engine_cmd *graveyard;
	ev_idle reaper;
	unsigned cores;
	bool stopping;			/* engine_cancel_where(NULL): no new
					   runs */
	struct worker *worker;		/* cache keys, engine-cache.json */
	struct engine_rootenv rootenv[ENGINE_ROOTENV_MAX];
	size_t n_rootenv;
	struct engine_loop loops[ENGINE_LOOPS_MAX];
	size_t n_loops;
	engine_done_cb done_fn;		/* first_run_only; may be NULL */
	void *done_arg;
	struct engine_dry *dries;	/* dry runs keying on the worker */
};

const char *
engine_status_name(enum engine_status s)
{
	return run_status_name((enum run_status)s);
}

const char *
engine_trigger_name(enum engine_trigger t)
{
	return run_trigger_name((enum run_trigger)t);
}

/* ---- lists ----------------------------------------------------------- */

static void
engine_list_push(struct engine_list *l, struct engine_run *r)
{
	r->prev = l->tail;
	r->next = NULL;
	if (l->tail != NULL)
		l->tail->next = r;
	else
		l->head = r;
	l->tail = r;
	l->n++;
	r->on = l;
}

static void
engine_list_remove(struct engine_run *r)
{
	struct engine_list *l = r->on;

	if (r->prev != NULL)
		r->prev->next = r->next;
	else
		l->head = r->next;
	if (r->next != NULL)
		r->next->prev = r->prev;
	else
		l->tail = r->prev;
	l->n--;
	r->prev = r->next = NULL;
	r->on = NULL;
}

static struct engine_run *
engine_find(struct engine *g, uint64_t id)
{
	struct engine_list *lists[] = { &g->running, &g->queued,
		&g->finished };

	for (size_t i = 0; i < 3; i++)
		for (struct engine_run *r = lists[i]->head; r; r = r->next)
			if (r->id == id)
				return r;
	return NULL;
}

/* ---- events ---------------------------------------------------------- */

static void
engine_event_fill(const struct engine_run *r, enum engine_event_kind kind,
    struct engine_event *ev)
{
	memset(ev, 0, sizeof(*ev));
	ev->kind = kind;
	ev->run_id = r->id;
	ev->root = r->root;
	ev->workspace = r->workspace;
	ev->phase = r->phase_text;
	ev->trigger = r->trigger;
	ev->trigger_files = (const char *const *)r->changed;
	ev->n_trigger_files = r->n_changed;
	ev->start_us = r->start_us;
	ev->end_us = r->end_us;
	ev->status = r->status;
	ev->exit_code = r->exit_code;
	ev->signal = r->signal;
	ev->cache_key = r->last_key[0] != '\0' ? r->last_key : NULL;
	ev->message = r->message;
	ev->phases = (const char *const *)r->phases;
	ev->n_phases = r->n_phases;
}

/* To followers always; to listeners all but output. */
static void
engine_emit(struct engine_run *r, const struct engine_event *ev)
{
	struct engine *g = r->g;
	struct engine_follower *f, *next;

	if (ev->kind != ENGINE_EV_OUTPUT)
		for (size_t i = 0; i < g->n_listeners; i++)
			g->listeners[i].fn(g->listeners[i].arg, ev);
	/* A follower may unfollow itself from its callback: keep next. */
	for (f = r->followers; f != NULL; f = next) {
		next = f->next;
		f->fn(f->arg, ev);
	}
}

/* Hand ev to the publisher, if any. */
static void
engine_publish(struct engine *g, const struct engine_event *ev)
{
	if (g->publish != NULL)
		g->publish(g->publish_arg, ev);
}

/* Publish run r's event kind (its fields as engine_event_fill's). */
static void
engine_publish_run(struct engine_run *r, enum engine_event_kind kind)
{
	struct engine_event ev;

	if (r->g->publish == NULL)
		return;
	engine_event_fill(r, kind, &ev);
	if (kind == ENGINE_EV_RUN_END)
		ev.dur_us = r->end_mono_us - r->start_mono_us;
	engine_publish(r->g, &ev);
}

/* ---- spans ----------------------------------------------------------- */

static uint64_t
engine_span_begin(struct engine_run *r, uint64_t parent,
    enum engine_span_kind kind, const char *name, const char *ws)
{
	struct engine_span *s;
	struct engine_event ev;

	if (r->n_spans == ENGINE_SPANS_MAX)
		return 0;
	r->spans = xreallocarray(r->spans, r->n_spans + 1, sizeof(*r->spans));
	s = &r->spans[r->n_spans++];
	memset(s, 0, sizeof(*s));
	s->id = r->n_spans;
	s->parent = parent;
	s->kind = kind;
	s->name = xstrdup(name);
	s->workspace = xstrdup(ws);
	s->start_us = (int64_t)clock_wall_us();
	s->dur_us = -1;
	s->status = ENGINE_RUNNING;
	engine_event_fill(r, ENGINE_EV_SPAN_START, &ev);
	ev.span = s;
	engine_emit(r, &ev);
	return s->id;
}

/* End span id; out (NULL = none) is its step's own output, sent with the
 * SPAN_END event. */
static void
engine_span_end_out(struct engine_run *r, uint64_t id, enum engine_status st,
    bool slow, const struct ring *out)
{
	struct engine_span *s;
	struct engine_event ev;
	char *tail = NULL;

	if (id == 0 || id > r->n_spans)
		return;
	s = &r->spans[id - 1];
	s->dur_us = (int64_t)clock_wall_us() - s->start_us;
	if (s->dur_us < 0)
		s->dur_us = 0;
	s->status = st;
	s->slow = slow;
	engine_event_fill(r, ENGINE_EV_SPAN_END, &ev);
	ev.span = s;
	if (out != NULL && ring_len(out) > 0) {
		tail = ring_dup(out, &ev.output_len);
		ev.output = tail;
	}
	engine_emit(r, &ev);
	free(tail);
}

static void
engine_span_end(struct engine_run *r, uint64_t id, enum engine_status st,
    bool slow)
{
	engine_span_end_out(r, id, st, slow, NULL);
}

/* Keep len bytes of x's own output (x NULL: a post command, none). */
static void
engine_step_output(const struct engine *g, struct engine_exec *x,
    const char *bytes, size_t len)
{
	if (x == NULL || len == 0)
		return;
	if (x->out.cap == 0)
		ring_init(&x->out, g->step_output_cap);
	ring_append(&x->out, bytes, len);
}

/* ---- runs: creation and release -------------------------------------- */

static void
engine_exec_free(struct engine_exec *x)
{
	if (x == NULL)
		return;
	for (size_t i = 0; i < x->n_kids; i++)
		engine_exec_free(x->kids[i]);
	free(x->kids);
	free(x->kstate);
	free(x->dir);
	ring_release(&x->out);
	free(x);
}

static struct engine_exec *
engine_exec_build(const struct engine_run *r, const struct plan_node *n,
    struct engine_exec *parent)
{
	struct engine_exec *x = xcalloc(1, sizeof(*x));

	x->node = n;
	x->parent = parent;
	if (n->kind == PLAN_PHASE) {
		x->dir = n->ws != NULL ? xasprintf("%s/%s", r->root,
		    n->ws->path) : xstrdup(r->root);
		return x;
	}
	x->n_kids = n->n_kids;
	x->kids = xcalloc(n->n_kids, sizeof(*x->kids));
	if (n->kind == PLAN_DAG)
		x->kstate = xcalloc(n->n_kids + 1, 1);
	for (size_t i = 0; i < n->n_kids; i++) {
		x->kids[i] = engine_exec_build(r, n->kids[i], x);
		x->kids[i]->index = i;
	}
	return x;
}

static void
engine_run_free(struct engine_run *r)
{
	struct engine_follower *f, *next;

	if (r == NULL)
		return;
	for (f = r->followers; f != NULL; f = next) {
		next = f->next;
		free(f);
	}
	for (size_t i = 0; i < r->n_spans; i++) {
		free((char *)r->spans[i].name);
		free((char *)r->spans[i].workspace);
	}
	free(r->spans);
	for (size_t i = 0; i < r->n_skipped; i++)
		free(r->skipped[i]);
	free(r->skipped);
	if (r->run_dir != NULL) {
		char *p = xasprintf("%s/changed", r->run_dir);

		unlink(p);
		free(p);
		rmdir(r->run_dir);
		free(r->run_dir);
	}
	engine_exec_free(r->top);
	free(r->post_cmds);
	plan_release(&r->plan);
	make_project_unref(r->model);
	for (size_t i = 0; i < r->n_phases; i++)
		free(r->phases[i]);
	free(r->phases);
	for (size_t i = 0; i < r->n_changed; i++)
		free(r->changed[i]);
	free(r->changed);
	free(r->phase_text);
	free(r->workspace);
	free(r->root);
	free(r->message);
	ring_release(&r->out);
	free(r);
}

/*
 * An invalid make.toml refuses the run with every error (up to a few),
 * not only the first: the user fixes them all in one go. err keeps its
 * code and file:line:col (the first error's).
 */
static void
engine_model_errors(const struct make_findings *f, struct gerr *err)
{
	struct strbuf sb;
	size_t shown = 0;

	strbuf_init(&sb);
	strbuf_addf(&sb, "make.toml is invalid (%zu error%s); nothing runs "
	    "until it is fixed:", f->errors, f->errors == 1 ? "" : "s");
	for (size_t i = 0; i < f->len && shown < 5; i++) {
		if (f->items[i].severity != MAKE_ERROR)
			continue;
		strbuf_addch(&sb, '\n');
		make_finding_format(&f->items[i], &sb);
		shown++;
	}
	if (f->errors > shown)
		strbuf_addf(&sb, "\n(%zu more; ggenc validate shows all)",
		    f->errors - shown);
	snprintf(err->msg, sizeof(err->msg), "%s", sb.buf);
	strbuf_release(&sb);
}

/*
 * A reference to root's model (*model, the caller unrefs): the watch's hot
 * one when root is a watched root, else make_load now. Errors as make_load,
 * a hook cycle reported as GERR_RECURSION.
 */
static int
engine_model_get(struct engine *g, const char *root,
    struct make_project **model, struct gerr *err)
{
	const struct make_findings *hot = NULL;
	struct make_findings f;
	int rc = 0;

	*model = NULL;
	make_findings_init(&f);
	if (g->model_fn != NULL)
		rc = g->model_fn(g->model_arg, root, model, &hot, err);
	if (rc == 0 && *model == NULL && hot == NULL) {
		g->models_loaded++;
		rc = make_load(root, model, &f, err);
		hot = &f;
	}
	/* A hook cycle is the model's error, but clients match "recursion"
	 * whether the plan or make.toml validation found it. */
	for (size_t i = 0; rc != 0 && hot != NULL && i < hot->len; i++)
		if (hot->items[i].severity == MAKE_ERROR) {
			if (strcmp(hot->items[i].rule->id, "hook-cycle") == 0) {
				rc = GERR_RECURSION;
				if (err != NULL)
					err->code = GERR_RECURSION;
			}
			break;
		}
	if (rc != 0 && hot != NULL && hot->errors > 0 && err != NULL)
		engine_model_errors(hot, err);
	make_findings_release(&f);
	return rc;
}

/* Take the model and build the plan of req. */
static int
engine_prepare(struct engine *g, const struct engine_request *req,
    struct make_project **model, struct plan *plan, struct gerr *err)
{
	struct plan_request pr = {
		.phases = req->phases, .n_phases = req->n_phases,
		.target = req->target, .workspace = req->workspace,
		.jobs = req->jobs > 0 ? req->jobs : g->cores,
		.dag_jobs = req->jobs,
		.env = req->env, .env_auto = req->env_auto,
	};
	struct stat st;
	int rc;

	*model = NULL;
	memset(plan, 0, sizeof(*plan));
	if (req->root == NULL || req->root[0] != '/' ||
	    stat(req->root, &st) != 0 || !S_ISDIR(st.st_mode))
		return gerr_set(err, GERR_ROOT_NOT_FOUND,
		    "root %s: not an existing absolute directory",
		    req->root != NULL ? req->root : "(none)");
	rc = engine_model_get(g, req->root, model, err);
	if (rc != 0)
		return rc;
	/* On save: the environment of the root's last manual run. */
	if (req->trigger == ENGINE_TRIGGER_SAVE && req->env == NULL) {
		pr.env = engine_root_env(g, req->root);
		pr.env_auto = NULL;
		/* make.toml may have dropped it since: run without one
		 * rather than not at all. */
		if (pr.env != NULL && !make_env_declared(*model, pr.env)) {
			log_warn("on-save in %s: environment %s is no longer "
			    "declared; running without one", req->root,
			    pr.env);
			pr.env = NULL;
		}
	}
	rc = plan_build(*model, &pr, plan, err);
	if (rc != 0) {
		make_project_unref(*model);
		*model = NULL;
	}
	return rc;
}

/* ---- execution -------------------------------------------------------- */

static bool engine_exec_start(struct engine_run *r, struct engine_exec *x);
static bool engine_dag_advance(struct engine_run *r, struct engine_exec *p);
static void engine_exec_done(struct engine_run *r, struct engine_exec *x);
static void engine_run_top_done(struct engine_run *r);
static void engine_run_finish(struct engine_run *r);
static void engine_schedule(struct engine *g);

static void
engine_reap_cb(struct ev_loop *loop, ev_idle *w, int revents)
{
	struct engine *g = w->data;
	struct engine_cmd *c;

	(void)revents;
	while ((c = g->graveyard) != NULL) {
		g->graveyard = c->next;
		runner_child_free(&c->child);
		free(c->prefix);
		free(c);
	}
	ev_idle_stop(loop, w);
}

static void
engine_bury(struct engine *g, struct engine_cmd *c)
{
	c->next = g->graveyard;
	g->graveyard = c;
	ev_idle_start(g->loop, &g->reaper);
}

/* Record the first failure of the run. */
static void
engine_fail(struct engine_run *r, int exit_code, int sig, const char *fmt,
    ...) __attribute__((format(printf, 4, 5)));

static void
engine_fail(struct engine_run *r, int exit_code, int sig, const char *fmt,
    ...)
{
	va_list ap;

	r->failed = true;
	if (r->message != NULL)
		return;
	va_start(ap, fmt);
	r->message = xvasprintf(fmt, ap);
	va_end(ap);
	r->exit_code = exit_code;
	r->signal = sig;
	log_info("run %llu: %s", (unsigned long long)r->id, r->message);
}

/* " in workspace \"w\"" or "". Static storage per call site is avoided:
 * the caller frees. */
static char *
engine_where(const struct plan_node *n)
{
	return n->ws != NULL ? xasprintf(" in workspace \"%s\"", n->ws->name) :
	    xstrdup("");
}

static void
engine_on_output(struct child *c, enum runner_stream stream,
    const char *bytes, size_t len)
{
	struct engine_cmd *cmd = c->data;
	struct engine_run *r = cmd->run;
	struct engine_event ev;

	struct strbuf sb;

	engine_step_output(r->g, cmd->x, bytes, len);
	strbuf_init(&sb);
	if (cmd->prefix != NULL) {
		for (size_t i = 0; i < len; i++) {
			if (!cmd->mid_line)
				strbuf_addstr(&sb, cmd->prefix);
			strbuf_addch(&sb, bytes[i]);
			cmd->mid_line = bytes[i] != '\n';
		}
		bytes = sb.buf;
		len = sb.len;
	}
	ring_append(&r->out, bytes, len);
	if (r->followers != NULL) {
		engine_event_fill(r, ENGINE_EV_OUTPUT, &ev);
		ev.output = bytes;
		ev.output_len = len;
		ev.stream = (int)stream;
		ev.span = cmd->span > 0 && cmd->span <= r->n_spans ?
		    &r->spans[cmd->span - 1] : NULL;
		engine_emit(r, &ev);
	}
	strbuf_release(&sb);
}

/* Whether step x may run next to another workspace's step (PLAN_PAR) or
 * to an independent phase (PLAN_DAG with --jobs). */
static bool
engine_exec_concurrent(const struct engine_exec *x, enum plan_kind kind)
{
	for (const struct engine_exec *p = x->parent; p != NULL; p = p->parent)
		if (p->node->kind == kind && p->node->max_par > 1)
			return true;
	return false;
}

static void engine_on_exit(struct child *c, const struct runner_result *res);

/* Environment of a command of step x (NULL: post command in the root). */
static int
engine_env(struct engine_run *r, struct engine_exec *x, struct runenv *env,
    struct gerr *err)
{
	const struct plan_node *n = x != NULL ? x->node : NULL;
	const char *wsdir = x != NULL ? x->dir : r->root;
	char id[24];
	const char **rel;
	size_t n_rel = 0, plen;
	int rc = 0;

	runenv_init(env);
	runenv_import(env, environ);
	if (n != NULL)
		for (size_t i = 0; i < n->phase->env_len; i++)
			runenv_set(env, n->phase->env[i].key,
			    n->phase->env[i].value, NULL);
	snprintf(id, sizeof(id), "%llu", (unsigned long long)r->id);
	runenv_set_ggen(env, r->root, wsdir, n != NULL ? n->phase->name : "",
	    id);
	if (r->n_changed == 0)
		return 0;
	/* Changed paths relative to the workspace: only those inside it. */
	rel = xcalloc(r->n_changed, sizeof(*rel));
	plen = n != NULL && n->ws != NULL ? strlen(n->ws->path) : 0;
	for (size_t i = 0; i < r->n_changed; i++) {
		const char *p = r->changed[i];

		if (plen == 0)
			rel[n_rel++] = p;
		else if (strncmp(p, n->ws->path, plen) == 0 && p[plen] == '/')
			rel[n_rel++] = p + plen + 1;
	}
	if (r->run_dir == NULL) {
		r->run_dir = xasprintf("%s/run-%llu", r->g->state_dir,
		    (unsigned long long)r->id);
		if (mkdir(r->run_dir, 0700) != 0 && errno != EEXIST)
			log_warn("mkdir %s: %s", r->run_dir, strerror(errno));
	}
	rc = runenv_set_changed(env, rel, n_rel, r->run_dir, err);
	free(rel);
	if (rc != 0)
		runenv_release(env);
	return rc;
}

static int
engine_spawn(struct engine_run *r, struct engine_exec *x, const char *command,
    uint64_t parent_span, int64_t timeout_s, struct gerr *err)
{
	struct engine_cmd *cmd = xcalloc(1, sizeof(*cmd));
	struct runenv env;
	struct spawn_spec spec = {
		.command = command,
		.cwd = x != NULL ? x->dir : r->root,
		.timeout_ms = timeout_s > 0 ? (uint64_t)timeout_s * 1000 : 0,
		.output_cap = ENGINE_CHILD_TAIL,
		.on_output = engine_on_output,
		.on_exit = engine_on_exit,
		.data = cmd,
	};
	int rc;

	const struct make_phase *ph = x != NULL ? x->node->phase : NULL;
	unsigned cols = r->g->tty_fn != NULL ?
	    r->g->tty_fn(r->g->tty_arg, r->root) : 0;

	spec.tty = ph != NULL && ph->tty == MAKE_TTY_ON ? true :
	    ph != NULL && ph->tty == MAKE_TTY_OFF ? false : cols > 0;
	spec.tty_cols = cols;
	cmd->run = r;
	cmd->x = x;
	/* Interleaved output stays readable: each line names its phase
	 * (and workspace) when others may be writing at the same time. */
	if (x != NULL && engine_exec_concurrent(x, PLAN_DAG))
		cmd->prefix = x->node->ws != NULL ? xasprintf("[%s:%s] ",
		    x->node->ws->name, x->node->phase->name) :
		    xasprintf("[%s] ", x->node->phase->name);
	else if (x != NULL && x->node->ws != NULL &&
	    engine_exec_concurrent(x, PLAN_PAR))
		cmd->prefix = xasprintf("[%s] ", x->node->ws->name);
	rc = engine_env(r, x, &env, err);
	if (rc != 0) {
		free(cmd->prefix);
		free(cmd);
		return rc;
	}
	spec.envp = runenv_envp(&env);
	cmd->span = engine_span_begin(r, parent_span, ENGINE_SPAN_COMMAND,
	    command, x != NULL ? plan_step_where(x->node) : "");
	rc = runner_spawn(r->g->loop, &spec, &cmd->child, err);
	runenv_release(&env);
	if (rc != 0) {
		engine_span_end(r, cmd->span, ENGINE_FAILED, false);
		runner_child_free(&cmd->child);
		free(cmd->prefix);
		free(cmd);
		return rc;
	}
	cmd->live = true;
	cmd->next = r->live;
	r->live = cmd;
	r->active++;
	return 0;
}

static void
engine_live_remove(struct engine_run *r, struct engine_cmd *cmd)
{
	struct engine_cmd **pp;

	for (pp = &r->live; *pp != NULL; pp = &(*pp)->next)
		if (*pp == cmd) {
			*pp = cmd->next;
			break;
		}
	cmd->live = false;
	r->active--;
}

/* End step x's span with status st and tell its parent. */
static void
engine_step_end(struct engine_run *r, struct engine_exec *x,
    enum engine_status st)
{
	const struct plan_node *n = x->node;
	int64_t dur_us = (int64_t)clock_mono_us() - x->start_mono_us;
	int64_t dur_ms = dur_us / 1000;
	bool slow = n->phase->budget_ms > 0 && dur_ms > n->phase->budget_ms;
	struct engine_span sp;
	struct engine_event ev;

	x->failed = st != ENGINE_OK && st != ENGINE_CACHED;
	r->steps_done++;
	if (st == ENGINE_CACHED)
		r->steps_cached++;
	if (slow)
		log_warn("run %llu: phase %s took %lld ms, over its budget of "
		    "%lld ms", (unsigned long long)r->id, n->phase->name,
		    (long long)dur_ms, (long long)n->phase->budget_ms);
	engine_span_end_out(r, x->span, st, slow, &x->out);
	/* Handed to the history with the span: a finished run kept in
	 * memory does not hold its steps' tails too. */
	ring_release(&x->out);
	if (r->g->publish == NULL)
		return;
	/* The step as published: its own (monotonic) duration. */
	memset(&sp, 0, sizeof(sp));
	sp.id = x->span;
	sp.kind = n->hook != NULL ? ENGINE_SPAN_HOOK : ENGINE_SPAN_PHASE;
	sp.name = n->phase->name;
	sp.workspace = plan_step_where(n);
	sp.dur_us = dur_us;
	sp.status = st;
	sp.slow = slow;
	engine_event_fill(r, ENGINE_EV_SPAN_END, &ev);
	ev.span = &sp;
	ev.dur_us = dur_us;
	if (st == ENGINE_CACHED)
		ev.cache = x->cache_how != NULL ? x->cache_how : "skipped";
	engine_publish(r->g, &ev);
}

/* Spawn step x's command cmd_index; false when that failed (step ended). */
static bool
engine_step_spawn(struct engine_run *r, struct engine_exec *x)
{
	const struct make_phase *ph = x->node->phase;
	struct gerr err;
	char *where;

	gerr_clear(&err);
	if (engine_spawn(r, x, ph->commands.items[x->cmd_index].s, x->span,
	    ph->timeout_s, &err) == 0)
		return true;
	where = engine_where(x->node);
	engine_fail(r, -1, 0, "phase \"%s\"%s: command \"%s\" could not "
	    "start: %s", ph->name, where, ph->commands.items[x->cmd_index].s,
	    err.msg);
	free(where);
	engine_step_end(r, x, ENGINE_FAILED);
	return false;
}

/* Step x's cache key from the watched root's table when it has every
 * hash: 0 (x->key filled), else GERR_BUSY: hash the inputs from disk
 * (engine_step_key, or the worker). */
static int
engine_step_key_table(struct engine_run *r, struct engine_exec *x)
{
	const struct plan_node *n = x->node;
	const struct filetable *t = r->g->table_fn != NULL ?
	    r->g->table_fn(r->g->table_arg, r->root) : NULL;
	char *ws_rel;
	int rc;

	if (t == NULL)
		return GERR_BUSY;
	/* Workspace paths as written: "./a/" is "a" in the table. */
	ws_rel = treefiles_ws_rel(n->ws != NULL ? n->ws->path : "");
	rc = engine_cache_key_table(n->phase, t, r->root, ws_rel, x->key,
	    NULL);
	log_debug("engine_step_key: %s: %s", n->phase->name, rc == 0 ?
	    "from the file table" : "table not usable, hashing");
	free(ws_rel);
	return rc == 0 ? 0 : GERR_BUSY;
}

/* Step x's cache key, hashed here (on the loop) without a usable table:
 * only for an engine without a worker; runs and dry runs hash on the
 * worker (engine_step_commands, engine_dry_run). */
static int
engine_step_key(struct engine_run *r, struct engine_exec *x,
    struct gerr *err)
{
	const struct plan_node *n = x->node;
	char *ws_rel;
	int rc;

	if (engine_step_key_table(r, x) == 0)
		return 0;
	ws_rel = treefiles_ws_rel(n->ws != NULL ? n->ws->path : "");
	rc = engine_cache_key(n->phase, r->root, ws_rel, r->model, x->key,
	    err);
	free(ws_rel);
	return rc;
}

enum engine_cache_decision {
	ENGINE_CACHE_RUN = 0,
	ENGINE_CACHE_SKIP,
	ENGINE_CACHE_RESTORE,	/* ask the output cache, else run */
	ENGINE_CACHE_CHECK,	/* skip once the output cache confirms the
				   outputs on disk (unseen since start) */
};

/* Step x as the output cache sees it; *tofree gets the array to free
 * afterwards (everything else is borrowed from the run). */
static void
engine_outcache_phase(struct engine_run *r, struct engine_exec *x,
    struct outcache_phase *ph, const char ***tofree)
{
	const struct plan_node *n = x->node;
	const struct make_strlist *plat = &r->model->platform_inputs;
	size_t no = n->phase->outputs.len;
	const char **a = xcalloc(no + plat->len + 1, sizeof(*a));

	for (size_t i = 0; i < no; i++)
		a[i] = n->phase->outputs.items[i].s;
	for (size_t i = 0; i < plat->len; i++)
		a[no + i] = plat->items[i].s;
	memset(ph, 0, sizeof(*ph));
	ph->phase_key = x->key;
	ph->phase = n->phase->name;
	ph->ws_dir = x->dir;
	ph->outputs = a;
	ph->n_outputs = no;
	ph->root = r->root;
	ph->platform_inputs = a + no;
	ph->n_platform = plat->len;
	ph->remote = !r->no_remote && r->model->cache_remote &&
	    (n->model == NULL || n->model->cache_remote);
	*tofree = a;
}

/* The decisions taken before any key: a first_run_only phase already
 * run here is skipped, a phase without cache runs. False when the key
 * decides (engine_step_decide). */
static bool
engine_step_precheck(struct engine_run *r, struct engine_exec *x,
    enum engine_cache_decision *out, const char **why)
{
	const struct plan_node *n = x->node;

	*why = NULL;
	if (n->phase->first_run_only && !r->force && r->g->done_fn != NULL &&
	    r->g->done_fn(r->g->done_arg, r->root, plan_step_where(n),
	    n->phase->name)) {
		*why = engine_first_run_why;
		*out = ENGINE_CACHE_SKIP;
		return true;
	}
	if (!n->phase->cache) {
		*out = ENGINE_CACHE_RUN;
		return true;
	}
	return false;
}

/* Cache decision for step x whose key is known (krc 0: x->key) or could
 * not be computed (krc, kerr). */
static enum engine_cache_decision
engine_step_decide(struct engine_run *r, struct engine_exec *x, int krc,
    const struct gerr *kerr, const char **why)
{
	const struct plan_node *n = x->node;
	struct outcache *oc = r->g->outcache;
	const char *last, *changed = NULL;

	*why = NULL;
	if (krc != 0) {
		log_warn("run %llu: phase %s: no cache key: %s",
		    (unsigned long long)r->id, n->phase->name, kerr->msg);
		*why = "no cache key";
		return ENGINE_CACHE_RUN;
	}
	x->has_key = true;
	snprintf(r->last_key, sizeof(r->last_key), "%s", x->key);
	if (r->force) {
		*why = "forced";
		return ENGINE_CACHE_RUN;
	}
	last = engine_cache_lookup(r->g->cache, r->root, plan_step_where(n),
	    n->phase->name);
	if (last == NULL || strcmp(last, x->key) != 0) {
		*why = last == NULL ? "no previous key" : "key changed";
		return oc != NULL ? ENGINE_CACHE_RESTORE : ENGINE_CACHE_RUN;
	}
	if (engine_cache_missing_output(n->phase, x->dir) != NULL) {
		*why = "output missing";
		return oc != NULL ? ENGINE_CACHE_RESTORE : ENGINE_CACHE_RUN;
	}
	switch (oc != NULL ? outcache_outputs_intact(oc, x->dir, x->key,
	    &changed) : OUTCACHE_INTACT_YES) {
	case OUTCACHE_INTACT_NO:
		*why = "output changed";
		log_debug("engine_step_cached: %s: %s changed on disk",
		    n->phase->name, changed);
		return ENGINE_CACHE_RESTORE;
	case OUTCACHE_INTACT_UNKNOWN:
		*why = "key unchanged, outputs exist (checked by content "
		    "once)";
		return ENGINE_CACHE_CHECK;
	case OUTCACHE_INTACT_YES:
		break;
	}
	*why = "key unchanged, outputs exist";
	return ENGINE_CACHE_SKIP;
}

static void
engine_fetch_unlink(struct engine_run *r, struct engine_exec *x)
{
	struct engine_exec **pp;

	for (pp = &r->fetching; *pp != NULL; pp = &(*pp)->fetch_next)
		if (*pp == x) {
			*pp = x->fetch_next;
			break;
		}
	x->fetch = NULL;
	r->active--;
}

/* A line of ours into the run's output (ring and followers). */
static void
engine_note(struct engine_run *r, struct engine_exec *x, const char *line)
{
	struct engine_event ev;
	size_t len = strlen(line);

	engine_step_output(r->g, x, line, len);
	ring_append(&r->out, line, len);
	if (r->followers != NULL) {
		engine_event_fill(r, ENGINE_EV_OUTPUT, &ev);
		ev.output = line;
		ev.output_len = len;
		ev.stream = 2;
		ev.span = x->span > 0 && x->span <= r->n_spans ?
		    &r->spans[x->span - 1] : NULL;
		engine_emit(r, &ev);
	}
}

static bool engine_step_spawn(struct engine_run *r, struct engine_exec *x);

/* The output cache answered for step x: restored, or run it. */
static void
engine_fetch_done(void *arg, enum outcache_result res, uint64_t bytes,
    const char *detail)
{
	struct engine_exec *x = arg;
	struct engine_run *r = x->run;
	const struct make_phase *ph = x->node->phase;
	char *line;

	(void)bytes;
	engine_fetch_unlink(r, x);
	if (res == OUTCACHE_INTACT) {
		if (x->span > 0 && x->span <= r->n_spans)
			r->spans[x->span - 1].cache = "skipped";
		engine_step_end(r, x, ENGINE_CACHED);
		engine_exec_done(r, x);
		return;
	}
	if (res != OUTCACHE_MISS) {
		x->cache_how = outcache_result_name(res);
		engine_cache_store(r->g->cache, r->root,
		    plan_step_where(x->node), ph->name, x->key);
		line = xasprintf("ggen: %s: cached (%s): %s\n", ph->name,
		    x->cache_how, detail);
		engine_note(r, x, line);
		free(line);
		if (x->span > 0 && x->span <= r->n_spans)
			r->spans[x->span - 1].cache = x->cache_how;
		engine_step_end(r, x, ENGINE_CACHED);
		engine_exec_done(r, x);
		return;
	}
	log_debug("engine_fetch_done: %s: %s", ph->name, detail);
	if (ph->commands.len == 0) {
		engine_step_end(r, x, ENGINE_OK);
		engine_exec_done(r, x);
		return;
	}
	x->cmd_index = 0;
	if (!engine_step_spawn(r, x))
		engine_exec_done(r, x);
}

/* Ask the output cache for step x; false when it could not (run it). */
static bool
engine_fetch_start(struct engine_run *r, struct engine_exec *x, bool check)
{
	struct outcache_phase ph;
	const char **tofree;
	int rc;

	x->run = r;
	engine_outcache_phase(r, x, &ph, &tofree);
	ph.check = check;
	rc = outcache_restore(r->g->outcache, &ph, engine_fetch_done, x,
	    &x->fetch, NULL);
	free(tofree);
	if (rc != 0)
		return false;
	x->fetch_next = r->fetching;
	r->fetching = x;
	r->active++;
	return true;
}

/* Act on the cache decision for step x: skip, restore, or the commands.
 * True when the step ended at once. */
static bool
engine_step_act(struct engine_run *r, struct engine_exec *x,
    enum engine_cache_decision decision, const char *why)
{
	switch (decision) {
	case ENGINE_CACHE_CHECK:
		if (engine_fetch_start(r, x, true))
			return false;
		/* No store to check against: skip, as before one. */
		/* FALLTHROUGH */
	case ENGINE_CACHE_SKIP:
		if (why == engine_first_run_why) {
			char *line = xasprintf("ggen: phase \"%s\" skipped: "
			    "%s\n", x->node->phase->name, why);

			engine_note(r, x, line);
			free(line);
		}
		if (x->span > 0 && x->span <= r->n_spans)
			r->spans[x->span - 1].cache = "skipped";
		engine_step_end(r, x, ENGINE_CACHED);
		return true;
	case ENGINE_CACHE_RESTORE:
		if (engine_fetch_start(r, x, false))
			return false;
		break;
	case ENGINE_CACHE_RUN:
		break;
	}
	if (x->node->phase->commands.len == 0) {
		engine_step_end(r, x, ENGINE_OK);
		return true;
	}
	x->cmd_index = 0;
	return !engine_step_spawn(r, x);
}

static void
engine_key_unlink(struct engine_run *r, struct engine_exec *x)
{
	struct engine_exec **pp;

	for (pp = &r->keying; *pp != NULL; pp = &(*pp)->key_next)
		if (*pp == x) {
			*pp = x->key_next;
			break;
		}
	x->keyjob = NULL;
	r->active--;
}

/* Detach x's key job: its result is dropped when it comes back. */
static void
engine_key_detach(struct engine_run *r, struct engine_exec *x)
{
	x->keyjob->run = NULL;
	x->keyjob->x = NULL;
	engine_key_unlink(r, x);
}

static void
engine_keyjob_fn(void *arg)
{
	struct engine_keyjob *kj = arg;

	gerr_clear(&kj->err);
	kj->rc = engine_cache_key(kj->phase, kj->root, kj->ws_rel, kj->model,
	    kj->key, &kj->err);
}

static void engine_exec_done(struct engine_run *r, struct engine_exec *x);

/* Loop thread: the key is known; go on with the step unless detached. */
static void
engine_keyjob_done(void *arg)
{
	struct engine_keyjob *kj = arg;
	struct engine_run *r = kj->run;
	struct engine_exec *x = kj->x;
	const char *why;

	if (x != NULL) {
		engine_key_unlink(r, x);
		if (r->cancelled) {
			engine_step_end(r, x, ENGINE_CANCELLED);
			engine_exec_done(r, x);
		} else {
			if (kj->rc == 0)
				memcpy(x->key, kj->key, sizeof(x->key));
			enum engine_cache_decision d = engine_step_decide(r,
			    x, kj->rc, &kj->err, &why);

			if (engine_step_act(r, x, d, why))
				engine_exec_done(r, x);
		}
	}
	make_project_unref(kj->model);
	free(kj->root);
	free(kj->ws_rel);
	free(kj);
}

/* After the render step (if any): cache decision, then the commands.
 * True when the step ended at once; false while it goes on (commands, a
 * restore, or its key being hashed on the worker: no hot file table). */
static bool
engine_step_commands(struct engine_run *r, struct engine_exec *x)
{
	const struct plan_node *n = x->node;
	enum engine_cache_decision pre;
	struct engine_keyjob *kj;
	const char *why;
	struct gerr err;
	int rc;

	if (engine_step_precheck(r, x, &pre, &why))
		return engine_step_act(r, x, pre, why);
	gerr_clear(&err);
	rc = engine_step_key_table(r, x);
	if (rc != 0 && r->g->worker == NULL)	/* no worker: hash here */
		rc = engine_step_key(r, x, &err);
	if (rc == 0 || r->g->worker == NULL) {
		pre = engine_step_decide(r, x, rc, &err, &why);
		return engine_step_act(r, x, pre, why);
	}
	kj = xcalloc(1, sizeof(*kj));
	kj->model = make_project_ref(r->model);
	kj->phase = n->phase;
	kj->root = xstrdup(r->root);
	kj->ws_rel = treefiles_ws_rel(n->ws != NULL ? n->ws->path : "");
	kj->run = r;
	kj->x = x;
	x->keyjob = kj;
	x->key_next = r->keying;
	r->keying = x;
	r->active++;
	worker_submit(r->g->worker, engine_keyjob_fn, engine_keyjob_done, kj);
	return false;
}

static void
engine_render_unlink(struct engine_run *r, struct engine_exec *x)
{
	struct engine_exec **pp;

	for (pp = &r->rendering; *pp != NULL; pp = &(*pp)->render_next)
		if (*pp == x) {
			*pp = x->render_next;
			break;
		}
	x->job = NULL;
	r->active--;
}

/* One template's render as a finished span under the render span. */
static void
engine_render_span(struct engine_run *r, struct engine_exec *x,
    const struct generate_span *gs)
{
	uint64_t id = engine_span_begin(r, x->render_span, ENGINE_SPAN_RENDER,
	    gs->name, plan_step_where(x->node));
	struct engine_span *s;
	struct engine_event ev;

	if (id == 0)
		return;
	s = &r->spans[id - 1];
	s->start_us = (int64_t)gs->start_wall_ms * 1000;
	s->dur_us = (int64_t)gs->duration_us;
	s->status = gs->status == GENERATE_FAILED ? ENGINE_FAILED : ENGINE_OK;
	engine_event_fill(r, ENGINE_EV_SPAN_END, &ev);
	ev.span = s;
	engine_emit(r, &ev);
}

static void
engine_render_done(void *arg, const struct generate_result *res)
{
	struct engine_exec *x = arg;
	struct engine_run *r = x->run;
	const struct plan_node *n = x->node;
	char *where;

	engine_render_unlink(r, x);
	for (size_t i = 0; i < res->n_spans; i++)
		engine_render_span(r, x, &res->spans[i]);
	engine_span_end(r, x->render_span, res->code == 0 ? ENGINE_OK :
	    ENGINE_FAILED, false);
	if (res->code != 0) {
		char buf[GERR_MSG_MAX + GERR_FILE_MAX + 32];

		where = engine_where(n);
		engine_fail(r, -1, 0, "phase \"%s\"%s: render: %s",
		    n->phase->name, where, gerr_format(&res->err, buf,
		    sizeof(buf)));
		free(where);
		engine_step_end(r, x, ENGINE_FAILED);
		engine_exec_done(r, x);
		return;
	}
	if (r->cancelled) {
		engine_step_end(r, x, ENGINE_CANCELLED);
		engine_exec_done(r, x);
		return;
	}
	if (engine_step_commands(r, x))
		engine_exec_done(r, x);
}

/* The render step of a phase with templates (daemon/generate.h), before
 * its commands. True when the step ended at once (could not start). */
static bool
engine_render_start(struct engine_run *r, struct engine_exec *x)
{
	const struct plan_node *n = x->node;
	const char *const *changed = (const char *const *)r->changed;
	struct gerr err;
	char *where;

	x->run = r;
	x->render_span = engine_span_begin(r, x->span, ENGINE_SPAN_RENDER,
	    n->phase->name, plan_step_where(n));
	gerr_clear(&err);
	if (r->g->ggend == NULL || generate_start(r->g->ggend, NULL, x->dir,
	    n->model, n->phase, NULL, r->n_changed > 0 ? changed : NULL,
	    r->n_changed, engine_render_done, x, &x->job, &err) != 0) {
		if (err.code == GERR_OK)
			gerr_set(&err, GERR_INTERNAL, "no render context");
		engine_span_end(r, x->render_span, ENGINE_FAILED, false);
		where = engine_where(n);
		engine_fail(r, -1, 0, "phase \"%s\"%s: render: %s",
		    n->phase->name, where, err.msg);
		free(where);
		engine_step_end(r, x, ENGINE_FAILED);
		return true;
	}
	x->render_next = r->rendering;
	r->rendering = x;
	r->active++;
	return false;
}

/* Start a phase record; true when it ended at once. */
static bool
engine_step_start(struct engine_run *r, struct engine_exec *x)
{
	const struct plan_node *n = x->node;
	struct engine_span sp;
	struct engine_event ev;

	x->start_mono_us = (int64_t)clock_mono_us();
	x->span = engine_span_begin(r, 0, n->hook != NULL ? ENGINE_SPAN_HOOK :
	    ENGINE_SPAN_PHASE, n->phase->name, plan_step_where(n));
	if (r->g->publish != NULL) {
		memset(&sp, 0, sizeof(sp));
		sp.id = x->span;
		sp.kind = n->hook != NULL ? ENGINE_SPAN_HOOK :
		    ENGINE_SPAN_PHASE;
		sp.name = n->phase->name;
		sp.workspace = plan_step_where(n);
		sp.dur_us = -1;
		sp.status = ENGINE_RUNNING;
		engine_event_fill(r, ENGINE_EV_SPAN_START, &ev);
		ev.span = &sp;
		ev.hook = n->hook;
		engine_publish(r->g, &ev);
	}

	if (n->phase->templates.len > 0)
		return engine_render_start(r, x);
	return engine_step_commands(r, x);
}

/* The phase a unit (a kid of a DAG: a phase with its hooks) is about:
 * its first phase record that is not a hook, else its first one. */
static const struct plan_node *
engine_unit_main(const struct plan_node *n, bool any)
{
	const struct plan_node *f;

	if (n->kind == PLAN_PHASE)
		return any || n->hook == NULL ? n : NULL;
	for (size_t i = 0; i < n->n_kids; i++)
		if ((f = engine_unit_main(n->kids[i], any)) != NULL)
			return f;
	return NULL;
}

static const char *
engine_unit_name(const struct plan_node *n)
{
	const struct plan_node *f = engine_unit_main(n, false);

	if (f == NULL)
		f = engine_unit_main(n, true);
	return f != NULL ? f->phase->name : "?";
}

/* Kid i of DAG p is not run: dependency dep failed or was skipped. */
static void
engine_dag_skip(struct engine_run *r, struct engine_exec *p, size_t i,
    size_t dep)
{
	const struct plan_node *k = p->node->kids[i];
	const char *name = engine_unit_name(k);
	const char *ws = k->kind == PLAN_PHASE ? plan_step_where(k) : "";
	struct engine_span sp;
	struct engine_event ev;
	char *line;

	p->kstate[i] = ENGINE_DAG_SKIPPED;
	p->failed = true;
	if (r->cancelled)
		return;
	r->skipped = xreallocarray(r->skipped, r->n_skipped + 1,
	    sizeof(*r->skipped));
	r->skipped[r->n_skipped++] = xstrdup(name);
	line = xasprintf("ggen: phase \"%s\" not run: it depends on \"%s\", "
	    "which %s\n", name, engine_unit_name(p->node->kids[dep]),
	    p->kstate[dep] == ENGINE_DAG_FAILED ? "failed" : "did not run");
	engine_note(r, p->kids[i], line);
	free(line);
	if (r->g->publish == NULL)
		return;
	memset(&sp, 0, sizeof(sp));
	sp.name = name;
	sp.workspace = ws;
	sp.dur_us = -1;
	engine_event_fill(r, ENGINE_EV_PHASE_SKIPPED, &ev);
	ev.span = &sp;
	ev.because = engine_unit_name(p->node->kids[dep]);
	engine_publish(r->g, &ev);
}

/*
 * Start the kids of DAG p whose dependencies all succeeded, in kid order
 * (a topological order), at most max_par at once; a kid whose dependency
 * failed is skipped, and so, in turn, are its dependents. Independent
 * kids go on after a failure. True when every kid has ended.
 */
static bool
engine_dag_advance(struct engine_run *r, struct engine_exec *p)
{
	bool progress = true, pending = false;

	while (progress) {
		progress = false;
		pending = false;
		for (size_t i = 0; i < p->n_kids; i++) {
			const struct plan_node *kn = p->node->kids[i];
			struct engine_exec *k = p->kids[i];
			bool wait = false;
			size_t bad = SIZE_MAX;

			if (p->kstate[i] != ENGINE_DAG_PENDING)
				continue;
			for (size_t d = 0; d < kn->n_deps; d++) {
				unsigned char st = p->kstate[kn->deps[d]];

				if (st == ENGINE_DAG_FAILED ||
				    st == ENGINE_DAG_SKIPPED)
					bad = kn->deps[d];
				else if (st != ENGINE_DAG_OK)
					wait = true;
			}
			if (bad != SIZE_MAX || r->cancelled) {
				engine_dag_skip(r, p, i, bad != SIZE_MAX ? bad :
				    i);
				progress = true;
				continue;
			}
			pending = true;
			if (wait || p->running >= p->node->max_par)
				continue;
			p->kstate[i] = ENGINE_DAG_RUNNING;
			if (!engine_exec_start(r, k)) {
				p->running++;
				continue;
			}
			p->kstate[i] = k->failed ? ENGINE_DAG_FAILED :
			    ENGINE_DAG_OK;
			if (k->failed)
				p->failed = true;
			progress = true;
		}
	}
	if (r->cancelled)
		p->failed = true;
	return p->running == 0 && !pending;
}

/* Start kids of a SEQ or PAR node; true when the node is finished. */
static bool
engine_exec_advance(struct engine_run *r, struct engine_exec *p)
{
	struct engine_exec *k;

	if (p->node->kind == PLAN_SEQ) {
		if (p->running > 0)
			return false;
		while (!p->failed && !r->cancelled && p->next < p->n_kids) {
			k = p->kids[p->next++];
			if (!engine_exec_start(r, k)) {
				p->running++;
				return false;
			}
			if (k->failed)
				p->failed = true;
		}
		if (r->cancelled)
			p->failed = true;
		return true;
	}
	/* PAR: every kid runs to its end even after a sibling failed, so a
	 * failing workspace does not cut the others short. */
	while (!r->cancelled && p->next < p->n_kids &&
	    p->running < p->node->max_par) {
		k = p->kids[p->next++];
		if (!engine_exec_start(r, k))
			p->running++;
		else if (k->failed)
			p->failed = true;
	}
	if (r->cancelled)
		p->failed = true;
	return p->running == 0 && (p->next == p->n_kids || r->cancelled);
}

static bool
engine_exec_start(struct engine_run *r, struct engine_exec *x)
{
	if (x->node->kind == PLAN_PHASE)
		return engine_step_start(r, x);
	if (x->node->kind == PLAN_DAG)
		return engine_dag_advance(r, x);
	return engine_exec_advance(r, x);
}

/* x finished later than its start: tell the ancestors. */
static void
engine_exec_done(struct engine_run *r, struct engine_exec *x)
{
	struct engine_exec *p;

	while ((p = x->parent) != NULL) {
		p->running--;
		if (x->failed)
			p->failed = true;
		if (p->node->kind == PLAN_DAG) {
			p->kstate[x->index] = x->failed ? ENGINE_DAG_FAILED :
			    ENGINE_DAG_OK;
			if (!engine_dag_advance(r, p))
				return;
		} else if (!engine_exec_advance(r, p)) {
			return;
		}
		x = p;
	}
	engine_run_top_done(r);
}

/*
 * on_error / on_success: shell commands run once after a failed or
 * successful request, in the root's directory (ggen documents them so,
 * never built them). They are commands, not phase names.
 */
static void
engine_post_collect(struct engine_run *r)
{
	const struct make_strlist *l = r->failed ? r->plan.on_error :
	    r->plan.on_success;

	for (size_t i = 0; l != NULL && i < l->len; i++) {
		r->post_cmds = xreallocarray(r->post_cmds, r->n_post + 1,
		    sizeof(*r->post_cmds));
		r->post_cmds[r->n_post++] = l->items[i].s;
	}
}

static void
engine_post_next(struct engine_run *r)
{
	struct gerr err;

	while (!r->cancelled && r->post_next < r->n_post) {
		const char *cmd = r->post_cmds[r->post_next++];

		gerr_clear(&err);
		if (engine_spawn(r, NULL, cmd, 0, MAKE_TIMEOUT_DEFAULT_S,
		    &err) == 0)
			return;
		log_warn("run %llu: %s command \"%s\": %s",
		    (unsigned long long)r->id,
		    r->failed ? "on_error" : "on_success", cmd, err.msg);
	}
	engine_run_finish(r);
}

static void
engine_run_top_done(struct engine_run *r)
{
	if (r->top->failed)
		r->failed = true;
	r->post = true;
	r->post_next = 0;
	if (!r->cancelled)
		engine_post_collect(r);
	engine_post_next(r);
}

/* A cached phase succeeded: its outputs go to the output cache. */
static void
engine_save_outputs(struct engine_run *r, struct engine_exec *x)
{
	struct outcache_phase ph;
	const char **tofree;

	engine_outcache_phase(r, x, &ph, &tofree);
	outcache_save(r->g->outcache, &ph);
	free(tofree);
}

static void
engine_on_exit(struct child *c, const struct runner_result *res)
{
	struct engine_cmd *cmd = c->data;
	struct engine_run *r = cmd->run;
	struct engine_exec *x = cmd->x;
	enum engine_status st = ENGINE_OK;
	const struct make_phase *ph;
	char *where;

	engine_live_remove(r, cmd);
	/* A run that ran a command and has not failed reports 0, not "no
	 * command" (-1); the first failure overwrites it (engine_fail). */
	if (res->exited && res->exit_code == 0 && !r->failed &&
	    r->exit_code < 0)
		r->exit_code = 0;
	if (res->cancelled)
		st = ENGINE_CANCELLED;
	else if (res->timed_out)
		st = ENGINE_TIMEOUT;
	else if (!res->exited || res->exit_code != 0)
		st = ENGINE_FAILED;
	engine_span_end(r, cmd->span, st, false);
	engine_bury(r->g, cmd);

	if (x == NULL) {
		/* on_error / on_success: failures are logged, not fatal. */
		if (st != ENGINE_OK)
			log_warn("run %llu: hook command \"%s\" ended %s",
			    (unsigned long long)r->id,
			    r->spans[cmd->span - 1].name,
			    engine_status_name(st));
		engine_post_next(r);
		return;
	}
	ph = x->node->phase;
	if (st == ENGINE_OK && !r->cancelled &&
	    ++x->cmd_index < ph->commands.len) {
		if (engine_step_spawn(r, x))
			return;
		engine_exec_done(r, x);
		return;
	}
	if (st == ENGINE_OK && r->cancelled)
		st = ENGINE_CANCELLED;
	if (st == ENGINE_OK) {
		if (x->has_key)
			engine_cache_store(r->g->cache, r->root,
			    plan_step_where(x->node), ph->name, x->key);
		if (x->has_key && r->g->outcache != NULL)
			engine_save_outputs(r, x);
	} else if (st != ENGINE_CANCELLED) {
		const char *cmdtext = ph->commands.items[x->cmd_index].s;

		where = engine_where(x->node);
		if (st == ENGINE_TIMEOUT) {
			r->timed_out = true;
			engine_fail(r, -1, res->signal, "phase \"%s\"%s: command "
			    "\"%s\" timed out after %lld s", ph->name, where,
			    cmdtext, (long long)ph->timeout_s);
		} else if (res->exited) {
			engine_fail(r, res->exit_code, 0, "phase \"%s\"%s: "
			    "command \"%s\" exited with code %d", ph->name,
			    where, cmdtext, res->exit_code);
		} else {
			engine_fail(r, -1, res->signal, "phase \"%s\"%s: "
			    "command \"%s\" killed by signal %d (%s)",
			    ph->name, where, cmdtext, res->signal,
			    strsignal(res->signal));
		}
		free(where);
	}
	engine_step_end(r, x, st);
	engine_exec_done(r, x);
}

static void
engine_run_start(struct engine_run *r)
{
	struct engine *g = r->g;
	struct engine_event ev;

	engine_list_remove(r);
	engine_list_push(&g->running, r);
	r->status = ENGINE_RUNNING;
	r->start_us = (int64_t)clock_wall_us();
	r->start_mono_us = (int64_t)clock_mono_us();
	engine_event_fill(r, ENGINE_EV_RUN_START, &ev);
	engine_emit(r, &ev);
	engine_publish_run(r, ENGINE_EV_RUN_START);
	r->top = engine_exec_build(r, r->plan.root, NULL);
	if (engine_exec_start(r, r->top))
		engine_run_top_done(r);
}

static void
engine_run_finish(struct engine_run *r)
{
	struct engine *g = r->g;
	struct engine_event ev;
	struct engine_follower *f, *next;
	char *tail;
	size_t len;

	if (r->cancelled)
		r->status = ENGINE_CANCELLED;
	else if (r->failed)
		r->status = r->timed_out ? ENGINE_TIMEOUT : ENGINE_FAILED;
	else if (r->plan.n_steps > 0 && r->steps_cached == r->plan.n_steps)
		r->status = ENGINE_CACHED;
	else
		r->status = ENGINE_OK;
	if (r->status == ENGINE_CANCELLED && r->message == NULL)
		r->message = xstrdup("cancelled");
	r->end_us = (int64_t)clock_wall_us();
	r->end_mono_us = (int64_t)clock_mono_us();
	if (r->on != NULL)
		engine_list_remove(r);
	engine_list_push(&g->finished, r);
	log_info("run %llu %s: %s in %lld ms", (unsigned long long)r->id,
	    r->phase_text, engine_status_name(r->status),
	    (long long)((r->end_mono_us - r->start_mono_us) / 1000));

	tail = ring_dup(&r->out, &len);
	engine_event_fill(r, ENGINE_EV_RUN_END, &ev);
	ev.output = tail;
	ev.output_len = len;
	engine_emit(r, &ev);
	free(tail);
	for (f = r->followers; f != NULL; f = next) {
		next = f->next;
		free(f);
	}
	r->followers = NULL;

	engine_publish_run(r, ENGINE_EV_RUN_END);

	while (g->finished.n > ENGINE_RUNS_KEPT) {
		struct engine_run *old = g->finished.head;

		engine_list_remove(old);
		engine_run_free(old);
	}
	engine_schedule(g);
}

/* Whether two runs of one root share a phase record name. */
static bool
engine_conflict(const struct engine_run *a, const struct engine_run *b)
{
	if (strcmp(a->root, b->root) != 0)
		return false;
	for (size_t i = 0; i < a->plan.n_steps; i++)
		for (size_t j = 0; j < b->plan.n_steps; j++)
			if (strcmp(a->plan.steps[i]->phase->name,
			    b->plan.steps[j]->phase->name) == 0)
				return true;
	return false;
}

/* The list invariants of the file comment; O(runs kept). */
static void
engine_check(const struct engine *g)
{
#ifndef NDEBUG
	const struct engine_list *lists[] = { &g->queued, &g->running,
		&g->finished };

	for (size_t i = 0; i < 3; i++) {
		size_t n = 0;

		for (const struct engine_run *r = lists[i]->head; r != NULL;
		    r = r->next) {
			assert(r->on == lists[i]);
			assert(r->next != NULL || r == lists[i]->tail);
			assert(i == 1 || (r->active == 0 && r->live == NULL &&
			    r->rendering == NULL && r->fetching == NULL &&
			    r->keying == NULL));
			assert(i != 0 || r->status == ENGINE_QUEUED);
			n++;
		}
		assert(n == lists[i]->n);
	}
	assert(g->finished.n <= ENGINE_RUNS_KEPT);
#else
	(void)g;
#endif
}

/* Whether r waits for o: after_run names it, or o is an earlier on-save
 * run of r's root and r waits for those (after_saves). */
static bool
engine_waits_for(const struct engine_run *r, const struct engine_run *o)
{
	if (o->id == r->after_run)
		return true;
	return r->after_saves && o->id < r->id &&
	    o->trigger == ENGINE_TRIGGER_SAVE && !o->after_saves &&
	    strcmp(o->root, r->root) == 0;
}

static void
engine_schedule(struct engine *g)
{
	struct engine_run *r, *next, *o;
	bool blocked;

	for (r = g->queued.head; r != NULL; r = next) {
		next = r->next;
		blocked = false;
		/* Files another run wrote: after that run (make.toml(5)). */
		for (o = g->running.head; o != NULL && !blocked; o = o->next)
			blocked = engine_waits_for(r, o);
		for (o = g->running.head; o != NULL && !blocked; o = o->next)
			blocked = engine_conflict(r, o);
		/* Keep the order of waiting runs that conflict (or that r
		 * waits for). */
		for (o = g->queued.head; o != r && !blocked; o = o->next)
			blocked = engine_conflict(r, o) ||
			    (r->after_saves && engine_waits_for(r, o));
		if (!blocked) {
			engine_run_start(r);
			/* Starting may finish runs and reschedule: restart
			 * the walk from the head. */
			next = g->queued.head;
		}
	}
	engine_check(g);
}

/* ---- public ------------------------------------------------------------ */

struct engine *
engine_new(struct ev_loop *loop, const char *state_dir)
{
	struct engine *g = xcalloc(1, sizeof(*g));
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	g->loop = loop;
	g->state_dir = xstrdup(state_dir);
	g->next_id = 1;
	g->output_cap = ENGINE_OUTPUT_CAP;
	g->queue_max = ENGINE_QUEUE_MAX;
	g->step_output_cap = ENGINE_STEP_OUTPUT_CAP;
	g->cache = engine_cache_new(state_dir);
	g->worker = worker_new(loop, "engine");
	engine_cache_set_worker(g->cache, g->worker);
	g->cores = n > 0 ? (unsigned)n : 1;
	ev_idle_init(&g->reaper, engine_reap_cb);
	g->reaper.data = g;
	return g;
}

void
engine_free(struct engine *g)
{
	struct engine_list *lists[3];
	struct engine_run *r;
	struct engine_cmd *c, *next;

	if (g == NULL)
		return;
	lists[0] = &g->running;
	lists[1] = &g->queued;
	lists[2] = &g->finished;
	for (size_t i = 0; i < 3; i++)
		while ((r = lists[i]->head) != NULL) {
			for (c = r->live; c != NULL; c = next) {
				next = c->next;
				runner_child_free(&c->child);
				free(c->prefix);
				free(c);
			}
			for (struct engine_exec *x = r->rendering; x != NULL;
			    x = x->render_next)
				generate_cancel(x->job);
			for (struct engine_exec *x = r->fetching; x != NULL;
			    x = x->fetch_next)
				outcache_cancel(x->fetch);
			while (r->keying != NULL)
				engine_key_detach(r, r->keying);
			engine_list_remove(r);
			engine_run_free(r);
		}
	engine_reap_cb(g->loop, &g->reaper, 0);
	/* Dry runs still keying are dropped, untold (their requests were
	 * cancelled with the server, before the engine). */
	while (g->dries != NULL) {
		struct engine_dry *d = g->dries;

		g->dries = d->next;
		d->next = NULL;
		d->g = NULL;
	}
	/* Detached keys are dropped, the last cache write is done. */
	worker_free(g->worker);
	for (size_t i = 0; i < g->n_rootenv; i++) {
		free(g->rootenv[i].root);
		free(g->rootenv[i].env);
	}
	for (size_t i = 0; i < g->n_loops; i++) {
		free(g->loops[i].root);
		free(g->loops[i].ws);
		free(g->loops[i].phase);
	}
	engine_cache_free(g->cache);
	free(g->state_dir);
	free(g);
}

void
engine_set_first_run_id(struct engine *g, uint64_t id)
{
	g->next_id = id > 0 ? id : 1;
}

void
engine_set_table_source(struct engine *g, engine_table_cb fn, void *arg)
{
	g->table_fn = fn;
	g->table_arg = arg;
}

void
engine_set_model_source(struct engine *g, engine_model_cb fn, void *arg)
{
	g->model_fn = fn;
	g->model_arg = arg;
}

void
engine_set_done_source(struct engine *g, engine_done_cb fn, void *arg)
{
	g->done_fn = fn;
	g->done_arg = arg;
}

void
engine_set_tty_source(struct engine *g, engine_tty_cb fn, void *arg)
{
	g->tty_fn = fn;
	g->tty_arg = arg;
}

void
engine_set_render_context(struct engine *g, struct ggend *ggend)
{
	g->ggend = ggend;
}

void
engine_set_outcache(struct engine *g, struct outcache *oc)
{
	g->outcache = oc;
}

void
engine_set_output_caps(struct engine *g, size_t run_tail, size_t step_tail)
{
	g->output_cap = run_tail > ENGINE_OUTPUT_CAP ? run_tail :
	    ENGINE_OUTPUT_CAP;
	g->step_output_cap = step_tail > 0 ? step_tail :
	    ENGINE_STEP_OUTPUT_CAP;
}

void
engine_set_queue_max(struct engine *g, size_t n)
{
	g->queue_max = n > 0 ? n : ENGINE_QUEUE_MAX;
}

void
engine_set_publish(struct engine *g, engine_publish_cb fn, void *arg)
{
	g->publish = fn;
	g->publish_arg = arg;
}

int
engine_add_run_listener(struct engine *g, engine_event_cb fn, void *arg,
    struct gerr *err)
{
	if (g->n_listeners == ENGINE_LISTENERS_MAX)
		return gerr_set(err, GERR_LIMIT, "more than %d run listeners",
		    ENGINE_LISTENERS_MAX);
	g->listeners[g->n_listeners].fn = fn;
	g->listeners[g->n_listeners].arg = arg;
	g->n_listeners++;
	return 0;
}

static bool
engine_same_request(const struct engine_run *r,
    const struct engine_request *req)
{
	if (strcmp(r->root, req->root) != 0 || r->n_phases != req->n_phases ||
	    r->target != req->target ||
	    strcmp(r->workspace, req->workspace != NULL ? req->workspace :
	    "") != 0)
		return false;
	for (size_t i = 0; i < r->n_phases; i++)
		if (strcmp(r->phases[i], req->phases[i]) != 0)
			return false;
	return true;
}

static void
engine_add_changed(struct engine_run *r, const char *const *changed,
    size_t n)
{
	for (size_t i = 0; i < n && r->n_changed < ENGINE_CHANGED_MAX; i++) {
		bool dup = false;

		for (size_t j = 0; j < r->n_changed && !dup; j++)
			dup = strcmp(r->changed[j], changed[i]) == 0;
		if (dup)
			continue;
		r->changed = xreallocarray(r->changed, r->n_changed + 1,
		    sizeof(*r->changed));
		r->changed[r->n_changed++] = xstrdup(changed[i]);
	}
}

/*
 * Busy policy of an on-save request: true when it was absorbed by a
 * waiting rerun or ignored (*id set to that rerun's id or 0). A restart
 * cancels the running runs of the same request and lets the new one queue.
 */
static bool
engine_busy(struct engine *g, const struct engine_request *req,
    enum make_on_busy policy, uint64_t *id)
{
	struct engine_run *r;
	bool busy = false;

	for (r = g->queued.head; r != NULL; r = r->next)
		if (r->trigger == ENGINE_TRIGGER_SAVE &&
		    engine_same_request(r, req)) {
			engine_add_changed(r, req->changed, req->n_changed);
			*id = r->id;
			return true;
		}
	for (r = g->running.head; r != NULL; r = r->next)
		if (engine_same_request(r, req))
			busy = true;
	if (!busy)
		return false;
	switch (policy) {
	case MAKE_ON_BUSY_IGNORE:
		*id = 0;
		return true;
	case MAKE_ON_BUSY_RESTART:
		for (r = g->running.head; r != NULL; r = r->next)
			if (engine_same_request(r, req))
				engine_cancel(g, r->id, NULL);
		return false;
	case MAKE_ON_BUSY_QUEUE:
		return false;
	}
	return false;
}

const char *
engine_root_env(const struct engine *g, const char *root)
{
	for (size_t i = 0; i < g->n_rootenv; i++)
		if (strcmp(g->rootenv[i].root, root) == 0)
			return g->rootenv[i].env;
	return NULL;
}

/* Remember env (NULL = none) as root's environment for on-save runs;
 * beyond ENGINE_ROOTENV_MAX roots the oldest entry goes. */
static void
engine_root_env_set(struct engine *g, const char *root, const char *env,
    const char *source)
{
	struct engine_rootenv *e = NULL;

	for (size_t i = 0; i < g->n_rootenv && e == NULL; i++)
		if (strcmp(g->rootenv[i].root, root) == 0)
			e = &g->rootenv[i];
	if (e == NULL) {
		if (g->n_rootenv == ENGINE_ROOTENV_MAX) {
			free(g->rootenv[0].root);
			free(g->rootenv[0].env);
			memmove(&g->rootenv[0], &g->rootenv[1],
			    (ENGINE_ROOTENV_MAX - 1) * sizeof(g->rootenv[0]));
			g->n_rootenv--;
		}
		e = &g->rootenv[g->n_rootenv++];
		e->root = xstrdup(root);
		e->env = NULL;
	}
	free(e->env);
	e->env = env != NULL ? xstrdup(env) : NULL;
	e->source = source;
}

/* Whether an on-save run of exactly phase in ws of root is running or
 * ended less than ENGINE_LOOP_WINDOW_MS ago. */
static bool
engine_loop_recent(const struct engine *g, const char *root, const char *ws,
    const char *phase)
{
	int64_t since = (int64_t)clock_mono_us() -
	    (int64_t)ENGINE_LOOP_WINDOW_MS * 1000;
	const struct engine_list *lists[] = { &g->running, &g->finished };

	for (size_t i = 0; i < 2; i++)
		for (const struct engine_run *r = lists[i]->head; r != NULL;
		    r = r->next)
			if (r->trigger == ENGINE_TRIGGER_SAVE &&
			    strcmp(r->root, root) == 0 &&
			    strcmp(r->workspace, ws) == 0 &&
			    strcmp(r->phase_text, phase) == 0 &&
			    (i == 0 || r->end_mono_us >= since))
				return true;
	return false;
}

bool
engine_saw_write(const struct engine *g, const char *root, const char *ws,
    const char *writer, const char *phase, uint64_t *running)
{
	int64_t since = (int64_t)clock_mono_us() -
	    (int64_t)ENGINE_LOOP_WINDOW_MS * 1000;
	const struct engine_list *lists[] = { &g->running, &g->finished };

	*running = 0;
	/* The newest run of root holding writer is the one that wrote. */
	for (size_t l = 0; l < 2; l++)
		for (const struct engine_run *r = lists[l]->tail; r != NULL;
		    r = r->prev) {
			bool wrote = false;

			if (strcmp(r->root, root) != 0)
				continue;
			if (l == 1 && r->end_mono_us < since)
				return false;
			for (size_t i = 0; i < r->plan.n_steps; i++) {
				const struct plan_node *n = r->plan.steps[i];

				if (strcmp(plan_step_where(n), ws) != 0)
					continue;
				if (strcmp(n->phase->name, writer) == 0)
					wrote = true;
				else if (wrote &&
				    strcmp(n->phase->name, phase) == 0)
					return true;
			}
			if (wrote) {
				if (l == 0)
					*running = r->id;
				return false;
			}
		}
	return false;
}

bool
engine_loop_check(struct engine *g, const char *root, const char *ws,
    const char *phase, const char *const *files, size_t n)
{
	struct engine_loop *l = NULL;
	uint64_t h = 1469598103934665603ULL;
	struct strbuf sb;
	struct engine_event ev;

	for (size_t i = 0; i < g->n_loops && l == NULL; i++)
		if (strcmp(g->loops[i].root, root) == 0 &&
		    strcmp(g->loops[i].ws, ws) == 0 &&
		    strcmp(g->loops[i].phase, phase) == 0)
			l = &g->loops[i];
	if (!engine_loop_recent(g, root, ws, phase)) {
		if (l != NULL) {
			l->rounds = 0;
			l->stopped = false;
		}
		return false;
	}
	/* FNV-1a over the file names: a loop changes the same files. */
	for (size_t i = 0; i < n; i++)
		for (const char *p = files[i]; ; p++) {
			h = (h ^ (unsigned char)*p) * 1099511628211ULL;
			if (*p == '\0')
				break;
		}
	if (l == NULL) {
		if (g->n_loops == ENGINE_LOOPS_MAX) {
			free(g->loops[0].root);
			free(g->loops[0].ws);
			free(g->loops[0].phase);
			memmove(&g->loops[0], &g->loops[1],
			    (ENGINE_LOOPS_MAX - 1) * sizeof(g->loops[0]));
			g->n_loops--;
		}
		l = &g->loops[g->n_loops++];
		memset(l, 0, sizeof(*l));
		l->root = xstrdup(root);
		l->ws = xstrdup(ws);
		l->phase = xstrdup(phase);
	}
	if (l->stopped)
		return true;
	if (l->rounds > 0 && l->files != h)
		l->rounds = 0;
	l->files = h;
	if (++l->rounds < ENGINE_LOOP_ROUNDS)
		return false;
	l->stopped = true;
	strbuf_init(&sb);
	strbuf_addf(&sb, "phase \"%s\"%s%s%s in %s keeps retriggering itself: "
	    "its runs change %s%s, which it watches, with no outside edit in "
	    "between; stopped after %d rounds. Declare %s in the phase's "
	    "outputs, or ignore %s ([watch] ignore)", phase,
	    ws[0] != '\0' ? " (workspace " : "", ws, ws[0] != '\0' ? ")" : "",
	    root, n > 0 ? files[0] : "?", n > 1 ? " and more" : "",
	    ENGINE_LOOP_ROUNDS, n > 1 ? "them" : "it", n > 1 ? "them" : "it");
	log_warn("%s", sb.buf);
	memset(&ev, 0, sizeof(ev));
	ev.kind = ENGINE_EV_PHASE_LOOP;
	ev.root = root;
	ev.workspace = ws;
	ev.phase = phase;
	ev.trigger_files = files;
	ev.n_trigger_files = n < 16 ? n : 16;
	ev.rounds = ENGINE_LOOP_ROUNDS;
	ev.message = sb.buf;
	ev.status = ENGINE_RUNNING;
	engine_publish(g, &ev);
	strbuf_release(&sb);
	return true;
}

int
engine_submit(struct engine *g, const struct engine_request *req,
    engine_event_cb follow, void *follow_arg, uint64_t *run_id,
    struct gerr *err)
{
	struct engine_run *r;
	struct make_project *model;
	struct plan plan;
	struct strbuf sb;
	int rc;

	*run_id = 0;
	if (g->stopping)
		return gerr_set(err, GERR_SHUTTING_DOWN, "the daemon is "
		    "stopping");
	rc = engine_prepare(g, req, &model, &plan, err);
	if (rc != 0)
		return rc;
	for (size_t i = 0; i < plan.n_steps; i++) {
		const struct make_phase *ph = plan.steps[i]->phase;

		if (!ph->requires_approval || req->yes)
			continue;
		if (req->trigger == ENGINE_TRIGGER_SAVE) {
			/* Never on save (make.toml(5)): nobody to ask. */
			log_info("on-save in %s: phase %s requires approval; "
			    "not run on save", req->root, ph->name);
			plan_release(&plan);
			make_project_unref(model);
			return 0;
		}
		rc = gerr_set(err, GERR_APPROVAL, "phase \"%s\" requires "
		    "approval: confirm on a terminal, or pass --yes",
		    ph->name);
		plan_release(&plan);
		make_project_unref(model);
		return rc;
	}
	if (req->trigger == ENGINE_TRIGGER_MANUAL)
		engine_root_env_set(g, req->root, plan.env, plan.env_source);
	if (req->trigger == ENGINE_TRIGGER_SAVE && plan.n_steps > 0) {
		/* The policy of the requested phase, not of its hooks. */
		const struct plan_node *main = plan.steps[0];

		for (size_t i = 0; i < plan.n_steps; i++)
			if (plan.steps[i]->hook == NULL) {
				main = plan.steps[i];
				break;
			}
		if (engine_busy(g, req, main->phase->on_busy, run_id)) {
			plan_release(&plan);
			make_project_unref(model);
			return 0;
		}
	}
	if (g->queued.n >= g->queue_max) {
		plan_release(&plan);
		make_project_unref(model);
		return gerr_set(err, GERR_BUSY, "%zu runs are already waiting "
		    "(runs.queue_max)", g->queue_max);
	}
	r = xcalloc(1, sizeof(*r));
	r->g = g;
	r->id = g->next_id++;
	r->status = ENGINE_QUEUED;
	r->root = xstrdup(req->root);
	r->n_phases = req->n_phases;
	r->phases = xcalloc(req->n_phases, sizeof(*r->phases));
	strbuf_init(&sb);
	for (size_t i = 0; i < req->n_phases; i++) {
		r->phases[i] = xstrdup(req->phases[i]);
		strbuf_addf(&sb, "%s%s", i ? " " : "", req->phases[i]);
	}
	r->phase_text = strbuf_detach(&sb, NULL);
	r->target = req->target;
	r->workspace = xstrdup(req->workspace != NULL ? req->workspace : "");
	r->force = req->force;
	r->no_remote = req->no_remote;
	r->trigger = req->trigger;
	r->after_run = req->after_run;
	r->after_saves = req->after_saves;
	engine_add_changed(r, req->changed, req->n_changed);
	r->model = model;
	r->plan = plan;
	r->exit_code = -1;
	r->queued_us = (int64_t)clock_wall_us();
	ring_init(&r->out, g->output_cap);
	if (follow != NULL) {
		struct engine_follower *f = xcalloc(1, sizeof(*f));

		f->fn = follow;
		f->arg = follow_arg;
		r->followers = f;
	}
	engine_list_push(&g->queued, r);
	*run_id = r->id;
	engine_publish_run(r, ENGINE_EV_RUN_QUEUED);
	engine_schedule(g);
	return 0;
}

/* The node of the DAG unit holding step n, or NULL. */
static const struct plan_node *
engine_dry_unit(const struct plan_node *t, const struct plan_node *n,
    const struct plan_node **dag)
{
	const struct plan_node *f;

	if (t == n)
		return t;
	for (size_t i = 0; i < t->n_kids; i++) {
		f = engine_dry_unit(t->kids[i], n, dag);
		if (f == NULL)
			continue;
		if (t->kind == PLAN_DAG && *dag == NULL) {
			*dag = t;
			return t->kids[i];
		}
		return f;
	}
	return NULL;
}

/* "after": the phases step n waits for through depends_on (the main
 * phase of its DAG unit only), into st (allocated; none: n_after 0). */
static void
engine_dry_deps(const struct plan *plan, const struct plan_node *n,
    struct engine_dry_step *st)
{
	const struct plan_node *dag = NULL, *unit;
	const char **a;

	unit = engine_dry_unit(plan->root, n, &dag);
	if (dag == NULL || unit == NULL || unit->n_deps == 0 ||
	    engine_unit_main(unit, false) != n)
		return;
	a = xcalloc(unit->n_deps, sizeof(*a));
	for (size_t i = 0; i < unit->n_deps; i++)
		a[i] = engine_unit_name(dag->kids[unit->deps[i]]);
	st->after = a;
	st->n_after = unit->n_deps;
}

/* What a dry plan owns besides its steps. */
struct engine_dry_priv {
	struct make_project *model;
	struct plan plan;
};

void
engine_dry_plan_free(struct engine_dry_plan *p)
{
	struct engine_dry_priv *pv;

	if (p == NULL)
		return;
	for (size_t i = 0; i < p->n_steps; i++) {
		free((void *)p->steps[i].commands);
		free((void *)p->steps[i].env_keys);
		free((void *)p->steps[i].env_values);
		free((void *)p->steps[i].after);
	}
	free(p->steps);
	free(p->outline);
	pv = p->priv;
	if (pv != NULL) {
		plan_release(&pv->plan);
		make_project_unref(pv->model);
		free(pv);
	}
	free(p);
}

static void
engine_dry_free(struct engine_dry *d)
{
	if (d == NULL)
		return;
	for (size_t i = 0; i < d->plan.n_steps; i++)
		free(d->xs[i].dir);
	for (size_t i = 0; i < d->n_keys; i++)
		free(d->keys[i].ws_rel);
	free(d->keys);
	free(d->xs);
	free(d->why);
	free(d->decided);
	free(d->krc);
	plan_release(&d->plan);
	make_project_unref(d->model);
	free(d->root);
	free(d);
}

static void
engine_dry_unlink(struct engine_dry *d)
{
	struct engine_dry **pp;

	if (d->g == NULL)
		return;
	for (pp = &d->g->dries; *pp != NULL; pp = &(*pp)->next)
		if (*pp == d) {
			*pp = d->next;
			break;
		}
	d->next = NULL;
}

/* The run a dry run's cache decisions read (root, model, force). */
static void
engine_dry_fake(struct engine_dry *d, struct engine_run *fake)
{
	memset(fake, 0, sizeof(*fake));
	fake->g = d->g;
	fake->root = d->root;
	fake->model = d->model;	/* borrowed: [watch] ignore for cache keys */
	fake->force = d->force;
	fake->no_remote = d->no_remote;
}

/* Every key is known: decide, build the plan, hand it to done, free d. */
static void
engine_dry_finish(struct engine_dry *d)
{
	struct engine_dry_plan *out = xcalloc(1, sizeof(*out));
	struct engine_dry_priv *pv = xcalloc(1, sizeof(*pv));
	struct engine_run fake;
	struct strbuf sb;

	engine_dry_fake(d, &fake);
	out->n_steps = d->plan.n_steps;
	out->steps = xcalloc(out->n_steps + 1, sizeof(*out->steps));
	for (size_t i = 0; i < d->plan.n_steps; i++) {
		const struct plan_node *n = d->plan.steps[i];
		struct engine_exec *x = &d->xs[i];
		struct engine_dry_step *st = &out->steps[i];
		enum engine_cache_decision hit;
		const char *why = d->why[i];
		const char **a;
		struct gerr kerr;

		if (d->decided[i] != 0) {
			hit = (enum engine_cache_decision)(d->decided[i] - 1);
		} else {
			const struct gerr *ep = &kerr;

			gerr_clear(&kerr);
			for (size_t k = 0; k < d->n_keys; k++)
				if (d->keys[k].step == i)
					ep = &d->keys[k].err;
			hit = engine_step_decide(&fake, x, d->krc[i], ep, &why);
		}
		st->phase = n->phase->name;
		st->workspace = plan_step_where(n);
		st->hook = n->hook;
		st->cache = why == engine_first_run_why ? "skip" :
		    hit == ENGINE_CACHE_SKIP ||
		    hit == ENGINE_CACHE_CHECK ? "hit" :
		    !n->phase->cache ? "off" : d->force ? "forced" : "miss";
		st->reason = why;
		if (x->has_key)
			memcpy(st->key, x->key, sizeof(st->key));
		if (hit == ENGINE_CACHE_RESTORE) {
			struct outcache_phase ph;
			const char **tofree;

			/* Known once the platform inputs have run. */
			engine_outcache_phase(&fake, x, &ph, &tofree);
			if (outcache_action_key(d->g->outcache, &ph, x->akey))
				memcpy(st->action_key, x->akey,
				    sizeof(st->action_key));
			free(tofree);
		}
		a = xcalloc(n->phase->commands.len + 1, sizeof(*a));
		for (size_t k = 0; k < n->phase->commands.len; k++)
			a[k] = n->phase->commands.items[k].s;
		st->commands = a;
		st->n_commands = n->phase->commands.len;
		/* What make.toml adds to the daemon's environment. */
		st->n_env = n->phase->env_len;
		a = xcalloc(st->n_env + 1, sizeof(*a));
		for (size_t k = 0; k < st->n_env; k++)
			a[k] = n->phase->env[k].key;
		st->env_keys = a;
		a = xcalloc(st->n_env + 1, sizeof(*a));
		for (size_t k = 0; k < st->n_env; k++)
			a[k] = n->phase->env[k].value;
		st->env_values = a;
		st->requires_approval = n->phase->requires_approval;
		st->first_run_only = n->phase->first_run_only;
		engine_dry_deps(&d->plan, n, st);
	}
	out->env = d->plan.env;
	out->env_source = d->plan.env_source;
	strbuf_init(&sb);
	plan_format(&d->plan, &sb);
	out->outline = strbuf_detach(&sb, NULL);
	/* The plan and model move to the result: its strings point there. */
	pv->model = d->model;
	pv->plan = d->plan;
	d->model = NULL;
	memset(&d->plan, 0, sizeof(d->plan));
	for (size_t i = 0; i < pv->plan.n_steps; i++)
		free(d->xs[i].dir);
	memset(d->xs, 0, pv->plan.n_steps * sizeof(*d->xs));
	out->priv = pv;
	d->done(d->arg, out, NULL);
	engine_dry_free(d);
}

/* Worker thread: hash the keys the table could not give. */
static void
engine_dry_key_fn(void *arg)
{
	struct engine_dry *d = arg;

	for (size_t k = 0; k < d->n_keys; k++) {
		struct engine_dry_key *dk = &d->keys[k];

		gerr_clear(&dk->err);
		dk->rc = engine_cache_key(dk->phase, d->root, dk->ws_rel,
		    d->model, dk->key, &dk->err);
	}
}

/* Loop thread: the keys are back. */
static void
engine_dry_key_done(void *arg)
{
	struct engine_dry *d = arg;

	engine_dry_unlink(d);
	if (d->g == NULL || d->done == NULL) {
		engine_dry_free(d);
		return;
	}
	for (size_t k = 0; k < d->n_keys; k++) {
		struct engine_dry_key *dk = &d->keys[k];

		d->krc[dk->step] = dk->rc;
		if (dk->rc == 0)
			memcpy(d->xs[dk->step].key, dk->key,
			    sizeof(dk->key));
	}
	engine_dry_finish(d);
}

int
engine_dry_run(struct engine *g, const struct engine_request *req,
    engine_dry_cb done, void *arg, struct engine_dry **job,
    struct gerr *err)
{
	struct engine_dry *d;
	struct engine_run fake;
	size_t n;
	int rc;

	if (job != NULL)
		*job = NULL;
	d = xcalloc(1, sizeof(*d));
	rc = engine_prepare(g, req, &d->model, &d->plan, err);
	if (rc != 0) {
		free(d);
		return rc;
	}
	d->g = g;
	d->done = done;
	d->arg = arg;
	d->root = xstrdup(req->root);
	d->force = req->force;
	d->no_remote = req->no_remote;
	n = d->plan.n_steps;
	d->xs = xcalloc(n + 1, sizeof(*d->xs));
	d->why = xcalloc(n + 1, sizeof(*d->why));
	d->decided = xcalloc(n + 1, 1);
	d->krc = xcalloc(n + 1, sizeof(*d->krc));
	d->keys = xcalloc(n + 1, sizeof(*d->keys));
	engine_dry_fake(d, &fake);
	for (size_t i = 0; i < n; i++) {
		const struct plan_node *nd = d->plan.steps[i];
		struct engine_exec *x = &d->xs[i];
		enum engine_cache_decision pre;
		struct engine_dry_key *dk;

		x->node = nd;
		x->dir = nd->ws != NULL ? xasprintf("%s/%s", d->root,
		    nd->ws->path) : xstrdup(d->root);
		if (engine_step_precheck(&fake, x, &pre, &d->why[i])) {
			d->decided[i] = (unsigned char)(pre + 1);
			continue;
		}
		if (engine_step_key_table(&fake, x) == 0)
			continue;
		if (g->worker == NULL) {
			struct gerr kerr;

			gerr_clear(&kerr);
			d->krc[i] = engine_step_key(&fake, x, &kerr);
			if (d->krc[i] != 0)
				d->decided[i] = (unsigned char)(
				    engine_step_decide(&fake, x, d->krc[i],
				    &kerr, &d->why[i]) + 1);
			continue;
		}
		/* No hot table: walk and hash on the worker, not here. */
		dk = &d->keys[d->n_keys++];
		dk->step = i;
		dk->phase = nd->phase;
		dk->ws_rel = treefiles_ws_rel(nd->ws != NULL ? nd->ws->path :
		    "");
	}
	if (d->n_keys == 0) {
		engine_dry_finish(d);
		return 0;
	}
	d->next = g->dries;
	g->dries = d;
	if (job != NULL)
		*job = d;
	worker_submit(g->worker, engine_dry_key_fn, engine_dry_key_done, d);
	return 0;
}

void
engine_dry_cancel(struct engine *g, struct engine_dry *job)
{
	(void)g;
	if (job != NULL)
		job->done = NULL;
}

int
engine_plan_check(struct engine *g, const struct engine_request *req,
    struct gerr *err)
{
	struct make_project *model;
	struct plan plan;
	int rc;

	rc = engine_prepare(g, req, &model, &plan, err);
	if (rc != 0)
		return rc;
	plan_release(&plan);
	make_project_unref(model);
	return 0;
}

/* The last known status of a phase record: a running run's, else the
 * newest finished run's span of that phase in that place. */
const char *
engine_graph_status(void *arg, const struct plan_node *step)
{
	const struct engine_graph *c = arg;
	const char *where = plan_step_where(step);
	const struct engine_list *lists[] = { &c->g->running,
		&c->g->finished };

	for (size_t l = 0; l < 2; l++)
		for (const struct engine_run *r = lists[l]->tail; r != NULL;
		    r = r->prev) {
			if (strcmp(r->root, c->root) != 0)
				continue;
			for (size_t i = r->n_spans; i-- > 0;) {
				const struct engine_span *s = &r->spans[i];

				if ((s->kind == ENGINE_SPAN_PHASE ||
				    s->kind == ENGINE_SPAN_HOOK) &&
				    strcmp(s->name, step->phase->name) == 0 &&
				    strcmp(s->workspace, where) == 0)
					return engine_status_name(s->status);
			}
		}
	return NULL;
}

static int
engine_graph_decl_cmp(const void *a, const void *b)
{
	const struct make_phase *x = *(const struct make_phase *const *)a;
	const struct make_phase *y = *(const struct make_phase *const *)b;

	return x->decl < y->decl ? -1 : x->decl > y->decl;
}

int
engine_graph(struct engine *g, const struct engine_request *req,
    struct engine_graph *out, struct gerr *err)
{
	struct engine_request all = *req;
	struct make_project *model = NULL, *first = NULL;
	const struct make_phase **sorted = NULL;
	const char **names = NULL;
	struct plan plan;
	struct strbuf title;
	int rc;

	memset(out, 0, sizeof(*out));
	if (req->n_phases == 0) {
		/* Every phase: the model first, for its names. */
		if (req->root == NULL || req->root[0] != '/')
			return gerr_set(err, GERR_ROOT_NOT_FOUND, "root %s: not "
			    "an absolute directory", req->root != NULL ?
			    req->root : "(none)");
		rc = engine_model_get(g, req->root, &first, err);
		if (rc != 0)
			return rc;
		if (first->phases_len == 0) {
			rc = gerr_set(err, GERR_PHASE_NOT_FOUND, "%s declares "
			    "no phase", first->file);
			make_project_unref(first);
			return rc;
		}
		sorted = xcalloc(first->phases_len, sizeof(*sorted));
		names = xcalloc(first->phases_len, sizeof(*names));
		for (size_t i = 0; i < first->phases_len; i++)
			sorted[i] = &first->phases[i];
		qsort(sorted, first->phases_len, sizeof(*sorted),
		    engine_graph_decl_cmp);
		for (size_t i = 0; i < first->phases_len; i++)
			names[i] = sorted[i]->name;
		all.phases = names;
		all.n_phases = first->phases_len;
	}
	rc = engine_prepare(g, &all, &model, &plan, err);
	free(sorted);
	if (rc != 0) {
		free(names);
		make_project_unref(first);
		return rc;
	}
	strbuf_init(&title);
	for (size_t i = 0; i < all.n_phases; i++)
		strbuf_addf(&title, "%s%s", i ? " " : "", all.phases[i]);
	out->plan = plan;
	out->title = strbuf_detach(&title, NULL);
	out->g = g;
	out->root = xstrdup(req->root);
	out->model = model;
	out->first = first;
	out->names = names;
	return 0;
}

void
engine_graph_release(struct engine_graph *eg)
{
	if (eg == NULL)
		return;
	plan_release(&eg->plan);
	free(eg->title);
	free(eg->root);
	make_project_unref(eg->model);
	make_project_unref(eg->first);
	free(eg->names);
	memset(eg, 0, sizeof(*eg));
}

int
engine_cancel(struct engine *g, uint64_t id, struct gerr *err)
{
	struct engine_run *r = engine_find(g, id);

	if (r == NULL || r->on == &g->finished)
		return gerr_set(err, GERR_RUN_NOT_FOUND,
		    "run %llu not found or already finished",
		    (unsigned long long)id);
	if (r->cancelled)
		return 0;
	r->cancelled = true;
	if (r->status == ENGINE_QUEUED) {
		struct engine_event ev;

		/* Listeners pair every end with a start (history rows). */
		r->start_us = (int64_t)clock_wall_us();
		r->start_mono_us = (int64_t)clock_mono_us();
		engine_event_fill(r, ENGINE_EV_RUN_START, &ev);
		ev.status = ENGINE_RUNNING;
		for (size_t i = 0; i < g->n_listeners; i++)
			g->listeners[i].fn(g->listeners[i].arg, &ev);
		engine_run_finish(r);
		return 0;
	}
	for (struct engine_cmd *c = r->live; c != NULL; c = c->next)
		runner_cancel(&c->child);
	/* A cancelled render never calls back: end its step here. Ending the
	 * last one may finish the run, so stop at the first that does. */
	while (r->rendering != NULL && r->on == &g->running) {
		struct engine_exec *x = r->rendering;

		generate_cancel(x->job);
		engine_render_unlink(r, x);
		engine_span_end(r, x->render_span, ENGINE_CANCELLED, false);
		engine_step_end(r, x, ENGINE_CANCELLED);
		engine_exec_done(r, x);
	}
	while (r->fetching != NULL && r->on == &g->running) {
		struct engine_exec *x = r->fetching;

		outcache_cancel(x->fetch);
		engine_fetch_unlink(r, x);
		engine_step_end(r, x, ENGINE_CANCELLED);
		engine_exec_done(r, x);
	}
	/* Likewise a key on the worker: its result will be dropped. */
	while (r->keying != NULL && r->on == &g->running) {
		struct engine_exec *x = r->keying;

		engine_key_detach(r, x);
		engine_step_end(r, x, ENGINE_CANCELLED);
		engine_exec_done(r, x);
	}
	return 0;
}

/* Run r ends now (shutdown): its processes are killed (SIGKILL to their
 * groups) and reported as cancelled through the usual exit path, so spans,
 * listeners (history) and followers (the client's final reply) see a
 * normal end. */
static void
engine_abort(struct engine *g, struct engine_run *r)
{
	struct runner_result res;
	struct engine_cmd *c;

	while (r->on == &g->running && (c = r->live) != NULL) {
		runner_child_free(&c->child);
		memset(&res, 0, sizeof(res));
		res.cancelled = true;
		res.signal = SIGKILL;
		engine_on_exit(&c->child, &res);
	}
}

/* The daemon stops: dry runs still keying end now with
 * GERR_SHUTTING_DOWN, so their clients get a final reply; the worker's
 * late results are dropped. */
static void
engine_dry_stop(struct engine *g)
{
	struct gerr err;

	gerr_clear(&err);
	gerr_set(&err, GERR_SHUTTING_DOWN, "the daemon is stopping");
	for (struct engine_dry *d = g->dries; d != NULL; d = d->next) {
		engine_dry_cb done = d->done;

		d->done = NULL;
		if (done != NULL)
			done(d->arg, NULL, &err);
	}
}

size_t
engine_cancel_where(struct engine *g, const char *root, const char *reason,
    bool now)
{
	struct engine_list *lists[2] = { &g->queued, &g->running };
	struct engine_run *r;
	uint64_t *ids = NULL;
	size_t n = 0, cap = 0, done = 0;

	if (g == NULL)
		return 0;
	if (root == NULL) {
		g->stopping = true;
		engine_dry_stop(g);
	}
	/* Collect first: cancelling finishes runs and reschedules. Queued
	 * runs first, so that none of them starts in a freed slot. */
	for (size_t i = 0; i < 2; i++)
		for (r = lists[i]->head; r != NULL; r = r->next) {
			if (root != NULL && strcmp(r->root, root) != 0 &&
			    !path_is_inside(root, r->root))
				continue;
			if (n == cap) {
				cap = cap ? cap * 2 : 8;
				ids = xreallocarray(ids, cap, sizeof(*ids));
			}
			ids[n++] = r->id;
		}
	for (size_t i = 0; i < n; i++) {
		r = engine_find(g, ids[i]);
		if (r == NULL || r->on == &g->finished)
			continue;
		if (r->message == NULL && reason != NULL)
			r->message = xstrdup(reason);
		if (engine_cancel(g, ids[i], NULL) == 0)
			done++;
		if (now && r->on == &g->running)
			engine_abort(g, r);
	}
	free(ids);
	return done;
}

size_t
engine_active(const struct engine *g)
{
	return g != NULL ? g->running.n + g->queued.n : 0;
}

int
engine_follow(struct engine *g, uint64_t id, engine_event_cb fn, void *arg,
    struct gerr *err)
{
	struct engine_run *r = engine_find(g, id);
	struct engine_follower *f;
	struct engine_event ev;
	char *tail;
	size_t len;

	if (r == NULL)
		return gerr_set(err, GERR_RUN_NOT_FOUND, "run %llu not found",
		    (unsigned long long)id);
	tail = ring_dup(&r->out, &len);
	engine_event_fill(r, ENGINE_EV_OUTPUT, &ev);
	ev.output = tail;
	ev.output_len = len;
	if (len > 0)
		fn(arg, &ev);
	if (r->on == &g->finished) {
		ev.kind = ENGINE_EV_RUN_END;
		fn(arg, &ev);
		free(tail);
		return 0;
	}
	free(tail);
	f = xcalloc(1, sizeof(*f));
	f->fn = fn;
	f->arg = arg;
	f->next = r->followers;
	r->followers = f;
	return 0;
}

void
engine_unfollow(struct engine *g, uint64_t id, engine_event_cb fn, void *arg)
{
	struct engine_run *r = engine_find(g, id);
	struct engine_follower **pp, *f;

	if (r == NULL)
		return;
	for (pp = &r->followers; (f = *pp) != NULL; pp = &f->next)
		if (f->fn == fn && f->arg == arg) {
			*pp = f->next;
			free(f);
			return;
		}
}

/* r's snapshot (pointers borrowed from r). */
static void
engine_run_snap(const struct engine_run *r, struct engine_run_info *o)
{
	int64_t end = r->end_mono_us != 0 ? r->end_mono_us :
	    (int64_t)clock_mono_us();

	memset(o, 0, sizeof(*o));
	o->id = r->id;
	o->root = r->root;
	o->phases = (const char *const *)r->phases;
	o->n_phases = r->n_phases;
	o->phase = r->phase_text;
	o->workspace = r->workspace;
	o->trigger = r->trigger;
	o->status = r->status;
	o->start_us = r->start_us;
	o->dur_us = r->start_mono_us == 0 ? 0 : end - r->start_mono_us;
	o->steps = r->plan.n_steps;
	o->steps_done = r->steps_done;
	o->steps_cached = r->steps_cached;
	o->skipped = (const char *const *)r->skipped;
	o->n_skipped = r->n_skipped;
	o->exit_code = r->exit_code;
	o->signal = r->signal;
	o->message = r->message;
}

bool
engine_run_get(struct engine *g, uint64_t id, struct engine_run_info *out)
{
	struct engine_run *r = engine_find(g, id);

	if (r == NULL)
		return false;
	engine_run_snap(r, out);
	return true;
}

size_t
engine_runs(struct engine *g, bool finished, struct engine_run_info **out)
{
	size_t n = g->running.n + g->queued.n + (finished ? g->finished.n :
	    0), i = 0;
	struct engine_run_info *a = xcalloc(n + 1, sizeof(*a));

	if (finished)
		for (struct engine_run *r = g->finished.head; r; r = r->next)
			engine_run_snap(r, &a[i++]);
	for (struct engine_run *r = g->running.head; r; r = r->next)
		engine_run_snap(r, &a[i++]);
	for (struct engine_run *r = g->queued.head; r; r = r->next)
		engine_run_snap(r, &a[i++]);
	*out = a;
	return i;
}

char *
engine_output(struct engine *g, uint64_t id, size_t *len, bool *done)
{
	struct engine_run *r = engine_find(g, id);

	if (r == NULL)
		return NULL;
	*done = r->on == &g->finished;
	return ring_dup(&r->out, len);
}

/* For `status --short`: "active" (running and queued runs) and "failed"
 * (per root and phase list, the latest finished run when it failed or
 * timed out). The finished list is bounded (ENGINE_RUNS_KEPT), so the
 * quadratic scan stays small. */
static void
engine_status_phases(struct engine *g, struct engine_overview *o)
{
	struct engine_list *lists[2] = { &g->running, &g->queued };

	o->active = xcalloc(g->running.n + g->queued.n + 1,
	    sizeof(*o->active));
	for (size_t i = 0; i < 2; i++)
		for (struct engine_run *r = lists[i]->head; r; r = r->next)
			engine_run_snap(r, &o->active[o->n_active++]);
	o->failed = xcalloc(g->finished.n + 1, sizeof(*o->failed));
	for (struct engine_run *r = g->finished.tail; r; r = r->prev) {
		bool newer = false;

		for (struct engine_run *q = r->next; q && !newer; q = q->next)
			newer = strcmp(q->root, r->root) == 0 &&
			    strcmp(q->phase_text, r->phase_text) == 0;
		if (newer || (r->status != ENGINE_FAILED &&
		    r->status != ENGINE_TIMEOUT))
			continue;
		engine_run_snap(r, &o->failed[o->n_failed++]);
	}
}

void
engine_overview_get(struct engine *g, struct engine_overview *o)
{
	memset(o, 0, sizeof(*o));
	o->running = g->running.n;
	o->queued = g->queued.n;
	o->finished = g->finished.n;
	o->next_id = g->next_id;
	o->models_loaded = g->models_loaded;
	if (g->finished.tail != NULL) {
		o->has_last = true;
		engine_run_snap(g->finished.tail, &o->last);
	}
	engine_status_phases(g, o);
	o->envs = xcalloc(g->n_rootenv + 1, sizeof(*o->envs));
	for (size_t i = 0; i < g->n_rootenv; i++) {
		o->envs[i].root = g->rootenv[i].root;
		o->envs[i].env = g->rootenv[i].env;
		o->envs[i].source = g->rootenv[i].env != NULL ?
		    g->rootenv[i].source : NULL;
	}
	o->n_envs = g->n_rootenv;
	o->loops = xcalloc(g->n_loops + 1, sizeof(*o->loops));
	for (size_t i = 0; i < g->n_loops; i++) {
		struct engine_loop_info *l;

		if (!g->loops[i].stopped)
			continue;
		l = &o->loops[o->n_loops++];
		l->root = g->loops[i].root;
		l->workspace = g->loops[i].ws;
		l->phase = g->loops[i].phase;
	}
}

void
engine_overview_release(struct engine_overview *st)
{
	if (st == NULL)
		return;
	free(st->active);
	free(st->failed);
	free(st->envs);
	free(st->loops);
	memset(st, 0, sizeof(*st));
}
