/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Unit tests for common/graph.c: the whole text, dot and Mermaid pictures
 * of one plan with every hook shape (a phase named in before_all, in
 * before_X, in after_X, a [hooks.after_X] commands table) and depends_on,
 * compared byte for byte; hook records read the same in all three
 * formats; last statuses; the JSON shape keeps its wire names; an unknown
 * format is refused naming the choices.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "graph.h"
#include "make.h"
#include "plan.h"
#include "strbuf.h"

static const char toml[] =
	"[project]\nname = \"g\"\n"
	"[lifecycle.init]\ncommand = \"true\"\n"
	"[lifecycle.gen]\ncommand = \"true\"\n"
	"[lifecycle.build]\ncommand = \"true\"\ndepends_on = [\"init\"]\n"
	"[lifecycle.test]\ncommand = \"true\"\ndepends_on = [\"build\"]\n"
	"[lifecycle.package]\ncommand = \"true\"\n"
	"[lifecycle.lint]\ncommand = \"true\"\n"
	"[hooks]\nbefore_all = [\"gen\"]\nbefore_build = [\"lint\"]\n"
	"after_build = [\"package\"]\n"
	"[hooks.after_test]\ncommands = [\"echo done\"]\n";

struct fixture {
	struct make_project *m;
	struct plan p;
};

static int
setup(void **state)
{
	static const char *const phases[] = { "test" };
	struct plan_request req = { .phases = phases, .n_phases = 1,
		.target = PLAN_TARGET_DEFAULT };
	struct fixture *f = calloc(1, sizeof(*f));
	struct gerr err;

	gerr_clear(&err);
	assert_int_equal(make_parse_buffer(toml, strlen(toml), "make.toml",
	    &f->m, NULL, &err), 0);
	assert_int_equal(plan_build(f->m, &req, &f->p, &err), 0);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;

	plan_release(&f->p);
	make_project_free(f->m);
	free(f);
	return 0;
}

static char *
render(const struct plan *p, enum graph_format fmt, graph_status_fn st)
{
	struct strbuf sb;

	strbuf_init(&sb);
	graph_render(p, "test", fmt, st, NULL, &sb);
	return strbuf_detach(&sb, NULL);
}

static void
test_text(void **state)
{
	struct fixture *f = *state;
	char *s = render(&f->p, GRAPH_TEXT, NULL);

	assert_string_equal(s,
	    "run test: 7 phase records\n"
	    "  1. gen         before the run's phases (hooks.before_all)\n"
	    "  2. init\n"
	    "  3. lint        before build (hooks.before_build)\n"
	    "  4. build       depends on init\n"
	    "  5. package     after build (hooks.after_build)\n"
	    "  6. test        depends on build\n"
	    "  7. after_test  after test ([hooks.after_test] commands)\n");
	free(s);
}

static void
test_dot(void **state)
{
	struct fixture *f = *state;
	char *s = render(&f->p, GRAPH_DOT, NULL);

	assert_string_equal(s,
	    "digraph \"ggen: test\" {\n"
	    "  rankdir=LR;\n"
	    "  node [shape=box, style=filled, fillcolor=white];\n"
	    "  n0 [label=\"gen\\nbefore the run's phases (hooks.before_all)\", "
	    "fillcolor=white, style=\"filled,dashed\"];\n"
	    "  n1 [label=\"init\", fillcolor=white];\n"
	    "  n2 [label=\"lint\\nbefore build (hooks.before_build)\", "
	    "fillcolor=white, style=\"filled,dashed\"];\n"
	    "  n3 [label=\"build\", fillcolor=white];\n"
	    "  n4 [label=\"package\\nafter build (hooks.after_build)\", "
	    "fillcolor=white, style=\"filled,dashed\"];\n"
	    "  n5 [label=\"test\", fillcolor=white];\n"
	    "  n6 [label=\"after_test\\nafter test ([hooks.after_test] "
	    "commands)\", fillcolor=white, style=\"filled,dashed\"];\n"
	    "  n2 -> n3 [style=dashed];\n"
	    "  n3 -> n4 [style=dashed];\n"
	    "  n5 -> n6 [style=dashed];\n"
	    "  n1 -> n3 [label=\"depends_on\"];\n"
	    "  n3 -> n5 [label=\"depends_on\"];\n"
	    "}\n");
	free(s);
}

static void
test_mermaid(void **state)
{
	struct fixture *f = *state;
	char *s = render(&f->p, GRAPH_MERMAID, NULL);

	assert_string_equal(s,
	    "graph LR\n"
	    "  n0[\"gen<br/>before the run's phases (hooks.before_all)\"]"
	    ":::hook\n"
	    "  n1[\"init\"]\n"
	    "  n2[\"lint<br/>before build (hooks.before_build)\"]:::hook\n"
	    "  n3[\"build\"]\n"
	    "  n4[\"package<br/>after build (hooks.after_build)\"]:::hook\n"
	    "  n5[\"test\"]\n"
	    "  n6[\"after_test<br/>after test ([hooks.after_test] commands)"
	    "\"]:::hook\n"
	    "  n2 -.-> n3\n"
	    "  n3 -.-> n4\n"
	    "  n5 -.-> n6\n"
	    "  n1 -->|\"depends_on\"| n3\n"
	    "  n3 -->|\"depends_on\"| n5\n"
	    "  classDef hook stroke-dasharray: 5 5\n");
	free(s);
}

/* build failed last time, the others ran ok; package never ran. */
static const char *
status_of(void *arg, const struct plan_node *n)
{
	(void)arg;
	if (strcmp(n->phase->name, "package") == 0)
		return NULL;
	return strcmp(n->phase->name, "build") == 0 ? "failed" : "ok";
}

static void
test_statuses(void **state)
{
	struct fixture *f = *state;
	char *s = render(&f->p, GRAPH_TEXT, status_of);

	assert_non_null(strstr(s, "\n  4. build       depends on init  "
	    "[last: failed]\n"));
	assert_non_null(strstr(s, "\n  2. init        [last: ok]\n"));
	assert_non_null(strstr(s, "\n  5. package     after build "
	    "(hooks.after_build)\n"));
	free(s);
	s = render(&f->p, GRAPH_DOT, status_of);
	assert_non_null(strstr(s, "  n3 [label=\"build\\nlast: failed\", "
	    "fillcolor=salmon];\n"));
	assert_non_null(strstr(s, "  n2 [label=\"lint\\nbefore build "
	    "(hooks.before_build)\\nlast: ok\", fillcolor=palegreen, "
	    "style=\"filled,dashed\"];\n"));
	free(s);
	s = render(&f->p, GRAPH_MERMAID, status_of);
	assert_non_null(strstr(s, "  n3[\"build<br/>last: failed\"]\n"));
	free(s);
}

/* No hook, no depends_on: no padding, no class definition. */
static void
test_plain(void **state)
{
	static const char t[] = "[project]\nname = \"p\"\n"
	    "[lifecycle.a]\ncommand = \"true\"\n"
	    "[lifecycle.long_name]\ncommand = \"true\"\n";
	static const char *const phases[] = { "a", "long_name" };
	struct plan_request req = { .phases = phases, .n_phases = 2,
		.target = PLAN_TARGET_DEFAULT };
	struct make_project *m = NULL;
	struct gerr err;
	struct plan p;
	char *s;

	(void)state;
	gerr_clear(&err);
	assert_int_equal(make_parse_buffer(t, strlen(t), "make.toml", &m,
	    NULL, &err), 0);
	assert_int_equal(plan_build(m, &req, &p, &err), 0);
	s = render(&p, GRAPH_TEXT, NULL);
	assert_string_equal(s, "run test: 2 phase records\n  1. a\n"
	    "  2. long_name\n");
	free(s);
	s = render(&p, GRAPH_MERMAID, NULL);
	assert_string_equal(s, "graph LR\n  n0[\"a\"]\n  n1[\"long_name\"]\n");
	free(s);
	plan_release(&p);
	make_project_free(m);
}

static void
test_json(void **state)
{
	struct fixture *f = *state;
	cJSON *j = graph_json(&f->p, "test", GRAPH_TEXT, NULL, NULL);
	const cJSON *nodes = cJSON_GetObjectItemCaseSensitive(j, "nodes");
	const cJSON *edges = cJSON_GetObjectItemCaseSensitive(j, "edges");
	const cJSON *n0 = cJSON_GetArrayItem(nodes, 0);
	const cJSON *n6 = cJSON_GetArrayItem(nodes, 6);
	const cJSON *e0 = cJSON_GetArrayItem(edges, 0);

	assert_int_equal(cJSON_GetArraySize(nodes), 7);
	assert_string_equal(cJSON_GetStringValue(
	    cJSON_GetObjectItemCaseSensitive(n0, "hook")), "before_all");
	assert_string_equal(cJSON_GetStringValue(
	    cJSON_GetObjectItemCaseSensitive(n6, "hook")), "after_test");
	assert_string_equal(cJSON_GetStringValue(
	    cJSON_GetObjectItemCaseSensitive(e0, "kind")), "before");
	assert_non_null(strstr(cJSON_GetStringValue(
	    cJSON_GetObjectItemCaseSensitive(j, "graph")), "  1. gen  "));
	cJSON_Delete(j);
}

static void
test_format_parse(void **state)
{
	enum graph_format fmt;
	struct gerr err;

	(void)state;
	gerr_clear(&err);
	assert_int_equal(graph_format_parse("mermaid", &fmt, &err), 0);
	assert_int_equal(fmt, GRAPH_MERMAID);
	assert_int_equal(graph_format_parse("svg", &fmt, &err), GERR_INVALID);
	assert_string_equal(err.msg, "format \"svg\": expected text, dot or "
	    "mermaid");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_text, setup, teardown),
		cmocka_unit_test_setup_teardown(test_dot, setup, teardown),
		cmocka_unit_test_setup_teardown(test_mermaid, setup, teardown),
		cmocka_unit_test_setup_teardown(test_statuses, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_json, setup, teardown),
		cmocka_unit_test(test_plain),
		cmocka_unit_test(test_format_parse),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
