/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * cmd_show.c - `ggenc show RUN [--phase NAME]`: one recorded run, its
 * spans as an indented tree with durations (and how much each phase
 * printed), then its output tail, or with --phase only that phase's own
 * output (each phase span keeps its own, apart from concurrent ones).
 */
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "cmd_entries.h"
#include "commands.h"
#include "escape.h"
#include "color.h"
#include "histfmt.h"
#include "runview.h"
#include "xmalloc.h"

static int
cmd_show_build(const struct cmd_ctx *ctx, int argc, char **argv,
    cJSON *fields, struct gerr *err)
{
	int rc;

	(void)ctx;
	(void)argc;
	if ((rc = histfmt_run_id("RUN", argv[0], fields, "run", err)) != 0)
		return rc;
	return histfmt_scope(fields, false, err);
}

struct cmd_show_tree {
	const cJSON **spans;	/* in id order */
	size_t *parent;		/* index of the parent, n = none */
	size_t n;
};

static void
cmd_show_span(const struct cmd_ctx *ctx, const struct cmd_show_tree *t,
    size_t at, int depth)
{
	const cJSON *s = t->spans[at];
	char d[32];
	size_t i;

	fprintf(ctx->out, "  %*s%s  [%s]  %s  %s%s%s%s", depth * 2, "",
	    histfmt_str(s, "name"), histfmt_str(s, "kind"),
	    histfmt_duration(histfmt_num(s, "dur_us") / 1000.0, d, sizeof(d)),
	    color_on(ctx->color, color_status(histfmt_str(s, "status"))),
	    histfmt_str(s, "status"), color_off(ctx->color),
	    cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(s, "slow")) ?
	    " (slow)" : "");
	if (cJSON_IsString(cJSON_GetObjectItemCaseSensitive(s, "output")))
		fprintf(ctx->out, "  (%zu bytes of output)",
		    strlen(histfmt_str(s, "output")));
	fputc('\n', ctx->out);
	for (i = at + 1; i < t->n; i++)
		if (t->parent[i] == at)
			cmd_show_span(ctx, t, i, depth + 1);
}

static void
cmd_show_spans(const struct cmd_ctx *ctx, const cJSON *arr)
{
	struct cmd_show_tree t;
	const cJSON *s;
	size_t i, j, n = (size_t)cJSON_GetArraySize(arr);

	if (n == 0)
		return;
	t.n = n;
	t.spans = xreallocarray(NULL, n, sizeof(*t.spans));
	t.parent = xreallocarray(NULL, n, sizeof(*t.parent));
	i = 0;
	cJSON_ArrayForEach(s, arr)
		t.spans[i++] = s;
	/* Spans come in id order, a parent before its children: look back
	 * for the parent (runs have at most a few thousand spans). */
	for (i = 0; i < n; i++) {
		double p = histfmt_num(t.spans[i], "parent");

		t.parent[i] = n;
		for (j = i; p > 0 && j-- > 0;)
			if (histfmt_num(t.spans[j], "id") == p) {
				t.parent[i] = j;
				break;
			}
	}
	fprintf(ctx->out, "spans:\n");
	for (i = 0; i < n; i++)
		if (t.parent[i] == n)
			cmd_show_span(ctx, &t, i, 0);
	free(t.spans);
	free(t.parent);
}

/* --phase NAME: the own output of r's phase (and hook) spans named
 * name, in span order; exit 1 when the run has none. */
static int
cmd_show_phase(const struct cmd_ctx *ctx, const cJSON *r, const char *name)
{
	const cJSON *s;
	size_t found = 0;

	cJSON_ArrayForEach(s, cJSON_GetObjectItemCaseSensitive(r, "spans")) {
		const char *kind = histfmt_str(s, "kind");
		const char *out = histfmt_str(s, "output");
		const char *ws = histfmt_str(s, "workspace");
		size_t len = strlen(out);

		if ((strcmp(kind, "phase") != 0 && strcmp(kind, "hook") != 0) ||
		    strcmp(histfmt_str(s, "name"), name) != 0)
			continue;
		found++;
		fprintf(ctx->out, "output of %s%s%s (%s, %zu bytes):\n", name,
		    ws[0] != '\0' ? " in " : "", ws, histfmt_str(s, "status"),
		    len);
		if (len > 0) {
			runview_output(ctx, ctx->out, out);
			if (out[len - 1] != '\n')
				fputc('\n', ctx->out);
		}
	}
	if (found > 0)
		return 0;
	fprintf(stderr, "ggenc: run %.0f has no phase \"%s\"\n",
	    histfmt_num(r, "id"), name);
	return 1;
}

/* ": a, b" after the trigger: the run's changed files, escaped, with
 * their exact bytes when a name is not UTF-8 (trigger_files_b64; the
 * daemon sends at most its history cap of them). */
static void
cmd_show_files(const struct cmd_ctx *ctx, const cJSON *r)
{
	int n = cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(r,
	    "trigger_files"));

	for (int i = 0; i < n; i++) {
		char *name = escape_member_at(r, "trigger_files", i);

		fprintf(ctx->out, "%s %s", i == 0 ? ":" : ",", name);
		free(name);
	}
}

static int
cmd_show_render(const struct cmd_ctx *ctx, const cJSON *r)
{
	const cJSON *dur = cJSON_GetObjectItemCaseSensitive(r, "duration_ms");
	const char *out = histfmt_str(r, "output");
	char when[32], d[32];
	size_t len = strlen(out);

	fprintf(ctx->out, "run %.0f  %s  %s%s%s%s\n", histfmt_num(r, "id"),
	    histfmt_str(r, "phase"), color_on(ctx->color,
	    color_status(histfmt_str(r, "status"))), histfmt_str(r, "status"),
	    color_off(ctx->color),
	    cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(r, "slow")) ?
	    " (slow)" : "");
	if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(r, "slow")))
		fprintf(ctx->out, "  (%s)\n", HISTFMT_SLOW_NOTE);
	fprintf(ctx->out, "  root       %s\n", histfmt_str(r, "root"));
	if (histfmt_str(r, "workspace")[0] != '\0')
		fprintf(ctx->out, "  workspace  %s\n",
		    histfmt_str(r, "workspace"));
	fprintf(ctx->out, "  trigger    %s", histfmt_str(r, "trigger"));
	cmd_show_files(ctx, r);
	fputc('\n', ctx->out);
	fprintf(ctx->out, "  started    %s\n", histfmt_when(histfmt_num(r,
	    "start_us"), when, sizeof(when)));
	fprintf(ctx->out, "  duration   %s\n", histfmt_duration(
	    cJSON_IsNumber(dur) ? dur->valuedouble : -1.0, d, sizeof(d)));
	if (cJSON_IsNumber(cJSON_GetObjectItemCaseSensitive(r, "exit_code")))
		fprintf(ctx->out, "  exit code  %.0f\n",
		    histfmt_num(r, "exit_code"));
	if (histfmt_num(r, "signal") > 0)
		fprintf(ctx->out, "  signal     %.0f\n",
		    histfmt_num(r, "signal"));
	if (histfmt_str(r, "cache_key")[0] != '\0')
		fprintf(ctx->out, "  cache key  %s%s\n",
		    histfmt_str(r, "cache_key"), cJSON_IsTrue(
		    cJSON_GetObjectItemCaseSensitive(r, "cache_hit")) ?
		    " (hit)" : "");
	cmd_show_spans(ctx, cJSON_GetObjectItemCaseSensitive(r, "spans"));
	if (cmd_opt_value(ctx, "--phase") != NULL)
		return cmd_show_phase(ctx, r, cmd_opt_value(ctx, "--phase"));
	if (len > 0) {
		fprintf(ctx->out, "output (last %zu bytes):\n", len);
		runview_output(ctx, ctx->out, out);
		if (out[len - 1] != '\n')
			fputc('\n', ctx->out);
	}
	return 0;
}

static const struct cmd_opt cmd_show_opts[] = {
	{ "--phase", 'p', "NAME",
	    "print only this phase's own output, not the run's", 0 },
	{ NULL, 0, NULL, NULL, 0 },
};

const struct cmd_entry cmd_show_entry = {
	.name = "show", .alias = NULL, .usage = "RUN|last|-N [--phase NAME]",
	.summary = "Show a recorded run: spans as a tree, then its output.",
	.args = { .min = 1, .max = 1 }, .proto = PROTO_CMD_SHOW,
	.build = cmd_show_build, .render = cmd_show_render,
	.opts = cmd_show_opts,
	.example = "ggenc show 42\n" "ggenc show 42 --phase test",
};
