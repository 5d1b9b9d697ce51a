/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * path.h - lexical path helpers.
 *
 * Everything here is LEXICAL: it looks only at the bytes, never at the
 * filesystem. `a/../b` normalises to `b` even if `a` is a symlink to a
 * directory elsewhere (where the kernel would resolve `..` differently), and
 * path_is_inside("/root", "/root/link/x") is true even if `link` points
 * outside the root. So the daemon must still, before trusting a path from
 * a user or an event for writing or running: realpath(3) it (or open with
 * O_NOFOLLOW / openat2 RESOLVE_BENEATH) and re-check containment on the
 * resolved path. These helpers are for comparing, keying and displaying
 * paths, and for rejecting `..` escapes early with a clear message.
 *
 * Conventions: '/' is the only separator; no encoding is assumed; a
 * returned char * is the caller's to free(); a returned const char * points
 * into the argument (borrowed as long as it lives). Pure; any thread.
 */
#ifndef GGEN_PATH_H
#define GGEN_PATH_H

#include <stdbool.h>
#include <stddef.h>

#include "gerr.h"

/*
 * Clean p lexically: collapse repeated '/', drop `.` segments and a
 * trailing '/', resolve `name/..` pairs. `..` above the start stays for a
 * relative path (`../a`) and disappears for an absolute one (`/..` is `/`).
 * An empty result is "." (relative) or "/" (absolute).
 */
char *path_normalize(const char *p);

/*
 * a + "/" + b with exactly one separator between them; if b is absolute
 * the result is a copy of b, if a is empty a copy of b, if b is empty a
 * copy of a. Not normalised (call path_normalize).
 */
char *path_join(const char *a, const char *b);

/*
 * True if path is root or below it, after normalising both lexically.
 * An absolute and a relative path are never inside each other; a relative
 * root "." holds every relative path that does not start with "..".
 */
bool path_is_inside(const char *root, const char *path);

/*
 * Store in *out (caller frees) path relative to root, both normalised
 * first: "" when they are equal, else no leading or trailing '/'.
 * GERR_OUTSIDE_ROOT (with both paths in the message) when path is not
 * inside root; *out is NULL then.
 */
int path_relative(const char *root, const char *path, char **out,
    struct gerr *err);

/*
 * The last segment of p, ignoring trailing '/': returns a pointer into p
 * and its length in *len ("a/b/" -> "b", 1; "/" -> "/", 1; "" -> "", 0).
 */
const char *path_basename(const char *p, size_t *len);

/*
 * The directory part of p, ignoring trailing '/': returns the length of
 * the prefix of p that names it ("a/b" -> 1 for "a"; "/a" and "/" -> 1;
 * "a//b" -> 1). When p has no directory part ("a", "") returns 0: the
 * directory is "." (or the root for root-relative paths).
 */
size_t path_dirname_len(const char *p);

/*
 * True if p is a normalised relative path without any `..` segment: no
 * leading or trailing '/', no empty, `.` or `..` segment, not empty. The
 * shape ignore.h and glob.h expect from callers.
 */
bool path_is_clean_relative(const char *p);

#endif
