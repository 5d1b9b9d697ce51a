/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * fault.h - fault injection points for failure-path tests: a sweep fails
 * the Nth hit, N = 1, 2, ... until the scenario succeeds, and checks the
 * data is intact each time (SQLite's faultsim).
 *
 * Code that can fail on I/O asks `if (fault_hit(FAULT_X))` right before
 * the real operation and, when it is true, takes the same error path the
 * real failure would (with a message saying the fault was injected).
 * Without -Dfault_injection=true, fault_hit() is the constant false and
 * costs nothing; the functions below do not exist.
 *
 * In a fault-injection build, hits are counted over the armed points and
 * the Nth one fails (SQLite's faultsim): a sweep runs the same scenario
 * for N = 1, 2, ... until a run sees fewer than N hits (it completed with
 * no fault left to inject). Arming comes from the environment, read at
 * the first hit:
 *   GGEN_FAULT_NTH=N          fail the Nth hit (unset or 0: never)
 *   GGEN_FAULT_POINTS=a,b     only count these points (names below;
 *                             default: all)
 *   GGEN_FAULT_PERSIST=1      fail every hit from the Nth on, not one
 * or from fault_arm() (unit tests). Each injected failure logs one WARN
 * "fault injected: POINT (hit N) at FILE:LINE", which integration sweeps
 * read from the daemon's log.
 *
 * Threads: any (counters are atomic). The counters are the one piece of
 * process-wide mutable state outside the logger, and exist only in
 * fault-injection builds.
 */
#ifndef GGEN_FAULT_H
#define GGEN_FAULT_H

#include <stdbool.h>

enum fault_point {
	FAULT_HISTORY_OPEN,	/* daemon/history.c: opening the database */
	FAULT_HISTORY_STEP,	/* daemon/history.c: one SQLite statement */
	FAULT_STATE_WRITE,	/* common/fileio.c: a state file's temp write */
	FAULT_STATE_RENAME,	/* the rename that publishes such a file */
	FAULT_OUTPUT_WRITE,	/* common/fileio.c, FILEIO_OUTPUT: an output's */
	FAULT_OUTPUT_RENAME,	/* ... temp write and the rename over it */
	FAULT_SNAPSHOT_KILL,	/* daemon/watch.c: SIGKILL the daemon itself
				 * halfway through writing a root's snapshot */
	FAULT_POINT_COUNT
};

#ifdef GGEN_FAULT_INJECTION

#define fault_hit(p) fault_hit_at((p), __FILE__, __LINE__)

/* Count a hit at p; true when this hit must fail. file is borrowed. */
bool fault_hit_at(enum fault_point p, const char *file, int line);

/*
 * Re-arm (overrides the environment): fail hit nth (0: never) counting
 * only points whose bit (1u << point) is in mask (0: all); persistent
 * fails every later hit too. Resets the counters.
 */
void fault_arm(unsigned long nth, unsigned mask, bool persistent);

/* Hits counted and failures injected since the last arming. */
unsigned long fault_hits(void);
unsigned long fault_injected(void);

/* "history_step" etc.; NULL for an unknown point. Static string. */
const char *fault_point_name(enum fault_point p);

#else

#define fault_hit(p) ((void)(p), false)

#endif

#endif
