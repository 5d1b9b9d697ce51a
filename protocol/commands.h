/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * commands.h - the one command table shared by ggend and ggenc.
 *
 * proto_cmd_table[] has one row per wire command, indexed by enum
 * proto_cmd_id: wire name, request fields (name, JSON type, required),
 * flags, one-line summary. The daemon validates every request against its
 * row before a handler sees it; ggenc builds requests from the same row.
 * Adding a command: one enum value + one row here, daemon/req_<name>.c and
 * client/cmd_<name>.c, one line in each side's table (test_tables checks).
 *
 * Envelope fields ("id", "cmd") are not listed in rows; unknown fields are
 * ignored so that newer clients can talk to older daemons. Static data:
 * safe from any thread.
 */
#ifndef GGEN_COMMANDS_H
#define GGEN_COMMANDS_H

#include <stdbool.h>
#include <stddef.h>

#include <cjson/cJSON.h>

#include "gerr.h"

enum proto_cmd_id {
	PROTO_CMD_HELLO = 0,
	PROTO_CMD_STATUS,
	PROTO_CMD_SHUTDOWN,
	PROTO_CMD_CONFIG,
	PROTO_CMD_VALIDATE,
	PROTO_CMD_WATCH,
	PROTO_CMD_UNWATCH,
	PROTO_CMD_ROOTS,
	PROTO_CMD_CHANGES,
	PROTO_CMD_HASH,
	PROTO_CMD_EVENTS,
	PROTO_CMD_RUN,
	PROTO_CMD_CANCEL,
	PROTO_CMD_RUNS,
	PROTO_CMD_LOGS,
	PROTO_CMD_HISTORY,
	PROTO_CMD_SHOW,
	PROTO_CMD_STATS,
	PROTO_CMD_TRACE,
	PROTO_CMD_DIFF,
	PROTO_CMD_TRIM,
	PROTO_CMD_DEV,
	PROTO_CMD_COUNT
};

/* Row flags. */
#define PROTO_CMD_INTERNAL 0x1u	/* no ggenc subcommand (hello) */
#define PROTO_CMD_STREAMS 0x2u	/* may send progress messages before the reply */

enum proto_type {
	PROTO_T_STRING = 1,
	PROTO_T_INT,		/* a JSON number with no fractional part */
	PROTO_T_NUMBER,
	PROTO_T_BOOL,
	PROTO_T_OBJECT,
	PROTO_T_ARRAY,
};

struct proto_field {
	const char *name;
	enum proto_type type;
	bool required;
};

#define PROTO_FIELDS_MAX 10

struct proto_cmd {
	enum proto_cmd_id id;
	const char *name;
	struct proto_field fields[PROTO_FIELDS_MAX];	/* ends at name == NULL */
	unsigned flags;
	const char *summary;
};

extern const struct proto_cmd proto_cmd_table[PROTO_CMD_COUNT];

/* Row by wire name, or NULL. Static storage. */
const struct proto_cmd *proto_cmd_find(const char *name);

/* Row by id (must be < PROTO_CMD_COUNT). Static storage. */
const struct proto_cmd *proto_cmd_get(enum proto_cmd_id id);

/* "string", "integer", ... for messages. Static storage. */
const char *proto_type_name(enum proto_type type);

/* Name of the JSON type of item, in the words proto_type_name uses. */
const char *proto_json_type_name(const cJSON *item);

/*
 * Check the request object req (borrowed) against cmd's fields. Returns 0,
 * GERR_MISSING_FIELD (`missing field "proto"`) or GERR_BAD_TYPE
 * (`field "root": expected string, found number`). Any thread.
 */
int proto_cmd_validate(const struct proto_cmd *cmd, const cJSON *req,
    struct gerr *err);

#endif
