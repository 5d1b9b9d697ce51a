/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * runview.h - how ggenc shows a lifecycle run: live progress messages of
 * `run` and `logs --follow` (output to stdout/stderr as it comes, one line
 * per phase start and end on stderr) and the closing summary. Shared by
 * client/cmd_run.c and client/cmd_logs.c. ggenc's only thread.
 */
#ifndef GGEN_RUNVIEW_H
#define GGEN_RUNVIEW_H

#include <cjson/cJSON.h>

#include "cmd.h"
#include "message.h"

/* Show one progress message (msg borrowed). --json: nothing; the reply
 * carries the result. */
void runview_message(const struct cmd_ctx *ctx, const struct msg_reply *msg);

/* Print the summary of a run result (borrowed) on stderr; returns the exit
 * status: 0 for ok or cached, 1 otherwise. */
int runview_summary(const struct cmd_ctx *ctx, const cJSON *run);

/* Write run output data (borrowed) to f as the tool wrote it, or with
 * its escapes stripped when ctx->plain; flushed. */
void runview_output(const struct cmd_ctx *ctx, FILE *f, const char *data);

/* The number field name of obj, or def when absent. */
double runview_num(const cJSON *obj, const char *name, double def);

/* The string field name of obj, or def when absent. */
const char *runview_str(const cJSON *obj, const char *name, const char *def);

#endif
