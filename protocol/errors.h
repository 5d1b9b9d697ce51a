/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * errors.h - the stable wire form of every GERR_* code.
 *
 * err_table[] maps each enum gerr_code to a wire code (a snake_case word that
 * is never renamed: scripts match it), a generic text used when an error has
 * no message of its own, and the exit status ggenc uses when a reply carries
 * that code (0 ok, 1 the command failed, 2 usage, 3 daemon unreachable).
 * The table is static data: safe from any thread.
 */
#ifndef GGEN_ERRORS_H
#define GGEN_ERRORS_H

#include "gerr.h"

enum err_exit {
	ERR_EXIT_OK = 0,
	ERR_EXIT_FAILED = 1,
	ERR_EXIT_USAGE = 2,
	ERR_EXIT_UNREACHABLE = 3,
};

struct err_def {
	enum gerr_code code;
	const char *wire;	/* stable wire code, e.g. "phase_not_found" */
	const char *text;	/* generic text */
	enum err_exit exit_status;
};

/* Indexed by enum gerr_code; err_table[GERR_CODE_COUNT] does not exist. */
extern const struct err_def err_table[GERR_CODE_COUNT];

/* Row for code; codes out of range map to GERR_INTERNAL's row. Static. */
const struct err_def *err_lookup(enum gerr_code code);

/* Row whose wire code is wire, or NULL. Static storage. */
const struct err_def *err_by_wire(const char *wire);

#endif
