/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * rundiff.h - compare two runs span by span (`ggenc diff RUN_A RUN_B`).
 *
 * Spans are matched by (workspace, span path), the path being the names from
 * the top-level span down, joined with '/' (so it starts with the phase:
 * "build/before_build/lint/cargo clippy"). A path seen twice in one run gets
 * "#2", "#3", ... in order of appearance, so repeated commands pair up in
 * order. Matching uses hash maps: time and memory are linear in the number
 * of spans (plus the length of the paths). Pure: no I/O, no globals.
 */
#ifndef GGEN_RUNDIFF_H
#define GGEN_RUNDIFF_H

#include <stddef.h>
#include <stdint.h>

#include "gerr.h"
#include "spanrec.h"

enum rundiff_change {
	RUNDIFF_SAME = 0,	/* in both, same status (see delta_us) */
	RUNDIFF_STATUS,		/* in both, status differs */
	RUNDIFF_ADDED,		/* only in B */
	RUNDIFF_REMOVED,	/* only in A */
};

struct rundiff_entry {
	enum rundiff_change change;
	char *workspace;	/* owned; "" = root workspace */
	char *path;		/* owned */
	char *kind;		/* owned; B's kind if in B, else A's */
	char *status_a;		/* owned; NULL if absent in A */
	char *status_b;		/* owned; NULL if absent in B */
	int64_t dur_a_us;	/* -1 if absent */
	int64_t dur_b_us;	/* -1 if absent */
	int64_t delta_us;	/* dur_b - dur_a when in both, else 0 */
};

struct rundiff {
	/* B's spans in B's order (same, status, added), then A's removed. */
	struct rundiff_entry *entries;
	size_t n;
	size_t n_same;
	size_t n_status;
	size_t n_added;
	size_t n_removed;
};

/*
 * Diff run A (a[0..na)) against run B. Inputs borrowed for the call. *out is
 * the caller's: free with rundiff_free. GERR_INVALID if a span names a
 * parent missing from its run, repeats an id, or the parents form a cycle
 * (message names the run, "A" or "B", and the span id).
 */
int rundiff_compute(const struct spanrec *a, size_t na,
    const struct spanrec *b, size_t nb, struct rundiff **out,
    struct gerr *err);

void rundiff_free(struct rundiff *d);

/* "same", "status", "added", "removed". */
const char *rundiff_change_name(enum rundiff_change c);

#endif
