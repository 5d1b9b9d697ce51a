/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * req_scope.h - which project a history request is about, and run ids
 * counted from the latest (`-1`, `last`), for history, stats, runs,
 * trace, show, logs, diff and cancel.
 *
 * A request scopes itself with `root` (an absolute root), `all_roots`
 * (every root) or `cwd` (the client's working directory: the root containing
 * it, the deepest one, among the watched roots and then the roots in the
 * history; none found = every root). Loop thread only.
 */
#ifndef GGEN_REQ_SCOPE_H
#define GGEN_REQ_SCOPE_H

#include <stdbool.h>
#include <stddef.h>

#include "gerr.h"
#include "req.h"

/*
 * The scope of req: *found true with root (size bytes) filled when one
 * root is meant, false for every root. Never fails: a cwd outside every
 * known root means every root.
 */
void req_scope_root(struct req *req, char *root, size_t size, bool *found);

/*
 * If field name of req is a negative integer -N, replace it in the
 * request with the id of the N-th latest run in req's scope (-1 = the
 * latest). Positive ids are left alone. GERR_INVALID for 0,
 * GERR_RUN_NOT_FOUND when the scope holds fewer than N runs (the message
 * names the root), GERR_HISTORY.
 */
int req_scope_run_id(struct req *req, const char *name, struct gerr *err);

/* Add the scope to result (borrowed): "root" (string) or null for every
 * root. */
void req_scope_json(struct req *req, cJSON *result);

#endif
