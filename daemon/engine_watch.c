/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * engine_watch.c - the glue between the watched roots (daemon/watch.h)
 * and the lifecycle engine: settled batches become on-save requests
 * (engine_on_batch), cache keys read content hashes from a ready root's
 * hot file table, and runs take a reference to the root's hot model
 * instead of reading make.toml. Called once from ggend_start, after watch_new.
 * Owns nothing; loop thread only.
 */
#include <stdlib.h>

#include "engine.h"
#include "ggend.h"
#include "make.h"
#include "req_dev.h"
#include "watch.h"
#include "xmalloc.h"

static const struct filetable *
engine_watch_table(void *arg, const char *root)
{
	struct ggend *g = arg;
	struct watch_root *r = g->watch != NULL ? watch_root_find(g->watch, root) :
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
	struct make_project *model;
	const char **paths, **writers;
	size_t n_user;

	/* No good model yet: the watch logged why, and there is no phase
	 * to trigger. */
	if (g->engine == NULL || b->n == 0 ||
	    watch_root_model(b->root) == NULL)
		return;
	/* Invalid now: nothing runs on save until it is fixed (the watch
	 * published model.invalid with the errors). */
	if (watch_root_findings(b->root)->errors > 0)
		return;
	/* Our own reference for the call: submitting a run may re-parse a
	 * make.toml saved since, which drops the root's reference to this
	 * model while engine_on_batch still walks its phases (found by the
	 * race test). */
	model = make_project_ref((struct make_project *)
	    watch_root_model(b->root));
	paths = xcalloc(b->n, sizeof(*paths));
	writers = xcalloc(b->n, sizeof(*writers));
	for (size_t i = 0; i < b->n; i++) {
		paths[i] = b->changes[i].relpath;
		writers[i] = b->changes[i].writer;
	}
	engine_on_batch(g->engine, watch_root_path(b->root), model, paths,
	    writers, b->n);
	/* `ggenc dev PHASE...` clients ask for their phases too, on edits
	 * from outside (the daemon's own renders are not edits). */
	n_user = 0;
	for (size_t i = 0; i < b->n; i++)
		if (writers[i] == NULL)
			paths[n_user++] = b->changes[i].relpath;
	if (n_user > 0)
		req_dev_batch(g, watch_root_path(b->root), model, paths,
		    n_user);
	free(writers);
	free(paths);
	make_project_unref(model);
}

/* Only a root that is this very directory: a sub-directory run reads its
 * own make.toml. */
static int
engine_watch_model(void *arg, const char *root, struct make_project **out,
    const struct make_findings **findings, struct gerr *err)
{
	struct ggend *g = arg;
	struct watch_root *r = g->watch != NULL ? watch_root_find(g->watch, root) :
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
		watch_set_batch_listener(g->watch, engine_watch_batch, g);
}
