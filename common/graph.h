/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * graph.h - pictures of a plan (common/plan.h): what one request would run,
 * as text, Graphviz dot or Mermaid (`ggenc graph`, make.toml(5)).
 *
 * Nodes are the plan's phase records (plan->steps, in execution order);
 * edges are its depends_on and hook relations (plan->edges). A status
 * callback may add each record's last known outcome ("ok", "failed"...).
 * Pure: no I/O; any thread, one call at a time per output buffer.
 */
#ifndef GGEN_GRAPH_H
#define GGEN_GRAPH_H

#include <stdbool.h>

#include <cjson/cJSON.h>

#include "gerr.h"
#include "plan.h"
#include "strbuf.h"

enum graph_format {
	GRAPH_TEXT,
	GRAPH_DOT,
	GRAPH_MERMAID,
};

/* The last known status of step (borrowed) or NULL when unknown; the
 * returned string is borrowed until the next call. */
typedef const char *(*graph_status_fn)(void *arg,
    const struct plan_node *step);

/* "text", "dot", "mermaid" -> *out; GERR_INVALID naming the choices. */
/*
 * How a hook reads, in make.toml(5)'s words, into sb (reset first; left
 * empty when hook is NULL): "before build (hooks.before_build)", "after
 * the run's phases (hooks.after_all)", and with cmds (the hook's own
 * commands) "after test ([hooks.after_test] commands)". graph and
 * `ggenc run --dry-run` say it the same way.
 */
void graph_hook_words(const char *hook, bool cmds, struct strbuf *sb);

int graph_format_parse(const char *name, enum graph_format *out,
    struct gerr *err);

/*
 * Append the picture of p to out. title (borrowed) names the request
 * ("deploy", "build test"); status may be NULL. Text: one line per phase
 * record in execution order with its hook role, what it waits for and its
 * status. Dot: a digraph whose labels are escaped (quotes, backslashes,
 * newlines), so any phase name renders. Mermaid: a `graph LR` block.
 */
void graph_render(const struct plan *p, const char *title,
    enum graph_format fmt, graph_status_fn status, void *arg,
    struct strbuf *out);

/*
 * The picture and its parts as JSON (transferred): {"format","graph" (the
 * rendered text),"env" (or null),"nodes":[{"phase","workspace","hook",
 * "status"}],"edges":[{"from","to","kind"}]}; from/to index nodes, kind is
 * "depends_on", "before" or "after". The one shape ggenc prints for
 * --json, whether the daemon or ggenc drew it.
 */
cJSON *graph_json(const struct plan *p, const char *title,
    enum graph_format fmt, graph_status_fn status, void *arg);

#endif
