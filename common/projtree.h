/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * projtree.h - the files of a project tree, as every part of ggen sees
 * them: one ignore policy and one walker.
 *
 * The policy is the daemon's watch policy (common/ignore.h): `.git`
 * always; make.toml `[watch] ignore` of the ROOT's make.toml; every
 * directory's `.ggenignore` and `.gitignore`; `.git/info/exclude`; the
 * built-in directories (node_modules, target, .hg, .svn, .ggen).
 * Dot-files are files like any other. A symlink is a file (never
 * followed into a directory; its identity is its target text, as the
 * daemon's hash pool hashes it).
 *
 * The walker is common/crawl.c run to the end, asking this policy, which
 * reads each directory's ignore files before any entry inside it is
 * asked about. So a walk reports exactly the files the daemon's hot file
 * table holds for a watched root, and `ggenc validate`, `ggenc render`,
 * the daemon's render step and cache keys match a glob against the same
 * files whether or not a daemon watches the root (the daemon uses its
 * table when it has one, this walker when not). Globs themselves are
 * compiled once per model (make_strlist_match, common/make.h).
 *
 * Blocking file I/O (directory reads, ignore files); any thread; a
 * struct projtree belongs to one thread at a time.
 */
#ifndef GGEN_PROJTREE_H
#define GGEN_PROJTREE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>

#include "gerr.h"
#include "ignore.h"
#include "make.h"

/* Directory entries one walk visits at most by default; over it the walk
 * fails with GERR_LIMIT (a silent partial list would make a key or a
 * render disagree with the daemon's table). */
#define PROJTREE_MAX_ENTRIES 1000000

struct projtree;

/*
 * The policy of the tree at root (absolute or relative to the cwd;
 * copied). root_model: the root's make.toml model for `[watch] ignore`
 * (borrowed for the call; NULL: none). Bad ignore lines are skipped
 * (validate reports them; the daemon logs them). Never fails: a missing
 * root only makes walks report nothing.
 */
struct projtree *projtree_new(const char *root,
    const struct make_project *root_model);
void projtree_free(struct projtree *t);

/*
 * True if rel (root-relative, clean: path_is_clean_relative; "" is the
 * root, never ignored) is ignored, itself or through a parent directory.
 * The ignore files of rel's parent directories are read first (once per
 * directory and projtree).
 */
bool projtree_ignored(struct projtree *t, const char *rel, bool is_dir);

/* One file found by a walk: rel is relative to the walk's start; st is
 * its lstat (a symlink is not followed). Both borrowed for the call.
 * Return 0 to go on, or an error code to stop the walk with it. */
typedef int (*projtree_file_cb)(void *arg, const char *rel,
    const struct stat *st);

/*
 * Report every file under start (a root-relative directory, "" = the
 * whole root) that the policy keeps, in no particular order. Nothing if
 * start itself is ignored or missing. Unreadable directories are skipped
 * as the daemon's crawl skips them. max_entries: directory entries
 * visited at most (0: PROJTREE_MAX_ENTRIES). Errors: GERR_LIMIT over it
 * (message names start and the cap), or the callback's code.
 */
int projtree_walk(struct projtree *t, const char *start, size_t max_entries,
    projtree_file_cb cb, void *arg, struct gerr *err);

/*
 * The index of ph's `templates` entry that names rel (a path relative to
 * the phase's workspace): a SRC:DEST pair whose SRC is rel wins, else the
 * first glob matching it; -1 for none. ph must come from make_load (its
 * globs compiled). Pure.
 */
long projtree_template_entry(const struct make_phase *ph, const char *rel);

/* The SRC of templates entry s when it is a SRC:DEST pair (a new string,
 * caller frees), else NULL. */
char *projtree_template_pair_src(const char *s);

/*
 * The policy's loaders, shared with the daemon's watch, which keeps one
 * struct ignore per root up to date as files change:
 * projtree_ignore_load reads root/dir/FILE for kind (IGNORE_GGENIGNORE,
 * IGNORE_GITIGNORE: the directory's file; IGNORE_EXCLUDE:
 * .git/info/exclude, dir ""), never through a symlink, and installs it in
 * ign (absent, unreadable or over IGNORE_FILE_MAX_BYTES: the source is
 * removed; said through warn unless absent). Returns the XXH3-64 of the
 * text, 0 when absent. projtree_ignore_model installs root_model's
 * `[watch] ignore` (NULL: an empty list). warn may be NULL.
 */
uint64_t projtree_ignore_load(struct ignore *ign, const char *root,
    enum ignore_kind kind, const char *dir, ignore_warn_cb warn, void *arg);
void projtree_ignore_model(struct ignore *ign,
    const struct make_project *root_model, ignore_warn_cb warn, void *arg);

#endif
