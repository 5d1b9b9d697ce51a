/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * runenv.c - building a child's environment and the changed-files handoff.
 *
 * Owns the "K=V" strings of a struct runenv. Called by the lifecycle engine
 * before runner_spawn. Invariant: vars[0..n) sorted strictly by key (the
 * bytes before the first '='), vars[n] == NULL, so the envp is deterministic
 * and one key never appears twice (getenv in the child would pick the first,
 * other tools the last). Never runs a shell, never quotes.
 */
#include "runenv.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fileio.h"
#include "strbuf.h"
#include "xmalloc.h"

void
runenv_init(struct runenv *e)
{
	e->vars = xcalloc(1, sizeof *e->vars);
	e->n = 0;
	e->cap = 1;
}

void
runenv_release(struct runenv *e)
{
	if (e == NULL || e->vars == NULL)
		return;
	for (size_t i = 0; i < e->n; i++)
		free(e->vars[i]);
	free(e->vars);
	e->vars = NULL;
	e->n = e->cap = 0;
}

/* Compare the key klen bytes long with the key of entry "K=V". */
static int
runenv_keycmp(const char *key, size_t klen, const char *entry)
{
	size_t elen = strcspn(entry, "=");
	int c = memcmp(key, entry, klen < elen ? klen : elen);

	if (c != 0)
		return c;
	return klen < elen ? -1 : klen > elen ? 1 : 0;
}

/* Index of key, or where it would go (and *found false). */
static size_t
runenv_find(const struct runenv *e, const char *key, size_t klen, bool *found)
{
	size_t lo = 0, hi = e->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = runenv_keycmp(key, klen, e->vars[mid]);

		if (c == 0) {
			*found = true;
			return mid;
		}
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	*found = false;
	return lo;
}

/* Insert or replace the entry "K=V" (ownership transferred). */
static void
runenv_put(struct runenv *e, char *entry)
{
	bool found;
	size_t klen = strcspn(entry, "=");
	size_t i = runenv_find(e, entry, klen, &found);

	if (found) {
		free(e->vars[i]);
		e->vars[i] = entry;
		return;
	}
	if (e->n + 2 > e->cap) {
		e->cap = e->cap * 2 + 8;
		e->vars = xreallocarray(e->vars, e->cap, sizeof *e->vars);
	}
	memmove(e->vars + i + 1, e->vars + i, (e->n - i + 1) * sizeof *e->vars);
	e->vars[i] = entry;
	e->n++;
}

void
runenv_import(struct runenv *e, char *const *envp)
{
	for (; envp != NULL && *envp != NULL; envp++) {
		const char *eq = strchr(*envp, '=');

		if (eq == NULL || eq == *envp)
			continue;
		runenv_put(e, xstrdup(*envp));
	}
}

int
runenv_set(struct runenv *e, const char *key, const char *value,
    struct gerr *err)
{
	if (key[0] == '\0' || strchr(key, '=') != NULL)
		return gerr_set(err, GERR_INVALID,
		    "environment variable name \"%s\": must be non-empty "
		    "and contain no '='", key);
	runenv_put(e, xasprintf("%s=%s", key, value));
	return 0;
}

void
runenv_unset(struct runenv *e, const char *key)
{
	bool found;
	size_t i = runenv_find(e, key, strlen(key), &found);

	if (!found)
		return;
	free(e->vars[i]);
	memmove(e->vars + i, e->vars + i + 1, (e->n - i) * sizeof *e->vars);
	e->n--;
}

const char *
runenv_get(const struct runenv *e, const char *key)
{
	bool found;
	size_t klen = strlen(key);
	size_t i = runenv_find(e, key, klen, &found);

	return found ? e->vars[i] + klen + 1 : NULL;
}

char *const *
runenv_envp(struct runenv *e)
{
	return e->vars;
}

void
runenv_set_ggen(struct runenv *e, const char *root, const char *workspace,
    const char *phase, const char *run_id)
{
	runenv_put(e, xasprintf("GGEN_ROOT=%s", root));
	runenv_put(e, xasprintf("GGEN_WORKSPACE=%s", workspace));
	runenv_put(e, xasprintf("GGEN_PHASE=%s", phase));
	runenv_put(e, xasprintf("GGEN_RUN_ID=%s", run_id));
}

/* Write the NUL-terminated list to run_dir/changed. Scratch data for one
 * run: atomic, but not fsynced (worthless after a crash). */
static int
runenv_write_list(const char *const *paths, size_t n, const char *path,
    struct gerr *err)
{
	struct strbuf sb = STRBUF_INIT;
	int rc;

	for (size_t i = 0; i < n; i++)
		strbuf_add(&sb, paths[i], strlen(paths[i]) + 1);
	rc = fileio_write(path, sb.buf, sb.len, 0600, FILEIO_NO_SYNC, err);
	strbuf_release(&sb);
	return rc;
}

int
runenv_set_changed(struct runenv *e, const char *const *paths, size_t n,
    const char *run_dir, struct gerr *err)
{
	struct strbuf sb = STRBUF_INIT;
	char *file = xasprintf("%s/changed", run_dir);
	char count[32];
	bool truncated = false;
	int rc;

	rc = runenv_write_list(paths, n, file, err);
	if (rc != 0) {
		free(file);
		return rc;
	}
	for (size_t i = 0; i < n; i++) {
		size_t len = strlen(paths[i]);
		size_t need = len + (sb.len > 0 ? 1 : 0);

		if (strchr(paths[i], '\n') != NULL) {
			truncated = true;
			continue;
		}
		/* Whole paths only: a cut path would name another file. */
		if (sb.len + need > RUNENV_CHANGED_MAX) {
			truncated = true;
			break;
		}
		if (sb.len > 0)
			strbuf_addch(&sb, '\n');
		strbuf_add(&sb, paths[i], len);
	}
	snprintf(count, sizeof count, "%zu", n);
	runenv_put(e, xasprintf("GGEN_CHANGED=%s", sb.buf));
	runenv_put(e, xasprintf("GGEN_CHANGED_COUNT=%s", count));
	runenv_put(e, xasprintf("GGEN_CHANGED_FILE=%s", file));
	if (truncated)
		runenv_put(e, xstrdup("GGEN_CHANGED_TRUNCATED=1"));
	else
		runenv_unset(e, "GGEN_CHANGED_TRUNCATED");
	strbuf_release(&sb);
	free(file);
	return 0;
}
