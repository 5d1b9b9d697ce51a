/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * engine_watch.c - the glue between the watched roots (daemon/watch.h)
 * and the lifecycle engine: settled batches become on-save requests
 * (engine_on_batch), cache keys read content hashes from a ready root's
 * hot file table, and runs take a reference to the root's hot model
 * instead of reading make.toml. Called once from ggend_start, after watch_init.
 * Owns nothing; loop thread only.
 */
#include <stdlib.h>

#include "engine.h"
#include "ggend.h"
#include "req_dev.h"
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

	/* No good model yet: the watch logged why, and there is no phase
	 * to trigger. */
	if (g->engine == NULL || b->n == 0 ||
	    watch_root_model(b->root) == NULL)
		return;
	paths = xcalloc(b->n, sizeof(*paths));
	for (size_t i = 0; i < b->n; i++)
		paths[i] = b->changes[i].relpath;
	engine_on_batch(g->engine, watch_root_path(b->root),
	    watch_root_model(b->root), paths, b->n);
	/* `ggenc dev PHASE...` clients ask for their phases too. */
	req_dev_batch(g, watch_root_path(b->root), watch_root_model(b->root),
	    paths, b->n);
	free(paths);
}

/* Only a root that is this very directory: a sub-directory run reads its
 * own make.toml. */
static int
engine_watch_model(void *arg, const char *root, struct make_project **out,
    const struct make_findings **findings, struct gerr *err)
{
	struct ggend *g = arg;
	struct watch_root *r = g->watch != NULL ? watch_root_find(g, root) :
	    NULL;
	const char *rel = r != NULL ? watch_root_relpath(r, root) : NULL;

	*out = NULL;
	*findings = NULL;
	if (rel == NULL || rel[0] != '\0')
		return 0;
	return watch_root_model_ref(r, out, findings, err);
}

void
engine_watch_attach(struct ggend *g)
{
	if (g->engine == NULL)
		return;
	engine_set_table_source(g->engine, engine_watch_table, g);
	engine_set_model_source(g->engine, engine_watch_model, g);
	if (g->watch != NULL)
		watch_set_batch_listener(g, engine_watch_batch, g);
}
