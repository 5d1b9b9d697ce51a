/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * cmd_show.c - `ggenc show RUN`: one recorded run, its spans as an
 * indented tree with durations, then its output tail.
 */
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "cmd_entries.h"
#include "commands.h"
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

	fprintf(ctx->out, "  %*s%s  [%s]  %s  %s%s%s%s\n", depth * 2, "",
	    histfmt_str(s, "name"), histfmt_str(s, "kind"),
	    histfmt_duration(histfmt_num(s, "dur_us") / 1000.0, d, sizeof(d)),
	    color_on(ctx->color, color_status(histfmt_str(s, "status"))),
	    histfmt_str(s, "status"), color_off(ctx->color),
	    cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(s, "slow")) ?
	    " (slow)" : "");
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
	fprintf(ctx->out, "  root       %s\n", histfmt_str(r, "root"));
	if (histfmt_str(r, "workspace")[0] != '\0')
		fprintf(ctx->out, "  workspace  %s\n",
		    histfmt_str(r, "workspace"));
	fprintf(ctx->out, "  trigger    %s\n", histfmt_str(r, "trigger"));
	fprintf(ctx->out, "  started    %s\n", histfmt_when(histfmt_num(r,
	    "start_us"), when, sizeof(when)));
	fprintf(ctx->out, "  duration   %s\n", histfmt_duration(
	    cJSON_IsNumber(dur) ? dur->valuedouble : -1.0, d, sizeof(d)));
	if (histfmt_num(r, "exit_code") >= 0)
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
	if (len > 0) {
		fprintf(ctx->out, "output (last %zu bytes):\n", len);
		runview_output(ctx, ctx->out, out);
		if (out[len - 1] != '\n')
			fputc('\n', ctx->out);
	}
	return 0;
}

const struct cmd_entry cmd_show_entry = {
	.name = "show", .alias = NULL, .usage = "RUN|last|-N",
	.summary = "Show a recorded run: spans as a tree, then its output.",
	.args = { .min = 1, .max = 1 }, .proto = PROTO_CMD_SHOW,
	.build = cmd_show_build, .render = cmd_show_render,
};
