/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * cmd.c - command lookup over cmd_table[] (exact, alias, unique prefix).
 * Called by client/main.c and cmd_help.c. Pure over static data.
 */
#include "cmd.h"

#include <string.h>

#include "strbuf.h"

int
cmd_find(const char *name, const struct cmd_entry **out, struct gerr *err)
{
	struct strbuf names = STRBUF_INIT;
	const struct cmd_entry *hit = NULL;
	size_t i, n = strlen(name), hits = 0;
	int rc;

	*out = NULL;
	for (i = 0; i < cmd_table_len; i++)
		if (strcmp(cmd_table[i]->name, name) == 0) {
			*out = cmd_table[i];
			return 0;
		}
	for (i = 0; i < cmd_table_len; i++)
		if (cmd_table[i]->alias != NULL &&
		    strcmp(cmd_table[i]->alias, name) == 0) {
			*out = cmd_table[i];
			return 0;
		}
	for (i = 0; n > 0 && i < cmd_table_len; i++) {
		if (strncmp(cmd_table[i]->name, name, n) != 0)
			continue;
		strbuf_addf(&names, "%s%s", hits ? ", " : "",
		    cmd_table[i]->name);
		hit = cmd_table[i];
		hits++;
	}
	if (hits == 1) {
		*out = hit;
		rc = 0;
	} else if (hits > 1)
		rc = gerr_set(err, GERR_INVALID, "ambiguous command \"%s\": %s",
		    name, names.buf);
	else
		rc = gerr_set(err, GERR_NOT_FOUND,
		    "unknown command \"%s\"; see `ggenc help`", name);
	strbuf_release(&names);
	return rc;
}

void
cmd_print_usage(const struct cmd_entry *e, FILE *out)
{
	fprintf(out, "usage: ggenc %s%s%s\n", e->name, e->usage[0] ? " " : "",
	    e->usage);
}

int
cmd_option(int argc, char **argv, int *i, const char *name,
    const char **value, struct gerr *err)
{
	const char *arg = argv[*i];
	size_t n = strlen(name);

	if (strncmp(arg, name, n) != 0)
		return 0;
	if (arg[n] == '=') {
		*value = arg + n + 1;
		return 1;
	}
	if (arg[n] != '\0')
		return 0;
	if (*i + 1 >= argc) {
		gerr_set(err, GERR_INVALID, "%s needs a value", name);
		return -1;
	}
	*value = argv[++*i];
	return 1;
}
