/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * clock.c - clock_gettime in ms and us (contract in clock.h). Owns nothing;
 * exists so that every module converts time the same way.
 */
#include "clock.h"

#include <time.h>

static uint64_t
clock_read_us(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

uint64_t
clock_mono_ms(void)
{
	return clock_read_us(CLOCK_MONOTONIC) / 1000;
}

uint64_t
clock_mono_us(void)
{
	return clock_read_us(CLOCK_MONOTONIC);
}

uint64_t
clock_wall_ms(void)
{
	return clock_read_us(CLOCK_REALTIME) / 1000;
}

uint64_t
clock_wall_us(void)
{
	return clock_read_us(CLOCK_REALTIME);
}
