/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * engine.h - the lifecycle engine: runs of make.toml phases as processes.
 *
 * A run is one request (`ggenc run`, or an on-save trigger): its plan
 * (common/plan.h) executed step by step through the runner, with spans
 * (phase, hook, command, render), cache decisions, a bounded output ring
 * and followers that see output and progress live. Runs get uint64 ids,
 * monotonic from engine_set_first_run_id (default 1).
 *
 * Scheduling: a run waits (queued) while a running run of the same root
 * shares a phase name with it; otherwise it starts at once. On-save runs
 * follow the phase's on_busy: queue (one pending rerun absorbing every
 * later batch), restart (cancel the running one, then start), ignore.
 *
 * Ownership: the engine owns its runs; everything handed in is borrowed for
 * the call and copied. Pointers in callbacks are borrowed for the call.
 * No JSON here: runs, events, plans and counters come out as the C
 * structs below; daemon/wire_run.h turns them into the protocol's JSON at
 * the request edge.
 * Thread: loop thread only (the default loop: the runner needs it).
 */
#ifndef GGEN_ENGINE_H
#define GGEN_ENGINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <ev.h>

#include "cachekey.h"
#include "run.h"
#include "gerr.h"
#include "plan.h"

/* Finished runs kept in memory for status/runs/logs. */
#define ENGINE_RUNS_KEPT 64
/* Output tail kept per run (the ring). */
#define ENGINE_OUTPUT_CAP (256 * 1024)
/* Output tail each phase step keeps for its own span (history), by
 * default; engine_set_output_caps follows the settings. */
#define ENGINE_STEP_OUTPUT_CAP (64 * 1024)
/* Runs waiting at once; more are refused with GERR_BUSY. */
#define ENGINE_QUEUE_MAX 256
/* Changed files remembered per run (the env file has them all). */
#define ENGINE_CHANGED_MAX 4096

/* The run vocabulary of common/run.h under the engine's names: every
 * value is the common one (history.h does the same; histlink.c asserts
 * the two where it casts), the names come from run.h. */
enum engine_trigger {
	ENGINE_TRIGGER_SAVE = RUN_TRIGGER_SAVE,
	ENGINE_TRIGGER_MANUAL = RUN_TRIGGER_MANUAL,
	ENGINE_TRIGGER_STARTUP = RUN_TRIGGER_STARTUP,
};

enum engine_status {
	ENGINE_RUNNING = RUN_RUNNING,
	ENGINE_OK = RUN_OK,
	ENGINE_FAILED = RUN_FAILED,
	ENGINE_CANCELLED = RUN_CANCELLED,
	ENGINE_TIMEOUT = RUN_TIMEOUT,
	ENGINE_CACHED = RUN_CACHED,	/* every phase record was a hit */
	ENGINE_INTERRUPTED = RUN_INTERRUPTED,	/* unused here; history's */
	ENGINE_QUEUED = RUN_QUEUED,	/* engine only: waiting to start */
};

enum engine_span_kind {
	ENGINE_SPAN_PHASE = RUN_SPAN_PHASE,
	ENGINE_SPAN_HOOK = RUN_SPAN_HOOK,	/* reached through a hook */
	ENGINE_SPAN_COMMAND = RUN_SPAN_COMMAND,
	ENGINE_SPAN_RENDER = RUN_SPAN_RENDER,
};

/* run_*_name of common/run.h: "ok", ..., "queued"; "unknown" out of
 * range; static. */
const char *engine_status_name(enum engine_status s);
const char *engine_trigger_name(enum engine_trigger t);

struct engine;

struct engine_request {
	const char *root;		/* absolute directory */
	const char *const *phases;	/* n_phases >= 1 */
	size_t n_phases;
	enum plan_target target;
	const char *workspace;		/* PLAN_TARGET_WORKSPACE */
	bool force;			/* bypass the cache */
	bool no_remote;			/* do not ask or feed the remote cache */
	unsigned jobs;			/* 0 = number of cores for parallel
					   workspaces; depends_on branches
					   run at once only when jobs > 0 */
	const char *env;		/* -e NAME; NULL: none (on save: the
					   root's last manual environment) */
	const char *env_auto;		/* client's $GGEN_ENV (detect=auto) */
	bool yes;			/* requires_approval phases allowed */
	uint64_t after_run;		/* do not start before run after_run
					   has ended (0 = none): on save, the
					   run whose render wrote the files */
	bool after_saves;		/* do not start while an earlier
					   on-save run of the root is running
					   or queued: `ggenc dev PHASE`'s runs
					   wait for their batch's own */
	enum engine_trigger trigger;
	const char *const *changed;	/* files relative to root; may be 0 */
	size_t n_changed;
};

/* A span as the run listener and history see it. */
struct engine_span {
	uint64_t id;			/* 1, 2, ... within the run */
	uint64_t parent;		/* 0 = top level */
	enum engine_span_kind kind;
	const char *name;		/* phase name or command text */
	const char *workspace;		/* "" = the root */
	int64_t start_us;		/* wall clock, since the epoch */
	int64_t dur_us;			/* -1 while running */
	enum engine_status status;
	bool slow;			/* over the phase's budget_ms */
	const char *cache;		/* a cached phase: "skipped" (outputs
					   in place), "restored" or "remote"
					   (daemon/outcache.h); else NULL */
};

enum engine_event_kind {
	ENGINE_EV_RUN_START,	/* run fields valid */
	ENGINE_EV_SPAN_START,	/* span valid (dur_us -1) */
	ENGINE_EV_SPAN_END,	/* span valid */
	ENGINE_EV_OUTPUT,	/* data/len/stream/span valid */
	ENGINE_EV_RUN_END,	/* run fields valid, status final */
	/* Published only (engine_set_publish), never to listeners: */
	ENGINE_EV_RUN_QUEUED,	/* run fields valid */
	ENGINE_EV_PHASE_SKIPPED, /* span: name and workspace of the phase
				   not run; because: its dependency */
	ENGINE_EV_PHASE_LOOP,	/* root, workspace, phase (the looping
				   one), trigger_files (at most 16),
				   rounds, message; run_id 0 */
};

/*
 * What listeners and followers get. Every span has a SPAN_START before its
 * SPAN_END, and a parent's START comes before its children's. Maps onto
 * daemon/history.h:
 *   RUN_START  -> history_run_begin(root, workspace, phase, trigger,
 *                 trigger_files, start_us, cache_key)
 *   SPAN_START -> history_span_add(parent, kind, name, workspace,
 *                 start_us, dur_us = -1, RUNNING); keep engine span id ->
 *                 history span id to translate span->parent
 *   SPAN_END   -> history_span_end(dur_us, status) (span->slow: mark it)
 *   RUN_END    -> history_run_end(status, exit_code, signal, end_us,
 *                 cache_key, output, output_len)
 * Enum values equal history's (a cast maps them). Everything is borrowed
 * for the call.
 */
struct engine_event {
	enum engine_event_kind kind;
	uint64_t run_id;
	const char *root;
	const char *workspace;		/* requested target: "" root/all, or
					   the named workspace */
	const char *phase;		/* requested phases, space separated */
	enum engine_trigger trigger;
	const char *const *trigger_files;	/* at most ENGINE_CHANGED_MAX */
	size_t n_trigger_files;
	int64_t start_us, end_us;	/* end_us 0 until RUN_END */
	enum engine_status status;
	int exit_code;			/* first failing command's; 0 when
					   commands ran and none failed; -1
					   when no command ran or the failure
					   had none (signal, timeout, render) */
	int signal;			/* its signal; 0 if none */
	const char *cache_key;		/* last phase key computed, or NULL */
	const char *message;		/* RUN_END failure text, or NULL */
	const char *output;		/* RUN_END: the tail; OUTPUT: the chunk;
					   SPAN_END of a phase or hook step:
					   that step's own output (no line
					   prefixes), NULL if it printed none */
	size_t output_len;
	int stream;			/* OUTPUT: 1 stdout, 2 stderr */
	const struct engine_span *span;	/* SPAN_*, OUTPUT (its command) */
	const char *const *phases;	/* the requested phases */
	size_t n_phases;
	/* Set in published events only (engine_set_publish): */
	const char *hook;		/* SPAN_START of a hook step: its role
					   ("before", "after"...), else NULL */
	const char *cache;		/* SPAN_END of a cached step: how
					   ("skipped", "restored", "remote") */
	int64_t dur_us;			/* SPAN_END of a step, RUN_END:
					   monotonic duration */
	const char *because;		/* PHASE_SKIPPED */
	unsigned rounds;		/* PHASE_LOOP */
};

typedef void (*engine_event_cb)(void *arg, const struct engine_event *ev);
/*
 * Publication (daemon/req_events.c turns these into `run.queued`,
 * `run.started`, `phase.started`, `phase.finished`, `phase.loop` and
 * `run.finished` lines for subscribers): RUN_QUEUED, RUN_START,
 * SPAN_START and SPAN_END of phase and hook steps (hook, cache and
 * dur_us set), PHASE_SKIPPED, PHASE_LOOP and RUN_END (dur_us set).
 */
typedef void (*engine_publish_cb)(void *arg, const struct engine_event *ev);

/*
 * A new engine on loop (the default loop). state_dir (borrowed for the
 * call) holds the cache state file (engine-cache.json) and per-run
 * changed-file lists; it must exist. A missing or bad state file is
 * logged and ignored (it only holds cache hits). Never fails.
 */
struct engine *engine_new(struct ev_loop *loop, const char *state_dir);

/* Cancel and kill every run (SIGKILL to their groups), drop followers
 * without calling them, free. NULL ok. Not from inside a callback. */
void engine_free(struct engine *g);

/* Ids of later runs start at id (>= 1); for history to continue its ids.
 * Call before the first run. */
void engine_set_first_run_id(struct engine *g, uint64_t id);

struct ggend;
struct filetable;

/* The hot file table of root (paths relative to it, content hashes), or
 * NULL when root is not watched or not ready: the engine then hashes
 * inputs from disk itself. */
typedef const struct filetable *(*engine_table_cb)(void *arg,
    const char *root);

/* Where cache keys find content hashes (the watch module). fn may be
 * NULL. */
void engine_set_table_source(struct engine *g, engine_table_cb fn,
    void *arg);

struct make_project;
struct make_findings;

/*
 * Where runs take the model of root (the watch module's hot models).
 * Returns 0 with a new reference in *out (the engine unrefs it when the
 * run is freed, so a run keeps the model it started with); 0 with *out
 * and *findings NULL when root is not a watched root (the engine then
 * reads make.toml itself); or the root's latest load error (code and err
 * as make_load, file:line:col) with *findings (borrowed for the call) when
 * the root has no good model. Loop thread.
 */
typedef int (*engine_model_cb)(void *arg, const char *root,
    struct make_project **out, const struct make_findings **findings,
    struct gerr *err);

/* Set the model source; fn NULL = read make.toml for every run. */
void engine_set_model_source(struct engine *g, engine_model_cb fn,
    void *arg);

/*
 * Whether root has a successful run of phase (in workspace ws, "" = the
 * root) in its history: what first_run_only asks (make.toml(5)). Loop
 * thread; must not block on disk (daemon/histlink.h answers from memory).
 */
typedef bool (*engine_done_cb)(void *arg, const char *root, const char *ws,
    const char *phase);

/* Set the history source; fn NULL (the default) = no history, and a
 * first_run_only phase runs every time. */
void engine_set_done_source(struct engine *g, engine_done_cb fn, void *arg);

/* Wire g->engine to g->watch (daemon/engine_watch.c): on-save batches and
 * hot content hashes for cache keys. Call after watch_init. */
void engine_watch_attach(struct ggend *g);

/* The daemon that generate_start (daemon/generate.h) renders templates
 * with; borrowed for the engine's life. Without it, phases with templates
 * fail with a clear message. */
void engine_set_render_context(struct engine *g, struct ggend *ggend);

struct outcache;
/* The output cache (daemon/outcache.h) cached phases are restored from
 * and saved to; borrowed for the engine's life; NULL = none. */
void engine_set_outcache(struct engine *g, struct outcache *oc);

/* The output tails history keeps (history.output_tail and
 * history.span_output_tail): a run's ring holds at least run_tail bytes
 * (never less than ENGINE_OUTPUT_CAP, which live followers read), each
 * phase step step_tail (0 = ENGINE_STEP_OUTPUT_CAP). Runs queued later
 * use them. */
void engine_set_output_caps(struct engine *g, size_t run_tail,
    size_t step_tail);

/* Runs waiting at once (runs.queue_max); more are refused with
 * GERR_BUSY. 0 = ENGINE_QUEUE_MAX. */
void engine_set_queue_max(struct engine *g, size_t n);

/* The width of a terminal that follows root's runs (`ggenc dev` on a
 * terminal), or 0 when none does. A phase without `tty` runs its commands
 * on a pseudo-terminal of that width while one does; `tty = true` always
 * (80 columns when none follows), `tty = false` never. */
typedef unsigned (*engine_tty_cb)(void *arg, const char *root);

/* Set the terminal source; fn NULL = no terminal unless `tty = true`. */
void engine_set_tty_source(struct engine *g, engine_tty_cb fn, void *arg);

/* Where the published events go (engine_publish_cb; the daemon's is
 * req_events_engine, which builds the lines). fn NULL = nowhere. */
void engine_set_publish(struct engine *g, engine_publish_cb fn, void *arg);

/* Call fn on every run start, span start and end and run end (not on
 * output), for every run, for the engine's life. At most 8 listeners
 * (GERR_LIMIT). */
int engine_add_run_listener(struct engine *g, engine_event_cb fn, void *arg,
    struct gerr *err);

/*
 * Queue a run of req (borrowed, copied). The model is taken now (the
 * model source's hot one, else make.toml is read), so a bad model or plan
 * fails here: GERR_ROOT_NOT_FOUND, GERR_IO,
 * GERR_PARSE/GERR_INVALID (file:line:col of make.toml), and plan_build's
 * GERR_PHASE_NOT_FOUND, GERR_WORKSPACE_NOT_FOUND, GERR_RECURSION; also
 * GERR_BUSY when the queue bound (runs.queue_max, ENGINE_QUEUE_MAX by
 * default) of runs wait. On success *run_id is its id
 * (0 when an on-save trigger was absorbed or ignored under its busy
 * policy) and follow (may be NULL) receives its events from run start on,
 * until RUN_END, whose call is the last; the follower may be dropped
 * earlier with engine_unfollow.
 */
int engine_submit(struct engine *g, const struct engine_request *req,
    engine_event_cb follow, void *follow_arg, uint64_t *run_id,
    struct gerr *err);

/* The environment on-save runs of root use (borrowed until the next
 * submit), or NULL for none. */
const char *engine_root_env(const struct engine *g, const char *root);

/* Whether req could run: its model and plan build (the errors of
 * engine_submit but GERR_BUSY). Runs nothing, hashes nothing. */
int engine_plan_check(struct engine *g, const struct engine_request *req,
    struct gerr *err);

/* One step of a dry run (strings borrowed from its engine_dry_plan). */
struct engine_dry_step {
	const char *phase;
	const char *workspace;		/* "" = the root */
	const char *hook;		/* its hook role, or NULL */
	const char *cache;		/* "hit", "miss", "off", "forced",
					   "skip" (first_run_only) */
	const char *reason;		/* why, or NULL */
	char key[CACHEKEY_HEX_SIZE];	/* "" when not computed */
	char action_key[CACHEKEY_HEX_SIZE];	/* "" when not known */
	const char *const *commands;
	size_t n_commands;
	const char *const *env_keys;	/* what make.toml adds to the */
	const char *const *env_values;	/* daemon's environment */
	size_t n_env;
	bool requires_approval, first_run_only;
	const char *const *after;	/* depends_on of its unit's main
					   phase; n_after 0 = none */
	size_t n_after;
};

/* The plan of a dry run with its cache decisions; owns everything it
 * points to. */
struct engine_dry_plan {
	struct engine_dry_step *steps;
	size_t n_steps;
	const char *env;		/* chosen environment, or NULL */
	const char *env_source;		/* "-e", "GGEN_ENV" or NULL */
	char *outline;			/* plan_format's text */
	void *priv;			/* the engine's (model, plan) */
};

void engine_dry_plan_free(struct engine_dry_plan *p);

struct engine_dry;
/* A dry run's end: plan (transferred; free with engine_dry_plan_free) on
 * success, else err. May be called from inside engine_dry_run. */
typedef void (*engine_dry_cb)(void *arg, struct engine_dry_plan *plan,
    const struct gerr *err);

/*
 * The plan of req with its cache decisions, run nothing. The model and
 * plan are built now: their errors (as engine_submit's) are returned and
 * done is not called. Cache keys of a root without a hot file table are
 * walked and hashed on the engine's worker, not the loop; done then comes
 * later (or at once when no key needs the disk). *job (may be NULL) names
 * the dry run for engine_dry_cancel until done is called. A stopping
 * daemon (engine_cancel_where with root NULL) ends the dry runs still
 * hashing with GERR_SHUTTING_DOWN; engine_free drops them untold.
 */
int engine_dry_run(struct engine *g, const struct engine_request *req,
    engine_dry_cb done, void *arg, struct engine_dry **job,
    struct gerr *err);

/* done is not called for job any more (its client went away). */
void engine_dry_cancel(struct engine *g, struct engine_dry *job);

/*
 * The plan of req (req->n_phases may be 0: every phase of the root, in
 * declaration order) for `graph`, built into *out (release with
 * engine_graph_release): draw it with common/graph.h, passing
 * engine_graph_status and out for each phase's last status from the runs
 * the engine keeps (running ones first). Runs nothing. Errors as
 * engine_plan_check.
 */
struct engine_graph {
	struct plan plan;
	char *title;			/* the phases, space separated */
	/* The engine's: what the plan borrows, and where statuses come
	 * from. */
	struct engine *g;
	char *root;
	struct make_project *model, *first;	/* references */
	const char **names;
};

int engine_graph(struct engine *g, const struct engine_request *req,
    struct engine_graph *out, struct gerr *err);
void engine_graph_release(struct engine_graph *eg);
/* graph_status_fn (arg: the struct engine_graph). */
const char *engine_graph_status(void *arg, const struct plan_node *step);

/* Stop run id: a queued one never starts, a running one has its processes
 * stopped (SIGTERM, then SIGKILL) and ends "cancelled".
 * GERR_RUN_NOT_FOUND if unknown or already finished. */
int engine_cancel(struct engine *g, uint64_t id, struct gerr *err);

/*
 * Cancel every queued and running run whose root is root or lies inside
 * it (root NULL: every run, and later submits fail with
 * GERR_SHUTTING_DOWN), each ending "cancelled" with reason (copied; may
 * be NULL) as its message. With now, processes are killed at once
 * (SIGKILL) and the runs have ended, listeners and followers told, when
 * this returns (a stopping daemon); otherwise as engine_cancel. Returns
 * how many runs were cancelled.
 */
size_t engine_cancel_where(struct engine *g, const char *root,
    const char *reason, bool now);

/* Queued plus running runs. */
size_t engine_active(const struct engine *g);

/*
 * Follow run id: its output so far is sent at once as one OUTPUT event
 * (span NULL), then live events. For a finished run, the tail and RUN_END
 * are sent at once and nothing is kept. GERR_RUN_NOT_FOUND.
 */
int engine_follow(struct engine *g, uint64_t id, engine_event_cb fn,
    void *arg, struct gerr *err);

/* Stop calling fn/arg for run id (no effect if it is not following). */
void engine_unfollow(struct engine *g, uint64_t id, engine_event_cb fn,
    void *arg);

/* A run as requests see it: a snapshot whose pointers are borrowed from
 * the engine until the next call into it. */
struct engine_run_info {
	uint64_t id;
	const char *root;
	const char *const *phases;
	size_t n_phases;
	const char *phase;		/* phases, space separated */
	const char *workspace;		/* "" unless one was named */
	enum engine_trigger trigger;
	enum engine_status status;
	int64_t start_us;		/* wall clock; 0 while queued */
	int64_t dur_us;			/* monotonic, so far; 0 while queued */
	size_t steps, steps_done, steps_cached;
	const char *const *skipped;	/* phases not run: a dependency */
	size_t n_skipped;
	int exit_code;			/* as engine_event's */
	int signal;
	const char *message;		/* first failure, or NULL */
};

/* Run id's snapshot into *out; false when unknown. */
bool engine_run_get(struct engine *g, uint64_t id,
    struct engine_run_info *out);

/* Running and queued runs (with finished, first the kept finished runs,
 * oldest first) into *out (an array the caller frees; the pointers in it
 * are borrowed as engine_run_get's). Returns how many. */
size_t engine_runs(struct engine *g, bool finished,
    struct engine_run_info **out);

/*
 * The output tail of run id (transferred, NUL-terminated, *len bytes), or
 * NULL when unknown. *done tells whether the run has finished.
 */
char *engine_output(struct engine *g, uint64_t id, size_t *len, bool *done);

/* What on-save runs of a root use: its last manual run's environment. */
struct engine_root_env {
	const char *root;
	const char *env;		/* NULL = none */
	const char *source;		/* "-e", "GGEN_ENV"; NULL with env */
};

/* A phase stopped by engine_loop_check. */
struct engine_loop_info {
	const char *root, *workspace, *phase;
};

/* The engine for `status`: pointers borrowed until the next call into
 * the engine; the arrays are released by engine_overview_release. */
struct engine_overview {
	size_t running, queued, finished;
	uint64_t next_id;
	uint64_t models_loaded;		/* make.toml reads by the engine
					   itself: roots the model source did
					   not know */
	bool has_last;
	struct engine_run_info last;	/* the newest finished run */
	struct engine_run_info *active;	/* running then queued */
	size_t n_active;
	struct engine_run_info *failed;	/* per root and phases, the latest
					   finished run when it failed or
					   timed out, newest first */
	size_t n_failed;
	struct engine_root_env *envs;
	size_t n_envs;
	struct engine_loop_info *loops;	/* stopped loops */
	size_t n_loops;
};

void engine_overview_get(struct engine *g, struct engine_overview *out);
void engine_overview_release(struct engine_overview *st);

/*
 * On-save hook: after a settled batch of changed files under root
 * (relative paths, borrowed), with the root's hot model (borrowed for the
 * call; NULL = read make.toml now; engine_watch passes only a root's good
 * model and skips roots without one), request every phase of the root's model
 * (and workspaces' models) whose watch matches, with its hooks, once per
 * batch, under its on_busy policy. A phase's own outputs never trigger it.
 * Errors are logged, not returned: a save has no one to answer.
 */
void engine_on_batch(struct engine *g, const char *root,
    const struct make_project *hot, const char *const *changed,
    const char *const *writers, size_t n_changed);

/* Runs of one phase that retrigger it this many times in a row, with no
 * outside edit in between, are stopped (make.toml(5)). */
#define ENGINE_LOOP_ROUNDS 4
/* A batch this soon after an on-save run of the phase ended (or while it
 * runs) counts as that run's own doing. */
#define ENGINE_LOOP_WINDOW_MS 2000

/*
 * For engine_on_batch: whether an on-save request of phase (in workspace
 * ws, "" = the root) of root for the changed files (n, borrowed) is that
 * phase retriggering itself once too often. Counts a round when a save
 * run of the same request is running or ended within
 * ENGINE_LOOP_WINDOW_MS and the files are those of the previous round; at
 * ENGINE_LOOP_ROUNDS it logs, publishes a `phase.loop` event and returns
 * true (drop the request) until a batch comes with no such run.
 */
bool engine_loop_check(struct engine *g, const char *root, const char *ws,
    const char *phase, const char *const *files, size_t n);

/*
 * For engine_on_batch: whether a file that phase writer rendered in root
 * was already seen by phase: the newest run of root holding writer
 * (running, or ended within ENGINE_LOOP_WINDOW_MS), the one that wrote it,
 * has phase after writer in its plan (in workspace ws, "" = the root).
 * Then the write is no news to phase.
 */
bool engine_saw_write(const struct engine *g, const char *root,
    const char *ws, const char *writer, const char *phase,
    uint64_t *running);

#endif
