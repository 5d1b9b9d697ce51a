/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit tests for daemon/generate.c on a real libev loop, without a watched
 * root (the job walks the workspace itself): glob and SRC:DEST outputs,
 * [vars] < frontmatter < request vars, env.NAME, write only when bytes
 * change, clean templates not re-rendered, vars changes re-render, inject,
 * sh_before/sh_after through the runner, `to` escaping the root, template
 * errors with positions, cancel. */
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
#include <cjson/cJSON.h>

#include "generate.h"
#include "ggend.h"
#include "make.h"
#include "tplcache.h"
#include "xmalloc.h"

struct test_gen {
	struct ggend g;
	char dir[64];
	struct make_project *model;
	struct generate_result res;
	struct generate_span spans[16];
	size_t n_spans;
	int calls;
};

static void
test_gen_write(const char *dir, const char *rel, const char *text)
{
	char path[512], cmd[600];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, rel);
	snprintf(cmd, sizeof(cmd), "mkdir -p \"$(dirname '%s')\"", path);
	assert_int_equal(system(cmd), 0);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static char *
test_gen_read(const char *dir, const char *rel)
{
	char path[512];
	FILE *f;
	char *buf = xcalloc(1, 65536);

	snprintf(path, sizeof(path), "%s/%s", dir, rel);
	f = fopen(path, "r");
	if (f == NULL) {
		free(buf);
		return NULL;
	}
	buf[fread(buf, 1, 65535, f)] = '\0';
	fclose(f);
	return buf;
}

static void
test_gen_model(struct test_gen *t, const char *toml)
{
	struct gerr err;

	make_project_free(t->model);
	gerr_clear(&err);
	assert_int_equal(make_parse_buffer(toml, strlen(toml), "make.toml",
	    &t->model, NULL, &err), 0);
}

static void
test_gen_done(void *arg, const struct generate_result *res)
{
	struct test_gen *t = arg;

	t->calls++;
	t->res = *res;
	t->n_spans = res->n_spans < 16 ? res->n_spans : 16;
	memcpy(t->spans, res->spans, t->n_spans * sizeof(*t->spans));
	for (size_t i = 0; i < t->n_spans; i++) {
		t->spans[i].name = NULL;	/* borrowed: gone after return */
		t->spans[i].output = NULL;
	}
}

/* Run the phase to completion; returns the result code. */
static int
test_gen_run(struct test_gen *t, const char *phase, const char *vars_json,
    bool all)
{
	const char *changed[] = { "x" };
	struct generate_job *job;
	struct gerr err;
	cJSON *vars = vars_json ? cJSON_Parse(vars_json) : NULL;
	int rc;

	gerr_clear(&err);
	t->calls = 0;
	rc = generate_start(&t->g, NULL, t->dir, t->model,
	    make_phase_find(t->model, phase), vars, all ? NULL : changed, 1,
	    test_gen_done, t, &job, &err);
	cJSON_Delete(vars);
	assert_int_equal(rc, 0);
	assert_int_equal(t->calls, 0);	/* never from inside start */
	while (t->calls == 0)
		ev_run(t->g.loop, EVRUN_ONCE);
	assert_int_equal(t->calls, 1);
	return t->res.code;
}

static int
test_gen_setup(void **state)
{
	struct test_gen *t = xcalloc(1, sizeof(*t));

	t->g.loop = ev_default_loop(0);
	snprintf(t->dir, sizeof(t->dir), "/tmp/ggen-gen-XXXXXX");
	assert_non_null(mkdtemp(t->dir));
	*state = t;
	return 0;
}

static int
test_gen_teardown(void **state)
{
	struct test_gen *t = *state;
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", t->dir);
	assert_int_equal(system(cmd), 0);
	make_project_free(t->model);
	tplcache_free(t->g.tplcache);
	free(t);
	return 0;
}

static const char *MAKE_BASIC =
    "[project]\nname = \"demo\"\n"
    "[vars]\nname = \"demo\"\nn = 3\nfields = [\"id\", \"title\"]\n"
    "[lifecycle.generate]\n"
    "templates = [\"templates/**/*.tmpl\", \"x/one.tmpl:gen/renamed.txt\"]\n";

static void
test_outputs_vars_and_clean(void **state)
{
	struct test_gen *t = *state;
	struct stat st1, st2;
	char *s, path[512];

	test_gen_model(t, MAKE_BASIC);
	test_gen_write(t->dir, "templates/src/a.h.tmpl",
	    "{% for f in fields %}{{ f }};{% endfor %} n={{ n }} "
	    "r={{ r | default(value=\"-\") }} {{ env.GGEN_GEN_TEST }}\n");
	test_gen_write(t->dir, "templates/b.txt.tmpl",
	    "---\nto: out/{{ name }}.txt\nvars:\n  n: 9\n---\nb n={{ n }}\n");
	test_gen_write(t->dir, "x/one.tmpl", "one {{ name | upper }}\n");
	setenv("GGEN_GEN_TEST", "envval", 1);
	assert_int_equal(test_gen_run(t, "generate", "{\"r\": [1, 2]}", true),
	    0);
	assert_int_equal(t->res.rendered, 3);
	assert_int_equal(t->res.written, 3);
	assert_int_equal(t->res.n_spans, 3);
	s = test_gen_read(t->dir, "src/a.h");
	assert_string_equal(s, "id;title; n=3 r=[1, 2] envval\n");
	free(s);
	s = test_gen_read(t->dir, "out/demo.txt");
	assert_string_equal(s, "b n=9\n");
	free(s);
	s = test_gen_read(t->dir, "gen/renamed.txt");
	assert_string_equal(s, "one DEMO\n");
	free(s);

	/* Same inputs, a batch run: nothing re-rendered, nothing written. */
	snprintf(path, sizeof(path), "%s/src/a.h", t->dir);
	assert_int_equal(stat(path, &st1), 0);
	assert_int_equal(test_gen_run(t, "generate", "{\"r\": [1, 2]}", false),
	    0);
	assert_int_equal(t->res.rendered, 0);
	assert_int_equal(t->res.clean, 3);
	assert_int_equal(t->spans[0].status, GENERATE_CLEAN);
	assert_string_equal(generate_status_name(t->spans[0].status), "clean");
	assert_int_equal(stat(path, &st2), 0);
	assert_int_equal(st1.st_mtim.tv_nsec, st2.st_mtim.tv_nsec);
	assert_int_equal(st1.st_ino, st2.st_ino);

	/* Forced (explicit run): rendered, identical bytes: not written. */
	assert_int_equal(test_gen_run(t, "generate", "{\"r\": [1, 2]}", true),
	    0);
	assert_int_equal(t->res.rendered, 3);
	assert_int_equal(t->res.unchanged, 3);
	assert_int_equal(t->res.written, 0);
	assert_int_equal(stat(path, &st2), 0);
	assert_int_equal(st1.st_mtim.tv_nsec, st2.st_mtim.tv_nsec);

	/* Request vars change: everything renders again, a.h changes. */
	assert_int_equal(test_gen_run(t, "generate", "{\"r\": 5}", false), 0);
	assert_int_equal(t->res.rendered, 3);
	assert_int_equal(t->res.written, 1);
	assert_int_equal(t->res.unchanged, 2);

	/* One template source changes: only it renders. */
	test_gen_write(t->dir, "x/one.tmpl", "one {{ name }}!\n");
	assert_int_equal(test_gen_run(t, "generate", "{\"r\": 5}", false), 0);
	assert_int_equal(t->res.rendered, 1);
	assert_int_equal(t->res.clean, 2);
	s = test_gen_read(t->dir, "gen/renamed.txt");
	assert_string_equal(s, "one demo!\n");
	free(s);

	/* [vars] change (make.toml edited): all re-render. */
	test_gen_model(t, "[project]\nname = \"demo\"\n[vars]\nname = \"demo\"\n"
	    "n = 4\nfields = [\"id\"]\n[lifecycle.generate]\n"
	    "templates = [\"templates/**/*.tmpl\", "
	    "\"x/one.tmpl:gen/renamed.txt\"]\n");
	assert_int_equal(test_gen_run(t, "generate", "{\"r\": 5}", false), 0);
	assert_int_equal(t->res.rendered, 3);
	s = test_gen_read(t->dir, "src/a.h");
	assert_string_equal(s, "id; n=4 r=5 envval\n");
	free(s);

	/* A user edit of an output makes its template render again. */
	test_gen_write(t->dir, "src/a.h", "edited\n");
	assert_int_equal(test_gen_run(t, "generate", "{\"r\": 5}", false), 0);
	assert_int_equal(t->res.rendered, 1);
	assert_int_equal(t->res.written, 1);
	unsetenv("GGEN_GEN_TEST");
}

static void
test_errors_keep_going(void **state)
{
	struct test_gen *t = *state;
	char *s;
	char outside[80];

	snprintf(outside, sizeof(outside), "%s-outside", t->dir);
	mkdir(outside, 0700);
	test_gen_model(t, MAKE_BASIC);
	test_gen_write(t->dir, "templates/1bad.tmpl", "ok\n{{ nope }}\n");
	test_gen_write(t->dir, "templates/2esc.tmpl", "---\nto: ../esc.txt\n"
	    "---\nx\n");
	test_gen_write(t->dir, "templates/3abs.tmpl", "---\nto: /tmp/abs.txt\n"
	    "---\nx\n");
	test_gen_write(t->dir, "templates/5good.tmpl", "good\n");
	test_gen_write(t->dir, "x/one.tmpl", "{% if %}\n");
	assert_int_equal(symlink(outside, strcat(strcpy((char[128]){ 0 },
	    t->dir), "/link")), 0);
	test_gen_write(t->dir, "templates/4sym.tmpl", "---\nto: link/x.txt\n"
	    "---\nx\n");
	assert_int_equal(test_gen_run(t, "generate", NULL, true),
	    GERR_UNDEFINED);
	/* The first error wins, with its position. */
	assert_string_equal(t->res.err.file, "templates/1bad.tmpl");
	assert_int_equal(t->res.err.line, 2);
	assert_int_equal(t->res.err.col, 4);
	assert_int_equal(t->res.n_spans, 6);
	assert_int_equal(t->spans[0].status, GENERATE_FAILED);
	assert_int_equal(t->spans[1].status, GENERATE_FAILED);
	assert_int_equal(t->spans[2].status, GENERATE_FAILED);
	assert_int_equal(t->spans[3].status, GENERATE_FAILED);
	assert_int_equal(t->spans[4].status, GENERATE_WRITTEN);
	assert_int_equal(t->spans[5].status, GENERATE_FAILED);
	s = test_gen_read(t->dir, "5good");
	assert_string_equal(s, "good\n");
	free(s);
	s = test_gen_read(outside, "x.txt");
	assert_null(s);
	assert_int_equal(access("/tmp/abs.txt", F_OK), -1);
	rmdir(outside);
}

static void
test_escape_messages(void **state)
{
	struct test_gen *t = *state;

	test_gen_model(t, "[project]\nname = \"d\"\n[lifecycle.generate]\n"
	    "templates = [\"t/*.tmpl\"]\n");
	test_gen_write(t->dir, "t/e.tmpl", "---\nto: a/../../esc.txt\n---\nx\n");
	assert_int_equal(test_gen_run(t, "generate", NULL, true),
	    GERR_OUTSIDE_ROOT);
	assert_string_equal(t->res.err.file, "t/e.tmpl");
	assert_int_equal(t->res.err.line, 2);
	assert_non_null(strstr(t->res.err.msg, "escapes the root"));
}

static void
test_inject_and_sh(void **state)
{
	struct test_gen *t = *state;
	char *s;

	test_gen_model(t, "[project]\nname = \"d\"\n[lifecycle.generate]\n"
	    "templates = [\"t/*.tmpl\"]\n");
	test_gen_write(t->dir, "src/main.c", "int a;\n// MARK\nint b;\n");
	test_gen_write(t->dir, "t/inj.tmpl", "---\nto: src/main.c\n"
	    "inject: true\nafter: \"^// MARK\"\nskip_if: \"^int x;\"\n"
	    "sh_before: echo before > sh.log\n"
	    "sh_after:\n  - echo after >> sh.log\n  - test -f src/main.c\n"
	    "---\nint x;\n");
	assert_int_equal(test_gen_run(t, "generate", NULL, true), 0);
	s = test_gen_read(t->dir, "src/main.c");
	assert_string_equal(s, "int a;\n// MARK\nint x;\nint b;\n");
	free(s);
	s = test_gen_read(t->dir, "sh.log");
	assert_string_equal(s, "before\nafter\n");
	free(s);
	/* Again: skip_if matches, nothing injected twice. */
	assert_int_equal(test_gen_run(t, "generate", NULL, true), 0);
	assert_int_equal(t->res.skipped, 1);
	s = test_gen_read(t->dir, "src/main.c");
	assert_string_equal(s, "int a;\n// MARK\nint x;\nint b;\n");
	free(s);
	/* A failing sh_before stops that template, with its command. */
	test_gen_write(t->dir, "t/inj.tmpl", "---\nto: o.txt\n"
	    "sh_before: exit 3\n---\nx\n");
	assert_int_equal(test_gen_run(t, "generate", NULL, true), GERR_INVALID);
	assert_non_null(strstr(t->res.err.msg, "sh_before `exit 3` failed "
	    "with status 3"));
	assert_null(test_gen_read(t->dir, "o.txt"));
}

static void
test_start_errors_and_cancel(void **state)
{
	struct test_gen *t = *state;
	struct generate_job *job;
	struct gerr err;
	cJSON *arr = cJSON_CreateArray();

	test_gen_model(t, "[project]\nname = \"d\"\n[lifecycle.build]\n"
	    "command = \"true\"\n[lifecycle.generate]\n"
	    "templates = [\"t/*.tmpl\"]\n");
	gerr_clear(&err);
	assert_int_equal(generate_start(&t->g, NULL, t->dir, t->model,
	    make_phase_find(t->model, "build"), NULL, NULL, 0, test_gen_done,
	    t, &job, &err), GERR_INVALID);
	assert_non_null(strstr(err.msg, "has no templates"));
	gerr_clear(&err);
	assert_int_equal(generate_start(&t->g, NULL, t->dir, t->model,
	    make_phase_find(t->model, "generate"), arr, NULL, 0, test_gen_done,
	    t, &job, &err), GERR_INVALID);
	cJSON_Delete(arr);
	/* Cancel while a sh_before runs: no callback, the child is killed. */
	test_gen_write(t->dir, "t/slow.tmpl", "---\nto: o.txt\n"
	    "sh_before: sleep 30\n---\nx\n");
	t->calls = 0;
	assert_int_equal(generate_start(&t->g, NULL, t->dir, t->model,
	    make_phase_find(t->model, "generate"), NULL, NULL, 0, test_gen_done,
	    t, &job, &err), 0);
	for (int i = 0; i < 3; i++)
		ev_run(t->g.loop, EVRUN_NOWAIT);
	generate_cancel(job);
	ev_run(t->g.loop, EVRUN_NOWAIT);
	assert_int_equal(t->calls, 0);
	assert_null(test_gen_read(t->dir, "o.txt"));
}

/* The bundled example renders through its generate phase and builds. */
static void
test_example_hello(void **state)
{
	struct test_gen *t = *state;
	char cmd[1024];
	char *s;
	struct gerr err;

	/* Without what a build of the example in place (the README's first
	 * command) left behind: the outputs its clean phase removes. */
	snprintf(cmd, sizeof(cmd), "cp -R '%s/examples/hello/.' '%s' && "
	    "cd '%s' && rm -rf build src/greeting.h src/info.h",
	    GGEN_SOURCE_DIR, t->dir, t->dir);
	assert_int_equal(system(cmd), 0);
	gerr_clear(&err);
	assert_int_equal(make_load(t->dir, &t->model, NULL, &err), 0);
	assert_int_equal(test_gen_run(t, "generate", NULL, true), 0);
	assert_int_equal(t->res.written, 2);
	s = test_gen_read(t->dir, "src/greeting.h");
	assert_non_null(strstr(s, "#define HELLO_GREETING \"Hello from ggen\""));
	free(s);
	s = test_gen_read(t->dir, "src/info.h");
	assert_non_null(strstr(s, "#define HELLO_VERSION \"0.2\""));
	assert_non_null(strstr(s, "#define HELLO_AUTHORS \"ada, linus\""));
	free(s);
	snprintf(cmd, sizeof(cmd), "cd '%s' && make -s >/dev/null 2>&1 && "
	    "./build/hello | grep -q 'version 0.2 by ada, linus'", t->dir);
	assert_int_equal(system(cmd), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_outputs_vars_and_clean,
		    test_gen_setup, test_gen_teardown),
		cmocka_unit_test_setup_teardown(test_errors_keep_going,
		    test_gen_setup, test_gen_teardown),
		cmocka_unit_test_setup_teardown(test_escape_messages,
		    test_gen_setup, test_gen_teardown),
		cmocka_unit_test_setup_teardown(test_inject_and_sh,
		    test_gen_setup, test_gen_teardown),
		cmocka_unit_test_setup_teardown(test_start_errors_and_cancel,
		    test_gen_setup, test_gen_teardown),
		cmocka_unit_test_setup_teardown(test_example_hello,
		    test_gen_setup, test_gen_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
