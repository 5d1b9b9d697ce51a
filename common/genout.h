/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * genout.h - the file side of rendering a template: read the current
 * output, check that an output path stays inside its root on disk, and
 * write new content only when its bytes change (temp file in the same
 * directory, fsync, rename). Shared by the daemon's generate step and
 * `ggenc render`.
 *
 * Blocking file I/O: the daemon calls these for template-sized files only
 * (capped by GENOUT_MAX_BYTES). Any thread; no global state.
 */
#ifndef GGEN_GENOUT_H
#define GGEN_GENOUT_H

#include <stdbool.h>
#include <stddef.h>

#include "gerr.h"
#include "tvalue.h"

/* Templates and outputs larger than this are refused (GERR_TOO_LARGE). */
#define GENOUT_MAX_BYTES (16u << 20)

/*
 * Read path into *buf (caller frees; NUL-terminated, *len without it).
 * A missing file is not an error: *buf NULL, *len 0, *exists false.
 * Errors: GERR_IO ("open PATH: strerror"), GERR_TOO_LARGE over max.
 */
int genout_read(const char *path, size_t max, char **buf, size_t *len,
    bool *exists, struct gerr *err);

/*
 * Resolve `to` (as written by a template, relative to base_dir, which is
 * root or below it) to an absolute path in *out (caller frees) that stays
 * inside root: lexically (no absolute path, no `..` out of base_dir) and on
 * disk (the realpath of the deepest existing ancestor directory, and of
 * the file itself when it is a symlink, must be inside realpath(root)).
 * Missing parent directories are created when mkdirs is true. Errors:
 * GERR_OUTSIDE_ROOT (message names the path and what escapes), GERR_INVALID
 * (empty), GERR_IO.
 */
int genout_resolve(const char *root, const char *base_dir, const char *to,
    bool mkdirs, char **out, struct gerr *err);

/*
 * Make path hold exactly data (len bytes): when the current content is
 * already equal nothing is touched (mtime kept) and *written is false;
 * else a temp file in the same directory is written, fsynced and renamed
 * over path (mode 0644 for a new file, the old mode otherwise), and
 * *written is true. Errors: GERR_IO; path is left as it was.
 */
int genout_write(const char *path, const char *data, size_t len,
    bool *written, struct gerr *err);

/* Map NAME -> value of envp ("NAME=value" strings, NULL-terminated), for
 * a template's env.NAME. New reference. */
struct tvalue *genout_env_map(char *const *envp);

#endif
