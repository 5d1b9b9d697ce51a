/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * make_rules.c - the make.toml rule table, findings, and the checks that
 * need the whole model (hooks, hook cycles, filters, env names, globs).
 *
 * Owns: make_rules[] (read-only) and the strings of each finding.
 * Called by: common/make.c while loading; ggenc validate (formatting).
 * Invariants: every finding points at a make_rules[] row and carries that
 * row's severity; findings of one file are sorted by position once that file
 * is done, so output is stable whatever order the checks run in.
 * Never: stops at the first finding (validate shows them all).
 */
#include "make_rules.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "glob.h"
#include "xmalloc.h"

const struct make_rule make_rules[] = {
	[MAKE_RULE_TOML_SYNTAX] = { "toml-syntax", MAKE_ERROR,
		"the file is not valid TOML 1.0" },
	[MAKE_RULE_MISSING_TABLE] = { "missing-table", MAKE_ERROR,
		"a required table such as [project] is absent" },
	[MAKE_RULE_MISSING_KEY] = { "missing-key", MAKE_ERROR,
		"a required key such as project.name is absent" },
	[MAKE_RULE_WRONG_TYPE] = { "wrong-type", MAKE_ERROR,
		"a key has a value of the wrong TOML type" },
	[MAKE_RULE_BAD_VALUE] = { "bad-value", MAKE_ERROR,
		"a value is out of range or not one of the allowed choices" },
	[MAKE_RULE_UNKNOWN_KEY] = { "unknown-key", MAKE_WARNING,
		"a key ggen does not know; ignored at run time" },
	[MAKE_RULE_PHASE_EMPTY] = { "phase-empty", MAKE_ERROR,
		"a phase has neither commands nor templates" },
	[MAKE_RULE_COMMAND_CONFLICT] = { "command-conflict", MAKE_WARNING,
		"both command and commands are set; command wins (as in ggen)" },
	[MAKE_RULE_HOOK_UNKNOWN_PHASE] = { "hook-unknown-phase", MAKE_ERROR,
		"a hook names a phase that does not exist" },
	[MAKE_RULE_HOOK_CYCLE] = { "hook-cycle", MAKE_ERROR,
		"hooks reach a phase from itself" },
	[MAKE_RULE_WORKSPACE_PATH] = { "workspace-path", MAKE_ERROR,
		"a workspace path is missing or outside the root" },
	[MAKE_RULE_UNKNOWN_WORKSPACE] = { "unknown-workspace", MAKE_ERROR,
		"a phase's workspaces filter names an undeclared workspace" },
	[MAKE_RULE_BAD_GLOB] = { "bad-glob", MAKE_ERROR,
		"a glob pattern does not compile" },
	[MAKE_RULE_ENV_NAME] = { "env-name", MAKE_ERROR,
		"an env name does not match [A-Za-z_][A-Za-z0-9_]*" },
	[MAKE_RULE_TEMPLATE_ERROR] = { "template-error", MAKE_ERROR,
		"a template a phase names does not compile" },
	[MAKE_RULE_TEMPLATE_MISSING] = { "template-missing", MAKE_WARNING,
		"a phase's templates pattern matches no file" },
	[MAKE_RULE_COUNT] = { NULL, MAKE_ERROR, NULL },
};

/* Suggestions only within this edit distance (and shorter than the word). */
#define MAKE_SUGGEST_MAX_DIST 2
#define MAKE_SUGGEST_MAX_LEN 64
/* Cycle messages name at most this many phases. */
#define MAKE_CYCLE_NAMES_MAX 16

const struct make_rule *
make_rule_find(const char *id)
{
	for (const struct make_rule *r = make_rules; r->id != NULL; r++)
		if (strcmp(r->id, id) == 0)
			return r;
	return NULL;
}

void
make_findings_init(struct make_findings *f)
{
	memset(f, 0, sizeof(*f));
}

void
make_findings_release(struct make_findings *f)
{
	for (size_t i = 0; i < f->len; i++) {
		free(f->items[i].file);
		free(f->items[i].message);
	}
	free(f->items);
	make_findings_init(f);
}

void
make_report_add(struct make_report *r, enum make_rule_id rule, int line,
    int col, const char *fmt, ...)
{
	const struct make_rule *row = &make_rules[rule];
	struct make_findings *f = r->findings;
	struct make_finding *it;
	va_list ap;

	if (row->severity == MAKE_ERROR) {
		if (r->errors++ == 0) {
			va_start(ap, fmt);
			gerr_vset_at(&r->first, GERR_INVALID, r->file, line,
			    col, fmt, ap);
			va_end(ap);
		}
	}
	if (f == NULL)
		return;
	if (row->severity == MAKE_ERROR)
		f->errors++;
	else
		f->warnings++;
	if (f->len >= MAKE_FINDINGS_MAX) {
		f->dropped++;
		return;
	}
	if (f->len == f->cap) {
		f->cap = f->cap ? f->cap * 2 : 16;
		f->items = xreallocarray(f->items, f->cap, sizeof(*f->items));
	}
	it = &f->items[f->len++];
	it->rule = row;
	it->severity = row->severity;
	it->file = xstrdup(r->file != NULL ? r->file : "");
	it->line = line;
	it->col = col;
	va_start(ap, fmt);
	it->message = xvasprintf(fmt, ap);
	va_end(ap);
}

static int
make_rules_cmp_pos(const void *a, const void *b)
{
	const struct make_finding *x = a, *y = b;

	if (x->line != y->line)
		return x->line < y->line ? -1 : 1;
	if (x->col != y->col)
		return x->col < y->col ? -1 : 1;
	return 0;
}

void
make_findings_sort(struct make_findings *f, size_t from)
{
	/* Insertion sort: stable, and finding lists are short. */
	for (size_t i = from + 1; i < f->len; i++) {
		struct make_finding t = f->items[i];
		size_t j = i;

		while (j > from && make_rules_cmp_pos(&f->items[j - 1], &t) > 0) {
			f->items[j] = f->items[j - 1];
			j--;
		}
		f->items[j] = t;
	}
}

void
make_finding_format(const struct make_finding *f, struct strbuf *out)
{
	const char *sev = f->severity == MAKE_ERROR ? "error" : "warning";

	if (f->line > 0)
		strbuf_addf(out, "%s:%d:%d: %s: %s [%s]", f->file, f->line,
		    f->col, sev, f->message, f->rule->id);
	else
		strbuf_addf(out, "%s: %s: %s [%s]", f->file, sev, f->message,
		    f->rule->id);
}

void
make_source_caret(const char *buf, size_t len, int line, int col,
    struct strbuf *out)
{
	size_t start = 0, end;
	int l = 1;

	if (line < 1 || col < 1)
		return;
	while (l < line) {
		const char *nl = memchr(buf + start, '\n', len - start);

		if (nl == NULL)
			return;
		start = (size_t)(nl - buf) + 1;
		l++;
	}
	end = start;
	while (end < len && buf[end] != '\n' && buf[end] != '\r')
		end++;
	strbuf_add(out, buf + start, end - start);
	strbuf_addch(out, '\n');
	/* Keep tabs so the caret lines up under the same terminal stops. */
	for (size_t i = 0; i + 1 < (size_t)col && start + i < end; i++)
		strbuf_addch(out, buf[start + i] == '\t' ? '\t' : ' ');
	strbuf_addch(out, '^');
}

static size_t
make_rules_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	size_t row[MAKE_SUGGEST_MAX_LEN + 1];

	if (la > MAKE_SUGGEST_MAX_LEN || lb > MAKE_SUGGEST_MAX_LEN)
		return (size_t)-1;
	for (size_t j = 0; j <= lb; j++)
		row[j] = j;
	for (size_t i = 1; i <= la; i++) {
		size_t diag = row[0];

		row[0] = i;
		for (size_t j = 1; j <= lb; j++) {
			size_t up = row[j];
			size_t best = diag + (a[i - 1] != b[j - 1]);

			if (up + 1 < best)
				best = up + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			row[j] = best;
			diag = up;
		}
	}
	return row[lb];
}

const char *
make_suggest(const struct make_report *r, const char *word,
    const char *const *candidates, size_t n)
{
	if (r->findings == NULL || r->findings->len >= MAKE_FINDINGS_MAX)
		return NULL;
	return make_suggest_word(word, candidates, n);
}

const char *
make_suggest_word(const char *word, const char *const *candidates, size_t n)
{
	const char *best = NULL;
	size_t best_d = MAKE_SUGGEST_MAX_DIST + 1;
	size_t wl = strlen(word);

	for (size_t i = 0; i < n; i++) {
		size_t cl = strlen(candidates[i]);
		size_t d;

		/* The length gap bounds the distance from below: skip early. */
		if ((cl > wl ? cl - wl : wl - cl) >= best_d)
			continue;
		d = make_rules_distance(word, candidates[i]);

		if (d < best_d && d < wl) {
			best = candidates[i];
			best_d = d;
		}
	}
	return best;
}

static const struct make_phase *
make_rules_phase(const struct make_project *p, const char *name, size_t *idx)
{
	size_t lo = 0, hi = p->phases_len;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(name, p->phases[mid].name);

		if (c == 0) {
			if (idx != NULL)
				*idx = mid;
			return &p->phases[mid];
		}
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return NULL;
}

/* Report every entry of hook list l (named prefix + suffix) that is not
 * a phase; the name is only formatted when something is wrong. */
static void
make_rules_hook_list(struct make_report *r, const struct make_project *p,
    const char **names, const char *prefix, const char *suffix,
    const struct make_strlist *l)
{
	for (size_t i = 0; i < l->len; i++) {
		const struct make_str *s = &l->items[i];
		const char *alt;

		if (make_rules_phase(p, s->s, NULL) != NULL)
			continue;
		alt = make_suggest(r, s->s, names, p->phases_len);
		make_report_add(r, MAKE_RULE_HOOK_UNKNOWN_PHASE, s->line, s->col,
		    "hook '%s%s' names unknown phase '%s'%s%s%s", prefix,
		    suffix, s->s, alt ? "; did you mean '" : "",
		    alt ? alt : "", alt ? "'?" : "");
	}
}

/* The k-th hook edge of phase ph (before list, then after list). */
static const struct make_str *
make_rules_edge(const struct make_phase *ph, size_t k)
{
	if (k < ph->before.len)
		return &ph->before.items[k];
	k -= ph->before.len;
	return k < ph->after.len ? &ph->after.items[k] : NULL;
}

enum { MAKE_WHITE, MAKE_GRAY, MAKE_BLACK };

struct make_dfs_frame {
	size_t phase;
	size_t edge;
};

static void
make_rules_report_cycle(struct make_report *r, const struct make_project *p,
    const struct make_dfs_frame *stack, size_t depth, size_t target,
    const struct make_str *closing)
{
	struct strbuf sb = STRBUF_INIT;
	size_t from = depth;

	while (from > 0 && stack[from - 1].phase != target)
		from--;
	from--;		/* stack[from] is the target */
	if (depth - from > MAKE_CYCLE_NAMES_MAX) {
		strbuf_addf(&sb, "%s -> ... -> ", p->phases[target].name);
		from = depth - MAKE_CYCLE_NAMES_MAX + 1;
	}
	for (size_t i = from; i < depth; i++)
		strbuf_addf(&sb, "%s -> ", p->phases[stack[i].phase].name);
	strbuf_addstr(&sb, p->phases[target].name);
	make_report_add(r, MAKE_RULE_HOOK_CYCLE, closing->line, closing->col,
	    "hook cycle: %s", sb.buf);
	strbuf_release(&sb);
}

/*
 * Iterative DFS over hook edges (phase -> phases in its before_/after_
 * lists) so a hostile file with many phases cannot exhaust the stack. Each
 * back edge is one cycle, reported at the hook entry that closes it.
 */
static void
make_rules_cycles(struct make_report *r, const struct make_project *p)
{
	size_t n = p->phases_len;
	unsigned char *color = xcalloc(n ? n : 1, 1);
	struct make_dfs_frame *stack = xcalloc(n ? n : 1, sizeof(*stack));

	for (size_t root = 0; root < n; root++) {
		size_t depth = 0;

		if (color[root] != MAKE_WHITE)
			continue;
		stack[depth++] = (struct make_dfs_frame){ root, 0 };
		color[root] = MAKE_GRAY;
		while (depth > 0) {
			struct make_dfs_frame *top = &stack[depth - 1];
			const struct make_str *e =
			    make_rules_edge(&p->phases[top->phase], top->edge);
			size_t next;

			if (e == NULL) {
				color[top->phase] = MAKE_BLACK;
				depth--;
				continue;
			}
			top->edge++;
			if (make_rules_phase(p, e->s, &next) == NULL)
				continue;
			if (color[next] == MAKE_GRAY)
				make_rules_report_cycle(r, p, stack, depth,
				    next, e);
			else if (color[next] == MAKE_WHITE) {
				color[next] = MAKE_GRAY;
				stack[depth++] = (struct make_dfs_frame){
					next, 0 };
			}
		}
	}
	free(stack);
	free(color);
}

static bool
make_rules_env_name_ok(const char *s)
{
	if (!((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z') ||
	    *s == '_'))
		return false;
	for (s++; *s != '\0'; s++)
		if (!((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z') ||
		    (*s >= '0' && *s <= '9') || *s == '_'))
			return false;
	return true;
}

void
make_check_model(struct make_report *r, const struct make_project *p)
{
	const char **names = xcalloc(p->phases_len + 1, sizeof(*names));
	const char **ws = xcalloc(p->workspaces_len + 1, sizeof(*ws));

	for (size_t i = 0; i < p->phases_len; i++)
		names[i] = p->phases[i].name;
	for (size_t i = 0; i < p->workspaces_len; i++)
		ws[i] = p->workspaces[i].name;
	make_rules_hook_list(r, p, names, "before_all", "",
	    &p->hooks.before_all);
	make_rules_hook_list(r, p, names, "after_all", "", &p->hooks.after_all);
	/* on_error and on_success hold shell commands (as documented in
	 * ggen), not phase names: nothing to resolve here. */
	for (size_t i = 0; i < p->phases_len; i++) {
		const struct make_phase *ph = &p->phases[i];

		make_rules_hook_list(r, p, names, "before_", ph->name,
		    &ph->before);
		make_rules_hook_list(r, p, names, "after_", ph->name,
		    &ph->after);
		for (size_t k = 0; k < ph->workspaces.len; k++) {
			const struct make_str *s = &ph->workspaces.items[k];
			const char *alt;

			if (make_workspace_find(p, s->s) != NULL)
				continue;
			alt = make_suggest(r, s->s, ws, p->workspaces_len);
			make_report_add(r, MAKE_RULE_UNKNOWN_WORKSPACE, s->line,
			    s->col, "phase '%s' names unknown workspace '%s'%s%s%s",
			    ph->name, s->s, alt ? "; did you mean '" : "",
			    alt ? alt : "", alt ? "'?" : "");
		}
		for (size_t k = 0; k < ph->env_len; k++)
			if (!make_rules_env_name_ok(ph->env[k].key))
				make_report_add(r, MAKE_RULE_ENV_NAME,
				    ph->env[k].line, ph->env[k].col,
				    "env name '%s' in phase '%s' must match "
				    "[A-Za-z_][A-Za-z0-9_]*", ph->env[k].key,
				    ph->name);
	}
	make_rules_cycles(r, p);
	free(ws);
	free(names);
}

struct glob *
make_check_glob(struct make_report *r, const char *what,
    const struct make_str *s, unsigned flags)
{
	struct glob *g;
	struct gerr gerr;
	int col;

	gerr_clear(&gerr);
	if (glob_compile(s->s, flags, &g, &gerr) == 0)
		return g;
	/* err->col is inside the pattern; +1 skips the opening quote. The
	 * column is exact unless the TOML string used escapes before it. */
	col = s->col + (gerr.col > 0 ? gerr.col : 1);
	make_report_add(r, MAKE_RULE_BAD_GLOB, s->line, col,
	    "bad glob '%s' in %s: %s", s->s, what, gerr.msg);
	return NULL;
}
