/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * make_templates.c - expand phases' `templates` globs over the filesystem
 * and compile each template, reporting errors as make.toml findings.
 *
 * Owns nothing beyond one call. Called by ggenc validate (and usable by
 * the daemon on its hot model). Files come from common/projtree: one walk
 * per workspace with the daemon's ignore policy (the root's .gitignore,
 * .ggenignore, [watch] ignore, built-in directories; symlinked
 * directories never followed), matched against the model's compiled
 * globs, so validate sees the templates the daemon renders. SRC:DEST
 * entries name their SRC directly, as in the daemon.
 * Invariant: a file is compiled at most once per call (the seen list is
 * sorted and adjacent duplicates skipped).
 * Never: renders a template or runs anything it names.
 */
#include "make_templates.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "frontmatter.h"
#include "template_load.h"
#include "glob.h"
#include "make_rules.h"
#include "path.h"
#include "projtree.h"
#include "strbuf.h"
#include "xmalloc.h"

struct make_templates_seen {
	char **paths;		/* shown paths, owned; may repeat */
	size_t len, cap;
};

static void
make_templates_push(char ***arr, size_t *len, size_t *cap, char *s)
{
	if (*len == *cap) {
		*cap = *cap ? *cap * 2 : 16;
		*arr = xreallocarray(*arr, *cap, sizeof(**arr));
	}
	(*arr)[(*len)++] = s;
}

/* One workspace's expansion: which entry of which phase each file
 * matches, and how many files each glob entry matched. */
struct make_templates_ws {
	const struct make_project *p;
	const char *shown_dir;	/* NULL: paths shown as they are */
	const char *start;	/* the walk's directory in the workspace */
	struct make_templates_seen *seen;
	size_t **hits;		/* [phase][entry] */
};

static int
make_templates_file(void *arg, const char *rel_start, const struct stat *st)
{
	struct make_templates_ws *w = arg;
	bool matched = false;
	char *rel = w->start[0] != '\0' ? xasprintf("%s/%s", w->start,
	    rel_start) : xstrdup(rel_start);

	(void)st;
	/* Every glob, not only the first that matches: a glob is "missing"
	 * only when no file at all matches it. */
	for (size_t i = 0; i < w->p->phases_len; i++) {
		const struct make_strlist *l = &w->p->phases[i].templates;

		for (size_t j = 0; l->globs != NULL && j < l->len; j++) {
			if (l->globs[j] == NULL ||
			    !glob_match(l->globs[j], rel, strlen(rel)))
				continue;
			w->hits[i][j]++;
			matched = true;
		}
	}
	if (matched)
		make_templates_push(&w->seen->paths, &w->seen->len,
		    &w->seen->cap, w->shown_dir != NULL ?
		    xasprintf("%s/%s", w->shown_dir, rel) : xstrdup(rel));
	free(rel);
	return 0;
}

/* Length of pattern's leading directories without glob syntax. */
static size_t
make_templates_literal_prefix(const char *pattern)
{
	size_t dir_end = 0;

	for (size_t i = 0; pattern[i] != '\0'; i++) {
		if (strchr("*?[\\", pattern[i]) != NULL)
			return dir_end;
		if (pattern[i] == '/')
			dir_end = i;
	}
	return dir_end;
}

static int
make_templates_strcmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/*
 * The directories of the workspace a walk must cover: each glob's
 * literal directory prefix ("templates" of "templates/ ** / *.tmpl"), none
 * under another; just "" when some glob has none. Files elsewhere cannot
 * match, so validate does not walk a whole monorepo for templates/.
 * Returns the count; *out (caller frees each and the array).
 */
static size_t
make_templates_starts(const struct make_project *p, char ***out)
{
	char **v = NULL;
	size_t n = 0, cap = 0, k = 0;
	bool all = false;

	for (size_t i = 0; i < p->phases_len && !all; i++) {
		const struct make_strlist *l = &p->phases[i].templates;

		for (size_t j = 0; l->globs != NULL && j < l->len; j++) {
			const char *s = l->items[j].s;
			size_t plen;
			char *d;

			if (l->globs[j] == NULL)
				continue;
			plen = make_templates_literal_prefix(s);
			d = xstrndup(s, plen);
			if (plen == 0 || !path_is_clean_relative(d)) {
				free(d);
				all = true;
				break;
			}
			make_templates_push(&v, &n, &cap, d);
		}
	}
	if (all) {
		for (size_t i = 0; i < n; i++)
			free(v[i]);
		free(v);
		*out = xcalloc(1, sizeof(**out));
		(*out)[0] = xstrdup("");
		return 1;
	}
	if (n == 0) {
		*out = NULL;
		return 0;
	}
	qsort(v, n, sizeof(*v), make_templates_strcmp);
	for (size_t i = 0; i < n; i++) {
		size_t kl = k > 0 ? strlen(v[k - 1]) : 0;

		if (k > 0 && strncmp(v[i], v[k - 1], kl) == 0 &&
		    (v[i][kl] == '\0' || v[i][kl] == '/')) {
			free(v[i]);	/* under (or equal to) a kept one */
			continue;
		}
		v[k++] = v[i];
	}
	*out = v;
	return k;
}

/* Compile one template file; a failure becomes a finding in its file. */
static void
make_templates_compile(const char *shown, struct make_findings *findings,
    struct gerr *first)
{
	struct make_report r = { .file = shown, .findings = findings };
	struct frontmatter_template *ft = NULL;
	struct strbuf sb = STRBUF_INIT;
	struct gerr e;
	bool missing;

	gerr_clear(&e);
	gerr_clear(&r.first);
	if (make_read_file(shown, &sb, &missing, &e) == 0 && missing)
		gerr_set(&e, GERR_IO, "open %s: No such file or directory",
		    shown);
	if (e.code == GERR_OK) {
		/* include/import/extends load relative to the template. */
		struct template_fs_loader fs = { 0 };
		struct template_loader loader = template_fs_loader(&fs);

		frontmatter_compile_with(sb.buf, sb.len, shown, &loader, &ft,
		    &e);
	}
	frontmatter_template_free(ft);
	strbuf_release(&sb);
	if (e.code == GERR_OK)
		return;
	/* An error inside an included template is at its own position. */
	if (e.file[0] != '\0')
		r.file = e.file;
	make_report_add(&r, MAKE_RULE_TEMPLATE_ERROR, e.line, e.col, "%s",
	    e.msg);
	if (first->code == GERR_OK)
		*first = r.first;
}

/* Expand the templates entries of p's phases over the files of the
 * workspace ws_rel ("" = the root) of tree into seen, as shown_dir/rel
 * (just rel when shown_dir is NULL): globs against the files the policy
 * keeps, SRC:DEST pairs by name (a missing SRC is then a template-error,
 * as in the daemon). A glob matching nothing is a finding of p's file. */
static void
make_templates_project(const struct make_project *p, struct projtree *tree,
    const char *ws_rel, const char *shown_dir, const char *ws_name,
    struct make_templates_seen *seen, struct make_findings *findings)
{
	struct make_report r = { .file = p->file, .findings = findings };
	struct make_templates_ws w = { .p = p, .shown_dir = shown_dir,
	    .seen = seen };
	struct gerr e;
	char **starts;
	size_t n_starts;
	int rc = 0;

	gerr_clear(&r.first);
	gerr_clear(&e);
	w.hits = xcalloc(p->phases_len + 1, sizeof(*w.hits));
	for (size_t i = 0; i < p->phases_len; i++)
		w.hits[i] = xcalloc(p->phases[i].templates.len + 1,
		    sizeof(**w.hits));
	n_starts = make_templates_starts(p, &starts);
	for (size_t i = 0; i < n_starts; i++) {
		char *dir = ws_rel[0] == '\0' ? xstrdup(starts[i]) :
		    starts[i][0] == '\0' ? xstrdup(ws_rel) :
		    xasprintf("%s/%s", ws_rel, starts[i]);

		w.start = starts[i];
		if (rc == 0)
			rc = projtree_walk(tree, dir, 0, make_templates_file,
			    &w, &e);
		free(dir);
		free(starts[i]);
	}
	free(starts);
	for (size_t i = 0; i < p->phases_len; i++) {
		const struct make_strlist *tl = &p->phases[i].templates;

		if (rc != 0 && tl->len > 0)
			make_report_add(&r, MAKE_RULE_TEMPLATE_MISSING,
			    tl->line, tl->col, "templates of phase '%s' not "
			    "all checked: %s", p->phases[i].name, e.msg);
		for (size_t j = 0; j < tl->len; j++) {
			const struct make_str *s = &tl->items[j];
			char *src = projtree_template_pair_src(s->s);

			if (src != NULL) {
				make_templates_push(&seen->paths, &seen->len,
				    &seen->cap, shown_dir != NULL ?
				    xasprintf("%s/%s", shown_dir, src) :
				    xstrdup(src));
				free(src);
				continue;
			}
			/* A bad glob (never matches) was reported by
			 * make_load. */
			if (rc == 0 && w.hits[i][j] == 0 &&
			    tl->globs != NULL && tl->globs[j] != NULL)
				make_report_add(&r, MAKE_RULE_TEMPLATE_MISSING,
				    s->line, s->col, "templates pattern '%s' "
				    "of phase '%s' matches no file%s%s%s",
				    s->s, p->phases[i].name,
				    ws_name != NULL ? " in workspace '" : "",
				    ws_name != NULL ? ws_name : "",
				    ws_name != NULL ? "'" : "");
		}
		free(w.hits[i]);
	}
	free(w.hits);
}

int
make_templates_check(const struct make_project *p, const char *root_dir,
    struct make_findings *findings, struct gerr *err)
{
	struct make_templates_seen seen = { 0 };
	const char *shown_root = strcmp(root_dir, ".") == 0 ? NULL : root_dir;
	struct gerr first;

	struct projtree *tree = projtree_new(root_dir, p);

	gerr_clear(&first);
	make_templates_project(p, tree, "", shown_root, NULL, &seen, findings);
	for (size_t i = 0; i < p->workspaces_len; i++) {
		const struct make_workspace *ws = &p->workspaces[i];
		char *rel, *shown;

		if (ws->path == NULL)
			continue;
		rel = path_normalize(ws->path);
		if (strcmp(rel, ".") == 0)
			rel[0] = '\0';
		else if (!path_is_clean_relative(rel)) {
			free(rel);	/* workspace-path, reported by make_load */
			continue;
		}
		shown = shown_root != NULL ? xasprintf("%s/%s", root_dir,
		    ws->path) : xstrdup(ws->path);
		make_templates_project(ws->own != NULL ? ws->own : p, tree,
		    rel, shown, ws->name, &seen, findings);
		free(shown);
		free(rel);
	}
	projtree_free(tree);
	/* make.toml findings first, then templates in path order. */
	if (seen.len > 0)
		qsort(seen.paths, seen.len, sizeof(*seen.paths),
		    make_templates_strcmp);
	for (size_t i = 0; i < seen.len; i++) {
		if (i == 0 || strcmp(seen.paths[i - 1], seen.paths[i]) != 0)
			make_templates_compile(seen.paths[i], findings,
			    &first);
		if (i > 0)
			free(seen.paths[i - 1]);
	}
	if (seen.len > 0)
		free(seen.paths[seen.len - 1]);
	free(seen.paths);
	if (first.code == GERR_OK)
		return 0;
	if (err != NULL && err->code == GERR_OK)
		*err = first;
	return GERR_INVALID;
}
