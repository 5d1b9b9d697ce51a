/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * cmd_help.c - `ggenc help [COMMAND]`, generated from cmd_table[] and the
 * protocol table, so help cannot drift from what exists.
 */
#include <string.h>

#include "cmd.h"
#include "cmd_entries.h"
#include "errors.h"

/* The command table as JSON (--json): for editors and scripts. */
static void
cmd_help_json(const struct cmd_ctx *ctx)
{
	cJSON *out = cJSON_CreateObject(), *cmds, *c, *opts, *o;
	const struct cmd_opt *op;

	cmds = cJSON_AddArrayToObject(out, "commands");
	for (size_t i = 0; i < cmd_table_len; i++) {
		const struct cmd_entry *e = cmd_table[i];

		if (e->flags & CMD_HIDDEN)
			continue;
		c = cJSON_CreateObject();
		cJSON_AddStringToObject(c, "name", e->name);
		if (e->alias != NULL)
			cJSON_AddStringToObject(c, "alias", e->alias);
		else
			cJSON_AddNullToObject(c, "alias");
		cJSON_AddStringToObject(c, "usage", e->usage);
		cJSON_AddStringToObject(c, "summary", e->summary);
		opts = cJSON_AddArrayToObject(c, "options");
		for (op = e->opts; op != NULL && op->name != NULL; op++) {
			o = cJSON_CreateObject();
			cJSON_AddStringToObject(o, "name", op->name);
			if (op->arg != NULL)
				cJSON_AddStringToObject(o, "arg", op->arg);
			else
				cJSON_AddNullToObject(o, "arg");
			cJSON_AddStringToObject(o, "help", op->help);
			cJSON_AddItemToArray(opts, o);
		}
		cJSON_AddItemToArray(cmds, c);
	}
	cmd_print_json(ctx, out);
	cJSON_Delete(out);
}

static int
cmd_help_run(const struct cmd_ctx *ctx, int argc, char **argv)
{
	const struct cmd_entry *e;
	const struct cmd_opt *o;
	struct gerr err;
	size_t i;

	if (argc == 1) {
		gerr_clear(&err);
		if (cmd_find(argv[0], &e, &err) != 0) {
			fprintf(stderr, "ggenc: %s\n", err.msg);
			return ERR_EXIT_USAGE;
		}
		cmd_print_help(e, ctx->out);
		return 0;
	}
	if (ctx->json) {
		cmd_help_json(ctx);
		return 0;
	}
	fprintf(ctx->out,
	    "usage: ggenc [--socket PATH] [--json] [--no-start] COMMAND [ARGS]\n"
	    "\n"
	    "Commands (a unique prefix is enough):\n");
	for (i = 0; i < cmd_table_len; i++) {
		e = cmd_table[i];
		if (e->flags & CMD_HIDDEN)
			continue;
		fprintf(ctx->out, "  %-10s %-4s %s\n", e->name,
		    e->alias != NULL ? e->alias : "", e->summary);
	}
	fputs("\nGlobal options (before or after the command):\n", ctx->out);
	for (o = cmd_global_opts; o->name != NULL; o++) {
		char label[64];

		if (o->short_name != 0)
			snprintf(label, sizeof(label), "-%c, %s", o->short_name,
			    o->name);
		else
			snprintf(label, sizeof(label), "%s%s%s", o->name,
			    o->arg != NULL ? " " : "", o->arg != NULL ?
			    o->arg : "");
		fprintf(ctx->out, "  %-16s %s\n", label, o->help);
	}
	fprintf(ctx->out,
	    "\n"
	    "Exit status: 0 ok, 1 the command failed, 2 usage, "
	    "3 daemon unreachable.\n"
	    "`ggenc help COMMAND` or `ggenc COMMAND --help`: its options and "
	    "an example;\n`man ggenc`: everything.\n");
	return 0;
}

const struct cmd_entry cmd_help_entry = {
	.name = "help", .alias = "h", .usage = "[COMMAND]",
	.summary = "Show the commands, or one command's usage.",
	.args = { .min = 0, .max = 1 }, .proto = CMD_LOCAL,
	.run = cmd_help_run,
	.example = "ggenc help\n" "ggenc help run",
};
