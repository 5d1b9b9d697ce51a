/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * plan.h - the execution order of one lifecycle request (hooks, workspaces:
 * doc/ARCHITECTURE.md 7).
 *
 * From a make.toml model and a request (phases, workspace target) plan_build
 * makes a tree of three node kinds:
 *   PLAN_SEQ    children one after the other; the first failure stops it;
 *   PLAN_PAR    children concurrently, at most max_par at once; every child
 *               runs to its end, the node fails if any child failed;
 *   PLAN_PHASE  one phase record: its render step, then its commands.
 * depends_on (make.toml(5)): a requested phase with dependencies becomes
 * a PLAN_DAG node of its dependency closure in topological order
 * (dependencies in the order listed, depth first), each kid being one
 * phase's before hooks, the phase, its after hooks; a kid waits for the
 * kids it depends on and is skipped when one fails. Every phase runs at
 * most once per request and place: a phase already planned (as a
 * dependency, a hook or a requested phase) is not planned again.
 * Environments: with req->env (or detect = "auto" and req->env_auto),
 * each phase is its variant for that environment, and its env holds, by
 * rising precedence, [env], [env.NAME], the phase's env and GGEN_ENV=NAME.
 * Order of a request:
 *   before_all (root hooks, once)
 *   for each requested phase P, in request order:
 *       in each targeted place (the root, or each workspace):
 *           before_P hooks, P, after_P hooks      (hooks expand recursively)
 *   after_all (root hooks, once)
 * then the root's on_error or on_success shell commands, which the engine
 * runs itself (plan->on_error / plan->on_success).
 *
 * Targets: PLAN_TARGET_DEFAULT runs in every declared workspace when the root
 * declares any (as ggen does), else in the root; PLAN_TARGET_ROOT the root
 * only; PLAN_TARGET_WORKSPACE one named workspace; PLAN_TARGET_ALL every
 * workspace. A workspace uses its own make.toml when it has one, else the
 * root's model. The root phase's `workspaces` list filters the workspaces a
 * phase runs in, and its `parallel = true` runs them concurrently (at most
 * jobs at once). A workspace whose model lacks P is skipped; P missing in
 * every targeted place is GERR_PHASE_NOT_FOUND. `[hooks] parallel = true`
 * (of the model that owns the hook list) runs one list's phases
 * concurrently.
 *
 * Ownership: a plan borrows the model (phases, workspaces, hook lists):
 * the model must outlive it. Pure; no I/O; any thread, one at a time.
 */
#ifndef GGEN_PLAN_H
#define GGEN_PLAN_H

#include <stdbool.h>
#include <stddef.h>

#include "gerr.h"
#include "make.h"
#include "strbuf.h"

/* Cap on phase records in one plan: hook fan-out can grow a tree fast. */
#define PLAN_STEPS_MAX 4096
/* Cap on environment variables held by one plan's phases (they share
 * their model's [env] and profile; a phase with its own env adds a copy). */
#define PLAN_ENV_MAX (256 * 1024)

enum plan_kind {
	PLAN_SEQ,
	PLAN_PAR,
	PLAN_PHASE,
	PLAN_DAG,	/* kids with depends_on edges (kid->deps) */
};

enum plan_target {
	PLAN_TARGET_DEFAULT,
	PLAN_TARGET_ROOT,
	PLAN_TARGET_WORKSPACE,
	PLAN_TARGET_ALL,
};

struct plan_node {
	enum plan_kind kind;
	struct plan_node **kids;	/* SEQ/PAR, owned */
	size_t n_kids;
	unsigned max_par;		/* PAR: concurrency cap, >= 1 */
	/* PHASE only; all borrowed from the model. */
	const struct make_phase *phase;
	const struct make_project *model;	/* the model phase came from */
	const struct make_workspace *ws;	/* NULL = the root */
	char *hook;		/* owned: "before_all", "before_build"...; NULL
				   for a requested phase */
	bool hook_cmds;		/* the hook's own commands ([hooks.X] table,
				   a record named X), not a phase it names */
	size_t step;		/* index in plan->steps */
	/* PHASE: the phase as it runs (environment applied), owned, with
	 * `phase` pointing at it; NULL when the model's phase is used as
	 * is. Its strings are borrowed from the model; only the struct and
	 * its env array are the plan's. */
	struct make_phase *own;
	/* Kid of a PLAN_DAG: indexes of the sibling kids it depends on
	 * (owned); they must all succeed before it starts. */
	size_t *deps;
	size_t n_deps;
};

struct plan_request {
	const char *const *phases;	/* borrowed; n_phases >= 1 */
	size_t n_phases;
	enum plan_target target;
	const char *workspace;		/* PLAN_TARGET_WORKSPACE only */
	unsigned jobs;			/* parallel cap; 0 = 1 */
	/* Independent depends_on branches at once: opt-in (--jobs N);
	 * 0 = 1, one after the other. */
	unsigned dag_jobs;
	const char *env;		/* -e NAME; NULL or "" = none */
	const char *env_auto;		/* $GGEN_ENV for detect = "auto" */
};

/* How two phase records are related, for pictures of the plan. */
enum plan_edge_kind {
	PLAN_EDGE_DEPENDS,	/* from runs before to through depends_on */
	PLAN_EDGE_BEFORE,	/* from is a before_X hook of to */
	PLAN_EDGE_AFTER,	/* to is an after_X hook of from */
};

struct plan_edge {
	const struct plan_node *from, *to;	/* PHASE nodes of the tree */
	enum plan_edge_kind kind;
};

struct plan {
	struct plan_node *root;		/* a PLAN_SEQ */
	struct plan_edge *edges;	/* owned array; nodes borrowed from
					   the tree */
	size_t n_edges;
	struct plan_node **steps;	/* every PHASE node in sequential
					   (depth-first) order; borrowed
					   from the tree */
	size_t n_steps;
	const struct make_strlist *on_error;	/* borrowed from the root */
	const struct make_strlist *on_success;
	char *env;		/* the environment in effect, or NULL; owned */
	struct make_env **env_arrays;	/* owned: the phases' env arrays */
	size_t n_env_arrays;
	const char *env_source;	/* "-e", "GGEN_ENV" or NULL (static) */
};

/*
 * Build the plan of req (borrowed for the call) over model (borrowed for the
 * plan's life) into *out (caller's; free with plan_release). Errors, *out
 * left empty:
 *   GERR_PHASE_NOT_FOUND  `phase "bild" not found; did you mean "build"?`
 *                         (also for a hook naming an unknown phase:
 *                         `... (in hook before_build of "test")`)
 *   GERR_WORKSPACE_NOT_FOUND  the named workspace, with a suggestion
 *   GERR_RECURSION        `hook recursion: build -> test -> build`
 *   GERR_LIMIT            over PLAN_STEPS_MAX phase records or
 *                         PLAN_ENV_MAX environment variables
 *   GERR_INVALID          no phase requested, or a workspace target on a
 *                         root that declares no workspaces, or an
 *                         environment the model does not declare
 */
int plan_build(const struct make_project *model, const struct plan_request *req,
    struct plan *out, struct gerr *err);

/* Free the tree; p is empty again. NULL and an empty plan are fine. */
void plan_release(struct plan *p);

/* Name of the place a step runs in: the workspace name, or "" for the
 * root. Borrowed from the model. */
const char *plan_step_where(const struct plan_node *step);

/*
 * Append a readable outline of p to out, one line per node, two spaces of
 * indent per level: "seq", "par (max N)", "PHASE [in WS] (HOOK)". Used by
 * tests and by `run --dry-run` before the engine adds cache decisions.
 */
void plan_format(const struct plan *p, struct strbuf *out);

#endif
