/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * cmd.h - ggenc's command table: one struct cmd_entry per subcommand, each
 * exported by client/cmd_<name>.c as cmd_<name>_entry and listed in
 * client/cmd_table.c. `ggenc help` is generated from the table, and
 * tests/unit/test_tables.c checks it against proto_cmd_table[].
 *
 * A daemon command (proto >= 0) has build (add request fields), render
 * (print the result for humans; --json prints the result itself) and an
 * optional on_message hook for progress messages and events that arrive
 * before the reply. A local command (proto == CMD_LOCAL) has run instead.
 * Callbacks run on ggenc's only thread; pointers they get are borrowed for
 * the call.
 */
#ifndef GGEN_CMD_H
#define GGEN_CMD_H

#include <stdbool.h>
#include <stdio.h>

#include <cjson/cJSON.h>

#include "gerr.h"
#include "message.h"

#define CMD_LOCAL (-1)

struct cmd_ctx {
	const char *socket_path;	/* resolved socket path */
	bool json;			/* --json */
	bool no_start;			/* --no-start */
	FILE *out;			/* stdout */
	/* client/color.h, decided once in main(): colour on stdout, on
	 * stderr; strip tools' escapes from output shown. */
	bool color, color_err, plain;
	int *strip_state;		/* color_strip's, across chunks */
};

struct cmd_entry {
	const char *name;
	const char *alias;		/* NULL if none */
	const char *usage;		/* arguments after the name */
	const char *summary;		/* one line for `ggenc help` */
	struct {
		int min, max;
	} args;
	int proto;			/* enum proto_cmd_id or CMD_LOCAL */
	/* Add the request's fields from argv (argc within args). NULL: none. */
	int (*build)(const struct cmd_ctx *ctx, int argc, char **argv,
	    cJSON *fields, struct gerr *err);
	/* Print an ok result for humans; returns the exit status. */
	int (*render)(const struct cmd_ctx *ctx, const cJSON *result);
	/* A progress message or event before the reply; NULL: ignored. */
	void (*on_message)(const struct cmd_ctx *ctx,
	    const struct msg_reply *msg);
	/* CMD_LOCAL commands: the whole command; returns the exit status. */
	int (*run)(const struct cmd_ctx *ctx, int argc, char **argv);
};

extern const struct cmd_entry *const cmd_table[];
extern const size_t cmd_table_len;

/*
 * Find a command: exact name, then alias, then unique prefix of a name.
 * GERR_NOT_FOUND (`unknown command "x"`) or GERR_INVALID
 * (`ambiguous command "s": shutdown, status`). *out is static.
 */
int cmd_find(const char *name, const struct cmd_entry **out,
    struct gerr *err);

/*
 * An option with a value at argv[*i]: "--name V" or "--name=V" (name
 * includes the dashes). Returns 1 with *value borrowed from argv and *i on
 * the last element used; 0 when argv[*i] is something else (nothing
 * changed); -1 when "--name" is the last argument (err, which may be NULL,
 * gets GERR_INVALID "--name needs a value").
 */
int cmd_option(int argc, char **argv, int *i, const char *name,
    const char **value, struct gerr *err);

/* Print "usage: ggenc NAME USAGE" for e to out. */
void cmd_print_usage(const struct cmd_entry *e, FILE *out);

/* arg made absolute against the current directory (realpath when it
 * resolves; *out is the caller's to free). Used by root-taking commands:
 * the daemon's working directory is not the user's. GERR_IO (getcwd). */
int cmd_abs_path(const char *arg, char **out, struct gerr *err);
/* Add field name = cmd_abs_path(argv[0], or "." when argc is 0). */
int cmd_root_field(int argc, char **argv, cJSON *fields, const char *name,
    struct gerr *err);

#endif
