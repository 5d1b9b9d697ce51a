/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Unit tests for common/make.c and common/make_rules.c: every rule with its
 * position, the ggen fixtures F1-F4 (tests/data/ggen, path from
 * GGEN_DATA_DIR; missing under CI=true fails), make_load on disk
 * (workspaces, own make.toml, symlink escapes, I/O errors), formatting.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "make.h"
#include "strbuf.h"
#include "xmalloc.h"

static struct make_project *
parse(const char *s, struct make_findings *f, int *rc)
{
	struct make_project *p = NULL;
	struct gerr err;

	gerr_clear(&err);
	*rc = make_parse_buffer(s, strlen(s), "m.toml", &p, f, &err);
	if (*rc != 0) {
		assert_null(p);
		assert_int_equal(err.code, *rc);
		assert_string_equal(err.file, "m.toml");
	}
	return p;
}

static const struct make_finding *
find(const struct make_findings *f, const char *rule, int line, int col)
{
	for (size_t i = 0; i < f->len; i++)
		if (strcmp(f->items[i].rule->id, rule) == 0 &&
		    f->items[i].line == line && f->items[i].col == col)
			return &f->items[i];
	return NULL;
}

struct rule_case {
	const char *doc;
	const char *rule;
	int line, col;
	const char *frag;
};

#define HDR "[project]\nname = \"x\"\n"
/* A valid phase a at lines 3-4; cases add keys from line 5 on. */
#define PHA HDR "[lifecycle.a]\ncommand = \"x\"\n"
/* A valid phase build, then [hooks] at line 5; hook keys from line 6 on. */
#define PHB HDR "[lifecycle.build]\ncommand = \"x\"\n[hooks]\n"

static const struct rule_case rule_cases[] = {
	{ "[lifecycle.a]\ncommand = \"x\"\n", "missing-project", 1, 1,
	  "no [project] table; the project is named after its directory" },
	{ "[tasks.check]\ncommand = \"cargo\"\n", "cargo-make-file", 1, 1,
	  "this is a cargo-make file" },
	{ PHA "[state]\nfile = \"s\"\n", "ggen-only", 5, 2,
	  "[state] configures ggen itself" },
	{ PHA "depends_on = [\"bild\"]\n", "unknown-dependency", 5, 15,
	  "phase 'a' depends on unknown phase 'bild'" },
	{ PHA "watch = true\n", "watch-no-outputs", 5, 1,
	  "phase 'a' has watch = true and no outputs" },
	{ HDR "[lifecycle.a]\ncommand = \"x\"\ndepends_on = [\"b\"]\n"
	  "[lifecycle.b]\ncommand = \"y\"\n[hooks]\nbefore_b = [\"a\"]\n",
	  "hook-cycle", 9, 13, "dependency cycle: " },
	{ PHA "[env]\n\"1X\" = \"v\"\n", "env-name", 6, 1,
	  "env name '1X' in [env]" },
	{ PHA "[env]\ndetect = \"sometimes\"\n", "bad-value", 6, 10,
	  "'env.detect' must be" },
	{ "[project]\ntype = \"app\"\n", "missing-key", 1, 1,
	  "[project] has no 'name'" },
	{ "project = 3\n", "wrong-type", 1, 11,
	  "'project' must be a table, found integer" },
	{ HDR "[lifecycle.a]\ndescription = \"d\"\n", "phase-empty", 3, 1,
	  "phase 'a' has neither commands nor templates" },
	{ HDR "[lifecycle.a]\ncommands = []\n", "phase-empty", 3, 1,
	  "neither commands nor templates" },
	{ PHA "commands = [\"y\"]\n",
	  "command-conflict", 5, 1, "'command' wins" },
	{ PHA "timeout = \"5\"\n",
	  "wrong-type", 5, 11,
	  "'lifecycle.a.timeout' must be an integer, found string" },
	{ PHA "timeout = 0\n", "bad-value", 5,
	  11, "must be at least 1" },
	{ PHA "cache = \"yes\"\n", "wrong-type",
	  5, 9, "must be a boolean" },
	{ HDR "[lifecycle.a]\ncommands = [\"x\", 1]\n", "wrong-type", 4, 18,
	  "must be an array of strings, found integer element" },
	{ PHA "watch = 1\n", "wrong-type", 5, 9,
	  "must be a boolean or an array of globs" },
	{ PHA "on_busy = \"later\"\n",
	  "bad-value", 5, 11,
	  "'lifecycle.a.on_busy' must be queue, restart or ignore, found "
	  "'later'" },
	{ PHA "env = { \"1X\" = \"v\" }\n",
	  "env-name", 5, 9, "env name '1X' in phase 'a' must match" },
	{ PHA "env = { A = 1 }\n", "wrong-type",
	  5, 13, "'lifecycle.a.env.A' must be a string" },
	{ PHA "comand = \"y\"\n", "unknown-key",
	  5, 1, "unknown key 'lifecycle.a.comand'; did you mean 'command'?" },
	{ PHA "zzz = 1\n", "unknown-key", 5, 1,
	  "unknown key 'lifecycle.a.zzz'" },
	{ HDR "[projcet]\n", "unknown-key", 3, 2,
	  "unknown key 'projcet'; did you mean 'project'?" },
	{ PHB
	  "before_build = [\"tset\"]\n", "hook-unknown-phase", 6, 17,
	  "hook 'before_build' names unknown phase 'tset'" },
	{ PHB
	  "before_bild = []\n", "hook-unknown-phase", 6, 1,
	  "hook 'before_bild' names unknown phase 'bild'; did you mean "
	  "'before_build'?" },
	{ PHB
	  "befor_build = []\n", "unknown-key", 6, 1,
	  "unknown key 'hooks.befor_build'; did you mean 'before_build'?" },
	{ PHB
	  "after_all = [\"biuld\"]\n", "hook-unknown-phase", 6, 14,
	  "did you mean 'build'?" },
	{ HDR "[lifecycle.build]\ncommand = \"x\"\n[lifecycle.test]\n"
	  "command = \"t\"\n[hooks]\nbefore_build = [\"test\"]\n"
	  "after_test = [\"build\"]\n", "hook-cycle", 9, 15,
	  "hook cycle: build -> test -> build" },
	{ PHA "[hooks]\nbefore_a = [\"a\"]\n",
	  "hook-cycle", 6, 13, "hook cycle: a -> a" },
	{ HDR "[workspace.w]\npath = \"../up\"\n", "workspace-path", 4, 8,
	  "workspace 'w' path '../up' is outside the root" },
	{ HDR "[workspace.w]\npath = \"/abs\"\n", "workspace-path", 4, 8,
	  "outside the root" },
	{ HDR "[workspace.w]\npath = \"a/../../b\"\n", "workspace-path", 4, 8,
	  "outside the root" },
	{ HDR "[workspace.w]\n", "missing-key", 3, 1,
	  "[workspace.w] has no 'path'" },
	{ HDR "[workspace.w]\npath = \"w\"\n[lifecycle.a]\ncommand = \"x\"\n"
	  "workspaces = [\"v\"]\n", "unknown-workspace", 7, 15,
	  "phase 'a' names unknown workspace 'v'" },
	{ HDR "[watch]\ndebounce_min_ms = 50\ndebounce_max_ms = 10\n",
	  "bad-value", 5, 19, "is below 'watch.debounce_min_ms' (50)" },
	{ HDR "[watch]\ndebounce_min_ms = -1\n", "bad-value", 4, 19,
	  "must be at least 0" },
	{ "vars = 1\n" HDR, "wrong-type", 1, 8, "'vars' must be a table" },
	{ HDR "[lifecycle]\na = 1\n", "wrong-type", 4, 5,
	  "'lifecycle.a' must be a table" },
	{ PHA "watch = [\"src/[a-\"]\n", "bad-glob", 5, 15,
	  "bad glob 'src/[a-' in watch: " },
	{ PHA "inputs = [\"ok/**\", \"a//b\"]\n", "bad-glob", 5, 23,
	  "bad glob 'a//b' in inputs: " },
	{ PHA "templates = [\"\"]\n", "bad-glob", 5, 15,
	  "bad glob '' in templates: " },
	{ HDR "[watch]\nignore = [\"*.log\", \"x\\\\\"]\n", "bad-glob", 4,
	  22, "bad glob 'x\\' in watch.ignore: " },
	{ "[project]\nname = 'x'\nname = 'y'\n", "toml-syntax", 3, 1,
	  "duplicate key 'name' (first defined at 2:1)" },
};

static void
test_rules_each(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(rule_cases) / sizeof(rule_cases[0]);
	    i++) {
		const struct rule_case *c = &rule_cases[i];
		const struct make_rule *row = make_rule_find(c->rule);
		const struct make_finding *it;
		struct make_findings f;
		struct make_project *p;
		int rc;

		assert_non_null(row);
		make_findings_init(&f);
		p = parse(c->doc, &f, &rc);
		it = find(&f, c->rule, c->line, c->col);
		if (it == NULL || strstr(it->message, c->frag) == NULL) {
			for (size_t k = 0; k < f.len; k++)
				print_message("# %s %d:%d %s\n",
				    f.items[k].rule->id, f.items[k].line,
				    f.items[k].col, f.items[k].message);
			fail_msg("case %zu (%s) not found", i, c->rule);
		}
		assert_int_equal(it->severity, row->severity);
		assert_string_equal(it->file, "m.toml");
		/* errors fail the load, warnings never do */
		if (row->severity == MAKE_ERROR)
			assert_int_not_equal(rc, 0);
		else
			assert_int_equal(rc, 0);
		make_project_free(p);
		make_findings_release(&f);
	}
}

/* on_error / on_success hold shell commands, never phase names. */
static void
test_post_hooks_are_commands(void **state)
{
	struct make_findings f;
	struct make_project *p;
	int rc;

	(void)state;
	make_findings_init(&f);
	p = parse("[project]\nname = \"x\"\n"
	    "[lifecycle.build]\ncommand = \"make\"\n"
	    "[hooks]\non_error = [\"notify-send 'build failed'\"]\n"
	    "on_success = [\"echo ok > done.txt\"]\n", &f, &rc);
	assert_int_equal(rc, 0);
	assert_non_null(p);
	assert_int_equal(f.len, 0);
	assert_int_equal(p->hooks.on_error.len, 1);
	assert_string_equal(p->hooks.on_error.items[0].s,
	    "notify-send 'build failed'");
	assert_string_equal(p->hooks.on_success.items[0].s,
	    "echo ok > done.txt");
	make_project_free(p);
	make_findings_release(&f);
}

/* ggen's forms (make.toml(5)): on_error as one string, hooks as tables
 * of commands, first_run_only, requires_approval, cache_key. */
static void
test_ggen_forms(void **state)
{
	struct make_findings f;
	struct make_project *p;
	const struct make_phase *b;
	int rc;

	(void)state;
	make_findings_init(&f);
	p = parse("[project]\nname = \"x\"\n"
	    "[lifecycle.build]\ncommand = \"make\"\nfirst_run_only = true\n"
	    "requires_approval = true\ncache_key = \"a.lock | b.toml\"\n"
	    "depends_on = [\"init\"]\n"
	    "[lifecycle.init]\ncommand = \"true\"\n"
	    "[hooks]\non_error = \"echo failed\"\non_success = \"echo ok\"\n"
	    "[hooks.after_build]\ncommands = [\"ls\", \"du\"]\n"
	    "[hooks.before_all]\ncommand = \"date\"\n", &f, &rc);
	assert_int_equal(rc, 0);
	assert_int_equal(f.len, 0);
	assert_int_equal(p->hooks.on_error.len, 1);
	assert_string_equal(p->hooks.on_error.items[0].s, "echo failed");
	assert_string_equal(p->hooks.on_success.items[0].s, "echo ok");
	assert_non_null(p->hooks.before_all_cmds);
	assert_string_equal(p->hooks.before_all_cmds->commands.items[0].s,
	    "date");
	b = make_phase_find(p, "build");
	assert_true(b->first_run_only);
	assert_true(b->requires_approval);
	assert_int_equal(b->inputs.len, 2);
	assert_string_equal(b->inputs.items[0].s, "a.lock");
	assert_string_equal(b->inputs.items[1].s, "b.toml");
	assert_int_equal(b->depends_on.len, 1);
	assert_non_null(b->after_cmds);
	assert_string_equal(b->after_cmds->name, "after_build");
	assert_int_equal(b->after_cmds->commands.len, 2);
	assert_false(b->after_cmds->cache);
	assert_int_equal(b->decl, 0);
	assert_int_equal(make_phase_find(p, "init")->decl, 1);
	make_project_free(p);
	make_findings_release(&f);
}

static void
test_all_findings_collected_sorted(void **state)
{
	const char *doc = "[lifecycle.b]\ntimeout = \"5\"\nzz = 1\n"
	    "[lifecycle.a]\non_busy = \"x\"\ncommand = \"c\"\n";
	struct make_findings f;
	struct make_project *p;
	int rc;

	(void)state;
	make_findings_init(&f);
	p = parse(doc, &f, &rc);
	assert_null(p);
	assert_int_equal(rc, GERR_INVALID);
	/* missing [project] (a warning), b empty, b timeout, b zz,
	 * a on_busy */
	assert_int_equal(f.len, 5);
	assert_int_equal(f.errors, 3);
	assert_int_equal(f.warnings, 2);
	for (size_t i = 1; i < f.len; i++)
		assert_true(f.items[i - 1].line < f.items[i].line ||
		    (f.items[i - 1].line == f.items[i].line &&
		    f.items[i - 1].col <= f.items[i].col));
	assert_string_equal(f.items[0].rule->id, "missing-project");
	assert_string_equal(f.items[4].rule->id, "bad-value");
	make_findings_release(&f);
	/* NULL findings: the code and err still say what went wrong */
	assert_int_equal(make_parse_buffer(doc, strlen(doc), "m.toml", &p,
	    NULL, NULL), GERR_INVALID);
	assert_null(p);
}

static void
test_model_fields(void **state)
{
	const char *doc = HDR
	    "type = \"app\"\n"
	    "[vars]\nk = \"v\"\n"
	    "[watch]\nignore = [\"*.log\"]\ndebounce_min_ms = 10\n"
	    "debounce_max_ms = 500\n"
	    "[workspace.zz]\npath = \"z\"\n[workspace.aa]\npath = \"./a\"\n"
	    "[lifecycle.gen]\ntemplates = [\"t/**/*.tmpl\"]\nwatch = true\n"
	    "[lifecycle.build]\ncommands = [\"make\", \"make check\"]\n"
	    "watch = [\"src/**/*.c\"]\ninputs = [\"src/**\"]\n"
	    "outputs = [\"build/app\"]\ncache = true\n"
	    "env = { ZED = \"1\", CFLAGS = \"-O2\" }\ntimeout = 60\n"
	    "parallel = true\nworkspaces = [\"aa\"]\non_busy = \"restart\"\n"
	    "budget_ms = 2000\n"
	    "[hooks]\nbefore_all = [\"gen\"]\nparallel = true\n"
	    "after_build = [\"gen\"]\non_error = [\"gen\"]\n";
	struct make_findings f;
	struct make_project *p;
	const struct make_phase *b, *g;
	int rc;

	(void)state;
	make_findings_init(&f);
	p = parse(doc, &f, &rc);
	assert_int_equal(rc, 0);
	assert_int_equal(f.len, 0);
	assert_string_equal(p->name, "x");
	assert_string_equal(p->type, "app");
	assert_null(p->version);
	assert_string_equal(toml_get(p->vars, "k")->u.s.ptr, "v");
	assert_int_equal(p->watch_ignore.len, 1);
	assert_int_equal(p->debounce_min_ms, 10);
	assert_int_equal(p->debounce_max_ms, 500);
	assert_int_equal(p->workspaces_len, 2);
	assert_string_equal(p->workspaces[0].name, "aa");
	assert_null(p->workspaces[0].own);
	assert_non_null(make_workspace_find(p, "zz"));
	assert_null(make_workspace_find(p, "nope"));
	assert_int_equal(p->phases_len, 2);
	assert_string_equal(p->phases[0].name, "build");
	b = make_phase_find(p, "build");
	g = make_phase_find(p, "gen");
	assert_null(make_phase_find(p, "none"));
	assert_int_equal(b->commands.len, 2);
	assert_string_equal(b->commands.items[1].s, "make check");
	assert_int_equal(b->watch, MAKE_WATCH_GLOBS);
	assert_string_equal(b->watch_globs.items[0].s, "src/**/*.c");
	assert_true(b->cache);
	assert_int_equal(b->env_len, 2);
	assert_string_equal(b->env[0].key, "CFLAGS");
	assert_string_equal(b->env[1].value, "1");
	assert_int_equal(b->timeout_s, 60);
	assert_true(b->parallel);
	assert_string_equal(b->workspaces.items[0].s, "aa");
	assert_int_equal(b->on_busy, MAKE_ON_BUSY_RESTART);
	assert_int_equal(b->budget_ms, 2000);
	assert_int_equal(b->pos_budget.line, 28);
	assert_int_equal(b->pos_budget.col, 1);
	assert_int_equal(b->pos_timeout.line, 24);
	assert_int_equal(b->inputs.line, 20);
	assert_int_equal(g->pos_timeout.line, 0);
	assert_int_equal(b->after.len, 1);
	assert_int_equal(g->watch, MAKE_WATCH_ALL);
	assert_int_equal(g->inputs.len, 0);
	assert_int_equal(g->timeout_s, MAKE_TIMEOUT_DEFAULT_S);
	assert_int_equal(g->on_busy, MAKE_ON_BUSY_QUEUE);
	assert_int_equal(g->templates.len, 1);
	assert_int_equal(g->commands.len, 0);
	assert_true(p->hooks.parallel);
	assert_string_equal(p->hooks.before_all.items[0].s, "gen");
	assert_int_equal(p->hooks.on_error.len, 1);
	make_project_free(p);
	make_findings_release(&f);
	make_project_free(NULL);
}

/* A shared model outlives the first release: ASan reports a use after
 * free or a leak if the count is wrong. */
static void
test_refcount(void **state)
{
	const char *doc = PHA "[workspace.w]\npath = 'w'\n";
	struct make_project *p, *q;
	int rc;

	(void)state;
	p = parse(doc, NULL, &rc);
	assert_int_equal(rc, 0);
	assert_int_equal(p->refs, 1);
	q = make_project_ref(p);
	assert_ptr_equal(q, p);
	assert_int_equal(p->refs, 2);
	make_project_unref(p);
	assert_int_equal(q->refs, 1);
	assert_string_equal(q->workspaces[0].path, "w");
	make_project_free(q);
	make_project_unref(NULL);
}

static void
test_inputs_default_to_watch(void **state)
{
	const char *doc = PHA "watch = [\"src/**\", \"*.h\"]\n"
	    "[lifecycle.b]\ncommand = 'y'\nwatch = ['w']\ninputs = []\n";
	struct make_project *p;
	int rc;

	(void)state;
	p = parse(doc, NULL, &rc);
	assert_int_equal(rc, 0);
	assert_int_equal(p->phases[0].inputs.len, 2);
	assert_string_equal(p->phases[0].inputs.items[1].s, "*.h");
	assert_int_equal(p->phases[0].inputs.items[1].line, 5);
	assert_int_equal(p->phases[0].inputs.line, 0);
	/* an explicit empty list stays empty */
	assert_int_equal(p->phases[1].inputs.len, 0);
	make_project_free(p);
}

static void
test_command_wins(void **state)
{
	const char *doc = HDR "[lifecycle.a]\ncommands = [\"one\", \"two\"]\n"
	    "command = \"solo\"\n";
	struct make_findings f;
	struct make_project *p;
	int rc;

	(void)state;
	make_findings_init(&f);
	p = parse(doc, &f, &rc);
	assert_int_equal(rc, 0);
	assert_int_equal(f.warnings, 1);
	assert_int_equal(p->phases[0].commands.len, 1);
	assert_string_equal(p->phases[0].commands.items[0].s, "solo");
	assert_int_equal(p->phases[0].commands.items[0].line, 5);
	assert_int_equal(p->phases[0].commands.items[0].col, 11);
	make_project_free(p);
	make_findings_release(&f);
}

static void
test_format_and_caret(void **state)
{
	const char *src = "[project]\n\tname = 3\n";
	struct make_findings f;
	struct make_project *p;
	struct strbuf sb = STRBUF_INIT;
	int rc;

	(void)state;
	make_findings_init(&f);
	p = parse(src, &f, &rc);
	assert_null(p);
	assert_int_equal(f.len, 1);
	make_finding_format(&f.items[0], &sb);
	assert_string_equal(sb.buf, "m.toml:2:9: error: 'project.name' must "
	    "be a string, found integer [wrong-type]");
	strbuf_reset(&sb);
	make_source_caret(src, strlen(src), 2, 9, &sb);
	assert_string_equal(sb.buf, "\tname = 3\n\t       ^");
	strbuf_reset(&sb);
	make_source_caret(src, strlen(src), 9, 1, &sb);
	assert_string_equal(sb.buf, "");
	make_source_caret("a\r\nb", 4, 1, 1, &sb);
	assert_string_equal(sb.buf, "a\n^");
	strbuf_release(&sb);
	make_findings_release(&f);
	assert_null(make_rule_find("no-such-rule"));
	assert_int_equal(make_rule_find("unknown-key")->severity, MAKE_WARNING);
}

static void
test_cycle_long_and_many_phases(void **state)
{
	struct strbuf sb = STRBUF_INIT;
	struct make_findings f;
	struct make_project *p;
	int rc;

	(void)state;
	/* 20000 phases in one hook chain: the DFS must not recurse. */
	strbuf_addstr(&sb, HDR);
	for (int i = 0; i < 20000; i++)
		strbuf_addf(&sb, "[lifecycle.p%05d]\ncommand = \"x\"\n", i);
	strbuf_addstr(&sb, "[hooks]\n");
	for (int i = 0; i < 20000; i++)
		strbuf_addf(&sb, "before_p%05d = [\"p%05d\"]\n", i,
		    (i + 1) % 20000);
	make_findings_init(&f);
	p = parse(sb.buf, &f, &rc);
	assert_int_equal(rc, GERR_INVALID);
	assert_int_equal(f.len, 1);
	assert_string_equal(f.items[0].rule->id, "hook-cycle");
	assert_non_null(strstr(f.items[0].message,
	    "hook cycle: p00000 -> ... -> "));
	assert_non_null(strstr(f.items[0].message, "p19999 -> p00000"));
	make_project_free(p);
	make_findings_release(&f);
	strbuf_release(&sb);
}

static void
test_findings_cap(void **state)
{
	struct strbuf sb = STRBUF_INIT;
	struct make_findings f;
	struct make_project *p;
	int rc;

	(void)state;
	strbuf_addstr(&sb, HDR);
	for (int i = 0; i < 1500; i++)
		strbuf_addf(&sb, "nme%d = 1\n", i);
	strbuf_addstr(&sb, "[lifecycle.a]\ncommand = 'x'\n[hooks]\nbefore_a = [");
	for (int i = 0; i < 3000; i++)
		strbuf_addf(&sb, "%s'b%d'", i ? ", " : "", i);
	strbuf_addstr(&sb, "]\n");
	make_findings_init(&f);
	p = parse(sb.buf, &f, &rc);
	assert_int_equal(rc, GERR_INVALID);
	assert_int_equal(f.len, MAKE_FINDINGS_MAX);
	assert_int_equal(f.warnings, 1500);
	assert_int_equal(f.errors, 3000);
	assert_int_equal(f.dropped, 3500);
	/* the first ones kept still carry their suggestion */
	assert_non_null(strstr(f.items[0].message, "did you mean 'name'?"));
	make_project_free(p);
	make_findings_release(&f);
	strbuf_release(&sb);
}

/* ---- fixtures ------------------------------------------------------- */

static char *
fixture_dir(const char *name)
{
	char *dir = xasprintf("%s/ggen/%s", GGEN_DATA_DIR, name);
	struct stat st;

	if (stat(dir, &st) == 0)
		return dir;
	free(dir);
	if (getenv("CI") != NULL && strcmp(getenv("CI"), "true") == 0)
		fail_msg("fixture %s missing under %s (CI=true)", name,
		    GGEN_DATA_DIR);
	skip();
	return NULL;
}

static void
assert_phases(const struct make_project *p, const char *const *names,
    size_t n)
{
	assert_int_equal(p->phases_len, n);
	for (size_t i = 0; i < n; i++)
		assert_string_equal(p->phases[i].name, names[i]);
}

static void
test_fixture_f1(void **state)
{
	static const char *const names[] = { "build", "clean", "dev", "init",
		"lint", "setup", "test" };
	char *dir = fixture_dir("F1-example");
	struct make_findings f;
	struct make_project *p;
	const struct make_phase *b;
	struct gerr err;

	(void)state;
	make_findings_init(&f);
	gerr_clear(&err);
	assert_int_equal(make_load(dir, &p, &f, &err), 0);
	/* dev: watch = true, commands, no outputs */
	assert_int_equal(f.len, 1);
	assert_string_equal(f.items[0].rule->id, "watch-no-outputs");
	assert_string_equal(p->name, "example-app");
	assert_string_equal(p->type, "webapp");
	assert_phases(p, names, 7);
	b = make_phase_find(p, "build");
	assert_true(b->cache);
	assert_int_equal(b->outputs.len, 1);
	assert_string_equal(b->outputs.items[0].s, "dist/");
	assert_int_equal(b->commands.len, 2);
	/* run build = before_build hooks in order, then build */
	assert_int_equal(b->before.len, 2);
	assert_string_equal(b->before.items[0].s, "test");
	assert_string_equal(b->before.items[1].s, "lint");
	assert_int_equal(b->after.len, 0);
	assert_int_equal(make_phase_find(p, "dev")->watch, MAKE_WATCH_ALL);
	assert_int_equal(make_phase_find(p, "init")->commands.len, 3);
	assert_int_equal(p->hooks.before_all.len, 0);
	make_project_free(p);
	make_findings_release(&f);
	free(dir);
}

static void
test_fixture_f2(void **state)
{
	static const char *const names[] = { "build", "clean", "init", "lint",
		"test" };
	char *dir = fixture_dir("F2-integration");
	struct make_findings f;
	struct make_project *p;
	const struct make_phase *b;

	(void)state;
	make_findings_init(&f);
	assert_int_equal(make_load(dir, &p, &f, NULL), 0);
	assert_int_equal(f.len, 0);
	assert_phases(p, names, 5);
	b = make_phase_find(p, "build");
	assert_string_equal(b->before.items[0].s, "test");
	assert_string_equal(b->before.items[1].s, "lint");
	assert_string_equal(b->commands.items[0].s, "echo 'Building project...'");
	make_project_free(p);
	make_findings_release(&f);
	free(dir);
}

static void
test_fixture_f3(void **state)
{
	static const char *const names[] = { "timestamp" };
	char *dir = fixture_dir("F3-parallel");
	struct make_findings f;
	struct make_project *p;

	(void)state;
	make_findings_init(&f);
	assert_int_equal(make_load(dir, &p, &f, NULL), 0);
	assert_int_equal(f.len, 0);
	assert_phases(p, names, 1);
	assert_true(p->phases[0].parallel);
	assert_int_equal(p->workspaces_len, 3);
	for (size_t i = 0; i < 3; i++) {
		const struct make_workspace *w = &p->workspaces[i];
		char want[32];

		snprintf(want, sizeof(want), "workspace%zu", i + 1);
		assert_string_equal(w->name, want);
		assert_string_equal(w->path, want);
		assert_non_null(w->own);
		assert_string_equal(w->own->name, want);
		assert_phases(w->own, names, 1);
		assert_non_null(strstr(w->own->file, want));
	}
	make_project_free(p);
	make_findings_release(&f);
	free(dir);
}

static void
test_fixture_f4(void **state)
{
	char *dir = fixture_dir("F4-monorepo-negative");
	char *file = xasprintf("%s/make.toml", dir);
	struct make_findings f;
	struct make_project *p;
	struct strbuf sb = STRBUF_INIT;
	struct gerr err;
	FILE *fp;
	char buf[8192];
	size_t n;

	(void)state;
	fp = fopen(file, "rb");
	assert_non_null(fp);
	n = fread(buf, 1, sizeof(buf), fp);
	fclose(fp);
	make_findings_init(&f);
	gerr_clear(&err);
	/* Lexically it is fine: a missing [project] is a warning now and
	 * the name is the directory's; cache_key and [env] are known. */
	assert_int_equal(make_parse_buffer(buf, n, "F4/make.toml", &p, &f,
	    &err), 0);
	assert_non_null(p);
	assert_int_equal(f.len, 1);
	assert_int_equal(f.errors, 0);
	make_finding_format(&f.items[0], &sb);
	assert_string_equal(sb.buf, "F4/make.toml:1:1: warning: no [project] "
	    "table; the project is named after its directory, 'F4' "
	    "[missing-project]");
	assert_string_equal(p->name, "F4");
	assert_false(p->has_project);
	/* cache_key "{{ env.CARGO_HOME }}/{{ hash('Cargo.lock') }}" adds
	 * Cargo.lock to build's inputs; [env] sets variables. */
	{
		const struct make_phase *b = make_phase_find(p, "build");
		bool lock = false;

		assert_non_null(b);
		for (size_t i = 0; i < b->inputs.len; i++)
			lock = lock || strcmp(b->inputs.items[i].s,
			    "Cargo.lock") == 0;
		assert_true(lock);
		assert_true(p->env_len > 0);
	}
	make_project_free(p);
	make_findings_release(&f);
	/* On disk its workspace directories are absent: one error each. */
	make_findings_init(&f);
	assert_int_equal(make_load(dir, &p, &f, NULL), GERR_INVALID);
	assert_int_equal(f.errors, 3);
	assert_non_null(find(&f, "workspace-path", 5, 8));
	make_findings_release(&f);
	strbuf_release(&sb);
	free(file);
	free(dir);
}

/* ---- make_load on a temporary tree --------------------------------- */

static void
write_file(const char *path, const char *text)
{
	FILE *fp = fopen(path, "wb");

	assert_non_null(fp);
	fputs(text, fp);
	fclose(fp);
}

static void
test_load_disk(void **state)
{
	char tmpl[] = "/tmp/ggen-make-XXXXXX";
	char *root = mkdtemp(tmpl);
	char *path;
	struct make_findings f;
	struct make_project *p;
	struct gerr err;

	(void)state;
	assert_non_null(root);
	gerr_clear(&err);
	assert_int_equal(make_load(root, &p, NULL, &err), GERR_IO);
	assert_non_null(strstr(err.msg, "make.toml: No such file or directory"));
	assert_null(p);

	path = xasprintf("%s/make.toml", root);
	write_file(path, HDR "[workspace.in]\npath = \"in\"\n"
	    "[workspace.esc]\npath = \"esc\"\n[workspace.file]\npath = \"f\"\n"
	    "[lifecycle.a]\ncommand = \"x\"\n");
	free(path);
	path = xasprintf("%s/in", root);
	mkdir(path, 0700);
	free(path);
	path = xasprintf("%s/f", root);
	write_file(path, "");
	free(path);
	path = xasprintf("%s/esc", root);
	assert_int_equal(symlink("/tmp", path), 0);
	free(path);
	make_findings_init(&f);
	gerr_clear(&err);
	assert_int_equal(make_load(root, &p, &f, &err), GERR_INVALID);
	assert_int_equal(f.errors, 2);
	assert_non_null(find(&f, "workspace-path", 6, 8));
	assert_non_null(strstr(find(&f, "workspace-path", 6, 8)->message,
	    "resolves outside the root"));
	assert_non_null(strstr(find(&f, "workspace-path", 8, 8)->message,
	    "is not a directory"));
	make_findings_release(&f);

	/* A valid tree whose workspace's own file is broken. */
	path = xasprintf("%s/make.toml", root);
	write_file(path, HDR "[workspace.in]\npath = \"in\"\n"
	    "[lifecycle.a]\ncommand = \"x\"\n");
	free(path);
	path = xasprintf("%s/in/make.toml", root);
	write_file(path, "[project]\nname = 'in'\n[lifecycle.b]\n");
	make_findings_init(&f);
	gerr_clear(&err);
	assert_int_equal(make_load(root, &p, &f, &err), GERR_INVALID);
	assert_int_equal(f.len, 1);
	assert_non_null(strstr(f.items[0].file, "/in/make.toml"));
	assert_non_null(strstr(err.file, "/in/make.toml"));
	assert_int_equal(err.line, 3);
	make_findings_release(&f);
	write_file(path, "[project]\nname = 'in'\n[lifecycle.b]\ncommand='y'\n");
	assert_int_equal(make_load(root, &p, NULL, NULL), 0);
	assert_string_equal(p->workspaces[0].own->phases[0].name, "b");
	make_project_free(p);
	unlink(path);
	free(path);

	path = xasprintf("rm -rf '%s'", root);
	assert_int_equal(system(path), 0);
	free(path);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rules_each),
		cmocka_unit_test(test_post_hooks_are_commands),
		cmocka_unit_test(test_all_findings_collected_sorted),
		cmocka_unit_test(test_ggen_forms),
		cmocka_unit_test(test_model_fields),
		cmocka_unit_test(test_refcount),
		cmocka_unit_test(test_command_wins),
		cmocka_unit_test(test_inputs_default_to_watch),
		cmocka_unit_test(test_format_and_caret),
		cmocka_unit_test(test_cycle_long_and_many_phases),
		cmocka_unit_test(test_findings_cap),
		cmocka_unit_test(test_fixture_f1),
		cmocka_unit_test(test_fixture_f2),
		cmocka_unit_test(test_fixture_f3),
		cmocka_unit_test(test_fixture_f4),
		cmocka_unit_test(test_load_disk),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
