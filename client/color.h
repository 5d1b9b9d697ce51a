/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * color.h - the one place ggenc decides on and writes colour, for every
 * command: `--color=auto|always|never` (default auto) and NO_COLOR
 * (https://no-color.org: set and not empty = never, unless --color=always).
 * auto colours a stream that is a terminal whose TERM is not "dumb".
 * Failures are red, cached dim, ok green, running yellow.
 *
 * Tools' own escapes in run output (a compiler on a pseudo-terminal) are
 * kept as the daemon stored them; color_strip removes them for
 * `logs --plain`, --color=never and NO_COLOR. Pure: no allocation, no
 * state; ggenc's only thread.
 */
#ifndef GGEN_COLOR_H
#define GGEN_COLOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "gerr.h"

enum color_mode {
	COLOR_AUTO = 0,
	COLOR_ALWAYS,
	COLOR_NEVER,
};

#define COLOR_RED "\033[31m"
#define COLOR_GREEN "\033[32m"
#define COLOR_YELLOW "\033[33m"
#define COLOR_BOLD "\033[1m"
#define COLOR_DIM "\033[2m"
#define COLOR_RESET "\033[0m"

/* "auto", "always" (also "yes", "force"), "never" (also "no", "none").
 * GERR_INVALID: `--color: expected auto, always or never, found "x"`. */
int color_parse(const char *text, enum color_mode *out, struct gerr *err);

/*
 * Whether to colour what goes to fd under mode, with no_color the value
 * of $NO_COLOR (NULL when unset) and term $TERM: always -> true, never ->
 * false, auto -> fd is a terminal, TERM is not "dumb" and NO_COLOR is
 * unset or empty. NO_COLOR does not override an explicit always.
 */
bool color_wanted(enum color_mode mode, int fd, const char *no_color,
    const char *term);

/* Whether tools' escapes should be stripped from output shown: never, or
 * NO_COLOR set (non-empty) without --color=always. */
bool color_plain(enum color_mode mode, const char *no_color);

/* The colour of a run or span status ("failed", "cached", ...): a
 * sequence above, or "" for none. Static. */
const char *color_status(const char *status);

/* seq when on, else "": for printf("%s...%s", color_on(c, X), color_off(c)). */
const char *color_on(bool on, const char *seq);
const char *color_off(bool on);

/*
 * Remove terminal escape sequences from buf[0..len) in place: CSI
 * (ESC [ ... final byte), OSC (ESC ] ... BEL or ESC \), and other ESC
 * sequences (ESC, intermediates 0x20..0x2f, one final byte). A sequence
 * cut at the end of buf is removed up to the end; *state (0 at the start
 * of a stream) carries it into the next chunk.
 * Returns the new length. Other bytes (text, "\r", "\n") are kept.
 */
size_t color_strip(char *buf, size_t len, int *state);

#endif
