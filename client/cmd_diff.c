/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * cmd_diff.c - `ggenc diff RUN_A RUN_B`: spans added (+), removed (-),
 * changed status (~) and duration deltas of the rest.
 */
#include "cmd.h"
#include "cmd_entries.h"
#include "color.h"
#include "commands.h"
#include "histfmt.h"

static int
cmd_diff_build(const struct cmd_ctx *ctx, int argc, char **argv,
    cJSON *fields, struct gerr *err)
{
	int rc;

	(void)ctx;
	(void)argc;
	if ((rc = histfmt_run_id("RUN_A", argv[0], fields, "a", err)) != 0 ||
	    (rc = histfmt_run_id("RUN_B", argv[1], fields, "b", err)) != 0)
		return rc;
	return histfmt_scope(fields, false, err);
}

static double
cmd_diff_ms(const cJSON *o, const char *name)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);

	return cJSON_IsNumber(v) ? v->valuedouble : -1.0;
}

static int
cmd_diff_render(const struct cmd_ctx *ctx, const cJSON *result)
{
	const cJSON *counts = cJSON_GetObjectItemCaseSensitive(result,
	    "counts");
	const cJSON *e;
	char da[32], db[32], dd[32];
	const char *change, *ws;
	double delta;

	fprintf(ctx->out, "run %.0f -> run %.0f: %.0f same, %.0f changed "
	    "status, %.0f added, %.0f removed\n", histfmt_num(
	    cJSON_GetObjectItemCaseSensitive(result, "a"), "id"),
	    histfmt_num(cJSON_GetObjectItemCaseSensitive(result, "b"), "id"),
	    histfmt_num(counts, "same"), histfmt_num(counts, "status"),
	    histfmt_num(counts, "added"), histfmt_num(counts, "removed"));
	if (cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(result,
	    "same_root")))
		fprintf(ctx->out, "%snote: the runs are of different roots: %s "
		    "and %s%s\n", color_on(ctx->color, COLOR_YELLOW),
		    histfmt_str(cJSON_GetObjectItemCaseSensitive(result, "a"),
		    "root"), histfmt_str(cJSON_GetObjectItemCaseSensitive(
		    result, "b"), "root"), color_off(ctx->color));
	cJSON_ArrayForEach(e, cJSON_GetObjectItemCaseSensitive(result,
	    "spans")) {
		change = histfmt_str(e, "change");
		ws = histfmt_str(e, "workspace");
		fprintf(ctx->out, "%c %s%s%s  ", change[0] == 'a' ? '+' :
		    change[0] == 'r' ? '-' : change[0] == 's' &&
		    change[1] == 't' ? '~' : ' ', ws, ws[0] ? ":" : "",
		    histfmt_str(e, "path"));
		histfmt_duration(cmd_diff_ms(e, "dur_a_ms"), da, sizeof(da));
		histfmt_duration(cmd_diff_ms(e, "dur_b_ms"), db, sizeof(db));
		delta = histfmt_num(e, "delta_ms");
		if (change[0] == 'a')
			fprintf(ctx->out, "added, %s, %s\n",
			    histfmt_str(e, "status_b"), db);
		else if (change[0] == 'r')
			fprintf(ctx->out, "removed (was %s, %s)\n",
			    histfmt_str(e, "status_a"), da);
		else
			fprintf(ctx->out, "%s%s%s  %s -> %s (%c%s)\n",
			    histfmt_str(e, "status_a"),
			    change[1] == 't' ? " -> " : "",
			    change[1] == 't' ? histfmt_str(e, "status_b") : "",
			    da, db, delta < 0 ? '-' : '+',
			    histfmt_duration(delta < 0 ? -delta : delta, dd,
			    sizeof(dd)));
	}
	return 0;
}

const struct cmd_entry cmd_diff_entry = {
	.name = "diff", .alias = NULL, .usage = "RUN_A RUN_B (ids, last or -N)",
	.summary = "Compare two recorded runs: spans added, removed, "
	    "changed, slower.",
	.args = { .min = 2, .max = 2 }, .proto = PROTO_CMD_DIFF,
	.build = cmd_diff_build, .render = cmd_diff_render,
};
