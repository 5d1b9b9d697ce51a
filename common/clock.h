/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * clock.h - the two clocks ggen reads, in the units it stores.
 *
 * Monotonic time measures durations and arms deadlines (never goes back);
 * wall time is what people and the history database see. Any thread; no
 * state.
 */
#ifndef GGEN_CLOCK_H
#define GGEN_CLOCK_H

#include <stdint.h>

/* CLOCK_MONOTONIC in milliseconds / microseconds. */
uint64_t clock_mono_ms(void);
uint64_t clock_mono_us(void);

/* CLOCK_REALTIME (Unix epoch) in milliseconds / microseconds. */
uint64_t clock_wall_ms(void);
uint64_t clock_wall_us(void);

#endif
