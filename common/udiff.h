/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * udiff.h - line-based unified diff (Myers' O(ND) algorithm) for
 * `ggenc render --diff`.
 *
 * Lines keep their newline when comparing, so a missing final newline is a
 * difference (printed with "\ No newline at end of file", as diff(1)
 * does). Memory is O((N+M) + D^2) for D changed lines: D is capped at
 * max_edits, past which GERR_TOO_LARGE says the inputs differ too much.
 * Any thread, no global state.
 */
#ifndef GGEN_UDIFF_H
#define GGEN_UDIFF_H

#include <stddef.h>

#include "gerr.h"
#include "strbuf.h"

#define UDIFF_CONTEXT 3
#define UDIFF_DEFAULT_MAX_EDITS 2000

/*
 * Append to out a unified diff from a (alen bytes, named a_name in the
 * "--- " header) to b (named b_name); nothing when they are equal.
 * a and b are borrowed; a may be NULL (alen 0) for a missing file.
 * max_edits: 0 = UDIFF_DEFAULT_MAX_EDITS. Returns 0 or GERR_TOO_LARGE
 * (more than max_edits lines inserted + deleted; out untouched).
 */
int udiff_unified(const char *a, size_t alen, const char *a_name,
    const char *b, size_t blen, const char *b_name, size_t max_edits,
    struct strbuf *out, struct gerr *err);

#endif
