/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Unit tests for common/plan.c: request order with hooks, before_all /
 * after_all, fixtures F1-F3 (tests/data/ggen via GGEN_DATA_DIR;
 * missing under CI=true fails), workspace targets and filters, parallel
 * groups, unknown phase and workspace with suggestions, hook recursion
 * naming the chain, the step cap.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <cmocka.h>

#include "make.h"
#include "plan.h"
#include "strbuf.h"
#include "xmalloc.h"

static struct make_project *
parse(const char *s)
{
	struct make_project *p = NULL;
	struct gerr err;

	gerr_clear(&err);
	if (make_parse_buffer(s, strlen(s), "m.toml", &p, NULL, &err) != 0)
		fail_msg("parse: %s", err.msg);
	return p;
}

static struct make_project *
load_fixture(const char *name)
{
	char *dir = xasprintf("%s/ggen/%s", GGEN_DATA_DIR, name);
	struct make_project *p = NULL;
	struct gerr err;
	struct stat st;

	if (stat(dir, &st) != 0) {
		free(dir);
		if (getenv("CI") != NULL && strcmp(getenv("CI"), "true") == 0)
			fail_msg("fixture %s missing (CI=true)", name);
		skip();
	}
	gerr_clear(&err);
	if (make_load(dir, &p, NULL, &err) != 0)
		fail_msg("load %s: %s", name, err.msg);
	free(dir);
	return p;
}

/* Build a plan; rc must be want_rc; returns the outline or the message. */
static char *
outline(const struct make_project *m, const struct plan_request *req,
    int want_rc)
{
	struct plan p;
	struct gerr err;
	struct strbuf sb;
	int rc;

	gerr_clear(&err);
	strbuf_init(&sb);
	rc = plan_build(m, req, &p, &err);
	assert_int_equal(rc, want_rc);
	if (rc != 0) {
		assert_int_equal(err.code, rc);
		assert_null(p.root);
		strbuf_addstr(&sb, err.msg);
	} else {
		plan_format(&p, &sb);
		for (size_t i = 0; i < p.n_steps; i++)
			assert_int_equal(p.steps[i]->step, i);
	}
	plan_release(&p);
	return strbuf_detach(&sb, NULL);
}

static void
expect(const struct make_project *m, const char *const *phases, size_t n,
    enum plan_target target, const char *ws, int want_rc, const char *want)
{
	struct plan_request req = {
		.phases = phases, .n_phases = n, .target = target,
		.workspace = ws, .jobs = 2,
	};
	char *got = outline(m, &req, want_rc);

	if (want_rc == 0)
		assert_string_equal(got, want);
	else if (strstr(got, want) == NULL)
		fail_msg("message \"%s\" lacks \"%s\"", got, want);
	free(got);
}

static void
test_fixture_f1_build(void **state)
{
	static const char *const build[] = { "build" };
	struct make_project *m = load_fixture("F1-example");
	struct plan_request req = { .phases = build, .n_phases = 1 };
	struct plan p;

	(void)state;
	assert_int_equal(plan_build(m, &req, &p, NULL), 0);
	assert_int_equal(p.n_steps, 3);
	assert_string_equal(p.steps[0]->phase->name, "test");
	assert_string_equal(p.steps[0]->hook, "before_build");
	assert_string_equal(p.steps[1]->phase->name, "lint");
	assert_string_equal(p.steps[2]->phase->name, "build");
	assert_null(p.steps[2]->hook);
	assert_null(p.steps[2]->ws);
	assert_string_equal(plan_step_where(p.steps[2]), "");
	assert_ptr_equal(p.steps[2]->model, m);
	plan_release(&p);
	make_project_free(m);
}

static void
test_fixture_f2_records(void **state)
{
	static const char *const init[] = { "init" }, *const build[] = {
		"build" };
	struct make_project *m = load_fixture("F2-integration");
	struct plan_request r1 = { .phases = init, .n_phases = 1 };
	struct plan_request r2 = { .phases = build, .n_phases = 1 };
	struct plan p1, p2;

	(void)state;
	assert_int_equal(plan_build(m, &r1, &p1, NULL), 0);
	assert_int_equal(plan_build(m, &r2, &p2, NULL), 0);
	assert_int_equal(p1.n_steps + p2.n_steps, 4);
	plan_release(&p1);
	plan_release(&p2);
	expect(m, (const char *const[]){ "nope" }, 1, PLAN_TARGET_DEFAULT,
	    NULL, GERR_PHASE_NOT_FOUND, "phase \"nope\" not found");
	make_project_free(m);
}

static void
test_fixture_f3_workspaces(void **state)
{
	static const char *const ts[] = { "timestamp" };
	struct make_project *m = load_fixture("F3-parallel");
	struct plan_request req = { .phases = ts, .n_phases = 1, .jobs = 2 };
	struct plan p;

	(void)state;
	assert_int_equal(plan_build(m, &req, &p, NULL), 0);
	assert_int_equal(p.root->n_kids, 1);
	assert_int_equal(p.root->kids[0]->kind, PLAN_PAR);
	assert_int_equal(p.root->kids[0]->max_par, 2);
	assert_int_equal(p.n_steps, 3);
	for (size_t i = 0; i < 3; i++) {
		char name[16];

		snprintf(name, sizeof(name), "workspace%zu", i + 1);
		assert_string_equal(plan_step_where(p.steps[i]), name);
		/* each workspace has its own make.toml */
		assert_non_null(p.steps[i]->ws->own);
		assert_ptr_equal(p.steps[i]->model, p.steps[i]->ws->own);
	}
	plan_release(&p);

	expect(m, ts, 1, PLAN_TARGET_WORKSPACE, "workspace2", 0,
	    "seq\n  timestamp [workspace2]\n");
	expect(m, ts, 1, PLAN_TARGET_ROOT, NULL, 0, "seq\n  timestamp\n");
	expect(m, ts, 1, PLAN_TARGET_WORKSPACE, "workspace4",
	    GERR_WORKSPACE_NOT_FOUND,
	    "workspace \"workspace4\" not found; did you mean \"workspace");
	make_project_free(m);
}

#define HDR "[project]\nname = \"x\"\n"

static void
test_order_all_hooks(void **state)
{
	struct make_project *m = parse(HDR
	    "[lifecycle.a]\ncommand = \"a\"\n"
	    "[lifecycle.b]\ncommand = \"b\"\n"
	    "[lifecycle.c]\ncommand = \"c\"\n"
	    "[lifecycle.gen]\ncommand = \"g\"\n"
	    "[lifecycle.fin]\ncommand = \"f\"\n"
	    "[hooks]\nbefore_all = [\"gen\"]\nafter_all = [\"fin\"]\n"
	    "before_b = [\"a\"]\nafter_b = [\"c\"]\nbefore_c = [\"a\"]\n"
	    "on_error = [\"a\"]\non_success = [\"c\"]\n");
	struct plan_request req = {
		.phases = (const char *const[]){ "b", "a" }, .n_phases = 2,
	};
	struct plan p;

	(void)state;
	/* before_all once, b's chain (c's own before hook expands too),
	 * then a, then after_all. */
	/* Each phase once per request (make.toml(5)): `a`, already run
	 * before b, is not run again before c nor as the second request. */
	expect(m, req.phases, 2, PLAN_TARGET_DEFAULT, NULL, 0,
	    "seq\n"
	    "  gen (before_all)\n"
	    "  seq\n"
	    "    a (before_b)\n"
	    "    b\n"
	    "    c (after_b)\n"
	    "  fin (after_all)\n");
	assert_int_equal(plan_build(m, &req, &p, NULL), 0);
	assert_int_equal(p.n_steps, 5);
	assert_int_equal(p.on_error->len, 1);
	assert_string_equal(p.on_error->items[0].s, "a");
	assert_string_equal(p.on_success->items[0].s, "c");
	plan_release(&p);
	make_project_free(m);
}

static void
test_hooks_parallel(void **state)
{
	struct make_project *m = parse(HDR
	    "[lifecycle.a]\ncommand = \"a\"\n"
	    "[lifecycle.b]\ncommand = \"b\"\n"
	    "[lifecycle.c]\ncommand = \"c\"\n"
	    "[hooks]\nparallel = true\nbefore_c = [\"a\", \"b\"]\n"
	    "after_c = [\"a\"]\n");

	(void)state;
	/* A one-phase list needs no par node. */
	expect(m, (const char *const[]){ "c" }, 1, PLAN_TARGET_DEFAULT, NULL,
	    0, "seq\n  seq\n    par (max 2)\n      a (before_c)\n"
	    "      b (before_c)\n    c\n");
	make_project_free(m);
}

/* A hook written as commands is a phase named after its hook: the outline
 * names it once ("before_b", not "before_b (before_b)"). */
static void
test_command_hook_named_once(void **state)
{
	struct make_project *m = parse(HDR
	    "[lifecycle.b]\ncommand = \"b\"\n"
	    "[hooks.before_b]\ncommands = [\"pre\"]\n");

	(void)state;
	expect(m, (const char *const[]){ "b" }, 1, PLAN_TARGET_DEFAULT, NULL,
	    0, "seq\n  seq\n    before_b\n    b\n");
	make_project_free(m);
}

static void
test_workspace_filter_and_sequential(void **state)
{
	struct make_project *m = parse(HDR
	    "[workspace.w1]\npath = \"w1\"\n"
	    "[workspace.w2]\npath = \"w2\"\n"
	    "[workspace.w3]\npath = \"w3\"\n"
	    "[lifecycle.t]\ncommand = \"t\"\nworkspaces = [\"w1\", \"w3\"]\n"
	    "[lifecycle.u]\ncommand = \"u\"\n");

	(void)state;
	/* Not parallel: a seq over the selected workspaces, root model. */
	expect(m, (const char *const[]){ "t" }, 1, PLAN_TARGET_ALL, NULL, 0,
	    "seq\n  seq\n    t [w1]\n    t [w3]\n");
	expect(m, (const char *const[]){ "u" }, 1, PLAN_TARGET_DEFAULT, NULL,
	    0, "seq\n  seq\n    u [w1]\n    u [w2]\n    u [w3]\n");
	/* --workspace names one even outside the filter: it is explicit. */
	expect(m, (const char *const[]){ "t" }, 1, PLAN_TARGET_WORKSPACE,
	    "w2", 0, "seq\n  t [w2]\n");
	expect(m, (const char *const[]){ "u" }, 1, PLAN_TARGET_ROOT, NULL, 0,
	    "seq\n  u\n");
	make_project_free(m);
}

static void
test_unknown_phase(void **state)
{
	struct make_project *m = parse(HDR
	    "[lifecycle.build]\ncommand = \"b\"\n"
	    "[lifecycle.test]\ncommand = \"t\"\n");

	(void)state;
	expect(m, (const char *const[]){ "bild" }, 1, PLAN_TARGET_DEFAULT,
	    NULL, GERR_PHASE_NOT_FOUND,
	    "phase \"bild\" not found; did you mean \"build\"?");
	expect(m, (const char *const[]){ "zzzzzz" }, 1, PLAN_TARGET_DEFAULT,
	    NULL, GERR_PHASE_NOT_FOUND, "phase \"zzzzzz\" not found");
	/* the second phase fails the whole request */
	expect(m, (const char *const[]){ "build", "tset" }, 2,
	    PLAN_TARGET_DEFAULT, NULL, GERR_PHASE_NOT_FOUND,
	    "did you mean \"test\"?");
	expect(m, NULL, 0, PLAN_TARGET_DEFAULT, NULL, GERR_INVALID,
	    "no phase to run");
	expect(m, (const char *const[]){ "build" }, 1, PLAN_TARGET_WORKSPACE,
	    "w", GERR_WORKSPACE_NOT_FOUND,
	    "workspace \"w\" not found (the root declares no workspaces)");
	make_project_free(m);
}

static void
test_recursion_names_chain(void **state)
{
	/* make.c refuses hook cycles, so plant one in a valid model: the
	 * plan must still refuse it (models could come from elsewhere). */
	struct make_project *m = parse(HDR
	    "[lifecycle.build]\ncommand = \"b\"\n"
	    "[lifecycle.test]\ncommand = \"t\"\n"
	    "[hooks]\nbefore_build = [\"test\"]\n");
	struct make_phase *test = &m->phases[1];
	struct make_str back = { .s = (char *)"build", .line = 1, .col = 1 };
	struct make_strlist saved = test->before;

	(void)state;
	assert_string_equal(test->name, "test");
	test->before = (struct make_strlist){ .items = &back, .len = 1 };
	expect(m, (const char *const[]){ "build" }, 1, PLAN_TARGET_DEFAULT,
	    NULL, GERR_RECURSION, "hook recursion: build -> test -> build");
	expect(m, (const char *const[]){ "test" }, 1, PLAN_TARGET_DEFAULT,
	    NULL, GERR_RECURSION, "hook recursion: test -> build -> test");
	/* self-reference */
	back.s = (char *)"test";
	expect(m, (const char *const[]){ "test" }, 1, PLAN_TARGET_DEFAULT,
	    NULL, GERR_RECURSION, "hook recursion: test -> test");
	/* a hook naming a missing phase */
	back.s = (char *)"lnt";
	expect(m, (const char *const[]){ "test" }, 1, PLAN_TARGET_DEFAULT,
	    NULL, GERR_PHASE_NOT_FOUND,
	    "phase \"lnt\" not found (named in hook before_test)");
	test->before = saved;
	make_project_free(m);
}

static void
test_step_cap(void **state)
{
	/* Each phase runs once per request, so only many distinct phases
	 * go over PLAN_STEPS_MAX: p0's hook names 4100 others. */
	struct strbuf sb;
	struct make_project *m;
	struct plan_request req = { .n_phases = 1 };
	struct plan p;

	(void)state;
	strbuf_init(&sb);
	strbuf_addstr(&sb, HDR);
	for (int i = 0; i <= 4100; i++)
		strbuf_addf(&sb, "[lifecycle.p%d]\ncommand = \"x\"\n", i);
	strbuf_addstr(&sb, "[hooks]\nbefore_p0 = [");
	for (int k = 1; k <= 4100; k++)
		strbuf_addf(&sb, "%s\"p%d\"", k > 1 ? ", " : "", k);
	strbuf_addstr(&sb, "]\nbefore_p1 = [\"p2\", \"p2\", \"p3\"]\n");
	m = parse(sb.buf);
	expect(m, (const char *const[]){ "p0" }, 1, PLAN_TARGET_DEFAULT, NULL,
	    GERR_LIMIT, "more than 4096 phase records");
	/* a repeated hook entry adds nothing: p2, p3, p1 */
	req.phases = (const char *const[]){ "p1" };
	assert_int_equal(plan_build(m, &req, &p, NULL), 0);
	assert_int_equal(p.n_steps, 3);
	plan_release(&p);
	make_project_free(m);
	strbuf_release(&sb);
}

/* A real ggen file (tests/data/ggen/real/NAME.make.toml), as a buffer. */
static struct make_project *
load_real(const char *name)
{
	char *path = xasprintf("%s/ggen/real/%s.make.toml", GGEN_DATA_DIR,
	    name);
	struct make_project *p = NULL;
	struct gerr err;
	char *buf;
	long n;
	FILE *fp = fopen(path, "rb");

	if (fp == NULL)
		fail_msg("open %s", path);
	fseek(fp, 0, SEEK_END);
	n = ftell(fp);
	rewind(fp);
	buf = xmalloc((size_t)n + 1);
	assert_int_equal(fread(buf, 1, (size_t)n, fp), (size_t)n);
	fclose(fp);
	gerr_clear(&err);
	if (make_parse_buffer(buf, (size_t)n, path, &p, NULL, &err) != 0)
		fail_msg("parse %s: %s", path, err.msg);
	free(buf);
	free(path);
	return p;
}

/* The names of p's steps joined by spaces (hooks in parentheses). */
static char *
step_names(const struct plan *p)
{
	struct strbuf sb = STRBUF_INIT;

	for (size_t i = 0; i < p->n_steps; i++)
		strbuf_addf(&sb, "%s%s", i ? " " : "", p->steps[i]->phase->name);
	return strbuf_detach(&sb, NULL);
}

static void
expect_steps(const struct make_project *m, const char *phase,
    const char *env, const char *want)
{
	struct plan_request req = {
		.phases = (const char *const[]){ phase }, .n_phases = 1,
		.env = env,
	};
	struct plan p;
	struct gerr err;
	char *got;

	gerr_clear(&err);
	if (plan_build(m, &req, &p, &err) != 0)
		fail_msg("plan %s: %s", phase, err.msg);
	got = step_names(&p);
	assert_string_equal(got, want);
	free(got);
	plan_release(&p);
}

/* depends_on in ggen's own files: the README's orders. */
static void
test_depends_on_real_files(void **state)
{
	struct make_project *m;

	(void)state;
	m = load_real("advanced-rust-project");
	expect_steps(m, "deploy", NULL,
	    "init setup generate build test deploy");
	make_project_free(m);
	m = load_real("comprehensive-rust-showcase");
	/* hook command tables run around their phase */
	expect_steps(m, "deploy", NULL,
	    "before_init init after_init before_setup setup after_setup "
	    "before_validate validate after_validate before_generate generate "
	    "after_generate before_build build after_build before_test test "
	    "after_test before_security security after_security before_deploy "
	    "deploy after_deploy");
	make_project_free(m);
	m = load_real("maturity-matrix-showcase__level3-medium");
	expect_steps(m, "deploy", NULL, "init generate build test deploy");
	make_project_free(m);
}

/* A diamond: each phase once, dependencies in listed order, then
 * declaration order; the DAG records who waits for whom. */
static void
test_depends_on_diamond(void **state)
{
	struct make_project *m = parse(HDR
	    "[lifecycle.z]\ncommand = \"z\"\ndepends_on = [\"b\", \"a\"]\n"
	    "[lifecycle.a]\ncommand = \"a\"\ndepends_on = [\"base\"]\n"
	    "[lifecycle.b]\ncommand = \"b\"\ndepends_on = [\"base\"]\n"
	    "[lifecycle.base]\ncommand = \"x\"\n"
	    "[lifecycle.solo]\ncommand = \"s\"\n");
	struct plan_request req = {
		.phases = (const char *const[]){ "z", "b", "solo" },
		.n_phases = 3, .dag_jobs = 2,
	};
	struct plan p;
	char *got;
	const struct plan_node *dag;

	(void)state;
	assert_int_equal(plan_build(m, &req, &p, NULL), 0);
	got = step_names(&p);
	/* b is not run again as the second request */
	assert_string_equal(got, "base b a z solo");
	free(got);
	dag = p.root->kids[0];
	assert_int_equal(dag->kind, PLAN_DAG);
	assert_int_equal(dag->max_par, 2);
	assert_int_equal(dag->n_kids, 4);
	assert_int_equal(dag->kids[0]->n_deps, 0);
	assert_int_equal(dag->kids[1]->n_deps, 1);	/* b <- base */
	assert_int_equal(dag->kids[1]->deps[0], 0);
	assert_int_equal(dag->kids[3]->n_deps, 2);	/* z <- b, a */
	assert_int_equal(dag->kids[3]->deps[0], 1);
	assert_int_equal(dag->kids[3]->deps[1], 2);
	plan_release(&p);
	make_project_free(m);
}

/* Environments: variables by precedence, overrides, GGEN_ENV. */
static void
test_environments(void **state)
{
	struct make_project *m = parse(HDR
	    "[env]\nA = \"top\"\nB = \"top\"\nC = \"top\"\n"
	    "[env.prod]\nB = \"prof\"\nC = \"prof\"\n"
	    "commands.t = \"profile-cmd\"\n"
	    "[lifecycle.d]\ncommands = [\"dev-deploy\"]\ntimeout = 9\n"
	    "[lifecycle.d.env]\nC = \"phase\"\n"
	    "[lifecycle.d.env.prod]\ncommand = \"prod-deploy\"\n"
	    "[lifecycle.t]\ncommand = \"t\"\n");
	struct plan_request req = {
		.phases = (const char *const[]){ "d", "t" }, .n_phases = 2,
		.env = "prod",
	};
	const struct make_phase *d;
	struct plan p;
	struct gerr err;

	(void)state;
	assert_int_equal(plan_build(m, &req, &p, NULL), 0);
	assert_string_equal(p.env, "prod");
	assert_string_equal(p.env_source, "-e");
	d = p.steps[0]->phase;
	assert_int_equal(d->commands.len, 1);
	assert_string_equal(d->commands.items[0].s, "prod-deploy");
	assert_int_equal(d->timeout_s, 9);	/* not overridden: kept */
	assert_int_equal(d->env_len, 4);
	assert_string_equal(d->env[0].key, "A");
	assert_string_equal(d->env[0].value, "top");
	assert_string_equal(d->env[1].value, "prof");
	assert_string_equal(d->env[2].value, "phase");
	assert_string_equal(d->env[3].key, "GGEN_ENV");
	assert_string_equal(d->env[3].value, "prod");
	assert_string_equal(p.steps[1]->phase->commands.items[0].s,
	    "profile-cmd");
	plan_release(&p);
	/* without an environment: the phase's own commands, [env] only */
	req.env = NULL;
	assert_int_equal(plan_build(m, &req, &p, NULL), 0);
	assert_null(p.env);
	assert_string_equal(p.steps[0]->phase->commands.items[0].s,
	    "dev-deploy");
	assert_int_equal(p.steps[0]->phase->env_len, 3);
	plan_release(&p);
	/* $GGEN_ENV counts only with detect = "auto" */
	req.env_auto = "prod";
	assert_int_equal(plan_build(m, &req, &p, NULL), 0);
	assert_null(p.env);
	plan_release(&p);
	/* an undeclared environment is refused, naming the declared ones */
	req.env = "qa";
	gerr_clear(&err);
	assert_int_equal(plan_build(m, &req, &p, &err), GERR_INVALID);
	assert_non_null(strstr(err.msg, "environment \"qa\""));
	assert_non_null(strstr(err.msg, "prod"));
	make_project_free(m);
}

/* Phases share their model's environment; copies are bounded. */
static void
test_env_bounded(void **state)
{
	struct strbuf sb;
	struct make_project *m;
	const char **names = xcalloc(300, sizeof(*names));
	struct plan_request req = { .n_phases = 300 };
	struct plan p;
	struct gerr err;

	(void)state;
	strbuf_init(&sb);
	strbuf_addstr(&sb, HDR "[env]\n");
	for (int i = 0; i < 1000; i++)
		strbuf_addf(&sb, "V%d = \"x\"\n", i);
	for (int i = 0; i < 300; i++)
		strbuf_addf(&sb, "[lifecycle.p%d]\ncommand = \"x\"\n"
		    "env = { OWN = \"%d\" }\n", i, i);
	m = parse(sb.buf);
	for (size_t i = 0; i < m->phases_len; i++)
		names[i] = m->phases[i].name;
	req.phases = names;
	/* 300 phases x 1001 variables: over PLAN_ENV_MAX */
	gerr_clear(&err);
	assert_int_equal(plan_build(m, &req, &p, &err), GERR_LIMIT);
	assert_non_null(strstr(err.msg, "environment variables"));
	/* 200 fit, and phases without env of their own share one array */
	req.n_phases = 200;
	assert_int_equal(plan_build(m, &req, &p, NULL), 0);
	assert_int_equal(p.steps[0]->phase->env_len, 1001);
	plan_release(&p);
	make_project_free(m);
	free(names);
	strbuf_release(&sb);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fixture_f1_build),
		cmocka_unit_test(test_fixture_f2_records),
		cmocka_unit_test(test_fixture_f3_workspaces),
		cmocka_unit_test(test_order_all_hooks),
		cmocka_unit_test(test_hooks_parallel),
		cmocka_unit_test(test_workspace_filter_and_sequential),
		cmocka_unit_test(test_unknown_phase),
		cmocka_unit_test(test_recursion_names_chain),
		cmocka_unit_test(test_step_cap),
		cmocka_unit_test(test_depends_on_real_files),
		cmocka_unit_test(test_depends_on_diamond),
		cmocka_unit_test(test_environments),
		cmocka_unit_test(test_env_bounded),
		cmocka_unit_test(test_command_hook_named_once),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
