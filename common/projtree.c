/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * projtree.c - one project tree's ignore policy and its walker (see
 * projtree.h for the policy).
 *
 * Owns: the root path, a struct ignore holding every source read so far,
 * and the set of directories whose ignore files were read (so each is
 * read once per projtree). Called by: ggenc validate and render
 * (common/make_templates.c, client/cmd_render.c), the daemon's render step
 * and cache keys when no file table is at hand (daemon/treefiles.c), and
 * the daemon's watch for the loaders (daemon/watch.c).
 * Invariant: a directory's ignore files are installed before any entry
 * inside it is checked, exactly as the daemon's crawl does it.
 * Never: follows a symlink (walks and ignore files), writes anything.
 */
#include "projtree.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <xxhash.h>

#include "crawl.h"
#include "fileio.h"
#include "xmalloc.h"

struct projtree {
	char *root;
	struct ignore *ign;
	char **loaded;		/* open addressing; NULL = free slot */
	size_t n_loaded, cap_loaded;	/* cap: a power of two */
};

static void
projtree_warn_drop(void *arg, const struct gerr *err)
{
	(void)arg;
	(void)err;		/* validate reports bad lines itself */
}

uint64_t
projtree_ignore_load(struct ignore *ign, const char *root,
    enum ignore_kind kind, const char *dir, ignore_warn_cb warn, void *arg)
{
	const char *base = kind == IGNORE_GITIGNORE ? ".gitignore" :
	    kind == IGNORE_GGENIGNORE ? ".ggenignore" : ".git/info/exclude";
	char *abs, *text = NULL;
	size_t len = 0;
	bool missing = false;
	struct gerr err;
	uint64_t h;

	abs = dir[0] != '\0' ? xasprintf("%s/%s/%s", root, dir, base) :
	    xasprintf("%s/%s", root, base);
	gerr_clear(&err);
	if (fileio_read(abs, IGNORE_FILE_MAX_BYTES, FILEIO_NOFOLLOW, &text,
	    &len, &missing, &err) != 0 && warn != NULL) {
		/* The rules are dropped: say so where the file is. */
		snprintf(err.file, sizeof(err.file), "%s", abs);
		warn(arg, &err);
	}
	free(abs);
	if (text == NULL) {
		ignore_remove_file(ign, kind, dir);
		return 0;
	}
	h = XXH3_64bits(text, len);
	ignore_set_file(ign, kind, dir, NULL, text, len, warn, arg, NULL);
	free(text);
	return h;
}

void
projtree_ignore_model(struct ignore *ign, const struct make_project *m,
    ignore_warn_cb warn, void *arg)
{
	const struct make_strlist *l = m != NULL ? &m->watch_ignore : NULL;
	size_t n = l != NULL ? l->len : 0;
	const char **pats = xcalloc(n + 1, sizeof(*pats));

	for (size_t i = 0; i < n; i++)
		pats[i] = l->items[i].s;
	ignore_set_patterns(ign, pats, n, "make.toml", warn, arg, NULL);
	free(pats);
}

struct projtree *
projtree_new(const char *root, const struct make_project *root_model)
{
	struct projtree *t = xcalloc(1, sizeof(*t));

	t->root = xstrdup(root);
	t->ign = ignore_new();
	projtree_ignore_model(t->ign, root_model, projtree_warn_drop, NULL);
	projtree_ignore_load(t->ign, t->root, IGNORE_EXCLUDE, "",
	    projtree_warn_drop, NULL);
	return t;
}

void
projtree_free(struct projtree *t)
{
	if (t == NULL)
		return;
	for (size_t i = 0; i < t->cap_loaded; i++)
		free(t->loaded[i]);
	free(t->loaded);
	ignore_free(t->ign);
	free(t->root);
	free(t);
}

/* Insert dir into the loaded set; false when it was there already. */
static bool
projtree_mark(struct projtree *t, const char *dir)
{
	size_t mask, i;

	if (2 * (t->n_loaded + 1) > t->cap_loaded) {
		size_t cap = t->cap_loaded ? t->cap_loaded * 2 : 64;
		char **old = t->loaded;
		size_t old_cap = t->cap_loaded;

		t->loaded = xcalloc(cap, sizeof(*t->loaded));
		t->cap_loaded = cap;
		for (size_t j = 0; j < old_cap; j++) {
			if (old[j] == NULL)
				continue;
			i = XXH3_64bits(old[j], strlen(old[j])) & (cap - 1);
			while (t->loaded[i] != NULL)
				i = (i + 1) & (cap - 1);
			t->loaded[i] = old[j];
		}
		free(old);
	}
	mask = t->cap_loaded - 1;
	i = XXH3_64bits(dir, strlen(dir)) & mask;
	while (t->loaded[i] != NULL) {
		if (strcmp(t->loaded[i], dir) == 0)
			return false;
		i = (i + 1) & mask;
	}
	t->loaded[i] = xstrdup(dir);
	t->n_loaded++;
	return true;
}

/* Read dir's own ignore files (once). */
static void
projtree_load_dir(struct projtree *t, const char *dir)
{
	if (!projtree_mark(t, dir))
		return;
	projtree_ignore_load(t->ign, t->root, IGNORE_GGENIGNORE, dir,
	    projtree_warn_drop, NULL);
	projtree_ignore_load(t->ign, t->root, IGNORE_GITIGNORE, dir,
	    projtree_warn_drop, NULL);
}

bool
projtree_ignored(struct projtree *t, const char *rel, bool is_dir)
{
	size_t len = strlen(rel);
	char *dir;

	if (len == 0)
		return false;
	/* Parents, root first: each one's files before anything below it,
	 * and an ignored parent hides everything under it. */
	dir = xstrdup(rel);
	projtree_load_dir(t, "");
	for (size_t i = 0; i < len; i++) {
		if (dir[i] != '/')
			continue;
		dir[i] = '\0';
		if (ignore_check(t->ign, dir, i, true, NULL)) {
			free(dir);
			return true;
		}
		projtree_load_dir(t, dir);
		dir[i] = '/';
	}
	free(dir);
	return ignore_check(t->ign, rel, len, is_dir, NULL);
}

struct projtree_walk {
	struct projtree *t;
	const char *start;
	size_t start_len;	/* strlen(start) + 1 when non-empty, else 0 */
	projtree_file_cb cb;
	void *arg;
	int rc;
};

/* The crawl asks about each entry once, parents first (it never enters
 * an ignored directory), so ignore_check_entry is enough here. */
static bool
projtree_walk_ignored(void *arg, const char *rel, bool is_dir)
{
	struct projtree_walk *w = arg;

	if (ignore_check_entry(w->t->ign, rel, strlen(rel), is_dir, NULL))
		return true;
	if (is_dir)
		projtree_load_dir(w->t, rel);
	return false;
}

static void
projtree_walk_entry(void *arg, const char *rel, enum crawl_kind kind,
    const struct stat *st)
{
	struct projtree_walk *w = arg;

	if (kind != CRAWL_FILE || w->rc != 0)
		return;
	w->rc = w->cb(w->arg, rel + w->start_len, st);
}

int
projtree_walk(struct projtree *t, const char *start, size_t max_entries,
    projtree_file_cb cb, void *arg, struct gerr *err)
{
	struct projtree_walk w = { .t = t, .start = start, .cb = cb,
	    .arg = arg };
	struct crawl_config cfg = { .is_ignored = projtree_walk_ignored,
	    .on_entry = projtree_walk_entry, .arg = &w };
	struct crawl *c;

	if (max_entries == 0)
		max_entries = PROJTREE_MAX_ENTRIES;
	if (start[0] != '\0') {
		if (projtree_ignored(t, start, true))
			return 0;
		w.start_len = strlen(start) + 1;
	}
	projtree_load_dir(t, start);
	if (crawl_new(t->root, start, &cfg, &c, NULL) != 0)
		return 0;	/* no such directory: no files */
	/* crawl_step bounds entries per call: one call over the cap tells
	 * a finished walk from a cut one. */
	if (crawl_step(c, max_entries) == CRAWL_MORE && w.rc == 0) {
		w.rc = gerr_set(err, GERR_LIMIT, "%s/%s: more than %zu entries "
		    "to walk; add ignore rules ([watch] ignore, .ggenignore)",
		    t->root, start, max_entries);
	}
	crawl_free(c);
	return w.rc;
}

char *
projtree_template_pair_src(const char *s)
{
	const char *colon = strchr(s, ':');

	return colon != NULL ? xstrndup(s, (size_t)(colon - s)) : NULL;
}

long
projtree_template_entry(const struct make_phase *ph, const char *rel)
{
	const struct make_strlist *l = &ph->templates;
	size_t n = strlen(rel);

	for (size_t i = 0; i < l->len; i++) {
		const char *s = l->items[i].s, *colon = strchr(s, ':');

		if (colon != NULL && (size_t)(colon - s) == n &&
		    memcmp(s, rel, n) == 0)
			return (long)i;
	}
	return make_strlist_match(l, rel);
}
