/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * runenv.h - the environment of a phase's child process.
 *
 * A struct runenv is a set of "KEY=VALUE" strings, unique by key, kept
 * sorted by key (byte order), that becomes spawn_spec.envp. The engine
 * builds it before spawning: runenv_import(environ), then the phase's env
 * table, then the GGEN_* variables. Values are stored verbatim: no shell
 * quoting anywhere, the child's shell reads them from its environment.
 *
 * Variables the runner's callers set (documented for users in README):
 *   GGEN_ROOT, GGEN_WORKSPACE, GGEN_PHASE, GGEN_RUN_ID  (runenv_set)
 *   GGEN_CHANGED          changed paths relative to the workspace, one per
 *                         line ("\n"-separated, no trailing newline), in the
 *                         order given, whole paths only, at most
 *                         RUNENV_CHANGED_MAX bytes. Paths containing a
 *                         newline never appear in it (they would be
 *                         ambiguous); they are in the file.
 *   GGEN_CHANGED_COUNT    number of changed paths (all of them).
 *   GGEN_CHANGED_TRUNCATED  "1" when GGEN_CHANGED does not hold every path
 *                         (cap reached or a path contains a newline), else
 *                         unset. This is the truncation marker: scripts
 *                         that need every path read the file.
 *   GGEN_CHANGED_FILE     absolute path of a file holding every changed
 *                         path, each terminated by a NUL byte (exact for any
 *                         file name): `xargs -0 < "$GGEN_CHANGED_FILE"`, or
 *                         `while IFS= read -r -d '' f; do ...; done`.
 *                         Written atomically (temp file + rename) as
 *                         RUN_DIR/changed.
 *
 * Ownership: the struct owns every string. Not thread-safe; any thread may
 * build one, one thread at a time.
 */
#ifndef GGEN_RUNENV_H
#define GGEN_RUNENV_H

#include <stddef.h>

#include "gerr.h"

/* Cap on GGEN_CHANGED: well under ARG_MAX/MAX_ARG_STRLEN (128 KiB). */
#define RUNENV_CHANGED_MAX (16 * 1024)

struct runenv {
	char **vars;		/* "K=V", sorted by K, unique; NULL-terminated */
	size_t n;
	size_t cap;
};

void runenv_init(struct runenv *e);
/* Free all strings; e is empty again. e may be NULL. */
void runenv_release(struct runenv *e);
/*
 * Add every "K=V" entry of envp (borrowed, NULL-terminated); later entries
 * and existing keys are overwritten in order. Entries without '=' or with an
 * empty key are skipped (they cannot be passed on unambiguously).
 */
void runenv_import(struct runenv *e, char *const *envp);
/*
 * Set key to value (both borrowed, copied). GERR_INVALID when key is empty
 * or contains '=' (the message names the key).
 */
int runenv_set(struct runenv *e, const char *key, const char *value,
    struct gerr *err);
/* Remove key if present. */
void runenv_unset(struct runenv *e, const char *key);
/* The value of key, borrowed until the next change to e; NULL if unset. */
const char *runenv_get(const struct runenv *e, const char *key);
/* The NULL-terminated envp, borrowed until the next change to e. */
char *const *runenv_envp(struct runenv *e);

/*
 * Set GGEN_ROOT, GGEN_WORKSPACE, GGEN_PHASE and GGEN_RUN_ID (all borrowed,
 * copied; root and workspace are absolute directories, run_id the history
 * id in decimal). Cannot fail: the keys are fixed and valid.
 */
void runenv_set_ggen(struct runenv *e, const char *root, const char *workspace,
    const char *phase, const char *run_id);

/*
 * Set GGEN_CHANGED, GGEN_CHANGED_COUNT, GGEN_CHANGED_TRUNCATED (or unset it)
 * and GGEN_CHANGED_FILE for the n paths (borrowed), writing the full list to
 * run_dir/changed (run_dir must exist; it should be absolute, since the
 * child runs in the workspace). Errors: GERR_IO naming the file and
 * strerror; e is unchanged then. Blocking file I/O of the list's size:
 * fine on the loop for the usual few KiB, the caller moves big lists to a
 * worker.
 */
int runenv_set_changed(struct runenv *e, const char *const *paths, size_t n,
    const char *run_dir, struct gerr *err);

#endif
