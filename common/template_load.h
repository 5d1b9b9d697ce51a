/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * template_load.h - the file-system template loader (struct
 * template_loader) used by ggenc render, ggenc validate and the daemon's
 * template cache.
 *
 * A name in include / import / extends is looked up relative to the
 * directory of the template that names it, then below each of `dirs` (the
 * root's template directories) in order. The resolved name is the path as
 * found, normalised (relative paths stay relative to the process's current
 * directory, as the main template's name was given). Names must be
 * relative and must not climb out with `..` past their base directory.
 * Files are read whole, at most max_bytes each. Any thread (read-only).
 */
#ifndef GGEN_TEMPLATE_LOAD_H
#define GGEN_TEMPLATE_LOAD_H

#include <stddef.h>

#include "gerr.h"
#include "template.h"

#define TEMPLATE_LOAD_MAX_BYTES (16u << 20)

struct template_fs_loader {
	const char *const *dirs;	/* borrowed; may be NULL */
	size_t ndirs;
	size_t max_bytes;		/* 0 = TEMPLATE_LOAD_MAX_BYTES */
};

/* struct template_loader's load for ctx = struct template_fs_loader *. */
int template_fs_load(void *ctx, const char *from, const char *name,
    char **src, size_t *len, char **resolved, struct gerr *err);

/* The template directory a phase's `templates` entry names (examples/TEMPLATES.md):
 * the length of its directory part before the first wildcard (or of
 * SRC's directory in "SRC:DEST"); 0 when it has none. */
size_t template_load_entry_dir(const char *entry);

/* A struct template_loader over fs (borrowed). */
struct template_loader template_fs_loader(struct template_fs_loader *fs);

#endif
