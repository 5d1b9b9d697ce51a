/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * run.h - the one vocabulary of a lifecycle run: its status, what
 * triggered it, the kinds of its spans, and their names. The engine
 * (daemon/engine.h), the history (daemon/history.h) and span records
 * (common/spanrec.h, by name) all take their values from here; where a
 * value crosses from one to the other a _Static_assert checks it
 * (daemon/histlink.c), so the casts there cannot drift.
 *
 * Names are the wire and database spelling ("ok", "save", "phase"): they
 * never change. A value out of range is named "unknown" everywhere.
 * Pure; static strings; any thread.
 */
#ifndef GGEN_RUN_H
#define GGEN_RUN_H

#include <stdbool.h>

enum run_trigger {
	RUN_TRIGGER_SAVE = 0,	/* a settled batch of saved files */
	RUN_TRIGGER_MANUAL,	/* a `run` request */
	RUN_TRIGGER_STARTUP,	/* the daemon starting */
	RUN_TRIGGER_COUNT
};

enum run_status {
	RUN_RUNNING = 0,
	RUN_OK,
	RUN_FAILED,
	RUN_CANCELLED,
	RUN_TIMEOUT,
	RUN_CACHED,		/* every phase record was a cache hit */
	RUN_INTERRUPTED,	/* found running after a restart (history) */
	RUN_QUEUED,		/* waiting to start (engine only: never a
				 * history record) */
	RUN_STATUS_COUNT
};

enum run_span_kind {
	RUN_SPAN_PHASE = 0,
	RUN_SPAN_HOOK,		/* a phase reached through a hook */
	RUN_SPAN_COMMAND,
	RUN_SPAN_RENDER,
	RUN_SPAN_KIND_COUNT
};

const char *run_trigger_name(enum run_trigger t);
const char *run_status_name(enum run_status s);
const char *run_span_kind_name(enum run_span_kind k);

/* Parse a name (NULL ok); false if unknown, *out untouched. */
bool run_trigger_parse(const char *name, enum run_trigger *out);
bool run_status_parse(const char *name, enum run_status *out);
bool run_span_kind_parse(const char *name, enum run_span_kind *out);

/* A status a finished run can end with (not running, not queued). */
bool run_status_is_final(enum run_status s);

#endif
