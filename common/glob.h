/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * glob.h - path globs for make.toml (`watch`, `inputs`, `[watch] ignore`)
 * and for the ignore matcher (common/ignore.c).
 *
 * Syntax, matched against a path relative to a root, '/'-separated, no
 * leading '/' (one trailing '/' on the path is tolerated and ignored):
 *   *        any run of bytes except '/' (including leading dots)
 *   ?        one byte except '/'
 *   [...]    one byte from a class: ranges `a-z`, negation `[!...]` or
 *            `[^...]`, `]` first is literal, `\` escapes, POSIX names
 *            `[:alpha:]` `[:digit:]` `[:alnum:]` `[:upper:]` `[:lower:]`
 *            `[:space:]` `[:punct:]` `[:xdigit:]`. Never matches '/'.
 *   \c       the byte c literally (`\/` is still a separator)
 *   **       as a whole segment: zero or more segments (segments `a`,
 *            `**`, `b` match `a/b` and `a/x/y/b`); as the LAST segment,
 *            one or more (dist then `**` matches everything under dist,
 *            not dist itself), as in gitignore.
 *            A `**` inside a segment (`a**b`) is an ordinary `*`.
 * Bytes are compared exactly (no case folding, no locale).
 *
 * Matching is linear-ish: `*` and `**` backtrack only to the most recent
 * star, so the worst case is O(len(path) * len(pattern)), never exponential,
 * and uses no recursion.
 */
#ifndef GGEN_GLOB_H
#define GGEN_GLOB_H

#include <stdbool.h>
#include <stddef.h>

#include "gerr.h"

/* Longest accepted pattern in bytes; longer ones are GERR_TOO_LARGE. */
#define GLOB_PATTERN_MAX 4096

enum glob_flags {
	/*
	 * A pattern without any '/' matches the basename at any depth
	 * (gitignore's `*.o`): as if its first segment were `**`.
	 */
	GLOB_BASENAME = 1u << 0,
	/*
	 * The pattern also matches every path below a match: `dist` then
	 * matches `dist/a/b` (what gitignore does to an excluded directory).
	 */
	GLOB_DIR_PREFIX = 1u << 1,
};

struct glob;

/*
 * Compile pattern (NUL-terminated, borrowed for the call only) with flags
 * (enum glob_flags, OR-ed). On success *out is a new glob the caller frees
 * with glob_free. On error *out is NULL and err holds line 1 and the 1-based
 * byte col inside the pattern (file is empty: callers that know the source
 * copy line/col into their own report):
 *   GERR_PARSE     empty pattern, empty segment (leading, doubled or
 *                  trailing '/'), unterminated '[', trailing '\',
 *                  '/' inside a class, reversed range, unknown [:name:]
 *   GERR_TOO_LARGE longer than GLOB_PATTERN_MAX bytes
 * Pure; any thread.
 */
int glob_compile(const char *pattern, unsigned flags, struct glob **out,
    struct gerr *err);

/*
 * True if path[0..len) matches g. path is borrowed for the call, need not be
 * NUL-terminated. An empty path never matches. Reads g only: one compiled
 * glob may be matched from several threads at once.
 */
bool glob_match(const struct glob *g, const char *path, size_t len);

/* The pattern text as compiled; borrowed for the life of g. */
const char *glob_pattern(const struct glob *g);

/* True if the pattern has no wildcard at all (a plain path). */
bool glob_is_literal(const struct glob *g);

/* Free g and everything it owns. NULL is accepted. */
void glob_free(struct glob *g);

#endif
