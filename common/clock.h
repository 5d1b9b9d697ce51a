/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * clock.h - the two clocks ggen reads, in the units it stores, and the
 * text form of a root's change clock.
 *
 * Monotonic time measures durations and arms deadlines (never goes back);
 * wall time is what people and the history database see. A change clock
 * token ("c:<instance>:<root>:<counter>") names the daemon instance that
 * minted the counter and the root it counts, so a clock from another
 * daemon run or another root is recognised, never misread. Any thread; no
 * state.
 */
#ifndef GGEN_CLOCK_H
#define GGEN_CLOCK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "gerr.h"

/* CLOCK_MONOTONIC in milliseconds / microseconds. */
uint64_t clock_mono_ms(void);
uint64_t clock_mono_us(void);
/* CPU time the calling thread has used, in microseconds. */
uint64_t clock_thread_cpu_us(void);

/* CLOCK_REALTIME (Unix epoch) in milliseconds / microseconds. */
uint64_t clock_wall_ms(void);
uint64_t clock_wall_us(void);

/*
 * A root's change clock as clients see it: "c:" 16 hex digits of the
 * instance that minted the counter, ":" 8 hex digits of the root's id,
 * ":" the counter in decimal. Instance 0 and root 0 are never minted.
 */
struct clock_token {
	uint64_t instance;
	uint32_t root;
	uint64_t counter;
	bool legacy;	/* bare decimal digits (a clock of before tokens):
			 * instance and root unknown, counter set */
};

/* "c:" + 16 + ":" + 8 + ":" + 20 digits + NUL = 49, rounded up. */
#define CLOCK_TOKEN_MAX 56

/* Format tok into buf (CLOCK_TOKEN_MAX bytes); returns buf. */
char *clock_token_format(const struct clock_token *tok, char *buf);

/*
 * Parse text (borrowed) into *out. Bare decimal digits parse as a legacy
 * counter (out->legacy). Errors: GERR_INVALID naming the text and the
 * expected form, col 1-based at the first bad byte (file "since").
 */
int clock_token_parse(const char *text, struct clock_token *out,
    struct gerr *err);

/* The root part of a token: a 32-bit hash of the canonical root path,
 * never 0. */
uint32_t clock_root_id(const char *path, size_t len);

#endif
