/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * debounce.c - the adaptive trailing-window debounce (policy in debounce.h).
 *
 * Owns nothing but the caller-embedded struct. Called from the daemon's
 * loop (one per root) and from unit tests with synthetic timelines.
 *
 * Invariants: min_ms >= 1; min_ms <= window_ms <= max_ms; when pending,
 * first_ms <= last_ms and first_ms + min_ms <= cap_ms, so the deadline is
 * never 0 and never before the first change plus the minimum window.
 * The window adapts only when a batch starts: inside a batch every change
 * just pushes the trailing edge, so a burst cannot widen its own window.
 */
#include "debounce.h"

#include <assert.h>

static uint64_t
debounce_min_u64(uint64_t a, uint64_t b)
{
	return a < b ? a : b;
}

static uint64_t
debounce_max_u64(uint64_t a, uint64_t b)
{
	return a > b ? a : b;
}

static void
debounce_check(const struct debounce *d)
{
	assert(d->min_ms >= 1);
	assert(d->min_ms <= d->window_ms && d->window_ms <= d->max_ms);
	assert(!d->pending || (d->first_ms <= d->last_ms &&
	    d->first_ms + d->min_ms <= d->cap_ms));
	(void)d;
}

void
debounce_init(struct debounce *d, uint64_t min_ms, uint64_t max_ms)
{
	d->min_ms = debounce_max_u64(min_ms, 1);
	d->max_ms = debounce_max_u64(max_ms, d->min_ms);
	d->window_ms = d->min_ms;
	d->first_ms = d->last_ms = d->cap_ms = d->fired_ms = 0;
	d->events = 0;
	d->pending = false;
	d->fired_once = false;
	debounce_check(d);
}

/* A new batch starts at now: adapt the window to the gap before it. */
static void
debounce_start(struct debounce *d, uint64_t now)
{
	uint64_t gap = now - d->fired_ms;
	bool dense = d->fired_once && gap / 2 < d->window_ms;

	if (dense)
		d->window_ms = d->window_ms > d->max_ms / 2 ? d->max_ms :
		    d->window_ms * 2;
	else if (!d->fired_once || gap >= d->max_ms)
		d->window_ms = d->min_ms;
	else
		d->window_ms = debounce_max_u64(d->window_ms / 2, d->min_ms);
	d->pending = true;
	d->first_ms = now;
	d->events = 0;
	/*
	 * A dense batch continues the previous one's stream of changes, so
	 * its cap counts from when that one settled; never let the cap cut a
	 * batch shorter than the minimum window, though.
	 */
	d->cap_ms = debounce_max_u64((dense ? d->fired_ms : now) + d->max_ms,
	    now + d->min_ms);
}

void
debounce_event(struct debounce *d, uint64_t now_ms)
{
	if (now_ms < d->last_ms)
		now_ms = d->last_ms;
	if (!d->pending)
		debounce_start(d, debounce_max_u64(now_ms, d->fired_ms));
	d->last_ms = debounce_max_u64(now_ms, d->first_ms);
	if (d->events < UINT32_MAX)
		d->events++;
	debounce_check(d);
}

uint64_t
debounce_deadline(const struct debounce *d)
{
	if (!d->pending)
		return 0;
	return debounce_min_u64(d->last_ms + d->window_ms, d->cap_ms);
}

bool
debounce_fire(struct debounce *d, uint64_t now_ms)
{
	if (!d->pending || now_ms < debounce_deadline(d))
		return false;
	d->pending = false;
	d->fired_once = true;
	d->fired_ms = now_ms;
	debounce_check(d);
	return true;
}

uint64_t
debounce_window_ms(const struct debounce *d)
{
	return d->window_ms;
}

uint32_t
debounce_batch_events(const struct debounce *d)
{
	return d->events;
}
