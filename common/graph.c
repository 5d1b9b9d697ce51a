/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * graph.c - text, dot and Mermaid pictures of a plan (see graph.h).
 *
 * Owns nothing beyond a call. Called by the daemon (`graph` request, with
 * last-run statuses) and by ggenc when no daemon answers. Invariant: node
 * ids are "n" + the step index, so edges and nodes agree in every format;
 * every label goes through the format's escaper.
 *
 * A hook record reads the same in every format, in make.toml(5)'s words:
 * when it runs, then the key that asks for it: "before build
 * (hooks.before_build)", "after the run's phases (hooks.after_all)", and for
 * a hook's own commands (a record named after the key) "after test
 * ([hooks.after_test] commands)". Text puts it after the name, dot and
 * Mermaid on the node's second line (the node dashed); their hook edges
 * are dashed and carry no label (the node says it), depends_on edges are
 * solid and labelled "depends_on".
 */
#include "graph.h"

#include <string.h>

static const char *const graph_format_names[] = {
	[GRAPH_TEXT] = "text", [GRAPH_DOT] = "dot",
	[GRAPH_MERMAID] = "mermaid",
};

int
graph_format_parse(const char *name, enum graph_format *out,
    struct gerr *err)
{
	for (size_t i = 0; i < sizeof(graph_format_names) /
	    sizeof(graph_format_names[0]); i++)
		if (strcmp(name, graph_format_names[i]) == 0) {
			*out = (enum graph_format)i;
			return 0;
		}
	return gerr_set(err, GERR_INVALID, "format \"%s\": expected text, dot "
	    "or mermaid", name);
}

/* "NAME [WS]" of a step, into sb (reset first). */
static void
graph_name(const struct plan_node *n, struct strbuf *sb)
{
	strbuf_reset(sb);
	strbuf_addstr(sb, n->phase->name);
	if (n->ws != NULL)
		strbuf_addf(sb, " [%s]", n->ws->name);
}

/* A hook record's role (see the top and graph.h). */
void
graph_hook_words(const char *h, bool cmds, struct strbuf *sb)
{
	const char *what;
	bool before;

	strbuf_reset(sb);
	if (h == NULL)
		return;
	before = strncmp(h, "before_", 7) == 0;
	if (!before && strncmp(h, "after_", 6) != 0) {
		strbuf_addf(sb, "hook %s", h);	/* no such key today */
		return;
	}
	what = h + (before ? 7 : 6);
	if (strcmp(what, "all") == 0)
		strbuf_addstr(sb, before ? "before the run's phases" :
		    "after the run's phases");
	else
		strbuf_addf(sb, "%s %s", before ? "before" : "after", what);
	if (cmds)
		strbuf_addf(sb, " ([hooks.%s] commands)", h);
	else
		strbuf_addf(sb, " (hooks.%s)", h);
}

static void
graph_dot_escape(struct strbuf *out, const char *s)
{
	for (; *s != '\0'; s++) {
		if (*s == '"' || *s == '\\')
			strbuf_addch(out, '\\');
		if (*s == '\n')
			strbuf_addstr(out, "\\n");
		else
			strbuf_addch(out, *s);
	}
}

static void
graph_mermaid_escape(struct strbuf *out, const char *s)
{
	for (; *s != '\0'; s++) {
		if (*s == '"')
			strbuf_addstr(out, "#quot;");
		else if (*s == '\n')
			strbuf_addstr(out, "<br/>");
		else
			strbuf_addch(out, *s);
	}
}

static const char *
graph_dot_color(const char *status)
{
	if (status == NULL)
		return "white";
	if (strcmp(status, "ok") == 0 || strcmp(status, "cached") == 0)
		return "palegreen";
	if (strcmp(status, "failed") == 0 || strcmp(status, "timeout") == 0)
		return "salmon";
	if (strcmp(status, "running") == 0)
		return "lightblue";
	return "lightgrey";
}

/* One step's notes for the text form: its hook role, "depends on A,
 * B", "[last: STATUS]", two spaces apart, into sb (reset first). */
static void
graph_text_notes(const struct plan *p, const struct plan_node *n,
    const char *st, struct strbuf *sb)
{
	struct strbuf role;
	bool first = true;

	strbuf_reset(sb);
	strbuf_init(&role);
	graph_hook_words(n->hook, n->hook_cmds, &role);
	if (role.len > 0)
		strbuf_addf(sb, "  %s", role.buf);
	for (size_t k = 0; k < p->n_edges; k++) {
		const struct plan_edge *e = &p->edges[k];

		if (e->kind != PLAN_EDGE_DEPENDS || e->to != n)
			continue;
		strbuf_addf(sb, "%s%s", first ? "  depends on " : ", ",
		    e->from->phase->name);
		first = false;
	}
	if (st != NULL)
		strbuf_addf(sb, "  [last: %s]", st);
	strbuf_release(&role);
}

static void
graph_text(const struct plan *p, const char *title, graph_status_fn status,
    void *arg, struct strbuf *out)
{
	struct strbuf name, notes;
	size_t width = 0;

	strbuf_init(&name);
	strbuf_init(&notes);
	strbuf_addf(out, "run %s", title);
	if (p->env != NULL)
		strbuf_addf(out, " (environment %s)", p->env);
	strbuf_addf(out, ": %zu phase record%s\n", p->n_steps,
	    p->n_steps == 1 ? "" : "s");
	/* Notes line up in one column after the longest name. */
	for (size_t i = 0; i < p->n_steps; i++) {
		graph_name(p->steps[i], &name);
		if (name.len > width)
			width = name.len;
	}
	for (size_t i = 0; i < p->n_steps; i++) {
		const struct plan_node *n = p->steps[i];

		graph_name(n, &name);
		graph_text_notes(p, n, status != NULL ? status(arg, n) : NULL,
		    &notes);
		strbuf_addf(out, "%3zu. %s", i + 1, name.buf);
		if (notes.len > 0)
			strbuf_addf(out, "%*s%s", (int)(width - name.len), "",
			    notes.buf);
		strbuf_addch(out, '\n');
	}
	strbuf_release(&name);
	strbuf_release(&notes);
}

/* A node's label for dot and Mermaid: name, role, status, one a line. */
static void
graph_label(const struct plan_node *n, const char *st, struct strbuf *sb)
{
	struct strbuf role;

	strbuf_init(&role);
	graph_name(n, sb);
	graph_hook_words(n->hook, n->hook_cmds, &role);
	if (role.len > 0)
		strbuf_addf(sb, "\n%s", role.buf);
	if (st != NULL)
		strbuf_addf(sb, "\nlast: %s", st);
	strbuf_release(&role);
}

static void
graph_dot(const struct plan *p, const char *title, graph_status_fn status,
    void *arg, struct strbuf *out)
{
	struct strbuf name;
	const char *st;

	strbuf_init(&name);
	strbuf_addstr(out, "digraph \"ggen: ");
	graph_dot_escape(out, title);
	strbuf_addstr(out, "\" {\n  rankdir=LR;\n  node [shape=box, "
	    "style=filled, fillcolor=white];\n");
	for (size_t i = 0; i < p->n_steps; i++) {
		const struct plan_node *n = p->steps[i];

		st = status != NULL ? status(arg, n) : NULL;
		graph_label(n, st, &name);
		strbuf_addf(out, "  n%zu [label=\"", i);
		graph_dot_escape(out, name.buf);
		strbuf_addf(out, "\", fillcolor=%s%s];\n", graph_dot_color(st),
		    n->hook != NULL ? ", style=\"filled,dashed\"" : "");
	}
	for (size_t k = 0; k < p->n_edges; k++) {
		const struct plan_edge *e = &p->edges[k];

		strbuf_addf(out, "  n%zu -> n%zu [%s];\n", e->from->step,
		    e->to->step, e->kind == PLAN_EDGE_DEPENDS ?
		    "label=\"depends_on\"" : "style=dashed");
	}
	strbuf_addstr(out, "}\n");
	strbuf_release(&name);
}

static void
graph_mermaid(const struct plan *p, graph_status_fn status, void *arg,
    struct strbuf *out)
{
	struct strbuf name;
	bool hooks = false;
	const char *st;

	strbuf_init(&name);
	strbuf_addstr(out, "graph LR\n");
	for (size_t i = 0; i < p->n_steps; i++) {
		const struct plan_node *n = p->steps[i];

		st = status != NULL ? status(arg, n) : NULL;
		graph_label(n, st, &name);
		strbuf_addf(out, "  n%zu[\"", i);
		graph_mermaid_escape(out, name.buf);
		strbuf_addf(out, "\"]%s\n", n->hook != NULL ? ":::hook" : "");
		hooks = hooks || n->hook != NULL;
	}
	for (size_t k = 0; k < p->n_edges; k++) {
		const struct plan_edge *e = &p->edges[k];

		if (e->kind == PLAN_EDGE_DEPENDS)
			strbuf_addf(out, "  n%zu -->|\"depends_on\"| n%zu\n",
			    e->from->step, e->to->step);
		else
			strbuf_addf(out, "  n%zu -.-> n%zu\n", e->from->step,
			    e->to->step);
	}
	/* Hook nodes dashed, as in dot. */
	if (hooks)
		strbuf_addstr(out, "  classDef hook stroke-dasharray: 5 5\n");
	strbuf_release(&name);
}

void
graph_render(const struct plan *p, const char *title,
    enum graph_format fmt, graph_status_fn status, void *arg,
    struct strbuf *out)
{
	switch (fmt) {
	case GRAPH_TEXT:
		graph_text(p, title, status, arg, out);
		return;
	case GRAPH_DOT:
		graph_dot(p, title, status, arg, out);
		return;
	case GRAPH_MERMAID:
		graph_mermaid(p, status, arg, out);
		return;
	}
}

cJSON *
graph_json(const struct plan *p, const char *title, enum graph_format fmt,
    graph_status_fn status, void *arg)
{
	static const char *const kinds[] = {
		[PLAN_EDGE_DEPENDS] = "depends_on",
		[PLAN_EDGE_BEFORE] = "before",
		[PLAN_EDGE_AFTER] = "after",
	};
	cJSON *o = cJSON_CreateObject(), *nodes, *edges;
	struct strbuf sb;

	strbuf_init(&sb);
	graph_render(p, title, fmt, status, arg, &sb);
	cJSON_AddStringToObject(o, "format", graph_format_names[fmt]);
	cJSON_AddStringToObject(o, "graph", sb.buf != NULL ? sb.buf : "");
	strbuf_release(&sb);
	if (p->env != NULL)
		cJSON_AddStringToObject(o, "env", p->env);
	else
		cJSON_AddNullToObject(o, "env");
	nodes = cJSON_AddArrayToObject(o, "nodes");
	for (size_t i = 0; i < p->n_steps; i++) {
		const struct plan_node *n = p->steps[i];
		const char *st = status != NULL ? status(arg, n) : NULL;
		cJSON *j = cJSON_CreateObject();

		cJSON_AddStringToObject(j, "phase", n->phase->name);
		cJSON_AddStringToObject(j, "workspace", plan_step_where(n));
		if (n->hook != NULL)
			cJSON_AddStringToObject(j, "hook", n->hook);
		if (st != NULL)
			cJSON_AddStringToObject(j, "status", st);
		else
			cJSON_AddNullToObject(j, "status");
		cJSON_AddItemToArray(nodes, j);
	}
	edges = cJSON_AddArrayToObject(o, "edges");
	for (size_t i = 0; i < p->n_edges; i++) {
		cJSON *j = cJSON_CreateObject();

		cJSON_AddNumberToObject(j, "from", (double)p->edges[i].from->step);
		cJSON_AddNumberToObject(j, "to", (double)p->edges[i].to->step);
		cJSON_AddStringToObject(j, "kind", kinds[p->edges[i].kind]);
		cJSON_AddItemToArray(edges, j);
	}
	return o;
}
