/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * watch.c - the set of watched roots of one daemon (g->watch).
 *
 * Owns: every struct watch_root (a linked list; roots never nest: a path
 * inside a root answers with that root), their canonical paths.
 * Called by: ggend (init, release), the req_watch/unwatch/roots/... handlers
 * and the engine (watch.h). Loop thread only.
 * Invariant: a root's path is realpath(3)-canonical, without trailing '/'.
 */
#include "watch.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "ggend.h"
#include "xmalloc.h"

struct watch_root {
	struct watch_root *next;
	char *path;
	size_t pathlen;
	bool ready;
};

struct watch {
	struct ggend *g;
	struct watch_root *roots;
	watch_batch_fn batch_fn;
	void *batch_arg;
};

int
watch_init(struct ggend *g, struct gerr *err)
{
	(void)err;
	g->watch = xcalloc(1, sizeof(*g->watch));
	g->watch->g = g;
	return 0;
}

void
watch_restore(struct ggend *g)
{
	(void)g;
}

void
watch_release(struct ggend *g)
{
	struct watch_root *r, *next;

	if (g->watch == NULL)
		return;
	for (r = g->watch->roots; r != NULL; r = next) {
		next = r->next;
		free(r->path);
		free(r);
	}
	free(g->watch);
	g->watch = NULL;
}

const char *
watch_root_relpath(const struct watch_root *r, const char *abs)
{
	if (strncmp(abs, r->path, r->pathlen) != 0)
		return NULL;
	if (abs[r->pathlen] == '\0')
		return abs + r->pathlen;
	if (r->pathlen == 1)
		return abs + 1;		/* the root is "/" */
	if (abs[r->pathlen] == '/')
		return abs + r->pathlen + 1;
	return NULL;
}

static struct watch_root *
watch_find_canonical(struct ggend *g, const char *canon)
{
	struct watch_root *r;

	if (g->watch == NULL)
		return NULL;
	for (r = g->watch->roots; r != NULL; r = r->next)
		if (watch_root_relpath(r, canon) != NULL)
			return r;
	return NULL;
}

struct watch_root *
watch_root_find(struct ggend *g, const char *path)
{
	char canon[PATH_MAX];

	if (realpath(path, canon) == NULL)
		return NULL;
	return watch_find_canonical(g, canon);
}

int
watch_root_add(struct ggend *g, const char *dir, watch_ready_cb cb,
    void *arg, struct watch_root **out, struct gerr *err)
{
	char canon[PATH_MAX];
	struct watch_root *r;
	struct stat st;

	if (realpath(dir, canon) == NULL)
		return gerr_set(err, errno == ENOENT ? GERR_NOT_FOUND : GERR_IO,
		    "%s: %s", dir, strerror(errno));
	if (stat(canon, &st) != 0 || !S_ISDIR(st.st_mode))
		return gerr_set(err, GERR_INVALID, "%s: not a directory", dir);
	r = watch_find_canonical(g, canon);
	if (r == NULL) {
		r = xcalloc(1, sizeof(*r));
		r->path = xstrdup(canon);
		r->pathlen = strlen(canon);
		r->next = g->watch->roots;
		g->watch->roots = r;
		r->ready = true;
	}
	if (cb != NULL)
		cb(arg, r, NULL);
	if (out != NULL)
		*out = r;
	return 0;
}

void
watch_root_remove(struct ggend *g, struct watch_root *r)
{
	struct watch_root **pp;

	for (pp = &g->watch->roots; *pp != NULL; pp = &(*pp)->next) {
		if (*pp == r) {
			*pp = r->next;
			free(r->path);
			free(r);
			return;
		}
	}
}

const char *
watch_root_path(const struct watch_root *r)
{
	return r->path;
}

bool
watch_root_ready(const struct watch_root *r)
{
	return r->ready;
}

const struct filetable *
watch_root_table(const struct watch_root *r)
{
	(void)r;
	return NULL;
}

const struct make_project *
watch_root_model(const struct watch_root *r)
{
	(void)r;
	return NULL;
}

const struct make_findings *
watch_root_findings(const struct watch_root *r)
{
	(void)r;
	return NULL;
}

void
watch_set_batch_listener(struct ggend *g, watch_batch_fn fn, void *arg)
{
	g->watch->batch_fn = fn;
	g->watch->batch_arg = arg;
}

void
watch_expect_write(struct watch_root *r, const char *relpath,
    const XXH128_hash_t *h)
{
	(void)r;
	(void)relpath;
	(void)h;
}

struct watch_root *
watch_root_next(struct ggend *g, struct watch_root *prev)
{
	if (prev != NULL)
		return prev->next;
	return g->watch != NULL ? g->watch->roots : NULL;
}

void
watch_root_progress(const struct watch_root *r, struct watch_progress *out)
{
	memset(out, 0, sizeof(*out));
	out->ready = r->ready;
}

void
watch_status_add(struct ggend *g, struct cJSON *roots)
{
	(void)g;
	(void)roots;
}
