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

/*
 * One option of a command (or a global one), in the entry's opts array,
 * which ends at name == NULL. main.c parses argv against these rows only
 * (cmd_parse): an option not in the command's rows or the global ones is a
 * usage error with "did you mean", exit 2. help, the man page and the
 * shell completions are generated from the same rows.
 */
struct cmd_opt {
	const char *name;		/* "--since" */
	char short_name;		/* 'f' for -f, or 0 */
	const char *arg;		/* value's name ("CLOCK"); NULL: a flag */
	const char *help;		/* one line */
	unsigned flags;			/* CMD_OPT_NO_START */
};

/* Option flags. */
#define CMD_OPT_NO_START 0x1u	/* given: never start a daemon (status --short) */

#define CMD_PARSE_MAX_OPTS 64

/* An option found on the command line: its row and value (NULL for a
 * flag); both borrowed (static row, argv string). */
struct cmd_optval {
	const struct cmd_opt *opt;
	const char *value;
};

struct cmd_ctx {
	const char *socket_path;	/* resolved socket path */
	bool json;			/* --json */
	bool no_start;			/* --no-start */
	FILE *out;			/* stdout */
	/* The command's options as parsed by cmd_parse (borrowed). */
	const struct cmd_optval *optv;
	size_t optc;
	/* client/color.h, decided once in main(): colour on stdout, on
	 * stderr; strip tools' escapes from output shown. */
	bool color, color_err, plain;
	int *strip_state;		/* color_strip's, across chunks */
};

/* Entry flags. */
#define CMD_HIDDEN 0x1u		/* not in help, man page or completions */
#define CMD_NO_AUTOSTART 0x2u	/* never starts a daemon (shutdown) */

struct cmd_entry {
	const char *name;
	const char *alias;		/* NULL if none */
	const char *usage;		/* arguments after the name */
	const char *summary;		/* one line for `ggenc help` */
	struct {
		int min, max;
	} args;
	int proto;			/* enum proto_cmd_id or CMD_LOCAL */
	/* Add the request's fields from the positional arguments (argc within
	 * args) and ctx's options. NULL: none. */
	int (*build)(const struct cmd_ctx *ctx, int argc, char **argv,
	    cJSON *fields, struct gerr *err);
	/* Print an ok result for humans; returns the exit status. */
	int (*render)(const struct cmd_ctx *ctx, const cJSON *result);
	/* The exit status for an ok result printed with --json (the JSON
	 * carries the rest): a failed run is still exit 1. NULL: 0. */
	int (*exit_status)(const cJSON *result);
	/* No daemon answered (and none was started: --no-start or an option
	 * with CMD_OPT_NO_START); returns the exit status. NULL: the error
	 * is printed, exit 3. */
	int (*render_unreachable)(const struct cmd_ctx *ctx,
	    const struct gerr *err);
	/* A progress message or event before the reply; NULL: ignored. */
	void (*on_message)(const struct cmd_ctx *ctx,
	    const struct msg_reply *msg);
	/* After an error reply: true to send the request again once, with
	 * fields (the request's, a copy the hook may change). NULL: never.
	 * `run` asks on a terminal before a requires_approval phase. */
	bool (*retry)(const struct cmd_ctx *ctx, const struct msg_reply *msg,
	    cJSON *fields);
	/* CMD_LOCAL commands: the whole command; returns the exit status. */
	int (*run)(const struct cmd_ctx *ctx, int argc, char **argv);
	/* The command's options (NULL: none); see struct cmd_opt. */
	const struct cmd_opt *opts;
	/* Examples, one command line per line ("ggenc logs 12 --follow"). */
	const char *example;
	unsigned flags;			/* CMD_HIDDEN, CMD_NO_AUTOSTART */
	/* A longer description for help and the man page (NULL: summary). */
	const char *description;
};

/* The global options, valid before and after the command name. */
extern const struct cmd_opt cmd_global_opts[];

/*
 * The result of cmd_parse. argv holds the command's positional arguments
 * in their order (pos of them, = argc); optv the options, in the order
 * given, which commands read with cmd_opt_value / cmd_opt_flag.
 * Every pointer is borrowed from argv or static rows; argv's array is
 * owned (cmd_parsed_release).
 */
struct cmd_parsed {
	const struct cmd_entry *entry;	/* NULL: no command given */
	char **argv;
	int argc;
	int pos;
	struct cmd_optval optv[CMD_PARSE_MAX_OPTS];
	size_t optc;
	bool json, no_start, help, version, plain;
	const char *socket;		/* --socket, or NULL */
	const char *color;		/* --color WHEN, or NULL */
};

/*
 * Parse ggenc's argv (argv[0] is the program) against cmd_global_opts and
 * the command's opts. "--" ends options; "-" and "-<digit>..." are
 * positional. Returns 0, or GERR_INVALID (usage: unknown option with a
 * "did you mean", a missing value, positional count) / GERR_NOT_FOUND
 * (unknown command, with "did you mean"); p->entry is set as soon as the
 * command is known so the caller can print its usage. Release p either way.
 */
int cmd_parse(int argc, char **argv, struct cmd_parsed *p, struct gerr *err);
void cmd_parsed_release(struct cmd_parsed *p);

/* The value of option name in ctx (last one wins), or NULL; for a flag,
 * "" when given. Borrowed from argv. */
const char *cmd_opt_value(const struct cmd_ctx *ctx, const char *name);
static inline bool
cmd_opt_flag(const struct cmd_ctx *ctx, const char *name)
{
	return cmd_opt_value(ctx, name) != NULL;
}

/* Append "; did you mean "a"?" (or "a" or "b") to out for the names
 * closest to word (at most 2 edits, transpositions count one); nothing
 * when none is close. */
struct strbuf;
void cmd_suggest(const char *word, const char *const *names, size_t n,
    struct strbuf *out);

/* Report err on stderr: with --json the wire's error object on one line
 * ({"code","message","file","line","col"}, as daemon errors print), else
 * "file:line:col: error: msg" or "ggenc: what: msg". */
void cmd_print_error(const struct cmd_ctx *ctx, const char *what,
    const struct gerr *err);
/* obj (borrowed) as one compact JSON line on ctx->out: the one JSON style. */
void cmd_print_json(const struct cmd_ctx *ctx, const cJSON *obj);

/* Print the command's usage, options and examples (`ggenc help CMD`). */
void cmd_print_help(const struct cmd_entry *e, FILE *out);

extern const struct cmd_entry *const cmd_table[];
extern const size_t cmd_table_len;

/*
 * Find a command: exact name, then alias, then unique prefix of a name.
 * GERR_NOT_FOUND (`unknown command "x"`) or GERR_INVALID
 * (`ambiguous command "s": shutdown, status`). *out is static.
 */
int cmd_find(const char *name, const struct cmd_entry **out,
    struct gerr *err);

/* Print "usage: ggenc NAME USAGE" for e to out. */
void cmd_print_usage(const struct cmd_entry *e, FILE *out);

/* arg made absolute against the current directory (realpath when it
 * resolves; *out is the caller's to free). Used by root-taking commands:
 * the daemon's working directory is not the user's. GERR_IO (getcwd). */
int cmd_abs_path(const char *arg, char **out, struct gerr *err);
/*
 * The project a command works on, into abs (PATH_MAX bytes): root (--root
 * DIR) when given, resolved, which must hold a make.toml; else the
 * outermost directory from the current one up that holds one, so that
 * `ggenc run build` works from anywhere in the project as `dev` does.
 * GERR_ROOT_NOT_FOUND (root does not resolve) or GERR_NOT_FOUND (no
 * make.toml: nothing is watched for a mistyped directory).
 */
int cmd_project_root(const char *root, char *abs, struct gerr *err);
/* Add field name = cmd_abs_path(argv[0], or "." when argc is 0). */
int cmd_root_field(int argc, char **argv, cJSON *fields, const char *name,
    struct gerr *err);

#endif
