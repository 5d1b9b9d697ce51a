/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * engine_cache.h - internal to the engine (daemon/engine*.c): cache keys
 * of phases and the last successful key per (root, workspace, phase),
 * kept in memory and in STATE_DIR/engine-cache.json (written atomically)
 * so a restarted daemon keeps its cache hits. Loop thread only.
 */
#ifndef GGEN_ENGINE_CACHE_H
#define GGEN_ENGINE_CACHE_H

#include <stdbool.h>
#include <stddef.h>

#include "cachekey.h"
#include "gerr.h"
#include "make.h"

/* Entries kept; the oldest is evicted beyond it. */
#define ENGINE_CACHE_MAX 4096
/* Input files hashed into one key; more is GERR_LIMIT (no caching). */
#define ENGINE_CACHE_INPUTS_MAX 100000

struct engine_cache;

/* Load state_dir/engine-cache.json if present (bad content: logged, the
 * cache starts empty). state_dir borrowed for the call. */
struct engine_cache *engine_cache_new(const char *state_dir);
void engine_cache_free(struct engine_cache *c);

/*
 * The key of phase ph for the workspace ws_rel (root-relative, as
 * treefiles_ws_rel spells it; "" = the root) of root, from the disk:
 * inputs are the workspace's files (common/projtree.h policy, with
 * root_model's `[watch] ignore`; root_model may be NULL) that ph's
 * `inputs` globs match, hashed with XXH3-128 (a symlink: its target
 * text). Blocking I/O on the calling thread. GERR_IO (unreadable input,
 * message names it), GERR_LIMIT.
 */
int engine_cache_key(const struct make_phase *ph, const char *root,
    const char *ws_rel, const struct make_project *root_model,
    char key[CACHEKEY_HEX_SIZE], struct gerr *err);

struct filetable;

/*
 * As engine_cache_key, from a watched root's hot file table (t, paths
 * relative to root, its directory) without reading any file: ws_rel is
 * the workspace's path relative to the root ("" = the root). Each matched
 * file is lstat'ed once so a save whose event is still unread is not
 * keyed with its old hash. GERR_BUSY when a matched file's hash is not
 * known yet or its stat changed (the caller falls back to
 * engine_cache_key), GERR_LIMIT.
 */
int engine_cache_key_table(const struct make_phase *ph,
    const struct filetable *t, const char *root, const char *ws_rel,
    char key[CACHEKEY_HEX_SIZE], struct gerr *err);

/* The last successful key of (root, ws, phase), or NULL. Borrowed until
 * the next engine_cache_store. ws "" = the root. */
const char *engine_cache_lookup(const struct engine_cache *c,
    const char *root, const char *ws, const char *phase);

/* Remember key as the last successful one and rewrite the state file
 * (errors logged: losing the file only costs a rebuild). */
void engine_cache_store(struct engine_cache *c, const char *root,
    const char *ws, const char *phase, const char *key);

/* First output of ph missing under ws_dir (borrowed from ph), or NULL
 * when all exist. */
const char *engine_cache_missing_output(const struct make_phase *ph,
    const char *ws_dir);

#endif
