/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * cmd.c - command lookup over cmd_table[] (exact, alias, unique prefix) and
 * ggenc's one option parser (cmd_parse) over each entry's opts rows and
 * cmd_global_opts. Called by client/main.c and cmd_help.c. Pure over
 * static data and the argv it is given; the only allocation is the argv
 * copy in struct cmd_parsed.
 */
#include "cmd.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "errors.h"
#include "message.h"
#include "strbuf.h"
#include "xmalloc.h"

const struct cmd_opt cmd_global_opts[] = {
	{ "--json", 0, NULL, "print the result as JSON (one object per line)",
	    0 },
	{ "--socket", 0, "PATH", "daemon socket (default: $GGEN_SOCK, "
	    "$XDG_RUNTIME_DIR/ggen/ggend.sock, /tmp/ggen-$UID/ggend.sock)", 0 },
	{ "--no-start", 0, NULL, "do not start ggend when none answers", 0 },
	{ "--help", 'h', NULL, "show help (of the command when one is given)",
	    0 },
	{ "--version", 0, NULL, "show ggenc's version", 0 },
	{ "--color", 0, "WHEN", "colour: auto (a terminal, no NO_COLOR), "
	    "always or never", 0 },
	{ "--colour", 0, "WHEN", "the same as --color", 0 },
	{ "--plain", 0, NULL, "run output without the tools' colour escapes",
	    0 },
	{ NULL, 0, NULL, NULL, 0 },
};

/* Optimal string alignment distance (a transposition counts one: "stauts"
 * is one from "status"), for names of at most 63 bytes; 99 beyond. */
static size_t
cmd_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), i, j, d[64][64];

	if (la >= 64 || lb >= 64)
		return 99;
	for (i = 0; i <= la; i++)
		d[i][0] = i;
	for (j = 0; j <= lb; j++)
		d[0][j] = j;
	for (i = 1; i <= la; i++)
		for (j = 1; j <= lb; j++) {
			size_t cost = a[i - 1] != b[j - 1], v = d[i - 1][j] + 1;

			if (d[i][j - 1] + 1 < v)
				v = d[i][j - 1] + 1;
			if (d[i - 1][j - 1] + cost < v)
				v = d[i - 1][j - 1] + cost;
			if (i > 1 && j > 1 && a[i - 1] == b[j - 2] &&
			    a[i - 2] == b[j - 1] && d[i - 2][j - 2] + 1 < v)
				v = d[i - 2][j - 2] + 1;
			d[i][j] = v;
		}
	return d[la][lb];
}

void
cmd_suggest(const char *word, const char *const *names, size_t n,
    struct strbuf *out)
{
	size_t i, best = 3, d, wl = strlen(word), hits = 0;

	/* Close enough: at most 2 edits, and fewer than the word's length
	 * (so "x" does not suggest everything of length 2). */
	for (i = 0; i < n; i++) {
		d = cmd_distance(word, names[i]);
		if (d < best && d < wl)
			best = d;
	}
	if (best > 2)
		return;
	for (i = 0; i < n; i++) {
		if (cmd_distance(word, names[i]) != best)
			continue;
		strbuf_addf(out, "%s\"%s\"", hits == 0 ? "; did you mean " :
		    " or ", names[i]);
		hits++;
	}
	if (hits > 0)
		strbuf_addstr(out, "?");
}

/* "; did you mean "x"?" for word among the visible command names. */
static void
cmd_suggest_command(const char *name, struct strbuf *out)
{
	const char *names[256];
	size_t i, n = 0;

	for (i = 0; i < cmd_table_len && n < 256; i++)
		if (!(cmd_table[i]->flags & CMD_HIDDEN))
			names[n++] = cmd_table[i]->name;
	cmd_suggest(name, names, n, out);
}

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
		if (cmd_table[i]->flags & CMD_HIDDEN)
			continue;
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
	else {
		struct strbuf alt = STRBUF_INIT;

		cmd_suggest_command(name, &alt);
		rc = gerr_set(err, GERR_NOT_FOUND, "unknown command \"%.64s\"%s",
		    name, alt.len > 0 ? alt.buf : "; see `ggenc help`");
		strbuf_release(&alt);
	}
	strbuf_release(&names);
	return rc;
}

void
cmd_print_usage(const struct cmd_entry *e, FILE *out)
{
	fprintf(out, "usage: ggenc %s%s%s\n", e->name, e->usage[0] ? " " : "",
	    e->usage);
}

/* The row for argv word a ("--name", "--name=v", "-x") among rows, or NULL;
 * *inline_value gets what follows '=' when present. */
static const struct cmd_opt *
cmd_opt_match(const struct cmd_opt *rows, const char *a,
    const char **inline_value)
{
	const char *eq = strchr(a, '=');
	size_t n = eq != NULL ? (size_t)(eq - a) : strlen(a);

	*inline_value = NULL;
	for (; rows != NULL && rows->name != NULL; rows++) {
		if (a[1] != '-') {
			if (rows->short_name != 0 && a[1] == rows->short_name &&
			    a[2] == '\0')
				return rows;
			continue;
		}
		if (strlen(rows->name) == n && strncmp(rows->name, a, n) == 0) {
			if (eq != NULL)
				*inline_value = eq + 1;
			return rows;
		}
	}
	return NULL;
}

/* "unknown option "--x" for "cmd"; did you mean "--y"?" */
static int
cmd_unknown_option(const struct cmd_entry *e, const char *a,
    struct gerr *err)
{
	const char *names[CMD_PARSE_MAX_OPTS + 16];
	const char *eq = strchr(a, '=');
	struct strbuf alt = STRBUF_INIT;
	char word[128];
	const struct cmd_opt *o;
	size_t n = 0;
	int rc;

	snprintf(word, sizeof(word), "%.*s", eq != NULL ? (int)(eq - a) :
	    (int)strlen(a), a);
	for (o = e != NULL ? e->opts : NULL; o != NULL && o->name != NULL &&
	    n < CMD_PARSE_MAX_OPTS; o++)
		names[n++] = o->name;
	for (o = cmd_global_opts; o->name != NULL; o++)
		names[n++] = o->name;
	cmd_suggest(word, names, n, &alt);
	if (alt.len == 0 && word[1] != '-' && word[1] != '\0') {
		/* -follow for --follow */
		char dashed[130];

		snprintf(dashed, sizeof(dashed), "-%s", word);
		cmd_suggest(dashed, names, n, &alt);
	}
	rc = gerr_set(err, GERR_INVALID, "unknown option \"%.64s\"%s%s%s%s",
	    word, e != NULL ? " for \"" : "", e != NULL ? e->name : "",
	    e != NULL ? "\"" : "", alt.buf);
	strbuf_release(&alt);
	return rc;
}

int
cmd_parse(int argc, char **argv, struct cmd_parsed *p, struct gerr *err)
{
	const struct cmd_opt *o;
	const char *a, *v;
	bool dashdash = false;
	int i;

	memset(p, 0, sizeof(*p));
	p->argv = xcalloc((size_t)argc + 1, sizeof(*p->argv));
	for (i = 1; i < argc; i++) {
		a = argv[i];
		if (dashdash || a[0] != '-' || a[1] == '\0' ||
		    isdigit((unsigned char)a[1])) {
			if (p->entry == NULL && !dashdash) {
				int rc = cmd_find(a, &p->entry, err);

				if (rc != 0)
					return rc;
				continue;
			}
			p->argv[p->argc++] = argv[i];
			p->pos++;
			continue;
		}
		if (strcmp(a, "--") == 0) {
			if (p->entry == NULL)
				return gerr_set(err, GERR_INVALID,
				    "no command before \"--\"");
			dashdash = true;
			continue;
		}
		o = cmd_opt_match(cmd_global_opts, a, &v);
		if (o == NULL && p->entry != NULL)
			o = cmd_opt_match(p->entry->opts, a, &v);
		if (o == NULL)
			return cmd_unknown_option(p->entry, a, err);
		if (o->arg == NULL && v != NULL)
			return gerr_set(err, GERR_INVALID,
			    "%s takes no value, found \"%.64s\"", o->name, v);
		if (o->arg != NULL && v == NULL) {
			if (i + 1 >= argc)
				return gerr_set(err, GERR_INVALID,
				    "%s needs a value (%s)", o->name, o->arg);
			v = argv[i + 1];
		}
		if (o >= cmd_global_opts && o < cmd_global_opts +
		    sizeof(cmd_global_opts) / sizeof(cmd_global_opts[0])) {
			if (o->arg != NULL && v == argv[i + 1])
				i++;
			if (strcmp(o->name, "--json") == 0)
				p->json = true;
			else if (strcmp(o->name, "--no-start") == 0)
				p->no_start = true;
			else if (strcmp(o->name, "--help") == 0)
				p->help = true;
			else if (strcmp(o->name, "--version") == 0)
				p->version = true;
			else if (strcmp(o->name, "--socket") == 0)
				p->socket = v;
			else if (strcmp(o->name, "--color") == 0 ||
			    strcmp(o->name, "--colour") == 0)
				p->color = v;
			else if (strcmp(o->name, "--plain") == 0)
				p->plain = true;
			continue;
		}
		if (p->optc == CMD_PARSE_MAX_OPTS)
			return gerr_set(err, GERR_INVALID,
			    "more than %d options", CMD_PARSE_MAX_OPTS);
		p->optv[p->optc].opt = o;
		p->optv[p->optc++].value = v != NULL ? v : "";
		if (o->arg != NULL && v == argv[i + 1])
			i++;
	}
	if (p->entry == NULL || p->help || p->version)
		return 0;
	if (p->pos < p->entry->args.min)
		return gerr_set(err, GERR_INVALID, "too few arguments: %s needs "
		    "%d, found %d", p->entry->name, p->entry->args.min, p->pos);
	if (p->pos > p->entry->args.max)
		return gerr_set(err, GERR_INVALID, "too many arguments: %s takes "
		    "%d at most, found %d", p->entry->name, p->entry->args.max,
		    p->pos);
	return 0;
}

void
cmd_parsed_release(struct cmd_parsed *p)
{
	free(p->argv);
	p->argv = NULL;
}

const char *
cmd_opt_value(const struct cmd_ctx *ctx, const char *name)
{
	const char *v = NULL;

	for (size_t i = 0; i < ctx->optc; i++)
		if (strcmp(ctx->optv[i].opt->name, name) == 0)
			v = ctx->optv[i].value;
	return v;
}

/* "--name ARG" or "-x, --name ARG" into buf. */
static const char *
cmd_opt_label(const struct cmd_opt *o, char *buf, size_t size)
{
	snprintf(buf, size, "%s%c%s%s%s%s", o->short_name ? "-" : "",
	    o->short_name ? o->short_name : ' ', o->short_name ? ", " : "",
	    o->name, o->arg != NULL ? " " : "", o->arg != NULL ? o->arg : "");
	return o->short_name ? buf : buf + 1;
}

void
cmd_print_help(const struct cmd_entry *e, FILE *out)
{
	const struct cmd_opt *o;
	const char *ex, *nl;
	char label[96];

	cmd_print_usage(e, out);
	fprintf(out, "\n%s\n", e->description != NULL ? e->description :
	    e->summary);
	if (e->alias != NULL)
		fprintf(out, "Alias: %s\n", e->alias);
	if (e->opts != NULL && e->opts->name != NULL) {
		fputs("\nOptions:\n", out);
		for (o = e->opts; o->name != NULL; o++)
			fprintf(out, "  %-24s %s\n", cmd_opt_label(o, label,
			    sizeof(label)), o->help);
	}
	if (e->example != NULL) {
		fputs("\nExample:\n", out);
		for (ex = e->example; *ex != '\0'; ex = nl + (*nl != '\0')) {
			nl = strchr(ex, '\n');
			if (nl == NULL)
				nl = ex + strlen(ex);
			fprintf(out, "  %.*s\n", (int)(nl - ex), ex);
		}
	}
	/* From the rows, so that a new global option is never left out. */
	fputs("\nGlobal options:", out);
	for (o = cmd_global_opts; o->name != NULL; o++)
		if (strcmp(o->name, "--help") != 0 &&
		    strcmp(o->name, "--version") != 0 &&
		    strcmp(o->name, "--colour") != 0)
			fprintf(out, "%s %s%s%s", o == cmd_global_opts ? "" :
			    ",", o->name, o->arg != NULL ? " " : "",
			    o->arg != NULL ? o->arg : "");
	fputs(" (see `ggenc help`).\n", out);
}

void
cmd_print_error(const struct cmd_ctx *ctx, const char *what,
    const struct gerr *err)
{
	const struct err_def *def = err_lookup(err->code == GERR_OK ?
	    GERR_INTERNAL : err->code);

	if (ctx->json) {
		cJSON *e = cJSON_CreateObject();
		char *line;

		cJSON_AddStringToObject(e, "code", def->wire);
		cJSON_AddStringToObject(e, "message", err->msg[0] != '\0' ?
		    err->msg : def->text);
		if (err->file[0] != '\0')
			cJSON_AddStringToObject(e, "file", err->file);
		if (err->line > 0) {
			cJSON_AddNumberToObject(e, "line", err->line);
			if (err->col > 0)
				cJSON_AddNumberToObject(e, "col", err->col);
		}
		line = msg_json_print(e);
		fprintf(stderr, "%s\n", line);
		free(line);
		cJSON_Delete(e);
	} else if (err->file[0] != '\0' && err->line > 0)
		fprintf(stderr, "%s:%d:%d: error: %s\n", err->file, err->line,
		    err->col > 0 ? err->col : 1, err->msg);
	else if (err->file[0] != '\0')
		fprintf(stderr, "%s: error: %s\n", err->file, err->msg);
	else
		fprintf(stderr, "ggenc: %s: error: %s\n", what, err->msg);
}

void
cmd_print_json(const struct cmd_ctx *ctx, const cJSON *obj)
{
	char *line = msg_json_print(obj);

	fprintf(ctx->out, "%s\n", line);
	free(line);
}
