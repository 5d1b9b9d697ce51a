/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * req_dev.h - the daemon side of `ggenc dev` (daemon/req_dev.c): hooks
 * for the watch glue and for the daemon's release. Loop thread only.
 */
#ifndef GGEN_REQ_DEV_H
#define GGEN_REQ_DEV_H

#include <stddef.h>

struct ggend;

struct make_project;

/*
 * A settled batch of root (changed: paths relative to it; model: the
 * root's hot model, may be NULL; all borrowed for the call): every dev
 * client of root that named phases requests them (trigger save), except
 * those the batch already requested on save. A run that cannot start is
 * told to that client as an "error" progress message. Called by
 * daemon/engine_watch.c after the root's own on-save phases were
 * requested.
 */
void req_dev_batch(struct ggend *g, const char *root,
    const struct make_project *model, const char *const *changed,
    size_t n_changed);

/*
 * root (borrowed) stops being watched (`unwatch`): every dev client
 * following it gets an error reply (root_not_found, saying so), which
 * ends its request, instead of a loop that would never show a run again.
 */
void req_dev_root_removed(struct ggend *g, const char *root);

/* Free g->devhub (after the engine and the server are gone). */
void req_dev_hub_free(struct ggend *g);

#endif
