/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * treefiles.c - a workspace's files from the hot table or the walker
 * (see treefiles.h).
 *
 * Owns nothing beyond the call. Callers: daemon/engine_cache.c (cache
 * keys), daemon/generate.c (templates of the render step). The table is
 * read on the loop thread; a walk runs wherever the caller runs.
 */
#include "treefiles.h"

#include <stdlib.h>
#include <string.h>

#include "path.h"
#include "projtree.h"
#include "xmalloc.h"

struct treefiles_scan {
	const char *prefix;	/* ws_rel + "/", or "" */
	size_t prefix_len;
	treefiles_cb cb;
	void *arg;
	int rc;
};

static void
treefiles_table_entry(void *arg, const struct filetable_entry *e)
{
	struct treefiles_scan *s = arg;
	struct treefiles_file f = { .root_rel = e->path, .e = e };

	if (s->rc != 0 || e->kind != FILETABLE_FILE ||
	    (e->flags & FILETABLE_F_TOMBSTONE) != 0 ||
	    strncmp(e->path, s->prefix, s->prefix_len) != 0)
		return;
	f.rel = e->path + s->prefix_len;
	s->rc = s->cb(s->arg, &f);
}

static int
treefiles_walk_entry(void *arg, const char *rel, const struct stat *st)
{
	struct treefiles_scan *s = arg;
	char *root_rel = xasprintf("%s%s", s->prefix, rel);
	struct treefiles_file f = { .rel = rel, .root_rel = root_rel,
	    .st = st };
	int rc = s->cb(s->arg, &f);

	free(root_rel);
	return rc;
}

int
treefiles_foreach(const struct filetable *t, const char *root,
    const char *ws_rel, const struct make_project *root_model,
    treefiles_cb cb, void *arg, struct gerr *err)
{
	char *prefix = ws_rel[0] != '\0' ? xasprintf("%s/", ws_rel) :
	    xstrdup("");
	struct treefiles_scan s = { .prefix = prefix,
	    .prefix_len = strlen(prefix), .cb = cb, .arg = arg };
	struct projtree *pt;

	if (t != NULL) {
		filetable_foreach(t, treefiles_table_entry, &s);
	} else {
		pt = projtree_new(root, root_model);
		s.rc = projtree_walk(pt, ws_rel, 0, treefiles_walk_entry, &s,
		    err);
		projtree_free(pt);
	}
	free(prefix);
	return s.rc;
}

char *
treefiles_ws_rel(const char *ws_path)
{
	char *n = path_normalize(ws_path);

	if (strcmp(n, ".") == 0)
		n[0] = '\0';
	return n;
}
