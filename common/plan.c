/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * plan.c - turns a make.toml model and a request into an execution tree.
 *
 * Owns the plan tree (nodes, kid arrays, hook labels); borrows everything
 * else from the model. Called by the engine (daemon/engine.c) for every run
 * and for `run --dry-run`, and by the unit tests.
 * Invariants: a PHASE node has no kids; SEQ/PAR nodes have at least one kid
 * (empty hook lists add nothing); steps[] lists every PHASE node in
 * depth-first order and node->step is its index there. While expanding
 * hooks, the chain (stack of phase names) never holds one name twice: that
 * is the recursion error. Never does I/O.
 */
#include "plan.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "xmalloc.h"

/* Names further than this (edits) from the request get no suggestion. */
#define PLAN_SUGGEST_MAX_DIST 3

/* A phase already planned in a place (each runs once per request). */
struct plan_seen {
	const struct make_phase *phase;		/* the model's, not a variant */
	const struct make_workspace *ws;
	const struct plan_node *node;		/* its record, once made */
};

struct plan_ctx {
	const struct make_project *root_model;
	const char *stack[PLAN_STEPS_MAX];	/* the hook chain being expanded */
	size_t depth;
	size_t steps;
	unsigned jobs;
	unsigned dag_jobs;
	const char *env;			/* NULL = none */
	struct plan_seen *seen;
	size_t n_seen;
	struct plan_edge *edges;
	size_t n_edges;
	/* Main phase records of the hook units planned so far, until their
	 * chain turns them into edges (a stack: chains nest). */
	struct plan_node **pending;
	size_t n_pending;
	struct plan_node *last_main;	/* of the last plan_chain/plan_unit */
	/* Environment arrays made for this plan (moved to the plan), the
	 * base of each model, and GGEN_ENV as a one-entry array. */
	struct make_env **env_arrays;
	size_t n_env_arrays, env_entries;
	struct {
		const struct make_project *model;
		const struct make_env *env;
		size_t n;
	} *bases;
	size_t n_bases;
	struct make_env ggen_env;
	struct gerr *err;
};

static void
plan_edge_add(struct plan_ctx *ctx, const struct plan_node *from,
    const struct plan_node *to, enum plan_edge_kind kind)
{
	ctx->edges = xreallocarray(ctx->edges, ctx->n_edges + 1,
	    sizeof(*ctx->edges));
	ctx->edges[ctx->n_edges].from = from;
	ctx->edges[ctx->n_edges].to = to;
	ctx->edges[ctx->n_edges].kind = kind;
	ctx->n_edges++;
}

/* Turn pending mains from start on into edges with main; drop them. */
static void
plan_pending_edges(struct plan_ctx *ctx, size_t start,
    const struct plan_node *main, enum plan_edge_kind kind)
{
	for (size_t i = start; i < ctx->n_pending; i++) {
		if (main == NULL)
			continue;
		if (kind == PLAN_EDGE_BEFORE)
			plan_edge_add(ctx, ctx->pending[i], main, kind);
		else
			plan_edge_add(ctx, main, ctx->pending[i], kind);
	}
	ctx->n_pending = start;
}

static void
plan_pending_push(struct plan_ctx *ctx, struct plan_node *main)
{
	if (main == NULL)
		return;
	ctx->pending = xreallocarray(ctx->pending, ctx->n_pending + 1,
	    sizeof(*ctx->pending));
	ctx->pending[ctx->n_pending++] = main;
}

static struct plan_node *
plan_node_new(enum plan_kind kind)
{
	struct plan_node *n = xcalloc(1, sizeof(*n));

	n->kind = kind;
	n->max_par = 1;
	return n;
}

static void
plan_node_free(struct plan_node *n)
{
	if (n == NULL)
		return;
	for (size_t i = 0; i < n->n_kids; i++)
		plan_node_free(n->kids[i]);
	free(n->kids);
	free(n->hook);
	free(n->deps);
	free(n->own);		/* its env array is the plan's */
	free(n);
}

static bool
plan_seen_has(const struct plan_ctx *ctx, const struct make_phase *ph,
    const struct make_workspace *ws)
{
	for (size_t i = 0; i < ctx->n_seen; i++)
		if (ctx->seen[i].phase == ph && ctx->seen[i].ws == ws)
			return true;
	return false;
}

static void
plan_seen_add(struct plan_ctx *ctx, const struct make_phase *ph,
    const struct make_workspace *ws)
{
	ctx->seen = xreallocarray(ctx->seen, ctx->n_seen + 1,
	    sizeof(*ctx->seen));
	ctx->seen[ctx->n_seen].phase = ph;
	ctx->seen[ctx->n_seen].ws = ws;
	ctx->seen[ctx->n_seen].node = NULL;
	ctx->n_seen++;
}

/* The record of ph planned in ws, or NULL. */
static const struct plan_node *
plan_seen_node(const struct plan_ctx *ctx, const struct make_phase *ph,
    const struct make_workspace *ws)
{
	for (size_t i = 0; i < ctx->n_seen; i++)
		if (ctx->seen[i].phase == ph && ctx->seen[i].ws == ws)
			return ctx->seen[i].node;
	return NULL;
}

/* A new array: a and b (each sorted by key) merged, b winning on equal
 * keys; strings borrowed. Registered in ctx (the plan frees it). */
static struct make_env *
plan_env_merge(struct plan_ctx *ctx, const struct make_env *a, size_t na,
    const struct make_env *b, size_t nb, size_t *n)
{
	struct make_env *out = xcalloc(na + nb + 1, sizeof(*out));
	size_t i = 0, j = 0, k = 0;

	while (i < na || j < nb) {
		int c = i == na ? 1 : j == nb ? -1 : strcmp(a[i].key, b[j].key);

		if (c < 0) {
			out[k++] = a[i++];
		} else {
			if (c == 0)
				i++;
			out[k++] = b[j++];
		}
	}
	*n = k;
	ctx->env_arrays = xreallocarray(ctx->env_arrays, ctx->n_env_arrays + 1,
	    sizeof(*ctx->env_arrays));
	ctx->env_arrays[ctx->n_env_arrays++] = out;
	ctx->env_entries += k;
	return out;
}

/*
 * The variables every phase of model m gets in ctx->env, lowest first:
 * the root's [env] and [env.NAME], m's own (a workspace's file), then
 * GGEN_ENV. Built once per model and plan, shared by its phases.
 */
static const struct make_env *
plan_env_base(struct plan_ctx *ctx, const struct make_project *m, size_t *n)
{
	static const char ggen_env_key[] = "GGEN_ENV";
	const struct make_project *src[2] = { ctx->root_model, m };
	const struct make_env *cur = NULL;
	struct make_env genv;
	size_t ncur = 0;

	for (size_t i = 0; i < ctx->n_bases; i++)
		if (ctx->bases[i].model == m) {
			*n = ctx->bases[i].n;
			return ctx->bases[i].env;
		}
	for (size_t k = 0; k < (m != ctx->root_model ? 2u : 1u); k++) {
		const struct make_profile *pr = ctx->env != NULL ?
		    make_profile_find(src[k], ctx->env) : NULL;

		if (src[k]->env_len > 0)
			cur = plan_env_merge(ctx, cur, ncur, src[k]->env,
			    src[k]->env_len, &ncur);
		if (pr != NULL && pr->env_len > 0)
			cur = plan_env_merge(ctx, cur, ncur, pr->env,
			    pr->env_len, &ncur);
	}
	if (ctx->env != NULL) {
		memset(&genv, 0, sizeof(genv));
		genv.key = (char *)ggen_env_key;
		genv.value = (char *)ctx->env;
		cur = plan_env_merge(ctx, cur, ncur, &genv, 1, &ncur);
	}
	ctx->bases = xreallocarray(ctx->bases, ctx->n_bases + 1,
	    sizeof(*ctx->bases));
	ctx->bases[ctx->n_bases].model = m;
	ctx->bases[ctx->n_bases].env = cur;
	ctx->bases[ctx->n_bases].n = ncur;
	ctx->n_bases++;
	*n = ncur;
	return cur;
}

/*
 * The phase node n runs: ph in ctx->env, with the environment variables
 * of its precedence chain (make.toml(5)) when there are any beyond the
 * phase's own; the phase's own variables win over the base's, and
 * GGEN_ENV over them. GERR_LIMIT past PLAN_ENV_MAX variables in all.
 */
static int
plan_node_phase(struct plan_ctx *ctx, const struct make_project *m,
    struct plan_node *n, const struct make_phase *ph)
{
	const struct make_phase *v = make_phase_in_env(ph, ctx->env);
	const struct make_env *base;
	struct make_env *env;
	size_t n_base, n_env;

	n->phase = v;
	base = plan_env_base(ctx, m, &n_base);
	if (n_base == 0)
		return 0;
	if (v->env_len == 0) {
		env = (struct make_env *)base;
		n_env = n_base;
	} else {
		env = plan_env_merge(ctx, base, n_base, v->env, v->env_len,
		    &n_env);
		/* GGEN_ENV names the environment whatever the phase says. */
		if (ctx->env != NULL)
			env = plan_env_merge(ctx, env, n_env,
			    &ctx->ggen_env, 1, &n_env);
	}
	if (ctx->env_entries > PLAN_ENV_MAX)
		return gerr_set(ctx->err, GERR_LIMIT, "more than %d "
		    "environment variables across the plan's phases",
		    PLAN_ENV_MAX);
	n->own = xmalloc(sizeof(*n->own));
	*n->own = *v;
	n->own->env = env;
	n->own->env_len = n_env;
	n->phase = n->own;
	return 0;
}

static void
plan_node_add(struct plan_node *parent, struct plan_node *kid)
{
	parent->kids = xreallocarray(parent->kids, parent->n_kids + 1,
	    sizeof(*parent->kids));
	parent->kids[parent->n_kids++] = kid;
}

/* Levenshtein distance, two rows; names are short (phase keys). */
static size_t
plan_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	size_t *prev = xcalloc(lb + 1, sizeof(*prev));
	size_t *cur = xcalloc(lb + 1, sizeof(*cur));
	size_t d;

	for (size_t j = 0; j <= lb; j++)
		prev[j] = j;
	for (size_t i = 1; i <= la; i++) {
		size_t *t;

		cur[0] = i;
		for (size_t j = 1; j <= lb; j++) {
			size_t sub = prev[j - 1] + (a[i - 1] != b[j - 1]);
			size_t del = prev[j] + 1, ins = cur[j - 1] + 1;

			cur[j] = sub < del ? (sub < ins ? sub : ins) :
			    (del < ins ? del : ins);
		}
		t = prev;
		prev = cur;
		cur = t;
	}
	d = prev[lb];
	free(prev);
	free(cur);
	return d;
}

/* The closest phase (workspaces when ws_names) of p to word, or NULL. */
static const char *
plan_suggest(const struct make_project *p, const char *word, bool ws_names)
{
	size_t n = ws_names ? p->workspaces_len : p->phases_len;
	size_t wl = strlen(word), best_d = PLAN_SUGGEST_MAX_DIST + 1;
	const char *best = NULL;

	for (size_t i = 0; i < n; i++) {
		const char *c = ws_names ? p->workspaces[i].name :
		    p->phases[i].name;
		size_t cl = strlen(c), d;

		/* The length gap bounds the distance from below. */
		if ((cl > wl ? cl - wl : wl - cl) >= best_d)
			continue;
		d = plan_distance(word, c);
		if (d < best_d && d < wl) {
			best = c;
			best_d = d;
		}
	}
	return best;
}

static int
plan_not_found(struct plan_ctx *ctx, const struct make_project *m,
    const char *name, const struct make_workspace *ws, const char *hook)
{
	const char *alt = plan_suggest(m, name, false);

	return gerr_set(ctx->err, GERR_PHASE_NOT_FOUND,
	    "phase \"%s\" not found%s%s%s%s%s%s%s%s%s", name,
	    ws != NULL ? " in workspace \"" : "", ws != NULL ? ws->name : "",
	    ws != NULL ? "\"" : "", hook != NULL ? " (named in hook " : "",
	    hook != NULL ? hook : "", hook != NULL ? ")" : "",
	    alt != NULL ? "; did you mean \"" : "",
	    alt != NULL ? alt : "", alt != NULL ? "\"?" : "");
}

static int
plan_recursion(struct plan_ctx *ctx, const char *name)
{
	struct strbuf sb;
	int rc;

	strbuf_init(&sb);
	for (size_t i = 0; i < ctx->depth; i++)
		strbuf_addf(&sb, "%s -> ", ctx->stack[i]);
	strbuf_addstr(&sb, name);
	rc = gerr_set(ctx->err, GERR_RECURSION, "hook recursion: %s", sb.buf);
	strbuf_release(&sb);
	return rc;
}

static int plan_unit(struct plan_ctx *ctx, const struct make_project *m,
    const struct make_workspace *ws, const char *name, const char *hook,
    struct plan_node **out);

/*
 * Add the units of the phases in list (a hook named label of model m) to
 * parent: directly when the hooks run one by one, as one PAR node when m's
 * [hooks] parallel is set and the list has more than one phase. Phases
 * already planned in this request add nothing.
 */
static int
plan_hooks(struct plan_ctx *ctx, const struct make_project *m,
    const struct make_workspace *ws, const struct make_strlist *list,
    const char *label, struct plan_node *parent)
{
	struct plan_node *into = parent, *kid;
	int rc;

	if (list->len == 0)
		return 0;
	if (m->hooks.parallel && list->len > 1) {
		into = plan_node_new(PLAN_PAR);
		into->max_par = ctx->jobs;
	}
	for (size_t i = 0; i < list->len; i++) {
		rc = plan_unit(ctx, m, ws, list->items[i].s, label, &kid);
		if (rc != 0) {
			if (into != parent)
				plan_node_free(into);
			return rc;
		}
		if (kid != NULL)
			plan_pending_push(ctx, ctx->last_main);
		if (kid != NULL)
			plan_node_add(into, kid);
	}
	if (into != parent) {
		if (into->n_kids == 0) {
			plan_node_free(into);
		} else if (into->n_kids == 1) {
			plan_node_add(parent, into->kids[0]);
			into->n_kids = 0;
			plan_node_free(into);
		} else {
			plan_node_add(parent, into);
		}
	}
	return 0;
}

/* A hook written as commands ([hooks.before_X] commands = [...]). */
static int
plan_hook_cmds(struct plan_ctx *ctx, const struct make_project *m,
    const struct make_workspace *ws, const struct make_phase *cmds,
    const char *label, struct plan_node *parent)
{
	struct plan_node *node;

	if (cmds == NULL)
		return 0;
	if (++ctx->steps > PLAN_STEPS_MAX)
		return gerr_set(ctx->err, GERR_LIMIT,
		    "plan has more than %d phase records (hook fan-out)",
		    PLAN_STEPS_MAX);
	node = plan_node_new(PLAN_PHASE);
	node->model = m;
	node->ws = ws;
	node->hook = xstrdup(label);
	node->hook_cmds = true;
	plan_node_add(parent, node);
	plan_pending_push(ctx, node);
	return plan_node_phase(ctx, m, node, cmds);
}

/* before_NAME hooks, NAME, after_NAME hooks of model m in ws, as one
 * node; *out NULL when NAME was already planned in ws. */
static int
plan_chain(struct plan_ctx *ctx, const struct make_project *m,
    const struct make_workspace *ws, const struct make_phase *ph,
    const char *hook, struct plan_node **out)
{
	struct plan_node *seq, *node = NULL;
	size_t pend = ctx->n_pending, seen_at;
	char *label;
	int rc;

	*out = NULL;
	ctx->last_main = NULL;
	for (size_t i = 0; i < ctx->depth; i++)
		if (strcmp(ctx->stack[i], ph->name) == 0)
			return plan_recursion(ctx, ph->name);
	if (plan_seen_has(ctx, ph, ws))
		return 0;
	if (++ctx->steps > PLAN_STEPS_MAX)
		return gerr_set(ctx->err, GERR_LIMIT,
		    "plan has more than %d phase records (hook fan-out)",
		    PLAN_STEPS_MAX);
	/* depth < number of distinct phase names <= steps: within stack. */
	ctx->stack[ctx->depth++] = ph->name;
	seen_at = ctx->n_seen;
	plan_seen_add(ctx, ph, ws);

	seq = plan_node_new(PLAN_SEQ);
	label = xasprintf("before_%s", ph->name);
	rc = plan_hooks(ctx, m, ws, &ph->before, label, seq);
	if (rc == 0)
		rc = plan_hook_cmds(ctx, m, ws, ph->before_cmds, label, seq);
	free(label);
	if (rc == 0) {
		node = plan_node_new(PLAN_PHASE);
		rc = plan_node_phase(ctx, m, node, ph);
		node->model = m;
		node->ws = ws;
		node->hook = hook != NULL ? xstrdup(hook) : NULL;
		plan_node_add(seq, node);
		ctx->seen[seen_at].node = node;
		plan_pending_edges(ctx, pend, node, PLAN_EDGE_BEFORE);
		label = xasprintf("after_%s", ph->name);
		if (rc == 0)
			rc = plan_hook_cmds(ctx, m, ws, ph->after_cmds, label,
			    seq);
		if (rc == 0)
			rc = plan_hooks(ctx, m, ws, &ph->after, label, seq);
		free(label);
		plan_pending_edges(ctx, pend, node, PLAN_EDGE_AFTER);
	}
	ctx->n_pending = pend;
	ctx->depth--;
	ctx->last_main = rc == 0 ? node : NULL;
	if (rc != 0) {
		plan_node_free(seq);
		return rc;
	}
	if (seq->n_kids == 1) {
		/* No hooks: the phase alone reads better in outlines. */
		*out = seq->kids[0];
		seq->n_kids = 0;
		plan_node_free(seq);
	} else {
		*out = seq;
	}
	return 0;
}

/* The dependency closure of ph in m, dependencies first (depth first, in
 * listed order), into *list (n entries); phases already planned in ws are
 * left out. mark: per phase of m, 1 while on the path, 2 when done. */
static int
plan_closure(struct plan_ctx *ctx, const struct make_project *m,
    const struct make_workspace *ws, const struct make_phase *ph,
    unsigned char *mark, const struct make_phase ***list, size_t *n,
    size_t depth)
{
	size_t idx = (size_t)(ph - m->phases);
	int rc;

	if (mark[idx] == 2)
		return 0;
	if (mark[idx] == 1)
		return gerr_set(ctx->err, GERR_RECURSION,
		    "dependency cycle through \"%s\"", ph->name);
	if (depth > PLAN_STEPS_MAX)
		return gerr_set(ctx->err, GERR_LIMIT,
		    "depends_on chain longer than %d", PLAN_STEPS_MAX);
	mark[idx] = 1;
	for (size_t i = 0; i < ph->depends_on.len; i++) {
		const struct make_phase *d = make_phase_find(m,
		    ph->depends_on.items[i].s);

		if (d == NULL) {
			char *why = xasprintf("depends_on of \"%s\"",
			    ph->name);

			rc = plan_not_found(ctx, m, ph->depends_on.items[i].s,
			    ws, why);
			free(why);
			return rc;
		}
		rc = plan_closure(ctx, m, ws, d, mark, list, n, depth + 1);
		if (rc != 0)
			return rc;
	}
	mark[idx] = 2;
	if (!plan_seen_has(ctx, ph, ws)) {
		*list = xreallocarray(*list, *n + 1, sizeof(**list));
		(*list)[(*n)++] = ph;
	}
	return 0;
}

/*
 * What requesting NAME (directly or as a hook) in ws plans: its chain,
 * preceded by its dependency closure as one PLAN_DAG node when it has
 * depends_on. *out NULL when everything was already planned.
 */
static int
plan_unit(struct plan_ctx *ctx, const struct make_project *m,
    const struct make_workspace *ws, const char *name, const char *hook,
    struct plan_node **out)
{
	const struct make_phase *ph = make_phase_find(m, name);
	const struct make_phase **list = NULL;
	struct plan_node *dag, *kid, *main = NULL;
	struct plan_node **unit_of, **main_of;
	unsigned char *mark;
	size_t n = 0;
	int rc;

	*out = NULL;
	ctx->last_main = NULL;
	if (ph == NULL)
		return plan_not_found(ctx, m, name, ws, hook);
	if (ph->depends_on.len == 0)
		return plan_chain(ctx, m, ws, ph, hook, out);
	for (size_t i = 0; i < ctx->depth; i++)
		if (strcmp(ctx->stack[i], ph->name) == 0)
			return plan_recursion(ctx, ph->name);
	mark = xcalloc(m->phases_len, 1);
	rc = plan_closure(ctx, m, ws, ph, mark, &list, &n, 0);
	free(mark);
	if (rc != 0 || n == 0) {
		free(list);
		return rc;
	}
	dag = plan_node_new(PLAN_DAG);
	dag->max_par = ctx->dag_jobs;
	unit_of = xcalloc(m->phases_len, sizeof(*unit_of));
	main_of = xcalloc(m->phases_len, sizeof(*main_of));
	for (size_t i = 0; i < n && rc == 0; i++) {
		/* The requested phase keeps its hook label; its
		 * dependencies are plain phases. */
		rc = plan_chain(ctx, m, ws, list[i], list[i] == ph ? hook :
		    NULL, &kid);
		if (rc != 0 || kid == NULL)
			continue;
		unit_of[list[i] - m->phases] = kid;
		main_of[list[i] - m->phases] = ctx->last_main;
		if (list[i] == ph)
			main = ctx->last_main;
		for (size_t k = 0; k < list[i]->depends_on.len; k++) {
			const struct make_phase *d = make_phase_find(m,
			    list[i]->depends_on.items[k].s);

			for (size_t j = 0; d != NULL && j < dag->n_kids; j++)
				if (dag->kids[j] == unit_of[d - m->phases]) {
					kid->deps = xreallocarray(kid->deps,
					    kid->n_deps + 1,
					    sizeof(*kid->deps));
					kid->deps[kid->n_deps++] = j;
				}
		}
		plan_node_add(dag, kid);
	}
	/* Edges for every dependency, also those planned earlier in the
	 * request (outside this DAG): pictures show them all. */
	for (size_t i = 0; i < n && rc == 0; i++) {
		const struct plan_node *to = main_of[list[i] - m->phases];

		for (size_t k = 0; to != NULL &&
		    k < list[i]->depends_on.len; k++) {
			const struct make_phase *d = make_phase_find(m,
			    list[i]->depends_on.items[k].s);
			const struct plan_node *from = d == NULL ? NULL :
			    main_of[d - m->phases] != NULL ?
			    main_of[d - m->phases] : plan_seen_node(ctx, d, ws);

			if (from != NULL)
				plan_edge_add(ctx, from, to, PLAN_EDGE_DEPENDS);
		}
	}
	free(unit_of);
	free(main_of);
	free(list);
	ctx->last_main = rc == 0 ? main : NULL;
	if (rc != 0 || dag->n_kids <= 1) {
		if (rc == 0 && dag->n_kids == 1) {
			*out = dag->kids[0];
			free((*out)->deps);
			(*out)->deps = NULL;
			(*out)->n_deps = 0;
			dag->n_kids = 0;
		}
		plan_node_free(dag);
		return rc;
	}
	*out = dag;
	return 0;
}

/* Whether workspace ws passes phase name's `workspaces` filter (root model). */
static bool
plan_ws_selected(const struct make_project *root, const char *name,
    const struct make_workspace *ws)
{
	const struct make_phase *ph = make_phase_find(root, name);

	if (ph == NULL || ph->workspaces.len == 0)
		return true;
	for (size_t i = 0; i < ph->workspaces.len; i++)
		if (strcmp(ph->workspaces.items[i].s, ws->name) == 0)
			return true;
	return false;
}

/* One requested phase over the targeted workspaces (ws_list of n). */
static int
plan_workspaces(struct plan_ctx *ctx, const char *name,
    const struct make_workspace *const *ws_list, size_t n, bool filter,
    struct plan_node *parent)
{
	const struct make_project *root = ctx->root_model;
	const struct make_phase *rph = make_phase_find(root, name);
	struct plan_node *group, *kid;
	bool found = false;
	int rc;

	group = plan_node_new(rph != NULL && rph->parallel ? PLAN_PAR :
	    PLAN_SEQ);
	if (group->kind == PLAN_PAR)
		group->max_par = ctx->jobs;
	for (size_t i = 0; i < n; i++) {
		const struct make_workspace *ws = ws_list[i];
		const struct make_project *m = ws->own != NULL ? ws->own : root;

		if (filter && !plan_ws_selected(root, name, ws))
			continue;
		if (make_phase_find(m, name) == NULL)
			continue;
		found = true;
		rc = plan_unit(ctx, m, ws, name, NULL, &kid);
		if (rc != 0) {
			plan_node_free(group);
			return rc;
		}
		if (kid != NULL)
			plan_node_add(group, kid);
	}
	if (group->n_kids == 0) {
		plan_node_free(group);
		if (found)
			return 0;
		return plan_not_found(ctx, root, name, n == 1 ? ws_list[0] :
		    NULL, NULL);
	}
	if (group->n_kids == 1) {
		plan_node_add(parent, group->kids[0]);
		group->n_kids = 0;
		plan_node_free(group);
	} else {
		plan_node_add(parent, group);
	}
	return 0;
}

static void
plan_collect(struct plan *p, struct plan_node *n)
{
	if (n->kind == PLAN_PHASE) {
		n->step = p->n_steps;
		p->steps = xreallocarray(p->steps, p->n_steps + 1,
		    sizeof(*p->steps));
		p->steps[p->n_steps++] = n;
		return;
	}
	for (size_t i = 0; i < n->n_kids; i++)
		plan_collect(p, n->kids[i]);
}

static int
plan_places(const struct make_project *model, const struct plan_request *req,
    const struct make_workspace ***out, size_t *n, bool *filter,
    struct gerr *err)
{
	const struct make_workspace *ws;
	const char *alt;

	*out = NULL;
	*n = 0;
	*filter = false;
	switch (req->target) {
	case PLAN_TARGET_ROOT:
		return 0;
	case PLAN_TARGET_WORKSPACE:
		ws = req->workspace != NULL ?
		    make_workspace_find(model, req->workspace) : NULL;
		if (ws == NULL) {
			alt = req->workspace != NULL ?
			    plan_suggest(model, req->workspace, true) : NULL;
			return gerr_set(err, GERR_WORKSPACE_NOT_FOUND,
			    "workspace \"%s\" not found%s%s%s%s",
			    req->workspace != NULL ? req->workspace : "",
			    model->workspaces_len == 0 ?
			    " (the root declares no workspaces)" : "",
			    alt != NULL ? "; did you mean \"" : "",
			    alt != NULL ? alt : "", alt != NULL ? "\"?" : "");
		}
		*out = xcalloc(1, sizeof(**out));
		(*out)[0] = ws;
		*n = 1;
		return 0;
	case PLAN_TARGET_DEFAULT:
	case PLAN_TARGET_ALL:
		if (model->workspaces_len == 0)
			return 0;
		*out = xcalloc(model->workspaces_len, sizeof(**out));
		for (size_t i = 0; i < model->workspaces_len; i++)
			(*out)[i] = &model->workspaces[i];
		*n = model->workspaces_len;
		*filter = true;
		return 0;
	}
	return gerr_set(err, GERR_INTERNAL, "plan: bad target %d",
	    (int)req->target);
}

/* The environment of the request into out->env (make.toml(5)). */
static int
plan_env(const struct make_project *model, const struct plan_request *req,
    struct plan *out, struct gerr *err)
{
	const char *name = NULL, *source = NULL;
	struct strbuf known;
	int rc;

	if (req->env != NULL && req->env[0] != '\0') {
		name = req->env;
		source = "-e";
	} else if (model->env_detect_auto && req->env_auto != NULL &&
	    req->env_auto[0] != '\0') {
		name = req->env_auto;
		source = "GGEN_ENV";
	}
	if (name == NULL)
		return 0;
	if (!make_env_declared(model, name)) {
		strbuf_init(&known);
		for (size_t i = 0; i < model->profiles_len; i++)
			strbuf_addf(&known, "%s%s", known.len ? ", " : "",
			    model->profiles[i].name);
		for (size_t i = 0; i < model->phases_len; i++)
			for (size_t k = 0; k < model->phases[i].variants_len;
			    k++) {
				const char *e = model->phases[i].variants[k].env;

				if (strstr(known.buf != NULL ? known.buf : "",
				    e) == NULL)
					strbuf_addf(&known, "%s%s",
					    known.len ? ", " : "", e);
			}
		rc = gerr_set(err, GERR_INVALID, "environment \"%s\" (%s) is "
		    "not declared in make.toml%s%s%s", name, source,
		    known.len ? " (declared: " : "", known.len ? known.buf : "",
		    known.len ? ")" : "");
		strbuf_release(&known);
		return rc;
	}
	out->env = xstrdup(name);
	out->env_source = source;
	return 0;
}

int
plan_build(const struct make_project *model, const struct plan_request *req,
    struct plan *out, struct gerr *err)
{
	struct plan_ctx *ctx;
	const struct make_workspace **ws_list;
	struct plan_node *root, *kid;
	size_t n_ws;
	bool filter;
	int rc;

	memset(out, 0, sizeof(*out));
	if (req->n_phases == 0)
		return gerr_set(err, GERR_INVALID, "no phase to run");
	rc = plan_places(model, req, &ws_list, &n_ws, &filter, err);
	if (rc != 0)
		return rc;
	rc = plan_env(model, req, out, err);
	if (rc != 0) {
		free(ws_list);
		return rc;
	}
	ctx = xcalloc(1, sizeof(*ctx));
	ctx->root_model = model;
	ctx->jobs = req->jobs > 0 ? req->jobs : 1;
	ctx->dag_jobs = req->dag_jobs > 0 ? req->dag_jobs : 1;
	ctx->env = out->env;
	ctx->ggen_env.key = (char *)"GGEN_ENV";
	ctx->ggen_env.value = out->env;
	ctx->err = err;

	root = plan_node_new(PLAN_SEQ);
	rc = plan_hooks(ctx, model, NULL, &model->hooks.before_all,
	    "before_all", root);
	if (rc == 0)
		rc = plan_hook_cmds(ctx, model, NULL,
		    model->hooks.before_all_cmds, "before_all", root);
	for (size_t i = 0; rc == 0 && i < req->n_phases; i++) {
		if (n_ws > 0) {
			rc = plan_workspaces(ctx, req->phases[i], ws_list, n_ws,
			    filter, root);
		} else {
			rc = plan_unit(ctx, model, NULL, req->phases[i], NULL,
			    &kid);
			if (rc == 0 && kid != NULL)
				plan_node_add(root, kid);
		}
	}
	if (rc == 0)
		rc = plan_hook_cmds(ctx, model, NULL,
		    model->hooks.after_all_cmds, "after_all", root);
	if (rc == 0)
		rc = plan_hooks(ctx, model, NULL, &model->hooks.after_all,
		    "after_all", root);
	free(ctx->seen);
	free(ctx->pending);
	free(ctx->bases);
	out->edges = ctx->edges;
	out->n_edges = ctx->n_edges;
	out->env_arrays = ctx->env_arrays;
	out->n_env_arrays = ctx->n_env_arrays;
	free(ctx);
	free(ws_list);
	if (rc != 0) {
		plan_node_free(root);
		plan_release(out);
		return rc;
	}
	out->root = root;
	out->on_error = &model->hooks.on_error;
	out->on_success = &model->hooks.on_success;
	plan_collect(out, root);
	return 0;
}

void
plan_release(struct plan *p)
{
	if (p == NULL)
		return;
	plan_node_free(p->root);
	free(p->steps);
	free(p->env);
	free(p->edges);
	for (size_t i = 0; i < p->n_env_arrays; i++)
		free(p->env_arrays[i]);
	free(p->env_arrays);
	memset(p, 0, sizeof(*p));
}

const char *
plan_step_where(const struct plan_node *step)
{
	assert(step->kind == PLAN_PHASE);
	return step->ws != NULL ? step->ws->name : "";
}

static void
plan_format_node(const struct plan_node *n, int depth, struct strbuf *out)
{
	for (int i = 0; i < depth; i++)
		strbuf_addstr(out, "  ");
	switch (n->kind) {
	case PLAN_SEQ:
		strbuf_addstr(out, "seq\n");
		break;
	case PLAN_PAR:
		strbuf_addf(out, "par (max %u)\n", n->max_par);
		break;
	case PLAN_DAG:
		strbuf_addf(out, "dag (max %u)\n", n->max_par);
		break;
	case PLAN_PHASE:
		strbuf_addstr(out, n->phase->name);
		if (n->ws != NULL)
			strbuf_addf(out, " [%s]", n->ws->name);
		/* [hooks.before_X] commands: a phase named as its hook */
		if (n->hook != NULL && strcmp(n->hook, n->phase->name) != 0)
			strbuf_addf(out, " (%s)", n->hook);
		strbuf_addch(out, '\n');
		return;
	}
	for (size_t i = 0; i < n->n_kids; i++)
		plan_format_node(n->kids[i], depth + 1, out);
}

void
plan_format(const struct plan *p, struct strbuf *out)
{
	if (p->root != NULL)
		plan_format_node(p->root, 0, out);
}
