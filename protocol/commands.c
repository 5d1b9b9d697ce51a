/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * commands.c - proto_cmd_table[] and request validation against it.
 *
 * Called by the daemon (message parsing, before dispatch), by ggenc (help and
 * request building) and by the table unit test. Invariant: row i has id i,
 * names are unique; test_tables checks both and that each row has one daemon
 * handler and one ggenc entry unless flagged PROTO_CMD_INTERNAL.
 */
#include "commands.h"

#include <math.h>
#include <string.h>

const struct proto_cmd proto_cmd_table[PROTO_CMD_COUNT] = {
	[PROTO_CMD_HELLO] = {
		.id = PROTO_CMD_HELLO, .name = "hello",
		.fields = { { "proto", PROTO_T_INT, true },
			    { "client", PROTO_T_STRING, false } },
		.flags = PROTO_CMD_INTERNAL,
		.summary = "Agree on the protocol version; lists capabilities.",
	},
	[PROTO_CMD_STATUS] = {
		.id = PROTO_CMD_STATUS, .name = "status",
		.summary = "Daemon pid, version, uptime, clients and memory.",
	},
	[PROTO_CMD_SHUTDOWN] = {
		.id = PROTO_CMD_SHUTDOWN, .name = "shutdown",
		.summary = "Stop the daemon after replying.",
	},
	[PROTO_CMD_CONFIG] = {
		.id = PROTO_CMD_CONFIG, .name = "config",
		.fields = { { "key", PROTO_T_STRING, false },
			    { "value", PROTO_T_STRING, false } },
		.summary = "Live settings with their source (default, file, "
		    "set); with key and value, set a live one.",
	},
	[PROTO_CMD_VALIDATE] = {
		.id = PROTO_CMD_VALIDATE, .name = "validate",
		.fields = { { "path", PROTO_T_STRING, true } },
		/* ggenc validate asks it first, then checks locally. */
		.flags = PROTO_CMD_INTERNAL,
		.summary = "Findings of the watched root holding a make.toml.",
	},
	[PROTO_CMD_WATCH] = {
		.id = PROTO_CMD_WATCH, .name = "watch",
		.fields = { { "root", PROTO_T_STRING, true } },
		.flags = PROTO_CMD_STREAMS,
		.summary = "Watch a directory; replies once it is crawled and "
		    "hashed.",
	},
	[PROTO_CMD_UNWATCH] = {
		.id = PROTO_CMD_UNWATCH, .name = "unwatch",
		.fields = { { "root", PROTO_T_STRING, true } },
		.summary = "Stop watching a root.",
	},
	[PROTO_CMD_ROOTS] = {
		.id = PROTO_CMD_ROOTS, .name = "roots",
		.summary = "List the watched roots.",
	},
	[PROTO_CMD_CHANGES] = {
		.id = PROTO_CMD_CHANGES, .name = "changes",
		.fields = { { "root", PROTO_T_STRING, true },
			    { "since", PROTO_T_STRING, false } },
		.summary = "Files added, modified, removed since a clock.",
	},
	[PROTO_CMD_HASH] = {
		.id = PROTO_CMD_HASH, .name = "hash",
		.fields = { { "path", PROTO_T_STRING, true } },
		.summary = "XXH3-128 of a file's content.",
	},
	[PROTO_CMD_EVENTS] = {
		.id = PROTO_CMD_EVENTS, .name = "events",
		.flags = PROTO_CMD_STREAMS,
		.summary = "Subscribe to events until the connection closes.",
	},
	[PROTO_CMD_RUN] = {
		.id = PROTO_CMD_RUN, .name = "run",
		.fields = { { "phases", PROTO_T_ARRAY, true },
			    { "root", PROTO_T_STRING, true },
			    { "workspace", PROTO_T_STRING, false },
			    { "all_workspaces", PROTO_T_BOOL, false },
			    { "force", PROTO_T_BOOL, false },
			    { "dry_run", PROTO_T_BOOL, false },
			    { "jobs", PROTO_T_INT, false, 1, 1024 },
			    { "detach", PROTO_T_BOOL, false },
			    { "no_remote", PROTO_T_BOOL, false },
			    { "env", PROTO_T_STRING, false },
			    { "env_auto", PROTO_T_STRING, false },
			    { "yes", PROTO_T_BOOL, false } },
		.flags = PROTO_CMD_STREAMS,
		.summary = "Run lifecycle phases with their hooks; streams "
		    "output and progress.",
	},
	[PROTO_CMD_CANCEL] = {
		.id = PROTO_CMD_CANCEL, .name = "cancel",
		.fields = { { "run", PROTO_T_INT, true },
			    { "cwd", PROTO_T_STRING, false } },
		.summary = "Stop a queued or running run.",
	},
	[PROTO_CMD_RUNS] = {
		.id = PROTO_CMD_RUNS, .name = "runs",
		.fields = { { "all", PROTO_T_BOOL, false },
			    { "cwd", PROTO_T_STRING, false },
			    { "all_roots", PROTO_T_BOOL, false } },
		.summary = "List running and queued runs (all: recent ones too).",
	},
	[PROTO_CMD_LOGS] = {
		.id = PROTO_CMD_LOGS, .name = "logs",
		.fields = { { "run", PROTO_T_INT, true },
			    { "follow", PROTO_T_BOOL, false },
			    { "cwd", PROTO_T_STRING, false },
			    { "phase", PROTO_T_STRING, false } },
		.flags = PROTO_CMD_STREAMS,
		.summary = "A run's output tail; follow streams it live.",
	},
	[PROTO_CMD_HISTORY] = {
		.id = PROTO_CMD_HISTORY, .name = "history",
		.fields = { { "phase", PROTO_T_STRING, false },
			    { "root", PROTO_T_STRING, false },
			    { "workspace", PROTO_T_STRING, false },
			    { "limit", PROTO_T_INT, false },
			    { "failed", PROTO_T_BOOL, false },
			    { "since", PROTO_T_STRING, false },
			    { "cwd", PROTO_T_STRING, false },
			    { "all_roots", PROTO_T_BOOL, false } },
		.summary = "Recorded runs, newest first.",
	},
	[PROTO_CMD_SHOW] = {
		.id = PROTO_CMD_SHOW, .name = "show",
		.fields = { { "run", PROTO_T_INT, true },
			    { "cwd", PROTO_T_STRING, false } },
		.summary = "One recorded run: its spans and output tail.",
	},
	[PROTO_CMD_STATS] = {
		.id = PROTO_CMD_STATS, .name = "stats",
		.fields = { { "phase", PROTO_T_STRING, false },
			    { "root", PROTO_T_STRING, false },
			    { "cwd", PROTO_T_STRING, false },
			    { "all_roots", PROTO_T_BOOL, false } },
		.summary = "Per phase: runs, success and cache hit rates, "
		    "p50/p95 duration.",
	},
	[PROTO_CMD_TRACE] = {
		.id = PROTO_CMD_TRACE, .name = "trace",
		.fields = { { "run", PROTO_T_INT, true },
			    { "format", PROTO_T_STRING, false },
			    { "cwd", PROTO_T_STRING, false } },
		.summary = "A recorded run as a Chrome trace (Perfetto).",
	},
	[PROTO_CMD_DIFF] = {
		.id = PROTO_CMD_DIFF, .name = "diff",
		.fields = { { "a", PROTO_T_INT, true },
			    { "b", PROTO_T_INT, true },
			    { "cwd", PROTO_T_STRING, false } },
		.summary = "Compare two recorded runs span by span.",
	},
	[PROTO_CMD_TRIM] = {
		.id = PROTO_CMD_TRIM, .name = "trim",
		.fields = { { "keep", PROTO_T_INT, false, 1, 1000000 } },
		.summary = "Trim the history to the newest runs per phase now.",
	},
	[PROTO_CMD_RELOAD] = {
		.id = PROTO_CMD_RELOAD, .name = "reload",
		.summary = "Re-read the settings file, as SIGHUP does; replies "
		    "with its findings.",
	},
	[PROTO_CMD_GRAPH] = {
		.id = PROTO_CMD_GRAPH, .name = "graph",
		.fields = { { "root", PROTO_T_STRING, true },
			    { "phases", PROTO_T_ARRAY, false },
			    { "format", PROTO_T_STRING, false },
			    { "env", PROTO_T_STRING, false },
			    { "env_auto", PROTO_T_STRING, false } },
		/* ggenc graph asks it first, then draws locally. */
		.flags = PROTO_CMD_INTERNAL,
		.summary = "The phase graph a run request would execute, with "
		    "the last known status of each phase.",
	},
	[PROTO_CMD_DEV] = {
		.id = PROTO_CMD_DEV, .name = "dev",
		.fields = { { "root", PROTO_T_STRING, true },
			    { "phases", PROTO_T_ARRAY, false },
			    { "env", PROTO_T_STRING, false },
			    { "tty", PROTO_T_BOOL, false },
			    { "columns", PROTO_T_INT, false } },
		.flags = PROTO_CMD_STREAMS,
		.summary = "Follow every run of a root live (output included); "
		    "with phases, run them on each settled change.",
	},
};

const struct proto_cmd *
proto_cmd_find(const char *name)
{
	size_t i;

	for (i = 0; i < PROTO_CMD_COUNT; i++)
		if (strcmp(proto_cmd_table[i].name, name) == 0)
			return &proto_cmd_table[i];
	return NULL;
}

const struct proto_cmd *
proto_cmd_get(enum proto_cmd_id id)
{
	return &proto_cmd_table[id];
}

const char *
proto_type_name(enum proto_type type)
{
	switch (type) {
	case PROTO_T_STRING:
		return "string";
	case PROTO_T_INT:
		return "integer";
	case PROTO_T_NUMBER:
		return "number";
	case PROTO_T_BOOL:
		return "boolean";
	case PROTO_T_OBJECT:
		return "object";
	case PROTO_T_ARRAY:
		return "array";
	}
	return "unknown";
}

const char *
proto_json_type_name(const cJSON *item)
{
	if (cJSON_IsString(item))
		return "string";
	if (cJSON_IsNumber(item))
		return "number";
	if (cJSON_IsBool(item))
		return "boolean";
	if (cJSON_IsObject(item))
		return "object";
	if (cJSON_IsArray(item))
		return "array";
	if (cJSON_IsNull(item))
		return "null";
	return "invalid";
}

static bool
commands_type_matches(enum proto_type type, const cJSON *item)
{
	double d;

	switch (type) {
	case PROTO_T_STRING:
		return cJSON_IsString(item);
	case PROTO_T_INT:
		if (!cJSON_IsNumber(item))
			return false;
		/* Integers beyond 2^53 travel as strings (PROTOCOL.md 2). */
		d = item->valuedouble;
		return d == floor(d) && fabs(d) <= 9007199254740992.0;
	case PROTO_T_NUMBER:
		return cJSON_IsNumber(item);
	case PROTO_T_BOOL:
		return cJSON_IsBool(item);
	case PROTO_T_OBJECT:
		return cJSON_IsObject(item);
	case PROTO_T_ARRAY:
		return cJSON_IsArray(item);
	}
	return false;
}

int
proto_cmd_validate(const struct proto_cmd *cmd, const cJSON *req,
    struct gerr *err)
{
	const struct proto_field *f;
	const cJSON *item;
	size_t i;

	for (i = 0; i < PROTO_FIELDS_MAX && cmd->fields[i].name != NULL; i++) {
		f = &cmd->fields[i];
		item = cJSON_GetObjectItemCaseSensitive(req, f->name);
		if (item == NULL) {
			if (f->required)
				return gerr_set(err, GERR_MISSING_FIELD,
				    "%s: missing field \"%s\" (%s)", cmd->name,
				    f->name, proto_type_name(f->type));
			continue;
		}
		if (!commands_type_matches(f->type, item))
			return gerr_set(err, GERR_BAD_TYPE,
			    "field \"%s\": expected %s, found %s", f->name,
			    proto_type_name(f->type),
			    cJSON_IsNumber(item) && f->type == PROTO_T_INT ?
			    "non-integer number" : proto_json_type_name(item));
		if (f->type == PROTO_T_INT && (f->min != 0 || f->max != 0) &&
		    (item->valuedouble < (double)f->min ||
		    item->valuedouble > (double)f->max))
			return gerr_set(err, GERR_INVALID,
			    "field \"%s\": expected %lld to %lld, found %.0f",
			    f->name, (long long)f->min, (long long)f->max,
			    item->valuedouble);
	}
	return 0;
}

const struct proto_field *
proto_field_find(enum proto_cmd_id id, const char *name)
{
	const struct proto_cmd *cmd = proto_cmd_get(id);

	for (size_t i = 0; i < PROTO_FIELDS_MAX &&
	    cmd->fields[i].name != NULL; i++)
		if (strcmp(cmd->fields[i].name, name) == 0)
			return &cmd->fields[i];
	return NULL;
}
