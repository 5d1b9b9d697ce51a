/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * rootsfile.h - the format of the roots file (<state dir>/roots.json,
 * written and read by daemon/watch.c): the watched roots' absolute paths,
 * {"roots":["/abs/path",...]} on one line, then a newline. Only the
 * format: writing it atomically is common/fileio's job. Pure; any thread.
 */
#ifndef GGEN_ROOTSFILE_H
#define GGEN_ROOTSFILE_H

#include <stddef.h>

#include "gerr.h"

/* The file's bytes for paths[0..n) (borrowed), newline included; *len
 * gets the length. The caller frees the result. */
char *rootsfile_encode(const char *const *paths, size_t n, size_t *len);

/*
 * Parse text[0..len) (not NUL-terminated). *paths gets a NULL-terminated
 * array of copies (the caller frees each and the array, see
 * rootsfile_free), *n their count; entries that are not strings are
 * skipped. Errors (GERR_PARSE, *paths NULL): not JSON, not an object, no
 * "roots" array.
 */
int rootsfile_decode(const char *text, size_t len, char ***paths, size_t *n,
    struct gerr *err);

/* Free what rootsfile_decode returned; NULL ok. */
void rootsfile_free(char **paths);

#endif
