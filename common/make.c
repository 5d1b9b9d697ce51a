/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * make.c - make.toml -> struct make_project (DESIGN.md section 3).
 *
 * Owns: the model it builds (strings copied out of the TOML tree, except
 * vars which points into the document the project keeps).
 * Called by: the daemon when a root is added or its make.toml changes, the
 * lifecycle engine (reads the model), ggenc validate (findings).
 * Invariants: a project is returned only when no error finding was made;
 * phases and workspaces are sorted by name (byte order) and unique; a
 * phase's `commands` is the single `command` when both keys are set; every
 * finding of one file is sorted by position.
 * Never: stops at the first finding; trusts a type (every key is checked
 * with its expected TOML type before use).
 */
#include "make.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fileio.h"
#include "glob.h"
#include "log.h"
#include "make_rules.h"
#include "path.h"
#include "xmalloc.h"

static const char *const make_top_keys[] = {
	"project", "workspace", "vars", "watch", "lifecycle", "hooks",
	"cache",
};
/* [cache]: the shared output cache (DESIGN.md section 9). */
static const char *const make_cache_keys[] = { "remote", "platform_inputs" };
static const char *const make_project_keys[] = {
	"name", "type", "version", "description",
};
static const char *const make_workspace_keys[] = { "path", "description" };
static const char *const make_watch_keys[] = {
	"ignore", "debounce_min_ms", "debounce_max_ms",
};
/* `port` is informational in ggen (F1 uses it): accepted, not modelled. */
static const char *const make_phase_keys[] = {
	"description", "command", "commands", "templates", "watch", "inputs",
	"outputs", "cache", "env", "timeout", "parallel", "workspaces",
	"on_busy", "budget_ms", "port", "tty",
};
static const char *const make_hook_keys[] = {
	"before_all", "after_all", "on_error", "on_success", "parallel",
};

#define MAKE_NELEM(a) (sizeof(a) / sizeof((a)[0]))

/* What a key expects, for "wrong-type" messages. */
static const char *
make_expect_name(enum toml_type t)
{
	switch (t) {
	case TOML_STRING: return "a string";
	case TOML_INTEGER: return "an integer";
	case TOML_BOOL: return "a boolean";
	case TOML_TABLE: return "a table";
	case TOML_ARRAY: return "an array of strings";
	default: return toml_type_name(t);
	}
}

static bool
make_type_ok(struct make_report *r, const char *sect, const struct toml_node *n,
    enum toml_type want)
{
	if (n->type == want)
		return true;
	make_report_add(r, MAKE_RULE_WRONG_TYPE, n->line, n->col,
	    "'%s%s%s' must be %s, found %s", sect, *sect ? "." : "", n->key,
	    make_expect_name(want), toml_type_name(n->type));
	return false;
}

/* The table at key in t, or NULL when absent or (reported) not a table. */
static const struct toml_node *
make_table(struct make_report *r, const char *sect, const struct toml_node *t,
    const char *key)
{
	const struct toml_node *n = toml_get(t, key);

	if (n == NULL || !make_type_ok(r, sect, n, TOML_TABLE))
		return NULL;
	return n;
}

static char *
make_string(struct make_report *r, const char *sect, const struct toml_node *t,
    const char *key)
{
	const struct toml_node *n = toml_get(t, key);

	if (n == NULL || !make_type_ok(r, sect, n, TOML_STRING))
		return NULL;
	return xstrdup(n->u.s.ptr);
}

static bool
make_bool(struct make_report *r, const char *sect, const struct toml_node *t,
    const char *key, bool def)
{
	const struct toml_node *n = toml_get(t, key);

	if (n == NULL || !make_type_ok(r, sect, n, TOML_BOOL))
		return def;
	return n->u.b;
}

static int64_t
make_int(struct make_report *r, const char *sect, const struct toml_node *t,
    const char *key, int64_t min, int64_t def)
{
	const struct toml_node *n = toml_get(t, key);

	if (n == NULL || !make_type_ok(r, sect, n, TOML_INTEGER))
		return def;
	if (n->u.i < min) {
		make_report_add(r, MAKE_RULE_BAD_VALUE, n->line, n->col,
		    "'%s.%s' must be at least %lld, found %lld", sect, key,
		    (long long)min, (long long)n->u.i);
		return def;
	}
	return n->u.i;
}

static void
make_strlist_from(struct make_report *r, const char *sect,
    const struct toml_node *n, struct make_strlist *out)
{
	size_t k = 0;

	out->line = n->key_line;
	out->col = n->key_col;
	if (!make_type_ok(r, sect, n, TOML_ARRAY))
		return;
	out->items = xcalloc(toml_len(n) + 1, sizeof(*out->items));
	for (size_t i = 0; i < toml_len(n); i++) {
		const struct toml_node *e = toml_at(n, i);

		if (e->type != TOML_STRING) {
			make_report_add(r, MAKE_RULE_WRONG_TYPE, e->line, e->col,
			    "'%s.%s' must be an array of strings, found %s "
			    "element", sect, n->key, toml_type_name(e->type));
			continue;
		}
		out->items[k].s = xstrdup(e->u.s.ptr);
		out->items[k].line = e->line;
		out->items[k].col = e->col;
		k++;
	}
	out->len = k;
}

static void
make_strlist(struct make_report *r, const char *sect,
    const struct toml_node *t, const char *key, struct make_strlist *out)
{
	const struct toml_node *n = toml_get(t, key);

	if (n != NULL)
		make_strlist_from(r, sect, n, out);
}

static void
make_strlist_free(struct make_strlist *l)
{
	for (size_t i = 0; i < l->len; i++)
		free(l->items[i].s);
	free(l->items);
	memset(l, 0, sizeof(*l));
}

static void
make_globs(struct make_report *r, const char *what,
    const struct make_strlist *l, unsigned flags)
{
	for (size_t i = 0; i < l->len; i++)
		make_check_glob(r, what, &l->items[i], flags);
}

/* Warn on keys of t not in known[]; extra[] (may be NULL) also allowed. */
static void
make_unknown_keys(struct make_report *r, const char *sect,
    const struct toml_node *t, const char *const *known, size_t n)
{
	for (size_t i = 0; i < toml_len(t); i++) {
		const struct toml_node *c = toml_at(t, i);
		const char *alt;
		bool ok = false;

		for (size_t k = 0; k < n && !ok; k++)
			ok = strcmp(c->key, known[k]) == 0;
		if (ok)
			continue;
		alt = make_suggest(r, c->key, known, n);
		make_report_add(r, MAKE_RULE_UNKNOWN_KEY, c->key_line,
		    c->key_col, "unknown key '%s%s%s'%s%s%s", sect,
		    *sect ? "." : "", c->key, alt ? "; did you mean '" : "",
		    alt ? alt : "", alt ? "'?" : "");
	}
}

static int
make_phase_cmp(const void *a, const void *b)
{
	return strcmp(((const struct make_phase *)a)->name,
	    ((const struct make_phase *)b)->name);
}

static int
make_workspace_cmp(const void *a, const void *b)
{
	return strcmp(((const struct make_workspace *)a)->name,
	    ((const struct make_workspace *)b)->name);
}

static int
make_env_cmp(const void *a, const void *b)
{
	return strcmp(((const struct make_env *)a)->key,
	    ((const struct make_env *)b)->key);
}

static void
make_project_section(struct make_report *r, const struct toml_node *root,
    struct make_project *p)
{
	const struct toml_node *t = toml_get(root, "project");

	if (t == NULL) {
		make_report_add(r, MAKE_RULE_MISSING_TABLE, 1, 1,
		    "missing required table [project]");
		return;
	}
	if (!make_type_ok(r, "", t, TOML_TABLE))
		return;
	make_unknown_keys(r, "project", t, make_project_keys,
	    MAKE_NELEM(make_project_keys));
	p->name = make_string(r, "project", t, "name");
	if (toml_get(t, "name") == NULL)
		make_report_add(r, MAKE_RULE_MISSING_KEY, t->line, t->col,
		    "[project] has no 'name'");
	else if (p->name != NULL && p->name[0] == '\0')
		make_report_add(r, MAKE_RULE_BAD_VALUE, toml_get(t, "name")->line,
		    toml_get(t, "name")->col, "'project.name' is empty");
	p->type = make_string(r, "project", t, "type");
	p->version = make_string(r, "project", t, "version");
	p->description = make_string(r, "project", t, "description");
}

/* Lexical check: relative, non-empty, never climbing above the root. */
static bool
make_path_inside(const char *path)
{
	return *path != '\0' && path_is_inside(".", path);
}

static void
make_workspace_section(struct make_report *r, const struct toml_node *root,
    struct make_project *p)
{
	const struct toml_node *t = make_table(r, "", root, "workspace");

	if (t == NULL)
		return;
	p->workspaces = xcalloc(toml_len(t) + 1, sizeof(*p->workspaces));
	for (size_t i = 0; i < toml_len(t); i++) {
		const struct toml_node *w = toml_at(t, i);
		struct make_workspace *ws;
		char sect[300];

		if (!make_type_ok(r, "workspace", w, TOML_TABLE))
			continue;
		snprintf(sect, sizeof(sect), "workspace.%s", w->key);
		make_unknown_keys(r, sect, w, make_workspace_keys,
		    MAKE_NELEM(make_workspace_keys));
		ws = &p->workspaces[p->workspaces_len++];
		ws->name = xstrdup(w->key);
		ws->line = w->line;
		ws->col = w->col;
		ws->path = make_string(r, sect, w, "path");
		ws->path_line = ws->line;
		ws->path_col = ws->col;
		if (toml_get(w, "path") != NULL) {
			ws->path_line = toml_get(w, "path")->line;
			ws->path_col = toml_get(w, "path")->col;
		}
		if (toml_get(w, "path") == NULL) {
			make_report_add(r, MAKE_RULE_MISSING_KEY, w->line, w->col,
			    "[%s] has no 'path'", sect);
		} else if (ws->path != NULL && !make_path_inside(ws->path)) {
			const struct toml_node *pn = toml_get(w, "path");

			make_report_add(r, MAKE_RULE_WORKSPACE_PATH, pn->line,
			    pn->col, "workspace '%s' path '%s' is outside the "
			    "root", ws->name, ws->path);
			free(ws->path);
			ws->path = NULL;
		}
	}
	qsort(p->workspaces, p->workspaces_len, sizeof(*p->workspaces),
	    make_workspace_cmp);
}

static void
make_watch_section(struct make_report *r, const struct toml_node *root,
    struct make_project *p)
{
	const struct toml_node *t = make_table(r, "", root, "watch");

	p->debounce_min_ms = p->debounce_max_ms = -1;
	if (t == NULL)
		return;
	make_unknown_keys(r, "watch", t, make_watch_keys,
	    MAKE_NELEM(make_watch_keys));
	make_strlist(r, "watch", t, "ignore", &p->watch_ignore);
	make_globs(r, "watch.ignore", &p->watch_ignore,
	    GLOB_BASENAME | GLOB_DIR_PREFIX);
	p->debounce_min_ms = make_int(r, "watch", t, "debounce_min_ms", 0, -1);
	p->debounce_max_ms = make_int(r, "watch", t, "debounce_max_ms", 0, -1);
	if (p->debounce_min_ms >= 0 && p->debounce_max_ms >= 0 &&
	    p->debounce_min_ms > p->debounce_max_ms) {
		const struct toml_node *n = toml_get(t, "debounce_max_ms");

		make_report_add(r, MAKE_RULE_BAD_VALUE, n->line, n->col,
		    "'watch.debounce_max_ms' (%lld) is below "
		    "'watch.debounce_min_ms' (%lld)",
		    (long long)p->debounce_max_ms,
		    (long long)p->debounce_min_ms);
	}
}

static void
make_cache_section(struct make_report *r, const struct toml_node *root,
    struct make_project *p)
{
	const struct toml_node *t = make_table(r, "", root, "cache");

	p->cache_remote = true;
	if (t == NULL)
		return;
	make_unknown_keys(r, "cache", t, make_cache_keys,
	    MAKE_NELEM(make_cache_keys));
	p->cache_remote = make_bool(r, "cache", t, "remote", true);
	make_strlist(r, "cache", t, "platform_inputs", &p->platform_inputs);
}

static void
make_phase_env(struct make_report *r, const char *sect,
    const struct toml_node *t, struct make_phase *ph)
{
	const struct toml_node *e = make_table(r, sect, t, "env");

	if (e == NULL)
		return;
	ph->env = xcalloc(toml_len(e) + 1, sizeof(*ph->env));
	for (size_t i = 0; i < toml_len(e); i++) {
		const struct toml_node *v = toml_at(e, i);
		char esect[320];

		snprintf(esect, sizeof(esect), "%s.env", sect);
		if (!make_type_ok(r, esect, v, TOML_STRING))
			continue;
		ph->env[ph->env_len].key = xstrdup(v->key);
		ph->env[ph->env_len].value = xstrdup(v->u.s.ptr);
		ph->env[ph->env_len].line = v->key_line;
		ph->env[ph->env_len].col = v->key_col;
		ph->env_len++;
	}
	qsort(ph->env, ph->env_len, sizeof(*ph->env), make_env_cmp);
}

static void
make_phase_watch(struct make_report *r, const char *sect,
    const struct toml_node *t, struct make_phase *ph)
{
	const struct toml_node *w = toml_get(t, "watch");

	if (w == NULL)
		return;
	if (w->type == TOML_BOOL) {
		ph->watch = w->u.b ? MAKE_WATCH_ALL : MAKE_WATCH_NONE;
		return;
	}
	if (w->type != TOML_ARRAY) {
		make_report_add(r, MAKE_RULE_WRONG_TYPE, w->line, w->col,
		    "'%s.watch' must be a boolean or an array of globs, "
		    "found %s", sect, toml_type_name(w->type));
		return;
	}
	make_strlist_from(r, sect, w, &ph->watch_globs);
	ph->watch = ph->watch_globs.len > 0 ? MAKE_WATCH_GLOBS :
	    MAKE_WATCH_NONE;
}

static void
make_phase_on_busy(struct make_report *r, const char *sect,
    const struct toml_node *t, struct make_phase *ph)
{
	static const char *const choices[] = { "queue", "restart", "ignore" };
	const struct toml_node *n = toml_get(t, "on_busy");

	ph->on_busy = MAKE_ON_BUSY_QUEUE;
	if (n == NULL || !make_type_ok(r, sect, n, TOML_STRING))
		return;
	for (size_t i = 0; i < MAKE_NELEM(choices); i++) {
		if (strcmp(n->u.s.ptr, choices[i]) == 0) {
			ph->on_busy = (enum make_on_busy)i;
			return;
		}
	}
	make_report_add(r, MAKE_RULE_BAD_VALUE, n->line, n->col,
	    "'%s.on_busy' must be queue, restart or ignore, found '%s'", sect,
	    n->u.s.ptr);
}

static struct make_pos
make_pos_of(const struct toml_node *t, const char *key)
{
	const struct toml_node *n = toml_get(t, key);
	struct make_pos pos = { 0, 0 };

	if (n != NULL) {
		pos.line = n->key_line;
		pos.col = n->key_col;
	}
	return pos;
}

static void
make_phase(struct make_report *r, const struct toml_node *t,
    struct make_phase *ph)
{
	const struct toml_node *cmd = toml_get(t, "command");
	const struct toml_node *cmds = toml_get(t, "commands");
	char sect[300];

	snprintf(sect, sizeof(sect), "lifecycle.%s", t->key);
	ph->name = xstrdup(t->key);
	ph->line = t->key_line;
	ph->col = t->key_col;
	make_unknown_keys(r, sect, t, make_phase_keys,
	    MAKE_NELEM(make_phase_keys));
	ph->description = make_string(r, sect, t, "description");
	if (cmd != NULL && cmds != NULL)
		make_report_add(r, MAKE_RULE_COMMAND_CONFLICT, cmds->key_line,
		    cmds->key_col, "phase '%s' sets both 'command' (%d:%d) "
		    "and 'commands'; 'command' wins, as in ggen", ph->name,
		    cmd->key_line, cmd->key_col);
	if (cmds != NULL) {
		/* Type-checked even when command wins, to report mistakes. */
		struct make_strlist l = { 0 };

		make_strlist_from(r, sect, cmds, &l);
		if (cmd == NULL)
			ph->commands = l;
		else
			make_strlist_free(&l);
	}
	if (cmd != NULL && make_type_ok(r, sect, cmd, TOML_STRING)) {
		ph->commands.items = xcalloc(1, sizeof(*ph->commands.items));
		ph->commands.items[0].s = xstrdup(cmd->u.s.ptr);
		ph->commands.items[0].line = cmd->line;
		ph->commands.items[0].col = cmd->col;
		ph->commands.len = 1;
		ph->commands.line = cmd->key_line;
		ph->commands.col = cmd->key_col;
	}
	make_strlist(r, sect, t, "templates", &ph->templates);
	if (ph->commands.len == 0 && ph->templates.len == 0 &&
	    (cmd == NULL || cmd->type == TOML_STRING) &&
	    (cmds == NULL || cmds->type == TOML_ARRAY))
		make_report_add(r, MAKE_RULE_PHASE_EMPTY, t->line, t->col,
		    "phase '%s' has neither commands nor templates", ph->name);
	make_globs(r, "templates", &ph->templates, 0);
	make_phase_watch(r, sect, t, ph);
	make_globs(r, "watch", &ph->watch_globs, 0);
	make_strlist(r, sect, t, "inputs", &ph->inputs);
	make_globs(r, "inputs", &ph->inputs, 0);
	if (toml_get(t, "inputs") == NULL && ph->watch_globs.len > 0) {
		ph->inputs.items = xcalloc(ph->watch_globs.len,
		    sizeof(*ph->inputs.items));
		for (size_t i = 0; i < ph->watch_globs.len; i++) {
			ph->inputs.items[i] = ph->watch_globs.items[i];
			ph->inputs.items[i].s = xstrdup(ph->watch_globs.items[i].s);
		}
		ph->inputs.len = ph->watch_globs.len;
	}
	make_strlist(r, sect, t, "outputs", &ph->outputs);
	ph->cache = make_bool(r, sect, t, "cache", false);
	make_phase_env(r, sect, t, ph);
	ph->timeout_s = make_int(r, sect, t, "timeout", 1,
	    MAKE_TIMEOUT_DEFAULT_S);
	ph->parallel = make_bool(r, sect, t, "parallel", false);
	make_strlist(r, sect, t, "workspaces", &ph->workspaces);
	make_phase_on_busy(r, sect, t, ph);
	ph->budget_ms = make_int(r, sect, t, "budget_ms", 0, 0);
	if (toml_get(t, "tty") != NULL)
		ph->tty = make_bool(r, sect, t, "tty", false) ? MAKE_TTY_ON :
		    MAKE_TTY_OFF;
	ph->pos_description = make_pos_of(t, "description");
	ph->pos_watch = make_pos_of(t, "watch");
	ph->pos_cache = make_pos_of(t, "cache");
	ph->pos_env = make_pos_of(t, "env");
	ph->pos_timeout = make_pos_of(t, "timeout");
	ph->pos_parallel = make_pos_of(t, "parallel");
	ph->pos_on_busy = make_pos_of(t, "on_busy");
	ph->pos_budget = make_pos_of(t, "budget_ms");
	if (toml_get(t, "port") != NULL)
		make_int(r, sect, t, "port", 0, 0);
}

static void
make_lifecycle_section(struct make_report *r, const struct toml_node *root,
    struct make_project *p)
{
	const struct toml_node *t = make_table(r, "", root, "lifecycle");

	if (t == NULL)
		return;
	p->phases = xcalloc(toml_len(t) + 1, sizeof(*p->phases));
	for (size_t i = 0; i < toml_len(t); i++) {
		const struct toml_node *c = toml_at(t, i);

		if (!make_type_ok(r, "lifecycle", c, TOML_TABLE))
			continue;
		make_phase(r, c, &p->phases[p->phases_len++]);
	}
	qsort(p->phases, p->phases_len, sizeof(*p->phases), make_phase_cmp);
}

/* Valid [hooks] keys, for "did you mean"; built on the first miss only. */
struct make_hook_names {
	const char **names;
	size_t len;
};

static const char *
make_hooks_suggest(const struct make_report *r, const struct make_project *p,
    struct make_hook_names *hn, const char *key)
{
	if (r->findings == NULL || r->findings->len >= MAKE_FINDINGS_MAX)
		return NULL;
	if (hn->names == NULL) {
		hn->names = xcalloc(MAKE_NELEM(make_hook_keys) +
		    2 * p->phases_len + 1, sizeof(*hn->names));
		for (size_t i = 0; i < MAKE_NELEM(make_hook_keys); i++)
			hn->names[hn->len++] = make_hook_keys[i];
		for (size_t i = 0; i < p->phases_len; i++) {
			hn->names[hn->len++] = xasprintf("before_%s",
			    p->phases[i].name);
			hn->names[hn->len++] = xasprintf("after_%s",
			    p->phases[i].name);
		}
	}
	return make_suggest(r, key, hn->names, hn->len);
}

static void
make_hook_names_free(struct make_hook_names *hn)
{
	for (size_t i = MAKE_NELEM(make_hook_keys); i < hn->len; i++)
		free((char *)hn->names[i]);
	free(hn->names);
}

static void
make_hooks_section(struct make_report *r, const struct toml_node *root,
    struct make_project *p)
{
	const struct toml_node *t = make_table(r, "", root, "hooks");
	struct make_hook_names hn = { 0 };

	if (t == NULL)
		return;
	make_strlist(r, "hooks", t, "before_all", &p->hooks.before_all);
	make_strlist(r, "hooks", t, "after_all", &p->hooks.after_all);
	make_strlist(r, "hooks", t, "on_error", &p->hooks.on_error);
	make_strlist(r, "hooks", t, "on_success", &p->hooks.on_success);
	p->hooks.parallel = make_bool(r, "hooks", t, "parallel", false);
	for (size_t i = 0; i < toml_len(t); i++) {
		const struct toml_node *c = toml_at(t, i);
		const char *name = NULL, *alt;
		bool before = false, fixed = false;
		struct make_phase *ph;

		for (size_t k = 0; k < MAKE_NELEM(make_hook_keys); k++)
			fixed = fixed || strcmp(c->key, make_hook_keys[k]) == 0;
		if (fixed)
			continue;
		if (strncmp(c->key, "before_", 7) == 0) {
			name = c->key + 7;
			before = true;
		} else if (strncmp(c->key, "after_", 6) == 0) {
			name = c->key + 6;
		}
		ph = name != NULL ? (struct make_phase *)make_phase_find(p,
		    name) : NULL;
		if (ph != NULL) {
			make_strlist_from(r, "hooks", c,
			    before ? &ph->before : &ph->after);
			continue;
		}
		alt = make_hooks_suggest(r, p, &hn, c->key);
		if (name != NULL)
			make_report_add(r, MAKE_RULE_HOOK_UNKNOWN_PHASE,
			    c->key_line, c->key_col,
			    "hook '%s' names unknown phase '%s'%s%s%s", c->key,
			    name, alt ? "; did you mean '" : "",
			    alt ? alt : "", alt ? "'?" : "");
		else
			make_report_add(r, MAKE_RULE_UNKNOWN_KEY, c->key_line,
			    c->key_col, "unknown key 'hooks.%s'%s%s%s", c->key,
			    alt ? "; did you mean '" : "", alt ? alt : "",
			    alt ? "'?" : "");
	}
	make_hook_names_free(&hn);
}

static void
make_build(struct make_report *r, struct toml_doc *doc, struct make_project *p)
{
	const struct toml_node *root = toml_doc_root(doc);

	make_unknown_keys(r, "", root, make_top_keys, MAKE_NELEM(make_top_keys));
	make_project_section(r, root, p);
	make_workspace_section(r, root, p);
	p->vars = make_table(r, "", root, "vars");
	make_watch_section(r, root, p);
	make_cache_section(r, root, p);
	make_lifecycle_section(r, root, p);
	make_hooks_section(r, root, p);
	make_check_model(r, p);
}

/* Parse into a new project (possibly with errors); NULL on TOML errors. */
static int
make_parse_one(const char *buf, size_t len, const char *filename,
    struct make_report *r, struct make_project **out)
{
	struct toml_doc *doc;
	struct make_project *p;
	struct gerr terr;
	int rc;

	*out = NULL;
	gerr_clear(&terr);
	rc = toml_parse(buf, len, filename, &doc, &terr);
	if (rc != 0) {
		make_report_add(r, MAKE_RULE_TOML_SYNTAX, terr.line, terr.col,
		    "%s", terr.msg);
		r->first.code = (enum gerr_code)rc;
		return rc;
	}
	p = xcalloc(1, sizeof(*p));
	p->refs = 1;
	p->file = xstrdup(filename != NULL ? filename : "");
	p->doc = doc;
	make_build(r, doc, p);
	*out = p;
	return 0;
}

/* Copy r's first error into err and return its code; 0 when none. */
static int
make_finish(struct make_report *r, size_t from, struct gerr *err)
{
	if (r->findings != NULL)
		make_findings_sort(r->findings, from);
	if (r->errors == 0)
		return 0;
	if (err != NULL && err->code == GERR_OK)
		*err = r->first;
	return r->first.code;
}

int
make_parse_buffer(const char *buf, size_t len, const char *filename,
    struct make_project **out, struct make_findings *findings,
    struct gerr *err)
{
	struct make_report r = { .file = filename, .findings = findings };
	size_t from = findings != NULL ? findings->len : 0;
	struct make_project *p;
	int rc;

	*out = NULL;
	gerr_clear(&r.first);
	make_parse_one(buf, len, filename, &r, &p);
	rc = make_finish(&r, from, err);
	if (rc != 0) {
		make_project_free(p);
		return rc;
	}
	*out = p;
	return 0;
}

int
make_read_file(const char *path, struct strbuf *sb, bool *missing,
    struct gerr *err)
{
	char *buf;
	size_t len;
	int rc = fileio_read(path, MAKE_FILE_MAX_BYTES, 0, &buf, &len,
	    missing, err);

	if (rc == 0 && buf != NULL)
		strbuf_add(sb, buf, len);
	free(buf);
	return rc;
}

/* Check a workspace directory exists, is a directory, stays in the root. */
static void
make_check_workspace_dir(struct make_report *r, const char *root_real,
    const char *root_dir, const struct make_workspace *ws)
{
	char *dir = xasprintf("%s/%s", root_dir, ws->path);
	char *real = realpath(dir, NULL);
	struct stat st;
	int line = ws->path_line, col = ws->path_col;

	if (real == NULL || stat(real, &st) != 0) {
		make_report_add(r, MAKE_RULE_WORKSPACE_PATH, line, col,
		    "workspace '%s' path '%s' does not exist", ws->name,
		    ws->path);
	} else if (!S_ISDIR(st.st_mode)) {
		make_report_add(r, MAKE_RULE_WORKSPACE_PATH, line, col,
		    "workspace '%s' path '%s' is not a directory", ws->name,
		    ws->path);
	} else if (!path_is_inside(root_real, real)) {
		make_report_add(r, MAKE_RULE_WORKSPACE_PATH, line, col,
		    "workspace '%s' path '%s' resolves outside the root",
		    ws->name, ws->path);
	}
	free(real);
	free(dir);
}

/* root_dir[/sub]/make.toml, without a "./" the user never typed. */
static char *
make_load_file_name(const char *root_dir, const char *sub)
{
	if (strcmp(root_dir, ".") == 0)
		return sub == NULL ? xstrdup(MAKE_FILE_NAME) :
		    xasprintf("%s/%s", sub, MAKE_FILE_NAME);
	return sub == NULL ? xasprintf("%s/%s", root_dir, MAKE_FILE_NAME) :
	    xasprintf("%s/%s/%s", root_dir, sub, MAKE_FILE_NAME);
}

int
make_load(const char *root_dir, struct make_project **out,
    struct make_findings *findings, struct gerr *err)
{
	struct make_report r = { .findings = findings };
	struct strbuf sb = STRBUF_INIT;
	char *file = make_load_file_name(root_dir, NULL);
	char *root_real = NULL;
	size_t from = findings != NULL ? findings->len : 0;
	struct make_project *p = NULL;
	bool missing;
	int rc, ws_rc = 0;

	*out = NULL;
	gerr_clear(&r.first);
	r.file = file;
	rc = make_read_file(file, &sb, &missing, err);
	if (rc == 0 && missing)
		rc = gerr_set(err, GERR_IO, "open %s: %s", file,
		    strerror(ENOENT));
	if (rc != 0)
		goto out;
	make_parse_one(sb.buf, sb.len, file, &r, &p);
	/* Workspace directories are findings of the root file: check them
	 * all before that file's findings are sorted. */
	root_real = realpath(root_dir, NULL);
	for (size_t i = 0; p != NULL && i < p->workspaces_len; i++) {
		const struct make_workspace *ws = &p->workspaces[i];

		if (ws->path == NULL)
			continue;
		if (root_real == NULL)
			make_report_add(&r, MAKE_RULE_WORKSPACE_PATH, ws->line,
			    ws->col, "root '%s' cannot be resolved: %s",
			    root_dir, strerror(errno));
		else
			make_check_workspace_dir(&r, root_real, root_dir, ws);
	}
	rc = make_finish(&r, from, err);
	/* Every workspace file is checked even after one fails, so validate
	 * reports them all; the first failure is the one returned. */
	for (size_t i = 0; p != NULL && i < p->workspaces_len; i++) {
		struct make_workspace *ws = &p->workspaces[i];
		struct make_report wr = { .findings = findings };
		char *wfile;
		int wrc;

		if (rc != 0)
			break;
		wfile = make_load_file_name(root_dir, ws->path);

		/* A workspace's own file replaces the root's for it; it is
		 * loaded as a plain file: its own workspaces are not followed. */
		from = findings != NULL ? findings->len : 0;
		strbuf_reset(&sb);
		gerr_clear(&wr.first);
		wr.file = wfile;
		wrc = make_read_file(wfile, &sb, &missing, ws_rc == 0 ? err : NULL);
		if (wrc == 0 && !missing) {
			make_parse_one(sb.buf, sb.len, wfile, &wr, &ws->own);
			wrc = make_finish(&wr, from, ws_rc == 0 ? err : NULL);
		}
		if (ws_rc == 0)
			ws_rc = wrc;
		free(wfile);
	}
	if (rc == 0)
		rc = ws_rc;
out:
	free(root_real);
	free(file);
	strbuf_release(&sb);
	if (rc != 0) {
		make_project_free(p);
		return rc;
	}
	*out = p;
	return 0;
}

static void
make_phase_free(struct make_phase *ph)
{
	free(ph->name);
	free(ph->description);
	make_strlist_free(&ph->commands);
	make_strlist_free(&ph->templates);
	make_strlist_free(&ph->watch_globs);
	make_strlist_free(&ph->inputs);
	make_strlist_free(&ph->outputs);
	make_strlist_free(&ph->workspaces);
	make_strlist_free(&ph->before);
	make_strlist_free(&ph->after);
	for (size_t i = 0; i < ph->env_len; i++) {
		free(ph->env[i].key);
		free(ph->env[i].value);
	}
	free(ph->env);
}

struct make_project *
make_project_ref(struct make_project *p)
{
	if (p->refs == 0)
		fatal("make_project_ref: project %s already freed", p->file);
	p->refs++;
	return p;
}

void
make_project_free(struct make_project *p)
{
	make_project_unref(p);
}

void
make_project_unref(struct make_project *p)
{
	if (p == NULL)
		return;
	if (p->refs == 0)
		fatal("make_project_unref: project %s already freed", p->file);
	if (--p->refs > 0)
		return;
	for (size_t i = 0; i < p->phases_len; i++)
		make_phase_free(&p->phases[i]);
	free(p->phases);
	for (size_t i = 0; i < p->workspaces_len; i++) {
		free(p->workspaces[i].name);
		free(p->workspaces[i].path);
		make_project_free(p->workspaces[i].own);
	}
	free(p->workspaces);
	make_strlist_free(&p->watch_ignore);
	make_strlist_free(&p->platform_inputs);
	make_strlist_free(&p->hooks.before_all);
	make_strlist_free(&p->hooks.after_all);
	make_strlist_free(&p->hooks.on_error);
	make_strlist_free(&p->hooks.on_success);
	free(p->name);
	free(p->type);
	free(p->version);
	free(p->description);
	free(p->file);
	toml_doc_free(p->doc);
	free(p);
}

const struct make_phase *
make_phase_find(const struct make_project *p, const char *name)
{
	struct make_phase key = { .name = (char *)name };

	if (p->phases_len == 0)
		return NULL;
	return bsearch(&key, p->phases, p->phases_len, sizeof(*p->phases),
	    make_phase_cmp);
}

const struct make_workspace *
make_workspace_find(const struct make_project *p, const char *name)
{
	struct make_workspace key = { .name = (char *)name };

	if (p->workspaces_len == 0)
		return NULL;
	return bsearch(&key, p->workspaces, p->workspaces_len,
	    sizeof(*p->workspaces), make_workspace_cmp);
}
