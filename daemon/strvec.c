/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * strvec.c - growable array of owned strings. Called by poller.c and
 * rootsync.c on the loop thread. Invariant: n <= cap, v[0..n) are
 * xstrdup'ed strings owned by the vector (or, below a caller's consumed
 * mark, already handed out: see strvec_clear_from).
 */
#include "strvec.h"

#include <stdlib.h>

#include "xmalloc.h"

void
strvec_push(struct strvec *sv, const char *s)
{
	if (sv->n == sv->cap) {
		sv->cap = sv->cap ? sv->cap * 2 : 16;
		sv->v = xreallocarray(sv->v, sv->cap, sizeof(*sv->v));
	}
	sv->v[sv->n++] = xstrdup(s);
}

char *
strvec_pop(struct strvec *sv)
{
	return sv->v[--sv->n];
}

void
strvec_clear_from(struct strvec *sv, size_t from)
{
	for (size_t i = from; i < sv->n; i++)
		free(sv->v[i]);
	sv->n = 0;
}

void
strvec_release(struct strvec *sv)
{
	strvec_clear_from(sv, 0);
	free(sv->v);
	sv->v = NULL;
	sv->cap = 0;
}
