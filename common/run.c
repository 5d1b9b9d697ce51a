/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * run.c - the names of the run vocabulary (see run.h).
 *
 * Owns three static name tables, indexed by the enums (designated
 * initialisers, and a _Static_assert per table that it covers its enum).
 * Called by the engine, the history, the client's printers. Never
 * allocates.
 */
#include "run.h"

#include <stddef.h>
#include <string.h>

#define RUN_NELEM(a) (sizeof(a) / sizeof((a)[0]))

static const char *const run_trigger_names[] = {
	[RUN_TRIGGER_SAVE] = "save",
	[RUN_TRIGGER_MANUAL] = "manual",
	[RUN_TRIGGER_STARTUP] = "startup",
};
static const char *const run_status_names[] = {
	[RUN_RUNNING] = "running",
	[RUN_OK] = "ok",
	[RUN_FAILED] = "failed",
	[RUN_CANCELLED] = "cancelled",
	[RUN_TIMEOUT] = "timeout",
	[RUN_CACHED] = "cached",
	[RUN_INTERRUPTED] = "interrupted",
	[RUN_QUEUED] = "queued",
};
static const char *const run_span_kind_names[] = {
	[RUN_SPAN_PHASE] = "phase",
	[RUN_SPAN_HOOK] = "hook",
	[RUN_SPAN_COMMAND] = "command",
	[RUN_SPAN_RENDER] = "render",
};

_Static_assert(RUN_NELEM(run_trigger_names) == RUN_TRIGGER_COUNT,
    "a name per trigger");
_Static_assert(RUN_NELEM(run_status_names) == RUN_STATUS_COUNT,
    "a name per status");
_Static_assert(RUN_NELEM(run_span_kind_names) == RUN_SPAN_KIND_COUNT,
    "a name per span kind");

static const char *
run_name(const char *const *names, size_t n, unsigned v)
{
	return v < n ? names[v] : "unknown";
}

static bool
run_parse(const char *const *names, size_t n, const char *name,
    unsigned *out)
{
	for (size_t i = 0; name != NULL && i < n; i++)
		if (strcmp(names[i], name) == 0) {
			*out = (unsigned)i;
			return true;
		}
	return false;
}

const char *
run_trigger_name(enum run_trigger t)
{
	return run_name(run_trigger_names, RUN_NELEM(run_trigger_names),
	    (unsigned)t);
}

const char *
run_status_name(enum run_status s)
{
	return run_name(run_status_names, RUN_NELEM(run_status_names),
	    (unsigned)s);
}

const char *
run_span_kind_name(enum run_span_kind k)
{
	return run_name(run_span_kind_names, RUN_NELEM(run_span_kind_names),
	    (unsigned)k);
}

bool
run_trigger_parse(const char *name, enum run_trigger *out)
{
	unsigned v;

	if (!run_parse(run_trigger_names, RUN_NELEM(run_trigger_names), name,
	    &v))
		return false;
	*out = (enum run_trigger)v;
	return true;
}

bool
run_status_parse(const char *name, enum run_status *out)
{
	unsigned v;

	if (!run_parse(run_status_names, RUN_NELEM(run_status_names), name,
	    &v))
		return false;
	*out = (enum run_status)v;
	return true;
}

bool
run_span_kind_parse(const char *name, enum run_span_kind *out)
{
	unsigned v;

	if (!run_parse(run_span_kind_names, RUN_NELEM(run_span_kind_names),
	    name, &v))
		return false;
	*out = (enum run_span_kind)v;
	return true;
}

bool
run_status_is_final(enum run_status s)
{
	return s != RUN_RUNNING && s != RUN_QUEUED && s < RUN_STATUS_COUNT;
}
