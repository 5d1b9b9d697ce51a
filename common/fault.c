/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * fault.c - the counters behind fault_hit() in fault-injection builds.
 *
 * Owns: the arming (nth, point mask, persistence) and two counters, all
 * atomics so the history writer thread and the loop can hit points at the
 * same time; the environment is read once (pthread_once) at the first
 * hit. Called by: modules with fault points (history, state files) and the
 * unit tests that sweep them. Invariant: injected <= hits.
 * Never compiled into normal builds: without GGEN_FAULT_INJECTION this
 * file is empty and fault_hit() is a constant (fault.h).
 */
#include "fault.h"

#ifdef GGEN_FAULT_INJECTION

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"

static const char *const fault_names[FAULT_POINT_COUNT] = {
	[FAULT_HISTORY_OPEN] = "history_open",
	[FAULT_HISTORY_STEP] = "history_step",
	[FAULT_STATE_WRITE] = "state_write",
	[FAULT_STATE_RENAME] = "state_rename",
	[FAULT_OUTPUT_WRITE] = "output_write",
	[FAULT_OUTPUT_RENAME] = "output_rename",
	[FAULT_SNAPSHOT_KILL] = "snapshot_kill",
};

static pthread_once_t fault_once = PTHREAD_ONCE_INIT;
static atomic_ulong fault_nth;
static atomic_uint fault_mask;
static atomic_bool fault_persistent;
static atomic_ulong fault_hit_count;
static atomic_ulong fault_injected_count;

const char *
fault_point_name(enum fault_point p)
{
	return (unsigned)p < FAULT_POINT_COUNT ? fault_names[p] : NULL;
}

/* "a,b" -> mask; unknown names are fatal: a typo would silently make a
 * sweep test nothing. */
static unsigned
fault_parse_points(const char *s)
{
	unsigned mask = 0;
	const char *p = s;

	while (*p != '\0') {
		size_t n = strcspn(p, ",");
		int i;

		for (i = 0; i < FAULT_POINT_COUNT; i++)
			if (strlen(fault_names[i]) == n &&
			    strncmp(fault_names[i], p, n) == 0)
				break;
		if (i == FAULT_POINT_COUNT)
			fatal("GGEN_FAULT_POINTS: unknown point \"%.*s\"",
			    (int)n, p);
		mask |= 1u << i;
		p += n;
		if (*p == ',')
			p++;
	}
	return mask;
}

static void
fault_init_env(void)
{
	const char *nth = getenv("GGEN_FAULT_NTH");
	const char *points = getenv("GGEN_FAULT_POINTS");
	const char *persist = getenv("GGEN_FAULT_PERSIST");

	atomic_store(&fault_nth, nth != NULL ? strtoul(nth, NULL, 10) : 0);
	atomic_store(&fault_mask, points != NULL ?
	    fault_parse_points(points) : 0);
	atomic_store(&fault_persistent, persist != NULL &&
	    strcmp(persist, "1") == 0);
}

void
fault_arm(unsigned long nth, unsigned mask, bool persistent)
{
	pthread_once(&fault_once, fault_init_env);
	atomic_store(&fault_nth, nth);
	atomic_store(&fault_mask, mask);
	atomic_store(&fault_persistent, persistent);
	atomic_store(&fault_hit_count, 0);
	atomic_store(&fault_injected_count, 0);
}

bool
fault_hit_at(enum fault_point p, const char *file, int line)
{
	unsigned long n, nth;
	unsigned mask;

	pthread_once(&fault_once, fault_init_env);
	mask = atomic_load(&fault_mask);
	if (mask != 0 && !(mask & (1u << p)))
		return false;
	n = atomic_fetch_add(&fault_hit_count, 1) + 1;
	nth = atomic_load(&fault_nth);
	if (nth == 0 || n < nth ||
	    (n > nth && !atomic_load(&fault_persistent)))
		return false;
	atomic_fetch_add(&fault_injected_count, 1);
	log_warn("fault injected: %s (hit %lu) at %s:%d",
	    fault_point_name(p), n, file, line);
	return true;
}

unsigned long
fault_hits(void)
{
	return atomic_load(&fault_hit_count);
}

unsigned long
fault_injected(void)
{
	return atomic_load(&fault_injected_count);
}

#else

/* ISO C wants at least one declaration in a translation unit. */
typedef int fault_disabled;

#endif
