/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * make_templates.c - expand phases' `templates` globs over the filesystem
 * and compile each template, reporting errors as make.toml findings.
 *
 * Owns nothing beyond one call. Called by ggenc validate (and usable by
 * the daemon on its hot model). Walks start at each pattern's literal
 * directory prefix ("templates/" of "templates/ ** / *.tmpl"), never
 * follow symlinked directories (no loops), and stop after
 * MAKE_TEMPLATES_MAX_VISITS entries or MAKE_TEMPLATES_MAX_DEPTH levels.
 * Invariant: a file is compiled at most once per call (the seen list is
 * sorted and adjacent duplicates skipped).
 * Never: renders a template or runs anything it names.
 */
#include "make_templates.h"

#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "frontmatter.h"
#include "template_load.h"
#include "glob.h"
#include "make_rules.h"
#include "strbuf.h"
#include "xmalloc.h"

struct make_templates_walk {
	const struct glob *glob;
	char **matches;		/* relative paths, owned */
	size_t len, cap;
	size_t visits;
};

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

/* Visit dir (base/rel) recursively, collecting paths the glob matches. */
static void
make_templates_walk_dir(struct make_templates_walk *w, const char *base,
    const char *rel, int depth)
{
	char *dir = rel[0] != '\0' ? xasprintf("%s/%s", base, rel) :
	    xstrdup(base);
	DIR *d = opendir(dir);
	struct dirent *de;

	if (d == NULL) {
		free(dir);
		return;
	}
	while ((de = readdir(d)) != NULL &&
	    w->visits < MAKE_TEMPLATES_MAX_VISITS) {
		struct stat st;
		char *sub, *full;

		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		w->visits++;
		sub = rel[0] != '\0' ? xasprintf("%s/%s", rel, de->d_name) :
		    xstrdup(de->d_name);
		full = xasprintf("%s/%s", dir, de->d_name);
		if (lstat(full, &st) == 0 && S_ISDIR(st.st_mode)) {
			if (depth < MAKE_TEMPLATES_MAX_DEPTH)
				make_templates_walk_dir(w, base, sub,
				    depth + 1);
		} else if (stat(full, &st) == 0 && S_ISREG(st.st_mode) &&
		    glob_match(w->glob, sub, strlen(sub))) {
			make_templates_push(&w->matches, &w->len, &w->cap,
			    sub);
			sub = NULL;
		}
		free(full);
		free(sub);
	}
	closedir(d);
	free(dir);
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
make_templates_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
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

/* Expand the templates patterns of p's phases under dir into seen, as
 * shown_dir/rel (just rel when shown_dir is NULL); a pattern matching
 * nothing is a finding of p's file. */
static void
make_templates_project(const struct make_project *p, const char *dir,
    const char *shown_dir, const char *ws_name,
    struct make_templates_seen *seen,
    struct make_findings *findings)
{
	struct make_report r = { .file = p->file, .findings = findings };

	gerr_clear(&r.first);
	for (size_t i = 0; i < p->phases_len; i++) {
		const struct make_strlist *tl = &p->phases[i].templates;

		for (size_t j = 0; j < tl->len; j++) {
			const struct make_str *s = &tl->items[j];
			struct make_templates_walk w = { 0 };
			struct glob *g = NULL;
			size_t plen;
			char *prefix;

			/* make_load already reported a bad glob. */
			if (glob_compile(s->s, 0, &g, NULL) != 0)
				continue;
			w.glob = g;
			plen = make_templates_literal_prefix(s->s);
			prefix = xasprintf("%.*s", (int)plen, s->s);
			make_templates_walk_dir(&w, dir, prefix, 0);
			free(prefix);
			glob_free(g);
			if (w.len == 0)
				make_report_add(&r, MAKE_RULE_TEMPLATE_MISSING,
				    s->line, s->col, "templates pattern '%s' "
				    "of phase '%s' matches no file%s%s%s",
				    s->s, p->phases[i].name,
				    ws_name != NULL ? " in workspace '" : "",
				    ws_name != NULL ? ws_name : "",
				    ws_name != NULL ? "'" : "");
			for (size_t k = 0; k < w.len; k++) {
				char *shown = shown_dir != NULL ?
				    xasprintf("%s/%s", shown_dir,
				    w.matches[k]) : xstrdup(w.matches[k]);

				make_templates_push(&seen->paths, &seen->len,
				    &seen->cap, shown);
				free(w.matches[k]);
			}
			free(w.matches);
		}
	}
}

int
make_templates_check(const struct make_project *p, const char *root_dir,
    struct make_findings *findings, struct gerr *err)
{
	struct make_templates_seen seen = { 0 };
	const char *shown_root = strcmp(root_dir, ".") == 0 ? NULL : root_dir;
	struct gerr first;

	gerr_clear(&first);
	make_templates_project(p, root_dir, shown_root, NULL, &seen, findings);
	for (size_t i = 0; i < p->workspaces_len; i++) {
		const struct make_workspace *ws = &p->workspaces[i];
		char *dir, *shown;

		if (ws->path == NULL)
			continue;
		dir = xasprintf("%s/%s", root_dir, ws->path);
		shown = shown_root != NULL ? xstrdup(dir) : xstrdup(ws->path);
		make_templates_project(ws->own != NULL ? ws->own : p, dir,
		    shown, ws->name, &seen, findings);
		free(shown);
		free(dir);
	}
	/* make.toml findings first, then templates in path order. */
	if (seen.len > 0)
		qsort(seen.paths, seen.len, sizeof(*seen.paths),
		    make_templates_cmp);
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
