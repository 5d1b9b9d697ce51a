/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * engine_batch.c - on-save requests: which phases a settled batch of
 * changed files triggers (engine_on_batch, see engine.h).
 *
 * Called by the watch glue (engine_watch.c) once per batch and by the unit
 * tests. Owns nothing beyond the call; every request goes through
 * engine_submit, where the phase's on_busy policy applies. Invariant: a
 * phase's own `outputs` never trigger it (a phase writing its outputs
 * would otherwise run forever). Loop thread only.
 */
#include <stdlib.h>
#include <string.h>

#include "engine.h"
#include "engine_cache.h"
#include "log.h"
#include "make.h"
#include "xmalloc.h"

/* Files of changed (root-relative) that trigger ph in the workspace at
 * prefix ("" = the root), as root-relative pointers into changed. */
static size_t
engine_batch_match(const struct make_phase *ph, const char *prefix,
    const char *const *changed, size_t n, const char **out)
{
	size_t plen = strlen(prefix), k = 0;

	for (size_t i = 0; i < n; i++) {
		const char *rel = changed[i];

		if (plen > 0) {
			if (strncmp(rel, prefix, plen) != 0 || rel[plen] != '/')
				continue;
			rel += plen + 1;
		}
		/* A phase's own outputs never trigger it: no loops. */
		if (make_strlist_match(&ph->outputs, rel) >= 0)
			continue;
		if (ph->watch == MAKE_WATCH_ALL ||
		    make_strlist_match(&ph->watch_globs, rel) >= 0)
			out[k++] = changed[i];
	}
	return k;
}

static void
engine_batch_place(struct engine *g, const char *root,
    const struct make_project *m, const struct make_workspace *ws,
    const char *const *changed, size_t n, const char **matched)
{
	for (size_t i = 0; i < m->phases_len; i++) {
		const struct make_phase *ph = &m->phases[i];
		const char *phases[1] = { ph->name };
		struct engine_request req = {
			.root = root, .phases = phases, .n_phases = 1,
			.target = ws != NULL ? PLAN_TARGET_WORKSPACE :
			    PLAN_TARGET_ROOT,
			.workspace = ws != NULL ? ws->name : NULL,
			.trigger = ENGINE_TRIGGER_SAVE, .changed = matched,
		};
		struct gerr err;
		uint64_t id;

		if (ph->watch == MAKE_WATCH_NONE)
			continue;
		req.n_changed = engine_batch_match(ph, ws != NULL ? ws->path :
		    "", changed, n, matched);
		if (req.n_changed == 0)
			continue;
		gerr_clear(&err);
		if (engine_submit(g, &req, NULL, NULL, &id, &err) != 0)
			log_warn("on-save %s in %s: %s", ph->name, root,
			    err.msg);
	}
}

void
engine_on_batch(struct engine *g, const char *root,
    const struct make_project *hot, const char *const *changed,
    size_t n_changed)
{
	struct make_project *loaded = NULL;
	const struct make_project *model = hot;
	const char **matched;
	struct gerr err;

	if (n_changed == 0)
		return;
	gerr_clear(&err);
	if (model == NULL) {
		if (make_load(root, &loaded, NULL, &err) != 0) {
			log_warn("on-save in %s: %s", root, err.msg);
			return;
		}
		model = loaded;
	}
	matched = xcalloc(n_changed, sizeof(*matched));
	if (model->workspaces_len == 0)
		engine_batch_place(g, root, model, NULL, changed, n_changed,
		    matched);
	for (size_t i = 0; i < model->workspaces_len; i++) {
		const struct make_workspace *ws = &model->workspaces[i];

		engine_batch_place(g, root, ws->own != NULL ? ws->own : model,
		    ws, changed, n_changed, matched);
	}
	free(matched);
	make_project_free(loaded);
}
