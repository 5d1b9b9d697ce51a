/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Unit tests for common/cachekey.c. The three ggen vectors are read from the
 * fixtures README in tests/data/ggen (GGEN_DATA_DIR), so the test checks the very
 * table users see; when it is missing the test skips, except under CI=true
 * where it fails. The other expected keys were computed with Python's
 * hashlib over the documented preimage.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "cachekey.h"

#ifndef GGEN_DATA_DIR
#error "GGEN_DATA_DIR must name tests/data"
#endif

#define CACHEKEY_TEST_MAX_CMDS 8

/* Pull the backtick-quoted fields of one README table cell. */
static size_t
cachekey_test_ticks(char *cell, char **out, size_t max)
{
	size_t n = 0;
	char *p = cell, *q;

	while (n < max && (p = strchr(p, '`')) != NULL) {
		q = strchr(p + 1, '`');
		if (q == NULL)
			break;
		*q = '\0';
		out[n++] = p + 1;
		p = q + 1;
	}
	return n;
}

/* compute must succeed and give want. */
static void
cachekey_test_expect(const char *phase, const char *const *cmds, size_t ncmds,
    const struct cachekey_env *env, size_t nenv,
    const struct cachekey_input *in, size_t nin, const char *want)
{
	char hex[CACHEKEY_HEX_SIZE];

	assert_int_equal(cachekey_compute(phase, cmds, ncmds, env, nenv, in,
	    nin, hex, NULL), 0);
	assert_string_equal(hex, want);
}

static void
test_readme_vectors(void **state)
{
	const char *path = GGEN_DATA_DIR "/ggen/README.md";
	const char *ci = getenv("CI");
	char line[1024], hex[CACHEKEY_HEX_SIZE];
	int seen = 0;
	FILE *f;

	(void)state;
	f = fopen(path, "r");
	if (f == NULL) {
		if (ci != NULL && strcmp(ci, "true") == 0)
			fail_msg("fixture %s missing under CI=true", path);
		skip();
	}
	while (fgets(line, sizeof line, f) != NULL) {
		char *cells[4], *cmds[CACHEKEY_TEST_MAX_CMDS], *keys[1];
		char *p = line, *phase;
		size_t ncells = 0, ncmds;

		if (strncmp(line, "| ", 2) != 0)
			continue;
		/* | phase | commands | key | */
		while (ncells < 4 && (p = strchr(p, '|')) != NULL) {
			*p = '\0';
			cells[ncells++] = ++p;
		}
		if (ncells != 4 || cachekey_test_ticks(cells[2], keys, 1) != 1 ||
		    strlen(keys[0]) != 64)
			continue;
		phase = cells[0] + strspn(cells[0], " ");
		phase[strcspn(phase, " ")] = '\0';
		ncmds = cachekey_test_ticks(cells[1], cmds,
		    CACHEKEY_TEST_MAX_CMDS);
		assert_int_equal(cachekey_compute(phase,
		    (const char *const *)cmds, ncmds, NULL, 0, NULL, 0, hex,
		    NULL), 0);
		assert_string_equal(hex, keys[0]);
		seen++;
	}
	fclose(f);
	assert_int_equal(seen, 3);
}

static void
test_design_example_and_builder_agree(void **state)
{
	struct cachekey ck;
	char hex[CACHEKEY_HEX_SIZE];
	const char *cmd = "cargo fmt";

	(void)state;
	assert_int_equal(cachekey_begin(&ck, "format", NULL), 0);
	assert_int_equal(cachekey_add_command(&ck, cmd, NULL), 0);
	assert_int_equal(cachekey_finish(&ck, hex, NULL), 0);
	assert_string_equal(hex,
	    "979c06fbe301ca800643fd058003756997120c9f782d5d1e7052903b6355932c");
	cachekey_test_expect("format", &cmd, 1, NULL, 0, NULL, 0,
	    "979c06fbe301ca800643fd058003756997120c9f782d5d1e7052903b6355932c");
}

static void
test_env_and_inputs_sorted(void **state)
{
	const char *cmd = "make";
	const struct cachekey_env env[] = { { "B", "x y" }, { "A", "1" } };
	const struct cachekey_input in[] = {
		{ "b/c.h", "bb" }, { "a.c", "aa" },
	};

	(void)state;
	cachekey_test_expect("build", &cmd, 1, env, 2, NULL, 0,
	    "000235bf2217b8083c67a5180ea450aab21be75b33170db80a31f087c972637a");
	cachekey_test_expect("build", &cmd, 1, env, 2, in, 2,
	    "34c708528314eeaf8af3c8a76abfd2d27056f5dae493395ca131bf0d79380f9a");
	/* The caller's arrays are not reordered. */
	assert_string_equal(env[0].key, "B");
	assert_string_equal(in[0].path, "b/c.h");
}

static void
test_input_path_with_newline(void **state)
{
	const char *cmd = "x";
	const struct cachekey_input nl[] = { { "a\nb", "h1" } };
	const struct cachekey_input plain[] = { { "a", "h1" } };

	(void)state;
	cachekey_test_expect("gen", &cmd, 1, NULL, 0, nl, 1,
	    "74c3e987aa94ea636118d56c245731b3b574fe1e6a5dbabbefb7c4603af2d098");
	cachekey_test_expect("gen", &cmd, 1, NULL, 0, plain, 1,
	    "6c50b413f2a08216a8c5043bfb3b35d6750523a24a8025166641809520ba484b");
}

static void
test_empty_commands(void **state)
{
	const char *cmds[] = { "", "" };
	const struct cachekey_env env[] = { { "A", "" } };

	(void)state;
	cachekey_test_expect("empty", cmds, 2, NULL, 0, NULL, 0,
	    "b537e57bfb03ee63d9b540ed61adb3940c15b21b82e09851285c3a5f4d52afd8");
	cachekey_test_expect("empty", NULL, 0, NULL, 0, NULL, 0,
	    "2e1cfa82b035c26cbbbdae632cea070514eb8b773f616aaeaf668e2f0be8f10d");
	cachekey_test_expect("t", NULL, 0, env, 1, NULL, 0,
	    "7806e05d15978133679f43a1bd080b99dc1a77ef229036425348a4c41e596bb7");
}

static void
test_builder_refuses_unsorted_and_duplicates(void **state)
{
	struct cachekey ck;
	struct gerr err;
	char hex[CACHEKEY_HEX_SIZE];

	(void)state;
	gerr_clear(&err);
	assert_int_equal(cachekey_begin(&ck, "p", &err), 0);
	assert_int_equal(cachekey_add_env(&ck, "B", "1", &err), 0);
	assert_int_equal(cachekey_add_env(&ck, "A", "1", &err), GERR_INVALID);
	assert_non_null(strstr(err.msg, "env key \"A\" after \"B\": not sorted"));
	/* Sticky: finishing reports the first error and yields no key. */
	assert_int_equal(cachekey_finish(&ck, hex, NULL), GERR_INVALID);
	assert_string_equal(hex, "");

	gerr_clear(&err);
	assert_int_equal(cachekey_begin(&ck, "p", &err), 0);
	assert_int_equal(cachekey_add_input(&ck, "a", "h", &err), 0);
	assert_int_equal(cachekey_add_input(&ck, "a", "h", &err), GERR_INVALID);
	assert_non_null(strstr(err.msg, "input \"a\" after \"a\": duplicate"));
	cachekey_release(&ck);
	cachekey_release(&ck);
}

static void
test_builder_refuses_stage_regression(void **state)
{
	struct cachekey ck;
	struct gerr err;

	(void)state;
	gerr_clear(&err);
	assert_int_equal(cachekey_begin(&ck, "p", &err), 0);
	assert_int_equal(cachekey_add_input(&ck, "a", "h", &err), 0);
	assert_int_equal(cachekey_add_env(&ck, "K", "v", &err), GERR_INTERNAL);
	assert_non_null(strstr(err.msg, "out of order"));
	assert_int_equal(cachekey_add_command(&ck, "c", NULL), GERR_INTERNAL);
	cachekey_release(&ck);
}

static void
test_compute_duplicate_env_key(void **state)
{
	const struct cachekey_env env[] = { { "K", "1" }, { "K", "2" } };
	char hex[CACHEKEY_HEX_SIZE];
	struct gerr err;

	(void)state;
	gerr_clear(&err);
	assert_int_equal(cachekey_compute("p", NULL, 0, env, 2, NULL, 0, hex,
	    &err), GERR_INVALID);
	assert_non_null(strstr(err.msg, "duplicate"));
	assert_string_equal(hex, "");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_readme_vectors),
		cmocka_unit_test(test_design_example_and_builder_agree),
		cmocka_unit_test(test_env_and_inputs_sorted),
		cmocka_unit_test(test_input_path_with_newline),
		cmocka_unit_test(test_empty_commands),
		cmocka_unit_test(test_builder_refuses_unsorted_and_duplicates),
		cmocka_unit_test(test_builder_refuses_stage_regression),
		cmocka_unit_test(test_compute_duplicate_env_key),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
