/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit tests for daemon/runenv.c: sorted unique envp, the changed-files
 * variables (cap, truncation marker, newline paths) and the atomic file. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "runenv.h"
#include "strbuf.h"

static char *
runenv_test_file(const char *dir)
{
	struct strbuf sb = STRBUF_INIT;

	strbuf_addf(&sb, "%s/changed", dir);
	return strbuf_detach(&sb, NULL);
}

static void
test_sorted_unique(void **state)
{
	char *base[] = { "B=1", "A=x", "noequals", "=empty", "B=2", "C=", NULL };
	struct runenv e;
	char *const *v;

	(void)state;
	runenv_init(&e);
	runenv_import(&e, base);
	assert_int_equal(runenv_set(&e, "AB", "y z", NULL), 0);
	assert_int_equal(runenv_set(&e, "A", "override", NULL), 0);
	v = runenv_envp(&e);
	assert_string_equal(v[0], "A=override");
	assert_string_equal(v[1], "AB=y z");
	assert_string_equal(v[2], "B=2");
	assert_string_equal(v[3], "C=");
	assert_null(v[4]);
	assert_string_equal(runenv_get(&e, "C"), "");
	assert_null(runenv_get(&e, "D"));
	runenv_unset(&e, "AB");
	runenv_unset(&e, "nope");
	v = runenv_envp(&e);
	assert_string_equal(v[1], "B=2");
	assert_null(v[3]);
	runenv_release(&e);
	runenv_release(&e);
}

static void
test_bad_key(void **state)
{
	struct runenv e;
	struct gerr err;

	(void)state;
	runenv_init(&e);
	gerr_clear(&err);
	assert_int_equal(runenv_set(&e, "A=B", "v", &err), GERR_INVALID);
	assert_non_null(strstr(err.msg, "\"A=B\""));
	assert_int_equal(runenv_set(&e, "", "v", NULL), GERR_INVALID);
	assert_null(runenv_envp(&e)[0]);
	runenv_release(&e);
}

static char *
rt_read_file(const char *path, size_t *len)
{
	struct strbuf sb = STRBUF_INIT;
	char buf[4096];
	size_t n;
	FILE *f = fopen(path, "rb");

	assert_non_null(f);
	while ((n = fread(buf, 1, sizeof buf, f)) > 0)
		strbuf_add(&sb, buf, n);
	fclose(f);
	return strbuf_detach(&sb, len);
}

static void
test_changed_small(void **state)
{
	const char *paths[] = { "src/a.c", "dir with space/b", "c\nd" };
	char dir[] = "/tmp/ggen-runenv-XXXXXX", *file, *data;
	struct runenv e;
	size_t len;

	(void)state;
	assert_non_null(mkdtemp(dir));
	runenv_init(&e);
	assert_int_equal(runenv_set_changed(&e, paths, 2, dir, NULL), 0);
	assert_string_equal(runenv_get(&e, "GGEN_CHANGED"),
	    "src/a.c\ndir with space/b");
	assert_string_equal(runenv_get(&e, "GGEN_CHANGED_COUNT"), "2");
	assert_null(runenv_get(&e, "GGEN_CHANGED_TRUNCATED"));
	file = runenv_test_file(dir);
	assert_string_equal(runenv_get(&e, "GGEN_CHANGED_FILE"), file);

	/* A newline path is only in the file, and marks the variable. */
	assert_int_equal(runenv_set_changed(&e, paths, 3, dir, NULL), 0);
	assert_string_equal(runenv_get(&e, "GGEN_CHANGED"),
	    "src/a.c\ndir with space/b");
	assert_string_equal(runenv_get(&e, "GGEN_CHANGED_COUNT"), "3");
	assert_string_equal(runenv_get(&e, "GGEN_CHANGED_TRUNCATED"), "1");
	data = rt_read_file(file, &len);
	assert_int_equal(len, sizeof "src/a.c" + sizeof "dir with space/b" +
	    sizeof "c\nd");
	assert_memory_equal(data, "src/a.c\0dir with space/b\0c\nd\0", len);
	free(data);

	/* Rewriting clears the marker and leaves no temp file behind. */
	assert_int_equal(runenv_set_changed(&e, paths, 0, dir, NULL), 0);
	assert_string_equal(runenv_get(&e, "GGEN_CHANGED"), "");
	assert_null(runenv_get(&e, "GGEN_CHANGED_TRUNCATED"));
	data = rt_read_file(file, &len);
	assert_int_equal(len, 0);
	free(data);
	assert_int_equal(unlink(file), 0);
	assert_int_equal(rmdir(dir), 0);
	free(file);
	runenv_release(&e);
}

static void
test_changed_cap(void **state)
{
	enum { N = 2000 };
	char dir[] = "/tmp/ggen-runenv-XXXXXX", *file, *data;
	static char names[N][16];
	const char *paths[N];
	struct runenv e;
	const char *v;
	size_t len;

	(void)state;
	assert_non_null(mkdtemp(dir));
	for (int i = 0; i < N; i++) {
		snprintf(names[i], sizeof names[i], "dir/f%07d.c", i);
		paths[i] = names[i];
	}
	runenv_init(&e);
	assert_int_equal(runenv_set_changed(&e, paths, N, dir, NULL), 0);
	v = runenv_get(&e, "GGEN_CHANGED");
	/* 14-byte names + "\n": as many whole paths as fit under the cap. */
	assert_int_equal(strlen(paths[0]), 14);
	assert_int_equal(strlen(v), (RUNENV_CHANGED_MAX + 1) / 15 * 15 - 1);
	assert_string_equal(v + strlen(v) - 14,
	    paths[(RUNENV_CHANGED_MAX + 1) / 15 - 1]);
	assert_string_equal(runenv_get(&e, "GGEN_CHANGED_COUNT"), "2000");
	assert_string_equal(runenv_get(&e, "GGEN_CHANGED_TRUNCATED"), "1");
	file = runenv_test_file(dir);
	data = rt_read_file(file, &len);
	assert_int_equal(len, (size_t)N * 15);
	assert_string_equal(data + 15 * (N - 1), paths[N - 1]);
	free(data);
	unlink(file);
	rmdir(dir);
	free(file);
	runenv_release(&e);
}

static void
test_changed_dir_missing(void **state)
{
	const char *paths[] = { "a" };
	struct runenv e;
	struct gerr err;

	(void)state;
	runenv_init(&e);
	gerr_clear(&err);
	assert_int_equal(runenv_set_changed(&e, paths, 1,
	    "/nonexistent/ggen-run", &err), GERR_IO);
	assert_non_null(strstr(err.msg,
	    "create temp file for /nonexistent/ggen-run/changed"));
	assert_non_null(strstr(err.msg, "No such file or directory"));
	assert_null(runenv_get(&e, "GGEN_CHANGED"));
	runenv_release(&e);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sorted_unique),
		cmocka_unit_test(test_bad_key),
		cmocka_unit_test(test_changed_small),
		cmocka_unit_test(test_changed_cap),
		cmocka_unit_test(test_changed_dir_missing),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
