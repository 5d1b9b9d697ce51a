/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * gerr.h - error codes and the fixed-size error record every fallible
 * function fills.
 *
 * Convention: a fallible function returns int, 0 on success or a GERR_* code,
 * and takes `struct gerr *err` last. err may be NULL (the caller only wants
 * the code). The record is caller-owned and fixed-size so that reporting an
 * error never allocates. The FIRST error set wins: later gerr_set calls on a
 * record that already holds an error are ignored, so the innermost, most
 * precise cause survives as the stack unwinds.
 *
 * Positions are for user input (make.toml, templates, ignore files, config,
 * argv): file is the path as the user named it, line and col are 1-based,
 * col counts bytes. line == 0 means "no position".
 *
 * The wire names, generic texts and ggenc exit statuses of these codes live in
 * protocol/errors.c (err_table[]); the numbers here are never sent on the
 * wire, so they may be renumbered, but wire names never change.
 */
#ifndef GGEN_GERR_H
#define GGEN_GERR_H

#include <stdarg.h>
#include <stdbool.h>

enum gerr_code {
	GERR_OK = 0,
	GERR_INTERNAL,		/* a bug or an impossible state */
	GERR_IO,		/* a system call failed: msg names op, path, strerror */
	GERR_PARSE,		/* user input is not well-formed (file:line:col) */
	GERR_INVALID,		/* well-formed but semantically wrong */
	GERR_NOT_FOUND,		/* a named thing does not exist */
	GERR_TOO_LARGE,		/* over a configured size cap */
	GERR_LIMIT,		/* over a count/nesting cap */
	GERR_PERMISSION,	/* ownership/mode/uid checks refused */
	GERR_BAD_REQUEST,	/* protocol: request object malformed */
	GERR_INVALID_JSON,	/* protocol: line is not JSON */
	GERR_LINE_TOO_LONG,	/* protocol: line over the size cap */
	GERR_UNKNOWN_COMMAND,	/* protocol: cmd not in the table */
	GERR_BAD_TYPE,		/* protocol: a field has the wrong JSON type */
	GERR_MISSING_FIELD,	/* protocol: a required field is absent */
	GERR_PROTO_VERSION,	/* protocol: hello with an unsupported version */
	GERR_ALREADY_RUNNING,	/* another daemon owns the socket/pidfile */
	GERR_UNREACHABLE,	/* client: no daemon answers */
	GERR_BUSY,		/* try again later */
	GERR_SHUTTING_DOWN,	/* the daemon is stopping */
	GERR_ROOT_NOT_FOUND,
	GERR_PHASE_NOT_FOUND,
	GERR_WORKSPACE_NOT_FOUND,
	GERR_RUN_NOT_FOUND,
	GERR_RECURSION,		/* hook chain reaches a phase twice */
	GERR_OUTSIDE_ROOT,	/* a path escapes its root */
	GERR_TEMPLATE,		/* template compile or render error */
	GERR_UNDEFINED,		/* template: undefined variable */
	GERR_CANCELLED,
	GERR_TIMEOUT,
	GERR_HISTORY,		/* the history database failed */
	GERR_APPROVAL,		/* a requires_approval phase, not approved */
	GERR_CODE_COUNT
};

#define GERR_FILE_MAX 256
#define GERR_MSG_MAX 512

struct gerr {
	enum gerr_code code;
	int line;		/* 1-based; 0 = no position */
	int col;		/* 1-based byte column; 0 = none */
	char file[GERR_FILE_MAX];
	char msg[GERR_MSG_MAX];
};

/* Reset err to "no error". err may be NULL. */
void gerr_clear(struct gerr *err);

/*
 * Record an error without a position and return code (so callers can write
 * `return gerr_set(err, GERR_IO, "open %s: %s", p, strerror(errno));`).
 * err may be NULL. Ignored (but code still returned) if err already holds
 * an error. The message is truncated to GERR_MSG_MAX - 1 bytes.
 */
int gerr_set(struct gerr *err, enum gerr_code code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* As gerr_set, with a position in a named file (file may be NULL). */
int gerr_set_at(struct gerr *err, enum gerr_code code, const char *file,
    int line, int col, const char *fmt, ...)
    __attribute__((format(printf, 6, 7)));

int gerr_vset_at(struct gerr *err, enum gerr_code code, const char *file,
    int line, int col, const char *fmt, va_list ap)
    __attribute__((format(printf, 6, 0)));

/*
 * Format err the GNU way into buf: "file:line:col: msg", "file: msg" or
 * "msg" depending on which parts are set. Returns buf. Never allocates.
 */
const char *gerr_format(const struct gerr *err, char *buf, unsigned long size);

#endif
