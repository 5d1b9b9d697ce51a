/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * generate.c - the render step of a phase (see generate.h).
 *
 * Owns: struct generate_job (its copies of dir and the per-template work
 * list). Called by the lifecycle engine on the loop thread.
 * Invariant: the done callback runs at most once, never from inside
 * generate_start, and never after generate_cancel.
 */
#include <stdlib.h>
#include <string.h>

#include "generate.h"
#include "xmalloc.h"

struct generate_job {
	char *dir;
};

int
generate_start(struct ggend *g, struct watch_root *root, const char *dir,
    const struct make_project *model, const struct make_phase *phase,
    const struct cJSON *request_vars, const char *const *changed,
    size_t n_changed, generate_done_cb cb, void *arg,
    struct generate_job **out, struct gerr *err)
{
	(void)g; (void)root; (void)dir; (void)model; (void)phase;
	(void)request_vars; (void)changed; (void)n_changed; (void)cb;
	(void)arg;
	*out = NULL;
	return gerr_set(err, GERR_INTERNAL, "generate: not implemented yet");
}

void
generate_cancel(struct generate_job *job)
{
	if (job == NULL)
		return;
	free(job->dir);
	free(job);
}
