/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * errors.c - err_table[]: GERR_* -> wire code, generic text, exit status.
 *
 * Used by the daemon to build error replies and by ggenc to pick its exit
 * status. Invariant (checked by tests/unit/test_errors.c): one row per code,
 * in enum order, with unique wire codes. Wire codes are a public contract
 * (protocol/PROTOCOL.md lists them): never rename one, only add.
 */
#include "errors.h"

#include <stddef.h>
#include <string.h>

#define ERR_ROW(c, w, t, x) [c] = { .code = c, .wire = w, .text = t, \
	.exit_status = x }

const struct err_def err_table[GERR_CODE_COUNT] = {
	ERR_ROW(GERR_OK, "ok", "no error", ERR_EXIT_OK),
	ERR_ROW(GERR_INTERNAL, "internal", "internal error", ERR_EXIT_FAILED),
	ERR_ROW(GERR_IO, "io_error", "a system call failed", ERR_EXIT_FAILED),
	ERR_ROW(GERR_PARSE, "parse_error", "input is not well-formed",
	    ERR_EXIT_FAILED),
	ERR_ROW(GERR_INVALID, "invalid", "invalid value", ERR_EXIT_FAILED),
	ERR_ROW(GERR_NOT_FOUND, "not_found", "not found", ERR_EXIT_FAILED),
	ERR_ROW(GERR_TOO_LARGE, "too_large", "over a size limit",
	    ERR_EXIT_FAILED),
	ERR_ROW(GERR_LIMIT, "limit", "over a count limit", ERR_EXIT_FAILED),
	ERR_ROW(GERR_PERMISSION, "permission_denied", "permission denied",
	    ERR_EXIT_FAILED),
	ERR_ROW(GERR_BAD_REQUEST, "bad_request", "malformed request",
	    ERR_EXIT_FAILED),
	ERR_ROW(GERR_INVALID_JSON, "invalid_json", "line is not valid JSON",
	    ERR_EXIT_FAILED),
	ERR_ROW(GERR_LINE_TOO_LONG, "line_too_long", "line over the size limit",
	    ERR_EXIT_FAILED),
	ERR_ROW(GERR_UNKNOWN_COMMAND, "unknown_command", "unknown command",
	    ERR_EXIT_FAILED),
	ERR_ROW(GERR_BAD_TYPE, "bad_type", "a field has the wrong type",
	    ERR_EXIT_FAILED),
	ERR_ROW(GERR_MISSING_FIELD, "missing_field", "a required field is missing",
	    ERR_EXIT_FAILED),
	ERR_ROW(GERR_PROTO_VERSION, "proto_version",
	    "unsupported protocol version", ERR_EXIT_FAILED),
	ERR_ROW(GERR_ALREADY_RUNNING, "already_running",
	    "a daemon is already running", ERR_EXIT_FAILED),
	ERR_ROW(GERR_UNREACHABLE, "unreachable", "no daemon answers",
	    ERR_EXIT_UNREACHABLE),
	ERR_ROW(GERR_BUSY, "busy", "busy, try again later", ERR_EXIT_FAILED),
	ERR_ROW(GERR_SHUTTING_DOWN, "shutting_down", "the daemon is stopping",
	    ERR_EXIT_FAILED),
	ERR_ROW(GERR_ROOT_NOT_FOUND, "root_not_found", "root not found",
	    ERR_EXIT_FAILED),
	ERR_ROW(GERR_PHASE_NOT_FOUND, "phase_not_found", "phase not found",
	    ERR_EXIT_FAILED),
	ERR_ROW(GERR_WORKSPACE_NOT_FOUND, "workspace_not_found",
	    "workspace not found", ERR_EXIT_FAILED),
	ERR_ROW(GERR_RUN_NOT_FOUND, "run_not_found", "run not found",
	    ERR_EXIT_FAILED),
	ERR_ROW(GERR_RECURSION, "recursion", "hook chain reaches a phase twice",
	    ERR_EXIT_FAILED),
	ERR_ROW(GERR_OUTSIDE_ROOT, "outside_root", "path escapes its root",
	    ERR_EXIT_FAILED),
	ERR_ROW(GERR_TEMPLATE, "template_error", "template error",
	    ERR_EXIT_FAILED),
	ERR_ROW(GERR_UNDEFINED, "undefined", "undefined variable",
	    ERR_EXIT_FAILED),
	ERR_ROW(GERR_CANCELLED, "cancelled", "cancelled", ERR_EXIT_FAILED),
	ERR_ROW(GERR_TIMEOUT, "timeout", "timed out", ERR_EXIT_FAILED),
	ERR_ROW(GERR_HISTORY, "history_error", "the history database failed",
	    ERR_EXIT_FAILED),
	ERR_ROW(GERR_APPROVAL, "approval_required",
	    "a phase requires approval (--yes)", ERR_EXIT_FAILED),
};

const struct err_def *
err_lookup(enum gerr_code code)
{
	if ((unsigned)code >= GERR_CODE_COUNT || err_table[code].wire == NULL)
		return &err_table[GERR_INTERNAL];
	return &err_table[code];
}

const struct err_def *
err_by_wire(const char *wire)
{
	size_t i;

	for (i = 0; i < GERR_CODE_COUNT; i++)
		if (err_table[i].wire != NULL && strcmp(err_table[i].wire, wire) == 0)
			return &err_table[i];
	return NULL;
}
