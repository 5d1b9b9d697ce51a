/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * chrometrace.h - a run with its spans as Chrome trace-event JSON
 * (`ggenc trace RUN --format chrome`), which Perfetto and chrome://tracing
 * open.
 *
 * Output shape: {"displayTimeUnit":"ms","traceEvents":[...],"otherData":{}}.
 * pid 1 is the run; tid 0 carries one "X" event for the whole run, and each
 * workspace gets its own tid (1, 2, ... in order of first appearance; the
 * root workspace "" is named "(root)") with "M" thread_name metadata. Every
 * span is one "X" (complete) event: name, cat = kind, ts/dur in microseconds
 * relative to the earliest of the run start and the span starts, args =
 * {status, id, parent}. A span still running (dur < 0) gets dur 0.
 * Pure: no I/O, no globals.
 */
#ifndef GGEN_CHROMETRACE_H
#define GGEN_CHROMETRACE_H

#include <stddef.h>
#include <stdint.h>

#include "spanrec.h"

struct chrometrace_run {
	uint64_t id;
	const char *root;	/* all borrowed for the call; NULL = "" */
	const char *workspace;
	const char *phase;
	const char *status;
	int64_t start_us;
	int64_t end_us;		/* 0 = still running: ends at the last span */
};

/*
 * Render; spans borrowed for the call. Returns a NUL-terminated JSON text,
 * the caller's to free(); *len (may be NULL) gets its length. Never fails:
 * strings are escaped, so any bytes in names give valid JSON.
 */
char *chrometrace_render(const struct chrometrace_run *run,
    const struct spanrec *spans, size_t n, size_t *len);

#endif
