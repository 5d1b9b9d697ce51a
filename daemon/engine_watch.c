/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * engine_watch.c - the glue between the watched roots (daemon/watch.h)
 * and the lifecycle engine: settled batches become on-save requests
 * (engine_on_batch), and cache keys read content hashes from a ready
 * root's hot file table. Called once from ggend_start, after watch_init.
 * Owns nothing; loop thread only.
 */
#include <stdlib.h>

#include "engine.h"
#include "ggend.h"
#include "watch.h"
#include "xmalloc.h"

static const struct filetable *
engine_watch_table(void *arg, const char *root)
{
	struct ggend *g = arg;
	struct watch_root *r = g->watch != NULL ? watch_root_find(g, root) :
	    NULL;

	/* Only a root that is this very directory: a workspace dir inside
	 * a bigger root would need its paths re-based. */
	if (r == NULL || !watch_root_ready(r) ||
	    watch_root_relpath(r, root) == NULL ||
	    watch_root_relpath(r, root)[0] != '\0')
		return NULL;
	return watch_root_table(r);
}

static void
engine_watch_batch(void *arg, const struct watch_batch *b)
{
	struct ggend *g = arg;
	const char **paths;

	if (g->engine == NULL || b->n == 0)
		return;
	paths = xcalloc(b->n, sizeof(*paths));
	for (size_t i = 0; i < b->n; i++)
		paths[i] = b->changes[i].relpath;
	engine_on_batch(g->engine, watch_root_path(b->root),
	    watch_root_model(b->root), paths, b->n);
	free(paths);
}

void
engine_watch_attach(struct ggend *g)
{
	if (g->engine == NULL)
		return;
	engine_set_table_source(g->engine, engine_watch_table, g);
	if (g->watch != NULL)
		watch_set_batch_listener(g, engine_watch_batch, g);
}
