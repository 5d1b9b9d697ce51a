/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * make_templates.h - compile every template a make.toml names, for
 * `ggenc validate` (rule template-error) and anyone else who wants a
 * project's template errors as findings.
 */
#ifndef GGEN_MAKE_TEMPLATES_H
#define GGEN_MAKE_TEMPLATES_H

#include "gerr.h"
#include "make.h"

/*
 * Expand each phase's `templates` entries (globs, common/glob syntax,
 * matched against paths relative to the workspace directory, over the
 * files common/projtree.h keeps: the daemon's ignore policy; SRC:DEST
 * pairs by their SRC) and compile each file found with
 * frontmatter_compile. The root project's phases are expanded under
 * root_dir; a workspace with its own make.toml has its phases expanded
 * under root_dir/PATH, one without under root_dir/PATH with the root's
 * phases. Each file is compiled once. p must come from make_load.
 * Findings (appended to findings, which must not be NULL):
 *   template-error    the file's compile error at its line:col, the file
 *                     named root_dir/... as make_load names make.toml files
 *                     (no "./" when root_dir is "."); a missing SRC of a
 *                     SRC:DEST pair
 *   template-missing  (warning) a glob matched no file, at the pattern;
 *                     a tree over PROJTREE_MAX_ENTRIES, at the key
 * Unreadable files are template-error findings too. Returns 0, or
 * GERR_INVALID when any template-error was added (err: the first one).
 * p and root_dir are borrowed. Any thread.
 */
int make_templates_check(const struct make_project *p, const char *root_dir,
    struct make_findings *findings, struct gerr *err);

#endif
