/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * make.c - make.toml -> struct make_project (doc/ARCHITECTURE.md 7).
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
	"cache", "env",
};
/* Tables that configure ggen itself (its state file, dependency checks,
 * script aliases...): real ggen files carry them; ggend has no use for
 * them. One `ggen-only` warning each, not an `unknown-key` typo. ([cache]
 * is ours: the remote cache.) */
static const char *const make_ggen_tables[] = {
	"state", "deps", "scripts", "monitoring", "execution",
	"security", "performance", "quality_gates", "backup", "integrations",
	"production", "metadata", "config", "ai", "marketplace", "rdf",
	"graph", "templates", "features", "dependencies", "deployment",
	"testing", "documentation", "ci", "notifications", "logging",
	"profiles", "registry", "plugins", "validation", "telemetry",
};
/* [cache]: the shared output cache (doc/remote-cache.md). */
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
	"on_busy", "budget_ms", "port", "tty", "depends_on", "cache_key",
	"first_run_only", "requires_approval",
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
	for (size_t i = 0; i < l->len; i++) {
		free(l->items[i].s);
		if (l->globs != NULL)
			glob_free(l->globs[i]);
	}
	free(l->globs);
	free(l->items);
	memset(l, 0, sizeof(*l));
}

/* Check l's patterns (bad ones are findings); keep: store the compiled
 * globs in l->globs for the model's life (one compile per pattern). */
static void
make_globs(struct make_report *r, const char *what, struct make_strlist *l,
    unsigned flags, bool keep)
{
	if (keep)
		l->globs = xcalloc(l->len + 1, sizeof(*l->globs));
	for (size_t i = 0; i < l->len; i++) {
		struct glob *g = make_check_glob(r, what, &l->items[i], flags);

		if (keep)
			l->globs[i] = g;
		else
			glob_free(g);
	}
}

/*
 * Compile l's patterns into l->globs, once for the model's life, for the
 * lists make_globs does not check (outputs: a pattern also matches
 * everything below it and may end in '/'; inputs copied from watch).
 * Patterns that do not compile stay NULL (they never match).
 */
static void
make_compile_globs(struct make_strlist *l, bool outputs)
{
	l->globs = xcalloc(l->len + 1, sizeof(*l->globs));
	for (size_t i = 0; i < l->len; i++) {
		char *p = xstrdup(l->items[i].s);
		size_t n = strlen(p);

		if (outputs)
			while (n > 1 && p[n - 1] == '/')
				p[--n] = '\0';
		if (glob_compile(p, outputs ? GLOB_DIR_PREFIX : 0,
		    &l->globs[i], NULL) != 0)
			l->globs[i] = NULL;
		free(p);
	}
}

long
make_strlist_match(const struct make_strlist *l, const char *rel)
{
	size_t n = strlen(rel);

	for (size_t i = 0; l->globs != NULL && i < l->len; i++)
		if (l->globs[i] != NULL && glob_match(l->globs[i], rel, n))
			return (long)i;
	return -1;
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

/* The name of the directory holding file (as named: "a/b/make.toml" is
 * "b"; "make.toml" is the current directory's). Caller frees. */
static char *
make_dir_name(const char *file)
{
	size_t dlen = file != NULL ? path_dirname_len(file) : 0;
	char *dir = dlen > 0 ? xstrndup(file, dlen) : xstrdup(".");
	char *real = realpath(dir, NULL);
	const char *use = real != NULL ? real : dir;
	size_t blen;
	const char *base = path_basename(use, &blen);
	char *name;

	name = blen > 0 && strcmp(use, "/") != 0 ? xstrndup(base, blen) :
	    xstrdup("project");
	free(real);
	free(dir);
	return name;
}

/* Top-level keys: ggen's own tables get one `ggen-only` warning each;
 * the rest are typos (`unknown-key`, with a suggestion when close). */
static void
make_top_unknown(struct make_report *r, const struct toml_node *root)
{
	for (size_t i = 0; i < toml_len(root); i++) {
		const struct toml_node *c = toml_at(root, i);
		const char *alt;
		bool ok = false;

		for (size_t k = 0; k < MAKE_NELEM(make_top_keys) && !ok; k++)
			ok = strcmp(c->key, make_top_keys[k]) == 0;
		for (size_t k = 0; k < MAKE_NELEM(make_ggen_tables) && !ok;
		    k++)
			if (strcmp(c->key, make_ggen_tables[k]) == 0) {
				make_report_add(r, MAKE_RULE_GGEN_ONLY,
				    c->key_line, c->key_col, "[%s] configures "
				    "ggen itself; ggend ignores it", c->key);
				ok = true;
			}
		if (ok)
			continue;
		alt = make_suggest(r, c->key, make_top_keys,
		    MAKE_NELEM(make_top_keys));
		if (alt == NULL && (c->type == TOML_TABLE ||
		    (c->type == TOML_ARRAY && c->aot))) {
			make_report_add(r, MAKE_RULE_GGEN_ONLY, c->key_line,
			    c->key_col, "[%s] is not a ggend table (ggen-only "
			    "settings are ignored)", c->key);
			continue;
		}
		make_report_add(r, MAKE_RULE_UNKNOWN_KEY, c->key_line,
		    c->key_col, "unknown key '%s'%s%s%s", c->key,
		    alt ? "; did you mean '" : "", alt ? alt : "",
		    alt ? "'?" : "");
	}
}

static void
make_env_free(struct make_env *env, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(env[i].key);
		free(env[i].value);
	}
	free(env);
}

static void
make_project_section(struct make_report *r, const struct toml_node *root,
    struct make_project *p)
{
	const struct toml_node *t = toml_get(root, "project");

	if (t == NULL) {
		/* ggen's own examples often have none (make.toml(5)). */
		p->name = make_dir_name(r->file);
		make_report_add(r, MAKE_RULE_MISSING_PROJECT, 1, 1,
		    "no [project] table; the project is named after its "
		    "directory, '%s'", p->name);
		return;
	}
	if (!make_type_ok(r, "", t, TOML_TABLE))
		return;
	p->has_project = true;
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
	/* Checked only: common/ignore.c compiles them its own way. */
	make_globs(r, "watch.ignore", &p->watch_ignore,
	    GLOB_BASENAME | GLOB_DIR_PREFIX, false);
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
	/* ggen's files carry a [cache] of ggen's own (enable_caching,
	 * cache_directory, ...): with none of our keys, one ggen-only
	 * warning says so instead of one unknown-key per line. */
	{
		bool ours = false;

		for (size_t i = 0; i < MAKE_NELEM(make_cache_keys); i++)
			ours = ours || toml_get(t, make_cache_keys[i]) != NULL;
		if (!ours && toml_len(t) > 0) {
			make_report_add(r, MAKE_RULE_GGEN_ONLY, t->key_line,
			    t->key_col, "[cache] holds ggen's own cache "
			    "settings; ggend ignores them (its [cache] takes "
			    "remote and platform_inputs)");
			return;
		}
	}
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
		/* A table is an environment override (make_phase_variants). */
		if (v->type == TOML_TABLE ||
		    !make_type_ok(r, esect, v, TOML_STRING))
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

/* make_phase flags */
enum {
	MAKE_PHASE_MAY_BE_EMPTY = 1,	/* an override: keys are optional */
	MAKE_PHASE_NO_VARIANTS = 2,	/* do not look for env overrides */
	MAKE_PHASE_NO_UNKNOWN = 4,	/* unknown keys already reported */
};

static void make_phase_release(struct make_phase *ph);

/*
 * cache_key = "Cargo.toml|Cargo.lock": more input files for the key
 * (ggen's meaning). ggen also accepts a template such as
 * "{{ hash('Cargo.lock') }}": the quoted names in it are the files.
 */
static void
make_phase_cache_key(struct make_report *r, const char *sect,
    const struct toml_node *t, struct make_phase *ph)
{
	const struct toml_node *n = toml_get(t, "cache_key");
	const size_t old_len = ph->inputs.len;
	const char *s, *end;
	size_t k;

	if (n == NULL || !make_type_ok(r, sect, n, TOML_STRING))
		return;
	for (s = n->u.s.ptr; *s != '\0'; s = *end != '\0' ? end + 1 : end) {
		const char *a, *b;
		char *tok;

		end = strchr(s, '|');
		if (end == NULL)
			end = s + strlen(s);
		a = s;
		b = end;
		while (a < b && (*a == ' ' || *a == '\t'))
			a++;
		while (b > a && (b[-1] == ' ' || b[-1] == '\t'))
			b--;
		tok = xstrndup(a, (size_t)(b - a));
		if (strstr(tok, "{{") != NULL) {
			/* Template form: every quoted string is a file. */
			char *q = tok, *qe;

			while ((q = strpbrk(q, "'\"")) != NULL &&
			    (qe = strchr(q + 1, *q)) != NULL) {
				char *name = xstrndup(q + 1,
				    (size_t)(qe - q - 1));

				k = ph->inputs.len;
				ph->inputs.items = xreallocarray(
				    ph->inputs.items, k + 2,
				    sizeof(*ph->inputs.items));
				ph->inputs.items[k].s = name;
				ph->inputs.items[k].line = n->line;
				ph->inputs.items[k].col = n->col;
				ph->inputs.len = k + 1;
				q = qe + 1;
			}
			free(tok);
			continue;
		}
		if (*tok == '\0') {
			free(tok);
			continue;
		}
		k = ph->inputs.len;
		ph->inputs.items = xreallocarray(ph->inputs.items, k + 2,
		    sizeof(*ph->inputs.items));
		ph->inputs.items[k].s = tok;
		ph->inputs.items[k].line = n->line;
		ph->inputs.items[k].col = n->col;
		ph->inputs.len = k + 1;
		glob_free(make_check_glob(r, "cache_key", &ph->inputs.items[k], 0));
	}
	if (ph->inputs.line == 0) {
		ph->inputs.line = n->key_line;
		ph->inputs.col = n->key_col;
	}
	/* The list grew: its compiled globs (one per item) are made anew. */
	if (ph->inputs.len == old_len)
		return;
	for (k = 0; ph->inputs.globs != NULL && k < old_len; k++)
		glob_free(ph->inputs.globs[k]);
	free(ph->inputs.globs);
	make_compile_globs(&ph->inputs, false);
}

static void make_phase_variants(struct make_report *r, const char *sect,
    const struct toml_node *t, struct make_phase *ph);

static void
make_phase(struct make_report *r, const struct toml_node *t,
    struct make_phase *ph, const char *sect_in, unsigned flags)
{
	const struct toml_node *cmd = toml_get(t, "command");
	const struct toml_node *cmds = toml_get(t, "commands");
	char sect[300];

	if (sect_in != NULL)
		snprintf(sect, sizeof(sect), "%s", sect_in);
	else
		snprintf(sect, sizeof(sect), "lifecycle.%s", t->key);
	ph->name = xstrdup(t->key);
	ph->line = t->key_line;
	ph->col = t->key_col;
	if (!(flags & MAKE_PHASE_NO_UNKNOWN))
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
	    !(flags & MAKE_PHASE_MAY_BE_EMPTY) &&
	    (cmd == NULL || cmd->type == TOML_STRING) &&
	    (cmds == NULL || cmds->type == TOML_ARRAY))
		make_report_add(r, MAKE_RULE_PHASE_EMPTY, t->line, t->col,
		    "phase '%s' has neither commands nor templates", ph->name);
	make_globs(r, "templates", &ph->templates, 0, true);
	/* A SRC:DEST pair names its source; it is not a glob. */
	for (size_t i = 0; i < ph->templates.len; i++)
		if (strchr(ph->templates.items[i].s, ':') != NULL) {
			glob_free(ph->templates.globs[i]);
			ph->templates.globs[i] = NULL;
		}
	make_phase_watch(r, sect, t, ph);
	make_globs(r, "watch", &ph->watch_globs, 0, true);
	make_strlist(r, sect, t, "inputs", &ph->inputs);
	make_globs(r, "inputs", &ph->inputs, 0, true);
	if (toml_get(t, "inputs") == NULL && ph->watch_globs.len > 0) {
		ph->inputs.items = xcalloc(ph->watch_globs.len,
		    sizeof(*ph->inputs.items));
		for (size_t i = 0; i < ph->watch_globs.len; i++) {
			ph->inputs.items[i] = ph->watch_globs.items[i];
			ph->inputs.items[i].s = xstrdup(ph->watch_globs.items[i].s);
		}
		ph->inputs.len = ph->watch_globs.len;
		free(ph->inputs.globs);
		make_compile_globs(&ph->inputs, false);
	}
	make_strlist(r, sect, t, "outputs", &ph->outputs);
	make_compile_globs(&ph->outputs, true);
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
	make_phase_cache_key(r, sect, t, ph);
	make_strlist(r, sect, t, "depends_on", &ph->depends_on);
	ph->first_run_only = make_bool(r, sect, t, "first_run_only", false);
	ph->requires_approval = make_bool(r, sect, t, "requires_approval",
	    false);
	if (!(flags & MAKE_PHASE_NO_VARIANTS))
		make_phase_variants(r, sect, t, ph);
}

static int
make_variant_cmp(const void *a, const void *b)
{
	return strcmp(((const struct make_variant *)a)->env,
	    ((const struct make_variant *)b)->env);
}

/* Keys an override replaces as one: writing either command key drops
 * both of the base's (else the base's `command` would win). */
static bool
make_overridden(const struct toml_node *over, const char *key)
{
	if (toml_get(over, key) != NULL)
		return true;
	if (strcmp(key, "command") == 0 || strcmp(key, "commands") == 0)
		return toml_get(over, "command") != NULL ||
		    toml_get(over, "commands") != NULL;
	return false;
}

/*
 * A table node holding base's keys with over's on top (items borrowed;
 * the item array is the caller's to free). `env` stays the base's: an
 * override names the phase's keys, and its variables come from [env].
 */
static void
make_merge(const struct toml_node *base, const struct toml_node *over,
    struct toml_node *out)
{
	size_t n = 0;

	*out = *base;
	out->u.c.items = xcalloc(toml_len(base) + toml_len(over) + 1,
	    sizeof(*out->u.c.items));
	out->u.c.index = NULL;
	out->u.c.index_cap = 0;
	for (size_t i = 0; i < toml_len(base); i++) {
		const struct toml_node *c = toml_at(base, i);

		if (!make_overridden(over, c->key))
			out->u.c.items[n++] = (struct toml_node *)c;
	}
	for (size_t i = 0; i < toml_len(over); i++) {
		const struct toml_node *c = toml_at(over, i);

		if (strcmp(c->key, "env") != 0)
			out->u.c.items[n++] = (struct toml_node *)c;
	}
	out->u.c.len = n;
	out->u.c.cap = n;
}

/* Add to ph a variant for env built from the merged table m: checked
 * quietly, since every key was reported where it was written. */
static void
make_variant_add(struct make_report *r, struct make_phase *ph,
    const char *env, int line, int col, const struct toml_node *m)
{
	struct make_report quiet = { .file = r->file };
	struct make_variant *v;

	gerr_clear(&quiet.first);
	ph->variants = xreallocarray(ph->variants, ph->variants_len + 1,
	    sizeof(*ph->variants));
	v = &ph->variants[ph->variants_len++];
	v->env = xstrdup(env);
	v->line = line;
	v->col = col;
	v->phase = xcalloc(1, sizeof(*v->phase));
	make_phase(&quiet, m, v->phase, NULL, MAKE_PHASE_NO_VARIANTS);
	v->phase->decl = ph->decl;
}

/* [lifecycle.NAME.env.ENV] tables: NAME as it is in environment ENV. */
static void
make_phase_variants(struct make_report *r, const char *sect,
    const struct toml_node *t, struct make_phase *ph)
{
	const struct toml_node *e = toml_get(t, "env");

	if (e == NULL || e->type != TOML_TABLE)
		return;
	for (size_t i = 0; i < toml_len(e); i++) {
		const struct toml_node *o = toml_at(e, i);
		struct make_phase check;
		struct toml_node merged;
		char osect[400];

		if (o->type != TOML_TABLE)
			continue;
		/* Report the override's own mistakes once, where written. */
		snprintf(osect, sizeof(osect), "%s.env.%s", sect, o->key);
		memset(&check, 0, sizeof(check));
		make_unknown_keys(r, osect, o, make_phase_keys,
		    MAKE_NELEM(make_phase_keys));
		make_phase(r, o, &check, osect, MAKE_PHASE_MAY_BE_EMPTY |
		    MAKE_PHASE_NO_VARIANTS | MAKE_PHASE_NO_UNKNOWN);
		make_phase_release(&check);
		make_merge(t, o, &merged);
		make_variant_add(r, ph, o->key, o->line, o->col, &merged);
		free(merged.u.c.items);
	}
	if (ph->variants_len > 1)
		qsort(ph->variants, ph->variants_len, sizeof(*ph->variants),
		    make_variant_cmp);
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
		p->phases[p->phases_len].decl = p->phases_len;
		make_phase(r, c, &p->phases[p->phases_len++], NULL, 0);
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

/*
 * Hook key of [hooks]: a list of phase names (ggen), or a table of shell
 * commands ([hooks.after_build] commands = [...], make.toml(5)) that
 * becomes a phase of its own named after the key (*cmds, owned).
 */
static void
make_hook_list(struct make_report *r, const struct toml_node *t,
    const char *key, struct make_strlist *names, struct make_phase **cmds)
{
	const struct toml_node *c = toml_get(t, key);
	char sect[300];

	if (c == NULL)
		return;
	if (c->type != TOML_TABLE) {
		make_strlist_from(r, "hooks", c, names);
		return;
	}
	snprintf(sect, sizeof(sect), "hooks.%s", key);
	*cmds = xcalloc(1, sizeof(**cmds));
	make_phase(r, c, *cmds, sect, MAKE_PHASE_NO_VARIANTS);
}

/* on_error / on_success: one shell command as a string, or a list. */
static void
make_cmd_list(struct make_report *r, const struct toml_node *t,
    const char *key, struct make_strlist *out)
{
	const struct toml_node *c = toml_get(t, key);

	if (c == NULL)
		return;
	if (c->type != TOML_STRING) {
		make_strlist_from(r, "hooks", c, out);
		return;
	}
	out->items = xcalloc(1, sizeof(*out->items));
	out->items[0].s = xstrdup(c->u.s.ptr);
	out->items[0].line = c->line;
	out->items[0].col = c->col;
	out->len = 1;
	out->line = c->key_line;
	out->col = c->key_col;
}

static void
make_hooks_section(struct make_report *r, const struct toml_node *root,
    struct make_project *p)
{
	const struct toml_node *t = make_table(r, "", root, "hooks");
	struct make_hook_names hn = { 0 };

	if (t == NULL)
		return;
	make_hook_list(r, t, "before_all", &p->hooks.before_all,
	    &p->hooks.before_all_cmds);
	make_hook_list(r, t, "after_all", &p->hooks.after_all,
	    &p->hooks.after_all_cmds);
	make_cmd_list(r, t, "on_error", &p->hooks.on_error);
	make_cmd_list(r, t, "on_success", &p->hooks.on_success);
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
			make_hook_list(r, t, c->key, before ? &ph->before :
			    &ph->after, before ? &ph->before_cmds :
			    &ph->after_cmds);
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

static int
make_profile_cmp(const void *a, const void *b)
{
	return strcmp(((const struct make_profile *)a)->name,
	    ((const struct make_profile *)b)->name);
}

static void
make_env_add(struct make_env **env, size_t *n, const struct toml_node *v)
{
	*env = xreallocarray(*env, *n + 1, sizeof(**env));
	(*env)[*n].key = xstrdup(v->key);
	(*env)[*n].value = xstrdup(v->u.s.ptr);
	(*env)[*n].line = v->key_line;
	(*env)[*n].col = v->key_col;
	(*n)++;
}

/* [env.NAME] commands.PHASE = "cmd" (or a list): PHASE's commands in
 * NAME, unless [lifecycle.PHASE.env.NAME] already says more. */
static void
make_profile_commands(struct make_report *r, const struct toml_node *root,
    const char *env, const struct toml_node *cmds, struct make_project *p)
{
	const struct toml_node *lc = toml_get(root, "lifecycle");

	for (size_t i = 0; i < toml_len(cmds); i++) {
		const struct toml_node *k = toml_at(cmds, i);
		struct make_phase *ph = (struct make_phase *)make_phase_find(p,
		    k->key);
		struct toml_node cn, over, merged;
		struct toml_node *items[1];

		if (ph == NULL) {
			make_report_add(r, MAKE_RULE_UNKNOWN_DEPENDENCY,
			    k->key_line, k->key_col, "'env.%s.commands.%s' "
			    "names unknown phase '%s'", env, k->key, k->key);
			continue;
		}
		if (k->type != TOML_STRING && k->type != TOML_ARRAY) {
			make_report_add(r, MAKE_RULE_WRONG_TYPE, k->line,
			    k->col, "'env.%s.commands.%s' must be a string or "
			    "an array of strings, found %s", env, k->key,
			    toml_type_name(k->type));
			continue;
		}
		if (make_phase_in_env(ph, env) != ph)
			continue;
		cn = *k;
		cn.key = k->type == TOML_STRING ? "command" : "commands";
		cn.key_len = strlen(cn.key);
		items[0] = &cn;
		memset(&over, 0, sizeof(over));
		over.type = TOML_TABLE;
		over.u.c.items = items;
		over.u.c.len = over.u.c.cap = 1;
		make_merge(toml_get(lc, ph->name), &over, &merged);
		make_variant_add(r, ph, env, k->line, k->col, &merged);
		free(merged.u.c.items);
		qsort(ph->variants, ph->variants_len, sizeof(*ph->variants),
		    make_variant_cmp);
	}
}

/*
 * Top-level [env]: string values for every phase; `detect = "auto"`;
 * tables are profiles [env.NAME] (strings, plus commands.PHASE).
 * After [lifecycle]: profiles may name phases.
 */
static void
make_env_section(struct make_report *r, const struct toml_node *root,
    struct make_project *p)
{
	const struct toml_node *t = make_table(r, "", root, "env");

	if (t == NULL)
		return;
	for (size_t i = 0; i < toml_len(t); i++) {
		const struct toml_node *c = toml_at(t, i);
		struct make_profile *pr;

		if (strcmp(c->key, "detect") == 0) {
			if (!make_type_ok(r, "env", c, TOML_STRING))
				continue;
			if (strcmp(c->u.s.ptr, "auto") == 0)
				p->env_detect_auto = true;
			else if (strcmp(c->u.s.ptr, "none") != 0)
				make_report_add(r, MAKE_RULE_BAD_VALUE, c->line,
				    c->col, "'env.detect' must be \"auto\" or "
				    "\"none\", found '%s'", c->u.s.ptr);
			continue;
		}
		if (c->type == TOML_STRING) {
			make_env_add(&p->env, &p->env_len, c);
			continue;
		}
		if (c->type != TOML_TABLE) {
			make_report_add(r, MAKE_RULE_WRONG_TYPE, c->line, c->col,
			    "'env.%s' must be a string (a variable) or a table "
			    "(a profile), found %s", c->key,
			    toml_type_name(c->type));
			continue;
		}
		p->profiles = xreallocarray(p->profiles, p->profiles_len + 1,
		    sizeof(*p->profiles));
		pr = &p->profiles[p->profiles_len++];
		memset(pr, 0, sizeof(*pr));
		pr->name = xstrdup(c->key);
		pr->line = c->line;
		pr->col = c->col;
		for (size_t k = 0; k < toml_len(c); k++) {
			const struct toml_node *v = toml_at(c, k);

			if (v->type == TOML_STRING)
				make_env_add(&pr->env, &pr->env_len, v);
			else if (strcmp(v->key, "commands") == 0 &&
			    v->type == TOML_TABLE)
				make_profile_commands(r, root, c->key, v, p);
			else
				make_report_add(r, MAKE_RULE_UNKNOWN_KEY,
				    v->key_line, v->key_col, "unknown key "
				    "'env.%s.%s' (a profile holds strings and "
				    "commands.PHASE)", c->key, v->key);
		}
		if (pr->env_len > 0)
			qsort(pr->env, pr->env_len, sizeof(*pr->env),
			    make_env_cmp);
	}
	if (p->env_len > 0)
		qsort(p->env, p->env_len, sizeof(*p->env), make_env_cmp);
	if (p->profiles_len > 0)
		qsort(p->profiles, p->profiles_len, sizeof(*p->profiles),
		    make_profile_cmp);
}

static void
make_build(struct make_report *r, struct toml_doc *doc, struct make_project *p)
{
	const struct toml_node *root = toml_doc_root(doc);

	if (toml_get(root, "tasks") != NULL &&
	    toml_get(root, "lifecycle") == NULL) {
		/* One clear error, not one per cargo-make key. */
		make_report_add(r, MAKE_RULE_CARGO_MAKE, 1, 1, "this is a "
		    "cargo-make file ([tasks.*] and no [lifecycle.*]), not a "
		    "ggen lifecycle file; run it with `cargo make`");
		return;
	}
	make_top_unknown(r, root);
	make_project_section(r, root, p);
	make_workspace_section(r, root, p);
	p->vars = make_table(r, "", root, "vars");
	make_watch_section(r, root, p);
	make_cache_section(r, root, p);
	make_lifecycle_section(r, root, p);
	make_env_section(r, root, p);
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
make_phase_release(struct make_phase *ph)
{
	if (ph == NULL)
		return;
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
	make_strlist_free(&ph->depends_on);
	make_phase_release(ph->before_cmds);
	free(ph->before_cmds);
	make_phase_release(ph->after_cmds);
	free(ph->after_cmds);
	for (size_t i = 0; i < ph->variants_len; i++) {
		free(ph->variants[i].env);
		make_phase_release(ph->variants[i].phase);
		free(ph->variants[i].phase);
	}
	free(ph->variants);
	make_env_free(ph->env, ph->env_len);
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
		make_phase_release(&p->phases[i]);
	make_env_free(p->env, p->env_len);
	for (size_t i = 0; i < p->profiles_len; i++) {
		free(p->profiles[i].name);
		make_env_free(p->profiles[i].env, p->profiles[i].env_len);
	}
	free(p->profiles);
	make_phase_release(p->hooks.before_all_cmds);
	free(p->hooks.before_all_cmds);
	make_phase_release(p->hooks.after_all_cmds);
	free(p->hooks.after_all_cmds);
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

const struct make_phase *
make_phase_in_env(const struct make_phase *ph, const char *env)
{
	if (env == NULL || *env == '\0')
		return ph;
	for (size_t i = 0; i < ph->variants_len; i++)
		if (strcmp(ph->variants[i].env, env) == 0)
			return ph->variants[i].phase;
	return ph;
}

const struct make_profile *
make_profile_find(const struct make_project *p, const char *name)
{
	for (size_t i = 0; i < p->profiles_len; i++)
		if (strcmp(p->profiles[i].name, name) == 0)
			return &p->profiles[i];
	return NULL;
}

static bool
make_env_declared_one(const struct make_project *p, const char *name)
{
	if (make_profile_find(p, name) != NULL)
		return true;
	for (size_t i = 0; i < p->phases_len; i++)
		if (make_phase_in_env(&p->phases[i], name) != &p->phases[i])
			return true;
	return false;
}

bool
make_env_declared(const struct make_project *p, const char *name)
{
	if (make_env_declared_one(p, name))
		return true;
	for (size_t i = 0; i < p->workspaces_len; i++)
		if (p->workspaces[i].own != NULL &&
		    make_env_declared_one(p->workspaces[i].own, name))
			return true;
	return false;
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
