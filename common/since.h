/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * since.h - the TIME of `ggenc history --since TIME`: a point in the past
 * given as an age ("90s", "30m", "2h", "1d", "2w") or an ISO 8601 date or
 * date-time ("2026-11-21", "2026-11-21T14:30", "2026-11-21 14:30:05",
 * "...Z" for UTC; local time otherwise). Pure apart from the time zone
 * (localtime rules for dates without Z); no allocation.
 */
#ifndef GGEN_SINCE_H
#define GGEN_SINCE_H

#include <stdint.h>

#include "gerr.h"

/*
 * Parse text (borrowed) into microseconds since the epoch; ages count back
 * from now_us. GERR_INVALID with the text quoted and the expected forms,
 * col 1-based at the first bad byte (file "since"). Any thread.
 */
int since_parse(const char *text, int64_t now_us, int64_t *out_us,
    struct gerr *err);

#endif
