/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * framing.h - incremental reader for newline-delimited JSON.
 *
 * Bytes arrive in arbitrary pieces (framing_feed); complete lines come out one
 * at a time (framing_next). A line longer than max_line bytes (without its
 * '\n') is reported once as GERR_LINE_TOO_LONG and its bytes are discarded up
 * to and including the next '\n', so memory stays bounded by
 * max_line + the size of one feed. A trailing '\r' is stripped (CRLF peers).
 *
 * Single-threaded: one struct framing per connection, owned by its caller.
 */
#ifndef GGEN_FRAMING_H
#define GGEN_FRAMING_H

#include <stdbool.h>
#include <stddef.h>

#include "gerr.h"
#include "strbuf.h"

#define FRAMING_DEFAULT_MAX_LINE ((size_t)1 << 20)	/* 1 MiB */

struct framing {
	struct strbuf buf;	/* unconsumed bytes start at pos */
	size_t pos;		/* start of the next line in buf */
	size_t scanned;		/* bytes from pos already known to hold no '\n' */
	size_t max_line;
	bool discarding;	/* inside an over-cap line: drop to next '\n' */
};

/* Initialise f for lines of at most max_line bytes (0 = the 1 MiB default). */
void framing_init(struct framing *f, size_t max_line);

/* Free the buffer; f may be re-initialised afterwards. */
void framing_release(struct framing *f);

/*
 * Append len bytes (borrowed, copied). Invalidates any line returned by
 * framing_next before. Never fails: the caps are enforced by framing_next,
 * which the caller must drain after each feed.
 */
void framing_feed(struct framing *f, const void *data, size_t len);

/*
 * Take the next complete line. Returns 1 and sets *line (NUL-terminated, no
 * '\n', borrowed until the next framing_feed or framing_release) and *len;
 * 0 when no complete line is buffered; GERR_LINE_TOO_LONG (err filled with
 * the cap) once per over-cap line, after which its bytes are dropped.
 */
int framing_next(struct framing *f, char **line, size_t *len,
    struct gerr *err);

/* Bytes buffered but not yet returned as lines. */
size_t framing_pending(const struct framing *f);

#endif
