/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * debounce.h - adaptive trailing-window debounce as a pure state machine.
 *
 * The caller owns the clock (monotonic milliseconds, e.g. ev_now * 1000)
 * and the timer. Use per root:
 *   debounce_event(d, now)  for every change that should trigger work,
 *   then (re)arm ONE timer at debounce_deadline(d) (0 = idle: stop it),
 *   and when it fires call debounce_fire(d, now): true means the batch
 *   settled now (run the work); false means the deadline moved (re-arm).
 *
 * Policy. A batch settles when no change arrived for window_ms (a trailing
 * quiet window), or at the cap, whichever comes first.
 *   - window_ms starts at min_ms. When a batch starts "densely" (less than
 *     2 * window_ms after the previous batch settled) the window doubles,
 *     up to max_ms: the previous batch evidently settled too early.
 *   - A batch that starts after a quiet gap of at least 2 * window_ms
 *     halves the window (not below min_ms); a gap of max_ms or more resets
 *     it to min_ms. So after quiet, one save settles after min_ms again.
 *   - Cap: a dense batch settles at most max_ms after the PREVIOUS batch
 *     settled, any other batch at most max_ms after its first change (and
 *     never sooner than min_ms after it), so a constant writer still
 *     yields a settled batch at least every max_ms.
 * A burst of events within one window (one editor save: 2-6 events in
 * ~1 ms) is one batch.
 *
 * The struct is public so callers can embed it (no allocation); its fields
 * are private to debounce.c. Not thread-safe; pure, no clock, no I/O.
 */
#ifndef GGEN_DEBOUNCE_H
#define GGEN_DEBOUNCE_H

#include <stdbool.h>
#include <stdint.h>

#define DEBOUNCE_DEFAULT_MIN_MS 10
#define DEBOUNCE_DEFAULT_MAX_MS 500

struct debounce {
	uint64_t min_ms;
	uint64_t max_ms;
	uint64_t window_ms;
	uint64_t first_ms;	/* first change of the pending batch */
	uint64_t last_ms;	/* latest change seen */
	uint64_t cap_ms;	/* the pending batch settles by this time */
	uint64_t fired_ms;	/* when the previous batch settled */
	uint32_t events;	/* changes in the pending or last batch */
	bool pending;
	bool fired_once;
};

/*
 * Reset d: idle, window at min_ms. min_ms is raised to 1 and max_ms to
 * min_ms if needed (so a deadline is never 0 = idle by accident).
 */
void debounce_init(struct debounce *d, uint64_t min_ms, uint64_t max_ms);

/*
 * A change arrived at now_ms. A time earlier than the last one seen is
 * treated as equal to it (callers' clocks must not make batches longer).
 */
void debounce_event(struct debounce *d, uint64_t now_ms);

/* Absolute ms at which the pending batch settles; 0 when idle. */
uint64_t debounce_deadline(const struct debounce *d);

/*
 * The timer fired at now_ms. Returns true if the pending batch settles
 * (d becomes idle; its window adapts on the next change), false if idle or
 * the deadline is still ahead (a change moved it: re-arm).
 */
bool debounce_fire(struct debounce *d, uint64_t now_ms);

/* The current quiet window in ms (between min_ms and max_ms). */
uint64_t debounce_window_ms(const struct debounce *d);

/* Changes in the pending batch; when idle, in the batch that settled last. */
uint32_t debounce_batch_events(const struct debounce *d);

#endif
