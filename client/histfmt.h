/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * histfmt.h - what the history commands (client/cmd_{history,show,stats,
 * trace,diff,trim}.c) share: their option parsing and how they print
 * times and durations. ggenc's only thread; no allocation.
 */
#ifndef GGEN_HISTFMT_H
#define GGEN_HISTFMT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "gerr.h"

/*
 * If argv[*i] is option name ("--limit") as "--limit VALUE" or
 * "--limit=VALUE", set *value (borrowed from argv), advance *i past it and
 * set *matched. GERR_INVALID ("--limit needs a value") when the value is
 * missing. Not this option: 0 with *matched false.
 */
int histfmt_option(int argc, char **argv, int *i, const char *name,
    const char **value, bool *matched, struct gerr *err);

/*
 * The filter arguments `history` and `stats` share, at argv[*i]:
 * "--root DIR" (made absolute, sent as "root") or a PHASE (sent as
 * "phase", at most one). Advances *i and sets *matched when it took one;
 * another option ("-x") is left for the caller (*matched false).
 * GERR_ROOT_NOT_FOUND (realpath failed), GERR_INVALID (two phases, a
 * missing value). cmd names the command in messages.
 */
int histfmt_filter_arg(const char *cmd, int argc, char **argv, int *i,
    cJSON *fields, bool *matched, struct gerr *err);

/*
 * A run id argument for field name: "12", "last" (-1) or "-N" (the N-th
 * latest, -1 = the latest; the daemon resolves it within the project of
 * the current directory, see histfmt_scope). GERR_INVALID naming what.
 */
int histfmt_run_id(const char *what, const char *text, cJSON *fields,
    const char *name, struct gerr *err);

/*
 * The project a history command is about: with all, "all_roots"; else,
 * unless fields already has "root", "cwd" (the current directory,
 * resolved): the daemon picks the root containing it. GERR_IO (getcwd).
 */
int histfmt_scope(cJSON *fields, bool all, struct gerr *err);

/* Parse a decimal in [min, max] for what (an option or argument name).
 * GERR_INVALID naming what, the range and the text. */
int histfmt_uint(const char *what, const char *text, uint64_t min,
    uint64_t max, uint64_t *out, struct gerr *err);

/* GERR_INVALID: `unknown option "--x" for NAME`. */
int histfmt_unknown(const char *cmd, const char *arg, struct gerr *err);

/* "850 us", "12.3 ms", "4.21 s", "3m05s" into buf; "-" if ms < 0. */
const char *histfmt_duration(double ms, char *buf, size_t size);

/* Local "YYYY-MM-DD HH:MM:SS" of epoch microseconds into buf. */
const char *histfmt_when(double us, char *buf, size_t size);

/* Field of obj: number (0 if absent) or string ("" if absent). */
double histfmt_num(const cJSON *obj, const char *name);
const char *histfmt_str(const cJSON *obj, const char *name);

#endif
