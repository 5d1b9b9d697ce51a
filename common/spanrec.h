/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * spanrec.h - the borrowed, storage-neutral view of one span that the pure
 * span tools (rundiff, chrometrace) take as input.
 *
 * A run is a flat array of spanrec; the tree is given by parent ids (0 = a
 * top-level span). Every pointer is borrowed from whoever built the array
 * (daemon/history.c: history_run_spanrecs) and must outlive the call that
 * reads it. Header only: no functions, no allocation.
 */
#ifndef GGEN_SPANREC_H
#define GGEN_SPANREC_H

#include <stdint.h>

struct spanrec {
	uint64_t id;		/* unique within the run, > 0 */
	uint64_t parent;	/* 0 = no parent */
	const char *kind;	/* run_span_kind_name (common/run.h) */
	const char *name;
	const char *workspace;	/* "" for the root workspace */
	const char *status;	/* run_status_name (common/run.h) */
	int64_t start_us;	/* wall clock, microseconds since the epoch */
	int64_t dur_us;
};

#endif
