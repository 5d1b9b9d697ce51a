/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * treefiles.h - the files of one workspace for the daemon's render step
 * and cache keys: from the root's hot file table when the daemon has one,
 * else from the walker of common/projtree.h. Both apply the same ignore
 * policy (the table was filled by a crawl asking it), so a glob matches
 * the same files either way.
 */
#ifndef GGEN_TREEFILES_H
#define GGEN_TREEFILES_H

#include <stdbool.h>
#include <sys/stat.h>

#include "filetable.h"
#include "gerr.h"
#include "make.h"

struct treefiles_file {
	const char *rel;	/* relative to the workspace */
	const char *root_rel;	/* relative to the root */
	/* From the table: its entry (hash maybe known), st NULL. From the
	 * walker: e NULL, st its lstat. Borrowed for the call. */
	const struct filetable_entry *e;
	const struct stat *st;
};

/* Return 0 to go on, a GERR_* code to stop with it. */
typedef int (*treefiles_cb)(void *arg, const struct treefiles_file *f);

/*
 * Every file of the workspace ws_rel (root-relative, as
 * treefiles_ws_rel gives it; "" = the root) of root: the live file
 * entries of t when t is not NULL, else a walk of the disk with the
 * policy of root_model (the ROOT's make.toml, for `[watch] ignore`; may
 * be NULL). root, ws_rel, t, root_model borrowed for the call. Returns
 * 0, the callback's code, or GERR_LIMIT (walk over PROJTREE_MAX_ENTRIES).
 * Blocking I/O when walking.
 */
int treefiles_foreach(const struct filetable *t, const char *root,
    const char *ws_rel, const struct make_project *root_model,
    treefiles_cb cb, void *arg, struct gerr *err);

/* A workspace path as written in make.toml ("./a/", ".", "a") as the
 * table spells it ("a", ""). Caller frees. */
char *treefiles_ws_rel(const char *ws_path);

#endif
